"""The Rust core's C ABI (``include/tasker_batch.h``) through ``ctypes``: finding the library,
calling it, freeing what it returns. Nothing here knows an operation or a rule.

The library is looked for, in order:

1. ``$TASKER_BATCH_LIB`` (the path of the library file), when set;
2. inside this package, where the wheel puts it (``libtasker_batch.abi3.so``, or a plain
   ``libtasker_batch.so`` / ``.dylib`` / ``tasker_batch.dll`` copied there);
3. in a checkout, the repository's ``target/debug`` then ``target/release`` (under
   ``$CARGO_TARGET_DIR`` when set), so the tests run against ``cargo build`` without installing.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from pathlib import Path
from typing import Any, List, Optional, Union

LIBRARY_ENV = "TASKER_BATCH_LIB"

PACKAGE_DIR = Path(__file__).resolve().parent


def library_file_names(platform: str = sys.platform) -> List[str]:
    """The names the library has on ``platform``: setuptools-rust's name inside the package
    first, then what ``cargo build`` writes."""
    if platform.startswith("win"):
        return ["libtasker_batch.pyd", "libtasker_batch.abi3.pyd", "tasker_batch.dll"]
    if platform == "darwin":
        return ["libtasker_batch.abi3.so", "libtasker_batch.dylib", "libtasker_batch.so"]
    return ["libtasker_batch.abi3.so", "libtasker_batch.so"]


def _in_package() -> Optional[Path]:
    for name in library_file_names():
        candidate = PACKAGE_DIR / name
        if candidate.is_file():
            return candidate
    # setuptools-rust without the abi3 setting names it after the interpreter
    # (libtasker_batch.cpython-311-x86_64-linux-gnu.so).
    found = sorted(PACKAGE_DIR.glob("libtasker_batch.*"))
    return next((p for p in found if p.suffix in (".so", ".dylib", ".dll", ".pyd")), None)


def _in_checkout() -> List[Path]:
    # bindings/python/src/tasker_batch/_native.py -> the repository is four levels up.
    root = PACKAGE_DIR.parents[3] if len(PACKAGE_DIR.parents) > 3 else PACKAGE_DIR
    if not (root / "Cargo.toml").is_file() or not (root / "include" / "tasker_batch.h").is_file():
        return []
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    cargo_name = library_file_names()[-1]
    return [target / profile / cargo_name for profile in ("debug", "release")]


def library_path() -> Path:
    """The library this package loads (or would load): ``$TASKER_BATCH_LIB``, else the copy
    inside the package, else a checkout's ``target/debug`` then ``target/release`` build."""
    configured = os.environ.get(LIBRARY_ENV)
    if configured:
        return Path(configured)
    packaged = _in_package()
    if packaged is not None:
        return packaged
    candidates = _in_checkout()
    found = next((p for p in candidates if p.is_file()), None)
    if found is not None:
        return found
    return candidates[0] if candidates else PACKAGE_DIR / library_file_names()[0]


_loaded: Optional[ctypes.CDLL] = None
_loading = threading.Lock()
# The two functions of every call, bound once the library is loaded (see _declare).
_call: Any = None
_free: Any = None


def library() -> ctypes.CDLL:
    """Loads the library once, on first use, so that importing the package never fails."""
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
                    f"cannot load the tasker-batch library {path} ({e}); reinstall the package "
                    f"(pip install ./bindings/python), build it with `cargo build`, or point "
                    f"{LIBRARY_ENV} at the library file"
                ) from e
            _declare(lib)
            _loaded = lib
        return _loaded


class _Envelope(ctypes.c_char_p):
    """The envelope ``tasker_batch_call`` returns. A subclass of ``c_char_p`` as the return
    type keeps the pointer (plain ``c_char_p`` would copy the text into bytes and drop it, and
    the pointer must go back to ``tasker_batch_free_string``), and ``.value`` copies the text
    out in one step."""


def _declare(lib: ctypes.CDLL) -> None:
    global _call, _free
    lib.tasker_batch_call.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.tasker_batch_call.restype = _Envelope
    lib.tasker_batch_free_string.argtypes = [_Envelope]
    lib.tasker_batch_free_string.restype = None
    # Static strings, never freed: c_char_p's copy is what we want.
    lib.tasker_batch_version.argtypes = []
    lib.tasker_batch_version.restype = ctypes.c_char_p
    lib.tasker_batch_operations.argtypes = []
    lib.tasker_batch_operations.restype = ctypes.c_char_p
    # _free first: a thread that sees _call set finds _free set too.
    _free = lib.tasker_batch_free_string
    _call = lib.tasker_batch_call


class NullEnvelope(RuntimeError):
    """``tasker_batch_call`` returned NULL, which the header reserves for an envelope that
    could not be built."""


def call_bytes(op: bytes, text: bytes) -> bytes:
    """Runs ``op`` on the UTF-8 JSON ``text`` and returns the envelope's bytes. Both arguments
    must be free of NUL bytes (a C string ends at the first one)."""
    if _call is None:
        library()
    envelope = _call(op, text)
    try:
        data = envelope.value
    finally:
        _free(envelope)
    if data is None:
        raise NullEnvelope("tasker_batch_call returned NULL")
    return data


def c_string(text: Union[str, bytes], name: str) -> bytes:
    """``text`` as the bytes of a C string; refuses a NUL, which ctypes would silently cut at."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if b"\0" in data:
        raise ValueError(f"{name} contains U+0000, which a C string cannot carry")
    return data


def version() -> str:
    """The library's version, ``"MAJOR.MINOR.PATCH"``."""
    return library().tasker_batch_version().decode("ascii")


def operations_json() -> str:
    """The JSON array of the operation names the library accepts."""
    return library().tasker_batch_operations().decode("utf-8")
