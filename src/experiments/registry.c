/* The experiment registry (one line per reproduced roadmap row, in row order) and the driver
 * behind `rlc experiment NAME`. A new reproduction is one file in src/experiments/, a line
 * here, a --quick test in tests/experiments/ and docs/experiments/NAME.md. */
#include <string.h>

#include "experiments/exp_impl.h"

/* status: outcome of the last full run recorded in docs/experiments/NAME.md. */
static const rlc_experiment EXPERIMENTS[] = {
    {"conservative-exploration", 20,
     "Near-optimal conservative exploration under episode-wise constraints (StepMix / EpsMix)",
     "StepMix and EpsMix violate the conservative constraint in no more than a delta fraction "
     "of episodes while their regret stays within a constant factor (3x) of UCBVI's",
     "reproduced", rlc__exp_conservative_exploration},
    {"iwocs", 26, "Robust MDPs as a sequence of static RL problems (IWOCS, tabular)",
     "IWOCS's worst-case return over the model set rises with its iterations and ends at or "
     "above domain randomisation's worst-case return",
     "reproduced", rlc__exp_iwocs},
    {"demo-regularized", 52, "Demonstration-regularized RL (BC + KL-regularised optimistic VI)",
     "expert demonstrations cut the episodes needed to reach an epsilon-optimal policy, roughly "
     "as 1/N^E (log-log slope in [-1.5, -0.5]), and beat UCBVI without demonstrations and BC "
     "alone",
     "not reproduced", rlc__exp_demo_regularized},
};

#define NEXP ((int)(sizeof EXPERIMENTS / sizeof EXPERIMENTS[0]))

int rlc_experiment_count(void) {
    return NEXP;
}

const rlc_experiment *rlc_experiment_get(int i) {
    return i >= 0 && i < NEXP ? &EXPERIMENTS[i] : NULL;
}

const rlc_experiment *rlc_experiment_find(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < NEXP; i++)
        if (!strcmp(EXPERIMENTS[i].name, name)) return &EXPERIMENTS[i];
    return NULL;
}

void rlc_experiment_options_init(rlc_experiment_options *o) {
    memset(o, 0, sizeof *o);
}

rlc_status rlc_experiment_run(const rlc_experiment *e, const rlc_experiment_options *o,
                              rlc_experiment_result *res) {
    if (!e || !o || !res || !e->run) return rlc_error(RLC_ERR_INVALID, "experiment: NULL argument");
    if (o->seeds < 0)
        return rlc_error(RLC_ERR_INVALID, "experiment: seeds = %d must be >= 0", o->seeds);
    memset(res, 0, sizeof *res);
    double t0 = rlc_time_now();
    rlc_status st = e->run(o, res);
    if (!st && res->seconds <= 0) res->seconds = rlc_time_now() - t0;
    return st;
}
