/* TD3 (Fujimoto et al. 2018) hyperparameters, DDPG included as its settings: the X-macro
 * config table of the "td3" agent (create it through rlc/agent.h). */
#ifndef RLC_TD3_H
#define RLC_TD3_H

#include "rlc/config.h"
#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults follow CleanRL's td3_continuous_action.py. Noise scales are in units of half the
 * action range (actions live in [-1, 1] inside the agent and are rescaled to the Box bounds
 * for the env). DDPG (Lillicrap et al. 2016, as CleanRL's ddpg): policy_delay=1
 * policy_noise=0 n_critics=1. Tuned per-env values: data/defaults/td3.json. */
#define RLC_TD3_FIELDS(X)                                                                      \
    X(INT, num_envs, 1, 1, 4096, "parallel environments")                                      \
    X(INT, num_threads, 1, 0, 256, "vector-env worker threads (results do not depend on it)")  \
    X(INT, buffer_size, 1000000, 1, 1 << 30, "replay buffer capacity (transitions)")           \
    X(INT, learning_starts, 25000, 0, 1 << 30, "env steps of uniform random actions first")    \
    X(INT, batch_size, 256, 1, 1 << 16, "minibatch size of each gradient step")                \
    X(REAL, utd, 1, 0.001, 1000, "update-to-data ratio: gradient steps per env step")          \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, tau, 0.005, 0, 1, "Polyak coefficient of the target actor and critics")            \
    X(REAL, policy_lr, 3e-4, 0, 1, "actor Adam learning rate")                                 \
    X(REAL, q_lr, 3e-4, 0, 1, "critic Adam learning rate")                                     \
    X(INT, policy_delay, 2, 1, 1000, "critic steps per actor and target update (DDPG: 1)")     \
    X(REAL, policy_noise, 0.2, 0, 10, "std of the target policy smoothing noise (DDPG: 0)")    \
    X(REAL, noise_clip, 0.5, 0, 10, "clip of the smoothing noise")                             \
    X(REAL, exploration_noise, 0.1, 0, 10, "std of the Gaussian exploration noise")            \
    X(INT, n_critics, 2, 1, 2, "critics: 2 (clipped double Q) or 1 (DDPG)")                    \
    X(INT, hidden, 256, 1, 4096, "hidden units per layer (actor and critics)")                 \
    X(INT, layers, 2, 1, 8, "hidden layers (actor and critics)")                               \
    X(ENUM, activation, "relu", "relu|tanh", "hidden activation")                              \
    X(BOOL, critic_layer_norm, 0, "LayerNorm after each hidden linear of the critics")         \
    X(BOOL, critic_state, 0,                                                                   \
      "asymmetric actor-critic: the critics also see the env's privileged state vector "       \
      "(rlc_env_get_state_vector), standardised by statistics of the random-action steps")  \
    X(BOOL, fused, 0, "small-network updates without graphs (plain MLPs; same math)")

RLC_CONFIG_STRUCT(rlc_td3_config, RLC_TD3_FIELDS);
/* The TD3 config table (rlc/config.h): defaults, --set parsing, JSON. */
RLC_API const rlc_config_table *rlc_td3_config_table(void);

#ifdef __cplusplus
}
#endif
#endif
