//! Properties of partitioning (docs/contract.md §4): every generator covers its key space exactly
//! once, in order, with generated ids, and its output passes the validator; cursor values
//! travel losslessly.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use tasker_batch::cursor::{format_timestamp, format_uuid, parse_timestamp, parse_uuid, Cursor};
use tasker_batch::cursor_config::{batch_id_for, CursorConfig};
use tasker_batch::input::Extra;
use tasker_batch::operations::call_envelope;
use tasker_batch::outcome::{BatchProcessingOutcome, CreateBatches};
use tasker_batch::partition::{self, TimestampSpans, MAX_PARTITIONS};
use tasker_batch::validation;

type Check = Result<(), TestCaseError>;

/// The ids are "001", "002", ... in order, and the configs make a valid outcome without
/// warnings (no overlap, no gap, no empty range, sizes adding up to `total_items`).
fn assert_valid_outcome(configs: &[CursorConfig], total_items: u64) -> Check {
    for (i, config) in configs.iter().enumerate() {
        prop_assert_eq!(&config.batch_id, &batch_id_for(i));
    }
    let outcome = BatchProcessingOutcome::CreateBatches(CreateBatches {
        worker_template_name: "process_batch".to_owned(),
        worker_count: configs.len() as u32,
        cursor_configs: configs.to_vec(),
        total_items,
        extra: Extra::default(),
    });
    let mut warnings = Vec::new();
    let checked = validation::check_outcome(&outcome, &mut warnings);
    prop_assert!(checked.is_ok(), "{:?}", checked);
    prop_assert!(warnings.is_empty(), "{:?}", warnings);
    Ok(())
}

/// Each range's ends follow on from the previous range's, as text.
fn assert_contiguous(configs: &[CursorConfig]) -> Check {
    for pair in configs.windows(2) {
        prop_assert_eq!(pair[0].end_cursor.json(), pair[1].start_cursor.json());
    }
    Ok(())
}

fn integer(cursor: &Cursor) -> i128 {
    cursor.json().parse().expect("an integer cursor")
}

fn unquoted(cursor: &Cursor) -> String {
    serde_json::from_str(cursor.json()).expect("a string cursor")
}

/// `[start, start + total)` in ranges of `per`, the last one in `1..=per`, nothing else.
fn assert_integer_cover(configs: &[CursorConfig], start: i128, total: u64, per: u64) -> Check {
    if total == 0 {
        prop_assert!(configs.is_empty());
        return Ok(());
    }
    assert_contiguous(configs)?;
    prop_assert_eq!(integer(&configs[0].start_cursor), start);
    let last = configs.last().unwrap();
    prop_assert_eq!(integer(&last.end_cursor), start + total as i128);
    for (i, config) in configs.iter().enumerate() {
        let size = integer(&config.end_cursor) - integer(&config.start_cursor);
        prop_assert_eq!(size, config.batch_size as i128);
        if i + 1 < configs.len() {
            prop_assert_eq!(size, per as i128);
        } else {
            prop_assert!(
                (1..=per as i128).contains(&size),
                "last size {} of {}",
                size,
                per
            );
        }
    }
    Ok(())
}

/// Totals around the interesting edges: small, around `u32::MAX` per worker, any.
fn total_items() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0u64..5_000,
        2 => 0u64..=3 * u32::MAX as u64 + 3,
        1 => any::<u64>(),
    ]
}

/// Starts: 0, small, and close enough to `i128::MAX` that `start + total` may not fit.
fn integer_start() -> impl Strategy<Value = i128> {
    prop_oneof![
        Just(0i128),
        0i128..1_000_000_000_000_000_000_000,
        (i128::MAX - (1i128 << 65))..=i128::MAX,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // Shrunk failures are reported in the test output; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn integer_by_count_covers_the_range_exactly_once(
        total in total_items(),
        workers in 1u32..=3_000,
        start in integer_start(),
    ) {
        let result = partition::integer_by_count(total, workers, start);
        let per = total.div_ceil(workers as u64);
        if per > u32::MAX as u64 || start > i128::MAX - total as i128 {
            prop_assert!(result.is_err());
            return Ok(());
        }
        let configs = result.unwrap();
        prop_assert!(configs.len() <= workers as usize);
        assert_integer_cover(&configs, start, total, per)?;
        if !configs.is_empty() {
            assert_valid_outcome(&configs, total)?;
        }
    }

    #[test]
    fn integer_by_size_covers_the_range_exactly_once(
        total in total_items(),
        batch_size in prop_oneof![1u32..=300, any::<u32>().prop_map(|s| s.max(1))],
        max_batches in proptest::option::of(1u32..=3_000),
        start in integer_start(),
    ) {
        let result = partition::integer_by_size(total, batch_size, max_batches, start);
        let batches = total.div_ceil(batch_size as u64);
        if let Some(cap) = max_batches.filter(|&cap| batches > cap as u64) {
            // Too many batches for the cap: the batches grow, as with `cap` workers.
            match (result, partition::integer_by_count(total, cap, start)) {
                (Ok(capped), Ok(by_count)) => prop_assert_eq!(capped, by_count),
                (Err(capped), Err(by_count)) => {
                    prop_assert_eq!(capped.code, by_count.code);
                    // The cap plays the worker count, and errors say so.
                    let path = by_count.path.replace("worker_count", "max_batches");
                    prop_assert_eq!(capped.path, path);
                }
                (capped, by_count) => prop_assert!(false, "{:?} but {:?}", capped, by_count),
            }
            return Ok(());
        }
        if batches > MAX_PARTITIONS as u64 || start > i128::MAX - total as i128 {
            prop_assert!(result.is_err());
            return Ok(());
        }
        let configs = result.unwrap();
        prop_assert_eq!(configs.len() as u64, batches);
        assert_integer_cover(&configs, start, total, batch_size as u64)?;
        if !configs.is_empty() && configs.len() <= 3_000 {
            assert_valid_outcome(&configs, total)?;
        }
    }

    #[test]
    fn uuid_ranges_are_contiguous_and_equal_to_one(
        count in 1u32..=64,
        (start, end) in uuid_range(),
        total in proptest::option::of(0u64..10_000_000),
    ) {
        let result = partition::uuid(count, start, end, total);
        if end.is_some_and(|end| end <= start) {
            prop_assert_eq!(result.unwrap_err().code, tasker_batch::ErrorCode::InvalidRange);
            return Ok(());
        }
        let width_minus_one = end.map_or(u128::MAX - start, |end| end - start - 1);
        if count as u128 - 1 > width_minus_one {
            prop_assert_eq!(result.unwrap_err().code, tasker_batch::ErrorCode::OutOfRange);
            return Ok(());
        }
        let configs = result.unwrap();
        prop_assert_eq!(configs.len(), count as usize);
        assert_contiguous(&configs)?;
        prop_assert_eq!(unquoted(&configs[0].start_cursor), format_uuid(start));
        let last = configs.last().unwrap();
        match end {
            None => prop_assert_eq!(last.end_cursor.json(), "null"),
            Some(end) => prop_assert_eq!(unquoted(&last.end_cursor), format_uuid(end)),
        }
        // Sizes minus one, so that the whole space (2^128) fits.
        let mut sizes = Vec::new();
        for config in &configs {
            let lo = parse_uuid(&unquoted(&config.start_cursor)).unwrap();
            let hi = match config.end_cursor.json() {
                "null" => u128::MAX,
                _ => parse_uuid(&unquoted(&config.end_cursor)).unwrap() - 1,
            };
            prop_assert!(hi >= lo, "empty range {:?}", config);
            sizes.push(hi - lo);
        }
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        prop_assert!(max - min <= 1, "sizes {:?}", sizes);
        for config in &configs {
            prop_assert_eq!(config.start_cursor.json(), config.start_cursor.json().to_lowercase());
        }
        assert_valid_outcome(&configs, total.unwrap_or(0))?;
    }

    #[test]
    fn timestamp_spans_are_contiguous_and_exact(
        start in timestamp_nanos(),
        shape in prop_oneof![
            (1u32..=64, prop_oneof![1i128..1_000, 1i128..1_000_000_000_000_000_000])
                .prop_map(|(count, width)| (TimestampSpans::Count(count), width)),
            (1u64..=100_000, 1i128..=300, 0.0f64..1.0).prop_map(|(step, spans, fill)| {
                // `spans` spans of `step` seconds, the last one filled to `fill` (never empty).
                let step_ns = step as i128 * 1_000_000_000;
                let last = ((step_ns as f64 * fill) as i128).clamp(1, step_ns);
                (TimestampSpans::StepSeconds(step), (spans - 1) * step_ns + last)
            }),
        ],
        total in proptest::option::of(0u64..10_000_000),
    ) {
        let (spans, width) = shape;
        let end = start + width;
        let result = partition::timestamp(start, end, spans, total);
        if let TimestampSpans::Count(count) = spans {
            if count as i128 > width {
                prop_assert_eq!(result.unwrap_err().code, tasker_batch::ErrorCode::OutOfRange);
                return Ok(());
            }
        }
        let configs = result.unwrap();
        assert_contiguous(&configs)?;
        let nanos = |c: &Cursor| parse_timestamp(&unquoted(c)).unwrap();
        prop_assert_eq!(nanos(&configs[0].start_cursor), start);
        prop_assert_eq!(nanos(&configs.last().unwrap().end_cursor), end);
        let sizes: Vec<i128> = configs
            .iter()
            .map(|c| nanos(&c.end_cursor) - nanos(&c.start_cursor))
            .collect();
        prop_assert!(sizes.iter().all(|&s| s > 0), "sizes {:?}", sizes);
        match spans {
            TimestampSpans::Count(count) => {
                prop_assert_eq!(configs.len(), count as usize);
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                prop_assert!(max - min <= 1, "sizes {:?}", sizes);
            }
            TimestampSpans::StepSeconds(step) => {
                let step_ns = step as i128 * 1_000_000_000;
                let (last, rest) = sizes.split_last().unwrap();
                prop_assert!(rest.iter().all(|&s| s == step_ns), "sizes {:?}", sizes);
                prop_assert!(*last <= step_ns);
            }
        }
        for config in &configs {
            // RFC 3339 UTC, canonical.
            let text = unquoted(&config.start_cursor);
            prop_assert_eq!(format_timestamp(parse_timestamp(&text).unwrap()).unwrap(), text.clone());
            prop_assert!(text.ends_with('Z'));
        }
        assert_valid_outcome(&configs, total.unwrap_or(0))?;
    }

    #[test]
    fn integer_boundaries_give_one_range_per_gap(
        first in prop_oneof![0i128..1_000, 0i128..=i128::MAX / 2],
        gaps in proptest::collection::vec(prop_oneof![1u32..100, 1u32..=u32::MAX], 1..40),
    ) {
        let mut bounds = vec![first];
        for &gap in &gaps {
            bounds.push(bounds.last().unwrap() + gap as i128);
        }
        let cursors: Vec<Cursor> = bounds.iter().map(|&b| Cursor::integer(b)).collect();
        let configs = partition::boundaries(&cursors, None, &mut Vec::new()).unwrap();
        prop_assert_eq!(configs.len(), gaps.len());
        assert_contiguous(&configs)?;
        for (config, &gap) in configs.iter().zip(&gaps) {
            prop_assert_eq!(config.batch_size, gap);
        }
        let total = gaps.iter().map(|&g| g as u64).sum();
        assert_valid_outcome(&configs, total)?;
    }

    #[test]
    fn string_boundaries_keep_their_order_and_text(
        strings in proptest::collection::hash_set("(?s).{0,15}", 1..30),
        open_start in any::<bool>(),
        open_end in any::<bool>(),
        total in proptest::option::of(0u64..1_000_000),
    ) {
        let mut texts: Vec<String> =
            strings.iter().map(|s| serde_json::to_string(s).unwrap()).collect();
        if open_start {
            texts.insert(0, "null".to_owned());
        }
        if open_end || texts.len() < 2 {
            texts.push("null".to_owned());
        }
        let json = format!(r#"{{"strategy":"boundaries","boundaries":[{}]}}"#, texts.join(","));
        let request = tasker_batch::input::from_json(&json).unwrap();
        let configs = partition::partition(request, &mut Vec::new()).unwrap().into_configs();
        prop_assert_eq!(configs.len(), texts.len() - 1);
        assert_contiguous(&configs)?;
        for (config, pair) in configs.iter().zip(texts.windows(2)) {
            prop_assert_eq!(config.start_cursor.json(), pair[0].as_str());
            prop_assert_eq!(config.end_cursor.json(), pair[1].as_str());
        }
        if let Some(total) = total {
            let cursors: Vec<Cursor> = configs.iter().map(|c| c.start_cursor.clone())
                .chain(std::iter::once(configs.last().unwrap().end_cursor.clone()))
                .collect();
            let shared = partition::boundaries(&cursors, Some(total), &mut Vec::new()).unwrap();
            assert_valid_outcome(&shared, total)?;
        } else {
            assert_valid_outcome(&configs, 0)?;
        }
    }

    #[test]
    fn composite_boundaries_keep_key_order(
        keys in proptest::collection::vec(json_value(), 2..12),
    ) {
        // Objects whose key order is the generated one, distinct by construction.
        let texts: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, value)| format!(r#"{{"zone":{value},"page":{i}}}"#))
            .collect();
        let cursors: Vec<Cursor> = texts.iter().map(|t| Cursor::from_json(t).unwrap()).collect();
        let configs = partition::boundaries(&cursors, Some(7), &mut Vec::new()).unwrap();
        prop_assert_eq!(configs.len(), texts.len() - 1);
        for (config, pair) in configs.iter().zip(texts.windows(2)) {
            prop_assert_eq!(config.start_cursor.json(), pair[0].as_str());
            prop_assert_eq!(config.end_cursor.json(), pair[1].as_str());
        }
        assert_valid_outcome(&configs, 7)?;
    }

    #[test]
    fn integers_round_trip_exactly(value in any::<i128>()) {
        let text = value.to_string();
        // Negative integers are not cursors of their own; inside a composite key they travel.
        assert_round_trip(&format!(r#"{{"n":{text}}}"#))?;
        assert_round_trip(&format!("[{text}]"))?;
        if (0..i128::MAX).contains(&value) {
            let next = (value + 1).to_string();
            let envelope = call_envelope(
                "partition",
                &format!(r#"{{"strategy":"boundaries","boundaries":[{text},{next}]}}"#),
            );
            prop_assert_eq!(
                envelope,
                format!(r#"{{"ok":true,"value":[{{"batch_id":"001","start_cursor":{text},"end_cursor":{next},"batch_size":1}}],"warnings":[]}}"#)
            );
            let envelope = call_envelope(
                "validate_cursor_config",
                &format!(r#"{{"batch_id":"001","start_cursor":{text},"end_cursor":{next},"batch_size":1}}"#),
            );
            prop_assert_eq!(
                envelope,
                format!(r#"{{"ok":true,"value":{{"batch_id":"001","start_cursor":{text},"end_cursor":{next},"batch_size":1}},"warnings":[]}}"#)
            );
        }
    }

    #[test]
    fn decimals_round_trip_exactly(text in decimal_text()) {
        assert_round_trip(&text)?;
    }

    #[test]
    fn strings_round_trip_exactly(value in any::<String>(), escape_all in any::<bool>()) {
        let text = if escape_all { escaped(&value) } else { serde_json::to_string(&value).unwrap() };
        // A string shaped like a timestamp must be a valid one: skip the (rare) invalid ones.
        prop_assume!(Cursor::from_json(&text).unwrap().classify(&Default::default()).is_ok());
        assert_round_trip(&text)?;
    }

    #[test]
    fn nested_values_round_trip_exactly(text in json_value()) {
        let cursor = Cursor::from_json(&text).unwrap();
        let kind = cursor.kind();
        prop_assume!(kind != tasker_batch::cursor::CursorKind::Integer);
        prop_assume!(kind != tasker_batch::cursor::CursorKind::Null);
        prop_assume!(cursor.classify(&Default::default()).is_ok());
        assert_round_trip(&text)?;
    }
}

/// `text` as a boundary of `partition` and as a cursor of `validate_cursor_config` comes back
/// as the same text.
fn assert_round_trip(text: &str) -> Check {
    let envelope = call_envelope(
        "partition",
        &format!(r#"{{"strategy":"boundaries","boundaries":[{text},null]}}"#),
    );
    prop_assert_eq!(
        envelope,
        format!(
            r#"{{"ok":true,"value":[{{"batch_id":"001","start_cursor":{text},"end_cursor":null,"batch_size":0}}],"warnings":[]}}"#
        )
    );
    let envelope = call_envelope(
        "validate_cursor_config",
        &format!(r#"{{"batch_id":"001","start_cursor":null,"end_cursor":{text},"batch_size":0}}"#),
    );
    prop_assert_eq!(
        envelope,
        format!(
            r#"{{"ok":true,"value":{{"batch_id":"001","start_cursor":null,"end_cursor":{text},"batch_size":0}},"warnings":[]}}"#
        )
    );
    Ok(())
}

/// A JSON string literal with every character outside printable ASCII as `\uXXXX`.
fn escaped(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// Decimal numbers as text: fractions with trailing zeros, exponents of any sign and case.
fn decimal_text() -> impl Strategy<Value = String> {
    (
        "-?(0|[1-9][0-9]{0,40})",
        proptest::option::of("[0-9]{1,40}"),
        proptest::option::of("[eE][+-]?[0-9]{1,4}"),
    )
        .prop_filter("a fraction or an exponent", |(_, f, e)| {
            f.is_some() || e.is_some()
        })
        .prop_map(|(int, fraction, exponent)| {
            let mut text = int;
            if let Some(fraction) = fraction {
                text.push('.');
                text.push_str(&fraction);
            }
            text.push_str(&exponent.unwrap_or_default());
            text
        })
}

/// Compact JSON text: nested arrays and objects with keys in arbitrary (unsorted) order.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i128>().prop_map(|v| v.to_string()),
        decimal_text(),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| format!("[{}]", items.join(","))),
            proptest::collection::vec(("[a-zA-Z_é ]{0,8}", inner), 0..6).prop_map(|entries| {
                let mut seen = std::collections::HashSet::new();
                let body: Vec<String> = entries
                    .into_iter()
                    .filter(|(key, _)| seen.insert(key.clone()))
                    .map(|(key, value)| format!("{}:{value}", serde_json::to_string(&key).unwrap()))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// A UUID range: any start, and an open end, any end, or an end just past the start.
fn uuid_range() -> impl Strategy<Value = (u128, Option<u128>)> {
    let start = prop_oneof![any::<u128>(), Just(0u128), (u128::MAX - 100)..=u128::MAX,];
    (start, 0u8..3, any::<u128>(), 1u128..200).prop_map(|(start, shape, any_end, delta)| {
        let end = match shape {
            0 => None,
            1 => Some(any_end),
            _ => Some(start.saturating_add(delta)),
        };
        (start, end)
    })
}

/// Instants from 1900 to 2200, to the nanosecond.
fn timestamp_nanos() -> impl Strategy<Value = i128> {
    (-2_208_988_800i64..7_258_118_400, 0i64..1_000_000_000)
        .prop_map(|(secs, nanos)| secs as i128 * 1_000_000_000 + nanos as i128)
}

#[test]
fn a_million_integer_ranges_are_allowed_and_one_more_is_not() {
    let configs =
        partition::integer_by_count(MAX_PARTITIONS as u64, MAX_PARTITIONS as u32, 0).unwrap();
    assert_eq!(configs.len(), MAX_PARTITIONS);
    assert_eq!(configs.last().unwrap().batch_id, "1000000");
    assert_eq!(configs.last().unwrap().end_cursor.json(), "1000000");
    let err = partition::integer_by_size(MAX_PARTITIONS as u64 + 1, 1, None, 0).unwrap_err();
    assert_eq!(err.code, tasker_batch::ErrorCode::OutOfRange);
    assert_eq!(err.path, "batch_size");
}

proptest! {
    /// The `partition` operation writes integer ranges straight from their arithmetic; what it
    /// writes is exactly the built cursor configs.
    #[test]
    fn written_integer_ranges_are_the_built_configs(total in 0u64..100_000, workers in 1u32..500, start in 0i128..1_000_000) {
        let json = format!(r#"{{"strategy":"integer_by_count","total_items":{total},"worker_count":{workers},"start":{start}}}"#);
        let written = tasker_batch::operations::call("partition", &json).unwrap().value;
        let built = partition::integer_by_count(total, workers, start).unwrap();
        prop_assert_eq!(&written, &serde_json::to_string(&built).unwrap());
        let request = tasker_batch::input::from_json(&json).unwrap();
        let through_serde = serde_json::to_string(&partition::partition(request, &mut Vec::new()).unwrap()).unwrap();
        prop_assert_eq!(&written, &through_serde);
    }
}

// ------------------------------------------------------------------------------------------
// Every strategy through the operations: what `partition` writes, `validate_outcome` accepts,
// and it covers the requested key space exactly once.

/// What a request asks to cover, to check the output against.
#[derive(Clone, Debug)]
enum Space {
    /// `[start, start + total)`.
    Integer { start: i128, total: u64 },
    /// `[start, end)`, `None` the open end.
    Uuid { start: u128, end: Option<u128> },
    /// `[start, end)` as the caller wrote them (any offset).
    Timestamp { start: String, end: String },
    /// `[b0, bn)` through the boundaries, as JSON text.
    Boundaries(Vec<String>),
}

/// A `partition` request of any strategy, as JSON text, with the space it asks to cover.
fn any_request() -> impl Strategy<Value = (String, Space)> {
    prop_oneof![
        integer_by_count_request(),
        integer_by_size_request(),
        uuid_request(),
        timestamp_request(),
        boundaries_request(),
    ]
}

fn integer_by_count_request() -> impl Strategy<Value = (String, Space)> {
    (total_items(), 1u32..=100, integer_start()).prop_map(|(total, workers, start)| {
        (
            format!(
                r#"{{"strategy":"integer_by_count","total_items":{total},"worker_count":{workers},"start":{start}}}"#
            ),
            Space::Integer { start, total },
        )
    })
}

fn integer_by_size_request() -> impl Strategy<Value = (String, Space)> {
    (
        total_items(),
        prop_oneof![1u32..=300, any::<u32>().prop_map(|s| s.max(1))],
        proptest::option::of(1u32..=100),
        integer_start(),
    )
        .prop_map(|(total, batch_size, max_batches, start)| {
            // Keep the output small enough to validate quickly: cap what would be thousands.
            let max_batches = match max_batches {
                None if total.div_ceil(u64::from(batch_size)) > 1_000 => Some(100),
                cap => cap,
            };
            let cap = max_batches.map_or(String::new(), |cap| format!(r#","max_batches":{cap}"#));
            (
                format!(
                    r#"{{"strategy":"integer_by_size","total_items":{total},"batch_size":{batch_size}{cap},"start":{start}}}"#
                ),
                Space::Integer { start, total },
            )
        })
}

/// A UUID as a JSON string, in either case.
fn uuid_text(value: u128, upper: bool) -> String {
    let text = format_uuid(value);
    format!("{:?}", if upper { text.to_uppercase() } else { text })
}

fn uuid_request() -> impl Strategy<Value = (String, Space)> {
    (
        1u32..=64,
        uuid_range(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0u64..10_000_000),
    )
        .prop_map(|(count, (start, end), upper, omit_start, total)| {
            let mut keys = vec![format!(r#""strategy":"uuid","count":{count}"#)];
            if !(omit_start && start == 0) {
                keys.push(format!(r#""start":{}"#, uuid_text(start, upper)));
            }
            keys.push(format!(
                r#""end":{}"#,
                end.map_or("null".to_owned(), |end| uuid_text(end, !upper))
            ));
            if let Some(total) = total {
                keys.push(format!(r#""total_items":{total}"#));
            }
            (
                format!("{{{}}}", keys.join(",")),
                Space::Uuid { start, end },
            )
        })
}

/// RFC 3339 text, biased to the edges: the years 0000 and 9999, offsets up to ±23:59, leap
/// seconds, fractions of any length.
fn timestamp_text() -> impl Strategy<Value = String> {
    let year = prop_oneof![
        Just(0u32),
        Just(1),
        Just(1970),
        Just(2024),
        Just(9998),
        Just(9999),
        0u32..=9999
    ];
    let second = prop_oneof![8 => 0u32..60, 1 => Just(59u32), 1 => Just(60u32)];
    let fraction = prop_oneof![
        Just(String::new()),
        "\\.[0-9]{1,9}",
        Just(".999999999".to_owned())
    ];
    let offset = prop_oneof![
        Just("Z".to_owned()),
        Just("+00:00".to_owned()),
        Just("+23:59".to_owned()),
        Just("-23:59".to_owned()),
        (any::<bool>(), 0u32..24, 0u32..60)
            .prop_map(|(plus, h, m)| format!("{}{h:02}:{m:02}", if plus { '+' } else { '-' })),
    ];
    let edge = prop_oneof![
        Just((1u32, 1u32, 0u32, 0u32)),
        Just((12, 31, 23, 59)),
        (1u32..=12, 1u32..=28, 0u32..24, 0u32..60),
    ];
    (year, edge, second, fraction, offset).prop_map(
        |(year, (month, day, hour, minute), second, fraction, offset)| {
            format!(
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{offset}"
            )
        },
    )
}

fn timestamp_request() -> impl Strategy<Value = (String, Space)> {
    (
        timestamp_text(),
        timestamp_text(),
        prop_oneof![
            (1u32..=64).prop_map(|count| format!(r#""count":{count}"#)),
            prop_oneof![1u64..=100_000, 1u64..=400_000_000_000]
                .prop_map(|step| format!(r#""step_seconds":{step}"#)),
        ],
        proptest::option::of(0u64..10_000_000),
    )
        .prop_map(|(a, b, spans, total)| {
            // In order when both parse, so that most requests are ranges.
            let (start, end) = match (parse_timestamp(&a), parse_timestamp(&b)) {
                (Ok(x), Ok(y)) if y < x => (b, a),
                _ => (a, b),
            };
            let total = total.map_or(String::new(), |t| format!(r#","total_items":{t}"#));
            (
                format!(
                    r#"{{"strategy":"timestamp","start":{start:?},"end":{end:?},{spans}{total}}}"#
                ),
                Space::Timestamp { start, end },
            )
        })
}

fn boundaries_request() -> impl Strategy<Value = (String, Space)> {
    let integers = (
        prop_oneof![0i128..1_000, 0i128..=i128::MAX / 2],
        proptest::collection::vec(prop_oneof![1u32..100, 1u32..=u32::MAX], 1..12),
    )
        .prop_map(|(first, gaps)| {
            let mut bounds = vec![first];
            for gap in gaps {
                bounds.push(bounds.last().unwrap() + i128::from(gap));
            }
            bounds.iter().map(i128::to_string).collect::<Vec<_>>()
        });
    let uuids = (
        proptest::collection::btree_set(any::<u128>(), 2..12),
        any::<bool>(),
    )
        .prop_map(|(values, upper)| values.into_iter().map(|v| uuid_text(v, upper)).collect());
    let timestamps = proptest::collection::vec(timestamp_text(), 2..12).prop_map(|texts| {
        // Increasing instants, each written as generated (its own offset, maybe a leap second).
        let mut parsed: Vec<(i128, String)> = texts
            .into_iter()
            .filter_map(|t| parse_timestamp(&t).ok().map(|n| (n, t)))
            .collect();
        parsed.sort();
        parsed.dedup_by_key(|(n, _)| *n);
        parsed.into_iter().map(|(_, t)| format!("{t:?}")).collect()
    });
    let strings = proptest::collection::hash_set("(?s).{0,12}", 2..12).prop_map(|set| {
        set.iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect()
    });
    let decimals = proptest::collection::hash_set(decimal_text(), 2..8)
        .prop_map(|set| set.into_iter().collect());
    let composites = proptest::collection::vec(json_value(), 2..8).prop_map(|values| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!(r#"{{"part":{v},"page":{i}}}"#))
            .collect()
    });
    let tuples = proptest::collection::vec(json_value(), 2..8).prop_map(|values| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("[{i},{v}]"))
            .collect()
    });
    let booleans = any::<bool>().prop_map(|b| vec![b.to_string(), (!b).to_string()]);
    (
        prop_oneof![integers, uuids, timestamps, strings, decimals, composites, tuples, booleans],
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0u64..1_000_000),
    )
        .prop_map(|(mut bounds, open_start, open_end, total)| {
            if open_start {
                bounds.insert(0, "null".to_owned());
            }
            if open_end || bounds.len() < 2 {
                bounds.push("null".to_owned());
            }
            let total = total.map_or(String::new(), |t| format!(r#","total_items":{t}"#));
            (
                format!(
                    r#"{{"strategy":"boundaries","boundaries":[{}]{total}}}"#,
                    bounds.join(",")
                ),
                Space::Boundaries(bounds),
            )
        })
}

/// The first start and the last end the output must have, as JSON text.
fn expected_ends(space: &Space) -> (String, String) {
    let utc = |text: &str| {
        format!(
            "{:?}",
            format_timestamp(parse_timestamp(text).unwrap()).unwrap()
        )
    };
    match space {
        Space::Integer { start, total } => {
            (start.to_string(), (start + *total as i128).to_string())
        }
        Space::Uuid { start, end } => (
            uuid_text(*start, false),
            end.map_or("null".to_owned(), |end| uuid_text(end, false)),
        ),
        Space::Timestamp { start, end } => (utc(start), utc(end)),
        Space::Boundaries(bounds) => {
            let minified = |text: &str| Cursor::from_json(text).unwrap().json().to_owned();
            (minified(&bounds[0]), minified(bounds.last().unwrap()))
        }
    }
}

/// The output covers the space exactly once: ids in order, each range non-empty and starting
/// where the previous one ended, from the requested start to the requested end.
fn assert_covers_exactly_once(configs: &[CursorConfig], space: &Space) -> Check {
    let (first, last) = expected_ends(space);
    prop_assert_eq!(configs[0].start_cursor.json(), first.as_str());
    prop_assert_eq!(configs.last().unwrap().end_cursor.json(), last.as_str());
    assert_contiguous(configs)?;
    let at = Default::default();
    for (i, config) in configs.iter().enumerate() {
        prop_assert_eq!(&config.batch_id, &batch_id_for(i));
        let (start, end) = (&config.start_cursor, &config.end_cursor);
        prop_assert_ne!(start.json(), end.json(), "empty range {:?}", config);
        let keys = (
            start.classify(&at).unwrap().key,
            end.classify(&at).unwrap().key,
        );
        if let (Some(lo), Some(hi)) = keys {
            prop_assert!(lo < hi, "empty or backwards range {:?}", config);
        }
    }
    if let Space::Integer { total, .. } = space {
        let sum: u64 = configs.iter().map(|c| u64::from(c.batch_size)).sum();
        prop_assert_eq!(sum, *total);
    }
    Ok(())
}

/// The output, as the cursor configs of an outcome, passes `validate_outcome` without a
/// warning and comes back as the same text.
fn assert_outcome_validates(value: &str, configs: &[CursorConfig]) -> Check {
    let total: u64 = configs.iter().map(|c| u64::from(c.batch_size)).sum();
    let outcome = format!(
        r#"{{"type":"create_batches","worker_template_name":"process_batch","worker_count":{},"cursor_configs":{value},"total_items":{total}}}"#,
        configs.len()
    );
    match tasker_batch::operations::call("validate_outcome", &outcome) {
        Ok(validated) => {
            prop_assert!(validated.warnings.is_empty(), "{:?}", validated.warnings);
            prop_assert!(validated.value.contains(value), "{}", validated.value);
        }
        Err(error) => prop_assert!(false, "validate_outcome rejects {}: {}", value, error),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// docs/contract.md §4: every generator's output passes the validator and covers the key space
    /// exactly once; a request it cannot honour is an error of the request, never an output
    /// the library would then reject.
    #[test]
    fn every_partition_validates_and_covers_its_space_exactly_once((request, space) in any_request()) {
        match tasker_batch::operations::call("partition", &request) {
            Err(error) => {
                prop_assert_ne!(error.code, tasker_batch::ErrorCode::Internal, "{}", error);
                prop_assert!(!error.path.is_empty(), "{}", error);
            }
            Ok(success) => {
                let configs: Vec<CursorConfig> = tasker_batch::input::from_json(&success.value).unwrap();
                if configs.is_empty() {
                    // Nothing to cover: the analyzer returns no_batches.
                    prop_assert!(matches!(space, Space::Integer { total: 0, .. }), "{:?}", space);
                    return Ok(());
                }
                assert_covers_exactly_once(&configs, &space)?;
                assert_outcome_validates(&success.value, &configs)?;
            }
        }
    }
}

/// `partition` of `request`: the error's `(code, path)`, or the output.
fn partition_result(request: &str) -> Result<String, (String, String)> {
    tasker_batch::operations::call("partition", request)
        .map(|success| success.value)
        .map_err(|error| (error.code.as_str().to_owned(), error.path))
}

fn out_of_range(path: &str) -> Result<String, (String, String)> {
    Err(("out_of_range".to_owned(), path.to_owned()))
}

#[test]
fn timestamp_bounds_outside_the_utc_years_0000_to_9999_are_an_error_up_front() {
    // Each was once written as "+10000-01-01T23:58:59Z" or "-0001-12-31T00:01:00Z", which the
    // validator reads as a plain string (mixed_cursor_kinds): such workers could never start.
    let end = r#"{"strategy":"timestamp","start":"9999-12-31T00:00:00Z","end":"9999-12-31T23:59:59-23:59","count":2}"#;
    assert_eq!(partition_result(end), out_of_range("end"));
    let start = r#"{"strategy":"timestamp","start":"0000-01-01T00:00:00+23:59","end":"0000-01-02T00:00:00Z","count":2}"#;
    assert_eq!(partition_result(start), out_of_range("start"));
    let error = tasker_batch::operations::call("partition", end).unwrap_err();
    assert!(
        error.message.contains(
            r#"found "9999-12-31T23:59:59-23:59", which is +10000-01-01T23:58:59Z in UTC"#
        ),
        "{}",
        error.message
    );
    // Through the typed function too: one nanosecond past the last writable instant.
    let last = parse_timestamp("9999-12-31T23:59:59.999999999Z").unwrap();
    let error = partition::timestamp(0, last + 1, TimestampSpans::Count(1), None).unwrap_err();
    assert_eq!(
        (error.code, error.path.as_str()),
        (tasker_batch::ErrorCode::OutOfRange, "end")
    );
}

#[test]
fn the_first_and_last_writable_instants_partition_and_validate() {
    let request = r#"{"strategy":"timestamp","start":"0000-01-01T00:00:00Z","end":"9999-12-31T23:59:59.999999999Z","count":2}"#;
    let value = partition_result(request).unwrap();
    let configs: Vec<CursorConfig> = tasker_batch::input::from_json(&value).unwrap();
    assert_eq!(configs[0].start_cursor.json(), r#""0000-01-01T00:00:00Z""#);
    assert_eq!(
        configs[1].end_cursor.json(),
        r#""9999-12-31T23:59:59.999999999Z""#
    );
    assert_outcome_validates(&value, &configs).unwrap();
    // An offset that keeps the UTC instant inside the years is fine.
    let request = r#"{"strategy":"timestamp","start":"0001-01-01T00:00:00+23:59","end":"9999-12-31T23:59:59+00:01","count":1}"#;
    let value = partition_result(request).unwrap();
    assert_eq!(
        value,
        r#"[{"batch_id":"001","start_cursor":"0000-12-31T00:01:00Z","end_cursor":"9999-12-31T23:58:59Z","batch_size":0}]"#
    );
}

#[test]
fn a_leap_second_bound_is_an_error_not_silently_the_next_second() {
    // Once "2016-12-31T23:59:60Z" came out as "2017-01-01T00:00:00Z".
    for (request, path) in [
        (
            r#"{"strategy":"timestamp","start":"2016-12-31T23:59:60Z","end":"2017-01-02T00:00:00Z","count":2}"#,
            "start",
        ),
        (
            r#"{"strategy":"timestamp","start":"2016-12-31T00:00:00Z","end":"2016-12-31T23:59:60.5Z","count":2}"#,
            "end",
        ),
        (
            r#"{"strategy":"timestamp","start":"2016-12-31T00:00:00Z","end":"2017-01-01T08:59:60+09:00","step_seconds":3600}"#,
            "end",
        ),
    ] {
        assert_eq!(partition_result(request), out_of_range(path), "{request}");
    }
    let error = tasker_batch::operations::call(
        "partition",
        r#"{"strategy":"timestamp","start":"2016-12-31T23:59:60Z","end":"2017-01-02T00:00:00Z","count":2}"#,
    )
    .unwrap_err();
    assert!(error.message.contains("leap second"), "{}", error.message);
    // Boundaries are kept as their exact text, so a leap second there is carried as given.
    let value = partition_result(
        r#"{"strategy":"boundaries","boundaries":["2016-12-31T23:59:59Z","2016-12-31T23:59:60.5Z"]}"#,
    )
    .unwrap();
    assert!(
        value.contains(r#""end_cursor":"2016-12-31T23:59:60.5Z""#),
        "{value}"
    );
}
