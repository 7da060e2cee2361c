"""The contract's wire types as Pydantic v2 models, under upstream tasker-core's Python names.

Each is validated by the core when it is constructed or parsed (see
:class:`~tasker_batch._wire.WireModel`); ``model_dump()`` is its exact wire JSON.

>>> from tasker_batch import RustCursorConfig
>>> RustCursorConfig(batch_id="001", start_cursor=0, end_cursor=334, batch_size=334).model_dump()
{'batch_id': '001', 'start_cursor': 0, 'end_cursor': 334, 'batch_size': 334}
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, List, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from . import _codec
from ._wire import WireModel


class FailureStrategy(str, Enum):
    """How a batch treats failed items and workers (snake_case on the wire; the core also
    reads upstream's PascalCase spelling, with a warning)."""

    CONTINUE_ON_FAILURE = "continue_on_failure"
    FAIL_FAST = "fail_fast"
    ISOLATE = "isolate"


class RustCursorConfig(WireModel):
    """One worker's range: ``[start_cursor, end_cursor)`` of any JSON kind (integer, UUID,
    timestamp, string, object, array), never coerced. Caller keys are kept."""

    _operation = b"validate_cursor_config"

    batch_id: str
    start_cursor: Any
    end_cursor: Any
    batch_size: int


class NoBatchesOutcome(WireModel):
    """The analyzer found nothing to split: ``{"type": "no_batches"}``."""

    _operation = b"validate_outcome"
    _defaults = {"type": "no_batches"}

    type: Literal["no_batches"] = "no_batches"


class CreateBatchesOutcome(WireModel):
    """Create ``worker_count`` workers from ``worker_template_name``, one per cursor config.
    The core checks every rule (count, unique ids, range kinds, overlaps; gaps and a
    ``total_items`` mismatch are warnings)."""

    _operation = b"validate_outcome"
    _defaults = {"type": "create_batches"}

    type: Literal["create_batches"] = "create_batches"
    worker_template_name: str
    worker_count: int
    cursor_configs: List[RustCursorConfig]
    total_items: int


BatchProcessingOutcome = Union[NoBatchesOutcome, CreateBatchesOutcome]
"""The analyzer's outcome, tagged by ``type`` (upstream's name for the union)."""


class BatchMetadata(WireModel):
    """What a worker needs of its template: the cursor field and the failure strategy. Keys
    the analyzer added are kept (``batch_metadata["source"]``)."""

    _operation = b"validate_batch_metadata"

    cursor_field: str = "id"
    failure_strategy: FailureStrategy = FailureStrategy.CONTINUE_ON_FAILURE

    @field_serializer("failure_strategy")
    def _strategy_on_the_wire(self, value: FailureStrategy) -> str:
        return FailureStrategy(value).value

    def get(self, key: str, default: Any = None) -> Any:
        """Reads a key as from upstream's plain dict (``batch_metadata.get("source")``)."""
        if key in type(self).model_fields:
            return self.model_dump()[key]
        return (self.__pydantic_extra__ or {}).get(key, default)

    def __getitem__(self, key: str) -> Any:
        missing = object()
        found = self.get(key, missing)
        if found is missing:
            raise KeyError(key)
        return found


class RustBatchWorkerInputs(WireModel):
    """What expansion stores in a worker step's ``inputs``: its cursor, the batch metadata
    and the no-op flag. Reading is tolerant (a missing ``is_no_op`` is false, a missing
    ``batch_metadata`` the defaults); a worker that is not a no-op needs a cursor."""

    _operation = b"validate_worker_inputs"

    cursor: Optional[RustCursorConfig] = None
    batch_metadata: BatchMetadata = Field(default_factory=lambda: BatchMetadata())
    is_no_op: bool = False


class BatchAggregationResult(BaseModel):
    """The standard aggregation of the workers' results, as the core computed it. An output
    type: it is built from the core's answer (``aggregate_batch_results``), not validated on
    its own."""

    model_config = ConfigDict(extra="allow", strict=True)

    total_processed: int
    total_succeeded: int
    total_failed: int
    total_skipped: int
    batch_count: int
    success_rate: float
    errors: List[Any] = Field(default_factory=list)
    error_count: int
    worker_count: Optional[int] = None
    scenario: Optional[Literal["no_batches", "with_batches"]] = None

    def to_dict(self) -> Dict[str, Any]:
        """The result as the core wrote it (the same as ``model_dump()``)."""
        return self.model_dump()


def outcome_from_dict(value: Any) -> BatchProcessingOutcome:
    """Parses a ``batch_processing_outcome`` of either type, validated by the core."""
    canonical, warnings = _codec.call_value(b"validate_outcome", value)
    klass = NoBatchesOutcome if canonical.get("type") == "no_batches" else CreateBatchesOutcome
    return klass._from_core(canonical, warnings)
