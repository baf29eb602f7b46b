/* Snapshot RL (S3RL: Zhao et al., "Snapshot Reinforcement Learning: Leveraging Prior
 * Trajectories for Efficiency", 2024) as an env layer: resets start from teacher states
 * (status classification = k-means over the teacher observations, clusters drawn uniformly),
 * and episodes started from a snapshot are cut after a horizon (student trajectory
 * truncation). The algorithms are untouched: any agent trains on the wrapped env.
 *
 * The layer follows the conventions of wrappers.c without sharing its internals: the stack
 * has one RNG stream (the layer's generator is lent to the inner env for each call), and the
 * evolving region ends with a mirror of the inner env's snapshot plus a stamp, so that
 * rlc_env_set_state on the layer also restores the inner env before its next use. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env/env_impl.h"
#include "rlc/wrappers.h"

typedef struct sstate {
    uint64_t stamp;        /* changes with every call that changes the stack */
    int64_t start;         /* teacher state index of this episode's start, -1: own reset */
} sstate;

typedef struct snap {
    rlc_env *inner, *outer;
    rlc__env_def def; /* per instance: the snapshot size depends on the inner env */
    char name[160];
    int64_t nominal; /* the inner time limit, this layer's own when not truncating */
    uint64_t live_stamp, next_stamp;
    size_t mirror_bytes;
    int dim;         /* state vector length */
    int64_t n;       /* teacher states */
    int k;           /* clusters */
    double *states;  /* [n * dim] */
    int32_t *labels; /* [n] */
    int64_t *order;  /* [n] state indices grouped by cluster */
    int64_t *cstart; /* [k + 1] cluster c holds order[cstart[c] .. cstart[c + 1]) */
    int64_t horizon;
    double prob;
    sstate *st;   /* evolving region: [sstate][mirror] */
    void *mirror; /* [mirror_bytes] */
} snap;

static void s_fini(void *self);

int rlc_snapshot_is(const rlc_env *env) {
    return env && env->def->fini == s_fini;
}

static snap *S(const void *self) {
    return (snap *)(uintptr_t)self;
}

/* ---- stack plumbing (as wrappers.c) ---------------------------------------------------- */

static void sync_in(snap *w) {
    if (w->st->stamp != w->live_stamp) {
        (void)rlc_env_set_state(w->inner, w->mirror, w->mirror_bytes);
        w->live_stamp = w->st->stamp;
    }
}

static void sync_out(snap *w) {
    (void)rlc_env_get_state(w->inner, w->mirror, w->mirror_bytes);
    w->st->stamp = w->live_stamp = ++w->next_stamp;
}

/* The limit of this layer for the episode in progress. */
static int64_t limit_of(const snap *w) {
    if (w->st->start >= 0 && w->horizon > 0 && (w->nominal <= 0 || w->horizon < w->nominal))
        return w->horizon;
    return w->nominal;
}

static void s_reset(void *self, rlc_rng *rng, void *obs) {
    snap *w = self;
    sync_in(w);
    w->inner->rt.rng = *rng;
    w->inner->rt.seeded = 1;
    (void)rlc_env_reset(w->inner, RLC_ENV_NO_SEED, obs);
    *rng = w->inner->rt.rng;
    w->st->start = -1;
    /* One uniform draw decides (none when prob is 0 or 1), then a cluster, then a member. */
    int use = w->prob >= 1 || (w->prob > 0 && rlc_rng_random(rng) < w->prob);
    if (use) {
        int64_t c = rlc_rng_integers(rng, 0, w->k);
        int64_t lo = w->cstart[c], hi = w->cstart[c + 1];
        int64_t i = w->order[rlc_rng_integers(rng, lo, hi)];
        /* cannot fail: the vectors were checked at construction and the episode is running */
        (void)rlc_env_set_state_vector(w->inner, w->states + i * w->dim, w->dim);
        (void)rlc_env_observe(w->inner, obs);
        w->st->start = i;
    }
    w->outer->max_steps = limit_of(w);
    sync_out(w);
}

static void s_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                   int *terminated) {
    snap *w = self;
    sync_in(w);
    rlc_step_result r = {0, 0, 0, 0, 0};
    w->inner->rt.rng = *rng;
    if (rlc_env_step(w->inner, action, obs, &r)) {
        /* an inner error (e.g. an unstable MuJoCo simulation) ends the episode */
        r.reward = 0;
        r.terminated = 1;
    }
    *rng = w->inner->rt.rng;
    *reward = r.reward;
    *terminated = r.terminated;
    /* the generic layer truncates when its count reaches max_steps */
    rlc_env *o = w->outer;
    int64_t lim = limit_of(w), t = o->rt.elapsed + 1;
    o->max_steps = lim;
    if (r.truncated && !(lim > 0 && t >= lim)) o->max_steps = t;
    sync_out(w);
}

static void s_observe(const void *self, void *obs) {
    snap *w = S(self);
    sync_in(w);
    (void)rlc_env_observe(w->inner, obs);
}

static void s_get_vector(const void *self, double *v) {
    snap *w = S(self);
    sync_in(w);
    (void)rlc_env_get_state_vector(w->inner, v);
}

static void s_set_vector(void *self, const double *v) {
    snap *w = self;
    sync_in(w);
    int fresh = w->outer->rt.phase != RLC__PHASE_RUNNING;
    (void)rlc_env_set_state_vector(w->inner, v, w->dim);
    if (fresh) {
        w->st->start = -1;
        w->outer->max_steps = w->nominal;
    }
    sync_out(w);
}

static rlc_status s_render(const void *self, uint8_t *rgb, int width, int height) {
    snap *w = S(self);
    sync_in(w);
    return rlc_env_render(w->inner, rgb, width, height);
}

static void s_fini(void *self) {
    snap *w = self;
    rlc_env_destroy(w->inner);
    w->inner = NULL;
    rlc_free(w->states);
    rlc_free(w->labels);
    rlc_free(w->order);
    rlc_free(w->cstart);
}

/* ---- status classification ------------------------------------------------------------- */

/* k-means with k-means++ seeding on x[n * m] (rows z-scored by the caller); labels[n]. Returns
 * the number of non-empty clusters after relabelling them 0..k'-1 in order of first member.
 * Scratch: cent[k * m], cnt[k], d2[n]. Deterministic for a seed. */
static int kmeans(const double *x, int64_t n, int m, int k, int iters, uint64_t seed,
                  int32_t *labels, double *cent, int64_t *cnt, double *d2) {
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    int64_t first = rlc_rng_integers(&rng, 0, n);
    memcpy(cent, x + first * m, sizeof(double) * (size_t)m);
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < m; j++)
            s += (x[i * m + j] - cent[j]) * (x[i * m + j] - cent[j]);
        d2[i] = s;
    }
    for (int c = 1; c < k; c++) {
        double tot = 0;
        for (int64_t i = 0; i < n; i++)
            tot += d2[i];
        int64_t pick = n - 1;
        if (tot > 0) {
            double u = rlc_rng_random(&rng) * tot, acc = 0;
            for (int64_t i = 0; i < n; i++) {
                acc += d2[i];
                if (u < acc) {
                    pick = i;
                    break;
                }
            }
        } else {
            pick = rlc_rng_integers(&rng, 0, n);
        }
        memcpy(cent + (size_t)c * m, x + pick * m, sizeof(double) * (size_t)m);
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < m; j++)
                s += (x[i * m + j] - cent[c * m + j]) * (x[i * m + j] - cent[c * m + j]);
            if (s < d2[i]) d2[i] = s;
        }
    }
    for (int64_t i = 0; i < n; i++)
        labels[i] = -1;
    for (int it = 0; it < (iters > 0 ? iters : 1); it++) {
        int changed = 0;
        for (int64_t i = 0; i < n; i++) {
            int best = 0;
            double bd = INFINITY;
            for (int c = 0; c < k; c++) {
                double s = 0;
                for (int j = 0; j < m; j++)
                    s += (x[i * m + j] - cent[c * m + j]) * (x[i * m + j] - cent[c * m + j]);
                if (s < bd) {
                    bd = s;
                    best = c;
                }
            }
            if (labels[i] != best) changed = 1;
            labels[i] = best;
        }
        if (!changed) break;
        memset(cent, 0, sizeof(double) * (size_t)k * m);
        memset(cnt, 0, sizeof(int64_t) * (size_t)k);
        for (int64_t i = 0; i < n; i++) {
            cnt[labels[i]]++;
            for (int j = 0; j < m; j++)
                cent[labels[i] * m + j] += x[i * m + j];
        }
        for (int c = 0; c < k; c++)
            for (int j = 0; j < m; j++)
                if (cnt[c]) cent[c * m + j] /= (double)cnt[c];
        /* an emptied cluster keeps a zero centre and may collect points again */
    }
    /* relabel non-empty clusters 0..k'-1 in order of first appearance */
    int32_t map[4096];
    for (int c = 0; c < k; c++)
        map[c] = -1;
    int kk = 0;
    for (int64_t i = 0; i < n; i++) {
        if (map[labels[i]] < 0) map[labels[i]] = kk++;
        labels[i] = map[labels[i]];
    }
    return kk;
}

/* Observations of every teacher state, z-scored per element, into feat[n * m]; the inner env
 * is restored exactly afterwards. */
static rlc_status teacher_features(rlc_env *inner, const double *states, int64_t n, int dim,
                                   double *feat, int m) {
    size_t sz = rlc_env_state_size(inner);
    void *save = rlc_malloc(sz);
    float *o32 = rlc_malloc(sizeof(float) * (size_t)m);
    void *obs = rlc_malloc(rlc_space_bytes(&inner->obs_space) + 8);
    rlc_status st = save && o32 && obs ? RLC_OK : RLC_ERR_NOMEM;
    if (!st) st = rlc_env_get_state(inner, save, sz);
    for (int64_t i = 0; !st && i < n; i++) {
        st = rlc_env_set_state_vector(inner, states + i * dim, dim);
        if (!st) st = rlc_env_observe(inner, obs);
        if (st) break;
        rlc_space_to_f32(&inner->obs_space, obs, o32);
        for (int j = 0; j < m; j++)
            feat[i * m + j] = isfinite(o32[j]) ? o32[j] : 0.0;
    }
    if (save) (void)rlc_env_set_state(inner, save, sz);
    rlc_free(save);
    rlc_free(o32);
    rlc_free(obs);
    if (st) return st;
    for (int j = 0; j < m; j++) {
        double mu = 0, var = 0;
        for (int64_t i = 0; i < n; i++)
            mu += feat[i * m + j];
        mu /= (double)n;
        for (int64_t i = 0; i < n; i++)
            var += (feat[i * m + j] - mu) * (feat[i * m + j] - mu);
        double sd = sqrt(var / (double)n);
        for (int64_t i = 0; i < n; i++)
            feat[i * m + j] = sd > 1e-12 ? (feat[i * m + j] - mu) / sd : 0.0;
    }
    return RLC_OK;
}

/* ---- construction ---------------------------------------------------------------------- */

void rlc_snapshot_options_init(rlc_snapshot_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->clusters = 8;
    o->kmeans_iters = 100;
    o->horizon = 0;
    o->prob = 1.0;
}

static uint64_t instance_base(void) {
    static _Atomic uint64_t counter = 0;
    double t = rlc_time_now();
    uint64_t tb;
    memcpy(&tb, &t, sizeof tb);
    uint64_t z = (atomic_fetch_add(&counter, 1) + 1) * 0xD1B54A32D192ED03ull ^
                 (uint64_t)getpid() << 32 ^ tb;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static rlc_status space_copy(rlc_space *dst, const rlc_space *src) {
    rlc_status st = RLC_OK;
    switch (src->kind) {
    case RLC_SPACE_BOX:
        st = rlc__space_box(dst, src->dtype, src->size, src->low, src->high);
        break;
    case RLC_SPACE_DISCRETE:
        rlc__space_discrete(dst, src->n, src->start);
        break;
    case RLC_SPACE_MULTI_DISCRETE:
        st = rlc__space_multi_discrete(dst, src->size, src->nvec, src->nstart);
        break;
    }
    if (st) return st;
    dst->ndim = src->ndim;
    memcpy(dst->shape, src->shape, sizeof dst->shape);
    return RLC_OK;
}

#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

static void abandon(rlc_env *env) {
    snap *w = env->self;
    rlc_free(w->states);
    rlc_free(w->labels);
    rlc_free(w->order);
    rlc_free(w->cstart);
    rlc__space_free(&env->obs_space);
    rlc__space_free(&env->act_space);
    rlc_free(env->scratch_obs);
    rlc_free(env);
}

rlc_status rlc_wrap_snapshot(rlc_env **out, rlc_env *inner, const double *states, int64_t n,
                             const rlc_snapshot_options *opt) {
    const char *fn = "rlc_wrap_snapshot";
    if (!out || !inner || !states)
        return rlc_error(RLC_ERR_INVALID, "%s: out, inner and states must be non-NULL", fn);
    if (n < 1)
        return rlc_error(RLC_ERR_INVALID, "%s: need at least one teacher state, got %lld", fn,
                         (long long)n);
    rlc_snapshot_options o;
    rlc_snapshot_options_init(&o);
    if (opt) o = *opt;
    if (o.clusters < 0 || o.clusters > 4096)
        return rlc_error(RLC_ERR_RANGE, "%s: clusters must be in 0..4096, got %d", fn, o.clusters);
    if (o.kmeans_iters < 0)
        return rlc_error(RLC_ERR_RANGE, "%s: kmeans_iters must be >= 0, got %d", fn,
                         o.kmeans_iters);
    if (o.horizon < 0)
        return rlc_error(RLC_ERR_RANGE, "%s: horizon must be >= 0 (0 = off), got %lld", fn,
                         (long long)o.horizon);
    if (!(o.prob >= 0 && o.prob <= 1))
        return rlc_error(RLC_ERR_RANGE, "%s: prob must lie in [0, 1], got %g", fn, o.prob);
    const rlc_space *os = &inner->obs_space;
    if (os->kind != RLC_SPACE_BOX) {
        char sp[160];
        rlc_space_describe(os, sp, sizeof sp);
        return rlc_error(RLC_ERR_INVALID, "%s: %s has observation space %s; a Box is needed", fn,
                         rlc_env_id(inner), sp);
    }
    int dim = rlc_env_state_dim(inner);
    for (int64_t i = 0; i < n * dim; i++)
        if (!isfinite(states[i]))
            return rlc_error(RLC_ERR_RANGE, "%s: teacher state %lld, value %d (%g) is not finite",
                             fn, (long long)(i / dim), (int)(i % dim), states[i]);
    int k = o.clusters < 1 ? 1 : o.clusters;
    if (k > n) k = (int)n;

    size_t mirror = rlc_env_state_size(inner);
    size_t o_self = ALIGN16(sizeof(rlc_env));
    size_t o_state = ALIGN16(o_self + sizeof(snap));
    size_t o_mirror = ALIGN16(o_state + sizeof(sstate));
    size_t total = o_mirror + mirror;
    char *blk = rlc_calloc(1, total);
    if (!blk) return RLC_ERR_NOMEM;
    rlc_env *env = (rlc_env *)(void *)blk;
    snap *w = (snap *)(void *)(blk + o_self);
    env->self = w;
    env->spec = inner->spec;
    w->inner = inner;
    w->outer = env;
    w->nominal = inner->max_steps;
    w->next_stamp = instance_base();
    w->st = (sstate *)(void *)(blk + o_state);
    w->st->start = -1;
    w->mirror = blk + o_mirror;
    w->mirror_bytes = mirror;
    w->dim = dim;
    w->n = n;
    w->horizon = o.horizon;
    w->prob = o.prob;
    snprintf(w->name, sizeof w->name, "Snapshot(%s)", inner->def->name);
    rlc__env_def *d = &w->def;
    d->name = w->name;
    d->summary = inner->def->summary;
    d->size = total - o_self;
    d->state_offset = o_state - o_self;
    d->state_size = total - o_state;
    d->state_dim = dim;
    d->state_names = inner->def->state_names;
    d->flags = inner->def->flags;
    d->reset = s_reset;
    d->step = s_step;
    d->observe = s_observe;
    d->get_vector = s_get_vector;
    d->set_vector = s_set_vector;
    d->render = s_render;
    d->fini = s_fini;
    env->def = d;
    env->step = s_step;

    int m = (int)os->size;
    w->states = rlc_malloc(sizeof(double) * (size_t)(n * dim));
    w->labels = rlc_malloc(sizeof(int32_t) * (size_t)n);
    w->order = rlc_malloc(sizeof(int64_t) * (size_t)n);
    w->cstart = rlc_calloc((size_t)k + 1, sizeof(int64_t));
    double *feat = rlc_malloc(sizeof(double) * (size_t)n * (size_t)m);
    double *cent = rlc_malloc(sizeof(double) * (size_t)k * (size_t)m);
    int64_t *cnt = rlc_malloc(sizeof(int64_t) * (size_t)k);
    double *d2 = rlc_malloc(sizeof(double) * (size_t)n);
    rlc_status st =
        w->states && w->labels && w->order && w->cstart && feat && cent && cnt && d2
            ? RLC_OK
            : RLC_ERR_NOMEM;
    if (!st) {
        memcpy(w->states, states, sizeof(double) * (size_t)(n * dim));
        if (k > 1) {
            st = teacher_features(inner, states, n, dim, feat, m);
            if (!st) k = kmeans(feat, n, m, k, o.kmeans_iters, o.seed, w->labels, cent, cnt, d2);
        } else {
            memset(w->labels, 0, sizeof(int32_t) * (size_t)n);
        }
    }
    rlc_free(feat);
    rlc_free(cent);
    rlc_free(cnt);
    rlc_free(d2);
    if (!st) {
        /* counting sort of the states by cluster (stable: index order inside a cluster) */
        w->k = k;
        memset(w->cstart, 0, sizeof(int64_t) * ((size_t)k + 1));
        for (int64_t i = 0; i < n; i++)
            w->cstart[w->labels[i] + 1]++;
        for (int c = 0; c < k; c++)
            w->cstart[c + 1] += w->cstart[c];
        int64_t fill[4097];
        memcpy(fill, w->cstart, sizeof(int64_t) * (size_t)k);
        for (int64_t i = 0; i < n; i++)
            w->order[fill[w->labels[i]]++] = i;
        st = space_copy(&env->obs_space, &inner->obs_space);
    }
    if (!st) st = space_copy(&env->act_space, &inner->act_space);
    if (!st) {
        env->scratch_obs = rlc_calloc(1, rlc_space_bytes(&env->obs_space) + 8);
        if (!env->scratch_obs) st = RLC_ERR_NOMEM;
    }
    if (st) {
        abandon(env);
        return st;
    }
    env->max_steps = w->nominal;
    env->act_check = inner->act_check;
    env->act_n = inner->act_n;
    env->act_lo = inner->act_lo;
    env->act_span = inner->act_span;
    sync_out(w);
    *out = env;
    return RLC_OK;
}

rlc_env *rlc_snapshot_inner(const rlc_env *env) {
    return rlc_snapshot_is(env) ? S(env->self)->inner : NULL;
}

int64_t rlc_snapshot_last_start(const rlc_env *env) {
    return rlc_snapshot_is(env) ? S(env->self)->st->start : -1;
}

rlc_status rlc_snapshot_clusters(const rlc_env *env, int *k, int32_t *labels) {
    if (!rlc_snapshot_is(env))
        return rlc_error(RLC_ERR_INVALID, "rlc_snapshot_clusters: %s is not a snapshot layer",
                         env ? rlc_env_id(env) : "NULL");
    const snap *w = S(env->self);
    if (k) *k = w->k;
    if (labels) memcpy(labels, w->labels, sizeof(int32_t) * (size_t)w->n);
    return RLC_OK;
}

/* ---- recording teacher trajectories ---------------------------------------------------- */

rlc_status rlc_snapshot_record(rlc_env *env, rlc_snapshot_policy policy, void *user, int episodes,
                               uint64_t seed, double **states, int64_t *n, double *returns) {
    if (!env || !policy || !states || !n)
        return rlc_error(RLC_ERR_INVALID, "rlc_snapshot_record: NULL argument");
    if (episodes < 1)
        return rlc_error(RLC_ERR_INVALID, "rlc_snapshot_record: episodes must be >= 1, got %d",
                         episodes);
    int dim = rlc_env_state_dim(env);
    void *obs = rlc_malloc(rlc_space_bytes(&env->obs_space) + 8);
    void *act = rlc_malloc(rlc_space_bytes(&env->act_space) + 8);
    int64_t cap = 1024, cnt = 0;
    double *buf = rlc_malloc(sizeof(double) * (size_t)(cap * dim));
    rlc_status st = obs && act && buf ? RLC_OK : RLC_ERR_NOMEM;
    for (int e = 0; !st && e < episodes; e++) {
        st = rlc_env_reset(env, (int64_t)(seed + (uint64_t)e), obs);
        rlc_step_result r = {0, 0, 0, 0, 0};
        while (!st && !(r.terminated || r.truncated)) {
            if (cnt == cap) {
                double *nb = rlc_realloc(buf, sizeof(double) * (size_t)(2 * cap * dim));
                if (!nb) {
                    st = RLC_ERR_NOMEM;
                    break;
                }
                buf = nb;
                cap *= 2;
            }
            st = rlc_env_get_state_vector(env, buf + cnt * dim);
            if (!st) st = policy(obs, act, user);
            if (!st) st = rlc_env_step(env, act, obs, &r);
            if (!st) cnt++;
        }
        if (!st && returns) returns[e] = r.episode_return;
    }
    rlc_free(obs);
    rlc_free(act);
    if (st) {
        rlc_free(buf);
        return st;
    }
    *states = buf;
    *n = cnt;
    return RLC_OK;
}
