/* Replay buffer (include/rlc/replay.h): a ring of flat float columns, uniform or proportional
 * prioritized sampling over a sum-tree, and n-step returns gathered per env stream. */
#include <math.h>
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
    r->q_obs = rlc_malloc(sizeof(float) * N * n * D);
    r->q_act = rlc_malloc(sizeof(float) * N * n * A);
    r->q_rew = rlc_malloc(sizeof(float) * N * n);
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
