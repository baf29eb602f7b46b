/* Vector envs: next-step and same-step autoreset against single envs stepped by hand, seeds
 * seed + i, threaded == serial bit for bit, episode statistics, errors, no allocation per step
 * and no leaks (including allocation failures at every point of creation). */
#include "test.h"

#include <math.h>
#include <string.h>

#include "rlc/env.h"
#include "rlc/rng.h"
#include "rlc/vec_env.h"
#include "rlc/wrappers.h"

/* Actions for step t of env i, drawn from one generator in a fixed order. */
static void draw_actions(rlc_vec_env *v, rlc_rng *rng, void *act) {
    for (int i = 0; i < v->num_envs; i++)
        rlc_space_sample(v->action_space, rng, (char *)act + (size_t)i * v->action_bytes);
}

/* Checks a vector env against num_envs single envs stepped with the Gymnasium next-step
 * (or same-step) rule written out by hand. */
static void check_against_singles(const char *id, const char *kwargs, int n, int threads,
                                  rlc_vec_autoreset mode, int steps, int64_t seed) {
    rlc_vec_env_options opt = {threads, mode, NULL, NULL};
    rlc_vec_env *v;
    assert_int_equal(rlc_vec_env_create(&v, id, kwargs, n, &opt), RLC_OK);
    rlc_env **single = calloc((size_t)n, sizeof *single);
    int *ended = calloc((size_t)n, sizeof *ended);
    size_t ob = v->obs_bytes;
    uint8_t *o = malloc(ob), *fo = malloc(ob);
    for (int i = 0; i < n; i++)
        assert_int_equal(rlc_env_make(&single[i], id, kwargs), RLC_OK);
    assert_int_equal(rlc_vec_env_reset(v, seed), RLC_OK);
    for (int i = 0; i < n; i++) {
        assert_int_equal(rlc_env_reset(single[i], seed + i, o), RLC_OK);
        assert_memory_equal((uint8_t *)v->obs + i * ob, o, ob);
    }
    rlc_rng rng;
    rlc_rng_seed(&rng, 99);
    long episodes = 0;
    for (int t = 0; t < steps; t++) {
        draw_actions(v, &rng, v->actions);
        assert_int_equal(rlc_vec_env_step(v, NULL), RLC_OK);
        for (int i = 0; i < n; i++) {
            const void *a = (const char *)v->actions + (size_t)i * v->action_bytes;
            double want_r;
            int want_term = 0, want_trunc = 0, want_auto = 0;
            if (ended[i] && mode == RLC_VEC_AUTORESET_NEXT_STEP) {
                assert_int_equal(rlc_env_reset(single[i], RLC_ENV_NO_SEED, o), RLC_OK);
                want_r = 0;
                want_auto = 1;
                ended[i] = 0;
            } else {
                rlc_step_result r;
                assert_int_equal(rlc_env_step(single[i], a, o, &r), RLC_OK);
                want_r = r.reward;
                want_term = r.terminated;
                want_trunc = r.truncated;
                if (r.terminated || r.truncated) {
                    episodes++;
                    memcpy(fo, o, ob);
                    assert_memory_equal((uint8_t *)v->final_obs + i * ob, fo, ob);
                    assert_true(v->episode_return[i] == r.episode_return);
                    assert_int_equal(v->episode_length[i], r.episode_length);
                    if (mode == RLC_VEC_AUTORESET_SAME_STEP)
                        assert_int_equal(rlc_env_reset(single[i], RLC_ENV_NO_SEED, o), RLC_OK);
                    else
                        ended[i] = 1;
                } else {
                    assert_true(v->episode_return[i] == 0);
                }
            }
            if (memcmp((uint8_t *)v->obs + i * ob, o, ob))
                fail_msg("%s threads=%d: obs of env %d differs at step %d", id, threads, i, t);
            assert_true(v->rewards[i] == want_r);
            assert_int_equal(v->terminated[i], want_term);
            assert_int_equal(v->truncated[i], want_trunc);
            assert_int_equal(v->autoreset[i], want_auto);
        }
    }
    assert_true(episodes > 0);
    rlc_vec_episode_stats s;
    rlc_vec_env_pop_stats(v, &s);
    assert_int_equal(s.episodes, episodes);
    for (int i = 0; i < n; i++)
        rlc_env_destroy(single[i]);
    free(single);
    free(ended);
    free(o);
    free(fo);
    rlc_vec_env_destroy(v);
}

static void test_next_step_matches_singles(void **st) {
    (void)st;
    check_against_singles("CartPole-v1", NULL, 5, 1, RLC_VEC_AUTORESET_NEXT_STEP, 600, 42);
    check_against_singles("Pendulum-v1", "max_episode_steps=37", 3, 1, RLC_VEC_AUTORESET_NEXT_STEP,
                          200, 7);
    check_against_singles("Acrobot-v1", "max_episode_steps=50", 4, 2, RLC_VEC_AUTORESET_NEXT_STEP,
                          300, 0);
}

static void test_same_step_matches_singles(void **st) {
    (void)st;
    check_against_singles("CartPole-v1", NULL, 6, 1, RLC_VEC_AUTORESET_SAME_STEP, 500, 3);
    check_against_singles("MountainCarContinuous-v0", "max_episode_steps=25", 3, 3,
                          RLC_VEC_AUTORESET_SAME_STEP, 120, 11);
}

/* The details of one next-step autoreset, with an action that would be refused. */
static void test_autoreset_details(void **st) {
    (void)st;
    rlc_vec_env *v;
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 2, NULL), RLC_OK);
    assert_int_equal(v->num_threads, 1);
    assert_ptr_equal(v->obs_f32, v->obs); /* float32 obs: no copy */
    rlc_env *ref;
    assert_int_equal(rlc_env_make(&ref, "CartPole-v1", NULL), RLC_OK);
    float o[4];
    assert_int_equal(rlc_vec_env_reset(v, 5), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 5, o), RLC_OK);
    int64_t *act = v->actions;
    int t = 0;
    rlc_step_result r;
    do { /* env 0 always pushes right until the pole falls; env 1 alternates */
        act[0] = 1;
        act[1] = t & 1;
        assert_int_equal(rlc_vec_env_step(v, NULL), RLC_OK);
        assert_int_equal(rlc_env_step(ref, &act[0], o, &r), RLC_OK);
        t++;
    } while (!r.terminated);
    assert_int_equal(v->terminated[0], 1);
    assert_memory_equal(v->obs_f32, o, sizeof o);
    assert_memory_equal(v->final_obs, o, sizeof o);
    assert_true(v->episode_return[0] == t);
    assert_int_equal(v->episode_length[0], t);
    /* next step: reset instead of step; the action is ignored even when out of range */
    act[0] = 7;
    act[1] = 0;
    assert_int_equal(rlc_vec_env_step(v, NULL), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, RLC_ENV_NO_SEED, o), RLC_OK);
    assert_memory_equal(v->obs_f32, o, sizeof o);
    assert_int_equal(v->autoreset[0], 1);
    assert_true(v->rewards[0] == 0);
    assert_int_equal(v->terminated[0], 0);
    assert_int_equal(v->truncated[0], 0);
    assert_int_equal(v->autoreset[1], 0);
    assert_true(v->rewards[1] == 1);
    /* env 0 steps again now, so 7 is refused, naming the env */
    assert_int_equal(rlc_vec_env_step(v, NULL), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "sub-env 0");
    assert_contains(rlc_last_error(), "action 7");
    assert_int_equal(v->total_steps, 2 * t + 1);
    rlc_env_destroy(ref);
    rlc_vec_env_destroy(v);
}

static void test_truncation_and_stats(void **st) {
    (void)st;
    rlc_vec_env *v;
    assert_int_equal(rlc_vec_env_create(&v, "Pendulum-v1", "max_episode_steps=5", 3, NULL), RLC_OK);
    assert_int_equal(rlc_vec_env_reset(v, 0), RLC_OK);
    float *a = v->actions;
    double sum[3] = {0, 0, 0};
    for (int t = 1; t <= 5; t++) {
        for (int i = 0; i < 3; i++)
            a[i] = 0.5f * (float)i;
        assert_int_equal(rlc_vec_env_step(v, NULL), RLC_OK);
        for (int i = 0; i < 3; i++) {
            sum[i] += v->rewards[i];
            assert_int_equal(v->truncated[i], t == 5);
            assert_int_equal(v->terminated[i], 0);
        }
    }
    rlc_vec_episode_stats s;
    rlc_vec_env_pop_stats(v, &s);
    assert_int_equal(s.episodes, 3);
    assert_close(s.mean_length, 5, 0);
    assert_close(s.mean_return, (sum[0] + sum[1] + sum[2]) / 3, 1e-12);
    assert_close(s.min_return, fmin(sum[0], fmin(sum[1], sum[2])), 0);
    assert_close(s.max_return, fmax(sum[0], fmax(sum[1], sum[2])), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(v->episode_return[i] == sum[i]);
        assert_int_equal(v->episode_length[i], 5);
    }
    rlc_vec_env_pop_stats(v, &s);
    assert_int_equal(s.episodes, 0);
    assert_true(s.mean_return == 0);
    rlc_vec_env_destroy(v);
}

/* Threads 2 and 3 over 7 envs (not divisible) must reproduce the serial run bit for bit. */
static void compare_threads(const char *id, const char *kwargs, rlc_vec_autoreset mode, int steps) {
    const int n = 7;
    rlc_vec_env *v[3];
    for (int k = 0; k < 3; k++) {
        rlc_vec_env_options opt = {k + 1, mode, NULL, NULL};
        assert_int_equal(rlc_vec_env_create(&v[k], id, kwargs, n, &opt), RLC_OK);
        assert_int_equal(v[k]->num_threads, k + 1);
        assert_int_equal(rlc_vec_env_reset(v[k], 1234), RLC_OK);
    }
    rlc_rng rng;
    rlc_rng_seed(&rng, 5);
    uint8_t *act = malloc((size_t)n * v[0]->action_bytes);
    long done = 0;
    for (int t = 0; t < steps; t++) {
        draw_actions(v[0], &rng, act);
        for (int k = 0; k < 3; k++)
            assert_int_equal(rlc_vec_env_step(v[k], act), RLC_OK);
        for (int k = 1; k < 3; k++) {
            if (memcmp(v[k]->obs, v[0]->obs, n * v[0]->obs_bytes) ||
                memcmp(v[k]->rewards, v[0]->rewards, n * sizeof(double)) ||
                memcmp(v[k]->terminated, v[0]->terminated, n) ||
                memcmp(v[k]->truncated, v[0]->truncated, n) ||
                memcmp(v[k]->autoreset, v[0]->autoreset, n) ||
                memcmp(v[k]->episode_return, v[0]->episode_return, n * sizeof(double)) ||
                memcmp(v[k]->episode_length, v[0]->episode_length, n * sizeof(int64_t)))
                fail_msg("%s: %d threads differ from serial at step %d", id, k + 1, t);
        }
        for (int i = 0; i < n; i++)
            done += v[0]->terminated[i] | v[0]->truncated[i];
    }
    assert_true(done > 10);
    rlc_vec_episode_stats s[3];
    for (int k = 0; k < 3; k++)
        rlc_vec_env_pop_stats(v[k], &s[k]);
    for (int k = 1; k < 3; k++) {
        assert_memory_equal(&s[k], &s[0], sizeof s[0]);
        assert_int_equal(v[k]->total_steps, v[0]->total_steps);
        assert_memory_equal(v[k]->final_obs, v[0]->final_obs, n * v[0]->obs_bytes);
    }
    /* a reseed through the pool, then more steps */
    for (int k = 0; k < 3; k++)
        assert_int_equal(rlc_vec_env_reset(v[k], 77), RLC_OK);
    for (int k = 1; k < 3; k++)
        assert_memory_equal(v[k]->obs, v[0]->obs, n * v[0]->obs_bytes);
    for (int k = 0; k < 3; k++)
        rlc_vec_env_destroy(v[k]);
    free(act);
}

static void test_threads_identical(void **st) {
    (void)st;
    compare_threads("CartPole-v1", NULL, RLC_VEC_AUTORESET_NEXT_STEP, 4000);
    compare_threads("Pendulum-v1", "max_episode_steps=150", RLC_VEC_AUTORESET_NEXT_STEP, 2000);
    compare_threads("Acrobot-v1", "max_episode_steps=90", RLC_VEC_AUTORESET_SAME_STEP, 1500);
}

/* No allocation per step or reset, with or without threads. */
static void test_no_allocation_in_loop(void **st) {
    (void)st;
    for (int threads = 1; threads <= 2; threads++) {
        rlc_vec_env_options opt = {threads, 0, NULL, NULL};
        rlc_vec_env *v;
        assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 16, &opt), RLC_OK);
        rlc_rng rng;
        rlc_rng_seed(&rng, 1);
        rlc_alloc_fail_reset();
        long before = rlc_alloc_count();
        assert_int_equal(rlc_vec_env_reset(v, 0), RLC_OK);
        for (int t = 0; t < 1000; t++) {
            draw_actions(v, &rng, v->actions);
            assert_int_equal(rlc_vec_env_step(v, NULL), RLC_OK);
        }
        assert_int_equal(rlc_alloc_count(), before);
        rlc_vec_env_destroy(v);
    }
}

static void test_errors(void **st) {
    (void)st;
    rlc_vec_env *v = (rlc_vec_env *)0x1;
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 0, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "num_envs must be in 1..");
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, -3, NULL), RLC_ERR_INVALID);
    rlc_vec_env_options opt = {-1, 0, NULL, NULL};
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 4, &opt), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "num_threads");
    opt.num_threads = 5;
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 4, &opt), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "got 5");
    opt.num_threads = 1;
    opt.autoreset = (rlc_vec_autoreset)9;
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 4, &opt), RLC_ERR_INVALID);
    assert_int_equal(rlc_vec_env_create(&v, "CartPol-v1", NULL, 4, NULL), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "CartPole-v1");
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", "gravity=-1", 4, NULL), RLC_ERR_RANGE);
    assert_int_equal(rlc_vec_env_create(NULL, "CartPole-v1", NULL, 4, NULL), RLC_ERR_INVALID);
    assert_ptr_equal(v, (rlc_vec_env *)0x1); /* untouched */
    rlc_vec_env_destroy(NULL);

    assert_int_equal(rlc_vec_env_create(&v, "Pendulum-v1", NULL, 3, NULL), RLC_OK);
    float a[3] = {0, 0, 0};
    assert_int_equal(rlc_vec_env_step(v, a), RLC_ERR_STATE);
    assert_contains(rlc_last_error(), "rlc_vec_env_reset");
    assert_int_equal(rlc_vec_env_reset(v, -5), RLC_ERR_RANGE);
    assert_int_equal(rlc_vec_env_reset(v, INT64_MAX - 1), RLC_ERR_RANGE);
    assert_int_equal(rlc_vec_env_reset(v, 0), RLC_OK);
    float before[9];
    memcpy(before, v->obs, sizeof before);
    a[2] = NAN;
    assert_int_equal(rlc_vec_env_step(v, a), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "sub-env 2");
    assert_contains(rlc_last_error(), "nan");
    assert_memory_equal(before, v->obs, sizeof before); /* nothing stepped */
    assert_int_equal(v->total_steps, 0);
    int64_t len = -1;
    rlc_env_episode(rlc_vec_env_get(v, 0), NULL, &len);
    assert_int_equal(len, 0);
    assert_null(rlc_vec_env_get(v, 3));
    assert_null(rlc_vec_env_get(v, -1));
    rlc_vec_env_destroy(v);
}

static rlc_status wrap_norm_reward(rlc_env **env, int index, void *user) {
    (void)index;
    (void)user;
    return rlc_wrap_normalize_reward(env, *env, 0.99, 0);
}

static rlc_status wrap_fail_at_2(rlc_env **env, int index, void *user) {
    (void)env;
    (void)user;
    return index == 2 ? rlc_error(RLC_ERR_INVALID, "no wrap for %d", index) : RLC_OK;
}

/* Wrapped sub-envs: rewards are the wrapper's, episode statistics the raw env's. */
static void test_wrap_callback(void **st) {
    (void)st;
    rlc_vec_env_options opt = {2, 0, wrap_norm_reward, NULL};
    rlc_vec_env *v;
    long long live = rlc_alloc_live();
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 4, &opt), RLC_OK);
    assert_int_equal(rlc_wrap_kind_of(rlc_vec_env_get(v, 3)), RLC_WRAP_NORMALIZE_REWARD);
    assert_int_equal(rlc_vec_env_reset(v, 0), RLC_OK);
    int64_t *act = v->actions;
    int seen = 0;
    for (int t = 0; t < 200; t++) {
        for (int i = 0; i < 4; i++)
            act[i] = (t / 3 + i) & 1;
        assert_int_equal(rlc_vec_env_step(v, NULL), RLC_OK);
        for (int i = 0; i < 4; i++) {
            if (!v->autoreset[i]) assert_true(v->rewards[i] != 1.0); /* normalised */
            if (v->terminated[i] || v->truncated[i]) {
                assert_true(v->episode_return[i] == (double)v->episode_length[i]);
                seen++;
            }
        }
    }
    assert_true(seen > 0);
    rlc_vec_env_destroy(v);
    opt.wrap = wrap_fail_at_2;
    assert_int_equal(rlc_vec_env_create(&v, "CartPole-v1", NULL, 4, &opt), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "no wrap for 2");
    assert_int_equal(rlc_alloc_live(), live);
}

/* Every allocation of create failing in turn: clean error, nothing leaked. */
static void test_alloc_failures(void **st) {
    (void)st;
    for (int threads = 1; threads <= 3; threads += 2) {
        long long live = rlc_alloc_live();
        int ok = 0;
        for (long k = 1; k < 200 && !ok; k++) {
            rlc_vec_env_options opt = {threads, 0, wrap_norm_reward, NULL};
            rlc_vec_env *v = NULL;
            rlc_alloc_fail_after(k);
            rlc_status s = rlc_vec_env_create(&v, "Acrobot-v1", NULL, 5, &opt);
            rlc_alloc_fail_reset();
            if (s == RLC_OK) {
                ok = 1;
                assert_int_equal(rlc_vec_env_reset(v, 1), RLC_OK);
                rlc_vec_env_destroy(v);
            } else {
                assert_int_equal(s, RLC_ERR_NOMEM);
                assert_null(v);
            }
            assert_int_equal(rlc_alloc_live(), live);
        }
        assert_true(ok);
    }
}

RLC_TESTS(env_vec, cmocka_unit_test(test_next_step_matches_singles),
          cmocka_unit_test(test_same_step_matches_singles),
          cmocka_unit_test(test_autoreset_details), cmocka_unit_test(test_truncation_and_stats),
          cmocka_unit_test(test_threads_identical), cmocka_unit_test(test_no_allocation_in_loop),
          cmocka_unit_test(test_errors), cmocka_unit_test(test_wrap_callback),
          cmocka_unit_test(test_alloc_failures))
