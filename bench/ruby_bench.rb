# frozen_string_literal: true

# Ruby benchmarks: the gem (Rust core through the extension) against a straightforward
# pure-Ruby implementation of the same rules (bench/pure_ruby.rb), measured in the same run,
# and the three ways of crossing the Ruby/Rust boundary per operation.
#
#   rake bench:ruby          (or: ruby -Ilib bench/ruby_bench.rb, with GEM_PATH set)

require "json"
require "tasker_batch"
require_relative "pure_ruby"

# Seconds per call of the block in one round of at least `min_time`, the block called `batch`
# times between two readings of the clock (reading this clock costs about 0.5 µs here, which
# timed per call would be added to both sides of every comparison). The clock is this thread's
# CPU time, so that other processes on a busy machine do not count (BENCH_CLOCK=wall for
# wall-clock time).
CLOCK = ENV["BENCH_CLOCK"] == "wall" ? Process::CLOCK_MONOTONIC : Process::CLOCK_THREAD_CPUTIME_ID

def round(min_time, batch)
  calls = 0
  started = Process.clock_gettime(CLOCK)
  elapsed = 0.0
  while elapsed < min_time
    batch.times { yield }
    calls += batch
    elapsed = Process.clock_gettime(CLOCK) - started
  end
  elapsed / calls
end

# How many calls of the block make a batch of about a millisecond (at least one).
def batch_size(&block)
  3.times { block.call } # warm up
  calls = 1
  loop do
    started = Process.clock_gettime(CLOCK)
    calls.times { block.call }
    took = Process.clock_gettime(CLOCK) - started
    return [calls * 1e-3 / took, 1].max.ceil if took >= 1e-3 || calls >= 4096
    calls *= 4
  end
end

# Median seconds per call of the block, over `rounds` rounds of at least `min_time` each.
def measure(rounds: 5, min_time: 0.2, &block)
  batch = batch_size(&block)
  Array.new(rounds) { round(min_time, batch, &block) }.sort[rounds / 2]
end

# The medians of `baseline` and `candidate`, their rounds interleaved, so that a change in the
# machine's load during the run reaches both alike.
def measure_pair(baseline, candidate, rounds: 7, min_time: 0.2)
  batches = [batch_size(&baseline), batch_size(&candidate)]
  base = []
  cand = []
  rounds.times do
    base << round(min_time, batches[0], &baseline)
    cand << round(min_time, batches[1], &candidate)
  end
  [base.sort[rounds / 2], cand.sort[rounds / 2]]
end

def human(seconds)
  seconds >= 1e-3 ? format("%.2f ms", seconds * 1e3) : format("%.2f µs", seconds * 1e6)
end

ROWS = []

# BENCH_ONLY=regexp times only the rows whose name matches (and skips the boundary table).
ONLY = ENV["BENCH_ONLY"] && Regexp.new(ENV["BENCH_ONLY"])

def compare(name, target, baseline:, candidate:)
  return if ONLY && !ONLY.match?(name)

  base, cand = measure_pair(baseline, candidate)
  ROWS << [name, human(base), human(cand), format("%.2f×", base / cand), format("%.2f×", cand / base), target]
end

# --- inputs ---------------------------------------------------------------------------------

STEP = {
  "inputs" => {
    "cursor" => { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 },
    "batch_metadata" => { "cursor_field" => "id", "failure_strategy" => "continue_on_failure" },
    "is_no_op" => false
  },
  "results" => { "checkpoint_cursor" => 400, "processed_count" => 66 }
}.freeze

TIMESTAMP_STEP = {
  "inputs" => {
    "cursor" => { "batch_id" => "001", "start_cursor" => "2024-01-01T00:00:00Z",
                  "end_cursor" => "2024-02-01T00:00:00Z", "batch_size" => 31 }
  },
  "results" => { "checkpoint_cursor" => "2024-01-15T00:00:00Z", "processed_count" => 14,
                 "rows" => Array.new(1000) { |i| { "id" => i, "total" => i * 3 } } }
}.freeze

WORKER_RESULTS = (1..10_000).to_h do |i|
  ["process_batch_#{format("%03d", i)}",
   { "items_processed" => 100, "items_succeeded" => 98, "items_failed" => 2, "items_skipped" => 0,
     "errors" => [{ "row" => i, "message" => "bad price" }], "last_cursor" => i * 100 }]
end.freeze

PARTITION = { strategy: "integer_by_count", total_items: 1_000_000, worker_count: 10_000 }.freeze

# --- sanity: both implementations agree before they are timed -----------------------------

native_ctx = TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(STEP)
pure_ctx = PureRubyBatch.from_step_data(STEP)
raise "contexts differ" unless native_ctx.resume_cursor == pure_ctx.resume_cursor && native_ctx.batch_size == pure_ctx.batch_size

native_agg = TaskerBatch.call(:aggregate, { "batch_results" => WORKER_RESULTS })
pure_agg = PureRubyBatch.aggregate(WORKER_RESULTS)
raise "aggregations differ" unless native_agg == pure_agg

raise "partitions differ" unless TaskerCore::BatchProcessing.partition(**PARTITION) ==
                                 PureRubyBatch.partition_by_count(1_000_000, 10_000)

# --- the gem against pure Ruby -----------------------------------------------------------

compare("from_step_data (integer range, checkpoint)", "≤ 1.0× pure Ruby time",
        baseline: -> { PureRubyBatch.from_step_data(STEP) },
        candidate: -> { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(STEP) })
compare("from_step_data (timestamps, 1,000-row results)", "≤ 1.0× pure Ruby time",
        baseline: -> { PureRubyBatch.from_step_data(TIMESTAMP_STEP) },
        candidate: -> { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(TIMESTAMP_STEP) })
SCENARIO = TaskerCore::BatchProcessing::BatchAggregationScenario.detect(
  WORKER_RESULTS.merge("analyze" => { "batch_processing_outcome" => {
    "type" => "create_batches", "worker_template_name" => "process_batch", "worker_count" => 10_000,
    "total_items" => 1_000_000,
    "cursor_configs" => TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 1_000_000,
                                                              worker_count: 10_000)
  } }),
  "analyze", "process_batch_"
)
raise "scenario aggregation differs" unless SCENARIO.aggregate == pure_agg

# What a worker does: read its context, then the members it needs.
WorkflowStep = Struct.new(:inputs, :results) # an object step, as upstream's WorkflowStepWrapper
OBJECT_STEP = WorkflowStep.new(STEP["inputs"], STEP["results"])
BatchWorkerContext = TaskerCore::BatchProcessing::BatchWorkerContext

def worker_reads(ctx)
  [ctx.batch_id, ctx.start_cursor, ctx.end_cursor, ctx.resume_cursor, ctx.checkpoint_items_processed]
end

def pure_worker_reads(ctx)
  [ctx.batch_id, ctx.start_cursor, ctx.end_cursor, ctx.resume_cursor, ctx.checkpoint ? ctx.checkpoint[:items_processed] : 0]
end

[["Hash", STEP], ["object", OBJECT_STEP]].each do |label, step|
  raise "worker reads differ" unless worker_reads(BatchWorkerContext.from_step_data(step)) ==
                                     pure_worker_reads(PureRubyBatch.from_step_data(step))

  compare("from_step_data + 5 worker reads (#{label} step)", "≤ 0.6× pure Ruby time",
          baseline: -> { pure_worker_reads(PureRubyBatch.from_step_data(step)) },
          candidate: -> { worker_reads(BatchWorkerContext.from_step_data(step)) })
end

CHECKPOINT = { "checkpoint_cursor" => 500, "processed_count" => 166, "accumulated_results" => { "sum" => 10 } }.freeze
native_step = { "inputs" => STEP["inputs"], "results" => STEP["results"] }
pure_step = { "inputs" => STEP["inputs"], "results" => STEP["results"] }
raise "updates differ" unless TaskerCore::BatchProcessing.update_workflow_step_results(native_step, CHECKPOINT) ==
                              PureRubyBatch.update_step_results(pure_step, CHECKPOINT)

compare("update_workflow_step_results (3-key checkpoint)", "≤ 1.0× pure Ruby time",
        baseline: -> { PureRubyBatch.update_step_results(pure_step, CHECKPOINT) },
        candidate: -> { TaskerCore::BatchProcessing.update_workflow_step_results(native_step, CHECKPOINT) })

compare("aggregate 10,000 worker results", "≥ 5× faster",
        baseline: -> { PureRubyBatch.aggregate(WORKER_RESULTS) },
        candidate: -> { SCENARIO.aggregate })
compare("partition into 10,000 ranges", "≥ 5× faster",
        baseline: -> { PureRubyBatch.partition_by_count(1_000_000, 10_000) },
        candidate: -> { TaskerCore::BatchProcessing.partition(**PARTITION) })

puts "| operation | pure Ruby | tasker-batch | speed-up | time ratio | target |"
puts "|---|---|---|---|---|---|"
ROWS.each { |row| puts "| #{row.join(" | ")} |" }

# --- the boundary: three ways into the same operation -------------------------------------

exit if ONLY

def paths(op, input)
  text = JSON.generate(input)
  {
    "direct (Rust reads/writes Ruby objects)" => -> { TaskerBatch::Native.call(op, input) },
    # Only in a build with the bench-conversion feature (`rake bench:ruby` builds one).
    "serde_magnus (via serde_json::Value)" =>
      (TaskerBatch::Native.respond_to?(:call_value) ? -> { TaskerBatch::Native.call_value(op, input) } : nil),
    "JSON text (Ruby JSON + envelope)" => -> { JSON.parse(TaskerBatch::Native.call_json(op, JSON.generate(input))) }
  }.transform_values { |call| call && measure(&call) }.tap { text.clear }
end

puts
puts "| operation | direct | serde_magnus | JSON text |"
puts "|---|---|---|---|"
{
  "worker_context" => STEP,
  "aggregate (10,000 results)" => { "max_errors" => nil, "reducers" => nil, "batch_results" => WORKER_RESULTS },
  "partition (10,000 ranges)" => PARTITION.transform_keys(&:to_s)
}.each do |label, input|
  op = label.split.first
  times = paths(op, input).values
  best = times.compact.min
  cells = times.map { |t| t.nil? ? "n/a (no bench-conversion feature)" : (t == best ? "**#{human(t)}**" : human(t)) }
  puts "| #{label} | #{cells.join(" | ")} |"
end
