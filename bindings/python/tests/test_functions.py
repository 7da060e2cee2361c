"""The functions, BatchWorkerContext and BatchAggregationScenario: each a call into the core."""

from types import SimpleNamespace

import pytest

import tasker_batch as tb
from tasker_batch import BatchWorkerContext, CursorConfig, FailureStrategy, ValidationError

CURSOR = {"batch_id": "002", "start_cursor": 334, "end_cursor": 668, "batch_size": 334}
INPUTS = {"cursor": CURSOR, "batch_metadata": {"cursor_field": "id", "failure_strategy": "fail_fast"}, "is_no_op": False}


def outcome_result(n=2):
    configs = tb.partition_by_count(total_items=1000, worker_count=n)
    return {"result": {"batch_processing_outcome": tb.create_batches("process_batch", n, configs, 1000).model_dump()}}


class TestPartitioners:
    def test_by_count(self):
        assert [c.batch_size for c in tb.partition_by_count(1000, 3)] == [334, 334, 332]
        assert [c.batch_id for c in tb.partition_by_count(5, 10)] == ["001", "002", "003", "004", "005"]

    def test_by_count_from_a_start(self):
        assert tb.partition_by_count(10, 2, start=2**80)[1].start_cursor == 2**80 + 5

    def test_by_size(self):
        assert [c.batch_size for c in tb.partition_by_size(250, 100)] == [100, 100, 50]
        assert len(tb.partition_by_size(1000, 100, max_batches=4)) <= 4

    def test_uuids(self):
        configs = tb.partition_uuids(4)
        assert configs[1].start_cursor == "40000000-0000-0000-0000-000000000000"
        assert configs[-1].end_cursor is None

    def test_timestamps(self):
        configs = tb.partition_timestamps("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", step_seconds=21600)
        assert [c.start_cursor for c in configs][:2] == ["2024-01-01T00:00:00Z", "2024-01-01T06:00:00Z"]
        assert len(tb.partition_timestamps("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", count=3)) == 3

    def test_boundaries(self):
        configs = tb.partition_boundaries([{"region": "eu"}, {"region": "us"}, None])
        assert configs[0].end_cursor == {"region": "us"} and configs[1].end_cursor is None

    def test_any_request(self):
        assert len(tb.partition({"strategy": "integer_by_count", "total_items": 9, "worker_count": 3})) == 3

    def test_bad_requests_are_the_cores_errors(self):
        with pytest.raises(ValidationError) as raised:
            tb.partition_by_count(-1, 3)
        assert raised.value.path == "total_items"

    def test_cursor_configs_from_ranges(self):
        contiguous = tb.cursor_configs_from_ranges([(0, 500), (500, 800), (800, 1000)])
        assert [(c.batch_id, c.batch_size) for c in contiguous] == [("001", 500), ("002", 300), ("003", 200)]
        gaps = tb.cursor_configs_from_ranges([(0, 10), (20, 30)])
        assert [(c.batch_id, c.start_cursor, c.batch_size) for c in gaps] == [("001", 0, 10), ("002", 20, 10)]
        assert tb.cursor_configs_from_ranges([]) == []


class TestWorkerContext:
    def test_from_a_dict_step(self):
        context = tb.worker_context({"inputs": INPUTS, "results": {"checkpoint_cursor": 400, "processed_count": 66}})
        assert (context.batch_id, context.start_cursor, context.end_cursor, context.batch_size) == ("002", 334, 668, 334)
        assert context.failure_strategy is FailureStrategy.FAIL_FAST
        assert context.cursor_kind == "integer" and context.cursor_field == "id"
        assert context.has_checkpoint() and context.checkpoint_cursor == 400 and context.resume_cursor == 400
        assert context.checkpoint_items_processed == 66 and context.accumulated_results is None
        assert not context.no_op() and context.step_size == 1

    def test_from_a_workflow_step_object(self):
        step = SimpleNamespace(inputs=INPUTS, results={}, checkpoint={"cursor": 500, "items_processed": 166})
        context = BatchWorkerContext.from_step_data(step)
        assert context.resume_cursor == 500 and context.checkpoint_items_processed == 166

    def test_from_upstreams_step_context(self):
        step = SimpleNamespace(step_inputs=INPUTS, step_results=None, event=SimpleNamespace(
            task_sequence_step={"workflow_step": {"checkpoint": {"cursor": 600, "items_processed": 266}}}
        ))
        context = BatchWorkerContext.from_step_context(step)
        assert context.resume_cursor == 600
        assert tb.step_data({"step_inputs": INPUTS}) == {"inputs": INPUTS}

    def test_without_a_checkpoint_it_resumes_at_the_start(self):
        context = tb.worker_context({"inputs": INPUTS})
        assert not context.has_checkpoint() and context.checkpoint == {} and context.resume_cursor == 334
        assert context.checkpoint_items_processed == 0

    def test_the_placeholder_reports_000(self):
        context = tb.worker_context({"inputs": {"cursor": {"batch_id": "000", "start_cursor": 0, "end_cursor": 0, "batch_size": 0}, "is_no_op": True}})
        assert context.no_op() and context.batch_id == "000"

    def test_a_worker_without_a_cursor_is_an_error_with_upstreams_message(self):
        with pytest.raises(ValidationError) as raised:
            tb.worker_context({"inputs": {"is_no_op": False}})
        assert (raised.value.code, raised.value.path) == ("missing_cursor", "inputs.cursor")
        assert str(raised.value).startswith("Missing cursor configuration")

    def test_keywords_aligned_with_rust(self):
        context = BatchWorkerContext(batch_id="001", start_cursor=0, end_cursor=10, batch_size=10,
                                     checkpoint={"cursor": 4, "items_processed": 4})
        assert context.resume_cursor == 4 and context.to_worker_inputs()["cursor"]["batch_size"] == 10

    def test_upstreams_older_keywords(self):
        older = dict(batch_id="batch_001", cursor_config=CursorConfig(start_cursor=0, end_cursor=100, step_size=10),
                     batch_index=0, total_batches=10, batch_metadata={"source": "db"})
        # Without batch_size the core's tolerant reading derives it (end - start), with a warning.
        context = BatchWorkerContext(**older)
        assert (context.start_cursor, context.end_cursor, context.step_size) == (0, 100, 10)
        assert (context.batch_index, context.total_batches) == (0, 10)
        assert context.batch_metadata.get("source") == "db"
        assert context.batch_size == 100

    def test_warnings(self):
        context = tb.worker_context({"inputs": {**INPUTS, "batch_metadata": {"failure_strategy": "FailFast"}}})
        assert [w["code"] for w in context.warnings] == ["non_canonical_spelling"]


class TestCheckpoints:
    def step(self):
        return {"inputs": INPUTS, "results": {"checkpoint_cursor": 400, "processed_count": 66, "other": 1}}

    def test_update_step_results_merges(self):
        assert tb.update_step_results(self.step(), {"checkpoint_cursor": 600, "processed_count": 266}) == {
            "checkpoint_cursor": 600, "processed_count": 266, "other": 1,
        }

    def test_write_checkpoint(self):
        results = tb.write_checkpoint(self.step(), 600, 266, {"sum": 2**70})
        assert results["accumulated_results"] == {"sum": 2**70}

    def test_a_backwards_checkpoint_is_refused(self):
        with pytest.raises(ValidationError) as raised:
            tb.write_checkpoint(self.step(), 350, 100)
        assert (raised.value.code, raised.value.path) == ("checkpoint_backwards", "changes.checkpoint_cursor")

    def test_outside_the_range_is_refused(self):
        with pytest.raises(ValidationError) as raised:
            tb.write_checkpoint(self.step(), 700, 300)
        assert raised.value.code == "checkpoint_out_of_range"

    def test_reset_for_retry_keeps_only_the_checkpoint(self):
        assert tb.reset_for_retry({"results": {"checkpoint_cursor": 600, "processed_count": 266, "error": "x"}}) == {
            "checkpoint_cursor": 600, "processed_count": 266,
        }


class TestConvergence:
    def deps(self):
        return {
            "analyze": outcome_result(),
            "process_batch_001": {"items_processed": 500, "items_succeeded": 498, "items_failed": 2, "errors": [{"row": 1}]},
            "process_batch_002": {"result": {"items_processed": 500, "items_succeeded": 500}},
        }

    def test_aggregate_batch_results(self):
        result = tb.aggregate_batch_results(list(self.deps().values())[1:], max_errors=0)
        assert (result.total_processed, result.total_failed, result.error_count, result.errors) == (1000, 2, 1, [])

    def test_aggregate_batch_results_takes_a_dict_a_tuple_and_models(self):
        outcome = tb.BatchWorkerOutcome(items_processed=3, items_succeeded=3)
        assert tb.aggregate_batch_results({"w_001": outcome}).total_processed == 3
        assert tb.aggregate_batch_results((outcome, None)).batch_count == 1

    def test_aggregate_with_reducers(self):
        result = tb.aggregate([{"items_processed": 1, "revenue": 5}, {"items_processed": 1, "revenue": 7}], reducers={"revenue": "sum"})
        assert result["custom"] == {"revenue": 12}
        assert tb.aggregate([], scenario="no_batches")["scenario"] == "no_batches"

    def test_scenario_with_batches(self):
        scenario = tb.BatchAggregationScenario.detect(self.deps(), "analyze", "process_batch_")
        assert scenario.with_batches() and not scenario.no_batches() and not scenario.is_no_batches
        assert scenario.worker_count == 2 and scenario.worker_names == ["process_batch_001", "process_batch_002"]
        assert scenario.batch_results["process_batch_002"] == {"result": {"items_processed": 500, "items_succeeded": 500}}
        assert scenario.outcome["type"] == "create_batches"

    def test_scenario_no_batches_ignores_the_placeholder(self):
        deps = {"analyze": {"batch_processing_outcome": {"type": "no_batches"}}, "process_batch_000": {"no_op": True}}
        scenario = tb.BatchAggregationScenario.detect(deps, "analyze", "process_batch_")
        assert scenario.is_no_batches and scenario.worker_count == 0 and scenario.batch_results == {}

    def test_a_missing_batchable_step_has_upstreams_message(self):
        with pytest.raises(ValidationError) as raised:
            tb.BatchAggregationScenario.detect({"x": {}}, "analyze_csv", "p_")
        assert raised.value.code == "missing_batchable_step"
        assert "analyze_csv" in str(raised.value)

    def test_converge(self):
        deps = self.deps()
        del deps["process_batch_002"]
        result = tb.converge(deps, "analyze", "process_batch_", failure_strategy=FailureStrategy.FAIL_FAST)
        assert result["status"] == "failed"
        assert [b["batch_id"] for b in result["failed_batches"]] == ["002"]
        ok = tb.converge(self.deps(), "analyze", "process_batch_", max_errors=10, check_coverage=True)
        assert ok["status"] == "succeeded" and ok["coverage"]["complete"] is True

    def test_redrive_splits_the_unfinished_part_of_a_failed_range(self):
        configs = tb.partition_by_count(1000, 2)
        plan = tb.redrive("analyze", "process_batch", configs, [{"batch_id": "002", "checkpoint_cursor": 700}], pieces=3,
                          convergence_step_names=["aggregate"])
        assert [(c["batch_id"], c["start_cursor"], c["end_cursor"], c["parent_batch_id"]) for c in plan["cursor_configs"]] == [
            ("002.1", 700, 800, "002"), ("002.2", 800, 900, "002"), ("002.3", 900, 1000, "002")]
        assert plan["redriven"][0]["done"] == {"start_cursor": 500, "end_cursor": 700}
        with pytest.raises(tb.ValidationError) as e:
            tb.redrive("analyze", "process_batch", configs, [{"batch_id": "009"}], pieces=3)
        assert (e.value.code, e.value.path) == ("invalid_value", "failed_batches[0].batch_id")
