# frozen_string_literal: true

require "digest"
require "fileutils"
require "open3"
require "rbconfig"

module Demo
  # The languages the demo's worker processes run in (`--languages ruby,python,node`), each through
  # its own tasker-batch package: the gem (demo/worker.rb), the Python package from
  # bindings/python (demo/workers/python_worker.py, with psycopg 3) and the npm package from
  # bindings/node (demo/workers/node_worker.mjs, with node-postgres). All of them claim from the
  # same PostgreSQL steps with the same statements (demo/sql/postgres.sql).
  #
  # bin/setup installs the drivers from the registries: psycopg into the venv .deps/demo-python,
  # pg into demo/workers/node_modules. The packages themselves change with the checkout, so
  # #prepare builds and installs them the way their install tests do (a wheel from
  # bindings/python; `npm pack` of bindings/node, then `npm install` of the tarball), and again
  # only when their sources (or the core's) changed since.
  module Languages
    ALL = %w[ruby python node].freeze
    ROOT = File.expand_path("../..", __dir__)
    PYTHON = File.join(ROOT, ".deps/demo-python/bin/python")
    # The venv of bindings/python's tests: its pip and build backend build the wheel.
    BUILD_PYTHON = File.join(ROOT, ".deps/python/bin/python")
    NODE_MODULES = File.join(__dir__, "node_modules")
    BUILD_DIR = File.join(ROOT, "tmp/demo-workers")
    STAMP = ".tasker-batch-package"

    # A language's workers cannot run here (its setup is missing, or its package did not build).
    class SetupError < StandardError; end

    module_function

    # The command of a worker process in `language` on the store at `locator`.
    def command(language, locator, lease)
      case language
      when "ruby" then [RbConfig.ruby, File.join(ROOT, "demo/worker.rb"), locator, lease.to_s]
      when "python" then [PYTHON, File.join(__dir__, "python_worker.py"), locator, lease.to_s, Store::MAX_ATTEMPTS.to_s]
      when "node" then ["node", File.join(__dir__, "node_worker.mjs"), locator, lease.to_s, Store::MAX_ATTEMPTS.to_s]
      else raise ArgumentError, "no worker in #{language}"
      end
    end

    # Installs this checkout's package for each of `languages` where the installed one is older;
    # a line for each package it installed. One process at a time (a lock in tmp/).
    def prepare(languages)
      return [] unless languages.intersect?(%w[python node])

      FileUtils.mkdir_p(BUILD_DIR)
      File.open(File.join(BUILD_DIR, ".lock"), File::RDWR | File::CREAT) do |lock|
        lock.flock(File::LOCK_EX)
        [("python" if languages.include?("python")), ("node" if languages.include?("node"))].compact.filter_map do |language|
          language == "python" ? prepare_python : prepare_node
        end
      end
    end

    def prepare_python
      setup = "run bin/setup (it makes the venv .deps/demo-python with psycopg)"
      raise SetupError, "#{PYTHON} is missing: #{setup}" unless File.exist?(PYTHON) && File.exist?(BUILD_PYTHON)

      stamp = File.join(ROOT, ".deps/demo-python", STAMP)
      sources = fingerprint("bindings/python/pyproject.toml", "bindings/python/src/tasker_batch/*")
      return if File.exist?(stamp) && File.read(stamp) == sources

      started = now
      dist = File.join(BUILD_DIR, "python")
      FileUtils.rm_rf(dist)
      # As the install test builds it: the dev profile shares cargo's artifacts with `cargo build`.
      env = { "SETUPTOOLS_RUST_CARGO_PROFILE" => "dev", "CARGO_TARGET_DIR" => target_dir }
      run(env, BUILD_PYTHON, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
          "--no-deps", "-w", dist, File.join(ROOT, "bindings/python"))
      wheel = Dir[File.join(dist, "tasker_batch-*.whl")].first or raise SetupError, "pip wheel made no wheel in #{dist}"
      run({}, BUILD_PYTHON, "-m", "pip", "--python", PYTHON, "install", "--quiet", "--disable-pip-version-check",
          "--no-deps", "--no-index", "--force-reinstall", wheel)
      File.write(stamp, sources)
      format("python: %s built from bindings/python and installed into .deps/demo-python, %.1f s",
             File.basename(wheel), now - started)
    end

    def prepare_node
      unless File.directory?(File.join(NODE_MODULES, "pg")) &&
             File.exist?(File.join(ROOT, "bindings/node/node_modules/typescript/bin/tsc"))
        raise SetupError, "demo/workers/node_modules/pg or bindings/node/node_modules is missing: run bin/setup"
      end

      stamp = File.join(NODE_MODULES, STAMP)
      sources = fingerprint("bindings/node/package.json", "bindings/node/tsconfig.json", "bindings/node/src/**/*",
                            "bindings/node/scripts/*")
      return if File.exist?(stamp) && File.read(stamp) == sources

      started = now
      run({}, "cargo", "build", "--quiet", "-p", "tasker-batch", "--lib", chdir: ROOT)
      packed = File.join(BUILD_DIR, "node")
      FileUtils.rm_rf(packed)
      FileUtils.mkdir_p(packed)
      # npm pack runs the package's prepack (tsc, and the library copied into native/), as
      # `rake node:pack` and the install test do; the library is the debug build just made.
      library = File.join(target_dir, "debug", "libtasker_batch.so")
      run({ "TASKER_BATCH_LIB" => library }, "npm", "pack", "--silent", "--pack-destination", packed,
          chdir: File.join(ROOT, "bindings/node"))
      tarball = Dir[File.join(packed, "tasker-batch-*.tgz")].first or raise SetupError, "npm pack made no tarball"
      # --no-save: package.json and its lock keep naming the driver only. koffi comes from npm's
      # cache, where bin/setup's `npm ci` of bindings/node put it.
      run({}, "npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts",
          "--loglevel=error", tarball, chdir: __dir__)
      File.write(stamp, sources)
      format("node: %s packed from bindings/node and installed into demo/workers/node_modules, %.1f s",
             File.basename(tarball), now - started)
    end

    # What the installed package was built from: the core's sources and the package's own.
    def fingerprint(*patterns)
      files = (%w[Cargo.toml Cargo.lock src/**/*.rs] + patterns).flat_map { |pattern| Dir[File.join(ROOT, pattern)] }
      Digest::SHA256.hexdigest(files.sort.select { |file| File.file?(file) }.map do |file|
        stat = File.stat(file)
        "#{file} #{stat.size} #{stat.mtime.to_f}"
      end.join("\n"))
    end

    def run(env, *command, chdir: ROOT)
      output, status = Open3.capture2e(env, *command, chdir: chdir)
      raise SetupError, "#{command.join(" ")} failed:\n#{output}" unless status.success?
    end

    def target_dir
      ENV.fetch("CARGO_TARGET_DIR", File.join(ROOT, "target"))
    end

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end
