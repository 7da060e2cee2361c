# frozen_string_literal: true

module TaskerCore
  module StepHandler
    module Mixins
      # Helpers for batch step handlers: analyzers (partition and return an outcome), workers
      # (read the context, checkpoint, report) and convergence steps (detect and aggregate).
      #
      #   class ProcessCsvBatch # < your framework's handler base class, if any
      #     include TaskerCore::StepHandler::Mixins::Batchable
      #
      #     def call(context)
      #       batch = get_batch_context(context)
      #       no_op = handle_no_op_worker(batch)
      #       return no_op if no_op
      #       ...
      #       update_workflow_step_results("checkpoint_cursor" => row, "processed_count" => done)
      #       ...
      #       batch_worker_success(items_processed: done, items_succeeded: ok, items_failed: bad)
      #     end
      #   end
      #
      # Results are returned through the host's `success(result:, metadata:)` when it defines
      # one, and as plain `{"success" => true, "result" => ..., "metadata" => ...}` hashes (the
      # shape step results are stored in) otherwise.
      #
      # Handlers that inherit upstream's deprecated TaskerCore::StepHandler::Batchable get this
      # module through that class.
      module Batchable
        # --- workers ----------------------------------------------------------------------

        # The worker's BatchWorkerContext. `context` is a step context that responds to
        # `workflow_step`, or the workflow step itself (Hash or object). The step is remembered
        # for update_workflow_step_results.
        def get_batch_context(context)
          @batch_workflow_step = context.respond_to?(:workflow_step) ? context.workflow_step : context
          BatchProcessing::BatchWorkerContext.from_step_data(@batch_workflow_step)
        end

        # A success result for the no-op placeholder worker, or nil for a real worker.
        def handle_no_op_worker(batch_context)
          return nil unless batch_context.no_op?

          batch_success({ "batch_id" => batch_context.batch_id, "no_op" => true, "processed_count" => 0 }, {})
        end

        # Validates and merges `changes` (a checkpoint: `checkpoint_cursor`, `processed_count`,
        # `accumulated_results`, or any other result keys) into the current step's results; see
        # BatchProcessing.update_workflow_step_results. The current step is the one given to
        # get_batch_context, or `workflow_step:`.
        #
        # Ruby passes a trailing Hash without braces (`update_workflow_step_results("checkpoint_cursor"
        # => 5)`) as keyword arguments to a method that takes keywords, so those are changes too.
        def update_workflow_step_results(changes = nil, workflow_step: nil, **more_changes)
          unless more_changes.empty?
            changes = changes.is_a?(Hash) ? changes.merge(more_changes) : (changes || more_changes)
          end
          BatchProcessing.update_workflow_step_results(current_batch_step(workflow_step), changes)
        end

        # A worker's success result with the standard counters (String keys, as upstream).
        def batch_worker_success(items_processed:, items_succeeded:, items_failed: 0, items_skipped: 0,
                                 last_cursor: nil, results: nil, errors: nil, metadata: {})
          result = {
            "items_processed" => items_processed, "items_succeeded" => items_succeeded,
            "items_failed" => items_failed, "items_skipped" => items_skipped
          }
          result["last_cursor"] = last_cursor unless last_cursor.nil?
          result["results"] = results unless results.nil?
          result["errors"] = errors unless errors.nil?
          batch_success(result.merge(stringify_keys(metadata)), { batch_worker: true })
        end

        # --- analyzers --------------------------------------------------------------------

        # Integer cursor configs over [start, start + total_items) for worker_count workers: 1000 over 3 is
        # 334/334/332; 5 over 10 is 5 configs of 1 (never empty or negative ones); 0 items is [].
        # A block may adjust each config in place: `{ |config, index| ... }`.
        def create_cursor_configs(total_items, worker_count, start: 0, &block)
          # An Array, as upstream returned (BatchProcessing.partition keeps the configs lazy).
          configs = BatchProcessing.partition(strategy: "integer_by_count", total_items: total_items,
                                              worker_count: worker_count, start: start).to_a
          configs.each_with_index(&block) if block
          configs
        end

        # Integer cursor configs of `batch_size` items (the last one shorter); with
        # `max_batches`, the batches grow instead of exceeding that count.
        def create_cursor_ranges(total_items, batch_size, max_batches: nil)
          request = { strategy: "integer_by_size", total_items: total_items, batch_size: batch_size }
          request[:max_batches] = max_batches unless max_batches.nil?
          BatchProcessing.partition(**request).to_a
        end

        # `count` UUID ranges splitting [start, end) (default: the whole UUID space; the last
        # range of an open end has end_cursor nil).
        def create_uuid_cursor_configs(count, start: nil, end_uuid: nil, total_items: nil)
          BatchProcessing.partition(**{ strategy: "uuid", count: count, start: start, end: end_uuid,
                                        total_items: total_items }.compact).to_a
        end

        # Timestamp ranges splitting [start, end) into `count` equal spans or `step_seconds` steps.
        def create_timestamp_cursor_configs(start:, end_time:, count: nil, step_seconds: nil, total_items: nil)
          BatchProcessing.partition(**{ strategy: "timestamp", start: start, end: end_time, count: count,
                                        step_seconds: step_seconds, total_items: total_items }.compact).to_a
        end

        # Ranges between caller-supplied boundaries (strings, composite keys, ...): [b0, b1), [b1, b2), ...
        def create_boundary_cursor_configs(boundaries, total_items: nil)
          BatchProcessing.partition(**{ strategy: "boundaries", boundaries: boundaries,
                                        total_items: total_items }.compact).to_a
        end

        # The analyzer's result for "nothing to do".
        def no_batches_outcome(reason:, metadata: {})
          outcome = Types::BatchProcessingOutcome.no_batches
          batch_success({ "batch_processing_outcome" => outcome.to_h, "reason" => reason }
                          .merge(stringify_keys(metadata)), {})
        end

        # The analyzer's result creating one worker per cursor config (validated in Rust).
        def create_batches_outcome(worker_template_name:, cursor_configs:, total_items:, metadata: {})
          outcome = Types::BatchProcessingOutcome.create_batches(
            worker_template_name: worker_template_name, worker_count: cursor_configs.size,
            cursor_configs: cursor_configs, total_items: total_items
          )
          batch_success({ "batch_processing_outcome" => outcome.to_h, "worker_count" => cursor_configs.size,
                          "total_items" => total_items }.merge(stringify_keys(metadata)), {})
        end

        # --- convergence ------------------------------------------------------------------

        # The BatchAggregationScenario of a convergence step.
        def detect_aggregation_scenario(dependency_results, batchable_step_name, worker_prefix)
          BatchProcessing::BatchAggregationScenario.detect(dependency_results, batchable_step_name, worker_prefix)
        end

        # The convergence step's result. With a block, the block aggregates (it receives the
        # workers' results by step name and returns a Hash), as upstream; without one, the
        # standard aggregation runs in Rust (with `reducers:` for declarative custom fields).
        # `zero_metrics` are merged into a no_batches result.
        def aggregate_batch_worker_results(scenario, zero_metrics: {}, max_errors: nil, reducers: nil)
          if scenario.no_batches?
            base = block_given? ? { "worker_count" => 0, "scenario" => "no_batches" } : scenario.aggregate
            return batch_success(base.merge(stringify_keys(zero_metrics)), {})
          end

          aggregated = if block_given?
                         stringify_keys(yield(scenario.batch_results))
                           .merge("worker_count" => scenario.worker_count, "scenario" => "with_batches")
                       else
                         scenario.aggregate(max_errors: max_errors, reducers: reducers)
                       end
          batch_success(aggregated, {})
        end

        # The convergence step's result with the failure strategy applied: status, aggregation,
        # failed batches (with their ranges, for a re-run) and the coverage of the key space.
        # Options as BatchAggregationScenario#converge.
        def converge_batch_worker_results(scenario, **options)
          batch_success(scenario.converge(**options), {})
        end

        # A dependency's result, or a value inside it. Upstream's DependencyResultsWrapper
        # unwraps a stored `{"result" => ...}` in `get_results`; a plain Hash is unwrapped the
        # same way here.
        def get_dependency_result(dependency_results, step_name, *keys)
          result = if dependency_results.respond_to?(:get_results)
                     dependency_results.get_results(step_name)
                   else
                     entry = dependency_results[step_name]
                     entry.is_a?(Hash) && entry.key?("result") ? entry["result"] : entry
                   end
          keys.empty? ? result : result&.dig(*keys)
        end

        # The convergence result of a no_batches scenario (upstream's helper).
        def no_batches_aggregation_result(metadata: {})
          batch_success({ "worker_count" => 0, "scenario" => "no_batches" }.merge(stringify_keys(metadata)), {})
        end

        # Records a checkpoint for the current step (see update_workflow_step_results):
        # `cursor` is the next key to process, `items_processed` the running count. Upstream
        # handed the checkpoint to the host instead; where the host defines `checkpoint_yield`,
        # it is called too, after the checkpoint was validated and stored.
        def checkpoint_yield(cursor:, items_processed:, accumulated_results: nil, workflow_step: nil)
          changes = { "checkpoint_cursor" => cursor, "processed_count" => items_processed }
          changes["accumulated_results"] = accumulated_results unless accumulated_results.nil?
          results = update_workflow_step_results(changes, workflow_step: workflow_step)
          return results unless defined?(super)

          super(cursor: cursor, items_processed: items_processed, accumulated_results: accumulated_results)
        end

        # The host's capabilities plus the batch ones (upstream's list).
        def capabilities
          base = defined?(super) ? super : []
          base + %w[batchable batch_processing parallel_execution cursor_based deferred_convergence]
        end

        private

        # The step update_workflow_step_results writes to: `workflow_step:`, the one given to
        # get_batch_context, or the host's own `workflow_step`.
        def current_batch_step(workflow_step)
          step = workflow_step || @batch_workflow_step || (respond_to?(:workflow_step, true) && send(:workflow_step))
          return step if step

          raise BatchProcessing::ValidationError.new(
            "expected a current step (call get_batch_context first, or pass workflow_step:)",
            code: "missing_field", path: "workflow_step"
          )
        end

        def batch_success(result, metadata)
          if respond_to?(:success, true)
            success(result: result, metadata: metadata)
          else
            { "success" => true, "result" => result, "metadata" => stringify_keys(metadata) }
          end
        end

        def stringify_keys(hash)
          hash.to_h.transform_keys(&:to_s)
        end
      end
    end
  end
end
