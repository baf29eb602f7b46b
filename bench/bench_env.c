/* Env step throughput on one core: every registered classic env through the public API
 * (rlc_env_step with pre-generated random actions, resetting when an episode ends), against a
 * bare C loop of the same CartPole and Pendulum equations written inline here.
 * Usage: bench_env [seconds per env, default 1.5] [substring of the ids to run] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "rlc/env.h"

#define NACT 4096 /* pre-generated actions, cycled */
#define ROUNDS 5  /* median of */

static double g_sink; /* keeps the loops' results alive */



/* Steps per second of `id` through the API over about `seconds`. */
static double bench_api(const char *id, double seconds) {
    rlc_env *env;
    if (rlc_env_make(&env, id, NULL)) {
        fprintf(stderr, "%s\n", rlc_last_error());
        exit(1);
    }
    const rlc_space *as = rlc_env_action_space(env);
    size_t abytes = rlc_space_bytes(as);
    unsigned char *acts = malloc(NACT * abytes);
    rlc_rng r;
    rlc_rng_seed(&r, 1);
    for (int i = 0; i < NACT; i++)
        rlc_space_sample(as, &r, acts + (size_t)i * abytes);
    /* observations in the env's own dtype and size (MuJoCo float64, grid uint8 views) */
    float *obs = malloc(rlc_space_bytes(rlc_env_obs_space(env)) + sizeof(float));
    rlc_step_result res;
    double rates[ROUNDS];
    rlc_env_reset(env, 0, obs);
    for (int round = 0; round < ROUNDS; round++) {
        long n = 0, chunk = 1 << 14; /* time checked every chunk: slow envs (MuJoCo) too */
        double t0 = rlc_time_now(), t;
        do {
            for (long i = 0; i < chunk; i++) {
                rlc_env_step(env, acts + (size_t)(i & (NACT - 1)) * abytes, obs, &res);
                if (res.terminated | res.truncated) rlc_env_reset(env, RLC_ENV_NO_SEED, obs);
            }
            n += chunk;
            t = rlc_time_now() - t0;
        } while (t < seconds / ROUNDS);
        g_sink += obs[0];
        rates[round] = n / t;
    }
    free(acts);
    free(obs);
    rlc_env_destroy(env);
    return bench_median(rates, ROUNDS);
}

/* The bare loop: CartPole-v1's equations and time limit inline, obs written as float32. */
static double bench_bare_cartpole(double seconds) {
    const double gravity = 9.8, masspole = 0.1, total_mass = 0.1 + 1.0, length = 0.5;
    const double pml = masspole * length, force_mag = 10.0, tau = 0.02;
    const double th_thr = 12 * 2 * M_PI / 360, x_thr = 2.4;
    int64_t acts[NACT];
    rlc_rng r;
    rlc_rng_seed(&r, 1);
    for (int i = 0; i < NACT; i++)
        acts[i] = rlc_rng_integers(&r, 0, 2);
    rlc_rng_seed(&r, 0);
    double x = rlc_rng_uniform(&r, -0.05, 0.05), xd = rlc_rng_uniform(&r, -0.05, 0.05);
    double th = rlc_rng_uniform(&r, -0.05, 0.05), thd = rlc_rng_uniform(&r, -0.05, 0.05);
    float obs[4];
    double rates[ROUNDS], ret = 0;
    long steps = 0;
    for (int round = 0; round < ROUNDS; round++) {
        long n = 0, chunk = 1 << 14; /* time checked every chunk: slow envs (MuJoCo) too */
        double t0 = rlc_time_now(), t;
        do {
            for (long i = 0; i < chunk; i++) {
                double force = acts[i & (NACT - 1)] == 1 ? force_mag : -force_mag;
                double ct = cos(th), st = sin(th);
                double temp = (force + pml * (thd * thd) * st) / total_mass;
                double thacc = (gravity * st - ct * temp) /
                               (length * (4.0 / 3.0 - masspole * (ct * ct) / total_mass));
                double xacc = temp - pml * thacc * ct / total_mass;
                x = x + tau * xd;
                xd = xd + tau * xacc;
                th = th + tau * thd;
                thd = thd + tau * thacc;
                int term = x < -x_thr || x > x_thr || th < -th_thr || th > th_thr;
                obs[0] = (float)x;
                obs[1] = (float)xd;
                obs[2] = (float)th;
                obs[3] = (float)thd;
                ret += 1.0;
                if (term || ++steps >= 500) {
                    x = rlc_rng_uniform(&r, -0.05, 0.05);
                    xd = rlc_rng_uniform(&r, -0.05, 0.05);
                    th = rlc_rng_uniform(&r, -0.05, 0.05);
                    thd = rlc_rng_uniform(&r, -0.05, 0.05);
                    steps = 0;
                    ret = 0;
                }
            }
            n += chunk;
            t = rlc_time_now() - t0;
        } while (t < seconds / ROUNDS);
        g_sink += obs[0] + ret;
        rates[round] = n / t;
    }
    return bench_median(rates, ROUNDS);
}

/* The bare loop: Pendulum-v1's equations (libm pow as Gymnasium) and time limit inline. */
static double bench_bare_pendulum(double seconds) {
    float acts[NACT];
    rlc_rng r;
    rlc_rng_seed(&r, 1);
    for (int i = 0; i < NACT; i++)
        acts[i] = (float)rlc_rng_uniform(&r, -2.0, 2.0);
    rlc_rng_seed(&r, 0);
    double th = rlc_rng_uniform(&r, -M_PI, M_PI), thdot = rlc_rng_uniform(&r, -1, 1);
    float obs[3];
    double rates[ROUNDS], ret = 0;
    long steps = 0;
    for (int round = 0; round < ROUNDS; round++) {
        long n = 0, chunk = 1 << 14; /* time checked every chunk: slow envs (MuJoCo) too */
        double t0 = rlc_time_now(), t;
        do {
            for (long i = 0; i < chunk; i++) {
                float u = acts[i & (NACT - 1)];
                u = u < -2.0f ? -2.0f : u > 2.0f ? 2.0f : u;
                double y = th + M_PI, an = fmod(y, 2 * M_PI);
                if (an != 0 && an < 0) an += 2 * M_PI;
                an -= M_PI;
                double cost =
                    pow(an, 2.0) + 0.1 * pow(thdot, 2.0) + (double)(0.001f * powf(u, 2.0f));
                double nthd = thdot + (15.0 * sin(th) + (double)(3.0f * u)) * 0.05;
                nthd = nthd < -8 ? -8 : nthd > 8 ? 8 : nthd;
                th = th + nthd * 0.05;
                thdot = nthd;
                obs[0] = (float)cos(th);
                obs[1] = (float)sin(th);
                obs[2] = (float)thdot;
                ret -= cost;
                if (++steps >= 200) {
                    th = rlc_rng_uniform(&r, -M_PI, M_PI);
                    thdot = rlc_rng_uniform(&r, -1, 1);
                    steps = 0;
                    ret = 0;
                }
            }
            n += chunk;
            t = rlc_time_now() - t0;
        } while (t < seconds / ROUNDS);
        g_sink += obs[0] + ret;
        rates[round] = n / t;
    }
    return bench_median(rates, ROUNDS);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.5;
    const char *only = argc > 2 ? argv[2] : NULL; /* optional: only ids containing this */
    if (!(seconds > 0)) seconds = 1.5;
    printf("env step throughput, one thread, random actions, median of %d runs (M steps/s)\n\n", ROUNDS);
    printf("%-26s %10s %10s %8s\n", "env", "API", "bare C", "API/bare");
    for (int i = 0; i < rlc_env_registry_count(); i++) {
        const char *id = rlc_env_registry_get(i)->id;
        if (!strcmp(id, "CartPole-v0") || (only && !strstr(id, only))) continue;
        double api = bench_api(id, seconds), bare = 0;
        if (!strcmp(id, "CartPole-v1")) bare = bench_bare_cartpole(seconds);
        if (!strcmp(id, "Pendulum-v1")) bare = bench_bare_pendulum(seconds);
        if (bare > 0)
            printf("%-26s %10.2f %10.2f %8.2f\n", id, api / 1e6, bare / 1e6, api / bare);
        else
            printf("%-26s %10.3f %10s %8s\n", id, api / 1e6, "-", "-");
    }
    printf("\n(sink %g)\n", g_sink == 12345.678 ? 1.0 : 0.0);
    return 0;
}
