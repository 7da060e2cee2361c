# frozen_string_literal: true

module Demo
  # The faults the demo injects on purpose: a worker process killed with SIGKILL after it has
  # written a checkpoint (and, with `kills: 2`, killed again during its resume), and corrupt JSON
  # written into a pending worker's stored results before it runs.
  class Faults
    # Each kill waits until the victim is this far into its range, and until the attempt it
    # kills has written a checkpoint of its own.
    KILL_AT = [0.3, 0.6].freeze

    # What `--corrupt` writes into a pending worker's results column.
    CORRUPTIONS = {
      # A torn write: the text stops inside the object.
      "json" => '{"checkpoint_cursor": 1200, "processed_co',
      # Well-formed JSON, but a checkpoint whose count is not a count: the core cannot read it.
      # (A cursor of another kind would be read as an opaque token, with a warning.)
      "checkpoint" => '{"checkpoint_cursor": 1200, "processed_count": "1200"}'
    }.freeze

    attr_reader :victim

    # `kills`: 0, 1 or 2; `corrupt`: nil or a key of CORRUPTIONS.
    def initialize(store:, kills:, corrupt:)
      @store = store
      @kills = kills
      @corrupt = corrupt
      @kills_sent = 0
    end

    # Chooses among the plan's workers (name => rows in its range) and corrupts now, while every
    # worker is pending. The victim is the second worker, so that it runs in the first wave; the
    # corrupted step is the last one that is not the victim (with one worker: that one, and no
    # kill). Returns a line describing each choice.
    def arm(rows_by_worker)
      workers = rows_by_worker.keys
      candidate = workers[1] || workers[0] if @kills.positive?
      @corrupted = (workers.reverse - [candidate]).first || candidate if @corrupt
      @victim = candidate unless candidate == @corrupted
      @victim_rows = rows_by_worker[@victim]
      @store.overwrite_results(@corrupted, CORRUPTIONS.fetch(@corrupt)) if @corrupted
      choices
    end

    # Kills the victim when it is due: called with the workers' progress
    # ([name, state, attempts, rows done]) and the running processes (pid => step name).
    def watch(progress, running)
      return unless @victim && @kills_sent < @kills

      pid = running.key(@victim)
      _, state, attempt, done = progress.find { |name, *| name == @victim }
      return unless pid && state == "running" && attempt == @kills_sent + 1
      return unless done && done >= KILL_AT[@kills_sent] * @victim_rows
      return unless @store.checkpoint_count(@victim, attempt).positive?

      Process.kill(:KILL, pid)
      @kills_sent += 1
    end

    # Whether the victim got away: it finished before every planned kill was sent.
    def missed?
      @victim && @kills_sent < @kills
    end

    private

    def choices
      lines = []
      if @victim
        at = KILL_AT.first(@kills).map { |fraction| "#{(fraction * 100).round}%" }.join(" and again at ")
        lines << "#{@victim} will be killed with SIGKILL after a checkpoint, at #{at} of its range"
      elsif @kills.positive?
        lines << "no worker to kill (a single worker, and it is the corrupted one)"
      end
      lines << "#{@corrupted}: stored results overwritten with '#{CORRUPTIONS.fetch(@corrupt)}'" if @corrupted
      lines
    end
  end
end
