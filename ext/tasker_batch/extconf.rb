require "mkmf"
require "rb_sys/mkmf"
create_rust_makefile("tasker_batch/tasker_batch_native")
