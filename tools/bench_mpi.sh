#!/usr/bin/env bash
# Data-parallel scaling of `rlc train` (PPO on CartPole-v1, or ENV/ALGO from the environment):
# K = 1 (one process), 2 and 4 ranks (oversubscribed when the machine has fewer cores), the
# same global budget of STEPS env steps, num_envs = NUM_ENVS per rank and n_steps = 32.
# Prints env steps/s and updates/s (wall clock), user CPU seconds, and the scaling efficiency
# (steps/s with K ranks / (K x steps/s with 1)). Usage: tools/bench_mpi.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build/release}
RLC=$BUILD/rlc
ENV=${ENV:-CartPole-v1}
ALGO=${ALGO:-ppo}
STEPS=${STEPS:-65536}
NUM_ENVS=${NUM_ENVS:-4}
NSTEPS=32
export OPENBLAS_NUM_THREADS=1
command -v mpirun > /dev/null || { echo "mpirun not found (install openmpi-bin)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "%-3s %12s %12s %10s %10s %10s\n" K "steps/s" "updates/s" "wall s" "user s" efficiency
base=""
for K in 1 2 4; do
    args=(train --env "$ENV" --algo "$ALGO" --steps "$STEPS" --seed 1 --quiet --out "$tmp/k$K"
          --set num_envs="$NUM_ENVS" --set n_steps=$NSTEPS --checkpoint-every "$STEPS")
    if [ "$K" = 1 ]; then
        cmd=("$RLC" "${args[@]}")
    else
        cmd=(mpirun --allow-run-as-root --oversubscribe -np "$K" "$RLC" "${args[@]}")
    fi
    /usr/bin/time -f "%e %U" -o "$tmp/time" "${cmd[@]}" > "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
    read -r wall user < "$tmp/time"
    # every rank does STEPS / (K * NUM_ENVS * NSTEPS) updates, one allreduce'd step each
    python3 - "$K" "$wall" "$user" "$STEPS" "$NUM_ENVS" "$NSTEPS" "${base:-0}" > "$tmp/row" <<'PY'
import sys
K, wall, user, steps, ne, ns, base = (float(x) for x in sys.argv[1:])
sps = steps / wall
ups = steps / (K * ne * ns) / wall
eff = sps / (K * base) if base > 0 else 1.0
print(f"{int(K):<3d} {sps:12.0f} {ups:12.2f} {wall:10.2f} {user:10.2f} {eff:10.2f}")
PY
    cat "$tmp/row"
    [ "$K" = 1 ] && base=$(awk '{print $2}' "$tmp/row")
done
