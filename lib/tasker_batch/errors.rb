# frozen_string_literal: true

module TaskerCore
  module BatchProcessing
    # Every error tasker-batch raises: `rescue TaskerCore::BatchProcessing::Error` catches them
    # all. A module, not a class, because bad input must also be an ArgumentError (existing
    # worker code rescues ArgumentError) and Ruby has single inheritance: both error classes
    # include it, so `rescue`, `is_a?`, `<=` and `ancestors` agree without any override.
    #
    #   InternalError   < StandardError, includes Error  (a bug, code "internal_error")
    #   ValidationError < ArgumentError, includes Error  (bad input)
    module Error
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

    # A bug caught at the native boundary (code "internal_error"): not the caller's fault, so
    # not an ArgumentError.
    class InternalError < StandardError
      include Error
    end

    # Bad input: what (code), where (path) and expected vs actual (message). An ArgumentError,
    # as upstream raised ArgumentError for "Missing batch_id" and friends.
    class ValidationError < ArgumentError
      include Error
    end
  end
end
