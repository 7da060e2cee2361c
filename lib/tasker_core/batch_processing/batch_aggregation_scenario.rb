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
        request = {
          "dependency_results" => DependencyResults.to_hash(dependency_results),
          "batchable_step_name" => batchable_step_name,
          "worker_prefix" => worker_prefix
        }
        result = TaskerBatch.call_with_warnings(:detect_scenario, request)
        new(result.value, request, result.warnings)
      end

      # Built by detect from the core's `detect_scenario` output.
      def initialize(detected, request, warnings = [])
        @request = request
        @warnings = warnings
        @type = detected.fetch("scenario").to_sym
        @batchable_result = detected["batchable_result"]
        @outcome = detected["outcome"]
        @batch_results = detected.fetch("batch_results")
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
        request = { "batch_results" => batch_results, "scenario" => type.to_s }
        request["max_errors"] = max_errors unless max_errors.nil?
        request["reducers"] = reducers unless reducers.nil?
        TaskerBatch.call(:aggregate, request)
      end

      # Aggregates and applies the failure strategy: `{"status" => "succeeded" | "failed",
      # "aggregation", "failed_batches", "coverage", ...}`. Options as the `converge` operation.
      def converge(failure_strategy: nil, max_failed_workers: nil, max_failure_percentage: nil,
                   check_coverage: nil, max_errors: nil, reducers: nil)
        options = {
          "failure_strategy" => failure_strategy&.to_s, "max_failed_workers" => max_failed_workers,
          "max_failure_percentage" => max_failure_percentage, "check_coverage" => check_coverage,
          "max_errors" => max_errors, "reducers" => reducers
        }.compact
        TaskerBatch.call(:converge, @request.merge(options))
      end
    end

    # Turns upstream's DependencyResultsWrapper (or anything with get_results and
    # each_key/keys) into a plain Hash of step name => result.
    module DependencyResults
      module_function

      def to_hash(dependency_results)
        return dependency_results if dependency_results.is_a?(Hash)

        unless dependency_results.respond_to?(:get_results) &&
               (dependency_results.respond_to?(:each_key) || dependency_results.respond_to?(:keys))
          raise ValidationError.new(
            "type_mismatch at dependency_results: expected a Hash or an object with get_results and each_key, " \
            "found #{dependency_results.class}",
            code: "type_mismatch", path: "dependency_results"
          )
        end

        names = dependency_results.respond_to?(:each_key) ? dependency_results.enum_for(:each_key) : dependency_results.keys
        names.to_h { |name| [name.to_s, dependency_results.get_results(name)] }
      end
    end
  end
end
