# frozen_string_literal: true

require "json"
require "open3"
require "rbconfig"

# The extension's boundary: the typed output path (per-step operations build Ruby objects
# straight from the core's typed output), Native.call_members, and the panic boundary's
# quiet hook.
RSpec.describe "The extension's boundary" do
  include StepFixtures

  per_step = %w[validate_cursor_config validate_batch_metadata validate_worker_inputs worker_context
                update_step_results reset_for_retry]

  describe "per-step operations through Ruby objects" do
    # The typed path must build exactly what the JSON text path says: every vector of these
    # operations, compared with the envelope of the same input.
    ConformanceVectors.files.each do |path|
      ConformanceVectors.cases(path).each do |vector|
        next unless per_step.include?(vector.op)

        it "#{File.basename(path)}: #{vector.name} gives the value of the text path" do
          input = ConformanceVectors.ruby_input(vector.input_text)
          skip(input.reason) if input.is_a?(ConformanceVectors::Unrepresentable)

          envelope = JSON.parse(TaskerBatch::Native.call_json(vector.op, vector.input_text))
          ok, value, warnings = TaskerBatch::Native.call(vector.op, input)
          expect(ok).to eq(envelope["ok"])
          if ok
            expect(value).to eq(envelope["value"])
            expect(warnings).to eq(envelope["warnings"])
            expect(value.keys).to eq(envelope["value"].keys) if value.is_a?(Hash)
          end
        end
      end
    end

    it "keeps integers beyond 64 bits, floats and nested caller data exactly" do
      config = { "batch_id" => "1", "start_cursor" => 2**100, "end_cursor" => (2**100) + 5, "batch_size" => 5,
                 "note" => { "ratio" => 0.5, "big" => -(2**90), "list" => [1.0, nil, true, "x\u00e9"] } }
      ok, value, = TaskerBatch::Native.call("validate_cursor_config", config)
      expect(ok).to be(true)
      expect(value).to eq(config)
      expect(value["note"]["ratio"]).to be_a(Float)
      expect(value["note"]["list"][0]).to be_a(Float)
      expect(value.keys).to all(be_frozen)
    end
  end

  describe "Native.call_members" do
    names = %w[batch_id start_cursor resume_cursor checkpoint no_such_member]
    let(:members) { TaskerBatch::Native::Members.new(names) }
    let(:step) do
      { "inputs" => { "cursor" => { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 } },
        "results" => { "checkpoint_cursor" => 400, "processed_count" => 66 } }
    end

    it "answers the named members, nil for an absent one, and the whole output as a Document" do
      ok, values, warnings = TaskerBatch::Native.call_members("worker_context", step, members)
      expect(ok).to be(true)
      expect(warnings).to eq([])
      whole = TaskerBatch.call(:worker_context, step)
      expect(values[0, 5]).to eq([whole["batch_id"], whole["start_cursor"], whole["resume_cursor"], whole["checkpoint"], nil])
      document = values.last
      expect(document).to be_a(TaskerBatch::Native::Document)
      expect(document.to_ruby).to eq(whole)
      expect(JSON.parse(document.to_json)).to eq(whole)
      expect(document["cursor"]).to eq(whole["cursor"])
    end

    it "answers an error as the other calls do" do
      ok, error, = TaskerBatch::Native.call_members("worker_context", { "inputs" => {} }, members)
      expect(ok).to be(false)
      expect(error).to include("path" => a_kind_of(String), "code" => a_kind_of(String))
    end

    it "is only for per-step operations" do
      ok, error, = TaskerBatch::Native.call_members("partition", {}, members)
      expect(ok).to be(false)
      expect(error).to include("code" => "unknown_operation", "path" => "", "message" => /expected one of/)
    end

    it "builds under GC.stress" do
      previous = GC.stress
      begin
        GC.stress = true
        ok, values, = TaskerBatch::Native.call_members("worker_context", step, members)
        text = values.last.to_json
      ensure
        GC.stress = previous
      end
      expect(ok).to be(true)
      expect(values[3]).to eq(TaskerBatch.call(:worker_context, step)["checkpoint"])
      expect(values[3]).to include("cursor" => 400, "items_processed" => 66)
      expect(JSON.parse(text)["resume_cursor"]).to eq(400)
    end
  end

  describe "BatchWorkerContext.from_step_data" do
    step_class = Struct.new(:inputs, :results)

    it "reads an object step as its Hash, whatever its results hold besides the checkpoint" do
      inputs = { "cursor" => { "batch_id" => "7", "start_cursor" => 0, "end_cursor" => 10, "batch_size" => 10 } }
      results = { "checkpoint_cursor" => 4, "processed_count" => 4, 1 => "not a JSON key", "rows" => [Object.new] }
      from_object = TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step_class.new(inputs, results))
      from_hash = TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(
        { "inputs" => inputs, "results" => { "checkpoint_cursor" => 4, "processed_count" => 4 } }
      )
      expect(from_object.to_h).to eq(from_hash.to_h)
      expect([from_object.batch_id, from_object.resume_cursor, from_object.checkpoint_items_processed,
              from_object.no_op?, from_object.has_checkpoint?, from_object.cursor_kind]).to eq(["7", 4, 4, false, true, "integer"])
      expect(from_object.cursor).to eq(batch_id: "7", start_cursor: 0, end_cursor: 10, batch_size: 10)
    end

    # The context is built member by member (Native.worker_context): to_h, cursor,
    # batch_metadata, the members and the warnings must be what the core's output says, for
    # every worker_context vector, as a Hash step and as an object step.
    vectors = ConformanceVectors.cases(File.join(ConformanceVectors::DIR, "worker_context.json"))
    vectors.each do |vector|
      step = ConformanceVectors.ruby_input(vector.input_text)
      next unless step.is_a?(Hash) && !vector.error?

      it "gives the core's output for #{vector.name}" do
        whole = TaskerBatch.call_with_warnings(:worker_context, step)
        parts = step_class.new(step["inputs"], step["results"])
        [step, parts].each do |given|
          ctx = TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(given)
          next if given.equal?(parts) && step.key?("checkpoint") # the object has no checkpoint method

          expect(ctx.to_h).to eq(whole.value)
          expect(ctx.to_h.keys).to eq(whole.value.keys)
          expect(ctx.to_h["cursor"].keys).to eq(whole.value["cursor"].keys)
          expect(ctx.cursor).to eq(whole.value["cursor"].transform_keys(&:to_sym))
          expect(ctx.batch_metadata).to eq(whole.value["batch_metadata"].transform_keys(&:to_sym))
          expect(ctx.warnings).to eq(whole.warnings) if given.equal?(step)
          expect([ctx.batch_id, ctx.resume_cursor, ctx.checkpoint, ctx.checkpoint_items_processed, ctx.no_op?])
            .to eq([whole.value["batch_id"], whole.value["resume_cursor"], whole.value["checkpoint"],
                    whole.value["checkpoint"] ? whole.value["checkpoint"]["items_processed"] : 0, whole.value["is_no_op"]])
        end
      end
    end

    it "answers the names of a fixed set as frozen Strings, the caller's strings as fresh ones" do
      ctx = TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(
        { "inputs" => { "cursor" => { "batch_id" => "7", "start_cursor" => 0, "end_cursor" => 10, "batch_size" => 10 } },
          "results" => { "checkpoint_cursor" => 4 } }
      )
      expect([ctx.cursor_kind, ctx.failure_strategy, ctx.checkpoint["cursor_kind"]]).to all(be_frozen)
      expect([ctx.batch_id, ctx.cursor_field]).to all(satisfy { |s| !s.frozen? })
    end

    it "reads a context given to new as a Hash" do
      context = TaskerBatch.call(:worker_context,
                                 { "inputs" => { "cursor" => { "batch_id" => "1", "start_cursor" => 1, "end_cursor" => 3,
                                                               "batch_size" => 2 } } })
      ctx = TaskerCore::BatchProcessing::BatchWorkerContext.new(context)
      expect([ctx.batch_id, ctx.end_cursor, ctx.checkpoint_items_processed, ctx.resume_cursor]).to eq(["1", 3, 0, 1])
    end
  end

  describe "the panic boundary" do
    # A lone UTF-16 surrogate once reached a panic in the core (caught, it printed to the host's
    # stderr). The core now carries it as written, and Ruby, which cannot hold it, gets our error;
    # nothing reaches stderr. (tests/panic_hook.rs checks the hook itself.)
    it "prints nothing to stderr, and answers with our error, for a string Ruby cannot hold" do
      script = <<~RUBY
        require "tasker_batch"
        begin
          TaskerBatch.call_text(:validate_cursor_config, '{"batch_id":"1","start_cursor":"\\\\ud800","end_cursor":"b","batch_size":1}')
        rescue TaskerCore::BatchProcessing::Error => e
          puts e.class, e.code
        end
      RUBY
      lib = File.expand_path("../lib", __dir__)
      out, err, status = Open3.capture3({ "RUST_BACKTRACE" => "1" }, RbConfig.ruby, "-I", lib, "-e", script)
      expect(status).to be_success
      expect(err).to eq("")
      expect(out.split).to eq(%w[TaskerCore::BatchProcessing::ValidationError invalid_string])
    end
  end
end
