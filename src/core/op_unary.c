/* Elementwise unary ops (relu, tanh, sigmoid, exp, log, clamp, ...) and the scalar ops
 * (x + s, x * s, s - x, s / x, x ** p, -x). One tight loop per op and dtype, no per-element
 * dispatch; backward passes reuse the saved output where the derivative is cheaper from it. */
#include "core/graph_impl.h"

#include <math.h>
#include "core/fastmath.h"
#include <tgmath.h> /* exp/log/tanh/... resolve to expf/logf/tanhf for float operands */

/* GCC at -O2 (its "very-cheap" cost model) vectorises only loops whose trip count is a known
 * multiple of the vector width, so elementwise loops run in blocks of 8 and then a scalar tail.
 * The body sees the element index as `i`. */
#define FOR_BLOCKED(n, ...)                                                                    \
    {                                                                                          \
        int64_t i0_ = 0;                                                                       \
        for (; i0_ + 8 <= (n); i0_ += 8)                                                       \
            for (int64_t k_ = 0; k_ < 8; k_++) {                                               \
                const int64_t i = i0_ + k_;                                                    \
                __VA_ARGS__                                                                    \
            }                                                                                  \
        for (int64_t i = i0_; i < (n); i++) {                                                  \
            __VA_ARGS__                                                                        \
        }                                                                                      \
    }

/* Each op is written once as two statement bodies in the element type E (float or double;
 * constants must be cast to E to stay in single precision):
 *   FWD sets y from x;  BWD sets d (the contribution to dx) from x, y and g = dy.
 * a and b are the op's scalar parameters n->f[0], n->f[1] converted to E; sp is the node's
 * per-element scratch (n->aux), allocated only by ops that ask for it. The kernels take
 * restrict pointer parameters (GCC ignores restrict on locals loaded from the node), and every
 * operand is loaded unconditionally so that selects (relu, clamp) if-convert and vectorise. */
#define UN_KERNELS(name, T, sfx, FWD, BWD)                                                     \
    static void name##_fwd_##sfx(const T *restrict xp, T *restrict yp, T *restrict sp,         \
                                 int64_t size, T a, T b) {                                     \
        typedef T E;                                                                           \
        (void)a;                                                                               \
        (void)b;                                                                               \
        (void)sp;                                                                              \
        FOR_BLOCKED(size, {                                                                    \
            const E x = xp[i];                                                                 \
            E y;                                                                               \
            FWD;                                                                               \
            yp[i] = y;                                                                         \
        })                                                                                     \
    }                                                                                          \
    static void name##_bwd_##sfx(const T *restrict xp, const T *restrict yp,                   \
                                 const T *restrict gp, T *restrict dp, const T *restrict sp,   \
                                 int64_t size, T a, T b) {                                     \
        typedef T E;                                                                           \
        (void)a;                                                                               \
        (void)b;                                                                               \
        (void)sp;                                                                              \
        FOR_BLOCKED(size, {                                                                    \
            const E x = xp[i], y = yp[i], g = gp[i];                                           \
            E d;                                                                               \
            (void)x;                                                                           \
            (void)y;                                                                           \
            BWD;                                                                               \
            dp[i] += d;                                                                        \
        })                                                                                     \
    }

#define UNARY(name, FWD, BWD)                                                                  \
    UN_KERNELS(name, float, f32, FWD, BWD)                                                     \
    UN_KERNELS(name, double, f64, FWD, BWD)                                                    \
    static void name##_forward(rlc_node *n) {                                                  \
        rlc_tensor *x = n->in[0], *y = n->out;                                                 \
        if (y->dtype == RLC_F32)                                                               \
            name##_fwd_f32(x->data, y->data, n->aux, y->size, (float)n->f[0], (float)n->f[1]); \
        else                                                                                   \
            name##_fwd_f64(x->data, y->data, n->aux, y->size, n->f[0], n->f[1]);               \
    }                                                                                          \
    static void name##_backward(rlc_node *n) {                                                 \
        rlc_tensor *x = n->in[0], *y = n->out;                                                 \
        if (!x->grad) return;                                                                  \
        if (y->dtype == RLC_F32)                                                               \
            name##_bwd_f32(x->data, y->data, y->grad, x->grad, n->aux, y->size, (float)n->f[0], \
                           (float)n->f[1]);                                                    \
        else                                                                                   \
            name##_bwd_f64(x->data, y->data, y->grad, x->grad, n->aux, y->size, n->f[0],       \
                           n->f[1]);                                                           \
    }                                                                                          \
    static const rlc_op_def name##_def = {#name, name##_forward, name##_backward};

/* Scalar ops: a = s (or p). */
UNARY(add_scalar, y = x + a, d = g)
UNARY(mul_scalar, y = x * a, d = g * a)
UNARY(rsub_scalar, y = a - x, d = -g)
UNARY(rdiv_scalar, y = a / x, d = -g * y / x)
/* p = 0 has derivative 0 everywhere (avoid 0 * pow(0, -1) = nan at x = 0). */
UNARY(pow_scalar, y = pow(x, a), d = a == 0 ? 0 : g * a * pow(x, a - 1))
UNARY(neg, y = -x, d = -g)

/* Activations. relu propagates NaN (x < 0 is false for NaN); its gradient follows y's sign. */
UNARY(relu, y = x < 0 ? 0 : x, d = y > 0 ? g : 0)
/* leaky_relu as max(x, 0) + a * min(x, 0): with -ftrapping-math GCC keeps an FP multiply
 * inside a branch (no if-conversion, no vectorising), so both parts are computed; adding the
 * exact 0 gives the values of the branchy form. */
UNARY(leaky_relu,
      y = (x > 0 ? x : 0) + a * (x > 0 ? 0 : x),
      d = (x > 0 ? g : 0) + a * (x > 0 ? 0 : g))
/* elu: y = a (e^x - 1) for x <= 0, so dy/dx = a e^x = y + a there. */
UNARY(elu, y = x > 0 ? x : a * expm1(x), d = x > 0 ? g : g * (y + a))
/* gelu (tanh form): y = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3). tanh(u) is
 * kept in the scratch (when the graph has gradients) so backward makes no libm call. */
#define GELU_K ((E)0.7978845608028654)
#define GELU_C ((E)0.044715)
UNARY(gelu,
      E t = RLC__TANH(GELU_K * (x + GELU_C * x * x * x));
      if (sp) sp[i] = t;
      y = (E)0.5 * x * (1 + t),
      E t = sp[i];
      E du = GELU_K * (1 + 3 * GELU_C * x * x);
      d = g * ((E)0.5 * (1 + t) + (E)0.5 * x * (1 - t * t) * du))
UNARY(tanh, y = RLC__TANH(x), d = g * (1 - y * y))
/* sigmoid via e = exp(-|x|) <= 1, so neither branch overflows: 1/(1+e) or e/(1+e). */
UNARY(sigmoid,
      E e = exp(-fabs(x));
      E r = 1 / (1 + e);
      y = x >= 0 ? r : e * r,
      d = g * y * (1 - y))
/* softplus = log(1 + e^x) = log1p(e^-|x|) + max(x, 0). Its derivative is sigmoid(x),
 * recomputed as above (one exp: cheaper than expm1f, which 1 - e^-y from the output needs). */
UNARY(softplus,
      y = log1p(exp(-fabs(x))) + (x > 0 ? x : 0),
      E e = exp(-fabs(x));
      E r = 1 / (1 + e);
      d = g * (x >= 0 ? r : e * r))
UNARY(exp, y = exp(x), d = g * y)
UNARY(log, y = log(x), d = g / x)
UNARY(sqrt, y = sqrt(x), d = g / (2 * y))
UNARY(square, y = x * x, d = g * (x + x))
/* abs: zero gradient at x = 0. */
UNARY(abs, y = fabs(x), d = x > 0 ? g : x < 0 ? -g : 0)
/* clamp(x, a, b); NaN propagates; gradient only strictly inside (a, b). */
UNARY(clamp, y = x < a ? a : x > b ? b : x, d = a < x && x < b ? g : 0)

/* Records x -> def(x). scratch: give the node a per-element scratch buffer (n->aux) for the
 * backward pass, allocated only when the output has a gradient. */
static rlc_tensor *unary_s(rlc_graph *g, const rlc_op_def *def, rlc_tensor *x, double f0,
                           double f1, int scratch) {
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, def->name, in, 1)) return NULL;
    rlc_node *n = rlc__node_begin(g, def, in, 1, x->ndim, x->shape);
    if (!n) return NULL;
    n->f[0] = f0;
    n->f[1] = f1;
    if (scratch && n->out->grad) {
        n->aux = rlc__arena_alloc(g, (size_t)n->out->size * rlc__dtype_size(n->out->dtype));
        if (!n->aux) return NULL;
    }
    return rlc__node_end(n);
}

static rlc_tensor *unary(rlc_graph *g, const rlc_op_def *def, rlc_tensor *x, double f0,
                         double f1) {
    return unary_s(g, def, x, f0, f1, 0);
}

rlc_tensor *rlc_add_scalar(rlc_graph *g, rlc_tensor *x, double s) {
    return unary(g, &add_scalar_def, x, s, 0);
}
rlc_tensor *rlc_mul_scalar(rlc_graph *g, rlc_tensor *x, double s) {
    return unary(g, &mul_scalar_def, x, s, 0);
}
rlc_tensor *rlc_rsub_scalar(rlc_graph *g, rlc_tensor *x, double s) {
    return unary(g, &rsub_scalar_def, x, s, 0);
}
rlc_tensor *rlc_rdiv_scalar(rlc_graph *g, rlc_tensor *x, double s) {
    return unary(g, &rdiv_scalar_def, x, s, 0);
}
rlc_tensor *rlc_pow_scalar(rlc_graph *g, rlc_tensor *x, double p) {
    /* The common exponents skip the libm pow call (errors still name pow_scalar). */
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, "pow_scalar", in, 1)) return NULL;
    if (p == 2) return unary(g, &square_def, x, 0, 0);
    if (p == 1) return unary(g, &mul_scalar_def, x, 1, 0);
    if (p == 0.5) return unary(g, &sqrt_def, x, 0, 0);
    return unary(g, &pow_scalar_def, x, p, 0);
}
rlc_tensor *rlc_neg(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &neg_def, x, 0, 0);
}
rlc_tensor *rlc_relu(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &relu_def, x, 0, 0);
}
rlc_tensor *rlc_leaky_relu(rlc_graph *g, rlc_tensor *x, double slope) {
    return unary(g, &leaky_relu_def, x, slope, 0);
}
rlc_tensor *rlc_elu(rlc_graph *g, rlc_tensor *x, double alpha) {
    return unary(g, &elu_def, x, alpha, 0);
}
rlc_tensor *rlc_gelu(rlc_graph *g, rlc_tensor *x) {
    return unary_s(g, &gelu_def, x, 0, 0, 1);
}
rlc_tensor *rlc_tanh(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &tanh_def, x, 0, 0);
}
rlc_tensor *rlc_sigmoid(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &sigmoid_def, x, 0, 0);
}
rlc_tensor *rlc_softplus(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &softplus_def, x, 0, 0);
}
rlc_tensor *rlc_exp(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &exp_def, x, 0, 0);
}
rlc_tensor *rlc_log(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &log_def, x, 0, 0);
}
rlc_tensor *rlc_sqrt(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &sqrt_def, x, 0, 0);
}
rlc_tensor *rlc_square(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &square_def, x, 0, 0);
}
rlc_tensor *rlc_abs(rlc_graph *g, rlc_tensor *x) {
    return unary(g, &abs_def, x, 0, 0);
}
rlc_tensor *rlc_clamp(rlc_graph *g, rlc_tensor *x, double lo, double hi) {
    if (g && g->status == RLC_OK && !(lo <= hi)) {
        char s[64];
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "clamp: need lo <= hi, got %g and %g (input %s)", lo, hi,
                               x ? rlc_shape_str(x, s, sizeof s) : "NULL");
    }
    return unary(g, &clamp_def, x, lo, hi);
}
