# frozen_string_literal: true

RSpec.describe TaskerCore::Types::FailureStrategy do
  describe "the constants" do
    it "name the three strategies in their wire spelling, continue_on_failure by default" do
      expect(described_class::ALL).to eq(%w[continue_on_failure fail_fast isolate])
      expect([described_class::CONTINUE_ON_FAILURE, described_class::FAIL_FAST, described_class::ISOLATE])
        .to eq(described_class::ALL)
      expect(described_class::DEFAULT).to eq("continue_on_failure")
    end
  end

  describe "Type" do
    it "is a strict dry type of the canonical spellings" do
      expect(described_class::Type["isolate"]).to eq("isolate")
      expect { described_class::Type["Isolate"] }.to raise_error(Dry::Types::ConstraintError)
    end
  end

  describe ".[]" do
    it "returns the canonical spelling of a String or Symbol, in either spelling" do
      expect(described_class["fail_fast"]).to eq("fail_fast")
      expect(described_class[:isolate]).to eq("isolate")
      expect(described_class["ContinueOnFailure"]).to eq("continue_on_failure")
      expect(described_class["FailFast"]).to eq("fail_fast")
    end

    it "rejects anything else" do
      expect { described_class["sometimes"] }.to raise_validation_error("invalid_value").at("failure_strategy")
    end
  end
end
