/* Stream AC(lambda) (Elsayed, Vasan & Mahmood 2024, Algorithm "stream AC"): an actor-critic that
 * learns from every transition once, with eligibility traces and ObGD on both networks, for
 * Discrete (softmax) and Box (Gaussian, softplus std, actions clipped to the bounds) actions. */
#include <math.h>
#include <string.h>

#include "algo/stream_impl.h"

RLC_CONFIG_TABLE(rlc_stream_ac_config_table, rlc_stream_ac_config, RLC_STREAM_AC_FIELDS)

typedef struct sac_stream {
    rlc__stream s; /* first: the shared helpers cast impl to it */
    rlc_stream_ac_config c;
    int discrete, A;      /* actions: Discrete(A) or Box of A */
    int64_t act_start;    /* Discrete start */
    const double *lo, *hi;/* Box bounds */
    float *act_raw;       /* [A] the sampled (unclipped) action of the transition in flight */
    float *dpi, *probs;   /* [2A] actor output gradient, [A] softmax */
    int64_t a_idx;        /* Discrete action in flight (0-based) */
    int ended;            /* the last step ended an episode: the next step is an autoreset */
} sac_stream;

static sac_stream *S(rlc_agent *a) { return (sac_stream *)a->impl; }

static void ac_destroy(rlc_agent *a) {
    sac_stream *t = S(a);
    if (!t) return;
    rlc__stream_free(&t->s);
    rlc_free(t->act_raw);
    rlc_free(t->dpi);
    rlc_free(t->probs);
    rlc_free(t);
    a->impl = NULL;
}

static rlc_status ac_init(rlc_agent *a) {
    const rlc_stream_ac_config *c = a->cfg;
    const rlc_space *as = a->action_space, *os = a->obs_space;
    if (os->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "stream-ac: env '%s' has a non-Box observation space",
                         a->env_id);
    int discrete = as->kind == RLC_SPACE_DISCRETE;
    if (!discrete && !(as->kind == RLC_SPACE_BOX && as->dtype == RLC_SPACE_FLOAT32))
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "stream-ac: env '%s' needs a Discrete or float32 Box action space",
                         a->env_id);
    sac_stream *t = rlc_calloc(1, sizeof *t);
    if (!t) return RLC_ERR_NOMEM;
    a->impl = t;
    a->num_envs = 1;
    a->num_threads = 1;
    t->c = *c;
    t->discrete = discrete;
    t->A = discrete ? (int)as->n : (int)as->size;
    t->act_start = discrete ? as->start : 0;
    t->lo = as->low;
    t->hi = as->high;
    rlc__stream_spec sp = {.nnet = 2,
                           .outs = {discrete ? t->A : 2 * t->A, 1},
                           .names = {"actor", "critic"},
                           .kappa = {c->kappa_policy, c->kappa_value},
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
    if (!st) {
        t->act_raw = rlc_calloc((size_t)t->A, sizeof(float));
        t->dpi = rlc_calloc(2 * (size_t)t->A, sizeof(float));
        t->probs = rlc_calloc((size_t)t->A, sizeof(float));
        if (!t->act_raw || !t->dpi || !t->probs) st = RLC_ERR_NOMEM;
    }
    if (st) ac_destroy(a);
    return st;
}

static rlc_params *ac_params(rlc_agent *a) { return S(a)->s.p; }

static void softmax(const float *l, float *p, int n) {
    float m = l[0];
    for (int i = 1; i < n; i++)
        if (l[i] > m) m = l[i];
    double z = 0;
    for (int i = 0; i < n; i++)
        z += exp((double)l[i] - m);
    for (int i = 0; i < n; i++)
        p[i] = (float)(exp((double)l[i] - m) / z);
}

static double softplus(double x) { return x > 20 ? x : log1p(exp(x)); }

static double std_of(float pre) {
    double sd = softplus(pre);
    return sd > 1e-6 ? sd : 1e-6;
}

/* Draws (or picks deterministically) an action from actor output `out`; writes the env action
 * to `act` and remembers the raw sample. */
static void choose(sac_stream *t, const float *out, void *act, int deterministic, int remember) {
    if (t->discrete) {
        int k = 0;
        if (deterministic) {
            for (int i = 1; i < t->A; i++)
                if (out[i] > out[k]) k = i;
        } else {
            softmax(out, t->probs, t->A);
            double u = rlc_rng_random(&t->s.rng), c = 0;
            k = t->A - 1;
            for (int i = 0; i < t->A; i++) {
                c += t->probs[i];
                if (u < c) {
                    k = i;
                    break;
                }
            }
        }
        if (remember) t->a_idx = k;
        *(int64_t *)act = t->act_start + k;
        return;
    }
    float *o = act;
    for (int i = 0; i < t->A; i++) {
        double v = out[i];
        if (!deterministic) v += std_of(out[t->A + i]) * rlc_rng_normal(&t->s.rng);
        if (remember) t->act_raw[i] = (float)v;
        if (v < t->lo[i]) v = t->lo[i];
        if (v > t->hi[i]) v = t->hi[i];
        o[i] = (float)v;
    }
}

static rlc_status ac_act(rlc_agent *a, const float *obs, int n, void *actions, int det) {
    (void)n;
    sac_stream *t = S(a);
    rlc__stream_normalize(&t->s, obs, t->s.obs_nxt, 0);
    rlc__snet_forward(&t->s.net[0], &t->s.nxt[0], t->s.obs_nxt);
    choose(t, t->s.nxt[0].out, actions, det, 0);
    return RLC_OK;
}

static void ac_begin(rlc_agent *a, int64_t total) {
    sac_stream *t = S(a);
    t->s.total_steps = total;
    t->s.have_cur = 0;
    t->ended = 0;
}

static void forward_cur(sac_stream *t, const float *raw) {
    rlc__stream_normalize(&t->s, raw, t->s.obs_cur, 1);
    for (int k = 0; k < 2; k++)
        rlc__snet_forward(&t->s.net[k], &t->s.cur[k], t->s.obs_cur);
    t->s.have_cur = 1;
}

static rlc_status ac_train_act(rlc_agent *a, rlc_vec_env *v) {
    sac_stream *t = S(a);
    if (t->ended) { /* the vector env resets this step and ignores the action */
        if (t->discrete)
            *(int64_t *)v->actions = t->act_start;
        else
            for (int i = 0; i < t->A; i++)
                ((float *)v->actions)[i] = (float)fmin(fmax(0.0, t->lo[i]), t->hi[i]);
        return RLC_OK;
    }
    if (!t->s.have_cur) forward_cur(t, v->obs_f32);
    choose(t, t->s.cur[0].out, v->actions, 0, 1);
    return RLC_OK;
}

static int ac_observe(rlc_agent *a, const rlc_vec_env *v) {
    sac_stream *t = S(a);
    if (v->autoreset[0]) {
        t->ended = 0;
        forward_cur(t, v->obs_f32);
        return 0;
    }
    t->s.steps++;
    return 1;
}

/* Actor output gradient of log pi(a|s) + beta sign(delta) H(pi(.|s)). */
static void actor_grad(sac_stream *t, const float *out, double delta) {
    double beta = t->c.entropy_coef * (delta > 0 ? 1.0 : delta < 0 ? -1.0 : 0.0);
    if (t->discrete) {
        softmax(out, t->probs, t->A);
        double H = 0;
        for (int i = 0; i < t->A; i++)
            if (t->probs[i] > 0) H -= t->probs[i] * log(t->probs[i]);
        for (int i = 0; i < t->A; i++) {
            double p = t->probs[i], lp = p > 0 ? log(p) : -1e30;
            double g = (i == t->a_idx) - p;
            if (p > 0) g += beta * (-p * (lp + H));
            t->dpi[i] = (float)g;
        }
        return;
    }
    for (int i = 0; i < t->A; i++) {
        double pre = out[t->A + i], sd = std_of((float)pre), d = t->act_raw[i] - out[i];
        double sig = 1.0 / (1.0 + exp(-pre));
        t->dpi[i] = (float)(d / (sd * sd));
        double dsd = d * d / (sd * sd * sd) - 1.0 / sd + beta / sd;
        t->dpi[t->A + i] = (float)(dsd * sig);
    }
}

static rlc_status ac_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    sac_stream *t = S(a);
    rlc__stream *s = &t->s;
    int term = v->terminated[0], ended = term | v->truncated[0];
    double r = rlc__stream_scale_reward(s, v->rewards[0], ended);
    rlc__stream_normalize(s, v->obs_f32, s->obs_nxt, 1);
    double vs = s->cur[1].out[0], vn = 0;
    if (!term) {
        rlc__snet_forward(&s->net[1], &s->nxt[1], s->obs_nxt);
        vn = s->nxt[1].out[0];
    }
    double delta = r + s->gamma * vn - vs;
    if (!isfinite(delta))
        return rlc_error(RLC_ERR_RANGE, "stream-ac: non-finite TD error at step %lld",
                         (long long)s->steps);
    actor_grad(t, s->cur[0].out, delta);
    const float one = 1.0f;
    const float *x = ended ? NULL : s->obs_nxt;
    rlc__stream_learn(s, 0, t->dpi, delta, x, ended);
    rlc__stream_learn(s, 1, &one, delta, x, ended);
    s->last_delta = delta;
    if (ended) {
        t->ended = 1;
        s->have_cur = 0;
    }
    info->n = 3;
    info->key[0] = "td_error";
    info->value[0] = delta;
    info->key[1] = "step_actor";
    info->value[1] = s->last_step[0];
    info->key[2] = "step_critic";
    info->value[2] = s->last_step[1];
    return RLC_OK;
}

static rlc_status ac_write_state(rlc_agent *a, rlc_st_writer *w) {
    return rlc__stream_write_state(&S(a)->s, w);
}

static rlc_status ac_read_state(rlc_agent *a, const rlc_st_file *f) {
    return rlc__stream_read_state(&S(a)->s, f);
}

const rlc__algo rlc__algo_stream_ac = {
    .name = "stream-ac",
    .table = rlc_stream_ac_config_table,
    .init = ac_init,
    .destroy = ac_destroy,
    .params = ac_params,
    .act = ac_act,
    .begin = ac_begin,
    .train_act = ac_train_act,
    .observe = ac_observe,
    .update = ac_update,
    .write_state = ac_write_state,
    .read_state = ac_read_state,
};
