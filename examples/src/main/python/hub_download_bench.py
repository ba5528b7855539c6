"""huggingface_hub's side of HubDownloadBench: one hf_hub_download into a fresh cache, timed.

Usage: python hub_download_bench.py ENDPOINT CACHE_DIR REPO_ID FILENAME
Prints the seconds hf_hub_download took (import time excluded) on stdout.
"""

import os
import sys
import time

os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

from huggingface_hub import hf_hub_download  # noqa: E402


def main():
    endpoint, cache_dir, repo_id, filename = sys.argv[1:5]
    start = time.perf_counter()
    path = hf_hub_download(repo_id, filename, cache_dir=cache_dir, endpoint=endpoint, token=False)
    elapsed = time.perf_counter() - start
    if os.path.getsize(path) <= 0:
        raise SystemExit("empty download: " + path)
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
