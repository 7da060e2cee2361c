# frozen_string_literal: true

RSpec.describe TaskerCore::BatchProcessing::BatchWorkerContext do
  include StepFixtures

  let(:cursor) { { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 } }
  let(:metadata) { { "cursor_field" => "row_id", "failure_strategy" => "fail_fast" } }
  let(:inputs) { { "cursor" => cursor, "batch_metadata" => metadata, "is_no_op" => false } }

  def context_of(step)
    described_class.from_step_data(step)
  end

  shared_examples "a worker's context" do
    it "gives the range, the metadata and no checkpoint" do
      expect(context.batch_id).to eq("002")
      expect(context.start_cursor).to eq(334)
      expect(context.end_cursor).to eq(668)
      expect(context.batch_size).to eq(334)
      expect(context.cursor_kind).to eq("integer")
      expect(context.cursor_field).to eq("row_id")
      expect(context.failure_strategy).to eq("fail_fast")
      expect(context.no_op?).to be(false)
      expect(context.is_no_op).to be(false)
      expect(context.resume_cursor).to eq(334)
      expect(context.has_checkpoint?).to be(false)
    end

    it "gives the cursor and the batch metadata with Symbol keys, as upstream's reader" do
      expect(context.cursor).to eq(batch_id: "002", start_cursor: 334, end_cursor: 668, batch_size: 334)
      expect(context.batch_metadata).to eq(cursor_field: "row_id", failure_strategy: "fail_fast")
    end
  end

  describe ".from_step_data with a Hash step, String keys" do
    subject(:context) { context_of("inputs" => inputs) }

    it_behaves_like "a worker's context"
  end

  describe ".from_step_data with a Hash step, Symbol keys (upstream's deep-symbolized inputs)" do
    subject(:context) { context_of(inputs: deep_symbolize(inputs)) }

    it_behaves_like "a worker's context"
  end

  describe ".from_step_data with a step object (inputs, results, checkpoint)" do
    subject(:context) { context_of(StepFixtures::WorkflowStep.new(inputs: inputs, results: {}, checkpoint: nil)) }

    it_behaves_like "a worker's context"
  end

  describe ".from_step_data with a step object that has no checkpoint reader" do
    subject(:context) { context_of(StepFixtures::LegacyStep.new(inputs: inputs, results: nil)) }

    it_behaves_like "a worker's context"
  end

  describe "cursors are raw values (upstream's to_i is the bug this project removes)" do
    it "keeps UUID cursors as strings" do
      ctx = context_of("inputs" => { "cursor" => cursor.merge("start_cursor" => "00000000-0000-0000-0000-000000000000",
                                                             "end_cursor" => "80000000-0000-0000-0000-000000000000") })
      expect(ctx.start_cursor).to eq("00000000-0000-0000-0000-000000000000")
      expect(ctx.end_cursor).to eq("80000000-0000-0000-0000-000000000000")
      expect(ctx.cursor_kind).to eq("uuid")
    end

    it "keeps timestamp cursors as strings (not 2024)" do
      ctx = context_of("inputs" => { "cursor" => cursor.merge("start_cursor" => "2024-01-01T00:00:00Z",
                                                             "end_cursor" => "2024-02-01T00:00:00Z", "batch_size" => 31) })
      expect(ctx.start_cursor).to eq("2024-01-01T00:00:00Z")
      expect(ctx.end_cursor).to eq("2024-02-01T00:00:00Z")
      expect(ctx.cursor_kind).to eq("timestamp")
    end

    it "accepts a Hash (composite key) cursor, key order kept (upstream raised)" do
      ctx = context_of("inputs" => { "cursor" => cursor.merge("start_cursor" => { "region" => "eu", "page" => 0 },
                                                             "end_cursor" => { "region" => "eu", "page" => 9 }) })
      expect(ctx.start_cursor).to eq("region" => "eu", "page" => 0)
      expect(ctx.start_cursor.keys).to eq(%w[region page])
      expect(ctx.cursor_kind).to eq("composite")
    end

    it "keeps integers beyond 64 bits exact" do
      ctx = context_of("inputs" => { "cursor" => cursor.merge("start_cursor" => 2**64, "end_cursor" => 2**64 + 10,
                                                             "batch_size" => 10) })
      expect(ctx.start_cursor).to eq(2**64)
    end
  end

  describe "the no-op placeholder" do
    it "reports batch id \"000\" (upstream said \"unknown\") and the empty range" do
      ctx = context_of("inputs" => { "is_no_op" => true })
      expect(ctx.no_op?).to be(true)
      expect(ctx.batch_id).to eq("000")
      expect([ctx.start_cursor, ctx.end_cursor, ctx.batch_size]).to eq([0, 0, 0])
    end

    it "is read from the expansion's own placeholder inputs" do
      placeholder = { "cursor" => { "batch_id" => "000", "start_cursor" => 0, "end_cursor" => 0, "batch_size" => 0 },
                      "batch_metadata" => metadata, "is_no_op" => true }
      ctx = context_of(StepFixtures::WorkflowStep.new(inputs: placeholder))
      expect([ctx.no_op?, ctx.batch_id]).to eq([true, "000"])
    end
  end

  describe "checkpoint accessors" do
    it "read a checkpoint kept in the results (checkpoint_cursor, processed_count, accumulated_results)" do
      ctx = context_of(StepFixtures::WorkflowStep.new(inputs: inputs, results: { "checkpoint_cursor" => 400, "processed_count" => 66,
                                                                   "accumulated_results" => { "sum" => 12 }, "other" => 1 }))
      expect(ctx.has_checkpoint?).to be(true)
      expect(ctx.checkpoint_cursor).to eq(400)
      expect(ctx.checkpoint_items_processed).to eq(66)
      expect(ctx.accumulated_results).to eq("sum" => 12)
      expect(ctx.resume_cursor).to eq(400)
      expect(ctx.checkpoint).to eq("cursor" => 400, "cursor_kind" => "integer", "items_processed" => 66,
                                   "accumulated_results" => { "sum" => 12 })
    end

    it "read the newer checkpoint field, string keys of a Hash cursor kept" do
      step = StepFixtures::WorkflowStep.new(
        inputs: { "cursor" => cursor.merge("start_cursor" => { "page" => 0, "partition" => "A" },
                                           "end_cursor" => { "page" => 9, "partition" => "A" }) },
        checkpoint: { "cursor" => { "page" => 5, "partition" => "A" }, "items_processed" => 5,
                      "accumulated_results" => { "rows" => 5 } }
      )
      ctx = context_of(step)
      expect(ctx.checkpoint_cursor).to eq("page" => 5, "partition" => "A")
      expect(ctx.checkpoint_items_processed).to eq(5)
      expect(ctx.accumulated_results).to eq("rows" => 5)
      expect(ctx.resume_cursor).to eq("page" => 5, "partition" => "A")
    end

    it "read Symbol-keyed results" do
      ctx = context_of(inputs: inputs, results: { checkpoint_cursor: 500, processed_count: 166 })
      expect([ctx.checkpoint_cursor, ctx.checkpoint_items_processed]).to eq([500, 166])
    end

    it "report nothing without a checkpoint: nil cursor, 0 items, nil accumulated results" do
      ctx = context_of(StepFixtures::WorkflowStep.new(inputs: inputs, results: { "other" => 1 }, checkpoint: nil))
      expect(ctx.has_checkpoint?).to be(false)
      expect(ctx.checkpoint).to be_nil
      expect(ctx.checkpoint_cursor).to be_nil
      expect(ctx.checkpoint_items_processed).to eq(0)
      expect(ctx.accumulated_results).to be_nil
      expect(ctx.resume_cursor).to eq(334)
    end

    it "keep a timestamp checkpoint a string" do
      step = { "inputs" => { "cursor" => cursor.merge("start_cursor" => "2024-01-01T00:00:00Z",
                                                     "end_cursor" => "2024-02-01T00:00:00Z", "batch_size" => 31) },
               "results" => { "checkpoint_cursor" => "2024-01-10T00:00:00Z", "processed_count" => 9 } }
      expect(context_of(step).resume_cursor).to eq("2024-01-10T00:00:00Z")
    end

    it "read a stored checkpoint outside the range as stored, with a warning (a worker can always read its state)" do
      ctx = context_of("inputs" => inputs, "results" => { "checkpoint_cursor" => 9999 })
      expect(ctx.resume_cursor).to eq(9999)
      expect(ctx.warnings.map { |w| w.values_at("code", "path") }).to eq([%w[checkpoint_out_of_range results.checkpoint_cursor]])
    end

    it "read a page token on an integer range as an opaque checkpoint" do
      ctx = context_of("inputs" => inputs, "results" => { "checkpoint_cursor" => "eyJwYWdlIjo1fQ==", "processed_count" => 5 })
      expect([ctx.resume_cursor, ctx.checkpoint["cursor_kind"]]).to eq(["eyJwYWdlIjo1fQ==", "opaque"])
      expect(ctx.warnings.map { |w| w["code"] }).to eq(["opaque_checkpoint"])
    end

    it "reject a stored checkpoint that cannot be read" do
      expect { context_of("inputs" => inputs, "results" => { "checkpoint_cursor" => 5, "processed_count" => "five" }) }
        .to raise_error(TaskerCore::BatchProcessing::ValidationError) { |e| expect(e.path).to eq("results.processed_count") }
    end
  end

  describe "missing pieces are ArgumentErrors, with upstream's messages" do
    it "Missing cursor configuration" do
      expect { context_of("inputs" => {}) }
        .to raise_validation_error("missing_cursor").at("inputs.cursor").with_message(/Missing cursor configuration/)
      expect { context_of(StepFixtures::LegacyStep.new(inputs: nil)) }.to raise_error(ArgumentError, /Missing cursor configuration/)
    end

    it "Missing batch_id" do
      expect { context_of("inputs" => { "cursor" => cursor.reject { |k, _| k == "batch_id" } }) }
        .to raise_validation_error("missing_batch_id").at("inputs.cursor.batch_id").with_message(/Missing batch_id/)
    end

    it "Missing start_cursor" do
      expect { context_of(inputs: { cursor: { batch_id: "001", end_cursor: 5, batch_size: 5 } }) }
        .to raise_error(ArgumentError, /Missing start_cursor/)
    end

    it "Missing end_cursor" do
      expect { context_of(inputs: { cursor: { batch_id: "001", start_cursor: 0, batch_size: 5 } }) }
        .to raise_validation_error("missing_end_cursor").at("inputs.cursor.end_cursor").with_message(/Missing end_cursor/)
    end
  end

  describe "integer ranges are validated" do
    it "rejects mixed cursor kinds" do
      expect { context_of("inputs" => { "cursor" => cursor.merge("end_cursor" => "668") }) }
        .to raise_validation_error("mixed_cursor_kinds").at("inputs.cursor")
    end

    it "rejects a negative cursor" do
      expect { context_of("inputs" => { "cursor" => cursor.merge("start_cursor" => -1, "batch_size" => 669) }) }
        .to raise_validation_error("negative_cursor").at("inputs.cursor.start_cursor")
    end

    it "rejects start after end" do
      expect { context_of("inputs" => { "cursor" => cursor.merge("start_cursor" => 700) }) }
        .to raise_validation_error("invalid_range").at("inputs.cursor")
    end

    it "accepts a zero-length range with a warning" do
      ctx = context_of("inputs" => { "cursor" => cursor.merge("end_cursor" => 334, "batch_size" => 0) })
      expect(ctx.batch_size).to eq(0)
      expect(ctx.warnings).to match([a_hash_including("code" => "zero_length_range")])
    end
  end

  describe "what is not a step" do
    it "rejects nil and objects without #inputs" do
      [nil, 42, Object.new, "inputs"].each do |step|
        expect { context_of(step) }.to raise_validation_error("type_mismatch").at("")
      end
    end
  end

  describe "#to_h" do
    it "is the core's whole worker_context output" do
      expect(context_of("inputs" => inputs).to_h).to include("batch_id" => "002", "cursor_kind" => "integer",
                                                             "has_checkpoint" => false)
    end
  end
end
