//! `tasker-batch`: the operation table on the command line.
//!
//! ```text
//! $ echo '{"strategy":"integer_by_count","total_items":10,"worker_count":2}' > in.json
//! $ tasker-batch partition in.json
//! [{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5},{"batch_id":"002",...}]
//! ```
//!
//! The output value goes to stdout, warnings and errors to stderr. Exit status: 0 on success,
//! 1 when the operation fails, 2 for a mistake on the command line.

use std::ffi::OsString;
use std::fmt::Display;
use std::fs;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use tasker_batch::capi::TASKER_BATCH_ABI_VERSION;
use tasker_batch::operations::{self, Success};
use tasker_batch::{Error, ErrorCode, Result};

const USAGE: &str = "Usage: tasker-batch [--pretty] [--envelope] <OPERATION> [FILE]";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Help,
    Version,
    Run(Run),
}

/// One operation call.
#[derive(Debug, PartialEq)]
struct Run {
    op: String,
    /// `None` (or `-` on the command line) is stdin.
    file: Option<String>,
    pretty: bool,
    envelope: bool,
}

/// A mistake on the command line (exit status 2).
#[derive(Debug, PartialEq)]
struct UsageError(String);

fn main() -> ExitCode {
    match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Help) => print_stdout(&help()),
        Ok(Command::Version) => print_stdout(&format!(
            "tasker-batch {} (C ABI {TASKER_BATCH_ABI_VERSION})",
            env!("CARGO_PKG_VERSION")
        )),
        Ok(Command::Run(run)) => execute(&run),
        Err(UsageError(message)) => usage_error(message),
    }
}

/// Hand-written rather than a parser crate: four flags and two positionals.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut positionals = Vec::new();
    let mut pretty = false;
    let mut envelope = false;
    let mut flags_done = false;
    for arg in args {
        let arg = arg
            .into_string()
            .map_err(|arg| UsageError(format!("arguments must be UTF-8, found {arg:?}")))?;
        if flags_done || arg == "-" || !arg.starts_with('-') {
            positionals.push(arg);
            continue;
        }
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--version" => return Ok(Command::Version),
            "--pretty" => pretty = true,
            "--envelope" => envelope = true,
            "--" => flags_done = true,
            _ => return Err(UsageError(format!("unknown option {arg}"))),
        }
    }
    let mut positionals = positionals.into_iter();
    let op = positionals
        .next()
        .ok_or_else(|| UsageError("expected an operation name".to_owned()))?;
    let file = positionals.next().filter(|file| file != "-");
    if let Some(extra) = positionals.next() {
        return Err(UsageError(format!(
            "expected at most an operation and a file, found also {extra:?}"
        )));
    }
    Ok(Command::Run(Run {
        op,
        file,
        pretty,
        envelope,
    }))
}

fn help() -> String {
    let width = operations::OPERATIONS
        .iter()
        .map(|op| op.name.len())
        .max()
        .unwrap_or(0);
    let mut text = format!(
        "tasker-batch {}: the batch-processing contract, one operation at a time\n\n{USAGE}\n\n\
         Runs OPERATION on the JSON read from FILE (stdin when FILE is absent or -). Prints the\n\
         output value as JSON on stdout; warnings and errors go to stderr.\n\n\
         Options:\n\
         \x20 --pretty     indent the output (key order and numbers stay exactly as they are)\n\
         \x20 --envelope   print the whole envelope {{\"ok\":...}} instead of the value\n\
         \x20 -h, --help   print this help\n\
         \x20 --version    print the version\n\n\
         Operations (inputs and outputs: docs/operations.md):\n",
        env!("CARGO_PKG_VERSION")
    );
    for op in operations::OPERATIONS {
        text.push_str(&format!("  {:width$}  {}\n", op.name, op.summary));
    }
    text.push_str(
        "\nExit status: 0 success, 1 the operation failed (the error is on stderr), 2 usage error.",
    );
    text
}

fn usage_error(message: impl Display) -> ExitCode {
    eprintln!("error: {message}");
    eprintln!("{USAGE}\nRun `tasker-batch --help` for the operations.");
    ExitCode::from(2)
}

fn execute(run: &Run) -> ExitCode {
    // Before reading the input: a misspelt operation should not sit waiting on stdin.
    if operations::find(&run.op).is_none() {
        let message = match operations::call_catching(&run.op, "") {
            Err(error) => error.to_string(),
            Ok(_) => format!("unknown operation {:?}", run.op),
        };
        return usage_error(message);
    }
    let bytes = match read_input(run.file.as_deref()) {
        Ok(bytes) => bytes,
        Err(UsageError(message)) => return usage_error(message),
    };
    let result = match String::from_utf8(bytes) {
        Ok(text) => operations::call_catching(&run.op, &text),
        Err(e) => Err(Error::new(
            ErrorCode::InvalidUtf8,
            "",
            format!(
                "expected the input to be UTF-8, found an invalid byte at offset {}",
                e.utf8_error().valid_up_to()
            ),
        )),
    };
    report(&result, run)
}

fn read_input(file: Option<&str>) -> Result<Vec<u8>, UsageError> {
    match file {
        Some(path) => fs::read(path).map_err(|e| UsageError(format!("cannot read {path}: {e}"))),
        None => {
            let mut bytes = Vec::new();
            io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| UsageError(format!("cannot read stdin: {e}")))?;
            Ok(bytes)
        }
    }
}

/// Prints the value (or the envelope) on stdout and the diagnostics on stderr.
fn report(result: &Result<Success>, run: &Run) -> ExitCode {
    if let Ok(success) = result {
        for warning in &success.warnings {
            eprintln!(
                "warning: {}",
                located(warning.code, &warning.path, &warning.message)
            );
        }
    }
    if let Err(error) = result {
        eprintln!(
            "error: {}",
            located(error.code, &error.path, &error.message)
        );
    }
    let output = match (result, run.envelope) {
        (_, true) => operations::envelope(result),
        (Ok(success), false) => success.value.clone(),
        (Err(_), false) => return ExitCode::FAILURE,
    };
    let status = print_stdout(&if run.pretty {
        indent_json(&output)
    } else {
        output
    });
    if result.is_err() {
        ExitCode::FAILURE
    } else {
        status
    }
}

/// `code at path: message`; the input itself (the empty path) is not named.
fn located(code: impl Display, path: &str, message: &str) -> String {
    if path.is_empty() {
        format!("{code}: {message}")
    } else {
        format!("{code} at {path}: {message}")
    }
}

fn print_stdout(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader stopped early (`| head`): nothing left to tell anyone.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Indents JSON text two spaces per level, as `serde_json::to_string_pretty` would.
///
/// It inserts whitespace between the tokens of the text instead of parsing it into a
/// `serde_json::Value`, so numbers of any size and the key order come out exactly as the
/// library wrote them. Whitespace already between tokens is replaced.
fn indent_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    out.push(c);
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while chars.next_if(|c| is_json_whitespace(*c)).is_some() {}
                out.push(c);
                if chars.next_if_eq(&close).is_some() {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if is_json_whitespace(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_json_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, UsageError> {
        parse_args(list.iter().map(OsString::from))
    }

    fn run(op: &str, file: Option<&str>, pretty: bool, envelope: bool) -> Command {
        Command::Run(Run {
            op: op.to_owned(),
            file: file.map(str::to_owned),
            pretty,
            envelope,
        })
    }

    #[test]
    fn flags_may_come_anywhere_and_dash_is_stdin() {
        assert_eq!(
            args(&["partition", "--pretty", "in.json"]),
            Ok(run("partition", Some("in.json"), true, false))
        );
        assert_eq!(
            args(&["--envelope", "partition", "-"]),
            Ok(run("partition", None, false, true))
        );
        assert_eq!(
            args(&["partition", "--", "-odd.json"]),
            Ok(run("partition", Some("-odd.json"), false, false))
        );
        assert_eq!(args(&["partition", "-h"]), Ok(Command::Help));
        assert_eq!(args(&["--version"]), Ok(Command::Version));
    }

    #[test]
    fn usage_errors() {
        assert!(args(&[]).is_err());
        assert!(args(&["--pretty"]).is_err());
        assert!(args(&["partition", "--bogus"]).is_err());
        assert!(args(&["partition", "a.json", "b.json"]).is_err());
    }

    #[test]
    fn indenting_matches_serde_json_pretty() {
        let compact = r#"{"a":[1,{"b":null},[],{}],"c":"x","d":{"e":[true,false]}}"#;
        let value: serde_json::Value = serde_json::from_str(compact).unwrap();
        assert_eq!(
            indent_json(compact),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn indenting_leaves_strings_and_numbers_alone() {
        let compact = r#"{"k{[,:]}":"a \"q\" \\","n":123456789012345678901234567890,"u":"é😀"}"#;
        assert_eq!(
            indent_json(compact),
            "{\n  \"k{[,:]}\": \"a \\\"q\\\" \\\\\",\n  \
             \"n\": 123456789012345678901234567890,\n  \"u\": \"é😀\"\n}"
        );
    }

    #[test]
    fn indenting_replaces_existing_whitespace() {
        assert_eq!(
            indent_json("[ 1 ,\n\t{ } , [\r] ]"),
            "[\n  1,\n  {},\n  []\n]"
        );
        assert_eq!(indent_json("7"), "7");
    }
}
