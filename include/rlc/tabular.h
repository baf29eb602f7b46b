/* Tabular and linear MDP toolkit: finite MDPs (dense or sparse transitions, episodic or
 * discounted), exact planning (value/policy iteration, evaluation, KL-regularised and robust
 * value iteration, the effective horizon), model-free learning on a simulator (Q-learning,
 * Dyna-Q), UCBVI, and linear mixture MDPs with value-targeted regression. */
#ifndef RLC_TABULAR_H
#define RLC_TABULAR_H

#include "rlc/config.h"
#include "rlc/core.h"
#include "rlc/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Finite MDPs                                                                               */
/* ======================================================================================== */

/* A finite MDP with S states and A actions. Transitions and rewards are time-homogeneous.
 *   H > 0   episodic: H steps from a start state drawn from mu0; undiscounted (gamma ignored).
 *   H == 0  discounted: infinite horizon with discount gamma in [0, 1).
 * Transitions are stored either dense, P[(s*A + a)*S + s2] = P(s2 | s, a), or sparse in CSR
 * form: the row of (s, a) is entries rowptr[s*A + a] .. rowptr[s*A + a + 1] - 1 of col/val,
 * with strictly increasing column indices. R[s*A + a] is the (expected, deterministic) reward
 * of taking a in s, mu0[S] the start distribution.
 *
 * Arrays over time use a common layout with T = rlc_mdp_stages(m) stages (H episodic, 1
 * discounted): a value function V has T*S entries (V[h*S + s]; the value after the last
 * stage is 0), a Q function T*S*A (Q[(h*S + s)*A + a]), a stochastic policy T*S*A
 * probabilities, a deterministic policy T*S action indices.
 *
 * The struct is plain: it may be read freely, and filled by hand after rlc_mdp_create_*
 * (then check it with rlc_mdp_validate). Every function taking an MDP expects a valid one. */
typedef struct rlc_mdp {
    int S, A;
    int H;           /* horizon (> 0) or 0 for the discounted setting */
    double gamma;    /* discount for H == 0 */
    int sparse;      /* 0: P is used; 1: rowptr/col/val are used */
    double *P;       /* dense transitions [S*A*S] (NULL when sparse) */
    int64_t nnz;     /* sparse: number of stored entries */
    int64_t *rowptr; /* sparse: [S*A + 1], rowptr[0] = 0, rowptr[S*A] = nnz */
    int *col;        /* sparse: next-state index of each entry [nnz] */
    double *val;     /* sparse: probability of each entry [nnz] */
    double *R;       /* rewards [S*A] */
    double *mu0;     /* start distribution [S] */
} rlc_mdp;

/* Allocates a dense MDP with P, R and mu0 zeroed, to be filled by the caller and checked with
 * rlc_mdp_validate. Errors (out untouched): RLC_ERR_INVALID for NULL out, S < 1, A < 1,
 * H < 0, or (H == 0) gamma outside [0, 1); RLC_ERR_RANGE when S*A*S overflows;
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_create_dense(rlc_mdp **out, int S, int A, int H, double gamma);

/* Allocates a sparse MDP with room for nnz transition entries (rowptr, col, val, R, mu0
 * zeroed). Errors as rlc_mdp_create_dense, and RLC_ERR_INVALID for nnz < 0. */
RLC_API rlc_status rlc_mdp_create_sparse(rlc_mdp **out, int S, int A, int H, double gamma,
                                         int64_t nnz);

/* Builds a validated dense MDP from caller arrays (copied): P[S*A*S], R[S*A] and mu0[S]
 * (mu0 NULL: every episode starts in state 0). Errors (out untouched): those of
 * rlc_mdp_create_dense and of rlc_mdp_validate. */
RLC_API rlc_status rlc_mdp_from_dense(rlc_mdp **out, int S, int A, int H, double gamma,
                                      const double *P, const double *R, const double *mu0);

/* Builds a validated sparse MDP from CSR arrays (copied; nnz = rowptr[S*A]). mu0 NULL: start
 * in state 0. Errors as rlc_mdp_from_dense. */
RLC_API rlc_status rlc_mdp_from_sparse(rlc_mdp **out, int S, int A, int H, double gamma,
                                       const int64_t *rowptr, const int *col, const double *val,
                                       const double *R, const double *mu0);

/* Checks a specification. RLC_ERR_INVALID with a message naming the offending entry, e.g.
 *   "P(.|s=3, a=1) sums to 0.9 (must be 1 within 1e-9)"
 *   "P(s'=2|s=0, a=1) = -0.1 is negative"
 *   "R(s=4, a=0) is NaN"
 * for: bad sizes, H < 0, gamma outside [0, 1) in the discounted setting, a transition
 * probability that is negative, NaN or infinite, a row whose sum differs from 1 by more than
 * 1e-9, a non-finite reward, a bad mu0 (same rules as a row), and for sparse MDPs a rowptr
 * that does not run from 0 to nnz without decreasing or a column out of range or not strictly
 * increasing within its row. RLC_OK for a valid MDP. */
RLC_API rlc_status rlc_mdp_validate(const rlc_mdp *m);

/* A deep copy of `m` (dense stays dense, sparse stays sparse). Errors: RLC_ERR_INVALID for
 * NULL arguments, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_copy(rlc_mdp **out, const rlc_mdp *m);

/* Frees an MDP made by this module. Accepts NULL. */
RLC_API void rlc_mdp_destroy(rlc_mdp *m);

/* Random MDP with every row P(.|s, a) drawn from a symmetric Dirichlet(alpha) (dense),
 * rewards R(s, a) ~ Uniform[0, 1) and start state 0. Seeded (same seed, same MDP). Gamma
 * variates by Marsaglia-Tsang on rlc_rng, not NumPy's dirichlet stream. Errors: those of
 * rlc_mdp_create_dense, RLC_ERR_INVALID for alpha <= 0 or not finite. */
RLC_API rlc_status rlc_mdp_random_dirichlet(rlc_mdp **out, int S, int A, int H, double gamma,
                                            double alpha, uint64_t seed);

/* Garnet-style random MDP (Archibald et al. 1995), stored sparse: each (s, a) reaches
 * `branching` distinct next states chosen uniformly, with probabilities given by the gaps
 * between branching - 1 sorted uniform cut points of [0, 1]; rewards ~ Uniform[0, 1); start
 * state 0. Errors: as rlc_mdp_create_sparse, RLC_ERR_INVALID for branching outside 1..S. */
RLC_API rlc_status rlc_mdp_random_garnet(rlc_mdp **out, int S, int A, int H, double gamma,
                                         int branching, uint64_t seed);

/* Number of stages T of the time-indexed arrays: H (episodic) or 1 (discounted). */
RLC_API int rlc_mdp_stages(const rlc_mdp *m);

/* sum_s2 P(s2 | s, a) * V[s2] for a value vector V[S]. */
RLC_API double rlc_mdp_expect(const rlc_mdp *m, int s, int a, const double *V);

/* Writes the row P(. | s, a) densely into out[S]. */
RLC_API void rlc_mdp_row(const rlc_mdp *m, int s, int a, double *out);

/* Samples s2 ~ P(. | s, a) (one rlc_rng_random draw, inverse CDF) and a start state from
 * mu0. Rounding leftovers go to the last entry with positive probability. */
RLC_API int rlc_mdp_sample_next(const rlc_mdp *m, int s, int a, rlc_rng *rng);
RLC_API int rlc_mdp_sample_start(const rlc_mdp *m, rlc_rng *rng);

/* Samples an action from row `p` of a stochastic policy (A probabilities; one random draw).
 */
RLC_API int rlc_mdp_sample_action(const double *p, int A, rlc_rng *rng);

/* Runs one episode of `steps` steps (episodic MDPs: at most H) under the stochastic policy
 * pi[T*S*A] (stage min(t, T-1) at step t), starting from a state drawn from mu0. Writes the
 * visited states (steps + 1 entries) and actions (steps entries) when the arrays are not
 * NULL, and returns the (discounted, for H == 0) return. */
RLC_API double rlc_mdp_rollout(const rlc_mdp *m, const double *pi, int steps, rlc_rng *rng,
                               int *states, int *actions);

/* Expected value of the start distribution: sum_s mu0[s] * V[s] (stage 0 of V). */
RLC_API double rlc_mdp_start_value(const rlc_mdp *m, const double *V);

/* One-hot stochastic policy pi[T*S*A] from actions act[T*S]. */
RLC_API void rlc_mdp_policy_from_actions(const rlc_mdp *m, const int *act, double *pi);

/* Uniform random policy pi[T*S*A]. */
RLC_API void rlc_mdp_policy_uniform(const rlc_mdp *m, double *pi);

/* Greedy actions act[T*S] of Q[T*S*A]: the first index of the largest value. */
RLC_API void rlc_mdp_greedy(const rlc_mdp *m, const double *Q, int *act);

/* ---------------------------------------------------------------------------------------- */
/* Exact planning. Outputs may be NULL when not wanted; they are written only on success.    */
/* Working memory is allocated per call (RLC_ERR_NOMEM).                                     */
/* ---------------------------------------------------------------------------------------- */

/* Value iteration. Episodic: exact backward induction (tol and max_iter ignored). Discounted:
 * V_0 = 0 and V_{n+1} = max_a (R + gamma P V_n) until ||V_{n+1} - V_n||_inf <=
 * tol (1 - gamma) / gamma, so that ||V - V*||_inf <= tol. Writes V[T*S], Q[T*S*A], the greedy
 * policy act[T*S] of Q and the number of sweeps. Errors: RLC_ERR_INVALID for NULL m or
 * tol <= 0 (discounted), RLC_ERR_STATE when max_iter sweeps do not converge (the message
 * gives the last change), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_value_iteration(const rlc_mdp *m, double tol, int max_iter, double *V,
                                           double *Q, int *act, int *iters);

/* Iterative policy evaluation of the stochastic policy pi[T*S*A]. Episodic: exact backward
 * induction. Discounted: V_{n+1} = R_pi + gamma P_pi V_n from 0, stopping as value iteration
 * does. Writes V[T*S] and Q[T*S*A]. Errors as rlc_mdp_value_iteration, and RLC_ERR_INVALID
 * for a NULL policy. */
RLC_API rlc_status rlc_mdp_policy_evaluate(const rlc_mdp *m, const double *pi, double tol,
                                           int max_iter, double *V, double *Q);

/* Exact policy evaluation: discounted, the linear system (I - gamma P_pi) V = R_pi solved by
 * Gaussian elimination with partial pivoting (O(S^3)); episodic, backward induction. Errors:
 * RLC_ERR_INVALID for NULL m/pi, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_policy_evaluate_exact(const rlc_mdp *m, const double *pi, double *V,
                                                 double *Q);

/* Howard's policy iteration with exact evaluation, starting from action 0 everywhere; an
 * action is switched only if it improves Q by more than 1e-12 (relative to max(1, |Q|)),
 * which guarantees termination. Writes V, Q, act as value iteration, and the number of
 * improvement rounds. Errors: RLC_ERR_STATE after max_iter rounds, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_policy_iteration(const rlc_mdp *m, int max_iter, double *V, double *Q,
                                            int *act, int *iters);

/* KL-regularised ("soft") value iteration toward a reference policy pi_ref[T*S*A] with
 * temperature lambda > 0: it maximises E[sum_t r_t - lambda KL(pi(.|s_t) || pi_ref(.|s_t))]:
 *   Q(s, a) = R(s, a) + gamma E[V(s')],
 *   V(s) = lambda log sum_a pi_ref(a|s) exp(Q(s, a) / lambda),
 *   pi(a|s) = pi_ref(a|s) exp((Q(s, a) - V(s)) / lambda)
 * (log-sum-exp with the maximum subtracted; actions with pi_ref = 0 get probability 0).
 * lambda -> infinity gives pi_ref and its value; lambda -> 0 the best action within the
 * support of pi_ref. Episodic: backward induction; discounted: iterate to tol as value
 * iteration. Writes V, Q and the policy pi[T*S*A]. Errors: RLC_ERR_INVALID for NULL
 * m/pi_ref, lambda <= 0 or not finite, or a pi_ref row that is not a distribution (naming the
 * stage and state); RLC_ERR_STATE when not converged; RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_kl_value_iteration(const rlc_mdp *m, const double *pi_ref, double lambda,
                                              double tol, int max_iter, double *V, double *Q,
                                              double *pi);

/* Robust value iteration over a finite set of n models that share S, A, H and gamma
 * ((s, a)-rectangular uncertainty: nature picks the worst model at every step):
 *   Q(s, a) = min_m [R_m(s, a) + gamma E_{P_m}[V(s')]],   V(s) = max_a Q(s, a).
 * The robust value is <= each model's optimal value and <= each model's value of the
 * returned greedy policy. Writes V, Q, act as value iteration. Errors: RLC_ERR_INVALID for
 * NULL arguments, n < 1 or models of different shapes; RLC_ERR_STATE; RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_robust_value_iteration(const rlc_mdp *const *models, int n, double tol,
                                                  int max_iter, double *V, double *Q, int *act);

/* The effective horizon of Laidlaw, Zhu, Russell and Dragan (episodic MDPs only).
 * Q^1 = Q of the exploration policy (uniform random by default), Q^{i+1} = one Bellman
 * optimality backup of Q^i (Q^{i+1}_t(s,a) = R(s,a) + E[max_a' Q^i_{t+1}(s',a')]). An action
 * is optimal at (t, s) if Q*_t(s, a) >= V*_t(s) - tol. The MDP is k-QVI-solvable when, at
 * every (t, s) reachable from mu0 by actions that are greedy for Q^k, every greedy action of
 * Q^k is optimal; min_k is the smallest such k (<= H always: Q^H = Q*).
 * H_bar is the bound of Theorem 5.4 of "Bridging RL Theory and Practice with the Effective
 * Horizon", as its authors compute it, applied to stochastic MDPs:
 *   H_k = k + log_A m_k,   m_k = max over reachable (t, s) with a suboptimal action of
 *   ceil(16 sigma^2 / gap^2 * ln(2 H A^k)),
 * where gap = max_a Q^k_t(s,a) - max over suboptimal a of Q^k_t(s,a) and sigma^2 bounds the
 * variance of the exploration policy's return by Bhatia-Davis,
 * (Q^1 - Q_min)(Q* - Q_min) (Q_min: the worst policy's Q), carried through the k - 1 backups
 * as a max over next (s', a'); H_bar = min(H, min over solvable k <= max_k of H_k).
 * Fields of the result: */
typedef struct rlc_effective_horizon {
    int min_k;    /* smallest k for which the MDP is k-QVI-solvable */
    double H_bar; /* the effective horizon bound (<= H) */
    int best_k;   /* the k attaining H_bar (0 when no H_k is below H) */
    double m;     /* m_k at best_k (0 when best_k == 0) */
    double gap;   /* the gap behind m (at the (t, s) that sets m) */
    double var;   /* the variance bound behind m */
} rlc_effective_horizon;

/* Computes the effective horizon of an episodic MDP for the exploration policy pi_explore
 * [H*S*A] (NULL: uniform), computing H_k for k = 1..max_k (max_k <= 0: up to H; the search
 * stops early once k >= the best H_k so far, as every later H_k >= k). tol: optimality
 * tolerance (e.g. 1e-9; the authors use 1e-4 with rewards in [0, 1]). When Hk is not NULL it
 * receives H entries: Hk[k-1] = H_k (uncapped), INFINITY where the MDP is not k-QVI-solvable,
 * NAN where k was not tried. Errors: RLC_ERR_UNSUPPORTED for a discounted MDP,
 * RLC_ERR_INVALID for NULL m/out, tol < 0 or a bad pi_explore, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_mdp_effective_horizon(const rlc_mdp *m, const double *pi_explore, int max_k,
                                             double tol, rlc_effective_horizon *out, double *Hk);

/* ======================================================================================== */
/* Model-free learning on a simulator                                                        */
/* ======================================================================================== */

/* A tabular simulator: anything that can start an episode and sample a transition. */
typedef struct rlc_tabular_sim {
    int S, A;
    void *ctx;
    /* Starts an episode; returns the first state. */
    int (*reset)(void *ctx, rlc_rng *rng);
    /* Takes action a in state s: returns the next state, writes the reward and whether the
     * episode has terminated (no bootstrapping from the next state). */
    int (*step)(void *ctx, int s, int a, rlc_rng *rng, double *reward, int *terminal);
} rlc_tabular_sim;

/* A simulator over `m` (borrowed: keep m alive): reset draws from mu0, step samples
 * P(.|s, a) and returns R(s, a); episodes never terminate (they are truncated by the
 * learner's max_episode_steps). */
RLC_API void rlc_mdp_simulator(const rlc_mdp *m, rlc_tabular_sim *out);

/* Options of Q-learning and Dyna-Q. */
typedef struct rlc_qlearning_options {
    double gamma;          /* discount (default 0.95) */
    double alpha;          /* step size (default 0.1) */
    double epsilon;        /* epsilon-greedy exploration (default 0.1) */
    int64_t steps;         /* real environment steps (default 10000) */
    int max_episode_steps; /* truncation without termination (default 100) */
    int planning_steps;    /* Dyna-Q: model-based updates per real step; 0: Q-learning */
    double q_init;         /* initial Q values (default 0) */
    uint64_t seed;         /* seeds the rng of the run (default 0) */
} rlc_qlearning_options;

/* Fills *o with the defaults above. */
RLC_API void rlc_qlearning_options_init(rlc_qlearning_options *o);

/* Tabular Q-learning (Watkins), or Dyna-Q when planning_steps > 0: the model keeps counts
 * n(s, a, s') and reward sums of every observed transition, and each planning update draws a
 * previously seen (s, a) uniformly and s' from its empirical distribution. Greedy ties go to
 * the lowest action. Writes Q[S*A]; episode_returns (undiscounted, up to max_episodes entries)
 * and *n_episodes (finished episodes) when not NULL. Errors: RLC_ERR_INVALID for NULL
 * sim/Q, a bad option (named), or a simulator returning a state outside 0..S-1; RLC_ERR_NOMEM
 * (Dyna-Q allocates S*A*S counts). */
RLC_API rlc_status rlc_qlearning_run(const rlc_tabular_sim *sim, const rlc_qlearning_options *o,
                                     double *Q, double *episode_returns, int max_episodes,
                                     int *n_episodes);

/* ---------------------------------------------------------------------------------------- */
/* Q-learning and Dyna-Q as agents (rlc/agent.h): `rlc train --algo q-learning|dyna-q`.      */
/* ---------------------------------------------------------------------------------------- */

/* Hyperparameters of the agents "q-learning" and "dyna-q" (they differ only in the default of
 * planning_steps). Any env with a Discrete action space: every distinct observation (its
 * float32 values, hashed to 64 bits) is a table state, up to max_states; the Q-table is the
 * agent's parameter block "q" (float64 [max_states, A]) in its safetensors checkpoint, with the
 * observation hashes in "tabular.keys". Exploration: epsilon decays linearly from
 * exploration_initial_eps to exploration_final_eps over exploration_fraction of the run (ties
 * of the greedy action broken at random while training). Dyna-Q keeps Sutton and Barto's
 * last-outcome model of each tried (s, a) and makes planning_steps updates per real step on
 * pairs drawn uniformly from those tried. Acting (rlc_agent_act) is greedy (lowest action on
 * ties; action 0 for an unseen observation) when deterministic, else epsilon-greedy with the
 * final epsilon. */
#define RLC_TABQ_FIELDS_(X, PLANNING)                                                          \
    X(INT, num_envs, 1, 1, 4096, "parallel environments")                                      \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, alpha, 0.1, 0, 1, "step size of the Q update")                                     \
    X(REAL, exploration_initial_eps, 1.0, 0, 1, "epsilon at the start")                        \
    X(REAL, exploration_final_eps, 0.05, 0, 1, "epsilon after the decay")                      \
    X(REAL, exploration_fraction, 0.1, 0, 1, "fraction of the run over which epsilon decays")  \
    X(INT, planning_steps, PLANNING, 0, 1 << 20, "Dyna-Q model updates per real step")         \
    X(INT, max_states, 65536, 1, 1 << 24, "capacity of the table (distinct observations)")     \
    X(REAL, q_init, 0, -1e9, 1e9, "initial Q values (optimism when above the returns)")        \
    X(INT, log_every, 1000, 1, 1e15, "env steps between progress rows")
#define RLC_QLEARNING_FIELDS(X) RLC_TABQ_FIELDS_(X, 0)
#define RLC_DYNAQ_FIELDS(X) RLC_TABQ_FIELDS_(X, 10)

RLC_CONFIG_STRUCT(rlc_qlearning_config, RLC_QLEARNING_FIELDS);
RLC_CONFIG_STRUCT(rlc_dynaq_config, RLC_DYNAQ_FIELDS);
/* The config tables of the two agents. */
RLC_API const rlc_config_table *rlc_qlearning_config_table(void);
RLC_API const rlc_config_table *rlc_dynaq_config_table(void);

/* ======================================================================================== */
/* UCBVI (Azar, Osband and Munos 2017) and its KL-regularised variant                        */
/* ======================================================================================== */

typedef enum rlc_ucbvi_bonus {
    RLC_BONUS_HOEFFDING = 0, /* UCBVI-CH: b = 7 H L sqrt(1/n) */
    RLC_BONUS_BERNSTEIN = 1  /* UCBVI-BF: empirical-variance bonus (Algorithm 4 of the paper) */
} rlc_ucbvi_bonus;

typedef struct rlc_ucbvi_options {
    rlc_ucbvi_bonus bonus; /* default Hoeffding */
    double bonus_scale;    /* multiplies the paper's bonus (default 1; the paper's constants
                              are very conservative, experiments use ~0.01-0.1) */
    double delta;          /* confidence level (default 0.1) */
    int64_t episodes;      /* planned number of episodes K, for L = ln(5 S A H K / delta)
                              (default 1000) */
    double lambda;         /* > 0: KL-regularised planning toward pi_ref with temperature
                              lambda (default 0: greedy UCBVI) */
    const double *pi_ref;  /* reference policy [H*S*A] for lambda > 0 (copied at create) */
} rlc_ucbvi_options;

/* Fills *o with the defaults above. */
RLC_API void rlc_ucbvi_options_init(rlc_ucbvi_options *o);

/* UCBVI for an episodic MDP with known rewards R and unknown transitions (estimated from
 * counts pooled over stages, as the transitions are time-homogeneous). */
typedef struct rlc_ucbvi rlc_ucbvi;

/* Creates a learner for the S, A, H, R and mu0 of `m` (copied; the transitions are not read).
 * Errors (out untouched): RLC_ERR_INVALID for NULL arguments, a discounted MDP, a bad
 * option, or a pi_ref that is not a distribution per (h, s) when lambda > 0; RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_ucbvi_create(rlc_ucbvi **out, const rlc_mdp *m, const rlc_ucbvi_options *o);
RLC_API void rlc_ucbvi_destroy(rlc_ucbvi *u);

/* Records the transition (s, a) -> s2 taken at stage h (0-based). Out-of-range arguments are
 * ignored. */
RLC_API void rlc_ucbvi_observe(rlc_ucbvi *u, int h, int s, int a, int s2);

/* Optimistic planning on the empirical model:
 *   Q_h(s, a) = min(H - h, R(s, a) + P^(.|s, a) V_{h+1} + b_h(s, a))  (R + H - h unvisited)
 * and V_h = max_a Q_h (lambda = 0, pi greedy and one-hot) or the soft value toward pi_ref
 * (lambda > 0, pi the soft policy, Q clipped likewise). Writes the policy pi[H*S*A] and, when
 * not NULL, the optimistic values V[H*S]. Errors: RLC_ERR_INVALID for NULL u/pi. */
RLC_API rlc_status rlc_ucbvi_plan(rlc_ucbvi *u, double *pi, double *V);

/* The pessimistic counterpart of rlc_ucbvi_plan, used to recommend a policy (best-policy
 * identification): Q_h(s, a) = max(0, R(s, a) + P^(.|s, a) V_{h+1} - b_h(s, a)) (0 unvisited),
 * then greedy (lambda = 0) or soft toward pi_ref (lambda > 0). Writes pi[H*S*A] and V[H*S]
 * when not NULL. Errors: RLC_ERR_INVALID for NULL u/pi. */
RLC_API rlc_status rlc_ucbvi_plan_pessimistic(rlc_ucbvi *u, double *pi, double *V);

/* Pessimistic evaluation of a policy pi[H*S*A] on the empirical model:
 *   Q_h(s, a) = max(0, R(s, a) + P^(.|s, a) V_{h+1} - b_h(s, a))  (0 unvisited),
 *   V_h(s) = sum_a pi(a|s) Q_h(s, a),
 * with the same bonus as planning (Bernstein: the variance of the lower value). Writes
 * V[H*S]. Errors: RLC_ERR_INVALID for NULL arguments. */
RLC_API rlc_status rlc_ucbvi_lower_value(rlc_ucbvi *u, const double *pi, double *V);

/* Conservative exploration (StepMix / EpsMix of "Near-optimal conservative exploration in
 * reinforcement learning under episode-wise constraints"). The constraint of an episode is
 * V^pi(mu0) >= threshold, typically (1 - kappa) V^{pi_base}(mu0) for a known safe baseline.
 *
 * StepMix: the per-step mixture pi_mix = rho pi_opt + (1 - rho) pi_base (both [H*S*A], e.g.
 * pi_opt from rlc_ucbvi_plan) with the largest rho in [0, 1] (grid of 0.05, refined by 8
 * bisection steps) whose pessimistic value (rlc_ucbvi_lower_value, from mu0) is >= threshold;
 * rho = 0 (the baseline itself) when none is. Writes pi_mix and *rho (when not NULL). */
RLC_API rlc_status rlc_ucbvi_stepmix(rlc_ucbvi *u, const double *pi_opt, const double *pi_base,
                                     double threshold, double *pi_mix, double *rho);

/* EpsMix: the probability rho of running pi_opt for a whole episode (else the baseline, of
 * known value v_base): 1 when the pessimistic value V_l of pi_opt is >= threshold, otherwise
 * the rho with rho V_l + (1 - rho) v_base = threshold, clipped to [0, 1]. */
RLC_API rlc_status rlc_ucbvi_epsmix(rlc_ucbvi *u, const double *pi_opt, double v_base,
                                    double threshold, double *rho);

/* Visits of (s, a) so far (pooled over stages). */
RLC_API int64_t rlc_ucbvi_count(const rlc_ucbvi *u, int s, int a);

/* Runs UCBVI on `m` for `episodes` episodes (plan, one rollout, observe) and writes the
 * cumulative expected regret after each episode: regret[k] = sum_{j<=k} V*(mu0) -
 * V^{pi_j}(mu0) (exact values of each executed policy). Errors: those of rlc_ucbvi_create,
 * RLC_ERR_INVALID for episodes < 1 or NULL regret. */
RLC_API rlc_status rlc_ucbvi_run(const rlc_mdp *m, const rlc_ucbvi_options *o, int64_t episodes,
                                 uint64_t seed, double *regret);

/* ======================================================================================== */
/* Linear mixture MDPs and value-targeted regression                                         */
/* ======================================================================================== */

/* An episodic linear mixture MDP: P(s2 | s, a) = <phi(s2 | s, a), theta> with features
 * phi[((s*A + a)*S + s2)*d + i] and parameter theta[d]. rlc_linmix_random builds the usual
 * kind: d base transition kernels P_i (Dirichlet rows), phi_i(s2|s,a) = P_i(s2|s,a) and theta
 * on the probability simplex, so every theta of the simplex gives a valid MDP. */
typedef struct rlc_linmix {
    int S, A, H, d;
    double *phi;   /* [S*A*S*d] */
    double *theta; /* [d] */
    double *R;     /* [S*A] */
    double *mu0;   /* [S] */
} rlc_linmix;

/* Random linear mixture MDP: d Dirichlet(alpha) kernels, theta ~ Dirichlet(1) on the simplex,
 * rewards Uniform[0,1), start state 0. Errors: RLC_ERR_INVALID for sizes < 1 (d >= 1, H >= 1)
 * or alpha <= 0, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_linmix_random(rlc_linmix **out, int S, int A, int H, int d, double alpha,
                                     uint64_t seed);

/* The MDP of parameter theta[d] (NULL: lm->theta) as a dense rlc_mdp (validated: a theta that
 * gives negative or unnormalised probabilities is refused with the (s, a) named). */
RLC_API rlc_status rlc_linmix_to_mdp(const rlc_linmix *lm, const double *theta, rlc_mdp **out);

RLC_API void rlc_linmix_destroy(rlc_linmix *lm);

/* phi_V(s, a) = sum_s2 phi(s2|s, a) V(s2), so E[V(s') | s, a] = <phi_V(s, a), theta>. Writes
 * out[d]. */
RLC_API void rlc_linmix_phi_v(const rlc_linmix *lm, int s, int a, const double *V, double *out);

typedef struct rlc_vtr_options {
    double ridge; /* lambda of the ridge regression (default 1) */
    double beta;  /* confidence radius multiplying ||phi_V||_{Sigma^-1} (default 1) */
} rlc_vtr_options;

RLC_API void rlc_vtr_options_init(rlc_vtr_options *o);

/* UCRL-VTR (Ayoub et al. 2020): optimistic planning with theta estimated by ridge regression
 * of observed next-state values V_{h+1}(s') on phi_{V_{h+1}}(s, a). */
typedef struct rlc_vtr rlc_vtr;

/* Creates a learner for lm's features, S, A, H (lm is borrowed: keep it alive; its theta is
 * never read). Errors: RLC_ERR_INVALID for NULL arguments or ridge <= 0 or beta < 0,
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_vtr_create(rlc_vtr **out, const rlc_linmix *lm, const rlc_vtr_options *o);
RLC_API void rlc_vtr_destroy(rlc_vtr *v);

/* Optimistic backward induction for rewards R[S*A] (NULL: lm->R), clipped to [0, H - h]:
 *   Q_h(s,a) = min(H - h, R(s,a) + <phi_{V_{h+1}}(s,a), theta^> + beta
 * ||phi_{V_{h+1}}||_{Sigma^-1}) Writes the greedy actions act[H*S] and, when not NULL, V[H*S];
 * keeps V for the targets of rlc_vtr_observe. Errors: RLC_ERR_INVALID for NULL v/act, RLC_ERR_STATE
 * if Sigma is not positive definite (cannot happen with ridge > 0 barring NaN input). */
RLC_API rlc_status rlc_vtr_plan(rlc_vtr *v, const double *R, int *act, double *V);

/* Adds the regression sample of a transition (s, a) -> s2 at stage h < H - 1 with weight
 * 1/sigma2 (sigma2 = 1: plain UCRL-VTR): x = phi_{V_{h+1}}(s, a), y = V_{h+1}(s2), using the
 * values of the last rlc_vtr_plan. Samples at the last stage carry no information and are
 * ignored, as are out-of-range arguments and sigma2 <= 0. */
RLC_API void rlc_vtr_observe(rlc_vtr *v, int h, int s, int a, int s2, double sigma2);

/* Adds a regression sample directly: x[d] with target y and weight 1/sigma2. */
RLC_API void rlc_vtr_add_sample(rlc_vtr *v, const double *x, double y, double sigma2);

/* The current ridge estimate theta^ = Sigma^-1 b into theta[d]. Errors: RLC_ERR_STATE if
 * Sigma is not positive definite. */
RLC_API rlc_status rlc_vtr_theta(const rlc_vtr *v, double *theta);

/* ||x||_{Sigma^-1} for x[d] (uses the factorisation of the last plan/theta call, refreshed
 * when samples were added since). */
RLC_API double rlc_vtr_width(rlc_vtr *v, const double *x);

/* Runs UCRL-VTR on lm for `episodes` episodes with the cumulative expected regret after each
 * episode in regret[episodes] (exact values in the true MDP). Errors: as rlc_vtr_create,
 * RLC_ERR_INVALID for episodes < 1 or NULL regret, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_vtr_run(const rlc_linmix *lm, const rlc_vtr_options *o, int64_t episodes,
                               uint64_t seed, double *regret);

#ifdef __cplusplus
}
#endif
#endif
