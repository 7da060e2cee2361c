# frozen_string_literal: true

module TaskerCore
  module Types
    # What convergence does when workers fail. The wire spelling is snake_case; upstream's
    # PascalCase ("ContinueOnFailure") is accepted with a warning wherever a strategy is read.
    module FailureStrategy
      CONTINUE_ON_FAILURE = "continue_on_failure"
      FAIL_FAST = "fail_fast"
      ISOLATE = "isolate"
      ALL = [CONTINUE_ON_FAILURE, FAIL_FAST, ISOLATE].freeze
      DEFAULT = CONTINUE_ON_FAILURE

      # The dry type of a canonical strategy.
      Type = DryTypes::Strict::String.enum(*ALL)

      # The canonical spelling of `value` (String or Symbol, either spelling), decided in Rust.
      def self.[](value)
        BatchMetadata.new(failure_strategy: TaskerBatch::Plain.name!(value, "failure_strategy")).failure_strategy
      end
    end
  end
end
