"""Every case of every shared vector (``spec/conformance/*.json``) through Python, two ways:

- the text path: ``tasker_batch.call_json`` with the input's exact text from the file, the
  envelope's value compared byte for byte with ``value_text`` and by the README's rules with
  ``value``;
- the object path: ``tasker_batch.call_with_warnings`` with the input as Python objects, which
  is what every Python caller does (skipped when the input has no Python form).
"""

import json

import pytest

import conformance_vectors as vectors
import tasker_batch
from conformance_vectors import diagnostics, parse, same

CASES = vectors.all_cases()
IDS = [case.id for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_text_path(case):
    problem = case.expect_problem()
    assert problem is None, problem
    envelope = vectors.split_envelope(tasker_batch.call_json(case.op, case.input_text))

    if case.error is not None:
        assert envelope.ok is False, f"expected the error {case.error}, found the value {envelope.value_text}"
        assert diagnostics([envelope.error]) == [case.error]
        assert isinstance(envelope.error["message"], str) and envelope.error["message"]
    else:
        assert envelope.ok is True, f"expected a value, found the error {envelope.error}"
        if "value_text" in case.expect:
            assert envelope.value_text == case.expect["value_text"]
        if "value" in case.expect:
            expected = case.expect["value"]
            assert same(expected, parse(envelope.value_text), case.ordered), (
                f"expected {'(in this key order) ' if case.ordered else ''}"
                f"{json.dumps(expected, ensure_ascii=False)}, got {envelope.value_text}"
            )
    assert diagnostics(envelope.warnings) == case.warnings


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_object_path(case):
    value = python_input(case)
    if case.error is not None:
        klass = tasker_batch.TaskerBatchError if case.error[0] == "internal_error" else tasker_batch.ValidationError
        with pytest.raises(tasker_batch.TaskerBatchError) as raised:
            tasker_batch.call_with_warnings(case.op, value)
        assert type(raised.value) is klass
        assert (raised.value.code, raised.value.path) == case.error
        assert diagnostics(raised.value.warnings) == case.warnings
        return

    result = tasker_batch.call_with_warnings(case.op, value)
    actual = as_parsed(result.value)
    if "value" in case.expect:
        assert same(case.expect["value"], actual, case.ordered), f"got {result.value!r}"
    if "value_text" in case.expect:
        # The exact text says the key order as well.
        assert same(parse(case.expect["value_text"]), actual, ordered=True), f"got {result.value!r}"
    assert diagnostics(result.warnings) == case.warnings


class DuplicateKey(ValueError):
    pass


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise DuplicateKey(f"the input names the key {key!r} twice: a dict cannot hold both")
    return dict(pairs)


def python_input(case):
    """The case's input as Python objects, or a skip saying why it has none."""
    try:
        return json.loads(case.input_text, object_pairs_hook=_unique_keys)
    except DuplicateKey as e:
        pytest.skip(str(e))
    except RecursionError:
        pytest.skip("the input is nested deeper than Python's json can read")
    except ValueError as e:
        pytest.skip(f"the input text is not JSON, so it has no Python form ({str(e)[:80]})")


def as_parsed(value):
    """A value from ``call`` in the shape ``parse`` gives, for ``same``."""
    if isinstance(value, dict):
        return vectors.JsonObject([(k, as_parsed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [as_parsed(v) for v in value]
    return value


class TestTheRunnerItself:
    def test_finds_the_vectors(self):
        counts = {path.name: len(vectors.cases(path)) for path in vectors.files()}
        assert len(counts) >= 11, counts
        assert all(n > 0 for n in counts.values()), counts

    def test_case_names_are_unique_in_their_file(self):
        seen = [case.id for case in CASES]
        assert len(seen) == len(set(seen)), [i for i in seen if seen.count(i) > 1]

    def test_sends_each_input_as_the_text_the_file_holds(self):
        for path in vectors.files():
            text = path.read_text(encoding="utf-8")
            for case, raw in zip(vectors.cases(path), parse(text)["cases"]):
                assert case.name == raw["name"]
                if case.raw_input_text:
                    assert case.input_text == raw["input_text"]
                else:
                    assert case.input_text in text
                    assert same(raw["input"], parse(case.input_text), ordered=True)

    def test_takes_the_exact_value_text_out_of_an_envelope(self):
        envelope = vectors.split_envelope(
            '{"ok":true,"value":{"s":"}]\\"","n":[1.50,100000000000000000000]},"warnings":[]}'
        )
        assert envelope.value_text == '{"s":"}]\\"","n":[1.50,100000000000000000000]}'

    def test_finds_values_nested_deeper_than_python_recursion(self):
        deep = "[" * 5000 + "]" * 5000
        text = '{"a": ' + deep + ', "b": 1}'
        assert vectors.raw_json.members(text, 0) == {"a": (6, 6 + len(deep)), "b": (len(text) - 2, len(text) - 1)}

    def test_tells_an_integer_from_a_float_and_a_boolean(self):
        assert not same(parse('{"a": 1}'), parse('{"a": 1.0}'))
        assert not same(parse("[1]"), parse("[true]"))
        assert same(parse("[1.50]"), parse("[1.5]"))
        assert same(parse("[100000000000000000001]"), parse("[100000000000000000001]"))
        assert not same(parse("[100000000000000000001]"), parse("[100000000000000000000]"))

    def test_compares_key_order_only_when_asked(self):
        assert same(parse('{"a": 1, "b": 2}'), parse('{"b": 2, "a": 1}'))
        assert not same(parse('{"a": 1, "b": 2}'), parse('{"b": 2, "a": 1}'), ordered=True)
        assert not same(parse('{"a": 1, "a": 1}'), parse('{"a": 1, "b": 1}'))
