# frozen_string_literal: true

require_relative "../faults"

module Demo
  # The demo's faults when workers run in more than one language: the kill and the lost
  # connection go to a worker of another language than Ruby, so that the retry from the last
  # committed checkpoint is shown for those workers too. Which step a language's worker holds is
  # only known once it has claimed one, so those victims are chosen then: the kill's is the first
  # step seen running its first attempt in a Python worker (else a Node one), the lost
  # connection's the first in a Node worker (else a Python one). The freeze and the corruption
  # pick their steps by name, as without languages.
  class LanguageFaults < Faults
    # The Faults for a run whose workers are in `languages`.
    def self.for(languages, **faults)
      targets = languages - ["ruby"]
      targets.empty? ? Faults.new(**faults) : new(targets: targets, **faults)
    end

    def initialize(targets:, **faults)
      super(**faults)
      @kill_language = (%w[python node] & targets).first
      @disconnect_language = (%w[node python] & targets).first
      @languages = {} # pid (text) => language
    end

    # Tells which language the worker process `pid` runs in.
    def spawned(pid, language)
      @languages[pid.to_s] = language
    end

    # As Faults#arm, with the kill and the lost connection left to #watch.
    def arm(rows_by_worker)
      kills = @kills
      disconnect = @want_disconnect
      @kills = 0
      @want_disconnect = false
      lines = super
      @kills = kills
      @want_disconnect = disconnect
      lines << "a step held by a #{@kill_language} worker will be killed with SIGKILL after a checkpoint, at 30% of its range" if kills.positive?
      if disconnect
        lines << "a step held by a #{@disconnect_language} worker will lose its database session " \
                 "(pg_terminate_backend) after a checkpoint, at 30% of its range"
      end
      lines
    end

    def watch(progress)
      @victim ||= held_by(progress, @kill_language) if @kills.positive?
      @disconnected ||= held_by(progress, @disconnect_language) if @want_disconnect
      super
    end

    def missed
      missed = super
      missed << ["every step a #{@kill_language} worker held", "killed"] if @kills.positive? && @victim.nil?
      missed << ["every step a #{@disconnect_language} worker held", "disconnected"] if @want_disconnect && @disconnected.nil?
      missed
    end

    private

    # The first step in its first attempt, held by a worker in `language`, that no other fault
    # has taken.
    def held_by(progress, language)
      taken = [@victim, @frozen, @disconnected, @corrupted]
      progress.find do |name, state, attempts, _done, holder|
        state == "running" && attempts == 1 && @languages[holder] == language && !taken.include?(name)
      end&.first
    end
  end
end
