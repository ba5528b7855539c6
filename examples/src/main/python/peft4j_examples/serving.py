"""Several LoRA adapters served on one base model, the way multi-LoRA servers do it: the base is
loaded once, every adapter is loaded onto it under its own name, and each request switches to
its adapter (``set_adapter``) or turns adapters off for the bare base. Used by the examples'
``AdapterService``; the Java side serializes requests, since there is one interpreter.

``load(base, adapters_json)`` returns a handle; ``generate_json(handle, adapter, prompt,
params_json)`` answers one request; ``unload(handle)`` frees the model.
"""

import itertools
import json
import os

from peft4j_bridge import generate as generate_mod
from peft4j_bridge.quiet import quiet_libraries

_services = {}
_handles = itertools.count(1)


def load(base, adapters_json):
    """Loads base and the adapters ({"name": "dir", ...}, at least one); returns the service handle."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapters = json.loads(adapters_json)
    if not adapters:
        raise ValueError("no adapters to serve")
    for path in [base, *adapters.values()]:
        if not os.path.isdir(path):
            raise ValueError(f"{path}: model or adapter directory not found")
    quiet_libraries()
    tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, trust_remote_code=False)
    names = list(adapters)
    model = PeftModel.from_pretrained(model, adapters[names[0]], adapter_name=names[0])
    for name in names[1:]:
        model.load_adapter(adapters[name], adapter_name=name)
    model.eval()
    handle = next(_handles)
    _services[handle] = (model, tokenizer, set(names))
    return handle


def generate_json(handle, adapter, prompt, params_json):
    """Generates with the named adapter (None or "" for the bare base); the result as JSON text, like
    generate.generate_json."""
    model, tokenizer, names = _services[handle]
    params = json.loads(params_json) if params_json else {}
    p = generate_mod._with_defaults(params, generate_mod.GENERATE_DEFAULTS, "generation")
    if not adapter:
        with model.disable_adapter():
            return json.dumps(generate_mod.complete(model, tokenizer, prompt, p))
    if adapter not in names:
        raise ValueError(f"unknown adapter '{adapter}'; served: {', '.join(sorted(names))}")
    model.set_adapter(adapter)
    return json.dumps(generate_mod.complete(model, tokenizer, prompt, p))


def unload(handle):
    """Forgets the service's model."""
    _services.pop(handle, None)
