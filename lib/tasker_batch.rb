# frozen_string_literal: true

# tasker-batch: the batch-processing contract of the workflow orchestrator, decided in Rust
# and used from Ruby through the `TaskerCore::` names existing worker code knows.
#
#   require "tasker_batch"
#   outcome = TaskerCore::Types::BatchProcessingOutcome.create_batches(
#     worker_template_name: "process_batch", worker_count: 3,
#     cursor_configs: TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 1000, worker_count: 3),
#     total_items: 1000
#   )
#   outcome.to_h # => {"type" => "create_batches", ...}

require "json"
require "dry-struct"

require_relative "tasker_batch/version"
require_relative "tasker_batch/sealed"
TaskerBatch::Sealed.check_nothing_loaded_before

require_relative "tasker_batch/errors"
# The precompiled gem carries one extension per Ruby minor version (tasker_batch/3.1/...); a
# source install compiles tasker_batch/tasker_batch_native.
native = File.join(__dir__, "tasker_batch", RUBY_VERSION[/\A\d+\.\d+/], "tasker_batch_native.#{RbConfig::CONFIG["DLEXT"]}")
require(File.exist?(native) ? native : File.join(__dir__, "tasker_batch/tasker_batch_native"))
require_relative "tasker_batch/call"
require_relative "tasker_batch/plain"
require_relative "tasker_batch/cursor_config_list"
require_relative "tasker_core/types"
require_relative "tasker_core/batch_processing"
require_relative "tasker_core/step_handler/mixins/batchable"

# Upstream's deprecated base class, loaded when first named: its superclass depends on whether
# upstream's worker framework is loaded (see the file).
TaskerCore::StepHandler.autoload(:Batchable, File.expand_path("tasker_core/step_handler/batchable", __dir__))

# What these names are from now on, whatever loads later (upstream's gem: see TaskerBatch::Sealed).
TaskerBatch::Sealed.seal_loaded
