"""The Python side of peft4j's MergeBench and SoupBench: the synthetic model, and PEFT's timings.

generate DIR             a Llama-shaped bf16 base (hidden 1024, 12 layers, ~220M parameters) and three
                         rank-16 all-linear LoRA adapters (random non-zero B), made with transformers + PEFT
merge BASE ADAPTER OUT   PEFT's load + merge_and_unload + save_pretrained, timed
soup BASE OUT A1 A2 A3   PEFT's add_weighted_adapter(combination_type="svd") of three adapters, timed

Each timing command prints one JSON line: {"seconds": ...} (imports excluded).
"""

import json
import os
import shutil
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM
from peft import LoraConfig, PeftModel, get_peft_model

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def generate(out):
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=32000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=12,
                         num_attention_heads=16, num_key_value_heads=16, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    base = os.path.join(out, "base")
    model.save_pretrained(base, max_shard_size="200MB")
    for i in range(3):
        torch.manual_seed(100 + i)
        peft_model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=ALL_LINEAR,
                                                      init_lora_weights=False))
        with torch.no_grad():
            for name, p in peft_model.named_parameters():
                if "lora_B" in name:
                    p.mul_(0.01)
        peft_model.save_pretrained(os.path.join(out, f"adapter{i}"))
        model = peft_model.unload()
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters())}))


def merge(base, adapter, out):
    start = time.perf_counter()
    model = LlamaForCausalLM.from_pretrained(base, dtype=torch.bfloat16)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.save_pretrained(out)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def soup(base, out, *adapters):
    model = LlamaForCausalLM.from_pretrained(base, dtype=torch.float32)
    peft_model = PeftModel.from_pretrained(model, adapters[0], adapter_name="a0")
    for i, a in enumerate(adapters[1:], 1):
        peft_model.load_adapter(a, adapter_name=f"a{i}")
    names = [f"a{i}" for i in range(len(adapters))]
    start = time.perf_counter()
    peft_model.add_weighted_adapter(names, [1.0 / len(names)] * len(names), "soup", combination_type="svd")
    seconds = time.perf_counter() - start
    tmp = out + ".tmp"
    peft_model.save_pretrained(tmp, selected_adapters=["soup"])
    shutil.move(os.path.join(tmp, "soup"), out)
    shutil.rmtree(tmp)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"generate": generate, "merge": merge, "soup": soup}[command](*args)
