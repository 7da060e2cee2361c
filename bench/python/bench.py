"""Benchmarks of the tasker_batch package against their floors and baselines, same run
(``rake bench:python``; results in docs/performance.md, section Python).

1. ``aggregate_batch_results`` for 10, 100 and 10,000 worker results, against the floor a call
   into the core cannot go under: encoding the input and decoding the output, with the standard
   library's ``json`` and with ``orjson``; and against a pure-Python loop of the same rules.
2. The per-worker calls, ``BatchWorkerContext.from_step_data`` and a checkpoint write
   (``write_checkpoint``), against a pure-Python baseline of the same rules (bench/python/baseline.py).

Each figure is the best of several repeats (the machine is shared), in microseconds per call.
Needs the release library (``TASKER_BATCH_LIB``, set by the rake task).
"""

from __future__ import annotations

import json
import sys
import time
import timeit
from pathlib import Path
from typing import Callable, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "bindings" / "python" / "src"))

import baseline  # noqa: E402

if "--stdlib" in sys.argv:
    # The package as installed without the optional orjson: it cannot import it.
    sys.modules["orjson"] = None  # type: ignore[assignment]

import tasker_batch as tb  # noqa: E402

try:
    import orjson
except ImportError:
    orjson = None
if "--stdlib" in sys.argv:
    sys.modules.pop("orjson")
    import orjson as _floor_orjson  # the floor is still measured with it, when installed

    orjson = _floor_orjson

REPEATS = 7


def per_call_us(fn: Callable[[], object], budget_s: float = 0.25) -> float:
    # CPU time of this process (the library runs in it): other processes on a shared machine
    # slow the wall clock, not this.
    number = 1
    while True:
        took = timeit.timeit(fn, number=number, timer=time.process_time)
        if took >= budget_s / REPEATS or number >= 1_000_000:
            break
        number *= 4
    return min(timeit.repeat(fn, number=number, repeat=REPEATS, timer=time.process_time)) / number * 1e6


def worker_result(i: int) -> Dict[str, object]:
    # The shape upstream's batch_worker_success writes, with one item error each.
    return {
        "items_processed": 100,
        "items_succeeded": 99,
        "items_failed": 1,
        "items_skipped": 0,
        "last_cursor": (i + 1) * 100,
        "batch_metadata": {"source": "products.csv"},
        "errors": [{"row": i * 100 + 7, "message": "bad price"}],
    }


def bench_aggregate() -> List[str]:
    lines = [
        "| results | aggregate_batch_results | stdlib floor | ratio | orjson floor | ratio | pure Python | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in (10, 100, 10_000):
        results = [worker_result(i) for i in range(n)]
        request = {"batch_results": results, "max_errors": 100}
        output_text = json.dumps(tb.call("aggregate", request), separators=(",", ":"))
        ours = per_call_us(lambda: tb.aggregate_batch_results(results))
        std = per_call_us(lambda: (json.dumps(request, separators=(",", ":")), json.loads(output_text)))
        if orjson is not None:
            fast = per_call_us(lambda: (orjson.dumps(request), orjson.loads(output_text)))
            fast_cells = f"{fast:,.1f} | {ours / fast:.2f}x"
        else:
            fast_cells = "- | -"
        pure = per_call_us(lambda: baseline.aggregate(results))
        assert baseline.aggregate(results) == tb.aggregate_batch_results(results).model_dump()
        lines.append(
            f"| {n:,} | {ours:,.1f} | {std:,.1f} | {ours / std:.2f}x | {fast_cells} | {pure:,.1f} | {ours / pure:.2f}x |"
        )
    return lines


def bench_worker() -> List[str]:
    step = {
        "inputs": {
            "cursor": {"batch_id": "002", "start_cursor": 334, "end_cursor": 668, "batch_size": 334},
            "batch_metadata": {"cursor_field": "id", "failure_strategy": "continue_on_failure"},
            "is_no_op": False,
        },
        "results": {"checkpoint_cursor": 400, "processed_count": 66},
    }

    def read_ours() -> object:
        c = tb.BatchWorkerContext.from_step_data(step)
        return (c.batch_id, c.start_cursor, c.end_cursor, c.resume_cursor, c.checkpoint_items_processed)

    def read_pure() -> object:
        c = baseline.worker_context(step)
        return (c["batch_id"], c["start_cursor"], c["end_cursor"], c["resume_cursor"], c["checkpoint"]["items_processed"])

    def read_typed() -> object:
        c = baseline.typed_worker_context(step)
        return (c.batch_id, c.start_cursor, c.end_cursor, c.resume_cursor, c.checkpoint_items_processed)

    assert read_ours() == read_pure() == read_typed()
    accumulated = {"revenue_cents": 1234500, "rows": 266, "currency": "EUR"}
    assert tb.write_checkpoint(step, 600, 266, accumulated) == baseline.write_checkpoint(step, 600, 266, accumulated)
    rows = [
        ("BatchWorkerContext.from_step_data + 5 reads", read_ours, read_pure),
        (
            "write_checkpoint (3-key accumulated_results)",
            lambda: tb.write_checkpoint(step, 600, 266, accumulated),
            lambda: baseline.write_checkpoint(step, 600, 266, accumulated),
        ),
    ]
    lines = ["| call | tasker_batch (µs) | pure Python (µs) | ratio |", "|---|---:|---:|---:|"]
    for name, ours_fn, pure_fn in rows:
        ours, pure = per_call_us(ours_fn), per_call_us(pure_fn)
        lines.append(f"| {name} | {ours:,.2f} | {pure:,.2f} | {ours / pure:.2f}x |")
    # The same reads against the same rules answered as typed models, the way upstream's Python
    # package builds its BatchWorkerContext (validated Pydantic models): what its users run today.
    ours, typed = per_call_us(read_ours), per_call_us(read_typed)
    lines.append(f"| same, against pure Python with upstream's typed models | {ours:,.2f} | {typed:,.2f} | {ours / typed:.2f}x |")
    return lines


def main() -> None:
    codec = "json (stdlib)" if tb._codec.orjson is None else f"orjson {orjson.__version__}"
    print(f"tasker_batch {tb.version()} ({tb.library_path().name}), Python {sys.version.split()[0]}, "
          f"package encoding with {codec}; best of {REPEATS}, CPU µs per call\n")
    print("\n".join(bench_aggregate()))
    print()
    print("\n".join(bench_worker()))


if __name__ == "__main__":
    main()
