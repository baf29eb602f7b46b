/* Speed of the nn stack: forward + backward + Adam step of a 17-256-256-6 ReLU MLP with MSE
 * loss at batch 256 and 1, against the time rlc's GEMM front end (SIMD kernel for small products,
 * else OpenBLAS) needs for exactly the same matrix products, plus GEMM GFLOP/s of the portable
 * kernel, the SIMD kernel and OpenBLAS. Medians of several repetitions. */
#include "core/gemm.h"
#include "bench_util.h"
#include "rlc/nn.h"
#include "rlc/optim.h"

#ifdef RLC_HAVE_CBLAS
#include <cblas.h>
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 15



/* Runs fn(ctx) `iters` times per repetition; returns the median microseconds per call. */
static double time_us(void (*fn)(void *), void *ctx, int iters) {
    double t[REPS];
    for (int i = 0; i < iters / 4 + 1; i++)
        fn(ctx); /* warm up */
    for (int r = 0; r < REPS; r++) {
        double t0 = rlc_time_now();
        for (int i = 0; i < iters; i++)
            fn(ctx);
        t[r] = (rlc_time_now() - t0) * 1e6 / iters;
    }
    return bench_median(t, REPS);
}

enum { IN = 17, H = 256, OUT = 6 };

typedef struct bench {
    int B;
    rlc_params *p;
    rlc_mlp *m;
    rlc_optim *o;
    rlc_graph *g;
    rlc_tensor *x, *y, *loss;
    /* bare GEMM buffers: activations, their gradients, weights, weight gradients */
    float *X, *H1, *H2, *Y, *dY, *dH2, *dH1, *W1, *W2, *W3, *dW1, *dW2, *dW3;
} bench;

static void step(void *ctx) {
    bench *b = ctx;
    rlc_graph_forward(b->g);
    rlc_graph_backward(b->g, b->loss);
    rlc_optim_step(b->o); /* zero_grad = 1: the step also clears the gradients */
}

static void fwd(void *ctx) {
    bench *b = ctx;
    rlc_graph_forward(b->g);
}

static void fwd_bwd(void *ctx) {
    bench *b = ctx;
    rlc_graph_forward(b->g);
    rlc_graph_backward(b->g, b->loss);
    rlc_params_zero_grad(b->p);
}

static void adam(void *ctx) {
    bench *b = ctx;
    rlc_optim_step(b->o);
}

/* The eight products of one training step, as the graph issues them (weights [out, in]). */
static void bare_gemm(void *ctx) {
    bench *b = ctx;
    int B = b->B;
    /* forward: H = X W^T */
    rlc__sgemm(0, 1, B, H, IN, 1, b->X, IN, b->W1, IN, 0, b->H1, H);
    rlc__sgemm(0, 1, B, H, H, 1, b->H1, H, b->W2, H, 0, b->H2, H);
    rlc__sgemm(0, 1, B, OUT, H, 1, b->H2, H, b->W3, H, 0, b->Y, OUT);
    /* backward: dW += dY^T X, dX = dY W (no input gradient for the first layer) */
    rlc__sgemm(1, 0, OUT, H, B, 1, b->dY, OUT, b->H2, H, 1, b->dW3, H);
    rlc__sgemm(0, 0, B, H, OUT, 1, b->dY, OUT, b->W3, H, 1, b->dH2, H);
    rlc__sgemm(1, 0, H, H, B, 1, b->dH2, H, b->H1, H, 1, b->dW2, H);
    rlc__sgemm(0, 0, B, H, H, 1, b->dH2, H, b->W2, H, 1, b->dH1, H);
    rlc__sgemm(1, 0, H, IN, B, 1, b->dH1, H, b->X, IN, 1, b->dW1, IN);
}

#ifdef RLC_HAVE_CBLAS
/* Batch 1 only: the same eight products as matrix-vector (sgemv) and rank-1 (sger) calls,
 * which is what a GEMM front end that special-cases M == 1 and K == 1 would issue. */
static void bare_gemv(void *ctx) {
    bench *b = ctx;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, H, IN, 1, b->W1, IN, b->X, 1, 0, b->H1, 1);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, H, H, 1, b->W2, H, b->H1, 1, 0, b->H2, 1);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, OUT, H, 1, b->W3, H, b->H2, 1, 0, b->Y, 1);
    cblas_sger(CblasRowMajor, OUT, H, 1, b->dY, 1, b->H2, 1, b->dW3, H);
    cblas_sgemv(CblasRowMajor, CblasTrans, OUT, H, 1, b->W3, H, b->dY, 1, 1, b->dH2, 1);
    cblas_sger(CblasRowMajor, H, H, 1, b->dH2, 1, b->H1, 1, b->dW2, H);
    cblas_sgemv(CblasRowMajor, CblasTrans, H, H, 1, b->W2, H, b->dH2, 1, 1, b->dH1, 1);
    cblas_sger(CblasRowMajor, H, IN, 1, b->dH1, 1, b->X, 1, b->dW1, IN);
}
#endif

static float *buf(size_t n) {
    float *p = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = (float)sin((double)i) * 0.1f;
    return p;
}

static void setup(bench *b, int B) {
    memset(b, 0, sizeof *b);
    b->B = B;
    rlc_rng r;
    rlc_rng_seed(&r, 0);
    b->p = rlc_params_create(RLC_F32);
    rlc_mlp_spec s = {.sizes = (int[]){IN, H, H, OUT}, .nsizes = 4, .act = RLC_ACT_RELU};
    b->m = rlc_mlp_create(b->p, "mlp", &s, &r);
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    oc.lr = 1e-4;
    oc.zero_grad = 1;
    b->o = rlc_optim_create(b->p, &oc);
    b->g = rlc_graph_create(RLC_F32, 0);
    b->x = rlc_input(b->g, 2, (int[]){B, IN});
    b->y = rlc_input(b->g, 2, (int[]){B, OUT});
    b->loss = rlc_mse(b->g, rlc_mlp_forward(b->g, b->m, b->x), b->y);
    if (rlc_graph_status(b->g) != RLC_OK) {
        fprintf(stderr, "bench: %s\n", rlc_graph_error(b->g));
        exit(1);
    }
    for (int64_t i = 0; i < b->x->size; i++)
        rlc_tensor_set(b->x, i, rlc_rng_normal(&r));
    for (int64_t i = 0; i < b->y->size; i++)
        rlc_tensor_set(b->y, i, rlc_rng_normal(&r));
    b->X = buf((size_t)B * IN);
    b->H1 = buf((size_t)B * H);
    b->H2 = buf((size_t)B * H);
    b->Y = buf((size_t)B * OUT);
    b->dY = buf((size_t)B * OUT);
    b->dH2 = buf((size_t)B * H);
    b->dH1 = buf((size_t)B * H);
    b->W1 = buf((size_t)H * IN);
    b->W2 = buf((size_t)H * H);
    b->W3 = buf((size_t)OUT * H);
    b->dW1 = buf((size_t)H * IN);
    b->dW2 = buf((size_t)H * H);
    b->dW3 = buf((size_t)OUT * H);
}

static void teardown(bench *b) {
    float *bufs[] = {b->X,  b->H1, b->H2, b->Y,   b->dY,  b->dH2, b->dH1,
                     b->W1, b->W2, b->W3, b->dW1, b->dW2, b->dW3};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    rlc_graph_destroy(b->g);
    rlc_optim_destroy(b->o);
    rlc_mlp_destroy(b->m);
    rlc_params_destroy(b->p);
}

static void run_mlp(int B, int iters) {
    bench b;
    setup(&b, B);
    /* The whole step and the bare GEMMs are timed in alternation, so that both see the same
     * machine load; the ratio is the median of the per-repetition ratios. */
    double ts[REPS], tg[REPS], ratio[REPS];
    time_us(step, &b, iters);
    time_us(bare_gemm, &b, iters);
    for (int r = 0; r < REPS; r++) {
        double t0 = rlc_time_now();
        for (int i = 0; i < iters; i++)
            step(&b);
        double t1 = rlc_time_now();
        for (int i = 0; i < iters; i++)
            bare_gemm(&b);
        double t2 = rlc_time_now();
        ts[r] = (t1 - t0) * 1e6 / iters;
        tg[r] = (t2 - t1) * 1e6 / iters;
        ratio[r] = ts[r] / tg[r];
    }
    double t_fwd = time_us(fwd, &b, iters);
    double t_fb = time_us(fwd_bwd, &b, iters);
    double t_adam = time_us(adam, &b, iters);
    printf("MLP 17-256-256-6 relu, MSE, Adam, batch %d (%lld params):\n", B,
           (long long)rlc_params_count(b.p));
    printf("  train step (fwd+bwd+adam)  %9.1f us\n", bench_median(ts, REPS));
    printf("    forward                  %9.1f us\n", t_fwd);
    printf("    forward+backward         %9.1f us  (incl. zero_grad)\n", t_fb);
    printf("    adam step                %9.1f us\n", t_adam);
    printf("  bare rlc__sgemm calls (8)  %9.1f us\n", bench_median(tg, REPS));
    printf("  step / GEMM                %9.2fx\n", bench_median(ratio, REPS));
#ifdef RLC_HAVE_CBLAS
    if (B == 1)
        printf("  (same products as OpenBLAS sgemv/sger: %.1f us)\n",
               time_us(bare_gemv, &b, iters));
#endif
    teardown(&b);
}

typedef struct gemm_ctx {
    int ta, tb, M, N, K, mode; /* mode 0: portable, 1: SIMD kernel, 2: OpenBLAS */
    float *a, *b, *c;
} gemm_ctx;

static void gemm_call(void *ctx) {
    gemm_ctx *g = ctx;
    int lda = g->ta ? g->M : g->K, ldb = g->tb ? g->K : g->N;
    if (g->mode == 0)
        rlc__sgemm_portable(g->ta, g->tb, g->M, g->N, g->K, 1, g->a, lda, g->b, ldb, 0, g->c, g->N);
    else if (g->mode == 1)
        rlc__sgemm_simd(g->ta, g->tb, g->M, g->N, g->K, 1, g->a, lda, g->b, ldb, 0, g->c, g->N);
#ifdef RLC_HAVE_CBLAS
    else
        cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                    g->tb ? CblasTrans : CblasNoTrans, g->M, g->N, g->K, 1, g->a, lda, g->b, ldb,
                    0, g->c, g->N);
#endif
}

/* GFLOP/s of the three GEMMs on square sizes and on the products of a 64-64 layer at batch 100
 * (TD3 on Pendulum: forward X W^T, input gradient dY W, weight gradient dY^T X). */
static void run_gemm(void) {
    static const int shapes[][5] = {{0, 0, 64, 64, 64},   {0, 0, 256, 256, 256}, {0, 0, 1024, 1024, 1024},
                                    {0, 1, 100, 64, 64},  {0, 0, 100, 64, 64},   {1, 0, 64, 64, 100}};
    int lv = rlc__sgemm_simd_level();
    printf("SGEMM C = op(A) op(B), one thread, GFLOP/s (SIMD kernel: %s):\n"
           "  ta tb     M     N     K   portable      SIMD  OpenBLAS\n",
           lv == 2 ? "AVX-512" : lv == 1 ? "AVX2" : "none on this CPU");
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const int *sh = shapes[k];
        size_t n = (size_t)1024 * 1024;
        gemm_ctx g = {sh[0], sh[1], sh[2], sh[3], sh[4], 0, buf(n), buf(n), buf(n)};
        double flop = 2.0 * g.M * g.N * g.K, gf[3] = {0, 0, 0};
        int iters = (int)(2e8 / flop) + 1;
        for (int m = 0; m < 3; m++) {
            if ((m == 1 && lv == 0) || (m == 2 && !rlc_have_blas())) continue;
            g.mode = m;
            gf[m] = flop / time_us(gemm_call, &g, m ? iters * 8 : iters) * 1e-3;
        }
        printf("  %2d %2d %5d %5d %5d   %8.1f  %8.1f  %8.1f\n", g.ta, g.tb, g.M, g.N, g.K, gf[0],
               gf[1], gf[2]);
        free(g.a);
        free(g.b);
        free(g.c);
    }
}

int main(void) {
    rlc_set_blas_threads(1);
    printf("rlc nn benchmark (float32, %s)\n", rlc_have_blas() ? "OpenBLAS, 1 thread" : "portable");
    run_mlp(256, 200);
    run_mlp(1, 20000);
    run_gemm();
    return 0;
}
