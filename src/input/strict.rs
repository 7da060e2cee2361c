//! Strict scalars: unsigned integers in a range and non-empty strings. A negative number, a
//! fraction, a string where a number belongs or a value above the maximum is an error naming
//! what was accepted and what was found; nothing is truncated, wrapped or coerced.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::serde_coupling::{coded, LossyNumber};
use crate::error::ErrorCode;

/// Deserializes an integer in `0..=max`.
pub(crate) fn unsigned<'de, D: Deserializer<'de>>(d: D, max: u64) -> Result<u64, D::Error> {
    d.deserialize_any(UnsignedVisitor { max })
}

pub(crate) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    unsigned(d, u32::MAX as u64).map(|v| v as u32)
}

pub(crate) fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    unsigned(d, u64::MAX)
}

struct UnsignedVisitor {
    max: u64,
}

impl UnsignedVisitor {
    fn out_of_range<E: de::Error>(&self, found: impl fmt::Display) -> E {
        coded(
            ErrorCode::OutOfRange,
            format!("expected an integer in 0..={}, found {found}", self.max),
        )
    }
    fn wrong_type<E: de::Error>(&self, found: impl fmt::Display) -> E {
        coded(
            ErrorCode::TypeMismatch,
            format!("expected an integer in 0..={}, found {found}", self.max),
        )
    }
}

impl<'de> Visitor<'de> for UnsignedVisitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer in 0..={}", self.max)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        if v <= self.max {
            Ok(v)
        } else {
            Err(self.out_of_range(v))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        if v < 0 {
            Err(self.out_of_range(v))
        } else {
            self.visit_u64(v as u64)
        }
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<u64, E> {
        u64::try_from(v)
            .map_err(|_| self.out_of_range(v))
            .and_then(|v| self.visit_u64(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<u64, E> {
        u64::try_from(v)
            .map_err(|_| self.out_of_range(v))
            .and_then(|v| self.visit_u64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        // serde_json hands integers beyond 64 bits over as floats: still out of range, and the
        // message shows the input's digits (LossyNumber).
        if v.fract() == 0.0 && v.is_finite() {
            Err(self.out_of_range(LossyNumber(v)))
        } else {
            Err(self.out_of_range(format_args!("the fraction {}", LossyNumber(v))))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        Err(self.wrong_type(format_args!("the string {v:?}")))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<u64, E> {
        Err(self.wrong_type(format_args!("the boolean {v}")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
        Err(self.wrong_type("null"))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<u64, A::Error> {
        Err(self.wrong_type("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<u64, A::Error> {
        Err(self.wrong_type("an object"))
    }
}

/// A string that must not be empty; a number or any other type is an error.
pub(crate) fn non_empty_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    non_empty_str(d).map(Cow::into_owned)
}

/// [`non_empty_string`], borrowed from the input when the input lends it (a value that is only
/// looked at, such as a failure strategy's spelling, then costs no copy).
pub(crate) fn non_empty_str<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a non-empty string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            if v.is_empty() {
                Err(empty())
            } else {
                Ok(Cow::Borrowed(v))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.is_empty() {
                Err(empty())
            } else {
                Ok(Cow::Owned(v.to_owned()))
            }
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            if v.is_empty() {
                Err(empty())
            } else {
                Ok(Cow::Owned(v))
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Err(not_a_string(format_args!("the integer {v}")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Err(not_a_string(format_args!("the integer {v}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(not_a_string(format_args!("the number {}", LossyNumber(v))))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Err(not_a_string(format_args!("the boolean {v}")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(not_a_string("null"))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(not_a_string("an array"))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(not_a_string("an object"))
        }
    }
    fn empty<E: de::Error>() -> E {
        coded(
            ErrorCode::EmptyString,
            "expected a non-empty string, found \"\"",
        )
    }
    fn not_a_string<E: de::Error>(found: impl fmt::Display) -> E {
        coded(
            ErrorCode::TypeMismatch,
            format!("expected a non-empty string, found {found}"),
        )
    }
    d.deserialize_any(V)
}

/// A non-empty string ([`non_empty_string`]) as a type, for `next_value`.
pub(crate) struct NonEmpty(pub String);

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        non_empty_string(d).map(NonEmpty)
    }
}

/// A strict `u32` ([`u32`]) as a type, for `next_value`.
pub(crate) struct U32(pub u32);

impl<'de> Deserialize<'de> for U32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u32(d).map(U32)
    }
}

/// A strict `u64` ([`u64`]) as a type, for `next_value`.
pub(crate) struct U64(pub u64);

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u64(d).map(U64)
    }
}

/// For an optional key of a derived reader: present means a non-empty string (`null` is an
/// error like any other non-string), absent means `None` (with `#[serde(default)]`).
pub(crate) fn present_non_empty<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    non_empty_string(d).map(Some)
}

/// A list of non-empty strings.
pub(crate) fn non_empty_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<NonEmpty>::deserialize(d)?;
    Ok(list.into_iter().map(|NonEmpty(s)| s).collect())
}

/// An optional strict `u64`: `null` or absent (with `#[serde(default)]`) is `None`.
pub(crate) fn optional_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<U64>::deserialize(d)?;
    Ok(value.map(|U64(n)| n))
}
