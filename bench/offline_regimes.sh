#!/bin/sh
# Issue #6's regimes table: D4RL-style datasets of four regimes made with rlc's own agents, then
# BC, TD3+BC, IQL and CQL trained on each over SEEDS seeds with `rlc bench learn --dataset`,
# reported as D4RL-normalised scores (IQM and 95% stratified-bootstrap CI).
#   random         N steps of the uniform random policy
#   medium         N steps of a partly trained policy (stochastic actions)
#   medium-replay  every transition of that policy's training run (`rlc train --record-dataset`)
#   expert         N steps of a fully trained policy (stochastic actions)
# Pendulum-v1 (N = 50,000): medium = PPO after 102,400 steps, expert = SAC after 20,000 steps.
# HalfCheetah-v4 (N = 100,000): medium = SAC after 40,000 steps, expert = SAC after 100,000.
# Hopper-v4 (N = 100,000): medium = TD3 after 60,000 steps, expert = TD3 after 200,000.
# (The MuJoCo runs use data/defaults' tuned SAC/TD3 settings; docs/mujoco.md.)
# Reference scores: random = the random dataset's mean episode return, expert = the expert
# dataset's. Networks 64x64 with learning rates 1e-3 and standardised observations (the
# Pendulum-sized setting of the offline tests and `rlc experiment harness`; CQL at 256x256
# runs ~13 updates/s here), UPDATES gradient steps per run. Training runs and datasets already
# in OUT are reused (training is deterministic), so an interrupted script can be rerun.
# Usage: [ENV=Hopper-v4] [JOBS=2] bench/offline_regimes.sh [RLC_BINARY] [OUT] [SEEDS] [UPDATES]
# (JOBS: seeds trained at once by `rlc bench learn --jobs`; the results do not depend on it.)
set -e
RLC=${1:-build/release/rlc}
OUT=${2:-runs/offline_regimes}
SEEDS=${3:-5}
UPDATES=${4:-5000}
ENV=${ENV:-Pendulum-v1}
JOBS=${JOBS:-1}
case $ENV in
Pendulum-v1) N=50000 EXPERT="sac 20000 0" MEDIUM="ppo 102400 0" ;;
HalfCheetah-v4) N=100000 EXPERT="sac 100000 0" MEDIUM="sac 40000 1" ;;
Hopper-v4) N=100000 EXPERT="td3 200000 0" MEDIUM="td3 60000 1" ;;
*) echo "offline_regimes.sh: no recipe for ENV=$ENV" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
train() { # algo steps seed dir [extra args]
    a=$1 n=$2 sd=$3 dir=$4
    shift 4
    [ -f "$dir/final.safetensors" ] ||
        "$RLC" train --env "$ENV" --algo "$a" --steps "$n" --seed "$sd" --quiet --force --out "$dir" "$@"
}
# shellcheck disable=SC2086
train $EXPERT "$OUT/expert-run"
# shellcheck disable=SC2086
train $MEDIUM "$OUT/medium-run" --record-dataset "$OUT/medium-replay"
collect() { # policy seed name
    [ -d "$OUT/$3" ] ||
        "$RLC" dataset collect --env "$ENV" --policy "$1" --steps "$N" --seed "$2" --out "$OUT/$3"
}
collect random 100 random
collect "$OUT/medium-run/final.safetensors" 200 medium
collect "$OUT/expert-run/final.safetensors" 300 expert
ret() { "$RLC" dataset info "$1" | awk '$1 == "return_mean" {print $2}'; }
LO=$(ret "$OUT/random")
HI=$(ret "$OUT/expert")
echo "reference scores: random $LO, expert $HI"
for d in random medium medium-replay expert; do
    echo "dataset $d: $("$RLC" dataset info "$OUT/$d" | awk '$1 == "steps" || $1 == "return_mean" {printf "%s %s  ", $1, $2}')"
done
printf '| dataset | BC | TD3+BC | IQL | CQL |\n|---|---|---|---|---|\n' > "$OUT/table.md"
for d in random medium medium-replay expert; do
    row="| $d |"
    for a in bc td3bc iql cql; do
        case $a in
        bc) sets="--set lr=1e-3" ;;
        td3bc) sets="--set policy_lr=1e-3 --set q_lr=1e-3" ;;
        iql) sets="--set policy_lr=1e-3 --set q_lr=1e-3 --set v_lr=1e-3 --set norm_obs=1" ;;
        cql) sets="--set policy_lr=1e-3 --set q_lr=1e-3 --set norm_obs=1" ;;
        esac
        # shellcheck disable=SC2086
        grep -q '^normalised score' "$OUT/$a-$d.log" 2>/dev/null ||
            "$RLC" bench learn --algo $a --dataset "$OUT/$d" --seeds "$SEEDS" --steps "$UPDATES" \
                --set hidden=64 $sets --set eval_every="$UPDATES" --ref-min "$LO" --ref-max "$HI" \
                --jobs "$JOBS" --force --out "$OUT/$a-$d" > "$OUT/$a-$d.log"
        cell=$(awk '/^normalised score/ {gsub(/,/, "", $9); print $9 " " $12 " " $13}' "$OUT/$a-$d.log")
        echo "$a on $d: $cell ($(awk '/wall time/ {print $3 " s"}' "$OUT/$a-$d.log"))"
        row="$row $cell |"
    done
    echo "$row" >> "$OUT/table.md"
done
cat "$OUT/table.md"
