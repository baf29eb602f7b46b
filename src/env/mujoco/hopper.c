/* Hopper-v4/v5: Gymnasium's planar one-legged hopper rewarded for forward speed plus a healthy
 * bonus; terminates when it falls (v4 pays the bonus every step, v5 only while healthy). */
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

enum {
    P_FORWARD,
    P_CTRL,
    P_HEALTHY,
    P_TERMINATE,
    P_STATE_LO,
    P_STATE_HI,
    P_Z_LO,
    P_Z_HI,
    P_ANGLE_LO,
    P_ANGLE_HI,
    P_NOISE,
    P_EXCLUDE,
    P_SKIP,
    P_COMMON,
    NPARAMS = P_COMMON + RLC__MJ_NCOMMON
};

static const rlc_env_param PARAMS[NPARAMS] = {
    {"forward_reward_weight", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0,
     "weight of the forward velocity term"},
    {"ctrl_cost_weight", RLC_PARAM_REAL, 1e-3, -INFINITY, INFINITY, 0,
     "weight of the control cost sum(action^2)"},
    {"healthy_reward", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0, "bonus per healthy step"},
    {"terminate_when_unhealthy", RLC_PARAM_BOOL, 1, 0, 1, 0, "end the episode when unhealthy"},
    {"healthy_state_min", RLC_PARAM_REAL, -100.0, -INFINITY, INFINITY, 0,
     "healthy_state_range low: qpos[2:] and qvel must stay above it"},
    {"healthy_state_max", RLC_PARAM_REAL, 100.0, -INFINITY, INFINITY, 0,
     "healthy_state_range high: qpos[2:] and qvel must stay below it"},
    {"healthy_z_min", RLC_PARAM_REAL, 0.7, -INFINITY, INFINITY, 0, "healthy_z_range low"},
    {"healthy_z_max", RLC_PARAM_REAL, INFINITY, -INFINITY, INFINITY, 0, "healthy_z_range high"},
    {"healthy_angle_min", RLC_PARAM_REAL, -0.2, -INFINITY, INFINITY, 0, "healthy_angle_range low"},
    {"healthy_angle_max", RLC_PARAM_REAL, 0.2, -INFINITY, INFINITY, 0, "healthy_angle_range high"},
    {"reset_noise_scale", RLC_PARAM_REAL, 5e-3, 0, INFINITY, 0,
     "qpos and qvel noise U(-s, s) at reset"},
    {"exclude_current_positions_from_observation", RLC_PARAM_BOOL, 1, 0, 1, 0,
     "leave the x position out of the observation"},
    {"frame_skip", RLC_PARAM_INT, 4, 1, 1000, 0, "physics steps (of 0.002 s) per env step"},
    RLC__MJ_COMMON_PARAMS,
};

#define STATE_DIM 12
#define ACT_DIM 3
#define MAX_OBS 12

static void rebuild(rlc__mj_env *e) {
    rlc__mj_obs_qpos_qvel(e, e->s.obs, e->exclude_pos ? 1 : 0, 10.0);
}

static rlc_status init(rlc__mj_env *e, int version, const double *v, rlc_space *obs,
                       rlc_space *act) {
    e->version = version;
    e->forward_w = v[P_FORWARD];
    e->ctrl_w = v[P_CTRL];
    e->healthy_reward = v[P_HEALTHY];
    e->terminate_unhealthy = v[P_TERMINATE] != 0;
    e->state_lo = v[P_STATE_LO];
    e->state_hi = v[P_STATE_HI];
    e->z_lo = v[P_Z_LO];
    e->z_hi = v[P_Z_HI];
    e->angle_lo = v[P_ANGLE_LO];
    e->angle_hi = v[P_ANGLE_HI];
    e->noise = v[P_NOISE];
    e->exclude_pos = v[P_EXCLUDE] != 0;
    rlc_status st = rlc__mj_open(e, "hopper.xml", (int)v[P_SKIP], v + P_COMMON, STATE_DIM, ACT_DIM);
    if (st) return st;
    e->obs_dim = e->nq + e->nv - e->exclude_pos;
    return rlc__mj_spaces(e, MAX_OBS, obs, act);
}

static rlc_status init_v4(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return init(self, 4, v, obs, act);
}

static rlc_status init_v5(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return init(self, 5, v, obs, act);
}

/* Strict bounds on state_vector()[2:], z = qpos[1] and angle = qpos[2] (NaN is unhealthy). */
static int is_healthy(const rlc__mj_env *e) {
    for (int i = 2; i < e->nq + e->nv; i++) {
        double x = i < e->nq ? e->s.qpos[i] : e->s.qvel[i - e->nq];
        if (!(e->state_lo < x && x < e->state_hi)) return 0;
    }
    double z = e->s.qpos[1], angle = e->s.qpos[2];
    return e->z_lo < z && z < e->z_hi && e->angle_lo < angle && angle < e->angle_hi;
}

static void reset(void *self, rlc_rng *rng, void *obs) {
    rlc__mj_env *e = self;
    double qpos[RLC__MJ_MAXQ], qvel[RLC__MJ_MAXV];
    for (int i = 0; i < e->nq; i++)
        qpos[i] = e->init_qpos[i] + rlc_rng_uniform(rng, -e->noise, e->noise);
    for (int i = 0; i < e->nv; i++)
        qvel[i] = 0.0 + rlc_rng_uniform(rng, -e->noise, e->noise);
    rlc__mj_reset_to(e, qpos, qvel);
    rebuild(e);
    rlc__mj_info_clear(e);
    e->s.info[RLC__MJI_X_POSITION] = e->s.qpos[0];
    e->s.info[RLC__MJI_Z_DISTANCE_FROM_ORIGIN] = e->s.qpos[1] - e->init_qpos[1];
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated) {
    rlc__mj_env *e = self;
    const float *a = action;
    (void)rng;
    double x_before = e->s.qpos[0];
    rlc__mj_simulate(e, a);
    double x_after = e->s.qpos[0];
    double x_velocity = (x_after - x_before) / e->dt;
    float ctrl = rlc__mj_ctrl_cost(e->ctrl_w, a, e->nu);
    double forward = e->forward_w * x_velocity;
    int healthy = is_healthy(e);
    /* v4: float(is_healthy or terminate_when_unhealthy) * w; v5: is_healthy * w */
    int paid = e->version == 4 ? (healthy || e->terminate_unhealthy) : healthy;
    double healthy_reward = (double)paid * e->healthy_reward;
    *reward = (forward + healthy_reward) - (double)ctrl;
    *terminated = (!healthy && e->terminate_unhealthy) || e->s.unstable;
    rebuild(e);
    e->s.info[RLC__MJI_X_POSITION] = x_after;
    e->s.info[RLC__MJI_Z_DISTANCE_FROM_ORIGIN] = e->s.qpos[1] - e->init_qpos[1];
    e->s.info[RLC__MJI_X_VELOCITY] = x_velocity;
    e->s.info[RLC__MJI_REWARD_FORWARD] = forward;
    e->s.info[RLC__MJI_REWARD_CTRL] = (double)-ctrl;
    e->s.info[RLC__MJI_REWARD_SURVIVE] = healthy_reward;
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void set_vector(void *self, const double *v) {
    rlc__mj_set_vector_with(self, v, rebuild);
}

#define STATE_NAMES                                                                                \
    "rootx,rootz,rooty,thigh_joint,leg_joint,foot_joint,rootx_vel,rootz_vel,rooty_vel,"            \
    "thigh_joint_vel,leg_joint_vel,foot_joint_vel"

#define DEF(NAME, INIT)                                                                            \
    {                                                                                              \
        .name = NAME, .summary = "planar one-legged hopper hopping forward (Gymnasium MuJoCo)",    \
        .size = sizeof(rlc__mj_env), .state_offset = offsetof(rlc__mj_env, s),                     \
        .state_size = RLC__MJ_STATE_SIZE(MAX_OBS), .state_dim = STATE_DIM,                         \
        .state_names = STATE_NAMES, .nparams = NPARAMS, .params = PARAMS, .init = INIT,            \
        .reset = reset, .step = step, .observe = rlc__mj_observe,                                  \
        .get_vector = rlc__mj_get_vector, .set_vector = set_vector, .render = rlc__mj_render,      \
        .fini = rlc__mj_fini, .set_string = rlc__mj_set_string, .step_status = rlc__mj_step_status \
    }

const rlc__env_def rlc__hopper_v4_def = DEF("Hopper-v4", init_v4);
const rlc__env_def rlc__hopper_v5_def = DEF("Hopper-v5", init_v5);
