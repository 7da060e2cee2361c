"""The tasker_batch module's own API: values in and out, errors, warnings, the edges of the C
ABI as Python sees them."""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tasker_batch
from tasker_batch import TaskerBatchError, ValidationError

ROOT = Path(__file__).resolve().parents[3]
BY_COUNT = {"strategy": "integer_by_count", "total_items": 1000, "worker_count": 3}


def gap_outcome():
    return {
        "type": "create_batches",
        "worker_template_name": "process_batch",
        "worker_count": 2,
        "cursor_configs": [
            {"batch_id": "001", "start_cursor": 0, "end_cursor": 300, "batch_size": 300},
            {"batch_id": "002", "start_cursor": 334, "end_cursor": 1000, "batch_size": 666},
        ],
        "total_items": 966,
    }


class TestCall:
    def test_returns_the_operations_value(self):
        configs = tasker_batch.call("partition", BY_COUNT)
        assert [c["batch_size"] for c in configs] == [334, 334, 332]
        assert configs[0] == {"batch_id": "001", "start_cursor": 0, "end_cursor": 334, "batch_size": 334}

    def test_keeps_integers_beyond_64_bits_exact(self):
        start = 170141183460469231731687303715884105000
        configs = tasker_batch.call(
            "partition", {"strategy": "integer_by_count", "total_items": 10, "worker_count": 2, "start": start}
        )
        assert [(c["start_cursor"], c["end_cursor"]) for c in configs] == [(start, start + 5), (start + 5, start + 10)]
        assert all(type(c["start_cursor"]) is int for c in configs)

    def test_returns_warnings_beside_the_value(self):
        result = tasker_batch.call_with_warnings("validate_outcome", gap_outcome())
        assert result.value["total_items"] == 966
        assert [(w["code"], w["path"]) for w in result.warnings] == [("range_gap", "cursor_configs[1]")]
        assert all(w["message"] for w in result.warnings)

    def test_drops_the_warnings_in_call(self):
        assert tasker_batch.call("validate_outcome", gap_outcome())["worker_count"] == 2

    def test_refuses_nan_which_is_not_json(self):
        with pytest.raises(ValueError):
            tasker_batch.call("aggregate", {"batch_results": [{"items_processed": float("nan")}]})


class TestErrors:
    def test_bad_input_raises_a_validation_error_with_code_path_and_message(self):
        outcome = gap_outcome()
        outcome["worker_count"] = 3
        with pytest.raises(ValidationError) as raised:
            tasker_batch.call("validate_outcome", outcome)
        error = raised.value
        assert (error.code, error.path) == ("worker_count_mismatch", "worker_count")
        assert "cursor_configs length (2) must equal worker_count (3)" in error.message
        assert str(error).startswith("worker_count_mismatch at worker_count: ")
        assert error.warnings == []

    def test_a_validation_error_is_a_tasker_batch_error_and_a_value_error(self):
        with pytest.raises(ValidationError) as raised:
            tasker_batch.call("partition", {"strategy": "integer_by_count", "total_items": -1, "worker_count": 1})
        assert isinstance(raised.value, TaskerBatchError)
        assert isinstance(raised.value, ValueError)

    def test_an_unknown_operation_is_a_validation_error_at_the_root(self):
        with pytest.raises(ValidationError) as raised:
            tasker_batch.call("no_such_operation", {})
        assert (raised.value.code, raised.value.path) == ("unknown_operation", "")
        assert str(raised.value).startswith("unknown_operation: expected one of ")


class TestCallJson:
    def test_returns_the_envelope_as_the_core_wrote_it(self):
        text = tasker_batch.call_json("partition", json.dumps(BY_COUNT))
        assert text.startswith('{"ok":true,"value":[{"batch_id":"001","start_cursor":0,')
        assert text.endswith('],"warnings":[]}')

    def test_keeps_exact_number_text(self):
        text = tasker_batch.call_json(
            "update_step_results", '{"step":{"results":{}},"changes":{"ratio":0.30000000000000000001}}'
        )
        assert text == '{"ok":true,"value":{"ratio":0.30000000000000000001},"warnings":[]}'

    def test_reports_malformed_json_as_an_error_envelope(self):
        envelope = json.loads(tasker_batch.call_json("validate_outcome", '{"type":'))
        assert envelope["ok"] is False
        assert (envelope["error"]["code"], envelope["error"]["path"]) == ("invalid_json", "")

    def test_sends_bytes_as_they_are(self):
        envelope = json.loads(tasker_batch.call_json("validate_cursor_config", b'{"batch_id":"\xff"}'))
        assert envelope["error"]["code"] == "invalid_utf8"

    def test_refuses_a_nul_instead_of_sending_half_the_text(self):
        with pytest.raises(ValueError, match="U\\+0000"):
            tasker_batch.call_json("validate_outcome", '{"type":"no_batches"}\0garbage')
        with pytest.raises(ValueError, match="U\\+0000"):
            tasker_batch.call_json("partition\0", "{}")

    def test_frees_every_envelope(self):
        def rss():
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE")

        big = json.dumps({"strategy": "integer_by_size", "total_items": 1000000, "batch_size": 1000})  # ~80 kB out
        for _ in range(50):
            tasker_batch.call_json("partition", big)
        before = rss()
        for _ in range(1000):
            tasker_batch.call_json("partition", big)
        # 1000 leaked envelopes would be ~80 MB.
        assert rss() - before < 40 * 1024 * 1024

    def test_answers_from_several_threads_at_once(self):
        def partition(n):
            return tasker_batch.call("partition", {"strategy": "integer_by_count", "total_items": n, "worker_count": 4})

        sizes = list(range(1000, 1400))
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(partition, sizes))
        assert [sum(c["batch_size"] for c in configs) for configs in results] == sizes


class TestLibrary:
    def test_version_matches_the_header_macros(self):
        header = (ROOT / "include" / "tasker_batch.h").read_text()
        parts = [re.search(rf"#define TASKER_BATCH_VERSION_{p} (\d+)", header).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
        assert tasker_batch.version() == ".".join(parts)

    def test_library_path_honours_the_environment(self, monkeypatch):
        monkeypatch.setenv("TASKER_BATCH_LIB", "/opt/lib/libtasker_batch.so")
        assert tasker_batch.library_path() == Path("/opt/lib/libtasker_batch.so")

    def test_a_missing_library_says_where_it_looked_and_how_to_fix_it(self, tmp_path):
        missing = tmp_path / "libtasker_batch.so"
        script = "import tasker_batch\ntasker_batch.version()\n"
        run = subprocess.run(
            [sys.executable, "-c", script],
            cwd=Path(tasker_batch.__file__).parent,
            env={"TASKER_BATCH_LIB": str(missing), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )
        assert run.returncode != 0
        assert "OSError: cannot load the tasker-batch library " + str(missing) in run.stderr
        assert "TASKER_BATCH_LIB" in run.stderr
