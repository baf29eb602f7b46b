/* Plain structs and vtables of the classic-control envs (Gymnasium 1.x CartPole, MountainCar,
 * MountainCarContinuous, Pendulum, Acrobot, plus CartPoleSwingUp), shared with the registry
 * and with renderers (src/env/render_*.c) that read the state. */
#ifndef RLC_ENV_CLASSIC_IMPL_H
#define RLC_ENV_CLASSIC_IMPL_H

#include <math.h>
#include <string.h>

#include "env/env_impl.h"

/* CartPole-v0/v1 and CartPoleSwingUp-v0. State vector: x, x_dot, theta, theta_dot. */
typedef struct rlc__cartpole_state {
    double x, x_dot, theta, theta_dot;
} rlc__cartpole_state;

typedef struct rlc__cartpole {
    /* parameters (kwargs) */
    double gravity, masscart, masspole, length, force_mag;
    int sutton_barto_reward;
    /* derived, computed as Gymnasium does */
    double total_mass, polemass_length, tau, theta_threshold, x_threshold;
    rlc__cartpole_state s; /* evolving */
} rlc__cartpole;

/* MountainCar-v0 and MountainCarContinuous-v0. State vector: position, velocity. */
typedef struct rlc__mountaincar_state {
    double position, velocity;
    /* MountainCarContinuous: 1 when the state holds float32 values (NumPy 2 keeps the state
     * float32 after a step, float64 after reset or set_state; arithmetic differs). */
    int32_t is_f32;
} rlc__mountaincar_state;

typedef struct rlc__mountaincar {
    double force, gravity; /* MountainCar-v0: force; MountainCarContinuous-v0: power */
    double min_position, max_position, max_speed, goal_position, goal_velocity;
    rlc__mountaincar_state s;
} rlc__mountaincar;

/* Pendulum-v1. State vector: theta, theta_dot. */
typedef struct rlc__pendulum_state {
    double theta, theta_dot;
    double sin_theta; /* sin(theta), kept so a step computes it once */
    double cos_theta; /* (float)cos(theta), all the observation needs */
    float last_u;                /* last clipped torque (for rendering) */
} rlc__pendulum_state;

typedef struct rlc__pendulum {
    double g, m, l;
    double max_speed, max_torque, dt;
    double c_grav;  /* 3 * g / (2 * l) */
    float c_torque; /* 3.0 / (m * l**2), as the float32 NumPy 2 multiplies u with */
    rlc__pendulum_state s;
} rlc__pendulum;

/* Acrobot-v1. State vector: theta1, theta2, dtheta1, dtheta2. */
typedef struct rlc__acrobot_state {
    double s[4];
    int32_t is_f32; /* 1 right after reset: Gymnasium's reset state is float32 */
} rlc__acrobot_state;

typedef struct rlc__acrobot {
    double l1, l2, m1, m2, lc1, lc2, moi, torque_noise_max;
    double dt, max_vel_1, max_vel_2;
    /* constant sub-expressions of the equations of motion, grouped as Python evaluates them */
    double k_d1a, k_d1b, k_d1c, k_d2a, k_d2b, k_phi2, k_phi1a, k_phi1b, k_phi1c, k_dd2a, k_den;
    rlc__acrobot_state s;
} rlc__acrobot;

/* pow(x, 2.0) bit-identical to glibc's pow (which Gymnasium's `x**2` calls), but fast.
 * glibc's pow documents its error as ulperr_exp + 1024 * ln2 * relerr_log * 2^53 with
 * ulperr_exp = 0.509 ulp (0.511 without FMA; 0.5 of it is the final rounding) and
 * relerr_log = 1.5 * 2^-68: for 2^-60 < |x| < 2^60 (|2 ln x| < 84) its value before the final
 * rounding lies within 0.015 ulp of the exact square, so it rounds to the same double as the
 * exact square unless that lies within 0.015 ulp of a rounding midpoint. Dekker's product gives
 * the exact error err = x*x - p of the correctly rounded square p (exact without FMA); when
 * p + err / 0.96 still rounds to p, |err| <= 0.48 ulp on the side err points to (the spacing
 * below a power of two included), the exact square is at least 0.02 ulp from either midpoint,
 * and pow returns p. Near-ties (about 4% of inputs) and extreme magnitudes call pow. Checked
 * against libm in tests/env/test_classic_golden.c. */
static inline double rlc__pow2(double x) {
    double p = x * x, ax = fabs(x);
    if (!(ax > 0x1p-60 && ax < 0x1p+60)) return pow(x, 2.0); /* 0, tiny, huge, inf, nan */
    const double split = 134217729.0;                        /* 2^27 + 1 */
    double c = split * x, hi = c - (c - x), lo = x - hi;
    double err = (((hi * hi - p) + hi * lo) + hi * lo) + lo * lo; /* x*x - p, exactly */
    return p + err * (1.0 / 0.96) == p ? p : pow(x, 2.0);
}

/* powf(u, 2.0f) bit-identical to glibc's powf (NumPy's float32 `u**2`), but fast. The square
 * of a float is exact in double, so the distance d between the exact square and p, the
 * correctly rounded float, is known exactly. glibc's powf works in double: its documented
 * bounds (log2 within 1.83 * 2^-33 relative, exp2 within 1.69 * 2^-34) put its result before
 * the final rounding within ln2 * |2 log2 u| * 1.83 * 2^-33 + 1.69 * 2^-34 < 2^-28 of the exact
 * square for 2^-8 <= |u| <= 2^8: under 0.07 float ulp, so for d < 0.43 ulp it rounds to p.
 * Tighter on the range Pendulum uses: for every float 2^-8 <= |u| <= 4 (checked exhaustively
 * against glibc 2.36, the powf of glibc 2.28 onwards), powf(u, 2) differs from p only where
 * d >= 0.49834 ulp(p), so there d < 0.498 ulp(p) suffices and only 0.4% of torques call powf
 * (the 0.43 bound called it for 14%). Exact squares return p; other near-ties, powers of two
 * above 4 and other magnitudes call powf. Checked against libm in
 * tests/env/test_classic_golden.c (the 0.498 range on a dense sample). */
static inline float rlc__pow2f(float u) {
    double ex = (double)u * (double)u;
    float p = (float)ex;
    double d = fabs(ex - (double)p);
    if (d == 0) return p; /* also 0 and the clipped torque 2 */
    float au = fabsf(u);
    if (!(au >= 0x1p-8f && au <= 0x1p8f)) return powf(u, 2.0f); /* also nan */
    uint32_t b, ub;
    memcpy(&b, &p, sizeof b);
    ub = (b & 0x7f800000u) - (23u << 23); /* ulp(p) = 2^(exponent - 23) */
    float ulp;
    memcpy(&ulp, &ub, sizeof ulp);
    if (au <= 4.0f) return d < 0.498 * (double)ulp ? p : powf(u, 2.0f);
    if (!(b & 0x007fffffu)) return powf(u, 2.0f); /* p = 2^k: uneven spacing below */
    return d < 0.43 * (double)ulp ? p : powf(u, 2.0f);
}

/* (float)cos(x), the rare case of rlc__cosf_from_sin; defined in pendulum.c, out of line so
 * the compiler does not merge it with the caller's sin into one sincos call. */
float rlc__cosf_slow(double x);

/* (float)cos(x) with glibc's cos, given s = glibc's sin(x), with no second libm call in the
 * common case. Both libm results are within 1 ulp (at most 2^-53 for |.| < 1) of the true
 * values, so c = sqrt(1 - s*s) computed in double is within 2^-50 / c + 2^-52 of glibc's |cos x|
 * (s's error, the two roundings of 1 - s*s, sqrt's rounding, cos's own error), which e below
 * bounds twice over for c > 2^-10. Rounding is monotonic, so when c - e and c + e (rounded to
 * double, off by at most 2^-54) round to the same float f, so does
 * glibc's cos(x). The sign comes from x's position within its turn: |cos x| > 2^-10 keeps x
 * 1.5e-4 turns away from the quarter turns, far above the rounding of x / (2 pi) for
 * |x| < 2^20. Near-ties (about 2^-13 of angles), |cos x| <= 2^-10, larger or non-finite
 * angles call cos. Checked against libm in tests/env/test_classic_golden.c. */
static inline float rlc__cosf_from_sin(double x, double s) {
    double c2 = 1.0 - s * s;
    if (!(fabs(x) < 0x1p20 && c2 > 0x1p-20)) return rlc__cosf_slow(x); /* also nan */
    double c = sqrt(c2);
    const double e = 0x1p-39; /* >= 2 * (2^-50 / c + 2^-52) for every c > 2^-10 */
    float f = (float)(c - e);
    if (f != (float)(c + e)) return rlc__cosf_slow(x);
    double t = x * (1.0 / (2.0 * M_PI));
    double n = (t + 0x1.8p52) - 0x1.8p52; /* nearest integer: |t| < 2^51 */
    return fabs(t - n) < 0.25 ? f : -f;
}

/* NumPy's ((x + pi) % (2 pi)) - pi (floor modulo). fmod is exact and returns y itself when
 * |y| < 2 pi; when 2 pi <= |y| < 4 pi it returns y -/+ 2 pi, which the subtraction gives
 * exactly (Sterbenz), so only larger angles call it. */
static inline double rlc__angle_normalize(double x) {
    double y = x + M_PI, tp = 2 * M_PI, ay = fabs(y);
    double r = ay < tp ? y : ay < 2 * tp ? (y > 0 ? y - tp : y + tp) : fmod(y, tp);
    if (r != 0 && r < 0) r += tp;
    return r - M_PI;
}

extern const rlc__env_def rlc__cartpole_def;
extern const rlc__env_def rlc__cartpole_swingup_def;
extern const rlc__env_def rlc__mountaincar_def;
extern const rlc__env_def rlc__mountaincar_continuous_def;
extern const rlc__env_def rlc__pendulum_def;
extern const rlc__env_def rlc__acrobot_def;

/* CartPole's kwargs: the first RLC__CARTPOLE_NPHYS (gravity, masscart, masspole, length,
 * force_mag) are shared with CartPoleSwingUp, then sutton_barto_reward. */
#define RLC__CARTPOLE_NPHYS 5
extern const rlc_env_param rlc__cartpole_params[RLC__CARTPOLE_NPHYS + 1];
/* Stores the physical parameters vals[RLC__CARTPOLE_NPHYS] and the derived constants. */
void rlc__cartpole_init_phys(rlc__cartpole *e, const double *vals);

/* One Euler step of the cart-pole equations (Barto, Sutton & Anderson; Gymnasium's order of
 * operations) with horizontal force `force`. */
static inline void rlc__cartpole_euler(const rlc__cartpole *e, rlc__cartpole_state *s, double force,
                                       double costheta, double sintheta) {
    double temp =
        (force + e->polemass_length * (s->theta_dot * s->theta_dot) * sintheta) / e->total_mass;
    double thetaacc =
        (e->gravity * sintheta - costheta * temp) /
        (e->length * (4.0 / 3.0 - e->masspole * (costheta * costheta) / e->total_mass));
    double xacc = temp - e->polemass_length * thetaacc * costheta / e->total_mass;
    double x = s->x, x_dot = s->x_dot, theta = s->theta, theta_dot = s->theta_dot;
    s->x = x + e->tau * x_dot;
    s->x_dot = x_dot + e->tau * xacc;
    s->theta = theta + e->tau * theta_dot;
    s->theta_dot = theta_dot + e->tau * thetaacc;
}

#endif
