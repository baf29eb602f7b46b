/* TD3+BC (Fujimoto & Gu 2021, "A Minimalist Approach to Offline Reinforcement Learning"):
 * TD3's twin critics with target policy smoothing and delayed actor updates, the actor loss
 * -lambda mean Q1(s, pi(s)) + mean (pi(s) - a)^2 with lambda = alpha / mean |Q1| (no gradient
 * through lambda), on states normalised by the dataset's mean and std. */
#include <math.h>
#include <string.h>

#include "algo/offline/offline_impl.h"

RLC_CONFIG_TABLE(rlc_td3bc_config_table, rlc_td3bc_config, RLC_TD3BC_FIELDS)

typedef struct td3bc {
    rlc__offline_core core;
    rlc_td3bc_config c;
    rlc_params *pa, *pa_t, *pq, *pq_t;
    rlc__offline_policy pol;
    rlc_mlp *q1, *q2;
    rlc_optim *oa, *oq;
    rlc_rng rng_noise;
    rlc_graph *gq, *gp;
    rlc_tensor *q_obs, *q_act, *q_rew, *q_next, *q_nd, *q_noise, *q_loss, *q_q1;
    rlc_tensor *p_obs, *p_act, *p_loss, *p_bc, *p_lambda;
} td3bc;

static void td3bc_destroy(rlc_agent *a) {
    td3bc *s = a->impl;
    if (!s) return;
    rlc_graph_destroy(s->gq);
    rlc_graph_destroy(s->gp);
    rlc__offline_policy_free(&s->pol);
    rlc_mlp_destroy(s->q1);
    rlc_mlp_destroy(s->q2);
    rlc_optim_destroy(s->oa);
    rlc_optim_destroy(s->oq);
    rlc_params *ps[] = {s->pa, s->pa_t, s->pq, s->pq_t};
    for (int i = 0; i < 4; i++)
        rlc_params_destroy(ps[i]);
    rlc__offline_core_free(&s->core);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *td3bc_params(rlc_agent *a) {
    return ((td3bc *)a->impl)->pa;
}

static rlc_status build_graphs(td3bc *s) {
    const int B = s->core.B, D = s->core.D, A = s->core.A;
    const rlc_td3bc_config *c = &s->c;
    /* critics: sum_i mse(Q_i(s, a), y), y = r + gamma (1 - d) min_i Qt_i(s', smoothed pi_t(s')) */
    rlc_graph *g = s->gq = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->q_obs = rlc_input(g, 2, (int[]){B, D});
    s->q_act = rlc_input(g, 2, (int[]){B, A});
    s->q_rew = rlc_input(g, 2, (int[]){B, 1});
    s->q_next = rlc_input(g, 2, (int[]){B, D});
    s->q_nd = rlc_input(g, 2, (int[]){B, 1});
    s->q_noise = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *mu_n = rlc_mlp_forward_params(g, s->pol.mlp, s->pa_t, s->q_next);
    rlc_tensor *eps =
        rlc_clamp(g, rlc_mul_scalar(g, s->q_noise, c->policy_noise), -c->noise_clip, c->noise_clip);
    rlc_tensor *an = rlc_clamp(g, rlc_add(g, mu_n, eps), -1.0, 1.0);
    rlc_tensor *qn = rlc__offline_min_q(g, s->q1, s->q2, s->pq_t, s->q_next, an, NULL, NULL);
    rlc_tensor *y = rlc_stop_gradient(
        g, rlc_add(g, s->q_rew, rlc_mul_scalar(g, rlc_mul(g, s->q_nd, qn), c->gamma)));
    rlc_tensor *q2 = NULL;
    rlc__offline_min_q(g, s->q1, s->q2, s->pq, s->q_obs, s->q_act, &s->q_q1, &q2);
    s->q_loss = rlc_add(g, rlc_mse(g, s->q_q1, y), rlc_mse(g, q2, y));
    rlc_status st = rlc_graph_status(g);
    if (st) return st;

    /* actor: -lambda mean Q1(s, pi(s)) + mse(pi(s), a), lambda = alpha / mean |Q1| detached */
    g = s->gp = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->p_obs = rlc_input(g, 2, (int[]){B, D});
    s->p_act = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *pi = rlc_mlp_forward(g, s->pol.mlp, s->p_obs);
    rlc_tensor *x = rlc_concat(g, (rlc_tensor *[]){s->p_obs, pi}, 2, 1);
    rlc_tensor *q = rlc__frozen_mlp(g, s->q1, s->pq, "q1", 0, RLC_ACT_RELU, x);
    rlc_tensor *qm = rlc_mean_all(g, q);
    s->p_lambda = rlc_rdiv_scalar(g, rlc_stop_gradient(g, rlc_mean_all(g, rlc_abs(g, q))), c->alpha);
    s->p_bc = rlc_mse(g, pi, s->p_act);
    s->p_loss = rlc_sub(g, s->p_bc, rlc_mul(g, s->p_lambda, qm));
    return rlc_graph_status(g);
}

static rlc_status td3bc_init(rlc_agent *a) {
    const rlc_td3bc_config *c = a->cfg;
    td3bc *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    rlc_status st = rlc__offline_core_init(&s->core, a, "td3bc", 0, (int)c->norm_obs, 0);
    if (st) {
        rlc_free(s);
        a->impl = NULL;
        return st;
    }
    const int D = s->core.D, A = s->core.A, H = (int)c->hidden, L = (int)c->layers;
    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng_noise, a->seed, 3);
    rlc__offline_track_rng(&s->core, &s->rng_noise);
    rlc__offline_track_rng(&s->core, &s->pol.rng);
    s->pa = rlc_params_create(RLC_F32);
    s->pq = rlc_params_create(RLC_F32);
    if (!s->pa || !s->pq) st = RLC_ERR_NOMEM;
    if (!st)
        st = rlc__offline_policy_init(&s->pol, s->pa, "actor", RLC__POL_DET, D, H, L, A, -5, 2,
                                      &init_rng, a->seed);
    if (!st) st = rlc__offline_twin_q(s->pq, D + A, H, L, &init_rng, &s->q1, &s->q2);
    if (!st) {
        s->pa_t = rlc_params_clone(s->pa);
        s->pq_t = rlc_params_clone(s->pq);
        s->oa = rlc__offline_adam(s->pa, c->policy_lr);
        s->oq = rlc__offline_adam(s->pq, c->q_lr);
        if (!s->pa_t || !s->pq_t || !s->oa || !s->oq) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_graphs(s);
    if (st) td3bc_destroy(a);
    return st;
}

static rlc_status td3bc_act(rlc_agent *a, const float *obs, int n, void *actions,
                            int deterministic) {
    (void)n;
    (void)deterministic; /* a deterministic policy: evaluation and data collection agree */
    td3bc *s = a->impl;
    return rlc__offline_policy_act(a, &s->core, &s->pol, obs, actions, 1);
}

static rlc_status td3bc_update(rlc_agent *a, rlc__update_info *info) {
    td3bc *s = a->impl;
    const rlc__offline_core *k = &s->core;
    const size_t BD = (size_t)k->B * (size_t)k->D, BA = (size_t)k->B * (size_t)k->A;
    memcpy(s->q_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->q_act->data, k->act, sizeof(float) * BA);
    memcpy(s->q_next->data, k->next, sizeof(float) * BD);
    memcpy(s->q_rew->data, k->rew, sizeof(float) * (size_t)k->B);
    memcpy(s->q_nd->data, k->notdone, sizeof(float) * (size_t)k->B);
    rlc_fill_normal(s->q_noise, &s->rng_noise);
    double ql = 0;
    rlc_status st = rlc__offline_step(s->gq, s->q_loss, s->pq, s->oq, "td3bc: critic loss", &ql);
    if (st) return st;
    double qm = 0;
    for (int i = 0; i < k->B; i++)
        qm += ((const float *)s->q_q1->data)[i];
    RLC__OFFLINE_STAT(info, "loss/critic", ql);
    RLC__OFFLINE_STAT(info, "q_mean", qm / k->B);
    if ((k->updates + 1) % s->c.policy_delay) return RLC_OK;
    memcpy(s->p_obs->data, k->obs, sizeof(float) * BD);
    memcpy(s->p_act->data, k->act, sizeof(float) * BA);
    double pl = 0;
    if ((st = rlc__offline_step(s->gp, s->p_loss, s->pa, s->oa, "td3bc: actor loss", &pl)))
        return st;
    rlc_params_polyak(s->pa_t, s->pa, s->c.tau);
    rlc_params_polyak(s->pq_t, s->pq, s->c.tau);
    RLC__OFFLINE_STAT(info, "loss/actor", pl);
    RLC__OFFLINE_STAT(info, "loss/bc", rlc_tensor_get(s->p_bc, 0));
    RLC__OFFLINE_STAT(info, "lambda", rlc_tensor_get(s->p_lambda, 0));
    return RLC_OK;
}

/* Checkpoint: the actor (with Adam) is the agent's params; here the critics, the targets and
 * the observation statistics. */
static rlc_status td3bc_write_state(rlc_agent *a, rlc_st_writer *w) {
    td3bc *s = a->impl;
    rlc_status st = rlc_params_write(s->pq, w, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_write(s->pq_t, w, "target.", 0);
    if (!st) st = rlc_params_write(s->pa_t, w, "target.", 0);
    if (!st) st = rlc__offline_core_write(&s->core, w);
    return st;
}

static rlc_status td3bc_read_state(rlc_agent *a, const rlc_st_file *f) {
    td3bc *s = a->impl;
    rlc_status st = rlc_params_read(s->pq, f, "critic.", RLC_CKPT_OPTIM);
    if (!st) st = rlc_params_read(s->pq_t, f, "target.", 0);
    if (!st) st = rlc_params_read(s->pa_t, f, "target.", 0);
    if (!st) st = rlc__offline_core_read(&s->core, f);
    return st;
}

const rlc__offline_algo rlc__algo_td3bc = {
    .base = {.name = "td3bc",
             .table = rlc_td3bc_config_table,
             .init = td3bc_init,
             .destroy = td3bc_destroy,
             .params = td3bc_params,
             .act = td3bc_act,
             .begin = rlc__offline_begin,
             .train_act = rlc__offline_train_act,
             .observe = rlc__offline_observe,
             .update = rlc__offline_online_update,
             .write_state = td3bc_write_state,
             .read_state = td3bc_read_state},
    .update = td3bc_update,
};
