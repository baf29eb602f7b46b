/* `rlc envs [ID]`: lists the registered environments with their spaces and time limits, or
 * shows one env in detail (spaces, state vector, keyword arguments). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/env.h"

static const char *dtype_name(rlc_space_dtype d) {
    switch (d) {
    case RLC_SPACE_FLOAT32:
        return "float32";
    case RLC_SPACE_FLOAT64:
        return "float64";
    case RLC_SPACE_INT64:
        return "int64";
    case RLC_SPACE_INT32:
        return "int32";
    case RLC_SPACE_UINT8:
        return "uint8";
    }
    return "?";
}

/* Compact form for the table: "Discrete(3)", "Box(4,) float32". */
static void short_space(const rlc_space *s, char *buf, size_t cap) {
    if (s->kind != RLC_SPACE_BOX) {
        rlc_space_describe(s, buf, cap);
        return;
    }
    size_t len = (size_t)snprintf(buf, cap, "Box(");
    for (int d = 0; d < s->ndim && len < cap; d++)
        len +=
            (size_t)snprintf(buf + len, cap - len, d ? ", %lld" : "%lld", (long long)s->shape[d]);
    if (len < cap)
        snprintf(buf + len, cap - len, "%s) %s", s->ndim == 1 ? "," : "", dtype_name(s->dtype));
}

static void usage(FILE *f) {
    fprintf(f, "usage: rlc envs [ID]\n\n"
               "Lists the registered environments (id, observation and action spaces, time limit,\n"
               "reward threshold). With an ID, shows that env's spaces, state vector and keyword\n"
               "arguments (for --kwargs key=value,...).\n");
}

static int show_one(const char *id) {
    rlc_env *env;
    if (rlc_env_make(&env, id, NULL)) {
        fprintf(stderr, "rlc envs: %s\n", rlc_last_error());
        return 1;
    }
    const rlc_env_spec *s = rlc_env_registry_find(id);
    char sp[1024];
    printf("%s: %s\n", s->id, s->summary);
    rlc_space_describe(rlc_env_obs_space(env), sp, sizeof sp);
    printf("  observation space  %s\n", sp);
    rlc_space_describe(rlc_env_action_space(env), sp, sizeof sp);
    printf("  action space       %s\n", sp);
    printf("  state vector       [%s]\n", rlc_env_state_names(env));
    if (s->max_episode_steps > 0)
        printf("  max_episode_steps  %lld\n", (long long)s->max_episode_steps);
    else
        printf("  max_episode_steps  none\n");
    if (isnan(s->reward_threshold))
        printf("  reward_threshold   none\n");
    else
        printf("  reward_threshold   %g\n", s->reward_threshold);
    printf("  keyword arguments (--kwargs key=value,...):\n");
    for (int i = 0; i < s->nparams; i++) {
        const rlc_env_param *p = &s->params[i];
        char def[32];
        if (p->type == RLC_PARAM_BOOL)
            snprintf(def, sizeof def, "%s", p->default_value ? "true" : "false");
        else if (p->type == RLC_PARAM_STRING)
            snprintf(def, sizeof def, "-");
        else /* shortest form that reads back exactly */
            for (int prec = 6; prec <= 17; prec++) {
                snprintf(def, sizeof def, "%.*g", prec, p->default_value);
                if (strtod(def, NULL) == p->default_value) break;
            }
        printf("    %-20s %-10s %s\n", p->name, def, p->doc);
    }
    printf("    %-20s %-10lld %s\n", "max_episode_steps", (long long)s->max_episode_steps,
           "time limit (0 = none)");
    rlc_env_destroy(env);
    return 0;
}

int rlc_cli_envs(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        usage(stderr);
        return 2;
    }
    if (argc == 2) return show_one(argv[1]);
    printf("%-26s %-18s %-14s %9s %9s\n", "id", "observation", "action", "max_steps", "threshold");
    for (int i = 0; i < rlc_env_registry_count(); i++) {
        const rlc_env_spec *s = rlc_env_registry_get(i);
        rlc_env *env;
        if (rlc_env_make(&env, s->id, NULL)) {
            /* e.g. a MuJoCo model file that is not installed: list the id, say why */
            printf("%-26s unavailable (`rlc envs %s` says why)\n", s->id, s->id);
            continue;
        }
        char o[128], a[128], ms[32], th[32];
        short_space(rlc_env_obs_space(env), o, sizeof o);
        short_space(rlc_env_action_space(env), a, sizeof a);
        if (s->max_episode_steps > 0)
            snprintf(ms, sizeof ms, "%lld", (long long)s->max_episode_steps);
        else
            snprintf(ms, sizeof ms, "none");
        if (isnan(s->reward_threshold))
            snprintf(th, sizeof th, "none");
        else
            snprintf(th, sizeof th, "%g", s->reward_threshold);
        printf("%-26s %-18s %-14s %9s %9s\n", s->id, o, a, ms, th);
        rlc_env_destroy(env);
    }
    printf("\n`rlc envs ID` shows an env's spaces, state vector and keyword arguments.\n");
    return 0;
}
