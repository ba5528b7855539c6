"""Checks the Java training tests run inside the JVM through the bridge, against the real libraries."""

import json
import os


def adapter_summary(adapter_dir):
    """PEFT's own reading of a trained adapter: its type and the number of trainable tensors,
    loaded with PeftConfig.from_pretrained and safetensors."""
    from peft import PeftConfig
    from safetensors import safe_open

    config = PeftConfig.from_pretrained(adapter_dir)
    with safe_open(os.path.join(adapter_dir, "adapter_model.safetensors"), "pt") as f:
        keys = list(f.keys())
    return json.dumps({"peft_type": str(config.peft_type.value), "tensors": len(keys)})


def qlora_gradient_drift_after_eval(base, guarded):
    """Loads base in NF4 as QLoRA training does and adds LoRA, twice with the same seed; one copy
    first runs a no-grad forward (what evaluation and generate do). Both then run the same training
    forward/backward. Returns the largest relative difference between their LoRA gradients (0 when
    the no-grad pass changed nothing). With the guard off, bitsandbytes 0.49-0.50 on AVX512-BF16
    CPUs repacks the 4-bit weights during the no-grad pass and the gradients go wrong."""
    import torch

    ids = torch.randint(5, 300, (2, 16), generator=torch.Generator().manual_seed(1))
    reference = _qlora_gradients(base, ids, guarded, eval_first=False)
    after_eval = _qlora_gradients(base, ids, guarded, eval_first=True)
    return max(float((a - b).norm() / b.norm().clamp_min(1e-12)) for a, b in zip(after_eval, reference))


def _qlora_gradients(base, ids, guarded, eval_first):
    import torch
    from peft import LoraConfig, get_peft_model
    from peft4j_bridge import methods

    model = methods.load_base(base, "qlora", cuda=False)
    if not guarded:
        import bitsandbytes as bnb
        for module in model.modules():
            if isinstance(module, bnb.nn.Linear4bit):
                module.support_avx512bf16_for_cpu = True
    torch.manual_seed(0)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False))
    if eval_first:
        model.eval()
        with torch.no_grad():
            model(input_ids=ids)
    model.train()
    model(input_ids=ids, labels=ids).loss.backward()
    return [p.grad.detach().clone() for n, p in model.named_parameters() if "lora_" in n]


def cpu_has_avx512_bf16():
    """Whether this CPU reports avx512_bf16 (the processors the bitsandbytes repack bug hits)."""
    try:
        with open("/proc/cpuinfo") as f:
            return "avx512_bf16" in f.read()
    except OSError:
        return False
