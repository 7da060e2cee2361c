# frozen_string_literal: true

# Every public entry point of the gem, fed hostile Ruby values in every argument position it
# has (issue 9, item 8): whatever it raises is one of ours (a ValidationError with a path, or
# an InternalError), never NoMethodError, EncodingError, RangeError, SystemStackError or a
# hostile object's own exception; and the GC is enabled afterwards.
RSpec.describe "Hostile Ruby values at every public entry point" do
  # Raises from every conversion a reader could be tempted to call. (The methods the gem does
  # call on a step object, `inputs`, `results`, `checkpoint` and `respond_to?`, are the
  # caller's API: what they raise is the caller's, and propagates as it is.)
  raising = Class.new do
    %i[to_s to_str to_h to_hash to_a to_ary to_i to_int to_f to_sym to_json to_native inspect hash == eql? each
       each_pair keys size].each do |name|
      define_method(name) { |*| raise "#{name} must not be called" }
    end
  end
  odd_string = Class.new(String) { def to_s = raise("to_s") }
  odd_hash = Class.new(Hash) do
    def each(*) = raise("each")
    def [](*) = raise("[]")
    def keys = raise("keys")
  end
  odd_array = Class.new(Array) do
    def each(*) = raise("each")
    def [](*) = raise("[]")
  end

  looping_array = [].tap { |a| a << a }
  looping_hash = {}.tap { |h| h["h"] = h }

  hostile = {
    "a BasicObject" => BasicObject.new,
    "an object whose conversions raise" => raising.new,
    "a binary non-UTF-8 String" => "\xff\xfe".b,
    "a UTF-8 String with invalid bytes" => (+"\xC3").force_encoding("UTF-8"),
    "a UTF-16LE String" => "001".encode("UTF-16LE"),
    "an Integer beyond 64 bits" => 10**30,
    "a negative Integer beyond 128 bits" => -(10**40),
    "an Array that contains itself" => looping_array,
    "a Hash that contains itself" => looping_hash,
    "a frozen String subclass" => odd_string.new("001").freeze,
    "a Hash subclass whose readers raise" => odd_hash.new.tap { |h| h.store("batch_id", "1") },
    "an Array subclass whose readers raise" => odd_array.new([1, 2]),
    "NaN" => Float::NAN,
    "Infinity" => Float::INFINITY,
    "-Infinity" => -Float::INFINITY,
    "a Symbol" => :batch_id,
    "a Proc" => proc { raise "called" },
    "a Method" => 1.method(:+),
    "a Range" => (1..(10**30)),
    "a Rational" => Rational(1, 3),
    "a Class" => Class.new,
    "a Time" => Time.at(0),
    "nil" => nil
  }.freeze

  config = { "batch_id" => "001", "start_cursor" => 0, "end_cursor" => 5, "batch_size" => 5 }
  step = { "inputs" => { "cursor" => config }, "results" => { "checkpoint_cursor" => 2 } }
  outcome = { "type" => "create_batches", "worker_template_name" => "w", "worker_count" => 1, "cursor_configs" => [config],
              "total_items" => 5 }
  dependencies = { "analyze" => { "batch_processing_outcome" => outcome }, "w_001" => { "items_processed" => 5 } }

  # Each entry point, with the hostile value `x` in one position: the whole input, or one value
  # (or key) of an otherwise valid input.
  entry_points = {
    "TaskerBatch.call (input)" => ->(x) { TaskerBatch.call(:validate_cursor_config, x) },
    "TaskerBatch.call (op)" => ->(x) { TaskerBatch.call(x, config) },
    "TaskerBatch.call (a value)" => ->(x) { TaskerBatch.call(:validate_cursor_config, config.merge("batch_id" => x)) },
    "TaskerBatch.call (a cursor)" => ->(x) { TaskerBatch.call(:validate_cursor_config, config.merge("start_cursor" => x)) },
    "TaskerBatch.call (caller data)" => ->(x) { TaskerBatch.call(:validate_cursor_config, config.merge("note" => [x])) },
    # By identity: a BasicObject has no #hash, and a raising #hash would raise in this spec.
    "TaskerBatch.call (a key)" => lambda { |x|
      TaskerBatch.call(:validate_cursor_config, {}.compare_by_identity.merge!(config).tap { |h| h[x] = 1 })
    },
    "TaskerBatch.call_with_warnings" => ->(x) { TaskerBatch.call_with_warnings(:partition, { "strategy" => x }) },
    "TaskerBatch.call_lazy" => ->(x) { TaskerBatch.call_lazy(:aggregate, { "batch_results" => { "w" => x } }) },
    "TaskerBatch.call_text (text)" => ->(x) { TaskerBatch.call_text(:validate_cursor_config, x) },
    "TaskerBatch.call_text (op)" => ->(x) { TaskerBatch.call_text(x, "{}") },
    "Native.call (input)" => ->(x) { TaskerBatch.checked(*TaskerBatch::Native.call("worker_context", x)) },
    "Native.call_json (op)" => ->(x) { TaskerBatch::Native.call_json(x, "{}") },
    "Native.call_json (text)" => ->(x) { TaskerBatch::Native.call_json("validate_cursor_config", x) },
    "Document#[]" => lambda { |x|
      TaskerBatch.call_lazy(:partition, { "strategy" => "integer_by_count", "total_items" => 10, "worker_count" => 2 }).value[x]
    },
    "Document#document" => lambda { |x|
      TaskerBatch.call_lazy(:partition, { "strategy" => "integer_by_count", "total_items" => 10, "worker_count" => 2 }).value.document(x)
    },
    "CursorConfigList#[]" => lambda { |x|
      TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 10, worker_count: 2)[x]
    },
    "BatchProcessing.partition" => lambda { |x|
                                     TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: x, worker_count: 2)
                                   },
    "BatchProcessing.expand_outcome" => ->(x) { TaskerCore::BatchProcessing.expand_outcome(batchable_step_name: "analyze", outcome: x) },
    "BatchProcessing.update_workflow_step_results (step)" => lambda { |x|
      TaskerCore::BatchProcessing.update_workflow_step_results(x, { "checkpoint_cursor" => 3 })
    },
    "BatchProcessing.update_workflow_step_results (changes)" => lambda { |x|
      TaskerCore::BatchProcessing.update_workflow_step_results(step, x)
    },
    "BatchProcessing.reset_for_retry" => ->(x) { TaskerCore::BatchProcessing.reset_for_retry(x) },
    "BatchWorkerContext.from_step_data" => ->(x) { TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(x) },
    "BatchWorkerContext.from_step_data (results)" => lambda { |x|
      TaskerCore::BatchProcessing::BatchWorkerContext.from_step_data(step.merge("results" => x))
    },
    "BatchAggregationScenario.detect (results)" => lambda { |x|
                                                     TaskerCore::BatchProcessing::BatchAggregationScenario.detect(x, "analyze", "w_")
                                                   },
    "BatchAggregationScenario.detect (name)" => lambda { |x|
      TaskerCore::BatchProcessing::BatchAggregationScenario.detect(dependencies, x, "w_")
    },
    "BatchAggregationScenario#aggregate" => lambda { |x|
      TaskerCore::BatchProcessing::BatchAggregationScenario.detect(dependencies, "analyze", "w_").aggregate(max_errors: x)
    },
    "BatchAggregationScenario#converge" => lambda { |x|
      TaskerCore::BatchProcessing::BatchAggregationScenario.detect(dependencies, "analyze", "w_").converge(failure_strategy: x)
    },
    "Types::CursorConfig.new" => ->(x) { TaskerCore::Types::CursorConfig.new(x) },
    "Types::CursorConfig.new (a value)" => ->(x) { TaskerCore::Types::CursorConfig.new(config.merge("batch_id" => x)) },
    "Types::BatchProcessingOutcome.from_hash" => ->(x) { TaskerCore::Types::BatchProcessingOutcome.from_hash(x) },
    "Types::FailureStrategy[]" => ->(x) { TaskerCore::Types::FailureStrategy[x] }
  }

  def gc_enabled?
    was_disabled = GC.disable
    GC.enable unless was_disabled
    !was_disabled
  end

  entry_points.each do |entry, call|
    it "#{entry}: every hostile value is answered, or raises one of our errors, with the GC enabled after" do
      problems = hostile.filter_map do |name, value|
        call.call(value)
        nil
      rescue TaskerCore::BatchProcessing::ValidationError => e
        "#{name}: ValidationError without a path (#{e.message})" unless e.path.is_a?(String) && e.code.is_a?(String)
      rescue TaskerCore::BatchProcessing::InternalError
        nil
      rescue Exception => e # rubocop:disable Lint/RescueException
        "#{name}: #{e.class}: #{e.message[0, 200]}"
      ensure
        expect(gc_enabled?).to be(true), "#{name} left the GC disabled"
      end
      expect(problems).to eq([])
    end
  end
end
