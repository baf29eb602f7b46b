/* Internals of the experiment files (src/experiments/): the shared report writer every
 * reproduction uses for its table (IQM, 95% stratified-bootstrap CI), results.csv, figures with
 * confidence bands, summary.md and the final claim line. */
#ifndef RLC_EXP_IMPL_H
#define RLC_EXP_IMPL_H

#include <stdio.h>

#include "rlc/config.h"
#include "rlc/experiment.h"

/* One running report. Begin, record rows/figures/notes, end. */
typedef struct rlc__exp {
    const rlc_experiment *e;
    const rlc_experiment_options *o;
    rlc_experiment_result *res;
    int seeds; /* seeds to run (options or the experiment's default) */
    double t0; /* start time */
    FILE *csv; /* results.csv, NULL without out_dir */
    char *md;  /* summary.md body being built */
    size_t md_len, md_cap;
    int table_open; /* a markdown table header was written */
    rlc_status err; /* first error (sticky) */
} rlc__exp;

/* Assigns a comma-separated list of key=value settings (rlc train's --set) to cfg of table t;
 * stops at the first refused one (its error). */
rlc_status rlc__exp_apply_sets(const rlc_config_table *t, void *cfg, const char *list);

struct rlc_agent;
/* Creates agent `algo` on env (kwargs may be NULL) with the table defaults, the tuned per-env
 * defaults of data/defaults/<algo>.json when present, then the comma-separated key=value
 * assignments `sets` (may be NULL). */
rlc_status rlc__exp_make_agent(struct rlc_agent **out, const char *algo, const char *env,
                               const char *kwargs, const char *sets, uint64_t seed);

/* Starts a report: picks the seed count (o->seeds, else quick_seeds or full_seeds), creates
 * o->out_dir and results.csv (columns method,seed,metric,value) and prints the header. On
 * failure nothing is left open (no rlc__exp_abort needed). */
rlc_status rlc__exp_begin(rlc__exp *x, const rlc_experiment *e, const rlc_experiment_options *o,
                          rlc_experiment_result *res, int full_seeds, int quick_seeds);

/* Appends one results.csv row. */
void rlc__exp_record(rlc__exp *x, const char *method, int seed, const char *metric, double value);

/* Starts a table with the metric's description (a new header each call). */
void rlc__exp_table(rlc__exp *x, const char *metric);

/* One table row: IQM and 95% CI (stratified bootstrap, 2000 replicates) of scores[n]; the
 * estimate goes to *ci when not NULL. Also records each score in results.csv under `metric`. */
void rlc__exp_row(rlc__exp *x, const char *method, const char *metric, const double *scores, int n,
                  rlc_stats_ci *ci);

/* A figure of curves: for each of nm methods, values[m][seed][pt] (contiguous, nm * seeds *
 * npts) at the abscissae xs[npts]; the plot shows the IQM over seeds with a 95% bootstrap
 * band (500 replicates per point). Writes <file>.svg and <file>.csv (method,x,iqm,lo,hi) and
 * links the figure in summary.md. */
void rlc__exp_curves(rlc__exp *x, const char *file, const char *title, const char *xlabel,
                     const char *ylabel, int logx, int logy, int nm, const char *const *labels,
                     const double *xs, int npts, const double *values);

/* Appends a line of text to summary.md (and to the log when `echo`). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void rlc__exp_note(rlc__exp *x, int echo, const char *fmt, ...);

/* Finishes: the claim line (log and summary), summary.md, results.csv; fills res. Returns the
 * first error met during the report. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
rlc_status
rlc__exp_end(rlc__exp *x, int claim_held, const char *reason_fmt, ...);

/* Releases a report abandoned on error (closes files). */
void rlc__exp_abort(rlc__exp *x);

/* Quadrotor hover evaluation (learning_to_fly.c, also used by drones.c): `episodes` episodes
 * of 2 * hold_steps steps of QuadHover-v0 with `kwargs` from seeds seed + i, flown by the agent
 * (deterministic) or, when a is NULL, by the cascaded PID; success = not terminated and the
 * position error below `radius` over the last hold_steps steps. *success: fraction of
 * episodes; *err: mean position error (m) over those steps. */
struct rlc_agent;
rlc_status rlc__quad_hover_eval(struct rlc_agent *a, const char *kwargs, int episodes,
                                uint64_t seed, int hold_steps, int repeat, double radius,
                                double *success, double *err);
/* One training run on QuadHover-v0 (algo, env kwargs, config list, curriculum raises of the
 * reward weights at equal intervals (0: none), action repeat (the agent acts every `repeat`
 * physics steps of 10 ms; 1: every step), agent steps, seed), timed (secs[2]: wall and CPU
 * seconds of the training thread) and evaluated by rlc__quad_hover_eval with the same repeat
 * over eval_episodes (hold 500 steps, radius 0.1 m). keep (may be NULL) receives the agent. */
rlc_status rlc__l2f_train_eval(const char *algo, const char *kwargs, const char *cfg,
                               int curriculum, int repeat, int64_t steps, uint64_t seed,
                               int eval_episodes, double *secs, double *success, double *err,
                               struct rlc_agent **keep);

/* The experiments (one file each). */
rlc_status rlc__exp_conservative_exploration(const rlc_experiment_options *o,
                                             rlc_experiment_result *res);
rlc_status rlc__exp_demo_regularized(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_iwocs(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_hf_rfe(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_snapshot_rl(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_rlif(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_sqirl(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_go_explore(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_mb_vs_er(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_harness(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_learning_to_fly(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_drones(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_dataset_measures(const rlc_experiment_options *o,
                                     rlc_experiment_result *res);

#endif
