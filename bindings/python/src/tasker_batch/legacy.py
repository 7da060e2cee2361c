"""Upstream tasker-core's older Python batch types, kept so that existing handlers and their
tests run unchanged. Cursors are flexible (any JSON value) instead of ``int``; everything else
is as upstream has it. Converting them to the wire types goes through the core."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from pydantic import BaseModel, ConfigDict, Field


class CursorConfig(BaseModel):
    """Upstream's analyzer-side range (no ``batch_id``, a ``step_size`` for the worker's own
    stepping, free ``metadata``). ``to_rust_cursor_config`` turns it into the wire type."""

    model_config = ConfigDict(extra="forbid")

    start_cursor: Any = Field(description="Starting cursor position (inclusive), any JSON value.")
    end_cursor: Any = Field(description="Ending cursor position (exclusive), any JSON value.")
    step_size: int = Field(default=1, description="Size of each processing step.")
    metadata: Dict[str, Any] = Field(default_factory=dict, description="Additional cursor metadata.")

    def to_rust_cursor_config(self, batch_id: str = "001", batch_size: Optional[int] = None) -> Any:
        """The wire ``RustCursorConfig`` for this range, validated by the core; without
        ``batch_size`` the core's partitioner gives it (``end - start`` for integers, else 0)."""
        from .functions import cursor_configs_from_ranges
        from .models import RustCursorConfig

        config = cursor_configs_from_ranges([(self.start_cursor, self.end_cursor)])[0].model_dump()
        config["batch_id"] = batch_id
        if batch_size is not None:
            config["batch_size"] = batch_size
        return RustCursorConfig(**config)


class BatchAnalyzerOutcome(BaseModel):
    """Upstream's analyzer outcome: the ranges, the total and metadata for the workers.
    ``to_batch_processing_outcome`` makes the wire outcome (through the core)."""

    model_config = ConfigDict(extra="forbid")

    cursor_configs: List[CursorConfig] = Field(default_factory=list)
    total_items: Optional[int] = None
    batch_metadata: Dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_ranges(
        cls,
        ranges: Sequence[Tuple[Any, Any]],
        step_size: int = 1,
        total_items: Optional[int] = None,
        batch_metadata: Optional[Dict[str, Any]] = None,
    ) -> "BatchAnalyzerOutcome":
        """An outcome from ``(start, end)`` pairs, as upstream builds one."""
        return cls(
            cursor_configs=[CursorConfig(start_cursor=s, end_cursor=e, step_size=step_size) for s, e in ranges],
            total_items=total_items,
            batch_metadata=batch_metadata or {},
        )

    def to_batch_processing_outcome(self, worker_template_name: str) -> Any:
        """The wire outcome: ``no_batches`` for no ranges, else ``create_batches`` with ids
        ``"001"``, ``"002"``, … and each range's size, all from the core."""
        from .functions import cursor_configs_from_ranges, create_batches, no_batches

        if not self.cursor_configs:
            return no_batches()
        configs = cursor_configs_from_ranges([(c.start_cursor, c.end_cursor) for c in self.cursor_configs])
        # Upstream sends 0 when the analyzer gives no total; the core then warns that the sizes
        # do not add up (this package adds nothing up itself).
        total = self.total_items if self.total_items is not None else 0
        return create_batches(worker_template_name, len(configs), configs, total)


class BatchWorkerOutcome(BaseModel):
    """Upstream's worker outcome: the counters, results, errors and last cursor. Its
    ``model_dump()`` is the worker result the core aggregates."""

    model_config = ConfigDict(extra="allow")

    items_processed: int = 0
    items_succeeded: int = 0
    items_failed: int = 0
    items_skipped: int = 0
    results: List[Any] = Field(default_factory=list)
    errors: List[Any] = Field(default_factory=list)
    last_cursor: Any = None
    batch_metadata: Dict[str, Any] = Field(default_factory=dict)


class BatchWorkerConfig:
    """Upstream's per-worker config from ``create_cursor_configs``: ``cursor_start``,
    ``cursor_end``, ``row_count``, ``worker_index``, ``total_workers``. Built from a core
    cursor config; ``to_rust_cursor_config`` gives that config back."""

    __slots__ = ("batch_id", "cursor_start", "cursor_end", "row_count", "worker_index", "total_workers")

    def __init__(
        self, batch_id: str, cursor_start: Any, cursor_end: Any, row_count: int, worker_index: int, total_workers: int
    ) -> None:
        self.batch_id = batch_id
        self.cursor_start = cursor_start
        self.cursor_end = cursor_end
        self.row_count = row_count
        self.worker_index = worker_index
        self.total_workers = total_workers

    def to_dict(self) -> Dict[str, Any]:
        """Upstream's dictionary form."""
        return {name: getattr(self, name) for name in self.__slots__}

    def to_rust_cursor_config(self) -> Any:
        """The wire cursor config this worker covers, validated by the core."""
        from .models import RustCursorConfig

        return RustCursorConfig(
            batch_id=self.batch_id, start_cursor=self.cursor_start, end_cursor=self.cursor_end, batch_size=self.row_count
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BatchWorkerConfig) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"BatchWorkerConfig({fields})"


def plain(value: Any) -> Any:
    """A model's wire dict; anything else as it is (for values handed to the core)."""
    return value.model_dump() if isinstance(value, BaseModel) else value


__all__ = ["CursorConfig", "BatchAnalyzerOutcome", "BatchWorkerOutcome", "BatchWorkerConfig"]
