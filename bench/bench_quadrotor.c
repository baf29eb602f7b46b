/* Quadrotor simulator speed on one core (bare rlc_quad_step, PID-in-the-loop, and QuadHover-v0
 * / Quad2DHover-v0 / MultiQuadHover-v0 through the env API) and the PID hover error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "rlc/env.h"
#include "rlc/quadrotor.h"

static double g_sink;

/* bare simulator: fixed slightly uneven RPM commands, state reset every 500 steps */
static double bench_sim(int n) {
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_state s;
    double pos[3] = {0, 0, 1}, h = rlc_quad_hover_rpm(&p);
    double cmd[4] = {1.001 * h, 0.999 * h, 1.0005 * h, 0.9995 * h};
    rlc_quad_state_hover(&p, pos, &s);
    double t0 = bench_wall();
    for (int i = 0; i < n; i++) {
        rlc_quad_step(&p, &s, cmd, NULL);
        if (i % 500 == 499) {
            g_sink += s.pos[2];
            rlc_quad_state_hover(&p, pos, &s);
        }
    }
    return n / (bench_wall() - t0);
}

/* PID in the loop; also returns the final hover error from a (0.5, -0.4, -0.4) m offset */
static double bench_pid(int n, double *err5) {
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    rlc_quad_state s;
    double start[3] = {0.5, -0.4, 0.6}, target[3] = {0, 0, 1}, cmd[4];
    rlc_quad_state_hover(&p, start, &s);
    double t0 = bench_wall();
    for (int i = 0; i < n; i++) {
        rlc_quad_pid_control(&c, &p, &s, target, NULL, NULL, 0, cmd);
        rlc_quad_step(&p, &s, cmd, NULL);
        if (i == 499) {
            double e = 0;
            for (int k = 0; k < 3; k++)
                e += (s.pos[k] - target[k]) * (s.pos[k] - target[k]);
            *err5 = sqrt(e);
        }
    }
    g_sink += s.pos[0];
    return n / (bench_wall() - t0);
}

static double bench_env(const char *id, int n) {
    rlc_env *env;
    if (rlc_env_make(&env, id, NULL)) {
        fprintf(stderr, "%s\n", rlc_last_error());
        exit(1);
    }
    int A = (int)rlc_env_action_space(env)->size;
    float act[64], obs[256];
    for (int i = 0; i < A; i++)
        act[i] = 0.333f + 0.001f * (float)(i % 4);
    rlc_env_reset(env, 0, obs);
    double t0 = bench_wall();
    for (int i = 0; i < n; i++) {
        rlc_step_result r;
        rlc_env_step(env, act, obs, &r);
        if (r.terminated || r.truncated) rlc_env_reset(env, RLC_ENV_NO_SEED, obs);
    }
    double sps = n / (bench_wall() - t0);
    g_sink += obs[0];
    rlc_env_destroy(env);
    return sps;
}

/* rlc_quad_batch_step over nveh vehicles (shared params) with T threads: vehicle-steps/s */
static double bench_batch(int nveh, int T, int reps) {
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_state *s = malloc(sizeof *s * (size_t)nveh);
    double *cmd = malloc(sizeof *cmd * 4 * (size_t)nveh), h = rlc_quad_hover_rpm(&p);
    rlc_quad_batch *b = NULL;
    if (!s || !cmd || rlc_quad_batch_create(&b, T)) {
        fprintf(stderr, "bench_batch: %s\n", rlc_last_error());
        exit(1);
    }
    for (int i = 0; i < nveh; i++) {
        double pos[3] = {0, 0, 1};
        rlc_quad_state_hover(&p, pos, &s[i]);
        for (int k = 0; k < 4; k++)
            cmd[4 * i + k] = h * (1 + 0.001 * ((i + k) % 3 - 1));
    }
    double t0 = bench_wall();
    for (int r = 0; r < reps; r++) {
        rlc_quad_batch_step(b, &p, 1, s, nveh, cmd, NULL);
        if (r % 500 == 499)
            for (int i = 0; i < nveh; i++) {
                double pos[3] = {0, 0, 1};
                rlc_quad_state_hover(&p, pos, &s[i]);
            }
    }
    double sps = (double)nveh * reps / (bench_wall() - t0);
    g_sink += s[0].pos[2];
    rlc_quad_batch_destroy(b);
    free(s);
    free(cmd);
    return sps;
}

int main(void) {
    int n = 2000000;
    double err5 = NAN;
    printf("quadrotor simulator, one thread (dt = 0.01 s, RK4, 17-dim state)\n");
    printf("  rlc_quad_step                 %12.0f steps/s\n", bench_sim(n));
    double pid = bench_pid(n / 2, &err5);
    printf("  rlc_quad_pid_control + step   %12.0f steps/s\n", pid);
    printf("  QuadHover-v0 (env API)        %12.0f steps/s\n", bench_env("QuadHover-v0", n / 2));
    printf("  QuadTrack-v0 (env API)        %12.0f steps/s\n", bench_env("QuadTrack-v0", n / 2));
    printf("  Quad2DHover-v0 (env API)      %12.0f steps/s\n", bench_env("Quad2DHover-v0", n));
    printf("  MultiQuadHover-v0 K=2 (API)   %12.0f steps/s\n",
           bench_env("MultiQuadHover-v0", n / 4));
    int nt = 2;
    const char *e = getenv("RLC_BENCH_THREADS");
    if (e && atoi(e) > 0) nt = atoi(e);
    printf("batched stepping (rlc_quad_batch_step, 1024 vehicles, shared params)\n");
    for (int T = 1; T <= nt; T *= 2)
        printf("  %2d thread%s                     %12.0f vehicle-steps/s\n", T, T > 1 ? "s" : " ",
               bench_batch(1024, T, 2000));
    printf("PID hover error 5 s after a 0.76 m offset: %.4f m\n", err5);
    return g_sink == 12345.678; /* keep the results alive */
}
