/* Replay checkpoints (rlc_replay_write / rlc_replay_read): a restored buffer samples, adds and
 * reprioritises exactly like the one saved (prioritized sum-tree, n-step queues, wrapped
 * ring); a buffer of another configuration or a corrupt file is refused, leaving the buffer
 * untouched. */
#include "test.h"

#include "rlc/replay.h"
#include "rlc/safetensors.h"

enum { D = 3, N = 2, B = 24 };

static rlc_replay *make(int64_t cap, int n, int prio, double gamma) {
    rlc_replay_config c = {.capacity = cap, .obs_dim = D, .act_dim = 1, .num_envs = N,
                           .n_step = n, .gamma = gamma, .prioritized = prio, .alpha = 0.6,
                           .eps = 1e-3};
    rlc_replay *r = rlc_replay_create(&c);
    if (!r) fail_msg("create: %s", rlc_last_error());
    return r;
}

/* Adds step k of two env streams; env 1 terminates every 7 steps, env 0 truncates every 11,
 * and env 1 skips (autoreset) the step after its termination. */
static void add_step(rlc_replay *r, int k) {
    float obs[N * D], act[N], rew[N], next[N * D];
    uint8_t te[N] = {0, (uint8_t)(k % 7 == 6)}, tr[N] = {(uint8_t)(k % 11 == 10), 0};
    uint8_t valid[N] = {1, (uint8_t)(k % 7 != 0 || k == 0)};
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < D; j++) {
            obs[i * D + j] = (float)(k * 10 + i + 0.1 * j);
            next[i * D + j] = obs[i * D + j] + 1;
        }
        act[i] = (float)((k + i) % 3);
        rew[i] = (float)(0.5 * k - i);
    }
    assert_int_equal(rlc_replay_add(r, obs, act, rew, next, te, tr, valid), RLC_OK);
}

typedef struct batch {
    float obs[B * D], act[B], rew[B], next[B * D], disc[B], w[B];
    int64_t idx[B];
} batch;

static void sample(rlc_replay *r, rlc_rng *g, batch *x) {
    rlc_replay_batch b = {x->obs, x->act, x->rew, x->next, x->disc, x->w, x->idx};
    assert_int_equal(rlc_replay_sample(r, g, B, 0.5, &b), RLC_OK);
}

static void save(const rlc_replay *r, const char *path, const char *prefix) {
    rlc_st_writer *w = rlc_st_writer_create();
    assert_int_equal(rlc_replay_write(r, w, prefix), RLC_OK);
    assert_int_equal(rlc_st_writer_save(w, path), RLC_OK);
    rlc_st_writer_destroy(w);
}

/* Steps both buffers through the same adds, samples and priority updates: every batch equal. */
static void lockstep(rlc_replay *a, rlc_replay *b, int k0, int k1) {
    rlc_rng ga, gb;
    rlc_rng_seed(&ga, 11);
    gb = ga;
    batch x, y;
    for (int k = k0; k < k1; k++) {
        add_step(a, k);
        add_step(b, k);
        assert_int_equal(rlc_replay_size(a), rlc_replay_size(b));
        if (!rlc_replay_size(a)) continue;
        sample(a, &ga, &x);
        sample(b, &gb, &y);
        assert_memory_equal(&x, &y, sizeof x);
        float td[B];
        for (int j = 0; j < B; j++) td[j] = (float)(x.rew[j] * 0.01 * ((j + k) % 5) - 0.3);
        rlc_replay_update(a, x.idx, td, B);
        rlc_replay_update(b, y.idx, td, B);
    }
    for (int64_t s = 0; s < rlc_replay_size(a); s++)
        assert_true(rlc_replay_priority(a, s) == rlc_replay_priority(b, s));
}

static void roundtrip(int prio, int n) {
    char path[600];
    snprintf(path, sizeof path, "%s/replay_ckpt_%d_%d.safetensors", rlc_test_tmpdir(), prio, n);
    rlc_replay *a = make(40, n, prio, 0.9), *b = make(40, n, prio, 0.9);
    /* a reaches a wrapped ring with partly filled queues and updated priorities */
    rlc_rng g;
    rlc_rng_seed(&g, 3);
    batch x;
    for (int k = 0; k < 33; k++) {
        add_step(a, k);
        if (!rlc_replay_size(a)) continue;
        sample(a, &g, &x);
        float td[B];
        for (int j = 0; j < B; j++) td[j] = (float)(j % 4) - 1.5f;
        rlc_replay_update(a, x.idx, td, B);
    }
    assert_int_equal(rlc_replay_size(a), 40);
    save(a, path, "rb.");
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_int_equal(rlc_replay_read(b, f, "rb."), RLC_OK);
    rlc_st_file_destroy(f);
    assert_int_equal(rlc_replay_size(b), 40);
    lockstep(a, b, 33, 80);
    rlc_replay_destroy(a);
    rlc_replay_destroy(b);
}

static void test_roundtrip_prioritized_nstep(void **st) {
    (void)st;
    roundtrip(1, 3);
}

static void test_roundtrip_uniform(void **st) {
    (void)st;
    roundtrip(0, 1);
}

/* An empty buffer round-trips too (a checkpoint before the first transition). */
static void test_roundtrip_empty(void **st) {
    (void)st;
    char path[600];
    snprintf(path, sizeof path, "%s/replay_ckpt_empty.safetensors", rlc_test_tmpdir());
    rlc_replay *a = make(16, 2, 1, 0.99), *b = make(16, 2, 1, 0.99);
    add_step(b, 0); /* b has content that the read must clear */
    save(a, path, NULL);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_int_equal(rlc_replay_read(b, f, NULL), RLC_OK);
    rlc_st_file_destroy(f);
    assert_int_equal(rlc_replay_size(b), 0);
    lockstep(a, b, 0, 20);
    rlc_replay_destroy(a);
    rlc_replay_destroy(b);
}

/* A file of another configuration, a missing tensor or corrupt counters: refused with a
 * message, the buffer unchanged (it still samples what it held). */
static void test_refused(void **st) {
    (void)st;
    char path[600], bad[600];
    snprintf(path, sizeof path, "%s/replay_ckpt_ref.safetensors", rlc_test_tmpdir());
    snprintf(bad, sizeof bad, "%s/replay_ckpt_bad.safetensors", rlc_test_tmpdir());
    rlc_replay *a = make(20, 2, 1, 0.9);
    for (int k = 0; k < 12; k++) add_step(a, k);
    save(a, path, "x.");
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);

    rlc_replay *b = make(30, 2, 1, 0.9);
    add_step(b, 5);
    int64_t size_b = rlc_replay_size(b);
    assert_int_equal(rlc_replay_read(b, f, "x."), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "capacity 20 in the file, this buffer has 30");
    assert_int_equal(rlc_replay_size(b), size_b);
    rlc_replay_destroy(b);

    b = make(20, 3, 1, 0.9);
    assert_int_equal(rlc_replay_read(b, f, "x."), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "n_step 2 in the file, this buffer has 3");
    rlc_replay_destroy(b);
    b = make(20, 2, 0, 0.9);
    assert_int_equal(rlc_replay_read(b, f, "x."), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "prioritized 1 in the file, this buffer has 0");
    rlc_replay_destroy(b);
    b = make(20, 2, 1, 0.95);
    assert_int_equal(rlc_replay_read(b, f, "x."), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "gamma");
    rlc_replay_destroy(b);

    b = make(20, 2, 1, 0.9);
    assert_int_equal(rlc_replay_read(b, f, "y."), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "no tensor 'y.shape'");
    rlc_st_file_destroy(f);

    /* corrupt: counters past the capacity, a negative priority, a queue longer than n_step */
    rlc_st_writer *w;
    int64_t two = 2, cnt[2] = {25, 20};
    const char *cases[] = {"counters", "priority", "queue_len"};
    for (int c = 0; c < 3; c++) {
        /* rewrite the file with one tensor replaced: copy every other tensor from `path` */
        assert_int_equal(rlc_st_load(path, &f), RLC_OK);
        w = rlc_st_writer_create();
        char target[64];
        snprintf(target, sizeof target, "x.%s", cases[c]);
        for (int i = 0; i < rlc_st_count(f); i++) {
            const rlc_st_tensor *t = rlc_st_at(f, i);
            if (strcmp(t->name, target)) {
                assert_int_equal(rlc_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape,
                                                   t->data),
                                 RLC_OK);
                continue;
            }
            if (c == 0) {
                assert_int_equal(rlc_st_writer_add_copy(w, t->name, RLC_ST_I64, 1, &two, cnt),
                                 RLC_OK);
            } else if (c == 1) {
                double *p = malloc(t->nbytes);
                memcpy(p, t->data, t->nbytes);
                p[3] = -1;
                assert_int_equal(
                    rlc_st_writer_add_copy(w, t->name, t->dtype, t->ndim, t->shape, p), RLC_OK);
                free(p);
            } else {
                int32_t q[N] = {0, 2};
                assert_int_equal(
                    rlc_st_writer_add_copy(w, t->name, t->dtype, t->ndim, t->shape, q), RLC_OK);
            }
        }
        assert_int_equal(rlc_st_writer_save(w, bad), RLC_OK);
        rlc_st_writer_destroy(w);
        rlc_st_file_destroy(f);
        assert_int_equal(rlc_st_load(bad, &f), RLC_OK);
        assert_int_equal(rlc_replay_read(b, f, "x."), RLC_ERR_FORMAT);
        assert_contains(rlc_last_error(), c == 0   ? "corrupt position 25 / size 20"
                                          : c == 1 ? "priority -1 at slot 3"
                                                   : "corrupt n-step queue of env 1");
        assert_int_equal(rlc_replay_size(b), 0);
        rlc_st_file_destroy(f);
    }
    assert_int_equal(rlc_replay_write(NULL, NULL, NULL), RLC_ERR_INVALID);
    assert_int_equal(rlc_replay_read(b, NULL, NULL), RLC_ERR_INVALID);
    rlc_replay_destroy(a);
    rlc_replay_destroy(b);
}

RLC_TESTS(data_replay_ckpt, cmocka_unit_test(test_roundtrip_prioritized_nstep),
          cmocka_unit_test(test_roundtrip_uniform), cmocka_unit_test(test_roundtrip_empty),
          cmocka_unit_test(test_refused))
