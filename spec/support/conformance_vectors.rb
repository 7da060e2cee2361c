# frozen_string_literal: true

require "json"
require_relative "raw_json"

# The shared conformance vectors (spec/conformance/*.json, described in its README), read so
# that each case's input is available as the exact text written in the file.
module ConformanceVectors
  DIR = File.expand_path("../conformance", __dir__)

  # One case of one vector file.
  #
  # - `input_text`: what to send on the text path: the raw text of `input`, or the
  #   (decoded) `input_text` string. Never re-serialized.
  # - `expect`: the parsed `expect` member (value, value_text, ordered, warnings, error).
  Case = Struct.new(:file, :name, :op, :input_text, :raw_input_text, :expect, keyword_init: true) do
    def error?
      expect.key?("error")
    end

    def ordered?
      expect["ordered"] == true
    end

    # The expected warnings as [code, path] pairs, in order; none when absent.
    def warnings
      (expect["warnings"] || []).map { |w| [w.fetch("code"), w.fetch("path")] }
    end

    def error_code
      expect.fetch("error").fetch("code")
    end

    def error_path
      expect.fetch("error").fetch("path")
    end
  end

  # The reason `text` cannot be given to Ruby as an object, or nil when it can.
  Unrepresentable = Struct.new(:reason)

  # Raised by UniqueKeyHash: the input names a key twice.
  class DuplicateKey < StandardError; end

  # A Hash that refuses a second value for a key: JSON.parse stores members with `[]=`, so
  # parsing with it finds the inputs a Ruby Hash would silently shorten.
  class UniqueKeyHash < Hash
    def []=(key, value)
      raise DuplicateKey, "the input names the key #{key.inspect} twice" if key?(key)

      super
    end
  end

  module_function

  def files
    Dir[File.join(DIR, "*.json")]
  end

  # Every case of the vector file at `path`, in file order.
  def cases(path)
    doc = RawJson.new(File.read(path, encoding: Encoding::UTF_8))
    top = doc.members(0)
    doc.elements(top.fetch("cases").begin).map do |range|
      members = doc.members(range.begin)
      meta = JSON.parse(doc.slice(range))
      raw = !members.key?("input")
      Case.new(
        file: File.basename(path),
        name: meta.fetch("name"),
        op: meta.fetch("op"),
        input_text: raw ? meta.fetch("input_text") : doc.slice(members.fetch("input")),
        raw_input_text: raw,
        expect: meta.fetch("expect")
      )
    end
  end

  # The input as Ruby objects (big integers exact), or Unrepresentable with the reason when
  # the text is not JSON or names a key twice (a Ruby Hash keeps only one of them).
  def ruby_input(text)
    JSON.parse(text, max_nesting: false, object_class: UniqueKeyHash)
    JSON.parse(text, max_nesting: false)
  rescue JSON::ParserError => e
    Unrepresentable.new("the input text is not valid JSON, so it has no Ruby object form (#{e.message[0, 80]})")
  rescue DuplicateKey => e
    Unrepresentable.new("#{e.message}: a Ruby Hash cannot hold both members")
  end

  # The parts of an envelope from TaskerBatch::Native.call_json: `ok`, the value's exact text
  # (nil on failure), the error Hash (nil on success) and the warnings.
  def envelope(text)
    doc = RawJson.new(text)
    members = doc.members(0)
    {
      ok: JSON.parse(doc.slice(members.fetch("ok"))),
      value_text: members.key?("value") ? doc.slice(members["value"]) : nil,
      error: members.key?("error") ? JSON.parse(doc.slice(members["error"])) : nil,
      warnings: members.key?("warnings") ? JSON.parse(doc.slice(members["warnings"])) : []
    }
  end
end
