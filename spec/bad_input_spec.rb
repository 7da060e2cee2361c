# frozen_string_literal: true

# Bad input (issue 3): non-hash inputs, nil, wrong types, out-of-range numbers and malformed
# checkpoint updates raise ValidationError with a path and a message; a rejected update
# leaves the step's results unchanged; nothing crashes the process.
RSpec.describe "Bad input" do
  include StepFixtures

  let(:config) { { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 10, "batch_size" => 10 } }
  let(:inputs) { { "cursor" => { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 100, "batch_size" => 100 } } }

  let(:self_referencing_hash) { {}.tap { |h| h["self"] = h } }
  let(:self_referencing_array) { [].tap { |a| a << a } }

  # Every public way in that takes one Hash, and the path its input sits at.
  let(:entry_points) do
    {
      "TaskerBatch.call" => [->(v) { TaskerBatch.call(:validate_cursor_config, v) }, ""],
      "CursorConfig.new" => [->(v) { TaskerCore::Types::CursorConfig.new(v) }, ""],
      "BatchMetadata.new" => [->(v) { TaskerCore::Types::BatchMetadata.new(v) }, ""],
      "BatchWorkerInputs.new" => [->(v) { TaskerCore::Types::BatchWorkerInputs.new(v) }, ""],
      "CreateBatches.new" => [->(v) { TaskerCore::Types::BatchProcessingOutcome::CreateBatches.new(v) }, ""],
      "BatchProcessingOutcome.from_hash" => [->(v) { TaskerCore::Types::BatchProcessingOutcome.from_hash(v) }, ""],
      "BatchWorkerContext.from_step_data" => [->(v) { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(v) }, ""],
      "BatchProcessing.reset_for_retry" => [->(v) { TaskerCore::BatchProcessing.reset_for_retry(v) }, ""],
      "BatchProcessing.update_workflow_step_results (changes)" =>
        [->(v) { TaskerCore::BatchProcessing.update_workflow_step_results({ "inputs" => inputs }, v) }, "changes"],
      "BatchAggregationScenario.detect" =>
        [->(v) { TaskerCore::BatchProcessing::BatchAggregationScenario.detect(v, "analyze", "w_") }, "dependency_results"]
    }
  end

  def expect_rejected(entry, value, code: "type_mismatch", path: nil)
    call, input_path = entry_points.fetch(entry)
    expect { call.call(value) }.to raise_validation_error(code).at(path || input_path)
  end

  describe "non-hash inputs" do
    [5, "cursor", :cursor, [1, 2], true, 1.5].each do |value|
      it "rejects #{value.inspect} at every entry point, at the input's path" do
        entry_points.each_key { |entry| expect_rejected(entry, value) }
      end
    end
  end

  describe "nil" do
    it "is rejected by every entry point that reads a Hash" do
      (entry_points.keys - ["BatchAggregationScenario.detect"]).each { |entry| expect_rejected(entry, nil) }
    end

    it "as dependency results is a type mismatch, not an empty set of results" do
      expect_rejected("BatchAggregationScenario.detect", nil, code: "type_mismatch", path: "dependency_results")
    end

    it "inside a value is JSON null, which the rules then judge" do
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => nil)) }
        .to raise_validation_error("type_mismatch").at("batch_id")
    end
  end

  describe "values that are not JSON" do
    {
      "a Time" => -> { Time.at(0) },
      "an Object" => -> { Object.new },
      "a BasicObject" => -> { BasicObject.new },
      "a Rational" => -> { Rational(1, 3) },
      "a Range" => -> { (1..3) },
      "a Struct" => -> { Struct.new(:a).new(1) }
    }.each do |what, make|
      it "rejects #{what}, naming its class, at its path" do
        expect { TaskerBatch.call(:validate_cursor_config, config.merge("start_cursor" => make.call)) }
          .to raise_validation_error("type_mismatch").at("start_cursor").with_message(/found .*(Time|Object|Rational|Range|Struct|#<Class)/)
      end
    end

    it "rejects a Time at the top" do
      expect_rejected("TaskerBatch.call", Time.at(0))
    end

    it "rejects a Float NaN and infinities as out of range (never written as a number)" do
      [Float::NAN, Float::INFINITY, -Float::INFINITY].each do |float|
        expect { TaskerBatch.call(:validate_cursor_config, config.merge("start_cursor" => float)) }
          .to raise_validation_error("out_of_range").at("start_cursor")
      end
    end

    it "rejects a Hash with Integer keys at the Hash holding them" do
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("start_cursor" => { 1 => "a" })) }
        .to raise_validation_error("type_mismatch").at("start_cursor").with_message(/Integer key/)
    end

    it "rejects Integer keys at the top, at the input's path" do
      expect { TaskerBatch.call(:validate_cursor_config, config.merge(7 => "seven")) }
        .to raise_validation_error("type_mismatch").at("")
    end

    it "rejects nil and Object keys" do
      expect { TaskerBatch.call(:validate_cursor_config, "start_cursor" => { nil => 1 }) }.to raise_validation_error("type_mismatch")
      expect { TaskerBatch.call(:validate_cursor_config, "start_cursor" => { Object.new => 1 }) }.to raise_validation_error("type_mismatch")
    end

    it "rejects a String that cannot be converted to UTF-8 as invalid_encoding at its path" do
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => "\xFF\xFE".b)) }
        .to raise_validation_error("invalid_encoding").at("batch_id")
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => (+"\xC3").force_encoding("UTF-8"))) }
        .to raise_validation_error("invalid_encoding").at("batch_id")
    end

    it "accepts a binary String that happens to be UTF-8" do
      expect(TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => "001".b))["batch_id"]).to eq("001")
    end
  end

  describe "values that never end" do
    it "rejects a self-referencing Hash as nesting too deep, at its path" do
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("start_cursor" => self_referencing_hash)) }
        .to raise_validation_error("nesting_too_deep").at("start_cursor")
    end

    it "rejects a self-referencing Array" do
      expect { TaskerBatch.call(:partition, "strategy" => "boundaries", "boundaries" => self_referencing_array) }
        .to raise_validation_error("nesting_too_deep").at("boundaries[0]")
    end

    it "rejects a self-referencing Hash at every entry point that reads the whole input" do
      (entry_points.keys - ["BatchProcessing.reset_for_retry"]).each do |entry|
        call, = entry_points.fetch(entry)
        expect { call.call(self_referencing_hash) }
          .to raise_error(TaskerCore::BatchProcessing::ValidationError), "#{entry} did not reject it"
      end
    end

    it "rejects self-referencing results of a step being reset for a retry" do
      expect { TaskerCore::BatchProcessing.reset_for_retry("results" => self_referencing_hash) }
        .to raise_validation_error("nesting_too_deep").at("results.self")
    end

    it "rejects 10,000 levels of Ruby nesting without exhausting the stack" do
      deep = 0
      10_000.times { deep = { "k" => [deep] } }
      expect { TaskerBatch.call(:validate_cursor_config, config.merge("start_cursor" => deep)) }
        .to raise_validation_error("nesting_too_deep").at("start_cursor")
    end

    it "accepts 100 levels" do
      deep = 0
      49.times { deep = { "k" => [deep] } }
      expect(TaskerBatch.call(:validate_cursor_config, config.merge("start_cursor" => deep, "end_cursor" => deep,
                                                                    "batch_size" => 0))["start_cursor"]).to eq(deep)
    end
  end

  describe "out-of-range numbers are errors, never truncated or wrapped" do
    {
      4_294_967_296 => "above u32",
      2**64 => "above u64",
      2**200 => "beyond 128 bits",
      -1 => "negative",
      2.5 => "fractional",
      10.0 => "a Float even when whole"
    }.each do |size, what|
      it "rejects a batch_size #{what} (#{size})" do
        expect { TaskerCore::Types::CursorConfig.new(config.merge("batch_size" => size)) }
          .to raise_validation_error("out_of_range").at("batch_size")
        outcome = { "type" => "create_batches", "worker_template_name" => "w", "worker_count" => 1, "total_items" => 10,
                    "cursor_configs" => [config.merge("batch_size" => size)] }
        expect { TaskerBatch.call(:validate_outcome, outcome) }
          .to raise_validation_error("out_of_range").at("cursor_configs[0].batch_size")
      end
    end

    it "rejects worker_count and total_items out of range" do
      outcome = { "type" => "create_batches", "worker_template_name" => "w", "worker_count" => 1,
                  "total_items" => 10, "cursor_configs" => [config] }
      expect { TaskerCore::Types::BatchProcessingOutcome.from_hash(outcome.merge("total_items" => -1)) }
        .to raise_validation_error("out_of_range").at("total_items")
      expect { TaskerCore::Types::BatchProcessingOutcome.from_hash(outcome.merge("worker_count" => 4_294_967_296)) }
        .to raise_validation_error("out_of_range").at("worker_count")
      expect { TaskerCore::Types::BatchProcessingOutcome.from_hash(outcome.merge("worker_count" => "1")) }
        .to raise_validation_error("type_mismatch").at("worker_count")
    end

    it "rejects partition counts out of range" do
      expect { TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 10, worker_count: 2.5) }
        .to raise_validation_error("out_of_range").at("worker_count")
      expect { TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: -10, worker_count: 2) }
        .to raise_validation_error("out_of_range").at("total_items")
      expect { TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 2**64, worker_count: 2) }
        .to raise_validation_error("out_of_range").at("total_items")
    end

    it "rejects a negative integer cursor in a worker's inputs" do
      step = { "inputs" => { "cursor" => config.merge("start_cursor" => -5, "batch_size" => 15) } }
      expect { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step) }
        .to raise_validation_error("negative_cursor").at("inputs.cursor.start_cursor")
    end

    it "rejects negative and fractional worker counters in an aggregation" do
      scenario_input = { "scenario" => "with_batches", "batch_results" => { "w_001" => { "items_processed" => -1 } } }
      expect { TaskerBatch.call(:aggregate, scenario_input) }
        .to raise_validation_error("out_of_range").at("batch_results.w_001.items_processed")
      scenario_input["batch_results"]["w_001"]["items_processed"] = 1.5
      expect { TaskerBatch.call(:aggregate, scenario_input) }
        .to raise_validation_error("out_of_range").at("batch_results.w_001.items_processed")
    end
  end

  describe "malformed checkpoint updates leave the step's results unchanged" do
    let(:results) { { "checkpoint_cursor" => 40, "processed_count" => 40, "note" => "kept" } }

    {
      "changes that are not a Hash" => [[1], "type_mismatch", "changes"],
      "nil changes" => [nil, "type_mismatch", "changes"],
      "a cursor of another kind" => [{ "checkpoint_cursor" => "sixty" }, "checkpoint_kind_mismatch", "changes.checkpoint_cursor"],
      "a Float cursor in an integer range" => [{ "checkpoint_cursor" => 60.0 }, "checkpoint_kind_mismatch", "changes.checkpoint_cursor"],
      "a cursor that moves backwards" => [{ "checkpoint_cursor" => 10 }, "checkpoint_backwards", "changes.checkpoint_cursor"],
      "a cursor past the range" => [{ "checkpoint_cursor" => 101 }, "checkpoint_out_of_range", "changes.checkpoint_cursor"],
      "a decreasing processed_count" => [{ "processed_count" => 1 }, "processed_count_decreased", "changes.processed_count"],
      "a processed_count given as a string" => [{ "processed_count" => "50" }, "type_mismatch", "changes.processed_count"],
      "a NaN processed_count" => [{ "processed_count" => Float::NAN }, "out_of_range", "changes.processed_count"],
      "a Time as the cursor" => [{ "checkpoint_cursor" => Time.at(0) }, "type_mismatch", "changes.checkpoint_cursor"],
      "Integer keys in the changes" => [{ 1 => 2 }, "type_mismatch", "changes"]
    }.each do |what, (changes, code, path)|
      it "rejects #{what} on a step object" do
        step = StepFixtures::WorkflowStep.new(inputs: inputs, results: results)
        before = deep_copy(results)
        expect { TaskerCore::BatchProcessing.update_workflow_step_results(step, changes) }
          .to raise_validation_error(code).at(path)
        expect(step.results).to eq(before)
        expect(step.results).to be(results)
      end

      it "rejects #{what} on a Hash step" do
        step = { "inputs" => inputs, "results" => results }
        before = deep_copy(step)
        expect { TaskerCore::BatchProcessing.update_workflow_step_results(step, changes) }
          .to raise_validation_error(code).at(path)
        expect(step).to eq(before)
      end
    end

    it "rejects a self-referencing accumulated_results and keeps the results" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: results)
      expect { TaskerCore::BatchProcessing.update_workflow_step_results(step, "accumulated_results" => self_referencing_hash) }
        .to raise_validation_error("nesting_too_deep").at("changes.accumulated_results")
      expect(step.results).to be(results)
    end

    it "rejects results of the step that are not a Hash" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: "done")
      expect { TaskerCore::BatchProcessing.update_workflow_step_results(step, "checkpoint_cursor" => 50) }
        .to raise_validation_error("type_mismatch").at("step.results")
      expect(step.results).to eq("done")
    end

    it "rejects an update through the Batchable mixin the same way" do
      handler = Class.new { include TaskerCore::StepHandler::Mixins::Batchable }.new
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: results)
      handler.get_batch_context(step)
      expect { handler.update_workflow_step_results("checkpoint_cursor" => "x") }.to raise_validation_error("checkpoint_kind_mismatch")
      expect(step.results).to be(results)
    end
  end

  describe "JSON text that is not JSON" do
    it "comes back as an error envelope, never an exception or a crash" do
      ["", "{", "nul", "[1,]", "{\"a\":1}garbage", "\u00e9", "1" * 100_000, "[" * 100_000].each do |text|
        envelope = JSON.parse(TaskerBatch::Native.call_json("validate_outcome", text))
        expect(envelope["ok"]).to be(false)
        expect(envelope["error"]).to include("code" => a_kind_of(String), "path" => a_kind_of(String),
                                             "message" => a_kind_of(String))
      end
    end
  end
end
