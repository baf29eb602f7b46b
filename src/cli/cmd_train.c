/* `rlc train --env ID --algo ppo ...`: trains an agent into a run folder (config.json,
 * progress.csv/jsonl, TensorBoard events, checkpoint.safetensors, final.safetensors), printing
 * progress lines; `rlc train --resume DIR` continues a killed run exactly. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/train_record.h"
#include "cli/train_snapshot.h"
#include "rlc/agent.h"
#include "rlc/dist.h"
#include "rlc/log.h"
#include "rlc/offline.h"
#include "rlc/safetensors.h"

/* The trainer's own options, saved beside the algorithm's in config.json. */
#define TRAIN_FIELDS(X)                                                                            \
    X(STRING, env, "", "environment id")                                                           \
    X(STRING, env_kwargs, "", "environment keyword arguments")                                     \
    X(STRING, algo, "ppo", "algorithm")                                                            \
    X(INT, steps, 100000, 1, 1e15, "total env steps")                                              \
    X(INT, seed, 0, 0, 9007199254740992.0, "seed of the agent and the envs")                       \
    X(INT, log_interval, 0, 0, 1e15, "steps between log rows (0: a twentieth of the run)")         \
    X(INT, checkpoint_every, 0, 0, 1e15, "steps between checkpoints (0: a tenth of the run)")    \
    X(INT, eval_every, 0, 0, 1e15, "steps between evaluations into eval.csv (0: none)")           \
    X(INT, eval_episodes, 10, 1, 1e6, "deterministic episodes per evaluation (seeds 0..K-1)")

RLC_CONFIG_STRUCT(train_config, TRAIN_FIELDS);
static RLC_CONFIG_TABLE(train_config_table, train_config, TRAIN_FIELDS)

#define MAX_SETS 128

    static void usage(FILE *f) {
    fprintf(f,
            "usage: rlc train --env ID [--algo ppo] [--steps N] [--seed S] [--set key=value ...]\n"
            "                 [--kwargs k=v,...] [--out DIR] [--force] [--log-interval N] "
            "[--quiet]\n"
            "                 [--checkpoint-every N] [--eval-every N [--eval-episodes K]]\n"
            "                 [--mpi] [--dist-check]\n"
            "                 [--snapshot-teacher MODEL [--snapshot-horizon H]]\n"
            "                 [--record-dataset OUT]\n"
            "       rlc train --resume DIR [--quiet]\n"
            "       mpirun -np K rlc train ...   (distributed: docs/distributed.md)\n\n"
            "Trains an agent and writes DIR/config.json, DIR/progress.csv (and .jsonl,\n"
            "TensorBoard events), DIR/checkpoint.safetensors (every N steps, default a tenth\n"
            "of the run) and DIR/final.safetensors (default DIR: runs/<algo>-<env>-s<seed>).\n"
            "An existing non-empty DIR is refused unless --force is given.\n"
            "--eval-every N evaluates the agent every N steps and at the end (K deterministic\n"
            "episodes, default 10, seeds 0..K-1 as `rlc eval`) into DIR/eval.csv (step, mean,\n"
            "std, min, max); evaluating does not change the training run.\n"
            "--resume DIR continues a killed run from its last checkpoint with the config\n"
            "saved in DIR (other options must match it) and ends with the same parameters\n"
            "as an uninterrupted run; progress.csv is continued. (--stop-at STEP, for tests,\n"
            "stops after the first checkpoint at or past STEP, as if killed.)\n"
            "Under mpirun (or with --mpi) K processes train together: data-parallel for\n"
            "every algorithm (gradients averaged each update), actor-learner for --algo\n"
            "impala; rank 0 writes the run folder; --dist-check verifies after every update\n"
            "that the parameters are identical on every rank.\n"
            "--snapshot-teacher MODEL (a saved agent or its run folder) trains with Snapshot RL\n"
            "(S3RL): episodes start from states of 10 teacher episodes, clustered (k-means, 8),\n"
            "cut after H steps (--snapshot-horizon, 0 = off); no checkpoints, no --resume.\n"
            "--record-dataset OUT saves every env transition of the run as a dataset (a Minari\n"
            "folder, or a D4RL file for OUT ending in .hdf5/.h5): the behaviour of a learning\n"
            "agent, as D4RL's medium-replay; not with --resume or MPI; OUT must not exist\n"
            "(unless --force).\n"
            "`rlc train --algo ppo --help` lists the algorithm's --set keys.\n"
            "Offline algorithms (bc, td3bc, iql, cql, awac) train from a dataset:\n"
            "`rlc train --algo iql --dataset PATH` (see `rlc train --algo iql --help`).\n");
}

int rlc__cli_truncate_progress(const char *path, int jsonl, long long step) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *o = fopen(tmp, "wb");
    if (!o) {
        fclose(f);
        return -1;
    }
    char line[1 << 16];
    int first = 1, ok = 1;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        int complete = len > 0 && line[len - 1] == '\n'; /* a kill can leave half a row */
        int keep = !jsonl && first;
        if (!keep && complete) {
            const char *p = line;
            if (jsonl) p = strstr(line, "\"step\":") ? strstr(line, "\"step\":") + 7 : "";
            char *end;
            double v = strtod(p, &end);
            keep = end != p && v <= (double)step;
        }
        first = 0;
        if (keep && fputs(line, o) == EOF) ok = 0;
    }
    fclose(f);
    if (fclose(o) || !ok || rename(tmp, path)) {
        remove(tmp);
        return -1;
    }
    return 0;
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

int rlc__cli_load_run_config(const char *dir, const rlc_config_table *tt, void *tc, int offline,
                             const rlc_config_table **t_out, void **cfg_out) {
    char path[1200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "rlc train: --resume %s: not an rlc run folder (no config.json)\n", dir);
        return 2;
    }
    fclose(f);
    char err[1024] = "", algo[RLC_CONFIG_STR_MAX + 8];
    for (int i = 0; i < rlc_algo_count(); i++) {
        const char *name = rlc_algo_name(i);
        if (rlc_algo_is_offline(name) != offline) continue;
        const rlc_config_table *t = rlc_algo_config_table(name);
        void *cfg = rlc_malloc(t->size);
        if (!cfg) return 1;
        rlc_config_defaults(tt, tc);
        rlc_config_defaults(t, cfg);
        rlc_config_ref refs[2] = {{tt, tc}, {t, cfg}};
        if (!rlc_config_load_n(refs, 2, path) &&
            !rlc_config_get(tt, tc, "algo", algo, sizeof algo) && !strcmp(algo, name)) {
            *t_out = t;
            *cfg_out = cfg;
            return 0;
        }
        if (!err[0]) snprintf(err, sizeof err, "%s", rlc_last_error());
        rlc_free(cfg);
    }
    fprintf(stderr, "rlc train: --resume %s: not an %s run folder (%s)\n", dir,
            offline ? "offline" : "rlc", err);
    return 2;
}

/* Distributed runs: rank 0, told by the launcher that another rank ended, says so. */
static char g_term_msg[2400];
static void on_term(int sig) {
    (void)sig;
    if (write(2, g_term_msg, strlen(g_term_msg)) < 0) _exit(143);
    _exit(143);
}

/* Rank r > 0 of a distributed run keeps its own resumable checkpoint beside rank 0's. On
 * --resume a rank without a file of the checkpoint's step (a larger K than before) starts
 * from a copy of rank 0's (temporary file, then renamed). */
static int rank_checkpoint(const char *dir, int rank, int resume, long long ck_step,
                           char *ckpath, size_t size) {
    char own[1200];
    if (mkdir(dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "rlc train: rank %d: cannot create %s: %s\n", rank, dir, strerror(errno));
        return 1;
    }
    snprintf(own, sizeof own, "%s/checkpoint.rank%d.safetensors", dir, rank);
    if (resume) {
        rlc_st_file *f = NULL;
        const char *m = NULL;
        if (!rlc_st_load(own, &f)) m = rlc_st_meta(f, "rlc.ckpt.step");
        int same = m && atoll(m) == ck_step;
        rlc_st_file_destroy(f);
        if (!same) {
            char tmp[1310];
            snprintf(tmp, sizeof tmp, "%s.tmp", own);
            FILE *in = fopen(ckpath, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
            int ok = in && out;
            char buf[1 << 16];
            size_t n;
            while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
            if (in) fclose(in);
            if (out && fclose(out)) ok = 0;
            if (!ok || rename(tmp, own)) {
                remove(tmp);
                fprintf(stderr, "rlc train: rank %d: cannot copy %s to %s\n", rank, ckpath, own);
                return 1;
            }
        }
    }
    snprintf(ckpath, size, "%s", own);
    return 0;
}

static int train_main(int argc, char **argv, int rank, int world);

/* --eval-every: the trainer's after_update hook evaluates the agent (rlc_agent_evaluate,
 * deterministic, which touches neither the training envs nor the agent's RNG streams) and
 * appends a row to DIR/eval.csv. */
typedef struct train_eval {
    long long every, next, last; /* last: step of the latest row (-1: none) */
    int episodes;
    double *ret;
    char path[1200];
    FILE *print;
    rlc_status st; /* the evaluation's error, which stops training */
    rlc__cli_snapshot *snap; /* --snapshot-teacher: its wrap hook's data */
    rlc__cli_record *rec;    /* --record-dataset: the after_step hook's data */
} train_eval;

static int eval_write(rlc_agent *a, train_eval *ev, long long step) {
    rlc_status st = rlc_agent_evaluate(a, ev->episodes, 0, 0, ev->ret, NULL, 0, 0);
    if (st) {
        ev->st = st;
        return 1;
    }
    double m, sd, mn, mx;
    rlc__cli_returns_summary(ev->ret, ev->episodes, &m, &sd, &mn, &mx);
    FILE *f = fopen(ev->path, "ab");
    int bad = !f;
    if (f) {
        if (ftell(f) == 0 && fputs("step,return_mean,return_std,return_min,return_max,episodes\n",
                                   f) == EOF)
            bad = 1;
        if (fprintf(f, "%lld,%.17g,%.17g,%.17g,%.17g,%d\n", step, m, sd, mn, mx, ev->episodes) <
            0)
            bad = 1;
        if (fclose(f)) bad = 1;
    }
    if (bad) {
        ev->st = rlc_error(RLC_ERR_IO, "cannot append to %s", ev->path);
        return 1;
    }
    if (ev->print)
        fprintf(ev->print, "eval at step %lld: return %.2f +- %.2f (min %.2f, max %.2f, %d episodes)\n",
                step, m, sd, mn, mx, ev->episodes);
    ev->last = step;
    return 0;
}

static int eval_after_update(rlc_agent *a, int64_t steps, void *user) {
    train_eval *ev = user;
    if (steps < ev->next) return 0;
    while (ev->next <= steps) ev->next += ev->every;
    return eval_write(a, ev, steps);
}

static rlc_status eval_snapshot_wrap(rlc_env **env, int index, void *user) {
    return rlc__cli_snapshot_wrap(env, index, ((train_eval *)user)->snap);
}

static rlc_status record_after_step(const struct rlc_vec_env *v, void *user) {
    return rlc__cli_record_step(((train_eval *)user)->rec, v);
}

int rlc_cli_train(int argc, char **argv) {
    if (rlc__cli_train_is_offline(argc, argv)) return rlc__cli_train_offline(argc, argv);
    int mpi = 0, help = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mpi")) mpi = 1;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) help = 1;
    }
    int launched = rlc_dist_launched();
    if (help || (!mpi && launched <= 1)) return train_main(argc, argv, 0, 1);
    if (!rlc_dist_available()) {
        if (launched > 1)
            fprintf(stderr, "rlc train: started by mpirun as one of %d processes, but %s\n",
                    launched, "MPI support was not built into rlc (install libopenmpi-dev and "
                              "rebuild with MPI=1)");
        else
            fprintf(stderr, "rlc train: --mpi: MPI support was not built into rlc (install "
                            "libopenmpi-dev and rebuild with MPI=1)\n");
        return 2;
    }
    if (rlc_dist_init()) {
        fprintf(stderr, "rlc train: %s\n", rlc_last_error());
        return 1;
    }
    int rc = train_main(argc, argv, rlc_dist_rank(), rlc_dist_size());
    rlc_dist_finalize();
    return rc;
}

/* Every rank's exit code agreed before training starts: a rank that failed (rank 0 could not
 * create the run folder...) makes the others stop too instead of waiting for it. */
static int agree_rc(int rc, int rank, int world) {
    if (world < 2) return rc;
    rlc_status st = rlc_dist_agree(rc ? RLC_ERR_STATE : RLC_OK);
    if (st && !rc) {
        fprintf(stderr, "rlc train: rank %d: stopping: %s\n", rank, rlc_last_error());
        return 2;
    }
    return rc;
}

static int train_main(int argc, char **argv, int rank, int world) {
    const char *env = NULL, *algo = NULL, *out_dir = NULL, *kwargs = NULL, *resume = NULL;
    const char *sets[MAX_SETS];
    int nsets = 0, force = 0, quiet = 0, help = 0, has_steps = 0, has_seed = 0;
    long long steps = 100000, seed = 0, log_interval = 0, ck_every = 0, stop_at = 0;
    long long eval_every = -1, eval_episodes = -1; /* -1: not given */
    const char *snap_teacher = NULL, *record = NULL;
    long long snap_horizon = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help = 1;
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--mpi")) {
            /* handled by rlc_cli_train */
        } else if (!strcmp(a, "--dist-check")) {
            rlc_dist_set_check(1);
        } else if (has && !strcmp(a, "--env")) {
            env = argv[++i];
        } else if (has && !strcmp(a, "--algo")) {
            algo = argv[++i];
        } else if (has && !strcmp(a, "--out")) {
            out_dir = argv[++i];
        } else if (has && !strcmp(a, "--resume")) {
            resume = argv[++i];
        } else if (has && !strcmp(a, "--snapshot-teacher")) {
            snap_teacher = argv[++i];
        } else if (has && !strcmp(a, "--record-dataset")) {
            record = argv[++i];
        } else if (has && !strcmp(a, "--snapshot-horizon")) {
            if (parse_i64(argv[++i], 0, &snap_horizon)) {
                fprintf(stderr, "rlc train: --snapshot-horizon expects an integer >= 0, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--kwargs")) {
            kwargs = argv[++i];
        } else if (has && !strcmp(a, "--set")) {
            if (nsets == MAX_SETS) {
                fprintf(stderr, "rlc train: more than %d --set options\n", MAX_SETS);
                return 2;
            }
            sets[nsets++] = argv[++i];
        } else if (has && !strcmp(a, "--steps")) {
            has_steps = 1;
            if (parse_i64(argv[++i], 1, &steps)) {
                fprintf(stderr, "rlc train: --steps expects a positive integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--seed")) {
            has_seed = 1;
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
        } else if (has && !strcmp(a, "--checkpoint-every")) {
            if (parse_i64(argv[++i], 1, &ck_every)) {
                fprintf(stderr,
                        "rlc train: --checkpoint-every expects a positive integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--eval-every")) {
            if (parse_i64(argv[++i], 0, &eval_every)) {
                fprintf(stderr,
                        "rlc train: --eval-every expects an integer >= 0 (0: none), got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--eval-episodes")) {
            if (parse_i64(argv[++i], 1, &eval_episodes) || eval_episodes > 1000000) {
                fprintf(stderr,
                        "rlc train: --eval-episodes expects an integer in [1, 1000000], got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--stop-at")) {
            if (parse_i64(argv[++i], 1, &stop_at)) {
                fprintf(stderr, "rlc train: --stop-at expects a positive integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "rlc train: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (rank > 0) quiet = 1; /* rank 0 prints and logs for the job */
    const rlc_config_table *t = NULL;
    void *cfg = NULL;
    train_config rtc; /* the resumed run's trainer fields */
    if (resume && record && !help) {
        fprintf(stderr, "rlc train: --record-dataset works without --resume and MPI\n");
        return 2;
    }
    if (resume && !help) {
        if (out_dir || force) {
            fprintf(stderr, "rlc train: --resume DIR continues DIR in place (no --out/--force)\n");
            return 2;
        }
        struct stat sb;
        if (stat(resume, &sb) || !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "rlc train: --resume %s: no such run folder\n", resume);
            return 2;
        }
        int lrc = rlc__cli_load_run_config(resume, train_config_table(), &rtc, 0, &t, &cfg);
        if (lrc) return lrc;
        const char *bad = NULL;
        if (env && strcmp(env, rtc.env)) bad = "--env";
        if (algo && strcmp(algo, rtc.algo)) bad = "--algo";
        if (kwargs && strcmp(kwargs, rtc.env_kwargs)) bad = "--kwargs";
        if (has_steps && steps != rtc.steps) bad = "--steps";
        if (has_seed && seed != rtc.seed) bad = "--seed";
        if (bad) {
            fprintf(stderr,
                    "rlc train: %s differs from the run's config.json (a resumed run "
                    "keeps its config)\n",
                    bad);
            rlc_free(cfg);
            return 2;
        }
        env = rtc.env;
        algo = rtc.algo;
        kwargs = rtc.env_kwargs;
        steps = rtc.steps;
        seed = rtc.seed;
        if (!log_interval) log_interval = rtc.log_interval;
        if (!ck_every) ck_every = rtc.checkpoint_every;
        if (eval_every < 0) eval_every = rtc.eval_every;
        if (eval_episodes < 0) eval_episodes = rtc.eval_episodes;
        out_dir = resume;
    }
    if (eval_every < 0) eval_every = 0;
    if (eval_episodes < 0) eval_episodes = 10;
    if (!algo) algo = "ppo";
    if (!t) t = rlc_algo_config_table(algo);
    if (!t) {
        fprintf(stderr, "rlc train: unknown algorithm '%s' (known:", algo);
        for (int i = 0; i < rlc_algo_count(); i++)
            fprintf(stderr, " %s", rlc_algo_name(i));
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
    int rc = 0;
    if (!cfg) {
        cfg = rlc_malloc(t->size);
        if (!cfg) return 1;
        rlc_config_defaults(t, cfg);
        /* Tuned per-env defaults: defaults/<algo>.json in rlc's data folders (rlc_data_find),
         * when present; --set overrides them. */
        char dpath[4096], rel[300];
        snprintf(rel, sizeof rel, "defaults/%s.json", algo);
        int applied = 0;
        if (rlc_data_find(rel, dpath, sizeof dpath) == RLC_OK &&
            rlc_config_apply_env_defaults(t, cfg, dpath, env, &applied)) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 2;
        }
        if (applied && !quiet)
            printf("rlc train: %d tuned defaults for %s from %s\n", applied, env, dpath);
        for (int i = 0; i < nsets && !rc; i++)
            if (rlc_config_assign(t, cfg, sets[i])) {
                fprintf(stderr, "rlc train: --set %s: %s\n", sets[i], rlc_last_error());
                rc = 2;
            }
    } else {
        /* --resume: a --set must agree with the saved config */
        void *c2 = rlc_malloc(t->size);
        if (!c2) rc = 1;
        for (int i = 0; i < nsets && !rc; i++) {
            memcpy(c2, cfg, t->size);
            if (rlc_config_assign(t, c2, sets[i])) {
                fprintf(stderr, "rlc train: --set %s: %s\n", sets[i], rlc_last_error());
                rc = 2;
            } else if (memcmp(c2, cfg, t->size)) {
                fprintf(stderr,
                        "rlc train: --set %s differs from the run's config.json (a "
                        "resumed run keeps its config)\n",
                        sets[i]);
                rc = 2;
            }
        }
        rlc_free(c2);
    }
    char dir[1024], path[1200], ckpath[1200];
    long long ck_step = 0;
    if (!rc) {
        if (out_dir)
            snprintf(dir, sizeof dir, "%s", out_dir);
        else
            snprintf(dir, sizeof dir, "runs/%s-%s-s%lld", algo, env, seed);
        snprintf(ckpath, sizeof ckpath, "%s/checkpoint.safetensors", dir);
    }
    if (!rc && resume) {
        rlc_st_file *f = NULL;
        rlc_status st = rlc_st_load(ckpath, &f);
        if (st == RLC_ERR_NOT_FOUND) {
            fprintf(stderr,
                    "rlc train: --resume %s: no checkpoint.safetensors (the run was "
                    "killed before its first checkpoint: start it again with --force)\n",
                    dir);
            rc = 2;
        } else if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        } else {
            const char *m = rlc_st_meta(f, "rlc.ckpt.step");
            ck_step = m ? atoll(m) : 0;
            m = rlc_st_meta(f, "rlc.ckpt.resumable");
            if (!m || strcmp(m, "1")) {
                fprintf(stderr,
                        "rlc train: --resume %s: %s cannot resume a run (it does not save its "
                        "training state, only its parameters); the checkpoint holds its "
                        "parameters at step %lld\n",
                        dir, algo, ck_step);
                rc = 2;
            }
        }
        rlc_st_file_destroy(f);
    }
    rlc_agent *agent = NULL;
    if (!rc) {
        /* rank r samples with its own RNG streams (seed + r); rank 0's parameters are sent to
         * every rank before training */
        rlc_status st = rlc_agent_create(&agent, algo, env, kwargs, cfg, (uint64_t)seed + rank);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_NOMEM || st == RLC_ERR_IO ? 1 : 2;
        }
    }
    /* data-parallel ranks keep their own checkpoints; the actor-learner's actors none */
    if (!rc && rank > 0 && strcmp(algo, "impala"))
        rc = rank_checkpoint(dir, rank, resume != NULL, ck_step, ckpath, sizeof ckpath);
    if (!rc && !resume && rank == 0) {
        rlc_status st = rlc_run_dir_create(dir, force);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_STATE ? 2 : 1;
        }
        /* --force over an earlier run: its evaluations are not this run's */
        snprintf(path, sizeof path, "%s/eval.csv", dir);
        if (!rc && remove(path) && errno != ENOENT) {
            fprintf(stderr, "rlc train: cannot remove the earlier run's %s: %s\n", path,
                    strerror(errno));
            rc = 1;
        }
    }
    if (!rc && !resume && rank == 0) {
        train_config tc;
        rlc_config_defaults(train_config_table(), &tc);
        snprintf(tc.env, sizeof tc.env, "%s", env);
        snprintf(tc.env_kwargs, sizeof tc.env_kwargs, "%s", kwargs ? kwargs : "");
        snprintf(tc.algo, sizeof tc.algo, "%s", algo);
        tc.steps = steps;
        tc.seed = seed;
        tc.log_interval = log_interval;
        tc.checkpoint_every = ck_every;
        tc.eval_every = eval_every;
        tc.eval_episodes = eval_episodes;
        rlc_config_ref refs[2] = {{train_config_table(), &tc}, {t, cfg}};
        snprintf(path, sizeof path, "%s/config.json", dir);
        if (rlc_config_save_n(refs, 2, path)) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
    }
    if (!rc && resume && rank == 0) {
        /* rows logged after the checkpoint are logged again by the resumed run */
        snprintf(path, sizeof path, "%s/progress.csv", dir);
        int e = rlc__cli_truncate_progress(path, 0, ck_step);
        snprintf(path, sizeof path, "%s/progress.jsonl", dir);
        if (!e) e = rlc__cli_truncate_progress(path, 1, ck_step);
        snprintf(path, sizeof path, "%s/eval.csv", dir);
        if (!e) e = rlc__cli_truncate_progress(path, 0, ck_step);
        if (e) {
            fprintf(stderr, "rlc train: cannot rewrite %s\n", path);
            rc = 1;
        }
    }
    rlc_logger *lg = NULL;
    rlc_logger_options lo;
    rlc_logger_options_init(&lo);
    lo.append = resume != NULL;
    if (!rc && rank == 0 && rlc_logger_create(&lg, dir, &lo)) {
        fprintf(stderr, "rlc train: %s\n", rlc_last_error());
        rc = 1;
    }
    rc = agree_rc(rc, rank, world);
    if (!rc && world > 1 && rank == 0) {
        snprintf(g_term_msg, sizeof g_term_msg,
                 "rlc train: rank 0 was stopped by the MPI launcher (another rank of the %d "
                 "ended); the last checkpoint in %s is intact: continue with rlc train "
                 "--resume %s\n",
                 world, dir, dir);
        signal(SIGTERM, on_term);
    }
    if (!rc) {
        if (!log_interval) log_interval = steps / 20 > 0 ? steps / 20 : 1;
        rlc_train_options o = {.total_steps = steps,
                               .log_interval = log_interval,
                               .logger = lg,
                               .print = quiet ? NULL : stdout};
        rlc_train_checkpoint ck = {
            .path = ckpath, .every = ck_every, .resume = resume != NULL, .stop_at = stop_at};
        /* On a terminal, also a live progress line on stderr. */
        rlc_progress *pg = NULL;
        char label[600];
        snprintf(label, sizeof label, "%s %s", algo, env);
        if (!quiet && isatty(fileno(stderr))) {
            rlc_progress_options po;
            rlc_progress_options_init(&po);
            po.label = label;
            po.start_step = ck_step;
            if (!rlc_progress_create(&pg, steps, &po)) o.progress = pg;
            /* one terminal: the live line replaces the row lines (progress.csv has them) */
            if (pg && isatty(fileno(stdout))) o.print = NULL;
        }
        if (!quiet) {
            if (resume)
                printf("rlc train: resuming %s on %s at step %lld of %lld, seed %lld -> %s\n", algo,
                       env, ck_step, steps, seed, dir);
            else
                printf("rlc train: %s on %s, %lld steps, seed %lld -> %s\n", algo, env, steps, seed,
                       dir);
        }
        rlc_train_result res = {0};
        rlc_status st = RLC_OK;
        rlc__cli_snapshot snap = {0};
        rlc__cli_record rec = {0};
        /* evaluation on rank 0 only: it changes nothing the ranks share */
        train_eval ev = {.every = eval_every, .last = -1, .episodes = (int)eval_episodes,
                         .print = quiet || o.print == NULL ? NULL : stdout, .snap = &snap,
                         .rec = &rec};
        if (record && (resume || world > 1)) {
            st = rlc_error(RLC_ERR_UNSUPPORTED, "--record-dataset works without --resume and MPI");
        } else if (record && !force && access(record, F_OK) == 0) {
            st = rlc_error(RLC_ERR_UNSUPPORTED, "--record-dataset %s exists (use --force to replace it)",
                           record);
        } else if (record) {
            char who[300];
            snprintf(who, sizeof who, "rlc train --algo %s (seed %lld, %lld steps)", algo, seed,
                     steps);
            st = rlc__cli_record_init(&rec, agent, who);
        }
        int evaluating = eval_every > 0 && rank == 0;
        if (!st && evaluating) {
            ev.next = (ck_step / eval_every + 1) * eval_every;
            snprintf(ev.path, sizeof ev.path, "%s/eval.csv", dir);
            ev.ret = rlc_malloc(sizeof(double) * (size_t)eval_episodes);
            if (!ev.ret) st = RLC_ERR_NOMEM;
        }
        rlc_train_hooks hk = {snap_teacher ? eval_snapshot_wrap : NULL,
                              evaluating ? eval_after_update : NULL, &ev,
                              record ? record_after_step : NULL};
        if (st) {
            /* no memory for the returns, or a refused --record-dataset */
        } else if (snap_teacher && (resume || world > 1)) {
            st = rlc_error(RLC_ERR_UNSUPPORTED,
                           "--snapshot-teacher works without --resume and MPI");
        } else if (snap_teacher) {
            st = rlc__cli_snapshot_prepare(&snap, snap_teacher, env, kwargs, snap_horizon,
                                           (unsigned long long)seed);
            if (!st) st = rlc_agent_train_hooked(agent, (uint64_t)seed, &o, &hk, &res);
            rlc__cli_snapshot_free(&snap);
        } else if (world > 1 && !strcmp(algo, "impala")) {
            st = evaluating ? rlc_error(RLC_ERR_UNSUPPORTED,
                                        "--eval-every works with every algorithm but the "
                                        "distributed actor-learner (mpirun with --algo impala)")
                            : rlc_dist_train_actor_learner(agent, (uint64_t)seed, &o,
                                                           rank == 0 ? &ck : NULL, &res);
        } else {
            st = rlc_agent_train_ex(agent, (uint64_t)seed, &o, &ck, &hk, &res);
        }
        if (!st && ev.st) st = ev.st;
        int stopped = stop_at > 0 && res.steps < steps; /* --stop-at: as if killed */
        if (!st && evaluating && !stopped && ev.last < res.steps)
            st = eval_write(agent, &ev, res.steps) ? ev.st : RLC_OK; /* the final policy */
        if (!st && record && !stopped) {
            st = rlc__cli_record_save(&rec, record);
            if (!st && !quiet)
                printf("recorded %lld episodes, %lld transitions -> %s\n",
                       (long long)rlc_dataset_num_episodes(rec.d),
                       (long long)rlc_dataset_num_steps(rec.d), record);
        }
        rlc__cli_record_free(&rec);
        rlc_free(ev.ret);
        if (st) res.steps = 0;
        if (world > 1) signal(SIGTERM, SIG_DFL);
        if (st && world > 1) {
            /* the other ranks may wait in a collective call: end the job */
            char why[1200];
            snprintf(why, sizeof why, "rlc train: %s", rlc_last_error());
            rlc_dist_abort(1, why);
        }
        rlc_progress_destroy(pg);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_FORMAT || st == RLC_ERR_UNSUPPORTED ? 2 : 1;
        }
        if (rlc_logger_close(lg)) {
            if (!rc) fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
        lg = NULL;
        int killed = !rc && stopped;
        if (killed && rank == 0) {
            printf("rlc train: stopped at step %lld after a checkpoint (--stop-at); continue with "
                   "rlc train --resume %s\n",
                   (long long)res.steps, dir);
        } else if (!killed) {
            snprintf(path, sizeof path, "%s/final.safetensors", dir);
            if (!rc && rank == 0 && rlc_agent_save(agent, path)) {
                fprintf(stderr, "rlc train: %s\n", rlc_last_error());
                rc = 1;
            }
            if (!rc && !quiet)
                printf("done: %lld steps, %lld episodes, recent return %.2f, %.1f s (%.0f "
                       "steps/s); saved %s\n",
                       (long long)res.steps, (long long)res.episodes, res.mean_return, res.seconds,
                       res.seconds > 0 ? (double)res.steps / res.seconds : 0.0, path);
        }
    }
    rlc_logger_destroy(lg);
    rlc_agent_destroy(agent);
    rlc_free(cfg);
    return rc;
}
