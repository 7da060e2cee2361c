//! The operation table: every front end (C ABI, CLI, Ruby) calls operations by name with a
//! JSON input and gets a JSON output, so a new operation added here appears in every language.
//!
//! Each operation is a typed Rust function `fn(Input, &mut Vec<Warning>) -> Result<Output>`;
//! the table adapts it to JSON text once. The envelope every front end returns is
//!
//! ```json
//! {"ok": true, "value": ..., "warnings": [{"code": ..., "message": ..., "path": ...}]}
//! {"ok": false, "error": {"code": ..., "message": ..., "path": ...}}
//! ```
//!
//! Inputs and outputs of each operation are documented in `docs/operations.md`.

use std::panic::{self, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::input::{from_deserializer, from_deserializer_untracked, from_json};
use crate::outcome::BatchProcessingOutcome;
use crate::path::JsonPath;
use crate::validation;

/// One named operation.
pub struct Operation {
    /// The name front ends call it by.
    pub name: &'static str,
    /// One line for `--help` and the docs.
    pub summary: &'static str,
    run: fn(&str) -> Result<Success>,
}

/// An operation whose input has been read and that is ready to run: it owns its input and
/// touches nothing but Rust data, so a front end may run it on another thread or without a
/// language runtime's lock (the Ruby extension releases the GVL around it).
pub type Pending = Box<dyn FnOnce() -> Result<Success> + Send>;

impl Operation {
    /// Runs the operation on JSON text.
    pub fn run(&self, input: &str) -> Result<Success> {
        (self.run)(input)
    }
}

/// A successful call: the output as JSON text and the warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct Success {
    /// The output value, as compact JSON text.
    pub value: String,
    /// Suspicious but legal things found in the input.
    pub warnings: Vec<Warning>,
}

/// Parses the input text into `I`, runs `f`, serializes its output.
fn adapt<I: DeserializeOwned, O: Output>(
    input: &str,
    f: fn(I, &mut Vec<Warning>) -> Result<O>,
) -> Result<Success> {
    finish(from_json(input)?, f)
}

/// Reads an operation's input from any serde deserializer and returns the operation, ready to
/// run: the entry point for front ends that do not speak JSON text (the Ruby extension reads
/// Ruby objects in place, instantiating this for every operation through
/// [`crate::for_each_operation!`]). Values the contract keeps exactly are taken as raw JSON through
/// serde_json's raw-value protocol, which such a deserializer must speak.
///
/// `track_paths` costs time on every value; without it an error has no path. Read without
/// first, and again with it only when the first read failed.
pub fn read_input<'de, D, I, O>(
    deserializer: D,
    f: fn(I, &mut Vec<Warning>) -> Result<O>,
    track_paths: bool,
) -> Result<Pending>
where
    D: serde::Deserializer<'de>,
    I: DeserializeOwned + Send + 'static,
    O: Output + 'static,
{
    let parsed: I = if track_paths {
        from_deserializer(deserializer)?
    } else {
        from_deserializer_untracked(deserializer)?
    };
    Ok(Box::new(move || finish(parsed, f)))
}

/// Like [`read_input`], for a front end that writes the output itself rather than as JSON
/// text (the Ruby extension builds Ruby objects straight from the typed output, through its
/// `Serialize`): returns the operation ready to run, answering the typed output and the
/// warnings. Only for outputs whose JSON text is their `Serialize` form (every [`Output`] that
/// keeps the default [`Output::into_json`]).
pub fn read_input_typed<'de, D, I, O>(
    deserializer: D,
    f: fn(I, &mut Vec<Warning>) -> Result<O>,
    track_paths: bool,
) -> Result<PendingTyped<O>>
where
    D: serde::Deserializer<'de>,
    I: DeserializeOwned + Send + 'static,
    O: Output + 'static,
{
    let parsed: I = if track_paths {
        from_deserializer(deserializer)?
    } else {
        from_deserializer_untracked(deserializer)?
    };
    Ok(Box::new(move || {
        let mut warnings = Vec::new();
        let value = f(parsed, &mut warnings)?;
        Ok((value, warnings))
    }))
}

/// An operation read by [`read_input_typed`], ready to run.
pub type PendingTyped<O> = Box<dyn FnOnce() -> Result<(O, Vec<Warning>)> + Send>;

fn finish<I, O: Output>(parsed: I, f: fn(I, &mut Vec<Warning>) -> Result<O>) -> Result<Success> {
    let mut warnings = Vec::new();
    let value = f(parsed, &mut warnings)?.into_json()?;
    Ok(Success { value, warnings })
}

/// What an operation returns: anything that writes itself as JSON text. Serialization through
/// serde_json is the default; an output that already is its JSON text hands it over instead
/// of being copied.
pub trait Output: Serialize {
    /// The output as compact JSON text.
    fn into_json(self) -> Result<String>
    where
        Self: Sized,
    {
        serde_json::to_string(&self).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                "",
                format!("the output could not be written as JSON: {e}"),
            )
        })
    }
}

impl Output for BatchProcessingOutcome {}
impl Output for CursorConfig {}
impl Output for crate::worker_inputs::BatchMetadata {}
impl Output for crate::worker_inputs::BatchWorkerInputs {}
impl Output for crate::expansion::ExpansionPlan {}
impl Output for crate::worker_context::BatchWorkerContext {}
impl Output for crate::input::Extra {}
impl Output for crate::scenario::ScenarioReport {}
impl Output for crate::aggregation::Aggregation {}
impl Output for crate::convergence::Convergence {}
impl Output for crate::redrive::RedrivePlan {}

impl Output for crate::partition::Partition {
    fn into_json(self) -> Result<String> {
        match self {
            crate::partition::Partition::Integer(ranges) => Ok(ranges.to_json()),
            configs => serde_json::to_string(&configs).map_err(|e| {
                Error::new(
                    ErrorCode::Internal,
                    "",
                    format!("the output could not be written as JSON: {e}"),
                )
            }),
        }
    }
}

/// The list of operations, handed to a macro of the caller's: `$callback! { name, summary,
/// function; ... }`. [`OPERATIONS`] is built from it, and so is any front end that wants a
/// dispatcher of its own: the Ruby extension instantiates every operation for its Ruby-object
/// deserializer. One list, every front end.
#[macro_export]
macro_rules! for_each_operation {
    ($callback:ident) => {
        $callback! {
            "validate_outcome", "Validate a BatchProcessingOutcome; returns the canonical outcome", $crate::operations::validate_outcome;
            "validate_cursor_config", "Validate one CursorConfig; returns the canonical config", $crate::operations::validate_cursor_config;
            "validate_batch_metadata", "Validate a BatchMetadata; returns the canonical metadata (every key, snake_case strategy)", $crate::worker_inputs::validate_batch_metadata;
            "validate_worker_inputs", "Validate a worker's BatchWorkerInputs; returns the canonical inputs (every key)", $crate::worker_context::validate_worker_inputs;
            "partition", "Split a key space into cursor configs (integer, UUID, timestamp, boundaries)", $crate::partition::partition;
            "expand_outcome", "Expand an outcome into worker steps (names, inputs) and edges; all or nothing", $crate::expansion::expand_outcome;
            "worker_context", "Read a worker's BatchWorkerContext (range, metadata, checkpoint) from its step data", $crate::worker_context::worker_context;
            "update_step_results", "Validate a checkpoint and merge changes into a step's results; returns the new results", $crate::checkpoint::update_step_results;
            "reset_for_retry", "The results a retried step starts with: the checkpoint keys only", $crate::checkpoint::reset_for_retry;
            "detect_scenario", "Find the batchable outcome and the worker results among a convergence step's dependencies", $crate::scenario::detect_scenario;
            "aggregate", "Aggregate worker results: totals, success rate, capped errors, custom reducers", $crate::aggregation::aggregate;
            "converge", "Detect, aggregate, apply the failure strategy and check the coverage of the key space", $crate::convergence::converge;
            "redrive", "Re-split the unfinished remainder of failed ranges into child workers (steps and edges)", $crate::redrive::redrive;
        }
    };
}

macro_rules! operation_table {
    ($($name:literal, $summary:literal, $f:path;)*) => {
        /// Every operation, in the order the docs list them.
        pub static OPERATIONS: &[Operation] = &[
            $(Operation {
                name: $name,
                summary: $summary,
                run: |input| adapt(input, $f),
            },)*
        ];
    };
}

for_each_operation!(operation_table);

/// The operation called `name`.
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.name == name)
}

/// Runs the operation `name` on `input`.
pub fn call(name: &str, input: &str) -> Result<Success> {
    named(name)?.run(input)
}

fn named(name: &str) -> Result<&'static Operation> {
    find(name).ok_or_else(|| unknown_operation(name))
}

/// The error for an operation name that is not in the table.
pub fn unknown_operation(name: &str) -> Error {
    Error::new(
        ErrorCode::UnknownOperation,
        "",
        format!(
            "expected one of {}, found {name:?}",
            OPERATIONS
                .iter()
                .map(|op| op.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// Runs [`call`] behind a panic boundary: a panic becomes an `internal_error` result.
pub fn call_catching(name: &str, input: &str) -> Result<Success> {
    catching(name, || call(name, input))
}

/// Runs `work` (part of the operation `name`) so that a panic becomes an `internal_error`.
pub fn catching<T>(name: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_panic(work).unwrap_or_else(|what| {
        Err(Error::new(
            ErrorCode::Internal,
            "",
            format!("internal error in {name}: {what}"),
        ))
    })
}

// ------------------------------------------------------------------------------------------
// The panic boundary every front end uses: `catching` above, the C ABI's `ffi_boundary!`, the
// Ruby extension's `guarded`.

/// Runs `work`, turning a panic into its message (`Err`), and keeps the panic quiet: while
/// `work` runs on this thread, the panic hook prints nothing to the host's stderr, because the
/// caller reports the panic itself (an `internal_error` with the message).
///
/// The hook is process-wide, so it is installed once, on the first call, and **chains the
/// hook it replaces**: a panic outside our calls (or in a thread of the host's) still reaches
/// the host's hook, or Rust's default one, exactly as before. Only panics on a thread that is
/// inside `catch_panic` are silenced. A host that installs its own hook after our first call
/// replaces ours (Rust has one hook per process); our panics then reach its hook, and are
/// still caught.
pub fn catch_panic<T>(work: impl FnOnce() -> T) -> std::result::Result<T, String> {
    quiet_panics::install();
    let _inside = quiet_panics::Inside::enter();
    panic::catch_unwind(AssertUnwindSafe(work)).map_err(|payload| panic_text(payload.as_ref()))
}

/// The message a panic was raised with (`panic!("...")`, `expect`, an index out of bounds).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

mod quiet_panics {
    use std::cell::Cell;
    use std::panic;
    use std::sync::Once;

    thread_local! {
        /// How many `catch_panic` calls this thread is inside (they may nest).
        static DEPTH: Cell<u32> = const { Cell::new(0) };
    }

    /// Installs the chaining hook, once per process.
    pub fn install() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let previous = panic::take_hook();
            panic::set_hook(Box::new(move |info| {
                // A thread being torn down has no DEPTH any more: not ours, pass it on.
                let ours = DEPTH.try_with(|depth| depth.get() > 0).unwrap_or(false);
                if !ours {
                    previous(info);
                }
            }));
        });
    }

    /// Marks this thread as inside `catch_panic` until dropped (also when unwinding).
    pub struct Inside(());

    impl Inside {
        pub fn enter() -> Self {
            DEPTH.with(|depth| depth.set(depth.get() + 1));
            Inside(())
        }
    }

    impl Drop for Inside {
        fn drop(&mut self) {
            let _ = DEPTH.try_with(|depth| depth.set(depth.get() - 1));
        }
    }
}

/// Runs `name` on `input` behind a panic boundary and returns the JSON envelope.
pub fn call_envelope(name: &str, input: &str) -> String {
    into_envelope(call_catching(name, input))
}

const OK_HEAD: &str = r#"{"ok":true,"value":"#;
const WARNINGS_KEY: &str = r#","warnings":"#;

/// Writes the envelope of a result.
pub fn envelope(result: &Result<Success>) -> String {
    match result {
        Ok(success) => {
            let warnings = warnings_json(&success.warnings);
            let mut out = String::with_capacity(success.value.len() + warnings.len() + 40);
            out.push_str(OK_HEAD);
            out.push_str(&success.value);
            out.push_str(WARNINGS_KEY);
            out.push_str(&warnings);
            out.push('}');
            out
        }
        Err(error) => error_envelope(error),
    }
}

/// Writes the envelope of a result around its value, in place: a large output (a plan of a
/// hundred thousand workers) is not held twice at once.
pub fn into_envelope(result: Result<Success>) -> String {
    match result {
        Ok(Success {
            mut value,
            warnings,
        }) => {
            let warnings = warnings_json(&warnings);
            // Room for the envelope and a C string's NUL, so that no step reallocates.
            value.reserve(OK_HEAD.len() + WARNINGS_KEY.len() + warnings.len() + 2);
            value.insert_str(0, OK_HEAD);
            value.push_str(WARNINGS_KEY);
            value.push_str(&warnings);
            value.push('}');
            value
        }
        Err(error) => error_envelope(&error),
    }
}

fn warnings_json(warnings: &[Warning]) -> String {
    serde_json::to_string(warnings).expect("warnings always serialize")
}

/// Writes the envelope of an error.
pub fn error_envelope(error: &Error) -> String {
    let error = serde_json::to_string(error).expect("errors always serialize");
    format!(r#"{{"ok":false,"error":{error}}}"#)
}

// ------------------------------------------------------------------------------------------
// Operations that are pure validation live here; the others live with their idea.

/// `validate_outcome`: input the outcome itself; output the canonical outcome.
pub fn validate_outcome(
    outcome: BatchProcessingOutcome,
    warnings: &mut Vec<Warning>,
) -> Result<BatchProcessingOutcome> {
    validation::check_outcome(&outcome, warnings)?;
    Ok(outcome)
}

/// `validate_cursor_config`: input one cursor config; output the canonical config.
pub fn validate_cursor_config(
    config: CursorConfig,
    warnings: &mut Vec<Warning>,
) -> Result<CursorConfig> {
    validation::check_cursor_config(&config, &JsonPath::root(), warnings)?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_operations_list_the_known_ones() {
        let err = call("nope", "{}").unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownOperation);
        assert!(err.message.contains("validate_outcome"));
    }

    #[test]
    fn envelopes_carry_value_and_warnings() {
        let out = call_envelope(
            "validate_cursor_config",
            r#"{"batch_id":"001","start_cursor":5,"end_cursor":5,"batch_size":0}"#,
        );
        assert_eq!(
            out,
            r#"{"ok":true,"value":{"batch_id":"001","start_cursor":5,"end_cursor":5,"batch_size":0},"warnings":[{"code":"zero_length_range","message":"the range [5, 5) holds no keys","path":""}]}"#
        );
        let out = call_envelope("validate_cursor_config", "[");
        assert!(
            out.starts_with(r#"{"ok":false,"error":{"code":"invalid_json""#),
            "{out}"
        );
    }

    #[test]
    fn envelopes_written_in_place_are_the_same() {
        for (op, input) in [
            (
                "validate_cursor_config",
                r#"{"batch_id":"1","start_cursor":5,"end_cursor":5,"batch_size":0}"#,
            ),
            (
                "partition",
                r#"{"strategy":"integer_by_count","total_items":10,"worker_count":3}"#,
            ),
            ("partition", r#"{"strategy":"integer_by_count"}"#),
        ] {
            let result = call(op, input);
            assert_eq!(into_envelope(result.clone()), envelope(&result));
        }
    }

    #[test]
    fn operation_names_are_unique() {
        let mut names: Vec<_> = OPERATIONS.iter().map(|op| op.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len());
    }
}
