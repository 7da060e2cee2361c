//! An object step (upstream's `WorkflowStepWrapper`, a Struct with `inputs` and `results`) read
//! as the map `{inputs, results, checkpoint}` its parts make, without building that Hash in
//! Ruby (`Native.worker_context_step`).
//!
//! Of the results, only the checkpoint keys are passed on, each read as the String key, else
//! its Symbol (the gem's reading of an object's results, `StepData.slice` on the Ruby side),
//! so that whatever else the results hold (non-JSON keys or values) is never looked at. The
//! keys are looked up before anything is lent to the core: a lookup may compare keys, which
//! could run Ruby code, and none may run while strings are lent (see `ruby_de`).
//!
//! The parts are asked for here too ([`StepParts::ask`]): the `respond_to?` tests and the
//! method calls a Ruby caller would make, in the same order, made from the extension instead of
//! through Ruby's method dispatch.
//!
//! Depends on `ruby_de` (each part is read by it).

use std::sync::OnceLock;

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{RHash, Ruby, Value};
use rb_sys::{ID, VALUE};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use tasker_batch::worker_context::CHECKPOINT_KEYS;

use crate::ruby_de::{nests_deeper_than, DeError, RubyDeserializer};

/// The parts of an object step, as its methods answered them.
#[derive(Clone, Copy)]
pub struct StepParts {
    inputs: Value,
    results: Results,
    checkpoint: Value,
}

#[derive(Clone, Copy)]
enum Results {
    /// A Hash's checkpoint keys: the value of each, or `None` when absent.
    Sliced([Option<Value>; 3]),
    /// Anything else, read as it is (nil is no results; another type is the core's error).
    Other(Value),
}

impl StepParts {
    /// The parts of a step; `checkpoint` is nil when the step has none. Call before reading
    /// (see the module documentation).
    pub fn new(inputs: Value, results: Value, checkpoint: Value) -> Self {
        let results = match RHash::from_value(results) {
            Some(hash) => Results::Sliced(checkpoint_keys(hash)),
            None => Results::Other(results),
        };
        StepParts {
            inputs,
            results,
            checkpoint,
        }
    }

    /// Whether a part nests deeper than the step may (see `ruby_de::nests_deeper_than`).
    pub fn nests_deeper_than(&self, limit: usize) -> bool {
        let inner = limit.saturating_sub(1);
        let results_deeper = match self.results {
            Results::Sliced(values) => values
                .iter()
                .flatten()
                .any(|&v| nests_deeper_than(v, inner.saturating_sub(1))),
            Results::Other(value) => nests_deeper_than(value, inner),
        };
        nests_deeper_than(self.inputs, inner)
            || results_deeper
            || nests_deeper_than(self.checkpoint, inner)
    }

    /// A deserializer of the step, counting the values read into `count`.
    pub fn deserializer<'r>(
        self,
        ruby: &'r Ruby,
        count: &'r std::cell::Cell<usize>,
    ) -> PartsDeserializer<'r> {
        PartsDeserializer {
            ruby,
            parts: self,
            count,
        }
    }
}

/// The methods an object step answers: `inputs`, `results`, `checkpoint`.
static PART_METHODS: OnceLock<[ID; 3]> = OnceLock::new();

impl StepParts {
    /// The parts of an object step, asked for as the gem's Ruby side did: `step` is an Object
    /// (not a BasicObject) that `respond_to?(:inputs)` and `respond_to?(:results)`; then
    /// `step.inputs`, `step.results` and, when it `respond_to?(:checkpoint)`, `step.checkpoint`
    /// (else nil). `Ok(None)` for any other value (the caller reads it another way); an
    /// exception raised by one of these methods is the error. Call before reading.
    pub fn ask(ruby: &Ruby, step: Value) -> Result<Option<StepParts>, magnus::Error> {
        let [inputs, results, checkpoint] = *PART_METHODS
            .get()
            .expect("intern_keys ran when the extension loaded");
        // Held here, on this frame's stack, where Ruby's GC sees them.
        let mut parts: [VALUE; 3] = [rb_sys::Qnil as VALUE; 3];
        let object_class = ruby.class_object().as_raw();
        let found = {
            let parts = &mut parts;
            // SAFETY: plain C API calls on a live value; they may run Ruby code (a
            // `respond_to?` or a part's method), so they run protected: an exception comes
            // back as the `Err` of `protect`, never unwinding through these frames.
            magnus::rb_sys::protect(move || unsafe {
                let step = step.as_raw();
                let is_object =
                    rb_sys::rb_obj_is_kind_of(step, object_class) == rb_sys::Qtrue as VALUE;
                if !is_object
                    || rb_sys::rb_respond_to(step, inputs) == 0
                    || rb_sys::rb_respond_to(step, results) == 0
                {
                    return rb_sys::Qfalse as VALUE;
                }
                parts[0] = rb_sys::rb_funcallv_public(step, inputs, 0, std::ptr::null());
                parts[1] = rb_sys::rb_funcallv_public(step, results, 0, std::ptr::null());
                if rb_sys::rb_respond_to(step, checkpoint) != 0 {
                    parts[2] = rb_sys::rb_funcallv_public(step, checkpoint, 0, std::ptr::null());
                }
                rb_sys::Qtrue as VALUE
            })?
        };
        std::hint::black_box(&parts);
        if found != rb_sys::Qtrue as VALUE {
            return Ok(None);
        }
        // SAFETY: live values the methods answered.
        let [inputs, results, checkpoint] = parts.map(|v| unsafe { Value::from_raw(v) });
        Ok(Some(StepParts::new(inputs, results, checkpoint)))
    }
}

/// Each checkpoint key as a String and as a Symbol, made once.
static KEYS: OnceLock<[(VALUE, VALUE); 3]> = OnceLock::new();

/// Makes the keys and the method names; called by the extension's `init`.
pub fn intern_keys() {
    PART_METHODS.get_or_init(|| {
        // SAFETY: `rb_intern2` with a name and its length, while the extension loads.
        PART_NAMES.map(|name| unsafe { rb_sys::rb_intern2(name.as_ptr().cast(), name.len() as _) })
    });
    KEYS.get_or_init(|| {
        CHECKPOINT_KEYS.map(|key| {
            // SAFETY: `rb_intern2` with a name and its length; the Symbol of an interned name
            // lives for good, and so does the permanent String.
            let symbol = unsafe {
                rb_sys::rb_id2sym(rb_sys::rb_intern2(key.as_ptr().cast(), key.len() as _))
            };
            (crate::interned::permanent(key), symbol)
        })
    });
}

/// The values of the checkpoint keys in `hash`: each one's String key, else its Symbol.
fn checkpoint_keys(hash: RHash) -> [Option<Value>; 3] {
    let keys = KEYS
        .get()
        .expect("intern_keys ran when the extension loaded");
    let undef = rb_sys::Qundef as VALUE;
    // SAFETY: plain Hash lookups, with the GVL held and nothing lent.
    keys.map(|(string, symbol)| unsafe {
        let mut found = rb_sys::rb_hash_lookup2(hash.as_raw(), string, undef);
        if found == undef {
            found = rb_sys::rb_hash_lookup2(hash.as_raw(), symbol, undef);
        }
        (found != undef).then(|| Value::from_raw(found))
    })
}

pub struct PartsDeserializer<'r> {
    ruby: &'r Ruby,
    parts: StepParts,
    count: &'r std::cell::Cell<usize>,
}

impl<'de> de::Deserializer<'de> for PartsDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.count.set(self.count.get() + 1);
        visitor.visit_map(PartsAccess { de: self, next: 0 })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

const PART_NAMES: [&str; 3] = ["inputs", "results", "checkpoint"];

struct PartsAccess<'r> {
    de: PartsDeserializer<'r>,
    next: usize,
}

impl<'de> MapAccess<'de> for PartsAccess<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(name) = PART_NAMES.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let part = self.next;
        self.next += 1;
        let (ruby, count) = (self.de.ruby, self.de.count);
        let parts = self.de.parts;
        match (part, parts.results) {
            (0, _) => seed.deserialize(RubyDeserializer::at_depth(ruby, parts.inputs, 1, count)),
            (1, Results::Sliced(values)) => seed.deserialize(SlicedDeserializer {
                ruby,
                values,
                count,
            }),
            (1, Results::Other(value)) => {
                seed.deserialize(RubyDeserializer::at_depth(ruby, value, 1, count))
            }
            _ => seed.deserialize(RubyDeserializer::at_depth(ruby, parts.checkpoint, 1, count)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(PART_NAMES.len() - self.next)
    }
}

/// The checkpoint keys of an object's results, as a map.
struct SlicedDeserializer<'r> {
    ruby: &'r Ruby,
    values: [Option<Value>; 3],
    count: &'r std::cell::Cell<usize>,
}

impl<'de> de::Deserializer<'de> for SlicedDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.count.set(self.count.get() + 1);
        visitor.visit_map(SlicedAccess { de: self, next: 0 })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct SlicedAccess<'r> {
    de: SlicedDeserializer<'r>,
    next: usize,
}

impl SlicedAccess<'_> {
    /// Moves to the next present key.
    fn skip_absent(&mut self) {
        while self.next < CHECKPOINT_KEYS.len() && self.de.values[self.next].is_none() {
            self.next += 1;
        }
    }
}

impl<'de> MapAccess<'de> for SlicedAccess<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        self.skip_absent();
        let Some(key) = CHECKPOINT_KEYS.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let value = self.de.values[self.next]
            .ok_or_else(|| <DeError as de::Error>::custom("internal error: no value"))?;
        self.next += 1;
        seed.deserialize(RubyDeserializer::at_depth(
            self.de.ruby,
            value,
            2,
            self.de.count,
        ))
    }
}
