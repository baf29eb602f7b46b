/* Data-parallel training over MPI: initialisation, the gradient-averaging hook the optimizers
 * call (nn_impl.h), the start-of-run broadcast of rank 0's agent state, per-update statistics
 * summed in rank order, and the optional cross-rank parameter check. Without RLC_HAVE_MPI the
 * same functions describe a single process and say that MPI support was not built. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist/dist_impl.h"
#include "core/graph_impl.h"
#include "nn/nn_impl.h"

int rlc_dist_launched(void) {
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 0) return atoi(v);
    }
    return 0;
}

static int g_check;
static int64_t g_checks;

void rlc_dist_set_check(int on) { g_check = on != 0; }
int64_t rlc_dist_checks(void) { return g_checks; }

#ifdef RLC_HAVE_MPI
#include <mpi.h>

/* 64-bit FNV-1a over the parameter bytes. */
static uint64_t params_hash(rlc_params *p) {
    const unsigned char *d = rlc_params_data(p);
    size_t n = (size_t)rlc_params_count(p) * rlc__dtype_size(p->dtype);
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 1099511628211ULL;
    return h;
}

static int g_inited, g_rank, g_size = 1;
static rlc_status g_err; /* first failure inside the gradient hook (it cannot return one) */
static int g_nosync;     /* tests: RLC_DIST_TEST_NOSYNC=1 skips the averaging */

int rlc_dist_available(void) { return 1; }

static rlc_status mpi_fail(int rc, const char *what) {
    char msg[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return rlc_error(RLC_ERR_IO, "rank %d: %s failed: %s (did another rank die?)", g_rank, what,
                     msg);
}

rlc_status rlc_dist_init(void) {
    if (g_inited) return RLC_OK;
    int already = 0;
    MPI_Initialized(&already);
    if (!already && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return rlc_error(RLC_ERR_IO, "MPI_Init failed");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    const char *ns = getenv("RLC_DIST_TEST_NOSYNC");
    g_nosync = ns && !strcmp(ns, "1");
    g_inited = already ? 2 : 1;
    return RLC_OK;
}

void rlc_dist_finalize(void) {
    if (g_inited == 1) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin) MPI_Finalize();
    }
    g_inited = 0;
    g_rank = 0;
    g_size = 1;
}

int rlc_dist_rank(void) { return g_rank; }
int rlc_dist_size(void) { return g_size; }

void rlc_dist_abort(int code, const char *why) {
    if (!g_inited) return;
    if (why) fprintf(stderr, "rlc: rank %d of %d: %s; ending the job\n", g_rank, g_size, why);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
}

rlc_status rlc_dist_agree(rlc_status st) {
    if (!g_inited || g_size < 2) return st;
    int mine[2] = {(int)st, g_rank}, *all = rlc_malloc(sizeof(int) * 2 * (size_t)g_size);
    if (!all) return RLC_ERR_NOMEM;
    int rc = MPI_Allgather(mine, 2, MPI_INT, all, 2, MPI_INT, MPI_COMM_WORLD);
    rlc_status worst = RLC_OK;
    int who = -1;
    for (int r = 0; r < g_size && rc == MPI_SUCCESS; r++)
        if (all[2 * r] < (int)worst) {
            worst = (rlc_status)all[2 * r];
            who = r;
        }
    rlc_free(all);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Allgather (status)");
    if (st) return st; /* this rank's own message stays */
    if (worst) return rlc_error(worst < RLC_ERR_STATE ? worst : RLC_ERR_STATE,
                                "rank %d failed (see its message)", who);
    return RLC_OK;
}

int rlc__dist_world(void) { return g_inited ? g_size : 1; }

/* Sums buf[n] of MPI type t over ranks in place, in chunks an int can count. */
static int allreduce_sum(void *buf, int64_t n, MPI_Datatype t, size_t esize) {
    char *b = buf;
    while (n > 0) {
        int c = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
        int rc = MPI_Allreduce(MPI_IN_PLACE, b, c, t, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        b += (size_t)c * esize;
        n -= c;
    }
    return MPI_SUCCESS;
}

static int bcast_bytes(void *buf, int64_t n) {
    char *b = buf;
    while (n > 0) {
        int c = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n;
        int rc = MPI_Bcast(b, c, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        b += c;
        n -= c;
    }
    return MPI_SUCCESS;
}

/* The gradient hook: sum over ranks, divide by K (every rank gets the same bits: the sum is
 * distributed by MPI, the division is the same on every rank). */
static void grad_hook(rlc_params *p, void *ctx) {
    (void)ctx;
    if (g_err || g_nosync) return;
    int64_t n = rlc_params_count(p);
    void *g = rlc_params_grad(p);
    int rc;
    if (p->dtype == RLC_F32) {
        rc = allreduce_sum(g, n, MPI_FLOAT, sizeof(float));
        float *f = g, k = (float)g_size;
        for (int64_t i = 0; i < n; i++) f[i] /= k;
    } else {
        rc = allreduce_sum(g, n, MPI_DOUBLE, sizeof(double));
        double *d = g, k = (double)g_size;
        for (int64_t i = 0; i < n; i++) d[i] /= k;
    }
    if (rc != MPI_SUCCESS) g_err = mpi_fail(rc, "MPI_Allreduce (gradients)");
}

/* Rank 0's agent state (the rlc_agent_save file) sent as bytes to every other rank, which
 * reads its parameters, optimizer state and algorithm state from it. */
static rlc_status sync_agent(rlc_agent *a) {
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rlc-dist-%d-%d.safetensors", tmp && *tmp ? tmp : "/tmp",
             (int)getpid(), g_rank);
    rlc_status st = RLC_OK;
    int64_t len = 0;
    char *bytes = NULL;
    if (g_rank == 0) {
        st = rlc_agent_save(a, path);
        FILE *f = st ? NULL : fopen(path, "rb");
        if (!st && !f) st = rlc_error(RLC_ERR_IO, "rank 0: cannot read back %s", path);
        if (f) {
            fseek(f, 0, SEEK_END);
            len = ftell(f);
            fseek(f, 0, SEEK_SET);
            bytes = len > 0 ? rlc_malloc((size_t)len) : NULL;
            if (!bytes || fread(bytes, 1, (size_t)len, f) != (size_t)len)
                st = bytes ? rlc_error(RLC_ERR_IO, "rank 0: cannot read %s", path)
                           : RLC_ERR_NOMEM;
            fclose(f);
        }
        remove(path);
        if (st) len = -1;
    }
    int rc = MPI_Bcast(&len, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        rlc_free(bytes);
        return mpi_fail(rc, "MPI_Bcast (agent state size)");
    }
    if (len < 0) return st ? st : rlc_error(RLC_ERR_STATE, "rank 0 could not save its agent");
    if (g_rank != 0 && !(bytes = rlc_malloc((size_t)len))) st = RLC_ERR_NOMEM;
    /* every rank takes part in the broadcast even after a local failure */
    char dummy;
    rc = bcast_bytes(bytes ? bytes : &dummy, bytes ? len : 0);
    if (rc != MPI_SUCCESS && !st) st = mpi_fail(rc, "MPI_Bcast (agent state)");
    if (!st && g_rank != 0) {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(bytes, 1, (size_t)len, f) != (size_t)len)
            st = rlc_error(RLC_ERR_IO, "rank %d: cannot write %s", g_rank, path);
        if (f && fclose(f) && !st) st = rlc_error(RLC_ERR_IO, "rank %d: cannot write %s", g_rank, path);
        rlc_st_file *sf = NULL;
        if (!st) st = rlc_st_load(path, &sf);
        if (!st) st = rlc_params_read(a->algo->params(a), sf, "", RLC_CKPT_OPTIM);
        if (!st && a->algo->read_state) st = a->algo->read_state(a, sf);
        rlc_st_file_destroy(sf);
        remove(path);
    }
    rlc_free(bytes);
    return st;
}

/* The agent's running normalisers (PPO's observation and return statistics) stay identical on
 * every rank: after each update every rank sends what its own data added since the last
 * merge (count, mean and sum of squared deviations per feature, recovered from its current
 * and its last merged statistics), and every rank merges all of them in rank order onto the
 * last merged statistics (Chan et al.'s parallel update), so all get the same bits. */
#define MAX_NORMS 4
static rlc_normalizer *g_norm[MAX_NORMS];
static double *g_snap[MAX_NORMS]; /* count, mean[d], var[d] as last merged */
static int g_nnorm;

static void norm_snapshot(int k) {
    const rlc_normalizer *n = g_norm[k];
    int d = rlc_normalizer_dim(n);
    g_snap[k][0] = rlc_normalizer_count(n);
    memcpy(g_snap[k] + 1, rlc_normalizer_mean(n), sizeof(double) * (size_t)d);
    memcpy(g_snap[k] + 1 + d, rlc_normalizer_var(n), sizeof(double) * (size_t)d);
}

static void norm_end(void) {
    for (int k = 0; k < MAX_NORMS; k++) {
        rlc_free(g_snap[k]);
        g_snap[k] = NULL;
    }
    g_nnorm = 0;
}

static rlc_status norm_begin(rlc_agent *a) {
    norm_end();
    if (!a->algo->normalizers) return RLC_OK;
    g_nnorm = a->algo->normalizers(a, g_norm, MAX_NORMS);
    for (int k = 0; k < g_nnorm; k++) {
        int d = rlc_normalizer_dim(g_norm[k]);
        if (!(g_snap[k] = rlc_malloc(sizeof(double) * (size_t)(1 + 2 * d)))) {
            norm_end();
            return RLC_ERR_NOMEM;
        }
        norm_snapshot(k);
    }
    return RLC_OK;
}

static rlc_status norm_sync(uint64_t *hash) {
    for (int k = 0; k < g_nnorm; k++) {
        rlc_normalizer *n = g_norm[k];
        const int d = rlc_normalizer_dim(n), len = 1 + 2 * d;
        double *mine = rlc_malloc(sizeof(double) * (size_t)len * (size_t)(g_size + 1));
        if (!mine) return RLC_ERR_NOMEM;
        double *all = mine + len;
        const double c0 = g_snap[k][0], *m0 = g_snap[k] + 1, *v0 = g_snap[k] + 1 + d;
        const double cr = rlc_normalizer_count(n), *mr = rlc_normalizer_mean(n),
                     *vr = rlc_normalizer_var(n);
        double nd = rint(cr - c0); /* rows added: whole numbers (the count starts at a tiny eps) */
        if (!(nd > 0)) nd = 0;
        mine[0] = nd;
        for (int j = 0; j < d; j++) {
            double md = 0, m2 = 0;
            if (nd > 0) {
                md = (cr * mr[j] - c0 * m0[j]) / nd;
                m2 = vr[j] * cr - v0[j] * c0 - (md - m0[j]) * (md - m0[j]) * c0 * nd / cr;
                if (!(m2 > 0)) m2 = 0;
            }
            mine[1 + j] = md;
            mine[1 + d + j] = m2;
        }
        int rc = MPI_Allgather(mine, len, MPI_DOUBLE, all, len, MPI_DOUBLE, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) {
            rlc_free(mine);
            return mpi_fail(rc, "MPI_Allgather (normaliser statistics)");
        }
        /* merge onto the last merged statistics, in rank order; mine becomes mean | M2 */
        double c = c0, *mean = mine, *m2s = mine + d;
        for (int j = 0; j < d; j++) {
            mean[j] = m0[j];
            m2s[j] = v0[j] * c0;
        }
        for (int r = 0; r < g_size; r++) {
            const double *x = all + (size_t)r * (size_t)len;
            const double nr = x[0];
            if (!(nr > 0)) continue;
            const double tot = c + nr;
            for (int j = 0; j < d; j++) {
                const double delta = x[1 + j] - mean[j];
                mean[j] += delta * nr / tot;
                m2s[j] += x[1 + d + j] + delta * delta * c * nr / tot;
            }
            c = tot;
        }
        for (int j = 0; j < d; j++) m2s[j] /= c; /* population variance */
        rlc__normalizer_set(n, c, mean, m2s);
        norm_snapshot(k);
        rlc_free(mine);
        if (hash) {
            const unsigned char *b = (const unsigned char *)g_snap[k];
            for (size_t i = 0; i < sizeof(double) * (size_t)len; i++)
                *hash = (*hash ^ b[i]) * 1099511628211ULL;
        }
    }
    return RLC_OK;
}

rlc_status rlc__dist_train_begin(rlc_agent *a, rlc_status st) {
    if (!g_inited || g_size < 2) return st;
    g_err = RLC_OK;
    st = rlc_dist_agree(st);
    if (!st) st = rlc_dist_agree(sync_agent(a));
    if (!st) st = rlc_dist_agree(norm_begin(a));
    if (!st) rlc__set_grad_hook(grad_hook, NULL);
    return st;
}

void rlc__dist_train_end(void) {
    if (!g_inited || g_size < 2) return;
    rlc__set_grad_hook(NULL, NULL);
    norm_end();
}

enum { ST_SUM, ST_N, ST_EPS, ST_PENDING, ST_HASH_HI, ST_HASH_LO, ST_LEN };

rlc_status rlc__dist_after_update(rlc_agent *a, const double *recent, double *mean_ret,
                                  int64_t *n_recent, int64_t *episodes, int *pending) {
    if (!g_inited || g_size < 2) return RLC_OK;
    if (g_err) return g_err;
    double mine[ST_LEN] = {0};
    for (int64_t j = 0; j < *n_recent; j++) mine[ST_SUM] += recent[j];
    mine[ST_N] = (double)*n_recent;
    mine[ST_EPS] = (double)*episodes;
    mine[ST_PENDING] = *pending;
    uint64_t h = g_check ? params_hash(rlc_agent_params(a)) : 0;
    rlc_status nst = norm_sync(g_check ? &h : NULL);
    if (nst) return nst;
    mine[ST_HASH_HI] = (double)(h >> 32);
    mine[ST_HASH_LO] = (double)(h & 0xffffffffu);
    double *all = rlc_malloc(sizeof(double) * ST_LEN * (size_t)g_size);
    if (!all) return RLC_ERR_NOMEM;
    int rc = MPI_Allgather(mine, ST_LEN, MPI_DOUBLE, all, ST_LEN, MPI_DOUBLE, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        rlc_free(all);
        return mpi_fail(rc, "MPI_Allgather (statistics)");
    }
    double sum = 0, n = 0, eps = 0;
    int pend = 0, differ = -1;
    for (int r = 0; r < g_size; r++) {
        const double *x = all + (size_t)r * ST_LEN;
        sum += x[ST_SUM];
        n += x[ST_N];
        eps += x[ST_EPS];
        pend |= x[ST_PENDING] != 0;
        if (differ < 0 && (x[ST_HASH_HI] != all[ST_HASH_HI] || x[ST_HASH_LO] != all[ST_HASH_LO]))
            differ = r;
    }
    rlc_free(all);
    if (g_check) {
        g_checks++;
        if (differ >= 0)
            return rlc_error(RLC_ERR_STATE,
                             "data-parallel check: parameters of rank %d differ from rank 0's "
                             "after update %lld",
                             differ, (long long)g_checks);
    }
    *mean_ret = n > 0 ? sum / n : NAN;
    *n_recent = (int64_t)n;
    *episodes = (int64_t)eps;
    *pending = pend;
    return RLC_OK;
}

rlc_status rlc__dist_ckpt_meta(rlc_st_writer *w) {
    if (!g_inited || g_size < 2) return RLC_OK;
    char buf[32];
    snprintf(buf, sizeof buf, "%d", g_rank);
    rlc_status st = rlc_st_writer_set_meta(w, "rlc.ckpt.rank", buf);
    snprintf(buf, sizeof buf, "%d", g_size);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.world", buf);
    return st;
}

rlc_status rlc__dist_ckpt_foreign(const char *path, int *foreign) {
    *foreign = 0;
    if (!g_inited || g_size < 2) return RLC_OK;
    rlc_st_file *f = NULL;
    rlc_status st = rlc_st_load(path, &f);
    if (st) return st;
    const char *m = rlc_st_meta(f, "rlc.ckpt.rank");
    *foreign = (m ? atoi(m) : 0) != g_rank;
    rlc_st_file_destroy(f);
    return RLC_OK;
}

#else /* no MPI: one process */

int rlc_dist_available(void) { return 0; }

rlc_status rlc_dist_init(void) {
    return rlc_error(RLC_ERR_UNSUPPORTED,
                     "MPI support was not built into rlc (install libopenmpi-dev and rebuild "
                     "with MPI=1)");
}

void rlc_dist_finalize(void) {}
int rlc_dist_rank(void) { return 0; }
int rlc_dist_size(void) { return 1; }
void rlc_dist_abort(int code, const char *why) { (void)code, (void)why; }
rlc_status rlc_dist_agree(rlc_status st) { return st; }
int rlc__dist_world(void) { return 1; }
rlc_status rlc__dist_train_begin(rlc_agent *a, rlc_status st) {
    (void)a;
    return st;
}
void rlc__dist_train_end(void) {}
rlc_status rlc__dist_after_update(rlc_agent *a, const double *recent, double *mean_ret,
                                  int64_t *n_recent, int64_t *episodes, int *pending) {
    (void)a, (void)recent, (void)mean_ret, (void)n_recent, (void)episodes, (void)pending;
    return RLC_OK;
}
rlc_status rlc__dist_ckpt_meta(rlc_st_writer *w) {
    (void)w;
    return RLC_OK;
}
rlc_status rlc__dist_ckpt_foreign(const char *path, int *foreign) {
    (void)path;
    *foreign = 0;
    return RLC_OK;
}

#endif
