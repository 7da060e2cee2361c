# frozen_string_literal: true

# What tasker-batch fixes on purpose, as docs/migrating-from-upstream-ruby.md lists it ("What
# changes, on purpose"). Each rule here is a difference a migrating user meets; other specs test
# the same code in detail, these keep the promises of the guide.
RSpec.describe "Deliberate fixes of upstream's behaviour" do
  let(:handler) { Class.new { include TaskerCore::StepHandler::Mixins::Batchable }.new }

  def context_with(start_cursor, end_cursor, batch_size: 0)
    handler.get_batch_context(
      "inputs" => { "cursor" => { "batch_id" => "001", "start_cursor" => start_cursor, "end_cursor" => end_cursor,
                                  "batch_size" => batch_size } }
    )
  end

  describe "cursors are never coerced with to_i" do
    {
      "a timestamp (upstream: 2024)" => ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"],
      "a UUID (upstream: 0)" => %w[00000000-0000-0000-0000-000000000000 80000000-0000-0000-0000-000000000000],
      "a numeric string (upstream: an Integer)" => %w[123 456],
      "a composite key (upstream: NoMethodError)" => [{ "region" => "eu", "id" => 0 }, { "region" => "us", "id" => 0 }],
      "a tuple" => [["eu", 0], ["us", 0]]
    }.each do |what, (start_cursor, end_cursor)|
      it "returns #{what} as stored" do
        context = context_with(start_cursor, end_cursor)
        expect([context.start_cursor, context.end_cursor]).to eq([start_cursor, end_cursor])
        expect(context.resume_cursor).to eq(start_cursor)
      end
    end

    it "keeps an integer beyond 64 bits exact" do
      context = context_with(2**64, (2**64) + 10, batch_size: 10)
      expect([context.start_cursor, context.end_cursor]).to eq([2**64, (2**64) + 10])
    end
  end

  describe "the no-op placeholder reports batch id \"000\"" do
    it "with or without the placeholder cursor expansion writes (upstream said \"unknown\")" do
      expect(handler.get_batch_context("inputs" => { "is_no_op" => true }).batch_id).to eq("000")
      placeholder = { "cursor" => { "batch_id" => "000", "start_cursor" => 0, "end_cursor" => 0, "batch_size" => 0 },
                      "is_no_op" => true }
      expect(handler.get_batch_context("inputs" => placeholder).batch_id).to eq("000")
    end

    it "and handle_no_op_worker answers with it" do
      result = handler.handle_no_op_worker(handler.get_batch_context("inputs" => { "is_no_op" => true }))
      expect(result["result"]).to eq("batch_id" => "000", "no_op" => true, "processed_count" => 0)
    end
  end

  describe "the placeholder is not counted as a batch" do
    let(:dependency_results) do
      { "analyze" => handler.no_batches_outcome(reason: "empty file"),
        "process_batch_000" => handler.handle_no_op_worker(handler.get_batch_context("inputs" => { "is_no_op" => true })) }
    end
    let(:scenario) { handler.detect_aggregation_scenario(dependency_results, "analyze", "process_batch_") }

    it "makes a no_batches outcome the no_batches scenario (upstream: with_batches, worker_count 1)" do
      expect([scenario.type, scenario.worker_count, scenario.batch_results]).to eq([:no_batches, 0, {}])
    end

    it "aggregates to zero batches" do
      expect(handler.aggregate_batch_worker_results(scenario)["result"])
        .to include("batch_count" => 0, "worker_count" => 0, "scenario" => "no_batches")
    end

    it "converges as no_batches, succeeded" do
      expect(scenario.converge).to include("status" => "succeeded")
      expect(scenario.converge["aggregation"]).to include("worker_count" => 0, "scenario" => "no_batches")
    end
  end
end
