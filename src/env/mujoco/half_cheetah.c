/* HalfCheetah-v4/v5: Gymnasium's planar cheetah rewarded for forward speed minus a float32 control
 * cost; never terminates. Bit-exact with Gymnasium 1.x on libmujoco 2.2.2. */
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

enum {
    P_FORWARD,
    P_CTRL,
    P_NOISE,
    P_EXCLUDE,
    P_SKIP,
    P_COMMON,
    NPARAMS = P_COMMON + RLC__MJ_NCOMMON
};

static const rlc_env_param PARAMS[NPARAMS] = {
    {"forward_reward_weight", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0,
     "weight of the forward velocity term"},
    {"ctrl_cost_weight", RLC_PARAM_REAL, 0.1, -INFINITY, INFINITY, 0,
     "weight of the control cost sum(action^2)"},
    {"reset_noise_scale", RLC_PARAM_REAL, 0.1, 0, INFINITY, 0,
     "qpos noise U(-s, s), qvel noise s * N(0, 1) at reset"},
    {"exclude_current_positions_from_observation", RLC_PARAM_BOOL, 1, 0, 1, 0,
     "leave the x position out of the observation"},
    {"frame_skip", RLC_PARAM_INT, 5, 1, 1000, 0, "physics steps (of 0.01 s) per env step"},
    RLC__MJ_COMMON_PARAMS,
};

#define STATE_DIM 18
#define ACT_DIM 6
#define MAX_OBS 18

static void rebuild(rlc__mj_env *e) {
    rlc__mj_obs_qpos_qvel(e, e->s.obs, e->exclude_pos ? 1 : 0, 0);
}

static rlc_status init(rlc__mj_env *e, int version, const double *v, rlc_space *obs,
                       rlc_space *act) {
    e->version = version;
    e->forward_w = v[P_FORWARD];
    e->ctrl_w = v[P_CTRL];
    e->noise = v[P_NOISE];
    e->exclude_pos = v[P_EXCLUDE] != 0;
    rlc_status st =
        rlc__mj_open(e, "half_cheetah.xml", (int)v[P_SKIP], v + P_COMMON, STATE_DIM, ACT_DIM);
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
    e->s.info[RLC__MJI_X_POSITION] = e->s.qpos[0];
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
    rebuild(e);
    double forward = e->forward_w * x_velocity;
    float ctrl = rlc__mj_ctrl_cost(e->ctrl_w, a, e->nu);
    *reward = forward - (double)ctrl;
    *terminated = e->s.unstable != 0;
    e->s.info[RLC__MJI_X_POSITION] = x_after;
    e->s.info[RLC__MJI_X_VELOCITY] = x_velocity;
    e->s.info[RLC__MJI_REWARD_FORWARD] = forward;
    e->s.info[RLC__MJI_REWARD_CTRL] = (double)-ctrl;
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void set_vector(void *self, const double *v) {
    rlc__mj_set_vector_with(self, v, rebuild);
}

#define STATE_NAMES                                                                                \
    "rootx,rootz,rooty,bthigh,bshin,bfoot,fthigh,fshin,ffoot,rootx_vel,rootz_vel,rooty_vel,"       \
    "bthigh_vel,bshin_vel,bfoot_vel,fthigh_vel,fshin_vel,ffoot_vel"

#define DEF(NAME, INIT)                                                                            \
    {                                                                                              \
        .name = NAME, .summary = "planar cheetah running forward (Gymnasium MuJoCo)",              \
        .size = sizeof(rlc__mj_env), .state_offset = offsetof(rlc__mj_env, s),                     \
        .state_size = RLC__MJ_STATE_SIZE(MAX_OBS), .state_dim = STATE_DIM,                         \
        .state_names = STATE_NAMES, .nparams = NPARAMS, .params = PARAMS, .init = INIT,            \
        .reset = reset, .step = step, .observe = rlc__mj_observe,                                  \
        .get_vector = rlc__mj_get_vector, .set_vector = set_vector, .render = rlc__mj_render,      \
        .fini = rlc__mj_fini, .set_string = rlc__mj_set_string, .step_status = rlc__mj_step_status \
    }

const rlc__env_def rlc__half_cheetah_v4_def = DEF("HalfCheetah-v4", init_v4);
const rlc__env_def rlc__half_cheetah_v5_def = DEF("HalfCheetah-v5", init_v5);
