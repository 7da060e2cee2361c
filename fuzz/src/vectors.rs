//! The conformance vectors (spec/conformance/*.json) and the dictionary (fuzz/tasker_batch.dict),
//! read once, for the structure-aware target.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::tree::Json;

/// One vector's input, ready to mutate.
pub struct Vector {
    /// The operation the vector calls.
    pub op: String,
    /// Its input.
    pub input: Json,
}

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    op: String,
    #[serde(default)]
    input: Option<Box<RawValue>>,
    #[serde(default)]
    input_text: Option<String>,
}

/// The directory of the vector files (this crate lives in fuzz/ of the repository).
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/conformance");

/// Every vector whose input is JSON this crate can edit, in file and case order. Inputs that
/// are not JSON, or nest deeper than [`crate::tree::MAX_DEPTH`], are left to the byte-level
/// target.
pub fn vectors() -> &'static [Vector] {
    static VECTORS_READ: OnceLock<Vec<Vector>> = OnceLock::new();
    VECTORS_READ.get_or_init(|| read(Path::new(VECTORS)))
}

fn read(dir: &Path) -> Vec<Vector> {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut vectors = Vec::new();
    for path in paths {
        let text = fs::read_to_string(&path).expect("a vector file is UTF-8");
        let file: File = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a vector file: {e}", path.display()));
        for case in file.cases {
            let text = match (&case.input, &case.input_text) {
                (Some(raw), _) => raw.get(),
                (None, Some(text)) => text.as_str(),
                (None, None) => continue,
            };
            if let Some(input) = Json::parse(text) {
                vectors.push(Vector { op: case.op, input });
            }
        }
    }
    assert!(!vectors.is_empty(), "no vectors under {}", dir.display());
    vectors
}

/// The dictionary's words: the contract's keys, operation names and values.
pub fn words() -> &'static [String] {
    static WORDS: OnceLock<Vec<String>> = OnceLock::new();
    WORDS.get_or_init(|| dictionary_words(include_str!("../tasker_batch.dict")))
}

/// The quoted words of a libFuzzer dictionary (`"word"` or `name="word"` lines; `#` starts a
/// comment). The dictionary holds only plain ASCII words, written without escapes.
pub fn dictionary_words(dict: &str) -> Vec<String> {
    dict.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let start = line.find('"')? + 1;
            let end = line.rfind('"')?;
            (end > start).then(|| line[start..end].to_owned())
        })
        .filter(|word| word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_in_the_dictionary() {
        let words = words();
        for op in tasker_batch::operations::OPERATIONS {
            assert!(
                words.iter().any(|w| w == op.name),
                "{} is not in tasker_batch.dict",
                op.name
            );
        }
    }

    #[test]
    fn the_vectors_are_read() {
        assert!(vectors().len() > 100);
    }
}
