//! JSON text written by the core → Ruby objects, directly, without Ruby's `JSON`.
//!
//! Depends on `interned` only: the layers above (`document`, `lib`) hand it
//! text the core wrote.

use magnus::rb_sys::FromRawValue;
use magnus::{Error, Ruby, Value};
use rb_sys::VALUE;

/// Builds Ruby objects from compact JSON text written by the core (so it is valid JSON).
///
/// The `expect`s below cannot be reached (issue 9's audit): the text is the core's output for
/// an input read from Ruby objects, or a Document of such an output (Ruby cannot make a
/// Document of other text), so every string in it came from a Ruby String checked to be UTF-8
/// (`raw::text_of`) or was written by the core, and no lone-surrogate escape (`"\ud800"`, the
/// one valid JSON string serde cannot decode) can be in it; numbers are written by the core
/// or by `read` from Ruby numbers, in JSON's grammar. JSON text from elsewhere
/// (`Native.call_json`) is parsed by Ruby's own `JSON`, never here.
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

/// [`from_json`] for a value inside an object being built (a raw value of a typed output, see
/// `ruby_ser`): the same objects, as a raw `VALUE` the caller stores right away.
pub fn from_json_raw(text: &str) -> VALUE {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        keys: Vec::new(),
    };
    // SAFETY: as for `from_json`; the caller stores the value into its parent right away.
    unsafe { reader.value() }
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
        let key = crate::interned::key(text);
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
