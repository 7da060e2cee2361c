//! The `tasker-batch` command: value on stdout, diagnostics on stderr, exit status 0/1/2.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use tasker_batch::operations::OPERATIONS;

const CONFIG: &str = r#"{"end_cursor":668,"batch_size":334,"batch_id":"002","start_cursor":334}"#;
const CANONICAL: &str =
    r#"{"batch_id":"002","start_cursor":334,"end_cursor":668,"batch_size":334}"#;

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tasker-batch"));
    command.args(args);
    command
}

/// Runs the command with `stdin` as its standard input.
fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits without reading its input: the pipe is then
    // closed under the writer, and what the command said is still the answer.
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    child.wait_with_output().unwrap()
}

/// Runs the command with nothing on standard input.
fn run(args: &[&str]) -> Output {
    command(args).stdin(Stdio::null()).output().unwrap()
}

/// A file holding `contents`, unique to the test.
fn input_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.json"));
    fs::write(&path, contents).unwrap();
    path
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

mod output {
    use super::*;

    #[test]
    fn the_value_is_printed_compact_with_a_newline() {
        let out = run_with_stdin(&["validate_cursor_config"], CONFIG);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), format!("{CANONICAL}\n"));
        assert_eq!(stderr(&out), "");
    }

    #[test]
    fn input_comes_from_stdin_when_the_file_is_dash() {
        let out = run_with_stdin(&["validate_cursor_config", "-"], CONFIG);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), format!("{CANONICAL}\n"));
    }

    #[test]
    fn input_comes_from_a_file() {
        let file = input_file("file", CONFIG.as_bytes());
        let out = run(&["validate_cursor_config", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), format!("{CANONICAL}\n"));
    }

    #[test]
    fn warnings_go_to_stderr_and_the_value_still_to_stdout() {
        let input = r#"{"batch_id":"001","start_cursor":5,"end_cursor":5,"batch_size":0}"#;
        let out = run_with_stdin(&["validate_cursor_config"], input);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stdout(&out), format!("{input}\n"));
        assert!(
            stderr(&out).starts_with("warning: zero_length_range: "),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn pretty_keeps_big_numbers_and_key_order_exact() {
        let input = concat!(
            r#"{"batch_size":1,"end_cursor":123456789012345678901234567891,"#,
            r#""batch_id":"001","start_cursor":123456789012345678901234567890}"#
        );
        let out = run_with_stdin(&["--pretty", "validate_cursor_config"], input);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            "{\n  \"batch_id\": \"001\",\n  \"start_cursor\": 123456789012345678901234567890,\n  \
             \"end_cursor\": 123456789012345678901234567891,\n  \"batch_size\": 1\n}\n"
        );
    }

    #[test]
    fn envelope_prints_the_whole_envelope() {
        let out = run_with_stdin(&["validate_cursor_config", "--envelope"], CONFIG);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            stdout(&out),
            format!("{{\"ok\":true,\"value\":{CANONICAL},\"warnings\":[]}}\n")
        );
    }
}

mod errors {
    use super::*;

    #[test]
    fn a_failed_operation_exits_1_with_code_path_and_message_on_stderr() {
        let input = r#"{"batch_id":"001","start_cursor":0,"batch_size":0}"#;
        let out = run_with_stdin(&["validate_cursor_config"], input);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(stdout(&out), "");
        assert!(
            stderr(&out).starts_with("error: missing_field at end_cursor: expected"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn invalid_json_exits_1() {
        let out = run_with_stdin(&["validate_cursor_config"], "{\"batch_id\":");
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).starts_with("error: invalid_json"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn input_that_is_not_utf8_exits_1() {
        let file = input_file("not-utf8", b"{\"batch_id\":\"\xff\"}");
        let out = run(&["validate_cursor_config", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).starts_with("error: invalid_utf8"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn a_failure_with_envelope_prints_the_error_envelope_and_exits_1() {
        let out = run_with_stdin(&["--envelope", "validate_cursor_config"], "[");
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stdout(&out).starts_with(r#"{"ok":false,"error":{"code":"invalid_json""#),
            "{}",
            stdout(&out)
        );
    }
}

mod usage {
    use super::*;

    #[test]
    fn help_lists_every_operation_with_its_summary() {
        for flag in ["--help", "-h"] {
            let out = run(&[flag]);
            assert_eq!(out.status.code(), Some(0));
            let help = stdout(&out);
            for op in OPERATIONS {
                let line = help
                    .lines()
                    .find(|line| line.split_whitespace().next() == Some(op.name))
                    .unwrap_or_else(|| panic!("{} is not in --help:\n{help}", op.name));
                assert!(line.ends_with(op.summary), "{line}");
            }
        }
    }

    #[test]
    fn version_prints_the_crate_version() {
        let out = run(&["--version"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).starts_with(&format!("tasker-batch {} ", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn an_unknown_operation_exits_2_without_reading_stdin() {
        // stdin stays open and empty: the command must answer without waiting on it.
        let mut child = command(&["no_such_operation"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _stdin = child.stdin.take();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).starts_with("error: unknown_operation: expected one of validate_outcome"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn an_unknown_option_exits_2() {
        let out = run(&["--frobnicate", "partition"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("unknown option --frobnicate"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn a_missing_operation_exits_2() {
        let out = run(&[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("expected an operation name"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn an_unreadable_file_exits_2() {
        let out = run(&["partition", "/nonexistent/input.json"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).starts_with("error: cannot read /nonexistent/input.json: "),
            "{}",
            stderr(&out)
        );
    }
}

mod limits {
    use super::*;
    use tasker_batch::input::MAX_INPUT_BYTES;

    #[test]
    fn endless_stdin_is_input_too_large_not_an_out_of_memory_abort() {
        // Once `tasker-batch partition < /dev/zero` grew to 4.2 GB and died with the usage status.
        let zero = fs::File::open("/dev/zero").unwrap();
        let out = command(&["partition"]).stdin(zero).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(stdout(&out), "");
        assert!(
            stderr(&out).starts_with(&format!(
                "error: input_too_large: expected at most {MAX_INPUT_BYTES} bytes of JSON, found more"
            )),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn a_file_larger_than_the_limit_is_refused_without_reading_it() {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-too-large.json");
        let file = fs::File::create(&path).unwrap();
        // Sparse: its size is past the limit, its blocks are not written.
        file.set_len(MAX_INPUT_BYTES as u64 + 1).unwrap();
        let out = run(&["--envelope", "partition", path.to_str().unwrap()]);
        fs::remove_file(&path).unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(r#"{"ok":false,"error":{"code":"input_too_large""#),
            "{}",
            stdout(&out)
        );
        assert!(
            stderr(&out).contains(&format!("found {} bytes", MAX_INPUT_BYTES + 1)),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn input_of_exactly_the_limit_is_read() {
        // The limit itself is allowed: the operation sees it (and finds no JSON in zeros).
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-at-limit.json");
        let file = fs::File::create(&path).unwrap();
        file.set_len(MAX_INPUT_BYTES as u64).unwrap();
        let out = run(&["partition", path.to_str().unwrap()]);
        fs::remove_file(&path).unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).starts_with("error: invalid_json"),
            "{}",
            stderr(&out)
        );
    }
}

mod writing {
    use super::*;

    const REQUEST: &str =
        r#"{"strategy":"integer_by_count","total_items":100000,"worker_count":10000}"#;

    #[test]
    fn a_full_disk_is_exit_1_with_a_message() {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut child = command(&["partition"])
            .stdin(Stdio::piped())
            .stdout(full)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(REQUEST.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).starts_with("error: cannot write the output: No space left on device"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn a_stdout_not_open_for_writing_is_exit_1_with_a_message() {
        // `1</dev/null`: the descriptor exists but refuses writes (EBADF), which Rust's own
        // stdout would silently swallow.
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "echo '{REQUEST}' | '{}' partition 1</dev/null",
                env!("CARGO_BIN_EXE_tasker-batch")
            ))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).starts_with("error: cannot write the output: Bad file descriptor"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn a_reader_that_went_away_is_exit_0_by_design() {
        // `| head -c 1`: the reader wanted no more. The output (700 kB) is far beyond what
        // the pipe holds, so the command does meet the closed pipe (EPIPE).
        let mut child = command(&["partition"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(REQUEST.as_bytes())
            .unwrap();
        let mut first = [0u8; 1];
        let mut reader = child.stdout.take().unwrap();
        std::io::Read::read_exact(&mut reader, &mut first).unwrap();
        assert_eq!(&first, b"[");
        drop(reader);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stderr(&out), "");
    }
}

mod operation_help {
    use super::*;

    /// The body of the first fenced block after `after` whose info string is `info`, and
    /// where it ends.
    fn block_after(doc: &str, after: usize, info: &str) -> (String, usize) {
        let fence = format!("```{info}\n");
        let start = doc[after..].find(&fence).unwrap() + after + fence.len();
        let end = doc[start..].find("\n```").unwrap() + start;
        (doc[start..end].to_owned(), end)
    }

    #[test]
    fn every_operation_prints_its_shape_and_first_example_from_the_docs() {
        let doc = include_str!("../docs/operations.md");
        for op in OPERATIONS {
            let out = run(&[op.name, "--help"]);
            assert_eq!(out.status.code(), Some(0), "{}", op.name);
            let help = stdout(&out);
            assert!(help.starts_with(&format!("tasker-batch {}: {}\n", op.name, op.summary)));
            let section = doc.find(&format!("\n## `{}`\n", op.name)).unwrap();
            // The shape: the section's "Input: ... Output: ..." paragraph, first line.
            let shape = doc[section..]
                .lines()
                .find(|l| l.starts_with("Input:"))
                .unwrap();
            assert!(help.contains(shape), "{}: no {shape:?} in\n{help}", op.name);
            // The example: the same blocks tests/docs_examples.rs runs, indented.
            let (input, end) = block_after(doc, section, &format!("json input {}", op.name));
            let indented =
                |body: &str| body.lines().map(|l| format!("  {l}\n")).collect::<String>();
            assert!(
                help.contains(&indented(&input)),
                "{}: input example missing",
                op.name
            );
            let after = &doc[end + 4..];
            let next_info = after[after.find("```").unwrap() + 3..]
                .lines()
                .next()
                .unwrap();
            let (expected, _) = block_after(doc, end + 4, next_info);
            assert!(
                help.contains(&indented(&expected)),
                "{}: {next_info} missing",
                op.name
            );
        }
    }

    #[test]
    fn help_comes_first_or_after_the_operation() {
        let after = run(&["partition", "--help"]);
        let before = run(&["-h", "partition"]);
        assert_eq!(stdout(&after), stdout(&before));
        assert!(stdout(&after).starts_with("tasker-batch partition: "));
    }

    #[test]
    fn help_for_an_unknown_operation_exits_2() {
        let out = run(&["no_such_operation", "--help"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).starts_with("error: unknown_operation"),
            "{}",
            stderr(&out)
        );
    }
}

mod converge_status {
    use super::*;

    /// A convergence whose worker 002 failed, under `strategy`.
    fn request(strategy: &str) -> String {
        format!(
            r#"{{"dependency_results":{{"analyze":{{"batch_processing_outcome":{{"type":"create_batches","worker_template_name":"w","worker_count":2,"cursor_configs":[{{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5}},{{"batch_id":"002","start_cursor":5,"end_cursor":10,"batch_size":5}}],"total_items":10}}}},"w_001":{{"items_processed":5,"items_succeeded":5,"items_failed":0}},"w_002":{{"success":false}}}},"batchable_step_name":"analyze","worker_prefix":"w_","failure_strategy":"{strategy}"}}"#
        )
    }

    #[test]
    fn a_failed_convergence_exits_3_with_its_output_and_reason() {
        let out = run_with_stdin(&["converge"], &request("fail_fast"));
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(r#"{"status":"failed""#),
            "{}",
            stdout(&out)
        );
        assert!(
            stderr(&out).starts_with("converge: status failed: fail_fast: 1 of 2 workers failed"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn exit_zero_keeps_the_old_status() {
        let out = run_with_stdin(&["converge", "--exit-zero"], &request("fail_fast"));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(r#"{"status":"failed""#),
            "{}",
            stdout(&out)
        );
        assert_eq!(stderr(&out), "");
    }

    #[test]
    fn a_succeeded_convergence_exits_0() {
        let out = run_with_stdin(&["converge"], &request("continue_on_failure"));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(r#"{"status":"succeeded""#),
            "{}",
            stdout(&out)
        );
    }

    #[test]
    fn exit_zero_is_for_converge_only() {
        let out = run_with_stdin(&["partition", "--exit-zero"], "{}");
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("--exit-zero applies to converge only"),
            "{}",
            stderr(&out)
        );
    }
}
