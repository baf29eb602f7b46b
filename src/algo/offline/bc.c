/* Behaviour cloning and %BC: a policy fitted to the dataset's actions by squared error (tanh
 * MLP), Gaussian likelihood (tanh mean, state-independent std) or cross-entropy (Discrete);
 * %BC keeps only the top_fraction of episodes by return (Chen et al. 2021). */
#include <math.h>
#include <string.h>

#include "algo/offline/offline_impl.h"

RLC_CONFIG_TABLE(rlc_bc_config_table, rlc_bc_config, RLC_BC_FIELDS)

typedef struct bc {
    rlc__offline_core core; /* first: the trainer reads it */
    rlc_bc_config c;
    rlc_params *p;
    rlc__offline_policy pol;
    rlc_optim *o;
    rlc_graph *g;
    rlc_tensor *obs, *act, *loss;
} bc;

static void bc_destroy(rlc_agent *a) {
    bc *s = a->impl;
    if (!s) return;
    rlc_graph_destroy(s->g);
    rlc__offline_policy_free(&s->pol);
    rlc_optim_destroy(s->o);
    rlc_params_destroy(s->p);
    rlc__offline_core_free(&s->core);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *bc_params(rlc_agent *a) {
    return ((bc *)a->impl)->p;
}

static rlc_status bc_init(rlc_agent *a) {
    const rlc_bc_config *c = a->cfg;
    bc *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    rlc__offline_core *k = &s->core;
    rlc_status st = rlc__offline_core_init(k, a, "bc", 1, (int)c->norm_obs, 0);
    if (st) {
        rlc_free(s);
        a->impl = NULL;
        return st;
    }
    k->top_fraction = c->top_fraction;
    const int B = k->B, D = k->D;
    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc__offline_track_rng(&s->core, &s->pol.rng);
    int kind = k->discrete ? RLC__POL_CAT : c->policy == 1 ? RLC__POL_GAUSS : RLC__POL_DET;
    if (!(s->p = rlc_params_create(RLC_F32))) st = RLC_ERR_NOMEM;
    if (!st)
        st = rlc__offline_policy_init(&s->pol, s->p, "actor", kind, D, (int)c->hidden,
                                      (int)c->layers, k->discrete ? k->n_actions : k->A, -5, 2,
                                      &init_rng, a->seed);
    if (!st && !(s->o = rlc__offline_adam(s->p, c->lr))) st = RLC_ERR_NOMEM;
    if (!st && !(s->g = rlc_graph_create(RLC_F32, 0))) st = RLC_ERR_NOMEM;
    if (!st) {
        rlc_graph *g = s->g;
        s->obs = rlc_input(g, 2, (int[]){B, D});
        if (kind == RLC__POL_CAT) {
            s->act = rlc_input(g, 1, (int[]){B});
            s->loss = rlc_cross_entropy(g, rlc_mlp_forward(g, s->pol.mlp, s->obs), s->act);
        } else {
            s->act = rlc_input(g, 2, (int[]){B, k->A});
            if (kind == RLC__POL_DET)
                s->loss = rlc_mse(g, rlc_mlp_forward(g, s->pol.mlp, s->obs), s->act);
            else
                s->loss = rlc_neg(
                    g, rlc_mean_all(g, rlc__offline_gauss_log_prob(g, &s->pol, s->obs, s->act)));
        }
        st = rlc_graph_status(g);
    }
    if (st) bc_destroy(a);
    return st;
}

static rlc_status bc_act(rlc_agent *a, const float *obs, int n, void *actions, int deterministic) {
    (void)n;
    bc *s = a->impl;
    return rlc__offline_policy_act(a, &s->core, &s->pol, obs, actions, deterministic);
}

static rlc_status bc_update(rlc_agent *a, rlc__update_info *info) {
    bc *s = a->impl;
    const rlc__offline_core *k = &s->core;
    memcpy(s->obs->data, k->obs, sizeof(float) * (size_t)k->B * (size_t)k->D);
    memcpy(s->act->data, k->act, sizeof(float) * (size_t)k->B * (size_t)k->A);
    double l = 0;
    rlc_status st = rlc__offline_step(s->g, s->loss, s->p, s->o, "bc: loss", &l);
    if (st) return st;
    RLC__OFFLINE_STAT(info, "loss/actor", l);
    return RLC_OK;
}

static rlc_status bc_write_state(rlc_agent *a, rlc_st_writer *w) {
    return rlc__offline_core_write(&((bc *)a->impl)->core, w);
}

static rlc_status bc_read_state(rlc_agent *a, const rlc_st_file *f) {
    return rlc__offline_core_read(&((bc *)a->impl)->core, f);
}

const rlc__offline_algo rlc__algo_bc = {
    .base = {.name = "bc",
             .table = rlc_bc_config_table,
             .init = bc_init,
             .destroy = bc_destroy,
             .params = bc_params,
             .act = bc_act,
             .begin = rlc__offline_begin,
             .train_act = rlc__offline_train_act,
             .observe = rlc__offline_observe,
             .update = rlc__offline_online_update,
             .write_state = bc_write_state,
             .read_state = bc_read_state},
    .update = bc_update,
};
