"""A worker's view of its own step: :class:`BatchWorkerContext`, read by the core from the
step's data (its inputs, its results, its checkpoint)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from pydantic import BaseModel, ConfigDict, PrivateAttr

from . import _codec
from .errors import Diagnostic
from .legacy import CursorConfig, plain
from ._wire import adopt, construct
from .models import BatchMetadata, FailureStrategy, RustCursorConfig

_WORKER_CONTEXT = b"worker_context"
_OLDER_FIELDS = ("cursor_config", "batch_index", "total_batches")
_STRATEGIES = {s.value: s for s in FailureStrategy}


def step_data(step: Any) -> Dict[str, Any]:
    """The step's ``{inputs, results, checkpoint}`` as the core reads it, from a dict, a
    workflow step (``inputs``, ``results``, ``checkpoint``) or upstream's ``StepContext``
    (``step_inputs``, ``step_results``, ``checkpoint``). Only names are changed here; a dict
    that already has these names is returned as it is (it is only read)."""
    if type(step) is dict and ("inputs" in step or "results" in step or "checkpoint" in step):
        return step
    if isinstance(step, Mapping):
        if "inputs" in step or "results" in step or "checkpoint" in step:
            return dict(step)
        get = step.get
    else:

        def get(name: str, default: Any = None) -> Any:
            return getattr(step, name, default)

    data: Dict[str, Any] = {}
    for key, names in (
        ("inputs", ("inputs", "step_inputs")),
        ("results", ("results", "step_results")),
        ("checkpoint", ("checkpoint",)),
    ):
        for name in names:
            value = get(name, None)
            if value is not None:
                data[key] = plain(value)
                break
    if "checkpoint" not in data:
        # Upstream's StepContext keeps the workflow step inside the FFI event.
        event = get("event", None)
        sequence = getattr(event, "task_sequence_step", None) if event is not None else None
        workflow_step = sequence.get("workflow_step") if isinstance(sequence, Mapping) else None
        if isinstance(workflow_step, Mapping) and workflow_step.get("checkpoint") is not None:
            data["checkpoint"] = workflow_step["checkpoint"]
    return data


class BatchWorkerContext(BaseModel):
    """What a worker knows about its batch, as the core read it (aligned with the Rust
    ``BatchWorkerInputs``): ``batch_id``, the raw ``start_cursor``/``end_cursor``,
    ``batch_size``, ``batch_metadata``, ``is_no_op``, the ``checkpoint`` and the
    ``resume_cursor`` (the checkpoint's cursor, else the start).

    Build it with :meth:`from_step_data` (a worker step, a dict, or upstream's ``StepContext``),
    or with keywords: the Rust-aligned ones (``batch_id``, ``start_cursor``, ``end_cursor``,
    ``batch_size``, ``batch_metadata``, ``is_no_op``, ``checkpoint``) or upstream's older ones
    (``batch_id``, ``cursor_config``, ``batch_index``, ``total_batches``, ``batch_metadata``,
    ``checkpoint``). Either way the core reads it.
    """

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True, protected_namespaces=())

    batch_id: str
    start_cursor: Any = None
    end_cursor: Any = None
    batch_size: Optional[int] = None
    cursor_kind: Optional[str] = None
    cursor_field: str = "id"
    failure_strategy: FailureStrategy = FailureStrategy.CONTINUE_ON_FAILURE
    batch_metadata: Optional[BatchMetadata] = None
    is_no_op: bool = False
    cursor: Optional[Union[RustCursorConfig, Dict[str, Any]]] = None
    checkpoint: Dict[str, Any] = {}
    resume_cursor: Any = None
    # Upstream's older fields.
    cursor_config: Optional[CursorConfig] = None
    batch_index: int = 0
    total_batches: int = 1

    _has_checkpoint: bool = PrivateAttr(default=False)
    _warnings: Sequence[Diagnostic] = PrivateAttr(default=())

    def __init__(self, **fields: Any) -> None:
        older = {name: fields.pop(name) for name in _OLDER_FIELDS if name in fields}
        value, warnings = _codec.call_value(_WORKER_CONTEXT, _step_from_fields(fields, older.get("cursor_config")))
        super().__init__(**_fields(value), **older)
        self._has_checkpoint = value["has_checkpoint"]
        self._warnings = warnings

    @classmethod
    def from_step_data(cls, step: Any) -> "BatchWorkerContext":
        """Reads the context of the worker step ``step`` (see :func:`step_data`). Raises
        :class:`~tasker_batch.ValidationError` when it is not a worker's step."""
        value, warnings = _codec.call_value(_WORKER_CONTEXT, step_data(step))
        return cls._from_core(value, warnings)

    @classmethod
    def from_step_context(cls, step_context: Any) -> "BatchWorkerContext":
        """Upstream's name for :meth:`from_step_data`."""
        return cls.from_step_data(step_context)

    @classmethod
    def _from_core(cls, value: Dict[str, Any], warnings: Sequence[Diagnostic]) -> "BatchWorkerContext":
        # The core's value is canonical: build without validating it a second time. The
        # value is this call's own (just decoded): its dicts become the models' own.
        has_checkpoint = value.pop("has_checkpoint")
        if value["checkpoint"] is None:
            value["checkpoint"] = {}
        strategy = _STRATEGIES[value["failure_strategy"]]
        value["failure_strategy"] = strategy
        metadata = value["batch_metadata"]
        metadata["failure_strategy"] = strategy
        value["batch_metadata"] = adopt(BatchMetadata, metadata)
        cursor = value["cursor"]
        if cursor is not None:
            value["cursor"] = adopt(RustCursorConfig, cursor) if "batch_size" in cursor else cursor
        # Upstream's older fields, last as the model declares them.
        value["cursor_config"] = None
        value["batch_index"] = 0
        value["total_batches"] = 1
        return adopt(cls, value, {"_has_checkpoint": has_checkpoint, "_warnings": warnings})

    # ------------------------------------------------------------- upstream's reads --

    @property
    def warnings(self) -> List[Diagnostic]:
        """What the core tolerated while reading (``missing_batch_size``, ``opaque_checkpoint``…)."""
        return list(self._warnings)

    def no_op(self) -> bool:
        """True for the placeholder worker of a ``no_batches`` outcome (Ruby's ``no_op?``)."""
        return self.is_no_op

    def has_checkpoint(self) -> bool:
        """True when an earlier attempt wrote a checkpoint to resume from."""
        return self._has_checkpoint

    @property
    def checkpoint_cursor(self) -> Any:
        """The checkpoint's cursor, or None."""
        return self.checkpoint.get("cursor")

    @property
    def checkpoint_items_processed(self) -> int:
        """Items processed up to the checkpoint, 0 without one."""
        return self.checkpoint.get("items_processed") or 0

    @property
    def accumulated_results(self) -> Any:
        """The partial results saved with the checkpoint, or None."""
        return self.checkpoint.get("accumulated_results")

    @property
    def step_size(self) -> int:
        """Upstream's ``CursorConfig.step_size`` (1 unless an older ``cursor_config`` says)."""
        return self.cursor_config.step_size if self.cursor_config is not None else 1

    def to_worker_inputs(self) -> Dict[str, Any]:
        """The ``BatchWorkerInputs`` this context was read from, in wire form."""
        return {
            "cursor": None if self.cursor is None else self.cursor.model_dump(),
            "batch_metadata": None if self.batch_metadata is None else self.batch_metadata.model_dump(),
            "is_no_op": self.is_no_op,
        }


def _fields(value: Dict[str, Any]) -> Dict[str, Any]:
    fields = {k: v for k, v in value.items() if k != "has_checkpoint"}
    if fields.get("checkpoint") is None:
        fields["checkpoint"] = {}
    if fields.get("cursor") is not None:
        fields["cursor"] = _cursor(fields["cursor"])
    return fields


def _cursor(cursor: Dict[str, Any]) -> Any:
    """The worker's cursor as the core read it, not validated a second time: a
    :class:`RustCursorConfig`, or the stored dict as it is when it lacks ``batch_size`` (read
    tolerantly: the context's ``batch_size`` is then the core's ``end - start``, or None)."""
    return construct(RustCursorConfig, cursor) if "batch_size" in cursor else dict(cursor)


def _step_from_fields(fields: Dict[str, Any], cursor_config: Any) -> Dict[str, Any]:
    """Keyword fields as the step data the core reads (names only, no values made up)."""
    fields = dict(fields)
    if isinstance(cursor_config, Mapping):
        cursor_config = CursorConfig(**cursor_config)
    cursor: Dict[str, Any] = {}
    if "batch_id" in fields:
        cursor["batch_id"] = fields.pop("batch_id")
    if cursor_config is not None:
        cursor["start_cursor"] = cursor_config.start_cursor
        cursor["end_cursor"] = cursor_config.end_cursor
    for key in ("start_cursor", "end_cursor", "batch_size"):
        if key in fields:
            cursor[key] = fields.pop(key)
    inputs: Dict[str, Any] = {"cursor": cursor}
    for key in ("batch_metadata", "is_no_op"):
        if key in fields:
            inputs[key] = plain(fields.pop(key))
    step: Dict[str, Any] = {"inputs": inputs}
    checkpoint = fields.pop("checkpoint", None)
    if checkpoint:
        step["checkpoint"] = checkpoint
    if fields:
        inputs.update(fields)
    return step
