/* InvertedPendulum-v4/v5: Gymnasium's cart-pole on a rail in MuJoCo; reward 1 per step (v5: 0 on
 * the terminating step), terminates when the pole leaves |angle| <= 0.2 or the state diverges. */
#include <string.h>

#include "env/mujoco/mujoco_impl.h"

enum { P_NOISE, P_SKIP, P_COMMON, NPARAMS = P_COMMON + RLC__MJ_NCOMMON };

static const rlc_env_param PARAMS[NPARAMS] = {
    {"reset_noise_scale", RLC_PARAM_REAL, 0.01, 0, INFINITY, 0,
     "qpos and qvel noise U(-s, s) at reset"},
    {"frame_skip", RLC_PARAM_INT, 2, 1, 1000, 0, "physics steps (of 0.02 s) per env step"},
    RLC__MJ_COMMON_PARAMS,
};

#define STATE_DIM 4
#define ACT_DIM 1
#define MAX_OBS 4

static void rebuild(rlc__mj_env *e) {
    rlc__mj_obs_qpos_qvel(e, e->s.obs, 0, 0);
}

static rlc_status init(rlc__mj_env *e, int version, const double *v, rlc_space *obs,
                       rlc_space *act) {
    e->version = version;
    e->noise = v[P_NOISE];
    rlc_status st =
        rlc__mj_open(e, "inverted_pendulum.xml", (int)v[P_SKIP], v + P_COMMON, STATE_DIM, ACT_DIM);
    if (st) return st;
    e->obs_dim = e->nq + e->nv;
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
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated) {
    rlc__mj_env *e = self;
    (void)rng;
    rlc__mj_simulate(e, action);
    rebuild(e);
    int term = 0;
    for (int i = 0; i < e->obs_dim; i++)
        if (!isfinite(e->s.obs[i])) term = 1;
    if (fabs(e->s.obs[1]) > 0.2) term = 1;
    *terminated = term || e->s.unstable;
    *reward = e->version == 4 ? 1.0 : (double)!term;
    if (e->version == 5) e->s.info[RLC__MJI_REWARD_SURVIVE] = *reward;
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

static void set_vector(void *self, const double *v) {
    rlc__mj_set_vector_with(self, v, rebuild);
}

#define DEF(NAME, INIT)                                                                            \
    {                                                                                              \
        .name = NAME, .summary = "balance a pole on a cart on a rail (Gymnasium MuJoCo)",          \
        .size = sizeof(rlc__mj_env), .state_offset = offsetof(rlc__mj_env, s),                     \
        .state_size = RLC__MJ_STATE_SIZE(MAX_OBS), .state_dim = STATE_DIM,                         \
        .state_names = "slider,hinge,slider_vel,hinge_vel", .nparams = NPARAMS, .params = PARAMS,  \
        .init = INIT, .reset = reset, .step = step, .observe = rlc__mj_observe,                    \
        .get_vector = rlc__mj_get_vector, .set_vector = set_vector, .render = rlc__mj_render,      \
        .fini = rlc__mj_fini, .set_string = rlc__mj_set_string, .step_status = rlc__mj_step_status \
    }

const rlc__env_def rlc__inverted_pendulum_v4_def = DEF("InvertedPendulum-v4", init_v4);
const rlc__env_def rlc__inverted_pendulum_v5_def = DEF("InvertedPendulum-v5", init_v5);
