//! What callers ask of step results read once: read result `i` for a reader ([`Looking`]),
//! then ask the object the rule chose for its fields, each answer typed, or the error (code,
//! path, expected and found) that the field's value is.

use std::borrow::Cow;

use crate::error::{Error, ErrorCode, Result};
use crate::input::{describe, from_json, U64};
use crate::path::JsonPath;

use super::fields::Fields;
use super::rule::{self, Looking, Objects, Route, Wrapper};
use super::store::{self, known, present, Count, Entries, Flag, KeyRef, Span, Status, StepResult};
use super::store::{
    json_string, StepResults, ERRORS, KNOWN, OUTCOME, STATUS, STATUS_TEXT, SUCCESS,
};

/// The error for a value of the wrong JSON type inside a result, given its text.
pub(crate) fn type_mismatch(at: &JsonPath, expected: &str, raw: &str) -> Error {
    Error::at(
        ErrorCode::TypeMismatch,
        at,
        format!("expected {expected}, found {}", describe(raw)),
    )
}

/// Whether the known name `k` is one `looking` looks for: one of its fields or wrappers.
fn looks_for(looking: Looking, k: usize) -> bool {
    if let Some(wrapper) = store::wrapper(k) {
        return looking.looks_through(wrapper);
    }
    match looking {
        Looking::Worker(fields) => k <= ERRORS || fields.has_known(k),
        Looking::Failure => k == SUCCESS || k == STATUS,
        Looking::Step => k == OUTCOME,
    }
}

/// Which fields a level gave: bits of one word for up to 64 fields, a table beyond (made only
/// then, when the first field is seen).
enum SeenFields {
    Word(u64),
    Table(usize, Vec<bool>),
}

impl SeenFields {
    fn new(fields: usize) -> Self {
        if fields <= 64 {
            SeenFields::Word(0)
        } else {
            SeenFields::Table(fields, Vec::new())
        }
    }

    /// Marks the field at `at`; whether it was already marked.
    fn mark(&mut self, at: usize) -> bool {
        match self {
            SeenFields::Word(bits) => {
                let bit = 1u64 << at;
                let before = *bits & bit != 0;
                *bits |= bit;
                before
            }
            SeenFields::Table(len, table) => {
                if table.is_empty() {
                    table.resize(*len, false);
                }
                std::mem::replace(&mut table[at], true)
            }
        }
    }
}

impl Objects for StepResults {
    type Id = u32;

    /// The first key the reader looks for that a level gives twice, by the repeat's position.
    fn repeated(&self, index: u32, looking: Looking) -> Option<&str> {
        let mut first: Option<(u32, &str)> = None;
        let mut consider = |position: u32, name| {
            if first.is_none_or(|(p, _)| position < p) {
                first = Some((position, name));
            }
        };
        if let Some(rare) = self.rare(index) {
            for &(position, k) in &rare.repeated {
                if looks_for(looking, k) {
                    consider(position, KNOWN[k]);
                }
            }
        }
        if let Looking::Worker(fields) = looking {
            // One pass over the level's caller keys, each looked up in the fields: linear in
            // the keys whatever the number of fields. A field seen is marked by its position
            // (bits of a word for up to 64 fields, a table beyond), so nothing is hashed again.
            let mut seen = SeenFields::new(fields.len());
            for extra in self.extras_of(index) {
                let name = self.text(extra.name);
                if known(name).is_some() {
                    continue;
                }
                if let Some(at) = fields.position(name) {
                    if seen.mark(at) {
                        consider(extra.position, name);
                    }
                }
            }
        }
        first.map(|(_, name)| name)
    }

    fn has_any_field(&self, index: u32, looking: Looking) -> bool {
        let bits = self.level(index).bits;
        match looking {
            Looking::Worker(fields) => {
                bits & (present(0) | present(1) | present(2) | present(3) | present(ERRORS)) != 0
                    || fields.known().any(|k| self.present(index, KNOWN[k]))
                    || self.extras_of(index).any(|e| {
                        let name = self.text(e.name);
                        // No field is repeated here: the rule checked that first.
                        known(name).is_none()
                            && fields.contains(name)
                            && self.text(e.value) != "null"
                    })
            }
            Looking::Failure => bits & (present(SUCCESS) | present(STATUS)) != 0,
            Looking::Step => self.outcome(index).is_some(),
        }
    }

    fn wrapped(&self, index: u32, wrapper: Wrapper) -> Option<u32> {
        StepResults::wrapped(self, index, wrapper)
    }
}

impl StepResults {
    /// Reads result `i` (the results being at `at`) with the unwrapping rule
    /// ([`super::rule`]): `Ok(None)` for `null`, a `type_mismatch` for anything but an object,
    /// an `invalid_value` for a key given twice among those the reader looks for.
    pub(crate) fn read<'a>(
        &'a self,
        i: usize,
        at: &'a JsonPath,
        looking: Looking,
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
        let choice = rule::choose(self, top, looking);
        let found = Found {
            results: self,
            at,
            result: i,
            level: choice.object,
            route: choice.route,
        };
        if let Some(key) = choice.repeated {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &found.path().key(key),
                format!("expected each key once, found `{key}` twice"),
            ));
        }
        Ok(Some(found))
    }

    /// Whether a level has `name` (not `null`).
    fn present(&self, index: u32, name: &str) -> bool {
        match known(name) {
            Some(f @ 0..=STATUS) => self.level(index).bits & present(f) != 0,
            Some(OUTCOME) => self.outcome(index).is_some(),
            Some(k) => match store::wrapper(k) {
                Some(wrapper) if self.wrapped(index, wrapper).is_some() => true,
                _ => self.extra(index, name).is_some(),
            },
            None => self.extra(index, name).is_some(),
        }
    }

    /// The JSON text of the field `name` of a level (not `null`), for a reducer. Only caller
    /// keys and error entries are kept as written; other values are written from what was
    /// read, which is the same text for every value that has the type the contract gives it.
    fn field_text(&self, index: u32, name: &str) -> Result<Option<Cow<'_, str>>> {
        let odd = |span: Span| Some(Cow::Borrowed(self.text(span)));
        Ok(match known(name) {
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
                Status::Odd(span) => odd(span),
                // The plan keeps `status` as written wherever a reducer may read it.
                _ if self.level(index).bits & STATUS_TEXT != 0 => {
                    odd(self.level(index).status_text)
                }
                Status::Failed | Status::Error | Status::Other => {
                    return Err(Error::new(
                        ErrorCode::Internal,
                        "",
                        "a reducer read `status`, which the read plan did not keep as written",
                    ))
                }
            },
            Some(OUTCOME) => self.outcome(index).and_then(odd),
            Some(k) => match store::wrapper(k).and_then(|w| self.wrapped(index, w)) {
                Some(inner) => Some(Cow::Owned(self.rebuild(inner)?)),
                None => self.extra(index, name).map(Cow::Borrowed),
            },
            None => self.extra(index, name).map(Cow::Borrowed),
        })
    }

    /// The JSON text of a wrapper object, from what was read of it: its keys in order, caller
    /// keys as written, the known fields as [`Self::field_text`] writes them.
    fn rebuild(&self, index: u32) -> Result<String> {
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
                    let value = self.field_text(index, KNOWN[k])?;
                    text.push_str(value.as_deref().unwrap_or("null"));
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
        Ok(text)
    }
}

/// What `status` says, to convergence: only "failed" and "error" fail a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusSays {
    /// `"failed"`.
    Failed,
    /// `"error"`.
    Error,
    /// Any other string.
    Other,
}

impl StatusSays {
    /// The status as written, when it fails a worker.
    pub(crate) const fn failure(self) -> Option<&'static str> {
        match self {
            StatusSays::Failed => Some("failed"),
            StatusSays::Error => Some("error"),
            StatusSays::Other => None,
        }
    }
}

/// The object a reader chose in one result, and what it answers.
pub(crate) struct Found<'a> {
    results: &'a StepResults,
    /// Where the results are.
    at: &'a JsonPath,
    result: usize,
    level: u32,
    route: Route,
}

impl<'a> Found<'a> {
    /// Where the object sits: the result's path plus the wrappers looked through.
    pub(crate) fn path(&self) -> JsonPath {
        let mut path = self.results.path(self.result, self.at);
        for wrapper in self.route.wrappers() {
            path = path.key(wrapper.key());
        }
        path
    }

    /// Whether any of the four counters is present (not `null`), whatever its value.
    pub(crate) fn has_counter(&self) -> bool {
        let all = present(0) | present(1) | present(2) | present(3);
        self.results.level(self.level).bits & all != 0
    }

    /// The four counters, when each is present as a count (what a finished worker returns):
    /// one look at the object instead of four.
    pub(crate) fn plain_counts(&self) -> Option<[u64; 4]> {
        let level = self.results.level(self.level);
        let all = present(0) | present(1) | present(2) | present(3);
        (level.bits & all == all && level.bits & (all << 8) == 0).then_some(level.counts)
    }

    /// Counter `k` (0..4: `items_processed`, `items_succeeded`, `items_failed`,
    /// `items_skipped`): absent, or a strict `u64`; any other value is the error it is at the
    /// counter's path.
    pub(crate) fn count(&self, k: usize) -> Result<Option<u64>> {
        match self.results.count(self.level, k) {
            Count::Absent => Ok(None),
            Count::Is(n) => Ok(Some(n)),
            Count::Odd(span) => {
                let U64(n) = from_json(self.results.text(span))
                    .map_err(|e| e.under(&self.path().key(KNOWN[k])))?;
                Ok(Some(n))
            }
        }
    }

    /// `errors`: absent, or the entries kept (as text) and how many there are; anything but
    /// an array is a `type_mismatch`.
    pub(crate) fn errors(&self) -> Result<Option<(ErrorEntries<'a>, u64)>> {
        match self.results.errors(self.level) {
            Entries::Absent => Ok(None),
            Entries::List { first, kept, count } => Ok(Some((
                ErrorEntries {
                    results: self.results,
                    spans: &self.results.entries[first as usize..(first + kept) as usize],
                },
                count,
            ))),
            Entries::Odd(span) => Err(self.mismatch("errors", "an array of errors", span)),
        }
    }

    /// `success`: absent, or a boolean; anything else is a `type_mismatch`.
    pub(crate) fn success(&self) -> Result<Option<bool>> {
        match self.results.success(self.level) {
            Flag::Absent => Ok(None),
            Flag::Is(b) => Ok(Some(b)),
            Flag::Odd(span) => Err(self.mismatch("success", "a boolean", span)),
        }
    }

    /// `status`: absent, or what the string says; anything else is a `type_mismatch`.
    pub(crate) fn status(&self) -> Result<Option<StatusSays>> {
        match self.results.status(self.level) {
            Status::Absent => Ok(None),
            Status::Failed => Ok(Some(StatusSays::Failed)),
            Status::Error => Ok(Some(StatusSays::Error)),
            Status::Other => Ok(Some(StatusSays::Other)),
            Status::Odd(span) => Err(self.mismatch("status", "a string", span)),
        }
    }

    /// `batch_processing_outcome`'s text, unless absent or `null`.
    pub(crate) fn outcome(&self) -> Option<&'a str> {
        self.results
            .outcome(self.level)
            .map(|span| self.results.text(span))
    }

    /// The text of field `name` (not `null`), as a reducer reads it (the tests' way of asking;
    /// the aggregation asks for all its fields at once, [`Self::present_fields`]).
    #[cfg(test)]
    pub(crate) fn field_text(&self, name: &str) -> Result<Option<Cow<'a, str>>> {
        self.results.field_text(self.level, name)
    }

    /// The fields of `fields` this object has (not `null`), as their positions among the
    /// fields and their text, in the fields' order: one pass over the object's caller keys
    /// (each looked up in the set) and over the known names among the fields, so that many
    /// reducers over many results cost what the results' keys do, not their product.
    pub(crate) fn present_fields(&self, fields: &Fields) -> Result<Vec<(usize, Cow<'a, str>)>> {
        let results = self.results;
        let mut present = Vec::new();
        for k in fields.known() {
            if let (Some(position), Some(text)) = (
                fields.position(KNOWN[k]),
                results.field_text(self.level, KNOWN[k])?,
            ) {
                present.push((position, text));
            }
        }
        for extra in results.extras_of(self.level) {
            let (name, value) = (results.text(extra.name), results.text(extra.value));
            // A field is never repeated here (the rule made that an error when the object was
            // chosen, `Found` exists only after it), so each field is met at most once.
            if known(name).is_some() {
                continue;
            }
            if let Some(position) = fields.position(name).filter(|_| value != "null") {
                present.push((position, Cow::Borrowed(value)));
            }
        }
        present.sort_unstable_by_key(|(position, _)| *position);
        Ok(present)
    }

    fn mismatch(&self, field: &str, expected: &str, span: Span) -> Error {
        type_mismatch(&self.path().key(field), expected, self.results.text(span))
    }
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
    use serde::de::DeserializeSeed;

    use super::*;
    use crate::step_results::{Fields, ReadPlan, ResultsSeed, NO_FIELDS};

    fn results(text: &str, plan: &ReadPlan) -> StepResults {
        let mut de = serde_json::Deserializer::from_str(text);
        let seed = ResultsSeed {
            plan,
            listed: false,
        };
        seed.deserialize(&mut de).unwrap()
    }

    fn at() -> JsonPath {
        JsonPath::root().key("dependency_results")
    }

    #[test]
    fn seen_fields_mark_each_position_once_in_a_word_and_in_a_table() {
        for fields in [3, 64, 65, 200] {
            let mut seen = SeenFields::new(fields);
            assert!(matches!(seen, SeenFields::Word(_)) == (fields <= 64));
            for at in [0, fields - 1, fields / 2] {
                assert!(!seen.mark(at), "{fields} fields, first mark of {at}");
                assert!(seen.mark(at), "{fields} fields, second mark of {at}");
            }
        }
    }

    #[test]
    fn counters_are_strict_u64_at_their_path() {
        let read = results(
            r#"{"w":{"result":{"items_processed":7,"items_failed":-1,"items_skipped":"3"}}}"#,
            &ReadPlan::default(),
        );
        let at = at();
        let found = read
            .read(0, &at, Looking::Worker(&NO_FIELDS))
            .unwrap()
            .unwrap();
        assert!(found.has_counter());
        assert_eq!(found.count(0).unwrap(), Some(7));
        assert_eq!(found.count(1).unwrap(), None);
        let err = found.count(2).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (
                ErrorCode::OutOfRange,
                "dependency_results.w.result.items_failed"
            )
        );
        let err = found.count(3).unwrap_err();
        assert_eq!(err.code, ErrorCode::TypeMismatch);
    }

    #[test]
    fn errors_success_and_status_answer_typed_or_say_what_they_found() {
        let read = results(
            r#"{"a":{"success":true,"status":"failed","errors":["x"]},"b":{"success":"yes","status":7,"errors":{}},"c":{"status":"done"}}"#,
            &ReadPlan::default(),
        );
        let at = at();
        let a = read.read(0, &at, Looking::Failure).unwrap().unwrap();
        assert_eq!(a.success().unwrap(), Some(true));
        assert_eq!(a.status().unwrap(), Some(StatusSays::Failed));
        let c = read.read(2, &at, Looking::Failure).unwrap().unwrap();
        assert_eq!(c.status().unwrap().and_then(StatusSays::failure), None);
        let b = read.read(1, &at, Looking::Failure).unwrap().unwrap();
        for (err, field, message) in [
            (
                b.success().unwrap_err(),
                "success",
                r#"expected a boolean, found string "yes""#,
            ),
            (
                b.status().unwrap_err(),
                "status",
                "expected a string, found integer 7",
            ),
        ] {
            assert_eq!(
                (err.code, err.path, err.message.as_str()),
                (
                    ErrorCode::TypeMismatch,
                    format!("dependency_results.b.{field}"),
                    message
                )
            );
        }
        let b = read
            .read(1, &at, Looking::Worker(&NO_FIELDS))
            .unwrap()
            .unwrap();
        assert_eq!(
            b.errors().err().map(|e| e.path),
            Some("dependency_results.b.errors".to_owned())
        );
    }

    #[test]
    fn a_status_not_kept_as_written_is_an_internal_error_never_a_made_up_value() {
        // A plan whose reducers read neither `success` nor `status` keeps only what they say.
        let plan = ReadPlan::new(Some(vec!["amount".to_owned()]), None, false);
        let read = results(r#"{"w":{"status":"done","amount":1}}"#, &plan);
        let at = at();
        let found = read
            .read(
                0,
                &at,
                Looking::Worker(&Fields::new(vec!["status".to_owned()])),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            found.field_text("status").unwrap_err().code,
            ErrorCode::Internal
        );
        // Kept as written when a reducer may read it.
        let read = results(
            r#"{"w":{"status":"d\u006fne"}}"#,
            &ReadPlan::new(Some(vec!["status".to_owned()]), None, false),
        );
        let found = read
            .read(
                0,
                &at,
                Looking::Worker(&Fields::new(vec!["status".to_owned()])),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            found.field_text("status").unwrap().as_deref(),
            Some(r#""d\u006fne""#)
        );
    }

    #[test]
    fn a_wrapper_a_reducer_reads_is_rebuilt_in_its_key_order() {
        let read = results(
            r#"{"w":{"result":{"z":[1, 2],"items_processed":3,"status":"ok","a":{"b":null}},"n":1}}"#,
            &ReadPlan::new(None, None, false),
        );
        let at = at();
        let fields = Fields::new(vec!["result".to_owned()]);
        let found = read
            .read(0, &at, Looking::Worker(&fields))
            .unwrap()
            .unwrap();
        assert_eq!(found.path().as_str(), "dependency_results.w");
        assert_eq!(
            found.field_text("result").unwrap().as_deref(),
            Some(r#"{"z":[1,2],"items_processed":3,"status":"ok","a":{"b":null}}"#)
        );
    }
}
