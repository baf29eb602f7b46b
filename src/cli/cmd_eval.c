/* `rlc eval --run DIR | --checkpoint FILE`: runs deterministic episodes with a saved agent (env id from the
 * checkpoint's metadata) and prints the mean/std/min/max return; optionally records a GIF. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "rlc/agent.h"
#include "rlc/image.h"

static void usage(FILE *f) {
    fprintf(f, "usage: rlc eval --run DIR | --checkpoint FILE [--episodes N] [--seed S]\n"
               "                [--stochastic] [--gif out.gif] [--gif-size WxH]\n\n"
               "--run DIR evaluates the run folder's final.safetensors (its latest\n"
               "checkpoint.safetensors while the run has not finished).\n"
               "Runs N episodes (default 10; episode i reset with seed S + i, default S = 0) with\n"
               "the agent's deterministic actions (argmax / mean) and prints the mean, standard\n"
               "deviation, minimum and maximum return. --gif records the first episode (default\n"
               "600x400 frames).\n");
}

static int parse_ll(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

void rlc__cli_returns_summary(const double *r, long long n, double *mean, double *std,
                              double *min, double *max) {
    double m = 0, v = 0, mn = INFINITY, mx = -INFINITY;
    for (long long i = 0; i < n; i++) {
        m += r[i];
        if (r[i] < mn) mn = r[i];
        if (r[i] > mx) mx = r[i];
    }
    m /= (double)n;
    for (long long i = 0; i < n; i++) v += (r[i] - m) * (r[i] - m);
    *mean = m;
    *std = sqrt(v / (double)n);
    *min = mn;
    *max = mx;
}

int rlc_cli_eval(int argc, char **argv) {
    const char *ckpt = NULL, *gif_path = NULL, *run = NULL;
    char run_ckpt[4096];
    long long episodes = 10, seed = 0;
    int stochastic = 0, gw = 600, gh = 400;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--stochastic")) {
            stochastic = 1;
        } else if (has && !strcmp(a, "--checkpoint")) {
            ckpt = argv[++i];
        } else if (has && !strcmp(a, "--run")) {
            run = argv[++i];
        } else if (has && !strcmp(a, "--gif")) {
            gif_path = argv[++i];
        } else if (has && !strcmp(a, "--gif-size")) {
            if (sscanf(argv[++i], "%dx%d", &gw, &gh) != 2 || gw < 1 || gh < 1 || gw > 4096 ||
                gh > 4096) {
                fprintf(stderr, "rlc eval: --gif-size expects WxH, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--episodes")) {
            if (parse_ll(argv[++i], 1, 1000000, &episodes)) {
                fprintf(stderr, "rlc eval: --episodes expects an integer in 1..1000000, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--seed")) {
            if (parse_ll(argv[++i], 0, (1LL << 53), &seed)) {
                fprintf(stderr, "rlc eval: --seed expects a non-negative integer, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "rlc eval: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (ckpt && run) {
        fprintf(stderr, "rlc eval: give either --run DIR or --checkpoint FILE, not both\n");
        return 2;
    }
    if (run) {
        struct stat sb;
        if (stat(run, &sb) || !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "rlc eval: --run %s: not a run folder\n", run);
            return 2;
        }
        static const char *const names[] = {"final.safetensors", "checkpoint.safetensors"};
        for (int k = 0; k < 2 && !ckpt; k++) {
            int n = snprintf(run_ckpt, sizeof run_ckpt, "%s/%s", run, names[k]);
            if (n > 0 && (size_t)n < sizeof run_ckpt && !stat(run_ckpt, &sb)) ckpt = run_ckpt;
        }
        if (!ckpt) {
            fprintf(stderr,
                    "rlc eval: --run %s: no final.safetensors or checkpoint.safetensors in it\n",
                    run);
            return 2;
        }
    }
    if (!ckpt) {
        fprintf(stderr, "rlc eval: --run DIR or --checkpoint FILE is required\n");
        return 2;
    }
    rlc_agent *agent = NULL;
    if (rlc_agent_load(&agent, ckpt, (uint64_t)seed)) {
        fprintf(stderr, "rlc eval: %s\n", rlc_last_error());
        return 1;
    }
    double *ret = rlc_malloc(sizeof(double) * (size_t)episodes);
    rlc_gif *gif = NULL;
    int rc = 0;
    if (!ret) rc = 1;
    if (!rc && gif_path && rlc_image_gif_create(&gif, gif_path, gw, gh, 2)) {
        fprintf(stderr, "rlc eval: %s\n", rlc_last_error());
        rc = 1;
    }
    if (!rc && rlc_agent_evaluate(agent, (int)episodes, (uint64_t)seed, stochastic, ret, gif, gw,
                                  gh)) {
        fprintf(stderr, "rlc eval: %s\n", rlc_last_error());
        rc = 1;
    }
    if (!rc) {
        double m, sd, mn, mx;
        rlc__cli_returns_summary(ret, episodes, &m, &sd, &mn, &mx);
        printf("%s %s: %lld %s episodes  mean %.2f  std %.2f  min %.2f  max %.2f\n",
               rlc_agent_algo(agent), rlc_agent_env_id(agent), episodes,
               stochastic ? "stochastic" : "deterministic", m, sd, mn, mx);
    }
    if (gif) {
        if (!rc && rlc_image_gif_close(gif)) {
            fprintf(stderr, "rlc eval: %s\n", rlc_last_error());
            rc = 1;
        } else if (!rc) {
            printf("wrote %s\n", gif_path);
        } else {
            rlc_image_gif_destroy(gif);
        }
    }
    rlc_free(ret);
    rlc_agent_destroy(agent);
    return rc;
}
