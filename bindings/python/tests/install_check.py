"""The install test (``rake test:python_install``): build the wheel from the checkout, install
it into a fresh venv in a temporary directory outside the repository, and run a short batch
lifecycle (analyzer -> worker -> checkpoint -> aggregate) there, with no environment variable
pointing at the library. Needs no network: the build backend comes from .deps/python
(``--no-build-isolation``) and pydantic from the wheels bin/setup kept in .deps/python-wheels.

Run with .deps/python/bin/python; prints each step and ``install: 1 passed, 0 failed``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "bindings" / "python"
WHEELS = ROOT / ".deps" / "python-wheels"

LIFECYCLE = r'''
import json, os, sys
import tasker_batch as tb
from tasker_batch import Batchable, BatchWorkerContext, ValidationError

lib = tb.library_path()
assert "site-packages" in str(lib) and lib.parent.name == "tasker_batch", lib
assert "TASKER_BATCH_LIB" not in os.environ

class Handler(Batchable):
    pass

h = Handler()
# analyzer
configs = tb.partition_by_count(total_items=1000, worker_count=3)
analyzed = h.batch_analyzer_success(cursor_configs=configs, total_items=1000, worker_template_name="process_batch")
outcome = analyzed["result"]["batch_processing_outcome"]
assert [c["batch_size"] for c in outcome["cursor_configs"]] == [334, 334, 332], outcome
# worker 002, with a checkpoint written and read back
step = {"inputs": {"cursor": outcome["cursor_configs"][1]}, "results": {}}
context = BatchWorkerContext.from_step_data(step)
assert (context.batch_id, context.start_cursor, context.end_cursor) == ("002", 334, 668)
step["results"] = tb.write_checkpoint(step, 400, 66, {"sum": 2**70})
resumed = BatchWorkerContext.from_step_data(step)
assert resumed.resume_cursor == 400 and resumed.accumulated_results == {"sum": 2**70}, resumed
try:
    tb.write_checkpoint(step, 350, 80)
    raise SystemExit("a backwards checkpoint was accepted")
except ValidationError as e:
    assert e.code == "checkpoint_backwards" and isinstance(e, ValueError), e
# aggregate
results = [h.batch_worker_success(items_processed=c["batch_size"])["result"] for c in outcome["cursor_configs"]]
total = tb.aggregate_batch_results(results)
assert (total.total_processed, total.batch_count, total.success_rate) == (1000, 3, 1.0), total
print("lifecycle ok:", tb.version(), lib.name, json.dumps(total.model_dump()))
'''


def run(cmd, **kwargs):
    started = time.monotonic()
    print("$", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)
    print(f"  ({time.monotonic() - started:.1f}s)", flush=True)


def main() -> int:
    if not WHEELS.is_dir():
        print(f"{WHEELS} is missing: run bin/setup", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="tasker-batch-install-") as tmp:
        tmp_path = Path(tmp)
        dist = tmp_path / "dist"
        # The debug profile shares cargo's artifacts with `cargo build`; the shipped wheel of
        # `pip wheel ./bindings/python` is a release build.
        build_env = {**os.environ, "SETUPTOOLS_RUST_CARGO_PROFILE": os.environ.get("SETUPTOOLS_RUST_CARGO_PROFILE", "dev")}
        build_env.setdefault("CARGO_TARGET_DIR", str(ROOT / "target"))
        run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
             "--no-deps", "-w", dist, PACKAGE],
            env=build_env,
        )
        wheels = sorted(dist.glob("tasker_batch-*.whl"))
        assert len(wheels) == 1 and "-abi3-" in wheels[0].name, wheels
        venv = tmp_path / "venv"
        # The machine's python3, not this venv's packages: a fresh environment.
        base_python = getattr(sys, "_base_executable", None) or "python3"
        # No pip inside (ensurepip is the slow part): this pip installs into it (--python).
        run([base_python, "-m", "venv", "--without-pip", venv])
        python = venv / "bin" / "python"
        run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check",
             "--no-index", "--find-links", WHEELS, wheels[0]])
        clean_env = {k: v for k, v in os.environ.items() if k not in ("TASKER_BATCH_LIB", "PYTHONPATH", "LD_LIBRARY_PATH", "CARGO_TARGET_DIR")}
        script = tmp_path / "lifecycle.py"
        script.write_text(LIFECYCLE)
        work = tmp_path / "elsewhere"
        work.mkdir()
        run([python, script], cwd=work, env=clean_env)
    print("install: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
