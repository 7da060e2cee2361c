# frozen_string_literal: true

module TaskerCore
  module BatchProcessing
    # What every tasker-batch error carries besides its message.
    module ErrorDetails
      # The stable machine code (`"worker_count_mismatch"`, ...); `"internal_error"` for bugs.
      attr_reader :code
      # The JSON path of the offending value (`"cursor_configs[2].batch_size"`); "" is the input.
      attr_reader :path
      # Warnings the core reported beside the error (Array of Hash with "code", "path", "message").
      attr_reader :warnings

      def initialize(message = nil, code: nil, path: nil, warnings: [])
        super(message)
        @code = code
        @path = path
        @warnings = warnings.freeze
      end
    end

    # Every error raised by tasker-batch. A bug caught at the native boundary is raised as this
    # class itself, with code "internal_error".
    #
    # Bad input raises ValidationError, which `rescue TaskerCore::BatchProcessing::Error` also
    # catches (see ValidationError for why it is not a subclass).
    class Error < StandardError
      include ErrorDetails

      def self.===(other)
        super || ValidationError === other
      end
    end

    # Bad input: what (code), where (path) and expected vs actual (message).
    #
    # It is an ArgumentError, because existing worker code rescues ArgumentError (upstream raised
    # ArgumentError for "Missing batch_id" and friends). Ruby has single inheritance, so it
    # cannot also subclass Error; instead Error matches it in `rescue` and `is_a?`.
    class ValidationError < ArgumentError
      include ErrorDetails

      def is_a?(klass)
        klass == Error || super
      end
      alias kind_of? is_a?
    end
  end
end
