# frozen_string_literal: true

require "open3"
require "ripper"
require "tmpdir"

# The guides' examples run: every ```ruby runnable block of docs/*.md, and the C program of
# docs/c-api.md. (The ```json input <op> blocks are run by the Rust suite, tests/docs_examples.rs.)
#
# A runnable block runs on its own, in a fresh object that includes
# TaskerCore::StepHandler::Mixins::Batchable, so blocks share nothing. A line
#
#   expr # => expected
#
# is a check: `expr` (complete on that line) is compared with `expected` (a Ruby literal) using
# `==`, and a difference fails the example naming the file, the line and both values. Lines
# without `# =>` just run. Each block is one example, named by its file and line.
module DocExamples
  ROOT = File.expand_path("..", __dir__)

  # A fenced block: `line` is the line of the Markdown file its first code line is on.
  Block = Struct.new(:file, :line, :info, :source)

  module_function

  # Every fenced block of the Markdown file at `path` (relative to ROOT), in order.
  def fenced_blocks(path)
    blocks = []
    open_block = nil
    File.foreach(File.join(ROOT, path)).with_index(1) do |text, number|
      if open_block
        if text.start_with?("```")
          blocks << open_block
          open_block = nil
        else
          open_block.source << text
        end
      elsif text.start_with?("```")
        open_block = Block.new(path, number + 1, text.delete_prefix("```").strip, +"")
      end
    end
    blocks
  end

  def guides
    (Dir.glob("docs/*.md", base: ROOT) + ["README.md"]).sort
  end

  def ruby_blocks
    guides.flat_map { |path| fenced_blocks(path).select { |block| block.info == "ruby runnable" } }
  end

  # The source with every `expr # => expected` line turned into a call of
  # `__doc_check__(line, source, (expr), (expected))`, line for line, so that the Markdown line
  # numbers stay right. Comments are found with Ripper, so a `#` inside a string is not one.
  def instrument(block)
    lines = block.source.lines
    Ripper.lex(block.source).each do |(row, column), type, token|
      next unless type == :on_comment

      expected = token[/\A#\s*=>(.*)/m, 1]&.strip
      next if expected.nil? || expected.empty?

      text = lines[row - 1]
      expr = text.byteslice(0, column)
      next if expr.strip.empty?

      indent = expr[/\A\s*/]
      lines[row - 1] = "#{indent}__doc_check__(#{block.line + row - 1}, #{expr.strip.inspect}, " \
                       "(#{expr.strip}), (#{expected}))\n"
    end
    lines.join
  end

  # A fresh object for one block: the Batchable helpers, and `__doc_check__` reporting to
  # `check` (called with line, expression source, actual and expected values).
  def sandbox(check)
    object = Class.new { include TaskerCore::StepHandler::Mixins::Batchable }.new
    object.define_singleton_method(:__doc_check__) do |line, source, actual, expected|
      check.call(line, source, actual, expected)
    end
    object
  end

  # The library the C example links against (built by `cargo build` when missing).
  def library_dir
    File.join(ENV.fetch("CARGO_TARGET_DIR", File.join(ROOT, "target")), "debug")
  end

  def compiler
    compiler = ENV.fetch("CC", "cc")
    found = ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).any? do |dir|
      File.executable?(File.join(dir, compiler))
    end
    compiler if found || File.executable?(compiler)
  end
end

RSpec.describe "The guides' Ruby examples (```ruby runnable in docs/*.md)" do
  blocks = DocExamples.ruby_blocks

  it "exist" do
    expect(blocks).not_to be_empty
  end

  blocks.each do |block|
    it "#{block.file}:#{block.line}" do
      check = lambda do |line, source, actual, expected|
        expect(actual).to eq(expected),
                          "#{block.file}:#{line}: #{source}\n  expected: #{expected.inspect}\n       " \
                          "got: #{actual.inspect}"
      end
      aggregate_failures do
        DocExamples.sandbox(check).instance_eval(DocExamples.instrument(block), block.file, block.line)
      end
    end
  end
end

RSpec.describe "The C program of docs/c-api.md (```c)" do
  guide = "docs/c-api.md"
  programs = File.exist?(File.join(DocExamples::ROOT, guide)) ? DocExamples.fenced_blocks(guide) : []
  programs = programs.select { |block| block.info == "c" }

  it "is one block" do
    expect(programs.size).to eq(1), "expected exactly one ```c block in docs/c-api.md, found #{programs.size}"
  end

  it "compiles against include/ and libtasker_batch.so, runs and exits with status 0" do
    expect(programs).not_to be_empty, "docs/c-api.md has no ```c block"
    compiler = DocExamples.compiler
    skip "no C compiler: #{ENV.fetch("CC", "cc")} is not on PATH" unless compiler

    lib_dir = DocExamples.library_dir
    unless File.exist?(File.join(lib_dir, "libtasker_batch.so"))
      output, status = Open3.capture2e("cargo", "build", "-p", "tasker-batch", "--lib", chdir: DocExamples::ROOT)
      expect(status).to be_success, "cargo build failed; the C example needs #{lib_dir}/libtasker_batch.so:\n#{output}"
    end

    Dir.mktmpdir("c_api_example") do |dir|
      source = File.join(dir, "c_api_example.c")
      program = File.join(dir, "c_api_example")
      File.write(source, programs.first.source)
      output, status = Open3.capture2e(
        compiler, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
        "-I#{File.join(DocExamples::ROOT, "include")}", source,
        "-L#{lib_dir}", "-ltasker_batch", "-Wl,-rpath,#{lib_dir}", "-o", program
      )
      expect(status).to be_success, "docs/c-api.md:#{programs.first.line}: the C program does not compile:\n#{output}"

      output, status = Open3.capture2e({ "LD_LIBRARY_PATH" => lib_dir }, program)
      expect(status.exitstatus).to eq(0), "the C program exited with #{status.exitstatus}:\n#{output}"
    end
  end
end
