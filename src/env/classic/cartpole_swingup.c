/* CartPoleSwingUp-v0 (rlc's own): CartPole's dynamics with a continuous force, the pole
 * starting down; swing it up and balance it without leaving the track. Equations in
 * docs/envs.md. */
#include <math.h>
#include <stddef.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"

static rlc_status swing_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    rlc__cartpole *e = self;
    rlc__cartpole_init_phys(e, vals);
    double high[5] = {e->x_threshold * 2, INFINITY, 1.0, 1.0, INFINITY};
    double low[5] = {-high[0], -high[1], -high[2], -high[3], -high[4]};
    rlc_status st = rlc__space_box_uniform(act, RLC_SPACE_FLOAT32, 1, -1.0, 1.0);
    if (st) return st;
    return rlc__space_box(obs, RLC_SPACE_FLOAT32, 5, low, high);
}

static void swing_write_obs(const rlc__cartpole_state *s, float *o) {
    o[0] = (float)s->x;
    o[1] = (float)s->x_dot;
    o[2] = (float)cos(s->theta);
    o[3] = (float)sin(s->theta);
    o[4] = (float)s->theta_dot;
}

static void swing_observe(const void *self, void *obs) {
    swing_write_obs(&((const rlc__cartpole *)self)->s, obs);
}

static void swing_reset(void *self, rlc_rng *rng, void *obs) {
    rlc__cartpole *e = self;
    e->s.x = rlc_rng_uniform(rng, -0.05, 0.05);
    e->s.x_dot = rlc_rng_uniform(rng, -0.05, 0.05);
    e->s.theta = M_PI + rlc_rng_uniform(rng, -0.05, 0.05);
    e->s.theta_dot = rlc_rng_uniform(rng, -0.05, 0.05);
    swing_write_obs(&e->s, obs);
}

static void swing_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                       int *terminated) {
    rlc__cartpole *e = self;
    (void)rng;
    float u = *(const float *)action;
    u = u < -1.0f ? -1.0f : u > 1.0f ? 1.0f : u;
    double force = e->force_mag * (double)u;
    double theta = e->s.theta;
    rlc__cartpole_euler(e, &e->s, force, cos(theta), sin(theta));
    double x = e->s.x, c = cos(e->s.theta), xs = x / e->x_threshold;
    int term = x < -e->x_threshold || x > e->x_threshold;
    *terminated = term;
    *reward = term ? -10.0 : 0.5 * (1.0 + c) - 0.1 * (xs * xs);
    float *o = obs;
    o[0] = (float)x;
    o[1] = (float)e->s.x_dot;
    o[2] = (float)c;
    o[3] = (float)sin(e->s.theta);
    o[4] = (float)e->s.theta_dot;
}

static void swing_get(const void *self, double *v) {
    const rlc__cartpole *e = self;
    v[0] = e->s.x;
    v[1] = e->s.x_dot;
    v[2] = e->s.theta;
    v[3] = e->s.theta_dot;
}

static void swing_set(void *self, const double *v) {
    rlc__cartpole *e = self;
    e->s.x = v[0];
    e->s.x_dot = v[1];
    e->s.theta = v[2];
    e->s.theta_dot = v[3];
}

const rlc__env_def rlc__cartpole_swingup_def = {
    .name = "CartPoleSwingUp",
    .summary = "swing a hanging pole up and balance it with a continuous force (rlc)",
    .size = sizeof(rlc__cartpole),
    .state_offset = offsetof(rlc__cartpole, s),
    .state_size = sizeof(rlc__cartpole_state),
    .state_dim = 4,
    .state_names = "x,x_dot,theta,theta_dot",
    .nparams = RLC__CARTPOLE_NPHYS,
    .params = rlc__cartpole_params,
    .init = swing_init,
    .reset = swing_reset,
    .step = swing_step,
    .observe = swing_observe,
    .get_vector = swing_get,
    .set_vector = swing_set,
    .render = rlc__render_cartpole_swingup, /* src/env/render_classic.c */
};
