/* The env registry: one line per id (env type, time limit, reward threshold, default kwargs),
 * lookup with "did you mean" suggestions, and key=value kwargs parsing. */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/aero/aero_impl.h"
#include "env/classic/classic_impl.h"
#include "env/env_impl.h"
#include "env/grid/grid_impl.h"
#include "env/mujoco/mujoco_impl.h"
#include "env/trading/trading_impl.h"

typedef struct entry {
    const char *id;
    const rlc__env_def *def;
    int64_t max_episode_steps; /* 0 = none */
    double reward_threshold;   /* NAN = none */
    const char *kwargs;        /* defaults applied before the user's, or NULL */
} entry;

/* The registry: add a line here for a new env (ids and numbers as Gymnasium registers them). */
static const entry ENTRIES[] = {
    {"CartPole-v0", &rlc__cartpole_def, 200, 195.0, NULL},
    {"CartPole-v1", &rlc__cartpole_def, 500, 475.0, NULL},
    {"MountainCar-v0", &rlc__mountaincar_def, 200, -110.0, NULL},
    {"MountainCarContinuous-v0", &rlc__mountaincar_continuous_def, 999, 90.0, NULL},
    {"Pendulum-v1", &rlc__pendulum_def, 200, NAN, NULL},
    {"Acrobot-v1", &rlc__acrobot_def, 500, -100.0, NULL},
    {"CartPoleSwingUp-v0", &rlc__cartpole_swingup_def, 500, NAN, NULL},
    /* Grid worlds (src/env/grid/, docs/grid.md): MiniGrid-like rooms, mazes, Montezuma-like
     * rooms, factored switches, noisy-TV and dark rooms. MiniGrid-like time limits equal the
     * envs' default reward horizons (MiniGrid's max_steps) for the registered sizes. */
    {"GridEmpty-5x5-v0", &rlc__grid_empty_def, 100, NAN, "size=5"},
    {"GridEmpty-8x8-v0", &rlc__grid_empty_def, 256, NAN, NULL},
    {"GridEmpty-16x16-v0", &rlc__grid_empty_def, 1024, NAN, "size=16"},
    {"GridDoorKey-5x5-v0", &rlc__grid_doorkey_def, 250, NAN, "size=5"},
    {"GridDoorKey-8x8-v0", &rlc__grid_doorkey_def, 640, NAN, NULL},
    {"GridDoorKey-16x16-v0", &rlc__grid_doorkey_def, 2560, NAN, "size=16"},
    {"GridMaze-v0", &rlc__grid_maze_def, 900, NAN, NULL},
    {"KeyDoorRooms-v0", &rlc__keydoor_rooms_def, 400, NAN, NULL},
    {"Switches-v0", &rlc__switches_def, 100, NAN, NULL},
    {"NoisyTV-v0", &rlc__noisy_tv_def, 484, NAN, NULL},
    {"DarkRoom-v0", &rlc__dark_room_def, 484, NAN, NULL},
    /* Quadrotors (src/env/aero/, docs/quadrotor.md): Crazyflie-like RK4 simulator, RPM actions. */
    {"QuadHover-v0", &rlc__quad_hover_def, 500, NAN, NULL},
    {"QuadTrack-v0", &rlc__quad_track_def, 1000, NAN, NULL},
    {"Quad2DHover-v0", &rlc__quad2d_hover_def, 500, NAN, NULL},
    {"MultiQuadHover-v0", &rlc__quad_multi_def, 500, NAN, NULL},
    {"QuadLeaderFollower-v0", &rlc__quad_leader_def, 1000, NAN, NULL},
    /* Trading (src/env/trading/, docs/trading.md): synthetic cointegrated pair, minute bars. */
    {"PairsTrading-v0", &rlc__pairs_trading_def, 0, NAN, NULL},
#ifdef RLC_HAVE_MUJOCO /* MuJoCo (Gymnasium v4/v5 on libmujoco; src/env/mujoco/) */
    {"HalfCheetah-v4", &rlc__half_cheetah_v4_def, 1000, 4800.0, NULL},
    {"HalfCheetah-v5", &rlc__half_cheetah_v5_def, 1000, 4800.0, NULL},
    {"Hopper-v4", &rlc__hopper_v4_def, 1000, 3800.0, NULL},
    {"Hopper-v5", &rlc__hopper_v5_def, 1000, 3800.0, NULL},
    {"Walker2d-v4", &rlc__walker2d_v4_def, 1000, NAN, NULL},
    {"Walker2d-v5", &rlc__walker2d_v5_def, 1000, NAN, NULL},
    {"Ant-v4", &rlc__ant_v4_def, 1000, 6000.0, NULL},
    {"Ant-v5", &rlc__ant_v5_def, 1000, 6000.0, NULL},
    {"InvertedPendulum-v4", &rlc__inverted_pendulum_v4_def, 1000, 950.0, NULL},
    {"InvertedPendulum-v5", &rlc__inverted_pendulum_v5_def, 1000, 950.0, NULL},
    {"InvertedDoublePendulum-v4", &rlc__inverted_double_pendulum_v4_def, 1000, 9100.0, NULL},
    {"InvertedDoublePendulum-v5", &rlc__inverted_double_pendulum_v5_def, 1000, 9100.0, NULL},
    {"Reacher-v4", &rlc__reacher_v4_def, 50, -3.75, NULL},
    {"Reacher-v5", &rlc__reacher_v5_def, 50, -3.75, NULL},
    {"Swimmer-v4", &rlc__swimmer_v4_def, 1000, 360.0, NULL},
    {"Swimmer-v5", &rlc__swimmer_v5_def, 1000, 360.0, NULL},
    {"Humanoid-v4", &rlc__humanoid_v4_def, 1000, NAN, NULL},
    {"Humanoid-v5", &rlc__humanoid_v5_def, 1000, NAN, NULL},
#endif
};

#define NENTRIES ((int)(sizeof ENTRIES / sizeof ENTRIES[0]))

static rlc_env_spec g_specs[NENTRIES];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build_specs(void) {
    for (int i = 0; i < NENTRIES; i++) {
        const entry *e = &ENTRIES[i];
        g_specs[i] =
            (rlc_env_spec){e->id,     e->def->summary, e->max_episode_steps, e->reward_threshold,
                           e->kwargs, e->def->nparams, e->def->params};
    }
}

static const rlc_env_spec *specs(void) {
    pthread_once(&g_once, build_specs);
    return g_specs;
}

int rlc_env_registry_count(void) {
    return NENTRIES;
}

const rlc_env_spec *rlc_env_registry_get(int i) {
    if (i < 0 || i >= NENTRIES) return NULL;
    return &specs()[i];
}

const rlc_env_spec *rlc_env_registry_find(const char *id) {
    if (!id) return NULL;
    const rlc_env_spec *s = specs();
    for (int i = 0; i < NENTRIES; i++)
        if (!strcmp(s[i].id, id)) return &s[i];
    return NULL;
}

const rlc__env_def *rlc__registry_def(const rlc_env_spec *spec) {
    const rlc_env_spec *s = specs();
    if (spec < s || spec >= s + NENTRIES) return NULL;
    return ENTRIES[spec - s].def;
}

int rlc__edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 127 || lb > 127) return (int)(la > lb ? la : lb);
    int prev[128], cur[128];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            cur[j] = v;
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

/* The parameter every env has besides its own. */
static const rlc_env_param MAX_STEPS_PARAM = {
    "max_episode_steps",
    RLC_PARAM_INT,
    0,
    0,
    4.0e18,
    0,
    "time limit: truncated = (steps since reset >= max_episode_steps); 0 = none"};

/* "gravity, masscart, ..., max_episode_steps" */
static void known_keys(const rlc__env_def *def, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i <= def->nparams; i++) {
        const char *k = i < def->nparams ? def->params[i].name : MAX_STEPS_PARAM.name;
        int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", k);
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
    }
}

static void trim(const char **s, const char **e) {
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* Parses one value; RLC_OK and *out, or an error naming key and value. */
static rlc_status parse_value(const char *id, const rlc_env_param *p, const char *text,
                              double *out) {
    double v;
    if (p->type == RLC_PARAM_BOOL) {
        if (!strcmp(text, "1") || !strcmp(text, "true") || !strcmp(text, "True") ||
            !strcmp(text, "yes"))
            v = 1;
        else if (!strcmp(text, "0") || !strcmp(text, "false") || !strcmp(text, "False") ||
                 !strcmp(text, "no"))
            v = 0;
        else
            return rlc_error(RLC_ERR_INVALID,
                             "bad value '%s' for keyword '%s' of %s: expected true/false or 1/0",
                             text, p->name, id);
        *out = v;
        return RLC_OK;
    }
    char *end;
    v = strtod(text, &end);
    if (end == text || *end)
        return rlc_error(RLC_ERR_INVALID, "bad value '%s' for keyword '%s' of %s: expected %s",
                         text, p->name, id, p->type == RLC_PARAM_INT ? "an integer" : "a number");
    if (!isfinite(v))
        return rlc_error(RLC_ERR_RANGE, "bad value '%s' for keyword '%s' of %s: must be finite",
                         text, p->name, id);
    if (p->type == RLC_PARAM_INT && v != floor(v))
        return rlc_error(RLC_ERR_INVALID,
                         "bad value '%s' for keyword '%s' of %s: expected an integer", text,
                         p->name, id);
    if (v < p->lo || (p->lo_open && v == p->lo) || v > p->hi) {
        char range[96];
        if (isinf(p->hi) || p->hi >= 1e18)
            snprintf(range, sizeof range, "must be %s %g", p->lo_open ? ">" : ">=", p->lo);
        else
            snprintf(range, sizeof range, "must be in %s%g, %g]", p->lo_open ? "(" : "[", p->lo,
                     p->hi);
        return rlc_error(RLC_ERR_RANGE, "value %s for keyword '%s' of %s is out of range: %s", text,
                         p->name, id, range);
    }
    *out = v;
    return RLC_OK;
}

/* Applies one kwargs string onto vals/max_steps (seen[] tracks duplicates within it). */
static rlc_status apply(const rlc_env_spec *spec, const rlc__env_def *def, const char *kwargs,
                        double *vals, int64_t *max_steps, rlc__kwarg_strings *strs,
                        size_t *used) {
    char seen[65] = {0};
    const char *p = kwargs;
    while (p && *p) {
        const char *tok = p, *tend = strchr(p, ',');
        if (!tend) tend = p + strlen(p);
        p = *tend ? tend + 1 : tend;
        trim(&tok, &tend);
        if (tok == tend) continue;
        const char *eq = memchr(tok, '=', (size_t)(tend - tok));
        char key[64], val[1024];
        if (!eq || (size_t)(tend - tok) >= sizeof val) {
            int n = (int)(tend - tok);
            return rlc_error(RLC_ERR_INVALID,
                             "malformed keyword argument '%.*s' for %s: expected key=value",
                             n > 80 ? 80 : n, tok, spec->id);
        }
        const char *ks = tok, *ke = eq, *vs = eq + 1, *ve = tend;
        trim(&ks, &ke);
        trim(&vs, &ve);
        if (ke - ks >= (long)sizeof key || ks == ke)
            return rlc_error(RLC_ERR_INVALID, "malformed keyword argument '%.*s' for %s",
                             (int)(tend - tok), tok, spec->id);
        memcpy(key, ks, (size_t)(ke - ks));
        key[ke - ks] = 0;
        memcpy(val, vs, (size_t)(ve - vs));
        val[ve - vs] = 0;
        int idx = -1;
        for (int i = 0; i < def->nparams; i++)
            if (!strcmp(def->params[i].name, key)) idx = i;
        if (!strcmp(key, MAX_STEPS_PARAM.name)) idx = def->nparams;
        if (idx < 0) {
            char known[512];
            known_keys(def, known, sizeof known);
            const char *best = NULL;
            int bd = 1 << 30;
            for (int i = 0; i <= def->nparams; i++) {
                const char *k = i < def->nparams ? def->params[i].name : MAX_STEPS_PARAM.name;
                int d = rlc__edit_distance(key, k);
                if (d < bd) {
                    bd = d;
                    best = k;
                }
            }
            if (best && bd <= (int)strlen(key) / 3 + 1)
                return rlc_error(RLC_ERR_INVALID,
                                 "unknown keyword '%s' for %s; known: %s; did you mean '%s'?", key,
                                 spec->id, known, best);
            return rlc_error(RLC_ERR_INVALID, "unknown keyword '%s' for %s; known: %s", key,
                             spec->id, known);
        }
        if (seen[idx])
            return rlc_error(RLC_ERR_INVALID, "keyword '%s' given twice for %s", key, spec->id);
        seen[idx] = 1;
        const rlc_env_param *par = idx < def->nparams ? &def->params[idx] : &MAX_STEPS_PARAM;
        if (par->type == RLC_PARAM_STRING) {
            size_t n = strlen(val);
            if (!n)
                return rlc_error(RLC_ERR_INVALID, "empty value for keyword '%s' of %s", key,
                                 spec->id);
            if (*used + n + 1 > sizeof strs->buf)
                return rlc_error(RLC_ERR_INVALID,
                                 "value of keyword '%s' of %s is too long (%zu bytes)", key,
                                 spec->id, n);
            memcpy(strs->buf + *used, val, n + 1);
            strs->off[idx] = (int)*used;
            *used += n + 1;
            vals[idx] = 1;
            continue;
        }
        double v = 0;
        rlc_status st = parse_value(spec->id, par, val, &v);
        if (st) return st;
        if (idx < def->nparams)
            vals[idx] = v;
        else
            *max_steps = (int64_t)v;
    }
    return RLC_OK;
}

rlc_status rlc__parse_kwargs(const rlc_env_spec *spec, const rlc__env_def *def, const char *kwargs,
                             double *vals, int64_t *max_steps, rlc__kwarg_strings *strs) {
    double v[64] = {0};
    int64_t ms = spec->max_episode_steps;
    size_t used = 0;
    if (def->nparams > 64) return rlc_error(RLC_ERR_INVALID, "%s: too many parameters", spec->id);
    for (int i = 0; i < 64; i++)
        strs->off[i] = -1;
    for (int i = 0; i < def->nparams; i++)
        v[i] = def->params[i].type == RLC_PARAM_STRING ? 0 : def->params[i].default_value;
    rlc_status st = apply(spec, def, spec->kwargs, v, &ms, strs, &used);
    if (!st) st = apply(spec, def, kwargs, v, &ms, strs, &used);
    if (st) return st;
    memcpy(vals, v, (size_t)def->nparams * sizeof *v);
    *max_steps = ms;
    return RLC_OK;
}

rlc_status rlc__apply_kwarg_strings(const rlc_env_spec *spec, const rlc__env_def *def, void *self,
                                    const rlc__kwarg_strings *strs) {
    for (int i = 0; i < def->nparams && i < 64; i++) {
        if (strs->off[i] < 0) continue;
        if (!def->set_string)
            return rlc_error(RLC_ERR_UNSUPPORTED, "%s: keyword '%s' takes no string", spec->id,
                             def->params[i].name);
        rlc_status st = def->set_string(self, i, strs->buf + strs->off[i]);
        if (st) return st;
    }
    return RLC_OK;
}
