"""Fixtures for peft4j's extraction tests (java-api/src/test/java/io/peft4j/extract/ExtractPeftTest.java).

make_pair(out, rank, noise, seed)
    A tiny random-weight Llama BASE (float32, hidden 64, 2 layers) and TUNED = BASE + a known delta per
    linear module: a random rank-``rank`` product B @ A (so each delta's singular values are known to
    fall off a cliff after ``rank``) plus ``noise`` times a Gaussian matrix, scaled so that the noise
    part is ``noise`` of the low-rank part in Frobenius norm. Writes out/base, out/tuned (transformers'
    save_pretrained) and out/truth.json: per module the low-rank part's norm and the noise's norm.
make_adapters(base, out, seed)
    Adapters of BASE made with PEFT (random non-zero B through init_lora_weights=False): a DoRA adapter
    with trained-looking magnitudes, and an rsLoRA adapter with rank and alpha patterns.
logits(model_dir, adapter_dir_or_empty, merged_dir_or_empty)
    The logits (a flat list) of a fixed token batch through TUNED, or BASE + adapter loaded with
    PeftModel.from_pretrained, or a merged model; and the per-module ranks PEFT loaded.
peft_merge(base, adapter, out)
    PEFT's merge_and_unload of an adapter (DoRA included), saved as a model directory.

Run by the Java tests through the bridge in the test JVM, writing into temporary directories;
nothing made here is committed. By hand: python extract_fixtures.py pair OUT [RANK NOISE]
"""

import json
import os
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM
from peft import LoraConfig, PeftModel, get_peft_model
from peft.tuners.lora import LoraLayer

LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
TOKENS = [[1, 5, 9, 23, 77, 101, 200, 3], [250, 4, 4, 17, 64, 128, 2, 99]]


def config():
    return LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                       tie_word_embeddings=False)


def make_pair(out, rank=4, noise=0.01, seed=0):
    rank, noise, seed = int(rank), float(noise), int(seed)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config()).float()
    base = os.path.join(out, "base")
    model.save_pretrained(base)
    truth = {}
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, module in model.named_modules():
            if name.split(".")[-1] in LINEAR:
                w = module.weight
                rows, cols = w.shape
                b = torch.randn(rows, rank, generator=gen)
                a = torch.randn(rank, cols, generator=gen)
                low = b @ a
                low *= 0.5 * w.norm() / low.norm()  # a delta half the size of the weight
                n = torch.randn(rows, cols, generator=gen)
                n *= noise * low.norm() / n.norm()
                w.add_(low + n)
                truth[name] = {"low_rank_norm": float(low.norm()), "noise_norm": float(n.norm()),
                               "delta_norm": float((low + n).norm())}
    model.save_pretrained(os.path.join(out, "tuned"))
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    return out


def make_adapters(base, out, seed=0):
    torch.manual_seed(int(seed))
    made = {}
    for name, lora in {
        "dora": dict(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj", "down_proj"], use_dora=True),
        "rslora": dict(r=8, lora_alpha=16, target_modules=list(LINEAR), use_rslora=True,
                       rank_pattern={"q_proj": 4}, alpha_pattern={"layers.1.mlp.down_proj": 3}),
    }.items():
        model = LlamaForCausalLM.from_pretrained(base, dtype=torch.float32)
        peft_model = get_peft_model(model, LoraConfig(init_lora_weights=False, **lora))
        with torch.no_grad():
            for module in peft_model.modules():
                if isinstance(module, LoraLayer) and lora.get("use_dora"):
                    for mag in module.lora_magnitude_vector.values():
                        mag.weight.mul_(1 + 0.1 * torch.randn_like(mag.weight))
        path = os.path.join(out, name)
        peft_model.save_pretrained(path)
        made[name] = path
    return made


def _forward(model):
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(TOKENS)).logits.flatten().tolist()


def logits(model_dir, adapter_dir="", merged_dir=""):
    """Logits through a model, or a base with an adapter loaded by PEFT; with the ranks PEFT loaded."""
    model = LlamaForCausalLM.from_pretrained(merged_dir or model_dir, dtype=torch.float32)
    ranks = {}
    if adapter_dir:
        model = PeftModel.from_pretrained(model, adapter_dir)
        for name, module in model.named_modules():
            if isinstance(module, LoraLayer):
                key = name.removeprefix("base_model.model.")
                ranks[key] = int(module.r["default"])
                ranks[key + "#scaling"] = float(module.scaling["default"])
    return {"logits": _forward(model), "ranks": ranks}


def peft_merge(base, adapter, out):
    model = LlamaForCausalLM.from_pretrained(base, dtype=torch.float32)
    PeftModel.from_pretrained(model, adapter).merge_and_unload().save_pretrained(out)
    return out


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print({"pair": make_pair}[command](*args))
