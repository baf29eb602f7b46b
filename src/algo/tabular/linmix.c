/* Linear mixture MDPs (P(s'|s,a) = <phi(s'|s,a), theta>) and UCRL-VTR: optimistic planning
 * with theta estimated by (weighted) ridge regression of next-state values. */
#include <math.h>
#include <string.h>

#include "algo/tabular/tabular_impl.h"

/* ---------------------------------------------------------------------------------------
 * Linear mixture MDPs
 * ------------------------------------------------------------------------------------- */

void rlc_linmix_destroy(rlc_linmix *lm) {
    if (!lm) return;
    rlc_free(lm->phi);
    rlc_free(lm->theta);
    rlc_free(lm->R);
    rlc_free(lm->mu0);
    rlc_free(lm);
}

rlc_status rlc_linmix_random(rlc_linmix **out, int S, int A, int H, int d, double alpha,
                             uint64_t seed) {
    if (!out) return rlc_error(RLC_ERR_INVALID, "linmix: out is NULL");
    if (S < 1 || A < 1 || H < 1 || d < 1)
        return rlc_error(RLC_ERR_INVALID, "linmix: S = %d, A = %d, H = %d, d = %d must be >= 1", S,
                         A, H, d);
    if (!(alpha > 0) || !isfinite(alpha))
        return rlc_error(RLC_ERR_INVALID, "linmix: alpha = %g must be positive", alpha);
    if ((double)S * A * S * d > 1e9)
        return rlc_error(RLC_ERR_RANGE, "linmix: S*A*S*d is too large");
    rlc_linmix *lm = rlc_calloc(1, sizeof *lm);
    if (!lm) return RLC_ERR_NOMEM;
    lm->S = S;
    lm->A = A;
    lm->H = H;
    lm->d = d;
    size_t SA = (size_t)S * A;
    lm->phi = rlc_malloc(sizeof(double) * SA * S * d);
    lm->theta = rlc_malloc(sizeof(double) * (size_t)d);
    lm->R = rlc_malloc(sizeof(double) * SA);
    lm->mu0 = rlc_calloc((size_t)S, sizeof(double));
    double *row = rlc_malloc(sizeof(double) * (size_t)S);
    if (!lm->phi || !lm->theta || !lm->R || !lm->mu0 || !row) {
        rlc_free(row);
        rlc_linmix_destroy(lm);
        return RLC_ERR_NOMEM;
    }
    rlc_rng r;
    rlc_rng_seed(&r, seed);
    for (int i = 0; i < d; i++)
        for (size_t sa = 0; sa < SA; sa++) {
            rlc__dirichlet(&r, alpha, S, row);
            for (int s2 = 0; s2 < S; s2++)
                lm->phi[(sa * S + s2) * d + i] = row[s2];
        }
    rlc__dirichlet(&r, 1.0, d, lm->theta);
    for (size_t i = 0; i < SA; i++)
        lm->R[i] = rlc_rng_random(&r);
    lm->mu0[0] = 1;
    rlc_free(row);
    *out = lm;
    return RLC_OK;
}

rlc_status rlc_linmix_to_mdp(const rlc_linmix *lm, const double *theta, rlc_mdp **out) {
    if (!lm || !out) return rlc_error(RLC_ERR_INVALID, "linmix: NULL argument");
    if (!theta) theta = lm->theta;
    int S = lm->S, A = lm->A, d = lm->d;
    rlc_mdp *m;
    rlc_status st = rlc_mdp_create_dense(&m, S, A, lm->H, 1.0);
    if (st) return st;
    size_t n = (size_t)S * A * S;
    for (size_t i = 0; i < n; i++) {
        double p = 0;
        for (int j = 0; j < d; j++)
            p += lm->phi[i * d + j] * theta[j];
        m->P[i] = p;
    }
    memcpy(m->R, lm->R, sizeof(double) * (size_t)S * A);
    memcpy(m->mu0, lm->mu0, sizeof(double) * (size_t)S);
    if ((st = rlc_mdp_validate(m))) {
        rlc_mdp_destroy(m);
        return st;
    }
    *out = m;
    return RLC_OK;
}

void rlc_linmix_phi_v(const rlc_linmix *lm, int s, int a, const double *V, double *out) {
    int S = lm->S, d = lm->d;
    const double *f = lm->phi + ((size_t)s * lm->A + a) * S * d;
    for (int j = 0; j < d; j++)
        out[j] = 0;
    for (int s2 = 0; s2 < S; s2++) {
        double v = V[s2];
        if (v == 0) continue;
        for (int j = 0; j < d; j++)
            out[j] += f[(size_t)s2 * d + j] * v;
    }
}

/* ---------------------------------------------------------------------------------------
 * UCRL-VTR
 * ------------------------------------------------------------------------------------- */

struct rlc_vtr {
    const rlc_linmix *lm;
    rlc_vtr_options o;
    int d, S, A, H;
    double *Sigma;      /* [d*d] */
    double *bvec;       /* [d] */
    double *Lc;         /* Cholesky factor of Sigma [d*d] */
    double *theta;      /* [d] */
    double *V;          /* values of the last plan [(H+1)*S] */
    double *x, *z, *xo; /* scratch [d] */
    int dirty;          /* samples added since the last factorisation */
};

void rlc_vtr_options_init(rlc_vtr_options *o) {
    o->ridge = 1.0;
    o->beta = 1.0;
}

void rlc_vtr_destroy(rlc_vtr *v) {
    if (!v) return;
    rlc_free(v->Sigma);
    rlc_free(v->bvec);
    rlc_free(v->Lc);
    rlc_free(v->theta);
    rlc_free(v->V);
    rlc_free(v->x);
    rlc_free(v->z);
    rlc_free(v->xo);
    rlc_free(v);
}

rlc_status rlc_vtr_create(rlc_vtr **out, const rlc_linmix *lm, const rlc_vtr_options *o) {
    if (!out || !lm || !o) return rlc_error(RLC_ERR_INVALID, "vtr: NULL argument");
    if (!(o->ridge > 0) || !isfinite(o->ridge))
        return rlc_error(RLC_ERR_INVALID, "vtr: ridge = %g must be positive", o->ridge);
    if (!(o->beta >= 0) || !isfinite(o->beta))
        return rlc_error(RLC_ERR_INVALID, "vtr: beta = %g must be >= 0", o->beta);
    rlc_vtr *v = rlc_calloc(1, sizeof *v);
    if (!v) return RLC_ERR_NOMEM;
    int d = lm->d;
    v->lm = lm;
    v->o = *o;
    v->d = d;
    v->S = lm->S;
    v->A = lm->A;
    v->H = lm->H;
    v->Sigma = rlc_calloc((size_t)d * d, sizeof(double));
    v->bvec = rlc_calloc((size_t)d, sizeof(double));
    v->Lc = rlc_calloc((size_t)d * d, sizeof(double));
    v->theta = rlc_calloc((size_t)d, sizeof(double));
    v->V = rlc_calloc((size_t)(lm->H + 1) * lm->S, sizeof(double));
    v->x = rlc_malloc(sizeof(double) * (size_t)d);
    v->z = rlc_malloc(sizeof(double) * (size_t)d);
    v->xo = rlc_malloc(sizeof(double) * (size_t)d);
    if (!v->Sigma || !v->bvec || !v->Lc || !v->theta || !v->V || !v->x || !v->z || !v->xo) {
        rlc_vtr_destroy(v);
        return RLC_ERR_NOMEM;
    }
    for (int i = 0; i < d; i++)
        v->Sigma[(size_t)i * d + i] = o->ridge;
    v->dirty = 1;
    *out = v;
    return RLC_OK;
}

static rlc_status refresh(rlc_vtr *v) {
    if (!v->dirty) return RLC_OK;
    if (rlc__cholesky(v->Sigma, v->Lc, v->d))
        return rlc_error(RLC_ERR_STATE, "vtr: Sigma is not positive definite");
    rlc__cholesky_solve(v->Lc, v->bvec, v->theta, v->d);
    v->dirty = 0;
    return RLC_OK;
}

/* ||x||_{Sigma^-1} with a fresh factor. */
static double width(rlc_vtr *v, const double *x) {
    int d = v->d;
    double acc = 0;
    for (int i = 0; i < d; i++) {
        double t = x[i];
        for (int k = 0; k < i; k++)
            t -= v->Lc[(size_t)i * d + k] * v->z[k];
        v->z[i] = t / v->Lc[(size_t)i * d + i];
        acc += v->z[i] * v->z[i];
    }
    return sqrt(acc);
}

double rlc_vtr_width(rlc_vtr *v, const double *x) {
    if (!v || !x || refresh(v)) return NAN;
    return width(v, x);
}

rlc_status rlc_vtr_theta(const rlc_vtr *v, double *theta) {
    if (!v || !theta) return rlc_error(RLC_ERR_INVALID, "vtr: NULL argument");
    rlc_status st = refresh((rlc_vtr *)v); /* caches the factor; logically const */
    if (st) return st;
    memcpy(theta, v->theta, sizeof(double) * (size_t)v->d);
    return RLC_OK;
}

rlc_status rlc_vtr_plan(rlc_vtr *v, const double *R, int *act, double *V) {
    if (!v || !act) return rlc_error(RLC_ERR_INVALID, "vtr: NULL argument");
    rlc_status st = refresh(v);
    if (st) return st;
    const rlc_linmix *lm = v->lm;
    if (!R) R = lm->R;
    int S = v->S, A = v->A, H = v->H, d = v->d;
    memset(v->V + (size_t)H * S, 0, sizeof(double) * S);
    for (int h = H - 1; h >= 0; h--) {
        const double *Vn = v->V + (size_t)(h + 1) * S;
        double cap = H - h;
        for (int s = 0; s < S; s++) {
            double best = -INFINITY;
            int ba = 0;
            for (int a = 0; a < A; a++) {
                double q = R[(size_t)s * A + a];
                if (h + 1 < H) {
                    rlc_linmix_phi_v(lm, s, a, Vn, v->x);
                    double mean = 0;
                    for (int j = 0; j < d; j++)
                        mean += v->x[j] * v->theta[j];
                    q += mean + v->o.beta * width(v, v->x);
                }
                q = fmin(cap, fmax(0, q));
                if (q > best) {
                    best = q;
                    ba = a;
                }
            }
            act[(size_t)h * S + s] = ba;
            v->V[(size_t)h * S + s] = best;
        }
    }
    if (V) memcpy(V, v->V, sizeof(double) * (size_t)H * S);
    return RLC_OK;
}

void rlc_vtr_add_sample(rlc_vtr *v, const double *x, double y, double sigma2) {
    if (!v || !x || !(sigma2 > 0) || !isfinite(y)) return;
    int d = v->d;
    double w = 1.0 / sigma2;
    for (int i = 0; i < d; i++) {
        v->bvec[i] += w * x[i] * y;
        for (int j = 0; j < d; j++)
            v->Sigma[(size_t)i * d + j] += w * x[i] * x[j];
    }
    v->dirty = 1;
}

void rlc_vtr_observe(rlc_vtr *v, int h, int s, int a, int s2, double sigma2) {
    if (!v || h < 0 || h + 1 >= v->H || s < 0 || s >= v->S || a < 0 || a >= v->A || s2 < 0 ||
        s2 >= v->S)
        return;
    const double *Vn = v->V + (size_t)(h + 1) * v->S;
    rlc_linmix_phi_v(v->lm, s, a, Vn, v->xo);
    rlc_vtr_add_sample(v, v->xo, Vn[s2], sigma2);
}

rlc_status rlc_vtr_run(const rlc_linmix *lm, const rlc_vtr_options *o, int64_t episodes,
                       uint64_t seed, double *regret) {
    if (episodes < 1 || !regret)
        return rlc_error(RLC_ERR_INVALID, "vtr: needs episodes >= 1 and a regret array");
    rlc_vtr *v;
    rlc_status st = rlc_vtr_create(&v, lm, o);
    if (st) return st;
    rlc_mdp *m = NULL;
    int S = lm->S, A = lm->A, H = lm->H;
    size_t TS = (size_t)H * S;
    double *Vs = rlc_malloc(sizeof(double) * TS), *Vp = rlc_malloc(sizeof(double) * TS);
    double *pi = rlc_malloc(sizeof(double) * TS * A);
    int *act = rlc_malloc(sizeof(int) * TS);
    int *states = rlc_malloc(sizeof(int) * (size_t)(H + 1)), *acts = rlc_malloc(sizeof(int) * H);
    if (!Vs || !Vp || !pi || !act || !states || !acts) {
        st = RLC_ERR_NOMEM;
        goto done;
    }
    if ((st = rlc_linmix_to_mdp(lm, NULL, &m))) goto done;
    if ((st = rlc_mdp_value_iteration(m, 1e-9, 1, Vs, NULL, NULL, NULL))) goto done;
    double vstar = rlc_mdp_start_value(m, Vs), cum = 0;
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    for (int64_t k = 0; k < episodes; k++) {
        if ((st = rlc_vtr_plan(v, NULL, act, NULL))) goto done;
        rlc_mdp_policy_from_actions(m, act, pi);
        if ((st = rlc_mdp_policy_evaluate_exact(m, pi, Vp, NULL))) goto done;
        cum += vstar - rlc_mdp_start_value(m, Vp);
        regret[k] = cum;
        rlc_mdp_rollout(m, pi, H, &rng, states, acts);
        for (int h = 0; h < H; h++)
            rlc_vtr_observe(v, h, states[h], acts[h], states[h + 1], 1.0);
    }
done:
    rlc_free(Vs);
    rlc_free(Vp);
    rlc_free(pi);
    rlc_free(act);
    rlc_free(states);
    rlc_free(acts);
    rlc_mdp_destroy(m);
    rlc_vtr_destroy(v);
    return st;
}
