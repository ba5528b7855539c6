"""Generation and evaluation with a base model plus PEFT adapters, to see what training changed.

``generate(base, adapters, prompt, params)``: text from the base with zero, one or several
adapters (several LoRA adapters are combined with ``add_weighted_adapter``, ``cat`` by default,
which is exactly the weighted sum of their deltas). ``evaluate(base, adapter, data, params)``: the
token-weighted mean loss and perplexity on a JSONL set, counting the same tokens training does.
The last loaded model is kept, keyed by its files' modification times, so repeated calls are cheap.
"""

import json
import math
import os

from . import data as data_mod
from .quiet import quiet_libraries

GENERATE_DEFAULTS = {
    "max_new_tokens": 64,
    "temperature": 0.0,        # 0: greedy
    "top_p": 1.0,
    "top_k": 0,
    "repetition_penalty": 1.0,
    "seed": 0,
    "chat": False,             # wrap the prompt as a user turn with the tokenizer's chat template
    "weights": None,           # one per adapter when there are several (default 1.0 each)
    "combination": "cat",      # add_weighted_adapter combination_type
}
EVALUATE_DEFAULTS = {"batch_size": 8, "max_length": 512, "completion_only_loss": True}

_cache = {}


def generate(base, adapters, prompt, params=None):
    """{"text": the generated continuation, "prompt_tokens", "new_tokens"}."""
    import torch

    p = _with_defaults(params, GENERATE_DEFAULTS, "generation")
    model, tokenizer = _load(base, list(adapters or []), p["weights"], p["combination"])
    text = prompt
    if p["chat"]:
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                             add_generation_prompt=True)
    inputs = tokenizer(text, return_tensors="pt", add_special_tokens=not p["chat"])
    sampling = float(p["temperature"]) > 0
    options = {"max_new_tokens": int(p["max_new_tokens"]), "do_sample": sampling,
               "repetition_penalty": float(p["repetition_penalty"]),
               "pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    if sampling:
        options.update(temperature=float(p["temperature"]), top_p=float(p["top_p"]), top_k=int(p["top_k"]))
    torch.manual_seed(int(p["seed"]))
    with torch.no_grad():
        output = model.generate(**inputs, **options)
    new = output[0, inputs["input_ids"].shape[1]:]
    return {"text": tokenizer.decode(new, skip_special_tokens=True),
            "prompt_tokens": int(inputs["input_ids"].shape[1]), "new_tokens": int(new.shape[0])}


def evaluate(base, adapter, data, params=None):
    """{"loss", "perplexity", "tokens", "examples"} of base (+ adapter, when given) on a JSONL file."""
    import torch

    p = _with_defaults(params, EVALUATE_DEFAULTS, "evaluation")
    model, tokenizer = _load(base, [adapter] if adapter else [], None, "cat")
    encoder = data_mod.Encoder(tokenizer, int(p["max_length"]), bool(p["completion_only_loss"]))
    examples = data_mod.load_examples(data_mod.read_jsonl(data), encoder, data)
    collate = data_mod.Collator(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
    total_loss, total_tokens = 0.0, 0
    size = int(p["batch_size"])
    with torch.no_grad():
        for start in range(0, len(examples), size):
            batch = collate(examples[start:start + size])
            counted = int((batch["labels"][:, 1:] != data_mod.IGNORE).sum())
            loss = model(**batch).loss  # mean over the counted (shifted, unmasked) tokens
            total_loss += float(loss) * counted
            total_tokens += counted
    mean = total_loss / total_tokens
    return {"loss": mean, "perplexity": math.exp(min(mean, 700.0)), "tokens": total_tokens,
            "examples": len(examples)}


def generate_json(base, adapters_json, prompt, params_json):
    """generate() with list/dict arguments and the result as JSON text (the form Java passes)."""
    return json.dumps(generate(base, json.loads(adapters_json), prompt, json.loads(params_json)))


def evaluate_json(base, adapter, data, params_json):
    """evaluate() with the parameters and the result as JSON text; adapter may be None or ""."""
    return json.dumps(evaluate(base, adapter or None, data, json.loads(params_json)))


def _with_defaults(params, defaults, what):
    params = {k: v for k, v in (params or {}).items() if v is not None}
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"unknown {what} option(s): {', '.join(unknown)}")
    return {**defaults, **params}


def _load(base, adapters, weights, combination):
    """(model in eval mode, tokenizer), from the one-entry cache when nothing changed on disk."""
    for path in [base, *adapters]:
        if not os.path.isdir(path):
            raise ValueError(f"{path}: model or adapter directory not found")
    key = (base, tuple(adapters), tuple(weights or ()), combination,
           tuple(_stamp(path) for path in [base, *adapters]))
    if key not in _cache:
        quiet_libraries()
        _cache.clear()
        _cache[key] = _build(base, adapters, weights, combination)
    return _cache[key]


def _build(base, adapters, weights, combination):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, trust_remote_code=False)
    if adapters:
        model = PeftModel.from_pretrained(model, adapters[0], adapter_name="a0")
        if len(adapters) > 1:
            names = [f"a{i}" for i in range(len(adapters))]
            for name, path in zip(names[1:], adapters[1:]):
                model.load_adapter(path, adapter_name=name)
            weights = list(weights) if weights else [1.0] * len(adapters)
            if len(weights) != len(adapters):
                raise ValueError(f"{len(weights)} weights for {len(adapters)} adapters")
            if not hasattr(model, "add_weighted_adapter"):
                raise ValueError("several adapters can be combined only when they are LoRA adapters")
            model.add_weighted_adapter(names, weights, "combined", combination_type=combination)
            model.set_adapter("combined")
    model.eval()
    return model, tokenizer


def _stamp(path):
    return max((os.stat(os.path.join(path, name)).st_mtime_ns for name in os.listdir(path)), default=0)
