/* GridDoorKey-*-v0: MiniGrid's DoorKey (pick up the yellow key, unlock the door in the
 * splitting wall, reach the goal), generated with MiniGrid's draws in MiniGrid's order. The
 * layout lives in the snapshot. Observation: egocentric view by default, `obs=0` symbolic,
 * `obs=2` full grid. */
#include <stddef.h>

#include "env/grid/grid_impl.h"

typedef struct doorkey_state {
    rlc__grid g;
    int32_t door_x, door_y; /* the door in the splitting wall */
    int32_t key_x, key_y;   /* where the key was placed at reset */
} doorkey_state;

typedef struct doorkey_env {
    int size, obs_mode, max_steps;
    doorkey_state s; /* evolving */
} doorkey_env;

static const rlc_env_param PARAMS[] = {
    {"size", RLC_PARAM_INT, 8, 5, RLC__GRID_MAX, 0, "side of the room, walls included"},
    {"obs", RLC_PARAM_INT, 1, 0, 2, 0,
     "observation: 0 symbolic (9 floats), 1 egocentric 7x7x3, 2 full"},
    {"max_steps", RLC_PARAM_INT, 0, 0, 1e9, 0,
     "reward horizon of 1 - 0.9 * steps / max_steps (0 = MiniGrid's 10 * size^2)"},
};

#define NSYM 9

static rlc_status doorkey_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    doorkey_env *e = self;
    e->size = (int)vals[0];
    e->obs_mode = (int)vals[1];
    e->max_steps = vals[2] > 0 ? (int)vals[2] : 10 * e->size * e->size;
    double m = e->size - 1;
    double lo[NSYM] = {0, 0, 0, 0, 0, -1, -1, 0, 0}, hi[NSYM] = {m, m, 3, 1, 2, m, m, m, m};
    rlc__space_discrete(act, RLC__GA_N, 0);
    return rlc__grid_obs_space(obs, e->obs_mode, e->size, e->size, NSYM, lo, hi);
}

/* Where the key lies on the grid (-1, -1 when carried). */
static void find_key(const doorkey_state *s, int *kx, int *ky) {
    *kx = *ky = -1;
    for (int y = 0; y < s->g.h; y++)
        for (int x = 0; x < s->g.w; x++)
            if (s->g.c[y * RLC__GRID_MAX + x].type == RLC__GO_KEY) {
                *kx = x;
                *ky = y;
                return;
            }
}

static void doorkey_observe(const void *self, void *obs) {
    const doorkey_env *e = self;
    const rlc__grid *g = &e->s.g;
    if (e->obs_mode != RLC__GOBS_SYMBOLIC) {
        rlc__grid_observe_image(g, e->obs_mode, 1, obs);
        return;
    }
    int kx, ky;
    find_key(&e->s, &kx, &ky);
    float *o = obs;
    o[0] = (float)g->x;
    o[1] = (float)g->y;
    o[2] = (float)g->dir;
    o[3] = g->carrying.type == RLC__GO_KEY;
    o[4] = rlc__grid_get(g, e->s.door_x, e->s.door_y).state;
    o[5] = (float)kx;
    o[6] = (float)ky;
    o[7] = (float)e->s.door_x;
    o[8] = (float)e->s.door_y;
}

/* MiniGrid DoorKeyEnv._gen_grid: goal, split column, agent (position then direction), door
 * row, key, each drawn as MiniGrid draws them. */
static void doorkey_build(doorkey_env *e, rlc_rng *rng) {
    doorkey_state *s = &e->s;
    rlc__grid *g = &s->g;
    int w = e->size, h = e->size;
    rlc__grid_clear(g, w, h);
    g->x = g->y = -1; /* no agent yet (MiniGrid's (-1, -1)) */
    rlc__grid_set(g, w - 2, h - 2, RLC__GO_GOAL, RLC__GC_GREEN, 0);
    int split = (int)rlc_rng_integers(rng, 2, w - 2);
    for (int y = 0; y < h; y++)
        rlc__grid_set(g, split, y, RLC__GO_WALL, RLC__GC_GREY, 0);
    int ax = 1, ay = 1, kx = 1, ky = 2;
    rlc__grid_place(g, rng, 0, 0, split, h, &ax, &ay);
    g->x = ax;
    g->y = ay;
    g->dir = (int)rlc_rng_integers(rng, 0, 4);
    int door = (int)rlc_rng_integers(rng, 1, w - 2);
    rlc__grid_set(g, split, door, RLC__GO_DOOR, RLC__GC_YELLOW, RLC__GD_LOCKED);
    rlc__grid_place(g, rng, 0, 0, split, h, &kx, &ky);
    rlc__grid_set(g, kx, ky, RLC__GO_KEY, RLC__GC_YELLOW, 0);
    s->door_x = split;
    s->door_y = door;
    s->key_x = kx;
    s->key_y = ky;
}

static void doorkey_reset(void *self, rlc_rng *rng, void *obs) {
    doorkey_env *e = self;
    doorkey_build(e, rng);
    doorkey_observe(e, obs);
}

static void doorkey_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                         int *terminated) {
    doorkey_env *e = self;
    (void)rng;
    int ev = rlc__grid_act(&e->s.g, (int)*(const int64_t *)action);
    *reward = ev & RLC__GEV_GOAL ? rlc__grid_success_reward(&e->s.g, e->max_steps) : 0.0;
    *terminated = (ev & (RLC__GEV_GOAL | RLC__GEV_LAVA)) != 0;
    doorkey_observe(e, obs);
}

static void doorkey_get(const void *self, double *v) {
    const doorkey_env *e = self;
    const rlc__grid *g = &e->s.g;
    v[0] = g->x;
    v[1] = g->y;
    v[2] = g->dir;
    v[3] = g->carrying.type == RLC__GO_KEY;
    v[4] = rlc__grid_get(g, e->s.door_x, e->s.door_y).state;
}

/* Moves the agent and sets the door and the key: carrying = 1 takes the key off the grid,
 * carrying = 0 puts a carried key back where it was placed at reset. */
static void doorkey_set(void *self, const double *v) {
    doorkey_env *e = self;
    doorkey_state *s = &e->s;
    rlc__grid *g = &s->g;
    if (g->w == 0) { /* never reset: the layout of reset(seed=0) */
        rlc_rng r;
        rlc_rng_seed(&r, 0);
        doorkey_build(e, &r);
    }
    g->x = rlc__grid_clampv(v[0], 1, g->w - 2);
    g->y = rlc__grid_clampv(v[1], 1, g->h - 2);
    g->dir = rlc__grid_clampv(v[2], 0, 3);
    int carry = rlc__grid_clampv(v[3], 0, 1);
    int kx, ky;
    find_key(s, &kx, &ky);
    if (carry && g->carrying.type != RLC__GO_KEY) {
        if (kx >= 0) rlc__grid_set(g, kx, ky, RLC__GO_EMPTY, 0, 0);
        g->carrying = (rlc__gcell){RLC__GO_KEY, RLC__GC_YELLOW, 0};
    } else if (!carry && g->carrying.type == RLC__GO_KEY) {
        rlc__grid_set(g, s->key_x, s->key_y, RLC__GO_KEY, RLC__GC_YELLOW, 0);
        g->carrying = (rlc__gcell){RLC__GO_EMPTY, 0, 0};
    }
    rlc__grid_set(g, s->door_x, s->door_y, RLC__GO_DOOR, RLC__GC_YELLOW,
                  rlc__grid_clampv(v[4], 0, 2));
}

static rlc_status doorkey_render(const void *self, uint8_t *rgb, int width, int height) {
    const doorkey_env *e = self;
    return rlc__grid_render(&e->s.g, rgb, width, height, 1, NULL);
}

const rlc__env_def rlc__grid_doorkey_def = {
    .name = "GridDoorKey",
    .summary = "MiniGrid DoorKey: pick up the key, unlock the door, reach the goal",
    .size = sizeof(doorkey_env),
    .state_offset = offsetof(doorkey_env, s),
    .state_size = sizeof(doorkey_state),
    .state_dim = 5,
    .state_names = "x,y,dir,carrying_key,door_state",
    .nparams = 3,
    .params = PARAMS,
    .init = doorkey_init,
    .reset = doorkey_reset,
    .step = doorkey_step,
    .observe = doorkey_observe,
    .get_vector = doorkey_get,
    .set_vector = doorkey_set,
    .render = doorkey_render,
};
