"""Direct preference optimization (DPO) of a LoRA-family adapter with TRL's ``DPOTrainer``.

Reached through ``train.train`` with ``method="dpo"``: the same listener, control, output files and
result as the other methods. ``dpo_base`` names the adapter trained (``lora``, ``qlora``, ``dora``
or ``rslora``, with the usual rank/alpha/targets); the reference policy is the base model with the
adapter disabled (TRL does this when it wraps the model with the given ``peft_config``), so no
second copy of the model is loaded. Data: ``{"prompt", "chosen", "rejected"}`` records (strings).
``metrics.jsonl`` rows carry TRL's ``rewards/chosen``, ``rewards/rejected``, ``rewards/margins``
(chosen minus rejected) and ``rewards/accuracies`` beside the loss.
"""


from . import data as data_mod
from . import methods
from . import train as train_mod

BASES = ("lora", "qlora", "dora", "rslora")
FIELDS = ("prompt", "chosen", "rejected")


def train(cfg, listener=None, control=None):
    """Trains as ``train.train`` does, for a config already resolved by ``train.resolve``."""
    import datasets
    from transformers import set_seed
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from trl import DPOConfig, DPOTrainer

    datasets.disable_progress_bars()
    base = cfg["dpo_base"]
    if base not in BASES:
        raise ValueError(f"dpo trains a {', '.join(BASES)} adapter; got dpo_base '{base}'")
    adapter_cfg = {**cfg, "method": base}
    cuda, out, tokenizer = train_mod.prepare_run(cfg)
    train_set, eval_set = load_pairs(cfg)
    total_steps = train_mod.planned_steps(cfg, len(train_set))

    set_seed(int(cfg["seed"]))
    model = methods.load_base(adapter_cfg, cuda)
    model.config.use_cache = False
    peft_config = methods.peft_config(adapter_cfg, total_steps)
    optimizer_choice = methods.resolve_optimizer(cfg["optimizer"], base, cuda)
    optimizer = optimizer_choice[1]
    if train_mod.is_main_process():
        train_mod.write_run_config(out, cfg, len(train_set), len(eval_set), total_steps, optimizer_choice, cuda,
                                   peft_config)

    arguments = train_mod.trainer_arguments(cfg, out, optimizer, cuda, bool(eval_set))
    del arguments["label_names"]  # DPO batches have no "labels"
    args = DPOConfig(**arguments, beta=float(cfg["dpo_beta"]), max_length=int(cfg["max_length"]))
    bridge = train_mod.ListenerBridge(listener, control, out, optimizer, "cuda" if cuda else "cpu", len(train_set),
                                      adalora=False, resuming=bool(cfg["resume_from"]),
                                      writes_files=train_mod.is_main_process())
    trainer = DPOTrainer(model=model, args=args, train_dataset=as_dataset(train_set),
                         eval_dataset=as_dataset(eval_set) if eval_set else None, processing_class=tokenizer,
                         peft_config=peft_config, callbacks=[bridge])
    for noisy in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(noisy)
    return train_mod.run_to_end(trainer, bridge, cfg, out, listener, bool(eval_set), optimizer_choice, cuda)


def load_pairs(cfg):
    """(train, eval) lists of preference records, checked field by field."""
    if cfg["records"]:
        records, source = list(cfg["records"]), "records"
    else:
        records, source = data_mod.read_jsonl(cfg["data"]), cfg["data"]
    pairs = [preference(r, f"{source} record {n}") for n, r in enumerate(records, start=1)]
    if cfg["eval_data"]:
        evals = data_mod.read_jsonl(cfg["eval_data"])
        return pairs, [preference(r, f"{cfg['eval_data']} record {n}") for n, r in enumerate(evals, start=1)]
    return data_mod.split(pairs, float(cfg["eval_fraction"]), int(cfg["seed"]))


def preference(record, where):
    """The record's prompt, chosen and rejected texts, or a ValueError naming where it is."""
    if not all(isinstance(record.get(k), str) for k in FIELDS):
        raise ValueError(f"{where}: dpo needs \"prompt\", \"chosen\" and \"rejected\" strings; found keys {sorted(record)}")
    if record["chosen"] == record["rejected"]:
        raise ValueError(f"{where}: \"chosen\" and \"rejected\" are the same text")
    return {k: record[k] for k in FIELDS}


def as_dataset(pairs):
    from datasets import Dataset
    return Dataset.from_list(pairs)
