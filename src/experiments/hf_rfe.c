/* Roadmap row 29, `rlc experiment hf-rfe`: horizon-free reward-free exploration for linear
 * mixture MDPs. Exploration without reward: an uncertainty pseudo-reward is planned with the
 * current estimate and the visited transitions feed a value-targeted regression of the
 * pseudo-reward's value function; the horizon-free method (HF-RFE) weights each sample by an
 * estimate of its variance (aleatoric, from regressions of the higher moments U^2, U^4, ...,
 * plus an epistemic term), the baseline (UCRL-RFE-style, Hoeffding) leaves the regression
 * unweighted and explores with its own Hoeffding bonus, both on the [0, H] value range of the
 * published method (an ablation gives it HF-RFE's scale-free pseudo-reward), and a
 * random-exploration baseline feeds the unweighted regression with uniformly random actions.
 * Planning: for random reward functions with total reward <= 1 per episode,
 * greedy value iteration in the estimated model; its policy is evaluated exactly in the true
 * MDP. Measured: exploration episodes until every one of the random rewards is planned
 * epsilon-optimally, as the horizon H grows from 10 to 1000. */
#include <math.h>
#include <string.h>

#include "algo/tabular/tabular_impl.h"
#include "experiments/exp_impl.h"

#define MMAX 4 /* moments U^(2^m), m < MMAX */

typedef struct setup {
    int S, A, d;
    double alpha; /* Dirichlet concentration of the base kernels */
    int nH;
    int Hs[6];
    int kmax;     /* exploration episodes at most (checkpoints up to it) */
    int nrew;     /* random reward functions per seed and horizon */
    double eps;   /* target normalised planning gap */
    int moments;  /* HF-RFE: regressions of U^(2^m), m < moments */
    double delta; /* confidence level of the radii */
} setup;

/* M_RFE is UCRL-RFE as published: per-step rewards in [0, 1] so values in [0, H], ridge 1 and a
 * Hoeffding radius on that range, and its exploration reward is its own bonus clipped to one
 * per step. Run here in the normalised frame (values / H): ridge 1/H^2, radius / H, reward
 * min(1, bonus) / H. M_RFE_NORM is the ablation: the same unweighted, scale-correct regression
 * but HF-RFE's scale-free pseudo-reward (normalised by its maximum, so it never saturates). */
enum { M_HF, M_RFE, M_RAND, M_RFE_NORM, NM };
static const char *const NAMES[NM] = {"HF-RFE (weighted)", "UCRL-RFE (Hoeffding)",
                                      "random exploration", "UCRL-RFE, normalised pseudo-reward"};

/* Working memory for one run (sized for the largest H). */
typedef struct work {
    int S, A, d, H;
    double *U;                  /* pseudo-reward value [(H+1)*S] */
    double *Up;                 /* U^(2^m) of one stage [MMAX*S] */
    double *r;                  /* pseudo-reward [S*A] */
    int *act;                   /* exploration policy [H*S], then the planning policy [H*S] */
    double *x;                  /* features [MMAX*d] */
    double *th;                 /* estimates [MMAX*d] */
    double *Ph, *P;             /* estimated / true transitions [S*A*S] */
    double *V, *Vs;             /* planning values [(H+1)*S] */
    double *R;                  /* random rewards [nrew*S*A] */
    double *vstar;              /* their optimal values [nrew] */
    double *vunif;              /* the uniform policy's values [nrew] */
    double *L, *Sig, *z, *vert; /* d*d, d*d, d, S */
} work;

/* ||x||_{Sigma^-1} with the Cholesky factor L. */
static double wnorm(const double *L, const double *x, double *z, int d) {
    double acc = 0;
    for (int i = 0; i < d; i++) {
        double t = x[i];
        for (int k = 0; k < i; k++)
            t -= L[(size_t)i * d + k] * z[k];
        z[i] = t / L[(size_t)i * d + i];
        acc += z[i] * z[i];
    }
    return sqrt(acc);
}

static double clip01(double v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* HF-RFE's confidence radius after n samples: Bernstein-type (unit-variance normalised
 * noise, smallest variance s2min, so weighted features of norm up to sqrt(d) / sigma_min...)
 * with ridge lambda = s2min and ||theta|| <= 1: sqrt(d log(1 + n / (d s2min lambda)) +
 * 2 log(1/delta)) + sqrt(lambda). */
static double radius(double n, int d, double s2min, double delta) {
    return sqrt(d * log(1 + n / (d * s2min * s2min)) + 2 * log(1 / delta)) + sqrt(s2min);
}

/* UCRL-RFE's Hoeffding radius in its own frame (targets in [0, H], ridge 1, ||theta|| <= 1),
 * divided by H to act on the normalised values: ((H/2) sqrt(d log(1 + n H^2 / d) +
 * 2 log(1/delta)) + 1) / H. */
static double radius_rfe(double n, int d, int H, double delta) {
    return 0.5 * sqrt(d * log(1 + n * (double)H * H / d) + 2 * log(1 / delta)) + 1.0 / H;
}

/* The pseudo-reward r(s, a) = u(s, a) / (H max u), u(s, a) = max_{V in [0,1]^S}
 * ||phi_V(s, a)||_{Sigma^-1}: the largest error (in units of the confidence radius) the
 * estimate can make on a one-step expectation of any value function with values in [0, 1]
 * (the norm is convex in V, so the maximum is at a vertex of the cube; enumerated, S is
 * small). Normalised by its maximum so that it never saturates (total pseudo-reward <= 1). */
static void pseudo_reward(const rlc_linmix *lm, work *w, const double *L) {
    int S = w->S, A = w->A, d = w->d, H = w->H;
    for (int s = 0; s < S; s++)
        for (int a = 0; a < A; a++) {
            double best = 0;
            for (uint32_t mask = 1; mask < (1u << S); mask++) {
                for (int k = 0; k < S; k++)
                    w->vert[k] = (mask >> k) & 1u;
                rlc_linmix_phi_v(lm, s, a, w->vert, w->x);
                best = fmax(best, wnorm(L, w->x, w->z, d));
            }
            w->r[(size_t)s * A + a] = best;
        }
    double mx = 0;
    for (int i = 0; i < S * A; i++)
        mx = fmax(mx, w->r[i]);
    for (int i = 0; i < S * A; i++)
        w->r[i] = mx > 0 ? pow(w->r[i] / mx, 8) / H : 1.0 / H;
}

/* Plans the pseudo-reward's value U with the estimate th[0..d): U_h(s) = min(1, max_a r(s,a)
 * + <phi_{U_{h+1}}(s,a), th>), ties broken by a tiny seeded jitter; writes the greedy actions.
 * beta > 0 (UCRL-RFE): the reward is instead the bonus on its own next value,
 * r_h(s,a) = min(1, beta ||phi_{U_{h+1}}(s,a)||_{Sigma^-1}) / H with Sigma's Cholesky factor L
 * (one unit per step at most on the original [0, H] scale; the norm is scale-free). */
static void plan_pseudo(const rlc_linmix *lm, work *w, rlc_rng *rng, double beta, const double *L) {
    int S = w->S, A = w->A, d = w->d, H = w->H;
    memset(w->U + (size_t)H * S, 0, sizeof(double) * S);
    for (int h = H - 1; h >= 0; h--) {
        const double *Un = w->U + (size_t)(h + 1) * S;
        for (int s = 0; s < S; s++) {
            double best = -INFINITY;
            int ba = 0;
            for (int a = 0; a < A; a++) {
                rlc_linmix_phi_v(lm, s, a, Un, w->x);
                double q = beta > 0 ? fmin(1, beta * wnorm(L, w->x, w->z, d)) / H
                                    : w->r[(size_t)s * A + a];
                for (int j = 0; j < d; j++)
                    q += w->x[j] * w->th[j];
                q = clip01(q) + 1e-9 * rlc_rng_random(rng);
                if (q > best) {
                    best = q;
                    ba = a;
                }
            }
            w->act[(size_t)h * S + s] = ba;
            w->U[(size_t)h * S + s] = clip01(best);
        }
    }
}

/* Finite-horizon value of the greedy plan for reward R in transitions Pm, clipped to [0, 1]
 * (Pm may be an estimate); writes actions to act when planning (eval == 0), or evaluates
 * exactly the given act (eval == 1) or the uniform random policy (eval == 2) in Pm. Returns
 * the start value. */
static double dp(const work *w, const double *Pm, const double *R, int *act, int eval, double *V) {
    int S = w->S, A = w->A, H = w->H;
    memset(V + (size_t)H * S, 0, sizeof(double) * S);
    for (int h = H - 1; h >= 0; h--) {
        const double *Vn = V + (size_t)(h + 1) * S;
        for (int s = 0; s < S; s++) {
            double best = -INFINITY;
            int ba = 0;
            double mean = 0;
            for (int a = 0; a < A; a++) {
                if (eval == 1 && a != act[(size_t)h * S + s]) continue;
                const double *row = Pm + ((size_t)s * A + a) * S;
                double q = R[(size_t)s * A + a];
                for (int s2 = 0; s2 < S; s2++)
                    q += row[s2] * Vn[s2];
                mean += q / A;
                if (q > best) {
                    best = q;
                    ba = a;
                }
            }
            if (!eval) {
                act[(size_t)h * S + s] = ba;
                best = clip01(best);
            }
            V[(size_t)h * S + s] = eval == 2 ? mean : best;
        }
    }
    return V[0]; /* start state 0 */
}

/* Largest normalised planning gap over the random rewards with the estimate th[0..d):
 * (V* - V^pi) / (V* - V^uniform) of the greedy plan pi in the estimated model. */
static double planning_gap(const rlc_linmix *lm, work *w, int nrew, int *pact) {
    int S = w->S, A = w->A, d = w->d;
    size_t n = (size_t)S * A * S;
    for (size_t i = 0; i < n; i++) {
        double p = 0;
        for (int j = 0; j < d; j++)
            p += lm->phi[i * d + j] * w->th[j];
        w->Ph[i] = p;
    }
    double worst = 0;
    for (int k = 0; k < nrew; k++) {
        const double *R = w->R + (size_t)k * S * A;
        dp(w, w->Ph, R, pact, 0, w->V);
        double v = dp(w, w->P, R, pact, 1, w->Vs);
        worst = fmax(worst, (w->vstar[k] - v) / (w->vstar[k] - w->vunif[k]));
    }
    return worst;
}

/* One exploration run of method `meth` on lm for up to kmax episodes; the normalised planning
 * gap (worst over the random rewards) is measured at the checkpoints ck[nck] into gaps[nck]
 * (left untouched after the run stops, once it is <= eps). */
static rlc_status explore(const setup *su, const rlc_linmix *lm, work *w, int meth, uint64_t seed,
                          const int *ck, int nck, double *gaps) {
    int S = w->S, A = w->A, d = w->d, H = w->H;
    int weighted = meth == M_HF, M = weighted ? su->moments : 1;
    double s2min = 1.0 / ((double)H * H);
    rlc_vtr_options vo;
    rlc_vtr_options_init(&vo);
    /* Every regression on the scale of its targets: ridge 1 on the [0, H] scale of the original
     * is 1/H^2 on values in [0, 1] (a ridge of 1 here would dominate samples of size ~1/H
     * until ~H^2 of them are in, which is a growth in H of the ridge, not of the method). */
    vo.ridge = s2min;
    rlc_vtr *reg[MMAX] = {0};
    rlc_status st = RLC_OK;
    for (int m = 0; m < M; m++)
        if ((st = rlc_vtr_create(&reg[m], lm, &vo))) goto done;
    for (size_t i = 0; i < (size_t)d * d; i++) /* own copy of Sigma_0 for the pseudo-reward */
        w->Sig[i] = (i % (d + 1) == 0) ? vo.ridge : 0;
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    double nsamp = 0, *row = w->vert; /* vert doubles as the next-state row here (size S) */
    int next_plan = 0, ic = 0;
    int *pact = w->act + (size_t)H * S; /* planning actions after the exploration policy */
    for (int k = 1; k <= su->kmax && ic < nck; k++) {
        if (k - 1 >= next_plan) { /* rare switching: replan at a geometric schedule */
            if ((st = rlc_vtr_theta(reg[0], w->th))) goto done;
            for (int m = 1; m < M; m++)
                if ((st = rlc_vtr_theta(reg[m], w->th + (size_t)m * d))) goto done;
            if (rlc__cholesky(w->Sig, w->L, d)) {
                st = rlc_error(RLC_ERR_STATE, "hf-rfe: Sigma is not positive definite");
                goto done;
            }
            /* UCRL-RFE's radius on its [0, H] scale: H times the normalised one */
            double beta = meth == M_RFE ? H * radius_rfe(nsamp, d, H, su->delta) : 0;
            if (beta == 0) pseudo_reward(lm, w, w->L);
            plan_pseudo(lm, w, &rng, beta, w->L);
            next_plan = k < 16 ? k : (int)ceil(k * 1.15);
        }
        int s = 0;
        for (int h = 0; h < H; h++) {
            int a = meth == M_RAND ? (int)rlc_rng_integers(&rng, 0, A) : w->act[(size_t)h * S + s];
            for (int s2 = 0; s2 < S; s2++)
                row[s2] = w->P[((size_t)s * A + a) * S + s2];
            double u = rlc_rng_random(&rng), c = 0;
            int s2 = S - 1;
            for (int j = 0; j < S; j++) {
                c += row[j];
                if (u < c) {
                    s2 = j;
                    break;
                }
            }
            if (h + 1 < H) {
                const double *Un = w->U + (size_t)(h + 1) * S;
                for (int m = 0; m < M; m++) {
                    double *Upm = w->Up + (size_t)m * S;
                    for (int j = 0; j < S; j++)
                        Upm[j] = m == 0 ? Un[j] : Upm[j - S] * Upm[j - S];
                    rlc_linmix_phi_v(lm, s, a, Upm, w->x + (size_t)m * d);
                }
                double beta = weighted ? radius(nsamp, d, s2min, su->delta) : 0;
                for (int m = 0; m < M; m++) {
                    const double *xm = w->x + (size_t)m * d;
                    double y = w->Up[(size_t)m * S + s2], sig2 = 1;
                    if (weighted) {
                        /* aleatoric: E[U^(2^(m+1))] - E[U^(2^m)]^2 from the next moment's
                         * estimate (the last moment uses the bound 1/4); epistemic: the
                         * widths of both estimates. */
                        double var = 0.25, epi;
                        double mu = 0;
                        for (int j = 0; j < d; j++)
                            mu += xm[j] * w->th[(size_t)m * d + j];
                        mu = clip01(mu);
                        epi = fmin(1, 2 * beta * rlc_vtr_width(reg[m], xm));
                        if (m + 1 < M) {
                            const double *xn = xm + d;
                            double mu2 = 0;
                            for (int j = 0; j < d; j++)
                                mu2 += xn[j] * w->th[(size_t)(m + 1) * d + j];
                            var = fmax(0, clip01(mu2) - mu * mu);
                            epi += fmin(1, beta * rlc_vtr_width(reg[m + 1], xn));
                        }
                        sig2 = fmax(s2min, fmin(0.25, var) + epi);
                    }
                    rlc_vtr_add_sample(reg[m], xm, y, sig2);
                    if (m == 0)
                        for (int i = 0; i < d; i++)
                            for (int j = 0; j < d; j++)
                                w->Sig[(size_t)i * d + j] += xm[i] * xm[j] / sig2;
                }
                nsamp += 1;
            }
            s = s2;
        }
        if (k == ck[ic]) {
            if ((st = rlc_vtr_theta(reg[0], w->th))) goto done;
            gaps[ic] = planning_gap(lm, w, su->nrew, pact);
            if (gaps[ic] <= su->eps) break; /* reached: the rest of the budget is not needed */
            ic++;
        }
    }
done:
    for (int m = 0; m < MMAX; m++)
        rlc_vtr_destroy(reg[m]);
    return st;
}

static void free_work(work *w) {
    rlc_free(w->U);
    rlc_free(w->Up);
    rlc_free(w->r);
    rlc_free(w->act);
    rlc_free(w->x);
    rlc_free(w->th);
    rlc_free(w->Ph);
    rlc_free(w->V);
    rlc_free(w->Vs);
    rlc_free(w->R);
    rlc_free(w->vstar);
    rlc_free(w->vunif);
    rlc_free(w->L);
    rlc_free(w->Sig);
    rlc_free(w->z);
    rlc_free(w->vert);
}

/* Least-squares slope of log y against log x. */
static double loglog_slope(const int *xv, const double *y, int n) {
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        mx += log(xv[i]) / n;
        my += log(y[i]) / n;
    }
    for (int i = 0; i < n; i++) {
        double dx = log(xv[i]) - mx;
        sxy += dx * (log(y[i]) - my);
        sxx += dx * dx;
    }
    return sxy / sxx;
}

rlc_status rlc__exp_hf_rfe(const rlc_experiment_options *o, rlc_experiment_result *res) {
    setup su = {8, 3, 4, 0.1, 5, {10, 30, 100, 300, 1000, 0}, 8192, 8, 0.02, 3, 0.05};
    if (o->quick) {
        su.S = 6;
        su.nH = 3;
        su.Hs[0] = 10;
        su.Hs[1] = 100;
        su.Hs[2] = 1000;
        su.kmax = 1024;
        su.nrew = 4;
        su.eps = 0.05;
    }
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("hf-rfe"), o, res, 16, 5);
    if (st) return st;
    int NS = x.seeds, S = su.S, A = su.A, d = su.d, nH = su.nH, Hmax = su.Hs[nH - 1];
    /* checkpoints 1, 2, 3, 4, 6, 8, 11, 16, ... (factor ~sqrt 2) up to kmax */
    int ck[64], nck = 0;
    for (double c = 1; c <= su.kmax && nck < 64; c *= sqrt(2.0)) {
        int v = (int)floor(c + 0.5);
        if (nck == 0 || v > ck[nck - 1]) ck[nck++] = v;
    }
    work w;
    memset(&w, 0, sizeof w);
    w.S = S;
    w.A = A;
    w.d = d;
    w.H = Hmax;
    w.U = rlc_malloc(sizeof(double) * (size_t)(Hmax + 1) * S);
    w.Up = rlc_malloc(sizeof(double) * MMAX * S);
    w.r = rlc_malloc(sizeof(double) * (size_t)S * A);
    w.act = rlc_malloc(sizeof(int) * 2 * (size_t)Hmax * S);
    w.x = rlc_malloc(sizeof(double) * MMAX * d);
    w.th = rlc_calloc((size_t)MMAX * d, sizeof(double));
    w.Ph = rlc_malloc(sizeof(double) * (size_t)S * A * S);
    w.V = rlc_malloc(sizeof(double) * (size_t)(Hmax + 1) * S);
    w.Vs = rlc_malloc(sizeof(double) * (size_t)(Hmax + 1) * S);
    w.R = rlc_malloc(sizeof(double) * (size_t)su.nrew * S * A);
    w.vstar = rlc_malloc(sizeof(double) * (size_t)su.nrew);
    w.vunif = rlc_malloc(sizeof(double) * (size_t)su.nrew);
    w.L = rlc_malloc(sizeof(double) * (size_t)d * d);
    w.Sig = rlc_malloc(sizeof(double) * (size_t)d * d);
    w.z = rlc_malloc(sizeof(double) * (size_t)d);
    w.vert = rlc_malloc(sizeof(double) * (size_t)S);
    size_t nn = (size_t)NM * NS * nH, nc = (size_t)NM * NS * nck;
    double *need = rlc_malloc(sizeof(double) * nn), *gaps = rlc_malloc(sizeof(double) * nc);
    double *g1 = rlc_malloc(sizeof(double) * (size_t)nck);
    double *xs = rlc_malloc(sizeof(double) * (size_t)(nck > nH ? nck : nH));
    double *col = rlc_malloc(sizeof(double) * (size_t)NS);
    double *iq = rlc_malloc(sizeof(double) * NM * nH);
    rlc_linmix *lm = NULL;
    rlc_mdp *m = NULL;
    if (!w.U || !w.Up || !w.r || !w.act || !w.x || !w.th || !w.Ph || !w.V || !w.Vs || !w.R ||
        !w.vstar || !w.vunif || !w.L || !w.Sig || !w.z || !w.vert || !need || !gaps || !g1 || !xs ||
        !col || !iq) {
        st = RLC_ERR_NOMEM;
        goto out;
    }
    rlc__exp_note(
        &x, 1,
        "Setup: random linear mixture MDPs (S=%d, A=%d, d=%d base kernels with "
        "Dirichlet(%g) rows, theta ~ Dirichlet(1), start state 0; the same MDP for "
        "every H of a seed); H in {%d..%d}; %d random sparse reward functions per seed "
        "and horizon (r(s,a) = U[0.5,1)/H on a random 30%% of the pairs, total reward "
        "<= 1). Exploration episodes needed = first checkpoint (factor sqrt 2 grid, at "
        "most %d episodes; not reached = 2x that, censored) at which greedy planning "
        "in the estimated model has normalised gap (V* - V^pi)/(V* - V^uniform) <= %g "
        "in the true MDP for every one of them. HF-RFE: variance-weighted regression "
        "with %d moments, sigma_min^2 = 1/H^2, ridge 1/H^2, scale-free pseudo-reward "
        "(u / max u)^8 / H; "
        "UCRL-RFE as published: unweighted regression with ridge 1 and Hoeffding radius on "
        "the [0, H] value scale, exploration reward min(1, bonus) per step on that scale; "
        "random: uniform actions, unweighted regression; ablation: UCRL-RFE's regression "
        "with HF-RFE's scale-free pseudo-reward.",
        S, A, d, su.alpha, su.Hs[0], Hmax, su.nrew, su.kmax, su.eps, su.moments);
    for (int seed = 0; seed < NS && !st; seed++) {
        for (int ih = 0; ih < nH && !st; ih++) {
            int H = su.Hs[ih];
            w.H = H;
            if ((st = rlc_linmix_random(&lm, S, A, H, d, su.alpha, 2900 + (uint64_t)seed))) break;
            if ((st = rlc_linmix_to_mdp(lm, NULL, &m))) break;
            w.P = m->P;
            rlc_rng rr;
            rlc_rng_seed(&rr, 29000 + (uint64_t)seed);
            for (int k = 0; k < su.nrew; k++) {
                double *R = w.R + (size_t)k * S * A;
                R[0] = 0.75 / H; /* never an all-zero reward */
                for (int i = 1; i < S * A; i++)
                    R[i] = rlc_rng_random(&rr) < 0.3 ? rlc_rng_uniform(&rr, 0.5, 1.0) / H : 0;
                w.vstar[k] = dp(&w, w.P, R, w.act, 0, w.V);
                w.vunif[k] = dp(&w, w.P, R, w.act, 2, w.V);
                if (!(w.vstar[k] - w.vunif[k] > 1e-9)) { /* cannot happen with A > 1 barring ties */
                    st = rlc_error(RLC_ERR_STATE,
                                   "hf-rfe: reward %d gives the uniform policy the "
                                   "optimal value",
                                   k);
                    break;
                }
            }
            for (int meth = 0; meth < NM && !st; meth++) {
                for (int c = 0; c < nck; c++)
                    g1[c] = NAN;
                st = explore(&su, lm, &w, meth, 2950 + 7 * (uint64_t)seed + 1000 * (uint64_t)ih, ck,
                             nck, g1);
                if (st) break;
                double ng = 2.0 * su.kmax;
                for (int c = nck - 1; c >= 0; c--) /* the earliest checkpoint reached */
                    if (g1[c] <= su.eps) ng = ck[c];
                need[((size_t)meth * NS + seed) * nH + ih] = ng;
                if (ih == nH - 1) {
                    for (int c = 1; c < nck; c++) /* after the stop: hold the last value */
                        if (isnan(g1[c])) g1[c] = g1[c - 1];
                    memcpy(gaps + ((size_t)meth * NS + seed) * nck, g1, sizeof(double) * nck);
                }
            }
            rlc_mdp_destroy(m);
            rlc_linmix_destroy(lm);
            m = NULL;
            lm = NULL;
        }
    }
    if (st) goto out;
    char metric[64], title[192];
    for (int ih = 0; ih < nH; ih++) {
        snprintf(metric, sizeof metric, "episodes_needed_H%d", su.Hs[ih]);
        snprintf(title, sizeof title,
                 "exploration episodes until the normalised planning gap is <= %g on every "
                 "random reward, H = %d (lower is better)",
                 su.eps, su.Hs[ih]);
        rlc__exp_table(&x, title);
        for (int meth = 0; meth < NM; meth++) {
            for (int s = 0; s < NS; s++)
                col[s] = need[((size_t)meth * NS + s) * nH + ih];
            rlc_stats_ci ci;
            rlc__exp_row(&x, NAMES[meth], metric, col, NS, &ci);
            iq[meth * nH + ih] = ci.point;
        }
    }
    for (int ih = 0; ih < nH; ih++)
        xs[ih] = su.Hs[ih];
    rlc__exp_curves(&x, "episodes_vs_H", "Exploration episodes until eps-optimal planning",
                    "horizon H", "exploration episodes", 1, 1, NM, NAMES, xs, nH, need);
    for (int c = 0; c < nck; c++)
        xs[c] = ck[c];
    snprintf(title, sizeof title, "Worst normalised planning gap, H = %d", Hmax);
    rlc__exp_curves(&x, "gap_vs_episodes", title, "exploration episodes",
                    "worst normalised gap over the rewards", 1, 1, NM, NAMES, xs, nck, gaps);
    double sl[NM];
    for (int meth = 0; meth < NM; meth++)
        sl[meth] = loglog_slope(su.Hs, iq + meth * nH, nH);
    int cens[NM] = {0};
    for (int meth = 0; meth < NM; meth++)
        for (size_t i = 0; i < (size_t)NS * nH; i++)
            cens[meth] += need[(size_t)meth * NS * nH + i] > su.kmax;
    rlc__exp_note(&x, 1,
                  "IQM episodes needed from H=%d to H=%d: HF-RFE %.1f -> %.1f (log-log slope "
                  "%.2f), UCRL-RFE %.1f -> %.1f (slope %.2f), random exploration %.1f -> %.1f "
                  "(slope %.2f), UCRL-RFE with the normalised pseudo-reward %.1f -> %.1f (slope "
                  "%.2f). Runs censored at the budget (of %d): HF-RFE %d, UCRL-RFE %d, random "
                  "%d, normalised pseudo-reward %d.",
                  su.Hs[0], Hmax, iq[0], iq[nH - 1], sl[M_HF], iq[M_RFE * nH],
                  iq[M_RFE * nH + nH - 1], sl[M_RFE], iq[M_RAND * nH], iq[M_RAND * nH + nH - 1],
                  sl[M_RAND], iq[M_RFE_NORM * nH], iq[M_RFE_NORM * nH + nH - 1], sl[M_RFE_NORM],
                  NS * nH, cens[M_HF], cens[M_RFE], cens[M_RAND], cens[M_RFE_NORM]);
    /* Claim (the paper's comparison): HF-RFE's episodes are ~flat in H (log-log slope <= 0.25
     * over two decades of H, i.e. at most a polylog-sized growth, and no run censored) while
     * those of UCRL-RFE as published (Hoeffding bonus on the [0, H] value range as its
     * exploration reward, unweighted regression with ridge 1 on that range) grow (slope >= 0.5),
     * and HF-RFE needs fewer episodes than UCRL-RFE at the largest H. The ablation with HF-RFE's
     * pseudo-reward is reported, not part of the claim: it is not a published method. */
    int held = sl[M_HF] <= 0.25 && cens[M_HF] == 0 && sl[M_RFE] >= 0.5 &&
               iq[nH - 1] < iq[M_RFE * nH + nH - 1];
    double s_hf = sl[M_HF], s_rfe = sl[M_RFE], s_rand = sl[M_RAND], s_sm = sl[M_RFE_NORM];
    double a0 = iq[0], a1 = iq[nH - 1], b0 = iq[M_RFE * nH], b1 = iq[M_RFE * nH + nH - 1];
    int H0 = su.Hs[0];
    free_work(&w);
    rlc_free(need);
    rlc_free(gaps);
    rlc_free(g1);
    rlc_free(xs);
    rlc_free(col);
    rlc_free(iq);
    return rlc__exp_end(&x, held,
                        "log-log slope of episodes needed vs H (H=%d..%d): HF-RFE %.2f (%.1f -> "
                        "%.1f), UCRL-RFE %.2f (%.1f -> %.1f), random %.2f, UCRL-RFE normalised "
                        "pseudo-reward %.2f",
                        H0, Hmax, s_hf, a0, a1, s_rfe, b0, b1, s_rand, s_sm);
out:
    rlc_mdp_destroy(m);
    rlc_linmix_destroy(lm);
    free_work(&w);
    rlc_free(need);
    rlc_free(gaps);
    rlc_free(g1);
    rlc_free(xs);
    rlc_free(col);
    rlc_free(iq);
    rlc__exp_abort(&x);
    return st;
}
