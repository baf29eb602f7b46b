/* Soft Actor-Critic (Haarnoja et al. 2018, with automatic entropy tuning) hyperparameters: the
 * X-macro config table of the "sac" agent (create it through rlc/agent.h). */
#ifndef RLC_SAC_H
#define RLC_SAC_H

#include "rlc/config.h"
#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults follow CleanRL's sac_continuous_action.py / Stable-Baselines3 (actor updated every
 * gradient step, as SB3). Actions live in [-1, 1] inside the agent (critic inputs, replay,
 * log-probabilities and the target entropy, as SB3) and are rescaled to the Box bounds for the
 * env. Tuned per-env values: data/defaults/sac.json. */
#define RLC_SAC_FIELDS(X)                                                                      \
    X(INT, num_envs, 1, 1, 4096, "parallel environments")                                      \
    X(INT, num_threads, 1, 0, 256, "vector-env worker threads (results do not depend on it)")  \
    X(INT, buffer_size, 1000000, 1, 1 << 30, "replay buffer capacity (transitions)")           \
    X(INT, learning_starts, 5000, 0, 1 << 30, "env steps of uniform random actions first")     \
    X(INT, batch_size, 256, 1, 1 << 16, "minibatch size of each gradient step")                \
    X(REAL, utd, 1, 0.001, 1000, "update-to-data ratio: gradient steps per env step")          \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, tau, 0.005, 0, 1, "Polyak coefficient of the target critics")                      \
    X(INT, target_every, 1, 1, 1 << 20, "gradient steps between target updates")               \
    X(INT, policy_every, 1, 1, 1000, "gradient steps between actor and alpha updates")         \
    X(REAL, policy_lr, 3e-4, 0, 1, "actor Adam learning rate")                                 \
    X(REAL, q_lr, 1e-3, 0, 1, "critic Adam learning rate")                                     \
    X(REAL, alpha_lr, 1e-3, 0, 1, "log-alpha Adam learning rate")                              \
    X(REAL, alpha, 0.2, 0, 100, "entropy coefficient (its initial value when autotune)")      \
    X(BOOL, autotune, 1, "tune alpha so that the policy entropy tracks the target")            \
    X(REAL, target_entropy_scale, 1, -100, 100, "target entropy = -scale * action dims")       \
    X(INT, hidden, 256, 1, 4096, "hidden units per layer (actor and critics)")                 \
    X(INT, layers, 2, 1, 8, "hidden layers (actor and critics)")                               \
    X(ENUM, activation, "relu", "relu|tanh", "hidden activation")                              \
    X(BOOL, critic_layer_norm, 0, "LayerNorm after each hidden linear of the critics")         \
    X(REAL, log_std_min, -5, -20, 0, "lower bound of the actor's log std (tanh-squashed)")     \
    X(REAL, log_std_max, 2, -5, 10, "upper bound of the actor's log std")                     \
    X(BOOL, fused, 0, "small-network updates without graphs (plain MLPs; same math)")

RLC_CONFIG_STRUCT(rlc_sac_config, RLC_SAC_FIELDS);
/* The SAC config table (rlc/config.h): defaults, --set parsing, JSON. */
RLC_API const rlc_config_table *rlc_sac_config_table(void);

#ifdef __cplusplus
}
#endif
#endif
