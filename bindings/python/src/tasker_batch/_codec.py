"""Python values to the core's JSON and back, refusing what JSON cannot say.

Two encoders give the same answers:

- with ``orjson`` installed (``pip install tasker-batch[fast]``), it encodes; it refuses non-string
  keys, sets, bytes, cycles and integers beyond 64 bits by itself, and the one thing it changes
  silently (``NaN``/``Infinity`` become ``null``) is ruled out when the text holds no ``null``, or
  else by decoding the text and comparing it with the value;
- otherwise the standard library's C encoder, which refuses ``NaN``/``Infinity``, cycles, sets,
  bytes and unknown types, followed by a pass over the containers for what it does silently
  (an ``int``, ``float``, ``bool`` or ``None`` dict key becomes a string).

Whatever either refuses goes to the exact path: the standard library's encoder, and a walk that
finds the first offending value and reports it as a :class:`ValidationError` at the JSON path the
core would use (``batch_results[3].errors[0]["a b"]``). Pydantic models are their
``model_dump()``, a ``UUID`` its canonical string, an ``Enum`` its value; nothing else is
converted.

Decoding keeps integers exact at any size (Python's ``int``; ``orjson`` decodes only texts
without a 20-digit run, since it turns larger integers into floats); a number with a fraction
becomes a ``float``.
"""

from __future__ import annotations

import json
import math
import re
from enum import Enum
from collections import Counter, OrderedDict, defaultdict
from itertools import chain, compress
from typing import Any, Dict, List, Optional, Tuple
from uuid import UUID

from pydantic import BaseModel

from . import _native
from .errors import ValidationError, from_envelope_error

Json = Any
"""A JSON-shaped Python value: dict (str keys), list, str, int, float, bool or None."""


def _to_json_value(value: Any) -> Any:
    # Called by the encoders for types they do not know. Anything not named here is refused
    # (the walk in _problem says where and what).
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(type(value).__name__)


try:
    import orjson
except ImportError:  # optional: the standard library's json does everything, more slowly
    orjson = None  # type: ignore[assignment]

if orjson is not None:
    _or_dumps, _or_loads = orjson.dumps, orjson.loads
    # Datetimes, dataclasses and subclasses of builtins go to _to_json_value (which refuses
    # them) instead of being converted, so both encoders accept the same values.
    _OR_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
# Every digit to "0", every other byte to " ": a 20-digit run is then a plain substring search.
_DIGIT_MAP = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_TWENTY_ZEROS = b"0" * 20


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=True, separators=(",", ":"), default=_to_json_value
)
_encode = _ENCODER.encode
_CONTAINERS = frozenset((dict, list, tuple))
_DICTS = frozenset((dict, OrderedDict, defaultdict, Counter))
_SEQUENCES = frozenset((list, tuple))
_is_dict = _DICTS.__contains__
_is_container = (_DICTS | _SEQUENCES).__contains__
_is_sequence = _SEQUENCES.__contains__
_STR = frozenset((str,))
_chain = chain.from_iterable


def _has_non_str_key_small(value: Any) -> bool:
    # Depth first: for a few containers (a worker's step) the cheapest Python loop.
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        if type(item) in _DICTS:
            if not _STR.issuperset(map(type, item)):
                return True
            values = item.values()
            extend(compress(values, map(_is_container, map(type, values))))
        else:
            extend(compress(item, map(_is_container, map(type, item))))
    return False


def _has_non_str_key(value: Any) -> bool:
    # Level by level, so that the work per value is done in C: the keys of every dict of a
    # level are type-checked in one pipeline, and the dicts and lists of the next level are
    # picked out of all values by type (compress) without a Python step per value.
    dicts = [value] if type(value) in _DICTS else []
    sequences = [] if dicts else [value]
    while dicts or sequences:
        if dicts and not _STR.issuperset(map(type, _chain(map(dict.keys, dicts)))):
            return True
        values = list(chain(_chain(map(dict.values, dicts)), _chain(sequences)))
        types = list(map(type, values))
        dicts = list(compress(values, map(_is_dict, types)))
        sequences = list(compress(values, map(_is_sequence, types)))
    return False


def encode(value: Json) -> bytes:
    """``value`` as compact UTF-8 JSON; :class:`ValidationError` for anything JSON cannot say
    exactly."""
    if orjson is not None:
        try:
            data = _or_dumps(value, default=_to_json_value, option=_OR_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError included: the exact path says what
            pass
        else:
            # rfind, not `in`: "null" ends in a repeated byte, which makes the forward search
            # step one byte at a time, while the backward one skips (2 to 3 times faster).
            if data.rfind(b"null") < 0 or _or_loads(data) == value:
                return data
    return _encode_exactly(value)


def _encode_exactly(value: Json) -> bytes:
    try:
        text = _encode(value)
    except (TypeError, ValueError, RecursionError):
        raise _problem(value) from None
    # Below a few kilobytes of text the depth-first loop is cheaper, above it the level one.
    check = _has_non_str_key_small if len(text) < 2048 else _has_non_str_key
    if type(value) in _CONTAINERS and check(value):
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
        if isinstance(value, (UUID, Enum)):
            return walk(_to_json_value(value), path)
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


def decode(data: bytes) -> Json:
    """The core's JSON as Python values, integers exact."""
    if orjson is not None and data.translate(_DIGIT_MAP).rfind(_TWENTY_ZEROS) < 0:
        return _or_loads(data)
    return json.loads(data)


def call_raw(op: bytes, text: bytes) -> Tuple[Json, List[Dict[str, str]]]:
    """Runs ``op`` on JSON ``text``; the value and the warnings, or the core's error raised."""
    data = _native.call_bytes(op, text)
    if orjson is not None and data.translate(_DIGIT_MAP).rfind(_TWENTY_ZEROS) < 0:
        envelope = _or_loads(data)
    else:
        envelope = json.loads(data)
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
