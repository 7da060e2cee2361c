# frozen_string_literal: true

RSpec.describe TaskerCore::Types::BatchWorkerInputs do
  let(:cursor) { { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 200, "batch_size" => 200 } }
  let(:metadata) { { "cursor_field" => "id", "failure_strategy" => "continue_on_failure" } }

  describe ".new" do
    it "reads the upstream example inputs and nests CursorConfig and BatchMetadata structs" do
      inputs = described_class.new("cursor" => cursor, "batch_metadata" => metadata, "is_no_op" => false)
      expect(inputs.cursor).to be_a(TaskerCore::Types::CursorConfig)
      expect(inputs.cursor.end_cursor).to eq(200)
      expect(inputs.batch_metadata).to be_a(TaskerCore::Types::BatchMetadata)
      expect(inputs.batch_metadata.cursor_field).to eq("id")
      expect(inputs.is_no_op).to be(false)
      expect(inputs.no_op?).to be(false)
    end

    it "accepts Symbol keys" do
      inputs = described_class.new(cursor: cursor.transform_keys(&:to_sym), batch_metadata: metadata, is_no_op: false)
      expect(inputs.cursor.batch_id).to eq("001")
    end
  end

  describe "reading and writing" do
    it "reads a missing is_no_op as false and a missing batch_metadata as the defaults, and writes every key" do
      expect(described_class.new(cursor: cursor).to_h)
        .to equal_wire({ "cursor" => cursor, "batch_metadata" => metadata, "is_no_op" => false }, ordered: true)
    end

    it "gives the no-op placeholder without a cursor batch id \"000\" and the range [0, 0)" do
      inputs = described_class.new(is_no_op: true)
      expect(inputs.no_op?).to be(true)
      expect(inputs.cursor.to_h).to eq("batch_id" => "000", "start_cursor" => 0, "end_cursor" => 0, "batch_size" => 0)
    end
  end

  describe "validation" do
    it "needs a cursor on a worker that is not a no-op" do
      expect { described_class.new({}) }
        .to raise_validation_error("missing_cursor").at("cursor").with_message(/Missing cursor configuration/)
    end

    it "validates the cursor like a CursorConfig" do
      expect { described_class.new(cursor: cursor.merge("batch_size" => 4_294_967_296)) }
        .to raise_validation_error("out_of_range").at("cursor.batch_size")
    end

    it "rejects an is_no_op that is not a boolean" do
      expect { described_class.new(cursor: cursor, is_no_op: "no") }.to raise_validation_error("type_mismatch").at("is_no_op")
    end
  end

  describe "nested structs" do
    let(:wire) do
      { "cursor" => cursor.merge("shard" => "eu"), "batch_metadata" => metadata, "is_no_op" => false }
    end

    it "asks the core once for the whole value, not again for its cursor and metadata" do
      expect(TaskerBatch::Native).to receive(:call).once.and_call_original
      inputs = described_class.new(wire)
      expect(inputs.cursor.to_h).to eq(cursor.merge("shard" => "eu"))
      expect(inputs.batch_metadata.to_h).to eq(metadata)
    end

    it "builds them from their own part of a validated value in from_wire, with no core call" do
      expect(TaskerBatch::Native).not_to receive(:call)
      inputs = described_class.from_wire(wire)
      expect(inputs.cursor).to be_a(TaskerCore::Types::CursorConfig)
      expect(inputs.cursor["shard"]).to eq("eu")
      expect(inputs.batch_metadata).to be_a(TaskerCore::Types::BatchMetadata)
      expect(inputs.to_h).to eq(wire)
    end

    it "leaves no mode behind: no thread-local is set, and a struct built afterwards is validated" do
      threads_before = Thread.current.keys
      described_class.new(wire)
      expect(Thread.current.keys).to eq(threads_before)
      expect { TaskerCore::Types::CursorConfig.new(cursor.merge("batch_size" => -1)) }
        .to raise_validation_error("out_of_range").at("batch_size")
    end
  end
end
