"""tasker-batch from Python, through its C ABI (``include/tasker_batch.h``) and ``ctypes``.

No compiled code: this module loads ``libtasker_batch.so`` and calls its three functions.
Every operation of the core is reached by name with a JSON-shaped Python value::

    import tasker_batch

    configs = tasker_batch.call(
        "partition", {"strategy": "integer_by_count", "total_items": 1000, "worker_count": 3}
    )
    [c["batch_size"] for c in configs]  # [334, 334, 332]

    try:
        tasker_batch.call("validate_outcome", {"type": "create_batches", "worker_count": 1})
    except tasker_batch.ValidationError as e:
        e.code, e.path  # ("missing_field", "worker_template_name")

The library is found through ``TASKER_BATCH_LIB`` (the path of the ``.so``), else in the
repository's ``target/debug`` then ``target/release`` (under ``CARGO_TARGET_DIR`` when set).

Integers stay exact both ways (Python's ``int`` and ``json`` have no size limit). Numbers with a
fraction become ``float``; when their exact digits matter (``0.30000000000000000001``), use
:func:`call_json`, which hands over the envelope's text untouched.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Union

__all__ = [
    "CallResult",
    "TaskerBatchError",
    "ValidationError",
    "call",
    "call_json",
    "call_with_warnings",
    "library_path",
    "version",
]

LIBRARY_ENV = "TASKER_BATCH_LIB"
LIBRARY_NAME = "libtasker_batch.so"
INTERNAL_ERROR = "internal_error"

Json = Any
"""A JSON-shaped Python value: dict (str keys), list, str, int, float, bool or None."""


class TaskerBatchError(Exception):
    """Every error the core reports. A bug caught at the C boundary is raised as this class
    itself, with code ``"internal_error"``; bad input raises :class:`ValidationError`.

    Attributes: ``code`` (stable, e.g. ``"worker_count_mismatch"``), ``path`` (where in the
    input, e.g. ``"cursor_configs[2].batch_size"``; ``""`` is the input itself), ``message``
    (for humans: what was expected and what was found) and ``warnings`` (dicts with ``code``,
    ``message`` and ``path`` reported beside the error, usually none).
    """

    def __init__(self, code: str, path: str, message: str, warnings: Optional[List[dict]] = None):
        where = f" at {path}" if path else ""
        super().__init__(f"{code}{where}: {message}")
        self.code = code
        self.path = path
        self.message = message
        self.warnings = list(warnings or [])


class ValidationError(TaskerBatchError, ValueError):
    """Bad input: a missing or malformed field, a broken rule of the contract, invalid JSON, an
    unknown operation. Also a ``ValueError``, which is what Python code expects to catch for a
    bad argument."""


@dataclass(frozen=True)
class CallResult:
    """A successful call: its ``value`` and the ``warnings`` (dicts with ``code``,
    ``message`` and ``path``) the core reported about suspicious but legal input."""

    value: Json
    warnings: List[dict]


def call(op: str, value: Json) -> Json:
    """Runs the operation ``op`` on ``value`` and returns the operation's output.

    Raises :class:`ValidationError` for bad input and :class:`TaskerBatchError` (code
    ``"internal_error"``) for a bug in the core; warnings are dropped (see
    :func:`call_with_warnings`).
    """
    return call_with_warnings(op, value).value


def call_with_warnings(op: str, value: Json) -> CallResult:
    """Like :func:`call`, returning the value together with the warnings."""
    # allow_nan=False: NaN and Infinity are not JSON; refuse them here rather than send text
    # the core would reject with a less helpful message.
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    envelope = json.loads(call_json(op, text))
    if envelope.get("ok") is True:
        return CallResult(envelope["value"], envelope.get("warnings", []))
    error = envelope.get("error") or {}
    code = error.get("code", INTERNAL_ERROR)
    klass = TaskerBatchError if code == INTERNAL_ERROR else ValidationError
    raise klass(code, error.get("path", ""), error.get("message", ""), envelope.get("warnings"))


def call_json(op: str, text: Union[str, bytes]) -> str:
    """Sends the JSON ``text`` (``str``, or ``bytes`` sent as they are) to the operation ``op``
    and returns the envelope as the core wrote it::

        {"ok":true,"value":...,"warnings":[...]}
        {"ok":false,"error":{"code":...,"message":...,"path":...}}

    Errors in the input are envelopes, not exceptions. Raises ``ValueError`` only for what a C
    string cannot carry (U+0000).
    """
    op_bytes = _c_string(op, "op")
    text_bytes = _c_string(text, "text")
    lib = _library()
    pointer = lib.tasker_batch_call(op_bytes, text_bytes)
    if pointer is None:
        # Reserved by the header for an envelope that could not be built.
        raise TaskerBatchError(INTERNAL_ERROR, "", "tasker_batch_call returned NULL")
    try:
        return ctypes.string_at(pointer).decode("utf-8")
    finally:
        lib.tasker_batch_free_string(pointer)


def version() -> str:
    """The library's version, ``"MAJOR.MINOR.PATCH"``."""
    return _library().tasker_batch_version().decode("ascii")


def library_path() -> Path:
    """The shared library this module loads (or would load): ``$TASKER_BATCH_LIB``, else the
    repository's ``target/debug`` build, else its ``target/release`` build."""
    configured = os.environ.get(LIBRARY_ENV)
    if configured:
        return Path(configured)
    root = Path(__file__).resolve().parents[2]
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    candidates = [target / profile / LIBRARY_NAME for profile in ("debug", "release")]
    return next((p for p in candidates if p.is_file()), candidates[0])


def _c_string(text: Union[str, bytes], name: str) -> bytes:
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if b"\0" in data:
        # ctypes would silently pass only the part before the NUL.
        raise ValueError(f"{name} contains U+0000, which a C string cannot carry")
    return data


_loaded: Optional[ctypes.CDLL] = None
_loading = threading.Lock()


def _library() -> ctypes.CDLL:
    """Loads the library once, on first use, so that importing this module never fails."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _loading:
        if _loaded is None:
            path = library_path()
            try:
                lib = ctypes.CDLL(str(path))
            except OSError as e:
                raise OSError(
                    f"cannot load the tasker-batch library {path} ({e}); build it with "
                    f"`cargo build` or point {LIBRARY_ENV} at libtasker_batch.so"
                ) from e
            _declare(lib)
            _loaded = lib
        return _loaded


def _declare(lib: ctypes.CDLL) -> None:
    # The envelope comes back as c_void_p, not c_char_p: c_char_p would copy it into bytes and
    # drop the pointer, which must go back to tasker_batch_free_string.
    lib.tasker_batch_call.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.tasker_batch_call.restype = ctypes.c_void_p
    lib.tasker_batch_free_string.argtypes = [ctypes.c_void_p]
    lib.tasker_batch_free_string.restype = None
    # Static string, never freed: c_char_p's copy is what we want.
    lib.tasker_batch_version.argtypes = []
    lib.tasker_batch_version.restype = ctypes.c_char_p
