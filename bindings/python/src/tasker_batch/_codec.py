"""Python values to the core's JSON and back, refusing what JSON cannot say.

The standard library's C encoder does the work. It already refuses ``NaN``/``Infinity``
(``allow_nan=False``), cycles, sets, bytes and every other type; what it does silently — turning
an ``int``, ``float``, ``bool`` or ``None`` dict key into a string — is caught by one pass over
the containers (not the scalars) after it. When anything is refused, a slower walk finds the
first offending value and reports it as a :class:`ValidationError` with the JSON path the core
would use (``batch_results[3].errors[0]["a b"]``).

Decoding keeps integers exact at any size (Python's ``int``); a number with a fraction becomes a
``float``.
"""

from __future__ import annotations

import json
import math
import re
from itertools import compress
from typing import Any, Dict, List, Optional, Tuple

from pydantic import BaseModel

from . import _native
from .errors import ValidationError, from_envelope_error

Json = Any
"""A JSON-shaped Python value: dict (str keys), list, str, int, float, bool or None."""


def _to_json_value(value: Any) -> Any:
    # Called by the encoder for types it does not know. A Pydantic model is its model_dump();
    # anything else is refused (the walk in _problem says where and what).
    if isinstance(value, BaseModel):
        return value.model_dump()
    raise TypeError(type(value).__name__)


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=True, separators=(",", ":"), default=_to_json_value
)
_encode = _ENCODER.encode
_CONTAINERS = frozenset((dict, list, tuple))
_is_container = _CONTAINERS.__contains__
_STR = frozenset((str,))


def _has_non_str_key(value: Any) -> bool:
    # Only containers are visited: a dict's keys are checked by type in C (`map(type, d)`), and
    # its container values are picked out in C too (`compress`), so a scalar costs no Python step.
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        if type(item) is dict:
            if not _STR.issuperset(map(type, item)):
                return True
            values = item.values()
            extend(compress(values, map(_is_container, map(type, values))))
        else:
            extend(compress(item, map(_is_container, map(type, item))))
    return False


def encode(value: Json) -> bytes:
    """``value`` as compact UTF-8 JSON; :class:`ValidationError` for anything JSON cannot say
    exactly."""
    try:
        text = _encode(value)
    except (TypeError, ValueError, RecursionError):
        raise _problem(value) from None
    if type(value) in _CONTAINERS and _has_non_str_key(value):
        raise _problem(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise _problem(value) from None


# ---------------------------------------------------------------------------- errors --

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def key_path(path: str, key: str) -> str:
    """``path`` extended by ``key``, the way the core writes paths (``a.b``, ``a["b c"]``)."""
    if key.isascii() and _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(root: Any) -> ValidationError:
    """The first value under ``root`` that JSON cannot carry, as an error at its path."""
    seen: Dict[int, bool] = {}

    def walk(value: Any, path: str) -> Optional[ValidationError]:
        if isinstance(value, BaseModel):
            return walk(value.model_dump(), path)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return ValidationError(
                    "invalid_value", path, f"expected a string of Unicode scalar values, found {_describe(value)} (an unpaired surrogate)"
                )
            return None
        if value is None or isinstance(value, (bool, int)):
            return None
        if isinstance(value, float):
            if math.isfinite(value):
                return None
            return ValidationError("invalid_value", path, f"expected a finite number, found {value!r} (not JSON)")
        if isinstance(value, (dict, list, tuple)):
            if id(value) in seen:
                return ValidationError("invalid_value", path, "expected a tree of values, found a reference cycle")
            seen[id(value)] = True
            try:
                if isinstance(value, dict):
                    for key, item in value.items():
                        if not isinstance(key, str):
                            return ValidationError(
                                "type_mismatch",
                                path,
                                f"expected string keys, found the {type(key).__name__} key {_describe(key)}",
                            )
                        found = walk(item, key_path(path, key))
                        if found is not None:
                            return found
                else:
                    for index, item in enumerate(value):
                        found = walk(item, f"{path}[{index}]")
                        if found is not None:
                            return found
            finally:
                del seen[id(value)]
            return None
        return ValidationError(
            "type_mismatch", path, f"expected a JSON value, found a {type(value).__name__} ({_describe(value)})"
        )

    try:
        found = walk(root, "")
    except RecursionError:
        return ValidationError("nesting_too_deep", "", "expected JSON nested less deeply than Python's recursion limit")
    return found or ValidationError("invalid_value", "", "expected a JSON value")


# ------------------------------------------------------------------------------ calls --


def call_raw(op: bytes, text: bytes) -> Tuple[Json, List[Dict[str, str]]]:
    """Runs ``op`` on JSON ``text``; the value and the warnings, or the core's error raised."""
    envelope = json.loads(_native.call_bytes(op, text))
    if envelope["ok"] is True:
        return envelope["value"], envelope["warnings"]
    raise from_envelope_error(envelope.get("error") or {}, envelope.get("warnings"))


def call_value(op: bytes, value: Json) -> Tuple[Json, List[Dict[str, str]]]:
    """Runs ``op`` on ``value`` (encoded first); the value and the warnings."""
    return call_raw(op, encode(value))


def c_text(text: Any, name: str) -> bytes:
    """A JSON text given as ``str``, ``bytes`` or ``bytearray``, as the bytes to send."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise ValidationError("type_mismatch", "", f"expected JSON text (str or bytes) for {name}, found {type(text).__name__}")
    return _native.c_string(text, name)
