/* Subcommand table entries: each subcommand lives in its own file as rlc_cli_<name>. argv[0]
 * is the subcommand name. Returns the process exit code (0 ok, 1 failure, 2 usage error). */
#ifndef RLC_CLI_H
#define RLC_CLI_H

#include "rlc/config.h"

typedef struct rlc_cli_command {
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv);
} rlc_cli_command;

int rlc_cli_version(int argc, char **argv);
int rlc_cli_envs(int argc, char **argv);
int rlc_cli_env(int argc, char **argv);
int rlc__cli_env_render(int argc, char **argv); /* `rlc env render` (cmd_env_render.c) */
int rlc_cli_train(int argc, char **argv); /* cmd_train.c */
/* Offline training (cmd_train_offline.c): rlc_cli_train hands over when is_offline says so
 * (--dataset given, or --algo names an offline algorithm). */
int rlc__cli_train_is_offline(int argc, char **argv);
int rlc__cli_train_offline(int argc, char **argv);
/* Keeps the header and the rows of a progress file whose step is at most `step` (a resumed
 * run logs the later rows again). jsonl: rows start with {"step": N. Missing file: fine.
 * Returns 0, or -1 when the file cannot be rewritten (cmd_train.c). */
int rlc__cli_truncate_progress(const char *path, int jsonl, long long step);
/* Reads DIR/config.json written by rlc train: the trainer's fields (table tt into tc, which
 * has an "algo" key) and the algorithm's, tried against each online (offline = 0) or offline
 * algorithm's table; the one named by "algo" that reads every key wins (*t_out, and a new
 * *cfg_out to free). Returns 0, or 1 (no memory) / 2 after saying why (cmd_train.c). */
int rlc__cli_load_run_config(const char *dir, const rlc_config_table *tt, void *tc, int offline,
                             const rlc_config_table **t_out, void **cfg_out);
int rlc_cli_eval(int argc, char **argv);  /* cmd_eval.c */
/* Mean, population std, min and max of n > 0 episode returns (rlc eval's line, eval.csv). */
void rlc__cli_returns_summary(const double *r, long long n, double *mean, double *std,
                              double *min, double *max);
int rlc_cli_experiment(int argc, char **argv); /* cmd_experiment.c */
int rlc_cli_export(int argc, char **argv);     /* cmd_export.c */
int rlc_cli_plot(int argc, char **argv);       /* cmd_plot.c */
int rlc_cli_bench(int argc, char **argv);      /* cmd_bench.c */
/* Reads columns xkey and ykey of DIR/progress.csv (malloc'd arrays, empty cells NaN);
 * returns 0, or 1 after printing why to stderr (cmd_plot.c). */
int rlc__cli_read_curve(const char *dir, const char *xkey, const char *ykey, double **xs,
                        double **ys, int *n);
int rlc_cli_dataset(int argc, char **argv);    /* cmd_dataset.c */

#endif
