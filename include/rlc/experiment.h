/* Paper reproductions: the registry behind `rlc experiment NAME`, the statistics every table
 * reports (IQM and stratified-bootstrap confidence intervals, as rliable computes them) and a
 * small dependency-free SVG line-plot writer with confidence bands. */
#ifndef RLC_EXPERIMENT_H
#define RLC_EXPERIMENT_H

#include <stdio.h>

#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Statistics                                                                                */
/* ======================================================================================== */

/* Interquartile mean with scipy.stats.trim_mean(x, 0.25) semantics (what rliable's IQM
 * uses): sort, drop k = floor(0.25 n) values at each end, average the rest (no fractional
 * weighting: IQM(1..8) = mean(3..6) = 4.5, IQM(1..5) = mean(2..4)). NaN values are refused.
 * Errors: RLC_ERR_INVALID for NULL or n < 1, RLC_ERR_RANGE for a NaN, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_stats_iqm(const double *x, int n, double *out);

/* numpy.percentile(x, q) with the default linear interpolation, q in [0, 100]: the value at
 * rank q/100 (n - 1) of the sorted data. Errors as rlc_stats_iqm, RLC_ERR_RANGE for q outside
 * [0, 100]. */
RLC_API rlc_status rlc_stats_percentile(const double *x, int n, double q, double *out);

/* Aggregates of a runs x tasks score matrix (all scores pooled). */
typedef enum rlc_stats_aggregate {
    RLC_STATS_IQM = 0,   /* interquartile mean (trim_mean 0.25) */
    RLC_STATS_MEAN = 1,  /* mean */
    RLC_STATS_MEDIAN = 2 /* median (numpy: the mean of the two middle values for even n) */
} rlc_stats_aggregate;

/* Point estimate with a confidence interval. */
typedef struct rlc_stats_ci {
    double point, lo, hi;
} rlc_stats_ci;

/* The aggregate of scores[runs*tasks] (row-major: scores[r*tasks + t] is run r of task t).
 * Errors as rlc_stats_iqm. */
RLC_API rlc_status rlc_stats_aggregate_of(const double *scores, int runs, int tasks,
                                          rlc_stats_aggregate agg, double *out);

/* rliable's stratified bootstrap confidence interval: `reps` times, resample the runs of each
 * task independently with replacement (runs indices drawn per task, tasks never mixed), take
 * the aggregate of the pooled resampled matrix; the interval is the percentile interval
 * [percentile(100 (1-conf)/2), percentile(100 (1+conf)/2)] of the replicates (linear
 * interpolation as numpy), the point is the aggregate of the original scores. Seeded rlc_rng,
 * so results are reproducible (not rliable's numpy stream). Errors: RLC_ERR_INVALID for NULL
 * or runs/tasks/reps < 1, RLC_ERR_RANGE for conf outside (0, 1) or a NaN score,
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_stats_bootstrap_ci(const double *scores, int runs, int tasks,
                                          rlc_stats_aggregate agg, int reps, double conf,
                                          uint64_t seed, rlc_stats_ci *out);

/* ======================================================================================== */
/* SVG line plots                                                                            */
/* ======================================================================================== */

/* One series: n points (x[i], y[i]); optional band lo[i]..hi[i] (both NULL: none). Points
 * with a non-finite coordinate break the line (and the band). */
typedef struct rlc_plot_series {
    const char *label;
    const double *x, *y, *lo, *hi;
    int n;
} rlc_plot_series;

typedef struct rlc_plot_options {
    const char *title, *xlabel, *ylabel; /* NULL: none */
    int width, height;                   /* pixels (default 640 x 400) */
    int logx, logy;                      /* logarithmic axes (non-positive values skipped) */
} rlc_plot_options;

/* Fills *o with the defaults (no labels, 640 x 400, linear axes). */
RLC_API void rlc_plot_options_init(rlc_plot_options *o);

/* Writes a standalone SVG line plot: axes with "nice" 1-2-5 ticks, one coloured polyline per
 * series, translucent bands, a legend, title and axis labels (text is XML-escaped). The file is
 * written to a temporary file beside `path` and renamed into place. opts NULL: defaults.
 * Errors: RLC_ERR_INVALID for NULL path/series, nseries < 1 or a series with n < 0 or NULL
 * x/y, RLC_ERR_IO naming the path, RLC_ERR_NOMEM. A plot with no finite point is written
 * with a default unit range. */
RLC_API rlc_status rlc_plot_write_svg(const char *path, const rlc_plot_options *opts,
                                      const rlc_plot_series *series, int nseries);

/* ======================================================================================== */
/* Experiments                                                                               */
/* ======================================================================================== */

typedef struct rlc_experiment_options {
    int quick;           /* seconds-long version (tests) */
    int seeds;           /* number of seeds; 0: the experiment's default */
    const char *out_dir; /* folder for results.csv, summary.md and the figures (created with
                            parents); NULL: write no files */
    FILE *log;           /* the table and the claim line; NULL: silent */
} rlc_experiment_options;

/* Fills *o with the defaults (full run, default seeds, no files, no log). */
RLC_API void rlc_experiment_options_init(rlc_experiment_options *o);

#define RLC_EXPERIMENT_MAX_FIGURES 4

typedef struct rlc_experiment_result {
    int claim_held;   /* 1: the claim held, 0: it did not */
    char reason[512]; /* one line: the numbers behind the verdict */
    int seeds;        /* seeds that were run */
    double seconds;   /* wall time */
    int nfigures;     /* figures written (file names in out_dir) */
    char figures[RLC_EXPERIMENT_MAX_FIGURES][128];
} rlc_experiment_result;

/* A registered reproduction of a roadmap row. */
typedef struct rlc_experiment {
    const char *name;   /* short name: `rlc experiment NAME` */
    int row;            /* row of papers/roadmap.md */
    const char *title;  /* paper / method */
    const char *claim;  /* the claim checked, in one sentence */
    const char *status; /* outcome of the last full run recorded in docs/experiments/NAME.md:
                           "reproduced", "not reproduced" or "not run" */
    /* Runs the experiment; the shared driver (rlc_experiment_run) handles timing. */
    rlc_status (*run)(const rlc_experiment_options *o, rlc_experiment_result *res);
} rlc_experiment;

/* Number of registered experiments, and the i-th (NULL when out of range), in row order. */
RLC_API int rlc_experiment_count(void);
RLC_API const rlc_experiment *rlc_experiment_get(int i);
/* The experiment called `name`, or NULL. */
RLC_API const rlc_experiment *rlc_experiment_find(const char *name);

/* Runs `e`: every method over the seeds, prints the table (method, IQM, 95% CI) and the final
 * line "claim held: yes (reason)" / "claim held: no (reason)" to o->log, and writes
 * results.csv, summary.md and the figures into o->out_dir. A claim that does not hold is not
 * an error. Errors: RLC_ERR_INVALID for NULL arguments or seeds < 0, RLC_ERR_IO for files,
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_experiment_run(const rlc_experiment *e, const rlc_experiment_options *o,
                                      rlc_experiment_result *res);

#ifdef __cplusplus
}
#endif
#endif
