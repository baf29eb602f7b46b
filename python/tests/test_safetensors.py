"""Checkpoints: rlc.load_safetensors (pure Python + NumPy) reads files written by the C library,
and an MLP forward reproduced in NumPy from a checkpoint made through ctypes calls
(rlc_params_create / rlc_mlp_create / rlc_params_save) matches the C forward; the pure-Python
writer produces files the C reader accepts; malformed files raise FormatError."""

import ctypes
import json
import os
import struct
import unittest

import numpy as np

import rlc
from rlc import _lib as L
from helpers import TmpDirCase

lib = L.lib
P = ctypes.c_void_p


class Init(ctypes.Structure):
    _rlc_name_ = "rlc_init"
    _fields_ = [("kind", ctypes.c_int), ("gain", ctypes.c_double), ("lo", ctypes.c_double),
                ("hi", ctypes.c_double), ("value", ctypes.c_double), ("std", ctypes.c_double),
                ("sparsity", ctypes.c_double)]


class MlpSpec(ctypes.Structure):
    _rlc_name_ = "rlc_mlp_spec"
    _fields_ = [("sizes", ctypes.POINTER(ctypes.c_int)), ("nsizes", ctypes.c_int),
                ("act", ctypes.c_int), ("out_act", ctypes.c_int), ("act_param", ctypes.c_double),
                ("layer_norm", ctypes.c_int), ("ln_eps", ctypes.c_double),
                ("no_bias", ctypes.c_int), ("hidden_init", Init), ("hidden_bias_init", Init),
                ("out_init", Init), ("out_bias_init", Init)]


ACT_NONE, ACT_RELU, ACT_TANH = 0, 1, 2
LN_NONE, LN_AFFINE = 0, 1


def _protos():
    def f(name, res, *args):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, list(args)
        return fn
    return {
        "params_create": f("rlc_params_create", P, ctypes.c_int),
        "params_destroy": f("rlc_params_destroy", None, P),
        "params_data": f("rlc_params_data", P, P),
        "params_count": f("rlc_params_count", ctypes.c_int64, P),
        "params_save": f("rlc_params_save", ctypes.c_int, P, ctypes.c_char_p, ctypes.c_char_p,
                         ctypes.c_int),
        "rng_seed": f("rlc_rng_seed", None, P, ctypes.c_uint64),
        "mlp_create": f("rlc_mlp_create", P, P, ctypes.c_char_p, ctypes.POINTER(MlpSpec), P),
        "mlp_destroy": f("rlc_mlp_destroy", None, P),
        "mlp_forward": f("rlc_mlp_forward", P, P, P, P),
        "graph_create": f("rlc_graph_create", P, ctypes.c_int, ctypes.c_int),
        "graph_destroy": f("rlc_graph_destroy", None, P),
        "graph_status": f("rlc_graph_status", ctypes.c_int, P),
        "graph_forward": f("rlc_graph_forward", ctypes.c_int, P),
        "input": f("rlc_input", P, P, ctypes.c_int, ctypes.POINTER(ctypes.c_int)),
        "load_f32": f("rlc_tensor_load_f32", None, P, P, ctypes.c_int64),
        "store_f32": f("rlc_tensor_store_f32", None, P, P, ctypes.c_int64),
    }


C = _protos()


def abi_ok(cls):
    if not hasattr(lib, "rlc_py_abi"):
        return True
    lib.rlc_py_abi.restype = ctypes.c_longlong
    size = lib.rlc_py_abi(cls._rlc_name_.encode(), b"")
    if size < 0:  # a library whose table predates this struct
        return True
    if size != ctypes.sizeof(cls):
        return False
    return all(lib.rlc_py_abi(cls._rlc_name_.encode(), n.encode()) == getattr(cls, n).offset
               for n, _ in cls._fields_)


def c_mlp_checkpoint(path, sizes, act, layer_norm, x, seed=7):
    """Builds an MLP in C, randomises all its parameters, saves them to `path` and returns
    the C forward of x (float32 [B, in])."""
    p = C["params_create"](0)  # RLC_F32
    rng = ctypes.create_string_buffer(128)
    C["rng_seed"](rng, seed)
    arr = (ctypes.c_int * len(sizes))(*sizes)
    spec = MlpSpec(sizes=arr, nsizes=len(sizes), act=act, out_act=ACT_NONE,
                   layer_norm=layer_norm)
    m = C["mlp_create"](p, b"pi", ctypes.byref(spec), rng)
    assert m, L.last_error()
    g = None
    try:
        n = C["params_count"](p)
        data = np.ctypeslib.as_array(ctypes.cast(C["params_data"](p),
                                                 ctypes.POINTER(ctypes.c_float)), (n,))
        data[:] = np.random.default_rng(seed).normal(0, 0.5, n).astype(np.float32)
        L.check(C["params_save"](p, path.encode(), None, 0))
        g = C["graph_create"](0, 1)  # float32, forward only
        shape = (ctypes.c_int * 2)(x.shape[0], sizes[0])
        xt = C["input"](g, 2, shape)
        yt = C["mlp_forward"](g, m, xt)
        L.check(C["graph_status"](g))
        xs = np.ascontiguousarray(x, np.float32)
        C["load_f32"](xt, xs.ctypes.data, xs.size)
        L.check(C["graph_forward"](g))
        y = np.empty((x.shape[0], sizes[-1]), np.float32)
        C["store_f32"](yt, y.ctypes.data, y.size)
        return y
    finally:
        C["graph_destroy"](g)
        C["mlp_destroy"](m)
        C["params_destroy"](p)


def numpy_mlp(ck, prefix, x, nlayers, act, layer_norm, eps=1e-5):
    h = x.astype(np.float64)
    for i in range(nlayers):
        w = ck["%s.%d.weight" % (prefix, i)].astype(np.float64)
        b = ck["%s.%d.bias" % (prefix, i)].astype(np.float64)
        h = h @ w.T + b
        if i < nlayers - 1:
            if layer_norm:
                mu = h.mean(-1, keepdims=True)
                var = ((h - mu) ** 2).mean(-1, keepdims=True)
                h = (h - mu) / np.sqrt(var + eps)
                h = h * ck["%s.ln%d.weight" % (prefix, i)] + ck["%s.ln%d.bias" % (prefix, i)]
            h = np.tanh(h) if act == ACT_TANH else np.maximum(h, 0)
    return h


class MlpCheckpointTest(TmpDirCase):
    def test_structs_match_library(self):
        self.assertTrue(abi_ok(Init) and abi_ok(MlpSpec))

    def test_numpy_forward_matches_c(self):
        x = np.random.default_rng(0).normal(size=(9, 5)).astype(np.float32)
        for act, ln in ((ACT_TANH, LN_NONE), (ACT_RELU, LN_NONE), (ACT_TANH, LN_AFFINE)):
            with self.subTest(act=act, layer_norm=ln):
                path = os.path.join(self.tmp, "mlp%d%d.safetensors" % (act, ln))
                sizes = [5, 16, 12, 3]
                y_c = c_mlp_checkpoint(path, sizes, act, ln, x)
                ck = rlc.load_safetensors(path)
                self.assertEqual(ck["pi.0.weight"].shape, (16, 5))
                self.assertEqual(ck["pi.2.bias"].shape, (3,))
                self.assertTrue(all(d == "F32" for d in ck.dtypes.values()))
                self.assertEqual(ck["pi.0.weight"].dtype, np.float32)
                y_np = numpy_mlp(ck, "pi", x, 3, act, ln)
                np.testing.assert_allclose(y_np, y_c, rtol=2e-5, atol=2e-5)


class ReaderWriterTest(TmpDirCase):
    def test_roundtrip_and_c_reader(self):
        rng = np.random.default_rng(1)
        tensors = {
            "a": rng.normal(size=(3, 4)).astype(np.float32),
            "b": rng.normal(size=(5,)),
            "c": np.arange(6, dtype=np.int64).reshape(2, 3),
            "d": np.array([1, 0, 1], dtype=bool),
            "e": np.array(7, dtype=np.int32),
            "f": np.zeros((0, 3), np.float32),
            "g": np.arange(4, dtype=np.uint8),
            "h": np.array([1.5, -2], np.float16),
        }
        path = os.path.join(self.tmp, "t.safetensors")
        rlc.save_safetensors(path, tensors, {"k": "v", "rlc.x": "{\"a\": 1}"})
        ck = rlc.load_safetensors(path)
        self.assertEqual(list(ck), list(tensors))
        for k, v in tensors.items():
            self.assertEqual(ck[k].dtype, v.dtype, k)
            self.assertEqual(ck[k].shape, v.shape, k)
            self.assertTrue(np.array_equal(ck[k], v), k)
        self.assertEqual(ck.metadata, {"k": "v", "rlc.x": "{\"a\": 1}"})
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
        self.assertEqual((8 + n) % 8, 0)
        # the C reader validates and accepts it
        h = ctypes.c_void_p()
        L.check(L.rlc_st_load(path.encode(), ctypes.byref(h)))
        self.assertEqual(L.rlc_st_count(h), len(tensors))
        self.assertEqual(L.rlc_st_meta(h, b"k"), b"v")
        L.rlc_st_file_destroy(h)

    def test_bf16_widened(self):
        vals = np.array([1.0, -2.5, 3.140625], np.float32)
        raw = (vals.view(np.uint32) >> 16).astype("<u2").tobytes()
        header = json.dumps({"x": {"dtype": "BF16", "shape": [3],
                                   "data_offsets": [0, 6]}}).encode()
        header += b" " * ((8 - (8 + len(header)) % 8) % 8)
        path = os.path.join(self.tmp, "bf16.safetensors")
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header + raw)
        ck = rlc.load_safetensors(path)
        self.assertEqual(ck.dtypes["x"], "BF16")
        self.assertTrue(np.array_equal(ck["x"], vals))

    def write_raw(self, header, data=b"", raw_header=None):
        hb = raw_header if raw_header is not None else json.dumps(header).encode()
        path = os.path.join(self.tmp, "bad.safetensors")
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(hb)) + hb + data)
        return path

    def test_malformed_files(self):
        f32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
        cases = [
            ("too short", None, b"", b"\x01\x02"),
            ("header length", None, b"", struct.pack("<Q", 1 << 40)),
            ("not valid JSON", {}, b"", b"{nope"),
            ("not a JSON object", None, b"", b"[1, 2]"),
            ("unknown dtype", {"x": dict(f32, dtype="F33")}, b"\0" * 8, None),
            ("missing dtype", {"x": {"shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None),
            ("bad shape", {"x": dict(f32, shape=[-2])}, b"\0" * 8, None),
            ("bad data_offsets", {"x": dict(f32, data_offsets=[8, 0])}, b"\0" * 8, None),
            ("needs 12", {"x": dict(f32, shape=[3])}, b"\0" * 8, None),
            ("outside the data buffer", {"x": f32}, b"\0" * 4, None),
            ("trailing bytes", {"x": f32}, b"\0" * 12, None),
            ("leaves a gap", {"x": dict(f32, data_offsets=[4, 12])}, b"\0" * 12, None),
            ("overlaps", {"x": f32, "y": dict(f32, data_offsets=[4, 12])}, b"\0" * 12, None),
            ("duplicate key", None, b"\0" * 8,
             b'{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
             b'"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}'),
            ("__metadata__", {"__metadata__": {"a": 1}}, b"", None),
        ]
        for fragment, header, data, raw in cases:
            with self.subTest(case=fragment):
                if raw is not None and header is None and fragment in ("too short",
                                                                        "header length"):
                    path = os.path.join(self.tmp, "bad.safetensors")
                    with open(path, "wb") as f:
                        f.write(raw)
                else:
                    path = self.write_raw(header, data, raw)
                with self.assertRaises(rlc.FormatError) as cm:
                    rlc.load_safetensors(path)
                self.assertIn(fragment, str(cm.exception))
                self.assertIn(path, str(cm.exception))
                # the C reader refuses the same files
                h = ctypes.c_void_p()
                self.assertNotEqual(L.rlc_st_load(path.encode(), ctypes.byref(h)), 0)

    def test_missing_file(self):
        with self.assertRaises(rlc.NotFoundError):
            rlc.load_safetensors(os.path.join(self.tmp, "nope.safetensors"))
        with self.assertRaises(rlc.RlcIOError):
            rlc.load_safetensors(self.tmp)  # a folder

    def test_writer_refuses_bad_input(self):
        path = os.path.join(self.tmp, "w.safetensors")
        with self.assertRaises(ValueError):
            rlc.save_safetensors(path, {"x": np.array([1j])})
        with self.assertRaises(ValueError):
            rlc.save_safetensors(path, {"__metadata__": np.zeros(1)})
        with self.assertRaises(ValueError):
            rlc.save_safetensors(path, {"x": np.zeros(1)}, {"a": 1})
        self.assertFalse(os.path.exists(path))


if __name__ == "__main__":
    unittest.main()
