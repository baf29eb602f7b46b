/* Actor-learner training (IMPALA, Espeholt et al. 2018) over MPI point-to-point messages:
 * ranks 1..K-1 step their envs with the parameters they last received and send each
 * trajectory batch to rank 0; rank 0 learns from the batches in arrival order (V-trace
 * corrects for the actors' older parameters) and answers each with its current parameters.
 * An actor waits for that answer before its next batch, so its policy lags the learner's by
 * the updates made from the other actors' batches in between (none with one actor). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist_impl.h"
#include "rlc/vec_env.h"

#ifdef RLC_HAVE_MPI
#include <mpi.h>

enum { TAG_ROLLOUT = 11, TAG_PARAMS, TAG_STOP, TAG_DONE };
#define MAX_RETURNS 64
#define HDR (2 + MAX_RETURNS) /* returns recorded, episodes finished, returns */

static rlc_status fail(int rc, const char *what) {
    char msg[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return rlc_error(RLC_ERR_IO, "rank %d: %s failed: %s (did another rank die?)",
                     rlc_dist_rank(), what, msg);
}

/* Message length in floats for batch r. */
static int msg_len(const rlc__impala_rollout *r) {
    int B = r->N * r->T;
    return HDR + B * r->D + 6 * B + r->N * r->D;
}

static void pack(const rlc__impala_rollout *r, float *m) {
    int B = r->N * r->T;
    float *p = m + HDR;
    memcpy(p, r->obs, sizeof(float) * (size_t)B * (size_t)r->D);
    p += (size_t)B * (size_t)r->D;
    memcpy(p, r->act, sizeof(float) * (size_t)B);
    memcpy(p + B, r->logp, sizeof(float) * (size_t)B);
    memcpy(p + 2 * B, r->rew, sizeof(float) * (size_t)B);
    for (int k = 0; k < B; k++) {
        p[3 * B + k] = r->term[k];
        p[4 * B + k] = r->trunc[k];
        p[5 * B + k] = r->valid[k];
    }
    memcpy(p + 6 * B, r->boot_obs, sizeof(float) * (size_t)r->N * (size_t)r->D);
}

static void unpack(const float *m, rlc__impala_rollout *r) {
    int B = r->N * r->T;
    const float *p = m + HDR;
    memcpy(r->obs, p, sizeof(float) * (size_t)B * (size_t)r->D);
    p += (size_t)B * (size_t)r->D;
    memcpy(r->act, p, sizeof(float) * (size_t)B);
    memcpy(r->logp, p + B, sizeof(float) * (size_t)B);
    memcpy(r->rew, p + 2 * B, sizeof(float) * (size_t)B);
    for (int k = 0; k < B; k++) {
        r->term[k] = p[3 * B + k] != 0;
        r->trunc[k] = p[4 * B + k] != 0;
        r->valid[k] = p[5 * B + k] != 0;
    }
    memcpy(r->boot_obs, p + 6 * B, sizeof(float) * (size_t)r->N * (size_t)r->D);
}

/* Receives every message rank 0 has sent so far (in order): parameters into p, STOP sets
 * *stop. block: wait for at least one. */
static rlc_status actor_poll(float *p, int np, int block, int *stop) {
    for (;;) {
        int flag = 0;
        MPI_Status ms;
        int rc = block ? MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &ms)
                       : MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ms);
        if (rc != MPI_SUCCESS) return fail(rc, "MPI_Probe (actor)");
        if (!block && !flag) return RLC_OK;
        block = 0;
        if (ms.MPI_TAG == TAG_PARAMS) {
            rc = MPI_Recv(p, np, MPI_FLOAT, 0, TAG_PARAMS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            char dummy;
            rc = MPI_Recv(&dummy, 0, MPI_BYTE, 0, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (ms.MPI_TAG == TAG_STOP) *stop = 1;
        }
        if (rc != MPI_SUCCESS) return fail(rc, "MPI_Recv (actor)");
        if (*stop) return RLC_OK;
    }
}

static rlc_status run_actor(rlc_agent *a, uint64_t seed, int64_t start) {
    rlc__impala_rollout r;
    rlc_status st = rlc__impala_buffers(a, &r);
    if (st) return st;
    rlc_params *P = rlc_agent_params(a);
    int np = (int)rlc_params_count(P), len = msg_len(&r);
    float *params = rlc_params_data(P);
    float *msg[2] = {rlc_malloc(sizeof(float) * (size_t)len),
                     rlc_malloc(sizeof(float) * (size_t)len)};
    MPI_Request req[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    rlc_vec_env *v = NULL;
    rlc_vec_env_options vo = {.num_threads = a->num_threads,
                              .autoreset = RLC_VEC_AUTORESET_NEXT_STEP};
    if (!msg[0] || !msg[1]) st = RLC_ERR_NOMEM;
    if (!st) st = rlc_vec_env_create(&v, a->env_id, a->env_kwargs, a->num_envs, &vo);
    /* actor r's sub-env i: seed + r * num_envs + i (rank 0 steps no env), plus the step of
     * the checkpoint a resumed run starts from */
    if (!st)
        st = rlc_vec_env_reset(v, (int64_t)(seed + (uint64_t)rlc_dist_rank() * (uint64_t)a->num_envs +
                                             (uint64_t)start));
    int stop = 0, cur = 0;
    /* the learner's parameters first */
    rlc_status st0 = st;
    if (!st) st = actor_poll(params, np, 1, &stop);
    double returns[MAX_RETURNS];
    int nret = 0;
    double eps = 0;
    while (!st && !stop) {
        for (;;) {
            if ((st = a->algo->train_act(a, v))) break;
            if ((st = rlc_vec_env_step(v, NULL))) break;
            for (int i = 0; i < a->num_envs; i++)
                if (v->terminated[i] | v->truncated[i]) {
                    eps++;
                    if (nret < MAX_RETURNS) returns[nret++] = v->episode_return[i];
                }
            if (a->algo->observe(a, v)) break;
        }
        if (st) break;
        /* the buffer of two batches ago must have been received */
        int rc = MPI_Wait(&req[cur], MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            st = fail(rc, "MPI_Wait (trajectory)");
            break;
        }
        float *m = msg[cur];
        m[0] = (float)nret;
        m[1] = (float)eps;
        for (int j = 0; j < nret; j++) m[2 + j] = (float)returns[j];
        nret = 0;
        eps = 0;
        pack(&r, m);
        rc = MPI_Isend(m, len, MPI_FLOAT, 0, TAG_ROLLOUT, MPI_COMM_WORLD, &req[cur]);
        if (rc != MPI_SUCCESS) {
            st = fail(rc, "MPI_Isend (trajectory)");
            break;
        }
        cur ^= 1;
        st = actor_poll(params, np, 1, &stop); /* lag of at most one batch */
    }
    /* the learner drains what is in flight, then waits for DONE */
    if (!st && !st0) {
        while (!stop && !st) st = actor_poll(params, np, 1, &stop);
        int rc = MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
        if (rc == MPI_SUCCESS) rc = MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS && !st) st = fail(rc, "MPI_Send (done)");
    }
    rlc_vec_env_destroy(v);
    rlc_free(msg[0]);
    rlc_free(msg[1]);
    return st;
}

#define RECENT RLC__LEARNER_RECENT

/* lc: the counters to start from (zero, or a resumed checkpoint's); ck: checkpoints (path NULL:
 * none). */
static rlc_status run_learner(rlc_agent *a, uint64_t seed, const rlc_train_options *o,
                              const rlc_train_checkpoint *ck, rlc__learner_counters *lc,
                              rlc_train_result *res) {
    rlc__impala_rollout r;
    rlc_status st = rlc__impala_buffers(a, &r);
    if (st) return st;
    int K = rlc_dist_size();
    rlc_params *P = rlc_agent_params(a);
    int np = (int)rlc_params_count(P), len = msg_len(&r);
    const float *params = rlc_params_data(P);
    float *msg = rlc_malloc(sizeof(float) * (size_t)len);
    float *out = rlc_malloc(sizeof(float) * (size_t)np * (size_t)K);
    MPI_Request *req = rlc_malloc(sizeof(MPI_Request) * 2 * (size_t)K); /* params, stop */
    if (!msg || !out || !req) {
        rlc_free(msg);
        rlc_free(out);
        rlc_free(req);
        return RLC_ERR_NOMEM;
    }
    for (int j = 0; j < 2 * K; j++) req[j] = MPI_REQUEST_NULL;
    const int64_t B = (int64_t)r.N * r.T;
    int64_t steps = lc->steps, episodes = lc->episodes, updates = lc->updates;
    int64_t next_log = lc->steps ? lc->next_log : o->log_interval;
    double *recent = lc->recent;
    int n_recent = (int)lc->n_recent, pos = (int)lc->recent_pos, stop = 0, rc = MPI_SUCCESS;
    double t0 = rlc_time_now(), t_log = t0, mean_ret = NAN;
    int64_t steps_log = steps;
    int64_t every = ck->every > 0 ? ck->every : (o->total_steps / 10 > 0 ? o->total_steps / 10 : 1);
    int64_t next_ck = (steps / every + 1) * every;
    rlc__update_info info = {0};
    /* every actor starts from the learner's parameters */
    for (int j = 1; j < K && rc == MPI_SUCCESS; j++) {
        memcpy(out + (size_t)np * j, params, sizeof(float) * (size_t)np);
        rc = MPI_Isend(out + (size_t)np * j, np, MPI_FLOAT, j, TAG_PARAMS, MPI_COMM_WORLD, &req[j]);
    }
    if (rc != MPI_SUCCESS) st = fail(rc, "MPI_Isend (parameters)");
    while (!st && !stop && steps < o->total_steps) {
        MPI_Status ms;
        rc = MPI_Recv(msg, len, MPI_FLOAT, MPI_ANY_SOURCE, TAG_ROLLOUT, MPI_COMM_WORLD, &ms);
        if (rc != MPI_SUCCESS) {
            st = fail(rc, "MPI_Recv (trajectory)");
            break;
        }
        int j = ms.MPI_SOURCE;
        unpack(msg, &r);
        int nret = (int)msg[0];
        episodes += (int64_t)msg[1];
        for (int q = 0; q < nret && q < MAX_RETURNS; q++) {
            recent[pos] = msg[2 + q];
            pos = (pos + 1) % RECENT;
            if (n_recent < RECENT) n_recent++;
            rlc_progress_episode(o->progress, msg[2 + q]);
        }
        steps += B;
        if ((st = a->algo->update(a, NULL, &info))) break;
        updates++;
        /* answer with the new parameters: j waits for them before its next batch, and it
         * received the previous ones before sending this batch, so this wait is short */
        rc = MPI_Wait(&req[j], MPI_STATUS_IGNORE);
        if (rc == MPI_SUCCESS) {
            memcpy(out + (size_t)np * j, params, sizeof(float) * (size_t)np);
            rc = MPI_Isend(out + (size_t)np * j, np, MPI_FLOAT, j, TAG_PARAMS, MPI_COMM_WORLD,
                           &req[j]);
        }
        if (rc != MPI_SUCCESS) {
            st = fail(rc, "MPI_Isend (parameters)");
            break;
        }
        mean_ret = NAN;
        if (n_recent) {
            mean_ret = 0;
            for (int q = 0; q < n_recent; q++) mean_ret += recent[q];
            mean_ret /= n_recent;
        }
        if (o->stop_return > 0 && n_recent == RECENT && mean_ret >= o->stop_return) stop = 1;
        if (o->log_interval <= 0 || steps >= next_log || stop || steps >= o->total_steps) {
            while (o->log_interval > 0 && next_log <= steps) next_log += o->log_interval;
            double now = rlc_time_now();
            double fps = now > t_log ? (double)(steps - steps_log) / (now - t_log) : 0;
            t_log = now;
            steps_log = steps;
            if (o->logger) {
                rlc_logger_record(o->logger, "episodes", (double)episodes);
                rlc_logger_record(o->logger, "return_mean", mean_ret);
                rlc_logger_record(o->logger, "fps", fps);
                for (int q = 0; q < info.n; q++)
                    rlc_logger_record(o->logger, info.key[q], info.value[q]);
                if ((st = rlc_logger_dump(o->logger, steps))) break;
            }
            if (o->print) {
                fprintf(o->print, "step %lld  episodes %lld  return %.2f  fps %.0f",
                        (long long)steps, (long long)episodes, mean_ret, fps);
                for (int q = 0; q < info.n; q++)
                    fprintf(o->print, "  %s %.4g", info.key[q], info.value[q]);
                fputc('\n', o->print);
                fflush(o->print);
            }
        }
        rlc_progress_update(o->progress, steps);
        /* checkpoints: at each multiple of `every` and at the end; --stop-at stops after the
         * first one at or past it (the actors are stopped as at the end) */
        if (ck->path && (steps >= next_ck || steps >= o->total_steps || stop)) {
            while (next_ck <= steps) next_ck += every;
            lc->steps = steps;
            lc->episodes = episodes;
            lc->updates = updates;
            lc->next_log = next_log;
            lc->n_recent = n_recent;
            lc->recent_pos = pos;
            if ((st = rlc__learner_checkpoint_write(a, ck->path, seed, o->total_steps, lc))) break;
            if (ck->stop_at > 0 && steps >= ck->stop_at && steps < o->total_steps) stop = 1;
        }
    }
    double t1 = rlc_time_now();
    /* stop every actor (after any parameters in flight: messages between two ranks arrive
     * in order), drain their batches in flight until each says DONE */
    for (int j = 1; j < K && !st; j++) {
        rc = MPI_Isend(NULL, 0, MPI_BYTE, j, TAG_STOP, MPI_COMM_WORLD, &req[K + j]);
        if (rc != MPI_SUCCESS) st = fail(rc, "MPI_Isend (stop)");
    }
    for (int done = 0; !st && done < K - 1;) {
        MPI_Status ms;
        rc = MPI_Recv(msg, len, MPI_FLOAT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &ms);
        if (rc != MPI_SUCCESS) st = fail(rc, "MPI_Recv (drain)");
        else if (ms.MPI_TAG == TAG_DONE) done++;
    }
    if (!st && (rc = MPI_Waitall(2 * K, req, MPI_STATUSES_IGNORE)) != MPI_SUCCESS)
        st = fail(rc, "MPI_Waitall (parameters)");
    rlc_progress_finish(o->progress, steps);
    rlc_free(msg);
    rlc_free(out);
    rlc_free(req);
    if (res) {
        res->steps = steps;
        res->episodes = episodes;
        res->updates = updates;
        res->seconds = t1 - t0;
        res->mean_return = mean_ret;
    }
    return st;
}

rlc_status rlc_dist_train_actor_learner(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                                        const rlc_train_checkpoint *ck, rlc_train_result *res) {
    if (!a) return rlc_error(RLC_ERR_INVALID, "actor-learner: NULL agent");
    if (rlc_dist_size() < 2)
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "actor-learner training needs at least 2 MPI ranks (mpirun -np K, "
                         "K >= 2: rank 0 learns, the others act); got %d",
                         rlc_dist_size());
    rlc__impala_rollout r;
    rlc_status st = rlc__impala_buffers(a, &r);
    rlc_train_options o = {0};
    if (opt) o = *opt;
    if (o.total_steps <= 0) o.total_steps = 100000;
    rlc_train_checkpoint k = {0};
    if (ck) k = *ck;
    if (k.resume && !k.path) st = rlc_error(RLC_ERR_INVALID, "actor-learner: resume without path");
    /* the learner's state: fresh, or the checkpoint's (read before any rank starts) */
    rlc__learner_counters lc;
    memset(&lc, 0, sizeof lc);
    if (!st && rlc_dist_rank() == 0) {
        a->algo->begin(a, o.total_steps);
        if (k.resume) st = rlc__learner_checkpoint_read(a, k.path, seed, o.total_steps, &lc);
    }
    st = rlc_dist_agree(st);
    if (st) return st;
    /* the actors seed their envs with the step the run starts from */
    long long start = (long long)lc.steps;
    int rc = MPI_Bcast(&start, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return fail(rc, "MPI_Bcast (start step)");
    if (rlc_dist_rank() == 0) {
        st = run_learner(a, seed, &o, &k, &lc, res);
    } else {
        st = run_actor(a, seed, (int64_t)start);
        if (res) memset(res, 0, sizeof *res);
    }
    return st;
}

#else

rlc_status rlc_dist_train_actor_learner(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                                        const rlc_train_checkpoint *ck, rlc_train_result *res) {
    (void)a, (void)seed, (void)opt, (void)ck, (void)res;
    return rlc_error(RLC_ERR_UNSUPPORTED,
                     "actor-learner training needs MPI, and MPI support was not built into rlc "
                     "(install libopenmpi-dev and rebuild with MPI=1)");
}

#endif
