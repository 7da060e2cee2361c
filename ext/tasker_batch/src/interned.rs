//! Frozen, deduplicated Ruby Strings for the object keys and names that outputs repeat
//! (`"cursor"`, `"items_processed"`, `"integer"`, ...), interned once and kept.
//!
//! Interning a key (`rb_enc_interned_str`: hash the bytes, look them up in Ruby's table of
//! frozen strings) costs more than building the small values beside it, and every output of a
//! per-step call repeats the same few keys. The first [`CAPACITY`] distinct keys of at most
//! [`MAX_KEY_BYTES`] bytes are kept here for the life of the process (registered with the GC,
//! so that they are never freed); any other key is interned each time, as before. Bounded
//! whatever the input: a caller's own keys can fill the cache, never grow it.
//!
//! Only called with the GVL held (building Ruby objects); the lock is never contended.
//!
//! Depends on nothing else in the extension.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use rb_sys::VALUE;

/// How many keys are kept.
const CAPACITY: usize = 512;
/// Longer keys are not kept (contract keys are short; long ones are a caller's data).
const MAX_KEY_BYTES: usize = 48;

/// FNV-1a: keys are short, and a collision only costs a comparison in a bounded table.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

type Cache = HashMap<Box<str>, VALUE, BuildHasherDefault<Fnv>>;

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

fn intern(text: &str) -> VALUE {
    // SAFETY: valid UTF-8; answers a frozen String (Ruby's own table deduplicates it).
    unsafe {
        rb_sys::rb_enc_interned_str(
            text.as_ptr().cast(),
            text.len() as _,
            rb_sys::rb_utf8_encoding(),
        )
    }
}

/// The frozen, deduplicated UTF-8 String `text`, as Ruby's Hash keys are.
///
/// A key that is not kept lives as long as something refers to it: the caller stores it (or
/// holds it in a local) before anything else is allocated, as for any fresh object.
pub fn key(text: &str) -> VALUE {
    if text.len() > MAX_KEY_BYTES {
        return intern(text);
    }
    let mut guard = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cache = guard.get_or_insert_with(Cache::default);
    if let Some(&value) = cache.get(text) {
        return value;
    }
    let value = intern(text);
    if cache.len() < CAPACITY {
        // SAFETY: a live String, kept alive (and unmoved) from now on.
        unsafe { rb_sys::rb_gc_register_mark_object(value) };
        cache.insert(text.into(), value);
    }
    value
}

/// The frozen, deduplicated String `text`, kept for the life of the process whatever the
/// cache holds: for the extension's own constant keys, interned once when it loads.
pub fn permanent(text: &str) -> VALUE {
    let value = intern(text);
    // SAFETY: a live String, kept alive (and unmoved) from now on.
    unsafe { rb_sys::rb_gc_register_mark_object(value) };
    value
}
