# frozen_string_literal: true

# Other languages on the C header: the C example programs (Python's tasks are in python.rake,
# Node's in node.rake). Rake loads this file after the Rakefile; the last line adds these tasks
# to `rake test`. Each builds the shared library first.

module TaskerBatchBindings
  ROOT = File.expand_path("..", __dir__)
  CFLAGS = %w[-std=c99 -Wall -Wextra -Werror -pedantic -g].freeze

  module_function

  def debug_dir
    File.join(ENV.fetch("CARGO_TARGET_DIR", File.join(ROOT, "target")), "debug")
  end

  # What every runner needs to find the library the tasks just built.
  def library_env
    {
      "TASKER_BATCH_LIB" => File.join(debug_dir, "libtasker_batch.so"),
      "LD_LIBRARY_PATH" => [debug_dir, ENV.fetch("LD_LIBRARY_PATH", nil)].compact.join(File::PATH_SEPARATOR)
    }
  end

  def require_setup(path, what)
    abort "#{what} is missing (#{path}): run bin/setup" unless File.exist?(path)
  end

  def valgrind?
    system("command -v valgrind >/dev/null 2>&1")
  end
end

namespace :build do
  desc "Build the shared library the bindings and examples load (target/debug/libtasker_batch.so)"
  task :shared_library do
    sh "cargo", "build", "-p", "tasker-batch", "--lib", chdir: TaskerBatchBindings::ROOT
  end
end

namespace :test do
  desc "C: build examples/*.c warning-free against the shared library and run them (and under valgrind when installed)"
  task examples: "build:shared_library" do
    out_dir = File.join(TaskerBatchBindings.debug_dir, "c-examples")
    mkdir_p out_dir
    env = TaskerBatchBindings.library_env
    sources = Dir[File.join(TaskerBatchBindings::ROOT, "examples/*.c")].sort
    abort "no examples/*.c found" if sources.empty?
    valgrind = TaskerBatchBindings.valgrind?
    puts "valgrind is not installed: the memory checks are skipped" unless valgrind
    # Every example runs even when one fails; the last line counts them.
    failed = sources.reject do |source|
      program = File.join(out_dir, File.basename(source, ".c"))
      sh(ENV.fetch("CC", "cc"), *TaskerBatchBindings::CFLAGS, "-I#{File.join(TaskerBatchBindings::ROOT, "include")}",
         source, "-L#{TaskerBatchBindings.debug_dir}", "-ltasker_batch", "-o", program) { |ok, _| ok } &&
        sh(env, program) { |ok, _| ok } &&
        (!valgrind ||
         sh(env, "valgrind", "--quiet", "--leak-check=full", "--error-exitcode=1", program, out: File::NULL) { |ok, _| ok })
    end
    puts "examples: #{sources.size - failed.size} passed, #{failed.size} failed"
    $stdout.flush
    abort "failed: #{failed.map { |f| File.basename(f) }.join(", ")}" unless failed.empty?
  end
end

# Rake merges prerequisites: `rake test` runs the Rakefile's suites, then these.
task test: %w[test:examples]
