"""Writes the malformed-GGUF corpus of peft4j's GGUF reader tests, byte by byte (standard library
only, no gguf-py), into adapters/src/test/resources/gguf/.

How it was run to produce the committed files (from the repository root; any Python 3.10+):

    python3 adapters/src/test/python/llama_cpp/make_malformed_gguf.py adapters/src/test/resources/gguf

It writes valid.gguf, a well-formed LoRA adapter GGUF for the tiny Llama of tiny_bases.py (hidden
size 64: blk.0.attn_q.weight.lora_a F32 [2, 64] and .lora_b F32 [64, 2], alpha 16), then one file
per rule of the format under malformed/, each breaking exactly one rule of valid.gguf, and
malformed/expected.json: {file: {"rule": peft4j's GgufFormatException.Rule,
"llama_cpp": "refuses" | "accepts"}}. "llama_cpp" is what llama.cpp's llama_adapter_lora_init does
with the file on that base (checked by LlamaCppCrossCheckTest); "accepts" marks the rules where
peft4j is stricter than llama.cpp, with the reason in "note".
"""
import json
import os
import struct
import sys

ALIGN = 32
UINT32, FLOAT32, STRING, ARRAY, UINT64 = 4, 6, 8, 9, 10
F32, Q8_0 = 0, 8


def s(text):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def kv(key, vtype, payload):
    return s(key) + struct.pack("<I", vtype) + payload


def pad(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


BASE_KV = [
    kv("general.architecture", STRING, s("llama")),
    kv("general.type", STRING, s("adapter")),
    kv("adapter.type", STRING, s("lora")),
    kv("adapter.lora.alpha", FLOAT32, struct.pack("<f", 16.0)),
    kv("general.quantization_version", UINT32, struct.pack("<I", 2)),
]


def values(n, seed):
    return [((i * 7919 + seed * 104729) % 2001 - 1000) / 4000.0 for i in range(n)]


def tensor_data(n, seed):
    return struct.pack("<%df" % n, *values(n, seed))


# name, ggml dims (innermost first), type, data
BASE_TENSORS = [
    ("blk.0.attn_q.weight.lora_a", [64, 2], F32, tensor_data(64 * 2, 1)),
    ("blk.0.attn_q.weight.lora_b", [2, 64], F32, tensor_data(2 * 64, 2)),
]


def info(name, dims, ggml_type, offset, n_dims=None):
    out = s(name) + struct.pack("<I", len(dims) if n_dims is None else n_dims)
    out += b"".join(struct.pack("<q", d) for d in dims)
    return out + struct.pack("<IQ", ggml_type, offset)


def build(kvs=None, tensors=None, version=3, magic=b"GGUF", n_kv=None, n_tensors=None, offsets=None, infos=None):
    kvs = BASE_KV if kvs is None else kvs
    tensors = BASE_TENSORS if tensors is None else tensors
    if offsets is None:
        offsets, at = [], 0
        for _, _, _, data in tensors:
            offsets.append(at)
            at += pad(len(data))
    header = magic + struct.pack("<IQQ", version, len(tensors) if n_tensors is None else n_tensors,
                                 len(kvs) if n_kv is None else n_kv)
    header += b"".join(kvs)
    header += b"".join(infos) if infos is not None else b"".join(
        info(name, dims, t, off) for (name, dims, t, _), off in zip(tensors, offsets))
    out = header + b"\0" * (pad(len(header)) - len(header))
    for _, _, _, data in tensors:
        out += data + b"\0" * (pad(len(data)) - len(data))
    return out


def cases():
    valid = build()
    inside_first_dimension = 24 + sum(len(k) for k in BASE_KV) + len(s(BASE_TENSORS[0][0])) + 4 + 4
    a, b = BASE_TENSORS
    q8_rows = [("blk.0.attn_q.weight.lora_a", [48, 2], Q8_0, b"\0" * (48 * 2 // 32 * 34))]
    yield "file-too-small", "FILE_TOO_SMALL", valid[:10]
    yield "bad-magic", "BAD_MAGIC", build(magic=b"GGUX")
    yield "version-1", "UNSUPPORTED_VERSION", build(version=1)
    yield "big-endian", "UNSUPPORTED_VERSION", valid[:4] + struct.pack(">I", 3) + valid[8:]
    yield "kv-count-huge", "COUNT_EXCEEDS_FILE", build(n_kv=1 << 40)
    yield "tensor-count-huge", "COUNT_EXCEEDS_FILE", build(n_tensors=1_000_000)
    yield "array-count-huge", "COUNT_EXCEEDS_FILE", build(kvs=BASE_KV + [
        kv("general.tags", ARRAY, struct.pack("<IQ", UINT32, 1 << 31) + struct.pack("<I", 7))])
    yield "truncated-header", "TRUNCATED", valid[:inside_first_dimension]
    yield "string-past-end", "STRING_PAST_END", build(kvs=BASE_KV + [
        kv("general.name", STRING, struct.pack("<Q", 1 << 20) + b"tiny")])
    yield "key-not-utf8", "INVALID_STRING", build(kvs=BASE_KV + [kv(b"general.\xff\xfe", UINT32, struct.pack("<I", 1))])
    yield "empty-key", "INVALID_STRING", build(kvs=BASE_KV + [kv("", UINT32, struct.pack("<I", 1))])
    yield "duplicate-key", "DUPLICATE_KEY", build(kvs=BASE_KV + [BASE_KV[3]])
    yield "unknown-value-type", "UNKNOWN_VALUE_TYPE", build(kvs=BASE_KV + [kv("general.x", 13, struct.pack("<I", 1))])
    yield "nested-array", "UNKNOWN_VALUE_TYPE", build(kvs=BASE_KV + [
        kv("general.x", ARRAY, struct.pack("<IQ", ARRAY, 1) + struct.pack("<IQ", UINT32, 1) + struct.pack("<I", 1))])
    yield "alignment-not-uint32", "INVALID_ALIGNMENT", build(kvs=BASE_KV + [
        kv("general.alignment", UINT64, struct.pack("<Q", 32))])
    yield "alignment-not-power-of-two", "INVALID_ALIGNMENT", build(kvs=BASE_KV + [
        kv("general.alignment", UINT32, struct.pack("<I", 48))])
    yield "duplicate-tensor", "DUPLICATE_TENSOR", build(tensors=[a, (a[0],) + b[1:]])
    yield "tensor-name-too-long", "TENSOR_NAME_TOO_LONG", build(tensors=[("blk.0." + "x" * 60 + ".lora_a",) + a[1:], b])
    yield "too-many-dimensions", "INVALID_DIMENSIONS", build(infos=[info(a[0], [64, 2, 1, 1, 1], F32, 0), info(b[0], b[1], F32, 512)])
    yield "negative-dimension", "INVALID_DIMENSIONS", build(infos=[info(a[0], [64, -2], F32, 0), info(b[0], b[1], F32, 512)])
    yield "dimensions-overflow", "INVALID_DIMENSIONS", build(infos=[info(a[0], [1 << 40, 1 << 40], F32, 0), info(b[0], b[1], F32, 512)])
    yield "unknown-tensor-type", "UNKNOWN_TENSOR_TYPE", build(infos=[info(a[0], a[1], 99, 0), info(b[0], b[1], F32, 512)])
    yield "removed-tensor-type", "UNKNOWN_TENSOR_TYPE", build(infos=[info(a[0], a[1], 4, 0), info(b[0], b[1], F32, 512)])
    yield "row-not-block-multiple", "ROW_NOT_BLOCK_MULTIPLE", build(tensors=q8_rows + [b])
    yield "misaligned-tensor", "MISALIGNED_TENSOR", build(offsets=[0, 512 + 4])
    yield "overlapping-tensors", "OVERLAPPING_TENSORS", build(offsets=[0, 256])
    yield "tensor-gap", "TENSOR_GAP", build(offsets=[0, 512 + 32])
    yield "tensor-past-end", "TENSOR_PAST_END", valid[:-100]


# Where llama.cpp (0.3.36's vendored copy) does not refuse what peft4j refuses, and why.
LLAMA_CPP_ACCEPTS = {
    "key-not-utf8": "llama.cpp treats keys as bytes and never decodes them",
}


def main(out):
    os.makedirs(os.path.join(out, "malformed"), exist_ok=True)
    with open(os.path.join(out, "valid.gguf"), "wb") as f:
        f.write(build())
    expected = {}
    for name, rule, data in cases():
        with open(os.path.join(out, "malformed", name + ".gguf"), "wb") as f:
            f.write(data)
        expected[name + ".gguf"] = {"rule": rule, "llama_cpp": "accepts" if name in LLAMA_CPP_ACCEPTS else "refuses"}
        if name in LLAMA_CPP_ACCEPTS:
            expected[name + ".gguf"]["note"] = LLAMA_CPP_ACCEPTS[name]
    with open(os.path.join(out, "malformed", "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
