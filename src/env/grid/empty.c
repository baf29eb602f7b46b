/* GridEmpty-*-v0: MiniGrid's Empty room (agent at (1, 1) facing east, goal in the bottom-right
 * corner, MiniGrid's 7 actions and success reward). Observation: MiniGrid's egocentric view by
 * default; `obs=0` gives (x, y, dir), `obs=2` the full grid. */
#include <stddef.h>

#include "env/grid/grid_impl.h"

typedef struct empty_env {
    int size, obs_mode, max_steps;
    rlc__grid g; /* evolving */
} empty_env;

static const rlc_env_param PARAMS[] = {
    {"size", RLC_PARAM_INT, 8, 5, RLC__GRID_MAX, 0, "side of the room, walls included"},
    {"obs", RLC_PARAM_INT, 1, 0, 2, 0, "observation: 0 (x, y, dir), 1 egocentric 7x7x3, 2 full"},
    {"max_steps", RLC_PARAM_INT, 0, 0, 1e9, 0,
     "reward horizon of 1 - 0.9 * steps / max_steps (0 = MiniGrid's 4 * size^2)"},
};

static rlc_status empty_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    empty_env *e = self;
    e->size = (int)vals[0];
    e->obs_mode = (int)vals[1];
    e->max_steps = vals[2] > 0 ? (int)vals[2] : 4 * e->size * e->size;
    double lo[3] = {0, 0, 0}, hi[3] = {e->size - 1, e->size - 1, 3};
    rlc__space_discrete(act, RLC__GA_N, 0);
    return rlc__grid_obs_space(obs, e->obs_mode, e->size, e->size, 3, lo, hi);
}

static void empty_observe(const void *self, void *obs) {
    const empty_env *e = self;
    if (e->obs_mode == RLC__GOBS_SYMBOLIC) {
        float *o = obs;
        o[0] = (float)e->g.x;
        o[1] = (float)e->g.y;
        o[2] = (float)e->g.dir;
    } else {
        rlc__grid_observe_image(&e->g, e->obs_mode, 1, obs);
    }
}

/* The layout and start are fixed, as MiniGrid-Empty-NxN: no random draws. */
static void empty_build(empty_env *e) {
    rlc__grid_clear(&e->g, e->size, e->size);
    rlc__grid_set(&e->g, e->size - 2, e->size - 2, RLC__GO_GOAL, RLC__GC_GREEN, 0);
}

static void empty_reset(void *self, rlc_rng *rng, void *obs) {
    empty_env *e = self;
    (void)rng;
    empty_build(e);
    empty_observe(e, obs);
}

static void empty_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                       int *terminated) {
    empty_env *e = self;
    (void)rng;
    int ev = rlc__grid_act(&e->g, (int)*(const int64_t *)action);
    *reward = ev & RLC__GEV_GOAL ? rlc__grid_success_reward(&e->g, e->max_steps) : 0.0;
    *terminated = (ev & (RLC__GEV_GOAL | RLC__GEV_LAVA)) != 0;
    empty_observe(e, obs);
}

static void empty_get(const void *self, double *v) {
    const empty_env *e = self;
    v[0] = e->g.x;
    v[1] = e->g.y;
    v[2] = e->g.dir;
}

static void empty_set(void *self, const double *v) {
    empty_env *e = self;
    if (e->g.w == 0) empty_build(e); /* never reset: the room first */
    e->g.x = rlc__grid_clampv(v[0], 1, e->g.w - 2);
    e->g.y = rlc__grid_clampv(v[1], 1, e->g.h - 2);
    e->g.dir = rlc__grid_clampv(v[2], 0, 3);
}

static rlc_status empty_render(const void *self, uint8_t *rgb, int width, int height) {
    const empty_env *e = self;
    return rlc__grid_render(&e->g, rgb, width, height, 1, NULL);
}

const rlc__env_def rlc__grid_empty_def = {
    .name = "GridEmpty",
    .summary = "MiniGrid Empty room: reach the green goal square (sparse reward)",
    .size = sizeof(empty_env),
    .state_offset = offsetof(empty_env, g),
    .state_size = sizeof(rlc__grid),
    .state_dim = 3,
    .state_names = "x,y,dir",
    .nparams = 3,
    .params = PARAMS,
    .init = empty_init,
    .reset = empty_reset,
    .step = empty_step,
    .observe = empty_observe,
    .get_vector = empty_get,
    .set_vector = empty_set,
    .render = empty_render,
};
