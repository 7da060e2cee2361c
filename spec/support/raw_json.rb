# frozen_string_literal: true

require "json"

# Reads JSON text without turning it into Ruby objects, so that a value's exact text (digits
# beyond 64 bits, `1.50`, key order, escapes) can be passed on or compared as it was written.
#
#   doc = RawJson.new('{"a": [1, 2.50], "b": {}}')
#   doc.members(0)        # => {"a" => 6...15, "b" => 22...24}
#   doc.slice(6...15)     # => "[1, 2.50]"
#
# It trusts its input to be valid JSON (the vector files and the core's envelopes are); it
# only has to find where each value starts and ends, which it does without recursion so a
# value nested 10,000 levels deep is as easy as a flat one.
class RawJson
  WHITESPACE = [0x20, 0x09, 0x0A, 0x0D].freeze
  QUOTE = 0x22
  BACKSLASH = 0x5C
  OPENERS = [0x7B, 0x5B].freeze # { [
  CLOSERS = [0x7D, 0x5D].freeze # } ]

  attr_reader :text

  def initialize(text)
    @text = text.b
  end

  # The exact text of the byte range `range`, as a UTF-8 String.
  def slice(range)
    @text.byteslice(range).force_encoding(Encoding::UTF_8)
  end

  # The byte range of the value that starts at (or after whitespace from) byte `pos`.
  def value_at(pos)
    start = skip_whitespace(pos)
    start...value_end(start)
  end

  # The members of the object at `pos`: key (decoded) => byte range of its value, in order.
  # A key given twice keeps its last range, as JSON.parse does.
  def members(pos)
    pos = expect(skip_whitespace(pos), 0x7B)
    out = {}
    pos = skip_whitespace(pos)
    return out if @text.getbyte(pos) == 0x7D

    loop do
      key_start = skip_whitespace(pos)
      key_end = string_end(key_start)
      key = JSON.parse(slice(key_start...key_end))
      range = value_at(expect(skip_whitespace(key_end), 0x3A))
      out[key] = range
      pos = skip_whitespace(range.end)
      return out if @text.getbyte(pos) == 0x7D

      pos = expect(pos, 0x2C)
    end
  end

  # The byte ranges of the elements of the array at `pos`, in order.
  def elements(pos)
    pos = expect(skip_whitespace(pos), 0x5B)
    out = []
    pos = skip_whitespace(pos)
    return out if @text.getbyte(pos) == 0x5D

    loop do
      range = value_at(pos)
      out << range
      pos = skip_whitespace(range.end)
      return out if @text.getbyte(pos) == 0x5D

      pos = expect(pos, 0x2C)
    end
  end

  private

  def skip_whitespace(pos)
    pos += 1 while WHITESPACE.include?(@text.getbyte(pos))
    pos
  end

  def expect(pos, byte)
    found = @text.getbyte(pos)
    raise ArgumentError, "expected #{byte.chr.inspect} at byte #{pos}, found #{found&.chr.inspect}" unless found == byte

    pos + 1
  end

  # One past the last byte of the value starting at `start`.
  def value_end(start)
    first = @text.getbyte(start)
    return string_end(start) if first == QUOTE
    return scalar_end(start) unless OPENERS.include?(first)

    depth = 0
    pos = start
    loop do
      byte = @text.getbyte(pos)
      raise ArgumentError, "unterminated value starting at byte #{start}" if byte.nil?

      if byte == QUOTE
        pos = string_end(pos)
        next
      end
      depth += 1 if OPENERS.include?(byte)
      depth -= 1 if CLOSERS.include?(byte)
      pos += 1
      return pos if depth.zero?
    end
  end

  def string_end(start)
    pos = expect(start, QUOTE)
    loop do
      byte = @text.getbyte(pos)
      raise ArgumentError, "unterminated string starting at byte #{start}" if byte.nil?
      return pos + 1 if byte == QUOTE

      pos += byte == BACKSLASH ? 2 : 1
    end
  end

  # Numbers, true, false, null: everything up to the next delimiter.
  def scalar_end(start)
    pos = start
    pos += 1 until (byte = @text.getbyte(pos)).nil? || WHITESPACE.include?(byte) ||
                   [0x2C, 0x7D, 0x5D].include?(byte)
    raise ArgumentError, "expected a value at byte #{start}" if pos == start

    pos
  end
end
