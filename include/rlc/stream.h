/* The stream-x agents (Elsayed, Vasan & Mahmood 2024, "Streaming deep reinforcement learning
 * finally works"): stream AC(lambda), stream Q(lambda) and stream TD(lambda) learn from each
 * transition once, as it arrives: batch size 1, no replay buffer, no target network. Their
 * ingredients: the ObGD optimizer (rlc/optim.h) with eligibility traces, sparse initialisation
 * (90% zeros per unit, the rest U(+-1/sqrt(fan_in))), LayerNorm without affine parameters after
 * each hidden linear, leaky ReLU, online observation normalisation (Welford: (x - mean) /
 * sqrt(var + 1e-8)) and rewards divided by the running std of the discounted return.
 * Switching those off and choosing optimizer=sgd gives the naive streaming baselines (classic
 * AC(lambda) / Q(lambda) / TD(lambda) with a fixed step size) that show the "stream barrier".
 * Agents "stream-ac", "stream-q" and "stream-td" on the agent interface (rlc/agent.h); the
 * learning step is hand-fused (forward, backward into the trace, update fused with the next
 * forward) and allocates nothing. */
#ifndef RLC_STREAM_H
#define RLC_STREAM_H

#include "rlc/agent.h"
#include "rlc/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Values of the `optimizer` field. */
enum { RLC_STREAM_OPT_OBGD = 0, RLC_STREAM_OPT_SGD = 1 };

#define RLC_STREAM__COMMON_FIELDS(X)                                                           \
    X(ENUM, optimizer, "obgd", "obgd|sgd",                                                     \
      "obgd: overshooting-bounded steps; sgd: fixed step lr (naive streaming baseline)")       \
    X(REAL, lr, 1.0, 0, 10, "step size alpha (ObGD: the largest step)")                        \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, trace_lambda, 0.8, 0, 1, "eligibility-trace decay lambda")                         \
    X(INT, hidden, 128, 1, 4096, "hidden units per layer")                                     \
    X(INT, layers, 2, 1, 8, "hidden layers")                                                   \
    X(BOOL, layer_norm, 1, "LayerNorm without affine parameters after each hidden linear")     \
    X(BOOL, sparse_init, 1, "sparse initialisation (else PyTorch's default Linear init)")      \
    X(REAL, sparsity, 0.9, 0, 0.999, "fraction of zero weights per unit (sparse_init)")        \
    X(BOOL, norm_obs, 1, "normalise observations online (Welford mean / sample variance)")     \
    X(BOOL, scale_reward, 1, "divide rewards by the running std of the discounted return")

/* Stream AC(lambda): actor (softmax over Discrete actions, or a Gaussian with softplus std over
 * a Box) and critic, each with its own ObGD (kappa 3 and 2). Critic trace: grad v(s); actor
 * trace: grad [log pi(a|s) + entropy_coef sign(delta) H(pi(.|s))]; both step with delta =
 * r + gamma v(s') (0 after termination) - v(s). Traces reset at episode ends. */
#define RLC_STREAM_AC_FIELDS(X)                                                                \
    RLC_STREAM__COMMON_FIELDS(X)                                                               \
    X(REAL, kappa_policy, 3.0, 1e-6, 1e6, "ObGD bound of the actor")                           \
    X(REAL, kappa_value, 2.0, 1e-6, 1e6, "ObGD bound of the critic")                           \
    X(REAL, entropy_coef, 0.01, 0, 100, "entropy bonus, signed by the TD error")

/* Stream Q(lambda): epsilon-greedy Q-learning with Watkins's traces (reset after exploratory
 * actions and at episode ends), delta = r + gamma max_a' q(s', a') - q(s, a). */
#define RLC_STREAM_Q_FIELDS(X)                                                                 \
    RLC_STREAM__COMMON_FIELDS(X)                                                               \
    X(REAL, kappa, 2.0, 1e-6, 1e6, "ObGD bound")                                               \
    X(REAL, start_eps, 1.0, 0, 1, "epsilon at the start")                                      \
    X(REAL, end_eps, 0.01, 0, 1, "epsilon after the decay")                                    \
    X(REAL, exploration_fraction, 0.1, 0, 1, "fraction of the run over which epsilon decays")

/* Stream TD(lambda): prediction of the value of a fixed behaviour policy (uniform random
 * actions), delta = r + gamma v(s') - v(s). rlc_stream_value() reads the prediction. */
#define RLC_STREAM_TD_FIELDS(X)                                                                \
    RLC_STREAM__COMMON_FIELDS(X)                                                               \
    X(REAL, kappa, 2.0, 1e-6, 1e6, "ObGD bound")

RLC_CONFIG_STRUCT(rlc_stream_ac_config, RLC_STREAM_AC_FIELDS);
RLC_CONFIG_STRUCT(rlc_stream_q_config, RLC_STREAM_Q_FIELDS);
RLC_CONFIG_STRUCT(rlc_stream_td_config, RLC_STREAM_TD_FIELDS);
RLC_API const rlc_config_table *rlc_stream_ac_config_table(void);
RLC_API const rlc_config_table *rlc_stream_q_config_table(void);
RLC_API const rlc_config_table *rlc_stream_td_config_table(void);

/* The value prediction for one raw observation obs[obs_size] (normalised with the agent's
 * current statistics, not updated): v(s) of stream-td and the critic of stream-ac, max_a q(s,
 * a) of stream-q, in the scaled-reward units the agent learns in (times
 * rlc_stream_reward_scale() gives env reward units). Errors: RLC_ERR_INVALID for another
 * agent or NULL arguments. */
RLC_API rlc_status rlc_stream_value(rlc_agent *a, const float *obs, double *value);
/* The factor rewards are currently divided by (1 without scale_reward). */
RLC_API double rlc_stream_reward_scale(rlc_agent *a);

#ifdef __cplusplus
}
#endif
#endif
