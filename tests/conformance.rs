//! Runs every conformance vector in `spec/conformance/*.json` through the operation table.
//!
//! The same files are run by the C program, RSpec, pytest and node; the format is described
//! in `spec/conformance/README.md`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tasker_batch::operations;

#[derive(Deserialize)]
struct VectorFile {
    #[allow(dead_code)]
    title: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    op: String,
    #[serde(default)]
    input: Option<Box<RawValue>>,
    #[serde(default)]
    input_text: Option<String>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    value_text: Option<String>,
    #[serde(default)]
    ordered: bool,
    #[serde(default)]
    warnings: Vec<Diagnostic>,
    #[serde(default)]
    error: Option<ExpectedError>,
}

#[derive(Deserialize, PartialEq, Debug)]
struct Diagnostic {
    code: String,
    path: String,
}

/// An expected error: code and path, and the exact message when the vector gives one (the
/// messages the contract fixes, such as upstream's).
#[derive(Deserialize, Debug)]
struct ExpectedError {
    code: String,
    path: String,
    #[serde(default)]
    message: Option<String>,
}

impl ExpectedError {
    fn matches(&self, actual: &ActualError) -> bool {
        self.code == actual.code
            && self.path == actual.path
            && self.message.as_ref().is_none_or(|m| *m == actual.message)
    }
}

#[derive(Deserialize, Debug)]
struct ActualError {
    code: String,
    path: String,
    message: String,
}

/// The envelope, with the value kept as raw text (key order and exact numbers are checked on
/// the text).
#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    value: Option<Box<RawValue>>,
    warnings: Option<Vec<Diagnostic>>,
    error: Option<ActualError>,
}

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/conformance");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Checks one case; `Err` says what differs.
fn check(case: &Case) -> Result<(), String> {
    let input = match (&case.input, &case.input_text) {
        (Some(raw), None) => raw.get().to_owned(),
        (None, Some(text)) => text.clone(),
        _ => return Err("a case needs exactly one of input and input_text".into()),
    };
    let envelope_text = operations::call_envelope(&case.op, &input);
    // The value is kept raw: key order and exact numbers are checked on the text.
    let envelope: Envelope = serde_json::from_str(&envelope_text)
        .map_err(|e| format!("envelope is not valid JSON ({e}): {envelope_text}"))?;
    match (envelope.ok, envelope.error, &case.expect.error) {
        (false, Some(error), Some(expected)) => {
            if expected.matches(&error) {
                Ok(())
            } else {
                Err(format!("expected error {expected:?}, got {envelope_text}"))
            }
        }
        (false, _, None) => Err(format!("expected a value, got {envelope_text}")),
        (true, _, Some(expected)) => {
            Err(format!("expected error {expected:?}, got {envelope_text}"))
        }
        (true, _, None) => {
            let (Some(value), Some(warnings)) = (envelope.value, envelope.warnings) else {
                return Err(format!(
                    "a success envelope needs value and warnings: {envelope_text}"
                ));
            };
            if warnings != case.expect.warnings {
                return Err(format!(
                    "expected warnings {:?}, got {warnings:?}",
                    case.expect.warnings
                ));
            }
            if let Some(text) = &case.expect.value_text {
                if value.get() != text {
                    return Err(format!("expected value text {text}, got {}", value.get()));
                }
            }
            if let Some(expected) = &case.expect.value {
                let actual: Value = serde_json::from_str(value.get()).unwrap();
                let same = if case.expect.ordered {
                    serde_json::to_string(&actual).unwrap()
                        == serde_json::to_string(expected).unwrap()
                } else {
                    &actual == expected
                };
                if !same {
                    return Err(format!("expected value {expected}, got {}", value.get()));
                }
            }
            Ok(())
        }
        (false, None, Some(_)) => Err(format!("an error envelope without error: {envelope_text}")),
    }
}

#[test]
fn every_conformance_vector_passes() {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in vector_files() {
        let text = fs::read_to_string(&file).unwrap();
        let vectors: VectorFile = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a vector file: {e}", file.display()));
        for case in &vectors.cases {
            count += 1;
            if let Err(why) = check(case) {
                let name = file.file_name().unwrap().to_string_lossy();
                failures.push(format!("{name} / {}: {why}", case.name));
            }
        }
    }
    assert!(count > 0, "no conformance vectors found");
    assert!(
        failures.is_empty(),
        "{} of {count} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_operation_has_vectors() {
    let mut seen = std::collections::HashSet::new();
    for file in vector_files() {
        let vectors: VectorFile =
            serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
        seen.extend(vectors.cases.into_iter().map(|c| c.op));
    }
    let missing: Vec<_> = operations::OPERATIONS
        .iter()
        .map(|op| op.name)
        .filter(|name| !seen.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without vectors: {missing:?}"
    );
}
