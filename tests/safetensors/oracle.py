"""Parity of the C++ safetensors reader/writer with the Python `safetensors` library.

Run by oracle.sh (ctest safetensors_python_oracle). Needs TRIAGE_TEST_BIN_DIR/safetensors_dump.
  1. files written by safetensors.numpy / safetensors.torch (every dtype, bf16 via torch,
     scalars, empty tensors, metadata) read by C++ with identical dtype, shape and bytes;
  2. the same files copied by the C++ writer load in Python with identical values;
  3. malformed files are rejected by both (exit 2 from C++, SafetensorError from Python).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import safetensors
import safetensors.numpy

BIN = os.path.join(os.environ.get("TRIAGE_TEST_BIN_DIR", "build/tests"), "safetensors_dump")

NP_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "I32": np.int32, "U32": np.uint32, "F32": np.float32,
    "I64": np.int64, "U64": np.uint64, "F64": np.float64,
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True)


def dump(path):
    r = run("dump", path)
    if r.returncode != 0:
        raise SystemExit(f"safetensors_dump dump {path} failed ({r.returncode}): {r.stderr}")
    return json.loads(r.stdout)


def numpy_tensors(rng):
    out = {}
    shapes = [(2, 3), (7,), (), (0,), (3, 0, 2), (1, 1, 5)]
    for name, dt in NP_DTYPES.items():
        for i, shape in enumerate(shapes):
            if dt is np.bool_:
                a = rng.integers(0, 2, size=shape).astype(np.bool_)
            elif np.issubdtype(dt, np.integer):
                info = np.iinfo(dt)
                a = rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
            else:
                a = rng.standard_normal(size=shape).astype(dt)
            out[f"{name.lower()}.{i}"] = a
    return out


def check_dump(label, d, expected):
    """expected: {name: (dtype name, shape tuple, bytes)}"""
    got = {t["name"]: t for t in d["tensors"]}
    check(sorted(got) == sorted(expected), f"{label}: tensor names {sorted(got)} != {sorted(expected)}")
    check([t["name"] for t in d["tensors"]] == sorted(got), f"{label}: C++ tensors not sorted by name")
    for name, (dtype, shape, raw) in expected.items():
        t = got.get(name)
        if t is None:
            continue
        check(t["dtype"] == dtype, f"{label}/{name}: dtype {t['dtype']} != {dtype}")
        check(tuple(t["shape"]) == tuple(shape), f"{label}/{name}: shape {t['shape']} != {shape}")
        check(bytes.fromhex(t["hex"]) == raw, f"{label}/{name}: bytes differ")


def test_numpy(tmp, rng):
    tensors = numpy_tensors(rng)
    meta = {"format": "np", "note": "caf\u00e9"}
    path = os.path.join(tmp, "np.safetensors")
    safetensors.numpy.save_file(tensors, path, metadata=meta)
    name_of = {np.dtype(v): k for k, v in NP_DTYPES.items()}
    expected = {n: (name_of[a.dtype], a.shape, np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes())
                for n, a in tensors.items()}
    d = dump(path)
    check_dump("numpy", d, expected)
    check(d["metadata"] == meta, f"numpy: metadata {d['metadata']} != {meta}")

    out = os.path.join(tmp, "np_copy.safetensors")
    r = run("copy", path, out)
    check(r.returncode == 0, f"copy numpy file: {r.stderr}")
    back = safetensors.numpy.load_file(out)
    check(sorted(back) == sorted(tensors), "numpy copy: names differ")
    for n, a in tensors.items():
        b = back.get(n)
        ok = b is not None and b.dtype == a.dtype and b.shape == a.shape and b.tobytes() == a.tobytes()
        check(ok, f"numpy copy/{n}: differs after the C++ writer")
    with safetensors.safe_open(out, framework="numpy") as f:
        check(f.metadata() == meta, f"numpy copy: metadata {f.metadata()} != {meta}")
    with open(out, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
    check(n % 8 == 0, f"C++ header length {n} is not a multiple of 8")
    print(f"numpy: {len(tensors)} tensors in 12 dtypes read and copied identically")


def test_torch(tmp):
    try:
        import torch
        import safetensors.torch
    except ImportError:
        print("torch not importable: skipping the BF16 (torch) part")
        return
    g = torch.Generator().manual_seed(0)
    tensors = {
        "bf16.w": torch.randn(4, 5, generator=g).to(torch.bfloat16),
        "bf16.scalar": torch.tensor(1.5, dtype=torch.bfloat16),
        "bf16.empty": torch.zeros(0, 3, dtype=torch.bfloat16),
        "f16.w": torch.randn(3, 3, generator=g).to(torch.float16),
        "f32.w": torch.randn(2, 7, generator=g),
        "i64.ids": torch.arange(11, dtype=torch.int64),
        "bool.mask": torch.tensor([True, False, True]),
    }
    dnames = {torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32",
              torch.int64: "I64", torch.bool: "BOOL"}

    def raw(t):
        t = t.contiguous()
        if t.dtype in (torch.bfloat16, torch.float16):
            return t.view(torch.int16).numpy().tobytes()
        return t.numpy().tobytes()

    path = os.path.join(tmp, "pt.safetensors")
    safetensors.torch.save_file(tensors, path, metadata={"format": "pt"})
    expected = {n: (dnames[t.dtype], tuple(t.shape), raw(t)) for n, t in tensors.items()}
    d = dump(path)
    check_dump("torch", d, expected)
    check(d["metadata"] == {"format": "pt"}, f"torch: metadata {d['metadata']}")

    out = os.path.join(tmp, "pt_copy.safetensors")
    r = run("copy", path, out)
    check(r.returncode == 0, f"copy torch file: {r.stderr}")
    back = safetensors.torch.load_file(out)
    for n, t in tensors.items():
        b = back.get(n)
        ok = b is not None and b.dtype == t.dtype and b.shape == t.shape and torch.equal(b, t)
        check(ok, f"torch copy/{n}: differs after the C++ writer")
    print(f"torch: {len(tensors)} tensors incl. BF16 read and copied identically")


def raw_file(header, data_len):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + bytes(i % 256 for i in range(data_len))


def test_rejected(tmp):
    u8 = lambda b, e: {"dtype": "U8", "shape": [e - b], "data_offsets": [b, e]}
    cases = {
        "hole": (raw_file({"a": u8(0, 4), "b": u8(8, 12)}, 12), "no tensor"),
        "overlap": (raw_file({"a": u8(0, 8), "b": u8(4, 12)}, 12), "overlaps"),
        "trailing": (raw_file({"a": u8(0, 4)}, 6), "cover only"),
        "size_mismatch": (raw_file({"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}, 20),
                          "needs 24 bytes, data_offsets span 20"),
        "truncated": (raw_file({"a": u8(0, 16)}, 16)[:-4], "ends at byte 16"),
        "bad_dtype": (raw_file({"a": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}}, 1), "unknown dtype"),
        "header_too_long": (struct.pack("<Q", 1000) + b"{}", "header length"),
    }
    for name, (content, expect) in cases.items():
        path = os.path.join(tmp, f"bad_{name}.safetensors")
        with open(path, "wb") as f:
            f.write(content)
        r = run("dump", path)
        check(r.returncode == 2, f"bad/{name}: C++ exit {r.returncode}, expected 2")
        check(path in r.stderr and expect in r.stderr, f"bad/{name}: C++ message: {r.stderr.strip()}")
        try:
            safetensors.numpy.load_file(path)
            check(False, f"bad/{name}: Python safetensors accepted it (C++ rejects)")
        except Exception:
            pass
    print(f"malformed: {len(cases)} files rejected by both")


def main():
    if not os.path.exists(BIN):
        print(f"{BIN} not built (cmake --build <dir> --target safetensors_dump)")
        return 1
    rng = np.random.default_rng(1234)
    with tempfile.TemporaryDirectory() as tmp:
        test_numpy(tmp, rng)
        test_torch(tmp)
        test_rejected(tmp)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
