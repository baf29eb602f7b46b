/* Roadmap row 20, `rlc experiment conservative-exploration`: StepMix and EpsMix (conservative
 * exploration under an episode-wise constraint V^{pi_k} >= (1 - kappa) V^{pi_0}) against
 * unconstrained UCBVI and the baseline policy alone, on random tabular MDPs. */
#include <math.h>
#include <string.h>

#include "algo/tabular/tabular_impl.h"
#include "experiments/exp_impl.h"

enum { M_UCBVI, M_STEPMIX, M_EPSMIX, M_BASELINE, NMETHODS };
static const char *const NAMES[NMETHODS] = {"UCBVI", "StepMix", "EpsMix", "baseline only"};

typedef struct setup {
    int S, A, H;
    double alpha; /* Dirichlet concentration of the random MDPs */
    double mix;   /* baseline = mix * optimal + (1 - mix) * uniform */
    double kappa; /* conservative level */
    int64_t K;    /* episodes */
    double scale; /* bonus scale */
    double delta; /* confidence */
    int npts;     /* regret curve points */
} setup;

/* Results of one (seed, method) run. */
typedef struct run_out {
    double regret, viol_frac;
    double *curve; /* [npts] cumulative regret */
} run_out;

static rlc_status run_method(const setup *su, const rlc_mdp *m, int method, const double *pi0,
                             double vstar, double v0, uint64_t seed, run_out *out) {
    int S = m->S, A = m->A, H = m->H;
    size_t n = (size_t)H * S * A;
    rlc_ucbvi_options uo;
    rlc_ucbvi_options_init(&uo);
    uo.bonus_scale = su->scale;
    uo.delta = su->delta;
    uo.episodes = su->K;
    rlc_ucbvi *u = NULL;
    rlc_status st = rlc_ucbvi_create(&u, m, &uo);
    if (st) return st;
    double *pibar = rlc_malloc(sizeof(double) * n), *pi = rlc_malloc(sizeof(double) * n);
    double *Vt = rlc_malloc(sizeof(double) * 2 * (size_t)S);
    int *states = rlc_malloc(sizeof(int) * (size_t)(H + 1)), *acts = rlc_malloc(sizeof(int) * H);
    if (!pibar || !pi || !Vt || !states || !acts) {
        st = RLC_ERR_NOMEM;
        goto done;
    }
    rlc_rng rng;
    rlc_rng_seed_stream(&rng, seed, (uint64_t)method);
    double thr = (1 - su->kappa) * v0, cum = 0;
    int64_t viol = 0;
    int next_pt = 0;
    for (int64_t k = 0; k < su->K; k++) {
        double value;
        const double *exec = pi;
        if (method == M_BASELINE) {
            exec = pi0;
            value = v0;
        } else {
            rlc_ucbvi_plan(u, pibar, NULL);
            if (method == M_UCBVI) {
                exec = pibar;
                value = rlc__episodic_value(m, pibar, Vt);
            } else if (method == M_STEPMIX) {
                rlc_ucbvi_stepmix(u, pibar, pi0, thr, pi, NULL);
                value = rlc__episodic_value(m, pi, Vt);
            } else { /* EpsMix: randomise per episode between pibar and the baseline */
                double rho;
                rlc_ucbvi_epsmix(u, pibar, v0, thr, &rho);
                value = rho * rlc__episodic_value(m, pibar, Vt) + (1 - rho) * v0;
                exec = rlc_rng_random(&rng) < rho ? pibar : pi0;
            }
        }
        cum += vstar - value;
        if (value < thr - 1e-9) viol++;
        while (next_pt < su->npts && k + 1 >= (su->K * (next_pt + 1)) / su->npts)
            out->curve[next_pt++] = cum;
        if (method != M_BASELINE) {
            rlc_mdp_rollout(m, exec, H, &rng, states, acts);
            for (int h = 0; h < H; h++)
                rlc_ucbvi_observe(u, h, states[h], acts[h], states[h + 1]);
        }
    }
    out->regret = cum;
    out->viol_frac = (double)viol / (double)su->K;
done:
    rlc_free(pibar);
    rlc_free(pi);
    rlc_free(Vt);
    rlc_free(states);
    rlc_free(acts);
    rlc_ucbvi_destroy(u);
    return st;
}

rlc_status rlc__exp_conservative_exploration(const rlc_experiment_options *o,
                                             rlc_experiment_result *res) {
    setup su = {10, 3, 5, 0.5, 0.5, 0.1, 50000, 0.005, 0.1, 50};
    if (o->quick) {
        su.S = 6;
        su.K = 8000;
        su.npts = 20;
    }
    rlc__exp x;
    rlc_status st =
        rlc__exp_begin(&x, rlc_experiment_find("conservative-exploration"), o, res, 10, 3);
    if (st) return st;
    int NS = x.seeds, S = su.S, A = su.A, H = su.H;
    size_t n = (size_t)H * S * A;
    double *curves = rlc_calloc((size_t)NMETHODS * NS * su.npts, sizeof(double));
    double *regret = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *viol = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *pistar = rlc_malloc(sizeof(double) * n), *pi0 = rlc_malloc(sizeof(double) * n);
    double *V = rlc_malloc(sizeof(double) * (size_t)H * S),
           *xs = rlc_malloc(sizeof(double) * su.npts);
    int *act = rlc_malloc(sizeof(int) * (size_t)H * S);
    double *gap0 = rlc_calloc((size_t)NS, sizeof(double));
    rlc_mdp *m = NULL;
    if (!curves || !regret || !viol || !pistar || !pi0 || !V || !xs || !act || !gap0) {
        st = RLC_ERR_NOMEM;
        goto fail;
    }
    rlc__exp_note(&x, 1,
                  "Setup: random Dirichlet(%g) MDPs, S=%d, A=%d, H=%d, rewards U[0,1); baseline "
                  "pi0 = %g*pi* + %g*uniform; constraint V^pi_k >= (1-kappa) V^pi0 with "
                  "kappa=%g; UCBVI-CH bonus x%g, delta=%g; K=%lld episodes; expected (exact) "
                  "per-episode regret and constraint checks.",
                  su.alpha, S, A, H, su.mix, 1 - su.mix, su.kappa, su.scale, su.delta,
                  (long long)su.K);
    for (int seed = 0; seed < NS; seed++) {
        if ((st = rlc_mdp_random_dirichlet(&m, S, A, H, 0, su.alpha, 1000 + (uint64_t)seed)))
            goto fail;
        if ((st = rlc_mdp_value_iteration(m, 1e-9, 1, V, NULL, act, NULL))) goto fail;
        double vstar = rlc_mdp_start_value(m, V);
        rlc_mdp_policy_from_actions(m, act, pistar);
        for (size_t i = 0; i < n; i++)
            pi0[i] = su.mix * pistar[i] + (1 - su.mix) / A;
        double v0 = rlc__episodic_value(m, pi0, V);
        gap0[seed] = vstar - v0;
        rlc__exp_record(&x, "baseline only", seed, "per_episode_gap", gap0[seed]);
        for (int meth = 0; meth < NMETHODS; meth++) {
            run_out ro = {0, 0, curves + ((size_t)meth * NS + seed) * su.npts};
            if ((st = run_method(&su, m, meth, pi0, vstar, v0, 77 + (uint64_t)seed, &ro)))
                goto fail;
            regret[(size_t)meth * NS + seed] = ro.regret;
            viol[(size_t)meth * NS + seed] = ro.viol_frac;
        }
        rlc_mdp_destroy(m);
        m = NULL;
    }
    double gap_iqm = 0;
    rlc_stats_iqm(gap0, NS, &gap_iqm);
    rlc__exp_note(&x, 1, "Baseline per-episode gap V* - V^pi0 (IQM over seeds): %.3f.", gap_iqm);
    rlc_stats_ci ci_reg[NMETHODS], ci_viol[NMETHODS];
    rlc__exp_table(&x, "cumulative regret after K episodes (lower is better)");
    for (int k = 0; k < NMETHODS; k++)
        rlc__exp_row(&x, NAMES[k], "regret", regret + (size_t)k * NS, NS, &ci_reg[k]);
    rlc__exp_table(&x, "fraction of episodes violating the constraint");
    for (int k = 0; k < NMETHODS; k++)
        rlc__exp_row(&x, NAMES[k], "violation_fraction", viol + (size_t)k * NS, NS, &ci_viol[k]);
    for (int i = 0; i < su.npts; i++)
        xs[i] = (double)((su.K * (i + 1)) / su.npts);
    rlc__exp_curves(&x, "regret", "Cumulative regret (random tabular MDPs)", "episode",
                    "cumulative regret", 0, 0, NMETHODS, NAMES, xs, su.npts, curves);
    /* Claim: every seed's violation fraction <= delta for StepMix and EpsMix, and their IQM
     * regret <= 3x UCBVI's. */
    double worst_viol[NMETHODS];
    for (int k = 0; k < NMETHODS; k++) {
        worst_viol[k] = 0;
        for (int s = 0; s < NS; s++)
            worst_viol[k] = fmax(worst_viol[k], viol[(size_t)k * NS + s]);
    }
    double r_ucb = ci_reg[M_UCBVI].point;
    double ratio_s = ci_reg[M_STEPMIX].point / r_ucb, ratio_e = ci_reg[M_EPSMIX].point / r_ucb;
    int safe = worst_viol[M_STEPMIX] <= su.delta && worst_viol[M_EPSMIX] <= su.delta;
    int close = ratio_s <= 3 && ratio_e <= 3;
    /* The factor only means something if not learning fails it: the baseline alone must be
     * above the limit, otherwise the run is too short to tell. */
    double ratio_b = ci_reg[M_BASELINE].point / r_ucb;
    int informative = ratio_b > 3;
    rlc__exp_note(&x, 1,
                  "Worst seed's violation fraction: StepMix %.4f, EpsMix %.4f, UCBVI %.4f "
                  "(delta = %g). Regret ratio to UCBVI (IQM): StepMix %.2f, EpsMix %.2f; "
                  "baseline only %.2f.",
                  worst_viol[M_STEPMIX], worst_viol[M_EPSMIX], worst_viol[M_UCBVI], su.delta,
                  ratio_s, ratio_e, ratio_b);
    rlc_free(curves);
    rlc_free(regret);
    rlc_free(viol);
    rlc_free(pistar);
    rlc_free(pi0);
    rlc_free(V);
    rlc_free(xs);
    rlc_free(act);
    rlc_free(gap0);
    return rlc__exp_end(&x, safe && close && informative,
                        "violations <= delta in every seed: %s (StepMix %.4f, EpsMix %.4f); "
                        "regret ratio to UCBVI StepMix %.2f, EpsMix %.2f (limit 3; baseline "
                        "alone %.1f)",
                        safe ? "yes" : "no", worst_viol[M_STEPMIX], worst_viol[M_EPSMIX], ratio_s,
                        ratio_e, ratio_b);
fail:
    rlc_mdp_destroy(m);
    rlc_free(curves);
    rlc_free(regret);
    rlc_free(viol);
    rlc_free(pistar);
    rlc_free(pi0);
    rlc_free(V);
    rlc_free(xs);
    rlc_free(act);
    rlc_free(gap0);
    rlc__exp_abort(&x);
    return st;
}
