/* Distributed training over MPI (optional at build time: Open MPI through pkg-config).
 * Data-parallel training: the same program runs as K processes ("ranks") under `mpirun`; each
 * steps its own envs, and every optimizer step averages the gradients across ranks, so the
 * parameters stay identical everywhere. Actor-learner training (IMPALA, algo "impala"): ranks
 * 1..K-1 step envs and send trajectories to a learner on rank 0, which answers with fresh
 * parameters. See docs/distributed.md. */
#ifndef RLC_DIST_H
#define RLC_DIST_H

#include "rlc/agent.h"
#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* IMPALA (Espeholt et al. 2018) hyperparameters: an actor-critic learner with V-trace
 * off-policy correction (rho_bar = c_bar = 1 as in the paper), Discrete actions. Alone (one
 * process) it is a synchronous actor-critic with V-trace targets; under mpirun with K >= 2
 * ranks, ranks 1..K-1 act and rank 0 learns (rlc_dist_train_actor_learner). */
#define RLC_IMPALA_FIELDS(X)                                                                   \
    X(INT, num_envs, 8, 1, 4096, "parallel environments per actor")                            \
    X(INT, n_steps, 32, 1, 1 << 20, "unroll length: steps per env in one trajectory batch")    \
    X(INT, num_threads, 1, 0, 256, "vector-env worker threads (results do not depend on it)")  \
    X(REAL, lr, 6e-4, 0, 1, "Adam learning rate (the paper: 6e-4, RMSprop)")                    \
    X(REAL, adam_eps, 1e-5, 0, 1, "Adam epsilon")                                              \
    X(BOOL, anneal_lr, 1, "anneal the learning rate linearly to 0 over the run")               \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, rho_bar, 1, 0, 1e9, "V-trace truncation of the importance weights rho")            \
    X(REAL, c_bar, 1, 0, 1e9, "V-trace truncation of the trace coefficients c")                \
    X(REAL, ent_coef, 0.01, 0, 10, "entropy bonus coefficient")                                \
    X(REAL, vf_coef, 0.5, 0, 100, "value loss coefficient")                                    \
    X(BOOL, norm_adv, 1, "normalise the policy-gradient advantages per batch")                 \
    X(REAL, max_grad_norm, 40, 0, 1e9, "global gradient-norm clip (0: off; the paper: 40)")    \
    X(INT, hidden, 64, 1, 4096, "hidden units per layer (actor and critic)")                   \
    X(INT, layers, 2, 1, 8, "hidden layers (actor and critic)")                                \
    X(ENUM, activation, "tanh", "tanh|relu", "hidden activation")

RLC_CONFIG_STRUCT(rlc_impala_config, RLC_IMPALA_FIELDS);
/* The IMPALA config table (rlc/config.h). */
RLC_API const rlc_config_table *rlc_impala_config_table(void);

/* V-trace targets (Espeholt et al. 2018, eq. 1) over a trajectory batch stored [T][N] (index
 * t * N + i): val = V(x_t) under the learner, boot[i] = V(x_T), ratio = pi/mu of the taken
 * actions. term/trunc flag the step that ended an episode (truncation bootstraps from the
 * next stored observation, the episode's final one); valid = 0 marks a next-step autoreset
 * step (its action was ignored: vs = V, advantage 0). Writes vs[T*N] and the policy-gradient
 * advantages rho_t (r_t + gamma vs_{t+1} - V(x_t)) to adv[T*N]. With ratio = 1 and
 * rho_bar = c_bar = 1, vs is the n-step (lambda = 1) return. */
RLC_API void rlc_vtrace(int T, int N, double gamma, double rho_bar, double c_bar,
                        const float *rew, const float *val, const float *boot,
                        const float *ratio, const uint8_t *term, const uint8_t *trunc,
                        const uint8_t *valid, float *vs, float *adv);

/* 1 when rlc was built with MPI support, 0 otherwise. */
RLC_API int rlc_dist_available(void);
/* Number of processes the launcher started when this one was started by mpirun/mpiexec (read
 * from the launcher's environment: OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_SIZE), else 0. Works
 * without MPI support, so that a program can say that it was not built for it. */
RLC_API int rlc_dist_launched(void);

/* Initialises MPI (once per process; later calls return RLC_OK). Collective errors are
 * returned, not fatal: a failing MPI call ends in an rlc_status whose message names it.
 * Errors: RLC_ERR_UNSUPPORTED when rlc was built without MPI (the message says so),
 * RLC_ERR_IO when MPI_Init fails. */
RLC_API rlc_status rlc_dist_init(void);
/* Finalises MPI if rlc_dist_init started it. Accepts being called without init. */
RLC_API void rlc_dist_finalize(void);
/* This process's rank (0 when not initialised) and the number of ranks (1 when not). */
RLC_API int rlc_dist_rank(void);
RLC_API int rlc_dist_size(void);
/* Ends every rank of the job with exit code `code` (MPI_Abort) after printing `why` (may be
 * NULL) to stderr prefixed with the rank. Without an initialised MPI it returns (the caller
 * exits as usual). */
RLC_API void rlc_dist_abort(int code, const char *why);
/* Returns the worst of every rank's `st` (the most negative): ranks that were fine get
 * RLC_ERR_STATE with a message naming the rank that failed. Collective: every rank must call
 * it. Without MPI (or one rank) returns st. */
RLC_API rlc_status rlc_dist_agree(rlc_status st);

/* 1: after every update of data-parallel training, check that the parameters
 * (rlc_agent_params) are bit-identical on every rank (a 64-bit hash compared across ranks);
 * a difference ends training with RLC_ERR_STATE naming the update. Off by default. */
RLC_API void rlc_dist_set_check(int on);
/* Updates checked so far by the option above (on this rank). */
RLC_API int64_t rlc_dist_checks(void);

/* While MPI is initialised with more than one rank, rlc_agent_train(_resumable) trains
 * data-parallel (see docs/distributed.md): total_steps and the logged steps, episodes and
 * returns count every rank; rank r's sub-env i is reset with seed + r * num_envs + i; the
 * agent state of rank 0 is sent to every rank before the loop; a checkpoint path names rank
 * 0's file and the caller gives rank r > 0 its own (checkpoints are taken at the same update
 * on every rank). Every rank must call it with the same options.
 *
 * Actor-learner training for algo "impala" with K >= 2 ranks: rank 0 learns, ranks 1..K-1
 * act. total_steps counts the env steps of all actors; opt (logger, print) is used on rank 0.
 * Checkpoints (written by rank 0 only, ck may be NULL) hold the learner's state and can be
 * resumed with any K. Errors: RLC_ERR_UNSUPPORTED without MPI, with fewer than 2 ranks or for
 * another algorithm; those of rlc_agent_train. */
RLC_API rlc_status rlc_dist_train_actor_learner(rlc_agent *a, uint64_t seed,
                                                const rlc_train_options *opt,
                                                const rlc_train_checkpoint *ck,
                                                rlc_train_result *res);

#ifdef __cplusplus
}
#endif
#endif
