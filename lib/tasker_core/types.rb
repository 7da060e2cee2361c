# frozen_string_literal: true

require_relative "../tasker_batch/validated"

module TaskerCore
  # The wire types of the batch contract as Dry::Struct value objects. Constructing or parsing
  # one validates it in Rust; `#to_h` is the exact wire format.
  module Types
    # dry-types builders, kept under their own name so that `String`, `Hash` and friends keep
    # meaning Ruby's classes inside TaskerCore::Types.
    DryTypes = Dry.Types()
  end
end

require_relative "types/failure_strategy"
require_relative "types/cursor_config"
require_relative "types/batch_metadata"
require_relative "types/batch_worker_inputs"
require_relative "types/batch_processing_outcome"
