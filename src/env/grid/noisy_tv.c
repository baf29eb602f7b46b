/* NoisyTV-v0: four rooms (procedural gaps) where one room holds noisy TVs: a TV shows fresh
 * random noise (from the env RNG) on every step it is in the agent's view or next to it.
 * MiniGrid actions and success reward at an optional goal; egocentric view by default. */
#include <stddef.h>

#include "env/grid/grid_impl.h"

#define TV_MAX 8

typedef struct tv_state {
    rlc__grid g;
    int32_t tv_room;
    int32_t shown; /* noise of the first TV in view after the last step, -1 if none */
} tv_state;

typedef struct tv_env {
    int size, ntv, goal, obs_mode, max_steps;
    tv_state s; /* evolving */
} tv_env;

static const rlc_env_param PARAMS[] = {
    {"size", RLC_PARAM_INT, 11, 7, RLC__GRID_MAX, 0, "side of the four-rooms grid"},
    {"tvs", RLC_PARAM_INT, 1, 0, TV_MAX, 0, "noisy TVs, all in one room"},
    {"goal", RLC_PARAM_BOOL, 1, 0, 1, 0, "place a goal (reward and termination); 0 = none"},
    {"obs", RLC_PARAM_INT, 1, 0, 2, 0,
     "observation: 0 (x, y, dir, tv_in_view, noise), 1 egocentric 7x7x3, 2 full"},
    {"max_steps", RLC_PARAM_INT, 0, 0, 1e9, 0,
     "reward horizon of 1 - 0.9 * steps / max_steps (0 = 4 * size^2)"},
};

static rlc_status tv_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    tv_env *e = self;
    e->size = (int)vals[0];
    e->ntv = (int)vals[1];
    e->goal = vals[2] != 0;
    e->obs_mode = (int)vals[3];
    e->max_steps = vals[4] > 0 ? (int)vals[4] : 4 * e->size * e->size;
    double m = e->size - 1, lo[5] = {0, 0, 0, 0, 0}, hi[5] = {m, m, 3, 1, 255};
    rlc__space_discrete(act, RLC__GA_N, 0);
    return rlc__grid_obs_space(obs, e->obs_mode, e->size, e->size, 5, lo, hi);
}

/* Redraws the noise of every TV in view or next to the agent (scanning the grid row by row,
 * one integers(0, 256) draw per TV) and records what the agent sees. */
static void refresh(tv_state *s, rlc_rng *rng) {
    rlc__grid *g = &s->g;
    uint8_t img[RLC__GRID_VIEW * RLC__GRID_VIEW * 3], vis[RLC__GRID_VIEW * RLC__GRID_VIEW];
    int wx[RLC__GRID_VIEW * RLC__GRID_VIEW], wy[RLC__GRID_VIEW * RLC__GRID_VIEW];
    rlc__grid_view(g, img, NULL, 0, vis, wx, wy);
    s->shown = -1;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            rlc__gcell *c = &g->c[y * RLC__GRID_MAX + x];
            if (c->type != RLC__GO_TV) continue;
            int seen = 0;
            for (int k = 0; k < RLC__GRID_VIEW * RLC__GRID_VIEW && !seen; k++)
                seen = vis[k] && wx[k] == x && wy[k] == y;
            int dist = (x > g->x ? x - g->x : g->x - x) + (y > g->y ? y - g->y : g->y - y);
            if (!seen && dist != 1) continue;
            c->state = (uint8_t)rlc_rng_integers(rng, 0, 256);
            c->color = c->state % 6;
            if (seen && s->shown < 0) s->shown = c->state;
        }
}

static void tv_observe(const void *self, void *obs) {
    const tv_env *e = self;
    const rlc__grid *g = &e->s.g;
    if (e->obs_mode != RLC__GOBS_SYMBOLIC) {
        rlc__grid_observe_image(g, e->obs_mode, 1, obs);
        return;
    }
    float *o = obs;
    o[0] = (float)g->x;
    o[1] = (float)g->y;
    o[2] = (float)g->dir;
    o[3] = e->s.shown >= 0;
    o[4] = e->s.shown >= 0 ? (float)e->s.shown : 0.0f;
}

/* Draws: the four gaps, the TV room, each TV's cell and first noise, the goal's room and
 * cell, the agent's cell and direction. */
static void tv_build(tv_env *e, rlc_rng *rng) {
    tv_state *s = &e->s;
    rlc__grid *g = &s->g;
    rlc__grid_four_rooms(g, rng, e->size);
    g->x = g->y = -1;
    s->tv_room = (int)rlc_rng_integers(rng, 0, 4);
    int x0, y0, x1, y1, px, py;
    rlc__grid_room_rect(e->size, s->tv_room, &x0, &y0, &x1, &y1);
    for (int i = 0; i < e->ntv; i++)
        if (!rlc__grid_place(g, rng, x0, y0, x1 - x0, y1 - y0, &px, &py)) {
            int noise = (int)rlc_rng_integers(rng, 0, 256);
            rlc__grid_set(g, px, py, RLC__GO_TV, noise % 6, noise);
        }
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
    refresh(s, rng);
}

static void tv_reset(void *self, rlc_rng *rng, void *obs) {
    tv_env *e = self;
    tv_build(e, rng);
    tv_observe(e, obs);
}

static void tv_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                    int *terminated) {
    tv_env *e = self;
    int ev = rlc__grid_act(&e->s.g, (int)*(const int64_t *)action);
    refresh(&e->s, rng);
    *reward = ev & RLC__GEV_GOAL ? rlc__grid_success_reward(&e->s.g, e->max_steps) : 0.0;
    *terminated = (ev & (RLC__GEV_GOAL | RLC__GEV_LAVA)) != 0;
    tv_observe(e, obs);
}

static void tv_get(const void *self, double *v) {
    const tv_env *e = self;
    v[0] = e->s.g.x;
    v[1] = e->s.g.y;
    v[2] = e->s.g.dir;
}

static void tv_set(void *self, const double *v) {
    tv_env *e = self;
    rlc__grid *g = &e->s.g;
    if (g->w == 0) { /* never reset: the layout of reset(seed=0) */
        rlc_rng r;
        rlc_rng_seed(&r, 0);
        tv_build(e, &r);
    }
    g->x = rlc__grid_clampv(v[0], 1, g->w - 2);
    g->y = rlc__grid_clampv(v[1], 1, g->h - 2);
    g->dir = rlc__grid_clampv(v[2], 0, 3);
}

static rlc_status tv_render(const void *self, uint8_t *rgb, int width, int height) {
    const tv_env *e = self;
    return rlc__grid_render(&e->s.g, rgb, width, height, 1, NULL);
}

const rlc__env_def rlc__noisy_tv_def = {
    .name = "NoisyTV",
    .summary = "four rooms with a noisy TV that shows random noise when in view",
    .size = sizeof(tv_env),
    .state_offset = offsetof(tv_env, s),
    .state_size = sizeof(tv_state),
    .state_dim = 3,
    .state_names = "x,y,dir",
    .nparams = 5,
    .params = PARAMS,
    .init = tv_init,
    .reset = tv_reset,
    .step = tv_step,
    .observe = tv_observe,
    .get_vector = tv_get,
    .set_vector = tv_set,
    .render = tv_render,
};
