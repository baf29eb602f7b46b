/* IMPALA (Espeholt et al. 2018): an actor-critic learner with V-trace off-policy correction
 * (rho_bar = c_bar = 1), Discrete actions, separate actor and critic MLPs, Adam. In one process
 * it is a synchronous actor-critic (its own rollouts, ratio 1); under mpirun the actors on
 * ranks 1..K-1 act with older parameters and src/dist/actor_learner.c feeds their
 * trajectories to this learner through rlc__impala_buffers. */
#include <math.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "dist/dist_impl.h"
#include "rlc/optim.h"

RLC_CONFIG_TABLE(rlc_impala_config_table, rlc_impala_config, RLC_IMPALA_FIELDS)

typedef struct impala {
    rlc_impala_config c;
    int C, N, T, B; /* actions, envs, unroll, batch */
    rlc_params *p;
    rlc_mlp *actor, *critic;
    rlc_optim *opt;
    rlc_rng rng_act;
    /* acting graphs: [0] batch N, [1] batch 1 */
    rlc_graph *ag[2];
    rlc_tensor *a_obs[2], *a_logits[2], *a_value[2];
    /* training graph at batch B */
    rlc_graph *gt;
    rlc_tensor *t_obs, *t_act, *t_vs, *t_adv, *t_w, *t_inv, *t_logits, *t_v, *t_logp;
    rlc_tensor *t_loss, *t_pg, *t_vl, *t_ent;
    /* trajectory batch [T][N] and the observation after it [N] */
    float *obs, *act, *logp, *rew, *boot_obs, *ratio, *val, *vs, *adv, *boot;
    uint8_t *term, *trunc, *valid;
    int64_t *iact;
    int t;
    int64_t iteration, num_iterations;
} impala;

static impala *S(rlc_agent *a) { return (impala *)a->impl; }

static void impala_destroy(rlc_agent *a) {
    impala *s = S(a);
    if (!s) return;
    for (int k = 0; k < 2; k++) rlc_graph_destroy(s->ag[k]);
    rlc_graph_destroy(s->gt);
    rlc_optim_destroy(s->opt);
    rlc_mlp_destroy(s->actor);
    rlc_mlp_destroy(s->critic);
    rlc_params_destroy(s->p);
    void *bufs[] = {s->obs, s->act,  s->logp, s->rew,  s->boot_obs, s->ratio, s->val,
                    s->vs,  s->adv,  s->boot, s->term, s->trunc,    s->valid, s->iact};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) rlc_free(bufs[i]);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *impala_params(rlc_agent *a) { return S(a)->p; }

static rlc_status build_graphs(rlc_agent *a) {
    impala *s = S(a);
    const rlc_impala_config *c = &s->c;
    for (int k = 0; k < 2; k++) {
        int n = k == 0 ? s->N : 1;
        rlc_graph *g = s->ag[k] = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
        if (!g) return RLC_ERR_NOMEM;
        s->a_obs[k] = rlc_input(g, 2, (int[]){n, a->obs_size});
        s->a_logits[k] = rlc_mlp_forward(g, s->actor, s->a_obs[k]);
        s->a_value[k] = rlc_mlp_forward(g, s->critic, s->a_obs[k]);
        rlc_status st = rlc_graph_status(g);
        if (st) return st;
    }
    int B = s->B;
    rlc_graph *g = s->gt = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->t_obs = rlc_input(g, 2, (int[]){B, a->obs_size});
    s->t_act = rlc_input(g, 1, (int[]){B});
    s->t_vs = rlc_input(g, 1, (int[]){B});
    s->t_adv = rlc_input(g, 1, (int[]){B});
    s->t_w = rlc_input(g, 1, (int[]){B});   /* 1 for real transitions, 0 for autoresets */
    s->t_inv = rlc_input(g, 1, (int[]){1}); /* 1 / number of real transitions */
    s->t_logits = rlc_mlp_forward(g, s->actor, s->t_obs);
    s->t_v = rlc_reshape(g, rlc_mlp_forward(g, s->critic, s->t_obs), 1, (int[]){B});
    s->t_logp = rlc_categorical_log_prob(g, s->t_logits, s->t_act);
    rlc_tensor *w = s->t_w, *inv = s->t_inv;
    /* policy gradient: -mean(adv * log pi(a)), adv a constant input */
    s->t_pg = rlc_neg(g, rlc_mul(g, rlc_sum_all(g, rlc_mul(g, rlc_mul(g, s->t_logp, s->t_adv), w)),
                                 inv));
    rlc_tensor *d = rlc_sub(g, s->t_v, s->t_vs);
    s->t_vl = rlc_mul_scalar(g, rlc_mul(g, rlc_sum_all(g, rlc_mul(g, rlc_square(g, d), w)), inv),
                             0.5);
    s->t_ent = rlc_mul(g, rlc_sum_all(g, rlc_mul(g, rlc_categorical_entropy(g, s->t_logits), w)),
                       inv);
    rlc_tensor *loss = rlc_sub(g, s->t_pg, rlc_mul_scalar(g, s->t_ent, c->ent_coef));
    s->t_loss = rlc_add(g, loss, rlc_mul_scalar(g, s->t_vl, c->vf_coef));
    return rlc_graph_status(g);
}

static rlc_status impala_init(rlc_agent *a) {
    const rlc_impala_config *c = a->cfg;
    const rlc_space *as = a->action_space;
    if (a->obs_space->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "impala: observation space must be a Box");
    if (as->kind != RLC_SPACE_DISCRETE)
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "impala: needs a Discrete action space (%s has another kind; use ppo)",
                         a->env_id);
    int64_t B = c->num_envs * c->n_steps;
    if (B > (1 << 24))
        return rlc_error(RLC_ERR_INVALID, "impala: num_envs * n_steps = %lld exceeds 2^24",
                         (long long)B);
    if (c->num_threads > c->num_envs)
        return rlc_error(RLC_ERR_INVALID, "impala: num_threads (%lld) exceeds num_envs (%lld)",
                         (long long)c->num_threads, (long long)c->num_envs);
    impala *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    s->C = (int)as->n;
    s->N = (int)c->num_envs;
    s->T = (int)c->n_steps;
    s->B = (int)B;
    a->num_envs = s->N;
    a->num_threads = (int)c->num_threads;
    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng_act, a->seed, 1);
    rlc_status st = RLC_OK;
    if (!(s->p = rlc_params_create(RLC_F32))) st = RLC_ERR_NOMEM;
    int sizes[RLC_MLP_MAX_SIZES], ns = 0;
    sizes[ns++] = a->obs_size;
    for (int i = 0; i < c->layers; i++) sizes[ns++] = (int)c->hidden;
    rlc_mlp_spec spec = {.sizes = sizes,
                         .nsizes = ns + 1,
                         .act = c->activation == 0 ? RLC_ACT_TANH : RLC_ACT_RELU,
                         .out_act = RLC_ACT_NONE,
                         .hidden_init = {.kind = RLC_INIT_ORTHOGONAL, .gain = sqrt(2.0)},
                         .hidden_bias_init = {.kind = RLC_INIT_ZEROS},
                         .out_bias_init = {.kind = RLC_INIT_ZEROS}};
    if (!st) {
        sizes[ns] = s->C;
        spec.out_init = (rlc_init){.kind = RLC_INIT_ORTHOGONAL, .gain = 0.01};
        if (!(s->actor = rlc_mlp_create(s->p, "actor", &spec, &init_rng))) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        sizes[ns] = 1;
        spec.out_init = (rlc_init){.kind = RLC_INIT_ORTHOGONAL, .gain = 1.0};
        if (!(s->critic = rlc_mlp_create(s->p, "critic", &spec, &init_rng))) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
        oc.lr = c->lr;
        oc.eps = c->adam_eps;
        if (!(s->opt = rlc_optim_create(s->p, &oc))) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_graphs(a);
    if (!st) {
        size_t B_ = (size_t)B, D = (size_t)a->obs_size, N = (size_t)s->N;
        s->obs = rlc_malloc(sizeof(float) * B_ * D);
        s->act = rlc_malloc(sizeof(float) * B_);
        s->logp = rlc_malloc(sizeof(float) * B_);
        s->rew = rlc_malloc(sizeof(float) * B_);
        s->ratio = rlc_malloc(sizeof(float) * B_);
        s->val = rlc_malloc(sizeof(float) * B_);
        s->vs = rlc_malloc(sizeof(float) * B_);
        s->adv = rlc_malloc(sizeof(float) * B_);
        s->boot_obs = rlc_malloc(sizeof(float) * N * D);
        s->boot = rlc_malloc(sizeof(float) * N);
        s->term = rlc_malloc(B_);
        s->trunc = rlc_malloc(B_);
        s->valid = rlc_malloc(B_);
        s->iact = rlc_malloc(sizeof(int64_t) * N);
        if (!s->obs || !s->act || !s->logp || !s->rew || !s->ratio || !s->val || !s->vs ||
            !s->adv || !s->boot_obs || !s->boot || !s->term || !s->trunc || !s->valid ||
            !s->iact)
            st = RLC_ERR_NOMEM;
    }
    if (st) impala_destroy(a);
    return st;
}

/* log softmax(logits)[k] in double. */
static double cat_logp(const float *l, int C, int64_t k) {
    double mx = l[0];
    for (int j = 1; j < C; j++)
        if (l[j] > mx) mx = l[j];
    double sum = 0;
    for (int j = 0; j < C; j++) sum += exp((double)l[j] - mx);
    return (double)l[k] - mx - log(sum);
}

static rlc_status impala_act(rlc_agent *a, const float *obs, int n, void *actions,
                             int deterministic) {
    impala *s = S(a);
    int k = n == s->N ? 0 : 1;
    memcpy(s->a_obs[k]->data, obs, sizeof(float) * (size_t)n * (size_t)a->obs_size);
    rlc_status st = rlc_graph_forward(s->ag[k]);
    if (st) return st;
    int64_t *ia = actions;
    if (deterministic)
        rlc_categorical_argmax(s->a_logits[k], ia);
    else
        rlc_categorical_sample(s->a_logits[k], &s->rng_act, ia);
    for (int i = 0; i < n; i++) ia[i] += a->action_space->start;
    return RLC_OK;
}

static void impala_begin(rlc_agent *a, int64_t total_steps) {
    impala *s = S(a);
    s->t = 0;
    s->iteration = 0;
    s->num_iterations = total_steps / s->B;
    if (s->num_iterations < 1) s->num_iterations = 1;
}

/* Behaviour policy mu: the acting graph's sample and its log-probability. */
static rlc_status impala_train_act(rlc_agent *a, rlc_vec_env *v) {
    impala *s = S(a);
    size_t k0 = (size_t)s->t * (size_t)s->N, D = (size_t)a->obs_size;
    memcpy(s->a_obs[0]->data, v->obs_f32, sizeof(float) * (size_t)s->N * D);
    rlc_status st = rlc_graph_forward(s->ag[0]);
    if (st) return st;
    memcpy(s->obs + k0 * D, v->obs_f32, sizeof(float) * (size_t)s->N * D);
    rlc_categorical_sample(s->a_logits[0], &s->rng_act, s->iact);
    const float *l = s->a_logits[0]->data;
    int64_t *out = v->actions;
    for (int i = 0; i < s->N; i++) {
        s->act[k0 + i] = (float)s->iact[i];
        s->logp[k0 + i] = (float)cat_logp(l + (size_t)i * s->C, s->C, s->iact[i]);
        out[i] = s->iact[i] + a->action_space->start;
    }
    return RLC_OK;
}

static int impala_observe(rlc_agent *a, const rlc_vec_env *v) {
    impala *s = S(a);
    size_t k0 = (size_t)s->t * (size_t)s->N;
    for (int i = 0; i < s->N; i++) {
        s->rew[k0 + i] = (float)v->rewards[i];
        s->term[k0 + i] = v->terminated[i];
        s->trunc[k0 + i] = v->truncated[i];
        s->valid[k0 + i] = !v->autoreset[i]; /* next-step autoreset: action ignored */
    }
    if (++s->t < s->T) return 0;
    /* the observation after the batch bootstraps it */
    memcpy(s->boot_obs, v->obs_f32, sizeof(float) * (size_t)s->N * (size_t)a->obs_size);
    s->t = 0;
    return 1;
}

void rlc_vtrace(int T, int N, double gamma, double rho_bar, double c_bar, const float *rew,
                const float *val, const float *boot, const float *ratio, const uint8_t *term,
                const uint8_t *trunc, const uint8_t *valid, float *vs, float *adv) {
    for (int i = 0; i < N; i++) {
        double acc = 0;            /* vs_{t+1} - V(x_{t+1}) */
        double next_vs = boot[i];  /* vs_{t+1} (V(x_T) at the end) */
        double next_v = boot[i];   /* V(x_{t+1}) */
        for (int t = T - 1; t >= 0; t--) {
            size_t k = (size_t)t * (size_t)N + (size_t)i;
            double v = val[k];
            if (!valid[k]) {
                vs[k] = (float)v;
                adv[k] = 0;
                acc = 0;
            } else {
                double r = ratio[k];
                double rho = r < rho_bar ? r : rho_bar, c = r < c_bar ? r : c_bar;
                int te = term[k], done = term[k] | trunc[k];
                double nv = te ? 0 : next_v;
                double delta = rho * (rew[k] + gamma * nv - v);
                acc = delta + (done ? 0 : gamma * c * acc);
                vs[k] = (float)(v + acc);
                /* on truncation the next stored obs is the final one: vs_{t+1} = V(final) */
                double nvs = te ? 0 : next_vs;
                adv[k] = (float)(rho * (rew[k] + gamma * nvs - v));
            }
            next_v = v;
            next_vs = vs[k];
        }
    }
}

static rlc_status impala_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    (void)v;
    impala *s = S(a);
    const rlc_impala_config *c = &s->c;
    const int B = s->B, N = s->N;
    const size_t D = (size_t)a->obs_size;
    /* V(x_T) of the observation after the batch, under the current parameters */
    memcpy(s->a_obs[0]->data, s->boot_obs, sizeof(float) * (size_t)N * D);
    rlc_status st = rlc_graph_forward(s->ag[0]);
    if (st) return st;
    memcpy(s->boot, s->a_value[0]->data, sizeof(float) * (size_t)N);
    /* learner pi and V on the batch */
    memcpy(s->t_obs->data, s->obs, sizeof(float) * (size_t)B * D);
    memcpy(s->t_act->data, s->act, sizeof(float) * (size_t)B);
    int nv = 0;
    float *w = s->t_w->data;
    for (int k = 0; k < B; k++) {
        w[k] = s->valid[k] ? 1.0f : 0.0f;
        nv += s->valid[k];
    }
    if (!nv) return rlc_error(RLC_ERR_STATE, "impala: a batch without real transitions");
    ((float *)s->t_inv->data)[0] = (float)(1.0 / nv);
    if ((st = rlc_graph_forward_to(s->gt, s->t_logp))) return st;
    if ((st = rlc_graph_forward_to(s->gt, s->t_v))) return st;
    const float *lp = s->t_logp->data, *vv = s->t_v->data;
    double rho_mean = 0;
    for (int k = 0; k < B; k++) {
        double lr = (double)lp[k] - s->logp[k];
        s->ratio[k] = (float)exp(lr > 50 ? 50 : lr);
        s->val[k] = vv[k];
        if (s->valid[k]) rho_mean += s->ratio[k] < c->rho_bar ? s->ratio[k] : c->rho_bar;
    }
    rlc_vtrace(s->T, N, c->gamma, c->rho_bar, c->c_bar, s->rew, s->val, s->boot, s->ratio,
               s->term, s->trunc, s->valid, s->vs, s->adv);
    double am = 0, a2 = 0;
    for (int k = 0; k < B; k++) am += s->valid[k] ? s->adv[k] : 0;
    am /= nv;
    for (int k = 0; k < B; k++)
        if (s->valid[k]) a2 += (s->adv[k] - am) * (s->adv[k] - am);
    double sd = nv > 1 ? sqrt(a2 / (nv - 1)) : 0;
    float *o_adv = s->t_adv->data;
    for (int k = 0; k < B; k++) {
        double ad = s->valid[k] ? s->adv[k] : 0;
        if (c->norm_adv && s->valid[k]) ad = (ad - am) / (sd + 1e-8);
        o_adv[k] = (float)ad;
    }
    memcpy(s->t_vs->data, s->vs, sizeof(float) * (size_t)B);
    double frac = c->anneal_lr ? 1.0 - (double)s->iteration / (double)s->num_iterations : 1.0;
    double lr = (frac < 0 ? 0 : frac) * c->lr;
    rlc_optim_set_lr(s->opt, lr);
    s->iteration++;
    if ((st = rlc_graph_forward(s->gt))) return st;
    double loss = rlc_tensor_get(s->t_loss, 0);
    if (!isfinite(loss)) return rlc_error(RLC_ERR_RANGE, "impala: loss is %g", loss);
    rlc_params_zero_grad(s->p);
    if ((st = rlc_graph_backward(s->gt, s->t_loss))) return st;
    double gn = c->max_grad_norm > 0 ? rlc_clip_grad_norm(s->p, c->max_grad_norm)
                                     : rlc_params_grad_norm(s->p);
    rlc_optim_step(s->opt);
    info->n = 0;
#define STAT(k, x) (info->key[info->n] = (k), info->value[info->n++] = (x))
    STAT("loss/policy", rlc_tensor_get(s->t_pg, 0));
    STAT("loss/value", rlc_tensor_get(s->t_vl, 0));
    STAT("loss/entropy", rlc_tensor_get(s->t_ent, 0));
    STAT("loss/grad_norm", gn);
    STAT("vtrace/rho_mean", rho_mean / nv);
    STAT("lr", lr);
#undef STAT
    return RLC_OK;
}

static rlc_status impala_write_train_state(rlc_agent *a, rlc_st_writer *w) {
    impala *s = S(a);
    int64_t nr = (int64_t)sizeof(rlc_rng);
    rlc_status st = rlc_st_writer_add_copy(w, "impala.rng_act", RLC_ST_U8, 1, &nr, &s->rng_act);
    if (!st)
        st = rlc_st_writer_add_copy(w, "impala.iteration", RLC_ST_I64, 0, NULL, &s->iteration);
    return st;
}

static rlc_status impala_read_train_state(rlc_agent *a, const rlc_st_file *f) {
    impala *s = S(a);
    int64_t nr = (int64_t)sizeof(rlc_rng);
    rlc_status st = rlc_st_read_into(f, "impala.rng_act", RLC_ST_U8, 1, &nr, &s->rng_act);
    if (!st) st = rlc_st_read_into(f, "impala.iteration", RLC_ST_I64, 0, NULL, &s->iteration);
    s->t = 0;
    return st;
}

rlc_status rlc__impala_buffers(rlc_agent *a, rlc__impala_rollout *r) {
    if (!a || a->algo != &rlc__algo_impala)
        return rlc_error(RLC_ERR_UNSUPPORTED, "actor-learner training needs --algo impala (got %s)",
                         a ? a->algo->name : "NULL");
    impala *s = S(a);
    r->N = s->N;
    r->T = s->T;
    r->D = a->obs_size;
    r->obs = s->obs;
    r->act = s->act;
    r->logp = s->logp;
    r->rew = s->rew;
    r->boot_obs = s->boot_obs;
    r->term = s->term;
    r->trunc = s->trunc;
    r->valid = s->valid;
    r->iteration = &s->iteration;
    return RLC_OK;
}

const rlc__algo rlc__algo_impala = {
    .name = "impala",
    .table = rlc_impala_config_table,
    .init = impala_init,
    .destroy = impala_destroy,
    .params = impala_params,
    .act = impala_act,
    .begin = impala_begin,
    .train_act = impala_train_act,
    .observe = impala_observe,
    .update = impala_update,
    .write_train_state = impala_write_train_state,
    .read_train_state = impala_read_train_state,
};
