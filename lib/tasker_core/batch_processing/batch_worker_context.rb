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
      # The worker's batch id ("000" for the no-op placeholder).
      attr_reader :batch_id
      # First key of the range (inclusive) and its end (exclusive): Integer, String or Hash.
      attr_reader :start_cursor, :end_cursor
      # Items in the range.
      attr_reader :batch_size
      # "integer", "uuid", "timestamp", "string", "number", "composite", "tuple", ...
      attr_reader :cursor_kind
      # The dataset column the cursors are values of, and the failure strategy.
      attr_reader :cursor_field, :failure_strategy
      # Where processing starts: the checkpoint cursor, or start_cursor.
      attr_reader :resume_cursor
      # What the core noticed (Array of Hash with "code", "message", "path").
      attr_reader :warnings

      # Reads the context of `workflow_step`: a Hash (String or Symbol keys) or an object that
      # responds to `inputs` (and `results`, `checkpoint`). Raises ValidationError (an
      # ArgumentError) for a worker without a usable cursor ("Missing batch_id", ...) or a stored
      # checkpoint that does not fit the range.
      def self.from_step_data(workflow_step)
        step = StepData.read(workflow_step, results_keys: TaskerBatch::Native::CHECKPOINT_KEYS)
        result = TaskerBatch.call_with_warnings(:worker_context, step)
        new(result.value, result.warnings)
      end

      # Built by from_step_data from the core's `worker_context` output.
      def initialize(context, warnings = [])
        @context = context
        @warnings = warnings
        @batch_id = context["batch_id"]
        @start_cursor = context["start_cursor"]
        @end_cursor = context["end_cursor"]
        @batch_size = context["batch_size"]
        @cursor_kind = context["cursor_kind"]
        @cursor_field = context["cursor_field"]
        @failure_strategy = context["failure_strategy"]
        @resume_cursor = context["resume_cursor"]
        @checkpoint = context["checkpoint"]
      end

      # The cursor config, Symbol keys (as upstream's reader), caller keys included.
      def cursor
        @context["cursor"].transform_keys(&:to_sym)
      end

      # The batch metadata, Symbol keys (as upstream's reader).
      def batch_metadata
        @context["batch_metadata"].transform_keys(&:to_sym)
      end

      # Whether this is the no_batches placeholder, which has nothing to do.
      def no_op?
        @context["is_no_op"]
      end
      alias is_no_op no_op?

      # Whether a checkpoint was found (in the results, or the newer `checkpoint` field).
      def has_checkpoint? # rubocop:disable Naming/PredicateName -- upstream's name
        !@checkpoint.nil?
      end

      # The checkpoint `{"cursor", "items_processed", "accumulated_results"}`, or nil.
      def checkpoint
        @checkpoint
      end

      # The next key to process, from the last checkpoint; nil without one.
      def checkpoint_cursor
        @checkpoint && @checkpoint["cursor"]
      end

      # Items processed up to the last checkpoint; 0 without one.
      def checkpoint_items_processed
        @checkpoint ? @checkpoint["items_processed"] : 0
      end

      # The worker's running results saved with the last checkpoint; nil without one.
      def accumulated_results
        @checkpoint && @checkpoint["accumulated_results"]
      end

      # The core's whole `worker_context` output (String keys).
      def to_h
        @context
      end
    end
  end
end
