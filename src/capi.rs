//! The stable C ABI: JSON in, JSON envelope out.
//!
//! ```c
//! char *out = tasker_batch_call("partition",
//!     "{\"strategy\":\"integer_by_count\",\"total_items\":1000,\"worker_count\":3}");
//! /* out: {"ok":true,"value":[...],"warnings":[]} */
//! tasker_batch_free_string(out);
//! ```
//!
//! Every function runs behind one panic boundary (the `ffi_boundary!` macro): a NULL argument, invalid
//! UTF-8, invalid JSON, an unknown operation and an internal panic all come back as an error
//! envelope. NULL is returned only when the result string itself cannot be allocated.

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use crate::error::{Error, ErrorCode};
use crate::operations;

/// Major version of the library (semver).
pub const TASKER_BATCH_VERSION_MAJOR: u32 = 0;
/// Minor version of the library (semver).
pub const TASKER_BATCH_VERSION_MINOR: u32 = 1;
/// Patch version of the library (semver).
pub const TASKER_BATCH_VERSION_PATCH: u32 = 0;
/// Version of the C ABI and envelope format; bumped only on incompatible changes.
pub const TASKER_BATCH_ABI_VERSION: u32 = 1;

/// The library version as a NUL-terminated string.
static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The one panic boundary of every `extern "C"` function: runs `$body` behind
/// [`operations::catch_panic`] (a panic is caught, and prints nothing to the host's stderr),
/// and answers `$on_panic` if it panicked. Nothing unwinds into the caller's C frames.
macro_rules! ffi_boundary {
    (on_panic: $on_panic:expr, $body:expr) => {
        match operations::catch_panic(|| $body) {
            Ok(value) => value,
            Err(_) => $on_panic,
        }
    };
}

/// Runs the operation named `op` (for example `"partition"`) on the JSON text `input_json`.
///
/// Returns a JSON envelope as a new NUL-terminated UTF-8 string, which the caller owns and
/// must release with `tasker_batch_free_string`:
/// `{"ok":true,"value":...,"warnings":[{"code":...,"message":...,"path":...}]}` on success,
/// `{"ok":false,"error":{"code":...,"message":...,"path":...}}` on failure.
///
/// Bad arguments are failure envelopes too, never a crash: a NULL argument
/// (`null_argument`), invalid UTF-8 (`invalid_utf8`), malformed JSON (`invalid_json`), an
/// unknown operation (`unknown_operation`), and a bug caught at the boundary
/// (`internal_error`). Running out of memory aborts the process, as everywhere in Rust; NULL
/// is reserved for an envelope that cannot be built and is not expected, but check for it.
///
/// The call keeps no state: it may be made from several threads at once.
///
/// # Safety
///
/// `op` and `input_json` must each be NULL or point to a NUL-terminated string that stays
/// valid for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn tasker_batch_call(
    op: *const c_char,
    input_json: *const c_char,
) -> *mut c_char {
    ffi_boundary!(
        on_panic: into_c_string(operations::error_envelope(&Error::new(
            ErrorCode::Internal,
            "",
            "internal error: a panic was caught at the C boundary",
        ))),
        into_c_string(
            match (read_arg(op, "op"), read_arg(input_json, "input_json")) {
                (Ok(op), Ok(input)) => operations::call_envelope(op, input),
                (Err(e), _) | (_, Err(e)) => operations::error_envelope(&e),
            }
        )
    )
}

/// Releases an envelope returned by `tasker_batch_call`. NULL is ignored.
///
/// # Safety
///
/// `s` must be NULL or a pointer returned by `tasker_batch_call` that was not released yet;
/// do not pass strings from `malloc` or from `tasker_batch_version`.
#[no_mangle]
pub unsafe extern "C" fn tasker_batch_free_string(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // A panic while freeing would have to be a bug in the allocator: nothing to report to.
    ffi_boundary!(on_panic: (), drop(CString::from_raw(s)))
}

/// The library version as `"MAJOR.MINOR.PATCH"` (the `TASKER_BATCH_VERSION_*` macros of the
/// header the caller was compiled with should match it). The string is static: do not free it.
#[no_mangle]
pub extern "C" fn tasker_batch_version() -> *const c_char {
    ffi_boundary!(on_panic: c"".as_ptr(), VERSION.as_ptr().cast())
}

/// The version of the C ABI and envelope format this library implements: the
/// `TASKER_BATCH_ABI_VERSION` it was built with. A program compares it with the header's
/// `TASKER_BATCH_ABI_VERSION` at startup: when they differ, the library it loaded is not one
/// it can call (the version string may differ in minor and patch without that).
#[no_mangle]
pub extern "C" fn tasker_batch_abi_version() -> u32 {
    ffi_boundary!(on_panic: 0, TASKER_BATCH_ABI_VERSION)
}

/// The names of every operation `tasker_batch_call` accepts, as a JSON array of strings
/// (`["validate_outcome","validate_cursor_config",...]`). The string is static: do not free it.
#[no_mangle]
pub extern "C" fn tasker_batch_operations() -> *const c_char {
    static NAMES: OnceLock<CString> = OnceLock::new();
    ffi_boundary!(
        on_panic: c"[]".as_ptr(),
        NAMES
            .get_or_init(|| {
                let names: Vec<&str> = operations::OPERATIONS.iter().map(|op| op.name).collect();
                CString::new(serde_json::to_string(&names).expect("names serialize"))
                    .expect("operation names have no NUL")
            })
            .as_ptr()
    )
}

unsafe fn read_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::new(
            ErrorCode::NullArgument,
            "",
            format!("expected {name} to point to a NUL-terminated UTF-8 string, found NULL"),
        ));
    }
    CStr::from_ptr(ptr).to_str().map_err(|e| {
        Error::new(
            ErrorCode::InvalidUtf8,
            "",
            format!(
                "expected {name} to be UTF-8, found an invalid byte at offset {}",
                e.valid_up_to()
            ),
        )
    })
}

fn into_c_string(envelope: String) -> *mut c_char {
    match CString::new(envelope) {
        Ok(c) => c.into_raw(),
        // JSON escapes NUL inside strings, so this is unreachable; answer with an envelope
        // rather than trust that.
        Err(_) => CString::new(operations::error_envelope(&Error::new(
            ErrorCode::Internal,
            "",
            "internal error: the output contained a NUL byte",
        )))
        .map(CString::into_raw)
        .unwrap_or(std::ptr::null_mut()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(op: *const c_char, input: *const c_char) -> String {
        unsafe {
            let out = tasker_batch_call(op, input);
            assert!(!out.is_null());
            let text = CStr::from_ptr(out).to_str().unwrap().to_owned();
            tasker_batch_free_string(out);
            text
        }
    }

    #[test]
    fn null_and_invalid_utf8_arguments_are_error_envelopes() {
        let out = call(std::ptr::null(), c"{}".as_ptr());
        assert!(out.contains(r#""code":"null_argument""#), "{out}");
        let out = call(c"validate_outcome".as_ptr(), std::ptr::null());
        assert!(out.contains(r#""code":"null_argument""#), "{out}");
        let bad = b"{\"x\":\"\xff\"}\0";
        let out = call(c"validate_outcome".as_ptr(), bad.as_ptr().cast());
        assert!(out.contains(r#""code":"invalid_utf8""#), "{out}");
    }

    #[test]
    fn version_constants_match_the_crate_version() {
        let version = unsafe { CStr::from_ptr(tasker_batch_version()) }
            .to_str()
            .unwrap();
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            format!(
                "{TASKER_BATCH_VERSION_MAJOR}.{TASKER_BATCH_VERSION_MINOR}.{TASKER_BATCH_VERSION_PATCH}"
            ),
            version
        );
    }

    #[test]
    fn abi_version_is_the_constant() {
        assert_eq!(tasker_batch_abi_version(), TASKER_BATCH_ABI_VERSION);
    }

    #[test]
    fn operations_lists_every_operation_as_json() {
        let text = unsafe { CStr::from_ptr(tasker_batch_operations()) }
            .to_str()
            .unwrap();
        let names: Vec<String> = serde_json::from_str(text).unwrap();
        let expected: Vec<&str> = operations::OPERATIONS.iter().map(|op| op.name).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn freeing_null_is_harmless() {
        unsafe { tasker_batch_free_string(std::ptr::null_mut()) };
    }
}
