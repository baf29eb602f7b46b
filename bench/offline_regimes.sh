#!/bin/sh
# Issue #6's table for Pendulum-v1: D4RL-style datasets of four regimes made with rlc's own
# agents, then BC, TD3+BC, IQL and CQL trained on each over SEEDS seeds with `rlc bench learn
# --dataset`, reported as D4RL-normalised scores (IQM and 95% stratified-bootstrap CI).
#   random         50,000 steps of the uniform random policy
#   medium         50,000 steps of a PPO policy trained for 102,400 steps (stochastic actions)
#   medium-replay  every transition of that PPO run (`rlc train --record-dataset`)
#   expert         50,000 steps of a SAC policy trained for 20,000 steps (stochastic actions)
# Reference scores: random = the random dataset's mean episode return, expert = the expert
# dataset's. Networks 64x64 with learning rates 1e-3 and standardised observations (the
# Pendulum-sized setting of the offline tests and `rlc experiment harness`; CQL at 256x256
# runs ~13 updates/s here), UPDATES gradient steps per run.
# Usage: bench/offline_regimes.sh [RLC_BINARY] [OUT] [SEEDS] [UPDATES]
set -e
RLC=${1:-build/release/rlc}
OUT=${2:-runs/offline_regimes}
SEEDS=${3:-5}
UPDATES=${4:-5000}
ENV=Pendulum-v1
mkdir -p "$OUT"
"$RLC" train --env $ENV --algo sac --steps 20000 --seed 0 --quiet --force --out "$OUT/expert-run"
"$RLC" train --env $ENV --algo ppo --steps 102400 --seed 0 --quiet --force --out "$OUT/medium-run" \
    --record-dataset "$OUT/medium-replay"
"$RLC" dataset collect --env $ENV --policy random --steps 50000 --seed 100 --out "$OUT/random"
"$RLC" dataset collect --env $ENV --policy "$OUT/medium-run/final.safetensors" --steps 50000 \
    --seed 200 --out "$OUT/medium"
"$RLC" dataset collect --env $ENV --policy "$OUT/expert-run/final.safetensors" --steps 50000 \
    --seed 300 --out "$OUT/expert"
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
        "$RLC" bench learn --algo $a --dataset "$OUT/$d" --seeds "$SEEDS" --steps "$UPDATES" \
            --set hidden=64 $sets --set eval_every="$UPDATES" --ref-min "$LO" --ref-max "$HI" \
            --force --out "$OUT/$a-$d" > "$OUT/$a-$d.log"
        cell=$(awk '/^normalised score/ {gsub(/,/, "", $9); print $9 " " $12 " " $13}' "$OUT/$a-$d.log")
        echo "$a on $d: $cell ($(awk '/wall time/ {print $3 " s"}' "$OUT/$a-$d.log"))"
        row="$row $cell |"
    done
    echo "$row" >> "$OUT/table.md"
done
cat "$OUT/table.md"
