/* Quad2DHover-v0: the planar quadrotor (y, z, roll; two rotor pairs) stabilising at a target
 * from random states, with the Learning-to-Fly style reward of QuadHover-v0. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "env/aero/aero_impl.h"
#include "io/draw_impl.h"

static const rlc_env_param Q2_PARAMS[] = {
    {"init_pos", RLC_PARAM_REAL, 0.5, 0, 10, 0, "start position offset: uniform +-m per axis"},
    {"init_vel", RLC_PARAM_REAL, 1.0, 0, 10, 0, "start velocity: uniform +-m/s per axis"},
    {"init_angle", RLC_PARAM_REAL, 0.5, 0, M_PI, 0, "start roll: uniform +-rad"},
    {"init_rate", RLC_PARAM_REAL, 1.0, 0, 30, 0, "start roll rate: uniform +-rad/s"},
    {"pos_bound", RLC_PARAM_REAL, 1.5, 0, 100, 1, "terminate when a position error exceeds"},
    {"action_history", RLC_PARAM_BOOL, 0, 0, 1, 0, "append the previous action to the obs"},
    {"dt", RLC_PARAM_REAL, 0.01, 0, 0.1, 1, "integration step (s)"},
    {"motor_tau", RLC_PARAM_REAL, 0.03, 0, 1, 0, "motor time constant (s), 0 = instant"},
    {"dr", RLC_PARAM_REAL, 0, 0, 0.9, 0, "domain randomisation: +-fraction per parameter"},
    {"r_const", RLC_PARAM_REAL, 1.0, -1e6, 1e6, 0, "reward constant"},
    {"w_pos", RLC_PARAM_REAL, 1.0, 0, 1e6, 0, "weight of |position error|^2"},
    {"w_ori", RLC_PARAM_REAL, 0.5, 0, 1e6, 0, "weight of 1 - cos^2(phi / 2)"},
    {"w_vel", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |v|^2"},
    {"w_rate", RLC_PARAM_REAL, 0.005, 0, 1e6, 0, "weight of phidot^2"},
    {"w_action", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |a - a_hover|^2"},
    {"r_min", RLC_PARAM_REAL, 0.0, -1e9, 1e9, 0,
     "floor of the reward before scaling (0: never negative, so crashing never pays)"},
};

typedef struct q2_env {
    rlc_quad_reward w; /* first member (rlc_quad_env_set_reward) */
    rlc_quad_params base;
    double init_pos, init_vel, init_angle, init_rate, pos_bound, dr, target_z;
    int history;
    struct q2_state {
        rlc_quad2d_state s;
        rlc_quad_params p;
        float prev[2];
    } st;
} q2_env;

static rlc_status q2_init(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    q2_env *e = self;
    rlc_quad_params_crazyflie(&e->base);
    e->init_pos = v[0];
    e->init_vel = v[1];
    e->init_angle = v[2];
    e->init_rate = v[3];
    e->pos_bound = v[4];
    e->history = v[5] != 0;
    e->base.dt = v[6];
    e->base.motor_tau = v[7];
    e->dr = v[8];
    e->w = (rlc_quad_reward){v[9], v[10], v[11], v[12], v[13], v[14], 1.0, v[15]};
    e->target_z = 1.0;
    rlc_status st = rlc__space_box_uniform(act, RLC_SPACE_FLOAT32, 2, -1, 1);
    if (!st)
        st = rlc__space_box_uniform(obs, RLC_SPACE_FLOAT32, 7 + (e->history ? 2 : 0), -INFINITY,
                                    INFINITY);
    return st;
}

static void q2_observe(const void *self, void *obs) {
    const q2_env *e = self;
    const rlc_quad2d_state *s = &e->st.s;
    float *o = obs;
    o[0] = (float)s->y;
    o[1] = (float)(s->z - e->target_z);
    o[2] = (float)cos(s->phi);
    o[3] = (float)sin(s->phi);
    o[4] = (float)s->vy;
    o[5] = (float)s->vz;
    o[6] = (float)s->phidot;
    if (e->history) {
        o[7] = e->st.prev[0];
        o[8] = e->st.prev[1];
    }
}

static void q2_reset(void *self, rlc_rng *rng, void *obs) {
    q2_env *e = self;
    if (e->dr > 0)
        rlc_quad_params_randomize(&e->base, e->dr, rng, &e->st.p);
    else
        e->st.p = e->base;
    rlc_quad2d_state *s = &e->st.s;
    s->y = rlc_rng_uniform(rng, -e->init_pos, e->init_pos);
    s->z = e->target_z + rlc_rng_uniform(rng, -e->init_pos, e->init_pos);
    s->phi = rlc_rng_uniform(rng, -e->init_angle, e->init_angle);
    s->vy = rlc_rng_uniform(rng, -e->init_vel, e->init_vel);
    s->vz = rlc_rng_uniform(rng, -e->init_vel, e->init_vel);
    s->phidot = rlc_rng_uniform(rng, -e->init_rate, e->init_rate);
    s->rpm[0] = s->rpm[1] = rlc_quad_hover_rpm(&e->st.p);
    e->st.prev[0] = e->st.prev[1] =
        (float)rlc_quad_rpm_to_action(&e->st.p, rlc_quad_hover_rpm(&e->st.p));
    q2_observe(e, obs);
}

static void q2_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                    int *terminated) {
    q2_env *e = self;
    (void)rng;
    const float *a = action;
    double cmd[2];
    float ac[2];
    for (int i = 0; i < 2; i++) {
        ac[i] = a[i] < -1 ? -1.0f : a[i] > 1 ? 1.0f : a[i];
        cmd[i] = rlc_quad_action_to_rpm(&e->st.p, ac[i]);
    }
    rlc_quad2d_step(&e->st.p, &e->st.s, cmd);
    memcpy(e->st.prev, ac, sizeof ac);
    const rlc_quad2d_state *s = &e->st.s;
    double ah = rlc_quad_rpm_to_action(&e->st.p, rlc_quad_hover_rpm(&e->st.p));
    double ez = s->z - e->target_z, c = cos(0.5 * s->phi);
    double ea = (ac[0] - ah) * (ac[0] - ah) + (ac[1] - ah) * (ac[1] - ah);
    const rlc_quad_reward *w = &e->w;
    double r = w->constant - (w->pos * (s->y * s->y + ez * ez) + w->ori * (1 - c * c) +
                              w->vel * (s->vy * s->vy + s->vz * s->vz) +
                              w->rate * s->phidot * s->phidot + w->action * ea);
    *reward = w->scale * (r < w->min ? w->min : r);
    *terminated = s->z < 0 || fabs(s->y) > e->pos_bound || fabs(ez) > e->pos_bound ||
                  fabs(s->phidot) > 35 || !isfinite(s->y + s->z + s->phi);
    q2_observe(e, obs);
}

static void q2_get(const void *self, double *v) {
    const q2_env *e = self;
    memcpy(v, &e->st.s, sizeof e->st.s);
}

static void q2_set(void *self, const double *v) {
    q2_env *e = self;
    memcpy(&e->st.s, v, sizeof e->st.s);
}

/* side view (y to the right, z up), vehicle drawn 4x enlarged */
static rlc_status q2_render(const void *self, uint8_t *rgb, int width, int height) {
    const q2_env *e = self;
    const rlc_quad2d_state *s = &e->st.s;
    rlc__canvas cv = {rgb, width, height};
    rlc__draw_clear(&cv, RLC__RGB(235, 240, 245));
    double ext = 1.5, sc = 0.5 * (width < height ? width : height) / ext;
#define PX(yy) (0.5 * width + sc * (yy))
#define PY(zz) (0.5 * height - sc * ((zz)-e->target_z))
    rlc__draw_rect(&cv, 0, PY(0), width, height, RLC__RGB(170, 190, 160));
    rlc__draw_circle(&cv, PX(0), PY(e->target_z), 0.03 * sc, RLC__RGB(40, 170, 60));
    double L = 0.15, c = cos(s->phi), sn = sin(s->phi);
    double y0 = s->y - L * c, z0 = s->z - L * sn, y1 = s->y + L * c, z1 = s->z + L * sn;
    rlc__draw_line(&cv, PX(y0), PY(z0), PX(y1), PY(z1), 0.02 * sc, RLC__RGB(50, 50, 60));
    double up = 0.03;
    rlc__draw_line(&cv, PX(y0 - 0.05 * c - up * sn), PY(z0 - 0.05 * sn + up * c),
                   PX(y0 + 0.05 * c - up * sn), PY(z0 + 0.05 * sn + up * c), 0.01 * sc,
                   RLC__RGB(200, 60, 50));
    rlc__draw_line(&cv, PX(y1 - 0.05 * c - up * sn), PY(z1 - 0.05 * sn + up * c),
                   PX(y1 + 0.05 * c - up * sn), PY(z1 + 0.05 * sn + up * c), 0.01 * sc,
                   RLC__RGB(50, 90, 200));
#undef PX
#undef PY
    return RLC_OK;
}

const rlc__env_def rlc__quad2d_hover_def = {
    .name = "Quad2DHover",
    .summary = "planar quadrotor (y, z, roll) stabilising at a target from random states",
    .size = sizeof(q2_env),
    .state_offset = offsetof(q2_env, st),
    .state_size = sizeof(struct q2_state),
    .state_dim = 8,
    .state_names = "y,z,phi,vy,vz,phidot,rpm_right,rpm_left",
    .nparams = (int)(sizeof Q2_PARAMS / sizeof Q2_PARAMS[0]),
    .params = Q2_PARAMS,
    .init = q2_init,
    .reset = q2_reset,
    .step = q2_step,
    .observe = q2_observe,
    .get_vector = q2_get,
    .set_vector = q2_set,
    .render = q2_render,
};
