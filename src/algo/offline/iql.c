/* Implicit Q-Learning (Kostrikov, Nair & Levine 2021): V fitted to the expectile tau of the
 * target critics' min Q(s, a) over dataset actions, twin Q fitted to r + gamma (1 - d) V(s'),
 * and advantage-weighted regression for the policy: maximise
 * min(exp(beta (Qt(s, a) - V(s))), exp_adv_max) log pi(a | s), pi a Gaussian with tanh mean and
 * state-independent log std (the paper's policy). Order of one step as the reference code:
 * V, then the actor, then Q, then the target critics. */
#include <math.h>
#include <string.h>

#include "algo/offline/offline_impl.h"

RLC_CONFIG_TABLE(rlc_iql_config_table, rlc_iql_config, RLC_IQL_FIELDS)

typedef struct iql {
    rlc__offline_core core;
    rlc_iql_config c;
    rlc_params *pa, *pq, *pq_t, *pv;
    rlc__offline_policy pol;
    rlc_mlp *q1, *q2, *v;
    rlc_optim *oa, *oq, *ov;
    /* value graph: expectile loss of V(s) against min Qt(s, a) */
    rlc_graph *gv;
    rlc_tensor *v_obs, *v_act, *v_loss, *v_v;
    /* actor graph: AWR with weights from Qt and V (no gradient to either) */
    rlc_graph *gp;
    rlc_tensor *p_obs, *p_act, *p_loss, *p_w;
    /* critic graph */
    rlc_graph *gq;
    rlc_tensor *q_obs, *q_act, *q_rew, *q_next, *q_nd, *q_loss, *q_q1;
} iql;

static void iql_destroy(rlc_agent *a) {
    iql *s = a->impl;
    if (!s) return;
    rlc_graph_destroy(s->gv);
    rlc_graph_destroy(s->gp);
    rlc_graph_destroy(s->gq);
    rlc__offline_policy_free(&s->pol);
    rlc_mlp_destroy(s->q1);
    rlc_mlp_destroy(s->q2);
    rlc_mlp_destroy(s->v);
    rlc_optim_destroy(s->oa);
    rlc_optim_destroy(s->oq);
    rlc_optim_destroy(s->ov);
    rlc_params *ps[] = {s->pa, s->pq, s->pq_t, s->pv};
    for (int i = 0; i < 4; i++)
        rlc_params_destroy(ps[i]);
    rlc__offline_core_free(&s->core);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *iql_params(rlc_agent *a) {
    return ((iql *)a->impl)->pa;
}

/* Asymmetric squared loss of u: mean(tau relu(u)^2 + (1 - tau) relu(-u)^2). */
static rlc_tensor *expectile_loss(rlc_graph *g, rlc_tensor *u, double tau) {
    rlc_tensor *pos = rlc_square(g, rlc_relu(g, u));
    rlc_tensor *neg = rlc_square(g, rlc_relu(g, rlc_neg(g, u)));
    return rlc_mean_all(g, rlc_add(g, rlc_mul_scalar(g, pos, tau), rlc_mul_scalar(g, neg, 1 - tau)));
}

static rlc_status build_graphs(iql *s) {
    const int B = s->core.B, D = s->core.D, A = s->core.A;
    const rlc_iql_config *c = &s->c;
    rlc_graph *g = s->gv = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->v_obs = rlc_input(g, 2, (int[]){B, D});
    s->v_act = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *qt = rlc__offline_min_q(g, s->q1, s->q2, s->pq_t, s->v_obs, s->v_act, NULL, NULL);
    s->v_v = rlc_mlp_forward(g, s->v, s->v_obs);
    s->v_loss = expectile_loss(g, rlc_sub(g, rlc_stop_gradient(g, qt), s->v_v), c->expectile);
    rlc_status st = rlc_graph_status(g);
    if (st) return st;

    g = s->gp = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->p_obs = rlc_input(g, 2, (int[]){B, D});
    s->p_act = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *qp = rlc__offline_min_q(g, s->q1, s->q2, s->pq_t, s->p_obs, s->p_act, NULL, NULL);
    rlc_tensor *vp = rlc_mlp_forward(g, s->v, s->p_obs);
    rlc_tensor *adv = rlc_stop_gradient(g, rlc_sub(g, qp, vp));
    s->p_w = rlc_clamp(g, rlc_exp(g, rlc_mul_scalar(g, adv, c->beta)), 0, c->exp_adv_max);
    rlc_tensor *lp = rlc_reshape(g, rlc__offline_gauss_log_prob(g, &s->pol, s->p_obs, s->p_act), 2,
                                 (int[]){B, 1});
    s->p_loss = rlc_neg(g, rlc_mean_all(g, rlc_mul(g, s->p_w, lp)));
    if ((st = rlc_graph_status(g))) return st;

    g = s->gq = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->q_obs = rlc_input(g, 2, (int[]){B, D});
    s->q_act = rlc_input(g, 2, (int[]){B, A});
    s->q_rew = rlc_input(g, 2, (int[]){B, 1});
    s->q_next = rlc_input(g, 2, (int[]){B, D});
    s->q_nd = rlc_input(g, 2, (int[]){B, 1});
    rlc_tensor *vn = rlc_mlp_forward(g, s->v, s->q_next);
    rlc_tensor *y = rlc_stop_gradient(
        g, rlc_add(g, s->q_rew, rlc_mul_scalar(g, rlc_mul(g, s->q_nd, vn), c->gamma)));
    rlc_tensor *q2 = NULL;
    rlc__offline_min_q(g, s->q1, s->q2, s->pq, s->q_obs, s->q_act, &s->q_q1, &q2);
    s->q_loss = rlc_add(g, rlc_mse(g, s->q_q1, y), rlc_mse(g, q2, y));
    return rlc_graph_status(g);
}

static rlc_status iql_init(rlc_agent *a) {
    const rlc_iql_config *c = a->cfg;
    iql *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    rlc_status st =
        rlc__offline_core_init(&s->core, a, "iql", 0, (int)c->norm_obs, (int)c->reward_norm);
    if (st) {
        rlc_free(s);
        a->impl = NULL;
        return st;
    }
    const int D = s->core.D, A = s->core.A, H = (int)c->hidden, L = (int)c->layers;
    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc__offline_track_rng(&s->core, &s->pol.rng);
    s->pa = rlc_params_create(RLC_F32);
    s->pq = rlc_params_create(RLC_F32);
    s->pv = rlc_params_create(RLC_F32);
    if (!s->pa || !s->pq || !s->pv) st = RLC_ERR_NOMEM;
    if (!st)
        st = rlc__offline_policy_init(&s->pol, s->pa, "actor", RLC__POL_GAUSS, D, H, L, A, -5, 2,
                                      &init_rng, a->seed);
    if (!st) st = rlc__offline_twin_q(s->pq, D + A, H, L, &init_rng, &s->q1, &s->q2);
    if (!st) {
        s->v = rlc__offline_mlp(s->pv, "v", D, H, L, 1, RLC_ACT_RELU, RLC_ACT_NONE, &init_rng);
        if (!s->v) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        s->pq_t = rlc_params_clone(s->pq);
        s->oa = rlc__offline_adam(s->pa, c->policy_lr);
        s->oq = rlc__offline_adam(s->pq, c->q_lr);
        s->ov = rlc__offline_adam(s->pv, c->v_lr);
        if (!s->pq_t || !s->oa || !s->oq || !s->ov) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_graphs(s);
    if (st) iql_destroy(a);
    return st;
}

static rlc_status iql_act(rlc_agent *a, const float *obs, int n, void *actions, int deterministic) {
    (void)n;
    iql *s = a->impl;
    return rlc__offline_policy_act(a, &s->core, &s->pol, obs, actions, deterministic);
}

static rlc_status iql_update(rlc_agent *a, rlc__update_info *info) {
    iql *s = a->impl;
    const rlc__offline_core *k = &s->core;
    const size_t BD = (size_t)k->B * (size_t)k->D, BA = (size_t)k->B * (size_t)k->A;
    memcpy(s->v_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->v_act->data, k->act, sizeof(float) * BA);
    double vl = 0, pl = 0, ql = 0;
    rlc_status st = rlc__offline_step(s->gv, s->v_loss, s->pv, s->ov, "iql: value loss", &vl);
    if (st) return st;
    double vm = 0;
    for (int i = 0; i < k->B; i++)
        vm += ((const float *)s->v_v->data)[i];

    if (s->c.cosine_lr && k->total_updates > 0) {
        double frac = (double)k->updates / (double)k->total_updates;
        rlc_optim_set_lr(s->oa, s->c.policy_lr * 0.5 * (1 + cos(M_PI * frac)));
    }
    memcpy(s->p_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->p_act->data, k->act, sizeof(float) * BA);
    if ((st = rlc__offline_step(s->gp, s->p_loss, s->pa, s->oa, "iql: actor loss", &pl)))
        return st;
    double wm = 0;
    for (int i = 0; i < k->B; i++)
        wm += ((const float *)s->p_w->data)[i];

    memcpy(s->q_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->q_act->data, k->act, sizeof(float) * BA);
    memcpy(s->q_next->data, k->next, sizeof(float) * BD);
    memcpy(s->q_rew->data, k->rew, sizeof(float) * (size_t)k->B);
    memcpy(s->q_nd->data, k->notdone, sizeof(float) * (size_t)k->B);
    if ((st = rlc__offline_step(s->gq, s->q_loss, s->pq, s->oq, "iql: critic loss", &ql)))
        return st;
    rlc_params_polyak(s->pq_t, s->pq, s->c.tau);
    RLC__OFFLINE_STAT(info, "loss/value", vl);
    RLC__OFFLINE_STAT(info, "loss/actor", pl);
    RLC__OFFLINE_STAT(info, "loss/critic", ql);
    RLC__OFFLINE_STAT(info, "v_mean", vm / k->B);
    RLC__OFFLINE_STAT(info, "adv_weight_mean", wm / k->B);
    return RLC_OK;
}

static rlc_status iql_write_state(rlc_agent *a, rlc_st_writer *w) {
    iql *s = a->impl;
    rlc_status st = rlc_params_write(s->pq, w, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_write(s->pq_t, w, "target.", 0);
    if (!st) st = rlc_params_write(s->pv, w, "value.", RLC_CKPT_OPTIM);
    if (!st) st = rlc__offline_core_write(&s->core, w);
    return st;
}

static rlc_status iql_read_state(rlc_agent *a, const rlc_st_file *f) {
    iql *s = a->impl;
    rlc_status st = rlc_params_read(s->pq, f, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_read(s->pq_t, f, "target.", 0);
    if (!st) st = rlc_params_read(s->pv, f, "value.", RLC_CKPT_OPTIM);
    if (!st) st = rlc__offline_core_read(&s->core, f);
    return st;
}

const rlc__offline_algo rlc__algo_iql = {
    .base = {.name = "iql",
             .table = rlc_iql_config_table,
             .init = iql_init,
             .destroy = iql_destroy,
             .params = iql_params,
             .act = iql_act,
             .begin = rlc__offline_begin,
             .train_act = rlc__offline_train_act,
             .observe = rlc__offline_observe,
             .update = rlc__offline_online_update,
             .write_state = iql_write_state,
             .read_state = iql_read_state},
    .update = iql_update,
};
