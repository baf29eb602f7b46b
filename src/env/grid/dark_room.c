/* DarkRoom-v0: four rooms (procedural gaps) where one room is dark until the light switch in it
 * is toggled: its cells are blank in every observation, and inside it the agent sees only the
 * cell in front of it. MiniGrid actions and success reward at an optional goal. */
#include <stddef.h>

#include "env/grid/grid_impl.h"

typedef struct dark_state {
    rlc__grid g;
    int32_t dark_room;
    int32_t sw_x, sw_y; /* the light switch */
    int32_t lit;        /* the switch is on */
} dark_state;

typedef struct dark_env {
    int size, goal, obs_mode, max_steps;
    dark_state s; /* evolving */
} dark_env;

static const rlc_env_param PARAMS[] = {
    {"size", RLC_PARAM_INT, 11, 7, RLC__GRID_MAX, 0, "side of the four-rooms grid"},
    {"goal", RLC_PARAM_BOOL, 1, 0, 1, 0, "place a goal (reward and termination); 0 = none"},
    {"obs", RLC_PARAM_INT, 1, 0, 2, 0,
     "observation: 0 (x, y, dir, lit; -1s in the dark), 1 egocentric 7x7x3, 2 full"},
    {"max_steps", RLC_PARAM_INT, 0, 0, 1e9, 0,
     "reward horizon of 1 - 0.9 * steps / max_steps (0 = 4 * size^2)"},
};

static rlc_status dark_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    dark_env *e = self;
    e->size = (int)vals[0];
    e->goal = vals[1] != 0;
    e->obs_mode = (int)vals[2];
    e->max_steps = vals[3] > 0 ? (int)vals[3] : 4 * e->size * e->size;
    double m = e->size - 1, lo[4] = {-1, -1, -1, 0}, hi[4] = {m, m, 3, 1};
    rlc__space_discrete(act, RLC__GA_N, 0);
    return rlc__grid_obs_space(obs, e->obs_mode, e->size, e->size, 4, lo, hi);
}

/* The dark rectangle (off when lit). */
static rlc__grid_dark dark_rect(const dark_env *e) {
    rlc__grid_dark d = {0, 0, 0, 0, 0};
    if (e->s.lit) return d;
    d.on = 1;
    rlc__grid_room_rect(e->size, e->s.dark_room, &d.x0, &d.y0, &d.x1, &d.y1);
    return d;
}

static int in_rect(const rlc__grid_dark *d, int x, int y) {
    return d->on && x >= d->x0 && x < d->x1 && y >= d->y0 && y < d->y1;
}

static void dark_observe(const void *self, void *obs) {
    const dark_env *e = self;
    const rlc__grid *g = &e->s.g;
    rlc__grid_dark d = dark_rect(e);
    int blind = in_rect(&d, g->x, g->y);
    if (e->obs_mode == RLC__GOBS_VIEW) {
        rlc__grid_view(g, obs, &d, blind, NULL, NULL, NULL);
    } else if (e->obs_mode == RLC__GOBS_FULL) {
        rlc__grid_full(g, obs, &d, blind);
    } else {
        float *o = obs;
        o[0] = blind ? -1.0f : (float)g->x;
        o[1] = blind ? -1.0f : (float)g->y;
        o[2] = blind ? -1.0f : (float)g->dir;
        o[3] = (float)e->s.lit;
    }
}

/* Draws: the four gaps, the dark room, the switch's cell, the goal's room and cell, the
 * agent's cell and direction. */
static void dark_build(dark_env *e, rlc_rng *rng) {
    dark_state *s = &e->s;
    rlc__grid *g = &s->g;
    rlc__grid_four_rooms(g, rng, e->size);
    g->x = g->y = -1;
    s->lit = 0;
    s->dark_room = (int)rlc_rng_integers(rng, 0, 4);
    int x0, y0, x1, y1, px = 1, py = 1;
    rlc__grid_room_rect(e->size, s->dark_room, &x0, &y0, &x1, &y1);
    rlc__grid_place(g, rng, x0, y0, x1 - x0, y1 - y0, &px, &py);
    rlc__grid_set(g, px, py, RLC__GO_SWITCH, RLC__GC_GREY, 0);
    s->sw_x = px;
    s->sw_y = py;
    if (e->goal) {
        int room = (int)rlc_rng_integers(rng, 0, 4);
        rlc__grid_room_rect(e->size, room, &x0, &y0, &x1, &y1);
        if (!rlc__grid_place(g, rng, x0, y0, x1 - x0, y1 - y0, &px, &py))
            rlc__grid_set(g, px, py, RLC__GO_GOAL, RLC__GC_GREEN, 0);
    }
    px = py = 1;
    rlc__grid_place(g, rng, 0, 0, g->w, g->h, &px, &py);
    g->x = px;
    g->y = py;
    g->dir = (int)rlc_rng_integers(rng, 0, 4);
}

static void dark_reset(void *self, rlc_rng *rng, void *obs) {
    dark_env *e = self;
    dark_build(e, rng);
    dark_observe(e, obs);
}

static void dark_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                      int *terminated) {
    dark_env *e = self;
    (void)rng;
    int ev = rlc__grid_act(&e->s.g, (int)*(const int64_t *)action);
    if (ev & RLC__GEV_SWITCH) e->s.lit = rlc__grid_get(&e->s.g, e->s.sw_x, e->s.sw_y).state;
    *reward = ev & RLC__GEV_GOAL ? rlc__grid_success_reward(&e->s.g, e->max_steps) : 0.0;
    *terminated = (ev & (RLC__GEV_GOAL | RLC__GEV_LAVA)) != 0;
    dark_observe(e, obs);
}

static void dark_get(const void *self, double *v) {
    const dark_env *e = self;
    v[0] = e->s.g.x;
    v[1] = e->s.g.y;
    v[2] = e->s.g.dir;
    v[3] = e->s.lit;
}

static void dark_set(void *self, const double *v) {
    dark_env *e = self;
    rlc__grid *g = &e->s.g;
    if (g->w == 0) { /* never reset: the layout of reset(seed=0) */
        rlc_rng r;
        rlc_rng_seed(&r, 0);
        dark_build(e, &r);
    }
    g->x = rlc__grid_clampv(v[0], 1, g->w - 2);
    g->y = rlc__grid_clampv(v[1], 1, g->h - 2);
    g->dir = rlc__grid_clampv(v[2], 0, 3);
    e->s.lit = rlc__grid_clampv(v[3], 0, 1);
    rlc__grid_set(g, e->s.sw_x, e->s.sw_y, RLC__GO_SWITCH, RLC__GC_GREY, e->s.lit);
}

static rlc_status dark_render(const void *self, uint8_t *rgb, int width, int height) {
    const dark_env *e = self;
    rlc__grid_dark d = dark_rect(e);
    return rlc__grid_render(&e->s.g, rgb, width, height, 1, &d);
}

const rlc__env_def rlc__dark_room_def = {
    .name = "DarkRoom",
    .summary = "four rooms, one dark (blank observations) until its light switch is toggled",
    .size = sizeof(dark_env),
    .state_offset = offsetof(dark_env, s),
    .state_size = sizeof(dark_state),
    .state_dim = 4,
    .state_names = "x,y,dir,lit",
    .nparams = 4,
    .params = PARAMS,
    .init = dark_init,
    .reset = dark_reset,
    .step = dark_step,
    .observe = dark_observe,
    .get_vector = dark_get,
    .set_vector = dark_set,
    .render = dark_render,
};
