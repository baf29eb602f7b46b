/* CartPole-v0/v1: Gymnasium 1.x's cart-pole balancing task, bit-exact (float64 state, Euler
 * integration, float32 observations). Physical constants are kwargs for contextual variants. */
#include <math.h>
#include <stddef.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"

const rlc_env_param rlc__cartpole_params[RLC__CARTPOLE_NPHYS + 1] = {
    {"gravity", RLC_PARAM_REAL, 9.8, 0, INFINITY, 0, "gravitational acceleration (m/s^2)"},
    {"masscart", RLC_PARAM_REAL, 1.0, 0, INFINITY, 1, "mass of the cart (kg)"},
    {"masspole", RLC_PARAM_REAL, 0.1, 0, INFINITY, 1, "mass of the pole (kg)"},
    {"length", RLC_PARAM_REAL, 0.5, 0, INFINITY, 1, "half the pole's length (m)"},
    {"force_mag", RLC_PARAM_REAL, 10.0, 0, INFINITY, 0, "magnitude of the push (N)"},
    {"sutton_barto_reward", RLC_PARAM_BOOL, 0, 0, 1, 0,
     "reward 0 per step and -1 on termination instead of +1 per step"},
};

void rlc__cartpole_init_phys(rlc__cartpole *e, const double *vals) {
    e->gravity = vals[0];
    e->masscart = vals[1];
    e->masspole = vals[2];
    e->length = vals[3];
    e->force_mag = vals[4];
    e->total_mass = e->masspole + e->masscart;
    e->polemass_length = e->masspole * e->length;
    e->tau = 0.02;
    e->theta_threshold = 12 * 2 * M_PI / 360;
    e->x_threshold = 2.4;
}

static rlc_status cartpole_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    rlc__cartpole *e = self;
    rlc__cartpole_init_phys(e, vals);
    e->sutton_barto_reward = vals[5] != 0;
    double high[4] = {e->x_threshold * 2, INFINITY, e->theta_threshold * 2, INFINITY};
    double low[4] = {-high[0], -high[1], -high[2], -high[3]};
    rlc__space_discrete(act, 2, 0);
    return rlc__space_box(obs, RLC_SPACE_FLOAT32, 4, low, high);
}

static void cartpole_observe(const void *self, void *obs) {
    const rlc__cartpole *e = self;
    float *o = obs;
    o[0] = (float)e->s.x;
    o[1] = (float)e->s.x_dot;
    o[2] = (float)e->s.theta;
    o[3] = (float)e->s.theta_dot;
}

static void cartpole_reset(void *self, rlc_rng *rng, void *obs) {
    rlc__cartpole *e = self;
    e->s.x = rlc_rng_uniform(rng, -0.05, 0.05);
    e->s.x_dot = rlc_rng_uniform(rng, -0.05, 0.05);
    e->s.theta = rlc_rng_uniform(rng, -0.05, 0.05);
    e->s.theta_dot = rlc_rng_uniform(rng, -0.05, 0.05);
    cartpole_observe(e, obs);
}

static void cartpole_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                          int *terminated) {
    rlc__cartpole *e = self;
    (void)rng;
    double force = *(const int64_t *)action == 1 ? e->force_mag : -e->force_mag;
    double theta = e->s.theta;
    rlc__cartpole_euler(e, &e->s, force, cos(theta), sin(theta));
    double x = e->s.x, th = e->s.theta;
    int term = x < -e->x_threshold || x > e->x_threshold || th < -e->theta_threshold ||
               th > e->theta_threshold;
    *terminated = term;
    *reward = e->sutton_barto_reward ? (term ? -1.0 : 0.0) : 1.0;
    float *o = obs;
    o[0] = (float)e->s.x;
    o[1] = (float)e->s.x_dot;
    o[2] = (float)e->s.theta;
    o[3] = (float)e->s.theta_dot;
}

static void cartpole_get(const void *self, double *v) {
    const rlc__cartpole *e = self;
    v[0] = e->s.x;
    v[1] = e->s.x_dot;
    v[2] = e->s.theta;
    v[3] = e->s.theta_dot;
}

static void cartpole_set(void *self, const double *v) {
    rlc__cartpole *e = self;
    e->s.x = v[0];
    e->s.x_dot = v[1];
    e->s.theta = v[2];
    e->s.theta_dot = v[3];
}

const rlc__env_def rlc__cartpole_def = {
    .name = "CartPole",
    .summary = "balance a pole on a cart by pushing it left or right (Gymnasium)",
    .size = sizeof(rlc__cartpole),
    .state_offset = offsetof(rlc__cartpole, s),
    .state_size = sizeof(rlc__cartpole_state),
    .state_dim = 4,
    .state_names = "x,x_dot,theta,theta_dot",
    .nparams = RLC__CARTPOLE_NPHYS + 1,
    .params = rlc__cartpole_params,
    .init = cartpole_init,
    .reset = cartpole_reset,
    .step = cartpole_step,
    .observe = cartpole_observe,
    .get_vector = cartpole_get,
    .set_vector = cartpole_set,
    .render = rlc__render_cartpole, /* src/env/render_classic.c */
};
