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
        # results); an object's parts are gathered first. One native call answers the whole
        # context as a Hash: a worker reads several members, and a Hash read is cheaper than
        # a native call per accessor.
        step = Hash === workflow_step ? workflow_step : object_step(workflow_step) # rubocop:disable Style/CaseEquality -- a BasicObject has no is_a?
        ok, members, warnings = TaskerBatch::Native.call_members("worker_context", step, NATIVE_MEMBERS)
        TaskerBatch.checked(ok, members, warnings)
        new(members.last, warnings, members) # MEMBERS' values, then the Document
      end

      # The members a worker reads most, answered by the same native call as the context
      # (the others are read from the Document when asked for). Each reader below is at the
      # index of its member here.
      MEMBERS = %w[batch_id start_cursor end_cursor batch_size cursor_kind cursor_field failure_strategy
                   resume_cursor checkpoint is_no_op has_checkpoint].freeze
      NATIVE_MEMBERS = TaskerBatch::Native::Members.new(MEMBERS)
      private_constant :MEMBERS, :NATIVE_MEMBERS

      # Defines the reader `name` of the member `key`: from the members read by from_step_data,
      # or else from the context given to `new`.
      def self.member_reader(name, key = name.to_s)
        index = MEMBERS.index(key) or raise ArgumentError, "#{key} is not one of #{MEMBERS}"
        define_method(name) { @members ? @members[index] : read(key) }
      end
      private_class_method :member_reader

      # StepData.read(step, results_keys: the checkpoint keys), without its general loop for
      # the usual object (one with `inputs` and `results`): the same Hash, built directly.
      def self.object_step(step)
        # A BasicObject has no respond_to? (nor class, nor inspect): not a workflow step.
        unless Object === step # rubocop:disable Style/CaseEquality
          raise ValidationError.new(
            "type_mismatch: expected a workflow step (a Hash, or an object that responds to #inputs), found a BasicObject",
            code: "type_mismatch", path: ""
          )
        end
        unless step.respond_to?(:inputs) && step.respond_to?(:results)
          return StepData.read(step, results_keys: TaskerBatch::Native::CHECKPOINT_KEYS)
        end

        results = step.results
        data = { "inputs" => step.inputs, "results" => TaskerBatch::Plain.hash?(results) ? checkpoint_part(results) : results }
        data["checkpoint"] = step.checkpoint if step.respond_to?(:checkpoint)
        data
      end

      # StepData.slice(results, the checkpoint keys): a String key first, else its Symbol.
      def self.checkpoint_part(results)
        part = {}
        CHECKPOINT_KEY_PAIRS.each do |key, symbol|
          if TaskerBatch::Plain.key?(results, key) then part[key] = TaskerBatch::Plain.get(results, key)
          elsif TaskerBatch::Plain.key?(results, symbol) then part[key] = TaskerBatch::Plain.get(results, symbol)
          end
        end
        part
      end
      private_class_method :object_step, :checkpoint_part

      CHECKPOINT_KEY_PAIRS = TaskerBatch::Native::CHECKPOINT_KEYS.map { |key| [key, key.to_sym].freeze }.freeze
      private_constant :CHECKPOINT_KEY_PAIRS

      # Built by from_step_data from the core's `worker_context` output: a Hash, or a
      # TaskerBatch::Native::Document read member by member as the accessors are called.
      # `members` (from from_step_data) starts with the values of MEMBERS, read before the
      # Document.
      def initialize(context, warnings = [], members = nil)
        @context = context
        @warnings = warnings
        @members = members
        @read = context.is_a?(Hash) ? nil : {}
      end

      # The worker's batch id ("000" for the no-op placeholder).
      member_reader :batch_id
      # First key of the range (inclusive): Integer, String, Hash, ... never coerced.
      member_reader :start_cursor
      # End of the range (exclusive).
      member_reader :end_cursor
      # Items in the range.
      member_reader :batch_size
      # "integer", "uuid", "timestamp", "string", "number", "composite", "tuple", ...
      member_reader :cursor_kind
      # The dataset column the cursors are values of.
      member_reader :cursor_field
      # "continue_on_failure", "fail_fast" or "isolate".
      member_reader :failure_strategy
      # Where processing starts: the checkpoint cursor, or start_cursor.
      member_reader :resume_cursor
      # The checkpoint `{"cursor", "items_processed", "accumulated_results"}`, or nil.
      member_reader :checkpoint

      # The cursor config, Symbol keys (as upstream's reader), caller keys included.
      def cursor
        read("cursor").transform_keys(&:to_sym)
      end

      # The batch metadata, Symbol keys (as upstream's reader).
      def batch_metadata
        read("batch_metadata").transform_keys(&:to_sym)
      end

      # Whether this is the no_batches placeholder, which has nothing to do.
      member_reader :no_op?, "is_no_op"
      alias is_no_op no_op?

      # Whether a checkpoint was found (in the results, or the newer `checkpoint` field).
      member_reader :has_checkpoint?, "has_checkpoint" # -- upstream's name

      # The next key to process, from the last checkpoint; nil without one.
      def checkpoint_cursor
        (found = checkpoint) && found["cursor"]
      end

      # Items processed up to the last checkpoint; 0 without one.
      def checkpoint_items_processed
        (found = checkpoint) ? found["items_processed"] : 0
      end

      # The worker's running results saved with the last checkpoint; nil without one.
      def accumulated_results
        (found = checkpoint) && found["accumulated_results"]
      end

      # The core's whole `worker_context` output (String keys).
      def to_h
        @context.is_a?(Hash) ? @context : @context.to_ruby
      end

      private

      # A Hash is read directly; a Document's members are built once each.
      def read(key)
        return @context[key] unless @read

        @read.fetch(key) { @read[key] = @context[key] }
      end
    end
  end
end
