"""Reads safetensors files with Python's safetensors + torch and reports what it sees, for peft4j's Java tests.

Usage (the Java test SafetensorsPythonInteropTest runs it with the venv named by PEFT4J_PYTHON):

    <venv>/bin/python adapters/src/test/python/check_safetensors_files.py request.json

request.json: {"read": [file, ...], "resave": [[file, copy], ...], "reject": [file, ...]}
  read    load every tensor with safe_open(framework="pt"); report metadata and, per tensor, dtype,
          shape and sha256 of the raw little-endian bytes
  resave  load the file with load_file and write it again with save_file(tensors, copy, metadata)
  reject  try to open and read every tensor; report "ok" or the error's type and message
Prints one JSON object: {"read": {file: {...}}, "reject": {file: "ok" | "Type: message"}}.
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


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    result = {"read": {p: read(p) for p in request.get("read", [])},
              "reject": {p: reject(p) for p in request.get("reject", [])}}
    for src, dst in request.get("resave", []):
        with safe_open(src, framework="pt") as f:
            metadata = f.metadata()
        save_file(load_file(src), dst, metadata=metadata)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
