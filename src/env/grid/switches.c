/* Switches-v0: n binary switches with factored dynamics (action i toggles switch i only);
 * reward 1 and termination when the switches show the target pattern. `coupled=1` removes the
 * factored structure (the switch an action toggles depends on the whole state). */
#include <stddef.h>

#include "env/grid/grid_impl.h"
#include "io/draw_impl.h"

#define SW_MAX 30

typedef struct switches_state {
    uint32_t bits; /* bit i = switch i is on */
} switches_state;

typedef struct switches_env {
    int n, coupled;
    uint32_t target, mask;
    double slip;
    switches_state s; /* evolving */
} switches_env;

static const rlc_env_param PARAMS[] = {
    {"n", RLC_PARAM_INT, 8, 1, SW_MAX, 0, "number of switches"},
    {"target", RLC_PARAM_INT, -1, -1, 1073741823.0, 0,
     "target pattern as a bit mask (bit i = switch i on); -1 = all on"},
    {"slip", RLC_PARAM_REAL, 0, 0, 1, 0,
     "probability that a toggle has no effect (draws one uniform per step when > 0)"},
    {"coupled", RLC_PARAM_BOOL, 0, 0, 1, 0,
     "non-factored variant: action i toggles switch (i + number of switches on) mod n"},
};

static rlc_status switches_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    switches_env *e = self;
    e->n = (int)vals[0];
    e->mask = e->n >= 32 ? 0xffffffffu : (1u << e->n) - 1;
    if (vals[1] >= 0 && (uint32_t)vals[1] > e->mask)
        return rlc_error(RLC_ERR_RANGE, "Switches: target %.0f has bits beyond n = %d", vals[1],
                         e->n);
    e->target = vals[1] < 0 ? e->mask : (uint32_t)vals[1];
    e->slip = vals[2];
    e->coupled = vals[3] != 0;
    rlc__space_discrete(act, e->n, 0);
    return rlc__space_box_uniform(obs, RLC_SPACE_FLOAT32, e->n, 0, 1);
}

static void switches_observe(const void *self, void *obs) {
    const switches_env *e = self;
    float *o = obs;
    for (int i = 0; i < e->n; i++)
        o[i] = (float)(e->s.bits >> i & 1);
}

/* Each switch is drawn on or off with one integers(0, 2) draw, in order; a start equal to the
 * target is drawn again. */
static void switches_reset(void *self, rlc_rng *rng, void *obs) {
    switches_env *e = self;
    do {
        e->s.bits = 0;
        for (int i = 0; i < e->n; i++)
            e->s.bits |= (uint32_t)rlc_rng_integers(rng, 0, 2) << i;
    } while (e->s.bits == e->target && e->n > 0);
    switches_observe(e, obs);
}

static int popcount32(uint32_t v) {
    int c = 0;
    for (; v; v &= v - 1)
        c++;
    return c;
}

static void switches_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                          int *terminated) {
    switches_env *e = self;
    int i = (int)*(const int64_t *)action;
    if (e->coupled) i = (i + popcount32(e->s.bits)) % e->n;
    int slipped = e->slip > 0 && rlc_rng_random(rng) < e->slip;
    if (!slipped) e->s.bits ^= 1u << i;
    int done = e->s.bits == e->target;
    *reward = done ? 1.0 : 0.0;
    *terminated = done;
    switches_observe(e, obs);
}

static void switches_get(const void *self, double *v) {
    const switches_env *e = self;
    v[0] = e->s.bits;
}

static void switches_set(void *self, const double *v) {
    switches_env *e = self;
    double b = v[0] < 0 ? 0 : v[0] > e->mask ? e->mask : v[0];
    e->s.bits = (uint32_t)b & e->mask;
}

/* A row of lamps (yellow on, dark off) with the target pattern as marks below. */
static rlc_status switches_render(const void *self, uint8_t *rgb, int width, int height) {
    const switches_env *e = self;
    rlc__canvas cv = {rgb, width, height};
    rlc__draw_clear(&cv, RLC__RGB(20, 20, 30));
    double cw = (double)width / e->n, r = 0.35 * (cw < height * 0.6 ? cw : height * 0.6);
    for (int i = 0; i < e->n; i++) {
        double cx = (i + 0.5) * cw, cy = height * 0.4;
        int on = e->s.bits >> i & 1, want = e->target >> i & 1;
        rlc__draw_circle(&cv, cx, cy, r * 1.1, RLC__RGB(90, 90, 90));
        rlc__draw_circle(&cv, cx, cy, r, on ? RLC__RGB(255, 220, 0) : RLC__RGB(40, 40, 40));
        double my = height * 0.82;
        rlc__draw_rect(&cv, cx - r * 0.5, my - r * 0.2, cx + r * 0.5, my + r * 0.2,
                       want ? RLC__RGB(0, 200, 0) : RLC__RGB(200, 0, 0));
    }
    return RLC_OK;
}

const rlc__env_def rlc__switches_def = {
    .name = "Switches",
    .summary = "n binary switches with factored dynamics: reach the target pattern",
    .size = sizeof(switches_env),
    .state_offset = offsetof(switches_env, s),
    .state_size = sizeof(switches_state),
    .state_dim = 1,
    .state_names = "bits",
    .nparams = 4,
    .params = PARAMS,
    .init = switches_init,
    .reset = switches_reset,
    .step = switches_step,
    .observe = switches_observe,
    .get_vector = switches_get,
    .set_vector = switches_set,
    .render = switches_render,
};
