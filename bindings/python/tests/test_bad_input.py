"""What JSON cannot say is refused with an error at its path, never silently changed, with
orjson as the encoder and without it; integers of any size round-trip exactly."""

import math
import uuid
from collections import OrderedDict, defaultdict
from datetime import datetime
from enum import Enum

import pytest

import tasker_batch as tb
from tasker_batch import ValidationError, _codec


@pytest.fixture(params=["orjson", "stdlib"], autouse=True)
def codec(request, monkeypatch):
    if request.param == "stdlib":
        monkeypatch.setattr(_codec, "orjson", None)
    elif _codec.orjson is None:
        pytest.skip("orjson is not installed")
    return request.param


def refused(value):
    with pytest.raises(ValidationError) as raised:
        tb.aggregate_batch_results([{"items_processed": 1, "extra": value}])
    return raised.value


def cycle():
    a = []
    a.append(a)
    return a


@pytest.mark.parametrize(
    "value, code, path, message",
    [
        (float("nan"), "invalid_value", "batch_results[0].extra", "expected a finite number, found nan"),
        (float("inf"), "invalid_value", "batch_results[0].extra", "expected a finite number, found inf"),
        ([1, -math.inf], "invalid_value", "batch_results[0].extra[1]", "expected a finite number, found -inf"),
        ({1: "a"}, "type_mismatch", "batch_results[0].extra", "expected string keys, found the int key 1"),
        ({"ok": {None: 1}}, "type_mismatch", "batch_results[0].extra.ok", "expected string keys, found the NoneType key None"),
        (defaultdict(int, {404: 2}), "type_mismatch", "batch_results[0].extra", "expected string keys, found the int key 404"),
        (OrderedDict([(2.5, 1)]), "type_mismatch", "batch_results[0].extra", "expected string keys, found the float key 2.5"),
        ({(1, 2): "t"}, "type_mismatch", "batch_results[0].extra", "expected string keys, found the tuple key (1, 2)"),
        ({1, 2}, "type_mismatch", "batch_results[0].extra", "expected a JSON value, found a set"),
        (b"raw", "type_mismatch", "batch_results[0].extra", "expected a JSON value, found a bytes"),
        (datetime(2024, 1, 1), "type_mismatch", "batch_results[0].extra", "expected a JSON value, found a datetime"),
        (cycle(), "invalid_value", "batch_results[0].extra[0]", "expected a tree of values, found a reference cycle"),
        ("\ud800", "invalid_value", "batch_results[0].extra", "expected a string of Unicode scalar values"),
        ({"a b": {"c": float("nan")}}, "invalid_value", 'batch_results[0].extra["a b"].c', "expected a finite number"),
    ],
    ids=["nan", "inf", "-inf in a list", "int key", "None key", "defaultdict", "OrderedDict float key", "tuple key",
         "set", "bytes", "datetime", "cycle", "lone surrogate", "quoted path"],
)
def test_refused_at_its_path(value, code, path, message):
    error = refused(value)
    assert (error.code, error.path) == (code, path)
    assert error.message.startswith(message), error.message
    assert isinstance(error, ValueError)


def test_a_cycle_through_a_dict():
    d = {}
    d["self"] = d
    error = refused(d)
    assert (error.code, error.path) == ("invalid_value", "batch_results[0].extra.self")


def test_bad_keys_in_model_constructors_too():
    with pytest.raises(ValidationError) as raised:
        tb.RustCursorConfig(batch_id="001", start_cursor={1: 0}, end_cursor={1: 5}, batch_size=5)
    assert raised.value.path == "start_cursor"


@pytest.mark.parametrize("n", [2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**127 + 3, -(2**70), 10**40])
def test_integers_of_any_size_round_trip(n):
    config = tb.RustCursorConfig(batch_id="x", start_cursor={"k": n}, end_cursor={"k": n}, batch_size=0)
    assert config.start_cursor == {"k": n} and type(config.start_cursor["k"]) is int
    result = tb.call("update_step_results", {"step": {"results": {}}, "changes": {"total": n, "items": [n, str(n)]}})
    assert result == {"total": n, "items": [n, str(n)]}
    assert type(result["total"]) is int


def test_a_twenty_digit_string_is_still_decoded_exactly():
    assert tb.call("update_step_results", {"step": {"results": {}}, "changes": {"id": "12345678901234567890123"}}) == {
        "id": "12345678901234567890123"
    }


def test_floats_round_trip():
    values = [0.1, -0.0, 1e300, 5e-324, 123.456]
    assert tb.call("update_step_results", {"step": {"results": {}}, "changes": {"f": values}})["f"] == values


def test_nan_next_to_a_null_is_still_refused():
    error = refused([None, float("nan")])
    assert error.path == "batch_results[0].extra[1]"


class Colour(Enum):
    RED = "red"


def test_uuids_enums_and_tuples_are_their_json_values():
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    result = tb.call("update_step_results", {"step": {"results": {}}, "changes": {"u": u, "c": Colour.RED, "t": (1, 2)}})
    assert result == {"u": "12345678-1234-5678-1234-567812345678", "c": "red", "t": [1, 2]}


def test_a_nul_in_an_operation_name_is_refused():
    with pytest.raises(ValueError, match="U\\+0000"):
        tb.call("aggregate\0", {})


def test_str_of_the_error_is_the_message():
    error = refused(float("nan"))
    assert str(error) == error.message and error.to_dict() == {"code": error.code, "message": error.message, "path": error.path}


@pytest.mark.parametrize("where", [0, 150, 299])
def test_a_bad_key_deep_in_a_large_input(where):
    # Large enough for the level-by-level key check (the text is tens of kilobytes).
    results = [{"items_processed": 1, "errors": [{"row": i, "detail": {"code": "x"}}]} for i in range(300)]
    results[where]["errors"][0]["detail"] = {7: "bad"}
    with pytest.raises(ValidationError) as raised:
        tb.aggregate_batch_results(results)
    assert (raised.value.code, raised.value.path) == ("type_mismatch", f"batch_results[{where}].errors[0].detail")


def test_a_large_clean_input_passes():
    results = [{"items_processed": 1, "errors": [{"row": i}], "meta": OrderedDict(a=1)} for i in range(300)]
    assert tb.aggregate_batch_results(results).error_count == 300
