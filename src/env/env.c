/* The generic env layer: make/destroy, seeding, reset/step with action validation, the
 * TimeLimit counter and episode statistics, byte snapshots, state vectors and render. */
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "env/env_impl.h"

#if defined(__GNUC__)
#define RLC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define RLC__UNLIKELY(x) (x)
#endif

/* The env struct, the env's own struct and the scratch observation live in one allocation. */
#define ALIGN_UP(n) (((n) + 63u) & ~(size_t)63u)

rlc_status rlc_env_make(rlc_env **out, const char *id, const char *kwargs) {
    if (!out || !id) return rlc_error(RLC_ERR_INVALID, "rlc_env_make: out and id must be non-NULL");
    const rlc_env_spec *spec = rlc_env_registry_find(id);
    if (!spec) {
        /* Suggest the closest ids (edit distance), so typos and wrong versions are obvious. */
        int best[3] = {1 << 30, 1 << 30, 1 << 30};
        const char *name[3] = {0, 0, 0};
        for (int i = 0; i < rlc_env_registry_count(); i++) {
            const char *cand = rlc_env_registry_get(i)->id;
            int d = rlc__edit_distance(id, cand);
            for (int k = 0; k < 3; k++)
                if (d < best[k]) {
                    for (int j = 2; j > k; j--) {
                        best[j] = best[j - 1];
                        name[j] = name[j - 1];
                    }
                    best[k] = d;
                    name[k] = cand;
                    break;
                }
        }
        int limit = (int)strlen(id) / 2 + 2;
        char sugg[256] = "";
        for (int k = 0; k < 3; k++) {
            if (!name[k] || best[k] > limit || best[k] > best[0] + 1) continue;
            size_t l = strlen(sugg);
            snprintf(sugg + l, sizeof sugg - l, "%s%s", l ? ", " : "", name[k]);
        }
        if (sugg[0])
            return rlc_error(RLC_ERR_NOT_FOUND,
                             "unknown environment '%s'; did you mean %s? (`rlc envs` lists all)",
                             id, sugg);
        return rlc_error(RLC_ERR_NOT_FOUND, "unknown environment '%s' (`rlc envs` lists all)", id);
    }
    const rlc__env_def *def = rlc__registry_def(spec);
    double vals[64];
    if (def->nparams > 64) return rlc_error(RLC_ERR_INVALID, "%s: too many parameters", id);
    int64_t max_steps;
    rlc__kwarg_strings strs;
    rlc_status st = rlc__parse_kwargs(spec, def, kwargs, vals, &max_steps, &strs);
    if (st) return st;

    size_t head = ALIGN_UP(sizeof(rlc_env)), body = ALIGN_UP(def->size);
    rlc_env *env = rlc_calloc(1, head + body);
    if (!env) return RLC_ERR_NOMEM;
    env->self = (char *)env + head;
    env->def = def;
    env->spec = spec;
    env->step = def->step;
    env->max_steps = max_steps;
    st = rlc__apply_kwarg_strings(spec, def, env->self, &strs);
    if (!st) st = def->init(env->self, vals, &env->obs_space, &env->act_space);
    if (!st) {
        env->scratch_obs = rlc_calloc(1, rlc_space_bytes(&env->obs_space) + 8);
        if (!env->scratch_obs) st = RLC_ERR_NOMEM;
    }
    if (st) { /* init or rlc_calloc left the message */
        rlc_env_destroy(env);
        return st;
    }
    const rlc_space *a = &env->act_space;
    env->act_n = (int)a->size;
    switch (a->kind) {
    case RLC_SPACE_DISCRETE:
        env->act_check = RLC__ACT_DISCRETE;
        env->act_lo = a->start;
        env->act_span = a->n;
        if (def->flags & RLC__ENV_NEGATIVE_INDEX) {
            env->act_lo = a->start - a->n;
            env->act_span = 2 * a->n;
        }
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
    *out = env;
    return RLC_OK;
}

void rlc_env_destroy(rlc_env *env) {
    if (!env) return;
    if (env->def && env->def->fini) env->def->fini(env->self);
    rlc__space_free(&env->obs_space);
    rlc__space_free(&env->act_space);
    rlc_free(env->scratch_obs);
    rlc_free(env);
}

const char *rlc_env_id(const rlc_env *env) {
    return env->spec->id;
}
const rlc_space *rlc_env_obs_space(const rlc_env *env) {
    return &env->obs_space;
}
const rlc_space *rlc_env_action_space(const rlc_env *env) {
    return &env->act_space;
}
int64_t rlc_env_max_episode_steps(const rlc_env *env) {
    return env->max_steps;
}

void rlc_env_seed(rlc_env *env, uint64_t seed) {
    rlc_rng_seed(&env->rt.rng, seed);
    env->rt.seeded = 1;
}

rlc_status rlc_env_seed_str(rlc_env *env, const char *decimal) {
    rlc_rng r;
    if (!decimal) return rlc_error(RLC_ERR_INVALID, "seed must be a decimal integer, got NULL");
    rlc_status st = rlc_rng_seed_str(&r, decimal);
    if (st) return st;
    env->rt.rng = r;
    env->rt.seeded = 1;
    return RLC_OK;
}

/* Gymnasium seeds an env that was never given a seed from OS entropy. */
static void seed_from_entropy(rlc_env *env) {
    uint32_t w[4] = {0, 0, 0, 0};
    int got = 0;
#if defined(__linux__)
    got = getrandom(w, sizeof w, 0) == (ssize_t)sizeof w;
#endif
    if (!got) {
        double t = rlc_time_now();
        uint64_t a = (uint64_t)(uintptr_t)env, b;
        memcpy(&b, &t, sizeof b);
        w[0] = (uint32_t)b;
        w[1] = (uint32_t)(b >> 32);
        w[2] = (uint32_t)a;
        w[3] = (uint32_t)(a >> 32);
    }
    rlc_rng_seed_words(&env->rt.rng, w, 4);
    env->rt.seeded = 1;
}

rlc_status rlc_env_reset(rlc_env *env, int64_t seed, void *obs) {
    if (seed < 0 && seed != RLC_ENV_NO_SEED)
        return rlc_error(RLC_ERR_RANGE, "%s: seed must be >= 0 (or RLC_ENV_NO_SEED), got %lld",
                         env->spec->id, (long long)seed);
    if (seed >= 0)
        rlc_env_seed(env, (uint64_t)seed);
    else if (!env->rt.seeded)
        seed_from_entropy(env);
    env->def->reset(env->self, &env->rt.rng, obs ? obs : env->scratch_obs);
    env->rt.elapsed = 0;
    env->rt.ep_return = 0;
    env->rt.phase = RLC__PHASE_RUNNING;
    return RLC_OK;
}

static void describe_action_space(const rlc_env *env, char *buf, size_t cap) {
    rlc_space_describe(&env->act_space, buf, cap);
}

/* The slow path of rlc_env_step: builds the error message. Kept out of line. */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static rlc_status
step_refused(const rlc_env *env, const void *action) {
    const char *id = env->spec->id;
    char sp[160];
    if (env->rt.phase == RLC__PHASE_NEW)
        return rlc_error(RLC_ERR_STATE, "%s: step before reset; call rlc_env_reset first", id);
    if (env->rt.phase != RLC__PHASE_RUNNING)
        return rlc_error(RLC_ERR_STATE, "%s: the episode has ended (%s); call rlc_env_reset", id,
                         env->rt.phase == RLC__PHASE_TERMINATED ? "terminated" : "truncated");
    if (!action) return rlc_error(RLC_ERR_INVALID, "%s: action is NULL", id);
    describe_action_space(env, sp, sizeof sp);
    switch (env->act_check) {
    case RLC__ACT_DISCRETE: {
        int64_t a = *(const int64_t *)action;
        return rlc_error(
            RLC_ERR_RANGE, "%s: action %lld is out of range for %s (accepted: %lld..%lld)", id,
            (long long)a, sp, (long long)env->act_lo, (long long)(env->act_lo + env->act_span - 1));
    }
    case RLC__ACT_MULTI_DISCRETE: {
        const int64_t *a = action;
        for (int i = 0; i < env->act_n; i++) {
            int64_t lo = env->act_space.nstart ? env->act_space.nstart[i] : 0;
            if (a[i] < lo || a[i] - lo >= env->act_space.nvec[i])
                return rlc_error(
                    RLC_ERR_RANGE,
                    "%s: action[%d] = %lld is out of range for %s (accepted: %lld..%lld)", id, i,
                    (long long)a[i], sp, (long long)lo,
                    (long long)(lo + env->act_space.nvec[i] - 1));
        }
        break;
    }
    case RLC__ACT_BOX_F32:
    case RLC__ACT_BOX_F64:
        for (int i = 0; i < env->act_n; i++) {
            double v = env->act_check == RLC__ACT_BOX_F32 ? ((const float *)action)[i]
                                                          : ((const double *)action)[i];
            if (!isfinite(v))
                return rlc_error(RLC_ERR_RANGE, "%s: action[%d] = %s is not finite (%s)", id, i,
                                 isnan(v) ? "nan"
                                 : v > 0  ? "inf"
                                          : "-inf",
                                 sp);
        }
        break;
    }
    return rlc_error(RLC_ERR_INVALID, "%s: action refused", id);
}

rlc_status rlc_env_step(rlc_env *env, const void *action, void *obs, rlc_step_result *out) {
    if (RLC__UNLIKELY(env->rt.phase != RLC__PHASE_RUNNING || !action))
        return step_refused(env, action);
    switch (env->act_check) {
    case RLC__ACT_DISCRETE:
        if (RLC__UNLIKELY((uint64_t)(*(const int64_t *)action - env->act_lo) >=
                          (uint64_t)env->act_span))
            return step_refused(env, action);
        break;
    case RLC__ACT_BOX_F32: {
        const float *a = action;
        for (int i = 0; i < env->act_n; i++)
            if (RLC__UNLIKELY(!isfinite(a[i]))) return step_refused(env, action);
        break;
    }
    case RLC__ACT_BOX_F64: {
        const double *a = action;
        for (int i = 0; i < env->act_n; i++)
            if (RLC__UNLIKELY(!isfinite(a[i]))) return step_refused(env, action);
        break;
    }
    case RLC__ACT_MULTI_DISCRETE:
        if (!rlc_space_contains(&env->act_space, action)) return step_refused(env, action);
        break;
    default:
        break;
    }
    double r;
    int term;
    env->step(env->self, &env->rt.rng, action, obs ? obs : env->scratch_obs, &r, &term);
    if (env->def->step_status) {
        rlc_status es = env->def->step_status(env->self, env->spec->id);
        if (RLC__UNLIKELY(es)) {
            env->rt.elapsed++;
            env->rt.phase = RLC__PHASE_TERMINATED;
            return es;
        }
    }
    int64_t t = ++env->rt.elapsed;
    double ret = env->rt.ep_return += r;
    int trunc = env->max_steps > 0 && t >= env->max_steps;
    int done = term | trunc;
    if (done) env->rt.phase = term ? RLC__PHASE_TERMINATED : RLC__PHASE_TRUNCATED;
    if (out) {
        out->reward = r;
        out->terminated = term;
        out->truncated = trunc;
        out->episode_return = done ? ret : 0.0;
        out->episode_length = done ? t : 0;
    }
    return RLC_OK;
}

rlc_status rlc_env_step_values(rlc_env *env, const double *action, int64_t n, void *obs,
                               rlc_step_result *out) {
    const rlc_space *s = &env->act_space;
    const char *id = env->spec->id;
    if (!action && n > 0) return rlc_error(RLC_ERR_INVALID, "%s: action is NULL", id);
    if (n != s->size)
        return rlc_error(RLC_ERR_INVALID,
                         "%s: action has %lld value%s; the action space expects %lld", id,
                         (long long)n, n == 1 ? "" : "s", (long long)s->size);
    union {
        int64_t i[64];
        float f[64];
        double d[64];
        int32_t i32[64];
        uint8_t u8[64];
    } buf;
    if (n > 64) return rlc_error(RLC_ERR_INVALID, "%s: action too long for step_values", id);
    for (int64_t k = 0; k < n; k++) {
        double v = action[k];
        switch (s->dtype) {
        case RLC_SPACE_FLOAT32:
            buf.f[k] = (float)v;
            break;
        case RLC_SPACE_FLOAT64:
            buf.d[k] = v;
            break;
        default:
            if (!(v == floor(v)) || fabs(v) > 9.0e15)
                return rlc_error(RLC_ERR_INVALID, "%s: action value %.17g is not an integer", id,
                                 v);
            if (s->dtype == RLC_SPACE_INT64)
                buf.i[k] = (int64_t)v;
            else if (s->dtype == RLC_SPACE_INT32)
                buf.i32[k] = (int32_t)v;
            else
                buf.u8[k] = (uint8_t)v;
        }
        if (s->dtype == RLC_SPACE_FLOAT32 && isfinite(v) && !isfinite(buf.f[k]))
            buf.f[k] = v > 0 ? 3.4028234663852886e38f : -3.4028234663852886e38f;
    }
    return rlc_env_step(env, &buf, obs, out);
}

rlc_status rlc_env_observe(const rlc_env *env, void *obs) {
    if (env->rt.phase == RLC__PHASE_NEW)
        return rlc_error(RLC_ERR_STATE, "%s: no state yet; call rlc_env_reset first",
                         env->spec->id);
    if (!obs) return rlc_error(RLC_ERR_INVALID, "%s: obs is NULL", env->spec->id);
    env->def->observe(env->self, obs);
    return RLC_OK;
}

void rlc_env_episode(const rlc_env *env, double *ret, int64_t *length) {
    if (ret) *ret = env->rt.ep_return;
    if (length) *length = env->rt.elapsed;
}

int rlc_env_running(const rlc_env *env) {
    return env->rt.phase == RLC__PHASE_RUNNING;
}

/* Snapshot layout: header, runtime, the env's state bytes. */
typedef struct snap_header {
    uint32_t magic, version;
    uint64_t type_hash;
    uint64_t size;
} snap_header;

#define SNAP_MAGIC 0x534e4c52u /* "RLNS" */

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

size_t rlc_env_state_size(const rlc_env *env) {
    return sizeof(snap_header) + sizeof(rlc__env_runtime) + env->def->state_size;
}

rlc_status rlc_env_get_state(const rlc_env *env, void *buf, size_t size) {
    size_t need = rlc_env_state_size(env);
    if (!buf || size < need)
        return rlc_error(RLC_ERR_INVALID, "%s: state buffer of %zu bytes is too small (need %zu)",
                         env->spec->id, buf ? size : 0, need);
    snap_header h = {SNAP_MAGIC, 1, fnv1a(env->def->name), need};
    char *p = buf;
    memcpy(p, &h, sizeof h);
    memcpy(p + sizeof h, &env->rt, sizeof env->rt);
    memcpy(p + sizeof h + sizeof env->rt, (const char *)env->self + env->def->state_offset,
           env->def->state_size);
    return RLC_OK;
}

rlc_status rlc_env_set_state(rlc_env *env, const void *buf, size_t size) {
    size_t need = rlc_env_state_size(env);
    snap_header h;
    if (!buf || size < sizeof h)
        return rlc_error(RLC_ERR_INVALID, "%s: not a state snapshot (%zu bytes)", env->spec->id,
                         buf ? size : 0);
    memcpy(&h, buf, sizeof h);
    if (h.magic != SNAP_MAGIC || h.version != 1)
        return rlc_error(RLC_ERR_INVALID, "%s: not a state snapshot (bad magic)", env->spec->id);
    if (h.type_hash != fnv1a(env->def->name) || h.size != need || size < need)
        return rlc_error(RLC_ERR_INVALID,
                         "%s: snapshot is of another env type or size (%llu bytes, need %zu)",
                         env->spec->id, (unsigned long long)h.size, need);
    rlc__env_runtime rt;
    memcpy(&rt, (const char *)buf + sizeof h, sizeof rt);
    if (rt.phase < RLC__PHASE_NEW || rt.phase > RLC__PHASE_TRUNCATED || rt.elapsed < 0)
        return rlc_error(RLC_ERR_INVALID, "%s: corrupt state snapshot", env->spec->id);
    env->rt = rt;
    memcpy((char *)env->self + env->def->state_offset, (const char *)buf + sizeof h + sizeof rt,
           env->def->state_size);
    return RLC_OK;
}

int rlc_env_state_dim(const rlc_env *env) {
    return env->def->state_dim;
}
const char *rlc_env_state_names(const rlc_env *env) {
    return env->def->state_names;
}

rlc_status rlc_env_get_state_vector(const rlc_env *env, double *v) {
    if (!v) return rlc_error(RLC_ERR_INVALID, "%s: state vector is NULL", env->spec->id);
    if (env->rt.phase == RLC__PHASE_NEW)
        return rlc_error(RLC_ERR_STATE, "%s: no state yet; call rlc_env_reset first",
                         env->spec->id);
    env->def->get_vector(env->self, v);
    return RLC_OK;
}

rlc_status rlc_env_set_state_vector(rlc_env *env, const double *v, int n) {
    const rlc__env_def *d = env->def;
    if (!v || n != d->state_dim)
        return rlc_error(RLC_ERR_INVALID, "%s: state vector has %d values; expected %d (%s)",
                         env->spec->id, v ? n : 0, d->state_dim, d->state_names);
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return rlc_error(RLC_ERR_RANGE, "%s: state value %d (%.17g) is not finite",
                             env->spec->id, i, v[i]);
    d->set_vector(env->self, v);
    if (env->rt.phase != RLC__PHASE_RUNNING) {
        env->rt.phase = RLC__PHASE_RUNNING;
        env->rt.elapsed = 0;
        env->rt.ep_return = 0;
    }
    return RLC_OK;
}

rlc_status rlc_env_render(const rlc_env *env, uint8_t *rgb, int width, int height) {
    if (!env->def->render)
        return rlc_error(RLC_ERR_UNSUPPORTED, "%s: rendering is not available for this env",
                         env->spec->id);
    if (!rgb || width <= 0 || height <= 0 || width > 16384 || height > 16384)
        return rlc_error(RLC_ERR_INVALID, "%s: bad render buffer (%dx%d)", env->spec->id, width,
                         height);
    if (env->rt.phase == RLC__PHASE_NEW)
        return rlc_error(RLC_ERR_STATE, "%s: no state to render; call rlc_env_reset first",
                         env->spec->id);
    return env->def->render(env->self, rgb, width, height);
}
