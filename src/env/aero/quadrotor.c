/* Quadrotor rigid-body simulator (RK4, first-order motors, drag, ground effect, downwash), its
 * planar variant, the cascaded PID controller and the minimum-snap trajectory generator. */
#include <math.h>
#include <string.h>

#include "env/aero/quad_dyn.h"
#include "rlc/quadrotor.h"

void rlc_quad_params_crazyflie(rlc_quad_params *p) {
    memset(p, 0, sizeof *p);
    p->mass = 0.027;
    p->arm = 0.0397;
    p->inertia[0] = 1.4e-5;
    p->inertia[1] = 1.4e-5;
    p->inertia[2] = 2.17e-5;
    p->kf = 3.16e-10;
    p->km = 7.94e-12;
    p->motor_tau = 0.03;
    p->gravity = 9.8;
    p->min_rpm = 0;
    p->max_rpm = sqrt(2.25) * rlc_quad_hover_rpm(p);
    p->prop_radius = 0.0231348;
    p->dt = 0.01;
}

double rlc_quad_hover_rpm(const rlc_quad_params *p) {
    return sqrt(p->mass * p->gravity / (4 * p->kf));
}

double rlc_quad_action_to_rpm(const rlc_quad_params *p, double a) {
    a = a < -1 ? -1 : a > 1 ? 1 : a;
    return p->min_rpm + (a + 1) * 0.5 * (p->max_rpm - p->min_rpm);
}

double rlc_quad_rpm_to_action(const rlc_quad_params *p, double rpm) {
    double a = 2 * (rpm - p->min_rpm) / (p->max_rpm - p->min_rpm) - 1;
    return a < -1 ? -1 : a > 1 ? 1 : a;
}

void rlc_quad_params_randomize(const rlc_quad_params *base, double frac, rlc_rng *rng,
                               rlc_quad_params *out) {
    rlc_quad_params p = *base;
    double twr = 4 * base->kf * base->max_rpm * base->max_rpm / (base->mass * base->gravity);
    double ratio_min = base->max_rpm > 0 ? base->min_rpm / base->max_rpm : 0;
    double *fields[] = {&p.mass,       &p.arm, &p.inertia[0], &p.inertia[1],
                        &p.inertia[2], &p.kf,  &p.km,         &p.motor_tau};
    for (int i = 0; i < 8; i++)
        *fields[i] *= rlc_rng_uniform(rng, 1 - frac, 1 + frac);
    p.max_rpm = sqrt(twr * p.mass * p.gravity / (4 * p.kf));
    p.min_rpm = ratio_min * p.max_rpm;
    *out = p;
}

void rlc_quad_state_hover(const rlc_quad_params *p, const double pos[3], rlc_quad_state *s) {
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 3; i++)
        s->pos[i] = pos ? pos[i] : 0;
    s->quat[0] = 1;
    double h = rlc_quad_hover_rpm(p);
    for (int i = 0; i < 4; i++)
        s->rpm[i] = h;
}

void rlc_quad_quat_to_rot(const double q[4], double R[9]) {
    rlc__qd_quat_to_rot(q, R);
}

double rlc_quad_ground_factor(const rlc_quad_params *p, double z) {
    return rlc__qd_ground_factor(p, z);
}

void rlc_quad_deriv(const rlc_quad_params *p, const double *x, const double rpm_cmd[4],
                    const double ext_force[3], double *dx) {
    rlc__qd_deriv(p, x, rpm_cmd, ext_force, dx);
}

void rlc_quad_step(const rlc_quad_params *p, rlc_quad_state *s, const double rpm_cmd[4],
                   const double ext_force[3]) {
    double x[RLC_QUAD_STATE_DIM];
    memcpy(x, s, sizeof x);
    rlc__qd_step(p, x, rpm_cmd, ext_force);
    memcpy(s, x, sizeof x);
}

void rlc_quad_downwash(const rlc_quad_params *p, const double above[3], const double below[3],
                       double thrust, double force[3]) {
    force[0] = force[1] = force[2] = 0;
    double dz = above[2] - below[2];
    if (p->downwash <= 0 || dz <= 0) return;
    /* Gaussian wake whose radius grows linearly below the rotor plane and whose peak decays
     * with the spreading area (momentum conserved across the wake) */
    double dxy2 = (above[0] - below[0]) * (above[0] - below[0]) +
                  (above[1] - below[1]) * (above[1] - below[1]);
    double r0 = p->arm + p->prop_radius, w = r0 + 0.5 * dz;
    double decay = (r0 / w) * (r0 / w);
    force[2] = -p->downwash * thrust * decay * exp(-0.5 * dxy2 / (w * w));
}

void rlc_quad_step_multi(const rlc_quad_params *p, int shared, rlc_quad_state *s, int n,
                         const double *rpm_cmd) {
    enum { MAXN = 64 };
    double ext[MAXN][3];
    int m = n < MAXN ? n : MAXN;
    for (int i = 0; i < m; i++) {
        ext[i][0] = ext[i][1] = ext[i][2] = 0;
        const rlc_quad_params *pi = shared ? p : p + i;
        if (pi->downwash <= 0) continue;
        for (int j = 0; j < m; j++) {
            if (j == i) continue;
            const rlc_quad_params *pj = shared ? p : p + j;
            double T = 0, f[3];
            for (int k = 0; k < 4; k++)
                T += pj->kf * s[j].rpm[k] * s[j].rpm[k];
            rlc_quad_downwash(pi, s[j].pos, s[i].pos, T, f);
            for (int k = 0; k < 3; k++)
                ext[i][k] += f[k];
        }
    }
    for (int i = 0; i < m; i++)
        rlc_quad_step(shared ? p : p + i, &s[i], rpm_cmd + 4 * i, ext[i]);
}

/* ---- planar variant -------------------------------------------------------------------- */

static void quad2d_deriv(const rlc_quad_params *p, const double *x, const double cmd[2],
                         double *dx) {
    double ge = rlc_quad_ground_factor(p, x[1]);
    double f0 = 2 * p->kf * x[6] * x[6] * ge, f1 = 2 * p->kf * x[7] * x[7] * ge;
    double T = f0 + f1, l = p->arm / sqrt(2.0), s = sin(x[2]), c = cos(x[2]);
    dx[0] = x[3];
    dx[1] = x[4];
    dx[2] = x[5];
    dx[3] = (-s * T - p->drag[1] * x[3]) / p->mass;
    dx[4] = (c * T - p->drag[2] * x[4]) / p->mass - p->gravity;
    dx[5] = l * (f1 - f0) / p->inertia[0];
    for (int i = 0; i < 2; i++)
        dx[6 + i] = p->motor_tau > 0 ? (cmd[i] - x[6 + i]) / p->motor_tau : 0;
}

void rlc_quad2d_step(const rlc_quad_params *p, rlc_quad2d_state *s, const double rpm_cmd[2]) {
    enum { N = 8 };
    double cmd[2], x[N], k1[N], k2[N], k3[N], k4[N], t[N], h = p->dt;
    for (int i = 0; i < 2; i++) {
        double c = rpm_cmd[i];
        cmd[i] = c < p->min_rpm ? p->min_rpm : c > p->max_rpm ? p->max_rpm : c;
    }
    memcpy(x, s, sizeof x);
    if (p->motor_tau <= 0) memcpy(x + 6, cmd, sizeof cmd);
    quad2d_deriv(p, x, cmd, k1);
    for (int i = 0; i < N; i++)
        t[i] = x[i] + 0.5 * h * k1[i];
    quad2d_deriv(p, t, cmd, k2);
    for (int i = 0; i < N; i++)
        t[i] = x[i] + 0.5 * h * k2[i];
    quad2d_deriv(p, t, cmd, k3);
    for (int i = 0; i < N; i++)
        t[i] = x[i] + h * k3[i];
    quad2d_deriv(p, t, cmd, k4);
    for (int i = 0; i < N; i++)
        x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    memcpy(s, x, sizeof x);
}

/* ---- cascaded PID ---------------------------------------------------------------------- */

void rlc_quad_pid_default(rlc_quad_pid *c) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 3; i++) {
        c->kp_pos[i] = 6.0;
        c->kd_pos[i] = 4.2;
        c->ki_pos[i] = 2.0;
        c->k_att[i] = 12.0;
        c->k_rate[i] = 40.0;
    }
    c->k_att[2] = 4.0;
    c->k_rate[2] = 15.0;
    c->max_tilt = 0.6;
    c->i_limit = 1.0;
}

void rlc_quad_pid_reset(rlc_quad_pid *c) {
    c->integral[0] = c->integral[1] = c->integral[2] = 0;
}

static void cross(const double a[3], const double b[3], double o[3]) {
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

static double norm3(const double a[3]) {
    return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
}

void rlc_quad_pid_control(rlc_quad_pid *c, const rlc_quad_params *p, const rlc_quad_state *s,
                          const double pos_ref[3], const double vel_ref[3], const double acc_ref[3],
                          double yaw_ref, double rpm_out[4]) {
    double R[9], ad[3];
    rlc_quad_quat_to_rot(s->quat, R);
    /* outer loop: PID on position -> desired acceleration (with gravity compensation) */
    for (int i = 0; i < 3; i++) {
        double e = pos_ref[i] - s->pos[i], ev = (vel_ref ? vel_ref[i] : 0) - s->vel[i];
        if (fabs(e) < 0.2) c->integral[i] += e * p->dt; /* no windup in large transients */
        if (c->integral[i] > c->i_limit) c->integral[i] = c->i_limit;
        if (c->integral[i] < -c->i_limit) c->integral[i] = -c->i_limit;
        ad[i] = c->kp_pos[i] * e + c->kd_pos[i] * ev + c->ki_pos[i] * c->integral[i] +
                (acc_ref ? acc_ref[i] : 0);
    }
    ad[2] += p->gravity;
    if (ad[2] < 0.2 * p->gravity) ad[2] = 0.2 * p->gravity;
    double hmax = ad[2] * tan(c->max_tilt), hn = sqrt(ad[0] * ad[0] + ad[1] * ad[1]);
    if (hn > hmax) {
        ad[0] *= hmax / hn;
        ad[1] *= hmax / hn;
    }
    /* collective thrust = projection on the current body z axis */
    double T = p->mass * (ad[0] * R[2] + ad[1] * R[5] + ad[2] * R[8]);
    if (T < 0) T = 0;
    /* desired attitude: body z along ad, heading yaw_ref */
    double n = norm3(ad), zd[3] = {ad[0] / n, ad[1] / n, ad[2] / n};
    double xc[3] = {cos(yaw_ref), sin(yaw_ref), 0}, yd[3], xd[3];
    cross(zd, xc, yd);
    double yn = norm3(yd);
    for (int i = 0; i < 3; i++)
        yd[i] /= yn;
    cross(yd, zd, xd);
    double Rd[9] = {xd[0], yd[0], zd[0], xd[1], yd[1], zd[1], xd[2], yd[2], zd[2]};
    /* attitude error e_R = vee(Rd^T R - R^T Rd) / 2 */
    double E[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double a = 0, b = 0;
            for (int k = 0; k < 3; k++) {
                a += Rd[3 * k + i] * R[3 * k + j];
                b += R[3 * k + i] * Rd[3 * k + j];
            }
            E[3 * i + j] = a - b;
        }
    double eR[3] = {0.5 * E[7], 0.5 * E[2], 0.5 * E[3]};
    /* attitude P -> rate setpoint; rate P -> angular acceleration -> torque */
    const double *J = p->inertia, *w = s->omega;
    double tau[3], Jw[3] = {J[0] * w[0], J[1] * w[1], J[2] * w[2]}, wJw[3];
    cross(w, Jw, wJw);
    for (int i = 0; i < 3; i++) {
        double wd = -c->k_att[i] * eR[i];
        tau[i] = J[i] * c->k_rate[i] * (wd - w[i]) + wJw[i];
    }
    /* mixing: invert thrust/torque allocation of the X layout */
    double l = p->arm / sqrt(2.0);
    double a = tau[0] / l, b = tau[1] / l, cz = tau[2] * p->kf / p->km;
    double f[4] = {(T - a - b - cz) / 4, (T - a + b + cz) / 4, (T + a + b - cz) / 4,
                   (T + a - b + cz) / 4};
    for (int i = 0; i < 4; i++) {
        double r = f[i] > 0 ? sqrt(f[i] / p->kf) : 0;
        rpm_out[i] = r < p->min_rpm ? p->min_rpm : r > p->max_rpm ? p->max_rpm : r;
    }
}
