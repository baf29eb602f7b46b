/* MountainCar-v0: Gymnasium 1.x's discrete mountain car (drive left / none / right), bit-exact
 * (float64 state, float32 observations). force and gravity are kwargs. */
#include <math.h>
#include <stddef.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"

static const rlc_env_param PARAMS[] = {
    {"force", RLC_PARAM_REAL, 0.001, 0, INFINITY, 0, "acceleration of the engine per step"},
    {"gravity", RLC_PARAM_REAL, 0.0025, 0, INFINITY, 0, "gravity term: v += -cos(3 p) * gravity"},
};

static rlc_status mc_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    rlc__mountaincar *e = self;
    e->force = vals[0];
    e->gravity = vals[1];
    e->min_position = -1.2;
    e->max_position = 0.6;
    e->max_speed = 0.07;
    e->goal_position = 0.5;
    e->goal_velocity = 0;
    double low[2] = {e->min_position, -e->max_speed}, high[2] = {e->max_position, e->max_speed};
    rlc__space_discrete(act, 3, 0);
    return rlc__space_box(obs, RLC_SPACE_FLOAT32, 2, low, high);
}

static void mc_observe(const void *self, void *obs) {
    const rlc__mountaincar *e = self;
    float *o = obs;
    o[0] = (float)e->s.position;
    o[1] = (float)e->s.velocity;
}

static void mc_reset(void *self, rlc_rng *rng, void *obs) {
    rlc__mountaincar *e = self;
    e->s.position = rlc_rng_uniform(rng, -0.6, -0.4);
    e->s.velocity = 0;
    e->s.is_f32 = 0;
    mc_observe(e, obs);
}

static void mc_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                    int *terminated) {
    rlc__mountaincar *e = self;
    (void)rng;
    int64_t a = *(const int64_t *)action;
    double position = e->s.position, velocity = e->s.velocity;
    velocity += (double)(a - 1) * e->force + cos(3 * position) * (-e->gravity);
    if (velocity < -e->max_speed) velocity = -e->max_speed; /* np.clip */
    if (velocity > e->max_speed) velocity = e->max_speed;
    position += velocity;
    if (position < e->min_position) position = e->min_position;
    if (position > e->max_position) position = e->max_position;
    if (position == e->min_position && velocity < 0) velocity = 0;
    *terminated = position >= e->goal_position && velocity >= e->goal_velocity;
    *reward = -1.0;
    e->s.position = position;
    e->s.velocity = velocity;
    float *o = obs;
    o[0] = (float)position;
    o[1] = (float)velocity;
}

static void mc_get(const void *self, double *v) {
    const rlc__mountaincar *e = self;
    v[0] = e->s.position;
    v[1] = e->s.velocity;
}

static void mc_set(void *self, const double *v) {
    rlc__mountaincar *e = self;
    e->s.position = v[0];
    e->s.velocity = v[1];
    e->s.is_f32 = 0;
}

const rlc__env_def rlc__mountaincar_def = {
    .name = "MountainCar",
    .summary = "drive an underpowered car up a hill; actions left, none, right (Gymnasium)",
    .size = sizeof(rlc__mountaincar),
    .state_offset = offsetof(rlc__mountaincar, s),
    .state_size = sizeof(rlc__mountaincar_state),
    .state_dim = 2,
    .state_names = "position,velocity",
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .params = PARAMS,
    .init = mc_init,
    .reset = mc_reset,
    .step = mc_step,
    .observe = mc_observe,
    .get_vector = mc_get,
    .set_vector = mc_set,
    .render = rlc__render_mountaincar, /* src/env/render_classic.c */
};
