/* InvertedDoublePendulum-v4/v5: Gymnasium's two-link pole on a cart; reward = alive bonus minus
 * the tip's distance and the links' speed penalties, terminates when the tip drops to y <= 1.
 * Written from Gymnasium's source; no golden data checks it yet. */
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

enum { P_HEALTHY, P_NOISE, P_SKIP, P_COMMON, NPARAMS = P_COMMON + RLC__MJ_NCOMMON };

static const rlc_env_param PARAMS[NPARAMS] = {
    {"healthy_reward", RLC_PARAM_REAL, 10.0, -INFINITY, INFINITY, 0,
     "alive bonus per step (v5: not on the terminating step)"},
    {"reset_noise_scale", RLC_PARAM_REAL, 0.1, 0, INFINITY, 0,
     "qpos noise U(-s, s), qvel noise s * N(0, 1) at reset"},
    {"frame_skip", RLC_PARAM_INT, 5, 1, 1000, 0, "physics steps (of 0.01 s) per env step"},
    RLC__MJ_COMMON_PARAMS,
};

#define STATE_DIM 6
#define ACT_DIM 1
#define MAX_OBS 11

/* x of the cart, sin and cos of the link angles, clip(qvel, +-10), clip(qfrc_constraint, +-10)
 * (v5: only its first value, the others are always 0). */
static void rebuild(rlc__mj_env *e) {
    double *o = e->s.obs;
    int k = 0;
    o[k++] = e->s.qpos[0];
    for (int i = 1; i < e->nq; i++)
        o[k++] = sin(e->s.qpos[i]);
    for (int i = 1; i < e->nq; i++)
        o[k++] = cos(e->s.qpos[i]);
    for (int i = 0; i < e->nv; i++)
        o[k++] = rlc__mj_clip(e->s.qvel[i], -10, 10);
    const double *qc = rlc__mj_qfrc_constraint(e);
    int nc = e->version == 4 ? e->nv : 1;
    for (int i = 0; i < nc; i++)
        o[k++] = rlc__mj_clip(qc[i], -10, 10);
}

static rlc_status init(rlc__mj_env *e, int version, const double *v, rlc_space *obs,
                       rlc_space *act) {
    e->version = version;
    e->healthy_reward = v[P_HEALTHY];
    e->noise = v[P_NOISE];
    rlc_status st = rlc__mj_open(e, "inverted_double_pendulum.xml", (int)v[P_SKIP], v + P_COMMON,
                                 STATE_DIM, ACT_DIM);
    if (st) return st;
    if (e->nsite < 1)
        return rlc_error(RLC_ERR_FORMAT,
                         "InvertedDoublePendulum: the model has no site (the first site marks the "
                         "tip of the second pole)");
    e->obs_dim = 1 + 2 * (e->nq - 1) + e->nv + (version == 4 ? e->nv : 1);
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
        qvel[i] = 0.0 + rlc_rng_normal(rng) * e->noise;
    rlc__mj_reset_to(e, qpos, qvel);
    rebuild(e);
    rlc__mj_info_clear(e);
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated) {
    rlc__mj_env *e = self;
    (void)rng;
    rlc__mj_simulate(e, action);
    rebuild(e);
    const double *tip = rlc__mj_site_xpos(e); /* site 0: the tip of the second pole */
    double x = tip[0], y = tip[2];
    int term = y <= 1;
    double v1 = e->s.qvel[1], v2 = e->s.qvel[2];
    /* x**2 on NumPy scalars is libm pow (built with -fno-builtin-pow). */
    double dist_penalty = 0.01 * pow(x, 2.0) + pow(y - 2, 2.0);
    double vel_penalty = 1e-3 * pow(v1, 2.0) + 5e-3 * pow(v2, 2.0);
    double alive = e->version == 4 ? e->healthy_reward : e->healthy_reward * (double)!term;
    *reward = alive - dist_penalty - vel_penalty;
    *terminated = term || e->s.unstable;
    e->s.info[RLC__MJI_REWARD_SURVIVE] = alive;
    e->s.info[RLC__MJI_DISTANCE_PENALTY] = -dist_penalty;
    e->s.info[RLC__MJI_VELOCITY_PENALTY] = -vel_penalty;
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void set_vector(void *self, const double *v) {
    rlc__mj_set_vector_with(self, v, rebuild);
}

#define DEF(NAME, INIT)                                                                            \
    {                                                                                              \
        .name = NAME, .summary = "balance two stacked poles on a cart (Gymnasium MuJoCo)",         \
        .size = sizeof(rlc__mj_env), .state_offset = offsetof(rlc__mj_env, s),                     \
        .state_size = RLC__MJ_STATE_SIZE(MAX_OBS), .state_dim = STATE_DIM,                         \
        .state_names = "slider,hinge,hinge2,slider_vel,hinge_vel,hinge2_vel", .nparams = NPARAMS,  \
        .params = PARAMS, .init = INIT, .reset = reset, .step = step, .observe = rlc__mj_observe,  \
        .get_vector = rlc__mj_get_vector, .set_vector = set_vector, .render = rlc__mj_render,      \
        .fini = rlc__mj_fini, .set_string = rlc__mj_set_string, .step_status = rlc__mj_step_status \
    }

const rlc__env_def rlc__inverted_double_pendulum_v4_def = DEF("InvertedDoublePendulum-v4", init_v4);
const rlc__env_def rlc__inverted_double_pendulum_v5_def = DEF("InvertedDoublePendulum-v5", init_v5);
