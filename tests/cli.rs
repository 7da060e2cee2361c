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
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
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
