//! Values kept as their exact JSON text, and the byte scans behind them (nesting depth,
//! insignificant whitespace).

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::serde_coupling::coded;
use crate::error::ErrorCode;

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

/// The message of every `nesting_too_deep` error, whatever reads the input (JSON text, a host
/// language's objects): one text, so that the two Ruby paths answer alike. It names no depth
/// and no position, which only a reader of text knows (an object that contains itself has none).
pub fn too_deep_message() -> String {
    format!("expected values nested at most {MAX_NESTING} levels deep, found deeper nesting")
}

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
            return Err(too_deep_message());
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
pub(super) struct Scan {
    pub(super) max_depth: usize,
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

pub(super) fn scan(text: &str) -> Scan {
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

/// The contents of `literal`, the exact text of a JSON string (quotes included), as Unicode
/// text; `None` when it holds an escape that is not Unicode text: a lone UTF-16 surrogate such
/// as `"\ud800"` (valid JSON, which a JavaScript string cut inside an emoji produces). Where the
/// contract keeps a value raw (a cursor, a status kept as written), such a string travels as its
/// exact text; where the core must read it as text (a string compared by a reducer), it is the
/// error `invalid_string` at its path (docs/decisions.md).
pub(crate) fn string_literal(literal: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = literal.get(1..literal.len().checked_sub(1)?)?;
    if inner.contains('\\') {
        serde_json::from_str(literal)
            .ok()
            .map(std::borrow::Cow::Owned)
    } else {
        Some(std::borrow::Cow::Borrowed(inner))
    }
}

#[cfg(test)]
mod string_literal_tests {
    use super::string_literal;

    #[test]
    fn plain_escaped_and_surrogate_literals() {
        assert_eq!(string_literal(r#""abc""#).as_deref(), Some("abc"));
        assert_eq!(string_literal(r#""a\"b\u00e9""#).as_deref(), Some("a\"bé"));
        assert_eq!(string_literal(r#""\ud83d\ude00""#).as_deref(), Some("😀"));
        assert_eq!(string_literal(r#""\ud800""#), None);
        assert_eq!(string_literal(r#""x\udc00y""#), None);
        assert_eq!(string_literal(r#""""#).as_deref(), Some(""));
    }
}
