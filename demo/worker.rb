# frozen_string_literal: true

# One attempt of one worker step, as its own process:
#
#   ruby demo/worker.rb DB_PATH STEP_NAME
#
# It claims the step (pending -> running), reads its BatchWorkerContext from the stored inputs and
# results, and sums its range, checkpointing as it goes. How the attempt ended is written to the
# store (the orchestrator reads it there); the exit status only says whether it got that far:
# 0 it did, 1 the attempt failed (recorded), 2 the step was not run because its stored data is
# unusable: corrupt JSON, or a checkpoint the core refuses (recorded).

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "tasker_batch"
require_relative "store"
require_relative "handlers"

db_path, step_name = ARGV
abort "usage: ruby demo/worker.rb DB_PATH STEP_NAME" unless db_path && step_name

store = Demo::Store.new(db_path)
begin
  step = store.claim(step_name)
rescue Demo::CorruptStepData => e
  store.mark_failed(step_name, e.reason)
  warn e.message
  exit 2
end

begin
  Demo::ProcessProducts.new(store).call(step)
rescue Demo::UnusableStep => e
  store.reject(step, e.message)
  warn "#{step_name}: #{e.message}"
  exit 2
rescue StandardError => e
  store.fail(step, e.message)
  warn "#{step_name}: #{e.class}: #{e.message}"
  exit 1
end
