"""Every shared conformance vector again, through the package's typed API where one exists for
the operation (the models, the functions, BatchWorkerContext, BatchAggregationScenario), so
the names a Python worker calls give the contract's answers: the same values, the same error
code and path. Operations without a typed form (expand_outcome) go through ``call``."""

from __future__ import annotations

import json

import pytest

import conformance_vectors as vectors
import tasker_batch as tb
from conformance_vectors import diagnostics, same
from test_conformance import as_parsed, python_input

CASES = vectors.all_cases()
IDS = [case.id for case in CASES]


def _dict_with(value, allowed):
    return isinstance(value, dict) and set(value) <= set(allowed)


def _context_as_core(context: tb.BatchWorkerContext) -> dict:
    """A BatchWorkerContext read back into the core's output shape."""
    value = {k: v for k, v in context.model_dump().items() if k not in ("cursor_config", "batch_index", "total_batches")}
    value["checkpoint"] = value["checkpoint"] or None
    value["has_checkpoint"] = context.has_checkpoint()
    value["failure_strategy"] = tb.FailureStrategy(value["failure_strategy"]).value
    keys = ["batch_id", "start_cursor", "end_cursor", "batch_size", "cursor_kind", "cursor_field", "failure_strategy",
            "batch_metadata", "is_no_op", "cursor", "checkpoint", "has_checkpoint", "resume_cursor"]
    return {k: value[k] for k in keys if k in value} | {k: v for k, v in value.items() if k not in keys}


def _scenario_as_core(s: tb.BatchAggregationScenario) -> dict:
    return {
        "scenario": s.scenario,
        "batchable_step_name": s.batchable_step_name,
        "batchable_result": s.batchable_result,
        "outcome": s.outcome,
        "batch_results": s.batch_results,
        "worker_names": s.worker_names,
        "worker_count": s.worker_count,
    }


def typed(op, value):
    """Runs the case through the typed API: (value, warnings or None when the API drops
    them), or None when the operation or this input has no typed form."""
    if op == "validate_outcome":
        model = tb.outcome_from_dict(value)
        return model.model_dump(), model.warnings
    if op == "validate_cursor_config":
        model = tb.RustCursorConfig.model_validate(value)
        return model.model_dump(), model.warnings
    if op == "validate_batch_metadata":
        model = tb.BatchMetadata.model_validate(value)
        return model.model_dump(), model.warnings
    if op == "validate_worker_inputs":
        model = tb.RustBatchWorkerInputs.model_validate(value)
        return model.model_dump(), model.warnings
    if op == "partition":
        configs = tb.partition(value) if isinstance(value, dict) else None
        if configs is None:
            return None
        return [c.model_dump() for c in configs], (configs[0].warnings if configs else None)
    if op == "worker_context" and _dict_with(value, ("inputs", "results", "checkpoint")):
        context = tb.BatchWorkerContext.from_step_data(value)
        return _context_as_core(context), context.warnings
    if op == "update_step_results" and _dict_with(value, ("step", "changes")) and isinstance(value.get("changes"), dict):
        return tb.update_step_results(value.get("step", {}), value["changes"]), None
    if op == "reset_for_retry" and _dict_with(value, ("inputs", "results", "checkpoint")):
        return tb.reset_for_retry(value), None
    if op == "detect_scenario" and _dict_with(value, ("dependency_results", "batchable_step_name", "worker_prefix")) and isinstance(value.get("dependency_results"), dict) and {"batchable_step_name", "worker_prefix"} <= set(value):
        s = tb.BatchAggregationScenario.detect(value["dependency_results"], value["batchable_step_name"], value["worker_prefix"])
        return _scenario_as_core(s), s.warnings
    if op == "aggregate" and _dict_with(value, ("batch_results", "max_errors", "reducers", "scenario")) and "batch_results" in value and isinstance(value["batch_results"], (list, dict)):
        if set(value) <= {"batch_results", "max_errors"} and isinstance(value.get("max_errors", 100), int):
            result = tb.aggregate_batch_results(value["batch_results"], value.get("max_errors", 100))
            return result.model_dump(), None
        return tb.aggregate(**value), None
    if op == "converge" and isinstance(value, dict) and {"dependency_results", "batchable_step_name", "worker_prefix"} <= set(value) and isinstance(value["dependency_results"], dict):
        return tb.converge(**value), None
    if op == "redrive" and isinstance(value, dict) and {"batchable_step_name", "worker_template_name", "cursor_configs", "failed_batches"} <= set(value) and isinstance(value["failed_batches"], list) and all(isinstance(f, dict) for f in value["failed_batches"]):
        return tb.redrive(**value), None
    return None


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_typed_api(case):
    value = python_input(case)
    if case.error is not None:
        try:
            outcome = typed(case.op, value)
        except tb.TaskerBatchError as e:
            assert (e.code, e.path) == case.error, e
            assert e.message
            return
        except TypeError as e:  # the typed signature refuses the shape before the core sees it
            pytest.skip(f"the typed API refuses this input's shape: {e}")
        if outcome is None:
            pytest.skip(f"{case.op} has no typed form for this input")
        pytest.fail(f"expected the error {case.error}, got {outcome[0]!r}")

    outcome = typed(case.op, value)
    if outcome is None:
        pytest.skip(f"{case.op} has no typed form for this input")
    actual, warnings = outcome
    parsed = as_parsed(json.loads(json.dumps(actual)))
    if "value" in case.expect:
        assert same(case.expect["value"], parsed, case.ordered), f"got {actual!r}"
    if "value_text" in case.expect:
        assert same(vectors.parse(case.expect["value_text"]), parsed, ordered=True), f"got {actual!r}"
    if warnings is not None:
        assert diagnostics(warnings) == case.warnings


def test_most_cases_have_a_typed_form():
    typed_ops = {"validate_outcome", "validate_cursor_config", "validate_batch_metadata", "validate_worker_inputs",
                 "partition", "worker_context", "update_step_results", "reset_for_retry", "detect_scenario",
                 "aggregate", "converge", "redrive"}
    ops = {case.op for case in CASES}
    assert ops - typed_ops <= {"expand_outcome"}, ops - typed_ops
