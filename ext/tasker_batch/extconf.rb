require "mkmf"
require "rb_sys/mkmf"

create_rust_makefile("tasker_batch/tasker_batch_native") do |r|
  # Cargo features of the extension, comma-separated: none for the gem; `rake bench:ruby`
  # builds with `bench-conversion` (Native.call_value, for the conversion-path comparison).
  r.features = ENV.fetch("TASKER_BATCH_EXT_FEATURES", "").split(",").map(&:strip).reject(&:empty?)
end
