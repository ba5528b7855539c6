"""Many LoRA adapters served on one base model, with mixed-adapter batches: the Python half of
``io.peft4j.serve.AdapterServer``. The base is loaded once; adapters are loaded onto it under their
names and deleted again when the Java side evicts them; one batch of requests that name different
adapters is generated in one ``model.generate(..., adapter_names=[...])`` call (``"__base__"`` for
the bare base), which PEFT routes row by row.

``start(base)`` returns a handle; ``load_adapter(handle, name, path)``, ``unload_adapter(handle,
name)``; ``generate_batch_json(handle, requests_json)`` answers a JSON list of requests with a JSON
list of results; ``stop(handle)`` frees the model. The Java side validates every adapter and every
request first and calls from the one interpreter thread.
"""

import itertools
import json
import warnings

from .quiet import quiet_libraries

BASE = "__base__"

_servers = {}
_handles = itertools.count(1)


class _Server:
    def __init__(self, base):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        quiet_libraries()
        self.tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"
        self.model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, trust_remote_code=False)
        self.model.eval()
        self.adapters = set()

    def load(self, name, path):
        from peft import PeftModel

        if name in self.adapters:
            raise ValueError(f"adapter '{name}' is already loaded")
        if isinstance(self.model, PeftModel):
            self.model.load_adapter(path, adapter_name=name, is_trainable=False)
        else:
            self.model = PeftModel.from_pretrained(self.model, path, adapter_name=name, is_trainable=False)
        self.model.eval()
        self.adapters.add(name)

    def unload(self, name):
        if name not in self.adapters:
            raise ValueError(f"adapter '{name}' is not loaded")
        self.adapters.discard(name)
        if not self.adapters:
            # PEFT cannot delete the last adapter and keep generating: unwrap the base instead.
            self.model = self.model.unload()
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "adapter X was active which is now deleted"
            self.model.delete_adapter(name)

    def generate(self, requests):
        """One result per request, in order: greedy requests share one batch; a sampling request
        runs alone so that its seed gives the same text whatever else is queued."""
        results = [None] * len(requests)
        greedy = [i for i, r in enumerate(requests) if float(r.get("temperature", 0.0)) <= 0]
        if greedy:
            for i, result in zip(greedy, self._run([requests[i] for i in greedy], sampling=False)):
                results[i] = result
        for i, r in enumerate(requests):
            if i not in greedy:
                results[i] = self._run([r], sampling=True)[0]
        return results

    def _run(self, requests, sampling):
        import torch

        tok = self.tokenizer
        texts, special = [], []
        for r in requests:
            if r.get("messages") is not None:
                texts.append(tok.apply_chat_template(r["messages"], tokenize=False, add_generation_prompt=True))
                special.append(False)
            else:
                texts.append(r["prompt"])
                special.append(True)
        # add_special_tokens is per call: chat prompts carry their own bos from the template.
        encoded = [tok(t, add_special_tokens=s)["input_ids"] for t, s in zip(texts, special)]
        inputs = tok.pad({"input_ids": encoded}, return_tensors="pt", padding=True)
        width = inputs["input_ids"].shape[1]
        options = {"max_new_tokens": max(int(r["max_tokens"]) for r in requests), "do_sample": sampling,
                   "pad_token_id": tok.pad_token_id, "eos_token_id": tok.eos_token_id}
        if sampling:
            r = requests[0]
            options.update(temperature=float(r["temperature"]), top_p=float(r.get("top_p", 1.0)), top_k=0)
            torch.manual_seed(int(r.get("seed") or 0))
        if self.adapters:
            options["adapter_names"] = [r.get("adapter") or BASE for r in requests]
        elif any((r.get("adapter") or BASE) != BASE for r in requests):
            raise ValueError("no adapter is loaded")
        with torch.no_grad():
            output = self.model.generate(**inputs, **options)
        return [self._result(output[row, width:], r, len(ids)) for row, (r, ids) in enumerate(zip(requests, encoded))]

    def _result(self, new, request, prompt_tokens):
        tok = self.tokenizer
        ids = new.tolist()[: int(request["max_tokens"])]
        finish = "length"
        if tok.eos_token_id in ids:
            ids = ids[: ids.index(tok.eos_token_id)]
            finish = "stop"
        # Left padding pads the prompt, never the continuation; a row that stopped early is
        # followed by pad tokens, cut above at its eos.
        text = tok.decode(ids, skip_special_tokens=True)
        for stop in request.get("stop") or []:
            at = text.find(stop)
            if stop and at >= 0:
                text, finish = text[:at], "stop"
        return {"text": text, "token_ids": ids, "prompt_tokens": prompt_tokens, "new_tokens": len(ids),
                "finish_reason": finish}


def start(base):
    """Loads the base model (float32) and its tokenizer; returns the server handle."""
    handle = next(_handles)
    _servers[handle] = _Server(base)
    return handle


def load_adapter(handle, name, path):
    """Loads the adapter folder under name."""
    _servers[handle].load(name, path)


def unload_adapter(handle, name):
    """Deletes the adapter from the model."""
    _servers[handle].unload(name)


def generate_batch_json(handle, requests_json):
    """Requests [{"adapter", "prompt" or "messages", "max_tokens", "temperature", "top_p", "seed",
    "stop"}] to results [{"text", "token_ids", "prompt_tokens", "new_tokens", "finish_reason"}], as
    JSON text."""
    return json.dumps(_servers[handle].generate(json.loads(requests_json)))


def stop(handle):
    """Forgets the server's model."""
    _servers.pop(handle, None)
