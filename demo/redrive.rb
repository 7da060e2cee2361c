# frozen_string_literal: true

module Demo
  # A row the poisoned step cannot get past (see Poison).
  class PoisonedRow < StandardError; end

  # `--poison N`: N rows of the first worker's range, past its first checkpoint, that its step
  # cannot get past. The poison belongs to the step, not to the rows: every attempt of
  # `process_products_001` fails on the first of them (after retries it fails for good), while a
  # new step over the same rows runs them fine. It stands for what redrive is for: a range whose
  # step keeps failing past its checkpoint (a bad host, a range too large for a timeout), whose
  # remainder runs in smaller pieces elsewhere. The rows stay good, so the totals can still equal
  # the dataset's. It travels in the template's initialization (`"poison"`), which the children
  # inherit unchanged: it names the parent's step, which they are not.
  module Poison
    KEY = "poison"

    module_function

    # The initialization entry for the first config's step: N rows from row `from_row` of its
    # range, past `checkpoint_every` rows so that a checkpoint comes first.
    def entry(step_name, range_rows, rows, checkpoint_every)
      from_row = [(range_rows * 2) / 5, checkpoint_every + 1].max
      from_row = [range_rows - rows, 0].max if from_row + rows > range_rows
      { "step" => step_name, "from_row" => from_row, "rows" => rows }
    end

    # Raises PoisonedRow when row `index` (0-based in the range) of step `step` is poisoned.
    def check!(step, index)
      poison = step.inputs[KEY]
      return unless poison && poison["step"] == step.name

      from = poison["from_row"]
      return unless index >= from && index < from + poison["rows"]

      raise PoisonedRow, "poisoned row #{index} of #{step.name}'s range (rows #{from}..#{from + poison["rows"] - 1} " \
                         "are poison to this step)"
    end
  end

  # After the workers of the expansion are done, under `isolate`: what convergence lists as
  # failed is redriven. A look at convergence lists the failed batches; the core's `redrive`
  # (TaskerBatch.call) cuts each one's unfinished remainder, from its last checkpoint, into
  # `pieces` children; the store writes their worker steps and edges in one transaction; the
  # worker processes claim and run them like any step. The convergence step then runs once, with
  # the redrive's output as `redrives`.
  class Redriver
    # What the redrive did: the isolate look at convergence, the failed batches with their
    # checkpoints, and redrive's output.
    Done = Struct.new(:look, :failed, :output, keyword_init: true)

    def initialize(store:, display:, pieces:)
      @store = store
      @display = display
      @pieces = pieces
    end

    # The failed batches of a look at convergence (the convergence step itself is not run), each
    # redriven from its last checkpoint; nil when nothing failed. Writes the children's steps.
    def redrive(plan)
      look = SumPrices.new.call(@store.step(CONVERGENCE), @store.dependency_results(CONVERGENCE))["result"]
      failed = look["failed_batches"]
      @display.item("isolated", "#{CONVERGENCE} (a look, not the step): #{look["reason"] || "no worker failed"}")
      return nil if failed.empty?

      failed = failed.map { |batch| batch.merge(checkpoint_of(batch["name"])) }
      output = TaskerBatch.call(:redrive, "plan" => plan, "failed_batches" => failed, "pieces" => @pieces)
      @store.add_plan(output)
      output["redriven"].each { |entry| @display.item("redrive", describe(entry, output)) }
      Done.new(look: look, failed: failed, output: output)
    end

    private

    # The failed step's last checkpoint, as its results keep it.
    def checkpoint_of(name)
      results = @store.step(name).results || {}
      results.slice("checkpoint_cursor", "processed_count", "accumulated_results")
    end

    def describe(entry, output)
      children = output["cursor_configs"].select { |config| config["parent_batch_id"] == entry["parent_batch_id"] }
      done = entry["done"] ? "done #{Demo.range(entry["done"])} (#{Demo.count(entry["processed_count"])} rows)" : "nothing done"
      "#{WORKER_TEMPLATE}_#{entry["parent_batch_id"]}: #{entry["redrive"]}, #{done}; " \
        "#{Demo.plural(children.size, "child", "children")} #{children.map { |c| "#{c["batch_id"]} #{Demo.range(c)}" }.join(", ")}, " \
        "written with #{Demo.plural(output["edges"].size, "edge")} in one transaction"
    end
  end
end
