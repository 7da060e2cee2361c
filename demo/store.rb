# frozen_string_literal: true

require "json"
require "sqlite3"

module Demo
  # A step whose stored data cannot be used: it is not run.
  class UnusableStep < StandardError; end

  # Stored JSON that does not parse. Says which step, which column and what the parser found;
  # nothing is read from the step, so it is never run with made-up data.
  class CorruptStepData < UnusableStep
    attr_reader :step_name, :column, :reason

    def initialize(step_name, column, parse_error)
      @step_name = step_name
      @column = column
      # The json gem prefixes its C source line ("859: unexpected token at ...") and quotes the
      # rest of the text, however long.
      detail = parse_error.message.sub(/\A\d+: /, "")
      detail = "#{detail[0, 160]}..." if detail.length > 160
      @reason = "the #{column} column holds corrupt JSON: #{detail}"
      super("#{step_name}: #{@reason}")
    end
  end

  # A write from an attempt that no longer owns its step (it was reset, or finished elsewhere).
  class StaleAttempt < StandardError; end

  # A workflow step as the gem reads it (`inputs`, `results`, `checkpoint`: parsed JSON) plus the
  # row's bookkeeping. The gem sets `results` on this copy; only Store writes the row.
  StepRecord = Struct.new(:name, :role, :state, :attempts, :inputs, :results, :checkpoint, :error,
                          keyword_init: true)

  # The demo's embedded store: workflow steps, their edges, an event log and the products, in one
  # SQLite file that several processes use at once (WAL: readers never wait for the writer; a
  # busy timeout: writers wait their turn instead of failing).
  class Store
    SCHEMA = <<~SQL
      CREATE TABLE workflow_steps (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL,                   -- analyzer, worker, convergence
        state      TEXT NOT NULL DEFAULT 'pending', -- pending, running, complete, failed
        attempts   INTEGER NOT NULL DEFAULT 0,
        inputs     TEXT NOT NULL DEFAULT '{}',      -- JSON
        results    TEXT,                            -- JSON
        checkpoint TEXT,                            -- JSON {cursor, items_processed, accumulated_results}
        error      TEXT,
        updated_at REAL NOT NULL
      );
      CREATE TABLE workflow_step_edges (
        from_step TEXT NOT NULL REFERENCES workflow_steps (name),
        to_step   TEXT NOT NULL REFERENCES workflow_steps (name),
        name      TEXT NOT NULL,
        PRIMARY KEY (from_step, to_step)
      );
      CREATE TABLE step_events (
        id      INTEGER PRIMARY KEY,
        at      REAL NOT NULL,
        step    TEXT NOT NULL REFERENCES workflow_steps (name),
        attempt INTEGER,
        event   TEXT NOT NULL,  -- started, checkpoint, completed, failed, rejected, killed, reset
        detail  TEXT NOT NULL   -- JSON
      );
    SQL

    # Canonical UUIDs are lowercase hex at fixed positions, so SQLite's byte-wise text order is
    # their numeric order: the UUID ranges of the partitioner are plain `>=` / `<` comparisons.
    PRODUCTS = {
      "integer" => "CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, " \
                   "price_cents INTEGER NOT NULL)",
      "uuid" => "CREATE TABLE products (id TEXT PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, " \
                "price_cents INTEGER NOT NULL) WITHOUT ROWID"
    }.freeze

    STEP_COLUMNS = "name, role, state, attempts, inputs, results, checkpoint, error"
    JSON_COLUMNS = %w[inputs results checkpoint].freeze

    # A new store at `path` for products keyed by `cursor` ("integer" or "uuid").
    def self.create(path, cursor:)
      store = new(path)
      store.create_schema(cursor)
      store
    end

    def initialize(path)
      @db = SQLite3::Database.new(path)
      @db.busy_timeout = 10_000
      @db.execute("PRAGMA journal_mode = WAL")
      # In WAL mode NORMAL loses nothing when a process dies (kill -9); only a power cut can undo
      # the last commits.
      @db.execute("PRAGMA synchronous = NORMAL")
      @db.execute("PRAGMA foreign_keys = ON")
    end

    def create_schema(cursor)
      @db.execute_batch(SCHEMA)
      @db.execute(PRODUCTS.fetch(cursor))
    end

    def close
      @db.close
    end

    # Runs the block in a write transaction, taken at once (BEGIN IMMEDIATE) so that two
    # processes never both read and then both try to write. Any exception rolls back, Interrupt
    # included (the sqlite3 gem's own #transaction commits on those).
    def transaction
      @db.execute("BEGIN IMMEDIATE")
      result = yield
      @db.execute("COMMIT")
      result
    ensure
      @db.execute("ROLLBACK") if @db.transaction_active?
    end

    # --- products ------------------------------------------------------------------------

    # Loads [id, sku, name, price_cents] rows in one transaction.
    def import_products(rows)
      transaction do
        insert = @db.prepare("INSERT INTO products (id, sku, name, price_cents) VALUES (?, ?, ?, ?)")
        begin
          rows.each { |row| insert.execute(row) }
        ensure
          insert.close
        end
      end
    end

    # How many products have `from <= id < before`; a nil end is open.
    def product_count(from: nil, before: nil)
      @db.get_first_value("SELECT count(*) FROM products WHERE (?1 IS NULL OR id >= ?1) AND (?2 IS NULL OR id < ?2)",
                          [from, before])
    end

    # Up to `limit` [id, price_cents] pairs with `from <= id < before` (nil: open end), in key order.
    def products(from:, before:, limit:)
      @db.execute("SELECT id, price_cents FROM products WHERE id >= ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id LIMIT ?3",
                  [from, before, limit])
    end

    # --- steps ---------------------------------------------------------------------------

    def add_step(name, role, inputs = {})
      @db.execute("INSERT INTO workflow_steps (name, role, inputs, updated_at) VALUES (?, ?, ?, ?)",
                  [name, role, JSON.generate(inputs), now])
    end

    # Writes an expansion plan from the core (worker steps with their inputs, and the edges) in
    # one transaction: all of it or, on any error, none.
    def add_plan(plan)
      transaction do
        plan.fetch("workers").each { |worker| add_step(worker.fetch("name"), "worker", worker.fetch("inputs")) }
        plan.fetch("edges").each do |edge|
          @db.execute("INSERT INTO workflow_step_edges (from_step, to_step, name) VALUES (?, ?, ?)",
                      edge.values_at("from", "to", "name"))
        end
      end
    end

    # The step called `name`, its JSON parsed; CorruptStepData when a column does not parse.
    def step(name)
      row = @db.get_first_row("SELECT #{STEP_COLUMNS} FROM workflow_steps WHERE name = ?", [name])
      raise KeyError, "no step #{name}" unless row

      values = STEP_COLUMNS.split(", ").zip(row).to_h
      JSON_COLUMNS.each { |column| values[column] = parse(name, column, values[column]) }
      StepRecord.new(**values.transform_keys(&:to_sym))
    end

    # Takes a pending step for a new attempt (running, attempts + 1). Its JSON is parsed first, so
    # a corrupt step raises CorruptStepData and is left exactly as it was.
    def claim(name)
      transaction do
        step = step(name)
        raise StaleAttempt, "#{name} is #{step.state}, not pending" unless step.state == "pending"

        @db.execute("UPDATE workflow_steps SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE name = ?",
                    [now, name])
        step.state = "running"
        step.attempts += 1
        step
      end
    end

    # Persists a checkpoint: the results update_workflow_step_results returned, the same
    # checkpoint in the `checkpoint` column, and its event, in one transaction.
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
      write_attempt(step, { "results" => result, "state" => state }, state == "complete" ? "completed" : "failed", detail)
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

    # Marks a step failed from outside its attempt (it cannot be read, or its process ended
    # without finishing it), without running it or touching its data.
    def mark_failed(name, error, event: "rejected")
      transaction do
        @db.execute("UPDATE workflow_steps SET state = 'failed', error = ?, updated_at = ? WHERE name = ?",
                    [error, now, name])
        record_event(name, nil, event, "error" => error)
      end
    end

    # [state, attempts] of a step, without reading its JSON.
    def state_of(name)
      @db.get_first_row("SELECT state, attempts FROM workflow_steps WHERE name = ?", [name])
    end

    # Makes a failed step pending again with `results` (what reset_for_retry kept). The event
    # lists the result keys kept and dropped.
    def reset(step, results)
      transaction do
        failed = parse(step.name, "results", @db.get_first_value("SELECT results FROM workflow_steps WHERE name = ?",
                                                                  [step.name])) || {}
        @db.execute("UPDATE workflow_steps SET state = 'pending', results = ?, updated_at = ? " \
                    "WHERE name = ? AND state = 'failed' AND attempts = ?",
                    [JSON.generate(results), now, step.name, step.attempts])
        raise StaleAttempt, "#{step.name} changed before its reset" unless @db.changes == 1

        record_event(step.name, step.attempts, "reset", "kept" => results.keys, "dropped" => failed.keys - results.keys)
      end
      step.results = results
      step.state = "pending"
    end

    # Overwrites a step's stored results with `text` as it is: the demo's torn write.
    def overwrite_results(name, text)
      @db.execute("UPDATE workflow_steps SET results = ? WHERE name = ?", [text, name])
    end

    # Per worker: [name, state, attempts, rows done]. Rows done come from the last checkpoint or
    # the final result, read by SQLite; a corrupt results column reads as nil.
    def worker_progress
      @db.execute(<<~SQL)
        SELECT name, state, attempts,
               CASE WHEN json_valid(results) THEN
                 coalesce(json_extract(results, '$.result.items_processed'), json_extract(results, '$.processed_count'))
               END
        FROM workflow_steps WHERE role = 'worker' ORDER BY name
      SQL
    end

    # What the steps upstream of `name` produced, by name, as a convergence step receives it: a
    # complete step's results, `{"success" => false, "error" => ...}` for a failed one (its
    # results are not read: they may be what made it fail), nil for one that never finished.
    def dependency_results(name)
      rows = @db.execute(<<~SQL, [name])
        WITH RECURSIVE upstream(name) AS (
          SELECT from_step FROM workflow_step_edges WHERE to_step = ?
          UNION SELECT e.from_step FROM workflow_step_edges e JOIN upstream u ON e.to_step = u.name
        )
        SELECT s.name, s.state, s.results, s.error FROM workflow_steps s JOIN upstream u ON u.name = s.name
        ORDER BY s.name
      SQL
      rows.to_h do |step_name, state, results, error|
        result = case state
                 when "complete" then parse(step_name, "results", results)
                 when "failed" then { "success" => false, "error" => error }
                 end
        [step_name, result]
      end
    end

    # --- events --------------------------------------------------------------------------

    # How many checkpoints the attempt `attempt` of a step has written.
    def checkpoint_count(name, attempt)
      @db.get_first_value("SELECT count(*) FROM step_events WHERE step = ? AND attempt = ? AND event = 'checkpoint'",
                          [name, attempt])
    end

    def record_event(step_name, attempt, event, detail = {})
      @db.execute("INSERT INTO step_events (at, step, attempt, event, detail) VALUES (?, ?, ?, ?, ?)",
                  [now, step_name, attempt, event, JSON.generate(detail)])
    end

    # Events with an id above `id`, oldest first: [{"id", "at", "step", "attempt", "event", "detail"}].
    def events_after(id, step: nil)
      rows = @db.execute("SELECT id, at, step, attempt, event, detail FROM step_events " \
                         "WHERE id > ?1 AND (?2 IS NULL OR step = ?2) ORDER BY id", [id, step])
      rows.map do |row|
        %w[id at step attempt event detail].zip(row).to_h.merge("detail" => JSON.parse(row.last))
      end
    end

    def events(step: nil)
      events_after(0, step: step)
    end

    private

    # Updates the row of the attempt `step` holds and logs `event`, in one transaction. Refused
    # (StaleAttempt) unless the step is still running that attempt.
    def write_attempt(step, columns, event, detail)
      values = columns.to_h { |column, value| [column, JSON_COLUMNS.include?(column) ? JSON.generate(value) : value] }
      assignments = values.keys.map { |column| "#{column} = ?" }.join(", ")
      transaction do
        @db.execute("UPDATE workflow_steps SET #{assignments}, updated_at = ? " \
                    "WHERE name = ? AND state = 'running' AND attempts = ?",
                    [*values.values, now, step.name, step.attempts])
        raise StaleAttempt, "#{step.name} attempt #{step.attempts} no longer owns the step" unless @db.changes == 1

        record_event(step.name, step.attempts, event, detail)
      end
    end

    def parse(step_name, column, text)
      text.nil? ? nil : JSON.parse(text)
    rescue JSON::ParserError => e
      raise CorruptStepData.new(step_name, column, e)
    end

    def now
      Process.clock_gettime(Process::CLOCK_REALTIME)
    end
  end
end
