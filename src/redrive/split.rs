//! One failed range: where its remainder starts, how it is cut, and the children it becomes.
//!
//! [`plan`] validates and decides (nothing is built, so the number of children can be bounded
//! over the whole request first); [`build`] makes the children with the partitioners'
//! functions, then gives them the exact outer ends, their ids and the parent's caller keys.

use std::collections::HashMap;

use super::output::{Child, RedriveKind, Redriven};
use super::{child_batch_id, FailedRange, Split, PARENT_BATCH_ID};
use crate::cursor::{Cursor, CursorKind, OrderedKey};
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::input::{Extra, RawJson};
use crate::partition::{self, TimestampSpans};
use crate::path::JsonPath;
use crate::validation::RangeInfo;

/// What one failed range becomes, decided but not built.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The first key of the remainder: the checkpoint, or the range's start.
    from: Cursor,
    /// Whether `from` is a checkpoint past the start (there is a done part).
    has_done_part: bool,
    cut: Cut,
}

#[derive(Clone, Debug, PartialEq)]
enum Cut {
    /// The remainder holds no key.
    Nothing,
    /// The checkpoint is an opaque token: one child over the whole range, resuming from it.
    Opaque,
    /// `[from, end)` as one child.
    Whole,
    /// Integer keys `[from, from + width)`.
    Integer { from: i128, width: u64 },
    /// `count` UUID ranges from `from` to `end` (`None`: open).
    Uuid {
        from: u128,
        end: Option<u128>,
        count: u32,
    },
    /// `count` timestamp spans, in nanoseconds.
    Timestamp { from: i128, end: i128, count: u32 },
    /// At the caller's interior boundaries.
    Boundaries(Vec<Cursor>),
}

impl Plan {
    /// The number of children (for integers, an upper bound the build never exceeds).
    pub(crate) fn count_with(&self, how: Split) -> usize {
        match &self.cut {
            Cut::Nothing => 0,
            Cut::Opaque | Cut::Whole => 1,
            Cut::Integer { width, .. } => match how {
                Split::Pieces(p) => (*width).min(u64::from(p)) as usize,
                Split::TargetBatchSize(t) => width.div_ceil(u64::from(t)) as usize,
            },
            Cut::Uuid { count, .. } | Cut::Timestamp { count, .. } => *count as usize,
            Cut::Boundaries(inner) => inner.len() + 1,
        }
    }
}

/// The children's items for kinds whose size is not `end - start`: what the parent had left.
fn estimate(parent: &CursorConfig, failed: &FailedRange) -> u64 {
    u64::from(parent.batch_size).saturating_sub(failed.processed_count.unwrap_or(0))
}

/// Where a checkpoint stands in a range being redriven: read the same way by `redrive`, which
/// decides from it, and by `converge`, which checks a redrive record against it.
pub(crate) struct CheckpointPlace {
    /// The checkpoint's own kind.
    pub(crate) kind: CursorKind,
    /// Its position, for ordered kinds.
    pub(crate) key: Option<OrderedKey>,
    /// Another kind than the range's (or any checkpoint of a range open at both ends): a token
    /// with no place in the range's order.
    pub(crate) opaque: bool,
    /// Past the range's start: the parent finished a part `[start, checkpoint)`.
    pub(crate) past_start: bool,
}

/// Reads `checkpoint` (at `cp_at`) against `parent`'s range: an ordered checkpoint outside
/// `[start, end]` is `checkpoint_out_of_range`; an opaque token is not compared.
pub(crate) fn place_checkpoint(
    parent: &CursorConfig,
    range: RangeInfo,
    checkpoint: &Cursor,
    cp_at: &JsonPath,
) -> Result<CheckpointPlace> {
    let classified = checkpoint
        .classify(&JsonPath::root())
        .map_err(|e| e.under(cp_at))?;
    let opaque = classified.kind != range.kind || range.kind == CursorKind::Null;
    if !opaque {
        if let Some(key) = classified.key {
            if range.start.is_some_and(|s| key < s) || range.end.is_some_and(|e| key > e) {
                return Err(Error::at(
                    ErrorCode::CheckpointOutOfRange,
                    cp_at,
                    format!(
                        "expected a checkpoint in [{}, {}], found {checkpoint}",
                        parent.start_cursor, parent.end_cursor
                    ),
                ));
            }
        }
    }
    let past_start = match (classified.key, range.start) {
        (Some(key), Some(start)) => key > start,
        _ => checkpoint.json() != parent.start_cursor.json(),
    };
    Ok(CheckpointPlace {
        kind: classified.kind,
        key: classified.key,
        opaque,
        past_start,
    })
}

/// Validates a failed range's checkpoint and boundaries and decides how it is cut.
pub(crate) fn plan(
    parent: &CursorConfig,
    range: RangeInfo,
    failed: &FailedRange,
    how: Split,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<Plan> {
    let cp_at = at.key("checkpoint_cursor");
    let (from, from_key, has_done_part) = match &failed.checkpoint_cursor {
        None => (parent.start_cursor.clone(), range.start, false),
        Some(checkpoint) => {
            let place = place_checkpoint(parent, range, checkpoint, &cp_at)?;
            if place.opaque {
                if failed.boundaries.is_some() {
                    return Err(Error::at(
                        ErrorCode::InvalidValue,
                        &at.key("boundaries"),
                        format!(
                            "expected no boundaries: the checkpoint {checkpoint} is an opaque token (a {} cursor in a range of kind {}), and the remainder after it cannot be cut",
                            place.kind, range.kind
                        ),
                    ));
                }
                warnings.push(Warning::at(
                    WarningCode::OpaqueCheckpoint,
                    &cp_at,
                    format!(
                        "the checkpoint {checkpoint} is a {} cursor in a range of kind {}: an opaque token; the remainder is one child over the whole range, resuming from it",
                        place.kind, range.kind
                    ),
                ));
                return Ok(Plan {
                    from: checkpoint.clone(),
                    has_done_part: false,
                    cut: Cut::Opaque,
                });
            }
            (checkpoint.clone(), place.key, place.past_start)
        }
    };

    let empty = match (from_key, range.end) {
        (Some(f), Some(e)) => f >= e,
        // Unordered kinds: only equal ends are known to be empty; an open start is not.
        _ => !from.0.is_null() && from.json() == parent.end_cursor.json(),
    };
    if empty {
        let (path, what) = match &failed.checkpoint_cursor {
            Some(checkpoint) => (
                cp_at,
                format!(
                    "the checkpoint {checkpoint} is the end of the range [{}, {}): everything is done, nothing is redriven",
                    parent.start_cursor, parent.end_cursor
                ),
            ),
            None => (
                at.clone(),
                format!(
                    "the range [{}, {}) holds no keys: nothing is redriven",
                    parent.start_cursor, parent.end_cursor
                ),
            ),
        };
        warnings.push(Warning::at(WarningCode::NothingToRedrive, &path, what));
        return Ok(Plan {
            from,
            has_done_part,
            cut: Cut::Nothing,
        });
    }

    if range.kind != CursorKind::Integer
        && failed.processed_count.unwrap_or(0) > u64::from(parent.batch_size)
    {
        warnings.push(Warning::at(
            WarningCode::TotalItemsMismatch,
            &at.key("processed_count"),
            format!(
                "processed_count {} is more than the range's batch_size {}: the children's batch_size is 0",
                failed.processed_count.unwrap_or(0),
                parent.batch_size
            ),
        ));
    }

    let cut = if let Some(inner) = &failed.boundaries {
        check_boundaries(inner, &from, from_key, parent, range, &at.key("boundaries"))?;
        Cut::Boundaries(inner.clone())
    } else {
        match (range.kind, from_key, range.end) {
            (CursorKind::Integer, Some(OrderedKey::Integer(f)), Some(OrderedKey::Integer(e))) => {
                Cut::Integer {
                    from: f,
                    width: (e - f) as u64,
                }
            }
            (CursorKind::Uuid, Some(OrderedKey::Uuid(f)), end) => {
                let end = match end {
                    Some(OrderedKey::Uuid(e)) => Some(e),
                    _ => None,
                };
                let width_minus_one = end.map_or(u128::MAX - f, |e| e - f - 1);
                let count = pieces_within(how, estimate(parent, failed), width_minus_one);
                Cut::Uuid {
                    from: f,
                    end,
                    count,
                }
            }
            (
                CursorKind::Timestamp,
                Some(OrderedKey::Timestamp(f)),
                Some(OrderedKey::Timestamp(e)),
            ) => {
                let width_minus_one = (e - f) as u128 - 1;
                let count = pieces_within(how, estimate(parent, failed), width_minus_one);
                Cut::Timestamp {
                    from: f,
                    end: e,
                    count,
                }
            }
            // Unordered kinds, and ordered ranges with an open end the arithmetic cannot
            // reach (an open start, an open timestamp end): kept whole.
            _ => Cut::Whole,
        }
    };
    Ok(Plan {
        from,
        has_done_part,
        cut,
    })
}

/// The pieces of a remainder of `width_minus_one + 1` keys: never more than it holds keys.
fn pieces_within(how: Split, estimate: u64, width_minus_one: u128) -> u32 {
    let wanted = match how {
        Split::Pieces(p) => u64::from(p),
        Split::TargetBatchSize(t) => estimate.div_ceil(u64::from(t)).max(1),
    };
    // `wanted` is at most u32::MAX (pieces) or u64::MAX / 1; the bound check of the whole
    // request refuses more than MAX_PARTITIONS, so saturate at u32 here.
    let wanted = u128::from(wanted).min(width_minus_one.saturating_add(1));
    u32::try_from(wanted).unwrap_or(u32::MAX)
}

/// The caller's interior cut points: of the range's kind, not open, and strictly inside
/// `(from, end)` (ordered kinds, in increasing order) or distinct from each other and from
/// both ends (other kinds).
fn check_boundaries(
    inner: &[Cursor],
    from: &Cursor,
    from_key: Option<OrderedKey>,
    parent: &CursorConfig,
    range: RangeInfo,
    at: &JsonPath,
) -> Result<()> {
    let mut previous = from_key;
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(inner.len());
    for (j, boundary) in inner.iter().enumerate() {
        let b_at = at.index(j);
        if boundary.0.is_null() {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &b_at,
                "expected a cursor, found null (an interior boundary cannot be an open end)",
            ));
        }
        let classified = boundary
            .classify(&JsonPath::root())
            .map_err(|e| e.under(&b_at))?;
        if classified.kind != range.kind {
            return Err(Error::at(
                ErrorCode::MixedCursorKinds,
                &b_at,
                format!(
                    "expected a boundary of the range's kind ({}), found {} {boundary}",
                    range.kind, classified.kind
                ),
            ));
        }
        if let Some(key) = classified.key {
            let after_previous = previous.is_none_or(|p| key > p);
            let before_end = range.end.is_none_or(|e| key < e);
            if !(after_previous && before_end) {
                return Err(Error::at(
                    ErrorCode::InvalidRange,
                    &b_at,
                    format!(
                        "expected boundaries in strictly increasing order, strictly between {from} and {}, found {boundary}",
                        parent.end_cursor
                    ),
                ));
            }
            previous = Some(key);
        } else {
            let text = boundary.json();
            if text == from.json() || text == parent.end_cursor.json() {
                return Err(Error::at(
                    ErrorCode::InvalidRange,
                    &b_at,
                    format!(
                        "expected a boundary distinct from both ends {from} and {} (the piece would be empty), found {boundary}",
                        parent.end_cursor
                    ),
                ));
            }
            if let Some(first) = seen.insert(text, j) {
                return Err(Error::at(
                    ErrorCode::InvalidRange,
                    &b_at,
                    format!(
                        "expected distinct boundaries (the piece between equal ones is empty), found {boundary} again, as boundaries[{first}]"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Makes the children of a planned range.
pub(crate) fn build(
    parent: &CursorConfig,
    failed: &FailedRange,
    plan: Plan,
    how: Split,
    at: &JsonPath,
) -> Result<Redriven> {
    let items = estimate(parent, failed);
    let end = &parent.end_cursor;
    let (kind, configs, seed) = match &plan.cut {
        Cut::Nothing => (RedriveKind::Nothing, Vec::new(), None),
        Cut::Opaque => {
            let mut seed = Extra::default();
            seed.set("checkpoint_cursor", plan.from.0.clone());
            if let Some(count) = failed.processed_count {
                seed.set("processed_count", RawJson::from_serialize(&count));
            }
            if let Some(accumulated) = &failed.accumulated_results {
                seed.set("accumulated_results", accumulated.clone());
            }
            let whole = CursorConfig::new(
                String::new(),
                parent.start_cursor.clone(),
                end.clone(),
                parent.batch_size,
            );
            (RedriveKind::Opaque, vec![whole], Some(seed))
        }
        Cut::Whole => {
            let size = match (
                plan.from.classify(&JsonPath::root()),
                parent.end_cursor.classify(&JsonPath::root()),
            ) {
                (Ok(f), Ok(e)) => match (f.key, e.key) {
                    (Some(OrderedKey::Integer(f)), Some(OrderedKey::Integer(e))) => (e - f) as u32,
                    _ => clamp(items),
                },
                _ => clamp(items),
            };
            let whole = CursorConfig::new(String::new(), plan.from.clone(), end.clone(), size);
            (RedriveKind::Whole, vec![whole], None)
        }
        Cut::Integer { from, width } => {
            let configs = match how {
                Split::Pieces(p) => partition::integer_by_count(*width, p, *from),
                Split::TargetBatchSize(t) => partition::integer_by_size(*width, t, None, *from),
            }
            .map_err(|e| e.under(at))?;
            (RedriveKind::Split, configs, None)
        }
        Cut::Uuid { from, end, count } => {
            let configs =
                partition::uuid(*count, *from, *end, Some(items)).map_err(|e| e.under(at))?;
            (RedriveKind::Split, configs, None)
        }
        Cut::Timestamp { from, end, count } => {
            let configs =
                partition::timestamp(*from, *end, TimestampSpans::Count(*count), Some(items))
                    .map_err(|e| e.under(at))?;
            (RedriveKind::Split, configs, None)
        }
        Cut::Boundaries(inner) => {
            let mut all = Vec::with_capacity(inner.len() + 2);
            all.push(plan.from.clone());
            all.extend(inner.iter().cloned());
            all.push(end.clone());
            let integer = plan.from.kind() == CursorKind::Integer;
            let total = if integer { None } else { Some(items) };
            let configs =
                partition::boundaries(&all, total, &mut Vec::new()).map_err(|e| e.under(at))?;
            (RedriveKind::Split, configs, None)
        }
    };

    let last = configs.len().saturating_sub(1);
    let children = configs
        .into_iter()
        .enumerate()
        .map(|(i, mut config)| {
            config.batch_id = child_batch_id(&parent.batch_id, i + 1);
            if i == 0 && kind != RedriveKind::Opaque {
                config.start_cursor = plan.from.clone();
            }
            if i == last {
                config.end_cursor = end.clone();
            }
            config.extra = parent.extra.clone();
            config.extra.set(
                PARENT_BATCH_ID,
                RawJson::from_serialize(parent.batch_id.as_str()),
            );
            Child {
                config,
                results: seed.clone(),
            }
        })
        .collect();

    let done = (plan.has_done_part && kind != RedriveKind::Opaque)
        .then(|| (parent.start_cursor.clone(), plan.from.clone()));
    let remainder = matches!(kind, RedriveKind::Split | RedriveKind::Whole)
        .then(|| (plan.from.clone(), end.clone()));
    Ok(Redriven {
        parent_batch_id: parent.batch_id.clone(),
        kind,
        checkpoint_cursor: failed.checkpoint_cursor.clone(),
        processed_count: failed.processed_count,
        accumulated_results: failed.accumulated_results.clone(),
        done,
        remainder,
        children,
    })
}

/// An item estimate as a `batch_size` (the parent's own size bounds it).
fn clamp(items: u64) -> u32 {
    u32::try_from(items).unwrap_or(u32::MAX)
}
