"""The Python side of peft4j, called from the JVM through Jep.

Modules here are imported by ``io.peft4j.bridge.PythonRuntime``; ``runtime`` holds the call
wrapper and process set-up, other modules (training, generation, ...) hold the work.
Importing this package is cheap: nothing heavy (torch, transformers) is imported here.
"""

__version__ = "0.1.0"
