/* The quadrotor's equations of motion and its RK4 step, written once for the CPU (quadrotor.c)
 * and the GPU (quad_cuda.cu). Both compilers are told not to fuse multiply-adds (gcc
 * -ffp-contract=off, nvcc --fmad=false) and every operation here is an IEEE double add,
 * multiply, divide or square root, which both round the same way, so a GPU step gives the
 * CPU's bits (tests/env/test_quad_cuda.c checks it where a GPU is present). */
#ifndef RLC_ENV_AERO_QUAD_DYN_H
#define RLC_ENV_AERO_QUAD_DYN_H

#include <math.h>

#include "rlc/quadrotor.h"

#ifdef __CUDACC__
#define RLC_QD static __host__ __device__ inline
#else
#define RLC_QD static inline
#endif

enum { RLC__QD_N = RLC_QUAD_STATE_DIM };

RLC_QD void rlc__qd_quat_to_rot(const double q[4], double R[9]) {
    double w = q[0], x = q[1], y = q[2], z = q[3];
    R[0] = 1 - 2 * (y * y + z * z);
    R[1] = 2 * (x * y - w * z);
    R[2] = 2 * (x * z + w * y);
    R[3] = 2 * (x * y + w * z);
    R[4] = 1 - 2 * (x * x + z * z);
    R[5] = 2 * (y * z - w * x);
    R[6] = 2 * (x * z - w * y);
    R[7] = 2 * (y * z + w * x);
    R[8] = 1 - 2 * (x * x + y * y);
}

RLC_QD double rlc__qd_ground_factor(const rlc_quad_params *p, double z) {
    if (p->ground_effect <= 0 || p->prop_radius <= 0) return 1;
    if (z < p->prop_radius) z = p->prop_radius;
    double r = p->prop_radius / (4 * z);
    return 1 / (1 - p->ground_effect * r * r);
}

/* dx = f(x) for the 17-dim state x (pos, vel, quat, omega, rpm) and clipped commands cmd[4].
 * Motor i (0 front right, 1 back right, 2 back left, 3 front left) sits at (mx, my) lever arms
 * with mx = +,-,-,+ and my = -,-,+,+, and makes yaw torque with sign -,+,-,+. */
RLC_QD void rlc__qd_deriv(const rlc_quad_params *p, const double *x, const double cmd[4],
                          const double ext_force[3], double *dx) {
    const double *v = x + 3, *q = x + 6, *w = x + 10, *rpm = x + 13;
    double qn = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    double qu[4] = {q[0] / qn, q[1] / qn, q[2] / qn, q[3] / qn};
    double R[9];
    rlc__qd_quat_to_rot(qu, R);
    double ge = rlc__qd_ground_factor(p, x[2]);
    double f[4], T = 0, tz = 0;
    for (int i = 0; i < 4; i++) {
        double r2 = rpm[i] * rpm[i], yaw_sign = (i & 1) ? 1.0 : -1.0;
        f[i] = p->kf * r2 * ge;
        T += f[i];
        tz += yaw_sign * p->km * r2;
    }
    double l = p->arm / sqrt(2.0);
    double tx = 0, ty = 0;
    for (int i = 0; i < 4; i++) {
        double mx = (i == 0 || i == 3) ? 1.0 : -1.0, my = i >= 2 ? 1.0 : -1.0;
        tx += l * my * f[i];
        ty -= l * mx * f[i];
    }
    /* translational: thrust along body z, linear drag in the body frame, external force */
    double F[3] = {R[2] * T, R[5] * T, R[8] * T};
    if (p->drag[0] > 0 || p->drag[1] > 0 || p->drag[2] > 0) {
        double fb[3];
        for (int j = 0; j < 3; j++)
            fb[j] = -p->drag[j] * (R[j] * v[0] + R[3 + j] * v[1] + R[6 + j] * v[2]);
        for (int i = 0; i < 3; i++)
            F[i] += R[3 * i] * fb[0] + R[3 * i + 1] * fb[1] + R[3 * i + 2] * fb[2];
    }
    if (ext_force)
        for (int i = 0; i < 3; i++)
            F[i] += ext_force[i];
    for (int i = 0; i < 3; i++) {
        dx[i] = v[i];
        dx[3 + i] = F[i] / p->mass;
    }
    dx[5] -= p->gravity;
    /* quaternion kinematics: qdot = q (x) (0, w) / 2 */
    dx[6] = 0.5 * (-q[1] * w[0] - q[2] * w[1] - q[3] * w[2]);
    dx[7] = 0.5 * (q[0] * w[0] + q[2] * w[2] - q[3] * w[1]);
    dx[8] = 0.5 * (q[0] * w[1] + q[3] * w[0] - q[1] * w[2]);
    dx[9] = 0.5 * (q[0] * w[2] + q[1] * w[1] - q[2] * w[0]);
    /* Euler's equations with diagonal inertia */
    const double *J = p->inertia;
    dx[10] = (tx - (w[1] * J[2] * w[2] - w[2] * J[1] * w[1])) / J[0];
    dx[11] = (ty - (w[2] * J[0] * w[0] - w[0] * J[2] * w[2])) / J[1];
    dx[12] = (tz - (w[0] * J[1] * w[1] - w[1] * J[0] * w[0])) / J[2];
    for (int i = 0; i < 4; i++)
        dx[13 + i] = p->motor_tau > 0 ? (cmd[i] - rpm[i]) / p->motor_tau : 0;
}

/* One RK4 step of p->dt on x[17] in place with RPM commands rpm_cmd[4] (clipped to the motor
 * range here); ext_force (world frame, may be NULL) held over the step; the quaternion is
 * renormalised afterwards. */
RLC_QD void rlc__qd_step(const rlc_quad_params *p, double *x, const double rpm_cmd[4],
                         const double ext_force[3]) {
    enum { N = RLC__QD_N };
    double cmd[4];
    for (int i = 0; i < 4; i++) {
        double c = rpm_cmd[i];
        cmd[i] = c < p->min_rpm ? p->min_rpm : c > p->max_rpm ? p->max_rpm : c;
    }
    double k1[N], k2[N], k3[N], k4[N], t[N];
    if (p->motor_tau <= 0)
        for (int i = 0; i < 4; i++)
            x[13 + i] = cmd[i];
    double h = p->dt;
    rlc__qd_deriv(p, x, cmd, ext_force, k1);
    for (int i = 0; i < N; i++)
        t[i] = x[i] + 0.5 * h * k1[i];
    rlc__qd_deriv(p, t, cmd, ext_force, k2);
    for (int i = 0; i < N; i++)
        t[i] = x[i] + 0.5 * h * k2[i];
    rlc__qd_deriv(p, t, cmd, ext_force, k3);
    for (int i = 0; i < N; i++)
        t[i] = x[i] + h * k3[i];
    rlc__qd_deriv(p, t, cmd, ext_force, k4);
    for (int i = 0; i < N; i++)
        x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    double qn = sqrt(x[6] * x[6] + x[7] * x[7] + x[8] * x[8] + x[9] * x[9]);
    for (int i = 6; i < 10; i++)
        x[i] /= qn;
}

#endif
