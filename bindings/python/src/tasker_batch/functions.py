"""The contract's operations as Python functions, each one call into the core.

Analyzer side: :func:`no_batches`, :func:`create_batches` and the partitioners. Worker side:
:func:`worker_context`, :func:`update_step_results` (a checkpoint write) and
:func:`reset_for_retry`. Convergence side: :func:`aggregate_batch_results` and
:func:`converge` (scenario detection is :class:`~tasker_batch.BatchAggregationScenario`);
:func:`redrive` re-splits what failed workers left unfinished.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _codec
from .context import BatchWorkerContext, step_data
from ._wire import construct
from .legacy import plain
from .models import BatchAggregationResult, CreateBatchesOutcome, NoBatchesOutcome, RustCursorConfig

WorkerResults = Union[Sequence[Any], Mapping[str, Any]]
"""Worker results: a list (``None`` for a worker without a result) or a dict of step name to
result. A result may be a dict, a ``BatchWorkerOutcome`` or wrapped as ``{"result": ...}``."""


# ------------------------------------------------------------------------- analyzer --


def no_batches() -> NoBatchesOutcome:
    """The outcome of an analyzer that found nothing to split."""
    return NoBatchesOutcome()


def create_batches(
    worker_template_name: str,
    worker_count: int,
    cursor_configs: Sequence[Any],
    total_items: int,
) -> CreateBatchesOutcome:
    """A ``create_batches`` outcome, validated by the core: ``worker_count`` must equal the
    number of configs (upstream's message: ``cursor_configs length (1) must equal
    worker_count (3)``), batch ids unique, ranges consistent."""
    return CreateBatchesOutcome(
        worker_template_name=worker_template_name,
        worker_count=worker_count,
        cursor_configs=[plain(c) for c in cursor_configs],
        total_items=total_items,
    )


def _configs(request: Dict[str, Any]) -> List[RustCursorConfig]:
    value, warnings = _codec.call_value(b"partition", {k: v for k, v in request.items() if v is not None})
    return [RustCursorConfig._from_core(config, warnings) for config in value]


def partition(request: Mapping[str, Any]) -> List[RustCursorConfig]:
    """Any partition request of the core (``{"strategy": ..., ...}``, see docs/operations.md)."""
    value, warnings = _codec.call_value(b"partition", dict(request))
    return [RustCursorConfig._from_core(config, warnings) for config in value]


def partition_by_count(total_items: int, worker_count: int, start: Optional[int] = None) -> List[RustCursorConfig]:
    """``total_items`` integer keys over ``worker_count`` workers: ``ceil(total / workers)``
    each, never an empty trailing range (1000 over 3: 334/334/332)."""
    return _configs({"strategy": "integer_by_count", "total_items": total_items, "worker_count": worker_count, "start": start})


def partition_by_size(
    total_items: int, batch_size: int, max_batches: Optional[int] = None, start: Optional[int] = None
) -> List[RustCursorConfig]:
    """Integer keys in ranges of ``batch_size`` (250 by 100: 100/100/50), at most
    ``max_batches`` of them when given."""
    return _configs(
        {"strategy": "integer_by_size", "total_items": total_items, "batch_size": batch_size, "max_batches": max_batches, "start": start}
    )


def partition_uuids(
    count: int, start: Optional[str] = None, end: Optional[str] = None, total_items: Optional[int] = None
) -> List[RustCursorConfig]:
    """A UUID range (default the whole space) in ``count`` equal ranges (exact 128-bit)."""
    return _configs({"strategy": "uuid", "count": count, "start": start, "end": end, "total_items": total_items})


def partition_timestamps(
    start: str,
    end: str,
    count: Optional[int] = None,
    step_seconds: Optional[int] = None,
    total_items: Optional[int] = None,
) -> List[RustCursorConfig]:
    """``[start, end)`` (RFC 3339) in ``count`` equal spans or steps of ``step_seconds``."""
    return _configs(
        {"strategy": "timestamp", "start": start, "end": end, "count": count, "step_seconds": step_seconds, "total_items": total_items}
    )


def partition_boundaries(boundaries: Sequence[Any], total_items: Optional[int] = None) -> List[RustCursorConfig]:
    """Ranges between the caller's boundaries ``[b0, b1, ..., bn]`` (any JSON; ``None`` first or
    last is an open end); integer ranges get their size."""
    return _configs({"strategy": "boundaries", "boundaries": list(boundaries), "total_items": total_items})


def cursor_configs_from_ranges(ranges: Sequence[Tuple[Any, Any]]) -> List[RustCursorConfig]:
    """Cursor configs for explicit ``(start, end)`` ranges, as upstream's ``from_ranges`` gives
    them: ids ``"001"``, ``"002"``, …; sizes and ids come from the core's partitioner."""
    ranges = list(ranges)
    if not ranges:
        return []
    contiguous = all(ranges[i][1] == ranges[i + 1][0] for i in range(len(ranges) - 1))
    if contiguous:
        return partition_boundaries([ranges[0][0]] + [end for _, end in ranges])
    # Ranges with gaps: one range at a time, numbered by the core's own id sequence.
    ids = [c.batch_id for c in partition_by_count(len(ranges), len(ranges))]
    configs = []
    for batch_id, (start, end) in zip(ids, ranges):
        config = partition_boundaries([start, end])[0].model_dump()
        config["batch_id"] = batch_id
        configs.append(RustCursorConfig._from_core(config, []))
    return configs


# --------------------------------------------------------------------------- worker --


def worker_context(step: Any) -> BatchWorkerContext:
    """The worker's :class:`BatchWorkerContext`, read by the core from its step data."""
    return BatchWorkerContext.from_step_data(step)


def update_step_results(step: Any, changes: Mapping[str, Any]) -> Dict[str, Any]:
    """The step's new results: ``changes`` merged into them, other keys kept. A checkpoint
    in ``changes`` (``checkpoint_cursor``, ``processed_count``, ``accumulated_results``) is
    validated first by the core (kind, inside the range, never backwards); on an error nothing
    is merged. Persisting the results is the caller's job."""
    value, _ = _codec.call_value(b"update_step_results", {"step": step_data(step), "changes": dict(changes)})
    return value


def write_checkpoint(
    step: Any, cursor: Any, items_processed: int, accumulated_results: Any = None
) -> Dict[str, Any]:
    """A checkpoint write: :func:`update_step_results` with ``checkpoint_cursor``,
    ``processed_count`` and, when given, ``accumulated_results``."""
    changes: Dict[str, Any] = {"checkpoint_cursor": cursor, "processed_count": items_processed}
    if accumulated_results is not None:
        changes["accumulated_results"] = accumulated_results
    return update_step_results(step, changes)


def reset_for_retry(step: Any) -> Dict[str, Any]:
    """The results a retried step starts with: its checkpoint keys only (the core checks the
    checkpoint still fits the range)."""
    value, _ = _codec.call_value(b"reset_for_retry", step_data(step))
    return value


# ---------------------------------------------------------------------- convergence --


def aggregate_batch_results(worker_results: WorkerResults, max_errors: int = 100) -> BatchAggregationResult:
    """The standard aggregation, by the core: ``None`` results skipped, the four counters
    summed, ``success_rate`` (0.0 when nothing was processed), the first ``max_errors`` errors
    and ``error_count`` of all."""
    if isinstance(worker_results, Mapping):
        results: Any = dict(worker_results)
    else:
        results = worker_results if type(worker_results) is list else list(worker_results)
    value, warnings = _codec.call_value(b"aggregate", {"batch_results": results, "max_errors": max_errors})
    del warnings  # null_result and the like: aggregate() is the call that returns everything
    return construct(BatchAggregationResult, value)


def aggregate(
    batch_results: WorkerResults,
    max_errors: int = 100,
    reducers: Optional[Mapping[str, str]] = None,
    scenario: Optional[str] = None,
) -> Dict[str, Any]:
    """The core's ``aggregate`` with every option (``reducers``: field to ``sum``, ``min``,
    ``max``, ``count``, ``concat`` or ``merge``); the result as a dict (``custom`` holds the
    reduced fields)."""
    request: Dict[str, Any] = {"batch_results": batch_results if isinstance(batch_results, (list, dict)) else list(batch_results)}
    request["max_errors"] = max_errors
    if reducers is not None:
        request["reducers"] = dict(reducers)
    if scenario is not None:
        request["scenario"] = scenario
    value, _ = _codec.call_value(b"aggregate", request)
    return value


def converge(
    dependency_results: Mapping[str, Any],
    batchable_step_name: str,
    worker_prefix: str,
    failure_strategy: Optional[str] = None,
    max_failed_workers: Optional[int] = None,
    max_failure_percentage: Optional[float] = None,
    max_errors: Optional[int] = None,
    reducers: Optional[Mapping[str, str]] = None,
    check_coverage: Optional[bool] = None,
    redrives: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, Any]:
    """Convergence in one call: detect the scenario, aggregate, apply the failure strategy and
    check the coverage of the key space. Returns ``status`` (``succeeded``/``failed``),
    ``reason``, ``aggregation``, ``failed_batches`` and ``coverage``. ``redrives``: the outputs
    of :func:`redrive`, in the order they were made (their children are expected workers, and
    each parent counts its checkpointed progress)."""
    request: Dict[str, Any] = {
        "dependency_results": dict(dependency_results),
        "batchable_step_name": batchable_step_name,
        "worker_prefix": worker_prefix,
    }
    options = {
        "failure_strategy": plain(failure_strategy),
        "max_failed_workers": max_failed_workers,
        "max_failure_percentage": max_failure_percentage,
        "max_errors": max_errors,
        "reducers": None if reducers is None else dict(reducers),
        "check_coverage": check_coverage,
        "redrives": None if redrives is None else [dict(r) for r in redrives],
    }
    request.update({k: v for k, v in options.items() if v is not None})
    value, _ = _codec.call_value(b"converge", request)
    return value


def redrive(
    batchable_step_name: str,
    worker_template_name: str,
    cursor_configs: Sequence[Any],
    failed_batches: Sequence[Mapping[str, Any]],
    pieces: Optional[int] = None,
    target_batch_size: Optional[int] = None,
    convergence_step_names: Optional[Sequence[str]] = None,
    initialization: Optional[Mapping[str, Any]] = None,
    batch_metadata: Optional[Mapping[str, Any]] = None,
    plan: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """Redrive (CONTRACT section 10): the unfinished part ``[checkpoint or start, end)`` of each
    failed range (``failed_batches`` as :func:`converge` lists them, with ``checkpoint_cursor``
    and ``processed_count``) re-split into child workers, by ``pieces`` per range or a
    ``target_batch_size``. Returns ``redriven`` (per parent: ``split``, ``whole``, ``opaque`` or
    ``nothing``), and the children's ``cursor_configs``, ``workers`` and ``edges``. ``plan`` (the
    output of ``expand_outcome``) adds its workers' ranges before ``cursor_configs``."""
    request: Dict[str, Any] = {
        "batchable_step_name": batchable_step_name,
        "worker_template_name": worker_template_name,
        "cursor_configs": [c.model_dump() if isinstance(c, RustCursorConfig) else c for c in cursor_configs],
        "failed_batches": [dict(f) for f in failed_batches],
    }
    options = {
        "pieces": pieces,
        "target_batch_size": target_batch_size,
        "convergence_step_names": None if convergence_step_names is None else list(convergence_step_names),
        "initialization": None if initialization is None else dict(initialization),
        "batch_metadata": None if batch_metadata is None else dict(batch_metadata),
        "plan": None if plan is None else dict(plan),
    }
    request.update({k: v for k, v in options.items() if v is not None})
    value, _ = _codec.call_value(b"redrive", request)
    return value
