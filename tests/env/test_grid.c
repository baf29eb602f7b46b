/* Grid worlds (src/env/grid/): spaces, seeded resets, scripted solutions with their documented
 * rewards, snapshots, state vectors, rendering, bad actions, the maze generator, noisy TVs
 * and dark rooms. Scripts plan on the full-grid observation (obs=2) with a BFS. */
#include "test.h"

#include <math.h>
#include <string.h>

#include "rlc/env.h"

static rlc_env *make(const char *id, const char *kwargs) {
    rlc_env *env = NULL;
    rlc_status st = rlc_env_make(&env, id, kwargs);
    if (st) fail_msg("rlc_env_make(%s, %s): %s", id, kwargs ? kwargs : "NULL", rlc_last_error());
    return env;
}

static const char *const IDS[] = {"GridEmpty-8x8-v0", "GridDoorKey-8x8-v0", "GridMaze-v0",
                                  "KeyDoorRooms-v0",  "Switches-v0",        "NoisyTV-v0",
                                  "DarkRoom-v0",      "GridEmpty-5x5-v0",   "GridDoorKey-16x16-v0"};
#define NIDS ((int)(sizeof IDS / sizeof IDS[0]))

static void check_box(const rlc_space *s, rlc_space_dtype dtype, int ndim, int64_t a, int64_t b,
                      int64_t c) {
    assert_int_equal(s->kind, RLC_SPACE_BOX);
    assert_int_equal(s->dtype, dtype);
    assert_int_equal(s->ndim, ndim);
    assert_int_equal(s->shape[0], a);
    if (ndim > 1) assert_int_equal(s->shape[1], b);
    if (ndim > 2) assert_int_equal(s->shape[2], c);
}

static void test_spaces(void **st) {
    (void)st;
    struct {
        const char *id, *kw;
        rlc_space_dtype dt;
        int ndim;
        int64_t a, b, c, nact;
    } cases[] = {
        {"GridEmpty-8x8-v0", NULL, RLC_SPACE_UINT8, 3, 7, 7, 3, 7},
        {"GridEmpty-8x8-v0", "obs=0", RLC_SPACE_FLOAT32, 1, 3, 0, 0, 7},
        {"GridEmpty-8x8-v0", "obs=2", RLC_SPACE_UINT8, 3, 8, 8, 3, 7},
        {"GridEmpty-16x16-v0", "obs=2", RLC_SPACE_UINT8, 3, 16, 16, 3, 7},
        {"GridDoorKey-8x8-v0", NULL, RLC_SPACE_UINT8, 3, 7, 7, 3, 7},
        {"GridDoorKey-8x8-v0", "obs=0", RLC_SPACE_FLOAT32, 1, 9, 0, 0, 7},
        {"GridMaze-v0", NULL, RLC_SPACE_FLOAT32, 1, 2, 0, 0, 4},
        {"GridMaze-v0", "obs=1,size=9", RLC_SPACE_UINT8, 3, 7, 7, 3, 4},
        {"GridMaze-v0", "obs=2,size=21", RLC_SPACE_UINT8, 3, 21, 21, 3, 4},
        {"KeyDoorRooms-v0", NULL, RLC_SPACE_FLOAT32, 1, 9, 0, 0, 4},
        {"KeyDoorRooms-v0", "obs=2", RLC_SPACE_UINT8, 3, 25, 17, 3, 4},
        {"Switches-v0", NULL, RLC_SPACE_FLOAT32, 1, 8, 0, 0, 8},
        {"Switches-v0", "n=20", RLC_SPACE_FLOAT32, 1, 20, 0, 0, 20},
        {"NoisyTV-v0", NULL, RLC_SPACE_UINT8, 3, 7, 7, 3, 7},
        {"NoisyTV-v0", "obs=0", RLC_SPACE_FLOAT32, 1, 5, 0, 0, 7},
        {"DarkRoom-v0", NULL, RLC_SPACE_UINT8, 3, 7, 7, 3, 7},
        {"DarkRoom-v0", "obs=0", RLC_SPACE_FLOAT32, 1, 4, 0, 0, 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rlc_env *env = make(cases[i].id, cases[i].kw);
        check_box(rlc_env_obs_space(env), cases[i].dt, cases[i].ndim, cases[i].a, cases[i].b,
                  cases[i].c);
        const rlc_space *as = rlc_env_action_space(env);
        assert_int_equal(as->kind, RLC_SPACE_DISCRETE);
        assert_int_equal(as->n, cases[i].nact);
        /* every reset observation lies in the space */
        uint8_t obs[4096];
        assert_int_equal(rlc_env_reset(env, 1, obs), RLC_OK);
        assert_true(rlc_space_contains(rlc_env_obs_space(env), obs));
        rlc_env_destroy(env);
    }
    const int64_t limits[] = {256, 640, 900, 400, 100, 484, 484, 100, 2560};
    for (int i = 0; i < NIDS; i++)
        assert_int_equal(rlc_env_registry_find(IDS[i])->max_episode_steps, limits[i]);
    rlc_env *env = NULL;
    assert_int_equal(rlc_env_make(&env, "GridMaze-v0", "size=10"), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "odd");
    assert_int_equal(rlc_env_make(&env, "Switches-v0", "n=4,target=16"), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_make(&env, "GridEmpty-8x8-v0", "size=40"), RLC_ERR_RANGE);
    assert_null(env);
}

/* Same seed: same observation and snapshot; several seeds give several layouts. */
static void test_reset_determinism(void **st) {
    (void)st;
    for (int i = 0; i < NIDS; i++) {
        for (int mode = 0; mode < 3; mode++) {
            char kw[32];
            snprintf(kw, sizeof kw, "obs=%d", mode);
            int has_obs = !strstr(IDS[i], "Switches");
            rlc_env *a = make(IDS[i], has_obs ? kw : NULL), *b = make(IDS[i], has_obs ? kw : NULL);
            size_t ob = rlc_space_bytes(rlc_env_obs_space(a)), sb = rlc_env_state_size(a);
            uint8_t oa[4096], obb[4096];
            uint8_t *sa = malloc(sb), *sbb = malloc(sb);
            int distinct = 0;
            uint8_t first[4096];
            for (int seed = 0; seed < 8; seed++) {
                rlc_env_reset(a, seed, oa);
                rlc_env_reset(b, 1000, obb);
                rlc_env_reset(b, seed, obb);
                assert_memory_equal(oa, obb, ob);
                rlc_env_get_state(a, sa, sb);
                rlc_env_get_state(b, sbb, sb);
                assert_memory_equal(sa, sbb, sb);
                if (seed == 0) memcpy(first, oa, ob);
                distinct += memcmp(first, oa, ob) != 0;
            }
            /* random layouts/starts differ between seeds; fixed ones never do */
            int random = strstr(IDS[i], "DoorKey") || strstr(IDS[i], "NoisyTV") ||
                         strstr(IDS[i], "DarkRoom") || strstr(IDS[i], "Switches") ||
                         (strstr(IDS[i], "Maze") && mode != 0);
            if (random)
                assert_true(distinct > 0);
            else if (!strstr(IDS[i], "Maze"))
                assert_int_equal(distinct, 0);
            free(sa);
            free(sbb);
            rlc_env_destroy(a);
            rlc_env_destroy(b);
            if (!has_obs) break;
        }
    }
}

/* ---- A BFS planner on the full-grid observation (x-major: obs[(x * h + y) * 3 + c]). ---- */

typedef struct fullgrid {
    int w, h;
    const uint8_t *o;
} fullgrid;

static const uint8_t *cell(const fullgrid *g, int x, int y) {
    return g->o + ((size_t)x * g->h + y) * 3;
}

static int walkable(const fullgrid *g, int x, int y) {
    if (x < 0 || y < 0 || x >= g->w || y >= g->h) return 0;
    const uint8_t *c = cell(g, x, y);
    return c[0] == 1 || c[0] == 3 || c[0] == 8 || c[0] == 10 || (c[0] == 4 && c[2] == 0);
}

static int find(const fullgrid *g, int type, int *x, int *y) {
    *x = *y = -1;
    for (int i = 0; i < g->w; i++)
        for (int j = 0; j < g->h; j++)
            if (cell(g, i, j)[0] == type) {
                *x = i;
                *y = j;
                return 1;
            }
    return 0;
}

static const int DX[4] = {1, 0, -1, 0}, DY[4] = {0, 1, 0, -1};

/* Shortest left/right/forward sequence from the agent to a pose facing (tx, ty). Returns its
 * length (actions in acts) or -1. */
static int plan_face(const fullgrid *g, int tx, int ty, int64_t *acts) {
    enum { M = 32 * 32 * 4 };
    static int prev[M], pact[M];
    int ax, ay;
    assert_true(find(g, 10, &ax, &ay));
    int adir = cell(g, ax, ay)[2];
    for (int i = 0; i < M; i++)
        prev[i] = -2;
    int queue[M], qh = 0, qt = 0;
    int s0 = (ay * 32 + ax) * 4 + adir;
    prev[s0] = -1;
    queue[qt++] = s0;
    while (qh < qt) {
        int s = queue[qh++], d = s % 4, x = (s / 4) % 32, y = s / 128;
        if (x + DX[d] == tx && y + DY[d] == ty) {
            int n = 0;
            for (int k = s; prev[k] >= 0; k = prev[k])
                n++;
            int i = n;
            for (int k = s; prev[k] >= 0; k = prev[k])
                acts[--i] = pact[k];
            return n;
        }
        int next[3] = {(y * 32 + x) * 4 + (d + 3) % 4, (y * 32 + x) * 4 + (d + 1) % 4, -1};
        int fx = x + DX[d], fy = y + DY[d];
        if (walkable(g, fx, fy)) next[2] = (fy * 32 + fx) * 4 + d;
        for (int a = 0; a < 3; a++)
            if (next[a] >= 0 && prev[next[a]] == -2) {
                prev[next[a]] = s;
                pact[next[a]] = a;
                queue[qt++] = next[a];
            }
    }
    return -1;
}

/* Runs acts; all steps but the last must be non-terminal. Returns the last step's result. */
static rlc_step_result run_acts(rlc_env *env, const int64_t *acts, int n, uint8_t *obs,
                                int64_t *steps) {
    rlc_step_result r = {0};
    for (int i = 0; i < n; i++) {
        assert_int_equal(rlc_env_step(env, &acts[i], obs, &r), RLC_OK);
        (*steps)++;
        if (i < n - 1) {
            assert_false(r.terminated);
            assert_true(r.reward == 0.0);
        }
    }
    return r;
}

static void test_empty_script(void **st) {
    (void)st;
    rlc_env *env = make("GridEmpty-8x8-v0", NULL);
    uint8_t obs[147];
    rlc_env_reset(env, 0, obs);
    /* egocentric view at (1, 1) facing east: the agent at (3, 6) holds nothing, the cell in
     * front is empty, the cell on its left (north) is wall, cells behind walls are unseen */
    assert_int_equal(obs[(3 * 7 + 6) * 3], 1);
    assert_int_equal(obs[(3 * 7 + 5) * 3], 1);
    assert_int_equal(obs[(2 * 7 + 6) * 3], 2);
    assert_int_equal(obs[(2 * 7 + 6) * 3 + 1], 5);
    assert_int_equal(obs[(0 * 7 + 0) * 3], 0);
    int64_t acts[12] = {2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 6};
    int64_t steps = 0;
    rlc_step_result r = run_acts(env, acts, 11, obs, &steps);
    assert_true(r.terminated);
    assert_false(r.truncated);
    assert_close(r.reward, 1 - 0.9 * 11.0 / 256, 1e-12);
    assert_int_equal(rlc_env_step(env, &acts[11], obs, &r), RLC_ERR_STATE);
    rlc_env_destroy(env);
    /* symbolic observation */
    env = make("GridEmpty-8x8-v0", "obs=0");
    float f[3];
    rlc_env_reset(env, 0, f);
    assert_true(f[0] == 1 && f[1] == 1 && f[2] == 0);
    int64_t right = 1, fwd = 2;
    rlc_env_step(env, &right, f, &r);
    rlc_env_step(env, &fwd, f, &r);
    assert_true(f[0] == 1 && f[1] == 2 && f[2] == 1);
    rlc_env_destroy(env);
    /* a larger reward horizon changes the reward */
    env = make("GridEmpty-8x8-v0", "max_steps=100");
    rlc_env_reset(env, 0, obs);
    steps = 0;
    r = run_acts(env, acts, 11, obs, &steps);
    assert_close(r.reward, 1 - 0.9 * 11.0 / 100, 1e-12);
    rlc_env_destroy(env);
}

static void test_doorkey_script(void **st) {
    (void)st;
    for (int seed = 0; seed < 6; seed++) {
        rlc_env *env = make("GridDoorKey-8x8-v0", "obs=2");
        uint8_t obs[8 * 8 * 3];
        rlc_env_reset(env, seed, obs);
        fullgrid g = {8, 8, obs};
        int kx, ky, dx, dy, gx, gy, ax, ay;
        assert_true(find(&g, 5, &kx, &ky));
        assert_true(find(&g, 4, &dx, &dy));
        assert_true(find(&g, 8, &gx, &gy));
        assert_true(find(&g, 10, &ax, &ay));
        assert_int_equal(cell(&g, dx, dy)[2], 2); /* locked, yellow */
        assert_int_equal(cell(&g, dx, dy)[1], 4);
        assert_true(gx == 6 && gy == 6);
        assert_true(kx < dx && ax < dx); /* key and agent left of the splitting wall */
        int64_t acts[256], steps = 0;
        int n = plan_face(&g, kx, ky, acts);
        assert_true(n >= 0);
        acts[n++] = 3; /* pickup */
        run_acts(env, acts, n, obs, &steps);
        assert_false(find(&g, 5, &kx, &ky)); /* the key left the grid */
        /* toggling the locked door without... (we hold the key) opens it */
        n = plan_face(&g, dx, dy, acts);
        assert_true(n >= 0);
        acts[n++] = 5;
        run_acts(env, acts, n, obs, &steps);
        assert_int_equal(cell(&g, dx, dy)[2], 0);
        n = plan_face(&g, gx, gy, acts);
        assert_true(n >= 0);
        acts[n++] = 2;
        rlc_step_result r = run_acts(env, acts, n, obs, &steps);
        assert_true(r.terminated);
        assert_close(r.reward, 1 - 0.9 * (double)steps / 640, 1e-12);
        assert_close(r.episode_return, r.reward, 0);
        rlc_env_destroy(env);
    }
    /* without the key the door stays locked; toggle then pickup/drop semantics */
    rlc_env *env = make("GridDoorKey-8x8-v0", "obs=2");
    uint8_t obs[8 * 8 * 3];
    rlc_env_reset(env, 3, obs);
    fullgrid g = {8, 8, obs};
    int dx, dy, kx, ky;
    find(&g, 4, &dx, &dy);
    int64_t acts[256], steps = 0;
    int n = plan_face(&g, dx, dy, acts);
    if (n >= 0) { /* reachable without passing the key: toggling does nothing */
        acts[n++] = 5;
        run_acts(env, acts, n, obs, &steps);
        assert_int_equal(cell(&g, dx, dy)[2], 2);
    }
    rlc_env_reset(env, 3, obs);
    find(&g, 5, &kx, &ky);
    n = plan_face(&g, kx, ky, acts);
    acts[n++] = 3;
    acts[n++] = 4; /* drop it back */
    run_acts(env, acts, n, obs, &steps);
    int kx2, ky2;
    assert_true(find(&g, 5, &kx2, &ky2));
    assert_true(kx2 == kx && ky2 == ky);
    rlc_env_destroy(env);
}

/* Breadth-first search over open cells of a full-grid obs from (1, 1): number of reachable
 * open cells, and of open cells in all. Fills dist[] (x * h + y) when not NULL. */
static void flood(const fullgrid *g, int *reach, int *open, int *dist) {
    int queue[32 * 32], qh = 0, qt = 0, seen[32 * 32] = {0};
    *open = 0;
    for (int x = 0; x < g->w; x++)
        for (int y = 0; y < g->h; y++)
            *open += walkable(g, x, y);
    if (dist)
        for (int i = 0; i < g->w * g->h; i++)
            dist[i] = -1;
    queue[qt++] = 1 * g->h + 1;
    seen[1 * g->h + 1] = 1;
    if (dist) dist[1 * g->h + 1] = 0;
    while (qh < qt) {
        int s = queue[qh++], x = s / g->h, y = s % g->h;
        for (int d = 0; d < 4; d++) {
            int nx = x + DX[d], ny = y + DY[d];
            if (!walkable(g, nx, ny) || seen[nx * g->h + ny]) continue;
            seen[nx * g->h + ny] = 1;
            if (dist) dist[nx * g->h + ny] = dist[s] + 1;
            queue[qt++] = nx * g->h + ny;
        }
    }
    *reach = qt;
}

static void test_maze_generator(void **st) {
    (void)st;
    const int sizes[] = {5, 9, 15, 21, 31};
    for (int si = 0; si < 5; si++) {
        char kw[64];
        snprintf(kw, sizeof kw, "obs=2,size=%d", sizes[si]);
        rlc_env *env = make("GridMaze-v0", kw);
        int n = sizes[si];
        uint8_t obs[31 * 31 * 3], again[31 * 31 * 3];
        for (int seed = 0; seed < 5; seed++) {
            rlc_env_reset(env, seed, obs);
            fullgrid g = {n, n, obs};
            int reach, open, edges = 0;
            flood(&g, &reach, &open, NULL);
            assert_int_equal(reach, open); /* connected */
            for (int x = 0; x < n; x++)
                for (int y = 0; y < n; y++)
                    if (walkable(&g, x, y))
                        edges += walkable(&g, x + 1, y) + walkable(&g, x, y + 1);
            assert_int_equal(edges, open - 1); /* a tree: a perfect maze */
            int half = (n - 1) / 2;
            assert_int_equal(open, half * half + half * half - 1);
            assert_int_equal(cell(&g, n - 2, n - 2)[0], 8);
            rlc_env_reset(env, seed, again); /* reproducible per reset seed */
            assert_memory_equal(obs, again, (size_t)n * n * 3);
        }
        rlc_env_destroy(env);
    }
    /* layout_seed fixes the maze whatever the reset seed; different layout seeds differ */
    rlc_env *a = make("GridMaze-v0", "obs=2,layout_seed=5"), *b = make("GridMaze-v0", "obs=2");
    rlc_env *c = make("GridMaze-v0", "obs=2,layout_seed=6");
    uint8_t oa[15 * 15 * 3], ob[15 * 15 * 3], oc[15 * 15 * 3];
    rlc_env_reset(a, 0, oa);
    for (int seed = 1; seed < 5; seed++) {
        rlc_env_reset(a, seed, ob);
        assert_memory_equal(oa, ob, sizeof oa);
    }
    rlc_env_reset(c, 0, oc);
    assert_memory_not_equal(oa, oc, sizeof oa);
    rlc_env_reset(b, 1, ob);
    rlc_env_reset(b, 2, oc);
    assert_memory_not_equal(ob, oc, sizeof ob);
    rlc_env_destroy(a);
    rlc_env_destroy(b);
    rlc_env_destroy(c);
}

static void test_maze_script(void **st) {
    (void)st;
    rlc_env *env = make("GridMaze-v0", "obs=2");
    uint8_t obs[15 * 15 * 3];
    rlc_env_reset(env, 11, obs);
    fullgrid g = {15, 15, obs};
    int dist[15 * 15], reach, open;
    flood(&g, &reach, &open, dist);
    /* walk back from the goal along decreasing distance */
    int x = 13, y = 13, n = dist[x * 15 + y];
    assert_true(n > 0);
    int64_t acts[15 * 15];
    for (int k = n; k > 0; k--)
        for (int d = 0; d < 4; d++) {
            int px = x - DX[d], py = y - DY[d];
            if (px >= 0 && py >= 0 && px < 15 && py < 15 && dist[px * 15 + py] == k - 1 &&
                walkable(&g, px, py)) {
                acts[k - 1] = d;
                x = px;
                y = py;
                break;
            }
        }
    assert_true(x == 1 && y == 1);
    rlc_env *sym = make("GridMaze-v0", NULL);
    float f[2];
    rlc_env_reset(sym, 11, f);
    assert_true(f[0] == 1 && f[1] == 1);
    int64_t steps = 0;
    rlc_step_result r = run_acts(sym, acts, n, (uint8_t *)f, &steps);
    assert_true(r.terminated);
    assert_true(f[0] == 13 && f[1] == 13);
    assert_close(r.reward, 1 - 0.9 * n / 900.0, 1e-12);
    /* walking into a wall keeps the agent in place */
    rlc_env_reset(sym, 11, f);
    int64_t north = 3;
    rlc_env_step(sym, &north, f, &r);
    assert_true(f[0] == 1 && f[1] == 1 && r.reward == 0);
    rlc_env_destroy(sym);
    rlc_env_destroy(env);
}

/* KeyDoorRooms: the documented route (keys, doors, lava gap, goal) returns 13. */
static void test_keydoor_rooms_script(void **st) {
    (void)st;
    rlc_env *env = make("KeyDoorRooms-v0", NULL);
    float o[9];
    rlc_env_reset(env, 0, o);
    const float start[9] = {4, 4, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(o, start, sizeof start);
    enum { E = 0, S = 1, W = 2, N = 3 };
    struct {
        int dir, times;
        double reward;                             /* of the last of them */
    } route[] = {{E, 9, 0}, {N, 2, 1},             /* key 1 at (13, 2) */
                 {S, 2, 0}, {W, 9, 0},  {S, 4, 0}, /* door 1 at (4, 8) opens */
                 {S, 6, 0}, {W, 2, 1},             /* key 2 at (2, 14) */
                 {N, 2, 0}, {E, 14, 1},            /* through the lava gap; final door */
                 {E, 6, 10}};                      /* goal at (22, 12) */
    double ret = 0;
    int64_t steps = 0;
    rlc_step_result r = {0};
    for (size_t i = 0; i < sizeof route / sizeof route[0]; i++)
        for (int k = 0; k < route[i].times; k++) {
            int64_t a = route[i].dir;
            assert_int_equal(rlc_env_step(env, &a, o, &r), RLC_OK);
            steps++;
            ret += r.reward;
            int last = k == route[i].times - 1;
            assert_close(r.reward, last ? route[i].reward : 0.0, 0);
            assert_int_equal(r.terminated, i == sizeof route / sizeof route[0] - 1 && last);
            if (i == 4 && last) { /* in the doorway, key used */
                assert_true(o[0] == 4 && o[1] == 8 && o[2] == 0 && o[6] == 1);
            }
        }
    assert_close(ret, 13.0, 0);
    assert_close(r.episode_return, 13.0, 0);
    assert_int_equal(r.episode_length, steps);
    assert_true(o[0] == 22 && o[1] == 12 && o[3] == 1 && o[4] == 1 && o[7] == 1);
    /* the locked door does not open without a key */
    rlc_env_reset(env, 0, o);
    for (int k = 0; k < 6; k++) {
        int64_t a = S;
        rlc_env_step(env, &a, o, &r);
    }
    assert_true(o[0] == 4 && o[1] == 7 && o[6] == 0);
    /* the trap: its entrance shuts behind the agent; the decoy key pays 1 */
    rlc_env_reset(env, 0, o);
    for (int k = 0; k < 13; k++) {
        int64_t a = E;
        rlc_env_step(env, &a, o, &r);
    }
    assert_true(o[0] == 17 && o[8] == 1);
    int64_t w = W, e = E;
    rlc_env_step(env, &w, o, &r);
    assert_true(o[0] == 17); /* the way back is a wall now */
    rlc_env_step(env, &e, o, &r);
    rlc_env_step(env, &e, o, &r);
    rlc_env_step(env, &e, o, &r);
    assert_close(r.reward, 1.0, 0);
    assert_true(o[5] == 1 && o[2] == 1);
    /* lava kills with no reward */
    double v[9] = {11, 10, 0, 1, 0, 0, 1, 0, 0};
    assert_int_equal(rlc_env_set_state_vector(env, v, 9), RLC_OK);
    rlc_env_step(env, &e, o, &r);
    assert_true(r.terminated && r.reward == 0 && o[0] == 12);
    rlc_env_destroy(env);
    /* views: the centred view has the agent in the middle, the full grid is 25 x 17 */
    env = make("KeyDoorRooms-v0", "obs=1");
    uint8_t view[147];
    rlc_env_reset(env, 0, view);
    assert_int_equal(view[(3 * 7 + 3) * 3], 10);
    assert_int_equal(view[(0 * 7 + 3) * 3], 1); /* (1, 4): empty */
    rlc_env_destroy(env);
    env = make("KeyDoorRooms-v0", "obs=2");
    uint8_t full[25 * 17 * 3];
    rlc_env_reset(env, 0, full);
    fullgrid g = {25, 17, full};
    assert_int_equal(cell(&g, 13, 2)[0], 5);
    assert_int_equal(cell(&g, 4, 8)[0], 4);
    assert_int_equal(cell(&g, 4, 8)[2], 2);
    assert_int_equal(cell(&g, 22, 12)[0], 8);
    assert_int_equal(cell(&g, 12, 10)[0], 9);
    assert_int_equal(cell(&g, 4, 4)[0], 10);
    rlc_env_destroy(env);
}

static void test_switches(void **st) {
    (void)st;
    rlc_env *env = make("Switches-v0", NULL);
    float o[8];
    for (int seed = 0; seed < 5; seed++) {
        rlc_env_reset(env, seed, o);
        int off = 0;
        for (int i = 0; i < 8; i++)
            off += o[i] == 0;
        assert_true(off > 0); /* never starts solved */
        rlc_step_result r = {0};
        int done = 0;
        for (int64_t i = 0; i < 8; i++) {
            if (o[i] != 0) continue;
            done++;
            assert_int_equal(rlc_env_step(env, &i, o, &r), RLC_OK);
            assert_true(o[i] == 1);
            assert_int_equal(r.terminated, done == off);
            assert_close(r.reward, done == off ? 1.0 : 0.0, 0);
        }
    }
    /* factored: an action changes exactly its own switch */
    rlc_env_reset(env, 9, o);
    float before[8];
    memcpy(before, o, sizeof o);
    int64_t a = 3;
    rlc_step_result r;
    rlc_env_step(env, &a, o, &r);
    for (int i = 0; i < 8; i++)
        assert_true(i == 3 ? o[i] != before[i] : o[i] == before[i]);
    rlc_env_destroy(env);
    /* a target pattern, the state vector, coupled dynamics, slips */
    env = make("Switches-v0", "n=4,target=5");
    double v = 4; /* 0b0100 */
    rlc_env_reset(env, 0, NULL);
    rlc_env_set_state_vector(env, &v, 1);
    a = 0;
    rlc_env_step(env, &a, o, &r);
    assert_true(r.terminated && r.reward == 1.0);
    rlc_env_destroy(env);
    env = make("Switches-v0", "n=4,coupled=1");
    rlc_env_reset(env, 0, NULL);
    v = 3; /* two on: action 0 toggles switch 2 */
    rlc_env_set_state_vector(env, &v, 1);
    rlc_env_step(env, &a, o, &r);
    double got;
    rlc_env_get_state_vector(env, &got);
    assert_close(got, 7, 0);
    rlc_env_destroy(env);
    env = make("Switches-v0", "n=4,slip=1");
    rlc_env_reset(env, 0, NULL);
    v = 0;
    rlc_env_set_state_vector(env, &v, 1);
    for (int k = 0; k < 5; k++)
        rlc_env_step(env, &a, o, &r);
    rlc_env_get_state_vector(env, &got);
    assert_close(got, 0, 0);
    rlc_env_destroy(env);
}

/* Finds a TV next to an empty cell; puts the agent there facing away from it. */
static void test_noisy_tv(void **st) {
    (void)st;
    rlc_env *env = make("NoisyTV-v0", "obs=2");
    uint8_t full[11 * 11 * 3];
    rlc_env_reset(env, 4, full);
    fullgrid g = {11, 11, full};
    int tx, ty;
    assert_true(find(&g, 11, &tx, &ty));
    int px = -1, py = -1, pd = 0;
    for (int d = 0; d < 4 && px < 0; d++) {
        int x = tx + DX[d], y = ty + DY[d];
        if (cell(&g, x, y)[0] == 1) {
            px = x;
            py = y;
            pd = d; /* facing away from the TV */
        }
    }
    assert_true(px >= 0);
    double v[3] = {px, py, pd};
    rlc_env_set_state_vector(env, v, 3);
    int64_t done = 6;
    rlc_step_result r;
    int changes = 0, last = cell(&g, tx, ty)[2];
    for (int k = 0; k < 6; k++) { /* next to the TV: fresh noise every step */
        rlc_env_step(env, &done, full, &r);
        changes += cell(&g, tx, ty)[2] != last;
        last = cell(&g, tx, ty)[2];
        assert_int_equal(cell(&g, tx, ty)[1], last % 6);
    }
    assert_true(changes >= 4);
    /* far away, facing a wall in another room: the TV is frozen */
    int fx = tx < 5 ? 9 : 1, fy = ty < 5 ? 9 : 1;
    double far[3] = {fx, fy, fx == 9 ? 0 : 2};
    rlc_env_set_state_vector(env, far, 3);
    rlc_env_step(env, &done, full, &r);
    last = cell(&g, tx, ty)[2];
    for (int k = 0; k < 5; k++) {
        rlc_env_step(env, &done, full, &r);
        assert_int_equal(cell(&g, tx, ty)[2], last);
    }
    rlc_env_destroy(env);
    /* the egocentric view and the symbolic obs show it when looked at */
    env = make("NoisyTV-v0", "obs=0");
    float o[5];
    rlc_env_reset(env, 4, o);
    double look[3] = {px, py, (pd + 2) % 4};
    rlc_env_set_state_vector(env, look, 3);
    rlc_env_step(env, &done, o, &r);
    assert_true(o[3] == 1);
    float first = o[4];
    int diff = 0;
    for (int k = 0; k < 5; k++) {
        rlc_env_step(env, &done, o, &r);
        diff += o[4] != first;
    }
    assert_true(diff > 0);
    rlc_env_destroy(env);
    env = make("NoisyTV-v0", NULL);
    uint8_t view[147];
    rlc_env_reset(env, 4, view);
    rlc_env_set_state_vector(env, look, 3);
    rlc_env_step(env, &done, view, &r);
    assert_int_equal(view[(3 * 7 + 5) * 3], 11); /* right in front */
    rlc_env_destroy(env);
    /* the goal: plan around walls and TVs */
    for (int seed = 0; seed < 4; seed++) {
        env = make("NoisyTV-v0", "obs=2,tvs=3");
        rlc_env_reset(env, seed, full);
        int gx, gy, ntv = 0;
        for (int x = 0; x < 11; x++)
            for (int y = 0; y < 11; y++)
                ntv += cell(&g, x, y)[0] == 11;
        assert_int_equal(ntv, 3);
        assert_true(find(&g, 8, &gx, &gy));
        int64_t acts[512], steps = 0;
        int n = plan_face(&g, gx, gy, acts);
        assert_true(n >= 0);
        acts[n++] = 2;
        r = run_acts(env, acts, n, full, &steps);
        assert_true(r.terminated);
        assert_close(r.reward, 1 - 0.9 * (double)steps / 484, 1e-12);
        rlc_env_destroy(env);
    }
    env = make("NoisyTV-v0", "goal=0,obs=2");
    rlc_env_reset(env, 0, full);
    int gx, gy;
    assert_false(find(&g, 8, &gx, &gy));
    rlc_env_destroy(env);
}

static int count_nonzero_cells(const uint8_t *img, int ncells) {
    int n = 0;
    for (int i = 0; i < ncells; i++)
        n += img[3 * i] != 0;
    return n;
}

static void test_dark_room(void **st) {
    (void)st;
    rlc_env *env = make("DarkRoom-v0", "obs=2");
    uint8_t full[11 * 11 * 3];
    fullgrid g = {11, 11, full};
    int seed, gx = 0, gy = 0, ax, ay;
    for (seed = 0; seed < 50; seed++) { /* goal lit, agent outside the dark room */
        rlc_env_reset(env, seed, full);
        if (find(&g, 8, &gx, &gy) && find(&g, 10, &ax, &ay)) break;
    }
    assert_true(seed < 50);
    /* the dark room's interior is blank: 16 cells of a 4x4 room */
    int dark = 0, dx0 = 99, dy0 = 99;
    for (int x = 0; x < 11; x++)
        for (int y = 0; y < 11; y++)
            if (cell(&g, x, y)[0] == 0) {
                dark++;
                dx0 = x < dx0 ? x : dx0;
                dy0 = y < dy0 ? y : dy0;
            }
    assert_int_equal(dark, 16);
    int64_t acts[512], steps = 0;
    int n = plan_face(&g, gx, gy, acts); /* around the dark room */
    assert_true(n >= 0);
    acts[n++] = 2;
    rlc_step_result r = run_acts(env, acts, n, full, &steps);
    assert_true(r.terminated);
    assert_close(r.reward, 1 - 0.9 * (double)steps / 484, 1e-12);
    /* inside the dark room: the view shows at most the cell in front */
    rlc_env *v = make("DarkRoom-v0", NULL);
    uint8_t view[147];
    rlc_env_reset(v, seed, view);
    double in[4] = {dx0 + 1, dy0 + 1, 0, 0};
    rlc_env_set_state_vector(v, in, 4);
    rlc_env_observe(v, view);
    assert_true(count_nonzero_cells(view, 49) <= 1);
    in[3] = 1; /* lit: the room appears */
    rlc_env_set_state_vector(v, in, 4);
    rlc_env_observe(v, view);
    assert_true(count_nonzero_cells(view, 49) > 8);
    rlc_env_destroy(v);
    /* the switch: find it lit, stand in front of it in the dark, toggle */
    rlc_env_reset(env, seed, full);
    double lit[4] = {gx, gy, 0, 1};
    rlc_env_set_state_vector(env, lit, 4);
    rlc_env_observe(env, full);
    int sx, sy;
    assert_true(find(&g, 12, &sx, &sy));
    assert_int_equal(cell(&g, sx, sy)[2], 1);
    rlc_env *sym = make("DarkRoom-v0", "obs=0");
    float o[4];
    rlc_env_reset(sym, seed, o);
    int tested = 0;
    for (int d = 0; d < 4 && !tested; d++) {
        int px = sx - DX[d], py = sy - DY[d];
        if (px < dx0 || py < dy0 || px >= dx0 + 4 || py >= dy0 + 4) continue;
        if (cell(&g, px, py)[0] != 1) continue;
        double pose[4] = {px, py, d, 0};
        rlc_env_set_state_vector(sym, pose, 4);
        rlc_env_observe(sym, o);
        assert_true(o[0] == -1 && o[1] == -1 && o[3] == 0); /* blind */
        int64_t toggle = 5;
        rlc_env_step(sym, &toggle, o, &r);
        assert_true(o[0] == px && o[1] == py && o[3] == 1);
        rlc_env_step(sym, &toggle, o, &r); /* and off again */
        assert_true(o[0] == -1 && o[3] == 0);
        tested = 1;
    }
    assert_true(tested);
    rlc_env_destroy(sym);
    rlc_env_destroy(env);
}

/* Snapshot, 20 random steps, restore: the same 20 steps give the same future. */
static void test_snapshot_round_trip(void **st) {
    (void)st;
    for (int i = 0; i < NIDS; i++) {
        rlc_env *env = make(IDS[i], NULL);
        const rlc_space *as = rlc_env_action_space(env);
        size_t ob = rlc_space_bytes(rlc_env_obs_space(env)), sb = rlc_env_state_size(env);
        uint8_t obs[4096], rec[21][4096];
        uint8_t *snap = malloc(sb), *snap2 = malloc(sb);
        rlc_rng rng;
        rlc_rng_seed(&rng, 77);
        rlc_env_reset(env, 5, obs);
        int64_t acts[20];
        rlc_step_result r, rr[20];
        for (int k = 0; k < 5 && rlc_env_running(env); k++) {
            int64_t a = rlc_rng_integers(&rng, 0, as->n);
            rlc_env_step(env, &a, obs, &r);
        }
        assert_true(rlc_env_running(env));
        assert_int_equal(rlc_env_get_state(env, snap, sb), RLC_OK);
        int n = 0;
        for (; n < 20 && rlc_env_running(env); n++) {
            acts[n] = rlc_rng_integers(&rng, 0, as->n);
            rlc_env_step(env, &acts[n], rec[n], &rr[n]);
        }
        assert_int_equal(rlc_env_set_state(env, snap, sb), RLC_OK);
        assert_int_equal(rlc_env_get_state(env, snap2, sb), RLC_OK);
        assert_memory_equal(snap, snap2, sb);
        for (int k = 0; k < n; k++) {
            assert_int_equal(rlc_env_step(env, &acts[k], obs, &r), RLC_OK);
            assert_memory_equal(obs, rec[k], ob);
            assert_true(r.reward == rr[k].reward);
            assert_int_equal(r.terminated, rr[k].terminated);
        }
        /* state vectors round-trip too */
        double v[16], w[16];
        int dim = rlc_env_state_dim(env);
        assert_true(dim <= 16);
        rlc_env_set_state(env, snap, sb);
        rlc_env_get_state_vector(env, v);
        assert_int_equal(rlc_env_set_state_vector(env, v, dim), RLC_OK);
        rlc_env_get_state_vector(env, w);
        assert_memory_equal(v, w, dim * sizeof *v);
        free(snap);
        free(snap2);
        rlc_env_destroy(env);
    }
}

static long count_not(const uint8_t *rgb, int n, const uint8_t *ref) {
    long c = 0;
    for (int i = 0; i < n; i++)
        c += memcmp(rgb + 3 * i, ref, 3) != 0;
    return c;
}

static void test_render(void **st) {
    (void)st;
    enum { W = 96, H = 80 };
    static uint8_t a[W * H * 3], b[W * H * 3];
    for (int i = 0; i < NIDS; i++) {
        rlc_env *env = make(IDS[i], NULL);
        assert_int_equal(rlc_env_render(env, a, W, H), RLC_ERR_STATE);
        rlc_env_reset(env, 2, NULL);
        assert_int_equal(rlc_env_render(env, a, W, H), RLC_OK);
        assert_true(count_not(a, W * H, a) > W * H / 20); /* not one colour */
        /* another state draws another picture */
        double v[16];
        int dim = rlc_env_state_dim(env);
        rlc_env_get_state_vector(env, v);
        if (strstr(IDS[i], "Switches"))
            v[0] = (double)((int)v[0] ^ 1);
        else
            v[0] = v[0] == 1 ? 2 : 1;
        if (strstr(IDS[i], "DarkRoom")) v[3] = 1 - v[3];
        rlc_env_set_state_vector(env, v, dim);
        assert_int_equal(rlc_env_render(env, b, W, H), RLC_OK);
        assert_memory_not_equal(a, b, sizeof a);
        assert_int_equal(rlc_env_render(env, b, 0, H), RLC_ERR_INVALID);
        rlc_env_destroy(env);
    }
}

static void test_bad_actions(void **st) {
    (void)st;
    for (int i = 0; i < NIDS; i++) {
        rlc_env *env = make(IDS[i], NULL);
        int64_t n = rlc_env_action_space(env)->n, bad[2] = {n, -1};
        uint8_t obs[4096], obs2[4096];
        size_t sb = rlc_env_state_size(env);
        uint8_t *s1 = malloc(sb), *s2 = malloc(sb);
        assert_int_equal(rlc_env_step(env, &bad[0], obs, NULL), RLC_ERR_STATE);
        rlc_env_reset(env, 0, obs);
        rlc_env_get_state(env, s1, sb);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(rlc_env_step(env, &bad[k], obs2, NULL), RLC_ERR_RANGE);
            assert_contains(rlc_last_error(), IDS[i]);
        }
        rlc_env_get_state(env, s2, sb);
        assert_memory_equal(s1, s2, sb); /* unchanged */
        double ok = (double)(n - 1);
        assert_int_equal(rlc_env_step_values(env, &ok, 1, obs, NULL), RLC_OK);
        free(s1);
        free(s2);
        rlc_env_destroy(env);
    }
}

/* State vectors before any reset build a layout (reset(seed=0)'s) and clamp values. */
static void test_state_vector_without_reset(void **st) {
    (void)st;
    for (int i = 0; i < NIDS; i++) {
        rlc_env *env = make(IDS[i], NULL);
        double v[16] = {0}, w[16];
        int dim = rlc_env_state_dim(env);
        for (int k = 0; k < dim; k++)
            v[k] = 1e6;
        assert_int_equal(rlc_env_set_state_vector(env, v, dim), RLC_OK);
        assert_int_equal(rlc_env_get_state_vector(env, w), RLC_OK);
        for (int k = 0; k < dim; k++)
            assert_true(w[k] < 1e6); /* clamped */
        uint8_t obs[4096];
        assert_int_equal(rlc_env_observe(env, obs), RLC_OK);
        int64_t a = 0;
        assert_int_equal(rlc_env_step(env, &a, obs, NULL), RLC_OK);
        rlc_env_destroy(env);
    }
}

/* Steps per second are not asserted; a long random run checks nothing breaks. */
static void test_random_episodes(void **st) {
    (void)st;
    for (int i = 0; i < NIDS; i++) {
        rlc_env *env = make(IDS[i], NULL);
        const rlc_space *as = rlc_env_action_space(env), *os = rlc_env_obs_space(env);
        rlc_rng rng;
        rlc_rng_seed(&rng, 3);
        uint8_t obs[4096];
        rlc_env_reset(env, 0, obs);
        int episodes = 0;
        for (int k = 0; k < 20000; k++) {
            int64_t a = rlc_rng_integers(&rng, 0, as->n);
            rlc_step_result r;
            assert_int_equal(rlc_env_step(env, &a, obs, &r), RLC_OK);
            if (k % 97 == 0) assert_true(rlc_space_contains(os, obs));
            assert_true(r.reward >= 0 && r.reward <= 10);
            if (r.terminated || r.truncated) {
                episodes++;
                rlc_env_reset(env, RLC_ENV_NO_SEED, obs);
            }
        }
        assert_true(episodes > 0);
        rlc_env_destroy(env);
    }
}

RLC_TESTS(env_grid, cmocka_unit_test(test_spaces), cmocka_unit_test(test_reset_determinism),
          cmocka_unit_test(test_empty_script), cmocka_unit_test(test_doorkey_script),
          cmocka_unit_test(test_maze_generator), cmocka_unit_test(test_maze_script),
          cmocka_unit_test(test_keydoor_rooms_script), cmocka_unit_test(test_switches),
          cmocka_unit_test(test_noisy_tv), cmocka_unit_test(test_dark_room),
          cmocka_unit_test(test_snapshot_round_trip), cmocka_unit_test(test_render),
          cmocka_unit_test(test_bad_actions), cmocka_unit_test(test_state_vector_without_reset),
          cmocka_unit_test(test_random_episodes))
