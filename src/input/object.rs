//! Reading JSON objects: the one keyed-map loop of the hand-written readers, the caller keys it
//! keeps ([`Extra`]), and [`ObjectOnly`], which makes a derived reader accept objects only.
//!
//! A reader is derived (`#[derive(Deserialize)]`, usually with `deny_unknown_fields`) unless it
//! must keep the caller's keys in order with their exact text (the lossless wire types) or see
//! keys in order; those hand-written readers all go through [`read_object`]: each key read
//! once, a key seen twice an error, the keys the reader does not name kept, skipped or
//! rejected.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::raw::RawJson;
use super::serde_coupling::coded_at;
use crate::error::ErrorCode;

/// What a hand-written reader does with the keys it does not name.
pub(crate) enum OtherKeys<'a> {
    /// Keep them, in order, with their exact text (a key seen twice is an error).
    Keep(&'a mut Extra),
    /// Keep these, skip the others unread.
    KeepOnly(&'a mut Extra, &'static [&'static str]),
    /// Reject them, naming the accepted keys (readers whose keys must be seen in order; a
    /// derive with `deny_unknown_fields` says the same for the others).
    #[allow(dead_code)]
    // for the step-result and aggregation readers, which move onto this loop
    Reject(&'static [&'static str]),
}

/// The keyed-map loop, written once. For each key, `known(key, map)` reads the value of a key
/// the reader names (storing it with [`set_once`], which rejects a second occurrence) and
/// returns `true`, or returns `false` without reading, and `other` decides.
pub(crate) fn read_object<'de, A: MapAccess<'de>>(
    map: &mut A,
    mut other: OtherKeys<'_>,
    mut known: impl FnMut(&str, &mut A) -> Result<bool, A::Error>,
) -> Result<(), A::Error> {
    let mut seen = SeenKeys::default();
    while let Some(Key(key)) = map.next_key::<Key>()? {
        if known(&key, map)? {
            continue;
        }
        let keep = match &mut other {
            OtherKeys::Keep(extra) => Some(extra),
            OtherKeys::KeepOnly(extra, keys) if keys.contains(&&*key) => Some(extra),
            OtherKeys::KeepOnly(..) => None,
            OtherKeys::Reject(accepted) => return Err(unknown_key(&key, accepted)),
        };
        match keep {
            Some(extra) => {
                if seen.contains_or_add(extra, &key) {
                    return Err(duplicate_key(&key));
                }
                let value: RawJson = map.next_value()?;
                extra.0.push((key.into_owned(), value));
            }
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

/// The duplicate check of kept keys: a scan of the few keys most objects have, a set of key
/// hashes once there are many, so that an object of N keys costs O(N), not O(N²).
#[derive(Default)]
struct SeenKeys {
    hashes: Option<(RandomState, HashSet<u64>)>,
}

impl SeenKeys {
    /// Up to this many kept keys, a scan is cheaper than hashing.
    const SCAN_LIMIT: usize = 16;

    /// Whether `key` is already in `extra`; if not, it is counted as seen (the caller adds it).
    fn contains_or_add(&mut self, extra: &Extra, key: &str) -> bool {
        let scan = |extra: &Extra| extra.0.iter().any(|(k, _)| k == key);
        if self.hashes.is_none() {
            if extra.0.len() < Self::SCAN_LIMIT {
                return scan(extra);
            }
            let state = RandomState::new();
            let set = extra.0.iter().map(|(k, _)| state.hash_one(k)).collect();
            self.hashes = Some((state, set));
        }
        let (state, set) = self.hashes.as_mut().expect("built above");
        // A new hash is a new key; a hash seen before is confirmed by a scan (a collision of
        // two keys under a random 64-bit hash is rare, and a caller cannot aim for one).
        !set.insert(state.hash_one(key)) && scan(extra)
    }
}

/// Stores a value read for `key`, failing when the key was already seen.
pub(crate) fn set_once<T, E: de::Error>(
    slot: &mut Option<T>,
    key: &str,
    value: T,
) -> Result<(), E> {
    if slot.is_some() {
        return Err(duplicate_key(key));
    }
    *slot = Some(value);
    Ok(())
}

/// The error for a required key that is absent.
pub(crate) fn missing<E: de::Error>(key: &str) -> E {
    coded_at(
        ErrorCode::MissingField,
        key,
        format_args!("expected the key `{key}`, found no such key"),
    )
}

/// The error for a key an object does not accept, naming the accepted ones.
pub(crate) fn unknown_key<E: de::Error>(key: &str, accepted: &[&str]) -> E {
    coded_at(
        ErrorCode::InvalidValue,
        key,
        format_args!(
            "expected one of the keys {}, found `{key}`",
            accepted.join(", ")
        ),
    )
}

/// The error for a key that appears twice in one object.
pub(crate) fn duplicate_key<E: de::Error>(key: &str) -> E {
    coded_at(
        ErrorCode::InvalidValue,
        key,
        format!("expected each key once, found `{key}` twice"),
    )
}

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Keys of an object that the contract does not name, kept in their order with their exact
/// JSON text so that nothing a caller sends is dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extra(pub Vec<(String, RawJson)>);

impl Extra {
    /// Whether there are no extra keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&RawJson> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Writes each extra key into a map being serialized.
    pub fn serialize_into<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        Ok(())
    }

    /// Sets `key`, replacing its value in place or appending it.
    pub fn set(&mut self, key: &str, value: RawJson) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    /// Keeps only the keys for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.0.retain(|(k, _)| keep(k));
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        self.serialize_into(&mut map)?;
        map.end()
    }
}

/// Reads any JSON object, keeping every key in order with its exact text. Anything other
/// than an object is a `type_mismatch`.
impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Extra;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Extra, A::Error> {
                let mut out = Extra::default();
                read_object(&mut map, OtherKeys::Keep(&mut out), |_, _| Ok(false))?;
                Ok(out)
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Wraps a deserializer so that a derived struct reader accepts a JSON object and nothing
/// else: a derive also reads a struct from an array of its fields in order, which the wire
/// types never allow. Use with `#[serde(remote = "Self")]` on the derive:
///
/// ```ignore
/// impl<'de> Deserialize<'de> for Request {
///     fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         Request::deserialize(ObjectOnly(d))
///     }
/// }
/// ```
pub(crate) struct ObjectOnly<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(MapOnly(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(MapOnly(visitor))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// A visitor that accepts a map only; anything else is `invalid type`, in the words of the
/// wrapped visitor's `expecting`.
struct MapOnly<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for MapOnly<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for MapOnly<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::from_json;

    #[test]
    fn kept_keys_keep_their_order_and_a_second_occurrence_is_an_error() {
        let extra: Extra = from_json(r#"{"z":1,"a":[1, 2],"m":{"k":"v"}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&extra).unwrap(),
            r#"{"z":1,"a":[1,2],"m":{"k":"v"}}"#
        );
        let err = from_json::<Extra>(r#"{"z":1,"a":2,"z":3}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "z")
        );
    }

    #[test]
    fn the_duplicate_check_holds_past_the_scan_limit() {
        let keys: Vec<String> = (0..100).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let text = format!("{{{}}}", keys.join(","));
        let extra: Extra = from_json(&text).unwrap();
        assert_eq!(extra.0.len(), 100);
        for repeated in [0, 15, 16, 17, 99] {
            let text = format!(r#"{{{},"k{repeated}":0}}"#, keys.join(","));
            let err = from_json::<Extra>(&text).unwrap_err();
            assert_eq!(
                (err.code, err.path),
                (ErrorCode::InvalidValue, format!("k{repeated}"))
            );
        }
    }

    #[test]
    fn rejected_keys_name_the_accepted_ones() {
        #[derive(Debug)]
        struct Named;
        impl<'de> Deserialize<'de> for Named {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Named;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("an object {a}")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Named, A::Error> {
                        let mut a: Option<u8> = None;
                        read_object(&mut map, OtherKeys::Reject(&["a"]), |key, map| {
                            match key {
                                "a" => set_once(&mut a, key, map.next_value()?)?,
                                _ => return Ok(false),
                            }
                            Ok(true)
                        })?;
                        a.ok_or_else(|| missing("a")).map(|_| Named)
                    }
                }
                d.deserialize_map(V)
            }
        }
        assert!(from_json::<Named>(r#"{"a":1}"#).is_ok());
        let err = from_json::<Named>(r#"{"a":1,"b":2}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "b")
        );
        assert_eq!(err.message, "expected one of the keys a, found `b`");
        let err = from_json::<Named>(r#"{"a":1,"a":2}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::InvalidValue, "a")
        );
        let err = from_json::<Named>(r#"{}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MissingField, "a")
        );
    }

    #[test]
    fn object_only_refuses_what_a_derive_would_read_from_an_array() {
        #[derive(Debug, Deserialize)]
        #[serde(remote = "Self", expecting = "a pair {a, b}")]
        #[allow(dead_code)]
        struct Pair {
            a: u8,
            b: u8,
        }
        impl<'de> Deserialize<'de> for Pair {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Pair::deserialize(ObjectOnly(d))
            }
        }
        assert!(from_json::<Pair>(r#"{"a":1,"b":2}"#).is_ok());
        let err = from_json::<Pair>("[1, 2]").unwrap_err();
        assert_eq!(err.code, ErrorCode::TypeMismatch);
        assert!(
            err.message.contains("expected a pair {a, b}"),
            "{}",
            err.message
        );
    }
}
