"""Generation and evaluation with a base model plus PEFT adapters, to see what training changed.

``generate(request)``: text from the base with zero, one or several adapters (several LoRA adapters
are combined with ``add_weighted_adapter`` as ``cat``, which is exactly the weighted sum of their
deltas). ``evaluate(request)``: the token-weighted mean loss and perplexity on a JSONL set, counting
the same tokens training does. Requests and answers are the ``contract`` types. The last loaded
model is kept, keyed by its files' modification times, so repeated calls are cheap.
"""

import math
import os

from . import contract
from . import data as data_mod
from .quiet import quiet_libraries

COMBINATION = "cat"  # add_weighted_adapter's combination_type: exactly the weighted sum of the deltas

_cache = {}


def generate(request):
    """The ``contract.Generation`` for a ``contract.GenerateRequest``."""
    o = request.options
    model, tokenizer = _load(request.base, list(request.adapters), o.weights)
    return complete(model, tokenizer, request.prompt, o)


def complete(model, tokenizer, prompt, options):
    """The ``contract.Generation`` of a model already loaded, for ``contract.GenerateOptions``."""
    import torch

    text = prompt
    if options.chat:
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                             add_generation_prompt=True)
    inputs = tokenizer(text, return_tensors="pt", add_special_tokens=not options.chat)
    sampling = options.temperature > 0
    settings = {"max_new_tokens": options.max_new_tokens, "do_sample": sampling,
                "repetition_penalty": options.repetition_penalty,
                "pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    if sampling:
        settings.update(temperature=options.temperature, top_p=options.top_p, top_k=options.top_k)
    torch.manual_seed(options.seed)
    with torch.no_grad():
        output = model.generate(**inputs, **settings)
    new = output[0, inputs["input_ids"].shape[1]:]
    return contract.Generation(text=tokenizer.decode(new, skip_special_tokens=True),
                               prompt_tokens=int(inputs["input_ids"].shape[1]), new_tokens=int(new.shape[0]))


def evaluate(request):
    """The ``contract.EvalResult`` of base (+ adapter, when given) on a ``contract.EvalRequest``'s data."""
    import torch

    model, tokenizer = _load(request.base, [request.adapter] if request.adapter else [], [])
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    encoder = data_mod.Encoder(tokenizer, request.max_length, request.completion_only_loss)
    collate = data_mod.collator(tokenizer)
    total_loss, total_tokens = 0.0, 0
    with data_mod.arrow_cache() as cache_dir, torch.no_grad():
        examples = data_mod.encode(data_mod.read(request.data, cache_dir), request.data, encoder)
        for start in range(0, len(examples), request.batch_size):
            batch = collate(list(examples.select(range(start, min(start + request.batch_size, len(examples))))))
            labels = batch.pop("labels")
            # Loss from the logits rather than the model's own: AdaLoRA adds its orthogonality
            # penalty to a returned loss, and soft prompts put virtual-token logits in front.
            logits = model(**batch).logits[:, -labels.shape[1]:-1].float()
            target = labels[:, 1:]
            total_loss += float(torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                ignore_index=data_mod.IGNORE, reduction="sum"))
            total_tokens += int((target != data_mod.IGNORE).sum())
        count = len(examples)
    mean = total_loss / total_tokens
    return contract.EvalResult(loss=mean, perplexity=math.exp(min(mean, 700.0)), tokens=total_tokens, examples=count)


def generate_json(request_json):
    """generate() with the request and the answer as JSON text (the form Java passes)."""
    return contract.dumps(generate(contract.load(contract.GenerateRequest, request_json)))


def evaluate_json(request_json):
    """evaluate() with the request and the answer as JSON text."""
    return contract.dumps(evaluate(contract.load(contract.EvalRequest, request_json)))


def _load(base, adapters, weights):
    """(model in eval mode, tokenizer), from the one-entry cache when nothing changed on disk."""
    key = (base, tuple(adapters), tuple(weights), tuple(_stamp(path) for path in [base, *adapters]))
    if key not in _cache:
        quiet_libraries()
        _cache.clear()
        _cache[key] = _build(base, adapters, weights)
    return _cache[key]


def _build(base, adapters, weights):
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
            model.add_weighted_adapter(names, weights, "combined", combination_type=COMBINATION)
            model.set_adapter("combined")
    model.eval()
    return model, tokenizer


def _stamp(path):
    return max((os.stat(os.path.join(path, name)).st_mtime_ns for name in os.listdir(path)), default=0)
