# frozen_string_literal: true

# Ruby lint: RuboCop with the committed .rubocop.yml (Debian's `rubocop` package, from bin/setup).
# Part of `rake test` (the Rakefile lists test:lint); clippy and rustfmt run in test:rust.

namespace :test do
  desc "Ruby: RuboCop with .rubocop.yml"
  task :lint do
    rubocop = ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).map { |dir| File.join(dir, "rubocop") }
                 .find { |path| File.executable?(path) }
    abort "rubocop is missing: run bin/setup (it installs Debian's rubocop package)" unless rubocop
    sh rubocop, "--config", File.join(ROOT, ".rubocop.yml"), "--format", "simple", chdir: ROOT
  end
end
