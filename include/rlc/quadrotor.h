/* Quadrotor simulator usable outside the envs: Crazyflie-2.x-like parameters, rigid-body RK4
 * dynamics with first-order motors, drag, ground effect and downwash, a planar variant, a
 * cascaded PID controller and a minimum-snap trajectory generator (docs/quadrotor.md). */
#ifndef RLC_QUADROTOR_H
#define RLC_QUADROTOR_H

#include "rlc/core.h"
#include "rlc/env.h"
#include "rlc/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Physical parameters (SI units; RPM for rotor speeds). World frame: x forward, y left, z up
 * (gravity along -z). Body frame: the same axes at the vehicle, rotors in an X: motor 0 front
 * right (+x,-y), 1 back right (-x,-y), 2 back left (-x,+y), 3 front left (+x,+y), at distance
 * `arm` from the centre (lever arm arm/sqrt(2) about x and y). Motor i makes thrust
 * kf*rpm_i^2 along body +z and a yaw torque yaw_sign[i]*km*rpm_i^2 with yaw_sign = -,+,-,+. */
typedef struct rlc_quad_params {
    double mass;          /* kg */
    double arm;           /* m, centre to motor */
    double inertia[3];    /* kg m^2, diagonal Ixx, Iyy, Izz */
    double kf;            /* N / RPM^2 */
    double km;            /* N m / RPM^2 */
    double motor_tau;     /* s, first-order RPM time constant (0: instantaneous) */
    double max_rpm;       /* RPM command at action +1 */
    double min_rpm;       /* RPM command at action -1 */
    double gravity;       /* m/s^2 */
    double drag[3];       /* N s/m, linear drag along body x, y, z (0: off) */
    double ground_effect; /* Cheeseman-Bennett coefficient k (0: off), see below */
    double prop_radius;   /* m, for ground effect */
    double downwash;      /* downwash strength (0: off), multi-vehicle only */
    double dt;            /* s, integration step */
} rlc_quad_params;

/* Full state: 17 doubles. quat = (w, x, y, z) body-to-world, renormalised after each step;
 * omega = body rates (rad/s); rpm = current rotor speeds. */
typedef struct rlc_quad_state {
    double pos[3], vel[3], quat[4], omega[3], rpm[4];
} rlc_quad_state;

#define RLC_QUAD_STATE_DIM 17

/* Crazyflie 2.x defaults: the cf2x model of gym-pybullet-drones (Panerati et al. 2021, row 49):
 * m = 0.027 kg, arm = 0.0397 m, I = diag(1.4e-5, 1.4e-5, 2.17e-5), kf = 3.16e-10, km = 7.94e-12,
 * thrust-to-weight 2.25 (max_rpm = sqrt(2.25) * hover RPM), prop radius 0.0231 m;
 * motor_tau = 0.03 s (our assumption, configurable), min_rpm 0, dt 0.01, drag, ground effect
 * and downwash off. */
RLC_API void rlc_quad_params_crazyflie(rlc_quad_params *p);
/* RPM at which the four motors together carry the weight: sqrt(m g / (4 kf)). */
RLC_API double rlc_quad_hover_rpm(const rlc_quad_params *p);
/* Normalised action <-> RPM command: rpm = min + (a + 1) / 2 * (max - min), a clipped to
 * [-1, 1]. */
RLC_API double rlc_quad_action_to_rpm(const rlc_quad_params *p, double a);
RLC_API double rlc_quad_rpm_to_action(const rlc_quad_params *p, double rpm);
/* Domain randomisation: out = base with mass, arm, each inertia, kf, km and motor_tau
 * multiplied by independent uniform(1 - frac, 1 + frac) factors drawn from rng (max_rpm
 * rescaled so the thrust-to-weight ratio is kept). frac in [0, 0.9]. */
RLC_API void rlc_quad_params_randomize(const rlc_quad_params *base, double frac, rlc_rng *rng,
                                       rlc_quad_params *out);

/* A state at rest at `pos` (identity attitude, rotors at hover RPM). */
RLC_API void rlc_quad_state_hover(const rlc_quad_params *p, const double pos[3], rlc_quad_state *s);
/* Rotation matrix R (row-major, body to world) of a unit quaternion (w, x, y, z). */
RLC_API void rlc_quad_quat_to_rot(const double q[4], double R[9]);
/* Thrust multiplier of ground effect at height z (Cheeseman-Bennett):
 * 1 / (1 - k (r / 4z)^2), z clamped to >= r, so at most 1 / (1 - k/16); 1 when k = 0. */
RLC_API double rlc_quad_ground_factor(const rlc_quad_params *p, double z);

/* One step of dt with RPM commands rpm_cmd[4], by classical RK4 on the 17-dim state; ext_force
 * (world frame, N, may be NULL) is held constant over the step. The quaternion is renormalised
 * afterwards. Allocates nothing. */
RLC_API void rlc_quad_step(const rlc_quad_params *p, rlc_quad_state *s, const double rpm_cmd[4],
                           const double ext_force[3]);
/* The same for n vehicles sharing params p[n] (or one params if shared != 0): computes the
 * downwash force on each vehicle from those above it (when p->downwash > 0), then steps each. */
RLC_API void rlc_quad_step_multi(const rlc_quad_params *p, int shared, rlc_quad_state *s, int n,
                                 const double *rpm_cmd);
/* Downwash force (world frame, N) on a vehicle at `below` from one at `above` making total
 * thrust `thrust`: a Gaussian wake, zero unless above is higher; see docs/quadrotor.md. */
RLC_API void rlc_quad_downwash(const rlc_quad_params *p, const double above[3],
                               const double below[3], double thrust, double force[3]);
/* Time derivative of the state (17 doubles) for RPM commands; for tests and custom solvers. */
RLC_API void rlc_quad_deriv(const rlc_quad_params *p, const double *x, const double rpm_cmd[4],
                            const double ext_force[3], double *dx);

/* ---- batched stepping across threads ------------------------------------------------------ */

/* A pool of persistent worker threads stepping many independent vehicles (no downwash between
 * them): vehicle i gets rlc_quad_step(p or p + i, s + i, rpm_cmd + 4 i, ext_force + 3 i), the
 * vehicles split into contiguous slices, one per thread (the caller's thread takes the first).
 * Same bits as that sequential loop for any thread count. */
typedef struct rlc_quad_batch rlc_quad_batch;

/* num_threads in [1, 256], the caller's thread included (1: no workers). Errors:
 * RLC_ERR_INVALID (out NULL, num_threads out of range), RLC_ERR_NOMEM, RLC_ERR_UNSUPPORTED when
 * a thread cannot be started. */
RLC_API rlc_status rlc_quad_batch_create(rlc_quad_batch **out, int num_threads);
RLC_API void rlc_quad_batch_destroy(rlc_quad_batch *b); /* accepts NULL */
RLC_API int rlc_quad_batch_threads(const rlc_quad_batch *b);
/* Steps s[n] with params p[n] (or one shared params if shared != 0), RPM commands
 * rpm_cmd[4 n] and external forces ext_force[3 n] (may be NULL). Returns when all are done;
 * not reentrant on one batch object. Batches smaller than 2 x threads run on the caller's
 * thread alone. Errors: RLC_ERR_INVALID for NULL pointers or n < 0. */
RLC_API rlc_status rlc_quad_batch_step(rlc_quad_batch *b, const rlc_quad_params *p, int shared,
                                       rlc_quad_state *s, int n, const double *rpm_cmd,
                                       const double *ext_force);

/* ---- batched stepping on a GPU (CUDA) ----------------------------------------------------- */

/* n vehicles held on the first CUDA device, one GPU thread each running the CPU's own step
 * code (src/env/aero/quad_dyn.h; no fused multiply-adds on either side), so a GPU step gives
 * rlc_quad_step's bits. Built when nvcc is found at build time (Makefile: CUDA=0 turns it
 * off; never in asan builds); otherwise every call returns RLC_ERR_UNSUPPORTED saying so.
 * No downwash or external forces on the GPU. docs/quadrotor.md has the throughput. */
typedef struct rlc_quad_gpu rlc_quad_gpu;

/* Errors: RLC_ERR_INVALID (out NULL, n < 1), RLC_ERR_UNSUPPORTED (built without CUDA, or no
 * CUDA device: the message says which), RLC_ERR_NOMEM (device memory). */
RLC_API rlc_status rlc_quad_gpu_create(rlc_quad_gpu **out, int n);
RLC_API void rlc_quad_gpu_destroy(rlc_quad_gpu *g); /* accepts NULL */
/* "NAME (sm_XY, K SMs)" of the device in use ("" without one). */
RLC_API const char *rlc_quad_gpu_device(const rlc_quad_gpu *g);
/* Copies to the device the params (n of them, or one when shared != 0; p may be NULL to keep
 * the last) and the n states s (may be NULL to keep the device's). */
RLC_API rlc_status rlc_quad_gpu_upload(rlc_quad_gpu *g, const rlc_quad_params *p, int shared,
                                       const rlc_quad_state *s);
/* Copies the n states back into s[n]. RLC_ERR_STATE before any upload of states. */
RLC_API rlc_status rlc_quad_gpu_download(rlc_quad_gpu *g, rlc_quad_state *s);
/* Copies the RPM commands rpm_cmd[4 n] to the device and advances every vehicle `steps` (>= 1)
 * steps of dt with them held: the same as `steps` calls of rlc_quad_step(p_i, s_i, cmd_i,
 * NULL). The states stay on the device; returns when the GPU is done. RLC_ERR_STATE before
 * params and states were uploaded, RLC_ERR_IO for a CUDA failure (with its text). */
RLC_API rlc_status rlc_quad_gpu_step(rlc_quad_gpu *g, const double *rpm_cmd, int steps);

/* ---- planar variant (y, z, roll): two rotor pairs at +-arm/sqrt(2) along body y ---------- */

/* state: y, z, phi, vy, vz, phidot, rpm_right, rpm_left. Each side stands for two motors
 * (thrust 2 kf rpm^2) so hover RPM equals the 3D vehicle's; roll inertia Ixx. */
typedef struct rlc_quad2d_state {
    double y, z, phi, vy, vz, phidot, rpm[2];
} rlc_quad2d_state;

RLC_API void rlc_quad2d_step(const rlc_quad_params *p, rlc_quad2d_state *s,
                             const double rpm_cmd[2]);

/* ---- cascaded PID: position -> attitude -> body rates -> motor mixing ---------------------- */

typedef struct rlc_quad_pid {
    double kp_pos[3], kd_pos[3], ki_pos[3]; /* 1/s^2, 1/s, 1/s^3 */
    double k_att[3];                        /* attitude error -> rate setpoint, 1/s */
    double k_rate[3];                       /* rate error -> angular acceleration, 1/s */
    double max_tilt;                        /* rad, limit on the commanded tilt */
    double i_limit;                         /* m s, anti-windup clamp of the integral */
    double integral[3];                     /* state: integral of the position error */
} rlc_quad_pid;

/* Default gains for the Crazyflie parameters (hovers, settles from 0.5 m in about 3 s). */
RLC_API void rlc_quad_pid_default(rlc_quad_pid *c);
RLC_API void rlc_quad_pid_reset(rlc_quad_pid *c);
/* One control step (period p->dt): from the state and the setpoint (position, velocity and
 * acceleration feed-forward, the latter two may be NULL = 0; yaw in rad) computes RPM commands
 * rpm_out[4] for the vehicle with parameters p. */
RLC_API void rlc_quad_pid_control(rlc_quad_pid *c, const rlc_quad_params *p,
                                  const rlc_quad_state *s, const double pos_ref[3],
                                  const double vel_ref[3], const double acc_ref[3], double yaw_ref,
                                  double rpm_out[4]);

/* ---- minimum-snap trajectories ---------------------------------------------------------- */

/* Piecewise 7th-order polynomials in 3D through n >= 2 waypoints with fixed segment durations,
 * starting and ending at rest (velocity, acceleration and jerk 0). The minimum-snap optimum is
 * C^6 at the interior waypoints, so each axis solves the square 8(n-1) linear system of the
 * boundary, waypoint and continuity conditions (Gaussian elimination with partial pivoting). */
typedef struct rlc_minsnap rlc_minsnap;

/* waypoints[n * 3], durations[n - 1] (> 0). Errors: RLC_ERR_INVALID (n < 2, bad durations, NULL,
 * non-finite), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_minsnap_create(rlc_minsnap **out, const double *waypoints, int n,
                                      const double *durations);
RLC_API void rlc_minsnap_destroy(rlc_minsnap *m);
RLC_API double rlc_minsnap_duration(const rlc_minsnap *m);
/* Derivative `order` (0 = position ... 4 = snap) at time t (clamped to [0, duration]) into
 * out[3]. */
RLC_API void rlc_minsnap_eval(const rlc_minsnap *m, double t, int order, double out[3]);

/* ---- env helpers ----------------------------------------------------------------------- */

/* Reward weights of the Learning-to-Fly style reward of the Quad* envs:
 * r = scale * max(min, constant - (pos |e_p|^2 + ori (1 - q_w^2) + vel |v|^2 +
 *                                  rate |omega|^2 + action |a - a_hover|^2)). */
typedef struct rlc_quad_reward {
    double constant, pos, ori, vel, rate, action, scale, min;
} rlc_quad_reward;

/* Reads / replaces the reward weights of a Quad* env (curriculum: raise the penalties during
 * training). RLC_ERR_INVALID if env is not a Quad* env or w is NULL. */
RLC_API rlc_status rlc_quad_env_get_reward(const rlc_env *env, rlc_quad_reward *w);
RLC_API rlc_status rlc_quad_env_set_reward(rlc_env *env, const rlc_quad_reward *w);

#ifdef __cplusplus
}
#endif
#endif
