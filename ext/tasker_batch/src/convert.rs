//! Ruby objects <-> JSON text, directly, without Ruby's `JSON` and without serde_magnus.
//!
//! Strict and lossless: only JSON-shaped Ruby values are accepted (Hash with String or Symbol
//! keys, Array, String, Symbol, Integer of any size, finite Float, true, false, nil); anything
//! else is a `type_mismatch` naming the path and the class found. Integers beyond 64 bits keep
//! every digit both ways; floats are written in their shortest round-trip form with a fraction
//! or exponent, so a Float never turns into an integer cursor.

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::value::ReprValue;
use magnus::TryConvert;
use magnus::{Error, Float, Integer, RArray, RHash, RString, Ruby, Symbol, Value};
use rb_sys::VALUE;
use tasker_batch::path::JsonPath;
use tasker_batch::{ErrorCode, MAX_NESTING};

/// Why a Ruby value could not be written as JSON.
pub struct ConvertError {
    pub code: ErrorCode,
    pub path: String,
    pub message: String,
}

/// Writes `value` as compact JSON text.
pub fn to_json(ruby: &Ruby, value: Value) -> Result<String, ConvertError> {
    let mut out = String::with_capacity(256);
    let mut writer = Writer {
        ruby,
        out: &mut out,
    };
    writer.value(value, &JsonPath::root(), 0)?;
    Ok(out)
}

struct Writer<'a> {
    ruby: &'a Ruby,
    out: &'a mut String,
}

impl Writer<'_> {
    fn value(&mut self, value: Value, at: &JsonPath, depth: usize) -> Result<(), ConvertError> {
        if depth > MAX_NESTING {
            return Err(ConvertError {
                code: ErrorCode::NestingTooDeep,
                path: at.to_string(),
                message: format!(
                    "expected values nested at most {MAX_NESTING} levels deep (a Hash or Array that contains itself never ends)"
                ),
            });
        }
        if value.is_nil() {
            self.out.push_str("null");
        } else if value.as_raw() == self.ruby.qtrue().as_raw() {
            self.out.push_str("true");
        } else if value.as_raw() == self.ruby.qfalse().as_raw() {
            self.out.push_str("false");
        } else if let Some(s) = RString::from_value(value) {
            self.string(s, at)?;
        } else if let Some(hash) = RHash::from_value(value) {
            self.hash(hash, at, depth)?;
        } else if let Some(array) = RArray::from_value(value) {
            self.out.push('[');
            // Index access rather than a borrowed slice: nothing here can run Ruby code that
            // resizes the array, but indexing stays correct even if something did.
            for i in 0..array.len() {
                if i > 0 {
                    self.out.push(',');
                }
                let item: Value = array.entry(i as isize).map_err(|e| internal(at, e))?;
                self.value(item, &at.index(i), depth + 1)?;
            }
            self.out.push(']');
        } else if let Some(int) = Integer::from_value(value) {
            match int.to_i64() {
                Ok(n) => self.out.push_str(itoa(n).as_str()),
                // A Bignum: its decimal digits are the JSON number.
                Err(_) => self.out.push_str(&bignum_digits(int)),
            }
        } else if let Some(float) = Float::from_value(value) {
            let f = float.to_f64();
            if !f.is_finite() {
                return Err(ConvertError {
                    code: ErrorCode::OutOfRange,
                    path: at.to_string(),
                    message: format!("expected a finite number, found {f}"),
                });
            }
            // serde_json writes the shortest round-trip form and always marks it as a float
            // (`100.0`, `1e20`), so the value keeps its kind.
            self.out
                .push_str(&serde_json::to_string(&f).expect("a finite float serializes"));
        } else if let Some(symbol) = Symbol::from_value(value) {
            let name = symbol.name().map_err(|e| internal(at, e))?;
            push_json_string(self.out, &name);
        } else if let Ok(document) = <&crate::document::Document>::try_convert(value) {
            // An earlier call's output, already compact JSON.
            self.out.push_str(document.text());
        } else if let Some(native) = native_form(value) {
            self.value(native, at, depth)?;
        } else {
            let class = unsafe { value.classname() }.into_owned();
            return Err(ConvertError {
                code: ErrorCode::TypeMismatch,
                path: at.to_string(),
                message: format!(
                    "expected a JSON value (Hash, Array, String, Symbol, Integer, Float, true, false or nil), found {class}"
                ),
            });
        }
        Ok(())
    }

    fn string(&mut self, s: RString, at: &JsonPath) -> Result<(), ConvertError> {
        // SAFETY: the slice is copied into `out` before any Ruby code runs.
        let bytes = unsafe { s.as_slice() };
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                push_json_string(self.out, text);
                Ok(())
            }
            Err(e) => Err(ConvertError {
                code: ErrorCode::InvalidUtf8,
                path: at.to_string(),
                message: format!(
                    "expected a UTF-8 string, found an invalid byte at offset {}",
                    e.valid_up_to()
                ),
            }),
        }
    }

    fn hash(&mut self, hash: RHash, at: &JsonPath, depth: usize) -> Result<(), ConvertError> {
        self.out.push('{');
        let mut first = true;
        let mut failure: Option<ConvertError> = None;
        let result = hash.foreach(|key: Value, item: Value| {
            let name = match key_name(key) {
                Ok(name) => name,
                Err(class) => {
                    failure = Some(ConvertError {
                        code: ErrorCode::TypeMismatch,
                        path: at.to_string(),
                        message: format!("expected String or Symbol keys, found a {class} key"),
                    });
                    return Ok(magnus::r_hash::ForEach::Stop);
                }
            };
            if !first {
                self.out.push(',');
            }
            first = false;
            push_json_string(self.out, &name);
            self.out.push(':');
            if let Err(e) = self.value(item, &at.key(&name), depth + 1) {
                failure = Some(e);
                return Ok(magnus::r_hash::ForEach::Stop);
            }
            Ok(magnus::r_hash::ForEach::Continue)
        });
        if let Some(e) = failure {
            return Err(e);
        }
        result.map_err(|e| internal(at, e))?;
        self.out.push('}');
        Ok(())
    }
}

/// The native form of a tasker-batch Ruby object that stands for JSON (a
/// `TaskerBatch::CursorConfigList` answers its Array or its Document), through its
/// `to_native` method; `None` for any other object.
pub fn native_form(value: Value) -> Option<Value> {
    let class = unsafe { value.classname() };
    if class != "TaskerBatch::CursorConfigList" {
        return None;
    }
    value.funcall::<_, _, Value>("to_native", ()).ok()
}

/// The decimal digits of an Integer, through Ruby's C API (no Ruby method is called, so a
/// redefined `Integer#to_s` cannot change them).
pub fn bignum_digits(int: Integer) -> String {
    // SAFETY: `rb_big2str` returns a new String of ASCII digits; it is read right away.
    unsafe {
        let s = RString::from_value(Value::from_raw(rb_sys::rb_big2str(int.as_raw(), 10)))
            .expect("rb_big2str returns a String");
        String::from_utf8_lossy(s.as_slice()).into_owned()
    }
}

fn key_name(key: Value) -> Result<String, String> {
    if let Some(s) = RString::from_value(key) {
        return s.to_string().map_err(|_| "non-UTF-8 String".to_owned());
    }
    if let Some(symbol) = Symbol::from_value(key) {
        return symbol
            .name()
            .map(|n| n.into_owned())
            .map_err(|_| "Symbol".to_owned());
    }
    Err(unsafe { key.classname() }.into_owned())
}

fn internal(at: &JsonPath, e: Error) -> ConvertError {
    ConvertError {
        code: ErrorCode::Internal,
        path: at.to_string(),
        message: format!("internal error while reading a Ruby value: {e}"),
    }
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

fn itoa(n: i64) -> String {
    n.to_string()
}

// ------------------------------------------------------------------------------------------

/// Builds Ruby objects from compact JSON text written by the core (so it is valid JSON).
/// Object keys become frozen, deduplicated Strings; integers of any size become Integers.
///
/// Raw C API calls rather than magnus's protected wrappers: nothing here can raise (the
/// objects are fresh and unfrozen), and the protection costs more than the work for the many
/// small objects an output has.
pub fn from_json(ruby: &Ruby, text: &str) -> Result<Value, Error> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        keys: Vec::new(),
    };
    let _ = ruby;
    // SAFETY: see the function documentation; every VALUE built is stored into its parent
    // right away, and the root is returned to Ruby.
    Ok(unsafe { Value::from_raw(reader.value()) })
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    /// Keys already interned in this output: outputs repeat the same few keys many times.
    keys: Vec<(&'a str, VALUE)>,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> u8 {
        self.bytes[self.pos]
    }

    unsafe fn value(&mut self) -> VALUE {
        match self.peek() {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => {
                let s = self.string_slice();
                ruby_string(s)
            }
            b't' => {
                self.pos += 4;
                rb_sys::Qtrue as VALUE
            }
            b'f' => {
                self.pos += 5;
                rb_sys::Qfalse as VALUE
            }
            b'n' => {
                self.pos += 4;
                rb_sys::Qnil as VALUE
            }
            _ => self.number(),
        }
    }

    unsafe fn object(&mut self) -> VALUE {
        self.pos += 1;
        let hash = rb_sys::rb_hash_new();
        if self.peek() == b'}' {
            self.pos += 1;
            return hash;
        }
        loop {
            let key = self.string_slice();
            let key = self.interned(key);
            self.pos += 1; // ':'
            let value = self.value();
            rb_sys::rb_hash_aset(hash, key, value);
            let sep = self.peek();
            self.pos += 1;
            if sep == b'}' {
                return hash;
            }
        }
    }

    unsafe fn array(&mut self) -> VALUE {
        self.pos += 1;
        let array = rb_sys::rb_ary_new();
        if self.peek() == b']' {
            self.pos += 1;
            return array;
        }
        loop {
            let item = self.value();
            rb_sys::rb_ary_push(array, item);
            let sep = self.peek();
            self.pos += 1;
            if sep == b']' {
                return array;
            }
        }
    }

    /// The raw literal of the string at `pos` (quotes included), and moves past it.
    fn string_slice(&mut self) -> &'a str {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.bytes[self.pos] {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return &self.text[start..self.pos];
                }
                _ => self.pos += 1,
            }
        }
    }

    unsafe fn interned(&mut self, literal: &'a str) -> VALUE {
        if let Some(&(_, key)) = self.keys.iter().find(|(k, _)| *k == literal) {
            return key;
        }
        let decoded;
        let inner = &literal[1..literal.len() - 1];
        let text = if inner.contains('\\') {
            decoded = serde_json::from_str::<String>(literal).expect("valid key literal");
            decoded.as_str()
        } else {
            inner
        };
        let key = rb_sys::rb_enc_interned_str(
            text.as_ptr().cast(),
            text.len() as _,
            rb_sys::rb_utf8_encoding(),
        );
        // Interned strings live as long as something refers to them: this one is stored in
        // the hash being built before anything else is allocated.
        if self.keys.len() < 64 {
            self.keys.push((literal, key));
        }
        key
    }

    unsafe fn number(&mut self) -> VALUE {
        let start = self.pos;
        while self.pos < self.bytes.len()
            && matches!(
                self.bytes[self.pos],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        if token.contains(['.', 'e', 'E']) {
            let f: f64 = token.parse().expect("the core writes valid numbers");
            return rb_sys::rb_float_new(f);
        }
        if let Ok(n) = token.parse::<i64>() {
            return rb_sys::rb_ll2inum(n);
        }
        // Beyond 64 bits: Ruby parses the digits itself.
        let digits = std::ffi::CString::new(token).expect("digits have no NUL");
        rb_sys::rb_cstr2inum(digits.as_ptr(), 10)
    }
}

unsafe fn ruby_string(literal: &str) -> VALUE {
    let inner = &literal[1..literal.len() - 1];
    if inner.contains('\\') {
        let decoded: String =
            serde_json::from_str(literal).expect("the core writes valid string literals");
        rb_sys::rb_utf8_str_new(decoded.as_ptr().cast(), decoded.len() as _)
    } else {
        rb_sys::rb_utf8_str_new(inner.as_ptr().cast(), inner.len() as _)
    }
}
