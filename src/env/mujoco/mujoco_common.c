/* What every MuJoCo env shares: finding and loading the model file, mirroring mjData's evolving
 * fields in the env struct, Gymnasium's MujocoEnv step/reset/set_state, NumPy's summation order,
 * and the test hooks. Without RLC_HAVE_MUJOCO it builds to stubs whose init fails cleanly. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env/mujoco/mujoco_impl.h"

#ifdef RLC_HAVE_MUJOCO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <mujoco/mujoco.h>
#pragma GCC diagnostic pop
#endif

/* ---------------------------------------------------------------------------------------
 * Finding the model file
 * ------------------------------------------------------------------------------------- */

static int readable(const char *path) {
    return access(path, R_OK) == 0;
}

rlc_status rlc__mj_find_xml(const char *override, const char *file, char *out, size_t cap) {
    if (override && *override) {
        if (!readable(override))
            return rlc_error(RLC_ERR_NOT_FOUND, "MuJoCo model file '%s' not found", override);
        if ((size_t)snprintf(out, cap, "%s", override) >= cap)
            return rlc_error(RLC_ERR_INVALID, "MuJoCo model path too long: %s", override);
        return RLC_OK;
    }
    char rel[512];
    if ((size_t)snprintf(rel, sizeof rel, "mujoco/%s", file) >= sizeof rel)
        return rlc_error(RLC_ERR_INVALID, "MuJoCo model name too long: %s", file);
    if (rlc_data_find(rel, out, cap) != RLC_OK)
        return rlc_error(RLC_ERR_NOT_FOUND, "MuJoCo model file '%s' not found: %s", file,
                         rlc_last_error());
    return RLC_OK;
}

rlc_status rlc__mj_set_xml(void *self, const char *path) {
    rlc__mj_env *e = self;
    if (!path) path = "";
    if (strlen(path) >= sizeof e->xml_path)
        return rlc_error(RLC_ERR_INVALID, "MuJoCo model path too long (%zu bytes)", strlen(path));
    memcpy(e->xml_path, path, strlen(path) + 1);
    return RLC_OK;
}

rlc_status rlc__mj_set_string(void *self, int param, const char *value) {
    (void)param; /* `xml` is the only string kwarg */
    return rlc__mj_set_xml(self, value);
}

/* ---------------------------------------------------------------------------------------
 * NumPy's summation order (numpy/core/src/umath/loops_utils.h.src, pairwise_sum)
 * ------------------------------------------------------------------------------------- */

static float pairwise_f32(const float *a, int n) {
    if (n < 8) {
        float res = 0.0f;
        for (int i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        float r[8];
        int i;
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - n % 8; i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    int n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_f32(a, n2) + pairwise_f32(a + n2, n - n2);
}

static double pairwise_f64(const double *a, int n) {
    if (n < 8) {
        double res = 0.0;
        for (int i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        int i;
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - n % 8; i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    int n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_f64(a, n2) + pairwise_f64(a + n2, n - n2);
}

float rlc__mj_sumsq_f32(const float *a, int n) {
    float sq[RLC__MJ_MAXU];
    if (n > RLC__MJ_MAXU) n = RLC__MJ_MAXU;
    for (int i = 0; i < n; i++)
        sq[i] = a[i] * a[i];
    return pairwise_f32(sq, n);
}

double rlc__mj_sum_f64(const double *x, int n) {
    return pairwise_f64(x, n);
}

float rlc__mj_ctrl_cost(double w, const float *a, int n) {
    /* NumPy 2 (NEP 50): python float * float32 is float32, the weight rounded first. */
    return (float)w * rlc__mj_sumsq_f32(a, n);
}

/* ---------------------------------------------------------------------------------------
 * Observations, info, state vectors
 * ------------------------------------------------------------------------------------- */

int rlc__mj_obs_qpos_qvel(const rlc__mj_env *e, double *obs, int skip, double clip) {
    int k = 0;
    for (int i = skip; i < e->nq; i++)
        obs[k++] = e->s.qpos[i];
    for (int i = 0; i < e->nv; i++)
        obs[k++] = clip > 0 ? rlc__mj_clip(e->s.qvel[i], -clip, clip) : e->s.qvel[i];
    return k;
}

void rlc__mj_info_clear(rlc__mj_env *e) {
    for (int i = 0; i < RLC__MJI_COUNT; i++)
        e->s.info[i] = NAN;
}

void rlc__mj_observe(const void *self, void *obs) {
    const rlc__mj_env *e = self;
    memcpy(obs, e->s.obs, (size_t)e->obs_dim * sizeof(double));
}

void rlc__mj_get_vector(const void *self, double *v) {
    const rlc__mj_env *e = self;
    memcpy(v, e->s.qpos, (size_t)e->nq * sizeof(double));
    memcpy(v + e->nq, e->s.qvel, (size_t)e->nv * sizeof(double));
}

void rlc__mj_set_vector_with(rlc__mj_env *e, const double *v, void (*rebuild)(rlc__mj_env *e)) {
    /* Gymnasium's set_state runs mj_forward, which does not refresh cfrc_ext: the obs keeps the
     * contact forces the last step left. */
    double tail[RLC__MJ_MAXBODY * 6];
    int nt = e->cfrc_tail, off = e->obs_dim - nt;
    memcpy(tail, e->s.obs + off, (size_t)nt * sizeof(double));
    rlc__mj_set_qpos_qvel(e, v, v + e->nq);
    rebuild(e);
    memcpy(e->s.obs + off, tail, (size_t)nt * sizeof(double));
}

/* ---------------------------------------------------------------------------------------
 * Physics
 * ------------------------------------------------------------------------------------- */

#ifdef RLC_HAVE_MUJOCO

#define RLC__MJ_UNLIKELY(x) __builtin_expect(!!(x), 0)

static pthread_mutex_t g_load_lock = PTHREAD_MUTEX_INITIALIZER;

/* MuJoCo's default warning handler prints and appends to MUJOCO_LOG.TXT in the working
 * directory; the counts stay in mjData.warning, so rlc drops the text (unless the application
 * installed its own handler). */
static void quiet_warning(const char *msg) {
    (void)msg;
}

int rlc__mujoco_available(void) {
    return 1;
}

/* mjData <- the mirror (the fields that determine the future). */
static void sync_in(rlc__mj_env *e) {
    mjData *d = e->data;
    d->time = e->s.time;
    memcpy(d->qpos, e->s.qpos, (size_t)e->nq * sizeof(double));
    memcpy(d->qvel, e->s.qvel, (size_t)e->nv * sizeof(double));
    memcpy(d->qacc_warmstart, e->s.qacc_warmstart, (size_t)e->nv * sizeof(double));
    memcpy(d->act, e->s.act, (size_t)e->na * sizeof(double));
    memcpy(d->ctrl, e->s.ctrl, (size_t)e->nu * sizeof(double));
}

/* The mirror <- mjData. */
static void sync_out(rlc__mj_env *e) {
    const mjData *d = e->data;
    e->s.time = d->time;
    memcpy(e->s.qpos, d->qpos, (size_t)e->nq * sizeof(double));
    memcpy(e->s.qvel, d->qvel, (size_t)e->nv * sizeof(double));
    memcpy(e->s.qacc_warmstart, d->qacc_warmstart, (size_t)e->nv * sizeof(double));
    memcpy(e->s.act, d->act, (size_t)e->na * sizeof(double));
    memcpy(e->s.ctrl, d->ctrl, (size_t)e->nu * sizeof(double));
}

rlc_status rlc__mj_open(rlc__mj_env *e, const char *xml_file, int frame_skip, const double *common,
                        int state_dim, int act_dim) {
    char path[4096], err[1024] = "";
    rlc_status st =
        rlc__mj_find_xml(e->xml_path[0] ? e->xml_path : NULL, xml_file, path, sizeof path);
    if (st) return st;
    pthread_mutex_lock(&g_load_lock);
    if (!mju_user_warning) mju_user_warning = quiet_warning;
    mjModel *m = mj_loadXML(path, NULL, err, (int)sizeof err);
    pthread_mutex_unlock(&g_load_lock);
    if (!m) {
        /* MuJoCo's message spans lines ("XML Error: ...\nElement 'geom', line 3\n") */
        size_t n = strlen(err);
        while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
            err[--n] = 0;
        for (char *c = err; *c; c++)
            if (*c == '\n') *c = ';';
        return rlc_error(RLC_ERR_FORMAT, "cannot load MuJoCo model %s: %s", path, err);
    }
    e->model = m;
    if (m->nq > RLC__MJ_MAXQ || m->nv > RLC__MJ_MAXV || m->nu > RLC__MJ_MAXU ||
        m->na > RLC__MJ_MAXA || m->nbody > RLC__MJ_MAXBODY)
        return rlc_error(RLC_ERR_FORMAT,
                         "MuJoCo model %s is too large for rlc (nq %d, nv %d, nu %d, na %d, nbody "
                         "%d; limits %d, %d, %d, %d, %d)",
                         path, m->nq, m->nv, m->nu, m->na, m->nbody, RLC__MJ_MAXQ, RLC__MJ_MAXV,
                         RLC__MJ_MAXU, RLC__MJ_MAXA, RLC__MJ_MAXBODY);
    if (m->nq + m->nv != state_dim)
        return rlc_error(
            RLC_ERR_FORMAT,
            "MuJoCo model %s has nq + nv = %d + %d = %d; this env's state vector (qpos, "
            "qvel) has %d values",
            path, m->nq, m->nv, m->nq + m->nv, state_dim);
    if (m->nu != act_dim)
        return rlc_error(RLC_ERR_FORMAT,
                         "MuJoCo model %s has %d actuator%s (nu); this env drives %d", path, m->nu,
                         m->nu == 1 ? "" : "s", act_dim);
    mjData *d = mj_makeData(m);
    if (!d) return rlc_error(RLC_ERR_NOMEM, "mj_makeData failed for %s", path);
    e->data = d;
    double mass_scale = common[0], friction_scale = common[1], gravity = common[2];
    m->opt.gravity[2] = gravity;
    if (friction_scale != 1.0)
        for (int i = 0; i < 3 * m->ngeom; i++)
            m->geom_friction[i] *= friction_scale;
    if (mass_scale != 1.0) {
        for (int b = 0; b < m->nbody; b++) {
            m->body_mass[b] *= mass_scale;
            for (int k = 0; k < 3; k++)
                m->body_inertia[3 * b + k] *= mass_scale;
        }
        mj_setConst(m, d); /* subtree masses, invweights, actuator_acc0, ... */
        mj_resetData(m, d);
    }
    e->nq = m->nq;
    e->nv = m->nv;
    e->nu = m->nu;
    e->na = m->na;
    e->nbody = m->nbody;
    e->nsite = m->nsite;
    e->frame_skip = frame_skip;
    e->dt = m->opt.timestep * frame_skip;
    memcpy(e->init_qpos, m->qpos0, (size_t)m->nq * sizeof(double));
    sync_out(e);
    rlc__mj_info_clear(e);
    return RLC_OK;
}

void rlc__mj_fini(void *self) {
    rlc__mj_env *e = self;
    if (e->data) mj_deleteData(e->data);
    if (e->model) mj_deleteModel(e->model);
    e->data = e->model = NULL;
}

rlc_status rlc__mj_spaces(rlc__mj_env *e, int maxobs, rlc_space *obs, rlc_space *act) {
    const mjModel *m = e->model;
    if (e->obs_dim > maxobs)
        return rlc_error(RLC_ERR_FORMAT, "observation of %d values exceeds this env's %d",
                         e->obs_dim, maxobs);
    double lo[RLC__MJ_MAXU], hi[RLC__MJ_MAXU];
    for (int i = 0; i < e->nu; i++) {
        lo[i] = (float)m->actuator_ctrlrange[2 * i];
        hi[i] = (float)m->actuator_ctrlrange[2 * i + 1];
    }
    rlc_status st = rlc__space_box(act, RLC_SPACE_FLOAT32, e->nu, lo, hi);
    if (st) return st;
    return rlc__space_box_uniform(obs, RLC_SPACE_FLOAT64, e->obs_dim, -INFINITY, INFINITY);
}

void rlc__mj_reset_to(rlc__mj_env *e, const double *qpos, const double *qvel) {
    mjData *d = e->data;
    mj_resetData(e->model, d);
    memcpy(d->qpos, qpos, (size_t)e->nq * sizeof(double));
    memcpy(d->qvel, qvel, (size_t)e->nv * sizeof(double));
    mj_forward(e->model, d);
    sync_out(e);
    e->s.unstable = 0;
}

void rlc__mj_set_qpos_qvel(rlc__mj_env *e, const double *qpos, const double *qvel) {
    mjData *d = e->data;
    sync_in(e);
    memcpy(d->qpos, qpos, (size_t)e->nq * sizeof(double));
    memcpy(d->qvel, qvel, (size_t)e->nv * sizeof(double));
    mj_forward(e->model, d);
    sync_out(e);
    e->s.unstable = 0;
}

void rlc__mj_simulate(rlc__mj_env *e, const float *action) {
    const mjModel *m = e->model;
    mjData *d = e->data;
    sync_in(e);
    for (int i = 0; i < e->nu; i++)
        d->ctrl[i] = action[i];
    /* MuJoCo's bad-state checks (mj_checkPos/Vel/Acc) warn and reset the data; rlc counts the
     * warnings per step so the reset cannot pass unnoticed. */
    for (int w = mjWARN_BADQPOS; w <= mjWARN_BADQACC; w++)
        d->warning[w].number = 0;
    for (int k = 0; k < e->frame_skip; k++) {
        double t = d->time;
        mj_step(m, d);
        for (int w = mjWARN_BADQPOS; w <= mjWARN_BADQACC; w++)
            if (RLC__MJ_UNLIKELY(d->warning[w].number > 0)) {
                e->s.unstable = 1 + w;
                e->s.unstable_info = d->warning[w].lastinfo;
                e->s.unstable_time = t;
                sync_in(e); /* back to the state before the step */
                mj_forward(m, d);
                mj_rnePostConstraint(m, d);
                return;
            }
    }
    /* cfrc_ext and friends are only computed on request (MuJoCo >= 2.0). */
    mj_rnePostConstraint(m, d);
    sync_out(e);
}

rlc_status rlc__mj_step_status(const void *self, const char *id) {
    const rlc__mj_env *e = self;
    if (!e->s.unstable) return RLC_OK;
    return rlc_error(RLC_ERR_RANGE,
                     "%s: MuJoCo's simulation became unstable at time %.4f (MuJoCo: %s); the step "
                     "was not applied and the episode is over (reset the env). Extreme actions, "
                     "kwargs (gravity, body_mass_scale, frame_skip) or a set state can cause this",
                     id, e->s.unstable_time,
                     mju_warningText(e->s.unstable - 1, e->s.unstable_info));
}

const double *rlc__mj_xpos(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->xpos;
}
const double *rlc__mj_xipos(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->xipos;
}
const double *rlc__mj_site_xpos(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->site_xpos;
}
const double *rlc__mj_cinert(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->cinert;
}
const double *rlc__mj_cvel(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->cvel;
}
const double *rlc__mj_cfrc_ext(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->cfrc_ext;
}
const double *rlc__mj_qfrc_actuator(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->qfrc_actuator;
}
const double *rlc__mj_qfrc_constraint(const rlc__mj_env *e) {
    return ((const mjData *)e->data)->qfrc_constraint;
}
const double *rlc__mj_body_mass(const rlc__mj_env *e) {
    return ((const mjModel *)e->model)->body_mass;
}
int rlc__mj_body_id(const rlc__mj_env *e, const char *name) {
    return mj_name2id(e->model, mjOBJ_BODY, name);
}

#else /* !RLC_HAVE_MUJOCO: the envs are registered but cannot be created. */

int rlc__mujoco_available(void) {
    return 0;
}

rlc_status rlc__mj_open(rlc__mj_env *e, const char *xml_file, int frame_skip, const double *common,
                        int state_dim, int act_dim) {
    (void)e, (void)frame_skip, (void)common, (void)state_dim, (void)act_dim;
    return rlc_error(RLC_ERR_UNSUPPORTED,
                     "MuJoCo envs are not available: rlc was built without libmujoco (install "
                     "libmujoco-dev and rebuild; model %s)",
                     xml_file);
}

void rlc__mj_fini(void *self) {
    (void)self;
}

rlc_status rlc__mj_spaces(rlc__mj_env *e, int maxobs, rlc_space *obs, rlc_space *act) {
    (void)e, (void)maxobs, (void)obs, (void)act;
    return RLC_ERR_UNSUPPORTED;
}

void rlc__mj_reset_to(rlc__mj_env *e, const double *qpos, const double *qvel) {
    (void)e, (void)qpos, (void)qvel;
}
void rlc__mj_set_qpos_qvel(rlc__mj_env *e, const double *qpos, const double *qvel) {
    (void)e, (void)qpos, (void)qvel;
}
void rlc__mj_simulate(rlc__mj_env *e, const float *action) {
    (void)e, (void)action;
}
rlc_status rlc__mj_step_status(const void *self, const char *id) {
    (void)self, (void)id;
    return RLC_OK;
}

static const double g_zeros[RLC__MJ_MAXBODY * 10];
const double *rlc__mj_xpos(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_xipos(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_site_xpos(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_cinert(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_cvel(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_cfrc_ext(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_qfrc_actuator(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_qfrc_constraint(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
const double *rlc__mj_body_mass(const rlc__mj_env *e) {
    (void)e;
    return g_zeros;
}
int rlc__mj_body_id(const rlc__mj_env *e, const char *name) {
    (void)e, (void)name;
    return -1;
}

#endif

/* ---------------------------------------------------------------------------------------
 * Test hooks and info
 * ------------------------------------------------------------------------------------- */

int rlc__mujoco_is(const rlc_env *env) {
    return env && env->def && env->def->fini == rlc__mj_fini;
}

rlc_status rlc__mujoco_get_physics(const rlc_env *env, double *qpos, double *qvel, double *qacc_ws,
                                   double *time) {
    if (!rlc__mujoco_is(env)) return rlc_error(RLC_ERR_INVALID, "not a MuJoCo env");
    const rlc__mj_env *e = env->self;
    if (qpos) memcpy(qpos, e->s.qpos, (size_t)e->nq * sizeof(double));
    if (qvel) memcpy(qvel, e->s.qvel, (size_t)e->nv * sizeof(double));
    if (qacc_ws) memcpy(qacc_ws, e->s.qacc_warmstart, (size_t)e->nv * sizeof(double));
    if (time) *time = e->s.time;
    return RLC_OK;
}

rlc_status rlc__mujoco_set_physics(rlc_env *env, const double *qpos, const double *qvel,
                                   const double *qacc_ws, double time) {
    if (!rlc__mujoco_is(env)) return rlc_error(RLC_ERR_INVALID, "not a MuJoCo env");
    rlc__mj_env *e = env->self;
    memcpy(e->s.qpos, qpos, (size_t)e->nq * sizeof(double));
    memcpy(e->s.qvel, qvel, (size_t)e->nv * sizeof(double));
    memcpy(e->s.qacc_warmstart, qacc_ws, (size_t)e->nv * sizeof(double));
    e->s.time = time;
    return RLC_OK;
}

static const char *const INFO_KEYS[RLC__MJI_COUNT] = {
    "x_position",      "y_position",     "distance_from_origin", "z_distance_from_origin",
    "x_velocity",      "y_velocity",     "reward_forward",       "reward_ctrl",
    "reward_contact",  "reward_survive", "reward_dist",          "distance_penalty",
    "velocity_penalty"};

/* Gymnasium's v4 names of the same terms. */
static const struct {
    const char *key;
    int slot;
} INFO_ALIASES[] = {
    {"reward_run", RLC__MJI_REWARD_FORWARD},    {"forward_reward", RLC__MJI_REWARD_FORWARD},
    {"reward_fwd", RLC__MJI_REWARD_FORWARD},    {"reward_linvel", RLC__MJI_REWARD_FORWARD},
    {"reward_quadctrl", RLC__MJI_REWARD_CTRL},  {"reward_alive", RLC__MJI_REWARD_SURVIVE},
    {"reward_impact", RLC__MJI_REWARD_CONTACT},
};

rlc_status rlc__mujoco_info(const rlc_env *env, const char *key, double *value) {
    if (!rlc__mujoco_is(env) || !key || !value)
        return rlc_error(RLC_ERR_INVALID, "rlc__mujoco_info: not a MuJoCo env or NULL argument");
    const rlc__mj_env *e = env->self;
    int slot = -1;
    for (int i = 0; i < RLC__MJI_COUNT; i++)
        if (!strcmp(INFO_KEYS[i], key)) slot = i;
    for (size_t i = 0; i < sizeof INFO_ALIASES / sizeof INFO_ALIASES[0]; i++)
        if (!strcmp(INFO_ALIASES[i].key, key)) slot = INFO_ALIASES[i].slot;
    if (slot < 0 || isnan(e->s.info[slot]))
        return rlc_error(RLC_ERR_NOT_FOUND, "%s: no info term '%s'", env->spec->id, key);
    *value = e->s.info[slot];
    return RLC_OK;
}
