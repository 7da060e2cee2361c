# frozen_string_literal: true

RSpec.describe TaskerCore::StepHandler::Mixins::Batchable do
  # A host without `success`: helpers answer with plain step-result hashes.
  let(:plain_class) do
    Class.new { include TaskerCore::StepHandler::Mixins::Batchable }
  end

  # A host like upstream's StepHandler::Base: `success(result:, metadata:)` builds the result.
  let(:host_class) do
    Class.new do
      include TaskerCore::StepHandler::Mixins::Batchable

      def success(result:, metadata: {})
        StepFixtures::HandlerSuccess.new(result: result, metadata: metadata)
      end
    end
  end

  let(:handler) { plain_class.new }
  let(:host) { host_class.new }

  let(:inputs) { { "cursor" => { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 } } }

  describe "#get_batch_context" do
    it "reads the context from a step context's workflow_step" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: {})
      context = handler.get_batch_context(StepFixtures::StepContext.new(workflow_step: step))
      expect(context).to be_a(TaskerCore::BatchProcessing::BatchWorkerContext)
      expect([context.batch_id, context.start_cursor, context.end_cursor]).to eq(["002", 334, 668])
    end

    it "reads a workflow step given directly (Hash or object)" do
      expect(handler.get_batch_context("inputs" => inputs).batch_id).to eq("002")
      expect(handler.get_batch_context(StepFixtures::LegacyStep.new(inputs: inputs)).batch_id).to eq("002")
    end

    it "raises upstream's ArgumentError for a worker without a batch_id" do
      expect { handler.get_batch_context("inputs" => { "cursor" => { "start_cursor" => 0, "end_cursor" => 1 } }) }
        .to raise_error(ArgumentError, /Missing batch_id/)
    end
  end

  describe "#handle_no_op_worker" do
    it "returns nil for a real worker" do
      expect(handler.handle_no_op_worker(handler.get_batch_context("inputs" => inputs))).to be_nil
    end

    it "returns a success with exactly batch_id \"000\", no_op and processed_count for the placeholder" do
      result = handler.handle_no_op_worker(handler.get_batch_context("inputs" => { "is_no_op" => true }))
      expect(result).to eq("success" => true, "result" => { "batch_id" => "000", "no_op" => true, "processed_count" => 0 },
                           "metadata" => {})
      expect(result["result"].keys).to eq(%w[batch_id no_op processed_count])
    end

    it "goes through the host's success when there is one" do
      result = host.handle_no_op_worker(host.get_batch_context("inputs" => { "is_no_op" => true }))
      expect(result.result).to eq("batch_id" => "000", "no_op" => true, "processed_count" => 0)
      expect(result.metadata).to eq({})
    end
  end

  describe "#update_workflow_step_results" do
    it "checkpoints the step given to get_batch_context" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: { "note" => "kept" })
      handler.get_batch_context(StepFixtures::StepContext.new(workflow_step: step))
      returned = handler.update_workflow_step_results("checkpoint_cursor" => 400, "processed_count" => 66)
      expect(returned).to eq("note" => "kept", "checkpoint_cursor" => 400, "processed_count" => 66)
      expect(step.results).to eq(returned)
    end

    it "takes the changes as keyword-style arguments too, String or Symbol keys" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: {})
      handler.get_batch_context(step)
      handler.update_workflow_step_results(checkpoint_cursor: 340, processed_count: 6)
      expect(step.results).to eq("checkpoint_cursor" => 340, "processed_count" => 6)
      handler.update_workflow_step_results({ "checkpoint_cursor" => 350 }, "processed_count" => 16)
      expect(step.results).to eq("checkpoint_cursor" => 350, "processed_count" => 16)
    end

    it "checkpoints an explicit workflow_step:" do
      step = { "inputs" => inputs, "results" => {} }
      handler.update_workflow_step_results({ "checkpoint_cursor" => 340 }, workflow_step: step)
      expect(step["results"]).to eq("checkpoint_cursor" => 340)
    end

    it "uses the host's own workflow_step when it has one" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: {})
      with_step = Class.new do
        include TaskerCore::StepHandler::Mixins::Batchable
        attr_accessor :workflow_step
      end.new
      with_step.workflow_step = step
      with_step.update_workflow_step_results("checkpoint_cursor" => 350)
      expect(step.results).to eq("checkpoint_cursor" => 350)
    end

    it "rejects a bad checkpoint and leaves the results unchanged" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: { "checkpoint_cursor" => 400 })
      handler.get_batch_context(step)
      expect { handler.update_workflow_step_results("checkpoint_cursor" => 399) }
        .to raise_validation_error("checkpoint_backwards").at("changes.checkpoint_cursor")
      expect(step.results).to eq("checkpoint_cursor" => 400)
    end

    it "needs a current step" do
      expect { handler.update_workflow_step_results("checkpoint_cursor" => 1) }
        .to raise_validation_error("missing_field").at("workflow_step")
    end
  end

  describe "#batch_worker_success" do
    it "reports the four counters (String keys), optional fields only when given" do
      result = handler.batch_worker_success(items_processed: 10, items_succeeded: 9, items_failed: 1)
      expect(result).to eq("success" => true, "metadata" => { "batch_worker" => true },
                           "result" => { "items_processed" => 10, "items_succeeded" => 9, "items_failed" => 1,
                                         "items_skipped" => 0 })
    end

    it "adds last_cursor, results, errors and the caller's metadata keys to the result" do
      result = handler.batch_worker_success(items_processed: 2, items_succeeded: 2, items_skipped: 0, last_cursor: 668,
                                            results: { "sum" => 3 }, errors: [], metadata: { source: "s3" })
      expect(result["result"]).to include("last_cursor" => 668, "results" => { "sum" => 3 }, "errors" => [], "source" => "s3")
    end

    it "goes through the host's success when there is one" do
      result = host.batch_worker_success(items_processed: 5, items_succeeded: 5)
      expect(result.result).to eq("items_processed" => 5, "items_succeeded" => 5, "items_failed" => 0, "items_skipped" => 0)
      expect(result.metadata).to eq(batch_worker: true)
    end
  end

  describe "#create_cursor_configs" do
    it "splits integers over workers: 1000 over 3 is 334/334/332 at [0,334) [334,668) [668,1000)" do
      expect(handler.create_cursor_configs(1000, 3)).to eq(
        [
          { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 334, "batch_size" => 334 },
          { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 },
          { "batch_id" => "003", "start_cursor" => 668, "end_cursor" => 1000, "batch_size" => 332 }
        ]
      )
    end

    it "never emits empty or negative trailing ranges (upstream did for 5 items over 10 workers)" do
      configs = handler.create_cursor_configs(5, 10)
      expect(configs.size).to eq(5)
      expect(configs.map { |c| c["batch_size"] }).to all(eq(1))
    end

    it "gives no configs for no items" do
      expect(handler.create_cursor_configs(0, 3)).to eq([])
    end

    it "rejects a worker_count of 0 (upstream: 'worker_count must be > 0')" do
      expect { handler.create_cursor_configs(10, 0) }.to raise_error(ArgumentError, /worker_count/)
    end

    it "yields each config and its 0-based index; the block adjusts configs in place" do
      seen = []
      configs = handler.create_cursor_configs(10, 2) do |config, index|
        seen << [config["batch_id"], index]
        config["shard"] = "s#{index}"
        config["start_cursor"] = "row-#{config["start_cursor"]}"
      end
      expect(seen).to eq([["001", 0], ["002", 1]])
      expect(configs.map { |c| [c["shard"], c["start_cursor"]] }).to eq([%w[s0 row-0], %w[s1 row-5]])
    end
  end

  describe "the other partitioners" do
    it "#create_cursor_ranges splits by batch size, with an optional max_batches" do
      expect(handler.create_cursor_ranges(250, 100).map { |c| c["batch_size"] }).to eq([100, 100, 50])
      expect(handler.create_cursor_ranges(250, 100, max_batches: 2).map { |c| c["batch_size"] }).to eq([125, 125])
    end

    it "#create_uuid_cursor_configs splits the UUID space, canonical lowercase, open at the end" do
      configs = handler.create_uuid_cursor_configs(2)
      expect(configs.map { |c| [c["start_cursor"], c["end_cursor"]] })
        .to eq([%w[00000000-0000-0000-0000-000000000000 80000000-0000-0000-0000-000000000000],
                ["80000000-0000-0000-0000-000000000000", nil]])
    end

    it "#create_uuid_cursor_configs splits a given range" do
      configs = handler.create_uuid_cursor_configs(2, start: "00000000-0000-0000-0000-000000000000",
                                                      end_uuid: "00000000-0000-0000-0000-000000000010")
      expect(configs.map { |c| c["end_cursor"] })
        .to eq(%w[00000000-0000-0000-0000-000000000008 00000000-0000-0000-0000-000000000010])
    end

    it "#create_timestamp_cursor_configs splits by count or by step, RFC 3339 UTC out" do
      by_count = handler.create_timestamp_cursor_configs(start: "2024-01-01T00:00:00Z", end_time: "2024-01-03T00:00:00Z",
                                                         count: 2)
      by_step = handler.create_timestamp_cursor_configs(start: "2024-01-01T00:00:00Z", end_time: "2024-01-03T00:00:00Z",
                                                        step_seconds: 86_400)
      expected = [%w[2024-01-01T00:00:00Z 2024-01-02T00:00:00Z], %w[2024-01-02T00:00:00Z 2024-01-03T00:00:00Z]]
      expect(by_count.map { |c| [c["start_cursor"], c["end_cursor"]] }).to eq(expected)
      expect(by_step.map { |c| [c["start_cursor"], c["end_cursor"]] }).to eq(expected)
    end

    it "#create_boundary_cursor_configs makes ranges between the caller's boundaries" do
      configs = handler.create_boundary_cursor_configs([{ "region" => "eu" }, { "region" => "us" }, { "region" => "zz" }])
      expect(configs.map { |c| [c["batch_id"], c["start_cursor"], c["end_cursor"]] })
        .to eq([["001", { "region" => "eu" }, { "region" => "us" }], ["002", { "region" => "us" }, { "region" => "zz" }]])
    end
  end

  describe "#no_batches_outcome" do
    it "puts the outcome, the reason and the metadata into the result" do
      result = handler.no_batches_outcome(reason: "empty file", metadata: { source: "s3" })
      expect(result).to eq("success" => true, "metadata" => {},
                           "result" => { "batch_processing_outcome" => { "type" => "no_batches" },
                                         "reason" => "empty file", "source" => "s3" })
    end

    it "goes through the host's success when there is one" do
      result = host.no_batches_outcome(reason: "empty")
      expect(result.result).to eq("batch_processing_outcome" => { "type" => "no_batches" }, "reason" => "empty")
    end
  end

  describe "#create_batches_outcome" do
    let(:configs) { handler.create_cursor_configs(1000, 3) }

    it "validates and puts the outcome, worker_count, total_items and metadata into the result" do
      result = handler.create_batches_outcome(worker_template_name: "process_batch", cursor_configs: configs,
                                              total_items: 1000, metadata: { file: "a.csv" })
      expected = {
        "batch_processing_outcome" => { "type" => "create_batches", "worker_template_name" => "process_batch",
                                        "worker_count" => 3, "cursor_configs" => configs, "total_items" => 1000 },
        "worker_count" => 3, "total_items" => 1000, "file" => "a.csv"
      }
      expect(result["result"]).to equal_wire(expected, ordered: true)
    end

    it "rejects an invalid outcome before anything is returned" do
      bad = [configs[0], configs[1].merge("batch_id" => "001"), configs[2]]
      expect { handler.create_batches_outcome(worker_template_name: "w", cursor_configs: bad, total_items: 1000) }
        .to raise_validation_error("duplicate_batch_id")
    end

    it "goes through the host's success when there is one" do
      result = host.create_batches_outcome(worker_template_name: "w", cursor_configs: configs, total_items: 1000)
      expect(result.result["batch_processing_outcome"]["worker_count"]).to eq(3)
    end
  end

  describe "#detect_aggregation_scenario" do
    it "is BatchAggregationScenario.detect" do
      results = { "analyze" => { "batch_processing_outcome" => { "type" => "no_batches" } }, "w_000" => {} }
      scenario = handler.detect_aggregation_scenario(results, "analyze", "w_")
      expect(scenario).to be_a(TaskerCore::BatchProcessing::BatchAggregationScenario)
      expect(scenario.no_batches?).to be(true)
    end
  end

  describe "#aggregate_batch_worker_results" do
    let(:configs) { handler.create_cursor_configs(10, 2) }
    let(:dependency_results) do
      {
        "analyze" => { "batch_processing_outcome" => { "type" => "create_batches", "worker_template_name" => "w",
                                                       "worker_count" => 2, "cursor_configs" => configs,
                                                       "total_items" => 10 } },
        "w_001" => { "items_processed" => 5, "items_succeeded" => 5, "amount" => 3 },
        "w_002" => { "items_processed" => 5, "items_succeeded" => 4, "items_failed" => 1, "amount" => 4 }
      }
    end
    let(:scenario) { handler.detect_aggregation_scenario(dependency_results, "analyze", "w_") }
    let(:no_batches) do
      handler.detect_aggregation_scenario({ "analyze" => { "batch_processing_outcome" => { "type" => "no_batches" } },
                                            "w_000" => { "no_op" => true } }, "analyze", "w_")
    end

    it "runs the standard aggregation without a block" do
      result = handler.aggregate_batch_worker_results(scenario)
      expect(result["success"]).to be(true)
      expect(result["result"]).to include("total_processed" => 10, "total_succeeded" => 9, "total_failed" => 1,
                                          "batch_count" => 2, "success_rate" => 0.9, "worker_count" => 2,
                                          "scenario" => "with_batches")
    end

    it "passes reducers and max_errors on" do
      result = handler.aggregate_batch_worker_results(scenario, reducers: { "amount" => "sum" }, max_errors: 0)
      expect(result["result"]).to include("custom" => { "amount" => 7 }, "errors" => [])
    end

    it "lets a block aggregate the workers' results by step name (String keys out)" do
      received = nil
      result = handler.aggregate_batch_worker_results(scenario) do |batch_results|
        received = batch_results
        { total_amount: batch_results.values.sum { |r| r["amount"] } }
      end
      expect(received.keys).to eq(%w[w_001 w_002])
      expect(result["result"]).to eq("total_amount" => 7, "worker_count" => 2, "scenario" => "with_batches")
    end

    it "merges zero_metrics into a no_batches result, and does not call the block" do
      standard = handler.aggregate_batch_worker_results(no_batches, zero_metrics: { total_amount: 0 })
      expect(standard["result"]).to include("total_processed" => 0, "worker_count" => 0, "scenario" => "no_batches",
                                            "total_amount" => 0)
      with_block = handler.aggregate_batch_worker_results(no_batches, zero_metrics: { total_amount: 0 }) { raise "not called" }
      expect(with_block["result"]).to eq("worker_count" => 0, "scenario" => "no_batches", "total_amount" => 0)
    end

    it "goes through the host's success when there is one" do
      result = host.aggregate_batch_worker_results(scenario)
      expect(result.result).to include("total_processed" => 10)
      expect(result.metadata).to eq({})
    end
  end

  describe "#get_dependency_result" do
    let(:results) { { "analyze" => { "result" => { "stats" => { "rows" => 7 } } } } }

    it "reads a step's result, or a value inside it, from a Hash" do
      expect(handler.get_dependency_result({ "a" => { "rows" => 7 } }, "a")).to eq("rows" => 7)
      expect(handler.get_dependency_result({ "a" => { "rows" => 7 } }, "a", "rows")).to eq(7)
    end

    it "reads through a DependencyResultsWrapper's get_results (which unwraps 'result')" do
      wrapper = StepFixtures::DependencyResultsWrapper.new(results)
      expect(handler.get_dependency_result(wrapper, "analyze", "stats", "rows")).to eq(7)
    end

    it "gives nil for a missing step" do
      expect(handler.get_dependency_result({}, "missing", "rows")).to be_nil
    end
  end
end
