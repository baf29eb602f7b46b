/* AWAC (Nair, Gupta, Dalal & Levine 2020, "Accelerating Online Reinforcement Learning with
 * Offline Datasets"): twin critics fitted to r + gamma (1 - d) min Qt(s', a'), a' ~ pi(s'),
 * and an actor maximising the weighted likelihood min(exp(A / lambda), exp_adv_max) log pi(a|s)
 * of dataset actions, A = min Q(s, a) - min Q(s, a_pi), a_pi ~ pi(s) (CORL's formulation).
 * pi: Gaussian with tanh mean and state-independent log std. */
#include <math.h>
#include <string.h>

#include "algo/offline/offline_impl.h"

RLC_CONFIG_TABLE(rlc_awac_config_table, rlc_awac_config, RLC_AWAC_FIELDS)

typedef struct awac {
    rlc__offline_core core;
    rlc_awac_config c;
    rlc_params *pa, *pq, *pq_t;
    rlc__offline_policy pol;
    rlc_mlp *q1, *q2;
    rlc_optim *oa, *oq;
    rlc_rng rng;
    rlc_graph *gq;
    rlc_tensor *q_obs, *q_act, *q_rew, *q_next, *q_nd, *q_noise, *q_loss, *q_q1;
    rlc_graph *gp;
    rlc_tensor *p_obs, *p_act, *p_noise, *p_loss, *p_w;
} awac;

static void awac_destroy(rlc_agent *a) {
    awac *s = a->impl;
    if (!s) return;
    rlc_graph_destroy(s->gq);
    rlc_graph_destroy(s->gp);
    rlc__offline_policy_free(&s->pol);
    rlc_mlp_destroy(s->q1);
    rlc_mlp_destroy(s->q2);
    rlc_optim_destroy(s->oa);
    rlc_optim_destroy(s->oq);
    rlc_params_destroy(s->pa);
    rlc_params_destroy(s->pq);
    rlc_params_destroy(s->pq_t);
    rlc__offline_core_free(&s->core);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *awac_params(rlc_agent *a) {
    return ((awac *)a->impl)->pa;
}

/* A sample of the Gaussian policy on obs: clamp(mean + std noise, -1, 1), no gradient. */
static rlc_tensor *policy_sample(rlc_graph *g, awac *s, rlc_tensor *obs, rlc_tensor *noise) {
    rlc_tensor *mean = rlc__offline_gauss_mean(g, &s->pol, obs);
    rlc_tensor *ls = rlc_clamp(g, rlc_params_tensor(g, s->pa, s->pol.log_std), s->pol.lo, s->pol.hi);
    rlc_tensor *x = rlc_add(g, mean, rlc_mul(g, rlc_exp(g, ls), noise));
    return rlc_stop_gradient(g, rlc_clamp(g, x, -1.0, 1.0));
}

static rlc_status build_graphs(awac *s) {
    const int B = s->core.B, D = s->core.D, A = s->core.A;
    rlc_graph *g = s->gq = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->q_obs = rlc_input(g, 2, (int[]){B, D});
    s->q_act = rlc_input(g, 2, (int[]){B, A});
    s->q_rew = rlc_input(g, 2, (int[]){B, 1});
    s->q_next = rlc_input(g, 2, (int[]){B, D});
    s->q_nd = rlc_input(g, 2, (int[]){B, 1});
    s->q_noise = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *an = policy_sample(g, s, s->q_next, s->q_noise);
    rlc_tensor *qn = rlc__offline_min_q(g, s->q1, s->q2, s->pq_t, s->q_next, an, NULL, NULL);
    rlc_tensor *y = rlc_stop_gradient(
        g, rlc_add(g, s->q_rew, rlc_mul_scalar(g, rlc_mul(g, s->q_nd, qn), s->c.gamma)));
    rlc_tensor *q2 = NULL;
    rlc__offline_min_q(g, s->q1, s->q2, s->pq, s->q_obs, s->q_act, &s->q_q1, &q2);
    s->q_loss = rlc_add(g, rlc_mse(g, s->q_q1, y), rlc_mse(g, q2, y));
    rlc_status st = rlc_graph_status(g);
    if (st) return st;

    g = s->gp = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->p_obs = rlc_input(g, 2, (int[]){B, D});
    s->p_act = rlc_input(g, 2, (int[]){B, A});
    s->p_noise = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *api = policy_sample(g, s, s->p_obs, s->p_noise);
    rlc_tensor *qd = rlc__offline_min_q(g, s->q1, s->q2, s->pq, s->p_obs, s->p_act, NULL, NULL);
    rlc_tensor *vpi = rlc__offline_min_q(g, s->q1, s->q2, s->pq, s->p_obs, api, NULL, NULL);
    rlc_tensor *adv = rlc_stop_gradient(g, rlc_sub(g, qd, vpi));
    s->p_w = rlc_clamp(g, rlc_exp(g, rlc_mul_scalar(g, adv, 1.0 / s->c.lambda)), 0,
                       s->c.exp_adv_max);
    rlc_tensor *lp = rlc_reshape(g, rlc__offline_gauss_log_prob(g, &s->pol, s->p_obs, s->p_act), 2,
                                 (int[]){B, 1});
    s->p_loss = rlc_neg(g, rlc_mean_all(g, rlc_mul(g, s->p_w, lp)));
    return rlc_graph_status(g);
}

static rlc_status awac_init(rlc_agent *a) {
    const rlc_awac_config *c = a->cfg;
    awac *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    rlc_status st = rlc__offline_core_init(&s->core, a, "awac", 0, (int)c->norm_obs, 0);
    if (st) {
        rlc_free(s);
        a->impl = NULL;
        return st;
    }
    const int D = s->core.D, A = s->core.A, H = (int)c->hidden, L = (int)c->layers;
    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng, a->seed, 3);
    rlc__offline_track_rng(&s->core, &s->rng);
    rlc__offline_track_rng(&s->core, &s->pol.rng);
    s->pa = rlc_params_create(RLC_F32);
    s->pq = rlc_params_create(RLC_F32);
    if (!s->pa || !s->pq) st = RLC_ERR_NOMEM;
    if (!st)
        st = rlc__offline_policy_init(&s->pol, s->pa, "actor", RLC__POL_GAUSS, D, H, L, A, -5, 2,
                                      &init_rng, a->seed);
    if (!st) st = rlc__offline_twin_q(s->pq, D + A, H, L, &init_rng, &s->q1, &s->q2);
    if (!st) {
        s->pq_t = rlc_params_clone(s->pq);
        s->oa = rlc__offline_adam(s->pa, c->policy_lr);
        s->oq = rlc__offline_adam(s->pq, c->q_lr);
        if (!s->pq_t || !s->oa || !s->oq) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_graphs(s);
    if (st) awac_destroy(a);
    return st;
}

static rlc_status awac_act(rlc_agent *a, const float *obs, int n, void *actions,
                           int deterministic) {
    (void)n;
    awac *s = a->impl;
    return rlc__offline_policy_act(a, &s->core, &s->pol, obs, actions, deterministic);
}

static rlc_status awac_update(rlc_agent *a, rlc__update_info *info) {
    awac *s = a->impl;
    const rlc__offline_core *k = &s->core;
    const size_t BD = (size_t)k->B * (size_t)k->D, BA = (size_t)k->B * (size_t)k->A;
    memcpy(s->q_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->q_act->data, k->act, sizeof(float) * BA);
    memcpy(s->q_next->data, k->next, sizeof(float) * BD);
    memcpy(s->q_rew->data, k->rew, sizeof(float) * (size_t)k->B);
    memcpy(s->q_nd->data, k->notdone, sizeof(float) * (size_t)k->B);
    rlc_fill_normal(s->q_noise, &s->rng);
    double ql = 0, pl = 0;
    rlc_status st = rlc__offline_step(s->gq, s->q_loss, s->pq, s->oq, "awac: critic loss", &ql);
    if (st) return st;
    memcpy(s->p_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->p_act->data, k->act, sizeof(float) * BA);
    rlc_fill_normal(s->p_noise, &s->rng);
    if ((st = rlc__offline_step(s->gp, s->p_loss, s->pa, s->oa, "awac: actor loss", &pl)))
        return st;
    rlc_params_polyak(s->pq_t, s->pq, s->c.tau);
    double wm = 0;
    for (int i = 0; i < k->B; i++)
        wm += ((const float *)s->p_w->data)[i];
    RLC__OFFLINE_STAT(info, "loss/critic", ql);
    RLC__OFFLINE_STAT(info, "loss/actor", pl);
    RLC__OFFLINE_STAT(info, "adv_weight_mean", wm / k->B);
    return RLC_OK;
}

static rlc_status awac_write_state(rlc_agent *a, rlc_st_writer *w) {
    awac *s = a->impl;
    rlc_status st = rlc_params_write(s->pq, w, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_write(s->pq_t, w, "target.", 0);
    if (!st) st = rlc__offline_core_write(&s->core, w);
    return st;
}

static rlc_status awac_read_state(rlc_agent *a, const rlc_st_file *f) {
    awac *s = a->impl;
    rlc_status st = rlc_params_read(s->pq, f, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_read(s->pq_t, f, "target.", 0);
    if (!st) st = rlc__offline_core_read(&s->core, f);
    return st;
}

const rlc__offline_algo rlc__algo_awac = {
    .base = {.name = "awac",
             .table = rlc_awac_config_table,
             .init = awac_init,
             .destroy = awac_destroy,
             .params = awac_params,
             .act = awac_act,
             .begin = rlc__offline_begin,
             .train_act = rlc__offline_train_act,
             .observe = rlc__offline_observe,
             .update = rlc__offline_online_update,
             .write_state = awac_write_state,
             .read_state = awac_read_state},
    .update = awac_update,
};
