# frozen_string_literal: true

RSpec.describe TaskerCore::BatchProcessing do
  include StepFixtures

  let(:inputs) { { "cursor" => { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 100, "batch_size" => 100 } } }
  let(:results) { { "checkpoint_cursor" => 40, "processed_count" => 40, "note" => "kept" } }

  describe ".update_workflow_step_results" do
    describe "merging" do
      it "merges the changes into the results, other keys kept in place, and returns the new results" do
        step = StepFixtures::WorkflowStep.new(inputs: inputs, results: results)
        new_results = described_class.update_workflow_step_results(
          step, "checkpoint_cursor" => 60, "processed_count" => 60, "accumulated_results" => { "sum" => 3 }
        )
        expect(new_results).to equal_wire({ "checkpoint_cursor" => 60, "processed_count" => 60, "note" => "kept",
                                            "accumulated_results" => { "sum" => 3 } }, ordered: true)
      end

      it "starts from empty results" do
        step = StepFixtures::WorkflowStep.new(inputs: inputs, results: nil)
        expect(described_class.update_workflow_step_results(step, "checkpoint_cursor" => 10, "processed_count" => 10))
          .to eq("checkpoint_cursor" => 10, "processed_count" => 10)
      end

      it "accepts Symbol keys in the changes and the results, and answers with String keys" do
        step = StepFixtures::WorkflowStep.new(inputs: deep_symbolize(inputs), results: deep_symbolize(results))
        expect(described_class.update_workflow_step_results(step, checkpoint_cursor: 50))
          .to eq("checkpoint_cursor" => 50, "processed_count" => 40, "note" => "kept")
      end

      it "needs no range for changes without checkpoint keys" do
        step = StepFixtures::WorkflowStep.new(inputs: nil, results: { "a" => 1 })
        expect(described_class.update_workflow_step_results(step, "b" => 2)).to eq("a" => 1, "b" => 2)
      end
    end

    describe "storing the results on the step" do
      it "sets results on an object with a results writer" do
        step = StepFixtures::WorkflowStep.new(inputs: inputs, results: results)
        returned = described_class.update_workflow_step_results(step, "checkpoint_cursor" => 60)
        expect(step.results).to eq(returned)
        expect(step.results["checkpoint_cursor"]).to eq(60)
      end

      it "sets the results key of a Hash step with String keys" do
        step = { "inputs" => inputs, "results" => results }
        described_class.update_workflow_step_results(step, "processed_count" => 41)
        expect(step["results"]).to include("processed_count" => 41, "note" => "kept")
        expect(step.keys).to eq(%w[inputs results])
      end

      it "sets the results key of a Hash step with Symbol keys" do
        step = { inputs: inputs, results: results }
        described_class.update_workflow_step_results(step, "processed_count" => 41)
        expect(step[:results]).to include("processed_count" => 41)
        expect(step.keys).to eq(%i[inputs results])
      end

      it "adds a results key to a Hash step that had none, in the step's key style" do
        string_step = { "inputs" => inputs }
        symbol_step = { inputs: inputs }
        described_class.update_workflow_step_results(string_step, "checkpoint_cursor" => 1)
        described_class.update_workflow_step_results(symbol_step, "checkpoint_cursor" => 1)
        expect(string_step["results"]).to eq("checkpoint_cursor" => 1)
        expect(symbol_step[:results]).to eq("checkpoint_cursor" => 1)
      end

      it "leaves a step without a results writer alone and still returns the new results" do
        step = StepFixtures::ReadOnlyStep.new(inputs: inputs, results: { "a" => 1 })
        expect(described_class.update_workflow_step_results(step, "b" => 2)).to eq("a" => 1, "b" => 2)
        expect(step.results).to eq("a" => 1)
      end
    end

    describe "checkpoint validation (rejections leave the results unchanged)" do
      def rejected(changes, code, path, step_results: results)
        step = StepFixtures::WorkflowStep.new(inputs: inputs, results: step_results)
        before = deep_copy(step.results)
        expect { described_class.update_workflow_step_results(step, changes) }.to raise_validation_error(code).at(path)
        expect(step.results).to eq(before)
      end

      it "never moves backwards" do
        rejected({ "checkpoint_cursor" => 39 }, "checkpoint_backwards", "changes.checkpoint_cursor")
      end

      it "stays inside [start, end] (the end itself means done)" do
        rejected({ "checkpoint_cursor" => 101 }, "checkpoint_out_of_range", "changes.checkpoint_cursor")
        step = StepFixtures::WorkflowStep.new(inputs: inputs, results: results)
        expect(described_class.update_workflow_step_results(step, "checkpoint_cursor" => 100)).to include("checkpoint_cursor" => 100)
      end

      it "has the range's kind" do
        rejected({ "checkpoint_cursor" => "60" }, "checkpoint_kind_mismatch", "changes.checkpoint_cursor")
      end

      it "never lowers processed_count" do
        rejected({ "processed_count" => 39 }, "processed_count_decreased", "changes.processed_count")
      end

      it "rejects a negative or fractional processed_count" do
        rejected({ "processed_count" => -1 }, "out_of_range", "changes.processed_count")
        rejected({ "processed_count" => 40.5 }, "out_of_range", "changes.processed_count")
      end

      it "needs the worker's range for a checkpoint" do
        step = StepFixtures::WorkflowStep.new(inputs: nil, results: {})
        expect { described_class.update_workflow_step_results(step, "checkpoint_cursor" => 5) }
          .to raise_validation_error("missing_cursor").at("step.inputs.cursor")
        expect(step.results).to eq({})
      end

      it "leaves a Hash step unchanged too" do
        step = { "inputs" => inputs, "results" => results }
        before = deep_copy(step)
        expect { described_class.update_workflow_step_results(step, "checkpoint_cursor" => 1) }
          .to raise_validation_error("checkpoint_backwards")
        expect(step).to eq(before)
      end
    end

    describe "checkpoints of other cursor kinds" do
      it "keeps a UUID checkpoint a string" do
        uuid_inputs = { "cursor" => { "batch_id" => "001", "start_cursor" => "00000000-0000-0000-0000-000000000000",
                                      "end_cursor" => "80000000-0000-0000-0000-000000000000", "batch_size" => 500 } }
        step = StepFixtures::WorkflowStep.new(inputs: uuid_inputs, results: {})
        described_class.update_workflow_step_results(step, "checkpoint_cursor" => "40000000-0000-0000-0000-000000000000")
        expect(step.results["checkpoint_cursor"]).to eq("40000000-0000-0000-0000-000000000000")
      end

      it "compares timestamp checkpoints as instants" do
        ts_inputs = { "cursor" => { "batch_id" => "001", "start_cursor" => "2024-01-01T00:00:00Z",
                                    "end_cursor" => "2024-02-01T00:00:00Z", "batch_size" => 31 } }
        step = StepFixtures::WorkflowStep.new(inputs: ts_inputs, results: { "checkpoint_cursor" => "2024-01-16T00:00:00+02:00" })
        expect { described_class.update_workflow_step_results(step, "checkpoint_cursor" => "2024-01-15T00:00:00Z") }
          .to raise_validation_error("checkpoint_backwards")
        described_class.update_workflow_step_results(step, "checkpoint_cursor" => "2024-01-16T00:00:00Z")
        expect(step.results["checkpoint_cursor"]).to eq("2024-01-16T00:00:00Z")
      end

      it "accepts a composite (Hash) checkpoint" do
        composite = { "cursor" => { "batch_id" => "001", "start_cursor" => { "region" => "us", "page" => 0 },
                                    "end_cursor" => { "region" => "us", "page" => 9 }, "batch_size" => 9 } }
        step = StepFixtures::WorkflowStep.new(inputs: composite, results: nil)
        described_class.update_workflow_step_results(step, checkpoint_cursor: { region: "us", page: 4 })
        expect(step.results["checkpoint_cursor"]).to eq("region" => "us", "page" => 4)
      end
    end
  end

  describe ".reset_for_retry" do
    it "keeps the checkpoint keys and drops the failed attempt's other keys" do
      step = StepFixtures::WorkflowStep.new(
        inputs: inputs,
        results: { "checkpoint_cursor" => 40, "error" => "boom", "processed_count" => 40,
                   "accumulated_results" => [1], "items_processed" => 40 }
      )
      expect(described_class.reset_for_retry(step))
        .to eq("checkpoint_cursor" => 40, "processed_count" => 40, "accumulated_results" => [1])
      expect(step.results).to eq("checkpoint_cursor" => 40, "processed_count" => 40, "accumulated_results" => [1])
    end

    it "starts a step without a checkpoint, or without results, from empty results" do
      expect(described_class.reset_for_retry("results" => { "error" => "boom" })).to eq({})
      expect(described_class.reset_for_retry("results" => nil)).to eq({})
    end

    it "sets the results key of a Hash step" do
      step = { results: { checkpoint_cursor: 5, error: "boom" } }
      described_class.reset_for_retry(step)
      expect(step[:results]).to eq("checkpoint_cursor" => 5)
    end

    it "resumes from the checkpoint: the next worker context starts there" do
      step = StepFixtures::WorkflowStep.new(inputs: inputs, results: { "checkpoint_cursor" => 40, "processed_count" => 40,
                                                                       "error" => "boom" })
      described_class.reset_for_retry(step)
      context = TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step)
      expect([context.resume_cursor, context.checkpoint_items_processed]).to eq([40, 40])
    end
  end

  describe ".partition" do
    it "splits integers by worker count: 1000 over 3 is 334/334/332" do
      configs = described_class.partition(strategy: "integer_by_count", total_items: 1000, worker_count: 3)
      expect(configs.map { |c| [c["batch_id"], c["start_cursor"], c["end_cursor"], c["batch_size"]] })
        .to eq([["001", 0, 334, 334], ["002", 334, 668, 334], ["003", 668, 1000, 332]])
    end

    it "rejects an unknown strategy" do
      expect { described_class.partition(strategy: "by_magic", total_items: 1) }.to raise_validation_error("invalid_value").at("strategy")
    end
  end
end
