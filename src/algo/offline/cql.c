/* Conservative Q-Learning (Kumar et al. 2020). Box actions: SAC (twin critics, tanh-Gaussian
 * actor, automatic entropy) whose critics also minimise the CQL(H) penalty
 *   alpha' (log sum_{a ~ mu} exp(Q(s, a) - log mu(a)) - Q(s, a_data)),
 * the logsumexp over n_actions uniform actions (density 2^-A on [-1, 1]^A), n_actions policy
 * actions at s and n_actions policy actions at s' (importance weights 1 / pi), as the
 * reference code; alpha' fixed or tuned by a Lagrange multiplier so that the penalty stays at
 * target_action_gap. Discrete actions: a DQN-style Q network (Huber TD loss, hard target copies)
 * with the penalty alpha' (logsumexp_a Q(s, a) - Q(s, a_data)). */
#include <math.h>
#include <string.h>

#include "algo/offline/offline_impl.h"

RLC_CONFIG_TABLE(rlc_cql_config_table, rlc_cql_config, RLC_CQL_FIELDS)

typedef struct cql {
    rlc__offline_core core;
    rlc_cql_config c;
    int N; /* sampled actions per kind */
    double target_entropy;
    rlc_params *pa, *pq, *pq_t, *pal, *pap; /* actor, critics, targets, log alpha, log alpha' */
    rlc__offline_policy pol; /* Box: the actor; Discrete: the Q network (in pq) */
    rlc_mlp *q1, *q2;
    rlc_optim *oa, *oq, *oal, *oap;
    rlc_rng rng;
    /* critic graph */
    rlc_graph *gq;
    rlc_tensor *q_obs, *q_act, *q_rew, *q_next, *q_nd, *q_noise, *q_alpha, *q_loss, *q_q1;
    rlc_tensor *q_pin, *q_pnoise, *q_rand, *q_obs3, *q_w, *q_pen1, *q_pen2;
    /* actor graph (Box) */
    rlc_graph *gp;
    rlc_tensor *p_obs, *p_noise, *p_alpha, *p_loss, *p_logp;
    /* behaviour-cloning warm start of the actor (bc_steps, the reference code's
     * policy_eval_start): mean(alpha log pi(a_pi|s) - log pi(a_data|s)) */
    rlc_graph *gb;
    rlc_tensor *b_obs, *b_act, *b_noise, *b_alpha, *b_loss, *b_logp;
} cql;

static void cql_destroy(rlc_agent *a) {
    cql *s = a->impl;
    if (!s) return;
    rlc_graph_destroy(s->gq);
    rlc_graph_destroy(s->gp);
    rlc_graph_destroy(s->gb);
    rlc__offline_policy_free(&s->pol);
    rlc_mlp_destroy(s->q1);
    rlc_mlp_destroy(s->q2);
    rlc_optim *os[] = {s->oa, s->oq, s->oal, s->oap};
    for (int i = 0; i < 4; i++)
        rlc_optim_destroy(os[i]);
    rlc_params *ps[] = {s->pa, s->pq, s->pq_t, s->pal, s->pap};
    for (int i = 0; i < 5; i++)
        rlc_params_destroy(ps[i]);
    rlc__offline_core_free(&s->core);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *cql_params(rlc_agent *a) {
    cql *s = a->impl;
    return s->core.discrete ? s->pq : s->pa;
}

/* One critic's CQL(H) penalty: mean_b logsumexp over the 3N weighted samples minus
 * mean Q(s, a_data). qall [3BN, 1] in blocks (uniform, pi(s), pi(s')) of B x N rows. */
static rlc_tensor *penalty(rlc_graph *g, rlc_tensor *qall, rlc_tensor *logw, rlc_tensor *qdata,
                           int B, int N) {
    rlc_tensor *x = rlc_add(g, qall, logw);
    x = rlc_transpose(g, rlc_reshape(g, x, 3, (int[]){3, B, N}), 0, 1);
    x = rlc_logsumexp(g, rlc_reshape(g, x, 2, (int[]){B, 3 * N}), 1);
    return rlc_sub(g, rlc_mean_all(g, x), rlc_mean_all(g, qdata));
}

static rlc_status build_box(cql *s) {
    const int B = s->core.B, D = s->core.D, A = s->core.A, N = s->N, BN = B * N;
    const rlc_cql_config *c = &s->c;
    rlc_graph *g = s->gq = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->q_obs = rlc_input(g, 2, (int[]){B, D});
    s->q_act = rlc_input(g, 2, (int[]){B, A});
    s->q_rew = rlc_input(g, 2, (int[]){B, 1});
    s->q_next = rlc_input(g, 2, (int[]){B, D});
    s->q_nd = rlc_input(g, 2, (int[]){B, 1});
    s->q_noise = rlc_input(g, 2, (int[]){B, A});
    s->q_alpha = rlc_input(g, 1, (int[]){1});
    s->q_pin = rlc_input(g, 2, (int[]){2 * BN, D});    /* s repeated N times, then s' */
    s->q_pnoise = rlc_input(g, 2, (int[]){2 * BN, A});
    s->q_rand = rlc_input(g, 2, (int[]){BN, A});       /* uniform in [-1, 1] */
    s->q_obs3 = rlc_input(g, 2, (int[]){3 * BN, D});   /* s repeated N times, thrice */
    s->q_w = rlc_input(g, 1, (int[]){1});              /* alpha' */
    /* TD target with a' ~ pi(s') */
    rlc_tensor *an = NULL, *lpn = NULL;
    rlc__offline_tanh_gauss_sample(g, &s->pol, s->q_next, s->q_noise, &an, &lpn);
    rlc_tensor *qn = rlc__offline_min_q(g, s->q1, s->q2, s->pq_t, s->q_next, an, NULL, NULL);
    if (c->backup_entropy)
        qn = rlc_sub(g, qn, rlc_mul(g, s->q_alpha, rlc_reshape(g, lpn, 2, (int[]){B, 1})));
    rlc_tensor *y = rlc_stop_gradient(
        g, rlc_add(g, s->q_rew, rlc_mul_scalar(g, rlc_mul(g, s->q_nd, qn), c->gamma)));
    rlc_tensor *q2 = NULL;
    rlc__offline_min_q(g, s->q1, s->q2, s->pq, s->q_obs, s->q_act, &s->q_q1, &q2);
    rlc_tensor *td = rlc_add(g, rlc_mse(g, s->q_q1, y), rlc_mse(g, q2, y));
    /* the penalty's samples */
    rlc_tensor *ap = NULL, *lpp = NULL;
    rlc__offline_tanh_gauss_sample(g, &s->pol, s->q_pin, s->q_pnoise, &ap, &lpp);
    ap = rlc_stop_gradient(g, ap);
    lpp = rlc_stop_gradient(g, rlc_reshape(g, lpp, 2, (int[]){2 * BN, 1}));
    rlc_tensor *act3 = rlc_concat(g, (rlc_tensor *[]){s->q_rand, ap}, 2, 0);
    rlc_tensor *logw = rlc_concat(
        g, (rlc_tensor *[]){rlc_full(g, 2, (int[]){BN, 1}, A * log(2.0)), rlc_neg(g, lpp)}, 2, 0);
    rlc_tensor *r1 = NULL, *r2 = NULL;
    rlc__offline_min_q(g, s->q1, s->q2, s->pq, s->q_obs3, act3, &r1, &r2);
    s->q_pen1 = penalty(g, r1, logw, s->q_q1, B, N);
    s->q_pen2 = penalty(g, r2, logw, q2, B, N);
    s->q_loss = rlc_add(g, td, rlc_mul(g, s->q_w, rlc_add(g, s->q_pen1, s->q_pen2)));
    rlc_status st = rlc_graph_status(g);
    if (st) return st;

    /* actor: mean(alpha log pi(a|s) - min_i Q_i(s, a)), a reparameterised */
    g = s->gp = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->p_obs = rlc_input(g, 2, (int[]){B, D});
    s->p_noise = rlc_input(g, 2, (int[]){B, A});
    s->p_alpha = rlc_input(g, 1, (int[]){1});
    rlc_tensor *a_ = NULL;
    rlc__offline_tanh_gauss_sample(g, &s->pol, s->p_obs, s->p_noise, &a_, &s->p_logp);
    rlc_tensor *xp = rlc_concat(g, (rlc_tensor *[]){s->p_obs, a_}, 2, 1);
    rlc_tensor *qp = rlc_minimum(g, rlc__frozen_mlp(g, s->q1, s->pq, "q1", 0, RLC_ACT_RELU, xp),
                                 rlc__frozen_mlp(g, s->q2, s->pq, "q2", 0, RLC_ACT_RELU, xp));
    rlc_tensor *lp2 = rlc_reshape(g, s->p_logp, 2, (int[]){B, 1});
    s->p_loss = rlc_mean_all(g, rlc_sub(g, rlc_mul(g, s->p_alpha, lp2), qp));
    if ((st = rlc_graph_status(g))) return st;

    g = s->gb = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->b_obs = rlc_input(g, 2, (int[]){B, D});
    s->b_act = rlc_input(g, 2, (int[]){B, A});
    s->b_noise = rlc_input(g, 2, (int[]){B, A});
    s->b_alpha = rlc_input(g, 1, (int[]){1});
    rlc__offline_tanh_gauss_sample(g, &s->pol, s->b_obs, s->b_noise, &a_, &s->b_logp);
    rlc_tensor *out = rlc_mlp_forward(g, s->pol.mlp, s->b_obs);
    rlc_tensor *raw = rlc_slice(g, out, 1, A, A);
    rlc_tensor *ls = rlc_add_scalar(
        g, rlc_mul_scalar(g, rlc_add_scalar(g, rlc_tanh(g, raw), 1.0), 0.5 * (s->pol.hi - s->pol.lo)),
        s->pol.lo);
    rlc_tensor *lpd = rlc_tanh_gaussian_log_prob(g, rlc_slice(g, out, 1, 0, A), ls, s->b_act, 1e-3);
    s->b_loss = rlc_sub(g, rlc_mean_all(g, rlc_mul(g, s->b_alpha, rlc_reshape(g, s->b_logp, 2, (int[]){B, 1}))),
                        rlc_mean_all(g, lpd));
    return rlc_graph_status(g);
}

static rlc_status build_discrete(cql *s) {
    const int B = s->core.B, D = s->core.D;
    rlc_graph *g = s->gq = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->q_obs = rlc_input(g, 2, (int[]){B, D});
    s->q_act = rlc_input(g, 2, (int[]){B, 1});
    s->q_rew = rlc_input(g, 2, (int[]){B, 1});
    s->q_next = rlc_input(g, 2, (int[]){B, D});
    s->q_nd = rlc_input(g, 2, (int[]){B, 1});
    rlc_tensor *qn = rlc_max(g, rlc_mlp_forward_params(g, s->pol.mlp, s->pq_t, s->q_next), 1, 1);
    rlc_tensor *y = rlc_stop_gradient(
        g, rlc_add(g, s->q_rew, rlc_mul_scalar(g, rlc_mul(g, s->q_nd, qn), s->c.gamma)));
    rlc_tensor *q = rlc_mlp_forward(g, s->pol.mlp, s->q_obs);
    s->q_q1 = rlc_gather(g, q, s->q_act);
    s->q_pen1 = rlc_sub(g, rlc_mean_all(g, rlc_logsumexp(g, q, 1)), rlc_mean_all(g, s->q_q1));
    s->q_loss = rlc_add(g, rlc_huber(g, s->q_q1, y, 1.0), rlc_mul_scalar(g, s->q_pen1, s->c.cql_alpha));
    return rlc_graph_status(g);
}

static rlc_status cql_init(rlc_agent *a) {
    const rlc_cql_config *c = a->cfg;
    cql *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    rlc_status st = rlc__offline_core_init(&s->core, a, "cql", 1, (int)c->norm_obs, 0);
    if (st) {
        rlc_free(s);
        a->impl = NULL;
        return st;
    }
    const int D = s->core.D, A = s->core.A, H = (int)c->hidden, L = (int)c->layers;
    s->N = (int)c->n_actions;
    s->target_entropy = -c->target_entropy_scale * A;
    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng, a->seed, 3);
    rlc__offline_track_rng(&s->core, &s->rng);
    rlc__offline_track_rng(&s->core, &s->pol.rng);
    s->pq = rlc_params_create(RLC_F32);
    if (!s->pq) st = RLC_ERR_NOMEM;
    if (!st && s->core.discrete) {
        st = rlc__offline_policy_init(&s->pol, s->pq, "q", RLC__POL_CAT, D, H, L,
                                      s->core.n_actions, 0, 0, &init_rng, a->seed);
        if (!st && !(s->pq_t = rlc_params_clone(s->pq))) st = RLC_ERR_NOMEM;
        if (!st && !(s->oq = rlc__offline_adam(s->pq, c->q_lr))) st = RLC_ERR_NOMEM;
        if (!st) st = build_discrete(s);
        if (st) cql_destroy(a);
        return st;
    }
    s->pa = rlc_params_create(RLC_F32);
    s->pal = rlc_params_create(RLC_F32);
    s->pap = rlc_params_create(RLC_F32);
    if (!s->pa || !s->pal || !s->pap) st = RLC_ERR_NOMEM;
    if (!st)
        st = rlc__offline_policy_init(&s->pol, s->pa, "actor", RLC__POL_TANH_GAUSS, D, H, L, A, -5,
                                      2, &init_rng, a->seed);
    if (!st) st = rlc__offline_twin_q(s->pq, D + A, H, L, &init_rng, &s->q1, &s->q2);
    if (!st) st = rlc_params_add(s->pal, "log_alpha", 1, (int[]){1}, NULL);
    if (!st) st = rlc_params_add(s->pap, "log_alpha_prime", 1, (int[]){1}, NULL);
    if (!st) {
        ((float *)rlc_params_data(s->pal))[0] = (float)log(c->alpha); /* 1 in the reference */
        ((float *)rlc_params_data(s->pap))[0] = c->cql_alpha > 0 ? (float)log(c->cql_alpha) : -30;
        s->pq_t = rlc_params_clone(s->pq);
        s->oa = rlc__offline_adam(s->pa, c->policy_lr);
        s->oq = rlc__offline_adam(s->pq, c->q_lr);
        s->oal = rlc__offline_adam(s->pal, c->alpha_lr);
        s->oap = rlc__offline_adam(s->pap, c->alpha_lr);
        if (!s->pq_t || !s->oa || !s->oq || !s->oal || !s->oap) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_box(s);
    if (st) cql_destroy(a);
    return st;
}

static rlc_status cql_act(rlc_agent *a, const float *obs, int n, void *actions, int deterministic) {
    (void)n;
    cql *s = a->impl;
    return rlc__offline_policy_act(a, &s->core, &s->pol, obs, actions, deterministic);
}

static rlc_status update_discrete(cql *s, rlc__update_info *info) {
    const rlc__offline_core *k = &s->core;
    const size_t B = (size_t)k->B, BD = B * (size_t)k->D;
    memcpy(s->q_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->q_act->data, k->act, sizeof(float) * B);
    memcpy(s->q_next->data, k->next, sizeof(float) * BD);
    memcpy(s->q_rew->data, k->rew, sizeof(float) * B);
    memcpy(s->q_nd->data, k->notdone, sizeof(float) * B);
    double ql = 0;
    rlc_status st = rlc__offline_step(s->gq, s->q_loss, s->pq, s->oq, "cql: critic loss", &ql);
    if (st) return st;
    if ((k->updates + 1) % s->c.target_update_interval == 0) rlc_params_copy(s->pq_t, s->pq);
    RLC__OFFLINE_STAT(info, "loss/critic", ql);
    RLC__OFFLINE_STAT(info, "cql_penalty", rlc_tensor_get(s->q_pen1, 0));
    return RLC_OK;
}

/* Manual Adam step on a one-parameter block whose gradient is g. */
static void scalar_step(rlc_params *p, rlc_optim *o, double g) {
    ((float *)rlc_params_grad(p))[0] = (float)g;
    rlc_optim_step(o);
}

static rlc_status cql_update(rlc_agent *a, rlc__update_info *info) {
    cql *s = a->impl;
    if (s->core.discrete) return update_discrete(s, info);
    const rlc__offline_core *k = &s->core;
    const int B = k->B, D = k->D, A = k->A, N = s->N, BN = B * N;
    const size_t BD = (size_t)B * (size_t)D, BA = (size_t)B * (size_t)A;
    const double alpha = exp(((const float *)rlc_params_data(s->pal))[0]);
    double wp = exp(((const float *)rlc_params_data(s->pap))[0]);
    if (s->c.lagrange) wp = wp < 0 ? 0 : wp > 1e6 ? 1e6 : wp;
    else wp = s->c.cql_alpha;

    /* actor and alpha first (as the reference code), on the same batch */
    const int bc = k->updates < s->c.bc_steps;
    double pl = 0;
    rlc_status st;
    if (bc) {
        memcpy(s->b_obs->data, k->obs, sizeof(float) * BD);
        memcpy(s->b_act->data, k->act, sizeof(float) * BA);
        rlc_fill_normal(s->b_noise, &s->rng);
        rlc_tensor_set(s->b_alpha, 0, alpha);
        st = rlc__offline_step(s->gb, s->b_loss, s->pa, s->oa, "cql: actor BC loss", &pl);
    } else {
        memcpy(s->p_obs->data, k->obs, sizeof(float) * BD);
        rlc_fill_normal(s->p_noise, &s->rng);
        rlc_tensor_set(s->p_alpha, 0, alpha);
        st = rlc__offline_step(s->gp, s->p_loss, s->pa, s->oa, "cql: actor loss", &pl);
    }
    if (st) return st;
    const float *lpv = (const float *)(bc ? s->b_logp : s->p_logp)->data;
    double lpm = 0;
    for (int i = 0; i < B; i++)
        lpm += lpv[i];
    lpm /= B;
    scalar_step(s->pal, s->oal, -(lpm + s->target_entropy));

    memcpy(s->q_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->q_act->data, k->act, sizeof(float) * BA);
    memcpy(s->q_next->data, k->next, sizeof(float) * BD);
    memcpy(s->q_rew->data, k->rew, sizeof(float) * (size_t)B);
    memcpy(s->q_nd->data, k->notdone, sizeof(float) * (size_t)B);
    rlc_fill_normal(s->q_noise, &s->rng);
    rlc_tensor_set(s->q_alpha, 0, exp(((const float *)rlc_params_data(s->pal))[0]));
    rlc_tensor_set(s->q_w, 0, wp);
    float *pin = s->q_pin->data, *o3 = s->q_obs3->data, *rnd = s->q_rand->data;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < N; j++) {
            size_t r = ((size_t)b * N + j) * (size_t)D;
            memcpy(pin + r, k->obs + (size_t)b * D, sizeof(float) * (size_t)D);
            memcpy(pin + (size_t)BN * D + r, k->next + (size_t)b * D, sizeof(float) * (size_t)D);
            for (int m = 0; m < 3; m++)
                memcpy(o3 + (size_t)m * BN * D + r, k->obs + (size_t)b * D,
                       sizeof(float) * (size_t)D);
        }
    for (int i = 0; i < BN * A; i++)
        rnd[i] = (float)rlc_rng_uniform(&s->rng, -1, 1);
    rlc_fill_normal(s->q_pnoise, &s->rng);
    double ql = 0;
    if ((st = rlc__offline_step(s->gq, s->q_loss, s->pq, s->oq, "cql: critic loss", &ql)))
        return st;
    double p1 = rlc_tensor_get(s->q_pen1, 0), p2 = rlc_tensor_get(s->q_pen2, 0);
    if (s->c.lagrange) /* d/dlog a' of -a' ((p1 - gap) + (p2 - gap)) / 2 */
        scalar_step(s->pap, s->oap, -wp * ((p1 - s->c.target_action_gap) +
                                           (p2 - s->c.target_action_gap)) / 2);
    rlc_params_polyak(s->pq_t, s->pq, s->c.tau);
    double qm = 0;
    for (int i = 0; i < B; i++)
        qm += ((const float *)s->q_q1->data)[i];
    RLC__OFFLINE_STAT(info, "loss/critic", ql);
    RLC__OFFLINE_STAT(info, "loss/actor", pl);
    RLC__OFFLINE_STAT(info, "cql_penalty", (p1 + p2) / 2);
    RLC__OFFLINE_STAT(info, "alpha", alpha);
    RLC__OFFLINE_STAT(info, "cql_alpha", wp);
    RLC__OFFLINE_STAT(info, "q_mean", qm / B);
    return RLC_OK;
}

static rlc_status cql_write_state(rlc_agent *a, rlc_st_writer *w) {
    cql *s = a->impl;
    rlc_status st = RLC_OK;
    if (!s->core.discrete) st = rlc_params_write(s->pq, w, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_write(s->pq_t, w, "target.", 0);
    /* own prefixes: each set's optimizer step count is metadata "<prefix>optim.step" */
    if (!st && !s->core.discrete) st = rlc_params_write(s->pal, w, "alpha.", RLC_CKPT_OPTIM);
    if (!st && !s->core.discrete) st = rlc_params_write(s->pap, w, "alpha_prime.", RLC_CKPT_OPTIM);
    if (!st) st = rlc__offline_core_write(&s->core, w);
    return st;
}

static rlc_status cql_read_state(rlc_agent *a, const rlc_st_file *f) {
    cql *s = a->impl;
    rlc_status st = RLC_OK;
    if (!s->core.discrete) st = rlc_params_read(s->pq, f, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_read(s->pq_t, f, "target.", 0);
    if (!st && !s->core.discrete) st = rlc_params_read(s->pal, f, "alpha.", RLC_CKPT_OPTIM);
    if (!st && !s->core.discrete) st = rlc_params_read(s->pap, f, "alpha_prime.", RLC_CKPT_OPTIM);
    if (!st) st = rlc__offline_core_read(&s->core, f);
    return st;
}

const rlc__offline_algo rlc__algo_cql = {
    .base = {.name = "cql",
             .table = rlc_cql_config_table,
             .init = cql_init,
             .destroy = cql_destroy,
             .params = cql_params,
             .act = cql_act,
             .begin = rlc__offline_begin,
             .train_act = rlc__offline_train_act,
             .observe = rlc__offline_observe,
             .update = rlc__offline_online_update,
             .write_state = cql_write_state,
             .read_state = cql_read_state},
    .update = cql_update,
};
