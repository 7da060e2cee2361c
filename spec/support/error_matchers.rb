# frozen_string_literal: true

# `expect { ... }.to raise_validation_error("missing_batch_id").at("inputs.cursor.batch_id")`:
# the block raises TaskerCore::BatchProcessing::ValidationError with that code (and path),
# and a message for humans.
RSpec::Matchers.define :raise_validation_error do |code|
  supports_block_expectations

  chain(:at) { |path| @path = path }
  chain(:with_message) { |pattern| @message = pattern }

  match do |block|
    begin
      block.call
    rescue TaskerCore::BatchProcessing::ValidationError => e
      @raised = e
    end
    next false unless @raised

    @raised.code == code &&
      (!defined?(@path) || @raised.path == @path) &&
      !@raised.message.to_s.empty? &&
      (!defined?(@message) || values_match?(@message, @raised.message))
  end

  failure_message do
    wanted = "a ValidationError #{code.inspect}"
    wanted += " at #{@path.inspect}" if defined?(@path)
    wanted += " with a message matching #{@message.inspect}" if defined?(@message)
    found = if @raised
              "#{@raised.code.inspect} at #{@raised.path.inspect}: #{@raised.message}"
            else
              "nothing raised"
            end
    "expected #{wanted}, found #{found}"
  end
end
