# frozen_string_literal: true

RSpec.describe TaskerBatch::CursorConfigList do
  subject(:list) { TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 1000, worker_count: 3) }

  let(:expected) do
    [
      { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 334, "batch_size" => 334 },
      { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 },
      { "batch_id" => "003", "start_cursor" => 668, "end_cursor" => 1000, "batch_size" => 332 }
    ]
  end

  describe "before Ruby looks at an element" do
    it "knows its size and JSON without building Hashes" do
      expect(list.size).to eq(3)
      expect(list.count).to eq(3)
      expect(JSON.parse(list.to_json)).to eq(expected)
      expect(list.inspect).to include("not built yet")
    end

    it "embeds its JSON in JSON.generate" do
      expect(JSON.parse(JSON.generate("configs" => list))).to eq("configs" => expected)
    end

    it "goes back into the core as JSON (an outcome from a partition)" do
      outcome = TaskerCore::Types::BatchProcessingOutcome.create_batches(
        worker_template_name: "w", worker_count: list.size, cursor_configs: list, total_items: 1000
      )
      expect(outcome.cursor_configs).to eq(expected)
      expect(list.inspect).to include("not built yet")
    end
  end

  describe "once Ruby looks" do
    it "is the Array of wire Hashes, built once" do
      expect(list.to_a).to eq(expected)
      expect(list.to_a).to be(list.to_a)
      expect(list).to eq(expected)
      expect(list[1]).to eq(expected[1])
      expect(list.map { |c| c["batch_size"] }).to eq([334, 334, 332])
    end

    it "keeps changes made to its Hashes, and hands them to the core" do
      list.each { |config| config["shard"] = "eu" }
      expect(list.first["shard"]).to eq("eu")
      outcome = TaskerCore::Types::BatchProcessingOutcome.create_batches(
        worker_template_name: "w", worker_count: 3, cursor_configs: list, total_items: 1000
      )
      expect(outcome.cursor_configs.map { |c| c["shard"] }).to eq(%w[eu eu eu])
    end
  end

  it "is an Array where upstream returned one (the Batchable helpers)" do
    host = Class.new { include TaskerCore::StepHandler::Mixins::Batchable }.new
    expect(host.create_cursor_configs(1000, 3)).to be_an(Array).and eq(expected)
  end
end

RSpec.describe TaskerBatch::Native::Document do
  subject(:document) do
    TaskerBatch.call_lazy(:partition, { "strategy" => "integer_by_count", "total_items" => 10, "worker_count" => 2 }).value
  end

  it "reads members on demand" do
    expect(document.size).to eq(2)
    expect(document[0]).to eq({ "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 5, "batch_size" => 5 })
    expect(document[-1]["batch_id"]).to eq("002")
    expect(document[2]).to be_nil
    expect(document.document(1).to_ruby["start_cursor"]).to eq(5)
    expect(document.to_ruby.size).to eq(2)
  end

  it "reads object members by String or Symbol key" do
    cursor = { "batch_id" => "7", "start_cursor" => 123_456_789_012_345_678_901_234_567_890,
               "end_cursor" => 123_456_789_012_345_678_901_234_567_899, "batch_size" => 9 }
    context = TaskerBatch.call_lazy(:worker_context, { "inputs" => { "cursor" => cursor } }).value
    expect(context["batch_id"]).to eq("7")
    expect(context[:start_cursor]).to eq(123_456_789_012_345_678_901_234_567_890)
    expect(context["missing"]).to be_nil
  end
end
