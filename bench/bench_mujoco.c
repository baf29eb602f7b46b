/* MuJoCo env throughput against raw MuJoCo: for every MuJoCo id, env steps per second of user
 * CPU time through rlc's API (rlc_env_step with pre-generated random actions, resetting when an
 * episode ends) next to a bare loop on the same model file (ctrl = action, frame_skip x
 * mj_step per env step, mj_resetData + mj_forward as often as the API run reset), and the env
 * layer's overhead = raw rate / API rate - 1. rlc's step also runs mj_rnePostConstraint (the
 * contact forces Gymnasium's observations read), part of the env's physics: the "raw+rne"
 * column adds it to the bare loop, so "overhead" isolates the env layer itself. A vectorised
 * column steps 8 envs through rlc_vec_env (serial: num_threads 1).
 *
 * Usage: bench_mujoco [SECONDS_PER_MEASURE] [ID ...]   (default 0.6 s, every MuJoCo id)
 * Times are user CPU seconds (getrusage), the median of 3 interleaved rounds, so a loaded
 * machine slows both sides alike. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "rlc/env.h"
#include "rlc/vec_env.h"

#ifdef RLC_HAVE_MUJOCO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <mujoco/mujoco.h>
#pragma GCC diagnostic pop

#define NACT 4096
#define ROUNDS 3

static double g_sink;

static double user_time(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + 1e-6 * ru.ru_utime.tv_usec;
}

static const char *const IDS[] = {"HalfCheetah-v4",
                                  "HalfCheetah-v5",
                                  "Hopper-v4",
                                  "Hopper-v5",
                                  "Walker2d-v4",
                                  "Walker2d-v5",
                                  "Ant-v4",
                                  "Ant-v5",
                                  "InvertedPendulum-v4",
                                  "InvertedPendulum-v5",
                                  "InvertedDoublePendulum-v4",
                                  "InvertedDoublePendulum-v5",
                                  "Reacher-v4",
                                  "Reacher-v5",
                                  "Swimmer-v4",
                                  "Swimmer-v5",
                                  "Humanoid-v4",
                                  "Humanoid-v5"};

/* The bundled model file of an id. */
static const char *model_file(const char *id) {
    static const struct {
        const char *prefix, *file;
    } map[] = {{"HalfCheetah", "half_cheetah.xml"},
               {"Hopper", "hopper.xml"},
               {"Walker2d-v5", "walker2d_v5.xml"},
               {"Walker2d", "walker2d.xml"},
               {"Ant", "ant.xml"},
               {"InvertedPendulum", "inverted_pendulum.xml"},
               {"InvertedDoublePendulum", "inverted_double_pendulum.xml"},
               {"Reacher", "reacher.xml"},
               {"Swimmer", "swimmer.xml"},
               {"Humanoid", "humanoid.xml"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strncmp(id, map[i].prefix, strlen(map[i].prefix))) return map[i].file;
    return NULL;
}

static int default_frame_skip(const char *id) {
    const rlc_env_spec *s = rlc_env_registry_find(id);
    for (int i = 0; s && i < s->nparams; i++)
        if (!strcmp(s->params[i].name, "frame_skip")) return (int)s->params[i].default_value;
    return 1;
}

static void die(void) {
    fprintf(stderr, "bench_mujoco: %s\n", rlc_last_error());
    exit(1);
}

typedef struct setup {
    const char *id;
    int nu;
    float *acts; /* [NACT * nu] */
    rlc_env *env;
    double *obs;
    mjModel *m;
    mjData *d;
    int frame_skip;
    long steps, episodes; /* of the API rounds, for the raw loop's reset period */
} setup;

/* API steps/s over `budget` user seconds. */
static double run_api(setup *s, double budget) {
    rlc_step_result res;
    long n = 0, chunk = 256;
    double t0 = user_time(), t;
    do {
        for (long i = 0; i < chunk; i++) {
            rlc_env_step(s->env, s->acts + (size_t)((n + i) & (NACT - 1)) * s->nu, s->obs, &res);
            if (res.terminated | res.truncated) {
                rlc_env_reset(s->env, RLC_ENV_NO_SEED, s->obs);
                s->episodes++;
            }
        }
        n += chunk;
        t = user_time() - t0;
    } while (t < budget);
    s->steps += n;
    g_sink += s->obs[0];
    return n / t;
}

/* Bare MuJoCo steps/s (env steps of frame_skip mj_steps), with mj_rnePostConstraint if rne. */
static double run_raw(setup *s, double budget, int rne) {
    mjModel *m = s->m;
    mjData *d = s->d;
    long period = s->episodes > 0 ? s->steps / s->episodes : 1000;
    if (period < 1) period = 1;
    long n = 0, chunk = 256;
    double t0 = user_time(), t;
    do {
        for (long i = 0; i < chunk; i++) {
            const float *a = s->acts + (size_t)((n + i) & (NACT - 1)) * s->nu;
            for (int k = 0; k < s->nu; k++)
                d->ctrl[k] = a[k];
            for (int k = 0; k < s->frame_skip; k++)
                mj_step(m, d);
            if (rne) mj_rnePostConstraint(m, d);
            if ((n + i + 1) % period == 0) {
                mj_resetData(m, d);
                mj_forward(m, d);
            }
        }
        n += chunk;
        t = user_time() - t0;
    } while (t < budget);
    g_sink += d->qpos[0];
    return n / t;
}

/* Vectorised (8 envs, serial) env steps/s. */
static double run_vec(rlc_vec_env *v, const setup *s, double budget) {
    enum { NE = 8 };
    long n = 0, chunk = 32;
    double t0 = user_time(), t;
    float *acts = malloc(sizeof(float) * NE * s->nu);
    do {
        for (long i = 0; i < chunk; i++) {
            for (int e = 0; e < NE; e++)
                memcpy(acts + e * s->nu,
                       s->acts + (size_t)((NE * (n + i) + e) & (NACT - 1)) * s->nu,
                       sizeof(float) * s->nu);
            if (rlc_vec_env_step(v, acts)) die();
        }
        n += chunk;
        t = user_time() - t0;
    } while (t < budget);
    free(acts);
    return NE * n / t;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0.6;
    if (!(seconds > 0)) seconds = 0.6;
    int nids = argc > 2 ? argc - 2 : (int)(sizeof IDS / sizeof IDS[0]);
    const char *const *ids = argc > 2 ? (const char *const *)argv + 2 : IDS;
    printf("MuJoCo env steps per user-CPU second (median of %d interleaved rounds of %.2f s)\n",
           ROUNDS, seconds / ROUNDS);
    printf("%-26s %5s %11s %11s %11s %11s %9s %9s\n", "id", "skip", "rlc_api", "raw_mj_step",
           "raw+rne", "vec8", "overhead", "vs_raw");
    double sum_ratio = 0;
    int counted = 0;
    for (int k = 0; k < nids; k++) {
        setup s = {0};
        s.id = ids[k];
        const char *file = model_file(s.id);
        char rel[256], path[4096], err[512] = "";
        if (!file) {
            fprintf(stderr, "bench_mujoco: %s is not a MuJoCo id\n", s.id);
            return 1;
        }
        snprintf(rel, sizeof rel, "mujoco/%s", file);
        if (rlc_data_find(rel, path, sizeof path)) die();
        if (rlc_env_make(&s.env, s.id, NULL)) die();
        s.m = mj_loadXML(path, NULL, err, sizeof err);
        if (!s.m) {
            fprintf(stderr, "bench_mujoco: %s: %s\n", path, err);
            return 1;
        }
        s.d = mj_makeData(s.m);
        s.frame_skip = default_frame_skip(s.id);
        s.nu = (int)rlc_env_action_space(s.env)->size;
        s.acts = malloc(sizeof(float) * NACT * s.nu);
        s.obs = malloc(rlc_space_bytes(rlc_env_obs_space(s.env)) + 8);
        rlc_rng r;
        rlc_rng_seed(&r, 1);
        for (int i = 0; i < NACT; i++)
            rlc_space_sample(rlc_env_action_space(s.env), &r, s.acts + (size_t)i * s.nu);
        rlc_vec_env *v = NULL;
        rlc_vec_env_options vo = {.num_threads = 1};
        if (rlc_vec_env_create(&v, s.id, NULL, 8, &vo) || rlc_vec_env_reset(v, 0)) die();
        rlc_env_reset(s.env, 0, s.obs);
        mj_forward(s.m, s.d);
        double api[ROUNDS], raw[ROUNDS], rne[ROUNDS], vec[ROUNDS], b = seconds / ROUNDS;
        for (int round = 0; round < ROUNDS; round++) {
            api[round] = run_api(&s, b);
            raw[round] = run_raw(&s, b, 0);
            rne[round] = run_raw(&s, b, 1);
            vec[round] = run_vec(v, &s, b);
        }
        double a = bench_median(api, ROUNDS), w = bench_median(raw, ROUNDS),
               w2 = bench_median(rne, ROUNDS), ve = bench_median(vec, ROUNDS);
        printf("%-26s %5d %11.0f %11.0f %11.0f %11.0f %8.1f%% %8.1f%%\n", s.id, s.frame_skip, a, w,
               w2, ve, 100.0 * (w2 / a - 1), 100.0 * (w / a - 1));
        sum_ratio += w2 / a;
        counted++;
        fflush(stdout);
        rlc_vec_env_destroy(v);
        rlc_env_destroy(s.env);
        mj_deleteData(s.d);
        mj_deleteModel(s.m);
        free(s.acts);
        free(s.obs);
    }
    printf("mean env-layer overhead (raw+rne / rlc_api - 1): %.1f%%\n",
           100.0 * (sum_ratio / counted - 1));
    if (g_sink == 12345.678) printf("%g\n", g_sink);
    return 0;
}

#else

int main(void) {
    printf("bench_mujoco: rlc was built without libmujoco; nothing to measure\n");
    return 0;
}

#endif
