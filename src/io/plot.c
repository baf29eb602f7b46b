/* A small SVG line-plot writer (text output, no dependency): axes with 1-2-5 ticks or decades,
 * one polyline per series with an optional translucent confidence band, legend and labels. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rlc/experiment.h"

/* ---------------------------------------------------------------------------------------
 * Growable text buffer
 * ------------------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *q = rlc_realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

/* XML-escaped text. */
static void sb_text(sbuf *b, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            sb_printf(b, "&lt;");
            break;
        case '>':
            sb_printf(b, "&gt;");
            break;
        case '&':
            sb_printf(b, "&amp;");
            break;
        case '"':
            sb_printf(b, "&quot;");
            break;
        case '\'':
            sb_printf(b, "&apos;");
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') sb_printf(b, "%c", *s);
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Axes
 * ------------------------------------------------------------------------------------- */

typedef struct axis {
    double lo, hi; /* data range (log10 of it for a log axis) */
    int log;
    double p0, p1; /* pixel range */
} axis;

static double ax_map(const axis *a, double v) {
    double t = a->log ? log10(v) : v;
    return a->p0 + (t - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

static int ax_ok(const axis *a, double v) {
    return isfinite(v) && (!a->log || v > 0);
}

static double nice_step(double range) {
    double raw = range / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void ax_finish(axis *a, double lo, double hi) {
    if (!(lo <= hi)) { /* no finite data */
        lo = a->log ? 1 : 0;
        hi = a->log ? 10 : 1;
    }
    if (a->log) {
        lo = log10(lo);
        hi = log10(hi);
        if (hi - lo < 1e-9) {
            lo -= 0.5;
            hi += 0.5;
        }
        lo = floor(lo * 10) / 10;
        hi = ceil(hi * 10) / 10;
    } else {
        if (hi - lo < 1e-12 * fmax(1, fabs(hi))) {
            double d = fabs(hi) > 0 ? 0.1 * fabs(hi) : 1;
            lo -= d;
            hi += d;
        }
        double st = nice_step(hi - lo);
        lo = floor(lo / st) * st;
        hi = ceil(hi / st) * st;
    }
    a->lo = lo;
    a->hi = hi;
}

static void fmt_tick(char *buf, size_t cap, double v) {
    if (fabs(v) < 1e-12) v = 0;
    snprintf(buf, cap, "%g", v);
}

/* Ticks and grid lines of one axis (vertical: x axis). */
static void draw_ticks(sbuf *b, const axis *a, int is_x, double other0, double other1) {
    double vals[64];
    int n = 0;
    if (a->log) {
        for (double e = ceil(a->lo - 1e-9); e <= a->hi + 1e-9 && n < 60; e++) {
            vals[n++] = pow(10, e);
            if (a->hi - a->lo < 2.5)
                for (int m = 2; m <= 5; m += 3) {
                    double v = m * pow(10, e);
                    if (log10(v) <= a->hi + 1e-9) vals[n++] = v;
                }
        }
    } else {
        double st = nice_step(a->hi - a->lo);
        for (double v = ceil(a->lo / st - 1e-9) * st; v <= a->hi + st * 1e-9 && n < 60; v += st)
            vals[n++] = v;
    }
    for (int i = 0; i < n; i++) {
        double p = ax_map(a, vals[i]);
        if (!isfinite(p)) continue;
        char lab[32];
        fmt_tick(lab, sizeof lab, vals[i]);
        if (is_x) {
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
                      p, other0, p, other1);
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", p,
                      other0 + 16, lab);
        } else {
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
                      other0, p, other1, p);
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", other0 - 6,
                      p + 4, lab);
        }
    }
}

static const char *const COLORS[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* ---------------------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------------------- */

void rlc_plot_options_init(rlc_plot_options *o) {
    memset(o, 0, sizeof *o);
    o->width = 640;
    o->height = 400;
}

static int pt_ok(const axis *ax, const axis *ay, const rlc_plot_series *s, int i) {
    return ax_ok(ax, s->x[i]) && ax_ok(ay, s->y[i]);
}

static int band_ok(const axis *ax, const axis *ay, const rlc_plot_series *s, int i) {
    return s->lo && s->hi && ax_ok(ax, s->x[i]) && ax_ok(ay, s->lo[i]) && ax_ok(ay, s->hi[i]);
}

static rlc_status write_file(const char *path, const sbuf *b) {
    size_t n = strlen(path);
    char *tmp = rlc_malloc(n + 12);
    if (!tmp) return RLC_ERR_NOMEM;
    snprintf(tmp, n + 12, "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rlc_status st = rlc_error(RLC_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        rlc_free(tmp);
        return st;
    }
    int bad = fwrite(b->p, 1, b->len, f) != b->len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        rlc_free(tmp);
        return rlc_error(RLC_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    rlc_free(tmp);
    return RLC_OK;
}

rlc_status rlc_plot_write_svg(const char *path, const rlc_plot_options *opts,
                              const rlc_plot_series *series, int nseries) {
    if (!path || !series || nseries < 1)
        return rlc_error(RLC_ERR_INVALID, "plot: needs a path and at least one series");
    for (int k = 0; k < nseries; k++)
        if (series[k].n < 0 || (series[k].n > 0 && (!series[k].x || !series[k].y)))
            return rlc_error(RLC_ERR_INVALID, "plot: series %d has no data arrays", k);
    rlc_plot_options o;
    rlc_plot_options_init(&o);
    if (opts) o = *opts;
    if (o.width < 100) o.width = 640;
    if (o.height < 100) o.height = 400;
    double ml = 70, mr = 20, mt = o.title ? 36 : 16, mb = o.xlabel ? 52 : 36;
    axis ax = {0, 0, o.logx, ml, o.width - mr}, ay = {0, 0, o.logy, o.height - mb, mt};
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int k = 0; k < nseries; k++) {
        const rlc_plot_series *s = &series[k];
        for (int i = 0; i < s->n; i++) {
            if (!pt_ok(&ax, &ay, s, i)) continue;
            xlo = fmin(xlo, s->x[i]);
            xhi = fmax(xhi, s->x[i]);
            ylo = fmin(ylo, s->y[i]);
            yhi = fmax(yhi, s->y[i]);
            if (band_ok(&ax, &ay, s, i)) {
                ylo = fmin(ylo, fmin(s->lo[i], s->hi[i]));
                yhi = fmax(yhi, fmax(s->lo[i], s->hi[i]));
            }
        }
    }
    ax_finish(&ax, xlo, xhi);
    ax_finish(&ay, ylo, yhi);
    sbuf b = {0};
    sb_printf(&b,
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
              "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
              o.width, o.height, o.width, o.height);
    sb_printf(&b, "<style>.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#333;stroke-width:1;"
                  "fill:none}</style>\n");
    sb_printf(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    draw_ticks(&b, &ax, 1, ay.p0, ay.p1);
    draw_ticks(&b, &ay, 0, ax.p0, ax.p1);
    sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"axis\"/>\n",
              ax.p0, ay.p1, ax.p1 - ax.p0, ay.p0 - ay.p1);
    for (int k = 0; k < nseries; k++) {
        const rlc_plot_series *s = &series[k];
        const char *col = COLORS[k % 10];
        sb_printf(&b, "<g class=\"series\" data-label=\"");
        sb_text(&b, s->label ? s->label : "");
        sb_printf(&b, "\">\n");
        /* Bands: one polygon per run of consecutive valid points. */
        for (int i = 0; i < s->n;) {
            if (!band_ok(&ax, &ay, s, i)) {
                i++;
                continue;
            }
            int j = i;
            while (j < s->n && band_ok(&ax, &ay, s, j))
                j++;
            sb_printf(&b, "<polygon fill=\"%s\" fill-opacity=\"0.2\" stroke=\"none\" points=\"",
                      col);
            for (int t = i; t < j; t++)
                sb_printf(&b, "%.2f,%.2f ", ax_map(&ax, s->x[t]), ax_map(&ay, s->hi[t]));
            for (int t = j - 1; t >= i; t--)
                sb_printf(&b, "%.2f,%.2f ", ax_map(&ax, s->x[t]), ax_map(&ay, s->lo[t]));
            sb_printf(&b, "\"/>\n");
            i = j;
        }
        for (int i = 0; i < s->n;) {
            if (!pt_ok(&ax, &ay, s, i)) {
                i++;
                continue;
            }
            int j = i;
            while (j < s->n && pt_ok(&ax, &ay, s, j))
                j++;
            if (j - i == 1)
                sb_printf(&b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n",
                          ax_map(&ax, s->x[i]), ax_map(&ay, s->y[i]), col);
            else {
                sb_printf(&b,
                          "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"",
                          col);
                for (int t = i; t < j; t++)
                    sb_printf(&b, "%.2f,%.2f ", ax_map(&ax, s->x[t]), ax_map(&ay, s->y[t]));
                sb_printf(&b, "\"/>\n");
            }
            i = j;
        }
        sb_printf(&b, "</g>\n");
    }
    /* Legend in the top-left corner of the plot area. */
    double lx = ax.p0 + 10, ly = ay.p1 + 10;
    sb_printf(&b,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"200\" height=\"%d\" fill=\"white\" "
              "fill-opacity=\"0.8\" stroke=\"#ccc\"/>\n",
              lx - 4, ly - 4, 16 * nseries + 6);
    for (int k = 0; k < nseries; k++) {
        double y = ly + 8 + 16 * k;
        sb_printf(&b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                  "stroke-width=\"3\"/>\n<text x=\"%.1f\" y=\"%.1f\">",
                  lx, y, lx + 18, y, COLORS[k % 10], lx + 24, y + 4);
        sb_text(&b, series[k].label ? series[k].label : "");
        sb_printf(&b, "</text>\n");
    }
    if (o.title) {
        sb_printf(&b, "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">",
                  0.5 * o.width);
        sb_text(&b, o.title);
        sb_printf(&b, "</text>\n");
    }
    if (o.xlabel) {
        sb_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", 0.5 * (ax.p0 + ax.p1),
                  (double)o.height - 10);
        sb_text(&b, o.xlabel);
        sb_printf(&b, "</text>\n");
    }
    if (o.ylabel) {
        double cy = 0.5 * (ay.p0 + ay.p1);
        sb_printf(&b,
                  "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
                  "transform=\"rotate(-90 16 %.1f)\">",
                  cy, cy);
        sb_text(&b, o.ylabel);
        sb_printf(&b, "</text>\n");
    }
    sb_printf(&b, "</svg>\n");
    rlc_status st = b.oom ? RLC_ERR_NOMEM : write_file(path, &b);
    if (b.oom) rlc_error(RLC_ERR_NOMEM, "plot: out of memory");
    rlc_free(b.p);
    return st;
}
