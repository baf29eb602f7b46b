/* Env wrappers (TimeLimit, NormalizeObservation, NormalizeReward, ClipAction, RescaleAction,
 * FrameStack, action repeat, StickyAction, observation noise) as env types whose struct holds
 * the inner env. The vtable has no seed, truncation or snapshot hooks for wrappers, so:
 *  - the stack shares one RNG stream: the wrapper's generator is copied into the inner env
 *    before each inner call and back after it (seeding the wrapper seeds the stack);
 *  - inner truncation is carried out by setting this layer's max_steps so that the generic
 *    layer reports truncated on this step (restored to the nominal limit on the next call);
 *  - the wrapper's evolving state region ends with a mirror of the inner env's snapshot,
 *    refreshed after every call that changes the inner env; a per-call stamp tells when
 *    rlc_env_set_state restored an older region, and the inner env is then restored from the
 *    mirror before it is used. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env/env_impl.h"
#include "rlc/wrappers.h"

/* Evolving part of a wrapper besides the kind's variable bytes and the inner mirror. */
typedef struct wstate {
    uint64_t stamp;     /* changes with every call that changes the stack */
    double disc_return; /* NormalizeReward's discounted return */
    int32_t has_last;   /* StickyAction: a previous action exists */
    int32_t pad;
} wstate;

typedef struct wrapper {
    rlc_env *inner, *outer;
    rlc_wrap_kind kind;
    rlc__env_def def; /* per instance: snapshot size depends on the inner env */
    char name[160];
    int64_t nominal; /* time limit of this layer, in its own steps */
    uint64_t live_stamp, next_stamp;
    size_t in_obs_bytes, out_obs_bytes, act_bytes, mirror_bytes;
    int64_t in_n, out_n, act_n;
    rlc_space_dtype in_dt, out_dt, act_dt;
    void *in_obs;  /* [in_obs_bytes] inner obs scratch */
    void *act_buf; /* [act_bytes] transformed action scratch */
    /* parameters */
    double clip, gamma, p, sigma;
    int k, zero_pad, update;
    /* NormalizeObservation / NormalizeReward statistics (not snapshotted) */
    double *mean, *var, count;
    /* RescaleAction: per element gradient and intercept */
    double *grad, *icpt;
    /* evolving state region, at def.state_offset inside this struct's allocation */
    wstate *st;
    uint8_t *var_area; /* frame history / last sticky action / last noisy obs */
    void *mirror;      /* [mirror_bytes] inner snapshot */
} wrapper;

#define RMS_EPS 1e-8
#define COUNT0 1e-4 /* RunningMeanStd(epsilon=1e-4) initial count */

static void w_fini(void *self);

static int is_wrapper(const rlc_env *e) {
    return e->def->fini == w_fini;
}
static wrapper *W(const void *self) {
    return (wrapper *)(uintptr_t)self;
}

static const char *KIND_NAMES[] = {
    "None",          "TimeLimit",  "NormalizeObservation", "NormalizeReward", "ClipAction",
    "RescaleAction", "FrameStack", "ActionRepeat",         "StickyAction",    "ObservationNoise"};

/* ---------------------------------------------------------------------------------------
 * Element access
 * ------------------------------------------------------------------------------------- */

static double get_elem(rlc_space_dtype dt, const void *p, int64_t i) {
    switch (dt) {
    case RLC_SPACE_FLOAT32:
        return ((const float *)p)[i];
    case RLC_SPACE_FLOAT64:
        return ((const double *)p)[i];
    case RLC_SPACE_INT64:
        return (double)((const int64_t *)p)[i];
    case RLC_SPACE_INT32:
        return ((const int32_t *)p)[i];
    case RLC_SPACE_UINT8:
        return ((const uint8_t *)p)[i];
    }
    return 0;
}

/* Float dtypes only (outputs of the obs/action transforms). */
static void set_elem(rlc_space_dtype dt, void *p, int64_t i, double v) {
    if (dt == RLC_SPACE_FLOAT64)
        ((double *)p)[i] = v;
    else
        ((float *)p)[i] = (float)v;
}

/* ---------------------------------------------------------------------------------------
 * Stack plumbing
 * ------------------------------------------------------------------------------------- */

static void sync_in(wrapper *w) {
    if (w->st->stamp != w->live_stamp) {
        /* cannot fail: the mirror was taken from this inner env */
        (void)rlc_env_set_state(w->inner, w->mirror, w->mirror_bytes);
        w->live_stamp = w->st->stamp;
    }
}

static void sync_out(wrapper *w) {
    (void)rlc_env_get_state(w->inner, w->mirror, w->mirror_bytes);
    w->st->stamp = w->live_stamp = ++w->next_stamp;
}

static void inner_reset(wrapper *w, rlc_rng *rng, void *obs) {
    w->inner->rt.rng = *rng;
    w->inner->rt.seeded = 1;
    (void)rlc_env_reset(w->inner, RLC_ENV_NO_SEED, obs);
    *rng = w->inner->rt.rng;
}

static void inner_step(wrapper *w, rlc_rng *rng, const void *action, void *obs,
                       rlc_step_result *r) {
    w->inner->rt.rng = *rng;
    if (rlc_env_step(w->inner, action, obs, r)) {
        /* Not reachable through this layer (it validated the action and keeps the inner
         * episode running); end the episode rather than loop on a dead env. */
        r->reward = 0;
        r->terminated = 1;
        r->truncated = 0;
    }
    *rng = w->inner->rt.rng;
}

/* Makes the generic layer report truncated on this step when the inner env truncated. */
static void carry_truncation(wrapper *w, int inner_truncated) {
    rlc_env *o = w->outer;
    o->max_steps = w->nominal;
    if (inner_truncated) {
        int64_t t = o->rt.elapsed + 1; /* the generic layer's count after this step */
        if (!(w->nominal > 0 && t >= w->nominal)) o->max_steps = t;
    }
}

static int64_t nominal_of(const rlc_env *e) {
    return is_wrapper(e) ? W(e->self)->nominal : e->max_steps;
}

/* ---------------------------------------------------------------------------------------
 * Transforms
 * ------------------------------------------------------------------------------------- */

/* Gymnasium's RunningMeanStd.update with a batch of one (batch var 0), element i. */
static void rms_update1(double *mean, double *var, double count, double x) {
    double tot = count + 1.0, delta = x - *mean;
    double m_a = *var * count;
    *mean = *mean + delta * 1.0 / tot;
    *var = (m_a + 0.0 + delta * delta * count * 1.0 / tot) / tot;
}

static double clip_to(double v, double c) {
    return c > 0 ? (v < -c ? -c : v > c ? c : v) : v;
}

static void normalize_obs(wrapper *w, const void *in, void *out, int update) {
    double c = w->count;
    for (int64_t i = 0; i < w->in_n; i++) {
        double x = get_elem(w->in_dt, in, i);
        if (update) rms_update1(&w->mean[i], &w->var[i], c, x);
        set_elem(w->out_dt, out, i, clip_to((x - w->mean[i]) / sqrt(w->var[i] + RMS_EPS), w->clip));
    }
    if (update) w->count = c + 1.0;
}

static void add_noise(wrapper *w, rlc_rng *rng, const void *in, void *out) {
    for (int64_t i = 0; i < w->in_n; i++) {
        double x = get_elem(w->in_dt, in, i);
        if (w->sigma > 0) x += w->sigma * rlc_rng_normal(rng);
        set_elem(w->out_dt, out, i, x);
    }
}

static void stack_fill(wrapper *w, const void *obs) {
    size_t fb = w->in_obs_bytes;
    for (int j = 0; j < w->k - 1; j++) {
        if (w->zero_pad)
            memset(w->var_area + (size_t)j * fb, 0, fb);
        else
            memcpy(w->var_area + (size_t)j * fb, obs, fb);
    }
    memcpy(w->var_area + (size_t)(w->k - 1) * fb, obs, fb);
}

/* ---------------------------------------------------------------------------------------
 * The vtable
 * ------------------------------------------------------------------------------------- */

static void w_reset(void *self, rlc_rng *rng, void *obs) {
    wrapper *w = self;
    sync_in(w);
    w->outer->max_steps = w->nominal;
    switch (w->kind) {
    case RLC_WRAP_NORMALIZE_OBS:
        inner_reset(w, rng, w->in_obs);
        normalize_obs(w, w->in_obs, obs, w->update);
        break;
    case RLC_WRAP_FRAME_STACK:
        inner_reset(w, rng, w->in_obs);
        stack_fill(w, w->in_obs);
        memcpy(obs, w->var_area, w->out_obs_bytes);
        break;
    case RLC_WRAP_OBS_NOISE:
        inner_reset(w, rng, w->in_obs);
        add_noise(w, rng, w->in_obs, w->var_area);
        memcpy(obs, w->var_area, w->out_obs_bytes);
        break;
    case RLC_WRAP_STICKY_ACTION:
        w->st->has_last = 0;
        inner_reset(w, rng, obs);
        break;
    default:
        inner_reset(w, rng, obs);
        break;
    }
    sync_out(w);
}

static void w_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                   int *terminated) {
    wrapper *w = self;
    sync_in(w);
    rlc_step_result r = {0, 0, 0, 0, 0};
    switch (w->kind) {
    case RLC_WRAP_NORMALIZE_OBS:
        inner_step(w, rng, action, w->in_obs, &r);
        normalize_obs(w, w->in_obs, obs, w->update);
        break;
    case RLC_WRAP_NORMALIZE_REWARD: {
        inner_step(w, rng, action, obs, &r);
        double g = w->st->disc_return * w->gamma * (double)(1 - r.terminated) + r.reward;
        w->st->disc_return = g;
        if (w->update) {
            rms_update1(w->mean, w->var, w->count, g);
            w->count += 1.0;
        }
        r.reward = clip_to(r.reward / sqrt(w->var[0] + RMS_EPS), w->clip);
        break;
    }
    case RLC_WRAP_CLIP_ACTION:
    case RLC_WRAP_RESCALE_ACTION: {
        const rlc_space *s = &w->inner->act_space;
        for (int64_t i = 0; i < w->act_n; i++) {
            double a = get_elem(w->act_dt, action, i);
            if (w->kind == RLC_WRAP_RESCALE_ACTION) a = a * w->grad[i] + w->icpt[i];
            a = a < s->low[i] ? s->low[i] : a > s->high[i] ? s->high[i] : a;
            set_elem(w->act_dt, w->act_buf, i, a);
        }
        inner_step(w, rng, w->act_buf, obs, &r);
        break;
    }
    case RLC_WRAP_FRAME_STACK: {
        size_t fb = w->in_obs_bytes;
        memmove(w->var_area, w->var_area + fb, (size_t)(w->k - 1) * fb);
        inner_step(w, rng, action, w->var_area + (size_t)(w->k - 1) * fb, &r);
        memcpy(obs, w->var_area, w->out_obs_bytes);
        break;
    }
    case RLC_WRAP_ACTION_REPEAT: {
        double sum = 0;
        for (int j = 0; j < w->k; j++) {
            inner_step(w, rng, action, obs, &r);
            sum += r.reward;
            if (r.terminated || r.truncated) break;
        }
        r.reward = sum;
        break;
    }
    case RLC_WRAP_STICKY_ACTION: {
        const void *a = action;
        if (w->st->has_last && (w->p >= 1 || (w->p > 0 && rlc_rng_random(rng) < w->p)))
            a = w->var_area;
        inner_step(w, rng, a, obs, &r);
        if (a != w->var_area) memcpy(w->var_area, a, w->act_bytes);
        w->st->has_last = 1;
        break;
    }
    case RLC_WRAP_OBS_NOISE:
        inner_step(w, rng, action, w->in_obs, &r);
        add_noise(w, rng, w->in_obs, w->var_area);
        memcpy(obs, w->var_area, w->out_obs_bytes);
        break;
    default:
        inner_step(w, rng, action, obs, &r);
        break;
    }
    *reward = r.reward;
    *terminated = r.terminated;
    carry_truncation(w, r.truncated);
    sync_out(w);
}

static void w_observe(const void *self, void *obs) {
    wrapper *w = W(self);
    sync_in(w);
    switch (w->kind) {
    case RLC_WRAP_NORMALIZE_OBS:
        (void)rlc_env_observe(w->inner, w->in_obs);
        normalize_obs(w, w->in_obs, obs, 0);
        break;
    case RLC_WRAP_FRAME_STACK:
    case RLC_WRAP_OBS_NOISE:
        memcpy(obs, w->var_area, w->out_obs_bytes);
        break;
    default:
        (void)rlc_env_observe(w->inner, obs);
        break;
    }
}

static void w_get_vector(const void *self, double *v) {
    wrapper *w = W(self);
    sync_in(w);
    (void)rlc_env_get_state_vector(w->inner, v);
}

static void w_set_vector(void *self, const double *v) {
    wrapper *w = self;
    sync_in(w);
    int fresh = w->outer->rt.phase != RLC__PHASE_RUNNING; /* a new episode starts */
    (void)rlc_env_set_state_vector(w->inner, v, w->def.state_dim);
    switch (w->kind) {
    case RLC_WRAP_FRAME_STACK:
        (void)rlc_env_observe(w->inner, w->in_obs);
        if (fresh)
            stack_fill(w, w->in_obs);
        else
            memcpy(w->var_area + (size_t)(w->k - 1) * w->in_obs_bytes, w->in_obs, w->in_obs_bytes);
        break;
    case RLC_WRAP_OBS_NOISE:
        (void)rlc_env_observe(w->inner, w->in_obs);
        add_noise(w, &w->outer->rt.rng, w->in_obs, w->var_area);
        break;
    case RLC_WRAP_STICKY_ACTION:
        if (fresh) w->st->has_last = 0;
        break;
    default:
        break;
    }
    if (fresh) w->outer->max_steps = w->nominal;
    sync_out(w);
}

static rlc_status w_render(const void *self, uint8_t *rgb, int width, int height) {
    wrapper *w = W(self);
    sync_in(w);
    return rlc_env_render(w->inner, rgb, width, height);
}

static void w_fini(void *self) {
    wrapper *w = self;
    rlc_env_destroy(w->inner);
    w->inner = NULL;
}

/* ---------------------------------------------------------------------------------------
 * Construction
 * ------------------------------------------------------------------------------------- */

#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

static uint64_t instance_base(void) {
    /* Stamps must differ between wrapper instances (a snapshot of one restored into another
     * of the same type must be noticed): each instance starts its counter at a hash of an
     * instance number, the process and the time, so ranges of different instances (and
     * runs) practically never meet. */
    static _Atomic uint64_t counter = 0;
    double t = rlc_time_now();
    uint64_t tb;
    memcpy(&tb, &t, sizeof tb);
    uint64_t z =
        (atomic_fetch_add(&counter, 1) + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() << 32 ^ tb;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; /* splitmix64 finaliser */
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Copies a space (bounds arrays duplicated). */
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

typedef struct layout {
    size_t head, self, state, var, mirror, in_obs, act_buf, dbl; /* offsets / sizes */
    size_t total;
} layout;

/* Allocates the env + wrapper in one block: [rlc_env][wrapper][wstate][var][mirror][in_obs]
 * [act_buf][doubles]. Spaces are set by the caller, then finish() completes the env. */
static rlc_status wrap_alloc(rlc_env **eout, rlc_env *inner, rlc_wrap_kind kind, size_t var_bytes,
                             size_t ndoubles) {
    size_t mirror = rlc_env_state_size(inner);
    size_t in_obs = rlc_space_bytes(&inner->obs_space);
    size_t act = rlc_space_bytes(&inner->act_space);
    size_t o = 0, o_self, o_state, o_var, o_mirror, o_in, o_act, o_dbl;
    o = ALIGN16(sizeof(rlc_env));
    o_self = o;
    o = ALIGN16(o + sizeof(wrapper));
    o_state = o;
    o_var = ALIGN16(o_state + sizeof(wstate));
    o_mirror = ALIGN16(o_var + var_bytes);
    o = ALIGN16(o_mirror + mirror);
    o_in = o;
    o_act = ALIGN16(o_in + in_obs + 8);
    o_dbl = ALIGN16(o_act + act + 8);
    o = o_dbl + ndoubles * sizeof(double);
    char *blk = rlc_calloc(1, o);
    if (!blk) return RLC_ERR_NOMEM;
    rlc_env *env = (rlc_env *)(void *)blk;
    wrapper *w = (wrapper *)(void *)(blk + o_self);
    env->self = w;
    env->spec = inner->spec;
    w->inner = inner;
    w->outer = env;
    w->kind = kind;
    w->nominal = nominal_of(inner);
    w->next_stamp = instance_base();
    w->st = (wstate *)(void *)(blk + o_state);
    w->var_area = (uint8_t *)(blk + o_var);
    w->mirror = blk + o_mirror;
    w->mirror_bytes = mirror;
    w->in_obs = blk + o_in;
    w->act_buf = blk + o_act;
    w->mean = ndoubles ? (double *)(void *)(blk + o_dbl) : NULL;
    w->in_obs_bytes = w->out_obs_bytes = in_obs;
    w->act_bytes = act;
    w->in_n = w->out_n = inner->obs_space.size;
    w->act_n = inner->act_space.size;
    w->in_dt = w->out_dt = inner->obs_space.dtype;
    w->act_dt = inner->act_space.dtype;
    w->update = 1;
    snprintf(w->name, sizeof w->name, "%s(%s)", KIND_NAMES[kind], inner->def->name);
    rlc__env_def *d = &w->def;
    d->name = w->name;
    d->summary = inner->def->summary;
    d->size = o - o_self;
    d->state_offset = o_state - o_self;
    d->state_size = o_mirror + mirror - o_state;
    d->state_dim = inner->def->state_dim;
    d->state_names = inner->def->state_names;
    d->flags = inner->def->flags;
    d->reset = w_reset;
    d->step = w_step;
    d->observe = w_observe;
    d->get_vector = w_get_vector;
    d->set_vector = w_set_vector;
    d->render = w_render;
    d->fini = w_fini;
    env->def = d;
    env->step = w_step;
    *eout = env;
    return RLC_OK;
}

/* Frees a wrapper that failed during construction, leaving the inner env alone. */
static void wrap_abandon(rlc_env *env) {
    rlc__space_free(&env->obs_space);
    rlc__space_free(&env->act_space);
    rlc_free(env->scratch_obs);
    rlc_free(env);
}

/* Completes the env once both spaces are set: action checks (as rlc_env_make), the scratch
 * obs and the first mirror of the inner env. */
static rlc_status wrap_finish(rlc_env *env, rlc_env **out) {
    wrapper *w = env->self;
    env->scratch_obs = rlc_calloc(1, rlc_space_bytes(&env->obs_space) + 8);
    if (!env->scratch_obs) {
        wrap_abandon(env);
        return RLC_ERR_NOMEM;
    }
    env->max_steps = w->nominal;
    const rlc_space *a = &env->act_space;
    env->act_n = (int)a->size;
    switch (a->kind) {
    case RLC_SPACE_DISCRETE:
        env->act_check = RLC__ACT_DISCRETE;
        env->act_lo = w->inner->act_lo;
        env->act_span = w->inner->act_span;
        break;
    case RLC_SPACE_MULTI_DISCRETE:
        env->act_check = RLC__ACT_MULTI_DISCRETE;
        break;
    case RLC_SPACE_BOX:
        env->act_check = a->dtype == RLC_SPACE_FLOAT32   ? RLC__ACT_BOX_F32
                         : a->dtype == RLC_SPACE_FLOAT64 ? RLC__ACT_BOX_F64
                                                         : RLC__ACT_NONE;
        break;
    }
    sync_out(w);
    *out = env;
    return RLC_OK;
}

/* Both spaces copied from the inner env (wrappers that change neither). */
static rlc_status copy_spaces(rlc_env *env, const rlc_env *inner) {
    rlc_status st = space_copy(&env->obs_space, &inner->obs_space);
    if (!st) st = space_copy(&env->act_space, &inner->act_space);
    return st;
}

static rlc_status check_inner(const char *fn, rlc_env **out, rlc_env *inner) {
    if (!out || !inner) return rlc_error(RLC_ERR_INVALID, "%s: out and inner must be non-NULL", fn);
    return RLC_OK;
}

/* Wrapper with unchanged spaces. */
static rlc_status wrap_simple(rlc_env *inner, rlc_wrap_kind kind, size_t var_bytes, size_t ndoubles,
                              wrapper **wout, rlc_env **eout) {
    rlc_env *env;
    rlc_status st = wrap_alloc(&env, inner, kind, var_bytes, ndoubles);
    if (st) return st;
    st = copy_spaces(env, inner);
    if (st) {
        wrap_abandon(env);
        return st;
    }
    *wout = env->self;
    *eout = env;
    return RLC_OK;
}

static void describe(const rlc_space *s, char *buf, size_t cap) {
    rlc_space_describe(s, buf, cap);
}

rlc_status rlc_wrap_time_limit(rlc_env **out, rlc_env *inner, int64_t max_episode_steps) {
    rlc_status st = check_inner("rlc_wrap_time_limit", out, inner);
    if (st) return st;
    if (max_episode_steps < 0)
        return rlc_error(RLC_ERR_RANGE,
                         "rlc_wrap_time_limit: max_episode_steps must be >= 0, got %lld",
                         (long long)max_episode_steps);
    wrapper *w;
    rlc_env *env;
    st = wrap_simple(inner, RLC_WRAP_TIME_LIMIT, 0, 0, &w, &env);
    if (st) return st;
    w->nominal = max_episode_steps;
    st = wrap_finish(env, out);
    if (st) return st;
    /* The new limit replaces the ones below (they would otherwise cut a longer one short). */
    for (rlc_env *e = inner;;) {
        e->max_steps = 0;
        if (!is_wrapper(e)) break;
        W(e->self)->nominal = 0;
        e = W(e->self)->inner;
    }
    return RLC_OK;
}

static rlc_status need_box_obs(const char *fn, const rlc_env *inner, int float_only) {
    const rlc_space *s = &inner->obs_space;
    int ok = s->kind == RLC_SPACE_BOX &&
             (!float_only || s->dtype == RLC_SPACE_FLOAT32 || s->dtype == RLC_SPACE_FLOAT64);
    if (ok) return RLC_OK;
    char sp[160];
    describe(s, sp, sizeof sp);
    return rlc_error(RLC_ERR_INVALID, "%s: %s has observation space %s; a %sBox is needed", fn,
                     rlc_env_id(inner), sp, float_only ? "float32/float64 " : "");
}

rlc_status rlc_wrap_normalize_obs(rlc_env **out, rlc_env *inner, double clip) {
    const char *fn = "rlc_wrap_normalize_obs";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if (!(clip >= 0) || !isfinite(clip))
        return rlc_error(RLC_ERR_RANGE, "%s: clip must be finite and >= 0 (0 = none), got %g", fn,
                         clip);
    if ((st = need_box_obs(fn, inner, 0))) return st;
    const rlc_space *is = &inner->obs_space;
    rlc_env *env;
    st = wrap_alloc(&env, inner, RLC_WRAP_NORMALIZE_OBS, 0, 2 * (size_t)is->size);
    if (st) return st;
    wrapper *w = env->self;
    w->out_dt = is->dtype == RLC_SPACE_FLOAT64 ? RLC_SPACE_FLOAT64 : RLC_SPACE_FLOAT32;
    w->out_obs_bytes = (size_t)is->size * rlc_space_dtype_size(w->out_dt);
    w->clip = clip;
    w->var = w->mean + is->size;
    for (int64_t i = 0; i < is->size; i++)
        w->var[i] = 1.0;
    w->count = COUNT0;
    double lim = clip > 0 ? clip : INFINITY;
    st = rlc__space_box_uniform(&env->obs_space, w->out_dt, is->size, -lim, lim);
    if (!st) st = space_copy(&env->act_space, &inner->act_space);
    if (st) {
        wrap_abandon(env);
        return st;
    }
    env->obs_space.ndim = is->ndim;
    memcpy(env->obs_space.shape, is->shape, sizeof is->shape);
    return wrap_finish(env, out);
}

rlc_status rlc_wrap_normalize_reward(rlc_env **out, rlc_env *inner, double gamma, double clip) {
    const char *fn = "rlc_wrap_normalize_reward";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if (!(gamma >= 0 && gamma <= 1))
        return rlc_error(RLC_ERR_RANGE, "%s: gamma must lie in [0, 1], got %g", fn, gamma);
    if (!(clip >= 0) || !isfinite(clip))
        return rlc_error(RLC_ERR_RANGE, "%s: clip must be finite and >= 0 (0 = none), got %g", fn,
                         clip);
    wrapper *w;
    rlc_env *env;
    st = wrap_simple(inner, RLC_WRAP_NORMALIZE_REWARD, 0, 2, &w, &env);
    if (st) return st;
    w->gamma = gamma;
    w->clip = clip;
    w->var = w->mean + 1;
    w->var[0] = 1.0;
    w->count = COUNT0;
    return wrap_finish(env, out);
}

static rlc_status need_float_box_action(const char *fn, const rlc_env *inner, int finite) {
    const rlc_space *s = &inner->act_space;
    int ok = s->kind == RLC_SPACE_BOX &&
             (s->dtype == RLC_SPACE_FLOAT32 || s->dtype == RLC_SPACE_FLOAT64);
    for (int64_t i = 0; ok && finite && i < s->size; i++)
        ok = isfinite(s->low[i]) && isfinite(s->high[i]);
    if (ok) return RLC_OK;
    char sp[160];
    describe(s, sp, sizeof sp);
    return rlc_error(RLC_ERR_INVALID, "%s: %s has action space %s; a float Box%s is needed", fn,
                     rlc_env_id(inner), sp, finite ? " with finite bounds" : "");
}

/* Box like `shape_of` (shape and dtype) with uniform bounds. */
static rlc_status box_like(rlc_space *dst, const rlc_space *shape_of, double lo, double hi) {
    rlc_status st = rlc__space_box_uniform(dst, shape_of->dtype, shape_of->size, lo, hi);
    if (st) return st;
    dst->ndim = shape_of->ndim;
    memcpy(dst->shape, shape_of->shape, sizeof dst->shape);
    return RLC_OK;
}

rlc_status rlc_wrap_clip_action(rlc_env **out, rlc_env *inner) {
    const char *fn = "rlc_wrap_clip_action";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if ((st = need_float_box_action(fn, inner, 0))) return st;
    rlc_env *env;
    st = wrap_alloc(&env, inner, RLC_WRAP_CLIP_ACTION, 0, 0);
    if (st) return st;
    st = space_copy(&env->obs_space, &inner->obs_space);
    if (!st) st = box_like(&env->act_space, &inner->act_space, -INFINITY, INFINITY);
    if (st) {
        wrap_abandon(env);
        return st;
    }
    return wrap_finish(env, out);
}

rlc_status rlc_wrap_rescale_action(rlc_env **out, rlc_env *inner, double min_action,
                                   double max_action) {
    const char *fn = "rlc_wrap_rescale_action";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if ((st = need_float_box_action(fn, inner, 1))) return st;
    if (!isfinite(min_action) || !isfinite(max_action) || !(min_action < max_action))
        return rlc_error(RLC_ERR_RANGE, "%s: need finite min_action < max_action, got %g, %g", fn,
                         min_action, max_action);
    const rlc_space *ia = &inner->act_space;
    rlc_env *env;
    st = wrap_alloc(&env, inner, RLC_WRAP_RESCALE_ACTION, 0, 2 * (size_t)ia->size);
    if (st) return st;
    wrapper *w = env->self;
    w->grad = w->mean;
    w->icpt = w->mean + ia->size;
    w->mean = NULL;
    for (int64_t i = 0; i < ia->size; i++) {
        w->grad[i] = (ia->high[i] - ia->low[i]) / (max_action - min_action);
        w->icpt[i] = w->grad[i] * -min_action + ia->low[i];
    }
    st = space_copy(&env->obs_space, &inner->obs_space);
    if (!st) st = box_like(&env->act_space, ia, min_action, max_action);
    if (st) {
        wrap_abandon(env);
        return st;
    }
    return wrap_finish(env, out);
}

rlc_status rlc_wrap_frame_stack(rlc_env **out, rlc_env *inner, int k, int zero_pad) {
    const char *fn = "rlc_wrap_frame_stack";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if (k < 1 || k > 1024)
        return rlc_error(RLC_ERR_RANGE, "%s: k (frames to stack) must be in 1..1024, got %d", fn,
                         k);
    if ((st = need_box_obs(fn, inner, 0))) return st;
    const rlc_space *is = &inner->obs_space;
    if (is->ndim >= RLC_SPACE_MAX_DIMS)
        return rlc_error(RLC_ERR_INVALID, "%s: observations of %s already have %d dimensions", fn,
                         rlc_env_id(inner), is->ndim);
    size_t fb = rlc_space_bytes(is);
    rlc_env *env;
    st = wrap_alloc(&env, inner, RLC_WRAP_FRAME_STACK, (size_t)k * fb, 0);
    if (st) return st;
    wrapper *w = env->self;
    w->k = k;
    w->zero_pad = zero_pad != 0;
    w->out_n = (int64_t)k * is->size;
    w->out_obs_bytes = (size_t)k * fb;
    /* bounds tiled k times */
    double *lo = rlc_malloc(2 * (size_t)w->out_n * sizeof *lo);
    st = lo ? RLC_OK : RLC_ERR_NOMEM;
    if (!st) {
        double *hi = lo + w->out_n;
        for (int j = 0; j < k; j++)
            for (int64_t i = 0; i < is->size; i++) {
                lo[j * is->size + i] = is->low[i];
                hi[j * is->size + i] = is->high[i];
            }
        st = rlc__space_box(&env->obs_space, is->dtype, w->out_n, lo, hi);
        rlc_free(lo);
    }
    if (!st) st = space_copy(&env->act_space, &inner->act_space);
    if (st) {
        wrap_abandon(env);
        return st;
    }
    env->obs_space.ndim = is->ndim + 1;
    env->obs_space.shape[0] = k;
    for (int d = 0; d < is->ndim; d++)
        env->obs_space.shape[d + 1] = is->shape[d];
    return wrap_finish(env, out);
}

rlc_status rlc_wrap_action_repeat(rlc_env **out, rlc_env *inner, int k) {
    const char *fn = "rlc_wrap_action_repeat";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if (k < 1 || k > 1000000)
        return rlc_error(RLC_ERR_RANGE, "%s: k (repeats) must be in 1..1000000, got %d", fn, k);
    wrapper *w;
    rlc_env *env;
    st = wrap_simple(inner, RLC_WRAP_ACTION_REPEAT, 0, 0, &w, &env);
    if (st) return st;
    w->k = k;
    if (w->nominal > 0) w->nominal = (w->nominal + k - 1) / k;
    return wrap_finish(env, out);
}

rlc_status rlc_wrap_sticky_action(rlc_env **out, rlc_env *inner, double p) {
    const char *fn = "rlc_wrap_sticky_action";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if (!(p >= 0 && p <= 1))
        return rlc_error(RLC_ERR_RANGE, "%s: probability p must lie in [0, 1], got %g", fn, p);
    wrapper *w;
    rlc_env *env;
    st =
        wrap_simple(inner, RLC_WRAP_STICKY_ACTION, rlc_space_bytes(&inner->act_space), 0, &w, &env);
    if (st) return st;
    w->p = p;
    return wrap_finish(env, out);
}

rlc_status rlc_wrap_obs_noise(rlc_env **out, rlc_env *inner, double sigma) {
    const char *fn = "rlc_wrap_obs_noise";
    rlc_status st = check_inner(fn, out, inner);
    if (st) return st;
    if (!(sigma >= 0) || !isfinite(sigma))
        return rlc_error(RLC_ERR_RANGE, "%s: sigma must be finite and >= 0, got %g", fn, sigma);
    if ((st = need_box_obs(fn, inner, 1))) return st;
    rlc_env *env;
    st = wrap_alloc(&env, inner, RLC_WRAP_OBS_NOISE, rlc_space_bytes(&inner->obs_space), 0);
    if (st) return st;
    wrapper *w = env->self;
    w->sigma = sigma;
    if (sigma > 0)
        st = box_like(&env->obs_space, &inner->obs_space, -INFINITY, INFINITY);
    else
        st = space_copy(&env->obs_space, &inner->obs_space);
    if (!st) st = space_copy(&env->act_space, &inner->act_space);
    if (st) {
        wrap_abandon(env);
        return st;
    }
    return wrap_finish(env, out);
}

/* ---------------------------------------------------------------------------------------
 * Stack queries and statistics
 * ------------------------------------------------------------------------------------- */

rlc_wrap_kind rlc_wrap_kind_of(const rlc_env *env) {
    return is_wrapper(env) ? W(env->self)->kind : RLC_WRAP_NONE;
}

const char *rlc_wrap_kind_name(rlc_wrap_kind kind) {
    if ((int)kind < 0 || (size_t)kind >= sizeof KIND_NAMES / sizeof KIND_NAMES[0]) return "?";
    return KIND_NAMES[kind];
}

rlc_env *rlc_wrap_inner(const rlc_env *env) {
    return is_wrapper(env) ? W(env->self)->inner : NULL;
}

rlc_env *rlc_wrap_unwrapped(const rlc_env *env) {
    while (is_wrapper(env))
        env = W(env->self)->inner;
    return (rlc_env *)(uintptr_t)env;
}

rlc_env *rlc_wrap_find(const rlc_env *env, rlc_wrap_kind kind) {
    for (;;) {
        if (rlc_wrap_kind_of(env) == kind) return (rlc_env *)(uintptr_t)env;
        if (!is_wrapper(env)) return NULL;
        env = W(env->self)->inner;
    }
}

static wrapper *stats_layer(const rlc_env *env, const char *fn) {
    rlc_wrap_kind k = rlc_wrap_kind_of(env);
    if (k == RLC_WRAP_NORMALIZE_OBS || k == RLC_WRAP_NORMALIZE_REWARD) return W(env->self);
    rlc_error(RLC_ERR_INVALID,
              "%s: the env is %s%s, not a NormalizeObservation or NormalizeReward layer "
              "(find one with rlc_wrap_find)",
              fn, k == RLC_WRAP_NONE ? "the plain env " : "a ",
              k == RLC_WRAP_NONE ? rlc_env_id(env) : rlc_wrap_kind_name(k));
    return NULL;
}

int64_t rlc_wrap_stats_size(const rlc_env *env) {
    rlc_wrap_kind k = rlc_wrap_kind_of(env);
    if (k == RLC_WRAP_NORMALIZE_OBS) return W(env->self)->in_n;
    return k == RLC_WRAP_NORMALIZE_REWARD ? 1 : 0;
}

rlc_status rlc_wrap_get_stats(const rlc_env *env, double *mean, double *var, double *count) {
    wrapper *w = stats_layer(env, "rlc_wrap_get_stats");
    if (!w) return RLC_ERR_INVALID;
    int64_t n = rlc_wrap_stats_size(env);
    if (mean) memcpy(mean, w->mean, (size_t)n * sizeof *mean);
    if (var) memcpy(var, w->var, (size_t)n * sizeof *var);
    if (count) *count = w->count;
    return RLC_OK;
}

rlc_status rlc_wrap_set_stats(rlc_env *env, const double *mean, const double *var, double count) {
    wrapper *w = stats_layer(env, "rlc_wrap_set_stats");
    if (!w) return RLC_ERR_INVALID;
    if (!mean || !var)
        return rlc_error(RLC_ERR_INVALID, "rlc_wrap_set_stats: mean and var are needed");
    int64_t n = rlc_wrap_stats_size(env);
    if (!(count > 0) || !isfinite(count))
        return rlc_error(RLC_ERR_RANGE, "rlc_wrap_set_stats: count must be finite and > 0, got %g",
                         count);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(mean[i]) || !isfinite(var[i]) || !(var[i] >= 0))
            return rlc_error(
                RLC_ERR_RANGE,
                "rlc_wrap_set_stats: element %lld has mean %g, var %g (finite, var >= 0 "
                "needed)",
                (long long)i, mean[i], var[i]);
    memcpy(w->mean, mean, (size_t)n * sizeof *mean);
    memcpy(w->var, var, (size_t)n * sizeof *var);
    w->count = count;
    return RLC_OK;
}

rlc_status rlc_wrap_set_update(rlc_env *env, int on) {
    wrapper *w = stats_layer(env, "rlc_wrap_set_update");
    if (!w) return RLC_ERR_INVALID;
    w->update = on != 0;
    return RLC_OK;
}
