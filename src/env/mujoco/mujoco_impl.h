/* MuJoCo locomotion envs (Gymnasium's MujocoEnv family on libmujoco): the shared env struct, the
 * physics helpers every env file uses, and the internal hooks the tests and registry need. */
#ifndef RLC_ENV_MUJOCO_IMPL_H
#define RLC_ENV_MUJOCO_IMPL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "env/env_impl.h"

/* Fixed maxima of the inline state arrays (snapshots copy them as plain bytes). The bundled
 * models need at most nq 24, nv 23, nu 17, nbody 14 and 378 observation values. */
#define RLC__MJ_MAXQ 32
#define RLC__MJ_MAXV 32
#define RLC__MJ_MAXU 24
#define RLC__MJ_MAXA 8
#define RLC__MJ_MAXBODY 32
#define RLC__MJ_MAXOBS 400

/* Slots of the info terms an env computes (Gymnasium's info dict); NaN = not provided. */
enum {
    RLC__MJI_X_POSITION = 0,
    RLC__MJI_Y_POSITION,
    RLC__MJI_DISTANCE_FROM_ORIGIN,
    RLC__MJI_Z_DISTANCE_FROM_ORIGIN,
    RLC__MJI_X_VELOCITY,
    RLC__MJI_Y_VELOCITY,
    RLC__MJI_REWARD_FORWARD,
    RLC__MJI_REWARD_CTRL,
    RLC__MJI_REWARD_CONTACT,
    RLC__MJI_REWARD_SURVIVE,
    RLC__MJI_REWARD_DIST,
    RLC__MJI_DISTANCE_PENALTY,
    RLC__MJI_VELOCITY_PENALTY,
    RLC__MJI_COUNT
};

/* The evolving part of an env, copied by byte snapshots. It mirrors the mjData fields that
 * determine the future (qpos, qvel, the solver's warm start, act, ctrl, time), so restoring a
 * snapshot and stepping reproduces the original run bit for bit. The observation is kept
 * because some terms (cinert, cvel, cfrc_ext) are left by the last substep and cannot be
 * recomputed from qpos/qvel. `obs` must stay last: defs copy only the part their obs uses. */
typedef struct rlc__mj_state {
    double time;
    double qpos[RLC__MJ_MAXQ];
    double qvel[RLC__MJ_MAXV];
    double qacc_warmstart[RLC__MJ_MAXV];
    double act[RLC__MJ_MAXA];
    double ctrl[RLC__MJ_MAXU];
    /* Quantities Gymnasium reads from mjData at the start of the next step, as the last
     * step or reset left them (Ant: torso xpos x,y; Humanoid: mass centre x,y; Reacher-v4:
     * fingertip - target). */
    double pre[4];
    double info[RLC__MJI_COUNT];
    /* Set when the last step hit MuJoCo's bad-state check (NaN, inf or huge qpos, qvel or
     * qacc, after which MuJoCo resets the data): 1 + the mjtWarning, its info (the DOF) and the
     * simulation time. The step is then not applied (the state stays the one before it), the
     * env reports terminated and rlc_env_step returns RLC_ERR_RANGE. Cleared by reset and
     * set_state. */
    double unstable_time;
    int32_t unstable, unstable_info;
    double obs[RLC__MJ_MAXOBS];
} rlc__mj_state;

/* Bytes of the snapshot of an env whose observation has at most `maxobs` values. */
#define RLC__MJ_STATE_SIZE(maxobs)                                                                 \
    (offsetof(rlc__mj_state, obs) + (size_t)(maxobs) * sizeof(double))

/* One MuJoCo env of any family. The first block is constant after init; `s` evolves. */
typedef struct rlc__mj_env {
    void *model, *data; /* mjModel *, mjData * (owned; freed by rlc__mj_fini) */
    int version;        /* Gymnasium version: 4 or 5 */
    int nq, nv, nu, na, nbody, nsite, frame_skip, obs_dim;
    int cfrc_tail; /* trailing obs values taken from cfrc_ext (stale after set_state) */
    double dt;     /* opt.timestep * frame_skip */
    double init_qpos[RLC__MJ_MAXQ];
    /* reward, health and reset parameters (Gymnasium's constructor kwargs) */
    double forward_w, ctrl_w, contact_w, healthy_reward, noise;
    double dist_w;                 /* Reacher-v5 reward_dist_weight */
    double state_lo, state_hi;     /* Hopper healthy_state_range */
    double z_lo, z_hi;             /* healthy_z_range */
    double angle_lo, angle_hi;     /* healthy_angle_range */
    double contact_lo, contact_hi; /* Ant contact_force_range, Humanoid contact_cost_range */
    int terminate_unhealthy, exclude_pos, use_contact;
    int inc_cinert, inc_cvel, inc_qfrc, inc_cfrc;
    int body_a, body_b; /* Ant/v5 main body; Reacher fingertip (a) and target (b) */
    /* The `xml=PATH` kwarg (Gymnasium's xml_file): a model file used instead of the bundled one.
     * Set by rlc__mj_set_xml before init; the model must keep the env's nq + nv. */
    char xml_path[1024];
    rlc__mj_state s;
} rlc__mj_env;

/* Model-wide contextual kwargs every MuJoCo env takes after its own (applied to the compiled
 * model; the defaults leave the model untouched). */
#define RLC__MJ_NCOMMON 4
// clang-format off
#define RLC__MJ_COMMON_PARAMS                                                                      \
    {"body_mass_scale", RLC_PARAM_REAL, 1.0, 0, 1e6, 1,                                            \
     "multiplies every body's mass and inertia (contextual variants)"},                            \
    {"friction_scale", RLC_PARAM_REAL, 1.0, 0, 1e6, 0,                                             \
     "multiplies every geom's friction coefficients"},                                             \
    {"gravity", RLC_PARAM_REAL, -9.81, -1e6, 1e6, 0,                                               \
     "z component of gravity (m/s^2); the bundled models use -9.81"},                              \
    {"xml", RLC_PARAM_STRING, 0, 0, 0, 0,                                                          \
     "your own MJCF model file instead of the bundled one (same nq, nv, nu)"}
// clang-format on

/* Opens the model for `e`: finds `xml_file` (see rlc__mj_find_xml; e->xml_path overrides it),
 * loads it, applies the common kwargs `common[RLC__MJ_NCOMMON]`, and fills the sizes, dt (with
 * `frame_skip`) and init_qpos. Checks that the model has nq + nv == state_dim and nu == act_dim
 * (this env's layout) and that the sizes fit the inline arrays. RLC_ERR_UNSUPPORTED when rlc was
 * built without MuJoCo; RLC_ERR_NOT_FOUND / RLC_ERR_FORMAT for a missing or bad XML (MuJoCo's
 * message included) or a model of the wrong shape. */
rlc_status rlc__mj_open(rlc__mj_env *e, const char *xml_file, int frame_skip, const double *common,
                        int state_dim, int act_dim);
/* Stores a model-file override for the next rlc__mj_open (the `xml=PATH` kwarg).
 * RLC_ERR_INVALID if the path is longer than 1023 bytes. */
rlc_status rlc__mj_set_xml(void *self, const char *path);
/* The def's set_string: the only string kwarg of the MuJoCo envs is `xml`. */
rlc_status rlc__mj_set_string(void *self, int param, const char *value);
/* The def's step_status: RLC_ERR_RANGE with MuJoCo's warning text when the last step found the
 * simulation unstable (see rlc__mj_state.unstable). */
rlc_status rlc__mj_step_status(const void *self, const char *id);
/* Fills the spaces: obs Box float64 [obs_dim] unbounded, action Box float32 from the actuators'
 * ctrlrange (as Gymnasium's _set_action_space). Checks obs_dim <= `maxobs`. */
rlc_status rlc__mj_spaces(rlc__mj_env *e, int maxobs, rlc_space *obs, rlc_space *act);
/* Frees the model and data (the def's fini). */
void rlc__mj_fini(void *self);

/* Finds a model file: `override` if non-NULL (must exist), else `file` in $RLC_DATA_DIR/mujoco,
 * the build-time RLC_DATA_DIR/mujoco, ./data/mujoco, /usr/local/share/rlc/mujoco and
 * /usr/share/rlc/mujoco, in that order. Writes the path to out[cap]. RLC_ERR_NOT_FOUND names
 * every path tried. */
rlc_status rlc__mj_find_xml(const char *override, const char *file, char *out, size_t cap);

/* Gymnasium's reset: mj_resetData, qpos/qvel = the given values, mj_forward; the mirror `s`
 * is refreshed. */
void rlc__mj_reset_to(rlc__mj_env *e, const double *qpos, const double *qvel);
/* Gymnasium's set_state on the current data (time, warm start and ctrl kept), then mj_forward. */
void rlc__mj_set_qpos_qvel(rlc__mj_env *e, const double *qpos, const double *qvel);
/* ctrl = action (float32 widened), mj_step x frame_skip, mj_rnePostConstraint. If a substep
 * trips MuJoCo's bad-state check, the step is undone (s unchanged but s.unstable set; mjData
 * back at that state, forward-computed). */
void rlc__mj_simulate(rlc__mj_env *e, const float *action);

/* Read-only views of mjData/mjModel arrays (valid until the next physics call). */
const double *rlc__mj_xpos(const rlc__mj_env *e);            /* [nbody][3] */
const double *rlc__mj_xipos(const rlc__mj_env *e);           /* [nbody][3] */
const double *rlc__mj_site_xpos(const rlc__mj_env *e);       /* [nsite][3] */
const double *rlc__mj_cinert(const rlc__mj_env *e);          /* [nbody][10] */
const double *rlc__mj_cvel(const rlc__mj_env *e);            /* [nbody][6] */
const double *rlc__mj_cfrc_ext(const rlc__mj_env *e);        /* [nbody][6] */
const double *rlc__mj_qfrc_actuator(const rlc__mj_env *e);   /* [nv] */
const double *rlc__mj_qfrc_constraint(const rlc__mj_env *e); /* [nv] */
const double *rlc__mj_body_mass(const rlc__mj_env *e);       /* [nbody] */
/* Body id by name, -1 if absent. */
int rlc__mj_body_id(const rlc__mj_env *e, const char *name);

/* NumPy's float32 sum of squares np.sum(np.square(a)) (pairwise, 8 accumulators from n >= 8),
 * and the float64 pairwise sum np.sum(x). */
float rlc__mj_sumsq_f32(const float *a, int n);
double rlc__mj_sum_f64(const double *x, int n);
/* NumPy's ctrl_cost `w * np.sum(np.square(action))` under NumPy 2: float32. */
float rlc__mj_ctrl_cost(double w, const float *a, int n);
/* np.clip for float64 (NaN propagates). */
static inline double rlc__mj_clip(double x, double lo, double hi) {
    return x < lo ? lo : x > hi ? hi : x;
}
/* Observation helpers: qpos[skip:], then qvel (clipped to +-clip when clip > 0). Returns the
 * number of values written. */
int rlc__mj_obs_qpos_qvel(const rlc__mj_env *e, double *obs, int skip, double clip);
/* Sets every info slot to NaN. */
void rlc__mj_info_clear(rlc__mj_env *e);

/* Shared vtable entries: observe copies s.obs; the state vector is qpos then qvel. set_vector
 * calls `rebuild` (the env's obs+pre refresh after mj_forward). */
void rlc__mj_observe(const void *self, void *obs);
void rlc__mj_get_vector(const void *self, double *v);
void rlc__mj_set_vector_with(rlc__mj_env *e, const double *v, void (*rebuild)(rlc__mj_env *e));

/* The renderer (mujoco_render.c, the def's render): the model's geoms at the current qpos
 * from the model's tracking camera (else MuJoCo's default free camera), z-buffered with Lambert
 * shading, planes checkered by their material's texture. RLC_ERR_NOMEM only. */
rlc_status rlc__mj_render(const void *self, uint8_t *rgb, int width, int height);
/* Test hooks of the renderer: the pixel coordinates (x right, y down; pixel (i, j) covers
 * [i, i+1) x [j, j+1)) where rlc__mj_render's camera for a width x height image projects the
 * world point `world`; and the current world position of the geom named `name`. */
rlc_status rlc__mj_project(const rlc_env *env, const double *world, int width, int height,
                           double *px, double *py);
rlc_status rlc__mj_geom_pos(const rlc_env *env, const char *name, double *xyz);

/* Test hooks: the physics of a MuJoCo env (qpos[nq], qvel[nv], qacc_warmstart[nv], time), read
 * or written without mj_forward, so a test can load a recorded MuJoCo state exactly; and the
 * info terms by Gymnasium key (v4 aliases accepted). RLC_ERR_INVALID for a non-MuJoCo env,
 * RLC_ERR_NOT_FOUND for a key this env does not provide. */
int rlc__mujoco_is(const rlc_env *env);
rlc_status rlc__mujoco_get_physics(const rlc_env *env, double *qpos, double *qvel, double *qacc_ws,
                                   double *time);
rlc_status rlc__mujoco_set_physics(rlc_env *env, const double *qpos, const double *qvel,
                                   const double *qacc_ws, double time);
rlc_status rlc__mujoco_info(const rlc_env *env, const char *key, double *value);
/* 1 when this build can run MuJoCo envs. */
int rlc__mujoco_available(void);

/* The env types (one def per Gymnasium version). */
extern const rlc__env_def rlc__half_cheetah_v4_def, rlc__half_cheetah_v5_def;
extern const rlc__env_def rlc__hopper_v4_def, rlc__hopper_v5_def;
extern const rlc__env_def rlc__walker2d_v4_def, rlc__walker2d_v5_def;
extern const rlc__env_def rlc__ant_v4_def, rlc__ant_v5_def;
extern const rlc__env_def rlc__inverted_pendulum_v4_def, rlc__inverted_pendulum_v5_def;
extern const rlc__env_def rlc__inverted_double_pendulum_v4_def,
    rlc__inverted_double_pendulum_v5_def;
extern const rlc__env_def rlc__reacher_v4_def, rlc__reacher_v5_def;
extern const rlc__env_def rlc__swimmer_v4_def, rlc__swimmer_v5_def;
extern const rlc__env_def rlc__humanoid_v4_def, rlc__humanoid_v5_def;

#endif
