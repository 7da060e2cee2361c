# frozen_string_literal: true

require_relative "batch_processing/step_data"
require_relative "batch_processing/batch_worker_context"
require_relative "batch_processing/batch_aggregation_scenario"

module TaskerCore
  # Worker-side batch processing: reading a worker's context, checkpointing, retry, and the
  # convergence step's scenario detection and aggregation. Every rule is decided in Rust.
  module BatchProcessing
    module_function

    # Validates `changes` (a checkpoint: `checkpoint_cursor` of the range's kind, inside the
    # range, never backwards; `processed_count` never decreasing) and merges them into the
    # step's results, other keys kept. Sets `workflow_step.results` when it is writable (a Hash
    # step gets its results key set) and returns the new results. On any error the step is
    # left unchanged.
    def update_workflow_step_results(workflow_step, changes)
      step = StepData.read(workflow_step)
      # Native.call directly (TaskerBatch.call without its Result): a worker checkpoints often.
      results = TaskerBatch.checked(*TaskerBatch::Native.call(UPDATE_STEP_RESULTS, { "step" => step, "changes" => changes }))
      StepData.write_results(workflow_step, results)
      results
    end

    UPDATE_STEP_RESULTS = "update_step_results"
    private_constant :UPDATE_STEP_RESULTS

    # Prepares a failed step for its retry: keeps the checkpoint keys of its results and drops
    # the failed attempt's other keys, so that the retry resumes from the last checkpoint. Sets
    # the step's results when writable and returns them.
    def reset_for_retry(workflow_step)
      step = StepData.read(workflow_step)
      results = TaskerBatch.call(:reset_for_retry, step)
      StepData.write_results(workflow_step, results)
      results
    end

    # The plan for an outcome: worker steps named `{template}_{batch_id}` with their inputs,
    # and the edges. All or nothing: an invalid outcome raises and gives no plan. See the
    # `expand_outcome` operation in docs/operations.md.
    def expand_outcome(batchable_step_name:, outcome:, worker_template_name: nil, convergence_step_names: [],
                       initialization: {}, batch_metadata: nil)
      outcome = outcome.to_h if TaskerBatch::Plain.struct?(outcome)
      request = {
        "batchable_step_name" => batchable_step_name, "outcome" => outcome,
        "worker_template_name" => worker_template_name, "convergence_step_names" => convergence_step_names,
        "initialization" => initialization, "batch_metadata" => batch_metadata
      }.compact
      TaskerBatch.call(:expand_outcome, request)
    end

    # Splits a key space into cursor configs: a TaskerBatch::CursorConfigList (an Enumerable
    # of wire Hashes, built only when looked at). `strategy:` is one of "integer_by_count",
    # "integer_by_size", "uuid", "timestamp", "boundaries"; see docs/operations.md for each
    # strategy's keys.
    def partition(**request)
      TaskerBatch::CursorConfigList.new(TaskerBatch.call_lazy(:partition, request).value)
    end
  end
end
