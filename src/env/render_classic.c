/* Renderers of the classic-control envs: Gymnasium's pygame scenes (same reference screen,
 * geometry and colours) drawn with io/draw_impl.h and scaled to the requested size. */
#include <math.h>

#include "env/classic/classic_impl.h"
#include "env/render_impl.h"
#include "io/draw_impl.h"

#define WHITE RLC__RGB(255, 255, 255)
#define BLACK RLC__RGB(0, 0, 0)

/* Maps Gymnasium's reference screen (w0 x h0, y up: pygame coordinates before the final
 * vertical flip) to the canvas. */
typedef struct view {
    rlc__canvas c;
    double sx, sy, h0;
} view;

static view make_view(uint8_t *rgb, int width, int height, double w0, double h0) {
    view v = {{rgb, width, height}, width / w0, height / h0, h0};
    return v;
}

static double px(const view *v, double x) {
    return x * v->sx;
}
static double py(const view *v, double y) {
    return (v->h0 - y) * v->sy;
}
static double plen(const view *v, double l) {
    return l * 0.5 * (v->sx + v->sy);
}

/* Polygon given in reference coordinates. */
static void poly(const view *v, const double *xy, int n, uint32_t color) {
    double p[16];
    for (int i = 0; i < n && i < 8; i++) {
        p[2 * i] = px(v, xy[2 * i]);
        p[2 * i + 1] = py(v, xy[2 * i + 1]);
    }
    rlc__draw_polygon(&v->c, p, n, color);
}

static void disc(const view *v, double x, double y, double r, uint32_t color) {
    rlc__draw_circle(&v->c, px(v, x), py(v, y), plen(v, r), color);
}

static void line(const view *v, double x0, double y0, double x1, double y1, double t,
                 uint32_t color) {
    rlc__draw_line(&v->c, px(v, x0), py(v, y0), px(v, x1), py(v, y1), plen(v, t), color);
}

/* The rectangle l..r x b..t rotated by `a` (pygame's Vector2.rotate_rad) then moved by
 * (ox, oy), as a 4-point polygon. */
static void rotated_box(double l, double r, double b, double t, double a, double ox, double oy,
                        double *out) {
    const double pts[8] = {l, b, l, t, r, t, r, b};
    double ca = cos(a), sa = sin(a);
    for (int i = 0; i < 4; i++) {
        double x = pts[2 * i], y = pts[2 * i + 1];
        out[2 * i] = x * ca - y * sa + ox;
        out[2 * i + 1] = x * sa + y * ca + oy;
    }
}

static void draw_cartpole(const rlc__cartpole *e, uint8_t *rgb, int width, int height) {
    const double W = 600, H = 400;
    view v = make_view(rgb, width, height, W, H);
    double scale = W / (e->x_threshold * 2);
    double polewidth = 10.0, polelen = scale * (2 * e->length);
    double cartwidth = 50.0, cartheight = 30.0, axleoffset = cartheight / 4.0;
    double cartx = e->s.x * scale + W / 2.0, carty = 100;
    rlc__draw_clear(&v.c, WHITE);
    double q[8];
    rotated_box(-cartwidth / 2, cartwidth / 2, -cartheight / 2, cartheight / 2, 0, cartx, carty, q);
    poly(&v, q, 4, BLACK);
    rotated_box(-polewidth / 2, polewidth / 2, -polewidth / 2, polelen - polewidth / 2, -e->s.theta,
                cartx, carty + axleoffset, q);
    poly(&v, q, 4, RLC__RGB(202, 152, 101));
    disc(&v, cartx, carty + axleoffset, polewidth / 2, RLC__RGB(129, 132, 203));
    line(&v, 0, carty, W, carty, 1, BLACK);
}

rlc_status rlc__render_cartpole(const void *self, uint8_t *rgb, int width, int height) {
    draw_cartpole(self, rgb, width, height);
    return RLC_OK;
}

rlc_status rlc__render_cartpole_swingup(const void *self, uint8_t *rgb, int width, int height) {
    draw_cartpole(self, rgb, width, height);
    return RLC_OK;
}

static double hill(double x) {
    return sin(3 * x) * .45 + .55;
}

rlc_status rlc__render_mountaincar(const void *self, uint8_t *rgb, int width, int height) {
    const rlc__mountaincar *e = self;
    const double W = 600, H = 400;
    view v = make_view(rgb, width, height, W, H);
    double lo = e->min_position, hi = e->max_position;
    double scale = W / (hi - lo), carwidth = 40, carheight = 20, clearance = 10;
    double pos = e->s.position;
    rlc__draw_clear(&v.c, WHITE);
    for (int i = 0; i < 99; i++) { /* np.linspace(min, max, 100) */
        double xa = lo + (hi - lo) * i / 99.0, xb = lo + (hi - lo) * (i + 1) / 99.0;
        line(&v, (xa - lo) * scale, hill(xa) * scale, (xb - lo) * scale, hill(xb) * scale, 1.5,
             BLACK);
    }
    double ang = cos(3 * pos), ox = (pos - lo) * scale, oy = clearance + hill(pos) * scale;
    double q[8];
    rotated_box(-carwidth / 2, carwidth / 2, 0, carheight, ang, ox, oy, q);
    poly(&v, q, 4, BLACK);
    for (int k = 0; k < 2; k++) {
        double wx = k ? -carwidth / 4 : carwidth / 4;
        double cx = wx * cos(ang) + ox, cy = wx * sin(ang) + oy;
        disc(&v, cx, cy, carheight / 2.5, RLC__RGB(128, 128, 128));
    }
    double flagx = (e->goal_position - lo) * scale, flagy1 = hill(e->goal_position) * scale;
    double flagy2 = flagy1 + 50;
    line(&v, flagx, flagy1, flagx, flagy2, 1, BLACK);
    double tri[6] = {flagx, flagy2, flagx, flagy2 - 10, flagx + 25, flagy2 - 5};
    poly(&v, tri, 3, RLC__RGB(204, 204, 0));
    return RLC_OK;
}

rlc_status rlc__render_pendulum(const void *self, uint8_t *rgb, int width, int height) {
    const rlc__pendulum *e = self;
    const double W = 500, H = 500, bound = 2.2;
    view v = make_view(rgb, width, height, W, H);
    double scale = W / (bound * 2), offset = W / 2;
    double rod_length = 1 * scale, rod_width = 0.2 * scale, a = e->s.theta + M_PI / 2;
    uint32_t red = RLC__RGB(204, 77, 77);
    rlc__draw_clear(&v.c, WHITE);
    double q[8];
    rotated_box(0, rod_length, -rod_width / 2, rod_width / 2, a, offset, offset, q);
    poly(&v, q, 4, red);
    disc(&v, offset, offset, rod_width / 2, red);
    disc(&v, rod_length * cos(a) + offset, rod_length * sin(a) + offset, rod_width / 2, red);
    /* Gymnasium shows an arrow image sized by |u|; an arc with a head, turning with u. */
    double u = e->s.last_u;
    if (u != 0 && isfinite(u)) {
        double r = scale * fabs(u) / 4, dir = u > 0 ? 1 : -1, a0 = -M_PI / 4, span = 1.5 * M_PI;
        int segs = 24;
        for (int i = 0; i < segs; i++) {
            double t0 = a0 + dir * span * i / segs, t1 = a0 + dir * span * (i + 1) / segs;
            line(&v, offset + r * cos(t0), offset + r * sin(t0), offset + r * cos(t1),
                 offset + r * sin(t1), 0.02 * scale, BLACK);
        }
        double te = a0 + dir * span, ex = offset + r * cos(te), ey = offset + r * sin(te);
        double tx = -sin(te) * dir, ty = cos(te) * dir, hs = 0.08 * scale; /* tangent */
        double tri[6] = {ex + tx * hs,       ey + ty * hs,       ex - ty * hs * 0.6,
                         ey + tx * hs * 0.6, ex + ty * hs * 0.6, ey - tx * hs * 0.6};
        poly(&v, tri, 3, BLACK);
    }
    disc(&v, offset, offset, 0.05 * scale, BLACK);
    return RLC_OK;
}

rlc_status rlc__render_acrobot(const void *self, uint8_t *rgb, int width, int height) {
    const rlc__acrobot *e = self;
    const double W = 500, H = 500;
    view v = make_view(rgb, width, height, W, H);
    double bound = e->l1 + e->l2 + 0.2, scale = W / (bound * 2), offset = W / 2;
    const double *s = e->s.s;
    rlc__draw_clear(&v.c, WHITE);
    /* p1, p2 with x and y swapped, as Gymnasium's xys[:, ::-1] */
    double p1x = e->l1 * sin(s[0]) * scale, p1y = -e->l1 * cos(s[0]) * scale;
    double xs[2] = {0, p1x}, ys[2] = {0, p1y};
    double th[2] = {s[0] - M_PI / 2, s[0] + s[1] - M_PI / 2};
    double len[2] = {e->l1 * scale, e->l2 * scale};
    line(&v, -2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset, 1,
         BLACK);
    for (int k = 0; k < 2; k++) {
        double x = xs[k] + offset, y = ys[k] + offset, q[8];
        rotated_box(0, len[k], -.1 * scale, .1 * scale, th[k], x, y, q);
        poly(&v, q, 4, RLC__RGB(0, 204, 204));
        disc(&v, x, y, .1 * scale, RLC__RGB(204, 204, 0));
    }
    return RLC_OK;
}
