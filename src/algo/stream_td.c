/* Stream TD(lambda) (Elsayed, Vasan & Mahmood 2024): value prediction from each transition
 * once, with eligibility traces and ObGD, for the uniform random behaviour policy (any action
 * space). rlc_stream_value() reads the learned v(s). */
#include <math.h>
#include <string.h>

#include "algo/stream_impl.h"

RLC_CONFIG_TABLE(rlc_stream_td_config_table, rlc_stream_td_config, RLC_STREAM_TD_FIELDS)

typedef struct td_stream {
    rlc__stream s; /* first: the shared helpers cast impl to it */
    rlc_stream_td_config c;
    int ended;
} td_stream;

static td_stream *S(rlc_agent *a) { return (td_stream *)a->impl; }

static void td_destroy(rlc_agent *a) {
    td_stream *t = S(a);
    if (!t) return;
    rlc__stream_free(&t->s);
    rlc_free(t);
    a->impl = NULL;
}

static rlc_status td_init(rlc_agent *a) {
    const rlc_stream_td_config *c = a->cfg;
    if (a->obs_space->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "stream-td: env '%s' has a non-Box observation space",
                         a->env_id);
    td_stream *t = rlc_calloc(1, sizeof *t);
    if (!t) return RLC_ERR_NOMEM;
    a->impl = t;
    a->num_envs = 1;
    a->num_threads = 1;
    t->c = *c;
    rlc__stream_spec sp = {.nnet = 1,
                           .outs = {1, 0},
                           .names = {"v", NULL},
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
    if (st) td_destroy(a);
    return st;
}

static rlc_params *td_params(rlc_agent *a) { return S(a)->s.p; }

/* Actions of the behaviour policy: uniform over the action space (finite Box bounds; unbounded
 * dimensions draw a standard normal). */
static rlc_status td_act(rlc_agent *a, const float *obs, int n, void *actions, int det) {
    (void)obs;
    (void)n;
    (void)det;
    rlc_space_sample(a->action_space, &S(a)->s.rng, actions);
    return RLC_OK;
}

static void td_begin(rlc_agent *a, int64_t total) {
    td_stream *t = S(a);
    t->s.total_steps = total;
    t->s.have_cur = 0;
    t->ended = 0;
}

static void forward_cur(td_stream *t, const float *raw) {
    rlc__stream_normalize(&t->s, raw, t->s.obs_cur, 1);
    rlc__snet_forward(&t->s.net[0], &t->s.cur[0], t->s.obs_cur);
    t->s.have_cur = 1;
}

static rlc_status td_train_act(rlc_agent *a, rlc_vec_env *v) {
    td_stream *t = S(a);
    if (!t->ended && !t->s.have_cur) forward_cur(t, v->obs_f32);
    rlc_space_sample(a->action_space, &t->s.rng, v->actions);
    return RLC_OK;
}

static int td_observe(rlc_agent *a, const rlc_vec_env *v) {
    td_stream *t = S(a);
    if (v->autoreset[0]) {
        t->ended = 0;
        forward_cur(t, v->obs_f32);
        return 0;
    }
    t->s.steps++;
    return 1;
}

static rlc_status td_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    td_stream *t = S(a);
    rlc__stream *s = &t->s;
    int term = v->terminated[0], ended = term | v->truncated[0];
    double r = rlc__stream_scale_reward(s, v->rewards[0], ended);
    rlc__stream_normalize(s, v->obs_f32, s->obs_nxt, 1);
    double vs = s->cur[0].out[0], vn = 0;
    if (!term) {
        rlc__snet_forward(&s->net[0], &s->nxt[0], s->obs_nxt);
        vn = s->nxt[0].out[0];
    }
    double delta = r + s->gamma * vn - vs;
    if (!isfinite(delta))
        return rlc_error(RLC_ERR_RANGE, "stream-td: non-finite TD error at step %lld",
                         (long long)s->steps);
    const float one = 1.0f;
    rlc__stream_learn(s, 0, &one, delta, ended ? NULL : s->obs_nxt, ended);
    s->last_delta = delta;
    if (ended) {
        t->ended = 1;
        s->have_cur = 0;
    }
    info->n = 2;
    info->key[0] = "td_error";
    info->value[0] = delta;
    info->key[1] = "step_size";
    info->value[1] = s->last_step[0];
    return RLC_OK;
}

static rlc_status td_write_state(rlc_agent *a, rlc_st_writer *w) {
    return rlc__stream_write_state(&S(a)->s, w);
}

static rlc_status td_read_state(rlc_agent *a, const rlc_st_file *f) {
    return rlc__stream_read_state(&S(a)->s, f);
}

const rlc__algo rlc__algo_stream_td = {
    .name = "stream-td",
    .table = rlc_stream_td_config_table,
    .init = td_init,
    .destroy = td_destroy,
    .params = td_params,
    .act = td_act,
    .begin = td_begin,
    .train_act = td_train_act,
    .observe = td_observe,
    .update = td_update,
    .write_state = td_write_state,
    .read_state = td_read_state,
};
