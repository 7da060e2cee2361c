# frozen_string_literal: true

RSpec.describe TaskerCore::BatchProcessing do
  describe ".expand_outcome" do
    it "plans the workers and edges of an outcome (struct or Hash)" do
      outcome = TaskerCore::Types::BatchProcessingOutcome.create_batches(
        worker_template_name: "process", worker_count: 2, total_items: 10,
        cursor_configs: described_class.partition(strategy: "integer_by_count", total_items: 10, worker_count: 2)
      )
      plan = described_class.expand_outcome(batchable_step_name: "analyze", outcome: outcome,
                                            convergence_step_names: ["sum"])
      expect(plan["workers"].map { |w| w["name"] }).to eq(%w[process_001 process_002])
      expect(plan["edges"].size).to eq(4)
    end

    it "raises for an invalid outcome, with no plan" do
      expect do
        described_class.expand_outcome(batchable_step_name: "analyze", outcome: { "type" => "no_batches" })
      end.to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.path).to eq("worker_template_name") }
    end
  end
end

RSpec.describe TaskerBatch do
  describe ".call_text" do
    it "runs an operation on JSON text the caller holds" do
      expect(described_class.call_text(:validate_batch_metadata, '{"failure_strategy":"isolate"}'))
        .to eq("cursor_field" => "id", "failure_strategy" => "isolate")
    end

    it "reports malformed text as invalid_json" do
      expect { described_class.call_text(:worker_context, '{"inputs": {') }
        .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.code).to eq("invalid_json") }
    end
  end
end

RSpec.describe TaskerCore::StepHandler::Mixins::Batchable do
  let(:host) { Class.new { include TaskerCore::StepHandler::Mixins::Batchable }.new }

  it "#create_cursor_configs takes a start offset" do
    expect(host.create_cursor_configs(10, 2, start: 1).map { |c| [c["start_cursor"], c["end_cursor"]] })
      .to eq([[1, 6], [6, 11]])
  end

  it "#converge_batch_worker_results applies the failure strategy" do
    deps = {
      "analyze" => { "batch_processing_outcome" => {
        "type" => "create_batches", "worker_template_name" => "w", "worker_count" => 2, "total_items" => 10,
        "cursor_configs" => host.create_cursor_configs(10, 2)
      } },
      "w_001" => { "items_processed" => 5, "items_succeeded" => 5 },
      "w_002" => nil
    }
    scenario = host.detect_aggregation_scenario(deps, "analyze", "w_")
    result = host.converge_batch_worker_results(scenario, failure_strategy: :fail_fast)["result"]
    expect(result["status"]).to eq("failed")
    expect(result["failed_batches"].map { |b| b["batch_id"] }).to eq(["002"])
  end
end
