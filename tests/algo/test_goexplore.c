/* Go-Explore: phase 1 solves KeyDoorRooms-v0 where random exploration with the same budget
 * does not, archive invariants (trajectories replay to their cells and scores), determinism,
 * custom cell functions, errors and allocation failures, and the Backward Algorithm's policy
 * under sticky actions against open-loop replay of the demo. */
#include "test.h"

#include <math.h>
#include <string.h>

#include "rlc/goexplore.h"

#define BUDGET 300000 /* env steps for phase 1 and for each random baseline */
#define SOLVED 13.0   /* KeyDoorRooms: both keys, the final door and the goal */

static rlc_env *make(const char *id, const char *kwargs) {
    rlc_env *env = NULL;
    if (rlc_env_make(&env, id, kwargs)) fail_msg("%s: %s", id, rlc_last_error());
    return env;
}

static rlc_goexplore *phase1(rlc_env *env, uint64_t seed, int64_t budget) {
    rlc_goexplore_config cfg;
    rlc_goexplore_config_default(&cfg);
    cfg.seed = seed;
    cfg.solve_score = SOLVED;
    rlc_goexplore *ge = NULL;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_OK);
    assert_int_equal(rlc_goexplore_run(ge, budget), RLC_OK);
    return ge;
}

/* Replays cell i's trajectory from the start state; returns its return and checks the cell. */
static double replay(rlc_env *env, const rlc_goexplore *ge, int64_t i, int *ended) {
    int64_t len = rlc_goexplore_trajectory(ge, i, NULL, 0);
    assert_true(len >= 0);
    int64_t *acts = malloc((size_t)(len + 1) * sizeof *acts);
    assert_int_equal(rlc_goexplore_trajectory(ge, i, acts, len), len);
    float obs[9];
    rlc_env_reset(env, 0, obs);
    double ret = 0;
    rlc_step_result r = {0};
    for (int64_t t = 0; t < len; t++) {
        assert_true(rlc_env_running(env));
        assert_int_equal(rlc_env_step(env, &acts[t], obs, &r), RLC_OK);
        ret += r.reward;
    }
    *ended = !rlc_env_running(env);
    /* the cell of the state reached is the archive's key */
    rlc_goexplore_cell_info info;
    assert_int_equal(rlc_goexplore_cell(ge, i, &info), RLC_OK);
    double v[9];
    rlc_env_get_state_vector(env, v);
    assert_int_equal(info.key_len, 9);
    for (int k = 0; k < 9; k++)
        assert_int_equal(info.key[k], (int32_t)v[k]);
    assert_close(info.score, ret, 1e-9);
    assert_int_equal(info.length, len);
    /* and the snapshot holds that very state */
    size_t sz;
    const void *snap = rlc_goexplore_cell_state(ge, i, &sz);
    assert_non_null(snap);
    uint8_t *now = malloc(sz);
    rlc_env_get_state(env, now, sz);
    assert_memory_equal(now, snap, sz);
    free(now);
    free(acts);
    return ret;
}

static void test_phase1_solves_where_random_does_not(void **st) {
    (void)st;
    rlc_env *env = make("KeyDoorRooms-v0", NULL);
    rlc_goexplore *ge = phase1(env, 0, BUDGET);
    rlc_goexplore_stats s;
    rlc_goexplore_get_stats(ge, &s);
    assert_true(s.env_steps == BUDGET);
    assert_true(s.first_solve_step > 0 && s.first_solve_step < BUDGET); /* measured: 65083 */
    assert_close(s.best_score, SOLVED, 0);
    assert_true(s.cells > 300);
    int64_t best = rlc_goexplore_best_cell(ge);
    assert_int_equal(best, s.best_cell);
    int ended;
    assert_close(replay(env, ge, best, &ended), SOLVED, 0);
    assert_true(ended); /* the goal ends the episode */
    assert_true(s.best_length < 200);
    /* random exploration with the same budget: repeated random actions and uniform ones */
    for (int k = 0; k < 2; k++) {
        rlc_goexplore_config cfg;
        rlc_goexplore_config_default(&cfg);
        cfg.solve_score = SOLVED;
        cfg.repeat_prob = k == 0 ? 0.95 : 0.0;
        rlc_goexplore_stats rs;
        assert_int_equal(rlc_goexplore_random(env, &cfg, BUDGET, &rs), RLC_OK);
        assert_int_equal(rs.env_steps, BUDGET);
        assert_int_equal(rs.first_solve_step, -1);
        assert_true(rs.best_score < SOLVED);
        assert_true(rs.cells < s.cells); /* and it sees fewer distinct cells */
        assert_true(rs.iterations >= BUDGET / 400);
    }
    rlc_goexplore_destroy(ge);
    rlc_env_destroy(env);
}

/* Every archived trajectory replays to its cell, score and snapshot; the start is cell 0;
 * counters add up. */
static void test_archive_invariants(void **st) {
    (void)st;
    rlc_env *env = make("KeyDoorRooms-v0", NULL);
    rlc_goexplore *ge = phase1(env, 3, 30000);
    int64_t n = rlc_goexplore_num_cells(ge);
    rlc_goexplore_stats s;
    rlc_goexplore_get_stats(ge, &s);
    assert_int_equal(n, s.cells);
    rlc_goexplore_cell_info info;
    assert_int_equal(rlc_goexplore_cell(ge, 0, &info), RLC_OK);
    assert_int_equal(info.length, 0);
    assert_true(info.key[0] == 4 && info.key[1] == 4);
    int64_t chosen = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(rlc_goexplore_cell(ge, i, &info), RLC_OK);
        chosen += info.chosen;
        assert_true(info.visits >= 1);
        if (info.terminal) assert_int_equal(info.chosen, 0);
        if (i % 7 == 0) {
            int ended;
            replay(env, ge, i, &ended);
            assert_int_equal(ended, info.terminal);
        }
    }
    assert_int_equal(chosen, s.iterations);
    assert_int_equal(rlc_goexplore_cell(ge, n, &info), RLC_ERR_RANGE);
    assert_int_equal(rlc_goexplore_trajectory(ge, -1, NULL, 0), -1);
    assert_null(rlc_goexplore_cell_state(ge, n, NULL));
    /* a partial copy gets the first actions */
    int64_t len = rlc_goexplore_trajectory(ge, s.best_cell, NULL, 0), head[3], full[400];
    assert_true(len > 3 && len <= 400);
    rlc_goexplore_trajectory(ge, s.best_cell, full, 400);
    assert_int_equal(rlc_goexplore_trajectory(ge, s.best_cell, head, 3), len);
    assert_memory_equal(head, full, sizeof head);
    rlc_goexplore_destroy(ge);
    rlc_env_destroy(env);
}

/* Same seed, same archive; a budget split over several calls changes nothing, even when the
 * env is used in between. */
static void test_deterministic(void **st) {
    (void)st;
    rlc_env *a = make("KeyDoorRooms-v0", NULL), *b = make("KeyDoorRooms-v0", NULL);
    rlc_goexplore *ga = phase1(a, 9, 20000), *gb = phase1(b, 9, 4950);
    assert_int_equal(rlc_goexplore_run(gb, 0), RLC_OK);
    rlc_env_reset(b, 0, NULL); /* disturb the env between calls */
    assert_int_equal(rlc_goexplore_run(gb, 7777), RLC_OK);
    assert_int_equal(rlc_goexplore_run(gb, 20000 - 4950 - 7777), RLC_OK);
    rlc_goexplore_stats sa, sb;
    rlc_goexplore_get_stats(ga, &sa);
    rlc_goexplore_get_stats(gb, &sb);
    assert_memory_equal(&sa, &sb, sizeof sa);
    for (int64_t i = 0; i < sa.cells; i++) {
        rlc_goexplore_cell_info x, y;
        rlc_goexplore_cell(ga, i, &x);
        rlc_goexplore_cell(gb, i, &y);
        assert_memory_equal(x.key, y.key, (size_t)x.key_len * sizeof *x.key);
        assert_true(x.score == y.score && x.length == y.length && x.visits == y.visits &&
                    x.chosen == y.chosen);
        int64_t ta[400], tb[400];
        int64_t la = rlc_goexplore_trajectory(ga, i, ta, 400);
        assert_int_equal(rlc_goexplore_trajectory(gb, i, tb, 400), la);
        assert_memory_equal(ta, tb, (size_t)(la < 400 ? la : 400) * sizeof *ta);
    }
    rlc_goexplore_destroy(ga);
    rlc_goexplore_destroy(gb);
    rlc_env_destroy(a);
    rlc_env_destroy(b);
}

/* (room column, room row, keys, doors) only: a coarse cell function. */
static int room_cell(void *ctx, const rlc_env *env, const void *obs, int32_t *cell) {
    (void)env;
    int *calls = ctx;
    ++*calls;
    const float *o = obs;
    cell[0] = (int32_t)o[0] / 8;
    cell[1] = (int32_t)o[1] / 8;
    for (int k = 2; k < 9; k++)
        cell[k] = (int32_t)o[k];
    return 9;
}

static void test_cell_functions(void **st) {
    (void)st;
    rlc_env *env = make("KeyDoorRooms-v0", NULL);
    rlc_goexplore_config cfg;
    rlc_goexplore_config_default(&cfg);
    int calls = 0;
    cfg.cell_fn = room_cell;
    cfg.cell_ctx = &calls;
    rlc_goexplore *ge;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_OK);
    assert_int_equal(rlc_goexplore_run(ge, 20000), RLC_OK);
    assert_int_equal(calls, 20001);
    int64_t coarse = rlc_goexplore_num_cells(ge);
    assert_true(coarse >= 2 && coarse < 40);
    rlc_goexplore_destroy(ge);
    /* the default cell function with a scale: x and y by 3 */
    double scale[9] = {3, 3, 1, 1, 1, 1, 1, 1, 1};
    rlc_goexplore_config_default(&cfg);
    cfg.cell_scale = scale;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_OK);
    scale[0] = -1; /* copied at create */
    assert_int_equal(rlc_goexplore_run(ge, 20000), RLC_OK);
    rlc_goexplore_cell_info info;
    rlc_goexplore_cell(ge, 0, &info);
    assert_true(info.key[0] == 1 && info.key[1] == 1);
    int64_t scaled = rlc_goexplore_num_cells(ge);
    rlc_goexplore_destroy(ge);
    rlc_goexplore *exact = phase1(env, 0, 20000);
    assert_true(scaled < rlc_goexplore_num_cells(exact));
    rlc_goexplore_destroy(exact);
    /* it works on other envs too: the maze is explored to its goal */
    rlc_env *maze = make("GridMaze-v0", "size=21,layout_seed=7");
    rlc_goexplore_config_default(&cfg);
    cfg.solve_score = 0.1;
    assert_int_equal(rlc_goexplore_create(&ge, maze, &cfg), RLC_OK);
    assert_int_equal(rlc_goexplore_run(ge, 100000), RLC_OK);
    rlc_goexplore_stats s;
    rlc_goexplore_get_stats(ge, &s);
    assert_true(s.first_solve_step > 0);
    /* every open cell reachable from the start without passing the (terminal) goal */
    rlc_env *full = make("GridMaze-v0", "size=21,layout_seed=7,obs=2");
    uint8_t o[21 * 21 * 3];
    rlc_env_reset(full, 0, o);
    int queue[21 * 21], seen[21 * 21] = {0}, qh = 0, qt = 0;
    queue[qt++] = 1 * 21 + 1;
    seen[1 * 21 + 1] = 1;
    while (qh < qt) {
        int c = queue[qh++];
        if (o[c * 3] == 8) continue; /* the goal ends the episode */
        const int nb[4] = {c + 21, c - 21, c + 1, c - 1};
        for (int k = 0; k < 4; k++)
            if (o[nb[k] * 3] != 2 && !seen[nb[k]]) {
                seen[nb[k]] = 1;
                queue[qt++] = nb[k];
            }
    }
    assert_int_equal(s.cells, qt);
    rlc_env_destroy(full);
    rlc_goexplore_destroy(ge);
    rlc_env_destroy(maze);
    rlc_env_destroy(env);
}

static int bad_cell(void *ctx, const rlc_env *env, const void *obs, int32_t *cell) {
    (void)env;
    (void)obs;
    int *calls = ctx;
    cell[0] = 0;
    return ++*calls > 3 ? 2 : 1; /* the length changes */
}

static void test_errors(void **st) {
    (void)st;
    rlc_env *env = make("KeyDoorRooms-v0", NULL), *pend = make("Pendulum-v1", NULL);
    rlc_goexplore *ge = (rlc_goexplore *)0x1;
    rlc_goexplore_config cfg;
    rlc_goexplore_config_default(&cfg);
    assert_int_equal(rlc_goexplore_create(&ge, pend, &cfg), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "Discrete");
    assert_int_equal(rlc_goexplore_create(&ge, NULL, &cfg), RLC_ERR_INVALID);
    cfg.repeat_prob = 1.5;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_ERR_RANGE);
    rlc_goexplore_config_default(&cfg);
    cfg.explore_steps = 0;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_ERR_RANGE);
    rlc_goexplore_config_default(&cfg);
    double scale[9] = {0, 1, 1, 1, 1, 1, 1, 1, 1};
    cfg.cell_scale = scale;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_ERR_RANGE);
    assert_ptr_equal(ge, (rlc_goexplore *)0x1);
    rlc_goexplore_config_default(&cfg);
    int calls = 0;
    cfg.cell_fn = bad_cell;
    cfg.cell_ctx = &calls;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_OK);
    assert_int_equal(rlc_goexplore_run(ge, 100), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "cell function");
    assert_int_equal(rlc_goexplore_run(ge, -1), RLC_ERR_RANGE);
    rlc_goexplore_destroy(ge);
    rlc_goexplore_destroy(NULL);
    rlc_goexplore_stats rs;
    assert_int_equal(rlc_goexplore_random(pend, NULL, 10, &rs), RLC_ERR_INVALID);
    /* max_cells caps the archive */
    rlc_goexplore_config_default(&cfg);
    cfg.max_cells = 10;
    assert_int_equal(rlc_goexplore_create(&ge, env, &cfg), RLC_OK);
    assert_int_equal(rlc_goexplore_run(ge, 5000), RLC_OK);
    assert_int_equal(rlc_goexplore_num_cells(ge), 10);
    rlc_goexplore_destroy(ge);
    /* robustify: bad demos and configs */
    rlc_goexplore_robust *r = NULL;
    int64_t demo[3] = {0, 1, 9};
    assert_int_equal(rlc_goexplore_robust_create(&r, env, demo, 3, NULL, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "outside");
    assert_int_equal(rlc_goexplore_robust_create(&r, env, NULL, 3, NULL, NULL), RLC_ERR_INVALID);
    rlc_goexplore_robust_config rc;
    rlc_goexplore_robust_config_default(&rc);
    rc.sticky_p = 2;
    assert_int_equal(rlc_goexplore_robust_create(&r, env, demo, 2, NULL, &rc), RLC_ERR_RANGE);
    int64_t lava[7] = {1, 1, 1, 1, 1, 1, 1}; /* 3 south then the door refuses: no end */
    assert_int_equal(rlc_goexplore_robust_create(&r, env, lava, 7, NULL, NULL), RLC_OK);
    assert_int_equal(rlc_goexplore_robust_start(r), 6);
    assert_int_equal(rlc_goexplore_robust_evaluate(r, 0, 0, NULL, NULL), RLC_ERR_RANGE);
    rlc_goexplore_robust_destroy(r);
    rlc_goexplore_robust_destroy(NULL);
    rlc_env_destroy(pend);
    rlc_env_destroy(env);
}

/* Every allocation of create + run + robustify may fail: clean errors, no leaks. */
static void test_alloc_failures(void **st) {
    (void)st;
    rlc_env *env = make("KeyDoorRooms-v0", NULL);
    int64_t demo[4] = {0, 0, 0, 0};
    for (long n = 1; n < 40; n++) {
        long long live = rlc_alloc_live();
        rlc_alloc_fail_after(n);
        rlc_goexplore *ge = NULL;
        rlc_status s = rlc_goexplore_create(&ge, env, NULL);
        if (!s) s = rlc_goexplore_run(ge, 3000);
        rlc_goexplore_robust *r = NULL;
        rlc_status s2 = rlc_goexplore_robust_create(&r, env, demo, 4, NULL, NULL);
        if (!s2) s2 = rlc_goexplore_robust_train(r, 2000);
        rlc_goexplore_stats rs;
        rlc_status s3 = rlc_goexplore_random(env, NULL, 1000, &rs);
        rlc_alloc_fail_reset();
        assert_true(s == RLC_OK || s == RLC_ERR_NOMEM);
        assert_true(s2 == RLC_OK || s2 == RLC_ERR_NOMEM);
        assert_true(s3 == RLC_OK || s3 == RLC_ERR_NOMEM);
        rlc_goexplore_destroy(ge);
        rlc_goexplore_robust_destroy(r);
        assert_int_equal(rlc_alloc_live(), live);
    }
    rlc_env_destroy(env);
}

/* Open-loop replay of the demo with sticky actions: how often it still reaches the goal. */
static double open_loop(rlc_env *env, const int64_t *demo, int64_t len, double p, int episodes,
                        uint64_t seed) {
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    int ok = 0;
    for (int e = 0; e < episodes; e++) {
        rlc_env_reset(env, 0, NULL);
        double ret = 0;
        int64_t prev = -1;
        for (int64_t t = 0; t < len && rlc_env_running(env); t++) {
            int64_t a = prev >= 0 && rlc_rng_random(&rng) < p ? prev : demo[t];
            rlc_step_result r;
            rlc_env_step(env, &a, NULL, &r);
            ret += r.reward;
            prev = a;
        }
        ok += ret >= SOLVED;
    }
    return (double)ok / episodes;
}

static void test_robustify(void **st) {
    (void)st;
    rlc_env *env = make("KeyDoorRooms-v0", NULL);
    rlc_goexplore *ge = phase1(env, 0, 200000);
    rlc_goexplore_stats s;
    rlc_goexplore_get_stats(ge, &s);
    assert_close(s.best_score, SOLVED, 0);
    int64_t len = rlc_goexplore_trajectory(ge, s.best_cell, NULL, 0);
    int64_t *demo = malloc((size_t)len * sizeof *demo);
    rlc_goexplore_trajectory(ge, s.best_cell, demo, len);
    rlc_goexplore_config cfg;
    rlc_goexplore_config_default(&cfg);
    rlc_goexplore_robust *r;
    assert_int_equal(rlc_goexplore_robust_create(&r, env, demo, len, &cfg, NULL), RLC_OK);
    assert_close(rlc_goexplore_robust_demo_return(r), SOLVED, 0);
    assert_int_equal(rlc_goexplore_robust_start(r), len - 1);
    double sr, mr;
    assert_int_equal(rlc_goexplore_robust_evaluate(r, 20, 1, &sr, &mr), RLC_OK);
    assert_true(sr == 0); /* nothing learned yet */
    assert_int_equal(rlc_goexplore_robust_train(r, 600000), RLC_OK);
    assert_int_equal(rlc_goexplore_robust_start(r), 0); /* the start moved all the way back */
    assert_int_equal(rlc_goexplore_robust_evaluate(r, 200, 7, &sr, &mr), RLC_OK);
    /* measured on this seed: 100% success with sticky actions p = 0.25 (mean return 13) */
    assert_true(sr >= 0.9);
    assert_true(mr >= 0.9 * SOLVED);
    /* while replaying the demo open-loop under the same sticky actions mostly fails */
    double replay_rate = open_loop(env, demo, len, 0.25, 200, 7);
    assert_true(replay_rate < 0.5);
    assert_true(open_loop(env, demo, len, 0.0, 1, 7) == 1.0); /* deterministic: it works */
    /* the greedy action from the start state */
    float obs[9];
    rlc_env_reset(env, 0, obs);
    int64_t a = rlc_goexplore_robust_act(r, obs);
    assert_true(a >= 0 && a < 4);
    free(demo);
    rlc_goexplore_robust_destroy(r);
    rlc_goexplore_destroy(ge);
    rlc_env_destroy(env);
}

RLC_TESTS(algo_goexplore, cmocka_unit_test(test_phase1_solves_where_random_does_not),
          cmocka_unit_test(test_archive_invariants), cmocka_unit_test(test_deterministic),
          cmocka_unit_test(test_cell_functions), cmocka_unit_test(test_errors),
          cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_robustify))
