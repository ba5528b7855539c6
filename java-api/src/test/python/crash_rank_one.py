"""peft4j_bridge.launch with rank 1 failing as training starts: how DistributedTrainingTest makes one rank crash."""

import os
import sys

from peft4j_bridge import launch

_run = launch.run


def _failing_run(config, listener, control):
    if int(os.environ.get("RANK", "0")) == 1:
        raise RuntimeError("rank one fails on purpose")
    return _run(config, listener, control)


launch.run = _failing_run

if __name__ == "__main__":
    sys.exit(launch.main(sys.argv))
