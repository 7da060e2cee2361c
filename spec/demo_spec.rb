# frozen_string_literal: true

require "csv"
require "fileutils"
require "json"
require "open3"
require "rbconfig"
require "sqlite3"
require "tmpdir"

# Runs demo/run.rb as a subprocess into a fresh directory, and reads back what it left there
# (the stores with the sqlite3 gem, the dataset with the csv library), without the demo's code.
module DemoSpecRun
  SCRIPT = File.expand_path("../demo/run.rb", __dir__)

  # Slow enough (rows per second per worker) that a worker is still mid-range when it is killed.
  PACE = "3000"

  # What --corrupt writes into a pending worker's stored results.
  TORN_JSON = '{"checkpoint_cursor": 1200, "processed_co'
  CORRUPT_CHECKPOINT = '{"checkpoint_cursor": 1200, "processed_count": "1200"}'

  def start_demo(*args)
    @dir = Dir.mktmpdir("tasker-batch-demo-spec-")
    @output, @status = Open3.capture2e(RbConfig.ruby, SCRIPT, "--db", @dir, "--pace", PACE, *args)
  end

  def finish_demo
    FileUtils.rm_rf(@dir)
  end

  # Rows of `sql` in the store `store` ("products" or "empty").
  def query(sql, *params, store: "products")
    db = SQLite3::Database.new(File.join(@dir, "#{store}.sqlite3"), readonly: true)
    db.execute(sql, params)
  ensure
    db&.close
  end

  def step(name, store: "products")
    state, attempts, inputs, results = query("SELECT state, attempts, inputs, results FROM workflow_steps WHERE name = ?",
                                             name, store: store).first
    { state: state, attempts: attempts, inputs: JSON.parse(inputs), results: results }
  end

  def events(name, store: "products")
    query("SELECT attempt, event, detail FROM step_events WHERE step = ? ORDER BY id", name, store: store)
      .map { |attempt, event, detail| { attempt: attempt, event: event, detail: JSON.parse(detail) } }
  end

  def convergence(store: "products")
    JSON.parse(step("sum_prices", store: store)[:results]).fetch("result")
  end

  # The generated CSV, read independently: [key, price_cents] per row.
  def dataset(store: "products")
    CSV.read(File.join(@dir, "#{store}.csv")).drop(1).map { |id, _sku, _name, price| [id, Integer(price, 10)] }
  end

  # The CSV rows inside a worker's range (keys compared as the store compares them).
  def rows_in_range(rows, cursor)
    start, finish = cursor.values_at("start_cursor", "end_cursor")
    key = start.is_a?(Integer) ? ->(id) { Integer(id, 10) } : ->(id) { id }
    rows.select { |id, _| key.call(id) >= start && (finish.nil? || key.call(id) < finish) }
  end
end

# `rake demo` as a test: small runs of the demo (its workers are processes of their own, killed
# with SIGKILL), checked against the CSV it generated.
RSpec.describe "the demo (demo/run.rb)" do
  include DemoSpecRun

  describe "5,000 rows over 4 workers, one of them killed twice" do
    before(:context) do
      start_demo("--rows", "5000", "--workers", "4", "--checkpoint-every", "100", "--kill-twice")
    end

    after(:context) { finish_demo }

    it "exits 0 with totals that agree" do
      expect(@status.exitstatus).to eq(0), @output
      expect(@output).to include("known: equal; 5,000 of 5,000 rows").and match(/^  verdict +ok$/)
    end

    it "aggregates exactly the dataset's rows and price sum: no row lost or counted twice" do
      rows = dataset
      aggregation = convergence.fetch("aggregation")
      expect(convergence["status"]).to eq("succeeded")
      expect(aggregation["total_processed"]).to eq(5000).and eq(rows.size)
      expect(aggregation.dig("custom", "price_cents")).to eq(rows.sum { |_, price| price })
      expect(convergence["coverage"]).to include("complete" => true, "gaps" => [], "overlaps" => [])
    end

    it "gives every worker exactly the rows and sum of its own range, the killed one included" do
      rows = dataset
      %w[001 002 003 004].each do |id|
        worker = step("process_products_#{id}")
        expected = rows_in_range(rows, worker[:inputs]["cursor"])
        result = JSON.parse(worker[:results]).fetch("result")
        expect(worker[:state]).to eq("complete")
        expect(result["items_processed"]).to eq(expected.size)
        expect(result["price_cents"]).to eq(expected.sum { |_, price| price })
      end
    end

    it "kills process_products_002 with SIGKILL after a checkpoint, twice, and resumes it from each checkpoint" do
      worker = step("process_products_002")
      start = worker[:inputs].dig("cursor", "start_cursor")
      log = events("process_products_002")
      kills = log.select { |e| e[:event] == "killed" }
      resumes = log.select { |e| e[:event] == "started" && e[:attempt] > 1 }

      expect(worker[:attempts]).to eq(3)
      expect(kills.map { |e| [e[:attempt], e[:detail]["signal"]] }).to eq([[1, "SIGKILL"], [2, "SIGKILL"]])
      expect(resumes.map { |e| e[:attempt] }).to eq([2, 3])
      kills.zip(resumes).each do |kill, resume|
        # The resume starts exactly where the last committed checkpoint said, past the range's start.
        expect(kill[:detail]["cursor"]).to be > start
        expect(resume[:detail]).to include("resume_cursor" => kill[:detail]["cursor"],
                                           "processed_count" => kill[:detail]["processed_count"])
      end
      expect(kills[1][:detail]["cursor"]).to be > kills[0][:detail]["cursor"]
      expect(JSON.parse(worker[:results]).dig("result", "resumed_from"))
        .to eq("cursor" => kills[1][:detail]["cursor"], "processed_count" => kills[1][:detail]["processed_count"])
    end

    it "resets the killed step for retry: the checkpoint keys kept, the failed attempt's error dropped" do
      resets = events("process_products_002").select { |e| e[:event] == "reset" }
      expect(resets.map { |e| e[:detail] }).to all(
        eq("kept" => %w[checkpoint_cursor processed_count accumulated_results], "dropped" => ["error"])
      )
    end

    it "then runs the empty dataset through the no_batches path" do
      placeholder = step("process_products_000", store: "empty")
      expect(placeholder[:inputs]).to include("is_no_op" => true,
                                              "cursor" => { "batch_id" => "000", "start_cursor" => 0,
                                                            "end_cursor" => 0, "batch_size" => 0 })
      expect(placeholder[:state]).to eq("complete")
      expect(JSON.parse(placeholder[:results])["result"]).to eq("batch_id" => "000", "no_op" => true, "processed_count" => 0)
      expect(convergence(store: "empty")).to include("status" => "succeeded", "scenario" => "no_batches")
      expect(convergence(store: "empty")["aggregation"]).to include("worker_count" => 0, "total_processed" => 0)
      expect(@output).to include("Empty dataset: the no_batches path")
    end
  end

  describe "--cursor uuid" do
    before(:context) do
      start_demo("--rows", "3000", "--workers", "3", "--checkpoint-every", "100", "--cursor", "uuid", "--no-empty-run")
    end

    after(:context) { finish_demo }

    it "runs the same lifecycle over UUID ranges, the kill and resume included" do
      expect(@status.exitstatus).to eq(0), @output
      rows = dataset
      expect(convergence.dig("aggregation", "custom", "price_cents")).to eq(rows.sum { |_, price| price })
      expect(convergence.dig("aggregation", "total_processed")).to eq(3000)
      start = step("process_products_002")[:inputs].dig("cursor", "start_cursor")
      resume = events("process_products_002").find { |e| e[:event] == "started" && e[:attempt] == 2 }
      expect(resume[:detail]["resume_cursor"]).to match(/\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/).and be > start
    end
  end

  describe "--corrupt (corrupt JSON in a pending worker's stored results)" do
    before(:context) do
      start_demo("--rows", "2000", "--workers", "2", "--checkpoint-every", "100", "--corrupt", "--no-empty-run")
    end

    after(:context) { finish_demo }

    it "reports the step, the column and the parse error, and fails the run" do
      expect(@status.exitstatus).to eq(1)
      expect(@output).to match(/process_products_001 not run: the results column holds corrupt JSON: unexpected token at/)
      expect(@output).to match(/^  verdict +FAILED/)
    end

    it "does not run that worker: no attempt, no event but the refusal, its stored results untouched" do
      worker = step("process_products_001")
      expect(worker).to include(state: "failed", attempts: 0, results: DemoSpecRun::TORN_JSON)
      expect(events("process_products_001").map { |e| e[:event] }).to eq(["rejected"])
    end

    it "converges without it, reporting the failed batch and the gap it leaves" do
      expect(convergence["failed_batches"].map { |b| b.values_at("name", "start_cursor", "end_cursor") })
        .to eq([["process_products_001", 0, 1000]])
      expect(convergence["coverage"]["gaps"]).to eq([{ "start_cursor" => 0, "end_cursor" => 1000 }])
      expect(convergence.dig("aggregation", "total_processed")).to eq(1000)
    end
  end

  describe "--corrupt checkpoint (well-formed JSON, a checkpoint the core refuses)" do
    before(:context) do
      start_demo("--rows", "1000", "--workers", "2", "--corrupt", "checkpoint", "--no-kill", "--no-empty-run")
    end

    after(:context) { finish_demo }

    it "does not run the worker, and says why in the core's words" do
      expect(@status.exitstatus).to eq(1)
      expect(@output).to include("process_products_002 not run: type_mismatch at results.processed_count")
      expect(events("process_products_002").map { |e| e[:event] }).to eq(["rejected"])
      expect(step("process_products_002")[:results]).to eq(DemoSpecRun::CORRUPT_CHECKPOINT)
    end
  end

  it "refuses bad options with exit status 2" do
    _, error, status = Open3.capture3(RbConfig.ruby, DemoSpecRun::SCRIPT, "--workers", "0")
    expect(status.exitstatus).to eq(2)
    expect(error).to include("--workers 0 (at least 1)")
  end
end
