# frozen_string_literal: true

require "json"
require "pg"
require "uri"
require_relative "store"
require_relative "sql_file"

module Demo
  # The demo's store on PostgreSQL, in upstream's shape: `workflow_steps` with `inputs`, `results`
  # and `checkpoint` as JSONB, `workflow_step_edges` between step ids, an event log and the
  # products, all in one schema of their own (one per run).
  #
  # Every worker process has its own connection, and nothing hands steps out: a worker claims one
  # with a single UPDATE whose row comes from a `FOR UPDATE SKIP LOCKED` subquery, so two workers
  # never take the same step and never wait for each other. Each write of an attempt is one
  # statement too (the step's UPDATE and its event, in a data-modifying CTE) whose WHERE carries
  # the attempt number and the running state: zero rows means the step has moved on, and the
  # attempt is fenced. Single statements also mean that a worker frozen or cut off between two of
  # them never holds a lock.
  class PostgresStore
    include Store::AttemptWrites

    SCHEMA = <<~SQL
      CREATE TABLE workflow_steps (
        workflow_step_id BIGSERIAL PRIMARY KEY,
        name             TEXT NOT NULL UNIQUE,
        role             TEXT NOT NULL CHECK (role IN ('analyzer', 'worker', 'convergence')),
        state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'complete', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        inputs           JSONB NOT NULL DEFAULT '{}',
        results          JSONB,
        checkpoint       JSONB,  -- {cursor, items_processed, accumulated_results}
        error            TEXT,
        claimed_by       TEXT,   -- the worker process holding the attempt
        worker_language  TEXT,   -- its language: ruby, python or node
        lease_expires_at TIMESTAMPTZ,
        updated_at       TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX workflow_steps_claimable ON workflow_steps (role, state, name);
      CREATE TABLE workflow_step_edges (
        from_step_id BIGINT NOT NULL REFERENCES workflow_steps,
        to_step_id   BIGINT NOT NULL REFERENCES workflow_steps,
        name         TEXT NOT NULL,
        PRIMARY KEY (from_step_id, to_step_id)
      );
      CREATE TABLE step_events (
        id      BIGSERIAL PRIMARY KEY,
        at      DOUBLE PRECISION NOT NULL,  -- seconds since the epoch
        step    TEXT NOT NULL REFERENCES workflow_steps (name),
        attempt INTEGER,
        event   TEXT NOT NULL,
        detail  JSONB NOT NULL
      );
    SQL

    KEY_TYPES = { "integer" => "bigint", "uuid" => "uuid" }.freeze
    STEP_COLUMNS = %w[name role state attempts inputs results checkpoint error].freeze
    STEP_SELECT = "name, role, state, attempts, inputs::text, results::text, checkpoint::text, error"
    # The statements that the workers of every language run (the claim, the fenced write, the
    # products of a range), from demo/sql/postgres.sql.
    SQL = SqlFile.load("postgres")

    # Connection errors: the server went away, or ended this session (pg_terminate_backend).
    CONNECTION_ERRORS = [PG::ConnectionBad, PG::UnableToSend, PG::AdminShutdown].freeze

    attr_reader :locator

    # A new schema `schema` (dropped first if a previous run left it) in the database at `url`,
    # for products keyed by `cursor`. The store's locator names the schema (libpq's `options`), so
    # the workers' connections see the same tables.
    def self.create(url, schema:, cursor:)
      admin = PG.connect(url)
      begin
        admin.exec("SET client_min_messages = warning")
        admin.exec("DROP SCHEMA IF EXISTS #{admin.quote_ident(schema)} CASCADE")
        admin.exec("CREATE SCHEMA #{admin.quote_ident(schema)}")
      ensure
        admin.close
      end
      store = new(locator(url, schema))
      store.create_schema(cursor)
      store
    end

    def self.locator(url, schema)
      "#{url}#{url.include?("?") ? "&" : "?"}options=#{URI.encode_www_form_component("-csearch_path=#{schema}")}"
    end

    def initialize(locator, application_name: nil)
      @locator = locator
      @db = PG.connect(locator, application_name: application_name || "tasker-batch-demo")
      @db.type_map_for_queries = PG::BasicTypeMapForQueries.new(@db)
      @db.exec("SET client_min_messages = warning")
    end

    def create_schema(cursor)
      @db.exec(SCHEMA)
      @db.exec("CREATE TABLE products (id #{KEY_TYPES.fetch(cursor)} PRIMARY KEY, sku TEXT NOT NULL, " \
               "name TEXT NOT NULL, price_cents BIGINT NOT NULL)")
    end

    def close
      @db.close unless @db.finished?
    end

    # Whether `error` means this store's connection is gone.
    def lost_connection?(error)
      CONNECTION_ERRORS.any? { |kind| error.is_a?(kind) } || @db.status == PG::CONNECTION_BAD
    end

    # This session's server process, as pg_stat_activity and pg_terminate_backend know it.
    def backend_pid
      @db.backend_pid
    end

    # Ends the sessions of the application `name` (a worker's connection), and waits until they
    # are gone: the demo's lost connection. How many it ended.
    def terminate_sessions(name)
      @db.exec_params("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1",
                      [name]).ntuples
    end

    # --- products ------------------------------------------------------------------------

    # Loads [id, sku, name, price_cents] rows with one COPY: one statement, so all or none.
    def import_products(rows)
      encoder = PG::TextEncoder::CopyRow.new
      @db.copy_data("COPY products (id, sku, name, price_cents) FROM STDIN", encoder) do
        rows.each { |row| @db.put_copy_data(row) }
      end
    end

    # How many products have `from <= id < before`; a nil end is open.
    def product_count(from: nil, before: nil)
      value("SELECT count(*) FROM products WHERE ($1::#{key_type} IS NULL OR id >= $1::#{key_type}) " \
            "AND ($2::#{key_type} IS NULL OR id < $2::#{key_type})", [from, before]).to_i
    end

    # Up to `limit` [id, price_cents] pairs with `from <= id < before` (nil: open end), in key order
    # (the key's, not its text's: `products.id`, because a bare `id` would name the text column).
    def products(from:, before:, limit:)
      rows = @db.exec_params(SQL.fetch("products").gsub("{key}", key_type), [from, before, limit]).values
      integer = key_type == "bigint"
      rows.map { |id, price| [integer ? Integer(id, 10) : id, Integer(price, 10)] }
    end

    # --- steps ---------------------------------------------------------------------------

    def add_step(name, role, inputs = {})
      @db.exec_params("INSERT INTO workflow_steps (name, role, inputs) VALUES ($1, $2, $3::jsonb)",
                      [name, role, JSON.generate(inputs)])
    end

    # Writes an expansion plan from the core (worker steps with their inputs, and the edges) in
    # one transaction: all of it or, on any error, none.
    def add_plan(plan)
      @db.transaction do
        plan.fetch("workers").each { |worker| add_step(worker.fetch("name"), "worker", worker.fetch("inputs")) }
        plan.fetch("edges").each do |edge|
          @db.exec_params(<<~SQL, edge.values_at("from", "to", "name"))
            INSERT INTO workflow_step_edges (from_step_id, to_step_id, name)
            SELECT f.workflow_step_id, t.workflow_step_id, $3
            FROM workflow_steps f, workflow_steps t WHERE f.name = $1 AND t.name = $2
          SQL
        end
      end
    end

    # The step called `name`, its JSON parsed; CorruptStepData when a column is not an object.
    def step(name)
      row = @db.exec_params("SELECT #{STEP_SELECT} FROM workflow_steps WHERE name = $1", [name]).values.first
      raise KeyError, "no step #{name}" unless row

      Store.record(step_values(row))
    end

    # Takes the pending step `name` for a new attempt in this process (the analyzer and the
    # convergence step).
    def claim(name)
      step = step(name)
      taken = @db.exec_params("UPDATE workflow_steps SET state = 'running', attempts = attempts + 1, " \
                              "updated_at = clock_timestamp() WHERE name = $1 AND state = 'pending'", [name])
      raise StaleAttempt, "#{name} is #{step.state}, not pending" unless taken.cmd_tuples == 1

      step.state = "running"
      step.attempts += 1
      step
    end

    # A worker's claim, in one statement: the first worker step that is pending, or running on a
    # lease that expired (with attempts left), locked by the subquery with SKIP LOCKED so that a
    # step another worker is claiming right now is passed over, not waited for; then a new attempt,
    # held by `holder` until `lease` seconds from now. nil when there is nothing to take.
    def claim_next(holder:, lease:, max_attempts: Store::MAX_ATTEMPTS, language: "ruby")
      row = @db.exec_params(SQL.fetch("claim_next"), [holder, lease, max_attempts, language]).values.first
      return nil unless row

      values = step_values(row.first(8))
      was_state, was_holder, was_lease = row.drop(8)
      reclaimed = if was_state == "running"
                    { "lapsed_attempt" => values["attempts"] - 1, "lapsed_holder" => was_holder,
                      "lease_expired_at" => Float(was_lease) }
                  end
      Claim.new(name: values["name"], attempts: values["attempts"], lease: lease, row: values, reclaimed: reclaimed)
    end

    # Whether a worker step is still to be done or being done.
    def work_remaining?
      !value(SQL.fetch("work_remaining")).nil?
    end

    # Fails the running worker steps whose lease expired with no attempt left: nobody may take them.
    def expire_exhausted(max_attempts: Store::MAX_ATTEMPTS)
      @db.exec_params(SQL.fetch("expire_exhausted"), [max_attempts])
    end

    # The running step whose attempt `holder` holds (nil if none), its JSON not read.
    def held_by(holder)
      name, attempts = @db.exec_params("SELECT name, attempts FROM workflow_steps WHERE state = 'running' " \
                                       "AND claimed_by = $1", [holder]).values.first
      name && StepRecord.new(name: name, attempts: Integer(attempts), state: "running")
    end

    # Marks a step failed from outside its attempt (no worker is left to run it), without touching
    # its data.
    def mark_failed(name, error, event: "rejected")
      @db.transaction do
        @db.exec_params("UPDATE workflow_steps SET state = 'failed', error = $1, updated_at = clock_timestamp() " \
                        "WHERE name = $2", [error, name])
        record_event(name, nil, event, "error" => error)
      end
    end

    # [state, attempts] of a step, without reading its JSON.
    def state_of(name)
      state, attempts = @db.exec_params("SELECT state, attempts FROM workflow_steps WHERE name = $1", [name]).values.first
      [state, attempts && Integer(attempts)]
    end

    # What the shared #reset needs: the block in one transaction.
    def transaction(&block)
      @db.transaction(&block)
    end

    def stored_results(name)
      value("SELECT results::text FROM workflow_steps WHERE name = $1", [name])
    end

    # The failed attempt's row back to pending with `results_json`; the number of rows changed.
    def reset_row(step, results_json)
      @db.exec_params("UPDATE workflow_steps SET state = 'pending', results = $1::jsonb, " \
                      "updated_at = clock_timestamp() WHERE name = $2 AND state = 'failed' AND attempts = $3",
                      [results_json, step.name, step.attempts]).cmd_tuples
    end

    # Overwrites a step's stored results with `text`, the demo's torn write. JSONB refuses text
    # that does not parse, so the text is stored as what a careless writer would have stored: a
    # JSON string, where the step's results object belongs.
    def overwrite_results(name, text)
      @db.exec_params("UPDATE workflow_steps SET results = to_jsonb($1::text) WHERE name = $2", [text, name])
    end

    # Per worker: [name, state, attempts, rows done, holder]. Rows done come from the last
    # checkpoint or the final result; results that are not an object read as nil.
    def worker_progress
      @db.exec(<<~SQL).values.map { |name, state, attempts, done, holder| [name, state, Integer(attempts), done&.to_i, holder] }
        SELECT name, state, attempts,
               CASE WHEN jsonb_typeof(results) = 'object' THEN
                 coalesce(results #>> '{result,items_processed}', results ->> 'processed_count')
               END,
               claimed_by
        FROM workflow_steps WHERE role = 'worker' ORDER BY name
      SQL
    end

    # What the steps upstream of `name` produced, by name, as a convergence step receives it: a
    # complete step's results, `{"success" => false, "error" => ...}` for a failed one (its
    # results are not read: they may be what made it fail), nil for one that never finished.
    def dependency_results(name)
      rows = @db.exec_params(<<~SQL, [name]).values
        WITH RECURSIVE upstream(id) AS (
          SELECT e.from_step_id FROM workflow_step_edges e
          JOIN workflow_steps t ON t.workflow_step_id = e.to_step_id WHERE t.name = $1
          UNION SELECT e.from_step_id FROM workflow_step_edges e JOIN upstream u ON e.to_step_id = u.id
        )
        SELECT s.name, s.state, s.results::text, s.error FROM workflow_steps s
        JOIN upstream u ON u.id = s.workflow_step_id ORDER BY s.name
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
      value("SELECT count(*) FROM step_events WHERE step = $1 AND attempt = $2 AND event = 'checkpoint'",
            [name, attempt]).to_i
    end

    def record_event(step_name, attempt, event, detail = {})
      @db.exec_params(SQL.fetch("record_event"), [step_name, attempt, event, JSON.generate(detail)])
    end

    # Events with an id above `id`, oldest first: [{"id", "at", "step", "attempt", "event", "detail"}].
    def events_after(id, step: nil)
      rows = @db.exec_params("SELECT id, at, step, attempt, event, detail::text FROM step_events " \
                             "WHERE id > $1 AND ($2::text IS NULL OR step = $2) ORDER BY id", [id, step]).values
      rows.map do |event_id, at, name, attempt, event, detail|
        { "id" => Integer(event_id), "at" => Float(at), "step" => name, "attempt" => attempt && Integer(attempt),
          "event" => event, "detail" => JSON.parse(detail) }
      end
    end

    private

    # Updates the row of the attempt `step` holds, renewing its lease, and logs `event`: one
    # statement, whose UPDATE lands only while the step is running that attempt. Refused
    # (StaleAttempt) when it updated nothing.
    def write_attempt(step, columns, event, detail)
      params = [step.name, step.attempts, step.lease.to_f, event, JSON.generate(detail)]
      assignments = columns.map do |column, value|
        params << json_value(column, value)
        "#{column} = $#{params.size}#{Store::JSON_COLUMNS.include?(column) ? "::jsonb" : ""}"
      end
      written = @db.exec_params(SQL.fetch("write_attempt").gsub("{assignments}", assignments.join(", ")), params)
      fenced!(step, event) unless written.cmd_tuples == 1
    end

    # The type of the products' key: bigint or uuid.
    def key_type
      @key_type ||= value(SQL.fetch("key_type"))
    end

    def step_values(row)
      values = STEP_COLUMNS.zip(row).to_h
      values["attempts"] = Integer(values["attempts"])
      values
    end

    def value(sql, params = [])
      result = @db.exec_params(sql, params)
      result.ntuples.zero? ? nil : result.getvalue(0, 0)
    end
  end
end
