"""Fine-tuning with PEFT through the transformers Trainer: the one entry point used by Java (through
Jep) and by plain Python scripts alike.

``train(config, listener, control)``: ``config`` is a dict (see DEFAULTS for the keys); ``listener``
and ``control`` are duck-typed and may be Java objects or Python objects:

- ``listener.onStart(max_steps, train_examples, optimizer, device)``
- ``listener.onStep(step, max_steps, epoch, loss, learning_rate, tokens_per_second, eta_seconds)``
- ``listener.onEvaluation(step, eval_loss, perplexity)``
- ``listener.onCheckpoint(path, step)``
- ``listener.onEnd(result_json)``
- ``control.isCancelled()``: checked after every optimizer step; when true, training stops after
  that step and leaves a checkpoint under ``out/checkpoints/``.

The output directory receives a standard PEFT adapter (``adapter_config.json``,
``adapter_model.safetensors``), ``metrics.jsonl`` (one object per logged step),
``eval_metrics.jsonl`` (one per evaluation, when there is eval data) and ``train_config.json``
(the resolved configuration). Checkpoints go to ``out/checkpoints/checkpoint-<step>``.
"""

import json
import math
import os
import shutil
import tempfile
import time

from transformers import TrainerCallback

from . import data as data_mod
from . import methods
from .quiet import quiet_libraries

DEFAULTS = {
    "base_model": None,          # a local model directory
    "data": None,                # a JSONL file, or use "records"
    "records": None,             # a list of records (dicts), instead of "data"
    "output_dir": None,
    "method": "lora",
    "rank": 8,
    "alpha": 16.0,
    "dropout": 0.05,
    "target_modules": None,      # None (PEFT default for the architecture), "all-linear", a regex, or names
    "num_virtual_tokens": 8,     # prompt_tuning
    "learning_rate": 2e-4,
    "epochs": 1.0,
    "max_steps": -1,             # > 0 overrides epochs
    "batch_size": 4,
    "grad_accum": 1,
    "max_length": 512,
    "seed": 42,
    "scheduler": "linear",
    "warmup_steps": 0,
    "weight_decay": 0.0,
    "max_grad_norm": 1.0,
    "optimizer": None,           # None: paged_adamw_8bit for qlora, adamw_torch otherwise
    "completion_only_loss": True,
    "eval_data": None,           # a JSONL file
    "eval_fraction": 0.0,        # or a seeded share of the training data
    "eval_steps": 0,             # 0: evaluate once at the end
    "save_steps": 0,             # 0: checkpoint only on cancel
    "logging_steps": 1,
    "resume_from": None,         # a checkpoint directory
    "device": "auto",            # "auto" (CUDA when present) or "cpu"
}

METRICS_FILE = "metrics.jsonl"
EVAL_METRICS_FILE = "eval_metrics.jsonl"
CONFIG_FILE = "train_config.json"
CHECKPOINTS = "checkpoints"


def resolve(config):
    """DEFAULTS overlaid with config; unknown keys and missing required ones are errors."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown training option(s): {', '.join(unknown)}")
    resolved = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    for key in ("base_model", "output_dir"):
        if not resolved[key]:
            raise ValueError(f"training needs '{key}'")
    if not resolved["data"] and not resolved["records"]:
        raise ValueError("training needs 'data' (a JSONL file) or 'records'")
    methods.check_method(resolved["method"])
    if not os.path.isdir(resolved["base_model"]):
        raise ValueError(f"{resolved['base_model']}: base model directory not found")
    return resolved


def train(config, listener=None, control=None):
    """Trains an adapter as configured, reporting to listener and obeying control; returns a result
    dict (see ``_result``)."""
    cfg = resolve(dict(config))
    quiet_libraries()
    import torch
    from peft import get_peft_model
    from transformers import AutoTokenizer, Trainer, TrainingArguments, set_seed
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    cuda = cfg["device"] != "cpu" and torch.cuda.is_available()
    out = os.path.abspath(cfg["output_dir"])
    os.makedirs(out, exist_ok=True)

    tokenizer = AutoTokenizer.from_pretrained(cfg["base_model"], trust_remote_code=False)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    train_set, eval_set = load_data(cfg, tokenizer)
    total_steps = planned_steps(cfg, len(train_set))

    set_seed(int(cfg["seed"]))
    model = methods.load_base(cfg, cuda)
    model.config.use_cache = False
    peft_config = methods.peft_config(cfg, total_steps)
    model = get_peft_model(model, peft_config)
    requested, optimizer, note = methods.resolve_optimizer(cfg["optimizer"], cfg["method"], cuda)

    write_json_atomically(os.path.join(out, CONFIG_FILE), {
        "config": {k: v for k, v in cfg.items() if k != "records"},
        "records": len(cfg["records"]) if cfg["records"] else None,
        "train_examples": len(train_set), "eval_examples": len(eval_set), "planned_steps": total_steps,
        "optimizer_requested": requested, "optimizer": optimizer, "device": "cuda" if cuda else "cpu",
        "peft_config": json.loads(json.dumps(peft_config.to_dict(), default=_jsonable)),
        "versions": versions(),
    })

    args = TrainingArguments(
        output_dir=os.path.join(out, CHECKPOINTS),
        per_device_train_batch_size=int(cfg["batch_size"]),
        per_device_eval_batch_size=int(cfg["batch_size"]),
        gradient_accumulation_steps=int(cfg["grad_accum"]),
        learning_rate=float(cfg["learning_rate"]),
        num_train_epochs=float(cfg["epochs"]),
        max_steps=int(cfg["max_steps"]) if cfg["max_steps"] and int(cfg["max_steps"]) > 0 else -1,
        lr_scheduler_type=cfg["scheduler"],
        warmup_steps=cfg["warmup_steps"],
        weight_decay=float(cfg["weight_decay"]),
        max_grad_norm=float(cfg["max_grad_norm"]),
        optim=optimizer,
        seed=int(cfg["seed"]),
        data_seed=int(cfg["seed"]),
        logging_steps=int(cfg["logging_steps"]),
        eval_strategy="steps" if eval_set and int(cfg["eval_steps"]) > 0 else "no",
        eval_steps=int(cfg["eval_steps"]) or None,
        save_strategy="steps" if int(cfg["save_steps"]) > 0 else "no",
        save_steps=int(cfg["save_steps"]) or 500,
        prediction_loss_only=True,
        use_cpu=not cuda,
        dataloader_num_workers=0,
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        label_names=["labels"],
        include_num_input_tokens_seen="non_padding",
    )
    bridge = ListenerBridge(listener, control, out, optimizer, "cuda" if cuda else "cpu",
                            len(train_set), cfg["method"] == "adalora", resuming=bool(cfg["resume_from"]))
    trainer = Trainer(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set or None,
                      data_collator=data_mod.Collator(tokenizer.pad_token_id), callbacks=[bridge])
    for noisy in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(noisy)

    resume = cfg["resume_from"]
    if resume and not os.path.isfile(os.path.join(resume, "trainer_state.json")):
        raise ValueError(f"{resume}: not a training checkpoint (no trainer_state.json)")
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=resume or None)
    if eval_set and not bridge.cancelled and bridge.last_eval_step != trainer.state.global_step:
        trainer.evaluate()
    duration = time.perf_counter() - started
    save_adapter(model, out)
    bridge.close()

    result = {
        "adapter_dir": out,
        "metrics_path": os.path.join(out, METRICS_FILE),
        "config_path": os.path.join(out, CONFIG_FILE),
        "steps": trainer.state.global_step,
        "max_steps": trainer.state.max_steps,
        "epochs": trainer.state.epoch or 0.0,
        "final_loss": bridge.last_loss,
        "eval_loss": bridge.last_eval_loss,
        "duration_seconds": duration,
        "tokens_per_second": bridge.mean_tokens_per_second(),
        "optimizer": optimizer,
        "optimizer_requested": requested,
        "device": "cuda" if cuda else "cpu",
        "cancelled": bridge.cancelled,
        "checkpoint": bridge.last_checkpoint,
        "notes": [n for n in [note] if n],
    }
    if listener is not None:
        listener.onEnd(json.dumps(result))
    return result


def train_json(config_json, listener=None, control=None):
    """train() with the config and the result as JSON text (the form Java passes across Jep)."""
    return json.dumps(train(json.loads(config_json), listener, control))


def load_data(cfg, tokenizer):
    encoder = data_mod.Encoder(tokenizer, int(cfg["max_length"]), bool(cfg["completion_only_loss"]))
    if cfg["records"]:
        records, source = list(cfg["records"]), "records"
    else:
        records, source = data_mod.read_jsonl(cfg["data"]), cfg["data"]
    examples = data_mod.load_examples(records, encoder, source)
    if cfg["eval_data"]:
        evals = data_mod.load_examples(data_mod.read_jsonl(cfg["eval_data"]), encoder, cfg["eval_data"])
        return examples, evals
    return data_mod.split(examples, float(cfg["eval_fraction"]), int(cfg["seed"]))


def planned_steps(cfg, n_examples):
    """Optimizer steps the run will take: max_steps, else epochs over the data as Trainer counts them."""
    if cfg["max_steps"] and int(cfg["max_steps"]) > 0:
        return int(cfg["max_steps"])
    batches = math.ceil(n_examples / int(cfg["batch_size"]))
    per_epoch = max(1, batches // int(cfg["grad_accum"]))
    return max(1, math.ceil(float(cfg["epochs"]) * per_epoch))


class ListenerBridge(TrainerCallback):
    """Forwards Trainer events to the duck-typed listener, writes metrics.jsonl and checks control."""

    def __init__(self, listener, control, out, optimizer, device, train_examples, adalora, resuming):
        self.listener, self.control = listener, control
        self.out, self.optimizer, self.device = out, optimizer, device
        self.train_examples, self.adalora, self.resuming = train_examples, adalora, resuming
        self.cancelled = False
        self.last_loss = self.last_eval_loss = self.last_eval_step = self.last_checkpoint = None
        self.metrics = self.eval_metrics = None
        self.run_tokens = self.run_seconds = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self.metrics = open_metrics(os.path.join(self.out, METRICS_FILE), state.global_step, self.resuming)
        self.eval_metrics = open_metrics(os.path.join(self.out, EVAL_METRICS_FILE), state.global_step, self.resuming)
        self.first_step, self.began = state.global_step, time.perf_counter()
        self.mark_time, self.mark_tokens = self.began, state.num_input_tokens_seen
        if self.listener is not None:
            self.listener.onStart(int(state.max_steps), int(self.train_examples), self.optimizer, self.device)

    def on_optimizer_step(self, args, state, control, model=None, **kwargs):
        if self.adalora:  # AdaLoRA reallocates ranks from the gradients, after step and before zero_grad
            model.base_model.update_and_allocate(state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        if self.control is not None and self.control.isCancelled():
            self.cancelled = True
            control.should_training_stop = True
            control.should_save = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return
        now = time.perf_counter()
        tokens = state.num_input_tokens_seen - self.mark_tokens
        seconds = max(now - self.mark_time, 1e-9)
        self.run_tokens, self.run_seconds = self.run_tokens + tokens, self.run_seconds + seconds
        self.mark_time, self.mark_tokens = now, state.num_input_tokens_seen
        done = state.global_step - self.first_step
        eta = (now - self.began) / done * (state.max_steps - state.global_step) if done else 0.0
        row = {"step": state.global_step, "epoch": float(state.epoch or 0.0), "loss": float(logs["loss"]),
               "learning_rate": float(logs.get("learning_rate", 0.0)), "tokens_per_second": tokens / seconds,
               "grad_norm": _float_or_none(logs.get("grad_norm")), "tokens_seen": int(state.num_input_tokens_seen),
               "elapsed_seconds": now - self.began, "eta_seconds": eta}
        self.last_loss = row["loss"]
        write_line(self.metrics, row)
        if self.listener is not None:
            self.listener.onStep(int(row["step"]), int(state.max_steps), row["epoch"], row["loss"],
                                 row["learning_rate"], row["tokens_per_second"], float(eta))

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not metrics or "eval_loss" not in metrics:
            return
        loss = float(metrics["eval_loss"])
        perplexity = math.exp(min(loss, 700.0))
        self.last_eval_loss, self.last_eval_step = loss, state.global_step
        write_line(self.eval_metrics, {"step": state.global_step, "epoch": float(state.epoch or 0.0),
                                       "eval_loss": loss, "perplexity": perplexity})
        if self.listener is not None:
            self.listener.onEvaluation(int(state.global_step), loss, perplexity)

    def on_save(self, args, state, control, **kwargs):
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        self.last_checkpoint = path
        if self.listener is not None:
            self.listener.onCheckpoint(path, int(state.global_step))

    def mean_tokens_per_second(self):
        return self.run_tokens / self.run_seconds if self.run_seconds else 0.0

    def close(self):
        for f in (self.metrics, self.eval_metrics):
            if f is not None:
                f.close()


def open_metrics(path, step, resuming):
    """A metrics file open for appending: fresh for a new run; on resume, keeps the rows up to the
    checkpoint's step (rows logged after it belong to a run that is being replaced)."""
    kept = []
    if resuming and os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            kept = [line for line in f if line.strip() and json.loads(line)["step"] <= step]
    f = open(path, "w", encoding="utf-8")
    f.writelines(kept)
    f.flush()
    return f


def write_line(f, row):
    f.write(json.dumps(row) + "\n")
    f.flush()


def save_adapter(model, out):
    """save_pretrained into a staging directory inside out, then each file renamed into place."""
    staging = tempfile.mkdtemp(prefix=".adapter-", dir=out)
    try:
        model.save_pretrained(staging)
        for name in os.listdir(staging):
            os.replace(os.path.join(staging, name), os.path.join(out, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_json_atomically(path, value):
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, default=_jsonable)
    os.replace(tmp, path)


def versions():
    import peft
    import torch
    import transformers
    found = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
    try:
        import bitsandbytes
        found["bitsandbytes"] = bitsandbytes.__version__
    except Exception:  # optional for every method but qlora
        pass
    return found


def _float_or_none(value):
    return None if value is None else float(value)


def _jsonable(value):
    return sorted(value) if isinstance(value, set) else str(value)
