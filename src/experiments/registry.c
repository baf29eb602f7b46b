/* The experiment registry (one line per reproduced roadmap row, in row order) and the driver
 * behind `rlc experiment NAME`. A new reproduction is one file in src/experiments/, a line
 * here, a --quick test in tests/experiments/ and docs/experiments/NAME.md. */
#include <string.h>

#include "experiments/exp_impl.h"
#include "experiments/exp_stream_pairs.h"

/* status: outcome of the last full run recorded in docs/experiments/NAME.md. */
static const rlc_experiment EXPERIMENTS[] = {
    {"harness", 7, "Harnessing mixed offline datasets via trajectory weighting (RW sampling)",
     "on a MountainCarContinuous dataset of mostly random plus 3-4% expert episodes, "
     "return-weighted "
     "trajectory sampling lifts IQL, TD3+BC and CQL clearly (>= 20 normalised points, IQM) "
     "above uniform sampling",
     "reproduced", rlc__exp_harness},
    {"dataset-measures", 8, "A dataset perspective on offline RL (TQ and SACo)",
     "over ten CartPole datasets of the random / expert / noisy / mixed / replay regimes, BC's "
     "return rank-correlates with trajectory quality TQ (Spearman >= 0.5) and offline DQN's "
     "with state-action coverage SACo (>= 0.3)",
     "reproduced", rlc__exp_dataset_measures},
    {"snapshot-rl", 9, "Snapshot RL: S3RL (teacher-state starts, clustering, truncation)",
     "S3RL + TD3/SAC/PPO reach a return threshold in fewer env steps than the same algorithms "
     "started from the env's own initial states",
     "not reproduced", rlc__exp_snapshot_rl},
    {"sqirl", 14, "The effective horizon and SQIRL (shallow Q-iteration, random exploration)",
     "SQIRL's sample complexity across a suite of small stochastic MDPs rank-correlates with "
     "DQN-style and PPO-style learners' (Spearman >= 0.5), and every method's sample "
     "complexity correlates more with the effective horizon H-bar than with the horizon H",
     "reproduced", rlc__exp_sqirl},
    {"conservative-exploration", 20,
     "Near-optimal conservative exploration under episode-wise constraints (StepMix / EpsMix)",
     "StepMix and EpsMix violate the conservative constraint in no more than a delta fraction "
     "of episodes while their regret stays within a constant factor (3x) of UCBVI's",
     "reproduced", rlc__exp_conservative_exploration},
    {"iwocs", 26, "Robust MDPs as a sequence of static RL problems (IWOCS, tabular)",
     "IWOCS's worst-case return over the model set rises with its iterations and ends at or "
     "above domain randomisation's worst-case return",
     "reproduced", rlc__exp_iwocs},
    {"hf-rfe", 29, "Horizon-free reward-free exploration for linear mixture MDPs (HF-RFE)",
     "the exploration episodes HF-RFE needs for epsilon-optimal planning on random rewards "
     "(total reward <= 1) stay ~flat in H (log-log slope <= 0.25 over H = 10..1000) while "
     "those of UCRL-RFE as published (Hoeffding bonus on the [0, H] value range, unweighted "
     "regression) grow (slope >= 0.5), and HF-RFE needs fewer at H = 1000",
     "not reproduced", rlc__exp_hf_rfe},
    {"go-explore", 34, "Go-Explore: remember, return by state restore, explore; robustify",
     "Go-Explore phase 1 reaches the goal of KeyDoorRooms-v0 in every seed while PPO, PPO+RND "
     "and DQN with the same env-step budget never do",
     "reproduced", rlc__exp_go_explore},
    {"rlif", 43, "RLIF: interactive imitation learning as RL (interventions as rewards)",
     "RLIF (SAC rewarded -1 per expert intervention, no task reward) beats HG-DAgger with the "
     "same expert and env steps, most with sub-optimal experts, and exceeds the expert's own "
     "return; its intervention rate falls over training",
     "not reproduced", rlc__exp_rlif},
    {"learning-to-fly", 44, "Learning to Fly in Seconds (TD3, asymmetric critic, curriculum)",
     "TD3 with an asymmetric critic, 64x64 networks and a reward curriculum learns to hover a "
     "Crazyflie-like quadrotor from random starts in seconds of CPU; removing the curriculum or "
     "the asymmetric critic raises the failure rate across seeds; the hover error is comparable "
     "to the cascaded PID's",
     "not reproduced", rlc__exp_learning_to_fly},
    {"drones", 49, "gym-pybullet-drones: PID tracking, PPO hover, ground effect, downwash",
     "the cascaded PID tracks a circle within 5 cm (mean) / 10 cm (max); PPO learns single-"
     "agent hover (80% of the PID's return, 80% of starts held within 0.3 m); ground effect and "
     "downwash change the thrust a hover needs by more than 1%; a leader-follower pair keeps "
     "its distance within 10 cm",
     "reproduced", rlc__exp_drones},
    {"demo-regularized", 52, "Demonstration-regularized RL (BC + KL-regularised optimistic VI)",
     "expert demonstrations cut the episodes needed to reach an epsilon-optimal policy, roughly "
     "as 1/N^E (log-log slope in [-1.5, -0.5]), and beat UCBVI without demonstrations and BC "
     "alone",
     "reproduced", rlc__exp_demo_regularized},
    {"pairs-trading", 55, "Deep Q-learning for statistical arbitrage (pairs trading, walk-forward)",
     "out-of-sample Sharpe after costs of DQN on spread features beats the z-score threshold "
     "rule on a regime-switching cointegrated pair, and DQN makes no profit on a random-walk "
     "spread",
     "not reproduced", rlc__exp_pairs_trading},
    {"stream-x", 57, "Streaming deep RL finally works (stream AC / Q with ObGD)",
     "naive streaming learners fail or are unstable while stream-x learns with one set of "
     "hyperparameters and approaches batch sample efficiency (>= 80% of PPO/SAC's improvement "
     "over random at the same env steps)",
     "not reproduced", rlc__exp_stream_x},
    {"mb-vs-er", 58, "The benefits of model-based generalisation (Dyna vs experience replay)",
     "on the factored Switches world, Dyna with a learned factored model learns faster than "
     "experience replay with the same data and update count; the benefit vanishes with a "
     "tabular model and on the coupled (non-factored) variant",
     "not reproduced", rlc__exp_mb_vs_er},
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
