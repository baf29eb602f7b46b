/* Pendulum-v1: Gymnasium 1.x's torque-limited pendulum swing-up, bit-exact under NumPy 2
 * (float32 torque arithmetic, libm pow for the squares). g, m, l are kwargs. */
#include <math.h>
#include <stddef.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"

static const rlc_env_param PARAMS[] = {
    {"g", RLC_PARAM_REAL, 10.0, 0, INFINITY, 0, "gravitational acceleration (m/s^2)"},
    {"m", RLC_PARAM_REAL, 1.0, 0, INFINITY, 1, "mass of the pendulum (kg)"},
    {"l", RLC_PARAM_REAL, 1.0, 0, INFINITY, 1, "length of the pendulum (m)"},
};

/* Gymnasium's fixed constants (not keyword arguments) */
#define PEND_MAX_SPEED 8.0
#define PEND_MAX_TORQUE 2.0
#define PEND_DT 0.05

static rlc_status pend_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    rlc__pendulum *e = self;
    e->g = vals[0];
    e->m = vals[1];
    e->l = vals[2];
    e->max_speed = PEND_MAX_SPEED;
    e->max_torque = PEND_MAX_TORQUE;
    e->dt = PEND_DT;
    e->c_grav = 3 * e->g / (2 * e->l);
    e->c_torque = (float)(3.0 / (e->m * pow(e->l, 2.0)));
    double high[3] = {1.0, 1.0, e->max_speed}, low[3] = {-1.0, -1.0, -e->max_speed};
    rlc_status st =
        rlc__space_box_uniform(act, RLC_SPACE_FLOAT32, 1, -e->max_torque, e->max_torque);
    if (st) return st;
    return rlc__space_box(obs, RLC_SPACE_FLOAT32, 3, low, high);
}

static void pend_observe(const void *self, void *obs) {
    const rlc__pendulum *e = self;
    float *o = obs;
    o[0] = (float)e->s.cos_theta;
    o[1] = (float)e->s.sin_theta;
    o[2] = (float)e->s.theta_dot;
}

#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
float rlc__cosf_slow(double x) {
    return (float)cos(x);
}

static void set_theta(rlc__pendulum *e, double theta) {
    e->s.theta = theta;
    e->s.sin_theta = sin(theta);
    e->s.cos_theta = rlc__cosf_from_sin(theta, e->s.sin_theta);
}

static void pend_reset(void *self, rlc_rng *rng, void *obs) {
    rlc__pendulum *e = self;
    double theta = rlc_rng_uniform(rng, -M_PI, M_PI);
    e->s.theta_dot = rlc_rng_uniform(rng, -1.0, 1.0);
    set_theta(e, theta);
    e->s.last_u = 0;
    pend_observe(e, obs);
}

static void pend_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                      int *terminated) {
    rlc__pendulum *e = self;
    (void)rng;
    double th = e->s.theta, thdot = e->s.theta_dot;
    float u = *(const float *)action;
    const float mt = (float)PEND_MAX_TORQUE;
    u = u < -mt ? -mt : u > mt ? mt : u; /* np.clip in float32 */
    e->s.last_u = u;
    double costs =
        rlc__pow2(rlc__angle_normalize(th)) + 0.1 * rlc__pow2(thdot) + (double)(0.001f * rlc__pow2f(u));
    double newthdot = thdot + (e->c_grav * e->s.sin_theta + (double)(e->c_torque * u)) * PEND_DT;
    if (newthdot < -PEND_MAX_SPEED) newthdot = -PEND_MAX_SPEED;
    if (newthdot > PEND_MAX_SPEED) newthdot = PEND_MAX_SPEED;
    double newth = th + newthdot * PEND_DT;
    /* everything but the new angle's sin/cos is stored before the libm call, so that little
     * has to live across it */
    float *o = obs;
    o[2] = (float)newthdot;
    *reward = -costs;
    *terminated = 0;
    e->s.theta = newth;
    e->s.theta_dot = newthdot;
    double sn = sin(newth);
    float cs = rlc__cosf_from_sin(e->s.theta, sn);
    e->s.sin_theta = sn;
    e->s.cos_theta = cs;
    o[0] = cs;
    o[1] = (float)sn;
}

static void pend_get(const void *self, double *v) {
    const rlc__pendulum *e = self;
    v[0] = e->s.theta;
    v[1] = e->s.theta_dot;
}

static void pend_set(void *self, const double *v) {
    rlc__pendulum *e = self;
    set_theta(e, v[0]);
    e->s.theta_dot = v[1];
}

const rlc__env_def rlc__pendulum_def = {
    .name = "Pendulum",
    .summary = "swing a pendulum up and keep it upright with a limited torque (Gymnasium)",
    .size = sizeof(rlc__pendulum),
    .state_offset = offsetof(rlc__pendulum, s),
    .state_size = sizeof(rlc__pendulum_state),
    .state_dim = 2,
    .state_names = "theta,theta_dot",
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .params = PARAMS,
    .init = pend_init,
    .reset = pend_reset,
    .step = pend_step,
    .observe = pend_observe,
    .get_vector = pend_get,
    .set_vector = pend_set,
    .render = rlc__render_pendulum, /* src/env/render_classic.c */
};
