#!/usr/bin/env python3
"""Reads TensorBoard event files independently of rlc: checks the TFRecord framing and both
masked CRC-32C values of every record, decodes the Event protobuf by hand and prints the scalars.

Usage: tools/read_tfevents.py [--json] [--quiet] [--protobuf] PATH...
  PATH        an events.out.tfevents.* file, or a folder searched for such files
  --json      one JSON object per scalar event instead of text
  --quiet     only the closing summary line
  --protobuf  also decode each record with python3-protobuf (Debian package) from a hand-built
              descriptor and check both decoders agree (skipped with a note if not installed)
Exit status: 0 when every file reads cleanly, 1 on a bad CRC or malformed data, 2 on bad usage.
Needs only the Python standard library (Debian python3)."""

import json
import math
import os
import struct
import sys

# ---- CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 --------------------------------

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc32c(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value


class FormatError(Exception):
    pass


# ---- protobuf wire format ------------------------------------------------------------------


def read_varint(buf, pos):
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise FormatError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise FormatError("varint longer than 10 bytes")


def fields(buf):
    """Yields (field number, wire type, value) for each field of a message; value is an int for
    varints, bytes for fixed and length-delimited fields."""
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = read_varint(buf, pos)
        elif wire == 1:
            v, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = read_varint(buf, pos)
            v, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            v, pos = buf[pos:pos + 4], pos + 4
        else:
            raise FormatError("unsupported wire type %d (field %d)" % (wire, num))
        if pos > len(buf):
            raise FormatError("field %d runs past the end of its message" % num)
        yield num, wire, v


def to_int64(u):
    return u - (1 << 64) if u >= 1 << 63 else u


def decode_tensor(buf):
    """The first number of a TensorProto (TF2 scalars): float_val, double_val or content."""
    dtype = 0
    content = None
    for num, wire, v in fields(buf):
        if num == 1 and wire == 0:
            dtype = v
        elif num == 4 and wire == 2:
            content = v
        elif num == 5:  # float_val, packed or not
            return struct.unpack("<f", v[:4])[0]
        elif num == 6:  # double_val
            return struct.unpack("<d", v[:8])[0]
    if content and dtype == 1 and len(content) >= 4:
        return struct.unpack("<f", content[:4])[0]
    if content and dtype == 2 and len(content) >= 8:
        return struct.unpack("<d", content[:8])[0]
    return None


def decode_value(buf):
    tag, value = None, None
    for num, wire, v in fields(buf):
        if num == 1 and wire == 2:
            tag = v.decode("utf-8")
        elif num == 2 and wire == 5:
            value = struct.unpack("<f", v)[0]
        elif num == 8 and wire == 2:
            value = decode_tensor(v)
    return tag, value


def decode_event(buf):
    """Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5 Summary}."""
    ev = {"wall_time": 0.0, "step": 0, "scalars": []}
    for num, wire, v in fields(buf):
        if num == 1 and wire == 1:
            ev["wall_time"] = struct.unpack("<d", v)[0]
        elif num == 2 and wire == 0:
            ev["step"] = to_int64(v)
        elif num == 3 and wire == 2:
            ev["file_version"] = v.decode("utf-8")
        elif num == 5 and wire == 2:
            for snum, swire, sv in fields(v):
                if snum == 1 and swire == 2:
                    tag, value = decode_value(sv)
                    if tag is not None and value is not None:
                        ev["scalars"].append((tag, value))
    return ev


# ---- optional cross-check with python3-protobuf -------------------------------------------


def protobuf_decoder():
    """A decoder built from a hand-written descriptor of the fields rlc writes, or None."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool
        from google.protobuf import message_factory
    except ImportError:
        return None
    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="rlc_check_event.proto", package="rlccheck",
                                            syntax="proto3")

    def msg(name, specs):
        m = fd.message_type.add(name=name)
        for fname, number, ftype, label, type_name in specs:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    msg("Value", [("tag", 1, F.TYPE_STRING, opt, None),
                  ("simple_value", 2, F.TYPE_FLOAT, opt, None)])
    msg("Summary", [("value", 1, F.TYPE_MESSAGE, rep, ".rlccheck.Value")])
    msg("Event", [("wall_time", 1, F.TYPE_DOUBLE, opt, None),
                  ("step", 2, F.TYPE_INT64, opt, None),
                  ("file_version", 3, F.TYPE_STRING, opt, None),
                  ("summary", 5, F.TYPE_MESSAGE, opt, ".rlccheck.Summary")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    desc = pool.FindMessageTypeByName("rlccheck.Event")
    if hasattr(message_factory, "GetMessageClass"):
        cls = message_factory.GetMessageClass(desc)
    else:
        cls = message_factory.MessageFactory(pool).GetPrototype(desc)

    def decode(data):
        e = cls()
        e.ParseFromString(data)
        return {"wall_time": e.wall_time, "step": e.step, "file_version": e.file_version,
                "scalars": [(v.tag, v.simple_value) for v in e.summary.value]}

    return decode


def same_float(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


# ---- records -------------------------------------------------------------------------------


def read_records(path):
    """Yields each record's data after checking its length and data CRCs."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    index = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise FormatError("record %d: truncated header at byte %d" % (index, pos))
        head = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", head)
        (hcrc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if hcrc != masked_crc32c(head):
            raise FormatError("record %d: length CRC mismatch (stored 0x%08x, computed 0x%08x)"
                              % (index, hcrc, masked_crc32c(head)))
        if pos + 12 + n + 4 > len(data):
            raise FormatError("record %d: truncated data at byte %d" % (index, pos))
        body = data[pos + 12:pos + 12 + n]
        (dcrc,) = struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])
        if dcrc != masked_crc32c(body):
            raise FormatError("record %d: data CRC mismatch (stored 0x%08x, computed 0x%08x)"
                              % (index, dcrc, masked_crc32c(body)))
        yield body
        pos += 16 + n
        index += 1


def event_files(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                out += [os.path.join(root, n) for n in sorted(names) if "tfevents" in n]
        else:
            out.append(p)
    return out


def main(argv):
    opts = {a for a in argv if a.startswith("--")}
    paths = [a for a in argv if not a.startswith("--")]
    unknown = opts - {"--json", "--quiet", "--protobuf", "--help"}
    if "--help" in opts or unknown or not paths:
        print(__doc__.strip(), file=sys.stderr if unknown or not paths else sys.stdout)
        return 0 if "--help" in opts and not unknown else 2
    pb = None
    if "--protobuf" in opts:
        pb = protobuf_decoder()
        if pb is None and "--quiet" not in opts:
            print("note: python3-protobuf is not installed; --protobuf cross-check skipped")
    files = event_files(paths)
    if not files:
        print("no event files found", file=sys.stderr)
        return 1
    records = scalars = 0
    ok = True
    for path in files:
        if "--quiet" not in opts and "--json" not in opts:
            print("file: %s" % path)
        try:
            for i, body in enumerate(read_records(path)):
                ev = decode_event(body)
                records += 1
                scalars += len(ev["scalars"])
                if pb is not None:
                    other = pb(body)
                    same = (other["step"] == ev["step"] and other["wall_time"] == ev["wall_time"]
                            and other["file_version"] == ev.get("file_version", "")
                            and len(other["scalars"]) == len(ev["scalars"])
                            and all(a[0] == b[0] and same_float(a[1], b[1])
                                    for a, b in zip(other["scalars"], ev["scalars"])))
                    if not same:
                        raise FormatError("record %d: protobuf decoders disagree: %r vs %r"
                                          % (i, other, ev))
                if "--quiet" in opts:
                    continue
                if "--json" in opts:
                    if ev["scalars"]:
                        row = {"step": ev["step"], "wall_time": ev["wall_time"]}
                        row.update({t: v for t, v in ev["scalars"]})
                        print(json.dumps(row))
                elif "file_version" in ev:
                    print("event %d: wall_time=%.6f file_version=%s"
                          % (i, ev["wall_time"], ev["file_version"]))
                else:
                    vals = " ".join("%s=%.9g" % (t, v) for t, v in ev["scalars"])
                    print("step=%d wall_time=%.6f %s" % (ev["step"], ev["wall_time"], vals))
        except (FormatError, UnicodeDecodeError) as e:
            print("%s: %s" % (path, e), file=sys.stderr)
            ok = False
    summary = "%d file(s), %d records, %d scalars, CRCs %s" % (
        len(files), records, scalars, "all OK" if ok else "FAILED")
    if pb is not None:
        summary += ", python3-protobuf agrees" if ok else ""
    print(summary, file=sys.stdout if "--json" not in opts else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
