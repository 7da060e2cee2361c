//! What every fuzz target asserts about one call of `tasker_batch_call` (docs/fuzzing.md):
//!
//! 1. the envelope is JSON of the documented shape: `{"ok":true,"value":...,"warnings":[...]}`
//!    or `{"ok":false,"error":{...}}`, every diagnostic `{code, message, path}` with a known
//!    code and a message;
//! 2. the error is never `internal_error` (a caught panic or an impossible state);
//! 3. a `validate_*` output, validated again by the same operation, comes back unchanged;
//! 4. every config a successful `partition` returns validates as a cursor config (unchanged),
//!    all of them together as an outcome's `cursor_configs`, and a worker holding one can start
//!    (`worker_context`) and checkpoint (`update_step_results`).
//!
//! A broken property panics, which libFuzzer reports as a crash with the input that caused it.

use std::ffi::{c_char, CStr, CString};

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use tasker_batch::capi::{tasker_batch_call, tasker_batch_free_string};
use tasker_batch::{ErrorCode, WarningCode};

/// How many of a partition's configs are checked one by one (the first and the last ones):
/// a request may ask for a million ranges, and each check is a call.
const CONFIGS_CHECKED_EACH_END: usize = 8;

/// Up to this many configs, a partition's whole output is checked as one outcome.
const OUTCOME_CHECKED_WHOLE: usize = 10_000;

/// Successful envelopes longer than this are checked by their frame only: the prefix, the
/// warnings and their codes, not the value (a small request may ask for a million cursor
/// configs, 80 MB of output, whose parsing under the fuzzer's instrumentation takes seconds).
/// The fuzz targets keep such inputs out of their corpus, so they stay rare.
pub const MAX_ENVELOPE_CHECKED_WHOLE: usize = 1 << 20;

/// How much of a call was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// Every property.
    Whole,
    /// The envelope's frame only (it is longer than [`MAX_ENVELOPE_CHECKED_WHOLE`]), or no
    /// call at all (a mutated input too long to send).
    FrameOnly,
}

/// Calls `op` on `input` through the C ABI, as a C caller would: each argument ends at its
/// first NUL byte. Checks the answer (properties 1 to 4 above).
pub fn call_and_check(op: &[u8], input: &[u8]) -> Checked {
    let op = c_string(op);
    let input = c_string(input);
    let envelope = call(&op, &input);
    if envelope.len() > MAX_ENVELOPE_CHECKED_WHOLE && envelope.starts_with(OK_HEAD) {
        check_frame(&envelope);
        return Checked::FrameOnly;
    }
    if let Some(value) = check_envelope(&envelope) {
        // A call that succeeded named a real operation, so its name is UTF-8.
        let op = op
            .to_str()
            .expect("a successful call names a UTF-8 operation");
        follow_up(op, &value);
    }
    Checked::Whole
}

const OK_HEAD: &str = r#"{"ok":true,"value":"#;
const WARNINGS_KEY: &str = r#","warnings":["#;

/// A long successful envelope: `{"ok":true,"value":` ... `,"warnings":[...]}` with warnings
/// of known codes. The last `,"warnings":[` is the envelope's own: inside the warnings, whose
/// strings escape their quotes, that text cannot occur.
fn check_frame(envelope: &str) {
    let at = envelope.rfind(WARNINGS_KEY).unwrap_or_else(|| {
        panic!(
            "a long ok envelope without warnings: {}",
            envelope.chars().take(200).collect::<String>()
        )
    });
    let warnings = envelope[at + WARNINGS_KEY.len() - 1..]
        .strip_suffix('}')
        .expect("the envelope ends with its warnings");
    let warnings: Vec<Diagnostic> = serde_json::from_str(warnings)
        .unwrap_or_else(|e| panic!("the warnings of a long envelope are not a list ({e})"));
    for warning in &warnings {
        assert!(
            WarningCode::from_wire(&warning.code).is_some(),
            "unknown warning code {warning:?}"
        );
        check_diagnostic(warning, &envelope[at..]);
    }
}

/// The bytes up to the first NUL, as a C string.
fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("no NUL before the end")
}

/// One call through the C ABI; the envelope as text (it must be UTF-8).
fn call(op: &CStr, input: &CStr) -> String {
    // SAFETY: both arguments are NUL-terminated strings that live across the call; the result
    // is read once and released once, with the library's own function.
    unsafe {
        let out: *mut c_char = tasker_batch_call(op.as_ptr(), input.as_ptr());
        assert!(!out.is_null(), "tasker_batch_call returned NULL");
        let text = CStr::from_ptr(out)
            .to_str()
            .expect("the envelope is UTF-8")
            .to_owned();
        tasker_batch_free_string(out);
        text
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    ok: bool,
    // `"value": null` is a value: absent and null must stay apart.
    #[serde(borrow, default, deserialize_with = "present")]
    value: Option<&'a RawValue>,
    #[serde(default)]
    warnings: Option<Vec<Diagnostic>>,
    #[serde(default)]
    error: Option<Diagnostic>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Diagnostic {
    code: String,
    message: String,
    path: String,
}

/// Checks the envelope's shape and codes (properties 1 and 2); the value's text when the
/// call succeeded.
pub fn check_envelope(envelope: &str) -> Option<String> {
    let parsed: Envelope = serde_json::from_str(envelope).unwrap_or_else(|e| {
        panic!("the envelope is not of the documented shape ({e}): {envelope}")
    });
    if parsed.ok {
        assert!(
            envelope.starts_with(OK_HEAD),
            "ok envelope in another order: {envelope}"
        );
        assert!(
            parsed.error.is_none(),
            "ok envelope with an error: {envelope}"
        );
        let value = parsed
            .value
            .unwrap_or_else(|| panic!("ok envelope without a value: {envelope}"));
        let warnings = parsed
            .warnings
            .unwrap_or_else(|| panic!("ok envelope without warnings: {envelope}"));
        for warning in &warnings {
            assert!(
                WarningCode::from_wire(&warning.code).is_some(),
                "unknown warning code {warning:?}: {envelope}"
            );
            check_diagnostic(warning, envelope);
        }
        Some(value.get().to_owned())
    } else {
        assert!(
            envelope.starts_with(r#"{"ok":false,"error":{"#),
            "error envelope in another order: {envelope}"
        );
        assert!(
            parsed.value.is_none() && parsed.warnings.is_none(),
            "error envelope with a value or warnings: {envelope}"
        );
        let error = parsed
            .error
            .unwrap_or_else(|| panic!("error envelope without an error: {envelope}"));
        let code = ErrorCode::from_wire(&error.code)
            .unwrap_or_else(|| panic!("unknown error code {error:?}: {envelope}"));
        assert!(code != ErrorCode::Internal, "internal_error: {envelope}");
        check_diagnostic(&error, envelope);
        None
    }
}

fn check_diagnostic(diagnostic: &Diagnostic, envelope: &str) {
    assert!(
        !diagnostic.message.is_empty(),
        "a diagnostic without a message: {envelope}"
    );
    // A path names keys and indexes below the input (`cursor_configs[2].batch_size`): it never
    // starts with a separator.
    assert!(
        !diagnostic.path.starts_with('.'),
        "a path that starts with a dot: {envelope}"
    );
}

/// Properties 3 and 4, on a successful call's value.
fn follow_up(op: &str, value: &str) {
    if op.starts_with("validate_") {
        let again = expect_ok(op, value, "its own output");
        assert_eq!(
            again, value,
            "{op} changed its own output when validating it again"
        );
    }
    if op == "partition" {
        check_partition(value);
    }
}

/// Calls `op` on `input`, which must succeed (`what` says what the input is, for the report).
fn expect_ok(op: &str, input: &str, what: &str) -> String {
    let op_c = CString::new(op).expect("operation names have no NUL");
    let input_c = CString::new(input).expect("JSON output has no NUL");
    let envelope = call(&op_c, &input_c);
    check_envelope(&envelope)
        .unwrap_or_else(|| panic!("{op} refused {what}: {envelope}\ninput: {input}"))
}

#[derive(Deserialize)]
struct Ends<'a> {
    #[serde(borrow)]
    start_cursor: &'a RawValue,
    #[serde(borrow)]
    end_cursor: &'a RawValue,
    batch_size: Option<u64>,
}

fn check_partition(value: &str) {
    let configs: Vec<&RawValue> =
        serde_json::from_str(value).expect("partition answers an array of configs");
    if configs.is_empty() {
        return;
    }
    // All of them as one outcome; past OUTCOME_CHECKED_WHOLE configs (a request may ask for a
    // million), the first and the last ones only, so one input stays a fraction of a second.
    let n = configs.len();
    let sample: Vec<&RawValue> = if n <= OUTCOME_CHECKED_WHOLE {
        configs.clone()
    } else {
        configs[..CONFIGS_CHECKED_EACH_END]
            .iter()
            .chain(&configs[n - CONFIGS_CHECKED_EACH_END..])
            .copied()
            .collect()
    };
    let total: u64 = sample
        .iter()
        .filter_map(|c| serde_json::from_str::<Ends>(c.get()).ok()?.batch_size)
        .fold(0, u64::saturating_add);
    let list = serde_json::to_string(&sample).expect("raw values serialize");
    let outcome = format!(
        r#"{{"type":"create_batches","worker_template_name":"fuzz","worker_count":{},"cursor_configs":{list},"total_items":{total}}}"#,
        sample.len()
    );
    expect_ok(
        "validate_outcome",
        &outcome,
        "partition's configs as an outcome",
    );

    let checked = (0..n).filter(|&i| {
        i < CONFIGS_CHECKED_EACH_END || i >= n.saturating_sub(CONFIGS_CHECKED_EACH_END)
    });
    for i in checked {
        let config = configs[i].get();
        let again = expect_ok("validate_cursor_config", config, "a config partition made");
        assert_eq!(
            again, config,
            "validate_cursor_config changed a config partition made"
        );

        let step = format!(r#"{{"inputs":{{"cursor":{config}}}}}"#);
        expect_ok(
            "worker_context",
            &step,
            "a worker holding a config partition made",
        );

        let ends: Ends = serde_json::from_str(config).expect("a config has both ends");
        let at = [ends.start_cursor.get(), ends.end_cursor.get()]
            .into_iter()
            .find(|c| *c != "null");
        if let Some(at) = at {
            let update = format!(
                r#"{{"step":{step},"changes":{{"checkpoint_cursor":{at},"processed_count":0}}}}"#
            );
            expect_ok(
                "update_step_results",
                &update,
                "a checkpoint at an end of a config partition made",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_calls_pass_every_check() {
        for input in [
            r#"{"strategy":"integer_by_count","total_items":1000,"worker_count":3}"#,
            r#"{"strategy":"uuid","count":4}"#,
            r#"{"strategy":"timestamp","start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z","count":3}"#,
            r#"{"strategy":"boundaries","boundaries":[null,{"a":1},"m",null]}"#,
        ] {
            call_and_check(b"partition", input.as_bytes());
        }
        call_and_check(
            b"validate_batch_metadata",
            br#"{"failure_strategy":"FailFast"}"#,
        );
        call_and_check(b"nope", b"{}");
        call_and_check(b"partition", b"{\"strategy\":\0");
        call_and_check(b"partition", b"\xff");
    }

    #[test]
    fn a_million_configs_are_checked_by_their_frame() {
        let input =
            br#"{"strategy":"integer_by_count","total_items":1000000,"worker_count":1000000}"#;
        assert_eq!(call_and_check(b"partition", input), Checked::FrameOnly);
        let small = br#"{"strategy":"integer_by_count","total_items":1000,"worker_count":10}"#;
        assert_eq!(call_and_check(b"partition", small), Checked::Whole);
    }

    #[test]
    #[should_panic(expected = "unknown warning code")]
    fn a_long_envelope_with_an_unknown_warning_fails() {
        let value = "1".repeat(MAX_ENVELOPE_CHECKED_WHOLE);
        check_frame(&format!(
            r#"{{"ok":true,"value":{value},"warnings":[{{"code":"oops","message":"m","path":""}}]}}"#
        ));
    }

    #[test]
    #[should_panic(expected = "internal_error")]
    fn an_internal_error_fails() {
        check_envelope(r#"{"ok":false,"error":{"code":"internal_error","message":"m","path":""}}"#);
    }

    #[test]
    #[should_panic(expected = "documented shape")]
    fn an_envelope_with_other_keys_fails() {
        check_envelope(r#"{"ok":true,"value":1,"warnings":[],"extra":1}"#);
    }

    #[test]
    #[should_panic(expected = "without warnings")]
    fn an_ok_envelope_without_warnings_fails() {
        check_envelope(r#"{"ok":true,"value":null}"#);
    }

    #[test]
    #[should_panic(expected = "unknown error code")]
    fn an_unknown_code_fails() {
        check_envelope(r#"{"ok":false,"error":{"code":"oops","message":"m","path":""}}"#);
    }

    #[test]
    fn a_null_value_is_a_value() {
        assert_eq!(
            check_envelope(r#"{"ok":true,"value":null,"warnings":[]}"#).as_deref(),
            Some("null")
        );
    }
}
