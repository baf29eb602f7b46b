/* `rlc env replay`: runs an env on actions read from a file and prints one JSON object per
 * reset and per step at full precision (format documented in docs/envs.md). Also dispatches
 * `rlc env render` (cmd_env_render.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/env.h"

#define MAX_VALUES 64

static void usage(FILE *f) {
    fprintf(f,
            "usage: rlc env render ...   (see rlc env render --help)\n"
            "       rlc env replay --env ID --actions FILE [--seed S] [--state FILE]\n"
            "                      [--kwargs key=value,...]\n\n"
            "Resets ID with seed S (default 0; any non-negative integer), optionally sets the\n"
            "state vector read from --state (whitespace-separated numbers, see `rlc envs ID`),\n"
            "then steps with one action per line of FILE ('-' = stdin): an integer for Discrete\n"
            "spaces, space-separated numbers for Box spaces; blank lines and '#' comments are\n"
            "skipped. When an episode ends and actions remain, the env is reset without a seed\n"
            "(the RNG stream continues, as Gymnasium's reset()). Prints one JSON object per line:\n"
            "  {\"kind\":\"reset\",\"episode\":0,\"seed\":S,\"obs\":[...],\"state\":[...]}\n"
            "  {\"kind\":\"step\",\"episode\":0,\"t\":1,\"action\":[...],\"obs\":[...],"
            "\"state\":[...],\n   \"reward\":R,\"terminated\":false,\"truncated\":false}\n"
            "Numbers use %%.17g; nan and infinities are written as strings.\n");
}

static void put_num(double v) {
    if (isnan(v))
        fputs("\"nan\"", stdout);
    else if (isinf(v))
        fputs(v > 0 ? "\"inf\"" : "\"-inf\"", stdout);
    else
        printf("%.17g", v);
}

static void put_array(const double *v, int64_t n) {
    putchar('[');
    for (int64_t i = 0; i < n; i++) {
        if (i) putchar(',');
        put_num(v[i]);
    }
    putchar(']');
}

/* obs in the space's dtype, as doubles */
static void obs_values(const rlc_space *s, const void *obs, double *out) {
    for (int64_t i = 0; i < s->size; i++) {
        switch (s->dtype) {
        case RLC_SPACE_FLOAT32:
            out[i] = ((const float *)obs)[i];
            break;
        case RLC_SPACE_FLOAT64:
            out[i] = ((const double *)obs)[i];
            break;
        case RLC_SPACE_INT64:
            out[i] = (double)((const int64_t *)obs)[i];
            break;
        case RLC_SPACE_INT32:
            out[i] = ((const int32_t *)obs)[i];
            break;
        case RLC_SPACE_UINT8:
            out[i] = ((const uint8_t *)obs)[i];
            break;
        }
    }
}

static void print_obs_state(const rlc_env *env, const void *obs) {
    double v[MAX_VALUES];
    const rlc_space *s = rlc_env_obs_space(env);
    obs_values(s, obs, v);
    fputs(",\"obs\":", stdout);
    put_array(v, s->size);
    if (rlc_env_get_state_vector(env, v) == RLC_OK) {
        fputs(",\"state\":", stdout);
        put_array(v, rlc_env_state_dim(env));
    }
}

static void print_reset(const rlc_env *env, int episode, const char *seed, const void *obs) {
    printf("{\"kind\":\"reset\",\"episode\":%d,\"seed\":%s", episode, seed ? seed : "null");
    print_obs_state(env, obs);
    fputs("}\n", stdout);
}

/* Parses up to `cap` numbers from `line` (comments after '#'); returns the count, or -1 with
 * the offending token in *bad. */
static int parse_numbers(char *line, double *out, int cap, char **bad) {
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    int n = 0;
    for (char *tok = strtok(line, " \t\r\n,"); tok; tok = strtok(NULL, " \t\r\n,")) {
        char *end;
        errno = 0;
        double v = strtod(tok, &end);
        if (end == tok || *end) {
            *bad = tok;
            return -1;
        }
        if (n < cap) out[n] = v;
        n++;
    }
    return n;
}

static int is_decimal(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* Reads the --state file into v; returns the count or -1 (message printed). */
static int read_state_file(const char *path, double *v, int cap) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "rlc env replay: cannot open state file '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int n = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        double vals[MAX_VALUES];
        char *bad = NULL;
        int k = parse_numbers(line, vals, MAX_VALUES, &bad);
        if (k < 0) {
            fprintf(stderr, "rlc env replay: %s: '%s' is not a number\n", path, bad);
            fclose(f);
            return -1;
        }
        for (int i = 0; i < k; i++) {
            if (n < cap) v[n] = vals[i];
            n++;
        }
    }
    fclose(f);
    return n;
}

static int replay(int argc, char **argv) {
    const char *id = NULL, *seed = "0", *actions = NULL, *state = NULL, *kwargs = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        const char **dst = !strcmp(a, "--env")       ? &id
                           : !strcmp(a, "--seed")    ? &seed
                           : !strcmp(a, "--actions") ? &actions
                           : !strcmp(a, "--state")   ? &state
                           : !strcmp(a, "--kwargs")  ? &kwargs
                                                     : NULL;
        if (!dst) {
            fprintf(stderr, "rlc env replay: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "rlc env replay: %s needs a value\n", a);
            return 2;
        }
        *dst = argv[++i];
    }
    if (!id || !actions) {
        fprintf(stderr, "rlc env replay: --env and --actions are required\n");
        usage(stderr);
        return 2;
    }
    if (!is_decimal(seed)) {
        fprintf(stderr, "rlc env replay: --seed must be a non-negative integer, got '%s'\n", seed);
        return 2;
    }
    rlc_env *env;
    if (rlc_env_make(&env, id, kwargs)) {
        fprintf(stderr, "rlc env replay: %s\n", rlc_last_error());
        return 1;
    }
    int rc = 1;
    FILE *f = NULL;
    double sv[MAX_VALUES];
    int ns = 0;
    if (state && (ns = read_state_file(state, sv, MAX_VALUES)) < 0) goto done;
    f = strcmp(actions, "-") ? fopen(actions, "r") : stdin;
    if (!f) {
        fprintf(stderr, "rlc env replay: cannot open actions file '%s': %s\n", actions,
                strerror(errno));
        goto done;
    }
    const rlc_space *as = rlc_env_action_space(env);
    if (rlc_space_bytes(rlc_env_obs_space(env)) > MAX_VALUES * sizeof(double) ||
        as->size > MAX_VALUES || rlc_env_state_dim(env) > MAX_VALUES) {
        fprintf(stderr, "rlc env replay: %s is too large for replay\n", id);
        goto done;
    }
    double obs[MAX_VALUES];
    if (rlc_env_seed_str(env, seed) || rlc_env_reset(env, RLC_ENV_NO_SEED, obs)) {
        fprintf(stderr, "rlc env replay: %s\n", rlc_last_error());
        goto done;
    }
    if (state) {
        if (rlc_env_set_state_vector(env, sv, ns) || rlc_env_observe(env, obs)) {
            fprintf(stderr, "rlc env replay: %s: %s\n", state, rlc_last_error());
            goto done;
        }
    }
    int episode = 0, lineno = 0;
    int64_t t = 0;
    print_reset(env, episode, seed, obs);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        lineno++;
        double a[MAX_VALUES];
        char *bad = NULL;
        int n = parse_numbers(line, a, MAX_VALUES, &bad);
        if (n < 0) {
            fprintf(stderr, "rlc env replay: %s:%d: '%s' is not a number\n", actions, lineno, bad);
            goto done;
        }
        if (n == 0) continue;
        if (n != as->size) {
            fprintf(stderr, "rlc env replay: %s:%d: expected %lld number%s for %s, got %d\n",
                    actions, lineno, (long long)as->size, as->size == 1 ? "" : "s", id, n);
            goto done;
        }
        if (!rlc_env_running(env)) {
            rlc_env_reset(env, RLC_ENV_NO_SEED, obs);
            episode++;
            t = 0;
            print_reset(env, episode, NULL, obs);
        }
        rlc_step_result r;
        if (rlc_env_step_values(env, a, n, obs, &r)) {
            fprintf(stderr, "rlc env replay: %s:%d: %s\n", actions, lineno, rlc_last_error());
            goto done;
        }
        t++;
        printf("{\"kind\":\"step\",\"episode\":%d,\"t\":%lld,\"action\":", episode, (long long)t);
        put_array(a, n);
        print_obs_state(env, obs);
        fputs(",\"reward\":", stdout);
        put_num(r.reward);
        printf(",\"terminated\":%s,\"truncated\":%s}\n", r.terminated ? "true" : "false",
               r.truncated ? "true" : "false");
    }
    if (ferror(f)) {
        fprintf(stderr, "rlc env replay: error reading '%s'\n", actions);
        goto done;
    }
    rc = 0;
done:
    if (f && f != stdin) fclose(f);
    rlc_env_destroy(env);
    fflush(stdout);
    return rc;
}

int rlc_cli_env(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "replay")) return replay(argc - 1, argv + 1);
    if (!strcmp(argv[1], "render")) return rlc__cli_env_render(argc - 1, argv + 1);
    fprintf(stderr,
            "rlc env: unknown subcommand '%s' (replay, render; try rlc env replay --help)\n",
            argv[1]);
    return 2;
}
