# frozen_string_literal: true

require "json"

# The two Ruby paths into the core, side by side: Ruby objects (TaskerBatch::Native.call, what
# every gem method takes) and JSON text (TaskerBatch::Native.call_json, what `call_text` sends).
# Both must answer the same envelope for the same input: the value (Integers and Floats
# apart, key order included), the warnings, and an error's code, path and message.
#
# Generated inputs are conformance-vector inputs with seeded random mutations: values replaced
# by integers beyond 64 and 128 bits (10**40), floats, strings, nil, booleans, Symbols and
# nested caller data; keys added and removed; array elements repeated or dropped. The text of
# a generated input is JSON.generate of it. Floats stay in the range where Ruby and the core
# spell a float alike (`0.5`, `-1234.25`; not `1.0e+20`, which the core writes `1e20`), so
# that a message quoting a float quotes the same text on both paths.
module Differential
  module_function

  # The envelope through Ruby objects, as the Hash the text path's JSON would parse to.
  def object_envelope(op, input)
    ok, value, warnings = TaskerBatch::Native.call(op, input)
    ok ? { "ok" => true, "value" => value, "warnings" => warnings } : { "ok" => false, "error" => value, "warnings" => warnings }
  end

  # The envelope through JSON text.
  def text_envelope(op, text)
    envelope = JSON.parse(TaskerBatch::Native.call_json(op, text), max_nesting: false)
    envelope["warnings"] ||= []
    envelope
  end

  # The first difference between the two paths on `input` (its text `text`), or nil.
  def difference(op, input, text = JSON.generate(input, max_nesting: false))
    by_objects = object_envelope(op, input)
    by_text = text_envelope(op, text)
    WireMatchers.difference(by_objects, by_text, ordered: true)
  end

  # The vector inputs every mutation starts from, as [op, Ruby object] pairs (the inputs that
  # are not JSON, or name a key twice, have no Ruby object form).
  # Inputs nested deeper than 32 levels are left out: they are vectors about the nesting limit,
  # compared as they are, and a mutation of them says nothing new.
  def seeds
    @seeds ||= ConformanceVectors.files.sort.flat_map do |path|
      ConformanceVectors.cases(path).filter_map do |vector|
        input = ConformanceVectors.ruby_input(vector.input_text)
        [vector.op, input] unless input.is_a?(ConformanceVectors::Unrepresentable) || depth(input) > 32
      end
    end
  end

  # How deep `node` nests, counted without recursion (some vectors nest 10,000 levels).
  def depth(node)
    deepest = 0
    stack = [[node, 0]]
    until stack.empty?
      value, level = stack.pop
      children = value.is_a?(Hash) ? value.values : value
      next unless children.is_a?(Array)

      deepest = [deepest, level + 1].max
      children.each { |child| stack << [child, level + 1] }
    end
    deepest
  end

  BIG = [10**40, -(10**40), 2**64, (2**64) - 1, 2**127, (2**127) - 1, -(2**127), -(2**127) - 1, 2**128, (2**128) - 1,
         2**200, 4_294_967_296, -1, 0].freeze
  FLOATS = [0.5, -0.25, 1.5, 100.0, 0.1, -1234.25, 3.0e-3, 123_456_789.125].freeze
  STRINGS = ["", "001", "caf\u00e9", "2024-01-01T00:00:00Z", "550e8400-e29b-41d4-a716-446655440000", "x" * 40,
             "failed", "error", "items_processed"].freeze
  KEYS = %w[items_processed items_succeeded items_failed items_skipped errors success status result
            batch_worker_outcome batch_id start_cursor end_cursor batch_size checkpoint_cursor processed_count
            cursor batch_metadata is_no_op note zeta alpha].freeze

  # A random scalar or small nested value.
  def value(rng, depth = 0)
    case rng.rand(10)
    when 0, 1 then BIG.sample(random: rng)
    when 2 then FLOATS.sample(random: rng)
    when 3 then STRINGS.sample(random: rng)
    when 4 then [nil, true, false].sample(random: rng)
    when 5 then rng.rand(-5..1000)
    when 6 then depth < 3 ? Array.new(rng.rand(0..3)) { value(rng, depth + 1) } : 7
    when 7 then depth < 3 ? Array.new(rng.rand(0..3)).to_h { [KEYS.sample(random: rng), value(rng, depth + 1)] } : 8
    when 8 then STRINGS.sample(random: rng).to_sym
    else rng.rand(2**70)
    end
  end

  # Every [container, key-or-index] of `node`, depth first.
  def slots(node, out = [])
    case node
    when Hash then node.each_key { |k| (out << [node, k]) && slots(node[k], out) }
    when Array then node.each_index { |i| (out << [node, i]) && slots(node[i], out) }
    end
    out
  end

  def mutate!(root, rng)
    all = slots(root)
    return root if all.empty?

    container, key = all.sample(random: rng)
    case rng.rand(6)
    when 0, 1, 2 then container[key] = value(rng)
    when 3 then container.is_a?(Hash) ? container.delete(key) : container.delete_at(key)
    when 4
      container.is_a?(Hash) ? container[KEYS.sample(random: rng)] = value(rng) : container.insert(key, container[key])
    else
      target = container[key]
      target[KEYS.sample(random: rng)] = value(rng) if target.is_a?(Hash)
      target << value(rng) if target.is_a?(Array)
    end
    root
  end

  # `count` generated [op, input] pairs from `seed`: each a vector input with 1 to 3 mutations.
  def generated(count, seed)
    rng = Random.new(seed)
    Array.new(count) do
      op, input = seeds.sample(random: rng)
      input = Marshal.load(Marshal.dump(input))
      rng.rand(1..3).times { mutate!(input, rng) }
      [op, input]
    end
  end
end
