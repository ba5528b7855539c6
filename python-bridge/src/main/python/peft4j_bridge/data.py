"""Training and evaluation data: a JSONL file, loaded with ``datasets``, tokenized with loss masks.

Which format a file has, and whether every line follows it, is decided in Java before Python
starts (``io.peft4j.data.Dataset``: line-numbered errors, any file size); a ``contract.DataFile``
arrives with its format, and this module only reads that format's fields:

- ``text``: ``{"text"}``, loss on every token.
- ``prompt_completion``: ``{"prompt", "completion"}``, loss on the completion only (labels -100 on
  the prompt) unless completion-only loss is switched off.
- ``messages``: ``{"messages": [{"role", "content"}, ...]}``, rendered with the tokenizer's chat
  template; loss on the assistant turns only unless completion-only loss is switched off.
- ``preference``: ``{"prompt", "chosen", "rejected"}``, passed as they are to TRL's DPOTrainer.

Loading, splitting and padding are ``datasets.load_dataset("json")``, ``Dataset.train_test_split``
and transformers' ``DataCollatorForSeq2Seq``. Tokenization with loss masks is our own (see
:class:`Encoder` for why).
"""

import contextlib
import shutil
import tempfile

IGNORE = -100
PREFERENCE = ("prompt", "chosen", "rejected")


@contextlib.contextmanager
def arrow_cache():
    """A directory for the Arrow files ``datasets`` writes while loading and tokenizing, removed
    afterwards: runs do not grow the user's Hugging Face cache (in-memory records arrive as a new
    temporary file every run) and never pick up a stale tokenization."""
    path = tempfile.mkdtemp(prefix="peft4j-datasets-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def read(data_file, cache_dir):
    """The records of a ``contract.DataFile`` as a ``datasets.Dataset`` (one row a line)."""
    from datasets import load_dataset

    return load_dataset("json", data_files=data_file.path, split="train", cache_dir=cache_dir)


def training_sets(request, tokenizer, cache_dir):
    """(train, eval or None) for a ``contract.TrainRequest``: tokenized with loss masks, or the raw
    preference pairs for dpo; without eval data, a seeded ``eval_fraction`` share of the training data."""
    cfg = request.config
    if cfg.method == "dpo":
        def prepare(data_file):
            return read(data_file, cache_dir).select_columns(list(PREFERENCE))
    else:
        encoder = Encoder(tokenizer, cfg.max_length, cfg.completion_only_loss)

        def prepare(data_file):
            return encode(read(data_file, cache_dir), data_file, encoder)
    train = prepare(request.data)
    if request.eval_data is not None:
        return train, prepare(request.eval_data)
    if not cfg.eval_fraction:
        return train, None
    held_out = max(1, round(len(train) * cfg.eval_fraction))
    if held_out >= len(train):
        raise ValueError(f"eval_fraction={cfg.eval_fraction} leaves no training examples out of {len(train)}")
    split = train.train_test_split(test_size=held_out, seed=cfg.seed)
    return split["train"], split["test"]


def encode(dataset, data_file, encoder):
    """``{"input_ids", "labels"}`` rows; rows with no trained token left after truncation are dropped."""
    encoded = dataset.map(lambda record: encoder.encode(record, data_file.format), remove_columns=dataset.column_names)
    kept = encoded.filter(lambda row: any(label != IGNORE for label in row["labels"]))
    if len(kept) == 0:
        raise ValueError(f"{data_file.path}: no record has a trained token within max_length={encoder.max_length}")
    return kept


def collator(tokenizer):
    """Pads each batch to its longest example on the right: pad id in input_ids, -100 in labels, 0 in
    attention_mask (right, because Llama-style models number positions from the left)."""
    from transformers import DataCollatorForSeq2Seq

    tokenizer.padding_side = "right"
    return DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE)


class Encoder:
    """Turns records into ``{"input_ids", "labels"}`` lists, truncated to max_length.

    Hand-written because neither library fits: transformers has no loss-masked encoder, and TRL's
    SFTTrainer masks assistant turns only for chat templates that carry ``{% generation %}`` markers
    (most do not) and offers no tokenizer to share with ``generate.evaluate``, which must count the
    very tokens training trains on. Rendering growing prefixes works with any template.
    """

    def __init__(self, tokenizer, max_length, completion_only_loss=True):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.completion_only_loss = completion_only_loss

    def encode(self, record, data_format):
        if data_format == "text":
            ids = self._ids(record["text"], True) + self._eos()
            labels = list(ids)
        elif data_format == "prompt_completion":
            prompt = self._ids(record["prompt"], True)
            completion = self._ids(record["completion"], False) + self._eos()
            ids = prompt + completion
            labels = ([IGNORE] * len(prompt) if self.completion_only_loss else prompt) + completion
        elif data_format == "messages":
            # only role and content: datasets fills keys other lines have with None
            ids, labels = self._encode_messages([{"role": m["role"], "content": m["content"]} for m in record["messages"]])
        else:
            raise ValueError(f"{data_format} data trains with method dpo only")
        return {"input_ids": ids[: self.max_length], "labels": labels[: self.max_length]}

    def _ids(self, text, special):
        return self.tokenizer(text, add_special_tokens=special)["input_ids"]

    def _eos(self):
        eos = self.tokenizer.eos_token_id
        return [eos] if eos is not None else []

    def _render(self, messages, generation_prompt=False):
        return self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt)

    def _encode_messages(self, messages):
        if not getattr(self.tokenizer, "chat_template", None):
            raise ValueError("\"messages\" data needs a tokenizer with a chat template")
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
                raise ValueError("the chat template does not render turns as a growing prefix; "
                                 "switch completion-only loss off for this data")
            pieces.append((rendered[len(done):], message["role"] == "assistant"))
            done = rendered
            for text, trained in pieces:
                piece = self._ids(text, False)
                ids += piece
                labels += piece if trained else [IGNORE] * len(piece)
        return ids, labels
