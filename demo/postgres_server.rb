# frozen_string_literal: true

require "etc"
require "fileutils"
require "open3"
require "socket"
require "tmpdir"

module Demo
  # A throwaway PostgreSQL server: a fresh cluster in a temporary directory, listening on a free
  # loopback port only (no Unix socket), trusted connections from there, fsync off (nothing in it
  # outlives the run). PostgreSQL refuses to run as root, so as root the cluster belongs to the
  # `postgres` user (the Debian package's) and initdb/pg_ctl run as that user; otherwise as the
  # current user.
  #
  #   PostgresServer.run { |server| server.url }   # started, then stopped and removed, whatever happens
  #
  # `stop` is also registered with at_exit, so an exception that escapes everything (or `exit`
  # from anywhere) still stops the server. A SIGKILL of this process cannot be caught: then the
  # server notices nothing and keeps running until its directory is removed by hand.
  class PostgresServer
    class Error < StandardError; end

    USER = "postgres"
    DATABASE = "postgres"
    START_TIMEOUT = 30
    STOP_TIMEOUT = 10

    attr_reader :port, :dir, :version

    # Starts a server, yields it and stops it, also when the block raises.
    def self.run
      server = new.start
      yield server
    ensure
      server&.stop
    end

    def initialize(bin_dir: self.class.bin_dir)
      @bin_dir = bin_dir
      @owner = Process.uid.zero? ? USER : nil
    end

    # The newest installed PostgreSQL's programs (Debian keeps them out of PATH).
    def self.bin_dir
      dirs = Dir.glob("/usr/lib/postgresql/*/bin").select { |dir| File.executable?(File.join(dir, "pg_ctl")) }
      dir = dirs.max_by { |path| path[%r{postgresql/(\d+)}, 1].to_i }
      dir || raise(Error, "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/pg_ctl); run bin/setup")
    end

    def start
      @dir = Dir.mktmpdir("tasker-batch-pg-")
      FileUtils.chown(@owner, nil, @dir) if @owner
      at_exit { stop }
      command("initdb", "--pgdata", data_dir, "--username", USER, "--auth", "trust", "--encoding", "UTF8",
              "--no-sync", "--no-instructions")
      @version = File.read(File.join(data_dir, "PG_VERSION")).strip
      launch
      self
    rescue StandardError
      stop
      raise
    end

    # libpq's URL of the server's `postgres` database.
    def url
      "postgresql://#{USER}@127.0.0.1:#{@port}/#{DATABASE}?sslmode=disable"
    end

    def running?
      !@port.nil? && File.exist?(pid_file)
    end

    # Stops the server at once (its data is thrown away anyway) and removes its directory.
    # Safe to call more than once.
    def stop
      return unless @dir

      shut_down if running?
      FileUtils.rm_rf(@dir)
      @dir = nil
    end

    private

    def data_dir
      File.join(@dir, "data")
    end

    def pid_file
      File.join(data_dir, "postmaster.pid")
    end

    # SIGQUIT to the postmaster is what `pg_ctl stop -m immediate` sends; it is sent from here
    # because starting any program first flushes our stdout, and that raises (EPIPE) when the
    # reader of our output has gone away (`rake demo | head`), which is just when the server
    # must still be stopped. The postmaster removes its pid file as it exits.
    def shut_down
      pid = Integer(File.foreach(pid_file).first, 10)
      Process.kill(:QUIT, pid)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + STOP_TIMEOUT
      while File.exist?(pid_file)
        Process.kill(0, pid)
        if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
          warn "demo: PostgreSQL (pid #{pid}) did not stop within #{STOP_TIMEOUT} s; see #{log_path}"
          break
        end
        sleep 0.02
      end
    rescue Errno::ESRCH, Errno::ENOENT
      nil # gone already
    end

    def log_path
      File.join(@dir, "server.log")
    end

    # Picks a free loopback port and starts on it; another process may take the port between the
    # pick and the start, so a failed start is tried again on a new port.
    def launch
      3.times do
        @port = free_port
        options = "-c listen_addresses=127.0.0.1 -p #{@port} -c unix_socket_directories='' -c fsync=off " \
                  "-c synchronous_commit=off -c full_page_writes=off"
        # In a session of its own (setsid), so that a Ctrl-C meant for the demo does not shut the
        # server down under it: the demo stops it, in order.
        output, status = command_status("pg_ctl", "start", "--pgdata", data_dir, "--log", log_path, "--wait",
                                        "--timeout", START_TIMEOUT.to_s, "-o", options, session: true)
        return if status.success?

        @last_failure = output
      end
      @port = nil
      raise Error, "PostgreSQL did not start: #{@last_failure.strip} (#{File.exist?(log_path) ? File.read(log_path) : "no log"})"
    end

    def free_port
      server = TCPServer.new("127.0.0.1", 0)
      server.addr[1]
    ensure
      server&.close
    end

    def command(*args)
      output, status = command_status(*args)
      raise Error, "#{args.first} failed (#{status}): #{output.strip}" unless status.success?
    end

    # Runs a PostgreSQL program as the cluster's owner; its output and exit status.
    def command_status(program, *args, session: false)
      argv = [File.join(@bin_dir, program), *args]
      argv = ["setsid", "--wait", *argv] if session
      argv = ["runuser", "-u", @owner, "--", *argv] if @owner
      # The server inherits pg_ctl's working directory; root's may be unreadable for `postgres`.
      Open3.capture2e(*argv, chdir: @dir, in: File::NULL)
    end
  end
end
