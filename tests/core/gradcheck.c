/* Implementation of the finite-difference gradient checker (see gradcheck.h). */
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/gradcheck.h"

#define MAX_IN 6
#define MAX_PROBE 48 /* elements probed per input (spread over the tensor) */

static uint64_t g_state = 0x9e3779b97f4a7c15ull;
static double unif(void) {
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return (double)(g_state >> 11) * 0x1.0p-53;
}

gc_input gc_in(double lo, double hi, int ndim, int d0, int d1, int d2, int d3) {
    gc_input in = {0};
    in.ndim = ndim;
    in.shape[0] = d0;
    in.shape[1] = d1;
    in.shape[2] = d2;
    in.shape[3] = d3;
    in.lo = lo;
    in.hi = hi;
    return in;
}

static double loss_of(const rlc_tensor *out, const double *w) {
    double s = 0;
    for (int64_t i = 0; i < out->size; i++) s += rlc_tensor_get(out, i) * w[i];
    return s;
}

void gradcheck(const char *name, gc_build_fn build, void *ctx, const gc_input *ins, int nin,
               double tol) {
    assert_true(nin <= MAX_IN);
    g_state = 0x9e3779b97f4a7c15ull;
    rlc_graph *g64 = rlc_graph_create(RLC_F64, 0), *g32 = rlc_graph_create(RLC_F32, 0);
    assert_non_null(g64);
    assert_non_null(g32);
    rlc_tensor *x64[MAX_IN], *x32[MAX_IN];
    for (int k = 0; k < nin; k++) {
        int grad = !ins[k].integer && !ins[k].no_grad;
        x64[k] = grad ? rlc_input_grad(g64, ins[k].ndim, ins[k].shape)
                      : rlc_input(g64, ins[k].ndim, ins[k].shape);
        x32[k] = grad ? rlc_input_grad(g32, ins[k].ndim, ins[k].shape)
                      : rlc_input(g32, ins[k].ndim, ins[k].shape);
        assert_non_null(x64[k]);
        for (int64_t i = 0; i < x64[k]->size; i++) {
            double v = ins[k].integer ? floor(unif() * ins[k].integer)
                                      : ins[k].lo + (ins[k].hi - ins[k].lo) * unif();
            v = (double)(float)v; /* representable in both dtypes */
            rlc_tensor_set(x64[k], i, v);
            rlc_tensor_set(x32[k], i, v);
        }
    }
    rlc_tensor *y64 = build(g64, x64, ctx);
    rlc_tensor *y32 = build(g32, x32, ctx);
    if (!y64 || !y32) fail_msg("%s: build failed: %s", name, rlc_graph_error(y64 ? g32 : g64));
    assert_int_equal(rlc_graph_status(g64), RLC_OK);
    double *w = malloc((size_t)y64->size * sizeof *w);
    float *w32 = malloc((size_t)y64->size * sizeof *w32);
    for (int64_t i = 0; i < y64->size; i++) {
        w[i] = (double)(float)(unif() * 2 - 1);
        w32[i] = (float)w[i];
    }
    assert_int_equal(rlc_graph_forward(g64), RLC_OK);
    int any_grad = y64->grad != NULL;
    if (any_grad) assert_int_equal(rlc_graph_backward_seed(g64, y64, w), RLC_OK);

    /* 1. central differences in float64 */
    const double eps = 1e-6;
    for (int k = 0; k < nin && any_grad; k++) {
        rlc_tensor *x = x64[k];
        if (!x->grad) continue;
        int64_t step = x->size > MAX_PROBE ? x->size / MAX_PROBE : 1;
        for (int64_t i = 0; i < x->size; i += step) {
            double v = rlc_tensor_get(x, i);
            rlc_tensor_set(x, i, v + eps);
            rlc_graph_forward(g64);
            double lp = loss_of(y64, w);
            rlc_tensor_set(x, i, v - eps);
            rlc_graph_forward(g64);
            double lm = loss_of(y64, w);
            rlc_tensor_set(x, i, v);
            double num = (lp - lm) / (2 * eps), ana = rlc_tensor_grad_get(x, i);
            if (fabs(num - ana) > tol * (1 + fabs(num) + fabs(ana)) + 1e-7)
                fail_msg("%s: d/d input%d[%lld]: analytic %.10g, numeric %.10g", name, k,
                         (long long)i, ana, num);
        }
    }
    /* 2. rerun gives identical results (no state leaks between runs) */
    rlc_graph_forward(g64);
    double *y_first = malloc((size_t)y64->size * sizeof *y_first);
    for (int64_t i = 0; i < y64->size; i++) y_first[i] = rlc_tensor_get(y64, i);
    rlc_graph_forward(g64);
    for (int64_t i = 0; i < y64->size; i++)
        if (rlc_tensor_get(y64, i) != y_first[i]) fail_msg("%s: forward rerun differs", name);
    if (any_grad) {
        rlc_graph_backward_seed(g64, y64, w);
        for (int k = 0; k < nin; k++) {
            if (!x64[k]->grad) continue;
            double *first = malloc((size_t)x64[k]->size * sizeof *first);
            for (int64_t i = 0; i < x64[k]->size; i++) first[i] = rlc_tensor_grad_get(x64[k], i);
            rlc_graph_backward_seed(g64, y64, w);
            for (int64_t i = 0; i < x64[k]->size; i++)
                if (rlc_tensor_grad_get(x64[k], i) != first[i])
                    fail_msg("%s: backward rerun differs (gradients not reset?)", name);
            free(first);
        }
    }
    /* 3. float32 agrees with float64 */
    assert_int_equal(rlc_graph_forward(g32), RLC_OK);
    for (int64_t i = 0; i < y64->size; i++) {
        double a = rlc_tensor_get(y32, i), b = rlc_tensor_get(y64, i);
        if (fabs(a - b) > 1e-4 * (1 + fabs(b)))
            fail_msg("%s: float32 output[%lld] %.8g vs float64 %.8g", name, (long long)i, a, b);
    }
    if (any_grad) {
        assert_non_null(y32->grad);
        assert_int_equal(rlc_graph_backward_seed(g32, y32, w32), RLC_OK);
        for (int k = 0; k < nin; k++) {
            if (!x64[k]->grad) continue;
            for (int64_t i = 0; i < x64[k]->size; i++) {
                double a = rlc_tensor_grad_get(x32[k], i), b = rlc_tensor_grad_get(x64[k], i);
                if (fabs(a - b) > 2e-3 * (1 + fabs(b)))
                    fail_msg("%s: float32 grad input%d[%lld] %.8g vs float64 %.8g", name, k,
                             (long long)i, a, b);
            }
        }
    }
    free(y_first);
    free(w);
    free(w32);
    rlc_graph_destroy(g64);
    rlc_graph_destroy(g32);
}
