# frozen_string_literal: true

require "open3"

# Miri (docs/fuzzing.md): the C ABI, input and operations tests run under Miri, the interpreter that
# finds undefined behaviour (a dangling pointer, a double free, a read past an allocation, an
# invalid value) in the unsafe code of the C ABI and of our dependencies. Part of `rake test`.
#
# Miri comes with the nightly toolchain's `miri` and `rust-src` components, which bin/setup adds
# when rustup can reach its server. Where they cannot be had, this step says so and is skipped;
# the rest of the suite still runs.
module TaskerBatchMiri
  ROOT = File.expand_path("..", __dir__)

  # The unit tests of these modules (src/capi.rs, src/input/, src/operations.rs).
  LIB_MODULES = %w[capi:: input:: operations::].freeze
  # Integration tests run whole: the panic boundary's hook, and the lone surrogates through
  # every operation that reads strings. tests/conformance.rs is not among them: every vector
  # under Miri takes more than 7 minutes (docs/fuzzing.md).
  TESTS = %w[panic_hook lone_surrogates].freeze
  # Too slow under Miri (it interprets every instruction, about a thousand times slower than
  # native): skipped by name, and listed in docs/fuzzing.md.
  SLOW = [
    # Reads 10,000 levels of nesting, twice: still running after 9 minutes of CPU.
    "input::tests::syntax_errors_and_deep_nesting_are_errors"
  ].freeze

  module_function

  # Why Miri cannot run here, or nil when it can.
  def missing
    _, status = Open3.capture2e("cargo", "+nightly", "miri", "--version", chdir: ROOT)
    return nil if status.success?

    "the nightly toolchain has no miri component (bin/setup runs `rustup +nightly component add miri rust-src`; " \
      "it could not, or has not been run)"
  rescue Errno::ENOENT
    "cargo is not on PATH"
  end

  def skip_arguments
    SLOW.flat_map { |name| ["--skip", name] }
  end
end

namespace :test do
  desc "Miri: the C ABI, input and operations tests under Miri (skipped, saying why, when nightly has no miri)"
  task :miri do
    reason = TaskerBatchMiri.missing
    if reason
      puts "miri: SKIPPED: #{reason}"
      next
    end
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    miri = %w[cargo +nightly miri test -p tasker-batch]
    run(*miri, "--lib", "--", *TaskerBatchMiri::LIB_MODULES, *TaskerBatchMiri.skip_arguments)
    run(*miri, *TaskerBatchMiri::TESTS.flat_map { |t| ["--test", t] })
    seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    puts format("miri: no undefined behaviour in %<seconds>.0fs (skipped as too slow: %<slow>s)",
                seconds: seconds, slow: TaskerBatchMiri::SLOW.join(", "))
  end
end
