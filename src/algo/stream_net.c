/* The shared machinery of the stream-x agents: hand-fused batch-1 MLP passes over the agent's
 * params (forward; backward into the eligibility trace with its L1 norm; ObGD update fused with
 * the next forward), the Welford normalisers and the common agent setup. Loops keep a fixed
 * 16-lane summation order, so every SIMD clone gives the scalar code's bits. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "algo/stream_impl.h"
#include "rlc/safetensors.h"

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__)) &&      \
    !defined(__SANITIZE_ADDRESS__)
/* Vectorised (also at -O2) and cloned for AVX-512/AVX2; no FMA contraction (-ffp-contract=off)
 * and fixed lane order keep the results identical across clones. */
#define HOT                                                                                        \
    __attribute__((target_clones("avx512f", "avx2", "default"),                                    \
                   optimize("no-math-errno", "tree-vectorize", "vect-cost-model=dynamic")))
#else
#define HOT
#endif
#define LANES 16

/* Sum of 16 lanes as a fixed tree (lane k + 8, then + 4, + 2, + 1), written out so that it
 * stays in registers. */
static inline __attribute__((always_inline)) float reduce16(const float *a) {
    float b0 = a[0] + a[8], b1 = a[1] + a[9], b2 = a[2] + a[10], b3 = a[3] + a[11];
    float b4 = a[4] + a[12], b5 = a[5] + a[13], b6 = a[6] + a[14], b7 = a[7] + a[15];
    float c0 = b0 + b4, c1 = b1 + b5, c2 = b2 + b6, c3 = b3 + b7;
    return (c0 + c2) + (c1 + c3);
}

/* Register kernels. Inputs of 1..8 (the observation layer): scalar loops of a constant
 * length, so the input, its gradient and the 16 lane sums stay in registers (the generic loops
 * keep the lane sums in memory, a store-to-load chain per input). Inputs of 16, 32, 64 or 128
 * on AVX-512: the input (and, backward, the input gradient) stays in vector registers across
 * the rows instead of being reloaded and re-stored for every row. Every value is computed with
 * the generic loops' operations in their order, so the results are the same bits. */
#define AI static inline __attribute__((always_inline))

int rlc__snet_generic = 0;

/* zb[i] = decay zb[i] + gi (a bias's trace); returns its magnitude. */
AI float bias_trace(float *zb, int i, float decay, float gi) {
    float zbi = decay * zb[i] + gi;
    zb[i] = zbi;
    return fabsf(zbi);
}

AI void fwd_small(const float *restrict W, const float *restrict b, const float *restrict x,
                  float *restrict out, int rows, int t) {
    float xt[16];
    for (int k = 0; k < t; k++)
        xt[k] = x[k];
    for (int i = 0; i < rows; i++) {
        const float *wr = W + (size_t)i * t;
        float tail = 0;
        for (int k = 0; k < t; k++)
            tail += wr[k] * xt[k];
        out[i] = b[i] + (0.0f + tail); /* the generic loop's (empty) 16 lanes, then the tail */
    }
}

AI void upd_small(float *restrict W, float *restrict b, const float *restrict Z,
                  const float *restrict zb, const float *restrict x, float *restrict out,
                  int rows, int t, float cf) {
    float xt[16];
    for (int k = 0; k < t; k++)
        xt[k] = x[k];
    for (int i = 0; i < rows; i++) {
        float *wr = W + (size_t)i * t;
        const float *zr = Z + (size_t)i * t;
        b[i] = b[i] + cf * zb[i];
        float tail = 0;
        for (int k = 0; k < t; k++) {
            float w = wr[k] + cf * zr[k];
            wr[k] = w;
            tail += w * xt[k];
        }
        out[i] = b[i] + (0.0f + tail);
    }
}

AI double bwd_small(const float *restrict W, float *restrict Z, float *restrict zb,
                    const float *restrict x, const float *restrict g, float *restrict dx,
                    int rows, int t, float decay) {
    float xt[16], dt[16], acc[LANES] = {0};
    for (int k = 0; k < t; k++) {
        xt[k] = x[k];
        dt[k] = 0;
    }
    double bsum = 0;
    for (int i = 0; i < rows; i++) {
        float gi = g[i];
        bsum += bias_trace(zb, i, decay, gi);
        float *zr = Z + (size_t)i * t;
        const float *wr = W + (size_t)i * t;
        for (int k = 0; k < t; k++) {
            float z = decay * zr[k] + gi * xt[k];
            zr[k] = z;
            acc[k] += fabsf(z);
            if (dx) dt[k] += wr[k] * gi;
        }
    }
    if (dx)
        for (int k = 0; k < t; k++)
            dx[k] = dt[k];
    return bsum + (double)reduce16(acc);
}

#define SMALL_DISPATCH(cols, KERNEL)                                                               \
    switch (cols) {                                                                                \
    case 1: KERNEL(1); case 2: KERNEL(2); case 3: KERNEL(3); case 4: KERNEL(4);                    \
    case 5: KERNEL(5); case 6: KERNEL(6); case 7: KERNEL(7); case 8: KERNEL(8);                    \
    default: break;                                                                                \
    }

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define HAVE_REG512 1
#pragma GCC diagnostic ignored "-Wpsabi" /* the vector helpers are always inlined: no ABI */
#define HOT512                                                                                     \
    __attribute__((noinline, target("avx512f"), optimize("no-math-errno", "tree-vectorize")))
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

AI v16 vld(const float *p) {
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}
#define VST(p, v) memcpy((p), &(v), sizeof(v16)) /* v: an lvalue */
#define VABS(v) ((v16)((v16i)(v)&0x7fffffff))
AI float vsum(const v16 *v) { /* reduce16's tree */
    v16 a = *v;
    float b0 = a[0] + a[8], b1 = a[1] + a[9], b2 = a[2] + a[10], b3 = a[3] + a[11];
    float b4 = a[4] + a[12], b5 = a[5] + a[13], b6 = a[6] + a[14], b7 = a[7] + a[15];
    float c0 = b0 + b4, c1 = b1 + b5, c2 = b2 + b6, c3 = b3 + b7;
    return (c0 + c2) + (c1 + c3);
}

AI void fwd_k(const float *restrict W, const float *restrict b, const float *restrict x,
              float *restrict out, int rows, int nc) {
    v16 xv[8];
    for (int c = 0; c < nc; c++)
        xv[c] = vld(x + 16 * c);
    for (int i = 0; i < rows; i++) {
        const float *wr = W + (size_t)i * 16 * nc;
        v16 acc = {0};
        for (int c = 0; c < nc; c++)
            acc += vld(wr + 16 * c) * xv[c];
        out[i] = b[i] + (vsum(&acc) + 0.0f); /* + the generic loop's empty tail */
    }
}

AI void upd_k(float *restrict W, float *restrict b, const float *restrict Z,
              const float *restrict zb, const float *restrict x, float *restrict out, int rows,
              int nc, float cf) {
    v16 xv[8];
    for (int c = 0; c < nc; c++)
        xv[c] = vld(x + 16 * c);
    for (int i = 0; i < rows; i++) {
        float *wr = W + (size_t)i * 16 * nc;
        const float *zr = Z + (size_t)i * 16 * nc;
        b[i] = b[i] + cf * zb[i];
        v16 acc = {0};
        for (int c = 0; c < nc; c++) {
            v16 w = vld(wr + 16 * c) + cf * vld(zr + 16 * c);
            VST(wr + 16 * c, w);
            acc += w * xv[c];
        }
        out[i] = b[i] + (vsum(&acc) + 0.0f);
    }
}

AI double bwd_k(const float *restrict W, float *restrict Z, float *restrict zb,
                const float *restrict x, const float *restrict g, float *restrict dx, int rows,
                int nc, float decay) {
    v16 xv[8], dv[8], acc = {0};
    for (int c = 0; c < nc; c++) {
        xv[c] = vld(x + 16 * c);
        dv[c] = (v16){0};
    }
    double bsum = 0;
    for (int i = 0; i < rows; i++) {
        float gi = g[i];
        bsum += bias_trace(zb, i, decay, gi);
        float *zr = Z + (size_t)i * 16 * nc;
        const float *wr = W + (size_t)i * 16 * nc;
        for (int c = 0; c < nc; c++) {
            v16 z = decay * vld(zr + 16 * c) + gi * xv[c];
            VST(zr + 16 * c, z);
            acc += VABS(z);
            if (dx) dv[c] += vld(wr + 16 * c) * gi;
        }
    }
    if (dx)
        for (int c = 0; c < nc; c++)
            VST(dx + 16 * c, dv[c]);
    return bsum + (double)vsum(&acc);
}

#define REG512_DISPATCH(cols, KERNEL)                                                              \
    switch (cols) {                                                                                \
    case 16: KERNEL(1); case 32: KERNEL(2); case 64: KERNEL(4); case 128: KERNEL(8);               \
    default: break;                                                                                \
    }

/* Returns 1 after running the AVX-512 kernel for this width, 0 when there is none. */
HOT512 static int fwd512(const float *W, const float *b, const float *x, float *out, int rows,
                         int cols) {
#define K(nc)                                                                                      \
    do {                                                                                           \
        fwd_k(W, b, x, out, rows, nc);                                                             \
        return 1;                                                                                  \
    } while (0)
    REG512_DISPATCH(cols, K)
#undef K
    return 0;
}

HOT512 static int upd512(float *W, float *b, const float *Z, const float *zb, const float *x,
                         float *out, int rows, int cols, float cf) {
#define K(nc)                                                                                      \
    do {                                                                                           \
        upd_k(W, b, Z, zb, x, out, rows, nc, cf);                                                  \
        return 1;                                                                                  \
    } while (0)
    REG512_DISPATCH(cols, K)
#undef K
    return 0;
}

HOT512 static int bwd512(const float *W, float *Z, float *zb, const float *x, const float *g,
                         float *dx, int rows, int cols, float decay, double *l1) {
#define K(nc)                                                                                      \
    do {                                                                                           \
        *l1 = bwd_k(W, Z, zb, x, g, dx, rows, nc, decay);                                          \
        return 1;                                                                                  \
    } while (0)
    REG512_DISPATCH(cols, K)
#undef K
    return 0;
}

/* libgcc's CPU model, filled before main: a load and a bit test. */
static int use512(void) { return __builtin_cpu_supports("avx512f") != 0; }
#else
#define HAVE_REG512 0
#endif

/* out[i] = b[i] + W[i] . x */
HOT static void layer_fwd(const float *restrict W, const float *restrict b,
                          const float *restrict x, float *restrict out, int rows, int cols) {
    if (!rlc__snet_generic) {
#if HAVE_REG512
        if (use512() && fwd512(W, b, x, out, rows, cols)) return;
#endif
#define K(t)                                                                                       \
    do {                                                                                           \
        fwd_small(W, b, x, out, rows, t);                                                          \
        return;                                                                                    \
    } while (0)
        SMALL_DISPATCH(cols, K)
#undef K
    }
    for (int i = 0; i < rows; i++) {
        const float *wr = W + (size_t)i * cols;
        float acc[LANES] = {0};
        int j = 0;
        float tail = 0;
        for (; j + LANES <= cols; j += LANES)
            for (int k = 0; k < LANES; k++)
                acc[k] += wr[j + k] * x[j + k];
        for (; j < cols; j++)
            tail += wr[j] * x[j];
        out[i] = b[i] + (reduce16(acc) + tail);
    }
}

/* W += c Z, b += c zb, then (x != NULL) out = b + W x with the new weights. */
HOT static void layer_upd(float *restrict W, float *restrict b, const float *restrict Z,
                          const float *restrict zb, const float *restrict x, float *restrict out,
                          int rows, int cols, float c) {
    if (x && !rlc__snet_generic) {
#if HAVE_REG512
        if (use512() && upd512(W, b, Z, zb, x, out, rows, cols, c)) return;
#endif
#define K(t)                                                                                       \
    do {                                                                                           \
        upd_small(W, b, Z, zb, x, out, rows, t, c);                                                \
        return;                                                                                    \
    } while (0)
        SMALL_DISPATCH(cols, K)
#undef K
    }
    for (int i = 0; i < rows; i++) {
        float *wr = W + (size_t)i * cols;
        const float *zr = Z + (size_t)i * cols;
        b[i] = b[i] + c * zb[i];
        if (!x) {
            for (int j = 0; j < cols; j++)
                wr[j] = wr[j] + c * zr[j];
            continue;
        }
        float acc[LANES] = {0}, tail = 0;
        int j = 0;
        for (; j + LANES <= cols; j += LANES)
            for (int k = 0; k < LANES; k++) {
                float w = wr[j + k] + c * zr[j + k];
                wr[j + k] = w;
                acc[k] += w * x[j + k];
            }
        for (; j < cols; j++) {
            float w = wr[j] + c * zr[j];
            wr[j] = w;
            tail += w * x[j];
        }
        out[i] = b[i] + (reduce16(acc) + tail);
    }
}

/* Z = decay Z + g x^T, zb = decay zb + g; dx = W^T g when dx != NULL. Returns sum |z|. */
HOT static double layer_bwd(const float *restrict W, float *restrict Z, float *restrict zb,
                            const float *restrict x, const float *restrict g, float *restrict dx,
                            int rows, int cols, float decay) {
    if (!rlc__snet_generic) {
#if HAVE_REG512
        double l1;
        if (use512() && bwd512(W, Z, zb, x, g, dx, rows, cols, decay, &l1)) return l1;
#endif
#define K(t) return bwd_small(W, Z, zb, x, g, dx, rows, t, decay)
        SMALL_DISPATCH(cols, K)
#undef K
    }
    float acc[LANES] = {0};
    double bsum = 0;
    if (dx)
        for (int j = 0; j < cols; j++)
            dx[j] = 0;
    for (int i = 0; i < rows; i++) {
        float gi = g[i];
        bsum += bias_trace(zb, i, decay, gi);
        float *zr = Z + (size_t)i * cols;
        const float *wr = W + (size_t)i * cols;
        int j = 0;
        if (dx) {
            for (; j + LANES <= cols; j += LANES)
                for (int k = 0; k < LANES; k++) {
                    float z = decay * zr[j + k] + gi * x[j + k];
                    zr[j + k] = z;
                    acc[k] += fabsf(z);
                    dx[j + k] += wr[j + k] * gi;
                }
            for (int k = 0; j < cols; j++, k++) {
                float z = decay * zr[j] + gi * x[j];
                zr[j] = z;
                acc[k] += fabsf(z);
                dx[j] += wr[j] * gi;
            }
        } else {
            for (; j + LANES <= cols; j += LANES)
                for (int k = 0; k < LANES; k++) {
                    float z = decay * zr[j + k] + gi * x[j + k];
                    zr[j + k] = z;
                    acc[k] += fabsf(z);
                }
            for (int k = 0; j < cols; j++, k++) {
                float z = decay * zr[j] + gi * x[j];
                zr[j] = z;
                acc[k] += fabsf(z);
            }
        }
    }
    return bsum + (double)reduce16(acc);
}

/* Sum of x[n] in 16 fixed lanes plus a sequential tail. */
static inline __attribute__((always_inline)) float sum16(const float *x, int n) {
    float acc[LANES] = {0}, tail = 0;
    int j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int k = 0; k < LANES; k++)
            acc[k] += x[j + k];
    for (; j < n; j++)
        tail += x[j];
    return reduce16(acc) + tail;
}

/* LayerNorm (no affine, population variance) and leaky ReLU on pre[n]: y, h, returns rstd. */
HOT static float ln_act(const float *pre, float *y, float *restrict h, int n,
                        int ln, float eps, float slope) {
    float rstd = 1;
    if (ln) {
        float m = sum16(pre, n) / (float)n;
        for (int j = 0; j < n; j++) {
            float d = pre[j] - m;
            y[j] = d;
            h[j] = d * d;
        }
        float v = sum16(h, n) / (float)n;
        rstd = (float)(1.0 / sqrt((double)v + eps));
        for (int j = 0; j < n; j++)
            y[j] = y[j] * rstd;
    } else {
        for (int j = 0; j < n; j++)
            y[j] = pre[j];
    }
    for (int j = 0; j < n; j++)
        h[j] = y[j] > 0 ? y[j] : slope * y[j];
    return rstd;
}

/* Backward of leaky ReLU and LayerNorm (no affine) in place on d[n], given y and rstd. */
HOT static void ln_act_bwd(float *restrict d, const float *restrict y, float *restrict tmp, int n,
                           int ln, float rstd, float slope) {
    for (int j = 0; j < n; j++)
        d[j] = y[j] > 0 ? d[j] : slope * d[j];
    if (!ln) return;
    for (int j = 0; j < n; j++)
        tmp[j] = d[j] * y[j];
    float a = sum16(d, n) / (float)n, c = sum16(tmp, n) / (float)n;
    for (int j = 0; j < n; j++)
        d[j] = rstd * (d[j] - a - y[j] * c);
}

rlc_status rlc__snet_bind(rlc__snet *n, rlc_params *p, const rlc_mlp *m, int ln, double slope) {
    memset(n, 0, sizeof *n);
    int nl = rlc_mlp_num_layers(m);
    if (nl < 1 || nl > RLC__SNET_MAXL)
        return rlc_error(RLC_ERR_INVALID, "stream net: %d layers (1..%d)", nl, RLC__SNET_MAXL);
    float *data = rlc_params_data(p), *tr = rlc_params_state(p, 0);
    if (!tr) return rlc_error(RLC_ERR_STATE, "stream net: the params have no trace slot");
    n->nl = nl;
    n->ln = ln;
    n->slope = (float)slope;
    n->ln_eps = 1e-5f;
    for (int l = 0; l < nl; l++) {
        const rlc_linear *L = rlc_mlp_layer(m, l);
        if (L->bias < 0) return rlc_error(RLC_ERR_INVALID, "stream net: layers need biases");
        if (l == 0) n->size[0] = L->in;
        n->size[l + 1] = L->out;
        const rlc_param_entry *ew = rlc_params_entry(p, L->weight);
        const rlc_param_entry *eb = rlc_params_entry(p, L->bias);
        n->w[l] = data + ew->offset;
        n->zw[l] = tr + ew->offset;
        n->b[l] = data + eb->offset;
        n->zb[l] = tr + eb->offset;
    }
    return RLC_OK;
}

rlc_status rlc__snet_buf_alloc(const rlc__snet *n, rlc__snet_buf *b) {
    memset(b, 0, sizeof *b);
    int maxw = 0;
    size_t total = (size_t)n->size[0] + (size_t)n->size[n->nl];
    for (int l = 0; l <= n->nl; l++)
        if (n->size[l] > maxw) maxw = n->size[l];
    for (int l = 0; l + 1 < n->nl; l++)
        total += 2 * (size_t)n->size[l + 1];
    total += 2 * (size_t)maxw;
    float *mem = rlc_calloc(total, sizeof(float));
    if (!mem) return RLC_ERR_NOMEM;
    b->mem = mem;
    b->x = mem;
    mem += n->size[0];
    for (int l = 0; l + 1 < n->nl; l++) {
        b->y[l] = mem;
        mem += n->size[l + 1];
        b->h[l] = mem;
        mem += n->size[l + 1];
    }
    b->out = mem;
    mem += n->size[n->nl];
    b->ga = mem;
    mem += maxw;
    b->gb = mem;
    return RLC_OK;
}

void rlc__snet_buf_free(rlc__snet_buf *b) {
    rlc_free(b->mem);
    memset(b, 0, sizeof *b);
}

void rlc__snet_forward(const rlc__snet *n, rlc__snet_buf *b, const float *x) {
    if (x != b->x) memcpy(b->x, x, sizeof(float) * (size_t)n->size[0]);
    const float *in = b->x;
    for (int l = 0; l < n->nl; l++) {
        int last = l == n->nl - 1;
        float *o = last ? b->out : b->y[l];
        layer_fwd(n->w[l], n->b[l], in, o, n->size[l + 1], n->size[l]);
        if (!last) {
            b->rstd[l] = ln_act(o, b->y[l], b->h[l], n->size[l + 1], n->ln, n->ln_eps, n->slope);
            in = b->h[l];
        }
    }
}

double rlc__snet_backward(rlc__snet *n, rlc__snet_buf *b, const float *dout, float decay) {
    double l1 = 0;
    const float *g = dout;
    for (int l = n->nl - 1; l >= 0; l--) {
        const float *in = l ? b->h[l - 1] : b->x;
        float *dx = l ? (g == b->ga ? b->gb : b->ga) : NULL;
        l1 += layer_bwd(n->w[l], n->zw[l], n->zb[l], in, g, dx, n->size[l + 1], n->size[l], decay);
        if (!l) break;
        /* through the activation and the LayerNorm of hidden layer l - 1 (scratch: the
         * other buffer, free once its gradient was consumed) */
        float *tmp = dx == b->ga ? b->gb : b->ga;
        ln_act_bwd(dx, b->y[l - 1], tmp, n->size[l], n->ln, b->rstd[l - 1], n->slope);
        g = dx;
    }
    return l1;
}

void rlc__snet_update(rlc__snet *n, rlc__snet_buf *b, float c, const float *x) {
    if (x && x != b->x) memcpy(b->x, x, sizeof(float) * (size_t)n->size[0]);
    const float *in = x ? b->x : NULL;
    for (int l = 0; l < n->nl; l++) {
        int last = l == n->nl - 1;
        float *o = last ? b->out : b->y[l];
        layer_upd(n->w[l], n->b[l], n->zw[l], n->zb[l], in, in ? o : NULL, n->size[l + 1],
                  n->size[l], c);
        if (!last && in) {
            b->rstd[l] = ln_act(o, b->y[l], b->h[l], n->size[l + 1], n->ln, n->ln_eps, n->slope);
            in = b->h[l];
        }
    }
}

void rlc__snet_zero_trace(rlc__snet *n) {
    for (int l = 0; l < n->nl; l++) {
        memset(n->zw[l], 0, sizeof(float) * (size_t)n->size[l] * (size_t)n->size[l + 1]);
        memset(n->zb[l], 0, sizeof(float) * (size_t)n->size[l + 1]);
    }
}

/* ---- Welford ---------------------------------------------------------------------------- */

rlc_status rlc__welford_init(rlc__welford *w, int dim) {
    memset(w, 0, sizeof *w);
    w->dim = dim;
    w->mean = rlc_calloc((size_t)dim, sizeof(double));
    w->m2 = rlc_calloc((size_t)dim, sizeof(double));
    if (!w->mean || !w->m2) {
        rlc__welford_free(w);
        return RLC_ERR_NOMEM;
    }
    return RLC_OK;
}

void rlc__welford_free(rlc__welford *w) {
    rlc_free(w->mean);
    rlc_free(w->m2);
    w->mean = w->m2 = NULL;
}

void rlc__welford_update(rlc__welford *w, const double *x) {
    double n = w->count + 1;
    for (int i = 0; i < w->dim; i++) {
        double d = x[i] - w->mean[i];
        double m = w->mean[i] + d / n;
        w->m2[i] += d * (x[i] - m);
        w->mean[i] = m;
    }
    w->count = n;
}

double rlc__welford_var(const rlc__welford *w, int i) {
    return w->count < 2 ? 1.0 : w->m2[i] / (w->count - 1);
}

rlc_status rlc__welford_write(const rlc__welford *w, rlc_st_writer *wr, const char *prefix) {
    char name[96];
    int64_t d = w->dim, one = 1;
    snprintf(name, sizeof name, "%s.mean", prefix);
    rlc_status st = rlc_st_writer_add_copy(wr, name, RLC_ST_F64, 1, &d, w->mean);
    snprintf(name, sizeof name, "%s.m2", prefix);
    if (!st) st = rlc_st_writer_add_copy(wr, name, RLC_ST_F64, 1, &d, w->m2);
    snprintf(name, sizeof name, "%s.count", prefix);
    if (!st) st = rlc_st_writer_add_copy(wr, name, RLC_ST_F64, 1, &one, &w->count);
    return st;
}

rlc_status rlc__welford_read(rlc__welford *w, const rlc_st_file *f, const char *prefix) {
    char name[96];
    int64_t d = w->dim, one = 1;
    double count;
    snprintf(name, sizeof name, "%s.count", prefix);
    rlc_status st = rlc_st_read_into(f, name, RLC_ST_F64, 1, &one, &count);
    if (!st && !(count >= 0))
        return rlc_error(RLC_ERR_RANGE, "tensor '%s': negative count %g", name, count);
    snprintf(name, sizeof name, "%s.mean", prefix);
    if (!st) st = rlc_st_read_into(f, name, RLC_ST_F64, 1, &d, w->mean);
    snprintf(name, sizeof name, "%s.m2", prefix);
    if (!st) st = rlc_st_read_into(f, name, RLC_ST_F64, 1, &d, w->m2);
    if (!st) w->count = count;
    return st;
}

/* ---- the common agent part ------------------------------------------------------------- */

void rlc__stream_free(rlc__stream *s) {
    for (int k = 0; k < 2; k++) {
        rlc__snet_buf_free(&s->cur[k]);
        rlc__snet_buf_free(&s->nxt[k]);
        rlc_obgd_destroy(s->opt[k]);
        rlc_mlp_destroy(s->mlp[k]);
    }
    rlc_params_destroy(s->p);
    rlc__welford_free(&s->obs_stats);
    rlc__welford_free(&s->ret_stats);
    rlc_free(s->obs_cur);
    rlc_free(s->obs_nxt);
    rlc_free(s->obs_tmp);
    memset(s, 0, sizeof *s);
}

rlc_status rlc__stream_init(rlc__stream *s, const rlc_agent *a, const rlc__stream_spec *sp) {
    memset(s, 0, sizeof *s);
    s->D = a->obs_size;
    s->nnet = sp->nnet;
    s->optimizer = sp->optimizer;
    s->lr = sp->lr;
    s->gamma = sp->gamma;
    s->lambda = sp->lambda;
    s->norm_obs = sp->norm_obs;
    s->scale_reward = sp->scale_reward;
    rlc_rng_seed_stream(&s->rng, a->seed, 1);
    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_status st = RLC_ERR_NOMEM;
    s->p = rlc_params_create(RLC_F32);
    if (!s->p) goto fail;
    int sizes[RLC_MLP_MAX_SIZES];
    sizes[0] = s->D;
    for (int l = 0; l < sp->layers; l++)
        sizes[1 + l] = sp->hidden;
    int first[2] = {0, 0};
    for (int k = 0; k < s->nnet; k++) {
        sizes[1 + sp->layers] = sp->outs[k];
        rlc_mlp_spec ms = {.sizes = sizes, .nsizes = sp->layers + 2,
                           .act = RLC_ACT_LEAKY_RELU, .out_act = RLC_ACT_NONE,
                           .layer_norm = sp->layer_norm ? RLC_LN_PLAIN : RLC_LN_NONE};
        if (sp->sparse_init) {
            rlc_init w = {.kind = RLC_INIT_SPARSE, .sparsity = sp->sparsity};
            rlc_init z = {.kind = RLC_INIT_ZEROS};
            ms.hidden_init = ms.out_init = w;
            ms.hidden_bias_init = ms.out_bias_init = z;
        }
        first[k] = rlc_params_num_entries(s->p);
        if (!(s->mlp[k] = rlc_mlp_create(s->p, sp->names[k], &ms, &init_rng))) {
            st = RLC_ERR_NOMEM;
            if (rlc_last_error()[0]) st = RLC_ERR_INVALID;
            goto fail;
        }
    }
    int ne = rlc_params_num_entries(s->p);
    for (int k = 0; k < s->nnet; k++) {
        rlc_obgd_config oc = rlc_obgd_defaults();
        oc.lr = sp->lr;
        oc.gamma = sp->gamma;
        oc.lambda = sp->lambda;
        oc.kappa = sp->kappa[k];
        oc.first_entry = first[k];
        oc.n_entries = (k + 1 < s->nnet ? first[k + 1] : ne) - first[k];
        s->kappa[k] = sp->kappa[k];
        if (!(s->opt[k] = rlc_obgd_create(s->p, &oc))) {
            st = RLC_ERR_INVALID;
            goto fail;
        }
    }
    for (int k = 0; k < s->nnet; k++) {
        if ((st = rlc__snet_bind(&s->net[k], s->p, s->mlp[k], sp->layer_norm, 0.01))) goto fail;
        if ((st = rlc__snet_buf_alloc(&s->net[k], &s->cur[k]))) goto fail;
        if ((st = rlc__snet_buf_alloc(&s->net[k], &s->nxt[k]))) goto fail;
    }
    st = RLC_ERR_NOMEM;
    if (rlc__welford_init(&s->obs_stats, s->D) || rlc__welford_init(&s->ret_stats, 1)) goto fail;
    s->obs_cur = rlc_calloc((size_t)s->D, sizeof(float));
    s->obs_nxt = rlc_calloc((size_t)s->D, sizeof(float));
    s->obs_tmp = rlc_calloc((size_t)s->D, sizeof(double));
    if (!s->obs_cur || !s->obs_nxt || !s->obs_tmp) goto fail;
    return RLC_OK;
fail:
    rlc__stream_free(s);
    return st;
}

void rlc__stream_normalize(rlc__stream *s, const float *obs, float *out, int update) {
    if (!s->norm_obs) {
        if (out != obs) memcpy(out, obs, sizeof(float) * (size_t)s->D);
        return;
    }
    if (update) {
        for (int i = 0; i < s->D; i++)
            s->obs_tmp[i] = obs[i];
        rlc__welford_update(&s->obs_stats, s->obs_tmp);
    }
    for (int i = 0; i < s->D; i++)
        out[i] = (float)(((double)obs[i] - s->obs_stats.mean[i]) /
                         sqrt(rlc__welford_var(&s->obs_stats, i) + 1e-8));
}

double rlc__stream_scale_reward(rlc__stream *s, double r, int ended) {
    if (!s->scale_reward) return r;
    s->ret_trace = s->gamma * s->ret_trace + r;
    rlc__welford_update(&s->ret_stats, &s->ret_trace);
    if (ended) s->ret_trace = 0;
    return r / sqrt(rlc__welford_var(&s->ret_stats, 0) + 1e-8);
}

double rlc__stream_learn(rlc__stream *s, int k, const float *dout, double delta,
                         const float *x, int reset) {
    rlc__snet *n = &s->net[k];
    double l1 = rlc__snet_backward(n, &s->cur[k], dout, (float)(s->gamma * s->lambda));
    double step = s->optimizer == RLC_STREAM_OPT_OBGD
                      ? rlc_obgd_step_size(s->lr, s->kappa[k], delta, l1)
                      : s->lr;
    rlc__snet_update(n, &s->cur[k], (float)(step * delta), x);
    if (reset) rlc__snet_zero_trace(n);
    s->last_step[k] = step;
    return step;
}

rlc_status rlc__stream_write_state(rlc__stream *s, rlc_st_writer *w) {
    rlc_status st = rlc__welford_write(&s->obs_stats, w, "stream.obs");
    if (!st) st = rlc__welford_write(&s->ret_stats, w, "stream.return");
    return st;
}

rlc_status rlc__stream_read_state(rlc__stream *s, const rlc_st_file *f) {
    rlc_status st = rlc__welford_read(&s->obs_stats, f, "stream.obs");
    if (!st) st = rlc__welford_read(&s->ret_stats, f, "stream.return");
    return st;
}

/* ---- public helpers --------------------------------------------------------------------- */

extern const rlc__algo rlc__algo_stream_ac, rlc__algo_stream_q, rlc__algo_stream_td;

rlc_status rlc_stream_value(rlc_agent *a, const float *obs, double *value) {
    if (!a || !obs || !value) return rlc_error(RLC_ERR_INVALID, "rlc_stream_value: NULL argument");
    int k;
    if (a->algo == &rlc__algo_stream_ac)
        k = 1;
    else if (a->algo == &rlc__algo_stream_q || a->algo == &rlc__algo_stream_td)
        k = 0;
    else
        return rlc_error(RLC_ERR_INVALID, "rlc_stream_value: '%s' is not a stream-x agent",
                         a->algo->name);
    rlc__stream *s = a->impl;
    rlc__stream_normalize(s, obs, s->obs_nxt, 0);
    rlc__snet_forward(&s->net[k], &s->nxt[k], s->obs_nxt);
    const float *o = s->nxt[k].out;
    double v = o[0];
    for (int i = 1; i < s->net[k].size[s->net[k].nl]; i++)
        if (o[i] > v) v = o[i];
    *value = v;
    return RLC_OK;
}

double rlc_stream_reward_scale(rlc_agent *a) {
    if (!a || (a->algo != &rlc__algo_stream_ac && a->algo != &rlc__algo_stream_q &&
               a->algo != &rlc__algo_stream_td))
        return 1.0;
    rlc__stream *s = a->impl;
    return s->scale_reward ? sqrt(rlc__welford_var(&s->ret_stats, 0) + 1e-8) : 1.0;
}
