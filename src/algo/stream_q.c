/* Stream Q(lambda) (Elsayed, Vasan & Mahmood 2024): epsilon-greedy Q-learning from each
 * transition once, with Watkins's eligibility traces (cut after exploratory actions and at
 * episode ends) and ObGD, for Discrete actions. */
#include <math.h>
#include <string.h>

#include "algo/stream_impl.h"

RLC_CONFIG_TABLE(rlc_stream_q_config_table, rlc_stream_q_config, RLC_STREAM_Q_FIELDS)

typedef struct q_stream {
    rlc__stream s; /* first: the shared helpers cast impl to it */
    rlc_stream_q_config c;
    int A;
    int64_t act_start;
    int64_t a_idx; /* action in flight (0-based) */
    int nongreedy; /* it was not the greedy one */
    int ended;
    float *dq; /* [A] one-hot output gradient */
    double eps;
} q_stream;

static q_stream *S(rlc_agent *a) { return (q_stream *)a->impl; }

static void q_destroy(rlc_agent *a) {
    q_stream *t = S(a);
    if (!t) return;
    rlc__stream_free(&t->s);
    rlc_free(t->dq);
    rlc_free(t);
    a->impl = NULL;
}

static rlc_status q_init(rlc_agent *a) {
    const rlc_stream_q_config *c = a->cfg;
    if (a->obs_space->kind != RLC_SPACE_BOX || a->action_space->kind != RLC_SPACE_DISCRETE)
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "stream-q: env '%s' needs a Box observation and a Discrete action space",
                         a->env_id);
    q_stream *t = rlc_calloc(1, sizeof *t);
    if (!t) return RLC_ERR_NOMEM;
    a->impl = t;
    a->num_envs = 1;
    a->num_threads = 1;
    t->c = *c;
    t->A = (int)a->action_space->n;
    t->act_start = a->action_space->start;
    t->eps = c->start_eps;
    rlc__stream_spec sp = {.nnet = 1,
                           .outs = {t->A, 0},
                           .names = {"q", NULL},
                           .kappa = {c->kappa, 0},
                           .hidden = (int)c->hidden,
                           .layers = (int)c->layers,
                           .layer_norm = c->layer_norm,
                           .sparse_init = c->sparse_init,
                           .norm_obs = c->norm_obs,
                           .scale_reward = c->scale_reward,
                           .optimizer = c->optimizer,
                           .sparsity = c->sparsity,
                           .lr = c->lr,
                           .gamma = c->gamma,
                           .lambda = c->trace_lambda};
    rlc_status st = rlc__stream_init(&t->s, a, &sp);
    if (!st && !(t->dq = rlc_calloc((size_t)t->A, sizeof(float)))) st = RLC_ERR_NOMEM;
    if (st) q_destroy(a);
    return st;
}

static rlc_params *q_params(rlc_agent *a) { return S(a)->s.p; }

static int argmax(const float *q, int n) {
    int k = 0;
    for (int i = 1; i < n; i++)
        if (q[i] > q[k]) k = i;
    return k;
}

/* Epsilon-greedy choice on q; returns the 0-based action, *nongreedy set when exploratory. */
static int choose(q_stream *t, const float *q, double eps, int *nongreedy) {
    int g = argmax(q, t->A), k = g;
    if (eps > 0 && rlc_rng_random(&t->s.rng) < eps) k = (int)rlc_rng_integers(&t->s.rng, 0, t->A);
    *nongreedy = k != g;
    return k;
}

static rlc_status q_act(rlc_agent *a, const float *obs, int n, void *actions, int det) {
    (void)n;
    q_stream *t = S(a);
    rlc__stream_normalize(&t->s, obs, t->s.obs_nxt, 0);
    rlc__snet_forward(&t->s.net[0], &t->s.nxt[0], t->s.obs_nxt);
    int ng;
    *(int64_t *)actions = t->act_start + choose(t, t->s.nxt[0].out, det ? 0 : t->eps, &ng);
    return RLC_OK;
}

static void q_begin(rlc_agent *a, int64_t total) {
    q_stream *t = S(a);
    t->s.total_steps = total;
    t->s.have_cur = 0;
    t->ended = 0;
}

static void forward_cur(q_stream *t, const float *raw) {
    rlc__stream_normalize(&t->s, raw, t->s.obs_cur, 1);
    rlc__snet_forward(&t->s.net[0], &t->s.cur[0], t->s.obs_cur);
    t->s.have_cur = 1;
}

static rlc_status q_train_act(rlc_agent *a, rlc_vec_env *v) {
    q_stream *t = S(a);
    if (t->ended) {
        *(int64_t *)v->actions = t->act_start;
        return RLC_OK;
    }
    if (!t->s.have_cur) forward_cur(t, v->obs_f32);
    double span = t->c.exploration_fraction * (double)t->s.total_steps;
    double f = span > 0 ? fmin(1.0, (double)t->s.steps / span) : 1.0;
    t->eps = t->c.start_eps + (t->c.end_eps - t->c.start_eps) * f;
    t->a_idx = choose(t, t->s.cur[0].out, t->eps, &t->nongreedy);
    *(int64_t *)v->actions = t->act_start + t->a_idx;
    return RLC_OK;
}

static int q_observe(rlc_agent *a, const rlc_vec_env *v) {
    q_stream *t = S(a);
    if (v->autoreset[0]) {
        t->ended = 0;
        forward_cur(t, v->obs_f32);
        return 0;
    }
    t->s.steps++;
    return 1;
}

static rlc_status q_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    q_stream *t = S(a);
    rlc__stream *s = &t->s;
    int term = v->terminated[0], ended = term | v->truncated[0];
    double r = rlc__stream_scale_reward(s, v->rewards[0], ended);
    rlc__stream_normalize(s, v->obs_f32, s->obs_nxt, 1);
    double qsa = s->cur[0].out[t->a_idx], qn = 0;
    if (!term) {
        rlc__snet_forward(&s->net[0], &s->nxt[0], s->obs_nxt);
        const float *q = s->nxt[0].out;
        qn = q[argmax(q, t->A)];
    }
    double delta = r + s->gamma * qn - qsa;
    if (!isfinite(delta))
        return rlc_error(RLC_ERR_RANGE, "stream-q: non-finite TD error at step %lld",
                         (long long)s->steps);
    memset(t->dq, 0, sizeof(float) * (size_t)t->A);
    t->dq[t->a_idx] = 1;
    rlc__stream_learn(s, 0, t->dq, delta, ended ? NULL : s->obs_nxt, ended || t->nongreedy);
    s->last_delta = delta;
    if (ended) {
        t->ended = 1;
        s->have_cur = 0;
    }
    info->n = 3;
    info->key[0] = "td_error";
    info->value[0] = delta;
    info->key[1] = "step_size";
    info->value[1] = s->last_step[0];
    info->key[2] = "epsilon";
    info->value[2] = t->eps;
    return RLC_OK;
}

static rlc_status q_write_state(rlc_agent *a, rlc_st_writer *w) {
    return rlc__stream_write_state(&S(a)->s, w);
}

static rlc_status q_read_state(rlc_agent *a, const rlc_st_file *f) {
    return rlc__stream_read_state(&S(a)->s, f);
}

const rlc__algo rlc__algo_stream_q = {
    .name = "stream-q",
    .table = rlc_stream_q_config_table,
    .init = q_init,
    .destroy = q_destroy,
    .params = q_params,
    .act = q_act,
    .begin = q_begin,
    .train_act = q_train_act,
    .observe = q_observe,
    .update = q_update,
    .write_state = q_write_state,
    .read_state = q_read_state,
};
