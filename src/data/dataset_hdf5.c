/* Minari (main_data.hdf5 + metadata.json) and D4RL (flat gzip datasets) files through libhdf5,
 * written to a temporary name and renamed; without RLC_HAVE_HDF5 the calls are refused. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rlc/dataset.h"

int rlc_dataset_have_hdf5(void) {
#ifdef RLC_HAVE_HDF5
    return 1;
#else
    return 0;
#endif
}

#ifndef RLC_HAVE_HDF5

#define NO_HDF5(fn)                                                                                \
    rlc_error(RLC_ERR_UNSUPPORTED,                                                                 \
              "%s: rlc was built without libhdf5 (install libhdf5-dev and "                        \
              "build with -DRLC_HAVE_HDF5=1 and the hdf5-serial pkg-config flags)",                \
              fn)

rlc_status rlc_dataset_save_minari(const rlc_dataset *d, const char *dir) {
    (void)d;
    (void)dir;
    return NO_HDF5("rlc_dataset_save_minari");
}
rlc_status rlc_dataset_load_minari(rlc_dataset **out, const char *path) {
    (void)out;
    (void)path;
    return NO_HDF5("rlc_dataset_load_minari");
}
rlc_status rlc_dataset_save_d4rl(const rlc_dataset *d, const char *path) {
    (void)d;
    (void)path;
    return NO_HDF5("rlc_dataset_save_d4rl");
}
rlc_status rlc_dataset_load_d4rl(rlc_dataset **out, const char *path) {
    (void)out;
    (void)path;
    return NO_HDF5("rlc_dataset_load_d4rl");
}
rlc_status rlc_dataset_load(rlc_dataset **out, const char *path) {
    (void)out;
    (void)path;
    return NO_HDF5("rlc_dataset_load");
}

#else

#include <cJSON.h>
#include <hdf5.h>

rlc_status rlc__dataset_set_space_json(rlc_dataset *d, const char *obs_json, const char *act_json);

/* HDF5 prints its error stack to stderr by default; rlc reports through rlc_last_error. */
typedef struct quiet {
    H5E_auto2_t fn;
    void *data;
} quiet;

static void quiet_on(quiet *q) {
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const quiet *q) {
    H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
}

/* ---------------------------------------------------------------------------------------
 * Writing helpers
 * ------------------------------------------------------------------------------------- */

/* h5py's bool: an enum over int8 with FALSE = 0, TRUE = 1. */
static hid_t bool_type(void) {
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t v = 0;
    H5Tenum_insert(t, "FALSE", &v);
    v = 1;
    H5Tenum_insert(t, "TRUE", &v);
    return t;
}

/* Creates a chunked dataset (first dimension unlimited, as Minari creates them; gzip level 4
 * when `gzip`) and writes `data` of memory type `mem`. Returns 0 or -1. */
static int write_ds(hid_t loc, const char *name, hid_t file_type, hid_t mem, int rank,
                    const hsize_t *dims, const void *data, int gzip) {
    hsize_t maxd[2] = {H5S_UNLIMITED, rank > 1 ? dims[1] : 0}, chunk[2];
    chunk[0] = dims[0] < 1 ? 1 : (dims[0] > 4096 ? 4096 : dims[0]);
    if (rank > 1) chunk[1] = dims[1] < 1 ? 1 : dims[1];
    hid_t sp = H5Screate_simple(rank, dims, maxd);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    int rc = -1;
    if (sp < 0 || pl < 0 || H5Pset_chunk(pl, rank, chunk) < 0) goto done;
    if (gzip && H5Pset_deflate(pl, 4) < 0) goto done;
    hid_t ds = H5Dcreate2(loc, name, file_type, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (ds < 0) goto done;
    rc = (dims[0] == 0 || H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0) ? 0 : -1;
    H5Dclose(ds);
done:
    if (pl >= 0) H5Pclose(pl);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

static int attr_i64(hid_t loc, const char *name, int64_t v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0) ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

static int attr_f64(hid_t loc, const char *name, double v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &v) >= 0) ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

/* Variable-length UTF-8 string attribute (h5py reads it as str). */
static int attr_str(hid_t loc, const char *name, const char *v) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, t, &v) >= 0) ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

static int mkdir_p(const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            buf[i] = c;
        }
    return 0;
}

static rlc_status commit(const char *tmp, const char *path) {
    if (rename(tmp, path)) {
        int e = errno;
        remove(tmp);
        return rlc_error(RLC_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return RLC_OK;
}

static hid_t obs_file_type(const rlc_dataset *d) {
    return rlc_dataset_meta_get(d)->obs_dtype == RLC_SPACE_FLOAT64 ? H5T_IEEE_F64LE
                                                                   : H5T_IEEE_F32LE;
}

/* Discrete actions as int64 (T,), others float32 (T, act_dim). */
static int write_actions(hid_t loc, const rlc_dataset *d, const float *a, int64_t T, int gzip) {
    const rlc_dataset_meta *m = rlc_dataset_meta_get(d);
    int64_t ad = rlc_dataset_act_dim(d);
    if (m->discrete_actions && ad == 1) {
        int64_t *ia = rlc_malloc(sizeof(int64_t) * (size_t)(T ? T : 1));
        if (!ia) return -1;
        for (int64_t i = 0; i < T; i++)
            ia[i] = (int64_t)llround(a[i]);
        hsize_t dims[1] = {(hsize_t)T};
        int rc = write_ds(loc, "actions", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, ia, gzip);
        rlc_free(ia);
        return rc;
    }
    hsize_t dims[2] = {(hsize_t)T, (hsize_t)ad};
    return write_ds(loc, "actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, a, gzip);
}

static char *metadata_json(const rlc_dataset *d) {
    const rlc_dataset_meta *m = rlc_dataset_meta_get(d);
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddNumberToObject(j, "total_episodes", (double)rlc_dataset_num_episodes(d));
    cJSON_AddNumberToObject(j, "total_steps", (double)rlc_dataset_num_steps(d));
    cJSON_AddStringToObject(j, "dataset_id", m->dataset_id);
    cJSON_AddStringToObject(j, "data_format", "hdf5");
    cJSON_AddBoolToObject(j, "jpeg_encoding", 0);
    cJSON_AddStringToObject(j, "minari_version", "0.5.3");
    cJSON_AddStringToObject(j, "algorithm_name", m->algorithm[0] ? m->algorithm : "unknown");
    cJSON_AddStringToObject(j, "author", "rlc");
    cJSON_AddStringToObject(j, "code_permalink", "https://github.com/rlc/rlc");
    cJSON_AddItemToObject(j, "requirements", cJSON_CreateArray());
    if (rlc_dataset_space_json(d, 0)[0])
        cJSON_AddStringToObject(j, "observation_space", rlc_dataset_space_json(d, 0));
    if (rlc_dataset_space_json(d, 1)[0])
        cJSON_AddStringToObject(j, "action_space", rlc_dataset_space_json(d, 1));
    if (m->env_id[0]) {
        char spec[512];
        snprintf(spec, sizeof spec,
                 "{\"id\": \"%s\", \"entry_point\": null, \"reward_threshold\": null, "
                 "\"nondeterministic\": false, \"max_episode_steps\": null, \"order_enforce\": "
                 "true, \"disable_env_checker\": false, \"kwargs\": {}, \"additional_wrappers\": "
                 "[], \"vector_entry_point\": null}",
                 m->env_id);
        cJSON_AddStringToObject(j, "env_spec", spec);
    }
    if (isfinite(m->ref_min_score) && isfinite(m->ref_max_score)) {
        cJSON_AddNumberToObject(j, "ref_min_score", m->ref_min_score);
        cJSON_AddNumberToObject(j, "ref_max_score", m->ref_max_score);
    }
    char *s = cJSON_Print(j);
    cJSON_Delete(j);
    return s;
}

rlc_status rlc_dataset_save_minari(const rlc_dataset *d, const char *dir) {
    if (!d || !dir) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_save_minari: NULL");
    if (rlc_dataset_num_episodes(d) == 0)
        return rlc_error(RLC_ERR_STATE, "rlc_dataset_save_minari: the dataset has no episodes");
    char data_dir[4096], path[4200], tmp[4300], mpath[4200], mtmp[4300];
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    if (mkdir_p(data_dir))
        return rlc_error(RLC_ERR_IO, "cannot create folder %s: %s", data_dir, strerror(errno));
    snprintf(path, sizeof path, "%s/main_data.hdf5", data_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    snprintf(mpath, sizeof mpath, "%s/metadata.json", data_dir);
    snprintf(mtmp, sizeof mtmp, "%s.tmp.%ld", mpath, (long)getpid());

    quiet q;
    quiet_on(&q);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        quiet_off(&q);
        return rlc_error(RLC_ERR_IO, "cannot create HDF5 file %s", tmp);
    }
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    hid_t bt = bool_type();
    int bad = 0;
    for (int64_t e = 0; e < v.num_episodes && !bad; e++) {
        char name[64];
        snprintf(name, sizeof name, "episode_%lld", (long long)e);
        hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) {
            bad = 1;
            break;
        }
        int64_t a = v.episode_offsets[e], T = v.episode_offsets[e + 1] - a;
        double *r = rlc_malloc(sizeof(double) * (size_t)T);
        hsize_t od[2] = {(hsize_t)(T + 1), (hsize_t)v.obs_dim}, td[1] = {(hsize_t)T};
        bad = !r || attr_i64(g, "id", e) || attr_i64(g, "total_steps", T) ||
              write_ds(g, "observations", obs_file_type(d), H5T_NATIVE_FLOAT, 2, od,
                       v.observations + (a + e) * v.obs_dim, 0) ||
              write_actions(g, d, v.actions + a * v.act_dim, T, 0);
        if (!bad) {
            for (int64_t t = 0; t < T; t++)
                r[t] = v.rewards[a + t];
            bad = write_ds(g, "rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, td, r, 0) ||
                  write_ds(g, "terminations", bt, bt, 1, td, v.terminations + a, 0) ||
                  write_ds(g, "truncations", bt, bt, 1, td, v.truncations + a, 0);
        }
        rlc_free(r);
        H5Gclose(g);
    }
    H5Tclose(bt);
    if (H5Fclose(f) < 0) bad = 1;
    quiet_off(&q);
    if (bad) {
        remove(tmp);
        return rlc_error(RLC_ERR_IO, "writing %s failed (disk full or HDF5 error)", tmp);
    }
    char *js = metadata_json(d);
    if (!js) {
        remove(tmp);
        return rlc_error(RLC_ERR_NOMEM, "rlc_dataset_save_minari: out of memory");
    }
    FILE *fp = fopen(mtmp, "w");
    int ok = fp && fputs(js, fp) >= 0 && fputc('\n', fp) != EOF;
    if (fp && fclose(fp)) ok = 0;
    cJSON_free(js);
    if (!ok) {
        remove(tmp);
        remove(mtmp);
        return rlc_error(RLC_ERR_IO, "cannot write %s", mtmp);
    }
    rlc_status st = commit(tmp, path);
    if (st) {
        remove(mtmp);
        return st;
    }
    return commit(mtmp, mpath);
}

rlc_status rlc_dataset_save_d4rl(const rlc_dataset *d, const char *path) {
    if (!d || !path) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_save_d4rl: NULL");
    if (rlc_dataset_num_episodes(d) == 0)
        return rlc_error(RLC_ERR_STATE, "rlc_dataset_save_d4rl: the dataset has no episodes");
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    int64_t N = v.num_steps, od = v.obs_dim;
    float *o = rlc_malloc(sizeof(float) * (size_t)(N * od));
    float *no = rlc_malloc(sizeof(float) * (size_t)(N * od));
    uint8_t *to = rlc_malloc((size_t)N);
    if (!o || !no || !to) {
        rlc_free(o);
        rlc_free(no);
        rlc_free(to);
        return rlc_error(RLC_ERR_NOMEM, "rlc_dataset_save_d4rl: out of memory");
    }
    for (int64_t e = 0; e < v.num_episodes; e++)
        for (int64_t t = v.episode_offsets[e]; t < v.episode_offsets[e + 1]; t++) {
            memcpy(o + t * od, v.observations + (t + e) * od, sizeof(float) * (size_t)od);
            memcpy(no + t * od, v.observations + (t + e + 1) * od, sizeof(float) * (size_t)od);
            to[t] = v.truncations[t];
            if (t == v.episode_offsets[e + 1] - 1 && !v.terminations[t]) to[t] = 1;
        }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    quiet q;
    quiet_on(&q);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int bad = f < 0;
    if (!bad) {
        const rlc_dataset_meta *m = rlc_dataset_meta_get(d);
        hid_t bt = bool_type();
        hsize_t d2[2] = {(hsize_t)N, (hsize_t)od}, d1[1] = {(hsize_t)N};
        bad = write_ds(f, "observations", obs_file_type(d), H5T_NATIVE_FLOAT, 2, d2, o, 1) ||
              write_ds(f, "next_observations", obs_file_type(d), H5T_NATIVE_FLOAT, 2, d2, no, 1) ||
              write_actions(f, d, v.actions, N, 1) ||
              write_ds(f, "rewards", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1, v.rewards, 1) ||
              write_ds(f, "terminals", bt, bt, 1, d1, v.terminations, 1) ||
              write_ds(f, "timeouts", bt, bt, 1, d1, to, 1) || attr_str(f, "env_id", m->env_id) ||
              attr_str(f, "dataset_id", m->dataset_id) || attr_str(f, "algorithm", m->algorithm) ||
              (isfinite(m->ref_min_score) && isfinite(m->ref_max_score) &&
               (attr_f64(f, "ref_min_score", m->ref_min_score) ||
                attr_f64(f, "ref_max_score", m->ref_max_score))) ||
              (rlc_dataset_space_json(d, 0)[0] &&
               attr_str(f, "observation_space", rlc_dataset_space_json(d, 0))) ||
              (rlc_dataset_space_json(d, 1)[0] &&
               attr_str(f, "action_space", rlc_dataset_space_json(d, 1)));
        H5Tclose(bt);
        if (H5Fclose(f) < 0) bad = 1;
    }
    quiet_off(&q);
    rlc_free(o);
    rlc_free(no);
    rlc_free(to);
    if (bad) {
        remove(tmp);
        return rlc_error(RLC_ERR_IO, "writing %s failed (cannot create, disk full or HDF5 error)",
                         tmp);
    }
    return commit(tmp, path);
}

/* ---------------------------------------------------------------------------------------
 * Reading helpers
 * ------------------------------------------------------------------------------------- */

typedef struct col {
    int rank;
    hsize_t dims[4];
    H5T_class_t cls;
    void *data; /* float (as_float) or uint8 */
} col;

static void shape_str(const col *c, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < c->rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%llu", i ? ", " : "",
                              (unsigned long long)c->dims[i]);
    if (n < cap) snprintf(buf + n, cap - n, "%s)", c->rank == 1 ? "," : "");
}

/* Reads dataset `name` under `loc` (named `where` in messages) as floats (kind 0) or uint8
 * flags (kind 1), or int64 read as float (actions). */
static rlc_status read_col(hid_t loc, const char *file, const char *where, const char *name,
                           int kind, int required, col *c) {
    memset(c, 0, sizeof *c);
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0) {
        if (!required) return RLC_ERR_NOT_FOUND;
        return rlc_error(RLC_ERR_FORMAT, "%s: dataset '%s%s' is missing", file, where, name);
    }
    H5O_info_t oi;
    if (H5Oget_info_by_name(loc, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_DATASET)
        return rlc_error(RLC_ERR_FORMAT,
                         "%s: '%s%s' is not a dataset (nested Dict/Tuple spaces are not supported)",
                         file, where, name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return rlc_error(RLC_ERR_FORMAT, "%s: cannot open dataset '%s%s'", file, where, name);
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    c->cls = H5Tget_class(ty);
    int rank = H5Sget_simple_extent_ndims(sp);
    rlc_status st = RLC_OK;
    if (rank < 1 || rank > 4) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: dataset '%s%s' has rank %d (expected 1 to 4)", file,
                       where, name, rank);
        goto done;
    }
    c->rank = rank;
    H5Sget_simple_extent_dims(sp, c->dims, NULL);
    if (c->cls != H5T_FLOAT && c->cls != H5T_INTEGER && c->cls != H5T_ENUM) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: dataset '%s%s' has a non-numeric type (class %d)", file,
                       where, name, (int)c->cls);
        goto done;
    }
    hsize_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= c->dims[i];
    size_t es = kind == 1 ? 1 : sizeof(float);
    c->data = rlc_malloc(es * (size_t)(n ? n : 1));
    if (!c->data) {
        st = RLC_ERR_NOMEM;
        goto done;
    }
    if (n && H5Dread(ds, kind == 1 ? H5T_NATIVE_UINT8 : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                     H5P_DEFAULT, c->data) < 0) {
        rlc_free(c->data);
        c->data = NULL;
        st = rlc_error(RLC_ERR_FORMAT, "%s: cannot read dataset '%s%s' as %s", file, where, name,
                       kind == 1 ? "bool/uint8" : "float32");
    }
done:
    H5Tclose(ty);
    H5Sclose(sp);
    H5Dclose(ds);
    return st;
}

static void col_free(col *c) {
    rlc_free(c->data);
    c->data = NULL;
}

static int64_t tail_size(const col *c) {
    int64_t n = 1;
    for (int i = 1; i < c->rank; i++)
        n *= (int64_t)c->dims[i];
    return n;
}

static int is_dir(const char *p) {
    struct stat s;
    return !stat(p, &s) && S_ISDIR(s.st_mode);
}

static int is_file(const char *p) {
    struct stat s;
    return !stat(p, &s) && S_ISREG(s.st_mode);
}

static void copy_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Reads metadata.json next to the HDF5 file (optional). */
static rlc_status read_metadata(rlc_dataset *d, const char *mpath) {
    FILE *fp = fopen(mpath, "rb");
    if (!fp) return RLC_OK;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    if (n < 0 || n > (1L << 28)) {
        fclose(fp);
        return rlc_error(RLC_ERR_FORMAT, "%s: unreadable or too large", mpath);
    }
    char *buf = rlc_malloc((size_t)n + 1);
    if (!buf) {
        fclose(fp);
        return RLC_ERR_NOMEM;
    }
    size_t got = fread(buf, 1, (size_t)n, fp);
    fclose(fp);
    buf[got] = 0;
    /* Python's json writes NaN/Infinity for non-finite scores; cJSON does not parse them. */
    for (char *p = buf; (p = strstr(p, "NaN"));)
        memcpy(p, "0.0", 3);
    for (char *p = buf; (p = strstr(p, "Infinity"));)
        memcpy(p, "1e999999", 8);
    cJSON *j = cJSON_Parse(buf);
    rlc_free(buf);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return rlc_error(RLC_ERR_FORMAT, "%s: not a JSON object", mpath);
    }
    rlc_dataset_meta *m = rlc_dataset_meta_of(d);
    const cJSON *x;
    if ((x = cJSON_GetObjectItem(j, "dataset_id")) && cJSON_IsString(x))
        copy_str(m->dataset_id, sizeof m->dataset_id, x->valuestring);
    if ((x = cJSON_GetObjectItem(j, "algorithm_name")) && cJSON_IsString(x))
        copy_str(m->algorithm, sizeof m->algorithm, x->valuestring);
    const cJSON *lo = cJSON_GetObjectItem(j, "ref_min_score");
    const cJSON *hi = cJSON_GetObjectItem(j, "ref_max_score");
    if (cJSON_IsNumber(lo) && cJSON_IsNumber(hi)) {
        m->ref_min_score = lo->valuedouble;
        m->ref_max_score = hi->valuedouble;
    }
    if ((x = cJSON_GetObjectItem(j, "env_spec")) && cJSON_IsString(x)) {
        cJSON *spec = cJSON_Parse(x->valuestring);
        const cJSON *id = spec ? cJSON_GetObjectItem(spec, "id") : NULL;
        if (cJSON_IsString(id)) copy_str(m->env_id, sizeof m->env_id, id->valuestring);
        cJSON_Delete(spec);
    }
    const cJSON *os = cJSON_GetObjectItem(j, "observation_space");
    const cJSON *as = cJSON_GetObjectItem(j, "action_space");
    rlc_status st = rlc__dataset_set_space_json(d, cJSON_IsString(os) ? os->valuestring : NULL,
                                                cJSON_IsString(as) ? as->valuestring : NULL);
    if (cJSON_IsString(as)) {
        cJSON *sp = cJSON_Parse(as->valuestring);
        const cJSON *ty = sp ? cJSON_GetObjectItem(sp, "type") : NULL;
        const cJSON *nn = sp ? cJSON_GetObjectItem(sp, "n") : NULL;
        if (cJSON_IsString(ty) && !strcmp(ty->valuestring, "Discrete") && cJSON_IsNumber(nn)) {
            m->discrete_actions = 1;
            m->num_actions = (int64_t)nn->valuedouble;
        }
        cJSON_Delete(sp);
    }
    if (cJSON_IsString(os) && strstr(os->valuestring, "\"float64\""))
        m->obs_dtype = RLC_SPACE_FLOAT64;
    cJSON_Delete(j);
    return st;
}

/* Resolves a Minari path (folder, data folder or file) to main_data.hdf5 and metadata.json. */
static rlc_status minari_paths(const char *path, char *h5, char *meta, size_t cap) {
    if (is_dir(path)) {
        snprintf(h5, cap, "%s/data/main_data.hdf5", path);
        if (!is_file(h5)) snprintf(h5, cap, "%s/main_data.hdf5", path);
        if (!is_file(h5))
            return rlc_error(RLC_ERR_IO,
                             "%s: no data/main_data.hdf5 or main_data.hdf5 in this "
                             "folder",
                             path);
    } else if (is_file(path)) {
        snprintf(h5, cap, "%s", path);
    } else {
        return rlc_error(RLC_ERR_IO, "%s: no such file or folder", path);
    }
    snprintf(meta, cap, "%s", h5);
    char *slash = strrchr(meta, '/');
    if (slash)
        snprintf(slash + 1, cap - (size_t)(slash + 1 - meta), "metadata.json");
    else
        snprintf(meta, cap, "metadata.json");
    return RLC_OK;
}

static rlc_status load_minari_file(rlc_dataset **out, hid_t f, const char *h5, const char *mp) {
    rlc_dataset *d = NULL;
    rlc_status st = RLC_OK;
    col o, a, r, te, tr;
    memset(&o, 0, sizeof o);
    memset(&a, 0, sizeof a);
    memset(&r, 0, sizeof r);
    memset(&te, 0, sizeof te);
    memset(&tr, 0, sizeof tr);
    int64_t E = 0;
    for (;; E++) {
        char name[64];
        snprintf(name, sizeof name, "episode_%lld", (long long)E);
        if (H5Lexists(f, name, H5P_DEFAULT) <= 0) break;
    }
    if (E == 0)
        return rlc_error(RLC_ERR_FORMAT, "%s: no group 'episode_0' (not a Minari file)", h5);
    int discrete = 0;
    for (int64_t e = 0; e < E && !st; e++) {
        char name[64], where[80], s1[96], s2[96];
        snprintf(name, sizeof name, "episode_%lld", (long long)e);
        snprintf(where, sizeof where, "%s/", name);
        hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
        if (g < 0) {
            st = rlc_error(RLC_ERR_FORMAT, "%s: '%s' is not a group", h5, name);
            break;
        }
        if ((st = read_col(g, h5, where, "observations", 0, 1, &o)) ||
            (st = read_col(g, h5, where, "actions", 0, 1, &a)) ||
            (st = read_col(g, h5, where, "rewards", 0, 1, &r)) ||
            (st = read_col(g, h5, where, "terminations", 1, 1, &te)) ||
            (st = read_col(g, h5, where, "truncations", 1, 1, &tr))) {
            H5Gclose(g);
            break;
        }
        H5Gclose(g);
        int64_t T = (int64_t)a.dims[0];
        shape_str(&o, s1, sizeof s1);
        shape_str(&a, s2, sizeof s2);
        if (T < 1) {
            st = rlc_error(RLC_ERR_FORMAT,
                           "%s: '%sactions' has shape %s: an episode needs at "
                           "least one step",
                           h5, where, s2);
        } else if (o.dims[0] != (hsize_t)T + 1) {
            st = rlc_error(RLC_ERR_FORMAT,
                           "%s: '%sobservations' has shape %s but '%sactions' has %lld rows: "
                           "Minari stores T+1 = %lld observation rows (the reset observation "
                           "first)",
                           h5, where, s1, where, (long long)T, (long long)T + 1);
        } else if (r.rank != 1 || r.dims[0] != (hsize_t)T || te.rank != 1 ||
                   te.dims[0] != (hsize_t)T || tr.rank != 1 || tr.dims[0] != (hsize_t)T) {
            col *bad = r.rank != 1 || r.dims[0] != (hsize_t)T ? &r
                       : te.rank != 1 || te.dims[0] != (hsize_t)T ? &te
                                                                  : &tr;
            const char *nm = bad == &r ? "rewards" : bad == &te ? "terminations" : "truncations";
            shape_str(bad, s1, sizeof s1);
            st = rlc_error(RLC_ERR_FORMAT, "%s: '%s%s' has shape %s, expected (%lld,)", h5, where,
                           nm, s1, (long long)T);
        } else {
            int64_t od = tail_size(&o), ad = tail_size(&a);
            if (!d) {
                discrete = a.rank == 1 && (a.cls == H5T_INTEGER);
                d = rlc_dataset_create(od, ad);
                if (!d) st = RLC_ERR_NOMEM;
            } else if (od != rlc_dataset_obs_dim(d) || ad != rlc_dataset_act_dim(d)) {
                st =
                    rlc_error(RLC_ERR_FORMAT,
                              "%s: '%s' has obs/action sizes %lld/%lld, episode_0 "
                              "has %lld/%lld",
                              h5, name, (long long)od, (long long)ad,
                              (long long)rlc_dataset_obs_dim(d), (long long)rlc_dataset_act_dim(d));
            }
            if (!st) st = rlc_dataset_add_episode(d, T, o.data, a.data, r.data, te.data, tr.data);
        }
        col_free(&o);
        col_free(&a);
        col_free(&r);
        col_free(&te);
        col_free(&tr);
    }
    col_free(&o);
    col_free(&a);
    col_free(&r);
    col_free(&te);
    col_free(&tr);
    if (!st) {
        rlc_dataset_meta_of(d)->discrete_actions = discrete;
        st = read_metadata(d, mp);
    }
    if (st) {
        rlc_dataset_destroy(d);
        return st;
    }
    *out = d;
    return RLC_OK;
}

static hid_t open_h5(const char *path, rlc_status *st) {
    if (!is_file(path)) {
        *st = rlc_error(RLC_ERR_IO, "%s: no such file", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) *st = rlc_error(RLC_ERR_FORMAT, "%s: not an HDF5 file (or unreadable)", path);
    return f;
}

rlc_status rlc_dataset_load_minari(rlc_dataset **out, const char *path) {
    if (!out || !path) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_load_minari: NULL");
    char h5[4200], mp[4200];
    rlc_status st = minari_paths(path, h5, mp, sizeof h5);
    if (st) return st;
    quiet q;
    quiet_on(&q);
    hid_t f = open_h5(h5, &st);
    if (f >= 0) {
        st = load_minari_file(out, f, h5, mp);
        H5Fclose(f);
    }
    quiet_off(&q);
    return st;
}

static rlc_status load_d4rl_file(rlc_dataset **out, hid_t f, const char *path) {
    col o, no, a, r, te, to;
    memset(&no, 0, sizeof no);
    memset(&to, 0, sizeof to);
    rlc_status st;
    if ((st = read_col(f, path, "", "observations", 0, 1, &o))) return st;
    if ((st = read_col(f, path, "", "actions", 0, 1, &a))) goto free_o;
    if ((st = read_col(f, path, "", "rewards", 0, 1, &r))) goto free_a;
    if ((st = read_col(f, path, "", "terminals", 1, 1, &te))) goto free_r;
    st = read_col(f, path, "", "timeouts", 1, 0, &to);
    if (st == RLC_ERR_NOT_FOUND) st = RLC_OK;
    if (st) goto free_te;
    st = read_col(f, path, "", "next_observations", 0, 0, &no);
    if (st == RLC_ERR_NOT_FOUND) st = RLC_OK;
    if (st) goto free_to;
    int64_t N = (int64_t)o.dims[0];
    char s[96];
    const col *cs[5] = {&a, &r, &te, &to, &no};
    const char *nm[5] = {"actions", "rewards", "terminals", "timeouts", "next_observations"};
    for (int i = 0; i < 5; i++) {
        if (!cs[i]->data) continue;
        int rank_ok = (i == 1 || i == 2 || i == 3) ? cs[i]->rank == 1 : 1;
        if (cs[i]->dims[0] != (hsize_t)N || !rank_ok ||
            (i == 4 && tail_size(cs[i]) != tail_size(&o))) {
            shape_str(cs[i], s, sizeof s);
            char so[96];
            shape_str(&o, so, sizeof so);
            st = rlc_error(RLC_ERR_FORMAT,
                           "%s: dataset '%s' has shape %s but 'observations' has "
                           "shape %s (expected %lld rows%s)",
                           path, nm[i], s, so, (long long)N,
                           (i == 1 || i == 2 || i == 3) ? ", rank 1" : "");
            goto free_all;
        }
    }
    if (N < 1) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: 'observations' has no rows", path);
        goto free_all;
    }
    int64_t od = tail_size(&o), ad = tail_size(&a);
    rlc_dataset *d = rlc_dataset_create(od, ad);
    float *buf = rlc_malloc(sizeof(float) * (size_t)((N + 1) * od));
    if (!d || !buf) {
        rlc_dataset_destroy(d);
        rlc_free(buf);
        st = RLC_ERR_NOMEM;
        goto free_all;
    }
    const float *O = o.data, *NO = no.data, *A = a.data, *R = r.data;
    const uint8_t *TE = te.data, *TO = to.data;
    uint8_t *trunc = rlc_malloc((size_t)N);
    if (!trunc) {
        rlc_dataset_destroy(d);
        rlc_free(buf);
        st = RLC_ERR_NOMEM;
        goto free_all;
    }
    for (int64_t i = 0; i < N; i++)
        trunc[i] = TO ? TO[i] != 0 : 0;
    int64_t start = 0;
    for (int64_t i = 0; i < N && !st; i++) {
        int end = TE[i] || trunc[i] || i == N - 1;
        if (!end) continue;
        int64_t T = i - start + 1;
        memcpy(buf, O + start * od, sizeof(float) * (size_t)(T * od));
        if (NO) {
            memcpy(buf + T * od, NO + i * od, sizeof(float) * (size_t)od);
        } else if (TE[i]) {
            memcpy(buf + T * od, O + i * od, sizeof(float) * (size_t)od);
        } else {
            /* No final observation: drop the last step; the one before ends the episode. */
            T--;
            if (T >= 1) trunc[start + T - 1] = 1;
        }
        if (T >= 1)
            st = rlc_dataset_add_episode(d, T, buf, A + start * ad, R + start, TE + start,
                                         trunc + start);
        start = i + 1;
    }
    rlc_free(trunc);
    rlc_free(buf);
    if (!st && rlc_dataset_num_episodes(d) == 0)
        st = rlc_error(RLC_ERR_FORMAT, "%s: no complete episode", path);
    if (st) {
        rlc_dataset_destroy(d);
        goto free_all;
    }
    rlc_dataset_meta *m = rlc_dataset_meta_of(d);
    m->discrete_actions = a.rank == 1 && a.cls == H5T_INTEGER;
    /* Root attributes written by rlc (optional). */
    static const char *sk[] = {"env_id", "dataset_id", "algorithm", "observation_space",
                               "action_space"};
    char *sv[5] = {0};
    for (int k = 0; k < 5; k++) {
        if (H5Aexists(f, sk[k]) <= 0) continue;
        hid_t at = H5Aopen(f, sk[k], H5P_DEFAULT);
        hid_t ty = H5Aget_type(at);
        if (H5Tget_class(ty) == H5T_STRING && H5Tis_variable_str(ty) > 0) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(ty)); /* HDF5 does not convert ASCII <-> UTF-8 */
            char *p = NULL;
            if (H5Aread(at, mt, &p) >= 0 && p) {
                sv[k] = rlc_strdup(p);
                H5free_memory(p);
            }
            H5Tclose(mt);
        }
        H5Tclose(ty);
        H5Aclose(at);
    }
    copy_str(m->env_id, sizeof m->env_id, sv[0]);
    copy_str(m->dataset_id, sizeof m->dataset_id, sv[1]);
    copy_str(m->algorithm, sizeof m->algorithm, sv[2]);
    if (sv[3] || sv[4]) st = rlc__dataset_set_space_json(d, sv[3], sv[4]);
    if (sv[4] && strstr(sv[4], "\"Discrete\"")) {
        const char *p = strstr(sv[4], "\"n\":");
        m->discrete_actions = 1;
        if (p) m->num_actions = strtoll(p + 4, NULL, 10);
    }
    if (sv[3] && strstr(sv[3], "\"float64\"")) m->obs_dtype = RLC_SPACE_FLOAT64;
    for (int k = 0; k < 5; k++)
        rlc_free(sv[k]);
    double lo = NAN, hi = NAN;
    if (H5Aexists(f, "ref_min_score") > 0 && H5Aexists(f, "ref_max_score") > 0) {
        hid_t at = H5Aopen(f, "ref_min_score", H5P_DEFAULT);
        H5Aread(at, H5T_NATIVE_DOUBLE, &lo);
        H5Aclose(at);
        at = H5Aopen(f, "ref_max_score", H5P_DEFAULT);
        H5Aread(at, H5T_NATIVE_DOUBLE, &hi);
        H5Aclose(at);
    }
    m->ref_min_score = lo;
    m->ref_max_score = hi;
    if (st) {
        rlc_dataset_destroy(d);
        goto free_all;
    }
    *out = d;
free_all:
    col_free(&no);
free_to:
    col_free(&to);
free_te:
    col_free(&te);
free_r:
    col_free(&r);
free_a:
    col_free(&a);
free_o:
    col_free(&o);
    return st;
}

rlc_status rlc_dataset_load_d4rl(rlc_dataset **out, const char *path) {
    if (!out || !path) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_load_d4rl: NULL");
    rlc_status st = RLC_OK;
    quiet q;
    quiet_on(&q);
    hid_t f = open_h5(path, &st);
    if (f >= 0) {
        st = load_d4rl_file(out, f, path);
        H5Fclose(f);
    }
    quiet_off(&q);
    return st;
}

rlc_status rlc_dataset_load(rlc_dataset **out, const char *path) {
    if (!out || !path) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_load: NULL");
    if (is_dir(path)) return rlc_dataset_load_minari(out, path);
    rlc_status st = RLC_OK;
    quiet q;
    quiet_on(&q);
    hid_t f = open_h5(path, &st);
    int minari = f >= 0 && H5Lexists(f, "episode_0", H5P_DEFAULT) > 0;
    if (f >= 0) H5Fclose(f);
    quiet_off(&q);
    if (st) return st;
    return minari ? rlc_dataset_load_minari(out, path) : rlc_dataset_load_d4rl(out, path);
}

#endif
