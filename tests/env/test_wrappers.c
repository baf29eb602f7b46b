/* Env wrappers: each one's numbers against a reference computed here (two-pass statistics,
 * plain envs stepped by hand), seeding and truncation through a stack, snapshots of a stack,
 * errors naming the space, and no leaks (also when an allocation fails). */
#include "test.h"

#include <math.h>
#include <string.h>

#include "env/env_impl.h"
#include "rlc/env.h"
#include "rlc/wrappers.h"

static rlc_env *make(const char *id, const char *kwargs) {
    rlc_env *e;
    if (rlc_env_make(&e, id, kwargs)) fail_msg("make %s: %s", id, rlc_last_error());
    return e;
}

/* CartPole actions that keep the pole up for a while. */
static int64_t balance(const float *obs) {
    return obs[2] + 0.5f * obs[3] > 0;
}

static void test_normalize_obs(void **st) {
    (void)st;
    rlc_env *base = make("CartPole-v1", NULL), *w;
    assert_int_equal(rlc_wrap_normalize_obs(&w, base, 0), RLC_OK);
    assert_int_equal(rlc_wrap_kind_of(w), RLC_WRAP_NORMALIZE_OBS);
    assert_ptr_equal(rlc_wrap_inner(w), base);
    assert_ptr_equal(rlc_wrap_unwrapped(w), base);
    assert_int_equal(rlc_wrap_stats_size(w), 4);
    const rlc_space *os = rlc_env_obs_space(w);
    assert_int_equal(os->dtype, RLC_SPACE_FLOAT32);
    assert_true(isinf(os->high[0]));
    enum { N = 400 };
    static double xs[N][4];
    float out[4], raw[4];
    int n = 0;
    rlc_step_result r = {0};
    assert_int_equal(rlc_wrap_normalize_obs(&w, w, 0) == RLC_OK, 1); /* stacks on itself too */
    rlc_env *inner_norm = rlc_wrap_inner(w);
    /* use the inner normaliser's statistics (the outer one sees normalised obs) */
    assert_int_equal(rlc_env_reset(w, 3, out), RLC_OK);
    for (int t = 0;; t++) {
        assert_int_equal(rlc_env_observe(base, raw), RLC_OK);
        for (int i = 0; i < 4; i++)
            xs[n][i] = raw[i];
        n++;
        if (n == N) break;
        if (r.terminated || r.truncated) {
            assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, out), RLC_OK);
            r.terminated = r.truncated = 0;
            continue;
        }
        int64_t a = balance(raw) ^ (t % 7 == 0);
        assert_int_equal(rlc_env_step(w, &a, out, &r), RLC_OK);
    }
    double mean[4], var[4], count;
    assert_int_equal(rlc_wrap_get_stats(inner_norm, mean, var, &count), RLC_OK);
    assert_close(count, N + 1e-4, 1e-9);
    for (int i = 0; i < 4; i++) { /* two-pass, with the prior pseudo-sample (1e-4, mean 0, var 1) */
        double m = 0, ss = 0;
        for (int k = 0; k < N; k++)
            m += xs[k][i];
        m /= N + 1e-4;
        for (int k = 0; k < N; k++)
            ss += (xs[k][i] - m) * (xs[k][i] - m);
        double v = (1e-4 * (1 + m * m) + ss) / (N + 1e-4);
        assert_close(mean[i], m, 1e-12 + 1e-9 * fabs(m));
        assert_close(var[i], v, 1e-9 * v);
    }
    /* the inner layer's last output used the statistics after the last update */
    float inner_out[4];
    assert_int_equal(rlc_env_observe(inner_norm, inner_out), RLC_OK);
    for (int i = 0; i < 4; i++)
        assert_true(inner_out[i] == (float)((xs[N - 1][i] - mean[i]) / sqrt(var[i] + 1e-8)));
    /* updating off: statistics frozen */
    assert_int_equal(rlc_wrap_set_update(inner_norm, 0), RLC_OK);
    assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, out), RLC_OK);
    r.terminated = r.truncated = 0;
    for (int t = 0; t < 5 && !r.terminated && !r.truncated; t++) {
        int64_t a = t & 1;
        assert_int_equal(rlc_env_step(w, &a, out, &r), RLC_OK);
    }
    double mean2[4], var2[4], count2;
    assert_int_equal(rlc_wrap_get_stats(inner_norm, mean2, var2, &count2), RLC_OK);
    assert_memory_equal(mean2, mean, sizeof mean);
    assert_memory_equal(var2, var, sizeof var);
    assert_true(count2 == count);
    /* set_stats: observe now uses them */
    double m1[4] = {1, 1, 1, 1}, v4[4] = {4, 4, 4, 4};
    assert_int_equal(rlc_wrap_set_stats(inner_norm, m1, v4, 10), RLC_OK);
    assert_int_equal(rlc_env_observe(base, raw), RLC_OK);
    assert_int_equal(rlc_env_observe(inner_norm, inner_out), RLC_OK);
    for (int i = 0; i < 4; i++)
        assert_true(inner_out[i] == (float)(((double)raw[i] - 1) / sqrt(4 + 1e-8)));
    v4[2] = -1;
    assert_int_equal(rlc_wrap_set_stats(inner_norm, m1, v4, 10), RLC_ERR_RANGE);
    assert_int_equal(rlc_wrap_set_stats(inner_norm, m1, m1, 0), RLC_ERR_RANGE);
    /* statistics of other layers are refused with a clear message */
    assert_int_equal(rlc_wrap_get_stats(base, mean, var, &count), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "CartPole-v1");
    assert_ptr_equal(rlc_wrap_find(w, RLC_WRAP_NORMALIZE_OBS), w);
    assert_null(rlc_wrap_find(w, RLC_WRAP_FRAME_STACK));
    assert_int_equal(rlc_wrap_frame_stack(&w, w, 2, 0), RLC_OK);
    assert_int_equal(rlc_wrap_set_update(w, 1), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "FrameStack");
    assert_ptr_equal(rlc_wrap_find(w, RLC_WRAP_NORMALIZE_OBS), rlc_wrap_inner(w));
    rlc_env_destroy(w);

    /* clip */
    assert_int_equal(rlc_wrap_normalize_obs(&w, make("CartPole-v1", NULL), 0.01), RLC_OK);
    assert_true(rlc_env_obs_space(w)->high[3] == (double)0.01f);
    assert_int_equal(rlc_env_reset(w, 0, out), RLC_OK);
    r.terminated = 0;
    for (int t = 0; t < 30 && !r.terminated; t++) {
        int64_t a = t & 1;
        assert_int_equal(rlc_env_step(w, &a, out, &r), RLC_OK);
        for (int i = 0; i < 4; i++)
            assert_true(fabsf(out[i]) <= 0.01f);
    }
    rlc_env_destroy(w);
    rlc_env *cp = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_normalize_obs(&w, cp, -1), RLC_ERR_RANGE);
    rlc_env_destroy(cp);
}

static void test_normalize_reward(void **st) {
    (void)st;
    const double gamma = 0.9;
    rlc_env *w;
    assert_int_equal(
        rlc_wrap_normalize_reward(&w, make("CartPole-v1", "max_episode_steps=20"), gamma, 0),
        RLC_OK);
    enum { N = 300 };
    double gs[N], G = 0;
    float obs[4];
    assert_int_equal(rlc_env_reset(w, 1, obs), RLC_OK);
    int ends = 0, terms = 0;
    for (int t = 0; t < N; t++) {
        /* even episodes push right until the pole falls, odd ones balance to the limit */
        int64_t a = ends % 2 ? balance(obs) : 1;
        rlc_step_result r;
        assert_int_equal(rlc_env_step(w, &a, obs, &r), RLC_OK);
        /* CartPole's raw reward is 1 every step */
        G = G * gamma * (1 - r.terminated) + 1.0;
        gs[t] = G;
        double m = 0, ss = 0;
        for (int k = 0; k <= t; k++)
            m += gs[k];
        m /= t + 1 + 1e-4;
        for (int k = 0; k <= t; k++)
            ss += (gs[k] - m) * (gs[k] - m);
        double var = (1e-4 * (1 + m * m) + ss) / (t + 1 + 1e-4);
        assert_close(r.reward, 1.0 / sqrt(var + 1e-8), 1e-9 * r.reward);
        if (r.terminated || r.truncated) {
            ends++;
            terms += r.terminated;
            assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, obs), RLC_OK);
        }
    }
    assert_true(ends > 3); /* both kinds of ends were crossed */
    assert_true(terms > 0 && terms < ends);
    double mean, var, count;
    assert_int_equal(rlc_wrap_get_stats(w, &mean, &var, &count), RLC_OK);
    assert_close(count, N + 1e-4, 1e-9);
    rlc_env_destroy(w);
    /* clip */
    assert_int_equal(rlc_wrap_normalize_reward(&w, make("CartPole-v1", NULL), 0.99, 0.5), RLC_OK);
    assert_int_equal(rlc_env_reset(w, 1, obs), RLC_OK);
    int64_t a = 0;
    rlc_step_result r;
    assert_int_equal(rlc_env_step(w, &a, obs, &r), RLC_OK);
    assert_true(r.reward == 0.5); /* 1 / sqrt(var ~ 1e-4-weighted) is large, clipped */
    rlc_env_destroy(w);
    rlc_env *cp = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_normalize_reward(&w, cp, 1.5, 0), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "gamma");
    rlc_env_destroy(cp);
}

/* Steps `w` with action a and `ref` with action b (float32 Box of size 1) and compares. */
static void same_step_f32(rlc_env *w, float a, rlc_env *ref, float b) {
    float o1[8], o2[8];
    rlc_step_result r1, r2;
    assert_int_equal(rlc_env_step(w, &a, o1, &r1), RLC_OK);
    assert_int_equal(rlc_env_step(ref, &b, o2, &r2), RLC_OK);
    size_t ob = rlc_space_bytes(rlc_env_obs_space(ref));
    if (memcmp(o1, o2, ob) || r1.reward != r2.reward)
        fail_msg("action %g through the wrapper differs from %g on the plain env", a, b);
}

static void test_rescale_and_clip_action(void **st) {
    (void)st;
    rlc_env *w, *ref = make("Pendulum-v1", NULL);
    assert_int_equal(rlc_wrap_rescale_action(&w, make("Pendulum-v1", NULL), -1, 1), RLC_OK);
    const rlc_space *as = rlc_env_action_space(w);
    assert_true(as->low[0] == -1 && as->high[0] == 1);
    assert_int_equal(as->dtype, RLC_SPACE_FLOAT32);
    assert_int_equal(rlc_env_reset(w, 1, NULL), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 1, NULL), RLC_OK);
    same_step_f32(w, -1, ref, -2); /* -1 -> low exactly */
    same_step_f32(w, 1, ref, 2);   /* 1 -> high */
    same_step_f32(w, 0, ref, 0);
    same_step_f32(w, 0.5f, ref, 1);
    same_step_f32(w, -0.25f, ref, -0.5f);
    same_step_f32(w, 3, ref, 2); /* outside [-1, 1]: clipped to high after rescaling */
    rlc_env_destroy(w);
    rlc_env_destroy(ref);
    /* [0, 1] onto MountainCarContinuous's [-1, 1] */
    ref = make("MountainCarContinuous-v0", NULL);
    assert_int_equal(rlc_wrap_rescale_action(&w, make("MountainCarContinuous-v0", NULL), 0, 1),
                     RLC_OK);
    assert_int_equal(rlc_env_reset(w, 4, NULL), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 4, NULL), RLC_OK);
    same_step_f32(w, 0, ref, -1);
    same_step_f32(w, 1, ref, 1);
    same_step_f32(w, 0.5f, ref, 0);
    rlc_env_destroy(w);
    rlc_env_destroy(ref);

    /* ClipAction: any finite action accepted, clipped to [-2, 2] */
    ref = make("Pendulum-v1", NULL);
    assert_int_equal(rlc_wrap_clip_action(&w, make("Pendulum-v1", NULL)), RLC_OK);
    assert_true(isinf(rlc_env_action_space(w)->low[0]));
    assert_int_equal(rlc_env_reset(w, 2, NULL), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 2, NULL), RLC_OK);
    same_step_f32(w, 5, ref, 2);
    same_step_f32(w, -1e30f, ref, -2);
    same_step_f32(w, 1.5f, ref, 1.5f);
    float bad = INFINITY;
    assert_int_equal(rlc_env_step(w, &bad, NULL, NULL), RLC_ERR_RANGE);
    rlc_env_destroy(w);
    rlc_env_destroy(ref);

    /* Discrete action spaces are refused, naming the space; inner stays the caller's */
    rlc_env *cp = make("CartPole-v1", NULL), *keep = cp;
    assert_int_equal(rlc_wrap_rescale_action(&cp, cp, -1, 1), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "Discrete(2)");
    assert_contains(rlc_last_error(), "CartPole-v1");
    assert_ptr_equal(cp, keep);
    assert_int_equal(rlc_wrap_clip_action(&cp, cp), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "Discrete(2)");
    int64_t a = 1;
    assert_int_equal(rlc_env_reset(cp, 0, NULL), RLC_OK);
    assert_int_equal(rlc_env_step(cp, &a, NULL, NULL), RLC_OK);
    rlc_env_destroy(cp);
    rlc_env *p = make("Pendulum-v1", NULL);
    assert_int_equal(rlc_wrap_rescale_action(&w, p, 1, 1), RLC_ERR_RANGE);
    assert_int_equal(rlc_wrap_rescale_action(&w, p, NAN, 1), RLC_ERR_RANGE);
    rlc_env_destroy(p);
}

static void test_frame_stack(void **st) {
    (void)st;
    for (int zero = 0; zero < 2; zero++) {
        rlc_env *w, *ref = make("CartPole-v1", NULL);
        assert_int_equal(rlc_wrap_frame_stack(&w, make("CartPole-v1", NULL), 3, zero), RLC_OK);
        const rlc_space *os = rlc_env_obs_space(w);
        assert_int_equal(os->ndim, 2);
        assert_int_equal(os->shape[0], 3);
        assert_int_equal(os->shape[1], 4);
        assert_int_equal(os->size, 12);
        assert_true(os->low[4] == rlc_env_obs_space(ref)->low[0]);
        assert_true(os->high[10] == rlc_env_obs_space(ref)->high[2]);
        float hist[6][4], out[12], obs[4];
        assert_int_equal(rlc_env_reset(w, 9, out), RLC_OK);
        assert_int_equal(rlc_env_reset(ref, 9, hist[2]), RLC_OK);
        for (int j = 0; j < 2; j++) {
            if (zero)
                memset(hist[j], 0, sizeof hist[j]);
            else
                memcpy(hist[j], hist[2], sizeof hist[j]);
        }
        assert_memory_equal(out, hist[0], sizeof out); /* [o0,o0,o0] or [0,0,o0] */
        for (int t = 0; t < 3; t++) {
            int64_t a = t & 1;
            assert_int_equal(rlc_env_step(w, &a, out, NULL), RLC_OK);
            assert_int_equal(rlc_env_step(ref, &a, hist[3 + t], NULL), RLC_OK);
            assert_memory_equal(out, hist[t + 1], sizeof out); /* oldest first */
        }
        float seen[12];
        assert_int_equal(rlc_env_observe(w, seen), RLC_OK);
        assert_memory_equal(seen, out, sizeof out);
        (void)obs;
        rlc_env_destroy(w);
        rlc_env_destroy(ref);
    }
    rlc_env *cp = make("CartPole-v1", NULL), *w;
    assert_int_equal(rlc_wrap_frame_stack(&w, cp, 0, 0), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "k (frames to stack) must be in 1..1024, got 0");
    assert_int_equal(rlc_wrap_frame_stack(&w, cp, 1, 0), RLC_OK); /* k = 1: the obs itself */
    assert_int_equal(rlc_env_obs_space(w)->shape[0], 1);
    rlc_env_destroy(w);
}

static void test_action_repeat(void **st) {
    (void)st;
    rlc_env *w, *ref = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_action_repeat(&w, make("CartPole-v1", NULL), 4), RLC_OK);
    assert_int_equal(rlc_env_max_episode_steps(w), 125);
    float o1[4], o2[4];
    assert_int_equal(rlc_env_reset(w, 0, o1), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 0, o2), RLC_OK);
    rlc_step_result r1 = {0}, r2 = {0};
    int outer = 0, inner = 0;
    while (!r1.terminated) {
        int64_t a = outer % 3 == 0;
        assert_int_equal(rlc_env_step(w, &a, o1, &r1), RLC_OK);
        double sum = 0;
        for (int j = 0; j < 4; j++) {
            assert_int_equal(rlc_env_step(ref, &a, o2, &r2), RLC_OK);
            sum += r2.reward;
            inner++;
            if (r2.terminated || r2.truncated) break;
        }
        outer++;
        assert_memory_equal(o1, o2, sizeof o1);
        assert_true(r1.reward == sum);
        assert_int_equal(r1.terminated, r2.terminated);
    }
    assert_int_equal(r1.episode_length, outer);
    assert_true(r1.episode_return == inner); /* +1 per inner step, summed */
    rlc_env_destroy(w);
    rlc_env_destroy(ref);

    /* Time limit 10 with k = 4: steps of 4, 4 and 2 inner steps, truncated on the third */
    assert_int_equal(rlc_wrap_action_repeat(&w, make("Pendulum-v1", "max_episode_steps=10"), 4),
                     RLC_OK);
    assert_int_equal(rlc_env_max_episode_steps(w), 3);
    ref = make("Pendulum-v1", "max_episode_steps=10");
    assert_int_equal(rlc_env_reset(w, 5, NULL), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 5, NULL), RLC_OK);
    int per[3] = {4, 4, 2};
    for (int t = 0; t < 3; t++) {
        float a = 0.3f;
        assert_int_equal(rlc_env_step(w, &a, o1, &r1), RLC_OK);
        double sum = 0;
        for (int j = 0; j < per[t]; j++) {
            assert_int_equal(rlc_env_step(ref, &a, o2, &r2), RLC_OK);
            sum += r2.reward;
        }
        assert_true(r1.reward == sum);
        assert_int_equal(r1.truncated, t == 2);
        assert_int_equal(r2.truncated, t == 2);
        assert_memory_equal(o1, o2, 3 * sizeof(float));
    }
    float a = 0;
    assert_int_equal(rlc_env_step(w, &a, NULL, NULL), RLC_ERR_STATE);
    rlc_env_destroy(w);
    rlc_env_destroy(ref);
    rlc_env *cp = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_action_repeat(&w, cp, 0), RLC_ERR_RANGE);
    rlc_env_destroy(cp);
}

/* Sticky actions replayed by hand: the wrapper draws random() from the env's stream. */
static void test_sticky_action(void **st) {
    (void)st;
    const double ps[] = {0, 1, 0.25};
    for (int k = 0; k < 3; k++) {
        double p = ps[k];
        rlc_env *w, *ref = make("CartPole-v1", NULL);
        assert_int_equal(rlc_wrap_sticky_action(&w, make("CartPole-v1", NULL), p), RLC_OK);
        float o1[4], o2[4];
        assert_int_equal(rlc_env_reset(w, 11, o1), RLC_OK);
        assert_int_equal(rlc_env_reset(ref, 11, o2), RLC_OK);
        int has_last = 0, stuck = 0, steps = 0;
        int64_t last = 0;
        for (int t = 0; t < 3000; t++) {
            int64_t a = (t / 2) & 1, exec = a;
            if (has_last && (p >= 1 || (p > 0 && rlc_rng_random(&ref->rt.rng) < p))) {
                exec = last;
                stuck++;
            }
            steps += has_last;
            rlc_step_result r1, r2;
            assert_int_equal(rlc_env_step(w, &a, o1, &r1), RLC_OK);
            assert_int_equal(rlc_env_step(ref, &exec, o2, &r2), RLC_OK);
            if (memcmp(o1, o2, sizeof o1)) fail_msg("p=%g: step %d differs", p, t);
            last = exec;
            has_last = 1;
            if (r1.terminated || r1.truncated) {
                assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, o1), RLC_OK);
                assert_int_equal(rlc_env_reset(ref, RLC_ENV_NO_SEED, o2), RLC_OK);
                assert_memory_equal(o1, o2, sizeof o1); /* same stream after the draws */
                has_last = 0;
            }
        }
        if (p == 0) assert_int_equal(stuck, 0);
        if (p == 1) assert_int_equal(stuck, steps);
        if (p > 0 && p < 1) {
            double frac = (double)stuck / steps, sd = sqrt(p * (1 - p) / steps);
            if (fabs(frac - p) > 5 * sd) fail_msg("sticky fraction %g for p=%g", frac, p);
        }
        rlc_env_destroy(w);
        rlc_env_destroy(ref);
    }
    rlc_env *cp = make("CartPole-v1", NULL), *w;
    assert_int_equal(rlc_wrap_sticky_action(&w, cp, 1.5), RLC_ERR_RANGE);
    rlc_env_destroy(cp);
}

static void test_obs_noise(void **st) {
    (void)st;
    const double sigma = 0.1;
    rlc_env *w, *base = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_obs_noise(&w, base, sigma), RLC_OK);
    assert_true(isinf(rlc_env_obs_space(w)->high[0]));
    float o[4], raw[4];
    assert_int_equal(rlc_env_reset(w, 2, o), RLC_OK);
    double sum = 0, sum2 = 0;
    long n = 0;
    for (int t = 0; t < 5000; t++) {
        assert_int_equal(rlc_env_observe(base, raw), RLC_OK);
        for (int i = 0; i < 4; i++) {
            double d = (double)o[i] - raw[i];
            sum += d;
            sum2 += d * d;
            n++;
        }
        float seen[4];
        assert_int_equal(rlc_env_observe(w, seen), RLC_OK); /* the last noisy obs */
        assert_memory_equal(seen, o, sizeof o);
        int64_t a = balance(raw);
        rlc_step_result r;
        assert_int_equal(rlc_env_step(w, &a, o, &r), RLC_OK);
        if (r.terminated || r.truncated)
            assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, o), RLC_OK);
    }
    double mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
    if (fabs(mean) > 4 * sigma / sqrt((double)n)) fail_msg("noise mean %g", mean);
    if (fabs(sd - sigma) > 0.03 * sigma) fail_msg("noise std %g, want %g", sd, sigma);
    rlc_env_destroy(w);
    /* sigma = 0: exactly the inner env */
    rlc_env *ref = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_obs_noise(&w, make("CartPole-v1", NULL), 0), RLC_OK);
    float o2[4];
    assert_int_equal(rlc_env_reset(w, 8, o), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 8, o2), RLC_OK);
    assert_memory_equal(o, o2, sizeof o);
    rlc_env_destroy(w);
    rlc_env_destroy(ref);
    rlc_env *cp = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_obs_noise(&w, cp, -0.1), RLC_ERR_RANGE);
    rlc_env_destroy(cp);
}

/* A passthrough wrapper keeps the env's seeding: reset(seed) and the NO_SEED stream. */
static void test_seeding_through_stack(void **st) {
    (void)st;
    rlc_env *w, *ref = make("CartPole-v1", NULL);
    assert_int_equal(rlc_wrap_normalize_reward(&w, make("CartPole-v1", NULL), 0.99, 0), RLC_OK);
    assert_int_equal(rlc_wrap_time_limit(&w, w, 500), RLC_OK);
    float o1[4], o2[4];
    assert_int_equal(rlc_env_reset(w, 123, o1), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, 123, o2), RLC_OK);
    assert_memory_equal(o1, o2, sizeof o1);
    int episodes = 0;
    for (int t = 0; t < 1000; t++) {
        int64_t a = (t * 7 / 3) & 1;
        rlc_step_result r1, r2;
        assert_int_equal(rlc_env_step(w, &a, o1, &r1), RLC_OK);
        assert_int_equal(rlc_env_step(ref, &a, o2, &r2), RLC_OK);
        assert_memory_equal(o1, o2, sizeof o1);
        assert_int_equal(r1.terminated, r2.terminated);
        if (r1.terminated || r1.truncated) {
            episodes++;
            assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, o1), RLC_OK);
            assert_int_equal(rlc_env_reset(ref, RLC_ENV_NO_SEED, o2), RLC_OK);
            assert_memory_equal(o1, o2, sizeof o1);
        }
    }
    assert_true(episodes > 10);
    /* rlc_env_seed on the wrapper seeds the stack */
    rlc_env_seed(w, 77);
    rlc_env_seed(ref, 77);
    assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, o1), RLC_OK);
    assert_int_equal(rlc_env_reset(ref, RLC_ENV_NO_SEED, o2), RLC_OK);
    assert_memory_equal(o1, o2, sizeof o1);
    assert_string_equal(rlc_env_id(w), "CartPole-v1");
    assert_int_equal(rlc_env_state_dim(w), 4);
    double v[4];
    assert_int_equal(rlc_env_get_state_vector(w, v), RLC_OK);
    assert_close(v[0], (double)o1[0], 1e-7);
    rlc_env_destroy(w);
    rlc_env_destroy(ref);
}

static void test_time_limit_and_truncation(void **st) {
    (void)st;
    const int64_t limits[] = {300, 50, 0};
    for (int k = 0; k < 3; k++) {
        rlc_env *w;
        assert_int_equal(rlc_wrap_time_limit(&w, make("Pendulum-v1", NULL), limits[k]), RLC_OK);
        assert_int_equal(rlc_env_max_episode_steps(w), limits[k]);
        assert_int_equal(rlc_env_reset(w, 0, NULL), RLC_OK);
        float a = 0.1f;
        rlc_step_result r = {0};
        int t = 0;
        while (!r.truncated && t < 1000) {
            assert_int_equal(rlc_env_step(w, &a, NULL, &r), RLC_OK);
            t++;
        }
        assert_int_equal(t, limits[k] ? limits[k] : 1000);
        rlc_env_destroy(w);
    }
    /* over action repeat (limit 200 / 4 = 50): the new limit of 60 outer steps (240 Pendulum
     * steps) replaces the registered 200 */
    rlc_env *w;
    assert_int_equal(rlc_wrap_action_repeat(&w, make("Pendulum-v1", NULL), 4), RLC_OK);
    assert_int_equal(rlc_env_max_episode_steps(w), 50);
    assert_int_equal(rlc_wrap_time_limit(&w, w, 60), RLC_OK);
    assert_int_equal(rlc_env_reset(w, 0, NULL), RLC_OK);
    rlc_step_result r = {0};
    int t = 0;
    while (!r.truncated && t < 1000) {
        float a = 0;
        assert_int_equal(rlc_env_step(w, &a, NULL, &r), RLC_OK);
        t++;
    }
    assert_int_equal(t, 60);
    int64_t len;
    rlc_env_episode(rlc_wrap_unwrapped(w), NULL, &len);
    assert_int_equal(len, 240);
    rlc_env_destroy(w);
    rlc_env *p = make("Pendulum-v1", NULL);
    assert_int_equal(rlc_wrap_time_limit(&w, p, -1), RLC_ERR_RANGE);
    rlc_env_destroy(p);

    /* The inner limit carries through a wrapper, even out of step with the wrapper's count
     * (the inner env stepped behind the wrapper's back, 3 steps ahead). */
    assert_int_equal(rlc_wrap_normalize_obs(&w, make("Pendulum-v1", "max_episode_steps=20"), 0),
                     RLC_OK);
    assert_int_equal(rlc_env_max_episode_steps(w), 20);
    assert_int_equal(rlc_env_reset(w, 0, NULL), RLC_OK);
    float a = 0;
    for (int j = 0; j < 3; j++)
        assert_int_equal(rlc_env_step(rlc_wrap_inner(w), &a, NULL, NULL), RLC_OK);
    r.truncated = 0;
    t = 0;
    while (!r.truncated) {
        assert_int_equal(rlc_env_step(w, &a, NULL, &r), RLC_OK);
        t++;
    }
    assert_int_equal(t, 17);
    assert_int_equal(r.episode_length, 17);
    assert_int_equal(rlc_env_reset(w, RLC_ENV_NO_SEED, NULL), RLC_OK);
    assert_int_equal(rlc_env_max_episode_steps(w), 20);
    rlc_env_destroy(w);
}

/* Snapshots of a stack restore every layer's evolving state and the whole inner stack. */
static void test_snapshot_stack(void **st) {
    (void)st;
    rlc_env *w[2];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(rlc_wrap_obs_noise(&w[k], make("CartPole-v1", NULL), 0.05), RLC_OK);
        assert_int_equal(rlc_wrap_sticky_action(&w[k], w[k], 0.3), RLC_OK);
        assert_int_equal(rlc_wrap_frame_stack(&w[k], w[k], 3, 0), RLC_OK);
    }
    float o[12], rec[40][12];
    double rew[40];
    assert_int_equal(rlc_env_reset(w[0], 5, o), RLC_OK);
    int64_t acts[50];
    for (int t = 0; t < 50; t++)
        acts[t] = (t * 5 / 2) & 1;
    rlc_step_result r;
    for (int t = 0; t < 10; t++)
        assert_int_equal(rlc_env_step(w[0], &acts[t], o, &r), RLC_OK);
    size_t sz = rlc_env_state_size(w[0]);
    void *snap = malloc(sz);
    assert_int_equal(rlc_env_get_state(w[0], snap, sz), RLC_OK);
    int steps = 0;
    for (int t = 10; t < 50 && steps < 40; t++, steps++) {
        assert_int_equal(rlc_env_step(w[0], &acts[t], rec[steps], &r), RLC_OK);
        rew[steps] = r.reward;
        if (r.terminated || r.truncated) {
            steps++;
            break;
        }
    }
    assert_true(steps > 5);
    for (int k = 0; k < 2; k++) { /* back in the same stack, and into another instance */
        assert_int_equal(rlc_env_set_state(w[k], snap, sz), RLC_OK);
        float seen[12];
        assert_int_equal(rlc_env_observe(w[k], seen), RLC_OK);
        assert_memory_equal(seen, o, sizeof o);
        for (int j = 0; j < steps; j++) {
            assert_int_equal(rlc_env_step(w[k], &acts[10 + j], seen, &r), RLC_OK);
            if (memcmp(seen, rec[j], sizeof seen) || r.reward != rew[j])
                fail_msg("stack %d: step %d after restoring differs", k, j);
        }
    }
    /* a snapshot of another stack shape is refused */
    rlc_env *other;
    assert_int_equal(rlc_wrap_frame_stack(&other, make("CartPole-v1", NULL), 3, 0), RLC_OK);
    assert_int_equal(rlc_env_set_state(other, snap, sz), RLC_ERR_INVALID);
    rlc_env_destroy(other);
    free(snap);
    rlc_env_destroy(w[0]);
    rlc_env_destroy(w[1]);
}

typedef rlc_status (*wrap_fn)(rlc_env **out, rlc_env *inner);
static rlc_status w_tl(rlc_env **o, rlc_env *i) {
    return rlc_wrap_time_limit(o, i, 30);
}
static rlc_status w_no(rlc_env **o, rlc_env *i) {
    return rlc_wrap_normalize_obs(o, i, 5);
}
static rlc_status w_nr(rlc_env **o, rlc_env *i) {
    return rlc_wrap_normalize_reward(o, i, .99, 0);
}
static rlc_status w_ca(rlc_env **o, rlc_env *i) {
    return rlc_wrap_clip_action(o, i);
}
static rlc_status w_ra(rlc_env **o, rlc_env *i) {
    return rlc_wrap_rescale_action(o, i, -1, 1);
}
static rlc_status w_fs(rlc_env **o, rlc_env *i) {
    return rlc_wrap_frame_stack(o, i, 4, 0);
}
static rlc_status w_ar(rlc_env **o, rlc_env *i) {
    return rlc_wrap_action_repeat(o, i, 2);
}
static rlc_status w_sa(rlc_env **o, rlc_env *i) {
    return rlc_wrap_sticky_action(o, i, 0.2);
}
static rlc_status w_on(rlc_env **o, rlc_env *i) {
    return rlc_wrap_obs_noise(o, i, 0.01);
}

/* A deep stack runs and frees everything; every constructor survives allocation failures
 * (inner untouched and still usable). */
static void test_stack_no_leaks(void **st) {
    (void)st;
    const wrap_fn fns[] = {w_ra, w_ca, w_no, w_fs, w_sa, w_on, w_ar, w_nr, w_tl};
    const int nf = sizeof fns / sizeof fns[0];
    long long live = rlc_alloc_live();
    rlc_env *e = make("Pendulum-v1", NULL);
    for (int k = 0; k < nf; k++)
        assert_int_equal(fns[k](&e, e), RLC_OK);
    for (int k = nf - 1; k >= 0; k--) { /* the layers, outermost first */
        static const rlc_wrap_kind kinds[] = {
            RLC_WRAP_RESCALE_ACTION, RLC_WRAP_CLIP_ACTION,      RLC_WRAP_NORMALIZE_OBS,
            RLC_WRAP_FRAME_STACK,    RLC_WRAP_STICKY_ACTION,    RLC_WRAP_OBS_NOISE,
            RLC_WRAP_ACTION_REPEAT,  RLC_WRAP_NORMALIZE_REWARD, RLC_WRAP_TIME_LIMIT};
        assert_non_null(rlc_wrap_find(e, kinds[k]));
    }
    assert_int_equal(rlc_env_obs_space(e)->shape[0], 4);
    assert_int_equal(rlc_env_reset(e, 0, NULL), RLC_OK);
    int ends = 0;
    for (int t = 0; t < 300; t++) {
        float a = (float)((t % 21) - 10) / 10;
        rlc_step_result r;
        assert_int_equal(rlc_env_step(e, &a, NULL, &r), RLC_OK);
        if (r.truncated) {
            assert_int_equal(r.episode_length, 30);
            ends++;
            assert_int_equal(rlc_env_reset(e, RLC_ENV_NO_SEED, NULL), RLC_OK);
        }
    }
    assert_int_equal(ends, 10);
    uint8_t rgb[60 * 40 * 3];
    rlc_status rs = rlc_env_render(e, rgb, 60, 40);
    assert_true(rs == RLC_OK || rs == RLC_ERR_UNSUPPORTED);
    rlc_env_destroy(e);
    assert_int_equal(rlc_alloc_live(), live);

    for (int k = 0; k < nf; k++) {
        int ok = 0;
        for (long f = 1; f < 30 && !ok; f++) {
            rlc_env *inner = make("Pendulum-v1", NULL), *w = inner;
            rlc_alloc_fail_after(f);
            rlc_status s = fns[k](&w, inner);
            rlc_alloc_fail_reset();
            if (s == RLC_OK) {
                ok = 1;
                assert_int_equal(rlc_env_reset(w, 0, NULL), RLC_OK);
                rlc_env_destroy(w);
            } else {
                assert_int_equal(s, RLC_ERR_NOMEM);
                assert_ptr_equal(w, inner);
                float a = 0;
                assert_int_equal(rlc_env_reset(inner, 0, NULL), RLC_OK);
                assert_int_equal(rlc_env_step(inner, &a, NULL, NULL), RLC_OK);
                rlc_env_destroy(inner);
            }
            assert_int_equal(rlc_alloc_live(), live);
        }
        assert_true(ok);
    }
    assert_int_equal(rlc_wrap_time_limit(NULL, NULL, 1), RLC_ERR_INVALID);
    assert_string_equal(rlc_wrap_kind_name(RLC_WRAP_NORMALIZE_OBS), "NormalizeObservation");
}

RLC_TESTS(env_wrappers, cmocka_unit_test(test_normalize_obs),
          cmocka_unit_test(test_normalize_reward), cmocka_unit_test(test_rescale_and_clip_action),
          cmocka_unit_test(test_frame_stack), cmocka_unit_test(test_action_repeat),
          cmocka_unit_test(test_sticky_action), cmocka_unit_test(test_obs_noise),
          cmocka_unit_test(test_seeding_through_stack),
          cmocka_unit_test(test_time_limit_and_truncation), cmocka_unit_test(test_snapshot_stack),
          cmocka_unit_test(test_stack_no_leaks))
