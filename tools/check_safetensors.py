#!/usr/bin/python3
"""Independent check of a safetensors file with plain NumPy (no safetensors package needed):
parses the header, validates it as the reference implementation does, prints every tensor and
the metadata, and exits non-zero on any problem.

    /usr/bin/python3 tools/check_safetensors.py FILE [--dump NAME]   # --dump prints the values

Not part of the C test runner (it needs Python); useful to confirm interop by hand.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # raw bits: NumPy has no bfloat16
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"), "U32": np.dtype("<u4"), "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"), "F8_E4M3": np.dtype("u1"), "F8_E5M2": np.dtype("u1"),
}
MAX_HEADER = 100_000_000


def fail(msg):
    sys.exit("check_safetensors: " + msg)


def load(path):
    raw = open(path, "rb").read()
    if len(raw) < 8:
        fail("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or n > len(raw) - 8:
        fail("header length %d exceeds the file or the limit" % n)
    text = raw[8:8 + n].decode("utf-8")
    if not text.startswith("{"):
        fail("header does not start with '{'")

    def no_dups(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            fail("duplicate keys in header: %r" % keys)
        return dict(pairs)

    header = json.loads(text.rstrip(" "), object_pairs_hook=no_dups)
    meta = header.pop("__metadata__", {})
    if not all(isinstance(v, str) for v in meta.values()):
        fail("metadata values must be strings")
    buf = raw[8 + n:]
    spans = []
    tensors = {}
    for name, info in header.items():
        dt = DTYPES.get(info["dtype"])
        if dt is None:
            fail("tensor %r: unknown dtype %r" % (name, info["dtype"]))
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if end - begin != nbytes or begin > end:
            fail("tensor %r: offsets [%d, %d] do not match shape %r" % (name, begin, end, shape))
        spans.append((begin, end, name))
        tensors[name] = np.frombuffer(buf, dtype=dt, count=nbytes // dt.itemsize,
                                      offset=begin).reshape(shape) if nbytes else \
            np.zeros(shape, dtype=dt)
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            fail("tensor %r starts at %d, expected %d (gap or overlap)" % (name, begin, pos))
        pos = end
    if pos != len(buf):
        fail("data buffer is %d bytes, tensors cover %d" % (len(buf), pos))
    if (8 + n) % 8:
        print("note: header not padded to a multiple of 8", file=sys.stderr)
    return header, meta, tensors


def main(argv):
    if len(argv) < 2:
        fail("usage: check_safetensors.py FILE [--dump NAME]")
    header, meta, tensors = load(argv[1])
    for k, v in meta.items():
        print("meta %s = %r" % (k, v))
    for name, info in header.items():
        t = tensors[name]
        print("%-40s %-5s %-16s [%d, %d]" % (name, info["dtype"], list(t.shape),
                                            *info["data_offsets"]))
    if len(argv) >= 4 and argv[2] == "--dump":
        np.set_printoptions(threshold=1000, floatmode="unique")
        print(tensors[argv[3]])
    print("ok: %d tensors, %d metadata entries" % (len(tensors), len(meta)))


if __name__ == "__main__":
    main(sys.argv)
