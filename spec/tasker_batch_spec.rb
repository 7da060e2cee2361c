# frozen_string_literal: true

RSpec.describe TaskerBatch do
  let(:config) { { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 10, "batch_size" => 10 } }

  describe "VERSION and the core's version" do
    it "are version strings, and the same release" do
      expect(TaskerBatch::VERSION).to match(/\A\d+\.\d+\.\d+/)
      expect(TaskerBatch::Native.version).to eq(TaskerBatch::VERSION)
    end
  end

  describe ".operations" do
    it "names every operation of the core's table" do
      expect(described_class.operations).to include(
        "validate_outcome", "validate_cursor_config", "validate_batch_metadata", "validate_worker_inputs",
        "partition", "expand_outcome", "worker_context", "update_step_results", "reset_for_retry",
        "detect_scenario", "aggregate", "converge"
      )
    end
  end

  describe ".call" do
    it "returns the operation's value with String keys, in the contract's key order" do
      value = described_class.call("validate_cursor_config",
                                   "batch_size" => 10, "end_cursor" => 10, "start_cursor" => 0, "batch_id" => "001")
      expect(value).to equal_wire(config, ordered: true)
    end

    it "accepts a Symbol operation name and Symbol keys" do
      value = described_class.call(:validate_cursor_config, batch_id: "001", start_cursor: 0, end_cursor: 10, batch_size: 10)
      expect(value).to equal_wire(config, ordered: true)
    end

    it "keeps integers beyond 64 bits exact both ways" do
      big = 2**70
      value = described_class.call(:validate_cursor_config,
                                   "batch_id" => "001", "start_cursor" => big, "end_cursor" => big + 5, "batch_size" => 5)
      expect(value["start_cursor"]).to eq(big)
      expect(value["end_cursor"]).to be_an(Integer).and(eq(big + 5))
    end

    it "keeps a Float a Float (never an integer cursor)" do
      value = described_class.call(:validate_cursor_config,
                                   "batch_id" => "001", "start_cursor" => 1.5, "end_cursor" => 100.0, "batch_size" => 0)
      expect(value["start_cursor"]).to eql(1.5)
      expect(value["end_cursor"]).to eql(100.0)
    end

    it "raises ValidationError with code, path and a message naming expected and found" do
      expect { described_class.call(:validate_cursor_config, config.merge("batch_id" => 7)) }
        .to raise_validation_error("type_mismatch").at("batch_id").with_message(/expected .*string.*found/i)
    end

    it "raises ValidationError for an unknown operation" do
      expect { described_class.call(:no_such_operation, {}) }
        .to raise_validation_error("unknown_operation").at("").with_message(/no_such_operation/)
    end

    it "does not let a warning through as an error" do
      expect(described_class.call(:validate_cursor_config, config.merge("end_cursor" => 0, "batch_size" => 0)))
        .to include("batch_size" => 0)
    end
  end

  describe ".call_with_warnings" do
    it "returns a Result with the value and the warnings (code, message, path)" do
      result = described_class.call_with_warnings(:validate_cursor_config,
                                                  config.merge("start_cursor" => 5, "end_cursor" => 5, "batch_size" => 0))
      expect(result).to be_a(TaskerBatch::Result)
      expect(result.value).to include("batch_id" => "001", "batch_size" => 0)
      expect(result.warnings).to match([a_hash_including("code" => "zero_length_range", "path" => "",
                                                         "message" => a_string_matching(/5/))])
    end

    it "returns no warnings for a clean input" do
      expect(described_class.call_with_warnings(:validate_cursor_config, config).warnings).to eq([])
    end
  end

  describe ".warning_handler" do
    after { described_class.warning_handler = nil }

    it "is nil by default" do
      expect(described_class.warning_handler).to be_nil
    end

    it "receives every warning of a successful call, in order" do
      seen = []
      described_class.warning_handler = ->(warning) { seen << warning["code"] }
      described_class.call(:validate_batch_metadata, "failure_strategy" => "ContinueOnFailure", "checkpoint_interval" => 5)
      expect(seen).to eq(%w[non_canonical_spelling ignored_field])
    end

    it "hears nothing from a failed call" do
      seen = []
      described_class.warning_handler = ->(warning) { seen << warning }
      expect { described_class.call(:validate_batch_metadata, "failure_strategy" => "sometimes") }
        .to raise_validation_error("invalid_value").at("failure_strategy")
      expect(seen).to be_empty
    end
  end

  describe "TaskerBatch::Native" do
    describe ".call" do
      it "returns [true, value, warnings] for a value" do
        expect(TaskerBatch::Native.call("validate_cursor_config", config)).to eq([true, config, []])
      end

      it "returns [false, error, warnings] for bad input instead of raising" do
        ok, error, warnings = TaskerBatch::Native.call("validate_cursor_config", config.merge("batch_size" => -1))
        expect(ok).to be(false)
        expect(error).to include("code" => "out_of_range", "path" => "batch_size", "message" => a_kind_of(String))
        expect(warnings).to eq([])
      end
    end

    describe ".call_json" do
      it "returns the C ABI's envelope text, the value's text exactly as the core wrote it" do
        envelope = TaskerBatch::Native.call_json("validate_cursor_config",
                                                 '{"batch_id":"001","start_cursor":100000000000000000000,' \
                                                 '"end_cursor":100000000000000000001,"batch_size":1}')
        expect(envelope).to eq('{"ok":true,"value":{"batch_id":"001","start_cursor":100000000000000000000,' \
                               '"end_cursor":100000000000000000001,"batch_size":1},"warnings":[]}')
      end

      it "returns an error envelope for malformed JSON" do
        envelope = JSON.parse(TaskerBatch::Native.call_json("validate_cursor_config", '{"batch_id": '))
        expect(envelope).to include("ok" => false, "error" => a_hash_including("code" => "invalid_json", "path" => ""))
      end

      it "returns an error envelope for bytes that are not UTF-8" do
        envelope = JSON.parse(TaskerBatch::Native.call_json("validate_cursor_config", "\"\xFF\"".b))
        expect(envelope).to include("ok" => false, "error" => a_hash_including("code" => "invalid_utf8"))
      end
    end

    describe ".call_value",
             skip: (TaskerBatch::Native.respond_to?(:call_value) ? false : "only built with the bench-conversion feature") do
      it "returns [true, value, warnings] through serde_magnus" do
        expect(TaskerBatch::Native.call_value("validate_cursor_config", config)).to eq([true, config, []])
      end

      it "returns [false, error, []] for bad input, the error shaped as Native.call's" do
        pending "call_value builds the error (and warning) Hashes with Symbol keys (serde_magnus writes " \
                "struct fields as Symbols), unlike Native.call and the envelope: String keys"
        ok, error, = TaskerBatch::Native.call_value("validate_cursor_config", config.merge("batch_id" => ""))
        expect(ok).to be(false)
        expect(error).to include("code" => "empty_string", "path" => "batch_id")
      end

      it "returns nil when a value would not survive serde_magnus exactly (an integer beyond 64 bits)" do
        input = { "strategy" => "integer_by_count", "total_items" => 5, "worker_count" => 2, "start" => 10**20 }
        expect(TaskerBatch::Native.call_value("partition", input)).to be_nil
      end
    end
  end
end
