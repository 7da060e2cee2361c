# frozen_string_literal: true

module Demo
  # The named statements of a file in demo/sql/ (each after a "-- name: NAME" line), which the
  # workers of every language read: one copy of each statement for all of them.
  module SqlFile
    MARKER = /\A-- name: (\w+)\s*\z/

    module_function

    # {name => statement text} of demo/sql/FILE.sql.
    def load(file)
      statements = {}
      current = nil
      File.foreach(File.expand_path("sql/#{file}.sql", __dir__)) do |line|
        if (marker = line.match(MARKER))
          current = statements[marker[1]] = +""
        elsif current
          current << line
        end
      end
      statements.transform_values(&:strip).freeze
    end
  end
end
