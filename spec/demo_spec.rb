# frozen_string_literal: true

require "csv"
require "fileutils"
require "json"
require "open3"
require "pg"
require "rbconfig"
require "socket"
require "sqlite3"
require "tmpdir"
require_relative "../demo/postgres_server"

# One run of demo/run.rb as a subprocess into a fresh directory, and what it left there, read
# back without the demo's code: a SQLite store with the sqlite3 gem, a PostgreSQL one (the schema
# tasker_batch_demo_NAME at DATABASE_URL) with the pg gem, the dataset with the csv library.
class DemoSpecRun
  SCRIPT = File.expand_path("../demo/run.rb", __dir__)

  # Slow enough (rows per second per worker) that a worker is still mid-range when it is killed.
  PACE = "3000"

  # What --corrupt writes into a pending worker's stored results.
  TORN_JSON = '{"checkpoint_cursor": 1200, "processed_co'
  CORRUPT_CHECKPOINT = '{"checkpoint_cursor": 1200, "processed_count": "1200"}'

  attr_reader :dir, :output, :status

  # `database_url`: run on PostgreSQL at that server (nil: SQLite).
  def initialize(*args, database_url: nil, pace: PACE)
    @args = args
    @database_url = database_url
    @pace = pace
  end

  def run
    @dir = Dir.mktmpdir("tasker-batch-demo-spec-")
    env = { "DATABASE_URL" => @database_url }
    store = @database_url ? %w[--store postgres] : []
    @output, @status = Open3.capture2e(env, RbConfig.ruby, SCRIPT, "--db", @dir, "--pace", @pace, *store, *@args)
    self
  end

  def finish
    FileUtils.rm_rf(@dir)
  end

  # Rows of `sql` (placeholders $1, $2, ...) in the store `store` ("products" or "empty"), every
  # value as text or nil, as both stores give it.
  def query(sql, *params, store: "products")
    return sqlite_query(sql, params, store) unless @database_url

    db = PG.connect(@database_url)
    db.exec("SET search_path = tasker_batch_demo_#{store}")
    db.exec_params(sql, params.map { |param| param&.to_s }).values
  ensure
    db&.close if @database_url
  end

  def step(name, store: "products")
    state, attempts, inputs, results = query("SELECT state, attempts, inputs, results FROM workflow_steps WHERE name = $1",
                                             name, store: store).first
    { state: state, attempts: Integer(attempts), inputs: JSON.parse(inputs), results: results }
  end

  def events(name = nil, store: "products")
    where, params = name ? ["WHERE step = $1", [name]] : ["", []]
    query("SELECT step, attempt, event, detail, at FROM step_events #{where} ORDER BY id", *params,
          store: store).map do |step, attempt, event, detail, at|
      { step: step, attempt: attempt && Integer(attempt), event: event, detail: JSON.parse(detail), at: Float(at) }
    end
  end

  def convergence(store: "products")
    JSON.parse(step("sum_prices", store: store)[:results]).fetch("result")
  end

  # The generated CSV, read independently: [key, price_cents] per row.
  def dataset(store: "products")
    CSV.read(File.join(@dir, "#{store}.csv")).drop(1).map { |id, _sku, _name, price| [id, Integer(price, 10)] }
  end

  def log(store: "products")
    File.read(File.join(@dir, "#{store}.log"))
  end

  # The CSV rows inside a worker's range (keys compared as the store compares them).
  def rows_in_range(rows, cursor)
    start, finish = cursor.values_at("start_cursor", "end_cursor")
    key = start.is_a?(Integer) ? ->(id) { Integer(id, 10) } : ->(id) { id }
    rows.select { |id, _| key.call(id) >= start && (finish.nil? || key.call(id) < finish) }
  end

  private

  def sqlite_query(sql, params, store)
    db = SQLite3::Database.new(File.join(@dir, "#{store}.sqlite3"), readonly: true)
    db.execute(sql.gsub(/\$(\d+)/, '?\1'), params).map { |row| row.map { |value| value&.to_s } }
  ensure
    db&.close
  end
end

# What the demo said about the server it started ("server  PostgreSQL 15.x on 127.0.0.1:PORT,
# data in DIR"), and whether any of it is left: the directory, a process using it, the port.
module DemoSpecServer
  module_function

  def started(output)
    match = output.match(/^  server +PostgreSQL \S+ on 127\.0\.0\.1:(\d+), data in (\S+),/)
    match && { port: Integer(match[1]), dir: match[2] }
  end

  def leftovers(server)
    left = []
    left << "directory #{server[:dir]}" if File.exist?(server[:dir])
    processes = Dir.glob("/proc/[0-9]*/cmdline").filter_map do |path|
      command = File.read(path).tr("\0", " ")
      command if command.include?(server[:dir]) || command.include?("127.0.0.1:#{server[:port]}")
    rescue Errno::ENOENT, Errno::ESRCH, Errno::EACCES
      nil
    end
    left += processes.map { |command| "process #{command.strip}" }
    begin
      TCPSocket.new("127.0.0.1", server[:port]).close
      left << "a listener on port #{server[:port]}"
    rescue SystemCallError
      nil
    end
    left
  end
end

# `rake demo` as a test: small runs of the demo (its workers are processes of their own, killed
# with SIGKILL, frozen, cut off from the database), on both stores, checked against the CSV it
# generated. The PostgreSQL examples start a throwaway server of their own (and some let the demo
# start its own), and stop it afterwards.
RSpec.describe "the demo (demo/run.rb)" do
  # The checks every complete run must pass, whatever the store and the faults: the totals are
  # the dataset's, and every worker has exactly its own range's rows and sum.
  def expect_exact_totals(run, rows_expected)
    rows = run.dataset
    aggregation = run.convergence.fetch("aggregation")
    expect(run.convergence["status"]).to eq("succeeded")
    expect(aggregation["total_processed"]).to eq(rows_expected).and eq(rows.size)
    expect(aggregation.dig("custom", "price_cents")).to eq(rows.sum { |_, price| price })
    expect(run.convergence["coverage"]).to include("complete" => true, "gaps" => [], "overlaps" => [])
    run.query("SELECT name FROM workflow_steps WHERE role = 'worker' ORDER BY name").flatten.each do |name|
      worker = run.step(name)
      expected = run.rows_in_range(rows, worker[:inputs]["cursor"])
      result = JSON.parse(worker[:results]).fetch("result")
      expect(worker[:state]).to eq("complete")
      expect([name, result["items_processed"], result["price_cents"]])
        .to eq([name, expected.size, expected.sum { |_, price| price }])
    end
  end

  # The kill -9 and resume, read from the events of the killed step.
  def expect_killed_and_resumed(run, name, kills)
    worker = run.step(name)
    start = worker[:inputs].dig("cursor", "start_cursor")
    log = run.events(name)
    killed = log.select { |e| e[:event] == "killed" }
    resumes = log.select { |e| e[:event] == "started" && e[:attempt] > 1 }
    expect(killed.map { |e| [e[:attempt], e[:detail]["signal"]] }).to eq((1..kills).map { |n| [n, "SIGKILL"] })
    expect(resumes.map { |e| e[:attempt] }).to eq((2..(kills + 1)).to_a)
    killed.zip(resumes).each do |kill, resume|
      # The resume starts exactly where the last committed checkpoint said, past the range's start.
      expect(kill[:detail]["cursor"]).to be > start
      expect(resume[:detail]).to include("resume_cursor" => kill[:detail]["cursor"],
                                         "processed_count" => kill[:detail]["processed_count"])
    end
    expect(JSON.parse(worker[:results]).dig("result", "resumed_from"))
      .to eq("cursor" => killed.last[:detail]["cursor"], "processed_count" => killed.last[:detail]["processed_count"])
    resets = log.select { |e| e[:event] == "reset" }
    expect(resets.map { |e| [e[:detail]["kept"].sort, e[:detail]["dropped"]] })
      .to all(eq([%w[accumulated_results checkpoint_cursor processed_count], ["error"]]))
  end

  # A step whose lease lapsed (`cause`: the fault's event) and that another worker took over from
  # the lapsed attempt's last committed checkpoint.
  def expect_taken_over(run, name, cause)
    log = run.events(name)
    fault = log.find { |e| e[:event] == cause }
    reclaim = log.find { |e| e[:event] == "reclaimed" }
    expect(fault).to include(attempt: 1)
    expect(reclaim).to include(attempt: 2)
    expect(reclaim[:detail]).to include("lapsed_attempt" => 1, "lapsed_holder" => fault[:detail]["pid"].to_s)
    # Not before the lease (--lease 1.5) ran out: the last write of attempt 1 renewed it (as its
    # UPDATE ran, a moment before its event was logged).
    last_write = log.select { |e| e[:attempt] == 1 && e[:event] == "checkpoint" }.last
    expect(reclaim[:at] - last_write[:at]).to be > 1.45
    resume = log.find { |e| e[:event] == "started" && e[:attempt] == 2 }
    expect(resume[:detail]["pid"]).not_to eq(fault[:detail]["pid"])
    expect(resume[:detail]).to include("resume_cursor" => last_write[:detail]["cursor"],
                                       "processed_count" => last_write[:detail]["items_processed"])
    expect(run.step(name)).to include(state: "complete", attempts: 2)
    log
  end

  describe "5,000 rows over 4 workers, on SQLite and on PostgreSQL" do
    # The two runs at the same time: their workers mostly wait (--pace), so this saves the time of
    # one without slowing the other much.
    before(:context) do
      @server = Demo::PostgresServer.new
      postgres = Thread.new do
        @server.start
        DemoSpecRun.new("--rows", "5000", "--workers", "4", "--parallel", "6", "--checkpoint-every", "100",
                        "--lease", "1.5", "--freeze", "--drop-connection", "--no-empty-run", database_url: @server.url,
                        pace: "1000").run
      end
      @sqlite = DemoSpecRun.new("--rows", "5000", "--workers", "4", "--checkpoint-every", "100", "--kill-twice").run
      @postgres = postgres.value
    end

    after(:context) do
      @sqlite&.finish
      @postgres&.finish
      @server&.stop
    end

    it "exits 0 with totals that agree, on both stores" do
      [@sqlite, @postgres].each do |run|
        expect(run.status.exitstatus).to eq(0), run.output
        expect(run.output).to include("known: equal; 5,000 of 5,000 rows").and match(/^  verdict +ok$/)
      end
    end

    it "aggregates exactly the dataset's rows and price sum on both stores: no row lost or counted twice" do
      expect_exact_totals(@sqlite, 5000)
      expect_exact_totals(@postgres, 5000)
      totals = [@sqlite, @postgres].map { |run| run.convergence["aggregation"].values_at("total_processed", "custom") }
      expect(totals.uniq.size).to eq(1)
    end

    it "kills process_products_002 with SIGKILL after a checkpoint, and resumes it from the checkpoint (twice on SQLite)" do
      expect(@sqlite.step("process_products_002")[:attempts]).to eq(3)
      expect_killed_and_resumed(@sqlite, "process_products_002", 2)
      expect_killed_and_resumed(@postgres, "process_products_002", 1)
    end

    it "on PostgreSQL, runs more worker processes than steps, all 4 first attempts at once" do
      expect(@postgres.output).to match(/^  workers +4 steps, \d+ processes \(6 at a time\)$/)
      started = @postgres.events.select { |e| e[:event] == "started" }
      first_end = @postgres.events.find { |e| e[:step].start_with?("process_") && e[:event] == "completed" }
      expect(started.count { |e| e[:attempt] == 1 && e[:at] < first_end[:at] }).to eq(4)
      expect(started.map { |e| e[:detail]["pid"] }.uniq.size).to be >= 5
    end

    it "on PostgreSQL, fences the frozen worker: its step is taken over, and once resumed its write is refused and it stops" do
      log = expect_taken_over(@postgres, "process_products_003", "frozen")
      frozen = log.find { |e| e[:event] == "frozen" }
      thawed = log.find { |e| e[:event] == "thawed" }
      reclaim = log.find { |e| e[:event] == "reclaimed" }
      fenced = log.select { |e| e[:event] == "fenced" }
      expect(thawed[:at]).to be > reclaim[:at]
      expect(fenced.map { |e| [e[:attempt], e[:detail]["pid"]] }).to eq([[1, frozen[:detail]["pid"]]])
      expect(fenced.first[:at]).to be > thawed[:at]
      # Nothing of attempt 1 landed after the takeover: not a checkpoint, not a completion.
      expect(log.select { |e| e[:attempt] == 1 && e[:at] > reclaim[:at] }.map { |e| e[:event] })
        .to eq(%w[thawed fenced])
      expect(@postgres.log).to include("worker #{frozen[:detail]["pid"]}: process_products_003 attempt 1 no longer owns " \
                                       "the step: its #{fenced.first[:detail]["write"]} was refused; stopping")
    end

    it "on PostgreSQL, stops a worker whose connection was terminated, and retries its attempt from the last checkpoint" do
      log = expect_taken_over(@postgres, "process_products_004", "disconnected")
      cut = log.find { |e| e[:event] == "disconnected" }
      expect(cut[:detail]["sessions"]).to eq(1)
      expect(@postgres.log).to include("worker #{cut[:detail]["pid"]}: lost the database connection")
      expect(log.select { |e| e[:attempt] == 1 && e[:at] > cut[:at] }).to be_empty
    end

    it "writes the PostgreSQL steps in upstream's shape: JSONB inputs, results and checkpoint; edges between step ids" do
      columns = @postgres.query("SELECT column_name, data_type FROM information_schema.columns " \
                                "WHERE table_schema = 'tasker_batch_demo_products' AND table_name = $1", "workflow_steps")
      expect(columns.to_h.values_at("inputs", "results", "checkpoint")).to eq(%w[jsonb jsonb jsonb])
      edges = @postgres.query("SELECT f.name, t.name, e.name FROM workflow_step_edges e " \
                              "JOIN workflow_steps f ON f.workflow_step_id = e.from_step_id " \
                              "JOIN workflow_steps t ON t.workflow_step_id = e.to_step_id ORDER BY 1, 2")
      expect(edges.size).to eq(8)
      expect(edges).to include(%w[analyze_products process_products_001 batch_dependency],
                               %w[process_products_004 sum_prices batch_convergence_dependency])
    end

    it "then runs the empty dataset through the no_batches path" do
      placeholder = @sqlite.step("process_products_000", store: "empty")
      expect(placeholder[:inputs]).to include("is_no_op" => true,
                                              "cursor" => { "batch_id" => "000", "start_cursor" => 0,
                                                            "end_cursor" => 0, "batch_size" => 0 })
      expect(placeholder[:state]).to eq("complete")
      expect(JSON.parse(placeholder[:results])["result"]).to eq("batch_id" => "000", "no_op" => true,
                                                                "processed_count" => 0)
      expect(@sqlite.convergence(store: "empty")).to include("status" => "succeeded", "scenario" => "no_batches")
      expect(@sqlite.convergence(store: "empty")["aggregation"]).to include("worker_count" => 0, "total_processed" => 0)
      expect(@sqlite.output).to include("Empty dataset: the no_batches path")
    end
  end

  describe "--languages: workers in three languages on one store" do
    # Each language's worker processes through its own package (the gem; the wheel built from
    # bindings/python, with psycopg; the npm package packed from bindings/node, with pg), all
    # claiming from the same steps. 8 ranges for 6 processes: the slower starters get work too.
    # Beside it, Ruby and Python workers on SQLite (Python's own sqlite3).
    before(:context) do
      sqlite = Thread.new do
        DemoSpecRun.new("--languages", "ruby,python", "--rows", "3000", "--workers", "6", "--checkpoint-every", "50",
                        "--no-empty-run", pace: "500").run
      end
      # Python and Node workers only, one step corrupt, on a server the demo starts itself.
      corrupt = Thread.new do
        DemoSpecRun.new("--store", "postgres", "--languages", "python,node", "--rows", "1000", "--workers", "2",
                        "--corrupt", "--no-kill", "--no-empty-run").run
      end
      @server = Demo::PostgresServer.new
      @server.start
      @run = DemoSpecRun.new("--languages", "ruby,python,node", "--rows", "4800", "--workers", "8",
                             "--checkpoint-every", "50", "--lease", "1.5", "--drop-connection", "--no-empty-run",
                             database_url: @server.url, pace: "200").run
      @sqlite = sqlite.value
      @corrupt = corrupt.value
    end

    after(:context) do
      @run&.finish
      @sqlite&.finish
      @corrupt&.finish
      @server&.stop
    end

    # The language of each attempt, from its `started` event: {[step, attempt] => language}.
    def languages_of(run)
      run.events.select { |e| e[:event] == "started" }.to_h { |e| [[e[:step], e[:attempt]], e[:detail]["language"]] }
    end

    it "on PostgreSQL, aggregates exactly the dataset's rows and price sum" do
      expect(@run.status.exitstatus).to eq(0), @run.output
      expect(@run.output).to include("known: equal; 4,800 of 4,800 rows").and match(/^  verdict +ok$/)
      expect_exact_totals(@run, 4800)
    end

    it "on PostgreSQL, completes at least one range in each language, and says which language ran which range" do
      languages = languages_of(@run)
      completions = @run.events.select { |e| e[:event] == "completed" && e[:step].start_with?("process_") }
      completed = completions.map { |e| languages[[e[:step], e[:attempt]]] }
      expect(completed.tally.keys).to contain_exactly("ruby", "python", "node")
      # The claim stores the language with the attempt; a complete step's is its last attempt's.
      @run.query("SELECT name, attempts, worker_language FROM workflow_steps WHERE role = 'worker'")
          .each { |name, attempts, language| expect(language).to eq(languages[[name, Integer(attempts)]]) }
      lines = @run.output.lines.grep(/^  ran +process_products_\d{3} \[/)
      expect(lines.size).to eq(8)
      expect(lines.join).to include("python attempt 1 (pid").and include("node attempt 1 (pid").and include("ruby attempt")
      expect(@run.output).to match(/^  languages +ranges completed by ruby \d+, python \d+, node \d+;/)
    end

    it "on PostgreSQL, kills a Python worker with SIGKILL mid-range, and its range resumes from the last checkpoint" do
      killed = @run.events.find { |e| e[:event] == "killed" }
      expect(killed).not_to be_nil, @run.output
      expect(languages_of(@run)[[killed[:step], 1]]).to eq("python")
      expect_killed_and_resumed(@run, killed[:step], 1)
    end

    it "on SQLite, runs Ruby and Python workers on one file: the totals, a range each, a Python worker killed and resumed" do
      expect(@sqlite.status.exitstatus).to eq(0), @sqlite.output
      expect_exact_totals(@sqlite, 3000)
      languages = languages_of(@sqlite)
      completions = @sqlite.events.select { |e| e[:event] == "completed" && e[:step].start_with?("process_") }
      expect(completions.map { |e| languages[[e[:step], e[:attempt]]] }.uniq).to contain_exactly("ruby", "python")
      killed = @sqlite.events.find { |e| e[:event] == "killed" }
      expect(killed).not_to be_nil, @sqlite.output
      expect(languages[[killed[:step], 1]]).to eq("python")
      expect_killed_and_resumed(@sqlite, killed[:step], 1)
    end

    it "has the Python and Node workers refuse a corrupt step in the core's words, without running it" do
      expect(@corrupt.status.exitstatus).to eq(1), @corrupt.output
      expect(@corrupt.output).to include("process_products_002 not run: type_mismatch at results: invalid type: string")
      expect(@corrupt.output).to match(/^  failed +process_products_002 \[500, 1000\): type_mismatch at results/)
      expect(@corrupt.output).to match(/^  coverage +INCOMPLETE: 1 gap \[500, 1000\)/).and match(/^  verdict +FAILED/)
      expect(@corrupt.output).not_to match(/process_products_002 (started|completed)/)
    end

    it "on PostgreSQL, stops a Node worker whose connection was terminated, and retries its attempt from the last checkpoint" do
      cut = @run.events.find { |e| e[:event] == "disconnected" }
      expect(cut).not_to be_nil, @run.output
      expect(languages_of(@run)[[cut[:step], 1]]).to eq("node")
      log = expect_taken_over(@run, cut[:step], "disconnected")
      expect(@run.log).to include("worker #{cut[:detail]["pid"]}: lost the database connection")
      expect(log.select { |e| e[:attempt] == 1 && e[:at] > cut[:at] }).to be_empty
    end
  end

  describe "--strategy isolate --poison 5: a range that fails for good past its checkpoint, redriven in pieces" do
    before(:context) do
      @server = Demo::PostgresServer.new
      args = %w[--rows 2000 --workers 4 --checkpoint-every 100 --strategy isolate --poison 5 --no-kill --no-empty-run]
      postgres = Thread.new do
        @server.start
        DemoSpecRun.new(*args, "--parallel", "4", database_url: @server.url, pace: "0").run
      end
      @sqlite = DemoSpecRun.new(*args, pace: "0").run
      @postgres = postgres.value
    end

    after(:context) do
      @sqlite&.finish
      @postgres&.finish
      @server&.stop
    end

    it "fails the poisoned step for good after 3 attempts, each past the same checkpoint" do
      [@sqlite, @postgres].each do |run|
        expect(run.status.exitstatus).to eq(0), run.output
        expect(run.step("process_products_001")).to include(state: "failed", attempts: 3)
        log = run.events("process_products_001")
        failures = log.select { |e| e[:event] == "failed" }
        expect(failures.map { |e| e[:detail]["error"] }).to all(start_with("poisoned row 200 "))
        expect(failures.size).to eq(3)
        resumes = log.select { |e| e[:event] == "started" && e[:attempt] > 1 }
        expect(resumes.map { |e| e[:detail]["resume_cursor"] }).to eq([200, 200])
      end
    end

    it "redrives the remainder into 3 children that tile [checkpoint, end) and that the workers ran" do
      [@sqlite, @postgres].each do |run|
        rows = run.dataset
        names = run.query("SELECT name FROM workflow_steps WHERE name LIKE 'process_products_001.%' ORDER BY name").flatten
        expect(names).to eq(%w[process_products_001.1 process_products_001.2 process_products_001.3])
        cursors = names.map { |name| run.step(name)[:inputs]["cursor"] }
        expect(cursors.map { |c| c["parent_batch_id"] }).to all(eq("001"))
        expect(cursors.first["start_cursor"]).to eq(200)
        expect(cursors.last["end_cursor"]).to eq(500)
        cursors.each_cons(2) { |a, b| expect(a["end_cursor"]).to eq(b["start_cursor"]) }
        names.zip(cursors).each do |name, cursor|
          child = run.step(name)
          expected = run.rows_in_range(rows, cursor)
          result = JSON.parse(child[:results]).fetch("result")
          expect(child[:state]).to eq("complete")
          expect([result["items_processed"], result["price_cents"]]).to eq([expected.size, expected.sum { |_, p| p }])
          expect(run.events(name).find { |e| e[:event] == "started" }[:detail]["pid"]).to be_a(Integer)
        end
        expect(run.output).to match(/^  child +process_products_001\.1 \[200, \d+\) \(parent 001\), run by pid \d+: /)
      end
    end

    it "converges with the parent's checkpointed progress and its children: totals equal the dataset's" do
      [@sqlite, @postgres].each do |run|
        rows = run.dataset
        converged = run.convergence
        expect(converged).to include("status" => "succeeded", "failed_batches" => [], "reason" => nil)
        expect(converged["coverage"]).to include("complete" => true, "gaps" => [], "overlaps" => [])
        expect(converged["aggregation"]).to include("total_processed" => 2000, "total_succeeded" => 2000)
        expect(converged.dig("aggregation", "custom", "price_cents")).to eq(rows.sum { |_, price| price })
        expect(run.output).to include("known: equal; 2,000 of 2,000 rows").and match(/^  verdict +ok$/)
        expect(run.output).to match(/^  isolated +process_products_001 \[0, 500\) failed for good after 3 attempts, /)
      end
    end
  end

  describe "--cursor uuid" do
    before(:context) do
      @run = DemoSpecRun.new("--rows", "3000", "--workers", "3", "--checkpoint-every", "100", "--cursor", "uuid",
                             "--no-empty-run").run
    end

    after(:context) { @run.finish }

    it "runs the same lifecycle over UUID ranges, the kill and resume included" do
      expect(@run.status.exitstatus).to eq(0), @run.output
      rows = @run.dataset
      expect(@run.convergence.dig("aggregation", "custom", "price_cents")).to eq(rows.sum { |_, price| price })
      expect(@run.convergence.dig("aggregation", "total_processed")).to eq(3000)
      start = @run.step("process_products_002")[:inputs].dig("cursor", "start_cursor")
      resume = @run.events("process_products_002").find { |e| e[:event] == "started" && e[:attempt] == 2 }
      expect(resume[:detail]["resume_cursor"]).to match(/\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/).and be > start
    end
  end

  describe "--corrupt (corrupt JSON in a pending worker's stored results)" do
    before(:context) do
      @run = DemoSpecRun.new("--rows", "2000", "--workers", "2", "--checkpoint-every", "100", "--corrupt",
                             "--no-empty-run").run
    end

    after(:context) { @run.finish }

    it "reports the step, the column and the parse error, and fails the run" do
      expect(@run.status.exitstatus).to eq(1)
      expect(@run.output).to match(/process_products_001 not run: the results column holds corrupt JSON: unexpected token at/)
      expect(@run.output).to match(/^  verdict +FAILED/)
    end

    it "does not run that worker: claimed, refused before anything is read, its stored results untouched" do
      worker = @run.step("process_products_001")
      expect(worker).to include(state: "failed", attempts: 1, results: DemoSpecRun::TORN_JSON)
      expect(@run.events("process_products_001").map { |e| e[:event] }).to eq(["rejected"])
    end

    it "converges without it, reporting the failed batch and the gap it leaves" do
      convergence = @run.convergence
      expect(convergence["failed_batches"].map { |b| b.values_at("name", "start_cursor", "end_cursor") })
        .to eq([["process_products_001", 0, 1000]])
      expect(convergence["coverage"]["gaps"]).to eq([{ "start_cursor" => 0, "end_cursor" => 1000 }])
      expect(convergence.dig("aggregation", "total_processed")).to eq(1000)
    end
  end

  describe "--corrupt checkpoint (well-formed JSON, a checkpoint the core refuses)" do
    before(:context) do
      @run = DemoSpecRun.new("--rows", "1000", "--workers", "2", "--corrupt", "checkpoint", "--no-kill",
                             "--no-empty-run").run
    end

    after(:context) { @run.finish }

    it "does not run the worker, and says why in the core's words" do
      expect(@run.status.exitstatus).to eq(1)
      expect(@run.output).to include("process_products_002 not run: type_mismatch at results.processed_count")
      expect(@run.events("process_products_002").map { |e| e[:event] }).to eq(["rejected"])
      expect(@run.step("process_products_002")[:results]).to eq(DemoSpecRun::CORRUPT_CHECKPOINT)
    end
  end

  describe "--store postgres with a server of its own" do
    # Runs the demo until a worker has started, then cuts it short: `:interrupt` sends SIGINT (as
    # Ctrl-C does), `:hang_up` closes the pipe the demo writes to (as `rake demo | head` does).
    # [output until then, exit status].
    def cut_short_run(how)
      dir = Dir.mktmpdir("tasker-batch-demo-spec-")
      output = +""
      Open3.popen2e({ "DATABASE_URL" => nil }, RbConfig.ruby, DemoSpecRun::SCRIPT, "--store", "postgres", "--db", dir,
                    "--rows", "20000", "--pace", "1000", "--no-empty-run") do |_in, out, wait|
        output << out.gets.to_s until output.include?(" started (attempt 1") || !wait.alive?
        if how == :interrupt
          Process.kill(:INT, wait.pid)
          output << out.read
        else
          out.close
        end
        [output, wait.value]
      end
    ensure
      FileUtils.rm_rf(dir)
    end

    # All three at once, each with its own server.
    before(:context) do
      failing = Thread.new do
        DemoSpecRun.new("--store", "postgres", "--rows", "1000", "--workers", "2", "--corrupt").run
      end
      hung_up = Thread.new { cut_short_run(:hang_up) }
      @interrupted, @interrupted_status = cut_short_run(:interrupt)
      @hung_up, @hung_up_status = hung_up.value
      @failing = failing.value
    end

    after(:context) { @failing&.finish }

    it "refuses a corrupt step without running it, fails the run, and leaves no server behind" do
      output = @failing.output
      server = DemoSpecServer.started(output)
      expect(server).not_to be_nil, output
      expect(@failing.status.exitstatus).to eq(1), output
      expect(output).to include("process_products_001 not run: the results column holds corrupt JSON: a JSON string " \
                                "where an object belongs: \"{\\\"checkpoint_cursor\\\": 1200")
      expect(output).to match(/^  coverage +INCOMPLETE: 1 gap \[0, 500\)/).and match(/^  verdict +FAILED/)
      expect(DemoSpecServer.leftovers(server)).to be_empty
    end

    it "runs the empty dataset through the no_batches path there too" do
      empty = @failing.output.split("Empty dataset: the no_batches path").last
      expect(empty).to match(/process_products_000 completed: no-op/)
        .and match(/^  scenario +no_batches: the placeholder worker ran as a no-op/).and match(/^  verdict +ok$/)
    end

    it "stops the server and the workers when interrupted mid-run (Ctrl-C)" do
      expect(@interrupted_status.exitstatus).to eq(130), @interrupted
      expect(@interrupted).to include("demo: interrupted")
      server = DemoSpecServer.started(@interrupted)
      expect(server).not_to be_nil, @interrupted
      expect(DemoSpecServer.leftovers(server)).to be_empty
    end

    it "stops the server and the workers when its output goes nowhere mid-run (the reader went away)" do
      expect(@hung_up_status).not_to be_success
      server = DemoSpecServer.started(@hung_up)
      expect(server).not_to be_nil, @hung_up
      expect(DemoSpecServer.leftovers(server)).to be_empty
    end
  end

  it "refuses --poison without --strategy isolate" do
    run = DemoSpecRun.new("--poison", "3").run
    expect(run.status.exitstatus).to eq(2)
    expect(run.output).to include("--poison needs --strategy isolate")
  ensure
    run&.finish
  end

  it "refuses --poison with workers in other languages" do
    run = DemoSpecRun.new("--poison", "3", "--strategy", "isolate", "--languages", "ruby,python").run
    expect(run.status.exitstatus).to eq(2)
    expect(run.output).to include("--poison runs with Ruby workers only")
  ensure
    run&.finish
  end

  it "refuses bad options with exit status 2" do
    _, error, status = Open3.capture3(RbConfig.ruby, DemoSpecRun::SCRIPT, "--workers", "0")
    expect(status.exitstatus).to eq(2)
    expect(error).to include("--workers 0 (at least 1)")
    _, error, status = Open3.capture3(RbConfig.ruby, DemoSpecRun::SCRIPT, "--drop-connection")
    expect(status.exitstatus).to eq(2)
    expect(error).to include("--drop-connection needs --store postgres")
    _, error, status = Open3.capture3(RbConfig.ruby, DemoSpecRun::SCRIPT, "--languages", "ruby,node")
    expect(status.exitstatus).to eq(2)
    expect(error).to include("--languages ruby,node needs --store postgres")
    _, error, status = Open3.capture3(RbConfig.ruby, DemoSpecRun::SCRIPT, "--store", "postgres", "--languages", "ruby,cobol")
    expect(status.exitstatus).to eq(2)
    expect(error).to include("--languages cobol (one of ruby, python, node)")
  end
end
