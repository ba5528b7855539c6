"""The one contract between the JVM and this package: every JSON value that crosses, as a dataclass.

Each class mirrors the Java record of the same name in ``io.peft4j`` (snake_case keys, through
Jackson): the requests Java sends (``TrainRequest``, ``LaunchSpec``, ``GenerateRequest``,
``EvalRequest``), the training events Python sends back (``TrainStart``, ``TrainStep``,
``Evaluation``, ``TrainCheckpoint`` and, last, the ``TrainResult``; each a JSON object with an
``"event"`` key, the same in the embedded interpreter, across the distributed launcher's socket and
in ``metrics.jsonl``), and the answers (``Generation``, ``EvalResult``, ``RankError``).

Java owns every default: a request holds every key, and :func:`load` refuses a missing or an
unknown one. ``ContractTest`` (java-api) hands :func:`check` the schema Java derives from its
records, so a key renamed, added or retyped on one side only fails the build.
"""

import dataclasses
import json
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, List, Optional


@dataclass(frozen=True)
class TrainConfig:
    base_model: str
    output_dir: str
    method: str
    rank: int
    alpha: float
    dropout: float
    targets: Any  # PEFT's target_modules: None, "all-linear", a regex string or a list of names
    num_virtual_tokens: int
    learning_rate: float
    epochs: float
    max_steps: int  # 0: train for epochs
    batch_size: int
    gradient_accumulation: int
    max_length: int
    seed: int
    scheduler: str
    warmup_steps: int
    weight_decay: float
    max_grad_norm: float
    optimizer: str
    completion_only_loss: bool
    eval_fraction: float
    eval_steps: int
    save_steps: int
    resume_from: Optional[str]
    device: str
    dpo_base: str
    dpo_beta: float


@dataclass(frozen=True)
class DataFile:
    path: str
    format: str  # text, prompt_completion, messages or preference: checked line by line in Java


@dataclass(frozen=True)
class TrainRequest:
    config: TrainConfig
    data: DataFile
    eval_data: Optional[DataFile]


@dataclass(frozen=True)
class LaunchSpec:
    train: TrainRequest
    events_port: int
    cancel_file: str
    error_dir: str
    backend: Optional[str]
    world_size: int
    verbose: bool


@dataclass(frozen=True)
class RankError:
    rank: int
    type: str
    message: str
    traceback: str
    time: float


@dataclass(frozen=True)
class TrainStart:
    EVENT: ClassVar[str] = "start"
    max_steps: int
    train_examples: int
    optimizer: str
    device: str


@dataclass(frozen=True)
class TrainStep:
    EVENT: ClassVar[str] = "step"
    step: int
    max_steps: int
    epoch: float
    loss: float
    learning_rate: float
    tokens_per_second: float
    eta_seconds: float
    grad_norm: Optional[float]
    tokens_seen: int
    elapsed_seconds: float
    reward_margin: Optional[float]
    reward_accuracy: Optional[float]


@dataclass(frozen=True)
class Evaluation:
    EVENT: ClassVar[str] = "evaluation"
    step: int
    epoch: float
    loss: float
    perplexity: float


@dataclass(frozen=True)
class TrainCheckpoint:
    EVENT: ClassVar[str] = "checkpoint"
    path: str
    step: int


@dataclass(frozen=True)
class TrainResult:
    EVENT: ClassVar[str] = "end"
    adapter_dir: str
    metrics_path: str
    config_path: str
    steps: int
    max_steps: int
    epochs: float
    final_loss: Optional[float]
    eval_loss: Optional[float]
    duration_seconds: float
    tokens_per_second: float
    optimizer: str
    optimizer_requested: str
    device: str
    cancelled: bool
    checkpoint: Optional[str]
    notes: List[str]


@dataclass(frozen=True)
class GenerateOptions:
    max_new_tokens: int
    temperature: float  # 0: greedy
    top_p: float
    top_k: int
    repetition_penalty: float
    seed: int
    chat: bool
    weights: List[float]  # empty: 1.0 per adapter


@dataclass(frozen=True)
class GenerateRequest:
    base: str
    adapters: List[str]
    prompt: str
    options: GenerateOptions


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    new_tokens: int


@dataclass(frozen=True)
class EvalRequest:
    base: str
    adapter: Optional[str]
    data: DataFile
    batch_size: int
    max_length: int
    completion_only_loss: bool


@dataclass(frozen=True)
class EvalResult:
    loss: float
    perplexity: float
    tokens: int
    examples: int


EVENTS = {kind.EVENT: kind for kind in (TrainStart, TrainStep, Evaluation, TrainCheckpoint, TrainResult)}
TYPES = (TrainConfig, DataFile, TrainRequest, LaunchSpec, RankError, TrainStart, TrainStep, Evaluation,
         TrainCheckpoint, TrainResult, GenerateOptions, GenerateRequest, Generation, EvalRequest, EvalResult)


def load(kind, value):
    """A ``kind`` instance from JSON text or a decoded dict; a missing or unknown key is a ValueError."""
    data = json.loads(value) if isinstance(value, (str, bytes)) else value
    if not isinstance(data, dict):
        raise ValueError(f"{kind.__name__}: expected a JSON object, got {type(data).__name__}")
    names = [f.name for f in dataclasses.fields(kind)]
    missing, unknown = sorted(set(names) - set(data)), sorted(set(data) - set(names))
    if missing or unknown:
        raise ValueError(f"{kind.__name__}: missing keys {missing}, unknown keys {unknown}")
    hints = typing.get_type_hints(kind)
    return kind(**{name: _load_value(hints[name], data[name]) for name in names})


def _load_value(hint, value):
    kind, _ = _unwrap(hint)
    return load(kind, value) if dataclasses.is_dataclass(kind) and value is not None else value


def loads_event(line):
    """The event of one JSON line (``dumps`` of an event)."""
    data = json.loads(line)
    kind = EVENTS.get(data.pop("event", None))
    if kind is None:
        raise ValueError(f"not a training event: {line[:80]}")
    return load(kind, data)


def dumps(value):
    """JSON text of a contract instance; events carry their ``"event"`` name first."""
    data = dataclasses.asdict(value)
    event = getattr(type(value), "EVENT", None)
    return json.dumps({"event": event, **data} if event else data)


def check(schema_json):
    """Differences between the schema Java derives from its records and these dataclasses, as one
    line each; empty when they agree on every type, key, JSON type, nullability and event name."""
    schema = json.loads(schema_json)
    ours = {kind.__name__: kind for kind in TYPES}
    problems = [f"{name}: a Java record with no Python dataclass" for name in sorted(set(schema["types"]) - set(ours))]
    problems += [f"{name}: a Python dataclass with no Java record" for name in sorted(set(ours) - set(schema["types"]))]
    for name in sorted(set(ours) & set(schema["types"])):
        java, python = schema["types"][name], _describe(ours[name])
        for key in sorted(set(java) | set(python)):
            if key not in python:
                problems.append(f"{name}.{key}: in Java only")
            elif key not in java:
                problems.append(f"{name}.{key}: in Python only")
            elif java[key] != python[key]:
                problems.append(f"{name}.{key}: Java {java[key]}, Python {python[key]}")
    events = {event: kind.__name__ for event, kind in EVENTS.items()}
    if schema["events"] != events:
        problems.append(f"event names: Java {schema['events']}, Python {events}")
    return problems


def _describe(kind):
    """{key: {"type": ..., "nullable": ...}} in the schema's terms."""
    hints = typing.get_type_hints(kind)
    described = {}
    for field in dataclasses.fields(kind):
        inner, nullable = _unwrap(hints[field.name])
        described[field.name] = {"type": _json_type(inner), "nullable": nullable or inner is Any}
    return described


def _unwrap(hint):
    """(the type inside Optional[...], whether None is allowed)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union and len(args) == 1:
        return args[0], True
    return hint, False


def _json_type(hint):
    if typing.get_origin(hint) in (list, List):
        return "array<" + _json_type(typing.get_args(hint)[0]) + ">"
    if dataclasses.is_dataclass(hint):
        return "object<" + hint.__name__ + ">"
    return {str: "string", int: "integer", float: "number", bool: "boolean", Any: "any"}[hint]
