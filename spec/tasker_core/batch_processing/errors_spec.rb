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
end
