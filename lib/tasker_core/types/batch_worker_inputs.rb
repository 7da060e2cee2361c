# frozen_string_literal: true

module TaskerCore
  module Types
    # What a worker step receives in its `inputs`: `{cursor, batch_metadata, is_no_op}`.
    # A missing `is_no_op` reads as false and a missing `batch_metadata` as the defaults; a
    # no-op placeholder without a cursor gets batch id "000" and the range [0, 0).
    class BatchWorkerInputs < Dry::Struct
      include TaskerBatch::Validated
      validated_by :validate_worker_inputs

      attribute :cursor, CursorConfig
      attribute :batch_metadata, BatchMetadata
      attribute :is_no_op, DryTypes::Strict::Bool

      def no_op?
        is_no_op
      end
    end
  end
end
