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
      def warnings = @warnings ||= []

      # Reads the context of `workflow_step`: a Hash (String or Symbol keys) or an object that
      # responds to `inputs` (and `results`, `checkpoint`). Raises ValidationError (an
      # ArgumentError) for a worker without a usable cursor ("Missing batch_id", ...) or a stored
      # checkpoint that cannot be read; an odd one (a page token, a cursor outside the range) and
      # a missing batch_size are read, and reported in `warnings`.
      def self.from_step_data(workflow_step)
        # One native call answers the context itself, its members already set (or the error), so
        # that the accessors a worker calls are plain readers. A Hash goes to the core as it is
        # (the core reads only the checkpoint keys of its results); the usual object (one with
        # `inputs` and `results`, as upstream's WorkflowStepWrapper) goes as its parts, which the
        # extension asks for (`respond_to?`, then the methods), passing on only the checkpoint
        # keys of its results. Anything else (nil from the native call) is read here.
        context = TaskerBatch::Native.worker_context_step(self, workflow_step) ||
                  TaskerBatch::Native.worker_context(self, StepData.read_worker_step(workflow_step))
        # `[ok, context or error, warnings]` when the core reported something: the error raised,
        # or the warnings reported and the context answered.
        Array === context ? TaskerBatch.checked(*context) : context # rubocop:disable Style/CaseEquality
      end

      # Members, in the order `Native.worker_context` sets them.
      MEMBERS = %w[batch_id start_cursor end_cursor batch_size cursor_kind cursor_field failure_strategy
                   resume_cursor].freeze
      private_constant :MEMBERS

      # A context from the core's `worker_context` output (a Hash, or a
      # TaskerBatch::Native::Document) and the warnings reported with it. from_step_data does
      # not call this: the native call sets the same members (#initialize_members).
      def initialize(context, warnings = [])
        checkpoint = context["checkpoint"] || {}
        initialize_members(*MEMBERS.map { |key| context[key] }, checkpoint["cursor_kind"], checkpoint["items_processed"] || 0,
                           context["is_no_op"], context["has_checkpoint"], warnings, nil, nil, nil,
                           checkpoint["accumulated_results"])
        @output = context
      end

      # The worker's batch id ("000" for the no-op placeholder).
      attr_reader :batch_id
      # First key of the range (inclusive): Integer, String, Hash, ... never coerced.
      attr_reader :start_cursor
      # End of the range (exclusive).
      attr_reader :end_cursor
      # Items in the range (`end_cursor - start_cursor` of an integer range without a stored
      # batch_size; nil when unknown).
      attr_reader :batch_size
      # "integer", "uuid", "timestamp", "string", "number", "composite", "tuple", ...
      attr_reader :cursor_kind

      # The dataset column the cursors are values of (a String of the context's own, made when
      # first read).
      def cursor_field = @cursor_field ||= +@cursor_field_name
      # "continue_on_failure", "fail_fast" or "isolate".
      attr_reader :failure_strategy
      # Where processing starts: the checkpoint cursor, or start_cursor.
      attr_reader :resume_cursor

      # The checkpoint `{"cursor", "cursor_kind", "items_processed", "accumulated_results"}`, or nil
      # (made of the members the first time it is read).
      def checkpoint
        @checkpoint ||= @checkpoint_kind && { "cursor" => @resume_cursor, "cursor_kind" => @checkpoint_kind,
                                              "items_processed" => @checkpoint_items_processed,
                                              "accumulated_results" => @accumulated_results }
      end
      # Items processed up to the last checkpoint; 0 without one.
      attr_reader :checkpoint_items_processed

      # The cursor config, Symbol keys (as upstream's reader), caller keys included.
      def cursor
        output("cursor").transform_keys(&:to_sym)
      end

      # The batch metadata, Symbol keys (as upstream's reader).
      def batch_metadata
        output("batch_metadata").transform_keys(&:to_sym)
      end

      # Whether this is the no_batches placeholder, which has nothing to do.
      def no_op? = @is_no_op
      alias is_no_op no_op?

      # Whether a checkpoint was found (in the results, or the newer `checkpoint` field).
      def has_checkpoint? = @has_checkpoint # rubocop:disable Naming/PredicateName -- upstream's name

      # The next key to process, from the last checkpoint; nil without one.
      def checkpoint_cursor = @checkpoint_kind && @resume_cursor

      # The worker's running results saved with the last checkpoint; nil without one.
      def accumulated_results = @checkpoint_kind && @accumulated_results

      # The core's whole `worker_context` output (String keys, in the core's order): a new Hash
      # of the members above.
      def to_h
        return (@output.is_a?(Hash) ? @output : @output.to_ruby) if defined?(@output)

        { "batch_id" => @batch_id, "start_cursor" => @start_cursor, "end_cursor" => @end_cursor,
          "batch_size" => @batch_size, "cursor_kind" => @cursor_kind, "cursor_field" => cursor_field,
          "failure_strategy" => @failure_strategy, "batch_metadata" => output("batch_metadata"),
          "is_no_op" => @is_no_op, "cursor" => output("cursor"), "checkpoint" => checkpoint,
          "has_checkpoint" => @has_checkpoint, "resume_cursor" => @resume_cursor }
      end

      private

      # Sets every member; `Native.worker_context` calls it on a new context, with the values
      # the core's context gives.
      # rubocop:disable Metrics/ParameterLists, Metrics/MethodLength, Metrics/AbcSize -- one argument and one line per member
      def initialize_members(batch_id, start_cursor, end_cursor, batch_size, cursor_kind, cursor_field,
                             failure_strategy, resume_cursor, checkpoint_kind, checkpoint_items_processed, is_no_op,
                             has_checkpoint, warnings, batch_size_stored, cursor_extra, metadata_extra,
                             accumulated_results)
        @batch_id = batch_id
        @start_cursor = start_cursor
        @end_cursor = end_cursor
        @batch_size = batch_size
        @cursor_kind = cursor_kind
        @cursor_field_name = cursor_field # frozen when the core's (#cursor_field copies it)
        @cursor_field = nil
        @failure_strategy = failure_strategy
        @resume_cursor = resume_cursor
        @checkpoint_kind = checkpoint_kind # the checkpoint cursor's kind; nil without a checkpoint
        @checkpoint = nil # made when read
        @checkpoint_items_processed = checkpoint_items_processed
        @is_no_op = is_no_op
        @has_checkpoint = has_checkpoint
        @warnings = warnings
        @batch_size_stored = batch_size_stored # whether the cursor holds its batch_size
        @cursor_extra = cursor_extra # the cursor's other keys (a Hash), or nil
        @metadata_extra = metadata_extra # the metadata's other keys (a Hash), or nil
        @accumulated_results = accumulated_results
      end
      # rubocop:enable Metrics/ParameterLists, Metrics/MethodLength, Metrics/AbcSize

      # The core's `cursor` or `batch_metadata` (String keys): from the output given to `new`,
      # or made of the members, in the core's order (its own keys, then the caller's).
      def output(key)
        return @output[key] if defined?(@output)

        part = if key == "cursor"
                 config = { "batch_id" => @batch_id, "start_cursor" => @start_cursor, "end_cursor" => @end_cursor }
                 config["batch_size"] = @batch_size if @batch_size_stored
                 config
               else
                 { "cursor_field" => cursor_field, "failure_strategy" => @failure_strategy }
               end
        extra = key == "cursor" ? @cursor_extra : @metadata_extra
        extra ? part.merge!(extra) : part
      end
    end
  end
end
