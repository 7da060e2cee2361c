//! Reading JSON input strictly: size limit, nesting limit, exact numbers, and errors that say
//! where (JSON path) and what (expected vs actual).
//!
//! Parsing runs twice only when it fails: the fast pass has no bookkeeping, and a failed
//! input is parsed again with path tracking so that the error can name the offending value.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result};
use crate::path::{push_key, JsonPath};

/// The largest input accepted, in bytes. Bigger input is an `input_too_large` error rather
/// than an out-of-memory crash.
pub const MAX_INPUT_BYTES: usize = 512 * 1024 * 1024;

/// Marks a serde error message that carries one of our codes: `\0code\0message`.
const CODE_MARK: char = '\0';

/// Parses `text` into `T`, with the error naming the code, the path and the expectation.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::new(
            ErrorCode::InputTooLarge,
            "",
            format!(
                "expected at most {MAX_INPUT_BYTES} bytes of JSON, found {} bytes",
                text.len()
            ),
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    match T::deserialize(&mut de).and_then(|value| de.end().map(|()| value)) {
        Ok(value) => Ok(value),
        Err(_) => Err(explain_failure::<T>(text)),
    }
}

/// Parses a value that was already isolated as raw JSON (a nested input).
pub fn from_raw<T: DeserializeOwned>(raw: &RawValue, at: &JsonPath) -> Result<T> {
    from_json(raw.get()).map_err(|e| e.under(at))
}

/// Parses again, tracking the path, and turns the failure into an [`Error`].
fn explain_failure<T: DeserializeOwned>(text: &str) -> Error {
    // Malformed JSON is reported as such, even when a type error comes earlier in the text.
    if let Err(err) = serde_json::from_str::<de::IgnoredAny>(text) {
        return classify(err, String::new());
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(err) => {
            let path = format_path(err.path());
            classify(err.into_inner(), path)
        }
        Ok(_) => match de.end() {
            Err(err) => classify(err, String::new()),
            Ok(()) => Error::new(
                ErrorCode::Internal,
                "",
                "input failed to parse once and parsed the second time",
            ),
        },
    };
    // Too deep to be read at all: say so, rather than the type error met on the way down.
    let depth = scan(text).max_depth;
    if error.code != ErrorCode::NestingTooDeep && depth > MAX_NESTING {
        return Error::new(
            ErrorCode::NestingTooDeep,
            "",
            format!("expected JSON nested at most {MAX_NESTING} levels deep, found {depth} levels"),
        );
    }
    error
}

fn format_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => push_key(&mut out, key),
            // A key that could not be read (not a string): the error is about the object
            // that holds it, so the path stops there.
            Segment::Unknown => break,
        }
    }
    out
}

/// Maps a serde_json error onto our codes.
fn classify(err: serde_json::Error, path: String) -> Error {
    let full = err.to_string();
    let position = if err.line() > 0 {
        format!(" at line {} column {}", err.line(), err.column())
    } else {
        String::new()
    };
    let bare = full.strip_suffix(&position).unwrap_or(&full);
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io if !bare.starts_with(CODE_MARK) => {
            let code = if bare.contains("recursion limit exceeded") {
                ErrorCode::NestingTooDeep
            } else {
                ErrorCode::InvalidJson
            };
            let message = if code == ErrorCode::NestingTooDeep {
                format!("expected JSON nested at most {MAX_NESTING} levels deep, found deeper nesting{position}")
            } else {
                format!("expected well-formed JSON: {bare}{position}")
            };
            Error::new(code, path, message)
        }
        _ => classify_message(bare, path),
    }
}

/// Maps the message of a data error (from any deserializer) onto our codes: ours carry their
/// code (see [`coded`]); serde's own messages are recognised by their standard wording.
fn classify_message(bare: &str, path: String) -> Error {
    if let Some(rest) = bare.strip_prefix(CODE_MARK) {
        if let Some((code, rest)) = rest.split_once(CODE_MARK) {
            if let Some((key, message)) = rest.split_once(CODE_MARK) {
                let code = ErrorCode::from_wire(code).unwrap_or(ErrorCode::Internal);
                let mut at = path;
                if !key.is_empty() {
                    push_key(&mut at, key);
                }
                return Error::new(code, at, message);
            }
        }
    }
    if let Some(field) = bare
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        let mut at = path;
        push_key(&mut at, field);
        return Error::new(
            ErrorCode::MissingField,
            at,
            format!("expected the key `{field}`, found no such key"),
        );
    }
    let code = if bare.starts_with("invalid type") {
        ErrorCode::TypeMismatch
    } else {
        ErrorCode::InvalidValue
    };
    Error::new(code, path, bare.to_owned())
}

/// Reads `T` from any serde deserializer without tracking paths: faster, but an error names no
/// path. [`from_deserializer`] reads again when this fails.
pub fn from_deserializer_untracked<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T> {
    T::deserialize(deserializer).map_err(|err| classify_message(&err.to_string(), String::new()))
}

/// Reads `T` from any serde deserializer (the Ruby extension reads Ruby objects in place),
/// tracking the path so that an error names the offending value like [`from_json`] does.
pub fn from_deserializer<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T> {
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = format_path(err.path());
        classify_message(&err.into_inner().to_string(), path)
    })
}

/// A serde error carrying one of our codes; [`from_json`] turns it back into that code.
pub fn coded<E: de::Error>(code: ErrorCode, message: impl fmt::Display) -> E {
    coded_at(code, "", message)
}

/// Like [`coded`], for an error about the key `key` of the object being read (a missing key).
pub fn coded_at<E: de::Error>(code: ErrorCode, key: &str, message: impl fmt::Display) -> E {
    E::custom(format_args!(
        "{CODE_MARK}{}{CODE_MARK}{key}{CODE_MARK}{message}",
        code.as_str()
    ))
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

/// A non-empty string ([`non_empty_string`]) as a type, for `next_value`.
pub(crate) struct NonEmpty(pub String);

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        non_empty_string(d).map(NonEmpty)
    }
}

/// A strict `u32` ([`strict::u32`]) as a type, for `next_value`.
pub(crate) struct U32(pub u32);

impl<'de> Deserialize<'de> for U32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        strict::u32(d).map(U32)
    }
}

/// A strict `u64` ([`strict::u64`]) as a type, for `next_value`.
pub(crate) struct U64(pub u64);

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        strict::u64(d).map(U64)
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

    /// Keeps `key` unless it is already present (duplicate keys are an error).
    pub(crate) fn insert_new<E: de::Error>(
        &mut self,
        key: Cow<'_, str>,
        value: RawJson,
    ) -> Result<(), E> {
        if self.get(&key).is_some() {
            return Err(duplicate_key(&key));
        }
        self.0.push((key.into_owned(), value));
        Ok(())
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
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    let value: RawJson = map.next_value()?;
                    out.insert_new(key, value)?;
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl Extra {
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

/// Any JSON value, kept as its exact text (minified).
#[derive(Clone, Debug)]
pub struct RawJson(pub Box<RawValue>);

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

/// How deep arrays and objects may nest, as in serde_json's own parser. serde_json does not
/// apply its limit to raw values, so [`RawJson`] applies it.
pub const MAX_NESTING: usize = 128;

impl RawJson {
    /// Wraps raw JSON text, minifying it when it has insignificant whitespace; nesting
    /// deeper than [`MAX_NESTING`] is an error message.
    pub fn new(raw: Box<RawValue>) -> Result<Self, String> {
        // A number, string or literal nests nothing and has no whitespace outside a string (a
        // raw value never starts or ends with whitespace): most cursors need no scan.
        if !raw.get().starts_with(['{', '[']) {
            return Ok(RawJson(raw));
        }
        let scan = scan(raw.get());
        if scan.max_depth > MAX_NESTING {
            return Err(format!(
                "expected JSON nested at most {MAX_NESTING} levels deep, found {} levels",
                scan.max_depth
            ));
        }
        if scan.has_whitespace {
            let compact = minify(raw.get());
            Ok(RawJson(
                RawValue::from_string(compact).expect("minified JSON stays valid"),
            ))
        } else {
            Ok(RawJson(raw))
        }
    }

    /// The exact JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// A value built from a serializable Rust value.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Self {
        RawJson(serde_json::value::to_raw_value(value).expect("in-memory values serialize"))
    }

    /// JSON `null`.
    pub fn null() -> Self {
        RawJson(RawValue::from_string("null".to_owned()).expect("null is JSON"))
    }

    /// Whether this is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.get() == "null"
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        RawJson::new(raw).map_err(|message| coded(ErrorCode::NestingTooDeep, message))
    }
}

/// What one pass over valid JSON text finds.
struct Scan {
    max_depth: usize,
    has_whitespace: bool,
}

/// Visits the bytes outside string literals of valid JSON text.
fn for_each_structural_byte(text: &str, mut f: impl FnMut(usize, u8)) {
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else {
            f(i, b);
        }
    }
}

fn scan(text: &str) -> Scan {
    let mut depth = 0usize;
    let mut out = Scan {
        max_depth: 0,
        has_whitespace: false,
    };
    for_each_structural_byte(text, |_, b| match b {
        b'[' | b'{' => {
            depth += 1;
            out.max_depth = out.max_depth.max(depth);
        }
        b']' | b'}' => depth = depth.saturating_sub(1),
        b' ' | b'\n' | b'\r' | b'\t' => out.has_whitespace = true,
        _ => {}
    });
    out
}

/// Appends valid JSON `text` to `out` without its insignificant whitespace, as [`RawJson`]
/// keeps it, and returns how deeply it nests (0 for a scalar): [`RawJson::new`] in one pass,
/// for readers that keep many small values in one buffer.
pub(crate) fn push_minified(text: &str, out: &mut String) -> usize {
    let bytes = text.as_bytes();
    if !matches!(bytes.first(), Some(b'{' | b'[')) {
        out.push_str(text);
        return 0;
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // A string is skipped whole: nothing in it is structure or insignificant space.
            b'"' => i = string_end(bytes, i + 1),
            b'[' | b'{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b' ' | b'\n' | b'\r' | b'\t' => {
                out.push_str(&text[from..i]);
                from = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&text[from..]);
    max_depth
}

/// The index of the quote that ends the string of valid JSON whose contents start at `i`,
/// looking at eight bytes at a time for a quote or a backslash.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Bytes equal to `b` become zero; the lowest flagged byte of "has a zero byte" is exact.
    let flag = |word: u64, b: u8| {
        let x = word ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & (ONES << 7)
    };
    loop {
        while let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let found = flag(word, b'"') | flag(word, b'\\');
            if found != 0 {
                i += (found.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match bytes.get(i) {
            Some(b'"') | None => return i,
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
        }
    }
}

/// `text` without whitespace outside strings.
fn minify(text: &str) -> String {
    let mut drop = Vec::new();
    for_each_structural_byte(text, |i, b| {
        if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            drop.push(i);
        }
    });
    let mut out = String::with_capacity(text.len() - drop.len());
    let mut from = 0;
    for i in drop {
        out.push_str(&text[from..i]);
        from = i + 1;
    }
    out.push_str(&text[from..]);
    out
}

pub(crate) fn duplicate_key<E: de::Error>(key: &str) -> E {
    coded_at(
        ErrorCode::InvalidValue,
        key,
        format!("expected each key once, found `{key}` twice"),
    )
}

/// Describes the JSON type of a raw value for messages ("string \"abc\"", "integer 7").
pub(crate) fn describe(raw: &str) -> String {
    const LIMIT: usize = 60;
    let kind = match raw.as_bytes().first() {
        Some(b'"') => "string",
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => return "null".to_owned(),
        _ if raw.contains(['.', 'e', 'E']) => "number",
        _ => "integer",
    };
    if raw.len() <= LIMIT {
        format!("{kind} {raw}")
    } else {
        let cut = (0..=LIMIT)
            .rev()
            .find(|&i| raw.is_char_boundary(i))
            .unwrap_or(0);
        format!("{kind} {}… ({} bytes)", &raw[..cut], raw.len())
    }
}

/// Strict unsigned integers: a negative number, a fraction, a string or a value above the
/// maximum is an error naming the accepted range and the value found. Never truncated.
pub(crate) mod strict {
    use super::*;

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

    pub(crate) struct UnsignedVisitor {
        pub(crate) max: u64,
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
            // serde_json hands integers beyond 64 bits over as floats: still out of range.
            if v.fract() == 0.0 && v.is_finite() {
                // `{:?}` keeps a float looking like one: `10.0` rather than `10`.
                Err(self.out_of_range(format_args!("{v:?}")))
            } else {
                Err(self.out_of_range(format_args!("the fraction {v}")))
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
}

/// A string that must not be empty; a number or any other type is an error.
pub(crate) fn non_empty_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a non-empty string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            if v.is_empty() {
                Err(coded(
                    ErrorCode::EmptyString,
                    "expected a non-empty string, found \"\"",
                ))
            } else {
                Ok(v.to_owned())
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Err(not_a_string(format_args!("the integer {v}")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Err(not_a_string(format_args!("the integer {v}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Err(not_a_string(format_args!("the number {v}")))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Err(not_a_string(format_args!("the boolean {v}")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Err(not_a_string("null"))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
            Err(not_a_string("an array"))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
            Err(not_a_string("an object"))
        }
    }
    fn not_a_string<E: de::Error>(found: impl fmt::Display) -> E {
        coded(
            ErrorCode::TypeMismatch,
            format!("expected a non-empty string, found {found}"),
        )
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        #[serde(deserialize_with = "strict::u32")]
        size: u32,
        #[serde(default)]
        items: Vec<Sample>,
    }

    #[test]
    fn numbers_that_do_not_fit_are_errors_with_the_value() {
        let err = from_json::<Sample>(r#"{"size": 4294967296}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::OutOfRange);
        assert_eq!(err.path, "size");
        assert_eq!(
            err.message,
            "expected an integer in 0..=4294967295, found 4294967296"
        );
        let err = from_json::<Sample>(r#"{"size": -1}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::OutOfRange);
        let err = from_json::<Sample>(r#"{"size": 2.5}"#).unwrap_err();
        assert!(err.message.contains("fraction 2.5"), "{}", err.message);
    }

    #[test]
    fn paths_point_into_arrays() {
        let err = from_json::<Sample>(r#"{"size": 1, "items": [{"size": 1}, {"size": "x"}]}"#)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::TypeMismatch);
        assert_eq!(err.path, "items[1].size");
    }

    #[test]
    fn missing_fields_name_the_key() {
        let err = from_json::<Sample>(r#"{"size": 1, "items": [{}]}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::MissingField);
        assert_eq!(err.path, "items[0].size");
        let err = from_json::<Sample>(r#"{"items": []}"#).unwrap_err();
        assert_eq!(err.path, "size");
    }

    #[test]
    fn syntax_errors_and_deep_nesting_are_errors() {
        let err = from_json::<Sample>("{").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidJson);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = from_json::<serde_json::Value>(&deep).unwrap_err();
        assert_eq!(err.code, ErrorCode::NestingTooDeep);
        let err = from_json::<RawJson>(&deep).unwrap_err();
        assert_eq!(err.code, ErrorCode::NestingTooDeep);
    }

    #[test]
    fn values_kept_in_a_shared_buffer_are_minified_like_raw_json() {
        for text in [
            r#"{ "a" : [ 1 ,	{ "b" : "x y" } ]
            }"#,
            r#"["a \" ] } { [", "\\", "a string longer than eight bytes, with spaces", {"k": "v"}]"#,
            r#"{"é t é":"\u00e9 \n \\\"","n":[[[[ ]]]], "m" : "12345678\"9"}"#,
            "7",
            r#""a b""#,
            "[]",
            "{}",
        ] {
            let raw: RawJson = from_json(text).unwrap();
            let mut kept = String::from("before|");
            let depth = push_minified(text, &mut kept);
            assert_eq!(kept.strip_prefix("before|"), Some(raw.get()), "{text}");
            assert_eq!(depth, scan(text).max_depth, "{text}");
        }
    }

    #[test]
    fn raw_json_is_minified_but_otherwise_exact() {
        let raw: RawJson =
            from_json(r#" { "region" : "u s" , "page" : 123456789012345678901234567890 } "#)
                .unwrap();
        assert_eq!(
            raw.get(),
            r#"{"region":"u s","page":123456789012345678901234567890}"#
        );
        let raw: RawJson = from_json(r#""a \" b""#).unwrap();
        assert_eq!(raw.get(), r#""a \" b""#);
        let raw: RawJson = from_json("0.1").unwrap();
        assert_eq!(raw.get(), "0.1");
    }
}
