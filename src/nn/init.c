/* Weight and bias initialisers (PyTorch default, uniform, normal, Xavier, Kaiming, orthogonal
 * via Householder QR, stream-x sparse), seeded by rlc_rng and written through strides. */
#include "nn/nn_impl.h"

#include "core/graph_impl.h"

#include <math.h>
#include <string.h>

static const char *kind_name(rlc_init_kind k) {
    static const char *names[] = {"default",       "zeros",           "constant",
                                  "uniform",       "normal",          "xavier_uniform",
                                  "xavier_normal", "kaiming_uniform", "kaiming_normal",
                                  "orthogonal",    "sparse"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

rlc_status rlc__init_check(const rlc_init *init, int for_bias) {
    if (!init) return RLC_OK;
    if ((unsigned)init->kind > RLC_INIT_SPARSE)
        return rlc_error(RLC_ERR_INVALID, "init: unknown kind %d", (int)init->kind);
    if (for_bias && init->kind > RLC_INIT_NORMAL)
        return rlc_error(RLC_ERR_INVALID, "init: '%s' applies to weight matrices, not biases",
                         kind_name(init->kind));
    if (!isfinite(init->gain) || init->gain < 0)
        return rlc_error(RLC_ERR_RANGE, "init: gain %g must be finite and >= 0", init->gain);
    switch (init->kind) {
    case RLC_INIT_UNIFORM:
        if (!isfinite(init->lo) || !isfinite(init->hi) || init->lo > init->hi)
            return rlc_error(RLC_ERR_RANGE, "init: uniform bounds [%g, %g] are invalid", init->lo,
                             init->hi);
        break;
    case RLC_INIT_NORMAL:
        if (!isfinite(init->value) || !(init->std > 0) || !isfinite(init->std))
            return rlc_error(RLC_ERR_RANGE,
                             "init: normal needs a finite mean and std > 0 (got "
                             "%g, %g)",
                             init->value, init->std);
        break;
    case RLC_INIT_CONSTANT:
        if (!isfinite(init->value))
            return rlc_error(RLC_ERR_RANGE, "init: constant %g is not finite", init->value);
        break;
    case RLC_INIT_SPARSE:
        if (!(init->sparsity >= 0 && init->sparsity < 1))
            return rlc_error(RLC_ERR_RANGE, "init: sparsity %g outside [0, 1)", init->sparsity);
        break;
    default:
        break;
    }
    return RLC_OK;
}

size_t rlc__init_scratch(const rlc_init *init, int fan_out, int fan_in) {
    if (!init) return 0;
    if (init->kind == RLC_INIT_ORTHOGONAL) {
        size_t m = (size_t)(fan_out > fan_in ? fan_out : fan_in);
        size_t k = (size_t)(fan_out > fan_in ? fan_in : fan_out);
        return (2 * m * k + 2 * k) * sizeof(double);
    }
    if (init->kind == RLC_INIT_SPARSE) return (size_t)fan_in * sizeof(int64_t);
    return 0;
}

#define PUT(r, c, v)                                                                               \
    do {                                                                                           \
        int64_t at_ = (int64_t)(r)*rs + (int64_t)(c)*cs;                                           \
        if (dtype == RLC_F32)                                                                      \
            ((float *)data)[at_] = (float)(v);                                                     \
        else                                                                                       \
            ((double *)data)[at_] = (v);                                                           \
    } while (0)

/* Dot product of contiguous x and y with four interleaved partial sums (a fixed order, so
 * results are reproducible, and short dependency chains). */
static double dot4(const double *x, const double *y, int n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i] * y[i];
        s1 += x[i + 1] * y[i + 1];
        s2 += x[i + 2] * y[i + 2];
        s3 += x[i + 3] * y[i + 3];
    }
    for (; i < n; i++)
        s0 += x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}

/* Q of the QR decomposition (with R's diagonal made positive) of a tall m x k matrix A
 * (m >= k, column-major so that columns and reflection vectors are contiguous; overwritten),
 * by Householder reflections: A = H_0 ... H_{k-1} R. The result is the unique factor with
 * orthonormal columns and positive diag(R), the matrix PyTorch's orthogonal_ derives from the
 * same Gaussian draws. Q is m x k column-major; rd and beta hold k doubles. */
static void householder_q(double *A, int m, int k, double *Q, double *rd, double *beta) {
    for (int j = 0; j < k; j++) {
        double *v = A + (size_t)j * m + j; /* column j from row j: becomes the vector v */
        int len = m - j;
        double nrm = sqrt(dot4(v, v, len));
        double x0 = v[0];
        double alpha = x0 >= 0 ? -nrm : nrm;
        rd[j] = alpha;
        /* v = x - alpha e1; H_j = I - beta v v^T with beta = 2 / |v|^2 */
        double v0 = x0 - alpha;
        double vn2 = nrm * nrm - x0 * x0 + v0 * v0;
        v[0] = v0;
        beta[j] = vn2 > 0 ? 2.0 / vn2 : 0.0;
        for (int c = j + 1; c < k; c++) {
            double *col = A + (size_t)c * m + j;
            double s = beta[j] * dot4(v, col, len);
            for (int i = 0; i < len; i++)
                col[i] -= s * v[i];
        }
    }
    /* Q = H_0 ... H_{k-1} I[:, :k], applying the reflections from the last one; H_j only
     * touches rows >= j, and columns < j are still e_c there, so columns j..k-1 suffice. */
    memset(Q, 0, (size_t)m * k * sizeof *Q);
    for (int c = 0; c < k; c++)
        Q[(size_t)c * m + c] = 1.0;
    for (int j = k - 1; j >= 0; j--) {
        const double *v = A + (size_t)j * m + j;
        int len = m - j;
        for (int c = j; c < k; c++) {
            double *col = Q + (size_t)c * m + j;
            double s = beta[j] * dot4(v, col, len);
            for (int i = 0; i < len; i++)
                col[i] -= s * v[i];
        }
    }
    for (int c = 0; c < k; c++)
        if (rd[c] < 0)
            for (int i = 0; i < m; i++)
                Q[(size_t)c * m + i] = -Q[(size_t)c * m + i];
}

void rlc__init_matrix_strided(void *data, rlc_dtype dtype, int fan_out, int fan_in, int64_t rs,
                              int64_t cs, const rlc_init *init, rlc_rng *rng, double *scratch) {
    rlc_init_kind kind = init ? init->kind : RLC_INIT_DEFAULT;
    double gain = init ? init->gain : 0.0;
    int R = fan_out, C = fan_in;
    double fi = fan_in, fo = fan_out;
    double lo = 0, hi = 0, std = 0;
    int uniform = 0, normal = 0;
    switch (kind) {
    case RLC_INIT_DEFAULT:
        hi = 1.0 / sqrt(fi);
        lo = -hi;
        uniform = 1;
        break;
    case RLC_INIT_ZEROS:
    case RLC_INIT_CONSTANT: {
        double v = kind == RLC_INIT_ZEROS ? 0.0 : init->value;
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                PUT(r, c, v);
        return;
    }
    case RLC_INIT_UNIFORM:
        lo = init->lo;
        hi = init->hi;
        uniform = 1;
        break;
    case RLC_INIT_NORMAL:
        lo = init->value;
        std = init->std;
        normal = 1;
        break;
    case RLC_INIT_XAVIER_UNIFORM:
        hi = (gain > 0 ? gain : 1.0) * sqrt(6.0 / (fi + fo));
        lo = -hi;
        uniform = 1;
        break;
    case RLC_INIT_XAVIER_NORMAL:
        std = (gain > 0 ? gain : 1.0) * sqrt(2.0 / (fi + fo));
        normal = 1;
        break;
    case RLC_INIT_KAIMING_UNIFORM:
        hi = sqrt(3.0) * (gain > 0 ? gain : sqrt(2.0)) / sqrt(fi);
        lo = -hi;
        uniform = 1;
        break;
    case RLC_INIT_KAIMING_NORMAL:
        std = (gain > 0 ? gain : sqrt(2.0)) / sqrt(fi);
        normal = 1;
        break;
    case RLC_INIT_SPARSE: {
        double sp = init->sparsity > 0 ? init->sparsity : 0.9; /* stream-x default */
        double b = 1.0 / sqrt(fi);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                PUT(r, c, rlc_rng_uniform(rng, -b, b));
        /* ceil with a little slack so that 0.9 * 10 zeroes 9 weights, not 10 */
        int nz = (int)ceil(sp * fi - 1e-9);
        if (nz > C) nz = C;
        int64_t *perm = (int64_t *)(void *)scratch;
        for (int r = 0; r < R; r++) {
            rlc_rng_permutation(rng, C, perm);
            for (int z = 0; z < nz; z++)
                PUT(r, perm[z], 0.0);
        }
        return;
    }
    case RLC_INIT_ORTHOGONAL: {
        double g = gain > 0 ? gain : 1.0;
        int wide = R < C;
        int m = wide ? C : R, k = wide ? R : C;
        double *A = scratch, *Q = scratch + (size_t)m * k, *rd = Q + (size_t)m * k;
        double *beta = rd + k;
        /* Gaussian draws in the row-major order of the [R, C] matrix G; the tall matrix is G
         * (element (r, c) at A[c * m + r], column-major) or, when G is wide, its transpose
         * (element (c, r) at A[r * m + c]). */
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++) {
                double z = rlc_rng_normal(rng);
                if (wide)
                    A[(size_t)r * m + c] = z;
                else
                    A[(size_t)c * m + r] = z;
            }
        householder_q(A, m, k, Q, rd, beta);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                PUT(r, c, g * (wide ? Q[(size_t)r * m + c] : Q[(size_t)c * m + r]));
        return;
    }
    }
    if (uniform) {
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                PUT(r, c, rlc_rng_uniform(rng, lo, hi));
    } else if (normal) {
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                PUT(r, c, lo + std * rlc_rng_normal(rng));
    }
}

void rlc__init_bias(void *data, rlc_dtype dtype, int n, int fan_in, const rlc_init *init,
                    const rlc_init *weight_init, rlc_rng *rng) {
    rlc_init_kind kind = init ? init->kind : RLC_INIT_DEFAULT;
    const int64_t rs = 0, cs = 1; /* for PUT */
    if (kind == RLC_INIT_DEFAULT) {
        if (weight_init && weight_init->kind != RLC_INIT_DEFAULT) {
            for (int i = 0; i < n; i++)
                PUT(0, i, 0.0);
            return;
        }
        double b = fan_in > 0 ? 1.0 / sqrt((double)fan_in) : 0.0;
        for (int i = 0; i < n; i++)
            PUT(0, i, rlc_rng_uniform(rng, -b, b));
        return;
    }
    /* The remaining bias kinds do not look at fan_out: reuse the matrix code on one row. */
    rlc__init_matrix_strided(data, dtype, 1, n, rs, cs, init, rng, NULL);
}

rlc_status rlc_init_matrix(void *data, rlc_dtype dtype, int fan_out, int fan_in,
                           const rlc_init *init, rlc_rng *rng) {
    if (!data || !rng) return rlc_error(RLC_ERR_INVALID, "rlc_init_matrix: NULL argument");
    if (dtype != RLC_F32 && dtype != RLC_F64)
        return rlc_error(RLC_ERR_INVALID, "rlc_init_matrix: unknown dtype %d", (int)dtype);
    if (fan_out <= 0 || fan_in <= 0)
        return rlc_error(RLC_ERR_INVALID, "rlc_init_matrix: shape %d x %d", fan_out, fan_in);
    rlc_status st = rlc__init_check(init, 0);
    if (st) return st;
    size_t bytes = rlc__init_scratch(init, fan_out, fan_in);
    double *scratch = NULL;
    if (bytes && !(scratch = rlc_malloc(bytes))) return RLC_ERR_NOMEM;
    rlc__init_matrix_strided(data, dtype, fan_out, fan_in, fan_in, 1, init, rng, scratch);
    rlc_free(scratch);
    return RLC_OK;
}

rlc_status rlc_init_bias(void *data, rlc_dtype dtype, int n, int fan_in, const rlc_init *init,
                         const rlc_init *weight_init, rlc_rng *rng) {
    if (!data || !rng) return rlc_error(RLC_ERR_INVALID, "rlc_init_bias: NULL argument");
    if (dtype != RLC_F32 && dtype != RLC_F64)
        return rlc_error(RLC_ERR_INVALID, "rlc_init_bias: unknown dtype %d", (int)dtype);
    if (n <= 0 || fan_in <= 0)
        return rlc_error(RLC_ERR_INVALID, "rlc_init_bias: n %d, fan_in %d", n, fan_in);
    rlc_status st = rlc__init_check(init, 1);
    if (st) return st;
    rlc__init_bias(data, dtype, n, fan_in, init, weight_init, rng);
    return RLC_OK;
}

rlc_status rlc_params_init_entry(rlc_params *p, int index, const rlc_init *init, rlc_rng *rng) {
    if (!p || !rng) return rlc_error(RLC_ERR_INVALID, "rlc_params_init_entry: NULL argument");
    if (index < 0 || index >= p->n)
        return rlc_error(RLC_ERR_INVALID, "rlc_params_init_entry: index %d outside 0..%d", index,
                         p->n - 1);
    const rlc_param_entry *e = &p->entries[index];
    void *at = (char *)p->data + (size_t)e->offset * rlc__dtype_size(p->dtype);
    if (e->ndim == 1) return rlc_init_bias(at, p->dtype, e->shape[0], e->shape[0], init, NULL, rng);
    int64_t fan_in = e->size / e->shape[0];
    if (fan_in > INT32_MAX) return rlc_error(RLC_ERR_RANGE, "rlc_params_init_entry: too large");
    return rlc_init_matrix(at, p->dtype, e->shape[0], (int)fan_in, init, rng);
}
