# frozen_string_literal: true

# Shipping: what users install, and the tests that install it the way they will.
#
#   rake install:c PREFIX=/usr/local   the C library (SONAME'd shared library, static library,
#                                      header, pkg-config file); DESTDIR= and LIBDIR= as usual
#   rake native                        pkg/tasker-batch-<version>-x86_64-linux.gem, precompiled
#   rake test:install_c                install into a temporary prefix, build and run the C
#                                      example from outside the repository with pkg-config alone
#   rake test:native_gem               the precompiled gem installs and loads with no cargo on
#                                      PATH; the source gem without cargo stops at once
#   rake test:repository               nothing refers outside the repository; every vector file
#                                      names its section of docs/contract.md
#
# (The source gem's own install test is `rake test:gem`, in the Rakefile.)

require "fileutils"
require "json"
require "open3"
require "rbconfig"
require "rubygems/package"
require "tmpdir"

module TaskerBatchShip
  ROOT = File.expand_path("..", __dir__)
  VERSION = TaskerBatch::VERSION
  SONAME_MAJOR = VERSION.split(".").first
  LIB = "libtasker_batch"
  # What the static library needs from the system with glibc (`cargo rustc --release --lib --
  # --print native-static-libs` lists them; tests/c/run.sh links with the same).
  STATIC_LIBS = "-lpthread -ldl -lm"
  # The Ruby minor version the precompiled extension is built for: one directory each in lib/.
  RUBY_MINOR = RUBY_VERSION[/\A\d+\.\d+/]
  PLATFORM_GEM = File.join(ROOT, "pkg", "tasker-batch-#{VERSION}-#{Gem::Platform.local}.gem")
  SOURCE_GEM = File.join(ROOT, "pkg", "tasker-batch-#{VERSION}.gem")

  module_function

  def target_dir
    ENV.fetch("CARGO_TARGET_DIR", File.join(ROOT, "target"))
  end

  # The shared library with its SONAME, and the static library, built in one rustc run. The
  # `capi` profile is release under another name: the SONAME link argument would otherwise
  # make every other release build of the crate recompile it.
  def build_c_libraries
    soname = "#{LIB}.so.#{SONAME_MAJOR}"
    Rake.sh "cargo", "rustc", "-p", "tasker-batch", "--lib", "--profile", "capi",
            "--crate-type", "cdylib", "--crate-type", "staticlib",
            "--", "-C", "link-arg=-Wl,-soname,#{soname}", chdir: ROOT
    File.join(target_dir, "capi")
  end

  def pkg_config_file(prefix, libdir, includedir)
    <<~PC
      prefix=#{prefix}
      exec_prefix=${prefix}
      libdir=#{libdir.sub(/\A#{Regexp.escape(prefix)}/, "${exec_prefix}")}
      includedir=#{includedir.sub(/\A#{Regexp.escape(prefix)}/, "${prefix}")}

      Name: tasker_batch
      Description: The batch-processing contract of the tasker workflow orchestrator (C ABI)
      URL: https://github.com/tasker-systems/tasker-batch
      Version: #{VERSION}
      Libs: -L${libdir} -ltasker_batch
      Libs.private: #{STATIC_LIBS}
      Cflags: -I${includedir}
    PC
  end

  # Installs under DESTDIR + prefix, as `make install` does: the prefix is what the .pc file
  # names, DESTDIR only where the files go now (for packaging).
  def install_c(prefix:, libdir: File.join(prefix, "lib"), includedir: File.join(prefix, "include"), destdir: "")
    built = build_c_libraries
    lib_to = File.join(destdir, libdir)
    include_to = File.join(destdir, includedir)
    FileUtils.mkdir_p([lib_to, include_to, File.join(lib_to, "pkgconfig")])

    real = "#{LIB}.so.#{VERSION}"
    FileUtils.install(File.join(built, "#{LIB}.so"), File.join(lib_to, real), mode: 0o755)
    FileUtils.ln_sf(real, File.join(lib_to, "#{LIB}.so.#{SONAME_MAJOR}"))
    FileUtils.ln_sf("#{LIB}.so.#{SONAME_MAJOR}", File.join(lib_to, "#{LIB}.so"))
    static = File.join(lib_to, "#{LIB}.a")
    FileUtils.install(File.join(built, "#{LIB}.a"), static, mode: 0o644)
    # The standard library's objects in the archive carry debug info; users get none.
    Rake.sh "strip", "--strip-debug", static
    FileUtils.install(File.join(ROOT, "include/tasker_batch.h"), include_to, mode: 0o644)
    File.write(File.join(lib_to, "pkgconfig/tasker_batch.pc"), pkg_config_file(prefix, libdir, includedir))
    puts "installed #{LIB} #{VERSION} under #{File.join(destdir, prefix)}"
  end

  # `PATH` without any directory that holds cargo or rustc: what a machine without Rust sees.
  def path_without_rust
    ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).reject do |dir|
      %w[cargo rustc rustup].any? { |tool| File.executable?(File.join(dir, tool)) }
    end.join(File::PATH_SEPARATOR)
  end

  # The precompiled gem: the source gem's specification, with the compiled extension instead
  # of the sources that build it, for this platform and this Ruby minor version only (other
  # Rubies resolve to the source gem).
  def build_platform_gem(extension)
    spec = Gem::Specification.load(File.join(ROOT, "tasker-batch.gemspec"))
    spec.platform = Gem::Platform.local
    spec.extensions = []
    spec.dependencies.reject! { |dependency| dependency.name == "rb_sys" }
    spec.required_ruby_version = ["~> #{RUBY_MINOR}.0"]
    so = "lib/tasker_batch/#{RUBY_MINOR}/#{File.basename(extension)}"
    spec.files = Dir.glob(%w[lib/**/*.rb README.md CHANGELOG.md LICENSE docs/**/*.md], base: ROOT).sort + [so]

    Dir.mktmpdir("tasker-batch-native") do |stage|
      spec.files.each do |file|
        from = file == so ? extension : File.join(ROOT, file)
        FileUtils.mkdir_p(File.join(stage, File.dirname(file)))
        FileUtils.cp(from, File.join(stage, file))
      end
      FileUtils.mkdir_p(File.dirname(PLATFORM_GEM))
      Dir.chdir(stage) do
        built = Gem::Package.build(spec)
        FileUtils.mv(built, PLATFORM_GEM)
      end
    end
    puts "built #{PLATFORM_GEM.delete_prefix("#{ROOT}/")} (#{(File.size(PLATFORM_GEM) / 1024.0).round} KiB)"
  end

  # Runs cmd, returns [output, status, seconds].
  def timed(env, *cmd, **opts)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    output, status = Open3.capture2e(env, *cmd, **opts)
    [output, status, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started]
  end

  def gem_env(home)
    {
      "GEM_HOME" => home,
      "GEM_PATH" => [home, ENV.fetch("GEM_PATH", "")].join(File::PATH_SEPARATOR),
      "PATH" => path_without_rust
    }
  end
end

namespace :install do
  desc "Install the C library, header and tasker_batch.pc under PREFIX (default /usr/local; also DESTDIR, LIBDIR)"
  task :c do
    prefix = ENV.fetch("PREFIX", "/usr/local")
    TaskerBatchShip.install_c(
      prefix: prefix, libdir: ENV.fetch("LIBDIR", File.join(prefix, "lib")), destdir: ENV.fetch("DESTDIR", "")
    )
  end
end

desc "Build pkg/tasker-batch-<version>-<platform>.gem: the gem with its extension precompiled (release build)"
task :native do
  profile = ENV.fetch("RB_SYS_CARGO_PROFILE", "release")
  abort "rake native packages a release build; found RB_SYS_CARGO_PROFILE=#{profile}" unless profile == "release"
  Rake::Task[:compile].invoke
  TaskerBatchShip.build_platform_gem(NATIVE_LIB)
end

namespace :test do
  desc "C install: install:c into a temporary prefix, build examples/ from outside the repository with pkg-config, run, check SONAME and NEEDED"
  task :install_c do
    Dir.mktmpdir("tasker-batch-prefix") do |prefix|
      TaskerBatchShip.install_c(prefix: prefix)
      sh "sh", File.join(ROOT, "tests/c/install_test.sh"), prefix, File.join(ROOT, "examples/partition_expand_aggregate.c")
    end
  end

  desc "Gems without Rust: the precompiled gem installs and loads with no cargo on PATH; the source gem stops at once naming what to install"
  task native_gem: %w[rake:native rake:gem] do
    Dir.mktmpdir("tasker-batch-gems") do |dir|
      home = File.join(dir, "home")
      env = TaskerBatchShip.gem_env(home)
      abort "cargo is still on PATH for the test" if env["PATH"].split(":").any? { |d| File.exist?(File.join(d, "cargo")) }

      # --ignore-dependencies: see test:gem (Debian's dry-core declares Ruby >= 3.2).
      output, status, seconds = TaskerBatchShip.timed(
        env, "gem", "install", "--local", "--no-document", "--ignore-dependencies", TaskerBatchShip::PLATFORM_GEM, chdir: dir
      )
      abort "the precompiled gem did not install:\n#{output}" unless status.success?
      abort "the precompiled gem compiled something:\n#{output}" if output.include?("native extensions")
      puts format("precompiled gem installed without cargo in %.1fs", seconds)

      so = Dir[File.join(home, "gems/tasker-batch-#{TaskerBatch::VERSION}-*/lib/tasker_batch/*/tasker_batch_native.so")]
      abort "expected one precompiled extension, found #{so}" unless so.size == 1
      sections, = Open3.capture2("readelf", "-S", "-W", so.first)
      abort "the shipped extension is not stripped (#{so.first})" if sections.match?(/\.debug_|\.symtab/)
      puts "shipped extension: #{File.size(so.first)} bytes, no debug info, no symbol table"

      check = <<~RUBY
        require "tasker-batch"
        native = $LOADED_FEATURES.grep(/tasker_batch_native/)
        abort "loaded \#{native} instead of the precompiled extension" unless native.size == 1 && native.first.start_with?(ENV["GEM_HOME"]) && native.first.include?("/#{TaskerBatchShip::RUBY_MINOR}/")
        configs = TaskerCore::BatchProcessing.partition(strategy: "integer_by_count", total_items: 1000, worker_count: 3)
        abort "unexpected partition" unless configs.map { |c| c["batch_size"] } == [334, 334, 332]
        puts "precompiled gem works from \#{Dir.pwd}: \#{TaskerBatch::VERSION}, \#{native.first.delete_prefix(ENV["GEM_HOME"])}"
      RUBY
      sh env, RbConfig.ruby, "-e", check, chdir: dir

      # The source gem on a machine without Rust: a clear message at once, no download.
      source_home = File.join(dir, "source-home")
      output, status, seconds = TaskerBatchShip.timed(
        TaskerBatchShip.gem_env(source_home),
        "gem", "install", "--local", "--no-document", "--ignore-dependencies", TaskerBatchShip::SOURCE_GEM, chdir: dir
      )
      abort "the source gem installed without cargo?\n#{output}" if status.success?
      unless output.include?("cargo was not found on PATH") && output.include?("Install Rust >= 1.85")
        abort "the source gem's failure does not say what to install:\n#{output}"
      end
      abort format("the source gem took %.1fs to fail", seconds) if seconds > 60
      puts format("source gem without cargo stopped in %.1fs, naming what to install", seconds)
    end
  end
end

# Nothing in the repository may point outside it, and every conformance vector file names the
# section of docs/contract.md whose rules it checks.
module TaskerBatchRepositoryCheck
  ROOT = TaskerBatchShip::ROOT
  CONTRACT = "docs/contract.md"
  # A path climbing with ../ (the pattern never matches itself: its dots are escaped).
  RELATIVE = %r{(?:\.\./)+[^\s)"'`\]>,;:*]*}
  # Paths of one machine, and the name of the specification that used to live outside.
  OUTSIDE = [%r{(?<![\w.~-])/(?:work|home|root)/[\w.-]+}, /\bCONTRACT(?:\.md| §)/].freeze
  # Climbing paths that are not read from the file's directory: bin/setup makes a symlink
  # inside .deps, relative to where the link lives; bindings/README.md's command runs after
  # `cd bindings/python`.
  EXEMPT = { "bin/setup" => /\bln -s \.\./, "bindings/README.md" => %r{cd bindings/python && \.\./\.\./} }.freeze
  SECTION = /docs\/contract\.md (§\d+(?:, §\d+)*)/

  module_function

  def files
    out, status = Open3.capture2("git", "ls-files", "--cached", "--others", "--exclude-standard", chdir: ROOT)
    abort "git ls-files failed" unless status.success?
    out.split("\n").select { |f| File.file?(File.join(ROOT, f)) }.reject { |f| f == "Cargo.lock" }
  end

  def outside_references
    files.flat_map do |file|
      text = File.binread(File.join(ROOT, file))
      next [] if text.include?("\0")

      text.force_encoding(Encoding::UTF_8).each_line.with_index(1).flat_map do |line, number|
        next [] if EXEMPT[file]&.match?(line)

        climbing = line.scan(RELATIVE).reject do |path|
          File.expand_path(path, File.join(ROOT, File.dirname(file))).start_with?("#{ROOT}/", ROOT)
        end
        named = OUTSIDE.flat_map { |pattern| line.scan(pattern) }
        (climbing + named).map { |found| "#{file}:#{number}: #{found}" }
      end
    end
  end

  # GitHub's anchors for the headings of a Markdown file.
  def anchors(markdown)
    markdown.scan(/^#+ (.+)$/).map { |(heading)| heading.downcase.gsub(/[^\p{Word}\- ]/, "").tr(" ", "-") }
  end

  def contract_problems
    path = File.join(ROOT, CONTRACT)
    return ["#{CONTRACT} is missing"] unless File.exist?(path)

    contract = File.read(path)
    sections = contract.scan(/^## (\d+)\. /).flatten
    problems = []
    Dir[File.join(ROOT, "spec/conformance/*.json")].sort.each do |vector|
      title = JSON.parse(File.read(vector))["title"].to_s
      named = title[SECTION, 1]
      name = vector.delete_prefix("#{ROOT}/")
      if named.nil?
        problems << "#{name}: the title (#{title.inspect}) names no section: write \"(#{CONTRACT} §N)\""
        next
      end
      missing = named.scan(/\d+/) - sections
      problems << "#{name}: #{CONTRACT} has no section #{missing.join(", ")}" unless missing.empty?
    end
    known = anchors(contract)
    files.select { |f| f.end_with?(".md") }.each do |file|
      File.read(File.join(ROOT, file)).scan(/\]\(([^)\s]*contract\.md)#([^)\s]+)\)/).each do |(_link, anchor)|
        problems << "#{file}: link to #{CONTRACT}##{anchor}: no such heading" unless known.include?(anchor)
      end
    end
    problems
  end
end

namespace :test do
  desc "Repository: nothing refers outside it; every vector file names an existing section of docs/contract.md"
  task :repository do
    problems = TaskerBatchRepositoryCheck.outside_references.map { |p| "refers outside the repository: #{p}" } +
               TaskerBatchRepositoryCheck.contract_problems
    abort problems.join("\n") unless problems.empty?
    puts "repository: no reference leaves it; every vector file names its section of #{TaskerBatchRepositoryCheck::CONTRACT}"
  end
end
