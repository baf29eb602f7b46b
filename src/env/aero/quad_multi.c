/* MultiQuadHover-v0: K Crazyflie-like quadrotors hovering at targets on a line, flattened joint
 * observation and action, downwash between vehicles; the episode ends when any one fails. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "env/aero/aero_impl.h"

#define MQ_MAX 8

static const rlc_env_param MULTI_PARAMS[] = {
    {"n_agents", RLC_PARAM_INT, 2, 1, MQ_MAX, 0, "number of vehicles K"},
    {"spacing", RLC_PARAM_REAL, 0.5, 0, 10, 0, "distance between neighbouring targets (m)"},
    {"stack", RLC_PARAM_REAL, 0.0, 0, 10, 0, "height step between neighbouring targets (m)"},
    {"init_pos", RLC_PARAM_REAL, 0.2, 0, 10, 0, "start position offset: uniform +-m per axis"},
    {"init_angle", RLC_PARAM_REAL, 0.3, 0, M_PI, 0, "start tilt (rad)"},
    {"pos_bound", RLC_PARAM_REAL, 1.5, 0, 100, 1, "terminate when a position error exceeds"},
    {"downwash", RLC_PARAM_REAL, 1.0, 0, 100, 0, "downwash strength (0 = off)"},
    {"dt", RLC_PARAM_REAL, 0.01, 0, 0.1, 1, "integration step (s)"},
    {"r_const", RLC_PARAM_REAL, 1.0, -1e6, 1e6, 0, "reward constant"},
    {"w_pos", RLC_PARAM_REAL, 1.0, 0, 1e6, 0, "weight of |position error|^2"},
    {"w_ori", RLC_PARAM_REAL, 0.5, 0, 1e6, 0, "weight of 1 - q_w^2"},
    {"w_vel", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |v|^2"},
    {"w_rate", RLC_PARAM_REAL, 0.005, 0, 1e6, 0, "weight of |omega|^2"},
    {"w_action", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |a - a_hover|^2"},
    {"r_min", RLC_PARAM_REAL, 0.0, -1e9, 1e9, 0,
     "floor of the reward before scaling (0: never negative, so crashing never pays)"},
};

#define MQ_OBS 18 /* per vehicle: position error, rotation (9), velocity, body rates */

typedef struct multi_env {
    rlc_quad_reward w; /* first member (rlc_quad_env_set_reward) */
    rlc_quad_params p;
    int n;
    double targets[MQ_MAX * 3], init_pos, init_angle, pos_bound;
    struct multi_state {
        rlc_quad_state s[MQ_MAX];
    } st;
} multi_env;

static rlc_status multi_init(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    multi_env *e = self;
    e->n = (int)v[0];
    rlc_quad_params_crazyflie(&e->p);
    for (int k = 0; k < e->n; k++) {
        e->targets[3 * k] = v[1] * (k - 0.5 * (e->n - 1));
        e->targets[3 * k + 1] = 0;
        e->targets[3 * k + 2] = 1.0 + v[2] * k;
    }
    e->init_pos = v[3];
    e->init_angle = v[4];
    e->pos_bound = v[5];
    e->p.downwash = v[6];
    e->p.dt = v[7];
    e->w = (rlc_quad_reward){v[8], v[9], v[10], v[11], v[12], v[13], 1.0, v[14]};
    rlc_status st = rlc__space_box_uniform(act, RLC_SPACE_FLOAT32, 4 * e->n, -1, 1);
    if (!st)
        st = rlc__space_box_uniform(obs, RLC_SPACE_FLOAT32, MQ_OBS * e->n, -INFINITY, INFINITY);
    return st;
}

static void multi_observe(const void *self, void *obs) {
    const multi_env *e = self;
    float *o = obs;
    for (int k = 0; k < e->n; k++) {
        const rlc_quad_state *s = &e->st.s[k];
        double R[9];
        rlc_quad_quat_to_rot(s->quat, R);
        for (int i = 0; i < 3; i++)
            *o++ = (float)(s->pos[i] - e->targets[3 * k + i]);
        for (int i = 0; i < 9; i++)
            *o++ = (float)R[i];
        for (int i = 0; i < 3; i++)
            *o++ = (float)s->vel[i];
        for (int i = 0; i < 3; i++)
            *o++ = (float)s->omega[i];
    }
}

static void multi_reset(void *self, rlc_rng *rng, void *obs) {
    multi_env *e = self;
    for (int k = 0; k < e->n; k++) {
        rlc_quad_state *s = &e->st.s[k];
        rlc_quad_state_hover(&e->p, e->targets + 3 * k, s);
        for (int i = 0; i < 3; i++)
            s->pos[i] += rlc_rng_uniform(rng, -e->init_pos, e->init_pos);
        rlc__quad_random_quat(rng, e->init_angle, s->quat);
    }
    multi_observe(e, obs);
}

static void multi_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                       int *terminated) {
    multi_env *e = self;
    (void)rng;
    const float *a = action;
    double cmd[4 * MQ_MAX];
    float ac[4 * MQ_MAX];
    for (int i = 0; i < 4 * e->n; i++) {
        ac[i] = a[i] < -1 ? -1.0f : a[i] > 1 ? 1.0f : a[i];
        cmd[i] = rlc_quad_action_to_rpm(&e->p, ac[i]);
    }
    rlc_quad_step_multi(&e->p, 1, e->st.s, e->n, cmd);
    double r = 0, zero[3] = {0, 0, 0};
    int term = 0;
    for (int k = 0; k < e->n; k++) {
        const double *tk = e->targets + 3 * k;
        r += rlc__quad_reward(&e->w, &e->p, &e->st.s[k], tk, zero, ac + 4 * k);
        term |= rlc__quad_out_of_bounds(&e->st.s[k], tk, e->pos_bound, 10.0);
        for (int j = 0; j < k; j++) { /* collision: rotor discs overlap */
            double d2 = 0;
            for (int i = 0; i < 3; i++)
                d2 += (e->st.s[k].pos[i] - e->st.s[j].pos[i]) *
                      (e->st.s[k].pos[i] - e->st.s[j].pos[i]);
            if (d2 < 4 * e->p.arm * e->p.arm) term = 1;
        }
    }
    *reward = r / e->n;
    *terminated = term;
    multi_observe(e, obs);
}

static void multi_get(const void *self, double *v) {
    const multi_env *e = self;
    memset(v, 0, sizeof(double) * RLC_QUAD_STATE_DIM * MQ_MAX);
    memcpy(v, e->st.s, sizeof(rlc_quad_state) * (size_t)e->n);
}

static void multi_set(void *self, const double *v) {
    multi_env *e = self;
    memcpy(e->st.s, v, sizeof(rlc_quad_state) * (size_t)e->n);
}

static rlc_status multi_render(const void *self, uint8_t *rgb, int width, int height) {
    const multi_env *e = self;
    double c[3] = {0, 0, 0};
    double ext = 0.6 + 0.5 * fabs(e->targets[0]) + 0.5 * fabs(e->targets[3 * (e->n - 1) + 2] - 1);
    c[2] = 0.5 * (e->targets[2] + e->targets[3 * (e->n - 1) + 2]);
    rlc__quad_render_scene(rgb, width, height, &e->p, e->st.s, e->n, e->targets, c, ext);
    return RLC_OK;
}

/* state vector: the 17 state values of each vehicle in turn, padded with zeros to 8 vehicles
 * (values of absent vehicles are ignored when set); the names list vehicle 0's */
const rlc__env_def rlc__quad_multi_def = {
    .name = "MultiQuadHover",
    .summary = "K quadrotors hover at their targets with downwash between them",
    .size = sizeof(multi_env),
    .state_offset = offsetof(multi_env, st),
    .state_size = sizeof(struct multi_state),
    .state_dim = RLC_QUAD_STATE_DIM * MQ_MAX,
    .state_names = "x,y,z,vx,vy,vz,qw,qx,qy,qz,wx,wy,wz,rpm0,rpm1,rpm2,rpm3 (per vehicle)",
    .nparams = (int)(sizeof MULTI_PARAMS / sizeof MULTI_PARAMS[0]),
    .params = MULTI_PARAMS,
    .init = multi_init,
    .reset = multi_reset,
    .step = multi_step,
    .observe = multi_observe,
    .get_vector = multi_get,
    .set_vector = multi_set,
    .render = multi_render,
};
