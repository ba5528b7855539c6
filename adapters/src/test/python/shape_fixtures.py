"""Writes the expected parameter shapes and LoRA/DoRA trainable counts that ModelShapesTest checks.

How it was run (from the repo root, with the development venv of /work/helpers/COMMON.md):
    $PEFT4J_PYTHON/bin/python adapters/src/test/python/shape_fixtures.py \
        adapters/src/test/resources/estimate

For each supported family it builds tiny random-config models with transformers (on the meta device:
no weights are allocated) and records every state_dict tensor (name, shape), the parameter count
sum(p.numel() for p in model.parameters()) (tied weights once), and, on CPU, PEFT's
get_nb_trainable_parameters() for a few LoRA/DoRA target choices. It also records the parameter count
of each well-known model config bundled with peft4j (src/main/resources/io/peft4j/estimate/models).
The config written for each case is the minimal one (model_type + the few fields set): the Java side
must apply each family's defaults exactly as transformers does.
"""
import json
import pathlib
import sys

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM
from transformers.utils import logging

logging.set_verbosity_error()

DECODER = dict(hidden_size=16, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=2, vocab_size=96, pad_token_id=0)
CASES = [
    ("llama", "llama", dict(DECODER)),
    ("llama-bias-tied", "llama", dict(DECODER, attention_bias=True, mlp_bias=True, tie_word_embeddings=True,
                                      num_key_value_heads=4)),
    ("llama-head-dim", "llama", dict(DECODER, head_dim=8)),
    ("mistral", "mistral", dict(DECODER)),
    ("qwen2", "qwen2", dict(DECODER)),
    ("qwen2-tied", "qwen2", dict(DECODER, tie_word_embeddings=True)),
    ("qwen3", "qwen3", dict(DECODER, head_dim=8)),
    ("qwen3-default-head-dim", "qwen3", dict(DECODER, attention_bias=True)),
    ("gemma", "gemma", dict(DECODER, head_dim=8)),
    ("gemma-untied", "gemma", dict(DECODER, tie_word_embeddings=False)),
    ("gemma2", "gemma2", dict(DECODER, head_dim=8)),
    ("phi", "phi", dict(DECODER)),
    ("phi-qk-layernorm", "phi", dict(DECODER, qk_layernorm=True)),
    ("phi3", "phi3", dict(DECODER)),
    ("gpt2", "gpt2", dict(n_embd=16, n_layer=2, n_head=4, vocab_size=96, n_positions=32)),
    ("gpt2-n-inner", "gpt2", dict(n_embd=16, n_layer=2, n_head=4, vocab_size=96, n_positions=32, n_inner=24)),
    ("opt", "opt", dict(hidden_size=16, ffn_dim=40, num_hidden_layers=2, num_attention_heads=4, vocab_size=96,
                        max_position_embeddings=32, pad_token_id=1)),
    ("opt-proj", "opt", dict(hidden_size=16, ffn_dim=40, num_hidden_layers=2, num_attention_heads=4,
                             vocab_size=96, max_position_embeddings=32, word_embed_proj_dim=8, pad_token_id=1)),
    ("opt-post-norm", "opt", dict(hidden_size=16, ffn_dim=40, num_hidden_layers=2, num_attention_heads=4,
                                  vocab_size=96, max_position_embeddings=32, do_layer_norm_before=False,
                                  enable_bias=False, pad_token_id=1)),
    ("bert", "bert", dict(hidden_size=16, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
                          vocab_size=96, max_position_embeddings=32, type_vocab_size=3)),
]
TARGETS = {
    "llama": ["q_proj", "v_proj"], "mistral": ["q_proj", "v_proj"], "qwen2": ["q_proj", "v_proj"],
    "qwen3": ["q_proj", "v_proj"], "gemma": ["q_proj", "v_proj"], "gemma2": ["q_proj", "v_proj"],
    "phi": ["q_proj", "dense", "fc2"], "phi3": ["qkv_proj", "down_proj"], "gpt2": ["c_attn", "c_fc"],
    "opt": ["q_proj", "v_proj", "fc1"], "bert": ["query", "value", "dense"],
}


def build(model_type, config, device):
    cfg = AutoConfig.for_model(model_type, **config)
    auto = AutoModel if model_type == "bert" else AutoModelForCausalLM
    with torch.device(device):
        return auto.from_config(cfg)


def trainable(model, targets, rank, dora, embed):
    targets = list(targets) + ([embed] if embed else []) if isinstance(targets, list) else targets
    peft_model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=rank, target_modules=targets, use_dora=dora))
    return peft_model.get_nb_trainable_parameters()[0]


def main(out_dir):
    out = pathlib.Path(out_dir)
    cases = []
    for name, model_type, config in CASES:
        model = build(model_type, config, "meta")
        tensors = [[k, list(v.shape)] for k, v in model.state_dict().items()]
        total = sum(p.numel() for p in model.parameters())
        lora = []
        family_targets = TARGETS[model_type]
        embed = {"gpt2": "wte", "bert": "word_embeddings"}.get(model_type, "embed_tokens")
        for targets, with_embed in [(family_targets, False), (family_targets, True), ("all-linear", False),
                                    (r".*\.(q_proj|c_attn|query|qkv_proj)", False)]:
            for dora in (False, True):
                if dora and with_embed:
                    continue
                torch.manual_seed(0)
                count = trainable(build(model_type, config, "cpu"), targets, 4, dora, embed if with_embed else None)
                shown = targets if isinstance(targets, str) else targets + ([embed] if with_embed else [])
                lora.append({"targets": shown, "rank": 4, "dora": dora, "trainable": count})
        cases.append({"name": name, "config": dict(config, model_type=model_type), "parameters": total,
                      "tensors": tensors, "lora": lora})
    (out / "shapes.json").write_text(json.dumps(cases, indent=1) + "\n")

    src = pathlib.Path(__file__).parents[2]
    known = {}
    for folder in (src / "main" / "resources" / "io" / "peft4j" / "estimate" / "models", out / "configs"):
        for path in sorted(folder.glob("*.json")):
            config = json.loads(path.read_text())
            model_type = config.pop("model_type")
            config.pop("architectures", None)
            known[path.name] = sum(p.numel() for p in build(model_type, config, "meta").parameters())
    (out / "known-model-counts.json").write_text(json.dumps(known, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
