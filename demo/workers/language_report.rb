# frozen_string_literal: true

module Demo
  # The report's lines about the workers' languages, when more than Ruby ran: which language ran
  # each attempt of each range (from the `started` events, which carry the worker's language), and
  # how each attempt ended.
  module LanguageReport
    # How an attempt ended, by the event that ended it.
    ENDINGS = { "completed" => "completed", "killed" => "killed", "fenced" => "fenced", "rejected" => "not run",
                "failed" => "failed", "disconnected" => "cut off", "frozen" => "frozen" }.freeze

    module_function

    # [label, text] rows: a summary, then one row per worker range. None when only Ruby ran.
    def rows(events, plan)
      started = events.select { |event| event["event"] == "started" && event["detail"]["language"] }
      return [] if started.all? { |event| event["detail"]["language"] == "ruby" }

      ranges = plan["workers"].to_h { |worker| [worker["name"], worker["inputs"]["cursor"]] }
      [["languages", summary(events, started)]] +
        ranges.map { |name, cursor| ["ran", "#{name} #{Demo.range(cursor || {})}: #{attempts(events, started, name)}"] }
    end

    def summary(events, started)
      language_of = started.to_h { |event| [[event["step"], event["attempt"]], event["detail"]["language"]] }
      completed = events.select { |event| event["event"] == "completed" }
                        .map { |event| language_of[[event["step"], event["attempt"]]] }.tally
      attempts = started.map { |event| event["detail"]["language"] }.tally
      languages = Languages::ALL & attempts.keys
      "ranges completed by #{counts(completed, languages)}; attempts started by #{counts(attempts, languages)}"
    end

    def attempts(events, started, name)
      mine = started.select { |event| event["step"] == name }
      return "no attempt started" if mine.empty?

      mine.map do |start|
        ending = events.reverse.find do |event|
          event["step"] == name && event["attempt"] == start["attempt"] && ENDINGS.key?(event["event"])
        end
        outcome = ending ? ENDINGS[ending["event"]] : "lease lapsed"
        "#{start["detail"]["language"]} attempt #{start["attempt"]} (pid #{start["detail"]["pid"]}, #{outcome})"
      end.join(", ")
    end

    def counts(tally, languages)
      languages.map { |language| "#{language} #{tally.fetch(language, 0)}" }.join(", ")
    end
  end
end
