/* `rlc bench learn`: trains one algorithm on one env over N seeds, evaluates each final policy
 * and reports the final return as IQM with a 95% stratified-bootstrap CI, plus a curve plot. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/experiment.h"
#include "rlc/log.h"
#include "rlc/offline.h"

#define MAX_SETS 128
#define MAX_SEEDS 1000
#define MAX_JOBS 256
#define GRID 50
#define EVAL_EPISODES 10

static void usage(FILE *f) {
    fprintf(f,
            "usage: rlc bench learn --env ID --algo NAME --seeds N [--steps S] [--set k=v ...]\n"
            "                       [--kwargs k=v,...] [--out DIR] [--force]\n"
            "                       [--eval-episodes E] [--jobs J]\n"
            "       rlc bench learn --algo bc|td3bc|iql|cql|awac --dataset PATH --seeds N\n"
            "                       [--steps UPDATES] [--env ID] [--ref-min R --ref-max E] ...\n\n"
            "Trains seeds 0..N-1, one after the other unless --jobs (run folders DIR/seed<i>,\n"
            "default DIR: runs/bench-<algo>-<env>), evaluates each final policy over E\n"
            "deterministic episodes\n"
            "(default 10, episode j reset with seed 1000000 + j) and prints the final return as\n"
            "the IQM over seeds with a 95%% stratified-bootstrap CI (rliable's method, 2000\n"
            "resamples), then the per-seed returns and wall times. --jobs J trains J seeds at\n"
            "once, each in its own process (the results do not depend on J; the per-seed lines\n"
            "then come in the order the seeds finish). Writes DIR/results.csv and\n"
            "DIR/curve.svg: the training return (return_mean of progress.csv) of each seed,\n"
            "linearly interpolated on a common grid of %d steps, drawn as the IQM over seeds\n"
            "with its 95%% bootstrap CI as the band.\n"
            "Offline algorithms train from --dataset (S gradient updates; env from the dataset\n"
            "unless --env); the final return is also reported as D4RL's normalised score\n"
            "100 (R - random) / (expert - random) when reference scores are known (the\n"
            "dataset's, else rlc's table; --ref-min/--ref-max override them), and the curve is\n"
            "the evaluation return\n"
            "(eval/return_mean; --set eval_every=K sets its points).\n",
            GRID);
}

static int parse_ll(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || d < (double)lo || d > (double)hi || d != (double)(long long)d)
        return -1;
    *out = (long long)d;
    return 0;
}

/* y of the run's curve at step g by linear interpolation between logged rows (NaN outside the
 * logged range or next to an empty cell). */
static double interp(const double *x, const double *y, int n, double g) {
    for (int i = 0; i < n; i++) {
        if (x[i] < g) continue;
        if (x[i] == g) return y[i];
        if (i == 0) return NAN;
        double w = (g - x[i - 1]) / (x[i] - x[i - 1]);
        return y[i - 1] + w * (y[i] - y[i - 1]);
    }
    return NAN;
}

/* What every seed of a bench run shares. */
typedef struct seed_ctx {
    const char *algo, *env, *kwargs, *dir;
    const void *cfg;
    const rlc_dataset *data;
    int offline, normalized;
    long long steps, eval_eps;
    double ref_min, ref_max;
} seed_ctx;

/* Trains, evaluates and saves seed s; out = {final return, wall seconds, training return}.
 * Prints the seed's line. Returns 0, or 1 (resources) / 2 (bad input) after printing why. */
static int run_seed(const seed_ctx *c, int s, double out[3]) {
    char sdir[1100];
    snprintf(sdir, sizeof sdir, "%s/seed%d", c->dir, s);
    rlc_agent *ag = NULL;
    rlc_logger *lg = NULL;
    double *ev = malloc(sizeof(double) * (size_t)c->eval_eps);
    rlc_status st = ev ? rlc_run_dir_create(sdir, 1) : RLC_ERR_NOMEM;
    if (!st) st = rlc_agent_create(&ag, c->algo, c->env, c->kwargs, c->cfg, (uint64_t)s);
    if (!st) st = rlc_logger_create(&lg, sdir, NULL);
    rlc_train_result res = {0};
    const long long li = c->steps / GRID > 0 ? c->steps / GRID : 1;
    if (!st && c->offline) {
        rlc_offline_options o = {
            .updates = c->steps, .log_interval = li, .logger = lg, .eval_seed = (uint64_t)s};
        rlc_offline_result r;
        st = rlc_offline_train(ag, c->data, &o, &r);
        res.seconds = r.seconds;
        res.mean_return = r.eval_return; /* the run's own last evaluation */
    } else if (!st) {
        rlc_train_options o = {.total_steps = c->steps, .log_interval = li, .logger = lg};
        st = rlc_agent_train(ag, (uint64_t)s, &o, &res);
    }
    if (!st) {
        st = rlc_logger_close(lg);
        lg = NULL;
    }
    if (!st) st = rlc_agent_evaluate(ag, (int)c->eval_eps, 1000000, 0, ev, NULL, 0, 0);
    if (!st) {
        char p[1200];
        snprintf(p, sizeof p, "%s/final.safetensors", sdir);
        st = rlc_agent_save(ag, p);
    }
    int rc = 0;
    if (st) {
        fprintf(stderr, "rlc bench: seed %d: %s\n", s, rlc_last_error());
        rc = st == RLC_ERR_NOMEM || st == RLC_ERR_IO ? 1 : 2;
    } else {
        double m = 0;
        for (int j = 0; j < c->eval_eps; j++)
            m += ev[j];
        out[0] = m / (double)c->eval_eps;
        out[1] = res.seconds;
        out[2] = res.mean_return;
        printf("  seed %d: final return %.2f", s, out[0]);
        if (c->normalized)
            printf(" (normalised %.1f)",
                   100.0 * (out[0] - c->ref_min) / (c->ref_max - c->ref_min));
        printf("  (%s %.2f)  %.1f s\n", c->offline ? "last evaluation in training" : "training",
               out[2], out[1]);
        fflush(stdout);
    }
    rlc_logger_destroy(lg);
    rlc_agent_destroy(ag);
    free(ev);
    return rc;
}

/* Runs seeds 0..S-1 in up to `jobs` child processes at once; each sends back its status and
 * out[3] through a pipe. Returns the first failure's code (the others still finish). */
static int run_seeds_forked(const seed_ctx *c, int S, int jobs, double *final, double *wall,
                            double *train_ret) {
    pid_t pid_of[MAX_JOBS];
    int fd_of[MAX_JOBS], seed_of[MAX_JOBS], running = 0, next = 0, rc = 0;
    fflush(stdout);
    fflush(stderr);
    while (next < S || running > 0) {
        while (running < jobs && next < S && !rc) {
            int p[2];
            if (pipe(p)) {
                fprintf(stderr, "rlc bench: pipe failed: %s\n", strerror(errno));
                rc = 1;
                break;
            }
            pid_t pid = fork();
            if (pid < 0) {
                fprintf(stderr, "rlc bench: fork failed: %s\n", strerror(errno));
                close(p[0]);
                close(p[1]);
                rc = 1;
                break;
            }
            if (pid == 0) {
                close(p[0]);
                double out[3] = {0, 0, 0};
                int r = run_seed(c, next, out);
                int ok = write(p[1], &r, sizeof r) == (ssize_t)sizeof r &&
                         write(p[1], out, sizeof out) == (ssize_t)sizeof out;
                fflush(stdout);
                fflush(stderr);
                _exit(ok ? r : 1);
            }
            close(p[1]);
            pid_of[running] = pid;
            fd_of[running] = p[0];
            seed_of[running] = next++;
            running++;
        }
        if (running == 0) break;
        int status = 0;
        pid_t done = waitpid(-1, &status, 0);
        if (done < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "rlc bench: waitpid failed: %s\n", strerror(errno));
            return 1;
        }
        int k = 0;
        while (k < running && pid_of[k] != done)
            k++;
        if (k == running) continue; /* not one of ours */
        int r = 1, s = seed_of[k];
        double out[3];
        if (WIFEXITED(status) && read(fd_of[k], &r, sizeof r) == (ssize_t)sizeof r &&
            read(fd_of[k], out, sizeof out) == (ssize_t)sizeof out) {
            if (!r) {
                final[s] = out[0];
                wall[s] = out[1];
                train_ret[s] = out[2];
            }
        } else {
            fprintf(stderr, "rlc bench: seed %d: its process %s\n", s,
                    WIFSIGNALED(status) ? "was killed by a signal" : "ended without a result");
            r = 1;
        }
        if (r && !rc) rc = r;
        close(fd_of[k]);
        running--;
        pid_of[k] = pid_of[running];
        fd_of[k] = fd_of[running];
        seed_of[k] = seed_of[running];
    }
    return rc;
}

static int bench_learn(int argc, char **argv) {
    const char *env = NULL, *algo = "ppo", *out_dir = NULL, *kwargs = NULL, *dataset = NULL;
    double ref_lo = NAN, ref_hi = NAN; /* --ref-min / --ref-max */
    const char *sets[MAX_SETS];
    int nsets = 0, force = 0;
    long long seeds = 0, steps = 100000, eval_eps = EVAL_EPISODES, jobs = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (has && !strcmp(a, "--env")) {
            env = argv[++i];
        } else if (has && !strcmp(a, "--algo")) {
            algo = argv[++i];
        } else if (has && !strcmp(a, "--out")) {
            out_dir = argv[++i];
        } else if (has && !strcmp(a, "--kwargs")) {
            kwargs = argv[++i];
        } else if (has && !strcmp(a, "--dataset")) {
            dataset = argv[++i];
        } else if (has && (!strcmp(a, "--ref-min") || !strcmp(a, "--ref-max"))) {
            char *end;
            double x = strtod(argv[i + 1], &end);
            if (end == argv[i + 1] || *end || !isfinite(x)) {
                fprintf(stderr, "rlc bench: %s expects a number, got '%s'\n", a, argv[i + 1]);
                return 2;
            }
            *(!strcmp(a, "--ref-min") ? &ref_lo : &ref_hi) = x;
            i++;
        } else if (has && !strcmp(a, "--set")) {
            if (nsets == MAX_SETS) {
                fprintf(stderr, "rlc bench: more than %d --set options\n", MAX_SETS);
                return 2;
            }
            sets[nsets++] = argv[++i];
        } else if (has && !strcmp(a, "--seeds")) {
            if (parse_ll(argv[++i], 1, MAX_SEEDS, &seeds)) {
                fprintf(stderr, "rlc bench: --seeds expects an integer in 1..%d, got '%s'\n",
                        MAX_SEEDS, argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--steps")) {
            if (parse_ll(argv[++i], 1, (long long)9e15, &steps)) {
                fprintf(stderr, "rlc bench: --steps expects a positive integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--jobs")) {
            if (parse_ll(argv[++i], 1, MAX_JOBS, &jobs)) {
                fprintf(stderr, "rlc bench: --jobs expects an integer in 1..%d, got '%s'\n",
                        MAX_JOBS, argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--eval-episodes")) {
            if (parse_ll(argv[++i], 1, 100000, &eval_eps)) {
                fprintf(stderr, "rlc bench: --eval-episodes expects an integer in 1..100000\n");
                return 2;
            }
        } else {
            fprintf(stderr, "rlc bench: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    const int offline = rlc_algo_is_offline(algo);
    if (offline != (dataset != NULL)) {
        fprintf(stderr,
                offline ? "rlc bench: %s is an offline algorithm: give its data with --dataset PATH\n"
                        : "rlc bench: %s is an online algorithm: it takes no --dataset\n",
                algo);
        return 2;
    }
    rlc_dataset *data = NULL;
    if (dataset) {
        if (rlc_dataset_load(&data, dataset)) {
            fprintf(stderr, "rlc bench: --dataset %s: %s\n", dataset, rlc_last_error());
            return 2;
        }
        if (!env) env = rlc_dataset_meta_get(data)->env_id[0] ? rlc_dataset_meta_get(data)->env_id
                                                              : NULL;
    }
    if (!env || !seeds) {
        fprintf(stderr, "rlc bench: --env ID (or a dataset naming its env) and --seeds N are "
                        "required\n");
        rlc_dataset_destroy(data);
        return 2;
    }
    const rlc_config_table *t = rlc_algo_config_table(algo);
    if (!t) {
        fprintf(stderr, "rlc bench: unknown algorithm '%s'\n", algo);
        rlc_dataset_destroy(data);
        return 2;
    }
    /* D4RL's normalised score: the dataset's reference scores, else rlc's table */
    double ref_min = NAN, ref_max = NAN;
    if (data) {
        ref_min = rlc_dataset_meta_get(data)->ref_min_score;
        ref_max = rlc_dataset_meta_get(data)->ref_max_score;
    }
    if (offline && !(isfinite(ref_min) && isfinite(ref_max) && ref_max != ref_min) &&
        !rlc_dataset_ref_scores(env, &ref_min, &ref_max))
        ref_min = ref_max = NAN;
    if (isfinite(ref_lo) != isfinite(ref_hi) || (isfinite(ref_lo) && ref_lo == ref_hi)) {
        fprintf(stderr, "rlc bench: --ref-min and --ref-max go together and must differ\n");
        rlc_dataset_destroy(data);
        return 2;
    }
    if (isfinite(ref_lo)) {
        ref_min = ref_lo;
        ref_max = ref_hi;
    }
    const int normalized = offline && isfinite(ref_min) && isfinite(ref_max) && ref_max != ref_min;
    void *cfg = rlc_malloc(t->size);
    if (!cfg) {
        rlc_dataset_destroy(data);
        return 1;
    }
    rlc_config_defaults(t, cfg);
    int rc = 0;
    char dpath[4096], rel[300];
    snprintf(rel, sizeof rel, "defaults/%s.json", algo);
    if (rlc_data_find(rel, dpath, sizeof dpath) == RLC_OK &&
        rlc_config_apply_env_defaults(t, cfg, dpath, env, NULL)) {
        fprintf(stderr, "rlc bench: %s\n", rlc_last_error());
        rc = 2;
    }
    for (int i = 0; i < nsets && !rc; i++)
        if (rlc_config_assign(t, cfg, sets[i])) {
            fprintf(stderr, "rlc bench: --set %s: %s\n", sets[i], rlc_last_error());
            rc = 2;
        }
    char dir[1024];
    if (out_dir)
        snprintf(dir, sizeof dir, "%s", out_dir);
    else
        snprintf(dir, sizeof dir, "runs/bench-%s-%s", algo, env);
    if (!rc) {
        rlc_status st = rlc_run_dir_create(dir, force);
        if (st) {
            fprintf(stderr, "rlc bench: %s\n", rlc_last_error());
            rc = st == RLC_ERR_STATE ? 2 : 1;
        }
    }
    int S = (int)seeds;
    double *final = calloc((size_t)S, sizeof(double)), *wall = calloc((size_t)S, sizeof(double));
    double *train_ret = calloc((size_t)S, sizeof(double)), *norm = calloc((size_t)S, sizeof(double));
    if (!final || !wall || !train_ret || !norm) rc = 1;
    if (!rc)
        printf("rlc bench learn: %s on %s%s%s, %d seeds x %lld %s%s -> %s\n", algo, env,
               dataset ? " from " : "", dataset ? dataset : "", S, steps,
               offline ? "updates" : "steps", jobs > 1 ? " (parallel jobs)" : "", dir);
    seed_ctx sc = {.algo = algo,
                   .env = env,
                   .kwargs = kwargs,
                   .dir = dir,
                   .cfg = cfg,
                   .data = data,
                   .offline = offline,
                   .normalized = normalized,
                   .steps = steps,
                   .eval_eps = eval_eps,
                   .ref_min = ref_min,
                   .ref_max = ref_max};
    const double t_start = rlc_time_now();
    if (!rc && jobs > 1 && S > 1) {
        rc = run_seeds_forked(&sc, S, (int)(jobs < S ? jobs : S), final, wall, train_ret);
    } else {
        for (int s = 0; s < S && !rc; s++) {
            double out[3];
            rc = run_seed(&sc, s, out);
            if (!rc) {
                final[s] = out[0];
                wall[s] = out[1];
                train_ret[s] = out[2];
            }
        }
    }
    const double elapsed = rlc_time_now() - t_start;
    for (int s = 0; s < S && !rc; s++)
        norm[s] = normalized ? 100.0 * (final[s] - ref_min) / (ref_max - ref_min) : NAN;
    rlc_stats_ci ci = {0}, nci = {NAN, NAN, NAN};
    if (!rc && (rlc_stats_bootstrap_ci(final, S, 1, RLC_STATS_IQM, 2000, 0.95, 0, &ci) ||
                (normalized &&
                 rlc_stats_bootstrap_ci(norm, S, 1, RLC_STATS_IQM, 2000, 0.95, 0, &nci)))) {
        fprintf(stderr, "rlc bench: %s\n", rlc_last_error());
        rc = 1;
    }
    if (!rc) {
        double tw = 0;
        for (int s = 0; s < S; s++)
            tw += wall[s];
        printf("final return (%lld deterministic episodes per seed, %d seeds):\n", eval_eps, S);
        printf("  IQM %.2f\n  95%% CI [%.2f, %.2f] (stratified bootstrap, 2000 resamples)\n",
               ci.point, ci.lo, ci.hi);
        if (normalized)
            printf("normalised score (D4RL, random %.2f, expert %.2f): IQM %.1f, 95%% CI [%.1f, "
                   "%.1f]\n",
                   ref_min, ref_max, nci.point, nci.lo, nci.hi);
        printf("  wall time %.1f s in all, %.1f s per seed; elapsed %.1f s with %lld job%s\n", tw,
               tw / S, elapsed, jobs < S ? jobs : S, (jobs < S ? jobs : S) > 1 ? "s" : "");
        char p[1200];
        snprintf(p, sizeof p, "%s/results.csv", dir);
        FILE *f = fopen(p, "w");
        if (!f) {
            fprintf(stderr, "rlc bench: cannot write %s\n", p);
            rc = 1;
        } else {
            fprintf(f, "seed,final_return,train_return,wall_seconds,steps,normalized_score\n");
            for (int s = 0; s < S; s++)
                fprintf(f, "%d,%.17g,%.17g,%.6f,%lld,%.17g\n", s, final[s], train_ret[s], wall[s],
                        steps, norm[s]);
            fprintf(f, "# iqm,%.17g,ci_lo,%.17g,ci_hi,%.17g\n", ci.point, ci.lo, ci.hi);
            if (normalized)
                fprintf(f, "# normalized iqm,%.17g,ci_lo,%.17g,ci_hi,%.17g\n", nci.point, nci.lo,
                        nci.hi);
            if (fclose(f)) rc = 1;
            printf("wrote %s\n", p);
        }
    }
    /* curve: each seed's return_mean interpolated on a common grid; IQM and bootstrap CI */
    if (!rc) {
        double gx[GRID], gy[GRID], glo[GRID], ghi[GRID], col[MAX_SEEDS];
        double *cx[MAX_SEEDS] = {0}, *cy[MAX_SEEDS] = {0};
        int cn[MAX_SEEDS] = {0};
        for (int s = 0; s < S && !rc; s++) {
            char sdir[1100];
            snprintf(sdir, sizeof sdir, "%s/seed%d", dir, s);
            if (rlc__cli_read_curve(sdir, "step", offline ? "eval/return_mean" : "return_mean",
                                    &cx[s], &cy[s], &cn[s]))
                rc = 1;
        }
        for (int g = 0; g < GRID && !rc; g++) {
            gx[g] = (double)steps * (g + 1) / GRID;
            int ok = 1;
            for (int s = 0; s < S; s++) {
                col[s] = interp(cx[s], cy[s], cn[s], gx[g]);
                if (!isfinite(col[s])) ok = 0;
            }
            rlc_stats_ci c = {NAN, NAN, NAN};
            if (ok && rlc_stats_bootstrap_ci(col, S, 1, RLC_STATS_IQM, 500, 0.95, (uint64_t)g, &c))
                c = (rlc_stats_ci){NAN, NAN, NAN};
            gy[g] = c.point;
            glo[g] = c.lo;
            ghi[g] = c.hi;
        }
        for (int s = 0; s < S; s++) {
            free(cx[s]);
            free(cy[s]);
        }
        if (!rc) {
            char label[300], title[400], p[1200];
            snprintf(label, sizeof label, "%s (IQM, 95%% CI over %d seeds)", algo, S);
            snprintf(title, sizeof title, "%s on %s", algo, env);
            rlc_plot_series ser = {
                .label = label, .x = gx, .y = gy, .lo = glo, .hi = ghi, .n = GRID};
            rlc_plot_options po;
            rlc_plot_options_init(&po);
            po.title = title;
            po.xlabel = offline ? "update" : "step";
            po.ylabel = offline ? "evaluation return" : "training return";
            snprintf(p, sizeof p, "%s/curve.svg", dir);
            if (rlc_plot_write_svg(p, &po, &ser, 1)) {
                fprintf(stderr, "rlc bench: %s\n", rlc_last_error());
                rc = 1;
            } else {
                printf("wrote %s\n", p);
            }
        }
    }
    free(final);
    free(wall);
    free(train_ret);
    free(norm);
    rlc_free(cfg);
    rlc_dataset_destroy(data);
    return rc;
}

int rlc_cli_bench(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "learn")) return bench_learn(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "rlc bench: expected a subcommand: learn\n");
    usage(stderr);
    return 2;
}
