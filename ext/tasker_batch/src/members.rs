//! The chosen members of a typed output, as Ruby objects (`Native.call_members`): a serde
//! `Serializer` over the output's top-level object that builds only the members asked for
//! (through `ruby_ser`) and skips the others without building them.
//!
//! Depends on `ruby_ser`. The module documentation there states the GC invariant; it holds
//! here too (the Array is a local of the running frame, and each value is stored at once).

use magnus::rb_sys::FromRawValue;
use magnus::Value;
use rb_sys::VALUE;
use serde::ser::{self, Serialize};

use crate::refuse::refuse;
use crate::ruby_ser::{self, not_a_string, SerError, RAW_VALUE_TOKEN};

/// Member names to pick out of an output object, copied out of Ruby once per call.
pub struct Members {
    names: String,
    ends: Vec<usize>,
}

impl Members {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut members = Members {
            names: String::new(),
            ends: Vec::new(),
        };
        for name in names {
            members.names.push_str(name);
            members.ends.push(members.names.len());
        }
        members
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    fn position(&self, name: &str) -> Option<usize> {
        let mut start = 0;
        for (i, &end) in self.ends.iter().enumerate() {
            if &self.names[start..end] == name {
                return Some(i);
            }
            start = end;
        }
        None
    }
}

/// The Ruby forms of the members `members` of the object `value` serializes as, in that
/// order, as an Array (`nil` for an absent one): what a caller reads, without building the
/// members it does not.
pub fn members_to_ruby<T: Serialize + ?Sized>(
    value: &T,
    members: &Members,
) -> Result<Value, SerError> {
    // SAFETY: see the module documentation.
    value
        .serialize(MembersSerializer(members))
        .map(|raw| unsafe { Value::from_raw(raw) })
}

struct MembersSerializer<'m>(&'m Members);

struct MembersBuilder<'m> {
    members: &'m Members,
    array: VALUE,
    /// Where the value of the key just written goes (`None`: not a chosen member).
    slot: Option<usize>,
}

impl<'m> MembersBuilder<'m> {
    fn new(members: &'m Members) -> Self {
        // SAFETY: a fresh Array, filled with nil.
        let array = unsafe {
            let array = rb_sys::rb_ary_new_capa(members.len() as _);
            for _ in 0..members.len() {
                rb_sys::rb_ary_push(array, rb_sys::Qnil as VALUE);
            }
            array
        };
        MembersBuilder {
            members,
            array,
            slot: None,
        }
    }

    fn store<T: Serialize + ?Sized>(&mut self, slot: usize, value: &T) -> Result<(), SerError> {
        let item = ruby_ser::to_raw(value)?;
        // SAFETY: `slot` is within the Array, which holds `members.len()` entries.
        unsafe { rb_sys::rb_ary_store(self.array, slot as _, item) };
        Ok(())
    }
}

fn not_an_object() -> SerError {
    <SerError as ser::Error>::custom("internal error: only an object has members")
}

impl<'m> ser::Serializer for MembersSerializer<'m> {
    type Ok = VALUE;
    type Error = SerError;
    type SerializeSeq = ser::Impossible<VALUE, SerError>;
    type SerializeTuple = ser::Impossible<VALUE, SerError>;
    type SerializeTupleStruct = ser::Impossible<VALUE, SerError>;
    type SerializeTupleVariant = ser::Impossible<VALUE, SerError>;
    type SerializeMap = MembersBuilder<'m>;
    type SerializeStruct = MembersBuilder<'m>;
    type SerializeStructVariant = ser::Impossible<VALUE, SerError>;

    refuse!(not_an_object() =>
        bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, char, str, bytes, none, unit,
        unit_struct, unit_variant, newtype_variant, seq, tuple, tuple_struct, tuple_variant,
        struct_variant);

    fn serialize_map(self, _len: Option<usize>) -> Result<MembersBuilder<'m>, SerError> {
        Ok(MembersBuilder::new(self.0))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<MembersBuilder<'m>, SerError> {
        if name == RAW_VALUE_TOKEN {
            return Err(not_an_object());
        }
        Ok(MembersBuilder::new(self.0))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<VALUE, SerError> {
        value.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<VALUE, SerError> {
        value.serialize(self)
    }
}

impl ser::SerializeMap for MembersBuilder<'_> {
    type Ok = VALUE;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.slot = key.serialize(KeyPosition(self.members))?;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        if let Some(slot) = self.slot.take() {
            self.store(slot, value)?;
        }
        Ok(())
    }
    fn end(self) -> Result<VALUE, SerError> {
        Ok(self.array)
    }
}

impl ser::SerializeStruct for MembersBuilder<'_> {
    type Ok = VALUE;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        if let Some(slot) = self.members.position(key) {
            self.store(slot, value)?;
        }
        Ok(())
    }
    fn end(self) -> Result<VALUE, SerError> {
        Ok(self.array)
    }
}

/// Which chosen member a key names, without building the key.
struct KeyPosition<'m>(&'m Members);

impl ser::Serializer for KeyPosition<'_> {
    type Ok = Option<usize>;
    type Error = SerError;
    type SerializeSeq = ser::Impossible<Option<usize>, SerError>;
    type SerializeTuple = ser::Impossible<Option<usize>, SerError>;
    type SerializeTupleStruct = ser::Impossible<Option<usize>, SerError>;
    type SerializeTupleVariant = ser::Impossible<Option<usize>, SerError>;
    type SerializeMap = ser::Impossible<Option<usize>, SerError>;
    type SerializeStruct = ser::Impossible<Option<usize>, SerError>;
    type SerializeStructVariant = ser::Impossible<Option<usize>, SerError>;

    refuse!(not_a_string("an object key") =>
        bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, char, bytes, none, some, unit,
        unit_struct, newtype_variant, seq, tuple, tuple_struct, tuple_variant, map, struct_,
        struct_variant);

    fn serialize_str(self, v: &str) -> Result<Option<usize>, SerError> {
        Ok(self.0.position(v))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Option<usize>, SerError> {
        value.serialize(self)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<usize>, SerError> {
        Ok(self.0.position(variant))
    }
}
