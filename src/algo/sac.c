/* Soft Actor-Critic (Haarnoja et al. 2018) for Box actions: twin Q critics with Polyak targets,
 * a reparameterised tanh-Gaussian actor, automatic entropy tuning and an update-to-data ratio. */
#include <math.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "core/fastmath.h"
#include "nn/nn_impl.h"
#include "rlc/optim.h"
#include "rlc/replay.h"
#include "rlc/sac.h"

RLC_CONFIG_TABLE(rlc_sac_config_table, rlc_sac_config, RLC_SAC_FIELDS)

/* A forward-only acting graph: actor outputs [n, 2A] (means, then raw log stds). */
typedef struct act_graph {
    rlc_graph *g;
    rlc_tensor *obs, *out;
    int n;
} act_graph;

typedef struct sac {
    rlc_sac_config c;
    int A, D, N, B;
    float *scale, *bias; /* [A]: env action = scale * a + bias, a in [-1, 1] */
    double target_entropy;
    rlc_params *pa, *pq, *pq_t, *pal; /* actor, critics, target critics, log_alpha */
    rlc_mlp *actor, *q1, *q2;
    rlc_optim *oa, *oq, *oal;
    rlc_replay *rb;
    rlc_rng rng_act, rng_replay, rng_noise;
    act_graph ag[2]; /* [0]: batch N, [1]: batch 1 */

    /* critic graph (batch B): inputs filled by the replay sampler */
    rlc_graph *gq;
    rlc_tensor *q_obs, *q_act, *q_rew, *q_next, *q_disc, *q_noise, *q_alpha, *q_loss, *q_q1;
    /* actor graph (batch B) */
    rlc_graph *gp;
    rlc_tensor *p_obs, *p_noise, *p_alpha, *p_loss, *p_logp;

    rlc_replay_batch batch;
    float *w;
    int64_t *idx;
    /* the step in flight: [N * D] observations, [N * A] actions in [-1, 1] */
    float *obs_prev, *act_prev, *next_obs, *rew;
    uint8_t *valid;
    int64_t env_steps, grad_steps;
    double credit;

    /* fused path (c.fused): the three networks without graphs, and its scratch */
    rlc__tmlp ta, tq[2];
    float *f_a, *f_lp, *f_y, *f_dq, *f_dout; /* [B*A], [B], [B], [B*np], [B*np_actor_out] */
    float *inj;                               /* rlc_agent_add_transition's rows (lazily) */
    double *f_head;                           /* [B*A*4]: tanh(raw), std, eps, tanh(u) */
} sac;

static sac *S(rlc_agent *a) {
    return (sac *)a->impl;
}

/* Records SAC's policy head on actor outputs out [B, 2A]: log_std = lo + (hi - lo) (tanh(raw) +
 * 1) / 2 (CleanRL's squashing of the raw log std), u = mean + exp(log_std) noise, action =
 * tanh(u) and its log-probability [B] with the tanh correction. Non-static for the tests. */
rlc_status rlc__sac_policy_head(rlc_graph *g, rlc_tensor *out, rlc_tensor *noise, double lo,
                                double hi, rlc_tensor **action, rlc_tensor **logp);
rlc_status rlc__sac_policy_head(rlc_graph *g, rlc_tensor *out, rlc_tensor *noise, double lo,
                                double hi, rlc_tensor **action, rlc_tensor **logp) {
    if (!out || out->ndim != 2) return rlc_graph_status(g) ? rlc_graph_status(g) : RLC_ERR_INVALID;
    int A = out->shape[1] / 2;
    rlc_tensor *mean = rlc_slice(g, out, 1, 0, A);
    rlc_tensor *raw = rlc_slice(g, out, 1, A, A);
    rlc_tensor *ls = rlc_add_scalar(
        g, rlc_mul_scalar(g, rlc_add_scalar(g, rlc_tanh(g, raw), 1.0), 0.5 * (hi - lo)), lo);
    return rlc_tanh_gaussian_rsample(g, mean, ls, noise, action, logp);
}

static void sac_destroy(rlc_agent *a) {
    sac *s = S(a);
    if (!s) return;
    for (int k = 0; k < 2; k++)
        rlc_graph_destroy(s->ag[k].g);
    rlc_graph_destroy(s->gq);
    rlc_graph_destroy(s->gp);
    rlc_optim_destroy(s->oa);
    rlc_optim_destroy(s->oq);
    rlc_optim_destroy(s->oal);
    rlc_mlp_destroy(s->actor);
    rlc_mlp_destroy(s->q1);
    rlc_mlp_destroy(s->q2);
    rlc_params_destroy(s->pa);
    rlc_params_destroy(s->pq);
    rlc_params_destroy(s->pq_t);
    rlc_params_destroy(s->pal);
    rlc_replay_destroy(s->rb);
    rlc__tmlp_free(&s->ta);
    rlc__tmlp_free(&s->tq[0]);
    rlc__tmlp_free(&s->tq[1]);
    void *bufs[] = {s->scale,    s->bias,     s->w,   s->idx,  s->obs_prev, s->act_prev,
                    s->next_obs, s->rew,      s->valid, s->f_a, s->f_lp,  s->f_y,
                    s->f_dq,     s->f_dout,   s->f_head,  s->inj};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        rlc_free(bufs[i]);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *sac_params(rlc_agent *a) {
    return S(a)->pa;
}

static double log_alpha(sac *s) {
    return ((const float *)rlc_params_data(s->pal))[0];
}

/* Twin critics on concat(obs, act) with params p (the critics' own or the targets). */
static rlc_tensor *min_q(rlc_graph *g, sac *s, rlc_params *p, rlc_tensor *obs, rlc_tensor *act,
                         rlc_tensor **q1, rlc_tensor **q2) {
    rlc_tensor *x = rlc_concat(g, (rlc_tensor *[]){obs, act}, 2, 1);
    rlc_tensor *a1 = rlc_mlp_forward_params(g, s->q1, p, x);
    rlc_tensor *a2 = rlc_mlp_forward_params(g, s->q2, p, x);
    if (q1) *q1 = a1;
    if (q2) *q2 = a2;
    return rlc_minimum(g, a1, a2);
}

static rlc_status build_graphs(rlc_agent *a) {
    sac *s = S(a);
    const int B = s->B, D = s->D, A = s->A;
    const double lo = s->c.log_std_min, hi = s->c.log_std_max;
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

    /* critic loss: (Q_i(s, a) - y)^2, y = r + disc (min_i Qt_i(s', a') - alpha log pi(a'|s')) */
    rlc_graph *g = s->gq = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->q_obs = rlc_input(g, 2, (int[]){B, D});
    s->q_act = rlc_input(g, 2, (int[]){B, A});
    s->q_rew = rlc_input(g, 2, (int[]){B, 1});
    s->q_next = rlc_input(g, 2, (int[]){B, D});
    s->q_disc = rlc_input(g, 2, (int[]){B, 1});
    s->q_noise = rlc_input(g, 2, (int[]){B, A});
    s->q_alpha = rlc_input(g, 1, (int[]){1});
    rlc_tensor *an = NULL, *lpn = NULL;
    rlc__sac_policy_head(g, rlc_mlp_forward(g, s->actor, s->q_next), s->q_noise, lo, hi, &an, &lpn);
    rlc_tensor *qn = min_q(g, s, s->pq_t, s->q_next, an, NULL, NULL);
    rlc_tensor *soft =
        rlc_sub(g, qn, rlc_mul(g, s->q_alpha, rlc_reshape(g, lpn, 2, (int[]){B, 1})));
    rlc_tensor *y = rlc_stop_gradient(g, rlc_add(g, s->q_rew, rlc_mul(g, s->q_disc, soft)));
    rlc_tensor *q2 = NULL;
    min_q(g, s, s->pq, s->q_obs, s->q_act, &s->q_q1, &q2);
    s->q_loss = rlc_add(g, rlc_mse(g, s->q_q1, y), rlc_mse(g, q2, y));
    if ((st = rlc_graph_status(g))) return st;

    /* actor loss: mean(alpha log pi(a|s) - min_i Q_i(s, a)), a reparameterised */
    g = s->gp = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->p_obs = rlc_input(g, 2, (int[]){B, D});
    s->p_noise = rlc_input(g, 2, (int[]){B, A});
    s->p_alpha = rlc_input(g, 1, (int[]){1});
    rlc_tensor *ap = NULL;
    rlc__sac_policy_head(g, rlc_mlp_forward(g, s->actor, s->p_obs), s->p_noise, lo, hi, &ap,
                         &s->p_logp);
    rlc_tensor *xp = rlc_concat(g, (rlc_tensor *[]){s->p_obs, ap}, 2, 1);
    rlc_tensor *qp = rlc_minimum(g, rlc_mlp_forward_frozen(g, s->q1, s->pq, xp),
                                 rlc_mlp_forward_frozen(g, s->q2, s->pq, xp));
    rlc_tensor *lp2 = rlc_reshape(g, s->p_logp, 2, (int[]){B, 1});
    s->p_loss = rlc_mean_all(g, rlc_sub(g, rlc_mul(g, s->p_alpha, lp2), qp));
    return rlc_graph_status(g);
}

static rlc_status make_mlp(rlc_agent *a, rlc_params *p, const char *name, int in, int out, int ln,
                           rlc_rng *rng, rlc_mlp **m) {
    const rlc_sac_config *c = &S(a)->c;
    int sizes[RLC_MLP_MAX_SIZES], ns = 0;
    sizes[ns++] = in;
    for (int i = 0; i < c->layers; i++)
        sizes[ns++] = (int)c->hidden;
    sizes[ns++] = out;
    /* PyTorch-default init, as CleanRL and SB3 */
    rlc_mlp_spec spec = {.sizes = sizes,
                         .nsizes = ns,
                         .act = c->activation == 0 ? RLC_ACT_RELU : RLC_ACT_TANH,
                         .out_act = RLC_ACT_NONE,
                         .layer_norm = ln ? RLC_LN_AFFINE : RLC_LN_NONE};
    *m = rlc_mlp_create(p, name, &spec, rng);
    return *m ? RLC_OK : RLC_ERR_NOMEM;
}

static rlc_status sac_init(rlc_agent *a) {
    const rlc_sac_config *c = a->cfg;
    const rlc_space *as = a->action_space;
    rlc_status st_spaces = rlc__require_bounded_box(a, "sac");
    if (st_spaces != RLC_OK) return st_spaces;
    if (c->num_threads > c->num_envs)
        return rlc_error(RLC_ERR_INVALID, "sac: num_threads (%lld) exceeds num_envs (%lld)",
                         (long long)c->num_threads, (long long)c->num_envs);
    if (c->autotune && !(c->alpha > 0))
        return rlc_error(RLC_ERR_INVALID, "sac: autotune needs an initial alpha > 0");
    if (c->log_std_min >= c->log_std_max)
        return rlc_error(RLC_ERR_INVALID, "sac: log_std_min must be below log_std_max");
    sac *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    s->A = (int)as->size;
    s->D = a->obs_size;
    s->N = (int)c->num_envs;
    s->B = (int)c->batch_size;
    s->target_entropy = -c->target_entropy_scale * s->A;
    a->num_envs = s->N;
    a->num_threads = (int)c->num_threads;

    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng_act, a->seed, 1);
    rlc_rng_seed_stream(&s->rng_replay, a->seed, 2);
    rlc_rng_seed_stream(&s->rng_noise, a->seed, 3);

    rlc_status st = RLC_OK;
    const int A = s->A, D = s->D, N = s->N, B = s->B;
    s->pa = rlc_params_create(RLC_F32);
    s->pq = rlc_params_create(RLC_F32);
    s->pal = rlc_params_create(RLC_F32);
    if (!s->pa || !s->pq || !s->pal) st = RLC_ERR_NOMEM;
    if (!st) st = make_mlp(a, s->pa, "actor", D, 2 * A, 0, &init_rng, &s->actor);
    if (!st) st = make_mlp(a, s->pq, "q1", D + A, 1, (int)c->critic_layer_norm, &init_rng, &s->q1);
    if (!st) st = make_mlp(a, s->pq, "q2", D + A, 1, (int)c->critic_layer_norm, &init_rng, &s->q2);
    if (!st) st = rlc_params_add(s->pal, "log_alpha", 1, (int[]){1}, NULL);
    if (!st) {
        float *la = rlc_params_data(s->pal);
        la[0] = c->alpha > 0 ? (float)log(c->alpha) : -INFINITY;
        if (!(s->pq_t = rlc_params_clone(s->pq))) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
        oc.lr = c->policy_lr;
        s->oa = rlc_optim_create(s->pa, &oc);
        oc.lr = c->q_lr;
        s->oq = rlc_optim_create(s->pq, &oc);
        oc.lr = c->alpha_lr;
        s->oal = rlc_optim_create(s->pal, &oc);
        if (!s->oa || !s->oq || !s->oal) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_graphs(a);
    if (!st) {
        rlc_replay_config rc = {.capacity = c->buffer_size,
                                .obs_dim = D,
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
    if (!st && c->fused) {
        const int nb = B > N ? B : N;
        st = rlc__tmlp_init_ac("sac", &s->ta, s->actor, nb, s->tq, s->q1, s->q2, B);
        if (!st) {
            s->f_a = rlc_calloc((size_t)B * A, sizeof(float));
            s->f_lp = rlc_calloc((size_t)B, sizeof(float));
            s->f_y = rlc_calloc((size_t)B, sizeof(float));
            s->f_dq = rlc_calloc((size_t)B * s->tq[0].np[s->tq[0].nl], sizeof(float));
            s->f_dout = rlc_calloc((size_t)B * s->ta.np[s->ta.nl], sizeof(float));
            s->f_head = rlc_calloc((size_t)B * A * 4, sizeof(double));
            if (!s->f_a || !s->f_lp || !s->f_y || !s->f_dq || !s->f_dout || !s->f_head)
                st = RLC_ERR_NOMEM;
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
    }
    if (st) sac_destroy(a);
    return st;
}

/* Actions in [-1, 1] from the acting graph's outputs: tanh(mean) when deterministic, else
 * tanh(mean + std eps); written to x[n * A] (may be NULL) and rescaled to env_act. */
static void choose(rlc_agent *a, const float *out, int stride, int n, int deterministic, float *x,
                   float *env_act) {
    sac *s = S(a);
    const int A = s->A;
    const double lo = s->c.log_std_min, hi = s->c.log_std_max;
    const rlc_space *as = a->action_space;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < A; j++) {
            double mu = out[(size_t)i * stride + j], u = mu;
            if (!deterministic) {
                double raw = out[(size_t)i * stride + A + j];
                double ls = lo + 0.5 * (hi - lo) * (tanh(raw) + 1);
                u = mu + exp(ls) * rlc_rng_normal(&s->rng_act);
            }
            float t = (float)tanh(u);
            if (x) x[(size_t)i * A + j] = t;
            double e = (double)s->scale[j] * t + s->bias[j];
            if (e < as->low[j]) e = as->low[j];
            if (e > as->high[j]) e = as->high[j];
            env_act[(size_t)i * A + j] = (float)e;
        }
    }
}

static rlc_status sac_act(rlc_agent *a, const float *obs, int n, void *actions, int deterministic) {
    sac *s = S(a);
    act_graph *ag = n == s->N ? &s->ag[0] : &s->ag[1];
    memcpy(ag->obs->data, obs, sizeof(float) * (size_t)n * (size_t)s->D);
    rlc_status st = rlc_graph_forward(ag->g);
    if (st) return st;
    choose(a, ag->out->data, 2 * s->A, ag->n, deterministic, NULL, actions);
    return RLC_OK;
}

static void sac_begin(rlc_agent *a, int64_t total_steps) {
    (void)total_steps;
    sac *s = S(a);
    s->env_steps = 0;
    s->credit = 0;
}

static rlc_status sac_train_act(rlc_agent *a, rlc_vec_env *v) {
    sac *s = S(a);
    const int N = s->N, A = s->A;
    memcpy(s->obs_prev, v->obs_f32, sizeof(float) * (size_t)N * (size_t)s->D);
    if (s->env_steps < s->c.learning_starts) {
        float *env_act = v->actions;
        for (int k = 0; k < N * A; k++) {
            int j = k % A;
            s->act_prev[k] = (float)rlc_rng_uniform(&s->rng_act, -1, 1);
            env_act[k] = s->scale[j] * s->act_prev[k] + s->bias[j];
            const rlc_space *as = a->action_space;
            if (env_act[k] < as->low[j]) env_act[k] = (float)as->low[j];
            if (env_act[k] > as->high[j]) env_act[k] = (float)as->high[j];
        }
        return RLC_OK;
    }
    if (s->c.fused) { /* the same actor outputs, without the graph */
        rlc__tmlp *t = &s->ta;
        rlc__tmlp_fill(t, N, 0, v->obs_f32, s->D);
        rlc__tmlp_load(t, rlc_params_data(s->pa));
        const float *out = rlc__tmlp_forward(t, N);
        choose(a, out, t->np[t->nl], N, 0, s->act_prev, v->actions);
        return RLC_OK;
    }
    memcpy(s->ag[0].obs->data, v->obs_f32, sizeof(float) * (size_t)N * (size_t)s->D);
    rlc_status st = rlc_graph_forward(s->ag[0].g);
    if (st) return st;
    choose(a, s->ag[0].out->data, 2 * s->A, N, 0, s->act_prev, v->actions);
    return RLC_OK;
}

static int sac_observe(rlc_agent *a, const rlc_vec_env *v) {
    sac *s = S(a);
    const int N = s->N;
    const size_t D = (size_t)s->D;
    for (int i = 0; i < N; i++) {
        /* an episode that just ended bootstraps (truncation) from its final observation */
        const float *nx = v->terminated[i] | v->truncated[i] ? v->final_obs_f32 : v->obs_f32;
        memcpy(s->next_obs + (size_t)i * D, nx + (size_t)i * D, sizeof(float) * D);
        s->rew[i] = (float)v->rewards[i];
        s->valid[i] = !v->autoreset[i];
    }
    /* cannot fail with these arguments (sizes fixed at creation) */
    rlc_replay_add(s->rb, s->obs_prev, s->act_prev, s->rew, s->next_obs, v->terminated,
                   v->truncated, s->valid);
    s->env_steps += N;
    return s->env_steps >= s->c.learning_starts && rlc_replay_size(s->rb) > 0;
}

/* Running sums of the diagnostics of one update call. */
typedef struct sums {
    double qloss, ploss, q, ent;
    int nq, np;
} sums;

/* After the critics' gradients (either path): their Adam step and the diagnostics (loss ql,
 * mean Q1 qm). */
static void critic_done(sac *s, sums *m, double ql, double qm) {
    rlc_optim_step(s->oq);
    m->qloss += ql;
    m->q += qm;
    m->nq++;
    s->grad_steps++;
}

/* After an actor step (either path): the alpha step on the mean log-probability lpm and the
 * diagnostics. */
static void actor_done(sac *s, sums *m, double pl, double lpm) {
    if (s->c.autotune) {
        /* SB3's loss -log_alpha * (log pi + target entropy), averaged: its gradient */
        float *gr = rlc_params_grad(s->pal);
        gr[0] = (float)(-(lpm + s->target_entropy));
        rlc_optim_step(s->oal);
    }
    m->ploss += pl;
    m->ent += -lpm;
    m->np++;
}

static rlc_status grad_step(rlc_agent *a, sums *m) {
    sac *s = S(a);
    const rlc_sac_config *c = &s->c;
    const int B = s->B;
    rlc_status st = rlc_replay_sample(s->rb, &s->rng_replay, B, 0, &s->batch);
    if (st) return st;
    float alpha = (float)exp(log_alpha(s));
    ((float *)s->q_alpha->data)[0] = alpha;
    rlc_fill_normal(s->q_noise, &s->rng_noise);
    if ((st = rlc_graph_forward(s->gq))) return st;
    double ql = rlc_tensor_get(s->q_loss, 0);
    if (!isfinite(ql)) return rlc_error(RLC_ERR_RANGE, "sac: critic loss is %g", ql);
    rlc_params_zero_grad(s->pq);
    if ((st = rlc_graph_backward(s->gq, s->q_loss))) return st;
    const float *q1 = s->q_q1->data;
    double qm = 0;
    for (int i = 0; i < B; i++)
        qm += q1[i];
    critic_done(s, m, ql, qm / B);

    if (s->grad_steps % c->policy_every == 0) {
        memcpy(s->p_obs->data, s->q_obs->data, sizeof(float) * (size_t)B * (size_t)s->D);
        ((float *)s->p_alpha->data)[0] = alpha;
        rlc_fill_normal(s->p_noise, &s->rng_noise);
        if ((st = rlc_graph_forward(s->gp))) return st;
        double pl = rlc_tensor_get(s->p_loss, 0);
        if (!isfinite(pl)) return rlc_error(RLC_ERR_RANGE, "sac: actor loss is %g", pl);
        rlc_params_zero_grad(s->pa);
        if ((st = rlc_graph_backward(s->gp, s->p_loss))) return st;
        rlc_optim_step(s->oa);
        const float *lp = s->p_logp->data;
        double lpm = 0;
        for (int i = 0; i < B; i++)
            lpm += lp[i];
        actor_done(s, m, pl, lpm / B);
    }
    if (s->grad_steps % c->target_every == 0) rlc_params_polyak(s->pq_t, s->pq, c->tau);
    return RLC_OK;
}


/* ---- the fused path: the graphs' losses and gradients, written out ---- */

/* Policy head on actor outputs out [B][stride] (means, raw log stds) and noise [B][A]:
 * log_std = lo + (hi - lo) (tanh(raw) + 1) / 2, u = mean + exp(log_std) eps, a = tanh(u),
 * log pi = sum_j (-eps^2 / 2 - log_std - log(2 pi) / 2) - 2 sum_j (log 2 - u - softplus(-2u)).
 * Writes a [B][A], logp [B], and keeps tanh(raw), std, eps, a per element for the backward
 * pass. Elementwise in float as the graph's ops, sums in double. */
static void head_forward(sac *s, const float *out, int stride, const float *noise, int B) {
    const int A = s->A;
    const double lo = s->c.log_std_min, hi = s->c.log_std_max;
    const double half_log_2pi = 0.91893853320467274178, log2 = 0.69314718055994530942;
    for (int b = 0; b < B; b++) {
        double lp = 0, corr = 0;
        for (int j = 0; j < A; j++) {
            const float mu = out[(size_t)b * stride + j], raw = out[(size_t)b * stride + A + j];
            const float tr = rlc__tanhf(raw), ls = (float)(lo + 0.5 * (hi - lo) * (tr + 1));
            const float sd = expf(ls), eps = noise[(size_t)b * A + j], u = mu + sd * eps;
            const float t = rlc__tanhf(u), y = -2 * u; /* softplus(y), stable */
            const float sp = (y > 0 ? y : 0) + log1pf(expf(-fabsf(y)));
            lp += -0.5 * eps * eps - ls - half_log_2pi;
            corr += log2 - u - sp;
            s->f_a[(size_t)b * A + j] = t;
            double *h = s->f_head + ((size_t)b * A + j) * 4;
            h[0] = tr, h[1] = sd, h[2] = eps, h[3] = t;
        }
        s->f_lp[b] = (float)(lp - 2 * corr);
    }
}

/* Gradient of the head: ga [B][A] = dL/da, dL/dlogp = glp for every row; writes dL/d(actor
 * outputs) to s->f_dout [B][stride]. d logp/du = 2 tanh(u); through
 * u = mean + std eps, log pi's Gaussian part depends on log_std only (-1 per element). */
static void head_backward(sac *s, const float *ga, double glp, int stride, int B) {
    const int A = s->A;
    const double lo = s->c.log_std_min, hi = s->c.log_std_max;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < A; j++) {
            const double *h = s->f_head + ((size_t)b * A + j) * 4;
            const double tr = h[0], sd = h[1], eps = h[2], t = h[3];
            const double du = ga[(size_t)b * A + j] * (1 - t * t) + glp * 2 * t;
            const double dls = du * sd * eps - glp;
            s->f_dout[(size_t)b * stride + j] = (float)du;
            s->f_dout[(size_t)b * stride + A + j] = (float)(dls * 0.5 * (hi - lo) * (1 - tr * tr));
        }
}

/* Critic inputs [x | act] into both critics' first activation rows. */
static void fill_q_input(sac *s, const float *x, const float *act, int B) {
    for (int k = 0; k < 2; k++) {
        rlc__tmlp_fill(&s->tq[k], B, 0, x, s->D);
        rlc__tmlp_fill(&s->tq[k], B, s->D, act, s->A);
    }
}

/* One SAC gradient step as grad_step, on the fused networks: the same batch, noise draws,
 * losses and optimizer steps; the sums differ only in rounding. */
static rlc_status grad_step_fused(rlc_agent *a, sums *m) {
    sac *s = S(a);
    const rlc_sac_config *c = &s->c;
    const int B = s->B, A = s->A;
    rlc_status st = rlc_replay_sample(s->rb, &s->rng_replay, B, 0, &s->batch);
    if (st) return st;
    const float alpha = (float)exp(log_alpha(s));
    rlc_fill_normal(s->q_noise, &s->rng_noise);
    const float *obs = s->q_obs->data, *act = s->q_act->data, *next = s->q_next->data;
    const float *rew = s->q_rew->data, *disc = s->q_disc->data;
    rlc__tmlp *ta = &s->ta, *tq = s->tq;
    const int qs = tq[0].np[tq[0].nl], as = ta->np[ta->nl];

    /* targets: y = r + disc (min_i Qt_i(s', a') - alpha log pi(a'|s')) */
    rlc__tmlp_fill(ta, B, 0, next, s->D);
    rlc__tmlp_load(ta, rlc_params_data(s->pa));
    head_forward(s, rlc__tmlp_forward(ta, B), as, s->q_noise->data, B);
    fill_q_input(s, next, s->f_a, B);
    const float *data_t = rlc_params_data(s->pq_t);
    rlc__tmlp_load(&tq[0], data_t);
    rlc__tmlp_load(&tq[1], data_t);
    const float *qt1 = rlc__tmlp_forward(&tq[0], B), *qt2 = rlc__tmlp_forward(&tq[1], B);
    for (int b = 0; b < B; b++) {
        const float x1 = qt1[(size_t)b * qs], x2 = qt2[(size_t)b * qs];
        const float mn = x2 < x1 ? x2 : x1;
        s->f_y[b] = rew[b] + disc[b] * (mn - alpha * s->f_lp[b]);
    }
    /* critic loss mean (Q1 - y)^2 + mean (Q2 - y)^2 and its gradients */
    fill_q_input(s, obs, act, B);
    float *data_q = rlc_params_data(s->pq);
    double qm = 0;
    const double ql =
        rlc__tmlp_mse_step(tq, 2, data_q, rlc_params_grad(s->pq), s->f_y, B, s->f_dq, &qm);
    if (!isfinite(ql)) return rlc_error(RLC_ERR_RANGE, "sac: critic loss is %g", ql);
    critic_done(s, m, ql, qm);

    if (s->grad_steps % c->policy_every == 0) {
        /* actor loss mean(alpha log pi(a|s) - min_i Q_i(s, a)), a = tanh(mean + std eps) */
        rlc_fill_normal(s->p_noise, &s->rng_noise);
        rlc__tmlp_fill(ta, B, 0, obs, s->D);
        rlc__tmlp_load(ta, rlc_params_data(s->pa));
        head_forward(s, rlc__tmlp_forward(ta, B), as, s->p_noise->data, B);
        fill_q_input(s, obs, s->f_a, B);
        rlc__tmlp_load(&tq[0], data_q);
        rlc__tmlp_load(&tq[1], data_q);
        const float *q1 = rlc__tmlp_forward(&tq[0], B), *q2 = rlc__tmlp_forward(&tq[1], B);
        double pl = 0, lpm = 0;
        float *dq1 = s->f_dq;
        for (int b = 0; b < B; b++) {
            const float x1 = q1[(size_t)b * qs], x2 = q2[(size_t)b * qs];
            const int second = x2 < x1; /* rlc_minimum's gradient goes to the smaller */
            pl += (double)alpha * s->f_lp[b] - (second ? x2 : x1);
            lpm += s->f_lp[b];
            dq1[(size_t)b * qs] = second ? 0.0f : -1.0f / (float)B;
        }
        pl /= B;
        lpm /= B;
        if (!isfinite(pl)) return rlc_error(RLC_ERR_RANGE, "sac: actor loss is %g", pl);
        /* dL/da through critic 1 for its rows, then critic 2 for the others */
        const float *dx1 = rlc__tmlp_backward(&tq[0], B, dq1, NULL, 1);
        const int np0 = tq[0].np[0];
        /* keep critic 1's action gradients in f_a (the actions are no longer needed) */
        for (int b = 0; b < B; b++)
            for (int j = 0; j < A; j++)
                s->f_a[(size_t)b * A + j] = dx1[(size_t)b * np0 + s->D + j];
        for (int b = 0; b < B; b++) {
            const float x1 = q1[(size_t)b * qs], x2 = q2[(size_t)b * qs];
            dq1[(size_t)b * qs] = x2 < x1 ? -1.0f / (float)B : 0.0f;
        }
        const float *dx2 = rlc__tmlp_backward(&tq[1], B, dq1, NULL, 1);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < A; j++)
                s->f_a[(size_t)b * A + j] += dx2[(size_t)b * np0 + s->D + j];
        head_backward(s, s->f_a, (double)alpha / B, as, B);
        rlc__tmlp_backward(ta, B, s->f_dout, rlc_params_grad(s->pa), 0);
        rlc_optim_step(s->oa);
        actor_done(s, m, pl, lpm);
    }
    if (s->grad_steps % c->target_every == 0) rlc_params_polyak(s->pq_t, s->pq, c->tau);
    return RLC_OK;
}

static rlc_status sac_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    (void)v;
    sac *s = S(a);
    s->credit += s->c.utd * s->N;
    sums m = {0};
    rlc_status st = RLC_OK;
    while (s->credit >= 1 && !st) {
        s->credit -= 1;
        st = s->c.fused ? grad_step_fused(a, &m) : grad_step(a, &m);
    }
    if (st) return st;
    info->n = 0;
#define STAT(k, x) (info->key[info->n] = (k), info->value[info->n++] = (x))
    if (m.nq) {
        STAT("loss/critic", m.qloss / m.nq);
        STAT("q_mean", m.q / m.nq);
    }
    if (m.np) {
        STAT("loss/actor", m.ploss / m.np);
        STAT("entropy", m.ent / m.np);
    }
    STAT("alpha", exp(log_alpha(s)));
#undef STAT
    return RLC_OK;
}

/* Checkpoint: the actor (with Adam) is the agent's params; here the critics ("critic."), their
 * targets ("target.") and log_alpha ("alpha."), with optimizer states. */
static rlc_status sac_write_state(rlc_agent *a, rlc_st_writer *w) {
    sac *s = S(a);
    rlc_status st = rlc_params_write(s->pq, w, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_write(s->pq_t, w, "target.", 0);
    if (!st) st = rlc_params_write(s->pal, w, "alpha.", RLC_CKPT_OPTIM);
    return st;
}

static rlc_status sac_read_state(rlc_agent *a, const rlc_st_file *f) {
    sac *s = S(a);
    rlc_status st = rlc_params_read(s->pq, f, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_read(s->pq_t, f, "target.", 0);
    if (!st) st = rlc_params_read(s->pal, f, "alpha.", RLC_CKPT_OPTIM);
    return st;
}

/* Resumable checkpoints (any step where no sub-env waits for its autoreset): the RNG streams
 * as raw bytes (plain structs), the step counters, the update-to-data credit and the replay
 * buffer with its pending n-step queues. The step in flight (obs_prev, act_prev) is rewritten
 * by the next train_act, so it is not state. */
static rlc__offpolicy_state sac_train_state(rlc_agent *a) {
    sac *s = S(a);
    return (rlc__offpolicy_state){&s->rng_act,   &s->rng_replay, &s->rng_noise, &s->env_steps,
                                  &s->grad_steps, &s->credit,     s->rb};
}

static rlc_status sac_write_train_state(rlc_agent *a, rlc_st_writer *w) {
    rlc__offpolicy_state t = sac_train_state(a);
    return rlc__offpolicy_write_train_state("sac", &t, w);
}

static rlc_status sac_read_train_state(rlc_agent *a, const rlc_st_file *f) {
    rlc__offpolicy_state t = sac_train_state(a);
    return rlc__offpolicy_read_train_state("sac", &t, f);
}

/* One transition as env 0's row of a replay step (the other rows skipped). */
static rlc_status sac_add_transition(rlc_agent *a, const float *obs, const float *action,
                                     double reward, const float *next_obs, int terminated,
                                     int truncated) {
    sac *s = S(a);
    return rlc__replay_add_one(s->rb, &s->inj, s->N, s->D, s->A, s->scale, s->bias, obs, action,
                               reward, next_obs, terminated, truncated);
}

int64_t rlc__sac_replay_size(const rlc_agent *a);
int64_t rlc__sac_replay_size(const rlc_agent *a) {
    return rlc_replay_size(((const sac *)a->impl)->rb);
}

const rlc__algo rlc__algo_sac = {
    .name = "sac",
    .table = rlc_sac_config_table,
    .init = sac_init,
    .destroy = sac_destroy,
    .params = sac_params,
    .act = sac_act,
    .begin = sac_begin,
    .train_act = sac_train_act,
    .observe = sac_observe,
    .update = sac_update,
    .write_state = sac_write_state,
    .read_state = sac_read_state,
    .write_train_state = sac_write_train_state,
    .read_train_state = sac_read_train_state,
    .add_transition = sac_add_transition,
};
