/* `rlc train --env ID --algo ppo ...`: trains an agent into a run folder (config.json,
 * progress.csv/jsonl, TensorBoard events, final.safetensors), printing progress lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rlc/agent.h"
#include "rlc/log.h"

/* The trainer's own options, saved beside the algorithm's in config.json. */
#define TRAIN_FIELDS(X)                                                                        \
    X(STRING, env, "", "environment id")                                                       \
    X(STRING, env_kwargs, "", "environment keyword arguments")                                 \
    X(STRING, algo, "ppo", "algorithm")                                                        \
    X(INT, steps, 100000, 1, 1e15, "total env steps")                                          \
    X(INT, seed, 0, 0, 9007199254740992.0, "seed of the agent and the envs")

RLC_CONFIG_STRUCT(train_config, TRAIN_FIELDS);
static RLC_CONFIG_TABLE(train_config_table, train_config, TRAIN_FIELDS)

#define MAX_SETS 128

static void usage(FILE *f) {
    fprintf(f,
            "usage: rlc train --env ID [--algo ppo] [--steps N] [--seed S] [--set key=value ...]\n"
            "                 [--kwargs k=v,...] [--out DIR] [--force] [--log-interval N] "
            "[--quiet]\n\n"
            "Trains an agent and writes DIR/config.json, DIR/progress.csv (and .jsonl,\n"
            "TensorBoard events) and DIR/final.safetensors\n"
            "(default DIR: runs/<algo>-<env>-s<seed>).\n"
            "An existing non-empty DIR is refused unless --force is given.\n"
            "`rlc train --algo ppo --help` lists the algorithm's --set keys.\n");
}

static int parse_i64(const char *s, long long lo, long long *out) {
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || d < (double)lo || d > 9e15 || d != (double)(long long)d)
        return -1;
    *out = (long long)d;
    return 0;
}

int rlc_cli_train(int argc, char **argv) {
    const char *env = NULL, *algo = "ppo", *out_dir = NULL, *kwargs = NULL;
    const char *sets[MAX_SETS];
    int nsets = 0, force = 0, quiet = 0, help = 0;
    long long steps = 100000, seed = 0, log_interval = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help = 1;
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (has && !strcmp(a, "--env")) {
            env = argv[++i];
        } else if (has && !strcmp(a, "--algo")) {
            algo = argv[++i];
        } else if (has && !strcmp(a, "--out")) {
            out_dir = argv[++i];
        } else if (has && !strcmp(a, "--kwargs")) {
            kwargs = argv[++i];
        } else if (has && !strcmp(a, "--set")) {
            if (nsets == MAX_SETS) {
                fprintf(stderr, "rlc train: more than %d --set options\n", MAX_SETS);
                return 2;
            }
            sets[nsets++] = argv[++i];
        } else if (has && !strcmp(a, "--steps")) {
            if (parse_i64(argv[++i], 1, &steps)) {
                fprintf(stderr, "rlc train: --steps expects a positive integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--seed")) {
            if (parse_i64(argv[++i], 0, &seed)) {
                fprintf(stderr, "rlc train: --seed expects a non-negative integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--log-interval")) {
            if (parse_i64(argv[++i], 1, &log_interval)) {
                fprintf(stderr, "rlc train: --log-interval expects a positive integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "rlc train: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    const rlc_config_table *t = rlc_algo_config_table(algo);
    if (!t) {
        fprintf(stderr, "rlc train: unknown algorithm '%s' (known:", algo);
        for (int i = 0; i < rlc_algo_count(); i++) fprintf(stderr, " %s", rlc_algo_name(i));
        fprintf(stderr, ")\n");
        return 2;
    }
    if (help) {
        usage(stdout);
        char *h = NULL;
        if (!rlc_config_help(t, NULL, &h)) printf("\n%s keys (--set key=value):\n%s", algo, h);
        rlc_free(h);
        return 0;
    }
    if (!env) {
        fprintf(stderr, "rlc train: --env ID is required (see `rlc envs`)\n");
        return 2;
    }
    void *cfg = rlc_malloc(t->size);
    if (!cfg) return 1;
    rlc_config_defaults(t, cfg);
    int rc = 0;
    /* Tuned per-env defaults: defaults/<algo>.json in rlc's data folders (rlc_data_find), when
     * present; --set overrides them. */
    char dpath[4096], rel[256];
    snprintf(rel, sizeof rel, "defaults/%s.json", algo);
    int applied = 0;
    if (rlc_data_find(rel, dpath, sizeof dpath) == RLC_OK &&
        rlc_config_apply_env_defaults(t, cfg, dpath, env, &applied)) {
        fprintf(stderr, "rlc train: %s\n", rlc_last_error());
        rc = 2;
    }
    if (applied && !quiet) printf("rlc train: %d tuned defaults for %s from %s\n", applied, env,
                                  dpath);
    for (int i = 0; i < nsets && !rc; i++)
        if (rlc_config_assign(t, cfg, sets[i])) {
            fprintf(stderr, "rlc train: --set %s: %s\n", sets[i], rlc_last_error());
            rc = 2;
        }
    rlc_agent *agent = NULL;
    if (!rc) {
        rlc_status st = rlc_agent_create(&agent, algo, env, kwargs, cfg, (uint64_t)seed);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_NOMEM || st == RLC_ERR_IO ? 1 : 2;
        }
    }
    char dir[1024];
    if (!rc) {
        if (out_dir)
            snprintf(dir, sizeof dir, "%s", out_dir);
        else
            snprintf(dir, sizeof dir, "runs/%s-%s-s%lld", algo, env, seed);
        rlc_status st = rlc_run_dir_create(dir, force);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_STATE ? 2 : 1;
        }
    }
    char path[1200];
    if (!rc) {
        train_config tc;
        rlc_config_defaults(train_config_table(), &tc);
        snprintf(tc.env, sizeof tc.env, "%s", env);
        snprintf(tc.env_kwargs, sizeof tc.env_kwargs, "%s", kwargs ? kwargs : "");
        snprintf(tc.algo, sizeof tc.algo, "%s", algo);
        tc.steps = steps;
        tc.seed = seed;
        rlc_config_ref refs[2] = {{train_config_table(), &tc}, {t, cfg}};
        snprintf(path, sizeof path, "%s/config.json", dir);
        if (rlc_config_save_n(refs, 2, path)) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
    }
    rlc_logger *lg = NULL;
    if (!rc && rlc_logger_create(&lg, dir, NULL)) {
        fprintf(stderr, "rlc train: %s\n", rlc_last_error());
        rc = 1;
    }
    if (!rc) {
        if (!log_interval) log_interval = steps / 20 > 0 ? steps / 20 : 1;
        rlc_train_options o = {.total_steps = steps,
                               .log_interval = log_interval,
                               .logger = lg,
                               .print = quiet ? NULL : stdout};
        /* On a terminal, also a live progress line on stderr. */
        rlc_progress *pg = NULL;
        char label[300];
        snprintf(label, sizeof label, "%s %s", algo, env);
        if (!quiet && isatty(fileno(stderr))) {
            rlc_progress_options po;
            rlc_progress_options_init(&po);
            po.label = label;
            if (!rlc_progress_create(&pg, steps, &po)) o.progress = pg;
            /* one terminal: the live line replaces the row lines (progress.csv has them) */
            if (pg && isatty(fileno(stdout))) o.print = NULL;
        }
        if (!quiet) printf("rlc train: %s on %s, %lld steps, seed %lld -> %s\n", algo, env, steps,
                           seed, dir);
        rlc_train_result res;
        rlc_status st = rlc_agent_train(agent, (uint64_t)seed, &o, &res);
        rlc_progress_destroy(pg);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
        if (rlc_logger_close(lg)) {
            if (!rc) fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
        lg = NULL;
        snprintf(path, sizeof path, "%s/final.safetensors", dir);
        if (!rc && rlc_agent_save(agent, path)) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
        if (!rc && !quiet)
            printf("done: %lld steps, %lld episodes, recent return %.2f, %.1f s (%.0f steps/s); "
                   "saved %s\n",
                   (long long)res.steps, (long long)res.episodes, res.mean_return, res.seconds,
                   res.seconds > 0 ? (double)res.steps / res.seconds : 0.0, path);
    }
    rlc_logger_destroy(lg);
    rlc_agent_destroy(agent);
    rlc_free(cfg);
    return rc;
}
