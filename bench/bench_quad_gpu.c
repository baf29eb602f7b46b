/* Batched quadrotor stepping: vehicle-steps per second on the CPU (one thread, and
 * rlc_quad_batch across 1..N threads) and on a GPU (rlc_quad_gpu; skipped with the reason when
 * there is none), as simulated flight time per wall second (x dt = 0.01 s). GPU rows: commands
 * held for 100 steps per call (the simulator alone), and one step per call with the commands
 * uploaded each step (a CPU policy in the loop; with the states downloaded too in the last
 * column). Also checks the GPU's states against rlc_quad_step bit for bit.
 *   bench_quad_gpu [max_threads]   (default: the online CPU count) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "rlc/quadrotor.h"
#include "rlc/rng.h"




/* hovering fleet at random offsets with slightly uneven commands (stays in flight) */
static void fleet(const rlc_quad_params *p, rlc_quad_state *s, double *cmd, int n) {
    rlc_rng r;
    rlc_rng_seed(&r, 5);
    double h = rlc_quad_hover_rpm(p);
    for (int i = 0; i < n; i++) {
        double pos[3] = {rlc_rng_uniform(&r, -1, 1), rlc_rng_uniform(&r, -1, 1), 1};
        rlc_quad_state_hover(p, pos, &s[i]);
        for (int k = 0; k < 4; k++)
            cmd[4 * i + k] = h * rlc_rng_uniform(&r, 0.999, 1.001);
    }
}

int main(int argc, char **argv) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int max_threads = argc > 1 ? atoi(argv[1]) : (int)(ncpu > 0 ? ncpu : 1);
    if (max_threads < 1 || max_threads > 256) {
        fprintf(stderr, "bench_quad_gpu: max_threads must be in [1, 256]\n");
        return 2;
    }
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    const int NMAX = 1 << 20;
    rlc_quad_state *s = malloc((size_t)NMAX * sizeof *s), *ref = malloc(4096 * sizeof *ref);
    double *cmd = malloc((size_t)NMAX * 4 * sizeof *cmd);
    if (!s || !ref || !cmd) return 1;

    /* CPU: batches of 4096 vehicles x 100 steps, threads 1, 2, 4, ... max_threads */
    printf("CPU (%ld online), 4096 vehicles x 100 steps, median of 5:\n", ncpu);
    printf("%8s %16s %18s %8s\n", "threads", "vehicle-steps/s", "flight s / wall s", "speedup");
    double base = 0;
    for (int T = 1; T <= max_threads; T = T * 2 > max_threads && T < max_threads ? max_threads : T * 2) {
        rlc_quad_batch *b = NULL;
        if (rlc_quad_batch_create(&b, T)) return 1;
        double rate[5];
        for (int rep = 0; rep < 5; rep++) {
            fleet(&p, s, cmd, 4096);
            double t0 = bench_wall();
            for (int t = 0; t < 100; t++)
                rlc_quad_batch_step(b, &p, 1, s, 4096, cmd, NULL);
            rate[rep] = 4096 * 100 / (bench_wall() - t0);
        }
        rlc_quad_batch_destroy(b);
        double m = bench_median(rate, 5);
        if (T == 1) base = m;
        printf("%8d %16.3e %18.0f %8.2f\n", T, m, m * p.dt, m / base);
    }

    rlc_quad_gpu *g = NULL;
    if (rlc_quad_gpu_create(&g, NMAX) != RLC_OK) {
        printf("GPU: skipped (%s)\n", rlc_last_error());
        free(s), free(ref), free(cmd);
        return 0;
    }
    printf("GPU: %s\n", rlc_quad_gpu_device(g));
    rlc_quad_gpu_destroy(g);
    /* bit checks against rlc_quad_step: the hovering fleet with commands held 300 steps, and
     * per-vehicle randomised params (drag, ground effect, some instantaneous motors) with
     * commands drawn anew every step for 100 steps */
    for (int variant = 0; variant < 2; variant++) {
        enum { NB = 4096 };
        rlc_quad_params *pv = malloc(NB * sizeof *pv);
        if (!pv || rlc_quad_gpu_create(&g, NB)) return 1;
        rlc_rng r;
        rlc_rng_seed(&r, 3);
        fleet(&p, s, cmd, NB);
        for (int i = 0; i < NB; i++) {
            pv[i] = p;
            if (variant) {
                rlc_quad_params b0 = p;
                b0.drag[0] = b0.drag[1] = 9e-4;
                b0.drag[2] = 1e-3;
                b0.ground_effect = 1.5;
                rlc_quad_params_randomize(&b0, 0.2, &r, &pv[i]);
                if (i % 7 == 0) pv[i].motor_tau = 0;
                s[i].pos[2] = rlc_rng_uniform(&r, 0.005, 0.5);
                for (int k = 0; k < 3; k++)
                    s[i].omega[k] = rlc_rng_uniform(&r, -4, 4);
            }
        }
        memcpy(ref, s, NB * sizeof *ref);
        rlc_status st = rlc_quad_gpu_upload(g, pv, !variant, s); /* shared, then per vehicle */
        for (int t = 0; t < (variant ? 100 : 1) && !st; t++) {
            if (variant)
                for (int i = 0; i < NB * 4; i++)
                    cmd[i] = rlc_rng_uniform(&r, -0.1, 1.1) * pv[i / 4].max_rpm;
            for (int i = 0; i < NB; i++)
                for (int k = 0; k < (variant ? 1 : 300); k++)
                    rlc_quad_step(&pv[i], &ref[i], cmd + 4 * i, NULL);
            st = rlc_quad_gpu_step(g, cmd, variant ? 1 : 300);
        }
        if (st || rlc_quad_gpu_download(g, s)) {
            printf("GPU error: %s\n", rlc_last_error());
            return 1;
        }
        int same = memcmp(s, ref, NB * sizeof *ref) == 0;
        printf("GPU states equal rlc_quad_step's bit for bit (%s): %s\n",
               variant ? "randomised params, new commands each step, 100 steps"
                       : "commands held 300 steps",
               same ? "yes" : "NO");
        rlc_quad_gpu_destroy(g);
        free(pv);
        if (!same) return 1;
    }
    printf("%9s %18s %18s %18s %18s\n", "vehicles", "held x100 /s", "flight s / wall s",
           "1 step+upload /s", "+download /s");
    for (int n = 1024; n <= NMAX; n *= 4) {
        if (rlc_quad_gpu_create(&g, n)) return 1;
        fleet(&p, s, cmd, n);
        if (rlc_quad_gpu_upload(g, &p, 1, s) || rlc_quad_gpu_step(g, cmd, 10)) return 1;
        double r1[5], r2[5], r3[5];
        for (int rep = 0; rep < 5; rep++) {
            double t0 = bench_wall();
            for (int k = 0; k < 5; k++)
                rlc_quad_gpu_step(g, cmd, 100);
            r1[rep] = (double)n * 500 / (bench_wall() - t0);
            t0 = bench_wall();
            for (int k = 0; k < 50; k++)
                rlc_quad_gpu_step(g, cmd, 1);
            r2[rep] = (double)n * 50 / (bench_wall() - t0);
            t0 = bench_wall();
            for (int k = 0; k < 50; k++) {
                rlc_quad_gpu_step(g, cmd, 1);
                rlc_quad_gpu_download(g, s);
            }
            r3[rep] = (double)n * 50 / (bench_wall() - t0);
        }
        double m1 = bench_median(r1, 5);
        printf("%9d %18.3e %18.0f %18.3e %18.3e\n", n, m1, m1 * p.dt, bench_median(r2, 5),
               bench_median(r3, 5));
        rlc_quad_gpu_destroy(g);
    }
    free(s), free(ref), free(cmd);
    return 0;
}
