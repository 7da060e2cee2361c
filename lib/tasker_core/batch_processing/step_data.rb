# frozen_string_literal: true

module TaskerCore
  module BatchProcessing
    # Reads the parts of a workflow step the core needs: a Hash (String or Symbol keys) or any
    # object that responds to `inputs` (and `results`, and `checkpoint` when present), such as
    # upstream's WorkflowStepWrapper. Values are passed on untouched: the core validates them.
    module StepData
      PARTS = %w[inputs results checkpoint].freeze

      module_function

      # `{"inputs" => ..., "results" => ..., "checkpoint" => ...}` (absent parts left out).
      # With `results_keys:`, only those result keys are passed (the worker context reads the
      # checkpoint keys only, however large the results are).
      def read(workflow_step, results_keys: nil)
        return read_hash(workflow_step, results_keys) if TaskerBatch::Plain.hash?(workflow_step)

        data = {}
        PARTS.each do |part|
          found, value = fetch(workflow_step, part)
          next unless found

          value = slice(value, results_keys) if part == "results" && results_keys && TaskerBatch::Plain.hash?(value)
          data[part] = value
        end
        data
      end

      # #read of a Hash step (the String key, else its Symbol), without #fetch's pairs: a worker
      # checkpoints often.
      def read_hash(hash, results_keys)
        data = {}
        PART_PAIRS.each do |part, symbol|
          value = hash.fetch(part) { hash.fetch(symbol, ABSENT) }
          next if ABSENT.equal?(value)

          value = slice(value, results_keys) if results_keys && part == "results" && TaskerBatch::Plain.hash?(value)
          data[part] = value
        end
        data
      end

      PART_PAIRS = PARTS.map { |part| [part, part.to_sym].freeze }.freeze
      ABSENT = Object.new.freeze
      private_constant :PART_PAIRS, :ABSENT

      # A step the worker context reads that is neither a Hash nor an object with `inputs` and
      # `results`: its parts, the results cut to the checkpoint keys. A BasicObject is no step.
      def read_worker_step(workflow_step)
        unless Object === workflow_step # rubocop:disable Style/CaseEquality -- a BasicObject has no is_a?
          raise ValidationError.new(
            "type_mismatch: expected a workflow step (a Hash, or an object that responds to #inputs), found a BasicObject",
            code: "type_mismatch", path: ""
          )
        end
        read(workflow_step, results_keys: TaskerBatch::Native::CHECKPOINT_KEYS)
      end

      # Stores new results on the step: `results=` on objects that have it, the results key on
      # a Hash (the key style it already uses). Objects without a writer are left as they are.
      def write_results(workflow_step, results)
        if TaskerBatch::Plain.hash?(workflow_step)
          workflow_step[results_key(workflow_step)] = results
        elsif TaskerBatch::Plain.object?(workflow_step) && workflow_step.respond_to?(:results=)
          workflow_step.results = results
        end
      end

      def fetch(workflow_step, part)
        if TaskerBatch::Plain.hash?(workflow_step)
          TaskerBatch::Plain.lookup(workflow_step, part)
        elsif TaskerBatch::Plain.object?(workflow_step) && workflow_step.respond_to?(part)
          [true, workflow_step.public_send(part)]
        elsif part == "inputs"
          raise ValidationError.new(
            "expected a workflow step (a Hash, or an object that responds to #inputs), " \
            "found #{TaskerBatch::Plain.class_name(workflow_step)}",
            code: "type_mismatch", path: ""
          )
        else
          [false, nil]
        end
      end

      def results_key(hash)
        return :results if TaskerBatch::Plain.key?(hash, :results)
        return "results" if TaskerBatch::Plain.key?(hash, "results")

        TaskerBatch::Plain.key?(hash, :inputs) ? :results : "results"
      end

      def slice(hash, keys)
        keys.each_with_object({}) do |key, out|
          found, value = TaskerBatch::Plain.lookup(hash, key)
          out[key] = value if found
        end
      end
    end
  end
end
