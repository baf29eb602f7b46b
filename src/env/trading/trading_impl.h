/* Trading simulators (src/env/trading/): PairsTrading-v0, a synthetic cointegrated pair. */
#ifndef RLC_TRADING_IMPL_H
#define RLC_TRADING_IMPL_H

#include "env/env_impl.h"

extern const rlc__env_def rlc__pairs_trading_def;

#endif
