"""The Python side of peft4j's SafetensorsReadBench (examples/.../bench/SafetensorsReadBench.java).

    <venv>/bin/python bench_safetensors_read.py READ_FILE LIST_FILE ITERATIONS

Does what a Python user does to get float32 weights out of a bf16 checkpoint: opens READ_FILE
with safetensors' safe_open(framework="pt") and turns every tensor into a float32 numpy array
with get_tensor(name).float().numpy() (numpy has no bfloat16, so torch converts; torch uses its
default thread count). Then times opening LIST_FILE and listing its tensor names. Each is done
once to warm up, then ITERATIONS times. Prints JSON: {"read_ms": [...], "list_ms": [...], ...}.
"""

import json
import sys
import time

import safetensors
import torch
from safetensors import safe_open


def read_all(path: str) -> float:
    checksum = 0.0
    with safe_open(path, framework="pt") as f:
        for name in f.keys():
            array = f.get_tensor(name).float().numpy()
            checksum += float(array.flat[0])
    return checksum


def list_names(path: str) -> int:
    with safe_open(path, framework="pt") as f:
        return len(list(f.keys()))


def timed(fn, path: str, iterations: int) -> list:
    fn(path)
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn(path)
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def main() -> None:
    read_file, list_file, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = {
        "read_ms": timed(read_all, read_file, iterations),
        "list_ms": timed(list_names, list_file, max(iterations, 200)),
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
