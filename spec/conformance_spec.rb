# frozen_string_literal: true

# Every case of every shared vector (spec/conformance/*.json) through Ruby, twice:
#
# - as JSON text: TaskerBatch::Native.call_json with the input's exact text from the file,
#   the envelope's value compared byte for byte with `value_text`;
# - as Ruby objects: TaskerBatch.call_with_warnings with the input parsed by JSON.parse (big
#   integers stay exact), which is the path every Ruby method takes.
RSpec.describe "Conformance vectors" do
  ConformanceVectors.files.each do |path|
    describe File.basename(path) do
      ConformanceVectors.cases(path).each do |vector|
        describe vector.name do
          it "holds through the JSON text path (Native.call_json)" do
            envelope = ConformanceVectors.envelope(TaskerBatch::Native.call_json(vector.op, vector.input_text))

            if vector.error?
              expect(envelope[:ok]).to be(false), "expected an error, found the value #{envelope[:value_text]}"
              expect([envelope[:error]["code"], envelope[:error]["path"]]).to eq([vector.error_code, vector.error_path])
              expect(envelope[:error]["message"]).to be_a(String).and(satisfy { |m| !m.empty? })
            else
              expect(envelope[:ok]).to be(true), "expected a value, found the error #{envelope[:error].inspect}"
              expect(envelope[:value_text]).to eq(vector.expect["value_text"]) if vector.expect.key?("value_text")
              if vector.expect.key?("value")
                expect(JSON.parse(envelope[:value_text])).to equal_wire(vector.expect["value"], ordered: vector.ordered?)
              end
            end
            expect(envelope[:warnings].map { |w| [w["code"], w["path"]] }).to eq(vector.warnings)
          end

          it "holds through the Ruby object path (TaskerBatch.call_with_warnings)" do
            input = ConformanceVectors.ruby_input(vector.input_text)
            skip(input.reason) if input.is_a?(ConformanceVectors::Unrepresentable)

            if vector.error?
              klass = if vector.error_code == "internal_error"
                        TaskerCore::BatchProcessing::InternalError
                      else
                        TaskerCore::BatchProcessing::ValidationError
                      end
              expect { TaskerBatch.call_with_warnings(vector.op, input) }.to raise_error(klass) { |error|
                expect(error).to be_an_instance_of(klass)
                expect([error.code, error.path]).to eq([vector.error_code, vector.error_path])
                expect(error.warnings.map { |w| [w["code"], w["path"]] }).to eq(vector.warnings)
              }
            else
              result = TaskerBatch.call_with_warnings(vector.op, input)
              expect(result.value).to equal_wire(vector.expect["value"], ordered: vector.ordered?) if vector.expect.key?("value")
              if vector.expect.key?("value_text")
                # The exact text says the key order as well.
                expect(result.value).to equal_wire(JSON.parse(vector.expect["value_text"]), ordered: true)
              end
              expect(result.warnings.map { |w| [w["code"], w["path"]] }).to eq(vector.warnings)
            end
          end
        end
      end
    end
  end

  describe "the runner itself" do
    it "finds the vectors (a runner that reads no case proves nothing)" do
      counts = ConformanceVectors.files.to_h { |path| [File.basename(path), ConformanceVectors.cases(path).size] }
      expect(counts.size).to be >= 11
      expect(counts.values).to all(be > 0)
    end

    it "sends each input as the text the file holds, whitespace and digits included" do
      ConformanceVectors.files.each do |path|
        parsed = JSON.parse(File.read(path))["cases"]
        ConformanceVectors.cases(path).zip(parsed).each do |vector, raw|
          expect(vector.name).to eq(raw["name"])
          next if vector.raw_input_text

          expect(JSON.parse(vector.input_text)).to equal_wire(raw["input"], ordered: true)
          expect(File.read(path)).to include(vector.input_text)
        end
      end
    end

    it "takes the exact value text out of an envelope" do
      envelope = ConformanceVectors.envelope('{"ok":true,"value":{"s":"}]\\"","n":[1.50,100000000000000000000]},"warnings":[]}')
      expect(envelope[:value_text]).to eq('{"s":"}]\\"","n":[1.50,100000000000000000000]}')
    end

    it "tells an Integer from a Float and, when asked, one key order from another" do
      expect({ "a" => 1 }).not_to equal_wire({ "a" => 1.0 })
      expect({ "a" => 1, "b" => 2 }).to equal_wire({ "b" => 2, "a" => 1 })
      expect({ "a" => 1, "b" => 2 }).not_to equal_wire({ "b" => 2, "a" => 1 }, ordered: true)
    end
  end
end
