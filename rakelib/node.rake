# frozen_string_literal: true

# The `tasker-batch` npm package (bindings/node): its unit tests, the install test, packing and
# benchmarks. Node's dependencies (koffi; typescript and @types/node for the build) come from
# bin/setup, exactly as bindings/node/package-lock.json says. The last line adds the tests to
# `rake test`.

# Paths and helpers the Node tasks share.
module TaskerBatchNode
  extend FileUtils

  ROOT = File.expand_path("..", __dir__)
  DIR = File.join(ROOT, "bindings/node")
  TSC = File.join(DIR, "node_modules/typescript/bin/tsc")

  module_function

  def target_dir
    ENV.fetch("CARGO_TARGET_DIR", File.join(ROOT, "target"))
  end

  # The library the tests load: the debug build that build:shared_library makes.
  def test_env
    { "TASKER_BATCH_LIB" => File.join(target_dir, "debug", "libtasker_batch.so") }
  end

  def require_setup
    %w[koffi typescript @types/node].each do |name|
      next if File.exist?(File.join(DIR, "node_modules", name))

      abort "bindings/node/node_modules/#{name} is missing: run bin/setup"
    end
  end

  # Node's runner with one line a test, failures repeated at the end (TAP is five times longer).
  def node_test(files)
    sh test_env, "node", "--test", "--test-reporter=spec", *files, chdir: DIR
  end
end

namespace :node do
  desc "Compile the npm package's TypeScript (bindings/node/src -> dist) with the pinned tsc"
  task :build do
    TaskerBatchNode.require_setup
    sh "node", TaskerBatchNode::TSC, "-p", ".", chdir: TaskerBatchNode::DIR
  end

  desc "Build the release library and pack the npm package into pkg/node/tasker-batch-VERSION.tgz"
  task :pack do
    TaskerBatchNode.require_setup
    sh "cargo", "build", "--release", "-p", "tasker-batch", "--lib", chdir: TaskerBatchNode::ROOT
    out = File.join(TaskerBatchNode::ROOT, "pkg/node")
    mkdir_p out
    library = File.join(TaskerBatchNode.target_dir, "release", "libtasker_batch.so")
    sh({ "TASKER_BATCH_LIB" => library }, "npm", "pack", "--pack-destination", out, chdir: TaskerBatchNode::DIR)
  end
end

namespace :test do
  desc "Node: the npm package's unit tests (every public name, the conformance vectors, the docs' examples)"
  task node: %w[build:shared_library node:build] do
    TaskerBatchNode.node_test(Dir[File.join(TaskerBatchNode::DIR, "test/*.test.js")])
  end

  desc "Node: npm pack, install the tarball into an empty directory, run a lifecycle (CommonJS, ESM), tsc --strict"
  task node_install: %w[build:shared_library node:build] do
    TaskerBatchNode.node_test([File.join(TaskerBatchNode::DIR, "test/install/install.test.js")])
  end
end

namespace :bench do
  desc "Node: the npm package against JSON.stringify + JSON.parse and a pure-JS baseline; see docs/performance.md"
  task node: "node:build" do
    TaskerBatchNode.require_setup
    sh "cargo", "build", "--release", "-p", "tasker-batch", "--lib", chdir: TaskerBatchNode::ROOT
    library = File.join(TaskerBatchNode.target_dir, "release", "libtasker_batch.so")
    sh({ "TASKER_BATCH_LIB" => library }, "node", File.join(TaskerBatchNode::ROOT, "bench/node/bench.js"))
  end
end

task test: %w[test:node test:node_install]
