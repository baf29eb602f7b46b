/* Pairs trading (roadmap row 55): helpers around the PairsTrading-v0 environment (a synthetic
 * cointegrated pair, see docs/trading.md): the z-score threshold (Bollinger) rule and the
 * annualised Sharpe ratio used by `rlc experiment pairs-trading`.
 *
 * PairsTrading-v0 observations (float32, 6): z-score of the spread over the lookback window,
 * the 1-, 5- and 20-bar spread changes divided by the window's std, the position (-1, 0, 1) and
 * the fraction of the trading day elapsed. Actions: 0 = short the spread, 1 = flat, 2 = long.
 * Reward per bar = position x spread change - cost x |position change| (spread units), so the
 * sum of rewards is the PnL after costs. */
#ifndef RLC_TRADING_H
#define RLC_TRADING_H

#include "rlc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Observation layout of PairsTrading-v0. */
enum {
    RLC_PAIRS_OBS_Z = 0,
    RLC_PAIRS_OBS_D1 = 1,
    RLC_PAIRS_OBS_D5 = 2,
    RLC_PAIRS_OBS_D20 = 3,
    RLC_PAIRS_OBS_POS = 4,
    RLC_PAIRS_OBS_TIME = 5,
    RLC_PAIRS_OBS_DIM = 6,
    /* with regime_features=1: two more features over a long window of 4 x lookback bars */
    RLC_PAIRS_OBS_ZLONG = 6, /* z-score of the spread over the long window */
    RLC_PAIRS_OBS_VOLR = 7,  /* log(std over lookback / std over the long window) */
    RLC_PAIRS_OBS_MAX = 8
};
/* Actions of PairsTrading-v0. */
enum { RLC_PAIRS_SHORT = 0, RLC_PAIRS_FLAT = 1, RLC_PAIRS_LONG = 2 };

/* One-minute bars in a year: 390 per trading day x 252 days. */
#define RLC_PAIRS_BARS_PER_YEAR 98280.0

/* The z-score threshold rule on one PairsTrading-v0 observation: flat -> short the spread when
 * z > entry, long when z < -entry; long -> flat once z >= -exit (short when z > entry);
 * short -> flat once z <= exit (long when z < -entry). The classic setting is entry 2, exit
 * 0.5. Returns the action (RLC_PAIRS_*). */
RLC_API int64_t rlc_pairs_threshold_action(const float *obs, double entry, double exit);

/* Annualised Sharpe ratio of per-period PnL x[n]: mean / std (sample std, n - 1) x
 * sqrt(periods_per_year). 0 when n < 2 or the std is 0 (no trades: no risk, no return). */
RLC_API double rlc_sharpe_ratio(const double *x, int64_t n, double periods_per_year);

#ifdef __cplusplus
}
#endif
#endif
