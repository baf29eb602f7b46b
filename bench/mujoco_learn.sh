#!/bin/sh
# The MuJoCo learning benchmarks of issue #5: SAC on HalfCheetah-v4 and TD3 on Hopper-v4, 200k
# env steps each with the tuned settings of data/defaults/{sac,td3}.json (CleanRL/SB3 MuJoCo
# hyperparameters). Targets: SAC >= 3000 and TD3 >= 1000. Each run also writes eval.csv
# (10 deterministic episodes every 10,000 steps, which leaves the run unchanged), then the
# final policy is evaluated with rlc eval.
# Usage: bench/mujoco_learn.sh [RLC_BINARY] [OUT_PREFIX] [SEED]
# Runs one after the other; prints wall and user CPU time of each (GNU time).
set -e
RLC=${1:-build/release/rlc}
OUT=${2:-runs/mujoco_learn}
SEED=${3:-0}
STEPS=${STEPS:-200000}
TIME="/usr/bin/time -f %U_user_s_%e_wall_s"
$TIME "$RLC" train --env HalfCheetah-v4 --algo sac --steps "$STEPS" --seed "$SEED" \
    --out "$OUT/sac-HalfCheetah-v4-s$SEED" --force --eval-every 10000
"$RLC" eval --checkpoint "$OUT/sac-HalfCheetah-v4-s$SEED/final.safetensors" --episodes 10
$TIME "$RLC" train --env Hopper-v4 --algo td3 --steps "$STEPS" --seed "$SEED" \
    --out "$OUT/td3-Hopper-v4-s$SEED" --force --eval-every 10000
"$RLC" eval --checkpoint "$OUT/td3-Hopper-v4-s$SEED/final.safetensors" --episodes 10
