/* QuadHover-v0 and QuadTrack-v0: a single Crazyflie-like quadrotor with RPM actions and the
 * Learning-to-Fly reward, hovering at a target or tracking a circle / figure eight. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "env/aero/aero_impl.h"

/* kwargs: QuadHover-v0 uses the first QUAD_NCOMMON, QuadTrack-v0 all (index = init's vals) */
static const rlc_env_param QUAD_PARAMS[] = {
    {"init_pos", RLC_PARAM_REAL, 0.5, 0, 10, 0, "start position offset: uniform +-m per axis"},
    {"init_vel", RLC_PARAM_REAL, 1.0, 0, 10, 0, "start velocity: uniform +-m/s per axis"},
    {"init_angle", RLC_PARAM_REAL, 0.5, 0, M_PI, 0, "start tilt: random axis, angle <= rad"},
    {"init_rate", RLC_PARAM_REAL, 1.0, 0, 30, 0, "start body rates: uniform +-rad/s"},
    {"target_z", RLC_PARAM_REAL, 1.0, 0, 100, 0, "target height (m); z < 0 terminates"},
    {"pos_bound", RLC_PARAM_REAL, 1.5, 0, 100, 1, "terminate when a position error exceeds"},
    {"vel_bound", RLC_PARAM_REAL, 10, 0, 100, 1, "terminate when |v| exceeds (m/s)"},
    {"quat_obs", RLC_PARAM_BOOL, 0, 0, 1, 0, "observe the quaternion (4) not the rotation (9)"},
    {"action_history", RLC_PARAM_BOOL, 0, 0, 1, 0, "append the previous action to the obs"},
    {"dt", RLC_PARAM_REAL, 0.01, 0, 0.1, 1, "integration step (s)"},
    {"motor_tau", RLC_PARAM_REAL, 0.03, 0, 1, 0, "motor time constant (s), 0 = instant"},
    {"dr", RLC_PARAM_REAL, 0, 0, 0.9, 0, "domain randomisation: +-fraction per parameter"},
    {"drag", RLC_PARAM_BOOL, 0, 0, 1, 0, "linear drag (cf2x rotor drag at hover RPM)"},
    {"ground_effect", RLC_PARAM_BOOL, 0, 0, 1, 0, "Cheeseman-Bennett ground effect"},
    {"r_const", RLC_PARAM_REAL, 1.0, -1e6, 1e6, 0, "reward constant"},
    {"w_pos", RLC_PARAM_REAL, 1.0, 0, 1e6, 0, "weight of |position error|^2"},
    {"w_ori", RLC_PARAM_REAL, 0.5, 0, 1e6, 0, "weight of 1 - q_w^2"},
    {"w_vel", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |v - v_ref|^2"},
    {"w_rate", RLC_PARAM_REAL, 0.005, 0, 1e6, 0, "weight of |omega|^2"},
    {"w_action", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "weight of |a - a_hover|^2"},
    {"r_scale", RLC_PARAM_REAL, 1.0, 0, 1e6, 0, "reward scale"},
    {"obs_noise", RLC_PARAM_REAL, 0, 0, 10, 0,
     "std of Gaussian noise on the observations returned by reset/step (not observe)"},
    {"r_min", RLC_PARAM_REAL, 0.0, -1e9, 1e9, 0,
     "floor of the reward before scaling (0: never negative, so crashing never pays)"},
    /* QuadTrack-v0 only */
    {"shape", RLC_PARAM_INT, 1, 0, 1, 0, "reference: 0 circle, 1 figure eight"},
    {"radius", RLC_PARAM_REAL, 0.5, 0, 10, 1, "reference size (m)"},
    {"period", RLC_PARAM_REAL, 6.0, 0, 1000, 1, "reference period (s)"},
};
#define QUAD_NCOMMON 23

#define QUAD_STATE_NAMES                                                                           \
    "x,y,z,vx,vy,vz,qw,qx,qy,qz,wx,wy,wz,rpm0,rpm1,rpm2,rpm3,mass,arm,ixx,iyy,izz,kf,km,"          \
    "motor_tau,max_rpm,t"
#define QUAD_VEC_DIM 27

typedef struct quad_env {
    rlc_quad_reward w; /* first member: rlc_quad_env_set_reward relies on it */
    rlc_quad_params base;
    double init_pos, init_vel, init_angle, init_rate, target[3], pos_bound, vel_bound, dr;
    double obs_noise;
    int quat_obs, history, track, shape;
    double radius, period;
    struct quad_env_state {
        rlc_quad_state s;
        rlc_quad_params p; /* in effect this episode (randomised) */
        double t;
        float prev[4];
    } st;
} quad_env;

static rlc_status quad_init_common(quad_env *e, const double *v, rlc_space *obs, rlc_space *act,
                                   int track) {
    rlc_quad_params_crazyflie(&e->base);
    e->init_pos = v[0];
    e->init_vel = v[1];
    e->init_angle = v[2];
    e->init_rate = v[3];
    e->target[0] = e->target[1] = 0;
    e->target[2] = v[4];
    e->pos_bound = v[5];
    e->vel_bound = v[6];
    e->quat_obs = v[7] != 0;
    e->history = v[8] != 0;
    e->base.dt = v[9];
    e->base.motor_tau = v[10];
    e->dr = v[11];
    if (v[12] != 0) { /* gym-pybullet-drones' cf2x rotor drag coefficients at hover RPM */
        double h4 = 4 * rlc_quad_hover_rpm(&e->base);
        e->base.drag[0] = e->base.drag[1] = 9.1785e-7 * h4;
        e->base.drag[2] = 10.311e-7 * h4;
    }
    e->base.ground_effect = v[13] != 0 ? 1.0 : 0.0;
    e->w = (rlc_quad_reward){v[14], v[15], v[16], v[17], v[18], v[19], v[20], v[22]};
    e->track = track;
    e->obs_noise = v[21];
    if (track) {
        e->shape = (int)v[23];
        e->radius = v[24];
        e->period = v[25];
    }
    int n = 3 + (e->quat_obs ? 4 : 9) + 6 + (e->history ? 4 : 0) + (track ? 6 : 0);
    rlc_status st = rlc__space_box_uniform(act, RLC_SPACE_FLOAT32, 4, -1, 1);
    if (!st) st = rlc__space_box_uniform(obs, RLC_SPACE_FLOAT32, n, -INFINITY, INFINITY);
    return st;
}

static rlc_status hover_init(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return quad_init_common(self, v, obs, act, 0);
}

static rlc_status track_init(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    return quad_init_common(self, v, obs, act, 1);
}

/* reference position and velocity at time t (hover: the fixed target) */
static void quad_ref(const quad_env *e, double t, double p[3], double v[3]) {
    p[0] = e->target[0];
    p[1] = e->target[1];
    p[2] = e->target[2];
    v[0] = v[1] = v[2] = 0;
    if (!e->track) return;
    double om = 2 * M_PI / e->period, a = om * t, R = e->radius;
    if (e->shape == 0) {
        p[0] += R * cos(a);
        p[1] += R * sin(a);
        v[0] = -R * om * sin(a);
        v[1] = R * om * cos(a);
    } else {
        p[0] += R * sin(a);
        p[1] += 0.5 * R * sin(2 * a);
        v[0] = R * om * cos(a);
        v[1] = R * om * cos(2 * a);
    }
}

static void quad_observe(const void *self, void *obs) {
    const quad_env *e = self;
    const rlc_quad_state *s = &e->st.s;
    float *o = obs;
    double rp[3], rv[3];
    quad_ref(e, e->st.t, rp, rv);
    int k = 0;
    for (int i = 0; i < 3; i++)
        o[k++] = (float)(s->pos[i] - rp[i]);
    if (e->quat_obs) {
        for (int i = 0; i < 4; i++)
            o[k++] = (float)s->quat[i];
    } else {
        double R[9];
        rlc_quad_quat_to_rot(s->quat, R);
        for (int i = 0; i < 9; i++)
            o[k++] = (float)R[i];
    }
    for (int i = 0; i < 3; i++)
        o[k++] = (float)s->vel[i];
    for (int i = 0; i < 3; i++)
        o[k++] = (float)s->omega[i];
    if (e->history)
        for (int i = 0; i < 4; i++)
            o[k++] = e->st.prev[i];
    if (e->track) {
        for (int i = 0; i < 3; i++)
            o[k++] = (float)(rp[i] - e->target[i]);
        for (int i = 0; i < 3; i++)
            o[k++] = (float)rv[i];
    }
}

/* sensor noise for the actor (L2F): the env's RNG, so seeded runs stay reproducible */
static void add_noise(const quad_env *e, rlc_rng *rng, void *obs) {
    if (e->obs_noise <= 0) return;
    float *o = obs;
    int64_t n = 3 + (e->quat_obs ? 4 : 9) + 6;
    for (int64_t i = 0; i < n; i++)
        o[i] += (float)(e->obs_noise * rlc_rng_normal(rng));
}

/* random rotation: uniform axis, angle uniform in [0, max] */
void rlc__quad_random_quat(rlc_rng *rng, double max_angle, double q[4]) {
    double ax[3], n = 0;
    do {
        for (int i = 0; i < 3; i++)
            ax[i] = rlc_rng_normal(rng);
        n = sqrt(ax[0] * ax[0] + ax[1] * ax[1] + ax[2] * ax[2]);
    } while (n < 1e-9);
    double ang = rlc_rng_uniform(rng, 0, max_angle), sh = sin(ang / 2);
    q[0] = cos(ang / 2);
    for (int i = 0; i < 3; i++)
        q[1 + i] = sh * ax[i] / n;
}

static void quad_reset(void *self, rlc_rng *rng, void *obs) {
    quad_env *e = self;
    if (e->dr > 0)
        rlc_quad_params_randomize(&e->base, e->dr, rng, &e->st.p);
    else
        e->st.p = e->base;
    e->st.t = 0;
    double rp[3], rv[3];
    quad_ref(e, 0, rp, rv);
    rlc_quad_state_hover(&e->st.p, rp, &e->st.s);
    for (int i = 0; i < 3; i++) {
        e->st.s.pos[i] += rlc_rng_uniform(rng, -e->init_pos, e->init_pos);
        e->st.s.vel[i] = rv[i] + rlc_rng_uniform(rng, -e->init_vel, e->init_vel);
    }
    rlc__quad_random_quat(rng, e->init_angle, e->st.s.quat);
    for (int i = 0; i < 3; i++)
        e->st.s.omega[i] = rlc_rng_uniform(rng, -e->init_rate, e->init_rate);
    float ah = (float)rlc_quad_rpm_to_action(&e->st.p, rlc_quad_hover_rpm(&e->st.p));
    for (int i = 0; i < 4; i++)
        e->st.prev[i] = ah;
    quad_observe(e, obs);
    add_noise(e, rng, obs);
}

/* Learning-to-Fly style reward of one vehicle against reference rp */
double rlc__quad_reward(const rlc_quad_reward *w, const rlc_quad_params *p, const rlc_quad_state *s,
                        const double rp[3], const double rv[3], const float *a) {
    double ep = 0, ev = 0, ew = 0, ea = 0, ah = rlc_quad_rpm_to_action(p, rlc_quad_hover_rpm(p));
    for (int i = 0; i < 3; i++) {
        ep += (s->pos[i] - rp[i]) * (s->pos[i] - rp[i]);
        ev += (s->vel[i] - rv[i]) * (s->vel[i] - rv[i]);
        ew += s->omega[i] * s->omega[i];
    }
    for (int i = 0; i < 4; i++)
        ea += (a[i] - ah) * (a[i] - ah);
    double eo = 1 - s->quat[0] * s->quat[0];
    double r =
        w->constant - (w->pos * ep + w->ori * eo + w->vel * ev + w->rate * ew + w->action * ea);
    return w->scale * (r < w->min ? w->min : r);
}

int rlc__quad_out_of_bounds(const rlc_quad_state *s, const double rp[3], double pos_bound,
                            double vel_bound) {
    if (s->pos[2] < 0) return 1;
    double v2 = 0, w2 = 0;
    for (int i = 0; i < 3; i++) {
        if (fabs(s->pos[i] - rp[i]) > pos_bound) return 1;
        v2 += s->vel[i] * s->vel[i];
        w2 += s->omega[i] * s->omega[i];
    }
    return v2 > vel_bound * vel_bound || w2 > 35.0 * 35.0 || !isfinite(v2 + w2);
}

static void quad_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                      int *terminated) {
    quad_env *e = self;
    const float *a = action;
    double cmd[4];
    float ac[4];
    for (int i = 0; i < 4; i++) {
        ac[i] = a[i] < -1 ? -1.0f : a[i] > 1 ? 1.0f : a[i];
        cmd[i] = rlc_quad_action_to_rpm(&e->st.p, ac[i]);
    }
    rlc_quad_step(&e->st.p, &e->st.s, cmd, NULL);
    e->st.t += e->st.p.dt;
    memcpy(e->st.prev, ac, sizeof ac);
    double rp[3], rv[3];
    quad_ref(e, e->st.t, rp, rv);
    *reward = rlc__quad_reward(&e->w, &e->st.p, &e->st.s, rp, rv, ac);
    *terminated = rlc__quad_out_of_bounds(&e->st.s, rp, e->pos_bound, e->vel_bound);
    quad_observe(e, obs);
    add_noise(e, rng, obs);
}

static void quad_get(const void *self, double *v) {
    const quad_env *e = self;
    const rlc_quad_params *p = &e->st.p;
    memcpy(v, &e->st.s, sizeof e->st.s);
    double extra[10] = {p->mass, p->arm, p->inertia[0], p->inertia[1], p->inertia[2],
                        p->kf,   p->km,  p->motor_tau,  p->max_rpm,    e->st.t};
    memcpy(v + RLC_QUAD_STATE_DIM, extra, sizeof extra);
}

static void quad_set(void *self, const double *v) {
    quad_env *e = self;
    rlc_quad_params *p = &e->st.p;
    *p = e->base;
    memcpy(&e->st.s, v, sizeof e->st.s);
    const double *x = v + RLC_QUAD_STATE_DIM;
    p->mass = x[0];
    p->arm = x[1];
    p->inertia[0] = x[2];
    p->inertia[1] = x[3];
    p->inertia[2] = x[4];
    p->kf = x[5];
    p->km = x[6];
    p->motor_tau = x[7];
    p->max_rpm = x[8];
    e->st.t = x[9];
}

static rlc_status quad_render(const void *self, uint8_t *rgb, int width, int height) {
    const quad_env *e = self;
    double rp[3], rv[3];
    quad_ref(e, e->st.t, rp, rv);
    rlc__quad_render_scene(rgb, width, height, &e->st.p, &e->st.s, 1, rp, e->target,
                           e->pos_bound > 1 ? 1.2 : e->pos_bound + 0.2);
    return RLC_OK;
}

const rlc__env_def rlc__quad_hover_def = {
    .name = "QuadHover",
    .summary = "stabilise a Crazyflie-like quadrotor at a target from random states (L2F)",
    .size = sizeof(quad_env),
    .state_offset = offsetof(quad_env, st),
    .state_size = sizeof(struct quad_env_state),
    .state_dim = QUAD_VEC_DIM,
    .state_names = QUAD_STATE_NAMES,
    .nparams = QUAD_NCOMMON,
    .params = QUAD_PARAMS,
    .init = hover_init,
    .reset = quad_reset,
    .step = quad_step,
    .observe = quad_observe,
    .get_vector = quad_get,
    .set_vector = quad_set,
    .render = quad_render,
};

const rlc__env_def rlc__quad_track_def = {
    .name = "QuadTrack",
    .summary = "track a circle or figure-eight reference with a Crazyflie-like quadrotor",
    .size = sizeof(quad_env),
    .state_offset = offsetof(quad_env, st),
    .state_size = sizeof(struct quad_env_state),
    .state_dim = QUAD_VEC_DIM,
    .state_names = QUAD_STATE_NAMES,
    .nparams = QUAD_NCOMMON + 3,
    .params = QUAD_PARAMS,
    .init = track_init,
    .reset = quad_reset,
    .step = quad_step,
    .observe = quad_observe,
    .get_vector = quad_get,
    .set_vector = quad_set,
    .render = quad_render,
};

/* ---- reward weights (curriculum) ---------------------------------------------------------- */

static rlc_quad_reward *reward_of(const rlc_env *env) {
    if (!env) return NULL;
    if (env->def == &rlc__quad_hover_def || env->def == &rlc__quad_track_def ||
        env->def == &rlc__quad_multi_def || env->def == &rlc__quad2d_hover_def ||
        env->def == &rlc__quad_leader_def)
        return env->self; /* every Quad* struct starts with its rlc_quad_reward */
    return NULL;
}

rlc_status rlc_quad_env_get_reward(const rlc_env *env, rlc_quad_reward *w) {
    rlc_quad_reward *r = reward_of(env);
    if (!r || !w) return rlc_error(RLC_ERR_INVALID, "quad_env_get_reward: not a Quad* env");
    *w = *r;
    return RLC_OK;
}

rlc_status rlc_quad_env_set_reward(rlc_env *env, const rlc_quad_reward *w) {
    rlc_quad_reward *r = reward_of(env);
    if (!r || !w) return rlc_error(RLC_ERR_INVALID, "quad_env_set_reward: not a Quad* env");
    *r = *w;
    return RLC_OK;
}
