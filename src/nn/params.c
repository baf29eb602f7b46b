/* Flat parameter blocks: named entries over one data block, one gradient block and optimizer
 * state blocks of the same layout; views into graphs; zeroing, hard copy and Polyak averaging. */
#include "nn/nn_impl.h"

#include "core/graph_impl.h"
#include "core/gemm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BLOCK_ALIGN 64

/* A zeroed block of `bytes`, 64-byte aligned; *base receives the pointer to free. */
static void *block_alloc(size_t bytes, void **base) {
    unsigned char *b = rlc_malloc(bytes + BLOCK_ALIGN);
    if (!b) return NULL;
    uintptr_t a = ((uintptr_t)b + BLOCK_ALIGN - 1) & ~(uintptr_t)(BLOCK_ALIGN - 1);
    memset((void *)a, 0, bytes);
    *base = b;
    return (void *)a;
}

rlc_params *rlc_params_create(rlc_dtype dtype) {
    if (dtype != RLC_F32 && dtype != RLC_F64) {
        rlc_error(RLC_ERR_INVALID, "rlc_params_create: unknown dtype %d", (int)dtype);
        return NULL;
    }
    rlc_params *p = rlc_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->dtype = dtype;
    return p;
}

void rlc_params_destroy(rlc_params *p) {
    if (!p) return;
    for (int i = 0; i < p->n; i++)
        rlc_free((void *)p->entries[i].name);
    rlc_free(p->entries);
    rlc_free(p->data_base);
    rlc_free(p->grad_base);
    for (int s = 0; s < RLC_PARAMS_MAX_STATE; s++)
        rlc_free(p->state_base[s]);
    rlc_free(p);
}

static rlc_status check_shape(const char *who, const char *name, int ndim, const int *shape,
                              int64_t *size) {
    if (ndim < 1 || ndim > RLC_MAX_DIMS || !shape)
        return rlc_error(RLC_ERR_INVALID, "%s: entry '%s' has rank %d (need 1..%d)", who, name,
                         ndim, RLC_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0)
            return rlc_error(RLC_ERR_INVALID, "%s: entry '%s' has dimension %d at axis %d", who,
                             name, shape[i], i);
        if (n > ((int64_t)1 << 40) / shape[i])
            return rlc_error(RLC_ERR_RANGE, "%s: entry '%s' is too large", who, name);
        n *= shape[i];
    }
    *size = n;
    return RLC_OK;
}

rlc_status rlc__params_add_batch(rlc_params *p, int n, const rlc__entry_spec *specs, int *first) {
    if (!p) return rlc_error(RLC_ERR_INVALID, "rlc_params_add: NULL params");
    if (p->frozen)
        return rlc_error(RLC_ERR_STATE, "rlc_params_add: the layout is frozen (pointers into the "
                                        "blocks were handed out); add entries before recording");
    int64_t add = 0;
    for (int k = 0; k < n; k++) {
        const char *name = specs[k].name;
        if (!name[0]) return rlc_error(RLC_ERR_INVALID, "rlc_params_add: empty entry name");
        int64_t sz = 0;
        rlc_status st = check_shape("rlc_params_add", name, specs[k].ndim, specs[k].shape, &sz);
        if (st) return st;
        if (rlc_params_find(p, name) >= 0)
            return rlc_error(RLC_ERR_INVALID, "rlc_params_add: duplicate entry name '%s'", name);
        for (int j = 0; j < k; j++)
            if (!strcmp(specs[j].name, name))
                return rlc_error(RLC_ERR_INVALID, "rlc_params_add: duplicate entry name '%s'",
                                 name);
        add += sz;
    }
    /* Allocate everything new first; commit only when all allocations succeeded. */
    size_t es = rlc__dtype_size(p->dtype);
    int64_t count = p->count + add;
    size_t bytes = (size_t)count * es;
    rlc_param_entry *ent = rlc_malloc((size_t)(p->n + n) * sizeof *ent);
    char *names[64];
    int nnames = 0;
    void *data = NULL, *grad = NULL, *state[RLC_PARAMS_MAX_STATE] = {0};
    void *data_b = NULL, *grad_b = NULL, *state_b[RLC_PARAMS_MAX_STATE] = {0};
    rlc_status st = RLC_ERR_NOMEM;
    if (n > 64) {
        st = rlc_error(RLC_ERR_INVALID, "rlc_params_add: at most 64 entries at once");
        goto fail;
    }
    if (!ent) goto fail;
    for (; nnames < n; nnames++)
        if (!(names[nnames] = rlc_strdup(specs[nnames].name))) goto fail;
    if (!(data = block_alloc(bytes, &data_b))) goto fail;
    if (!(grad = block_alloc(bytes, &grad_b))) goto fail;
    for (int s = 0; s < p->nstate; s++)
        if (!(state[s] = block_alloc(bytes, &state_b[s]))) goto fail;

    size_t old = (size_t)p->count * es;
    if (old) {
        memcpy(data, p->data, old);
        memcpy(grad, p->grad, old);
        for (int s = 0; s < p->nstate; s++)
            memcpy(state[s], p->state[s], old);
    }
    if (p->n) memcpy(ent, p->entries, (size_t)p->n * sizeof *ent);
    int64_t off = p->count;
    for (int k = 0; k < n; k++) {
        rlc_param_entry *e = &ent[p->n + k];
        e->name = names[k];
        e->offset = off;
        e->ndim = specs[k].ndim;
        e->size = 1;
        for (int d = 0; d < RLC_MAX_DIMS; d++) {
            e->shape[d] = d < e->ndim ? specs[k].shape[d] : 0;
            if (d < e->ndim) e->size *= e->shape[d];
        }
        off += e->size;
    }
    rlc_free(p->entries);
    rlc_free(p->data_base);
    rlc_free(p->grad_base);
    for (int s = 0; s < p->nstate; s++) {
        rlc_free(p->state_base[s]);
        p->state[s] = state[s];
        p->state_base[s] = state_b[s];
    }
    if (first) *first = p->n;
    p->entries = ent;
    p->n += n;
    p->count = count;
    p->data = data;
    p->data_base = data_b;
    p->grad = grad;
    p->grad_base = grad_b;
    return RLC_OK;

fail:
    for (int k = 0; k < nnames; k++)
        rlc_free(names[k]);
    rlc_free(ent);
    rlc_free(data_b);
    rlc_free(grad_b);
    for (int s = 0; s < RLC_PARAMS_MAX_STATE; s++)
        rlc_free(state_b[s]);
    return st;
}

rlc_status rlc_params_add(rlc_params *p, const char *name, int ndim, const int *shape, int *index) {
    if (!p || !name || !shape) return rlc_error(RLC_ERR_INVALID, "rlc_params_add: NULL argument");
    rlc__entry_spec s;
    size_t len = strlen(name);
    if (len >= sizeof s.name)
        return rlc_error(RLC_ERR_INVALID, "rlc_params_add: name '%.40s...' longer than %zu", name,
                         sizeof s.name - 1);
    memcpy(s.name, name, len + 1);
    if (ndim < 1 || ndim > RLC_MAX_DIMS)
        return rlc_error(RLC_ERR_INVALID, "rlc_params_add: entry '%s' has rank %d (need 1..%d)",
                         name, ndim, RLC_MAX_DIMS);
    s.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        s.shape[i] = shape[i];
    return rlc__params_add_batch(p, 1, &s, index);
}

rlc_status rlc__params_ensure_state(rlc_params *p, int nslots) {
    if (nslots > RLC_PARAMS_MAX_STATE)
        return rlc_error(RLC_ERR_INVALID, "params: at most %d state slots", RLC_PARAMS_MAX_STATE);
    if (nslots <= p->nstate) return RLC_OK;
    size_t bytes = (size_t)p->count * rlc__dtype_size(p->dtype);
    void *st[RLC_PARAMS_MAX_STATE] = {0}, *stb[RLC_PARAMS_MAX_STATE] = {0};
    for (int s = p->nstate; s < nslots; s++) {
        if (!(st[s] = block_alloc(bytes, &stb[s]))) {
            for (int k = p->nstate; k < s; k++)
                rlc_free(stb[k]);
            return RLC_ERR_NOMEM;
        }
    }
    for (int s = p->nstate; s < nslots; s++) {
        p->state[s] = st[s];
        p->state_base[s] = stb[s];
    }
    p->nstate = nslots;
    return RLC_OK;
}

rlc_params *rlc_params_clone(const rlc_params *src) {
    if (!src) {
        rlc_error(RLC_ERR_INVALID, "rlc_params_clone: NULL params");
        return NULL;
    }
    rlc_params *p = rlc_params_create(src->dtype);
    if (!p) return NULL;
    /* Add in chunks of 64 (the batch limit); the clone is private so partial failure only
     * needs the clone freed. */
    for (int i = 0; i < src->n; i += 64) {
        rlc__entry_spec specs[64];
        int m = src->n - i < 64 ? src->n - i : 64;
        for (int k = 0; k < m; k++) {
            const rlc_param_entry *e = &src->entries[i + k];
            snprintf(specs[k].name, sizeof specs[k].name, "%s", e->name);
            specs[k].ndim = e->ndim;
            memcpy(specs[k].shape, e->shape, sizeof specs[k].shape);
        }
        if (rlc__params_add_batch(p, m, specs, NULL) != RLC_OK) {
            rlc_params_destroy(p);
            return NULL;
        }
    }
    if (src->count) memcpy(p->data, src->data, (size_t)src->count * rlc__dtype_size(src->dtype));
    return p;
}

rlc_dtype rlc_params_dtype(const rlc_params *p) {
    return p->dtype;
}

int64_t rlc_params_count(const rlc_params *p) {
    return p ? p->count : 0;
}

int rlc_params_num_entries(const rlc_params *p) {
    return p ? p->n : 0;
}

const rlc_param_entry *rlc_params_entry(const rlc_params *p, int i) {
    return p && i >= 0 && i < p->n ? &p->entries[i] : NULL;
}

int rlc_params_find(const rlc_params *p, const char *name) {
    if (!p || !name) return -1;
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->entries[i].name, name)) return i;
    return -1;
}

int rlc_params_same_layout(const rlc_params *a, const rlc_params *b) {
    if (!a || !b || a->dtype != b->dtype || a->n != b->n || a->count != b->count) return 0;
    for (int i = 0; i < a->n; i++) {
        const rlc_param_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->ndim != y->ndim || x->offset != y->offset) return 0;
        for (int d = 0; d < x->ndim; d++)
            if (x->shape[d] != y->shape[d]) return 0;
    }
    return 1;
}

void *rlc_params_data(rlc_params *p) {
    p->frozen = 1;
    return p->data;
}

void *rlc_params_grad(rlc_params *p) {
    p->frozen = 1;
    return p->grad;
}

void *rlc_params_state(rlc_params *p, int slot) {
    p->frozen = 1;
    return slot >= 0 && slot < p->nstate ? p->state[slot] : NULL;
}

void rlc_params_freeze(rlc_params *p) {
    p->frozen = 1;
}

rlc_tensor *rlc_params_tensor(rlc_graph *g, rlc_params *p, int index) {
    if (!g) return NULL;
    if (g->status != RLC_OK) return NULL;
    if (!p) return rlc__graph_fail(g, RLC_ERR_INVALID, "params view: NULL params");
    if (index < 0 || index >= p->n)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "params view: entry index %d outside 0..%d",
                               index, p->n - 1);
    if (p->dtype != g->dtype)
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "params view '%s': params are %s but the graph is %s",
                               p->entries[index].name, p->dtype == RLC_F64 ? "float64" : "float32",
                               g->dtype == RLC_F64 ? "float64" : "float32");
    p->frozen = 1;
    const rlc_param_entry *e = &p->entries[index];
    size_t off = (size_t)e->offset * rlc__dtype_size(p->dtype);
    return rlc_param(g, (char *)p->data + off, (char *)p->grad + off, e->ndim, e->shape);
}

void rlc_params_zero_grad(rlc_params *p) {
    if (p && p->count) memset(p->grad, 0, (size_t)p->count * rlc__dtype_size(p->dtype));
}

rlc_status rlc_params_copy(rlc_params *dst, const rlc_params *src) {
    if (!dst || !src) return rlc_error(RLC_ERR_INVALID, "rlc_params_copy: NULL params");
    if (!rlc_params_same_layout(dst, src))
        return rlc_error(RLC_ERR_INVALID,
                         "rlc_params_copy: layouts differ (%d entries / %lld "
                         "values vs %d / %lld)",
                         dst->n, (long long)dst->count, src->n, (long long)src->count);
    if (dst != src && src->count)
        memcpy(dst->data, src->data, (size_t)src->count * rlc__dtype_size(src->dtype));
    return RLC_OK;
}

#define POLYAK(T)                                                                                  \
    {                                                                                              \
        T *d = dst->data;                                                                          \
        const T *s = src->data;                                                                    \
        const T a = (T)(1.0 - tau), b = (T)tau;                                                    \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i] = d[i] * a + b * s[i];                                                            \
    }

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
/* The float loop on 8 lanes: the same two products and sum per element (no FMA). */
__attribute__((target("avx2"))) static int64_t polyak_avx2(float *d, const float *s, float a,
                                                           float b, int64_t n) {
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(d + i), va),
                                              _mm256_mul_ps(vb, _mm256_loadu_ps(s + i))));
    return i;
}
#define RLC_POLYAK_AVX2 1
#endif

rlc_status rlc_params_polyak(rlc_params *dst, const rlc_params *src, double tau) {
    if (!dst || !src) return rlc_error(RLC_ERR_INVALID, "rlc_params_polyak: NULL params");
    if (!(tau >= 0.0 && tau <= 1.0))
        return rlc_error(RLC_ERR_RANGE, "rlc_params_polyak: tau %g outside [0, 1]", tau);
    if (!rlc_params_same_layout(dst, src))
        return rlc_error(RLC_ERR_INVALID,
                         "rlc_params_polyak: layouts differ (%d entries / %lld "
                         "values vs %d / %lld)",
                         dst->n, (long long)dst->count, src->n, (long long)src->count);
    int64_t n = dst->count;
#ifdef RLC_POLYAK_AVX2
    if (dst->dtype == RLC_F32 && rlc__sgemm_simd_level() >= 1) {
        float *d = dst->data;
        const float *s = src->data;
        const float a = (float)(1.0 - tau), b = (float)tau;
        for (int64_t i = polyak_avx2(d, s, a, b, n); i < n; i++)
            d[i] = d[i] * a + b * s[i];
        return RLC_OK;
    }
#endif
    RLC_DISPATCH(dst->dtype, POLYAK);
    return RLC_OK;
}

/* Sum of squares in double with 32 interleaved partial sums (acc[k] takes the elements
 * i = k mod 32) combined by a fixed pairwise tree: no long dependency chain, and the AVX-512 /
 * AVX2 versions below hold exactly these partial sums in their lanes, so every path gives the
 * same bits. */
#define NACC 32
#define SUMSQ(T)                                                                                   \
    {                                                                                              \
        const T *x = p->grad;                                                                      \
        for (; i + NACC <= n; i += NACC)                                                           \
            for (int k = 0; k < NACC; k++)                                                         \
                acc[k] += (double)x[i + k] * (double)x[i + k];                                     \
        for (; i < n; i++)                                                                         \
            acc[i % NACC] += (double)x[i] * (double)x[i];                                          \
    }

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RLC_NORM_SIMD 1

__attribute__((target("avx512f"))) static int64_t sumsq_avx512(const float *x, int64_t n,
                                                               double *acc) {
    __m512d a[4];
    for (int k = 0; k < 4; k++)
        a[k] = _mm512_loadu_pd(acc + 8 * k);
    int64_t i = 0;
    for (; i + NACC <= n; i += NACC)
        for (int k = 0; k < 4; k++) {
            __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8 * k));
            a[k] = _mm512_add_pd(a[k], _mm512_mul_pd(v, v));
        }
    for (int k = 0; k < 4; k++)
        _mm512_storeu_pd(acc + 8 * k, a[k]);
    return i;
}

__attribute__((target("avx2"))) static int64_t sumsq_avx2(const float *x, int64_t n, double *acc) {
    __m256d a[8];
    for (int k = 0; k < 8; k++)
        a[k] = _mm256_loadu_pd(acc + 4 * k);
    int64_t i = 0;
    for (; i + NACC <= n; i += NACC)
        for (int k = 0; k < 8; k++) {
            __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * k));
            a[k] = _mm256_add_pd(a[k], _mm256_mul_pd(v, v));
        }
    for (int k = 0; k < 8; k++)
        _mm256_storeu_pd(acc + 4 * k, a[k]);
    return i;
}
#endif

double rlc_params_grad_norm(const rlc_params *p) {
    if (!p || !p->count) return 0.0;
    double acc[NACC] = {0};
    int64_t i = 0, n = p->count;
#ifdef RLC_NORM_SIMD
    if (p->dtype == RLC_F32) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f"))
            i = sumsq_avx512(p->grad, n, acc);
        else if (__builtin_cpu_supports("avx2"))
            i = sumsq_avx2(p->grad, n, acc);
    }
#endif
    RLC_DISPATCH(p->dtype, SUMSQ);
    for (int w = NACC / 2; w >= 1; w /= 2) /* pairwise: acc[k] += acc[k + w] */
        for (int k = 0; k < w; k++)
            acc[k] += acc[k + w];
    return sqrt(acc[0]);
}
