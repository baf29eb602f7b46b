/* Humanoid-v4/v5: Gymnasium's 3D biped rewarded for the speed of its mass centre plus a healthy
 * bonus, minus control (v5: and contact) costs; terminates when the torso leaves 1 < z < 2.
 * Written from Gymnasium's source; no golden data checks it yet. */
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

enum {
    P_FORWARD,
    P_CTRL,
    P_HEALTHY,
    P_TERMINATE,
    P_Z_LO,
    P_Z_HI,
    P_NOISE,
    P_EXCLUDE,
    P_SKIP,
    P_COMMON,
    V4_NPARAMS = P_COMMON + RLC__MJ_NCOMMON,
    /* v5 only, after the common ones */
    P_CONTACT = V4_NPARAMS,
    P_CONTACT_LO,
    P_CONTACT_HI,
    P_INC_CINERT,
    P_INC_CVEL,
    P_INC_QFRC,
    P_INC_CFRC,
    V5_NPARAMS
};

// clang-format off
#define V4_LIST                                                                                    \
    {"forward_reward_weight", RLC_PARAM_REAL, 1.25, -INFINITY, INFINITY, 0,                        \
     "weight of the mass-centre velocity term"},                                                   \
    {"ctrl_cost_weight", RLC_PARAM_REAL, 0.1, -INFINITY, INFINITY, 0,                              \
     "weight of the control cost sum(ctrl^2)"},                                                    \
    {"healthy_reward", RLC_PARAM_REAL, 5.0, -INFINITY, INFINITY, 0, "bonus per healthy step"},     \
    {"terminate_when_unhealthy", RLC_PARAM_BOOL, 1, 0, 1, 0, "end the episode when unhealthy"},    \
    {"healthy_z_min", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0, "healthy_z_range low"},         \
    {"healthy_z_max", RLC_PARAM_REAL, 2.0, -INFINITY, INFINITY, 0, "healthy_z_range high"},        \
    {"reset_noise_scale", RLC_PARAM_REAL, 1e-2, 0, INFINITY, 0,                                    \
     "qpos and qvel noise U(-s, s) at reset"},                                                     \
    {"exclude_current_positions_from_observation", RLC_PARAM_BOOL, 1, 0, 1, 0,                     \
     "leave the x, y position out of the observation"},                                            \
    {"frame_skip", RLC_PARAM_INT, 5, 1, 1000, 0, "physics steps (of 0.003 s) per env step"},       \
    RLC__MJ_COMMON_PARAMS
// clang-format on

static const rlc_env_param PARAMS_V4[V4_NPARAMS] = {V4_LIST};

static const rlc_env_param PARAMS_V5[V5_NPARAMS] = {
    V4_LIST,
    {"contact_cost_weight", RLC_PARAM_REAL, 5e-7, -INFINITY, INFINITY, 0,
     "weight of the contact cost sum(cfrc_ext^2)"},
    {"contact_cost_min", RLC_PARAM_REAL, -INFINITY, -INFINITY, INFINITY, 0,
     "contact_cost_range low (clip of the contact cost)"},
    {"contact_cost_max", RLC_PARAM_REAL, 10.0, -INFINITY, INFINITY, 0,
     "contact_cost_range high (clip of the contact cost)"},
    {"include_cinert_in_observation", RLC_PARAM_BOOL, 1, 0, 1, 0, "observe cinert[1:]"},
    {"include_cvel_in_observation", RLC_PARAM_BOOL, 1, 0, 1, 0, "observe cvel[1:]"},
    {"include_qfrc_actuator_in_observation", RLC_PARAM_BOOL, 1, 0, 1, 0,
     "observe qfrc_actuator[6:]"},
    {"include_cfrc_ext_in_observation", RLC_PARAM_BOOL, 1, 0, 1, 0, "observe cfrc_ext[1:]"},
};

#define STATE_DIM 47
#define ACT_DIM 17
#define MAX_OBS (24 + 23 + 14 * 10 + 14 * 6 + 23 + 14 * 6)

static void put(double *o, int *k, const double *src, int n) {
    memcpy(o + *k, src, (size_t)n * sizeof(double));
    *k += n;
}

/* sum(body_mass * xipos, axis=0) / sum(body_mass): NumPy sums the rows in order (axis 0 is not
 * the contiguous one) and the masses pairwise. */
static void mass_center(const rlc__mj_env *e, double *xy) {
    const double *mass = rlc__mj_body_mass(e), *xipos = rlc__mj_xipos(e);
    double acc[3] = {0, 0, 0};
    for (int b = 0; b < e->nbody; b++)
        for (int c = 0; c < 3; c++)
            acc[c] += mass[b] * xipos[3 * b + c];
    double total = rlc__mj_sum_f64(mass, e->nbody);
    xy[0] = acc[0] / total;
    xy[1] = acc[1] / total;
}

/* v4: qpos[2:], qvel, cinert, cvel, qfrc_actuator, cfrc_ext of all bodies.
 * v5: the same without the world body (and qfrc_actuator without the free joint), each block
 * optional. */
static void rebuild(rlc__mj_env *e) {
    double *o = e->s.obs;
    int k = rlc__mj_obs_qpos_qvel(e, o, e->exclude_pos ? 2 : 0, 0);
    int b0 = e->version == 4 ? 0 : 1, q0 = e->version == 4 ? 0 : 6, nb = e->nbody - b0;
    if (e->inc_cinert) put(o, &k, rlc__mj_cinert(e) + 10 * b0, 10 * nb);
    if (e->inc_cvel) put(o, &k, rlc__mj_cvel(e) + 6 * b0, 6 * nb);
    if (e->inc_qfrc) put(o, &k, rlc__mj_qfrc_actuator(e) + q0, e->nv - q0);
    if (e->inc_cfrc) put(o, &k, rlc__mj_cfrc_ext(e) + 6 * b0, 6 * nb);
    mass_center(e, e->s.pre);
}

static rlc_status init(rlc__mj_env *e, int version, const double *v, rlc_space *obs,
                       rlc_space *act) {
    e->version = version;
    e->forward_w = v[P_FORWARD];
    e->ctrl_w = v[P_CTRL];
    e->healthy_reward = v[P_HEALTHY];
    e->terminate_unhealthy = v[P_TERMINATE] != 0;
    e->z_lo = v[P_Z_LO];
    e->z_hi = v[P_Z_HI];
    e->noise = v[P_NOISE];
    e->exclude_pos = v[P_EXCLUDE] != 0;
    e->inc_cinert = e->inc_cvel = e->inc_qfrc = e->inc_cfrc = 1;
    if (version == 5) {
        e->use_contact = 1;
        e->contact_w = v[P_CONTACT];
        e->contact_lo = v[P_CONTACT_LO];
        e->contact_hi = v[P_CONTACT_HI];
        e->inc_cinert = v[P_INC_CINERT] != 0;
        e->inc_cvel = v[P_INC_CVEL] != 0;
        e->inc_qfrc = v[P_INC_QFRC] != 0;
        e->inc_cfrc = v[P_INC_CFRC] != 0;
    }
    rlc_status st =
        rlc__mj_open(e, "humanoid.xml", (int)v[P_SKIP], v + P_COMMON, STATE_DIM, ACT_DIM);
    if (st) return st;
    int b0 = version == 4 ? 0 : 1, q0 = version == 4 ? 0 : 6, nb = e->nbody - b0;
    e->cfrc_tail = e->inc_cfrc ? 6 * nb : 0;
    e->obs_dim = e->nq + e->nv - 2 * e->exclude_pos + e->inc_cinert * 10 * nb +
                 e->inc_cvel * 6 * nb + e->inc_qfrc * (e->nv - q0) + e->cfrc_tail;
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
        qvel[i] = 0.0 + rlc_rng_uniform(rng, -e->noise, e->noise);
    rlc__mj_reset_to(e, qpos, qvel);
    rebuild(e);
    rlc__mj_info_clear(e);
    if (e->version == 5) {
        e->s.info[RLC__MJI_X_POSITION] = e->s.qpos[0];
        e->s.info[RLC__MJI_Y_POSITION] = e->s.qpos[1];
        e->s.info[RLC__MJI_DISTANCE_FROM_ORIGIN] =
            sqrt(e->s.qpos[0] * e->s.qpos[0] + e->s.qpos[1] * e->s.qpos[1]);
    }
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated) {
    rlc__mj_env *e = self;
    (void)rng;
    double before[2] = {e->s.pre[0], e->s.pre[1]};
    rlc__mj_simulate(e, action);
    rebuild(e); /* also the new mass centre in s.pre */
    double x_velocity = (e->s.pre[0] - before[0]) / e->dt;
    double y_velocity = (e->s.pre[1] - before[1]) / e->dt;
    double forward = e->forward_w * x_velocity;
    int healthy = e->z_lo < e->s.qpos[2] && e->s.qpos[2] < e->z_hi;
    int paid = e->version == 4 ? (healthy || e->terminate_unhealthy) : healthy;
    double healthy_reward = (double)paid * e->healthy_reward;
    /* the control cost squares data.ctrl: float64 */
    double sq[RLC__MJ_MAXBODY * 6];
    for (int i = 0; i < e->nu; i++)
        sq[i] = e->s.ctrl[i] * e->s.ctrl[i];
    double ctrl = e->ctrl_w * rlc__mj_sum_f64(sq, e->nu);
    double contact = 0;
    if (e->use_contact) {
        const double *f = rlc__mj_cfrc_ext(e);
        for (int i = 0; i < 6 * e->nbody; i++)
            sq[i] = f[i] * f[i];
        contact = rlc__mj_clip(e->contact_w * rlc__mj_sum_f64(sq, 6 * e->nbody), e->contact_lo,
                               e->contact_hi);
    }
    double rewards = forward + healthy_reward;
    *reward = e->use_contact ? rewards - (ctrl + contact) : rewards - ctrl;
    *terminated = (!healthy && e->terminate_unhealthy) || e->s.unstable;
    double *info = e->s.info;
    info[RLC__MJI_X_POSITION] = e->version == 4 ? e->s.pre[0] : e->s.qpos[0];
    info[RLC__MJI_Y_POSITION] = e->version == 4 ? e->s.pre[1] : e->s.qpos[1];
    info[RLC__MJI_DISTANCE_FROM_ORIGIN] =
        sqrt(info[RLC__MJI_X_POSITION] * info[RLC__MJI_X_POSITION] +
             info[RLC__MJI_Y_POSITION] * info[RLC__MJI_Y_POSITION]);
    info[RLC__MJI_X_VELOCITY] = x_velocity;
    info[RLC__MJI_Y_VELOCITY] = y_velocity;
    info[RLC__MJI_REWARD_FORWARD] = forward;
    info[RLC__MJI_REWARD_CTRL] = -ctrl;
    info[RLC__MJI_REWARD_SURVIVE] = healthy_reward;
    if (e->use_contact) info[RLC__MJI_REWARD_CONTACT] = -contact;
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void set_vector(void *self, const double *v) {
    rlc__mj_set_vector_with(self, v, rebuild);
}

#define STATE_NAMES                                                                                \
    "root_x,root_y,root_z,root_qw,root_qx,root_qy,root_qz,abdomen_z,abdomen_y,abdomen_x,"          \
    "right_hip_x,right_hip_z,right_hip_y,right_knee,left_hip_x,left_hip_z,left_hip_y,left_knee,"   \
    "right_shoulder1,right_shoulder2,right_elbow,left_shoulder1,left_shoulder2,left_elbow,"        \
    "root_vx,root_vy,root_vz,root_wx,root_wy,root_wz,abdomen_z_vel,abdomen_y_vel,abdomen_x_vel,"   \
    "right_hip_x_vel,right_hip_z_vel,right_hip_y_vel,right_knee_vel,left_hip_x_vel,"               \
    "left_hip_z_vel,left_hip_y_vel,left_knee_vel,right_shoulder1_vel,right_shoulder2_vel,"         \
    "right_elbow_vel,left_shoulder1_vel,left_shoulder2_vel,left_elbow_vel"

#define DEF(NAME, INIT, NP, PARAMS)                                                                \
    {                                                                                              \
        .name = NAME, .summary = "3D humanoid walking forward (Gymnasium MuJoCo)",                 \
        .size = sizeof(rlc__mj_env), .state_offset = offsetof(rlc__mj_env, s),                     \
        .state_size = RLC__MJ_STATE_SIZE(MAX_OBS), .state_dim = STATE_DIM,                         \
        .state_names = STATE_NAMES, .nparams = NP, .params = PARAMS, .init = INIT, .reset = reset, \
        .step = step, .observe = rlc__mj_observe, .get_vector = rlc__mj_get_vector,                \
        .set_vector = set_vector, .render = rlc__mj_render, .fini = rlc__mj_fini,                  \
        .set_string = rlc__mj_set_string, .step_status = rlc__mj_step_status                       \
    }

const rlc__env_def rlc__humanoid_v4_def = DEF("Humanoid-v4", init_v4, V4_NPARAMS, PARAMS_V4);
const rlc__env_def rlc__humanoid_v5_def = DEF("Humanoid-v5", init_v5, V5_NPARAMS, PARAMS_V5);
