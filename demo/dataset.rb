# frozen_string_literal: true

require "csv"

module Demo
  # The demo's dataset: products with integer prices in cents, written as CSV from a seed, so the
  # same options always give the same rows, and the sum of the prices is known before any worker
  # runs. Keys are 0, 1, 2, ... (`cursor` "integer") or random version 4 UUIDs ("uuid").
  module Dataset
    # A generated dataset: its file, its rows and the sum of their prices (the known total the
    # aggregated result must equal).
    Manifest = Struct.new(:path, :rows, :total_cents, :cursor, :seed, keyword_init: true)

    HEADER = %w[id sku name price_cents].freeze
    KINDS = %w[Widget Gadget Sprocket Gizmo Flange Bracket Valve Spindle].freeze
    PRICE_CENTS = (99..99_999).freeze

    module_function

    # Writes `rows` products to the CSV file `path`.
    def generate(path, rows:, seed:, cursor:)
      random = Random.new(seed)
      total = 0
      CSV.open(path, "w") do |csv|
        csv << HEADER
        rows.times do |index|
          id = cursor == "uuid" ? uuid(random) : index
          price = random.rand(PRICE_CENTS)
          total += price
          csv << [id, format("SKU-%07d", index), "#{KINDS[index % KINDS.size]} #{index}", price]
        end
      end
      Manifest.new(path: path, rows: rows, total_cents: total, cursor: cursor, seed: seed)
    end

    # The rows of a generated file as [id, sku, name, price_cents], ids typed for the cursor kind.
    def each_row(manifest)
      return enum_for(:each_row, manifest) unless block_given?

      CSV.foreach(manifest.path).with_index do |(id, sku, name, price), line|
        next if line.zero?

        yield [manifest.cursor == "uuid" ? id : Integer(id, 10), sku, name, Integer(price, 10)]
      end
    end

    # A version 4 UUID from the seeded generator (SecureRandom cannot be seeded), canonical
    # lowercase as the core's UUID partitioner writes them.
    def uuid(random)
      bytes = random.bytes(16).bytes
      bytes[6] = (bytes[6] & 0x0f) | 0x40
      bytes[8] = (bytes[8] & 0x3f) | 0x80
      hex = bytes.pack("C*").unpack1("H*")
      [hex[0, 8], hex[8, 4], hex[12, 4], hex[16, 4], hex[20, 12]].join("-")
    end
  end
end
