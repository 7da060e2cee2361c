//! Ruby objects → JSON text, directly, without Ruby's `JSON`.
//!
//! Strict and lossless: only JSON-shaped Ruby values are accepted (Hash with String or Symbol
//! keys, Array, String, Symbol, Integer of any size, finite Float, true, false, nil); anything
//! else is a `type_mismatch` naming the path and the class found. Integers beyond 64 bits keep
//! every digit both ways; floats are written in their shortest round-trip form with a fraction
//! or exponent, so a Float never turns into an integer cursor.
//!
//! Depends on `raw` and `document` (an earlier call's Document is written as its text).

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::value::ReprValue;
use magnus::TryConvert;
use magnus::{Error, Float, Integer, RArray, RHash, RString, Ruby, Symbol, Value};
use tasker_batch::path::JsonPath;

use crate::raw::text_of;
use tasker_batch::{ErrorCode, MAX_NESTING};

/// Why a Ruby value could not be written as JSON.
pub struct ConvertError {
    pub code: ErrorCode,
    pub message: String,
    /// Where, innermost segment first (filled in as the error travels out).
    segments: Vec<Segment>,
}

enum Segment {
    Key(String),
    Index(usize),
}

impl ConvertError {
    fn new(code: ErrorCode, message: String) -> Self {
        ConvertError {
            code,
            message,
            segments: Vec::new(),
        }
    }

    fn inside(mut self, segment: Segment) -> Self {
        self.segments.push(segment);
        self
    }

    /// The path of the offending value (`""` for the value itself).
    pub fn path(&self) -> String {
        let mut path = JsonPath::root();
        for segment in self.segments.iter().rev() {
            path = match segment {
                Segment::Key(key) => path.key(key),
                Segment::Index(i) => path.index(*i),
            };
        }
        path.to_string()
    }
}

/// Writes `value` as compact JSON text. Call with the GC paused (`raw::with_gc_disabled`): a
/// string in another encoding is converted into a fresh string that nothing else refers to.
pub fn to_json(ruby: &Ruby, value: Value) -> Result<String, ConvertError> {
    // Most values the core keeps raw are cursors: an Integer or a short String. Their text is
    // written at its exact size, so that keeping it (a boxed `RawValue`) does not reallocate.
    if let Some(n) = Integer::from_value(value).and_then(|int| int.to_i64().ok()) {
        return Ok(itoa::Buffer::new().format(n).to_owned());
    }
    let capacity = RString::from_value(value).map_or(256, |s| s.len() + 2);
    let mut out = String::with_capacity(capacity);
    let mut writer = Writer {
        ruby,
        out: &mut out,
    };
    writer.value(value, 0)?;
    Ok(out)
}

struct Writer<'a> {
    ruby: &'a Ruby,
    out: &'a mut String,
}

impl Writer<'_> {
    // Paths are not built on the way in: only an error, on its way out, collects where it was.
    fn value(&mut self, value: Value, depth: usize) -> Result<(), ConvertError> {
        if depth > MAX_NESTING {
            return Err(ConvertError::new(
                ErrorCode::NestingTooDeep,
                tasker_batch::input::too_deep_message(),
            ));
        }
        if value.is_nil() {
            self.out.push_str("null");
        } else if value.as_raw() == self.ruby.qtrue().as_raw() {
            self.out.push_str("true");
        } else if value.as_raw() == self.ruby.qfalse().as_raw() {
            self.out.push_str("false");
        } else if let Some(s) = RString::from_value(value) {
            // SAFETY: the bytes are copied into `out` before any Ruby code runs; the caller
            // keeps the GC paused (a converted string lives only as long as that).
            push_json_string(self.out, unsafe { text(s) }?);
        } else if let Some(hash) = RHash::from_value(value) {
            self.hash(hash, depth)?;
        } else if let Some(array) = RArray::from_value(value) {
            self.out.push('[');
            for i in 0..array.len() {
                if i > 0 {
                    self.out.push(',');
                }
                // SAFETY: the index is in bounds and `rb_ary_entry` runs no Ruby code.
                let item = unsafe {
                    Value::from_raw(rb_sys::rb_ary_entry(
                        array.as_raw(),
                        i as std::os::raw::c_long,
                    ))
                };
                self.value(item, depth + 1)
                    .map_err(|e| e.inside(Segment::Index(i)))?;
            }
            self.out.push(']');
        } else if let Some(int) = Integer::from_value(value) {
            match int.to_i64() {
                Ok(n) => self.out.push_str(itoa::Buffer::new().format(n)),
                // A Bignum: its decimal digits are the JSON number.
                Err(_) => self.out.push_str(&crate::raw::bignum_digits(int)),
            }
        } else if let Some(float) = Float::from_value(value) {
            let f = float.to_f64();
            if !f.is_finite() {
                return Err(ConvertError::new(
                    ErrorCode::OutOfRange,
                    format!("expected a finite number, found {f}"),
                ));
            }
            // serde_json writes the shortest round-trip form and always marks it as a float
            // (`100.0`, `1e20`), so the value keeps its kind.
            self.out
                .push_str(&serde_json::to_string(&f).expect("a finite float serializes"));
        } else if let Some(symbol) = Symbol::from_value(value) {
            let name = symbol.name().map_err(internal)?;
            push_json_string(self.out, &name);
        } else if let Ok(document) = <&crate::document::Document>::try_convert(value) {
            // An earlier call's output, already compact JSON.
            let text = document
                .text()
                .map_err(|message| ConvertError::new(ErrorCode::Internal, message.to_owned()))?;
            self.out.push_str(text);
        } else if let Some(native) = native_form(value) {
            self.value(native, depth)?;
        } else {
            let class = unsafe { value.classname() }.into_owned();
            return Err(ConvertError::new(
                ErrorCode::TypeMismatch,
                format!(
                    "expected a JSON value (Hash, Array, String, Symbol, Integer, Float, true, false or nil), found {class}"
                ),
            ));
        }
        Ok(())
    }

    fn hash(&mut self, hash: RHash, depth: usize) -> Result<(), ConvertError> {
        self.out.push('{');
        let entries = crate::raw::Entries::of(hash);
        for (i, (key, item)) in (0..entries.len())
            .filter_map(|i| entries.get(i))
            .enumerate()
        {
            if i > 0 {
                self.out.push(',');
            }
            let symbol_name;
            let name: &str = if let Some(s) = RString::from_value(key) {
                // SAFETY: the key is not changed or freed while it is written (no Ruby code
                // runs here); an error copies it.
                unsafe { text(s) }?
            } else if let Some(symbol) = Symbol::from_value(key) {
                symbol_name = symbol.name().map_err(internal)?;
                &symbol_name
            } else {
                // SAFETY: reading a class name runs no Ruby code.
                let class = unsafe { key.classname() }.into_owned();
                return Err(ConvertError::new(
                    ErrorCode::TypeMismatch,
                    format!("expected String or Symbol keys, found a {class} key"),
                ));
            };
            push_json_string(self.out, name);
            self.out.push(':');
            self.value(item, depth + 1)
                .map_err(|e| e.inside(Segment::Key(name.to_owned())))?;
        }
        self.out.push('}');
        Ok(())
    }
}

/// A string's text as UTF-8, or the `invalid_encoding` error it is ([`text_of`]).
///
/// SAFETY: as [`text_of`].
unsafe fn text<'a>(s: RString) -> Result<&'a str, ConvertError> {
    text_of(s).map_err(|message| ConvertError::new(ErrorCode::InvalidEncoding, message))
}

/// The native form of a tasker-batch Ruby object that stands for JSON: a
/// `TaskerBatch::CursorConfigList` stands for its `@configs` Array once built, else for its
/// `@document` (what its `to_native` answers); `None` for any other object, or for a list
/// whose state is neither.
///
/// Read from the instance variables, not by calling `to_native`: this runs while strings are
/// lent with the GC paused, where no Ruby code may run (it could change or free what is lent,
/// raise through these Rust frames, or recurse without end).
pub fn native_form(value: Value) -> Option<Value> {
    // SAFETY: reading a class name runs no Ruby code.
    let class = unsafe { value.classname() };
    if class != "TaskerBatch::CursorConfigList" {
        return None;
    }
    let (configs, document) = *crate::raw::CURSOR_CONFIG_LIST_IVARS.get()?;
    // SAFETY: `rb_ivar_get` reads an instance variable; it runs no Ruby code.
    let read = |id| unsafe { Value::from_raw(rb_sys::rb_ivar_get(value.as_raw(), id)) };
    let configs = read(configs);
    let native = if configs.is_nil() || configs.as_raw() == rb_sys::Qfalse as rb_sys::VALUE {
        read(document)
    } else {
        configs
    };
    let is_json = RArray::from_value(native).is_some()
        || <&crate::document::Document>::try_convert(native).is_ok();
    is_json.then_some(native)
}

fn internal(e: Error) -> ConvertError {
    ConvertError::new(
        ErrorCode::Internal,
        format!("internal error while reading a Ruby value: {e}"),
    )
}

fn push_json_string(out: &mut String, text: &str) {
    let needs_escape = text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    if needs_escape {
        out.push_str(&serde_json::to_string(text).expect("a str serializes"));
    } else {
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
}
