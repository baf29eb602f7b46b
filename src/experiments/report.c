/* The shared report writer of the experiments: console table (IQM and 95% stratified-bootstrap
 * CI per method), results.csv, figures (SVG + CSV) with confidence bands, summary.md and the
 * final "claim held: yes/no (reason)" line. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/log.h"

static void md_vappend(rlc__exp *x, const char *fmt, va_list ap) {
    if (x->err) return;
    for (;;) {
        va_list aq;
        va_copy(aq, ap);
        size_t room = x->md_cap - x->md_len;
        int n = vsnprintf(x->md ? x->md + x->md_len : NULL, x->md ? room : 0, fmt, aq);
        va_end(aq);
        if (n < 0) return;
        if (x->md && (size_t)n < room) {
            x->md_len += (size_t)n;
            return;
        }
        size_t cap = x->md_cap ? x->md_cap * 2 : 4096;
        while (cap < x->md_len + (size_t)n + 1)
            cap *= 2;
        char *p = rlc_realloc(x->md, cap);
        if (!p) {
            x->err = rlc_error(RLC_ERR_NOMEM, "experiment report: out of memory");
            return;
        }
        x->md = p;
        x->md_cap = cap;
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
md(rlc__exp *x, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    md_vappend(x, fmt, ap);
    va_end(ap);
}

static void path_join(char *buf, size_t cap, const char *dir, const char *file) {
    snprintf(buf, cap, "%s/%s", dir, file);
}

rlc_status rlc__exp_apply_sets(const rlc_config_table *t, void *cfg, const char *list) {
    char buf[2048], *save = NULL;
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return rlc_error(RLC_ERR_INVALID, "experiment: settings list longer than %zu bytes",
                         sizeof buf - 1);
    rlc_status st = RLC_OK;
    for (char *tok = strtok_r(buf, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save))
        st = rlc_config_assign(t, cfg, tok);
    return st;
}

rlc_status rlc__exp_make_agent(rlc_agent **out, const char *algo, const char *env,
                               const char *kwargs, const char *sets, uint64_t seed) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    if (!t) return rlc_error(RLC_ERR_NOT_FOUND, "experiment: unknown algorithm '%s'", algo);
    void *cfg = rlc_malloc(t->size);
    if (!cfg) return RLC_ERR_NOMEM;
    rlc_config_defaults(t, cfg);
    char rel[128], path[1024];
    snprintf(rel, sizeof rel, "defaults/%s.json", algo);
    rlc_status st = RLC_OK;
    if (!rlc_data_find(rel, path, sizeof path))
        st = rlc_config_apply_env_defaults(t, cfg, path, env, NULL);
    if (!st && sets && *sets) st = rlc__exp_apply_sets(t, cfg, sets);
    if (!st) st = rlc_agent_create(out, algo, env, kwargs, cfg, seed);
    rlc_free(cfg);
    return st;
}

rlc_status rlc__exp_begin(rlc__exp *x, const rlc_experiment *e, const rlc_experiment_options *o,
                          rlc_experiment_result *res, int full_seeds, int quick_seeds) {
    memset(x, 0, sizeof *x);
    x->e = e;
    x->o = o;
    x->res = res;
    x->seeds = o->seeds > 0 ? o->seeds : (o->quick ? quick_seeds : full_seeds);
    x->t0 = rlc_time_now();
    res->seeds = x->seeds;
    if (o->out_dir) { /* (nothing to free yet if these fail) */
        rlc_status st = rlc_run_dir_create(o->out_dir, 1);
        if (st) return st;
        char p[1024];
        path_join(p, sizeof p, o->out_dir, "results.csv");
        x->csv = fopen(p, "w");
        if (!x->csv) return rlc_error(RLC_ERR_IO, "cannot write '%s': %s", p, strerror(errno));
        fprintf(x->csv, "method,seed,metric,value\n");
    }
    if (o->log) {
        fprintf(o->log, "experiment %s (roadmap row %d): %s\n", e->name, e->row, e->title);
        fprintf(o->log, "claim: %s\n", e->claim);
        fprintf(o->log, "%s run, %d seeds\n", o->quick ? "quick" : "full", x->seeds);
    }
    md(x, "# %s: %s\n\nRoadmap row %d. Claim checked: %s.\n\n", e->name, e->title, e->row,
       e->claim);
    char date[64];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(date, sizeof date, "%Y-%m-%d %H:%M", localtime_r(&now, &tmv));
    md(x, "Run: %s, %d seeds, started %s.\n\n", o->quick ? "quick (--quick)" : "full", x->seeds,
       date);
    return RLC_OK;
}

void rlc__exp_record(rlc__exp *x, const char *method, int seed, const char *metric, double value) {
    if (!x->csv) return;
    fprintf(x->csv, "\"%s\",%d,\"%s\",%.17g\n", method, seed, metric, value);
}

void rlc__exp_table(rlc__exp *x, const char *metric) {
    if (x->o->log) {
        fprintf(x->o->log, "\n%-34s %12s  %-26s\n", "method", "IQM", "95% CI");
        fprintf(x->o->log, "%s\n", metric);
    }
    md(x, "\n%s:\n\n| method | IQM | 95%% CI |\n|---|---|---|\n", metric);
    x->table_open = 1;
}

void rlc__exp_row(rlc__exp *x, const char *method, const char *metric, const double *scores, int n,
                  rlc_stats_ci *ci) {
    rlc_stats_ci c = {0, 0, 0};
    rlc_status st = rlc_stats_bootstrap_ci(scores, n, 1, RLC_STATS_IQM, 2000, 0.95, 12345, &c);
    if (st && !x->err) x->err = st;
    for (int i = 0; i < n; i++)
        rlc__exp_record(x, method, i, metric, scores[i]);
    if (x->o->log) fprintf(x->o->log, "%-34s %12.4g  [%.4g, %.4g]\n", method, c.point, c.lo, c.hi);
    md(x, "| %s | %.4g | [%.4g, %.4g] |\n", method, c.point, c.lo, c.hi);
    if (ci) *ci = c;
}

void rlc__exp_curves(rlc__exp *x, const char *file, const char *title, const char *xlabel,
                     const char *ylabel, int logx, int logy, int nm, const char *const *labels,
                     const double *xs, int npts, const double *values) {
    if (x->err || !x->o->out_dir) return;
    int S = x->seeds;
    size_t n = (size_t)nm * npts;
    double *iqm = rlc_malloc(sizeof(double) * n), *lo = rlc_malloc(sizeof(double) * n),
           *hi = rlc_malloc(sizeof(double) * n), *col = rlc_malloc(sizeof(double) * (size_t)S);
    rlc_plot_series *ser = rlc_calloc((size_t)nm, sizeof *ser);
    if (!iqm || !lo || !hi || !col || !ser) {
        x->err = RLC_ERR_NOMEM;
        goto done;
    }
    char path[1024], name[120];
    snprintf(name, sizeof name, "%s.csv", file);
    path_join(path, sizeof path, x->o->out_dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        x->err = rlc_error(RLC_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        goto done;
    }
    fprintf(f, "method,x,iqm,lo,hi\n");
    for (int m = 0; m < nm; m++) {
        for (int p = 0; p < npts; p++) {
            int k = 0;
            for (int s = 0; s < S; s++) {
                double v = values[((size_t)m * S + s) * npts + p];
                if (!isnan(v)) col[k++] = v;
            }
            rlc_stats_ci c = {NAN, NAN, NAN};
            if (k > 0) rlc_stats_bootstrap_ci(col, k, 1, RLC_STATS_IQM, 500, 0.95, 777 + p, &c);
            size_t i = (size_t)m * npts + p;
            iqm[i] = c.point;
            lo[i] = c.lo;
            hi[i] = c.hi;
            fprintf(f, "\"%s\",%.17g,%.17g,%.17g,%.17g\n", labels[m], xs[p], c.point, c.lo, c.hi);
        }
        ser[m].label = labels[m];
        ser[m].x = xs;
        ser[m].y = iqm + (size_t)m * npts;
        ser[m].lo = lo + (size_t)m * npts;
        ser[m].hi = hi + (size_t)m * npts;
        ser[m].n = npts;
    }
    if (fclose(f) != 0) {
        x->err = rlc_error(RLC_ERR_IO, "cannot write '%s'", path);
        goto done;
    }
    rlc_plot_options po;
    rlc_plot_options_init(&po);
    po.title = title;
    po.xlabel = xlabel;
    po.ylabel = ylabel;
    po.logx = logx;
    po.logy = logy;
    snprintf(name, sizeof name, "%s.svg", file);
    path_join(path, sizeof path, x->o->out_dir, name);
    rlc_status st = rlc_plot_write_svg(path, &po, ser, nm);
    if (st) {
        x->err = st;
        goto done;
    }
    rlc_experiment_result *r = x->res;
    if (r->nfigures < RLC_EXPERIMENT_MAX_FIGURES)
        snprintf(r->figures[r->nfigures++], sizeof r->figures[0], "%s", name);
    md(x, "\n![%s](%s)\n\n(IQM over seeds, band: 95%% stratified-bootstrap CI; data in %s.csv)\n",
       title, name, file);
done:
    rlc_free(iqm);
    rlc_free(lo);
    rlc_free(hi);
    rlc_free(col);
    rlc_free(ser);
}

void rlc__exp_note(rlc__exp *x, int echo, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (echo && x->o->log) {
        va_list aq;
        va_copy(aq, ap);
        vfprintf(x->o->log, fmt, aq);
        fputc('\n', x->o->log);
        va_end(aq);
    }
    md(x, "\n");
    md_vappend(x, fmt, ap);
    md(x, "\n");
    va_end(ap);
}

static rlc_status write_summary(rlc__exp *x) {
    if (!x->o->out_dir) return RLC_OK;
    char p[1024];
    path_join(p, sizeof p, x->o->out_dir, "summary.md");
    FILE *f = fopen(p, "w");
    if (!f) return rlc_error(RLC_ERR_IO, "cannot write '%s': %s", p, strerror(errno));
    int bad = x->md_len && fwrite(x->md, 1, x->md_len, f) != x->md_len;
    bad |= fclose(f) != 0;
    return bad ? rlc_error(RLC_ERR_IO, "cannot write '%s'", p) : RLC_OK;
}

rlc_status rlc__exp_end(rlc__exp *x, int claim_held, const char *reason_fmt, ...) {
    rlc_experiment_result *r = x->res;
    va_list ap;
    va_start(ap, reason_fmt);
    vsnprintf(r->reason, sizeof r->reason, reason_fmt, ap);
    va_end(ap);
    r->claim_held = claim_held ? 1 : 0;
    r->seconds = rlc_time_now() - x->t0;
    md(x, "\nWall time: %.1f s.\n\n**claim held: %s** (%s)\n", r->seconds,
       claim_held ? "yes" : "no", r->reason);
    rlc_status st = x->err;
    if (!st) st = write_summary(x);
    if (x->csv && fclose(x->csv) != 0 && !st)
        st = rlc_error(RLC_ERR_IO, "cannot write results.csv");
    x->csv = NULL;
    if (x->o->log) {
        fprintf(x->o->log, "\nwall time %.1f s", r->seconds);
        if (x->o->out_dir) fprintf(x->o->log, "; results in %s/", x->o->out_dir);
        fprintf(x->o->log, "\nclaim held: %s (%s)\n", claim_held ? "yes" : "no", r->reason);
    }
    rlc_free(x->md);
    x->md = NULL;
    return st;
}

void rlc__exp_abort(rlc__exp *x) {
    if (x->csv) fclose(x->csv);
    x->csv = NULL;
    rlc_free(x->md);
    x->md = NULL;
}
