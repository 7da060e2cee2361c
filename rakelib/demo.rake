# frozen_string_literal: true

# `rake demo`: the batch lifecycle end to end on an embedded SQLite store, or on PostgreSQL with
# `--store postgres` (a throwaway server the demo starts and stops, or DATABASE_URL's); see
# demo/README.md. Options go in DEMO_ARGS, because rake takes whatever follows `--` for more
# task names:
#
#   rake demo DEMO_ARGS="--rows 20000 --cursor uuid --kill-twice"
#   rake demo DEMO_ARGS="--store postgres --freeze --drop-connection"

require "shellwords"

desc 'Run the end-to-end batch demo (options: rake demo DEMO_ARGS="--store postgres --rows 20000"; see demo/README.md)'
task demo: :compile do
  if ARGV.include?("--")
    abort 'rake demo: pass the demo\'s options in DEMO_ARGS, e.g. rake demo DEMO_ARGS="--rows 1000"'
  end

  args = Shellwords.split(ENV.fetch("DEMO_ARGS", ""))
  sh(RbConfig.ruby, File.join(ROOT, "demo/run.rb"), *args) do |ok, status|
    # The demo prints its own verdict; pass its exit status on without rake's backtrace.
    exit(status.exitstatus || 1) unless ok
  end
end
