/* Ant-v4/v5: Gymnasium's four-legged ant rewarded for torso speed along x plus a healthy bonus,
 * minus control (and contact) costs; terminates when the torso leaves the healthy height. v5
 * adds the clipped external contact forces to the observation and the contact cost. */
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

enum {
    V4_CTRL,
    V4_USE_CONTACT,
    V4_CONTACT,
    V4_HEALTHY,
    V4_TERMINATE,
    V4_Z_LO,
    V4_Z_HI,
    V4_FORCE_LO,
    V4_FORCE_HI,
    V4_NOISE,
    V4_EXCLUDE,
    V4_SKIP,
    V4_COMMON,
    V4_NPARAMS = V4_COMMON + RLC__MJ_NCOMMON
};

enum {
    V5_FORWARD,
    V5_CTRL,
    V5_CONTACT,
    V5_HEALTHY,
    V5_MAIN_BODY,
    V5_TERMINATE,
    V5_Z_LO,
    V5_Z_HI,
    V5_FORCE_LO,
    V5_FORCE_HI,
    V5_NOISE,
    V5_EXCLUDE,
    V5_INC_CFRC,
    V5_SKIP,
    V5_COMMON,
    V5_NPARAMS = V5_COMMON + RLC__MJ_NCOMMON
};

#define CTRL_PARAM                                                                                 \
    {                                                                                              \
        "ctrl_cost_weight", RLC_PARAM_REAL, 0.5, -INFINITY, INFINITY, 0,                           \
            "weight of the control cost sum(action^2)"                                             \
    }
#define CONTACT_PARAM                                                                              \
    {                                                                                              \
        "contact_cost_weight", RLC_PARAM_REAL, 5e-4, -INFINITY, INFINITY, 0,                       \
            "weight of the contact cost sum(clip(cfrc_ext)^2)"                                     \
    }
#define HEALTH_PARAMS                                                                              \
    { "healthy_reward", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0, "bonus per healthy step" }

static const rlc_env_param PARAMS_V4[V4_NPARAMS] = {
    CTRL_PARAM,
    {"use_contact_forces", RLC_PARAM_BOOL, 0, 0, 1, 0,
     "add clipped cfrc_ext (84 values) to the observation and the contact cost to the reward"},
    CONTACT_PARAM,
    HEALTH_PARAMS,
    {"terminate_when_unhealthy", RLC_PARAM_BOOL, 1, 0, 1, 0, "end the episode when unhealthy"},
    {"healthy_z_min", RLC_PARAM_REAL, 0.2, -INFINITY, INFINITY, 0, "healthy_z_range low"},
    {"healthy_z_max", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0, "healthy_z_range high"},
    {"contact_force_min", RLC_PARAM_REAL, -1.0, -INFINITY, INFINITY, 0,
     "contact_force_range low (clip of cfrc_ext)"},
    {"contact_force_max", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0,
     "contact_force_range high (clip of cfrc_ext)"},
    {"reset_noise_scale", RLC_PARAM_REAL, 0.1, 0, INFINITY, 0,
     "qpos noise U(-s, s), qvel noise s * N(0, 1) at reset"},
    {"exclude_current_positions_from_observation", RLC_PARAM_BOOL, 1, 0, 1, 0,
     "leave the x, y position out of the observation"},
    {"frame_skip", RLC_PARAM_INT, 5, 1, 1000, 0, "physics steps (of 0.01 s) per env step"},
    RLC__MJ_COMMON_PARAMS,
};

static const rlc_env_param PARAMS_V5[V5_NPARAMS] = {
    {"forward_reward_weight", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0,
     "weight of the forward velocity term"},
    CTRL_PARAM,
    CONTACT_PARAM,
    HEALTH_PARAMS,
    {"main_body", RLC_PARAM_INT, 1, 0, 1000, 0,
     "id of the body whose x,y displacement gives the velocity (1 = torso)"},
    {"terminate_when_unhealthy", RLC_PARAM_BOOL, 1, 0, 1, 0, "end the episode when unhealthy"},
    {"healthy_z_min", RLC_PARAM_REAL, 0.2, -INFINITY, INFINITY, 0, "healthy_z_range low"},
    {"healthy_z_max", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0, "healthy_z_range high"},
    {"contact_force_min", RLC_PARAM_REAL, -1.0, -INFINITY, INFINITY, 0,
     "contact_force_range low (clip of cfrc_ext)"},
    {"contact_force_max", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0,
     "contact_force_range high (clip of cfrc_ext)"},
    {"reset_noise_scale", RLC_PARAM_REAL, 0.1, 0, INFINITY, 0,
     "qpos noise U(-s, s), qvel noise s * N(0, 1) at reset"},
    {"exclude_current_positions_from_observation", RLC_PARAM_BOOL, 1, 0, 1, 0,
     "leave the x, y position out of the observation"},
    {"include_cfrc_ext_in_observation", RLC_PARAM_BOOL, 1, 0, 1, 0,
     "add clipped cfrc_ext of bodies 1.. (78 values) to the observation"},
    {"frame_skip", RLC_PARAM_INT, 5, 1, 1000, 0, "physics steps (of 0.01 s) per env step"},
    RLC__MJ_COMMON_PARAMS,
};

#define STATE_DIM 29
#define ACT_DIM 8
#define MAX_OBS (15 + 14 + 14 * 6)

/* v4: qpos[2:], qvel, clip(cfrc_ext) of all bodies if use_contact_forces.
 * v5: qpos[2:], qvel, clip(cfrc_ext[1:]) if include_cfrc_ext_in_observation. */
static void rebuild(rlc__mj_env *e) {
    int k = rlc__mj_obs_qpos_qvel(e, e->s.obs, e->exclude_pos ? 2 : 0, 0);
    const double *f = rlc__mj_cfrc_ext(e);
    int first = e->version == 4 ? 0 : 1;
    if (e->inc_cfrc)
        for (int i = 6 * first; i < 6 * e->nbody; i++)
            e->s.obs[k++] = rlc__mj_clip(f[i], e->contact_lo, e->contact_hi);
    const double *xpos = rlc__mj_xpos(e);
    e->s.pre[0] = xpos[3 * e->body_a];
    e->s.pre[1] = xpos[3 * e->body_a + 1];
}

static rlc_status init(rlc__mj_env *e, int version, const double *v, rlc_space *obs,
                       rlc_space *act) {
    const double *common;
    int skip;
    e->version = version;
    if (version == 4) {
        e->forward_w = 1.0;
        e->ctrl_w = v[V4_CTRL];
        e->use_contact = v[V4_USE_CONTACT] != 0;
        e->inc_cfrc = e->use_contact;
        e->contact_w = v[V4_CONTACT];
        e->healthy_reward = v[V4_HEALTHY];
        e->terminate_unhealthy = v[V4_TERMINATE] != 0;
        e->z_lo = v[V4_Z_LO];
        e->z_hi = v[V4_Z_HI];
        e->contact_lo = v[V4_FORCE_LO];
        e->contact_hi = v[V4_FORCE_HI];
        e->noise = v[V4_NOISE];
        e->exclude_pos = v[V4_EXCLUDE] != 0;
        skip = (int)v[V4_SKIP];
        common = v + V4_COMMON;
    } else {
        e->forward_w = v[V5_FORWARD];
        e->ctrl_w = v[V5_CTRL];
        e->use_contact = 1;
        e->contact_w = v[V5_CONTACT];
        e->healthy_reward = v[V5_HEALTHY];
        e->body_a = (int)v[V5_MAIN_BODY];
        e->terminate_unhealthy = v[V5_TERMINATE] != 0;
        e->z_lo = v[V5_Z_LO];
        e->z_hi = v[V5_Z_HI];
        e->contact_lo = v[V5_FORCE_LO];
        e->contact_hi = v[V5_FORCE_HI];
        e->noise = v[V5_NOISE];
        e->exclude_pos = v[V5_EXCLUDE] != 0;
        e->inc_cfrc = v[V5_INC_CFRC] != 0;
        skip = (int)v[V5_SKIP];
        common = v + V5_COMMON;
    }
    rlc_status st = rlc__mj_open(e, "ant.xml", skip, common, STATE_DIM, ACT_DIM);
    if (st) return st;
    if (version == 4) {
        e->body_a = rlc__mj_body_id(e, "torso");
        if (e->body_a < 0) return rlc_error(RLC_ERR_FORMAT, "Ant: the model has no body 'torso'");
    } else if (e->body_a >= e->nbody) {
        return rlc_error(RLC_ERR_RANGE, "Ant-v5: main_body %d is not a body id (model has %d)",
                         e->body_a, e->nbody);
    }
    e->cfrc_tail = e->inc_cfrc ? 6 * (e->nbody - (version == 4 ? 0 : 1)) : 0;
    e->obs_dim = e->nq + e->nv - 2 * e->exclude_pos + e->cfrc_tail;
    return rlc__mj_spaces(e, MAX_OBS, obs, act);
}

static rlc_status init_v4(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return init(self, 4, v, obs, act);
}

static rlc_status init_v5(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return init(self, 5, v, obs, act);
}

/* All of state_vector() finite and z_lo <= qpos[2] <= z_hi (inclusive). */
static int is_healthy(const rlc__mj_env *e) {
    for (int i = 0; i < e->nq; i++)
        if (!isfinite(e->s.qpos[i])) return 0;
    for (int i = 0; i < e->nv; i++)
        if (!isfinite(e->s.qvel[i])) return 0;
    return e->z_lo <= e->s.qpos[2] && e->s.qpos[2] <= e->z_hi;
}

/* w * np.sum(np.square(np.clip(cfrc_ext, lo, hi))) over all bodies, in float64. */
static double contact_cost(const rlc__mj_env *e) {
    double sq[RLC__MJ_MAXBODY * 6];
    const double *f = rlc__mj_cfrc_ext(e);
    int n = 6 * e->nbody;
    for (int i = 0; i < n; i++) {
        double c = rlc__mj_clip(f[i], e->contact_lo, e->contact_hi);
        sq[i] = c * c;
    }
    return e->contact_w * rlc__mj_sum_f64(sq, n);
}

static double norm2(double x, double y) {
    return sqrt(x * x + y * y);
}

static void reset(void *self, rlc_rng *rng, void *obs) {
    rlc__mj_env *e = self;
    double qpos[RLC__MJ_MAXQ], qvel[RLC__MJ_MAXV];
    for (int i = 0; i < e->nq; i++)
        qpos[i] = e->init_qpos[i] + rlc_rng_uniform(rng, -e->noise, e->noise);
    for (int i = 0; i < e->nv; i++)
        qvel[i] = 0.0 + e->noise * rlc_rng_normal(rng);
    rlc__mj_reset_to(e, qpos, qvel);
    rebuild(e);
    rlc__mj_info_clear(e);
    if (e->version == 5) {
        e->s.info[RLC__MJI_X_POSITION] = e->s.qpos[0];
        e->s.info[RLC__MJI_Y_POSITION] = e->s.qpos[1];
        e->s.info[RLC__MJI_DISTANCE_FROM_ORIGIN] = norm2(e->s.qpos[0], e->s.qpos[1]);
    }
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated) {
    rlc__mj_env *e = self;
    const float *a = action;
    (void)rng;
    double x_before = e->s.pre[0], y_before = e->s.pre[1];
    rlc__mj_simulate(e, a);
    const double *xpos = rlc__mj_xpos(e);
    double x_after = xpos[3 * e->body_a], y_after = xpos[3 * e->body_a + 1];
    double x_velocity = (x_after - x_before) / e->dt;
    double y_velocity = (y_after - y_before) / e->dt;
    double forward = e->version == 4 ? x_velocity : x_velocity * e->forward_w;
    int healthy = is_healthy(e);
    int paid = e->version == 4 ? (healthy || e->terminate_unhealthy) : healthy;
    double healthy_reward = (double)paid * e->healthy_reward;
    double rewards = forward + healthy_reward;
    float ctrl = rlc__mj_ctrl_cost(e->ctrl_w, a, e->nu);
    double contact = e->use_contact ? contact_cost(e) : 0.0;
    double costs = e->use_contact ? (double)ctrl + contact : (double)ctrl;
    *reward = rewards - costs;
    *terminated = (!healthy && e->terminate_unhealthy) || e->s.unstable;
    rebuild(e);
    double *info = e->s.info;
    info[RLC__MJI_X_VELOCITY] = x_velocity;
    info[RLC__MJI_Y_VELOCITY] = y_velocity;
    info[RLC__MJI_REWARD_FORWARD] = forward;
    info[RLC__MJI_REWARD_SURVIVE] = healthy_reward;
    if (e->version == 4) {
        info[RLC__MJI_X_POSITION] = x_after;
        info[RLC__MJI_Y_POSITION] = y_after;
        info[RLC__MJI_DISTANCE_FROM_ORIGIN] = norm2(x_after, y_after);
        /* Gymnasium v4 reports -contact_cost as reward_ctrl when contact forces are used. */
        info[RLC__MJI_REWARD_CTRL] = e->use_contact ? -contact : (double)-ctrl;
    } else {
        info[RLC__MJI_X_POSITION] = e->s.qpos[0];
        info[RLC__MJI_Y_POSITION] = e->s.qpos[1];
        info[RLC__MJI_DISTANCE_FROM_ORIGIN] = norm2(e->s.qpos[0], e->s.qpos[1]);
        info[RLC__MJI_REWARD_CTRL] = (double)-ctrl;
        info[RLC__MJI_REWARD_CONTACT] = -contact;
    }
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void set_vector(void *self, const double *v) {
    rlc__mj_set_vector_with(self, v, rebuild);
}

#define STATE_NAMES                                                                                \
    "root_x,root_y,root_z,root_qw,root_qx,root_qy,root_qz,hip_1,ankle_1,hip_2,ankle_2,hip_3,"      \
    "ankle_3,hip_4,ankle_4,root_vx,root_vy,root_vz,root_wx,root_wy,root_wz,hip_1_vel,ankle_1_vel," \
    "hip_2_vel,ankle_2_vel,hip_3_vel,ankle_3_vel,hip_4_vel,ankle_4_vel"

#define DEF(NAME, INIT, NP, PARAMS)                                                                \
    {                                                                                              \
        .name = NAME, .summary = "four-legged ant walking along x (Gymnasium MuJoCo)",             \
        .size = sizeof(rlc__mj_env), .state_offset = offsetof(rlc__mj_env, s),                     \
        .state_size = RLC__MJ_STATE_SIZE(MAX_OBS), .state_dim = STATE_DIM,                         \
        .state_names = STATE_NAMES, .nparams = NP, .params = PARAMS, .init = INIT, .reset = reset, \
        .step = step, .observe = rlc__mj_observe, .get_vector = rlc__mj_get_vector,                \
        .set_vector = set_vector, .render = rlc__mj_render, .fini = rlc__mj_fini,                  \
        .set_string = rlc__mj_set_string, .step_status = rlc__mj_step_status                       \
    }

const rlc__env_def rlc__ant_v4_def = DEF("Ant-v4", init_v4, V4_NPARAMS, PARAMS_V4);
const rlc__env_def rlc__ant_v5_def = DEF("Ant-v5", init_v5, V5_NPARAMS, PARAMS_V5);
