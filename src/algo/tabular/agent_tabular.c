/* Tabular Q-learning and Dyna-Q behind the agent interface (`rlc train --algo q-learning` /
 * `--algo dyna-q`): any env with a Discrete action space; each distinct observation is a table
 * state, keyed by a 64-bit hash of its float32 values. The Q-table is the agent's parameter
 * block (float64 [max_states, A]), so the checkpoint is a safetensors Q-table. */
#include <math.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "rlc/optim.h"
#include "rlc/tabular.h"

// clang-format off
RLC_API RLC_CONFIG_TABLE(rlc_qlearning_config_table, rlc_qlearning_config, RLC_QLEARNING_FIELDS)
RLC_API RLC_CONFIG_TABLE(rlc_dynaq_config_table, rlc_dynaq_config, RLC_DYNAQ_FIELDS)
// clang-format on

typedef struct tabq {
    rlc_qlearning_config c; /* rlc_dynaq_config has the same members */
    int N, A, D;
    int64_t cap;     /* max_states */
    int64_t nstates; /* states in the table */
    int64_t hcap;    /* hash slots (power of two, >= 2 cap) */
    int64_t *slot;   /* [hcap] state id or -1 */
    uint64_t *key;   /* [cap] hash of each state's observation */
    rlc_params *p;   /* "q" [cap, A] float64 */
    rlc_optim *opt;  /* plain SGD (no state): the Q update is an SGD step on one entry, done
                        in place; it exists so checkpoints name their optimizer */
    double *Q;
    /* Dyna-Q's last-outcome model (Sutton & Barto's tabular Dyna-Q) */
    int64_t *next; /* [cap*A] next state (-1: never tried; -2: terminal) */
    double *rew;   /* [cap*A] */
    int64_t *seen; /* visited (s*A + a) */
    int64_t nseen;
    int64_t *prev_s; /* [N] state of the last observation, per env */
    int64_t *prev_a; /* [N] */
    rlc_rng rng;
    double eps;
    int64_t total_steps, env_steps, since_log, updates;
    double td_sum;
    int64_t td_n;
} tabq;

#define T(a) ((tabq *)(a)->impl)

static uint64_t obs_hash(const float *o, int D) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < D; i++) {
        float f = o[i] == 0 ? 0.0f : o[i]; /* -0 and +0 are the same state */
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        for (int b = 0; b < 4; b++) {
            h ^= (u >> (8 * b)) & 0xff;
            h *= 1099511628211ull;
        }
    }
    return h;
}

/* The state id of an observation: -1 when unknown and `insert` is 0, or when the table is
 * full (then *full is set). */
static int64_t lookup(tabq *s, const float *o, int insert, int *full) {
    uint64_t h = obs_hash(o, s->D);
    int64_t i = (int64_t)(h & (uint64_t)(s->hcap - 1));
    for (;;) {
        int64_t id = s->slot[i];
        if (id < 0) break;
        if (s->key[id] == h) return id;
        i = (i + 1) & (s->hcap - 1);
    }
    if (!insert) return -1;
    if (s->nstates >= s->cap) {
        if (full) *full = 1;
        return -1;
    }
    int64_t id = s->nstates++;
    s->key[id] = h;
    s->slot[i] = id;
    return id;
}

static void rebuild_hash(tabq *s) {
    for (int64_t i = 0; i < s->hcap; i++)
        s->slot[i] = -1;
    for (int64_t id = 0; id < s->nstates; id++) {
        int64_t i = (int64_t)(s->key[id] & (uint64_t)(s->hcap - 1));
        while (s->slot[i] >= 0)
            i = (i + 1) & (s->hcap - 1);
        s->slot[i] = id;
    }
}

/* Greedy action of state id (ties: uniformly at random with rng, else the lowest). */
static int64_t greedy(const tabq *s, int64_t id, rlc_rng *rng) {
    const double *q = s->Q + id * s->A;
    int64_t best = 0, ties = 1;
    for (int a = 1; a < s->A; a++) {
        if (q[a] > q[best]) {
            best = a;
            ties = 1;
        } else if (q[a] == q[best] && rng && rlc_rng_integers(rng, 0, ++ties) == 0) {
            best = a;
        }
    }
    return best;
}

static void tabq_destroy(rlc_agent *a) {
    tabq *s = T(a);
    if (!s) return;
    rlc_optim_destroy(s->opt);
    rlc_params_destroy(s->p);
    rlc_free(s->slot);
    rlc_free(s->key);
    rlc_free(s->next);
    rlc_free(s->rew);
    rlc_free(s->seen);
    rlc_free(s->prev_s);
    rlc_free(s->prev_a);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_status tabq_init(rlc_agent *a) {
    const rlc_qlearning_config *c = a->cfg;
    const char *name = a->algo->name;
    const rlc_space *as = a->action_space;
    if (as->kind != RLC_SPACE_DISCRETE)
        return rlc_error(RLC_ERR_UNSUPPORTED, "%s needs a Discrete action space; %s has none", name,
                         a->env_id);
    if (a->obs_space->kind != RLC_SPACE_BOX && a->obs_space->kind != RLC_SPACE_DISCRETE)
        return rlc_error(RLC_ERR_UNSUPPORTED, "%s: observation space must be a Box or Discrete",
                         name);
    if (c->exploration_final_eps > c->exploration_initial_eps)
        return rlc_error(RLC_ERR_INVALID,
                         "%s: exploration_final_eps (%g) exceeds exploration_initial_eps (%g)",
                         name, c->exploration_final_eps, c->exploration_initial_eps);
    tabq *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    s->N = (int)c->num_envs;
    s->A = (int)as->n;
    s->D = a->obs_size;
    s->cap = c->max_states;
    s->hcap = 1;
    while (s->hcap < 2 * s->cap)
        s->hcap *= 2;
    a->num_envs = s->N;
    a->num_threads = 1;
    s->p = rlc_params_create(RLC_F64);
    int shape[2] = {(int)s->cap, s->A};
    rlc_status st = s->p ? rlc_params_add(s->p, "q", 2, shape, NULL) : RLC_ERR_NOMEM;
    s->slot = rlc_malloc(sizeof(int64_t) * (size_t)s->hcap);
    s->key = rlc_calloc((size_t)s->cap, sizeof(uint64_t));
    s->prev_s = rlc_malloc(sizeof(int64_t) * (size_t)s->N);
    s->prev_a = rlc_malloc(sizeof(int64_t) * (size_t)s->N);
    if (c->planning_steps > 0) {
        s->next = rlc_malloc(sizeof(int64_t) * (size_t)s->cap * s->A);
        s->rew = rlc_calloc((size_t)s->cap * s->A, sizeof(double));
        s->seen = rlc_malloc(sizeof(int64_t) * (size_t)s->cap * s->A);
    }
    if (!st && (!s->slot || !s->key || !s->prev_s || !s->prev_a ||
                (c->planning_steps > 0 && (!s->next || !s->rew || !s->seen))))
        st = RLC_ERR_NOMEM;
    if (st) {
        tabq_destroy(a);
        return st;
    }
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_SGD);
    oc.lr = c->alpha;
    s->opt = rlc_optim_create(s->p, &oc);
    if (!s->opt) {
        tabq_destroy(a);
        return RLC_ERR_NOMEM;
    }
    s->Q = rlc_params_data(s->p);
    for (int64_t i = 0; i < s->cap * s->A; i++)
        s->Q[i] = c->q_init;
    if (s->next)
        for (int64_t i = 0; i < s->cap * s->A; i++)
            s->next[i] = -1;
    rebuild_hash(s);
    rlc_rng_seed_stream(&s->rng, a->seed, 1);
    s->eps = c->exploration_final_eps;
    return RLC_OK;
}

static rlc_params *tabq_params(rlc_agent *a) {
    return T(a)->p;
}

static rlc_status tabq_act(rlc_agent *a, const float *obs, int n, void *actions,
                           int deterministic) {
    tabq *s = T(a);
    int64_t *ia = actions;
    for (int i = 0; i < n; i++) {
        int64_t id = lookup(s, obs + (size_t)i * s->D, 0, NULL);
        int explore = !deterministic && rlc_rng_random(&s->rng) < s->c.exploration_final_eps;
        if (id < 0 || explore)
            ia[i] = deterministic && id < 0 ? 0 : rlc_rng_integers(&s->rng, 0, s->A);
        else
            ia[i] = greedy(s, id, NULL);
        ia[i] += a->action_space->start;
    }
    return RLC_OK;
}

static void tabq_begin(rlc_agent *a, int64_t total_steps) {
    tabq *s = T(a);
    s->total_steps = total_steps;
    s->env_steps = s->since_log = 0;
    s->eps = s->c.exploration_initial_eps;
}

static rlc_status tabq_train_act(rlc_agent *a, rlc_vec_env *v) {
    tabq *s = T(a);
    int64_t *ia = v->actions;
    for (int i = 0; i < s->N; i++) {
        int full = 0;
        int64_t id = lookup(s, v->obs_f32 + (size_t)i * s->D, 1, &full);
        if (full)
            return rlc_error(RLC_ERR_RANGE,
                             "%s: more than max_states = %lld distinct observations on %s "
                             "(raise it with --set max_states=N)",
                             a->algo->name, (long long)s->cap, a->env_id);
        int64_t act = rlc_rng_random(&s->rng) < s->eps ? rlc_rng_integers(&s->rng, 0, s->A)
                                                       : greedy(s, id, &s->rng);
        s->prev_s[i] = id;
        s->prev_a[i] = act;
        ia[i] = act + a->action_space->start;
    }
    return RLC_OK;
}

static double max_q(const tabq *s, int64_t id) {
    const double *q = s->Q + id * s->A;
    double m = q[0];
    for (int a = 1; a < s->A; a++)
        m = q[a] > m ? q[a] : m;
    return m;
}

/* One Q-learning update; next < 0 means terminal. */
static void q_update(tabq *s, int64_t id, int64_t act, double r, int64_t next) {
    double target = r + (next >= 0 ? s->c.gamma * max_q(s, next) : 0);
    double *q = s->Q + id * s->A + act;
    double td = target - *q;
    *q += s->c.alpha * td;
    s->td_sum += fabs(td);
    s->td_n++;
}

static int tabq_observe(rlc_agent *a, const rlc_vec_env *v) {
    tabq *s = T(a);
    for (int i = 0; i < s->N; i++) {
        if (v->autoreset[i]) continue; /* the reset step of next-step autoreset */
        int ended = v->terminated[i] | v->truncated[i];
        int64_t next = -2;
        if (!v->terminated[i]) {
            const float *o =
                ended ? v->final_obs_f32 + (size_t)i * s->D : v->obs_f32 + (size_t)i * s->D;
            int full = 0;
            next = lookup(s, o, 1, &full);
            if (next < 0) next = -2; /* table full: treat as terminal, reported at the next act */
        }
        int64_t id = s->prev_s[i], act = s->prev_a[i];
        q_update(s, id, act, v->rewards[i], next);
        if (s->next) {
            size_t j = (size_t)id * s->A + act;
            if (s->next[j] == -1) s->seen[s->nseen++] = (int64_t)j;
            s->next[j] = next < 0 ? -2 : next;
            s->rew[j] = v->rewards[i];
            for (int64_t k = 0; k < s->c.planning_steps; k++) {
                int64_t m = s->seen[rlc_rng_integers(&s->rng, 0, s->nseen)];
                q_update(s, m / s->A, m % s->A, s->rew[m], s->next[m]);
            }
        }
    }
    s->env_steps += s->N;
    s->since_log += s->N;
    double span = s->c.exploration_fraction * (double)s->total_steps;
    double f = span > 0 ? (double)s->env_steps / span : 1;
    s->eps = s->c.exploration_initial_eps +
             (f < 1 ? f : 1) * (s->c.exploration_final_eps - s->c.exploration_initial_eps);
    if (s->since_log >= s->c.log_every || s->env_steps >= s->total_steps) {
        s->since_log = 0;
        return 1;
    }
    return 0;
}

/* Learning happens in observe (every step); the update only reports. */
static rlc_status tabq_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    (void)v;
    tabq *s = T(a);
    info->n = 0;
#define STAT(k, x) (info->key[info->n] = (k), info->value[info->n++] = (x))
    STAT("states", (double)s->nstates);
    STAT("td_abs", s->td_n ? s->td_sum / (double)s->td_n : 0);
    STAT("epsilon", s->eps);
#undef STAT
    s->td_sum = 0;
    s->td_n = 0;
    return RLC_OK;
}

/* Beside the Q-table: the observation hashes of the states (as int64) and their number. */
static rlc_status tabq_write_state(rlc_agent *a, rlc_st_writer *w) {
    tabq *s = T(a);
    int64_t n = s->nstates > 0 ? s->nstates : 0;
    rlc_status st = rlc_st_writer_add_copy(w, "tabular.keys", RLC_ST_I64, 1, &n, s->key);
    int64_t one = 1;
    if (!st) st = rlc_st_writer_add_copy(w, "tabular.num_states", RLC_ST_I64, 1, &one, &n);
    return st;
}

static rlc_status tabq_read_state(rlc_agent *a, const rlc_st_file *f) {
    tabq *s = T(a);
    int64_t n = 0, one = 1;
    rlc_status st = rlc_st_read_into(f, "tabular.num_states", RLC_ST_I64, 1, &one, &n);
    if (st) return st;
    if (n < 0 || n > s->cap)
        return rlc_error(RLC_ERR_FORMAT, "%s: checkpoint holds %lld states, capacity %lld",
                         a->algo->name, (long long)n, (long long)s->cap);
    if (n > 0 && (st = rlc_st_read_into(f, "tabular.keys", RLC_ST_I64, 1, &n, s->key))) return st;
    s->nstates = n;
    rebuild_hash(s);
    return RLC_OK;
}

const rlc__algo rlc__algo_qlearning = {
    .name = "q-learning",
    .table = rlc_qlearning_config_table,
    .init = tabq_init,
    .destroy = tabq_destroy,
    .params = tabq_params,
    .act = tabq_act,
    .begin = tabq_begin,
    .train_act = tabq_train_act,
    .observe = tabq_observe,
    .update = tabq_update,
    .write_state = tabq_write_state,
    .read_state = tabq_read_state,
};

const rlc__algo rlc__algo_dynaq = {
    .name = "dyna-q",
    .table = rlc_dynaq_config_table,
    .init = tabq_init,
    .destroy = tabq_destroy,
    .params = tabq_params,
    .act = tabq_act,
    .begin = tabq_begin,
    .train_act = tabq_train_act,
    .observe = tabq_observe,
    .update = tabq_update,
    .write_state = tabq_write_state,
    .read_state = tabq_read_state,
};
