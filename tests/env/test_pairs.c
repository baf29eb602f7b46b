/* Tests of PairsTrading-v0 (src/env/trading/pairs.c) and the helpers of rlc/trading.h: the env
 * API (spaces, reward = position x spread change - costs, end-of-day close, snapshots, fixed
 * market paths, render, kwargs errors), the threshold rule's profit on a mean-reverting pair
 * and the absence of profit after costs (rule and DQN) on a random-walk spread. */
#include "test.h"

#include <math.h>

#include "rlc/rlc.h"

static rlc_env *make(const char *kw) {
    rlc_env *e = NULL;
    rlc_status st = rlc_env_make(&e, "PairsTrading-v0", kw);
    if (st) fail_msg("%s", rlc_last_error());
    return e;
}

static void test_pairs_api(void **state) {
    (void)state;
    rlc_env *e = make("episode_length=50,cost=0.1");
    const rlc_space *os = rlc_env_obs_space(e), *as = rlc_env_action_space(e);
    assert_int_equal(as->kind, RLC_SPACE_DISCRETE);
    assert_int_equal(as->n, 3);
    assert_int_equal(os->size, RLC_PAIRS_OBS_DIM);
    float obs[6];
    assert_int_equal(rlc_env_reset(e, 3, obs), RLC_OK);
    for (int i = 0; i < 6; i++)
        assert_true(isfinite(obs[i]));
    assert_true(obs[RLC_PAIRS_OBS_POS] == 0);
    double v0[6], v1[6];
    assert_int_equal(rlc_env_get_state_vector(e, v0), RLC_OK);
    int64_t a = RLC_PAIRS_LONG;
    rlc_step_result r;
    assert_int_equal(rlc_env_step(e, &a, obs, &r), RLC_OK);
    assert_int_equal(rlc_env_get_state_vector(e, v1), RLC_OK);
    assert_close(r.reward, (v1[0] - v0[0]) - 0.1, 1e-12);
    assert_true(obs[RLC_PAIRS_OBS_POS] == 1);
    /* long -> short costs 2 units */
    a = RLC_PAIRS_SHORT;
    assert_int_equal(rlc_env_step(e, &a, obs, &r), RLC_OK);
    assert_int_equal(rlc_env_get_state_vector(e, v0), RLC_OK);
    assert_close(r.reward, -(v0[0] - v1[0]) - 0.2, 1e-12);
    /* snapshot: the future repeats exactly */
    size_t n = rlc_env_state_size(e);
    void *snap = malloc(n);
    assert_int_equal(rlc_env_get_state(e, snap, n), RLC_OK);
    double rew[2][20];
    for (int pass = 0; pass < 2; pass++) {
        if (pass) assert_int_equal(rlc_env_set_state(e, snap, n), RLC_OK);
        for (int t = 0; t < 20; t++) {
            a = t % 3;
            assert_int_equal(rlc_env_step(e, &a, obs, &r), RLC_OK);
            rew[pass][t] = r.reward;
        }
    }
    assert_memory_equal(rew[0], rew[1], sizeof rew[0]);
    free(snap);
    /* the day ends after episode_length bars with the position closed (its cost charged) */
    int steps = 22, term = 0;
    a = RLC_PAIRS_LONG;
    while (!term) {
        assert_int_equal(rlc_env_get_state_vector(e, v0), RLC_OK);
        assert_int_equal(rlc_env_step(e, &a, obs, &r), RLC_OK);
        steps++;
        term = r.terminated;
    }
    assert_int_equal(steps, 50);
    assert_int_equal(rlc_env_get_state_vector(e, v1), RLC_OK);
    assert_close(r.reward, (v1[0] - v0[0]) - 0.1, 1e-12); /* held long, closed at the end */
    assert_true(obs[RLC_PAIRS_OBS_POS] == 0);
    uint8_t *rgb = malloc(64 * 48 * 3);
    assert_int_equal(rlc_env_render(e, rgb, 64, 48), RLC_OK);
    int colours = 0;
    for (int i = 0; i < 64 * 48; i++)
        colours += rgb[3 * i] != 255 || rgb[3 * i + 1] != 255 || rgb[3 * i + 2] != 255;
    assert_true(colours > 64);
    free(rgb);
    rlc_env_destroy(e);
    /* kwargs errors name the problem */
    rlc_env *bad = NULL;
    assert_int_equal(rlc_env_make(&bad, "PairsTrading-v0",
                                  "market_seed=1,market_length=100,"
                                  "window_start=90,window_length=50"),
                     RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "window");
    assert_int_equal(rlc_env_make(&bad, "PairsTrading-v0", "lookback=1"), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "lookback");
    assert_null(bad);
}

/* A fixed market path does not depend on the reset seed (random_start=0) and its windows are
 * segments of the same history. */
static void test_pairs_fixed_market(void **state) {
    (void)state;
    rlc_env *a = make("market_seed=5,market_length=3000,window_start=100,window_length=500,"
                      "random_start=0,episode_length=200");
    rlc_env *b = make("market_seed=5,market_length=3000,window_start=150,window_length=500,"
                      "random_start=0,episode_length=200");
    float oa[6], ob[6];
    assert_int_equal(rlc_env_reset(a, 1, oa), RLC_OK);
    assert_int_equal(rlc_env_reset(b, 99, ob), RLC_OK);
    double sa[300], sb[300], v[6];
    int64_t act = RLC_PAIRS_FLAT;
    rlc_step_result r;
    for (int t = 0; t < 150; t++) {
        assert_int_equal(rlc_env_step(a, &act, oa, &r), RLC_OK);
        rlc_env_get_state_vector(a, v);
        sa[t] = v[0];
        assert_true(r.reward == 0); /* flat: no PnL, no cost */
    }
    for (int t = 0; t < 100; t++) {
        assert_int_equal(rlc_env_step(b, &act, ob, &r), RLC_OK);
        rlc_env_get_state_vector(b, v);
        sb[t] = v[0];
    }
    for (int t = 0; t < 100; t++)
        assert_true(sa[t + 50] == sb[t]);
    /* random starts differ between reset seeds */
    rlc_env *c = make("market_seed=5,market_length=3000,episode_length=200");
    double s1[6], s2[6];
    rlc_env_reset(c, 1, oa);
    rlc_env_get_state_vector(c, s1);
    rlc_env_reset(c, 2, oa);
    rlc_env_get_state_vector(c, s2);
    assert_true(s1[0] != s2[0]);
    rlc_env_destroy(a);
    rlc_env_destroy(b);
    rlc_env_destroy(c);
}

/* PnL of one episode per seed under the threshold rule: mean and t statistic over seeds. */
static void rule_pnl(const char *kw, int seeds, double *mean, double *tstat) {
    rlc_env *e = make(kw);
    double s = 0, ss = 0;
    for (int k = 0; k < seeds; k++) {
        float obs[6];
        rlc_env_reset(e, 100 + k, obs);
        double pnl = 0;
        rlc_step_result r = {0};
        while (!r.terminated && !r.truncated) {
            int64_t a = rlc_pairs_threshold_action(obs, 2.0, 0.5);
            assert_int_equal(rlc_env_step(e, &a, obs, &r), RLC_OK);
            pnl += r.reward;
        }
        s += pnl;
        ss += pnl * pnl;
    }
    *mean = s / seeds;
    double sd = sqrt((ss - seeds * *mean * *mean) / (seeds - 1));
    *tstat = *mean / (sd / sqrt(seeds));
    rlc_env_destroy(e);
}

static void test_pairs_threshold_rule(void **state) {
    (void)state;
    double m, t;
    rule_pnl("switch_prob=0", 40, &m, &t);
    printf("  threshold rule, mean-reverting pair: PnL %.3f per day (t = %.1f)\n", m, t);
    assert_true(m > 0 && t > 3);
    rule_pnl("mean_reversion=0,switch_prob=0", 40, &m, &t);
    printf("  threshold rule, random-walk spread: PnL %.3f per day (t = %.1f)\n", m, t);
    assert_true(t < 1.0);
    /* rule actions */
    float o[6] = {2.5f, 0, 0, 0, 0, 0};
    assert_int_equal(rlc_pairs_threshold_action(o, 2, 0.5), RLC_PAIRS_SHORT);
    o[0] = -2.5f;
    assert_int_equal(rlc_pairs_threshold_action(o, 2, 0.5), RLC_PAIRS_LONG);
    o[0] = -1.0f;
    o[4] = 1;
    assert_int_equal(rlc_pairs_threshold_action(o, 2, 0.5), RLC_PAIRS_LONG); /* hold */
    o[0] = -0.4f;
    assert_int_equal(rlc_pairs_threshold_action(o, 2, 0.5), RLC_PAIRS_FLAT); /* exit */
    o[0] = 1.0f;
    o[4] = -1;
    assert_int_equal(rlc_pairs_threshold_action(o, 2, 0.5), RLC_PAIRS_SHORT);
    o[0] = 0.3f;
    assert_int_equal(rlc_pairs_threshold_action(o, 2, 0.5), RLC_PAIRS_FLAT);
}

static void test_sharpe(void **state) {
    (void)state;
    const double x[4] = {1, 2, 3, 4};
    /* mean 2.5, sample std sqrt(5/3) */
    assert_close(rlc_sharpe_ratio(x, 4, 1), 2.5 / sqrt(5.0 / 3.0), 1e-12);
    assert_close(rlc_sharpe_ratio(x, 4, 4), 2 * 2.5 / sqrt(5.0 / 3.0), 1e-12);
    const double c[3] = {1, 1, 1};
    assert_close(rlc_sharpe_ratio(c, 3, 252), 0, 0);
    assert_close(rlc_sharpe_ratio(x, 1, 252), 0, 0);
}

/* DQN trained on a random-walk spread finds no profit after costs out of sample. */
static void test_pairs_dqn_no_fake_profit(void **state) {
    (void)state;
    const char *kw = "mean_reversion=0,switch_prob=0";
    const rlc_config_table *t = rlc_dqn_config_table();
    rlc_dqn_config c;
    rlc_config_defaults(t, &c);
    c.learning_starts = 1000;
    c.exploration_fraction = 0.3;
    c.target_update_interval = 1000;
    c.lr = 5e-4;
    double s = 0, ss = 0;
    int n = 0;
    for (int seed = 0; seed < 3; seed++) {
        rlc_agent *a;
        assert_int_equal(rlc_agent_create(&a, "dqn", "PairsTrading-v0", kw, &c, 10 + seed), RLC_OK);
        rlc_train_options o = {.total_steps = 8000};
        assert_int_equal(rlc_agent_train(a, 20 + seed, &o, NULL), RLC_OK);
        double ret[10];
        assert_int_equal(rlc_agent_evaluate(a, 10, 5000 + 100 * seed, 0, ret, NULL, 0, 0), RLC_OK);
        for (int i = 0; i < 10; i++) {
            s += ret[i];
            ss += ret[i] * ret[i];
            n++;
        }
        rlc_agent_destroy(a);
    }
    double m = s / n, sd = sqrt((ss - n * m * m) / (n - 1));
    double tstat = sd > 0 ? m / (sd / sqrt(n)) : 0;
    printf("  DQN, random-walk spread: out-of-sample PnL %.3f per day (t = %.2f, %d days)\n", m,
           tstat, n);
    assert_true(tstat < 2.0);
}

/* risk_aversion: on the same fixed path, the reward is the PnL minus lambda/2 (position x
 * spread change)^2; lambda = 0 is the plain PnL bit for bit. */
static void test_pairs_risk_aversion(void **state) {
    (void)state;
    rlc_env *e0 = make("market_seed=4,market_length=400,random_start=0,cost=0.05");
    rlc_env *e1 = make("market_seed=4,market_length=400,random_start=0,cost=0.05,"
                       "risk_aversion=3");
    rlc_env *ez = make("market_seed=4,market_length=400,random_start=0,cost=0.05,"
                       "risk_aversion=0");
    float o0[RLC_PAIRS_OBS_DIM], o1[RLC_PAIRS_OBS_DIM], oz[RLC_PAIRS_OBS_DIM];
    assert_int_equal(rlc_env_reset(e0, 1, o0), RLC_OK);
    assert_int_equal(rlc_env_reset(e1, 1, o1), RLC_OK);
    assert_int_equal(rlc_env_reset(ez, 1, oz), RLC_OK);
    double penalised = 0;
    for (int t = 0; t < 40; t++) {
        int64_t a = t < 10 ? RLC_PAIRS_LONG : t < 25 ? RLC_PAIRS_SHORT : RLC_PAIRS_FLAT;
        rlc_step_result r0, r1, rz;
        assert_int_equal(rlc_env_step(e0, &a, o0, &r0), RLC_OK);
        assert_int_equal(rlc_env_step(e1, &a, o1, &r1), RLC_OK);
        assert_int_equal(rlc_env_step(ez, &a, oz, &rz), RLC_OK);
        assert_memory_equal(&rz.reward, &r0.reward, sizeof r0.reward);
        double pos = (double)(a - 1),
               cost = t == 0 || t == 10 || t == 25 ? (t == 10 ? 0.1 : 0.05) : 0;
        double gain = r0.reward + cost; /* position x spread change */
        if (pos == 0) assert_true(fabs(gain) < 1e-12);
        assert_true(fabs(r1.reward - (r0.reward - 1.5 * gain * gain)) < 1e-12);
        penalised += r0.reward - r1.reward;
    }
    assert_true(penalised > 0.01); /* the penalty bit while a position was held */
    rlc_env_destroy(e0);
    rlc_env_destroy(e1);
    rlc_env_destroy(ez);
    rlc_env *bad = NULL;
    assert_int_equal(rlc_env_make(&bad, "PairsTrading-v0", "risk_aversion=-1"), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "risk_aversion");
}

/* regime_features=1: two more observations over a 4 x lookback window. The first six are those
 * of the plain env on the same fixed path; the log std ratio tells a random walk (std over 60
 * bars about half the std over 240: log ratio near -0.69) from a mean-reverting spread (theta
 * 0.05/bar: both windows span several correlation times, log ratio about -0.25). */
static double mean_volr(const char *kw) {
    char k2[256];
    snprintf(k2, sizeof k2,
             "%s,regime_features=1,market_seed=5,market_length=20000,"
             "window_start=1000,random_start=0,episode_length=5000",
             kw);
    rlc_env *e = make(k2);
    assert_int_equal(rlc_env_obs_space(e)->size, RLC_PAIRS_OBS_MAX);
    float o[RLC_PAIRS_OBS_MAX];
    assert_int_equal(rlc_env_reset(e, 0, o), RLC_OK);
    double m = 0;
    int n = 0;
    rlc_step_result r = {0};
    while (!r.terminated && !r.truncated && n < 5000) {
        int64_t a = RLC_PAIRS_FLAT;
        assert_int_equal(rlc_env_step(e, &a, o, &r), RLC_OK);
        assert_true(isfinite(o[RLC_PAIRS_OBS_ZLONG]) && isfinite(o[RLC_PAIRS_OBS_VOLR]));
        m += o[RLC_PAIRS_OBS_VOLR];
        n++;
    }
    rlc_env_destroy(e);
    return m / n;
}

static void test_pairs_regime_features(void **state) {
    (void)state;
    const char *kw = "market_seed=5,market_length=5000,window_start=1000,random_start=0";
    char k2[256];
    snprintf(k2, sizeof k2, "%s,regime_features=1", kw);
    rlc_env *a = make(kw), *b = make(k2);
    float oa[RLC_PAIRS_OBS_MAX], ob[RLC_PAIRS_OBS_MAX];
    assert_int_equal(rlc_env_reset(a, 0, oa), RLC_OK);
    assert_int_equal(rlc_env_reset(b, 0, ob), RLC_OK);
    for (int t = 0; t < 50; t++) {
        assert_memory_equal(oa, ob, sizeof(float) * RLC_PAIRS_OBS_DIM);
        int64_t act = t % 3;
        rlc_step_result r1, r2;
        assert_int_equal(rlc_env_step(a, &act, oa, &r1), RLC_OK);
        assert_int_equal(rlc_env_step(b, &act, ob, &r2), RLC_OK);
        assert_true(r1.reward == r2.reward);
    }
    rlc_env_destroy(a);
    rlc_env_destroy(b);
    double rw = mean_volr("mean_reversion=0,switch_prob=0");
    double ou = mean_volr("switch_prob=0");
    printf("  mean log std ratio: random walk %.3f, mean-reverting %.3f\n", rw, ou);
    assert_true(rw < -0.5 && rw > -0.95);
    assert_true(ou > -0.4 && ou < 0.05);
}

RLC_TESTS(pairs, cmocka_unit_test(test_pairs_api), cmocka_unit_test(test_pairs_regime_features),
          cmocka_unit_test(test_pairs_fixed_market), cmocka_unit_test(test_pairs_risk_aversion),
          cmocka_unit_test(test_pairs_threshold_rule), cmocka_unit_test(test_sharpe),
          cmocka_unit_test(test_pairs_dqn_no_fake_profit))
