"""A tiny random-weight Llama-shaped causal LM with a real byte-level BPE tokenizer and a chat
template, built entirely offline. Used by tests, demos and benchmarks as a stand-in base model."""

import json
import os
import shutil
import tempfile

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<|end|>"]

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A journey of a thousand miles begins with a single step.",
    "Parameter-efficient fine-tuning trains small adapters on top of a frozen base model.",
    "Low-rank adaptation adds the product of two thin matrices to each weight.",
    "The cat sat on the mat and the dog sat on the log.",
    "Question: what is two plus two? Answer: four.",
    "Translate to French: hello world. Bonjour le monde.",
    "user assistant system: You are a helpful assistant.",
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ",
]


def make_tokenizer(vocab_size=384):
    """A byte-level BPE tokenizer (any text encodes, no unknown tokens) trained on a few sentences,
    wrapped as a transformers fast tokenizer with bos/eos/pad tokens and a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(CORPUS, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        additional_special_tokens=["<|end|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def make_tiny_llama(out_dir, seed=0, hidden_size=64, num_layers=2, vocab_size=384):
    """Writes a random-weight LlamaForCausalLM (hidden 64, 2 layers, 4 heads, 2 KV heads) and its
    tokenizer to out_dir with save_pretrained, and returns out_dir. The same seed gives the same
    weights. The directory is written beside out_dir and renamed into place."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from .quiet import quiet_libraries

    quiet_libraries()

    out_dir = os.path.abspath(str(out_dir))
    tokenizer = make_tokenizer(vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(int(seed))
    model = LlamaForCausalLM(config)
    parent = os.path.dirname(out_dir) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tiny-llama-", dir=parent)
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        with open(os.path.join(staging, "peft4j_tiny.json"), "w") as f:
            json.dump({"seed": int(seed), "hidden_size": hidden_size, "num_layers": num_layers}, f)
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)
    return out_dir
