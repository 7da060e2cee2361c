# frozen_string_literal: true

RSpec.describe TaskerCore::Types::CursorConfig do
  let(:attributes) { { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 } }

  describe ".new" do
    it "builds a Dry::Struct with the four attributes" do
      config = described_class.new(attributes)
      expect(config).to be_a(Dry::Struct)
      expect([config.batch_id, config.start_cursor, config.end_cursor, config.batch_size]).to eq(["002", 334, 668, 334])
    end

    it "accepts Symbol keys" do
      expect(described_class.new(attributes.transform_keys(&:to_sym)).to_h).to equal_wire(attributes, ordered: true)
    end

    it "returns a CursorConfig given as it is" do
      config = described_class.new(attributes)
      expect(described_class.new(config)).to be(config)
    end
  end

  describe "cursors are raw values, never coerced" do
    {
      "a UUID" => %w[00000000-0000-0000-0000-000000000000 80000000-0000-0000-0000-000000000000],
      "an RFC 3339 timestamp (upstream's to_i made it 2024)" => ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"],
      "another string" => %w[apple melon],
      "a composite key (key order kept)" => [{ "region" => "eu", "page" => 0 }, { "region" => "us", "page" => 0 }],
      "a tuple" => [["eu", 0], ["us", 0]],
      "an integer beyond 64 bits" => [2**64, (2**64) + 2]
    }.each do |kind, (start, stop)|
      it "keeps #{kind}" do
        size = start.is_a?(Integer) ? stop - start : 0
        config = described_class.new(attributes.merge("start_cursor" => start, "end_cursor" => stop, "batch_size" => size))
        expect(config.start_cursor).to eq(start)
        expect(config.end_cursor).to eq(stop)
        expect(config.to_h["start_cursor"]).to equal_wire(start, ordered: true)
      end
    end
  end

  describe "#to_h" do
    it "is the wire format, caller keys kept after the contract's" do
      config = described_class.new(attributes.merge("shard" => "eu-1"))
      expect(config.to_h).to equal_wire(attributes.merge("shard" => "eu-1"), ordered: true)
      expect(config["shard"]).to eq("eu-1")
    end
  end

  describe "validation" do
    it "rejects a numeric batch_id" do
      expect { described_class.new(attributes.merge("batch_id" => 2)) }.to raise_validation_error("type_mismatch").at("batch_id")
    end

    it "rejects an empty batch_id" do
      expect { described_class.new(attributes.merge("batch_id" => "")) }.to raise_validation_error("empty_string").at("batch_id")
    end

    it "rejects a missing end_cursor" do
      expect { described_class.new(attributes.except("end_cursor")) }
        .to raise_validation_error("missing_field").at("end_cursor")
    end

    it "accepts batch_size 4294967295 and rejects 4294967296 (u32, never truncated)" do
      max = described_class.new(attributes.merge("start_cursor" => 0, "end_cursor" => 4_294_967_295, "batch_size" => 4_294_967_295))
      expect(max.batch_size).to eq(4_294_967_295)
      expect { described_class.new(attributes.merge("start_cursor" => 0, "end_cursor" => 4_294_967_296, "batch_size" => 4_294_967_296)) }
        .to raise_validation_error("out_of_range").at("batch_size")
    end

    it "rejects a negative or fractional batch_size" do
      expect { described_class.new(attributes.merge("batch_size" => -1)) }.to raise_validation_error("out_of_range").at("batch_size")
      expect { described_class.new(attributes.merge("batch_size" => 2.5)) }.to raise_validation_error("out_of_range").at("batch_size")
    end

    it "warns about a zero-length range" do
      config = described_class.new(attributes.merge("end_cursor" => 334, "batch_size" => 0))
      expect(config.warnings).to match([a_hash_including("code" => "zero_length_range")])
    end
  end
end
