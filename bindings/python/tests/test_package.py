"""The package itself: upstream's older types, finding the library, typing, and a test for every
public name."""

import re
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

import tasker_batch as tb
from tasker_batch import BatchAnalyzerOutcome, BatchWorkerOutcome, CursorConfig, _native

TESTS = Path(__file__).resolve().parent


class TestOlderTypes:
    def test_cursor_config_keeps_step_size_and_metadata_and_any_cursor(self):
        config = CursorConfig(start_cursor="2024-01-01T00:00:00Z", end_cursor="2024-02-01T00:00:00Z", step_size=10, metadata={"p": 1})
        assert (config.step_size, config.metadata) == (10, {"p": 1})
        assert config.start_cursor == "2024-01-01T00:00:00Z"
        with pytest.raises(pydantic.ValidationError):
            CursorConfig(start_cursor=0, end_cursor=1, unknown=True)

    def test_cursor_config_to_the_wire_type(self):
        wire = CursorConfig(start_cursor=0, end_cursor=100).to_rust_cursor_config("007")
        assert wire.model_dump() == {"batch_id": "007", "start_cursor": 0, "end_cursor": 100, "batch_size": 100}
        with pytest.raises(tb.ValidationError):
            CursorConfig(start_cursor=10, end_cursor=0).to_rust_cursor_config()

    def test_from_ranges(self):
        outcome = BatchAnalyzerOutcome.from_ranges([(0, 100), (100, 200), (200, 300)], step_size=5, total_items=300)
        assert [(c.start_cursor, c.end_cursor, c.step_size) for c in outcome.cursor_configs] == [(0, 100, 5), (100, 200, 5), (200, 300, 5)]
        wire = outcome.to_batch_processing_outcome("process_batch")
        assert wire.model_dump()["cursor_configs"][2] == {"batch_id": "003", "start_cursor": 200, "end_cursor": 300, "batch_size": 100}
        assert BatchAnalyzerOutcome().to_batch_processing_outcome("w").model_dump() == {"type": "no_batches"}

    def test_without_a_total_the_core_warns(self):
        wire = BatchAnalyzerOutcome.from_ranges([(0, 10)]).to_batch_processing_outcome("w")
        assert [w["code"] for w in wire.warnings] == ["total_items_mismatch"]

    def test_batch_worker_outcome(self):
        outcome = BatchWorkerOutcome(items_processed=95, items_succeeded=90, items_failed=5, last_cursor={"page": 3})
        assert outcome.model_dump()["last_cursor"] == {"page": 3}
        assert BatchWorkerOutcome().items_processed == 0


class TestLibrary:
    def test_names_per_platform(self):
        assert _native.library_file_names("linux")[-1] == "libtasker_batch.so"
        assert "libtasker_batch.dylib" in _native.library_file_names("darwin")
        assert "tasker_batch.dll" in _native.library_file_names("win32")

    def test_the_copy_inside_the_package_comes_first(self, monkeypatch, tmp_path):
        monkeypatch.delenv("TASKER_BATCH_LIB", raising=False)
        monkeypatch.setattr(_native, "PACKAGE_DIR", tmp_path)
        (tmp_path / "libtasker_batch.abi3.so").write_bytes(b"")
        assert _native.library_path() == tmp_path / "libtasker_batch.abi3.so"

    def test_an_interpreter_named_copy_is_found_too(self, monkeypatch, tmp_path):
        monkeypatch.delenv("TASKER_BATCH_LIB", raising=False)
        monkeypatch.setattr(_native, "PACKAGE_DIR", tmp_path)
        (tmp_path / "libtasker_batch.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
        assert _native.library_path().name == "libtasker_batch.cpython-311-x86_64-linux-gnu.so"

    def test_the_environment_overrides(self, monkeypatch):
        monkeypatch.setenv("TASKER_BATCH_LIB", "/opt/lib/libtasker_batch.dylib")
        assert tb.library_path() == Path("/opt/lib/libtasker_batch.dylib")

    def test_a_checkout_falls_back_to_cargos_build(self, monkeypatch):
        monkeypatch.delenv("TASKER_BATCH_LIB", raising=False)
        path = tb.library_path()
        assert path.name == "libtasker_batch.so" and path.parent.name in ("debug", "release")

    def test_imports_from_any_directory_without_an_environment(self, tmp_path):
        src = Path(tb.__file__).resolve().parents[1]
        run = subprocess.run(
            [sys.executable, "-c", "import tasker_batch as tb; print(tb.partition_by_count(10, 2)[1].start_cursor)"],
            cwd=tmp_path, env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "5"

    def test_operations_and_version(self):
        assert "aggregate" in tb.operations() and "converge" in tb.operations()
        assert re.fullmatch(r"\d+\.\d+\.\d+", tb.version())
        assert tb.LIBRARY_ENV == "TASKER_BATCH_LIB"


def test_the_package_is_typed():
    assert (Path(tb.__file__).parent / "py.typed").is_file()


def test_call_result():
    result = tb.call_with_warnings("validate_cursor_config", {"batch_id": "1", "start_cursor": 1, "end_cursor": 1, "batch_size": 0})
    assert isinstance(result, tb.CallResult) and result.warnings[0]["code"] == "zero_length_range"


def test_every_public_name_has_a_test():
    sources = "\n".join(p.read_text() for p in TESTS.glob("test_*.py") if p.name != "test_package.py")
    sources += Path(__file__).read_text().split("def test_every_public_name_has_a_test")[0]
    untested = [name for name in tb.__all__ if not re.search(rf"\b{name}\b", sources)]
    assert untested == []
