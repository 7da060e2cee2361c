# frozen_string_literal: true

module TaskerBatch
  # Living next to upstream's gem. Upstream's tasker-core defines the same constants as this gem
  # (`TaskerCore::Types::BatchProcessingOutcome`, `TaskerCore::BatchProcessing::BatchWorkerContext`,
  # the Batchable mixin, ...), in files its own entry point loads with `require_relative`, so a
  # process that uses upstream's worker framework loads them whether or not it wants them.
  #
  # The one supported arrangement: require "tasker_batch" first. From then on these names are
  # tasker-batch's, whatever loads later: a file that reopens one of them in a class or module
  # body changes nothing (a method it defines is taken out again, or put back to tasker-batch's;
  # a Dry::Struct `attribute` it declares is ignored) and one warning per file and name says so.
  # Loaded the other way round, `require "tasker_batch"` raises LoadConflict naming both files.
  #
  # Only definitions made in a class or module body count as a reopening: methods defined at
  # run time (an RSpec stub, `define_method` from a method) are left alone, and so are modules
  # included or prepended (the way to extend one of these classes).
  module Sealed
    # `require "tasker_batch"` found one of its names already defined by another file.
    class LoadConflict < LoadError; end

    # The constants tasker-batch defines that upstream's gem defines too.
    NAMES = %w[
      TaskerCore::Types::BatchProcessingOutcome
      TaskerCore::Types::BatchProcessingOutcome::NoBatches
      TaskerCore::Types::BatchProcessingOutcome::CreateBatches
      TaskerCore::Types::CursorConfig
      TaskerCore::Types::BatchMetadata
      TaskerCore::Types::BatchWorkerInputs
      TaskerCore::Types::FailureStrategy
      TaskerCore::BatchProcessing::BatchWorkerContext
      TaskerCore::BatchProcessing::BatchAggregationScenario
      TaskerCore::StepHandler::Mixins::Batchable
      TaskerCore::StepHandler::Batchable
    ].freeze

    LIB = File.expand_path("..", __dir__)
    CLASS_BODY = /\A(?:<class:|<module:|singleton class\z)/
    private_constant :LIB, :CLASS_BODY

    # What a sealed module keeps: its own methods (instance and singleton) with their
    # visibility, as they were when it was sealed.
    Seal = Struct.new(:instance_side, :singleton_side, :warned)
    private_constant :Seal

    @seals = {}.compare_by_identity

    class << self
      # Raises LoadConflict when another file already defined one of NAMES.
      def check_nothing_loaded_before
        NAMES.each do |name|
          next unless Object.const_defined?(name)

          file, line = Object.const_source_location(name)
          raise LoadConflict, "#{name} is already defined by #{file}:#{line} (upstream's tasker-core?), so " \
                              "tasker-batch cannot define it: require \"tasker_batch\" before tasker-core's " \
                              "batch processing files (see docs/migrating-from-upstream-ruby.md)"
        end
      end

      # Seals every one of NAMES that is loaded (an autoloaded one seals itself when it loads).
      def seal_loaded
        NAMES.each do |name|
          parent, _, last = name.rpartition("::")
          seal(Object.const_get(name)) unless Object.const_get(parent).autoload?(last)
        end
      end

      # Seals `mod`: from now on a class or module body that reopens it leaves it as it is now.
      def seal(mod)
        @seals[mod] = Seal.new(own_methods(mod), own_methods(mod.singleton_class), {})
        mod.extend(Hooks)
        mod.extend(StructHooks) if mod.is_a?(Class) && mod < Dry::Struct
        mod
      end

      # Whether `mod` was sealed.
      def sealed?(mod)
        @seals.key?(mod)
      end

      # The file that reopened a sealed module, when the definition that `locations` (the
      # definer's frames) lead to was made in a class or module body of a file not ours.
      def reopening_file(locations)
        frame = locations.find { |location| CLASS_BODY.match?(location.label) }
        path = frame&.absolute_path || frame&.path
        path unless path.nil? || path.start_with?(LIB)
      end

      # Puts method `name` of `mod` (a singleton method when `singleton`) back as it was sealed,
      # or takes it out when the seal did not have it.
      def undo(mod, name, singleton, file)
        seal = @seals.fetch(mod)
        owner = singleton ? mod.singleton_class : mod
        saved, visibility = (singleton ? seal.singleton_side : seal.instance_side)[name]
        if saved
          owner.send(:define_method, name, saved)
          owner.send(visibility, name)
        else
          owner.send(:remove_method, name)
        end
        warn_once(mod, file)
      end

      # Warns once per sealed module and file that reopened it.
      def warn_once(mod, file)
        warned = @seals.fetch(mod).warned
        return if warned[file]

        warned[file] = true
        warn "tasker-batch: #{file} reopens #{mod.name}, which tasker-batch defines: tasker-batch's " \
             "definition stays (see docs/migrating-from-upstream-ruby.md)"
      end

      private

      def own_methods(owner)
        { public: owner.public_instance_methods(false), protected: owner.protected_instance_methods(false),
          private: owner.private_instance_methods(false) }.each_with_object({}) do |(visibility, names), saved|
          names.each { |name| saved[name] = [owner.instance_method(name), visibility] }
        end
      end
    end

    # Extended into a sealed module: Ruby calls these for every method defined in it.
    module Hooks
      def method_added(name)
        super
        file = Sealed.reopening_file(caller_locations(1, 2))
        Sealed.undo(self, name, false, file) if file
      end

      def singleton_method_added(name)
        super
        file = Sealed.reopening_file(caller_locations(1, 2))
        Sealed.undo(self, name, true, file) if file
      end
    end
    private_constant :Hooks

    # Extended into a sealed Dry::Struct: an attribute declared again in a reopening body would
    # raise Dry::Struct::RepeatedAttributeError, and a new one would change the schema.
    module StructHooks
      def attribute(name, *args, &block)
        file = Sealed.reopening_file(caller_locations(1, 2))
        return super unless file

        Sealed.warn_once(self, file)
        self
      end
    end
    private_constant :StructHooks
  end
end
