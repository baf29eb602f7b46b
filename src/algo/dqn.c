/* DQN for Discrete actions on the agent interface: epsilon-greedy acting, a replay buffer
 * (uniform or prioritized, n-step), Huber or MSE TD loss, double Q, dueling heads, hard or
 * Polyak target updates and global gradient clipping (Stable-Baselines3's DQN schedule). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "rlc/dqn.h"
#include "rlc/optim.h"
#include "rlc/replay.h"

RLC_CONFIG_TABLE(rlc_dqn_config_table, rlc_dqn_config, RLC_DQN_FIELDS)

/* A forward-only acting graph of the online network for one batch size. */
typedef struct act_graph {
    rlc_graph *g;
    rlc_tensor *obs, *q; /* [n, D], [n, A] */
    int n;
} act_graph;

typedef struct dqn {
    rlc_dqn_config c;
    int N, D, A, B;
    rlc_params *p, *pt; /* online and target parameters (same layout) */
    rlc_mlp *body;      /* the whole Q-network, or the shared trunk with dueling heads */
    rlc_linear vh, ah;  /* dueling: value [1] and advantage [A] heads */
    rlc_optim *opt;
    rlc_rng rng_act, rng_replay;
    act_graph ag[2]; /* [0]: batch N, [1]: batch 1 */

    /* next-state graph (forward only) at batch B: target Q and, for double Q, online Q */
    rlc_graph *gn;
    rlc_tensor *n_obs, *n_qt, *n_qo;
    /* training graph at batch B */
    rlc_graph *gt;
    rlc_tensor *t_obs, *t_act, *t_y, *t_w, *t_qa, *t_loss;

    rlc_replay *rb;
    rlc_replay_batch batch; /* views into the graph inputs and the buffers below */
    float *rew, *disc, *td; /* [B] */
    int64_t *idx;           /* [B] */
    float *prev_obs, *next_obs, *prev_act, *step_rew; /* [N * D], [N * D], [N], [N] */
    uint8_t *valid;                                   /* [N] */

    int64_t env_steps, vec_steps, total_steps;
    double eps;
} dqn;

static dqn *S(rlc_agent *a) { return (dqn *)a->impl; }

static void dqn_destroy(rlc_agent *a) {
    dqn *s = S(a);
    if (!s) return;
    for (int k = 0; k < 2; k++) rlc_graph_destroy(s->ag[k].g);
    rlc_graph_destroy(s->gn);
    rlc_graph_destroy(s->gt);
    rlc_optim_destroy(s->opt);
    rlc_mlp_destroy(s->body);
    rlc_params_destroy(s->p);
    rlc_params_destroy(s->pt);
    rlc_replay_destroy(s->rb);
    void *bufs[] = {s->rew,      s->disc,     s->td,       s->idx,  s->prev_obs,
                    s->next_obs, s->prev_act, s->step_rew, s->valid};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) rlc_free(bufs[i]);
    rlc_free(s);
    a->impl = NULL;
}

static rlc_params *dqn_params(rlc_agent *a) { return S(a)->p; }

/* Records Q(x) [n, A] with parameters p (online or target). */
static rlc_tensor *q_forward(rlc_graph *g, dqn *s, rlc_params *p, rlc_tensor *x) {
    rlc_tensor *h = rlc_mlp_forward_params(g, s->body, p, x);
    if (!s->c.dueling) return h;
    rlc_tensor *v = rlc_linear_forward(g, &s->vh, p, h);
    rlc_tensor *adv = rlc_linear_forward(g, &s->ah, p, h);
    return rlc_add(g, v, rlc_sub(g, adv, rlc_mean(g, adv, -1, 1)));
}

static rlc_status build_act_graph(dqn *s, act_graph *ag, int n) {
    ag->n = n;
    ag->g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    if (!ag->g) return RLC_ERR_NOMEM;
    ag->obs = rlc_input(ag->g, 2, (int[]){n, s->D});
    ag->q = q_forward(ag->g, s, s->p, ag->obs);
    return rlc_graph_status(ag->g);
}

static rlc_status build_graphs(dqn *s) {
    const int B = s->B;
    rlc_graph *g = s->gn = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    if (!g) return RLC_ERR_NOMEM;
    s->n_obs = rlc_input(g, 2, (int[]){B, s->D});
    s->n_qt = q_forward(g, s, s->pt, s->n_obs);
    if (s->c.double_q) s->n_qo = q_forward(g, s, s->p, s->n_obs);
    rlc_status st = rlc_graph_status(g);
    if (st) return st;

    g = s->gt = rlc_graph_create(RLC_F32, 0);
    if (!g) return RLC_ERR_NOMEM;
    s->t_obs = rlc_input(g, 2, (int[]){B, s->D});
    s->t_act = rlc_input(g, 2, (int[]){B, 1}); /* action index stored as float */
    s->t_y = rlc_input(g, 2, (int[]){B, 1});
    s->t_w = rlc_input(g, 2, (int[]){B, 1}); /* importance weights (1 when uniform) */
    s->t_qa = rlc_gather(g, q_forward(g, s, s->p, s->t_obs), s->t_act);
    rlc_tensor *d = rlc_sub(g, s->t_qa, s->t_y), *l;
    if (s->c.loss == 0) {
        /* Huber with delta 1, elementwise: 0.5 c^2 + |d| - |c| with c = clamp(d, -1, 1) */
        rlc_tensor *c = rlc_clamp(g, d, -1, 1);
        l = rlc_add(g, rlc_mul_scalar(g, rlc_square(g, c), 0.5),
                    rlc_sub(g, rlc_abs(g, d), rlc_abs(g, c)));
    } else {
        l = rlc_square(g, d);
    }
    s->t_loss = rlc_mul_scalar(g, rlc_sum_all(g, rlc_mul(g, l, s->t_w)), 1.0 / B);
    return rlc_graph_status(g);
}

/* "Box(1,)", "Box(3, 4)" or the space's own description. */
static void space_shape(const rlc_space *sp, char *buf, size_t cap) {
    if (sp->kind != RLC_SPACE_BOX) {
        rlc_space_describe(sp, buf, cap);
        return;
    }
    size_t k = (size_t)snprintf(buf, cap, "Box(");
    for (int i = 0; i < sp->ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "", (long long)sp->shape[i]);
    if (k < cap) snprintf(buf + k, cap - k, "%s)", sp->ndim == 1 ? "," : "");
}

static rlc_status dqn_init(rlc_agent *a) {
    const rlc_dqn_config *c = a->cfg;
    const rlc_space *as = a->action_space;
    if (as->kind != RLC_SPACE_DISCRETE) {
        char d[128];
        space_shape(as, d, sizeof d);
        return rlc_error(RLC_ERR_UNSUPPORTED, "dqn needs a Discrete action space; %s has %s",
                         a->env_id, d);
    }
    if (a->obs_space->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "dqn: observation space must be a Box");
    if (c->num_threads > c->num_envs)
        return rlc_error(RLC_ERR_INVALID, "dqn: num_threads (%lld) exceeds num_envs (%lld)",
                         (long long)c->num_threads, (long long)c->num_envs);
    dqn *s = rlc_calloc(1, sizeof *s);
    if (!s) return RLC_ERR_NOMEM;
    a->impl = s;
    s->c = *c;
    s->N = (int)c->num_envs;
    s->D = a->obs_size;
    s->A = (int)as->n;
    s->B = (int)c->batch_size;
    s->eps = c->exploration_final_eps;
    a->num_envs = s->N;
    a->num_threads = (int)c->num_threads;

    rlc_rng init_rng;
    rlc_rng_seed_stream(&init_rng, a->seed, 0);
    rlc_rng_seed_stream(&s->rng_act, a->seed, 1);
    rlc_rng_seed_stream(&s->rng_replay, a->seed, 2);

    rlc_status st = RLC_OK;
    s->p = rlc_params_create(RLC_F32);
    if (!s->p) st = RLC_ERR_NOMEM;
    int sizes[RLC_MLP_MAX_SIZES], ns = 0, H = (int)c->hidden;
    sizes[ns++] = s->D;
    for (int i = 0; i < c->layers; i++) sizes[ns++] = H;
    rlc_act act = c->activation == 0 ? RLC_ACT_RELU : RLC_ACT_TANH;
    /* PyTorch's default Linear init, as SB3 and CleanRL use for their Q-networks */
    rlc_mlp_spec spec = {.sizes = sizes, .nsizes = ns, .act = act, .out_act = act};
    if (!c->dueling) {
        sizes[ns] = s->A;
        spec.nsizes = ns + 1;
        spec.out_act = RLC_ACT_NONE;
    }
    if (!st && !(s->body = rlc_mlp_create(s->p, "q", &spec, &init_rng))) st = RLC_ERR_NOMEM;
    if (!st && c->dueling) {
        st = rlc_linear_add(&s->vh, s->p, "value", H, 1, 1, NULL, NULL, &init_rng);
        if (!st) st = rlc_linear_add(&s->ah, s->p, "advantage", H, s->A, 1, NULL, NULL, &init_rng);
    }
    if (!st) {
        rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
        oc.lr = c->lr;
        oc.eps = c->adam_eps;
        if (!(s->opt = rlc_optim_create(s->p, &oc))) st = RLC_ERR_NOMEM;
    }
    if (!st && !(s->pt = rlc_params_clone(s->p))) st = RLC_ERR_NOMEM;
    if (!st) st = build_act_graph(s, &s->ag[0], s->N);
    if (!st) st = build_act_graph(s, &s->ag[1], 1);
    if (!st) st = build_graphs(s);
    if (!st) {
        rlc_replay_config rc = {.capacity = c->buffer_size,
                                .obs_dim = s->D,
                                .act_dim = 1,
                                .num_envs = s->N,
                                .n_step = (int)c->n_step,
                                .gamma = c->gamma,
                                .prioritized = c->prioritized,
                                .alpha = c->per_alpha,
                                .eps = c->per_eps};
        if (!(s->rb = rlc_replay_create(&rc))) st = RLC_ERR_NOMEM;
    }
    if (!st) {
        size_t B = (size_t)s->B, N = (size_t)s->N, D = (size_t)s->D;
        s->rew = rlc_malloc(sizeof(float) * B);
        s->disc = rlc_malloc(sizeof(float) * B);
        s->td = rlc_malloc(sizeof(float) * B);
        s->idx = rlc_malloc(sizeof(int64_t) * B);
        s->prev_obs = rlc_malloc(sizeof(float) * N * D);
        s->next_obs = rlc_malloc(sizeof(float) * N * D);
        s->prev_act = rlc_malloc(sizeof(float) * N);
        s->step_rew = rlc_malloc(sizeof(float) * N);
        s->valid = rlc_malloc(N);
        if (!s->rew || !s->disc || !s->td || !s->idx || !s->prev_obs || !s->next_obs ||
            !s->prev_act || !s->step_rew || !s->valid)
            st = RLC_ERR_NOMEM;
    }
    if (!st)
        s->batch = (rlc_replay_batch){.obs = s->t_obs->data,
                                      .action = s->t_act->data,
                                      .reward = s->rew,
                                      .next_obs = s->n_obs->data,
                                      .discount = s->disc,
                                      .weight = s->t_w->data,
                                      .index = s->idx};
    if (st) dqn_destroy(a);
    return st;
}

void rlc_dqn_targets(int B, int A, const float *q_target, const float *q_online,
                     const float *reward, const float *discount, int double_q, float *y) {
    for (int b = 0; b < B; b++) {
        const float *qt = q_target + (size_t)b * (size_t)A;
        const float *qs = double_q ? q_online + (size_t)b * (size_t)A : qt;
        int k = 0;
        for (int j = 1; j < A; j++)
            if (qs[j] > qs[k]) k = j;
        y[b] = (float)((double)reward[b] + (double)discount[b] * (double)qt[k]);
    }
}

/* Greedy actions (first maximal Q) of acting graph ag for obs, or epsilon-greedy with eps. */
static void choose(dqn *s, act_graph *ag, const float *obs, double eps, int64_t *out) {
    memcpy(ag->obs->data, obs, sizeof(float) * (size_t)ag->n * (size_t)s->D);
    rlc_graph_forward(ag->g);
    rlc_categorical_argmax(ag->q, out);
    if (eps <= 0) return;
    for (int i = 0; i < ag->n; i++)
        if (rlc_rng_random(&s->rng_act) < eps) out[i] = rlc_rng_integers(&s->rng_act, 0, s->A);
}

/* Stochastic public acting uses the final exploration epsilon (the trained behaviour). */
static rlc_status dqn_act(rlc_agent *a, const float *obs, int n, void *actions,
                          int deterministic) {
    dqn *s = S(a);
    int64_t *ia = actions;
    choose(s, n == s->N ? &s->ag[0] : &s->ag[1], obs,
           deterministic ? 0 : s->c.exploration_final_eps, ia);
    for (int i = 0; i < n; i++) ia[i] += a->action_space->start;
    return RLC_OK;
}

rlc_status rlc_dqn_q_values(rlc_agent *a, const float *obs, int n, float *q) {
    if (!a || a->algo != &rlc__algo_dqn || !obs || !q)
        return rlc_error(RLC_ERR_INVALID, "dqn_q_values: needs a dqn agent and buffers");
    dqn *s = S(a);
    if (n != 1 && n != s->N)
        return rlc_error(RLC_ERR_INVALID, "dqn_q_values: batch %d is neither 1 nor %d", n,
                         s->N);
    act_graph *ag = n == s->N ? &s->ag[0] : &s->ag[1];
    memcpy(ag->obs->data, obs, sizeof(float) * (size_t)n * (size_t)s->D);
    rlc_status st = rlc_graph_forward(ag->g);
    if (st) return st;
    memcpy(q, ag->q->data, sizeof(float) * (size_t)n * (size_t)s->A);
    return RLC_OK;
}

static void dqn_begin(rlc_agent *a, int64_t total_steps) {
    dqn *s = S(a);
    s->total_steps = total_steps;
    s->env_steps = s->vec_steps = 0;
    s->eps = s->c.exploration_initial_eps;
    /* each run starts with fresh env streams: pending n-step queues would mix episodes */
    rlc_replay_clear(s->rb);
}

/* SB3: uniform random actions until learning_starts, then epsilon-greedy. */
static rlc_status dqn_train_act(rlc_agent *a, rlc_vec_env *v) {
    dqn *s = S(a);
    int64_t *ia = v->actions;
    memcpy(s->prev_obs, v->obs_f32, sizeof(float) * (size_t)s->N * (size_t)s->D);
    if (s->env_steps < s->c.learning_starts) {
        for (int i = 0; i < s->N; i++) ia[i] = rlc_rng_integers(&s->rng_act, 0, s->A);
    } else {
        choose(s, &s->ag[0], s->prev_obs, s->eps, ia);
    }
    for (int i = 0; i < s->N; i++) {
        s->prev_act[i] = (float)ia[i];
        ia[i] += a->action_space->start;
    }
    return RLC_OK;
}

static int dqn_observe(rlc_agent *a, const rlc_vec_env *v) {
    dqn *s = S(a);
    const rlc_dqn_config *c = &s->c;
    size_t D = (size_t)s->D;
    for (int i = 0; i < s->N; i++) {
        /* the true next observation: the final one where an episode just ended */
        const float *src = (v->terminated[i] | v->truncated[i]) ? v->final_obs_f32 + i * D
                                                                 : v->obs_f32 + i * D;
        memcpy(s->next_obs + i * D, src, sizeof(float) * D);
        s->step_rew[i] = (float)v->rewards[i];
        s->valid[i] = !v->autoreset[i]; /* next-step autoreset: not a real transition */
    }
    rlc_replay_add(s->rb, s->prev_obs, s->prev_act, s->step_rew, s->next_obs, v->terminated,
                   v->truncated, s->valid);
    s->env_steps += s->N;
    s->vec_steps++;
    double span = c->exploration_fraction * (double)s->total_steps;
    double f = span > 0 ? (double)s->env_steps / span : 1;
    if (f > 1) f = 1;
    s->eps = c->exploration_initial_eps + f * (c->exploration_final_eps -
                                               c->exploration_initial_eps);
    int64_t tu = c->target_update_interval / s->N;
    if (tu < 1) tu = 1;
    if (s->vec_steps % tu == 0) {
        if (c->tau >= 1)
            rlc_params_copy(s->pt, s->p);
        else
            rlc_params_polyak(s->pt, s->p, c->tau);
    }
    return s->env_steps >= c->learning_starts && s->vec_steps % c->train_freq == 0 &&
           rlc_replay_size(s->rb) > 0;
}

static rlc_status dqn_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info) {
    (void)v;
    dqn *s = S(a);
    const rlc_dqn_config *c = &s->c;
    const int B = s->B;
    double prog = s->total_steps > 0 ? (double)s->env_steps / (double)s->total_steps : 1;
    double beta = c->per_beta + (1 - c->per_beta) * (prog < 1 ? prog : 1);
    double sum_loss = 0, sum_q = 0, sum_gn = 0;
    float *y = s->t_y->data;
    const float *qa = s->t_qa->data;
    for (int k = 0; k < c->gradient_steps; k++) {
        rlc_status st = rlc_replay_sample(s->rb, &s->rng_replay, B, beta, &s->batch);
        if (!st) st = rlc_graph_forward(s->gn);
        if (st) return st;
        rlc_dqn_targets(B, s->A, s->n_qt->data, s->n_qo ? s->n_qo->data : NULL, s->rew, s->disc,
                        c->double_q, y);
        if ((st = rlc_graph_forward(s->gt))) return st;
        double loss = rlc_tensor_get(s->t_loss, 0);
        if (!isfinite(loss)) return rlc_error(RLC_ERR_RANGE, "dqn: loss is %g", loss);
        rlc_params_zero_grad(s->p);
        if ((st = rlc_graph_backward(s->gt, s->t_loss))) return st;
        double gn = c->max_grad_norm > 0 ? rlc_clip_grad_norm(s->p, c->max_grad_norm)
                                         : rlc_params_grad_norm(s->p);
        rlc_optim_step(s->opt);
        double qm = 0;
        for (int j = 0; j < B; j++) {
            s->td[j] = y[j] - qa[j];
            qm += qa[j];
        }
        if (c->prioritized) rlc_replay_update(s->rb, s->idx, s->td, B);
        sum_loss += loss;
        sum_q += qm / B;
        sum_gn += gn;
    }
    double d = (double)c->gradient_steps;
    info->n = 0;
#define STAT(k, x) (info->key[info->n] = (k), info->value[info->n++] = (x))
    STAT("loss/td", sum_loss / d);
    STAT("loss/q_mean", sum_q / d);
    STAT("loss/grad_norm", sum_gn / d);
    STAT("epsilon", s->eps);
    if (c->prioritized) STAT("per_beta", beta);
#undef STAT
    return RLC_OK;
}

static rlc_status dqn_write_state(rlc_agent *a, rlc_st_writer *w) {
    return rlc_params_write(S(a)->pt, w, "target.", 0);
}

static rlc_status dqn_read_state(rlc_agent *a, const rlc_st_file *f) {
    return rlc_params_read(S(a)->pt, f, "target.", 0);
}

/* Resumable checkpoints (any step where no sub-env waits for its autoreset): the two RNG
 * streams as raw bytes (plain structs), the step counters and epsilon, and the replay buffer
 * with its pending n-step queues and priorities. prev_obs/prev_act are rewritten by the next
 * train_act, so they are not state. */
static rlc_status dqn_write_train_state(rlc_agent *a, rlc_st_writer *w) {
    dqn *s = S(a);
    int64_t nr = (int64_t)sizeof(rlc_rng), n2 = 2, cnt[2] = {s->env_steps, s->vec_steps};
    rlc_status st = rlc_st_writer_add_copy(w, "dqn.rng_act", RLC_ST_U8, 1, &nr, &s->rng_act);
    if (!st) st = rlc_st_writer_add_copy(w, "dqn.rng_replay", RLC_ST_U8, 1, &nr, &s->rng_replay);
    if (!st) st = rlc_st_writer_add_copy(w, "dqn.counters", RLC_ST_I64, 1, &n2, cnt);
    if (!st) st = rlc_st_writer_add_copy(w, "dqn.eps", RLC_ST_F64, 0, NULL, &s->eps);
    if (!st) st = rlc_replay_write(s->rb, w, "dqn.replay.");
    return st;
}

static rlc_status dqn_read_train_state(rlc_agent *a, const rlc_st_file *f) {
    dqn *s = S(a);
    int64_t nr = (int64_t)sizeof(rlc_rng), n2 = 2, cnt[2];
    rlc_rng ra, rr;
    double eps;
    rlc_status st = rlc_st_read_into(f, "dqn.rng_act", RLC_ST_U8, 1, &nr, &ra);
    if (!st) st = rlc_st_read_into(f, "dqn.rng_replay", RLC_ST_U8, 1, &nr, &rr);
    if (!st) st = rlc_st_read_into(f, "dqn.counters", RLC_ST_I64, 1, &n2, cnt);
    if (!st) st = rlc_st_read_into(f, "dqn.eps", RLC_ST_F64, 0, NULL, &eps);
    if (!st && (cnt[0] < 0 || cnt[1] < 0))
        st = rlc_error(RLC_ERR_FORMAT, "dqn: corrupt step counters");
    if (!st) st = rlc_replay_read(s->rb, f, "dqn.replay.");
    if (st) return st;
    s->rng_act = ra;
    s->rng_replay = rr;
    s->env_steps = cnt[0];
    s->vec_steps = cnt[1];
    s->eps = eps;
    return RLC_OK;
}

const rlc__algo rlc__algo_dqn = {
    .name = "dqn",
    .table = rlc_dqn_config_table,
    .init = dqn_init,
    .destroy = dqn_destroy,
    .params = dqn_params,
    .act = dqn_act,
    .begin = dqn_begin,
    .train_act = dqn_train_act,
    .observe = dqn_observe,
    .update = dqn_update,
    .write_state = dqn_write_state,
    .read_state = dqn_read_state,
    .write_train_state = dqn_write_train_state,
    .read_train_state = dqn_read_train_state,
};
