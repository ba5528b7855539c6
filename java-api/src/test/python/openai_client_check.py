"""Talks to a running `peft4j serve` with the official `openai` client (PyPI), the way an
application would, and prints what it got as one JSON object. Usage: openai_client_check.py BASE_URL ADAPTER"""

import json
import sys

from openai import OpenAI

base_url, adapter = sys.argv[1], sys.argv[2]
client = OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=600)
out = {"models": [m.id for m in client.models.list()]}
completion = client.completions.create(model=adapter, prompt="The quick brown fox", max_tokens=5, temperature=0)
out["completion"] = completion.choices[0].text
out["completion_tokens"] = completion.usage.completion_tokens
chat = client.chat.completions.create(model=adapter, messages=[{"role": "user", "content": "hi"}], max_tokens=5, temperature=0)
out["chat"] = chat.choices[0].message.content
out["streamed"] = "".join(chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
    model=adapter, messages=[{"role": "user", "content": "hi"}], max_tokens=5, temperature=0, stream=True))
out["streamed_completion"] = "".join(chunk.choices[0].text for chunk in client.completions.create(
    model=adapter, prompt="The quick brown fox", max_tokens=5, temperature=0, stream=True))
try:
    client.completions.create(model="no-such-adapter", prompt="x", max_tokens=2)
    out["not_found"] = None
except Exception as e:  # the client's own exception class for a 404
    out["not_found"] = type(e).__name__
print(json.dumps(out))
