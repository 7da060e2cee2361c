"""The typed models: built and parsed through the core, dumped as the exact wire JSON."""

import json

import pydantic
import pytest

import tasker_batch as tb
from tasker_batch import (
    BatchAggregationResult,
    BatchMetadata,
    CreateBatchesOutcome,
    FailureStrategy,
    NoBatchesOutcome,
    RustBatchWorkerInputs,
    RustCursorConfig,
    ValidationError,
)

BIG = 2**100 + 7


def configs(n=2, size=500):
    return [
        {"batch_id": f"00{i + 1}", "start_cursor": i * size, "end_cursor": (i + 1) * size, "batch_size": size}
        for i in range(n)
    ]


class TestRustCursorConfig:
    def test_dumps_the_wire_json(self):
        config = RustCursorConfig(batch_id="001", start_cursor=0, end_cursor=334, batch_size=334)
        assert config.model_dump() == {"batch_id": "001", "start_cursor": 0, "end_cursor": 334, "batch_size": 334}
        assert config.model_dump_json() == '{"batch_id":"001","start_cursor":0,"end_cursor":334,"batch_size":334}'
        assert isinstance(config, pydantic.BaseModel)

    def test_keeps_cursors_of_any_kind_and_size_exactly(self):
        config = RustCursorConfig(batch_id="a", start_cursor=BIG, end_cursor=BIG + 10, batch_size=10)
        assert config.start_cursor == BIG and type(config.start_cursor) is int
        assert json.loads(config.model_dump_json())["end_cursor"] == BIG + 10
        composite = RustCursorConfig(
            batch_id="eu", start_cursor={"region": "eu", "id": 0}, end_cursor={"region": "eu", "id": 50}, batch_size=50
        )
        assert list(composite.start_cursor) == ["region", "id"]
        stamp = RustCursorConfig(batch_id="t", start_cursor="2024-01-01T00:00:00Z", end_cursor="2024-01-02T00:00:00Z", batch_size=0)
        assert stamp.start_cursor == "2024-01-01T00:00:00Z"  # never coerced to 2024

    def test_keeps_caller_keys_after_the_contract_keys(self):
        config = RustCursorConfig(batch_id="001", start_cursor=0, end_cursor=5, batch_size=5, shard="eu")
        assert list(config.model_dump()) == ["batch_id", "start_cursor", "end_cursor", "batch_size", "shard"]

    def test_validates_in_the_core(self):
        with pytest.raises(ValidationError) as raised:
            RustCursorConfig(batch_id="001", start_cursor=0, end_cursor=4294967296, batch_size=4294967296)
        assert (raised.value.code, raised.value.path) == ("out_of_range", "batch_size")
        assert raised.value.message == "expected an integer in 0..=4294967295, found 4294967296"
        assert isinstance(raised.value, ValueError)

    def test_a_number_is_not_a_batch_id(self):
        with pytest.raises(ValidationError) as raised:
            RustCursorConfig.model_validate({"batch_id": 1, "start_cursor": 0, "end_cursor": 1, "batch_size": 1})
        assert raised.value.path == "batch_id"

    def test_warnings_are_kept_beside_the_value(self):
        config = RustCursorConfig(batch_id="001", start_cursor=5, end_cursor=5, batch_size=0)
        assert [(w["code"], w["path"]) for w in config.warnings] == [("zero_length_range", "")]

    def test_parses_json_text_as_written(self):
        config = RustCursorConfig.model_validate_json(
            '{"batch_id":"001","start_cursor":100000000000000000000,"end_cursor":100000000000000000005,"batch_size":5}'
        )
        assert config.start_cursor == 100000000000000000000


class TestOutcomes:
    def test_no_batches(self):
        assert NoBatchesOutcome().model_dump() == {"type": "no_batches"}
        assert tb.no_batches().type == "no_batches"

    def test_create_batches_dumps_the_wire_json(self):
        outcome = CreateBatchesOutcome(worker_template_name="w", worker_count=2, cursor_configs=configs(), total_items=1000)
        assert outcome.model_dump() == {
            "type": "create_batches",
            "worker_template_name": "w",
            "worker_count": 2,
            "cursor_configs": configs(),
            "total_items": 1000,
        }
        assert all(isinstance(c, RustCursorConfig) for c in outcome.cursor_configs)

    def test_create_batches_takes_models_as_configs(self):
        models = [RustCursorConfig(**c) for c in configs()]
        assert tb.create_batches("w", 2, models, 1000).cursor_configs == models

    def test_worker_count_must_match(self):
        with pytest.raises(ValidationError) as raised:
            tb.create_batches("w", 3, configs(), 1000)
        assert (raised.value.code, raised.value.path) == ("worker_count_mismatch", "worker_count")

    def test_a_gap_is_a_warning(self):
        gap = configs()
        gap[1]["start_cursor"] = 600
        gap[1]["batch_size"] = 400
        outcome = tb.create_batches("w", 2, gap, 900)
        assert [w["code"] for w in outcome.warnings] == ["range_gap"]

    def test_the_union_parses_either_type(self):
        assert isinstance(tb.outcome_from_dict({"type": "no_batches"}), NoBatchesOutcome)
        parsed = tb.outcome_from_dict(
            {"type": "create_batches", "worker_template_name": "w", "worker_count": 2, "cursor_configs": configs(), "total_items": 1000}
        )
        assert isinstance(parsed, CreateBatchesOutcome)
        assert tb.BatchProcessingOutcome.__args__ == (NoBatchesOutcome, CreateBatchesOutcome)

    def test_a_class_refuses_the_other_type(self):
        with pytest.raises(ValidationError) as raised:
            CreateBatchesOutcome.model_validate({"type": "no_batches"})
        assert (raised.value.code, raised.value.path) == ("invalid_value", "type")

    def test_model_validate_returns_a_model_as_it_is(self):
        outcome = tb.no_batches()
        assert NoBatchesOutcome.model_validate(outcome) is outcome


class TestBatchMetadata:
    def test_defaults(self):
        assert BatchMetadata().model_dump() == {"cursor_field": "id", "failure_strategy": "continue_on_failure"}

    def test_reads_pascal_case_with_a_warning_and_writes_snake_case(self):
        metadata = BatchMetadata(cursor_field="row", failure_strategy="FailFast")
        assert metadata.failure_strategy is FailureStrategy.FAIL_FAST
        assert metadata.model_dump() == {"cursor_field": "row", "failure_strategy": "fail_fast"}
        assert [w["code"] for w in metadata.warnings] == ["non_canonical_spelling"]

    def test_an_unknown_strategy_is_an_error(self):
        with pytest.raises(ValidationError) as raised:
            BatchMetadata(failure_strategy="retry_forever")
        assert raised.value.path == "failure_strategy"

    def test_analyzer_keys_read_like_a_dict(self):
        metadata = BatchMetadata(source="db")
        assert metadata.get("source") == "db" and metadata["source"] == "db"
        assert metadata.get("missing", 1) == 1 and metadata["cursor_field"] == "id"
        with pytest.raises(KeyError):
            metadata["missing"]

    def test_failure_strategy_is_a_str_enum(self):
        assert [s.value for s in FailureStrategy] == ["continue_on_failure", "fail_fast", "isolate"]
        assert FailureStrategy.ISOLATE == "isolate"


class TestRustBatchWorkerInputs:
    def test_reading_fills_the_defaults(self):
        inputs = RustBatchWorkerInputs.model_validate({"cursor": configs()[0]})
        assert inputs.is_no_op is False
        assert inputs.batch_metadata.failure_strategy is FailureStrategy.CONTINUE_ON_FAILURE
        assert inputs.cursor.batch_id == "001"

    def test_a_worker_needs_a_cursor(self):
        with pytest.raises(ValidationError) as raised:
            RustBatchWorkerInputs(is_no_op=False)
        assert (raised.value.code, raised.value.path) == ("missing_cursor", "cursor")
        assert str(raised.value).startswith("Missing cursor configuration")

    def test_keeps_the_template_keys_in_place(self):
        inputs = RustBatchWorkerInputs.model_validate({"source": "p.csv", "cursor": configs()[0]})
        assert list(inputs.model_dump()) == ["source", "cursor", "batch_metadata", "is_no_op"]


class TestBatchAggregationResult:
    def test_is_what_the_core_aggregated(self):
        result = tb.aggregate_batch_results([{"items_processed": 4, "items_succeeded": 3, "items_failed": 1}])
        assert isinstance(result, BatchAggregationResult)
        assert result.to_dict() == result.model_dump()
        assert (result.total_processed, result.success_rate, result.worker_count, result.scenario) == (4, 0.75, 1, "with_batches")

    def test_constructed_by_hand_it_is_strictly_typed(self):
        with pytest.raises(pydantic.ValidationError):
            BatchAggregationResult(total_processed="4", total_succeeded=0, total_failed=0, total_skipped=0,
                                   batch_count=0, success_rate=0.0, error_count=0)


class TestWireModelBasics:
    def test_to_dict_is_model_dump(self):
        config = RustCursorConfig(**configs()[0])
        assert config.to_dict() == config.model_dump()

    def test_model_dump_json_with_options_is_pydantics(self):
        config = RustCursorConfig(**configs()[0])
        assert json.loads(config.model_dump_json(indent=2)) == config.model_dump()

    def test_json_text_must_be_text(self):
        with pytest.raises(ValidationError):
            RustCursorConfig.model_validate_json(42)
