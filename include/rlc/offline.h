/* Offline RL: agents trained from a fixed dataset (rlc/dataset.h) instead of env interaction.
 * BC and %BC, TD3+BC, IQL, CQL (continuous on SAC, discrete on DQN) and AWAC, their
 * hyperparameter tables, the offline trainer with periodic evaluation in the env and D4RL
 * normalised scores, and trajectory-weighted sampling (Hong et al. 2023). The agents are
 * ordinary rlc_agent objects (rlc/agent.h): rlc_agent_act, rlc_agent_evaluate, rlc_agent_save
 * and rlc_agent_load work on them; rlc_agent_train refuses them (they need a dataset). */
#ifndef RLC_OFFLINE_H
#define RLC_OFFLINE_H

#include <stdio.h>

#include "rlc/agent.h"
#include "rlc/config.h"
#include "rlc/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Keys every offline algorithm has (first in its table). sampler: how transitions are drawn
 * from the dataset: uniform; return = episode e with probability softmax(G~_e / T) where
 * G~ = (G - min G) / (max G - min G) (return-weighted trajectory sampling, Hong et al. 2023);
 * advantage = the same on G_e - V(s0_e), V a ridge-regressed linear value of the initial
 * observation (advantage-weighted); within an episode a transition is drawn uniformly. */
#define RLC_OFFLINE_COMMON_FIELDS(X)                                                           \
    X(INT, batch_size, 256, 1, 1 << 16, "minibatch size of each gradient step")               \
    X(INT, hidden, 256, 1, 4096, "hidden units per layer (every network)")                     \
    X(INT, layers, 2, 1, 8, "hidden layers (every network)")                                   \
    X(ENUM, sampler, "uniform", "uniform|return|advantage",                                    \
      "dataset sampling: uniform, return- or advantage-weighted trajectories")                 \
    X(REAL, sampler_temperature, 0.1, 1e-6, 1e6,                                                \
      "softmax temperature of return/advantage weights (on returns normalised to [0, 1])")     \
    X(INT, eval_every, 5000, 0, 1e15, "updates between evaluations in the env (0: at the end)")\
    X(INT, eval_episodes, 10, 1, 100000, "deterministic episodes per evaluation")

/* Behaviour cloning. Box actions: a tanh MLP fitted by squared error (policy=deterministic) or
 * a Gaussian (tanh mean, state-independent log std) fitted by likelihood (policy=gaussian);
 * Discrete actions: logits fitted by cross-entropy. top_fraction < 1: %BC (Chen et al. 2021),
 * clones only the episodes whose return is in the top fraction. */
#define RLC_BC_FIELDS(X)                                                                       \
    RLC_OFFLINE_COMMON_FIELDS(X)                                                               \
    X(REAL, lr, 3e-4, 0, 1, "Adam learning rate")                                              \
    X(ENUM, policy, "deterministic", "deterministic|gaussian", "Box actions: MSE or likelihood")\
    X(REAL, top_fraction, 1, 1e-9, 1, "%BC: fraction of episodes with the best returns kept")  \
    X(BOOL, norm_obs, 1, "normalise observations by the dataset's mean/std (saved)")

/* TD3+BC (Fujimoto & Gu 2021): TD3 with the actor loss -lambda Q(s, pi(s)) + (pi(s) - a)^2,
 * lambda = alpha / mean|Q|, normalised states. Defaults: the paper's. */
#define RLC_TD3BC_FIELDS(X)                                                                    \
    RLC_OFFLINE_COMMON_FIELDS(X)                                                               \
    X(REAL, policy_lr, 3e-4, 0, 1, "actor Adam learning rate")                                 \
    X(REAL, q_lr, 3e-4, 0, 1, "critic Adam learning rate")                                     \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, tau, 0.005, 0, 1, "Polyak coefficient of the targets")                             \
    X(REAL, policy_noise, 0.2, 0, 10, "target smoothing noise std (actions in [-1, 1])")       \
    X(REAL, noise_clip, 0.5, 0, 10, "target smoothing noise clip")                             \
    X(INT, policy_delay, 2, 1, 1000, "critic steps per actor and target step")                 \
    X(REAL, alpha, 2.5, 0, 1e6, "alpha: weight of Q against the BC term")                      \
    X(BOOL, norm_obs, 1, "normalise observations by the dataset's mean/std (saved)")

/* IQL (Kostrikov et al. 2021): expectile regression of V on target Q, Q on r + gamma V(s'),
 * AWR policy extraction with weights min(exp(beta (Q - V)), exp_adv_max). Defaults: the
 * paper's locomotion settings (rewards scaled by 1000 / (max return - min return)). */
#define RLC_IQL_FIELDS(X)                                                                      \
    RLC_OFFLINE_COMMON_FIELDS(X)                                                               \
    X(REAL, policy_lr, 3e-4, 0, 1, "actor Adam learning rate")                                 \
    X(REAL, q_lr, 3e-4, 0, 1, "critic Adam learning rate")                                     \
    X(REAL, v_lr, 3e-4, 0, 1, "value Adam learning rate")                                      \
    X(BOOL, cosine_lr, 1, "cosine decay of the actor learning rate over the run")             \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, tau, 0.005, 0, 1, "Polyak coefficient of the target critics")                      \
    X(REAL, expectile, 0.7, 0.5, 0.9999, "expectile tau of the value regression")             \
    X(REAL, beta, 3.0, 0, 1e6, "inverse temperature of the advantage weights")                 \
    X(REAL, exp_adv_max, 100, 1, 1e30, "clip of exp(beta advantage)")                          \
    X(BOOL, reward_norm, 1, "scale rewards by 1000 / (max - min episode return)")              \
    X(BOOL, norm_obs, 0, "normalise observations by the dataset's mean/std (saved)")

/* CQL (Kumar et al. 2020). Box actions: SAC with twin critics, automatic entropy, and the
 * CQL(H) penalty alpha' (logsumexp over n_actions uniform, current- and next-state policy
 * actions with importance weights - Q(s, a_data)); alpha' fixed (cql_alpha) or tuned by a
 * Lagrange multiplier towards target_action_gap. Discrete actions: DQN with the penalty
 * cql_alpha (logsumexp_a Q(s, a) - Q(s, a_data)) and a hard target update every
 * target_update_interval steps. */
#define RLC_CQL_FIELDS(X)                                                                      \
    RLC_OFFLINE_COMMON_FIELDS(X)                                                               \
    X(REAL, policy_lr, 1e-4, 0, 1, "actor Adam learning rate (Box)")                           \
    X(REAL, q_lr, 3e-4, 0, 1, "critic Adam learning rate")                                     \
    X(REAL, alpha_lr, 3e-4, 0, 1, "entropy and Lagrange multipliers' Adam learning rate")      \
    X(REAL, alpha, 1.0, 1e-6, 100, "initial entropy coefficient (tuned automatically; Box)")   \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, tau, 0.005, 0, 1, "Polyak coefficient of the target critics (Box)")                \
    X(REAL, cql_alpha, 5.0, 0, 1e6, "weight of the conservative penalty (initial if lagrange)")\
    X(INT, n_actions, 10, 1, 1000, "sampled actions per kind in the logsumexp (Box)")          \
    X(BOOL, lagrange, 0, "tune cql_alpha by dual gradient descent (Box)")                      \
    X(REAL, target_action_gap, 10, -1e6, 1e6, "Lagrange threshold of the penalty (Box)")       \
    X(BOOL, backup_entropy, 0, "subtract alpha log pi in the TD target (Box)")                 \
    X(INT, bc_steps, 0, 0, 1e15, "first updates: actor trained by likelihood of data (Box)")   \
    X(REAL, target_entropy_scale, 1, -100, 100, "target entropy = -scale * action dims (Box)") \
    X(INT, target_update_interval, 1000, 1, 1e15, "gradient steps between hard target copies "\
      "(Discrete)")                                                                            \
    X(BOOL, norm_obs, 0, "normalise observations by the dataset's mean/std (saved)")

/* AWAC (Nair et al. 2020): twin critics trained on r + gamma min Q'(s', a' ~ pi), actor
 * weighted likelihood with weights min(exp(A / lambda), exp_adv_max), A = Q(s, a) - Q(s, pi(s)).
 * Defaults: CORL's. */
#define RLC_AWAC_FIELDS(X)                                                                     \
    RLC_OFFLINE_COMMON_FIELDS(X)                                                               \
    X(REAL, policy_lr, 3e-4, 0, 1, "actor Adam learning rate")                                 \
    X(REAL, q_lr, 3e-4, 0, 1, "critic Adam learning rate")                                     \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, tau, 0.005, 0, 1, "Polyak coefficient of the target critics")                      \
    X(REAL, lambda, 1.0, 1e-6, 1e6, "temperature lambda of the advantage weights")             \
    X(REAL, exp_adv_max, 100, 1, 1e30, "clip of exp(A / lambda)")                              \
    X(BOOL, norm_obs, 0, "normalise observations by the dataset's mean/std (saved)")

RLC_CONFIG_STRUCT(rlc_bc_config, RLC_BC_FIELDS);
RLC_CONFIG_STRUCT(rlc_td3bc_config, RLC_TD3BC_FIELDS);
RLC_CONFIG_STRUCT(rlc_iql_config, RLC_IQL_FIELDS);
RLC_CONFIG_STRUCT(rlc_cql_config, RLC_CQL_FIELDS);
RLC_CONFIG_STRUCT(rlc_awac_config, RLC_AWAC_FIELDS);
/* The config tables of the "bc", "td3bc", "iql", "cql" and "awac" agents. */
RLC_API const rlc_config_table *rlc_bc_config_table(void);
RLC_API const rlc_config_table *rlc_td3bc_config_table(void);
RLC_API const rlc_config_table *rlc_iql_config_table(void);
RLC_API const rlc_config_table *rlc_cql_config_table(void);
RLC_API const rlc_config_table *rlc_awac_config_table(void);

/* 1 when `algo` names an offline algorithm (trained by rlc_offline_train), else 0. */
RLC_API int rlc_algo_is_offline(const char *algo);

/* Checks that dataset d fits agent a's env: observation size, Box action size (or Discrete
 * actions with the same number of choices). RLC_ERR_INVALID with a message naming both
 * otherwise (also for a non-offline agent). */
RLC_API rlc_status rlc_offline_check_dataset(const rlc_agent *a, const rlc_dataset *d);

/* Options of rlc_offline_train. Zero fields mean the defaults. */
typedef struct rlc_offline_options {
    int64_t updates;          /* gradient steps; default 100000 */
    int64_t log_interval;     /* updates between log rows (default: at evaluations only) */
    rlc_logger *logger;       /* optional: rows keyed by update: losses, eval/return_mean,
                                 eval/return_std, eval/normalized_score */
    rlc_progress *progress;   /* optional console progress (steps = updates) */
    FILE *print;              /* optional: one text line per evaluation */
    uint64_t eval_seed;       /* episode i of every evaluation is reset with eval_seed + i */
    const char *checkpoint_path; /* optional: every checkpoint_every updates and at the end, a
                                    checkpoint that loads as the agent (rlc_agent_load) and
                                    also holds the run's state (update count, random streams):
                                    resume_path continues from it */
    int64_t checkpoint_every;    /* default updates / 10 */
    const char *resume_path;     /* optional: continue the killed run whose checkpoint this
                                    is (same algorithm, config, env, seed, dataset and
                                    updates): parameters, optimizer states and logs end as
                                    those of the uninterrupted run */
    int64_t stop_at;             /* tests: stop after the first checkpoint at or past this
                                    update, as if killed (0: off) */
} rlc_offline_options;

/* Final numbers of an offline run. */
typedef struct rlc_offline_result {
    int64_t updates;
    double eval_return;      /* mean undiscounted return of the last evaluation */
    double eval_return_std;  /* its std (ddof 0) */
    double normalized_score; /* 100 (R - ref_min) / (ref_max - ref_min); NAN without refs */
    double seconds;          /* wall time of the loop (evaluations included) */
} rlc_offline_result;

/* Trains offline agent a on dataset d for o->updates gradient steps: observation statistics
 * (norm_obs) and reward scales are taken from d, the sampler of the agent's config is built
 * (return/advantage weights; %BC's episode filter), then each step samples batch_size
 * transitions and updates; every eval_every updates and at the end the agent is evaluated
 * deterministically for eval_episodes episodes in its env. Reference scores for the
 * normalised score come from d's metadata, else rlc_dataset_ref_scores(env id). Same seed,
 * dataset and build: bit-identical parameters and logs (wall-time columns aside). Nothing is
 * allocated in the loop besides evaluation buffers. Errors: RLC_ERR_INVALID (not an offline
 * agent, dataset/space mismatch, see rlc_offline_check_dataset), RLC_ERR_STATE (empty
 * dataset), RLC_ERR_RANGE (non-finite losses), RLC_ERR_FORMAT (resume_path is not a
 * checkpoint of this run: another algorithm, env, seed, dataset or length, or corrupt; the
 * agent is unchanged then), errors of the env, logger and checkpoint. */
RLC_API rlc_status rlc_offline_train(rlc_agent *a, const rlc_dataset *d,
                                     const rlc_offline_options *o, rlc_offline_result *res);

/* ---- trajectory weighting (Hong et al. 2023, "Harnessing mixed offline RL datasets via
 * trajectory weighting") ---- */

/* Episode weights w[num_episodes] of sampler kind 0 uniform (all 1), 1 return-weighted,
 * 2 advantage-weighted (see RLC_OFFLINE_COMMON_FIELDS), normalised to sum 1. Errors:
 * RLC_ERR_STATE for an empty dataset, RLC_ERR_INVALID for a bad kind or temperature <= 0. */
RLC_API rlc_status rlc_dataset_trajectory_weights(const rlc_dataset *d, int kind,
                                                  double temperature, double *w);
/* Parses "uniform" / "return" / "advantage" into kind; RLC_ERR_INVALID naming the choices. */
RLC_API rlc_status rlc_dataset_sampler_kind_parse(const char *name, int *kind);
/* Positive-sided variance of the episode returns normalised to [0, 1] by the dataset's min and
 * max: mean over episodes of max(G~ - mean G~, 0)^2 (0 when all returns are equal). Hong et al.
 * find the gain of weighted sampling grows with it. RLC_ERR_STATE on an empty dataset. */
RLC_API rlc_status rlc_dataset_return_psv(const rlc_dataset *d, double *out);

#ifdef __cplusplus
}
#endif
#endif
