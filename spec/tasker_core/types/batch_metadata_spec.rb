# frozen_string_literal: true

RSpec.describe TaskerCore::Types::BatchMetadata do
  describe ".new" do
    it "keeps the given cursor_field and failure_strategy" do
      metadata = described_class.new("cursor_field" => "row_id", "failure_strategy" => "fail_fast")
      expect([metadata.cursor_field, metadata.failure_strategy]).to eq(%w[row_id fail_fast])
      expect(metadata).to be_a(Dry::Struct)
    end

    it "accepts Symbol keys" do
      expect(described_class.new(cursor_field: "row_id", failure_strategy: "isolate").failure_strategy).to eq("isolate")
    end
  end

  describe "defaults" do
    it "reads missing keys as cursor_field \"id\" and continue_on_failure, and writes every key" do
      expect(described_class.new({}).to_h)
        .to equal_wire({ "cursor_field" => "id", "failure_strategy" => "continue_on_failure" }, ordered: true)
    end
  end

  describe "upstream spellings" do
    it "accepts PascalCase with a warning and writes snake_case" do
      metadata = described_class.new(failure_strategy: "ContinueOnFailure")
      expect(metadata.failure_strategy).to eq("continue_on_failure")
      expect(metadata.warnings).to match([a_hash_including("code" => "non_canonical_spelling", "path" => "failure_strategy")])
    end

    it "accepts and drops checkpoint_interval, which upstream removed, with a warning" do
      metadata = described_class.new(cursor_field: "id", failure_strategy: "fail_fast", checkpoint_interval: 100)
      expect(metadata.to_h).not_to have_key("checkpoint_interval")
      expect(metadata.warnings).to match([a_hash_including("code" => "ignored_field", "path" => "checkpoint_interval")])
    end
  end

  describe "validation" do
    it "rejects an unknown failure strategy" do
      expect { described_class.new(failure_strategy: "retry_forever") }.to raise_validation_error("invalid_value").at("failure_strategy")
    end

    it "rejects a cursor_field that is not a string" do
      expect { described_class.new(cursor_field: 5) }.to raise_validation_error("type_mismatch").at("cursor_field")
    end
  end
end
