//! The one-pass reader: step results read while the request is parsed, straight into the
//! compact form of [`super::store`].
//!
//! `aggregate` and `converge` read each result in the pass that parses the request: the result
//! object and each wrapper object a reader may look through ([`super::rule`]) become a `Level`
//! (counters as integers, `success` and `status` as what they say, error entries and caller
//! keys as exact text in one buffer shared by all the results of the request). Nothing is
//! judged while reading: a problem in a result (a counter that is a string, a key given twice)
//! is an error only if an operation reads that field of that result, at the level the rule
//! chooses, in the order the operation reads them, exactly as if the result were read on its
//! own.
//!
//! What differs from keeping each result whole, all in inputs that are errors or nearly so:
//! a value the read skips (a caller key no reducer reads, an error entry past `max_errors`) is
//! not checked for nesting, as it is never parsed; a value of the wrong type is quoted in its
//! error as it was read, not as written (serde_json hands `1E2`, `-0` and integers beyond 64
//! bits over as floats; a string is quoted with minimal escapes), and so is one inside a
//! wrapper object rebuilt for a reducer on `result` or `batch_worker_outcome` given after the
//! results; a number beyond the range of f64 (`1e400`) in a counter, `success`, `status` or
//! `errors` is `invalid_json` when the request is read, as it is anywhere else serde_json reads
//! a number.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{ErrorCode, Result};
use crate::input::{coded, duplicate_key, from_json, push_minified};
use crate::input::{too_deep_message, Key, MAX_NESTING, RAW_VALUE_TOKEN};

use super::fields::Fields;
use super::names::UniqueNames;
use super::rule::{self, Looking, Route};
use super::store::{self, Entries, ExtraKey, KeyRef, Level, Rare, Span, StepResult, StepResults};
use super::store::{json_string, known, present, ERRORS, OUTCOME, STATUS, SUCCESS};

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
    fields: Option<Fields>,
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
            fields: fields.map(Fields::new),
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
            .is_none_or(|fields| fields.contains(name))
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
        route: Route,
    ) -> Result<u32, A::Error> {
        self.deepest = self.deepest.max(depth);
        let index = self.out.levels.len();
        let id = u32::try_from(index).map_err(|_| too_many::<A::Error>())?;
        self.out.levels.push(Level::default());
        let extras_from = self.out.extras.len() as u32;
        let order_from = self.out.order.len() as u32;
        let mut level = Level::default();
        let mut rare: Option<Rare> = None;
        let rebuildable = route != Route::TOP && self.plan.may_rebuild;
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
                        _ => match store::wrapper(k).filter(|w| route.may_enter(*w)) {
                            Some(wrapper) => {
                                let keep = rebuildable || self.plan.may_reduce(&key);
                                let seed = SeenSeed {
                                    reader: self,
                                    depth,
                                    level: Some(route.enter(wrapper)),
                                    entries: false,
                                    rebuild: keep,
                                };
                                match map.next_value_seed(seed)? {
                                    Seen::Absent => {}
                                    Seen::Level(inner) => level.wrapped[wrapper as usize] = inner,
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
        let level = rule::choose(&self.out, top, Looking::Worker(fields)).object;
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
    /// Read an object as a level reached by this route.
    level: Option<Route>,
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
        if let Some(route) = self.level {
            return self
                .reader
                .read_level(map, self.depth + 1, route)
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

/// Reads a value's exact text into the buffer, `enclosing` levels deep in its result. Asking
/// for the raw-value protocol directly ([`RAW_VALUE_TOKEN`]) lets the text be borrowed from the
/// input when the input is text, where `Box<RawValue>` would copy it.
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
            level: Some(Route::TOP),
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
            return Err(coded(ErrorCode::NestingTooDeep, too_deep_message()));
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
        let mut names = UniqueNames::default();
        while let Some(Key(name)) = map.next_key::<Key>()? {
            let out = &reader.out;
            if !names.insert(&name, out.len(), |i| out.name(i).unwrap_or_default()) {
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

/// One step result read on its own, from its text, with the plan that keeps least: what
/// detection reads of a batchable step's result kept as text.
struct OneResult(StepResults);

impl<'de> Deserialize<'de> for OneResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let plan = ReadPlan::new(Some(Vec::new()), Some(0), false);
        let mut reader = Reader::new(&plan);
        let result = StepSeed(&mut reader).deserialize(deserializer)?;
        reader.out.results.push((None, result));
        reader.out.one = true;
        Ok(OneResult(reader.out))
    }
}

impl StepResults {
    /// One step result, read from its exact text (as [`crate::input::RawJson`] keeps it): a
    /// [`StepResults`] of one result whose path is the path it is read at.
    pub(crate) fn one(raw: &RawValue) -> Result<StepResults> {
        let text = raw.get();
        if !text.starts_with(['{', 'n']) {
            // Not an object: kept as written, for the error it is when read.
            let mut out = StepResults {
                one: true,
                text: text.to_owned(),
                ..StepResults::default()
            };
            let span = Span {
                start: 0,
                end: text.len() as u32,
            };
            out.results.push((None, StepResult::Odd(span)));
            return Ok(out);
        }
        from_json::<OneResult>(text).map(|one| one.0)
    }

    /// One result read on its own from its exact text with `plan` (a reducer's fields kept),
    /// its path being the path it is read at: a superseded parent's `accumulated_results`.
    pub(crate) fn one_with(raw: &RawValue, plan: &ReadPlan) -> Result<StepResults> {
        let mut reader = Reader::new(plan);
        let mut de = serde_json::Deserializer::from_str(raw.get());
        let result = StepSeed(&mut reader)
            .deserialize(&mut de)
            .map_err(|e| crate::input::seeded_error(&e))?;
        reader.out.results.push((None, result));
        reader.out.one = true;
        Ok(reader.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::input::RawJson;
    use crate::path::JsonPath;

    fn read_all(text: &str, plan: &ReadPlan) -> StepResults {
        let mut de = serde_json::Deserializer::from_str(text);
        let seed = ResultsSeed {
            plan,
            listed: false,
        };
        seed.deserialize(&mut de).unwrap()
    }

    const WORKER: [&str; 5] = [
        "items_processed",
        "items_succeeded",
        "items_failed",
        "items_skipped",
        "errors",
    ];

    /// What `reader` finds in `result` (read as the step `r`): the object's path and the text
    /// of each of its fields (`-`: absent), `null`, or the error's code and path.
    fn found(result: &str, reader: &str, plan: &ReadPlan) -> String {
        let results = read_all(&format!(r#"{{"r":{result}}}"#), plan);
        let amount = Fields::new(vec!["amount".to_owned()]);
        let (fields, looking): (Vec<&str>, Looking) = match reader {
            "worker" => (
                WORKER.to_vec(),
                Looking::Worker(&crate::step_results::NO_FIELDS),
            ),
            "amount" => (
                [&WORKER[..], &["amount"]].concat(),
                Looking::Worker(&amount),
            ),
            "failure" => (vec!["success", "status"], Looking::Failure),
            _ => (vec!["batch_processing_outcome"], Looking::Step),
        };
        let root = JsonPath::root();
        let found = match results.read(0, &root, looking) {
            Ok(None) => return "null".to_owned(),
            Ok(Some(found)) => found,
            Err(e) => return format!("{} at {}", e.code, e.path),
        };
        let values: Vec<String> = fields
            .iter()
            .map(|f| {
                found
                    .field_text(f)
                    .unwrap()
                    .map_or("-".into(), |v| v.into_owned())
            })
            .collect();
        format!("{} {}", found.path(), values.join(" "))
    }

    /// Each reader, in each result, finds what the rule says (paths with the wrappers looked
    /// through), with either plan: everything kept, or only the reducers' fields and the first
    /// error entry. (Ported from the comparison with the reader of results kept as text that
    /// this reader replaced: same objects, same values, same errors.)
    #[test]
    fn every_reader_finds_the_object_the_rule_chooses() {
        let table = [
            (r#"{"items_processed":1}"#, "worker", r#"r 1 - - - -"#),
            (r#"{"items_processed":1}"#, "amount", r#"r 1 - - - - -"#),
            (r#"{"items_processed":1}"#, "failure", r#"r - -"#),
            (r#"{"items_processed":1}"#, "step", r#"r -"#),
            (
                r#"{"result":{"items_processed":1}}"#,
                "worker",
                r#"r.result 1 - - - -"#,
            ),
            (
                r#"{"result":{"items_processed":1}}"#,
                "amount",
                r#"r.result 1 - - - - -"#,
            ),
            (
                r#"{"result":{"items_processed":1}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"result":{"items_processed":1}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"items_processed":null,"result":{"items_processed":1}}"#,
                "worker",
                r#"r.result 1 - - - -"#,
            ),
            (
                r#"{"items_processed":null,"result":{"items_processed":1}}"#,
                "amount",
                r#"r.result 1 - - - - -"#,
            ),
            (
                r#"{"items_processed":null,"result":{"items_processed":1}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"items_processed":null,"result":{"items_processed":1}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":[1],"batch_worker_outcome":{"items_failed":2}}"#,
                "worker",
                r#"r.batch_worker_outcome - - 2 - -"#,
            ),
            (
                r#"{"result":[1],"batch_worker_outcome":{"items_failed":2}}"#,
                "amount",
                r#"r.batch_worker_outcome - - 2 - - -"#,
            ),
            (
                r#"{"result":[1],"batch_worker_outcome":{"items_failed":2}}"#,
                "failure",
                r#"r.batch_worker_outcome - -"#,
            ),
            (
                r#"{"result":[1],"batch_worker_outcome":{"items_failed":2}}"#,
                "step",
                r#"r -"#,
            ),
            (
                r#"{"result":{"batch_worker_outcome":{"items_processed":3}}}"#,
                "worker",
                r#"r.result.batch_worker_outcome 3 - - - -"#,
            ),
            (
                r#"{"result":{"batch_worker_outcome":{"items_processed":3}}}"#,
                "amount",
                r#"r.result.batch_worker_outcome 3 - - - - -"#,
            ),
            (
                r#"{"result":{"batch_worker_outcome":{"items_processed":3}}}"#,
                "failure",
                r#"r.result.batch_worker_outcome - -"#,
            ),
            (
                r#"{"result":{"batch_worker_outcome":{"items_processed":3}}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":{"result":{"items_processed":1}}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"result":{"result":{"items_processed":1}}}"#,
                "amount",
                r#"r.result - - - - - -"#,
            ),
            (
                r#"{"result":{"result":{"items_processed":1}}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"result":{"result":{"items_processed":1}}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":{},"batch_worker_outcome":{"items_processed":1}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"result":{},"batch_worker_outcome":{"items_processed":1}}"#,
                "amount",
                r#"r.result - - - - - -"#,
            ),
            (
                r#"{"result":{},"batch_worker_outcome":{"items_processed":1}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"result":{},"batch_worker_outcome":{"items_processed":1}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"batch_worker_outcome":{"result":{"items_processed":1}}}"#,
                "worker",
                r#"r.batch_worker_outcome - - - - -"#,
            ),
            (
                r#"{"batch_worker_outcome":{"result":{"items_processed":1}}}"#,
                "amount",
                r#"r.batch_worker_outcome - - - - - -"#,
            ),
            (
                r#"{"batch_worker_outcome":{"result":{"items_processed":1}}}"#,
                "failure",
                r#"r.batch_worker_outcome - -"#,
            ),
            (
                r#"{"batch_worker_outcome":{"result":{"items_processed":1}}}"#,
                "step",
                r#"r -"#,
            ),
            (
                r#"{"success":false,"result":{"items_processed":5}}"#,
                "worker",
                r#"r.result 5 - - - -"#,
            ),
            (
                r#"{"success":false,"result":{"items_processed":5}}"#,
                "amount",
                r#"r.result 5 - - - - -"#,
            ),
            (
                r#"{"success":false,"result":{"items_processed":5}}"#,
                "failure",
                r#"r false -"#,
            ),
            (
                r#"{"success":false,"result":{"items_processed":5}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":{"status":"failed","success":true}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"result":{"status":"failed","success":true}}"#,
                "amount",
                r#"r.result - - - - - -"#,
            ),
            (
                r#"{"result":{"status":"failed","success":true}}"#,
                "failure",
                r#"r.result true "failed""#,
            ),
            (
                r#"{"result":{"status":"failed","success":true}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"status":null,"result":{"status":"error"}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"status":null,"result":{"status":"error"}}"#,
                "amount",
                r#"r.result - - - - - -"#,
            ),
            (
                r#"{"status":null,"result":{"status":"error"}}"#,
                "failure",
                r#"r.result - "error""#,
            ),
            (
                r#"{"status":null,"result":{"status":"error"}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":{"batch_processing_outcome":{"type":"no_batches"}}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"result":{"batch_processing_outcome":{"type":"no_batches"}}}"#,
                "amount",
                r#"r.result - - - - - -"#,
            ),
            (
                r#"{"result":{"batch_processing_outcome":{"type":"no_batches"}}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"result":{"batch_processing_outcome":{"type":"no_batches"}}}"#,
                "step",
                r#"r.result {"type":"no_batches"}"#,
            ),
            (
                r#"{"batch_processing_outcome":{"type":"no_batches"},"result":{"batch_processing_outcome":1}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"batch_processing_outcome":{"type":"no_batches"},"result":{"batch_processing_outcome":1}}"#,
                "amount",
                r#"r.result - - - - - -"#,
            ),
            (
                r#"{"batch_processing_outcome":{"type":"no_batches"},"result":{"batch_processing_outcome":1}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"batch_processing_outcome":{"type":"no_batches"},"result":{"batch_processing_outcome":1}}"#,
                "step",
                r#"r {"type":"no_batches"}"#,
            ),
            (
                r#"{"a":1,"a":2,"items_failed":[1]}"#,
                "worker",
                r#"r - - [1] - -"#,
            ),
            (
                r#"{"a":1,"a":2,"items_failed":[1]}"#,
                "amount",
                r#"r - - [1] - - -"#,
            ),
            (r#"{"a":1,"a":2,"items_failed":[1]}"#, "failure", r#"r - -"#),
            (r#"{"a":1,"a":2,"items_failed":[1]}"#, "step", r#"r -"#),
            (
                r#"{"items_processed":1,"items_processed":2}"#,
                "worker",
                r#"invalid_value at r.items_processed"#,
            ),
            (
                r#"{"items_processed":1,"items_processed":2}"#,
                "amount",
                r#"invalid_value at r.items_processed"#,
            ),
            (
                r#"{"items_processed":1,"items_processed":2}"#,
                "failure",
                r#"r - -"#,
            ),
            (
                r#"{"items_processed":1,"items_processed":2}"#,
                "step",
                r#"r -"#,
            ),
            (
                r#"{"result":{"success":1,"success":2}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"result":{"success":1,"success":2}}"#,
                "amount",
                r#"r.result - - - - - -"#,
            ),
            (
                r#"{"result":{"success":1,"success":2}}"#,
                "failure",
                r#"invalid_value at r.result.success"#,
            ),
            (
                r#"{"result":{"success":1,"success":2}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":{"result":1,"result":2},"amount":3}"#,
                "worker",
                r#"invalid_value at r.result.result"#,
            ),
            (
                r#"{"result":{"result":1,"result":2},"amount":3}"#,
                "amount",
                r#"r - - - - - 3"#,
            ),
            (
                r#"{"result":{"result":1,"result":2},"amount":3}"#,
                "failure",
                r#"invalid_value at r.result.result"#,
            ),
            (
                r#"{"result":{"result":1,"result":2},"amount":3}"#,
                "step",
                r#"invalid_value at r.result.result"#,
            ),
            (
                r#"{"amount":1,"result":{"amount":2,"errors":["x",{"y":[]}]}}"#,
                "worker",
                r#"r.result - - - - ["x",{"y":[]}]"#,
            ),
            (
                r#"{"amount":1,"result":{"amount":2,"errors":["x",{"y":[]}]}}"#,
                "amount",
                r#"r - - - - - 1"#,
            ),
            (
                r#"{"amount":1,"result":{"amount":2,"errors":["x",{"y":[]}]}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"amount":1,"result":{"amount":2,"errors":["x",{"y":[]}]}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":{"amount":1,"amount":2}}"#,
                "worker",
                r#"r.result - - - - -"#,
            ),
            (
                r#"{"result":{"amount":1,"amount":2}}"#,
                "amount",
                r#"invalid_value at r.result.amount"#,
            ),
            (
                r#"{"result":{"amount":1,"amount":2}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"result":{"amount":1,"amount":2}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"errors":"none","result":{"errors":[]}}"#,
                "worker",
                r#"r - - - - "none""#,
            ),
            (
                r#"{"errors":"none","result":{"errors":[]}}"#,
                "amount",
                r#"r - - - - "none" -"#,
            ),
            (
                r#"{"errors":"none","result":{"errors":[]}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"errors":"none","result":{"errors":[]}}"#,
                "step",
                r#"r.result -"#,
            ),
            (
                r#"{"result":{"errors":[1,2],"items_skipped":"7"}}"#,
                "worker",
                r#"r.result - - - "7" [1,2]"#,
            ),
            (
                r#"{"result":{"errors":[1,2],"items_skipped":"7"}}"#,
                "amount",
                r#"r.result - - - "7" [1,2] -"#,
            ),
            (
                r#"{"result":{"errors":[1,2],"items_skipped":"7"}}"#,
                "failure",
                r#"r.result - -"#,
            ),
            (
                r#"{"result":{"errors":[1,2],"items_skipped":"7"}}"#,
                "step",
                r#"r.result -"#,
            ),
            (r#"{}"#, "worker", r#"r - - - - -"#),
            (r#"{}"#, "amount", r#"r - - - - - -"#),
            (r#"{}"#, "failure", r#"r - -"#),
            (r#"{}"#, "step", r#"r -"#),
            (r#"null"#, "worker", r#"null"#),
            (r#"null"#, "amount", r#"null"#),
            (r#"null"#, "failure", r#"null"#),
            (r#"null"#, "step", r#"null"#),
            (r#"7"#, "worker", r#"type_mismatch at r"#),
            (r#"7"#, "amount", r#"type_mismatch at r"#),
            (r#"7"#, "failure", r#"type_mismatch at r"#),
            (r#"7"#, "step", r#"type_mismatch at r"#),
            (r#""done""#, "worker", r#"type_mismatch at r"#),
            (r#""done""#, "amount", r#"type_mismatch at r"#),
            (r#""done""#, "failure", r#"type_mismatch at r"#),
            (r#""done""#, "step", r#"type_mismatch at r"#),
            (r#"[1,[2]]"#, "worker", r#"type_mismatch at r"#),
            (r#"[1,[2]]"#, "amount", r#"type_mismatch at r"#),
            (r#"[1,[2]]"#, "failure", r#"type_mismatch at r"#),
            (r#"[1,[2]]"#, "step", r#"type_mismatch at r"#),
        ];
        let keep_all = ReadPlan::new(None, None, false);
        // `success` and `status` are read as text here, as for a reducer.
        let fields = ["amount", "success", "status"].map(str::to_owned).to_vec();
        let keep_little = ReadPlan::new(Some(fields), Some(1), true);
        for (result, reader, expected) in table {
            assert_eq!(
                found(result, reader, &keep_all),
                expected,
                "{result} {reader}"
            );
            // Entries past max_errors are counted, not kept.
            let expected = expected.replace(r#"["x",{"y":[]}]"#, r#"["x"]"#);
            let expected = expected.replace("[1,2]", "[1]");
            assert_eq!(
                found(result, reader, &keep_little),
                expected,
                "{result} {reader}, keeping little"
            );
        }
    }

    #[test]
    fn errors_past_max_errors_are_counted_over_all_workers() {
        let plan = ReadPlan::new(Some(Vec::new()), Some(3), true);
        let mut de = serde_json::Deserializer::from_str(
            r#"[{"errors":[1,2]},{"errors":[3,4]},{"result":{"errors":[5]}}]"#,
        );
        let results = ResultsSeed {
            plan: &plan,
            listed: true,
        }
        .deserialize(&mut de)
        .unwrap();
        let root = JsonPath::root();
        let kept: Vec<(Vec<&str>, u64)> = (0..3)
            .map(|i| {
                let found = results
                    .read(i, &root, Looking::Worker(&crate::step_results::NO_FIELDS))
                    .unwrap()
                    .unwrap();
                let (entries, count) = found.errors().unwrap().unwrap();
                (entries.iter().collect(), count)
            })
            .collect();
        assert_eq!(kept, [(vec!["1", "2"], 2), (vec!["3"], 2), (vec![], 1)]);
    }

    #[test]
    fn a_result_read_on_its_own_is_at_the_path_it_is_read_at() {
        let at = JsonPath::root().key("batchable_result");
        let read = |text: &str| {
            let raw: RawJson = crate::input::from_json(text).unwrap();
            let one = StepResults::one(&raw.0).unwrap();
            one.read(0, &at, Looking::Step)
                .map(|f| f.map(|f| (f.path().to_string(), f.outcome().map(str::to_owned))))
                .map_err(|e| (e.code, e.path))
        };
        assert_eq!(
            read(r#"{"result":{"batch_processing_outcome":{"type":"no_batches"}}}"#),
            Ok(Some((
                "batchable_result.result".to_owned(),
                Some(r#"{"type":"no_batches"}"#.to_owned())
            )))
        );
        assert_eq!(read("null"), Ok(None));
        assert_eq!(
            read(r#""done""#),
            Err((ErrorCode::TypeMismatch, "batchable_result".to_owned()))
        );
        assert_eq!(
            read(r#"{"batch_processing_outcome":1,"batch_processing_outcome":2}"#),
            Err((
                ErrorCode::InvalidValue,
                "batchable_result.batch_processing_outcome".to_owned()
            ))
        );
    }

    #[test]
    fn step_names_given_twice_are_an_error() {
        let plan = ReadPlan::default();
        for (text, twice) in [
            (r#"{"a":1,"b":2,"c":3}"#, None),
            (r#"{"b":1,"a":2,"c":3,"a":4}"#, Some("a")),
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
        let err = from_json::<crate::aggregation::AggregateRequest>(&request(&deep)).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::NestingTooDeep, "batch_results.w")
        );
    }
}
