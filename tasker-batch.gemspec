# frozen_string_literal: true

require_relative "lib/tasker_batch/version"

Gem::Specification.new do |spec|
  spec.name = "tasker-batch"
  spec.version = TaskerBatch::VERSION
  spec.authors = ["tasker-batch developers"]
  spec.summary = "The batch-processing contract of the tasker workflow orchestrator, implemented once in Rust"
  spec.description = <<~TEXT
    Cursor configs, batch outcomes, worker contexts, checkpoints, scenario detection,
    aggregation and convergence for batch workers, decided by one Rust core (the same one
    C, Python and TypeScript workers call) and offered under the TaskerCore:: names that
    existing Ruby worker code uses.
  TEXT
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.1"

  # The extension builds the Rust core from source: the gem carries the whole workspace.
  spec.files = Dir[
    "lib/**/*.rb", "ext/tasker_batch/Cargo.toml", "ext/tasker_batch/extconf.rb", "ext/tasker_batch/src/**/*.rs",
    "Cargo.toml", "Cargo.lock", "src/**/*.rs", "benches/**/*.rs", "include/*.h", "README.md", "docs/**/*.md"
  ]
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/tasker_batch/extconf.rb"]

  spec.add_dependency "dry-struct", "~> 1.6"
  spec.add_dependency "rb_sys", "~> 0.9"
  spec.metadata["rubygems_mfa_required"] = "true"
end
