# frozen_string_literal: true

# Python: the tasker_batch package (bindings/python). `rake test` runs its pytest suite and the
# install test (a wheel built from the checkout, installed into a fresh venv outside the
# repository, running a batch lifecycle there); `rake bench:python` its benchmarks. bin/setup
# makes the venv .deps/python (pytest, pydantic, the build backend) and .deps/python-wheels (the
# runtime dependencies as wheels, so the install test needs no network).

# Paths and helpers the Python tasks share.
module TaskerBatchPython
  ROOT = File.expand_path("..", __dir__)
  DIR = File.join(ROOT, "bindings/python")
  PYTHON = File.join(ROOT, ".deps/python/bin/python")

  module_function

  def target_dir
    ENV.fetch("CARGO_TARGET_DIR", File.join(ROOT, "target"))
  end

  def python
    abort "The Python venv is missing (#{PYTHON}): run bin/setup" unless File.exist?(PYTHON)
    PYTHON
  end

  # The library cargo just built, named explicitly so a stale copy elsewhere is never loaded.
  def library_env(profile)
    { "TASKER_BATCH_LIB" => File.join(target_dir, profile, "libtasker_batch.so") }
  end
end

namespace :test do
  desc "Python: pytest (every public name, the conformance vectors through the typed API, docs/python.md examples)"
  task :python do
    sh "cargo", "build", "-p", "tasker-batch", "--lib", chdir: TaskerBatchPython::ROOT
    sh TaskerBatchPython.library_env("debug"), TaskerBatchPython.python, "-m", "pytest", chdir: TaskerBatchPython::DIR
  end

  desc "Python: pip wheel from the checkout, install into a fresh venv outside the repository, run a lifecycle script"
  task :python_install do
    sh TaskerBatchPython.python, File.join(TaskerBatchPython::DIR, "tests/install_check.py")
  end
end

namespace :bench do
  desc "Python: aggregate_batch_results and the per-worker calls against their baselines (release build)"
  task :python do
    sh "cargo", "build", "--release", "-p", "tasker-batch", "--lib", chdir: TaskerBatchPython::ROOT
    bench = File.join(TaskerBatchPython::ROOT, "bench/python/bench.py")
    # With orjson (installed in .deps/python) and as the package runs without it.
    sh TaskerBatchPython.library_env("release"), TaskerBatchPython.python, bench
    sh TaskerBatchPython.library_env("release"), TaskerBatchPython.python, bench, "--stdlib"
  end
end

task test: %w[test:python test:python_install]
