# frozen_string_literal: true

require_relative "lib/tasker_batch/version"

# The source gem: it compiles the Rust core on `gem install` (Rust >= 1.85 and libclang needed;
# ext/tasker_batch/extconf.rb stops at once, naming them, when they are missing). `rake native`
# builds the precompiled x86_64-linux gem from this same specification (rakelib/ship.rake).
Gem::Specification.new do |spec|
  spec.name = "tasker-batch"
  spec.version = TaskerBatch::VERSION
  spec.authors = ["The tasker-batch developers"]
  spec.summary = "The batch-processing contract of the tasker workflow orchestrator, implemented once in Rust"
  spec.description = <<~TEXT
    Cursor configs, batch outcomes, worker contexts, checkpoints, scenario detection,
    aggregation and convergence for batch workers, decided by one Rust core (the same one
    C, Python and TypeScript workers call) and offered under the TaskerCore:: names that
    existing Ruby worker code uses.
  TEXT
  spec.license = "MIT"
  spec.homepage = "https://github.com/tasker-systems/tasker-batch"
  spec.required_ruby_version = ">= 3.1"
  # The RubyGems of Ruby 3.1, the oldest Ruby supported (tested with RubyGems 3.3.15).
  spec.required_rubygems_version = ">= 3.3"

  # The extension builds the Rust core from source: the gem carries the whole workspace.
  spec.files = Dir[
    "lib/**/*.rb", "ext/tasker_batch/Cargo.toml", "ext/tasker_batch/extconf.rb", "ext/tasker_batch/src/**/*.rs",
    "Cargo.toml", "Cargo.lock", "src/**/*.rs", "benches/**/*.rs", "include/*.h",
    "README.md", "CHANGELOG.md", "LICENSE", "docs/**/*.md"
  ]
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/tasker_batch/extconf.rb"]

  spec.add_dependency "dry-struct", "~> 1.6"
  spec.add_dependency "rb_sys", "~> 0.9"

  spec.metadata = {
    "homepage_uri" => spec.homepage,
    "source_code_uri" => "https://github.com/tasker-systems/tasker-batch",
    "changelog_uri" => "https://github.com/tasker-systems/tasker-batch/blob/main/CHANGELOG.md",
    "documentation_uri" => "https://github.com/tasker-systems/tasker-batch/blob/main/docs/contract.md",
    "bug_tracker_uri" => "https://github.com/tasker-systems/tasker-batch/issues",
    "rubygems_mfa_required" => "true"
  }
end
