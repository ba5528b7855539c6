"""Writes the safetensors test fixtures of peft4j's adapters module with the real Python libraries.

Run from the repository root, exactly as it was run to produce the committed files:

    $PEFT4J_PYTHON/bin/python adapters/src/test/python/make_safetensors_fixtures.py

Versions used: Python 3.11.7, torch 2.13.0, safetensors 0.8.0, transformers 5.18.0,
huggingface_hub 2.4.0, numpy 2.4.6. The output is deterministic (fixed seeds).

Writes into adapters/src/test/resources/safetensors/:
  dtypes.safetensors     one or more tensors of every dtype safetensors' torch binding supports
                         (except complex and FNUZ fp8), scalars, zero-size tensors; metadata
                         {"format": "pt"}; all 256 bit patterns of both fp8 formats
  names.safetensors      tensor names and a metadata value that need JSON escaping
  metadata.safetensors   several metadata keys
  empty.safetensors      no tensors at all
  sharded/               a tiny random Llama saved by transformers' save_pretrained with
                         max_shard_size="12KB": model-0000k-of-0000n.safetensors + index
  expected.json          what torch says about those files: per tensor dtype, shape, the
                         float32 bits of tensor.float() for floating types and the values for
                         integer types; torch's float32 -> bf16/f16/fp8 rounding of test vectors;
                         the sharded model's state_dict order, byte sizes and num_parameters();
                         huggingface_hub's shard plans for synthetic size lists and parse_size_to_int
"""

import json
import math
import os
import shutil
import struct
from pathlib import Path

import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parents[1] / "resources" / "safetensors"


def float_bits(t: torch.Tensor) -> list[int]:
    return t.detach().float().reshape(-1).view(torch.int32).tolist()


def describe(name: str, t: torch.Tensor) -> dict:
    entry = {"name": name, "shape": list(t.shape)}
    if t.dtype.is_floating_point:
        entry["float32_bits"] = float_bits(t)
    else:
        entry["values"] = [int(v) for v in t.reshape(-1).to(torch.int64).tolist()] if t.dtype != torch.uint64 \
            else [str(v) for v in t.reshape(-1).view(torch.int64).tolist()]
    return entry


def dtype_tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    special = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 1e-8, 3.4e38, float("inf"), float("-inf"), float("nan"),
                            1.00390625, 1.01171875, 6e-5, -7e-8])
    tensors = {
        "f64.matrix": torch.randn(3, 4, generator=g, dtype=torch.float64),
        "f64.special": special.double(),
        "f32.matrix": torch.randn(2, 3, 4, generator=g),
        "f32.special": special.clone(),
        "f32.scalar": torch.tensor(3.25),
        "f32.empty": torch.zeros(0, 5),
        "f16.matrix": torch.randn(5, 3, generator=g).half(),
        "f16.special": special.half(),
        "bf16.matrix": torch.randn(4, 6, generator=g).bfloat16(),
        "bf16.special": special.bfloat16(),
        "bf16.scalar": torch.tensor(-1.5, dtype=torch.bfloat16),
        "f8_e4m3.all": torch.arange(256, dtype=torch.int32).to(torch.uint8).view(torch.float8_e4m3fn).reshape(16, 16),
        "f8_e5m2.all": torch.arange(256, dtype=torch.int32).to(torch.uint8).view(torch.float8_e5m2).reshape(16, 16),
        "i64.values": torch.tensor([0, -1, 2**62, -(2**63), 2**63 - 1], dtype=torch.int64),
        "i32.values": torch.randint(-2**31, 2**31 - 1, (3, 3), generator=g, dtype=torch.int32),
        "i16.values": torch.tensor([[-32768, 32767], [0, -1]], dtype=torch.int16),
        "i8.values": torch.tensor([-128, 127, 0, -1, 5], dtype=torch.int8),
        "u8.values": torch.tensor([0, 255, 128, 7], dtype=torch.uint8),
        "u16.values": torch.tensor([0, 65535, 32768], dtype=torch.uint16),
        "u32.values": torch.tensor([0, 2**32 - 1, 2**31], dtype=torch.uint32),
        "u64.values": torch.tensor([0, 2**63, 2**64 - 1], dtype=torch.uint64),
        "bool.mask": torch.tensor([[True, False, True], [False, False, True]]),
        "bool.scalar": torch.tensor(True),
        "i32.empty": torch.zeros(2, 0, 3, dtype=torch.int32),
        "u8.empty": torch.zeros(0, dtype=torch.uint8),
    }
    return tensors


def name_tensors() -> dict[str, torch.Tensor]:
    names = ["émbed.权重", 'quote"inside', "back\\slash", "ctrl\x01\x1f\x7f", "line\nbreak\ttab", "x/y", "😀.w", "a", "B"]
    return {n: torch.full((2,), float(i), dtype=torch.float32 if i % 2 else torch.bfloat16) for i, n in enumerate(names)}


def rounding_vectors() -> dict:
    g = torch.Generator().manual_seed(1)
    values = torch.cat([
        torch.randn(400, generator=g) * 3,
        torch.randn(100, generator=g) * 1e-6,
        torch.randn(100, generator=g) * 1e-40,
        torch.randn(100, generator=g) * 1e4,
        torch.randn(100, generator=g) * 1e38,
        torch.tensor([0.0, -0.0, float("inf"), float("-inf"), 448.0, 464.0, 480.0, 57344.0, 61440.0, 65520.0,
                      2.0**-9, 2.0**-10, 2.0**-17, 2.0**-18, 1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 1.0625, 1.1875]),
    ])
    # Exact ties between neighbouring bf16 values, to pin round-half-to-even.
    ties = torch.randint(0, 2**31, (200,), generator=g, dtype=torch.int64).to(torch.int32)
    ties = (ties & ~0xFFFF) | 0x8000
    values = torch.cat([values, ties.view(torch.float32)])
    values = values[torch.isfinite(values) | torch.isinf(values)]
    return {
        "float32_bits": values.view(torch.int32).tolist(),
        "bf16_bits": values.bfloat16().view(torch.int16).to(torch.int32).tolist(),
        "f16_bits": values.half().view(torch.int16).to(torch.int32).tolist(),
        "f8_e4m3_bits": values.to(torch.float8_e4m3fn).view(torch.uint8).to(torch.int32).tolist(),
        "f8_e5m2_bits": values.to(torch.float8_e5m2).view(torch.uint8).to(torch.int32).tolist(),
    }


def sharded_model(directory: Path) -> dict:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).to(torch.float32)
    model.save_pretrained(directory, max_shard_size="12KB")
    os.remove(directory / "config.json")
    if (directory / "generation_config.json").exists():
        os.remove(directory / "generation_config.json")
    state = model.state_dict()
    return {
        "max_shard_size": "12KB",
        "num_parameters": model.num_parameters(),
        "state_dict": [{"name": k, "dtype": "F32", "shape": list(v.shape), "bytes": v.numel() * v.element_size()}
                       for k, v in state.items()],
    }


def shard_plans() -> list:
    """How huggingface_hub splits some synthetic state dicts (tensor byte sizes) for a maximum shard size."""
    from huggingface_hub.serialization._base import split_state_dict_into_shards_factory, parse_size_to_int

    cases = [([6, 6, 2, 6, 2, 2], 10), ([3, 12, 4], 10), ([10, 10, 1], 10), ([0, 5, 0, 5, 0], 5), ([1], 100),
             ([7, 3, 11, 2, 2, 9, 1, 1, 1], 9)]
    plans = []
    for sizes, limit in cases:
        state = {f"t{i}": size for i, size in enumerate(sizes)}
        split = split_state_dict_into_shards_factory(state, get_storage_size=lambda s: s, max_shard_size=limit,
                                                     filename_pattern="model{suffix}.safetensors")
        plans.append({"sizes": sizes, "max_shard_size": limit, "filename_to_tensors": split.filename_to_tensors})
    sizes = {text: parse_size_to_int(text) for text in ["5GB", "500MB", "1.5GB", "12KB", " 3 kb ", "1.1GB", "2TB",
                                                         "0.5MB", "7mb"]}
    return {"plans": plans, "parse_size_to_int": sizes}


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    expected = {}

    tensors = dtype_tensors()
    save_file(tensors, OUT / "dtypes.safetensors", metadata={"format": "pt"})
    expected["dtypes"] = {"metadata": {"format": "pt"},
                          "tensors": [dict(describe(k, v), dtype=dtype_name(v.dtype)) for k, v in tensors.items()]}

    names = name_tensors()
    names_metadata = {"note": 'multi\nline "quoted" ünïcode \x07 end'}
    save_file(names, OUT / "names.safetensors", metadata=names_metadata)
    expected["names"] = {"metadata": names_metadata,
                         "tensors": [dict(describe(k, v), dtype=dtype_name(v.dtype)) for k, v in names.items()]}

    many = {"format": "pt", "author": "peft4j", "empty": "", "json": '{"a": [1, 2]}'}
    save_file({"w": torch.ones(2, 2)}, OUT / "metadata.safetensors", metadata=many)
    expected["metadata"] = {"metadata": many}

    save_file({}, OUT / "empty.safetensors")

    expected["sharded"] = sharded_model(OUT / "sharded")
    expected["rounding"] = rounding_vectors()
    expected["sharding"] = shard_plans()

    with open(OUT / "expected.json", "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def dtype_name(dtype: torch.dtype) -> str:
    from safetensors.torch import _TYPES
    return next(k for k, v in _TYPES.items() if v == dtype)


if __name__ == "__main__":
    main()
