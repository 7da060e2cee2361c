//! `TaskerBatch::Native::Document`: an operation's output kept as its JSON text, turned into
//! Ruby objects only where Ruby reads it.
//!
//! Building Ruby objects is most of what a large output costs (ten thousand cursor configs are
//! ten thousand Hashes and Strings), and often none of them is needed: a partition goes on into
//! an outcome, an outcome into a step's stored results. A Document answers `size`, `to_json`
//! and single members without building the rest.
//!
//! Depends on `write` (members become Ruby objects) and `boundary` (the error class).

use std::cell::{OnceCell, RefCell};
use std::ops::Range;

use magnus::value::ReprValue;
use magnus::{Error, Integer, RString, Ruby, Symbol, Value};
use serde::de::{Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::boundary::BATCH_ERROR;
use crate::write;

/// Where the members of the top-level value are in the text.
enum Index {
    Object(Vec<(String, Range<usize>)>),
    Array(Vec<Range<usize>>),
    Scalar,
}

/// Writes a typed output as its JSON text (an error is an internal error's message).
pub type Writer = Box<dyn FnOnce() -> Result<String, String> + Send>;

/// A JSON value written by the core, read lazily.
#[magnus::wrap(class = "TaskerBatch::Native::Document", free_immediately, size)]
pub struct Document {
    text: OnceCell<Result<String, String>>,
    /// For a deferred Document: what writes the text, until it is first needed.
    writer: RefCell<Option<Writer>>,
    index: OnceCell<Index>,
}

impl Document {
    pub fn new(text: String) -> Self {
        Document {
            text: OnceCell::from(Ok(text)),
            writer: RefCell::new(None),
            index: OnceCell::new(),
        }
    }

    /// A Document whose text `writer` writes the first time it is needed (most callers of a
    /// worker context never need it).
    pub fn deferred(writer: Writer) -> Self {
        Document {
            text: OnceCell::new(),
            writer: RefCell::new(Some(writer)),
            index: OnceCell::new(),
        }
    }

    /// The JSON text, written now if it was deferred.
    fn written(&self) -> &Result<String, String> {
        self.text
            .get_or_init(|| match self.writer.borrow_mut().take() {
                Some(writer) => writer(),
                None => Err("a deferred Document lost its writer".to_owned()),
            })
    }

    /// The text, or the internal error that stopped it from being written.
    fn text_or_raise(&self, ruby: &Ruby) -> Result<&str, Error> {
        self.written().as_deref().map_err(|message| {
            Error::new(
                ruby.get_inner(&BATCH_ERROR),
                format!("internal error: an operation's output could not be written ({message})"),
            )
        })
    }

    fn index(&self, ruby: &Ruby) -> Result<&Index, Error> {
        if let Some(index) = self.index.get() {
            return Ok(index);
        }
        // The core wrote this text, so it is valid JSON: a failure here is a bug, raised as
        // one rather than answered with made-up members.
        let index = index_of(self.text_or_raise(ruby)?).map_err(|e| {
            Error::new(
                ruby.get_inner(&BATCH_ERROR),
                format!("internal error: an operation wrote invalid JSON ({e})"),
            )
        })?;
        Ok(self.index.get_or_init(|| index))
    }

    fn member(&self, ruby: &Ruby, range: &Range<usize>) -> Result<Value, Error> {
        write::from_json(ruby, &self.text_or_raise(ruby)?[range.clone()])
    }

    /// `doc[key]` for an object (String or Symbol key), `doc[i]` for an array; nil if absent.
    fn get(ruby: &Ruby, rb_self: &Self, key: Value) -> Result<Value, Error> {
        match rb_self.index(ruby)? {
            Index::Object(members) => {
                // A key that is neither a String nor a Symbol is absent, as it would be from a
                // Hash of the same members (no Ruby method of the key is called).
                let Some(name) = member_name(key) else {
                    return Ok(ruby.qnil().as_value());
                };
                match members.iter().find(|(k, _)| *k == name) {
                    Some((_, range)) => rb_self.member(ruby, range),
                    None => Ok(ruby.qnil().as_value()),
                }
            }
            Index::Array(items) => {
                // A key that is not an Integer is absent (Array#[] would raise a TypeError;
                // the gem raises only its own errors).
                let Some(index) = Integer::from_value(key) else {
                    return Ok(ruby.qnil().as_value());
                };
                // An index beyond 64 bits is beyond any array: absent, as a too-large one is.
                let Ok(i) = index.to_i64() else {
                    return Ok(ruby.qnil().as_value());
                };
                let i = if i < 0 { i + items.len() as i64 } else { i };
                match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                    Some(range) => rb_self.member(ruby, range),
                    None => Ok(ruby.qnil().as_value()),
                }
            }
            Index::Scalar => Ok(ruby.qnil().as_value()),
        }
    }

    /// `doc.document(key)`: the member as a Document of its own (nil if absent).
    fn document(ruby: &Ruby, rb_self: &Self, key: Value) -> Result<Value, Error> {
        let range = match rb_self.index(ruby)? {
            Index::Object(members) => member_name(key).and_then(|name| {
                members
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, r)| r.clone())
            }),
            Index::Array(items) => Integer::from_value(key)
                .and_then(|i| i.to_i64().ok())
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| items.get(i).cloned()),
            Index::Scalar => None,
        };
        Ok(match range {
            Some(range) => ruby
                .obj_wrap(Document::new(
                    rb_self.text_or_raise(ruby)?[range].to_owned(),
                ))
                .as_value(),
            None => ruby.qnil().as_value(),
        })
    }

    /// The JSON text, for readers in this crate (the Ruby deserializer reads it directly);
    /// the message of the internal error when it could not be written.
    pub fn text(&self) -> Result<&str, &str> {
        self.written().as_deref().map_err(String::as_str)
    }

    /// Members of an object or elements of an array (0 for a scalar).
    fn size(ruby: &Ruby, rb_self: &Self) -> Result<usize, Error> {
        Ok(match rb_self.index(ruby)? {
            Index::Object(members) => members.len(),
            Index::Array(items) => items.len(),
            Index::Scalar => 0,
        })
    }

    /// The whole value as Ruby objects.
    fn to_ruby(ruby: &Ruby, rb_self: &Self) -> Result<Value, Error> {
        write::from_json(ruby, rb_self.text_or_raise(ruby)?)
    }

    /// The exact JSON text (arguments, such as the generator state `JSON.generate` passes, are
    /// not needed: the text is already compact).
    fn to_json(ruby: &Ruby, rb_self: &Self, _args: &[Value]) -> Result<String, Error> {
        rb_self.text_or_raise(ruby).map(str::to_owned)
    }
}

/// Spans of the top-level members of valid JSON text.
fn index_of(text: &str) -> Result<Index, serde_json::Error> {
    struct Spans<'a>(&'a str);
    impl<'de> Visitor<'de> for Spans<'de> {
        type Value = Index;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Index, A::Error> {
            let mut members = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let raw: &RawValue = map.next_value()?;
                members.push((key, span(self.0, raw)));
            }
            Ok(Index::Object(members))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Index, A::Error> {
            let mut items = Vec::new();
            while let Some(raw) = seq.next_element::<&RawValue>()? {
                items.push(span(self.0, raw));
            }
            Ok(Index::Array(items))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Index, E> {
            Ok(Index::Scalar)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Index, E> {
            Ok(Index::Scalar)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Index, E> {
            Ok(Index::Scalar)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Index, E> {
            Ok(Index::Scalar)
        }
        fn visit_str<E>(self, _: &str) -> Result<Index, E> {
            Ok(Index::Scalar)
        }
        fn visit_unit<E>(self) -> Result<Index, E> {
            Ok(Index::Scalar)
        }
    }
    fn span(text: &str, raw: &RawValue) -> Range<usize> {
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        start..start + raw.get().len()
    }
    serde_json::Deserializer::from_str(text).deserialize_any(Spans(text))
}

/// Defines the Ruby class and its methods.
pub fn define(ruby: &Ruby, native: magnus::RModule) -> Result<(), Error> {
    use magnus::{method, Module};
    let class = native.define_class("Document", ruby.class_object())?;
    class.define_method("[]", method!(Document::get, 1))?;
    class.define_method("size", method!(Document::size, 0))?;
    class.define_method("document", method!(Document::document, 1))?;
    class.define_method("to_ruby", method!(Document::to_ruby, 0))?;
    class.define_method("to_json", method!(Document::to_json, -1))?;
    Ok(())
}

/// A member name from a String (its text, if UTF-8) or a Symbol; `None` for anything else.
fn member_name(key: Value) -> Option<String> {
    if let Some(s) = RString::from_value(key) {
        // SAFETY: the bytes are copied before any Ruby code runs.
        return std::str::from_utf8(unsafe { s.as_slice() })
            .ok()
            .map(str::to_owned);
    }
    Symbol::from_value(key)
        .and_then(|symbol| symbol.name().ok())
        .map(|name| name.into_owned())
}
