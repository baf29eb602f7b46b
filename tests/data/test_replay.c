/* Replay buffer: uniform frequencies, ring overwrite, n-step returns and discounts against
 * hand computation, sum-tree sampling proportional to priority, importance weights, priority
 * updates, allocation failures and reproducibility. */
#include "test.h"

#include <math.h>

#include "rlc/replay.h"

enum { MAXB = 256 };

/* Caller-owned batch buffers (obs_dim <= 4, act_dim <= 2). */
typedef struct bufs {
    float obs[MAXB * 4], act[MAXB * 2], rew[MAXB], next[MAXB * 4], disc[MAXB], w[MAXB];
    int64_t idx[MAXB];
    rlc_replay_batch b;
} bufs;

static void bufs_init(bufs *x) {
    x->b = (rlc_replay_batch){x->obs, x->act, x->rew, x->next, x->disc, x->w, x->idx};
}

static rlc_replay *make(int64_t cap, int D, int N, int n, double gamma, int prio, double alpha) {
    rlc_replay_config c = {.capacity = cap, .obs_dim = D, .act_dim = 1, .num_envs = N,
                           .n_step = n, .gamma = gamma, .prioritized = prio, .alpha = alpha,
                           .eps = 0};
    rlc_replay *r = rlc_replay_create(&c);
    if (!r) fail_msg("create: %s", rlc_last_error());
    return r;
}

/* Adds one single-env transition whose obs is (k, 0), action k, reward k, next obs (k + 1). */
static void add1(rlc_replay *r, float k, int term, int trunc) {
    float o[2] = {k, 0}, a = k, rw = k, nx[2] = {k + 1, 0};
    uint8_t te = (uint8_t)term, tr = (uint8_t)trunc;
    assert_int_equal(rlc_replay_add(r, o, &a, &rw, nx, &te, &tr, NULL), RLC_OK);
}

static void test_errors(void **st) {
    (void)st;
    rlc_replay_config c = {.capacity = 0, .obs_dim = 2, .act_dim = 1, .num_envs = 1,
                           .n_step = 1, .gamma = 0.99};
    assert_null(rlc_replay_create(&c));
    assert_contains(rlc_last_error(), "capacity 0");
    c.capacity = 10;
    c.gamma = 1.5;
    assert_null(rlc_replay_create(&c));
    assert_null(rlc_replay_create(NULL));
    rlc_replay *r = make(10, 2, 1, 1, 0.9, 0, 0);
    bufs x;
    bufs_init(&x);
    rlc_rng g;
    rlc_rng_seed(&g, 1);
    assert_int_equal(rlc_replay_sample(r, &g, 4, 0, &x.b), RLC_ERR_STATE);
    add1(r, 0, 0, 0);
    assert_int_equal(rlc_replay_sample(r, &g, 0, 0, &x.b), RLC_ERR_INVALID);
    assert_int_equal(rlc_replay_sample(r, &g, 4, 0, &x.b), RLC_OK);
    assert_close(x.disc[0], 0.9, 1e-7);
    assert_close(x.w[0], 1, 0);
    rlc_replay_destroy(r);
    rlc_replay_destroy(NULL);
}

static void test_uniform_frequencies(void **st) {
    (void)st;
    enum { C = 10, DRAWS = 200 * 100 };
    rlc_replay *r = make(C, 2, 1, 1, 0.99, 0, 0);
    for (int k = 0; k < C; k++) add1(r, (float)k, 0, 0);
    assert_int_equal(rlc_replay_size(r), C);
    bufs x;
    bufs_init(&x);
    rlc_rng g;
    rlc_rng_seed(&g, 42);
    int count[C] = {0};
    for (int rep = 0; rep < 200; rep++) {
        assert_int_equal(rlc_replay_sample(r, &g, 100, 0.4, &x.b), RLC_OK);
        for (int j = 0; j < 100; j++) {
            int k = (int)x.obs[2 * j];
            assert_true(k >= 0 && k < C);
            assert_int_equal(x.idx[j], k); /* slot k holds transition k */
            assert_close(x.act[j], k, 0);
            assert_close(x.rew[j], k, 0);
            assert_close(x.next[2 * j], k + 1, 0);
            assert_close(x.w[j], 1, 0);
            count[k]++;
        }
    }
    double chi2 = 0, e = (double)DRAWS / C;
    for (int k = 0; k < C; k++) chi2 += (count[k] - e) * (count[k] - e) / e;
    if (chi2 > 30) fail_msg("chi-square %.1f over 9 degrees of freedom", chi2);
    rlc_replay_destroy(r);
}

static void test_wraparound(void **st) {
    (void)st;
    rlc_replay *r = make(5, 2, 1, 1, 0.99, 0, 0);
    for (int k = 0; k < 8; k++) add1(r, (float)k, 0, 0);
    assert_int_equal(rlc_replay_size(r), 5);
    bufs x;
    bufs_init(&x);
    rlc_rng g;
    rlc_rng_seed(&g, 3);
    int seen[8] = {0};
    assert_int_equal(rlc_replay_sample(r, &g, 200, 0, &x.b), RLC_OK);
    for (int j = 0; j < 200; j++) {
        int k = (int)x.obs[2 * j];
        seen[k]++;
        /* transitions 5, 6, 7 replaced the oldest ones, 0, 1, 2, in slots 0, 1, 2 */
        assert_int_equal(x.idx[j], k % 5);
    }
    for (int k = 0; k < 3; k++) assert_int_equal(seen[k], 0);
    for (int k = 3; k < 8; k++) assert_true(seen[k] > 0);
    rlc_replay_clear(r);
    assert_int_equal(rlc_replay_size(r), 0);
    assert_int_equal(rlc_replay_sample(r, &g, 1, 0, &x.b), RLC_ERR_STATE);
    rlc_replay_destroy(r);
}

/* Expected contents of one stored transition, found by its first obs value. */
typedef struct want {
    float key, ret, disc, next;
} want;

/* Samples until every stored transition has been seen and checks each against `w`. */
static void check_contents(rlc_replay *r, const want *w, int nw) {
    assert_int_equal(rlc_replay_size(r), nw);
    bufs x;
    bufs_init(&x);
    rlc_rng g;
    rlc_rng_seed(&g, 11);
    int seen[64] = {0};
    for (int rep = 0; rep < 20; rep++) {
        assert_int_equal(rlc_replay_sample(r, &g, 200, 0, &x.b), RLC_OK);
        for (int j = 0; j < 200; j++) {
            int f = -1;
            for (int k = 0; k < nw; k++)
                if (x.obs[2 * j] == w[k].key) f = k;
            if (f < 0) fail_msg("unexpected transition with obs %g", x.obs[2 * j]);
            seen[f]++;
            assert_close(x.act[j], w[f].key, 0);
            if (fabs(x.rew[j] - w[f].ret) > 1e-5 || fabs(x.disc[j] - w[f].disc) > 1e-7 ||
                x.next[2 * j] != w[f].next)
                fail_msg("obs %g: return %g discount %g next %g, expected %g %g %g", w[f].key,
                         x.rew[j], x.disc[j], x.next[2 * j], w[f].ret, w[f].disc, w[f].next);
        }
    }
    for (int k = 0; k < nw; k++)
        if (!seen[k]) fail_msg("transition %g never sampled", w[k].key);
}

/* 3-step returns with gamma 0.5 over two env streams. Env 0: rewards 1..5 at t = 0..4,
 * terminated at t = 4 (then an ignored autoreset step). Env 1: reward 1 per step, truncated at
 * t = 1, autoreset at t = 2 (ignored), then mid-episode steps t = 3, 4, 5. Obs of env e at t is
 * 10 e + t, the next obs 10 e + t + 0.5; the action equals the obs. */
static void test_nstep(void **st) {
    (void)st;
    rlc_replay *r = make(100, 2, 2, 3, 0.5, 0, 0);
    for (int t = 0; t <= 5; t++) {
        float o[4] = {(float)t, 0, 10.0f + (float)t, 0}, a[2] = {o[0], o[2]};
        float rw[2] = {(float)(t + 1), 1}, nx[4] = {o[0] + 0.5f, 0, o[2] + 0.5f, 0};
        uint8_t te[2] = {t == 4, 0}, tr[2] = {0, t == 1}, va[2] = {t <= 4, t != 2};
        assert_int_equal(rlc_replay_add(r, o, a, rw, nx, te, tr, va), RLC_OK);
    }
    const want w[] = {
        {0, 1 + 0.5f * 2 + 0.25f * 3, 0.125f, 2.5f}, /* full 3 steps */
        {1, 2 + 0.5f * 3 + 0.25f * 4, 0.125f, 3.5f},
        {2, 3 + 0.5f * 4 + 0.25f * 5, 0, 4.5f}, /* terminated within the 3 steps */
        {3, 4 + 0.5f * 5, 0, 4.5f},
        {4, 5, 0, 4.5f},
        {10, 1 + 0.5f, 0.25f, 11.5f}, /* truncated: bootstrap from the final obs */
        {11, 1, 0.5f, 11.5f},
        {13, 1 + 0.5f + 0.25f, 0.125f, 15.5f}, /* mid-stream; 14, 15 still pending */
    };
    check_contents(r, w, (int)(sizeof w / sizeof w[0]));
    rlc_replay_destroy(r);
    /* 1-step: termination gives discount 0, truncation gamma */
    r = make(10, 2, 1, 1, 0.9, 0, 0);
    add1(r, 0, 0, 0);
    add1(r, 1, 1, 0);
    add1(r, 2, 0, 1);
    const want w1[] = {{0, 0, 0.9f, 1}, {1, 1, 0, 2}, {2, 2, 0.9f, 3}};
    check_contents(r, w1, 3);
    rlc_replay_destroy(r);
}

/* Priorities 1..8 (alpha 1): draws are proportional to them. */
static void test_prioritized_proportional(void **st) {
    (void)st;
    enum { C = 8, B = 64, REPS = 200 };
    rlc_replay *r = make(C, 2, 1, 1, 0.99, 1, 1.0);
    for (int k = 0; k < C; k++) add1(r, (float)k, 0, 0);
    for (int k = 0; k < C; k++) assert_close(rlc_replay_priority(r, k), 1, 0); /* max = 1 */
    int64_t idx[C];
    float td[C];
    for (int k = 0; k < C; k++) idx[k] = k, td[k] = (k % 2 ? -1.0f : 1.0f) * (float)(k + 1);
    rlc_replay_update(r, idx, td, C);
    for (int k = 0; k < C; k++) assert_close(rlc_replay_priority(r, k), k + 1, 1e-12);
    bufs x;
    bufs_init(&x);
    rlc_rng g;
    rlc_rng_seed(&g, 5);
    int count[C] = {0};
    for (int rep = 0; rep < REPS; rep++) {
        assert_int_equal(rlc_replay_sample(r, &g, B, 0.5, &x.b), RLC_OK);
        for (int j = 0; j < B; j++) {
            assert_int_equal((int)x.obs[2 * j], x.idx[j]);
            count[x.idx[j]]++;
        }
    }
    double chi2 = 0;
    for (int k = 0; k < C; k++) {
        double e = (double)(REPS * B) * (k + 1) / 36.0;
        chi2 += (count[k] - e) * (count[k] - e) / e;
    }
    if (chi2 > 25) fail_msg("chi-square %.1f over 7 degrees of freedom", chi2);
    rlc_replay_destroy(r);
}

/* w_i = (N P(i))^-beta / max_j w_j over the batch; alpha shapes P. */
static void test_importance_weights(void **st) {
    (void)st;
    enum { C = 6, B = 16 };
    const double alpha = 0.6, beta = 0.4;
    rlc_replay *r = make(C, 2, 1, 1, 0.99, 1, alpha);
    for (int k = 0; k < C; k++) add1(r, (float)k, 0, 0);
    int64_t idx[C];
    float td[C];
    double pa[C], total = 0;
    for (int k = 0; k < C; k++) {
        idx[k] = k;
        td[k] = 0.5f * (float)(k + 1);
        pa[k] = pow(0.5 * (k + 1), alpha);
        total += pa[k];
    }
    rlc_replay_update(r, idx, td, C);
    bufs x;
    bufs_init(&x);
    rlc_rng g;
    rlc_rng_seed(&g, 9);
    for (int rep = 0; rep < 20; rep++) {
        assert_int_equal(rlc_replay_sample(r, &g, B, beta, &x.b), RLC_OK);
        double w[B], mx = 0;
        for (int j = 0; j < B; j++) {
            w[j] = pow(C * pa[x.idx[j]] / total, -beta);
            if (w[j] > mx) mx = w[j];
        }
        for (int j = 0; j < B; j++) assert_close(x.w[j], w[j] / mx, 1e-6);
    }
    rlc_replay_destroy(r);
}

/* New transitions get the largest priority seen so far; later updates replace priorities. */
static void test_priority_updates(void **st) {
    (void)st;
    rlc_replay_config c = {.capacity = 4, .obs_dim = 2, .act_dim = 1, .num_envs = 1,
                           .n_step = 1, .gamma = 0.99, .prioritized = 1, .alpha = 0.5,
                           .eps = 0.01};
    rlc_replay *r = rlc_replay_create(&c);
    assert_non_null(r);
    add1(r, 0, 0, 0);
    add1(r, 1, 0, 0);
    assert_close(rlc_replay_priority(r, 0), 1, 0);
    int64_t idx[3] = {0, 1, 7 /* not stored: ignored */};
    float td[3] = {3.99f, -0.19f, 100};
    rlc_replay_update(r, idx, td, 3);
    assert_close(rlc_replay_priority(r, 0), 2, 1e-6);   /* sqrt(3.99 + 0.01) */
    assert_close(rlc_replay_priority(r, 1), 0.447213595, 1e-6); /* sqrt(0.2) */
    add1(r, 2, 0, 0);
    assert_close(rlc_replay_priority(r, 2), 2, 1e-6); /* the max priority, 4 */
    assert_close(rlc_replay_priority(r, 3), 0, 0);    /* not stored yet */
    /* overwriting a slot resets it to the max priority */
    add1(r, 3, 0, 0);
    add1(r, 4, 0, 0);
    assert_close(rlc_replay_priority(r, 0), 2, 1e-6);
    td[0] = 0;
    rlc_replay_update(r, idx, td, 1);
    assert_close(rlc_replay_priority(r, 0), 0.1, 1e-6);
    /* uniform buffers ignore updates */
    rlc_replay *u = make(4, 2, 1, 1, 0.99, 0, 0);
    add1(u, 0, 0, 0);
    rlc_replay_update(u, idx, td, 1);
    assert_close(rlc_replay_priority(u, 0), 1, 0);
    rlc_replay_destroy(u);
    rlc_replay_destroy(r);
}

static void test_alloc_failures(void **st) {
    (void)st;
    rlc_replay_config c = {.capacity = 100, .obs_dim = 3, .act_dim = 2, .num_envs = 4,
                           .n_step = 3, .gamma = 0.99, .prioritized = 1, .alpha = 0.6,
                           .eps = 1e-6};
    long long live0 = rlc_alloc_live();
    rlc_alloc_fail_reset();
    rlc_replay *r = rlc_replay_create(&c);
    assert_non_null(r);
    long n = rlc_alloc_count();
    rlc_replay_destroy(r);
    assert_true(n >= 10);
    for (long k = 1; k <= n; k++) {
        rlc_alloc_fail_after(k);
        r = rlc_replay_create(&c);
        rlc_alloc_fail_reset();
        if (r) fail_msg("allocation %ld of %ld failed but creation succeeded", k, n);
        if (rlc_alloc_live() != live0) fail_msg("allocation %ld failed: leak", k);
    }
}

/* Same seed, same samples (uniform and prioritized); another seed differs. */
static void test_reproducible(void **st) {
    (void)st;
    for (int prio = 0; prio < 2; prio++) {
        rlc_replay *r = make(50, 2, 1, 2, 0.9, prio, 0.6);
        for (int k = 0; k < 60; k++) add1(r, (float)k, k % 7 == 6, 0);
        int64_t ia[3][32];
        for (int s = 0; s < 3; s++) {
            bufs x;
            bufs_init(&x);
            rlc_rng g;
            rlc_rng_seed(&g, s == 2 ? 8 : 7);
            assert_int_equal(rlc_replay_sample(r, &g, 32, 0.4, &x.b), RLC_OK);
            memcpy(ia[s], x.idx, sizeof ia[s]);
        }
        assert_memory_equal(ia[0], ia[1], sizeof ia[0]);
        assert_true(memcmp(ia[0], ia[2], sizeof ia[0]) != 0);
        rlc_replay_destroy(r);
    }
}

RLC_TESTS(data_replay, cmocka_unit_test(test_errors), cmocka_unit_test(test_uniform_frequencies),
          cmocka_unit_test(test_wraparound), cmocka_unit_test(test_nstep),
          cmocka_unit_test(test_prioritized_proportional),
          cmocka_unit_test(test_importance_weights), cmocka_unit_test(test_priority_updates),
          cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_reproducible))
