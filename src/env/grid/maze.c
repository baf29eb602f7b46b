/* GridMaze-v0: a perfect maze from randomized depth-first search, walked with four absolute
 * moves from (1, 1) to the goal at (size-2, size-2). The layout is drawn from the reset RNG
 * (fixed per reset seed) or, with layout_seed >= 0, the same at every reset. */
#include <stddef.h>

#include "env/grid/grid_impl.h"

typedef struct maze_env {
    int size, obs_mode, max_steps;
    int64_t layout_seed; /* -1: from the reset RNG */
    rlc__grid g;         /* evolving (the layout is regenerated at reset) */
} maze_env;

static const rlc_env_param PARAMS[] = {
    {"size", RLC_PARAM_INT, 15, 5, RLC__GRID_MAX - 1, 0, "side of the maze, walls included (odd)"},
    {"layout_seed", RLC_PARAM_INT, -1, -1, 4294967295.0, 0,
     "-1: a new maze from each reset's RNG (fixed per reset seed); >= 0: this maze every reset"},
    {"obs", RLC_PARAM_INT, 0, 0, 2, 0, "observation: 0 (x, y), 1 centred 7x7x3 view, 2 full"},
    {"max_steps", RLC_PARAM_INT, 0, 0, 1e9, 0,
     "reward horizon of 1 - 0.9 * steps / max_steps (0 = 4 * size^2)"},
};

static rlc_status maze_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    maze_env *e = self;
    e->size = (int)vals[0];
    if (e->size % 2 == 0)
        return rlc_error(RLC_ERR_RANGE, "GridMaze: size must be odd (got %d)", e->size);
    e->layout_seed = (int64_t)vals[1];
    e->obs_mode = (int)vals[2];
    e->max_steps = vals[3] > 0 ? (int)vals[3] : 4 * e->size * e->size;
    double lo[2] = {0, 0}, hi[2] = {e->size - 1, e->size - 1};
    rlc__space_discrete(act, 4, 0);
    return rlc__grid_obs_space(obs, e->obs_mode, e->size, e->size, 2, lo, hi);
}

static void maze_observe(const void *self, void *obs) {
    const maze_env *e = self;
    if (e->obs_mode == RLC__GOBS_SYMBOLIC) {
        float *o = obs;
        o[0] = (float)e->g.x;
        o[1] = (float)e->g.y;
    } else {
        rlc__grid_observe_image(&e->g, e->obs_mode, 0, obs);
    }
}

static void maze_build(maze_env *e, rlc_rng *rng) {
    rlc_rng fixed;
    if (e->layout_seed >= 0) {
        rlc_rng_seed(&fixed, (uint64_t)e->layout_seed);
        rng = &fixed;
    }
    rlc__grid_maze(&e->g, rng, e->size);
    rlc__grid_set(&e->g, e->size - 2, e->size - 2, RLC__GO_GOAL, RLC__GC_GREEN, 0);
    e->g.x = e->g.y = 1;
    e->g.dir = 0;
}

static void maze_reset(void *self, rlc_rng *rng, void *obs) {
    maze_env *e = self;
    maze_build(e, rng);
    maze_observe(e, obs);
}

/* Actions 0 east, 1 south, 2 west, 3 north (MiniGrid's direction indices). */
static void maze_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                      int *terminated) {
    maze_env *e = self;
    (void)rng;
    int d = (int)*(const int64_t *)action;
    rlc__grid *g = &e->g;
    g->steps++;
    g->dir = d;
    rlc__gcell f = rlc__grid_get(g, g->x + rlc__grid_dx[d], g->y + rlc__grid_dy[d]);
    if (rlc__grid_passable(f)) {
        g->x += rlc__grid_dx[d];
        g->y += rlc__grid_dy[d];
    }
    int goal = f.type == RLC__GO_GOAL && rlc__grid_passable(f);
    *reward = goal ? rlc__grid_success_reward(g, e->max_steps) : 0.0;
    *terminated = goal;
    maze_observe(e, obs);
}

static void maze_get(const void *self, double *v) {
    const maze_env *e = self;
    v[0] = e->g.x;
    v[1] = e->g.y;
}

static void maze_set(void *self, const double *v) {
    maze_env *e = self;
    if (e->g.w == 0) { /* never reset: the maze of reset(seed=0) */
        rlc_rng r;
        rlc_rng_seed(&r, 0);
        maze_build(e, &r);
    }
    e->g.x = rlc__grid_clampv(v[0], 1, e->g.w - 2);
    e->g.y = rlc__grid_clampv(v[1], 1, e->g.h - 2);
}

static rlc_status maze_render(const void *self, uint8_t *rgb, int width, int height) {
    const maze_env *e = self;
    return rlc__grid_render(&e->g, rgb, width, height, 0, NULL);
}

const rlc__env_def rlc__grid_maze_def = {
    .name = "GridMaze",
    .summary = "procedural maze (randomized DFS): walk from the corner to the goal",
    .size = sizeof(maze_env),
    .state_offset = offsetof(maze_env, g),
    .state_size = sizeof(rlc__grid),
    .state_dim = 2,
    .state_names = "x,y",
    .nparams = 4,
    .params = PARAMS,
    .init = maze_init,
    .reset = maze_reset,
    .step = maze_step,
    .observe = maze_observe,
    .get_vector = maze_get,
    .set_vector = maze_set,
    .render = maze_render,
};
