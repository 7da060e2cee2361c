# frozen_string_literal: true

# Stand-ins for the host objects upstream's worker code hands to tasker-batch.
module StepFixtures
  # Upstream's WorkflowStepWrapper as far as batch processing reads it: readers for inputs,
  # results and checkpoint, and (like the host's persisted step) a results writer.
  WorkflowStep = Struct.new(:inputs, :results, :checkpoint, keyword_init: true)

  # An older step object: no `checkpoint` reader.
  LegacyStep = Struct.new(:inputs, :results, keyword_init: true)

  # A step whose results can be read but not assigned.
  class ReadOnlyStep
    attr_reader :inputs, :results

    def initialize(inputs:, results:)
      @inputs = inputs
      @results = results
    end
  end

  # What upstream's `success(result:, metadata:)` returns (a StepHandlerCallResult::Success).
  HandlerSuccess = Struct.new(:result, :metadata, keyword_init: true)

  # A StepContext: what a handler's `call(context)` receives.
  StepContext = Struct.new(:workflow_step, :dependency_results, keyword_init: true)

  # Upstream's DependencyResultsWrapper, reduced to what tasker-batch may rely on:
  # `get_results` (which unwraps a `"result"` key) and `each_key`. It is not a Hash.
  class DependencyResultsWrapper
    def initialize(results)
      @results = results
    end

    def get_results(name)
      entry = @results[name.to_s]
      entry.is_a?(Hash) && entry.key?("result") ? entry["result"] : entry
    end

    def each_key(&block)
      @results.each_key(&block)
    end
  end

  # A wrapper that lists its step names with `keys` only.
  class KeysOnlyDependencyResults < DependencyResultsWrapper
    undef_method :each_key

    def keys
      @results.keys
    end
  end

  module_function

  def deep_symbolize(value)
    case value
    when Hash then value.to_h { |k, v| [k.to_sym, deep_symbolize(v)] }
    when Array then value.map { |v| deep_symbolize(v) }
    else value
    end
  end

  # Deep copy, so a spec can tell whether a value was changed in place.
  def deep_copy(value)
    Marshal.load(Marshal.dump(value))
  end
end
