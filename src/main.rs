//! `tasker-batch`: the operation table on the command line.
//!
//! ```text
//! $ echo '{"strategy":"integer_by_count","total_items":10,"worker_count":2}' > in.json
//! $ tasker-batch partition in.json
//! [{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5},{"batch_id":"002",...}]
//! ```
//!
//! The output value goes to stdout, warnings and errors to stderr. Exit status: 0 on success,
//! 1 when the operation fails (bad input, input larger than the library's limit, or output that
//! cannot be written), 2 for a mistake on the command line, 3 when `converge` ran and its status
//! is `failed` (unless `--exit-zero`). A reader that stops early (`tasker-batch ... | head`) is
//! not a failure: the output was wanted no further, so the status stays 0.
//!
//! `tasker-batch <OPERATION> --help` prints the operation's section of `docs/operations.md`
//! (its input, its output and its first example), compiled in: the examples there are the ones
//! the test suite runs, so the help cannot drift from what the operation does.

use std::ffi::OsString;
use std::fmt::{self, Display};
use std::fs;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use serde::Deserialize;
use tasker_batch::capi::TASKER_BATCH_ABI_VERSION;
use tasker_batch::input::MAX_INPUT_BYTES;
use tasker_batch::operations::{self, Success};
use tasker_batch::{Error, ErrorCode, Result};

const USAGE: &str =
    "Usage: tasker-batch [--pretty] [--envelope] [--exit-zero] <OPERATION> [FILE]\n       tasker-batch <OPERATION> --help";

/// Every operation's input, output and examples; the test suite runs the examples.
const OPERATIONS_DOC: &str = include_str!("../docs/operations.md");

/// The exit status of a `converge` whose status is `failed`.
const CONVERGENCE_FAILED: u8 = 3;

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Help,
    /// `<OPERATION> --help`.
    OperationHelp(String),
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
    /// `converge` exits 0 even when its status is `failed`.
    exit_zero: bool,
}

/// A mistake on the command line (exit status 2).
#[derive(Debug, PartialEq)]
struct UsageError(String);

fn main() -> ExitCode {
    match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Help) => print_stdout(&help()),
        Ok(Command::OperationHelp(op)) => match operation_help(&op) {
            Some(text) => print_stdout(&text),
            None => usage_error(unknown_operation(&op)),
        },
        Ok(Command::Version) => print_stdout(&format!(
            "tasker-batch {} (C ABI {TASKER_BATCH_ABI_VERSION})",
            env!("CARGO_PKG_VERSION")
        )),
        Ok(Command::Run(run)) => execute(&run),
        Err(UsageError(message)) => usage_error(message),
    }
}

/// Hand-written rather than a parser crate: five flags and two positionals.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut positionals = Vec::new();
    let mut pretty = false;
    let mut envelope = false;
    let mut exit_zero = false;
    let mut help = false;
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
            "-h" | "--help" => help = true,
            "--version" => return Ok(Command::Version),
            "--pretty" => pretty = true,
            "--envelope" => envelope = true,
            "--exit-zero" => exit_zero = true,
            "--" => flags_done = true,
            _ => return Err(UsageError(format!("unknown option {arg}"))),
        }
    }
    let mut positionals = positionals.into_iter();
    if help {
        return Ok(positionals
            .next()
            .map_or(Command::Help, Command::OperationHelp));
    }
    let op = positionals
        .next()
        .ok_or_else(|| UsageError("expected an operation name".to_owned()))?;
    if exit_zero && op != "converge" {
        return Err(UsageError(format!(
            "--exit-zero applies to converge only (its status may be failed), found {op}"
        )));
    }
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
        exit_zero,
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
         \x20 --exit-zero  converge: exit 0 even when its status is failed\n\
         \x20 -h, --help   print this help; after an operation, that operation's input, output\n\
         \x20              and an example\n\
         \x20 --version    print the version\n\n\
         Operations (`tasker-batch <OPERATION> --help`; all of them: docs/operations.md):\n",
        env!("CARGO_PKG_VERSION")
    );
    for op in operations::OPERATIONS {
        text.push_str(&format!("  {:width$}  {}\n", op.name, op.summary));
    }
    text.push_str(&format!(
        "\nInput is at most {MAX_INPUT_BYTES} bytes (more is input_too_large).\n\n\
         Exit status:\n\
         \x20 0  success; also when the reader of the output went away (`| head`)\n\
         \x20 1  the operation failed (the error is on stderr), or the output could not be written\n\
         \x20 2  usage error\n\
         \x20 3  converge ran and its status is failed (the output is on stdout); --exit-zero: 0"
    ));
    text
}

/// `op`'s section of docs/operations.md: its summary, its input and output, and its first
/// example as a command line.
fn operation_help(op: &str) -> Option<String> {
    let summary = operations::find(op)?.summary;
    let section = doc_section(OPERATIONS_DOC, op)?;
    let mut text = format!(
        "tasker-batch {op}: {summary}\n\n\
         Usage: tasker-batch [--pretty] [--envelope]{} {op} [FILE]\n\n",
        if op == "converge" {
            " [--exit-zero]"
        } else {
            ""
        }
    );
    let blocks = fenced_blocks(section);
    let first = blocks
        .iter()
        .position(|b| b.info == format!("json input {op}"));
    // The prose before the first example: what goes in, what comes out, the example's caption.
    let prose_end = first.map_or(section.len(), |i| blocks[i].start);
    // The docs space their paragraphs with up to three blank lines; one is enough here.
    let mut blank = true;
    for line in section[..prose_end].trim().lines() {
        if !(blank && line.trim().is_empty()) {
            text.push_str(line);
            text.push('\n');
        }
        blank = line.trim().is_empty();
    }
    if let Some(i) = first {
        text.push_str(&format!("\n  $ tasker-batch {op} <<'EOF'\n"));
        push_indented(&mut text, blocks[i].body);
        text.push_str("  EOF\n");
        match blocks.get(i + 1) {
            Some(next) if next.info == "json output" => push_indented(&mut text, next.body),
            Some(next) if next.info == "json error" => {
                text.push_str("  (exit status 1; the error's code and path:)\n");
                push_indented(&mut text, next.body);
            }
            _ => {}
        }
    }
    text.push_str("\nMore examples: docs/operations.md, section `");
    text.push_str(op);
    text.push('`');
    Some(text)
}

/// The text under the heading ``## `op` `` up to the next heading of that level.
fn doc_section<'a>(doc: &'a str, op: &str) -> Option<&'a str> {
    let heading = format!("\n## `{op}`\n");
    let start = doc.find(&heading)? + heading.len();
    let rest = &doc[start..];
    Some(rest.find("\n## ").map_or(rest, |end| &rest[..end]))
}

/// A fenced code block of a Markdown text.
struct Block<'a> {
    /// Where its opening fence starts.
    start: usize,
    /// The info string (`json input partition`).
    info: &'a str,
    body: &'a str,
}

/// The fenced code blocks of `markdown`, the same way `tests/docs_examples.rs` reads them.
fn fenced_blocks(markdown: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut offset = 0;
    let mut open: Option<(usize, &str, usize)> = None;
    for line in markdown.split_inclusive('\n') {
        let fence = line.trim_end().strip_prefix("```");
        match (open, fence) {
            (None, Some(info)) => open = Some((offset, info.trim(), offset + line.len())),
            (Some((start, info, body_start)), Some(_)) => {
                blocks.push(Block {
                    start,
                    info,
                    body: markdown[body_start..offset].trim_end(),
                });
                open = None;
            }
            _ => {}
        }
        offset += line.len();
    }
    blocks
}

fn push_indented(text: &mut String, body: &str) {
    for line in body.lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
}

fn unknown_operation(op: &str) -> String {
    match operations::call_catching(op, "") {
        Err(error) => error.to_string(),
        Ok(_) => format!("unknown operation {op:?}"),
    }
}

fn usage_error(message: impl Display) -> ExitCode {
    diagnostic(format_args!("error: {message}"));
    diagnostic(format_args!(
        "{USAGE}\nRun `tasker-batch --help` for the operations."
    ));
    ExitCode::from(2)
}

/// One line on stderr. A stderr that cannot be written to has no one to tell, and must not
/// turn into a panic (as `eprintln!` would).
fn diagnostic(line: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

fn execute(run: &Run) -> ExitCode {
    // Before reading the input: a misspelt operation should not sit waiting on stdin.
    if operations::find(&run.op).is_none() {
        return usage_error(unknown_operation(&run.op));
    }
    let result = match read_input(run.file.as_deref()) {
        Ok(Input::Bytes(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => operations::call_catching(&run.op, &text),
            Err(e) => Err(Error::new(
                ErrorCode::InvalidUtf8,
                "",
                format!(
                    "expected the input to be UTF-8, found an invalid byte at offset {}",
                    e.utf8_error().valid_up_to()
                ),
            )),
        },
        Ok(Input::TooLarge(found)) => Err(Error::new(
            ErrorCode::InputTooLarge,
            "",
            format!("expected at most {MAX_INPUT_BYTES} bytes of JSON, found {found}"),
        )),
        Err(UsageError(message)) => return usage_error(message),
    };
    report(&result, run)
}

/// What was read.
enum Input {
    Bytes(Vec<u8>),
    /// More than [`MAX_INPUT_BYTES`]: how much, as far as it is known.
    TooLarge(String),
}

/// Reads the file (or stdin), but never more than one byte past the library's limit: an
/// endless input (`< /dev/zero`) is `input_too_large`, not an out-of-memory abort.
fn read_input(file: Option<&str>) -> Result<Input, UsageError> {
    let limit = MAX_INPUT_BYTES as u64;
    let cannot_read = |name: &str, e: io::Error| UsageError(format!("cannot read {name}: {e}"));
    let mut bytes = Vec::new();
    let read = match file {
        Some(path) => {
            let file = fs::File::open(path).map_err(|e| cannot_read(path, e))?;
            // A regular file says its size: no need to read half a gigabyte to refuse it.
            let size = file
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len());
            if let Some(size) = size.filter(|&size| size > limit) {
                return Ok(Input::TooLarge(format!("{size} bytes")));
            }
            bytes.reserve(size.unwrap_or(0) as usize);
            file.take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| cannot_read(path, e))
        }
        None => io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| cannot_read("stdin", e)),
    };
    read?;
    if bytes.len() as u64 > limit {
        return Ok(Input::TooLarge("more (reading stopped there)".to_owned()));
    }
    Ok(Input::Bytes(bytes))
}

/// Prints the value (or the envelope) on stdout and the diagnostics on stderr.
fn report(result: &Result<Success>, run: &Run) -> ExitCode {
    if let Ok(success) = result {
        for warning in &success.warnings {
            diagnostic(format_args!(
                "warning: {}",
                located(warning.code, &warning.path, &warning.message)
            ));
        }
    }
    if let Err(error) = result {
        diagnostic(format_args!(
            "error: {}",
            located(error.code, &error.path, &error.message)
        ));
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
    match result {
        Err(_) => ExitCode::FAILURE,
        Ok(success) if run.op == "converge" && !run.exit_zero && status == ExitCode::SUCCESS => {
            convergence_status(&success.value)
        }
        Ok(_) => status,
    }
}

/// What `converge` decided, read from its output.
#[derive(Deserialize)]
struct Verdict {
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

/// [`CONVERGENCE_FAILED`] when the convergence's status is `failed`, with its reason on stderr.
fn convergence_status(output: &str) -> ExitCode {
    match serde_json::from_str::<Verdict>(output) {
        Ok(verdict) if verdict.status == "failed" => {
            let reason = verdict.reason.unwrap_or_default();
            diagnostic(format_args!("converge: status failed: {reason}"));
            ExitCode::from(CONVERGENCE_FAILED)
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            diagnostic(format_args!(
                "error: internal_error: the converge output has no status ({e})"
            ));
            ExitCode::FAILURE
        }
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

/// Writes `text` and a newline to stdout, unbuffered, and says how it went.
///
/// Through a duplicate of the descriptor rather than `io::stdout()`, which treats a descriptor
/// that refuses writes (EBADF) as a sink and would report success for output that went
/// nowhere.
fn print_stdout(text: &str) -> ExitCode {
    let written = stdout_writer().and_then(|mut out| {
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // The reader stopped early (`| head`): it wanted no more, which is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            diagnostic(format_args!("error: cannot write the output: {e}"));
            ExitCode::FAILURE
        }
    }
}

#[cfg(unix)]
fn stdout_writer() -> io::Result<impl Write> {
    use std::os::fd::AsFd;
    io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(fs::File::from)
}

#[cfg(not(unix))]
fn stdout_writer() -> io::Result<impl Write> {
    Ok(io::stdout().lock())
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
            exit_zero: false,
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
        assert_eq!(
            args(&["partition", "-h"]),
            Ok(Command::OperationHelp("partition".to_owned()))
        );
        assert_eq!(args(&["-h"]), Ok(Command::Help));
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
