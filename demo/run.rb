#!/usr/bin/env ruby
# frozen_string_literal: true

# The batch lifecycle end to end on an embedded SQLite store, no server: `rake demo`, or by hand
# `source .deps/env.sh && ruby demo/run.rb --help`. See demo/README.md.

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "fileutils"
require "optparse"
require "tmpdir"
require "tasker_batch"
require_relative "store"
require_relative "dataset"
require_relative "handlers"
require_relative "faults"
require_relative "display"
require_relative "orchestrator"
require_relative "report"

module Demo
  # The demo's options; see `ruby demo/run.rb --help`.
  Options = Struct.new(:rows, :workers, :parallel, :checkpoint_every, :strategy, :cursor, :seed, :db, :kills,
                       :pace, :corrupt, :empty_run, keyword_init: true)

  # `ruby demo/run.rb [options]`: a run over the generated products, then a tiny run over an empty
  # dataset (the no_batches path). Exit status 0 when every run adds up, 1 when one does not,
  # 2 for bad options, 130 when interrupted.
  module CLI
    DEFAULTS = { rows: 200_000, workers: 4, parallel: 2, checkpoint_every: 1_000, strategy: "continue_on_failure",
                 cursor: "integer", seed: 42, db: nil, kills: 1, pace: 25_000, corrupt: nil, empty_run: true }.freeze

    module_function

    def main(argv)
      options = parse(argv)
      $stdout.sync = true # one event, one line, also into a pipe
      dir = options.db || Dir.mktmpdir("tasker-batch-demo-")
      FileUtils.mkdir_p(dir)
      display = Display.new($stdout)
      ok = run(options, dir, display, name: "products", title: headline(options))
      if options.empty_run && options.rows.positive?
        display.line
        empty = options.dup.tap { |o| o.rows, o.kills, o.corrupt = 0, 0, nil }
        ok = run(empty, dir, display, name: "empty", title: "Empty dataset: the no_batches path") && ok
      end
      ok ? 0 : 1
    rescue OptionParser::ParseError => e
      warn "demo: #{e.message} (see --help)"
      2
    rescue Interrupt
      display&.finish
      warn "\ndemo: interrupted"
      130
    ensure
      FileUtils.rm_rf(dir) if dir && !options.db
    end

    # One workflow on its own store `DIR/NAME.sqlite3`; true when its report says ok.
    def run(options, dir, display, name:, title:)
      started = now
      display.restart_clock
      display.line(title)
      db_path, csv_path, log_path = %w[sqlite3 csv log].map { |ext| File.join(dir, "#{name}.#{ext}") }
      FileUtils.rm_f([*Dir.glob("#{db_path}*"), csv_path, log_path]) # a previous run's, in --db DIR
      display.item("store", "#{db_path} (SQLite, WAL); worker output in #{File.basename(log_path)}")
      store = Store.create(db_path, cursor: options.cursor)
      manifest = load_dataset(store, options, csv_path, display)
      faults = Faults.new(store: store, kills: options.kills, corrupt: options.corrupt)
      result = Orchestrator.new(store: store, db_path: db_path, log_path: log_path, display: display,
                                settings: options, faults: faults).run
      report = Report.new(manifest: manifest, result: result, events: store.events, faults: faults,
                          parallel: options.parallel, elapsed: now - started)
      display.line("Report")
      report.lines.each { |line| display.line(line) }
      report.ok?
    ensure
      store&.close
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
      "tasker-batch demo: #{Demo.count(options.rows)} products with #{options.cursor} keys, " \
        "#{Demo.plural(options.workers, "worker")} (#{options.parallel} at a time), a checkpoint every " \
        "#{Demo.count(options.checkpoint_every)} rows, #{options.strategy}"
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
        o.on("--workers N", Integer, "Worker steps the analyzer asks for (default 4)") { |n| options.workers = n }
        o.on("--parallel N", Integer, "Worker processes at a time (default 2)") { |n| options.parallel = n }
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
        o.on("--[no-]empty-run", "Run the empty dataset afterwards (default: yes)") { |b| options.empty_run = b }
      end
    end

    def check(options)
      { rows: 0, workers: 1, parallel: 1, checkpoint_every: 1, pace: 0 }.each do |name, minimum|
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
