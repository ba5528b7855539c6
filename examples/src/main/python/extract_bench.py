"""The Python side of peft4j's ExtractBench: the synthetic model pair, made with transformers.

generate DIR [SEED]
    DIR/base: a Llama-shaped bf16 model (hidden 1024, intermediate 2816, 12 layers, vocab 32000,
    about 220M parameters, the MergeBench shape) with random weights; DIR/tuned: the same model with
    every linear layer (q/k/v/o/gate/up/down) changed by a full-rank update whose singular values
    decay like a power law, sigma_j ~ (j + 1)^-1, scaled to 5 % of the weight's norm (the shape of real
    fine-tuning updates: a few strong directions and a long tail), then rounded to bf16 as a
    fine-tuned checkpoint is. Embeddings, norms and the output head are unchanged.

mergekit-extract-lora itself is run by the Java benchmark as a process of its own.
"""

import json
import os
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM

LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def generate(out, seed=0):
    torch.manual_seed(int(seed))
    config = LlamaConfig(vocab_size=32000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=12,
                         num_attention_heads=16, num_key_value_heads=16, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(os.path.join(out, "base"), max_shard_size="200MB")
    with torch.no_grad():
        for name, module in model.named_modules():
            if name.split(".")[-1] in LINEAR:
                w = module.weight
                rows, cols = w.shape
                k = min(rows, cols)
                u, _ = torch.linalg.qr(torch.randn(rows, k))
                v, _ = torch.linalg.qr(torch.randn(cols, k))
                sigma = 1.0 / torch.arange(1, k + 1, dtype=torch.float32)
                delta = (u * sigma) @ v.T
                delta *= 0.05 * w.float().norm() / delta.norm()
                w.copy_((w.float() + delta).to(torch.bfloat16))
    model.save_pretrained(os.path.join(out, "tuned"), max_shard_size="200MB")
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"generate": generate}[command](*args)
