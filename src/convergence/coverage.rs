//! Whether the finished workers covered the key space: the last stage of
//! [`super::converge`].

use crate::cursor::{Cursor, CursorKind, OrderedKey};
use crate::error::{Error, ErrorCode, Result};
use crate::path::JsonPath;
use crate::validation::{self, RangeInfo};

use super::failures::Assessment;
use super::redriven::Ranges;
use super::{Coverage, Expected, Gap, Overlap};

/// The coverage of the key space by the workers `assessment` found finished, when
/// `check_coverage` asks for it.
pub(crate) fn cover(
    expected: &Expected<'_>,
    assessment: &Assessment,
    check_coverage: bool,
) -> Result<Coverage> {
    match expected {
        Expected::Configs { ranges, .. } if check_coverage => check(ranges, assessment),
        Expected::Configs { ranges, .. } => {
            Ok(not_requested(missing_batch_ids(ranges, &assessment.finished)))
        }
        Expected::Unknown if check_coverage => Ok(Coverage::NotChecked {
            reason: "the batchable step's result holds no complete outcome, so the workers' ranges are unknown; coverage was not checked".to_owned(),
            missing_batch_ids: Vec::new(),
        }),
        Expected::Unknown => Ok(not_requested(Vec::new())),
    }
}

/// The ranges whose worker did not finish, superseded ones left out (their children stand for
/// them).
fn missing_batch_ids(ranges: &Ranges<'_>, finished: &[bool]) -> Vec<String> {
    ranges
        .configs
        .iter()
        .zip(finished)
        .zip(&ranges.superseded)
        .filter(|((_, done), superseded)| !**done && superseded.is_none())
        .map(|((c, _), _)| c.batch_id.clone())
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

/// A part of the key space some worker finished: a finished range, or the done part of a
/// superseded parent (named by the parent's id).
struct Piece<'c> {
    start: Point,
    end: Point,
    start_cursor: &'c Cursor,
    end_cursor: &'c Cursor,
    batch_id: &'c str,
}

fn check(ranges: &Ranges<'_>, assessment: &Assessment) -> Result<Coverage> {
    let configs = &ranges.configs;
    // Range warnings were reported when the outcome was expanded and the children redriven.
    let mut repeated = Vec::new();
    let mut infos: Vec<RangeInfo> = Vec::with_capacity(configs.len());
    let mut kind: Option<(CursorKind, usize)> = None;
    for (i, config) in configs.iter().enumerate() {
        let at = || ranges.path(i);
        let info = validation::check_range(config, &at, &mut repeated)?;
        match kind {
            _ if info.kind == CursorKind::Null => {}
            None => kind = Some((info.kind, i)),
            Some((first, j)) if first != info.kind => {
                return Err(Error::at(
                    ErrorCode::MixedCursorKinds,
                    &at(),
                    format!(
                        "expected every range of one outcome to be of one kind ({first}, as {}), found {}",
                        ranges.path(j),
                        info.kind
                    ),
                ))
            }
            Some(_) => {}
        }
        infos.push(info);
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
                missing_batch_ids: missing_batch_ids(ranges, &assessment.finished),
            });
        }
    }

    let start = |r: &RangeInfo| r.start.map_or(Point::Low, Point::At);
    let end = |r: &RangeInfo| r.end.map_or(Point::High, Point::At);
    // The outcome's whole span; ties keep the first config's cursor. Children lie inside it.
    let mut first = 0;
    let mut last = 0;
    for (i, r) in infos.iter().enumerate().take(ranges.roots) {
        if start(r) < start(&infos[first]) {
            first = i;
        }
        if end(r) > end(&infos[last]) {
            last = i;
        }
    }

    let mut pieces: Vec<Piece<'_>> = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let info = &infos[i];
        if assessment.finished[i] {
            pieces.push(Piece {
                start: start(info),
                end: end(info),
                start_cursor: &config.start_cursor,
                end_cursor: &config.end_cursor,
                batch_id: &config.batch_id,
            });
        } else if let Some((from, to)) = ranges.superseded[i].as_ref().and_then(|s| s.done) {
            // A checkpoint of the range's kind, inside the range (checked with the redrive).
            let to_key = to
                .classify(&JsonPath::root())
                .ok()
                .and_then(|c| c.key)
                .map_or(Point::High, Point::At);
            pieces.push(Piece {
                start: start(info),
                end: to_key,
                start_cursor: from,
                end_cursor: to,
                batch_id: &config.batch_id,
            });
        }
    }
    pieces.retain(|p| p.start < p.end);
    pieces.sort_by_key(|p| p.start);

    let mut gaps = Vec::new();
    let mut reached = (start(&infos[first]), &configs[first].start_cursor);
    for piece in &pieces {
        if piece.start > reached.0 {
            gaps.push(gap(reached.1, piece.start_cursor));
        }
        if piece.end > reached.0 {
            reached = (piece.end, piece.end_cursor);
        }
    }
    if reached.0 < end(&infos[last]) {
        gaps.push(gap(reached.1, &configs[last].end_cursor));
    }

    let mut overlaps = Vec::new();
    for (n, piece) in pieces.iter().enumerate() {
        for other in &pieces[n + 1..] {
            if other.start >= piece.end {
                break;
            }
            overlaps.push(Overlap {
                batch_ids: [piece.batch_id.to_owned(), other.batch_id.to_owned()],
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
