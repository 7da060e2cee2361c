# frozen_string_literal: true

# The gem's own namespace: the calls into the Rust core, beside the `TaskerCore::` names that
# worker code uses.
module TaskerBatch
  # The value of a successful call and the warnings the core reported beside it.
  Result = Struct.new(:value, :warnings)

  class << self
    # Calls the core operation `op` (see `TaskerBatch.operations`) with a JSON-shaped Ruby
    # value (Hash keys may be Strings or Symbols) and returns its value. Output hashes have
    # String keys, as on the wire. Raises TaskerCore::BatchProcessing::ValidationError for bad
    # input and TaskerCore::BatchProcessing::InternalError for an internal failure (both are a
    # TaskerCore::BatchProcessing::Error).
    def call(op, input)
      call_with_warnings(op, input).value
    end

    # Like #call, returning a Result with the value and the warnings (Array of Hash with
    # "code", "message" and "path").
    def call_with_warnings(op, input)
      result_of(*Native.call(op, input))
    end

    # Like #call_with_warnings, with the value as a TaskerBatch::Native::Document: JSON kept on
    # the Rust side, turned into Ruby objects only for the members that are read
    # (`doc["key"]`, `doc[0]`, `doc.size`, `doc.to_ruby`, `doc.to_json`).
    def call_lazy(op, input)
      result_of(*Native.call_lazy(op, input))
    end

    # The value of a native call's `[ok, value_or_error, warnings]`: raises the error, or
    # hands the warnings to the warning handler. For callers of the Native methods directly
    # (TaskerBatch::Native.call_members, which answers the members of an output that a caller
    # reads in one native call).
    def checked(ok, value, warnings)
      raise error_from(value, warnings) unless ok

      warnings.each { |w| warning_handler&.call(w) } unless warnings.empty?
      value
    end

    # Calls `op` on JSON text the caller already holds (a host's stored step data, say): the
    # core reads the text itself, so malformed JSON is an `invalid_json` ValidationError with
    # its line and column. Returns the value as Ruby objects.
    def call_text(op, json_text)
      envelope = parse_envelope(Native.call_json(op, json_text))
      ok = envelope["ok"]
      result_of(ok, ok ? envelope["value"] : envelope["error"], envelope.fetch("warnings", [])).value
    end

    # The names of every operation the core offers.
    def operations
      Native.operations
    end

    # Receives every warning of every successful call (a Hash with "code", "message", "path").
    # Nil by default: warnings are also returned by #call_with_warnings and kept on the
    # objects built from them.
    attr_accessor :warning_handler

    private

    # The core carries a lone UTF-16 surrogate escape (`"\ud800"`) exactly where a value is raw;
    # Ruby's JSON cannot make a String of it, so that answer is our error, not JSON's.
    def parse_envelope(text)
      JSON.parse(text)
    rescue JSON::ParserError => e
      raise TaskerCore::BatchProcessing::ValidationError.new(
        "expected an answer Ruby can hold, found a string that is not Unicode text " \
        "(a lone UTF-16 surrogate escape such as \"\\ud800\"): #{e.message.lines.first&.strip}",
        code: "invalid_string", path: ""
      )
    end

    # The Result of a native call's `[ok, value_or_error, warnings]`, or the error raised.
    def result_of(ok, value, warnings)
      raise error_from(value, warnings) unless ok

      warnings.each { |w| warning_handler&.call(w) }
      Result.new(value, warnings)
    end

    INTERNAL = "internal_error"
    private_constant :INTERNAL

    def error_from(error, warnings)
      klass = error["code"] == INTERNAL ? TaskerCore::BatchProcessing::InternalError : TaskerCore::BatchProcessing::ValidationError
      klass.new(error["message"], code: error["code"], path: error["path"], warnings: warnings)
    end
  end
end
