//! Typed mutations of a conformance vector's input, for the structure-aware target: the fuzzer
//! chooses them through `arbitrary`, each names the value it changes by its preorder position
//! ([`Json::nth_mut`]), and each makes an input an unlucky user or an attacker could send.

use arbitrary::Arbitrary;

use crate::tree::{Json, MAX_DEPTH};

/// One change to the input.
#[derive(Arbitrary, Debug)]
pub enum Mutation {
    /// The value at `at` becomes `with`.
    Replace { at: u16, with: Value },
    /// The object at `at` loses one member.
    DropKey { at: u16, member: u8 },
    /// The object at `at` names one of its keys a second time, right after the first, with
    /// the same value or another.
    DuplicateKey {
        at: u16,
        member: u8,
        with: Option<Value>,
    },
    /// The object at `at` gains a member (a contract key or another), at position `position`.
    InsertKey {
        at: u16,
        position: u8,
        key: Key,
        with: Value,
    },
    /// The value at `at` is nested in `levels` arrays or objects.
    Wrap { at: u16, levels: u8, objects: bool },
    /// The array at `at` repeats one of its elements `times` more times.
    Repeat { at: u16, element: u8, times: u8 },
    /// The array at `at` loses one element.
    RemoveElement { at: u16, element: u8 },
    /// The value at `to` becomes a copy of the value at `from`.
    CopyOver { from: u16, to: u16 },
}

/// A value a mutation writes.
#[derive(Arbitrary, Debug)]
pub enum Value {
    /// An integer of 20 to 275 digits (far beyond u64 and u128).
    BigInt { digits: u8, negative: bool },
    /// An integer at the edge of a range the core uses.
    EdgeInt(EdgeInt),
    /// A small integer.
    SmallInt(i8),
    /// A number with a fraction or an exponent.
    Float(EdgeFloat),
    /// A string holding a lone UTF-16 surrogate (valid JSON, not Unicode text), alone or
    /// after one of the contract's words.
    LoneSurrogate { high: bool, after: Option<u8> },
    /// One of the contract's words (a key, an operation, a strategy...) as a string.
    Word(u8),
    /// A string the contract reads with care: UUIDs, timestamps at the edges, escapes.
    Text(EdgeText),
    /// A long string.
    Long { kilobytes: u8 },
    /// A value of another kind: null, a boolean, an empty array or object, the empty string.
    Kind(Kind),
}

/// Integers at the edges of the ranges the core uses (u32 counts, u64 totals, i64, u128).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum EdgeInt {
    Zero,
    MinusOne,
    U32Max,
    U32MaxPlusOne,
    I64Max,
    I64Min,
    U64Max,
    U64MaxPlusOne,
    I128Min,
    U128Max,
    U128MaxPlusOne,
    NegativeZero,
}

/// Numbers that are not plain integers.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum EdgeFloat {
    Half,
    OnePointZero,
    Exponent,
    Huge,
    Tiny,
    NegativeHuge,
    ManyDigits,
}

/// Strings the contract reads with care.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum EdgeText {
    NilUuid,
    MaxUuid,
    UpperCaseUuid,
    AlmostUuid,
    Timestamp,
    TimestampLatestWithOffset,
    TimestampEarliestWithOffset,
    LeapSecond,
    February30,
    TimestampFraction,
    EscapedNul,
    SurrogatePair,
    NonAscii,
    EscapedSolidus,
}

/// A value of some kind.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Kind {
    Null,
    True,
    False,
    EmptyArray,
    EmptyObject,
    EmptyString,
}

/// A key to insert.
#[derive(Arbitrary, Debug)]
pub enum Key {
    /// One of the contract's words.
    Word(u8),
    /// A contract word spelled with an escape (`"batch_\u0069d"`): the same key to JSON.
    Escaped(u8),
    /// A key the contract does not know.
    Other(u8),
    /// The empty key.
    Empty,
}

/// Limits that keep one input small and quick: the core's own limits are tested by their own
/// tests and benchmarks, not by growing every input without bound.
const MAX_VALUES: usize = 5_000;

/// Applies `mutations` to `tree` in order; `words` are the contract's words (the dictionary).
pub fn apply(tree: &mut Json, mutations: &[Mutation], words: &[String]) {
    for mutation in mutations {
        if tree.size() > MAX_VALUES || tree.depth() > MAX_DEPTH {
            return;
        }
        apply_one(tree, mutation, words);
    }
}

fn apply_one(tree: &mut Json, mutation: &Mutation, words: &[String]) {
    match mutation {
        Mutation::Replace { at, with } => *tree.nth_mut(*at as usize) = value(with, words),
        Mutation::DropKey { at, member } => {
            if let Json::Object(members) = tree.nth_mut(*at as usize) {
                if !members.is_empty() {
                    members.remove(*member as usize % members.len());
                }
            }
        }
        Mutation::DuplicateKey { at, member, with } => {
            if let Json::Object(members) = tree.nth_mut(*at as usize) {
                if !members.is_empty() {
                    let i = *member as usize % members.len();
                    let (key, old) = members[i].clone();
                    let new = with.as_ref().map_or(old, |w| value(w, words));
                    members.insert(i + 1, (key, new));
                }
            }
        }
        Mutation::InsertKey {
            at,
            position,
            key,
            with,
        } => {
            if let Json::Object(members) = tree.nth_mut(*at as usize) {
                let i = *position as usize % (members.len() + 1);
                members.insert(i, (key_text(key, words), value(with, words)));
            }
        }
        Mutation::Wrap {
            at,
            levels,
            objects,
        } => {
            let levels = (*levels as usize).min(MAX_DEPTH.saturating_sub(tree.depth()));
            let target = tree.nth_mut(*at as usize);
            let mut inner = std::mem::replace(target, Json::Null);
            for _ in 0..levels {
                inner = if *objects {
                    Json::Object(vec![("v".to_owned(), inner)])
                } else {
                    Json::Array(vec![inner])
                };
            }
            *target = inner;
        }
        Mutation::Repeat { at, element, times } => {
            let room = MAX_VALUES.saturating_sub(tree.size());
            if let Json::Array(items) = tree.nth_mut(*at as usize) {
                if !items.is_empty() {
                    let i = *element as usize % items.len();
                    let copy = items[i].clone();
                    let times = (*times as usize).min(room / copy.size());
                    for _ in 0..times {
                        items.insert(i, copy.clone());
                    }
                }
            }
        }
        Mutation::RemoveElement { at, element } => {
            if let Json::Array(items) = tree.nth_mut(*at as usize) {
                if !items.is_empty() {
                    items.remove(*element as usize % items.len());
                }
            }
        }
        Mutation::CopyOver { from, to } => {
            let copy = tree.nth_mut(*from as usize).clone();
            *tree.nth_mut(*to as usize) = copy;
        }
    }
}

fn word(i: u8, words: &[String]) -> &str {
    words
        .get(i as usize % words.len().max(1))
        .map_or("", String::as_str)
}

fn key_text(key: &Key, words: &[String]) -> String {
    match key {
        Key::Word(i) => word(*i, words).to_owned(),
        Key::Escaped(i) => {
            let w = word(*i, words);
            // The last character written as \u00XX (the words are ASCII).
            match w.char_indices().last() {
                Some((at, c)) if c.is_ascii() => format!("{}\\u{:04x}", &w[..at], c as u32),
                _ => w.to_owned(),
            }
        }
        Key::Other(n) => format!("fuzz_{n}"),
        Key::Empty => String::new(),
    }
}

fn value(with: &Value, words: &[String]) -> Json {
    let number = |s: &str| Json::Number(s.to_owned());
    let string = |s: &str| Json::String(s.to_owned());
    match with {
        Value::BigInt { digits, negative } => {
            let digits = 20 + *digits as usize;
            let mut n = String::with_capacity(digits + 1);
            if *negative {
                n.push('-');
            }
            n.push('9');
            n.extend(std::iter::repeat_n('8', digits - 1));
            Json::Number(n)
        }
        Value::EdgeInt(edge) => number(match edge {
            EdgeInt::Zero => "0",
            EdgeInt::MinusOne => "-1",
            EdgeInt::U32Max => "4294967295",
            EdgeInt::U32MaxPlusOne => "4294967296",
            EdgeInt::I64Max => "9223372036854775807",
            EdgeInt::I64Min => "-9223372036854775808",
            EdgeInt::U64Max => "18446744073709551615",
            EdgeInt::U64MaxPlusOne => "18446744073709551616",
            EdgeInt::I128Min => "-170141183460469231731687303715884105728",
            EdgeInt::U128Max => "340282366920938463463374607431768211455",
            EdgeInt::U128MaxPlusOne => "340282366920938463463374607431768211456",
            EdgeInt::NegativeZero => "-0",
        }),
        Value::SmallInt(i) => Json::Number(i.to_string()),
        Value::Float(edge) => number(match edge {
            EdgeFloat::Half => "0.5",
            EdgeFloat::OnePointZero => "1.0",
            EdgeFloat::Exponent => "1e2",
            EdgeFloat::Huge => "1e400",
            EdgeFloat::Tiny => "4.9e-325",
            EdgeFloat::NegativeHuge => "-1.7976931348623157e309",
            EdgeFloat::ManyDigits => "0.30000000000000000000000000000000000000000004",
        }),
        Value::LoneSurrogate { high, after } => {
            let surrogate = if *high { "\\ud800" } else { "\\udfff" };
            let before = after.map_or("", |i| word(i, words));
            Json::String(format!("{before}{surrogate}"))
        }
        Value::Word(i) => string(word(*i, words)),
        Value::Text(edge) => string(match edge {
            EdgeText::NilUuid => "00000000-0000-0000-0000-000000000000",
            EdgeText::MaxUuid => "ffffffff-ffff-ffff-ffff-ffffffffffff",
            EdgeText::UpperCaseUuid => "FFFFFFFF-0000-0000-0000-00000000000A",
            EdgeText::AlmostUuid => "ffffffff-ffff-ffff-ffff-fffffffffff",
            EdgeText::Timestamp => "2024-01-01T00:00:00Z",
            EdgeText::TimestampLatestWithOffset => "9999-12-31T23:59:59-23:59",
            EdgeText::TimestampEarliestWithOffset => "0000-01-01T00:00:00+23:59",
            EdgeText::LeapSecond => "2016-12-31T23:59:60Z",
            EdgeText::February30 => "2024-02-30T00:00:00Z",
            EdgeText::TimestampFraction => "2024-01-01T00:00:00.123456789012Z",
            EdgeText::EscapedNul => "a\\u0000b",
            EdgeText::SurrogatePair => "\\ud83d\\ude00",
            EdgeText::NonAscii => "caf\u{e9} \u{1F600}",
            EdgeText::EscapedSolidus => "a\\/b",
        }),
        Value::Long { kilobytes } => Json::String("x".repeat(1024 * (1 + *kilobytes as usize))),
        Value::Kind(kind) => match kind {
            Kind::Null => Json::Null,
            Kind::True => Json::Bool(true),
            Kind::False => Json::Bool(false),
            Kind::EmptyArray => Json::Array(Vec::new()),
            Kind::EmptyObject => Json::Object(Vec::new()),
            Kind::EmptyString => string(""),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(tree: &Json) -> String {
        let mut out = String::new();
        tree.write(&mut out);
        out
    }

    #[test]
    fn mutations_change_the_value_they_name() {
        let words = vec!["batch_id".to_owned()];
        let mut tree = Json::parse(r#"{"a":1,"b":[2]}"#).unwrap();
        apply(
            &mut tree,
            &[
                Mutation::DuplicateKey {
                    at: 0,
                    member: 0,
                    with: Some(Value::LoneSurrogate {
                        high: true,
                        after: None,
                    }),
                },
                Mutation::InsertKey {
                    at: 0,
                    position: 255,
                    key: Key::Escaped(0),
                    with: Value::EdgeInt(EdgeInt::U64MaxPlusOne),
                },
                Mutation::Wrap {
                    at: 4,
                    levels: 2,
                    objects: false,
                },
            ],
            &words,
        );
        assert_eq!(
            text(&tree),
            r#"{"a":1,"a":"\ud800","b":[[[2]]],"batch_i\u0064":18446744073709551616}"#
        );
    }
}
