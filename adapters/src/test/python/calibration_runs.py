"""Measures real CPU training steps that CalibrationTest compares peft4j's memory estimates with.

How it was run (from the repo root, with the development venv of /work/helpers/COMMON.md; ~3 minutes
on 2 CPU cores):
    $PEFT4J_PYTHON/bin/python adapters/src/test/python/calibration_runs.py \
        adapters/src/test/resources/estimate/calibration.json

Each run is a fresh subprocess (so ru_maxrss is that run's own peak). It builds a small random-weight
model with transformers 5.18, wraps it with PEFT 0.21 (LoRA, DoRA, or QLoRA through bitsandbytes 0.50's
CPU NF4 kernels), runs two optimizer steps (the second has optimizer states and activations at once) of causal-LM training on random tokens, and records,
straight from the live objects:
  weights           bytes of every parameter storage (for QLoRA, the packed uint8 NF4 data plus each
                    QuantState's absmax/code/offset/nested tensors)
  gradients         bytes of every .grad after backward
  optimizer_states  bytes of every tensor in optimizer.state after step
  saved             bytes autograd keeps for backward during one forward (saved_tensors_hooks, unique
                    storages, parameter storages excluded)
  rss_delta         peak RSS (ru_maxrss) minus the RSS before the model was built; before that
                    point the same code path (model class, PEFT wrapping, bitsandbytes, optimizer,
                    forward and backward) has run once on a tiny model, so lazy imports and kernel
                    set-up are not counted as training memory
"""
import json
import resource
import subprocess
import sys

RUNS = [
    # name, model_type, config, plan
    ("llama-full-fp32", "llama", "L", dict(method="full", precision="fp32", optimizer="adamw")),
    ("llama-full-bf16", "llama", "L", dict(method="full", precision="bf16", optimizer="adamw")),
    ("llama-lora-qv-bf16", "llama", "L", dict(method="lora", precision="bf16", targets=["q_proj", "v_proj"])),
    ("llama-lora-all-bf16", "llama", "L", dict(method="lora", precision="bf16", targets="all-linear")),
    ("llama-lora-all-bf16-adapter", "llama", "L", dict(method="lora", precision="bf16", targets="all-linear",
                                                       adapter_precision="bf16")),
    ("llama-lora-all-fp32-ckpt", "llama", "L", dict(method="lora", precision="fp32", targets="all-linear",
                                                    gradient_checkpointing=True)),
    ("llama-dora-fp32", "llama", "L", dict(method="dora", precision="fp32", targets=["q_proj", "v_proj"])),
    ("llama-qlora-8bit", "llama", "L", dict(method="qlora", precision="bf16", targets="all-linear",
                                            optimizer="adamw-8bit", gradient_checkpointing=True)),
    ("gpt2-full-fp32", "gpt2", "G", dict(method="full", precision="fp32", optimizer="adamw")),
    ("gpt2-lora-fp32", "gpt2", "G", dict(method="lora", precision="fp32", targets=["c_attn"])),
    ("qwen3-lora-bf16-ckpt", "qwen3", "Q", dict(method="lora", precision="bf16", targets="all-linear",
                                                gradient_checkpointing=True)),
]
CONFIGS = {
    "L": dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=6, num_attention_heads=8,
              num_key_value_heads=4, vocab_size=16000, pad_token_id=0),
    "G": dict(n_embd=384, n_layer=6, n_head=6, vocab_size=16000, n_positions=512, attn_pdrop=0.0,
              resid_pdrop=0.0, embd_pdrop=0.0),
    "Q": dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=6, num_attention_heads=8,
              num_key_value_heads=4, head_dim=64, vocab_size=16000, pad_token_id=0),
}
BATCH, SEQ, STEPS = 4, 256, 2


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def one_run(name, model_type, config_key, plan):
    tiny = {k: v for k, v in CONFIGS[config_key].items()}
    for key in ("num_hidden_layers", "n_layer"):
        if key in tiny:
            tiny[key] = 1
    train(model_type, tiny, plan, 1, 16, 1)
    rss0 = rss_bytes()
    measured = train(model_type, CONFIGS[config_key], plan, BATCH, SEQ, STEPS, rss0)
    return {"name": name, "config": dict(CONFIGS[config_key], model_type=model_type),
            "plan": dict(plan, batch_size=BATCH, seq_len=SEQ), "measured": measured}


def train(model_type, config, plan, batch, seq, steps, rss0=None):
    import tempfile

    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig
    from transformers.utils import logging
    logging.set_verbosity_error()
    torch.manual_seed(0)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[plan["precision"]]
    cfg = AutoConfig.for_model(model_type, **config)
    method = plan["method"]
    if method == "qlora":
        tmp = tempfile.mkdtemp()
        AutoModelForCausalLM.from_config(cfg, dtype=dtype).save_pretrained(tmp)
    rss_before = rss_bytes() if rss0 is None else rss0
    if method == "qlora":
        import bitsandbytes as bnb
        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=dtype)
        model = AutoModelForCausalLM.from_pretrained(tmp, quantization_config=quant, device_map="cpu", dtype=dtype)
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=plan.get("gradient_checkpointing", False),
            gradient_checkpointing_kwargs={"use_reentrant": False})
        for m in model.modules():
            if isinstance(m, bnb.nn.Linear4bit):
                m.support_avx512bf16_for_cpu = False
    else:
        model = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
        if plan.get("gradient_checkpointing"):
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if method in ("lora", "dora", "qlora"):
        lora = LoraConfig(r=plan.get("rank", 16), lora_alpha=32, target_modules=plan["targets"],
                          use_dora=method == "dora")
        model = get_peft_model(model, lora,
                               autocast_adapter_dtype=plan.get("adapter_precision", "fp32") == "fp32")
        if plan.get("gradient_checkpointing") and method != "qlora":
            model.enable_input_require_grads()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    if plan.get("optimizer") == "adamw-8bit":
        import bitsandbytes as bnb
        opt = bnb.optim.AdamW8bit(params, lr=1e-4)
    else:
        opt = torch.optim.AdamW(params, lr=1e-4)

    weight_storages = {}
    for p in model.parameters():
        weight_storages[p.untyped_storage().data_ptr()] = p.untyped_storage().nbytes()
        state = getattr(p, "quant_state", None)
        while state is not None:
            for t in (state.absmax, state.code, state.offset):
                if t is not None:
                    weight_storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
            state = state.state2
    saved = 0
    for step in range(steps):
        ids = torch.randint(0, cfg.vocab_size, (batch, seq))
        seen = {}

        def pack(t):
            s = t.untyped_storage()
            if s.data_ptr() not in weight_storages:
                seen[s.data_ptr()] = s.nbytes()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            loss = model(input_ids=ids, labels=ids).loss
        saved = max(saved, sum(seen.values()))
        loss.backward()
        grads = sum(p.grad.untyped_storage().nbytes() for p in params if p.grad is not None)
        opt.step()
        opt.zero_grad(set_to_none=True)
    states = {}
    for st in opt.state.values():
        for v in st.values():
            if torch.is_tensor(v) and v.numel() > 1:
                states[v.untyped_storage().data_ptr()] = v.untyped_storage().nbytes()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"weights": sum(weight_storages.values()), "gradients": grads,
            "optimizer_states": sum(states.values()), "saved": saved, "rss_delta": peak - rss_before}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        run = next(r for r in RUNS if r[0] == sys.argv[2])
        print(json.dumps(one_run(*run)))
        return
    results = []
    for run in RUNS:
        out = subprocess.run([sys.executable, __file__, "--run", run[0]], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(run[0], results[-1]["measured"], file=sys.stderr)
    with open(sys.argv[1], "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
