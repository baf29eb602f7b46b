/* Pieces every offline algorithm shares: the core state (spaces, observation normalisation,
 * the batch), MLP and twin-critic helpers, and the refusal of online training. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/offline/offline_impl.h"

static int64_t cfg_int(const rlc_agent *a, const char *key) {
    char buf[64];
    if (rlc_config_get(a->algo->table(), a->cfg, key, buf, sizeof buf)) return 0;
    return strtoll(buf, NULL, 10);
}

static double cfg_real(const rlc_agent *a, const char *key) {
    char buf[64];
    if (rlc_config_get(a->algo->table(), a->cfg, key, buf, sizeof buf)) return 0;
    return strtod(buf, NULL);
}

rlc_status rlc__offline_core_init(rlc__offline_core *c, rlc_agent *a, const char *algo,
                                  int allow_discrete, int norm_obs, int reward_norm) {
    const rlc_space *as = a->action_space;
    if (a->obs_space->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "%s: %s: observation space must be a Box", algo,
                         a->env_id);
    if (as->kind == RLC_SPACE_DISCRETE && allow_discrete) {
        c->discrete = 1;
        c->A = 1;
        c->n_actions = (int)as->n;
    } else {
        rlc_status st = rlc__require_bounded_box(a, algo);
        if (st) return st;
        c->A = (int)as->size;
    }
    c->D = a->obs_size;
    c->B = (int)cfg_int(a, "batch_size");
    char buf[64] = "";
    rlc_config_get(a->algo->table(), a->cfg, "sampler", buf, sizeof buf);
    if (rlc_dataset_sampler_kind_parse(buf, &c->sampler)) return RLC_ERR_INVALID;
    c->temperature = cfg_real(a, "sampler_temperature");
    c->top_fraction = 1;
    c->eval_every = cfg_int(a, "eval_every");
    c->eval_episodes = cfg_int(a, "eval_episodes");
    c->norm_obs = norm_obs;
    c->reward_norm = reward_norm;
    c->reward_scale = 1;
    const size_t D = (size_t)c->D, A = (size_t)c->A, B = (size_t)c->B;
    c->obs_mean = rlc_calloc(D, sizeof(float));
    c->obs_std = rlc_malloc(D * sizeof(float));
    c->scale = rlc_malloc(A * sizeof(float));
    c->bias = rlc_malloc(A * sizeof(float));
    c->obs = rlc_malloc(B * D * sizeof(float));
    c->next = rlc_malloc(B * D * sizeof(float));
    c->act = rlc_malloc(B * A * sizeof(float));
    c->rew = rlc_malloc(B * sizeof(float));
    c->notdone = rlc_malloc(B * sizeof(float));
    c->obs1 = rlc_malloc(D * sizeof(float));
    if (!c->obs_mean || !c->obs_std || !c->scale || !c->bias || !c->obs || !c->next || !c->act ||
        !c->rew || !c->notdone || !c->obs1) {
        rlc__offline_core_free(c);
        return RLC_ERR_NOMEM;
    }
    for (size_t j = 0; j < D; j++)
        c->obs_std[j] = 1;
    for (size_t j = 0; j < A; j++) {
        c->scale[j] = c->discrete ? 1.0f : (float)((as->high[j] - as->low[j]) / 2);
        c->bias[j] = c->discrete ? 0.0f : (float)((as->high[j] + as->low[j]) / 2);
    }
    a->num_envs = 1;
    a->num_threads = 1;
    return RLC_OK;
}

void rlc__offline_track_rng(rlc__offline_core *c, rlc_rng *r) {
    if (c->nrngs < RLC__OFFLINE_MAX_RNGS) c->rngs[c->nrngs++] = r;
}

void rlc__offline_core_free(rlc__offline_core *c) {
    float *bufs[] = {c->obs_mean, c->obs_std, c->scale, c->bias,    c->obs,
                     c->next,     c->act,     c->rew,   c->notdone, c->obs1};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        rlc_free(bufs[i]);
    memset(c, 0, sizeof *c);
}

void rlc__offline_norm_obs(const rlc__offline_core *c, const float *obs, float *out, int n) {
    const int D = c->D;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++)
            out[(size_t)i * D + j] = (obs[(size_t)i * D + j] - c->obs_mean[j]) / c->obs_std[j];
}

void rlc__offline_to_env(const rlc_agent *a, const rlc__offline_core *c, const float *x,
                         float *env_act) {
    const rlc_space *as = a->action_space;
    for (int j = 0; j < c->A; j++) {
        double e = (double)c->scale[j] * x[j] + c->bias[j];
        if (e < as->low[j]) e = as->low[j];
        if (e > as->high[j]) e = as->high[j];
        env_act[j] = (float)e;
    }
}

rlc_status rlc__offline_core_write(const rlc__offline_core *c, rlc_st_writer *w) {
    int64_t n = c->D;
    rlc_status st = rlc_st_writer_add_copy(w, "offline.obs_mean", RLC_ST_F32, 1, &n, c->obs_mean);
    if (!st) st = rlc_st_writer_add_copy(w, "offline.obs_std", RLC_ST_F32, 1, &n, c->obs_std);
    return st;
}

rlc_status rlc__offline_core_read(rlc__offline_core *c, const rlc_st_file *f) {
    int64_t n = c->D;
    rlc_status st = rlc_st_read_into(f, "offline.obs_mean", RLC_ST_F32, 1, &n, c->obs_mean);
    if (!st) st = rlc_st_read_into(f, "offline.obs_std", RLC_ST_F32, 1, &n, c->obs_std);
    for (int j = 0; j < c->D && !st; j++)
        if (!(c->obs_std[j] > 0) || !isfinite(c->obs_mean[j]))
            st = rlc_error(RLC_ERR_FORMAT, "offline.obs_std/obs_mean: bad value at %d", j);
    return st;
}

rlc_mlp *rlc__offline_mlp(rlc_params *p, const char *name, int in, int hidden, int layers,
                          int out, rlc_act act, rlc_act out_act, rlc_rng *rng) {
    int sizes[RLC_MLP_MAX_SIZES], ns = 0;
    sizes[ns++] = in;
    for (int i = 0; i < layers; i++)
        sizes[ns++] = hidden;
    sizes[ns++] = out;
    rlc_mlp_spec spec = {.sizes = sizes, .nsizes = ns, .act = act, .out_act = out_act};
    return rlc_mlp_create(p, name, &spec, rng);
}

rlc_tensor *rlc__offline_min_q(rlc_graph *g, const rlc_mlp *q1, const rlc_mlp *q2,
                               rlc_params *p, rlc_tensor *obs, rlc_tensor *act,
                               rlc_tensor **q1_out, rlc_tensor **q2_out) {
    rlc_tensor *x = rlc_concat(g, (rlc_tensor *[]){obs, act}, 2, 1);
    rlc_tensor *a1 = rlc_mlp_forward_params(g, q1, p, x);
    rlc_tensor *a2 = rlc_mlp_forward_params(g, q2, p, x);
    if (q1_out) *q1_out = a1;
    if (q2_out) *q2_out = a2;
    return rlc_minimum(g, a1, a2);
}

rlc_optim *rlc__offline_adam(rlc_params *p, double lr) {
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    oc.lr = lr;
    return rlc_optim_create(p, &oc);
}

rlc_status rlc__offline_step(rlc_graph *g, rlc_tensor *loss, rlc_params *p, rlc_optim *o,
                             const char *what, double *value) {
    rlc_status st = rlc_graph_forward(g);
    if (st) return st;
    double l = rlc_tensor_get(loss, 0);
    if (!isfinite(l)) return rlc_error(RLC_ERR_RANGE, "%s is %g", what, l);
    rlc_params_zero_grad(p);
    if ((st = rlc_graph_backward(g, loss))) return st;
    rlc_optim_step(o);
    if (value) *value = l;
    return RLC_OK;
}

void rlc__offline_begin(rlc_agent *a, int64_t total) {
    rlc__offline_core *c = a->impl;
    c->total_updates = total;
    c->updates = 0;
}

rlc_status rlc__offline_train_act(rlc_agent *a, rlc_vec_env *v) {
    (void)v;
    return rlc_error(RLC_ERR_UNSUPPORTED,
                     "%s is an offline algorithm: it trains from a dataset (rlc train --algo %s "
                     "--dataset DIR, or rlc_offline_train), not from env interaction",
                     a->algo->name, a->algo->name);
}

int rlc__offline_observe(rlc_agent *a, const rlc_vec_env *v) {
    (void)a;
    (void)v;
    return 0;
}

rlc_status rlc__offline_online_update(rlc_agent *a, const rlc_vec_env *v,
                                      rlc__update_info *info) {
    (void)info;
    return rlc__offline_train_act(a, (rlc_vec_env *)v);
}

rlc_status rlc__offline_twin_q(rlc_params *p, int in, int hidden, int layers, rlc_rng *init_rng,
                               rlc_mlp **q1, rlc_mlp **q2) {
    *q1 = rlc__offline_mlp(p, "q1", in, hidden, layers, 1, RLC_ACT_RELU, RLC_ACT_NONE, init_rng);
    *q2 = rlc__offline_mlp(p, "q2", in, hidden, layers, 1, RLC_ACT_RELU, RLC_ACT_NONE, init_rng);
    return *q1 && *q2 ? RLC_OK : RLC_ERR_NOMEM;
}

/* ---- policies ---------------------------------------------------------------------------- */

rlc_status rlc__offline_policy_init(rlc__offline_policy *pol, rlc_params *p, const char *name,
                                    int kind, int D, int hidden, int layers, int A, double lo,
                                    double hi, rlc_rng *init_rng, uint64_t seed) {
    memset(pol, 0, sizeof *pol);
    pol->kind = kind;
    pol->A = A;
    pol->lo = lo;
    pol->hi = hi;
    pol->p = p;
    pol->log_std = -1;
    rlc_rng_seed_stream(&pol->rng, seed, 1);
    int out = kind == RLC__POL_TANH_GAUSS ? 2 * A : A;
    rlc_act out_act = kind == RLC__POL_DET || kind == RLC__POL_GAUSS ? RLC_ACT_TANH : RLC_ACT_NONE;
    pol->mlp = rlc__offline_mlp(p, name, D, hidden, layers, out, RLC_ACT_RELU, out_act, init_rng);
    if (!pol->mlp) return RLC_ERR_NOMEM;
    if (kind == RLC__POL_GAUSS) {
        char nm[96];
        snprintf(nm, sizeof nm, "%s.log_std", name);
        rlc_status st = rlc_params_add(p, nm, 1, (int[]){A}, NULL);
        if (st) return st;
        pol->log_std = rlc_params_find(p, nm); /* zeros: std 1 at start, as IQL */
        memset((float *)rlc_params_data(p) + rlc_params_entry(p, pol->log_std)->offset, 0,
               sizeof(float) * (size_t)A);
    }
    return RLC_OK;
}

/* The acting graph is recorded lazily (after every entry of p exists: the layout freezes). */
static rlc_status policy_graph(rlc__offline_policy *pol, int D) {
    if (pol->g) return RLC_OK;
    if (!(pol->g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD))) return RLC_ERR_NOMEM;
    pol->obs = rlc_input(pol->g, 2, (int[]){1, D});
    pol->out = rlc_mlp_forward(pol->g, pol->mlp, pol->obs);
    return rlc_graph_status(pol->g);
}

void rlc__offline_policy_free(rlc__offline_policy *pol) {
    rlc_graph_destroy(pol->g);
    rlc_mlp_destroy(pol->mlp);
    pol->g = NULL;
    pol->mlp = NULL;
}

rlc_status rlc__offline_policy_act(rlc_agent *a, const rlc__offline_core *c,
                                   rlc__offline_policy *pol, const float *obs, void *actions,
                                   int deterministic) {
    rlc_status st = policy_graph(pol, c->D);
    if (st) return st;
    rlc__offline_norm_obs(c, obs, pol->obs->data, 1);
    if ((st = rlc_graph_forward(pol->g))) return st;
    const float *o = pol->out->data;
    if (pol->kind == RLC__POL_CAT) {
        int64_t *idx = actions;
        if (deterministic)
            rlc_categorical_argmax(pol->out, idx);
        else
            rlc_categorical_sample(pol->out, &pol->rng, idx);
        return RLC_OK;
    }
    float x[64];
    if (pol->A > 64) return rlc_error(RLC_ERR_UNSUPPORTED, "offline: more than 64 action dims");
    const float *ls = pol->log_std >= 0 ? (const float *)rlc_params_data(pol->p) +
                                              rlc_params_entry(pol->p, pol->log_std)->offset
                                        : NULL;
    for (int j = 0; j < pol->A; j++) {
        double m = o[j], v = m;
        if (pol->kind == RLC__POL_TANH_GAUSS) {
            double raw = o[pol->A + j];
            double l = pol->lo + (pol->hi - pol->lo) * (tanh(raw) + 1) / 2;
            v = tanh(deterministic ? m : m + exp(l) * rlc_rng_normal(&pol->rng));
        } else if (pol->kind == RLC__POL_GAUSS && !deterministic) {
            double l = ls[j] < pol->lo ? pol->lo : ls[j] > pol->hi ? pol->hi : ls[j];
            v = m + exp(l) * rlc_rng_normal(&pol->rng);
            v = v < -1 ? -1 : v > 1 ? 1 : v;
        }
        x[j] = (float)v;
    }
    rlc__offline_to_env(a, c, x, actions);
    return RLC_OK;
}

rlc_tensor *rlc__offline_gauss_mean(rlc_graph *g, rlc__offline_policy *pol, rlc_tensor *obs) {
    return rlc_mlp_forward(g, pol->mlp, obs);
}

rlc_tensor *rlc__offline_gauss_log_prob(rlc_graph *g, rlc__offline_policy *pol, rlc_tensor *obs,
                                        rlc_tensor *act) {
    rlc_tensor *mean = rlc_mlp_forward(g, pol->mlp, obs);
    rlc_tensor *ls = rlc_clamp(g, rlc_params_tensor(g, pol->p, pol->log_std), pol->lo, pol->hi);
    return rlc_gaussian_log_prob(g, act, mean, ls);
}

rlc_status rlc__offline_tanh_gauss_sample(rlc_graph *g, rlc__offline_policy *pol,
                                          rlc_tensor *obs, rlc_tensor *noise,
                                          rlc_tensor **action, rlc_tensor **logp) {
    rlc_tensor *out = rlc_mlp_forward(g, pol->mlp, obs);
    if (!out) return rlc_graph_status(g);
    const int A = pol->A;
    rlc_tensor *mean = rlc_slice(g, out, 1, 0, A);
    rlc_tensor *raw = rlc_slice(g, out, 1, A, A);
    rlc_tensor *ls = rlc_add_scalar(
        g, rlc_mul_scalar(g, rlc_add_scalar(g, rlc_tanh(g, raw), 1.0), 0.5 * (pol->hi - pol->lo)),
        pol->lo);
    return rlc_tanh_gaussian_rsample(g, mean, ls, noise, action, logp);
}
