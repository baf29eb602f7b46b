/* Timing helpers shared by the bench programs: wall and process-CPU clocks in seconds, and the
 * median of a set of measurements (the machines are shared and noisy: benchmarks report
 * medians of repeated runs). Header-only; each bench program is one translation unit. */
#ifndef RLC_BENCH_UTIL_H
#define RLC_BENCH_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Monotonic wall-clock seconds. */
static inline double bench_wall(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of this process: robust to other jobs sharing the machine, unlike wall time. */
static inline double bench_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (n <= 256; v is left as it was). */
static inline double bench_median(const double *v, int n) {
    double s[256];
    if (n <= 0 || n > 256) return 0;
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, bench_cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

#endif
