/* The fused path for small MLPs (widths of tens of units, batches of tens of rows): forward and
 * backward of a whole rlc_mlp without a graph, with weights copied once per load into padded
 * register-friendly layouts. At these sizes a graph's per-node work (argument checks, gradient
 * zeroing, separate bias/activation passes, packing op(B) in every GEMM call) costs as much as
 * the arithmetic; here each layer is one loop nest over register tiles.
 *
 * Layout: activations are row-major [B][np] with np the width rounded up to 8 and zero padding,
 * so every inner loop runs over whole 8-float vectors. Weights are kept twice: transposed
 * [in][np_out] for the forward pass (a broadcast input times a row of outputs) and padded
 * [out][np_in] for the input gradient.
 *
 * Arithmetic: each output is one fused multiply-add chain from 0 in the order of the graph's
 * products (forward: over inputs k ascending, then + bias, then the activation, as the fused
 * linear op; weight gradients: over rows b ascending; input gradients: over outputs j
 * ascending), with rlc__tanhf as the tanh. The AVX2 kernels and the scalar fallback (fmaf) run
 * the same chains, so they give the same bits. */
#include "nn/nn_impl.h"

#include "core/fastmath.h"
#include "core/gemm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PAD8(n) (((n) + 7) & ~7)

static void tm_free_bufs(rlc__tmlp *t) {
    for (int l = 0; l < RLC__TM_MAXL; l++) {
        rlc_free(t->wt[l]);
        rlc_free(t->wp[l]);
        rlc_free(t->bp[l]);
        t->wt[l] = t->wp[l] = t->bp[l] = NULL;
    }
    for (int l = 0; l <= RLC__TM_MAXL; l++) {
        rlc_free(t->y[l]);
        t->y[l] = NULL;
    }
    rlc_free(t->dz);
    rlc_free(t->dx[0]);
    rlc_free(t->dx[1]);
    rlc_free(t->gw);
    t->dz = t->dx[0] = t->dx[1] = t->gw = NULL;
}

void rlc__tmlp_free(rlc__tmlp *t) {
    if (t) tm_free_bufs(t);
}

rlc_status rlc__tmlp_init_ac(const char *algo, rlc__tmlp *ta, const rlc_mlp *actor, int na,
                             rlc__tmlp *tq, const rlc_mlp *q1, const rlc_mlp *q2, int B) {
    rlc_status st = rlc__tmlp_init(ta, actor, na);
    if (!st) st = rlc__tmlp_init(&tq[0], q1, B);
    if (!st && q2) st = rlc__tmlp_init(&tq[1], q2, B);
    if (st == RLC_ERR_INVALID) {
        char why[256];
        snprintf(why, sizeof why, "%s", rlc_last_error());
        st = rlc_error(RLC_ERR_INVALID, "%s: fused=1 needs plain networks (%s)", algo, why);
    }
    return st;
}

static float *zalloc(size_t n) {
    return rlc_calloc(n ? n : 1, sizeof(float));
}

rlc_status rlc__tmlp_init(rlc__tmlp *t, const rlc_mlp *m, int B) {
    memset(t, 0, sizeof *t);
    if (!m || B < 1) return rlc_error(RLC_ERR_INVALID, "fused mlp: NULL network or batch %d", B);
    const rlc_params *p = rlc_mlp_params(m);
    rlc_act act, oact;
    if (!rlc__mlp_plain(m, &act, &oact) || rlc_params_dtype(p) != RLC_F32)
        return rlc_error(RLC_ERR_INVALID,
                         "fused mlp: needs float32, relu or tanh layers, biases and no "
                         "LayerNorm");
    const int L = rlc_mlp_num_layers(m);
    if (L > RLC__TM_MAXL) return rlc_error(RLC_ERR_INVALID, "fused mlp: %d layers", L);
    t->nl = L;
    t->act = act == RLC_ACT_TANH ? 2 : 1;
    t->oact = oact == RLC_ACT_TANH ? 2 : oact == RLC_ACT_RELU ? 1 : 0;
    int maxp = 0;
    for (int l = 0; l < L; l++) {
        const rlc_linear *lin = rlc_mlp_layer(m, l);
        t->n[l] = lin->in;
        t->n[l + 1] = lin->out;
        t->woff[l] = rlc_params_entry(p, lin->weight)->offset;
        t->boff[l] = rlc_params_entry(p, lin->bias)->offset;
    }
    for (int l = 0; l <= L; l++) {
        t->np[l] = PAD8(t->n[l]);
        if (t->np[l] > maxp) maxp = t->np[l];
    }
    int ok = 1;
    for (int l = 0; l < L && ok; l++) {
        ok = (t->wt[l] = zalloc((size_t)t->n[l] * t->np[l + 1])) &&
             (t->wp[l] = zalloc((size_t)t->n[l + 1] * t->np[l])) &&
             (t->bp[l] = zalloc((size_t)t->np[l + 1]));
    }
    for (int l = 0; l <= L && ok; l++)
        ok = (t->y[l] = zalloc((size_t)B * t->np[l])) != NULL;
    ok = ok && (t->dz = zalloc((size_t)B * maxp)) && (t->dx[0] = zalloc((size_t)B * maxp)) &&
         (t->dx[1] = zalloc((size_t)B * maxp)) && (t->gw = zalloc((size_t)maxp * maxp));
    if (!ok) {
        tm_free_bufs(t);
        return RLC_ERR_NOMEM;
    }
    return RLC_OK;
}

/* wt[k][j] = w[j][k] for j < out, k < in (wt rows of stride ld) */
static void transpose_scalar(int out, int in, const float *w, float *wt, int ld, int j0, int k0) {
    for (int j = j0; j < out; j++)
        for (int k = 0; k < in; k++)
            wt[(size_t)k * ld + j] = w[(size_t)j * in + k];
    for (int j = 0; j < j0; j++)
        for (int k = k0; k < in; k++)
            wt[(size_t)k * ld + j] = w[(size_t)j * in + k];
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
/* The same with 8 x 8 blocks transposed in AVX registers, the edges by the scalar loop. */
__attribute__((target("avx2"))) static void transpose_avx2(int out, int in, const float *w,
                                                           float *wt, int ld) {
    const int j8 = out & ~7, k8 = in & ~7;
    for (int j = 0; j < j8; j += 8)
        for (int k = 0; k < k8; k += 8) {
            __m256 r[8], u[8], v[8];
            for (int q = 0; q < 8; q++)
                r[q] = _mm256_loadu_ps(w + (size_t)(j + q) * in + k);
            for (int q = 0; q < 8; q += 2) {
                u[q] = _mm256_unpacklo_ps(r[q], r[q + 1]);
                u[q + 1] = _mm256_unpackhi_ps(r[q], r[q + 1]);
            }
            for (int q = 0; q < 8; q += 4) {
                v[q] = _mm256_shuffle_ps(u[q], u[q + 2], 0x44);
                v[q + 1] = _mm256_shuffle_ps(u[q], u[q + 2], 0xEE);
                v[q + 2] = _mm256_shuffle_ps(u[q + 1], u[q + 3], 0x44);
                v[q + 3] = _mm256_shuffle_ps(u[q + 1], u[q + 3], 0xEE);
            }
            for (int q = 0; q < 4; q++) {
                _mm256_storeu_ps(wt + (size_t)(k + q) * ld + j,
                                 _mm256_permute2f128_ps(v[q], v[q + 4], 0x20));
                _mm256_storeu_ps(wt + (size_t)(k + q + 4) * ld + j,
                                 _mm256_permute2f128_ps(v[q], v[q + 4], 0x31));
            }
        }
    transpose_scalar(out, in, w, wt, ld, j8, k8);
}
#define TM_HAVE_TRANSPOSE_AVX2 1
#endif

static int use_avx2(void);

void rlc__tmlp_load(rlc__tmlp *t, const float *data) {
    for (int l = 0; l < t->nl; l++) {
        const int in = t->n[l], out = t->n[l + 1], inp = t->np[l], outp = t->np[l + 1];
        const float *w = data + t->woff[l];
        float *wp = t->wp[l];
        for (int j = 0; j < out; j++)
            memcpy(wp + (size_t)j * inp, w + (size_t)j * in, sizeof(float) * (size_t)in);
#ifdef TM_HAVE_TRANSPOSE_AVX2
        if (use_avx2())
            transpose_avx2(out, in, w, t->wt[l], outp);
        else
#endif
            transpose_scalar(out, in, w, t->wt[l], outp, 0, 0);
        memcpy(t->bp[l], data + t->boff[l], sizeof(float) * (size_t)out);
    }
}

/* ---- scalar kernels (the reference arithmetic) ---- */

/* y[b][j] = act((sum_k x[b][k] wt[k][j]) + bias[j]) for j < outp (padding: 0 + 0) */
static void fwd_scalar(int B, int in, int inp, int outp, const float *x, const float *wt,
                       const float *bias, int relu, float *y) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < outp; j++) {
            float acc = 0;
            for (int k = 0; k < in; k++)
                acc = fmaf(x[(size_t)b * inp + k], wt[(size_t)k * outp + j], acc);
            float v = acc + bias[j];
            y[(size_t)b * outp + j] = relu && v < 0 ? 0 : v;
        }
}

/* gw[j][k] = sum_b dz[b][j] x[b][k] (j < out, k < inp), db[j] = sum_b dz[b][j] */
static void dw_scalar(int B, int out, int outp, int inp, const float *dz, const float *x, float *gw,
                      float *db) {
    for (int j = 0; j < out; j++) {
        for (int k = 0; k < inp; k++) {
            float acc = 0;
            for (int b = 0; b < B; b++)
                acc = fmaf(dz[(size_t)b * outp + j], x[(size_t)b * inp + k], acc);
            gw[(size_t)j * inp + k] = acc;
        }
        float s = 0;
        for (int b = 0; b < B; b++)
            s += dz[(size_t)b * outp + j];
        db[j] = s;
    }
}

/* dx[b][k] = sum_j dz[b][j] wp[j][k] (k < inp) */
static void dx_scalar(int B, int out, int outp, int inp, const float *dz, const float *wp,
                      float *dx) {
    for (int b = 0; b < B; b++)
        for (int k = 0; k < inp; k++) {
            float acc = 0;
            for (int j = 0; j < out; j++)
                acc = fmaf(dz[(size_t)b * outp + j], wp[(size_t)j * inp + k], acc);
            dx[(size_t)b * inp + k] = acc;
        }
}

/* ---- AVX2 + FMA kernels: the same chains on 8-float vectors ---- */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define TM_AVX2 __attribute__((target("avx2,fma")))
#define TM_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/* R rows (compile-time) x 2 vectors (the second only when two) of outputs from j0. */
TM_INLINE void fwd_tile(const int R, const int two, int in, int inp, int outp, const float *x,
                        const float *wt, const float *bias, int relu, float *y) {
    __m256 c0[6], c1[6];
    _Pragma("GCC unroll 6") for (int r = 0; r < R; r++) c0[r] = c1[r] = _mm256_setzero_ps();
    for (int k = 0; k < in; k++) {
        const __m256 w0 = _mm256_loadu_ps(wt + (size_t)k * outp);
        const __m256 w1 = two ? _mm256_loadu_ps(wt + (size_t)k * outp + 8) : _mm256_setzero_ps();
        _Pragma("GCC unroll 6") for (int r = 0; r < R; r++) {
            const __m256 a = _mm256_broadcast_ss(x + (size_t)r * inp + k);
            c0[r] = _mm256_fmadd_ps(a, w0, c0[r]);
            if (two) c1[r] = _mm256_fmadd_ps(a, w1, c1[r]);
        }
    }
    const __m256 b0 = _mm256_loadu_ps(bias), z = _mm256_setzero_ps();
    const __m256 b1 = two ? _mm256_loadu_ps(bias + 8) : z;
    _Pragma("GCC unroll 6") for (int r = 0; r < R; r++) {
        __m256 v0 = _mm256_add_ps(c0[r], b0);
        if (relu) v0 = _mm256_max_ps(z, v0); /* max(0, v): v for nan and -0, as v < 0 ? 0 : v */
        _mm256_storeu_ps(y + (size_t)r * outp, v0);
        if (two) {
            __m256 v1 = _mm256_add_ps(c1[r], b1);
            if (relu) v1 = _mm256_max_ps(z, v1);
            _mm256_storeu_ps(y + (size_t)r * outp + 8, v1);
        }
    }
}

TM_AVX2 static void fwd_avx2(int B, int in, int inp, int outp, const float *x, const float *wt,
                             const float *bias, int relu, float *y) {
    for (int j0 = 0; j0 < outp; j0 += 16) {
        const int two = outp - j0 >= 16;
        int b = 0;
#define FWD_T(R, TWO)                                                                              \
    fwd_tile(R, TWO, in, inp, outp, x + (size_t)b * inp, wt + j0, bias + j0, relu,                 \
             y + (size_t)b * outp + j0)
        /* tiles of 6 rows (12 accumulators, 2 weight vectors and a broadcast: 15 registers),
         * then 4, then single rows */
        if (two) {
            for (; b + 6 <= B; b += 6)
                FWD_T(6, 1);
            for (; b + 4 <= B; b += 4)
                FWD_T(4, 1);
            for (; b < B; b++)
                FWD_T(1, 1);
        } else {
            for (; b + 6 <= B; b += 6)
                FWD_T(6, 0);
            for (; b + 4 <= B; b += 4)
                FWD_T(4, 0);
            for (; b < B; b++)
                FWD_T(1, 0);
        }
#undef FWD_T
    }
}

/* Weight gradients for J (compile-time) outputs from j and NV input vectors from k0. */
TM_INLINE void dw_tile(const int J, const int NV, int B, int outp, int inp, const float *dz,
                       const float *x, float *gw) {
    __m256 c[2][4];
    _Pragma("GCC unroll 6") for (int q = 0; q < J; q++)
        _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++) c[q][v] = _mm256_setzero_ps();
    for (int b = 0; b < B; b++) {
        __m256 xv[4];
        _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++) xv[v] =
            _mm256_loadu_ps(x + (size_t)b * inp + 8 * v);
        _Pragma("GCC unroll 6") for (int q = 0; q < J; q++) {
            const __m256 a = _mm256_broadcast_ss(dz + (size_t)b * outp + q);
            _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++) c[q][v] =
                _mm256_fmadd_ps(a, xv[v], c[q][v]);
        }
    }
    _Pragma("GCC unroll 6") for (int q = 0; q < J; q++)
        _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(gw + (size_t)q * inp + 8 * v, c[q][v]);
}

TM_AVX2 static void dw_avx2(int B, int out, int outp, int inp, const float *dz, const float *x,
                            float *gw, float *db) {
    for (int k0 = 0; k0 < inp; k0 += 32) {
        const int nv = (inp - k0) / 8 < 4 ? (inp - k0) / 8 : 4;
        int j = 0;
        for (; j + 2 <= out; j += 2) {
            const float *d = dz + j;
            float *g = gw + (size_t)j * inp + k0;
            switch (nv) {
            case 4:
                dw_tile(2, 4, B, outp, inp, d, x + k0, g);
                break;
            case 3:
                dw_tile(2, 3, B, outp, inp, d, x + k0, g);
                break;
            case 2:
                dw_tile(2, 2, B, outp, inp, d, x + k0, g);
                break;
            default:
                dw_tile(2, 1, B, outp, inp, d, x + k0, g);
                break;
            }
        }
        for (; j < out; j++) {
            const float *d = dz + j;
            float *g = gw + (size_t)j * inp + k0;
            switch (nv) {
            case 4:
                dw_tile(1, 4, B, outp, inp, d, x + k0, g);
                break;
            case 3:
                dw_tile(1, 3, B, outp, inp, d, x + k0, g);
                break;
            case 2:
                dw_tile(1, 2, B, outp, inp, d, x + k0, g);
                break;
            default:
                dw_tile(1, 1, B, outp, inp, d, x + k0, g);
                break;
            }
        }
    }
    /* bias: column sums over b ascending, 8 outputs at a time */
    for (int j0 = 0; j0 < outp; j0 += 8) {
        __m256 s = _mm256_setzero_ps();
        for (int b = 0; b < B; b++)
            s = _mm256_add_ps(s, _mm256_loadu_ps(dz + (size_t)b * outp + j0));
        float tmp[8];
        _mm256_storeu_ps(tmp, s);
        for (int q = 0; q < 8 && j0 + q < out; q++)
            db[j0 + q] = tmp[q];
    }
}

/* Input gradients for R (compile-time) rows x NV vectors of inputs from k0. */
TM_INLINE void dx_tile(const int R, const int NV, int out, int outp, int inp, const float *dz,
                       const float *wp, float *dx) {
    __m256 c[6][2];
    _Pragma("GCC unroll 6") for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++) c[r][v] = _mm256_setzero_ps();
    for (int j = 0; j < out; j++) {
        __m256 wv[2];
        _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++) wv[v] =
            _mm256_loadu_ps(wp + (size_t)j * inp + 8 * v);
        _Pragma("GCC unroll 6") for (int r = 0; r < R; r++) {
            const __m256 a = _mm256_broadcast_ss(dz + (size_t)r * outp + j);
            _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++) c[r][v] =
                _mm256_fmadd_ps(a, wv[v], c[r][v]);
        }
    }
    _Pragma("GCC unroll 6") for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 6") for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(dx + (size_t)r * inp + 8 * v, c[r][v]);
}

TM_AVX2 static void dx_avx2(int B, int out, int outp, int inp, const float *dz, const float *wp,
                            float *dx) {
    for (int k0 = 0; k0 < inp; k0 += 16) {
        const int two = inp - k0 >= 16;
        int b = 0;
        for (; b + 6 <= B; b += 6) {
            const float *d = dz + (size_t)b * outp;
            float *o = dx + (size_t)b * inp + k0;
            if (two)
                dx_tile(6, 2, out, outp, inp, d, wp + k0, o);
            else
                dx_tile(6, 1, out, outp, inp, d, wp + k0, o);
        }
        for (; b + 4 <= B; b += 4) {
            const float *d = dz + (size_t)b * outp;
            float *o = dx + (size_t)b * inp + k0;
            if (two)
                dx_tile(4, 2, out, outp, inp, d, wp + k0, o);
            else
                dx_tile(4, 1, out, outp, inp, d, wp + k0, o);
        }
        for (; b < B; b++) {
            const float *d = dz + (size_t)b * outp;
            float *o = dx + (size_t)b * inp + k0;
            if (two)
                dx_tile(1, 2, out, outp, inp, d, wp + k0, o);
            else
                dx_tile(1, 1, out, outp, inp, d, wp + k0, o);
        }
    }
}
/* dz = g (1 - y^2) (tanh) or y > 0 ? g : 0 (relu); n a multiple of 8 */
TM_AVX2 static void dz_avx2(int tanh_act, int64_t n, const float *g, const float *y, float *d) {
    const __m256 one = _mm256_set1_ps(1.0f), z = _mm256_setzero_ps();
    for (int64_t i = 0; i < n; i += 8) {
        const __m256 v = _mm256_loadu_ps(y + i), gi = _mm256_loadu_ps(g + i);
        const __m256 r = tanh_act ? _mm256_mul_ps(gi, _mm256_sub_ps(one, _mm256_mul_ps(v, v)))
                                  : _mm256_and_ps(gi, _mm256_cmp_ps(v, z, _CMP_GT_OQ));
        _mm256_storeu_ps(d + i, r);
    }
}
#define TM_HAVE_AVX2 1
#endif

static int use_avx2(void) {
#ifdef TM_HAVE_AVX2
    return rlc__sgemm_simd_level() >= 1;
#else
    return 0;
#endif
}

const float *rlc__tmlp_forward(rlc__tmlp *t, int B) {
    const int simd = use_avx2();
    for (int l = 0; l < t->nl; l++) {
        const int la = l == t->nl - 1 ? t->oact : t->act, relu = la == 1;
        const int in = t->n[l], inp = t->np[l], outp = t->np[l + 1];
#ifdef TM_HAVE_AVX2
        if (simd)
            fwd_avx2(B, in, inp, outp, t->y[l], t->wt[l], t->bp[l], relu, t->y[l + 1]);
        else
#endif
            fwd_scalar(B, in, inp, outp, t->y[l], t->wt[l], t->bp[l], relu, t->y[l + 1]);
        if (la == 2) rlc__tanhf_inplace(t->y[l + 1], (int64_t)B * outp);
    }
    (void)simd;
    return t->y[t->nl];
}

float *rlc__tmlp_backward(rlc__tmlp *t, int B, const float *dout, float *grad, int want_dx) {
    const int simd = use_avx2();
    const float *g = dout;
    float *dx = NULL;
    for (int l = t->nl - 1; l >= 0; l--) {
        const int in = t->n[l], out = t->n[l + 1], inp = t->np[l], outp = t->np[l + 1];
        const float *dz = g;
        const int la = l == t->nl - 1 ? t->oact : t->act;
        if (la) { /* through the activation: dz = g act'(y) */
            const float *restrict y = t->y[l + 1], *restrict gg = g;
            float *restrict d = t->dz;
            const int64_t n = (int64_t)B * outp;
#ifdef TM_HAVE_AVX2
            if (simd)
                dz_avx2(la == 2, n, gg, y, d);
            else
#endif
                for (int64_t i = 0; i < n; i++) {
                    const float v = y[i], gi = gg[i];
                    d[i] = la == 2 ? gi * (1 - v * v) : v > 0 ? gi : 0;
                }
            dz = d;
        }
        if (grad) {
            float *gw = t->gw;
#ifdef TM_HAVE_AVX2
            if (simd)
                dw_avx2(B, out, outp, inp, dz, t->y[l], gw, grad + t->boff[l]);
            else
#endif
                dw_scalar(B, out, outp, inp, dz, t->y[l], gw, grad + t->boff[l]);
            float *w = grad + t->woff[l];
            for (int j = 0; j < out; j++)
                memcpy(w + (size_t)j * in, gw + (size_t)j * inp, sizeof(float) * (size_t)in);
        }
        if (l > 0 || want_dx) {
            dx = t->dx[l & 1];
#ifdef TM_HAVE_AVX2
            if (simd)
                dx_avx2(B, out, outp, inp, dz, t->wp[l], dx);
            else
#endif
                dx_scalar(B, out, outp, inp, dz, t->wp[l], dx);
            g = dx;
        }
    }
    (void)simd;
    return want_dx ? dx : NULL;
}

void rlc__tmlp_fill(rlc__tmlp *t, int B, int col, const float *x, int width) {
    for (int b = 0; b < B; b++)
        memcpy(t->y[0] + (size_t)b * t->np[0] + col, x + (size_t)b * width,
               sizeof(float) * (size_t)width);
}

double rlc__tmlp_mse_step(rlc__tmlp *t, int n, const float *data, float *grad, const float *y,
                          int B, float *dq, double *mean0) {
    const int qs = t[0].np[t[0].nl];
    double loss = 0, m0 = 0;
    for (int k = 0; k < n; k++) {
        rlc__tmlp_load(&t[k], data);
        const float *q = rlc__tmlp_forward(&t[k], B);
        double l = 0;
        for (int b = 0; b < B; b++) {
            const float d = q[(size_t)b * qs] - y[b];
            l += (double)d * d;
            dq[(size_t)b * qs] = 2 * d / (float)B;
            if (!k) m0 += q[(size_t)b * qs];
        }
        loss += l / B;
        rlc__tmlp_backward(&t[k], B, dq, grad, 0);
    }
    if (mean0) *mean0 = m0 / B;
    return loss;
}
