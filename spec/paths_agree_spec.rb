# frozen_string_literal: true

# The Ruby-object path and the JSON-text path answer the same envelope (issue 9, item 7): every
# conformance vector, then thousands of seeded random mutations of them (spec/support/
# differential.rb). GC.stress runs a smaller count (spec/gc_stress_spec.rb).
RSpec.describe "The two Ruby paths agree" do
  it "on every conformance vector, envelope for envelope (value, warnings, error code, path and message)" do
    differences = ConformanceVectors.files.sort.flat_map do |path|
      ConformanceVectors.cases(path).filter_map do |vector|
        input = ConformanceVectors.ruby_input(vector.input_text)
        next if input.is_a?(ConformanceVectors::Unrepresentable)

        found = Differential.difference(vector.op, input, vector.input_text)
        "#{File.basename(path)}: #{vector.name}: #{found}" if found
      end
    end
    expect(differences).to eq([])
  end

  it "runs enough vectors to mean something" do
    expect(Differential.seeds.size).to be > 400
  end

  seed = Integer(ENV.fetch("TASKER_BATCH_DIFFERENTIAL_SEED", "20261204"))
  count = Integer(ENV.fetch("TASKER_BATCH_DIFFERENTIAL_COUNT", "4000"))

  it "on #{count} generated inputs (seed #{seed}: bignums, floats, nested caller data, mutated vectors)" do
    differences = Differential.generated(count, seed).filter_map do |op, input|
      found = Differential.difference(op, input)
      "#{op} #{JSON.generate(input)[0, 400]}: #{found}" if found
    end
    expect(differences.first(5)).to eq([]), "#{differences.size} of #{count} differ"
  end

  it "generates inputs that reach both answers, not only errors" do
    answers = Differential.generated(300, seed).map { |op, input| TaskerBatch::Native.call(op, input)[0] }
    expect(answers.count(true)).to be > 30
    expect(answers.count(false)).to be > 30
  end
end
