//! The lowest layer: the few reads of Ruby values, straight through Ruby's C API, that every
//! other module of the extension uses. Nothing here runs Ruby code, and nothing here knows
//! about JSON, documents or operations.
//!
//! The modules above it, each depending only on those below:
//!
//! | module | what |
//! |---|---|
//! | `raw` | C-API reads: lent strings, Hash entries, Bignum digits, the GC pause |
//! | `write` | JSON text written by the core → Ruby objects (keys through `interned`) |
//! | `document` | `TaskerBatch::Native::Document`, JSON text read lazily (through `write`) |
//! | `read` | Ruby objects → JSON text (a Document is taken as its text) |
//! | `ruby_de` | Ruby objects → the core's typed inputs (a serde deserializer; `read` for raw values) |
//! | `ruby_ser` | the core's typed outputs → Ruby objects (a serde serializer; `write` for raw values) |
//! | `interned` | frozen, deduplicated key Strings, interned once and kept (bounded) |
//! | `members` | the chosen members of a typed output → Ruby objects (through `ruby_ser`) |
//! | `context` | the worker context → a `BatchWorkerContext` with its members set |
//! | `step_parts` | an object step's parts read as the map `{inputs, results, checkpoint}` |
//! | `boundary` | the panic boundary (`guarded`), the GVL and the Ruby error class |
//! | `lib` | `TaskerBatch::Native`: the methods Ruby calls |

use std::os::raw::c_int;
use std::sync::OnceLock;

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{Integer, RHash, RString, Value};

/// Lends the bytes of a Ruby string for the lifetime the caller chooses.
///
/// SAFETY: the caller guarantees that the string is neither mutated nor moved nor freed while
/// the returned slice is used: no Ruby code runs, and the GC is paused ([`with_gc_disabled`]).
pub(crate) unsafe fn lend<'a>(s: RString) -> &'a [u8] {
    let bytes = s.as_slice();
    std::slice::from_raw_parts(bytes.as_ptr(), bytes.len())
}

/// The bytes of a Ruby string as UTF-8, lent like [`lend`]: a UTF-8, US-ASCII or binary
/// (ASCII-8BIT) string as it is (its bytes are checked as UTF-8 by the caller); a string in
/// any other encoding converted to UTF-8 by Ruby's transcoder (C code, no Ruby method), or the
/// name of its encoding when it cannot be converted exactly.
///
/// SAFETY: as [`lend`], and the GC must be paused ([`with_gc_disabled`]): a converted string
/// is referenced from nowhere but the returned slice, and lives because no collection runs.
pub(crate) unsafe fn utf8_of<'a>(s: RString) -> Result<&'a [u8], String> {
    let index = rb_sys::rb_enc_get_index(s.as_raw());
    if index == rb_sys::rb_utf8_encindex()
        || index == rb_sys::rb_usascii_encindex()
        || index == rb_sys::rb_ascii8bit_encindex()
    {
        return Ok(lend(s));
    }
    let from = rb_sys::rb_enc_from_index(index);
    let converted = rb_sys::rb_str_conv_enc(s.as_raw(), from, rb_sys::rb_utf8_encoding());
    if converted == s.as_raw() || rb_sys::rb_enc_get_index(converted) != rb_sys::rb_utf8_encindex()
    {
        // `rb_str_conv_enc` answers the string itself when it cannot convert it.
        let name = if from.is_null() {
            format!("encoding #{index}")
        } else {
            std::ffi::CStr::from_ptr((*from).name)
                .to_string_lossy()
                .into_owned()
        };
        return Err(name);
    }
    // `rb_str_conv_enc` answers a String (the converted copy, checked above to be UTF-8), so
    // the `None` of `from_value` cannot happen; it would read as a failed conversion.
    match RString::from_value(Value::from_raw(converted)) {
        Some(converted) => Ok(lend(converted)),
        None => Err(format!("encoding #{index}")),
    }
}

/// The text of a Ruby string as UTF-8 ([`utf8_of`], then checked), or the message of the
/// `invalid_encoding` error it is: the one rule both readers (Ruby objects read in place,
/// `ruby_de`; values written as JSON text, `read`) apply to every string.
///
/// SAFETY: as [`utf8_of`].
pub(crate) unsafe fn text_of<'a>(s: RString) -> Result<&'a str, String> {
    // All ASCII (Ruby knows, from the string's code range): the bytes are the text.
    if let Some(text) = ascii_of(s) {
        return Ok(text);
    }
    let bytes = utf8_of(s).map_err(|encoding| {
        format!("expected a string convertible to UTF-8, found {encoding} bytes that are not valid {encoding}")
    })?;
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "expected a string convertible to UTF-8, found bytes that are not UTF-8 (an invalid byte at offset {})",
            e.valid_up_to()
        )
    })
}

/// The text of a Ruby string whose bytes are all ASCII, lent like [`lend`]: such bytes are
/// UTF-8 text whatever the string's encoding (Ruby reports ASCII only for ASCII-compatible
/// encodings). Ruby knows, and caches, a string's "code range", so that most strings are
/// not scanned again; `None` for any other string (see [`utf8_of`]).
///
/// SAFETY: as [`lend`].
pub(crate) unsafe fn ascii_of<'a>(s: RString) -> Option<&'a str> {
    let ascii = rb_sys::ruby_coderange_type::RUBY_ENC_CODERANGE_7BIT as c_int;
    if rb_sys::rb_enc_str_coderange(s.as_raw()) == ascii {
        // SAFETY: every byte is below 0x80, so the bytes are UTF-8.
        Some(std::str::from_utf8_unchecked(lend(s)))
    } else {
        None
    }
}

/// Runs `f` with Ruby's garbage collector off (restoring its previous state), so that the Ruby
/// strings lent to the core stay where they are.
pub fn with_gc_disabled<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            if !self.0 {
                // SAFETY: plain C API call, on the thread that holds the GVL.
                unsafe { rb_sys::rb_gc_enable() };
            }
        }
    }
    // SAFETY: as above. `rb_gc_disable` returns whether the GC was already disabled.
    let was_disabled = unsafe { rb_sys::rb_gc_disable() } == rb_sys::Qtrue as rb_sys::VALUE;
    let _restore = Restore(was_disabled);
    f()
}

/// The entries of a Hash, in order: held inline for the small Hashes most inputs are made of
/// (as many as Ruby keeps in its own small-table form), so that reading one allocates nothing.
pub(crate) struct Entries {
    small: [(Value, Value); SMALL],
    len: usize,
    large: Vec<(Value, Value)>,
}

const SMALL: usize = 8;

impl Entries {
    /// Collects the entries of `hash` without calling back into Ruby code.
    pub(crate) fn of(hash: RHash) -> Self {
        unsafe extern "C" fn collect(
            key: rb_sys::VALUE,
            value: rb_sys::VALUE,
            arg: rb_sys::VALUE,
        ) -> c_int {
            // SAFETY: `arg` is the Entries below, alive for the whole iteration; both are live
            // Ruby values handed over by rb_hash_foreach.
            let entries = unsafe { &mut *(arg as *mut Entries) };
            let entry = unsafe { (Value::from_raw(key), Value::from_raw(value)) };
            if entries.large.capacity() > 0 {
                entries.large.push(entry);
            } else if entries.len < SMALL {
                entries.small[entries.len] = entry;
            } else {
                // The Hash grew while being read (it cannot: no Ruby code runs); keep reading.
                entries.large.extend_from_slice(&entries.small);
                entries.large.push(entry);
            }
            entries.len += 1;
            rb_sys::st_retval::ST_CONTINUE as c_int
        }
        let size = hash.len();
        // SAFETY: a special constant, to fill the unused slots.
        let nil = unsafe { Value::from_raw(rb_sys::Qnil as rb_sys::VALUE) };
        let mut entries = Entries {
            small: [(nil, nil); SMALL],
            len: 0,
            large: if size > SMALL {
                Vec::with_capacity(size)
            } else {
                Vec::new()
            },
        };
        // SAFETY: the callback only stores into `entries` and never raises.
        unsafe {
            rb_sys::rb_hash_foreach(
                hash.as_raw(),
                Some(collect),
                &mut entries as *mut Entries as rb_sys::VALUE,
            );
        }
        entries
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The entry at `i`, if any.
    pub(crate) fn get(&self, i: usize) -> Option<(Value, Value)> {
        if self.large.capacity() > 0 {
            self.large.get(i).copied()
        } else {
            self.small[..self.len].get(i).copied()
        }
    }
}

/// The decimal digits of an Integer, through Ruby's C API (no Ruby method is called, so a
/// redefined `Integer#to_s` cannot change them).
pub fn bignum_digits(int: Integer) -> String {
    // SAFETY: `rb_big2str` returns a new String of ASCII digits; it is read right away.
    unsafe {
        let s = RString::from_value(Value::from_raw(rb_sys::rb_big2str(int.as_raw(), 10)))
            .expect("rb_big2str returns a String");
        String::from_utf8_lossy(s.as_slice()).into_owned()
    }
}

/// The ids of `TaskerBatch::CursorConfigList`'s `@configs` and `@document`, interned once when
/// the extension loads (interning may allocate, so it is not done while strings are lent).
pub static CURSOR_CONFIG_LIST_IVARS: OnceLock<(rb_sys::ID, rb_sys::ID)> = OnceLock::new();

/// Interns what the readers need later; called by the extension's `init`.
pub fn intern_ids() {
    CURSOR_CONFIG_LIST_IVARS.get_or_init(|| {
        // SAFETY: `rb_intern2` with a name and its length, while the extension loads.
        unsafe {
            (
                rb_sys::rb_intern2(c"@configs".as_ptr(), 8),
                rb_sys::rb_intern2(c"@document".as_ptr(), 9),
            )
        }
    });
}
