/* Experiments of roadmap rows 55 and 57 (src/experiments/stream_x.c, pairs_trading.c). */
#ifndef RLC_EXP_STREAM_PAIRS_H
#define RLC_EXP_STREAM_PAIRS_H

#include "experiments/exp_impl.h"
#include "rlc/agent.h"

rlc_status rlc__exp_stream_x(const rlc_experiment_options *o, rlc_experiment_result *res);
rlc_status rlc__exp_pairs_trading(const rlc_experiment_options *o, rlc_experiment_result *res);

#endif
