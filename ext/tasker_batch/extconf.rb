# frozen_string_literal: true

require "mkmf"

# The source gem compiles the Rust core. Without a Rust toolchain rb_sys would try to download
# one (and hang where the network is closed): stop here instead, naming what to install. The
# precompiled gem for x86_64-linux (tasker-batch-<version>-x86_64-linux.gem) needs none of this.
module TaskerBatchToolchain
  MINIMUM_RUST = Gem::Version.new("1.85.0")
  HOW = "Install Rust >= #{MINIMUM_RUST} (cargo and rustc, e.g. from https://rustup.rs) and libclang " \
        "(Debian/Ubuntu: apt-get install libclang-dev; Fedora: dnf install clang-devel), then install " \
        "tasker-batch again. On x86_64 Linux the precompiled gem needs neither."

  module_function

  def check!
    cargo = ENV.fetch("CARGO", "cargo")
    stop("cargo was not found on PATH") unless find_executable(cargo)

    rustc = ENV.fetch("RUSTC", "rustc")
    version = `#{rustc} --version 2>&1`[/\Arustc (\d+\.\d+\.\d+)/, 1] if find_executable(rustc)
    stop("rustc was not found on PATH") unless version
    return if Gem::Version.new(version) >= MINIMUM_RUST

    stop("rustc #{version} is too old")
  end

  def stop(problem)
    abort "tasker-batch: cannot build the native extension: #{problem}.\n#{HOW}"
  end
end

TaskerBatchToolchain.check!

require "rb_sys/mkmf"

create_rust_makefile("tasker_batch/tasker_batch_native") do |r|
  # Cargo features of the extension, comma-separated: none for the gem; `rake bench:ruby`
  # builds with `bench-conversion` (Native.call_value, for the conversion-path comparison).
  r.features = ENV.fetch("TASKER_BATCH_EXT_FEATURES", "").split(",").map(&:strip).reject(&:empty?)
end
