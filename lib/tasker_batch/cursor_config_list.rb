# frozen_string_literal: true

module TaskerBatch
  # The cursor configs a partition produced, kept as the core's JSON until Ruby looks at them.
  #
  # Ten thousand configs are ten thousand Hashes and Strings to build; an analyzer usually only
  # counts them and hands them on into an outcome. So `size`, `to_json`, and passing the list
  # back into the core (`BatchProcessingOutcome.create_batches`) work on the JSON directly, and
  # the first look at an element (`each`, `[]`, `to_a`, any Enumerable method) builds the
  # wire Hashes (String keys) once; from then on the list is that Array, and changes to its
  # Hashes stay.
  class CursorConfigList
    include Enumerable

    # `document`: a TaskerBatch::Native::Document holding a JSON array of cursor configs.
    def initialize(document)
      @document = document
      @configs = nil
    end

    def size
      @configs ? @configs.size : @document.size
    end
    alias length size

    def empty?
      size.zero?
    end

    def count(*args, &block)
      args.empty? && !block ? size : super
    end

    # Array#[]'s arguments (an Integer, a start and a length, a Range); anything else is a
    # ValidationError rather than Array's TypeError.
    def [](*args)
      unless args.all? { |arg| Integer === arg } || (args.size == 1 && Range === args.first) # rubocop:disable Style/CaseEquality
        raise TaskerCore::BatchProcessing::ValidationError.new(
          "expected an Integer index, a start and a length, or a Range, found #{args.map { |a| Plain.class_name(a) }.join(", ")}",
          code: "type_mismatch", path: ""
        )
      end
      to_a[*args]
    rescue RangeError # an index beyond 64 bits: beyond any list, so absent
      nil
    end

    def each(&block)
      return enum_for(:each) { size } unless block

      to_a.each(&block)
      self
    end

    def last(*args)
      to_a.last(*args)
    end

    # The configs as an Array of wire Hashes (built once, then kept).
    def to_a
      # @configs is the list's state once built (size, to_json and to_native read it), not a cache of to_a.
      @configs ||= @document.to_ruby # rubocop:disable Naming/MemoizedInstanceVariableName
    end
    alias to_ary to_a

    # The JSON array (compact), without building Ruby objects when none were built yet.
    def to_json(*args)
      @configs ? @configs.to_json(*args) : @document.to_json
    end

    # What to hand the core: the JSON itself while nothing was built (or changed) in Ruby.
    def to_native
      @configs || @document
    end

    def ==(other)
      other.respond_to?(:to_ary) && to_a == other.to_ary
    end

    def inspect
      @configs ? @configs.inspect : "#<#{self.class.name} size=#{size} (not built yet)>"
    end
  end
end
