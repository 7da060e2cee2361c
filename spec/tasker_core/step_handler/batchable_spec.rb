# frozen_string_literal: true

RSpec.describe "TaskerCore::StepHandler::Batchable" do
  # A handler written against upstream's deprecated base class.
  let(:handler_class) do
    Class.new(TaskerCore::StepHandler::Batchable) do
      def call(context)
        batch = get_batch_context(context)
        no_op = handle_no_op_worker(batch)
        return no_op if no_op

        batch_worker_success(items_processed: batch.end_cursor - batch.start_cursor,
                             items_succeeded: batch.end_cursor - batch.start_cursor)
      end
    end
  end

  let(:cursor) { { "batch_id" => "002", "start_cursor" => 334, "end_cursor" => 668, "batch_size" => 334 } }

  def context_for(inputs)
    StepFixtures::StepContext.new(workflow_step: StepFixtures::WorkflowStep.new(inputs: inputs, results: {}))
  end

  it "is a class that includes the mixin" do
    expect(TaskerCore::StepHandler::Batchable).to be_a(Class)
    expect(TaskerCore::StepHandler::Batchable.ancestors).to include(TaskerCore::StepHandler::Mixins::Batchable)
  end

  it "subclasses Object when no upstream handler base class is loaded" do
    expect(TaskerCore::StepHandler.const_defined?(:Base, false)).to be(false)
    expect(TaskerCore::StepHandler::Batchable.superclass).to be(Object)
  end

  it "runs a handler that inherits from it, unchanged" do
    result = handler_class.new.call(context_for("cursor" => cursor))
    expect(result["result"]).to include("items_processed" => 334, "items_succeeded" => 334)
    expect(result["metadata"]).to eq("batch_worker" => true)
  end

  it "answers the no-op placeholder as the mixin does" do
    expect(handler_class.new.call(context_for("is_no_op" => true))["result"])
      .to eq("batch_id" => "000", "no_op" => true, "processed_count" => 0)
  end

  it "reports the batch capabilities" do
    expect(handler_class.new.capabilities).to include("batchable", "cursor_based", "deferred_convergence")
  end

  it "is not named in the mixin's documentation as a class the gem lacks" do
    source = File.read(File.expand_path("../../../lib/tasker_core/step_handler/mixins/batchable.rb", __dir__))
    expect(source).not_to include("StepHandler::Base")
  end
end
