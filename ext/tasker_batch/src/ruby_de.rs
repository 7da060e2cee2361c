//! A serde `Deserializer` over Ruby objects, so that the core's typed operations read Ruby
//! Hashes and Arrays in place: no JSON text is written for the input, nothing is copied that
//! the operation does not keep.
//!
//! It accepts exactly what `read::to_json` accepts (JSON-shaped values; String or Symbol
//! keys) and is lossless: where the core keeps a value exactly (serde_json's raw-value
//! protocol, see `deserialize_newtype_struct`), the Ruby value is written as JSON text.
//!
//! Strings are lent to the core without copying. That is sound because nothing moves or frees
//! them while an input is read: no Ruby code runs, and the caller keeps the garbage collector
//! off for the duration (`raw::with_gc_disabled`), so no collection — compacting or not — can happen
//! either.
//!
//! Depends on `raw`, `document` and `read` (for values the core keeps as raw JSON).

use std::fmt;
use std::os::raw::c_long;

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::value::ReprValue;
use magnus::{Float, Integer, RArray, RHash, RString, Ruby, Symbol, Value};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use tasker_batch::input::{coded, RAW_VALUE_TOKEN};
use tasker_batch::{ErrorCode, MAX_NESTING};

use crate::document::Document;
use crate::raw::{bignum_digits, text_of, Entries};
use crate::read;
use magnus::TryConvert;

/// Whether `value` nests Hashes and Arrays deeper than `limit` (a self-referencing one never
/// ends). The text path reports too-deep input as such even when a type error comes first;
/// this lets the Ruby path do the same.
pub fn nests_deeper_than(value: Value, limit: usize) -> bool {
    fn depth_exceeds(value: Value, remaining: usize) -> bool {
        if let Some(hash) = RHash::from_value(value) {
            if remaining == 0 {
                return true;
            }
            let mut deeper = false;
            let _ = hash.foreach(|_: Value, v: Value| {
                deeper = depth_exceeds(v, remaining - 1);
                Ok(if deeper {
                    magnus::r_hash::ForEach::Stop
                } else {
                    magnus::r_hash::ForEach::Continue
                })
            });
            deeper
        } else if let Some(array) = RArray::from_value(value) {
            if remaining == 0 {
                return true;
            }
            (0..array.len()).any(|i| {
                array
                    .entry::<Value>(i as isize)
                    .is_ok_and(|item| depth_exceeds(item, remaining - 1))
            })
        } else {
            false
        }
    }
    depth_exceeds(value, limit)
}

/// An error while reading Ruby objects; the message may carry a core error code.
#[derive(Debug)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }

    /// In JSON's words, like serde_json: nil is `null`, not serde's "unit value".
    fn invalid_type(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        match unexpected {
            de::Unexpected::Unit => DeError(format!("invalid type: null, expected {expected}")),
            other => DeError(format!("invalid type: {other}, expected {expected}")),
        }
    }
}

/// A deserializer for one Ruby value.
pub struct RubyDeserializer<'r> {
    ruby: &'r Ruby,
    value: Value,
    depth: usize,
    /// Values read so far, shared by the whole tree: how large the input was.
    count: &'r std::cell::Cell<usize>,
}

impl<'r> RubyDeserializer<'r> {
    /// Reads `value`, counting the values read into `count`. Call inside [`crate::raw::with_gc_disabled`].
    pub fn new(ruby: &'r Ruby, value: Value, count: &'r std::cell::Cell<usize>) -> Self {
        RubyDeserializer {
            ruby,
            value,
            depth: 0,
            count,
        }
    }

    /// Reads `value` found `depth` levels into the input (a part of a step read as a map
    /// by `step_parts`).
    pub fn at_depth(
        ruby: &'r Ruby,
        value: Value,
        depth: usize,
        count: &'r std::cell::Cell<usize>,
    ) -> Self {
        RubyDeserializer {
            ruby,
            value,
            depth,
            count,
        }
    }

    fn child(&self, value: Value) -> Self {
        RubyDeserializer {
            ruby: self.ruby,
            value,
            depth: self.depth + 1,
            count: self.count,
        }
    }

    /// The same position in the input, another Ruby value (an object's native form).
    fn child_same_depth(&self, value: Value) -> Self {
        RubyDeserializer {
            ruby: self.ruby,
            value,
            depth: self.depth,
            count: self.count,
        }
    }

    fn is(&self, constant: rb_sys::ruby_special_consts) -> bool {
        self.value.as_raw() == constant as rb_sys::VALUE
    }
}

fn type_mismatch(value: Value) -> DeError {
    // SAFETY: reading a class name runs no Ruby code.
    let class = unsafe { value.classname() }.into_owned();
    coded(
        ErrorCode::TypeMismatch,
        format_args!(
            "expected a JSON value (Hash, Array, String, Symbol, Integer, Float, true, false or nil), found {class}"
        ),
    )
}

/// A string's text as UTF-8, or the `invalid_encoding` error it is ([`text_of`]).
///
/// SAFETY: as [`text_of`].
unsafe fn text<'de>(s: RString) -> Result<&'de str, DeError> {
    text_of(s).map_err(|message| coded(ErrorCode::InvalidEncoding, message))
}

impl<'de> de::Deserializer<'de> for RubyDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.depth > MAX_NESTING {
            return Err(coded(
                ErrorCode::NestingTooDeep,
                tasker_batch::input::too_deep_message(),
            ));
        }
        let value = self.value;
        self.count.set(self.count.get() + 1);
        if value.is_nil() {
            return visitor.visit_unit();
        }
        if self.is(rb_sys::Qtrue) {
            return visitor.visit_bool(true);
        }
        if self.is(rb_sys::Qfalse) {
            return visitor.visit_bool(false);
        }
        if let Some(s) = RString::from_value(value) {
            // SAFETY: see the module documentation.
            let text = unsafe { text::<'de>(s) }?;
            return visitor.visit_borrowed_str(text);
        }
        if let Some(hash) = RHash::from_value(value) {
            return visitor.visit_map(HashAccess::new(&self, hash)?);
        }
        if let Some(array) = RArray::from_value(value) {
            return visitor.visit_seq(ArrayAccess {
                parent: &self,
                array,
                next: 0,
            });
        }
        if let Some(int) = Integer::from_value(value) {
            if let Ok(n) = int.to_i64() {
                return visitor.visit_i64(n);
            }
            // What serde_json does with the same number in JSON text, so that every reader in
            // the core answers both Ruby paths alike: up to 2^64 - 1 a u64, beyond it (64, 128
            // bits or more) an f64, its exact digits noted for the message. Values the contract
            // keeps exactly (cursors, caller data) are read as raw JSON and keep every digit.
            let digits = bignum_digits(int);
            if let Ok(n) = digits.parse::<u64>() {
                return visitor.visit_u64(n);
            }
            return match tasker_batch::input::note_lossy_integer(&digits) {
                Some(value) => visitor.visit_f64(value),
                // serde_json refuses such text as a number out of range.
                None => Err(coded(
                    ErrorCode::OutOfRange,
                    format_args!(
                        "expected a number within the range of a 64-bit float, found {digits}"
                    ),
                )),
            };
        }
        if let Some(float) = Float::from_value(value) {
            let f = float.to_f64();
            if !f.is_finite() {
                return Err(coded(
                    ErrorCode::OutOfRange,
                    format_args!("expected a finite number, found {f}"),
                ));
            }
            return visitor.visit_f64(f);
        }
        if let Some(symbol) = Symbol::from_value(value) {
            let name = symbol
                .name()
                .map_err(|e| DeError(format!("internal error reading a Symbol: {e}")))?;
            return visitor.visit_str(&name);
        }
        if let Ok(document) = <&Document>::try_convert(value) {
            // An output of an earlier call, still JSON text: read it as JSON.
            // SAFETY: the Document is reachable from the input and is not freed or changed
            // during the read (see the module documentation).
            let text = document.text().map_err(|message| {
                coded::<DeError>(
                    ErrorCode::Internal,
                    format_args!("internal error: {message}"),
                )
            })?;
            let text: &'de str = unsafe { &*(text as *const str) };
            return serde_json::Deserializer::from_str(text)
                .deserialize_any(visitor)
                .map_err(|e| DeError(e.to_string()));
        }
        if let Some(native) = read::native_form(value) {
            return self.child_same_depth(native).deserialize_any(visitor);
        }
        Err(type_mismatch(value))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.value.is_nil() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == RAW_VALUE_TOKEN {
            // The core keeps this value exactly: hand over its JSON text the way serde_json's
            // own deserializer does, as a one-entry map {TOKEN: text}.
            let text = read::to_json(self.ruby, self.value).map_err(|e| {
                let path = e.path();
                // The nesting limit is said alike on both Ruby paths (the JSON text path knows
                // no path within a kept value either).
                let within = if path.is_empty() || e.code == ErrorCode::NestingTooDeep {
                    String::new()
                } else {
                    format!(" (at {path} within this value)")
                };
                coded::<DeError>(e.code, format_args!("{}{within}", e.message))
            })?;
            return visitor.visit_map(RawValueAccess { text: Some(text) });
        }
        visitor.visit_newtype_struct(self)
    }

    /// A value the operation ignores is not looked at (a step's large results, say).
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier
    }
}

/// The entries of a Hash, collected without calling back into Ruby code.
struct HashAccess<'a, 'r> {
    parent: &'a RubyDeserializer<'r>,
    entries: Entries,
    next: usize,
}

impl<'a, 'r> HashAccess<'a, 'r> {
    fn new(parent: &'a RubyDeserializer<'r>, hash: RHash) -> Result<Self, DeError> {
        Ok(HashAccess {
            parent,
            entries: Entries::of(hash),
            next: 0,
        })
    }
}

impl<'de> MapAccess<'de> for HashAccess<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, _)) = self.entries.get(self.next) else {
            return Ok(None);
        };
        if let Some(s) = RString::from_value(key) {
            // SAFETY: see the module documentation.
            let text = unsafe { text::<'de>(s) }?;
            return seed
                .deserialize(de::value::BorrowedStrDeserializer::new(text))
                .map(Some);
        }
        if let Some(symbol) = Symbol::from_value(key) {
            let name = symbol
                .name()
                .map_err(|e| DeError(format!("internal error reading a Symbol: {e}")))?;
            return seed
                .deserialize(name.into_owned().into_deserializer())
                .map(Some);
        }
        // SAFETY: reading a class name runs no Ruby code.
        let class = unsafe { key.classname() }.into_owned();
        Err(coded(
            ErrorCode::TypeMismatch,
            format_args!("expected String or Symbol keys, found a {class} key"),
        ))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (_, value) = self.entries.get(self.next).ok_or_else(|| {
            <DeError as de::Error>::custom("internal error: a value without a key")
        })?;
        self.next += 1;
        seed.deserialize(self.parent.child(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

struct ArrayAccess<'a, 'r> {
    parent: &'a RubyDeserializer<'r>,
    array: RArray,
    next: usize,
}

impl<'de> SeqAccess<'de> for ArrayAccess<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.next >= self.array.len() {
            return Ok(None);
        }
        // SAFETY: the index is in bounds and `rb_ary_entry` runs no Ruby code.
        let item = unsafe {
            Value::from_raw(rb_sys::rb_ary_entry(
                self.array.as_raw(),
                self.next as c_long,
            ))
        };
        self.next += 1;
        seed.deserialize(self.parent.child(item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.array.len() - self.next)
    }
}

/// The one-entry map serde_json's raw-value protocol expects.
struct RawValueAccess {
    text: Option<String>,
}

impl<'de> MapAccess<'de> for RawValueAccess {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.text.is_none() {
            return Ok(None);
        }
        seed.deserialize(de::value::BorrowedStrDeserializer::new(RAW_VALUE_TOKEN))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        // serde asks for a map's key before its value; a deserializer that did not would be a
        // bug, answered as one rather than as a panic.
        let Some(text) = self.text.take() else {
            return Err(coded(
                ErrorCode::Internal,
                "a raw value was asked for before its key",
            ));
        };
        seed.deserialize(text.into_deserializer())
    }
}
