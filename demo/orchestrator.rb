# frozen_string_literal: true

require "rbconfig"
require_relative "workers/languages"

module Demo
  # Runs the demo workflow on one store: the analyzer and the convergence step in this process,
  # and `parallel` worker processes (`ruby demo/worker.rb`), each with its own connection, that
  # claim the worker steps themselves until none is left: this process hands out nothing. It only
  # keeps the processes running, as a machine's process manager would: a worker process that
  # dies from a signal (the demo's SIGKILL, or any other) has the attempt it held recorded as
  # failed and its step reset for retry, which keeps the checkpoint (up to Store::MAX_ATTEMPTS
  # attempts), and a process that ended while work is left is replaced. A step whose worker
  # vanished without a word (frozen, cut off) is taken over by another worker when its lease
  # expires. A worker that fails otherwise stays failed: bad data does not get better by retrying.
  class Orchestrator
    POLL_SECONDS = 0.02
    RANGES_SHOWN = 4

    # What a run produced: the expansion plan, the convergence step's result, the worker
    # processes started, and the rows in each worker's range.
    # `redrive`: what the redrive did (Redriver::Done), or nil.
    Result = Struct.new(:plan, :convergence, :processes, :rows_by_worker, :redrive, keyword_init: true)

    # `settings` responds to workers, cursor, parallel, checkpoint_every, pace, strategy, lease,
    # languages (those of the worker processes, started in turn), poison and pieces.
    def initialize(store:, log_path:, display:, settings:, faults:)
      @store = store
      @log_path = log_path
      @display = display
      @settings = settings
      @faults = faults
      @running = [] # worker process ids
      @languages = {} # worker process id => its language
      @processes = 0
      @last_event = 0
    end

    def run
      @store.add_step(ANALYZER, "analyzer", "worker_count" => @settings.workers, "cursor" => @settings.cursor)
      @store.add_step(CONVERGENCE, "convergence", "failure_strategy" => @settings.strategy)
      plan = expand(analyze)
      run_workers(plan)
      redrive = redrive_failed(plan)
      convergence = converge(redrive)
      Result.new(plan: plan, convergence: convergence, processes: @processes, rows_by_worker: @rows, redrive: redrive)
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
        "initialization" => initialization(outcome),
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

    # The template's inputs; with --poison, the poison for the first worker's step (demo/redrive.rb).
    def initialization(outcome)
      init = { "checkpoint_every" => @settings.checkpoint_every, "rows_per_second" => @settings.pace }
      first = outcome["cursor_configs"]&.first
      return init unless @settings.poison.positive? && first

      name = "#{WORKER_TEMPLATE}_#{first["batch_id"]}"
      init.merge(Poison::KEY => Poison.entry(name, rows_in("cursor" => first), @settings.poison, @settings.checkpoint_every))
    end

    # With --poison: the failed batches' remainders redriven into children, which the workers run.
    def redrive_failed(plan)
      return nil unless @settings.poison.positive? && plan["scenario"] == "with_batches"

      done = Redriver.new(store: @store, display: @display, pieces: @settings.pieces).redrive(plan)
      run_workers(done.output) if done
      done
    end

    def run_workers(plan)
      @rows = (@rows || {}).merge(plan["workers"].to_h { |worker| [worker["name"], rows_in(worker["inputs"])] })
      @faults.arm(@rows).each { |line| @display.item("faults", line) } if plan["scenario"] == "with_batches"
      # Replacements for processes that end while work is left: enough for every attempt of
      # every step, and not endless when workers cannot start at all.
      @spawns_left = @settings.parallel + (plan["workers"].size * Store::MAX_ATTEMPTS)
      start while @running.size < @settings.parallel
      until @running.empty?
        sleep POLL_SECONDS
        reap
        progress = @store.worker_progress
        @faults.watch(progress)
        show(progress)
      end
      abandon_unfinished
    ensure
      @display.finish
    end

    def converge(redrive)
      redrives = redrive && [redrive.output]
      result = run_inline(CONVERGENCE) do |step|
        SumPrices.new.call(step, @store.dependency_results(CONVERGENCE), redrives: redrives)
      end
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

    # A worker process in `language`, by default the next of the run's languages (in turn).
    def start(language = @settings.languages[@processes % @settings.languages.size])
      pid = Process.spawn(*Languages.command(language, @store.locator, @settings.lease),
                          in: File::NULL, %i[out err] => [@log_path, "a"])
      @faults.spawned(pid, language) if @faults.respond_to?(:spawned)
      @languages[pid] = language
      @processes += 1
      @spawns_left -= 1
      @running << pid
    end

    # Collects the worker processes that ended. A worker records how each of its attempts ended;
    # the attempt of one that could not (killed) is handled here. A process that ended while work
    # is left is replaced, by one in the same language (as a process manager restarts a service).
    def reap
      until @running.empty?
        pid, status = Process.wait2(-1, Process::WNOHANG)
        break unless pid

        @running.delete(pid)
        crashed(pid, status) if status.signaled?
        language = @languages.delete(pid)
        start(language) if @store.work_remaining? && @running.size < @settings.parallel && @spawns_left.positive?
      end
    end

    # The attempt the killed process held failed with it; the retry starts from the results
    # reset_for_retry keeps: the last checkpoint committed before the kill.
    def crashed(pid, status)
      held = @store.held_by(pid.to_s)
      return unless held

      step = @store.step(held.name)
      step.attempts = held.attempts
      signal = "SIG#{Signal.signame(status.termsig)}"
      committed = step.results || {}
      detail = { "pid" => pid, "signal" => signal, "cursor" => committed["checkpoint_cursor"],
                 "processed_count" => committed["processed_count"] || 0 }
      @store.fail(step, "worker process #{pid} killed by #{signal}", event: "killed", detail: detail)
      @store.reset(step, TaskerCore::BatchProcessing.reset_for_retry(step)) if step.attempts < Store::MAX_ATTEMPTS
    rescue StaleAttempt
      nil # the step moved on before the kill was noticed (its lease expired and it was taken over)
    end

    # Worker steps still pending or running when no worker process is left: failed, so that
    # convergence reports them rather than waiting for them.
    def abandon_unfinished
      @store.worker_progress.each do |name, state, *|
        next unless %w[pending running].include?(state)

        @store.mark_failed(name, "no worker process was left to run it (see #{@log_path})", event: "failed")
      end
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

    # Ends the worker processes still running when the run stops early (an error, or Ctrl-C); a
    # frozen one is woken to receive the signal.
    def stop_workers
      @running.each do |pid|
        Process.kill(:TERM, pid)
        Process.kill(:CONT, pid)
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
