/* QuadLeaderFollower-v0: a PID-flown leader circles at 1 m height; the agent flies a follower
 * that keeps a fixed offset from it (downwash acts when the offset has a vertical part). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "env/aero/aero_impl.h"

static const rlc_env_param LF_PARAMS[] = {
    {"offset_x", RLC_PARAM_REAL, -0.3, -5, 5, 0, "follower's desired x offset from the leader"},
    {"offset_y", RLC_PARAM_REAL, 0.0, -5, 5, 0, "desired y offset (m)"},
    {"offset_z", RLC_PARAM_REAL, 0.0, -5, 5, 0, "desired z offset (m)"},
    {"radius", RLC_PARAM_REAL, 0.5, 0, 10, 0, "radius of the leader's circle (m)"},
    {"period", RLC_PARAM_REAL, 8.0, 0, 1000, 1, "period of the leader's circle (s)"},
    {"init_pos", RLC_PARAM_REAL, 0.2, 0, 10, 0, "follower start offset: uniform +-m per axis"},
    {"init_angle", RLC_PARAM_REAL, 0.2, 0, M_PI, 0, "follower start tilt (rad)"},
    {"pos_bound", RLC_PARAM_REAL, 1.0, 0, 100, 1, "terminate when an offset error exceeds"},
    {"downwash", RLC_PARAM_REAL, 1.0, 0, 100, 0, "downwash strength (0 = off)"},
    {"dt", RLC_PARAM_REAL, 0.01, 0, 0.1, 1, "integration step (s)"},
    {"r_const", RLC_PARAM_REAL, 1.0, -1e6, 1e6, 0, "reward constant"},
    {"w_pos", RLC_PARAM_REAL, 1.0, 0, 1e6, 0, "weight of |offset error|^2"},
    {"w_ori", RLC_PARAM_REAL, 0.5, 0, 1e6, 0, "weight of 1 - q_w^2"},
    {"w_vel", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |v - v_leader|^2"},
    {"w_rate", RLC_PARAM_REAL, 0.005, 0, 1e6, 0, "weight of |omega|^2"},
    {"w_action", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |a - a_hover|^2"},
    {"r_min", RLC_PARAM_REAL, 0.0, -1e9, 1e9, 0,
     "floor of the reward before scaling (0: never negative, so crashing never pays)"},
};

typedef struct lf_env {
    rlc_quad_reward w; /* first member (rlc_quad_env_set_reward) */
    rlc_quad_params p;
    double offset[3], radius, period, init_pos, init_angle, pos_bound;
    struct lf_state {
        rlc_quad_state s[2]; /* leader, follower */
        rlc_quad_pid pid;    /* the leader's controller (gains and integral) */
        double t;
    } st;
} lf_env;

static rlc_status lf_init(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    lf_env *e = self;
    rlc_quad_params_crazyflie(&e->p);
    for (int i = 0; i < 3; i++)
        e->offset[i] = v[i];
    e->radius = v[3];
    e->period = v[4];
    e->init_pos = v[5];
    e->init_angle = v[6];
    e->pos_bound = v[7];
    e->p.downwash = v[8];
    e->p.dt = v[9];
    e->w = (rlc_quad_reward){v[10], v[11], v[12], v[13], v[14], v[15], 1.0, v[16]};
    rlc_status st = rlc__space_box_uniform(act, RLC_SPACE_FLOAT32, 4, -1, 1);
    if (!st) st = rlc__space_box_uniform(obs, RLC_SPACE_FLOAT32, 21, -INFINITY, INFINITY);
    return st;
}

/* the leader's reference: position, velocity, acceleration at time t */
static void lf_ref(const lf_env *e, double t, double p[3], double v[3], double a[3]) {
    double om = 2 * M_PI / e->period, ph = om * t, R = e->radius;
    p[0] = R * cos(ph);
    p[1] = R * sin(ph);
    p[2] = 1.0;
    v[0] = -R * om * sin(ph);
    v[1] = R * om * cos(ph);
    v[2] = 0;
    a[0] = -R * om * om * cos(ph);
    a[1] = -R * om * om * sin(ph);
    a[2] = 0;
}

static void lf_goal(const lf_env *e, double g[3]) {
    for (int i = 0; i < 3; i++)
        g[i] = e->st.s[0].pos[i] + e->offset[i];
}

static void lf_observe(const void *self, void *obs) {
    const lf_env *e = self;
    const rlc_quad_state *l = &e->st.s[0], *f = &e->st.s[1];
    float *o = obs;
    double g[3], R[9];
    lf_goal(e, g);
    rlc_quad_quat_to_rot(f->quat, R);
    for (int i = 0; i < 3; i++)
        *o++ = (float)(f->pos[i] - g[i]);
    for (int i = 0; i < 9; i++)
        *o++ = (float)R[i];
    for (int i = 0; i < 3; i++)
        *o++ = (float)(f->vel[i] - l->vel[i]);
    for (int i = 0; i < 3; i++)
        *o++ = (float)f->omega[i];
    for (int i = 0; i < 3; i++)
        *o++ = (float)l->vel[i];
}

static void lf_reset(void *self, rlc_rng *rng, void *obs) {
    lf_env *e = self;
    double p[3], v[3], a[3], g[3];
    e->st.t = 0;
    rlc_quad_pid_default(&e->st.pid);
    lf_ref(e, 0, p, v, a);
    rlc_quad_state_hover(&e->p, p, &e->st.s[0]);
    memcpy(e->st.s[0].vel, v, sizeof v);
    lf_goal(e, g);
    rlc_quad_state *f = &e->st.s[1];
    rlc_quad_state_hover(&e->p, g, f);
    for (int i = 0; i < 3; i++) {
        f->pos[i] += rlc_rng_uniform(rng, -e->init_pos, e->init_pos);
        f->vel[i] = v[i];
    }
    rlc__quad_random_quat(rng, e->init_angle, f->quat);
    lf_observe(e, obs);
}

static void lf_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                    int *terminated) {
    lf_env *e = self;
    (void)rng;
    const float *a = action;
    double cmd[8], p[3], v[3], acc[3];
    float ac[4];
    lf_ref(e, e->st.t, p, v, acc);
    rlc_quad_pid_control(&e->st.pid, &e->p, &e->st.s[0], p, v, acc, 0, cmd);
    for (int i = 0; i < 4; i++) {
        ac[i] = a[i] < -1 ? -1.0f : a[i] > 1 ? 1.0f : a[i];
        cmd[4 + i] = rlc_quad_action_to_rpm(&e->p, ac[i]);
    }
    rlc_quad_step_multi(&e->p, 1, e->st.s, 2, cmd);
    e->st.t += e->p.dt;
    double g[3];
    lf_goal(e, g);
    const rlc_quad_state *f = &e->st.s[1];
    *reward = rlc__quad_reward(&e->w, &e->p, f, g, e->st.s[0].vel, ac);
    double d2 = 0;
    for (int i = 0; i < 3; i++)
        d2 += (f->pos[i] - e->st.s[0].pos[i]) * (f->pos[i] - e->st.s[0].pos[i]);
    *terminated = rlc__quad_out_of_bounds(f, g, e->pos_bound, 10.0) || d2 < 4 * e->p.arm * e->p.arm;
    lf_observe(e, obs);
}

static void lf_get(const void *self, double *v) {
    const lf_env *e = self;
    memcpy(v, e->st.s, sizeof e->st.s);
    memcpy(v + 34, e->st.pid.integral, 3 * sizeof(double));
    v[37] = e->st.t;
}

static void lf_set(void *self, const double *v) {
    lf_env *e = self;
    memcpy(e->st.s, v, sizeof e->st.s);
    rlc_quad_pid_default(&e->st.pid);
    memcpy(e->st.pid.integral, v + 34, 3 * sizeof(double));
    e->st.t = v[37];
}

static rlc_status lf_render(const void *self, uint8_t *rgb, int width, int height) {
    const lf_env *e = self;
    double targets[6], c[3] = {0, 0, 1};
    memcpy(targets, e->st.s[0].pos, 3 * sizeof(double));
    lf_goal(e, targets + 3);
    rlc__quad_render_scene(rgb, width, height, &e->p, e->st.s, 2, targets, c, 1.2);
    return RLC_OK;
}

const rlc__env_def rlc__quad_leader_def = {
    .name = "QuadLeaderFollower",
    .summary = "fly a quadrotor at a fixed offset from a PID-flown leader circling at 1 m",
    .size = sizeof(lf_env),
    .state_offset = offsetof(lf_env, st),
    .state_size = sizeof(struct lf_state),
    .state_dim = 38,
    .state_names = "leader x,y,z,vx,vy,vz,qw,qx,qy,qz,wx,wy,wz,rpm0..3 (17), follower (17), "
                   "leader pid integral (3), t",
    .nparams = (int)(sizeof LF_PARAMS / sizeof LF_PARAMS[0]),
    .params = LF_PARAMS,
    .init = lf_init,
    .reset = lf_reset,
    .step = lf_step,
    .observe = lf_observe,
    .get_vector = lf_get,
    .set_vector = lf_set,
    .render = lf_render,
};
