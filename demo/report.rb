# frozen_string_literal: true

module Demo
  # The summary printed after a run, and its verdict: a run is right when the convergence step
  # succeeded and the aggregation adds up to the dataset exactly, rows and price sum both.
  class Report
    # `result`: the Orchestrator::Result; `events`: the store's step events; `faults`: the
    # Faults the run was given.
    def initialize(manifest:, result:, events:, faults:, parallel:, elapsed:)
      @manifest = manifest
      @result = result
      @events = events
      @faults = faults
      @parallel = parallel
      @elapsed = elapsed
    end

    def converged
      @result.convergence.fetch("result")
    end

    def aggregation
      converged.fetch("aggregation")
    end

    # The price sum of the workers' results (the `sum` reducer of the convergence step).
    def aggregated_cents
      aggregation.dig("custom", "price_cents")
    end

    def ok?
      converged["status"] == "succeeded" && aggregation["total_processed"] == @manifest.rows &&
        aggregated_cents == @manifest.total_cents
    end

    def lines
      rows = [["scenario", scenario]]
      rows += worker_rows if converged["scenario"] == "with_batches"
      rows << ["total", total]
      rows << ["verdict", ok? ? "ok" : "FAILED: #{problems.join("; ")}"]
      rows << ["time", format("%.1f s", @elapsed)]
      rows.map { |label, text| format("  %-13s %s", label, text) }
    end

    private

    def scenario
      return "no_batches: the placeholder worker ran as a no-op; nothing to aggregate" if converged["scenario"] == "no_batches"

      "with_batches, #{converged["failure_strategy"]}: #{converged["status"]}"
    end

    def worker_rows
      processes = Demo.plural(@result.processes, "process", "processes")
      children = @result.redrive ? " and #{Demo.plural(@result.redrive.output["worker_count"], "redriven child", "redriven children")}" : ""
      rows = [["workers", "#{Demo.plural(@result.plan["worker_count"], "step")}#{children}, #{processes} (#{@parallel} at a time)"],
              ["items", items],
              ["success rate", format("%.1f%%", aggregation["success_rate"] * 100)]]
      rows += crash_rows
      rows += takeover_rows
      rows += LanguageReport.rows(@events, @result.plan)
      rows += redrive_rows
      rows += converged["failed_batches"].map { |failed| ["failed", failure(failed)] }
      rows << ["coverage", coverage]
    end

    def items
      counts = aggregation.values_at("total_processed", "total_succeeded", "total_failed", "total_skipped")
      format("%s processed, %s succeeded, %s failed, %s skipped", *counts.map { |n| Demo.count(n) })
    end

    # Each kill with the checkpoint it left, and the resume that followed it.
    def crash_rows
      kills = @events.select { |event| event["event"] == "killed" }
      rows = kills.flat_map do |kill|
        detail = kill["detail"]
        rows = [["crash", "#{kill["step"]} (#{Demo.count(@result.rows_by_worker[kill["step"]])} rows) killed with " \
                          "#{detail["signal"]} in attempt #{kill["attempt"]}, after its checkpoint at cursor " \
                          "#{detail["cursor"].inspect} (#{Demo.count(detail["processed_count"])} rows done)"]]
        resume = @events.find do |event|
          event["event"] == "started" && event["step"] == kill["step"] && event["attempt"] == kill["attempt"] + 1
        end
        rows << ["resume", resumed(resume)] if resume
        rows
      end
      @faults.missed.each do |step, fault|
        rows << ["missed", "#{step} finished before it could be #{fault} " \
                           "(a slower --pace or a smaller --checkpoint-every gives the fault time)"]
      end
      rows.empty? ? [["crash", "none"]] : rows
    end

    # Each step taken over after its lease expired: why the lease lapsed (a freeze, a lost
    # connection), the attempt that took over, and what became of the lapsed attempt's writes.
    def takeover_rows
      @events.select { |event| event["event"] == "reclaimed" }.flat_map do |reclaim|
        step = reclaim["step"]
        detail = reclaim["detail"]
        lapsed = detail["lapsed_attempt"]
        cause = @events.find { |e| e["step"] == step && e["attempt"] == lapsed && %w[frozen disconnected].include?(e["event"]) }
        why = case cause&.fetch("event")
              when "frozen" then "frozen with SIGSTOP"
              when "disconnected" then "its database session ended by the server (pg_terminate_backend)"
              else "silent"
              end
        resume = @events.find { |e| e["event"] == "started" && e["step"] == step && e["attempt"] == reclaim["attempt"] }
        rows = [["lease", "#{step} attempt #{lapsed} (pid #{detail["lapsed_holder"]}): #{why}; its lease expired and " \
                          "attempt #{reclaim["attempt"]} took the step over#{resume ? ", #{resumed(resume).sub(/\Aattempt \d+ /, "")}" : ""}"]]
        fenced = @events.find { |e| e["event"] == "fenced" && e["step"] == step && e["attempt"] == lapsed }
        if fenced
          rows << ["fenced", "#{step} attempt #{lapsed} (pid #{fenced["detail"]["pid"]}), resumed, tried to write its " \
                             "#{fenced["detail"]["write"]}: refused (the step had moved on), and the worker stopped"]
        end
        rows
      end
    end

    # The poisoned parent (how it failed for good, past which checkpoint), what the isolate look
    # listed, and each child of its redrive: its range, who ran it, what it counted.
    def redrive_rows
      done = @result.redrive
      return [] unless done

      rows = done.failed.map do |failed|
        attempts = @events.count { |e| e["step"] == failed["name"] && e["event"] == "failed" }
        ["isolated", "#{failed["name"]} #{Demo.range(failed)} failed for good after #{Demo.plural(attempts, "attempt")}, " \
                     "its last checkpoint at cursor #{failed["checkpoint_cursor"].inspect} " \
                     "(#{Demo.count(failed["processed_count"].to_i)} rows done)"]
      end
      done.output["redriven"].each do |entry|
        rows << ["redriven", "#{WORKER_TEMPLATE}_#{entry["parent_batch_id"]}: #{entry["redrive"]}; its done part " \
                             "#{entry["done"] ? Demo.range(entry["done"]) : "none"} counted from its checkpoint, " \
                             "its remainder #{entry["remainder"] ? Demo.range(entry["remainder"]) : "none"} in " \
                             "#{Demo.plural(entry["child_batch_ids"].size, "child", "children")}"]
      end
      done.output["workers"].each { |worker| rows << ["child", child(worker)] }
      rows
    end

    def child(worker)
      name = worker["name"]
      ran = @events.select { |e| e["step"] == name && e["event"] == "started" }.map { |e| e["detail"]["pid"] }.uniq
      completed = @events.reverse.find { |e| e["step"] == name && e["event"] == "completed" }
      what = completed ? "#{Demo.count(completed["detail"]["items_processed"])} rows, " \
                         "#{Demo.count(completed["detail"]["price_cents"])} cents" : "did not complete"
      "#{name} #{Demo.range(worker["inputs"]["cursor"])} (parent #{worker["inputs"]["cursor"]["parent_batch_id"]}), " \
        "run by pid #{ran.join(", ")}: #{what}"
    end

    def resumed(event)
      detail = event["detail"]
      "attempt #{event["attempt"]} resumed at cursor #{detail["resume_cursor"].inspect} with " \
        "#{Demo.count(detail["processed_count"])} rows and their sum carried over"
    end

    # A failed batch with its range, and why it failed in its own words when it said so.
    def failure(failed)
      error = @events.reverse.find do |event|
        event["step"] == failed["name"] && %w[failed rejected].include?(event["event"])
      end
      "#{failed["name"]} #{Demo.range(failed)}: #{error ? error["detail"]["error"] : failed["reason"]}"
    end

    def coverage
      coverage = converged["coverage"]
      return "not checked" unless coverage["checked"]
      return "complete: no gaps, no overlaps" if coverage["complete"]

      gaps = coverage["gaps"].map { |gap| Demo.range(gap) }
      "INCOMPLETE: #{Demo.plural(gaps.size, "gap")} #{gaps.join(" ")}, " \
        "#{Demo.plural(coverage["overlaps"].size, "overlap")}"
    end

    def total
      relation = aggregated_cents == @manifest.total_cents ? "equal" : "DIFFERENT"
      "#{Demo.count(aggregated_cents.to_i)} cents aggregated, #{Demo.count(@manifest.total_cents)} known: #{relation}; " \
        "#{Demo.count(aggregation["total_processed"])} of #{Demo.count(@manifest.rows)} rows"
    end

    def problems
      processed = aggregation["total_processed"]
      problems = []
      problems << "convergence #{converged["status"]}" unless converged["status"] == "succeeded"
      problems << "rows #{processed} != #{@manifest.rows}" unless processed == @manifest.rows
      problems << "price sum #{aggregated_cents.inspect} != #{@manifest.total_cents}" unless aggregated_cents == @manifest.total_cents
      problems
    end
  end
end
