//! Reading a step's result: the one unwrapping rule, and the one-pass reader convergence uses.
//!
//! Results reach convergence in several shapes: a step result may wrap everything in
//! `{"result": {...}}`, and upstream TypeScript workers nest their counters under
//! `{"batch_worker_outcome": {...}}`. Every reader in this crate reads results the same way
//! (see `read_result`, and `StepResults::read` for results read once while the request is
//! parsed): it names the fields it looks for, and
//!
//! 1. if the object has none of those fields at its top level (a field that is `null` counts
//!    as absent) and has a key `"result"` whose value is an object, the reader reads that
//!    inner object instead;
//! 2. worker readers then do the same with `"batch_worker_outcome"`.
//!
//! Each wrapper is unwrapped at most once, in that order, so `{"result":
//! {"batch_worker_outcome": {...}}}` is read too. Paths in errors include the wrappers
//! (`dependency_results.w_001.result.items_processed`), so they always name one value.
//! Because each reader has its own fields, one result can be read at two levels: in
//! `{"success": false, "result": {"items_processed": 5}}` the failure reader sees `success`
//! at the top and the counter reader unwraps to find `items_processed`.
//!
//! `aggregate` and `converge` read each result once, in the pass that parses the request,
//! straight into the fields they look at ([`StepResults`]): no result is copied as a whole or
//! parsed twice. A problem in a result is still reported only when a reader reads that field,
//! in the order it reads them, as if the result had been kept and read on its own.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, RandomState};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode, Result};
use crate::input::{coded, describe, duplicate_key, push_minified};
use crate::input::{Key, MAX_NESTING};
use crate::path::JsonPath;

/// The wrapper every step result may use.
pub(crate) const STEP_WRAPPERS: &[&str] = &["result"];
/// The wrappers a worker result may use, in the order they are unwrapped.
pub(crate) const WORKER_WRAPPERS: &[&str] = &["result", "batch_worker_outcome"];

// ------------------------------------------------------------------------------------------
// Reading a step result: the unwrapping rule, once.

/// The fields one reader looks for, and the wrappers it may look through.
#[derive(Clone, Debug)]
pub(crate) struct ResultShape<'s> {
    /// The reader's fields, then the wrappers (minus any that are also fields).
    names: Vec<&'s str>,
    fields: usize,
    wrappers: &'static [&'static str],
}

impl<'s> ResultShape<'s> {
    /// A reader of `fields` (duplicates are read once) that looks through `wrappers`.
    pub(crate) fn new(
        fields: impl IntoIterator<Item = &'s str>,
        wrappers: &'static [&'static str],
    ) -> Self {
        let mut names: Vec<&'s str> = Vec::new();
        for field in fields {
            if !names.contains(&field) {
                names.push(field);
            }
        }
        let fields = names.len();
        for wrapper in wrappers {
            if !names.contains(wrapper) {
                names.push(wrapper);
            }
        }
        ResultShape {
            names,
            fields,
            wrappers,
        }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }
}

/// The fields a reader found in one result, borrowed from the result's text.
#[derive(Clone, Debug)]
pub(crate) struct ResultFields<'a, 's> {
    /// Where the object that was read sits: the result's path plus any wrappers.
    pub(crate) path: JsonPath,
    shape: &'s ResultShape<'s>,
    values: Vec<Option<&'a RawValue>>,
}

impl<'a> ResultFields<'a, '_> {
    /// The value of `field`, unless it is absent or `null`.
    pub(crate) fn get(&self, field: &str) -> Option<&'a RawValue> {
        self.shape.index(field).and_then(|i| self.values[i])
    }

    fn has_any_field(&self) -> bool {
        self.values[..self.shape.fields].iter().any(Option::is_some)
    }
}

/// Reads a step result found at `at` with the unwrapping rule of the module docs: `Ok(None)`
/// for `null`, a `type_mismatch` for anything but an object.
pub(crate) fn read_result<'a, 's>(
    raw: &'a RawValue,
    at: JsonPath,
    shape: &'s ResultShape<'s>,
) -> Result<Option<ResultFields<'a, 's>>> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'n') => return Ok(None),
        Some(b'{') => {}
        _ => {
            return Err(Error::at(
                ErrorCode::TypeMismatch,
                &at,
                format!(
                    "expected a step result object or null, found {}",
                    describe(text)
                ),
            ))
        }
    }
    let mut read = scan_fields(raw, at, shape)?;
    let mut next_wrapper = 0;
    while !read.has_any_field() {
        let inner = shape.wrappers[next_wrapper..]
            .iter()
            .enumerate()
            .find_map(|(i, wrapper)| {
                let value = read.get(wrapper)?;
                value.get().starts_with('{').then_some((i, *wrapper, value))
            });
        let Some((i, wrapper, value)) = inner else {
            break;
        };
        next_wrapper += i + 1;
        let path = read.path.key(wrapper);
        read = scan_fields(value, path, shape)?;
    }
    Ok(Some(read))
}

/// One pass over an object, keeping the values of the shape's names (borrowed) and skipping
/// everything else without building it.
fn scan_fields<'a, 's>(
    raw: &'a RawValue,
    path: JsonPath,
    shape: &'s ResultShape<'s>,
) -> Result<ResultFields<'a, 's>> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let scanned = FieldScan { shape }.deserialize(&mut de).map_err(|e| {
        Error::at(
            ErrorCode::Internal,
            &path,
            format!("re-reading a result: {e}"),
        )
    })?;
    if let Some(key) = scanned.duplicate {
        return Err(Error::at(
            ErrorCode::InvalidValue,
            &path.key(&key),
            format!("expected each key once, found `{key}` twice"),
        ));
    }
    Ok(ResultFields {
        path,
        shape,
        values: scanned.values,
    })
}

struct FieldScan<'s> {
    shape: &'s ResultShape<'s>,
}

struct Scanned<'a> {
    values: Vec<Option<&'a RawValue>>,
    duplicate: Option<String>,
}

impl<'de> DeserializeSeed<'de> for FieldScan<'_> {
    type Value = Scanned<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldScan<'_> {
    type Value = Scanned<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a step result object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let n = self.shape.names.len();
        let mut out = Scanned {
            values: vec![None; n],
            duplicate: None,
        };
        let mut seen = vec![false; n];
        while let Some(Key(key)) = map.next_key::<Key>()? {
            match self.shape.index(&key) {
                Some(i) if !seen[i] => {
                    seen[i] = true;
                    let value: &'de RawValue = map.next_value()?;
                    // RawJson text is minified, so `null` is exactly this text.
                    out.values[i] = (value.get() != "null").then_some(value);
                }
                Some(_) => {
                    map.next_value::<IgnoredAny>()?;
                    out.duplicate.get_or_insert_with(|| key.into_owned());
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------
// Reading step results once, straight into the fields the operations look at.
//
// `aggregate` and `converge` read each result in the pass that parses the request: the result
// object and each wrapper object a reader may look through become a `Level` (counters as
// integers, `success` and `status` as what they say, error entries and caller keys as exact
// text in one buffer shared by all the results of the request). Nothing is judged while
// reading: a problem in a result (a counter that is a string, a key given twice) is an error
// only if an operation reads that field of that result, at the level its reader chooses, in
// the order the operation reads them, exactly as if the result were read on its own.
//
// What differs from keeping each result whole, all in inputs that are errors or nearly so:
// a value the read skips (a caller key no reducer reads, an error entry past `max_errors`) is
// not checked for nesting, as it is never parsed; a value of the wrong type is quoted in its
// error as it was read, not as written (serde_json hands `1E2`, `-0` and integers beyond 64
// bits over as floats; a string is quoted with minimal escapes), and so is one inside a wrapper
// object rebuilt for a reducer on `result` or `batch_worker_outcome` given after the results;
// a number beyond the range of f64 (`1e400`) in a counter, `success`, `status` or `errors` is
// `invalid_json` when the request is read, as it is anywhere else serde_json reads a number.

/// The names a result reader knows; the constants below index this list.
const KNOWN: [&str; 10] = [
    "items_processed",
    "items_succeeded",
    "items_failed",
    "items_skipped",
    "errors",
    "success",
    "status",
    "batch_processing_outcome",
    "result",
    "batch_worker_outcome",
];
const ERRORS: usize = 4;
const SUCCESS: usize = 5;
const STATUS: usize = 6;
const OUTCOME: usize = 7;
const RESULT: usize = 8;
const WORKER_OUTCOME: usize = 9;

/// The index of `key` in [`KNOWN`].
fn known(key: &str) -> Option<usize> {
    Some(match key {
        "items_processed" => 0,
        "items_succeeded" => 1,
        "items_failed" => 2,
        "items_skipped" => 3,
        "errors" => ERRORS,
        "success" => SUCCESS,
        "status" => STATUS,
        "batch_processing_outcome" => OUTCOME,
        "result" => RESULT,
        "batch_worker_outcome" => WORKER_OUTCOME,
        _ => return None,
    })
}

/// The name serde_json gives the newtype through which it hands over a value's raw text (its
/// `RawValue` protocol; the Ruby extension speaks it too). Asking for it directly lets the text
/// be borrowed from the input when the input is text, where `Box<RawValue>` would copy it.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Where a kept text sits in the buffer of [`StepResults`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

/// A counter as read: absent (or `null`), a count, or a value of another type, kept as text
/// for the error it is if a reader reads it. (The views below are how a [`Level`], which
/// stores them compactly, hands its fields out.)
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Count {
    #[default]
    Absent,
    Is(u64),
    Odd(Span),
}

/// `errors` as read: the entries kept (the first ones) and how many there were.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Entries {
    #[default]
    Absent,
    List {
        first: u32,
        kept: u32,
        count: u64,
    },
    Odd(Span),
}

/// `success` as read.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Flag {
    #[default]
    Absent,
    Is(bool),
    Odd(Span),
}

/// `status` as read: only "failed" and "error" mean something to convergence.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Status {
    #[default]
    Absent,
    Failed,
    Error,
    Other,
    Odd(Span),
}

/// One object read: a result, or a wrapper inside it. Kept compact (there is one per result):
/// which fields are present and of what type is in `bits`, the text of a value of the wrong
/// type in [`Rare`].
#[derive(Clone, Debug, PartialEq)]
struct Level {
    counts: [u64; 4],
    entry_count: u64,
    /// The error entries kept: where they start in `StepResults::entries`, and how many.
    entries: (u32, u32),
    /// The levels of the objects under `result` and `batch_worker_outcome`, where a reader may
    /// look through them ([`NONE`] otherwise).
    wrapped: [u32; 2],
    /// Where this level's kept caller keys and key order lie in the shared lists (a wrapper
    /// read in between adds its own: they are told apart by their level).
    extras: (u32, u32),
    order: (u32, u32),
    /// `status` as written, when it is kept for a reducer or is not a string at all.
    status_text: Span,
    /// Index into `StepResults::rare`, or [`NONE`].
    rare: u32,
    bits: u32,
}

/// No level, no rare part.
const NONE: u32 = u32::MAX;

/// `bits` of a [`Level`]: field `f` (a counter, `errors`, `success`, `status`) is present...
const fn present(f: usize) -> u32 {
    1 << f
}
/// ... and is of another type than the contract's.
const fn odd(f: usize) -> u32 {
    1 << (8 + f)
}
const SUCCESS_TRUE: u32 = 1 << 16;
const STATUS_FAILED: u32 = 1 << 17;
const STATUS_ERROR: u32 = 1 << 18;
/// `status_text` holds the status string as written.
const STATUS_TEXT: u32 = 1 << 19;

impl Default for Level {
    fn default() -> Self {
        Level {
            counts: [0; 4],
            entry_count: 0,
            entries: (0, 0),
            wrapped: [NONE; 2],
            extras: (0, 0),
            order: (0, 0),
            status_text: Span::default(),
            rare: NONE,
            bits: 0,
        }
    }
}

impl Level {
    fn set_success(&mut self, b: bool) {
        self.bits |= present(SUCCESS) | if b { SUCCESS_TRUE } else { 0 };
    }

    fn set_status(&mut self, text: &str) {
        self.bits |= present(STATUS);
        match text {
            "failed" => self.bits |= STATUS_FAILED,
            "error" => self.bits |= STATUS_ERROR,
            _ => {}
        }
    }

    /// `success` or `status` (`f`), kept as written (`text`, at `span`).
    fn set_written(&mut self, f: usize, span: Span, text: &str, rare: &mut Option<Rare>) {
        match (f, text) {
            (_, "null") => {}
            (SUCCESS, "true" | "false") => self.set_success(text == "true"),
            (STATUS, _) if text.starts_with('"') => {
                let decoded: Cow<'_, str> = if text.contains('\\') {
                    Cow::Owned(serde_json::from_str(text).expect("a kept string literal decodes"))
                } else {
                    Cow::Borrowed(&text[1..text.len() - 1])
                };
                self.set_status(&decoded);
                self.status_text = span;
                self.bits |= STATUS_TEXT;
            }
            _ => self.set_odd(f, span, rare),
        }
    }

    /// Field `f` holds a value of another type, whose text is `text`.
    fn set_odd(&mut self, f: usize, text: Span, rare: &mut Option<Rare>) {
        self.bits |= present(f) | odd(f);
        if f == STATUS {
            self.status_text = text;
        } else {
            rare.get_or_insert_with(Rare::default).odd[f] = text;
        }
    }
}

/// What few levels have.
#[derive(Clone, Debug, Default, PartialEq)]
struct Rare {
    /// Known names given again, with the position of the repeat among the object's keys.
    repeated: Vec<(u32, usize)>,
    /// `batch_processing_outcome`, unless absent or `null`.
    outcome: Option<Span>,
    /// The text of each counter, `errors` and `success` of another type.
    odd: [Span; 6],
}

/// A key kept with its exact value text: a caller key, a wrapper that was not looked into, or
/// (in a level that may be rebuilt) a known key given again.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ExtraKey {
    level: u32,
    name: Span,
    value: Span,
    position: u32,
}

/// One key of a level whose text may have to be rebuilt (see [`ReadPlan`]): a known field,
/// or a key kept as written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum KeyRef {
    Known(usize),
    Extra(u32),
}

/// A step result as read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum StepResult {
    Null,
    /// Not an object: its text, for the error.
    Odd(Span),
    Object(u32),
}

/// The results of the steps a request names (by step name, or in a list), each read once, in
/// the pass that parses the request, into what the operations look at (see the comment that
/// opens this part of the module, and `ReadPlan` for what is kept).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepResults {
    /// Each result in input order, with its step name when the results came as an object.
    results: Vec<(Option<Span>, StepResult)>,
    /// Names, kept values and rebuilt values, one after the other.
    text: String,
    levels: Vec<Level>,
    extras: Vec<ExtraKey>,
    /// The error entries kept, of every level, each level's in one run.
    entries: Vec<Span>,
    order: Vec<(u32, KeyRef)>,
    rare: Vec<Rare>,
}

/// What to keep of the results, decided by what the request said before them (key order is
/// the caller's).
///
/// Caller keys of a result matter only to the reducers. When the request named its reducers
/// before the results, a result keeps the reducers' fields only; otherwise it keeps every
/// caller key (as text, in the shared buffer: a copy of the value, no allocation of its own).
/// Reading the results again once the reducers are known would need their text kept whole
/// (and, from Ruby, converted to JSON first), which costs more than keeping the few caller
/// keys a worker result usually has.
///
/// The same goes for error entries: when `max_errors` and the reducers came first (and no
/// reducer reads `errors`), entries past what the aggregation keeps are only counted.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadPlan {
    fields: Option<Vec<String>>,
    max_errors: Option<usize>,
    /// Every result is a worker's (`aggregate`): the entries kept count over all results.
    all_workers: bool,
    /// A reducer may read `result` or `batch_worker_outcome`: wrapper objects keep what it
    /// takes to rebuild their text.
    may_rebuild: bool,
    /// A reducer may read `success` or `status`: they are kept as written.
    keep_flags: bool,
}

impl ReadPlan {
    /// `fields`: the reducers' fields if known; `max_errors` if known.
    pub(crate) fn new(
        fields: Option<Vec<String>>,
        max_errors: Option<u32>,
        all_workers: bool,
    ) -> Self {
        let mut plan = ReadPlan {
            fields,
            max_errors: max_errors.map(|n| n as usize),
            all_workers,
            may_rebuild: false,
            keep_flags: false,
        };
        plan.may_rebuild = plan.may_reduce("result") || plan.may_reduce("batch_worker_outcome");
        plan.keep_flags = plan.may_reduce("success") || plan.may_reduce("status");
        plan
    }

    fn may_reduce(&self, name: &str) -> bool {
        self.fields
            .as_ref()
            .is_none_or(|fields| fields.iter().any(|f| f == name))
    }

    /// Whether entries past `max_errors` may go uncopied.
    fn limits_entries(&self) -> bool {
        self.max_errors.is_some()
            && self.fields.is_some()
            && !self.may_reduce("errors")
            && !self.may_rebuild
    }

    /// How many entries one `errors` array may keep, `kept` having been kept already.
    fn entry_limit(&self, kept: usize) -> usize {
        match self.max_errors {
            Some(max) if self.limits_entries() => {
                max.saturating_sub(if self.all_workers { kept } else { 0 })
            }
            _ => usize::MAX,
        }
    }
}

/// The state of one read: the results so far.
struct Reader<'p> {
    plan: &'p ReadPlan,
    out: StepResults,
    /// Entries kept at the levels chosen so far (plans over workers only).
    kept: usize,
    /// How deep the result being read nests, as far as the reader has seen.
    deepest: usize,
    /// Names of caller keys kept so far (the first few): results tend to share their keys, and
    /// each name is kept once.
    extra_names: Vec<Span>,
}

impl<'p> Reader<'p> {
    fn new(plan: &'p ReadPlan) -> Self {
        Reader {
            plan,
            out: StepResults::default(),
            kept: 0,
            deepest: 0,
            extra_names: Vec::new(),
        }
    }

    fn span_from<E: de::Error>(&self, start: usize) -> Result<Span, E> {
        match u32::try_from(self.out.text.len()) {
            Ok(end) => Ok(Span {
                start: start as u32,
                end,
            }),
            Err(_) => Err(coded(
                ErrorCode::InputTooLarge,
                format_args!(
                    "expected the kept values of the results to fit in {} bytes",
                    u32::MAX
                ),
            )),
        }
    }

    /// Keeps `text` as it is (a name, or JSON text this crate wrote).
    fn keep_text<E: de::Error>(&mut self, text: &str) -> Result<Span, E> {
        let start = self.out.text.len();
        self.out.text.push_str(text);
        self.span_from(start)
    }

    /// Keeps a value's raw JSON text minified, as [`RawJson`] would, found inside `enclosing`
    /// levels of the result (whose nesting is limited as a whole, as for [`RawJson`]).
    fn keep_raw<E: de::Error>(&mut self, text: &str, enclosing: usize) -> Result<Span, E> {
        let start = self.out.text.len();
        let depth = push_minified(text, &mut self.out.text);
        self.deepest = self.deepest.max(enclosing + depth);
        self.span_from(start)
    }

    /// The JSON text of a value that was read as something else, kept.
    fn keep_odd<E: de::Error>(&mut self, seen: Seen<'_>) -> Result<Span, E> {
        match seen {
            Seen::Bool(b) => self.keep_text(if b { "true" } else { "false" }),
            Seen::Count(n) => self.keep_text(&n.to_string()),
            Seen::Text(s) => self.keep_text(&json_string(&s)),
            Seen::Other(Some(span)) => Ok(span),
            Seen::Absent | Seen::Other(None) => self.keep_text("null"),
            Seen::Level(_) | Seen::Entries(..) => {
                unreachable!("objects and arrays are rebuilt unless asked for as levels or entries")
            }
        }
    }

    /// Reads one object into a level `depth` levels deep in its result (1: the result).
    fn read_level<'de, A: MapAccess<'de>>(
        &mut self,
        mut map: A,
        depth: usize,
        kind: LevelKind,
    ) -> Result<u32, A::Error> {
        self.deepest = self.deepest.max(depth);
        let index = self.out.levels.len();
        let id = u32::try_from(index).map_err(|_| too_many::<A::Error>())?;
        self.out.levels.push(Level::default());
        let extras_from = self.out.extras.len() as u32;
        let order_from = self.out.order.len() as u32;
        let mut level = Level::default();
        let mut rare: Option<Rare> = None;
        let rebuildable = kind != LevelKind::Top && self.plan.may_rebuild;
        let keep_flags = rebuildable || self.plan.keep_flags;
        let mut seen = 0u16;
        let mut position = 0u32;
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let slot = match known(&key) {
                Some(k) if seen & (1 << k) != 0 => {
                    rare.get_or_insert_with(Rare::default)
                        .repeated
                        .push((position, k));
                    // Whoever reads this level reports the repeat; a level that may be
                    // rebuilt keeps the repeat's text, which is part of the object's.
                    if rebuildable {
                        self.read_extra(&mut map, id, &key, depth, position)?
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        None
                    }
                }
                Some(k) => {
                    seen |= 1 << k;
                    let mut slot = Some(KeyRef::Known(k));
                    match k {
                        0..=3 => match map.next_value_seed(self.scalar(depth))? {
                            Seen::Absent => {}
                            Seen::Count(n) => {
                                level.counts[k] = n;
                                level.bits |= present(k);
                            }
                            other => level.set_odd(k, self.keep_odd(other)?, &mut rare),
                        },
                        ERRORS => {
                            let seed = SeenSeed {
                                entries: true,
                                ..self.scalar(depth)
                            };
                            match map.next_value_seed(seed)? {
                                Seen::Absent => {}
                                Seen::Entries(first, kept, count) => {
                                    level.entries = (first, kept);
                                    level.entry_count = count;
                                    level.bits |= present(ERRORS);
                                }
                                other => level.set_odd(ERRORS, self.keep_odd(other)?, &mut rare),
                            }
                        }
                        // A reducer may output these as written: then they are read as text.
                        SUCCESS | STATUS if keep_flags => {
                            let span = map.next_value_seed(RawSeed {
                                reader: self,
                                enclosing: depth,
                            })?;
                            level.set_written(k, span, self.out.text(span), &mut rare);
                        }
                        SUCCESS => match map.next_value_seed(self.scalar(depth))? {
                            Seen::Absent => {}
                            Seen::Bool(b) => level.set_success(b),
                            other => level.set_odd(SUCCESS, self.keep_odd(other)?, &mut rare),
                        },
                        STATUS => match map.next_value_seed(self.scalar(depth))? {
                            Seen::Absent => {}
                            Seen::Text(text) => level.set_status(&text),
                            other => level.set_odd(STATUS, self.keep_odd(other)?, &mut rare),
                        },
                        OUTCOME => {
                            let span = map.next_value_seed(RawSeed {
                                reader: self,
                                enclosing: depth,
                            })?;
                            if self.out.text(span) != "null" {
                                rare.get_or_insert_with(Rare::default).outcome = Some(span);
                            }
                        }
                        _ => match kind.inner(k) {
                            Some(inner) => {
                                let keep = rebuildable || self.plan.may_reduce(&key);
                                let seed = SeenSeed {
                                    reader: self,
                                    depth,
                                    level: Some(inner),
                                    entries: false,
                                    rebuild: keep,
                                };
                                match map.next_value_seed(seed)? {
                                    Seen::Absent => {}
                                    Seen::Level(inner) => level.wrapped[k - RESULT] = inner,
                                    other if keep => {
                                        let value = self.keep_odd(other)?;
                                        slot = Some(self.push_extra(id, &key, value, position)?);
                                    }
                                    _ => {}
                                }
                            }
                            // A wrapper not looked through here is a caller key like any other.
                            None => slot = self.read_extra(&mut map, id, &key, depth, position)?,
                        },
                    }
                    slot
                }
                None => self.read_extra(&mut map, id, &key, depth, position)?,
            };
            if rebuildable {
                if let Some(slot) = slot {
                    self.out.order.push((id, slot));
                }
            }
            position += 1;
        }
        if let Some(rare) = rare {
            level.rare = self.out.rare.len() as u32;
            self.out.rare.push(rare);
        }
        level.extras = (extras_from, self.out.extras.len() as u32);
        level.order = (order_from, self.out.order.len() as u32);
        self.out.levels[index] = level;
        Ok(id)
    }

    /// A caller key: kept when a reducer may read it, skipped otherwise.
    fn read_extra<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        level: u32,
        key: &str,
        depth: usize,
        position: u32,
    ) -> Result<Option<KeyRef>, A::Error> {
        let rebuildable = self.plan.may_rebuild && depth > 1;
        if !rebuildable && !self.plan.may_reduce(key) {
            map.next_value::<IgnoredAny>()?;
            return Ok(None);
        }
        let value = map.next_value_seed(RawSeed {
            reader: self,
            enclosing: depth,
        })?;
        self.push_extra(level, key, value, position).map(Some)
    }

    fn push_extra<E: de::Error>(
        &mut self,
        level: u32,
        key: &str,
        value: Span,
        position: u32,
    ) -> Result<KeyRef, E> {
        const NAMES_SHARED: usize = 16;
        let name = match self
            .extra_names
            .iter()
            .find(|span| self.out.text(**span) == key)
        {
            Some(span) => *span,
            None => {
                let span = self.keep_text(key)?;
                if self.extra_names.len() < NAMES_SHARED {
                    self.extra_names.push(span);
                }
                span
            }
        };
        let index = u32::try_from(self.out.extras.len()).map_err(|_| too_many::<E>())?;
        self.out.extras.push(ExtraKey {
            level,
            name,
            value,
            position,
        });
        Ok(KeyRef::Extra(index))
    }

    /// A seed for a value read as a scalar (its text rebuilt when it is not one).
    fn scalar(&mut self, depth: usize) -> SeenSeed<'_, 'p> {
        SeenSeed {
            reader: self,
            depth,
            level: None,
            entries: false,
            rebuild: true,
        }
    }

    /// After a whole result: the entries the aggregation will keep of it, for the limit.
    fn count_kept(&mut self, result: StepResult) {
        let (StepResult::Object(top), Some(fields)) = (result, &self.plan.fields) else {
            return;
        };
        let (level, _, _) = self.out.choose(top, &Looking::Worker(fields));
        if let Entries::List { kept, .. } = self.out.errors(level) {
            self.kept += kept as usize;
        }
    }
}

fn too_many<E: de::Error>() -> E {
    coded(
        ErrorCode::InputTooLarge,
        format_args!("expected at most {} objects in the results", u32::MAX),
    )
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

/// What a level is, which decides the wrappers a reader may look through from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LevelKind {
    Top,
    InResult,
    InWorkerOutcome,
}

impl LevelKind {
    /// The kind of the level under the known wrapper `k`, if a reader may look through it.
    fn inner(self, k: usize) -> Option<LevelKind> {
        match (self, k) {
            (LevelKind::Top, RESULT) => Some(LevelKind::InResult),
            (LevelKind::Top | LevelKind::InResult, WORKER_OUTCOME) => {
                Some(LevelKind::InWorkerOutcome)
            }
            _ => None,
        }
    }
}

/// What a value turned out to be.
enum Seen<'de> {
    Absent,
    Bool(bool),
    Count(u64),
    Text(Cow<'de, str>),
    /// Anything else: its JSON text, when asked to rebuild it.
    Other(Option<Span>),
    Level(u32),
    /// Error entries: where the kept ones start, how many were kept, how many there were.
    Entries(u32, u32, u64),
}

/// Reads one value for a field: scalars as they are; an object as a level when `level` says
/// so, an array as error entries when `entries` says so; anything else rebuilt as text when
/// `rebuild` says so (for the error it is), skipped otherwise.
struct SeenSeed<'r, 'p> {
    reader: &'r mut Reader<'p>,
    /// The depth of the level holding the value.
    depth: usize,
    level: Option<LevelKind>,
    entries: bool,
    rebuild: bool,
}

impl<'de> DeserializeSeed<'de> for SeenSeed<'_, '_> {
    type Value = Seen<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SeenSeed<'_, '_> {
    type Value = Seen<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Seen<'de>, E> {
        Ok(Seen::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seen<'de>, E> {
        Ok(Seen::Count(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seen<'de>, E> {
        match u64::try_from(v) {
            Ok(n) => Ok(Seen::Count(n)),
            Err(_) => self.other(&v.to_string()),
        }
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Seen<'de>, E> {
        match u64::try_from(v) {
            Ok(n) => Ok(Seen::Count(n)),
            Err(_) => self.other(&v.to_string()),
        }
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Seen<'de>, E> {
        match u64::try_from(v) {
            Ok(n) => Ok(Seen::Count(n)),
            Err(_) => self.other(&v.to_string()),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seen<'de>, E> {
        self.other(&serde_json::to_string(&v).map_err(E::custom)?)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Seen<'de>, E> {
        Ok(Seen::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Seen<'de>, E> {
        Ok(Seen::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Seen<'de>, E> {
        Ok(Seen::Text(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Seen<'de>, E> {
        Ok(Seen::Absent)
    }
    fn visit_none<E: de::Error>(self) -> Result<Seen<'de>, E> {
        Ok(Seen::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Seen<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen<'de>, A::Error> {
        if self.entries {
            let (first, kept, count) = read_entries(self.reader, seq, self.depth + 1)?;
            return Ok(Seen::Entries(first, kept, count));
        }
        if !self.rebuild {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Seen::Other(None));
        }
        // Written straight into the buffer: the elements as they are, like any kept value.
        let reader = self.reader;
        let depth = self.depth + 1;
        reader.deepest = reader.deepest.max(depth);
        let start = reader.out.text.len();
        reader.out.text.push('[');
        loop {
            let comma = reader.out.text.len() > start + 1;
            if comma {
                reader.out.text.push(',');
            }
            let seed = RawSeed {
                reader: &mut *reader,
                enclosing: depth,
            };
            if seq.next_element_seed(seed)?.is_none() {
                if comma {
                    reader.out.text.pop();
                }
                break;
            }
        }
        reader.out.text.push(']');
        reader.span_from(start).map(|span| Seen::Other(Some(span)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen<'de>, A::Error> {
        if let Some(kind) = self.level {
            return self
                .reader
                .read_level(map, self.depth + 1, kind)
                .map(Seen::Level);
        }
        if !self.rebuild {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Seen::Other(None));
        }
        let reader = self.reader;
        let depth = self.depth + 1;
        reader.deepest = reader.deepest.max(depth);
        let start = reader.out.text.len();
        reader.out.text.push('{');
        while let Some(Key(key)) = map.next_key::<Key>()? {
            if reader.out.text.len() > start + 1 {
                reader.out.text.push(',');
            }
            reader.out.text.push_str(&json_string(&key));
            reader.out.text.push(':');
            map.next_value_seed(RawSeed {
                reader: &mut *reader,
                enclosing: depth,
            })?;
        }
        reader.out.text.push('}');
        reader.span_from(start).map(|span| Seen::Other(Some(span)))
    }
}

impl SeenSeed<'_, '_> {
    /// A value of another type, as JSON text (when asked to rebuild it).
    fn other<'de, E: de::Error>(self, text: &str) -> Result<Seen<'de>, E> {
        if !self.rebuild {
            return Ok(Seen::Other(None));
        }
        self.reader
            .keep_text(text)
            .map(|span| Seen::Other(Some(span)))
    }
}

/// Reads the entries of an `errors` array at `depth`: the first ones as text, up to the plan's
/// limit; returns where they start, how many were kept and how many there are.
fn read_entries<'de, A: SeqAccess<'de>>(
    reader: &mut Reader<'_>,
    mut seq: A,
    depth: usize,
) -> Result<(u32, u32, u64), A::Error> {
    reader.deepest = reader.deepest.max(depth);
    let limit = reader.plan.entry_limit(reader.kept);
    let first = reader.out.entries.len();
    let mut count = 0u64;
    loop {
        if reader.out.entries.len() - first < limit {
            let seed = RawSeed {
                reader: &mut *reader,
                enclosing: depth,
            };
            match seq.next_element_seed(seed)? {
                Some(span) => reader.out.entries.push(span),
                None => break,
            }
        } else if seq.next_element::<IgnoredAny>()?.is_none() {
            break;
        }
        count += 1;
    }
    let first = u32::try_from(first).map_err(|_| too_many::<A::Error>())?;
    let kept = reader.out.entries.len() as u32 - first;
    Ok((first, kept, count))
}

/// Reads a value's exact text into the buffer, `enclosing` levels deep in its result.
struct RawSeed<'r, 'p> {
    reader: &'r mut Reader<'p>,
    enclosing: usize,
}

impl<'de> DeserializeSeed<'de> for RawSeed<'_, '_> {
    type Value = Span;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Span, D::Error> {
        deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, self)
    }
}

impl<'de> Visitor<'de> for RawSeed<'_, '_> {
    type Value = Span;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Span, A::Error> {
        if map.next_key::<IgnoredAny>()?.is_none() {
            return Err(de::Error::custom(
                "expected a raw JSON value, found an empty map",
            ));
        }
        map.next_value_seed(RawText(self))
    }
}

/// The text of a raw value, borrowed from the input when it is text.
struct RawText<'r, 'p>(RawSeed<'r, 'p>);

impl<'de> DeserializeSeed<'de> for RawText<'_, '_> {
    type Value = Span;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Span, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for RawText<'_, '_> {
    type Value = Span;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the raw text of a JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Span, E> {
        let RawSeed { reader, enclosing } = self.0;
        reader.keep_raw(v, enclosing)
    }
}

/// Reads one step result: `null`, an object (a level), or anything else (kept for the error).
struct StepSeed<'r, 'p>(&'r mut Reader<'p>);

impl<'de> DeserializeSeed<'de> for StepSeed<'_, '_> {
    type Value = StepResult;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<StepResult, D::Error> {
        let reader = self.0;
        reader.deepest = 0;
        let seed = SeenSeed {
            reader: &mut *reader,
            depth: 0,
            level: Some(LevelKind::Top),
            entries: false,
            rebuild: true,
        };
        let result = match seed.deserialize(deserializer)? {
            Seen::Absent => StepResult::Null,
            Seen::Level(top) => StepResult::Object(top),
            other => StepResult::Odd(reader.keep_odd(other)?),
        };
        // The limit applies to each result as a whole, as it did when a result was kept as one
        // raw value.
        if reader.deepest > MAX_NESTING {
            return Err(coded(
                ErrorCode::NestingTooDeep,
                format_args!(
                    "expected JSON nested at most {MAX_NESTING} levels deep, found {} levels",
                    reader.deepest
                ),
            ));
        }
        if reader.plan.all_workers && reader.plan.limits_entries() {
            reader.count_kept(result);
        }
        Ok(result)
    }
}

/// Reads step results: an object `{step_name: result}` (duplicate names are an error), or,
/// when `listed` allows it, an array.
struct ResultsVisitor<'p> {
    plan: &'p ReadPlan,
    expecting: &'static str,
    listed: bool,
}

impl<'de> Visitor<'de> for ResultsVisitor<'_> {
    type Value = StepResults;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StepResults, A::Error> {
        let mut reader = Reader::new(self.plan);
        let mut names = SeenNames::default();
        while let Some(Key(name)) = map.next_key::<Key>()? {
            if !names.insert(&name, &reader.out) {
                return Err(duplicate_key(&name));
            }
            let kept = reader.keep_text(&name)?;
            let result = map.next_value_seed(StepSeed(&mut reader))?;
            reader.out.results.push((Some(kept), result));
        }
        Ok(reader.out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StepResults, A::Error> {
        if !self.listed {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut reader = Reader::new(self.plan);
        while let Some(result) = seq.next_element_seed(StepSeed(&mut reader))? {
            reader.out.results.push((None, result));
        }
        Ok(reader.out)
    }
}

/// Reads step results with a plan: `{step_name: result}` (a convergence step's dependency
/// results), or, when `listed`, worker results `{name: result}` or `[result]`.
pub(crate) struct ResultsSeed<'p> {
    pub(crate) plan: &'p ReadPlan,
    pub(crate) listed: bool,
}

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_> {
    type Value = StepResults;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<StepResults, D::Error> {
        if self.listed {
            deserializer.deserialize_any(ResultsVisitor {
                plan: self.plan,
                expecting: "worker results: an object {name: result} or an array [result]",
                listed: true,
            })
        } else {
            deserializer.deserialize_map(ResultsVisitor {
                plan: self.plan,
                expecting: "an object of step results {step_name: result}",
                listed: false,
            })
        }
    }
}

/// The step names read so far, to find one given twice.
///
/// While names come in increasing order (shorter first, then by bytes: the order of worker
/// names `{template}_{batch_id}`), each is new by being greater than the one before, and
/// nothing is hashed. From the first name out of order on, each name is hashed once (with the
/// standard library's keyed hasher) into a table of hashes and where each was first seen.
#[derive(Default)]
struct SeenNames {
    keys: RandomState,
    first: Option<HashMap<u64, usize, BuildHasherDefault<Prehashed>>>,
}

impl SeenNames {
    /// Notes the name of the next result of `results`; false if an earlier result has it.
    fn insert(&mut self, name: &str, results: &StepResults) -> bool {
        let next = results.len();
        let first = match &mut self.first {
            Some(first) => first,
            None => {
                let previous = next.checked_sub(1).and_then(|i| results.name(i));
                if previous.is_none_or(|p| (p.len(), p) < (name.len(), name)) {
                    return true;
                }
                let keys = &self.keys;
                self.first.insert(
                    (0..next)
                        .map(|i| (keys.hash_one(results.name(i).unwrap_or_default()), i))
                        .collect(),
                )
            }
        };
        match first.entry(self.keys.hash_one(name)) {
            Entry::Vacant(slot) => {
                slot.insert(next);
                true
            }
            Entry::Occupied(seen) if results.name(*seen.get()) == Some(name) => false,
            // Two names with one hash: compare with every name (practically never).
            Entry::Occupied(_) => (0..next).all(|i| results.name(i) != Some(name)),
        }
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl StepResults {
    /// How many results there are.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    /// The step name of result `i`; `None` when the results came as a list.
    pub fn name(&self, i: usize) -> Option<&str> {
        self.results[i].0.map(|span| self.text(span))
    }

    /// Where result `i` sits, the results being at `at`.
    pub(crate) fn path(&self, i: usize, at: &JsonPath) -> JsonPath {
        match self.name(i) {
            Some(name) => at.key(name),
            None => at.index(i),
        }
    }

    /// Whether result `i` is `null`.
    pub(crate) fn is_null(&self, i: usize) -> bool {
        self.results[i].1 == StepResult::Null
    }

    fn text(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    fn level(&self, index: u32) -> &Level {
        &self.levels[index as usize]
    }

    fn rare(&self, index: u32) -> Option<&Rare> {
        let rare = self.level(index).rare;
        (rare != NONE).then(|| &self.rare[rare as usize])
    }

    /// The text of field `f` of a level, which is of another type than the contract's.
    fn odd_text(&self, index: u32, f: usize) -> Span {
        self.rare(index)
            .map_or_else(Span::default, |rare| rare.odd[f])
    }

    fn count(&self, index: u32, k: usize) -> Count {
        let level = self.level(index);
        if level.bits & present(k) == 0 {
            Count::Absent
        } else if level.bits & odd(k) != 0 {
            Count::Odd(self.odd_text(index, k))
        } else {
            Count::Is(level.counts[k])
        }
    }

    fn errors(&self, index: u32) -> Entries {
        let level = self.level(index);
        if level.bits & present(ERRORS) == 0 {
            Entries::Absent
        } else if level.bits & odd(ERRORS) != 0 {
            Entries::Odd(self.odd_text(index, ERRORS))
        } else {
            let (first, kept) = level.entries;
            Entries::List {
                first,
                kept,
                count: level.entry_count,
            }
        }
    }

    fn success(&self, index: u32) -> Flag {
        let level = self.level(index);
        if level.bits & present(SUCCESS) == 0 {
            Flag::Absent
        } else if level.bits & odd(SUCCESS) != 0 {
            Flag::Odd(self.odd_text(index, SUCCESS))
        } else {
            Flag::Is(level.bits & SUCCESS_TRUE != 0)
        }
    }

    fn status(&self, index: u32) -> Status {
        let level = self.level(index);
        let bits = level.bits;
        if bits & present(STATUS) == 0 {
            Status::Absent
        } else if bits & odd(STATUS) != 0 {
            Status::Odd(level.status_text)
        } else if bits & STATUS_FAILED != 0 {
            Status::Failed
        } else if bits & STATUS_ERROR != 0 {
            Status::Error
        } else {
            Status::Other
        }
    }

    /// The level of the object under the known wrapper `k`, if a reader may look through it.
    fn wrapped(&self, index: u32, k: usize) -> Option<u32> {
        let inner = self.level(index).wrapped[k - RESULT];
        (inner != NONE).then_some(inner)
    }

    fn extras_of(&self, index: u32) -> impl Iterator<Item = &ExtraKey> + '_ {
        let (from, to) = self.level(index).extras;
        self.extras[from as usize..to as usize]
            .iter()
            .filter(move |e| e.level == index)
    }

    /// The value of the caller key `name` of a level (the first, if given twice), unless `null`.
    fn extra(&self, index: u32, name: &str) -> Option<&str> {
        self.extras_of(index)
            .find(|e| self.text(e.name) == name)
            .map(|e| self.text(e.value))
            .filter(|v| *v != "null")
    }

    /// Reads result `i` (the results being at `at`) with the unwrapping rule of the module
    /// docs: `Ok(None)` for `null`, a `type_mismatch` for anything but an object, an
    /// `invalid_value` for a key given twice among those the reader looks for.
    pub(crate) fn read<'a>(
        &'a self,
        i: usize,
        at: &JsonPath,
        looking: &Looking,
    ) -> Result<Option<Found<'a>>> {
        let top = match self.results[i].1 {
            StepResult::Null => return Ok(None),
            StepResult::Odd(span) => {
                return Err(Error::at(
                    ErrorCode::TypeMismatch,
                    &self.path(i, at),
                    format!(
                        "expected a step result object or null, found {}",
                        describe(self.text(span))
                    ),
                ))
            }
            StepResult::Object(top) => top,
        };
        let (level, via, repeated) = self.choose(top, looking);
        let found = Found {
            results: self,
            result: i,
            level,
            via,
        };
        if let Some(key) = repeated {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &found.path(at).key(key),
                format!("expected each key once, found `{key}` twice"),
            ));
        }
        Ok(Some(found))
    }

    /// The level a reader reads, the wrappers it went through to find it, and the first key of
    /// its own given twice at a level on the way (where it stops).
    fn choose(&self, top: u32, looking: &Looking) -> (u32, Via, Option<&str>) {
        let wrappers = looking.wrappers();
        let mut level = top;
        let mut via = Via::Top;
        let mut next = 0;
        loop {
            if let Some(key) = self.repeated(level, looking) {
                return (level, via, Some(key));
            }
            if self.has_any_field(level, looking) {
                break;
            }
            let inner = wrappers[next..]
                .iter()
                .enumerate()
                .find_map(|(i, &w)| self.wrapped(level, w).map(|inner| (i, w, inner)));
            let Some((i, wrapper, inner)) = inner else {
                break;
            };
            next += i + 1;
            level = inner;
            via = via.then(wrapper);
        }
        (level, via, None)
    }

    /// The first key the reader looks for that a level gives twice, by the repeat's position.
    fn repeated<'a>(&'a self, index: u32, looking: &Looking) -> Option<&'a str> {
        let mut first: Option<(u32, &str)> = None;
        let mut consider = |position: u32, name: &'a str| {
            if first.is_none_or(|(p, _)| position < p) {
                first = Some((position, name));
            }
        };
        if let Some(rare) = self.rare(index) {
            for &(position, k) in &rare.repeated {
                if looking.knows(k) {
                    consider(position, KNOWN[k]);
                }
            }
        }
        if let Looking::Worker(fields) = looking {
            for field in fields.iter().filter(|f| known(f).is_none()) {
                let mut given = self
                    .extras_of(index)
                    .filter(|e| self.text(e.name) == *field);
                if let (Some(_), Some(again)) = (given.next(), given.next()) {
                    consider(again.position, self.text(again.name));
                }
            }
        }
        first.map(|(_, name)| name)
    }

    fn has_any_field(&self, index: u32, looking: &Looking) -> bool {
        let bits = self.level(index).bits;
        match looking {
            Looking::Worker(fields) => {
                bits & (present(0) | present(1) | present(2) | present(3) | present(ERRORS)) != 0
                    || fields.iter().any(|f| self.present(index, f))
            }
            Looking::Failure => bits & (present(SUCCESS) | present(STATUS)) != 0,
            Looking::Step => self.outcome(index).is_some(),
        }
    }

    fn outcome(&self, index: u32) -> Option<Span> {
        self.rare(index).and_then(|rare| rare.outcome)
    }

    /// Whether a level has `name` (not `null`).
    fn present(&self, index: u32, name: &str) -> bool {
        match known(name) {
            Some(f @ 0..=STATUS) => self.level(index).bits & present(f) != 0,
            Some(OUTCOME) => self.outcome(index).is_some(),
            Some(k) if self.wrapped(index, k).is_some() => true,
            _ => self.extra(index, name).is_some(),
        }
    }

    /// The JSON text of the field `name` of a level (not `null`), for a reducer. Only caller
    /// keys and error entries are kept as written; other values are written from what was
    /// read, which is the same text for every value that has the type the contract gives it.
    fn field_text(&self, index: u32, name: &str) -> Option<Cow<'_, str>> {
        let odd = |span: Span| Some(Cow::Borrowed(self.text(span)));
        match known(name) {
            Some(k @ 0..=3) => match self.count(index, k) {
                Count::Absent => None,
                Count::Is(n) => Some(Cow::Owned(n.to_string())),
                Count::Odd(span) => odd(span),
            },
            Some(ERRORS) => match self.errors(index) {
                Entries::Absent => None,
                Entries::List { first, kept, .. } => {
                    let entries = &self.entries[first as usize..(first + kept) as usize];
                    let mut text = String::from("[");
                    for (n, entry) in entries.iter().enumerate() {
                        if n > 0 {
                            text.push(',');
                        }
                        text.push_str(self.text(*entry));
                    }
                    text.push(']');
                    Some(Cow::Owned(text))
                }
                Entries::Odd(span) => odd(span),
            },
            Some(SUCCESS) => match self.success(index) {
                Flag::Absent => None,
                Flag::Is(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
                Flag::Odd(span) => odd(span),
            },
            Some(STATUS) => match self.status(index) {
                Status::Absent => None,
                // Kept as written whenever a reducer may read it (see the plan).
                _ if self.level(index).bits & STATUS_TEXT != 0 => {
                    odd(self.level(index).status_text)
                }
                Status::Failed => Some(Cow::Borrowed(r#""failed""#)),
                Status::Error => Some(Cow::Borrowed(r#""error""#)),
                Status::Other => Some(Cow::Borrowed(r#""""#)),
                Status::Odd(span) => odd(span),
            },
            Some(OUTCOME) => self.outcome(index).and_then(odd),
            Some(k) => match self.wrapped(index, k) {
                Some(inner) => Some(Cow::Owned(self.rebuild(inner))),
                None => self.extra(index, name).map(Cow::Borrowed),
            },
            None => self.extra(index, name).map(Cow::Borrowed),
        }
    }

    /// The JSON text of a wrapper object, from what was read of it: its keys in order, caller
    /// keys as written, the known fields as [`Self::field_text`] writes them.
    fn rebuild(&self, index: u32) -> String {
        let (from, to) = self.level(index).order;
        let mut text = String::from("{");
        let order = &self.order[from as usize..to as usize];
        for (_, key) in order.iter().filter(|(l, _)| *l == index) {
            if text.len() > 1 {
                text.push(',');
            }
            match *key {
                KeyRef::Known(k) => {
                    text.push_str(&json_string(KNOWN[k]));
                    text.push(':');
                    text.push_str(&self.field_text(index, KNOWN[k]).unwrap_or("null".into()));
                }
                KeyRef::Extra(e) => {
                    let extra = &self.extras[e as usize];
                    text.push_str(&json_string(self.text(extra.name)));
                    text.push(':');
                    text.push_str(self.text(extra.value));
                }
            }
        }
        text.push('}');
        text
    }
}

/// A reader of step results: the fields it looks for decide where it reads a result.
pub(crate) enum Looking<'f> {
    /// The aggregation: the counters, `errors` and the reducers' fields.
    Worker(&'f [String]),
    /// Convergence's failure check: `success` and `status`.
    Failure,
    /// Detection: the batchable step's `batch_processing_outcome`.
    Step,
}

impl Looking<'_> {
    fn wrappers(&self) -> &'static [usize] {
        match self {
            Looking::Step => &[RESULT],
            Looking::Worker(_) | Looking::Failure => &[RESULT, WORKER_OUTCOME],
        }
    }

    /// Whether the known name `k` is one this reader looks for (a field or a wrapper).
    fn knows(&self, k: usize) -> bool {
        self.wrappers().contains(&k)
            || match self {
                Looking::Worker(fields) => k <= ERRORS || fields.iter().any(|f| f == KNOWN[k]),
                Looking::Failure => k == SUCCESS || k == STATUS,
                Looking::Step => k == OUTCOME,
            }
    }
}

/// The wrappers a reader went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Top,
    Result,
    ResultWorkerOutcome,
    WorkerOutcome,
}

impl Via {
    fn then(self, wrapper: usize) -> Via {
        match (self, wrapper) {
            (Via::Top, RESULT) => Via::Result,
            (Via::Result, _) => Via::ResultWorkerOutcome,
            _ => Via::WorkerOutcome,
        }
    }

    fn wrappers(self) -> &'static [&'static str] {
        match self {
            Via::Top => &[],
            Via::Result => STEP_WRAPPERS,
            Via::ResultWorkerOutcome => WORKER_WRAPPERS,
            Via::WorkerOutcome => &WORKER_WRAPPERS[1..],
        }
    }
}

/// The level a reader chose in one result.
pub(crate) struct Found<'a> {
    results: &'a StepResults,
    result: usize,
    level: u32,
    via: Via,
}

impl<'a> Found<'a> {
    /// Where the level sits: the result's path plus the wrappers (the results being at `at`).
    pub(crate) fn path(&self, at: &JsonPath) -> JsonPath {
        let mut path = self.results.path(self.result, at);
        for wrapper in self.via.wrappers() {
            path = path.key(wrapper);
        }
        path
    }

    /// The four counters, in the order of the contract.
    pub(crate) fn counts(&self) -> [Counted<'a>; 4] {
        let level = self.results.level(self.level);
        let all = present(0) | present(1) | present(2) | present(3);
        if level.bits & all == all && level.bits & (all << 8) == 0 {
            return level.counts.map(Counted::Is);
        }
        [0, 1, 2, 3].map(|k| match self.results.count(self.level, k) {
            Count::Absent => Counted::Absent,
            Count::Is(n) => Counted::Is(n),
            Count::Odd(span) => Counted::Odd(self.results.text(span)),
        })
    }

    /// `errors`: absent, the entries kept (as text) and how many there are, or another value.
    pub(crate) fn errors(&self) -> Option<std::result::Result<(ErrorEntries<'a>, u64), &'a str>> {
        match self.results.errors(self.level) {
            Entries::Absent => None,
            Entries::List { first, kept, count } => Some(Ok((
                ErrorEntries {
                    results: self.results,
                    spans: &self.results.entries[first as usize..(first + kept) as usize],
                },
                count,
            ))),
            Entries::Odd(span) => Some(Err(self.results.text(span))),
        }
    }

    /// `success`: absent, a boolean, or another value's text.
    pub(crate) fn success(&self) -> Option<std::result::Result<bool, &'a str>> {
        match self.results.success(self.level) {
            Flag::Absent => None,
            Flag::Is(b) => Some(Ok(b)),
            Flag::Odd(span) => Some(Err(self.results.text(span))),
        }
    }

    /// `status`: absent, `Ok(Some("failed" | "error"))`, `Ok(None)` for another string, or
    /// another value's text.
    pub(crate) fn status(&self) -> Option<std::result::Result<Option<&'static str>, &'a str>> {
        match self.results.status(self.level) {
            Status::Absent => None,
            Status::Failed => Some(Ok(Some("failed"))),
            Status::Error => Some(Ok(Some("error"))),
            Status::Other => Some(Ok(None)),
            Status::Odd(span) => Some(Err(self.results.text(span))),
        }
    }

    /// `batch_processing_outcome`'s text, unless absent or `null`.
    pub(crate) fn outcome(&self) -> Option<&'a str> {
        self.results
            .outcome(self.level)
            .map(|span| self.results.text(span))
    }

    /// The text of field `name` (not `null`), for a reducer.
    pub(crate) fn field_text(&self, name: &str) -> Option<Cow<'a, str>> {
        self.results.field_text(self.level, name)
    }
}

/// A counter as a reader finds it.
pub(crate) enum Counted<'a> {
    Absent,
    Is(u64),
    /// A value of another type: its JSON text.
    Odd(&'a str),
}

/// The error entries kept of one `errors` array, as text.
#[derive(Clone, Copy)]
pub(crate) struct ErrorEntries<'a> {
    results: &'a StepResults,
    spans: &'a [Span],
}

impl<'a> ErrorEntries<'a> {
    /// The entries, in order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let results = self.results;
        self.spans.iter().map(move |span| results.text(*span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{from_json, RawJson};

    mod reading_results {
        use super::*;

        fn read(
            text: &str,
            fields: &[&str],
            wrappers: &'static [&'static str],
        ) -> Result<Option<(String, Vec<Option<String>>)>> {
            let raw: RawJson = from_json(text).unwrap();
            let shape = ResultShape::new(fields.iter().copied(), wrappers);
            let read = read_result(&raw.0, JsonPath::root().key("r"), &shape)?;
            Ok(read.map(|f| {
                let values = fields
                    .iter()
                    .map(|n| f.get(n).map(|v| v.get().to_owned()))
                    .collect();
                (f.path.to_string(), values)
            }))
        }

        #[test]
        fn unwraps_result_only_when_the_top_level_has_none_of_the_fields() {
            let (path, values) = read(r#"{"result":{"a":1}}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!(
                (path.as_str(), values),
                ("r.result", vec![Some("1".to_owned())])
            );
            let (path, values) = read(r#"{"a":2,"result":{"a":1}}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!((path.as_str(), values), ("r", vec![Some("2".to_owned())]));
            let (path, _) = read(r#"{"a":null,"result":{"a":1}}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!(path, "r.result", "a null field counts as absent");
            let (path, _) = read(r#"{"result":[1]}"#, &["a"], STEP_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!(path, "r", "only an object is unwrapped");
        }

        #[test]
        fn worker_results_look_through_both_wrappers_once_each() {
            let (path, values) = read(
                r#"{"result":{"batch_worker_outcome":{"items_processed":3}}}"#,
                &["items_processed"],
                WORKER_WRAPPERS,
            )
            .unwrap()
            .unwrap();
            assert_eq!(
                (path.as_str(), values),
                ("r.result.batch_worker_outcome", vec![Some("3".to_owned())])
            );
            let (path, values) = read(r#"{"result":{"result":{"a":1}}}"#, &["a"], WORKER_WRAPPERS)
                .unwrap()
                .unwrap();
            assert_eq!((path.as_str(), values), ("r.result", vec![None]));
        }

        #[test]
        fn null_is_none_and_other_types_are_errors() {
            assert!(read("null", &["a"], STEP_WRAPPERS).unwrap().is_none());
            let err = read("7", &["a"], STEP_WRAPPERS).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::TypeMismatch, "r")
            );
            let err = read(r#"{"a":1,"a":2}"#, &["a"], STEP_WRAPPERS).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::InvalidValue, "r.a")
            );
        }
    }

    mod reading_once {
        use super::*;

        fn read_all(text: &str, plan: &ReadPlan) -> StepResults {
            let mut de = serde_json::Deserializer::from_str(text);
            let seed = ResultsSeed {
                plan,
                listed: false,
            };
            seed.deserialize(&mut de).unwrap()
        }

        /// What a reader found: the level's path and the text of each of `fields`, or the
        /// error's code and path.
        type Read = std::result::Result<Option<(String, Vec<Option<String>>)>, (ErrorCode, String)>;

        fn by_text(result: &str, fields: &[&str], wrappers: &'static [&'static str]) -> Read {
            let raw: RawJson = from_json(result).unwrap();
            let shape = ResultShape::new(fields.iter().copied(), wrappers);
            match read_result(&raw.0, JsonPath::root().key("r"), &shape) {
                Ok(read) => Ok(read.map(|f| {
                    let values = fields
                        .iter()
                        .map(|n| f.get(n).map(|v| v.get().to_owned()))
                        .collect();
                    (f.path.to_string(), values)
                })),
                Err(e) => Err((e.code, e.path)),
            }
        }

        fn once(result: &str, fields: &[&str], looking: &Looking, plan: &ReadPlan) -> Read {
            let results = read_all(&format!(r#"{{"r":{result}}}"#), plan);
            match results.read(0, &JsonPath::root(), looking) {
                Ok(read) => Ok(read.map(|f| {
                    let values = fields
                        .iter()
                        .map(|n| f.field_text(n).map(Cow::into_owned))
                        .collect();
                    (f.path(&JsonPath::root()).to_string(), values)
                })),
                Err(e) => Err((e.code, e.path)),
            }
        }

        #[test]
        fn each_reader_finds_what_it_finds_in_the_results_text() {
            let results = [
                r#"{"items_processed":1}"#,
                r#"{"result":{"items_processed":1}}"#,
                r#"{"items_processed":null,"result":{"items_processed":1}}"#,
                r#"{"result":[1],"batch_worker_outcome":{"items_failed":2}}"#,
                r#"{"result":{"batch_worker_outcome":{"items_processed":3}}}"#,
                r#"{"result":{"result":{"items_processed":1}}}"#,
                r#"{"result":{},"batch_worker_outcome":{"items_processed":1}}"#,
                r#"{"batch_worker_outcome":{"result":{"items_processed":1}}}"#,
                r#"{"success":false,"result":{"items_processed":5}}"#,
                r#"{"result":{"status":"failed","success":true}}"#,
                r#"{"status":null,"result":{"status":"error"}}"#,
                r#"{"result":{"batch_processing_outcome":{"type":"no_batches"}}}"#,
                r#"{"batch_processing_outcome":{"type":"no_batches"},"result":{"batch_processing_outcome":1}}"#,
                r#"{"a":1,"a":2,"items_failed":[1]}"#,
                r#"{"items_processed":1,"items_processed":2}"#,
                r#"{"result":{"success":1,"success":2}}"#,
                r#"{"result":{"result":1,"result":2},"amount":3}"#,
                r#"{"amount":1,"result":{"amount":2,"errors":["x",{"y":[]}]}}"#,
                r#"{"result":{"amount":1,"amount":2}}"#,
                r#"{"errors":"none","result":{"errors":[]}}"#,
                r#"{"result":{"errors":[1,2],"items_skipped":"7"}}"#,
                "{}",
                "null",
                "7",
                r#""done""#,
                "[1,[2]]",
            ];
            let worker = [
                "items_processed",
                "items_succeeded",
                "items_failed",
                "items_skipped",
                "errors",
            ];
            let with_amount = [&worker[..], &["amount"]].concat();
            let amount = ["amount".to_owned()];
            let failure = ["success", "status"];
            let step = ["batch_processing_outcome"];
            for plan in [
                ReadPlan::new(None, None, false),
                ReadPlan::new(Some(vec!["amount".to_owned()]), Some(1), true),
            ] {
                for result in results {
                    for (fields, wrappers, looking) in [
                        (&worker[..], WORKER_WRAPPERS, Looking::Worker(&[])),
                        (&with_amount[..], WORKER_WRAPPERS, Looking::Worker(&amount)),
                        (&failure[..], WORKER_WRAPPERS, Looking::Failure),
                        (&step[..], STEP_WRAPPERS, Looking::Step),
                    ] {
                        let mut expected = by_text(result, fields, wrappers);
                        // Entries past max_errors are counted, not kept.
                        if let (Some(1), Ok(Some((_, values)))) = (plan.max_errors, &mut expected) {
                            for (field, value) in fields.iter().zip(values) {
                                if *field == "errors"
                                    && value.as_deref().is_some_and(|v| v.starts_with('['))
                                {
                                    let all: Vec<serde_json::Value> =
                                        serde_json::from_str(value.as_deref().unwrap()).unwrap();
                                    let first: Vec<_> = all.into_iter().take(1).collect();
                                    *value = Some(serde_json::to_string(&first).unwrap());
                                }
                            }
                        }
                        assert_eq!(
                            once(result, fields, &looking, &plan),
                            expected,
                            "{result} read for {fields:?} with {plan:?}"
                        );
                    }
                }
            }
        }

        #[test]
        fn step_names_given_twice_are_found_in_any_order() {
            let plan = ReadPlan::default();
            for (text, twice) in [
                (r#"{"a":1,"b":2,"c":3}"#, None),
                (r#"{"w_999":1,"w_1000":2,"w_1001":3}"#, None),
                (r#"{"b":1,"a":2,"c":3,"a":4}"#, Some("a")),
                (r#"{"a":1,"b":2,"b":3}"#, Some("b")),
                (r#"{"a":1,"b":2,"a":3}"#, Some("a")),
                (r#"{"x":1,"x":2}"#, Some("x")),
            ] {
                let mut de = serde_json::Deserializer::from_str(text);
                let seed = ResultsSeed {
                    plan: &plan,
                    listed: false,
                };
                let read = seed.deserialize(&mut de);
                match twice {
                    None => assert!(read.is_ok(), "{text}"),
                    Some(name) => {
                        let message = read.unwrap_err().to_string();
                        assert!(
                            message.contains(&format!("`{name}` twice")),
                            "{text}: {message}"
                        );
                    }
                }
            }
        }

        #[test]
        fn a_kept_value_nested_too_deep_is_an_error_at_its_result() {
            let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
            let request = |value: &str| {
                format!(r#"{{"batch_results":{{"w":{{"errors":[{value}]}}}},"max_errors":0}}"#)
            };
            // The result (1), its errors (2) and the entry (127): as deep as a result may be.
            assert!(from_json::<crate::aggregation::AggregateRequest>(&request(
                &deep[1..deep.len() - 1]
            ))
            .is_ok());
            let err =
                from_json::<crate::aggregation::AggregateRequest>(&request(&deep)).unwrap_err();
            assert_eq!(
                (err.code, err.path.as_str()),
                (ErrorCode::NestingTooDeep, "batch_results.w")
            );
        }
    }
}
