/* UCBVI (Azar, Osband and Munos 2017) with Hoeffding (UCBVI-CH) and Bernstein (UCBVI-BF)
 * bonuses, its KL-regularised planning toward a reference policy, and the pessimistic policy
 * evaluation that conservative exploration builds on. */
#include <math.h>
#include <string.h>

#include "algo/tabular/tabular_impl.h"

struct rlc_ucbvi {
    int S, A, H;
    rlc_ucbvi_options o;
    double L;       /* ln(5 S A T / delta), T = K H */
    double *R;      /* [S*A] */
    double *n;      /* visits of (s, a) [S*A] */
    double *nsas;   /* transition counts [S*A*S] */
    double *nh;     /* visits of state s at stage h [H*S] (Bernstein's N') */
    double *pi_ref; /* [H*S*A] when lambda > 0 */
    double *mu0;    /* start distribution [S] */
    double *V;      /* scratch values [(H+1)*S] */
    double *Vl;     /* scratch lower values [H*S] */
    double *q;      /* scratch Q row [A] */
};

void rlc_ucbvi_options_init(rlc_ucbvi_options *o) {
    memset(o, 0, sizeof *o);
    o->bonus = RLC_BONUS_HOEFFDING;
    o->bonus_scale = 1.0;
    o->delta = 0.1;
    o->episodes = 1000;
}

void rlc_ucbvi_destroy(rlc_ucbvi *u) {
    if (!u) return;
    rlc_free(u->R);
    rlc_free(u->n);
    rlc_free(u->nsas);
    rlc_free(u->nh);
    rlc_free(u->pi_ref);
    rlc_free(u->V);
    rlc_free(u->Vl);
    rlc_free(u->mu0);
    rlc_free(u->q);
    rlc_free(u);
}

rlc_status rlc_ucbvi_create(rlc_ucbvi **out, const rlc_mdp *m, const rlc_ucbvi_options *o) {
    if (!out || !m || !o) return rlc_error(RLC_ERR_INVALID, "ucbvi: NULL argument");
    if (m->H < 1) return rlc_error(RLC_ERR_INVALID, "ucbvi: needs an episodic MDP (H >= 1)");
    if (o->bonus != RLC_BONUS_HOEFFDING && o->bonus != RLC_BONUS_BERNSTEIN)
        return rlc_error(RLC_ERR_INVALID, "ucbvi: unknown bonus %d", (int)o->bonus);
    if (!(o->bonus_scale >= 0) || !isfinite(o->bonus_scale))
        return rlc_error(RLC_ERR_INVALID, "ucbvi: bonus_scale = %g must be >= 0", o->bonus_scale);
    if (!(o->delta > 0 && o->delta < 1))
        return rlc_error(RLC_ERR_INVALID, "ucbvi: delta = %g must be in (0, 1)", o->delta);
    if (o->episodes < 1)
        return rlc_error(RLC_ERR_INVALID, "ucbvi: episodes = %lld must be >= 1",
                         (long long)o->episodes);
    if (!(o->lambda >= 0) || !isfinite(o->lambda))
        return rlc_error(RLC_ERR_INVALID, "ucbvi: lambda = %g must be >= 0", o->lambda);
    if (o->lambda > 0) {
        if (!o->pi_ref) return rlc_error(RLC_ERR_INVALID, "ucbvi: lambda > 0 needs pi_ref");
        rlc_status st = rlc__check_policy(m, o->pi_ref, "pi_ref");
        if (st) return st;
    }
    int S = m->S, A = m->A, H = m->H;
    for (int s = 0; s < S; s++)
        for (int a = 0; a < A; a++) {
            double r = m->R[(size_t)s * A + a];
            if (!(r >= 0 && r <= 1))
                return rlc_error(RLC_ERR_INVALID,
                                 "ucbvi: rewards must lie in [0, 1]; R(s=%d, a=%d) = %g", s, a, r);
        }
    rlc_ucbvi *u = rlc_calloc(1, sizeof *u);
    if (!u) return RLC_ERR_NOMEM;
    u->S = S;
    u->A = A;
    u->H = H;
    u->o = *o;
    u->o.pi_ref = NULL;
    u->L = log(5.0 * S * A * (double)H * (double)o->episodes / o->delta);
    size_t SA = (size_t)S * A;
    u->R = rlc_malloc(sizeof(double) * SA);
    u->n = rlc_calloc(SA, sizeof(double));
    u->nsas = rlc_calloc(SA * S, sizeof(double));
    u->nh = rlc_calloc((size_t)H * S, sizeof(double));
    u->V = rlc_calloc((size_t)(H + 1) * S, sizeof(double));
    u->q = rlc_malloc(sizeof(double) * (size_t)A);
    u->Vl = rlc_malloc(sizeof(double) * (size_t)H * S);
    u->mu0 = rlc_malloc(sizeof(double) * (size_t)S);
    if (o->lambda > 0) u->pi_ref = rlc_malloc(sizeof(double) * (size_t)H * SA);
    if (!u->R || !u->n || !u->nsas || !u->nh || !u->V || !u->q || !u->Vl || !u->mu0 ||
        (o->lambda > 0 && !u->pi_ref)) {
        rlc_ucbvi_destroy(u);
        return RLC_ERR_NOMEM;
    }
    memcpy(u->R, m->R, sizeof(double) * SA);
    memcpy(u->mu0, m->mu0, sizeof(double) * (size_t)S);
    if (u->pi_ref) memcpy(u->pi_ref, o->pi_ref, sizeof(double) * (size_t)H * SA);
    *out = u;
    return RLC_OK;
}

void rlc_ucbvi_observe(rlc_ucbvi *u, int h, int s, int a, int s2) {
    if (!u || h < 0 || h >= u->H || s < 0 || s >= u->S || a < 0 || a >= u->A || s2 < 0 ||
        s2 >= u->S)
        return;
    size_t i = (size_t)s * u->A + a;
    u->n[i] += 1;
    u->nsas[i * u->S + s2] += 1;
    u->nh[(size_t)h * u->S + s] += 1;
}

int64_t rlc_ucbvi_count(const rlc_ucbvi *u, int s, int a) {
    if (!u || s < 0 || s >= u->S || a < 0 || a >= u->A) return 0;
    return (int64_t)u->n[(size_t)s * u->A + a];
}

/* Empirical mean P^ Vn and the bonus of (s, a) at stage h (n > 0). */
static double mean_and_bonus(const rlc_ucbvi *u, int h, size_t i, const double *Vn, double *bonus) {
    int S = u->S, H = u->H;
    double n = u->n[i], L = u->L;
    const double *c = u->nsas + i * S;
    double ev = 0, ev2 = 0, corr = 0;
    int bern = u->o.bonus == RLC_BONUS_BERNSTEIN;
    for (int y = 0; y < S; y++) {
        if (c[y] == 0) continue;
        double p = c[y] / n;
        ev += p * Vn[y];
        if (bern) {
            ev2 += p * Vn[y] * Vn[y];
            if (h + 1 < H) {
                double np = u->nh[(size_t)(h + 1) * S + y];
                double big = 1e4 * (double)H * H * H * (double)S * S * u->A * L * L;
                double t = np > 0 ? big / np : INFINITY;
                corr += p * fmin(t, (double)H * H);
            }
        }
    }
    double b;
    if (bern) {
        double var = ev2 - ev * ev;
        if (var < 0) var = 0;
        b = sqrt(8 * L * var / n) + 14.0 * H * L / (3 * n) + sqrt(8 * corr / n);
    } else {
        b = 7.0 * H * L * sqrt(1.0 / n);
    }
    *bonus = u->o.bonus_scale * b;
    return ev;
}

/* Backward induction with the bonus added (optimistic, sign +1: unvisited pairs get the
 * remaining horizon) or subtracted (pessimistic, sign -1: unvisited pairs get 0). */
static void plan_sign(rlc_ucbvi *u, int sign, double *pi, double *V) {
    int S = u->S, A = u->A, H = u->H;
    memset(u->V + (size_t)H * S, 0, sizeof(double) * S);
    for (int h = H - 1; h >= 0; h--) {
        const double *Vn = u->V + (size_t)(h + 1) * S;
        double cap = H - h;
        for (int s = 0; s < S; s++) {
            for (int a = 0; a < A; a++) {
                size_t i = (size_t)s * A + a;
                double q = sign > 0 ? cap : 0;
                if (u->n[i] > 0) {
                    double b, ev = mean_and_bonus(u, h, i, Vn, &b);
                    q = sign > 0 ? fmin(cap, u->R[i] + ev + b) : fmax(0, u->R[i] + ev - b);
                }
                u->q[a] = q;
            }
            double *p = pi + ((size_t)h * S + s) * A;
            double v;
            if (u->o.lambda > 0) {
                v = rlc__soft_value(u->q, u->pi_ref + ((size_t)h * S + s) * A, A, u->o.lambda, p);
            } else {
                int b = rlc__argmax(u->q, A);
                v = u->q[b];
                memset(p, 0, sizeof(double) * A);
                p[b] = 1;
            }
            u->V[(size_t)h * S + s] = v;
        }
    }
    if (V) memcpy(V, u->V, sizeof(double) * (size_t)H * S);
}

rlc_status rlc_ucbvi_plan(rlc_ucbvi *u, double *pi, double *V) {
    if (!u || !pi) return rlc_error(RLC_ERR_INVALID, "ucbvi: NULL argument");
    plan_sign(u, 1, pi, V);
    return RLC_OK;
}

rlc_status rlc_ucbvi_plan_pessimistic(rlc_ucbvi *u, double *pi, double *V) {
    if (!u || !pi) return rlc_error(RLC_ERR_INVALID, "ucbvi: NULL argument");
    plan_sign(u, -1, pi, V);
    return RLC_OK;
}

rlc_status rlc_ucbvi_lower_value(rlc_ucbvi *u, const double *pi, double *V) {
    if (!u || !pi || !V) return rlc_error(RLC_ERR_INVALID, "ucbvi: NULL argument");
    int S = u->S, A = u->A, H = u->H;
    memset(u->V + (size_t)H * S, 0, sizeof(double) * S);
    for (int h = H - 1; h >= 0; h--) {
        const double *Vn = u->V + (size_t)(h + 1) * S;
        for (int s = 0; s < S; s++) {
            const double *p = pi + ((size_t)h * S + s) * A;
            double v = 0;
            for (int a = 0; a < A; a++) {
                if (p[a] == 0) continue;
                size_t i = (size_t)s * A + a;
                double q = 0;
                if (u->n[i] > 0) {
                    double b, ev = mean_and_bonus(u, h, i, Vn, &b);
                    q = fmax(0, u->R[i] + ev - b);
                }
                v += p[a] * q;
            }
            u->V[(size_t)h * S + s] = v;
        }
    }
    memcpy(V, u->V, sizeof(double) * (size_t)H * S);
    return RLC_OK;
}

static double lower_start(rlc_ucbvi *u, const double *pi) {
    rlc_ucbvi_lower_value(u, pi, u->Vl);
    double v = 0;
    for (int s = 0; s < u->S; s++)
        v += u->mu0[s] * u->Vl[s];
    return v;
}

static void mix(const rlc_ucbvi *u, double rho, const double *a, const double *b, double *out) {
    size_t n = (size_t)u->H * u->S * u->A;
    for (size_t i = 0; i < n; i++)
        out[i] = rho * a[i] + (1 - rho) * b[i];
}

rlc_status rlc_ucbvi_stepmix(rlc_ucbvi *u, const double *pi_opt, const double *pi_base,
                             double threshold, double *pi_mix, double *rho) {
    if (!u || !pi_opt || !pi_base || !pi_mix)
        return rlc_error(RLC_ERR_INVALID, "stepmix: NULL argument");
    double good = -1, bad = 1.05;
    for (int g = 20; g >= 0; g--) {
        double r = g / 20.0;
        mix(u, r, pi_opt, pi_base, pi_mix);
        if (lower_start(u, pi_mix) >= threshold) {
            good = r;
            break;
        }
        bad = r;
    }
    if (good < 0) {
        good = 0;
    } else if (bad <= 1) {
        for (int it = 0; it < 8; it++) {
            double r = 0.5 * (good + bad);
            mix(u, r, pi_opt, pi_base, pi_mix);
            if (lower_start(u, pi_mix) >= threshold)
                good = r;
            else
                bad = r;
        }
    }
    mix(u, good, pi_opt, pi_base, pi_mix);
    if (rho) *rho = good;
    return RLC_OK;
}

rlc_status rlc_ucbvi_epsmix(rlc_ucbvi *u, const double *pi_opt, double v_base, double threshold,
                            double *rho) {
    if (!u || !pi_opt || !rho) return rlc_error(RLC_ERR_INVALID, "epsmix: NULL argument");
    double vl = lower_start(u, pi_opt), r = 1;
    if (vl < threshold) r = v_base > vl ? (v_base - threshold) / (v_base - vl) : 0;
    *rho = r < 0 ? 0 : r > 1 ? 1 : r;
    return RLC_OK;
}

rlc_status rlc_ucbvi_run(const rlc_mdp *m, const rlc_ucbvi_options *o, int64_t episodes,
                         uint64_t seed, double *regret) {
    if (episodes < 1 || !regret)
        return rlc_error(RLC_ERR_INVALID, "ucbvi: needs episodes >= 1 and a regret array");
    rlc_ucbvi *u;
    rlc_status st = rlc_ucbvi_create(&u, m, o);
    if (st) return st;
    int S = m->S, A = m->A, H = m->H;
    size_t TS = (size_t)H * S;
    double *Vs = rlc_malloc(sizeof(double) * TS), *Vp = rlc_malloc(sizeof(double) * TS);
    double *pi = rlc_malloc(sizeof(double) * TS * A);
    int *states = rlc_malloc(sizeof(int) * (size_t)(H + 1)), *acts = rlc_malloc(sizeof(int) * H);
    if (!Vs || !Vp || !pi || !states || !acts) {
        st = RLC_ERR_NOMEM;
        goto done;
    }
    if ((st = rlc_mdp_value_iteration(m, 1e-9, 1, Vs, NULL, NULL, NULL))) goto done;
    double vstar = rlc_mdp_start_value(m, Vs), cum = 0;
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    for (int64_t k = 0; k < episodes; k++) {
        rlc_ucbvi_plan(u, pi, NULL);
        if ((st = rlc_mdp_policy_evaluate_exact(m, pi, Vp, NULL))) goto done;
        cum += vstar - rlc_mdp_start_value(m, Vp);
        regret[k] = cum;
        rlc_mdp_rollout(m, pi, H, &rng, states, acts);
        for (int h = 0; h < H; h++)
            rlc_ucbvi_observe(u, h, states[h], acts[h], states[h + 1]);
    }
done:
    rlc_free(Vs);
    rlc_free(Vp);
    rlc_free(pi);
    rlc_free(states);
    rlc_free(acts);
    rlc_ucbvi_destroy(u);
    return st;
}
