/* rlc: reinforcement learning in C. Including this header gives the whole public API. */
#ifndef RLC_RLC_H
#define RLC_RLC_H

#include "rlc/core.h"
#include "rlc/graph.h"
#include "rlc/rng.h"
#include "rlc/env.h"
#include "rlc/safetensors.h"
#include "rlc/vec_env.h"
#include "rlc/wrappers.h"
#include "rlc/image.h"
#include "rlc/config.h"
#include "rlc/log.h"
#include "rlc/nn.h"
#include "rlc/optim.h"
#include "rlc/agent.h"
#include "rlc/goexplore.h"
#include "rlc/rlif.h"
#include "rlc/tabular.h"
#include "rlc/experiment.h"
#include "rlc/quadrotor.h"
#include "rlc/dataset.h"
#include "rlc/offline.h"
#include "rlc/sac.h"
#include "rlc/td3.h"
#include "rlc/dqn.h"
#include "rlc/stream.h"
#include "rlc/trading.h"
#include "rlc/replay.h"
#include "rlc/dist.h"

#endif
