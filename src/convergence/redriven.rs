//! Redriven work at convergence (docs/contract.md §10): the task's ranges are the outcome's and
//! the children of every redrive, and a parent superseded by children counts its checkpointed
//! progress instead of its own result.
//!
//! **Input.** `redrives`: the outputs of `redrive`, as it returned them, in the order they were
//! made. Convergence reads each one's `redriven` entries (the parent, what became of it, the
//! checkpoint it was redriven from, with `processed_count` and `accumulated_results`) and its
//! `cursor_configs` (the children, each with `parent_batch_id`); `workers`, `edges` and
//! `worker_count` are accepted, so that the output can be passed on as it is, and not read.
//!
//! **Checks**, each an error at its path: a parent is a range known before its redrive (the
//! outcome's, or a child of an earlier one), redriven once; a child's id is new in the task and
//! its `parent_batch_id` names an entry of its own redrive, whose `child_batch_ids` list exactly
//! its children in order; `nothing` has no children, the others at least one, and `opaque`
//! exactly one over the parent's whole range; a checkpoint of the range's kind lies in it and
//! is not `opaque`, a token is; `done` and `remainder`, when given, are what the checkpoint
//! makes them.
//!
//! **Counting.** A superseded parent's done part `[start, checkpoint)` counts as one worker
//! result: its `accumulated_results` read like a worker's (counters, `errors`, the reducers'
//! fields), with `processed_count` as its `items_processed`. A parent redriven from an opaque
//! token counts nothing of its own: its one child resumed from the token with the parent's
//! counts and totals, as a retry would, and reports them in its result.

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use crate::aggregation::{AggregationOptions, Source};
use crate::cursor::Cursor;
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::input::{strict, string_literal, ObjectOnly, RawJson};
use crate::outcome::CreateBatches;
use crate::path::JsonPath;
use crate::redrive::{split, RedriveKind, PARENT_BATCH_ID};
use crate::step_results::{ReadPlan, StepResults};
use crate::validation;

/// One redrive, as `redrive` returned it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "a redrive's output {redriven, cursor_configs, ...}"
)]
pub struct RedriveRecord {
    /// When given, the convergence request's `batchable_step_name`.
    #[serde(default)]
    pub batchable_step_name: Option<String>,
    /// What became of each failed range.
    pub redriven: Vec<RecordEntry>,
    /// The children (not read).
    #[serde(default)]
    pub worker_count: Option<IgnoredAny>,
    /// The children's ranges, each with `parent_batch_id`.
    pub cursor_configs: Vec<CursorConfig>,
    /// The children's steps (not read).
    #[serde(default)]
    pub workers: Option<IgnoredAny>,
    /// The children's edges (not read).
    #[serde(default)]
    pub edges: Option<IgnoredAny>,
}

impl<'de> Deserialize<'de> for RedriveRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RedriveRecord::deserialize(ObjectOnly(deserializer))
    }
}

/// One entry of a redrive's `redriven`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "a redriven range {parent_batch_id, redrive, checkpoint_cursor, processed_count, accumulated_results, child_batch_ids, ...}"
)]
pub struct RecordEntry {
    /// The range redriven.
    #[serde(deserialize_with = "strict::non_empty_string")]
    pub parent_batch_id: String,
    /// `split`, `whole`, `opaque` or `nothing`.
    pub redrive: RedriveKind,
    /// The checkpoint it was redriven from; absent or `null`: its start.
    #[serde(default)]
    pub checkpoint_cursor: Option<Cursor>,
    /// Items before the checkpoint.
    #[serde(default, deserialize_with = "strict::optional_u64")]
    pub processed_count: Option<u64>,
    /// The running totals up to the checkpoint.
    #[serde(default)]
    pub accumulated_results: Option<RawJson>,
    /// `[start, checkpoint)`, as redrive wrote it.
    #[serde(default)]
    pub done: Option<SpanInput>,
    /// `[checkpoint or start, end)`, as redrive wrote it.
    #[serde(default)]
    pub remainder: Option<SpanInput>,
    /// Its children, in key order.
    pub child_batch_ids: Vec<String>,
}

impl<'de> Deserialize<'de> for RecordEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RecordEntry::deserialize(ObjectOnly(deserializer))
    }
}

/// `{start_cursor, end_cursor}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanInput {
    /// Inclusive.
    pub start_cursor: Cursor,
    /// Exclusive.
    pub end_cursor: Cursor,
}

/// A parent superseded by its children.
#[derive(Clone, Debug)]
pub(crate) struct Superseded<'a> {
    /// Its redrive entry, at `at`.
    pub(crate) entry: &'a RecordEntry,
    pub(crate) at: JsonPath,
    /// `[start, checkpoint)`: the part it finished (none for an opaque token, or no checkpoint).
    pub(crate) done: Option<(&'a Cursor, &'a Cursor)>,
}

/// Every range of the task: the outcome's, then the children of each redrive in order.
pub(crate) struct Ranges<'a> {
    pub(crate) configs: Vec<&'a CursorConfig>,
    /// How many come from the outcome.
    pub(crate) roots: usize,
    /// Where the outcome's configs are.
    outcome_at: JsonPath,
    /// For each child, its redrive and its place in that redrive's `cursor_configs`.
    positions: Vec<(usize, usize)>,
    /// For each range, the entry that superseded it, if one did.
    pub(crate) superseded: Vec<Option<Superseded<'a>>>,
}

impl<'a> Ranges<'a> {
    /// The outcome's ranges alone.
    pub(crate) fn of_outcome(create: &'a CreateBatches, outcome_at: &JsonPath) -> Self {
        let configs: Vec<&CursorConfig> = create.cursor_configs.iter().collect();
        Ranges {
            roots: configs.len(),
            superseded: vec![None; configs.len()],
            configs,
            outcome_at: outcome_at.key("cursor_configs"),
            positions: Vec::new(),
        }
    }

    /// Where range `i` is in the request.
    pub(crate) fn path(&self, i: usize) -> JsonPath {
        if i < self.roots {
            self.outcome_at.index(i)
        } else {
            let (r, c) = self.positions[i - self.roots];
            records_at().index(r).key("cursor_configs").index(c)
        }
    }

    /// Whether any range was redriven.
    pub(crate) fn any_superseded(&self) -> bool {
        self.superseded.iter().any(Option::is_some)
    }

    /// Adds the redrives, in order, checking each against what came before it.
    pub(crate) fn add(&mut self, records: &'a [RedriveRecord], batchable: &str) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut index: HashMap<&'a str, usize> = HashMap::with_capacity(self.configs.len());
        for (i, config) in self.configs.iter().enumerate() {
            if index.insert(config.batch_id.as_str(), i).is_some() {
                return Err(Error::at(
                    ErrorCode::DuplicateBatchId,
                    &self.path(i).key("batch_id"),
                    format!(
                        "expected unique batch ids, found {:?} again",
                        config.batch_id
                    ),
                ));
            }
        }
        for (r, record) in records.iter().enumerate() {
            let at = records_at().index(r);
            if let Some(name) = &record.batchable_step_name {
                if name != batchable {
                    return Err(Error::at(
                        ErrorCode::InvalidValue,
                        &at.key("batchable_step_name"),
                        format!("expected the batchable step {batchable:?}, found {name:?}"),
                    ));
                }
            }
            self.add_record(r, record, &at, &mut index)?;
        }
        Ok(())
    }

    fn add_record(
        &mut self,
        r: usize,
        record: &'a RedriveRecord,
        at: &JsonPath,
        index: &mut HashMap<&'a str, usize>,
    ) -> Result<()> {
        let known_before = self.configs.len();
        let entries_at = at.key("redriven");
        let mut entry_of: HashMap<&str, usize> = HashMap::with_capacity(record.redriven.len());
        let mut parents = Vec::with_capacity(record.redriven.len());
        for (e, entry) in record.redriven.iter().enumerate() {
            let entry_at = entries_at.index(e);
            let parent = match index.get(entry.parent_batch_id.as_str()) {
                Some(&p) if p < known_before => p,
                _ => {
                    return Err(Error::at(
                        ErrorCode::InvalidValue,
                        &entry_at.key("parent_batch_id"),
                        format!(
                            "expected the batch id of a range known before this redrive (the outcome's, or a child of an earlier redrive), found {:?}",
                            entry.parent_batch_id
                        ),
                    ))
                }
            };
            if let Some(earlier) = &self.superseded[parent] {
                return Err(Error::at(
                    ErrorCode::DuplicateBatchId,
                    &entry_at.key("parent_batch_id"),
                    format!(
                        "expected each range redriven once, found {:?} redriven again (it was at {})",
                        entry.parent_batch_id, earlier.at
                    ),
                ));
            }
            let done = check_entry(entry, self.configs[parent], &entry_at)?;
            self.superseded[parent] = Some(Superseded {
                entry,
                at: entry_at,
                done,
            });
            entry_of.insert(entry.parent_batch_id.as_str(), e);
            parents.push(parent);
        }

        let configs_at = at.key("cursor_configs");
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); record.redriven.len()];
        for (c, config) in record.cursor_configs.iter().enumerate() {
            let config_at = configs_at.index(c);
            let named = config
                .extra
                .get(PARENT_BATCH_ID)
                .and_then(|raw| string_literal(raw.get()));
            let Some(e) = named.as_deref().and_then(|p| entry_of.get(p).copied()) else {
                return Err(Error::at(
                    ErrorCode::InvalidValue,
                    &config_at.key(PARENT_BATCH_ID),
                    format!(
                        "expected the batch id of a range this redrive redrove, found {}",
                        config
                            .extra
                            .get(PARENT_BATCH_ID)
                            .map_or("no such key", |raw| raw.get())
                    ),
                ));
            };
            let i = self.configs.len();
            if let Some(j) = index.insert(config.batch_id.as_str(), i) {
                return Err(Error::at(
                    ErrorCode::DuplicateBatchId,
                    &config_at.key("batch_id"),
                    format!(
                        "expected child ids new in the task, found {:?}, already at {}",
                        config.batch_id,
                        self.path(j)
                    ),
                ));
            }
            self.configs.push(config);
            self.positions.push((r, c));
            self.superseded.push(None);
            children[e].push(i);
        }

        for (e, entry) in record.redriven.iter().enumerate() {
            let entry_at = entries_at.index(e);
            let mine = &children[e];
            let listed = entry.child_batch_ids.len() == mine.len()
                && entry
                    .child_batch_ids
                    .iter()
                    .zip(mine)
                    .all(|(id, &i)| *id == self.configs[i].batch_id);
            if !listed {
                let ids: Vec<&str> = mine
                    .iter()
                    .map(|&i| self.configs[i].batch_id.as_str())
                    .collect();
                return Err(Error::at(
                    ErrorCode::InvalidValue,
                    &entry_at.key("child_batch_ids"),
                    format!(
                        "expected the ids of the cursor_configs whose parent_batch_id is {:?}, {ids:?}, found {:?}",
                        entry.parent_batch_id, entry.child_batch_ids
                    ),
                ));
            }
            check_children(
                entry,
                self.configs[parents[e]],
                mine,
                &self.configs,
                &entry_at,
            )?;
        }
        Ok(())
    }

    /// The superseded parents' progress, read once with the reducers' fields: one result per
    /// range (`None` for the others and for opaque tokens).
    pub(crate) fn progress(&self, options: &AggregationOptions) -> Result<Vec<Option<Progress>>> {
        if !self.any_superseded() {
            return Ok(Vec::new());
        }
        let fields = options
            .reducers
            .as_ref()
            .map(|r| r.0.iter().map(|(field, _)| field.clone()).collect());
        let plan = ReadPlan::new(fields, Some(options.max_errors), false);
        let empty = RawJson::from_serialize(&serde_json::Map::new());
        self.superseded
            .iter()
            .map(|s| {
                let Some(s) = s else { return Ok(None) };
                if s.entry.redrive == RedriveKind::Opaque {
                    return Ok(None);
                }
                let at = s.at.key("accumulated_results");
                let raw = s.entry.accumulated_results.as_ref().unwrap_or(&empty);
                let results = StepResults::one_with(&raw.0, &plan).map_err(|e| e.under(&at))?;
                Ok(Some(Progress { results, at }))
            })
            .collect()
    }
}

/// A superseded parent's `accumulated_results`, read as one worker result.
pub(crate) struct Progress {
    results: StepResults,
    at: JsonPath,
}

impl Progress {
    /// What the aggregation counts for parent `s`.
    pub(crate) fn source<'a>(progress: Option<&'a Progress>, s: &Superseded<'_>) -> Source<'a> {
        match progress {
            Some(p) => Source::Progress {
                results: &p.results,
                at: &p.at,
                processed_count: s.entry.processed_count,
            },
            None => Source::Carried,
        }
    }
}

fn records_at() -> JsonPath {
    JsonPath::root().key("redrives")
}

/// An entry's checkpoint against its parent's range; the parent's done part.
fn check_entry<'a>(
    entry: &'a RecordEntry,
    parent: &'a CursorConfig,
    at: &JsonPath,
) -> Result<Option<(&'a Cursor, &'a Cursor)>> {
    let range = validation::check_range(parent, &|| at.clone(), &mut Vec::new())?;
    let cp_at = at.key("checkpoint_cursor");
    let opaque = entry.redrive == RedriveKind::Opaque;
    let (done, from) = match &entry.checkpoint_cursor {
        None if opaque => {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &cp_at,
                "expected the token an opaque redrive resumes from, found none",
            ))
        }
        None => (None, &parent.start_cursor),
        Some(checkpoint) => {
            let place = split::place_checkpoint(parent, range, checkpoint, &cp_at)?;
            if place.opaque != opaque {
                return Err(Error::at(
                    ErrorCode::InvalidValue,
                    &at.key("redrive"),
                    if place.opaque {
                        format!("expected \"opaque\" for the checkpoint {checkpoint}, a {} cursor in a range of kind {} (a token), found {:?}", place.kind, range.kind, entry.redrive.as_str())
                    } else {
                        format!("expected a redrive other than \"opaque\" for the checkpoint {checkpoint}, of the range's kind {}", range.kind)
                    },
                ));
            }
            let done = (place.past_start && !opaque).then_some((&parent.start_cursor, checkpoint));
            (done, checkpoint)
        }
    };
    let remainder = matches!(entry.redrive, RedriveKind::Split | RedriveKind::Whole)
        .then_some((from, &parent.end_cursor));
    for (key, given, derived) in [
        ("done", &entry.done, done),
        ("remainder", &entry.remainder, remainder),
    ] {
        let same = match (given, derived) {
            (None, _) => true,
            (Some(g), Some((s, e))) => {
                g.start_cursor.json() == s.json() && g.end_cursor.json() == e.json()
            }
            (Some(_), None) => false,
        };
        if !same {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &at.key(key),
                format!(
                    "expected the {key} the checkpoint makes of [{}, {}), {}, found another",
                    parent.start_cursor,
                    parent.end_cursor,
                    derived.map_or("null".to_owned(), |(s, e)| format!("[{s}, {e})"))
                ),
            ));
        }
    }
    Ok(done)
}

/// What became of a parent says how many children it has: `nothing` none, `opaque` one over its
/// whole range, the others at least one.
fn check_children(
    entry: &RecordEntry,
    parent: &CursorConfig,
    children: &[usize],
    configs: &[&CursorConfig],
    at: &JsonPath,
) -> Result<()> {
    let expected = match entry.redrive {
        RedriveKind::Nothing if !children.is_empty() => "no child",
        RedriveKind::Split | RedriveKind::Whole if children.is_empty() => "at least one child",
        RedriveKind::Opaque => {
            let whole = |&i: &usize| {
                let c = configs[i];
                c.start_cursor.json() == parent.start_cursor.json()
                    && c.end_cursor.json() == parent.end_cursor.json()
            };
            if children.len() == 1 && children.iter().all(whole) {
                return Ok(());
            }
            "one child over the parent's whole range"
        }
        _ => return Ok(()),
    };
    Err(Error::at(
        ErrorCode::InvalidValue,
        &at.key("child_batch_ids"),
        format!(
            "expected {expected} for redrive {:?}, found {}",
            entry.redrive.as_str(),
            children.len()
        ),
    ))
}
