# frozen_string_literal: true

RSpec.describe TaskerCore::Types::BatchProcessingOutcome do
  let(:configs) do
    [
      { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 334, "batch_size" => 334 },
      { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 },
      { "batch_id" => "003", "start_cursor" => 668, "end_cursor" => 1000, "batch_size" => 332 }
    ]
  end

  let(:wire) do
    {
      "type" => "create_batches", "worker_template_name" => "process_batch", "worker_count" => 3,
      "cursor_configs" => configs, "total_items" => 1000
    }
  end

  def create(**overrides)
    described_class.create_batches(
      worker_template_name: "process_batch", worker_count: 3, cursor_configs: configs, total_items: 1000, **overrides
    )
  end

  describe "the upstream names" do
    it "is a module holding the NoBatches and CreateBatches Dry::Structs" do
      expect(described_class).to be_an_instance_of(Module)
      expect(described_class::NoBatches.ancestors).to include(Dry::Struct)
      expect(described_class::CreateBatches.ancestors).to include(Dry::Struct)
    end
  end

  describe ".no_batches" do
    subject(:outcome) { described_class.no_batches }

    it "is a NoBatches whose wire form is {\"type\" => \"no_batches\"}" do
      expect(outcome).to be_a(described_class::NoBatches)
      expect(outcome.type).to eq("no_batches")
      expect(outcome.to_h).to equal_wire({ "type" => "no_batches" }, ordered: true)
    end

    it "requires no batch creation" do
      expect(outcome.requires_batch_creation?).to be(false)
    end

    it "has no warnings" do
      expect(outcome.warnings).to eq([])
    end
  end

  describe ".create_batches" do
    it "builds a CreateBatches with the given attributes" do
      outcome = create
      expect(outcome).to be_a(described_class::CreateBatches)
      expect(outcome.type).to eq("create_batches")
      expect(outcome.worker_template_name).to eq("process_batch")
      expect(outcome.worker_count).to eq(3)
      expect(outcome.cursor_configs).to eq(configs)
      expect(outcome.total_items).to eq(1000)
      expect(outcome.requires_batch_creation?).to be(true)
    end

    it "gives #to_h in the exact wire format: String keys, the contract's key order" do
      expect(create.to_h).to equal_wire(wire, ordered: true)
    end

    it "turns Symbol-keyed cursor configs into wire hashes with String keys" do
      symbolized = configs.map { |config| config.transform_keys(&:to_sym) }
      expect(create(cursor_configs: symbolized).to_h).to equal_wire(wire, ordered: true)
    end

    it "accepts CursorConfig structs as cursor configs" do
      structs = configs.map { |config| TaskerCore::Types::CursorConfig.new(config) }
      expect(create(cursor_configs: structs).to_h).to equal_wire(wire)
    end

    it "keeps a caller's extra keys in a cursor config (upstream dropped them)" do
      with_shard = [configs[0].merge("shard" => "eu-1"), *configs[1..]]
      expect(create(cursor_configs: with_shard).cursor_configs.first).to include("shard" => "eu-1")
    end

    it "keeps UUID, timestamp and composite cursors as they are" do
      outcome = described_class.create_batches(
        worker_template_name: "w", worker_count: 2, total_items: 2,
        cursor_configs: [
          { "batch_id" => "001", "start_cursor" => "2024-01-01T00:00:00Z", "end_cursor" => "2024-01-02T00:00:00Z",
            "batch_size" => 1 },
          { "batch_id" => "002", "start_cursor" => "2024-01-02T00:00:00Z", "end_cursor" => "2024-01-03T00:00:00Z",
            "batch_size" => 1 }
        ]
      )
      expect(outcome.cursor_configs.map { |c| c["start_cursor"] }).to eq(%w[2024-01-01T00:00:00Z 2024-01-02T00:00:00Z])
    end

    it "reports suspicious but legal input as warnings" do
      expect(create(total_items: 999).warnings).to match([a_hash_including("code" => "total_items_mismatch",
                                                                           "path" => "total_items")])
    end

    describe "validation (in Rust, the same errors as every language)" do
      it "rejects an empty worker_template_name" do
        expect { create(worker_template_name: "") }.to raise_validation_error("empty_string").at("worker_template_name")
      end

      it "rejects zero cursor configs (no_batches is how to say zero)" do
        expect { create(cursor_configs: [], worker_count: 0) }.to raise_validation_error("no_cursor_configs").at("cursor_configs")
      end

      it "rejects a worker_count that differs from the number of configs (upstream never checked)" do
        expect { create(worker_count: 2) }.to raise_validation_error("worker_count_mismatch").at("worker_count")
      end

      it "rejects a batch_size that is not end - start" do
        bad = [configs[0].merge("batch_size" => 333), *configs[1..]]
        expect { create(cursor_configs: bad) }.to raise_validation_error("batch_size_mismatch").at("cursor_configs[0].batch_size")
      end

      it "rejects duplicate batch ids (upstream rolled back and only logged)" do
        bad = [configs[0], configs[1].merge("batch_id" => "001"), configs[2]]
        expect { create(cursor_configs: bad) }.to raise_validation_error("duplicate_batch_id").at("cursor_configs[1].batch_id")
      end

      it "rejects overlapping integer ranges" do
        bad = [configs[0], configs[1].merge("start_cursor" => 300, "batch_size" => 368), configs[2]]
        expect { create(cursor_configs: bad) }.to raise_validation_error("overlapping_ranges").at("cursor_configs[1]")
      end

      it "rejects a numeric batch_id" do
        bad = [configs[0].merge("batch_id" => 1), *configs[1..]]
        expect { create(cursor_configs: bad) }.to raise_validation_error("type_mismatch").at("cursor_configs[0].batch_id")
      end

      it "raises an ArgumentError, as upstream's factory did" do
        expect { create(worker_count: 4) }.to raise_error(ArgumentError, /worker_count/)
      end
    end
  end

  describe ".from_hash" do
    it "reads a wire hash with String keys" do
      outcome = described_class.from_hash(wire)
      expect(outcome).to be_a(described_class::CreateBatches)
      expect(outcome.to_h).to equal_wire(wire, ordered: true)
    end

    it "reads a hash with Symbol keys, nested ones included" do
      symbolized = wire.transform_keys(&:to_sym).merge(cursor_configs: configs.map { |c| c.transform_keys(&:to_sym) })
      expect(described_class.from_hash(symbolized).to_h).to equal_wire(wire, ordered: true)
    end

    it "reads no_batches as NoBatches" do
      expect(described_class.from_hash("type" => "no_batches")).to be_a(described_class::NoBatches)
      expect(described_class.from_hash(type: "no_batches")).to be_a(described_class::NoBatches)
    end

    it "reads a Symbol type as its name" do
      expect(described_class.from_hash(type: :no_batches).to_h).to eq("type" => "no_batches")
    end

    it "round-trips: from_hash(outcome.to_h) is the same outcome" do
      outcome = create
      expect(described_class.from_hash(outcome.to_h).to_h).to equal_wire(outcome.to_h, ordered: true)
    end

    it "accepts an outcome struct" do
      expect(described_class.from_hash(create).to_h).to equal_wire(wire, ordered: true)
    end

    it "rejects an unknown type" do
      expect { described_class.from_hash("type" => "some_batches") }.to raise_validation_error("invalid_value").at("type")
    end

    it "rejects a missing type" do
      expect { described_class.from_hash({}) }.to raise_validation_error("missing_field").at("type")
    end

    it "rejects nil and non-Hash values at the input itself" do
      [nil, "no_batches", 3, [wire]].each do |value|
        expect { described_class.from_hash(value) }.to raise_validation_error("type_mismatch").at("")
      end
    end

    it "validates what it reads, as create_batches does" do
      expect { described_class.from_hash(wire.merge("worker_count" => 5)) }
        .to raise_validation_error("worker_count_mismatch").at("worker_count")
    end
  end

  describe "#to_h" do
    it "returns a fresh, mutable copy each time" do
      outcome = create
      copy = outcome.to_h
      copy["cursor_configs"].first["batch_id"] = "changed"
      copy["worker_count"] = 99
      expect(outcome.to_h).to equal_wire(wire, ordered: true)
      expect(outcome.to_h).not_to be(outcome.to_h)
    end

    it "keeps the caller's top-level keys" do
      outcome = described_class.from_hash(wire.merge("note" => "kept"))
      expect(outcome.to_h).to include("note" => "kept")
      expect(outcome["note"]).to eq("kept")
      expect(outcome[:worker_count]).to eq(3)
    end
  end

  describe "NoBatches.new and CreateBatches.new" do
    it "validate like the factories" do
      expect { described_class::CreateBatches.new(wire.merge("worker_template_name" => "")) }
        .to raise_validation_error("empty_string").at("worker_template_name")
    end

    it "refuse the other variant's type" do
      expect { described_class::NoBatches.new("type" => "create_batches") }.to raise_validation_error("invalid_value").at("type")
      expect { described_class::CreateBatches.new(wire.merge("type" => "no_batches")) }
        .to raise_validation_error("invalid_value").at("type")
    end

    it "fill in the type when it is absent" do
      expect(described_class::NoBatches.new.to_h).to eq("type" => "no_batches")
      expect(described_class::CreateBatches.new(wire.except("type")).type).to eq("create_batches")
    end
  end
end
