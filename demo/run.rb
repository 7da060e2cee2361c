#!/usr/bin/env ruby
# frozen_string_literal: true

# The batch lifecycle end to end, on an embedded SQLite store (no server) or on PostgreSQL
# (`--store postgres`: a throwaway server, or DATABASE_URL's): `rake demo`, or by hand
# `source .deps/env.sh && ruby demo/run.rb --help`. See demo/README.md.

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "fileutils"
require "optparse"
require "tmpdir"
require "tasker_batch"
require_relative "store"
require_relative "sqlite_store"
require_relative "dataset"
require_relative "handlers"
require_relative "faults"
require_relative "display"
require_relative "redrive"
require_relative "orchestrator"
require_relative "report"
require_relative "workers/language_faults"
require_relative "workers/language_report"

module Demo
  # The demo's options; see `ruby demo/run.rb --help`.
  Options = Struct.new(:rows, :workers, :parallel, :checkpoint_every, :strategy, :cursor, :seed, :db, :kills,
                       :pace, :corrupt, :empty_run, :store, :lease, :freeze, :disconnect, :languages,
                       :poison, :pieces,
                       keyword_init: true)

  # `ruby demo/run.rb [options]`: a run over the generated products, then a tiny run over an empty
  # dataset (the no_batches path). Exit status 0 when every run adds up, 1 when one does not,
  # 2 for bad options, 130 when interrupted.
  module CLI
    DEFAULTS = { rows: 200_000, workers: nil, parallel: nil, checkpoint_every: 1_000, strategy: "continue_on_failure",
                 cursor: "integer", seed: 42, db: nil, kills: 1, pace: 25_000, corrupt: nil, empty_run: true,
                 store: "sqlite", lease: 2.0, freeze: false, disconnect: false, languages: ["ruby"],
                 poison: 0, pieces: 3 }.freeze
    # Worker processes at a time by default: on PostgreSQL more than there are steps, so that
    # some stand by to take over a step whose lease expires.
    PARALLEL = { "sqlite" => 2, "postgres" => 6 }.freeze
    STORES = %w[sqlite postgres].freeze
    # Worker steps by default: 4, or 12 with workers in more languages than Ruby, so that those
    # that start slower (Python's) still find ranges left to claim.
    WORKERS = 4
    LANGUAGE_WORKERS = 12

    module_function

    def main(argv)
      options = parse(argv)
      $stdout.sync = true # one event, one line, also into a pipe
      dir = options.db || Dir.mktmpdir("tasker-batch-demo-")
      FileUtils.mkdir_p(dir)
      display = Display.new($stdout)
      Languages.prepare(options.languages).each { |line| display.item("package", line) }
      ok = with_database(options, display) do |database|
        ok = run(options, dir, display, database, name: "products", title: headline(options))
        if options.empty_run && options.rows.positive?
          display.line
          empty = options.dup.tap do |o|
            o.rows, o.kills, o.corrupt, o.freeze, o.disconnect, o.poison = 0, 0, nil, false, false, 0
          end
          ok = run(empty, dir, display, database, name: "empty", title: "Empty dataset: the no_batches path") && ok
        end
        ok
      end
      ok ? 0 : 1
    rescue OptionParser::ParseError => e
      warn "demo: #{e.message} (see --help)"
      2
    rescue Languages::SetupError => e
      warn "demo: #{e.message}"
      1
    rescue Interrupt
      display&.finish
      warn "\ndemo: interrupted"
      130
    ensure
      FileUtils.rm_rf(dir) if dir && !options.db
    end

    # Yields the PostgreSQL URL the runs use (nil for SQLite): DATABASE_URL, or a throwaway server
    # started here and stopped when the block ends, however it ends.
    def with_database(options, display, &block)
      return yield nil if options.store == "sqlite"

      if (url = ENV.fetch("DATABASE_URL", "")) != ""
        display.item("server", "DATABASE_URL (#{url.sub(%r{//[^@/]*@}, "//")})")
        return yield url
      end
      require_relative "postgres_server"
      started = now
      PostgresServer.run do |server|
        display.item("server", format("PostgreSQL %s on 127.0.0.1:%d, data in %s, started in %.1f s (stopped at the end)",
                                      server.version, server.port, server.dir, now - started))
        block.call(server.url)
      end
    end

    # One workflow on its own store: `DIR/NAME.sqlite3`, or the schema `tasker_batch_demo_NAME` in
    # the PostgreSQL database at `database`; true when its report says ok.
    def run(options, dir, display, database, name:, title:)
      started = now
      display.restart_clock
      display.line(title)
      csv_path, log_path = %w[csv log].map { |ext| File.join(dir, "#{name}.#{ext}") }
      FileUtils.rm_f([csv_path, log_path]) # a previous run's, in --db DIR
      store = create_store(options, database, File.join(dir, "#{name}.sqlite3"), "tasker_batch_demo_#{name}", display,
                           File.basename(log_path))
      manifest = load_dataset(store, options, csv_path, display)
      faults = LanguageFaults.for(options.languages, store: store, kills: options.kills, corrupt: options.corrupt,
                                                     freeze: options.freeze, disconnect: options.disconnect)
      result = Orchestrator.new(store: store, log_path: log_path, display: display, settings: options,
                                faults: faults).run
      report = Report.new(manifest: manifest, result: result, events: store.events, faults: faults,
                          parallel: options.parallel, elapsed: now - started)
      display.line("Report")
      report.lines.each { |line| display.line(line) }
      report.ok?
    ensure
      store&.close
    end

    def create_store(options, database, db_path, schema, display, log_name)
      if database
        require_relative "postgres_store"
        display.item("store", "PostgreSQL schema #{schema} (JSONB steps, SKIP LOCKED claims, #{options.lease} s leases); " \
                              "worker output in #{log_name}")
        return PostgresStore.create(database, schema: schema, cursor: options.cursor)
      end
      FileUtils.rm_f(Dir.glob("#{db_path}*")) # a previous run's, in --db DIR
      display.item("store", "#{db_path} (SQLite, WAL, #{options.lease} s leases); worker output in #{log_name}")
      SqliteStore.create(db_path, cursor: options.cursor)
    end

    def load_dataset(store, options, csv_path, display)
      started = now
      manifest = Dataset.generate(csv_path, rows: options.rows, seed: options.seed, cursor: options.cursor)
      display.item("dataset", format("%s: %s rows, known total %s cents (seed %d), written in %.1f s",
                                     File.basename(csv_path), Demo.count(manifest.rows),
                                     Demo.count(manifest.total_cents), manifest.seed, now - started))
      started = now
      store.import_products(Dataset.each_row(manifest))
      display.item("loaded", format("into the products table in one transaction, %.1f s", now - started))
      manifest
    end

    def headline(options)
      "tasker-batch demo on #{options.store == "postgres" ? "PostgreSQL" : "SQLite"}: " \
        "#{Demo.count(options.rows)} products with #{options.cursor} keys, " \
        "#{Demo.plural(options.workers, "worker")} (#{options.parallel} at a time#{languages(options)}), a checkpoint every " \
        "#{Demo.count(options.checkpoint_every)} rows, #{options.strategy}"
    end

    def languages(options)
      options.languages == ["ruby"] ? "" : " in #{options.languages.join(", ")}"
    end

    def parse(argv)
      options = Options.new(**DEFAULTS)
      rest = parser(options).parse(argv)
      raise OptionParser::NeedlessArgument, rest.join(" ") unless rest.empty?

      check(options)
      options
    end

    def parser(options)
      OptionParser.new do |o|
        o.banner = "Usage: ruby demo/run.rb [options]     through rake: rake demo DEMO_ARGS=\"[options]\""
        o.on("--rows N", Integer, "Products in the dataset (default 200000)") { |n| options.rows = n }
        o.on("--workers N", Integer, "Worker steps the analyzer asks for (default 4; 12 with --languages)") do |n|
          options.workers = n
        end
        o.on("--parallel N", Integer, "Worker processes at a time (default 2 on SQLite, 6 on PostgreSQL)") do |n|
          options.parallel = n
        end
        o.on("--store NAME", STORES, "sqlite (default: an embedded file) or postgres (DATABASE_URL's",
             "server, or a throwaway one started and stopped by the demo)") { |name| options.store = name }
        o.on("--lease SECONDS", Float, "How long a claim holds a step without a write (default 2)") do |s|
          options.lease = s
        end
        o.on("--freeze", "Freeze a worker (SIGSTOP) past its lease; resume it after another worker",
             "took its step over: its writes must be refused") { options.freeze = true }
        o.on("--drop-connection", "End a worker's database session mid-range (PostgreSQL only)") do
          options.disconnect = true
        end
        o.on("--checkpoint-every N", Integer, "Rows between checkpoints (default 1000)") { |n| options.checkpoint_every = n }
        o.on("--strategy NAME", TaskerCore::Types::FailureStrategy::ALL,
             "continue_on_failure (default), fail_fast or isolate") { |s| options.strategy = s }
        o.on("--cursor KIND", %w[integer uuid], "Key the products by integer (default) or uuid") { |k| options.cursor = k }
        o.on("--seed N", Integer, "Dataset seed (default 42)") { |n| options.seed = n }
        o.on("--db DIR", "Keep the stores, CSV files and worker logs in DIR",
             "(default: a temporary directory, removed at the end)") { |dir| options.db = dir }
        o.on("--kill-twice", "Kill the worker again while it resumes") { options.kills = 2 }
        o.on("--no-kill", "Kill no worker") { options.kills = 0 }
        o.on("--pace N", Integer, "Rows per second per worker: simulated work, so there is",
             "something to watch and to kill (default 25000; 0: full speed)") { |n| options.pace = n }
        o.on("--corrupt [KIND]", Faults::CORRUPTIONS.keys,
             "Corrupt a pending worker's stored results before it runs:",
             "json (default: a torn write) or checkpoint (valid JSON, a",
             "checkpoint count that is a string). That worker is not run and the run fails.") do |kind|
          options.corrupt = kind || "json"
        end
        o.on("--languages LIST", Array, "Worker processes in these languages, in turn: ruby (default),",
             "python, node (node needs --store postgres)") { |list| options.languages = list }
        o.on("--poison N", Integer, "N rows of the first worker's range, past a checkpoint, that its step",
             "cannot get past: it fails for good, and its remainder is redriven",
             "in pieces (needs --strategy isolate; see demo/README.md)") { |n| options.poison = n }
        o.on("--redrive-pieces N", Integer, "Pieces each failed remainder is redriven in (default 3)") do |n|
          options.pieces = n
        end
        o.on("--[no-]empty-run", "Run the empty dataset afterwards (default: yes)") { |b| options.empty_run = b }
      end
    end

    def check(options)
      options.parallel ||= PARALLEL.fetch(options.store)
      options.workers ||= options.languages == ["ruby"] ? WORKERS : LANGUAGE_WORKERS
      if options.disconnect && options.store != "postgres"
        raise OptionParser::InvalidArgument, "--drop-connection needs --store postgres (a SQLite file has no connection)"
      end
      raise OptionParser::InvalidArgument, "--languages needs at least one language" if options.languages.empty?

      unknown = options.languages - Languages::ALL
      raise OptionParser::InvalidArgument, "--languages #{unknown.join(",")} (one of #{Languages::ALL.join(", ")})" unless unknown.empty?
      if options.store != "postgres" && options.languages.include?("node")
        raise OptionParser::InvalidArgument, "--languages #{options.languages.join(",")} needs --store postgres " \
                                             "(the Node workers have no SQLite driver here; see demo/README.md)"
      end
      if options.freeze && options.parallel < 2
        raise OptionParser::InvalidArgument, "--freeze needs --parallel 2 or more (another worker takes the step over)"
      end

      if options.poison.positive? && options.strategy != "isolate"
        raise OptionParser::InvalidArgument, "--poison needs --strategy isolate (what isolate lists is redriven)"
      end
      if options.poison.positive? && options.languages != ["ruby"]
        raise OptionParser::InvalidArgument, "--poison runs with Ruby workers only (the poisoned step is the Ruby " \
                                             "worker's), not with --languages #{options.languages.join(",")}"
      end

      { rows: 0, workers: 1, parallel: 1, checkpoint_every: 1, pace: 0, lease: 0.1, poison: 0,
        pieces: 1 }.each do |name, minimum|
        next if options[name] >= minimum

        raise OptionParser::InvalidArgument, "--#{name.to_s.tr("_", "-")} #{options[name]} (at least #{minimum})"
      end
    end

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end

exit Demo::CLI.main(ARGV) if $PROGRAM_NAME == __FILE__
