"""The llama.cpp side of peft4j's GGUF tests: llama.cpp's own converters and llama-cpp-python.

Called by io.peft4j.gguf.LlamaCppCrossCheckTest as

    python llama_cpp_check.py REQUEST.json RESULT.json

where REQUEST is {"action": "prepare" | "run", ...}; the answer is written to RESULT as JSON.
Exit code 3 (with a reason on stderr) means llama-cpp-python is not installed in this
environment: the tests are then skipped (`./peft4j test` installs it in the test layer,
python-bridge/requirements-test.txt).

prepare {"out": DIR, "convert": [[ADAPTER, OUTTYPE], ...]}
    builds the tiny bases and adapters (tiny_bases.py), converts the Llama, Qwen2 and GPT-2 bases
    with llama.cpp's convert_hf_to_gguf.py (f32) and each listed adapter with
    convert_lora_to_gguf.py at that outtype. Answers the manifest with the converted files (or the
    converter's error per job).
run {"jobs": [...], "loads": [{"base": GGUF, "files": [...]}, ...]}
    per job {"base": HF_DIR, "adapter": PEFT_DIR, "base_gguf": GGUF, "adapter_gguf": GGUF,
    "prompts": [[token ids]...], "new_tokens": N}: the next-token logits of every prompt and the
    greedy continuation, with transformers + PEFT (float32) and, when base_gguf is given, with
    llama-cpp-python (the GGUF base plus the GGUF adapter if any, F32 KV cache, one thread); and
    whether llama.cpp loads each file of "loads" as a LoRA adapter of its group's base.

llama.cpp's converters ship only in the llama-cpp-python source package, not in its wheel: the
version installed here is fetched once from PyPI (`pip download --no-binary`) and its
convert_hf_to_gguf.py, convert_lora_to_gguf.py, conversion/ and gguf-py/ are kept under
$PEFT4J_HOME/cache/llama-cpp-python-<version>/ (PEFT4J_HOME defaults to ~/.cache/peft4j).
"""
import contextlib
import fcntl
import importlib.metadata
import io
import json
import os
import runpy
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NOT_INSTALLED = 3
CONVERTER_FILES = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py")
CONVERTER_DIRS = ("conversion", "gguf-py")
# the tiny bases' byte-level BPE tokenizer is none of the pre-tokenizers llama.cpp recognises by
# hash; the checks feed token ids, so the base GGUF only needs some BPE pre-tokenizer name
PRE_TOKENIZER = "gpt-2"


def llama_cpp_version():
    try:
        return importlib.metadata.version("llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return None


def converter_sources(version):
    """The directory holding llama.cpp's converters of llama-cpp-python `version`, fetched once."""
    home = os.environ.get("PEFT4J_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "peft4j")
    cache = os.path.join(home, "cache")
    target = os.path.join(cache, "llama-cpp-python-" + version)
    os.makedirs(cache, exist_ok=True)
    with open(target + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isfile(os.path.join(target, "convert_lora_to_gguf.py")):
            with tempfile.TemporaryDirectory(dir=cache, prefix=".sdist-") as tmp:
                subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                                "--disable-pip-version-check", "-d", tmp, "llama-cpp-python==" + version],
                               check=True, stdout=sys.stderr)
                archive = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".tar.gz"))
                staging = os.path.join(tmp, "llama.cpp")
                with tarfile.open(archive) as tar:
                    root = tar.getnames()[0].split("/")[0] + "/vendor/llama.cpp/"
                    members = [m for m in tar.getmembers() if m.name.startswith(root)
                               and (m.name[len(root):] in CONVERTER_FILES
                                    or m.name[len(root):].split("/")[0] in CONVERTER_DIRS)]
                    for m in members:
                        m.name = m.name[len(root):]
                    tar.extractall(staging, members=members, filter="data")
                if os.path.isdir(target):
                    shutil.rmtree(target)
                os.replace(staging, target)
    return target


def run_converter(sources, script, argv):
    """Runs one of llama.cpp's converter scripts in this process; returns None or its error."""
    saved = sys.argv
    sys.argv = [script] + argv
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            runpy.run_path(os.path.join(sources, script), run_name="__main__")
        return None
    except SystemExit as e:
        return None if not e.code else "exit %s: %s" % (e.code, log.getvalue().strip().splitlines()[-1:])
    except Exception as e:  # the converter's own error, reported per job
        return "%s: %s" % (type(e).__name__, e)
    finally:
        sys.argv = saved


def prepare(request):
    import tiny_bases

    version = llama_cpp_version()
    sources = converter_sources(version)
    sys.path.insert(0, os.path.join(sources, "gguf-py"))
    sys.path.insert(0, sources)
    from conversion import base as conversion_base

    conversion_base.TextModel.get_vocab_base_pre = lambda self, tokenizer: PRE_TOKENIZER
    out = request["out"]
    manifest = tiny_bases.build(out)
    manifest["llama_cpp_python"] = version
    manifest["base_gguf"] = {}
    for kind in request.get("bases", ["llama", "qwen2", "gpt2"]):
        path = os.path.join(out, kind + ".gguf")
        error = run_converter(sources, "convert_hf_to_gguf.py",
                              ["--outtype", "f32", "--outfile", path, manifest["bases"][kind]])
        manifest["base_gguf"][kind] = {"path": path} if error is None else {"error": error}
    manifest["converted"] = {}
    os.makedirs(os.path.join(out, "converter"), exist_ok=True)
    for name, outtype in request["convert"]:
        adapter = manifest["adapters"][name]
        path = os.path.join(out, "converter", "%s-%s.gguf" % (name, outtype))
        error = run_converter(sources, "convert_lora_to_gguf.py",
                              ["--outtype", outtype, "--base", manifest["bases"][adapter["base"]],
                               "--outfile", path, adapter["path"]])
        manifest["converted"]["%s-%s" % (name, outtype)] = {"path": path} if error is None else {"error": error}
    return manifest


def transformers_side(job):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(job["base"], dtype=torch.float32)
    if job.get("adapter"):
        model = PeftModel.from_pretrained(model, job["adapter"])
    model.eval()
    logits, greedy = [], []
    with torch.no_grad():
        for prompt in job["prompts"]:
            ids = torch.tensor([prompt])
            logits.append(model(ids).logits[0, -1].tolist())
            out = model.generate(ids, max_new_tokens=job["new_tokens"], do_sample=False,
                                 attention_mask=torch.ones_like(ids), pad_token_id=0)
            greedy.append(out[0, len(prompt):].tolist())
    return logits, greedy


def llama_cpp_side(job):
    from llama_cpp import Llama

    llm = Llama(model_path=job["base_gguf"], lora_path=job.get("adapter_gguf"), n_ctx=256, n_batch=256,
                n_threads=1, n_threads_batch=1, logits_all=True, type_k=0, type_v=0, verbose=False, seed=0)
    logits, greedy = [], []
    for prompt in job["prompts"]:
        llm.reset()
        llm.eval(prompt)
        logits.append([float(x) for x in llm.scores[len(prompt) - 1]])
        tokens = []
        for _ in range(job["new_tokens"]):
            nxt = int(llm.scores[llm.n_tokens - 1].argmax())
            tokens.append(nxt)
            llm.eval([nxt])
        greedy.append(tokens)
    llm.close()
    return logits, greedy


def loads(base_gguf, files):
    """Whether llama.cpp's llama_adapter_lora_init accepts each file as a LoRA of base_gguf."""
    import llama_cpp
    from llama_cpp import Llama

    llm = Llama(model_path=base_gguf, n_ctx=64, n_threads=1, verbose=False)
    answers = {}
    for path in files:
        adapter = llama_cpp.llama_adapter_lora_init(llm.model, path.encode("utf-8"))
        answers[path] = bool(adapter)  # a NULL pointer when llama.cpp refuses the file
        if adapter:
            llama_cpp.llama_adapter_lora_free(adapter)
    llm.close()
    return answers


def run(request):
    results = []
    for job in request["jobs"]:
        reference_logits, reference_greedy = transformers_side(job)
        if not job.get("base_gguf"):
            results.append({"reference_logits": reference_logits, "reference_greedy": reference_greedy})
            continue
        try:
            logits, greedy = llama_cpp_side(job)
            results.append({"reference_logits": reference_logits, "reference_greedy": reference_greedy,
                            "logits": logits, "greedy": greedy})
        except (RuntimeError, ValueError) as e:
            results.append({"reference_logits": reference_logits, "reference_greedy": reference_greedy,
                            "error": str(e)})
    answer = {"jobs": results, "loads": {}}
    for group in request.get("loads", []):
        answer["loads"].update(loads(group["base"], group["files"]))
    return answer


def main():
    if llama_cpp_version() is None:
        print("llama-cpp-python is not installed in " + sys.prefix, file=sys.stderr)
        sys.exit(NOT_INSTALLED)
    sys.path.insert(0, HERE)
    with open(sys.argv[1]) as f:
        request = json.load(f)
    answer = prepare(request) if request["action"] == "prepare" else run(request)
    with open(sys.argv[2], "w") as f:
        json.dump(answer, f)


if __name__ == "__main__":
    main()
