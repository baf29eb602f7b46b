/* RLIF (interventions as rewards) as an env layer for unchanged off-policy agents, the scripted
 * Pendulum expert of adjustable quality, and the DAgger / HG-DAgger baselines (behaviour
 * cloning of an MLP on the expert's executed actions). See rlc/rlif.h. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env/env_impl.h"
#include "rlc/graph.h"
#include "rlc/nn.h"
#include "rlc/optim.h"
#include "rlc/rlif.h"

#define MAXA 16 /* action elements supported */

/* ---- the expert ------------------------------------------------------------------------ */

static void pendulum_policy(const float *o, float *a, void *user) {
    (void)user;
    double th = atan2(o[1], o[0]), thd = o[2], u;
    if (o[0] > 0.85)
        u = -12.0 * th - 2.5 * thd; /* PD hold near the top */
    else /* energy pumping toward the upright energy m g l / 2 = 5 (I = m l^2 / 3) */
        u = 3.0 * (5.0 - (thd * thd / 6.0 + 5.0 * o[0])) * (thd >= 0 ? 1.0 : -1.0);
    a[0] = (float)(u > 2 ? 2 : u < -2 ? -2 : u);
}

void rlc_rlif_pendulum_expert(rlc_rlif_expert *ex, double quality) {
    memset(ex, 0, sizeof *ex);
    ex->policy = pendulum_policy;
    ex->quality = quality;
    ex->threshold = 0.5;
    ex->takeover = 10;
}

static rlc_status check_expert(const char *fn, const rlc_rlif_expert *ex) {
    if (!ex || !ex->policy) return rlc_error(RLC_ERR_INVALID, "%s: expert policy is NULL", fn);
    if (!(ex->quality >= 0 && ex->quality <= 1))
        return rlc_error(RLC_ERR_RANGE, "%s: expert quality must lie in [0, 1], got %g", fn,
                         ex->quality);
    if (!(ex->threshold >= 0) || !isfinite(ex->threshold))
        return rlc_error(RLC_ERR_RANGE,
                         "%s: intervention threshold must be finite and >= 0, got %g", fn,
                         ex->threshold);
    if (ex->takeover < 1)
        return rlc_error(RLC_ERR_RANGE, "%s: takeover must be >= 1 step, got %d", fn,
                         ex->takeover);
    return RLC_OK;
}

static rlc_status check_spaces(const char *fn, const rlc_env *e) {
    const rlc_space *os = rlc_env_obs_space(e), *as = rlc_env_action_space(e);
    int ok = os->kind == RLC_SPACE_BOX && os->dtype == RLC_SPACE_FLOAT32 &&
             as->kind == RLC_SPACE_BOX && as->dtype == RLC_SPACE_FLOAT32 && as->size <= MAXA;
    for (int64_t i = 0; ok && i < as->size; i++)
        ok = isfinite(as->low[i]) && isfinite(as->high[i]) && as->high[i] > as->low[i];
    if (ok) return RLC_OK;
    char o[128], a[128];
    rlc_space_describe(os, o, sizeof o);
    rlc_space_describe(as, a, sizeof a);
    return rlc_error(RLC_ERR_INVALID,
                     "%s: %s has observation space %s and action space %s; float32 Boxes with a "
                     "finite action box of at most %d elements are needed",
                     fn, rlc_env_id(e), o, a, MAXA);
}

/* The executed action: the intended one with probability quality, else uniform. */
static void executed(const rlc_rlif_expert *ex, const rlc_space *as, const float *intended,
                     rlc_rng *rng, float *out) {
    if (ex->quality >= 1 || rlc_rng_random(rng) < ex->quality) {
        memcpy(out, intended, sizeof(float) * (size_t)as->size);
        return;
    }
    for (int64_t i = 0; i < as->size; i++)
        out[i] = (float)rlc_rng_uniform(rng, as->low[i], as->high[i]);
}

static double deviation(const rlc_space *as, const float *a, const float *b) {
    double d = 0;
    for (int64_t i = 0; i < as->size; i++) {
        double lo = as->low[i], hi = as->high[i];
        double x = a[i] < lo ? lo : a[i] > hi ? hi : a[i];
        double v = fabs(x - b[i]) / (0.5 * (hi - lo));
        if (v > d) d = v;
    }
    return d;
}

/* ---- the RLIF layer -------------------------------------------------------------------- */

typedef struct lstate {
    uint64_t stamp;
} lstate;

typedef struct layer {
    rlc_env *inner, *outer;
    rlc__env_def def;
    char name[160];
    rlc_rlif_expert ex;
    uint64_t live_stamp, next_stamp;
    size_t mirror_bytes;
    int64_t decisions, interventions, env_steps;
    float *obs;   /* [obs size] current inner obs */
    /* the last step's takeover, if any (not part of the snapshot state): tk_n expert steps,
     * observations [tk_n + 1][obs size], executed actions [tk_n][act size] */
    float *tk_obs, *tk_act;
    int tk_n, tk_term, tk_trunc;
    lstate *st;
    void *mirror;
} layer;

static void l_fini(void *self);

int rlc_rlif_is(const rlc_env *env) {
    return env && env->def->fini == l_fini;
}

static layer *L(const void *self) {
    return (layer *)(uintptr_t)self;
}

static void sync_in(layer *w) {
    if (w->st->stamp != w->live_stamp) {
        (void)rlc_env_set_state(w->inner, w->mirror, w->mirror_bytes);
        w->live_stamp = w->st->stamp;
    }
}

static void sync_out(layer *w) {
    (void)rlc_env_get_state(w->inner, w->mirror, w->mirror_bytes);
    w->st->stamp = w->live_stamp = ++w->next_stamp;
}

static void l_reset(void *self, rlc_rng *rng, void *obs) {
    layer *w = self;
    sync_in(w);
    w->inner->rt.rng = *rng;
    w->inner->rt.seeded = 1;
    (void)rlc_env_reset(w->inner, RLC_ENV_NO_SEED, obs);
    *rng = w->inner->rt.rng;
    sync_out(w);
}

static void l_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                   int *terminated) {
    layer *w = self;
    sync_in(w);
    const rlc_space *as = &w->inner->act_space;
    float intended[MAXA], exec[MAXA];
    (void)rlc_env_observe(w->inner, w->obs);
    w->ex.policy(w->obs, intended, w->ex.user);
    int intervene = deviation(as, action, intended) > w->ex.threshold;
    w->decisions++;
    rlc_step_result r = {0, 0, 0, 0, 0};
    int steps = intervene ? w->ex.takeover : 1;
    w->interventions += intervene;
    const size_t D = (size_t)w->inner->obs_space.size, A = (size_t)as->size;
    w->tk_n = w->tk_term = w->tk_trunc = 0;
    for (int k = 0; k < steps; k++) {
        const float *a = action;
        if (intervene) {
            if (k > 0) {
                (void)rlc_env_observe(w->inner, w->obs);
                w->ex.policy(w->obs, intended, w->ex.user);
            }
            executed(&w->ex, as, intended, rng, exec);
            a = exec;
            memcpy(w->tk_obs + (size_t)k * D, w->obs, sizeof(float) * D);
            memcpy(w->tk_act + (size_t)k * A, exec, sizeof(float) * A);
            w->tk_n = k + 1;
        }
        w->inner->rt.rng = *rng;
        if (rlc_env_step(w->inner, a, obs, &r)) {
            r.terminated = 1; /* an inner error (unstable simulation) ends the episode */
        }
        *rng = w->inner->rt.rng;
        w->env_steps++;
        if (r.terminated || r.truncated) break;
    }
    if (w->tk_n) { /* the observation after the last expert step */
        memcpy(w->tk_obs + (size_t)w->tk_n * D, obs, sizeof(float) * D);
        w->tk_term = r.terminated;
        w->tk_trunc = r.truncated && !r.terminated;
    }
    *reward = intervene ? -1.0 : 0.0;
    *terminated = r.terminated;
    /* the inner time limit ends this layer's episode on the same step */
    rlc_env *o = w->outer;
    o->max_steps = r.truncated && !r.terminated ? o->rt.elapsed + 1 : 0;
    sync_out(w);
}

static void l_observe(const void *self, void *obs) {
    layer *w = L(self);
    sync_in(w);
    (void)rlc_env_observe(w->inner, obs);
}

static void l_get_vector(const void *self, double *v) {
    layer *w = L(self);
    sync_in(w);
    (void)rlc_env_get_state_vector(w->inner, v);
}

static void l_set_vector(void *self, const double *v) {
    layer *w = self;
    sync_in(w);
    (void)rlc_env_set_state_vector(w->inner, v, w->def.state_dim);
    w->outer->max_steps = 0;
    sync_out(w);
}

static rlc_status l_render(const void *self, uint8_t *rgb, int width, int height) {
    layer *w = L(self);
    sync_in(w);
    return rlc_env_render(w->inner, rgb, width, height);
}

static void l_fini(void *self) {
    layer *w = self;
    rlc_env_destroy(w->inner);
    w->inner = NULL;
    rlc_free(w->tk_obs);
    rlc_free(w->tk_act);
    w->tk_obs = w->tk_act = NULL;
}

static uint64_t instance_base(void) {
    static _Atomic uint64_t counter = 0;
    double t = rlc_time_now();
    uint64_t tb;
    memcpy(&tb, &t, sizeof tb);
    uint64_t z = (atomic_fetch_add(&counter, 1) + 1) * 0xA0761D6478BD642Full ^
                 (uint64_t)getpid() << 32 ^ tb;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

rlc_status rlc_wrap_rlif(rlc_env **out, rlc_env *inner, const rlc_rlif_expert *ex) {
    const char *fn = "rlc_wrap_rlif";
    if (!out || !inner) return rlc_error(RLC_ERR_INVALID, "%s: out and inner must be non-NULL", fn);
    rlc_status st = check_expert(fn, ex);
    if (!st) st = check_spaces(fn, inner);
    if (st) return st;
    size_t mirror = rlc_env_state_size(inner);
    size_t obs_bytes = rlc_space_bytes(&inner->obs_space);
    size_t o_self = ALIGN16(sizeof(rlc_env));
    size_t o_obs = ALIGN16(o_self + sizeof(layer));
    size_t o_state = ALIGN16(o_obs + obs_bytes + 8);
    size_t o_mirror = ALIGN16(o_state + sizeof(lstate));
    size_t total = o_mirror + mirror;
    char *blk = rlc_calloc(1, total);
    if (!blk) return RLC_ERR_NOMEM;
    rlc_env *env = (rlc_env *)(void *)blk;
    layer *w = (layer *)(void *)(blk + o_self);
    env->self = w;
    env->spec = inner->spec;
    w->inner = inner;
    w->outer = env;
    w->ex = *ex;
    w->next_stamp = instance_base();
    w->obs = (float *)(void *)(blk + o_obs);
    w->st = (lstate *)(void *)(blk + o_state);
    w->mirror = blk + o_mirror;
    w->mirror_bytes = mirror;
    snprintf(w->name, sizeof w->name, "RLIF(%s)", inner->def->name);
    rlc__env_def *d = &w->def;
    d->name = w->name;
    d->summary = inner->def->summary;
    d->size = total - o_self;
    d->state_offset = o_state - o_self;
    d->state_size = total - o_state;
    d->state_dim = inner->def->state_dim;
    d->state_names = inner->def->state_names;
    d->flags = inner->def->flags;
    d->reset = l_reset;
    d->step = l_step;
    d->observe = l_observe;
    d->get_vector = l_get_vector;
    d->set_vector = l_set_vector;
    d->render = l_render;
    d->fini = l_fini;
    env->def = d;
    env->step = l_step;
    const rlc_space *is = &inner->obs_space, *ia = &inner->act_space;
    st = rlc__space_box(&env->obs_space, is->dtype, is->size, is->low, is->high);
    if (!st) st = rlc__space_box(&env->act_space, ia->dtype, ia->size, ia->low, ia->high);
    if (!st) {
        env->obs_space.ndim = is->ndim;
        memcpy(env->obs_space.shape, is->shape, sizeof is->shape);
        env->act_space.ndim = ia->ndim;
        memcpy(env->act_space.shape, ia->shape, sizeof ia->shape);
        env->scratch_obs = rlc_calloc(1, obs_bytes + 8);
        w->tk_obs = rlc_calloc((size_t)(ex->takeover + 1) * is->size, sizeof(float));
        w->tk_act = rlc_calloc((size_t)ex->takeover * ia->size, sizeof(float));
        if (!env->scratch_obs || !w->tk_obs || !w->tk_act) st = RLC_ERR_NOMEM;
    }
    if (st) {
        rlc__space_free(&env->obs_space);
        rlc__space_free(&env->act_space);
        rlc_free(env->scratch_obs);
        rlc_free(w->tk_obs);
        rlc_free(w->tk_act);
        rlc_free(env);
        return st;
    }
    env->max_steps = 0; /* the inner time limit is carried step by step */
    env->act_check = inner->act_check;
    env->act_n = inner->act_n;
    sync_out(w);
    *out = env;
    return RLC_OK;
}

void rlc_rlif_counts(const rlc_env *env, int64_t *decisions, int64_t *interventions,
                     int64_t *env_steps) {
    const layer *w = rlc_rlif_is(env) ? L(env->self) : NULL;
    if (decisions) *decisions = w ? w->decisions : 0;
    if (interventions) *interventions = w ? w->interventions : 0;
    if (env_steps) *env_steps = w ? w->env_steps : 0;
}

int rlc_rlif_takeover(const rlc_env *env, const float **obs, const float **actions,
                      int *terminated, int *truncated) {
    const layer *w = rlc_rlif_is(env) ? L(env->self) : NULL;
    if (!w || !w->tk_n) return 0;
    if (obs) *obs = w->tk_obs;
    if (actions) *actions = w->tk_act;
    if (terminated) *terminated = w->tk_term;
    if (truncated) *truncated = w->tk_trunc;
    return w->tk_n;
}

/* ---- behaviour cloning ----------------------------------------------------------------- */

struct rlc_dagger {
    rlc_dagger_options o;
    rlc_rlif_expert ex;
    rlc_env *env;
    const rlc_space *as;
    int obs_n, act_n;
    rlc_rng rng;
    rlc_params *params;
    rlc_mlp *mlp;
    rlc_optim *opt;
    rlc_graph *gtrain, *gact;
    rlc_tensor *tx, *ty, *tloss, *ax, *aout;
    /* the aggregate: [cap][obs_n] and [cap][act_n] (labels scaled to [-1, 1]) */
    float *data_obs, *data_act;
    int64_t n, cap;
    float *bx, *by;
    int iteration;
    int64_t env_steps, interventions;
    float *obs;
    int trained;
};

void rlc_dagger_options_init(rlc_dagger_options *o) {
    memset(o, 0, sizeof *o);
    o->episodes_per_iter = 2;
    o->bc_steps = 500;
    o->batch = 128;
    o->hidden = 64;
    o->lr = 1e-3;
    o->beta_decay = 0.5;
}

void rlc_dagger_destroy(rlc_dagger *d) {
    if (!d) return;
    rlc_graph_destroy(d->gtrain);
    rlc_graph_destroy(d->gact);
    rlc_optim_destroy(d->opt);
    rlc_mlp_destroy(d->mlp);
    rlc_params_destroy(d->params);
    rlc_env_destroy(d->env);
    rlc_free(d->data_obs);
    rlc_free(d->data_act);
    rlc_free(d->bx);
    rlc_free(d->by);
    rlc_free(d->obs);
    rlc_free(d);
}

rlc_status rlc_dagger_create(rlc_dagger **out, const char *env_id, const char *kwargs,
                             const rlc_rlif_expert *ex, const rlc_dagger_options *opt) {
    const char *fn = "rlc_dagger_create";
    if (!out || !env_id) return rlc_error(RLC_ERR_INVALID, "%s: NULL argument", fn);
    rlc_status st = check_expert(fn, ex);
    if (st) return st;
    rlc_dagger_options o;
    rlc_dagger_options_init(&o);
    if (opt) o = *opt;
    if (o.episodes_per_iter < 1 || o.bc_steps < 0 || o.batch < 1 || o.hidden < 1 ||
        !(o.lr > 0) || !(o.beta_decay >= 0 && o.beta_decay <= 1))
        return rlc_error(RLC_ERR_RANGE,
                         "%s: need episodes_per_iter >= 1 (%d), bc_steps >= 0 (%d), batch >= 1 "
                         "(%d), hidden >= 1 (%d), lr > 0 (%g), beta_decay in [0, 1] (%g)",
                         fn, o.episodes_per_iter, o.bc_steps, o.batch, o.hidden, o.lr,
                         o.beta_decay);
    rlc_dagger *d = rlc_calloc(1, sizeof *d);
    if (!d) return RLC_ERR_NOMEM;
    d->o = o;
    d->ex = *ex;
    rlc_rng_seed(&d->rng, o.seed);
    st = rlc_env_make(&d->env, env_id, kwargs);
    if (!st) st = check_spaces(fn, d->env);
    if (st) {
        rlc_dagger_destroy(d);
        return st;
    }
    d->as = rlc_env_action_space(d->env);
    d->obs_n = (int)rlc_env_obs_space(d->env)->size;
    d->act_n = (int)d->as->size;
    d->cap = 4096;
    d->data_obs = rlc_malloc(sizeof(float) * (size_t)(d->cap * d->obs_n));
    d->data_act = rlc_malloc(sizeof(float) * (size_t)(d->cap * d->act_n));
    d->bx = rlc_malloc(sizeof(float) * (size_t)o.batch * (size_t)d->obs_n);
    d->by = rlc_malloc(sizeof(float) * (size_t)o.batch * (size_t)d->act_n);
    d->obs = rlc_malloc(sizeof(float) * (size_t)d->obs_n + 8);
    d->params = rlc_params_create(RLC_F32);
    if (!d->data_obs || !d->data_act || !d->bx || !d->by || !d->obs || !d->params) {
        rlc_dagger_destroy(d);
        return RLC_ERR_NOMEM;
    }
    int sizes[4] = {d->obs_n, o.hidden, o.hidden, d->act_n};
    rlc_mlp_spec spec = {0};
    spec.sizes = sizes;
    spec.nsizes = 4;
    spec.act = RLC_ACT_RELU;
    spec.out_act = RLC_ACT_TANH;
    rlc_rng init;
    rlc_rng_seed(&init, o.seed ^ 0x5eedull);
    d->mlp = rlc_mlp_create(d->params, "bc", &spec, &init);
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    oc.lr = o.lr;
    oc.zero_grad = 1;
    if (d->mlp) d->opt = rlc_optim_create(d->params, &oc);
    d->gtrain = rlc_graph_create(RLC_F32, 0);
    d->gact = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    if (!d->mlp || !d->opt || !d->gtrain || !d->gact) {
        rlc_dagger_destroy(d);
        return RLC_ERR_NOMEM;
    }
    d->tx = rlc_input(d->gtrain, 2, (int[]){o.batch, d->obs_n});
    d->ty = rlc_input(d->gtrain, 2, (int[]){o.batch, d->act_n});
    d->tloss = rlc_mse(d->gtrain, rlc_mlp_forward(d->gtrain, d->mlp, d->tx), d->ty);
    d->ax = rlc_input(d->gact, 2, (int[]){1, d->obs_n});
    d->aout = rlc_mlp_forward(d->gact, d->mlp, d->ax);
    st = rlc_graph_status(d->gtrain);
    if (!st) st = rlc_graph_status(d->gact);
    if (st) {
        rlc_dagger_destroy(d);
        return st;
    }
    *out = d;
    return RLC_OK;
}

/* The learner's action for d->obs (env units). */
static void learner_act(rlc_dagger *d, float *a) {
    rlc_tensor_load_f32(d->ax, d->obs, d->obs_n);
    (void)rlc_graph_forward(d->gact);
    float y[MAXA];
    rlc_tensor_store_f32(d->aout, y, d->act_n);
    for (int i = 0; i < d->act_n; i++) {
        double lo = d->as->low[i], hi = d->as->high[i];
        a[i] = (float)(lo + (y[i] + 1.0) * 0.5 * (hi - lo));
    }
}

static rlc_status add_label(rlc_dagger *d, const float *label) {
    if (d->n == d->cap) {
        float *no = rlc_realloc(d->data_obs, sizeof(float) * (size_t)(2 * d->cap * d->obs_n));
        if (!no) return RLC_ERR_NOMEM;
        d->data_obs = no;
        float *na = rlc_realloc(d->data_act, sizeof(float) * (size_t)(2 * d->cap * d->act_n));
        if (!na) return RLC_ERR_NOMEM;
        d->data_act = na;
        d->cap *= 2;
    }
    memcpy(d->data_obs + d->n * d->obs_n, d->obs, sizeof(float) * (size_t)d->obs_n);
    for (int i = 0; i < d->act_n; i++) {
        double lo = d->as->low[i], hi = d->as->high[i];
        d->data_act[d->n * d->act_n + i] = (float)(2.0 * (label[i] - lo) / (hi - lo) - 1.0);
    }
    d->n++;
    return RLC_OK;
}

static void bc_train(rlc_dagger *d) {
    int B = d->o.batch;
    for (int s = 0; s < d->o.bc_steps; s++) {
        for (int b = 0; b < B; b++) {
            int64_t i = rlc_rng_integers(&d->rng, 0, d->n);
            memcpy(d->bx + (size_t)b * d->obs_n, d->data_obs + i * d->obs_n,
                   sizeof(float) * (size_t)d->obs_n);
            memcpy(d->by + (size_t)b * d->act_n, d->data_act + i * d->act_n,
                   sizeof(float) * (size_t)d->act_n);
        }
        rlc_tensor_load_f32(d->tx, d->bx, (int64_t)B * d->obs_n);
        rlc_tensor_load_f32(d->ty, d->by, (int64_t)B * d->act_n);
        (void)rlc_graph_forward(d->gtrain);
        (void)rlc_graph_backward(d->gtrain, d->tloss);
        rlc_optim_step(d->opt);
    }
    d->trained = 1;
}

rlc_status rlc_dagger_iterate(rlc_dagger *d) {
    if (!d) return rlc_error(RLC_ERR_INVALID, "rlc_dagger_iterate: NULL learner");
    double beta = d->iteration == 0 ? 1.0 : pow(d->o.beta_decay, d->iteration);
    rlc_status st = RLC_OK;
    float intended[MAXA], exec[MAXA], mine[MAXA];
    for (int e = 0; e < d->o.episodes_per_iter && !st; e++) {
        uint64_t seed = d->o.seed * 1000003ull + (uint64_t)d->iteration * 101 + (uint64_t)e;
        st = rlc_env_reset(d->env, (int64_t)(seed & 0x7fffffffffffffffull), d->obs);
        rlc_step_result r = {0, 0, 0, 0, 0};
        int takeover = 0;
        while (!st && !(r.terminated || r.truncated)) {
            d->ex.policy(d->obs, intended, d->ex.user);
            executed(&d->ex, d->as, intended, &d->rng, exec);
            const float *a;
            if (!d->o.hg) { /* DAgger: label every state, beta-mixture drives */
                st = add_label(d, exec);
                if (d->iteration == 0 || !d->trained || rlc_rng_random(&d->rng) < beta)
                    a = exec;
                else {
                    learner_act(d, mine);
                    a = mine;
                }
            } else if (d->iteration == 0 || !d->trained) { /* HG-DAgger: expert demos first */
                st = add_label(d, exec);
                a = exec;
            } else {
                learner_act(d, mine);
                if (!takeover && deviation(d->as, mine, intended) > d->ex.threshold) {
                    takeover = d->ex.takeover;
                    d->interventions++;
                }
                if (takeover) {
                    takeover--;
                    st = add_label(d, exec);
                    a = exec;
                } else {
                    a = mine;
                }
            }
            if (!st) st = rlc_env_step(d->env, a, d->obs, &r);
            d->env_steps++;
        }
    }
    if (st) return st;
    if (d->n > 0) bc_train(d);
    d->iteration++;
    return RLC_OK;
}

void rlc_dagger_counts(const rlc_dagger *d, int64_t *env_steps, int64_t *labels,
                       int64_t *interventions) {
    if (env_steps) *env_steps = d ? d->env_steps : 0;
    if (labels) *labels = d ? d->n : 0;
    if (interventions) *interventions = d ? d->interventions : 0;
}

rlc_status rlc_dagger_evaluate(rlc_dagger *d, int episodes, uint64_t seed, double *returns) {
    if (!d || episodes < 0 || (episodes && !returns))
        return rlc_error(RLC_ERR_INVALID, "rlc_dagger_evaluate: bad argument");
    float a[MAXA];
    for (int e = 0; e < episodes; e++) {
        rlc_status st = rlc_env_reset(d->env, (int64_t)(seed + (uint64_t)e), d->obs);
        rlc_step_result r = {0, 0, 0, 0, 0};
        while (!st && !(r.terminated || r.truncated)) {
            learner_act(d, a);
            st = rlc_env_step(d->env, a, d->obs, &r);
        }
        if (st) return st;
        returns[e] = r.episode_return;
    }
    return RLC_OK;
}

rlc_status rlc_rlif_expert_evaluate(const rlc_rlif_expert *ex, const char *env_id, int episodes,
                                    uint64_t seed, double *returns) {
    const char *fn = "rlc_rlif_expert_evaluate";
    if (!env_id || episodes < 0 || (episodes && !returns))
        return rlc_error(RLC_ERR_INVALID, "%s: bad argument", fn);
    rlc_status st = check_expert(fn, ex);
    if (st) return st;
    rlc_env *env;
    if ((st = rlc_env_make(&env, env_id, NULL))) return st;
    if ((st = check_spaces(fn, env))) {
        rlc_env_destroy(env);
        return st;
    }
    const rlc_space *as = rlc_env_action_space(env);
    float obs[256], intended[MAXA], exec[MAXA];
    if (rlc_env_obs_space(env)->size > 256) {
        rlc_env_destroy(env);
        return rlc_error(RLC_ERR_INVALID, "%s: observations above 256 elements", fn);
    }
    rlc_rng rng;
    rlc_rng_seed(&rng, seed ^ 0xE1E1ull);
    for (int e = 0; e < episodes && !st; e++) {
        st = rlc_env_reset(env, (int64_t)(seed + (uint64_t)e), obs);
        rlc_step_result r = {0, 0, 0, 0, 0};
        while (!st && !(r.terminated || r.truncated)) {
            ex->policy(obs, intended, ex->user);
            executed(ex, as, intended, &rng, exec);
            st = rlc_env_step(env, exec, obs, &r);
        }
        if (!st) returns[e] = r.episode_return;
    }
    rlc_env_destroy(env);
    return st;
}
