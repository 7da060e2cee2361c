# frozen_string_literal: true

require "digest"
require "fileutils"
require "open3"
require_relative "../spec/support/conformance_vectors"

# The project's own fuzzing (docs/fuzzing.md): the cargo-fuzz targets in fuzz/ (`call` over the C
# ABI, `mutate` structure-aware), built with nightly and the address sanitizer.
#
#   rake test:fuzz                          both targets, FUZZ_SECONDS each (default 60), at once
#   rake fuzz:long FUZZ_SECONDS=1800        the long run (same, longer; the corpus is kept)
#   FUZZ_TARGETS=call rake fuzz:long        one target only
#
# The seed corpus is written at run time from the conformance vectors into fuzz/corpus (git-ignored);
# a crash leaves its input in fuzz/artifacts/TARGET/ and fails the task.
module TaskerBatchFuzz
  ROOT = File.expand_path("..", __dir__)
  DIR = File.join(ROOT, "fuzz")
  TARGETS = %w[call mutate].freeze
  DICTIONARY = File.join(DIR, "tasker_batch.dict")
  # Inputs the byte-level target may grow to: the largest vector is about 20 KB.
  MAX_LEN = { "call" => 65_536, "mutate" => 4096 }.freeze

  module_function

  def targets
    wanted = ENV.fetch("FUZZ_TARGETS", TARGETS.join(",")).split(",").map(&:strip)
    unknown = wanted - TARGETS
    abort "unknown fuzz target(s) #{unknown.join(", ")}; the targets are #{TARGETS.join(", ")}" unless unknown.empty?
    wanted
  end

  def seconds(default)
    Integer(ENV.fetch("FUZZ_SECONDS", default.to_s))
  end

  def cargo_fuzz_missing
    _, status = Open3.capture2e("cargo", "+nightly", "fuzz", "--version", chdir: ROOT)
    status.success? ? nil : "cargo-fuzz on the nightly toolchain is missing: run bin/setup"
  rescue Errno::ENOENT
    "cargo is not on PATH: run bin/setup"
  end

  # The fuzz crate's own checks: formatting, clippy, its unit tests (the checks fail on what they
  # must, the tree and mutations do what they say).
  def check_crate
    manifest = ["--manifest-path", File.join(DIR, "Cargo.toml")]
    Rake.sh "cargo", "+nightly", "fmt", *manifest, "--", "--check", chdir: ROOT
    Rake.sh "cargo", "+nightly", "clippy", *manifest, "--all-targets", "--", "-D", "warnings", chdir: ROOT
    Rake.sh "cargo", "+nightly", "test", *manifest, "--lib", chdir: ROOT
  end

  # cargo-fuzz's build: release, debug assertions (and so overflow checks) on, address sanitizer.
  def build(targets)
    targets.each do |target|
      Rake.sh "cargo", "+nightly", "fuzz", "build", "--release", "--debug-assertions", target, chdir: ROOT
    end
  end

  def binary(target)
    triple = RbConfig::CONFIG["host_cpu"] == "x86_64" ? "x86_64-unknown-linux-gnu" : "#{RbConfig::CONFIG["host_cpu"]}-unknown-linux-gnu"
    File.join(DIR, "target", triple, "release", target)
  end

  # Seeds: `call` gets every vector as `op\ninput` (its exact text); `mutate` gets [i, 0, 0] for
  # every vector i unchanged (its byte layout is tasker_batch_fuzz::run_mutated's).
  def write_seeds
    cases = ConformanceVectors.files.sort.flat_map { |file| ConformanceVectors.cases(file) }
    cases.each { |c| write_seed("call", "#{c.op}\n#{c.input_text}") }
    cases.size.times { |i| write_seed("mutate", [i & 0xff, i >> 8, 0].pack("C*")) }
    cases.size
  end

  def write_seed(target, bytes)
    File.binwrite(File.join(corpus(target), Digest::SHA1.hexdigest(bytes)), bytes)
  end

  def corpus(target)
    File.join(DIR, "corpus", target).tap { |dir| FileUtils.mkdir_p(dir) }
  end

  def artifacts(target)
    File.join(DIR, "artifacts", target).tap { |dir| FileUtils.mkdir_p(dir) }
  end

  def log_path(target)
    File.join(artifacts(target), "last-run.log")
  end

  # libFuzzer's arguments for one timed run of `target`.
  def arguments(target, seconds)
    # The dictionary is text: it helps the byte-level target only (`mutate` reads its words itself).
    dictionary = target == "call" ? ["-dict=#{DICTIONARY}"] : []
    [
      "-max_total_time=#{seconds}", *dictionary, "-max_len=#{MAX_LEN.fetch(target)}",
      # A call that takes seconds is a finding too (the core must be linear in its input); the
      # slowest legal input found (a million cursor configs) takes about 4 s under the sanitizer.
      "-timeout=20", "-rss_limit_mb=2048", "-print_final_stats=1",
      "-artifact_prefix=#{artifacts(target)}/", corpus(target)
    ]
  end

  # Runs every target at once for `seconds`, each logging to fuzz/artifacts/TARGET/last-run.log,
  # and prints what each reached. Fails when one found something.
  def run(targets, seconds)
    write_seeds
    started = targets.to_h { |target| [target, start(target, seconds)] }
    failed = started.filter_map do |target, (pid, log)|
      _, status = Process.wait2(pid)
      log.close
      puts summary(target)
      target unless status.success?
    end
    report_failures(failed) unless failed.empty?
  end

  def start(target, seconds)
    log = File.open(log_path(target), "w")
    puts "$ #{binary(target)} #{arguments(target, seconds).join(" ")}  (log: #{relative(log_path(target))})"
    [Process.spawn(binary(target), *arguments(target, seconds), out: log, err: log, chdir: DIR), log]
  end

  def report_failures(failed)
    failed.each { |target| puts File.readlines(log_path(target)).last(60).join }
    abort "fuzz: #{failed.join(", ")} found a failure; its input is in fuzz/artifacts/TARGET/ " \
          "(reproduce: #{relative(binary(failed.first))} fuzz/artifacts/#{failed.first}/crash-...)"
  end

  def relative(path)
    path.delete_prefix("#{ROOT}/")
  end

  # One line from the log: executions, coverage (cov: edges, ft: features), corpus size, speed.
  def summary(target)
    text = File.read(log_path(target))
    last = text.scan(/^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\S+)/).last
    execs = text[/stat::number_of_executed_units:\s+(\d+)/, 1] || last&.first
    speed = text[/stat::average_exec_per_sec:\s+(\d+)/, 1]
    return "fuzz #{target}: no statistics (see #{log_path(target)})" unless last

    "fuzz #{target}: #{execs} executions (#{speed || "?"}/s), cov: #{last[1]} ft: #{last[2]}, corpus #{last[3]}"
  end
end

namespace :test do
  desc "Fuzz: both cargo-fuzz targets (fuzz/) for FUZZ_SECONDS each (default 60), at once, from the vectors"
  task :fuzz do
    missing = TaskerBatchFuzz.cargo_fuzz_missing
    abort missing if missing
    targets = TaskerBatchFuzz.targets
    TaskerBatchFuzz.check_crate
    TaskerBatchFuzz.build(targets)
    TaskerBatchFuzz.run(targets, TaskerBatchFuzz.seconds(60))
  end
end

namespace :fuzz do
  desc "Fuzz for long: FUZZ_SECONDS (default 1800) per target, both at once (FUZZ_TARGETS=call for one)"
  task :long do
    missing = TaskerBatchFuzz.cargo_fuzz_missing
    abort missing if missing
    targets = TaskerBatchFuzz.targets
    TaskerBatchFuzz.build(targets)
    TaskerBatchFuzz.run(targets, TaskerBatchFuzz.seconds(1800))
  end

  desc "Write the seed corpus (fuzz/corpus/TARGET) from the conformance vectors"
  task :seeds do
    puts "fuzz: #{TaskerBatchFuzz.write_seeds} vectors written as seeds into fuzz/corpus/"
  end
end
