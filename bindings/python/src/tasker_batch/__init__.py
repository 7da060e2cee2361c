"""tasker-batch for Python: the batch-processing contract of the tasker workflow orchestrator,
decided by one Rust core (reached through its C ABI) and typed with Pydantic v2 models under
upstream tasker-core's names.

>>> import tasker_batch as tb
>>> configs = tb.partition_by_count(total_items=1000, worker_count=3)
>>> [c.batch_size for c in configs]
[334, 334, 332]
>>> tb.create_batches("process_batch", 3, configs, 1000).worker_count
3

Every rule lives in the core: constructing a model or calling a function validates there, and
bad input raises :class:`ValidationError` (also a ``ValueError``) with ``code``, ``path`` and
the core's ``message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Union

from . import _codec, _native
from ._codec import Json
from ._native import LIBRARY_ENV, library_path, version
from .batchable import Batchable
from .context import BatchWorkerContext, step_data
from .errors import Diagnostic, TaskerBatchError, ValidationError
from .functions import (
    aggregate,
    aggregate_batch_results,
    converge,
    create_batches,
    cursor_configs_from_ranges,
    no_batches,
    partition,
    partition_boundaries,
    partition_by_count,
    partition_by_size,
    partition_timestamps,
    partition_uuids,
    redrive,
    reset_for_retry,
    update_step_results,
    worker_context,
    write_checkpoint,
)
from .legacy import BatchAnalyzerOutcome, BatchWorkerConfig, BatchWorkerOutcome, CursorConfig
from .models import (
    BatchAggregationResult,
    BatchMetadata,
    BatchProcessingOutcome,
    CreateBatchesOutcome,
    FailureStrategy,
    NoBatchesOutcome,
    RustBatchWorkerInputs,
    RustCursorConfig,
    outcome_from_dict,
)
from .scenario import BatchAggregationScenario

__version__ = "0.1.0"


@dataclass(frozen=True)
class CallResult:
    """A successful :func:`call_with_warnings`: the operation's ``value`` and the
    ``warnings`` the core reported about suspicious but legal input."""

    value: Json
    warnings: List[Diagnostic]


def call(op: str, value: Json) -> Json:
    """Runs the core operation ``op`` (``"partition"``, ``"aggregate"``, …, see
    :func:`operations`) on ``value`` and returns its output; warnings are dropped."""
    return call_with_warnings(op, value).value


def call_with_warnings(op: str, value: Json) -> CallResult:
    """Like :func:`call`, returning the value together with the warnings."""
    result, warnings = _codec.call_value(_native.c_string(op, "op"), value)
    return CallResult(result, warnings)


def call_json(op: str, text: Union[str, bytes]) -> str:
    """Sends the JSON ``text`` as it is to ``op`` and returns the envelope the core wrote:
    ``{"ok":true,"value":...,"warnings":[...]}`` or ``{"ok":false,"error":{...}}``. Errors in
    the input are envelopes here, not exceptions; only a NUL (which a C string cannot carry)
    raises ``ValueError``."""
    envelope = _native.call_bytes(_native.c_string(op, "op"), _native.c_string(text, "text"))
    return envelope.decode("utf-8")


def operations() -> List[str]:
    """The names of every operation the core accepts."""
    import json

    names: Any = json.loads(_native.operations_json())
    return list(names)


__all__ = [
    "LIBRARY_ENV",
    "BatchAggregationResult",
    "BatchAggregationScenario",
    "BatchAnalyzerOutcome",
    "BatchMetadata",
    "BatchProcessingOutcome",
    "BatchWorkerConfig",
    "BatchWorkerContext",
    "BatchWorkerOutcome",
    "Batchable",
    "CallResult",
    "CreateBatchesOutcome",
    "CursorConfig",
    "FailureStrategy",
    "NoBatchesOutcome",
    "RustBatchWorkerInputs",
    "RustCursorConfig",
    "TaskerBatchError",
    "ValidationError",
    "aggregate",
    "aggregate_batch_results",
    "call",
    "call_json",
    "call_with_warnings",
    "converge",
    "create_batches",
    "cursor_configs_from_ranges",
    "library_path",
    "no_batches",
    "operations",
    "outcome_from_dict",
    "partition",
    "partition_boundaries",
    "partition_by_count",
    "partition_by_size",
    "partition_timestamps",
    "partition_uuids",
    "redrive",
    "reset_for_retry",
    "step_data",
    "update_step_results",
    "version",
    "worker_context",
    "write_checkpoint",
]
