/* Running per-feature mean and variance (parallel merge of batch statistics, as
 * Stable-Baselines3's RunningMeanStd) and clipped normalisation with it. */
#include "nn/nn_impl.h"

#include "rlc/safetensors.h"

#include <math.h>
#include <string.h>

struct rlc_normalizer {
    int dim;
    double count, count_eps, clip, eps;
    double *mean, *var; /* dim each */
    double *bm, *bv;    /* batch statistics scratch, dim each */
};

rlc_normalizer *rlc_normalizer_create(int dim, double count_eps, double clip, double eps) {
    if (dim < 1) {
        rlc_error(RLC_ERR_INVALID, "rlc_normalizer_create: dim %d", dim);
        return NULL;
    }
    if (!(count_eps >= 0) || !isfinite(count_eps) || !(clip > 0) || !(eps >= 0) || !isfinite(eps)) {
        rlc_error(RLC_ERR_RANGE,
                  "rlc_normalizer_create: count_eps %g >= 0, clip %g > 0 and eps "
                  "%g >= 0 required",
                  count_eps, clip, eps);
        return NULL;
    }
    rlc_normalizer *n = rlc_calloc(1, sizeof *n);
    if (!n) return NULL;
    n->mean = rlc_malloc(4 * (size_t)dim * sizeof(double));
    if (!n->mean) {
        rlc_free(n);
        return NULL;
    }
    n->var = n->mean + dim;
    n->bm = n->var + dim;
    n->bv = n->bm + dim;
    n->dim = dim;
    n->count_eps = count_eps;
    n->clip = clip;
    n->eps = eps;
    rlc_normalizer_reset(n);
    return n;
}

void rlc_normalizer_destroy(rlc_normalizer *n) {
    if (!n) return;
    rlc_free(n->mean);
    rlc_free(n);
}

void rlc_normalizer_reset(rlc_normalizer *n) {
    for (int j = 0; j < n->dim; j++) {
        n->mean[j] = 0.0;
        n->var[j] = 1.0;
    }
    n->count = n->count_eps;
}

/* Batch mean and population variance (two passes, in double) into bm/bv, then the merge:
 * delta = bm - mean, tot = count + b, mean += delta b / tot,
 * var = (var count + bv b + delta^2 count b / tot) / tot. */
#define UPDATE(T)                                                                                  \
    {                                                                                              \
        const T *xs = x;                                                                           \
        for (int64_t i = 0; i < batch * d; i++)                                                    \
            if (!isfinite((double)xs[i]))                                                          \
                return rlc_error(RLC_ERR_RANGE,                                                    \
                                 "normalizer update: non-finite value at "                         \
                                 "row %lld, column %lld",                                          \
                                 (long long)(i / d), (long long)(i % d));                          \
        for (int64_t j = 0; j < d; j++)                                                            \
            n->bm[j] = n->bv[j] = 0.0;                                                             \
        for (int64_t r = 0; r < batch; r++)                                                        \
            for (int64_t j = 0; j < d; j++)                                                        \
                n->bm[j] += (double)xs[r * d + j];                                                 \
        for (int64_t j = 0; j < d; j++)                                                            \
            n->bm[j] /= (double)batch;                                                             \
        for (int64_t r = 0; r < batch; r++)                                                        \
            for (int64_t j = 0; j < d; j++) {                                                      \
                double dv = (double)xs[r * d + j] - n->bm[j];                                      \
                n->bv[j] += dv * dv;                                                               \
            }                                                                                      \
        for (int64_t j = 0; j < d; j++)                                                            \
            n->bv[j] /= (double)batch;                                                             \
    }

static void merge(rlc_normalizer *n, int64_t batch) {
    double b = (double)batch, tot = n->count + b;
    for (int j = 0; j < n->dim; j++) {
        double delta = n->bm[j] - n->mean[j];
        double m2 = n->var[j] * n->count + n->bv[j] * b + delta * delta * n->count * b / tot;
        n->mean[j] += delta * b / tot;
        n->var[j] = m2 / tot;
    }
    n->count = tot;
}

rlc_status rlc_normalizer_update(rlc_normalizer *n, const float *x, int64_t batch) {
    if (!n || (!x && batch > 0))
        return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_update: NULL argument");
    if (batch <= 0) return RLC_OK;
    int64_t d = n->dim;
    UPDATE(float);
    merge(n, batch);
    return RLC_OK;
}

rlc_status rlc_normalizer_update_f64(rlc_normalizer *n, const double *x, int64_t batch) {
    if (!n || (!x && batch > 0))
        return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_update: NULL argument");
    if (batch <= 0) return RLC_OK;
    int64_t d = n->dim;
    UPDATE(double);
    merge(n, batch);
    return RLC_OK;
}

#define NORMALIZE(T)                                                                               \
    {                                                                                              \
        int d = n->dim;                                                                            \
        for (int64_t r = 0; r < batch; r++)                                                        \
            for (int j = 0; j < d; j++) {                                                          \
                double v = ((double)x[r * d + j] - n->mean[j]) / sqrt(n->var[j] + n->eps);         \
                v = v < -n->clip ? -n->clip : v > n->clip ? n->clip : v;                           \
                out[r * d + j] = (T)v;                                                             \
            }                                                                                      \
    }

void rlc_normalizer_normalize(const rlc_normalizer *n, const float *x, float *out, int64_t batch) {
    NORMALIZE(float);
}

void rlc_normalizer_normalize_f64(const rlc_normalizer *n, const double *x, double *out,
                                  int64_t batch) {
    NORMALIZE(double);
}

void rlc_normalizer_unnormalize(const rlc_normalizer *n, const float *x, float *out,
                                int64_t batch) {
    int d = n->dim;
    for (int64_t r = 0; r < batch; r++)
        for (int j = 0; j < d; j++)
            out[r * d + j] = (float)((double)x[r * d + j] * sqrt(n->var[j] + n->eps) + n->mean[j]);
}

int rlc_normalizer_dim(const rlc_normalizer *n) {
    return n->dim;
}

const double *rlc_normalizer_mean(const rlc_normalizer *n) {
    return n->mean;
}

const double *rlc_normalizer_var(const rlc_normalizer *n) {
    return n->var;
}

void rlc__normalizer_set(rlc_normalizer *n, double count, const double *mean,
                         const double *var) {
    n->count = count;
    memcpy(n->mean, mean, sizeof(double) * (size_t)n->dim);
    memcpy(n->var, var, sizeof(double) * (size_t)n->dim);
}

double rlc_normalizer_count(const rlc_normalizer *n) {
    return n->count;
}

rlc_status rlc_normalizer_copy(rlc_normalizer *dst, const rlc_normalizer *src) {
    if (!dst || !src) return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_copy: NULL argument");
    if (dst->dim != src->dim)
        return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_copy: dims %d and %d differ", dst->dim,
                         src->dim);
    memcpy(dst->mean, src->mean, (size_t)src->dim * sizeof(double));
    memcpy(dst->var, src->var, (size_t)src->dim * sizeof(double));
    dst->count = src->count;
    return RLC_OK;
}

/* ---- checkpoints (the safetensors plumbing lives in checkpoint.c) ---- */

rlc_status rlc__normalizer_write(const rlc_normalizer *n, rlc_st_writer *w, const char *prefix,
                                 const double *mean, const double *var, double count, int dim);
rlc_status rlc__normalizer_check(const rlc_st_file *f, const char *prefix, int dim,
                                 const double **mean, const double **var, double *count);

rlc_status rlc_normalizer_write(const rlc_normalizer *n, rlc_st_writer *w, const char *prefix) {
    if (!n || !w) return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_write: NULL argument");
    return rlc__normalizer_write(n, w, prefix, n->mean, n->var, n->count, n->dim);
}

rlc_status rlc_normalizer_read(rlc_normalizer *n, const rlc_st_file *f, const char *prefix) {
    if (!n || !f) return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_read: NULL argument");
    const double *mean, *var;
    double count;
    rlc_status st = rlc__normalizer_check(f, prefix, n->dim, &mean, &var, &count);
    if (st) return st;
    /* the file buffer may not be 8-byte aligned for a foreign file: memcpy */
    memcpy(n->mean, mean, (size_t)n->dim * sizeof(double));
    memcpy(n->var, var, (size_t)n->dim * sizeof(double));
    n->count = count;
    return RLC_OK;
}

rlc_status rlc_normalizer_save(const rlc_normalizer *n, const char *path, const char *prefix) {
    if (!n || !path) return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_save: NULL argument");
    rlc_st_writer *w = rlc_st_writer_create();
    if (!w) return RLC_ERR_NOMEM;
    rlc_status st = rlc_normalizer_write(n, w, prefix);
    if (!st) st = rlc_st_writer_save(w, path);
    rlc_st_writer_destroy(w);
    return st;
}

rlc_status rlc_normalizer_load(rlc_normalizer *n, const char *path, const char *prefix) {
    if (!n || !path) return rlc_error(RLC_ERR_INVALID, "rlc_normalizer_load: NULL argument");
    rlc_st_file *f = NULL;
    rlc_status st = rlc_st_load(path, &f);
    if (st) return st;
    st = rlc_normalizer_read(n, f, prefix);
    rlc_st_file_destroy(f);
    return st;
}
