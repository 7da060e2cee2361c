# frozen_string_literal: true

module TaskerCore
  # Step handler helpers (the Batchable mixin, and upstream's deprecated Batchable class).
  module StepHandler
    # Upstream's deprecated base class for batch handlers: a class that includes
    # TaskerCore::StepHandler::Mixins::Batchable and nothing else, so that handlers written
    # against it load and run unchanged:
    #
    #   class ProcessCsvBatch < TaskerCore::StepHandler::Batchable
    #     def call(context)
    #       batch = get_batch_context(context)
    #       ...
    #     end
    #   end
    #
    # New code includes the mixin into its own handler class instead.
    #
    # Upstream's worker framework defines this class as a subclass of its handler base class,
    # `Base` in this namespace. So that both definitions can meet, this file is autoloaded (see
    # lib/tasker_batch.rb): it runs when the name is first used, which is also when upstream's
    # `class Batchable < Base` runs, and it then subclasses that same Base. Without upstream's
    # framework it subclasses Object.
    class Batchable < (const_defined?(:Base, false) ? const_get(:Base, false) : Object)
      include Mixins::Batchable
    end
    TaskerBatch::Sealed.seal(Batchable)
  end
end
