#!/bin/bash
# Builds bench_quad_gpu from the simulator's sources alone (no OpenBLAS, HDF5, MuJoCo, MPI,
# cJSON, libpng or giflib), for a GPU machine that has nvcc and a C compiler but not rlc's
# other dependencies:   bash bench/quad_gpu_standalone.sh OUT_BINARY
set -euo pipefail
out=${1:?usage: quad_gpu_standalone.sh OUT_BINARY}
cd "$(dirname "$0")/.."
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
CUDA_HOME=${NVCC%/bin/nvcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$NVCC" -O3 --fmad=false -std=c++17 -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code='[sm_90,compute_90]' -Iinclude -Isrc \
  -c src/env/aero/quad_cuda.cu -o "$tmp/quad_cuda.o"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -ffp-contract=off -fno-trapping-math -Wall -Wextra -Werror \
  -Iinclude -Isrc -DRLC_HAVE_CUDA=1 bench/bench_quad_gpu.c src/env/aero/quadrotor.c \
  src/env/aero/quad_batch.c src/env/aero/quad_gpu.c src/core/alloc.c src/core/error.c \
  src/core/rng.c src/core/rng_ziggurat.c "$tmp/quad_cuda.o" \
  -L"$CUDA_HOME/lib64" -lcudart_static -ldl -lrt -lstdc++ -lpthread -lm -o "$out"
echo "built $out"
