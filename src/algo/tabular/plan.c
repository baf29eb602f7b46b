/* Exact planning on finite MDPs: value iteration, policy evaluation (iterative and by a linear
 * solve), policy iteration, KL-regularised and robust value iteration, the effective horizon,
 * and the small dense linear algebra they need. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/tabular/tabular_impl.h"

/* ---------------------------------------------------------------------------------------
 * Dense linear algebra
 * ------------------------------------------------------------------------------------- */

int rlc__solve_dense(double *A, double *b, int n) {
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[(size_t)r * n + c]) > fabs(A[(size_t)piv * n + c])) piv = r;
        if (!(fabs(A[(size_t)piv * n + c]) > 1e-300)) return -1;
        if (piv != c) {
            for (int k = 0; k < n; k++) {
                double t = A[(size_t)c * n + k];
                A[(size_t)c * n + k] = A[(size_t)piv * n + k];
                A[(size_t)piv * n + k] = t;
            }
            double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        double d = A[(size_t)c * n + c];
        for (int r = c + 1; r < n; r++) {
            double f = A[(size_t)r * n + c] / d;
            if (f == 0) continue;
            for (int k = c; k < n; k++)
                A[(size_t)r * n + k] -= f * A[(size_t)c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double acc = b[r];
        for (int k = r + 1; k < n; k++)
            acc -= A[(size_t)r * n + k] * b[k];
        b[r] = acc / A[(size_t)r * n + r];
    }
    return 0;
}

int rlc__cholesky(const double *A, double *L, int n) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double acc = A[(size_t)i * n + j];
            for (int k = 0; k < j; k++)
                acc -= L[(size_t)i * n + k] * L[(size_t)j * n + k];
            if (i == j) {
                if (!(acc > 0)) return -1;
                L[(size_t)i * n + i] = sqrt(acc);
            } else {
                L[(size_t)i * n + j] = acc / L[(size_t)j * n + j];
            }
        }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            L[(size_t)i * n + j] = 0;
    return 0;
}

void rlc__cholesky_solve(const double *L, const double *b, double *x, int n) {
    for (int i = 0; i < n; i++) {
        double acc = b[i];
        for (int k = 0; k < i; k++)
            acc -= L[(size_t)i * n + k] * x[k];
        x[i] = acc / L[(size_t)i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double acc = x[i];
        for (int k = i + 1; k < n; k++)
            acc -= L[(size_t)k * n + i] * x[k];
        x[i] = acc / L[(size_t)i * n + i];
    }
}

/* ---------------------------------------------------------------------------------------
 * Shared pieces
 * ------------------------------------------------------------------------------------- */

/* Working arrays of one planning call: V[T*S], Q[T*S*A], and a spare S vector. */
typedef struct work {
    double *V, *Q, *tmp;
} work;

static rlc_status work_alloc(const rlc_mdp *m, work *w) {
    size_t T = (size_t)rlc_mdp_stages(m), S = (size_t)m->S, A = (size_t)m->A;
    w->V = rlc_malloc(sizeof(double) * T * S);
    w->Q = rlc_malloc(sizeof(double) * T * S * A);
    w->tmp = rlc_calloc(S, sizeof(double));
    if (!w->V || !w->Q || !w->tmp) {
        rlc_free(w->V);
        rlc_free(w->Q);
        rlc_free(w->tmp);
        return RLC_ERR_NOMEM;
    }
    return RLC_OK;
}

static void work_free(work *w) {
    rlc_free(w->V);
    rlc_free(w->Q);
    rlc_free(w->tmp);
}

static void work_output(const rlc_mdp *m, const work *w, double *V, double *Q) {
    size_t TS = (size_t)rlc_mdp_stages(m) * m->S;
    if (V) memcpy(V, w->V, sizeof(double) * TS);
    if (Q) memcpy(Q, w->Q, sizeof(double) * TS * m->A);
}

static double sup_diff(const double *a, const double *b, int n) {
    double d = 0;
    for (int i = 0; i < n; i++) {
        double e = fabs(a[i] - b[i]);
        if (e > d || isnan(e)) d = e;
    }
    return d;
}

/* Q of one stage from the next stage's value: Q(s,a) = R + gamma E[Vnext]; Vnext NULL: 0. */
static void q_from_v(const rlc_mdp *m, const double *Vnext, double gamma, double *Q) {
    for (int s = 0; s < m->S; s++)
        for (int a = 0; a < m->A; a++) {
            size_t i = (size_t)s * m->A + a;
            Q[i] = m->R[i] + (Vnext ? gamma * rlc_mdp_expect(m, s, a, Vnext) : 0.0);
        }
}

static double max_row(const double *q, int n) {
    double v = q[0];
    for (int a = 1; a < n; a++)
        if (q[a] > v) v = q[a];
    return v;
}

static double dot_row(const double *p, const double *q, int n) {
    double v = 0;
    for (int a = 0; a < n; a++)
        v += p[a] * q[a];
    return v;
}

static rlc_status check_iter_args(const rlc_mdp *m, double tol) {
    if (!m) return rlc_error(RLC_ERR_INVALID, "mdp: NULL");
    if (m->H == 0 && m->gamma > 0 && !(tol > 0))
        return rlc_error(RLC_ERR_INVALID, "mdp: tolerance %g must be positive", tol);
    return RLC_OK;
}

/* Stopping threshold of the discounted iterations: ||V_{n+1} - V*|| <= tol. */
static double stop_threshold(double gamma, double tol) {
    return gamma > 0 ? tol * (1 - gamma) / gamma : INFINITY;
}

/* ---------------------------------------------------------------------------------------
 * Value iteration and policy evaluation
 * ------------------------------------------------------------------------------------- */

rlc_status rlc_mdp_value_iteration(const rlc_mdp *m, double tol, int max_iter, double *V, double *Q,
                                   int *act, int *iters) {
    rlc_status st = check_iter_args(m, tol);
    if (st) return st;
    work w;
    if ((st = work_alloc(m, &w))) return st;
    int S = m->S, A = m->A, n = 0;
    if (m->H > 0) {
        for (int h = m->H - 1; h >= 0; h--) {
            double *Qh = w.Q + (size_t)h * S * A;
            q_from_v(m, h + 1 < m->H ? w.V + (size_t)(h + 1) * S : NULL, 1.0, Qh);
            for (int s = 0; s < S; s++)
                w.V[(size_t)h * S + s] = max_row(Qh + (size_t)s * A, A);
        }
        n = m->H;
    } else {
        double thr = stop_threshold(m->gamma, tol);
        memset(w.V, 0, sizeof(double) * S);
        for (;;) {
            q_from_v(m, w.V, m->gamma, w.Q);
            for (int s = 0; s < S; s++)
                w.tmp[s] = max_row(w.Q + (size_t)s * A, A);
            double d = sup_diff(w.tmp, w.V, S);
            memcpy(w.V, w.tmp, sizeof(double) * S);
            n++;
            if (d <= thr) break;
            if (n >= max_iter) {
                work_free(&w);
                return rlc_error(RLC_ERR_STATE,
                                 "value iteration did not converge in %d sweeps (last change %g)",
                                 max_iter, d);
            }
        }
        q_from_v(m, w.V, m->gamma, w.Q);
    }
    work_output(m, &w, V, Q);
    if (act) rlc_mdp_greedy(m, w.Q, act);
    if (iters) *iters = n;
    work_free(&w);
    return RLC_OK;
}

/* Backward induction of a policy's value (episodic). */
static void evaluate_episodic(const rlc_mdp *m, const double *pi, work *w) {
    int S = m->S, A = m->A;
    for (int h = m->H - 1; h >= 0; h--) {
        double *Qh = w->Q + (size_t)h * S * A;
        q_from_v(m, h + 1 < m->H ? w->V + (size_t)(h + 1) * S : NULL, 1.0, Qh);
        for (int s = 0; s < S; s++)
            w->V[(size_t)h * S + s] = dot_row(pi + ((size_t)h * S + s) * A, Qh + (size_t)s * A, A);
    }
}

double rlc__episodic_value(const rlc_mdp *m, const double *pi, double *V) {
    int S = m->S, A = m->A;
    double *cur = V, *next = V + S;
    memset(next, 0, sizeof(double) * S);
    for (int h = m->H - 1; h >= 0; h--) {
        for (int s = 0; s < S; s++) {
            const double *p = pi + ((size_t)h * S + s) * A;
            double v = 0;
            for (int a = 0; a < A; a++)
                if (p[a] != 0)
                    v += p[a] * (m->R[(size_t)s * A + a] +
                                 (h + 1 < m->H ? rlc_mdp_expect(m, s, a, next) : 0.0));
            cur[s] = v;
        }
        double *t = cur;
        cur = next;
        next = t;
    }
    return rlc_mdp_start_value(m, next);
}

rlc_status rlc_mdp_policy_evaluate(const rlc_mdp *m, const double *pi, double tol, int max_iter,
                                   double *V, double *Q) {
    rlc_status st = check_iter_args(m, tol);
    if (st) return st;
    if (!pi) return rlc_error(RLC_ERR_INVALID, "policy evaluation: NULL policy");
    work w;
    if ((st = work_alloc(m, &w))) return st;
    int S = m->S, A = m->A;
    if (m->H > 0) {
        evaluate_episodic(m, pi, &w);
    } else {
        double thr = stop_threshold(m->gamma, tol);
        memset(w.V, 0, sizeof(double) * S);
        for (int n = 1;; n++) {
            q_from_v(m, w.V, m->gamma, w.Q);
            for (int s = 0; s < S; s++)
                w.tmp[s] = dot_row(pi + (size_t)s * A, w.Q + (size_t)s * A, A);
            double d = sup_diff(w.tmp, w.V, S);
            memcpy(w.V, w.tmp, sizeof(double) * S);
            if (d <= thr) break;
            if (n >= max_iter) {
                work_free(&w);
                return rlc_error(RLC_ERR_STATE,
                                 "policy evaluation did not converge in %d sweeps (last change %g)",
                                 max_iter, d);
            }
        }
        q_from_v(m, w.V, m->gamma, w.Q);
    }
    work_output(m, &w, V, Q);
    work_free(&w);
    return RLC_OK;
}

/* (I - gamma P_pi) V = R_pi for a discounted MDP, into w->V and w->Q. */
static rlc_status evaluate_linear(const rlc_mdp *m, const double *pi, work *w) {
    int S = m->S, A = m->A;
    double *M = rlc_calloc((size_t)S * S, sizeof(double));
    if (!M) return RLC_ERR_NOMEM;
    for (int s = 0; s < S; s++) {
        double r = 0;
        for (int a = 0; a < A; a++) {
            double p = pi[(size_t)s * A + a];
            if (p == 0) continue;
            r += p * m->R[(size_t)s * A + a];
            rlc_mdp_row(m, s, a, w->tmp);
            for (int s2 = 0; s2 < S; s2++)
                M[(size_t)s * S + s2] -= m->gamma * p * w->tmp[s2];
        }
        M[(size_t)s * S + s] += 1.0;
        w->V[s] = r;
    }
    int bad = rlc__solve_dense(M, w->V, S);
    rlc_free(M);
    if (bad) return rlc_error(RLC_ERR_STATE, "policy evaluation: singular linear system");
    q_from_v(m, w->V, m->gamma, w->Q);
    return RLC_OK;
}

rlc_status rlc_mdp_policy_evaluate_exact(const rlc_mdp *m, const double *pi, double *V, double *Q) {
    if (!m || !pi) return rlc_error(RLC_ERR_INVALID, "policy evaluation: NULL argument");
    work w;
    rlc_status st = work_alloc(m, &w);
    if (st) return st;
    if (m->H > 0)
        evaluate_episodic(m, pi, &w);
    else if ((st = evaluate_linear(m, pi, &w))) {
        work_free(&w);
        return st;
    }
    work_output(m, &w, V, Q);
    work_free(&w);
    return RLC_OK;
}

rlc_status rlc_mdp_policy_iteration(const rlc_mdp *m, int max_iter, double *V, double *Q, int *act,
                                    int *iters) {
    if (!m) return rlc_error(RLC_ERR_INVALID, "mdp: NULL");
    size_t TS = (size_t)rlc_mdp_stages(m) * m->S;
    int A = m->A;
    work w;
    rlc_status st = work_alloc(m, &w);
    if (st) return st;
    int *cur = rlc_calloc(TS, sizeof(int));
    double *pi = rlc_malloc(sizeof(double) * TS * A);
    if (!cur || !pi) {
        rlc_free(cur);
        rlc_free(pi);
        work_free(&w);
        return RLC_ERR_NOMEM;
    }
    int rounds = 0;
    for (;;) {
        rlc_mdp_policy_from_actions(m, cur, pi);
        if (m->H > 0)
            evaluate_episodic(m, pi, &w);
        else if ((st = evaluate_linear(m, pi, &w)))
            break;
        rounds++;
        int changed = 0;
        for (size_t i = 0; i < TS; i++) {
            const double *q = w.Q + i * A;
            int b = rlc__argmax(q, A);
            double margin = 1e-12 * fmax(1.0, fabs(q[cur[i]]));
            if (q[b] > q[cur[i]] + margin) {
                cur[i] = b;
                changed = 1;
            }
        }
        if (!changed) break;
        if (rounds >= max_iter) {
            st = rlc_error(RLC_ERR_STATE, "policy iteration did not converge in %d rounds",
                           max_iter);
            break;
        }
    }
    if (!st) {
        work_output(m, &w, V, Q);
        if (act) memcpy(act, cur, sizeof(int) * TS);
        if (iters) *iters = rounds;
    }
    rlc_free(cur);
    rlc_free(pi);
    work_free(&w);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * KL-regularised value iteration
 * ------------------------------------------------------------------------------------- */

double rlc__soft_value(const double *q, const double *ref, int A, double lambda, double *pol) {
    double mx = -INFINITY;
    for (int a = 0; a < A; a++)
        if (ref[a] > 0 && q[a] > mx) mx = q[a];
    double z = 0;
    for (int a = 0; a < A; a++)
        if (ref[a] > 0) z += ref[a] * exp((q[a] - mx) / lambda);
    double v = mx + lambda * log(z);
    if (pol)
        for (int a = 0; a < A; a++)
            pol[a] = ref[a] > 0 ? ref[a] * exp((q[a] - mx) / lambda) / z : 0;
    return v;
}

rlc_status rlc_mdp_kl_value_iteration(const rlc_mdp *m, const double *pi_ref, double lambda,
                                      double tol, int max_iter, double *V, double *Q, double *pi) {
    rlc_status st = check_iter_args(m, tol);
    if (st) return st;
    if (!pi_ref) return rlc_error(RLC_ERR_INVALID, "KL value iteration: NULL reference policy");
    if (!(lambda > 0) || !isfinite(lambda))
        return rlc_error(RLC_ERR_INVALID, "KL value iteration: temperature %g must be positive",
                         lambda);
    if ((st = rlc__check_policy(m, pi_ref, "pi_ref"))) return st;
    work w;
    if ((st = work_alloc(m, &w))) return st;
    int S = m->S, A = m->A;
    if (m->H > 0) {
        for (int h = m->H - 1; h >= 0; h--) {
            double *Qh = w.Q + (size_t)h * S * A;
            q_from_v(m, h + 1 < m->H ? w.V + (size_t)(h + 1) * S : NULL, 1.0, Qh);
            for (int s = 0; s < S; s++)
                w.V[(size_t)h * S + s] = rlc__soft_value(
                    Qh + (size_t)s * A, pi_ref + ((size_t)h * S + s) * A, A, lambda, NULL);
        }
    } else {
        double thr = stop_threshold(m->gamma, tol);
        memset(w.V, 0, sizeof(double) * S);
        for (int n = 1;; n++) {
            q_from_v(m, w.V, m->gamma, w.Q);
            for (int s = 0; s < S; s++)
                w.tmp[s] =
                    rlc__soft_value(w.Q + (size_t)s * A, pi_ref + (size_t)s * A, A, lambda, NULL);
            double d = sup_diff(w.tmp, w.V, S);
            memcpy(w.V, w.tmp, sizeof(double) * S);
            if (d <= thr) break;
            if (n >= max_iter) {
                work_free(&w);
                return rlc_error(
                    RLC_ERR_STATE,
                    "KL value iteration did not converge in %d sweeps (last change %g)", max_iter,
                    d);
            }
        }
        q_from_v(m, w.V, m->gamma, w.Q);
    }
    if (pi) {
        size_t TS = (size_t)rlc_mdp_stages(m) * S;
        for (size_t i = 0; i < TS; i++)
            rlc__soft_value(w.Q + i * A, pi_ref + i * A, A, lambda, pi + i * A);
    }
    work_output(m, &w, V, Q);
    work_free(&w);
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Robust value iteration over a finite set of models
 * ------------------------------------------------------------------------------------- */

/* Q(s,a) = min_m R_m + gamma E_m[Vnext] (Vnext NULL: 0). */
static void robust_q(const rlc_mdp *const *ms, int n, const double *Vnext, double gamma,
                     double *Q) {
    const rlc_mdp *m0 = ms[0];
    for (int s = 0; s < m0->S; s++)
        for (int a = 0; a < m0->A; a++) {
            size_t i = (size_t)s * m0->A + a;
            double best = INFINITY;
            for (int k = 0; k < n; k++) {
                double q = ms[k]->R[i] + (Vnext ? gamma * rlc_mdp_expect(ms[k], s, a, Vnext) : 0);
                if (q < best) best = q;
            }
            Q[i] = best;
        }
}

rlc_status rlc_mdp_robust_value_iteration(const rlc_mdp *const *models, int n, double tol,
                                          int max_iter, double *V, double *Q, int *act) {
    if (!models || n < 1) return rlc_error(RLC_ERR_INVALID, "robust value iteration: no models");
    for (int k = 0; k < n; k++) {
        const rlc_mdp *mk = models[k];
        if (!mk) return rlc_error(RLC_ERR_INVALID, "robust value iteration: model %d is NULL", k);
        if (mk->S != models[0]->S || mk->A != models[0]->A || mk->H != models[0]->H ||
            (mk->H == 0 && mk->gamma != models[0]->gamma))
            return rlc_error(RLC_ERR_INVALID,
                             "robust value iteration: model %d differs in S, A, H or gamma from "
                             "model 0",
                             k);
    }
    const rlc_mdp *m = models[0];
    rlc_status st = check_iter_args(m, tol);
    if (st) return st;
    work w;
    if ((st = work_alloc(m, &w))) return st;
    int S = m->S, A = m->A;
    if (m->H > 0) {
        for (int h = m->H - 1; h >= 0; h--) {
            double *Qh = w.Q + (size_t)h * S * A;
            robust_q(models, n, h + 1 < m->H ? w.V + (size_t)(h + 1) * S : NULL, 1.0, Qh);
            for (int s = 0; s < S; s++)
                w.V[(size_t)h * S + s] = max_row(Qh + (size_t)s * A, A);
        }
    } else {
        double thr = stop_threshold(m->gamma, tol);
        memset(w.V, 0, sizeof(double) * S);
        for (int it = 1;; it++) {
            robust_q(models, n, w.V, m->gamma, w.Q);
            for (int s = 0; s < S; s++)
                w.tmp[s] = max_row(w.Q + (size_t)s * A, A);
            double d = sup_diff(w.tmp, w.V, S);
            memcpy(w.V, w.tmp, sizeof(double) * S);
            if (d <= thr) break;
            if (it >= max_iter) {
                work_free(&w);
                return rlc_error(RLC_ERR_STATE,
                                 "robust value iteration did not converge in %d sweeps", max_iter);
            }
        }
        robust_q(models, n, w.V, m->gamma, w.Q);
    }
    work_output(m, &w, V, Q);
    if (act) rlc_mdp_greedy(m, w.Q, act);
    work_free(&w);
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Effective horizon
 * ------------------------------------------------------------------------------------- */

rlc_status rlc_mdp_effective_horizon(const rlc_mdp *m, const double *pi_explore, int max_k,
                                     double tol, rlc_effective_horizon *out, double *Hk) {
    if (!m || !out) return rlc_error(RLC_ERR_INVALID, "effective horizon: NULL argument");
    if (m->H <= 0)
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "effective horizon: defined for episodic MDPs (H > 0) only");
    if (!(tol >= 0)) return rlc_error(RLC_ERR_INVALID, "effective horizon: tol = %g < 0", tol);
    rlc_status st;
    if (pi_explore && (st = rlc__check_policy(m, pi_explore, "pi_explore"))) return st;
    int H = m->H, S = m->S, A = m->A;
    if (max_k <= 0 || max_k > H) max_k = H;
    size_t TS = (size_t)H * S, TSA = TS * A;
    double *buf = rlc_malloc(sizeof(double) * (TSA * 6 + TS * 2 + (size_t)S));
    unsigned char *reach = rlc_malloc(TS);
    if (!buf || !reach) {
        rlc_free(buf);
        rlc_free(reach);
        return RLC_ERR_NOMEM;
    }
    double *Qk = buf, *Qn = Qk + TSA, *Qs = Qn + TSA, *Qmin = Qs + TSA, *vb = Qmin + TSA,
           *vn = vb + TSA, *Vs = vn + TSA, *Vtmp = Vs + TS, *row = Vtmp + TS;
    double *pol = NULL;
    if (!pi_explore) {
        pol = rlc_malloc(sizeof(double) * TSA);
        if (!pol) {
            rlc_free(buf);
            rlc_free(reach);
            return RLC_ERR_NOMEM;
        }
        rlc_mdp_policy_uniform(m, pol);
        pi_explore = pol;
    }
    /* Q^1 (exploration policy), Q* and the worst policy's Q, by backward induction. */
    for (int h = H - 1; h >= 0; h--) {
        const double *Vn1 = h + 1 < H ? Vs + (size_t)(h + 1) * S : NULL;
        const double *Ve1 = h + 1 < H ? Vtmp + (size_t)(h + 1) * S : NULL;
        double *qs = Qs + (size_t)h * S * A, *qk = Qk + (size_t)h * S * A;
        q_from_v(m, Vn1, 1.0, qs);
        q_from_v(m, Ve1, 1.0, qk);
        for (int s = 0; s < S; s++) {
            Vs[(size_t)h * S + s] = max_row(qs + (size_t)s * A, A);
            Vtmp[(size_t)h * S + s] =
                dot_row(pi_explore + ((size_t)h * S + s) * A, qk + (size_t)s * A, A);
        }
    }
    for (int h = H - 1; h >= 0; h--) {
        double *qm = Qmin + (size_t)h * S * A;
        if (h + 1 < H) {
            const double *qn = Qmin + (size_t)(h + 1) * S * A;
            for (int s = 0; s < S; s++) {
                double v = qn[(size_t)s * A];
                for (int a = 1; a < A; a++)
                    v = fmin(v, qn[(size_t)s * A + a]);
                row[s] = v;
            }
            q_from_v(m, row, 1.0, qm);
        } else {
            q_from_v(m, NULL, 1.0, qm);
        }
    }
    for (size_t i = 0; i < TSA; i++) {
        double v = (Qk[i] - Qmin[i]) * (Qs[i] - Qmin[i]);
        vb[i] = v > 0 ? v : 0;
    }
    rlc_effective_horizon res = {0, (double)H, 0, 0, 0, 0};
    if (Hk)
        for (int k = 0; k < H; k++)
            Hk[k] = NAN;
    double lnA = log((double)A);
    for (int k = 1; k <= H; k++) {
        int need_hk = k <= max_k && (double)k < res.H_bar;
        if (res.min_k && !need_hk) break;
        /* Check k-QVI-solvability along the states reachable by greedy actions of Q^k. */
        memset(reach, 0, TS);
        for (int s = 0; s < S; s++)
            reach[s] = m->mu0[s] > 0;
        int works = 1;
        double mk = 1, gap_at = 0, var_at = 0;
        for (int h = 0; h < H && works; h++)
            for (int s = 0; s < S; s++) {
                if (!reach[(size_t)h * S + s]) continue;
                const double *q = Qk + ((size_t)h * S + s) * A, *qs = Qs + ((size_t)h * S + s) * A;
                const double *v = vb + ((size_t)h * S + s) * A;
                double vstar = Vs[(size_t)h * S + s], maxq = -INFINITY, maxsub = -INFINITY,
                       maxvar = 0;
                for (int a = 0; a < A; a++) {
                    if (q[a] > maxq) maxq = q[a];
                    if (qs[a] < vstar - tol && q[a] > maxsub) maxsub = q[a];
                    if (v[a] > maxvar) maxvar = v[a];
                }
                if (maxsub != -INFINITY) {
                    if (!(maxq > maxsub)) {
                        works = 0;
                        break;
                    }
                    double gap = maxq - maxsub;
                    double lg = log(2.0) + log((double)H) + k * lnA;
                    double mm = ceil(16.0 * maxvar / (gap * gap) * lg);
                    if (mm < 1) mm = 1;
                    if (mm > mk) {
                        mk = mm;
                        gap_at = gap;
                        var_at = maxvar;
                    }
                }
                if (h + 1 < H)
                    for (int a = 0; a < A; a++) {
                        if (!(q[a] > maxsub)) continue;
                        rlc_mdp_row(m, s, a, row);
                        for (int s2 = 0; s2 < S; s2++)
                            if (row[s2] > 0) reach[(size_t)(h + 1) * S + s2] = 1;
                    }
            }
        if (works && !res.min_k) res.min_k = k;
        if (need_hk) {
            double hk = works ? k + (A > 1 ? log(mk) / lnA : 0) : INFINITY;
            if (Hk) Hk[k - 1] = hk;
            if (hk < res.H_bar) {
                res.H_bar = hk;
                res.best_k = k;
                res.m = mk;
                res.gap = gap_at;
                res.var = var_at;
            }
        }
        /* One Bellman optimality backup of Q^k and of the variance bound. */
        for (int h = 0; h + 1 < H; h++) {
            const double *qn = Qk + (size_t)(h + 1) * S * A, *vbn = vb + (size_t)(h + 1) * S * A;
            for (int s = 0; s < S; s++) {
                Vtmp[s] = max_row(qn + (size_t)s * A, A);
                row[s] = max_row(vbn + (size_t)s * A, A);
            }
            double *qo = Qn + (size_t)h * S * A, *vo = vn + (size_t)h * S * A;
            q_from_v(m, Vtmp, 1.0, qo);
            for (int s = 0; s < S; s++)
                for (int a = 0; a < A; a++) {
                    double mxv = 0;
                    size_t r0 = (size_t)s * A + a;
                    if (m->sparse) {
                        for (int64_t e = m->rowptr[r0]; e < m->rowptr[r0 + 1]; e++)
                            if (m->val[e] > 0 && row[m->col[e]] > mxv) mxv = row[m->col[e]];
                    } else {
                        const double *p = m->P + r0 * S;
                        for (int s2 = 0; s2 < S; s2++)
                            if (p[s2] > 0 && row[s2] > mxv) mxv = row[s2];
                    }
                    vo[r0] = mxv;
                }
        }
        size_t last = (size_t)(H - 1) * S * A;
        memcpy(Qk, Qn, sizeof(double) * last);
        memcpy(vb, vn, sizeof(double) * last);
    }
    rlc_free(pol);
    rlc_free(buf);
    rlc_free(reach);
    *out = res;
    return RLC_OK;
}
