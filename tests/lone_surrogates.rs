//! Lone UTF-16 surrogates (`"\ud800"`: valid JSON text, not Unicode text; a JavaScript string
//! cut inside an emoji sends exactly this) in every place that reached an `.expect()` before:
//! a raw value carries them exactly, a string the core compares is `invalid_string` at its path,
//! and nothing is an internal error (docs/decisions.md, "Lone surrogates").

use tasker_batch::operations::call_envelope as call;

/// The envelope of `op` on `input`, as JSON text.
fn envelope(op: &str, input: &str) -> serde_json::Value {
    serde_json::from_str(&call(op, input)).expect("the envelope is JSON")
}

fn assert_ok(op: &str, input: &str) -> serde_json::Value {
    let out = envelope(op, input);
    assert_eq!(out["ok"], true, "{op} {input}: {out}");
    out
}

fn assert_error(op: &str, input: &str, code: &str, path: &str) {
    let out = envelope(op, input);
    assert_eq!(out["ok"], false, "{op} {input}: {out}");
    assert_eq!(out["error"]["code"], code, "{out}");
    assert_eq!(out["error"]["path"], path, "{out}");
}

#[test]
fn a_string_cursor_with_a_lone_surrogate_is_carried_exactly() {
    let text = call(
        "validate_cursor_config",
        r#"{"batch_id":"1","start_cursor":"\ud800","end_cursor":"b","batch_size":1}"#,
    );
    assert!(text.contains(r#""start_cursor":"\ud800""#), "{text}");
    // The envelope holds the surrogate too, so it is checked as text (serde_json's `Value`
    // cannot hold it).
    let text = call(
        "validate_outcome",
        r#"{"type":"create_batches","worker_template_name":"w","worker_count":1,"total_items":1,
            "cursor_configs":[{"batch_id":"1","start_cursor":"a","end_cursor":"\udfff","batch_size":1}]}"#,
    );
    assert!(text.starts_with(r#"{"ok":true,"#), "{text}");
    assert!(text.contains(r#""end_cursor":"\udfff""#), "{text}");
}

#[test]
fn boundaries_with_a_lone_surrogate_partition_as_written() {
    let text = call(
        "partition",
        r#"{"strategy":"boundaries","boundaries":["a","\ud800","z"]}"#,
    );
    assert!(text.contains(r#""end_cursor":"\ud800""#), "{text}");
    assert!(text.contains(r#""ok":true"#), "{text}");
}

#[test]
fn a_checkpoint_with_a_lone_surrogate_is_read_and_written() {
    let step = r#"{"inputs":{"cursor":{"batch_id":"1","start_cursor":"a","end_cursor":"z","batch_size":1}},
                   "results":{"checkpoint_cursor":"\ud800","processed_count":1}}"#;
    let text = call("worker_context", step);
    assert!(text.contains(r#""resume_cursor":"\ud800""#), "{text}");
    let update = format!(
        r#"{{"step":{step},"changes":{{"checkpoint_cursor":"\udbff","processed_count":2}}}}"#
    );
    let text = call("update_step_results", &update);
    assert!(text.contains(r#""checkpoint_cursor":"\udbff""#), "{text}");
}

#[test]
fn a_status_with_a_lone_surrogate_is_a_status_that_is_not_a_failure() {
    let out = assert_ok(
        "aggregate",
        r#"{"batch_results":[{"items_processed":1,"items_succeeded":1,"status":"\ud800"}]}"#,
    );
    assert_eq!(out["value"]["total_processed"], 1);
    assert_ok(
        "converge",
        r#"{"dependency_results":{"a":{"batch_processing_outcome":{"type":"no_batches"}},"w_000":{"status":"\udc00"}},
            "batchable_step_name":"a","worker_prefix":"w_"}"#,
    );
}

#[test]
fn a_string_a_reducer_compares_must_be_unicode_text() {
    for reducer in ["min", "max"] {
        assert_error(
            "aggregate",
            &format!(
                r#"{{"batch_results":[{{"items_processed":1,"v":"b"}},{{"items_processed":1,"v":"\ud800"}}],
                    "reducers":{{"v":"{reducer}"}}}}"#
            ),
            "invalid_string",
            "batch_results[1].v",
        );
    }
    // An escaped pair is one character, compared as such.
    let out = assert_ok(
        "aggregate",
        r#"{"batch_results":[{"items_processed":1,"v":"\ud83d\ude00"},{"items_processed":1,"v":"a"}],
            "reducers":{"v":"max"}}"#,
    );
    assert_eq!(out["value"]["custom"]["v"], "😀", "{out}");
}
