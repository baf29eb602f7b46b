"""Python-side vector-env throughput: rlc.make_vec("CartPole-v1") stepped from Python with
pre-generated random int64 actions (drawing them is not timed), in env steps per second for
64 and 1024 envs, with copies of the returned arrays (the default) and with copy=False views;
then the C figure of bench/bench_vec_env for comparison when its binary is found.
Targets: >= 3 M steps/s at 64 envs and >= 15 M at 1024.

Usage: RLC_LIB=build/release/librlc.so /usr/bin/python3 bench/bench_python.py [seconds per cell]
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import numpy as np  # noqa: E402

import rlc  # noqa: E402

POOL = 64  # pre-drawn action batches cycled through
TARGETS = {64: 3e6, 1024: 15e6}


def bench(n, secs, threads=1, copy=True, env_id="CartPole-v1"):
    v = rlc.make_vec(env_id, n, threads=threads, copy=copy)
    rng = np.random.default_rng(1)
    pool = rng.integers(0, 2, size=(POOL, n), dtype=np.int64)
    v.reset(seed=0)
    step = v.step
    for k in range(50):  # warm up
        step(pool[k % POOL])
    steps = 0
    t0 = time.perf_counter()
    while True:
        for k in range(POOL):
            step(pool[k])
        steps += POOL
        t = time.perf_counter()
        if t - t0 >= secs:
            break
    v.close()
    return steps * n / (t - t0)


def c_figures(secs):
    """Runs bench_vec_env of the build next to librlc.so (or build/bench) if it exists."""
    lib_dir = os.path.dirname(rlc.LIB_PATH)
    for cand in (os.path.join(lib_dir, "bench", "bench_vec_env"),
                 os.path.join(HERE, "..", "build", "bench", "bench", "bench_vec_env"),
                 os.path.join(HERE, "..", "build", "release", "bench", "bench_vec_env")):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            out = subprocess.run([cand, str(secs)], capture_output=True, text=True,
                                 env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
            return cand, out.stdout
    return None, None


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print("rlc Python vector env throughput, CartPole-v1, million env steps per second "
          "(%.1f s per cell, library %s)" % (secs, rlc.LIB_PATH))
    print("%6s %8s %12s %14s %8s" % ("N", "threads", "copy=True", "copy=False", "target"))
    ok = True
    for n in (64, 1024):
        for threads in (1, 2):
            a = bench(n, secs, threads, True)
            b = bench(n, secs, threads, False)
            tgt = TARGETS[n]
            note = ""
            if threads == 1:  # the targets are for the serial path
                ok &= a >= tgt
                note = "%5.0f M %s" % (tgt / 1e6, "met" if a >= tgt else "MISSED")
            print("%6d %8d %12.2f %14.2f %s" % (n, threads, a / 1e6, b / 1e6, note))
    path, out = c_figures(min(secs, 0.5))
    if out:
        print("\nC figures (%s):" % path)
        print(out.rstrip())
    else:
        print("\n(no bench_vec_env binary found; `make bench` builds it)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
