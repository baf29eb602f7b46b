/* Offline dataset store: flat float columns with episode offsets, streaming and bulk episode
 * adds, uniform/weighted/sequence samplers, return statistics, TQ and SACo. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rlc/dataset.h"

/* Shared with dataset_hdf5.c (no impl header in this module's file list). */
rlc_status rlc__dataset_set_space_json(rlc_dataset *d, const char *obs_json, const char *act_json);

struct rlc_dataset {
    int64_t obs_dim, act_dim;
    int64_t E, N;       /* complete episodes and their transitions */
    int64_t steps_used; /* transitions stored, including an open episode's */
    int64_t step_cap, obs_rows_used, obs_cap, ep_cap;
    float *obs, *act, *rew;
    uint8_t *term, *trunc;
    double *rtg;
    int64_t *ep_off; /* [ep_cap + 1] */
    double *ep_ret;  /* [ep_cap] */
    int open;        /* an episode is being streamed */
    rlc_dataset_meta meta;
    char *obs_json, *act_json;
};

struct rlc_dataset_sampler {
    const rlc_dataset *d;
    int per_episode;
    int64_t n;
    double *cum; /* [n] inclusive cumulative weights */
};

rlc_dataset *rlc_dataset_create(int64_t obs_dim, int64_t act_dim) {
    if (obs_dim < 1 || act_dim < 1 || obs_dim > (1 << 24) || act_dim > (1 << 24)) {
        rlc_error(RLC_ERR_INVALID, "rlc_dataset_create: obs_dim %lld and act_dim %lld must be >= 1",
                  (long long)obs_dim, (long long)act_dim);
        return NULL;
    }
    rlc_dataset *d = rlc_calloc(1, sizeof *d);
    if (!d) return NULL;
    d->obs_dim = obs_dim;
    d->act_dim = act_dim;
    d->ep_off = rlc_calloc(1, sizeof(int64_t));
    if (!d->ep_off) {
        rlc_free(d);
        return NULL;
    }
    d->meta.ref_min_score = NAN;
    d->meta.ref_max_score = NAN;
    d->meta.obs_dtype = RLC_SPACE_FLOAT32;
    return d;
}

void rlc_dataset_destroy(rlc_dataset *d) {
    if (!d) return;
    rlc_free(d->obs);
    rlc_free(d->act);
    rlc_free(d->rew);
    rlc_free(d->term);
    rlc_free(d->trunc);
    rlc_free(d->rtg);
    rlc_free(d->ep_off);
    rlc_free(d->ep_ret);
    rlc_free(d->obs_json);
    rlc_free(d->act_json);
    rlc_free(d);
}

rlc_dataset_meta *rlc_dataset_meta_of(rlc_dataset *d) {
    return &d->meta;
}
const rlc_dataset_meta *rlc_dataset_meta_get(const rlc_dataset *d) {
    return &d->meta;
}
int64_t rlc_dataset_num_episodes(const rlc_dataset *d) {
    return d->E;
}
int64_t rlc_dataset_num_steps(const rlc_dataset *d) {
    return d->N;
}
int64_t rlc_dataset_obs_dim(const rlc_dataset *d) {
    return d->obs_dim;
}
int64_t rlc_dataset_act_dim(const rlc_dataset *d) {
    return d->act_dim;
}

void rlc_dataset_view_get(const rlc_dataset *d, rlc_dataset_view *v) {
    v->obs_dim = d->obs_dim;
    v->act_dim = d->act_dim;
    v->num_episodes = d->E;
    v->num_steps = d->N;
    v->observations = d->obs;
    v->actions = d->act;
    v->rewards = d->rew;
    v->terminations = d->term;
    v->truncations = d->trunc;
    v->episode_offsets = d->ep_off;
    v->episode_returns = d->ep_ret;
    v->returns_to_go = d->rtg;
}

const char *rlc_dataset_space_json(const rlc_dataset *d, int action) {
    const char *s = action ? d->act_json : d->obs_json;
    return s ? s : "";
}

rlc_status rlc__dataset_set_space_json(rlc_dataset *d, const char *obs_json, const char *act_json) {
    char *o = obs_json ? rlc_strdup(obs_json) : NULL;
    char *a = act_json ? rlc_strdup(act_json) : NULL;
    if ((obs_json && !o) || (act_json && !a)) {
        rlc_free(o);
        rlc_free(a);
        return RLC_ERR_NOMEM;
    }
    rlc_free(d->obs_json);
    rlc_free(d->act_json);
    d->obs_json = o;
    d->act_json = a;
    return RLC_OK;
}

/* Appends a number as Python's json.dumps writes floats (inf -> Infinity). */
static void put_num(char *buf, size_t cap, size_t *len, double x) {
    if (*len >= cap) return;
    int k;
    if (isinf(x))
        k = snprintf(buf + *len, cap - *len, "%s", x > 0 ? "Infinity" : "-Infinity");
    else if (isnan(x))
        k = snprintf(buf + *len, cap - *len, "NaN");
    else if (x == floor(x) && fabs(x) < 1e15)
        k = snprintf(buf + *len, cap - *len, "%.1f", x);
    else
        k = snprintf(buf + *len, cap - *len, "%.17g", x);
    if (k > 0) *len += (size_t)k;
}

static const char *dtype_name(rlc_space_dtype t) {
    static const char *names[] = {"float32", "float64", "int64", "int32", "uint8"};
    return (int)t >= 0 && (int)t < 5 ? names[t] : "float32";
}

/* Minari's serialisation (minari/serialization.py) of Box / Discrete / MultiDiscrete. */
static char *space_json(const rlc_space *s) {
    size_t cap = 256 + (size_t)s->size * 64, len = 0;
    char *b = rlc_malloc(cap);
    if (!b) return NULL;
    if (s->kind == RLC_SPACE_DISCRETE) {
        snprintf(b, cap,
                 "{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": %lld, \"n\": %lld}",
                 (long long)s->start, (long long)s->n);
        return b;
    }
    if (s->kind == RLC_SPACE_MULTI_DISCRETE) {
        len = (size_t)snprintf(b, cap,
                               "{\"type\": \"MultiDiscrete\", \"dtype\": \"int64\", \"nvec\": [");
        for (int64_t i = 0; i < s->size && len < cap; i++)
            len += (size_t)snprintf(b + len, cap - len, "%s%lld", i ? ", " : "",
                                    (long long)s->nvec[i]);
        len += (size_t)snprintf(b + len, cap - len, "], \"start\": [");
        for (int64_t i = 0; i < s->size && len < cap; i++)
            len += (size_t)snprintf(b + len, cap - len, "%s%lld", i ? ", " : "",
                                    (long long)(s->nstart ? s->nstart[i] : 0));
        snprintf(b + len, cap - len, "]}");
        return b;
    }
    len = (size_t)snprintf(b, cap, "{\"type\": \"Box\", \"dtype\": \"%s\", \"shape\": [",
                           dtype_name(s->dtype));
    for (int i = 0; i < s->ndim; i++)
        len +=
            (size_t)snprintf(b + len, cap - len, "%s%lld", i ? ", " : "", (long long)s->shape[i]);
    len += (size_t)snprintf(b + len, cap - len, "], \"low\": [");
    for (int64_t i = 0; i < s->size; i++) {
        if (i) len += (size_t)snprintf(b + len, cap - len, ", ");
        put_num(b, cap, &len, s->low[i]);
    }
    len += (size_t)snprintf(b + len, cap - len, "], \"high\": [");
    for (int64_t i = 0; i < s->size; i++) {
        if (i) len += (size_t)snprintf(b + len, cap - len, ", ");
        put_num(b, cap, &len, s->high[i]);
    }
    snprintf(b + len, cap - len, "]}");
    return b;
}

rlc_status rlc_dataset_set_spaces(rlc_dataset *d, const rlc_space *obs, const rlc_space *act) {
    if (!d || !obs || !act) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_set_spaces: NULL");
    if (obs->size != d->obs_dim || act->size != d->act_dim)
        return rlc_error(
            RLC_ERR_INVALID,
            "rlc_dataset_set_spaces: spaces have %lld/%lld elements, dataset %lld/%lld",
            (long long)obs->size, (long long)act->size, (long long)d->obs_dim,
            (long long)d->act_dim);
    char *o = space_json(obs), *a = space_json(act);
    if (!o || !a) {
        rlc_free(o);
        rlc_free(a);
        return RLC_ERR_NOMEM;
    }
    rlc_free(d->obs_json);
    rlc_free(d->act_json);
    d->obs_json = o;
    d->act_json = a;
    d->meta.discrete_actions = act->kind == RLC_SPACE_DISCRETE;
    d->meta.num_actions = act->kind == RLC_SPACE_DISCRETE ? act->n : 0;
    d->meta.obs_dtype = obs->dtype == RLC_SPACE_FLOAT64 ? RLC_SPACE_FLOAT64 : RLC_SPACE_FLOAT32;
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Growth
 * ------------------------------------------------------------------------------------- */

/* Makes room for `steps` more transitions, `rows` more observation rows and one more
 * episode. All-or-nothing: on failure the old buffers stay valid. */
static rlc_status reserve(rlc_dataset *d, int64_t steps, int64_t rows) {
    int64_t need_s = d->steps_used + steps, need_r = d->obs_rows_used + rows, need_e = d->E + 1;
    if (need_s > d->step_cap) {
        int64_t c = d->step_cap ? d->step_cap : 1024;
        while (c < need_s)
            c *= 2;
        float *a = rlc_realloc(d->act, sizeof(float) * (size_t)(c * d->act_dim));
        if (!a) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->act = a;
        float *r = rlc_realloc(d->rew, sizeof(float) * (size_t)c);
        if (!r) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->rew = r;
        uint8_t *t = rlc_realloc(d->term, (size_t)c);
        if (!t) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->term = t;
        t = rlc_realloc(d->trunc, (size_t)c);
        if (!t) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->trunc = t;
        double *g = rlc_realloc(d->rtg, sizeof(double) * (size_t)c);
        if (!g) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->rtg = g;
        d->step_cap = c;
    }
    if (need_r > d->obs_cap) {
        int64_t c = d->obs_cap ? d->obs_cap : 1024;
        while (c < need_r)
            c *= 2;
        float *o = rlc_realloc(d->obs, sizeof(float) * (size_t)(c * d->obs_dim));
        if (!o) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->obs = o;
        d->obs_cap = c;
    }
    if (need_e > d->ep_cap) {
        int64_t c = d->ep_cap ? d->ep_cap * 2 : 64;
        int64_t *off = rlc_realloc(d->ep_off, sizeof(int64_t) * (size_t)(c + 1));
        if (!off) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->ep_off = off;
        double *r = rlc_realloc(d->ep_ret, sizeof(double) * (size_t)c);
        if (!r) return rlc_error(RLC_ERR_NOMEM, "dataset: out of memory");
        d->ep_ret = r;
        d->ep_cap = c;
    }
    return RLC_OK;
}

/* Closes the open episode made of transitions N..steps_used-1. */
static void close_episode(rlc_dataset *d) {
    int64_t a = d->N, b = d->steps_used;
    double g = 0;
    for (int64_t t = b - 1; t >= a; t--) {
        g += d->rew[t];
        d->rtg[t] = g;
    }
    d->ep_ret[d->E] = g;
    d->E++;
    d->N = b;
    d->ep_off[d->E] = b;
    d->open = 0;
}

rlc_status rlc_dataset_add_episode(rlc_dataset *d, int64_t T, const float *obs,
                                   const float *actions, const float *rewards,
                                   const uint8_t *terminations, const uint8_t *truncations) {
    if (!d || T < 1 || !obs || !actions || !rewards)
        return rlc_error(RLC_ERR_INVALID,
                         "rlc_dataset_add_episode: need T >= 1 (got %lld) and "
                         "non-NULL obs, actions, rewards",
                         (long long)T);
    if (d->open)
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_add_episode: an episode is being streamed");
    rlc_status st = reserve(d, T, T + 1);
    if (st) return st;
    memcpy(d->obs + d->obs_rows_used * d->obs_dim, obs,
           sizeof(float) * (size_t)((T + 1) * d->obs_dim));
    memcpy(d->act + d->N * d->act_dim, actions, sizeof(float) * (size_t)(T * d->act_dim));
    memcpy(d->rew + d->N, rewards, sizeof(float) * (size_t)T);
    for (int64_t t = 0; t < T; t++) {
        d->term[d->N + t] = terminations ? (terminations[t] != 0) : 0;
        d->trunc[d->N + t] = truncations ? (truncations[t] != 0) : 0;
    }
    d->obs_rows_used += T + 1;
    d->steps_used = d->N + T;
    close_episode(d);
    return RLC_OK;
}

rlc_status rlc_dataset_begin_episode(rlc_dataset *d, const float *obs0) {
    if (!d || !obs0) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_begin_episode: NULL");
    if (d->open)
        return rlc_error(RLC_ERR_STATE, "rlc_dataset_begin_episode: an episode is already open");
    rlc_status st = reserve(d, 0, 1);
    if (st) return st;
    memcpy(d->obs + d->obs_rows_used * d->obs_dim, obs0, sizeof(float) * (size_t)d->obs_dim);
    d->obs_rows_used++;
    d->open = 1;
    return RLC_OK;
}

rlc_status rlc_dataset_add_step(rlc_dataset *d, const float *action, float reward,
                                const float *next_obs, int terminated, int truncated) {
    if (!d || !action || !next_obs) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_add_step: NULL");
    if (!d->open)
        return rlc_error(RLC_ERR_STATE,
                         "rlc_dataset_add_step: no open episode (begin_episode first)");
    rlc_status st = reserve(d, 1, 1);
    if (st) return st;
    int64_t t = d->steps_used;
    memcpy(d->act + t * d->act_dim, action, sizeof(float) * (size_t)d->act_dim);
    d->rew[t] = reward;
    d->term[t] = terminated != 0;
    d->trunc[t] = truncated != 0;
    memcpy(d->obs + d->obs_rows_used * d->obs_dim, next_obs, sizeof(float) * (size_t)d->obs_dim);
    d->obs_rows_used++;
    d->steps_used++;
    if (terminated || truncated) close_episode(d);
    return RLC_OK;
}

rlc_status rlc_dataset_end_episode(rlc_dataset *d) {
    if (!d) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_end_episode: NULL");
    if (!d->open) return RLC_OK;
    if (d->steps_used == d->N) { /* no steps: drop the reset observation */
        d->obs_rows_used--;
        d->open = 0;
        return RLC_OK;
    }
    close_episode(d);
    return RLC_OK;
}

rlc_status rlc_dataset_copy_episode(rlc_dataset *dst, const rlc_dataset *src, int64_t e) {
    if (!dst || !src || e < 0 || e >= src->E)
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_copy_episode: bad episode %lld",
                         (long long)e);
    if (dst->obs_dim != src->obs_dim || dst->act_dim != src->act_dim)
        return rlc_error(
            RLC_ERR_INVALID,
            "rlc_dataset_copy_episode: dims differ (obs %lld vs %lld, act %lld vs %lld)",
            (long long)dst->obs_dim, (long long)src->obs_dim, (long long)dst->act_dim,
            (long long)src->act_dim);
    int64_t a = src->ep_off[e], T = src->ep_off[e + 1] - a;
    return rlc_dataset_add_episode(dst, T, src->obs + (a + e) * src->obs_dim,
                                   src->act + a * src->act_dim, src->rew + a, src->term + a,
                                   src->trunc + a);
}

/* ---------------------------------------------------------------------------------------
 * Sampling
 * ------------------------------------------------------------------------------------- */

/* Episode holding global transition t (binary search on the offsets). */
static int64_t episode_of(const rlc_dataset *d, int64_t t) {
    int64_t lo = 0, hi = d->E - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (d->ep_off[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void fill(const rlc_dataset *d, int64_t i, int64_t t, rlc_dataset_batch *b) {
    int64_t e = episode_of(d, t), od = d->obs_dim, ad = d->act_dim;
    if (b->obs) memcpy(b->obs + i * od, d->obs + (t + e) * od, sizeof(float) * (size_t)od);
    if (b->next_obs)
        memcpy(b->next_obs + i * od, d->obs + (t + e + 1) * od, sizeof(float) * (size_t)od);
    if (b->actions) memcpy(b->actions + i * ad, d->act + t * ad, sizeof(float) * (size_t)ad);
    if (b->rewards) b->rewards[i] = d->rew[t];
    if (b->terminations) b->terminations[i] = d->term[t];
    if (b->truncations) b->truncations[i] = d->trunc[t];
    if (b->index) b->index[i] = t;
}

rlc_status rlc_dataset_sample(const rlc_dataset *d, rlc_rng *rng, int64_t n, rlc_dataset_batch *b) {
    if (!d || !rng || !b || n < 1)
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_sample: NULL argument or n < 1");
    if (d->N == 0) return rlc_error(RLC_ERR_STATE, "rlc_dataset_sample: the dataset is empty");
    for (int64_t i = 0; i < n; i++)
        fill(d, i, rlc_rng_integers(rng, 0, d->N), b);
    return RLC_OK;
}

rlc_status rlc_dataset_sampler_create(rlc_dataset_sampler **out, const rlc_dataset *d,
                                      const double *weights, int per_episode) {
    if (!out || !d || !weights)
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_sampler_create: NULL argument");
    int64_t n = per_episode ? d->E : d->N;
    if (n == 0) return rlc_error(RLC_ERR_STATE, "rlc_dataset_sampler_create: the dataset is empty");
    rlc_dataset_sampler *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    s->cum = rlc_malloc(sizeof(double) * (size_t)n);
    if (!s->cum) {
        rlc_free(s);
        return RLC_ERR_NOMEM;
    }
    double acc = 0;
    for (int64_t i = 0; i < n; i++) {
        double w = weights[i];
        if (!(w >= 0) || !isfinite(w)) {
            rlc_free(s->cum);
            rlc_free(s);
            return rlc_error(RLC_ERR_INVALID,
                             "rlc_dataset_sampler_create: weight %lld is %g (need finite >= 0)",
                             (long long)i, w);
        }
        acc += w;
        s->cum[i] = acc;
    }
    if (!(acc > 0) || !isfinite(acc)) {
        rlc_free(s->cum);
        rlc_free(s);
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_sampler_create: weights sum to %g", acc);
    }
    s->d = d;
    s->per_episode = per_episode != 0;
    s->n = n;
    *out = s;
    return RLC_OK;
}

void rlc_dataset_sampler_destroy(rlc_dataset_sampler *s) {
    if (!s) return;
    rlc_free(s->cum);
    rlc_free(s);
}

rlc_status rlc_dataset_sampler_sample(const rlc_dataset_sampler *s, rlc_rng *rng, int64_t n,
                                      rlc_dataset_batch *b) {
    if (!s || !rng || !b || n < 1)
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_sampler_sample: NULL argument or n < 1");
    const rlc_dataset *d = s->d;
    double total = s->cum[s->n - 1];
    for (int64_t i = 0; i < n; i++) {
        double u = rlc_rng_random(rng) * total;
        int64_t lo = 0, hi = s->n - 1; /* first index with cum > u */
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (s->cum[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        int64_t t = lo;
        if (s->per_episode) {
            int64_t a = d->ep_off[lo], T = d->ep_off[lo + 1] - a;
            t = a + rlc_rng_integers(rng, 0, T);
        }
        fill(d, i, t, b);
    }
    return RLC_OK;
}

rlc_status rlc_dataset_return_weights(const rlc_dataset *d, double temperature, double *w) {
    if (!d || !w || !(temperature > 0))
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_return_weights: need temperature > 0");
    if (d->E == 0) return rlc_error(RLC_ERR_STATE, "rlc_dataset_return_weights: empty dataset");
    double mx = d->ep_ret[0];
    for (int64_t e = 1; e < d->E; e++)
        mx = d->ep_ret[e] > mx ? d->ep_ret[e] : mx;
    for (int64_t e = 0; e < d->E; e++)
        w[e] = exp((d->ep_ret[e] - mx) / temperature);
    return RLC_OK;
}

rlc_status rlc_dataset_sample_sequences(const rlc_dataset *d, rlc_rng *rng, int64_t n, int64_t L,
                                        rlc_dataset_seq_batch *b) {
    if (!d || !rng || !b || n < 1 || L < 1)
        return rlc_error(RLC_ERR_INVALID,
                         "rlc_dataset_sample_sequences: NULL argument, n or L < 1");
    int64_t windows = 0;
    for (int64_t e = 0; e < d->E; e++) {
        int64_t T = d->ep_off[e + 1] - d->ep_off[e];
        if (T >= L) windows += T - L + 1;
    }
    if (windows == 0)
        return rlc_error(RLC_ERR_INVALID, "rlc_dataset_sample_sequences: no episode has %lld steps",
                         (long long)L);
    int64_t od = d->obs_dim, ad = d->act_dim;
    for (int64_t i = 0; i < n; i++) {
        /* Draw the k-th window in episode order: uniform over all windows. */
        int64_t k = rlc_rng_integers(rng, 0, windows), e = 0, start = 0;
        for (e = 0; e < d->E; e++) {
            int64_t T = d->ep_off[e + 1] - d->ep_off[e], c = T >= L ? T - L + 1 : 0;
            if (k < c) {
                start = k;
                break;
            }
            k -= c;
        }
        int64_t a = d->ep_off[e];
        for (int64_t j = 0; j < L; j++) {
            int64_t t = a + start + j, o = i * L + j;
            if (b->obs) memcpy(b->obs + o * od, d->obs + (t + e) * od, sizeof(float) * (size_t)od);
            if (b->actions)
                memcpy(b->actions + o * ad, d->act + t * ad, sizeof(float) * (size_t)ad);
            if (b->rewards) b->rewards[o] = d->rew[t];
            if (b->returns_to_go) b->returns_to_go[o] = (float)d->rtg[t];
            if (b->terminations) b->terminations[o] = d->term[t];
            if (b->timesteps) b->timesteps[o] = start + j;
        }
        if (b->episode) b->episode[i] = e;
    }
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Metrics
 * ------------------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t key_of(double x, double bin) {
    if (bin > 0) {
        double q = floor(x / bin);
        if (!isfinite(q)) q = x;
        return (uint64_t)(int64_t)(q > 9e18 ? 9e18 : q < -9e18 ? -9e18 : q);
    }
    float f = (float)x;
    if (f == 0) f = 0; /* -0 == +0 */
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

rlc_status rlc_dataset_unique_sa(const rlc_dataset *d, double bin, int64_t *out) {
    if (!d || !out) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_unique_sa: NULL");
    int64_t cap = 16;
    while (cap < 2 * d->N + 2)
        cap *= 2;
    uint64_t *tab = rlc_calloc((size_t)cap, sizeof(uint64_t));
    if (!tab) return RLC_ERR_NOMEM;
    int64_t count = 0;
    for (int64_t e = 0; e < d->E; e++)
        for (int64_t t = d->ep_off[e]; t < d->ep_off[e + 1]; t++) {
            uint64_t h = 0x1234567ULL;
            const float *s = d->obs + (t + e) * d->obs_dim, *a = d->act + t * d->act_dim;
            for (int64_t i = 0; i < d->obs_dim; i++)
                h = mix64(h ^ key_of(s[i], bin));
            h = mix64(h ^ 0xabcdefULL);
            for (int64_t i = 0; i < d->act_dim; i++)
                h = mix64(h ^ key_of(a[i], d->meta.discrete_actions ? 0 : bin));
            if (h == 0) h = 1;
            uint64_t j = h & (uint64_t)(cap - 1);
            while (tab[j] && tab[j] != h)
                j = (j + 1) & (uint64_t)(cap - 1);
            if (!tab[j]) {
                tab[j] = h;
                count++;
            }
        }
    rlc_free(tab);
    *out = count;
    return RLC_OK;
}

rlc_status rlc_dataset_saco(const rlc_dataset *d, const rlc_dataset *ref, double bin, double *out) {
    if (!d || !ref || !out) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_saco: NULL");
    int64_t u, ur;
    rlc_status st = rlc_dataset_unique_sa(d, bin, &u);
    if (st) return st;
    if ((st = rlc_dataset_unique_sa(ref, bin, &ur))) return st;
    if (ur == 0)
        return rlc_error(RLC_ERR_STATE, "rlc_dataset_saco: the reference dataset is empty");
    *out = (double)u / (double)ur;
    return RLC_OK;
}

rlc_status rlc_dataset_stats_get(const rlc_dataset *d, double bin, rlc_dataset_stats *out) {
    if (!d || !out) return rlc_error(RLC_ERR_INVALID, "rlc_dataset_stats_get: NULL");
    if (d->E == 0) return rlc_error(RLC_ERR_STATE, "rlc_dataset_stats_get: the dataset is empty");
    rlc_dataset_stats s;
    memset(&s, 0, sizeof s);
    s.episodes = d->E;
    s.steps = d->N;
    double sum = 0, mn = d->ep_ret[0], mx = d->ep_ret[0];
    for (int64_t e = 0; e < d->E; e++) {
        sum += d->ep_ret[e];
        mn = d->ep_ret[e] < mn ? d->ep_ret[e] : mn;
        mx = d->ep_ret[e] > mx ? d->ep_ret[e] : mx;
    }
    s.return_mean = sum / (double)d->E;
    double var = 0;
    for (int64_t e = 0; e < d->E; e++)
        var += (d->ep_ret[e] - s.return_mean) * (d->ep_ret[e] - s.return_mean);
    s.return_std = sqrt(var / (double)d->E);
    s.return_min = mn;
    s.return_max = mx;
    s.length_mean = (double)d->N / (double)d->E;
    double lo = d->meta.ref_min_score, hi = d->meta.ref_max_score;
    s.tq = (isfinite(lo) && isfinite(hi) && hi != lo) ? (s.return_mean - lo) / (hi - lo) : NAN;
    rlc_status st = rlc_dataset_unique_sa(d, bin, &s.unique_sa);
    if (st) return st;
    *out = s;
    return RLC_OK;
}

/* D4RL's REF_MIN_SCORE / REF_MAX_SCORE (d4rl/infos.py), shared by all datasets of an env. */
int rlc_dataset_ref_scores(const char *env_id, double *ref_min, double *ref_max) {
    static const struct {
        const char *name;
        double lo, hi;
    } T[] = {{"hopper", -20.272305, 3234.3},
             {"halfcheetah", -280.178953, 12135.0},
             {"walker2d", 1.629008, 4592.3},
             {"ant", -325.6, 3879.7},
             {"antmaze", 0.0, 1.0},
             {"pen", 96.262799, 3076.8331},
             {"door", -56.512833, 2880.5693},
             {"hammer", -274.856578, 12794.134825},
             {"relocate", -6.425911, 4233.877797}};
    if (!env_id) return 0;
    char low[128];
    size_t n = 0;
    for (; env_id[n] && n < sizeof low - 1; n++) {
        char c = env_id[n];
        low[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    low[n] = 0;
    char *dash = strchr(low, '-');
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        size_t k = strlen(T[i].name);
        if (!strncmp(low, T[i].name, k) && (low[k] == 0 || low + k == dash)) {
            if (ref_min) *ref_min = T[i].lo;
            if (ref_max) *ref_max = T[i].hi;
            return 1;
        }
    }
    return 0;
}
