# frozen_string_literal: true

require "json"
require "sqlite3"
require_relative "store"
require_relative "sql_file"

module Demo
  # The demo's embedded store: workflow steps, their edges, an event log and the products, in one
  # SQLite file that several processes use at once (WAL: readers never wait for the writer; a
  # busy timeout: writers wait their turn instead of failing).
  class SqliteStore
    include Store::AttemptWrites

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
        claimed_by TEXT,                            -- the worker process holding the attempt
        worker_language TEXT,                       -- its language (ruby)
        lease_expires_at REAL,                      -- when a running attempt may be taken over
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
        event   TEXT NOT NULL,  -- started, checkpoint, completed, failed, rejected, killed, reset,
                        -- reclaimed, fenced, frozen, thawed, disconnected
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
    # The statements that the workers of every language run (the claim, the fenced write, the
    # products of a range), from demo/sql/sqlite.sql.
    SQL = SqlFile.load("sqlite")

    # A new store at `path` for products keyed by `cursor` ("integer" or "uuid").
    def self.create(path, cursor:)
      store = new(path)
      store.create_schema(cursor)
      store
    end

    attr_reader :locator

    def initialize(path)
      @locator = path
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

    # A file has no connection to lose.
    def lost_connection?(_error)
      false
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
      @db.execute(SQL.fetch("products"), "start" => from, "before" => before, "limit" => limit)
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

      Store.record(STEP_COLUMNS.split(", ").zip(row).to_h)
    end

    # Takes the pending step `name` for a new attempt in this process (the analyzer and the
    # convergence step). Its JSON is parsed first, so a corrupt step raises CorruptStepData and is
    # left exactly as it was.
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

    # A worker's claim: takes the first worker step that is pending, or running on a lease that
    # expired (with attempts left), for a new attempt held by `holder` until `lease` seconds from
    # now. nil when there is none. SQLite has one writer at a time, so the write transaction
    # (BEGIN IMMEDIATE) is what keeps two workers from taking the same step.
    def claim_next(holder:, lease:, max_attempts: Store::MAX_ATTEMPTS, language: "ruby")
      return nil unless @db.get_first_value(SQL.fetch("claimable"), "now" => now, "max_attempts" => max_attempts)

      transaction do
        at = now
        taken = @db.get_first_row(SQL.fetch("claim_pick"), "now" => at, "max_attempts" => max_attempts)
        return nil unless taken

        name, state, attempts, was_holder, was_lease = taken
        @db.execute(SQL.fetch("claim_take"), "holder" => holder, "language" => language, "now" => at, "lease" => lease,
                                             "name" => name)
        row = @db.get_first_row(SQL.fetch("step_row"), "name" => name)
        reclaimed = if state == "running"
                      { "lapsed_attempt" => attempts, "lapsed_holder" => was_holder, "lease_expired_at" => was_lease }
                    end
        Claim.new(name: name, attempts: attempts + 1, lease: lease, row: STEP_COLUMNS.split(", ").zip(row).to_h,
                  reclaimed: reclaimed)
      end
    end

    # Whether a worker step is still to be done or being done.
    def work_remaining?
      !@db.get_first_value(SQL.fetch("work_remaining")).nil?
    end

    # Fails the running worker steps whose lease expired with no attempt left: nobody may take them.
    def expire_exhausted(max_attempts: Store::MAX_ATTEMPTS)
      transaction do
        at = now
        @db.execute(SQL.fetch("log_exhausted"), "now" => at, "max_attempts" => max_attempts)
        @db.execute(SQL.fetch("fail_exhausted"), "now" => at, "max_attempts" => max_attempts)
      end
    end

    # The running step whose attempt `holder` holds (nil if none), its JSON not read.
    def held_by(holder)
      name, attempts = @db.get_first_row("SELECT name, attempts FROM workflow_steps WHERE state = 'running' " \
                                         "AND claimed_by = ?", [holder])
      name && StepRecord.new(name: name, attempts: attempts, state: "running")
    end

    # Marks a step failed from outside its attempt (no worker is left to run it), without touching
    # its data.
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

    # What the shared #reset reads: a step's results column as stored.
    def stored_results(name)
      @db.get_first_value("SELECT results FROM workflow_steps WHERE name = ?", [name])
    end

    # The failed attempt's row back to pending with `results_json`; the number of rows changed.
    def reset_row(step, results_json)
      @db.execute("UPDATE workflow_steps SET state = 'pending', results = ?, updated_at = ? " \
                  "WHERE name = ? AND state = 'failed' AND attempts = ?",
                  [results_json, now, step.name, step.attempts])
      @db.changes
    end

    # Overwrites a step's stored results with `text` as it is: the demo's torn write.
    def overwrite_results(name, text)
      @db.execute("UPDATE workflow_steps SET results = ? WHERE name = ?", [text, name])
    end

    # Per worker: [name, state, attempts, rows done, holder]. Rows done come from the last
    # checkpoint or the final result, read by SQLite; a corrupt results column reads as nil.
    def worker_progress
      @db.execute(<<~SQL)
        SELECT name, state, attempts,
               CASE WHEN json_valid(results) AND json_type(results) = 'object' THEN
                 coalesce(json_extract(results, '$.result.items_processed'), json_extract(results, '$.processed_count'))
               END,
               claimed_by
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
                 when "complete" then Store.parse(step_name, "results", results)
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
      @db.execute(SQL.fetch("record_event"), "now" => now, "step" => step_name, "attempt" => attempt, "event" => event,
                                              "detail" => JSON.generate(detail))
    end

    # Events with an id above `id`, oldest first: [{"id", "at", "step", "attempt", "event", "detail"}].
    def events_after(id, step: nil)
      rows = @db.execute("SELECT id, at, step, attempt, event, detail FROM step_events " \
                         "WHERE id > ?1 AND (?2 IS NULL OR step = ?2) ORDER BY id", [id, step])
      rows.map do |row|
        %w[id at step attempt event detail].zip(row).to_h.merge("detail" => JSON.parse(row.last))
      end
    end

    private

    # Updates the row of the attempt `step` holds, renewing its lease, and logs `event`, in one
    # transaction. Refused (StaleAttempt) unless the step is still running that attempt.
    def write_attempt(step, columns, event, detail)
      values = columns.to_h { |column, value| [column, json_value(column, value)] }
      assignments = values.keys.map { |column| "#{column} = :#{column}" }.join(", ")
      written = transaction do
        @db.execute(SQL.fetch("write_attempt").gsub("{assignments}", assignments),
                    values.merge("now" => now, "lease" => step.lease.to_f, "name" => step.name, "attempt" => step.attempts))
        changed = @db.changes == 1
        record_event(step.name, step.attempts, event, detail) if changed
        changed
      end
      fenced!(step, event) unless written
    end

    def now
      Process.clock_gettime(Process::CLOCK_REALTIME)
    end
  end
end
