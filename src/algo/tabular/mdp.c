/* Finite MDPs: allocation, validation of specifications, random generators (Dirichlet and
 * Garnet), sampling, rollouts and the small policy helpers shared by the tabular module. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/tabular/tabular_impl.h"

/* ---------------------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------------------- */

static rlc_status check_shape(int S, int A, int H, double gamma) {
    if (S < 1 || A < 1)
        return rlc_error(RLC_ERR_INVALID, "mdp: S = %d and A = %d must be >= 1", S, A);
    if (H < 0) return rlc_error(RLC_ERR_INVALID, "mdp: horizon H = %d must be >= 0", H);
    if (H == 0 && !(gamma >= 0 && gamma < 1))
        return rlc_error(RLC_ERR_INVALID,
                         "mdp: discount gamma = %g must be in [0, 1) for a discounted MDP (H = 0)",
                         gamma);
    if ((double)S * A * S > 1e12)
        return rlc_error(RLC_ERR_RANGE, "mdp: S*A*S = %.3g entries is too large",
                         (double)S * A * S);
    return RLC_OK;
}

static rlc_mdp *alloc_common(int S, int A, int H, double gamma) {
    rlc_mdp *m = rlc_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->S = S;
    m->A = A;
    m->H = H;
    m->gamma = H > 0 ? 1.0 : gamma;
    m->R = rlc_calloc((size_t)S * A, sizeof(double));
    m->mu0 = rlc_calloc((size_t)S, sizeof(double));
    if (!m->R || !m->mu0) {
        rlc_mdp_destroy(m);
        return NULL;
    }
    return m;
}

rlc_status rlc_mdp_create_dense(rlc_mdp **out, int S, int A, int H, double gamma) {
    if (!out) return rlc_error(RLC_ERR_INVALID, "mdp: out is NULL");
    rlc_status st = check_shape(S, A, H, gamma);
    if (st) return st;
    rlc_mdp *m = alloc_common(S, A, H, gamma);
    if (!m) return RLC_ERR_NOMEM;
    m->P = rlc_calloc((size_t)S * A * S, sizeof(double));
    if (!m->P) {
        rlc_mdp_destroy(m);
        return RLC_ERR_NOMEM;
    }
    *out = m;
    return RLC_OK;
}

rlc_status rlc_mdp_create_sparse(rlc_mdp **out, int S, int A, int H, double gamma, int64_t nnz) {
    if (!out) return rlc_error(RLC_ERR_INVALID, "mdp: out is NULL");
    rlc_status st = check_shape(S, A, H, gamma);
    if (st) return st;
    if (nnz < 0) return rlc_error(RLC_ERR_INVALID, "mdp: nnz = %lld is negative", (long long)nnz);
    rlc_mdp *m = alloc_common(S, A, H, gamma);
    if (!m) return RLC_ERR_NOMEM;
    m->sparse = 1;
    m->nnz = nnz;
    m->rowptr = rlc_calloc((size_t)S * A + 1, sizeof(int64_t));
    m->col = rlc_calloc((size_t)(nnz ? nnz : 1), sizeof(int));
    m->val = rlc_calloc((size_t)(nnz ? nnz : 1), sizeof(double));
    if (!m->rowptr || !m->col || !m->val) {
        rlc_mdp_destroy(m);
        return RLC_ERR_NOMEM;
    }
    *out = m;
    return RLC_OK;
}

void rlc_mdp_destroy(rlc_mdp *m) {
    if (!m) return;
    rlc_free(m->P);
    rlc_free(m->rowptr);
    rlc_free(m->col);
    rlc_free(m->val);
    rlc_free(m->R);
    rlc_free(m->mu0);
    rlc_free(m);
}

static void fill_mu0(rlc_mdp *m, const double *mu0) {
    if (mu0)
        memcpy(m->mu0, mu0, sizeof(double) * (size_t)m->S);
    else
        m->mu0[0] = 1.0;
}

rlc_status rlc_mdp_from_dense(rlc_mdp **out, int S, int A, int H, double gamma, const double *P,
                              const double *R, const double *mu0) {
    if (!out || !P || !R) return rlc_error(RLC_ERR_INVALID, "mdp: NULL argument");
    rlc_mdp *m;
    rlc_status st = rlc_mdp_create_dense(&m, S, A, H, gamma);
    if (st) return st;
    memcpy(m->P, P, sizeof(double) * (size_t)S * A * S);
    memcpy(m->R, R, sizeof(double) * (size_t)S * A);
    fill_mu0(m, mu0);
    st = rlc_mdp_validate(m);
    if (st) {
        rlc_mdp_destroy(m);
        return st;
    }
    *out = m;
    return RLC_OK;
}

rlc_status rlc_mdp_from_sparse(rlc_mdp **out, int S, int A, int H, double gamma,
                               const int64_t *rowptr, const int *col, const double *val,
                               const double *R, const double *mu0) {
    if (!out || !rowptr || !col || !val || !R)
        return rlc_error(RLC_ERR_INVALID, "mdp: NULL argument");
    if (S < 1 || A < 1) return check_shape(S, A, H, gamma);
    int64_t nnz = rowptr[(size_t)S * A];
    rlc_mdp *m;
    rlc_status st = rlc_mdp_create_sparse(&m, S, A, H, gamma, nnz);
    if (st) return st;
    memcpy(m->rowptr, rowptr, sizeof(int64_t) * ((size_t)S * A + 1));
    memcpy(m->col, col, sizeof(int) * (size_t)nnz);
    memcpy(m->val, val, sizeof(double) * (size_t)nnz);
    memcpy(m->R, R, sizeof(double) * (size_t)S * A);
    fill_mu0(m, mu0);
    st = rlc_mdp_validate(m);
    if (st) {
        rlc_mdp_destroy(m);
        return st;
    }
    *out = m;
    return RLC_OK;
}

rlc_status rlc_mdp_copy(rlc_mdp **out, const rlc_mdp *m) {
    if (!out || !m) return rlc_error(RLC_ERR_INVALID, "mdp: NULL argument");
    rlc_mdp *c;
    rlc_status st = m->sparse ? rlc_mdp_create_sparse(&c, m->S, m->A, m->H, m->gamma, m->nnz)
                              : rlc_mdp_create_dense(&c, m->S, m->A, m->H, m->gamma);
    if (st) return st;
    size_t SA = (size_t)m->S * m->A;
    if (m->sparse) {
        memcpy(c->rowptr, m->rowptr, sizeof(int64_t) * (SA + 1));
        memcpy(c->col, m->col, sizeof(int) * (size_t)m->nnz);
        memcpy(c->val, m->val, sizeof(double) * (size_t)m->nnz);
    } else {
        memcpy(c->P, m->P, sizeof(double) * SA * (size_t)m->S);
    }
    memcpy(c->R, m->R, sizeof(double) * SA);
    memcpy(c->mu0, m->mu0, sizeof(double) * (size_t)m->S);
    *out = c;
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------------------- */

#define ROW_TOL 1e-9

static rlc_status check_prob(double p, int s2, int s, int a) {
    if (isnan(p)) return rlc_error(RLC_ERR_INVALID, "P(s'=%d|s=%d, a=%d) is NaN", s2, s, a);
    if (isinf(p)) return rlc_error(RLC_ERR_INVALID, "P(s'=%d|s=%d, a=%d) is infinite", s2, s, a);
    if (p < 0)
        return rlc_error(RLC_ERR_INVALID, "P(s'=%d|s=%d, a=%d) = %g is negative", s2, s, a, p);
    return RLC_OK;
}

rlc_status rlc_mdp_validate(const rlc_mdp *m) {
    if (!m) return rlc_error(RLC_ERR_INVALID, "mdp: NULL");
    rlc_status st = check_shape(m->S, m->A, m->H, m->gamma);
    if (st) return st;
    int S = m->S, A = m->A;
    if (!m->R || !m->mu0 || (m->sparse ? (!m->rowptr || !m->col || !m->val) : !m->P))
        return rlc_error(RLC_ERR_INVALID, "mdp: missing array");
    if (m->sparse) {
        if (m->rowptr[0] != 0 || m->rowptr[(size_t)S * A] != m->nnz)
            return rlc_error(RLC_ERR_INVALID,
                             "mdp: sparse rowptr must start at 0 and end at nnz = %lld",
                             (long long)m->nnz);
    }
    for (int s = 0; s < S; s++)
        for (int a = 0; a < A; a++) {
            size_t row = (size_t)s * A + a;
            double sum = 0;
            if (m->sparse) {
                int64_t b = m->rowptr[row], e = m->rowptr[row + 1];
                if (e < b)
                    return rlc_error(RLC_ERR_INVALID,
                                     "mdp: sparse rowptr decreases at row (s=%d, a=%d)", s, a);
                for (int64_t k = b; k < e; k++) {
                    int s2 = m->col[k];
                    if (s2 < 0 || s2 >= S)
                        return rlc_error(RLC_ERR_INVALID,
                                         "P(.|s=%d, a=%d): next state %d out of range 0..%d", s, a,
                                         s2, S - 1);
                    if (k > b && s2 <= m->col[k - 1])
                        return rlc_error(RLC_ERR_INVALID,
                                         "P(.|s=%d, a=%d): next states must be strictly "
                                         "increasing (%d after %d)",
                                         s, a, s2, m->col[k - 1]);
                    if ((st = check_prob(m->val[k], s2, s, a))) return st;
                    sum += m->val[k];
                }
            } else {
                const double *p = m->P + row * S;
                for (int s2 = 0; s2 < S; s2++) {
                    if ((st = check_prob(p[s2], s2, s, a))) return st;
                    sum += p[s2];
                }
            }
            if (fabs(sum - 1.0) > ROW_TOL)
                return rlc_error(RLC_ERR_INVALID,
                                 "P(.|s=%d, a=%d) sums to %.12g (must be 1 within 1e-9)", s, a,
                                 sum);
            double r = m->R[row];
            if (isnan(r)) return rlc_error(RLC_ERR_INVALID, "R(s=%d, a=%d) is NaN", s, a);
            if (isinf(r)) return rlc_error(RLC_ERR_INVALID, "R(s=%d, a=%d) is infinite", s, a);
        }
    double sum = 0;
    for (int s = 0; s < S; s++) {
        double p = m->mu0[s];
        if (!isfinite(p) || p < 0)
            return rlc_error(RLC_ERR_INVALID, "mu0(s=%d) = %g is not a probability", s, p);
        sum += p;
    }
    if (fabs(sum - 1.0) > ROW_TOL)
        return rlc_error(RLC_ERR_INVALID, "mu0 sums to %.12g (must be 1 within 1e-9)", sum);
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Random generators
 * ------------------------------------------------------------------------------------- */

double rlc__gamma_variate(rlc_rng *r, double shape) {
    /* Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) * U^(1/shape). */
    if (shape < 1) {
        double u = rlc_rng_random(r);
        return rlc__gamma_variate(r, shape + 1) * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = rlc_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = rlc_rng_random(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

void rlc__dirichlet(rlc_rng *r, double alpha, int n, double *out) {
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += out[i] = rlc__gamma_variate(r, alpha);
    if (!(sum > 0)) { /* every draw underflowed (tiny alpha): put the mass on one entry */
        for (int i = 0; i < n; i++)
            out[i] = 0;
        out[rlc_rng_integers(r, 0, n)] = 1;
        return;
    }
    for (int i = 0; i < n; i++)
        out[i] /= sum;
}

rlc_status rlc_mdp_random_dirichlet(rlc_mdp **out, int S, int A, int H, double gamma, double alpha,
                                    uint64_t seed) {
    if (!(alpha > 0) || !isfinite(alpha))
        return rlc_error(RLC_ERR_INVALID, "mdp: Dirichlet alpha = %g must be positive", alpha);
    rlc_mdp *m;
    rlc_status st = rlc_mdp_create_dense(&m, S, A, H, gamma);
    if (st) return st;
    rlc_rng r;
    rlc_rng_seed(&r, seed);
    for (size_t row = 0; row < (size_t)S * A; row++)
        rlc__dirichlet(&r, alpha, S, m->P + row * S);
    for (size_t i = 0; i < (size_t)S * A; i++)
        m->R[i] = rlc_rng_random(&r);
    m->mu0[0] = 1;
    *out = m;
    return RLC_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

rlc_status rlc_mdp_random_garnet(rlc_mdp **out, int S, int A, int H, double gamma, int branching,
                                 uint64_t seed) {
    if (S >= 1 && (branching < 1 || branching > S))
        return rlc_error(RLC_ERR_INVALID, "mdp: Garnet branching = %d must be in 1..S = %d",
                         branching, S);
    rlc_mdp *m;
    rlc_status st = rlc_mdp_create_sparse(&m, S, A, H, gamma, (int64_t)S * A * branching);
    if (st) return st;
    int64_t *perm = rlc_malloc(sizeof(int64_t) * (size_t)S);
    double *cuts = rlc_malloc(sizeof(double) * (size_t)(branching + 1));
    if (!perm || !cuts) {
        rlc_free(perm);
        rlc_free(cuts);
        rlc_mdp_destroy(m);
        return RLC_ERR_NOMEM;
    }
    rlc_rng r;
    rlc_rng_seed(&r, seed);
    int64_t k = 0;
    for (size_t row = 0; row < (size_t)S * A; row++) {
        m->rowptr[row] = k;
        rlc_rng_permutation(&r, S, perm);
        int *cols = m->col + k;
        for (int j = 0; j < branching; j++)
            cols[j] = (int)perm[j];
        qsort(cols, (size_t)branching, sizeof(int), cmp_int);
        cuts[0] = 0;
        for (int j = 1; j < branching; j++)
            cuts[j] = rlc_rng_random(&r);
        qsort(cuts + 1, (size_t)(branching - 1), sizeof(double), cmp_double);
        cuts[branching] = 1;
        double sum = 0;
        for (int j = 0; j < branching; j++)
            sum += m->val[k + j] = cuts[j + 1] - cuts[j];
        m->val[k + branching - 1] += 1.0 - sum; /* exact normalisation */
        k += branching;
    }
    m->rowptr[(size_t)S * A] = k;
    for (size_t i = 0; i < (size_t)S * A; i++)
        m->R[i] = rlc_rng_random(&r);
    m->mu0[0] = 1;
    rlc_free(perm);
    rlc_free(cuts);
    *out = m;
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Access, sampling, rollouts
 * ------------------------------------------------------------------------------------- */

int rlc_mdp_stages(const rlc_mdp *m) {
    return m->H > 0 ? m->H : 1;
}

double rlc_mdp_expect(const rlc_mdp *m, int s, int a, const double *V) {
    size_t row = (size_t)s * m->A + a;
    double acc = 0;
    if (m->sparse) {
        for (int64_t k = m->rowptr[row]; k < m->rowptr[row + 1]; k++)
            acc += m->val[k] * V[m->col[k]];
    } else {
        const double *p = m->P + row * m->S;
        for (int s2 = 0; s2 < m->S; s2++)
            acc += p[s2] * V[s2];
    }
    return acc;
}

void rlc_mdp_row(const rlc_mdp *m, int s, int a, double *out) {
    size_t row = (size_t)s * m->A + a;
    if (m->sparse) {
        memset(out, 0, sizeof(double) * (size_t)m->S);
        for (int64_t k = m->rowptr[row]; k < m->rowptr[row + 1]; k++)
            out[m->col[k]] = m->val[k];
    } else {
        memcpy(out, m->P + row * m->S, sizeof(double) * (size_t)m->S);
    }
}

/* Inverse CDF over (idx, p) pairs; idx NULL means 0..n-1. */
static int sample_pairs(const int *idx, const double *p, int64_t n, double u) {
    double c = 0;
    int64_t last = -1;
    for (int64_t k = 0; k < n; k++) {
        if (p[k] <= 0) continue;
        c += p[k];
        last = k;
        if (u < c) break;
    }
    if (last < 0) last = 0;
    return idx ? idx[last] : (int)last;
}

int rlc_mdp_sample_next(const rlc_mdp *m, int s, int a, rlc_rng *rng) {
    size_t row = (size_t)s * m->A + a;
    double u = rlc_rng_random(rng);
    if (m->sparse) {
        int64_t b = m->rowptr[row];
        return sample_pairs(m->col + b, m->val + b, m->rowptr[row + 1] - b, u);
    }
    return sample_pairs(NULL, m->P + row * m->S, m->S, u);
}

int rlc_mdp_sample_start(const rlc_mdp *m, rlc_rng *rng) {
    return sample_pairs(NULL, m->mu0, m->S, rlc_rng_random(rng));
}

int rlc_mdp_sample_action(const double *p, int A, rlc_rng *rng) {
    return sample_pairs(NULL, p, A, rlc_rng_random(rng));
}

double rlc_mdp_rollout(const rlc_mdp *m, const double *pi, int steps, rlc_rng *rng, int *states,
                       int *actions) {
    int T = rlc_mdp_stages(m), S = m->S, A = m->A;
    if (m->H > 0 && steps > m->H) steps = m->H;
    int s = rlc_mdp_sample_start(m, rng);
    double ret = 0, disc = 1;
    if (states) states[0] = s;
    for (int t = 0; t < steps; t++) {
        int h = t < T ? t : T - 1;
        int a = rlc_mdp_sample_action(pi + ((size_t)h * S + s) * A, A, rng);
        ret += disc * m->R[(size_t)s * A + a];
        if (m->H == 0) disc *= m->gamma;
        s = rlc_mdp_sample_next(m, s, a, rng);
        if (actions) actions[t] = a;
        if (states) states[t + 1] = s;
    }
    return ret;
}

double rlc_mdp_start_value(const rlc_mdp *m, const double *V) {
    double v = 0;
    for (int s = 0; s < m->S; s++)
        v += m->mu0[s] * V[s];
    return v;
}

void rlc_mdp_policy_from_actions(const rlc_mdp *m, const int *act, double *pi) {
    size_t n = (size_t)rlc_mdp_stages(m) * m->S;
    memset(pi, 0, sizeof(double) * n * m->A);
    for (size_t i = 0; i < n; i++)
        pi[i * m->A + act[i]] = 1.0;
}

void rlc_mdp_policy_uniform(const rlc_mdp *m, double *pi) {
    size_t n = (size_t)rlc_mdp_stages(m) * m->S * m->A;
    for (size_t i = 0; i < n; i++)
        pi[i] = 1.0 / m->A;
}

int rlc__argmax(const double *q, int n) {
    int best = 0;
    for (int a = 1; a < n; a++)
        if (q[a] > q[best]) best = a;
    return best;
}

void rlc_mdp_greedy(const rlc_mdp *m, const double *Q, int *act) {
    size_t n = (size_t)rlc_mdp_stages(m) * m->S;
    for (size_t i = 0; i < n; i++)
        act[i] = rlc__argmax(Q + i * m->A, m->A);
}

rlc_status rlc__check_policy(const rlc_mdp *m, const double *pi, const char *what) {
    int T = rlc_mdp_stages(m);
    for (int h = 0; h < T; h++)
        for (int s = 0; s < m->S; s++) {
            const double *p = pi + ((size_t)h * m->S + s) * m->A;
            double sum = 0;
            for (int a = 0; a < m->A; a++) {
                if (!(p[a] >= 0) || !isfinite(p[a]))
                    return rlc_error(RLC_ERR_INVALID,
                                     "%s(a=%d|h=%d, s=%d) = %g is not a probability", what, a, h, s,
                                     p[a]);
                sum += p[a];
            }
            if (fabs(sum - 1) > 1e-6)
                return rlc_error(RLC_ERR_INVALID, "%s(.|h=%d, s=%d) sums to %.17g, not 1", what, h,
                                 s, sum);
        }
    return RLC_OK;
}
