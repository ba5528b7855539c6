"""Training data: JSONL (or in-memory records) in one of three shapes, tokenized with loss masks.

- ``{"text": ...}``: loss on every token.
- ``{"prompt": ..., "completion": ...}``: loss on the completion only (labels -100 on the prompt)
  unless completion-only loss is switched off.
- ``{"messages": [{"role": ..., "content": ...}, ...]}``: rendered with the tokenizer's chat
  template; loss on the assistant turns only unless completion-only loss is switched off.
"""

import json
import os
import random

IGNORE = -100


def read_jsonl(path):
    """The records of a JSONL file, one JSON object a line (blank lines skipped)."""
    if not os.path.isfile(path):
        raise ValueError(f"{path}: data file not found")
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{number}: not valid JSON ({e.msg})") from None
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object")
            records.append(record)
    if not records:
        raise ValueError(f"{path}: no records")
    return records


def record_kind(record, where):
    """'text', 'prompt_completion' or 'messages', or a ValueError naming where the record is."""
    if isinstance(record.get("messages"), list):
        return "messages"
    if isinstance(record.get("prompt"), str) and isinstance(record.get("completion"), str):
        return "prompt_completion"
    if isinstance(record.get("text"), str):
        return "text"
    raise ValueError(
        f"{where}: a record needs \"text\", \"prompt\"+\"completion\" or \"messages\"; found keys {sorted(record)}")


class Encoder:
    """Turns records into ``{"input_ids", "labels"}`` lists, truncated to max_length."""

    def __init__(self, tokenizer, max_length, completion_only_loss=True):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.completion_only_loss = completion_only_loss

    def encode(self, record, where):
        kind = record_kind(record, where)
        if kind == "text":
            ids = self._ids(record["text"], True) + self._eos()
            labels = list(ids)
        elif kind == "prompt_completion":
            prompt = self._ids(record["prompt"], True)
            completion = self._ids(record["completion"], False) + self._eos()
            ids = prompt + completion
            labels = ([IGNORE] * len(prompt) if self.completion_only_loss else prompt) + completion
        else:
            ids, labels = self._encode_messages(record["messages"], where)
        return {"input_ids": ids[: self.max_length], "labels": labels[: self.max_length]}

    def _ids(self, text, special):
        return self.tokenizer(text, add_special_tokens=special)["input_ids"]

    def _eos(self):
        eos = self.tokenizer.eos_token_id
        return [eos] if eos is not None else []

    def _render(self, messages, generation_prompt=False):
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt)

    def _encode_messages(self, messages, where):
        if not getattr(self.tokenizer, "chat_template", None):
            raise ValueError(f"{where}: \"messages\" data needs a tokenizer with a chat template")
        for m in messages:
            if not isinstance(m, dict) or "role" not in m or "content" not in m:
                raise ValueError(f"{where}: each message needs \"role\" and \"content\"")
        if not self.completion_only_loss:
            ids = self._ids(self._render(messages), False)
            return ids, list(ids)
        # Render growing prefixes: the text each turn adds is trained on only for assistant turns
        # (the assistant header itself is part of the prompt).
        ids, labels, done = [], [], ""
        for i, message in enumerate(messages):
            pieces = []
            if message["role"] == "assistant":
                header = self._render(messages[:i], generation_prompt=True) if i else None
                if header is not None and header.startswith(done):
                    pieces.append((header[len(done):], False))
                    done = header
            rendered = self._render(messages[: i + 1])
            if not rendered.startswith(done):
                raise ValueError(f"{where}: the chat template does not render turns as a growing prefix; "
                                 "switch completion-only loss off for this data")
            pieces.append((rendered[len(done):], message["role"] == "assistant"))
            done = rendered
            for text, trained in pieces:
                piece = self._ids(text, False)
                ids += piece
                labels += piece if trained else [IGNORE] * len(piece)
        return ids, labels


def load_examples(records, encoder, source):
    """Encodes every record; drops those with no trained token left after truncation."""
    examples = []
    for number, record in enumerate(records, start=1):
        example = encoder.encode(record, f"{source} record {number}")
        if any(label != IGNORE for label in example["labels"]):
            examples.append(example)
    if not examples:
        raise ValueError(f"{source}: no record has a trained token within max_length={encoder.max_length}")
    return examples


def split(examples, eval_fraction, seed):
    """A seeded train/eval split; eval gets at least one example when the fraction is > 0."""
    if not eval_fraction:
        return examples, []
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_eval = max(1, int(round(len(examples) * eval_fraction)))
    if n_eval >= len(examples):
        raise ValueError(f"eval_fraction={eval_fraction} leaves no training examples out of {len(examples)}")
    eval_ids = set(order[:n_eval])
    return ([e for i, e in enumerate(examples) if i not in eval_ids],
            [e for i, e in enumerate(examples) if i in eval_ids])


class Collator:
    """Pads a batch to its longest example: pad id in input_ids, -100 in labels, 0 in attention_mask."""

    def __init__(self, pad_id):
        self.pad_id = pad_id

    def __call__(self, batch):
        import torch
        width = max(len(e["input_ids"]) for e in batch)
        ids, labels, mask = [], [], []
        for e in batch:
            pad = width - len(e["input_ids"])
            ids.append(e["input_ids"] + [self.pad_id] * pad)
            labels.append(e["labels"] + [IGNORE] * pad)
            mask.append([1] * len(e["input_ids"]) + [0] * pad)
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels),
                "attention_mask": torch.tensor(mask)}
