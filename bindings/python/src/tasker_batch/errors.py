"""The errors every public function raises. The core decides them; this module only names
them in Python."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

Diagnostic = Dict[str, str]
"""A warning or an error as the core reports it: ``{"code", "message", "path"}``."""

INTERNAL_ERROR = "internal_error"


class TaskerBatchError(Exception):
    """Every error the core reports. A bug caught at the C boundary is raised as this class
    itself, with code ``"internal_error"``; bad input raises :class:`ValidationError`.

    ``str(error)`` is the core's message as is (upstream's text where upstream had one, such
    as ``Missing cursor configuration``); ``code`` (stable, ``"worker_count_mismatch"``),
    ``path`` (where in the operation's input, ``"cursor_configs[2].batch_size"``; ``""`` is the
    input itself) and ``warnings`` are attributes, and ``repr`` shows them.
    """

    def __init__(self, code: str, path: str, message: str, warnings: Optional[List[Diagnostic]] = None):
        super().__init__(message)
        self.code = code
        self.path = path
        self.message = message
        self.warnings: List[Diagnostic] = list(warnings or [])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, path={self.path!r}, message={self.message!r})"

    def to_dict(self) -> Dict[str, Any]:
        """The error as the core's envelope writes it."""
        return {"code": self.code, "message": self.message, "path": self.path}


class ValidationError(TaskerBatchError, ValueError):
    """Bad input: a missing or malformed field, a broken rule of the contract, a value that is
    not JSON (``NaN``, a set, bytes, a non-string key, a cycle). Also a ``ValueError``, which is
    what upstream's code and tests catch for a bad argument."""


def from_envelope_error(error: Dict[str, Any], warnings: Optional[List[Diagnostic]]) -> TaskerBatchError:
    """The exception for a failure envelope's ``error``."""
    code = error.get("code", INTERNAL_ERROR)
    klass = TaskerBatchError if code == INTERNAL_ERROR else ValidationError
    return klass(code, error.get("path", ""), error.get("message", ""), warnings)
