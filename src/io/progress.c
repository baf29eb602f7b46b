/* The console progress display: an updating line with a bar on a terminal, plain periodic lines
 * elsewhere, built by deterministic formatters (declared in rlc/log.h) that tests check. */
#include "rlc/log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- formatters --------------------------------------------------------------------------- */

char *rlc_progress_format_eta(double seconds, char *buf, size_t cap) {
    if (!isfinite(seconds) || seconds < 0 || seconds > 1e9) {
        snprintf(buf, cap, "?");
        return buf;
    }
    long long s = (long long)floor(seconds + 0.5);
    if (s < 60)
        snprintf(buf, cap, "%llds", s);
    else if (s < 3600)
        snprintf(buf, cap, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    return buf;
}

char *rlc_progress_format_count(double n, char *buf, size_t cap) {
    static const char units[] = {0, 'k', 'M', 'G', 'T', 'P'};
    if (!isfinite(n)) {
        snprintf(buf, cap, "?");
        return buf;
    }
    double a = fabs(n);
    if (a < 999.5) {
        snprintf(buf, cap, "%.0f", n);
        return buf;
    }
    int u = 0;
    while (u < 5 && a >= 999.5) {
        a /= 1000;
        n /= 1000;
        u++;
    }
    /* Three significant digits, decided after rounding ("9.995k" becomes "10k"). */
    char t[32];
    int dec = a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
    snprintf(t, sizeof t, "%.*f", dec, n);
    if (dec) {
        size_t len = strlen(t);
        while (t[len - 1] == '0') t[--len] = 0;
        if (t[len - 1] == '.') t[--len] = 0;
    }
    snprintf(buf, cap, "%s%c", t, units[u]);
    return buf;
}

/* A return in a width that suits its size: "195.2", "-1523", "0.95". */
static void fmt_return(char *buf, size_t cap, double r) {
    double a = fabs(r);
    if (!isfinite(r))
        snprintf(buf, cap, "%g", r);
    else if (a >= 1000)
        snprintf(buf, cap, "%.0f", r);
    else if (a >= 100)
        snprintf(buf, cap, "%.1f", r);
    else
        snprintf(buf, cap, "%.2f", r);
}

char *rlc_progress_format_line(const rlc_progress_stats *s, const char *label, int tty,
                               int width, char *buf, size_t cap) {
    char step[32], total[32], rate[32], ret[48], eta[32], el[32];
    double done = (double)(s->step - s->start_step);
    double sps = s->elapsed > 0 ? done / s->elapsed : 0;
    int known = s->total > 0;
    double frac = known ? (double)s->step / (double)s->total : 0;
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    rlc_progress_format_count(sps, rate, sizeof rate);
    if (s->n_returns > 0)
        fmt_return(ret, sizeof ret, s->mean_return);
    else
        snprintf(ret, sizeof ret, "-");
    if (known && sps > 0)
        rlc_progress_format_eta((double)(s->total - s->step) / sps, eta, sizeof eta);
    else if (known && s->step >= s->total)
        snprintf(eta, sizeof eta, "0s");
    else
        snprintf(eta, sizeof eta, "?");
    const char *lab = label ? label : "";
    const char *sep = *lab ? " " : "";
    int pct = (int)floor(frac * 100);

    if (!tty) {
        rlc_progress_format_eta(s->elapsed, el, sizeof el);
        char rets[80];
        if (s->n_returns > 0)
            snprintf(rets, sizeof rets, "%s (%d ep)", ret, s->n_returns);
        else
            snprintf(rets, sizeof rets, "-");
        if (known)
            snprintf(buf, cap,
                     "%s%sstep %lld/%lld (%d%%)  %s steps/s  return %s  elapsed %s  ETA %s", lab,
                     sep, (long long)s->step, (long long)s->total, pct, rate, rets, el, eta);
        else
            snprintf(buf, cap, "%s%sstep %lld  %s steps/s  return %s  elapsed %s", lab, sep,
                     (long long)s->step, rate, rets, el);
        return buf;
    }

    /* Terminal: label, bar, then the numbers; the bar takes whatever width is left. */
    char right[320];
    rlc_progress_format_count((double)s->step, step, sizeof step);
    if (known) {
        rlc_progress_format_count((double)s->total, total, sizeof total);
        snprintf(right, sizeof right, " %3d%% %s/%s  %s steps/s  return %s  ETA %s", pct, step,
                 total, rate, ret, eta);
    } else {
        snprintf(right, sizeof right, " %s  %s steps/s  return %s", step, rate, ret);
    }
    int avail = (width > 1 ? width : 80) - 1; /* the last column would wrap on some terminals */
    int bar = known ? avail - (int)strlen(lab) - (int)strlen(sep) - 2 - (int)strlen(right) : 0;
    if (bar > 40) bar = 40;
    char line[512];
    if (bar >= 5) {
        char b[48];
        int fill = (int)floor(frac * bar);
        for (int i = 0; i < bar; i++) b[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        b[bar] = 0;
        snprintf(line, sizeof line, "%s%s[%s]%s", lab, sep, b, right);
    } else {
        snprintf(line, sizeof line, "%s%s", lab, right + (*lab ? 0 : 1));
    }
    if ((int)strlen(line) > avail && avail >= 0) line[avail] = 0;
    snprintf(buf, cap, "%s", line);
    return buf;
}

/* ---- the display -------------------------------------------------------------------------- */

struct rlc_progress {
    FILE *out;
    int tty, width, window;
    double interval, start, last_draw;
    int64_t total, start_step, last_step;
    double *returns; /* ring of the last `window` returns */
    int n_returns, next;
    char *label;
    int drawn;
};

void rlc_progress_options_init(rlc_progress_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->tty = -1;
    o->interval = 10.0;
    o->tty_interval = 0.1;
    o->window = 100;
}

static int terminal_width(FILE *out) {
    const char *c = getenv("COLUMNS");
    if (c && atoi(c) > 10) return atoi(c);
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
    return 80;
}

rlc_status rlc_progress_create(rlc_progress **out, int64_t total_steps,
                               const rlc_progress_options *opts) {
    rlc_progress_options o;
    if (opts)
        o = *opts;
    else
        rlc_progress_options_init(&o);
    if (!out) return rlc_error(RLC_ERR_INVALID, "progress: NULL output");
    if (o.window < 1) return rlc_error(RLC_ERR_INVALID, "progress: window must be >= 1");
    rlc_progress *p = rlc_calloc(1, sizeof *p);
    if (!p) return RLC_ERR_NOMEM;
    p->returns = rlc_malloc((size_t)o.window * sizeof *p->returns);
    p->label = rlc_strdup(o.label ? o.label : "");
    if (!p->returns || !p->label) {
        rlc_free(p->returns);
        rlc_free(p->label);
        rlc_free(p);
        return RLC_ERR_NOMEM;
    }
    p->out = o.out ? o.out : stderr;
    p->tty = o.tty < 0 ? isatty(fileno(p->out)) : o.tty != 0;
    p->interval = p->tty ? o.tty_interval : o.interval;
    p->width = o.width > 0 ? o.width : (p->tty ? terminal_width(p->out) : 80);
    p->window = o.window;
    p->total = total_steps;
    p->start_step = p->last_step = o.start_step;
    p->start = p->last_draw = rlc_time_now();
    *out = p;
    return RLC_OK;
}

void rlc_progress_episode(rlc_progress *p, double episode_return) {
    if (!p) return;
    if (p->n_returns < p->window) p->n_returns++;
    p->returns[p->next] = episode_return;
    p->next = (p->next + 1) % p->window;
}

static void draw(rlc_progress *p, int64_t step, double now, int final) {
    rlc_progress_stats s = {step, p->start_step, p->total, now - p->start, 0, p->n_returns};
    if (p->n_returns) {
        /* Summed at each draw (a running sum would drift over millions of episodes). */
        double sum = 0;
        for (int i = 0; i < p->n_returns; i++) sum += p->returns[i];
        s.mean_return = sum / p->n_returns;
    }
    char line[512];
    rlc_progress_format_line(&s, p->label, p->tty, p->width, line, sizeof line);
    if (p->tty)
        fprintf(p->out, "\r%s\x1b[K%s", line, final ? "\n" : "");
    else
        fprintf(p->out, "%s\n", line);
    fflush(p->out);
    p->last_draw = now;
    p->drawn = 1;
}

void rlc_progress_update(rlc_progress *p, int64_t step) {
    if (!p) return;
    p->last_step = step;
    double now = rlc_time_now();
    if (now - p->last_draw >= p->interval) draw(p, step, now, 0);
}

void rlc_progress_finish(rlc_progress *p, int64_t step) {
    if (!p) return;
    p->last_step = step;
    draw(p, step, rlc_time_now(), 1);
}

void rlc_progress_destroy(rlc_progress *p) {
    if (!p) return;
    rlc_free(p->returns);
    rlc_free(p->label);
    rlc_free(p);
}
