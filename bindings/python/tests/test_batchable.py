"""The Batchable mixin with upstream's method names, on a handler with success()/failure()
(as upstream's StepHandler) and on a bare class (plain dicts)."""

from types import SimpleNamespace

import pytest

import tasker_batch as tb
from tasker_batch import Batchable, BatchAnalyzerOutcome, BatchWorkerConfig, CursorConfig, ValidationError


class Result(SimpleNamespace):
    pass


class StepHandler:
    def success(self, result, metadata=None):
        return Result(is_success=True, result=result, metadata=metadata or {})

    def failure(self, message, error_type="", retryable=True):
        return Result(is_success=False, message=message, error_type=error_type, retryable=retryable)


class Handler(StepHandler, Batchable):
    pass


class Bare(Batchable):
    pass


CURSOR = {"batch_id": "002", "start_cursor": 334, "end_cursor": 668, "batch_size": 334}


def deps():
    configs = tb.partition_by_count(1000, 2)
    return {
        "analyze": {"batch_processing_outcome": tb.create_batches("w", 2, configs, 1000).model_dump()},
        "w_001": {"items_processed": 500, "items_succeeded": 500},
        "w_002": {"items_processed": 500, "items_succeeded": 499, "items_failed": 1, "errors": [{"row": 9}]},
    }


class TestAnalyzer:
    def test_create_cursor_config(self):
        config = Handler().create_cursor_config(0, 100, step_size=10, metadata={"p": "A"})
        assert config == CursorConfig(start_cursor=0, end_cursor=100, step_size=10, metadata={"p": "A"})

    def test_create_cursor_ranges(self):
        ranges = Handler().create_cursor_ranges(1000, 100, step_size=5)
        assert len(ranges) == 10 and (ranges[0].start_cursor, ranges[0].end_cursor, ranges[0].step_size) == (0, 100, 5)
        assert Handler().create_cursor_ranges(0, 100) == []
        assert len(Handler().create_cursor_ranges(1000, 100, max_batches=5)) <= 5

    def test_create_cursor_configs(self):
        configs = Handler().create_cursor_configs(1000, 3)
        assert [(c.batch_id, c.cursor_start, c.cursor_end, c.row_count, c.worker_index, c.total_workers) for c in configs] == [
            ("001", 0, 334, 334, 0, 3), ("002", 334, 668, 334, 1, 3), ("003", 668, 1000, 332, 2, 3),
        ]
        with pytest.raises(ValueError):
            Handler().create_cursor_configs(1000, 0)

    def test_create_batch_outcome(self):
        outcome = Handler().create_batch_outcome(5000, 500, batch_metadata={"source": "db"})
        assert isinstance(outcome, BatchAnalyzerOutcome) and len(outcome.cursor_configs) == 10
        assert outcome.total_items == 5000 and outcome.batch_metadata == {"source": "db"}

    def test_create_batch_outcome_from_ranges(self):
        outcome = Handler().create_batch_outcome_from_ranges([(0, 500), (500, 800)], total_items=800)
        assert [(c.start_cursor, c.end_cursor) for c in outcome.cursor_configs] == [(0, 500), (500, 800)]

    def test_batch_analyzer_success_with_an_outcome(self):
        handler = Handler()
        result = handler.batch_analyzer_success(handler.create_batch_outcome(1000, 400), worker_template_name="w")
        outcome = result.result["batch_processing_outcome"]
        assert [(c["batch_id"], c["batch_size"]) for c in outcome["cursor_configs"]] == [("001", 400), ("002", 400), ("003", 200)]
        assert result.result["worker_count"] == 3 and result.metadata["batch_analyzer"] is True

    def test_batch_analyzer_success_with_keywords(self):
        for configs in (tb.partition_by_count(10, 2), Handler().create_cursor_configs(10, 2), [c.model_dump() for c in tb.partition_by_count(10, 2)]):
            result = Bare().batch_analyzer_success(cursor_configs=configs, total_items=10, worker_template_name="w",
                                                   batch_metadata={"source": "x"})
            assert result["success"] is True
            assert result["result"]["batch_processing_outcome"]["worker_count"] == 2
            assert result["result"]["batch_metadata"] == {"source": "x"}

    def test_batch_analyzer_success_validates_in_the_core(self):
        overlapping = [CursorConfig(start_cursor=0, end_cursor=10), CursorConfig(start_cursor=5, end_cursor=20)]
        with pytest.raises(ValidationError):
            Handler().batch_analyzer_success(cursor_configs=overlapping, total_items=20)

    def test_no_batches(self):
        assert Handler().batch_analyzer_success().result["reason"] == "no_cursor_configs_provided"
        empty = Handler().batch_analyzer_success(BatchAnalyzerOutcome())
        assert empty.result["batch_processing_outcome"] == {"type": "no_batches"} and empty.result["reason"] == "empty_dataset"
        result = Bare().no_batches_outcome(reason="small", metadata={"rows": 3})
        assert result["result"] == {"batch_processing_outcome": {"type": "no_batches"}, "reason": "small", "rows": 3}
        assert result["metadata"] == {"batch_analyzer": True, "no_batches": True}


class TestWorker:
    def context(self, **results):
        return SimpleNamespace(step_inputs={"cursor": CURSOR}, step_results=results)

    def test_get_batch_context(self):
        context = Handler().get_batch_context(self.context())
        assert (context.batch_id, context.start_cursor) == ("002", 334)
        assert Handler().get_batch_context(SimpleNamespace(step_inputs={})) is None

    def test_get_batch_worker_inputs(self):
        inputs = Handler().get_batch_worker_inputs(self.context())
        assert inputs.cursor.batch_id == "002" and inputs.is_no_op is False
        assert Handler().get_batch_worker_inputs({"inputs": {}}) is None

    def test_handle_no_op_worker(self):
        placeholder = {"inputs": {"cursor": {"batch_id": "000", "start_cursor": 0, "end_cursor": 0, "batch_size": 0}, "is_no_op": True}}
        result = Handler().handle_no_op_worker(placeholder)
        assert result.result["no_op"] is True and result.result["batch_id"] == "000"
        assert Handler().handle_no_op_worker(self.context()) is None

    def test_create_worker_outcome(self):
        outcome = Handler().create_worker_outcome(10)
        assert outcome.items_succeeded == 10
        assert Handler().create_worker_outcome(10, items_succeeded=0, items_failed=10).items_succeeded == 0

    def test_batch_worker_success(self):
        result = Bare().batch_worker_success(items_processed=5, items_failed=1, items_succeeded=4, errors=[{"i": 1}], last_cursor=5)
        assert result["result"] == {"items_processed": 5, "items_succeeded": 4, "items_failed": 1, "items_skipped": 0,
                                    "last_cursor": 5, "batch_metadata": {}, "errors": [{"i": 1}]}
        assert Handler().batch_worker_success(Handler().create_worker_outcome(3)).result["items_processed"] == 3
        failed = Handler().batch_worker_success()
        assert failed.is_success is False and failed.error_type == "invalid_args"
        assert Bare().batch_worker_success()["success"] is False

    def test_batch_worker_partial_failure(self):
        outcome = Handler().create_worker_outcome(10, items_succeeded=8, items_failed=2)
        result = Handler().batch_worker_partial_failure(outcome, message="2 rows bad")
        assert result.result["partial_failure"] is True and result.result["partial_failure_message"] == "2 rows bad"
        assert result.metadata["had_failures"] is True

    def test_checkpoint_yield(self):
        result = Handler().checkpoint_yield(400, 66, {"sum": 1})
        assert result.result == {"type": "checkpoint_yield", "cursor": 400, "items_processed": 66, "accumulated_results": {"sum": 1}}
        assert result.metadata == {"checkpoint_yield": True, "batch_worker": True}

    def test_checkpoint_yield_validates_against_the_step(self):
        step = {"inputs": {"cursor": CURSOR}, "results": {"checkpoint_cursor": 400, "processed_count": 66}}
        result = Handler().checkpoint_yield(500, 166, context=step)
        assert result.result["step_results"] == {"checkpoint_cursor": 500, "processed_count": 166}
        with pytest.raises(ValidationError) as raised:
            Handler().checkpoint_yield(350, 200, context=step)
        assert raised.value.code == "checkpoint_backwards"


class TestConvergence:
    def test_detect_aggregation_scenario(self):
        scenario = Handler().detect_aggregation_scenario(deps(), "analyze", "w_")
        assert scenario.worker_count == 2

    def test_no_batches_aggregation_result(self):
        result = Handler().no_batches_aggregation_result({"total_processed": 0})
        assert result.result == {"worker_count": 0, "scenario": "no_batches", "total_processed": 0}

    def test_aggregate_batch_worker_results(self):
        handler = Handler()
        scenario = handler.detect_aggregation_scenario(deps(), "analyze", "w_")
        standard = handler.aggregate_batch_worker_results(scenario)
        assert (standard.result["total_processed"], standard.result["error_count"], standard.result["scenario"]) == (1000, 1, "with_batches")
        custom = handler.aggregate_batch_worker_results(scenario, aggregation_fn=lambda r: {"n": len(r)})
        assert custom.result == {"n": 2, "worker_count": 2, "scenario": "with_batches"}
        none = {"analyze": {"batch_processing_outcome": {"type": "no_batches"}}}
        empty = handler.aggregate_batch_worker_results(handler.detect_aggregation_scenario(none, "analyze", "w_"), {"total": 0})
        assert empty.result == {"worker_count": 0, "scenario": "no_batches", "total": 0}

    def test_aggregate_worker_results(self):
        summary = Batchable.aggregate_worker_results([{"items_processed": 2, "items_succeeded": 2}, None])
        assert (summary["total_processed"], summary["batch_count"], summary["success_rate"]) == (2, 1, 1.0)

    def test_batch_worker_config(self):
        config = BatchWorkerConfig("001", 0, 10, 10, 0, 1)
        assert config.to_dict()["row_count"] == 10 and config == BatchWorkerConfig("001", 0, 10, 10, 0, 1)
        assert config.to_rust_cursor_config().batch_size == 10 and "cursor_end=10" in repr(config)
