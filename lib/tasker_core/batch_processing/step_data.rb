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
        data = {}
        PARTS.each do |part|
          found, value = fetch(workflow_step, part)
          next unless found

          value = slice(value, results_keys) if part == "results" && results_keys && TaskerBatch::Plain.hash?(value)
          data[part] = value
        end
        data
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
