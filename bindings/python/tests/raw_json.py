"""Where each value of a JSON text starts and ends, so that it can be sent or compared exactly
as written (digits beyond 64 bits, ``1.50``, key order, escapes, whitespace).

    text = '{"a": [1, 2.50], "b": {}}'
    members(text, 0)     # {"a": (6, 15), "b": (22, 24)}
    text[6:15]           # '[1, 2.50]'

It trusts its input to be valid JSON (check with ``json.loads`` first); it only finds
boundaries, without recursion, so a value nested 10,000 levels deep is as easy as a flat one.
"""

import json
import re

WHITESPACE = " \t\n\r"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")


def skip_whitespace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in WHITESPACE:
        pos += 1
    return pos


def value_end(text: str, start: int) -> int:
    """The index just past the value that starts at ``start``."""
    pos = start
    depth = 0
    while True:
        char = text[pos]
        if char == '"':
            pos = _match(_STRING, text, pos)
        elif char in "{[":
            depth += 1
            pos += 1
        elif char in "}]":
            depth -= 1
            pos += 1
        elif char in ",:" or char in WHITESPACE:
            pos += 1
        else:
            pos = _match(_SCALAR, text, pos)
        if depth == 0:
            return pos


def value_at(text: str, pos: int) -> tuple:
    """The ``(start, end)`` of the value at ``pos`` or after whitespace from it."""
    start = skip_whitespace(text, pos)
    return start, value_end(text, start)


def members(text: str, pos: int) -> dict:
    """The members of the object at ``pos``: decoded key -> ``(start, end)`` of its value, in
    order. A key given twice keeps its last span, as ``json.loads`` does."""
    pos = _expect(text, skip_whitespace(text, pos), "{")
    out = {}
    pos = skip_whitespace(text, pos)
    if text[pos] == "}":
        return out
    while True:
        key_start = skip_whitespace(text, pos)
        key_end = _match(_STRING, text, key_start)
        span = value_at(text, _expect(text, skip_whitespace(text, key_end), ":"))
        out[json.loads(text[key_start:key_end])] = span
        pos = skip_whitespace(text, span[1])
        if text[pos] == "}":
            return out
        pos = _expect(text, pos, ",")


def elements(text: str, pos: int) -> list:
    """The ``(start, end)`` of each element of the array at ``pos``, in order."""
    pos = _expect(text, skip_whitespace(text, pos), "[")
    out = []
    pos = skip_whitespace(text, pos)
    if text[pos] == "]":
        return out
    while True:
        span = value_at(text, pos)
        out.append(span)
        pos = skip_whitespace(text, span[1])
        if text[pos] == "]":
            return out
        pos = _expect(text, pos, ",")


def _match(pattern: re.Pattern, text: str, pos: int) -> int:
    found = pattern.match(text, pos)
    if found is None:
        raise ValueError(f"not JSON at offset {pos}: {text[pos:pos + 20]!r}")
    return found.end()


def _expect(text: str, pos: int, char: str) -> int:
    if pos >= len(text) or text[pos] != char:
        raise ValueError(f"expected {char!r} at offset {pos}, found {text[pos:pos + 20]!r}")
    return pos + 1
