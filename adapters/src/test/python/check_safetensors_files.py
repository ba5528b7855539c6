"""Reads safetensors files with Python's safetensors + torch and reports what it sees, for peft4j's Java tests.

Usage (the Java test SafetensorsPythonInteropTest runs it with the venv named by PEFT4J_PYTHON):

    <venv>/bin/python adapters/src/test/python/check_safetensors_files.py request.json

request.json: {"read": [file, ...], "resave": [[file, copy], ...], "reject": [file, ...],
               "headers": [file, ...], "write_dtypes": file}
  read    load every tensor with safe_open(framework="pt"); report metadata and, per tensor, dtype,
          shape and sha256 of the raw little-endian bytes
  resave  load the file with load_file and write it again with save_file(tensors, copy, metadata)
  reject  try to open and read every tensor; report "ok" or the error's type and message
  headers open every file and report each tensor's dtype and shape from the header (F6 has no torch
          type, so tensors are not materialised), or the error's type and message
  write_dtypes  write, with torch, the dtypes safetensors 0.8 added: every byte value as F8_E4M3FNUZ,
          F8_E5M2FNUZ and F8_E8M0, an F4 tensor and a C64 tensor; report torch's float32 bits of the
          8-bit ones and the raw bytes (hex) of the others
Prints one JSON object: {"read": {file: {...}}, "reject": {file: "ok" | "Type: message"},
"headers": {file: {name: [dtype, shape]} | "Type: message"}, "dtypes": {...}}.
"""

import hashlib
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import _TYPES, load_file, save_file

NAMES = {v: k for k, v in _TYPES.items()}


def raw_bytes(t: torch.Tensor) -> bytes:
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def read(path: str) -> dict:
    out = {"tensors": {}}
    with safe_open(path, framework="pt") as f:
        out["metadata"] = f.metadata() or {}
        for name in f.keys():
            t = f.get_tensor(name)
            out["tensors"][name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                                    "sha256": hashlib.sha256(raw_bytes(t)).hexdigest()}
    return out


def reject(path: str) -> str:
    try:
        with safe_open(path, framework="pt") as f:
            for name in f.keys():
                f.get_tensor(name)
        return "ok"
    except Exception as e:  # the test wants to know whether and how Python refuses the file
        return f"{type(e).__name__}: {e}"


def headers(path: str):
    try:
        with safe_open(path, framework="pt") as f:
            return {name: [f.get_slice(name).get_dtype(), f.get_slice(name).get_shape()] for name in f.keys()}
    except Exception as e:  # the test compares whether and how Python refuses the file
        return f"{type(e).__name__}: {e}"


def write_dtypes(path: str) -> dict:
    every_byte = torch.arange(256, dtype=torch.uint8)
    eight_bit = {name: every_byte.clone().view(getattr(torch, name))
                 for name in ("float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu")}
    packed = {"f4": torch.tensor([[0x21, 0x7F, 0x8A]], dtype=torch.uint8).view(torch.float4_e2m1fn_x2),
              "c64": torch.tensor([1 + 2j, -3.5j, float("nan")], dtype=torch.complex64)}
    save_file({**eight_bit, **packed}, path)
    return {"float_bits": {n: t.float().view(torch.int32).tolist() for n, t in eight_bit.items()},
            "raw": {n: raw_bytes(t).hex() for n, t in packed.items()}}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    result = {"read": {p: read(p) for p in request.get("read", [])},
              "reject": {p: reject(p) for p in request.get("reject", [])},
              "headers": {p: headers(p) for p in request.get("headers", [])}}
    if "write_dtypes" in request:
        result["dtypes"] = write_dtypes(request["write_dtypes"])
    for src, dst in request.get("resave", []):
        with safe_open(src, framework="pt") as f:
            metadata = f.metadata()
        save_file(load_file(src), dst, metadata=metadata)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
