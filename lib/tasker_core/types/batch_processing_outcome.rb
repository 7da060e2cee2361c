# frozen_string_literal: true

module TaskerCore
  module Types
    # What a batchable step decided: `no_batches`, or `create_batches` with one cursor config
    # per worker. Every rule (worker_count matches, unique batch ids, ranges of one kind that do
    # not overlap, batch_size fits u32, ...) is checked in Rust.
    module BatchProcessingOutcome
      # `{"type": "no_batches"}`: the orchestrator creates one no-op placeholder worker.
      class NoBatches < Dry::Struct
        include TaskerBatch::Validated
        validated_by :validate_outcome, type: "no_batches"

        attribute :type, DryTypes::Strict::String.default("no_batches")

        def requires_batch_creation?
          false
        end
      end

      # `{"type": "create_batches", worker_template_name, worker_count, cursor_configs, total_items}`.
      # `cursor_configs` are wire hashes (String keys), as upstream kept them.
      class CreateBatches < Dry::Struct
        include TaskerBatch::Validated
        validated_by :validate_outcome, type: "create_batches"

        attribute :type, DryTypes::Strict::String.default("create_batches")
        attribute :worker_template_name, DryTypes::Strict::String
        attribute :worker_count, DryTypes::Strict::Integer
        attribute :cursor_configs, DryTypes::Strict::Array.of(DryTypes::Strict::Hash)
        attribute :total_items, DryTypes::Strict::Integer

        def requires_batch_creation?
          true
        end
      end

      # The no_batches outcome.
      def self.no_batches
        NoBatches.new({})
      end

      # A validated create_batches outcome. `cursor_configs` may hold Hashes (String or Symbol
      # keys) or CursorConfig structs.
      def self.create_batches(worker_template_name:, worker_count:, cursor_configs:, total_items:)
        configs = case cursor_configs
                  when TaskerBatch::CursorConfigList then cursor_configs.to_native
                  when Array then cursor_configs.map { |config| TaskerBatch::Plain.struct?(config) ? config.to_h : config }
                  else cursor_configs # the core says what it is instead
                  end
        CreateBatches.new(
          "worker_template_name" => worker_template_name, "worker_count" => worker_count,
          "cursor_configs" => configs, "total_items" => total_items
        )
      end

      # The outcome a wire hash (String or Symbol keys) describes.
      def self.from_hash(hash)
        hash = hash.to_h if TaskerBatch::Plain.struct?(hash)
        result = TaskerBatch.call_with_warnings(:validate_outcome, hash)
        klass = result.value["type"] == "no_batches" ? NoBatches : CreateBatches
        klass.from_wire(result.value, result.warnings)
      end
    end
  end
end
