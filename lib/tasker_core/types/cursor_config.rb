# frozen_string_literal: true

module TaskerCore
  module Types
    # One worker's range: `{batch_id, start_cursor (inclusive), end_cursor (exclusive), batch_size}`.
    # Cursors are raw values of any JSON kind (Integer, UUID or timestamp String, other String,
    # Hash composite key, Array tuple) and are never coerced.
    #
    #   CursorConfig.new(batch_id: "001", start_cursor: 0, end_cursor: 334, batch_size: 334)
    class CursorConfig < Dry::Struct
      include TaskerBatch::Validated
      validated_by :validate_cursor_config

      attribute :batch_id, DryTypes::Strict::String
      attribute :start_cursor, DryTypes::Any
      attribute :end_cursor, DryTypes::Any
      attribute :batch_size, DryTypes::Strict::Integer
    end
  end
end
