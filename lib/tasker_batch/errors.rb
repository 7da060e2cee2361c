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

      # `message` is the core's message as it is (upstream's text where upstream raised one);
      # code, path and warnings are beside it, and shown by #inspect and #full_message.
      def initialize(message = nil, code: nil, path: nil, warnings: [])
        super(message)
        @code = code
        @path = path
        @warnings = warnings.freeze
      end

      # `#<TaskerCore::BatchProcessing::ValidationError: Missing batch_id code="missing_batch_id"
      # path="inputs.cursor.batch_id" warnings=[]>`
      def inspect
        "#<#{self.class.name}: #{message} #{details}>"
      end

      # Ruby's report (the message, the class, the backtrace) with the details on the line after
      # the message. `message` itself stays the core's text.
      def full_message(**options)
        annotated = exception("#{message}\n#{details}")
        Exception.instance_method(:full_message).bind_call(annotated, **options)
      end

      private

      def details
        "code=#{code.inspect} path=#{path.inspect} warnings=#{warnings.inspect}"
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
