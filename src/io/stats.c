/* Aggregate statistics for experiment tables, following rliable: the interquartile mean with
 * scipy's trim_mean(0.25) semantics, numpy's linear-interpolation percentile, and stratified
 * bootstrap percentile confidence intervals over a runs x tasks score matrix. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rlc/experiment.h"
#include "rlc/rng.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static rlc_status check_data(const double *x, int n, const char *what) {
    if (!x || n < 1) return rlc_error(RLC_ERR_INVALID, "%s: needs at least one value", what);
    for (int i = 0; i < n; i++)
        if (isnan(x[i])) return rlc_error(RLC_ERR_RANGE, "%s: value %d is NaN", what, i);
    return RLC_OK;
}

/* Aggregate of sorted data. */
static double agg_sorted(const double *s, int n, rlc_stats_aggregate agg) {
    double acc = 0;
    switch (agg) {
    case RLC_STATS_IQM: {
        int k = (int)(0.25 * n); /* scipy: int(proportiontocut * nobs) */
        for (int i = k; i < n - k; i++)
            acc += s[i];
        return acc / (n - 2 * k);
    }
    case RLC_STATS_MEDIAN:
        return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    case RLC_STATS_MEAN:
    default:
        for (int i = 0; i < n; i++)
            acc += s[i];
        return acc / n;
    }
}

static double percentile_sorted(const double *s, int n, double q) {
    double rank = q / 100.0 * (n - 1);
    int lo = (int)floor(rank);
    if (lo >= n - 1) return s[n - 1];
    double f = rank - lo;
    return s[lo] + (s[lo + 1] - s[lo]) * f;
}

static rlc_status sorted_copy(const double *x, int n, double **out) {
    double *s = rlc_malloc(sizeof(double) * (size_t)n);
    if (!s) return RLC_ERR_NOMEM;
    memcpy(s, x, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    *out = s;
    return RLC_OK;
}

rlc_status rlc_stats_aggregate_of(const double *scores, int runs, int tasks,
                                  rlc_stats_aggregate agg, double *out) {
    if (!out || runs < 1 || tasks < 1)
        return rlc_error(RLC_ERR_INVALID, "stats: needs runs, tasks >= 1 and an output");
    int n = runs * tasks;
    rlc_status st = check_data(scores, n, "stats");
    if (st) return st;
    double *s;
    if ((st = sorted_copy(scores, n, &s))) return st;
    *out = agg_sorted(s, n, agg);
    rlc_free(s);
    return RLC_OK;
}

rlc_status rlc_stats_iqm(const double *x, int n, double *out) {
    if (!out) return rlc_error(RLC_ERR_INVALID, "iqm: NULL output");
    rlc_status st = check_data(x, n, "iqm");
    if (st) return st;
    return rlc_stats_aggregate_of(x, n, 1, RLC_STATS_IQM, out);
}

rlc_status rlc_stats_percentile(const double *x, int n, double q, double *out) {
    if (!out) return rlc_error(RLC_ERR_INVALID, "percentile: NULL output");
    rlc_status st = check_data(x, n, "percentile");
    if (st) return st;
    if (!(q >= 0 && q <= 100))
        return rlc_error(RLC_ERR_RANGE, "percentile: q = %g must be in [0, 100]", q);
    double *s;
    if ((st = sorted_copy(x, n, &s))) return st;
    *out = percentile_sorted(s, n, q);
    rlc_free(s);
    return RLC_OK;
}

rlc_status rlc_stats_bootstrap_ci(const double *scores, int runs, int tasks,
                                  rlc_stats_aggregate agg, int reps, double conf, uint64_t seed,
                                  rlc_stats_ci *out) {
    if (!out || runs < 1 || tasks < 1 || reps < 1)
        return rlc_error(RLC_ERR_INVALID, "bootstrap: needs runs, tasks, reps >= 1 and an output");
    if (!(conf > 0 && conf < 1))
        return rlc_error(RLC_ERR_RANGE, "bootstrap: confidence %g must be in (0, 1)", conf);
    int n = runs * tasks;
    rlc_status st = check_data(scores, n, "bootstrap");
    if (st) return st;
    double *buf = rlc_malloc(sizeof(double) * (size_t)n),
           *rep = rlc_malloc(sizeof(double) * (size_t)reps);
    if (!buf || !rep) {
        rlc_free(buf);
        rlc_free(rep);
        return RLC_ERR_NOMEM;
    }
    memcpy(buf, scores, sizeof(double) * (size_t)n);
    qsort(buf, (size_t)n, sizeof(double), cmp_double);
    double point = agg_sorted(buf, n, agg);
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    for (int b = 0; b < reps; b++) {
        for (int t = 0; t < tasks; t++)
            for (int r = 0; r < runs; r++) {
                int pick = (int)rlc_rng_integers(&rng, 0, runs);
                buf[(size_t)r * tasks + t] = scores[(size_t)pick * tasks + t];
            }
        qsort(buf, (size_t)n, sizeof(double), cmp_double);
        rep[b] = agg_sorted(buf, n, agg);
    }
    qsort(rep, (size_t)reps, sizeof(double), cmp_double);
    out->point = point;
    out->lo = percentile_sorted(rep, reps, 100.0 * (1 - conf) / 2);
    out->hi = percentile_sorted(rep, reps, 100.0 * (1 + conf) / 2);
    rlc_free(buf);
    rlc_free(rep);
    return RLC_OK;
}
