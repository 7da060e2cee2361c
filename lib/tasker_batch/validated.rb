# frozen_string_literal: true

module TaskerBatch
  # Makes a Dry::Struct validate through the Rust core: `.new` sends the attributes to a core
  # operation and builds the struct from the canonical value it returns, so Ruby raises exactly
  # the errors every other language gets. The canonical wire hash is kept: `#to_h` returns it
  # (String keys, caller keys included, nothing dropped) and `#warnings` what the core noticed.
  module Validated
    def self.included(base)
      base.extend(ClassMethods)
      base.transform_keys(&:to_sym)
    end

    # Class-level half of Validated.
    module ClassMethods
      # The core operation that validates this type, and an attribute the input always has
      # (the outcome's `type`): added when absent, checked when given.
      def validated_by(operation, fixed = {})
        @validation_operation = operation
        @fixed_attributes = fixed.transform_keys(&:to_s).freeze
      end

      # Validates `attributes` in the core and builds the struct from the canonical value.
      # Dry::Struct's own signature: its types call `new(attributes, true)` positionally.
      def new(attributes = default_attributes, safe = false, &block) # rubocop:disable Style/OptionalBooleanParameter
        return attributes if TaskerBatch::Plain.instance_of_kind?(self, attributes)

        input = TaskerBatch::Plain.struct?(attributes) ? attributes.to_h : attributes
        input = with_fixed_attributes(input) if TaskerBatch::Plain.hash?(input)
        result = TaskerBatch.call_with_warnings(@validation_operation, input)
        check_fixed_attributes(result.value)
        from_wire(result.value, result.warnings, safe: safe, &block)
      end

      # Builds an instance from a value the core already validated (its canonical wire hash).
      # Nested mirrors (BatchWorkerInputs' cursor and batch_metadata) are built here, each from
      # its own part of that value, so that Dry::Struct receives them finished and never asks
      # the core the same question again.
      def from_wire(wire, warnings = [], safe: false, &block)
        wire = TaskerBatch::Validated.deep_freeze(wire)
        attributes = if nested_mirrors.empty?
                       wire
                     else
                       wire.merge(nested_mirrors.to_h { |key, mirror| [key, mirror.from_wire(wire.fetch(key))] })
                     end
        instance = Dry::Struct::ClassInterface.instance_method(:new).bind_call(self, attributes, safe, &block)
        instance.instance_variable_set(:@wire, wire)
        instance.instance_variable_set(:@warnings, warnings.freeze)
        instance
      end

      private

      # The attributes whose type is itself a Validated struct: wire key => struct class.
      def nested_mirrors
        @nested_mirrors ||= schema.keys.filter_map do |key|
          [key.name.to_s, key.type] if key.type.is_a?(Class) && key.type.include?(Validated)
        end.freeze
      end

      # Hash's own methods, not a subclass's: the input is the caller's.
      HASH_KEYS = Hash.instance_method(:keys)
      HASH_MERGE = Hash.instance_method(:merge)

      def with_fixed_attributes(input)
        symbols = Symbol === HASH_KEYS.bind_call(input).first # rubocop:disable Style/CaseEquality
        missing = {}
        @fixed_attributes.each do |key, expected|
          found, given = TaskerBatch::Plain.lookup(input, key)
          if found
            check_fixed_attribute(key, expected, given)
          else
            missing[symbols ? key.to_sym : key] = expected
          end
        end
        missing.empty? ? input : HASH_MERGE.bind_call(input, missing)
      end

      def check_fixed_attributes(wire)
        @fixed_attributes.each { |key, expected| check_fixed_attribute(key, expected, wire[key]) }
      end

      def check_fixed_attribute(key, expected, given)
        # `expected` compares (a String, a Symbol): no method of the caller's value is called.
        return if expected.eql?(given) || expected.to_sym.equal?(given)

        found = String === given || Symbol === given ? TaskerBatch::Plain.name!(given, key).inspect : TaskerBatch::Plain.class_name(given) # rubocop:disable Style/CaseEquality
        raise TaskerCore::BatchProcessing::ValidationError.new(
          "expected #{expected.inspect} for #{name}, found #{found}",
          code: "invalid_value", path: key
        )
      end
    end

    # What the core noticed while validating (Array of Hash with "code", "message", "path").
    attr_reader :warnings

    # The exact wire format: String keys, every key the input had (a fresh, mutable copy).
    def to_h
      TaskerBatch::Validated.deep_dup(@wire)
    end
    alias to_hash to_h

    # An attribute (Symbol or String name), or a caller key kept from the input.
    def [](key)
      name = key.to_sym
      self.class.has_attribute?(name) ? super(name) : @wire.fetch(key.to_s)
    end

    def self.deep_freeze(value)
      case value
      when Hash then value.each_value { |v| deep_freeze(v) }.freeze
      when Array then value.each { |v| deep_freeze(v) }.freeze
      else value.freeze
      end
    end

    def self.deep_dup(value)
      case value
      when Hash then value.transform_values { |v| deep_dup(v) }
      when Array then value.map { |v| deep_dup(v) }
      else value
      end
    end
  end
end
