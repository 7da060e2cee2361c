# frozen_string_literal: true

RSpec.describe TaskerCore::BatchProcessing::BatchAggregationScenario do
  let(:configs) do
    [
      { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 50, "batch_size" => 50 },
      { "batch_id" => "002", "start_cursor" => 50, "end_cursor" => 100, "batch_size" => 50 }
    ]
  end
  let(:outcome) do
    { "type" => "create_batches", "worker_template_name" => "process_batch", "worker_count" => 2,
      "cursor_configs" => configs, "total_items" => 100 }
  end
  let(:worker_one) do
    { "items_processed" => 50, "items_succeeded" => 48, "items_failed" => 2, "items_skipped" => 0,
      "errors" => [{ "row" => 7 }, { "row" => 9 }], "rows" => [1, 2], "amount" => 10 }
  end
  let(:worker_two) { { "items_processed" => 50, "items_succeeded" => 50, "rows" => [3], "amount" => 5 } }
  let(:dependency_results) do
    {
      "load_config" => { "region" => "eu" },
      "analyze" => { "batch_processing_outcome" => outcome, "reason" => "kept" },
      "process_batch_001" => worker_one,
      "process_batch_002" => worker_two
    }
  end

  def detect(results = dependency_results, batchable = "analyze", prefix = "process_batch_")
    described_class.detect(results, batchable, prefix)
  end

  describe ".detect with_batches" do
    subject(:scenario) { detect }

    it "finds the workers by prefix, in dependency order, and exposes the upstream readers" do
      expect(scenario.type).to eq(:with_batches)
      expect(scenario.with_batches?).to be(true)
      expect(scenario.no_batches?).to be(false)
      expect(scenario.worker_count).to eq(2)
      expect(scenario.batch_results.keys).to eq(%w[process_batch_001 process_batch_002])
      expect(scenario.batch_results["process_batch_001"]).to eq(worker_one)
      expect(scenario.batchable_result).to eq("batch_processing_outcome" => outcome, "reason" => "kept")
      expect(scenario.outcome).to equal_wire(outcome, ordered: true)
      expect(scenario.warnings).to eq([])
    end

    it "matches the prefix exactly ('pre_process_batch_002' is not a worker)" do
      scenario = detect(dependency_results.merge("pre_process_batch_002" => worker_two))
      expect(scenario.batch_results.keys).to eq(%w[process_batch_001 process_batch_002])
    end

    it "does not count the batchable step as a worker even when its name starts with the prefix" do
      results = { "process_batch_plan" => { "batch_processing_outcome" => outcome },
                  "process_batch_001" => worker_one, "process_batch_002" => worker_two }
      scenario = detect(results, "process_batch_plan")
      expect(scenario.worker_count).to eq(2)
      expect(scenario.batch_results).not_to have_key("process_batch_plan")
    end

    it "keeps integers beyond 64 bits in results exactly" do
      scenario = detect(dependency_results.merge("process_batch_002" => worker_two.merge("big" => 2**100)))
      expect(scenario.batch_results["process_batch_002"]["big"]).to eq(2**100)
    end
  end

  describe ".detect no_batches" do
    let(:placeholder_results) do
      { "analyze" => { "batch_processing_outcome" => { "type" => "no_batches" } },
        "process_batch_000" => { "batch_id" => "000", "no_op" => true, "processed_count" => 0 } }
    end

    it "is no_batches even with the placeholder worker present (upstream counted one batch)" do
      scenario = detect(placeholder_results)
      expect(scenario.type).to eq(:no_batches)
      expect(scenario.no_batches?).to be(true)
      expect(scenario.with_batches?).to be(false)
      expect(scenario.worker_count).to eq(0)
      expect(scenario.batch_results).to eq({})
      expect(scenario.outcome).to eq("type" => "no_batches")
    end

    it "reads a Symbol-keyed outcome" do
      scenario = detect({ "analyze" => { batch_processing_outcome: { type: "no_batches" } } })
      expect(scenario.no_batches?).to be(true)
    end
  end

  describe ".detect with a DependencyResultsWrapper (get_results and each_key)" do
    it "reads the unwrapped results of every step" do
      wrapped = StepFixtures::DependencyResultsWrapper.new(dependency_results.transform_values { |r| { "result" => r } })
      scenario = detect(wrapped)
      expect(scenario.with_batches?).to be(true)
      expect(scenario.worker_count).to eq(2)
      expect(scenario.batch_results["process_batch_001"]).to eq(worker_one)
      expect(scenario.batchable_result).to include("reason" => "kept")
    end

    it "reads a wrapper that lists its names with keys instead of each_key" do
      scenario = detect(StepFixtures::KeysOnlyDependencyResults.new(dependency_results))
      expect(scenario.batch_results.keys).to eq(%w[process_batch_001 process_batch_002])
    end

    it "rejects an object that is neither a Hash nor a wrapper" do
      expect { detect(Object.new) }.to raise_validation_error("type_mismatch").at("dependency_results")
    end
  end

  describe ".detect errors" do
    it "needs the batchable step" do
      expect { detect(dependency_results.except("analyze")) }
        .to raise_validation_error("missing_batchable_step").at("dependency_results")
    end

    it "needs worker results when the outcome created batches" do
      expect { detect({ "analyze" => { "batch_processing_outcome" => outcome } }) }
        .to raise_validation_error("no_worker_results").at("dependency_results")
    end
  end

  describe "#aggregate (standard)" do
    it "sums the four counters, rates success, keeps errors and counts them" do
      expected = {
        "total_processed" => 100, "total_succeeded" => 98, "total_failed" => 2, "total_skipped" => 0,
        "batch_count" => 2, "success_rate" => 0.98, "errors" => [{ "row" => 7 }, { "row" => 9 }], "error_count" => 2,
        "worker_count" => 2, "scenario" => "with_batches"
      }
      expect(detect.aggregate).to equal_wire(expected, ordered: true)
    end

    it "keeps at most max_errors errors and still counts all of them" do
      aggregation = detect.aggregate(max_errors: 1)
      expect(aggregation["errors"]).to eq([{ "row" => 7 }])
      expect(aggregation["error_count"]).to eq(2)
    end

    it "skips null results" do
      aggregation = detect(dependency_results.merge("process_batch_002" => nil)).aggregate
      expect(aggregation).to include("total_processed" => 50, "batch_count" => 1)
    end

    it "gives zeros and success_rate 0.0 for no_batches" do
      aggregation = detect({ "analyze" => { "batch_processing_outcome" => { "type" => "no_batches" } },
                             "process_batch_000" => { "items_processed" => 7 } }).aggregate
      expect(aggregation).to include("total_processed" => 0, "batch_count" => 0, "worker_count" => 0, "scenario" => "no_batches")
      expect(aggregation["success_rate"]).to eql(0.0)
    end
  end

  describe "#aggregate with reducers" do
    it "adds a custom section, one reducer per field" do
      aggregation = detect.aggregate(reducers: { "rows" => "concat", "amount" => "sum", "items_succeeded" => "min" })
      expect(aggregation["custom"]).to equal_wire({ "rows" => [1, 2, 3], "amount" => 15, "items_succeeded" => 48 },
                                                  ordered: true)
    end

    it "offers max, count and merge too" do
      results = dependency_results.merge(
        "process_batch_001" => worker_one.merge("tags" => { "a" => 1 }),
        "process_batch_002" => worker_two.merge("tags" => { "b" => 2 })
      )
      custom = detect(results).aggregate(reducers: { "amount" => "max", "rows" => "count", "tags" => "merge" })["custom"]
      expect(custom).to equal_wire({ "amount" => 10, "rows" => 2, "tags" => { "a" => 1, "b" => 2 } })
    end

    it "rejects an unknown reducer at its field" do
      expect { detect.aggregate(reducers: { "rows" => "median" }) }.to raise_validation_error("invalid_value")
        .at("reducers.rows")
    end
  end

  describe "#converge" do
    let(:failed) { dependency_results.merge("process_batch_002" => { "success" => false }) }

    it "succeeds with complete coverage when every worker finished" do
      convergence = detect.converge
      expect(convergence).to include("status" => "succeeded", "scenario" => "with_batches",
                                     "failure_strategy" => "continue_on_failure", "failed_batches" => [])
      expect(convergence["aggregation"]).to include("total_processed" => 100)
      expect(convergence["coverage"]).to include("complete" => true)
    end

    it "continue_on_failure (the default) succeeds and reports the failed batches" do
      convergence = detect(failed).converge
      expect(convergence["status"]).to eq("succeeded")
      expect(convergence["failed_batches"].map { |b| b["batch_id"] }).to eq(["002"])
    end

    it "fail_fast fails on any failed worker" do
      convergence = detect(failed).converge(failure_strategy: "fail_fast")
      expect(convergence).to include("status" => "failed", "failure_strategy" => "fail_fast")
      expect(convergence["reason"]).to include("process_batch_002")
    end

    it "isolate succeeds and lists the failed batches with their ranges for a re-run" do
      convergence = detect(failed).converge(failure_strategy: :isolate)
      expect(convergence["status"]).to eq("succeeded")
      expect(convergence["failed_batches"]).to match([a_hash_including("name" => "process_batch_002", "batch_id" => "002",
                                                                       "start_cursor" => 50, "end_cursor" => 100)])
    end

    it "passes max_errors and reducers on to the aggregation" do
      convergence = detect.converge(max_errors: 0, reducers: { "amount" => "sum" })
      expect(convergence["aggregation"]).to include("errors" => [], "error_count" => 2, "custom" => { "amount" => 15 })
    end

    it "converges no_batches trivially" do
      scenario = detect({ "analyze" => { "batch_processing_outcome" => { "type" => "no_batches" } },
                          "process_batch_000" => { "success" => false } })
      expect(scenario.converge(failure_strategy: "fail_fast")).to include("status" => "succeeded", "scenario" => "no_batches")
    end

    it "rejects an unknown failure strategy" do
      expect { detect.converge(failure_strategy: "sometimes") }.to raise_validation_error("invalid_value").at("failure_strategy")
    end
  end
end
