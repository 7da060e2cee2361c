# frozen_string_literal: true

RSpec.describe "The GVL during heavy operations" do
  it "is released while a large partition runs, so other Ruby threads keep running" do
    ticks = 0
    running = true
    ticker = Thread.new do
      while running
        ticks += 1
        Thread.pass
      end
    end
    sleep 0.01 until ticks.positive? # the ticker is running
    before = ticks
    list = TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 10_000_000,
                                                 worker_count: 1_000_000)
    during = ticks - before
    running = false
    ticker.join
    expect(list.size).to eq(1_000_000)
    expect(during).to be_positive
  end
end
