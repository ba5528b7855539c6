"""Tiny random-weight base models and PEFT LoRA adapters for the GGUF checks against llama.cpp.

Everything is built offline with transformers 5.18 and PEFT 0.21 (the pins of
python-bridge/requirements.txt) from fixed seeds; nothing is committed: the tests call
`build(out_dir)` (through llama_cpp_check.py) into a temporary directory. To look at the files by
hand, run from the repository root:

    $PEFT4J_PYTHON/bin/python adapters/src/test/python/llama_cpp/tiny_bases.py "$(mktemp -d)"

Bases (hidden 64, 2 layers; the Llama-shaped ones have 4 attention heads over 2 KV heads so that
llama.cpp's q/k row permutation is exercised with grouped-query attention):
  llama    LlamaForCausalLM, untied head        mistral  MistralForCausalLM (llama.cpp: "llama")
  qwen2    Qwen2ForCausalLM (q/k/v biases)       gemma    GemmaForCausalLM (tied head)
  gpt2     GPT2LMHeadModel (Conv1D, tied head)
Each base directory holds config.json, model.safetensors and a byte-level BPE tokenizer.

Adapters (init_lora_weights=False so that B is not zero; saved by PEFT's save_pretrained):
  <base>-lora        plain LoRA on every linear layer of the base (and the token embedding of the
                     bases with an untied head: llama, mistral, qwen2)
  llama-rslora       use_rslora=True                 llama-patterns  rank_pattern + alpha_pattern
  llama-dora         use_dora=True                   llama-save      modules_to_save=["lm_head"]
  llama-lora-bf16    the plain llama adapter's factors stored as bfloat16
"""
import json
import os
import sys

import torch

HIDDEN = 64
LAYERS = 2
# the models' vocabulary, padded beyond the tokenizer's 320 tokens as real models pad theirs (and
# room for the <|endoftext|> that transformers' Qwen2Tokenizer adds, which llama.cpp's converter
# counts)
VOCAB = 352

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>"]
CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A journey of a thousand miles begins with a single step.",
    "Low-rank adaptation adds the product of two thin matrices to each weight.",
    "Question: what is two plus two? Answer: four.",
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ",
]


def tokenizer():
    """A byte-level BPE tokenizer trained on a few sentences (any text encodes)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    core.train_from_iterator(CORPUS, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def _llama_like(config_class, model_class, tok, **extra):
    config = config_class(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=2 * HIDDEN,
                          num_hidden_layers=LAYERS, num_attention_heads=4, num_key_value_heads=2,
                          max_position_embeddings=256, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                          pad_token_id=tok.pad_token_id, initializer_range=0.2, **extra)
    return model_class(config)


def make_base(kind, tok):
    import transformers as t
    if kind == "llama":
        return _llama_like(t.LlamaConfig, t.LlamaForCausalLM, tok, tie_word_embeddings=False)
    if kind == "mistral":
        return _llama_like(t.MistralConfig, t.MistralForCausalLM, tok, tie_word_embeddings=False, sliding_window=None)
    if kind == "qwen2":
        return _llama_like(t.Qwen2Config, t.Qwen2ForCausalLM, tok, tie_word_embeddings=False)
    if kind == "gemma":
        return _llama_like(t.GemmaConfig, t.GemmaForCausalLM, tok, head_dim=16, tie_word_embeddings=True)
    if kind == "gpt2":
        config = t.GPT2Config(vocab_size=VOCAB, n_embd=HIDDEN, n_layer=LAYERS, n_head=4, n_positions=256,
                              bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, initializer_range=0.2)
        return t.GPT2LMHeadModel(config)
    raise ValueError(kind)


PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# the embedding is targeted only where the output head is not the embedding itself: llama.cpp then
# applies the embedding's LoRA to the head too and aborts (see LlamaCppCompatibility)
TARGETS = {
    "llama": PROJECTIONS + ["embed_tokens"],
    "gemma": PROJECTIONS,
    "gpt2": ["c_attn", "attn.c_proj", "c_fc", "mlp.c_proj"],
}

ADAPTERS = {
    # name: (base, LoraConfig arguments)
    "llama-lora": ("llama", dict(r=8, lora_alpha=16, target_modules=TARGETS["llama"])),
    "mistral-lora": ("mistral", dict(r=8, lora_alpha=16, target_modules=TARGETS["llama"])),
    "qwen2-lora": ("qwen2", dict(r=8, lora_alpha=16, target_modules=TARGETS["llama"])),
    "gemma-lora": ("gemma", dict(r=8, lora_alpha=16, target_modules=TARGETS["gemma"])),
    "gpt2-lora": ("gpt2", dict(r=8, lora_alpha=16, target_modules=TARGETS["gpt2"], fan_in_fan_out=True)),
    "llama-rslora": ("llama", dict(r=16, lora_alpha=8, use_rslora=True, target_modules=TARGETS["llama"])),
    "llama-patterns": ("llama", dict(r=8, lora_alpha=16, target_modules=TARGETS["llama"],
                                     rank_pattern={"v_proj": 4, "layers.1.mlp.down_proj": 2},
                                     alpha_pattern={"q_proj": 64, "layers.0.self_attn.o_proj": 3})),
    "llama-dora": ("llama", dict(r=8, lora_alpha=16, use_dora=True, target_modules=["q_proj", "v_proj"])),
    "llama-save": ("llama", dict(r=8, lora_alpha=16, target_modules=["q_proj"], modules_to_save=["lm_head"])),
}


def build(out_dir):
    """Writes every base and adapter under out_dir and returns a manifest (also saved as manifest.json)."""
    from peft import LoraConfig, get_peft_model

    os.makedirs(out_dir, exist_ok=True)
    tok = tokenizer()
    manifest = {"bases": {}, "adapters": {}}
    for seed, kind in enumerate(["llama", "mistral", "qwen2", "gemma", "gpt2"]):
        torch.manual_seed(100 + seed)
        model = make_base(kind, tok)
        path = os.path.join(out_dir, kind)
        model.save_pretrained(path)
        tok.save_pretrained(path)
        if kind == "gpt2":
            _add_n_ctx(path)
        manifest["bases"][kind] = path
    for seed, (name, (base, arguments)) in enumerate(ADAPTERS.items()):
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(manifest["bases"][base])
        torch.manual_seed(200 + seed)
        peft_model = get_peft_model(model, LoraConfig(init_lora_weights=False, **arguments))
        _widen(peft_model)
        path = os.path.join(out_dir, name)
        peft_model.save_pretrained(path)
        manifest["adapters"][name] = {"path": path, "base": base}
    bf16 = os.path.join(out_dir, "llama-lora-bf16")
    _as_bf16(manifest["adapters"]["llama-lora"]["path"], bf16)
    manifest["adapters"]["llama-lora-bf16"] = {"path": bf16, "base": "llama"}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def _add_n_ctx(path):
    """transformers 5 no longer saves GPT-2's n_ctx, which llama.cpp's GPT-2 converter reads."""
    config_file = os.path.join(path, "config.json")
    with open(config_file) as f:
        config = json.load(f)
    config["n_ctx"] = config["n_positions"]
    with open(config_file, "w") as f:
        json.dump(config, f, indent=2)


def _widen(peft_model):
    """PEFT's random init leaves lora_B near zero-mean small values; scale B up so that the adapter
    visibly changes the next-token distribution (a check that cannot pass with the adapter ignored)."""
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name or "lora_embedding_B" in name:
                param.mul_(4.0)


def _as_bf16(src, dst):
    from safetensors.torch import load_file, save_file
    import shutil

    shutil.copytree(src, dst, dirs_exist_ok=True)
    tensors = load_file(os.path.join(src, "adapter_model.safetensors"))
    save_file({k: v.to(torch.bfloat16) for k, v in tensors.items()}, os.path.join(dst, "adapter_model.safetensors"),
              metadata={"format": "pt"})


if __name__ == "__main__":
    print(json.dumps(build(sys.argv[1]), indent=1))
