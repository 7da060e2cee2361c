# frozen_string_literal: true

module TaskerCore
  module BatchProcessing
    # The convergence step's view of the batch: `no_batches` or `with_batches`, the batchable
    # step's result, and the workers' results. Decided in Rust: a batchable step whose outcome
    # is no_batches makes the scenario no_batches even though its placeholder worker exists.
    class BatchAggregationScenario
      # :no_batches or :with_batches.
      attr_reader :type
      # The batchable step's result, and its canonical outcome (a wire Hash).
      attr_reader :batchable_result, :outcome
      # Worker step name => that worker's result, in dependency order.
      attr_reader :batch_results
      # Number of workers (0 for no_batches).
      attr_reader :worker_count
      # What the core noticed (Array of Hash with "code", "message", "path").
      attr_reader :warnings

      # `dependency_results`: a Hash of step name => result, or an object with `get_results(name)`
      # and `each_key`/`keys` (upstream's DependencyResultsWrapper).
      def self.detect(dependency_results, batchable_step_name, worker_prefix)
        results = DependencyResults.to_hash(dependency_results)
        name = TaskerBatch::Plain.name!(batchable_step_name, "batchable_step_name")
        # The core needs the step names and the batchable step's result: the workers' results
        # stay here (the block form and #aggregate read them from Ruby).
        request = {
          "dependency_names" => TaskerBatch::Plain.keys(results),
          "batchable_result" => TaskerBatch::Plain.lookup(results, name)[1],
          "batchable_step_name" => batchable_step_name,
          "worker_prefix" => worker_prefix
        }
        result = begin
          TaskerBatch.call_with_warnings(:detect_scenario, request)
        rescue ValidationError => e
          raise in_caller_terms(e, name)
        end
        new(result.value, results, batchable_step_name, worker_prefix, result.warnings)
      end

      # The caller passed dependency results, not the names the core was given: point errors at
      # what the caller passed.
      def self.in_caller_terms(error, batchable_step_name)
        path = error.path.to_s
        name = TaskerBatch::Plain.printable(batchable_step_name)
        key = name.match?(/\A[A-Za-z_]\w*\z/) ? ".#{name}" : "[#{name.to_json}]"
        caller_path = if path.start_with?("dependency_names")
                        "dependency_results"
                      elsif path.start_with?("batchable_result")
                        "dependency_results#{key}#{path.delete_prefix("batchable_result")}"
                      end
        return error unless caller_path

        error.class.new(error.message, code: error.code, path: caller_path, warnings: error.warnings)
      end
      private_class_method :in_caller_terms

      # Built by detect from the core's `detect_scenario` output.
      def initialize(detected, dependency_results, batchable_step_name, worker_prefix, warnings = [])
        @dependency_results = dependency_results
        @batchable_step_name = batchable_step_name
        @worker_prefix = worker_prefix
        @warnings = warnings
        @type = detected.fetch("scenario").to_sym
        @batchable_result = detected["batchable_result"]
        @outcome = detected["outcome"]
        @batch_results = detected.fetch("worker_names").to_h do |name|
          [name, dependency_results.fetch(name) { dependency_results[name.to_sym] }]
        end
        @worker_count = detected.fetch("worker_count")
      end

      def no_batches?
        type == :no_batches
      end

      def with_batches?
        type == :with_batches
      end

      # The standard aggregation (totals, success_rate, the first `max_errors` errors and
      # error_count, batch_count, worker_count, scenario), plus `"custom"` when `reducers` are
      # given: a Hash of result field => "sum" | "min" | "max" | "count" | "concat" | "merge".
      def aggregate(max_errors: nil, reducers: nil)
        # Options first, with explicit nulls for "the default" and "no reducers": the core then
        # knows, before it reads the results, which of their keys and error entries it can skip.
        request = { "scenario" => type.to_s, "max_errors" => max_errors, "reducers" => reducers,
                    "batch_results" => batch_results }
        TaskerBatch.call(:aggregate, request)
      end

      # Aggregates and applies the failure strategy: `{"status" => "succeeded" | "failed",
      # "aggregation", "failed_batches", "coverage", ...}`. Options as the `converge` operation;
      # `redrives`: the outputs of the `redrive` operation, in the order they were made.
      def converge(failure_strategy: nil, max_failed_workers: nil, max_failure_percentage: nil,
                   check_coverage: nil, max_errors: nil, reducers: nil, redrives: nil)
        # A Symbol strategy is read as its name by the extension (no to_s is called).
        request = {
          "failure_strategy" => failure_strategy, "max_failed_workers" => max_failed_workers,
          "max_failure_percentage" => max_failure_percentage, "check_coverage" => check_coverage,
          "redrives" => redrives
        }.compact
        request["max_errors"] = max_errors
        request["reducers"] = reducers
        request.merge!("batchable_step_name" => @batchable_step_name, "worker_prefix" => @worker_prefix,
                       "dependency_results" => @dependency_results)
        TaskerBatch.call(:converge, request)
      end
    end

    # Turns upstream's DependencyResultsWrapper (or anything with get_results and
    # each_key/keys) into a plain Hash of step name => result.
    module DependencyResults
      module_function

      def to_hash(dependency_results)
        return dependency_results if TaskerBatch::Plain.hash?(dependency_results)

        unless wrapper?(dependency_results)
          raise ValidationError.new(
            "expected a Hash or an object with get_results and each_key, " \
            "found #{TaskerBatch::Plain.class_name(dependency_results)}",
            code: "type_mismatch", path: "dependency_results"
          )
        end

        names = dependency_results.respond_to?(:each_key) ? dependency_results.enum_for(:each_key) : dependency_results.keys
        names.to_h { |name| [name.to_s, dependency_results.get_results(name)] }
      end

      # Whether `value` has get_results and each_key or keys (a BasicObject has no respond_to?).
      def wrapper?(value)
        TaskerBatch::Plain.object?(value) && value.respond_to?(:get_results) &&
          (value.respond_to?(:each_key) || value.respond_to?(:keys))
      end
    end
  end
end
