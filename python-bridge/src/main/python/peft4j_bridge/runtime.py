"""Helpers the Java side calls: process set-up, the call wrapper that keeps tracebacks, and
``describe()``.

Every Java ``PythonRuntime.call(module, function, ...)`` goes through :func:`call`, which imports
the module, runs the function and, when it fails, records the exception's type, message and the
formatted traceback before re-raising, so the Java ``PythonException`` carries the full Python
traceback (Jep's own exception keeps only the message).

Values crossing to Java: numbers, strings, lists, dicts and numpy arrays convert; float16 arrays
cannot cross (convert to float32 or view as uint16 first) and numpy has no bfloat16.
"""

import importlib
import importlib.util
import os
import sys
import traceback

_PACKAGE = __name__.rpartition(".")[0]
_errors = []
_modules = {}


def initialize(python_executable, verbose=False, program="peft4j"):
    """Prepares the embedded interpreter once, on the interpreter thread.

    Points multiprocessing at the environment's python (an embedded interpreter's own executable
    is ``java``), makes ``sys.argv`` non-empty, quietens tokenizers' fork warning and, unless
    ``verbose``, the libraries' warnings and info logs (see ``quiet``).
    """
    import multiprocessing

    from . import quiet

    quiet.configure(verbose)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not sys.argv or sys.argv == [""]:
        sys.argv = [program]
    sys.executable = python_executable
    multiprocessing.set_executable(python_executable)


def add_path(path):
    """Puts a directory at the front of ``sys.path`` (once) so its modules can be called."""
    path = os.fspath(path)
    if path not in sys.path:
        sys.path.insert(0, path)


def call(_module, _function, *args, **kwargs):
    """Imports ``_module`` and calls its ``_function``; on failure records the error, re-raises.

    ``_module`` is a module of this package (``"runtime"``) or any importable module by its full
    name (``"json"``).
    """
    try:
        target = getattr(_import(_module), _function)
        return _crossable(target(*args, **kwargs), _module, _function)
    except BaseException as error:
        # the traceback starts at the called function: this wrapper's own frame is left out
        frames = error.__traceback__.tb_next or error.__traceback__
        text = "".join(traceback.format_exception(type(error), error, frames))
        _errors.append([_type_name(error), str(error), text])
        raise


def take_error():
    """Returns and forgets the last error recorded by :func:`call` as [type, message, traceback]."""
    return _errors.pop() if _errors else None


def describe():
    """Versions of Python and the libraries peft4j uses, and what torch can run on."""
    import importlib.metadata
    import platform

    info = {"python": platform.python_version(), "executable": sys.executable, "prefix": sys.prefix}
    for name in ("torch", "transformers", "peft", "accelerate", "trl", "bitsandbytes",
                 "safetensors", "tokenizers", "numpy", "jep"):
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = None
    info["cuda_available"] = False
    info["cuda_devices"] = []
    if info["torch"] is not None:
        import torch

        info["cuda_available"] = bool(torch.cuda.is_available())
        info["cuda_version"] = torch.version.cuda
        if info["cuda_available"]:
            info["cuda_devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        info["threads"] = torch.get_num_threads()
    return info


def _crossable(value, module, function):
    """Refuses values Jep cannot convert with a message that says what to do instead."""
    values = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
    for item in values:
        dtype = getattr(item, "dtype", None)
        if type(item).__name__ == "ndarray" and dtype is not None and dtype.kind == "f" and dtype.itemsize == 2:
            raise TypeError("float16 arrays cannot cross to Java (%s.%s returned one): return "
                            "array.astype(numpy.float32) or array.view(numpy.uint16) instead" % (module, function))
    return value


def _import(module):
    found = _modules.get(module)
    if found is None:
        top = module.partition(".")[0]
        local = importlib.util.find_spec(_PACKAGE + "." + top) is not None
        found = importlib.import_module(_PACKAGE + "." + module if local else module)
        _modules[module] = found
    return found


def _type_name(error):
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else kind.__module__ + "." + kind.__qualname__
