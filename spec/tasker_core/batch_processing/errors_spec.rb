# frozen_string_literal: true

RSpec.describe "TaskerCore::BatchProcessing errors" do
  let(:error_module) { TaskerCore::BatchProcessing::Error }
  let(:internal_error) { TaskerCore::BatchProcessing::InternalError }
  let(:validation_error) { TaskerCore::BatchProcessing::ValidationError }

  def bad_call
    TaskerBatch.call(:validate_cursor_config, "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 4_294_967_296,
                                              "batch_size" => 4_294_967_296)
  end

  def rescued(klass)
    yield
    nil
  rescue klass => e
    e
  end

  # The core's answer for a bug, which valid Ruby cannot trigger: what matters here is how
  # TaskerBatch maps the code.
  def stub_internal_error
    allow(TaskerBatch::Native).to receive(:call).and_return(
      [false, { "code" => "internal_error", "message" => "a panic", "path" => "" }, []]
    )
  end

  describe "the tree" do
    it "is a module included by both error classes" do
      expect(error_module).to be_an_instance_of(Module)
      expect(internal_error.ancestors).to include(error_module, StandardError)
      expect(validation_error.ancestors).to include(error_module, ArgumentError, StandardError)
    end

    it "makes ValidationError an ArgumentError and InternalError not one" do
      expect(validation_error <= ArgumentError).to be(true)
      expect(internal_error <= ArgumentError).to be_nil
    end

    it "answers <= and ancestors the way rescue and is_a? do" do
      [internal_error, validation_error].each do |klass|
        error = klass.new("x", code: "c", path: "p")
        expect(klass <= error_module).to be(true)
        expect(klass.ancestors).to include(error_module)
        expect(error).to be_a(error_module)
        expect(error_module === error).to be(true) # rubocop:disable Style/CaseEquality -- what `rescue` asks
        expect(rescued(error_module) { raise error }).to be(error)
      end
    end

    it "does not make every ArgumentError an Error" do
      plain = ArgumentError.new("x")
      expect(plain).not_to be_a(error_module)
      expect(ArgumentError <= error_module).to be_nil
      expect(rescued(ArgumentError) { rescued(error_module) { raise plain } }).to be(plain)
    end

    it "keeps the classes distinct: neither is the other" do
      expect(validation_error <= internal_error).to be_nil
      expect(internal_error <= validation_error).to be_nil
    end
  end

  describe "ValidationError" do
    it "is rescued by `rescue ArgumentError`, which existing worker code uses" do
      expect(rescued(ArgumentError) { bad_call }).to be_an_instance_of(validation_error)
    end

    it "is rescued by `rescue TaskerCore::BatchProcessing::Error`" do
      expect(rescued(error_module) { bad_call }).to be_an_instance_of(validation_error)
    end

    it "exposes the core's code and path" do
      error = rescued(validation_error) { bad_call }
      expect([error.code, error.path]).to eq(%w[out_of_range batch_size])
      expect(error.message).to include("4294967296")
      expect(error.warnings).to eq([])
    end
  end

  describe "InternalError" do
    it "is what the core's internal_error becomes" do
      stub_internal_error
      error = rescued(error_module) { TaskerBatch.call(:validate_outcome, {}) }
      expect(error).to be_an_instance_of(internal_error)
      expect(error.code).to eq("internal_error")
      expect(error.message).to include("a panic")
    end

    it "is not rescued by `rescue ArgumentError`" do
      stub_internal_error
      expect { rescued(ArgumentError) { TaskerBatch.call(:validate_outcome, {}) } }.to raise_error(internal_error)
    end
  end

  describe "the details" do
    it "carries code, path and warnings (frozen) beside the message" do
      error = internal_error.new("boom", code: "internal_error", path: "", warnings: [{ "code" => "w" }])
      expect(error.message).to eq("boom")
      expect([error.code, error.path]).to eq(["internal_error", ""])
      expect(error.warnings).to eq([{ "code" => "w" }])
      expect(error.warnings).to be_frozen
    end

    it "has no warnings unless given" do
      expect(validation_error.new("x").warnings).to eq([])
    end
  end

  describe "the message" do
    let(:step) { { "inputs" => { "cursor" => { "start_cursor" => 0, "end_cursor" => 10, "batch_size" => 10 } } } }
    let(:warning) { { "code" => "non_canonical_spelling", "message" => "w", "path" => "batch_metadata.failure_strategy" } }

    def context_error
      rescued(validation_error) { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step) }
    end

    it "is the core's message as it is: no code or path added" do
      _ok, envelope_error, = TaskerBatch::Native.call("worker_context", step)
      error = context_error
      expect(error.message).to eq(envelope_error["message"])
      expect(error.message).not_to include("missing_batch_id")
      expect([error.code, error.path]).to eq(%w[missing_batch_id inputs.cursor.batch_id])
    end

    it "keeps the warnings the core reported beside the error" do
      allow(TaskerBatch::Native).to receive(:call).and_return(
        [false, { "code" => "invalid_value", "message" => "core text", "path" => "x" }, [warning]]
      )
      error = rescued(validation_error) { TaskerBatch.call(:validate_outcome, {}) }
      expect(error.message).to eq("core text")
      expect(error.warnings).to eq([warning])
    end

    it "is shown by inspect with code, path and warnings" do
      error = validation_error.new("Missing batch_id", code: "missing_batch_id", path: "inputs.cursor.batch_id",
                                                       warnings: [warning])
      expect(error.inspect).to eq(
        "#<TaskerCore::BatchProcessing::ValidationError: Missing batch_id " \
        "code=\"missing_batch_id\" path=\"inputs.cursor.batch_id\" warnings=#{[warning].inspect}>"
      )
    end

    it "is shown by full_message with the details on the next line, before the backtrace" do
      error = context_error
      lines = error.full_message(highlight: false, order: :top).lines
      expect(lines[0]).to include(error.message, "(TaskerCore::BatchProcessing::ValidationError)")
      expect(lines[1]).to eq("code=\"missing_batch_id\" path=\"inputs.cursor.batch_id\" warnings=[]\n")
      expect(lines[2]).to start_with("\tfrom ")
      expect(error.message).not_to include("code=")
    end

    it "leaves the exception itself unchanged by full_message" do
      error = context_error
      before = [error.message, error.backtrace]
      error.full_message
      expect([error.message, error.backtrace]).to eq(before)
      expect(error.full_message(highlight: false, order: :bottom)).to include("path=\"inputs.cursor.batch_id\"")
    end

    it "is the same for the errors the Ruby layer raises itself" do
      error = rescued(validation_error) { TaskerCore::BatchProcessing.update_workflow_step_results(Object.new, {}) }
      expect(error.code).to eq("type_mismatch")
      expect(error.message).to start_with("expected a workflow step")
    end
  end
end
