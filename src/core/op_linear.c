/* The fused dense layer y = act(x W^T + b) (x [R, in], W [out, in], b [out] or none, act none,
 * relu or tanh): one GEMM and one epilogue pass forward; backward forms dz = dy act'(y) once
 * and issues the bias column sum and the two GEMMs. It gives the same bits as the unfused
 * matmul -> add -> activation chain (same products, same bias reduction order, same
 * activation formulas) with a third of the nodes, passes and gradient buffers. */
#include "core/fastmath.h"
#include "core/gemm.h"
#include "core/graph_impl.h"

#include <math.h>
#include <tgmath.h> /* tanh resolves to tanhf for float operands */

/* i[0]: act, i[1]: R, i[2]: in, i[3]: out. in[2] is the bias when nin == 3. aux: dz [R, out]
 * (only with an activation and a gradient). */

/* The inner loops run over j in blocks of 8 so that GCC's -O2 cost model vectorises them;
 * operands are loaded unconditionally so that the relu selects if-convert (a branch on the
 * sign of y mispredicts half the time). */
#define FOR_J(nout, ...)                                                                           \
    {                                                                                              \
        int j0_ = 0;                                                                               \
        for (; j0_ + 8 <= (nout); j0_ += 8)                                                        \
            for (int k_ = 0; k_ < 8; k_++) {                                                       \
                const int j = j0_ + k_;                                                            \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        for (int j = j0_; j < (nout); j++) {                                                       \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }

/* tanh over the whole output: float through the vectorised rlc__tanhf (fastmath.c), double
 * through libm */
static void tanh_all_f32(float *y, int64_t n) {
    rlc__tanhf_inplace(y, n);
}
static void tanh_all_f64(double *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = tanh(y[i]);
}

#define EPILOGUE(T, SFX)                                                                           \
    static void epilogue_##SFX(T *restrict y, const T *restrict b, int R, int nout, int act) {    \
        for (int r = 0; r < R; r++) {                                                              \
            T *restrict yr = y + (size_t)r * nout;                                                 \
            if (b) FOR_J(nout, yr[j] = yr[j] + b[j];)                                              \
            if (act == RLC__LIN_RELU)                                                              \
                FOR_J(nout, const T v = yr[j]; yr[j] = v < 0 ? 0 : v;)                             \
        }                                                                                          \
        if (act == RLC__LIN_TANH) tanh_all_##SFX(y, (int64_t)R * nout);                            \
    }                                                                                              \
    static void dz_##SFX(const T *restrict y, const T *restrict g, T *restrict dz, int64_t n,      \
                         int act) {                                                                \
        if (act == RLC__LIN_RELU)                                                                  \
            FOR_J(n, const T v = y[j], gj = g[j]; dz[j] = v > 0 ? gj : 0;)                                  \
        else                                                                                       \
            FOR_J(n, const T v = y[j]; dz[j] = g[j] * (1 - v * v);)                                \
    }                                                                                              \
    /* dz and the bias column sum in one pass (db gets the same additions in the same order). */ \
    static void dz_colsum_##SFX(const T *restrict y, const T *restrict g, T *restrict dz,          \
                                T *restrict db, int R, int nout, int act) {                        \
        for (int r = 0; r < R; r++) {                                                              \
            const size_t o = (size_t)r * nout;                                                     \
            if (act == RLC__LIN_RELU)                                                              \
                FOR_J(nout, const T v = y[o + j], gj = g[o + j]; const T d = v > 0 ? gj : 0;       \
                      dz[o + j] = d; db[j] += d;)                                                  \
            else                                                                                   \
                FOR_J(nout, const T v = y[o + j]; const T d = g[o + j] * (1 - v * v);              \
                      dz[o + j] = d; db[j] += d;)                                                  \
        }                                                                                          \
    }                                                                                              \
    static void colsum_##SFX(const T *restrict dz, T *restrict db, int R, int nout) {              \
        for (int r = 0; r < R; r++) {                                                              \
            const T *restrict d = dz + (size_t)r * nout;                                           \
            FOR_J(nout, db[j] += d[j];)                                                            \
        }                                                                                          \
    }

EPILOGUE(float, f32)
EPILOGUE(double, f64)

static void lin_forward(rlc_node *n) {
    const int act = n->i[0], R = n->i[1], in = n->i[2], out = n->i[3];
    const rlc_tensor *x = n->in[0], *w = n->in[1], *b = n->nin == 3 ? n->in[2] : NULL;
    if (n->out->dtype == RLC_F32) {
        if (act != RLC__LIN_TANH && rlc__sgemm_linear_fused(R, out, in, x->data, w->data,
                                                            b ? b->data : NULL,
                                                            act == RLC__LIN_RELU, n->out->data))
            return; /* bias and relu applied in the GEMM's tile stores */
        rlc__sgemm(0, 1, R, out, in, 1.0f, x->data, in, w->data, in, 0.0f, n->out->data, out);
        epilogue_f32(n->out->data, b ? b->data : NULL, R, out, act);
    } else {
        rlc__dgemm(0, 1, R, out, in, 1.0, x->data, in, w->data, in, 0.0, n->out->data, out);
        epilogue_f64(n->out->data, b ? b->data : NULL, R, out, act);
    }
}

static void lin_backward(rlc_node *n) {
    const int act = n->i[0], R = n->i[1], in = n->i[2], out = n->i[3];
    const rlc_tensor *x = n->in[0], *w = n->in[1], *b = n->nin == 3 ? n->in[2] : NULL;
    const rlc_tensor *y = n->out;
    const int64_t size = (int64_t)R * out;
    if (y->dtype == RLC_F32) {
        const float *dz = y->grad;
        if (act != RLC__LIN_NONE && b && b->grad) {
            dz_colsum_f32(y->data, y->grad, n->aux, b->grad, R, out, act);
            dz = n->aux;
        } else {
            if (act != RLC__LIN_NONE) {
                dz_f32(y->data, y->grad, n->aux, size, act);
                dz = n->aux;
            }
            if (b && b->grad) colsum_f32(dz, b->grad, R, out);
        }
        if (x->grad) rlc__sgemm(0, 0, R, in, out, 1.0f, dz, out, w->data, in, 1.0f, x->grad, in);
        if (w->grad) rlc__sgemm(1, 0, out, in, R, 1.0f, dz, out, x->data, in, 1.0f, w->grad, in);
    } else {
        const double *dz = y->grad;
        if (act != RLC__LIN_NONE && b && b->grad) {
            dz_colsum_f64(y->data, y->grad, n->aux, b->grad, R, out, act);
            dz = n->aux;
        } else {
            if (act != RLC__LIN_NONE) {
                dz_f64(y->data, y->grad, n->aux, size, act);
                dz = n->aux;
            }
            if (b && b->grad) colsum_f64(dz, b->grad, R, out);
        }
        if (x->grad) rlc__dgemm(0, 0, R, in, out, 1.0, dz, out, w->data, in, 1.0, x->grad, in);
        if (w->grad) rlc__dgemm(1, 0, out, in, R, 1.0, dz, out, x->data, in, 1.0, w->grad, in);
    }
}

static const rlc_op_def LINEAR = {"linear", lin_forward, lin_backward};

rlc_tensor *rlc__linear_act(rlc_graph *g, rlc_tensor *x, rlc_tensor *w, rlc_tensor *b, int act) {
    rlc_tensor *in[3] = {x, w, b};
    const int nin = b ? 3 : 2;
    if (!rlc__check_inputs(g, "linear", in, nin)) return NULL;
    char sx[64], sw[64], sb[64];
    if (act < RLC__LIN_NONE || act > RLC__LIN_TANH)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "linear: unknown activation code %d", act);
    if (x->ndim != 2 || w->ndim != 2 || x->shape[1] != w->shape[1])
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "linear: input %s and weight %s do not match ([R, in] and [out, in])",
                               rlc_shape_str(x, sx, sizeof sx), rlc_shape_str(w, sw, sizeof sw));
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
        return rlc__graph_fail(g, RLC_ERR_INVALID, "linear: bias %s does not match weight %s",
                               rlc_shape_str(b, sb, sizeof sb), rlc_shape_str(w, sw, sizeof sw));
    const int R = x->shape[0], nin_f = x->shape[1], nout = w->shape[0];
    rlc_node *n = rlc__node_begin(g, &LINEAR, in, nin, 2, (int[]){R, nout});
    if (!n) return NULL;
    n->i[0] = act;
    n->i[1] = R;
    n->i[2] = nin_f;
    n->i[3] = nout;
    if (act != RLC__LIN_NONE && n->out->grad) {
        n->aux = rlc__arena_alloc(g, (size_t)R * nout * rlc__dtype_size(g->dtype) + 1);
        if (!n->aux) return NULL;
    }
    return rlc__node_end(n);
}
