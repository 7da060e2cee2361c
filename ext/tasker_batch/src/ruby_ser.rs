//! A serde `Serializer` that builds Ruby objects, so that a per-step operation's typed output
//! becomes Ruby objects without being written as JSON text and read back.
//!
//! It builds exactly what `write::from_json` builds from the output's JSON text (serde_json's
//! form of the same `Serialize` impl): Hashes with frozen, deduplicated String keys, Arrays,
//! UTF-8 Strings, Integers of any size, Floats (`nil` for a non-finite one, as serde_json
//! writes `null`), true, false, nil. A value the core keeps as raw JSON (serde_json's
//! raw-value protocol) is its text read by `write::from_json`.
//!
//! Depends on `write` and `interned`.
//!
//! SAFETY (for the whole module): every Ruby object built is either stored into its parent
//! right away or held in a local of a frame that is still running (Ruby's GC scans the machine
//! stack conservatively, and pins what it finds there); nothing is kept in a heap buffer that
//! the GC cannot see. The objects are fresh and unfrozen, so the raw C calls cannot raise.

use std::fmt;

use magnus::rb_sys::FromRawValue;
use magnus::Value;
use rb_sys::VALUE;
use serde::ser::{self, Serialize};

use crate::refuse::refuse;
use crate::write;

/// serde_json's name for the struct a `RawValue` serializes as (the same token it
/// deserializes through), defined once by the core.
pub(crate) use tasker_batch::input::RAW_VALUE_TOKEN;

/// Builds the Ruby form of `value`.
pub fn to_ruby<T: Serialize + ?Sized>(value: &T) -> Result<Value, SerError> {
    // SAFETY: see the module documentation; the root is returned to the caller, which hands
    // it to Ruby.
    value
        .serialize(RubySerializer)
        .map(|raw| unsafe { Value::from_raw(raw) })
}

/// Builds the Ruby form of `value` as a raw `VALUE`, for a builder in this crate that stores
/// it into its parent right away (`members`).
pub(crate) fn to_raw<T: Serialize + ?Sized>(value: &T) -> Result<VALUE, SerError> {
    value.serialize(RubySerializer)
}

/// Why an output could not be built (only for shapes JSON cannot hold, which no operation
/// writes).
#[derive(Debug)]
pub struct SerError(String);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

fn string(text: &str) -> VALUE {
    // SAFETY: a fresh String from valid UTF-8.
    unsafe { rb_sys::rb_utf8_str_new(text.as_ptr().cast(), text.len() as _) }
}

fn key_string(text: &str) -> VALUE {
    // As `write::from_json` does for object keys: a frozen, deduplicated String.
    crate::interned::key(text)
}

fn big_integer(digits: &str) -> VALUE {
    let digits = std::ffi::CString::new(digits).expect("digits have no NUL");
    // SAFETY: a valid decimal literal.
    unsafe { rb_sys::rb_cstr2inum(digits.as_ptr(), 10) }
}

struct RubySerializer;

impl ser::Serializer for RubySerializer {
    type Ok = VALUE;
    type Error = SerError;
    type SerializeSeq = ArrayBuilder;
    type SerializeTuple = ArrayBuilder;
    type SerializeTupleStruct = ArrayBuilder;
    type SerializeTupleVariant = ser::Impossible<VALUE, SerError>;
    type SerializeMap = HashBuilder;
    type SerializeStruct = StructBuilder;
    type SerializeStructVariant = ser::Impossible<VALUE, SerError>;

    fn serialize_bool(self, v: bool) -> Result<VALUE, SerError> {
        Ok(if v {
            rb_sys::Qtrue as VALUE
        } else {
            rb_sys::Qfalse as VALUE
        })
    }
    fn serialize_i8(self, v: i8) -> Result<VALUE, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<VALUE, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<VALUE, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<VALUE, SerError> {
        // SAFETY: plain conversion.
        Ok(unsafe { rb_sys::rb_ll2inum(v) })
    }
    fn serialize_i128(self, v: i128) -> Result<VALUE, SerError> {
        match i64::try_from(v) {
            Ok(small) => self.serialize_i64(small),
            Err(_) => Ok(big_integer(&v.to_string())),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<VALUE, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<VALUE, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<VALUE, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<VALUE, SerError> {
        // SAFETY: plain conversion.
        Ok(unsafe { rb_sys::rb_ull2inum(v) })
    }
    fn serialize_u128(self, v: u128) -> Result<VALUE, SerError> {
        match u64::try_from(v) {
            Ok(small) => self.serialize_u64(small),
            Err(_) => Ok(big_integer(&v.to_string())),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<VALUE, SerError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<VALUE, SerError> {
        if !v.is_finite() {
            // serde_json writes a non-finite float as null.
            return self.serialize_unit();
        }
        // SAFETY: plain conversion.
        Ok(unsafe { rb_sys::rb_float_new(v) })
    }
    fn serialize_char(self, v: char) -> Result<VALUE, SerError> {
        Ok(string(v.encode_utf8(&mut [0; 4])))
    }
    fn serialize_str(self, v: &str) -> Result<VALUE, SerError> {
        Ok(string(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<VALUE, SerError> {
        // serde_json writes bytes as an array of numbers.
        let mut seq = ArrayBuilder::new(v.len());
        for byte in v {
            ser::SerializeSeq::serialize_element(&mut seq, byte)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<VALUE, SerError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<VALUE, SerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<VALUE, SerError> {
        Ok(rb_sys::Qnil as VALUE)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<VALUE, SerError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<VALUE, SerError> {
        Ok(string(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<VALUE, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<VALUE, SerError> {
        // serde_json: {"variant": value}.
        let mut map = HashBuilder::new();
        ser::SerializeMap::serialize_entry(&mut map, variant, value)?;
        ser::SerializeMap::end(map)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ArrayBuilder, SerError> {
        Ok(ArrayBuilder::new(len.unwrap_or(0)))
    }
    fn serialize_tuple(self, len: usize) -> Result<ArrayBuilder, SerError> {
        Ok(ArrayBuilder::new(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ArrayBuilder, SerError> {
        Ok(ArrayBuilder::new(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(SerError(format!(
            "internal error: {name}::{variant} (a tuple variant) has no Ruby form here"
        )))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<HashBuilder, SerError> {
        Ok(HashBuilder::new())
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<StructBuilder, SerError> {
        Ok(if name == RAW_VALUE_TOKEN {
            StructBuilder::Raw(None)
        } else {
            StructBuilder::Hash(HashBuilder::new())
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(SerError(format!(
            "internal error: {name}::{variant} (a struct variant) has no Ruby form here"
        )))
    }
}

struct ArrayBuilder {
    array: VALUE,
}

impl ArrayBuilder {
    fn new(capacity: usize) -> Self {
        // SAFETY: a fresh Array.
        ArrayBuilder {
            array: unsafe { rb_sys::rb_ary_new_capa(capacity as _) },
        }
    }
}

impl ser::SerializeSeq for ArrayBuilder {
    type Ok = VALUE;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let item = value.serialize(RubySerializer)?;
        // SAFETY: a fresh Array; `item` is stored before anything else is allocated.
        unsafe { rb_sys::rb_ary_push(self.array, item) };
        Ok(())
    }
    fn end(self) -> Result<VALUE, SerError> {
        Ok(self.array)
    }
}

impl ser::SerializeTuple for ArrayBuilder {
    type Ok = VALUE;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<VALUE, SerError> {
        Ok(self.array)
    }
}

impl ser::SerializeTupleStruct for ArrayBuilder {
    type Ok = VALUE;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<VALUE, SerError> {
        Ok(self.array)
    }
}

struct HashBuilder {
    hash: VALUE,
    /// The key written by `serialize_key`, waiting for its value.
    key: VALUE,
}

impl HashBuilder {
    fn new() -> Self {
        // SAFETY: a fresh Hash.
        HashBuilder {
            hash: unsafe { rb_sys::rb_hash_new() },
            key: rb_sys::Qnil as VALUE,
        }
    }

    fn insert(&mut self, key: VALUE, value: VALUE) {
        // SAFETY: a fresh Hash; String keys are frozen already, so `rb_hash_aset` does not
        // copy them.
        unsafe { rb_sys::rb_hash_aset(self.hash, key, value) };
    }
}

impl ser::SerializeMap for HashBuilder {
    type Ok = VALUE;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = key.serialize(KeySerializer)?;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self.key;
        let value = value.serialize(RubySerializer)?;
        self.insert(key, value);
        self.key = rb_sys::Qnil as VALUE;
        Ok(())
    }
    fn end(self) -> Result<VALUE, SerError> {
        Ok(self.hash)
    }
}

enum StructBuilder {
    Hash(HashBuilder),
    /// A `RawValue`: its JSON text, once its one field was written.
    Raw(Option<VALUE>),
}

impl ser::SerializeStruct for StructBuilder {
    type Ok = VALUE;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        match self {
            StructBuilder::Hash(hash) => {
                let key = key_string(key);
                let value = value.serialize(RubySerializer)?;
                hash.insert(key, value);
            }
            StructBuilder::Raw(slot) => *slot = Some(value.serialize(RawTextSerializer)?),
        }
        Ok(())
    }
    fn end(self) -> Result<VALUE, SerError> {
        match self {
            StructBuilder::Hash(hash) => Ok(hash.hash),
            StructBuilder::Raw(value) => {
                value.ok_or_else(|| SerError("internal error: a raw value without text".into()))
            }
        }
    }
}

/// Map keys: JSON object keys are strings.
struct KeySerializer;

/// The text of a raw value, read as JSON into Ruby objects.
struct RawTextSerializer;

/// The associated types and refusals of a serializer that takes only a string (and a newtype
/// around one); the impl adds `serialize_str`.
macro_rules! only_strings {
    ($what:literal) => {
        type Ok = VALUE;
        type Error = SerError;
        type SerializeSeq = ser::Impossible<VALUE, SerError>;
        type SerializeTuple = ser::Impossible<VALUE, SerError>;
        type SerializeTupleStruct = ser::Impossible<VALUE, SerError>;
        type SerializeTupleVariant = ser::Impossible<VALUE, SerError>;
        type SerializeMap = ser::Impossible<VALUE, SerError>;
        type SerializeStruct = ser::Impossible<VALUE, SerError>;
        type SerializeStructVariant = ser::Impossible<VALUE, SerError>;

        refuse!(not_a_string($what) =>
            bool, i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, f32, f64, char, bytes, none,
            some, unit, unit_struct, unit_variant, newtype_variant, seq, tuple, tuple_struct,
            tuple_variant, map, struct_, struct_variant);

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &T,
        ) -> Result<VALUE, SerError> {
            value.serialize(self)
        }
    };
}

pub(crate) fn not_a_string(what: &str) -> SerError {
    SerError(format!("internal error: {what} must be a string"))
}

impl ser::Serializer for KeySerializer {
    only_strings!("an object key");
    fn serialize_str(self, v: &str) -> Result<VALUE, SerError> {
        Ok(key_string(v))
    }
}

impl ser::Serializer for RawTextSerializer {
    only_strings!("a raw value");
    fn serialize_str(self, v: &str) -> Result<VALUE, SerError> {
        Ok(write::from_json_raw(v))
    }
}
