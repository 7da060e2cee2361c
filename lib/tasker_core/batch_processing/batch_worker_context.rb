# frozen_string_literal: true

module TaskerCore
  module BatchProcessing
    # What a worker needs to know about its batch, read from its workflow step by the core:
    # the range (raw cursor values, never coerced), the metadata, and the last checkpoint.
    #
    #   ctx = BatchWorkerContext.from_step_data(workflow_step)
    #   return handle_no_op_worker(ctx) if ctx.no_op?
    #   rows_between(ctx.resume_cursor, ctx.end_cursor).each { ... }
    class BatchWorkerContext
      # What the core noticed (Array of Hash with "code", "message", "path").
      attr_reader :warnings

      # Reads the context of `workflow_step`: a Hash (String or Symbol keys) or an object that
      # responds to `inputs` (and `results`, `checkpoint`). Raises ValidationError (an
      # ArgumentError) for a worker without a usable cursor ("Missing batch_id", ...) or a stored
      # checkpoint that cannot be read; an odd one (a page token, a cursor outside the range) and
      # a missing batch_size are read, and reported in `warnings`.
      def self.from_step_data(workflow_step)
        # A Hash goes to the core as it is (the core reads only the checkpoint keys of its
        # results); an object's parts are gathered first.
        step = workflow_step.is_a?(Hash) ? workflow_step : StepData.read(workflow_step, results_keys: TaskerBatch::Native::CHECKPOINT_KEYS)
        result = TaskerBatch.call_lazy(:worker_context, step)
        new(result.value, result.warnings)
      end

      # Built by from_step_data from the core's `worker_context` output: a Hash, or a
      # TaskerBatch::Native::Document read member by member as the accessors are called.
      def initialize(context, warnings = [])
        @context = context
        @warnings = warnings
        @read = {}
      end

      # The worker's batch id ("000" for the no-op placeholder).
      def batch_id = read("batch_id")
      # First key of the range (inclusive): Integer, String, Hash, ... never coerced.
      def start_cursor = read("start_cursor")
      # End of the range (exclusive).
      def end_cursor = read("end_cursor")
      # Items in the range.
      def batch_size = read("batch_size")
      # "integer", "uuid", "timestamp", "string", "number", "composite", "tuple", ...
      def cursor_kind = read("cursor_kind")
      # The dataset column the cursors are values of.
      def cursor_field = read("cursor_field")
      # "continue_on_failure", "fail_fast" or "isolate".
      def failure_strategy = read("failure_strategy")
      # Where processing starts: the checkpoint cursor, or start_cursor.
      def resume_cursor = read("resume_cursor")
      # The checkpoint `{"cursor", "items_processed", "accumulated_results"}`, or nil.
      def checkpoint = read("checkpoint")

      # The cursor config, Symbol keys (as upstream's reader), caller keys included.
      def cursor
        read("cursor").transform_keys(&:to_sym)
      end

      # The batch metadata, Symbol keys (as upstream's reader).
      def batch_metadata
        read("batch_metadata").transform_keys(&:to_sym)
      end

      # Whether this is the no_batches placeholder, which has nothing to do.
      def no_op?
        read("is_no_op")
      end
      alias is_no_op no_op?

      # Whether a checkpoint was found (in the results, or the newer `checkpoint` field).
      def has_checkpoint? # rubocop:disable Naming/PredicateName -- upstream's name
        read("has_checkpoint")
      end

      # The next key to process, from the last checkpoint; nil without one.
      def checkpoint_cursor
        checkpoint && checkpoint["cursor"]
      end

      # Items processed up to the last checkpoint; 0 without one.
      def checkpoint_items_processed
        checkpoint ? checkpoint["items_processed"] : 0
      end

      # The worker's running results saved with the last checkpoint; nil without one.
      def accumulated_results
        checkpoint && checkpoint["accumulated_results"]
      end

      # The core's whole `worker_context` output (String keys).
      def to_h
        @context.is_a?(Hash) ? @context : @context.to_ruby
      end

      private

      def read(key)
        @read.fetch(key) { @read[key] = @context[key] }
      end
    end
  end
end
