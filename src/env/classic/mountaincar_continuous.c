/* MountainCarContinuous-v0: Gymnasium 1.x's continuous mountain car, bit-exact under NumPy 2
 * promotion rules: the state is float32 after a step but float64 after reset/set_state, and
 * each value's type decides whether an operation rounds to float32 (see the golden README). */
#include <math.h>
#include <stddef.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"

static const rlc_env_param PARAMS[] = {
    {"power", RLC_PARAM_REAL, 0.0015, 0, INFINITY, 0, "engine power: v += force * power"},
    {"gravity", RLC_PARAM_REAL, 0.0025, 0, INFINITY, 0, "gravity term: v -= gravity * cos(3 p)"},
};

static rlc_status mcc_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    rlc__mountaincar *e = self;
    e->force = vals[0];
    e->gravity = vals[1];
    e->min_position = -1.2;
    e->max_position = 0.6;
    e->max_speed = 0.07;
    e->goal_position = 0.45;
    e->goal_velocity = 0;
    double low[2] = {e->min_position, -e->max_speed}, high[2] = {e->max_position, e->max_speed};
    rlc_status st = rlc__space_box_uniform(act, RLC_SPACE_FLOAT32, 1, -1.0, 1.0);
    if (st) return st;
    return rlc__space_box(obs, RLC_SPACE_FLOAT32, 2, low, high);
}

static void mcc_observe(const void *self, void *obs) {
    const rlc__mountaincar *e = self;
    float *o = obs;
    o[0] = (float)e->s.position;
    o[1] = (float)e->s.velocity;
}

static void mcc_reset(void *self, rlc_rng *rng, void *obs) {
    rlc__mountaincar *e = self;
    e->s.position = rlc_rng_uniform(rng, -0.6, -0.4);
    e->s.velocity = 0;
    e->s.is_f32 = 0;
    mcc_observe(e, obs);
}

/* x > c where x has NumPy type float32 (pf) or float64: NumPy 2 compares a float32 with a
 * Python float in float32. */
static int gt(double x, int f32, double c) {
    return f32 ? (float)x > (float)c : x > c;
}
static int lt(double x, int f32, double c) {
    return f32 ? (float)x < (float)c : x < c;
}

static void mcc_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                     int *terminated) {
    rlc__mountaincar *e = self;
    (void)rng;
    float a = *(const float *)action;
    double p = e->s.position, v = e->s.velocity;
    int pf = e->s.is_f32, vf = e->s.is_f32; /* per-value NumPy type: float32 or double */

    /* cos(3 * position): 3 * float32 stays float32; math.cos returns a double. */
    double c = pf ? cos((double)(float)(3.0f * (float)p)) : cos(3 * p);
    /* force = min(max(a, -1.0), 1.0) with Python builtins: float32 in range, else a double. */
    double x; /* force * power - gravity * cos(...) */
    int xf;   /* whether x is a float32 */
    if (a < -1.0f || a > 1.0f) {
        double force = a < -1.0f ? -1.0 : 1.0;
        x = force * e->force - e->gravity * c;
        xf = 0;
    } else {
        float t = a * (float)e->force;
        x = (float)(t - (float)(e->gravity * c));
        xf = 1;
    }
    (void)xf;
    /* velocity += x */
    if (vf)
        v = (float)((float)v + (float)x);
    else
        v = v + x;
    if (gt(v, vf, e->max_speed)) {
        v = e->max_speed;
        vf = 0;
    }
    if (lt(v, vf, -e->max_speed)) {
        v = -e->max_speed;
        vf = 0;
    }
    /* position += velocity: a float32 position stays float32 (a double velocity is rounded). */
    if (pf)
        p = (float)((float)p + (float)v);
    else
        p = p + v;
    if (gt(p, pf, e->max_position)) {
        p = e->max_position;
        pf = 0;
    }
    if (lt(p, pf, e->min_position)) {
        p = e->min_position;
        pf = 0;
    }
    int at_wall = pf ? (float)p == (float)e->min_position : p == e->min_position;
    if (at_wall && v < 0) v = 0;
    int term = !lt(p, pf, e->goal_position) && !(v < e->goal_velocity);
    *terminated = term;
    /* reward uses the raw (unclipped) action in double */
    *reward = (term ? 100.0 : 0.0) - rlc__pow2((double)a) * 0.1;
    e->s.position = (float)p;
    e->s.velocity = (float)v;
    e->s.is_f32 = 1;
    float *o = obs;
    o[0] = (float)p;
    o[1] = (float)v;
}

static void mcc_get(const void *self, double *v) {
    const rlc__mountaincar *e = self;
    v[0] = e->s.position;
    v[1] = e->s.velocity;
}

static void mcc_set(void *self, const double *v) {
    rlc__mountaincar *e = self;
    e->s.position = v[0];
    e->s.velocity = v[1];
    e->s.is_f32 = 0;
}

const rlc__env_def rlc__mountaincar_continuous_def = {
    .name = "MountainCarContinuous",
    .summary = "drive an underpowered car up a hill with a continuous force (Gymnasium)",
    .size = sizeof(rlc__mountaincar),
    .state_offset = offsetof(rlc__mountaincar, s),
    .state_size = sizeof(rlc__mountaincar_state),
    .state_dim = 2,
    .state_names = "position,velocity",
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .params = PARAMS,
    .init = mcc_init,
    .reset = mcc_reset,
    .step = mcc_step,
    .observe = mcc_observe,
    .get_vector = mcc_get,
    .set_vector = mcc_set,
    .render = rlc__render_mountaincar, /* src/env/render_classic.c */
};
