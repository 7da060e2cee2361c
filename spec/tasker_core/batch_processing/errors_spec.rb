# frozen_string_literal: true

RSpec.describe "TaskerCore::BatchProcessing errors" do
  let(:error_class) { TaskerCore::BatchProcessing::Error }
  let(:validation_error) { TaskerCore::BatchProcessing::ValidationError }

  def bad_call
    TaskerBatch.call(:validate_cursor_config, "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 4_294_967_296,
                                              "batch_size" => 4_294_967_296)
  end

  describe "Error" do
    it "is a StandardError" do
      expect(error_class.ancestors).to include(StandardError)
    end

    it "carries code, path and warnings (frozen) beside its message" do
      error = error_class.new("internal_error: boom", code: "internal_error", path: "", warnings: [{ "code" => "w" }])
      expect(error.message).to eq("internal_error: boom")
      expect([error.code, error.path]).to eq(["internal_error", ""])
      expect(error.warnings).to eq([{ "code" => "w" }])
      expect(error.warnings).to be_frozen
    end

    it "has no warnings unless given" do
      expect(error_class.new("x").warnings).to eq([])
    end
  end

  describe "ValidationError" do
    it "is an ArgumentError, which existing worker code rescues" do
      expect(validation_error.ancestors).to include(ArgumentError)
      rescued = begin
        bad_call
      rescue ArgumentError => e
        e
      end
      expect(rescued).to be_a(validation_error)
    end

    it "is caught by `rescue TaskerCore::BatchProcessing::Error`" do
      rescued = begin
        bad_call
      rescue TaskerCore::BatchProcessing::Error => e
        e
      end
      expect(rescued).to be_an_instance_of(validation_error)
    end

    it "counts as an Error for is_a?, kind_of? and ===" do
      error = validation_error.new("x", code: "c", path: "p")
      expect(error.is_a?(error_class)).to be(true)
      expect(error.kind_of?(error_class)).to be(true) # rubocop:disable Style/ClassCheck
      expect(error_class === error).to be(true) # rubocop:disable Style/CaseEquality
      expect(error.is_a?(ArgumentError)).to be(true)
      expect(error.is_a?(String)).to be(false)
    end

    it "does not make every ArgumentError an Error" do
      expect(error_class === ArgumentError.new("x")).to be(false) # rubocop:disable Style/CaseEquality
    end

    it "exposes the core's code and path, and a message that names both" do
      expect { bad_call }.to raise_error(validation_error) { |e|
        expect(e.code).to eq("out_of_range")
        expect(e.path).to eq("batch_size")
        expect(e.message).to start_with("out_of_range at batch_size: ")
        expect(e.message).to include("4294967296")
        expect(e.warnings).to eq([])
      }
    end

    it "leaves the path out of the message when the input itself is at fault" do
      expect { TaskerBatch.call(:validate_cursor_config, nil) }.to raise_error(validation_error) { |e|
        expect(e.path).to eq("")
        expect(e.message).to start_with("type_mismatch: ")
      }
    end
  end

  describe "internal errors" do
    # A bug in the core cannot be triggered from valid Ruby, so the native answer is stubbed:
    # what matters here is how TaskerBatch maps the code.
    it "are raised as Error itself (not a ValidationError) with code internal_error" do
      allow(TaskerBatch::Native).to receive(:call).and_return(
        [false, { "code" => "internal_error", "message" => "a panic", "path" => "" }, []]
      )
      expect { TaskerBatch.call(:validate_outcome, {}) }.to raise_error(error_class) { |e|
        expect(e).to be_an_instance_of(error_class)
        expect(e).not_to be_a(ArgumentError)
        expect(e.code).to eq("internal_error")
        expect(e.message).to include("a panic")
      }
    end

    it "are not caught by `rescue ArgumentError`" do
      allow(TaskerBatch::Native).to receive(:call).and_return(
        [false, { "code" => "internal_error", "message" => "a panic", "path" => "" }, []]
      )
      expect {
        begin
          TaskerBatch.call(:validate_outcome, {})
        rescue ArgumentError
          nil
        end
      }.to raise_error(error_class)
    end
  end
end
