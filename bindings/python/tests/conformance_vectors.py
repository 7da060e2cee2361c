"""The shared conformance vectors (``spec/conformance/*.json``, format and comparison rules in
its README), read so that each case's input is the exact text written in the file, and the
comparison those rules ask for."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Tuple

import raw_json

SPEC_DIR = Path(__file__).resolve().parents[3] / "spec" / "conformance"
EXPECT_KEYS = {"value", "value_text", "ordered", "warnings", "error"}


class JsonObject(dict):
    """A parsed JSON object that also remembers its members in order, duplicates included
    (``pairs``), so that key order can be compared when a case asks for it."""

    def __init__(self, pairs: List[Tuple[str, Any]]):
        super().__init__(pairs)
        self.pairs = pairs


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(text: str) -> Any:
    """Parses strict JSON: objects as :class:`JsonObject`, integers as exact ``int``, other
    numbers as ``float``; ``NaN`` and ``Infinity`` (which ``json`` accepts) are refused."""
    return json.loads(text, object_pairs_hook=JsonObject, parse_constant=_reject_constant)


def same(expected: Any, actual: Any, ordered: bool = False) -> bool:
    """The README's equality: objects by key (and by order when ``ordered``), integers by exact
    value, an integer never equal to a non-integer (nor a boolean to a number), other numbers by
    value."""
    # Python's `1 == 1.0` and `True == 1` are true; JSON's are not.
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, JsonObject):
        if len(expected.pairs) != len(actual.pairs):
            return False
        if ordered:
            return all(
                ek == ak and same(ev, av, ordered)
                for (ek, ev), (ak, av) in zip(expected.pairs, actual.pairs)
            )
        # Both ways, so that duplicate keys cannot make unequal objects look equal.
        return _found_in(expected, actual, ordered) and _found_in(actual, expected, ordered)
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(
            same(e, a, ordered) for e, a in zip(expected, actual)
        )
    return expected == actual


def _found_in(a: JsonObject, b: JsonObject, ordered: bool) -> bool:
    return all(key in b and same(value, b[key], ordered) for key, value in a.pairs)


def diagnostics(items: Optional[list]) -> List[Tuple[str, str]]:
    """Warnings or errors as the ``(code, path)`` pairs that are compared."""
    return [(item["code"], item["path"]) for item in items or []]


@dataclass(frozen=True)
class Case:
    """One case of one vector file. ``input_text`` is what to send: the raw text of ``input``,
    or the decoded ``input_text`` string (``raw_input_text``); never re-serialized."""

    file: str
    name: str
    op: str
    input_text: str
    raw_input_text: bool
    expect: JsonObject

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"

    @property
    def error(self) -> Optional[Tuple[str, str]]:
        error = self.expect.get("error")
        return None if error is None else (error["code"], error["path"])

    @property
    def ordered(self) -> bool:
        return self.expect.get("ordered") is True

    @property
    def warnings(self) -> List[Tuple[str, str]]:
        return diagnostics(self.expect.get("warnings"))

    def expect_problem(self) -> Optional[str]:
        """What is wrong with ``expect`` (an unknown key is a typo), or None."""
        unknown = sorted(set(self.expect) - EXPECT_KEYS)
        if unknown:
            return f"unknown keys in expect: {unknown}"
        if "value_text" in self.expect and not isinstance(self.expect["value_text"], str):
            return "expect.value_text must be a string"
        if "ordered" in self.expect and not isinstance(self.expect["ordered"], bool):
            return "expect.ordered must be a boolean"
        if "warnings" in self.expect and not isinstance(self.expect["warnings"], list):
            return "expect.warnings must be an array"
        return None


def files() -> List[Path]:
    return sorted(SPEC_DIR.glob("*.json"))


def cases(path: Path) -> List[Case]:
    """Every case of the vector file at ``path``, in file order."""
    text = path.read_text(encoding="utf-8")
    parse(text)  # raw_json trusts its input: check it is JSON first
    out = []
    for start, end in raw_json.elements(text, raw_json.members(text, 0)["cases"][0]):
        spans = raw_json.members(text, start)
        meta = parse(text[start:end])
        if ("input" in spans) == ("input_text" in spans):
            raise ValueError(f"{path.name}: {meta.get('name')!r} needs exactly one of input and input_text")
        raw = "input_text" in spans
        out.append(
            Case(
                file=path.name,
                name=meta["name"],
                op=meta["op"],
                input_text=meta["input_text"] if raw else text[slice(*spans["input"])],
                raw_input_text=raw,
                expect=meta["expect"],
            )
        )
    return out


def all_cases() -> List[Case]:
    return [case for path in files() for case in cases(path)]


@dataclass(frozen=True)
class Envelope:
    """An envelope from ``call_json``, with the value's exact text."""

    ok: bool
    value_text: Optional[str]
    error: Optional[dict]
    warnings: list


def split_envelope(text: str) -> Envelope:
    whole = parse(text)
    spans = raw_json.members(text, 0)
    return Envelope(
        ok=whole.get("ok"),
        value_text=text[slice(*spans["value"])] if "value" in spans else None,
        error=whole.get("error"),
        warnings=whole.get("warnings", []),
    )
