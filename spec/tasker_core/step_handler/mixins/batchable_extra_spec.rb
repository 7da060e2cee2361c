# frozen_string_literal: true

RSpec.describe TaskerCore::StepHandler::Mixins::Batchable do
  let(:host) { Class.new { include TaskerCore::StepHandler::Mixins::Batchable }.new }
  let(:step) do
    { "inputs" => { "cursor" => { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 100, "batch_size" => 100 } },
      "results" => {} }
  end

  describe "#checkpoint_yield" do
    it "validates and stores the checkpoint on the current step" do
      host.get_batch_context(step)
      host.checkpoint_yield(cursor: 40, items_processed: 40, accumulated_results: { "sum" => 7 })
      expect(step["results"]).to eq("checkpoint_cursor" => 40, "processed_count" => 40, "accumulated_results" => { "sum" => 7 })
      expect(host.get_batch_context(step).resume_cursor).to eq(40)
    end

    it "rejects a checkpoint outside the range and leaves the results alone" do
      host.get_batch_context(step)
      expect { host.checkpoint_yield(cursor: 140, items_processed: 1) }
        .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.code).to eq("checkpoint_out_of_range") }
      expect(step["results"]).to eq({})
    end
  end

  it "#no_batches_aggregation_result reports zero workers" do
    expect(host.no_batches_aggregation_result(metadata: { total: 0 })["result"])
      .to eq("worker_count" => 0, "scenario" => "no_batches", "total" => 0)
  end

  it "#capabilities adds the batch capabilities" do
    expect(host.capabilities).to include("batchable", "cursor_based", "deferred_convergence")
  end

  it "#get_dependency_result unwraps a stored {\"result\" => ...} in a plain Hash" do
    deps = { "analyze" => { "success" => true, "result" => { "file" => "a.csv" } } }
    expect(host.get_dependency_result(deps, "analyze", "file")).to eq("a.csv")
  end
end
