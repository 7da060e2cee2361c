# frozen_string_literal: true

module Demo
  # The faults the demo injects on purpose, each on a worker step of its own:
  #
  # - kill: the worker process is killed with SIGKILL after it has written a checkpoint (and,
  #   with `kills: 2`, killed again during its resume);
  # - freeze: the worker process is stopped (SIGSTOP) after a checkpoint and held there until its
  #   lease has expired and another worker has taken the step over and checkpointed; then it is
  #   resumed (SIGCONT), and its next write must be refused;
  # - disconnect: the worker's database session is ended by the server (pg_terminate_backend)
  #   after a checkpoint; the worker stops and the step is taken over when its lease expires;
  # - corrupt: corrupt JSON written into a pending worker's stored results before it runs.
  class Faults
    # Each kill waits until the victim is this far into its range, and until the attempt it
    # kills has written a checkpoint of its own. The freeze and the disconnect wait for the first.
    KILL_AT = [0.3, 0.6].freeze

    # What `--corrupt` writes into a pending worker's results column.
    CORRUPTIONS = {
      # A torn write: the text stops inside the object.
      "json" => '{"checkpoint_cursor": 1200, "processed_co',
      # Well-formed JSON, but a checkpoint whose count is not a count: the core cannot read it.
      # (A cursor of another kind would be read as an opaque token, with a warning.)
      "checkpoint" => '{"checkpoint_cursor": 1200, "processed_count": "1200"}'
    }.freeze

    attr_reader :victim, :frozen, :disconnected

    # `kills`: 0, 1 or 2; `freeze`, `disconnect`: booleans; `corrupt`: nil or a key of CORRUPTIONS.
    def initialize(store:, kills:, corrupt:, freeze: false, disconnect: false)
      @store = store
      @kills = kills
      @corrupt = corrupt
      @want_freeze = freeze
      @want_disconnect = disconnect
      @kills_sent = 0
      @thawed = false
      @cut = false
    end

    # Chooses among the plan's workers (name => rows in its range) and corrupts now, while every
    # worker is pending. The kill's victim is the second worker, so that it runs in the first
    # wave; the frozen and the disconnected ones are the next ones free; the corrupted step is the
    # last one left (with one worker: that one, and no other fault). Returns a line describing
    # each choice.
    def arm(rows_by_worker)
      @rows = rows_by_worker
      free = rows_by_worker.keys
      free = free.drop(1) + free.first(1) # the second worker first
      @victim = free.shift if @kills.positive? && free.size > (@corrupt ? 1 : 0)
      @frozen = free.shift if @want_freeze && free.size > (@corrupt ? 1 : 0)
      @disconnected = free.shift if @want_disconnect && free.size > (@corrupt ? 1 : 0)
      @corrupted = free.max if @corrupt
      @store.overwrite_results(@corrupted, CORRUPTIONS.fetch(@corrupt)) if @corrupted
      choices
    end

    # Injects what is due: called with the workers' progress ([name, state, attempts, rows done,
    # holder]).
    def watch(progress)
      by_name = progress.to_h { |name, *rest| [name, rest] }
      kill(by_name[@victim]) if @victim && @kills_sent < @kills
      freeze_or_thaw(by_name[@frozen]) if @frozen && !@thawed
      disconnect(by_name[@disconnected]) if @disconnected && !@cut
    end

    # The faults that did not happen: their victim finished first.
    def missed
      missed = []
      missed << [@victim, "killed"] if @victim && @kills_sent < @kills
      missed << [@frozen, "frozen"] if @frozen && @freeze_pid.nil?
      missed << [@disconnected, "disconnected"] if @disconnected && !@cut
      missed
    end

    private

    # Whether the step is due for a fault in `attempt`: running that attempt, `fraction` into its
    # range, past a checkpoint of that attempt. Its holder's pid, or nil.
    def due(name, (state, attempts, done, holder), attempt, fraction)
      return unless state == "running" && attempts == attempt && holder
      return unless done && done >= fraction * @rows[name]
      return unless @store.checkpoint_count(name, attempt).positive?

      Integer(holder, 10)
    end

    def kill(status)
      pid = due(@victim, status, @kills_sent + 1, KILL_AT[@kills_sent])
      return unless pid

      Process.kill(:KILL, pid)
      @kills_sent += 1
    end

    # Stops the holder once it is due; resumes it when another attempt holds the step and has
    # written a checkpoint (or finished).
    def freeze_or_thaw(status)
      if @freeze_pid.nil?
        @freeze_pid = due(@frozen, status, 1, KILL_AT.first)
        return unless @freeze_pid

        Process.kill(:STOP, @freeze_pid)
        @store.record_event(@frozen, 1, "frozen", "pid" => @freeze_pid, "signal" => "SIGSTOP")
      else
        state, attempts, = status
        return unless attempts > 1
        return unless state == "complete" || @store.checkpoint_count(@frozen, attempts).positive?

        # Logged first: the worker's first act once resumed is its (refused) write.
        @store.record_event(@frozen, 1, "thawed", "pid" => @freeze_pid, "signal" => "SIGCONT",
                                                  "step_attempt" => attempts)
        Process.kill(:CONT, @freeze_pid)
        @thawed = true
      end
    end

    def disconnect(status)
      pid = due(@disconnected, status, 1, KILL_AT.first)
      return unless pid

      ended = @store.terminate_sessions("tasker-batch-worker-#{pid}")
      @store.record_event(@disconnected, 1, "disconnected", "pid" => pid, "sessions" => ended)
      @cut = true
    end

    def choices
      lines = []
      if @victim
        at = KILL_AT.first(@kills).map { |fraction| "#{(fraction * 100).round}%" }.join(" and again at ")
        lines << "#{@victim} will be killed with SIGKILL after a checkpoint, at #{at} of its range"
      end
      if @frozen
        lines << "#{@frozen} will be frozen with SIGSTOP after a checkpoint at 30% of its range, until its lease " \
                 "has expired and another worker has taken it over; then resumed with SIGCONT"
      end
      if @disconnected
        lines << "#{@disconnected} will lose its database session (pg_terminate_backend) after a checkpoint, " \
                 "at 30% of its range"
      end
      skipped = { "kill" => @kills.positive? && !@victim, "freeze" => @want_freeze && !@frozen,
                  "disconnect" => @want_disconnect && !@disconnected }.select { |_, skip| skip }.keys
      lines << "not enough workers for: #{skipped.join(", ")} (one fault per worker)" unless skipped.empty?
      lines << "#{@corrupted}: stored results overwritten with '#{CORRUPTIONS.fetch(@corrupt)}'" if @corrupted
      lines
    end
  end
end
