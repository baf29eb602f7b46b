/* PairsTrading-v0: a synthetic cointegrated pair for statistical arbitrage (roadmap row 55).
 * The spread s = B - beta A of two prices follows a discrete Ornstein-Uhlenbeck process
 * s' = s + theta (mu - s) + sigma eps with Markov regime switches (a slower, more volatile
 * regime; the equilibrium mu jumps at each switch: cointegration breaks). The agent holds -1, 0
 * or +1 unit of the spread; reward = position x spread change - cost x |position change|. An
 * episode is one trading day of minute bars, closed (with its cost) at the end. Every random
 * draw comes from the env's RNG (fresh market each episode) or, with market_seed >= 0, from a
 * fixed market path generated once (walk-forward windows over one history). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "env/trading/trading_impl.h"
#include "io/draw_impl.h"
#include "rlc/trading.h"

#define RING 512 /* >= lookback + 21 */

enum {
    P_THETA,
    P_VOL,
    P_COST,
    P_SWITCH,
    P_RREV,
    P_RVOL,
    P_JUMP,
    P_LOOKBACK,
    P_EPLEN,
    P_MSEED,
    P_MLEN,
    P_WSTART,
    P_WLEN,
    P_RSTART,
    P_BETA,
    P_RISK,
    P_REGF,
    P_N
};

static const rlc_env_param PARAMS[P_N] = {
    {"mean_reversion", RLC_PARAM_REAL, 0.05, 0, 1, 0,
     "theta: pull of the spread toward its equilibrium per bar (0: random walk)"},
    {"vol", RLC_PARAM_REAL, 0.3, 0, 1e6, 1, "sigma: std of the spread's noise per bar"},
    {"cost", RLC_PARAM_REAL, 0.05, 0, 1e6, 0, "cost per unit of position change (spread units)"},
    {"switch_prob", RLC_PARAM_REAL, 0.002, 0, 1, 0, "per-bar probability of a regime switch"},
    {"regime_reversion", RLC_PARAM_REAL, 0.2, 0, 1e6, 0, "theta multiplier in the second regime"},
    {"regime_vol", RLC_PARAM_REAL, 1.5, 0, 1e6, 1, "sigma multiplier in the second regime"},
    {"mean_jump", RLC_PARAM_REAL, 1.0, 0, 1e6, 0,
     "std of the equilibrium's jump at a regime switch (in units of the stationary std)"},
    {"lookback", RLC_PARAM_INT, 60, 2, RING - 21, 0, "bars of the rolling z-score window"},
    {"episode_length", RLC_PARAM_INT, 390, 1, 1e9, 0, "bars per episode (one trading day)"},
    {"market_seed", RLC_PARAM_INT, -1, -1, 9007199254740991.0, 0,
     ">= 0: one fixed market path from this seed (walk-forward); -1: a new path per episode"},
    {"market_length", RLC_PARAM_INT, 100000, 1, 1e8, 0, "bars of the fixed market path"},
    {"window_start", RLC_PARAM_INT, 0, 0, 1e8, 0,
     "fixed path: first bar episodes may use (raised to the feature history)"},
    {"window_length", RLC_PARAM_INT, 0, 0, 1e8, 0,
     "fixed path: bars of the window (0: to the end of the path)"},
    {"random_start", RLC_PARAM_BOOL, 1, 0, 1, 0,
     "fixed path: start episodes at a random bar of the window (else at its first bar)"},
    {"hedge_ratio", RLC_PARAM_REAL, 1.0, 0, 1e6, 1, "beta of B = beta A + spread (prices only)"},
    {"risk_aversion", RLC_PARAM_REAL, 0, 0, 1e6, 0,
     "lambda of the mean-variance reward PnL - lambda/2 (position x spread change)^2 (0: PnL)"},
    {"regime_features", RLC_PARAM_BOOL, 0, 0, 1, 0,
     "two more observations over a 4 x lookback window: its z-score and log(std ratio)"},
};

typedef struct pairs_state {
    double ring[RING]; /* recent spreads; ring[head] is the newest */
    double mu;         /* equilibrium level */
    double price_a;
    int64_t t;   /* bars into the episode */
    int64_t bar; /* fixed path: index of the newest bar */
    int32_t head, regime, pos, pad;
} pairs_state;

typedef struct pairs {
    double theta, sigma, cost, p_switch, rrev, rvol, jump, beta, sd0, risk;
    int lookback, hist, regf, longw;
    int64_t ep_len;
    int64_t mseed, mlen, wstart, wend; /* fixed path: episodes use bars [wstart, wend) */
    int rstart;
    double *path;     /* fixed path spreads [mlen] (NULL: fresh paths) */
    int32_t *pregime; /* its regimes */
    pairs_state s;
} pairs;

/* One bar of the market from rng: regime switch, equilibrium jump, OU step, price A. */
static void market_step(const pairs *e, rlc_rng *rng, double *s, double *mu, int32_t *regime,
                        double *price_a) {
    if (e->p_switch > 0 && rlc_rng_random(rng) < e->p_switch) {
        *regime ^= 1;
        if (e->jump > 0) *mu += e->jump * e->sd0 * rlc_rng_normal(rng);
    }
    double th = *regime ? e->theta * e->rrev : e->theta;
    double sg = *regime ? e->sigma * e->rvol : e->sigma;
    if (th > 1) th = 1;
    *s = *s + th * (*mu - *s) + sg * rlc_rng_normal(rng);
    *price_a += 0.1 * rlc_rng_normal(rng);
}

static void pairs_fini(void *self) {
    pairs *e = self;
    rlc_free(e->path);
    rlc_free(e->pregime);
    e->path = NULL;
    e->pregime = NULL;
}

static rlc_status pairs_init(void *self, const double *v, rlc_space *obs, rlc_space *act) {
    pairs *e = self;
    e->theta = v[P_THETA];
    e->sigma = v[P_VOL];
    e->cost = v[P_COST];
    e->risk = v[P_RISK];
    e->p_switch = v[P_SWITCH];
    e->rrev = v[P_RREV];
    e->rvol = v[P_RVOL];
    e->jump = v[P_JUMP];
    e->lookback = (int)v[P_LOOKBACK];
    e->regf = v[P_REGF] != 0;
    e->longw = 4 * e->lookback < RING - 21 ? 4 * e->lookback : RING - 21;
    e->hist = e->lookback > 20 ? e->lookback : 20;
    if (e->regf && e->longw > e->hist) e->hist = e->longw;
    e->ep_len = (int64_t)v[P_EPLEN];
    e->mseed = (int64_t)v[P_MSEED];
    e->mlen = (int64_t)v[P_MLEN];
    e->rstart = v[P_RSTART] != 0;
    e->beta = v[P_BETA];
    /* stationary std of the base regime (sigma when there is no mean reversion) */
    e->sd0 = e->theta > 0 ? e->sigma / sqrt(e->theta * (2 - e->theta)) : e->sigma;
    if (e->mseed >= 0) {
        int64_t ws = (int64_t)v[P_WSTART], wl = (int64_t)v[P_WLEN];
        if (ws < e->hist) ws = e->hist;
        int64_t we = wl > 0 ? ws + wl : e->mlen;
        if (we > e->mlen || ws >= we)
            return rlc_error(RLC_ERR_RANGE,
                             "PairsTrading: window [%lld, %lld) does not fit the %lld-bar market "
                             "path (the first %d bars are feature history)",
                             (long long)ws, (long long)we, (long long)e->mlen, e->hist);
        if (we - ws < 2)
            return rlc_error(RLC_ERR_RANGE, "PairsTrading: the window needs at least 2 bars");
        e->wstart = ws;
        e->wend = we;
        e->path = rlc_malloc(sizeof(double) * (size_t)e->mlen);
        e->pregime = rlc_malloc(sizeof(int32_t) * (size_t)e->mlen);
        if (!e->path || !e->pregime) {
            pairs_fini(e);
            return RLC_ERR_NOMEM;
        }
        rlc_rng rng;
        rlc_rng_seed(&rng, (uint64_t)e->mseed);
        double s = e->sd0 * rlc_rng_normal(&rng), mu = 0, pa = 100;
        int32_t rg = 0;
        for (int64_t i = 0; i < e->mlen; i++) {
            market_step(e, &rng, &s, &mu, &rg, &pa);
            e->path[i] = s;
            e->pregime[i] = rg;
        }
    }
    rlc__space_discrete(act, 3, 0);
    rlc_status st = rlc__space_box_uniform(obs, RLC_SPACE_FLOAT32,
                                           e->regf ? RLC_PAIRS_OBS_MAX : RLC_PAIRS_OBS_DIM,
                                           -INFINITY, INFINITY);
    if (st) pairs_fini(e);
    return st;
}

static double clip10(double x) {
    return x > 10 ? 10 : x < -10 ? -10 : x;
}

static double ring_at(const pairs_state *s, int back) {
    return s->ring[(s->head - back + RING) % RING];
}

/* Mean and std (floored at 1e-8) of the last n spreads. */
static void window_stats(const pairs_state *s, int n, double *mean, double *sd) {
    double m = 0, v = 0;
    for (int k = 0; k < n; k++)
        m += ring_at(s, k);
    m /= n;
    for (int k = 0; k < n; k++) {
        double d = ring_at(s, k) - m;
        v += d * d;
    }
    *mean = m;
    *sd = sqrt(v / n);
    if (*sd < 1e-8) *sd = 1e-8;
}

static void pairs_observe(const void *self, void *obs) {
    const pairs *e = self;
    const pairs_state *s = &e->s;
    double m, sd;
    window_stats(s, e->lookback, &m, &sd);
    double now = ring_at(s, 0);
    float *o = obs;
    o[RLC_PAIRS_OBS_Z] = (float)clip10((now - m) / sd);
    o[RLC_PAIRS_OBS_D1] = (float)clip10((now - ring_at(s, 1)) / sd);
    o[RLC_PAIRS_OBS_D5] = (float)clip10((now - ring_at(s, 5)) / sd);
    o[RLC_PAIRS_OBS_D20] = (float)clip10((now - ring_at(s, 20)) / sd);
    o[RLC_PAIRS_OBS_POS] = (float)s->pos;
    o[RLC_PAIRS_OBS_TIME] = (float)((double)s->t / (double)e->ep_len);
    if (e->regf) {
        double ml, sdl;
        window_stats(s, e->longw, &ml, &sdl);
        o[RLC_PAIRS_OBS_ZLONG] = (float)clip10((now - ml) / sdl);
        o[RLC_PAIRS_OBS_VOLR] = (float)clip10(log(sd / sdl));
    }
}

static void push(pairs_state *s, double x) {
    s->head = (s->head + 1) % RING;
    s->ring[s->head] = x;
}

static void pairs_reset(void *self, rlc_rng *rng, void *obs) {
    pairs *e = self;
    pairs_state *s = &e->s;
    memset(s, 0, sizeof *s);
    s->price_a = 100;
    if (e->path) {
        int64_t start = e->wstart;
        /* the episode may not run past the window end */
        int64_t last = e->wend - 1 - e->ep_len;
        if (e->rstart && last > start) start = rlc_rng_integers(rng, start, last + 1);
        for (int64_t i = start - e->hist; i <= start; i++)
            push(s, e->path[i]);
        s->bar = start;
        s->regime = e->pregime[start];
    } else {
        double x = e->sd0 * rlc_rng_normal(rng);
        push(s, x);
        for (int i = 0; i < e->hist; i++) {
            market_step(e, rng, &x, &s->mu, &s->regime, &s->price_a);
            push(s, x);
        }
    }
    pairs_observe(e, obs);
}

static void pairs_step(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                       int *terminated) {
    pairs *e = self;
    pairs_state *s = &e->s;
    int32_t np = (int32_t)(*(const int64_t *)action - 1);
    double r = -e->cost * fabs((double)(np - s->pos));
    double old = ring_at(s, 0), x = old;
    if (e->path) {
        s->bar++;
        x = e->path[s->bar];
        s->regime = e->pregime[s->bar];
    } else {
        market_step(e, rng, &x, &s->mu, &s->regime, &s->price_a);
    }
    push(s, x);
    const double gain = np * (x - old);
    r += gain - 0.5 * e->risk * gain * gain;
    s->pos = np;
    s->t++;
    int end = s->t >= e->ep_len || (e->path && s->bar >= e->wend - 1);
    if (end) { /* close the position at the end of the day */
        r -= e->cost * fabs((double)s->pos);
        s->pos = 0;
    }
    *terminated = end;
    *reward = r;
    pairs_observe(e, obs);
}

static void pairs_get(const void *self, double *v) {
    const pairs *e = self;
    v[0] = ring_at(&e->s, 0);
    v[1] = e->s.mu;
    v[2] = e->s.regime;
    v[3] = e->s.pos;
    v[4] = (double)e->s.t;
    v[5] = e->s.price_a;
}

static void pairs_set(void *self, const double *v) {
    pairs *e = self;
    e->s.ring[e->s.head] = v[0];
    e->s.mu = v[1];
    e->s.regime = v[2] != 0;
    e->s.pos = v[3] > 0.5 ? 1 : v[3] < -0.5 ? -1 : 0;
    e->s.t = v[4] < 0 ? 0 : (int64_t)v[4];
    e->s.price_a = v[5];
}

/* The spread over the last bars (up to RING - 1) with the z-score bands of the window, over a
 * strip coloured by the position (green long, red short, grey flat). */
static rlc_status pairs_render(const void *self, uint8_t *rgb, int width, int height) {
    const pairs *e = self;
    const pairs_state *s = &e->s;
    rlc__canvas c = {rgb, width, height};
    rlc__draw_clear(&c, RLC__RGB(255, 255, 255));
    int n = (int)(s->t + e->hist + 1);
    if (n > RING - 1) n = RING - 1;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < n; k++) {
        double x = ring_at(s, k);
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    float o[RLC_PAIRS_OBS_MAX];
    pairs_observe(e, o);
    double m = 0;
    for (int k = 0; k < e->lookback; k++)
        m += ring_at(s, k);
    m /= e->lookback;
    double now = ring_at(s, 0), sd = o[0] != 0 ? (now - m) / o[0] : 0;
    if (sd < 0) sd = -sd;
    if (m + 2 * sd > hi) hi = m + 2 * sd;
    if (m - 2 * sd < lo) lo = m - 2 * sd;
    if (hi - lo < 1e-9) hi = lo + 1;
    double top = 0.05 * height, bot = 0.85 * height;
#define YOF(x) (bot - ((x)-lo) / (hi - lo) * (bot - top))
    uint32_t band = RLC__RGB(200, 200, 230);
    rlc__draw_line(&c, 0, YOF(m + 2 * sd), width, YOF(m + 2 * sd), 1, band);
    rlc__draw_line(&c, 0, YOF(m - 2 * sd), width, YOF(m - 2 * sd), 1, band);
    rlc__draw_line(&c, 0, YOF(m), width, YOF(m), 1, RLC__RGB(160, 160, 160));
    double dx = n > 1 ? (double)width / (n - 1) : 0;
    for (int k = 0; k + 1 < n; k++) {
        double x0 = width - (k + 1) * dx, x1 = width - k * dx;
        rlc__draw_line(&c, x0, YOF(ring_at(s, k + 1)), x1, YOF(ring_at(s, k)), 1.5,
                       RLC__RGB(30, 60, 160));
    }
#undef YOF
    uint32_t pc = s->pos > 0   ? RLC__RGB(40, 170, 60)
                  : s->pos < 0 ? RLC__RGB(200, 50, 50)
                               : RLC__RGB(170, 170, 170);
    rlc__draw_rect(&c, 0, 0.9 * height, width, height, pc);
    return RLC_OK;
}

const rlc__env_def rlc__pairs_trading_def = {
    .name = "PairsTrading",
    .summary = "trade the spread of a synthetic cointegrated pair (OU, regime switches, costs)",
    .size = sizeof(pairs),
    .state_offset = offsetof(pairs, s),
    .state_size = sizeof(pairs_state),
    .state_dim = 6,
    .state_names = "spread,equilibrium,regime,position,t,price_a",
    .nparams = P_N,
    .params = PARAMS,
    .init = pairs_init,
    .reset = pairs_reset,
    .step = pairs_step,
    .observe = pairs_observe,
    .get_vector = pairs_get,
    .set_vector = pairs_set,
    .render = pairs_render,
    .fini = pairs_fini,
};

/* ---- helpers of rlc/trading.h ---- */

int64_t rlc_pairs_threshold_action(const float *obs, double entry, double exit) {
    double z = obs[RLC_PAIRS_OBS_Z];
    int pos = obs[RLC_PAIRS_OBS_POS] > 0.5 ? 1 : obs[RLC_PAIRS_OBS_POS] < -0.5 ? -1 : 0;
    if (z > entry) return RLC_PAIRS_SHORT;
    if (z < -entry) return RLC_PAIRS_LONG;
    if (pos > 0) return z >= -exit ? RLC_PAIRS_FLAT : RLC_PAIRS_LONG;
    if (pos < 0) return z <= exit ? RLC_PAIRS_FLAT : RLC_PAIRS_SHORT;
    return RLC_PAIRS_FLAT;
}

double rlc_sharpe_ratio(const double *x, int64_t n, double periods_per_year) {
    if (!x || n < 2) return 0;
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (int64_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    double sd = sqrt(v / (double)(n - 1));
    if (!(sd > 0)) return 0;
    return m / sd * sqrt(periods_per_year);
}
