/* Snapshot RL layer (S3RL): starts restore the recorded teacher states bit for bit, the
 * clustering is deterministic for a seed and clusters are drawn uniformly, snapshot episodes are
 * truncated at the horizon, seeding and snapshots of the layer, and errors. */
#include "test.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "rlc/env.h"
#include "rlc/rng.h"
#include "rlc/wrappers.h"

static rlc_env *make(const char *id) {
    rlc_env *e;
    if (rlc_env_make(&e, id, NULL)) fail_msg("make %s: %s", id, rlc_last_error());
    return e;
}

/* Pendulum teacher: energy pumping, then a PD hold near the top; remembers every obs. */
typedef struct teacher {
    float *obs; /* [cap * 3] */
    int64_t n, cap;
} teacher;

static rlc_status pendulum_teacher(const void *obs, void *action, void *user) {
    const float *o = obs;
    teacher *t = user;
    if (t->n < t->cap) memcpy(t->obs + t->n * 3, o, 3 * sizeof(float));
    t->n++;
    double th = atan2(o[1], o[0]), thd = o[2];
    double u;
    if (o[0] > 0.85)
        u = -12.0 * th - 2.5 * thd;
    else /* energy pumping toward the upright energy m g l / 2 = 5 */
        u = 3.0 * (5.0 - (thd * thd / 6.0 + 5.0 * o[0])) * (thd >= 0 ? 1.0 : -1.0);
    float *a = action;
    a[0] = (float)(u > 2 ? 2 : u < -2 ? -2 : u);
    return RLC_OK;
}

static double *record(int episodes, int64_t *n, teacher *t) {
    rlc_env *e = make("Pendulum-v1");
    double *states = NULL;
    double rets[8];
    assert_int_equal(rlc_snapshot_record(e, pendulum_teacher, t, episodes, 100, &states, n, rets),
                     RLC_OK);
    assert_int_equal(*n, 200 * episodes); /* Pendulum never terminates */
    assert_int_equal(t->n, *n);
    for (int i = 0; i < episodes; i++)
        assert_true(rets[i] > -600); /* the teacher swings up (random play: about -1200) */
    rlc_env_destroy(e);
    return states;
}

static void test_snapshot_restores_states(void **st) {
    (void)st;
    teacher t = {calloc(800 * 3, sizeof(float)), 0, 800};
    int64_t n;
    double *states = record(4, &n, &t);
    rlc_env *w = make("Pendulum-v1");
    rlc_snapshot_options o;
    rlc_snapshot_options_init(&o);
    o.seed = 5;
    o.prob = 0.75;
    assert_int_equal(rlc_wrap_snapshot(&w, w, states, n, &o), RLC_OK);
    assert_true(rlc_snapshot_is(w));
    assert_non_null(rlc_snapshot_inner(w));
    assert_string_equal(rlc_env_id(w), "Pendulum-v1");
    float obs[3];
    int from_snap = 0, own = 0;
    for (int r = 0; r < 200; r++) {
        assert_int_equal(rlc_env_reset(w, r == 0 ? 9 : RLC_ENV_NO_SEED, obs), RLC_OK);
        int64_t i = rlc_snapshot_last_start(w);
        if (i < 0) {
            own++;
            continue;
        }
        from_snap++;
        assert_true(i < n);
        /* bit-identical to the obs the teacher saw in that state */
        assert_memory_equal(obs, t.obs + i * 3, sizeof obs);
        double v[2];
        assert_int_equal(rlc_env_get_state_vector(w, v), RLC_OK);
        assert_memory_equal(v, states + i * 2, sizeof v);
    }
    /* prob 0.75 over 200 resets */
    assert_true(from_snap > 120 && from_snap < 180 && own > 20);
    rlc_env_destroy(w);
    rlc_free(states);
    free(t.obs);
}

/* MuJoCo (qpos/qvel through the state vector): a Hopper-v4 episode started from a recorded
 * state gives the observation the teacher saw there bit for bit, and, for the same action, the
 * next observation a plain env restored to that state gives. That one agrees to rounding only:
 * like Gymnasium's set_state, restoring keeps the solver's warm start (qacc_warmstart) from the
 * env's history, which moves the contact solution by a few ulps. */
typedef struct hopper_teacher {
    double obs[64 * 11]; /* float64 observations, the first 64 steps */
    int64_t n;
    rlc_rng rng;
} hopper_teacher;

static rlc_status hopper_act(const void *obs, void *action, void *user) {
    hopper_teacher *t = user;
    if (t->n < 64) memcpy(t->obs + t->n * 11, obs, 11 * sizeof(double));
    t->n++;
    float *a = action;
    for (int i = 0; i < 3; i++)
        a[i] = (float)rlc_rng_uniform(&t->rng, -0.3, 0.3);
    return RLC_OK;
}

static void test_snapshot_mujoco(void **st) {
    (void)st;
#ifndef RLC_HAVE_MUJOCO
    print_message("  skipped: rlc was built without libmujoco\n");
#else
    hopper_teacher t;
    memset(&t, 0, sizeof t);
    rlc_rng_seed(&t.rng, 3);
    rlc_env *e = make("Hopper-v4");
    double *states = NULL;
    int64_t n = 0;
    assert_int_equal(rlc_snapshot_record(e, hopper_act, &t, 1, 21, &states, &n, NULL), RLC_OK);
    rlc_env_destroy(e);
    assert_true(n >= 20); /* small random actions: it stands for a while */
    int d = 0;
    {
        rlc_env *p = make("Hopper-v4");
        d = rlc_env_state_dim(p);
        rlc_env_destroy(p);
    }
    assert_true(d >= 12); /* qpos (6) and qvel (6) at least */
    rlc_env *w = make("Hopper-v4");
    rlc_snapshot_options o;
    rlc_snapshot_options_init(&o);
    o.seed = 2;
    o.horizon = 7;
    assert_int_equal(rlc_wrap_snapshot(&w, w, states, n, &o), RLC_OK);
    rlc_env *ref = make("Hopper-v4");
    int checked = 0;
    for (int r = 0; r < 30; r++) {
        double obs[11], obs2[11], robs[11];
        assert_int_equal(rlc_env_reset(w, r == 0 ? 4 : RLC_ENV_NO_SEED, obs), RLC_OK);
        int64_t i = rlc_snapshot_last_start(w);
        assert_true(i >= 0 && i < n);
        if (i < 64) {
            assert_memory_equal(obs, t.obs + i * 11, sizeof obs);
            checked++;
        }
        /* the same action from the same restored state in a plain env: the same step */
        assert_int_equal(rlc_env_reset(ref, 0, robs), RLC_OK);
        assert_int_equal(rlc_env_set_state_vector(ref, states + i * d, d), RLC_OK);
        const float act[3] = {0.2f, -0.1f, 0.05f};
        rlc_step_result a, b;
        assert_int_equal(rlc_env_step(w, act, obs2, &a), RLC_OK);
        assert_int_equal(rlc_env_step(ref, act, robs, &b), RLC_OK);
        for (int k = 0; k < 11; k++)
            assert_close(obs2[k], robs[k], 1e-9 * (1 + fabs(robs[k])));
        assert_close(a.reward, b.reward, 1e-9);
        int steps = 1;
        rlc_step_result s = a;
        while (!s.terminated && !s.truncated) {
            assert_int_equal(rlc_env_step(w, act, obs2, &s), RLC_OK);
            steps++;
        }
        if (!s.terminated) assert_int_equal(steps, 7); /* truncated at the horizon */
    }
    assert_true(checked > 10);
    rlc_env_destroy(ref);
    rlc_env_destroy(w);
    rlc_free(states);
#endif
}

static void test_snapshot_clusters(void **st) {
    (void)st;
    teacher t = {NULL, 0, 0};
    int64_t n;
    double *states = record(4, &n, &t);
    rlc_snapshot_options o;
    rlc_snapshot_options_init(&o);
    o.seed = 11;
    int32_t *l1 = malloc(sizeof(int32_t) * (size_t)n), *l2 = malloc(sizeof(int32_t) * (size_t)n);
    rlc_env *a = make("Pendulum-v1"), *b = make("Pendulum-v1");
    assert_int_equal(rlc_wrap_snapshot(&a, a, states, n, &o), RLC_OK);
    assert_int_equal(rlc_wrap_snapshot(&b, b, states, n, &o), RLC_OK);
    int ka, kb;
    assert_int_equal(rlc_snapshot_clusters(a, &ka, l1), RLC_OK);
    assert_int_equal(rlc_snapshot_clusters(b, &kb, l2), RLC_OK);
    assert_int_equal(ka, 8);
    assert_int_equal(kb, 8);
    assert_memory_equal(l1, l2, sizeof(int32_t) * (size_t)n); /* same seed, same clusters */
    int64_t size[8] = {0};
    for (int64_t i = 0; i < n; i++) {
        assert_true(l1[i] >= 0 && l1[i] < 8);
        size[l1[i]]++;
    }
    int64_t smallest = n;
    for (int c = 0; c < 8; c++)
        if (size[c] < smallest) smallest = size[c];
    assert_true(smallest > 0);
    /* clusters are drawn uniformly: the smallest cluster gets about 1/8 of the starts although
     * it holds far fewer states (the teacher spends most steps balancing at the top) */
    int64_t hits[8] = {0};
    float obs[3];
    const int R = 4000;
    for (int r = 0; r < R; r++) {
        assert_int_equal(rlc_env_reset(a, r == 0 ? 1 : RLC_ENV_NO_SEED, obs), RLC_OK);
        hits[l1[rlc_snapshot_last_start(a)]]++;
    }
    for (int c = 0; c < 8; c++)
        assert_true(fabs((double)hits[c] / R - 0.125) < 0.03);
    /* a clustering that is not a constant: nearby obs share a cluster more often than not */
    int same = 0;
    for (int64_t i = 0; i + 1 < n; i++)
        same += (i % 200 != 199) && l1[i] == l1[i + 1];
    assert_true(same > (int)(n * 3 / 4));
    /* no classification: one cluster */
    rlc_env *c1 = make("Pendulum-v1");
    o.clusters = 1;
    assert_int_equal(rlc_wrap_snapshot(&c1, c1, states, n, &o), RLC_OK);
    assert_int_equal(rlc_snapshot_clusters(c1, &ka, NULL), RLC_OK);
    assert_int_equal(ka, 1);
    rlc_env_destroy(c1);
    rlc_env_destroy(a);
    rlc_env_destroy(b);
    free(l1);
    free(l2);
    rlc_free(states);
}

static void test_snapshot_truncation(void **st) {
    (void)st;
    teacher t = {NULL, 0, 0};
    int64_t n;
    double *states = record(2, &n, &t);
    rlc_snapshot_options o;
    rlc_snapshot_options_init(&o);
    o.horizon = 17;
    o.prob = 0.5;
    rlc_env *w = make("Pendulum-v1");
    assert_int_equal(rlc_wrap_snapshot(&w, w, states, n, &o), RLC_OK);
    float obs[3], act[1] = {0.5f};
    int snap_eps = 0, own_eps = 0;
    for (int e = 0; e < 20; e++) {
        assert_int_equal(rlc_env_reset(w, e == 0 ? 3 : RLC_ENV_NO_SEED, obs), RLC_OK);
        int from = rlc_snapshot_last_start(w) >= 0;
        rlc_step_result r = {0};
        int64_t len = 0;
        while (!(r.terminated || r.truncated)) {
            assert_int_equal(rlc_env_step(w, act, obs, &r), RLC_OK);
            len++;
        }
        assert_int_equal(r.terminated, 0);
        assert_int_equal(r.truncated, 1);
        assert_int_equal(len, from ? 17 : 200);
        assert_int_equal(r.episode_length, len);
        snap_eps += from;
        own_eps += !from;
    }
    assert_true(snap_eps > 0 && own_eps > 0);
    rlc_env_destroy(w);
    rlc_free(states);
}

static void test_snapshot_seeding_and_state(void **st) {
    (void)st;
    teacher t = {NULL, 0, 0};
    int64_t n;
    double *states = record(2, &n, &t);
    rlc_snapshot_options o;
    rlc_snapshot_options_init(&o);
    o.prob = 0.5;
    o.horizon = 30;
    rlc_env *a = make("Pendulum-v1"), *b = make("Pendulum-v1");
    assert_int_equal(rlc_wrap_snapshot(&a, a, states, n, &o), RLC_OK);
    assert_int_equal(rlc_wrap_snapshot(&b, b, states, n, &o), RLC_OK);
    float oa[3], ob[3], act[1] = {-1.0f};
    /* same seed: same starts */
    for (int e = 0; e < 10; e++) {
        rlc_env_reset(a, e == 0 ? 42 : RLC_ENV_NO_SEED, oa);
        rlc_env_reset(b, e == 0 ? 42 : RLC_ENV_NO_SEED, ob);
        assert_int_equal(rlc_snapshot_last_start(a), rlc_snapshot_last_start(b));
        assert_memory_equal(oa, ob, sizeof oa);
    }
    /* a snapshot of the layer reproduces the future (resets included) */
    size_t sz = rlc_env_state_size(a);
    void *buf = malloc(sz);
    assert_int_equal(rlc_env_get_state(a, buf, sz), RLC_OK);
    double ret1 = 0, ret2 = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass) assert_int_equal(rlc_env_set_state(a, buf, sz), RLC_OK);
        double *ret = pass ? &ret2 : &ret1;
        for (int s = 0; s < 150; s++) {
            rlc_step_result r;
            if (!rlc_env_running(a)) rlc_env_reset(a, RLC_ENV_NO_SEED, oa);
            assert_int_equal(rlc_env_step(a, act, oa, &r), RLC_OK);
            *ret += r.reward * (s + 1) + (double)rlc_snapshot_last_start(a);
        }
    }
    assert_true(ret1 == ret2);
    free(buf);
    rlc_env_destroy(a);
    rlc_env_destroy(b);
    rlc_free(states);
}

static void test_snapshot_errors(void **st) {
    (void)st;
    double good[2] = {0.5, 0.1}, bad[4] = {0.5, 0.1, NAN, 0};
    rlc_env *e = make("Pendulum-v1"), *w = NULL;
    rlc_snapshot_options o;
    rlc_snapshot_options_init(&o);
    o.prob = 1.5;
    assert_int_equal(rlc_wrap_snapshot(&w, e, good, 1, &o), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "prob");
    rlc_snapshot_options_init(&o);
    o.horizon = -1;
    assert_int_equal(rlc_wrap_snapshot(&w, e, good, 1, &o), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "horizon");
    assert_int_equal(rlc_wrap_snapshot(&w, e, bad, 2, NULL), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "teacher state 1, value 0");
    assert_int_equal(rlc_wrap_snapshot(&w, e, good, 0, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "at least one teacher state");
    assert_null(w);
    assert_false(rlc_snapshot_is(e));
    assert_int_equal(rlc_snapshot_last_start(e), -1);
    assert_int_equal(rlc_snapshot_clusters(e, NULL, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "not a snapshot layer");
    /* e is still usable and ours; one state and more clusters than states */
    assert_int_equal(rlc_wrap_snapshot(&w, e, good, 1, NULL), RLC_OK);
    int k;
    assert_int_equal(rlc_snapshot_clusters(w, &k, NULL), RLC_OK);
    assert_int_equal(k, 1);
    float obs[3];
    assert_int_equal(rlc_env_reset(w, 0, obs), RLC_OK);
    assert_true(fabsf(obs[0] - (float)cos(0.5)) < 1e-7f && fabsf(obs[2] - 0.1f) < 1e-7f);
    rlc_env_destroy(w);
}

static int sh(const char *cmd, char *out, size_t cap) {
    char full[3000], path[600];
    snprintf(path, sizeof path, "%s/snap-cli.txt", rlc_test_tmpdir());
    snprintf(full, sizeof full, "OPENBLAS_NUM_THREADS=1 %s > '%s' 2>&1", cmd, path);
    int rc = system(full);
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = 0;
    if (f) fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* rlc train --snapshot-teacher: a teacher run, then SAC whose episodes start from its states
 * and last --snapshot-horizon steps. */
static void test_snapshot_cli(void **st) {
    (void)st;
    const char *rlc = rlc_test_rlc_binary(), *tmp = rlc_test_tmpdir();
    char cmd[2000], out[8192];
    snprintf(cmd, sizeof cmd,
             "%s train --env Pendulum-v1 --algo td3 --steps 400 --set learning_starts=200 "
             "--set hidden=16 --out '%s/snap-teacher' --force --quiet",
             rlc, tmp);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    snprintf(cmd, sizeof cmd,
             "%s train --env Pendulum-v1 --algo sac --steps 1000 --set learning_starts=1000 "
             "--set hidden=16 --snapshot-teacher '%s/snap-teacher' --snapshot-horizon 50 "
             "--out '%s/snap-student' --force --log-interval 1000",
             rlc, tmp, tmp);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    /* 50-step episodes plus the vector env's autoreset step: 19 (from the env's own start
     * state: 4) */
    assert_contains(out, "done: 1000 steps, 19 episodes");
    snprintf(cmd, sizeof cmd,
             "%s train --env CartPole-v1 --snapshot-teacher '%s/snap-teacher' --steps 100 "
             "--out '%s/snap-bad' --force",
             rlc, tmp, tmp);
    assert_int_equal(sh(cmd, out, sizeof out), 1);
    assert_contains(out, "was trained on Pendulum-v1, not on CartPole-v1");
    snprintf(cmd, sizeof cmd, "%s train --env Pendulum-v1 --snapshot-horizon -3", rlc);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_contains(out, "--snapshot-horizon expects an integer >= 0, got '-3'");
}

RLC_TESTS(snapshot, cmocka_unit_test(test_snapshot_restores_states),
          cmocka_unit_test(test_snapshot_mujoco),
          cmocka_unit_test(test_snapshot_clusters), cmocka_unit_test(test_snapshot_truncation),
          cmocka_unit_test(test_snapshot_seeding_and_state), cmocka_unit_test(test_snapshot_errors),
          cmocka_unit_test(test_snapshot_cli))
