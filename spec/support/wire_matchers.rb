# frozen_string_literal: true

# Comparison of wire values by the conformance README's rules, which Ruby's `==` does not
# follow on its own: an Integer never equals a Float (`1 == 1.0` is true in Ruby, and
# `{"a" => 1} == {"a" => 1.0}` with it); objects compare by key whatever the order unless
# `ordered`, when the key order must match too.
module WireMatchers
  # The first difference between `actual` and `expected` ("at cursor_configs[0].batch_size:
  # expected 5, found 5.0"), or nil when they are equal.
  def self.difference(actual, expected, ordered:, path: "")
    case expected
    when Hash then hash_difference(actual, expected, ordered, path)
    when Array then array_difference(actual, expected, ordered, path)
    when Integer, Float, String then scalar_difference(actual, expected, path) { actual.instance_of?(expected.class) }
    else scalar_difference(actual, expected, path) { actual.equal?(expected) }
    end
  end

  def self.hash_difference(actual, expected, ordered, path)
    return mismatch(path, expected, actual) unless actual.is_a?(Hash)

    missing = expected.keys - actual.keys
    extra = actual.keys - expected.keys
    return "#{where(path)}: missing keys #{missing.inspect}, extra keys #{extra.inspect}" unless missing.empty? && extra.empty?
    if ordered && actual.keys != expected.keys
      return "#{where(path)}: expected the keys in the order #{expected.keys.inspect}, found #{actual.keys.inspect}"
    end

    expected.each do |key, value|
      found = difference(actual[key], value, ordered: ordered, path: path.empty? ? key.to_s : "#{path}.#{key}")
      return found if found
    end
    nil
  end

  def self.array_difference(actual, expected, ordered, path)
    return mismatch(path, expected, actual) unless actual.is_a?(Array)
    return "#{where(path)}: expected #{expected.size} elements, found #{actual.size}" unless actual.size == expected.size

    expected.each_with_index do |value, i|
      found = difference(actual[i], value, ordered: ordered, path: "#{path}[#{i}]")
      return found if found
    end
    nil
  end

  def self.scalar_difference(actual, expected, path)
    yield && actual == expected ? nil : mismatch(path, expected, actual)
  end

  def self.mismatch(path, expected, actual)
    "#{where(path)}: expected #{expected.inspect[0, 200]} (#{expected.class}), found #{actual.inspect[0, 200]} (#{actual.class})"
  end

  def self.where(path)
    path.empty? ? "at the top" : "at #{path}"
  end

  # `expect(value).to equal_wire(expected)` / `equal_wire(expected, ordered: true)`.
  class EqualWire
    def initialize(expected, ordered)
      @expected = expected
      @ordered = ordered
    end

    def matches?(actual)
      @actual = actual
      @difference = WireMatchers.difference(actual, @expected, ordered: @ordered)
      @difference.nil?
    end

    def failure_message
      "expected #{@actual.inspect[0, 500]}\n to equal the wire value #{@expected.inspect[0, 500]}" \
        "#{" (key order included)" if @ordered}\n#{@difference}"
    end

    def failure_message_when_negated
      "expected #{@actual.inspect[0, 500]} not to equal the wire value #{@expected.inspect[0, 500]}"
    end

    def description
      "equal the wire value #{@expected.inspect[0, 100]}#{" (key order included)" if @ordered}"
    end
  end

  def equal_wire(expected, ordered: false)
    EqualWire.new(expected, ordered)
  end
end
