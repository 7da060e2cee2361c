//! The validation rules of the contract (§3), one implementation for every language.
//!
//! Per cursor config:
//! - both ends of one kind (`mixed_cursor_kinds`); `null` is an open end, allowed for every
//!   kind except integers (an integer range must be closed so that `batch_size` can be checked);
//! - integers: non-negative (`negative_cursor`), `start <= end` (`invalid_range`),
//!   `batch_size == end - start` (`batch_size_mismatch`); `start == end` is a warning;
//! - UUIDs and timestamps: `start <= end`; `start == end` is a warning;
//! - strings, composite and tuple keys are not ordered here: the caller owns their collation.
//!
//! Per `create_batches` outcome: at least one config (`no_cursor_configs`),
//! `worker_count == cursor_configs.len()` (`worker_count_mismatch`), unique `batch_id`s
//! (`duplicate_batch_id`), one kind for all ranges (`mixed_cursor_kinds`), no two ordered ranges
//! sharing keys (`overlapping_ranges`); a gap between ranges and a `batch_size` sum other than
//! `total_items` are warnings.

use std::collections::HashMap;

use crate::cursor::{Cursor, CursorKind, OrderedKey};
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::outcome::{BatchProcessingOutcome, CreateBatches};
use crate::path::JsonPath;

/// What validation learned about one range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeInfo {
    /// The kind of its ends (`Null` when both ends are open).
    pub kind: CursorKind,
    /// Start position for ordered kinds; `None` when open or unordered.
    pub start: Option<OrderedKey>,
    /// End position for ordered kinds; `None` when open or unordered.
    pub end: Option<OrderedKey>,
}

impl RangeInfo {
    /// Whether the kind has an order the core knows (integer, UUID, timestamp).
    pub fn is_ordered(&self) -> bool {
        matches!(
            self.kind,
            CursorKind::Integer | CursorKind::Uuid | CursorKind::Timestamp
        )
    }

    /// Whether the range provably holds no key.
    pub fn is_empty(&self) -> bool {
        matches!((self.start, self.end), (Some(s), Some(e)) if s >= e)
    }
}

/// Checks one cursor config found at `at`.
pub fn check_cursor_config(
    config: &CursorConfig,
    at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<RangeInfo> {
    check_range(config, &|| at.clone(), warnings)
}

/// `integer 5`, `string "x"`, `null`: a cursor with its kind, for messages.
fn described(kind: CursorKind, cursor: &Cursor) -> String {
    if kind == CursorKind::Null {
        "null".to_owned()
    } else {
        format!("{kind} {cursor}")
    }
}

/// [`check_cursor_config`] with the config's path built only when an error or a warning names
/// it: an outcome's configs are almost all valid, a worker's context is read for every step,
/// and formatting `cursor_configs[i].start_cursor` for each would cost more than the checks.
pub(crate) fn check_range(
    config: &CursorConfig,
    at: &dyn Fn() -> JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<RangeInfo> {
    let range = RangeParts {
        start_cursor: &config.start_cursor,
        end_cursor: &config.end_cursor,
        batch_size: Some(config.batch_size),
    };
    check_range_parts(range, at, warnings)
}

/// The parts of a cursor config a range check reads; a worker's inputs may lack `batch_size`
/// (then there is no size to check).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RangeParts<'a> {
    pub(crate) start_cursor: &'a Cursor,
    pub(crate) end_cursor: &'a Cursor,
    pub(crate) batch_size: Option<u32>,
}

/// [`check_range`] over the parts of a config.
pub(crate) fn check_range_parts(
    config: RangeParts<'_>,
    at: &dyn Fn() -> JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<RangeInfo> {
    // Classified at the root, then the error (if any) is moved to where the cursor is.
    let start = config
        .start_cursor
        .classify(&JsonPath::root())
        .map_err(|e| e.under(&at().key("start_cursor")))?;
    let end = config
        .end_cursor
        .classify(&JsonPath::root())
        .map_err(|e| e.under(&at().key("end_cursor")))?;

    let kind = match (start.kind, end.kind) {
        (a, b) if a == b => a,
        (CursorKind::Null, other) | (other, CursorKind::Null) if other != CursorKind::Integer => {
            other
        }
        (a, b) => {
            return Err(Error::at(
                ErrorCode::MixedCursorKinds,
                &at(),
                format!(
                    "expected start_cursor and end_cursor of one kind, found {} and {}",
                    described(a, config.start_cursor),
                    described(b, config.end_cursor)
                ),
            ))
        }
    };
    let info = RangeInfo {
        kind,
        start: start.key,
        end: end.key,
    };

    if kind == CursorKind::Integer {
        check_integer_range(config, at, &info)?;
    }
    if let (Some(s), Some(e)) = (info.start, info.end) {
        // (Integer ranges were checked in upstream's words above.)
        if s > e {
            return Err(Error::at(
                ErrorCode::InvalidRange,
                &at(),
                format!(
                    "expected start_cursor <= end_cursor, found start_cursor {} after end_cursor {}",
                    config.start_cursor, config.end_cursor
                ),
            ));
        }
        if s == e {
            warnings.push(Warning::at(
                WarningCode::ZeroLengthRange,
                &at(),
                format!(
                    "the range [{}, {}) holds no keys",
                    config.start_cursor, config.end_cursor
                ),
            ));
        }
    }
    Ok(info)
}

/// Integer ranges: non-negative ends, `start <= end`, `batch_size == end - start`. The first
/// two say it in upstream's words (docs/contract.md §9).
fn check_integer_range(
    config: RangeParts<'_>,
    at: &dyn Fn() -> JsonPath,
    info: &RangeInfo,
) -> Result<()> {
    let (Some(OrderedKey::Integer(s)), Some(OrderedKey::Integer(e))) = (info.start, info.end)
    else {
        unreachable!("integer cursors always have integer keys")
    };
    for (value, name) in [(s, "start_cursor"), (e, "end_cursor")] {
        if value < 0 {
            return Err(Error::at(
                ErrorCode::NegativeCursor,
                &at().key(name),
                format!("{name} must be non-negative, got {value}"),
            ));
        }
    }
    if s > e {
        return Err(Error::at(
            ErrorCode::InvalidRange,
            &at(),
            format!("start_cursor ({s}) must be <= end_cursor ({e})"),
        ));
    }
    match config.batch_size {
        Some(size) if e - s != size as i128 => Err(Error::at(
            ErrorCode::BatchSizeMismatch,
            &at().key("batch_size"),
            format!(
                "expected batch_size {} (end_cursor {e} - start_cursor {s}), found {size}",
                e - s
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks an outcome; problems that are legal become `warnings`.
pub fn check_outcome(outcome: &BatchProcessingOutcome, warnings: &mut Vec<Warning>) -> Result<()> {
    match outcome {
        BatchProcessingOutcome::NoBatches(no) => {
            for key in &no.ignored {
                warnings.push(Warning::at(
                    WarningCode::IgnoredField,
                    &JsonPath::root().key(key),
                    format!("{key} means nothing on a no_batches outcome and was dropped"),
                ));
            }
            Ok(())
        }
        BatchProcessingOutcome::CreateBatches(create) => check_create_batches(create, warnings),
    }
}

fn check_create_batches(create: &CreateBatches, warnings: &mut Vec<Warning>) -> Result<()> {
    let root = JsonPath::root();
    let configs_at = root.key("cursor_configs");
    if create.cursor_configs.is_empty() {
        return Err(Error::at(
            ErrorCode::NoCursorConfigs,
            &configs_at,
            "expected at least one cursor config, found none (use {\"type\":\"no_batches\"} for zero batches)",
        ));
    }
    if create.worker_count as usize != create.cursor_configs.len() {
        return Err(Error::at(
            ErrorCode::WorkerCountMismatch,
            &root.key("worker_count"),
            // Upstream's words (docs/contract.md §9).
            format!(
                "cursor_configs length ({}) must equal worker_count ({})",
                create.cursor_configs.len(),
                create.worker_count
            ),
        ));
    }

    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(create.cursor_configs.len());
    // What the coverage check compares, and nothing more: kept for every config, it would
    // double the memory a large outcome takes to validate.
    let mut bounds: Vec<(Bounds, usize)> = Vec::with_capacity(create.cursor_configs.len());
    let mut first_kind: Option<(CursorKind, usize)> = None;
    for (i, config) in create.cursor_configs.iter().enumerate() {
        let at = || configs_at.index(i);
        if let Some(first) = seen.insert(&config.batch_id, i) {
            return Err(Error::at(
                ErrorCode::DuplicateBatchId,
                &at().key("batch_id"),
                format!(
                    "expected a unique batch_id, found {:?} already used by cursor_configs[{first}]",
                    config.batch_id
                ),
            ));
        }
        let info = check_range(config, &at, warnings)?;
        if info.kind != CursorKind::Null {
            match first_kind {
                None => first_kind = Some((info.kind, i)),
                Some((kind, j)) if kind != info.kind => {
                    return Err(Error::at(
                        ErrorCode::MixedCursorKinds,
                        &at(),
                        format!(
                            "expected every range of one outcome to be of one kind ({kind}, as cursor_configs[{j}]), found {}",
                            info.kind
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        if (info.is_ordered() || info.kind == CursorKind::Null) && !info.is_empty() {
            bounds.push(((info.start, info.end), i));
        }
    }

    check_coverage(&create.cursor_configs, bounds, &configs_at, warnings)?;

    let sum: u64 = create
        .cursor_configs
        .iter()
        .map(|c| c.batch_size as u64)
        .sum();
    if sum != create.total_items {
        warnings.push(Warning::at(
            WarningCode::TotalItemsMismatch,
            &root.key("total_items"),
            format!(
                "the batch_sizes add up to {sum}, total_items says {}",
                create.total_items
            ),
        ));
    }
    Ok(())
}

/// A range's bounds on the number line of its kind: `None` ends are open.
type Bounds = (Option<OrderedKey>, Option<OrderedKey>);

/// Overlaps between ordered ranges are errors, gaps are warnings. `order` holds the bounds
/// of the non-empty ordered (or fully open) ranges and their index in `configs`.
fn check_coverage(
    configs: &[CursorConfig],
    mut order: Vec<(Bounds, usize)>,
    configs_at: &JsonPath,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    // Open starts sort first: `None < Some(_)`.
    if !order.windows(2).all(|w| w[0].0 .0 <= w[1].0 .0) {
        order.sort_by_key(|&((start, _), _)| start);
    }
    for pair in order.windows(2) {
        let ((_, prev_end), i) = pair[0];
        let ((next_start, _), j) = pair[1];
        let overlap = match (prev_end, next_start) {
            (None, _) | (_, None) => true,
            (Some(e), Some(s)) => s < e,
        };
        let describe = |k: usize| {
            format!(
                "cursor_configs[{k}] [{}, {})",
                configs[k].start_cursor, configs[k].end_cursor
            )
        };
        if overlap {
            let (first, second) = (i.min(j), i.max(j));
            return Err(Error::at(
                ErrorCode::OverlappingRanges,
                &configs_at.index(second),
                format!(
                    "expected ranges that share no keys, found {} overlapping {}",
                    describe(second),
                    describe(first)
                ),
            ));
        }
        if prev_end != next_start {
            warnings.push(Warning::at(
                WarningCode::RangeGap,
                &configs_at.index(j),
                format!(
                    "keys between {} and {} are in no range",
                    describe(i),
                    describe(j)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::from_json;

    fn check(text: &str) -> Result<Vec<Warning>> {
        let outcome: BatchProcessingOutcome = from_json(text)?;
        let mut warnings = vec![];
        check_outcome(&outcome, &mut warnings)?;
        Ok(warnings)
    }

    fn create(configs: &str, count: usize, total: u64) -> String {
        format!(
            r#"{{"type":"create_batches","worker_template_name":"w","worker_count":{count},"cursor_configs":{configs},"total_items":{total}}}"#
        )
    }

    #[test]
    fn a_valid_partition_has_no_warnings() {
        let text = create(
            r#"[{"batch_id":"001","start_cursor":0,"end_cursor":334,"batch_size":334},
                {"batch_id":"002","start_cursor":334,"end_cursor":668,"batch_size":334},
                {"batch_id":"003","start_cursor":668,"end_cursor":1000,"batch_size":332}]"#,
            3,
            1000,
        );
        assert_eq!(check(&text).unwrap(), vec![]);
    }

    #[test]
    fn worker_count_must_match() {
        let text = create(
            r#"[{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5}]"#,
            2,
            5,
        );
        let err = check(&text).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::WorkerCountMismatch, "worker_count")
        );
    }

    #[test]
    fn overlaps_are_errors_and_gaps_warnings() {
        let overlap = create(
            r#"[{"batch_id":"001","start_cursor":0,"end_cursor":6,"batch_size":6},
                {"batch_id":"002","start_cursor":5,"end_cursor":10,"batch_size":5}]"#,
            2,
            11,
        );
        let err = check(&overlap).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::OverlappingRanges, "cursor_configs[1]")
        );
        let gap = create(
            r#"[{"batch_id":"001","start_cursor":6,"end_cursor":10,"batch_size":4},
                {"batch_id":"002","start_cursor":0,"end_cursor":5,"batch_size":5}]"#,
            2,
            9,
        );
        let warnings = check(&gap).unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].code, WarningCode::RangeGap);
        assert_eq!(warnings[0].path, "cursor_configs[0]");
    }

    #[test]
    fn mixed_kinds_within_and_across_ranges_are_errors() {
        let within = create(
            r#"[{"batch_id":"001","start_cursor":0,"end_cursor":"z","batch_size":1}]"#,
            1,
            1,
        );
        assert_eq!(
            check(&within).unwrap_err().code,
            ErrorCode::MixedCursorKinds
        );
        let across = create(
            r#"[{"batch_id":"001","start_cursor":0,"end_cursor":1,"batch_size":1},
                {"batch_id":"002","start_cursor":"a","end_cursor":"b","batch_size":1}]"#,
            2,
            2,
        );
        let err = check(&across).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MixedCursorKinds, "cursor_configs[1]")
        );
    }

    #[test]
    fn open_ends_are_allowed_except_for_integers() {
        let open = create(
            r#"[{"batch_id":"001","start_cursor":"00000000-0000-0000-0000-000000000000","end_cursor":"80000000-0000-0000-0000-000000000000","batch_size":0},
                {"batch_id":"002","start_cursor":"80000000-0000-0000-0000-000000000000","end_cursor":null,"batch_size":0}]"#,
            2,
            0,
        );
        assert_eq!(check(&open).unwrap(), vec![]);
        let int_open = create(
            r#"[{"batch_id":"001","start_cursor":0,"end_cursor":null,"batch_size":0}]"#,
            1,
            0,
        );
        assert_eq!(
            check(&int_open).unwrap_err().code,
            ErrorCode::MixedCursorKinds
        );
    }
}
