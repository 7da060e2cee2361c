# frozen_string_literal: true

module TaskerBatch
  # Looks at a caller's objects without calling their methods: `Hash === x` rather than
  # `x.is_a?(Hash)` (a BasicObject has no is_a?), Hash's own key? and [] rather than a
  # subclass's overrides. The Ruby layer reads caller data only through these; the values
  # themselves go to the extension, which reads them in place (issue 9, item 8).
  module Plain
    HASH_KEY = Hash.instance_method(:key?)
    HASH_GET = Hash.instance_method(:[])
    HASH_KEYS = Hash.instance_method(:keys)
    KERNEL_CLASS = Kernel.instance_method(:class)
    # Module#=== itself: Dry::Struct redefines it as `other.is_a?(self)`.
    KIND_OF = Module.instance_method(:===)
    private_constant :HASH_KEY, :HASH_GET, :HASH_KEYS, :KERNEL_CLASS, :KIND_OF

    module_function

    def hash?(value) = Hash === value # rubocop:disable Style/CaseEquality

    def struct?(value) = KIND_OF.bind_call(Dry::Struct, value)

    # Whether `value` is a `klass` (Module#=== itself, whatever `klass` redefines).
    def instance_of_kind?(klass, value) = KIND_OF.bind_call(klass, value)

    # `text` as UTF-8 for a message or a path, bytes that do not convert replaced (U+FFFD).
    def printable(text) = text.encode(Encoding::UTF_8, invalid: :replace, undef: :replace)

    # An object with Kernel's methods (respond_to?, class): anything but a BasicObject.
    def object?(value) = Kernel === value # rubocop:disable Style/CaseEquality

    def key?(hash, key) = HASH_KEY.bind_call(hash, key)

    def get(hash, key) = HASH_GET.bind_call(hash, key)

    def keys(hash) = HASH_KEYS.bind_call(hash)

    # The value of `key` (a String) in `hash`, or of its Symbol; [found, value].
    def lookup(hash, key)
      return [true, get(hash, key)] if key?(hash, key)
      return [false, nil] unless key.valid_encoding? # no Symbol has those bytes

      symbol = key.to_sym
      key?(hash, symbol) ? [true, get(hash, symbol)] : [false, nil]
    end

    # The name of the value's class, for a message.
    def class_name(value)
      object?(value) ? KERNEL_CLASS.bind_call(value).name || "an anonymous class" : "BasicObject"
    end

    # A String or Symbol argument as a String (no to_s called), or a ValidationError.
    def name!(value, path)
      return String.new(value) if String === value # rubocop:disable Style/CaseEquality
      return value.name if Symbol === value # rubocop:disable Style/CaseEquality

      raise TaskerCore::BatchProcessing::ValidationError.new(
        "expected a String or Symbol, found #{class_name(value)}", code: "type_mismatch", path: path
      )
    end
  end
end
