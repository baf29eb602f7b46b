/* Renderer of the 3D quadrotor envs: an oblique orthographic view of the ground grid, the
 * targets, the vehicles' shadows, arms and rotors (front rotors blue, back rotors red). */
#include <math.h>

#include "env/aero/aero_impl.h"
#include "io/draw_impl.h"

typedef struct view {
    double c[3], scale, r[3], u[3];
    int w, h;
} view;

static void project(const view *v, const double p[3], double *x, double *y) {
    double d[3] = {p[0] - v->c[0], p[1] - v->c[1], p[2] - v->c[2]};
    *x = 0.5 * v->w + v->scale * (d[0] * v->r[0] + d[1] * v->r[1] + d[2] * v->r[2]);
    *y = 0.5 * v->h - v->scale * (d[0] * v->u[0] + d[1] * v->u[1] + d[2] * v->u[2]);
}

static void seg3(const rlc__canvas *cv, const view *v, const double a[3], const double b[3],
                 double th, uint32_t col) {
    double x0, y0, x1, y1;
    project(v, a, &x0, &y0);
    project(v, b, &x1, &y1);
    rlc__draw_line(cv, x0, y0, x1, y1, th, col);
}

void rlc__quad_render_scene(uint8_t *rgb, int width, int height, const rlc_quad_params *p,
                            const rlc_quad_state *s, int n, const double *targets,
                            const double centre[3], double extent) {
    rlc__canvas cv = {rgb, width, height};
    rlc__draw_clear(&cv, RLC__RGB(235, 240, 245));
    const double az = -0.9, el = 0.45; /* camera azimuth / elevation (rad) */
    view v = {{centre[0], centre[1], centre[2]},
              0.5 * (width < height ? width : height) / extent,
              {-sin(az), cos(az), 0},
              {-sin(el) * cos(az), -sin(el) * sin(az), cos(el)},
              width,
              height};
    /* ground grid at z = 0 */
    double g = ceil(extent * 2);
    for (double t = -g; t <= g; t += 0.5) {
        double a[3] = {centre[0] + t, centre[1] - g, 0}, b[3] = {centre[0] + t, centre[1] + g, 0};
        seg3(&cv, &v, a, b, 1, RLC__RGB(200, 205, 210));
        double c2[3] = {centre[0] - g, centre[1] + t, 0}, d[3] = {centre[0] + g, centre[1] + t, 0};
        seg3(&cv, &v, c2, d, 1, RLC__RGB(200, 205, 210));
    }
    double mark = 0.04 * extent, th = width / 160.0 + 1;
    for (int k = 0; targets && k < n; k++) {
        const double *t = targets + 3 * k;
        for (int ax = 0; ax < 3; ax++) {
            double a[3] = {t[0], t[1], t[2]}, b[3] = {t[0], t[1], t[2]};
            a[ax] -= mark;
            b[ax] += mark;
            seg3(&cv, &v, a, b, th, RLC__RGB(40, 170, 60));
        }
    }
    double vis = 0.08 * extent / p->arm; /* drawing enlargement of the vehicle */
    for (int k = 0; k < n; k++) {
        double R[9], m[4][3], ctr[3] = {s[k].pos[0], s[k].pos[1], s[k].pos[2]};
        rlc_quad_quat_to_rot(s[k].quat, R);
        static const double MX[4] = {1, -1, -1, 1}, MY[4] = {-1, -1, 1, 1};
        double l = p->arm / sqrt(2.0) * vis;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++)
                m[i][j] = ctr[j] + R[3 * j] * MX[i] * l + R[3 * j + 1] * MY[i] * l;
        /* shadow */
        double sh0[3] = {ctr[0], ctr[1], 0}, sx, sy;
        project(&v, sh0, &sx, &sy);
        rlc__draw_circle(&cv, sx, sy, l * v.scale * 0.8, RLC__RGB(190, 195, 200));
        seg3(&cv, &v, m[0], m[2], th, RLC__RGB(50, 50, 60));
        seg3(&cv, &v, m[1], m[3], th, RLC__RGB(50, 50, 60));
        for (int i = 0; i < 4; i++) {
            double x, y;
            project(&v, m[i], &x, &y);
            int front = MX[i] > 0;
            rlc__draw_circle(&cv, x, y, 0.45 * l * v.scale,
                             front ? RLC__RGB(50, 90, 200) : RLC__RGB(200, 60, 50));
        }
        double bx, by;
        project(&v, ctr, &bx, &by);
        rlc__draw_circle(&cv, bx, by, 0.2 * l * v.scale, RLC__RGB(20, 20, 25));
    }
}
