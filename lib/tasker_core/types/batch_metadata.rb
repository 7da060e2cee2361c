# frozen_string_literal: true

module TaskerCore
  module Types
    # How a template's workers read their range: `{cursor_field, failure_strategy}`.
    # Missing keys read as `"id"` and `"continue_on_failure"`; `checkpoint_interval`, removed
    # upstream, is accepted with a warning and dropped.
    class BatchMetadata < Dry::Struct
      include TaskerBatch::Validated
      validated_by :validate_batch_metadata

      attribute :cursor_field, DryTypes::Strict::String
      attribute :failure_strategy, FailureStrategy::Type
    end
  end
end
