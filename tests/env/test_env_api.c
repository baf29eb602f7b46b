/* The env API around the physics: registry and kwargs errors, life-cycle errors, bad actions,
 * snapshots and state vectors, time limits, episode statistics, spaces, allocation failures,
 * and CartPoleSwingUp's documented equations. */
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlc/env.h"

static rlc_env *make(const char *id, const char *kwargs) {
    rlc_env *env = NULL;
    rlc_status st = rlc_env_make(&env, id, kwargs);
    if (st) fail_msg("rlc_env_make(%s, %s): %s", id, kwargs ? kwargs : "NULL", rlc_last_error());
    return env;
}

static void test_registry(void **st) {
    (void)st;
    const char *ids[] = {
        "CartPole-v0", "CartPole-v1", "MountainCar-v0",    "MountainCarContinuous-v0",
        "Pendulum-v1", "Acrobot-v1",  "CartPoleSwingUp-v0"};
    assert_true(rlc_env_registry_count() >= 7);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const rlc_env_spec *s = rlc_env_registry_find(ids[i]);
        assert_non_null(s);
        assert_string_equal(s->id, ids[i]);
        rlc_env *env = make(ids[i], NULL);
        assert_string_equal(rlc_env_id(env), ids[i]);
        assert_int_equal(rlc_env_max_episode_steps(env), s->max_episode_steps);
        rlc_env_destroy(env);
    }
    assert_null(rlc_env_registry_find("Nope-v0"));
    assert_null(rlc_env_registry_get(-1));
    assert_null(rlc_env_registry_get(rlc_env_registry_count()));
    assert_int_equal(rlc_env_registry_find("CartPole-v0")->max_episode_steps, 200);
    assert_true(rlc_env_registry_find("CartPole-v0")->reward_threshold == 195.0);
    assert_true(isnan(rlc_env_registry_find("Pendulum-v1")->reward_threshold));
    rlc_env_destroy(NULL);
}

static void test_unknown_id(void **st) {
    (void)st;
    rlc_env *env = (rlc_env *)0x1;
    assert_int_equal(rlc_env_make(&env, "CartPol-v1", NULL), RLC_ERR_NOT_FOUND);
    assert_ptr_equal(env, (rlc_env *)0x1); /* out untouched */
    assert_contains(rlc_last_error(), "unknown environment 'CartPol-v1'");
    assert_contains(rlc_last_error(), "did you mean CartPole-v1");
    assert_int_equal(rlc_env_make(&env, "Pendulum-v0", NULL), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "Pendulum-v1");
    assert_int_equal(rlc_env_make(&env, "acrobot-v1", NULL), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "Acrobot-v1");
    assert_int_equal(rlc_env_make(&env, "Zzzzzzzzzzzzzzzzzzzzzzzzzzzz", NULL), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "rlc envs");
    assert_int_equal(rlc_env_make(&env, NULL, NULL), RLC_ERR_INVALID);
}

static void test_bad_kwargs(void **st) {
    (void)st;
    rlc_env *env = NULL;
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "gravty=9.8"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "unknown keyword 'gravty' for CartPole-v1; known: gravity, "
                                      "masscart, masspole, length, force_mag");
    assert_contains(rlc_last_error(), "max_episode_steps");
    assert_contains(rlc_last_error(), "did you mean 'gravity'");
    assert_null(env);
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "gravity=abc"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "bad value 'abc' for keyword 'gravity' of CartPole-v1");
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "masscart=-1"), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "value -1 for keyword 'masscart'");
    assert_contains(rlc_last_error(), "> 0");
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "masscart=0"), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "gravity=inf"), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "finite");
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "gravity"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "expected key=value");
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "gravity=1,gravity=2"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "given twice");
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "max_episode_steps=1.5"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "expected an integer");
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "max_episode_steps=-3"), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", "sutton_barto_reward=maybe"),
                     RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "true/false");
    assert_int_equal(rlc_env_make(&env, "Pendulum-v1", "gravity=9.8"), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "known: g, m, l, max_episode_steps");
    assert_null(env);
    /* spaces and empty tokens are fine */
    env = make("CartPole-v1", " gravity = 9.8 , , max_episode_steps=7 ,");
    assert_int_equal(rlc_env_max_episode_steps(env), 7);
    rlc_env_destroy(env);
    env = make("CartPole-v1", "");
    rlc_env_destroy(env);
}

/* Steps CartPole with a fixed action sequence and returns the final x. */
static double run_cartpole(const char *kwargs, int steps) {
    rlc_env *env = make("CartPole-v1", kwargs);
    double s[4] = {0, 0, 0.05, 0};
    assert_int_equal(rlc_env_set_state_vector(env, s, 4), RLC_OK);
    for (int t = 0; t < steps; t++) {
        int64_t a = t % 2;
        assert_int_equal(rlc_env_step(env, &a, NULL, NULL), RLC_OK);
    }
    assert_int_equal(rlc_env_get_state_vector(env, s), RLC_OK);
    rlc_env_destroy(env);
    return s[2];
}

static void test_kwargs_change_physics(void **st) {
    (void)st;
    double base = run_cartpole(NULL, 5);
    assert_true(base == run_cartpole("gravity=9.8,masscart=1.0,length=0.5", 5));
    double strong = run_cartpole("gravity=20", 5);
    double moon = run_cartpole("gravity=1.62", 5);
    assert_true(strong > base && base > moon); /* the pole falls faster under more gravity */
    assert_true(run_cartpole("length=1.0", 5) != base);
    assert_true(run_cartpole("force_mag=20", 5) != base);

    /* Pendulum g: one step from rest at theta=1 accelerates by 3g/(2l) sin(1) dt */
    rlc_env *env = make("Pendulum-v1", "g=9.81");
    double s[2] = {1.0, 0.0};
    float a = 0;
    rlc_env_set_state_vector(env, s, 2);
    assert_int_equal(rlc_env_step(env, &a, NULL, NULL), RLC_OK);
    rlc_env_get_state_vector(env, s);
    assert_true(s[1] == 0.0 + (3 * 9.81 / (2 * 1.0) * sin(1.0) + 0.0) * 0.05);
    rlc_env_destroy(env);

    /* MountainCar force: a stronger engine moves the car further right */
    double p[2];
    for (int k = 0; k < 2; k++) {
        env = make("MountainCar-v0", k ? "force=0.002" : NULL);
        double mc[2] = {-0.5, 0};
        int64_t right = 2;
        rlc_env_set_state_vector(env, mc, 2);
        for (int t = 0; t < 10; t++)
            rlc_env_step(env, &right, NULL, NULL);
        rlc_env_get_state_vector(env, mc);
        p[k] = mc[0];
        rlc_env_destroy(env);
    }
    assert_true(p[1] > p[0]);

    /* Acrobot masses change the motion */
    double th[2];
    for (int k = 0; k < 2; k++) {
        env = make("Acrobot-v1", k ? "link_mass_2=2.0" : NULL);
        double ac[4] = {0.5, 0.2, 0, 0};
        int64_t a1 = 1;
        rlc_env_set_state_vector(env, ac, 4);
        rlc_env_step(env, &a1, NULL, NULL);
        rlc_env_get_state_vector(env, ac);
        th[k] = ac[2];
        rlc_env_destroy(env);
    }
    assert_true(th[0] != th[1]);
}

static void test_step_before_reset(void **st) {
    (void)st;
    rlc_env *env = make("CartPole-v1", NULL);
    int64_t a = 0;
    float obs[4] = {7, 7, 7, 7};
    rlc_step_result r = {42, 1, 1, 0, 0};
    assert_int_equal(rlc_env_step(env, &a, obs, &r), RLC_ERR_STATE);
    assert_contains(rlc_last_error(), "step before reset");
    assert_true(obs[0] == 7 && r.reward == 42); /* outputs untouched */
    assert_int_equal(rlc_env_observe(env, obs), RLC_ERR_STATE);
    double v[4];
    assert_int_equal(rlc_env_get_state_vector(env, v), RLC_ERR_STATE);
    assert_int_equal(rlc_env_running(env), 0);
    assert_int_equal(rlc_env_reset(env, 1, obs), RLC_OK);
    assert_int_equal(rlc_env_running(env), 1);
    assert_int_equal(rlc_env_step(env, &a, obs, &r), RLC_OK);
    rlc_env_destroy(env);
}

static void test_step_after_end(void **st) {
    (void)st;
    rlc_env *env = make("CartPole-v1", NULL);
    double s[4] = {2.399, 0.5, 0, 0}; /* crosses x = 2.4 on the next step */
    int64_t a = 1;
    rlc_step_result r;
    assert_int_equal(rlc_env_set_state_vector(env, s, 4), RLC_OK);
    assert_int_equal(rlc_env_step(env, &a, NULL, &r), RLC_OK);
    assert_int_equal(r.terminated, 1);
    assert_int_equal(rlc_env_step(env, &a, NULL, &r), RLC_ERR_STATE);
    assert_contains(rlc_last_error(), "episode has ended (terminated)");
    rlc_env_destroy(env);
}

/* Out-of-space actions are refused and leave the env exactly as it was. */
static void test_bad_actions(void **st) {
    (void)st;
    unsigned char before[1024], after[1024];
    rlc_env *env = make("CartPole-v1", NULL);
    size_t n = rlc_env_state_size(env);
    assert_true(n <= sizeof before);
    rlc_env_reset(env, 3, NULL);
    rlc_env_get_state(env, before, n);
    int64_t bad[] = {2, -1, 1000000, INT64_MIN};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rlc_env_step(env, &bad[i], NULL, NULL), RLC_ERR_RANGE);
        assert_contains(rlc_last_error(), "out of range for Discrete(2)");
        assert_contains(rlc_last_error(), "CartPole-v1");
    }
    assert_int_equal(rlc_env_step(env, NULL, NULL, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "action is NULL");
    rlc_env_get_state(env, after, n);
    assert_memory_equal(before, after, n);
    double vals[2] = {0.5, 1};
    assert_int_equal(rlc_env_step_values(env, vals, 1, NULL, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "not an integer");
    assert_int_equal(rlc_env_step_values(env, vals, 2, NULL, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "action has 2 values; the action space expects 1");
    rlc_env_get_state(env, after, n);
    assert_memory_equal(before, after, n);
    assert_int_equal(rlc_env_step_values(env, &vals[1], 1, NULL, NULL), RLC_OK);
    rlc_env_destroy(env);

    /* Acrobot accepts Python's negative indices like Gymnasium (-1 is torque +1), not 3 */
    env = make("Acrobot-v1", NULL);
    float o1[6], o2[6];
    int64_t a = -1, b = 2, c = 3, d = -4;
    rlc_env_reset(env, 0, NULL);
    rlc_env_get_state(env, before, rlc_env_state_size(env));
    assert_int_equal(rlc_env_step(env, &a, o1, NULL), RLC_OK);
    rlc_env_set_state(env, before, rlc_env_state_size(env));
    assert_int_equal(rlc_env_step(env, &b, o2, NULL), RLC_OK);
    assert_memory_equal(o1, o2, sizeof o1);
    /* the golden meta's invalid_action_probe: reset(seed=0) then step(-1) */
    static const float probe[6] = {0.9999698400497437f,   -0.007764202076941729f,
                                   0.999718189239502f,    -0.023738831281661987f,
                                   -0.25169676542282104f, 0.3100071847438812f};
    assert_memory_equal(o1, probe, sizeof probe);
    assert_int_equal(rlc_env_step(env, &c, NULL, NULL), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "accepted: -3..2");
    assert_int_equal(rlc_env_step(env, &d, NULL, NULL), RLC_ERR_RANGE);
    rlc_env_destroy(env);

    /* Box: non-finite refused, finite out-of-bounds clipped by the env (Gymnasium) */
    const char *boxes[] = {"Pendulum-v1", "MountainCarContinuous-v0", "CartPoleSwingUp-v0"};
    for (int k = 0; k < 3; k++) {
        env = make(boxes[k], NULL);
        n = rlc_env_state_size(env);
        rlc_env_reset(env, 5, NULL);
        rlc_env_get_state(env, before, n);
        float nf[3] = {NAN, INFINITY, -INFINITY};
        const char *names[3] = {"nan", "inf", "-inf"};
        for (int i = 0; i < 3; i++) {
            assert_int_equal(rlc_env_step(env, &nf[i], NULL, NULL), RLC_ERR_RANGE);
            assert_contains(rlc_last_error(), "is not finite");
            char want[32];
            snprintf(want, sizeof want, "action[0] = %s", names[i]);
            assert_contains(rlc_last_error(), want);
        }
        double two[2] = {0, 0};
        assert_int_equal(rlc_env_step_values(env, two, 2, NULL, NULL), RLC_ERR_INVALID);
        assert_contains(rlc_last_error(), "expects 1");
        rlc_env_get_state(env, after, n);
        assert_memory_equal(before, after, n);
        float big = 1e30f;
        assert_int_equal(rlc_env_step(env, &big, NULL, NULL), RLC_OK);
        rlc_env_destroy(env);
    }
}

static void test_snapshot_roundtrip(void **st) {
    (void)st;
    const char *ids[] = {"CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0",
                         "Pendulum-v1", "Acrobot-v1",     "CartPoleSwingUp-v0"};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        rlc_env *env = make(ids[k], NULL);
        const rlc_space *as = rlc_env_action_space(env);
        size_t n = rlc_env_state_size(env);
        unsigned char *snap = malloc(n);
        float obs1[64][8], obs2[64][8];
        double rew1[64], rew2[64];
        int done1[64], done2[64];
        rlc_rng r;
        rlc_rng_seed(&r, 99);
        union {
            int64_t i;
            float f;
        } acts[64 + 50];
        for (int t = 0; t < 64 + 50; t++)
            rlc_space_sample(as, &r, &acts[t]);
        rlc_env_reset(env, 7, NULL);
        for (int t = 0; t < 50; t++) {
            rlc_step_result res;
            if (!rlc_env_running(env)) rlc_env_reset(env, RLC_ENV_NO_SEED, NULL);
            assert_int_equal(rlc_env_step(env, &acts[t], NULL, &res), RLC_OK);
        }
        assert_int_equal(rlc_env_get_state(env, snap, n), RLC_OK);
        for (int pass = 0; pass < 2; pass++) {
            if (pass) assert_int_equal(rlc_env_set_state(env, snap, n), RLC_OK);
            for (int t = 0; t < 64; t++) {
                rlc_step_result res;
                int reset = 0;
                if (!rlc_env_running(env)) { /* continues the RNG: restored by the snapshot */
                    rlc_env_reset(env, RLC_ENV_NO_SEED, NULL);
                    reset = 1;
                }
                assert_int_equal(rlc_env_step(env, &acts[50 + t], pass ? obs2[t] : obs1[t], &res),
                                 RLC_OK);
                (pass ? rew2 : rew1)[t] = res.reward;
                (pass ? done2 : done1)[t] = res.terminated + 2 * res.truncated + 4 * reset;
            }
        }
        size_t ob = rlc_space_bytes(rlc_env_obs_space(env));
        for (int t = 0; t < 64; t++) {
            assert_memory_equal(obs1[t], obs2[t], ob);
            assert_true(rew1[t] == rew2[t]);
            assert_int_equal(done1[t], done2[t]);
        }
        /* wrong size / wrong type refused, env unchanged */
        assert_int_equal(rlc_env_get_state(env, snap, n - 1), RLC_ERR_INVALID);
        assert_contains(rlc_last_error(), "too small");
        assert_int_equal(rlc_env_set_state(env, snap, n - 1), RLC_ERR_INVALID);
        rlc_env *other = make(k ? "CartPole-v1" : "Pendulum-v1", NULL);
        unsigned char osnap[1024];
        rlc_env_reset(other, 0, NULL);
        rlc_env_get_state(other, osnap, sizeof osnap);
        assert_int_equal(rlc_env_set_state(env, osnap, rlc_env_state_size(other)), RLC_ERR_INVALID);
        assert_contains(rlc_last_error(), "another env type");
        memset(osnap, 0, 64);
        assert_int_equal(rlc_env_set_state(env, osnap, n), RLC_ERR_INVALID);
        rlc_env_destroy(other);
        free(snap);
        rlc_env_destroy(env);
    }
}

static void test_state_vector(void **st) {
    (void)st;
    rlc_env *env = make("CartPole-v1", NULL);
    assert_int_equal(rlc_env_state_dim(env), 4);
    assert_string_equal(rlc_env_state_names(env), "x,x_dot,theta,theta_dot");
    double v[4] = {0.1, -0.3, 0.15, 0.4}, w[4];
    assert_int_equal(rlc_env_set_state_vector(env, v, 3), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "expected 4 (x,x_dot,theta,theta_dot)");
    v[1] = NAN;
    assert_int_equal(rlc_env_set_state_vector(env, v, 4), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_running(env), 0);
    v[1] = -0.3;
    assert_int_equal(rlc_env_set_state_vector(env, v, 4), RLC_OK);
    assert_int_equal(rlc_env_running(env), 1); /* steppable without a reset */
    assert_int_equal(rlc_env_get_state_vector(env, w), RLC_OK);
    assert_memory_equal(v, w, sizeof v);
    float obs[4];
    rlc_env_observe(env, obs);
    for (int i = 0; i < 4; i++)
        assert_true(obs[i] == (float)v[i]);
    /* setting a state keeps the time-limit counter within an episode */
    rlc_env_reset(env, 0, NULL);
    int64_t a = 0, len;
    rlc_env_step(env, &a, NULL, NULL);
    rlc_env_set_state_vector(env, v, 4);
    rlc_env_episode(env, NULL, &len);
    assert_int_equal(len, 1);
    rlc_env_destroy(env);
}

static void test_time_limit(void **st) {
    (void)st;
    /* Pendulum never terminates: truncated exactly at max_episode_steps */
    const char *kw[] = {NULL, "max_episode_steps=13"};
    int64_t want[] = {200, 13};
    for (int k = 0; k < 2; k++) {
        rlc_env *env = make("Pendulum-v1", kw[k]);
        float a = 0.5f;
        rlc_step_result r;
        rlc_env_reset(env, 0, NULL);
        for (int64_t t = 1; t <= want[k]; t++) {
            assert_int_equal(rlc_env_step(env, &a, NULL, &r), RLC_OK);
            assert_int_equal(r.truncated, t == want[k]);
            assert_int_equal(r.terminated, 0);
        }
        assert_int_equal(r.episode_length, want[k]);
        assert_int_equal(rlc_env_step(env, &a, NULL, &r), RLC_ERR_STATE);
        assert_contains(rlc_last_error(), "truncated");
        rlc_env_reset(env, RLC_ENV_NO_SEED, NULL); /* a new episode restarts the counter */
        assert_int_equal(rlc_env_step(env, &a, NULL, &r), RLC_OK);
        assert_int_equal(r.truncated, want[k] == 1);
        rlc_env_destroy(env);
    }
    /* max_episode_steps=0: no limit */
    rlc_env *env = make("Pendulum-v1", "max_episode_steps=0");
    float a = 0;
    rlc_step_result r;
    rlc_env_reset(env, 0, NULL);
    for (int t = 0; t < 1000; t++) {
        assert_int_equal(rlc_env_step(env, &a, NULL, &r), RLC_OK);
        assert_int_equal(r.truncated, 0);
    }
    rlc_env_destroy(env);
    /* truncation and termination on the same step: CartPole with a limit of 1 */
    env = make("CartPole-v1", "max_episode_steps=1");
    double s[4] = {2.399, 0.5, 0, 0};
    int64_t one = 1;
    rlc_env_reset(env, 0, NULL);
    rlc_env_set_state_vector(env, s, 4);
    rlc_env_step(env, &one, NULL, &r);
    assert_int_equal(r.terminated, 1);
    assert_int_equal(r.truncated, 1);
    rlc_env_destroy(env);
}

static void test_episode_statistics(void **st) {
    (void)st;
    rlc_env *env = make("CartPole-v1", NULL);
    rlc_step_result r;
    int64_t a = 1;
    double ret;
    int64_t len;
    rlc_env_reset(env, 0, NULL);
    int t = 0;
    do {
        assert_int_equal(rlc_env_step(env, &a, NULL, &r), RLC_OK);
        t++;
        if (!r.terminated && !r.truncated) {
            assert_true(r.episode_return == 0 && r.episode_length == 0);
            rlc_env_episode(env, &ret, &len);
            assert_true(ret == t && len == t);
        }
    } while (!r.terminated && !r.truncated);
    assert_true(r.episode_return == (double)t);
    assert_int_equal(r.episode_length, t);
    rlc_env_reset(env, RLC_ENV_NO_SEED, NULL);
    rlc_env_episode(env, &ret, &len);
    assert_true(ret == 0 && len == 0);
    rlc_env_destroy(env);
    /* Pendulum: the return is the left-to-right float64 sum of the rewards */
    env = make("Pendulum-v1", "max_episode_steps=20");
    float u = 1.0f;
    double sum = 0;
    rlc_env_reset(env, 4, NULL);
    for (int k = 0; k < 20; k++) {
        rlc_env_step(env, &u, NULL, &r);
        sum += r.reward;
    }
    assert_true(r.truncated && r.episode_return == sum && r.episode_length == 20);
    /* sutton_barto_reward */
    rlc_env_destroy(env);
    env = make("CartPole-v1", "sutton_barto_reward=true");
    double s[4] = {2.3, 1.0, 0, 0};
    rlc_env_set_state_vector(env, s, 4);
    rlc_env_step(env, &a, NULL, &r);
    assert_true(r.reward == 0.0 && !r.terminated);
    for (int k = 0; k < 20 && !r.terminated; k++)
        rlc_env_step(env, &a, NULL, &r);
    assert_true(r.terminated && r.reward == -1.0);
    rlc_env_destroy(env);
}

static void test_reset_seeding(void **st) {
    (void)st;
    rlc_env *a = make("CartPole-v1", NULL), *b = make("CartPole-v1", NULL);
    float oa[4], ob[4];
    /* reset(seed=s) equals seed(s) + reset() */
    rlc_env_reset(a, 123, oa);
    rlc_env_seed(b, 123);
    rlc_env_reset(b, RLC_ENV_NO_SEED, ob);
    assert_memory_equal(oa, ob, sizeof oa);
    rlc_env_reset(a, RLC_ENV_NO_SEED, oa);
    rlc_env_reset(b, RLC_ENV_NO_SEED, ob);
    assert_memory_equal(oa, ob, sizeof oa);
    /* a never-seeded env is seeded from entropy: two envs differ */
    rlc_env *c = make("CartPole-v1", NULL), *d = make("CartPole-v1", NULL);
    rlc_env_reset(c, RLC_ENV_NO_SEED, oa);
    rlc_env_reset(d, RLC_ENV_NO_SEED, ob);
    assert_true(memcmp(oa, ob, sizeof oa) != 0);
    rlc_env_destroy(a);
    rlc_env_destroy(b);
    rlc_env_destroy(c);
    rlc_env_destroy(d);
}

static void test_spaces(void **st) {
    (void)st;
    char buf[256];
    rlc_env *env = make("CartPole-v1", NULL);
    const rlc_space *o = rlc_env_obs_space(env), *a = rlc_env_action_space(env);
    rlc_space_describe(a, buf, sizeof buf);
    assert_string_equal(buf, "Discrete(2)");
    rlc_space_describe(o, buf, sizeof buf);
    assert_string_equal(buf, "Box([-4.8000002 -inf -0.41887903 -inf], [4.8000002 inf 0.41887903 "
                             "inf], (4,), float32)");
    assert_int_equal(rlc_space_bytes(o), 16);
    assert_int_equal(rlc_space_bytes(a), 8);
    assert_true(o->high[0] == 4.800000190734863 && o->low[2] == -0.41887903213500977);
    int64_t i2 = 2, i1 = 1;
    assert_false(rlc_space_contains(a, &i2));
    assert_true(rlc_space_contains(a, &i1));
    /* snprintf-like truncation */
    int need = rlc_space_describe(o, buf, 8);
    assert_int_equal(strlen(buf), 7);
    assert_true(need > 60);
    rlc_env_destroy(env);

    env = make("Pendulum-v1", NULL);
    rlc_space_describe(rlc_env_action_space(env), buf, sizeof buf);
    assert_string_equal(buf, "Box(-2.0, 2.0, (1,), float32)");
    float f[3] = {1, 0, 8}, g[3];
    assert_true(rlc_space_contains(rlc_env_obs_space(env), f));
    f[2] = 8.5f;
    assert_false(rlc_space_contains(rlc_env_obs_space(env), f));
    rlc_space_to_f32(rlc_env_obs_space(env), f, g);
    assert_memory_equal(f, g, sizeof f);
    /* Box.sample = uniform(low, high) per element: Gymnasium's draw order */
    rlc_rng r1, r2;
    rlc_rng_seed(&r1, 5);
    rlc_rng_seed(&r2, 5);
    float s;
    rlc_space_sample(rlc_env_action_space(env), &r1, &s);
    assert_true(s == (float)rlc_rng_uniform(&r2, -2.0, 2.0));
    rlc_env_destroy(env);

    /* Discrete to float32 */
    env = make("Acrobot-v1", NULL);
    int64_t d = 2;
    float df;
    rlc_space_to_f32(rlc_env_action_space(env), &d, &df);
    assert_true(df == 2.0f);
    rlc_rng_seed(&r1, 1);
    rlc_rng_seed(&r2, 1);
    rlc_space_sample(rlc_env_action_space(env), &r1, &d);
    assert_int_equal(d, rlc_rng_integers(&r2, 0, 3));
    rlc_env_destroy(env);
}

static void test_render_unsupported(void **st) {
    (void)st;
    rlc_env *env = make("CartPole-v1", NULL);
    uint8_t rgb[12];
    rlc_env_reset(env, 0, NULL);
    rlc_status s = rlc_env_render(env, rgb, 2, 2);
    assert_true(s == RLC_ERR_UNSUPPORTED || s == RLC_OK);
    rlc_env_destroy(env);
}

static void test_alloc_failure(void **st) {
    (void)st;
    long long live = rlc_alloc_live();
    for (long n = 1; n < 10; n++) {
        rlc_env *env = NULL;
        rlc_alloc_fail_after(n);
        rlc_status s = rlc_env_make(&env, "Acrobot-v1", NULL);
        rlc_alloc_fail_reset();
        if (s == RLC_OK) {
            rlc_env_destroy(env);
            break;
        }
        assert_int_equal(s, RLC_ERR_NOMEM);
        assert_null(env);
    }
    assert_int_equal(rlc_alloc_live(), live);
}

/* CartPoleSwingUp-v0: the equations documented in docs/envs.md. */
static void test_swingup(void **st) {
    (void)st;
    rlc_env *env = make("CartPoleSwingUp-v0", NULL);
    float obs[5];
    rlc_env_reset(env, 0, obs);
    double s[4];
    rlc_env_get_state_vector(env, s);
    assert_true(fabs(s[2] - M_PI) <= 0.05); /* hanging down */
    assert_true(obs[2] == (float)cos(s[2]) && obs[3] == (float)sin(s[2]));
    /* one step: the CartPole equations with force = force_mag * clip(a, -1, 1) */
    double v[4] = {0.5, 0.1, 3.0, -0.2};
    rlc_env_set_state_vector(env, v, 4);
    float a = 3.0f; /* clipped to 1 */
    rlc_step_result r;
    assert_int_equal(rlc_env_step(env, &a, obs, &r), RLC_OK);
    double x = v[0], xd = v[1], th = v[2], thd = v[3], F = 10.0, ct = cos(th), st2 = sin(th);
    double temp = (F + 0.05 * (thd * thd) * st2) / 1.1;
    double thacc = (9.8 * st2 - ct * temp) / (0.5 * (4.0 / 3.0 - 0.1 * (ct * ct) / 1.1));
    double xacc = temp - 0.05 * thacc * ct / 1.1;
    double nx = x + 0.02 * xd, nth = th + 0.02 * thd;
    rlc_env_get_state_vector(env, s);
    assert_true(s[0] == nx && s[1] == xd + 0.02 * xacc && s[2] == nth &&
                s[3] == thd + 0.02 * thacc);
    assert_true(r.reward == 0.5 * (1.0 + cos(nth)) - 0.1 * ((nx / 2.4) * (nx / 2.4)));
    assert_int_equal(r.terminated, 0);
    /* leaving the track terminates with -10 */
    double edge[4] = {2.399, 1.0, M_PI, 0};
    rlc_env_set_state_vector(env, edge, 4);
    a = 1.0f;
    rlc_env_step(env, &a, NULL, &r);
    assert_int_equal(r.terminated, 1);
    assert_true(r.reward == -10.0);
    rlc_env_destroy(env);
}

RLC_TESTS(env_api, cmocka_unit_test(test_registry), cmocka_unit_test(test_unknown_id),
          cmocka_unit_test(test_bad_kwargs), cmocka_unit_test(test_kwargs_change_physics),
          cmocka_unit_test(test_step_before_reset), cmocka_unit_test(test_step_after_end),
          cmocka_unit_test(test_bad_actions), cmocka_unit_test(test_snapshot_roundtrip),
          cmocka_unit_test(test_state_vector), cmocka_unit_test(test_time_limit),
          cmocka_unit_test(test_episode_statistics), cmocka_unit_test(test_reset_seeding),
          cmocka_unit_test(test_spaces), cmocka_unit_test(test_render_unsupported),
          cmocka_unit_test(test_alloc_failure), cmocka_unit_test(test_swingup))
