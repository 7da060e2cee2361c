"""Straightforward pure-Python versions of the rules the benchmarks time, written for this
benchmark (not shipped): what a Python worker author has today without the core. They follow
the same rules as the core for the inputs the benchmarks use, and only for those."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from pydantic import BaseModel, Field

COUNTERS = ("items_processed", "items_succeeded", "items_failed", "items_skipped")


def aggregate(worker_results: List[Optional[Dict[str, Any]]], max_errors: int = 100) -> Dict[str, Any]:
    """Upstream's aggregation loop with the contract's fixes: unwrap ``{"result": ...}``,
    skip nulls, count only non-null results as batches."""
    totals = [0, 0, 0, 0]
    errors: List[Any] = []
    error_count = 0
    batch_count = 0
    for result in worker_results:
        if result is None:
            continue
        if "result" in result and isinstance(result["result"], dict):
            result = result["result"]
        batch_count += 1
        for i, key in enumerate(COUNTERS):
            value = result.get(key, 0)
            if type(value) is not int or value < 0:
                raise ValueError(f"{key} must be a non-negative integer")
            totals[i] += value
        found = result.get("errors")
        if found:
            error_count += len(found)
            if len(errors) < max_errors:
                errors.extend(found[: max_errors - len(errors)])
    processed, succeeded, failed, skipped = totals
    return {
        "total_processed": processed,
        "total_succeeded": succeeded,
        "total_failed": failed,
        "total_skipped": skipped,
        "batch_count": batch_count,
        "success_rate": succeeded / processed if processed else 0.0,
        "errors": errors,
        "error_count": error_count,
        "worker_count": len(worker_results),
        "scenario": "with_batches",
    }


def worker_context(step: Dict[str, Any]) -> Dict[str, Any]:
    """The reads a worker makes of its step: cursor present, ids and ends there, integer range
    checked, metadata defaulted, the checkpoint read and checked against the range."""
    inputs = step.get("inputs") or {}
    is_no_op = inputs.get("is_no_op", False)
    cursor = inputs.get("cursor")
    if not cursor:
        raise ValueError("Missing cursor configuration")
    for key in ("batch_id", "start_cursor", "end_cursor"):
        if key not in cursor:
            raise ValueError(f"Missing {key}")
    batch_id = cursor["batch_id"]
    if not isinstance(batch_id, str) or not batch_id:
        raise ValueError("batch_id must be a non-empty string")
    start, end = cursor["start_cursor"], cursor["end_cursor"]
    integer = type(start) is int and type(end) is int
    if integer:
        if start < 0:
            raise ValueError(f"start_cursor must be non-negative, got {start}")
        if start > end:
            raise ValueError(f"start_cursor ({start}) must be <= end_cursor ({end})")
    batch_size = cursor.get("batch_size", end - start if integer else None)
    metadata = inputs.get("batch_metadata") or {}
    cursor_field = metadata.get("cursor_field", "id")
    strategy = metadata.get("failure_strategy", "continue_on_failure")
    results = step.get("results") or {}
    checkpoint = None
    if "checkpoint_cursor" in results:
        checkpoint = {
            "cursor": results["checkpoint_cursor"],
            "items_processed": results.get("processed_count", 0),
            "accumulated_results": results.get("accumulated_results"),
        }
        c = checkpoint["cursor"]
        if integer and type(c) is int and not start <= c <= end:
            checkpoint["out_of_range"] = True
    return {
        "batch_id": batch_id,
        "start_cursor": start,
        "end_cursor": end,
        "batch_size": batch_size,
        "cursor_field": cursor_field,
        "failure_strategy": strategy,
        "is_no_op": is_no_op,
        "checkpoint": checkpoint,
        "resume_cursor": checkpoint["cursor"] if checkpoint else start,
    }


class TypedCursorConfig(BaseModel):
    """The range as upstream's Python types hold it (a validated Pydantic model)."""

    batch_id: str
    start_cursor: Any
    end_cursor: Any
    batch_size: Optional[int] = None


class TypedWorkerContext(BaseModel):
    """A worker's context as upstream's Python ``BatchWorkerContext.from_step_context`` builds it:
    validated Pydantic models (the cursor config, then the context holding it), the checkpoint a
    dict, the ends read through properties."""

    batch_id: str
    cursor_config: TypedCursorConfig
    batch_metadata: Dict[str, Any] = Field(default_factory=dict)
    is_no_op: bool = False
    checkpoint: Dict[str, Any] = Field(default_factory=dict)

    @property
    def start_cursor(self) -> Any:
        return self.cursor_config.start_cursor

    @property
    def end_cursor(self) -> Any:
        return self.cursor_config.end_cursor

    @property
    def resume_cursor(self) -> Any:
        cursor = self.checkpoint.get("cursor")
        return self.cursor_config.start_cursor if cursor is None else cursor

    @property
    def checkpoint_items_processed(self) -> int:
        return int(self.checkpoint.get("items_processed", 0))


def typed_worker_context(step: Dict[str, Any]) -> TypedWorkerContext:
    """:func:`worker_context`'s rules, answered as typed models the way upstream's Python worker
    types are built (what a worker author using upstream's package has today)."""
    c = worker_context(step)
    cursor = TypedCursorConfig(
        batch_id=c["batch_id"], start_cursor=c["start_cursor"], end_cursor=c["end_cursor"], batch_size=c["batch_size"]
    )
    return TypedWorkerContext(
        batch_id=c["batch_id"],
        cursor_config=cursor,
        batch_metadata={"cursor_field": c["cursor_field"], "failure_strategy": c["failure_strategy"]},
        is_no_op=c["is_no_op"],
        checkpoint=c["checkpoint"] or {},
    )


def write_checkpoint(step: Dict[str, Any], cursor: Any, processed: int, accumulated: Any = None) -> Dict[str, Any]:
    """A checkpoint write: the cursor of the range's kind, inside it, never backwards; the count
    never decreasing; merged into the results."""
    context = worker_context(step)
    start, end = context["start_cursor"], context["end_cursor"]
    if type(start) is int:
        if type(cursor) is not int:
            raise ValueError("checkpoint_cursor must be an integer")
        if not start <= cursor <= end:
            raise ValueError("checkpoint_cursor outside the range")
    previous = context["checkpoint"]
    if previous is not None:
        if type(previous["cursor"]) is int and cursor < previous["cursor"]:
            raise ValueError("checkpoint_cursor moved backwards")
        if processed < previous["items_processed"]:
            raise ValueError("processed_count decreased")
    results = dict(step.get("results") or {})
    results["checkpoint_cursor"] = cursor
    results["processed_count"] = processed
    if accumulated is not None:
        results["accumulated_results"] = accumulated
    return results
