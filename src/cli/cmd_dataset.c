/* `rlc dataset`: collect offline datasets (random or checkpoint policy), show their statistics
 * (returns, TQ, SACo), mix two datasets and convert between Minari and D4RL files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/offline.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: rlc dataset collect --env ID --policy random|CHECKPOINT --steps N\n"
            "                           [--noise SIGMA] [--deterministic] [--seed S]\n"
            "                           [--kwargs K=V,..] [--id NAME] --out DIR|FILE.hdf5\n"
            "       rlc dataset info DIR|FILE [--reference DIR|FILE] [--bin B]\n"
            "                        [--ref-min X --ref-max Y]\n"
            "       rlc dataset mix A B --fraction F [--seed S] --out DIR|FILE.hdf5\n"
            "       rlc dataset convert --from d4rl|minari IN --to minari|d4rl OUT\n\n"
            "collect: N env steps (episode i reset with seed S + i) with the random policy\n"
            "  (space sampling) or a saved agent (stochastic; --deterministic takes the mode;\n"
            "  --noise adds Gaussian noise of std SIGMA to Box actions, clipped to the bounds).\n"
            "  The last, cut episode ends with truncated = 1. OUT ending in .hdf5/.h5 is written\n"
            "  in D4RL's layout, anything else as a Minari folder (OUT/data/main_data.hdf5).\n"
            "info: episodes, steps, returns; TQ when reference scores are known; unique\n"
            "  discretised (s,a) pairs (bin width B, default 0.1) and SACo against --reference.\n"
            "mix: a fraction F of the transitions from A and 1-F from B (whole episodes drawn\n"
            "  without replacement, seeded), as many as both datasets allow.\n");
}

static int parse_ll(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_d(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int is_h5_name(const char *p) {
    size_t n = strlen(p);
    return (n > 5 && !strcmp(p + n - 5, ".hdf5")) || (n > 3 && !strcmp(p + n - 3, ".h5"));
}

static rlc_status save_any(const rlc_dataset *d, const char *out) {
    return is_h5_name(out) ? rlc_dataset_save_d4rl(d, out) : rlc_dataset_save_minari(d, out);
}

/* ---------------------------------------------------------------------------------------
 * collect
 * ------------------------------------------------------------------------------------- */

static int collect(int argc, char **argv) {
    const char *env_id = NULL, *policy = NULL, *out = NULL, *kwargs = NULL, *id = NULL;
    long long steps = 0, seed = 0;
    double noise = 0;
    int deterministic = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--deterministic")) {
            deterministic = 1;
        } else if (has && !strcmp(a, "--env")) {
            env_id = argv[++i];
        } else if (has && !strcmp(a, "--policy")) {
            policy = argv[++i];
        } else if (has && !strcmp(a, "--out")) {
            out = argv[++i];
        } else if (has && !strcmp(a, "--kwargs")) {
            kwargs = argv[++i];
        } else if (has && !strcmp(a, "--id")) {
            id = argv[++i];
        } else if (has && !strcmp(a, "--steps")) {
            if (parse_ll(argv[++i], 1, 1LL << 40, &steps)) {
                fprintf(stderr,
                        "rlc dataset collect: --steps expects a positive integer, got "
                        "'%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--seed")) {
            if (parse_ll(argv[++i], 0, 1LL << 53, &seed)) {
                fprintf(stderr,
                        "rlc dataset collect: --seed expects a non-negative integer, "
                        "got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--noise")) {
            if (parse_d(argv[++i], &noise) || noise < 0) {
                fprintf(stderr, "rlc dataset collect: --noise expects a number >= 0, got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "rlc dataset collect: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!env_id || !policy || !out || !steps) {
        fprintf(stderr, "rlc dataset collect: --env, --policy, --steps and --out are required\n");
        return 2;
    }
    rlc_env *env = NULL;
    rlc_agent *agent = NULL;
    rlc_dataset *d = NULL;
    float *o = NULL, *af = NULL;
    double *av = NULL;
    void *araw = NULL, *oraw = NULL;
    int rc = 1;
    if (rlc_env_make(&env, env_id, kwargs)) goto fail;
    const rlc_space *os = rlc_env_obs_space(env), *as = rlc_env_action_space(env);
    int random = !strcmp(policy, "random");
    if (!random) {
        if (rlc_agent_load(&agent, policy, (uint64_t)seed)) goto fail;
        if (strcmp(rlc_agent_env_id(agent), env_id)) {
            rlc_error(RLC_ERR_INVALID, "checkpoint %s was trained on %s, not %s", policy,
                      rlc_agent_env_id(agent), env_id);
            goto fail;
        }
    }
    d = rlc_dataset_create(os->size, as->size);
    if (!d || rlc_dataset_set_spaces(d, os, as)) goto fail;
    rlc_dataset_meta *m = rlc_dataset_meta_of(d);
    snprintf(m->env_id, sizeof m->env_id, "%s", env_id);
    snprintf(m->algorithm, sizeof m->algorithm, "%s", random ? "random" : policy);
    if (id)
        snprintf(m->dataset_id, sizeof m->dataset_id, "%s", id);
    else
        snprintf(m->dataset_id, sizeof m->dataset_id, "rlc/%s/%s-v0", env_id,
                 random ? "random" : "policy");
    rlc_dataset_ref_scores(env_id, &m->ref_min_score, &m->ref_max_score);
    o = rlc_malloc(sizeof(float) * (size_t)os->size);
    af = rlc_malloc(sizeof(float) * (size_t)as->size);
    av = rlc_malloc(sizeof(double) * (size_t)as->size);
    araw = rlc_malloc(rlc_space_bytes(as));
    oraw = rlc_malloc(rlc_space_bytes(os));
    if (!o || !af || !av || !araw || !oraw) goto fail;
    rlc_rng rng;
    rlc_rng_seed(&rng, (uint64_t)seed);
    int64_t episode = 0;
    if (rlc_env_reset(env, seed, oraw)) goto fail;
    rlc_space_to_f32(os, oraw, o);
    if (rlc_dataset_begin_episode(d, o)) goto fail;
    for (long long t = 0; t < steps; t++) {
        if (random) {
            rlc_space_sample(as, &rng, araw);
        } else if (rlc_agent_act(agent, o, 1, araw, deterministic)) {
            goto fail;
        }
        rlc_space_to_f32(as, araw, af);
        for (int64_t k = 0; k < as->size; k++) {
            double x = af[k];
            if (as->kind == RLC_SPACE_BOX && noise > 0) {
                x += noise * rlc_rng_normal(&rng);
                if (as->low && x < as->low[k]) x = as->low[k];
                if (as->high && x > as->high[k]) x = as->high[k];
                af[k] = (float)x;
            }
            av[k] = x;
        }
        rlc_step_result sr;
        if (rlc_env_step_values(env, av, as->size, oraw, &sr)) goto fail;
        rlc_space_to_f32(os, oraw, o);
        int last = t == steps - 1;
        if (rlc_dataset_add_step(d, af, (float)sr.reward, o, sr.terminated,
                                 sr.truncated || (last && !sr.terminated)))
            goto fail;
        if ((sr.terminated || sr.truncated) && !last) {
            episode++;
            if (rlc_env_reset(env, seed + episode, oraw)) goto fail;
            rlc_space_to_f32(os, oraw, o);
            if (rlc_dataset_begin_episode(d, o)) goto fail;
        }
    }
    if (save_any(d, out)) goto fail;
    printf("collected %lld steps in %lld episodes from %s with %s -> %s\n",
           (long long)rlc_dataset_num_steps(d), (long long)rlc_dataset_num_episodes(d), env_id,
           random ? "a random policy" : policy, out);
    rc = 0;
fail:
    if (rc) fprintf(stderr, "rlc dataset collect: %s\n", rlc_last_error());
    rlc_free(o);
    rlc_free(af);
    rlc_free(av);
    rlc_free(araw);
    rlc_free(oraw);
    rlc_dataset_destroy(d);
    rlc_agent_destroy(agent);
    rlc_env_destroy(env);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * info
 * ------------------------------------------------------------------------------------- */

static int info(int argc, char **argv) {
    const char *path = NULL, *ref = NULL;
    double bin = 0.1, lo = NAN, hi = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (has && !strcmp(a, "--reference")) {
            ref = argv[++i];
        } else if (has &&
                   (!strcmp(a, "--bin") || !strcmp(a, "--ref-min") || !strcmp(a, "--ref-max"))) {
            double *dst = !strcmp(a, "--bin") ? &bin : !strcmp(a, "--ref-min") ? &lo : &hi;
            if (parse_d(argv[++i], dst)) {
                fprintf(stderr, "rlc dataset info: %s expects a number, got '%s'\n", a, argv[i]);
                return 2;
            }
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            fprintf(stderr, "rlc dataset info: unknown or incomplete option '%s'\n", a);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "rlc dataset info: a dataset folder or file is required\n");
        return 2;
    }
    rlc_dataset *d = NULL, *r = NULL;
    int rc = 1;
    rlc_dataset_stats s;
    if (rlc_dataset_load(&d, path)) goto fail;
    rlc_dataset_meta *m = rlc_dataset_meta_of(d);
    if (isfinite(lo) && isfinite(hi)) {
        m->ref_min_score = lo;
        m->ref_max_score = hi;
    } else if (!isfinite(m->ref_min_score)) {
        rlc_dataset_ref_scores(m->env_id, &m->ref_min_score, &m->ref_max_score);
    }
    if (rlc_dataset_stats_get(d, bin, &s)) goto fail;
    printf("dataset        %s\n", path);
    if (m->dataset_id[0]) printf("id             %s\n", m->dataset_id);
    if (m->env_id[0]) printf("env            %s\n", m->env_id);
    if (m->algorithm[0]) printf("policy         %s\n", m->algorithm);
    printf("obs_dim        %lld\n", (long long)rlc_dataset_obs_dim(d));
    printf("act_dim        %lld%s\n", (long long)rlc_dataset_act_dim(d),
           m->discrete_actions ? " (discrete)" : "");
    printf("episodes       %lld\n", (long long)s.episodes);
    printf("steps          %lld\n", (long long)s.steps);
    printf("length_mean    %.2f\n", s.length_mean);
    printf("return_mean    %.6g\n", s.return_mean);
    printf("return_std     %.6g\n", s.return_std);
    printf("return_min     %.6g\n", s.return_min);
    printf("return_max     %.6g\n", s.return_max);
    double psv = 0;
    if (rlc_dataset_return_psv(d, &psv)) goto fail;
    printf("return_psv     %.6g (positive-sided variance of returns scaled to [0, 1])\n", psv);
    if (isfinite(s.tq))
        printf("TQ             %.4f (ref_min %.6g, ref_max %.6g)\n", s.tq, m->ref_min_score,
               m->ref_max_score);
    else
        printf("TQ             n/a (no reference scores: pass --ref-min/--ref-max)\n");
    printf("unique_sa      %lld (bin %g)\n", (long long)s.unique_sa, bin);
    if (ref) {
        double saco;
        if (rlc_dataset_load(&r, ref) || rlc_dataset_saco(d, r, bin, &saco)) goto fail;
        printf("SACo           %.4f (reference %s)\n", saco, ref);
    }
    rc = 0;
fail:
    if (rc) fprintf(stderr, "rlc dataset info: %s\n", rlc_last_error());
    rlc_dataset_destroy(d);
    rlc_dataset_destroy(r);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * mix, convert
 * ------------------------------------------------------------------------------------- */

/* Adds whole episodes of `src` in a seeded random order until `quota` transitions (at least
 * one episode). */
static rlc_status take(rlc_dataset *dst, const rlc_dataset *src, double quota, rlc_rng *rng) {
    int64_t E = rlc_dataset_num_episodes(src);
    int64_t *perm = rlc_malloc(sizeof(int64_t) * (size_t)E);
    if (!perm) return RLC_ERR_NOMEM;
    rlc_rng_permutation(rng, E, perm);
    rlc_dataset_view v;
    rlc_dataset_view_get(src, &v);
    double got = 0;
    rlc_status st = RLC_OK;
    for (int64_t i = 0; i < E && !st; i++) {
        int64_t T = v.episode_offsets[perm[i] + 1] - v.episode_offsets[perm[i]];
        if (got > 0 && got + T > quota) continue;
        if (quota <= 0) break;
        st = rlc_dataset_copy_episode(dst, src, perm[i]);
        got += (double)T;
    }
    rlc_free(perm);
    return st;
}

static int mix(int argc, char **argv) {
    const char *pa = NULL, *pb = NULL, *out = NULL;
    double f = NAN;
    long long seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (has && !strcmp(a, "--out")) {
            out = argv[++i];
        } else if (has && !strcmp(a, "--fraction")) {
            if (parse_d(argv[++i], &f) || f < 0 || f > 1) {
                fprintf(stderr,
                        "rlc dataset mix: --fraction expects a number in [0, 1], got "
                        "'%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (has && !strcmp(a, "--seed")) {
            if (parse_ll(argv[++i], 0, 1LL << 53, &seed)) {
                fprintf(stderr, "rlc dataset mix: --seed expects a non-negative integer\n");
                return 2;
            }
        } else if (a[0] != '-' && (!pa || !pb)) {
            if (!pa)
                pa = a;
            else
                pb = a;
        } else {
            fprintf(stderr, "rlc dataset mix: unknown or incomplete option '%s'\n", a);
            return 2;
        }
    }
    if (!pa || !pb || !out || !isfinite(f)) {
        fprintf(stderr, "rlc dataset mix: A, B, --fraction and --out are required\n");
        return 2;
    }
    rlc_dataset *a = NULL, *b = NULL, *d = NULL;
    int rc = 1;
    if (rlc_dataset_load(&a, pa) || rlc_dataset_load(&b, pb)) goto fail;
    if (rlc_dataset_obs_dim(a) != rlc_dataset_obs_dim(b) ||
        rlc_dataset_act_dim(a) != rlc_dataset_act_dim(b)) {
        rlc_error(RLC_ERR_INVALID, "%s and %s have different obs/action sizes", pa, pb);
        goto fail;
    }
    double na = (double)rlc_dataset_num_steps(a), nb = (double)rlc_dataset_num_steps(b);
    double total = f <= 0 ? nb : f >= 1 ? na : fmin(na / f, nb / (1 - f));
    d = rlc_dataset_create(rlc_dataset_obs_dim(a), rlc_dataset_act_dim(a));
    if (!d) goto fail;
    *rlc_dataset_meta_of(d) = *rlc_dataset_meta_get(a);
    snprintf(rlc_dataset_meta_of(d)->algorithm, sizeof rlc_dataset_meta_of(d)->algorithm,
             "mix(%.3g)", f);
    rlc_rng rng;
    rlc_rng_seed(&rng, (uint64_t)seed);
    if (take(d, a, f * total, &rng) || take(d, b, (1 - f) * total, &rng)) goto fail;
    if (save_any(d, out)) goto fail;
    printf("mixed %lld episodes (%lld steps) -> %s\n", (long long)rlc_dataset_num_episodes(d),
           (long long)rlc_dataset_num_steps(d), out);
    rc = 0;
fail:
    if (rc) fprintf(stderr, "rlc dataset mix: %s\n", rlc_last_error());
    rlc_dataset_destroy(a);
    rlc_dataset_destroy(b);
    rlc_dataset_destroy(d);
    return rc;
}

static int convert(int argc, char **argv) {
    const char *from = NULL, *to = NULL, *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (i + 2 < argc && !strcmp(argv[i], "--from")) {
            from = argv[++i];
            in = argv[++i];
        } else if (i + 2 < argc && !strcmp(argv[i], "--to")) {
            to = argv[++i];
            out = argv[++i];
        } else {
            fprintf(stderr, "rlc dataset convert: unknown or incomplete option '%s'\n", argv[i]);
            return 2;
        }
    }
    int fm = from && !strcmp(from, "minari"), fd = from && !strcmp(from, "d4rl");
    int tm = to && !strcmp(to, "minari"), td = to && !strcmp(to, "d4rl");
    if (!(fm || fd) || !(tm || td) || !in || !out) {
        fprintf(stderr,
                "rlc dataset convert: expects --from d4rl|minari IN --to minari|d4rl OUT\n");
        return 2;
    }
    rlc_dataset *d = NULL;
    rlc_status st = fm ? rlc_dataset_load_minari(&d, in) : rlc_dataset_load_d4rl(&d, in);
    if (!st) st = tm ? rlc_dataset_save_minari(d, out) : rlc_dataset_save_d4rl(d, out);
    if (st) {
        fprintf(stderr, "rlc dataset convert: %s\n", rlc_last_error());
        rlc_dataset_destroy(d);
        return 1;
    }
    printf("converted %lld episodes (%lld steps) %s -> %s\n",
           (long long)rlc_dataset_num_episodes(d), (long long)rlc_dataset_num_steps(d), in, out);
    rlc_dataset_destroy(d);
    return 0;
}

int rlc_cli_dataset(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "collect")) return collect(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info")) return info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "mix")) return mix(argc - 1, argv + 1);
    if (!strcmp(argv[1], "convert")) return convert(argc - 1, argv + 1);
    fprintf(stderr, "rlc dataset: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
