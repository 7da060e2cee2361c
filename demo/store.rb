# frozen_string_literal: true

require "json"

module Demo
  # A step whose stored data cannot be used: it is not run.
  class UnusableStep < StandardError; end

  # Stored JSON that cannot be used: it does not parse, or it is not the object the column holds.
  # Says which step, which column and what was found; nothing is read from the step, so it is
  # never run with made-up data.
  class CorruptStepData < UnusableStep
    attr_reader :step_name, :column, :reason

    def initialize(step_name, column, detail)
      @step_name = step_name
      @column = column
      detail = "#{detail[0, 160]}..." if detail.length > 160
      @reason = "the #{column} column holds corrupt JSON: #{detail}"
      super("#{step_name}: #{@reason}")
    end
  end

  # A write from an attempt that no longer owns its step (it was reset, reclaimed after its lease
  # expired, or finished elsewhere): the store refused it. The attempt stops.
  class StaleAttempt < StandardError; end

  # A workflow step as the gem reads it (`inputs`, `results`, `checkpoint`: parsed JSON) plus the
  # row's bookkeeping: the attempt that holds it, and the lease (seconds) that attempt renews with
  # every write. The gem sets `results` on this copy; only the store writes the row.
  StepRecord = Struct.new(:name, :role, :state, :attempts, :inputs, :results, :checkpoint, :error, :lease,
                          keyword_init: true)

  # What a worker's claim took: the step's name and new attempt, its row (parsed by #step, which
  # raises CorruptStepData), and, when the claim took over a running step whose lease had expired,
  # that attempt's number, holder and lease deadline.
  Claim = Struct.new(:name, :attempts, :lease, :row, :reclaimed, keyword_init: true) do
    def step
      Store.record(row.merge("name" => name, "attempts" => attempts, "state" => "running"), lease: lease)
    end

    # The step with nothing read from its JSON, for refusing it.
    def bare
      StepRecord.new(name: name, attempts: attempts, state: "running", lease: lease)
    end
  end

  # The demo's stores share one interface, so that the orchestrator, the handlers and the
  # workers have one code path (demo/README.md, "The store"):
  #
  # - SqliteStore (demo/sqlite_store.rb): an embedded file, no server; the default.
  # - PostgresStore (demo/postgres_store.rb): JSONB columns, claims with FOR UPDATE SKIP LOCKED.
  #
  # `Store.open(locator)` opens either from its locator (a file path, or a postgresql:// URL), which
  # is what worker processes are given. The writes that both stores share are here: each one is a
  # fenced write of the attempt the step record holds (Store#write_attempt, per store).
  module Store
    JSON_COLUMNS = %w[inputs results checkpoint].freeze
    # How many attempts a worker step gets (the first and two retries).
    MAX_ATTEMPTS = 3

    module_function

    def open(locator, name: nil)
      if locator.start_with?("postgres://", "postgresql://")
        require_relative "postgres_store"
        PostgresStore.new(locator, application_name: name)
      else
        require_relative "sqlite_store"
        SqliteStore.new(locator)
      end
    end

    # A StepRecord from a row (column name => value, the JSON columns as text).
    def record(values, lease: nil)
      values = values.dup
      JSON_COLUMNS.each { |column| values[column] = parse(values["name"], column, values[column]) if values.key?(column) }
      StepRecord.new(**values.transform_keys(&:to_sym), lease: lease)
    end

    # Parses a JSON column. Every one of them holds an object (or nothing, for results and
    # checkpoint): anything else is corrupt.
    def parse(step_name, column, text)
      return nil if text.nil?

      value = JSON.parse(text)
      return value if value.is_a?(Hash)

      raise CorruptStepData.new(step_name, column, "#{json_kind(value)} where an object belongs: #{text}")
    rescue JSON::ParserError => e
      # The json gem prefixes its C source line ("859: unexpected token at ...").
      raise CorruptStepData.new(step_name, column, e.message.sub(/\A\d+: /, ""))
    end

    def json_kind(value)
      case value
      when String then "a JSON string"
      when Array then "a JSON array"
      when nil then "JSON null"
      else "a JSON #{value.class.name.downcase}"
      end
    end

    # The writes of a worker attempt, the same on every store. Each is fenced: it lands only while
    # the step is still running that attempt, and renews the attempt's lease.
    module AttemptWrites
      # Persists a checkpoint: the results update_workflow_step_results returned, the same
      # checkpoint in the `checkpoint` column, and its event, at once.
      def save_checkpoint(step, results)
        checkpoint = { "cursor" => results["checkpoint_cursor"], "items_processed" => results["processed_count"],
                       "accumulated_results" => results["accumulated_results"] }
        write_attempt(step, { "results" => results, "checkpoint" => checkpoint },
                      "checkpoint", checkpoint.slice("cursor", "items_processed"))
        step.checkpoint = checkpoint
      end

      # Ends the attempt: complete when `result["success"]`, failed otherwise. The result replaces
      # the step's results (the last checkpoint stays in the `checkpoint` column).
      def finish(step, result, detail = {})
        state = result["success"] ? "complete" : "failed"
        write_attempt(step, { "results" => result, "state" => state }, state == "complete" ? "completed" : "failed",
                      detail)
        step.results = result
        step.state = state
      end

      # Ends the attempt as failed: `error` goes into the error column and, as a failed attempt
      # reports it, into the results beside the checkpoint keys.
      def fail(step, error, event: "failed", detail: {})
        results = (step.results || {}).merge("error" => error)
        write_attempt(step, { "results" => results, "state" => "failed", "error" => error }, event,
                      detail.merge("error" => error))
        step.results = results
        step.state = "failed"
      end

      # Ends the attempt without running it: its stored data is unusable. The results stay exactly
      # as they are, for whoever looks into it.
      def reject(step, error)
        write_attempt(step, { "state" => "failed", "error" => error }, "rejected", "error" => error)
        step.state = "failed"
      end

      # The first write of an attempt that took over an expired lease: the results
      # reset_for_retry kept (the last checkpoint), in place of what the lapsed attempt left.
      def reclaimed(step, results, lapsed)
        dropped = (step.results || {}).keys - results.keys
        write_attempt(step, { "results" => results }, "reclaimed",
                      lapsed.merge("kept" => results.keys, "dropped" => dropped))
        step.results = results
      end

      # Puts a failed step back to pending with the results reset_for_retry kept, and logs what
      # the failed attempt's results lost. Fenced too: it lands only while the step is still that
      # failed attempt. (Each store gives `transaction`, `stored_results` and `reset_row`.)
      def reset(step, results)
        transaction do
          failed = Store.parse(step.name, "results", stored_results(step.name)) || {}
          raise StaleAttempt, "#{step.name} changed before its reset" unless reset_row(step, JSON.generate(results)) == 1

          record_event(step.name, step.attempts, "reset", "kept" => results.keys, "dropped" => failed.keys - results.keys)
        end
        step.results = results
        step.state = "pending"
      end

      def events(step: nil)
        events_after(0, step: step)
      end

      private

      # Logs the refusal (the step row itself is not the attempt's to touch any more) and stops
      # the attempt.
      def fenced!(step, event)
        record_event(step.name, step.attempts, "fenced", "write" => event, "pid" => Process.pid)
        raise StaleAttempt, "#{step.name} attempt #{step.attempts} no longer owns the step: its #{event} was refused"
      end

      def json_value(column, value)
        JSON_COLUMNS.include?(column) ? JSON.generate(value) : value
      end
    end
  end
end
