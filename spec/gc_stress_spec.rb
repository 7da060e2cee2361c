# frozen_string_literal: true

# Every entry point of the extension, and each public Ruby method once, with GC.stress on: a
# collection at every allocation finds any Ruby object the extension holds where the GC cannot
# see it (a moved or freed String, a Hash built half-way). The inputs allocate on purpose:
# nested Hashes, fresh Strings, integers beyond 64 bits. GC.stress is slow, so a few calls each.
RSpec.describe "The extension under GC.stress" do
  include StepFixtures

  # Runs the block with GC.stress on and returns its value. A warm-up run comes first (every
  # block below can run twice): first calls fill Ruby's inline caches and dry-types' memo
  # tables, allocations that are not the extension's and cost a full collection each.
  def under_gc_stress
    begin
      yield
    rescue TaskerCore::BatchProcessing::Error
      nil
    end
    previous = GC.stress
    begin
      GC.stress = true
      yield
    ensure
      GC.stress = previous
    end
  end

  let(:big) { 2**100 }

  # A cursor config with a composite cursor: nested Hashes, fresh Strings, big integers.
  def composite_config(id, page)
    { "batch_id" => +"00#{id}",
      "start_cursor" => { "region" => +"eu-#{id}", "big" => (2**100) + page, "tags" => [+"a", { "b" => [1, 2.5] }] },
      "end_cursor" => { "region" => +"eu-#{id}", "big" => (2**100) + page + 9 },
      "batch_size" => 9, "note" => +"kept #{id}" }
  end

  let(:outcome_wire) do
    { "type" => "create_batches", "worker_template_name" => "process_batch", "worker_count" => 2,
      "cursor_configs" => [composite_config(1, 0), composite_config(2, 10)], "total_items" => 18 }
  end

  let(:integer_inputs) do
    { "cursor" => { "batch_id" => "001", "start_cursor" => big, "end_cursor" => big + 100, "batch_size" => 100 } }
  end

  let(:dependency_results) do
    configs = TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 100, worker_count: 2)
    {
      "analyze" => { "batch_processing_outcome" => { "type" => "create_batches", "worker_template_name" => "w",
                                                     "worker_count" => 2, "cursor_configs" => configs, "total_items" => 100 } },
      "w_001" => { "items_processed" => 50, "items_succeeded" => 49, "items_failed" => 1,
                   "errors" => [{ "row" => +"r1", "why" => { "big" => big } }], "rows" => [+"x", +"y"] },
      "w_002" => { "items_processed" => 50, "items_succeeded" => 50, "rows" => [+"z"] }
    }
  end

  # Builds the inputs before GC.stress is on: only the calls under test run stressed.
  before do
    outcome_wire
    integer_inputs
    dependency_results
  end

  describe "TaskerBatch::Native entry points" do
    it "Native.call builds nested output correctly" do
      value = under_gc_stress { TaskerBatch::Native.call("validate_outcome", outcome_wire) }
      expect(value[0]).to be(true)
      expect(value[1]).to equal_wire(outcome_wire, ordered: true)
      expect(value[2]).to eq([])
    end

    it "Native.call reports an error correctly" do
      bad = outcome_wire.merge("worker_count" => 3)
      ok, error, = under_gc_stress { TaskerBatch::Native.call("validate_outcome", bad) }
      expect(ok).to be(false)
      expect(error).to include("code" => "worker_count_mismatch", "path" => "worker_count")
    end

    it "Native.call_json returns the exact envelope text" do
      text = JSON.generate(outcome_wire)
      envelope = under_gc_stress { TaskerBatch::Native.call_json("validate_outcome", text) }
      expect(envelope).to eq("{\"ok\":true,\"value\":#{text},\"warnings\":[]}")
    end

    it "Native.call and Native.call_json with inputs large enough to run without the GVL" do
      results = (1..1000).to_h { |i| [+"w_#{i}", { "items_processed" => 2, "items_succeeded" => 1, "items_failed" => 1 }] }
      request = { "scenario" => "with_batches", "batch_results" => results }
      text = JSON.generate(request)
      (ok, aggregation,), envelope = under_gc_stress do
        [TaskerBatch::Native.call("aggregate", request), TaskerBatch::Native.call_json("aggregate", text)]
      end
      expect(ok).to be(true)
      expect(aggregation).to include("total_processed" => 2000, "total_failed" => 1000, "batch_count" => 1000)
      expect(JSON.parse(envelope)["value"]).to eq(aggregation)
    end

    it "Native.call_value converts both ways",
       skip: (TaskerBatch::Native.respond_to?(:call_value) ? false : "only built with the bench-conversion feature") do
      input = { "batch_id" => +"001", "start_cursor" => { "k" => [+"v", 1] }, "end_cursor" => { "k" => [+"w", 2] },
                "batch_size" => 0 }
      result = under_gc_stress { TaskerBatch::Native.call_value("validate_cursor_config", input) }
      expect(result).to eq([true, input, []])
    end

    it "Native.operations and Native.version" do
      names, version = under_gc_stress { [TaskerBatch::Native.operations, TaskerBatch::Native.version] }
      expect(names).to include("validate_outcome", "converge")
      expect(version).to eq(TaskerBatch::VERSION)
    end

    it "leaves the garbage collector as it found it (enabled, or disabled)" do
      under_gc_stress { TaskerBatch::Native.call("validate_outcome", outcome_wire) }
      expect(GC.enable).to be(false) # false: it was enabled
      GC.disable
      begin
        TaskerBatch::Native.call("validate_outcome", outcome_wire)
        expect(GC.enable).to be(true) # true: it was still disabled
      ensure
        GC.enable
      end
    end
  end

  describe "TaskerBatch" do
    it ".call and .call_with_warnings" do
      off_by_one = outcome_wire.merge("total_items" => 19)
      value, result = under_gc_stress do
        [TaskerBatch.call(:validate_outcome, outcome_wire), TaskerBatch.call_with_warnings(:validate_outcome, off_by_one)]
      end
      expect(value).to equal_wire(outcome_wire, ordered: true)
      expect(result.warnings.map { |w| w["code"] }).to eq(["total_items_mismatch"])
    end

    it "raises a ValidationError" do
      bad = outcome_wire.merge("type" => +"nope")
      expect { under_gc_stress { TaskerBatch.call(:validate_outcome, bad) } }
        .to raise_validation_error("invalid_value").at("type")
    end
  end

  describe "the two Ruby paths agree (spec/paths_agree_spec.rb) under GC.stress" do
    # A few generated inputs, built before the stress; each compared with both paths under it.
    count = Integer(ENV.fetch("TASKER_BATCH_DIFFERENTIAL_STRESS_COUNT", "20"))
    it "on #{count} generated inputs" do
      cases = Differential.generated(count, 20_261_205).map { |op, input| [op, input, JSON.generate(input)] }
      differences = cases.filter_map do |op, input, text|
        found = under_gc_stress { Differential.difference(op, input, text) }
        "#{op}: #{found}" if found
      end
      expect(differences).to eq([])
    end
  end

  describe "TaskerCore::Types" do
    let(:config) { composite_config(4, 0) }

    it "BatchProcessingOutcome.create_batches, .from_hash (Symbol keys) and .no_batches" do
      wire = { "type" => "create_batches", "worker_template_name" => "w", "worker_count" => 1,
               "cursor_configs" => [config], "total_items" => 9 }
      symbolized = deep_symbolize(wire)
      created, parsed, none = under_gc_stress do
        [TaskerCore::Types::BatchProcessingOutcome.create_batches(worker_template_name: +"w", worker_count: 1,
                                                                  cursor_configs: [config], total_items: 9),
         TaskerCore::Types::BatchProcessingOutcome.from_hash(symbolized),
         TaskerCore::Types::BatchProcessingOutcome.no_batches]
      end
      expect(created.to_h).to equal_wire(wire, ordered: true)
      expect(parsed.to_h).to equal_wire(wire, ordered: true)
      expect(none.to_h).to eq("type" => "no_batches")
    end

    it "CursorConfig.new, BatchMetadata.new and FailureStrategy[]" do
      cursor, metadata, strategy = under_gc_stress do
        [TaskerCore::Types::CursorConfig.new(config),
         TaskerCore::Types::BatchMetadata.new(cursor_field: +"row_id", failure_strategy: +"FailFast"),
         TaskerCore::Types::FailureStrategy[:isolate]]
      end
      expect(cursor.to_h).to equal_wire(config, ordered: true)
      expect(metadata.to_h).to eq("cursor_field" => "row_id", "failure_strategy" => "fail_fast")
      expect(strategy).to eq("isolate")
    end

    it "BatchWorkerInputs.new" do
      inputs = under_gc_stress { TaskerCore::Types::BatchWorkerInputs.new(integer_inputs) }
      expect(inputs.cursor.start_cursor).to eq(big)
      expect(inputs.batch_metadata.failure_strategy).to eq("continue_on_failure")
    end
  end

  describe "TaskerCore::BatchProcessing" do
    it "BatchWorkerContext.from_step_data" do
      step = StepFixtures::WorkflowStep.new(inputs: integer_inputs, results: { "checkpoint_cursor" => big + 50, "processed_count" => 50 },
                                            checkpoint: nil)
      context = under_gc_stress { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step) }
      expect([context.batch_id, context.start_cursor, context.resume_cursor, context.checkpoint_items_processed])
        .to eq(["001", big, big + 50, 50])
    end

    it "BatchWorkerContext.from_step_data of an object step with warnings and no checkpoint method" do
      step = Struct.new(:inputs, :results).new(
        { "cursor" => { "batch_id" => "001", "start_cursor" => big, "end_cursor" => big + 100 } },
        { "checkpoint_cursor" => "page-2", "processed_count" => 7 }
      )
      context = under_gc_stress { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step) }
      expect([context.batch_size, context.resume_cursor, context.warnings.map { |w| w["code"] }])
        .to eq([100, "page-2", %w[missing_batch_size opaque_checkpoint]])
    end

    it "update_workflow_step_results and reset_for_retry" do
      step = StepFixtures::WorkflowStep.new(inputs: integer_inputs, results: { "note" => +"kept", "nested" => { "a" => [big] } })
      under_gc_stress do
        TaskerCore::BatchProcessing.update_workflow_step_results(
          step, "checkpoint_cursor" => big + 10, "processed_count" => 10, "accumulated_results" => { "sums" => [big, +"s"] }
        )
      end
      expect(step.results).to eq("note" => "kept", "nested" => { "a" => [big] }, "checkpoint_cursor" => big + 10,
                                 "processed_count" => 10, "accumulated_results" => { "sums" => [big, "s"] })
      under_gc_stress { TaskerCore::BatchProcessing.reset_for_retry(step) }
      expect(step.results).to eq("checkpoint_cursor" => big + 10, "processed_count" => 10,
                                 "accumulated_results" => { "sums" => [big, "s"] })
    end

    it "a rejected update leaves the results unchanged" do
      step = StepFixtures::WorkflowStep.new(inputs: integer_inputs, results: { "checkpoint_cursor" => big + 10 })
      expect { under_gc_stress { TaskerCore::BatchProcessing.update_workflow_step_results(step, "checkpoint_cursor" => big) } }
        .to raise_validation_error("checkpoint_backwards")
      expect(step.results).to eq("checkpoint_cursor" => big + 10)
    end

    it "partition" do
      boundaries = [{ "k" => +"a" }, { "k" => +"m" }, { "k" => +"z" }]
      configs = under_gc_stress { TaskerCore::BatchProcessing.partition(strategy: "boundaries", boundaries: boundaries) }
      expect(configs.map { |c| c["end_cursor"] }).to eq([{ "k" => "m" }, { "k" => "z" }])
    end

    it "BatchAggregationScenario.detect, #aggregate and #converge" do
      wrapped = StepFixtures::DependencyResultsWrapper.new(dependency_results)
      scenario, aggregation, convergence = under_gc_stress do
        scenario = TaskerCore::BatchProcessing::BatchAggregationScenario.detect(wrapped, "analyze", "w_")
        [scenario, scenario.aggregate(reducers: { "rows" => "concat" }), scenario.converge(failure_strategy: :fail_fast)]
      end
      expect(scenario.batch_results).to eq(dependency_results.slice("w_001", "w_002"))
      expect(aggregation).to include("total_processed" => 100, "errors" => [{ "row" => "r1", "why" => { "big" => big } }],
                                     "custom" => { "rows" => %w[x y z] })
      expect(convergence).to include("status" => "succeeded")
    end
  end

  describe "TaskerCore::StepHandler::Mixins::Batchable" do
    let(:handler) { Class.new { include TaskerCore::StepHandler::Mixins::Batchable }.new }

    it "an analyzer's create_cursor_configs with a block" do
      configs = under_gc_stress { handler.create_cursor_configs(100, 2) { |config, i| config["shard"] = +"s#{i}" } }
      expect(configs.map { |c| [c["batch_size"], c["shard"]] }).to eq([[50, "s0"], [50, "s1"]])
    end

    it "a worker's get_batch_context, update_workflow_step_results and batch_worker_success" do
      step = { "inputs" => integer_inputs, "results" => {} }
      worked = under_gc_stress do
        context = handler.get_batch_context(step)
        handler.update_workflow_step_results("checkpoint_cursor" => context.start_cursor + 5, "processed_count" => 5)
        handler.batch_worker_success(items_processed: 5, items_succeeded: 5, last_cursor: context.start_cursor + 5)
      end
      expect(step["results"]).to eq("checkpoint_cursor" => big + 5, "processed_count" => 5)
      expect(worked["result"]["last_cursor"]).to eq(big + 5)
    end

    it "a convergence step's aggregate_batch_worker_results with a block" do
      scenario = handler.detect_aggregation_scenario(dependency_results, "analyze", "w_")
      converged = under_gc_stress do
        handler.aggregate_batch_worker_results(scenario) { |results| { "workers" => results.keys } }
      end
      expect(converged["result"]).to eq("workers" => %w[w_001 w_002], "worker_count" => 2, "scenario" => "with_batches")
    end
  end
end
