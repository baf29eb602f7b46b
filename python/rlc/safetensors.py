"""safetensors checkpoints in plain Python + NumPy (no C involved), following the format rlc
documents in include/rlc/safetensors.h: an 8-byte little-endian header length N, N bytes of
JSON ({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}), then the data
buffer, tensors row-major little-endian tiling it exactly. load_safetensors validates like
the C reader; save_safetensors writes what the C reader accepts (header padded with spaces
to a multiple of 8, data ordered by element size, atomic rename)."""

import json
import os
import struct
import tempfile

import numpy as np

from .errors import FormatError, NotFoundError, RlcIOError

MAX_HEADER = 100000000

# format dtype -> numpy dtype of the stored bytes
_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
    "I16": "<i2", "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
    "BOOL": "u1", "F8_E4M3": "u1", "F8_E5M2": "u1",
}
_FROM_NUMPY = {
    np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
    np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("int16"): "I16",
    np.dtype("int8"): "I8", np.dtype("uint64"): "U64", np.dtype("uint32"): "U32",
    np.dtype("uint16"): "U16", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL",
}


class Checkpoint(dict):
    """What load_safetensors returns: {name: numpy array} in header order, plus `metadata`
    ({str: str}, the "__metadata__" object), `dtypes` ({name: format dtype string}) and
    `path`. BF16 tensors are widened exactly to float32; F8 tensors come as raw uint8 bytes;
    BOOL as numpy bool."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.metadata = {}
        self.dtypes = {}


def _fail(path, msg):
    raise FormatError("%s: %s" % (path, msg))


def load_safetensors(path):
    """Reads and validates the whole file. Errors: NotFoundError (no such file), RlcIOError
    (other read failures), FormatError (anything malformed; the message names the path and
    the problem)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise NotFoundError("%s: no such file" % path) from None
    except OSError as e:
        raise RlcIOError("%s: %s" % (path, e.strerror or e)) from None
    if len(raw) < 8:
        _fail(path, "file of %d bytes is too short for a safetensors header" % len(raw))
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or n > len(raw) - 8:
        _fail(path, "header length %d exceeds %s" % (
            n, "the limit of %d bytes" % MAX_HEADER if n > MAX_HEADER
            else "the file (%d bytes)" % len(raw)))
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"),
                            object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        _fail(path, "header is not valid JSON (%s)" % e)
    if not isinstance(header, dict):
        _fail(path, "header is not a JSON object")
    data = memoryview(bytearray(raw[8 + n:]))
    ck = Checkpoint(path)
    meta = header.pop("__metadata__", None)
    if meta is not None:
        if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
            _fail(path, "__metadata__ is not an object of strings")
        ck.metadata = dict(meta)
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            _fail(path, "tensor '%s': entry is not an object" % name)
        dt = info.get("dtype")
        shape = info.get("shape")
        offs = info.get("data_offsets")
        if not isinstance(dt, str):
            _fail(path, "tensor '%s': missing dtype" % name)
        if dt not in _DTYPES:
            _fail(path, "tensor '%s': unknown dtype '%s'" % (name, dt))
        if (not isinstance(shape, list) or len(shape) > 64
                or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                           for d in shape)):
            _fail(path, "tensor '%s': bad shape %r" % (name, shape))
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0
                           for o in offs) or offs[0] > offs[1]):
            _fail(path, "tensor '%s': bad data_offsets %r" % (name, offs))
        npdt = np.dtype(_DTYPES[dt])
        numel = 1
        for d in shape:
            numel *= d
        if numel * npdt.itemsize != offs[1] - offs[0]:
            _fail(path, "tensor '%s': data_offsets %r hold %d bytes, but %s %s needs %d" % (
                name, offs, offs[1] - offs[0], dt, shape, numel * npdt.itemsize))
        if offs[1] > len(data):
            _fail(path, "tensor '%s': data_offsets %r outside the data buffer of %d bytes"
                  % (name, offs, len(data)))
        spans.append((offs[0], offs[1], name))
        a = np.frombuffer(data, dtype=npdt, count=numel, offset=offs[0]).reshape(shape)
        if dt == "BF16":
            a = (a.astype("<u4") << 16).view("<f4")
        elif dt == "BOOL":
            if a.size and a.max() > 1:
                _fail(path, "tensor '%s': BOOL values must be 0 or 1" % name)
            a = a.view(np.bool_)
        elif npdt.byteorder == ">" or (npdt.byteorder == "<" and not np.little_endian):
            a = a.astype(npdt.newbyteorder("="))  # pragma: no cover - big-endian hosts
        ck[name] = a
        ck.dtypes[name] = dt
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            _fail(path, "tensor '%s' %s at byte %d of the data buffer (expected %d)" % (
                name, "overlaps another" if begin < pos else "leaves a gap", begin, pos))
        pos = end
    if pos != len(data):
        _fail(path, "%d trailing bytes after the last tensor" % (len(data) - pos))
    return ck


def _no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key '%s'" % k)
        d[k] = v
    return d


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: array} (numpy dtypes float64/32/16, int64..int8, uint64..uint8, bool) and
    string metadata to `path` atomically, in the layout rlc's writer uses. Raises
    InvalidArgumentError-like ValueError for unsupported dtypes or names."""
    path = os.fspath(path)
    entries = []
    for name, a in tensors.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ValueError("bad tensor name %r" % (name,))
        a = np.asarray(a)
        if a.dtype.newbyteorder("=") not in _FROM_NUMPY:
            raise ValueError("tensor '%s': dtype %s has no safetensors equivalent" % (
                name, a.dtype))
        dt = _FROM_NUMPY[a.dtype.newbyteorder("=")]
        b = np.ascontiguousarray(a, dtype=np.dtype(_DTYPES[dt]) if dt != "BOOL" else np.bool_)
        entries.append((name, dt, list(a.shape), b.tobytes()))
    # data ordered by element size, largest first (stable), so every tensor is aligned
    order = sorted(range(len(entries)), key=lambda i: -np.dtype(_DTYPES[entries[i][1]]).itemsize)
    offsets, pos = {}, 0
    for i in order:
        nb = len(entries[i][3])
        offsets[i] = [pos, pos + nb]
        pos += nb
    header = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    for i, (name, dt, shape, _) in enumerate(entries):
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": offsets[i]}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - (8 + len(hb)) % 8) % 8)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp.", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(hb)))
            f.write(hb)
            for i in order:
                f.write(entries[i][3])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
