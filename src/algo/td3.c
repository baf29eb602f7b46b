/* TD3 (Fujimoto et al. 2018) for Box actions: deterministic tanh actor, twin critics (or one:
 * DDPG), target policy smoothing, delayed actor and target updates, Gaussian exploration;
 * optionally an asymmetric critic on the env's privileged state (Learning to Fly). */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "nn/nn_impl.h"
#include "rlc/optim.h"
#include "rlc/replay.h"
#include "rlc/td3.h"

RLC_CONFIG_TABLE(rlc_td3_config_table, rlc_td3_config, RLC_TD3_FIELDS)

/* A forward-only acting graph: actor actions [n, A] in [-1, 1]. */
typedef struct act_graph {
    rlc_graph *g;
    rlc_tensor *obs, *out;
    int n;
} act_graph;

typedef struct td3 {
    rlc_td3_config c;
    int A, D, N, B;
    int S; /* critic_state: privileged state dims (0: off); the replay stores obs ++ state */
    float *scale, *bias;               /* [A]: env action = scale * a + bias, a in [-1, 1] */
    rlc_params *pa, *pa_t, *pq, *pq_t; /* actor, target actor, critics, target critics */
    rlc_mlp *actor, *q1, *q2;          /* q2 NULL with one critic */
    rlc_optim *oa, *oq;
    rlc_replay *rb;
    rlc_rng rng_act, rng_replay, rng_noise;
    act_graph ag[2]; /* [0]: batch N, [1]: batch 1 */

    rlc_graph *gq; /* critic graph (batch B) */
    rlc_tensor *q_obs, *q_act, *q_rew, *q_next, *q_disc, *q_noise, *q_loss, *q_q1;
    rlc_graph *gp; /* actor graph (batch B) */
    rlc_tensor *p_obs, *p_loss;
    rlc_tensor *q_st, *q_next_st, *p_st; /* critic_state: standardised states [B, S] */

    /* critic_state: per-env states, replay rows [obs, state] and the standardisation
     * cs = {count, frozen, sum[S], sumsq[S], mean[S], std[S]} (accumulated over the random-action
     * steps, frozen at the first update) */
    double *sbuf, *cs;
    float *st_prev, *st_next, *ext_prev, *ext_next, *ext_b_obs, *ext_b_next;
    rlc_replay_batch batch;
    float *w;
    int64_t *idx;
    float *obs_prev, *act_prev, *next_obs, *rew;
    uint8_t *valid;
    int64_t env_steps, grad_steps;
    double credit;

    /* fused path (c.fused): the networks without graphs, and its scratch */
    rlc__tmlp ta, tq[2];
    float *f_y, *f_dq, *f_a, *f_dout; /* [B], [B*np_q], [B*A], [B*np_actor_out] */
    float *inj;                       /* rlc_agent_add_transition's rows (lazily) */
} td3;

static td3 *T(rlc_agent *a) {
    return (td3 *)a->impl;
}

/* Target policy smoothing: clamp(mu + clamp(sigma noise, -clip, clip), -1, 1), noise standard
 * normal of mu's shape. Non-static for the tests. */
rlc_tensor *rlc__td3_smoothed_action(rlc_graph *g, rlc_tensor *mu, rlc_tensor *noise, double sigma,
                                     double clip);
rlc_tensor *rlc__td3_smoothed_action(rlc_graph *g, rlc_tensor *mu, rlc_tensor *noise, double sigma,
                                     double clip) {
    rlc_tensor *eps = rlc_clamp(g, rlc_mul_scalar(g, noise, sigma), -clip, clip);
    return rlc_clamp(g, rlc_add(g, mu, eps), -1.0, 1.0);
}

static void td3_destroy(rlc_agent *a) {
    td3 *s = T(a);
    if (!s) return;
    for (int k = 0; k < 2; k++)
        rlc_graph_destroy(s->ag[k].g);
    rlc_graph_destroy(s->gq);
    rlc_graph_destroy(s->gp);
    rlc_optim_destroy(s->oa);
    rlc_optim_destroy(s->oq);
    rlc_mlp_destroy(s->actor);
    rlc_mlp_destroy(s->q1);
    rlc_mlp_destroy(s->q2);
    rlc_params_destroy(s->pa);
    rlc_params_destroy(s->pa_t);
    rlc_params_destroy(s->pq);
    rlc_params_destroy(s->pq_t);
    rlc_replay_destroy(s->rb);
    rlc__tmlp_free(&s->ta);
    rlc__tmlp_free(&s->tq[0]);
    rlc__tmlp_free(&s->tq[1]);
    void *bufs[] = {s->scale,    s->bias,     s->w,        s->idx,       s->obs_prev,  s->act_prev,
                    s->next_obs, s->rew,      s->valid,    s->sbuf,      s->cs,        s->st_prev,
                    s->st_next,  s->ext_prev, s->ext_next, s->ext_b_obs, s->ext_b_next, s->f_y,
                    s->f_dq,     s->f_a,      s->f_dout,   s->inj};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        rlc_free(bufs[i]);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *td3_params(rlc_agent *a) {
    return T(a)->pa;
}

/* The critics on concat(obs, act) (or concat(obs, state, act) with critic_state) with params
 * p; min over both (or Q1 alone). */
static rlc_tensor *min_q(rlc_graph *g, td3 *s, rlc_params *p, rlc_tensor *obs, rlc_tensor *st,
                         rlc_tensor *act, rlc_tensor **q1, rlc_tensor **q2) {
    rlc_tensor *x = st ? rlc_concat(g, (rlc_tensor *[]){obs, st, act}, 3, 1)
                       : rlc_concat(g, (rlc_tensor *[]){obs, act}, 2, 1);
    rlc_tensor *a1 = rlc_mlp_forward_params(g, s->q1, p, x);
    if (q1) *q1 = a1;
    if (!s->q2) return a1;
    rlc_tensor *a2 = rlc_mlp_forward_params(g, s->q2, p, x);
    if (q2) *q2 = a2;
    return rlc_minimum(g, a1, a2);
}

static rlc_status build_graphs(rlc_agent *a) {
    td3 *s = T(a);
    const int B = s->B, D = s->D, A = s->A;
    rlc_status st = RLC_OK;
    for (int k = 0; k < 2 && !st; k++) {
        act_graph *ag = &s->ag[k];
        ag->n = k ? 1 : s->N;
        if (!(ag->g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD))) return RLC_ERR_NOMEM;
        ag->obs = rlc_input(ag->g, 2, (int[]){ag->n, D});
        ag->out = rlc_mlp_forward(ag->g, s->actor, ag->obs);
        st = rlc_graph_status(ag->g);
    }
    if (st) return st;

    /* critic loss: sum_i mse(Q_i(s, a), y), y = r + disc min_i Qt_i(s', smoothed mu_t(s')) */
    rlc_graph *g = s->gq = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->q_obs = rlc_input(g, 2, (int[]){B, D});
    s->q_act = rlc_input(g, 2, (int[]){B, A});
    s->q_rew = rlc_input(g, 2, (int[]){B, 1});
    s->q_next = rlc_input(g, 2, (int[]){B, D});
    s->q_disc = rlc_input(g, 2, (int[]){B, 1});
    s->q_noise = rlc_input(g, 2, (int[]){B, A});
    if (s->S) {
        s->q_st = rlc_input(g, 2, (int[]){B, s->S});
        s->q_next_st = rlc_input(g, 2, (int[]){B, s->S});
    }
    rlc_tensor *mu_n = rlc_mlp_forward_params(g, s->actor, s->pa_t, s->q_next);
    rlc_tensor *an =
        rlc__td3_smoothed_action(g, mu_n, s->q_noise, s->c.policy_noise, s->c.noise_clip);
    rlc_tensor *qn = min_q(g, s, s->pq_t, s->q_next, s->q_next_st, an, NULL, NULL);
    rlc_tensor *y = rlc_stop_gradient(g, rlc_add(g, s->q_rew, rlc_mul(g, s->q_disc, qn)));
    rlc_tensor *q2 = NULL;
    min_q(g, s, s->pq, s->q_obs, s->q_st, s->q_act, &s->q_q1, &q2);
    s->q_loss = rlc_mse(g, s->q_q1, y);
    if (q2) s->q_loss = rlc_add(g, s->q_loss, rlc_mse(g, q2, y));
    if ((st = rlc_graph_status(g))) return st;

    /* actor loss: -mean Q1(s, mu(s)) */
    g = s->gp = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->p_obs = rlc_input(g, 2, (int[]){B, D});
    rlc_tensor *mu = rlc_mlp_forward(g, s->actor, s->p_obs);
    rlc_tensor *x;
    if (s->S) {
        s->p_st = rlc_input(g, 2, (int[]){B, s->S});
        x = rlc_concat(g, (rlc_tensor *[]){s->p_obs, s->p_st, mu}, 3, 1);
    } else {
        x = rlc_concat(g, (rlc_tensor *[]){s->p_obs, mu}, 2, 1);
    }
    rlc_tensor *q = rlc_mlp_forward_frozen(g, s->q1, s->pq, x);
    s->p_loss = rlc_neg(g, rlc_mean_all(g, q));
    return rlc_graph_status(g);
}

static rlc_status make_mlp(rlc_agent *a, rlc_params *p, const char *name, int in, int out, int ln,
                           rlc_act out_act, rlc_rng *rng, rlc_mlp **m) {
    const rlc_td3_config *c = &T(a)->c;
    int sizes[RLC_MLP_MAX_SIZES], ns = 0;
    sizes[ns++] = in;
    for (int i = 0; i < c->layers; i++)
        sizes[ns++] = (int)c->hidden;
    sizes[ns++] = out;
    /* PyTorch-default init, as CleanRL */
    rlc_mlp_spec spec = {.sizes = sizes,
                         .nsizes = ns,
                         .act = c->activation == 0 ? RLC_ACT_RELU : RLC_ACT_TANH,
                         .out_act = out_act,
                         .layer_norm = ln ? RLC_LN_AFFINE : RLC_LN_NONE};
    *m = rlc_mlp_create(p, name, &spec, rng);
    return *m ? RLC_OK : RLC_ERR_NOMEM;
}

static rlc_status td3_init(rlc_agent *a) {
    const rlc_td3_config *c = a->cfg;
    const rlc_space *as = a->action_space;
    rlc_status st_spaces = rlc__require_bounded_box(a, "td3");
    if (st_spaces != RLC_OK) return st_spaces;
    if (c->num_threads > c->num_envs)
        return rlc_error(RLC_ERR_INVALID, "td3: num_threads (%lld) exceeds num_envs (%lld)",
                         (long long)c->num_threads, (long long)c->num_envs);
    td3 *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    s->A = (int)as->size;
    s->D = a->obs_size;
    s->N = (int)c->num_envs;
    s->B = (int)c->batch_size;
    if (c->critic_state) {
        s->S = rlc_env_state_dim(a->env);
        if (s->S <= 0) {
            rlc_free(s);
            a->impl = NULL;
            return rlc_error(RLC_ERR_UNSUPPORTED,
                             "td3: critic_state needs an env with a state vector (%s has none)",
                             a->env_id);
        }
    }
    a->num_envs = s->N;
    a->num_threads = (int)c->num_threads;

    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng_act, a->seed, 1);
    rlc_rng_seed_stream(&s->rng_replay, a->seed, 2);
    rlc_rng_seed_stream(&s->rng_noise, a->seed, 3);

    rlc_status st = RLC_OK;
    const int A = s->A, D = s->D, N = s->N, B = s->B, ln = (int)c->critic_layer_norm, S = s->S;
    s->pa = rlc_params_create(RLC_F32);
    s->pq = rlc_params_create(RLC_F32);
    if (!s->pa || !s->pq) st = RLC_ERR_NOMEM;
    if (!st) st = make_mlp(a, s->pa, "actor", D, A, 0, RLC_ACT_TANH, &init_rng, &s->actor);
    if (!st) st = make_mlp(a, s->pq, "q1", D + S + A, 1, ln, RLC_ACT_NONE, &init_rng, &s->q1);
    if (!st && c->n_critics == 2)
        st = make_mlp(a, s->pq, "q2", D + S + A, 1, ln, RLC_ACT_NONE, &init_rng, &s->q2);
    if (!st) {
        s->pa_t = rlc_params_clone(s->pa);
        s->pq_t = rlc_params_clone(s->pq);
        if (!s->pa_t || !s->pq_t) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
        oc.lr = c->policy_lr;
        s->oa = rlc_optim_create(s->pa, &oc);
        oc.lr = c->q_lr;
        s->oq = rlc_optim_create(s->pq, &oc);
        if (!s->oa || !s->oq) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_graphs(a);
    if (!st) {
        rlc_replay_config rc = {.capacity = c->buffer_size,
                                .obs_dim = D + S,
                                .act_dim = A,
                                .num_envs = N,
                                .n_step = 1,
                                .gamma = c->gamma};
        if (!(s->rb = rlc_replay_create(&rc))) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        s->scale = rlc_malloc(sizeof(float) * (size_t)A);
        s->bias = rlc_malloc(sizeof(float) * (size_t)A);
        s->w = rlc_malloc(sizeof(float) * (size_t)B);
        s->idx = rlc_malloc(sizeof(int64_t) * (size_t)B);
        s->obs_prev = rlc_malloc(sizeof(float) * (size_t)N * (size_t)D);
        s->next_obs = rlc_malloc(sizeof(float) * (size_t)N * (size_t)D);
        s->act_prev = rlc_malloc(sizeof(float) * (size_t)N * (size_t)A);
        s->rew = rlc_malloc(sizeof(float) * (size_t)N);
        s->valid = rlc_malloc((size_t)N);
        if (!s->scale || !s->bias || !s->w || !s->idx || !s->obs_prev || !s->next_obs ||
            !s->act_prev || !s->rew || !s->valid)
            st = RLC_ERR_NOMEM;
    }
    if (!st && S) {
        const size_t R = (size_t)(D + S);
        s->sbuf = rlc_malloc(sizeof(double) * (size_t)S);
        s->cs = rlc_calloc(2 + 4 * (size_t)S, sizeof(double));
        s->st_prev = rlc_malloc(sizeof(float) * (size_t)N * (size_t)S);
        s->st_next = rlc_malloc(sizeof(float) * (size_t)N * (size_t)S);
        s->ext_prev = rlc_malloc(sizeof(float) * (size_t)N * R);
        s->ext_next = rlc_malloc(sizeof(float) * (size_t)N * R);
        s->ext_b_obs = rlc_malloc(sizeof(float) * (size_t)B * R);
        s->ext_b_next = rlc_malloc(sizeof(float) * (size_t)B * R);
        if (!s->sbuf || !s->cs || !s->st_prev || !s->st_next || !s->ext_prev || !s->ext_next ||
            !s->ext_b_obs || !s->ext_b_next)
            st = RLC_ERR_NOMEM;
    }
    if (!st && c->fused) {
        const int nb = B > N ? B : N;
        st = rlc__tmlp_init_ac("td3", &s->ta, s->actor, nb, s->tq, s->q1, s->q2, B);
        if (!st) {
            s->f_y = rlc_calloc((size_t)B, sizeof(float));
            s->f_dq = rlc_calloc((size_t)B * s->tq[0].np[s->tq[0].nl], sizeof(float));
            s->f_a = rlc_calloc((size_t)B * A, sizeof(float));
            s->f_dout = rlc_calloc((size_t)B * s->ta.np[s->ta.nl], sizeof(float));
            if (!s->f_y || !s->f_dq || !s->f_a || !s->f_dout) st = RLC_ERR_NOMEM;
        }
    }
    if (!st) {
        for (int j = 0; j < A; j++) {
            s->scale[j] = (float)((as->high[j] - as->low[j]) / 2);
            s->bias[j] = (float)((as->high[j] + as->low[j]) / 2);
        }
        s->batch = (rlc_replay_batch){.obs = s->q_obs->data,
                                      .action = s->q_act->data,
                                      .reward = s->q_rew->data,
                                      .next_obs = s->q_next->data,
                                      .discount = s->q_disc->data,
                                      .weight = s->w,
                                      .index = s->idx};
        if (S) { /* rows [obs, state] sampled here, then split (grad_step) */
            s->batch.obs = s->ext_b_obs;
            s->batch.next_obs = s->ext_b_next;
        }
    }
    if (st) td3_destroy(a);
    return st;
}

/* Writes x in [-1, 1] rescaled and clipped to the Box into env_act[A]. */
static void to_env(const rlc_agent *a, const td3 *s, const float *x, float *env_act) {
    const rlc_space *as = a->action_space;
    for (int j = 0; j < s->A; j++) {
        double e = (double)s->scale[j] * x[j] + s->bias[j];
        if (e < as->low[j]) e = as->low[j];
        if (e > as->high[j]) e = as->high[j];
        env_act[j] = (float)e;
    }
}

/* mu(s), plus clipped Gaussian exploration noise unless deterministic; [-1, 1] actions into
 * x[n * A] (may be NULL), env actions into env_act. */
static void choose(rlc_agent *a, const float *mu, int stride, int n, int deterministic, float *x,
                   float *env_act) {
    td3 *s = T(a);
    const int A = s->A;
    float tmp[64];
    for (int i = 0; i < n; i++) {
        float *xi = x ? x + (size_t)i * A : tmp;
        for (int j = 0; j < A; j++) {
            double v = mu[(size_t)i * stride + j];
            if (!deterministic) {
                v += s->c.exploration_noise * rlc_rng_normal(&s->rng_act);
                v = v < -1 ? -1 : v > 1 ? 1 : v;
            }
            xi[j] = (float)v;
        }
        to_env(a, s, xi, env_act + (size_t)i * A);
    }
}

static rlc_status td3_act(rlc_agent *a, const float *obs, int n, void *actions, int deterministic) {
    td3 *s = T(a);
    if (s->A > 64) return rlc_error(RLC_ERR_UNSUPPORTED, "td3: more than 64 action dims");
    act_graph *ag = n == s->N ? &s->ag[0] : &s->ag[1];
    memcpy(ag->obs->data, obs, sizeof(float) * (size_t)n * (size_t)s->D);
    rlc_status st = rlc_graph_forward(ag->g);
    if (st) return st;
    choose(a, ag->out->data, s->A, ag->n, deterministic, NULL, actions);
    return RLC_OK;
}

static void td3_begin(rlc_agent *a, int64_t total_steps) {
    (void)total_steps;
    td3 *s = T(a);
    s->env_steps = 0;
    s->credit = 0;
}

/* critic_state: each sub-env's state vector as floats into out[N * S]; with `accumulate`, adds
 * it to the standardisation sums while they are not frozen (valid[i] rows only). */
static void read_states(td3 *s, const rlc_vec_env *v, float *out, int accumulate) {
    const int S = s->S;
    double *cs = s->cs, *sum = cs + 2, *sq = sum + S;
    for (int i = 0; i < s->N; i++) {
        /* cannot fail: the sub-envs are the agent's env id, whose state dim is S */
        rlc_status st = rlc_env_get_state_vector(rlc_vec_env_get(v, i), s->sbuf);
        assert(st == RLC_OK);
        (void)st;
        for (int j = 0; j < S; j++)
            out[(size_t)i * S + j] = (float)s->sbuf[j];
        if (accumulate && !cs[1] && s->valid[i]) {
            cs[0] += 1;
            for (int j = 0; j < S; j++) {
                sum[j] += s->sbuf[j];
                sq[j] += s->sbuf[j] * s->sbuf[j];
            }
        }
    }
}

/* Freezes the standardisation at the first update: mean and std per state dim; dims that did
 * not vary (std below 1e-6 of their scale) are centred only. */
static void freeze_state_stats(td3 *s) {
    const int S = s->S;
    double *cs = s->cs, *sum = cs + 2, *sq = sum + S, *mean = sq + S, *sd = mean + S;
    if (cs[1]) return;
    cs[1] = 1;
    for (int j = 0; j < S; j++) {
        double n = cs[0], m = n > 0 ? sum[j] / n : 0, var = n > 0 ? sq[j] / n - m * m : 0;
        double d = var > 0 ? sqrt(var) : 0;
        mean[j] = m;
        sd[j] = d > 1e-6 * fabs(m) && d > 0 ? d : 1;
    }
}

/* splits sampled rows [obs, state] into the obs and standardised state inputs */
static void split_rows(const td3 *s, const float *rows, float *obs, float *st) {
    const int D = s->D, S = s->S;
    const double *mean = s->cs + 2 + 2 * (size_t)S, *sd = mean + S;
    for (int b = 0; b < s->B; b++) {
        const float *r = rows + (size_t)b * (D + S);
        memcpy(obs + (size_t)b * D, r, sizeof(float) * (size_t)D);
        for (int j = 0; j < S; j++)
            st[(size_t)b * S + j] = (float)((r[D + j] - mean[j]) / sd[j]);
    }
}

static rlc_status td3_train_act(rlc_agent *a, rlc_vec_env *v) {
    td3 *s = T(a);
    const int N = s->N, A = s->A;
    memcpy(s->obs_prev, v->obs_f32, sizeof(float) * (size_t)N * (size_t)s->D);
    if (s->S) read_states(s, v, s->st_prev, 0);
    if (s->env_steps < s->c.learning_starts) {
        for (int k = 0; k < N * A; k++)
            s->act_prev[k] = (float)rlc_rng_uniform(&s->rng_act, -1, 1);
        for (int i = 0; i < N; i++)
            to_env(a, s, s->act_prev + (size_t)i * A, (float *)v->actions + (size_t)i * A);
        return RLC_OK;
    }
    if (s->c.fused) { /* the same actor outputs, without the graph */
        rlc__tmlp *t = &s->ta;
        rlc__tmlp_fill(t, N, 0, v->obs_f32, s->D);
        rlc__tmlp_load(t, rlc_params_data(s->pa));
        choose(a, rlc__tmlp_forward(t, N), t->np[t->nl], N, 0, s->act_prev, v->actions);
        return RLC_OK;
    }
    memcpy(s->ag[0].obs->data, v->obs_f32, sizeof(float) * (size_t)N * (size_t)s->D);
    rlc_status st = rlc_graph_forward(s->ag[0].g);
    if (st) return st;
    choose(a, s->ag[0].out->data, A, N, 0, s->act_prev, v->actions);
    return RLC_OK;
}

static int td3_observe(rlc_agent *a, const rlc_vec_env *v) {
    td3 *s = T(a);
    const int N = s->N;
    const size_t D = (size_t)s->D;
    for (int i = 0; i < N; i++) {
        /* an episode that just ended bootstraps (truncation) from its final observation */
        const float *nx = v->terminated[i] | v->truncated[i] ? v->final_obs_f32 : v->obs_f32;
        memcpy(s->next_obs + (size_t)i * D, nx + (size_t)i * D, sizeof(float) * D);
        s->rew[i] = (float)v->rewards[i];
        s->valid[i] = !v->autoreset[i];
    }
    if (s->S) {
        /* next-step autoreset: a sub-env whose episode ended this step still holds its final
         * state (it resets at the next step, whose transition is not stored) */
        const size_t S = (size_t)s->S, R = D + S;
        read_states(s, v, s->st_next, 1);
        for (size_t i = 0; i < (size_t)N; i++) {
            memcpy(s->ext_next + i * R, s->next_obs + i * D, sizeof(float) * D);
            memcpy(s->ext_next + i * R + D, s->st_next + i * S, sizeof(float) * S);
            memcpy(s->ext_prev + i * R, s->obs_prev + i * D, sizeof(float) * D);
            memcpy(s->ext_prev + i * R + D, s->st_prev + i * S, sizeof(float) * S);
        }
        rlc_replay_add(s->rb, s->ext_prev, s->act_prev, s->rew, s->ext_next, v->terminated,
                       v->truncated, s->valid);
    } else {
        rlc_replay_add(s->rb, s->obs_prev, s->act_prev, s->rew, s->next_obs, v->terminated,
                       v->truncated, s->valid);
    }
    s->env_steps += N;
    return s->env_steps >= s->c.learning_starts && rlc_replay_size(s->rb) > 0;
}

typedef struct sums {
    double qloss, ploss, q;
    int nq, np;
} sums;


/* After the critics' gradients (either path): their Adam step and the diagnostics (loss ql,
 * mean Q1 qm). */
static void critic_done(td3 *s, sums *m, double ql, double qm) {
    rlc_optim_step(s->oq);
    m->qloss += ql;
    m->q += qm;
    m->nq++;
    s->grad_steps++;
}

/* After the actor's gradients (either path): its Adam step, both Polyak updates and the
 * diagnostics. */
static void actor_done(td3 *s, sums *m, double pl) {
    rlc_optim_step(s->oa);
    rlc_params_polyak(s->pa_t, s->pa, s->c.tau);
    rlc_params_polyak(s->pq_t, s->pq, s->c.tau);
    m->ploss += pl;
    m->np++;
}

/* ---- the fused path: the graphs' losses and gradients, written out ---- */

/* Critic inputs [obs | state | act] into the critics' first activation rows. */
static void fill_q_input(td3 *s, const float *obs, const float *st, const float *act, int B) {
    for (int k = 0; k < (s->q2 ? 2 : 1); k++) {
        rlc__tmlp_fill(&s->tq[k], B, 0, obs, s->D);
        if (s->S) rlc__tmlp_fill(&s->tq[k], B, s->D, st, s->S);
        rlc__tmlp_fill(&s->tq[k], B, s->D + s->S, act, s->A);
    }
}

/* One TD3 gradient step as grad_step (after the batch is sampled and split), on the fused
 * networks: the same losses and optimizer steps; the sums differ only in rounding. */
static rlc_status grad_step_fused(td3 *s, sums *m) {
    const rlc_td3_config *c = &s->c;
    const int B = s->B, A = s->A, nq = s->q2 ? 2 : 1;
    rlc__tmlp *ta = &s->ta, *tq = s->tq;
    const int qs = tq[0].np[tq[0].nl], as = ta->np[ta->nl];
    const float *obs = s->q_obs->data, *act = s->q_act->data, *next = s->q_next->data;
    const float *rew = s->q_rew->data, *disc = s->q_disc->data, *noise = s->q_noise->data;
    const float *st = s->S ? s->q_st->data : NULL, *next_st = s->S ? s->q_next_st->data : NULL;

    /* y = r + disc min_i Qt_i(s', clamp(mu_t(s') + clamp(sigma eps, -clip, clip), -1, 1)) */
    rlc__tmlp_fill(ta, B, 0, next, s->D);
    rlc__tmlp_load(ta, rlc_params_data(s->pa_t));
    const float *mu = rlc__tmlp_forward(ta, B);
    const float sig = (float)c->policy_noise, clip = (float)c->noise_clip;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < A; j++) {
            float e = noise[(size_t)b * A + j] * sig;
            e = e < -clip ? -clip : e > clip ? clip : e;
            const float v = mu[(size_t)b * as + j] + e;
            s->f_a[(size_t)b * A + j] = v < -1 ? -1 : v > 1 ? 1 : v;
        }
    fill_q_input(s, next, next_st, s->f_a, B);
    const float *data_t = rlc_params_data(s->pq_t);
    const float *qt[2] = {NULL, NULL};
    for (int k = 0; k < nq; k++) {
        rlc__tmlp_load(&tq[k], data_t);
        qt[k] = rlc__tmlp_forward(&tq[k], B);
    }
    for (int b = 0; b < B; b++) {
        const float x1 = qt[0][(size_t)b * qs];
        const float x2 = nq == 2 ? qt[1][(size_t)b * qs] : x1;
        s->f_y[b] = rew[b] + disc[b] * (x2 < x1 ? x2 : x1);
    }
    /* critic loss sum_i mean (Q_i - y)^2 */
    fill_q_input(s, obs, st, act, B);
    float *data_q = rlc_params_data(s->pq);
    double qm = 0;
    const double ql =
        rlc__tmlp_mse_step(tq, nq, data_q, rlc_params_grad(s->pq), s->f_y, B, s->f_dq, &qm);
    if (!isfinite(ql)) return rlc_error(RLC_ERR_RANGE, "td3: critic loss is %g", ql);
    critic_done(s, m, ql, qm);
    if (s->grad_steps % c->policy_delay) return RLC_OK;

    /* actor loss -mean Q1(s, mu(s)) with the critic frozen */
    rlc__tmlp_fill(ta, B, 0, obs, s->D);
    rlc__tmlp_load(ta, rlc_params_data(s->pa));
    mu = rlc__tmlp_forward(ta, B);
    for (int b = 0; b < B; b++)
        memcpy(s->f_a + (size_t)b * A, mu + (size_t)b * as, sizeof(float) * (size_t)A);
    rlc__tmlp *t1 = &tq[0];
    rlc__tmlp_fill(t1, B, s->D + s->S, s->f_a, A); /* only the action columns change */
    rlc__tmlp_load(t1, data_q);
    const float *q = rlc__tmlp_forward(t1, B);
    double pl = 0;
    for (int b = 0; b < B; b++) {
        pl -= q[(size_t)b * qs];
        s->f_dq[(size_t)b * qs] = -1.0f / (float)B;
    }
    pl /= B;
    if (!isfinite(pl)) return rlc_error(RLC_ERR_RANGE, "td3: actor loss is %g", pl);
    const float *dx = rlc__tmlp_backward(t1, B, s->f_dq, NULL, 1);
    const int np0 = t1->np[0], off = s->D + s->S;
    for (int b = 0; b < B; b++)
        memcpy(s->f_dout + (size_t)b * as, dx + (size_t)b * np0 + off, sizeof(float) * (size_t)A);
    rlc__tmlp_backward(ta, B, s->f_dout, rlc_params_grad(s->pa), 0);
    actor_done(s, m, pl);
    return RLC_OK;
}

static rlc_status grad_step(rlc_agent *a, sums *m) {
    td3 *s = T(a);
    const rlc_td3_config *c = &s->c;
    const int B = s->B;
    rlc_status st = rlc_replay_sample(s->rb, &s->rng_replay, B, 0, &s->batch);
    if (st) return st;
    if (s->S) {
        freeze_state_stats(s);
        split_rows(s, s->ext_b_obs, s->q_obs->data, s->q_st->data);
        split_rows(s, s->ext_b_next, s->q_next->data, s->q_next_st->data);
    }
    if (c->policy_noise > 0) rlc_fill_normal(s->q_noise, &s->rng_noise);
    if (c->fused) return grad_step_fused(s, m);
    if ((st = rlc_graph_forward(s->gq))) return st;
    double ql = rlc_tensor_get(s->q_loss, 0);
    if (!isfinite(ql)) return rlc_error(RLC_ERR_RANGE, "td3: critic loss is %g", ql);
    rlc_params_zero_grad(s->pq);
    if ((st = rlc_graph_backward(s->gq, s->q_loss))) return st;
    const float *q1 = s->q_q1->data;
    double qm = 0;
    for (int i = 0; i < B; i++)
        qm += q1[i];
    critic_done(s, m, ql, qm / B);
    if (s->grad_steps % c->policy_delay) return RLC_OK;

    memcpy(s->p_obs->data, s->q_obs->data, sizeof(float) * (size_t)B * (size_t)s->D);
    if (s->S) memcpy(s->p_st->data, s->q_st->data, sizeof(float) * (size_t)B * (size_t)s->S);
    if ((st = rlc_graph_forward(s->gp))) return st;
    double pl = rlc_tensor_get(s->p_loss, 0);
    if (!isfinite(pl)) return rlc_error(RLC_ERR_RANGE, "td3: actor loss is %g", pl);
    rlc_params_zero_grad(s->pa);
    if ((st = rlc_graph_backward(s->gp, s->p_loss))) return st;
    actor_done(s, m, pl);
    return RLC_OK;
}

static rlc_status td3_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    (void)v;
    td3 *s = T(a);
    s->credit += s->c.utd * s->N;
    sums m = {0};
    rlc_status st = RLC_OK;
    while (s->credit >= 1 && !st) {
        s->credit -= 1;
        st = grad_step(a, &m);
    }
    if (st) return st;
    info->n = 0;
#define STAT(k, x) (info->key[info->n] = (k), info->value[info->n++] = (x))
    if (m.nq) {
        STAT("loss/critic", m.qloss / m.nq);
        STAT("q_mean", m.q / m.nq);
    }
    if (m.np) STAT("loss/actor", m.ploss / m.np);
#undef STAT
    return RLC_OK;
}

/* Checkpoint: the actor (with Adam) is the agent's params; here the critics ("critic.") and
 * the targets ("target."). */
static rlc_status td3_write_state(rlc_agent *a, rlc_st_writer *w) {
    td3 *s = T(a);
    rlc_status st = rlc_params_write(s->pq, w, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_write(s->pq_t, w, "target.", 0);
    if (!st) st = rlc_params_write(s->pa_t, w, "target.", 0);
    int64_t n = 2 + 4 * (int64_t)s->S;
    if (!st && s->S) st = rlc_st_writer_add_copy(w, "critic.state_stats", RLC_ST_F64, 1, &n, s->cs);
    return st;
}

static rlc_status td3_read_state(rlc_agent *a, const rlc_st_file *f) {
    td3 *s = T(a);
    rlc_status st = rlc_params_read(s->pq, f, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_read(s->pq_t, f, "target.", 0);
    if (!st) st = rlc_params_read(s->pa_t, f, "target.", 0);
    int64_t n = 2 + 4 * (int64_t)s->S;
    if (!st && s->S) st = rlc_st_read_into(f, "critic.state_stats", RLC_ST_F64, 1, &n, s->cs);
    return st;
}

/* Resumable checkpoints (any step where no sub-env waits for its autoreset): the RNG streams
 * as raw bytes (plain structs), the step counters, the update-to-data credit and the replay
 * buffer with its pending n-step queues. The step in flight (obs_prev, act_prev) is rewritten
 * by the next train_act, so it is not state. */
static rlc__offpolicy_state td3_train_state(rlc_agent *a) {
    td3 *s = T(a);
    return (rlc__offpolicy_state){&s->rng_act,    &s->rng_replay, &s->rng_noise, &s->env_steps,
                                  &s->grad_steps, &s->credit,     s->rb};
}

static rlc_status td3_write_train_state(rlc_agent *a, rlc_st_writer *w) {
    rlc__offpolicy_state t = td3_train_state(a);
    return rlc__offpolicy_write_train_state("td3", &t, w);
}

static rlc_status td3_read_train_state(rlc_agent *a, const rlc_st_file *f) {
    rlc__offpolicy_state t = td3_train_state(a);
    return rlc__offpolicy_read_train_state("td3", &t, f);
}

/* One transition as env 0's row of a replay step (the other rows skipped). Not with the
 * asymmetric critic: its replay rows carry the env's privileged state, which a caller's
 * transition does not have. */
static rlc_status td3_add_transition(rlc_agent *a, const float *obs, const float *action,
                                     double reward, const float *next_obs, int terminated,
                                     int truncated) {
    td3 *s = T(a);
    if (s->S)
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "agent_add_transition: td3 with critic_state=1 also needs the env's "
                         "privileged state");
    return rlc__replay_add_one(s->rb, &s->inj, s->N, s->D, s->A, s->scale, s->bias, obs, action,
                               reward, next_obs, terminated, truncated);
}

const rlc__algo rlc__algo_td3 = {
    .name = "td3",
    .table = rlc_td3_config_table,
    .init = td3_init,
    .destroy = td3_destroy,
    .params = td3_params,
    .act = td3_act,
    .begin = td3_begin,
    .train_act = td3_train_act,
    .observe = td3_observe,
    .update = td3_update,
    .write_state = td3_write_state,
    .read_state = td3_read_state,
    .write_train_state = td3_write_train_state,
    .read_train_state = td3_read_train_state,
    .add_transition = td3_add_transition,
};
