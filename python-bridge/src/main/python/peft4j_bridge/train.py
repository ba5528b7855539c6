"""Fine-tuning with PEFT through the transformers Trainer: the one entry point used by Java (through
Jep), by every rank of a distributed run (``launch``) and by plain Python scripts alike. Method
``dpo`` runs TRL's DPOTrainer with a LoRA-kind adapter on preference data.

``train(request, events, control)``: ``request`` is a ``contract.TrainRequest`` (or its JSON), complete:
the JVM owns every default. ``events`` and ``control`` are duck-typed and may be Java objects:

- ``events.accept(line)``: each event as one JSON line of the contract (``contract.dumps``): a
  ``TrainStart``, a ``TrainStep`` per optimizer step, an ``Evaluation`` per evaluation, a
  ``TrainCheckpoint`` per checkpoint and, last, the ``TrainResult``.
- ``control.isCancelled()``: checked when training begins and after every optimizer step; when true,
  training stops after that step and leaves a checkpoint under ``out/checkpoints/``.

The output directory receives a standard PEFT adapter (``adapter_config.json``,
``adapter_model.safetensors``), ``metrics.jsonl`` (the ``TrainStep`` events, one a line),
``eval_metrics.jsonl`` (the ``Evaluation`` events, when there is eval data) and ``train_config.json``
(the request and what was resolved from it). Checkpoints go to ``out/checkpoints/checkpoint-<step>``.
"""

import dataclasses
import json
import math
import os
import shutil
import tempfile
import time

from transformers import TrainerCallback

from . import contract
from . import data as data_mod
from . import methods
from .quiet import quiet_libraries

METRICS_FILE = "metrics.jsonl"
EVAL_METRICS_FILE = "eval_metrics.jsonl"
CONFIG_FILE = "train_config.json"
CHECKPOINTS = "checkpoints"


def train(request, events=None, control=None):
    """Trains an adapter as requested, reporting events and obeying control; returns the
    ``contract.TrainResult`` it also sent as the last event."""
    if not isinstance(request, contract.TrainRequest):
        request = contract.load(contract.TrainRequest, request)
    with data_mod.arrow_cache() as cache_dir:
        return _train(request, events, control, cache_dir)


def _train(request, events, control, cache_dir):
    cfg = request.config
    methods.check_method(cfg.method)
    quiet_libraries()
    import torch
    from peft import get_peft_model
    from transformers import AutoTokenizer, set_seed
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    cuda = cfg.device != "cpu" and torch.cuda.is_available()
    out = os.path.abspath(cfg.output_dir)
    os.makedirs(out, exist_ok=True)

    tokenizer = AutoTokenizer.from_pretrained(cfg.base_model, trust_remote_code=False)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    train_set, eval_set = data_mod.training_sets(request, tokenizer, cache_dir)
    total_steps = planned_steps(cfg, len(train_set))

    set_seed(cfg.seed)
    adapter_method = cfg.dpo_base if cfg.method == "dpo" else cfg.method  # a 4-bit base for qlora
    model = methods.load_base(cfg.base_model, adapter_method, cuda)
    model.config.use_cache = False
    peft_config = methods.peft_config(cfg, adapter_method, total_steps)
    model = get_peft_model(model, peft_config)
    optimizer, note = methods.optimizer_that_runs(cfg.optimizer, cuda)
    device = "cuda" if cuda else "cpu"

    main_process = is_main_process()
    if main_process:
        if not cfg.resume_from:  # a fresh run: no evaluation rows of an earlier run beside the new ones
            _remove(os.path.join(out, EVAL_METRICS_FILE))
        write_json_atomically(os.path.join(out, CONFIG_FILE), {
            "request": dataclasses.asdict(request),
            "train_examples": len(train_set), "eval_examples": len(eval_set) if eval_set else 0,
            "planned_steps": total_steps, "optimizer": optimizer, "device": device,
            "peft_config": json.loads(json.dumps(peft_config.to_dict(), default=_jsonable)),
            "versions": versions(),
        })

    arguments = dict(
        output_dir=os.path.join(out, CHECKPOINTS),
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation,
        learning_rate=cfg.learning_rate,
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps if cfg.max_steps > 0 else -1,
        lr_scheduler_type=cfg.scheduler,
        warmup_steps=cfg.warmup_steps,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        optim=optimizer,
        seed=cfg.seed,
        data_seed=cfg.seed,
        logging_steps=1,  # metrics.jsonl holds every optimizer step
        eval_strategy="steps" if eval_set and cfg.eval_steps > 0 else "no",
        eval_steps=cfg.eval_steps or None,
        save_strategy="steps" if cfg.save_steps > 0 else "no",
        save_steps=cfg.save_steps or 500,
        prediction_loss_only=True,
        use_cpu=not cuda,
        dataloader_num_workers=0,
        report_to=[],
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
    )
    bridge = ListenerBridge(events, control, out, optimizer, device, len(train_set), cfg.method == "adalora",
                            resuming=bool(cfg.resume_from), has_eval=bool(eval_set), writes_files=main_process)
    trainer = make_trainer(cfg, model, tokenizer, train_set, eval_set, arguments, bridge)
    for noisy in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(noisy)

    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=cfg.resume_from)
    if eval_set and not bridge.cancelled and bridge.last_eval_step != trainer.state.global_step:
        trainer.evaluate()
    duration = time.perf_counter() - started
    if main_process:
        save_adapter(model, out)
    bridge.close()

    result = contract.TrainResult(
        adapter_dir=out, metrics_path=os.path.join(out, METRICS_FILE), config_path=os.path.join(out, CONFIG_FILE),
        steps=trainer.state.global_step, max_steps=trainer.state.max_steps, epochs=float(trainer.state.epoch or 0.0),
        final_loss=bridge.last_loss, eval_loss=bridge.last_eval_loss, duration_seconds=duration,
        tokens_per_second=bridge.mean_tokens_per_second(), optimizer=optimizer, optimizer_requested=cfg.optimizer,
        device=device, cancelled=bridge.cancelled, checkpoint=bridge.last_checkpoint, notes=[n for n in [note] if n])
    bridge.send(result)
    return result


def train_json(request_json, events=None, control=None):
    """train() with the request as JSON text (the form Java passes across Jep); the result arrives as
    the last event."""
    train(request_json, events, control)


def make_trainer(cfg, model, tokenizer, train_set, eval_set, arguments, callback):
    """transformers' Trainer on tokenized examples, or TRL's DPOTrainer on preference pairs (the
    reference model is the base with the adapter switched off)."""
    if cfg.method == "dpo":
        from trl import DPOConfig, DPOTrainer

        args = DPOConfig(**arguments, max_length=cfg.max_length, beta=cfg.dpo_beta)
        return DPOTrainer(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
                          processing_class=tokenizer, callbacks=[callback])
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(**arguments, remove_unused_columns=False, label_names=["labels"])
    return Trainer(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
                   data_collator=data_mod.collator(tokenizer), callbacks=[callback])


def planned_steps(cfg, n_examples):
    """Optimizer steps the run will take: max_steps, else epochs over the data as Trainer counts them."""
    if cfg.max_steps > 0:
        return cfg.max_steps
    batches = math.ceil(n_examples / cfg.batch_size)
    per_epoch = max(1, batches // cfg.gradient_accumulation)
    return max(1, math.ceil(cfg.epochs * per_epoch))


class ListenerBridge(TrainerCallback):
    """Turns Trainer events into contract events (sent, and written to the metrics files) and checks control."""

    def __init__(self, events, control, out, optimizer, device, train_examples, adalora, resuming, has_eval,
                 writes_files=True):
        self.events, self.control, self.writes_files = events, control, writes_files
        self.out, self.optimizer, self.device = out, optimizer, device
        self.train_examples, self.adalora, self.resuming = train_examples, adalora, resuming
        self.has_eval = has_eval
        self.cancelled = False
        self.last_loss = self.last_eval_loss = self.last_eval_step = self.last_checkpoint = None
        self.metrics = self.eval_metrics = None
        self.run_tokens = self.run_seconds = 0.0

    def send(self, event):
        if self.events is not None:
            self.events.accept(contract.dumps(event))

    def on_train_begin(self, args, state, control, **kwargs):
        if self.writes_files:
            self.metrics = open_metrics(os.path.join(self.out, METRICS_FILE), state.global_step, self.resuming)
        if self.has_eval and self.writes_files:
            self.eval_metrics = open_metrics(os.path.join(self.out, EVAL_METRICS_FILE), state.global_step, self.resuming)
        self.first_step, self.began = state.global_step, time.perf_counter()
        self.mark_time, self.mark_tokens = self.began, state.num_input_tokens_seen
        self.send(contract.TrainStart(max_steps=int(state.max_steps), train_examples=int(self.train_examples),
                                      optimizer=self.optimizer, device=self.device))
        self.check_cancelled(control)

    def on_optimizer_step(self, args, state, control, model=None, **kwargs):
        if self.adalora:  # AdaLoRA reallocates ranks from the gradients, after step and before zero_grad
            model.base_model.update_and_allocate(state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        self.check_cancelled(control)

    def check_cancelled(self, control):
        if self.control is not None and self.control.isCancelled():
            self.cancelled = True
            control.should_training_stop = True
            control.should_save = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return
        now = time.perf_counter()
        seen = state.num_input_tokens_seen or int(logs.get("num_tokens", 0))
        tokens = seen - self.mark_tokens
        seconds = max(now - self.mark_time, 1e-9)
        self.run_tokens, self.run_seconds = self.run_tokens + tokens, self.run_seconds + seconds
        self.mark_time, self.mark_tokens = now, seen
        done = state.global_step - self.first_step
        eta = (now - self.began) / done * (state.max_steps - state.global_step) if done else 0.0
        step = contract.TrainStep(
            step=int(state.global_step), max_steps=int(state.max_steps), epoch=float(state.epoch or 0.0),
            loss=float(logs["loss"]), learning_rate=float(logs.get("learning_rate", 0.0)),
            tokens_per_second=tokens / seconds, eta_seconds=float(eta), grad_norm=_float_or_none(logs.get("grad_norm")),
            tokens_seen=int(seen), elapsed_seconds=now - self.began,
            reward_margin=_float_or_none(logs.get("rewards/margins")),  # dpo
            reward_accuracy=_float_or_none(logs.get("rewards/accuracies")))
        self.last_loss = step.loss
        write_line(self.metrics, step)
        self.send(step)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not metrics or "eval_loss" not in metrics:
            return
        loss = float(metrics["eval_loss"])
        evaluation = contract.Evaluation(step=int(state.global_step), epoch=float(state.epoch or 0.0), loss=loss,
                                         perplexity=math.exp(min(loss, 700.0)))
        self.last_eval_loss, self.last_eval_step = loss, state.global_step
        write_line(self.eval_metrics, evaluation)
        self.send(evaluation)

    def on_save(self, args, state, control, **kwargs):
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        self.last_checkpoint = path
        self.send(contract.TrainCheckpoint(path=path, step=int(state.global_step)))

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
            kept = [line for line in f if line.strip() and contract.loads_event(line).step <= step]
    f = open(path, "w", encoding="utf-8")
    f.writelines(kept)
    f.flush()
    return f


def write_line(f, event):
    if f is None:  # a rank other than 0 of a distributed run: rank 0 writes the files
        return
    f.write(contract.dumps(event) + "\n")
    f.flush()


def is_main_process():
    """Whether this process writes the outputs: always, except on ranks other than 0 of a distributed run."""
    return int(os.environ.get("RANK", "0")) == 0


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


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _float_or_none(value):
    return None if value is None else float(value)


def _jsonable(value):
    return sorted(value) if isinstance(value, set) else str(value)
