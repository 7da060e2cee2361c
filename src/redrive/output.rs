//! The output of `redrive`: per parent what happened, and the children as cursor configs,
//! worker steps and edges, written as expansion writes its plan.

use std::collections::HashMap;

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::Task;
use crate::cursor::Cursor;
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::expansion::{serialize_worker_edges, WorkerStepName};
use crate::input::{Extra, RawJson};
use crate::path::JsonPath;
use crate::worker_inputs::WorkerInputsRef;

/// What became of one failed range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedriveKind {
    /// The remainder was cut into children by the partitioners' arithmetic or at boundaries.
    Split,
    /// The remainder is one child (an unordered kind without boundaries, or an open end).
    Whole,
    /// The checkpoint is an opaque token: one child over the range resumes from it.
    Opaque,
    /// The checkpoint is at the end (or the range is empty): no child.
    Nothing,
}

/// Read from its wire spelling (a string: every front end's deserializer gives one).
impl<'de> Deserialize<'de> for RedriveKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const ALL: [RedriveKind; 4] = [
            RedriveKind::Split,
            RedriveKind::Whole,
            RedriveKind::Opaque,
            RedriveKind::Nothing,
        ];
        let text = String::deserialize(deserializer)?;
        ALL.into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                serde::de::Error::unknown_variant(&text, &["split", "whole", "opaque", "nothing"])
            })
    }
}

impl RedriveKind {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            RedriveKind::Split => "split",
            RedriveKind::Whole => "whole",
            RedriveKind::Opaque => "opaque",
            RedriveKind::Nothing => "nothing",
        }
    }
}

/// One child: its config, and the results its step starts with (the parent's checkpoint,
/// when that is an opaque token to resume from).
#[derive(Clone, Debug, PartialEq)]
pub struct Child {
    /// The child's range, id and `parent_batch_id`.
    pub config: CursorConfig,
    /// The step's initial results, if any.
    pub results: Option<Extra>,
}

/// One failed range and its children.
#[derive(Clone, Debug, PartialEq)]
pub struct Redriven {
    /// The failed range's batch id.
    pub parent_batch_id: String,
    /// What happened to it.
    pub kind: RedriveKind,
    /// Its checkpoint, as given.
    pub checkpoint_cursor: Option<Cursor>,
    /// Items before the checkpoint, as given.
    pub processed_count: Option<u64>,
    /// The running totals up to the checkpoint, as given: what convergence counts for the
    /// parent's done part.
    pub accumulated_results: Option<RawJson>,
    /// `[start, checkpoint)`: the part the parent finished, when there is one it can name.
    pub done: Option<(Cursor, Cursor)>,
    /// `[checkpoint or start, end)`: the part the children cover (not for an opaque token).
    pub remainder: Option<(Cursor, Cursor)>,
    /// The children, in key order.
    pub children: Vec<Child>,
}

/// The validated plan of a redrive.
#[derive(Clone, Debug, PartialEq)]
pub struct RedrivePlan {
    request: Task,
    redriven: Vec<Redriven>,
}

impl RedrivePlan {
    pub(super) fn new(request: Task, redriven: Vec<Redriven>) -> Self {
        RedrivePlan { request, redriven }
    }

    /// Per failed range, in request order.
    pub fn redriven(&self) -> &[Redriven] {
        &self.redriven
    }

    /// Every child, in request order then key order.
    pub fn children(&self) -> impl Iterator<Item = &Child> {
        self.redriven.iter().flat_map(|r| r.children.iter())
    }

    fn child_count(&self) -> usize {
        self.redriven.iter().map(|r| r.children.len()).sum()
    }

    fn step_name<'c>(&'c self, child: &'c Child) -> WorkerStepName<'c> {
        WorkerStepName {
            template: &self.request.worker_template_name,
            batch_id: &child.config.batch_id,
        }
    }

    /// Children's step names must not collide with the batchable or convergence steps.
    pub(super) fn check_step_names(&self) -> Result<()> {
        let root = JsonPath::root();
        let names_at = root.key("convergence_step_names");
        let mut others: HashMap<&str, JsonPath> = HashMap::new();
        others.insert(
            &self.request.batchable_step_name,
            root.key("batchable_step_name"),
        );
        for (i, name) in self.request.convergence_step_names.iter().enumerate() {
            if let Some(first) = others.insert(name, names_at.index(i)) {
                return Err(Error::at(
                    ErrorCode::DuplicateStepName,
                    &names_at.index(i),
                    format!("expected step names distinct from each other, found {name:?} also at {first}"),
                ));
            }
        }
        for child in self.children() {
            let name = self.step_name(child).to_string();
            if let Some(at) = others.get(name.as_str()) {
                return Err(Error::at(
                    ErrorCode::DuplicateStepName,
                    at,
                    format!("expected a name distinct from every child step, found {name:?}, the name of child {:?}", child.config.batch_id),
                ));
            }
        }
        Ok(())
    }
}

impl Serialize for RedrivePlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("batchable_step_name", &self.request.batchable_step_name)?;
        map.serialize_entry("redriven", &Entries(self))?;
        map.serialize_entry("worker_count", &self.child_count())?;
        map.serialize_entry("cursor_configs", &Configs(self))?;
        map.serialize_entry("workers", &Workers(self))?;
        map.serialize_entry("edges", &Edges(self))?;
        map.end()
    }
}

struct Entries<'a>(&'a RedrivePlan);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.redriven.len()))?;
        for entry in &self.0.redriven {
            seq.serialize_element(&Entry(entry))?;
        }
        seq.end()
    }
}

struct Entry<'a>(&'a Redriven);

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entry = self.0;
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("parent_batch_id", &entry.parent_batch_id)?;
        map.serialize_entry("redrive", entry.kind.as_str())?;
        map.serialize_entry("checkpoint_cursor", &entry.checkpoint_cursor)?;
        map.serialize_entry("processed_count", &entry.processed_count)?;
        map.serialize_entry("accumulated_results", &entry.accumulated_results)?;
        map.serialize_entry("done", &entry.done.as_ref().map(Span))?;
        map.serialize_entry("remainder", &entry.remainder.as_ref().map(Span))?;
        let ids: Vec<&str> = entry
            .children
            .iter()
            .map(|c| c.config.batch_id.as_str())
            .collect();
        map.serialize_entry("child_batch_ids", &ids)?;
        map.end()
    }
}

struct Span<'a>(&'a (Cursor, Cursor));

impl Serialize for Span<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("start_cursor", &self.0 .0)?;
        map.serialize_entry("end_cursor", &self.0 .1)?;
        map.end()
    }
}

struct Configs<'a>(&'a RedrivePlan);

impl Serialize for Configs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.child_count()))?;
        for child in self.0.children() {
            seq.serialize_element(&child.config)?;
        }
        seq.end()
    }
}

struct Workers<'a>(&'a RedrivePlan);

impl Serialize for Workers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let mut seq = serializer.serialize_seq(Some(plan.child_count()))?;
        for child in plan.children() {
            seq.serialize_element(&Worker { plan, child })?;
        }
        seq.end()
    }
}

struct Worker<'a> {
    plan: &'a RedrivePlan,
    child: &'a Child,
}

impl Serialize for Worker<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let request = &self.plan.request;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.plan.step_name(self.child))?;
        map.serialize_entry("batch_id", &self.child.config.batch_id)?;
        map.serialize_entry(
            "inputs",
            &WorkerInputsRef {
                cursor: &self.child.config,
                batch_metadata: &request.batch_metadata,
                is_no_op: false,
                extra: &request.initialization,
            },
        )?;
        if let Some(results) = &self.child.results {
            map.serialize_entry("results", results)?;
        }
        map.end()
    }
}

struct Edges<'a>(&'a RedrivePlan);

impl Serialize for Edges<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let request = &plan.request;
        let per_child = 1 + request.convergence_step_names.len();
        let mut seq = serializer.serialize_seq(Some(plan.child_count() * per_child))?;
        for child in plan.children() {
            serialize_worker_edges(
                &mut seq,
                &request.batchable_step_name,
                plan.step_name(child),
                &request.convergence_step_names,
            )?;
        }
        seq.end()
    }
}
