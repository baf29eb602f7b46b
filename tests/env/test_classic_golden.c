/* Bit-exact replay of Gymnasium's golden classic-control data (tests/data/golden/, one file per
 * env): every seeded reset and its continuation, every trajectory (seeded, policy and set_state),
 * comparing obs, state, reward, terminated and truncated exactly. Also big seeds and the
 * GCC float32-rounding regression. */
#include "test.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/classic/classic_impl.h"
#include "rlc/env.h"

typedef struct replay {
    const char *id;
    rlc_env *env; /* env of the current trajectory */
    char traj[64];
    int line;
    long seed_resets, resets, set_states, steps; /* records checked */
    long mismatches;
} replay;

/* A golden number: JSON number, or the strings "inf", "-inf", "nan". */
static double num(const cJSON *j) {
    if (cJSON_IsNumber(j)) return j->valuedouble;
    if (cJSON_IsString(j)) return strtod(j->valuestring, NULL);
    return NAN;
}

static int same(double a, double b) {
    return a == b || (isnan(a) && isnan(b));
}

#define MISMATCH(r, ...)                                                                           \
    do {                                                                                           \
        if ((r)->mismatches++ < 10) {                                                              \
            print_message("%s line %d (%s): ", (r)->id, (r)->line, (r)->traj);                     \
            print_message(__VA_ARGS__);                                                            \
            print_message("\n");                                                                   \
        }                                                                                          \
    } while (0)

static void check_obs(replay *r, const float *obs, const cJSON *want, const char *what) {
    int n = cJSON_GetArraySize(want);
    int dim = (int)rlc_env_obs_space(r->env)->size;
    if (n != dim) {
        MISMATCH(r, "%s has %d values, env has %d", what, n, dim);
        return;
    }
    for (int i = 0; i < n; i++) {
        double w = num(cJSON_GetArrayItem(want, i));
        if (!same((double)obs[i], w))
            MISMATCH(r, "%s[%d] = %.17g, golden %.17g", what, i, (double)obs[i], w);
    }
}

static void check_state(replay *r, const cJSON *want, const char *what) {
    double v[8];
    int n = cJSON_GetArraySize(want);
    if (n != rlc_env_state_dim(r->env)) {
        MISMATCH(r, "%s has %d values, env has %d", what, n, rlc_env_state_dim(r->env));
        return;
    }
    if (rlc_env_get_state_vector(r->env, v)) {
        MISMATCH(r, "get_state_vector failed: %s", rlc_last_error());
        return;
    }
    for (int i = 0; i < n; i++) {
        double w = num(cJSON_GetArrayItem(want, i));
        if (!same(v[i], w)) MISMATCH(r, "%s[%d] = %.17g, golden %.17g", what, i, v[i], w);
    }
}

/* Resets r->env with the seed of a record: an integer, a decimal string (>= 2^53), or null
 * (continue the RNG stream). */
static void reset_with(replay *r, const cJSON *seed, float *obs) {
    rlc_status st;
    if (cJSON_IsString(seed)) {
        st = rlc_env_seed_str(r->env, seed->valuestring);
        if (!st) st = rlc_env_reset(r->env, RLC_ENV_NO_SEED, obs);
    } else if (cJSON_IsNumber(seed)) {
        st = rlc_env_reset(r->env, (int64_t)seed->valuedouble, obs);
    } else {
        st = rlc_env_reset(r->env, RLC_ENV_NO_SEED, obs);
    }
    if (st) MISMATCH(r, "reset failed: %s", rlc_last_error());
}

static void new_env(replay *r) {
    rlc_env_destroy(r->env);
    r->env = NULL;
    assert_int_equal(rlc_env_make(&r->env, r->id, NULL), RLC_OK);
}

static void on_record(replay *r, const cJSON *rec) {
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "kind"));
    const cJSON *traj = cJSON_GetObjectItem(rec, "traj");
    float obs[16];
    assert_non_null(kind);
    if (!strcmp(kind, "meta")) {
        const cJSON *ms = cJSON_GetObjectItem(rec, "max_episode_steps");
        new_env(r);
        assert_int_equal((int64_t)num(ms), rlc_env_max_episode_steps(r->env));
        const rlc_env_spec *spec = rlc_env_registry_find(r->id);
        const cJSON *thr = cJSON_GetObjectItem(rec, "reward_threshold");
        if (cJSON_IsNull(thr))
            assert_true(isnan(spec->reward_threshold));
        else
            assert_true(spec->reward_threshold == num(thr));
        /* spaces as Gymnasium reports them */
        const cJSON *os = cJSON_GetObjectItem(rec, "observation_space");
        const rlc_space *o = rlc_env_obs_space(r->env);
        assert_int_equal(o->kind, RLC_SPACE_BOX);
        assert_int_equal(o->dtype, RLC_SPACE_FLOAT32);
        for (int i = 0; i < (int)o->size; i++) {
            assert_true(
                same(o->low[i], num(cJSON_GetArrayItem(cJSON_GetObjectItem(os, "low"), i))));
            assert_true(
                same(o->high[i], num(cJSON_GetArrayItem(cJSON_GetObjectItem(os, "high"), i))));
        }
        const cJSON *as = cJSON_GetObjectItem(rec, "action_space");
        const rlc_space *a = rlc_env_action_space(r->env);
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(as, "type")), "Discrete")) {
            assert_int_equal(a->kind, RLC_SPACE_DISCRETE);
            assert_int_equal(a->n, (int64_t)num(cJSON_GetObjectItem(as, "n")));
            assert_int_equal(a->start, (int64_t)num(cJSON_GetObjectItem(as, "start")));
        } else {
            assert_int_equal(a->kind, RLC_SPACE_BOX);
            assert_int_equal(a->dtype, RLC_SPACE_FLOAT32);
            assert_true(a->low[0] == num(cJSON_GetArrayItem(cJSON_GetObjectItem(as, "low"), 0)));
            assert_true(a->high[0] == num(cJSON_GetArrayItem(cJSON_GetObjectItem(as, "high"), 0)));
        }
        return;
    }
    if (!strcmp(kind, "seed_reset")) {
        snprintf(r->traj, sizeof r->traj, "seed_reset");
        new_env(r);
        reset_with(r, cJSON_GetObjectItem(rec, "seed"), obs);
        check_obs(r, obs, cJSON_GetObjectItem(rec, "obs"), "obs");
        check_state(r, cJSON_GetObjectItem(rec, "state"), "state");
        reset_with(r, NULL, obs);
        check_obs(r, obs, cJSON_GetObjectItem(rec, "next_reset_obs"), "next_reset_obs");
        check_state(r, cJSON_GetObjectItem(rec, "next_reset_state"), "next_reset_state");
        r->seed_resets++;
        return;
    }
    assert_non_null(traj);
    if (strcmp(r->traj, traj->valuestring)) { /* a new trajectory: a fresh env */
        snprintf(r->traj, sizeof r->traj, "%s", traj->valuestring);
        new_env(r);
    }
    if (!strcmp(kind, "reset")) {
        reset_with(r, cJSON_GetObjectItem(rec, "seed"), obs);
        check_obs(r, obs, cJSON_GetObjectItem(rec, "obs"), "obs");
        check_state(r, cJSON_GetObjectItem(rec, "state"), "state");
        r->resets++;
    } else if (!strcmp(kind, "set_state")) {
        /* Gymnasium: reset(seed=0), then env.unwrapped.state = np.array(state, float64) */
        const cJSON *st = cJSON_GetObjectItem(rec, "state");
        double v[8];
        int n = cJSON_GetArraySize(st);
        for (int i = 0; i < n && i < 8; i++)
            v[i] = num(cJSON_GetArrayItem(st, i));
        assert_int_equal(rlc_env_reset(r->env, 0, NULL), RLC_OK);
        assert_int_equal(rlc_env_set_state_vector(r->env, v, n), RLC_OK);
        assert_int_equal(rlc_env_observe(r->env, obs), RLC_OK);
        check_obs(r, obs, cJSON_GetObjectItem(rec, "obs_of_state"), "obs_of_state");
        check_state(r, st, "state");
        r->set_states++;
    } else if (!strcmp(kind, "step")) {
        const cJSON *act = cJSON_GetObjectItem(rec, "action");
        double a[8];
        int n = 1;
        if (cJSON_IsArray(act)) {
            n = cJSON_GetArraySize(act);
            for (int i = 0; i < n && i < 8; i++)
                a[i] = num(cJSON_GetArrayItem(act, i));
        } else {
            a[0] = num(act);
        }
        rlc_step_result res;
        rlc_status st;
        if (rlc_env_action_space(r->env)->kind == RLC_SPACE_DISCRETE) {
            int64_t ia = (int64_t)a[0];
            st = rlc_env_step(r->env, &ia, obs, &res);
        } else {
            float fa[8];
            for (int i = 0; i < n && i < 8; i++)
                fa[i] = (float)a[i];
            st = rlc_env_step(r->env, fa, obs, &res);
        }
        if (st) {
            MISMATCH(r, "step failed: %s", rlc_last_error());
            return;
        }
        check_obs(r, obs, cJSON_GetObjectItem(rec, "obs"), "obs");
        check_state(r, cJSON_GetObjectItem(rec, "state"), "state");
        double rw = num(cJSON_GetObjectItem(rec, "reward"));
        if (!same(res.reward, rw)) MISMATCH(r, "reward = %.17g, golden %.17g", res.reward, rw);
        int term = cJSON_IsTrue(cJSON_GetObjectItem(rec, "terminated"));
        int trunc = cJSON_IsTrue(cJSON_GetObjectItem(rec, "truncated"));
        if (res.terminated != term) MISMATCH(r, "terminated = %d, golden %d", res.terminated, term);
        if (res.truncated != trunc) MISMATCH(r, "truncated = %d, golden %d", res.truncated, trunc);
        r->steps++;
    } else {
        fail_msg("%s line %d: unknown record kind '%s'", r->id, r->line, kind);
    }
}

/* Replays a golden file; returns the per-kind record counts through r. */
static void replay_file(replay *r, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s (tests run from the repository root)", path);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        r->line++;
        cJSON *rec = cJSON_Parse(line);
        if (!rec) fail_msg("%s:%d: bad JSON", path, r->line);
        on_record(r, rec);
        cJSON_Delete(rec);
    }
    free(line);
    fclose(f);
    rlc_env_destroy(r->env);
    r->env = NULL;
}

static void run_golden(const char *id, const char *path, long want_seed, long want_resets,
                       long want_set, long want_steps) {
    replay r;
    memset(&r, 0, sizeof r);
    r.id = id;
    replay_file(&r, path);
    print_message("%s: %ld seed resets, %ld resets, %ld set_states, %ld steps, %ld mismatches\n",
                  id, r.seed_resets, r.resets, r.set_states, r.steps, r.mismatches);
    assert_int_equal(r.mismatches, 0);
    assert_int_equal(r.seed_resets, want_seed);
    assert_int_equal(r.resets, want_resets);
    assert_int_equal(r.set_states, want_set);
    assert_int_equal(r.steps, want_steps);
}

static void test_golden_cartpole(void **st) {
    (void)st;
    run_golden("CartPole-v1", RLC_TEST_DATA("golden/CartPole-v1.jsonl"), 20, 55, 3, 1732);
}

static void test_golden_mountaincar(void **st) {
    (void)st;
    run_golden("MountainCar-v0", RLC_TEST_DATA("golden/MountainCar-v0.jsonl"), 20, 9, 4, 1834);
}

static void test_golden_mountaincar_continuous(void **st) {
    (void)st;
    run_golden("MountainCarContinuous-v0", RLC_TEST_DATA("golden/MountainCarContinuous-v0.jsonl"),
               20, 14, 4, 3630);
}

static void test_golden_pendulum(void **st) {
    (void)st;
    run_golden("Pendulum-v1", RLC_TEST_DATA("golden/Pendulum-v1.jsonl"), 20, 6, 3, 1800);
}

static void test_golden_acrobot(void **st) {
    (void)st;
    run_golden("Acrobot-v1", RLC_TEST_DATA("golden/Acrobot-v1.jsonl"), 20, 10, 3, 2121);
}

/* Seeds beyond int64 (2^64, 2^128+7) go through rlc_env_seed_str and must equal seeding the
 * generator directly; a decimal seed below 2^63 must equal the integer path. */
static void test_big_seeds(void **st) {
    (void)st;
    const char *seeds[] = {"18446744073709551616", "340282366920938463463374607431768211463",
                           "9223372036854775808", "18446744073709551615"};
    rlc_env *env;
    assert_int_equal(rlc_env_make(&env, "CartPole-v1", NULL), RLC_OK);
    for (int k = 0; k < 4; k++) {
        rlc_rng r;
        assert_int_equal(rlc_rng_seed_str(&r, seeds[k]), RLC_OK);
        double want[4], got[4];
        for (int i = 0; i < 4; i++)
            want[i] = rlc_rng_uniform(&r, -0.05, 0.05);
        assert_int_equal(rlc_env_seed_str(env, seeds[k]), RLC_OK);
        assert_int_equal(rlc_env_reset(env, RLC_ENV_NO_SEED, NULL), RLC_OK);
        assert_int_equal(rlc_env_get_state_vector(env, got), RLC_OK);
        for (int i = 0; i < 4; i++)
            assert_true(got[i] == want[i]);
    }
    /* 2^64 - 1 through rlc_env_seed equals the decimal string */
    double a[4], b[4];
    rlc_env_seed(env, UINT64_MAX);
    rlc_env_reset(env, RLC_ENV_NO_SEED, NULL);
    rlc_env_get_state_vector(env, a);
    rlc_env_seed_str(env, "18446744073709551615");
    rlc_env_reset(env, RLC_ENV_NO_SEED, NULL);
    rlc_env_get_state_vector(env, b);
    assert_memory_equal(a, b, sizeof a);
    /* decimal 42 = integer 42, and matches the README's table */
    rlc_env_seed_str(env, "42");
    rlc_env_reset(env, RLC_ENV_NO_SEED, NULL);
    rlc_env_get_state_vector(env, a);
    assert_true(a[0] == 0.027395604855596334 && a[3] == 0.019736802905936393);
    assert_int_equal(rlc_env_seed_str(env, "12x"), RLC_ERR_INVALID);
    assert_int_equal(rlc_env_seed_str(env, "-5"), RLC_ERR_INVALID);
    assert_int_equal(rlc_env_reset(env, -7, NULL), RLC_ERR_RANGE);
    rlc_env_destroy(env);
}

/* Toolchain trap 2 (golden README): GCC 12's SLP vectorizer dropped the (float) rounding of
 * observations copied from a double state. Every obs element that is a plain copy of a state
 * value must be that value rounded to float32, for states that float32 cannot represent. */
static void test_float32_rounding_regression(void **st) {
    (void)st;
    static const struct {
        const char *id;
        double state[4];
        int copies[6]; /* obs index -> state index, -1 = computed */
    } cases[] = {
        {"CartPole-v1",
         {0.1 + 1e-12, -0.3 + 1e-13, 0.15 + 3e-12, 0.4 - 1e-12},
         {0, 1, 2, 3, -1, -1}},
        {"MountainCar-v0", {-0.4726076625357092, 0.0123456789012345, 0, 0}, {0, 1, -1, -1, -1, -1}},
        {"MountainCarContinuous-v0",
         {-0.4726076625357092, 0.0123456789012345, 0, 0},
         {0, 1, -1, -1, -1, -1}},
        {"Pendulum-v1", {0.8605556614246863, -0.4604265724722594, 0, 0}, {-1, -1, 1, -1, -1, -1}},
        {"Acrobot-v1", {0.1, 0.2, 0.123456789012345, -0.98765432109876}, {-1, -1, -1, -1, 2, 3}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rlc_env *env;
        float obs[8];
        assert_int_equal(rlc_env_make(&env, cases[c].id, NULL), RLC_OK);
        int dim = rlc_env_state_dim(env);
        assert_int_equal(rlc_env_set_state_vector(env, cases[c].state, dim), RLC_OK);
        assert_int_equal(rlc_env_observe(env, obs), RLC_OK);
        for (int i = 0; i < (int)rlc_env_obs_space(env)->size; i++) {
            int k = cases[c].copies[i];
            if (k < 0) continue;
            double s = cases[c].state[k];
            assert_true((double)(float)s != s); /* the case exercises rounding */
            if (obs[i] != (float)s)
                fail_msg("%s obs[%d] = %.17g, want (float)%.17g = %.17g", cases[c].id, i,
                         (double)obs[i], s, (double)(float)s);
        }
        rlc_env_destroy(env);
    }
}

/* rlc__pow2 (the envs' fast x**2) must equal glibc's pow(x, 2.0) bit for bit: random values
 * over many magnitudes, values near the envs' ranges, and special cases. */
static void test_pow2_matches_libm(void **st) {
    (void)st;
    rlc_rng r;
    rlc_rng_seed(&r, 2024);
    long slow = 0, n = 0;
    static const double special[] = {
        0.0,      -0.0,      1.0,   -1.0,       2.0,        0.5,     3.0,
        1e-300,   -1e-310,   1e300, 1e200,      0x1p-400,   0x1p400, 0x1.0000000000001p-400,
        INFINITY, -INFINITY, NAN,   4.0 * M_PI, 9.0 * M_PI, 0.1,     0.2,
        1.5};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        double a = rlc__pow2(special[i]), b = pow(special[i], 2.0);
        if (!(a == b || (isnan(a) && isnan(b))) || signbit(a) != signbit(b))
            fail_msg("pow2(%a) = %a, pow = %a", special[i], a, b);
    }
    for (int i = 0; i < 3000000; i++) {
        /* uniform mantissa, exponent spread over [-60, 60], random sign */
        double m = 1.0 + rlc_rng_random(&r);
        int e = (int)rlc_rng_integers(&r, -60, 61);
        double x = ldexp(m, e) * (rlc_rng_random(&r) < 0.5 ? -1.0 : 1.0);
        if (i % 3 == 0) x = rlc_rng_uniform(&r, -30.0, 30.0); /* the envs' velocities */
        double a = rlc__pow2(x), b = pow(x, 2.0);
        n++;
        if (a != x * x) slow++;
        if (memcmp(&a, &b, sizeof a)) fail_msg("pow2(%a) = %a, pow = %a", x, a, b);
    }
    /* squares next to powers of two, where the spacing below is half the spacing above */
    for (int k = -100; k <= 100; k++) {
        double x = sqrt(ldexp(1.0, k));
        for (int j = 0; j < 40; j++) x = nextafter(x, 0.0);
        for (int j = 0; j < 80; j++, x = nextafter(x, INFINITY)) {
            double a = rlc__pow2(x), b = pow(x, 2.0);
            n++;
            if (a != x * x) slow++;
            if (memcmp(&a, &b, sizeof a)) fail_msg("pow2(%a) = %a, pow = %a", x, a, b);
        }
    }
    print_message("pow2: %ld values identical to libm pow (%ld where pow != x*x)\n", n, slow);
    assert_true(slow > 0); /* the test does reach values where x*x would be wrong */
}

/* rlc__pow2f (Pendulum's float32 u**2) must equal glibc's powf(u, 2.0f) bit for bit: every
 * float in Pendulum's torque range [-2, 2] with a 16-bit stride, every 7th float of [2^-8, 4]
 * (where the tighter empirical bound is used), random values over many magnitudes, and
 * special cases. */
static void test_pow2f_matches_libm(void **st) {
    (void)st;
    static const float special[] = {0.0f,      -0.0f,    1.0f,     -2.0f,  2.0f,     0.5f,
                                    0x1p-8f,   0x1p8f,   0x1.fffffep-9f, 0x1.000002p8f, 1e-30f,
                                    -1e-42f,   3e19f,    2e19f,    INFINITY, -INFINITY, NAN,
                                    0.1f,      -1.9999999f,
                                    /* the nearest ties where glibc's powf(u, 2) is not the
                                     * rounded square, 0.49834 and 0.4999 ulp away */
                                    0x1.fc47c4p-8f, -0x1.fc47c4p-8f, 0x1.ff8626p+1f};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        float a = rlc__pow2f(special[i]), b = powf(special[i], 2.0f);
        if (!(a == b || (isnan(a) && isnan(b))) || signbit(a) != signbit(b))
            fail_msg("pow2f(%a) = %a, powf = %a", (double)special[i], (double)a, (double)b);
    }
    long n = 0, fast = 0;
    for (uint32_t bits = 0; bits <= 0x40000000u; bits += 1u << 16 | 1u) {
        for (int sign = 0; sign < 2; sign++) {
            float u;
            uint32_t ub = bits | (uint32_t)sign << 31;
            memcpy(&u, &ub, sizeof u);
            float a = rlc__pow2f(u), b = powf(u, 2.0f);
            n++;
            if (memcmp(&a, &b, sizeof a)) fail_msg("pow2f(%a) = %a, powf = %a", (double)u, (double)a, (double)b);
        }
    }
    /* [2^-8, 4], where the 0.498 ulp bound applies: every 7th float */
    float lo = 0x1p-8f, hi = 4.0f;
    uint32_t blo, bhi;
    memcpy(&blo, &lo, sizeof blo);
    memcpy(&bhi, &hi, sizeof bhi);
    for (uint32_t bits = blo; bits <= bhi; bits += 7) {
        float u;
        memcpy(&u, &bits, sizeof u);
        float a = rlc__pow2f(u), b = powf(u, 2.0f);
        n++;
        if (memcmp(&a, &b, sizeof a)) fail_msg("pow2f(%a) = %a, powf = %a", (double)u, (double)a, (double)b);
    }
    rlc_rng r;
    rlc_rng_seed(&r, 2025);
    for (int i = 0; i < 2000000; i++) {
        float u = (float)ldexp(1.0 + rlc_rng_random(&r), (int)rlc_rng_integers(&r, -20, 21));
        if (i & 1) u = -u;
        float a = rlc__pow2f(u), b = powf(u, 2.0f);
        double ex = (double)u * u;
        n++;
        if (fabs(ex - (double)(float)ex) > 0) fast += a == (float)ex; /* not exact: a path */
        if (memcmp(&a, &b, sizeof a)) fail_msg("pow2f(%a) = %a, powf = %a", (double)u, (double)a, (double)b);
    }
    print_message("pow2f: %ld values identical to libm powf\n", n);
    assert_true(fast > 1000000); /* the fast path is the common one */
}

/* rlc__angle_normalize equals NumPy's ((x + pi) % (2 pi)) - pi computed with fmod, including
 * angles at and around the multiples of 2 pi where the fmod call is skipped. */
static void test_angle_normalize(void **st) {
    (void)st;
    rlc_rng r;
    rlc_rng_seed(&r, 7);
    for (int i = 0; i < 1000000; i++) {
        double x;
        if (i % 4 == 0) {
            int k = (int)rlc_rng_integers(&r, -6, 7);
            x = k * M_PI + ldexp(rlc_rng_uniform(&r, -1, 1), -(int)rlc_rng_integers(&r, 0, 60));
        } else {
            x = rlc_rng_uniform(&r, -40.0, 40.0);
        }
        double y = x + M_PI, tp = 2 * M_PI, ref = fmod(y, tp);
        if (ref != 0 && ref < 0) ref += tp;
        ref -= M_PI;
        double got = rlc__angle_normalize(x);
        if (memcmp(&got, &ref, sizeof got))
            fail_msg("angle_normalize(%a) = %a, want %a", x, got, ref);
    }
    double edge[] = {M_PI, -M_PI, 3 * M_PI, -3 * M_PI, 5 * M_PI, -5 * M_PI, 0.0, -0.0};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        double y = edge[i] + M_PI, tp = 2 * M_PI, ref = fmod(y, tp);
        if (ref != 0 && ref < 0) ref += tp;
        ref -= M_PI;
        double got = rlc__angle_normalize(edge[i]);
        if (memcmp(&got, &ref, sizeof got))
            fail_msg("angle_normalize(%a) = %a, want %a", edge[i], got, ref);
    }
}

/* rlc__cosf_from_sin (Pendulum's observation cos from the sin it already has) equals
 * (float)cos(x) of libm: random angles over Pendulum's range and beyond, angles right next to
 * the zeros of cos (where the fallback must take over), large and special values. */
static void test_cosf_from_sin_matches_libm(void **st) {
    (void)st;
    rlc_rng r;
    rlc_rng_seed(&r, 11);
    long n = 0, fast = 0, near_mid = 0;
    for (int i = 0; i < 3000000; i++) {
        double x;
        switch (i % 4) {
        case 0: /* next to k pi / 2, down to a few ulps */
            x = (double)rlc_rng_integers(&r, -40, 41) * M_PI_2 +
                ldexp(rlc_rng_uniform(&r, -1, 1), -(int)rlc_rng_integers(&r, 0, 52));
            break;
        case 1: /* all magnitudes up to 2^24 */
            x = ldexp(rlc_rng_uniform(&r, -1, 1), (int)rlc_rng_integers(&r, -30, 25));
            break;
        case 2: { /* cos(x) right at a float rounding midpoint: only the fallback gets these */
            float f = (float)rlc_rng_uniform(&r, 0.001, 1.0);
            double mid = 0.5 * ((double)f + (double)nextafterf(f, 2.0f));
            x = acos(mid) + (double)rlc_rng_integers(&r, -3, 4) * 2 * M_PI;
            for (int k = (int)rlc_rng_integers(&r, -3, 4); k > 0; k--) x = nextafter(x, 0.0);
            if (rlc_rng_random(&r) < 0.5) x = -x;
            break;
        }
        default:
            x = rlc_rng_uniform(&r, -60.0, 60.0);
        }
        near_mid += i % 4 == 2;
        double s = sin(x);
        float a = rlc__cosf_from_sin(x, s), b = (float)cos(x);
        n++;
        if (memcmp(&a, &b, sizeof a)) fail_msg("cosf_from_sin(%a) = %a, (float)cos = %a", x, (double)a, (double)b);
        double c2 = 1.0 - s * s;
        fast += fabs(x) < 0x1p20 && c2 > 0x1p-20; /* candidates for the fast path */
    }
    static const double special[] = {0.0, -0.0, M_PI, -M_PI, M_PI_2, -M_PI_2, 0x1p20, -0x1p20,
                                     0x1.fffffffffffffp19, 1e300, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        float a = rlc__cosf_from_sin(special[i], sin(special[i])), b = (float)cos(special[i]);
        if (!(memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b))))
            fail_msg("cosf_from_sin(%a) = %a, (float)cos = %a", special[i], (double)a, (double)b);
    }
    print_message("cosf_from_sin: %ld angles identical to (float)cos (%ld at rounding midpoints)\n", n, near_mid);
    assert_true(fast > n / 2);
}

RLC_TESTS(env_golden, cmocka_unit_test(test_golden_cartpole),
          cmocka_unit_test(test_golden_mountaincar),
          cmocka_unit_test(test_golden_mountaincar_continuous),
          cmocka_unit_test(test_golden_pendulum), cmocka_unit_test(test_golden_acrobot),
          cmocka_unit_test(test_big_seeds), cmocka_unit_test(test_float32_rounding_regression),
          cmocka_unit_test(test_pow2_matches_libm), cmocka_unit_test(test_pow2f_matches_libm),
          cmocka_unit_test(test_angle_normalize), cmocka_unit_test(test_cosf_from_sin_matches_libm))
