/* PPO (Schulman et al. 2017) with CleanRL's ppo.py recipe: vectorised rollouts, GAE(lambda)
 * with truncation bootstrapping, clipped surrogate and value losses, entropy bonus, minibatch
 * epochs, global grad-norm clipping and linear LR annealing. Discrete and Box actions. */
#include <math.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "rlc/optim.h"

RLC_CONFIG_TABLE(rlc_ppo_config_table, rlc_ppo_config, RLC_PPO_FIELDS)

/* A forward-only graph for one batch size: the actor's output (acting graphs) or the critic's
 * value (value graphs). */
typedef struct act_graph {
    rlc_graph *g;
    rlc_tensor *obs, *out; /* out: logits [n, C] or mean [n, A]; or the value [n, 1] */
    int n;
} act_graph;

typedef struct ppo {
    rlc_ppo_config c;
    int discrete;
    int n_out;      /* logits (Discrete) or action dims (Box) */
    int act_size;   /* floats per stored action: 1 or A */
    int N, T, B, M; /* envs, steps, batch, minibatch */
    rlc_params *p;
    rlc_mlp *actor, *critic;
    int logstd; /* entry index (Box), -1 otherwise */
    rlc_optim *opt;
    rlc_rng rng_act, rng_perm;
    act_graph ag[2]; /* actor: [0] batch N, [1] batch 1 */
    /* critic: [0] batch N (bootstrap values), [1] a multiple of N dividing the rollout: the
     * values of the rollout's observations are computed at the update in large batches (the
     * parameters do not change during a rollout; each row's result does not depend on the
     * batch size, so the bits are those of acting-time values) */
    act_graph vg[2];

    /* training graph at minibatch size */
    rlc_graph *gt;
    rlc_tensor *t_obs, *t_act, *t_oldlogp, *t_adv, *t_ret, *t_oldv, *t_w, *t_inv;
    rlc_tensor *t_loss, *t_pg, *t_vl, *t_ent, *t_logratio;

    /* rollout, [T][N] (obs [T][N][obs_size], actions [T][N][act_size]) */
    float *obs, *act, *logp, *val, *rew, *adv, *ret;
    uint8_t *term, *trunc, *valid;
    float *last_val; /* [N] bootstrap values */
    int64_t *iact;   /* [N] sampled discrete actions */
    int64_t *perm;   /* [B] */
    int t;
    int64_t iteration, num_iterations;

    /* optional normalisers (SB3's VecNormalize): observations, and the discounted return
     * whose std scales the rewards */
    rlc_normalizer *obs_norm, *ret_norm;
    float *nobs;     /* [N * obs_size] normalised observations */
    double *disc;    /* [N] running discounted returns */
    double *scratch; /* [N] */
} ppo;

static ppo *P(rlc_agent *a) { return (ppo *)a->impl; }

static void ppo_destroy(rlc_agent *a) {
    ppo *s = P(a);
    if (!s) return;
    for (int k = 0; k < 2; k++) {
        rlc_graph_destroy(s->ag[k].g);
        rlc_graph_destroy(s->vg[k].g);
    }
    rlc_graph_destroy(s->gt);
    rlc_optim_destroy(s->opt);
    rlc_mlp_destroy(s->actor);
    rlc_mlp_destroy(s->critic);
    rlc_params_destroy(s->p);
    rlc_normalizer_destroy(s->obs_norm);
    rlc_normalizer_destroy(s->ret_norm);
    void *bufs[] = {s->obs,  s->act,      s->logp, s->val,  s->rew,  s->adv,
                    s->ret,  s->term,     s->trunc, s->valid, s->last_val, s->iact,
                    s->perm, s->nobs,     s->disc, s->scratch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) rlc_free(bufs[i]);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *ppo_params(rlc_agent *a) { return P(a)->p; }

static rlc_status build_fwd_graph(rlc_agent *a, rlc_mlp *net, act_graph *ag, int n) {
    ag->n = n;
    ag->g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    if (!ag->g) return RLC_ERR_NOMEM;
    ag->obs = rlc_input(ag->g, 2, (int[]){n, a->obs_size});
    ag->out = rlc_mlp_forward(ag->g, net, ag->obs);
    return rlc_graph_status(ag->g);
}

static rlc_status build_train_graph(rlc_agent *a) {
    ppo *s = P(a);
    const rlc_ppo_config *c = &s->c;
    int M = s->M;
    rlc_graph *g = s->gt = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->t_obs = rlc_input(g, 2, (int[]){M, a->obs_size});
    s->t_act = s->discrete ? rlc_input(g, 1, (int[]){M}) : rlc_input(g, 2, (int[]){M, s->n_out});
    s->t_oldlogp = rlc_input(g, 1, (int[]){M});
    s->t_adv = rlc_input(g, 1, (int[]){M});
    s->t_ret = rlc_input(g, 1, (int[]){M});
    s->t_oldv = rlc_input(g, 1, (int[]){M});
    s->t_w = rlc_input(g, 1, (int[]){M});     /* 1 for real transitions, 0 for autoresets */
    s->t_inv = rlc_input(g, 1, (int[]){1});   /* 1 / number of real transitions */
    rlc_tensor *out = rlc_mlp_forward(g, s->actor, s->t_obs);
    rlc_tensor *newlogp, *ent;
    if (s->discrete) {
        newlogp = rlc_categorical_log_prob(g, out, s->t_act);
        ent = rlc_mul(g, rlc_sum_all(g, rlc_mul(g, rlc_categorical_entropy(g, out), s->t_w)),
                      s->t_inv);
    } else {
        rlc_tensor *ls = rlc_params_tensor(g, s->p, s->logstd);
        newlogp = rlc_gaussian_log_prob(g, s->t_act, out, ls);
        ent = rlc_sum_all(g, rlc_gaussian_entropy(g, ls)); /* state-independent */
    }
    rlc_tensor *v = rlc_reshape(g, rlc_mlp_forward(g, s->critic, s->t_obs), 1, (int[]){M});
    s->t_logratio = rlc_sub(g, newlogp, s->t_oldlogp);
    rlc_tensor *ratio = rlc_exp(g, s->t_logratio);
    rlc_tensor *s1 = rlc_mul(g, ratio, s->t_adv);
    rlc_tensor *s2 =
        rlc_mul(g, rlc_clamp(g, ratio, 1 - c->clip_coef, 1 + c->clip_coef), s->t_adv);
    rlc_tensor *pg = rlc_neg(g, rlc_minimum(g, s1, s2));
    s->t_pg = rlc_mul(g, rlc_sum_all(g, rlc_mul(g, pg, s->t_w)), s->t_inv);
    rlc_tensor *vl = rlc_square(g, rlc_sub(g, v, s->t_ret));
    if (c->clip_vloss) {
        rlc_tensor *vc = rlc_add(
            g, s->t_oldv,
            rlc_clamp(g, rlc_sub(g, v, s->t_oldv), -c->clip_coef, c->clip_coef));
        vl = rlc_maximum(g, vl, rlc_square(g, rlc_sub(g, vc, s->t_ret)));
    }
    s->t_vl = rlc_mul_scalar(g, rlc_mul(g, rlc_sum_all(g, rlc_mul(g, vl, s->t_w)), s->t_inv),
                             0.5);
    s->t_ent = ent;
    rlc_tensor *loss = rlc_sub(g, s->t_pg, rlc_mul_scalar(g, ent, c->ent_coef));
    s->t_loss = rlc_add(g, loss, rlc_mul_scalar(g, s->t_vl, c->vf_coef));
    return rlc_graph_status(g);
}

static rlc_status ppo_init(rlc_agent *a) {
    const rlc_ppo_config *c = a->cfg;
    const rlc_space *as = a->action_space;
    if (a->obs_space->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "ppo: observation space must be a Box");
    if (as->kind != RLC_SPACE_DISCRETE && as->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "ppo: action space must be Discrete or Box");
    if (as->kind == RLC_SPACE_BOX && as->dtype != RLC_SPACE_FLOAT32)
        return rlc_error(RLC_ERR_UNSUPPORTED, "ppo: Box actions must be float32");
    int64_t B = c->num_envs * c->n_steps;
    if (B % c->n_minibatches || B / c->n_minibatches < 1 || B > (1 << 24))
        return rlc_error(RLC_ERR_INVALID,
                         "ppo: num_envs * n_steps = %lld must be a multiple of n_minibatches "
                         "(%lld) and at most 2^24",
                         (long long)B, (long long)c->n_minibatches);
    if (c->num_threads > c->num_envs)
        return rlc_error(RLC_ERR_INVALID, "ppo: num_threads (%lld) exceeds num_envs (%lld)",
                         (long long)c->num_threads, (long long)c->num_envs);
    ppo *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    s->discrete = as->kind == RLC_SPACE_DISCRETE;
    s->n_out = s->discrete ? (int)as->n : (int)as->size;
    s->act_size = s->discrete ? 1 : s->n_out;
    s->N = (int)c->num_envs;
    s->T = (int)c->n_steps;
    s->B = (int)B;
    s->M = (int)(B / c->n_minibatches);
    s->logstd = -1;
    a->num_envs = s->N;
    a->num_threads = (int)c->num_threads;

    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng_act, a->seed, 1);
    rlc_rng_seed_stream(&s->rng_perm, a->seed, 2);

    rlc_status st = RLC_OK;
    s->p = rlc_params_create(RLC_F32);
    if (!s->p) st = RLC_ERR_NOMEM;
    int sizes[RLC_MLP_MAX_SIZES];
    int ns = 0;
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
        sizes[ns] = s->n_out;
        spec.out_init = (rlc_init){.kind = RLC_INIT_ORTHOGONAL, .gain = 0.01};
        s->actor = rlc_mlp_create(s->p, "actor", &spec, &init_rng);
        if (!s->actor) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        sizes[ns] = 1;
        spec.out_init = (rlc_init){.kind = RLC_INIT_ORTHOGONAL, .gain = 1.0};
        s->critic = rlc_mlp_create(s->p, "critic", &spec, &init_rng);
        if (!s->critic) st = RLC_ERR_NOMEM;
    }
    if (!st && !s->discrete) {
        st = rlc_params_add(s->p, "actor_logstd", 1, (int[]){s->n_out}, &s->logstd);
        if (!st) {
            float *d = rlc_params_data(s->p);
            const rlc_param_entry *e = rlc_params_entry(s->p, s->logstd);
            for (int j = 0; j < s->n_out; j++) d[e->offset + j] = (float)c->init_log_std;
        }
    }
    if (!st) {
        rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
        oc.lr = c->lr;
        oc.eps = c->adam_eps;
        s->opt = rlc_optim_create(s->p, &oc);
        if (!s->opt) st = RLC_ERR_NOMEM;
    }
    if (!st) st = build_fwd_graph(a, s->actor, &s->ag[0], s->N);
    if (!st) st = build_fwd_graph(a, s->actor, &s->ag[1], 1);
    if (!st) st = build_fwd_graph(a, s->critic, &s->vg[0], s->N);
    if (!st) {
        int d = 1; /* rows of the value chunks: N * d, d the largest divisor of T with N d <= 4096 */
        for (int k = 1; k <= s->T; k++)
            if (s->T % k == 0 && (int64_t)s->N * k <= 4096) d = k;
        st = build_fwd_graph(a, s->critic, &s->vg[1], s->N * d);
    }
    if (!st) st = build_train_graph(a);
    if (!st) {
        size_t B_ = (size_t)s->B;
        s->obs = rlc_malloc(sizeof(float) * B_ * (size_t)a->obs_size);
        s->act = rlc_malloc(sizeof(float) * B_ * (size_t)s->act_size);
        s->logp = rlc_malloc(sizeof(float) * B_);
        s->val = rlc_malloc(sizeof(float) * B_);
        s->rew = rlc_malloc(sizeof(float) * B_);
        s->adv = rlc_malloc(sizeof(float) * B_);
        s->ret = rlc_malloc(sizeof(float) * B_);
        s->term = rlc_malloc(B_);
        s->trunc = rlc_malloc(B_);
        s->valid = rlc_malloc(B_);
        s->last_val = rlc_malloc(sizeof(float) * (size_t)s->N);
        s->iact = rlc_malloc(sizeof(int64_t) * (size_t)s->N);
        s->perm = rlc_malloc(sizeof(int64_t) * B_);
        s->nobs = rlc_malloc(sizeof(float) * (size_t)s->N * (size_t)a->obs_size);
        s->disc = rlc_calloc((size_t)s->N, sizeof(double));
        s->scratch = rlc_malloc(sizeof(double) * (size_t)s->N);
        if (!s->obs || !s->act || !s->logp || !s->val || !s->rew || !s->adv || !s->ret ||
            !s->term || !s->trunc || !s->valid || !s->last_val || !s->iact || !s->perm ||
            !s->nobs || !s->disc || !s->scratch)
            st = RLC_ERR_NOMEM;
    }
    if (!st && c->norm_obs) {
        s->obs_norm = rlc_normalizer_create(a->obs_size, 1e-4, c->norm_clip, 1e-8);
        if (!s->obs_norm) st = RLC_ERR_NOMEM;
    }
    if (!st && c->norm_reward) {
        s->ret_norm = rlc_normalizer_create(1, 1e-4, c->norm_clip, 1e-8);
        if (!s->ret_norm) st = RLC_ERR_NOMEM;
    }
    if (st) ppo_destroy(a);
    return st;
}

/* Runs acting graph k on obs[n * obs_size]. */
static void act_forward(rlc_agent *a, act_graph *ag, const float *obs) {
    memcpy(ag->obs->data, obs, sizeof(float) * (size_t)ag->n * (size_t)a->obs_size);
    rlc_graph_forward(ag->g);
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

/* Writes a Box action clipped to the space's bounds. */
static void clip_box(const rlc_space *as, const float *x, float *out) {
    for (int64_t j = 0; j < as->size; j++) {
        double v = x[j];
        if (v < as->low[j]) v = as->low[j];
        if (v > as->high[j]) v = as->high[j];
        out[j] = (float)v;
    }
}

/* Samples (or takes the mode of) actions from ag's outputs; raw[n * act_size] receives the
 * unclipped values, logp[n] their log-probabilities (either may be NULL), env_act the env's
 * actions. */
static void choose(rlc_agent *a, act_graph *ag, int deterministic, float *raw, float *logp,
                   void *env_act) {
    ppo *s = P(a);
    const float *out = ag->out->data;
    int C = s->n_out;
    if (s->discrete) {
        int64_t *ia = env_act;
        if (deterministic)
            rlc_categorical_argmax(ag->out, ia);
        else
            rlc_categorical_sample(ag->out, &s->rng_act, ia);
        for (int i = 0; i < ag->n; i++) {
            if (raw) raw[i] = (float)ia[i];
            if (logp) logp[i] = (float)cat_logp(out + (size_t)i * C, C, ia[i]);
            ia[i] += a->action_space->start;
        }
        return;
    }
    const rlc_param_entry *e = rlc_params_entry(s->p, s->logstd);
    const float *ls = (const float *)rlc_params_data(s->p) + e->offset;
    float x[256];
    for (int i = 0; i < ag->n; i++) {
        double lp = 0;
        const float *mu = out + (size_t)i * C;
        float *xi = raw ? raw + (size_t)i * C : x;
        for (int j = 0; j < C; j++) {
            double eps = deterministic ? 0 : rlc_rng_normal(&s->rng_act);
            float sd = expf(ls[j]);
            xi[j] = mu[j] + sd * (float)eps;
            double z = ((double)xi[j] - mu[j]) / sd;
            lp += -0.5 * z * z - ls[j] - 0.5 * log(2 * M_PI);
        }
        if (logp) logp[i] = (float)lp;
        clip_box(a->action_space, xi, (float *)env_act + (size_t)i * C);
    }
}

static rlc_status ppo_act(rlc_agent *a, const float *obs, int n, void *actions,
                         int deterministic) {
    ppo *s = P(a);
    if (!s->discrete && s->n_out > 256)
        return rlc_error(RLC_ERR_UNSUPPORTED, "ppo: more than 256 action dims");
    act_graph *ag = n == s->N ? &s->ag[0] : &s->ag[1];
    if (s->obs_norm) {
        rlc_normalizer_normalize(s->obs_norm, obs, s->nobs, n);
        obs = s->nobs;
    }
    act_forward(a, ag, obs);
    choose(a, ag, deterministic, NULL, NULL, actions);
    return RLC_OK;
}

static void ppo_begin(rlc_agent *a, int64_t total_steps) {
    ppo *s = P(a);
    s->t = 0;
    s->iteration = 0;
    s->num_iterations = total_steps / s->B;
    if (s->num_iterations < 1) s->num_iterations = 1;
}

static rlc_status ppo_train_act(rlc_agent *a, rlc_vec_env *v) {
    ppo *s = P(a);
    size_t k0 = (size_t)s->t * (size_t)s->N;
    const float *obs = v->obs_f32;
    if (s->obs_norm) {
        rlc_status st = rlc_normalizer_update(s->obs_norm, obs, s->N);
        if (st) return st;
        rlc_normalizer_normalize(s->obs_norm, obs, s->nobs, s->N);
        obs = s->nobs;
    }
    act_forward(a, &s->ag[0], obs);
    memcpy(s->obs + k0 * (size_t)a->obs_size, obs,
           sizeof(float) * (size_t)s->N * (size_t)a->obs_size);
    choose(a, &s->ag[0], 0, s->act + k0 * (size_t)s->act_size, s->logp + k0, v->actions);
    return RLC_OK;
}

static int ppo_observe(rlc_agent *a, const rlc_vec_env *v) {
    ppo *s = P(a);
    size_t k0 = (size_t)s->t * (size_t)s->N;
    for (int i = 0; i < s->N; i++) {
        s->rew[k0 + i] = (float)v->rewards[i];
        s->term[k0 + i] = v->terminated[i];
        s->trunc[k0 + i] = v->truncated[i];
        /* NEXT_STEP autoreset: this step only reset the env; its action was ignored. */
        s->valid[k0 + i] = !v->autoreset[i];
    }
    if (s->ret_norm) {
        /* SB3 VecNormalize: G = gamma G + r over real steps, reset at episode ends; rewards
         * are divided by the running std of G. */
        int n = 0;
        for (int i = 0; i < s->N; i++) {
            if (!s->valid[k0 + i]) continue;
            s->disc[i] = s->disc[i] * s->c.gamma + v->rewards[i];
            s->scratch[n++] = s->disc[i];
        }
        if (n) rlc_normalizer_update_f64(s->ret_norm, s->scratch, n);
        double sd = sqrt(rlc_normalizer_var(s->ret_norm)[0] + 1e-8), cl = s->c.norm_clip;
        for (int i = 0; i < s->N; i++) {
            double r = v->rewards[i] / sd;
            s->rew[k0 + i] = (float)(r > cl ? cl : r < -cl ? -cl : r);
            if (v->terminated[i] | v->truncated[i]) s->disc[i] = 0;
        }
    }
    return ++s->t == s->T;
}

/* GAE(lambda), see algo_impl.h. With next-step autoreset the obs stored after an episode's
 * last step is that episode's final observation, so V(final obs) for truncation bootstrapping
 * is val[t + 1] (or last_val at the rollout's end). */
void rlc__gae(int T, int N, double gamma, double lambda, const float *rew, const float *val,
              const float *last_val, const uint8_t *term, const uint8_t *trunc,
              const uint8_t *valid, float *adv, float *ret) {
    for (int i = 0; i < N; i++) {
        double last = 0;
        for (int t = T - 1; t >= 0; t--) {
            size_t k = (size_t)t * (size_t)N + (size_t)i;
            double next_v = t == T - 1 ? last_val[i] : val[k + (size_t)N];
            if (!valid[k]) {
                adv[k] = 0;
                ret[k] = val[k];
                last = 0;
                continue;
            }
            int te = term[k], done = term[k] | trunc[k];
            double delta = rew[k] + gamma * next_v * (1 - te) - val[k];
            last = delta + gamma * lambda * (1 - done) * last;
            adv[k] = (float)last;
            ret[k] = (float)(last + val[k]);
        }
    }
}

static rlc_status ppo_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    ppo *s = P(a);
    const rlc_ppo_config *c = &s->c;
    s->t = 0;
    const float *obs = v->obs_f32;
    if (s->obs_norm) {
        rlc_normalizer_normalize(s->obs_norm, obs, s->nobs, s->N);
        obs = s->nobs;
    }
    act_forward(a, &s->vg[0], obs);
    memcpy(s->last_val, s->vg[0].out->data, sizeof(float) * (size_t)s->N);
    const int vn = s->vg[1].n;
    for (int r = 0; r < s->B; r += vn) {
        act_forward(a, &s->vg[1], s->obs + (size_t)r * (size_t)a->obs_size);
        memcpy(s->val + r, s->vg[1].out->data, sizeof(float) * (size_t)vn);
    }
    rlc__gae(s->T, s->N, c->gamma, c->gae_lambda, s->rew, s->val, s->last_val, s->term,
             s->trunc, s->valid, s->adv, s->ret);

    double frac = c->anneal_lr ? 1.0 - (double)s->iteration / (double)s->num_iterations : 1.0;
    if (frac < 0) frac = 0;
    double lr = frac * c->lr;
    rlc_optim_set_lr(s->opt, lr);
    s->iteration++;

    const int M = s->M, D = a->obs_size, A = s->act_size;
    float *o_obs = s->t_obs->data, *o_act = s->t_act->data, *o_lp = s->t_oldlogp->data;
    float *o_adv = s->t_adv->data, *o_ret = s->t_ret->data, *o_v = s->t_oldv->data;
    float *o_w = s->t_w->data, *o_inv = s->t_inv->data;
    double sum_pg = 0, sum_vl = 0, sum_ent = 0, sum_kl = 0, sum_cf = 0, sum_gn = 0;
    int n_mb = 0;
    double approx_kl = 0;
    for (int ep = 0; ep < c->update_epochs; ep++) {
        rlc_rng_permutation(&s->rng_perm, s->B, s->perm);
        double ep_kl = 0;
        int ep_mb = 0;
        for (int mb = 0; mb < c->n_minibatches; mb++) {
            const int64_t *idx = s->perm + (size_t)mb * (size_t)M;
            int nv = 0;
            double am = 0, a2 = 0;
            for (int j = 0; j < M; j++) {
                size_t k = (size_t)idx[j];
                memcpy(o_obs + (size_t)j * D, s->obs + k * D, sizeof(float) * (size_t)D);
                memcpy(o_act + (size_t)j * A, s->act + k * A, sizeof(float) * (size_t)A);
                o_lp[j] = s->logp[k];
                o_ret[j] = s->ret[k];
                o_v[j] = s->val[k];
                o_w[j] = s->valid[k] ? 1.0f : 0.0f;
                if (s->valid[k]) {
                    nv++;
                    am += s->adv[k];
                }
            }
            if (!nv) continue;
            am /= nv;
            for (int j = 0; j < M; j++)
                if (o_w[j] != 0) a2 += (s->adv[idx[j]] - am) * (s->adv[idx[j]] - am);
            double sd = nv > 1 ? sqrt(a2 / (nv - 1)) : 0;
            for (int j = 0; j < M; j++) {
                double ad = o_w[j] != 0 ? s->adv[idx[j]] : 0;
                if (c->norm_adv && o_w[j] != 0) ad = (ad - am) / (sd + 1e-8);
                o_adv[j] = (float)ad;
            }
            o_inv[0] = (float)(1.0 / nv);
            rlc_status st = rlc_graph_forward(s->gt);
            if (st) return st;
            double loss = rlc_tensor_get(s->t_loss, 0);
            if (!isfinite(loss)) return rlc_error(RLC_ERR_RANGE, "ppo: loss is %g", loss);
            rlc_params_zero_grad(s->p);
            if ((st = rlc_graph_backward(s->gt, s->t_loss))) return st;
            double gn = c->max_grad_norm > 0 ? rlc_clip_grad_norm(s->p, c->max_grad_norm)
                                             : rlc_params_grad_norm(s->p);
            rlc_optim_step(s->opt);
            /* diagnostics over the real transitions */
            const float *lr_ = s->t_logratio->data;
            double kl = 0, cf = 0;
            for (int j = 0; j < M; j++) {
                if (o_w[j] == 0) continue;
                double r = exp((double)lr_[j]);
                kl += (r - 1) - lr_[j];
                cf += fabs(r - 1) > c->clip_coef;
            }
            kl /= nv;
            cf /= nv;
            sum_pg += rlc_tensor_get(s->t_pg, 0);
            sum_vl += rlc_tensor_get(s->t_vl, 0);
            sum_ent += rlc_tensor_get(s->t_ent, 0);
            sum_kl += kl;
            sum_cf += cf;
            sum_gn += gn;
            ep_kl += kl;
            ep_mb++;
            n_mb++;
        }
        approx_kl = ep_mb ? ep_kl / ep_mb : 0;
        if (c->target_kl > 0 && approx_kl > c->target_kl) break;
    }
    /* explained variance of the value predictions over the real transitions */
    double ym = 0, rm = 0, n = 0;
    for (int k = 0; k < s->B; k++)
        if (s->valid[k]) {
            ym += s->ret[k];
            rm += s->ret[k] - s->val[k];
            n++;
        }
    double ev = NAN;
    if (n > 1) {
        ym /= n;
        rm /= n;
        double vy = 0, vr = 0;
        for (int k = 0; k < s->B; k++)
            if (s->valid[k]) {
                vy += (s->ret[k] - ym) * (s->ret[k] - ym);
                double r = s->ret[k] - s->val[k] - rm;
                vr += r * r;
            }
        ev = vy > 0 ? 1 - vr / vy : NAN;
    }
    double d = n_mb ? n_mb : 1;
    info->n = 0;
#define STAT(k, x) (info->key[info->n] = (k), info->value[info->n++] = (x))
    STAT("loss/policy", sum_pg / d);
    STAT("loss/value", sum_vl / d);
    STAT("loss/entropy", sum_ent / d);
    STAT("loss/approx_kl", sum_kl / d);
    STAT("loss/clipfrac", sum_cf / d);
    STAT("loss/grad_norm", sum_gn / d);
    STAT("loss/explained_variance", ev);
    STAT("lr", lr);
#undef STAT
    return RLC_OK;
}

static int ppo_normalizers(rlc_agent *a, rlc_normalizer **out, int max) {
    ppo *s = P(a);
    int n = 0;
    if (s->obs_norm && n < max) out[n++] = s->obs_norm;
    if (s->ret_norm && n < max) out[n++] = s->ret_norm;
    return n;
}

static rlc_status ppo_write_state(rlc_agent *a, rlc_st_writer *w) {
    ppo *s = P(a);
    rlc_status st = RLC_OK;
    if (s->obs_norm) st = rlc_normalizer_write(s->obs_norm, w, "obs_norm.");
    if (!st && s->ret_norm) st = rlc_normalizer_write(s->ret_norm, w, "ret_norm.");
    return st;
}

static rlc_status ppo_read_state(rlc_agent *a, const rlc_st_file *f) {
    ppo *s = P(a);
    rlc_status st = RLC_OK;
    if (s->obs_norm) st = rlc_normalizer_read(s->obs_norm, f, "obs_norm.");
    if (!st && s->ret_norm) st = rlc_normalizer_read(s->ret_norm, f, "ret_norm.");
    return st;
}

/* Resumable checkpoints (any step where no sub-env waits for its autoreset): the two RNG
 * streams as raw bytes (plain structs), the update counter, the running discounted returns of
 * the reward normaliser and the part of the rollout collected so far (t steps of N envs; its
 * values are computed at the update from the stored observations). */
static rlc_status ppo_write_train_state(rlc_agent *a, rlc_st_writer *w) {
    ppo *s = P(a);
    int64_t nr = (int64_t)sizeof(rlc_rng), n = s->N, t = s->t, rows = (int64_t)s->t * s->N;
    int64_t so[2] = {rows, a->obs_size}, sa[2] = {rows, s->act_size};
    rlc_status st = rlc_st_writer_add_copy(w, "ppo.rng_act", RLC_ST_U8, 1, &nr, &s->rng_act);
    if (!st) st = rlc_st_writer_add_copy(w, "ppo.rng_perm", RLC_ST_U8, 1, &nr, &s->rng_perm);
    if (!st) st = rlc_st_writer_add_copy(w, "ppo.iteration", RLC_ST_I64, 0, NULL, &s->iteration);
    if (!st) st = rlc_st_writer_add_copy(w, "ppo.disc", RLC_ST_F64, 1, &n, s->disc);
    if (!st) st = rlc_st_writer_add_copy(w, "ppo.rollout_t", RLC_ST_I64, 0, NULL, &t);
    /* referenced, not copied: the writer is saved before the next step */
    if (!st) st = rlc_st_writer_add(w, "ppo.rollout.obs", RLC_ST_F32, 2, so, s->obs);
    if (!st) st = rlc_st_writer_add(w, "ppo.rollout.action", RLC_ST_F32, 2, sa, s->act);
    if (!st) st = rlc_st_writer_add(w, "ppo.rollout.logp", RLC_ST_F32, 1, &rows, s->logp);
    if (!st) st = rlc_st_writer_add(w, "ppo.rollout.reward", RLC_ST_F32, 1, &rows, s->rew);
    if (!st) st = rlc_st_writer_add(w, "ppo.rollout.terminated", RLC_ST_U8, 1, &rows, s->term);
    if (!st) st = rlc_st_writer_add(w, "ppo.rollout.truncated", RLC_ST_U8, 1, &rows, s->trunc);
    if (!st) st = rlc_st_writer_add(w, "ppo.rollout.valid", RLC_ST_U8, 1, &rows, s->valid);
    return st;
}

static rlc_status ppo_read_train_state(rlc_agent *a, const rlc_st_file *f) {
    ppo *s = P(a);
    int64_t nr = (int64_t)sizeof(rlc_rng), n = s->N, t = 0, it = 0;
    rlc_rng ra, rp;
    rlc_status st = rlc_st_read_into(f, "ppo.rng_act", RLC_ST_U8, 1, &nr, &ra);
    if (!st) st = rlc_st_read_into(f, "ppo.rng_perm", RLC_ST_U8, 1, &nr, &rp);
    if (!st) st = rlc_st_read_into(f, "ppo.iteration", RLC_ST_I64, 0, NULL, &it);
    if (!st) st = rlc_st_read_into(f, "ppo.rollout_t", RLC_ST_I64, 0, NULL, &t);
    if (!st && (t < 0 || t >= s->T || it < 0))
        st = rlc_error(RLC_ERR_FORMAT, "ppo: corrupt rollout position %lld (n_steps %d)",
                       (long long)t, s->T);
    if (st) return st;
    /* every shape is checked before anything is copied */
    int64_t rows = t * s->N, so[2] = {rows, a->obs_size}, sa[2] = {rows, s->act_size};
    struct {
        const char *name;
        rlc_st_dtype dt;
        int nd;
        const int64_t *shape;
        void *dst;
    } col[] = {{"ppo.disc", RLC_ST_F64, 1, &n, s->disc},
               {"ppo.rollout.obs", RLC_ST_F32, 2, so, s->obs},
               {"ppo.rollout.action", RLC_ST_F32, 2, sa, s->act},
               {"ppo.rollout.logp", RLC_ST_F32, 1, &rows, s->logp},
               {"ppo.rollout.reward", RLC_ST_F32, 1, &rows, s->rew},
               {"ppo.rollout.terminated", RLC_ST_U8, 1, &rows, s->term},
               {"ppo.rollout.truncated", RLC_ST_U8, 1, &rows, s->trunc},
               {"ppo.rollout.valid", RLC_ST_U8, 1, &rows, s->valid}};
    const int ncol = (int)(sizeof col / sizeof col[0]);
    for (int k = 0; k < ncol && !st; k++) {
        const rlc_st_tensor *x = rlc_st_get(f, col[k].name);
        int ok = x && x->dtype == col[k].dt && x->ndim == col[k].nd;
        for (int d = 0; ok && d < col[k].nd; d++) ok = x->shape[d] == col[k].shape[d];
        if (!ok)
            st = rlc_error(x ? RLC_ERR_FORMAT : RLC_ERR_NOT_FOUND,
                           "ppo: checkpoint tensor '%s' %s", col[k].name,
                           x ? "has the wrong dtype or shape" : "is missing");
    }
    for (int k = 0; k < ncol && !st; k++)
        st = rlc_st_read_into(f, col[k].name, col[k].dt, col[k].nd, col[k].shape, col[k].dst);
    if (st) return st;
    s->rng_act = ra;
    s->rng_perm = rp;
    s->iteration = it;
    s->t = (int)t;
    return RLC_OK;
}

const rlc__algo rlc__algo_ppo = {
    .name = "ppo",
    .table = rlc_ppo_config_table,
    .init = ppo_init,
    .destroy = ppo_destroy,
    .params = ppo_params,
    .act = ppo_act,
    .begin = ppo_begin,
    .train_act = ppo_train_act,
    .observe = ppo_observe,
    .update = ppo_update,
    .normalizers = ppo_normalizers,
    .write_state = ppo_write_state,
    .read_state = ppo_read_state,
    .write_train_state = ppo_write_train_state,
    .read_train_state = ppo_read_train_state,
};
