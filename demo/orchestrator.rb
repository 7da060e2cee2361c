# frozen_string_literal: true

require "rbconfig"

module Demo
  # Runs the demo workflow on one store: the analyzer and the convergence step in this process,
  # every worker attempt as a child process (`ruby demo/worker.rb`), at most `parallel` at a time.
  # A worker process that dies from a signal (the demo's SIGKILL, or any other) has its attempt
  # recorded as failed and its step reset for retry, which keeps the checkpoint, and runs again,
  # up to MAX_ATTEMPTS attempts. A worker that fails otherwise stays failed: bad data does not get
  # better by retrying.
  class Orchestrator
    MAX_ATTEMPTS = 3
    POLL_SECONDS = 0.02
    WORKER_SCRIPT = File.expand_path("worker.rb", __dir__)
    RANGES_SHOWN = 4

    # What a run produced: the expansion plan, the convergence step's result, the worker
    # processes started, and the rows in each worker's range.
    Result = Struct.new(:plan, :convergence, :processes, :rows_by_worker, keyword_init: true)

    # `settings` responds to workers, cursor, parallel, checkpoint_every, pace and strategy.
    def initialize(store:, db_path:, log_path:, display:, settings:, faults:)
      @store = store
      @db_path = db_path
      @log_path = log_path
      @display = display
      @settings = settings
      @faults = faults
      @running = {} # pid => worker step name
      @processes = 0
      @last_event = 0
    end

    def run
      @store.add_step(ANALYZER, "analyzer", "worker_count" => @settings.workers, "cursor" => @settings.cursor)
      @store.add_step(CONVERGENCE, "convergence", "failure_strategy" => @settings.strategy)
      plan = expand(analyze)
      run_workers(plan)
      convergence = converge
      Result.new(plan: plan, convergence: convergence, processes: @processes, rows_by_worker: @rows)
    ensure
      stop_workers
    end

    private

    def analyze
      result = run_inline(ANALYZER) { |step| AnalyzeProducts.new(@store).call(step) }
      outcome = result.dig("result", "batch_processing_outcome")
      text = if outcome["type"] == "no_batches"
               "no_batches (#{result.dig("result", "reason")})"
             else
               "create_batches, #{Demo.plural(outcome["worker_count"], "range")}: #{ranges(outcome["cursor_configs"])}"
             end
      @display.item("analyzer", "#{ANALYZER}: #{text}")
      outcome
    end

    # The core turns the outcome into worker steps and edges; the store writes them in one
    # transaction.
    def expand(outcome)
      plan = TaskerBatch.call(
        :expand_outcome,
        "batchable_step_name" => ANALYZER, "worker_template_name" => WORKER_TEMPLATE,
        "convergence_step_names" => [CONVERGENCE], "outcome" => outcome,
        "initialization" => { "checkpoint_every" => @settings.checkpoint_every, "rows_per_second" => @settings.pace },
        "batch_metadata" => { "cursor_field" => "id", "failure_strategy" => @settings.strategy }
      )
      @store.add_plan(plan)
      steps = if plan["scenario"] == "no_batches"
                "the placeholder #{plan["workers"].first["name"]} (is_no_op)"
              else
                Demo.plural(plan["worker_count"], "worker step")
              end
      @display.item("expansion", "#{steps} and #{Demo.plural(plan["edges"].size, "edge")}, written in one transaction")
      plan
    end

    def run_workers(plan)
      @rows = plan["workers"].to_h { |worker| [worker["name"], rows_in(worker["inputs"])] }
      @faults.arm(@rows).each { |line| @display.item("faults", line) } if plan["scenario"] == "with_batches"
      queue = @rows.keys
      until queue.empty? && @running.empty?
        start(queue.shift) while @running.size < @settings.parallel && !queue.empty?
        sleep POLL_SECONDS
        reap(queue)
        progress = @store.worker_progress
        @faults.watch(progress, @running)
        show(progress)
      end
    ensure
      @display.finish
    end

    def converge
      result = run_inline(CONVERGENCE) { |step| SumPrices.new.call(step, @store.dependency_results(CONVERGENCE)) }
      converged = result["result"]
      why = converged["reason"] ? "; #{converged["reason"]}" : " (#{converged["failure_strategy"]})"
      @display.item("converged", "#{CONVERGENCE}: #{converged["scenario"]}, #{converged["status"]}#{why}")
      result
    end

    # Runs a step in this process: claim, call, store its result.
    def run_inline(name)
      step = @store.claim(name)
      result = yield step
      @store.finish(step, result)
      result
    end

    def rows_in(inputs)
      return 0 if inputs["is_no_op"]

      @store.product_count(from: inputs.dig("cursor", "start_cursor"), before: inputs.dig("cursor", "end_cursor"))
    end

    def start(name)
      pid = Process.spawn(RbConfig.ruby, WORKER_SCRIPT, @db_path, name,
                          in: File::NULL, %i[out err] => [@log_path, "a"])
      @processes += 1
      @running[pid] = name
    end

    # Collects the worker processes that ended. A worker records how its attempt ended; one that
    # could not (killed, or gone without a word) is handled here.
    def reap(queue)
      until @running.empty?
        pid, status = Process.wait2(-1, Process::WNOHANG)
        break unless pid

        name = @running.delete(pid)
        next if %w[complete failed].include?(@store.state_of(name).first)

        if status.signaled?
          crashed(name, pid, status, queue)
        else
          @store.mark_failed(name, "worker process #{pid} exited with status #{status.exitstatus} " \
                                   "without finishing its step (see #{@log_path})", event: "failed")
        end
      end
    end

    # The attempt failed with the process; the retry starts from the results reset_for_retry
    # keeps: the last checkpoint committed before the kill.
    def crashed(name, pid, status, queue)
      step = @store.step(name)
      signal = "SIG#{Signal.signame(status.termsig)}"
      committed = step.results || {}
      detail = { "pid" => pid, "signal" => signal, "cursor" => committed["checkpoint_cursor"],
                 "processed_count" => committed["processed_count"] || 0 }
      @store.fail(step, "worker process #{pid} killed by #{signal}", event: "killed", detail: detail)
      return if step.attempts >= MAX_ATTEMPTS

      @store.reset(step, TaskerCore::BatchProcessing.reset_for_retry(step))
      queue.unshift(name)
    end

    def show(progress)
      @store.events_after(@last_event).each do |event|
        @last_event = event["id"]
        @display.event(event) if @rows.key?(event["step"])
      end
      @display.progress(progress.map do |name, state, attempts, done|
        WorkerProgress.new(name, state, attempts, done.to_i, @rows[name])
      end)
    end

    # Ends the worker processes still running when the run stops early (an error, or Ctrl-C).
    def stop_workers
      @running.each_key do |pid|
        Process.kill(:TERM, pid)
        Process.wait(pid)
      rescue Errno::ESRCH, Errno::ECHILD
        next
      end
      @running.clear
    end

    def ranges(configs)
      shown = configs.first(RANGES_SHOWN).map { |config| Demo.range(config) }
      shown << "..." if configs.size > RANGES_SHOWN
      shown.join(" ")
    end
  end

end
