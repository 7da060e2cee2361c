//! The boundaries strategy: ranges between caller-supplied boundaries, of any cursor kind,
//! kept as their exact text.

use std::collections::HashMap;

use super::ranges::{check_count, contiguous, Shares};
use super::MAX_BATCH_SIZE;
use crate::cursor::{Cursor, CursorKind, OrderedKey};
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::path::JsonPath;

/// Ranges `[b_i, b_{i+1})` between caller-supplied boundaries, kept as their exact text. See
/// the module documentation for the rules (open ends, one kind, increasing order).
/// Errors name `boundaries[i]`.
///
/// ```
/// use tasker_batch::cursor::Cursor;
///
/// let bounds = [Cursor::from_json(r#"{"region":"eu","page":0}"#).unwrap(),
///               Cursor::from_json(r#"{"region":"us","page":0}"#).unwrap()];
/// let configs = tasker_batch::partition::boundaries(&bounds, Some(40), &mut vec![]).unwrap();
/// assert_eq!(configs[0].end_cursor.json(), r#"{"region":"us","page":0}"#);
/// assert_eq!(configs[0].batch_size, 40);
/// ```
pub fn boundaries(
    boundaries: &[Cursor],
    total_items: Option<u64>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<CursorConfig>> {
    let list_at = JsonPath::root().key("boundaries");
    let n = boundaries.len();
    if n < 2 {
        return Err(Error::at(
            ErrorCode::InvalidValue,
            &list_at,
            format!("expected at least 2 boundaries (one range), found {n}"),
        ));
    }
    let count = n - 1;
    check_count(count as u64, "boundaries", format_args!("{n} boundaries"))?;

    let mut kind: Option<(CursorKind, usize)> = None;
    let mut keys: Vec<Option<OrderedKey>> = Vec::with_capacity(n);
    for (i, boundary) in boundaries.iter().enumerate() {
        let at = list_at.index(i);
        if boundary.0.is_null() {
            if i != 0 && i != count {
                return Err(Error::at(
                    ErrorCode::InvalidValue,
                    &at,
                    "expected a cursor, found null (null is an open end: only the first or last boundary may be null)",
                ));
            }
            keys.push(None);
            continue;
        }
        let classified = boundary.classify(&at)?;
        match kind {
            None => kind = Some((classified.kind, i)),
            Some((first, j)) if first != classified.kind => {
                return Err(Error::at(
                    ErrorCode::MixedCursorKinds,
                    &at,
                    format!(
                        "expected every boundary of one kind ({first}, as boundaries[{j}]), found {} {boundary}",
                        classified.kind
                    ),
                ))
            }
            Some(_) => {}
        }
        keys.push(classified.key);
    }
    let kind = kind.map_or(CursorKind::Null, |(kind, _)| kind);

    let ordered = matches!(
        kind,
        CursorKind::Integer | CursorKind::Uuid | CursorKind::Timestamp
    );
    if ordered {
        for i in 1..n {
            if let (Some(prev), Some(next)) = (keys[i - 1], keys[i]) {
                if next <= prev {
                    return Err(Error::at(
                        ErrorCode::InvalidRange,
                        &list_at.index(i),
                        format!(
                            "expected boundaries in strictly increasing order, found {} after {}",
                            boundaries[i],
                            boundaries[i - 1]
                        ),
                    ));
                }
            }
        }
    } else {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, boundary) in boundaries.iter().enumerate() {
            if boundary.0.is_null() {
                continue;
            }
            if let Some(j) = seen.insert(boundary.json(), i) {
                return Err(Error::at(
                    ErrorCode::InvalidRange,
                    &list_at.index(i),
                    format!(
                        "expected distinct boundaries (the range between equal ones is empty), found {boundary} again, as boundaries[{j}]"
                    ),
                ));
            }
        }
    }

    let sizes = if kind == CursorKind::Integer {
        integer_boundary_sizes(boundaries, &keys, &list_at, total_items, warnings)?
    } else {
        let shares = Shares::new(total_items.unwrap_or(0), count)?;
        (0..count).map(|i| shares.size(i)).collect()
    };
    Ok(contiguous(
        count,
        boundaries[0].clone(),
        boundaries[1..count].iter().cloned(),
        boundaries[count].clone(),
        |i| sizes[i],
    ))
}

/// The sizes `b_{i+1} - b_i` of integer boundaries, which must be closed and non-negative.
fn integer_boundary_sizes(
    boundaries: &[Cursor],
    keys: &[Option<OrderedKey>],
    list_at: &JsonPath,
    total_items: Option<u64>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<u32>> {
    let mut values = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let at = list_at.index(i);
        match key {
            Some(OrderedKey::Integer(value)) if *value >= 0 => values.push(*value),
            Some(OrderedKey::Integer(value)) => {
                return Err(Error::at(
                    ErrorCode::NegativeCursor,
                    &at,
                    format!("expected an integer boundary >= 0, found {value}"),
                ))
            }
            _ => {
                return Err(Error::at(
                    ErrorCode::MixedCursorKinds,
                    &at,
                    format!(
                        "expected an integer boundary (integer ranges are closed), found {}",
                        boundaries[i]
                    ),
                ))
            }
        }
    }
    let mut sizes = Vec::with_capacity(values.len() - 1);
    for (i, pair) in values.windows(2).enumerate() {
        let size = pair[1] - pair[0];
        let size = u32::try_from(size).map_err(|_| {
            Error::at(
                ErrorCode::OutOfRange,
                &list_at.index(i + 1),
                format!(
                    "expected at most {MAX_BATCH_SIZE} keys between two boundaries (batch_size is a u32), found {size} from {} to {}",
                    pair[0], pair[1]
                ),
            )
        })?;
        sizes.push(size);
    }
    if let Some(total) = total_items {
        let sum: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
        if sum != total {
            warnings.push(Warning::at(
                WarningCode::TotalItemsMismatch,
                &JsonPath::root().key("total_items"),
                format!(
                    "integer ranges hold end - start keys: the boundaries make {sum}, total_items says {total}"
                ),
            ));
        }
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use crate::input::from_json;
    use crate::partition::tests::{err, error, r, ranges, run};
    use crate::partition::{partition, PartitionRequest};
    use crate::{ErrorCode, WarningCode};

    // --- boundaries --------------------------------------------------------------------------

    #[test]
    fn boundaries_keep_strings_and_composite_keys_exactly() {
        let configs =
            run(r#"{"strategy":"boundaries","boundaries":[null,"m","\u0074"],"total_items":5}"#)
                .unwrap();
        assert_eq!(
            ranges(&configs),
            [r("null", r#""m""#, 3), r(r#""m""#, r#""\u0074""#, 2)]
        );
        let composite =
            run(r#"{"strategy":"boundaries","boundaries":[{"z":1, "a":[1.50,2]},{"z":2,"a":[]}]}"#)
                .unwrap();
        assert_eq!(
            ranges(&composite),
            [r(r#"{"z":1,"a":[1.50,2]}"#, r#"{"z":2,"a":[]}"#, 0)]
        );
    }

    #[test]
    fn integer_boundaries_size_their_ranges() {
        let mut warnings = Vec::new();
        let request: PartitionRequest = from_json(
            r#"{"strategy":"boundaries","boundaries":[0,10,100000000000],"total_items":10}"#,
        )
        .unwrap();
        let e = partition(request, &mut warnings).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_str()),
            (ErrorCode::OutOfRange, "boundaries[2]")
        );

        let request: PartitionRequest =
            from_json(r#"{"strategy":"boundaries","boundaries":[0,10,25],"total_items":30}"#)
                .unwrap();
        let configs = partition(request, &mut warnings).unwrap().into_configs();
        assert_eq!(ranges(&configs), [r("0", "10", 10), r("10", "25", 15)]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            (warnings[0].code, warnings[0].path.as_str()),
            (WarningCode::TotalItemsMismatch, "total_items")
        );
    }

    #[test]
    fn open_ends_for_every_kind_but_integers() {
        let both = run(r#"{"strategy":"boundaries","boundaries":[null,null]}"#).unwrap();
        assert_eq!(ranges(&both), [r("null", "null", 0)]);
        let uuids = run(
            r#"{"strategy":"boundaries","boundaries":[null,"80000000-0000-0000-0000-000000000000",null]}"#,
        )
        .unwrap();
        assert_eq!(uuids.len(), 2);
        assert_eq!(
            error(r#"{"strategy":"boundaries","boundaries":[0,5,null]}"#),
            err(ErrorCode::MixedCursorKinds, "boundaries[2]")
        );
        assert_eq!(
            error(r#"{"strategy":"boundaries","boundaries":["a",null,"c"]}"#),
            err(ErrorCode::InvalidValue, "boundaries[1]")
        );
    }

    #[test]
    fn boundary_rules() {
        let cases = [
            (r#"[0]"#, err(ErrorCode::InvalidValue, "boundaries")),
            (
                r#"[0,"a"]"#,
                err(ErrorCode::MixedCursorKinds, "boundaries[1]"),
            ),
            (r#"[0,5,5]"#, err(ErrorCode::InvalidRange, "boundaries[2]")),
            (r#"[0,5,3]"#, err(ErrorCode::InvalidRange, "boundaries[2]")),
            (r#"[-5,5]"#, err(ErrorCode::NegativeCursor, "boundaries[0]")),
            (
                r#"["a","b","a"]"#,
                err(ErrorCode::InvalidRange, "boundaries[2]"),
            ),
            (
                r#"["2024-01-02T00:00:00Z","2024-01-01T00:00:00Z"]"#,
                err(ErrorCode::InvalidRange, "boundaries[1]"),
            ),
            (
                r#"["2024-01-01T00:00:00Z","2024-13-01T00:00:00Z"]"#,
                err(ErrorCode::InvalidCursor, "boundaries[1]"),
            ),
            (
                r#"[0,1000000000000000000000000000000000000000]"#,
                err(ErrorCode::OutOfRange, "boundaries[1]"),
            ),
            (r#"{"a":1}"#, err(ErrorCode::TypeMismatch, "boundaries")),
        ];
        for (list, expected) in cases {
            let json = format!(r#"{{"strategy":"boundaries","boundaries":{list}}}"#);
            assert_eq!(error(&json), expected, "{list}");
        }
    }
}
