"""Fine-tuning methods: each name maps to a PEFT config (and, for QLoRA, a 4-bit base)."""

import math

METHODS = ("lora", "qlora", "dora", "rslora", "adalora", "ia3", "prompt_tuning", "dpo")

# IA3 scales the input (not the output) of feed-forward projections.
FEEDFORWARD = ("down_proj", "fc2", "c_proj", "dense_4h_to_h", "wo")
IA3_DEFAULT_TARGETS = ["k_proj", "v_proj", "down_proj"]


def check_method(method):
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}'; known: {', '.join(METHODS)}")


def target_modules(targets):
    """None (PEFT's per-architecture default), 'all-linear', a regex string, or a list of names."""
    if targets is None or isinstance(targets, str):
        return targets
    return list(targets)


def peft_config(config, method, total_steps):
    """The PEFT config for ``method`` (the adapter a dpo run trains is its dpo_base) with the
    settings of ``config``, a ``contract.TrainConfig``."""
    from peft import AdaLoraConfig, IA3Config, LoraConfig, PromptTuningConfig, TaskType

    check_method(method)
    targets = target_modules(config.targets)
    rank, alpha, dropout = config.rank, config.alpha, config.dropout
    if method in ("lora", "qlora", "dora", "rslora", "dpo"):
        return LoraConfig(task_type=TaskType.CAUSAL_LM, r=rank, lora_alpha=alpha, lora_dropout=dropout,
                          target_modules=targets, use_rslora=method == "rslora", use_dora=method == "dora")
    if method == "adalora":
        # AdaLoRA starts at 1.5x the target rank and prunes towards it between tinit and total-tfinal.
        return AdaLoraConfig(task_type=TaskType.CAUSAL_LM, init_r=math.ceil(rank * 1.5), target_r=rank,
                             lora_alpha=alpha, lora_dropout=dropout, target_modules=targets,
                             total_step=total_steps, tinit=total_steps // 10, tfinal=total_steps // 5, deltaT=1)
    if method == "ia3":
        if targets is None:
            targets = IA3_DEFAULT_TARGETS
        if isinstance(targets, list):
            feedforward = [t for t in targets if t in FEEDFORWARD]
        else:
            feedforward = None if targets == "all-linear" else rf".*\.({'|'.join(FEEDFORWARD)})$"
        return IA3Config(task_type=TaskType.CAUSAL_LM, target_modules=targets, feedforward_modules=feedforward)
    return PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=config.num_virtual_tokens)


def load_base(base, method, cuda):
    """The base model: full precision, or NF4 4-bit with double quantization for QLoRA."""
    import torch
    from transformers import AutoModelForCausalLM

    if method != "qlora":
        return AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, trust_remote_code=False)
    bnb = require_bitsandbytes()
    from peft import prepare_model_for_kbit_training
    from transformers import BitsAndBytesConfig

    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.bfloat16)
    model = AutoModelForCausalLM.from_pretrained(base, quantization_config=quant, trust_remote_code=False,
                                                 device_map=None if cuda else "cpu")
    disable_cpu_repack(model, bnb)
    return prepare_model_for_kbit_training(model, gradient_checkpointing_kwargs={"use_reentrant": False})


def require_bitsandbytes():
    """bitsandbytes with 4-bit CPU ops (>= 0.46), or a ValueError naming what is missing."""
    try:
        import bitsandbytes as bnb
    except Exception as e:  # an ImportError or a broken native library
        raise ValueError(f"qlora needs bitsandbytes >= 0.46 (4-bit NF4 on CPU or CUDA); importing it failed: {e}") from e
    version = tuple(int(p) for p in bnb.__version__.split(".")[:2] if p.isdigit())
    if version < (0, 46):
        raise ValueError(f"qlora on CPU needs bitsandbytes >= 0.46 (CPU 4-bit ops); found {bnb.__version__}")
    return bnb


def disable_cpu_repack(model, bnb=None):
    """Guards against the bitsandbytes 0.49-0.50 CPU bug on AVX512-BF16 processors: a no-grad forward
    (evaluation, generate) repacks 4-bit weights for a fused inference kernel and never undoes it,
    after which LoRA gradients are mostly lost. Turning that path off on every Linear4bit avoids it.
    Returns the number of layers guarded."""
    if bnb is None:
        bnb = require_bitsandbytes()
    guarded = 0
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False
            guarded += 1
    return guarded


def optimizer_that_runs(requested, cuda):
    """(optimizer that will run, note or None). Paged bitsandbytes optimizers page only on CUDA; on
    CPU bitsandbytes silently falls back to the unpaged one, so we run and report that."""
    if not cuda and requested.startswith("paged_"):
        ran = requested[len("paged_"):]
        if ran == "adamw_32bit":
            ran = "adamw_torch"
        return ran, f"{requested} requested; paging needs CUDA, so {ran} ran (unpaged, on CPU)"
    return requested, None
