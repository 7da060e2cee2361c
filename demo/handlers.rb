# frozen_string_literal: true

module Demo
  # The demo workflow's step names: the batchable step, the template its workers are named after
  # ("process_products_001", ...), and the convergence step.
  ANALYZER = "analyze_products"
  WORKER_TEMPLATE = "process_products"
  CONVERGENCE = "sum_prices"

  # The batchable step: counts the products and gives each worker one range of keys.
  # Its step inputs: {"worker_count" => Integer, "cursor" => "integer" | "uuid"}.
  class AnalyzeProducts
    include TaskerCore::StepHandler::Mixins::Batchable

    def initialize(store)
      @store = store
    end

    def call(step)
      total = @store.product_count
      return no_batches_outcome(reason: "no products to sum") if total.zero?

      workers = step.inputs.fetch("worker_count")
      configs = if step.inputs.fetch("cursor") == "uuid"
                  # Random UUIDs spread evenly, so equal slices of the UUID space hold about
                  # equal numbers of rows; the last slice is open-ended (end_cursor nil).
                  create_uuid_cursor_configs(workers, total_items: total)
                else
                  # The keys are 0...total.
                  create_cursor_configs(total, workers)
                end
      create_batches_outcome(worker_template_name: WORKER_TEMPLATE, cursor_configs: configs, total_items: total)
    end
  end

  # A worker: sums the prices of its range and counts its rows, from its resume cursor on,
  # checkpointing every `checkpoint_every` rows. The running sum is checkpointed with the cursor
  # (`accumulated_results`), so a retry continues it exactly: the rows after the last checkpoint
  # are done again, and the sum they had added died with the process.
  # Its step inputs: the core's BatchWorkerInputs plus the template's `checkpoint_every` and
  # `rows_per_second`.
  class ProcessProducts
    include TaskerCore::StepHandler::Mixins::Batchable

    def initialize(store)
      @store = store
    end

    def call(step)
      batch = context(step)
      started = { "pid" => Process.pid, "language" => "ruby", "resume_cursor" => batch.resume_cursor,
                  "processed_count" => batch.checkpoint_items_processed }
      started["warnings"] = batch.warnings.map { |warning| warning["message"] } unless batch.warnings.empty?
      @store.record_event(step.name, step.attempts, "started", started)
      no_op = handle_no_op_worker(batch)
      return @store.finish(step, no_op, "no_op" => true) if no_op

      sum_range(step, batch)
    end

    private

    # The core reads the context from the stored step and refuses what does not fit (a
    # checkpoint of another kind, outside the range, a count that is not a count).
    def context(step)
      get_batch_context(step)
    rescue TaskerCore::BatchProcessing::ValidationError => e
      raise UnusableStep, "#{e.code} at #{e.path}: #{e.message}"
    end

    def sum_range(step, batch)
      every = step.inputs.fetch("checkpoint_every")
      pace = Pace.new(step.inputs.fetch("rows_per_second"))
      cursor = batch.resume_cursor
      count = batch.checkpoint_items_processed
      sum = carried_sum(batch)
      last_id = nil
      loop do
        # One row more than a checkpoint's worth: its key is where the next chunk starts.
        rows = @store.products(from: cursor, before: batch.end_cursor, limit: every + 1)
        rows.first(every).each do |id, price_cents|
          Poison.check!(step, count)
          sum += price_cents
          count += 1
          last_id = id
          pace.tick
        end
        break if rows.size <= every

        cursor = rows.last.first
        results = update_workflow_step_results("checkpoint_cursor" => cursor, "processed_count" => count,
                                               "accumulated_results" => { "price_cents" => sum,
                                                                          "items_succeeded" => count })
        @store.save_checkpoint(step, results)
      end
      finish(step, batch, count, sum, last_id)
    end

    # The sum of the rows before the checkpoint, saved with it; without it the retry could only
    # guess, so it does not start.
    def carried_sum(batch)
      return 0 unless batch.has_checkpoint?

      sum = batch.accumulated_results&.[]("price_cents")
      return sum if sum.is_a?(Integer)

      raise UnusableStep, "the checkpoint at #{batch.checkpoint_cursor.inspect} carries no accumulated price_cents " \
                          "(found #{batch.accumulated_results.inspect}): the sum of the rows before it is unknown"
    end

    def finish(step, batch, count, sum, last_id)
      metadata = { "price_cents" => sum }
      if batch.has_checkpoint?
        metadata["resumed_from"] = { "cursor" => batch.checkpoint_cursor,
                                     "processed_count" => batch.checkpoint_items_processed }
      end
      result = batch_worker_success(items_processed: count, items_succeeded: count, last_cursor: last_id,
                                    metadata: metadata)
      @store.finish(step, result, "items_processed" => count, "price_cents" => sum)
    end
  end

  # Simulated work: holds a worker to `rows_per_second` (0: as fast as it can), so that the demo
  # can be watched and a worker is still mid-range when it is killed.
  class Pace
    def initialize(rows_per_second)
      @seconds_per_row = rows_per_second.positive? ? 1.0 / rows_per_second : 0.0
      @started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      @rows = 0
    end

    def tick
      @rows += 1
      return if @seconds_per_row.zero? || (@rows % 50).nonzero?

      ahead = @started + (@rows * @seconds_per_row) - Process.clock_gettime(Process::CLOCK_MONOTONIC)
      sleep(ahead) if ahead.positive?
    end
  end

  # The convergence step: detects the scenario, aggregates the workers' results (the standard
  # counters, and the price sums with a `sum` reducer), applies the failure strategy and checks
  # that the finished ranges cover the key space.
  # Its step inputs: {"failure_strategy" => String}.
  # `redrives`: the outputs of the core's `redrive` for this task, in order (see Redriver).
  class SumPrices
    include TaskerCore::StepHandler::Mixins::Batchable

    def call(step, dependency_results, redrives: nil)
      scenario = detect_aggregation_scenario(dependency_results, ANALYZER, "#{WORKER_TEMPLATE}_")
      converged = scenario.converge(failure_strategy: step.inputs.fetch("failure_strategy"), check_coverage: true,
                                    reducers: { "price_cents" => "sum" }, redrives: redrives)
      { "success" => converged.fetch("status") == "succeeded", "result" => converged }
    end
  end
end
