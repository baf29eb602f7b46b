/* Reacher-v4/v5: Gymnasium's two-link arm reaching a random target; reward = -distance minus
 * the control cost (v4 measures the distance before the step, v5 after), 50-step episodes.
 * Written from Gymnasium's source; no golden data checks it yet. */
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

enum { P_DIST, P_CTRL, P_SKIP, P_COMMON, NPARAMS = P_COMMON + RLC__MJ_NCOMMON };

static const rlc_env_param PARAMS[NPARAMS] = {
    {"reward_dist_weight", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0,
     "weight of the distance term -|fingertip - target|"},
    {"reward_control_weight", RLC_PARAM_REAL, 1.0, -INFINITY, INFINITY, 0,
     "weight of the control term -sum(action^2)"},
    {"frame_skip", RLC_PARAM_INT, 2, 1, 1000, 0, "physics steps (of 0.01 s) per env step"},
    RLC__MJ_COMMON_PARAMS,
};

#define STATE_DIM 8
#define ACT_DIM 2
#define MAX_OBS 11

/* fingertip - target (body positions) */
static void tip_to_target(const rlc__mj_env *e, double *vec) {
    const double *xpos = rlc__mj_xpos(e);
    for (int k = 0; k < 3; k++)
        vec[k] = xpos[3 * e->body_a + k] - xpos[3 * e->body_b + k];
}

/* cos and sin of the two joint angles, the target's x and y, the joint velocities, then
 * fingertip - target (v4: x, y, z; v5: x, y). */
static void rebuild(rlc__mj_env *e) {
    double *o = e->s.obs, vec[3];
    int k = 0;
    for (int i = 0; i < 2; i++)
        o[k++] = cos(e->s.qpos[i]);
    for (int i = 0; i < 2; i++)
        o[k++] = sin(e->s.qpos[i]);
    for (int i = 2; i < e->nq; i++)
        o[k++] = e->s.qpos[i];
    for (int i = 0; i < 2; i++)
        o[k++] = e->s.qvel[i];
    tip_to_target(e, vec);
    for (int i = 0; i < (e->version == 4 ? 3 : 2); i++)
        o[k++] = vec[i];
    memcpy(e->s.pre, vec, sizeof vec);
}

static rlc_status init(rlc__mj_env *e, int version, const double *v, rlc_space *obs,
                       rlc_space *act) {
    e->version = version;
    e->dist_w = v[P_DIST];
    e->ctrl_w = v[P_CTRL];
    rlc_status st =
        rlc__mj_open(e, "reacher.xml", (int)v[P_SKIP], v + P_COMMON, STATE_DIM, ACT_DIM);
    if (st) return st;
    e->body_a = rlc__mj_body_id(e, "fingertip");
    e->body_b = rlc__mj_body_id(e, "target");
    if (e->body_a < 0 || e->body_b < 0)
        return rlc_error(RLC_ERR_FORMAT, "Reacher: the model needs bodies 'fingertip', 'target'");
    e->obs_dim = 4 + (e->nq - 2) + 2 + (version == 4 ? 3 : 2);
    return rlc__mj_spaces(e, MAX_OBS, obs, act);
}

static rlc_status init_v4(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return init(self, 4, v, obs, act);
}

static rlc_status init_v5(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return init(self, 5, v, obs, act);
}

static double norm3(const double *v) {
    return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

/* Arm angles U(-0.1, 0.1) (all of qpos drawn first), then a target drawn in the disk of radius
 * 0.2 by rejection, then velocities U(-0.005, 0.005) with the target's set to 0. */
static void reset(void *self, rlc_rng *rng, void *obs) {
    rlc__mj_env *e = self;
    double qpos[RLC__MJ_MAXQ], qvel[RLC__MJ_MAXV], goal[2];
    for (int i = 0; i < e->nq; i++)
        qpos[i] = rlc_rng_uniform(rng, -0.1, 0.1) + e->init_qpos[i];
    for (;;) {
        goal[0] = rlc_rng_uniform(rng, -0.2, 0.2);
        goal[1] = rlc_rng_uniform(rng, -0.2, 0.2);
        if (sqrt(goal[0] * goal[0] + goal[1] * goal[1]) < 0.2) break;
    }
    qpos[e->nq - 2] = goal[0];
    qpos[e->nq - 1] = goal[1];
    for (int i = 0; i < e->nv; i++)
        qvel[i] = 0.0 + rlc_rng_uniform(rng, -0.005, 0.005);
    qvel[e->nv - 2] = qvel[e->nv - 1] = 0;
    rlc__mj_reset_to(e, qpos, qvel);
    rebuild(e);
    rlc__mj_info_clear(e);
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated) {
    rlc__mj_env *e = self;
    const float *a = action;
    (void)rng;
    double reward_dist;
    float reward_ctrl, sq = rlc__mj_sumsq_f32(a, e->nu);
    if (e->version == 4) {
        /* v4 scores the distance the last step left, before simulating */
        reward_dist = -norm3(e->s.pre) * e->dist_w;
        reward_ctrl = -sq * (float)e->ctrl_w;
        rlc__mj_simulate(e, a);
        rebuild(e);
    } else {
        rlc__mj_simulate(e, a);
        rebuild(e);
        reward_dist = -norm3(e->s.pre) * e->dist_w;
        reward_ctrl = -sq * (float)e->ctrl_w;
    }
    *reward = reward_dist + (double)reward_ctrl;
    *terminated = e->s.unstable != 0;
    e->s.info[RLC__MJI_REWARD_DIST] = reward_dist;
    e->s.info[RLC__MJI_REWARD_CTRL] = reward_ctrl;
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void set_vector(void *self, const double *v) {
    rlc__mj_set_vector_with(self, v, rebuild);
}

#define DEF(NAME, INIT)                                                                            \
    {                                                                                              \
        .name = NAME, .summary = "two-link arm reaching a random target (Gymnasium MuJoCo)",       \
        .size = sizeof(rlc__mj_env), .state_offset = offsetof(rlc__mj_env, s),                     \
        .state_size = RLC__MJ_STATE_SIZE(MAX_OBS), .state_dim = STATE_DIM,                         \
        .state_names = "joint0,joint1,target_x,target_y,joint0_vel,joint1_vel,target_x_vel,"       \
                       "target_y_vel",                                                             \
        .nparams = NPARAMS, .params = PARAMS, .init = INIT, .reset = reset, .step = step,          \
        .observe = rlc__mj_observe, .get_vector = rlc__mj_get_vector, .set_vector = set_vector,    \
        .render = rlc__mj_render, .fini = rlc__mj_fini, .set_string = rlc__mj_set_string,          \
        .step_status = rlc__mj_step_status                                                         \
    }

const rlc__env_def rlc__reacher_v4_def = DEF("Reacher-v4", init_v4);
const rlc__env_def rlc__reacher_v5_def = DEF("Reacher-v5", init_v5);
