/* safetensors: an atomic writer (header JSON built by hand, data referenced or copied) and a
 * reader that parses the header with cJSON and validates every offset before handing out
 * tensors. Layout and rules in include/rlc/safetensors.h. */
#include "rlc/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json_impl.h"

/* ---- dtypes ------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    size_t size;
} k_dtypes[RLC_ST_DTYPE_COUNT] = {
    [RLC_ST_F32] = {"F32", 4}, [RLC_ST_F64] = {"F64", 8},         [RLC_ST_I64] = {"I64", 8},
    [RLC_ST_I32] = {"I32", 4}, [RLC_ST_U8] = {"U8", 1},           [RLC_ST_BOOL] = {"BOOL", 1},
    [RLC_ST_F16] = {"F16", 2}, [RLC_ST_BF16] = {"BF16", 2},       [RLC_ST_I8] = {"I8", 1},
    [RLC_ST_I16] = {"I16", 2}, [RLC_ST_U16] = {"U16", 2},         [RLC_ST_U32] = {"U32", 4},
    [RLC_ST_U64] = {"U64", 8}, [RLC_ST_F8_E4M3] = {"F8_E4M3", 1}, [RLC_ST_F8_E5M2] = {"F8_E5M2", 1},
};

static int dtype_valid(rlc_st_dtype dt) {
    return (int)dt >= 0 && dt < RLC_ST_DTYPE_COUNT;
}

size_t rlc_st_dtype_size(rlc_st_dtype dt) {
    return dtype_valid(dt) ? k_dtypes[dt].size : 0;
}

const char *rlc_st_dtype_name(rlc_st_dtype dt) {
    return dtype_valid(dt) ? k_dtypes[dt].name : "?";
}

rlc_status rlc_st_dtype_parse(const char *name, rlc_st_dtype *out) {
    for (int i = 0; name && i < RLC_ST_DTYPE_COUNT; i++) {
        if (strcmp(name, k_dtypes[i].name) == 0) {
            *out = (rlc_st_dtype)i;
            return RLC_OK;
        }
    }
    return rlc_error(RLC_ERR_NOT_FOUND, "unknown safetensors dtype '%.40s'", name ? name : "");
}

/* Element count and byte size of a shape, with overflow checks. -1 on overflow. */
static int shape_size(int ndim, const int64_t *shape, size_t esize, uint64_t *numel,
                      size_t *nbytes) {
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (d != 0 && n > UINT64_MAX / d) return -1;
        n *= d;
    }
    if (n > (uint64_t)INT64_MAX || (esize && n > SIZE_MAX / esize)) return -1;
    *numel = n;
    *nbytes = (size_t)n * esize;
    return 0;
}

/* "[64, 17]" into buf (truncated with "..." if it does not fit). */
static const char *fmt_shape(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t len = 0;
    buf[len++] = '[';
    for (int i = 0; i < ndim; i++) {
        int k = snprintf(buf + len, cap - len, i ? ", %lld" : "%lld", (long long)shape[i]);
        if (k < 0 || (size_t)k + 5 >= cap - len) {
            strcpy(buf + len, "...");
            len += 3;
            break;
        }
        len += (size_t)k;
    }
    buf[len++] = ']';
    buf[len] = 0;
    return buf;
}

/* ---- writer ------------------------------------------------------------------------------ */

typedef struct st_entry {
    char *name; /* points into the same allocation as shape */
    int64_t *shape;
    rlc_st_dtype dt;
    int ndim;
    size_t nbytes;
    const void *data;
    void *copy; /* owned copy of the data, or NULL when referenced */
} st_entry;

typedef struct st_meta {
    char *key; /* "key\0value\0" in one allocation */
    char *value;
} st_meta;

struct rlc_st_writer {
    st_entry *e;
    int n, cap;
    st_meta *m;
    int nm, capm;
};

rlc_st_writer *rlc_st_writer_create(void) {
    return rlc_calloc(1, sizeof(rlc_st_writer));
}

void rlc_st_writer_destroy(rlc_st_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->n; i++) {
        rlc_free(w->e[i].shape);
        rlc_free(w->e[i].copy);
    }
    for (int i = 0; i < w->nm; i++)
        rlc_free(w->m[i].key);
    rlc_free(w->e);
    rlc_free(w->m);
    rlc_free(w);
}

/* Grows an array of `*cap` elements of `size` bytes to hold n + 1. */
static rlc_status grow(void **arr, int *cap, int n, size_t size) {
    if (n < *cap) return RLC_OK;
    if (*cap > (1 << 28)) return rlc_error(RLC_ERR_RANGE, "safetensors: too many entries");
    int ncap = *cap ? *cap * 2 : 8;
    void *p = rlc_realloc(*arr, (size_t)ncap * size);
    if (!p) return rlc_error(RLC_ERR_NOMEM, "out of memory growing a safetensors writer");
    *arr = p;
    *cap = ncap;
    return RLC_OK;
}

static rlc_status writer_add(rlc_st_writer *w, const char *name, rlc_st_dtype dt, int ndim,
                             const int64_t *shape, const void *data, int copy) {
    if (!w) return rlc_error(RLC_ERR_INVALID, "safetensors writer: NULL writer");
    if (!name || !*name) return rlc_error(RLC_ERR_INVALID, "safetensors writer: empty name");
    if (!strcmp(name, "__metadata__"))
        return rlc_error(RLC_ERR_INVALID, "safetensors writer: '__metadata__' is reserved");
    if (!dtype_valid(dt))
        return rlc_error(RLC_ERR_INVALID, "safetensors writer: tensor '%.200s': bad dtype %d", name,
                         (int)dt);
    if (ndim < 0 || ndim > RLC_ST_MAX_DIMS || (ndim > 0 && !shape))
        return rlc_error(RLC_ERR_INVALID,
                         "safetensors writer: tensor '%.200s': ndim %d (0..%d, shape non-NULL)",
                         name, ndim, RLC_ST_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return rlc_error(RLC_ERR_INVALID,
                             "safetensors writer: tensor '%.200s': dimension %d is %lld", name, i,
                             (long long)shape[i]);
    uint64_t numel;
    size_t nbytes;
    if (shape_size(ndim, shape, k_dtypes[dt].size, &numel, &nbytes) != 0)
        return rlc_error(RLC_ERR_RANGE, "safetensors writer: tensor '%.200s': size overflows",
                         name);
    if (nbytes && !data)
        return rlc_error(RLC_ERR_INVALID, "safetensors writer: tensor '%.200s': NULL data", name);
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->e[i].name, name))
            return rlc_error(RLC_ERR_INVALID, "safetensors writer: tensor '%.200s' added twice",
                             name);
    rlc_status s = grow((void **)&w->e, &w->cap, w->n, sizeof *w->e);
    if (s) return s;
    size_t nlen = strlen(name);
    size_t dims = (size_t)ndim * sizeof(int64_t);
    unsigned char *block = rlc_malloc(dims + nlen + 1);
    if (!block) return RLC_ERR_NOMEM;
    void *cp = NULL;
    if (copy && nbytes) {
        cp = rlc_malloc(nbytes);
        if (!cp) {
            rlc_free(block);
            return RLC_ERR_NOMEM;
        }
        memcpy(cp, data, nbytes);
    }
    st_entry *e = &w->e[w->n++];
    e->shape = (int64_t *)block;
    if (dims) memcpy(e->shape, shape, dims);
    e->name = (char *)block + dims;
    memcpy(e->name, name, nlen + 1);
    e->dt = dt;
    e->ndim = ndim;
    e->nbytes = nbytes;
    e->copy = cp;
    e->data = cp ? cp : data;
    return RLC_OK;
}

rlc_status rlc_st_writer_add(rlc_st_writer *w, const char *name, rlc_st_dtype dt, int ndim,
                             const int64_t *shape, const void *data) {
    return writer_add(w, name, dt, ndim, shape, data, 0);
}

rlc_status rlc_st_writer_add_copy(rlc_st_writer *w, const char *name, rlc_st_dtype dt, int ndim,
                                  const int64_t *shape, const void *data) {
    return writer_add(w, name, dt, ndim, shape, data, 1);
}

rlc_status rlc_st_writer_set_meta(rlc_st_writer *w, const char *key, const char *value) {
    if (!w || !key || !value)
        return rlc_error(RLC_ERR_INVALID, "safetensors writer: NULL metadata key or value");
    size_t kl = strlen(key), vl = strlen(value);
    if (kl > SIZE_MAX / 2 - vl) return rlc_error(RLC_ERR_RANGE, "safetensors: metadata too long");
    int at = -1;
    for (int i = 0; i < w->nm; i++)
        if (!strcmp(w->m[i].key, key)) at = i;
    if (at < 0) {
        rlc_status s = grow((void **)&w->m, &w->capm, w->nm, sizeof *w->m);
        if (s) return s;
    }
    char *block = rlc_malloc(kl + vl + 2);
    if (!block) return RLC_ERR_NOMEM;
    memcpy(block, key, kl + 1);
    memcpy(block + kl + 1, value, vl + 1);
    if (at < 0) {
        at = w->nm++;
    } else {
        rlc_free(w->m[at].key);
    }
    w->m[at].key = block;
    w->m[at].value = block + kl + 1;
    return RLC_OK;
}

/* A growable string; `oom` latches the first allocation failure. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *p = rlc_realloc(b->p, ncap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s) {
    sb_put(b, s, strlen(s));
}

static void sb_u64(sbuf *b, uint64_t v) {
    char tmp[24];
    int k = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    sb_put(b, tmp, (size_t)k);
}

/* A JSON string literal: quotes, backslashes and control characters escaped; other bytes
 * (UTF-8 included) verbatim. */
static void sb_json_str(sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            sb_put(b, esc, 2);
        } else if (*p == '\n' || *p == '\t' || *p == '\r') {
            esc[0] = '\\';
            esc[1] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
            sb_put(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            sb_put(b, esc, 6);
        } else {
            sb_put(b, (const char *)p, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static rlc_status write_all(int fd, const void *buf, size_t n, const char *path) {
    const unsigned char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n > (size_t)1 << 30 ? (size_t)1 << 30 : n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return rlc_error(RLC_ERR_IO, "safetensors '%.300s': write failed: %s", path,
                             strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
    return RLC_OK;
}

/* Best effort: make the rename durable. Failures are ignored (some filesystems refuse). */
static void fsync_dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

rlc_status rlc_st_writer_save(rlc_st_writer *w, const char *path) {
    if (!w || !path || !*path)
        return rlc_error(RLC_ERR_INVALID, "safetensors writer: NULL writer or empty path");
    if (*(const unsigned char *)&(uint16_t){1} != 1)
        return rlc_error(RLC_ERR_UNSUPPORTED, "safetensors: big-endian hosts are not supported");
    rlc_status s = RLC_OK;
    size_t *begin = NULL;
    int *order = NULL;
    char *tmp = NULL;
    int fd = -1;
    sbuf h = {0};

    /* Data layout: largest elements first (8, 4, 2, 1 bytes), addition order within a size,
     * so that each tensor is aligned to its element size. */
    if (w->n) {
        begin = rlc_malloc((size_t)w->n * sizeof *begin);
        order = rlc_malloc((size_t)w->n * sizeof *order);
        if (!begin || !order) {
            s = RLC_ERR_NOMEM;
            goto done;
        }
    }
    size_t total = 0;
    int k = 0;
    for (size_t es = 8; es >= 1; es /= 2) {
        for (int i = 0; i < w->n; i++) {
            if (k_dtypes[w->e[i].dt].size != es) continue;
            if (w->e[i].nbytes > SIZE_MAX - total) {
                s = rlc_error(RLC_ERR_RANGE, "safetensors '%.300s': total size overflows", path);
                goto done;
            }
            begin[i] = total;
            total += w->e[i].nbytes;
            order[k++] = i;
        }
    }

    /* Header. */
    sb_str(&h, "{");
    if (w->nm) {
        sb_str(&h, "\"__metadata__\":{");
        for (int i = 0; i < w->nm; i++) {
            if (i) sb_str(&h, ",");
            sb_json_str(&h, w->m[i].key);
            sb_str(&h, ":");
            sb_json_str(&h, w->m[i].value);
        }
        sb_str(&h, "}");
    }
    for (int i = 0; i < w->n; i++) {
        const st_entry *e = &w->e[i];
        if (i || w->nm) sb_str(&h, ",");
        sb_json_str(&h, e->name);
        sb_str(&h, ":{\"dtype\":\"");
        sb_str(&h, k_dtypes[e->dt].name);
        sb_str(&h, "\",\"shape\":[");
        for (int d = 0; d < e->ndim; d++) {
            if (d) sb_str(&h, ",");
            sb_u64(&h, (uint64_t)e->shape[d]);
        }
        sb_str(&h, "],\"data_offsets\":[");
        sb_u64(&h, begin[i]);
        sb_str(&h, ",");
        sb_u64(&h, begin[i] + e->nbytes);
        sb_str(&h, "]}");
    }
    sb_str(&h, "}");
    while (!h.oom && h.len % 8)
        sb_str(&h, " "); /* 8 + len stays a multiple of 8 */
    if (h.oom) {
        s = rlc_error(RLC_ERR_NOMEM, "safetensors '%.300s': out of memory building the header",
                      path);
        goto done;
    }

    size_t plen = strlen(path);
    tmp = rlc_malloc(plen + 12);
    if (!tmp) {
        s = RLC_ERR_NOMEM;
        goto done;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    fd = mkstemp(tmp);
    if (fd < 0) {
        s = rlc_error(RLC_ERR_IO, "safetensors '%.300s': cannot create a temporary file: %s", path,
                      strerror(errno));
        rlc_free(tmp);
        tmp = NULL;
        goto done;
    }
    (void)fchmod(fd, 0644);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
    s = write_all(fd, len8, 8, path);
    if (!s) s = write_all(fd, h.p, h.len, path);
    for (int i = 0; !s && i < w->n; i++)
        if (w->e[order[i]].nbytes)
            s = write_all(fd, w->e[order[i]].data, w->e[order[i]].nbytes, path);
    if (s) goto done;
    if (fsync(fd) != 0) {
        s = rlc_error(RLC_ERR_IO, "safetensors '%.300s': fsync failed: %s", path, strerror(errno));
        goto done;
    }
    int rc = close(fd);
    fd = -1;
    if (rc != 0) {
        s = rlc_error(RLC_ERR_IO, "safetensors '%.300s': close failed: %s", path, strerror(errno));
        goto done;
    }
    if (rename(tmp, path) != 0) {
        s = rlc_error(RLC_ERR_IO, "safetensors '%.300s': rename from %.300s failed: %s", path, tmp,
                      strerror(errno));
        goto done;
    }
    rlc_free(tmp);
    tmp = NULL;
    fsync_dir_of(path);

done:
    if (fd >= 0) close(fd);
    if (tmp) {
        unlink(tmp);
        rlc_free(tmp);
    }
    rlc_free(h.p);
    rlc_free(begin);
    rlc_free(order);
    return s;
}

/* ---- reader ------------------------------------------------------------------------------ */

typedef struct st_kv {
    const char *key, *value;
} st_kv;

struct rlc_st_file {
    char *path;
    unsigned char *data; /* the data buffer (everything after the header) */
    size_t data_len;
    rlc_st_tensor *t;
    int n;
    int *by_name; /* tensor indices sorted by name */
    st_kv *meta;
    int nmeta;
    int64_t *dims;
    char *strings; /* names, metadata keys and values */
};

void rlc_st_file_destroy(rlc_st_file *f) {
    if (!f) return;
    rlc_free(f->path);
    rlc_free(f->data);
    rlc_free(f->t);
    rlc_free(f->by_name);
    rlc_free(f->meta);
    rlc_free(f->dims);
    rlc_free(f->strings);
    rlc_free(f);
}

/* A non-negative integer JSON number that a double holds exactly (< 2^53). */
static int json_uint(const cJSON *j, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return 0;
    double v = j->valuedouble;
    if (!(v >= 0.0 && v <= 9007199254740992.0) || v != (double)(uint64_t)v) return 0;
    *out = (uint64_t)v;
    return 1;
}

/* A header entry's name and index, sorted to find duplicates and to look tensors up. */
typedef struct name_ix {
    const char *name;
    int i;
} name_ix;

static int cmp_name_ix(const void *a, const void *b) {
    const name_ix *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Sorts v[n] by name; returns the first duplicated name or NULL. */
static const char *sort_find_dup(name_ix *v, int n) {
    if (n > 1) qsort(v, (size_t)n, sizeof *v, cmp_name_ix);
    for (int k = 1; k < n; k++)
        if (!strcmp(v[k - 1].name, v[k].name)) return v[k].name;
    return NULL;
}

/* A tensor's byte range in the data buffer. */
typedef struct span {
    uint64_t begin, end;
    int i;
} span;

static int cmp_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static rlc_status ent_err(const char *path, const cJSON *e, const char *what) {
    return rlc_error(RLC_ERR_FORMAT, "safetensors '%.300s': tensor '%.200s': %s", path, e->string,
                     what);
}

/* Reads exactly n bytes. */
static rlc_status read_exact(FILE *fp, void *dst, size_t n, const char *path) {
    if (n && fread(dst, 1, n, fp) != n) {
        if (ferror(fp))
            return rlc_error(RLC_ERR_IO, "safetensors '%.300s': read failed: %s", path,
                             strerror(errno));
        return rlc_error(RLC_ERR_IO, "safetensors '%.300s': file shrank while being read", path);
    }
    return RLC_OK;
}

/* Validates one tensor entry of the header: dtype, shape, offsets consistent with both. */
static rlc_status check_entry(const char *path, const cJSON *e, span *sp, int *ndim) {
    if (!cJSON_IsObject(e)) return ent_err(path, e, "entry is not an object");
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!jd) return ent_err(path, e, "missing dtype");
    if (!js) return ent_err(path, e, "missing shape");
    if (!jo) return ent_err(path, e, "missing data_offsets");
    if (!cJSON_IsString(jd)) return ent_err(path, e, "dtype is not a string");
    rlc_st_dtype dt;
    if (rlc_st_dtype_parse(jd->valuestring, &dt) != RLC_OK)
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': tensor '%.200s': unknown dtype '%.40s'", path,
                         e->string, jd->valuestring);
    if (!cJSON_IsArray(js)) return ent_err(path, e, "shape is not an array of integers >= 0");
    int64_t shape[RLC_ST_MAX_DIMS];
    int nd = 0;
    for (const cJSON *x = js->child; x; x = x->next) {
        uint64_t v;
        if (nd == RLC_ST_MAX_DIMS) return ent_err(path, e, "shape has more than 64 dimensions");
        if (!json_uint(x, &v)) return ent_err(path, e, "shape is not an array of integers >= 0");
        shape[nd++] = (int64_t)v;
    }
    uint64_t numel, b, en;
    size_t nbytes;
    if (shape_size(nd, shape, k_dtypes[dt].size, &numel, &nbytes) != 0)
        return rlc_error(RLC_ERR_RANGE, "safetensors '%.300s': tensor '%.200s': size overflows",
                         path, e->string);
    if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2 || !json_uint(jo->child, &b) ||
        !json_uint(jo->child->next, &en) || b > en)
        return ent_err(path, e, "data_offsets must be [begin, end], integers 0 <= begin <= end");
    if (en - b != (uint64_t)nbytes) {
        char sh[256];
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': tensor '%.200s': data_offsets [%llu, %llu] span "
                         "%llu bytes, but shape %s of %s needs %zu",
                         path, e->string, (unsigned long long)b, (unsigned long long)en,
                         (unsigned long long)(en - b), fmt_shape(sh, sizeof sh, nd, shape),
                         k_dtypes[dt].name, nbytes);
    }
    sp->begin = b;
    sp->end = en;
    *ndim = nd;
    return RLC_OK;
}

/* Checks that the spans tile [0, data_len) exactly; sorts them by offset. */
static rlc_status check_layout(const char *path, cJSON **ent, span *sp, int n, uint64_t data_len) {
    /* Offsets past both the file's data and the header's own total cannot come from truncation:
     * report them as out of bounds. Each size is < 2^53, so the total saturates instead of
     * overflowing only in absurd headers. */
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        uint64_t sz = sp[i].end - sp[i].begin;
        sum = sz > UINT64_MAX - sum ? UINT64_MAX : sum + sz;
    }
    for (int i = 0; i < n; i++)
        if (sp[i].end > data_len && sp[i].end > sum)
            return rlc_error(RLC_ERR_FORMAT,
                             "safetensors '%.300s': tensor '%.200s': data_offsets [%llu, %llu] "
                             "lie outside the data buffer (%llu bytes)",
                             path, ent[sp[i].i]->string, (unsigned long long)sp[i].begin,
                             (unsigned long long)sp[i].end, (unsigned long long)data_len);
    if (n > 1) qsort(sp, (size_t)n, sizeof *sp, cmp_span);
    uint64_t pos = 0;
    for (int k = 0; k < n; k++) {
        if (sp[k].begin < pos)
            return rlc_error(RLC_ERR_FORMAT,
                             "safetensors '%.300s': tensors '%.200s' and '%.200s' overlap "
                             "(bytes %llu..%llu)",
                             path, ent[sp[k - 1].i]->string, ent[sp[k].i]->string,
                             (unsigned long long)sp[k].begin, (unsigned long long)pos);
        if (sp[k].begin > pos)
            return rlc_error(RLC_ERR_FORMAT,
                             "safetensors '%.300s': tensors are not contiguous: gap of %llu "
                             "bytes before tensor '%.200s' at offset %llu",
                             path, (unsigned long long)(sp[k].begin - pos), ent[sp[k].i]->string,
                             (unsigned long long)sp[k].begin);
        pos = sp[k].end;
    }
    if (pos > data_len)
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': file is truncated: the header describes %llu "
                         "bytes of tensor data, only %llu follow it",
                         path, (unsigned long long)pos, (unsigned long long)data_len);
    if (pos < data_len)
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': %llu unexpected bytes after the last tensor", path,
                         (unsigned long long)(data_len - pos));
    return RLC_OK;
}

/* Reads the 8-byte length and the header text (NUL-terminated, into *hdr). */
static rlc_status read_header(FILE *fp, const char *path, char **hdr, uint64_t *hlen,
                              uint64_t *data_len) {
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
        return rlc_error(RLC_ERR_IO, "safetensors '%.300s': not a regular file", path);
    uint64_t fsize = (uint64_t)st.st_size;
    if (fsize < 8)
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': file is %llu bytes, shorter than the 8-byte "
                         "header length",
                         path, (unsigned long long)fsize);
    unsigned char len8[8];
    rlc_status s = read_exact(fp, len8, 8, path);
    if (s) return s;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | len8[i];
    if (n > RLC_ST_MAX_HEADER)
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': header length %llu exceeds the limit of %u bytes",
                         path, (unsigned long long)n, RLC_ST_MAX_HEADER);
    if (n > fsize - 8)
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': header length %llu exceeds the file size (%llu "
                         "bytes after the length field)",
                         path, (unsigned long long)n, (unsigned long long)(fsize - 8));
    if (fsize - 8 - n > SIZE_MAX)
        return rlc_error(RLC_ERR_RANGE, "safetensors '%.300s': file too large", path);
    char *h = rlc_malloc((size_t)n + 1);
    if (!h) return RLC_ERR_NOMEM;
    if ((s = read_exact(fp, h, (size_t)n, path))) {
        rlc_free(h);
        return s;
    }
    h[n] = 0;
    *hdr = h;
    *hlen = n;
    *data_len = fsize - 8 - n;
    return RLC_OK;
}

/* Parses the header: exactly one JSON object followed by nothing but whitespace. cJSON uses its
 * default allocator (no process-global hooks; see io/json_impl.h). */
static rlc_status parse_header(const char *path, const char *hdr, uint64_t hlen, cJSON **root) {
    cJSON *j = NULL;
    size_t at = 0;
    switch (rlc__json_parse(hdr, (size_t)hlen, &j, &at)) {
    case RLC__JSON_OK: break;
    case RLC__JSON_NOMEM:
        return rlc_error(RLC_ERR_NOMEM, "safetensors '%.300s': out of memory parsing the header",
                         path);
    case RLC__JSON_TRAILING:
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': header is not valid JSON (data after the "
                         "value at byte %zu)",
                         path, at);
    default:
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': header is not valid JSON (error near byte %zu of "
                         "%llu)",
                         path, at, (unsigned long long)hlen);
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return rlc_error(RLC_ERR_FORMAT, "safetensors '%.300s': header is not a JSON object", path);
    }
    *root = j;
    return RLC_OK;
}

/* Checks "__metadata__": an object whose values are all strings, keys unique. Counts the
 * entries and the bytes their strings need. */
static rlc_status check_meta(const char *path, const cJSON *meta, int *nmeta, size_t *bytes) {
    if (!cJSON_IsObject(meta))
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': __metadata__ is not an object of strings", path);
    int n = 0;
    for (const cJSON *m = meta->child; m; m = m->next) {
        if (!cJSON_IsString(m))
            return rlc_error(RLC_ERR_FORMAT,
                             "safetensors '%.300s': __metadata__ value of '%.200s' is not a "
                             "string",
                             path, m->string);
        *bytes += strlen(m->string) + strlen(m->valuestring) + 2;
        n++;
    }
    if (n > 1) {
        name_ix *v = rlc_malloc((size_t)n * sizeof *v);
        if (!v) return RLC_ERR_NOMEM;
        int k = 0;
        for (const cJSON *m = meta->child; m; m = m->next, k++)
            v[k] = (name_ix){m->string, k};
        const char *dup = sort_find_dup(v, n);
        rlc_status s = RLC_OK;
        if (dup)
            s = rlc_error(RLC_ERR_FORMAT, "safetensors '%.300s': duplicate metadata key '%.200s'",
                          path, dup);
        rlc_free(v);
        if (s) return s;
    }
    *nmeta = n;
    return RLC_OK;
}

rlc_status rlc_st_load(const char *path, rlc_st_file **out) {
    if (!path || !out) return rlc_error(RLC_ERR_INVALID, "safetensors: NULL path or output");
    if (*(const unsigned char *)&(uint16_t){1} != 1)
        return rlc_error(RLC_ERR_UNSUPPORTED, "safetensors: big-endian hosts are not supported");

    rlc_status s = RLC_OK;
    rlc_st_file *f = NULL;
    char *hdr = NULL;
    cJSON *root = NULL;
    cJSON **ent = NULL; /* tensor entries, header order */
    span *sp = NULL;    /* their byte ranges (index = header order until sorted) */
    name_ix *names = NULL;
    uint64_t hlen = 0, data_len = 0;

    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int err = errno;
        return rlc_error(err == ENOENT ? RLC_ERR_NOT_FOUND : RLC_ERR_IO,
                         "safetensors '%.300s': cannot open: %s", path, strerror(err));
    }
    if ((s = read_header(fp, path, &hdr, &hlen, &data_len))) goto done;
    if ((s = parse_header(path, hdr, hlen, &root))) goto done;

    /* Split the entries into tensors and at most one __metadata__. */
    int count = 0, n = 0, nmeta = 0;
    const cJSON *meta = NULL;
    for (const cJSON *e = root->child; e; e = e->next)
        count++;
    if (count > (1 << 28)) {
        s = rlc_error(RLC_ERR_RANGE, "safetensors '%.300s': too many header entries", path);
        goto done;
    }
    size_t cnt = count ? (size_t)count : 1;
    ent = rlc_malloc(cnt * sizeof *ent);
    sp = rlc_malloc(cnt * sizeof *sp);
    names = rlc_malloc(cnt * sizeof *names);
    if (!ent || !sp || !names) {
        s = RLC_ERR_NOMEM;
        goto done;
    }
    size_t str_bytes = 0, ndims_total = 0;
    for (cJSON *e = root->child; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") != 0) {
            names[n] = (name_ix){e->string, n};
            ent[n++] = e;
        } else if (meta) {
            s = rlc_error(RLC_ERR_FORMAT, "safetensors '%.300s': duplicate '__metadata__'", path);
            goto done;
        } else {
            meta = e;
        }
    }
    if (meta && (s = check_meta(path, meta, &nmeta, &str_bytes))) goto done;
    /* cJSON keeps both entries of a repeated key: refuse them. */
    const char *dup = sort_find_dup(names, n);
    if (dup) {
        s = rlc_error(RLC_ERR_FORMAT, "safetensors '%.300s': duplicate tensor name '%.200s'", path,
                      dup);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        int nd = 0;
        if ((s = check_entry(path, ent[i], &sp[i], &nd))) goto done;
        sp[i].i = i;
        ndims_total += (size_t)nd;
        str_bytes += strlen(ent[i]->string) + 1;
    }
    if ((s = check_layout(path, ent, sp, n, data_len))) goto done;

    /* Build the file object, then read the data. */
    f = rlc_calloc(1, sizeof *f);
    if (!f) {
        s = RLC_ERR_NOMEM;
        goto done;
    }
    size_t plen = strlen(path);
    f->path = rlc_malloc(plen + 1);
    f->data = rlc_malloc(data_len ? (size_t)data_len : 1);
    f->t = rlc_calloc(cnt, sizeof *f->t);
    f->by_name = rlc_malloc(cnt * sizeof *f->by_name);
    f->meta = rlc_calloc(nmeta ? (size_t)nmeta : 1, sizeof *f->meta);
    f->dims = rlc_malloc((ndims_total ? ndims_total : 1) * sizeof *f->dims);
    f->strings = rlc_malloc(str_bytes ? str_bytes : 1);
    if (!f->path || !f->data || !f->t || !f->by_name || !f->meta || !f->dims || !f->strings) {
        s = RLC_ERR_NOMEM;
        goto done;
    }
    memcpy(f->path, path, plen + 1);
    f->data_len = (size_t)data_len;
    char *str = f->strings;
    int64_t *dp = f->dims;
    for (int i = 0; i < n; i++) {
        const cJSON *e = ent[i];
        rlc_st_tensor *t = &f->t[i];
        size_t nl = strlen(e->string) + 1;
        memcpy(str, e->string, nl);
        t->name = str;
        str += nl;
        (void)rlc_st_dtype_parse(cJSON_GetObjectItemCaseSensitive(e, "dtype")->valuestring,
                                 &t->dtype);
        t->shape = dp;
        t->numel = 1;
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(e, "shape");
        for (const cJSON *x = js->child; x; x = x->next) {
            *dp++ = (int64_t)x->valuedouble;
            t->numel *= (int64_t)x->valuedouble;
            t->ndim++;
        }
    }
    for (int k = 0; k < n; k++) {
        rlc_st_tensor *t = &f->t[sp[k].i];
        t->nbytes = (size_t)(sp[k].end - sp[k].begin);
        t->data = f->data + sp[k].begin;
    }
    for (int k = 0; k < n; k++)
        f->by_name[k] = names[k].i; /* names is sorted */
    for (const cJSON *m = meta ? meta->child : NULL; m; m = m->next) {
        st_kv *kv = &f->meta[f->nmeta++];
        size_t kl = strlen(m->string) + 1, vl = strlen(m->valuestring) + 1;
        memcpy(str, m->string, kl);
        kv->key = str;
        str += kl;
        memcpy(str, m->valuestring, vl);
        kv->value = str;
        str += vl;
    }
    f->n = n;
    s = read_exact(fp, f->data, (size_t)data_len, path);

done:
    fclose(fp);
    cJSON_Delete(root);
    rlc_free(hdr);
    rlc_free(ent);
    rlc_free(sp);
    rlc_free(names);
    if (s == RLC_ERR_NOMEM && !strstr(rlc_last_error(), "safetensors"))
        rlc_error(RLC_ERR_NOMEM, "safetensors '%.300s': out of memory loading the file", path);
    if (s) {
        rlc_st_file_destroy(f);
        return s;
    }
    *out = f;
    return RLC_OK;
}

int rlc_st_count(const rlc_st_file *f) {
    return f ? f->n : 0;
}

const rlc_st_tensor *rlc_st_at(const rlc_st_file *f, int i) {
    return f && i >= 0 && i < f->n ? &f->t[i] : NULL;
}

const rlc_st_tensor *rlc_st_get(const rlc_st_file *f, const char *name) {
    if (!f || !name) return NULL;
    int lo = 0, hi = f->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const rlc_st_tensor *t = &f->t[f->by_name[mid]];
        int c = strcmp(t->name, name);
        if (!c) return t;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

const char *rlc_st_meta(const rlc_st_file *f, const char *key) {
    for (int i = 0; f && key && i < f->nmeta; i++)
        if (!strcmp(f->meta[i].key, key)) return f->meta[i].value;
    return NULL;
}

int rlc_st_meta_count(const rlc_st_file *f) {
    return f ? f->nmeta : 0;
}

rlc_status rlc_st_meta_at(const rlc_st_file *f, int i, const char **key, const char **value) {
    if (!f || i < 0 || i >= f->nmeta)
        return rlc_error(RLC_ERR_RANGE, "safetensors: metadata index %d out of range", i);
    if (key) *key = f->meta[i].key;
    if (value) *value = f->meta[i].value;
    return RLC_OK;
}

rlc_status rlc_st_read_into(const rlc_st_file *f, const char *name, rlc_st_dtype dt, int ndim,
                            const int64_t *shape, void *dst) {
    if (!f || !name) return rlc_error(RLC_ERR_INVALID, "safetensors: NULL file or name");
    const rlc_st_tensor *t = rlc_st_get(f, name);
    if (!t)
        return rlc_error(RLC_ERR_NOT_FOUND, "safetensors '%.300s': no tensor '%.200s'", f->path,
                         name);
    if (t->dtype != dt)
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': tensor '%.200s': dtype %s in file, expected %s",
                         f->path, name, rlc_st_dtype_name(t->dtype), rlc_st_dtype_name(dt));
    int same = ndim == t->ndim && (ndim == 0 || shape);
    for (int i = 0; same && i < ndim; i++)
        same = shape[i] == t->shape[i];
    if (!same) {
        char a[256], b[256];
        if (ndim < 0 || (ndim > 0 && !shape))
            snprintf(b, sizeof b, "(invalid, ndim %d)", ndim);
        else
            fmt_shape(b, sizeof b, ndim, shape);
        return rlc_error(RLC_ERR_FORMAT,
                         "safetensors '%.300s': tensor '%.200s': shape %s in file, expected %s",
                         f->path, name, fmt_shape(a, sizeof a, t->ndim, t->shape), b);
    }
    if (t->nbytes && !dst)
        return rlc_error(RLC_ERR_INVALID, "safetensors: NULL destination for tensor '%.200s'",
                         name);
    if (t->nbytes) memcpy(dst, t->data, t->nbytes);
    return RLC_OK;
}
