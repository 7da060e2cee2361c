//! Whether the finished workers covered the key space: the last stage of
//! [`super::converge`].

use crate::cursor::{Cursor, CursorKind, OrderedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::outcome::CreateBatches;
use crate::path::JsonPath;
use crate::validation::{self, RangeInfo};

use super::failures::Assessment;
use super::{Coverage, Expected, Gap, Overlap};

/// The coverage of the key space by the workers `assessment` found finished, when
/// `check_coverage` asks for it.
pub(crate) fn cover(
    expected: &Expected<'_>,
    assessment: &Assessment,
    check_coverage: bool,
) -> Result<Coverage> {
    match expected {
        Expected::Configs { create, path } if check_coverage => {
            check(create, &assessment.finished, assessment, path)
        }
        Expected::Configs { create, .. } => {
            Ok(not_requested(missing_batch_ids(create, &assessment.finished)))
        }
        Expected::Unknown if check_coverage => Ok(Coverage::NotChecked {
            reason: "the batchable step's result holds no complete outcome, so the workers' ranges are unknown; coverage was not checked".to_owned(),
            missing_batch_ids: Vec::new(),
        }),
        Expected::Unknown => Ok(not_requested(Vec::new())),
    }
}

fn missing_batch_ids(create: &CreateBatches, finished: &[bool]) -> Vec<String> {
    create
        .cursor_configs
        .iter()
        .zip(finished)
        .filter(|(_, done)| !**done)
        .map(|(c, _)| c.batch_id.clone())
        .collect()
}

/// Coverage when `check_coverage` is false.
pub(crate) fn not_requested(missing_batch_ids: Vec<String>) -> Coverage {
    Coverage::NotChecked {
        reason: "check_coverage is false".to_owned(),
        missing_batch_ids,
    }
}

/// A position on the line of an ordered kind; open ends lie beyond every key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Point {
    Low,
    At(OrderedKey),
    High,
}

fn check(
    create: &CreateBatches,
    finished: &[bool],
    assessment: &Assessment,
    outcome_path: &JsonPath,
) -> Result<Coverage> {
    let configs = &create.cursor_configs;
    let configs_at = outcome_path.key("cursor_configs");
    // Range warnings were reported when the outcome was expanded.
    let mut repeated = Vec::new();
    let mut ranges: Vec<RangeInfo> = Vec::with_capacity(configs.len());
    let mut kind: Option<(CursorKind, usize)> = None;
    for (i, config) in configs.iter().enumerate() {
        let at = || configs_at.index(i);
        let info = validation::check_range(config, &at, &mut repeated)?;
        match kind {
            _ if info.kind == CursorKind::Null => {}
            None => kind = Some((info.kind, i)),
            Some((first, j)) if first != info.kind => {
                return Err(Error::at(
                    ErrorCode::MixedCursorKinds,
                    &at(),
                    format!(
                        "expected every range of one outcome to be of one kind ({first}, as cursor_configs[{j}]), found {}",
                        info.kind
                    ),
                ))
            }
            Some(_) => {}
        }
        ranges.push(info);
    }
    if let Some((kind, _)) = kind {
        if !matches!(
            kind,
            CursorKind::Integer | CursorKind::Uuid | CursorKind::Timestamp
        ) {
            return Ok(Coverage::NotChecked {
                reason: format!(
                    "{kind} cursors have no order the core knows (the caller owns their collation); coverage was not checked"
                ),
                missing_batch_ids: missing_batch_ids(create, finished),
            });
        }
    }

    let start = |r: &RangeInfo| r.start.map_or(Point::Low, Point::At);
    let end = |r: &RangeInfo| r.end.map_or(Point::High, Point::At);
    // The outcome's whole span; ties keep the first config's cursor.
    let mut first = 0;
    let mut last = 0;
    for (i, r) in ranges.iter().enumerate() {
        if start(r) < start(&ranges[first]) {
            first = i;
        }
        if end(r) > end(&ranges[last]) {
            last = i;
        }
    }

    let mut done: Vec<usize> = (0..configs.len())
        .filter(|&i| finished[i] && start(&ranges[i]) < end(&ranges[i]))
        .collect();
    done.sort_by_key(|&i| (start(&ranges[i]), i));

    let mut gaps = Vec::new();
    let mut reached = (start(&ranges[first]), &configs[first].start_cursor);
    for &i in &done {
        let (s, e) = (start(&ranges[i]), end(&ranges[i]));
        if s > reached.0 {
            gaps.push(gap(reached.1, &configs[i].start_cursor));
        }
        if e > reached.0 {
            reached = (e, &configs[i].end_cursor);
        }
    }
    if reached.0 < end(&ranges[last]) {
        gaps.push(gap(reached.1, &configs[last].end_cursor));
    }

    let mut overlaps = Vec::new();
    for (n, &i) in done.iter().enumerate() {
        let end_i = end(&ranges[i]);
        for &j in &done[n + 1..] {
            if start(&ranges[j]) >= end_i {
                break;
            }
            overlaps.push(Overlap {
                batch_ids: [configs[i].batch_id.clone(), configs[j].batch_id.clone()],
            });
        }
    }

    Ok(Coverage::Checked {
        complete: gaps.is_empty() && overlaps.is_empty() && assessment.failed.is_empty(),
        gaps,
        overlaps,
    })
}

fn gap(start: &Cursor, end: &Cursor) -> Gap {
    Gap {
        start_cursor: start.clone(),
        end_cursor: end.clone(),
    }
}
