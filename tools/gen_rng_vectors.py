#!/usr/bin/python3
"""Writes tests/data/rng_vectors.txt: NumPy Generator(PCG64) reference draws for
tests/core/test_rng.c. Run with Debian's python3-numpy: /usr/bin/python3 tools/gen_rng_vectors.py

Format: one command per line, tokens separated by spaces, '#' starts a comment line. A seeding
line starts a fresh generator; every other line draws from the current one, in file order, and
lists the expected results after '='.

    seed S [words W0 W1 ...]     default_rng(S), S decimal of any size; its 32-bit entropy words
    stream S K                   default_rng(SeedSequence(S, spawn_key=(K,)))
    pool P0 P1 P2 P3             SeedSequence pool (u32, decimal) of the current seed
    gen G0 G1 G2 G3              SeedSequence.generate_state(4, uint64) (hex)
    state STATE INC              PCG64 state and increment (128-bit hex) right after seeding
    u64 N = ...                  bit_generator.random_raw(), hex
    u32 N = ...                  NumPy's next_uint32 (buffered half of a 64-bit draw), hex
    random N = ...               Generator.random()
    randomf N = ...              Generator.random(dtype=float32), widened to double
    uniform LO HI N = ...        Generator.uniform(LO, HI)
    normal N = ...               Generator.standard_normal()
    gauss MEAN STD N = ...       Generator.normal(MEAN, STD)
    integers LO HI N = ...       Generator.integers(LO, HI) (int64), one call per value
    perm N = ...                 Generator.permutation(N)
    shufrows N M = ...           Generator.shuffle on arange(N*M).reshape(N, M) (int32): rows
    choice K P0 .. PK-1 N = ...  Generator.choice(K, p=P), one call per value
    normstats N = SUM XOR NT I:V ...
                                 N standard normals: their left-to-right float64 sum, the XOR of
                                 their IEEE bit patterns (hex), the count NT of |x| > 3.4 and
                                 each of those as index:value

Floats are Python reprs (exact through strtod).
"""
import ctypes
import json
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GOLDEN = "/work/shared/golden/seeding_vectors.jsonl"

out = []


def emit(line):
    out.append(line)


def fmt_floats(xs):
    return " ".join(repr(float(x)) for x in xs)


def int_words(n):
    """NumPy's int -> uint32 array (least significant first, 0 -> [0])."""
    if n == 0:
        return [0]
    w = []
    while n > 0:
        w.append(n & 0xFFFFFFFF)
        n >>= 32
    return w


def start(seed, stream=None):
    if stream is None:
        ss = np.random.SeedSequence(seed)
        emit("seed %d words %s" % (seed, " ".join(str(w) for w in int_words(seed))))
    else:
        ss = np.random.SeedSequence(seed, spawn_key=(stream,))
        if stream < 100:  # spawn() materialises every child
            child = np.random.SeedSequence(seed).spawn(stream + 1)[stream]
            assert ss.generate_state(4, np.uint64).tolist() == \
                child.generate_state(4, np.uint64).tolist()
        emit("stream %d %d" % (seed, stream))
    g = np.random.Generator(np.random.PCG64(ss))
    emit("pool " + " ".join(str(int(p)) for p in ss.pool))
    emit("gen " + " ".join("0x%016x" % int(v) for v in ss.generate_state(4, np.uint64)))
    st = g.bit_generator.state["state"]
    emit("state 0x%032x 0x%032x" % (st["state"], st["inc"]))
    return g


def next_u32(g):
    c = g.bit_generator.ctypes
    return c.next_uint32(c.state)


def op_u64(g, n):
    emit("u64 %d = %s" % (n, " ".join("0x%016x" % int(v) for v in g.bit_generator.random_raw(n))))


def op_u32(g, n):
    emit("u32 %d = %s" % (n, " ".join("0x%08x" % next_u32(g) for _ in range(n))))


def op_random(g, n):
    emit("random %d = %s" % (n, fmt_floats(g.random() for _ in range(n))))


def op_randomf(g, n):
    emit("randomf %d = %s" % (n, fmt_floats(g.random(dtype=np.float32) for _ in range(n))))


def op_uniform(g, lo, hi, n):
    emit("uniform %r %r %d = %s" % (lo, hi, n, fmt_floats(g.uniform(lo, hi) for _ in range(n))))


def op_normal(g, n):
    emit("normal %d = %s" % (n, fmt_floats(g.standard_normal() for _ in range(n))))


def op_gauss(g, mean, std, n):
    emit("gauss %r %r %d = %s" % (mean, std, n, fmt_floats(g.normal(mean, std) for _ in range(n))))


def op_integers(g, lo, hi, n):
    vals = [int(g.integers(lo, hi)) for _ in range(n)]
    assert all(lo <= v < hi for v in vals)
    emit("integers %d %d %d = %s" % (lo, hi, n, " ".join(str(v) for v in vals)))


def op_perm(g, n):
    emit("perm %d = %s" % (n, " ".join(str(int(v)) for v in g.permutation(n))))


def op_shufrows(g, n, m):
    a = np.arange(n * m, dtype=np.int32).reshape(n, m)
    g.shuffle(a)
    emit("shufrows %d %d = %s" % (n, m, " ".join(str(int(v)) for v in a.ravel())))


def op_choice(g, p, n):
    vals = [int(g.choice(len(p), p=p)) for _ in range(n)]
    emit("choice %d %s %d = %s" % (len(p), fmt_floats(p), n, " ".join(str(v) for v in vals)))


def op_normstats(g, n):
    x = g.standard_normal(n)
    s = 0.0
    for v in x.tolist():
        s += v
    xor = int(np.bitwise_xor.reduce(x.view(np.uint64)))
    tail = [(i, float(v)) for i, v in enumerate(x.tolist()) if abs(v) > 3.4]
    emit("normstats %d = %r 0x%016x %d %s" % (n, s, xor, len(tail),
                                             " ".join("%d:%r" % t for t in tail)))
    return x


def golden_vectors():
    """The shared golden seeding vectors, checked against NumPy, in this file's format."""
    if not os.path.exists(GOLDEN):
        return
    emit("# from %s" % GOLDEN)
    for line in open(GOLDEN):
        rec = json.loads(line)
        seed = int(rec["seed"])
        ss = np.random.SeedSequence(seed)
        assert [int(p) for p in ss.pool] == rec["pool_u32"]
        assert int_words(seed) == rec["entropy_words_u32"]
        g = np.random.Generator(np.random.PCG64(ss))
        st = g.bit_generator.state["state"]
        assert st["state"] == int(rec["pcg_state_u128"], 16)
        assert st["inc"] == int(rec["pcg_inc_u128"], 16)
        assert [int(v) for v in g.bit_generator.random_raw(4)] == [int(v, 16)
                                                                  for v in rec["first4_u64"]]
        emit("seed %d words %s" % (seed, " ".join(str(w) for w in rec["entropy_words_u32"])))
        emit("pool " + " ".join(str(p) for p in rec["pool_u32"]))
        emit("gen " + " ".join(rec["generate_state_u64"]))
        emit("state %s %s" % (rec["pcg_state_u128"], rec["pcg_inc_u128"]))
        emit("u64 4 = " + " ".join(rec["first4_u64"]))
        emit("seed %d" % seed)
        emit("random 4 = " + fmt_floats(rec["first4_random"]))
        emit("seed %d" % seed)
        emit("uniform -0.05 0.05 4 = " + fmt_floats(rec["first4_uniform_m0.05_0.05"]))
        emit("seed %d" % seed)
        emit("normal 4 = " + fmt_floats(rec["first4_standard_normal"]))


def main():
    emit("# NumPy %s Generator(PCG64) reference draws, written by tools/gen_rng_vectors.py."
         % np.__version__)
    emit("# Format: see the script's docstring.")
    golden_vectors()

    seeds = [0, 1, 2, 7, 42, 123, 12345, 2**31 - 1, 2**32 - 1, 2**32, 2**32 + 1, 2**53 + 1,
             2**63, 2**64 - 1, 2**64, 2**64 + 1, 2**96 + 5, 2**128 - 1, 2**128, 2**128 + 7,
             2**200 + 12345, 10**50, 3**300]
    emit("# seeding, raw outputs and the basic doubles")
    for s in seeds:
        g = start(s)
        op_u64(g, 8)
        g = np.random.default_rng(s)
        emit("seed %d" % s)
        op_random(g, 6)
        op_uniform(g, -0.05, 0.05, 4)
        op_normal(g, 6)

    emit("# child streams")
    for s, k in [(0, 0), (0, 1), (42, 0), (42, 7), (42, 2**32 + 3), (2**64 - 1, 2**64 - 1),
                 (12345, 99)]:
        g = start(s, k)
        op_u64(g, 4)
        op_random(g, 2)

    emit("# buffered 32-bit draws interleaved with 64-bit ones")
    g = start(42)
    op_u32(g, 3)
    op_u64(g, 1)
    op_u32(g, 1)
    op_random(g, 1)
    op_u32(g, 2)
    op_integers(g, 0, 10, 3)
    op_random(g, 1)
    op_integers(g, 0, 10, 1)
    op_u64(g, 1)
    op_randomf(g, 5)
    op_u32(g, 1)

    emit("# doubles")
    g = start(3)
    op_uniform(g, -np.pi, np.pi, 5)
    op_uniform(g, -1.0, 1.0, 5)
    op_uniform(g, 0.0, 1e-300, 2)
    op_uniform(g, -1e300, 1e300, 3)
    op_uniform(g, 5.0, 5.0, 1)
    op_gauss(g, 0.0, 0.1, 5)
    op_gauss(g, 10.0, 3.0, 5)
    op_gauss(g, -2.5, 0.0, 2)
    op_randomf(g, 4)

    emit("# standard normals in bulk: ziggurat tail (|x| > r) and wedge paths")
    for s in (7, 2024):
        g = start(s)
        x = op_normstats(g, 100000)
        assert (np.abs(x) > 3.6541528853610088).sum() > 5
        op_u64(g, 2)
    g = start(99)
    op_normal(g, 2000)
    op_u64(g, 1)

    emit("# bounded integers: 32-bit Lemire, the exact 2^32 range, 64-bit Lemire")
    ranges = [(0, 2), (0, 10), (5, 6), (-5, 5), (-100, -50), (0, 7), (0, 1000003),
              (0, 2**31 + 1), (-2**31, 2**31 - 1), (0, 2**32 - 1), (0, 2**32), (-2**31, 2**31),
              (7, 2**32 + 7), (0, 2**32 + 1), (-2**31, 2**31 + 1), (0, 2**33), (0, 2**40 + 17),
              (-2**62, 2**62), (0, 2**63 - 1), (-2**63, 1), (-2**63, 2**63 - 1),
              (2**63 - 10, 2**63 - 1), (-2**63, -2**63 + 3), (1, 3 * 2**61)]
    for i, (lo, hi) in enumerate(ranges):
        g = start(1000 + i)
        op_integers(g, lo, hi, 40)
        op_u64(g, 1)
    g = start(5)
    for lo, hi in ranges:
        op_integers(g, lo, hi, 3)
    op_u32(g, 2)

    emit("# permutations and shuffles (masked rejection on buffered 32-bit draws)")
    g = start(11)
    for n in (0, 1, 2, 3, 5, 10, 17, 100, 1000):
        op_perm(g, n)
    op_u32(g, 1)
    g = start(12)
    op_shufrows(g, 9, 3)
    op_shufrows(g, 40, 1)
    op_u64(g, 1)

    emit("# weighted choice")
    g = start(13)
    op_choice(g, [0.1, 0.2, 0.7], 20)
    op_choice(g, [0.5, 0.5], 10)
    op_choice(g, [1.0], 3)
    op_choice(g, [0.0, 0.0, 1.0, 0.0], 5)
    op_choice(g, [0.25, 0.0, 0.25, 0.5, 0.0], 20)
    rs = np.random.default_rng(77)
    p = rs.random(100)
    p = p / p.sum()
    op_choice(g, p.tolist(), 30)
    op_u64(g, 1)

    path = os.path.join(ROOT, "tests", "data", "rng_vectors.txt")
    with open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (os.path.normpath(path), len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
