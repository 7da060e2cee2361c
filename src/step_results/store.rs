//! The compact form of step results read once: one buffer of kept text, one [`Level`] per
//! object read (a result, or a wrapper inside it), and the accessors the queries use.
//!
//! Nothing here decides which object a reader reads ([`super::rule`]) or what a field means
//! to an operation ([`super::query`]); this is where what was read is kept.

use crate::input::string_literal;
use crate::path::JsonPath;

use super::rule::Wrapper;

/// The names a result reader knows; the constants below index this list.
pub(super) const KNOWN: [&str; 10] = [
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
pub(super) const ERRORS: usize = 4;
pub(super) const SUCCESS: usize = 5;
pub(super) const STATUS: usize = 6;
pub(super) const OUTCOME: usize = 7;
pub(super) const RESULT: usize = 8;
pub(super) const WORKER_OUTCOME: usize = 9;

/// The wrapper a known name is, if it is one.
pub(super) const fn wrapper(k: usize) -> Option<Wrapper> {
    match k {
        RESULT => Some(Wrapper::Result),
        WORKER_OUTCOME => Some(Wrapper::WorkerOutcome),
        _ => None,
    }
}

/// The index of `key` in [`KNOWN`].
pub(super) fn known(key: &str) -> Option<usize> {
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

/// Where a kept text sits in the buffer of [`StepResults`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

/// A counter as read: absent (or `null`), a count, or a value of another type, kept as text
/// for the error it is if a reader reads it. (The views below are how a [`Level`], which
/// stores them compactly, hands its fields out.)
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) enum Count {
    #[default]
    Absent,
    Is(u64),
    Odd(Span),
}

/// `errors` as read: the entries kept (the first ones) and how many there were.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) enum Entries {
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
pub(super) enum Flag {
    #[default]
    Absent,
    Is(bool),
    Odd(Span),
}

/// `status` as read: only "failed" and "error" mean something to convergence.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) enum Status {
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
pub(super) struct Level {
    pub(super) counts: [u64; 4],
    pub(super) entry_count: u64,
    /// The error entries kept: where they start in `StepResults::entries`, and how many.
    pub(super) entries: (u32, u32),
    /// The levels of the objects under `result` and `batch_worker_outcome`, where a reader may
    /// look through them ([`NONE`] otherwise).
    pub(super) wrapped: [u32; 2],
    /// Where this level's kept caller keys and key order lie in the shared lists (a wrapper
    /// read in between adds its own: they are told apart by their level).
    pub(super) extras: (u32, u32),
    pub(super) order: (u32, u32),
    /// `status` as written, when it is kept for a reducer or is not a string at all.
    pub(super) status_text: Span,
    /// Index into `StepResults::rare`, or [`NONE`].
    pub(super) rare: u32,
    pub(super) bits: u32,
}

/// No level, no rare part.
pub(super) const NONE: u32 = u32::MAX;

/// `bits` of a [`Level`]: field `f` (a counter, `errors`, `success`, `status`) is present...
pub(super) const fn present(f: usize) -> u32 {
    1 << f
}
/// ... and is of another type than the contract's.
pub(super) const fn odd(f: usize) -> u32 {
    1 << (8 + f)
}
pub(super) const SUCCESS_TRUE: u32 = 1 << 16;
pub(super) const STATUS_FAILED: u32 = 1 << 17;
pub(super) const STATUS_ERROR: u32 = 1 << 18;
/// `status_text` holds the status string as written.
pub(super) const STATUS_TEXT: u32 = 1 << 19;

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
    pub(super) fn set_success(&mut self, b: bool) {
        self.bits |= present(SUCCESS) | if b { SUCCESS_TRUE } else { 0 };
    }

    pub(super) fn set_status(&mut self, text: &str) {
        self.bits |= present(STATUS);
        match text {
            "failed" => self.bits |= STATUS_FAILED,
            "error" => self.bits |= STATUS_ERROR,
            _ => {}
        }
    }

    /// `success` or `status` (`f`), kept as written (`text`, at `span`).
    pub(super) fn set_written(
        &mut self,
        f: usize,
        span: Span,
        text: &str,
        rare: &mut Option<Rare>,
    ) {
        match (f, text) {
            (_, "null") => {}
            (SUCCESS, "true" | "false") => self.set_success(text == "true"),
            (STATUS, _) if text.starts_with('"') => {
                // A status that is not Unicode text (a lone surrogate escape) is neither
                // "failed" nor "error": it stays a status kept as written, like any other.
                match string_literal(text) {
                    Some(decoded) => self.set_status(&decoded),
                    None => self.bits |= present(STATUS),
                }
                self.status_text = span;
                self.bits |= STATUS_TEXT;
            }
            _ => self.set_odd(f, span, rare),
        }
    }

    /// Field `f` holds a value of another type, whose text is `text`.
    pub(super) fn set_odd(&mut self, f: usize, text: Span, rare: &mut Option<Rare>) {
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
pub(super) struct Rare {
    /// Known names given again, with the position of the repeat among the object's keys.
    pub(super) repeated: Vec<(u32, usize)>,
    /// `batch_processing_outcome`, unless absent or `null`.
    pub(super) outcome: Option<Span>,
    /// The text of each counter, `errors` and `success` of another type.
    pub(super) odd: [Span; 6],
}

/// A key kept with its exact value text: a caller key, a wrapper that was not looked into, or
/// (in a level that may be rebuilt) a known key given again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ExtraKey {
    pub(super) level: u32,
    pub(super) name: Span,
    pub(super) value: Span,
    pub(super) position: u32,
}

/// One key of a level whose text may have to be rebuilt (see [`ReadPlan`]): a known field,
/// or a key kept as written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum KeyRef {
    Known(usize),
    Extra(u32),
}

/// A step result as read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum StepResult {
    Null,
    /// Not an object: its text, for the error.
    Odd(Span),
    Object(u32),
}

/// The results of the steps a request names (by step name, or in a list), each read once, in
/// the pass that parses the request, into what the operations look at (see
/// [`crate::step_results`], and `ReadPlan` for what is kept).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepResults {
    /// One result read on its own (`StepResults::one`): its path is the path it was read at.
    pub(super) one: bool,
    /// Each result in input order, with its step name when the results came as an object.
    pub(super) results: Vec<(Option<Span>, StepResult)>,
    /// Names, kept values and rebuilt values, one after the other.
    pub(super) text: String,
    pub(super) levels: Vec<Level>,
    pub(super) extras: Vec<ExtraKey>,
    /// The error entries kept, of every level, each level's in one run.
    pub(super) entries: Vec<Span>,
    pub(super) order: Vec<(u32, KeyRef)>,
    pub(super) rare: Vec<Rare>,
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
            None if self.one => at.clone(),
            None => at.index(i),
        }
    }

    /// Whether result `i` is `null`.
    pub(crate) fn is_null(&self, i: usize) -> bool {
        self.results[i].1 == StepResult::Null
    }

    pub(super) fn text(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    pub(super) fn level(&self, index: u32) -> &Level {
        &self.levels[index as usize]
    }

    pub(super) fn rare(&self, index: u32) -> Option<&Rare> {
        let rare = self.level(index).rare;
        (rare != NONE).then(|| &self.rare[rare as usize])
    }

    /// The text of field `f` of a level, which is of another type than the contract's.
    pub(super) fn odd_text(&self, index: u32, f: usize) -> Span {
        self.rare(index)
            .map_or_else(Span::default, |rare| rare.odd[f])
    }

    pub(super) fn count(&self, index: u32, k: usize) -> Count {
        let level = self.level(index);
        if level.bits & present(k) == 0 {
            Count::Absent
        } else if level.bits & odd(k) != 0 {
            Count::Odd(self.odd_text(index, k))
        } else {
            Count::Is(level.counts[k])
        }
    }

    pub(super) fn errors(&self, index: u32) -> Entries {
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

    pub(super) fn success(&self, index: u32) -> Flag {
        let level = self.level(index);
        if level.bits & present(SUCCESS) == 0 {
            Flag::Absent
        } else if level.bits & odd(SUCCESS) != 0 {
            Flag::Odd(self.odd_text(index, SUCCESS))
        } else {
            Flag::Is(level.bits & SUCCESS_TRUE != 0)
        }
    }

    pub(super) fn status(&self, index: u32) -> Status {
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

    /// The level of the object under `wrapper`, if it was read as one.
    pub(super) fn wrapped(&self, index: u32, wrapper: Wrapper) -> Option<u32> {
        let inner = self.level(index).wrapped[wrapper as usize];
        (inner != NONE).then_some(inner)
    }

    pub(super) fn extras_of(&self, index: u32) -> impl Iterator<Item = &ExtraKey> + '_ {
        let (from, to) = self.level(index).extras;
        self.extras[from as usize..to as usize]
            .iter()
            .filter(move |e| e.level == index)
    }

    /// The value of the caller key `name` of a level (the first, if given twice), unless `null`.
    pub(super) fn extra(&self, index: u32, name: &str) -> Option<&str> {
        self.extras_of(index)
            .find(|e| self.text(e.name) == name)
            .map(|e| self.text(e.value))
            .filter(|v| *v != "null")
    }

    /// `batch_processing_outcome`'s text, unless absent or `null`.
    pub(super) fn outcome(&self, index: u32) -> Option<Span> {
        self.rare(index).and_then(|rare| rare.outcome)
    }
}

/// `text` as a JSON string literal.
pub(super) fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}
