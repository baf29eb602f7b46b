/* Replay buffer (include/rlc/replay.h): a ring of flat float columns, uniform or proportional
 * prioritized sampling over a sum-tree, n-step returns gathered per env stream, and the
 * buffer's whole state in safetensors checkpoints (exact resume of off-policy runs). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rlc/replay.h"

struct rlc_replay {
    rlc_replay_config c;
    int64_t cap, pos, size;
    int D, A, N, n;
    /* columns, [cap] rows each */
    float *obs, *act, *rew, *next, *disc;
    /* prioritized: a sum-tree over `leaves` (a power of two >= cap) leaves holding p^alpha;
     * node k has children 2k, 2k+1, the root is node 1 and leaf i is node leaves + i */
    int64_t leaves;
    double *tree;
    double max_p; /* largest |td| + eps seen: the priority of new transitions */
    /* n-step queues: per env the last (up to) n steps not yet stored, oldest at q_head */
    float *q_obs, *q_act, *q_rew;
    int *q_head, *q_len;
    double *gpow; /* gamma^k, k = 0..n */
};

void rlc_replay_destroy(rlc_replay *r) {
    if (!r) return;
    void *bufs[] = {r->obs,   r->act,   r->rew,   r->next,   r->disc,  r->tree,
                    r->q_obs, r->q_act, r->q_rew, r->q_head, r->q_len, r->gpow};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) rlc_free(bufs[i]);
    rlc_free(r);
}

rlc_replay *rlc_replay_create(const rlc_replay_config *cfg) {
    if (!cfg) {
        rlc_error(RLC_ERR_INVALID, "replay: NULL config");
        return NULL;
    }
    const rlc_replay_config *c = cfg;
    if (c->capacity < 1 || c->capacity > ((int64_t)1 << 40) || c->obs_dim < 1 ||
        c->act_dim < 1 || c->num_envs < 1 || c->n_step < 1 || c->n_step > 1000 ||
        !(c->gamma >= 0 && c->gamma <= 1) || (c->prioritized != 0 && c->prioritized != 1) ||
        (c->prioritized && !(c->alpha >= 0 && c->eps >= 0 && isfinite(c->alpha) &&
                             isfinite(c->eps)))) {
        rlc_error(RLC_ERR_INVALID,
                  "replay: bad config (capacity %lld, obs_dim %d, act_dim %d, num_envs %d, "
                  "n_step %d, gamma %g, prioritized %d, alpha %g, eps %g)",
                  (long long)c->capacity, c->obs_dim, c->act_dim, c->num_envs, c->n_step,
                  c->gamma, c->prioritized, c->alpha, c->eps);
        return NULL;
    }
    rlc_replay *r = rlc_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->c = *c;
    r->cap = c->capacity;
    r->D = c->obs_dim;
    r->A = c->act_dim;
    r->N = c->num_envs;
    r->n = c->n_step;
    r->max_p = 1;
    size_t cap = (size_t)r->cap, D = (size_t)r->D, A = (size_t)r->A, N = (size_t)r->N;
    size_t n = (size_t)r->n;
    r->obs = rlc_malloc(sizeof(float) * cap * D);
    r->act = rlc_malloc(sizeof(float) * cap * A);
    r->rew = rlc_malloc(sizeof(float) * cap);
    r->next = rlc_malloc(sizeof(float) * cap * D);
    r->disc = rlc_malloc(sizeof(float) * cap);
    /* zeroed: checkpoints save the queues whole, slots not filled yet included */
    r->q_obs = rlc_calloc(N * n * D, sizeof(float));
    r->q_act = rlc_calloc(N * n * A, sizeof(float));
    r->q_rew = rlc_calloc(N * n, sizeof(float));
    r->q_head = rlc_calloc(N, sizeof(int));
    r->q_len = rlc_calloc(N, sizeof(int));
    r->gpow = rlc_malloc(sizeof(double) * (n + 1));
    int ok = r->obs && r->act && r->rew && r->next && r->disc && r->q_obs && r->q_act &&
             r->q_rew && r->q_head && r->q_len && r->gpow;
    if (ok && c->prioritized) {
        r->leaves = 1;
        while (r->leaves < r->cap) r->leaves <<= 1;
        r->tree = rlc_calloc(2 * (size_t)r->leaves, sizeof(double));
        ok = r->tree != NULL;
    }
    if (!ok) {
        rlc_replay_destroy(r);
        return NULL;
    }
    r->gpow[0] = 1;
    for (int k = 1; k <= r->n; k++) r->gpow[k] = r->gpow[k - 1] * c->gamma;
    return r;
}

int64_t rlc_replay_size(const rlc_replay *r) { return r ? r->size : 0; }

static void tree_set(rlc_replay *r, int64_t slot, double v) {
    int64_t k = r->leaves + slot;
    r->tree[k] = v;
    for (k >>= 1; k >= 1; k >>= 1) r->tree[k] = r->tree[2 * k] + r->tree[2 * k + 1];
}

/* The leaf whose prefix-sum interval holds u. Only nodes with a positive sum are entered, so
 * the leaf found has a positive priority even when rounding leaves u >= the root's sum. */
static int64_t tree_find(const rlc_replay *r, double u) {
    int64_t k = 1;
    while (k < r->leaves) {
        double l = r->tree[2 * k];
        if (u < l || !(r->tree[2 * k + 1] > 0)) {
            k = 2 * k;
        } else {
            u -= l;
            k = 2 * k + 1;
        }
    }
    return k - r->leaves;
}

/* Stores the transition made of queue entries j.. of env i (their discounted reward sum),
 * the observation next_obs after the last of them and whether that step terminated. */
static void emit(rlc_replay *r, int i, int j, const float *next_obs, int terminated) {
    size_t D = (size_t)r->D, A = (size_t)r->A, n = (size_t)r->n;
    int len = r->q_len[i], head = r->q_head[i];
    size_t first = (size_t)i * n + (size_t)((head + j) % r->n);
    double ret = 0;
    for (int m = j; m < len; m++)
        ret += r->gpow[m - j] * r->q_rew[(size_t)i * n + (size_t)((head + m) % r->n)];
    size_t s = (size_t)r->pos;
    memcpy(r->obs + s * D, r->q_obs + first * D, sizeof(float) * D);
    memcpy(r->act + s * A, r->q_act + first * A, sizeof(float) * A);
    memcpy(r->next + s * D, next_obs, sizeof(float) * D);
    r->rew[s] = (float)ret;
    r->disc[s] = terminated ? 0.0f : (float)r->gpow[len - j];
    if (r->c.prioritized) tree_set(r, r->pos, pow(r->max_p, r->c.alpha));
    r->pos = (r->pos + 1) % r->cap;
    if (r->size < r->cap) r->size++;
}

rlc_status rlc_replay_add(rlc_replay *r, const float *obs, const float *action,
                          const float *reward, const float *next_obs, const uint8_t *terminated,
                          const uint8_t *truncated, const uint8_t *valid) {
    if (!r || !obs || !action || !reward || !next_obs || !terminated || !truncated)
        return rlc_error(RLC_ERR_INVALID, "replay_add: NULL argument");
    size_t D = (size_t)r->D, A = (size_t)r->A, n = (size_t)r->n;
    for (int i = 0; i < r->N; i++) {
        if (valid && !valid[i]) continue;
        /* push this step at the queue's tail */
        size_t q = (size_t)i * n + (size_t)((r->q_head[i] + r->q_len[i]) % r->n);
        memcpy(r->q_obs + q * D, obs + (size_t)i * D, sizeof(float) * D);
        memcpy(r->q_act + q * A, action + (size_t)i * A, sizeof(float) * A);
        r->q_rew[q] = reward[i];
        r->q_len[i]++;
        const float *nx = next_obs + (size_t)i * D;
        if (terminated[i] || truncated[i]) {
            /* episode end: every pending step gets its (shorter) return; termination cuts the
             * bootstrap, truncation bootstraps from the final observation */
            for (int j = 0; j < r->q_len[i]; j++) emit(r, i, j, nx, terminated[i] != 0);
            r->q_len[i] = 0;
            r->q_head[i] = 0;
        } else if (r->q_len[i] == r->n) {
            emit(r, i, 0, nx, 0);
            r->q_head[i] = (r->q_head[i] + 1) % r->n;
            r->q_len[i]--;
        }
    }
    return RLC_OK;
}

rlc_status rlc_replay_sample(rlc_replay *r, rlc_rng *rng, int batch, double beta,
                             rlc_replay_batch *out) {
    if (!r || !rng || !out || !out->obs || !out->action || !out->reward || !out->next_obs ||
        !out->discount)
        return rlc_error(RLC_ERR_INVALID, "replay_sample: NULL argument");
    if (batch < 1) return rlc_error(RLC_ERR_INVALID, "replay_sample: batch %d < 1", batch);
    if (r->size == 0) return rlc_error(RLC_ERR_STATE, "replay_sample: the buffer is empty");
    size_t D = (size_t)r->D, A = (size_t)r->A;
    double total = r->c.prioritized ? r->tree[1] : 0;
    int prio = r->c.prioritized && total > 0 && isfinite(total);
    double wmax = 0;
    for (int j = 0; j < batch; j++) {
        int64_t k;
        double w = 1;
        if (prio) {
            double u = ((double)j + rlc_rng_random(rng)) / (double)batch * total;
            k = tree_find(r, u);
            double p = r->tree[r->leaves + k] / total;
            w = pow((double)r->size * p, -beta);
            if (w > wmax) wmax = w;
        } else {
            k = rlc_rng_integers(rng, 0, r->size);
        }
        size_t s = (size_t)k;
        memcpy(out->obs + (size_t)j * D, r->obs + s * D, sizeof(float) * D);
        memcpy(out->action + (size_t)j * A, r->act + s * A, sizeof(float) * A);
        memcpy(out->next_obs + (size_t)j * D, r->next + s * D, sizeof(float) * D);
        out->reward[j] = r->rew[s];
        out->discount[j] = r->disc[s];
        if (out->weight) out->weight[j] = (float)w;
        if (out->index) out->index[j] = k;
    }
    if (prio && out->weight && wmax > 0)
        for (int j = 0; j < batch; j++) out->weight[j] = (float)(out->weight[j] / wmax);
    return RLC_OK;
}

void rlc_replay_update(rlc_replay *r, const int64_t *index, const float *td_error, int batch) {
    if (!r || !r->c.prioritized || !index || !td_error) return;
    for (int j = 0; j < batch; j++) {
        int64_t k = index[j];
        double p = fabs((double)td_error[j]) + r->c.eps;
        if (k < 0 || k >= r->size || !isfinite(p)) continue;
        if (p > r->max_p) r->max_p = p;
        tree_set(r, k, pow(p, r->c.alpha));
    }
}

double rlc_replay_priority(const rlc_replay *r, int64_t slot) {
    if (!r || slot < 0 || slot >= r->size) return 0;
    return r->c.prioritized ? r->tree[r->leaves + slot] : 1;
}

void rlc_replay_clear(rlc_replay *r) {
    if (!r) return;
    r->pos = r->size = 0;
    r->max_p = 1;
    memset(r->q_head, 0, sizeof(int) * (size_t)r->N);
    memset(r->q_len, 0, sizeof(int) * (size_t)r->N);
    if (r->tree) memset(r->tree, 0, sizeof(double) * 2 * (size_t)r->leaves);
}

/* ---- checkpoints ----------------------------------------------------------------------- */

#define NAME_CAP 256

static rlc_status tname(char *buf, const char *prefix, const char *name) {
    int k = snprintf(buf, NAME_CAP, "%s%s", prefix ? prefix : "", name);
    if (k < 0 || k >= NAME_CAP)
        return rlc_error(RLC_ERR_INVALID, "replay checkpoint: prefix '%s' is too long", prefix);
    return RLC_OK;
}

rlc_status rlc_replay_write(const rlc_replay *r, rlc_st_writer *w, const char *prefix) {
    if (!r || !w) return rlc_error(RLC_ERR_INVALID, "replay_write: NULL argument");
    const int64_t D = r->D, A = r->A, N = r->N, n = r->n, size = r->size;
    int64_t shape[6] = {r->cap, D, A, N, n, r->c.prioritized};
    double coef[3] = {r->c.gamma, r->c.alpha, r->c.eps};
    int64_t cnt[2] = {r->pos, r->size};
    int64_t n6 = 6, n3 = 3, n2 = 2, sD[2] = {size, D}, sA[2] = {size, A}, s1 = size;
    int64_t qD[3] = {N, n, D}, qA[3] = {N, n, A}, q1[2] = {N, n};
    char name[NAME_CAP];
    rlc_status st;
    /* small values are copied; the columns are referenced (no copy of a large buffer): the
     * caller saves the writer before the buffer changes */
#define ADD(nm, fn, dt, nd, shp, data)                                                           \
    do {                                                                                         \
        if ((st = tname(name, prefix, nm))) return st;                                           \
        if ((st = fn(w, name, dt, nd, shp, data))) return st;                                    \
    } while (0)
    ADD("shape", rlc_st_writer_add_copy, RLC_ST_I64, 1, &n6, shape);
    ADD("coef", rlc_st_writer_add_copy, RLC_ST_F64, 1, &n3, coef);
    ADD("counters", rlc_st_writer_add_copy, RLC_ST_I64, 1, &n2, cnt);
    ADD("max_priority", rlc_st_writer_add_copy, RLC_ST_F64, 0, NULL, &r->max_p);
    ADD("obs", rlc_st_writer_add, RLC_ST_F32, 2, sD, r->obs);
    ADD("action", rlc_st_writer_add, RLC_ST_F32, 2, sA, r->act);
    ADD("reward", rlc_st_writer_add, RLC_ST_F32, 1, &s1, r->rew);
    ADD("next_obs", rlc_st_writer_add, RLC_ST_F32, 2, sD, r->next);
    ADD("discount", rlc_st_writer_add, RLC_ST_F32, 1, &s1, r->disc);
    /* the sum-tree's leaves; the inner sums are rebuilt on reading */
    if (r->c.prioritized)
        ADD("priority", rlc_st_writer_add, RLC_ST_F64, 1, &s1, r->tree + r->leaves);
    ADD("queue_obs", rlc_st_writer_add, RLC_ST_F32, 3, qD, r->q_obs);
    ADD("queue_action", rlc_st_writer_add, RLC_ST_F32, 3, qA, r->q_act);
    ADD("queue_reward", rlc_st_writer_add, RLC_ST_F32, 2, q1, r->q_rew);
    ADD("queue_head", rlc_st_writer_add, RLC_ST_I32, 1, &N, r->q_head);
    ADD("queue_len", rlc_st_writer_add, RLC_ST_I32, 1, &N, r->q_len);
#undef ADD
    return RLC_OK;
}

/* Tensor prefix+nm with dtype dt and shape shp[nd], or NULL with an error naming it. */
static const rlc_st_tensor *want(const rlc_st_file *f, const char *prefix, const char *nm,
                                 rlc_st_dtype dt, int nd, const int64_t *shp, rlc_status *st) {
    char name[NAME_CAP];
    if ((*st = tname(name, prefix, nm))) return NULL;
    const rlc_st_tensor *t = rlc_st_get(f, name);
    if (!t) {
        *st = rlc_error(RLC_ERR_NOT_FOUND, "replay checkpoint: no tensor '%s'", name);
        return NULL;
    }
    int ok = t->dtype == dt && t->ndim == nd;
    for (int d = 0; ok && d < nd; d++) ok = t->shape[d] == shp[d];
    if (!ok) {
        char got[128] = "", exp[128] = "";
        size_t a = 0, b = 0;
        for (int d = 0; d < t->ndim && a < sizeof got; d++)
            a += (size_t)snprintf(got + a, sizeof got - a, d ? ", %lld" : "%lld",
                                  (long long)t->shape[d]);
        for (int d = 0; d < nd && b < sizeof exp; d++)
            b += (size_t)snprintf(exp + b, sizeof exp - b, d ? ", %lld" : "%lld",
                                  (long long)shp[d]);
        *st = rlc_error(RLC_ERR_FORMAT,
                        "replay checkpoint: tensor '%s' is %s [%s], expected %s [%s]", name,
                        rlc_st_dtype_name(t->dtype), got, rlc_st_dtype_name(dt), exp);
        return NULL;
    }
    return t;
}

static int64_t i64_at(const rlc_st_tensor *t, int64_t i) {
    int64_t v;
    memcpy(&v, (const char *)t->data + (size_t)i * sizeof v, sizeof v);
    return v;
}

static double f64_at(const rlc_st_tensor *t, int64_t i) {
    double v;
    memcpy(&v, (const char *)t->data + (size_t)i * sizeof v, sizeof v);
    return v;
}

static int i32_at(const rlc_st_tensor *t, int64_t i) {
    int32_t v;
    memcpy(&v, (const char *)t->data + (size_t)i * sizeof v, sizeof v);
    return v;
}

rlc_status rlc_replay_read(rlc_replay *r, const rlc_st_file *f, const char *prefix) {
    if (!r || !f) return rlc_error(RLC_ERR_INVALID, "replay_read: NULL argument");
    const int64_t D = r->D, A = r->A, N = r->N, n = r->n;
    int64_t n6 = 6, n3 = 3, n2 = 2;
    rlc_status st = RLC_OK;
    const rlc_st_tensor *ts = want(f, prefix, "shape", RLC_ST_I64, 1, &n6, &st);
    if (!ts) return st;
    int64_t mine[6] = {r->cap, D, A, N, n, r->c.prioritized};
    static const char *const what[6] = {"capacity", "obs_dim",  "act_dim",
                                        "num_envs", "n_step",   "prioritized"};
    for (int k = 0; k < 6; k++)
        if (i64_at(ts, k) != mine[k])
            return rlc_error(RLC_ERR_FORMAT,
                             "replay checkpoint: %s %lld in the file, this buffer has %lld",
                             what[k], (long long)i64_at(ts, k), (long long)mine[k]);
    const rlc_st_tensor *tc = want(f, prefix, "coef", RLC_ST_F64, 1, &n3, &st);
    if (!tc) return st;
    double coef[3] = {r->c.gamma, r->c.alpha, r->c.eps};
    static const char *const cwhat[3] = {"gamma", "alpha", "eps"};
    for (int k = 0; k < 3; k++)
        if (f64_at(tc, k) != coef[k] && (k == 0 || r->c.prioritized))
            return rlc_error(RLC_ERR_FORMAT,
                             "replay checkpoint: %s %.17g in the file, this buffer has %.17g",
                             cwhat[k], f64_at(tc, k), coef[k]);
    const rlc_st_tensor *tn = want(f, prefix, "counters", RLC_ST_I64, 1, &n2, &st);
    if (!tn) return st;
    int64_t pos = i64_at(tn, 0), size = i64_at(tn, 1);
    if (size < 0 || size > r->cap || pos < 0 || pos >= r->cap || (size < r->cap && pos != size))
        return rlc_error(RLC_ERR_FORMAT,
                         "replay checkpoint: corrupt position %lld / size %lld (capacity %lld)",
                         (long long)pos, (long long)size, (long long)r->cap);
    const rlc_st_tensor *tm = want(f, prefix, "max_priority", RLC_ST_F64, 0, NULL, &st);
    if (!tm) return st;
    double max_p = f64_at(tm, 0);
    if (!(max_p > 0) || !isfinite(max_p))
        return rlc_error(RLC_ERR_FORMAT, "replay checkpoint: max priority %g", max_p);
    int64_t sD[2] = {size, D}, sA[2] = {size, A}, qD[3] = {N, n, D}, qA[3] = {N, n, A};
    int64_t q1[2] = {N, n};
    const rlc_st_tensor *t_obs = want(f, prefix, "obs", RLC_ST_F32, 2, sD, &st);
    const rlc_st_tensor *t_act = t_obs ? want(f, prefix, "action", RLC_ST_F32, 2, sA, &st) : NULL;
    const rlc_st_tensor *t_rew =
        t_act ? want(f, prefix, "reward", RLC_ST_F32, 1, &size, &st) : NULL;
    const rlc_st_tensor *t_next =
        t_rew ? want(f, prefix, "next_obs", RLC_ST_F32, 2, sD, &st) : NULL;
    const rlc_st_tensor *t_disc =
        t_next ? want(f, prefix, "discount", RLC_ST_F32, 1, &size, &st) : NULL;
    const rlc_st_tensor *t_qo =
        t_disc ? want(f, prefix, "queue_obs", RLC_ST_F32, 3, qD, &st) : NULL;
    const rlc_st_tensor *t_qa =
        t_qo ? want(f, prefix, "queue_action", RLC_ST_F32, 3, qA, &st) : NULL;
    const rlc_st_tensor *t_qr =
        t_qa ? want(f, prefix, "queue_reward", RLC_ST_F32, 2, q1, &st) : NULL;
    const rlc_st_tensor *t_qh =
        t_qr ? want(f, prefix, "queue_head", RLC_ST_I32, 1, &N, &st) : NULL;
    const rlc_st_tensor *t_ql =
        t_qh ? want(f, prefix, "queue_len", RLC_ST_I32, 1, &N, &st) : NULL;
    if (!t_ql) return st;
    for (int64_t i = 0; i < N; i++) {
        int h = i32_at(t_qh, i), l = i32_at(t_ql, i);
        /* a full queue is emptied by one transition at once, so len < n between adds */
        if (h < 0 || h >= n || l < 0 || l >= n)
            return rlc_error(RLC_ERR_FORMAT,
                             "replay checkpoint: corrupt n-step queue of env %lld (head %d, "
                             "length %d, n_step %lld)",
                             (long long)i, h, l, (long long)n);
    }
    const rlc_st_tensor *t_pr = NULL;
    if (r->c.prioritized) {
        if (!(t_pr = want(f, prefix, "priority", RLC_ST_F64, 1, &size, &st))) return st;
        for (int64_t i = 0; i < size; i++) {
            double p = f64_at(t_pr, i);
            if (!(p >= 0) || !isfinite(p))
                return rlc_error(RLC_ERR_FORMAT, "replay checkpoint: priority %g at slot %lld",
                                 p, (long long)i);
        }
    }
    /* everything checked: copy */
    size_t rows = (size_t)size;
    const rlc_st_tensor *src[8] = {t_obs, t_act, t_rew, t_next, t_disc, t_qo, t_qa, t_qr};
    void *dst[8] = {r->obs, r->act, r->rew, r->next, r->disc, r->q_obs, r->q_act, r->q_rew};
    for (int k = 0; k < 8; k++)
        if (src[k]->nbytes) memcpy(dst[k], src[k]->data, src[k]->nbytes);
    for (int64_t i = 0; i < N; i++) {
        r->q_head[i] = i32_at(t_qh, i);
        r->q_len[i] = i32_at(t_ql, i);
    }
    if (t_pr) {
        /* leaves, then every inner node as the sum of its children: the same values the
         * incremental updates produced, since each of those recomputes a node from its two
         * children */
        memset(r->tree, 0, sizeof(double) * 2 * (size_t)r->leaves);
        if (rows) memcpy(r->tree + r->leaves, t_pr->data, rows * sizeof(double));
        for (int64_t k = r->leaves - 1; k >= 1; k--)
            r->tree[k] = r->tree[2 * k] + r->tree[2 * k + 1];
    }
    r->pos = pos;
    r->size = size;
    r->max_p = max_p;
    return RLC_OK;
}
