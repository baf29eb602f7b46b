/* Parameter and normaliser checkpoints through the safetensors module: one named tensor per
 * entry (plus optimizer state slots and step), validated completely before anything is
 * copied so a failed load leaves the model untouched. */
#include "nn/nn_impl.h"

#include "rlc/safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_CAP 256

static rlc_status full_name(char *buf, const char *prefix, const char *name, const char *slot) {
    int n = snprintf(buf, NAME_CAP, "%s%s%s%s", prefix ? prefix : "", name, slot ? "." : "",
                     slot ? slot : "");
    if (n < 0 || n >= NAME_CAP)
        return rlc_error(RLC_ERR_INVALID, "checkpoint: tensor name '%s%s' is too long",
                         prefix ? prefix : "", name);
    return RLC_OK;
}

static rlc_st_dtype st_dtype(rlc_dtype d) {
    return d == RLC_F64 ? RLC_ST_F64 : RLC_ST_F32;
}

rlc_status rlc_params_write(const rlc_params *p, rlc_st_writer *w, const char *prefix, int flags) {
    if (!p || !w) return rlc_error(RLC_ERR_INVALID, "rlc_params_write: NULL argument");
    int optim = (flags & RLC_CKPT_OPTIM) != 0;
    if (optim && !p->optim_name[0])
        return rlc_error(RLC_ERR_STATE, "rlc_params_write: optimizer state asked for, but no "
                                        "optimizer was created on these params");
    size_t es = p->dtype == RLC_F64 ? sizeof(double) : sizeof(float);
    char name[NAME_CAP];
    rlc_status st;
    for (int i = 0; i < p->n; i++) {
        const rlc_param_entry *e = &p->entries[i];
        int64_t shape[RLC_MAX_DIMS];
        for (int d = 0; d < e->ndim; d++)
            shape[d] = e->shape[d];
        for (int s = -1; s < (optim ? p->state_used : 0); s++) {
            if ((st = full_name(name, prefix, e->name, s < 0 ? NULL : p->state_names[s])))
                return st;
            const char *block = s < 0 ? p->data : p->state[s];
            st = rlc_st_writer_add(w, name, st_dtype(p->dtype), e->ndim, shape,
                                   block + (size_t)e->offset * es);
            if (st) return st;
        }
    }
    if (optim) {
        char key[NAME_CAP], val[32];
        if ((st = full_name(key, prefix, "optim", NULL))) return st;
        if ((st = rlc_st_writer_set_meta(w, key, p->optim_name))) return st;
        if ((st = full_name(key, prefix, "optim.step", NULL))) return st;
        snprintf(val, sizeof val, "%lld", (long long)p->optim_step);
        if ((st = rlc_st_writer_set_meta(w, key, val))) return st;
    }
    return RLC_OK;
}

rlc_status rlc_params_save(const rlc_params *p, const char *path, const char *prefix, int flags) {
    if (!p || !path) return rlc_error(RLC_ERR_INVALID, "rlc_params_save: NULL argument");
    rlc_st_writer *w = rlc_st_writer_create();
    if (!w) return RLC_ERR_NOMEM;
    rlc_status st = rlc_params_write(p, w, prefix, flags);
    if (!st) st = rlc_st_writer_save(w, path);
    rlc_st_writer_destroy(w);
    return st;
}

static void shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t off = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && off < cap; d++)
        off += (size_t)snprintf(buf + off, cap - off, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (off < cap) snprintf(buf + off, cap - off, "]");
}

/* Finds `name` and checks dtype and shape; the message names the tensor and both shapes. */
static rlc_status check_tensor(const rlc_st_file *f, const char *name, rlc_st_dtype dt, int ndim,
                               const int64_t *shape, const rlc_st_tensor **out) {
    const rlc_st_tensor *t = rlc_st_get(f, name);
    if (!t) return rlc_error(RLC_ERR_NOT_FOUND, "checkpoint: tensor '%s' is missing", name);
    if (t->dtype != dt)
        return rlc_error(RLC_ERR_FORMAT, "tensor '%s': dtype %s in file, expected %s", name,
                         rlc_st_dtype_name(t->dtype), rlc_st_dtype_name(dt));
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++)
        same = t->shape[d] == shape[d];
    if (!same) {
        char a[128], b[128];
        shape_str(a, sizeof a, t->ndim, t->shape);
        shape_str(b, sizeof b, ndim, shape);
        return rlc_error(RLC_ERR_FORMAT, "tensor '%s': shape %s in file, expected %s", name, a, b);
    }
    *out = t;
    return RLC_OK;
}

rlc_status rlc_params_read(rlc_params *p, const rlc_st_file *f, const char *prefix, int flags) {
    if (!p || !f) return rlc_error(RLC_ERR_INVALID, "rlc_params_read: NULL argument");
    int optim = (flags & RLC_CKPT_OPTIM) != 0;
    char name[NAME_CAP];
    rlc_status st;
    long long step = 0;
    if (optim) {
        if (!p->optim_name[0])
            return rlc_error(RLC_ERR_STATE, "rlc_params_read: create the optimizer on these "
                                            "params before loading its state");
        if ((st = full_name(name, prefix, "optim", NULL))) return st;
        const char *kind = rlc_st_meta(f, name);
        if (!kind)
            return rlc_error(RLC_ERR_NOT_FOUND,
                             "checkpoint: metadata '%s' is missing (saved "
                             "without optimizer state?)",
                             name);
        if (strcmp(kind, p->optim_name))
            return rlc_error(RLC_ERR_FORMAT,
                             "checkpoint: optimizer '%s' in file, but the "
                             "params have a '%s' optimizer",
                             kind, p->optim_name);
        if ((st = full_name(name, prefix, "optim.step", NULL))) return st;
        const char *sv = rlc_st_meta(f, name);
        char *end = NULL;
        errno = 0;
        if (sv) step = strtoll(sv, &end, 10);
        if (!sv || !*sv || *end || errno || step < 0)
            return rlc_error(RLC_ERR_FORMAT, "checkpoint: metadata '%s' is %s%s%s", name,
                             sv ? "'" : "missing", sv ? sv : "", sv ? "', not a step count" : "");
    }
    /* Pass 1: every tensor present with the right dtype and shape. */
    size_t es = p->dtype == RLC_F64 ? sizeof(double) : sizeof(float);
    int nsl = optim ? p->state_used : 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < p->n; i++) {
            const rlc_param_entry *e = &p->entries[i];
            int64_t shape[RLC_MAX_DIMS];
            for (int d = 0; d < e->ndim; d++)
                shape[d] = e->shape[d];
            for (int s = -1; s < nsl; s++) {
                if ((st = full_name(name, prefix, e->name, s < 0 ? NULL : p->state_names[s])))
                    return st;
                const rlc_st_tensor *t;
                if ((st = check_tensor(f, name, st_dtype(p->dtype), e->ndim, shape, &t))) return st;
                if (pass == 1) { /* Pass 2: copy (cannot fail any more). */
                    char *block = s < 0 ? p->data : p->state[s];
                    memcpy(block + (size_t)e->offset * es, t->data, t->nbytes);
                }
            }
        }
    }
    if (optim) p->optim_step = step;
    return RLC_OK;
}

rlc_status rlc_params_load(rlc_params *p, const char *path, const char *prefix, int flags) {
    if (!p || !path) return rlc_error(RLC_ERR_INVALID, "rlc_params_load: NULL argument");
    rlc_st_file *f = NULL;
    rlc_status st = rlc_st_load(path, &f);
    if (st) return st;
    st = rlc_params_read(p, f, prefix, flags);
    rlc_st_file_destroy(f);
    return st;
}

/* ---- normaliser ---- */

rlc_status rlc__normalizer_write(const rlc_normalizer *n, rlc_st_writer *w, const char *prefix,
                                 const double *mean, const double *var, double count, int dim);
rlc_status rlc__normalizer_check(const rlc_st_file *f, const char *prefix, int dim,
                                 const double **mean, const double **var, double *count);

rlc_status rlc__normalizer_write(const rlc_normalizer *n, rlc_st_writer *w, const char *prefix,
                                 const double *mean, const double *var, double count, int dim) {
    (void)n;
    char name[NAME_CAP];
    int64_t shape = dim, one = 1;
    rlc_status st;
    if ((st = full_name(name, prefix, "mean", NULL))) return st;
    if ((st = rlc_st_writer_add_copy(w, name, RLC_ST_F64, 1, &shape, mean))) return st;
    if ((st = full_name(name, prefix, "var", NULL))) return st;
    if ((st = rlc_st_writer_add_copy(w, name, RLC_ST_F64, 1, &shape, var))) return st;
    if ((st = full_name(name, prefix, "count", NULL))) return st;
    return rlc_st_writer_add_copy(w, name, RLC_ST_F64, 1, &one, &count);
}

rlc_status rlc__normalizer_check(const rlc_st_file *f, const char *prefix, int dim,
                                 const double **mean, const double **var, double *count) {
    char name[NAME_CAP];
    int64_t shape = dim, one = 1;
    const rlc_st_tensor *tm, *tv, *tc;
    rlc_status st;
    if ((st = full_name(name, prefix, "mean", NULL))) return st;
    if ((st = check_tensor(f, name, RLC_ST_F64, 1, &shape, &tm))) return st;
    if ((st = full_name(name, prefix, "var", NULL))) return st;
    if ((st = check_tensor(f, name, RLC_ST_F64, 1, &shape, &tv))) return st;
    if ((st = full_name(name, prefix, "count", NULL))) return st;
    if ((st = check_tensor(f, name, RLC_ST_F64, 1, &one, &tc))) return st;
    double c;
    memcpy(&c, tc->data, sizeof c);
    if (!(c >= 0) || c > 1e300)
        return rlc_error(RLC_ERR_RANGE, "checkpoint: normaliser count %g is invalid", c);
    for (int j = 0; j < dim; j++) {
        double v;
        memcpy(&v, (const char *)tv->data + (size_t)j * sizeof v, sizeof v);
        if (!(v >= 0) || v > 1e300)
            return rlc_error(RLC_ERR_RANGE, "checkpoint: normaliser variance %g at %d is invalid",
                             v, j);
    }
    *mean = tm->data;
    *var = tv->data;
    *count = c;
    return RLC_OK;
}
