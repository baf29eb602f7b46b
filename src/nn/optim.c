/* Optimizers over flat parameter blocks: SGD (+momentum, Nesterov), Adam, AdamW and RMSprop with
 * PyTorch's update rules, state in the params' state slots, and global-norm gradient clipping.
 * The elementwise kernels are single loops with no reassociation and no FMA contraction, so
 * the vectorised clones give bit-identical results to the scalar code. */
#include "nn/nn_impl.h"

#include "core/graph_impl.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct rlc_optim {
    rlc_params *p;
    rlc_optim_config cfg;
    int s_mom, s_m, s_v, s_ga; /* state slot of each buffer, -1 when unused */
};

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__)) &&      \
    !defined(__SANITIZE_ADDRESS__)
/* The update loops are vectorised (also at -O2) and cloned for AVX-512/AVX2. IEEE sqrt and
 * division are correctly rounded at every vector width and -ffp-contract=off forbids FMA, so
 * every clone gives the scalar code's bits; no-math-errno only drops errno setting. */
#define HOT                                                                                        \
    __attribute__((target_clones("avx512f", "avx2", "default"),                                    \
                   optimize("no-math-errno", "tree-vectorize", "vect-cost-model=dynamic")))
#else
#define HOT
#endif
#define INLINE static inline __attribute__((always_inline))

rlc_optim_config rlc_optim_defaults(rlc_optim_kind kind) {
    rlc_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.lr = kind == RLC_OPTIM_RMSPROP ? 1e-2 : 1e-3;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.alpha = 0.99;
    c.weight_decay = kind == RLC_OPTIM_ADAMW ? 1e-2 : 0.0;
    return c;
}

rlc_status rlc_optim_kind_parse(const char *name, rlc_optim_kind *out) {
    static const char *names[] = {"sgd", "adam", "adamw", "rmsprop"};
    if (!name || !out) return rlc_error(RLC_ERR_INVALID, "rlc_optim_kind_parse: NULL argument");
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) {
            *out = (rlc_optim_kind)i;
            return RLC_OK;
        }
    return rlc_error(RLC_ERR_INVALID, "unknown optimizer '%s' (sgd, adam, adamw, rmsprop)", name);
}

static rlc_status check_config(const rlc_optim_config *c) {
    if ((unsigned)c->kind > RLC_OPTIM_RMSPROP)
        return rlc_error(RLC_ERR_INVALID, "optimizer: unknown kind %d", (int)c->kind);
#define NEED(cond, ...)                                                                            \
    if (!(cond)) return rlc_error(RLC_ERR_RANGE, __VA_ARGS__)
    NEED(c->lr >= 0 && isfinite(c->lr), "optimizer: lr %g must be finite and >= 0", c->lr);
    NEED(c->weight_decay >= 0 && isfinite(c->weight_decay), "optimizer: weight_decay %g < 0",
         c->weight_decay);
    NEED(c->momentum >= 0 && c->momentum < 1e6, "optimizer: momentum %g < 0", c->momentum);
    NEED(c->dampening >= 0 && c->dampening <= 1, "optimizer: dampening %g outside [0, 1]",
         c->dampening);
    NEED(c->eps >= 0 && isfinite(c->eps), "optimizer: eps %g < 0", c->eps);
    if (c->kind == RLC_OPTIM_ADAM || c->kind == RLC_OPTIM_ADAMW) {
        NEED(c->beta1 >= 0 && c->beta1 < 1, "optimizer: beta1 %g outside [0, 1)", c->beta1);
        NEED(c->beta2 >= 0 && c->beta2 < 1, "optimizer: beta2 %g outside [0, 1)", c->beta2);
    }
    if (c->kind == RLC_OPTIM_RMSPROP)
        NEED(c->alpha >= 0 && c->alpha < 1, "optimizer: alpha %g outside [0, 1)", c->alpha);
#undef NEED
    if (c->kind == RLC_OPTIM_SGD && c->nesterov && (c->momentum <= 0 || c->dampening != 0))
        return rlc_error(RLC_ERR_INVALID, "optimizer: Nesterov momentum requires a momentum and "
                                          "zero dampening");
    return RLC_OK;
}

rlc_optim *rlc_optim_create(rlc_params *p, const rlc_optim_config *cfg) {
    if (!p || !cfg) {
        rlc_error(RLC_ERR_INVALID, "rlc_optim_create: NULL argument");
        return NULL;
    }
    if (check_config(cfg)) return NULL;
    rlc_optim *o = rlc_calloc(1, sizeof *o);
    if (!o) return NULL;
    o->p = p;
    o->cfg = *cfg;
    o->s_mom = o->s_m = o->s_v = o->s_ga = -1;
    const char *names[RLC_PARAMS_MAX_STATE];
    int ns = 0;
    switch (cfg->kind) {
    case RLC_OPTIM_SGD:
        if (cfg->momentum > 0) names[o->s_mom = ns++] = "momentum_buffer";
        break;
    case RLC_OPTIM_ADAM:
    case RLC_OPTIM_ADAMW:
        names[o->s_m = ns++] = "exp_avg";
        names[o->s_v = ns++] = "exp_avg_sq";
        break;
    case RLC_OPTIM_RMSPROP:
        names[o->s_v = ns++] = "square_avg";
        if (cfg->momentum > 0) names[o->s_mom = ns++] = "momentum_buffer";
        if (cfg->centered) names[o->s_ga = ns++] = "grad_avg";
        break;
    }
    if (rlc__params_ensure_state(p, ns)) {
        rlc_free(o);
        return NULL;
    }
    static const char *kind_names[] = {"sgd", "adam", "adamw", "rmsprop"};
    snprintf(p->optim_name, sizeof p->optim_name, "%s", kind_names[cfg->kind]);
    for (int s = 0; s < ns; s++)
        snprintf(p->state_names[s], sizeof p->state_names[s], "%s", names[s]);
    p->state_used = ns;
    rlc_optim_reset(o);
    return o;
}

void rlc_optim_destroy(rlc_optim *o) {
    rlc_free(o);
}

void rlc_optim_reset(rlc_optim *o) {
    rlc_params *p = o->p;
    size_t bytes = (size_t)p->count * rlc__dtype_size(p->dtype);
    for (int s = 0; s < p->state_used; s++)
        if (bytes) memset(p->state[s], 0, bytes);
    p->optim_step = 0;
}

void rlc_optim_set_lr(rlc_optim *o, double lr) {
    o->cfg.lr = lr;
}

double rlc_optim_lr(const rlc_optim *o) {
    return o->cfg.lr;
}

int64_t rlc_optim_steps(const rlc_optim *o) {
    return o->p->optim_step;
}

const rlc_optim_config *rlc_optim_config_of(const rlc_optim *o) {
    return &o->cfg;
}

/* Optimizer state whose magnitude drops below the smallest normal number is stored as zero:
 * the moments of parameters whose gradient stays 0 (dead ReLU units) decay geometrically into
 * the subnormal range, where x86 arithmetic is many times slower (measured: a third of the
 * batch-1 training step). The values flushed are < 1.2e-38 (float) and move no parameter. The
 * same rule runs in the scalar and SIMD code, so results stay identical across them. */
#define FLUSH(T, x, TMIN) ((x) > -(TMIN) && (x) < (TMIN) ? (T)0 : (x))

/* ---- kernels (one per kind and dtype; T is the element type) ----
 * Each body is inlined with constant flags so that every loop the compiler sees is
 * branch-free; loop-invariant choices on values (weight decay 0 or not) are selects. */

#define DEFINE_KERNELS(T, SQRT, SFX, TMIN)                                                         \
    /* mode 0: no momentum, 1: first step (b = d), 2: b = mom b + omd d */                         \
    INLINE void sgd_body_##SFX(T *restrict p, T *restrict g, T *restrict b, int64_t n, T lr, T wd, \
                               T mom, T omd, const int mode, const int nesterov, const int zero) { \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T d = g[i];                                                                            \
            d = wd != 0 ? d + wd * p[i] : d;                                                       \
            if (mode) {                                                                            \
                T bi = mode == 1 ? d : mom * b[i] + omd * d;                                       \
                bi = FLUSH(T, bi, TMIN);                                                           \
                b[i] = bi;                                                                         \
                d = nesterov ? d + mom * bi : bi;                                                  \
            }                                                                                      \
            p[i] = p[i] - lr * d;                                                                  \
            if (zero) g[i] = 0;                                                                    \
        }                                                                                          \
    }                                                                                              \
    HOT static void sgd_##SFX(T *restrict p, T *restrict g, T *restrict b, int64_t n, T lr, T wd,  \
                              T mom, T omd, int mode, int nesterov, int zero) {                    \
        switch (mode * 4 + nesterov * 2 + (zero != 0)) {                                           \
        case 0:                                                                                    \
        case 2:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 0, 0, 0);                                 \
            break;                                                                                 \
        case 1:                                                                                    \
        case 3:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 0, 0, 1);                                 \
            break;                                                                                 \
        case 4:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 1, 0, 0);                                 \
            break;                                                                                 \
        case 5:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 1, 0, 1);                                 \
            break;                                                                                 \
        case 6:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 1, 1, 0);                                 \
            break;                                                                                 \
        case 7:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 1, 1, 1);                                 \
            break;                                                                                 \
        case 8:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 2, 0, 0);                                 \
            break;                                                                                 \
        case 9:                                                                                    \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 2, 0, 1);                                 \
            break;                                                                                 \
        case 10:                                                                                   \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 2, 1, 0);                                 \
            break;                                                                                 \
        default:                                                                                   \
            sgd_body_##SFX(p, g, b, n, lr, wd, mom, omd, 2, 1, 1);                                 \
            break;                                                                                 \
        }                                                                                          \
    }                                                                                              \
    /* From index i0 on. wd: coupled L2 (Adam); decay: decoupled factor 1 - lr wd (AdamW), 1 =     \
     * none. step = lr sqrt(bc2) / bc1 and eps2 = eps sqrt(bc2) fold PyTorch's two bias            \
     * corrections into one division per element (same formula, up to rounding). */                \
    static void adam_##SFX(T *restrict p, T *restrict g, T *restrict m, T *restrict v, int64_t i0, \
                           int64_t n, T b1, T omb1, T b2, T omb2, T step, T eps2, T wd, T decay,   \
                           int zero) {                                                             \
        for (int64_t i = i0; i < n; i++) {                                                         \
            T d = g[i], pi = p[i];                                                                 \
            if (wd != 0) d = d + wd * pi;                                                          \
            if (decay != 1) pi = pi * decay;                                                       \
            T mi = b1 * m[i] + omb1 * d;                                                           \
            T vi = b2 * v[i] + omb2 * (d * d);                                                     \
            mi = FLUSH(T, mi, TMIN);                                                               \
            vi = FLUSH(T, vi, TMIN);                                                               \
            m[i] = mi;                                                                             \
            v[i] = vi;                                                                             \
            p[i] = pi - step * (mi / (SQRT(vi) + eps2));                                           \
            if (zero) g[i] = 0;                                                                    \
        }                                                                                          \
    }                                                                                              \
    /* From index i0 on; ga NULL unless centered, b NULL without momentum. */                      \
    static void rmsprop_##SFX(T *restrict p, T *restrict g, T *restrict v, T *restrict b,          \
                              T *restrict ga, int64_t i0, int64_t n, T lr, T alpha, T oma, T eps,  \
                              T wd, T mom, int zero) {                                             \
        for (int64_t i = i0; i < n; i++) {                                                         \
            T d = g[i];                                                                            \
            if (wd != 0) d = d + wd * p[i];                                                        \
            T vi = alpha * v[i] + oma * (d * d);                                                   \
            vi = FLUSH(T, vi, TMIN);                                                               \
            v[i] = vi;                                                                             \
            T avg;                                                                                 \
            if (ga) {                                                                              \
                T gi = alpha * ga[i] + oma * d;                                                    \
                gi = FLUSH(T, gi, TMIN);                                                           \
                ga[i] = gi;                                                                        \
                avg = SQRT(vi - gi * gi) + eps;                                                    \
            } else {                                                                               \
                avg = SQRT(vi) + eps;                                                              \
            }                                                                                      \
            if (b) {                                                                               \
                T bi = mom * b[i] + d / avg;                                                       \
                bi = FLUSH(T, bi, TMIN);                                                           \
                b[i] = bi;                                                                         \
                p[i] = p[i] - lr * bi;                                                             \
            } else {                                                                               \
                p[i] = p[i] - lr * (d / avg);                                                      \
            }                                                                                      \
            if (zero) g[i] = 0;                                                                    \
        }                                                                                          \
    }                                                                                              \
    HOT static void scale_##SFX(T *restrict g, int64_t n, T c) {                                   \
        for (int64_t i = 0; i < n; i++)                                                            \
            g[i] = g[i] * c;                                                                       \
    }

DEFINE_KERNELS(float, sqrtf, f32, FLT_MIN)
DEFINE_KERNELS(double, sqrt, f64, DBL_MIN)

/* ---- explicit SIMD for the float32 Adam and RMSprop updates (the hot loops of most agents) ----
 * GCC does not vectorise sqrtf under -fmath-errno, so the AVX-512 / AVX2 versions are written
 * with intrinsics; each lane performs exactly the scalar operations in the same order (no FMA),
 * so results are bit-identical to the scalar kernels. They return how many elements they did. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <stdatomic.h>
#define RLC_OPTIM_SIMD 1

#define ADAM_SIMD(NAME, TGT, W, V, LD, ST, SET1, ADD, SUB, MUL, DIV, SQRT_, ZERO, FLUSHV)          \
    __attribute__((target(TGT))) static int64_t NAME(                                              \
        float *restrict p, float *restrict g, float *restrict m, float *restrict v, int64_t n,     \
        float b1s, float omb1s, float b2s, float omb2s, float steps, float eps2s, float wds,       \
        float decays, int zero) {                                                                  \
        const V b1 = SET1(b1s), omb1 = SET1(omb1s), b2 = SET1(b2s), omb2 = SET1(omb2s);            \
        const V step = SET1(steps), eps2 = SET1(eps2s), wd = SET1(wds), decay = SET1(decays);      \
        const V z = ZERO();                                                                        \
        int64_t i = 0;                                                                             \
        for (; i + W <= n; i += W) {                                                               \
            V d = LD(g + i), pi = LD(p + i);                                                       \
            if (wds != 0) d = ADD(d, MUL(wd, pi));                                                 \
            if (decays != 1) pi = MUL(pi, decay);                                                  \
            V mi = ADD(MUL(b1, LD(m + i)), MUL(omb1, d));                                          \
            V vi = ADD(MUL(b2, LD(v + i)), MUL(omb2, MUL(d, d)));                                  \
            mi = FLUSHV(mi);                                                                       \
            vi = FLUSHV(vi);                                                                       \
            ST(m + i, mi);                                                                         \
            ST(v + i, vi);                                                                         \
            ST(p + i, SUB(pi, MUL(step, DIV(mi, ADD(SQRT_(vi), eps2)))));                          \
            if (zero) ST(g + i, z);                                                                \
        }                                                                                          \
        return i;                                                                                  \
    }

/* FLUSH on vectors: |x| < FLT_MIN (ordered compare, so NaN is kept) -> +0. */
#define FLUSH512(x)                                                                                \
    _mm512_maskz_mov_ps(                                                                           \
        (__mmask16)~_mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(FLT_MIN), _CMP_LT_OQ), x)
#define FLUSH256(x)                                                                                \
    _mm256_andnot_ps(_mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x),                     \
                                   _mm256_set1_ps(FLT_MIN), _CMP_LT_OQ),                           \
                     x)

ADAM_SIMD(adam_f32_avx512, "avx512f", 16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps,
          _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps,
          _mm512_setzero_ps, FLUSH512)
ADAM_SIMD(adam_f32_avx2, "avx2", 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps,
          _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps,
          _mm256_setzero_ps, FLUSH256)

#define RMS_SIMD(NAME, TGT, W, V, LD, ST, SET1, ADD, SUB, MUL, DIV, SQRT_, ZERO, FLUSHV)           \
    __attribute__((target(TGT))) static int64_t NAME(                                              \
        float *restrict p, float *restrict g, float *restrict v, float *restrict b,                \
        float *restrict ga, int64_t n, float lrs, float alphas, float omas, float epss, float wds, \
        float moms, int zero) {                                                                    \
        const V lr = SET1(lrs), alpha = SET1(alphas), oma = SET1(omas), eps = SET1(epss);          \
        const V wd = SET1(wds), mom = SET1(moms), z = ZERO();                                      \
        int64_t i = 0;                                                                             \
        for (; i + W <= n; i += W) {                                                               \
            V d = LD(g + i);                                                                       \
            if (wds != 0) d = ADD(d, MUL(wd, LD(p + i)));                                          \
            V vi = FLUSHV(ADD(MUL(alpha, LD(v + i)), MUL(oma, MUL(d, d))));                        \
            ST(v + i, vi);                                                                         \
            V avg;                                                                                 \
            if (ga) {                                                                              \
                V gi = FLUSHV(ADD(MUL(alpha, LD(ga + i)), MUL(oma, d)));                           \
                ST(ga + i, gi);                                                                    \
                avg = ADD(SQRT_(SUB(vi, MUL(gi, gi))), eps);                                       \
            } else {                                                                               \
                avg = ADD(SQRT_(vi), eps);                                                         \
            }                                                                                      \
            if (b) {                                                                               \
                V bi = FLUSHV(ADD(MUL(mom, LD(b + i)), DIV(d, avg)));                              \
                ST(b + i, bi);                                                                     \
                ST(p + i, SUB(LD(p + i), MUL(lr, bi)));                                            \
            } else {                                                                               \
                ST(p + i, SUB(LD(p + i), MUL(lr, DIV(d, avg))));                                   \
            }                                                                                      \
            if (zero) ST(g + i, z);                                                                \
        }                                                                                          \
        return i;                                                                                  \
    }

RMS_SIMD(rms_f32_avx512, "avx512f", 16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps,
         _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps,
         _mm512_setzero_ps, FLUSH512)
RMS_SIMD(rms_f32_avx2, "avx2", 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps,
         _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps,
         _mm256_setzero_ps, FLUSH256)

/* 0: scalar, 1: AVX2, 2: AVX-512 (tests may lower it to compare the paths); -1 not yet known.
 * Relaxed atomics: every thread computes the same value. */
static atomic_int g_simd_level = -1;

static int simd_detect(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
}

static int simd_level(void) {
    int lv = atomic_load_explicit(&g_simd_level, memory_order_relaxed);
    if (lv < 0) {
        lv = simd_detect();
        atomic_store_explicit(&g_simd_level, lv, memory_order_relaxed);
    }
    return lv;
}
#endif

void rlc__optim_set_simd(int level);
/* Tests: caps the SIMD level of the Adam kernel (0 scalar, 1 AVX2, 2 AVX-512, -1 automatic). */
void rlc__optim_set_simd(int level) {
#ifdef RLC_OPTIM_SIMD
    int have = simd_detect();
    atomic_store_explicit(&g_simd_level, level < 0 || level > have ? have : level,
                          memory_order_relaxed);
#else
    (void)level;
#endif
}

static void adam_f32_dispatch(float *p, float *g, float *m, float *v, int64_t n, float b1,
                              float omb1, float b2, float omb2, float step, float eps2, float wd,
                              float decay, int zero) {
    int64_t i = 0;
#ifdef RLC_OPTIM_SIMD
    int lv = simd_level();
    if (lv == 2)
        i = adam_f32_avx512(p, g, m, v, n, b1, omb1, b2, omb2, step, eps2, wd, decay, zero);
    else if (lv == 1)
        i = adam_f32_avx2(p, g, m, v, n, b1, omb1, b2, omb2, step, eps2, wd, decay, zero);
#endif
    adam_f32(p, g, m, v, i, n, b1, omb1, b2, omb2, step, eps2, wd, decay, zero);
}

static void rmsprop_f32_dispatch(float *p, float *g, float *v, float *b, float *ga, int64_t n,
                                 float lr, float alpha, float oma, float eps, float wd, float mom,
                                 int zero) {
    int64_t i = 0;
#ifdef RLC_OPTIM_SIMD
    int lv = simd_level();
    if (lv == 2)
        i = rms_f32_avx512(p, g, v, b, ga, n, lr, alpha, oma, eps, wd, mom, zero);
    else if (lv == 1)
        i = rms_f32_avx2(p, g, v, b, ga, n, lr, alpha, oma, eps, wd, mom, zero);
#endif
    rmsprop_f32(p, g, v, b, ga, i, n, lr, alpha, oma, eps, wd, mom, zero);
}

static void rmsprop_f64_dispatch(double *p, double *g, double *v, double *b, double *ga, int64_t n,
                                 double lr, double alpha, double oma, double eps, double wd,
                                 double mom, int zero) {
    rmsprop_f64(p, g, v, b, ga, 0, n, lr, alpha, oma, eps, wd, mom, zero);
}

static void adam_f64_dispatch(double *p, double *g, double *m, double *v, int64_t n, double b1,
                              double omb1, double b2, double omb2, double step, double eps2,
                              double wd, double decay, int zero) {
    adam_f64(p, g, m, v, 0, n, b1, omb1, b2, omb2, step, eps2, wd, decay, zero);
}

#define STEP(T, SFX)                                                                               \
    {                                                                                              \
        T *pd = p->data, *pg = p->grad;                                                            \
        T *sm = o->s_m >= 0 ? (T *)p->state[o->s_m] : NULL;                                        \
        T *sv = o->s_v >= 0 ? (T *)p->state[o->s_v] : NULL;                                        \
        T *sb = o->s_mom >= 0 ? (T *)p->state[o->s_mom] : NULL;                                    \
        T *sg = o->s_ga >= 0 ? (T *)p->state[o->s_ga] : NULL;                                      \
        switch (c->kind) {                                                                         \
        case RLC_OPTIM_SGD:                                                                        \
            sgd_##SFX(pd, pg, sb, n, (T)c->lr, (T)c->weight_decay, (T)c->momentum,                 \
                      (T)(1.0 - c->dampening), sb ? (t == 1 ? 1 : 2) : 0, c->nesterov != 0,        \
                      c->zero_grad);                                                               \
            break;                                                                                 \
        case RLC_OPTIM_ADAM:                                                                       \
        case RLC_OPTIM_ADAMW: {                                                                    \
            int w = c->kind == RLC_OPTIM_ADAMW;                                                    \
            double bc1 = 1.0 - pow(c->beta1, (double)t), bc2 = 1.0 - pow(c->beta2, (double)t);     \
            adam_##SFX##_dispatch(pd, pg, sm, sv, n, (T)c->beta1, (T)(1.0 - c->beta1),             \
                                  (T)c->beta2, (T)(1.0 - c->beta2), (T)(c->lr * sqrt(bc2) / bc1),  \
                                  (T)(c->eps * sqrt(bc2)), w ? (T)0 : (T)c->weight_decay,          \
                                  w ? (T)(1.0 - c->lr * c->weight_decay) : (T)1, c->zero_grad);    \
            break;                                                                                 \
        }                                                                                          \
        case RLC_OPTIM_RMSPROP:                                                                    \
            rmsprop_##SFX##_dispatch(pd, pg, sv, sb, sg, n, (T)c->lr, (T)c->alpha,                 \
                                     (T)(1.0 - c->alpha), (T)c->eps, (T)c->weight_decay,           \
                                     (T)c->momentum, c->zero_grad);                                \
            break;                                                                                 \
        }                                                                                          \
    }

/* The gradient hook of data-parallel training (nn_impl.h): per thread, and called once per
 * step of a block (a clip followed by the step of the same block calls it in the clip). */
static _Thread_local rlc__grad_hook g_grad_hook;
static _Thread_local void *g_grad_hook_ctx;
static _Thread_local const rlc_params *g_grad_synced;

void rlc__set_grad_hook(rlc__grad_hook fn, void *ctx) {
    g_grad_hook = fn;
    g_grad_hook_ctx = ctx;
    g_grad_synced = NULL;
}

void rlc_optim_step(rlc_optim *o) {
    if (!o) return;
    rlc_params *p = o->p;
    if (g_grad_hook) {
        if (g_grad_synced == p)
            g_grad_synced = NULL;
        else
            g_grad_hook(p, g_grad_hook_ctx);
    }
    const rlc_optim_config *c = &o->cfg;
    int64_t n = p->count, t = ++p->optim_step;
    if (p->dtype == RLC_F32)
        STEP(float, f32)
    else
        STEP(double, f64)
}

double rlc_clip_grad_norm(rlc_params *p, double max_norm) {
    if (!p) return 0.0;
    if (g_grad_hook) {
        g_grad_hook(p, g_grad_hook_ctx);
        g_grad_synced = p;
    }
    double norm = rlc_params_grad_norm(p);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        if (p->dtype == RLC_F32)
            scale_f32(p->grad, p->count, (float)coef);
        else
            scale_f64(p->grad, p->count, coef);
    }
    return norm;
}
