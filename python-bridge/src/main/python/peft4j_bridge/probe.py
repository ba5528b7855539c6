"""Describes a Python installation as one JSON object on stdout.

Run as a plain script (``python probe.py``) by ``io.peft4j.bridge.PythonProbe`` before any
interpreter is embedded: it finds the site-packages, jep's native library and the Python headers.
It imports nothing outside the standard library.
"""

import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import sysconfig


def _jep():
    spec = importlib.util.find_spec("jep")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = list(spec.submodule_search_locations)[0]
    try:
        version = importlib.metadata.version("jep")
    except importlib.metadata.PackageNotFoundError:
        version = None
    built_for = None
    for name in sorted(os.listdir(directory)):
        match = re.match(r"jep\.cpython-3(\d+)", name)
        if match:
            built_for = "3." + match.group(1)
    return {"dir": directory, "version": version, "built_for": built_for}


def describe():
    include = sysconfig.get_paths().get("include") or ""
    return {
        "executable": sys.executable,
        "prefix": sys.prefix,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "headers": os.path.isfile(os.path.join(include, "Python.h")),
        "shared_libpython": bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
        "venv_module": importlib.util.find_spec("venv") is not None
        and importlib.util.find_spec("ensurepip") is not None,
        "jep": _jep(),
    }


if __name__ == "__main__":
    json.dump(describe(), sys.stdout)
