# frozen_string_literal: true

require "json"
require "open3"
require "rbconfig"

# Living next to upstream's gem (TaskerBatch::Sealed): with tasker_batch required first, the
# stand-ins of upstream's files (spec/fixtures/upstream) change nothing; loaded the other way
# round, require "tasker_batch" says which file is in the way. Each arrangement runs in a fresh
# Ruby, since loading is global.
RSpec.describe TaskerBatch::Sealed do
  lib = File.expand_path("../../lib", __dir__)
  upstream = File.expand_path("../fixtures/upstream/tasker_core.rb", __dir__)

  run = lambda do |script|
    out, err, status = Open3.capture3(RbConfig.ruby, "-I", lib, "-e", script)
    [out, err, status]
  end

  describe "tasker_batch first, then upstream's files" do
    before(:context) do
      script = <<~RUBY
        require "tasker_batch"
        require #{upstream.inspect}
        step = { "inputs" => { "cursor" => { "batch_id" => "001", "start_cursor" => "2024-01-01T00:00:00Z",
                                             "end_cursor" => "2024-01-02T00:00:00Z", "batch_size" => 0 } } }
        context = TaskerCore::BatchProcessing::BatchWorkerContext
        outcome = TaskerCore::Types::BatchProcessingOutcome
        handler = Class.new(TaskerCore::StepHandler::Batchable).new
        wrong_count = begin
          outcome.from_hash("type" => "create_batches", "worker_template_name" => "w", "worker_count" => 2,
                            "total_items" => 1, "cursor_configs" => [{ "batch_id" => "001", "start_cursor" => 0,
                                                                       "end_cursor" => 1, "batch_size" => 1 }])
          "accepted"
        rescue TaskerCore::BatchProcessing::ValidationError => e
          e.code
        end
        puts JSON.generate(
          "start_cursor" => context.from_step_data(step).start_cursor,
          "no_op_batch_id" => context.from_step_data("inputs" => { "is_no_op" => true }).batch_id,
          "checkpoint_interval" => context.method_defined?(:checkpoint_interval),
          "validate_cursor" => context.private_method_defined?(:validate_cursor!),
          "no_batches" => outcome.no_batches.to_h,
          "no_batches_attributes" => outcome::NoBatches.attribute_names,
          "requires_batch_creation" => outcome.no_batches.requires_batch_creation?,
          "wrong_count" => wrong_count,
          "symbolize" => outcome.respond_to?(:symbolize, true),
          "configs" => handler.create_cursor_configs(5, 4).map { |c| [c["start_cursor"], c["end_cursor"]] },
          "extract_cursor_context" => handler.respond_to?(:extract_cursor_context, true),
          "superclass" => TaskerCore::StepHandler::Batchable.superclass.name,
          "success" => handler.batch_worker_success(items_processed: 1, items_succeeded: 1),
          "capabilities" => handler.capabilities
        )
      RUBY
      out, @stderr, @status = run.call(script)
      @seen = @status.success? ? JSON.parse(out) : {}
    end

    it "loads without an error" do
      expect(@status).to be_success, @stderr
    end

    it "keeps the worker context ours: raw cursors, batch id 000, no upstream extras" do
      expect(@seen).to include("start_cursor" => "2024-01-01T00:00:00Z", "no_op_batch_id" => "000",
                               "checkpoint_interval" => false, "validate_cursor" => false)
    end

    it "keeps the outcomes ours: wire to_h, our attributes, validation" do
      expect(@seen).to include("no_batches" => { "type" => "no_batches" }, "no_batches_attributes" => ["type"],
                               "requires_batch_creation" => false, "wrong_count" => "worker_count_mismatch",
                               "symbolize" => false)
    end

    it "keeps the mixin ours, and upstream's Batchable class is ours on upstream's Base" do
      expect(@seen).to include("configs" => [[0, 2], [2, 4], [4, 5]], "extract_cursor_context" => false,
                               "superclass" => "TaskerCore::StepHandler::Base")
      expect(@seen["success"]).to include("upstream_success" => true)
      expect(@seen["capabilities"]).to eq(%w[process batchable batch_processing parallel_execution cursor_based
                                             deferred_convergence])
    end

    it "warns once per reopened name, naming the file" do
      lines = @stderr.lines.grep(/\Atasker-batch: /)
      reopened = lines.map { |line| line[/reopens (\S+),/, 1] }
      expect(reopened).to contain_exactly(
        "TaskerCore::Types::BatchProcessingOutcome", "TaskerCore::Types::BatchProcessingOutcome::NoBatches",
        "TaskerCore::Types::BatchProcessingOutcome::CreateBatches", "TaskerCore::BatchProcessing::BatchWorkerContext",
        "TaskerCore::StepHandler::Mixins::Batchable"
      )
      expect(lines).to all(include("spec/fixtures/upstream/tasker_core/"))
    end
  end

  describe "upstream's files first, then tasker_batch" do
    it "raises LoadConflict naming the file that defined the name first" do
      _out, err, status = run.call(<<~RUBY)
        require #{upstream.inspect}
        begin
          require "tasker_batch"
        rescue TaskerBatch::Sealed::LoadConflict => e
          puts e.message
          exit 3
        end
      RUBY
      expect(status.exitstatus).to eq(3), err
    end

    it "says which name, which file, and what to do" do
      out, = run.call(<<~RUBY)
        require #{upstream.inspect}
        begin
          require "tasker_batch"
        rescue LoadError => e
          puts e.message
        end
      RUBY
      expect(out).to include("TaskerCore::Types::BatchProcessingOutcome is already defined by",
                             "spec/fixtures/upstream/tasker_core/types/batch_processing_outcome.rb",
                             'require "tasker_batch" before')
    end
  end

  describe "definitions made at run time" do
    it "are left alone: an RSpec stub works, and is removed afterwards" do
      context = TaskerCore::BatchProcessing::BatchWorkerContext
      RSpec::Mocks.with_temporary_scope do
        allow(context).to receive(:from_step_data).and_return(:stubbed)
        expect(context.from_step_data({})).to eq(:stubbed)
      end
      expect(context.from_step_data("inputs" => { "is_no_op" => true }).batch_id).to eq("000")
    end

    it "seal the names of the gem" do
      expect(described_class::NAMES.map { |name| described_class.sealed?(Object.const_get(name)) }).to all(be(true))
    end
  end
end
