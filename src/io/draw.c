/* Raster primitives for env renderers (see draw_impl.h): pixel-centre sampling, clipped to the
 * canvas, convex polygons by scanline. */
#include <math.h>
#include <string.h>

#include "io/draw_impl.h"

static void put_span(const rlc__canvas *c, int y, int x0, int x1, uint32_t color) {
    if (y < 0 || y >= c->h) return;
    if (x0 < 0) x0 = 0;
    if (x1 > c->w) x1 = c->w;
    uint8_t r = (uint8_t)(color >> 16), g = (uint8_t)(color >> 8), b = (uint8_t)color;
    uint8_t *p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)(x0 > 0 ? x0 : 0)) * 3;
    for (int x = x0; x < x1; x++, p += 3) {
        p[0] = r;
        p[1] = g;
        p[2] = b;
    }
}

/* First pixel index whose centre is >= v, clamped to [lo, hi] before converting (no UB for
 * huge coordinates). */
static int first_center_at_or_after(double v, int lo, int hi) {
    double f = ceil(v - 0.5);
    if (!(f >= lo)) return lo;
    if (f > hi) return hi;
    return (int)f;
}

void rlc__draw_clear(const rlc__canvas *c, uint32_t color) {
    for (int y = 0; y < c->h; y++)
        put_span(c, y, 0, c->w, color);
}

uint32_t rlc__draw_get(const rlc__canvas *c, int x, int y) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return 0;
    const uint8_t *p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    return RLC__RGB(p[0], p[1], p[2]);
}

void rlc__draw_rect(const rlc__canvas *c, double x0, double y0, double x1, double y1,
                    uint32_t color) {
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return;
    if (x1 < x0) {
        double t = x0;
        x0 = x1;
        x1 = t;
    }
    if (y1 < y0) {
        double t = y0;
        y0 = y1;
        y1 = t;
    }
    int ia = first_center_at_or_after(x0, 0, c->w), ib = first_center_at_or_after(x1, 0, c->w);
    int ja = first_center_at_or_after(y0, 0, c->h), jb = first_center_at_or_after(y1, 0, c->h);
    for (int y = ja; y < jb; y++)
        put_span(c, y, ia, ib, color);
}

void rlc__draw_polygon(const rlc__canvas *c, const double *xy, int n, uint32_t color) {
    if (n < 3) return;
    double ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) return;
        ymin = fmin(ymin, xy[2 * i + 1]);
        ymax = fmax(ymax, xy[2 * i + 1]);
    }
    int ja = first_center_at_or_after(ymin, 0, c->h), jb = first_center_at_or_after(ymax, 0, c->h);
    for (int y = ja; y < jb; y++) {
        double yc = y + 0.5, xl = INFINITY, xr = -INFINITY;
        for (int i = 0; i < n; i++) {
            double ax = xy[2 * i], ay = xy[2 * i + 1];
            double bx = xy[2 * ((i + 1) % n)], by = xy[2 * ((i + 1) % n) + 1];
            /* half-open in y so a vertex on the scanline counts once per edge pair */
            if ((ay <= yc && yc < by) || (by <= yc && yc < ay)) {
                double x = ax + (yc - ay) * (bx - ax) / (by - ay);
                xl = fmin(xl, x);
                xr = fmax(xr, x);
            }
        }
        if (xl > xr) continue;
        put_span(c, y, first_center_at_or_after(xl, 0, c->w), first_center_at_or_after(xr, 0, c->w),
                 color);
    }
}

void rlc__draw_line(const rlc__canvas *c, double x0, double y0, double x1, double y1,
                    double thickness, uint32_t color) {
    double dx = x1 - x0, dy = y1 - y0, len = sqrt(dx * dx + dy * dy);
    if (!isfinite(len)) return;
    double t = thickness < 1 ? 1 : thickness;
    if (len == 0) {
        rlc__draw_rect(c, x0 - t / 2, y0 - t / 2, x0 + t / 2, y0 + t / 2, color);
        return;
    }
    double nx = -dy / len * t / 2, ny = dx / len * t / 2;
    double q[8] = {x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny};
    rlc__draw_polygon(c, q, 4, color);
}

void rlc__draw_circle(const rlc__canvas *c, double cx, double cy, double r, uint32_t color) {
    if (!isfinite(cx) || !isfinite(cy) || !isfinite(r) || r < 0) return;
    if (r < 0.5) { /* keep tiny discs visible */
        rlc__draw_rect(c, floor(cx), floor(cy), floor(cx) + 1, floor(cy) + 1, color);
        return;
    }
    int ja = first_center_at_or_after(cy - r, 0, c->h),
        jb = first_center_at_or_after(cy + r, 0, c->h);
    for (int y = ja; y <= jb && y < c->h; y++) {
        double d = y + 0.5 - cy, w2 = r * r - d * d;
        if (w2 < 0) continue;
        double hw = sqrt(w2);
        put_span(c, y, first_center_at_or_after(cx - hw, 0, c->w),
                 first_center_at_or_after(cx + hw + 1e-9, 0, c->w), color);
    }
}
