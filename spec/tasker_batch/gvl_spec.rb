# frozen_string_literal: true

RSpec.describe "The GVL during heavy operations" do
  def clock = Process.clock_gettime(Process::CLOCK_MONOTONIC)

  # Runs `work` while another thread notes the time of each of its turns, and returns the turns
  # taken in the first half of the work: with the GVL held throughout, there are none (a waiting
  # thread only gets its turn once the work returns to Ruby).
  def turns_in_first_half(&work)
    stamps = []
    running = true
    ticker = Thread.new do
      while running
        stamps << clock
        Thread.pass
      end
    end
    sleep 0.01 while stamps.empty?
    started = clock
    work.call
    finished = clock
    running = false
    ticker.join
    middle = started + ((finished - started) / 2)
    stamps.count { |t| t > started && t < middle }
  end

  it "is released while a large partition runs, so other Ruby threads keep running" do
    list = nil
    turns = turns_in_first_half do
      list = TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 10_000_000,
                                                   worker_count: 1_000_000)
    end
    expect(list.size).to eq(1_000_000)
    expect(turns).to be_positive
  end
end
