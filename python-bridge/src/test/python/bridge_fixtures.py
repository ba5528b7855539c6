"""Python functions the bridge tests call from Java."""

import numpy as np


def add(a, b):
    return a + b


def square(x):
    return x * x


def _check_positive(value):
    if value <= 0:
        raise ValueError("value must be positive, got %d" % value)
    return value


def fail(value):
    return _check_positive(value)


def notify(listener, steps):
    for step in range(steps):
        listener.onStep(step, step * 0.5)
    return steps


def shout(*lines):
    for line in lines:
        print(line)
    return len(lines)


def double_in_place(array):
    """Doubles a float32 array that shares memory with a Java direct buffer."""
    np.multiply(array, 2, out=array)
    return float(array.sum())


def keywords(a, b=2, *, c=3):
    return [a, b, c]


def float16_array():
    return np.ones(3, dtype=np.float16)
