# frozen_string_literal: true

# A worker process, as one would run on a machine of its own:
#
#   ruby demo/worker.rb STORE LEASE_SECONDS
#
# STORE is a store's locator (a SQLite file, or a postgresql:// URL). The worker opens its own
# connection and claims worker steps itself, one at a time, until none is left to do (nothing
# hands it work): a pending step, or a running one whose lease expired, which it takes over
# from its last checkpoint (reset_for_retry). For each claimed step it reads its
# BatchWorkerContext from the stored inputs and results and sums its range, checkpointing as it
# goes; each checkpoint renews the lease.
#
# How each attempt ended is written to the store. The exit status says how the process ended:
# 0 no work left; 3 it lost its database connection (the attempt is taken over when its lease
# expires); 4 a write of its attempt was refused because the step had moved on (fenced): it stops.

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "tasker_batch"
require_relative "store"
require_relative "handlers"
require_relative "redrive"

module Demo
  # The claim loop of one worker process.
  class Worker
    IDLE_SECONDS = 0.05
    LOST_CONNECTION = 3
    FENCED = 4

    def initialize(locator, lease)
      @holder = Process.pid.to_s
      @store = Store.open(locator, name: "tasker-batch-worker-#{@holder}")
      @lease = lease
    end

    # Works until no worker step is left to do or being done; the exit status.
    def run
      loop do
        claim = @store.claim_next(holder: @holder, lease: @lease)
        if claim
          attempt(claim)
        else
          return 0 unless @store.work_remaining?

          @store.expire_exhausted
          sleep IDLE_SECONDS
        end
      end
    rescue StaleAttempt => e
      warn "worker #{@holder}: #{e.message}; stopping"
      FENCED
    rescue StandardError => e
      raise unless @store.lost_connection?(e)

      warn "worker #{@holder}: lost the database connection (#{e.class}: #{e.message.strip}); stopping"
      LOST_CONNECTION
    end

    private

    def attempt(claim)
      step = claim.step
      @store.reclaimed(step, TaskerCore::BatchProcessing.reset_for_retry(step), claim.reclaimed) if claim.reclaimed
      ProcessProducts.new(@store).call(step)
    rescue CorruptStepData => e
      @store.reject(claim.bare, e.reason)
      warn e.message
    rescue UnusableStep => e
      @store.reject(step, e.message)
      warn "#{claim.name}: #{e.message}"
    rescue StaleAttempt
      raise
    rescue PoisonedRow => e
      poisoned(step, e)
    rescue StandardError => e
      raise if @store.lost_connection?(e)

      @store.fail(step || claim.bare, e.message)
      warn "#{claim.name}: #{e.class}: #{e.message}"
    end

    # The step's attempt failed on its poison (demo/redrive.rb): retried from its checkpoint while
    # attempts are left, as a crash is; then it stays failed, for convergence to list.
    def poisoned(step, error)
      @store.fail(step, error.message)
      @store.reset(step, TaskerCore::BatchProcessing.reset_for_retry(step)) if step.attempts < Store::MAX_ATTEMPTS
      warn "#{step.name}: #{error.message}"
    end
  end
end

if $PROGRAM_NAME == __FILE__
  locator, lease = ARGV
  abort "usage: ruby demo/worker.rb STORE LEASE_SECONDS" unless locator && lease

  exit Demo::Worker.new(locator, Float(lease)).run
end
