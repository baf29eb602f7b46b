#!/bin/sh
# Checks that an nvcc can build rlc's CUDA object and that the static CUDA runtime links with
# the C compiler, and prints the linker flags that worked (nothing when CUDA is unusable; the
# reason goes to stderr). The Makefile runs it once per build folder and caches the answer
# there, so a machine with nvcc but no usable runtime library builds rlc without CUDA instead
# of failing at the link.
#
#   tools/cuda_probe.sh NVCC CC WORKDIR [nvcc gencode flags...]
set -u
nvcc=$1 cc=$2 dir=$3
shift 3
mkdir -p "$dir" || exit 0
src=$dir/probe.cu obj=$dir/probe.o main=$dir/probe_main.c exe=$dir/probe
cat > "$src" <<'EOF'
#include <cuda_runtime.h>
__global__ static void k(float *x) { x[threadIdx.x] += 1.0f; }
extern "C" int rlc_probe_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) n = -1;
    k<<<1, 1>>>(nullptr);
    return n;
}
EOF
printf 'int rlc_probe_count(void);\nint main(void) { return rlc_probe_count() < -1; }\n' > "$main"
if ! "$nvcc" -O1 -std=c++17 "$@" -Xcompiler -fPIC -c "$src" -o "$obj" 2> "$dir/probe.log"; then
    echo "rlc: $nvcc cannot compile CUDA here (see $dir/probe.log); building without CUDA" >&2
    exit 0
fi
home=$(dirname "$(dirname "$nvcc")")
for libdir in "$home/lib64" "$home/lib" "$home"/targets/*/lib /usr/lib/x86_64-linux-gnu \
              /usr/lib/aarch64-linux-gnu /usr/local/cuda/lib64; do
    [ -f "$libdir/libcudart_static.a" ] || continue
    flags="-L$libdir -lcudart_static -ldl -lrt -lpthread -lstdc++"
    # shellcheck disable=SC2086
    if "$cc" "$main" "$obj" -o "$exe" $flags >> "$dir/probe.log" 2>&1; then
        rm -f "$src" "$obj" "$main" "$exe"
        echo "$flags"
        exit 0
    fi
done
echo "rlc: nvcc found ($nvcc) but no libcudart_static.a that links (see $dir/probe.log);" \
     "building without CUDA" >&2
exit 0
