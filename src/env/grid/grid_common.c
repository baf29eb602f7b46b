/* The grid-world engine shared by the files in src/env/grid/: MiniGrid's cell encoding and action
 * semantics, egocentric/centred/full observation encoders, maze and four-rooms generators,
 * and the tile renderer (drawn with io/draw_impl.h). */
#include <math.h>
#include <string.h>

#include "env/grid/grid_impl.h"
#include "io/draw_impl.h"

const int rlc__grid_dx[4] = {1, 0, -1, 0};
const int rlc__grid_dy[4] = {0, 1, 0, -1};

#define AT(g, x, y) ((g)->c[(y)*RLC__GRID_MAX + (x)])

static int clampi(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

void rlc__grid_clear(rlc__grid *g, int w, int h) {
    w = clampi(w, 3, RLC__GRID_MAX);
    h = clampi(h, 3, RLC__GRID_MAX);
    memset(g, 0, sizeof *g);
    g->w = w;
    g->h = h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int border = x == 0 || y == 0 || x == w - 1 || y == h - 1;
            AT(g, x, y) =
                (rlc__gcell){border ? RLC__GO_WALL : RLC__GO_EMPTY, border ? RLC__GC_GREY : 0, 0};
        }
    g->x = g->y = 1;
    g->dir = 0;
    g->carrying = (rlc__gcell){RLC__GO_EMPTY, 0, 0};
}

void rlc__grid_set(rlc__grid *g, int x, int y, int type, int color, int state) {
    if (x < 0 || y < 0 || x >= g->w || y >= g->h) return;
    AT(g, x, y) = (rlc__gcell){(uint8_t)type, (uint8_t)color, (uint8_t)state};
}

rlc__gcell rlc__grid_get(const rlc__grid *g, int x, int y) {
    if (x < 0 || y < 0 || x >= g->w || y >= g->h)
        return (rlc__gcell){RLC__GO_WALL, RLC__GC_GREY, 0};
    return AT(g, x, y);
}

int rlc__grid_passable(rlc__gcell c) {
    switch (c.type) {
    case RLC__GO_EMPTY:
    case RLC__GO_FLOOR:
    case RLC__GO_GOAL:
    case RLC__GO_LAVA:
        return 1;
    case RLC__GO_DOOR:
        return c.state == RLC__GD_OPEN;
    default:
        return 0;
    }
}

int rlc__grid_see_behind(rlc__gcell c) {
    if (c.type == RLC__GO_WALL) return 0;
    if (c.type == RLC__GO_DOOR) return c.state == RLC__GD_OPEN;
    return 1;
}

int rlc__grid_place(const rlc__grid *g, rlc_rng *rng, int x0, int y0, int sw, int sh, int *px,
                    int *py) {
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    int x1 = x0 + sw < g->w ? x0 + sw : g->w, y1 = y0 + sh < g->h ? y0 + sh : g->h;
    int free_cells = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            free_cells += AT(g, x, y).type == RLC__GO_EMPTY && !(x == g->x && y == g->y);
    if (!free_cells) return -1;
    for (;;) { /* MiniGrid's rejection sampling: x first, then y */
        int x = (int)rlc_rng_integers(rng, x0, x1);
        int y = (int)rlc_rng_integers(rng, y0, y1);
        if (AT(g, x, y).type != RLC__GO_EMPTY || (x == g->x && y == g->y)) continue;
        *px = x;
        *py = y;
        return 0;
    }
}

int rlc__grid_act(rlc__grid *g, int action) {
    g->steps++;
    int fx = g->x + rlc__grid_dx[g->dir], fy = g->y + rlc__grid_dy[g->dir];
    rlc__gcell f = rlc__grid_get(g, fx, fy);
    int ev = 0;
    switch (action) {
    case RLC__GA_LEFT:
        g->dir = (g->dir + 3) & 3;
        break;
    case RLC__GA_RIGHT:
        g->dir = (g->dir + 1) & 3;
        break;
    case RLC__GA_FORWARD:
        if (rlc__grid_passable(f)) {
            g->x = fx;
            g->y = fy;
            ev |= RLC__GEV_MOVED;
            if (f.type == RLC__GO_GOAL) ev |= RLC__GEV_GOAL;
            if (f.type == RLC__GO_LAVA) ev |= RLC__GEV_LAVA;
        }
        break;
    case RLC__GA_PICKUP:
        if ((f.type == RLC__GO_KEY || f.type == RLC__GO_BALL || f.type == RLC__GO_BOX) &&
            g->carrying.type == RLC__GO_EMPTY) {
            g->carrying = f;
            rlc__grid_set(g, fx, fy, RLC__GO_EMPTY, 0, 0);
            ev |= RLC__GEV_PICKUP;
        }
        break;
    case RLC__GA_DROP:
        if (f.type == RLC__GO_EMPTY && g->carrying.type != RLC__GO_EMPTY) {
            rlc__grid_set(g, fx, fy, g->carrying.type, g->carrying.color, g->carrying.state);
            g->carrying = (rlc__gcell){RLC__GO_EMPTY, 0, 0};
            ev |= RLC__GEV_DROP;
        }
        break;
    case RLC__GA_TOGGLE:
        if (f.type == RLC__GO_DOOR) {
            if (f.state == RLC__GD_LOCKED) {
                if (g->carrying.type == RLC__GO_KEY && g->carrying.color == f.color) {
                    AT(g, fx, fy).state = RLC__GD_OPEN;
                    ev |= RLC__GEV_UNLOCK;
                }
            } else if (f.state == RLC__GD_OPEN) {
                AT(g, fx, fy).state = RLC__GD_CLOSED;
                ev |= RLC__GEV_CLOSE;
            } else {
                AT(g, fx, fy).state = RLC__GD_OPEN;
                ev |= RLC__GEV_OPEN;
            }
        } else if (f.type == RLC__GO_SWITCH) {
            AT(g, fx, fy).state ^= 1;
            ev |= RLC__GEV_SWITCH;
        }
        break;
    default: /* done: nothing happens */
        break;
    }
    return ev;
}

double rlc__grid_success_reward(const rlc__grid *g, int max_steps) {
    return 1.0 - 0.9 * ((double)g->steps / (double)max_steps);
}

static int in_dark(const rlc__grid_dark *d, int x, int y) {
    return d && d->on && x >= d->x0 && x < d->x1 && y >= d->y0 && y < d->y1;
}

static void put3(uint8_t *o, rlc__gcell c) {
    o[0] = c.type;
    o[1] = c.color;
    o[2] = c.state;
}

void rlc__grid_view(const rlc__grid *g, uint8_t *out, const rlc__grid_dark *dark, int blind,
                    uint8_t *vis_out, int *wx_out, int *wy_out) {
    enum { V = RLC__GRID_VIEW, MID = RLC__GRID_VIEW / 2 };
    rlc__gcell cell[V][V]; /* [i][j]: view column i, view row j */
    int wx[V][V], wy[V][V];
    uint8_t vis[V][V];
    int fdx = rlc__grid_dx[g->dir], fdy = rlc__grid_dy[g->dir];
    int rdx = -fdy, rdy = fdx; /* the agent's right */
    for (int i = 0; i < V; i++)
        for (int j = 0; j < V; j++) {
            int ahead = V - 1 - j, side = i - MID;
            int x = g->x + fdx * ahead + rdx * side, y = g->y + fdy * ahead + rdy * side;
            wx[i][j] = x;
            wy[i][j] = y;
            cell[i][j] = rlc__grid_get(g, x, y);
            vis[i][j] = 0;
        }
    cell[MID][V - 1] = g->carrying; /* the agent's own cell shows what it holds */
    /* Occlusion as MiniGrid's process_vis: light spreads from the agent row by row, away from
     * the agent, sideways and one row up, through cells that can be seen behind. */
    vis[MID][V - 1] = 1;
    for (int j = V - 1; j >= 0; j--) {
        for (int i = 0; i < V - 1; i++) {
            if (!vis[i][j] || !rlc__grid_see_behind(cell[i][j])) continue;
            vis[i + 1][j] = 1;
            if (j > 0) vis[i + 1][j - 1] = vis[i][j - 1] = 1;
        }
        for (int i = V - 1; i > 0; i--) {
            if (!vis[i][j] || !rlc__grid_see_behind(cell[i][j])) continue;
            vis[i - 1][j] = 1;
            if (j > 0) vis[i - 1][j - 1] = vis[i][j - 1] = 1;
        }
    }
    if (dark && dark->on)
        for (int i = 0; i < V; i++)
            for (int j = 0; j < V; j++) {
                int front = i == MID && j == V - 2;
                if (!front && (blind || in_dark(dark, wx[i][j], wy[i][j]))) vis[i][j] = 0;
            }
    for (int i = 0; i < V; i++)
        for (int j = 0; j < V; j++) {
            uint8_t *o = out + (i * V + j) * 3;
            if (vis[i][j])
                put3(o, cell[i][j]);
            else
                o[0] = o[1] = o[2] = 0;
            if (vis_out) vis_out[i * V + j] = vis[i][j];
            if (wx_out) wx_out[i * V + j] = wx[i][j];
            if (wy_out) wy_out[i * V + j] = wy[i][j];
        }
}

void rlc__grid_view_centered(const rlc__grid *g, uint8_t *out) {
    enum { V = RLC__GRID_VIEW, MID = RLC__GRID_VIEW / 2 };
    for (int i = 0; i < V; i++)
        for (int j = 0; j < V; j++)
            put3(out + (i * V + j) * 3, rlc__grid_get(g, g->x + i - MID, g->y + j - MID));
    put3(out + (MID * V + MID) * 3, (rlc__gcell){RLC__GO_AGENT, RLC__GC_RED, 0});
}

void rlc__grid_full(const rlc__grid *g, uint8_t *out, const rlc__grid_dark *dark, int hide_agent) {
    for (int x = 0; x < g->w; x++)
        for (int y = 0; y < g->h; y++) {
            uint8_t *o = out + ((size_t)x * g->h + y) * 3;
            if (in_dark(dark, x, y))
                o[0] = o[1] = o[2] = 0;
            else
                put3(o, AT(g, x, y));
        }
    if (!hide_agent)
        put3(out + ((size_t)g->x * g->h + g->y) * 3,
             (rlc__gcell){RLC__GO_AGENT, RLC__GC_RED, (uint8_t)g->dir});
}

void rlc__grid_observe_image(const rlc__grid *g, int mode, int directional, uint8_t *out) {
    if (mode == RLC__GOBS_FULL)
        rlc__grid_full(g, out, NULL, 0);
    else if (directional)
        rlc__grid_view(g, out, NULL, 0, NULL, NULL, NULL);
    else
        rlc__grid_view_centered(g, out);
}

int rlc__grid_clampv(double v, int lo, int hi) {
    double f = floor(v);
    return f < lo ? lo : f > hi ? hi : (int)f;
}

rlc_status rlc__grid_obs_space(rlc_space *s, int mode, int w, int h, int nsym, const double *lo,
                               const double *hi) {
    rlc_status st;
    if (mode == RLC__GOBS_SYMBOLIC) return rlc__space_box(s, RLC_SPACE_FLOAT32, nsym, lo, hi);
    int a = mode == RLC__GOBS_VIEW ? RLC__GRID_VIEW : w,
        b = mode == RLC__GOBS_VIEW ? RLC__GRID_VIEW : h;
    st = rlc__space_box_uniform(s, RLC_SPACE_UINT8, (int64_t)a * b * 3, 0, 255);
    if (st) return st;
    s->ndim = 3;
    s->shape[0] = a;
    s->shape[1] = b;
    s->shape[2] = 3;
    return RLC_OK;
}

void rlc__grid_maze(rlc__grid *g, rlc_rng *rng, int size) {
    enum { N = RLC__GRID_MAX / 2 };
    rlc__grid_clear(g, size, size);
    size = g->w;
    int n = (size - 1) / 2; /* rooms per side */
    for (int y = 1; y < size - 1; y++)
        for (int x = 1; x < size - 1; x++)
            AT(g, x, y) = (rlc__gcell){RLC__GO_WALL, RLC__GC_GREY, 0};
    uint8_t seen[N][N];
    int16_t stack[N * N][2];
    memset(seen, 0, sizeof seen);
    int sp = 0;
    stack[sp][0] = 0;
    stack[sp][1] = 0;
    sp++;
    seen[0][0] = 1;
    AT(g, 1, 1) = (rlc__gcell){RLC__GO_EMPTY, 0, 0};
    while (sp > 0) {
        int cx = stack[sp - 1][0], cy = stack[sp - 1][1];
        int cand[4], nc = 0;
        for (int d = 0; d < 4; d++) {
            int nx = cx + rlc__grid_dx[d], ny = cy + rlc__grid_dy[d];
            if (nx >= 0 && ny >= 0 && nx < n && ny < n && !seen[nx][ny]) cand[nc++] = d;
        }
        if (!nc) {
            sp--;
            continue;
        }
        int d = cand[rlc_rng_integers(rng, 0, nc)];
        int nx = cx + rlc__grid_dx[d], ny = cy + rlc__grid_dy[d];
        seen[nx][ny] = 1;
        AT(g, 2 * cx + 1 + rlc__grid_dx[d], 2 * cy + 1 + rlc__grid_dy[d]) =
            (rlc__gcell){RLC__GO_EMPTY, 0, 0};
        AT(g, 2 * nx + 1, 2 * ny + 1) = (rlc__gcell){RLC__GO_EMPTY, 0, 0};
        stack[sp][0] = (int16_t)nx;
        stack[sp][1] = (int16_t)ny;
        sp++;
    }
}

void rlc__grid_room_rect(int size, int room, int *x0, int *y0, int *x1, int *y1) {
    int mid = size / 2;
    *x0 = room & 1 ? mid + 1 : 1;
    *x1 = room & 1 ? size - 1 : mid;
    *y0 = room & 2 ? mid + 1 : 1;
    *y1 = room & 2 ? size - 1 : mid;
}

void rlc__grid_four_rooms(rlc__grid *g, rlc_rng *rng, int size) {
    rlc__grid_clear(g, size, size);
    size = g->w;
    int mid = size / 2;
    for (int i = 0; i < size; i++) {
        rlc__grid_set(g, mid, i, RLC__GO_WALL, RLC__GC_GREY, 0);
        rlc__grid_set(g, i, mid, RLC__GO_WALL, RLC__GC_GREY, 0);
    }
    /* gaps: vertical wall above and below the centre, horizontal wall left and right */
    int up = (int)rlc_rng_integers(rng, 1, mid);
    int down = (int)rlc_rng_integers(rng, mid + 1, size - 1);
    int left = (int)rlc_rng_integers(rng, 1, mid);
    int right = (int)rlc_rng_integers(rng, mid + 1, size - 1);
    rlc__grid_set(g, mid, up, RLC__GO_EMPTY, 0, 0);
    rlc__grid_set(g, mid, down, RLC__GO_EMPTY, 0, 0);
    rlc__grid_set(g, left, mid, RLC__GO_EMPTY, 0, 0);
    rlc__grid_set(g, right, mid, RLC__GO_EMPTY, 0, 0);
}

/* ---- Rendering ---- */

static const uint32_t COLORS[6] = {RLC__RGB(255, 0, 0),   RLC__RGB(0, 255, 0),
                                   RLC__RGB(0, 0, 255),   RLC__RGB(112, 39, 195),
                                   RLC__RGB(255, 255, 0), RLC__RGB(100, 100, 100)};

static uint32_t color_of(int c) {
    return COLORS[c < 6 ? c : 5];
}

static uint32_t scale_rgb(uint32_t c, int num, int den) {
    uint32_t r = (c >> 16 & 255) * num / den, gg = (c >> 8 & 255) * num / den,
             b = (c & 255) * num / den;
    return RLC__RGB(r, gg, b);
}

typedef struct tile {
    const rlc__canvas *cv;
    double x, y, s; /* top-left corner and side in pixels */
} tile;

/* Rectangle in tile units [0, 1]. */
static void trect(const tile *t, double x0, double y0, double x1, double y1, uint32_t c) {
    rlc__draw_rect(t->cv, t->x + x0 * t->s, t->y + y0 * t->s, t->x + x1 * t->s, t->y + y1 * t->s,
                   c);
}

static void tdisc(const tile *t, double cx, double cy, double r, uint32_t c) {
    rlc__draw_circle(t->cv, t->x + cx * t->s, t->y + cy * t->s, r * t->s, c);
}

/* A cheap integer hash for the TV's noise pattern. */
static uint32_t mix(uint32_t v) {
    v ^= v >> 16;
    v *= 0x7feb352du;
    v ^= v >> 15;
    v *= 0x846ca68bu;
    v ^= v >> 16;
    return v;
}

static void draw_cell(const tile *t, rlc__gcell c) {
    uint32_t col = color_of(c.color);
    switch (c.type) {
    case RLC__GO_WALL:
        trect(t, 0, 0, 1, 1, color_of(RLC__GC_GREY));
        break;
    case RLC__GO_FLOOR:
        trect(t, 0.03, 0.03, 1, 1, scale_rgb(col, 1, 2));
        break;
    case RLC__GO_GOAL:
        trect(t, 0, 0, 1, 1, RLC__RGB(0, 255, 0));
        break;
    case RLC__GO_LAVA:
        trect(t, 0, 0, 1, 1, RLC__RGB(255, 128, 0));
        for (int k = 0; k < 3; k++)
            trect(t, 0.15, 0.3 + 0.2 * k, 0.85, 0.34 + 0.2 * k, RLC__RGB(0, 0, 0));
        break;
    case RLC__GO_DOOR:
        if (c.state == RLC__GD_OPEN) {
            trect(t, 0.88, 0, 1, 1, col);
            trect(t, 0, 0, 1, 0.12, col);
        } else {
            trect(t, 0, 0, 1, 1, col);
            trect(t, 0.06, 0.06, 0.94, 0.94,
                  c.state == RLC__GD_LOCKED ? scale_rgb(col, 45, 100) : RLC__RGB(0, 0, 0));
            if (c.state == RLC__GD_LOCKED)
                trect(t, 0.52, 0.45, 0.75, 0.55, col); /* key slot */
            else
                tdisc(t, 0.75, 0.5, 0.08, col); /* handle */
        }
        break;
    case RLC__GO_KEY:
        trect(t, 0.5, 0.31, 0.63, 0.88, col);
        trect(t, 0.38, 0.59, 0.5, 0.66, col);
        trect(t, 0.38, 0.81, 0.5, 0.88, col);
        tdisc(t, 0.56, 0.28, 0.19, col);
        tdisc(t, 0.56, 0.28, 0.064, RLC__RGB(0, 0, 0));
        break;
    case RLC__GO_BALL:
        tdisc(t, 0.5, 0.5, 0.31, col);
        break;
    case RLC__GO_BOX:
        trect(t, 0.12, 0.12, 0.88, 0.88, col);
        trect(t, 0.18, 0.18, 0.82, 0.82, RLC__RGB(0, 0, 0));
        trect(t, 0.12, 0.47, 0.88, 0.53, col);
        break;
    case RLC__GO_TV: { /* a 4x4 pattern of colours that changes with the noise it shows */
        uint32_t h = mix(c.state * 2654435761u + 12345u), h2 = mix(h);
        trect(t, 0.05, 0.05, 0.95, 0.95, RLC__RGB(40, 40, 40));
        for (int k = 0; k < 16; k++) {
            uint32_t bits = (k < 8 ? h >> (4 * k) : h2 >> (4 * (k - 8))) & 15;
            uint32_t v = 40 + bits * 14;
            uint32_t cc = RLC__RGB(bits & 1 ? v : 30, bits & 2 ? v : 30, bits & 4 ? v : 30);
            double x0 = 0.1 + 0.2 * (k & 3), y0 = 0.1 + 0.2 * (k >> 2);
            trect(t, x0, y0, x0 + 0.2, y0 + 0.2, cc);
        }
        break;
    }
    case RLC__GO_SWITCH:
        trect(t, 0.3, 0.2, 0.7, 0.8, RLC__RGB(200, 200, 200));
        if (c.state)
            trect(t, 0.42, 0.25, 0.58, 0.5, RLC__RGB(255, 255, 0));
        else
            trect(t, 0.42, 0.5, 0.58, 0.75, RLC__RGB(60, 60, 60));
        break;
    default:
        break;
    }
}

rlc_status rlc__grid_render(const rlc__grid *g, uint8_t *rgb, int width, int height,
                            int directional, const rlc__grid_dark *dark) {
    rlc__canvas cv = {rgb, width, height};
    rlc__draw_clear(&cv, RLC__RGB(0, 0, 0));
    double s = fmin((double)width / g->w, (double)height / g->h);
    double ox = (width - s * g->w) / 2, oy = (height - s * g->h) / 2;
    double line = s / 32 > 1 ? s / 32 : 1;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            tile t = {&cv, ox + x * s, oy + y * s, s};
            rlc__gcell c = AT(g, x, y);
            if (c.type != RLC__GO_WALL) { /* grid lines on the top and left edges */
                rlc__draw_rect(&cv, t.x, t.y, t.x + s, t.y + line, RLC__RGB(100, 100, 100));
                rlc__draw_rect(&cv, t.x, t.y, t.x + line, t.y + s, RLC__RGB(100, 100, 100));
            }
            draw_cell(&t, c);
        }
    tile t = {&cv, ox + g->x * s, oy + g->y * s, s};
    if (directional) { /* triangle pointing east, rotated to the agent's direction */
        const double pts[6] = {0.12, 0.19, 0.87, 0.5, 0.12, 0.81};
        double xy[6];
        int fdx = rlc__grid_dx[g->dir & 3], fdy = rlc__grid_dy[g->dir & 3];
        for (int k = 0; k < 3; k++) {
            double u = pts[2 * k] - 0.5, v = pts[2 * k + 1] - 0.5;
            xy[2 * k] = t.x + (0.5 + u * fdx - v * fdy) * s;
            xy[2 * k + 1] = t.y + (0.5 + u * fdy + v * fdx) * s;
        }
        rlc__draw_polygon(&cv, xy, 3, RLC__RGB(255, 0, 0));
    } else {
        tdisc(&t, 0.5, 0.5, 0.32, RLC__RGB(255, 0, 0));
    }
    if (dark && dark->on) { /* dim the dark cells to a quarter */
        int px0 = (int)ceil(ox + dark->x0 * s - 0.5), px1 = (int)ceil(ox + dark->x1 * s - 0.5);
        int py0 = (int)ceil(oy + dark->y0 * s - 0.5), py1 = (int)ceil(oy + dark->y1 * s - 0.5);
        for (int py = py0 < 0 ? 0 : py0; py < py1 && py < height; py++)
            for (int px = px0 < 0 ? 0 : px0; px < px1 && px < width; px++) {
                uint8_t *p = rgb + ((size_t)py * width + px) * 3;
                p[0] >>= 2;
                p[1] >>= 2;
                p[2] >>= 2;
            }
    }
    return RLC_OK;
}
