"""One training job from a plain Python process, for the JVM-overhead benchmark (and a template for
launching training outside the JVM, e.g. under torchrun).

    python -m peft4j_examples.bench_train REQUEST_JSON

REQUEST_JSON holds a ``contract.TrainRequest`` (the ``"request"`` of a run's ``train_config.json``); the
result is printed as the last line of stdout. The events receiver does what the Java one in the
benchmark does: it counts steps.
"""

import json
import sys

from peft4j_bridge import contract
from peft4j_bridge.train import train


class CountingEvents:
    """Receives the event lines as the JVM does; counts the steps."""

    def __init__(self):
        self.steps = 0

    def accept(self, line):
        if isinstance(contract.loads_event(line), contract.TrainStep):
            self.steps += 1


class NeverCancel:
    """The control object: never asks to stop."""

    def isCancelled(self):
        return False


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        request = f.read()
    events = CountingEvents()
    result = train(request, events, NeverCancel())
    print(json.dumps({"result": json.loads(contract.dumps(result)), "listener_steps": events.steps}))


if __name__ == "__main__":
    main(sys.argv)
