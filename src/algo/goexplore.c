/* Go-Explore: the cell archive (hash map from cell keys to snapshot, score, trajectory length,
 * visit and choice counts, trajectories as parent-pointer nodes), phase 1, the random
 * baseline, and the Backward Algorithm with a tabular Q-learner under sticky actions. */
#include <math.h>
#include <string.h>

#include "rlc/goexplore.h"

/* ---------------------------------------------------------------------------------------
 * Cell map: open addressing from fixed-length int32 keys to dense indices 0..n-1.
 * ------------------------------------------------------------------------------------- */

typedef struct cellmap {
    int key_len;
    int64_t n, cap; /* items, item capacity */
    int32_t *keys;  /* [cap * key_len] */
    int64_t *slots; /* [nslots]: item index or -1 */
    int64_t nslots; /* power of two, >= 2 * cap */
} cellmap;

static uint64_t hash_key(const int32_t *k, int n) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) {
        h ^= (uint32_t)k[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static void map_free(cellmap *m) {
    rlc_free(m->keys);
    rlc_free(m->slots);
    memset(m, 0, sizeof *m);
}

static int64_t map_find(const cellmap *m, const int32_t *k) {
    if (!m->nslots) return -1;
    uint64_t mask = (uint64_t)m->nslots - 1;
    for (uint64_t i = hash_key(k, m->key_len) & mask;; i = (i + 1) & mask) {
        int64_t s = m->slots[i];
        if (s < 0) return -1;
        if (!memcmp(m->keys + s * m->key_len, k, (size_t)m->key_len * sizeof *k)) return s;
    }
}

static void map_place(cellmap *m, int64_t item) {
    uint64_t mask = (uint64_t)m->nslots - 1;
    uint64_t i = hash_key(m->keys + item * m->key_len, m->key_len) & mask;
    while (m->slots[i] >= 0)
        i = (i + 1) & mask;
    m->slots[i] = item;
}

/* The item capacity map_reserve(m, want) grows to. */
static int64_t map_grown_cap(const cellmap *m, int64_t want) {
    int64_t cap = m->cap ? m->cap : 256;
    while (cap < want)
        cap *= 2;
    return cap;
}

/* Makes room for `want` items (keys and slots). RLC_ERR_NOMEM leaves the map intact. */
static rlc_status map_reserve(cellmap *m, int64_t want) {
    if (want <= m->cap) return RLC_OK;
    int64_t cap = map_grown_cap(m, want);
    int32_t *keys = rlc_realloc(m->keys, (size_t)cap * m->key_len * sizeof *keys);
    if (!keys)
        return rlc_error(RLC_ERR_NOMEM, "go-explore: out of memory for %lld cells", (long long)cap);
    m->keys = keys;
    int64_t nslots = 2 * cap;
    int64_t *slots = rlc_malloc((size_t)nslots * sizeof *slots);
    if (!slots) return RLC_ERR_NOMEM;
    rlc_free(m->slots);
    m->slots = slots;
    m->nslots = nslots;
    m->cap = cap;
    for (int64_t i = 0; i < nslots; i++)
        slots[i] = -1;
    for (int64_t i = 0; i < m->n; i++)
        map_place(m, i);
    return RLC_OK;
}

/* Appends key k (not present) and returns its index; call map_reserve(m, n + 1) first. */
static int64_t map_add(cellmap *m, const int32_t *k) {
    int64_t i = m->n++;
    memcpy(m->keys + i * m->key_len, k, (size_t)m->key_len * sizeof *k);
    map_place(m, i);
    return i;
}

/* ---------------------------------------------------------------------------------------
 * Cells of env states.
 * ------------------------------------------------------------------------------------- */

typedef struct cellfn {
    rlc_goexplore_cell_fn fn;
    void *ctx;
    double *scale; /* [state_dim] for the default, owned */
    double *v;     /* [state_dim] scratch */
    int dim, len;  /* state dim; key length fixed by the first call */
} cellfn;

static void cellfn_free(cellfn *c) {
    rlc_free(c->scale);
    rlc_free(c->v);
    memset(c, 0, sizeof *c);
}

static rlc_status cellfn_init(cellfn *c, const rlc_env *env, const rlc_goexplore_config *cfg) {
    memset(c, 0, sizeof *c);
    c->fn = cfg->cell_fn;
    c->ctx = cfg->cell_ctx;
    if (c->fn) return RLC_OK;
    c->dim = rlc_env_state_dim(env);
    if (c->dim < 1 || c->dim > RLC_GOEXPLORE_CELL_MAX)
        return rlc_error(RLC_ERR_INVALID,
                         "go-explore: %s has a state vector of %d values; the default cell "
                         "function takes 1..%d (pass a cell_fn)",
                         rlc_env_id(env), c->dim, RLC_GOEXPLORE_CELL_MAX);
    c->scale = rlc_malloc((size_t)c->dim * sizeof *c->scale);
    c->v = rlc_malloc((size_t)c->dim * sizeof *c->v);
    if (!c->scale || !c->v) {
        cellfn_free(c);
        return RLC_ERR_NOMEM;
    }
    for (int i = 0; i < c->dim; i++) {
        double s = cfg->cell_scale ? cfg->cell_scale[i] : 1.0;
        if (!(s > 0) || !isfinite(s)) {
            cellfn_free(c);
            return rlc_error(RLC_ERR_RANGE, "go-explore: cell_scale[%d] = %g must be > 0", i, s);
        }
        c->scale[i] = s;
    }
    return RLC_OK;
}

/* The cell of the env's current state into key[]; checks the length stays fixed. */
static rlc_status cell_of(cellfn *c, const rlc_env *env, const void *obs, int32_t *key) {
    int n;
    if (c->fn) {
        n = c->fn(c->ctx, env, obs, key);
        if (n < 1 || n > RLC_GOEXPLORE_CELL_MAX)
            return rlc_error(RLC_ERR_INVALID, "go-explore: the cell function returned %d", n);
    } else {
        rlc_status st = rlc_env_get_state_vector(env, c->v);
        if (st) return st;
        for (int i = 0; i < c->dim; i++) {
            double q = floor(c->v[i] / c->scale[i]);
            key[i] = q < -2147483648.0 ? INT32_MIN : q > 2147483647.0 ? INT32_MAX : (int32_t)q;
        }
        n = c->dim;
    }
    if (!c->len) c->len = n;
    if (n != c->len)
        return rlc_error(RLC_ERR_INVALID,
                         "go-explore: the cell function returned %d values after %d", n, c->len);
    return RLC_OK;
}

static rlc_status check_config(const rlc_env *env, const rlc_goexplore_config *c) {
    if (!env) return rlc_error(RLC_ERR_INVALID, "go-explore: env is NULL");
    if (rlc_env_action_space(env)->kind != RLC_SPACE_DISCRETE)
        return rlc_error(RLC_ERR_INVALID, "go-explore: %s needs a Discrete action space",
                         rlc_env_id(env));
    if (!(c->repeat_prob >= 0 && c->repeat_prob <= 1))
        return rlc_error(RLC_ERR_RANGE, "go-explore: repeat_prob %g is outside [0, 1]",
                         c->repeat_prob);
    if (c->explore_steps < 1)
        return rlc_error(RLC_ERR_RANGE, "go-explore: explore_steps %d must be >= 1",
                         c->explore_steps);
    if (c->max_cells < 0) return rlc_error(RLC_ERR_RANGE, "go-explore: max_cells must be >= 0");
    if (c->env_seed < 0) return rlc_error(RLC_ERR_RANGE, "go-explore: env_seed must be >= 0");
    return RLC_OK;
}

void rlc_goexplore_config_default(rlc_goexplore_config *c) {
    memset(c, 0, sizeof *c);
    c->explore_steps = 100;
    c->repeat_prob = 0.95;
    c->solve_score = NAN;
}

/* A random action: the previous one with probability `repeat`, else uniform. */
static int64_t explore_action(rlc_rng *rng, int64_t prev, double repeat, int64_t n, int64_t lo) {
    if (prev >= 0 && repeat > 0 && (repeat >= 1 || rlc_rng_random(rng) < repeat)) return prev;
    return lo + rlc_rng_integers(rng, 0, n);
}

/* ---------------------------------------------------------------------------------------
 * Phase 1.
 * ------------------------------------------------------------------------------------- */

typedef struct cell_meta {
    double score;
    int64_t length, visits, chosen;
    int64_t node; /* last trajectory node, -1 for the empty trajectory */
    int32_t terminal;
} cell_meta;

/* An exploration from a chosen cell, which a run may stop and the next one resume. */
typedef struct explore_ctx {
    int active, t, appended; /* steps taken; actions of actbuf already made nodes */
    double score;
    int64_t len, node, prev;
} explore_ctx;

typedef struct traj_node {
    int64_t parent, action;
} traj_node;

struct rlc_goexplore {
    rlc_env *env;
    rlc_goexplore_config cfg;
    cellfn cf;
    cellmap map;
    cell_meta *meta; /* [map.cap] */
    uint8_t *snaps;  /* [map.cap * snap_size] */
    size_t snap_size;
    traj_node *nodes;
    int64_t nnodes, node_cap;
    rlc_rng rng;
    int64_t n_actions, a_lo;
    void *obs;
    int64_t *actbuf; /* [explore_steps] */
    double *weights; /* [map.cap] */
    explore_ctx x;   /* the exploration in progress, continued by the next run */
    uint8_t *pause;  /* [snap_size]: the env where the last run stopped exploring */
    rlc_goexplore_stats st;
};

/* Grows the per-cell arrays first and the map last, so that a failure leaves every array at
 * least as large as the map's capacity. */
static rlc_status archive_reserve(rlc_goexplore *ge, int64_t want) {
    if (want <= ge->map.cap) return RLC_OK;
    int64_t cap = map_grown_cap(&ge->map, want);
    cell_meta *m = rlc_realloc(ge->meta, (size_t)cap * sizeof *m);
    if (!m) return RLC_ERR_NOMEM;
    ge->meta = m;
    uint8_t *sn = rlc_realloc(ge->snaps, (size_t)cap * ge->snap_size);
    if (!sn) return RLC_ERR_NOMEM;
    ge->snaps = sn;
    double *w = rlc_realloc(ge->weights, (size_t)cap * sizeof *w);
    if (!w) return RLC_ERR_NOMEM;
    ge->weights = w;
    return map_reserve(&ge->map, want);
}

static rlc_status push_node(rlc_goexplore *ge, int64_t parent, int64_t action, int64_t *out) {
    if (ge->nnodes == ge->node_cap) {
        int64_t cap = ge->node_cap ? 2 * ge->node_cap : 4096;
        traj_node *n = rlc_realloc(ge->nodes, (size_t)cap * sizeof *n);
        if (!n) return RLC_ERR_NOMEM;
        ge->nodes = n;
        ge->node_cap = cap;
    }
    ge->nodes[ge->nnodes] = (traj_node){parent, action};
    *out = ge->nnodes++;
    return RLC_OK;
}

static int better(double score, int64_t len, double best, int64_t best_len) {
    return score > best || (score == best && len < best_len);
}

/* Records a state in cell `idx` (or a new cell when idx < 0). */
static rlc_status store_cell(rlc_goexplore *ge, int64_t idx, const int32_t *key, double score,
                             int64_t len, int64_t node, int terminal) {
    if (idx < 0) {
        if (ge->cfg.max_cells && ge->map.n >= ge->cfg.max_cells) return RLC_OK;
        rlc_status s = archive_reserve(ge, ge->map.n + 1);
        if (s) return s;
        idx = map_add(&ge->map, key);
        ge->meta[idx] = (cell_meta){score, len, 1, 0, node, terminal};
    } else {
        cell_meta *m = &ge->meta[idx];
        m->score = score;
        m->length = len;
        m->node = node;
        m->terminal = terminal;
    }
    rlc_status s =
        rlc_env_get_state(ge->env, ge->snaps + (size_t)idx * ge->snap_size, ge->snap_size);
    if (s) return s;
    if (ge->st.best_cell < 0 || better(score, len, ge->st.best_score, ge->st.best_length)) {
        ge->st.best_score = score;
        ge->st.best_length = len;
        ge->st.best_cell = idx;
    }
    ge->st.cells = ge->map.n;
    return RLC_OK;
}

rlc_status rlc_goexplore_create(rlc_goexplore **out, rlc_env *env,
                                const rlc_goexplore_config *cfg) {
    rlc_goexplore_config def;
    if (!cfg) {
        rlc_goexplore_config_default(&def);
        cfg = &def;
    }
    if (!out) return rlc_error(RLC_ERR_INVALID, "go-explore: out is NULL");
    rlc_status s = check_config(env, cfg);
    if (s) return s;
    rlc_goexplore *ge = rlc_calloc(1, sizeof *ge);
    if (!ge) return RLC_ERR_NOMEM;
    ge->env = env;
    ge->cfg = *cfg;
    ge->cfg.cell_scale = NULL; /* copied into cf */
    ge->snap_size = rlc_env_state_size(env);
    const rlc_space *as = rlc_env_action_space(env);
    ge->n_actions = as->n;
    ge->a_lo = as->start;
    rlc_rng_seed(&ge->rng, cfg->seed);
    ge->st.best_cell = -1;
    ge->st.first_solve_step = -1;
    int32_t key[RLC_GOEXPLORE_CELL_MAX];
    s = cellfn_init(&ge->cf, env, cfg);
    if (!s) {
        ge->obs = rlc_calloc(1, rlc_space_bytes(rlc_env_obs_space(env)) + 8);
        ge->actbuf = rlc_malloc((size_t)cfg->explore_steps * sizeof *ge->actbuf);
        ge->pause = rlc_malloc(ge->snap_size);
        if (!ge->obs || !ge->actbuf || !ge->pause) s = RLC_ERR_NOMEM;
    }
    if (!s) s = rlc_env_reset(env, cfg->env_seed, ge->obs);
    if (!s) s = cell_of(&ge->cf, env, ge->obs, key);
    if (!s) {
        ge->map.key_len = ge->cf.len;
        s = store_cell(ge, -1, key, 0.0, 0, -1, 0);
    }
    if (s) {
        rlc_goexplore_destroy(ge);
        return s;
    }
    if (!isnan(cfg->solve_score) && 0.0 >= cfg->solve_score) ge->st.first_solve_step = 0;
    *out = ge;
    return RLC_OK;
}

void rlc_goexplore_destroy(rlc_goexplore *ge) {
    if (!ge) return;
    cellfn_free(&ge->cf);
    map_free(&ge->map);
    rlc_free(ge->meta);
    rlc_free(ge->snaps);
    rlc_free(ge->nodes);
    rlc_free(ge->obs);
    rlc_free(ge->actbuf);
    rlc_free(ge->weights);
    rlc_free(ge->pause);
    rlc_free(ge);
}

/* Chooses a non-terminal cell with weight 1 / sqrt(chosen + 1); -1 if there is none. */
static int64_t choose_cell(rlc_goexplore *ge) {
    double total = 0;
    int64_t n = ge->map.n;
    for (int64_t i = 0; i < n; i++) {
        double w = ge->meta[i].terminal ? 0.0 : 1.0 / sqrt((double)ge->meta[i].chosen + 1.0);
        ge->weights[i] = w;
        total += w;
    }
    if (!(total > 0)) return -1;
    double u = rlc_rng_random(&ge->rng) * total, acc = 0;
    int64_t last = -1;
    for (int64_t i = 0; i < n; i++) {
        if (ge->weights[i] <= 0) continue;
        last = i;
        acc += ge->weights[i];
        if (u < acc) return i;
    }
    return last; /* rounding */
}

/* One step of the exploration in progress. Sets x->active = 0 when it is over. */
static rlc_status explore_step(rlc_goexplore *ge, int32_t *key) {
    explore_ctx *x = &ge->x;
    int64_t a = explore_action(&ge->rng, x->prev, ge->cfg.repeat_prob, ge->n_actions, ge->a_lo);
    rlc_step_result r;
    rlc_status s = rlc_env_step(ge->env, &a, ge->obs, &r);
    if (s) return s;
    ge->st.env_steps++;
    x->prev = a;
    ge->actbuf[x->t] = a;
    x->score += r.reward;
    x->len++;
    const double solve = ge->cfg.solve_score;
    if (!isnan(solve) && x->score >= solve && ge->st.first_solve_step < 0)
        ge->st.first_solve_step = ge->st.env_steps;
    int done = r.terminated || r.truncated;
    s = cell_of(&ge->cf, ge->env, ge->obs, key);
    if (s) return s;
    int64_t idx = map_find(&ge->map, key);
    int update = idx < 0;
    if (idx >= 0) {
        cell_meta *m = &ge->meta[idx];
        m->visits++;
        update = better(x->score, x->len, m->score, m->length);
    }
    if (update) { /* the trajectory so far becomes nodes, then the cell points at it */
        for (; x->appended <= x->t; x->appended++) {
            s = push_node(ge, x->node, ge->actbuf[x->appended], &x->node);
            if (s) return s;
        }
        s = store_cell(ge, idx, key, x->score, x->len, x->node, done);
        if (s) return s;
    }
    x->t++;
    if (done || x->t >= ge->cfg.explore_steps) x->active = 0;
    return RLC_OK;
}

rlc_status rlc_goexplore_run(rlc_goexplore *ge, int64_t env_steps) {
    if (!ge) return rlc_error(RLC_ERR_INVALID, "go-explore: run on NULL");
    if (env_steps < 0) return rlc_error(RLC_ERR_RANGE, "go-explore: negative budget");
    int64_t target = ge->st.env_steps + env_steps;
    int32_t key[RLC_GOEXPLORE_CELL_MAX];
    explore_ctx *x = &ge->x;
    rlc_status s = RLC_OK;
    if (x->active && ge->st.env_steps < target) /* resume the exploration the budget cut */
        s = rlc_env_set_state(ge->env, ge->pause, ge->snap_size);
    while (!s && ge->st.env_steps < target) {
        if (!x->active) {
            int64_t c = choose_cell(ge);
            if (c < 0) break; /* every cell ends an episode: nothing left to explore */
            ge->meta[c].chosen++;
            ge->st.iterations++;
            s = rlc_env_set_state(ge->env, ge->snaps + (size_t)c * ge->snap_size, ge->snap_size);
            if (s) break;
            *x =
                (explore_ctx){1, 0, 0, ge->meta[c].score, ge->meta[c].length, ge->meta[c].node, -1};
        }
        s = explore_step(ge, key);
    }
    if (s) {
        x->active = 0; /* abandon the exploration; the archive stays valid */
        return s;
    }
    if (x->active) s = rlc_env_get_state(ge->env, ge->pause, ge->snap_size);
    if (s) x->active = 0;
    return s;
}

void rlc_goexplore_get_stats(const rlc_goexplore *ge, rlc_goexplore_stats *out) {
    *out = ge->st;
}

int64_t rlc_goexplore_num_cells(const rlc_goexplore *ge) {
    return ge->map.n;
}

rlc_status rlc_goexplore_cell(const rlc_goexplore *ge, int64_t i, rlc_goexplore_cell_info *out) {
    if (i < 0 || i >= ge->map.n || !out)
        return rlc_error(RLC_ERR_RANGE, "go-explore: no cell %lld (archive holds %lld)",
                         (long long)i, (long long)ge->map.n);
    const cell_meta *m = &ge->meta[i];
    out->key = ge->map.keys + i * ge->map.key_len;
    out->key_len = ge->map.key_len;
    out->score = m->score;
    out->length = m->length;
    out->visits = m->visits;
    out->chosen = m->chosen;
    out->terminal = m->terminal;
    return RLC_OK;
}

int64_t rlc_goexplore_best_cell(const rlc_goexplore *ge) {
    return ge->st.best_cell;
}

const void *rlc_goexplore_cell_state(const rlc_goexplore *ge, int64_t i, size_t *size) {
    if (i < 0 || i >= ge->map.n) return NULL;
    if (size) *size = ge->snap_size;
    return ge->snaps + (size_t)i * ge->snap_size;
}

int64_t rlc_goexplore_trajectory(const rlc_goexplore *ge, int64_t i, int64_t *actions,
                                 int64_t cap) {
    if (i < 0 || i >= ge->map.n) return -1;
    int64_t len = ge->meta[i].length, k = len;
    for (int64_t node = ge->meta[i].node; node >= 0; node = ge->nodes[node].parent) {
        k--;
        if (k < cap && actions) actions[k] = ge->nodes[node].action;
    }
    return len;
}

/* ---------------------------------------------------------------------------------------
 * Random baseline.
 * ------------------------------------------------------------------------------------- */

rlc_status rlc_goexplore_random(rlc_env *env, const rlc_goexplore_config *cfg, int64_t env_steps,
                                rlc_goexplore_stats *out) {
    rlc_goexplore_config def;
    if (!cfg) {
        rlc_goexplore_config_default(&def);
        cfg = &def;
    }
    rlc_status s = check_config(env, cfg);
    if (s) return s;
    if (env_steps < 0) return rlc_error(RLC_ERR_RANGE, "go-explore: negative budget");
    if (!out) return rlc_error(RLC_ERR_INVALID, "go-explore: out is NULL");
    cellfn cf;
    cellmap map;
    memset(&map, 0, sizeof map);
    s = cellfn_init(&cf, env, cfg);
    if (s) return s;
    void *obs = rlc_calloc(1, rlc_space_bytes(rlc_env_obs_space(env)) + 8);
    if (!obs) {
        cellfn_free(&cf);
        return RLC_ERR_NOMEM;
    }
    rlc_goexplore_stats st = {0, 0, 0, -INFINITY, 0, -1, -1};
    const rlc_space *as = rlc_env_action_space(env);
    rlc_rng rng;
    rlc_rng_seed(&rng, cfg->seed);
    int32_t key[RLC_GOEXPLORE_CELL_MAX];
    double score = 0;
    int64_t len = 0, prev = -1;
    s = rlc_env_reset(env, cfg->env_seed, obs);
    if (!s) s = cell_of(&cf, env, obs, key);
    if (!s) {
        map.key_len = cf.len;
        s = map_reserve(&map, 1);
    }
    if (!s) map_add(&map, key);
    while (!s && st.env_steps < env_steps) {
        int64_t a = explore_action(&rng, prev, cfg->repeat_prob, as->n, as->start);
        rlc_step_result r;
        s = rlc_env_step(env, &a, obs, &r);
        if (s) break;
        st.env_steps++;
        prev = a;
        score += r.reward;
        len++;
        if (!isnan(cfg->solve_score) && score >= cfg->solve_score && st.first_solve_step < 0)
            st.first_solve_step = st.env_steps;
        if (better(score, len, st.best_score, st.best_length)) {
            st.best_score = score;
            st.best_length = len;
        }
        s = cell_of(&cf, env, obs, key);
        if (s) break;
        if (map_find(&map, key) < 0) {
            s = map_reserve(&map, map.n + 1);
            if (s) break;
            map_add(&map, key);
        }
        if (r.terminated || r.truncated) {
            st.iterations++;
            s = rlc_env_reset(env, cfg->env_seed, obs);
            score = 0;
            len = 0;
            prev = -1;
        }
    }
    if (!s) {
        if (st.best_score == -INFINITY) st.best_score = 0;
        st.cells = map.n;
        *out = st;
    }
    map_free(&map);
    cellfn_free(&cf);
    rlc_free(obs);
    return s;
}

/* ---------------------------------------------------------------------------------------
 * Phase 2: the Backward Algorithm with tabular Q-learning.
 * ------------------------------------------------------------------------------------- */

struct rlc_goexplore_robust {
    rlc_env *env;
    rlc_goexplore_config gcfg;
    rlc_goexplore_robust_config rc;
    cellfn cf;
    cellmap q_map;
    float *q;       /* [q_map.cap * n_actions] action values */
    uint32_t *qn;   /* [q_map.cap * n_actions] updates of each value */
    int64_t T;      /* demo length */
    int64_t *demo;  /* [T] */
    uint8_t *snaps; /* [(T + 1) * snap_size]: state before demo step t */
    double *ret;    /* [T + 1]: demo return up to step t */
    size_t snap_size;
    int64_t start;
    int win_n, win_succ;
    int64_t n_actions, a_lo;
    rlc_rng rng;
    void *obs;
    int64_t env_steps, episodes;
};

void rlc_goexplore_robust_config_default(rlc_goexplore_robust_config *c) {
    c->sticky_p = 0.25;
    c->alpha = 0.2;
    c->alpha_decay = 0.01;
    c->gamma = 0.99;
    c->epsilon = 0.1;
    c->window = 20;
    c->advance = 0.5;
    c->start_step = 2;
    c->start_jitter = 2;
}

/* The Q row index of a cell; inserted (zeros) when `add`, else -1 when absent. Rows move when
 * the table grows: hold indices, not pointers, across calls. */
static int64_t q_row(rlc_goexplore_robust *r, const int32_t *key, int add, rlc_status *st) {
    int64_t i = map_find(&r->q_map, key);
    if (i >= 0 || !add) return i;
    if (r->q_map.n + 1 > r->q_map.cap) { /* values first, so they always cover the map */
        int64_t cap = map_grown_cap(&r->q_map, r->q_map.n + 1);
        size_t cells = (size_t)cap * r->n_actions;
        float *q = rlc_realloc(r->q, cells * sizeof *q);
        if (q) r->q = q;
        uint32_t *qn = q ? rlc_realloc(r->qn, cells * sizeof *qn) : NULL;
        if (qn) r->qn = qn;
        *st = qn ? map_reserve(&r->q_map, r->q_map.n + 1) : RLC_ERR_NOMEM;
        if (*st) return -1;
    }
    i = map_add(&r->q_map, key);
    memset(r->q + i * r->n_actions, 0, (size_t)r->n_actions * sizeof *r->q);
    memset(r->qn + i * r->n_actions, 0, (size_t)r->n_actions * sizeof *r->qn);
    return i;
}

/* Greedy action index (0-based) with random tie-breaking. */
static int64_t argmax_q(const float *q, int64_t n, rlc_rng *rng) {
    int64_t best = 0, ties = 1;
    for (int64_t a = 1; a < n; a++) {
        if (q[a] > q[best]) {
            best = a;
            ties = 1;
        } else if (q[a] == q[best] && rlc_rng_integers(rng, 0, ++ties) == 0) {
            best = a; /* reservoir choice among equal values */
        }
    }
    return best;
}

static float max_q(const float *q, int64_t n) {
    float m = q[0];
    for (int64_t a = 1; a < n; a++)
        m = q[a] > m ? q[a] : m;
    return m;
}

rlc_status rlc_goexplore_robust_create(rlc_goexplore_robust **out, rlc_env *env,
                                       const int64_t *demo, int64_t demo_len,
                                       const rlc_goexplore_config *gcfg,
                                       const rlc_goexplore_robust_config *rcfg) {
    rlc_goexplore_config gdef;
    rlc_goexplore_robust_config rdef;
    if (!gcfg) {
        rlc_goexplore_config_default(&gdef);
        gcfg = &gdef;
    }
    if (!rcfg) {
        rlc_goexplore_robust_config_default(&rdef);
        rcfg = &rdef;
    }
    if (!out) return rlc_error(RLC_ERR_INVALID, "go-explore robustify: out is NULL");
    rlc_status s = check_config(env, gcfg);
    if (s) return s;
    if (demo_len < 0 || (demo_len > 0 && !demo))
        return rlc_error(RLC_ERR_INVALID, "go-explore robustify: bad demo (length %lld)",
                         (long long)demo_len);
    const rlc_goexplore_robust_config *c = rcfg;
    if (!(c->sticky_p >= 0 && c->sticky_p <= 1) || !(c->alpha > 0 && c->alpha <= 1) ||
        !(c->alpha_decay >= 0 && isfinite(c->alpha_decay)) || !(c->gamma >= 0 && c->gamma <= 1) ||
        !(c->epsilon >= 0 && c->epsilon <= 1) || c->window < 1 ||
        !(c->advance >= 0 && c->advance <= 1) || c->start_step < 1 || c->start_jitter < 0)
        return rlc_error(RLC_ERR_RANGE,
                         "go-explore robustify: config out of range (sticky_p, epsilon, advance "
                         "in [0, 1], alpha in (0, 1], alpha_decay >= 0, gamma in [0, 1], window, "
                         "start_step >= 1, start_jitter >= 0)");
    const rlc_space *as = rlc_env_action_space(env);
    for (int64_t t = 0; t < demo_len; t++)
        if (demo[t] < as->start || demo[t] >= as->start + as->n)
            return rlc_error(RLC_ERR_INVALID,
                             "go-explore robustify: demo action %lld at step %lld is outside "
                             "the action space",
                             (long long)demo[t], (long long)t);
    rlc_goexplore_robust *r = rlc_calloc(1, sizeof *r);
    if (!r) return RLC_ERR_NOMEM;
    r->env = env;
    r->gcfg = *gcfg;
    r->gcfg.cell_scale = NULL;
    r->rc = *rcfg;
    r->T = demo_len;
    r->n_actions = as->n;
    r->a_lo = as->start;
    r->snap_size = rlc_env_state_size(env);
    rlc_rng_seed(&r->rng, gcfg->seed);
    int32_t key[RLC_GOEXPLORE_CELL_MAX];
    s = cellfn_init(&r->cf, env, gcfg);
    if (!s) {
        r->obs = rlc_calloc(1, rlc_space_bytes(rlc_env_obs_space(env)) + 8);
        r->demo = rlc_malloc((size_t)(demo_len + 1) * sizeof *r->demo);
        r->snaps = rlc_malloc((size_t)(demo_len + 1) * r->snap_size);
        r->ret = rlc_malloc((size_t)(demo_len + 1) * sizeof *r->ret);
        if (!r->obs || !r->demo || !r->snaps || !r->ret) s = RLC_ERR_NOMEM;
    }
    if (!s) s = rlc_env_reset(env, gcfg->env_seed, r->obs);
    if (!s) s = cell_of(&r->cf, env, r->obs, key);
    if (!s) {
        r->q_map.key_len = r->cf.len;
        if (demo_len) memcpy(r->demo, demo, (size_t)demo_len * sizeof *demo);
        r->ret[0] = 0;
        s = rlc_env_get_state(env, r->snaps, r->snap_size);
    }
    for (int64_t t = 0; !s && t < demo_len; t++) { /* replay the demo, keeping every state */
        rlc_step_result res;
        if (!rlc_env_running(env)) {
            s = rlc_error(RLC_ERR_INVALID,
                          "go-explore robustify: the demo's episode ends at step %lld of %lld",
                          (long long)t, (long long)demo_len);
            break;
        }
        s = rlc_env_step(env, &demo[t], r->obs, &res);
        if (s) break;
        r->ret[t + 1] = r->ret[t] + res.reward;
        s = rlc_env_get_state(env, r->snaps + (size_t)(t + 1) * r->snap_size, r->snap_size);
    }
    if (s) {
        rlc_goexplore_robust_destroy(r);
        return s;
    }
    r->start = demo_len > 0 ? demo_len - 1 : 0;
    *out = r;
    return RLC_OK;
}

void rlc_goexplore_robust_destroy(rlc_goexplore_robust *r) {
    if (!r) return;
    cellfn_free(&r->cf);
    map_free(&r->q_map);
    rlc_free(r->q);
    rlc_free(r->qn);
    rlc_free(r->demo);
    rlc_free(r->snaps);
    rlc_free(r->ret);
    rlc_free(r->obs);
    rlc_free(r);
}

/* One episode from demo index k (training when `learn`, else greedy). Returns its return in
 * *ret. Sticky actions: with probability sticky_p the previous executed action (the demo's
 * action before k for the first step) is executed instead of the chosen one. */
static rlc_status robust_episode(rlc_goexplore_robust *r, int64_t k, int learn, rlc_rng *rng,
                                 double *ret) {
    rlc_status s;
    if (learn || k > 0)
        s = rlc_env_set_state(r->env, r->snaps + (size_t)k * r->snap_size, r->snap_size);
    else
        s = rlc_env_reset(r->env, r->gcfg.env_seed, r->obs);
    if (!s) s = rlc_env_observe(r->env, r->obs);
    if (s) return s;
    int32_t key[RLC_GOEXPLORE_CELL_MAX];
    s = cell_of(&r->cf, r->env, r->obs, key);
    if (s) return s;
    int64_t row = q_row(r, key, learn, &s);
    if (s) return s;
    const int64_t na = r->n_actions;
    int64_t prev = k > 0 && k <= r->T ? r->demo[k - 1] - r->a_lo : -1;
    double g = 0;
    while (rlc_env_running(r->env)) {
        int64_t a;
        if (row < 0 || (learn && rlc_rng_random(rng) < r->rc.epsilon))
            a = rlc_rng_integers(rng, 0, na);
        else
            a = argmax_q(r->q + row * na, na, rng);
        int64_t exec =
            prev >= 0 && r->rc.sticky_p > 0 && rlc_rng_random(rng) < r->rc.sticky_p ? prev : a;
        int64_t act = exec + r->a_lo;
        rlc_step_result res;
        s = rlc_env_step(r->env, &act, r->obs, &res);
        if (s) return s;
        prev = exec;
        g += res.reward;
        if (learn) r->env_steps++;
        s = cell_of(&r->cf, r->env, r->obs, key);
        if (s) return s;
        int64_t row2 = q_row(r, key, learn, &s);
        if (s) return s;
        if (learn) { /* step size alpha / sqrt(1 + alpha_decay * updates of this value) */
            double boot = res.terminated ? 0.0 : r->rc.gamma * max_q(r->q + row2 * na, na);
            float *q = r->q + row * na + a;
            uint32_t n = r->qn[row * na + a];
            r->qn[row * na + a] = n + (n < UINT32_MAX);
            double step = r->rc.alpha / sqrt(1.0 + r->rc.alpha_decay * n);
            *q += (float)(step * (res.reward + boot - *q));
        }
        row = row2;
    }
    *ret = g;
    return RLC_OK;
}

rlc_status rlc_goexplore_robust_train(rlc_goexplore_robust *r, int64_t env_steps) {
    if (!r) return rlc_error(RLC_ERR_INVALID, "go-explore robustify: NULL");
    if (env_steps < 0) return rlc_error(RLC_ERR_RANGE, "go-explore robustify: negative budget");
    int64_t target = r->env_steps + env_steps;
    while (r->env_steps < target) {
        int64_t k = r->start;
        if (r->rc.start_jitter > 0) k += rlc_rng_integers(&r->rng, 0, r->rc.start_jitter + 1);
        if (k > r->T - 1) k = r->T > 0 ? r->T - 1 : 0;
        int64_t before = r->env_steps;
        double g;
        rlc_status s = robust_episode(r, k, 1, &r->rng, &g);
        if (s) return s;
        if (r->env_steps == before) break; /* the start state cannot be stepped */
        r->episodes++;
        r->win_n++;
        r->win_succ += g >= r->ret[r->T] - r->ret[k] - 1e-9;
        if (r->win_n >= r->rc.window) {
            if (r->start > 0 && r->win_succ >= r->rc.advance * r->win_n) {
                r->start -= r->rc.start_step;
                if (r->start < 0) r->start = 0;
            }
            r->win_n = r->win_succ = 0;
        }
    }
    return RLC_OK;
}

int64_t rlc_goexplore_robust_start(const rlc_goexplore_robust *r) {
    return r->start;
}

double rlc_goexplore_robust_demo_return(const rlc_goexplore_robust *r) {
    return r->ret[r->T];
}

rlc_status rlc_goexplore_robust_evaluate(rlc_goexplore_robust *r, int episodes, uint64_t seed,
                                         double *success_rate, double *mean_return) {
    if (!r) return rlc_error(RLC_ERR_INVALID, "go-explore robustify: NULL");
    if (episodes < 1) return rlc_error(RLC_ERR_RANGE, "go-explore robustify: episodes < 1");
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    int succ = 0;
    double total = 0;
    for (int e = 0; e < episodes; e++) {
        double g;
        rlc_status s = robust_episode(r, 0, 0, &rng, &g);
        if (s) return s;
        succ += g >= r->ret[r->T] - 1e-9;
        total += g;
    }
    if (success_rate) *success_rate = (double)succ / episodes;
    if (mean_return) *mean_return = total / episodes;
    return RLC_OK;
}

int64_t rlc_goexplore_robust_act(const rlc_goexplore_robust *r, const void *obs) {
    int32_t key[RLC_GOEXPLORE_CELL_MAX];
    cellfn cf = r->cf; /* the scratch vector is written, the struct is not */
    if (cell_of(&cf, r->env, obs, key)) return -1;
    int64_t i = map_find(&r->q_map, key);
    if (i < 0) return -1;
    const float *q = r->q + i * r->n_actions;
    int64_t best = 0;
    for (int64_t a = 1; a < r->n_actions; a++)
        if (q[a] > q[best]) best = a;
    return best + r->a_lo;
}
