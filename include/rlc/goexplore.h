/* Go-Explore (Ecoffet et al. 2019): phase 1 (an archive of cells, return to a chosen cell by
 * restoring its env snapshot, explore from it with repeated random actions) and phase 2
 * (robustify the best trajectory with the Backward Algorithm under sticky actions, here with
 * a tabular Q-learner on the cell representation), plus a random-exploration baseline. */
#ifndef RLC_GOEXPLORE_H
#define RLC_GOEXPLORE_H

#include "rlc/env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most int32 values a cell representation may have. */
#define RLC_GOEXPLORE_CELL_MAX 32

/* A cell function: writes the cell of the env's current state (obs is its latest observation,
 * in the obs space's dtype) as n int32 values into cell[RLC_GOEXPLORE_CELL_MAX] and returns n
 * (1..RLC_GOEXPLORE_CELL_MAX, the same n for every state), or a negative value to abort the
 * run with RLC_ERR_INVALID. `ctx` is the config's cell_ctx. */
typedef int (*rlc_goexplore_cell_fn)(void *ctx, const rlc_env *env, const void *obs, int32_t *cell);

/* Configuration shared by phase 1, the random baseline and the robustification. Start from
 * rlc_goexplore_config_default(). */
typedef struct rlc_goexplore_config {
    int64_t env_seed;   /* reset seed of the start state (default 0) */
    uint64_t seed;      /* the algorithm's own RNG: cell choice, actions (default 0) */
    int explore_steps;  /* steps explored after each return (default 100) */
    double repeat_prob; /* probability to repeat the previous action (default 0.95) */
    /* Default cell function: floor(v[i] / cell_scale[i]) of the env's state vector v
     * (rlc_env_get_state_vector); cell_scale NULL means 1 for every element (exact states of
     * the grid worlds). The array is read during create and copied (state_dim entries). */
    const double *cell_scale;
    rlc_goexplore_cell_fn cell_fn; /* NULL = the default above */
    void *cell_ctx;
    /* "Solved" threshold: the first env step at which a trajectory's score (undiscounted
     * return from the start) reaches it is recorded (first_solve_step). NAN = never. */
    double solve_score;
    int64_t max_cells; /* archive capacity (0 = unlimited); new cells beyond it are dropped */
} rlc_goexplore_config;

/* Defaults as listed above (solve_score NAN). `c` must be non-NULL. */
RLC_API void rlc_goexplore_config_default(rlc_goexplore_config *c);

/* Progress of a phase-1 run or of the random baseline. */
typedef struct rlc_goexplore_stats {
    int64_t env_steps;        /* steps taken so far */
    int64_t iterations;       /* returns + explorations (random baseline: episodes) */
    int64_t cells;            /* cells in the archive (random baseline: distinct cells seen) */
    double best_score;        /* highest score reached */
    int64_t best_length;      /* shortest trajectory with that score */
    int64_t best_cell;        /* its cell index (-1 for the random baseline) */
    int64_t first_solve_step; /* env steps until the score first reached solve_score, or -1 */
} rlc_goexplore_stats;

/* What the archive holds for one cell. */
typedef struct rlc_goexplore_cell_info {
    const int32_t *key; /* the cell representation, key_len values (valid until the next run) */
    int key_len;
    double score;   /* return of the best trajectory reaching the cell */
    int64_t length; /* its number of steps */
    int64_t visits; /* times any trajectory passed through the cell */
    int64_t chosen; /* times it was chosen to explore from */
    int terminal;   /* its snapshot ends an episode (never chosen) */
} rlc_goexplore_cell_info;

/* ---- Phase 1 ---- */

typedef struct rlc_goexplore rlc_goexplore;

/* Creates a phase-1 run on `env` (borrowed: it must outlive the run and is stepped, reset and
 * restored by it; its action space must be Discrete). Resets env with cfg->env_seed and puts
 * the start cell in the archive. cfg NULL = defaults. Errors (out untouched): RLC_ERR_INVALID
 * for a NULL argument, a non-Discrete action space or a bad cell function result,
 * RLC_ERR_RANGE for repeat_prob outside [0, 1], explore_steps < 1 or negative max_cells,
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_goexplore_create(rlc_goexplore **out, rlc_env *env,
                                        const rlc_goexplore_config *cfg);
/* Frees the run (not the env). Accepts NULL. */
RLC_API void rlc_goexplore_destroy(rlc_goexplore *ge);

/* Runs phase 1 for `env_steps` more env steps: choose a non-terminal cell with probability
 * proportional to 1 / sqrt(times chosen + 1), restore its snapshot, take up to explore_steps steps
 * repeating the previous action with probability repeat_prob (else a uniform action), stop at the
 * end of the episode; each state reached updates its cell when the cell is new, or the score is
 * higher, or the score is equal and the trajectory shorter. An exploration cut by the budget
 * continues in the next call (from a snapshot of where it stopped, so the env may be used in
 * between): run(a) then run(b) gives exactly run(a + b). Returns early (RLC_OK) only when every
 * archived cell ends an episode. Errors: RLC_ERR_RANGE for a negative budget, RLC_ERR_NOMEM
 * (the archive stays valid), env or cell function errors. */
RLC_API rlc_status rlc_goexplore_run(rlc_goexplore *ge, int64_t env_steps);

RLC_API void rlc_goexplore_get_stats(const rlc_goexplore *ge, rlc_goexplore_stats *out);
RLC_API int64_t rlc_goexplore_num_cells(const rlc_goexplore *ge);
/* Archive entry i (0 <= i < num_cells; cell 0 is the start). RLC_ERR_RANGE otherwise. */
RLC_API rlc_status rlc_goexplore_cell(const rlc_goexplore *ge, int64_t i,
                                      rlc_goexplore_cell_info *out);
/* Index of the cell with the highest score (ties: shorter trajectory, then lower index). */
RLC_API int64_t rlc_goexplore_best_cell(const rlc_goexplore *ge);
/* Cell i's snapshot (rlc_env_get_state bytes of the env; *size receives its size, may be
 * NULL), or NULL for a bad index. Valid until the next run or destroy. */
RLC_API const void *rlc_goexplore_cell_state(const rlc_goexplore *ge, int64_t i, size_t *size);
/* The actions of cell i's best trajectory from the start state (reset with env_seed):
 * writes the first min(cap, length) of them to actions (may be NULL when cap is 0) and returns
 * the length, or -1 for a bad index. Replaying them from reset(env_seed) reaches the cell. */
RLC_API int64_t rlc_goexplore_trajectory(const rlc_goexplore *ge, int64_t i, int64_t *actions,
                                         int64_t cap);

/* Random-exploration baseline with the same budget: episodes from reset(cfg->env_seed), each
 * action repeated with probability cfg->repeat_prob (0 = uniformly random actions), for
 * `env_steps` steps in all; fills `out` (cells = distinct cells seen, with the config's cell
 * function). Errors as rlc_goexplore_create. */
RLC_API rlc_status rlc_goexplore_random(rlc_env *env, const rlc_goexplore_config *cfg,
                                        int64_t env_steps, rlc_goexplore_stats *out);

/* ---- Phase 2: robustification with the Backward Algorithm ---- */

/* Start from rlc_goexplore_robust_config_default(). */
typedef struct rlc_goexplore_robust_config {
    double sticky_p;    /* sticky actions in training and evaluation (default 0.25) */
    double alpha;       /* Q-learning step size (default 0.2) ... */
    double alpha_decay; /* ... divided by sqrt(1 + alpha_decay * n) after n updates of the
                         * value, so values settle under sticky-action noise (default 0.01) */
    double gamma;       /* discount (default 0.99) */
    double epsilon;     /* exploration of the epsilon-greedy learner (default 0.1) */
    int window;         /* episodes from the current start judged together (default 20) */
    double advance;     /* success rate over a window that moves the start back (default 0.5) */
    int start_step;     /* demo steps the start moves back each time (default 2) */
    int start_jitter;   /* each episode starts up to this many demo steps later (default 2) */
} rlc_goexplore_robust_config;

RLC_API void rlc_goexplore_robust_config_default(rlc_goexplore_robust_config *c);

typedef struct rlc_goexplore_robust rlc_goexplore_robust;

/* Prepares the Backward Algorithm on `env` (borrowed, Discrete actions) for the demonstration
 * `demo[demo_len]` (actions from reset(cfg->env_seed), e.g. rlc_goexplore_trajectory of the
 * best cell): replays it once, storing the snapshot and the return at every step. An episode
 * is a success when its return from its start reaches the demo's return from there. The
 * learner is tabular Q-learning on the cells of `cfg` (the cell function of phase 1), trained
 * with epsilon-greedy actions and sticky actions. gcfg NULL = defaults, rcfg NULL = defaults.
 * Errors: RLC_ERR_INVALID (NULL env or demo with demo_len > 0, non-Discrete actions, a demo
 * action outside the space, a demo that ends before its last action), RLC_ERR_RANGE (bad
 * config values), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_goexplore_robust_create(rlc_goexplore_robust **out, rlc_env *env,
                                               const int64_t *demo, int64_t demo_len,
                                               const rlc_goexplore_config *gcfg,
                                               const rlc_goexplore_robust_config *rcfg);
RLC_API void rlc_goexplore_robust_destroy(rlc_goexplore_robust *r);
/* Trains for `env_steps` more env steps (whole episodes): each episode restores the demo
 * snapshot at the current start index (plus a random jitter), and after `window` episodes
 * with a success rate >= advance the start moves start_step demo steps earlier, down to 0
 * (the env's start state), where training continues. */
RLC_API rlc_status rlc_goexplore_robust_train(rlc_goexplore_robust *r, int64_t env_steps);
/* The current start index along the demo (demo_len - 1 at creation: one step before its end;
 * 0 once the agent starts from the start state). */
RLC_API int64_t rlc_goexplore_robust_start(const rlc_goexplore_robust *r);
/* The demo's return. */
RLC_API double rlc_goexplore_robust_demo_return(const rlc_goexplore_robust *r);
/* Evaluates the greedy policy from reset(env_seed) with sticky actions (sticky_p) over
 * `episodes` episodes using an RNG seeded with `seed`: fraction of successes (return >= the
 * demo's) and mean return (either pointer may be NULL). Unknown cells act uniformly at random.
 * Errors: RLC_ERR_RANGE for episodes < 1, env errors. */
RLC_API rlc_status rlc_goexplore_robust_evaluate(rlc_goexplore_robust *r, int episodes,
                                                 uint64_t seed, double *success_rate,
                                                 double *mean_return);
/* The greedy action for the env's current state (its latest observation `obs`), -1 when the
 * state's cell was never visited. */
RLC_API int64_t rlc_goexplore_robust_act(const rlc_goexplore_robust *r, const void *obs);

#ifdef __cplusplus
}
#endif
#endif
