/* Batched quadrotor stepping: rlc_quad_step over n independent vehicles split across
 * persistent worker threads (contiguous slices). Each vehicle is stepped by the same
 * rlc_quad_step call as sequential code, so the results are bit-identical to a loop. */
#include <pthread.h>
#include <stddef.h>

#include "rlc/quadrotor.h"

#define QB_MAX_THREADS 256

struct rlc_quad_batch;

typedef struct qb_worker {
    struct rlc_quad_batch *b;
    int index;
    pthread_t th;
} qb_worker;

struct rlc_quad_batch {
    int num_threads; /* including the caller's thread */
    qb_worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int64_t generation; /* bumped for each batch; workers run once per generation */
    int pending;        /* workers still running the current batch */
    int stop;
    /* the batch in flight */
    const rlc_quad_params *p;
    int shared, n;
    rlc_quad_state *s;
    const double *rpm_cmd, *ext_force;
};

/* steps the vehicles of slice t of T */
static void qb_slice(const struct rlc_quad_batch *b, int t, int T) {
    int n = b->n;
    int lo = (int)((int64_t)n * t / T), hi = (int)((int64_t)n * (t + 1) / T);
    for (int i = lo; i < hi; i++)
        rlc_quad_step(b->shared ? b->p : b->p + i, &b->s[i], b->rpm_cmd + 4 * (size_t)i,
                      b->ext_force ? b->ext_force + 3 * (size_t)i : NULL);
}

static void *qb_main(void *arg) {
    qb_worker *w = arg;
    struct rlc_quad_batch *b = w->b;
    int64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->stop && b->generation == seen)
            pthread_cond_wait(&b->go, &b->mu);
        if (b->stop) {
            pthread_mutex_unlock(&b->mu);
            return NULL;
        }
        seen = b->generation;
        pthread_mutex_unlock(&b->mu);
        qb_slice(b, w->index, b->num_threads);
        pthread_mutex_lock(&b->mu);
        if (--b->pending == 0) pthread_cond_signal(&b->done);
        pthread_mutex_unlock(&b->mu);
    }
}

void rlc_quad_batch_destroy(rlc_quad_batch *b) {
    if (!b) return;
    if (b->workers) {
        pthread_mutex_lock(&b->mu);
        b->stop = 1;
        pthread_cond_broadcast(&b->go);
        pthread_mutex_unlock(&b->mu);
        for (int t = 1; t < b->num_threads; t++)
            if (b->workers[t].b) pthread_join(b->workers[t].th, NULL);
        pthread_cond_destroy(&b->go);
        pthread_cond_destroy(&b->done);
        pthread_mutex_destroy(&b->mu);
        rlc_free(b->workers);
    }
    rlc_free(b);
}

rlc_status rlc_quad_batch_create(rlc_quad_batch **out, int num_threads) {
    if (!out) return rlc_error(RLC_ERR_INVALID, "quad_batch_create: out is NULL");
    *out = NULL;
    if (num_threads < 1 || num_threads > QB_MAX_THREADS)
        return rlc_error(RLC_ERR_INVALID, "quad_batch_create: num_threads %d not in [1, %d]",
                         num_threads, QB_MAX_THREADS);
    rlc_quad_batch *b = rlc_calloc(1, sizeof *b);
    if (!b) return RLC_ERR_NOMEM;
    b->num_threads = num_threads;
    if (num_threads > 1) {
        if (pthread_mutex_init(&b->mu, NULL)) {
            rlc_free(b);
            return rlc_error(RLC_ERR_UNSUPPORTED, "quad_batch_create: pthread_mutex_init failed");
        }
        pthread_cond_init(&b->go, NULL);
        pthread_cond_init(&b->done, NULL);
        b->workers = rlc_calloc((size_t)num_threads, sizeof *b->workers);
        if (!b->workers) {
            pthread_cond_destroy(&b->go);
            pthread_cond_destroy(&b->done);
            pthread_mutex_destroy(&b->mu);
            rlc_free(b);
            return RLC_ERR_NOMEM;
        }
        for (int t = 1; t < num_threads; t++) {
            qb_worker *w = &b->workers[t];
            w->index = t;
            w->b = b;
            if (pthread_create(&w->th, NULL, qb_main, w)) {
                w->b = NULL; /* not started: not joined */
                rlc_quad_batch_destroy(b);
                return rlc_error(RLC_ERR_UNSUPPORTED,
                                 "quad_batch_create: pthread_create failed (thread %d)", t);
            }
        }
    }
    *out = b;
    return RLC_OK;
}

int rlc_quad_batch_threads(const rlc_quad_batch *b) {
    return b ? b->num_threads : 0;
}

rlc_status rlc_quad_batch_step(rlc_quad_batch *b, const rlc_quad_params *p, int shared,
                               rlc_quad_state *s, int n, const double *rpm_cmd,
                               const double *ext_force) {
    if (!b || !p || !s || !rpm_cmd || n < 0)
        return rlc_error(RLC_ERR_INVALID, "quad_batch_step: %s",
                         n < 0 ? "negative vehicle count" : "NULL argument");
    b->p = p;
    b->shared = shared != 0;
    b->n = n;
    b->s = s;
    b->rpm_cmd = rpm_cmd;
    b->ext_force = ext_force;
    if (b->num_threads == 1 || n < 2 * b->num_threads) {
        /* small batches: the caller's thread alone (waking workers costs more) */
        qb_slice(b, 0, 1);
        return RLC_OK;
    }
    pthread_mutex_lock(&b->mu);
    b->pending = b->num_threads - 1;
    b->generation++;
    pthread_cond_broadcast(&b->go);
    pthread_mutex_unlock(&b->mu);
    qb_slice(b, 0, b->num_threads);
    pthread_mutex_lock(&b->mu);
    while (b->pending > 0)
        pthread_cond_wait(&b->done, &b->mu);
    pthread_mutex_unlock(&b->mu);
    return RLC_OK;
}
