/* `rlc train --algo iql --dataset DIR`: offline training from a Minari/D4RL dataset into a run
 * folder (config.json, progress.csv/jsonl, TensorBoard events, checkpoint.safetensors,
 * final.safetensors) with periodic evaluation in the dataset's env and D4RL-normalised
 * scores. Called by rlc_cli_train when --dataset is given or the algorithm is offline. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/log.h"
#include "rlc/offline.h"
#include "rlc/safetensors.h"

/* The trainer's options saved beside the algorithm's in config.json. */
#define OFFLINE_TRAIN_FIELDS(X)                                                                \
    X(STRING, env, "", "environment id (evaluation)")                                          \
    X(STRING, env_kwargs, "", "environment keyword arguments")                                 \
    X(STRING, algo, "iql", "algorithm")                                                        \
    X(STRING, dataset, "", "dataset path (Minari folder or D4RL file)")                        \
    X(INT, steps, 100000, 1, 1e15, "gradient updates")                                         \
    X(INT, seed, 0, 0, 9007199254740992.0, "seed of the agent and the evaluation episodes")    \
    X(INT, log_interval, 0, 0, 1e15, "updates between loss rows (0: at evaluations only)")     \
    X(INT, checkpoint_every, 0, 0, 1e15, "updates between checkpoints (0: a tenth of the run)")

RLC_CONFIG_STRUCT(offline_train_config, OFFLINE_TRAIN_FIELDS);
static RLC_CONFIG_TABLE(offline_train_config_table, offline_train_config, OFFLINE_TRAIN_FIELDS)

#define MAX_SETS 128

static void usage(FILE *f) {
    fprintf(f,
            "usage: rlc train --algo bc|td3bc|iql|cql|awac --dataset PATH [--env ID]\n"
            "                 [--steps UPDATES] [--seed S] [--set key=value ...] [--kwargs k=v,...]\n"
            "                 [--out DIR] [--force] [--log-interval N] [--checkpoint-every N]\n"
            "                 [--quiet]\n"
            "       rlc train --resume DIR [--quiet]   (DIR: an offline run folder)\n\n"
            "Offline training: UPDATES gradient steps (default 100000) on batches drawn from the\n"
            "dataset (a Minari folder or a D4RL file, as `rlc dataset` reads), evaluated in the\n"
            "env every eval_every updates (--set eval_every=K, eval_episodes=N; deterministic\n"
            "actions). The env id comes from the dataset's metadata unless --env is given.\n"
            "Writes DIR/config.json, DIR/progress.csv (and .jsonl, TensorBoard events) with\n"
            "eval/return_mean and, when reference scores are known, eval/normalized_score\n"
            "(100 (R - random) / (expert - random), D4RL's), DIR/checkpoint.safetensors and\n"
            "DIR/final.safetensors (default DIR: runs/<algo>-<env>-s<seed>). --set sampler=\n"
            "uniform|return|advantage picks trajectory weighting. --resume DIR continues a\n"
            "killed run from DIR/checkpoint.safetensors with its saved config (other options\n"
            "must match it) and ends with the parameters and progress.csv of an uninterrupted\n"
            "run. (--stop-at N, for tests: stop after the first checkpoint at or past update\n"
            "N, as if killed.) See docs/offline.md.\n");
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

static void offline_names(FILE *f) {
    const char *sep = "";
    for (int i = 0; i < rlc_algo_count(); i++)
        if (rlc_algo_is_offline(rlc_algo_name(i))) {
            fprintf(f, "%s%s", sep, rlc_algo_name(i));
            sep = ", ";
        }
}

/* The update of DIR's checkpoint (its rlc.ckpt.step), or -1 after saying why; the checkpoint
 * must be of this run (algo, env, seed, updates: checked again, with the dataset, when it is
 * read) before the progress files are cut back to it. */
static long long checkpoint_step(const char *dir, const char *ckpath, const char *algo,
                                 const char *env, long long seed, long long steps) {
    rlc_st_file *f = NULL;
    if (access(ckpath, R_OK)) {
        fprintf(stderr,
                "rlc train: --resume %s: no checkpoint.safetensors (the run was killed before "
                "its first checkpoint: start it again)\n",
                dir);
        return -1;
    }
    if (rlc_st_load(ckpath, &f)) {
        fprintf(stderr, "rlc train: --resume %s: %s\n", dir, rlc_last_error());
        return -1;
    }
    const char *m = rlc_st_meta(f, "rlc.ckpt.step"), *mode = rlc_st_meta(f, "rlc.ckpt.mode");
    long long step = -1;
    if (!m || !mode || strcmp(mode, "offline") || parse_i64(m, 1, &step)) {
        fprintf(stderr, "rlc train: --resume %s: %s is not a resumable checkpoint of an offline run\n",
                dir, ckpath);
        step = -1;
    }
    char sseed[32], ssteps[32];
    snprintf(sseed, sizeof sseed, "%lld", seed);
    snprintf(ssteps, sizeof ssteps, "%lld", steps);
    const char *keys[4] = {"rlc.algo", "rlc.env", "rlc.ckpt.seed", "rlc.ckpt.total_steps"};
    const char *what[4] = {"algo", "env", "seed", "updates"}, *want[4] = {algo, env, sseed, ssteps};
    for (int k = 0; k < 4 && step >= 0; k++) {
        const char *v = rlc_st_meta(f, keys[k]);
        if (!v || strcmp(v, want[k])) {
            fprintf(stderr, "rlc train: %s: checkpoint of another run (%s %s, expected %s)\n",
                    ckpath, what[k], v ? v : "missing", want[k]);
            step = -1;
        }
    }
    rlc_st_file_destroy(f);
    return step;
}

int rlc__cli_train_offline(int argc, char **argv) {
    const char *env = NULL, *algo = NULL, *out_dir = NULL, *kwargs = NULL, *dataset = NULL;
    const char *resume = NULL;
    const char *sets[MAX_SETS];
    int nsets = 0, force = 0, quiet = 0, help = 0, has_steps = 0, has_seed = 0;
    long long steps = 100000, seed = 0, log_interval = 0, ck_every = 0, stop_at = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        const char *what = NULL;
        long long *dst = NULL, lo = 1;
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
        } else if (has && !strcmp(a, "--dataset")) {
            dataset = argv[++i];
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
            what = "--steps", dst = &steps, has_steps = 1;
        } else if (has && !strcmp(a, "--seed")) {
            what = "--seed", dst = &seed, lo = 0, has_seed = 1;
        } else if (has && !strcmp(a, "--stop-at")) {
            what = "--stop-at", dst = &stop_at;
        } else if (has && !strcmp(a, "--log-interval")) {
            what = "--log-interval", dst = &log_interval;
        } else if (has && !strcmp(a, "--checkpoint-every")) {
            what = "--checkpoint-every", dst = &ck_every;
        } else if (has && !strcmp(a, "--resume")) {
            resume = argv[++i];
        } else {
            fprintf(stderr, "rlc train: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (dst && parse_i64(argv[++i], lo, dst)) {
            fprintf(stderr, "rlc train: %s expects a %s integer, got '%s'\n", what,
                    lo ? "positive" : "non-negative", argv[i]);
            return 2;
        }
    }
    offline_train_config rtc; /* the resumed run's trainer fields */
    const rlc_config_table *t = NULL;
    void *cfg = NULL;
    if (resume && !help) {
        if (out_dir || force) {
            fprintf(stderr, "rlc train: --resume DIR continues DIR in place (no --out/--force)\n");
            return 2;
        }
        int lrc = rlc__cli_load_run_config(resume, offline_train_config_table(), &rtc, 1, &t, &cfg);
        if (lrc) return lrc;
        const char *bad = NULL;
        if (env && strcmp(env, rtc.env)) bad = "--env";
        if (algo && strcmp(algo, rtc.algo)) bad = "--algo";
        if (dataset && strcmp(dataset, rtc.dataset)) bad = "--dataset";
        if (kwargs && strcmp(kwargs, rtc.env_kwargs)) bad = "--kwargs";
        if (has_steps && steps != rtc.steps) bad = "--steps";
        if (has_seed && seed != rtc.seed) bad = "--seed";
        /* a --set must agree with the saved config */
        void *probe = rlc_malloc(t->size);
        if (!probe) {
            rlc_free(cfg);
            return 1;
        }
        for (int i = 0; i < nsets && !bad; i++) {
            memcpy(probe, cfg, t->size);
            char *x = NULL, *y = NULL;
            if (rlc_config_assign(t, probe, sets[i]) || rlc_config_to_json(t, probe, &x) ||
                rlc_config_to_json(t, cfg, &y) || strcmp(x, y))
                bad = sets[i];
            rlc_free(x);
            rlc_free(y);
        }
        rlc_free(probe);
        if (bad) {
            fprintf(stderr,
                    "rlc train: %s differs from the run's config.json (a resumed run keeps its "
                    "config)\n",
                    bad);
            rlc_free(cfg);
            return 2;
        }
        env = rtc.env;
        algo = rtc.algo;
        dataset = rtc.dataset;
        kwargs = rtc.env_kwargs[0] ? rtc.env_kwargs : NULL;
        steps = rtc.steps;
        seed = rtc.seed;
        if (!log_interval) log_interval = rtc.log_interval;
        if (!ck_every) ck_every = rtc.checkpoint_every;
        out_dir = resume;
    }
    if (!algo) {
        if (help) {
            usage(stdout);
            return 0;
        }
        fprintf(stderr, "rlc train: --dataset needs --algo (offline algorithms: ");
        offline_names(stderr);
        fprintf(stderr, ")\n");
        return 2;
    }
    if (!t) t = rlc_algo_config_table(algo);
    if (!t) {
        fprintf(stderr, "rlc train: unknown algorithm '%s' (offline algorithms: ", algo);
        offline_names(stderr);
        fprintf(stderr, ")\n");
        return 2;
    }
    if (!rlc_algo_is_offline(algo)) {
        fprintf(stderr,
                "rlc train: %s is an online algorithm: it learns from env interaction, not "
                "from --dataset (offline algorithms: ",
                algo);
        offline_names(stderr);
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
    if (!dataset) {
        fprintf(stderr,
                "rlc train: %s is an offline algorithm: give its data with --dataset PATH (make "
                "one with `rlc dataset collect`)\n",
                algo);
        return 2;
    }
    int rc = 0;
    const int fresh = cfg == NULL; /* a resumed run has its resolved config already */
    if (fresh) {
        if (!(cfg = rlc_malloc(t->size))) return 1;
        rlc_config_defaults(t, cfg);
    }
    for (int i = 0; i < nsets && !rc && fresh; i++)
        if (rlc_config_assign(t, cfg, sets[i])) {
            fprintf(stderr, "rlc train: --set %s: %s\n", sets[i], rlc_last_error());
            rc = 2;
        }
    rlc_dataset *d = NULL;
    if (!rc && rlc_dataset_load(&d, dataset)) {
        fprintf(stderr, "rlc train: --dataset %s: %s\n", dataset, rlc_last_error());
        rc = 2;
    }
    if (!rc && !env) {
        env = rlc_dataset_meta_get(d)->env_id;
        if (!env[0]) {
            fprintf(stderr, "rlc train: the dataset %s does not name its env: give --env ID\n",
                    dataset);
            rc = 2;
        }
    }
    if (!rc && fresh) {
        /* tuned per-env defaults for the offline algorithm, when present; --set wins */
        char dpath[4096], rel[300];
        snprintf(rel, sizeof rel, "defaults/%s.json", algo);
        int applied = 0;
        if (rlc_data_find(rel, dpath, sizeof dpath) == RLC_OK) {
            if (rlc_config_apply_env_defaults(t, cfg, dpath, env, &applied)) {
                fprintf(stderr, "rlc train: %s\n", rlc_last_error());
                rc = 2;
            }
            for (int i = 0; i < nsets && !rc && applied; i++)
                rlc_config_assign(t, cfg, sets[i]);
        }
    }
    rlc_agent *agent = NULL;
    if (!rc) {
        rlc_status st = rlc_agent_create(&agent, algo, env, kwargs, cfg, (uint64_t)seed);
        if (!st) st = rlc_offline_check_dataset(agent, d);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_NOMEM || st == RLC_ERR_IO ? 1 : 2;
        }
    }
    char dir[1024], path[1200], ckpath[1200];
    if (!rc) {
        if (out_dir)
            snprintf(dir, sizeof dir, "%s", out_dir);
        else
            snprintf(dir, sizeof dir, "runs/%s-%s-s%lld", algo, env, seed);
        snprintf(ckpath, sizeof ckpath, "%s/checkpoint.safetensors", dir);
    }
    if (!rc && resume) {
        long long ck_step = checkpoint_step(dir, ckpath, algo, env, seed, steps);
        if (ck_step < 0) rc = 2;
        /* rows logged after the checkpoint are logged again by the resumed run */
        const char *files[2] = {"progress.csv", "progress.jsonl"};
        for (int k = 0; k < 2 && !rc; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[k]);
            if (rlc__cli_truncate_progress(path, k, ck_step)) {
                fprintf(stderr, "rlc train: cannot rewrite %s\n", path);
                rc = 1;
            }
        }
    } else if (!rc) {
        rlc_status st = rlc_run_dir_create(dir, force);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_STATE ? 2 : 1;
        }
    }
    if (!rc && !resume) {
        offline_train_config tc;
        rlc_config_defaults(offline_train_config_table(), &tc);
        snprintf(tc.env, sizeof tc.env, "%s", env);
        snprintf(tc.env_kwargs, sizeof tc.env_kwargs, "%s", kwargs ? kwargs : "");
        snprintf(tc.algo, sizeof tc.algo, "%s", algo);
        snprintf(tc.dataset, sizeof tc.dataset, "%s", dataset);
        tc.steps = steps;
        tc.seed = seed;
        tc.log_interval = log_interval;
        tc.checkpoint_every = ck_every;
        rlc_config_ref refs[2] = {{offline_train_config_table(), &tc}, {t, cfg}};
        snprintf(path, sizeof path, "%s/config.json", dir);
        if (rlc_config_save_n(refs, 2, path)) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
    }
    rlc_logger *lg = NULL;
    rlc_logger_options lo;
    rlc_logger_options_init(&lo);
    lo.append = resume != NULL;
    if (!rc && rlc_logger_create(&lg, dir, &lo)) {
        fprintf(stderr, "rlc train: %s\n", rlc_last_error());
        rc = 1;
    }
    if (!rc) {
        rlc_offline_options o = {.updates = steps,
                                 .log_interval = log_interval,
                                 .logger = lg,
                                 .print = quiet ? NULL : stdout,
                                 .eval_seed = (uint64_t)seed,
                                 .checkpoint_path = ckpath,
                                 .checkpoint_every = ck_every,
                                 .resume_path = resume ? ckpath : NULL,
                                 .stop_at = stop_at};
        rlc_progress *pg = NULL;
        char label[600];
        snprintf(label, sizeof label, "%s %s", algo, env);
        if (!quiet && isatty(fileno(stderr))) {
            rlc_progress_options po;
            rlc_progress_options_init(&po);
            po.label = label;
            if (!rlc_progress_create(&pg, steps, &po)) o.progress = pg;
        }
        if (!quiet)
            printf("rlc train: %s%s on %s (%lld episodes, %lld transitions), %lld updates, seed "
                   "%lld -> %s\n",
                   resume ? "resuming " : "", algo, dataset,
                   (long long)rlc_dataset_num_episodes(d), (long long)rlc_dataset_num_steps(d),
                   steps, seed, dir);
        rlc_offline_result res;
        rlc_status st = rlc_offline_train(agent, d, &o, &res);
        rlc_progress_destroy(pg);
        if (st) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = st == RLC_ERR_INVALID || st == RLC_ERR_STATE || st == RLC_ERR_FORMAT ? 2 : 1;
        }
        if (rlc_logger_close(lg)) {
            if (!rc) fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
        lg = NULL;
        snprintf(path, sizeof path, "%s/final.safetensors", dir);
        if (!rc && res.updates < steps) { /* --stop-at: as if killed */
            printf("rlc train: stopped at update %lld after a checkpoint (--stop-at); continue "
                   "with rlc train --resume %s\n",
                   (long long)res.updates, dir);
        } else if (!rc && rlc_agent_save(agent, path)) {
            fprintf(stderr, "rlc train: %s\n", rlc_last_error());
            rc = 1;
        }
        if (!rc && !quiet && res.updates == steps) {
            printf("done: %lld updates, eval return %.2f +- %.2f", (long long)res.updates,
                   res.eval_return, res.eval_return_std);
            if (isfinite(res.normalized_score))
                printf(", normalized score %.1f", res.normalized_score);
            printf(", %.1f s; saved %s\n", res.seconds, path);
        }
    }
    rlc_logger_destroy(lg);
    rlc_agent_destroy(agent);
    rlc_dataset_destroy(d);
    rlc_free(cfg);
    return rc;
}

/* Whether DIR/config.json names an offline algorithm ("algo": "iql"). */
static int offline_run_dir(const char *dir) {
    char path[1200], buf[1 << 14];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strstr(buf, "\"algo\"");
    if (!p || !(p = strchr(p + 6, '"'))) return 0;
    char name[64];
    int k = 0;
    for (p++; *p && *p != '"' && k < 63; p++) name[k++] = *p;
    name[k] = 0;
    return rlc_algo_is_offline(name);
}

int rlc__cli_train_is_offline(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dataset")) return 1;
        if (i + 1 < argc && !strcmp(argv[i], "--resume") && offline_run_dir(argv[i + 1])) return 1;
        if (i + 1 < argc && !strcmp(argv[i], "--algo") && rlc_algo_is_offline(argv[i + 1]))
            return 1;
    }
    return 0;
}
