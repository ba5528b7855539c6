"""Writes the small PEFT adapters that the Java adapter-model tests read.

How it was run (from the repository root), with the pinned environment of
python-bridge/requirements.txt (torch 2.13.0, transformers 5.18.0, peft 0.21.0, safetensors 0.8.0):

    $PEFT4J_PYTHON/bin/python adapters/src/test/python/make_peft_fixtures.py adapters/src/test/resources/peft

For every case it writes, into <out>/<case>/:
  adapter_config.json, adapter_model.safetensors   -- saved by PEFT's save_pretrained
  expected_deltas.safetensors                      -- get_delta_weight() per module after PEFT reloads
                                                      the saved adapter onto a fresh base with default
                                                      options (float32), keyed by module name
  expected.json                                    -- per module: kind, rank, scaling; and the
                                                      trainable parameter count PEFT reports
"""
import json
import sys
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from peft.tuners.lora import layer as lora_layer
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2ForSequenceClassification, LlamaConfig, LlamaForCausalLM


def tiny_llama():
    cfg = LlamaConfig(hidden_size=16, intermediate_size=24, num_hidden_layers=2, num_attention_heads=2,
                      num_key_value_heads=1, vocab_size=40, tie_word_embeddings=False)
    return LlamaForCausalLM(cfg)


def tiny_gpt2():
    cfg = GPT2Config(n_embd=16, n_layer=2, n_head=2, vocab_size=40, n_positions=32, num_labels=3,
                     pad_token_id=0)
    return GPT2ForSequenceClassification(cfg)


class TinyConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, kernel_size=3)
        self.pointwise = torch.nn.Conv2d(6, 4, kernel_size=1)

    def forward(self, x):
        return self.pointwise(self.conv(x))


CASES = {
    "llama-patterns": (tiny_llama, dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj"],
                                        rank_pattern={"v_proj": 2},
                                        alpha_pattern={"layers.1.self_attn.q_proj": 32})),
    "llama-rslora": (tiny_llama, dict(r=4, lora_alpha=8, use_rslora=True, target_modules=["q_proj", "down_proj"])),
    "llama-dora-embedding": (tiny_llama, dict(r=4, lora_alpha=8, use_dora=True,
                                              target_modules=["q_proj", "embed_tokens"])),
    "llama-bias-save": (tiny_llama, dict(r=2, lora_alpha=4, lora_bias=True, target_modules=["up_proj"],
                                         modules_to_save=["lm_head"])),
    "llama-layers": (tiny_llama, dict(r=2, lora_alpha=2, target_modules=["k_proj"], layers_to_transform=[1])),
    "llama-regex": (tiny_llama, dict(r=3, lora_alpha=6, target_modules=r".*\.mlp\.(gate|up)_proj")),
    "gpt2-conv1d-seqcls": (tiny_gpt2, dict(r=4, lora_alpha=16, fan_in_fan_out=True, target_modules=["c_attn", "c_proj"],
                                           task_type="SEQ_CLS")),
    "conv2d": (TinyConvNet, dict(r=2, lora_alpha=4, target_modules=["conv", "pointwise"])),
}


def kind_of(module):
    if isinstance(module, lora_layer.Embedding):
        return "EMBEDDING"
    if isinstance(module, lora_layer.Conv2d):
        return "CONV2D"
    return "CONV1D" if module.fan_in_fan_out else "LINEAR"


def main(out_root):
    for index, (name, (factory, kwargs)) in enumerate(CASES.items()):
        torch.manual_seed(1000 + index)
        model = factory()
        peft_model = get_peft_model(model, LoraConfig(init_lora_weights=False, **kwargs))
        if name.startswith("llama-dora"):
            peft_model = peft_model.to(torch.bfloat16)  # one case stored in bf16
        out = Path(out_root) / name
        peft_model.save_pretrained(out)
        (out / "README.md").unlink(missing_ok=True)  # the model card PEFT writes
        trainable, _ = peft_model.get_nb_trainable_parameters()
        reloaded = PeftModel.from_pretrained(factory(), out)
        deltas, modules = {}, {}
        for module_name, module in reloaded.base_model.model.named_modules():
            if isinstance(module, lora_layer.LoraLayer) and "default" in module.scaling:
                deltas[module_name] = module.get_delta_weight("default").float().contiguous()
                modules[module_name] = {"kind": kind_of(module), "rank": module.r["default"],
                                        "scaling": module.scaling["default"]}
        save_file(deltas, out / "expected_deltas.safetensors")
        (out / "expected.json").write_text(json.dumps({"modules": modules, "trainable_parameters": trainable},
                                                      indent=2, sort_keys=True) + "\n")
        print(name, len(modules), "modules")


if __name__ == "__main__":
    main(sys.argv[1])
