/* Grid worlds (src/env/grid/): the shared cell grid with MiniGrid's object encoding and action
 * semantics, observation encoders, layout generators, the tile renderer, and the env defs. */
#ifndef RLC_ENV_GRID_IMPL_H
#define RLC_ENV_GRID_IMPL_H

#include <stdint.h>

#include "env/env_impl.h"

/* Largest grid side (cells). A grid lives inline in the env struct so that byte snapshots
 * copy procedurally generated layouts too. */
#define RLC__GRID_MAX 32
/* Side of the egocentric / agent-centred view (MiniGrid's agent_view_size). */
#define RLC__GRID_VIEW 7

/* Object types: MiniGrid's OBJECT_TO_IDX, then rlc's own. */
enum {
    RLC__GO_UNSEEN = 0,
    RLC__GO_EMPTY = 1,
    RLC__GO_WALL = 2,
    RLC__GO_FLOOR = 3,
    RLC__GO_DOOR = 4,
    RLC__GO_KEY = 5,
    RLC__GO_BALL = 6,
    RLC__GO_BOX = 7,
    RLC__GO_GOAL = 8,
    RLC__GO_LAVA = 9,
    RLC__GO_AGENT = 10,
    RLC__GO_TV = 11,     /* noisy TV: state = the noise it shows (0..255) */
    RLC__GO_SWITCH = 12, /* light switch: state 0 off, 1 on */
    RLC__GO_NTYPES = 13
};

/* Colours: MiniGrid's COLOR_TO_IDX. */
enum {
    RLC__GC_RED = 0,
    RLC__GC_GREEN = 1,
    RLC__GC_BLUE = 2,
    RLC__GC_PURPLE = 3,
    RLC__GC_YELLOW = 4,
    RLC__GC_GREY = 5
};

/* Door states: MiniGrid's STATE_TO_IDX. */
enum { RLC__GD_OPEN = 0, RLC__GD_CLOSED = 1, RLC__GD_LOCKED = 2 };

/* MiniGrid's actions (Discrete(7)). */
enum {
    RLC__GA_LEFT = 0,
    RLC__GA_RIGHT = 1,
    RLC__GA_FORWARD = 2,
    RLC__GA_PICKUP = 3,
    RLC__GA_DROP = 4,
    RLC__GA_TOGGLE = 5,
    RLC__GA_DONE = 6,
    RLC__GA_N = 7
};

/* Observation modes (the `obs` kwarg of the grid envs). */
enum {
    RLC__GOBS_SYMBOLIC = 0, /* float32 vector documented per env */
    RLC__GOBS_VIEW = 1,     /* uint8 (7, 7, 3) view: egocentric (MiniGrid) or agent-centred */
    RLC__GOBS_FULL = 2      /* uint8 (w, h, 3) whole grid with the agent (FullyObsWrapper) */
};

/* Events reported by rlc__grid_act (bit mask). */
enum {
    RLC__GEV_MOVED = 1 << 0,
    RLC__GEV_GOAL = 1 << 1,   /* moved onto a goal */
    RLC__GEV_LAVA = 1 << 2,   /* moved onto lava */
    RLC__GEV_PICKUP = 1 << 3, /* picked up the object in front */
    RLC__GEV_DROP = 1 << 4,
    RLC__GEV_UNLOCK = 1 << 5, /* unlocked (and opened) a locked door */
    RLC__GEV_OPEN = 1 << 6,   /* opened a closed door */
    RLC__GEV_CLOSE = 1 << 7,
    RLC__GEV_SWITCH = 1 << 8 /* toggled a light switch */
};

/* One cell: MiniGrid's (OBJECT_IDX, COLOR_IDX, STATE) triple. */
typedef struct rlc__gcell {
    uint8_t type, color, state;
} rlc__gcell;

/* A grid with one agent. Cells are stored with stride RLC__GRID_MAX: cell (x, y) is
 * c[y * RLC__GRID_MAX + x], x to the right, y down; (0, 0) is the top-left corner. */
typedef struct rlc__grid {
    int32_t w, h;        /* sides in cells, <= RLC__GRID_MAX */
    int32_t x, y, dir;   /* agent position and direction (0 east, 1 south, 2 west, 3 north) */
    int32_t steps;       /* steps since reset (MiniGrid's step_count) */
    rlc__gcell carrying; /* type RLC__GO_EMPTY when the agent carries nothing */
    uint8_t pad_;
    rlc__gcell c[RLC__GRID_MAX * RLC__GRID_MAX];
} rlc__grid;

/* MiniGrid's DIR_TO_VEC. */
extern const int rlc__grid_dx[4], rlc__grid_dy[4];

/* Empties the grid (w x h, clamped to [3, RLC__GRID_MAX]), walls its border, puts the agent
 * at (1, 1) facing east with nothing carried and zeroes the step count. */
void rlc__grid_clear(rlc__grid *g, int w, int h);
/* Sets cell (x, y); ignored outside the grid. */
void rlc__grid_set(rlc__grid *g, int x, int y, int type, int color, int state);
/* Cell (x, y); a wall outside the grid. */
rlc__gcell rlc__grid_get(const rlc__grid *g, int x, int y);
/* MiniGrid's can_overlap: the agent may stand on empty, floor, goal, lava, open doors. */
int rlc__grid_passable(rlc__gcell c);
/* MiniGrid's see_behind: walls and closed or locked doors block the view. */
int rlc__grid_see_behind(rlc__gcell c);
/* MiniGrid's place_obj: draws x in [x0, x0 + sw) then y in [y0, y0 + sh) (clipped to the
 * grid) with rlc_rng_integers until the cell is empty and not the agent's. Returns 0 and the
 * position, or -1 when the rectangle has no free cell. */
int rlc__grid_place(const rlc__grid *g, rlc_rng *rng, int x0, int y0, int sw, int sh, int *px,
                    int *py);
/* Applies one MiniGrid action (RLC__GA_*) and returns the RLC__GEV_* events. Counts the step
 * first, as MiniGrid. Toggling a switch flips its state; the env reacts to the event. */
int rlc__grid_act(rlc__grid *g, int action);
/* MiniGrid's success reward 1 - 0.9 * steps / max_steps. */
double rlc__grid_success_reward(const rlc__grid *g, int max_steps);

/* A rectangle [x0, x1) x [y0, y1) of cells hidden while dark (DarkRoom), or none. */
typedef struct rlc__grid_dark {
    int on; /* 0: nothing is dark */
    int x0, y0, x1, y1;
} rlc__grid_dark;

/* MiniGrid's egocentric (7, 7, 3) view into out[(i * 7 + j) * 3 + c] (i = view column, j = view
 * row, the agent at (3, 6) looking up), with MiniGrid's occlusion: cells hidden behind walls
 * and closed doors are (0, 0, 0); the agent's cell shows what it carries. Cells in `dark` are
 * also hidden, except the one right in front of the agent; when `blind` is set every cell but
 * that one is hidden. `vis` (may be NULL) receives the 49 visibility flags and `wx, wy` (may
 * be NULL) the world coordinates of each view cell. */
void rlc__grid_view(const rlc__grid *g, uint8_t *out, const rlc__grid_dark *dark, int blind,
                    uint8_t *vis, int *wx, int *wy);
/* Agent-centred (7, 7, 3) view without rotation or occlusion (for envs with absolute moves):
 * out[(i * 7 + j) * 3 + c] shows cell (x + i - 3, y + j - 3); outside the grid is wall; the
 * agent's cell is (10, 0, 0). */
void rlc__grid_view_centered(const rlc__grid *g, uint8_t *out);
/* The whole grid as (w, h, 3): out[(x * h + y) * 3 + c], the agent's cell (10, 0, dir)
 * (omitted when hide_agent), cells in `dark` (0, 0, 0). */
void rlc__grid_full(const rlc__grid *g, uint8_t *out, const rlc__grid_dark *dark, int hide_agent);

/* The image observation of a MiniGrid-like env: mode RLC__GOBS_VIEW gives rlc__grid_view
 * (egocentric, when `directional`) or rlc__grid_view_centered, RLC__GOBS_FULL rlc__grid_full. */
void rlc__grid_observe_image(const rlc__grid *g, int mode, int directional, uint8_t *out);
/* A state-vector entry as an int clamped to [lo, hi] (floor of finite values). */
int rlc__grid_clampv(double v, int lo, int hi);

/* Fills the obs space of a grid env: symbolic Box float32 (nsym, lo, hi), view Box uint8
 * (7, 7, 3) in [0, 255], or full Box uint8 (w, h, 3) in [0, 255]. */
rlc_status rlc__grid_obs_space(rlc_space *s, int mode, int w, int h, int nsym, const double *lo,
                               const double *hi);

/* Perfect maze by randomized depth-first search (recursive backtracker, explicit stack) on a
 * size x size grid (size odd): rooms at odd coordinates, all connected, no loops. Starts at
 * (1, 1); neighbours are visited in the order of a rlc_rng_integers draw per step. */
void rlc__grid_maze(rlc__grid *g, rlc_rng *rng, int size);
/* Four rooms (MiniGrid FourRooms-like) on a size x size grid: walls at the middle row and
 * column, one gap drawn in each of the four wall segments. room_rect(r) gives room r's
 * interior (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right). */
void rlc__grid_four_rooms(rlc__grid *g, rlc_rng *rng, int size);
void rlc__grid_room_rect(int size, int room, int *x0, int *y0, int *x1, int *y1);

/* Draws the grid into rgb (width x height): square tiles as large as fit, centred, MiniGrid's
 * colours; the agent is a red triangle pointing its way when `directional`, a red disc
 * otherwise; cells in `dark` are dimmed. */
rlc_status rlc__grid_render(const rlc__grid *g, uint8_t *rgb, int width, int height,
                            int directional, const rlc__grid_dark *dark);

/* Env defs (one file each). */
extern const rlc__env_def rlc__grid_empty_def;    /* empty.c: GridEmpty-*-v0 */
extern const rlc__env_def rlc__grid_doorkey_def;  /* doorkey.c: GridDoorKey-*-v0 */
extern const rlc__env_def rlc__grid_maze_def;     /* maze.c: GridMaze-v0 */
extern const rlc__env_def rlc__keydoor_rooms_def; /* keydoor_rooms.c: KeyDoorRooms-v0 */
extern const rlc__env_def rlc__switches_def;      /* switches.c: Switches-v0 */
extern const rlc__env_def rlc__noisy_tv_def;      /* noisy_tv.c: NoisyTV-v0 */
extern const rlc__env_def rlc__dark_room_def;     /* dark_room.c: DarkRoom-v0 */

#endif
