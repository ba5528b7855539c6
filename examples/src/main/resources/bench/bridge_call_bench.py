"""The Python side of BridgeCallBench: the same trivial call timed without Java in between."""

import operator
import time

from peft4j_bridge import runtime


def seconds_per_call(calls):
    """Times ``runtime.call("operator", "add", 1, 2)`` and a bare ``operator.add(1, 2)`` in Python."""
    runtime.call("operator", "add", 1, 2)
    start = time.perf_counter()
    for _ in range(calls):
        runtime.call("operator", "add", 1, 2)
    wrapped = (time.perf_counter() - start) / calls
    start = time.perf_counter()
    for _ in range(calls):
        operator.add(1, 2)
    bare = (time.perf_counter() - start) / calls
    return [wrapped, bare]
