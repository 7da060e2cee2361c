"""The ``Batchable`` mixin for step handler classes, with upstream tasker-core's method names.

Every method names or shapes things and calls the core; none decides anything. When the
handler class defines ``success(result, metadata=...)`` and ``failure(message, ...)`` (upstream's
``StepHandler`` does), results are built with them; otherwise they are plain dicts in the
stored step-result shape ``{"success": bool, "result": {...}, "metadata": {...}}``.

A *step context* is anything with upstream ``StepContext``'s attributes (``step_inputs``,
``step_results`` or ``checkpoint``, ``dependency_results``) or a dict of the worker step
(``inputs``, ``results``, ``checkpoint``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import functions
from .context import BatchWorkerContext, step_data
from .legacy import BatchAnalyzerOutcome, BatchWorkerConfig, BatchWorkerOutcome, CursorConfig, plain
from .models import BatchAggregationResult, RustBatchWorkerInputs, RustCursorConfig
from .scenario import BatchAggregationScenario


class Batchable:
    """Batch helpers for analyzer, worker and convergence handlers (upstream's names)."""

    # --------------------------------------------------------------- results --

    def _batch_success(self, result: Dict[str, Any], metadata: Optional[Dict[str, Any]] = None) -> Any:
        success = getattr(self, "success", None)
        if callable(success):
            return success(result, metadata=metadata or {})
        return {"success": True, "result": result, "metadata": metadata or {}}

    def _batch_failure(self, message: str, error_type: str, retryable: bool) -> Any:
        failure = getattr(self, "failure", None)
        if callable(failure):
            return failure(message=message, error_type=error_type, retryable=retryable)
        return {
            "success": False,
            "result": {},
            "error_message": message,
            "error_type": error_type,
            "retryable": retryable,
            "metadata": {},
        }

    # ------------------------------------------------------------- analyzers --

    def create_cursor_config(
        self, start: Any, end: Any, step_size: int = 1, metadata: Optional[Dict[str, Any]] = None
    ) -> CursorConfig:
        """Upstream's range ``[start, end)`` (any JSON cursor)."""
        return CursorConfig(start_cursor=start, end_cursor=end, step_size=step_size, metadata=metadata or {})

    def create_cursor_ranges(
        self, total_items: int, batch_size: int, step_size: int = 1, max_batches: Optional[int] = None
    ) -> List[CursorConfig]:
        """``total_items`` in ranges of ``batch_size`` (at most ``max_batches``), by the core's
        partitioner; an empty list for no items."""
        if total_items == 0:
            return []
        configs = functions.partition_by_size(total_items, batch_size, max_batches=max_batches)
        return [CursorConfig(start_cursor=c.start_cursor, end_cursor=c.end_cursor, step_size=step_size) for c in configs]

    def create_cursor_configs(self, total_items: int, worker_count: int) -> List[BatchWorkerConfig]:
        """``total_items`` over ``worker_count`` workers (1000 over 3: 334/334/332), by the
        core's partitioner; never an empty trailing range."""
        configs = functions.partition_by_count(total_items, worker_count) if total_items else []
        return [
            BatchWorkerConfig(c.batch_id, c.start_cursor, c.end_cursor, c.batch_size, index, worker_count)
            for index, c in enumerate(configs)
        ]

    def create_batch_outcome(
        self,
        total_items: int,
        batch_size: int,
        step_size: int = 1,
        batch_metadata: Optional[Dict[str, Any]] = None,
    ) -> BatchAnalyzerOutcome:
        """An upstream analyzer outcome with ranges of ``batch_size``."""
        return BatchAnalyzerOutcome(
            cursor_configs=self.create_cursor_ranges(total_items, batch_size, step_size),
            total_items=total_items,
            batch_metadata=batch_metadata or {},
        )

    def create_batch_outcome_from_ranges(
        self,
        ranges: Sequence[Tuple[Any, Any]],
        step_size: int = 1,
        total_items: Optional[int] = None,
        batch_metadata: Optional[Dict[str, Any]] = None,
    ) -> BatchAnalyzerOutcome:
        """An upstream analyzer outcome from explicit ``(start, end)`` ranges."""
        return BatchAnalyzerOutcome.from_ranges(ranges, step_size, total_items, batch_metadata)

    def batch_analyzer_success(
        self,
        outcome: Optional[BatchAnalyzerOutcome] = None,
        metadata: Optional[Dict[str, Any]] = None,
        worker_template_name: str = "batch_worker",
        cursor_configs: Optional[Sequence[Any]] = None,
        total_items: Optional[int] = None,
        batch_metadata: Optional[Dict[str, Any]] = None,
    ) -> Any:
        """The analyzer's success result holding a ``batch_processing_outcome`` the core
        validated (``no_batches`` when there are no ranges)."""
        if cursor_configs is not None:
            configs, total, meta = list(cursor_configs), total_items, batch_metadata or {}
        elif outcome is not None:
            configs, total, meta = list(outcome.cursor_configs), outcome.total_items, outcome.batch_metadata
        else:
            return self.no_batches_outcome(reason="no_cursor_configs_provided")
        if not configs:
            return self.no_batches_outcome(reason=meta.get("reason", "empty_dataset"), metadata=meta)

        wire_configs = _wire_cursor_configs(configs)
        built = functions.create_batches(worker_template_name, len(wire_configs), wire_configs, total if total is not None else 0)
        result: Dict[str, Any] = {
            "batch_processing_outcome": built.model_dump(),
            "worker_count": built.worker_count,
            "total_items": built.total_items,
        }
        if meta:
            result["batch_metadata"] = meta
        return self._batch_success(result, {**(metadata or {}), "batch_analyzer": True})

    def no_batches_outcome(self, reason: str, metadata: Optional[Dict[str, Any]] = None) -> Any:
        """The analyzer's success result for nothing to split."""
        result: Dict[str, Any] = {"batch_processing_outcome": functions.no_batches().model_dump(), "reason": reason}
        if metadata:
            result.update(metadata)
        return self._batch_success(result, {"batch_analyzer": True, "no_batches": True})

    # --------------------------------------------------------------- workers --

    def get_batch_context(self, context: Any) -> Optional[BatchWorkerContext]:
        """The worker's context read by the core, or None when the step has no inputs (not a
        batch worker). Bad inputs raise :class:`~tasker_batch.ValidationError`."""
        data = step_data(context)
        if not data.get("inputs"):
            return None
        return BatchWorkerContext.from_step_data(data)

    def get_batch_worker_inputs(self, context: Any) -> Optional[RustBatchWorkerInputs]:
        """The step's ``BatchWorkerInputs`` (validated by the core), or None without inputs."""
        inputs = step_data(context).get("inputs")
        if not inputs:
            return None
        return RustBatchWorkerInputs.model_validate(inputs)

    def handle_no_op_worker(self, context: Any) -> Any:
        """A success result for the ``no_batches`` placeholder worker, else None."""
        inputs = self.get_batch_worker_inputs(context)
        if inputs is None or not inputs.is_no_op:
            return None
        return self._batch_success(
            {
                "batch_id": inputs.cursor.batch_id if inputs.cursor is not None else None,
                "no_op": True,
                "processed_count": 0,
                "message": "No batches to process",
                "processed_at": datetime.now(timezone.utc).isoformat(),
            }
        )

    def create_worker_outcome(
        self,
        items_processed: int,
        items_succeeded: Optional[int] = None,
        items_failed: int = 0,
        items_skipped: int = 0,
        results: Optional[List[Any]] = None,
        errors: Optional[List[Any]] = None,
        last_cursor: Any = None,
        batch_metadata: Optional[Dict[str, Any]] = None,
    ) -> BatchWorkerOutcome:
        """A worker outcome; ``items_succeeded`` defaults to ``items_processed`` (an explicit 0
        stays 0, unlike upstream's ``or``)."""
        return BatchWorkerOutcome(
            items_processed=items_processed,
            items_succeeded=items_processed if items_succeeded is None else items_succeeded,
            items_failed=items_failed,
            items_skipped=items_skipped,
            results=results or [],
            errors=errors or [],
            last_cursor=last_cursor,
            batch_metadata=batch_metadata or {},
        )

    def batch_worker_success(
        self,
        outcome: Optional[BatchWorkerOutcome] = None,
        metadata: Optional[Dict[str, Any]] = None,
        items_processed: Optional[int] = None,
        items_succeeded: Optional[int] = None,
        items_failed: int = 0,
        items_skipped: int = 0,
        results: Optional[List[Any]] = None,
        errors: Optional[List[Any]] = None,
        last_cursor: Any = None,
        batch_metadata: Optional[Dict[str, Any]] = None,
    ) -> Any:
        """The worker's success result (the shape the core aggregates)."""
        if items_processed is not None:
            outcome = self.create_worker_outcome(
                items_processed, items_succeeded, items_failed, items_skipped, results, errors, last_cursor, batch_metadata
            )
        elif outcome is None:
            return self._batch_failure(
                "batch_worker_success requires either outcome or items_processed", "invalid_args", False
            )
        return self._batch_success(_worker_result(outcome), {**(metadata or {}), "batch_worker": True})

    def batch_worker_partial_failure(
        self, outcome: BatchWorkerOutcome, message: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None
    ) -> Any:
        """A success result that reports failed items (``partial_failure: true``)."""
        result = _worker_result(outcome)
        result["partial_failure"] = True
        if message:
            result["partial_failure_message"] = message
        return self._batch_success(result, {**(metadata or {}), "batch_worker": True, "had_failures": True})

    def checkpoint_yield(
        self,
        cursor: Any,
        items_processed: int,
        accumulated_results: Optional[Dict[str, Any]] = None,
        context: Any = None,
    ) -> Any:
        """Upstream's checkpoint yield result. With the step ``context`` the checkpoint is
        validated by the core first (kind, inside the range, never backwards) and the step's
        new results are returned under ``step_results``; a bad checkpoint raises
        :class:`~tasker_batch.ValidationError`."""
        result: Dict[str, Any] = {"type": "checkpoint_yield", "cursor": cursor, "items_processed": items_processed}
        if accumulated_results is not None:
            result["accumulated_results"] = accumulated_results
        if context is not None:
            result["step_results"] = functions.write_checkpoint(context, cursor, items_processed, accumulated_results)
        return self._batch_success(result, {"checkpoint_yield": True, "batch_worker": True})

    # ----------------------------------------------------------- convergence --

    def detect_aggregation_scenario(
        self, dependency_results: Mapping[str, Any], batchable_step_name: str, batch_worker_prefix: str
    ) -> BatchAggregationScenario:
        """The convergence step's scenario, detected by the core."""
        return BatchAggregationScenario.detect(dependency_results, batchable_step_name, batch_worker_prefix)

    def no_batches_aggregation_result(self, zero_metrics: Optional[Dict[str, Any]] = None) -> Any:
        """The convergence result for ``no_batches``: ``worker_count`` 0 and the metrics."""
        result: Dict[str, Any] = {"worker_count": 0, "scenario": "no_batches"}
        if zero_metrics:
            result.update(zero_metrics)
        return self._batch_success(result)

    def aggregate_batch_worker_results(
        self,
        scenario: BatchAggregationScenario,
        zero_metrics: Optional[Dict[str, Any]] = None,
        aggregation_fn: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = None,
    ) -> Any:
        """Both scenarios: the zero metrics for ``no_batches``; otherwise ``aggregation_fn``
        over the worker results, or, without one, the core's standard aggregation."""
        if scenario.is_no_batches:
            return self.no_batches_aggregation_result(zero_metrics)
        if aggregation_fn is not None:
            aggregated = aggregation_fn(scenario.batch_results)
        else:
            aggregated = functions.aggregate_batch_results(scenario.batch_results).model_dump()
        return self._batch_success({**aggregated, "worker_count": scenario.worker_count, "scenario": "with_batches"})

    @staticmethod
    def aggregate_worker_results(worker_results: Sequence[Any]) -> Dict[str, Any]:
        """The core's standard aggregation of a list of worker results, as a dict."""
        return functions.aggregate_batch_results(list(worker_results)).model_dump()


def _worker_result(outcome: BatchWorkerOutcome) -> Dict[str, Any]:
    result = {
        "items_processed": outcome.items_processed,
        "items_succeeded": outcome.items_succeeded,
        "items_failed": outcome.items_failed,
        "items_skipped": outcome.items_skipped,
        "last_cursor": outcome.last_cursor,
        "batch_metadata": outcome.batch_metadata,
    }
    if outcome.results:
        result["results"] = outcome.results
    if outcome.errors:
        result["errors"] = outcome.errors
    result.update(outcome.__pydantic_extra__ or {})
    return result


def _wire_cursor_configs(configs: List[Any]) -> List[Any]:
    """Configs of any accepted kind as wire configs: upstream's ``CursorConfig`` ranges get ids
    and sizes from the core; ``BatchWorkerConfig`` and wire configs are converted by name."""
    if all(isinstance(c, CursorConfig) for c in configs):
        return functions.cursor_configs_from_ranges([(c.start_cursor, c.end_cursor) for c in configs])
    wire: List[Any] = []
    for config in configs:
        if isinstance(config, BatchWorkerConfig):
            wire.append(config.to_rust_cursor_config())
        elif isinstance(config, (RustCursorConfig, Mapping)):
            wire.append(plain(config))
        else:
            raise TypeError(f"expected cursor configs, found a {type(config).__name__}")
    return wire


__all__ = ["Batchable", "BatchAggregationResult"]
