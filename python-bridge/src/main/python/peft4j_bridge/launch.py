"""The per-rank entry point of a distributed run: ``python -m torch.distributed.run ... -m
peft4j_bridge.launch SPEC.json`` (or ``accelerate launch ... -m peft4j_bridge.launch SPEC.json``).

Every rank runs the same ``train.train`` the embedded interpreter runs (every method, DPO included); the JVM
that launched the ranks is reached through files and one loopback socket named in ``SPEC.json``, a
``contract.LaunchSpec``:

- ``train``: the ``contract.TrainRequest``.
- ``events_port``: the rank with ``LOCAL_RANK == 0`` connects to ``127.0.0.1:<port>`` and writes the
  training events, one JSON line each, exactly as the embedded interpreter hands them to the JVM
  (``contract.dumps``). The loss and the step are the global ones (Trainer averages them over
  ranks), so every node can report them.
- ``cancel_file``: when this file exists on any node, every rank stops after the same optimizer
  step (the ranks agree through an all-reduce) and a checkpoint is saved. A lost event socket (the
  JVM died) counts as a cancellation too.
- ``error_dir``: a rank that fails writes ``rank-<RANK>.json`` there (a ``contract.RankError``)
  before exiting non-zero, so the JVM can report the rank that failed first.
- ``backend``: the torch.distributed backend; null picks nccl with CUDA, else gloo.
- ``world_size``: the ranks asked for; a launcher that started another number is an error (accelerate
  runs several CPU processes only through mpirun and otherwise starts one).
- ``verbose``: leave the libraries' warnings and info logs on (see ``quiet``).
"""

import os
import socket
import sys
import tempfile
import time
import traceback

from . import contract
from . import quiet


def main(argv):
    if len(argv) != 2:
        print("usage: python -m peft4j_bridge.launch SPEC.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        spec = contract.load(contract.LaunchSpec, f.read())
    quiet.configure(spec.verbose)
    rank = int(os.environ.get("RANK", "0"))
    events = None
    try:
        if int(os.environ.get("LOCAL_RANK", "0")) == 0 and spec.events_port:
            events = EventChannel(spec.events_port)
        check_world_size(spec.world_size)
        init_process_group(spec.backend, spec.train.config.device)
        control = CancelControl(spec.cancel_file, events)
        run(spec.train, events, control)
        shut_down_process_group()
        return 0
    except BaseException as error:
        report_error(spec.error_dir, rank, error)
        raise
    finally:
        if events is not None:
            events.close()


def shut_down_process_group():
    """Waits for every rank, then tears the process group down before the interpreter exits: a rank
    that exits with gloo's threads still running is aborted ("terminate called without an active
    exception"), which fails the whole launch."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def run(request, events, control):
    """What every rank runs: train.train, as in the embedded interpreter."""
    from . import train
    return train.train(request, events, control)


def check_world_size(expected):
    actual = int(os.environ.get("WORLD_SIZE", "1"))
    if expected and actual != int(expected):
        raise RuntimeError(f"the launcher started {actual} rank(s) but {expected} were asked for (accelerate launch "
                           "runs several CPU processes only through mpirun; on CPU, launch without an accelerate config "
                           "to use torchrun)")


def init_process_group(backend, device):
    """Joins the ranks torchrun started; Trainer (accelerate) then uses this group as it is."""
    import torch
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return
    if backend is None:
        backend = "nccl" if device != "cpu" and torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend)


class EventChannel:
    """The ``events`` of ``train.train`` on this node: each event line goes to the JVM's socket."""

    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.socket.settimeout(None)
        self.lost = False

    def accept(self, line):
        if self.lost:
            return
        try:
            self.socket.sendall((line + "\n").encode("utf-8"))
        except OSError:
            self.lost = True

    def close(self):
        try:
            self.socket.close()
        except OSError:
            pass


class CancelControl:
    """``control`` for ``train.train``: cancelled when the cancel file exists on any rank's node or the
    event socket is lost; with several ranks they agree (all-reduce MAX) so all stop at the same step."""

    def __init__(self, cancel_file, events):
        self.cancel_file, self.events = cancel_file, events

    def local(self):
        lost = self.events is not None and self.events.lost
        return lost or bool(self.cancel_file and os.path.exists(self.cancel_file))

    def isCancelled(self):
        import torch
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return self.local()
        device = "cuda" if dist.get_backend() == "nccl" else "cpu"
        flag = torch.tensor([1 if self.local() else 0], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())


def report_error(error_dir, rank, error):
    """Writes the failing rank's error to ``error_dir/rank-<rank>.json`` (atomically)."""
    if not error_dir:
        return
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else kind.__module__ + "." + kind.__qualname__
    try:
        os.makedirs(error_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rank-", dir=error_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(contract.dumps(contract.RankError(rank=rank, type=name, message=str(error), traceback=text,
                                                      time=time.time())))
        os.replace(tmp, os.path.join(error_dir, f"rank-{rank}.json"))
    except OSError:
        pass  # the traceback still reaches stderr


if __name__ == "__main__":
    sys.exit(main(sys.argv))
