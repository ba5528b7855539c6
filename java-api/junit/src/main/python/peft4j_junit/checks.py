"""What PEFT itself makes of a model or adapter, written to disk for Java tests to compare with.

Used by the JUnit extension's ``PeftCheck`` (``io.peft4j.junit``): Java produces a result (a merged
model, an adapter), these functions write PEFT's own version of it as safetensors, and the Java side
compares the two files tensor by tensor. Nothing is compared here, so there is one comparison rule.

* ``merge_and_unload(base, adapters_json, weights_json, out_dir)``: ``PeftModel.from_pretrained``
  with default loading, each adapter's scaling multiplied by its weight, ``merge_and_unload`` and
  ``save_pretrained``, the reference for ``io.peft4j.merge.BaseMerger``.
* ``loaded_adapter_state(base, adapter, out_file)``: the adapter as PEFT holds it after loading it
  onto the base (``get_peft_model_state_dict``, in the file's dtypes: no upcasting), so a test can check that PEFT sees exactly the
  tensors of the file, with no key dropped or renamed.
"""

import json
import os
import shutil
import tempfile

from peft4j_bridge.quiet import quiet_libraries


def merge_and_unload(base, adapters_json, weights_json, out_dir):
    """Writes PEFT's merge of the adapters (in order, each weighted) into base to out_dir; returns out_dir."""
    import torch  # noqa: F401  (loaded before peft for a clear import error)
    from peft import PeftModel
    from peft.tuners.lora import LoraLayer

    adapters = json.loads(adapters_json)
    weights = json.loads(weights_json) if weights_json else [1.0] * len(adapters)
    if not adapters or len(weights) != len(adapters):
        raise ValueError(f"{len(adapters)} adapters and {len(weights)} weights: give one weight per adapter")
    model = _load_base(base)
    names = [f"a{i}" for i in range(len(adapters))]
    peft_model = PeftModel.from_pretrained(model, adapters[0], adapter_name=names[0])
    for name, path in zip(names[1:], adapters[1:]):
        peft_model.load_adapter(path, adapter_name=name)
    for module in peft_model.modules():
        if isinstance(module, LoraLayer):
            for name, weight in zip(names, weights):
                if name in module.scaling:
                    module.scaling[name] = module.scaling[name] * float(weight)
    merged = peft_model.merge_and_unload(adapter_names=names)
    return _save_atomically(out_dir, merged.save_pretrained)


def loaded_adapter_state(base, adapter, out_file):
    """Loads adapter onto base with PEFT and writes the adapter's tensors as PEFT holds them to out_file."""
    from peft import PeftModel, get_peft_model_state_dict
    from safetensors.torch import save_file

    peft_model = PeftModel.from_pretrained(_load_base(base), adapter, autocast_adapter_dtype=False)
    state = {k: v.detach().contiguous() for k, v in get_peft_model_state_dict(peft_model).items()}
    out_file = os.path.abspath(str(out_file))
    staging = out_file + ".tmp"
    save_file(state, staging)
    os.replace(staging, out_file)
    return out_file


def _load_base(base):
    from transformers import AutoModelForCausalLM

    quiet_libraries()
    if not os.path.isfile(os.path.join(base, "config.json")):
        raise ValueError(f"{base}: not a model directory (no config.json)")
    return AutoModelForCausalLM.from_pretrained(base, dtype="auto", trust_remote_code=False)


def _save_atomically(out_dir, save):
    out_dir = os.path.abspath(str(out_dir))
    if os.path.exists(out_dir) and os.listdir(out_dir):
        raise ValueError(f"{out_dir}: output directory exists and is not empty")
    parent = os.path.dirname(out_dir) or "."
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".peft4j-check-", dir=parent)
    try:
        save(staging)
        if os.path.isdir(out_dir):
            os.rmdir(out_dir)
        os.replace(staging, out_dir)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)
    return out_dir
