"""Prints the token ids training would see for each text, for the peft4j cross-check.

Usage: python token_ids.py TOKENIZER_DIR TEXTS_JSON

TEXTS_JSON holds a JSON list of strings. Prints one JSON object: "ids" from transformers'
AutoTokenizer (tokenizer(text)["input_ids"], special tokens added, as training tokenizes) and
"batch_ids" from the same tokenizer on the whole list at once.
"""

import json
import sys

from transformers import AutoTokenizer


def main(tokenizer_dir, texts_file):
    with open(texts_file, encoding="utf-8") as f:
        texts = json.load(f)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, trust_remote_code=False)
    ids = [tokenizer(text)["input_ids"] for text in texts]
    batch_ids = tokenizer(texts)["input_ids"]
    json.dump({"ids": ids, "batch_ids": batch_ids}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
