# frozen_string_literal: true

# The extension's reader never runs Ruby code while it lends strings with the GC paused, and the
# GC is enabled again on every path: hostile objects, raising methods and self-referential
# inputs end in one of our errors, never with the process left without a GC.
RSpec.describe "The extension with hostile inputs" do
  # Whether the GC is enabled (GC.disable answers whether it already was disabled).
  def gc_enabled?
    was_disabled = GC.disable
    GC.enable unless was_disabled
    !was_disabled
  end

  def partition_list
    TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 10, worker_count: 2)
  end

  def outcome_with(configs)
    { "type" => "create_batches", "worker_template_name" => "w", "worker_count" => 2, "total_items" => 10,
      "cursor_configs" => configs }
  end

  # Raises from every method a reader could be tempted to call.
  hostile = Class.new do
    %i[to_s to_str to_h to_hash to_a to_ary to_i to_int to_json to_native inspect hash == eql? each].each do |name|
      define_method(name) { |*| raise "#{name} must not be called" }
    end
  end

  around do |example|
    expect(gc_enabled?).to be(true)
    example.run
    expect(gc_enabled?).to be(true)
  end

  it "reads a CursorConfigList without calling its methods" do
    list = partition_list
    def list.to_native = raise("to_native must not be called while strings are lent")
    expect(TaskerBatch.call(:validate_outcome, outcome_with(list))["cursor_configs"].size).to eq(2)
    list.to_a # built: the Array is read from then on
    expect(TaskerBatch.call(:validate_outcome, outcome_with(list))["worker_count"]).to eq(2)
  end

  it "rejects a CursorConfigList that contains itself, on both readers" do
    list = partition_list
    list.instance_variable_set(:@configs, [list])
    # Typed: its element is a list, not a cursor config.
    expect { TaskerBatch.call(:validate_outcome, outcome_with(list)) }
      .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e|
            expect([e.code, e.path]).to eq(%w[type_mismatch cursor_configs[0]])
          }
    # Kept raw: written out until it is too deep.
    expect do
      TaskerBatch.call(:validate_cursor_config, { "batch_id" => "1", "start_cursor" => list, "end_cursor" => 2, "batch_size" => 1 })
    end
      .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.code).to eq("nesting_too_deep") }
  end

  it "rejects a CursorConfigList that stands for itself as a type mismatch" do
    list = partition_list
    list.instance_variable_set(:@configs, list)
    expect { TaskerBatch.call(:validate_outcome, outcome_with(list)) }
      .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect([e.code, e.path]).to eq(%w[type_mismatch cursor_configs]) }
  end

  it "rejects objects whose every method raises, at their path, without calling them" do
    config = { "batch_id" => "1", "start_cursor" => 0, "end_cursor" => 5, "batch_size" => 5 }
    [config.merge("start_cursor" => hostile.new), config.merge("extra" => { "deep" => [hostile.new] })].each do |input|
      expect { TaskerBatch.call(:validate_cursor_config, input) }
        .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.code).to eq("type_mismatch") }
    end
    hostile_key = {}.compare_by_identity # a Hash literal would call the key's #hash itself
    hostile_key[hostile.new] = 1
    expect { TaskerBatch.call(:validate_cursor_config, hostile_key) }
      .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.code).to eq("type_mismatch") }
  end

  it "reads String and Hash subclasses whose methods raise through the C API only" do
    raising_string = Class.new(String) { define_method(:to_s) { raise "to_s" } }
    raising_hash = Class.new(Hash) do
      %i[each each_pair [] fetch keys to_h].each { |name| define_method(name) { |*| raise name.to_s } }
    end
    config = raising_hash.new
    config["batch_id"] = raising_string.new("7")
    config["start_cursor"] = 0
    config["end_cursor"] = 3
    config["batch_size"] = 3
    expect(TaskerBatch.call(:validate_cursor_config,
                            config)).to eq("batch_id" => "7", "start_cursor" => 0, "end_cursor" => 3, "batch_size" => 3)
  end

  it "keeps the GC enabled when a step object's reader raises" do
    step = Object.new
    def step.inputs = raise(ArgumentError, "inputs raised")
    def step.results = {}
    expect { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step) }.to raise_error(ArgumentError, "inputs raised")
  end

  it "keeps a GC that was disabled before disabled" do
    GC.disable
    begin
      expect do
        TaskerBatch.call(:validate_cursor_config, { "batch_id" => hostile.new })
      end.to raise_error(TaskerCore::BatchProcessing::ValidationError)
      expect(GC.enable).to be(true) # it was still disabled
    ensure
      GC.enable
    end
  end

  it "does all of this under GC.stress" do
    list = partition_list
    list.instance_variable_set(:@configs, [list])
    previous = GC.stress
    begin
      GC.stress = true
      expect { TaskerBatch.call(:validate_outcome, outcome_with(list)) }.to raise_error(TaskerCore::BatchProcessing::ValidationError)
      expect do
        TaskerBatch.call(:validate_cursor_config, { "batch_id" => hostile.new })
      end.to raise_error(TaskerCore::BatchProcessing::ValidationError)
    ensure
      GC.stress = previous
    end
  end

  describe "strings in other encodings" do
    config = { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 5, "batch_size" => 5 }

    it "converts them to UTF-8 exactly, as values, keys and raw values" do
      input = config.merge("batch_id" => "001".encode("UTF-16LE"), "note".encode("ISO-8859-1") => "caf\u00e9".encode("ISO-8859-1"),
                           "start_cursor" => "a".encode("UTF-32BE"), "end_cursor" => "b")
      value = TaskerBatch.call(:validate_cursor_config, input.merge("batch_size" => 1))
      expect(value).to eq("batch_id" => "001", "start_cursor" => "a", "end_cursor" => "b", "batch_size" => 1, "note" => "caf\u00e9")
      expect(value["note"].encoding).to eq(Encoding::UTF_8)
    end

    it "accepts binary strings that are UTF-8, and rejects the others" do
      expect(TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => "001".b))["batch_id"]).to eq("001")
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => "\xff".b)) }
        .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect([e.code, e.path]).to eq(%w[invalid_encoding batch_id]) }
    end

    it "rejects bytes that are not valid in their own encoding, at their path" do
      broken = "\xff\xfe\x00".dup.force_encoding("UTF-16LE")
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => broken)) }
        .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e|
          expect([e.code, e.path]).to eq(%w[invalid_encoding batch_id])
          expect(e.message).to include("UTF-16LE")
        }
    end

    # Inside a value the core keeps exactly (caller data, a composite cursor) the path is the
    # kept value's, and the message says where within it, as for every error there.
    it "rejects strings Ruby cannot convert to UTF-8 (no converter, an undefined character) as invalid_encoding" do
      no_converter = (+"+AGEA-").force_encoding("UTF-7")
      undefined = (+"\x81").force_encoding("Windows-1252")
      [[config.merge("batch_id" => no_converter), "batch_id", "UTF-7"],
       [config.merge("note" => { "x" => undefined }), "note", "at x within"],
       [config.merge(undefined => 1), "", "Windows-1252"],
       [config.merge("start_cursor" => [undefined]), "start_cursor", "at [0] within"]].each do |input, path, said|
        expect { TaskerBatch.call(:validate_cursor_config, input) }
          .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e|
            expect([e.code, e.path]).to eq(["invalid_encoding", path])
            expect(e.message).to include(said)
          }
      end
    end

    it "keeps invalid_utf8 for JSON text that is not UTF-8 (the text itself, as at the C ABI)" do
      envelope = JSON.parse(TaskerBatch::Native.call_json("validate_cursor_config", "{\"batch_id\":\"\xff\"}".b))
      expect(envelope["error"]).to include("code" => "invalid_utf8", "path" => "")
    end
  end

  it "answers an operation name that is not UTF-8 as an unknown operation" do
    expect { TaskerBatch.call("validate_\xff".b, {}) }
      .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.code).to eq("unknown_operation") }
    envelope = JSON.parse(TaskerBatch::Native.call_json("validate_\xff".b, "{}"))
    expect(envelope["error"]["code"]).to eq("unknown_operation")
  end

  it "answers a BasicObject step with our error" do
    expect { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(BasicObject.new) }
      .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect([e.code, e.path]).to eq(["type_mismatch", ""]) }
  end

  it "answers nil for a Document index beyond any Integer size" do
    document = TaskerBatch.call_lazy(:partition, { "strategy" => "integer_by_count", "total_items" => 10, "worker_count" => 2 }).value
    expect(document[10**30]).to be_nil
    expect(document[-(10**30)]).to be_nil
  end
end
