/* Exact resume of off-policy runs (DQN, SAC, TD3): a run killed after a checkpoint and
 * continued in a fresh agent ends with the same checkpoint, tensor for tensor (parameters,
 * optimizer moments, targets, replay contents and priorities, RNG streams, env snapshots), as
 * an uninterrupted run; kills before learning starts, mid-episode and after the replay has
 * wrapped around; checkpoints of another algorithm, env or replay size are refused. */
#include "test.h"

#include "rlc/agent.h"
#include "rlc/safetensors.h"

typedef struct run_spec {
    const char *algo, *env;
    const char *sets[16]; /* "key=value", NULL-terminated */
    uint64_t seed;
    int64_t steps, every;
} run_spec;

static rlc_agent *make_agent(const run_spec *r) {
    const rlc_config_table *t = rlc_algo_config_table(r->algo);
    assert_non_null(t);
    void *cfg = malloc(t->size);
    rlc_config_defaults(t, cfg);
    for (int i = 0; r->sets[i]; i++) {
        char key[64];
        const char *eq = strchr(r->sets[i], '=');
        assert_non_null(eq);
        snprintf(key, sizeof key, "%.*s", (int)(eq - r->sets[i]), r->sets[i]);
        if (rlc_config_set(t, cfg, key, eq + 1)) fail_msg("set %s: %s", key, rlc_last_error());
    }
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, r->algo, r->env, NULL, cfg, r->seed))
        fail_msg("create %s: %s", r->algo, rlc_last_error());
    free(cfg);
    return a;
}

/* Trains (or resumes) run r with checkpoints in `path`; stop_at > 0 kills it after the first
 * checkpoint at or past that step. Returns the steps reached. */
static int64_t train(const run_spec *r, const char *path, int resume, int64_t stop_at) {
    rlc_agent *a = make_agent(r);
    rlc_train_options o = {.total_steps = r->steps};
    rlc_train_checkpoint ck = {.path = path, .every = r->every, .resume = resume,
                               .stop_at = stop_at};
    rlc_train_result res;
    if (rlc_agent_train_resumable(a, r->seed, &o, &ck, &res))
        fail_msg("%s train (resume %d): %s", r->algo, resume, rlc_last_error());
    rlc_agent_destroy(a);
    return res.steps;
}

/* Every tensor of checkpoint pa equals the one of the same name in pb, byte for byte. */
static void same_checkpoint(const char *pa, const char *pb) {
    rlc_st_file *a = NULL, *b = NULL;
    assert_int_equal(rlc_st_load(pa, &a), RLC_OK);
    assert_int_equal(rlc_st_load(pb, &b), RLC_OK);
    assert_int_equal(rlc_st_count(a), rlc_st_count(b));
    for (int i = 0; i < rlc_st_count(a); i++) {
        const rlc_st_tensor *ta = rlc_st_at(a, i), *tb = rlc_st_get(b, ta->name);
        if (!tb) fail_msg("tensor %s missing after resume", ta->name);
        assert_int_equal(ta->nbytes, tb->nbytes);
        if (ta->nbytes && memcmp(ta->data, tb->data, ta->nbytes))
            fail_msg("tensor %s differs after resume", ta->name);
    }
    rlc_st_file_destroy(a);
    rlc_st_file_destroy(b);
}

static const char *tmp_path(char *buf, size_t cap, const char *algo, const char *what) {
    snprintf(buf, cap, "%s/resume_%s_%s.safetensors", rlc_test_tmpdir(), algo, what);
    return buf;
}

/* The uninterrupted run, then one kill/resume per stop step; every final checkpoint must equal
 * the uninterrupted one. Also checks that the killed run stopped where asked and, for the first
 * stop, that learning had not started yet (no update counted). */
static void check_resume(const run_spec *r, const int64_t *stops, int nstops,
                         int64_t learning_starts) {
    char full[600], part[600], name[32];
    tmp_path(full, sizeof full, r->algo, "full");
    assert_int_equal(train(r, full, 0, 0), r->steps);
    for (int k = 0; k < nstops; k++) {
        snprintf(name, sizeof name, "stop%lld", (long long)stops[k]);
        tmp_path(part, sizeof part, r->algo, name);
        int64_t at = train(r, part, 0, stops[k]);
        assert_true(at >= stops[k] && at < r->steps);
        rlc_st_file *f = NULL;
        assert_int_equal(rlc_st_load(part, &f), RLC_OK);
        char key[64];
        snprintf(key, sizeof key, "%s.replay.obs", r->algo);
        const rlc_st_tensor *t = rlc_st_get(f, key);
        assert_non_null(t);
        assert_true(t->shape[0] > 0); /* the replay holds transitions at the kill */
        const rlc_st_tensor *c = rlc_st_get(f, "trainer.counters");
        assert_non_null(c);
        int64_t counters[8];
        memcpy(counters, c->data, sizeof counters);
        if (k == 0) {
            assert_true(at < learning_starts);
            assert_int_equal(counters[2], 0); /* no update yet */
        } else {
            assert_true(at > learning_starts);
            assert_true(counters[2] > 0);
        }
        rlc_st_file_destroy(f);
        assert_int_equal(train(r, part, 1, 0), r->steps);
        same_checkpoint(full, part);
    }
}

static const run_spec DQN_RUN = {
    .algo = "dqn",
    .env = "CartPole-v1",
    .sets = {"num_envs=2", "buffer_size=500", "learning_starts=300", "train_freq=4",
             "gradient_steps=2", "batch_size=16", "hidden=32", "target_update_interval=50",
             "n_step=3", "prioritized=1", "double_q=1", "dueling=1", "exploration_fraction=0.5",
             "lr=0.001", NULL},
    .seed = 5,
    .steps = 1400,
    .every = 100};

static const run_spec SAC_RUN = {
    .algo = "sac",
    .env = "Pendulum-v1",
    .sets = {"buffer_size=450", "learning_starts=300", "batch_size=32", "hidden=32",
             "utd=0.5", "policy_every=2", "critic_layer_norm=1", NULL},
    .seed = 7,
    .steps = 900,
    .every = 50};

static const run_spec TD3_RUN = {
    .algo = "td3",
    .env = "Pendulum-v1",
    .sets = {"num_envs=2", "buffer_size=450", "learning_starts=300", "batch_size=32",
             "hidden=32", "utd=0.75", NULL},
    .seed = 9,
    .steps = 900,
    .every = 50};

/* TD3 with the asymmetric critic: the state standardisation is accumulated across the first
 * kill (before learning starts) and frozen across the second */
static const run_spec TD3_ASYM_RUN = {
    .algo = "td3",
    .env = "Pendulum-v1",
    .sets = {"num_envs=2", "buffer_size=450", "learning_starts=300", "batch_size=32",
             "hidden=32", "utd=0.75", "critic_state=1", NULL},
    .seed = 9,
    .steps = 900,
    .every = 50};

/* The fused small-network paths (fused=1) keep no state outside the params, optimizer moments,
 * replay and RNG streams, so they resume exactly too. */
static const run_spec SAC_FUSED_RUN = {
    .algo = "sac",
    .env = "Pendulum-v1",
    .sets = {"num_envs=2", "buffer_size=450", "learning_starts=300", "batch_size=32",
             "hidden=16", "activation=tanh", "utd=0.5", "policy_every=2", "fused=1", NULL},
    .seed = 7,
    .steps = 900,
    .every = 50};

static const run_spec TD3_FUSED_RUN = {
    .algo = "td3",
    .env = "Pendulum-v1",
    .sets = {"num_envs=2", "buffer_size=450", "learning_starts=300", "batch_size=32",
             "hidden=16", "utd=0.75", "critic_state=1", "fused=1", NULL},
    .seed = 9,
    .steps = 900,
    .every = 50};

/* DQN with every replay feature (prioritized sum-tree, 3-step queues, a ring that wraps) and
 * hard target copies and epsilon decaying across the kill. */
static void test_resume_dqn(void **st) {
    (void)st;
    const int64_t stops[] = {150, 820};
    check_resume(&DQN_RUN, stops, 2, 300);
}

/* SAC with a fractional update-to-data credit, delayed actor steps and LayerNorm critics;
 * 250 and 550 are inside Pendulum's 200-step episodes (one env). */
static void test_resume_sac(void **st) {
    (void)st;
    const int64_t stops[] = {250, 550};
    check_resume(&SAC_RUN, stops, 2, 300);
}

static void test_resume_td3(void **st) {
    (void)st;
    const int64_t stops[] = {120, 640};
    check_resume(&TD3_RUN, stops, 2, 300);
}

static void test_resume_td3_asym(void **st) {
    (void)st;
    const int64_t stops[] = {120, 640};
    check_resume(&TD3_ASYM_RUN, stops, 2, 300);
}

static void test_resume_fused(void **st) {
    (void)st;
    const int64_t stops[] = {250, 640};
    check_resume(&SAC_FUSED_RUN, stops, 2, 300);
    check_resume(&TD3_FUSED_RUN, stops, 2, 300);
}

/* Resuming with another algorithm, env or replay capacity is refused with a message naming
 * the mismatch, and the agent can still train afterwards. */
static void test_resume_refused(void **st) {
    (void)st;
    char path[600];
    tmp_path(path, sizeof path, "sac", "foreign");
    train(&SAC_RUN, path, 0, 0);
    rlc_train_options o = {.total_steps = SAC_RUN.steps};
    rlc_train_checkpoint ck = {.path = path, .every = SAC_RUN.every, .resume = 1};

    run_spec other = TD3_RUN;
    other.seed = SAC_RUN.seed;
    rlc_agent *a = make_agent(&other);
    assert_int_equal(rlc_agent_train_resumable(a, SAC_RUN.seed, &o, &ck, NULL), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "algo sac, expected td3");
    rlc_agent_destroy(a);

    other = SAC_RUN;
    other.env = "MountainCarContinuous-v0";
    a = make_agent(&other);
    assert_int_equal(rlc_agent_train_resumable(a, SAC_RUN.seed, &o, &ck, NULL), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "env Pendulum-v1, expected MountainCarContinuous-v0");
    rlc_agent_destroy(a);

    /* same algo and env, but a replay of another size */
    other = SAC_RUN;
    other.sets[0] = "buffer_size=451";
    a = make_agent(&other);
    assert_int_equal(rlc_agent_train_resumable(a, SAC_RUN.seed, &o, &ck, NULL), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "capacity 450 in the file, this buffer has 451");
    rlc_agent_destroy(a);

    /* a DQN checkpoint given to a DQN on another env */
    tmp_path(path, sizeof path, "dqn", "foreign");
    run_spec d = DQN_RUN;
    d.steps = 200;
    train(&d, path, 0, 0);
    d.env = "Acrobot-v1";
    a = make_agent(&d);
    o.total_steps = 200;
    ck.path = path;
    ck.every = d.every;
    assert_int_equal(rlc_agent_train_resumable(a, d.seed, &o, &ck, NULL), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "env CartPole-v1, expected Acrobot-v1");
    /* the refused agent still trains */
    ck.resume = 0;
    ck.path = NULL;
    assert_int_equal(rlc_agent_train_resumable(a, d.seed, &o, &ck, NULL), RLC_OK);
    rlc_agent_destroy(a);
}

RLC_TESTS(algo_resume, cmocka_unit_test(test_resume_dqn), cmocka_unit_test(test_resume_sac),
          cmocka_unit_test(test_resume_fused),
          cmocka_unit_test(test_resume_td3),
          cmocka_unit_test(test_resume_td3_asym), cmocka_unit_test(test_resume_refused))
