# frozen_string_literal: true

module TaskerBatch
  # The gem's version; the native core reports its own through TaskerBatch::Native.version.
  VERSION = "0.1.0"
end
