/* Acrobot-v1: Gymnasium 1.x's two-link underactuated pendulum ("book" dynamics, one RK4 step
 * of dt = 0.2), bit-exact. Link lengths, masses, centres of mass and inertia are kwargs. */
#include <math.h>
#include <stddef.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"

static const rlc_env_param PARAMS[] = {
    {"link_length_1", RLC_PARAM_REAL, 1.0, 0, INFINITY, 1, "length of link 1 (m)"},
    {"link_length_2", RLC_PARAM_REAL, 1.0, 0, INFINITY, 1,
     "length of link 2 (m; only drawn: the dynamics use link_com_pos_2)"},
    {"link_mass_1", RLC_PARAM_REAL, 1.0, 0, INFINITY, 1, "mass of link 1 (kg)"},
    {"link_mass_2", RLC_PARAM_REAL, 1.0, 0, INFINITY, 1, "mass of link 2 (kg)"},
    {"link_com_pos_1", RLC_PARAM_REAL, 0.5, 0, INFINITY, 0,
     "position of the centre of mass of link 1 (m)"},
    {"link_com_pos_2", RLC_PARAM_REAL, 0.5, 0, INFINITY, 0,
     "position of the centre of mass of link 2 (m)"},
    {"link_moi", RLC_PARAM_REAL, 1.0, 0, INFINITY, 0, "moment of inertia of both links"},
    {"torque_noise_max", RLC_PARAM_REAL, 0.0, 0, INFINITY, 0,
     "uniform noise added to the torque (draws from the env RNG when > 0)"},
};

static const double G = 9.8;

static rlc_status acro_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    rlc__acrobot *e = self;
    e->l1 = vals[0];
    e->l2 = vals[1];
    e->m1 = vals[2];
    e->m2 = vals[3];
    e->lc1 = vals[4];
    e->lc2 = vals[5];
    e->moi = vals[6];
    e->torque_noise_max = vals[7];
    e->dt = 0.2;
    e->max_vel_1 = 4 * M_PI;
    e->max_vel_2 = 9 * M_PI;
    /* Constant prefixes of Gymnasium's _dsdt expressions, in Python's left-to-right order. */
    double m1 = e->m1, m2 = e->m2, l1 = e->l1, lc1 = e->lc1, lc2 = e->lc2;
    e->k_d1a = m1 * pow(lc1, 2.0);           /* m1 * lc1**2 */
    e->k_d1b = pow(l1, 2.0) + pow(lc2, 2.0); /* l1**2 + lc2**2 */
    e->k_d1c = 2 * l1 * lc2;                 /* 2 * l1 * lc2 (* cos(theta2)) */
    e->k_d2a = pow(lc2, 2.0);                /* lc2**2 */
    e->k_d2b = l1 * lc2;                     /* l1 * lc2 (* cos(theta2)) */
    e->k_phi2 = m2 * lc2 * G;                /* m2 * lc2 * g */
    e->k_phi1a = -m2 * l1 * lc2;             /* - m2 * l1 * lc2 (* dtheta2**2) */
    e->k_phi1b = 2 * m2 * l1 * lc2;          /* 2 * m2 * l1 * lc2 (* dtheta2) */
    e->k_phi1c = (m1 * lc1 + m2 * l1) * G;   /* (m1 * lc1 + m2 * l1) * g */
    e->k_dd2a = m2 * l1 * lc2;               /* m2 * l1 * lc2 (* dtheta1**2) */
    e->k_den = m2 * pow(lc2, 2.0) + e->moi;  /* m2 * lc2**2 + I2 */
    double high[6] = {1.0, 1.0, 1.0, 1.0, e->max_vel_1, e->max_vel_2};
    double low[6] = {-1.0, -1.0, -1.0, -1.0, -e->max_vel_1, -e->max_vel_2};
    rlc__space_discrete(act, 3, 0);
    return rlc__space_box(obs, RLC_SPACE_FLOAT32, 6, low, high);
}

/* Gymnasium's _dsdt: derivative of (theta1, theta2, dtheta1, dtheta2) under torque a. */
static void dsdt(const rlc__acrobot *e, const double *y, double a, double *dy) {
    double theta1 = y[0], theta2 = y[1], dtheta1 = y[2], dtheta2 = y[3];
    double m2 = e->m2, I1 = e->moi, I2 = e->moi;
    double c2 = cos(theta2), s2 = sin(theta2);
    double d1 = e->k_d1a + m2 * (e->k_d1b + e->k_d1c * c2) + I1 + I2;
    double d2 = m2 * (e->k_d2a + e->k_d2b * c2) + I2;
    double phi2 = e->k_phi2 * cos(theta1 + theta2 - M_PI / 2.0);
    double phi1 = e->k_phi1a * rlc__pow2(dtheta2) * s2 - e->k_phi1b * dtheta2 * dtheta1 * s2 +
                  e->k_phi1c * cos(theta1 - M_PI / 2) + phi2;
    double ddtheta2 = (a + d2 / d1 * phi1 - e->k_dd2a * rlc__pow2(dtheta1) * s2 - phi2) /
                      (e->k_den - rlc__pow2(d2) / d1);
    double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    dy[0] = dtheta1;
    dy[1] = dtheta2;
    dy[2] = ddtheta1;
    dy[3] = ddtheta2;
}

/* np.sin/np.cos of a float32 as NumPy 2.0-2.2 computes it on x86-64 CPUs with FMA3 (which
 * made the golden data): Cody-Waite reduction by pi/2 in three fused steps, then minimax
 * polynomials for sin and cos on [-pi/4, pi/4] with fused multiply-adds; libm beyond the
 * reduction's range. It differs from a correctly rounded sinf/cosf on some inputs. */
static float numpy_sincosf(float x, int want_cos) {
    if (isnan(x)) return x;
    if (!(fabsf(x) <= (want_cos ? 71476.0625f : 117435.992f))) return want_cos ? cosf(x) : sinf(x);
    const float magic = 0x1.8p+23f; /* adding and subtracting it rounds to an integer */
    float q = x * 0x1.45f306p-1f;   /* x * 2/pi */
    q = (q + magic) - magic;
    float r = fmaf(q, -0x1.921fb0p+00f, x);
    r = fmaf(q, -0x1.5110b4p-22f, r);
    r = fmaf(q, -0x1.846988p-48f, r);
    float r2 = r * r;
    float c = fmaf(0x1.98e616p-16f, r2, -0x1.6c06dcp-10f);
    c = fmaf(c, r2, 0x1.55553cp-05f);
    c = fmaf(c, r2, -0x1.0p-01f);
    c = fmaf(c, r2, 1.0f);
    float sn = fmaf(0x1.7d3bbcp-19f, r2, -0x1.a06bbap-13f);
    sn = fmaf(sn, r2, 0x1.11119ap-07f);
    sn = fmaf(sn, r2, -0x1.555556p-03f);
    sn = fmaf(sn, r2, 0.0f);
    sn = fmaf(sn, r, r);
    int k = (int)q + (want_cos ? 1 : 0); /* quadrant */
    float v = (k & 1) == 0 ? sn : c;
    return (k & 2) ? 0.0f - v : v;
}

static void acro_write_obs(const rlc__acrobot_state *s, float *o) {
    if (s->is_f32) {
        /* Right after reset the state is float32 and NumPy computes cos/sin in float32. */
        float t1 = (float)s->s[0], t2 = (float)s->s[1];
        o[0] = numpy_sincosf(t1, 1);
        o[1] = numpy_sincosf(t1, 0);
        o[2] = numpy_sincosf(t2, 1);
        o[3] = numpy_sincosf(t2, 0);
    } else {
        o[0] = (float)cos(s->s[0]);
        o[1] = (float)sin(s->s[0]);
        o[2] = (float)cos(s->s[1]);
        o[3] = (float)sin(s->s[1]);
    }
    o[4] = (float)s->s[2];
    o[5] = (float)s->s[3];
}

static void acro_observe(const void *self, void *obs) {
    acro_write_obs(&((const rlc__acrobot *)self)->s, obs);
}

static void acro_reset(void *self, rlc_rng *rng, void *obs) {
    rlc__acrobot *e = self;
    for (int i = 0; i < 4; i++)
        e->s.s[i] = (float)rlc_rng_uniform(rng, -0.1, 0.1);
    e->s.is_f32 = 1;
    acro_write_obs(&e->s, obs);
}

static double wrap(double x, double m, double M) {
    double diff = M - m;
    while (x > M)
        x = x - diff;
    while (x < m)
        x = x + diff;
    return x;
}

/* Python's min(max(x, m), M). */
static double bound(double x, double m, double M) {
    double y = m > x ? m : x;
    return M < y ? M : y;
}

static void acro_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                      int *terminated) {
    static const double TORQUE[3] = {-1.0, 0.0, 1.0};
    rlc__acrobot *e = self;
    int64_t a = *(const int64_t *)action;
    double torque = TORQUE[a < 0 ? a + 3 : a]; /* AVAIL_TORQUE[a], Python indexing */
    if (e->torque_noise_max > 0)
        torque += rlc_rng_uniform(rng, -e->torque_noise_max, e->torque_noise_max);
    /* rk4(_dsdt, [s, torque], [0, dt]): the torque rides along as a constant 5th component */
    const double *y0 = e->s.s;
    double dt = e->dt, dt2 = dt / 2.0;
    double k1[4], k2[4], k3[4], k4[4], y[4];
    dsdt(e, y0, torque, k1);
    for (int i = 0; i < 4; i++)
        y[i] = y0[i] + dt2 * k1[i];
    dsdt(e, y, torque, k2);
    for (int i = 0; i < 4; i++)
        y[i] = y0[i] + dt2 * k2[i];
    dsdt(e, y, torque, k3);
    for (int i = 0; i < 4; i++)
        y[i] = y0[i] + dt * k3[i];
    dsdt(e, y, torque, k4);
    double h = dt / 6.0, ns[4];
    for (int i = 0; i < 4; i++)
        ns[i] = y0[i] + h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    ns[0] = wrap(ns[0], -M_PI, M_PI);
    ns[1] = wrap(ns[1], -M_PI, M_PI);
    ns[2] = bound(ns[2], -e->max_vel_1, e->max_vel_1);
    ns[3] = bound(ns[3], -e->max_vel_2, e->max_vel_2);
    for (int i = 0; i < 4; i++)
        e->s.s[i] = ns[i];
    e->s.is_f32 = 0;
    int term = -cos(ns[0]) - cos(ns[1] + ns[0]) > 1.0;
    *terminated = term;
    *reward = term ? 0.0 : -1.0;
    acro_write_obs(&e->s, obs);
}

static void acro_get(const void *self, double *v) {
    const rlc__acrobot *e = self;
    for (int i = 0; i < 4; i++)
        v[i] = e->s.s[i];
}

static void acro_set(void *self, const double *v) {
    rlc__acrobot *e = self;
    for (int i = 0; i < 4; i++)
        e->s.s[i] = v[i];
    e->s.is_f32 = 0;
}

const rlc__env_def rlc__acrobot_def = {
    .name = "Acrobot",
    .summary =
        "swing the tip of a two-link pendulum above a line by torquing the joint (Gymnasium)",
    .size = sizeof(rlc__acrobot),
    .state_offset = offsetof(rlc__acrobot, s),
    .state_size = sizeof(rlc__acrobot_state),
    .state_dim = 4,
    .state_names = "theta1,theta2,dtheta1,dtheta2",
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .params = PARAMS,
    .flags = RLC__ENV_NEGATIVE_INDEX,
    .init = acro_init,
    .reset = acro_reset,
    .step = acro_step,
    .observe = acro_observe,
    .get_vector = acro_get,
    .set_vector = acro_set,
    .render = rlc__render_acrobot, /* src/env/render_classic.c */
};
