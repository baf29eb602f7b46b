/* Spaces: Box / Discrete / MultiDiscrete constructors for env init, byte sizes, float32
 * conversion, membership, Gymnasium-compatible sampling and descriptions. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "env/env_impl.h"

size_t rlc_space_dtype_size(rlc_space_dtype dtype) {
    switch (dtype) {
    case RLC_SPACE_FLOAT32:
        return 4;
    case RLC_SPACE_FLOAT64:
        return 8;
    case RLC_SPACE_INT64:
        return 8;
    case RLC_SPACE_INT32:
        return 4;
    case RLC_SPACE_UINT8:
        return 1;
    }
    return 0;
}

size_t rlc_space_bytes(const rlc_space *s) {
    return (size_t)s->size * rlc_space_dtype_size(s->dtype);
}

static double round_to(rlc_space_dtype dtype, double v) {
    switch (dtype) {
    case RLC_SPACE_FLOAT32:
        return (double)(float)v;
    case RLC_SPACE_FLOAT64:
        return v;
    default:
        return isfinite(v) ? floor(v) : v;
    }
}

rlc_status rlc__space_box(rlc_space *s, rlc_space_dtype dtype, int64_t n, const double *low,
                          const double *high) {
    memset(s, 0, sizeof *s);
    double *b = rlc_malloc(2 * (size_t)n * sizeof *b);
    if (!b) return RLC_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        b[i] = round_to(dtype, low[i]);
        b[n + i] = round_to(dtype, high[i]);
    }
    s->kind = RLC_SPACE_BOX;
    s->dtype = dtype;
    s->ndim = 1;
    s->shape[0] = n;
    s->size = n;
    s->low = b;
    s->high = b + n;
    return RLC_OK;
}

rlc_status rlc__space_box_uniform(rlc_space *s, rlc_space_dtype dtype, int64_t n, double low,
                                  double high) {
    memset(s, 0, sizeof *s);
    double *b = rlc_malloc(2 * (size_t)n * sizeof *b);
    if (!b) return RLC_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        b[i] = round_to(dtype, low);
        b[n + i] = round_to(dtype, high);
    }
    s->kind = RLC_SPACE_BOX;
    s->dtype = dtype;
    s->ndim = 1;
    s->shape[0] = n;
    s->size = n;
    s->low = b;
    s->high = b + n;
    return RLC_OK;
}

void rlc__space_discrete(rlc_space *s, int64_t n, int64_t start) {
    memset(s, 0, sizeof *s);
    s->kind = RLC_SPACE_DISCRETE;
    s->dtype = RLC_SPACE_INT64;
    s->ndim = 0;
    s->size = 1;
    s->n = n;
    s->start = start;
}

rlc_status rlc__space_multi_discrete(rlc_space *s, int64_t n, const int64_t *nvec,
                                     const int64_t *start) {
    memset(s, 0, sizeof *s);
    int64_t *b = rlc_malloc(2 * (size_t)n * sizeof *b);
    if (!b) return RLC_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        b[i] = nvec[i];
        b[n + i] = start ? start[i] : 0;
    }
    s->kind = RLC_SPACE_MULTI_DISCRETE;
    s->dtype = RLC_SPACE_INT64;
    s->ndim = 1;
    s->shape[0] = n;
    s->size = n;
    s->nvec = b;
    s->nstart = b + n;
    return RLC_OK;
}

void rlc__space_free(rlc_space *s) {
    if (s->kind == RLC_SPACE_BOX) rlc_free((void *)s->low);
    if (s->kind == RLC_SPACE_MULTI_DISCRETE) rlc_free((void *)s->nvec);
    memset(s, 0, sizeof *s);
}

/* Element i of a value of `dtype` as double. */
static double elem(rlc_space_dtype dtype, const void *p, int64_t i) {
    switch (dtype) {
    case RLC_SPACE_FLOAT32:
        return ((const float *)p)[i];
    case RLC_SPACE_FLOAT64:
        return ((const double *)p)[i];
    case RLC_SPACE_INT64:
        return (double)((const int64_t *)p)[i];
    case RLC_SPACE_INT32:
        return ((const int32_t *)p)[i];
    case RLC_SPACE_UINT8:
        return ((const uint8_t *)p)[i];
    }
    return 0;
}

void rlc_space_to_f32(const rlc_space *s, const void *src, float *dst) {
    if (s->dtype == RLC_SPACE_FLOAT32) {
        memcpy(dst, src, (size_t)s->size * sizeof *dst);
        return;
    }
    for (int64_t i = 0; i < s->size; i++)
        dst[i] = (float)elem(s->dtype, src, i);
}

int rlc_space_contains(const rlc_space *s, const void *value) {
    if (!s || !value) return 0;
    switch (s->kind) {
    case RLC_SPACE_DISCRETE: {
        int64_t a = *(const int64_t *)value;
        return a >= s->start && a - s->start < s->n;
    }
    case RLC_SPACE_MULTI_DISCRETE:
        for (int64_t i = 0; i < s->size; i++) {
            int64_t a = ((const int64_t *)value)[i], lo = s->nstart ? s->nstart[i] : 0;
            if (a < lo || a - lo >= s->nvec[i]) return 0;
        }
        return 1;
    case RLC_SPACE_BOX:
        for (int64_t i = 0; i < s->size; i++) {
            double v = elem(s->dtype, value, i);
            if (!(v >= s->low[i] && v <= s->high[i])) return 0;
        }
        return 1;
    }
    return 0;
}

static void store(rlc_space_dtype dtype, void *p, int64_t i, double v) {
    switch (dtype) {
    case RLC_SPACE_FLOAT32:
        ((float *)p)[i] = (float)v;
        break;
    case RLC_SPACE_FLOAT64:
        ((double *)p)[i] = v;
        break;
    case RLC_SPACE_INT64:
        ((int64_t *)p)[i] = (int64_t)v;
        break;
    case RLC_SPACE_INT32:
        ((int32_t *)p)[i] = (int32_t)v;
        break;
    case RLC_SPACE_UINT8:
        ((uint8_t *)p)[i] = (uint8_t)v;
        break;
    }
}

void rlc_space_sample(const rlc_space *s, rlc_rng *rng, void *out) {
    switch (s->kind) {
    case RLC_SPACE_DISCRETE:
        *(int64_t *)out = s->start + rlc_rng_integers(rng, 0, s->n);
        return;
    case RLC_SPACE_MULTI_DISCRETE:
        for (int64_t i = 0; i < s->size; i++)
            ((int64_t *)out)[i] =
                (s->nstart ? s->nstart[i] : 0) + rlc_rng_integers(rng, 0, s->nvec[i]);
        return;
    case RLC_SPACE_BOX:
        for (int64_t i = 0; i < s->size; i++) {
            double lo = s->low[i], hi = s->high[i], v;
            int is_float = s->dtype == RLC_SPACE_FLOAT32 || s->dtype == RLC_SPACE_FLOAT64;
            if (isfinite(lo) && isfinite(hi)) {
                /* Gymnasium draws integer Boxes from uniform(low, high + 1), floored. */
                v = is_float ? rlc_rng_uniform(rng, lo, hi)
                             : floor(rlc_rng_uniform(rng, lo, hi + 1));
            } else {
                v = rlc_rng_normal(rng);
                if (isfinite(lo) && v < lo) v = lo;
                if (isfinite(hi) && v > hi) v = hi;
            }
            store(s->dtype, out, i, v);
        }
        return;
    }
}

static const char *dtype_name(rlc_space_dtype d) {
    switch (d) {
    case RLC_SPACE_FLOAT32:
        return "float32";
    case RLC_SPACE_FLOAT64:
        return "float64";
    case RLC_SPACE_INT64:
        return "int64";
    case RLC_SPACE_INT32:
        return "int32";
    case RLC_SPACE_UINT8:
        return "uint8";
    }
    return "?";
}

/* Appends to buf at *len (snprintf-style accounting). */
static void put(char *buf, size_t cap, int *len, const char *fmt, double v) {
    char tmp[64];
    int k = snprintf(tmp, sizeof tmp, fmt, v);
    if (buf && (size_t)*len < cap) snprintf(buf + *len, cap - (size_t)*len, "%s", tmp);
    *len += k;
}

static void puts_(char *buf, size_t cap, int *len, const char *s) {
    if (buf && (size_t)*len < cap) snprintf(buf + *len, cap - (size_t)*len, "%s", s);
    *len += (int)strlen(s);
}

/* A bound as Python prints it: "1.0", "-inf", "4.8", "0.41887903". */
static void put_bound(char *buf, size_t cap, int *len, double v, rlc_space_dtype d) {
    if (isinf(v)) {
        puts_(buf, cap, len, v < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, d == RLC_SPACE_FLOAT32 ? "%.8g" : "%.17g", v);
    if (!strpbrk(tmp, ".en")) strcat(tmp, ".0");
    puts_(buf, cap, len, tmp);
}

int rlc_space_describe(const rlc_space *s, char *buf, size_t cap) {
    int len = 0;
    if (buf && cap) buf[0] = 0;
    switch (s->kind) {
    case RLC_SPACE_DISCRETE:
        put(buf, cap, &len, "Discrete(%.0f", (double)s->n);
        if (s->start) put(buf, cap, &len, ", start=%.0f", (double)s->start);
        puts_(buf, cap, &len, ")");
        break;
    case RLC_SPACE_MULTI_DISCRETE:
        puts_(buf, cap, &len, "MultiDiscrete([");
        for (int64_t i = 0; i < s->size; i++)
            put(buf, cap, &len, i ? " %.0f" : "%.0f", (double)s->nvec[i]);
        puts_(buf, cap, &len, "])");
        break;
    case RLC_SPACE_BOX: {
        int same = 1;
        for (int64_t i = 1; i < s->size; i++)
            if (s->low[i] != s->low[0] || s->high[i] != s->high[0]) same = 0;
        puts_(buf, cap, &len, "Box(");
        for (int side = 0; side < 2; side++) {
            const double *b = side ? s->high : s->low;
            if (side) puts_(buf, cap, &len, ", ");
            if (same && s->size > 0) {
                put_bound(buf, cap, &len, b[0], s->dtype);
            } else {
                puts_(buf, cap, &len, "[");
                for (int64_t i = 0; i < s->size; i++) {
                    if (i) puts_(buf, cap, &len, " ");
                    put_bound(buf, cap, &len, b[i], s->dtype);
                }
                puts_(buf, cap, &len, "]");
            }
        }
        puts_(buf, cap, &len, ", (");
        for (int d = 0; d < s->ndim; d++)
            put(buf, cap, &len, d ? ", %.0f" : "%.0f", (double)s->shape[d]);
        if (s->ndim == 1) puts_(buf, cap, &len, ",");
        puts_(buf, cap, &len, "), ");
        puts_(buf, cap, &len, dtype_name(s->dtype));
        puts_(buf, cap, &len, ")");
        break;
    }
    }
    return len;
}
