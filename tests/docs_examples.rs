//! The examples in `docs/*.md` are executable: every fenced block whose info string is
//! `json input <operation>` is sent to that operation, and the next `json output` (the expected
//! value) or `json error` (the expected `{code, path}`) block must match the result.

use std::fs;
use std::path::Path;

use serde_json::Value;
use tasker_batch::operations;

/// `(info string, body)` of every fenced code block.
fn fenced_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            blocks.push((info.trim().to_owned(), body.join("\n")));
        }
    }
    blocks
}

fn check_file(path: &Path) -> (usize, Vec<String>) {
    let blocks = fenced_blocks(&fs::read_to_string(path).unwrap());
    let mut checked = 0;
    let mut failures = Vec::new();
    for (i, (info, body)) in blocks.iter().enumerate() {
        let Some(op) = info.strip_prefix("json input ") else {
            continue;
        };
        let where_ = format!("{} block {} ({op})", path.display(), i + 1);
        let Some((expect_info, expect_body)) = blocks.get(i + 1) else {
            failures.push(format!("{where_}: no expectation block follows"));
            continue;
        };
        checked += 1;
        let expected: Value = serde_json::from_str(expect_body)
            .unwrap_or_else(|e| panic!("{where_}: expectation is not JSON: {e}"));
        let result = operations::call(op, body);
        let problem = match (expect_info.as_str(), result) {
            ("json output", Ok(success)) => {
                let actual: Value = serde_json::from_str(&success.value).unwrap();
                (actual != expected).then(|| format!("expected {expected}, got {actual}"))
            }
            ("json error", Err(error)) => {
                let actual = serde_json::json!({"code": error.code.as_str(), "path": error.path});
                (actual != expected).then(|| format!("expected error {expected}, got {actual}"))
            }
            ("json output", Err(error)) => Some(format!("expected a value, got error {error}")),
            ("json error", Ok(success)) => {
                Some(format!("expected an error, got {}", success.value))
            }
            (other, _) => Some(format!("unknown expectation block `{other}`")),
        };
        if let Some(problem) = problem {
            failures.push(format!("{where_}: {problem}"));
        }
    }
    (checked, failures)
}

#[test]
fn documented_examples_are_what_the_operations_do() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in fs::read_dir(&docs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            let (n, mut f) = check_file(&path);
            checked += n;
            failures.append(&mut f);
        }
    }
    assert!(checked > 0, "no executable examples found in docs/");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_operation_is_documented_with_an_example() {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operations.md"))
        .unwrap();
    let missing: Vec<_> = operations::OPERATIONS
        .iter()
        .filter(|op| !text.contains(&format!("```json input {}\n", op.name)))
        .map(|op| op.name)
        .collect();
    assert!(
        missing.is_empty(),
        "operations without an example in docs/operations.md: {missing:?}"
    );
}
