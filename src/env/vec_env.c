/* Vector envs: struct-of-arrays buffers, next-step / same-step autoreset, seeds seed + i, and
 * a persistent thread pool (generation counter + spin-then-sleep wait) in which each thread
 * owns a contiguous slice of envs, cut into a few chunks that idle threads may take over.
 * Each env is stepped through the function pointer in its struct (the generic step's
 * bookkeeping inlined), after one validation pass over all actions, so a refused action leaves
 * every env and buffer as it was. Envs are independent, so which thread steps which chunk
 * never changes a result. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "env/env_impl.h"
#include "rlc/vec_env.h"
#include "rlc/wrappers.h"

#define MAX_ENVS 1048576
#define MAX_THREADS 256
#define WORKER_SPINS 4000  /* polls before a worker sleeps on the condition variable */
#define MAIN_SPINS 20000   /* polls before the caller starts yielding its time slice */
#define CHUNKS_PER_SLICE 8 /* a descheduled worker holds up at most one chunk */

enum { TASK_STEP = 0, TASK_RESET = 1 };

typedef struct worker {
    rlc_vec_env *v;
    int slice;
    pthread_t th;
} worker;

struct rlc__vec_impl {
    rlc_env **envs; /* [num_envs] */
    rlc_env **base; /* [num_envs] unwrapped envs (episode statistics) */
    uint8_t *need_reset;
    int started;
    /* action validation, from sub-env 0 */
    int act_check, act_n;
    int64_t act_lo, act_span;
    int convert; /* obs dtype is not float32 */
    /* finished-episode counters (rlc_vec_env_pop_stats) */
    int64_t ep_count;
    double ep_ret_sum, ep_len_sum, ep_min, ep_max;
    /* work description, written by the caller before publishing a generation */
    int task;
    _Atomic int stop;
    int64_t seed;
    const uint8_t *actions;
    /* Slices and chunks. Slice s = envs [bounds[s], bounds[s+1]) in chunks of csize[s] envs,
     * global chunk numbers chunk0[s] ... chunk0[s+1]-1. A thread takes the next chunk of a
     * slice by advancing cursor[s] = (generation << 32 | next chunk) with a CAS, first in its
     * own slice, then in the others. */
    int *bounds, *csize, *chunk0; /* [nthreads + 1] */
    int nchunks;
    _Atomic uint64_t *cursor; /* [nthreads] */
    uint8_t *chunk_done;      /* [nchunks] an episode ended in the chunk */
    int64_t *chunk_steps;     /* [nchunks] env steps taken */
    int nthreads, nstarted;
    worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sync_ok;
    char pad0[64];
    _Atomic uint64_t gen;
    char pad1[64];
    _Atomic int pending;
    char pad2[64];
    _Atomic int sleepers;
    char pad3[64];
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---------------------------------------------------------------------------------------
 * The per-slice work
 * ------------------------------------------------------------------------------------- */

static void to_f32(const rlc_vec_env *v, const void *src, float *dst) {
    rlc_space_to_f32(v->obs_space, src, dst);
}

static void run_chunk(rlc_vec_env *v, int s, int c) {
    struct rlc__vec_impl *m = v->impl;
    const int lo = m->bounds[s] + c * m->csize[s];
    const int hi = lo + m->csize[s] < m->bounds[s + 1] ? lo + m->csize[s] : m->bounds[s + 1];
    const int chunk = m->chunk0[s] + c;
    const size_t ob = v->obs_bytes, ab = v->action_bytes;
    const int64_t osz = v->obs_size;
    /* locals, so the byte stores below do not force reloads of the buffer pointers */
    uint8_t *obs = v->obs, *fobs = v->final_obs;
    double *rewards = v->rewards, *ep_ret = v->episode_return;
    int64_t *ep_len = v->episode_length;
    uint8_t *term_out = v->terminated, *trunc_out = v->truncated, *auto_out = v->autoreset;
    uint8_t *need_reset = m->need_reset;
    rlc_env *const *envs = m->envs;
    const uint8_t *actions = m->actions;
    const int convert = m->convert;
    int any_done = 0;
    int64_t steps = 0;
    if (m->task == TASK_RESET) {
        for (int i = lo; i < hi; i++) {
            (void)rlc_env_reset(m->envs[i], m->seed >= 0 ? m->seed + i : RLC_ENV_NO_SEED,
                                obs + (size_t)i * ob);
            v->rewards[i] = 0;
            v->terminated[i] = v->truncated[i] = v->autoreset[i] = 0;
            v->episode_return[i] = 0;
            v->episode_length[i] = 0;
            m->need_reset[i] = 0;
            if (m->convert) to_f32(v, obs + (size_t)i * ob, v->obs_f32 + (size_t)i * osz);
        }
        m->chunk_done[chunk] = 0;
        m->chunk_steps[chunk] = 0;
        return;
    }
    const int same_step = v->autoreset_mode == RLC_VEC_AUTORESET_SAME_STEP;
    for (int i = lo; i < hi; i++) {
        rlc_env *e = envs[i];
        void *o = obs + (size_t)i * ob;
        if (need_reset[i]) {
            (void)rlc_env_reset(e, RLC_ENV_NO_SEED, o);
            need_reset[i] = 0;
            rewards[i] = 0;
            term_out[i] = trunc_out[i] = 0;
            auto_out[i] = 1;
            ep_ret[i] = 0;
            ep_len[i] = 0;
        } else {
            /* rlc_env_step without the checks done up front (phase and action) */
            double r;
            int term;
            e->step(e->self, &e->rt.rng, actions + (size_t)i * ab, o, &r, &term);
            int64_t t = ++e->rt.elapsed;
            e->rt.ep_return += r;
            int trunc = e->max_steps > 0 && t >= e->max_steps;
            steps++;
            rewards[i] = r;
            term_out[i] = (uint8_t)(term != 0);
            trunc_out[i] = (uint8_t)trunc;
            auto_out[i] = 0;
            if (term | trunc) {
                e->rt.phase = term ? RLC__PHASE_TERMINATED : RLC__PHASE_TRUNCATED;
                const rlc_env *b = m->base[i];
                ep_ret[i] = b->rt.ep_return;
                ep_len[i] = b->rt.elapsed;
                memcpy(fobs + (size_t)i * ob, o, ob);
                if (convert) to_f32(v, o, v->final_obs_f32 + (size_t)i * osz);
                if (same_step)
                    (void)rlc_env_reset(e, RLC_ENV_NO_SEED, o);
                else
                    need_reset[i] = 1;
                any_done = 1;
            } else {
                ep_ret[i] = 0;
                ep_len[i] = 0;
            }
        }
        if (convert) to_f32(v, o, v->obs_f32 + (size_t)i * osz);
    }
    m->chunk_done[chunk] = (uint8_t)any_done;
    m->chunk_steps[chunk] = steps;
}

/* ---------------------------------------------------------------------------------------
 * Thread pool
 * ------------------------------------------------------------------------------------- */

static uint64_t wait_generation(struct rlc__vec_impl *m, uint64_t seen) {
    for (int i = 0; i < WORKER_SPINS; i++) {
        uint64_t g = atomic_load_explicit(&m->gen, memory_order_acquire);
        if (g != seen) return g;
        cpu_relax();
    }
    /* Sleep. The caller bumps gen, then checks sleepers (both seq_cst): either it sees this
     * thread registered and broadcasts under the mutex, or this thread sees the new gen. */
    pthread_mutex_lock(&m->mu);
    atomic_fetch_add(&m->sleepers, 1);
    uint64_t g;
    while ((g = atomic_load(&m->gen)) == seen)
        pthread_cond_wait(&m->cv, &m->mu);
    atomic_fetch_sub(&m->sleepers, 1);
    pthread_mutex_unlock(&m->mu);
    return g;
}

/* Next unclaimed chunk of slice s in generation g, or -1. */
static int claim(struct rlc__vec_impl *m, int s, uint64_t g) {
    uint64_t cur = atomic_load_explicit(&m->cursor[s], memory_order_acquire);
    const int n = m->chunk0[s + 1] - m->chunk0[s];
    for (;;) {
        if ((uint32_t)(cur >> 32) != (uint32_t)g || (int)(uint32_t)cur >= n) return -1;
        if (atomic_compare_exchange_weak(&m->cursor[s], &cur, cur + 1)) return (int)(uint32_t)cur;
    }
}

/* Runs chunks of generation g until none is left: those of slice `own` first. A thread that
 * arrives late (the generation is over) finds no chunk of its generation and does nothing. */
static void work(rlc_vec_env *v, int own, uint64_t g) {
    struct rlc__vec_impl *m = v->impl;
    for (int k = 0; k < m->nthreads; k++) {
        int s = (own + k) % m->nthreads, c;
        while ((c = claim(m, s, g)) >= 0) {
            run_chunk(v, s, c);
            atomic_fetch_sub_explicit(&m->pending, 1, memory_order_release);
        }
    }
}

static void *worker_main(void *arg) {
    worker *wk = arg;
    struct rlc__vec_impl *m = wk->v->impl;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_generation(m, seen);
        if (atomic_load(&m->stop)) break;
        work(wk->v, wk->slice, seen);
    }
    return NULL;
}

static void publish(struct rlc__vec_impl *m) {
    atomic_fetch_add(&m->gen, 1);
    if (atomic_load(&m->sleepers) > 0) {
        pthread_mutex_lock(&m->mu);
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
    }
}

/* Runs the current task on every chunk; the caller works on slice 0 first, then helps. */
static void run_all(rlc_vec_env *v) {
    struct rlc__vec_impl *m = v->impl;
    if (m->nthreads == 1) {
        for (int c = 0; c < m->nchunks; c++)
            run_chunk(v, 0, c);
        return;
    }
    uint64_t g = atomic_load_explicit(&m->gen, memory_order_relaxed) + 1;
    for (int s = 0; s < m->nthreads; s++)
        atomic_store_explicit(&m->cursor[s], (g & 0xffffffffu) << 32, memory_order_relaxed);
    atomic_store_explicit(&m->pending, m->nchunks, memory_order_relaxed);
    publish(m); /* releases the stores above */
    work(v, 0, g);
    long spins = 0;
    while (atomic_load_explicit(&m->pending, memory_order_acquire) != 0) {
        if (++spins < MAIN_SPINS)
            cpu_relax();
        else
            sched_yield();
    }
}

/* ---------------------------------------------------------------------------------------
 * Create / destroy
 * ------------------------------------------------------------------------------------- */

void rlc_vec_env_destroy(rlc_vec_env *v) {
    if (!v) return;
    struct rlc__vec_impl *m = v->impl;
    if (m) {
        if (m->nstarted > 0) {
            atomic_store(&m->stop, 1);
            publish(m);
            for (int t = 0; t < m->nstarted; t++)
                pthread_join(m->workers[t].th, NULL);
        }
        if (m->sync_ok) {
            pthread_cond_destroy(&m->cv);
            pthread_mutex_destroy(&m->mu);
        }
        if (m->envs)
            for (int i = 0; i < v->num_envs; i++)
                rlc_env_destroy(m->envs[i]);
        rlc_free(m->envs);
        rlc_free(m->base);
        rlc_free(m->need_reset);
        rlc_free(m->bounds);
        rlc_free(m->csize);
        rlc_free(m->chunk0);
        rlc_free((void *)m->cursor);
        rlc_free(m->chunk_done);
        rlc_free(m->chunk_steps);
        rlc_free(m->workers);
        rlc_free(m);
    }
    if (v->obs_f32 != v->obs) rlc_free(v->obs_f32);
    if (v->final_obs_f32 != v->final_obs) rlc_free(v->final_obs_f32);
    rlc_free(v->obs);
    rlc_free(v->final_obs);
    rlc_free(v->rewards);
    rlc_free(v->terminated);
    rlc_free(v->truncated);
    rlc_free(v->autoreset);
    rlc_free(v->episode_return);
    rlc_free(v->episode_length);
    rlc_free(v->actions);
    rlc_free(v);
}

static int same_space(const rlc_space *a, const rlc_space *b) {
    if (a->kind != b->kind || a->dtype != b->dtype || a->size != b->size || a->ndim != b->ndim)
        return 0;
    if (memcmp(a->shape, b->shape, sizeof a->shape)) return 0;
    if (a->kind == RLC_SPACE_DISCRETE) return a->n == b->n && a->start == b->start;
    return 1;
}

static rlc_status fail(rlc_vec_env *v, rlc_status st) {
    rlc_vec_env_destroy(v);
    return st;
}

rlc_status rlc_vec_env_create(rlc_vec_env **out, const char *id, const char *kwargs, int num_envs,
                              const rlc_vec_env_options *opt) {
    const char *fn = "rlc_vec_env_create";
    if (!out || !id) return rlc_error(RLC_ERR_INVALID, "%s: out and id must be non-NULL", fn);
    rlc_vec_env_options o = {0, RLC_VEC_AUTORESET_NEXT_STEP, NULL, NULL};
    if (opt) o = *opt;
    if (num_envs < 1 || num_envs > MAX_ENVS)
        return rlc_error(RLC_ERR_INVALID, "%s: num_envs must be in 1..%d, got %d", fn, MAX_ENVS,
                         num_envs);
    if (o.num_threads < 0 || o.num_threads > MAX_THREADS || o.num_threads > num_envs)
        return rlc_error(
            RLC_ERR_INVALID, "%s: num_threads must be in 0..min(num_envs, %d) = 0..%d, got %d", fn,
            MAX_THREADS, num_envs < MAX_THREADS ? num_envs : MAX_THREADS, o.num_threads);
    if (o.autoreset != RLC_VEC_AUTORESET_NEXT_STEP && o.autoreset != RLC_VEC_AUTORESET_SAME_STEP)
        return rlc_error(RLC_ERR_INVALID, "%s: unknown autoreset mode %d", fn, (int)o.autoreset);
    int nt = o.num_threads < 1 ? 1 : o.num_threads;

    rlc_vec_env *v = rlc_calloc(1, sizeof *v);
    if (!v) return RLC_ERR_NOMEM;
    struct rlc__vec_impl *m = rlc_calloc(1, sizeof *m);
    if (!m) return fail(v, RLC_ERR_NOMEM);
    v->impl = m;
    v->num_envs = num_envs;
    v->num_threads = nt;
    v->autoreset_mode = o.autoreset;
    m->nthreads = nt;
    m->envs = rlc_calloc((size_t)num_envs, sizeof *m->envs);
    m->base = rlc_calloc((size_t)num_envs, sizeof *m->base);
    if (!m->envs || !m->base) return fail(v, RLC_ERR_NOMEM);
    for (int i = 0; i < num_envs; i++) {
        rlc_env *e;
        rlc_status st = rlc_env_make(&e, id, kwargs);
        if (st) return fail(v, st);
        if (o.wrap) {
            st = o.wrap(&e, i, o.wrap_user);
            if (st) {
                rlc_env_destroy(e);
                return fail(v, st);
            }
        }
        m->envs[i] = e;
        m->base[i] = rlc_wrap_unwrapped(e);
        if (i > 0 && (!same_space(&e->obs_space, &m->envs[0]->obs_space) ||
                      !same_space(&e->act_space, &m->envs[0]->act_space)))
            return fail(v, rlc_error(RLC_ERR_INVALID,
                                     "%s: sub-env %d has other spaces than sub-env 0 (check the "
                                     "wrap callback)",
                                     fn, i));
    }
    rlc_env *e0 = m->envs[0];
    v->obs_space = &e0->obs_space;
    v->action_space = &e0->act_space;
    v->obs_size = e0->obs_space.size;
    v->obs_bytes = rlc_space_bytes(&e0->obs_space);
    v->action_bytes = rlc_space_bytes(&e0->act_space);
    m->act_check = e0->act_check;
    m->act_n = e0->act_n;
    m->act_lo = e0->act_lo;
    m->act_span = e0->act_span;
    m->convert = e0->obs_space.dtype != RLC_SPACE_FLOAT32;

    size_t n = (size_t)num_envs;
    v->obs = rlc_calloc(n, v->obs_bytes + (v->obs_bytes == 0));
    v->final_obs = rlc_calloc(n, v->obs_bytes + (v->obs_bytes == 0));
    if (!v->obs || !v->final_obs) return fail(v, RLC_ERR_NOMEM);
    if (m->convert) {
        v->obs_f32 = rlc_calloc(n * (size_t)v->obs_size + 1, sizeof(float));
        v->final_obs_f32 = rlc_calloc(n * (size_t)v->obs_size + 1, sizeof(float));
        if (!v->obs_f32 || !v->final_obs_f32) return fail(v, RLC_ERR_NOMEM);
    } else {
        v->obs_f32 = v->obs;
        v->final_obs_f32 = v->final_obs;
    }
    v->rewards = rlc_calloc(n, sizeof *v->rewards);
    v->terminated = rlc_calloc(n, 1);
    v->truncated = rlc_calloc(n, 1);
    v->autoreset = rlc_calloc(n, 1);
    v->episode_return = rlc_calloc(n, sizeof *v->episode_return);
    v->episode_length = rlc_calloc(n, sizeof *v->episode_length);
    v->actions = rlc_calloc(n, v->action_bytes + (v->action_bytes == 0));
    m->need_reset = rlc_calloc(n, 1);
    m->bounds = rlc_calloc((size_t)nt + 1, sizeof *m->bounds);
    m->csize = rlc_calloc((size_t)nt + 1, sizeof *m->csize);
    m->chunk0 = rlc_calloc((size_t)nt + 1, sizeof *m->chunk0);
    m->cursor = rlc_calloc((size_t)nt, sizeof *m->cursor);
    if (!v->rewards || !v->terminated || !v->truncated || !v->autoreset || !v->episode_return ||
        !v->episode_length || !v->actions || !m->need_reset || !m->bounds || !m->csize ||
        !m->chunk0 || !m->cursor)
        return fail(v, RLC_ERR_NOMEM);
    /* serial: one slice of one chunk; threads: slices of ~n/nt envs in up to 8 chunks each */
    int per_slice = nt == 1 ? 1 : CHUNKS_PER_SLICE;
    for (int t = 0; t <= nt; t++)
        m->bounds[t] = (int)((int64_t)t * num_envs / nt);
    for (int t = 0; t < nt; t++) {
        int len = m->bounds[t + 1] - m->bounds[t];
        m->csize[t] = (len + per_slice - 1) / per_slice;
        m->chunk0[t + 1] = m->chunk0[t] + (len + m->csize[t] - 1) / m->csize[t];
        atomic_init(&m->cursor[t], 0);
    }
    m->nchunks = m->chunk0[nt];
    m->chunk_done = rlc_calloc((size_t)m->nchunks, 1);
    m->chunk_steps = rlc_calloc((size_t)m->nchunks, sizeof *m->chunk_steps);
    if (!m->chunk_done || !m->chunk_steps) return fail(v, RLC_ERR_NOMEM);
    m->ep_min = INFINITY;
    m->ep_max = -INFINITY;

    if (nt > 1) {
        m->workers = rlc_calloc((size_t)nt - 1, sizeof *m->workers);
        if (!m->workers) return fail(v, RLC_ERR_NOMEM);
        if (pthread_mutex_init(&m->mu, NULL))
            return fail(v, rlc_error(RLC_ERR_UNSUPPORTED, "%s: pthread_mutex_init failed", fn));
        if (pthread_cond_init(&m->cv, NULL)) {
            pthread_mutex_destroy(&m->mu);
            return fail(v, rlc_error(RLC_ERR_UNSUPPORTED, "%s: pthread_cond_init failed", fn));
        }
        m->sync_ok = 1;
        for (int t = 1; t < nt; t++) {
            worker *wk = &m->workers[t - 1];
            wk->v = v;
            wk->slice = t;
            if (pthread_create(&wk->th, NULL, worker_main, wk))
                return fail(v,
                            rlc_error(RLC_ERR_UNSUPPORTED,
                                      "%s: could not start worker thread %d of %d", fn, t, nt - 1));
            m->nstarted = t;
        }
    }
    *out = v;
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * Reset / step
 * ------------------------------------------------------------------------------------- */

rlc_status rlc_vec_env_reset(rlc_vec_env *v, int64_t seed) {
    if (!v) return rlc_error(RLC_ERR_INVALID, "rlc_vec_env_reset: NULL vector env");
    if (seed < 0 && seed != RLC_ENV_NO_SEED)
        return rlc_error(RLC_ERR_RANGE,
                         "rlc_vec_env_reset: seed must be >= 0 (or RLC_ENV_NO_SEED), got %lld",
                         (long long)seed);
    if (seed >= 0 && seed > INT64_MAX - (v->num_envs - 1))
        return rlc_error(RLC_ERR_RANGE, "rlc_vec_env_reset: seed %lld + %d envs overflows int64",
                         (long long)seed, v->num_envs);
    struct rlc__vec_impl *m = v->impl;
    m->task = TASK_RESET;
    m->seed = seed;
    run_all(v);
    m->started = 1;
    return RLC_OK;
}

#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static rlc_status
refuse_action(const rlc_vec_env *v, int i, const uint8_t *a) {
    char sp[160];
    rlc_space_describe(v->action_space, sp, sizeof sp);
    const struct rlc__vec_impl *m = v->impl;
    const char *id = rlc_env_id(m->envs[0]);
    switch (m->act_check) {
    case RLC__ACT_DISCRETE:
        return rlc_error(RLC_ERR_RANGE,
                         "rlc_vec_env_step (%s): sub-env %d: action %lld is out of range for %s "
                         "(accepted: %lld..%lld)",
                         id, i, (long long)*(const int64_t *)a, sp, (long long)m->act_lo,
                         (long long)(m->act_lo + m->act_span - 1));
    case RLC__ACT_BOX_F32:
    case RLC__ACT_BOX_F64:
        for (int j = 0; j < m->act_n; j++) {
            double x = m->act_check == RLC__ACT_BOX_F32 ? ((const float *)(const void *)a)[j]
                                                        : ((const double *)(const void *)a)[j];
            if (!isfinite(x))
                return rlc_error(RLC_ERR_RANGE,
                                 "rlc_vec_env_step (%s): sub-env %d: action[%d] = %s is not "
                                 "finite (%s)",
                                 id, i, j,
                                 isnan(x) ? "nan"
                                 : x > 0  ? "inf"
                                          : "-inf",
                                 sp);
        }
        break;
    default:
        break;
    }
    return rlc_error(RLC_ERR_RANGE, "rlc_vec_env_step (%s): sub-env %d: action outside %s", id, i,
                     sp);
}

/* The checks rlc_env_step makes, for every env that will be stepped (not those being
 * autoreset, whose action is ignored). Returns the first bad env, or -1. */
static int check_actions(const rlc_vec_env *v, const uint8_t *a) {
    const struct rlc__vec_impl *m = v->impl;
    const size_t ab = v->action_bytes;
    const int n = v->num_envs;
    switch (m->act_check) {
    case RLC__ACT_DISCRETE: {
        const int64_t *x = (const int64_t *)(const void *)a;
        uint64_t span = (uint64_t)m->act_span;
        int bad = 0;
        for (int i = 0; i < n; i++)
            bad |= ((uint64_t)(x[i] - m->act_lo) >= span) & !m->need_reset[i];
        if (!bad) return -1;
        for (int i = 0; i < n; i++)
            if ((uint64_t)(x[i] - m->act_lo) >= span && !m->need_reset[i]) return i;
        return -1;
    }
    case RLC__ACT_BOX_F32:
        for (int i = 0; i < n; i++) {
            const float *x = (const float *)(const void *)(a + (size_t)i * ab);
            if (m->need_reset[i]) continue;
            for (int j = 0; j < m->act_n; j++)
                if (!isfinite(x[j])) return i;
        }
        return -1;
    case RLC__ACT_BOX_F64:
        for (int i = 0; i < n; i++) {
            const double *x = (const double *)(const void *)(a + (size_t)i * ab);
            if (m->need_reset[i]) continue;
            for (int j = 0; j < m->act_n; j++)
                if (!isfinite(x[j])) return i;
        }
        return -1;
    case RLC__ACT_MULTI_DISCRETE:
        for (int i = 0; i < n; i++)
            if (!m->need_reset[i] && !rlc_space_contains(v->action_space, a + (size_t)i * ab))
                return i;
        return -1;
    default:
        return -1;
    }
}

rlc_status rlc_vec_env_step(rlc_vec_env *v, const void *actions) {
    if (!v) return rlc_error(RLC_ERR_INVALID, "rlc_vec_env_step: NULL vector env");
    struct rlc__vec_impl *m = v->impl;
    if (!m->started)
        return rlc_error(RLC_ERR_STATE,
                         "rlc_vec_env_step (%s): step before reset; call "
                         "rlc_vec_env_reset first",
                         rlc_env_id(m->envs[0]));
    const uint8_t *a = actions ? actions : v->actions;
    int bad = check_actions(v, a);
    if (bad >= 0) return refuse_action(v, bad, a + (size_t)bad * v->action_bytes);
    m->task = TASK_STEP;
    m->actions = a;
    run_all(v);
    int any = 0;
    for (int c = 0; c < m->nchunks; c++) {
        any |= m->chunk_done[c];
        v->total_steps += m->chunk_steps[c];
    }
    if (any) /* in env order, so the sums do not depend on the slicing */
        for (int i = 0; i < v->num_envs; i++) {
            if (!(v->terminated[i] | v->truncated[i])) continue;
            double r = v->episode_return[i];
            m->ep_count++;
            m->ep_ret_sum += r;
            m->ep_len_sum += (double)v->episode_length[i];
            m->ep_min = r < m->ep_min ? r : m->ep_min;
            m->ep_max = r > m->ep_max ? r : m->ep_max;
        }
    return RLC_OK;
}

rlc_env *rlc_vec_env_get(const rlc_vec_env *v, int i) {
    if (!v || i < 0 || i >= v->num_envs) return NULL;
    return v->impl->envs[i];
}

void rlc_vec_env_pop_stats(rlc_vec_env *v, rlc_vec_episode_stats *out) {
    struct rlc__vec_impl *m = v->impl;
    if (out) {
        out->episodes = m->ep_count;
        out->mean_return = m->ep_count ? m->ep_ret_sum / (double)m->ep_count : 0;
        out->mean_length = m->ep_count ? m->ep_len_sum / (double)m->ep_count : 0;
        out->min_return = m->ep_count ? m->ep_min : 0;
        out->max_return = m->ep_count ? m->ep_max : 0;
    }
    m->ep_count = 0;
    m->ep_ret_sum = m->ep_len_sum = 0;
    m->ep_min = INFINITY;
    m->ep_max = -INFINITY;
}
