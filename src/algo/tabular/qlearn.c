/* Model-free tabular learning on a simulator: the simulator view of an rlc_mdp, Q-learning and
 * Dyna-Q (Q-learning plus planning updates from an empirical count model). */
#include <math.h>
#include <string.h>

#include "algo/tabular/tabular_impl.h"

static int mdp_reset(void *ctx, rlc_rng *rng) {
    return rlc_mdp_sample_start(ctx, rng);
}

static int mdp_step(void *ctx, int s, int a, rlc_rng *rng, double *reward, int *terminal) {
    const rlc_mdp *m = ctx;
    *reward = m->R[(size_t)s * m->A + a];
    *terminal = 0;
    return rlc_mdp_sample_next(m, s, a, rng);
}

void rlc_mdp_simulator(const rlc_mdp *m, rlc_tabular_sim *out) {
    out->S = m->S;
    out->A = m->A;
    out->ctx = (void *)m; /* read only: the callbacks never write through it */
    out->reset = mdp_reset;
    out->step = mdp_step;
}

void rlc_qlearning_options_init(rlc_qlearning_options *o) {
    memset(o, 0, sizeof *o);
    o->gamma = 0.95;
    o->alpha = 0.1;
    o->epsilon = 0.1;
    o->steps = 10000;
    o->max_episode_steps = 100;
}

static rlc_status check_options(const rlc_qlearning_options *o) {
    if (!(o->gamma >= 0 && o->gamma <= 1))
        return rlc_error(RLC_ERR_INVALID, "q-learning: gamma = %g must be in [0, 1]", o->gamma);
    if (!(o->alpha > 0 && o->alpha <= 1))
        return rlc_error(RLC_ERR_INVALID, "q-learning: alpha = %g must be in (0, 1]", o->alpha);
    if (!(o->epsilon >= 0 && o->epsilon <= 1))
        return rlc_error(RLC_ERR_INVALID, "q-learning: epsilon = %g must be in [0, 1]", o->epsilon);
    if (o->steps < 0)
        return rlc_error(RLC_ERR_INVALID, "q-learning: steps = %lld must be >= 0",
                         (long long)o->steps);
    if (o->max_episode_steps < 1)
        return rlc_error(RLC_ERR_INVALID, "q-learning: max_episode_steps = %d must be >= 1",
                         o->max_episode_steps);
    if (o->planning_steps < 0)
        return rlc_error(RLC_ERR_INVALID, "q-learning: planning_steps = %d must be >= 0",
                         o->planning_steps);
    if (!isfinite(o->q_init))
        return rlc_error(RLC_ERR_INVALID, "q-learning: q_init must be finite");
    return RLC_OK;
}

/* The Dyna-Q model: transition counts, reward sums, and the list of visited (s, a). */
typedef struct dyna_model {
    double *count; /* [S*A*S] */
    double *rsum;  /* [S*A] */
    double *n;     /* [S*A] */
    double *tdone; /* [S*A] terminal count */
    int *seen;     /* visited (s*A + a) in order of first visit */
    int nseen;
} dyna_model;

static void q_update(double *Q, int A, int s, int a, double r, int s2, int term, double gamma,
                     double alpha) {
    double target = r;
    if (!term) {
        const double *q2 = Q + (size_t)s2 * A;
        double mx = q2[0];
        for (int b = 1; b < A; b++)
            if (q2[b] > mx) mx = q2[b];
        target += gamma * mx;
    }
    double *q = Q + (size_t)s * A + a;
    *q += alpha * (target - *q);
}

rlc_status rlc_qlearning_run(const rlc_tabular_sim *sim, const rlc_qlearning_options *o, double *Q,
                             double *episode_returns, int max_episodes, int *n_episodes) {
    if (!sim || !o || !Q || !sim->reset || !sim->step)
        return rlc_error(RLC_ERR_INVALID, "q-learning: NULL argument");
    if (sim->S < 1 || sim->A < 1)
        return rlc_error(RLC_ERR_INVALID, "q-learning: simulator has S = %d, A = %d", sim->S,
                         sim->A);
    rlc_status st = check_options(o);
    if (st) return st;
    int S = sim->S, A = sim->A;
    dyna_model dm = {0};
    if (o->planning_steps > 0) {
        dm.count = rlc_calloc((size_t)S * A * S, sizeof(double));
        dm.rsum = rlc_calloc((size_t)S * A, sizeof(double));
        dm.n = rlc_calloc((size_t)S * A, sizeof(double));
        dm.tdone = rlc_calloc((size_t)S * A, sizeof(double));
        dm.seen = rlc_malloc(sizeof(int) * (size_t)S * A);
        if (!dm.count || !dm.rsum || !dm.n || !dm.tdone || !dm.seen) {
            st = RLC_ERR_NOMEM;
            goto done;
        }
    }
    for (size_t i = 0; i < (size_t)S * A; i++)
        Q[i] = o->q_init;
    rlc_rng rng;
    rlc_rng_seed(&rng, o->seed);
    int episodes = 0, t_ep = 0;
    double ret = 0;
    int s = sim->reset(sim->ctx, &rng);
    if (s < 0 || s >= S) {
        st = rlc_error(RLC_ERR_INVALID, "q-learning: simulator reset returned state %d", s);
        goto done;
    }
    for (int64_t step = 0; step < o->steps; step++) {
        int a = rlc_rng_random(&rng) < o->epsilon ? (int)rlc_rng_integers(&rng, 0, A)
                                                  : rlc__argmax(Q + (size_t)s * A, A);
        double r = 0;
        int term = 0;
        int s2 = sim->step(sim->ctx, s, a, &rng, &r, &term);
        if (s2 < 0 || s2 >= S) {
            st = rlc_error(RLC_ERR_INVALID, "q-learning: simulator step returned state %d", s2);
            goto done;
        }
        q_update(Q, A, s, a, r, s2, term, o->gamma, o->alpha);
        ret += r;
        t_ep++;
        if (dm.count) {
            size_t i = (size_t)s * A + a;
            if (dm.n[i] == 0) dm.seen[dm.nseen++] = (int)i;
            dm.n[i] += 1;
            dm.rsum[i] += r;
            dm.tdone[i] += term ? 1 : 0;
            if (!term) dm.count[i * S + s2] += 1;
            for (int k = 0; k < o->planning_steps; k++) {
                int j = dm.seen[rlc_rng_integers(&rng, 0, dm.nseen)];
                int ps = j / A, pa = j % A;
                double u = rlc_rng_random(&rng) * dm.n[j];
                int pterm = u < dm.tdone[j];
                int ps2 = 0;
                if (!pterm) { /* sample s' from the counts of the non-terminal outcomes */
                    double c = dm.tdone[j];
                    const double *row = dm.count + (size_t)j * S;
                    for (ps2 = 0; ps2 < S - 1; ps2++) {
                        c += row[ps2];
                        if (u < c) break;
                    }
                }
                q_update(Q, A, ps, pa, dm.rsum[j] / dm.n[j], ps2, pterm, o->gamma, o->alpha);
            }
        }
        s = s2;
        if (term || t_ep >= o->max_episode_steps) {
            if (episode_returns && episodes < max_episodes) episode_returns[episodes] = ret;
            episodes++;
            ret = 0;
            t_ep = 0;
            s = sim->reset(sim->ctx, &rng);
            if (s < 0 || s >= S) {
                st = rlc_error(RLC_ERR_INVALID, "q-learning: simulator reset returned state %d", s);
                goto done;
            }
        }
    }
    if (n_episodes) *n_episodes = episodes;
done:
    rlc_free(dm.count);
    rlc_free(dm.rsum);
    rlc_free(dm.n);
    rlc_free(dm.tdone);
    rlc_free(dm.seen);
    return st;
}
