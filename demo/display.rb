# frozen_string_literal: true

require "io/console"

module Demo
  # One worker's progress: rows done (from its last checkpoint) of the rows in its range.
  WorkerProgress = Struct.new(:name, :state, :attempts, :done, :rows) do
    def batch_id
      name.split("_").last
    end

    def fraction
      rows.to_i.zero? ? 1.0 : [done.to_f / rows, 1.0].min
    end
  end

  # What the demo prints while it runs. Always lines: the steps of the lifecycle and the workers'
  # events, one per line. On a terminal also a status line under them, redrawn in place, with
  # each running worker's progress; elsewhere (a pipe, a log, CI) nothing is ever redrawn.
  class Display
    BAR_WIDTH = 12
    REDRAW_SECONDS = 0.1

    def initialize(io = $stdout, tty: io.tty?)
      @io = io
      @tty = tty
      @status = nil
      @drawn_at = 0.0
      @started = Process.clock_gettime(Process::CLOCK_REALTIME)
    end

    # Times the events that follow from now (each run starts its own clock).
    def restart_clock
      @started = Process.clock_gettime(Process::CLOCK_REALTIME)
    end

    # Prints a line; on a terminal it goes above the status line.
    def line(text = "")
      clear_status
      @io.puts(text)
      draw_status
    end

    # Prints a labelled line: "  dataset    products.csv: ...".
    def item(label, text)
      line(format("  %-10s %s", label, text))
    end

    # Prints a step event from the store (see Store#events_after), timed from the start of the run.
    # Checkpoints are not printed: the status line shows them.
    def event(event)
      text = describe(event)
      line(format("  %8.2fs  %s", event["at"] - @started, text)) if text
    end

    # Redraws the status line (on a terminal only, at most every REDRAW_SECONDS).
    def progress(workers)
      return unless @tty

      now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      return if now - @drawn_at < REDRAW_SECONDS

      @drawn_at = now
      clear_status
      @status = fit(status_text(workers))
      draw_status
    end

    # Removes the status line for good.
    def finish
      clear_status
      @status = nil
    end

    private

    def describe(event)
      step = event["step"]
      detail = event["detail"]
      case event["event"]
      when "started"
        warnings = Array(detail["warnings"]).map { |warning| "; warning: #{warning}" }.join
        "#{step} started (attempt #{event["attempt"]}, pid #{detail["pid"]}) #{start_point(detail)}#{warnings}"
      when "completed" then "#{step} completed: #{completion(detail)}"
      when "killed"
        "#{step} killed with #{detail["signal"]} (pid #{detail["pid"]}); last checkpoint: #{checkpoint(detail)}"
      when "reset"
        "#{step} reset for retry: kept #{list(detail["kept"])}; dropped #{list(detail["dropped"])}"
      when "failed" then "#{step} failed: #{detail["error"]}"
      when "rejected" then "#{step} not run: #{detail["error"]}"
      when "frozen", "thawed"
        "#{step} attempt #{event["attempt"]}: worker pid #{detail["pid"]} #{event["event"]} with #{detail["signal"]}"
      when "disconnected"
        "#{step} attempt #{event["attempt"]}: the server ended worker pid #{detail["pid"]}'s session (pg_terminate_backend)"
      when "reclaimed"
        "#{step} reclaimed (attempt #{event["attempt"]}): attempt #{detail["lapsed_attempt"]}'s lease expired " \
          "(pid #{detail["lapsed_holder"]}); kept #{list(detail["kept"])}; dropped #{list(detail["dropped"])}"
      when "fenced"
        "#{step} attempt #{event["attempt"]} (pid #{detail["pid"]}): its #{detail["write"]} was refused, the step " \
          "has moved on; the worker stops"
      end
    end

    def start_point(detail)
      return "at cursor #{detail["resume_cursor"].inspect}" if detail["processed_count"].zero?

      "resuming at cursor #{detail["resume_cursor"].inspect} with #{Demo.count(detail["processed_count"])} rows already done"
    end

    def completion(detail)
      return "no-op (the no_batches placeholder)" if detail["no_op"]

      "#{Demo.count(detail["items_processed"])} rows, #{Demo.count(detail["price_cents"])} cents"
    end

    def checkpoint(detail)
      return "none" if detail["cursor"].nil?

      "cursor #{detail["cursor"].inspect}, #{Demo.count(detail["processed_count"])} rows"
    end

    def list(keys)
      keys.empty? ? "nothing" : keys.join(", ")
    end

    def status_text(workers)
      finished = workers.count { |worker| %w[complete failed].include?(worker.state) }
      running = workers.select { |worker| worker.state == "running" }.map do |worker|
        filled = (worker.fraction * BAR_WIDTH).round
        retry_note = worker.attempts > 1 ? " (attempt #{worker.attempts})" : ""
        format("%s %s%s %3d%%%s", worker.batch_id, "█" * filled, "░" * (BAR_WIDTH - filled),
               (worker.fraction * 100).floor, retry_note)
      end
      elapsed = Process.clock_gettime(Process::CLOCK_REALTIME) - @started
      format("  %8.2fs  %d/%d workers done   %s", elapsed, finished, workers.size, running.join("   "))
    end

    def fit(text)
      width = @io.winsize[1]
      width < 20 || text.length < width ? text : "#{text[0, width - 2]}…"
    rescue StandardError # no usable terminal size
      text
    end

    def clear_status
      @io.print("\r\e[2K") if @tty && @status
    end

    def draw_status
      return unless @tty && @status

      @io.print(@status)
      @io.flush
    end
  end

  # 1234567 -> "1,234,567".
  def self.count(number)
    number.to_s.reverse.scan(/\d{1,3}/).join(",").reverse
  end

  # A cursor for a one-line summary: integers as they are, UUIDs by their first 8 digits, an
  # open end as "end".
  def self.cursor(value)
    case value
    when nil then "end"
    when String then value.length == 36 ? "#{value[0, 8]}…" : value
    else value.to_s
    end
  end

  # The range of anything with start_cursor and end_cursor: "[0, 1000)", "[c0000000…, end)".
  def self.range(hash)
    "[#{cursor(hash["start_cursor"])}, #{cursor(hash["end_cursor"])})"
  end

  # (1, "worker") -> "1 worker"; (4, "worker") -> "4 workers"; (2, "process", "processes").
  def self.plural(number, one, many = "#{one}s")
    "#{count(number)} #{number == 1 ? one : many}"
  end
end
