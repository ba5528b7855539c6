"""One training job from a plain Python process, for the JVM-overhead benchmark (and a template for
launching training outside the JVM, e.g. under torchrun).

    python -m peft4j_examples.bench_train CONFIG_JSON

CONFIG_JSON holds the options of ``peft4j_bridge.train.train``; the result is printed as the last
line of stdout. The listener does what the Java one in the benchmark does: it counts events.
"""

import json
import sys

from peft4j_bridge.train import train


class CountingListener:
    """A Python listener with the Java sink's method names; it only counts steps."""

    def __init__(self):
        self.steps = 0

    def onStart(self, max_steps, train_examples, optimizer, device):
        pass

    def onStep(self, step, max_steps, epoch, loss, learning_rate, tokens_per_second, eta_seconds):
        self.steps += 1

    def onEvaluation(self, step, eval_loss, perplexity):
        pass

    def onCheckpoint(self, path, step):
        pass

    def onEnd(self, result_json):
        pass


class NeverCancel:
    """The control object: never asks to stop."""

    def isCancelled(self):
        return False


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        config = json.load(f)
    listener = CountingListener()
    result = train(config, listener, NeverCancel())
    result["listener_steps"] = listener.steps
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
