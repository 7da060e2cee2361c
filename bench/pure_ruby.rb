# frozen_string_literal: true

require "time"

# The baseline for bench/ruby_bench.rb: a straightforward pure-Ruby implementation of the same
# rules the Rust core applies, for the operations the benchmark compares. Written for this
# benchmark only; the gem never uses it.
module PureRubyBatch
  UUID = /\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/
  TIMESTAMP_SHAPE = /\A\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}/
  CHECKPOINT_KEYS = %w[checkpoint_cursor processed_count accumulated_results].freeze
  U32 = 0..4_294_967_295
  U64 = 0..18_446_744_073_709_551_615

  # A worker's context, as TaskerCore::BatchProcessing::BatchWorkerContext reads it.
  Context = Struct.new(:batch_id, :start_cursor, :end_cursor, :batch_size, :cursor_kind, :cursor_field,
                       :failure_strategy, :no_op, :checkpoint, :resume_cursor, keyword_init: true)

  module_function

  def fetch(hash, key)
    return hash[key] if hash.key?(key)

    hash[key.to_sym]
  end

  def count!(value, range, path)
    raise ArgumentError, "#{path}: expected an integer in #{range}, found #{value.inspect}" unless value.is_a?(Integer) && range.cover?(value)

    value
  end

  def kind(value)
    case value
    when Integer then :integer
    when Float then :number
    when String
      if UUID.match?(value) then :uuid
      elsif TIMESTAMP_SHAPE.match?(value) then :timestamp
      else :string
      end
    when Hash then :composite
    when Array then :tuple
    when nil then :null
    else :boolean
    end
  end

  def key(value, kind)
    case kind
    when :integer then value
    when :uuid then value.delete("-").to_i(16)
    when :timestamp
      t = Time.iso8601(value)
      t.to_i * 1_000_000_000 + t.nsec
    end
  rescue ArgumentError
    raise ArgumentError, "invalid_cursor: #{value.inspect} is not an RFC 3339 timestamp"
  end

  def from_step_data(step)
    inputs = step.is_a?(Hash) ? fetch(step, "inputs") : step.inputs
    results = step.is_a?(Hash) ? fetch(step, "results") : step.results
    checkpoint_field = step.is_a?(Hash) ? fetch(step, "checkpoint") : (step.respond_to?(:checkpoint) ? step.checkpoint : nil)
    inputs ||= {}
    no_op = fetch(inputs, "is_no_op") == true
    cursor = fetch(inputs, "cursor")
    metadata = fetch(inputs, "batch_metadata") || {}
    if no_op
      cursor ||= {}
      batch_id = fetch(cursor, "batch_id") || "000"
      start_cursor = cursor.key?("start_cursor") || cursor.key?(:start_cursor) ? fetch(cursor, "start_cursor") : 0
      end_cursor = cursor.key?("end_cursor") || cursor.key?(:end_cursor) ? fetch(cursor, "end_cursor") : 0
      batch_size = fetch(cursor, "batch_size") || 0
    else
      raise ArgumentError, "Missing cursor configuration" if cursor.nil?

      batch_id = fetch(cursor, "batch_id")
      raise ArgumentError, "Missing batch_id" if batch_id.nil?
      raise ArgumentError, "batch_id: expected a non-empty String" unless batch_id.is_a?(String) && !batch_id.empty?
      raise ArgumentError, "Missing start_cursor" unless cursor.key?("start_cursor") || cursor.key?(:start_cursor)
      raise ArgumentError, "Missing end_cursor" unless cursor.key?("end_cursor") || cursor.key?(:end_cursor)

      start_cursor = fetch(cursor, "start_cursor")
      end_cursor = fetch(cursor, "end_cursor")
      batch_size = count!(fetch(cursor, "batch_size"), U32, "batch_size")
    end
    range_kind = check_range(start_cursor, end_cursor, batch_size, no_op)
    strategy = fetch(metadata, "failure_strategy") || "continue_on_failure"
    strategy = { "ContinueOnFailure" => "continue_on_failure", "FailFast" => "fail_fast", "Isolate" => "isolate" }.fetch(strategy, strategy)
    raise ArgumentError, "failure_strategy: unknown #{strategy.inspect}" unless %w[continue_on_failure fail_fast isolate].include?(strategy)

    checkpoint = read_checkpoint(results, checkpoint_field)
    check_checkpoint(checkpoint[:cursor], range_kind, start_cursor, end_cursor) if checkpoint
    Context.new(batch_id: batch_id, start_cursor: start_cursor, end_cursor: end_cursor, batch_size: batch_size,
                cursor_kind: range_kind, cursor_field: fetch(metadata, "cursor_field") || "id",
                failure_strategy: strategy, no_op: no_op, checkpoint: checkpoint,
                resume_cursor: checkpoint ? checkpoint[:cursor] : start_cursor)
  end

  def check_range(start_cursor, end_cursor, batch_size, no_op)
    start_kind = kind(start_cursor)
    end_kind = kind(end_cursor)
    range_kind = if start_kind == end_kind then start_kind
                 elsif start_kind == :null && end_kind != :integer then end_kind
                 elsif end_kind == :null && start_kind != :integer then start_kind
                 else raise ArgumentError, "mixed_cursor_kinds: #{start_kind} and #{end_kind}"
                 end
    s = key(start_cursor, start_kind)
    e = key(end_cursor, end_kind)
    if range_kind == :integer
      raise ArgumentError, "negative_cursor" if s.negative? || e.negative?
      raise ArgumentError, "batch_size_mismatch" if s <= e && e - s != batch_size
    end
    raise ArgumentError, "invalid_range" if s && e && s > e
    warn "zero-length range" if s && e && s == e && !no_op && $VERBOSE
    range_kind
  end

  def read_checkpoint(results, field)
    if results.is_a?(Hash) && !(cursor = fetch(results, "checkpoint_cursor")).nil?
      processed = fetch(results, "processed_count")
      { cursor: cursor, items_processed: processed.nil? ? 0 : count!(processed, U64, "results.processed_count"),
        accumulated_results: fetch(results, "accumulated_results") }
    elsif field.is_a?(Hash) && !(cursor = fetch(field, "cursor")).nil?
      processed = fetch(field, "items_processed")
      { cursor: cursor, items_processed: processed.nil? ? 0 : count!(processed, U64, "checkpoint.items_processed"),
        accumulated_results: fetch(field, "accumulated_results") }
    end
  end

  def check_checkpoint(cursor, range_kind, start_cursor, end_cursor)
    cursor_kind = kind(cursor)
    raise ArgumentError, "checkpoint_kind_mismatch" unless cursor_kind == range_kind || (range_kind == :null && cursor_kind != :null)

    k = key(cursor, cursor_kind)
    return if k.nil?

    s = key(start_cursor, kind(start_cursor))
    e = key(end_cursor, kind(end_cursor))
    raise ArgumentError, "checkpoint_out_of_range" if (s && k < s) || (e && k > e)
  end

  # update_workflow_step_results: the checkpoint in `changes` checked against the step's range
  # and its previous checkpoint (kind, range, never backwards, processed_count never
  # decreasing), then merged into the step's results, which are set on a Hash step.
  def update_step_results(step, changes)
    if CHECKPOINT_KEYS.any? { |k| changes.key?(k) }
      ctx = from_step_data(step)
      previous = ctx.checkpoint
      if changes.key?("checkpoint_cursor")
        cursor = changes["checkpoint_cursor"]
        check_checkpoint(cursor, ctx.cursor_kind, ctx.start_cursor, ctx.end_cursor)
        if previous
          k = key(cursor, kind(cursor))
          before = key(previous[:cursor], kind(previous[:cursor]))
          raise ArgumentError, "checkpoint_backwards" if k && before && k < before
        end
      end
      if changes.key?("processed_count")
        count = count!(changes["processed_count"], U64, "changes.processed_count")
        raise ArgumentError, "processed_count_decreased" if previous && count < previous[:items_processed]
      end
    end
    results = step.is_a?(Hash) ? fetch(step, "results") : step.results
    merged = (results || {}).merge(changes)
    step["results"] = merged if step.is_a?(Hash)
    merged
  end

  # integer_by_count: ceil(total / workers) per worker, never an empty range.
  def partition_by_count(total_items, worker_count, start = 0)
    count!(total_items, U64, "total_items")
    count!(worker_count, 1..U32.max, "worker_count")
    per = (total_items + worker_count - 1) / worker_count
    raise ArgumentError, "worker_count: ranges of #{per} do not fit batch_size" if per > U32.max

    configs = []
    worker_count.times do |i|
      first = i * per
      break if first >= total_items

      last = [first + per, total_items].min
      configs << { "batch_id" => format("%03d", i + 1), "start_cursor" => start + first,
                   "end_cursor" => start + last, "batch_size" => last - first }
    end
    configs
  end

  COUNTERS = %w[items_processed items_succeeded items_failed items_skipped].freeze

  # The standard aggregation of worker results (name => result).
  def aggregate(batch_results, max_errors: 100)
    totals = Hash.new(0)
    errors = []
    error_count = 0
    batch_count = 0
    batch_results.each do |name, result|
      next if result.nil?

      result = unwrap(result)
      batch_count += 1
      COUNTERS.each do |counter|
        value = result[counter]
        next if value.nil?

        totals[counter] += count!(value, U64, "batch_results.#{name}.#{counter}")
      end
      worker_errors = result["errors"]
      next if worker_errors.nil?
      raise ArgumentError, "batch_results.#{name}.errors: expected an Array" unless worker_errors.is_a?(Array)

      error_count += worker_errors.size
      errors.concat(worker_errors.first(max_errors - errors.size)) if errors.size < max_errors
    end
    processed = totals["items_processed"]
    {
      "total_processed" => processed, "total_succeeded" => totals["items_succeeded"],
      "total_failed" => totals["items_failed"], "total_skipped" => totals["items_skipped"],
      "batch_count" => batch_count,
      "success_rate" => processed.zero? ? 0.0 : totals["items_succeeded"].fdiv(processed),
      "errors" => errors, "error_count" => error_count,
      "worker_count" => batch_results.size, "scenario" => "with_batches"
    }
  end

  def unwrap(result)
    raise ArgumentError, "expected a Hash result" unless result.is_a?(Hash)

    [%w[result], %w[batch_worker_outcome]].each do |(wrapper)|
      inner = result[wrapper]
      result = inner if inner.is_a?(Hash) && COUNTERS.none? { |c| result.key?(c) }
    end
    result
  end
end
