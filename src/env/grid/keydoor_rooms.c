/* KeyDoorRooms-v0: a Montezuma-like world of six rooms with keys, locked doors, a lava
 * barrier and a trap room whose entrance shuts behind the agent; sparse reward for keys, the
 * final door and the goal. The layout is fixed, so the evolving state is a few integers. */
#include <stddef.h>
#include <string.h>

#include "env/grid/grid_impl.h"

/* The map (x to the right, y down). Rooms: A start, B key 1, C trap (decoy key), D key 2 below
 * A behind locked door 1, E lava barrier with one gap, F goal behind the final door. */
#define KDR_W 25
#define KDR_H 17
static const char MAP[KDR_H][KDR_W + 1] = {
    "#########################", /*  0 */
    "#.......#.......#.......#", /*  1 */
    "#.......#....K..#.......#", /*  2  K: key 1 (13, 2) */
    "#.......#.......#.......#", /*  3 */
    "#...S...........T...t...#", /*  4  S: start (4, 4); T: trap entrance; t: decoy (20, 4) */
    "#.......#.......#.......#", /*  5 */
    "#.......#.......#.......#", /*  6 */
    "#.......#.......#.......#", /*  7 */
    "####D####################", /*  8  D: door 1 (4, 8), locked */
    "#.......#...L...#.......#", /*  9 */
    "#.......#...L...#.......#", /* 10 */
    "#.......#...L...#.......#", /* 11 */
    "#...............F.....G.#", /* 12  F: final door (16, 12); G: goal (22, 12) */
    "#.......#...L...#.......#", /* 13 */
    "#.k.....#...L...#.......#", /* 14  k: key 2 (2, 14) */
    "#.......#...L...#.......#", /* 15 */
    "#########################", /* 16 */
};

/* Bits of `taken` and `open`. */
enum { KEY1 = 1, KEY2 = 2, KEY_TRAP = 4 };
enum { DOOR1 = 1, DOOR_FINAL = 2 };

#define R_KEY 1.0
#define R_FINAL_DOOR 1.0
#define R_GOAL 10.0

typedef struct kdr_state {
    int32_t x, y;
    int32_t keys;      /* keys held */
    int32_t taken;     /* KEY1 | KEY2 | KEY_TRAP picked up */
    int32_t open;      /* DOOR1 | DOOR_FINAL unlocked */
    int32_t trap_shut; /* the trap room's entrance became a wall */
} kdr_state;

typedef struct kdr_env {
    int obs_mode;
    kdr_state s; /* evolving */
} kdr_env;

static const rlc_env_param PARAMS[] = {
    {"obs", RLC_PARAM_INT, 0, 0, 2, 0,
     "observation: 0 symbolic (the 9 state values), 1 centred 7x7x3 view, 2 full 25x17x3"},
};

#define NSYM 9

static rlc_status kdr_init(void *self, const double *vals, rlc_space *obs, rlc_space *act) {
    kdr_env *e = self;
    e->obs_mode = (int)vals[0];
    double lo[NSYM] = {0}, hi[NSYM] = {KDR_W - 1, KDR_H - 1, 3, 1, 1, 1, 1, 1, 1};
    rlc__space_discrete(act, 4, 0);
    return rlc__grid_obs_space(obs, e->obs_mode, KDR_W, KDR_H, NSYM, lo, hi);
}

/* The cell (x, y) given the flags. */
static rlc__gcell kdr_cell(const kdr_state *s, int x, int y) {
    if (x < 0 || y < 0 || x >= KDR_W || y >= KDR_H)
        return (rlc__gcell){RLC__GO_WALL, RLC__GC_GREY, 0};
    switch (MAP[y][x]) {
    case '#':
        return (rlc__gcell){RLC__GO_WALL, RLC__GC_GREY, 0};
    case 'K':
        if (!(s->taken & KEY1)) return (rlc__gcell){RLC__GO_KEY, RLC__GC_YELLOW, 0};
        break;
    case 'k':
        if (!(s->taken & KEY2)) return (rlc__gcell){RLC__GO_KEY, RLC__GC_YELLOW, 0};
        break;
    case 't':
        if (!(s->taken & KEY_TRAP)) return (rlc__gcell){RLC__GO_KEY, RLC__GC_YELLOW, 0};
        break;
    case 'D':
        if (!(s->open & DOOR1)) return (rlc__gcell){RLC__GO_DOOR, RLC__GC_YELLOW, RLC__GD_LOCKED};
        return (rlc__gcell){RLC__GO_DOOR, RLC__GC_YELLOW, RLC__GD_OPEN};
    case 'F':
        if (!(s->open & DOOR_FINAL)) return (rlc__gcell){RLC__GO_DOOR, RLC__GC_RED, RLC__GD_LOCKED};
        return (rlc__gcell){RLC__GO_DOOR, RLC__GC_RED, RLC__GD_OPEN};
    case 'T':
        if (s->trap_shut) return (rlc__gcell){RLC__GO_WALL, RLC__GC_GREY, 0};
        break;
    case 'L':
        return (rlc__gcell){RLC__GO_LAVA, RLC__GC_RED, 0};
    case 'G':
        return (rlc__gcell){RLC__GO_GOAL, RLC__GC_GREEN, 0};
    default:
        break;
    }
    return (rlc__gcell){RLC__GO_EMPTY, 0, 0};
}

static void kdr_grid(const kdr_state *s, rlc__grid *g) {
    rlc__grid_clear(g, KDR_W, KDR_H);
    for (int y = 0; y < KDR_H; y++)
        for (int x = 0; x < KDR_W; x++)
            g->c[y * RLC__GRID_MAX + x] = kdr_cell(s, x, y);
    g->x = s->x;
    g->y = s->y;
}

static void kdr_vector(const kdr_state *s, double *v) {
    v[0] = s->x;
    v[1] = s->y;
    v[2] = s->keys;
    v[3] = (s->taken & KEY1) != 0;
    v[4] = (s->taken & KEY2) != 0;
    v[5] = (s->taken & KEY_TRAP) != 0;
    v[6] = (s->open & DOOR1) != 0;
    v[7] = (s->open & DOOR_FINAL) != 0;
    v[8] = s->trap_shut;
}

static void kdr_observe(const void *self, void *obs) {
    const kdr_env *e = self;
    if (e->obs_mode == RLC__GOBS_SYMBOLIC) {
        double v[NSYM];
        kdr_vector(&e->s, v);
        float *o = obs;
        for (int i = 0; i < NSYM; i++)
            o[i] = (float)v[i];
        return;
    }
    rlc__grid g;
    kdr_grid(&e->s, &g);
    rlc__grid_observe_image(&g, e->obs_mode, 0, obs);
}

static void kdr_start(kdr_state *s) {
    memset(s, 0, sizeof *s);
    s->x = 4;
    s->y = 4;
}

static void kdr_reset(void *self, rlc_rng *rng, void *obs) {
    kdr_env *e = self;
    (void)rng; /* deterministic: the same start every episode */
    kdr_start(&e->s);
    kdr_observe(e, obs);
}

/* Actions 0 east, 1 south, 2 west, 3 north. Walking into a locked door with a key uses the
 * key, opens the door and steps into the doorway; walking onto a key picks it up. */
static void kdr_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                     int *terminated) {
    kdr_env *e = self;
    kdr_state *s = &e->s;
    (void)rng;
    int d = (int)*(const int64_t *)action;
    int nx = s->x + rlc__grid_dx[d], ny = s->y + rlc__grid_dy[d];
    rlc__gcell c = kdr_cell(s, nx, ny);
    double r = 0;
    int term = 0, move = 1;
    switch (c.type) {
    case RLC__GO_WALL:
        move = 0;
        break;
    case RLC__GO_DOOR:
        if (c.state == RLC__GD_LOCKED) {
            if (s->keys > 0) {
                s->keys--;
                int door = MAP[ny][nx] == 'F' ? DOOR_FINAL : DOOR1;
                s->open |= door;
                if (door == DOOR_FINAL) r += R_FINAL_DOOR;
            } else {
                move = 0;
            }
        }
        break;
    case RLC__GO_KEY:
        s->keys++;
        s->taken |= MAP[ny][nx] == 'K' ? KEY1 : MAP[ny][nx] == 'k' ? KEY2 : KEY_TRAP;
        r += R_KEY;
        break;
    case RLC__GO_LAVA:
        term = 1; /* death */
        break;
    case RLC__GO_GOAL:
        term = 1;
        r += R_GOAL;
        break;
    default:
        break;
    }
    if (move) {
        s->x = nx;
        s->y = ny;
        if (nx > 16 && ny < 8) s->trap_shut = 1; /* inside the trap room: the way back shuts */
    }
    *reward = r;
    *terminated = term;
    kdr_observe(e, obs);
}

static void kdr_get(const void *self, double *v) {
    const kdr_env *e = self;
    kdr_vector(&e->s, v);
}

static void kdr_set(void *self, const double *v) {
    kdr_env *e = self;
    kdr_state *s = &e->s;
    s->x = rlc__grid_clampv(v[0], 1, KDR_W - 2);
    s->y = rlc__grid_clampv(v[1], 1, KDR_H - 2);
    s->keys = rlc__grid_clampv(v[2], 0, 3);
    s->taken = rlc__grid_clampv(v[3], 0, 1) * KEY1 | rlc__grid_clampv(v[4], 0, 1) * KEY2 |
               rlc__grid_clampv(v[5], 0, 1) * KEY_TRAP;
    s->open = rlc__grid_clampv(v[6], 0, 1) * DOOR1 | rlc__grid_clampv(v[7], 0, 1) * DOOR_FINAL;
    s->trap_shut = rlc__grid_clampv(v[8], 0, 1);
}

static rlc_status kdr_render(const void *self, uint8_t *rgb, int width, int height) {
    const kdr_env *e = self;
    rlc__grid g;
    kdr_grid(&e->s, &g);
    return rlc__grid_render(&g, rgb, width, height, 0, NULL);
}

const rlc__env_def rlc__keydoor_rooms_def = {
    .name = "KeyDoorRooms",
    .summary = "Montezuma-like rooms: keys open doors, a trap room and lava, sparse reward",
    .size = sizeof(kdr_env),
    .state_offset = offsetof(kdr_env, s),
    .state_size = sizeof(kdr_state),
    .state_dim = NSYM,
    .state_names = "x,y,keys,key1,key2,trap_key,door1,door2,trap_shut",
    .nparams = 1,
    .params = PARAMS,
    .init = kdr_init,
    .reset = kdr_reset,
    .step = kdr_step,
    .observe = kdr_observe,
    .get_vector = kdr_get,
    .set_vector = kdr_set,
    .render = kdr_render,
};
