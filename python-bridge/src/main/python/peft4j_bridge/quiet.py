"""Library noise off unless asked for: the listener is the progress channel, errors still surface as
exceptions. Verbose (the JVM's logger ``peft4j.python`` at DEBUG, the CLI's ``--verbose``) leaves every
library's warnings and info logs as the libraries make them.

:func:`configure` runs when the interpreter starts and in every distributed rank, before torch,
transformers or bitsandbytes are imported (bitsandbytes warns at import time, e.g. "Failed to load
CPU gemm_4bit_forward from kernels-community" on CPUs with AVX512-BF16); :func:`quiet_libraries`
runs again before each task, since transformers resets its verbosity on import.
"""

import logging
import os
import warnings

# the libraries' own loggers (children inherit the level)
LIBRARIES = ("bitsandbytes", "transformers", "datasets", "accelerate", "peft", "trl", "huggingface_hub",
             "torch.distributed", "torch._dynamo")
_verbose = False
_filters = []  # the warning filters configure() added, to take back


def configure(verbose):
    """Sets the libraries' loggers, Python warnings and torch's C++ log level for the whole process."""
    global _verbose
    _verbose = bool(verbose)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if _verbose else logging.ERROR)
    warnings.filters[:] = [f for f in warnings.filters if not any(f is ours for ours in _filters)]
    _filters.clear()
    if _verbose:
        return
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")  # e.g. DDP's find_unused_parameters notice
    pattern = r"(" + "|".join(sorted({name.split(".")[0] for name in LIBRARIES})) + r")(\.|$)"
    for category in (UserWarning, FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=pattern)
        _filters.append(warnings.filters[0])


def quiet_libraries():
    """No progress bars from transformers and datasets; info logs only when verbose."""
    import transformers

    transformers.utils.logging.disable_progress_bar()
    if not _verbose:
        transformers.utils.logging.set_verbosity_error()
    try:
        import datasets
    except ImportError:
        return
    datasets.disable_progress_bars()
    if not _verbose:
        datasets.utils.logging.set_verbosity_error()
