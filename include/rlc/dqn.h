/* DQN (Mnih et al. 2015) for Discrete actions with the usual extensions as options: double Q
 * (van Hasselt et al. 2016), dueling heads (Wang et al. 2016), n-step returns and prioritized
 * replay (Schaul et al. 2016). Its hyperparameters, helpers for tests and inspection. */
#ifndef RLC_DQN_H
#define RLC_DQN_H

#include "rlc/agent.h"
#include "rlc/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults follow Stable-Baselines3's DQN (counts in env steps summed over envs, train_freq
 * in vector-env steps) with a 64x64 ReLU Q-network; tuned per-env settings live in
 * data/defaults/dqn.json (CartPole-v1: rl-zoo's recipe, see docs/algorithms.md). */
#define RLC_DQN_FIELDS(X)                                                                      \
    X(INT, num_envs, 1, 1, 4096, "parallel environments")                                      \
    X(INT, num_threads, 1, 0, 256, "vector-env worker threads (results do not depend on it)")  \
    X(INT, buffer_size, 100000, 1, 1e9, "replay capacity in transitions")                      \
    X(REAL, lr, 1e-4, 0, 1, "Adam learning rate")                                              \
    X(REAL, adam_eps, 1e-8, 0, 1, "Adam epsilon")                                              \
    X(INT, batch_size, 32, 1, 1 << 20, "minibatch size")                                       \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(INT, learning_starts, 100, 0, 1e15, "env steps of uniform random actions before updates")\
    X(INT, train_freq, 4, 1, 1 << 30, "vector-env steps between updates")                      \
    X(INT, gradient_steps, 1, 1, 1 << 20, "gradient steps per update")                         \
    X(INT, target_update_interval, 10000, 1, 1e15, "env steps between target updates")        \
    X(REAL, tau, 1.0, 0, 1, "target update: target = (1 - tau) target + tau online (1: hard)") \
    X(REAL, exploration_fraction, 0.1, 0, 1, "fraction of the run over which epsilon decays")  \
    X(REAL, exploration_initial_eps, 1.0, 0, 1, "epsilon at the start")                        \
    X(REAL, exploration_final_eps, 0.05, 0, 1, "epsilon after the decay")                      \
    X(REAL, max_grad_norm, 10, 0, 1e9, "global gradient-norm clip (0: off)")                   \
    X(ENUM, loss, "huber", "huber|mse", "TD loss: Huber (delta 1, SB3) or squared error")      \
    X(BOOL, double_q, 0, "double DQN: online argmax, target evaluation")                       \
    X(BOOL, dueling, 0, "dueling heads: Q = V + A - mean(A)")                                  \
    X(INT, n_step, 1, 1, 1000, "n-step returns")                                               \
    X(BOOL, prioritized, 0, "proportional prioritized replay")                                 \
    X(REAL, per_alpha, 0.6, 0, 10, "priority exponent")                                        \
    X(REAL, per_beta, 0.4, 0, 1, "initial importance exponent, annealed to 1 over the run")    \
    X(REAL, per_eps, 1e-6, 0, 1, "added to |TD error| for priorities")                         \
    X(INT, hidden, 64, 1, 4096, "hidden units per layer")                                      \
    X(INT, layers, 2, 1, 8, "hidden layers")                                                   \
    X(ENUM, activation, "relu", "relu|tanh", "hidden activation")

RLC_CONFIG_STRUCT(rlc_dqn_config, RLC_DQN_FIELDS);
/* The DQN config table (rlc/config.h): defaults, --set parsing, JSON. */
RLC_API const rlc_config_table *rlc_dqn_config_table(void);

/* TD targets of a batch of B transitions with A actions: y = reward + discount * Q'(next)
 * where Q' is max_a q_target[b, a] (plain DQN) or q_target[b, argmax_a q_online[b, a]]
 * (double DQN, first maximal index; q_online may be NULL otherwise). discount already holds
 * gamma^k (0 after termination), as rlc_replay_sample returns it. */
RLC_API void rlc_dqn_targets(int B, int A, const float *q_target, const float *q_online,
                             const float *reward, const float *discount, int double_q,
                             float *y);

/* Q-values of the online network for n observations (n = 1 or the agent's num_envs) written
 * to q[n * A]. Errors: RLC_ERR_INVALID for a non-DQN agent, another n or NULL buffers. */
RLC_API rlc_status rlc_dqn_q_values(rlc_agent *a, const float *obs, int n, float *q);

#ifdef __cplusplus
}
#endif
#endif
