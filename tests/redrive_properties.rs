//! Properties of redrive (docs/contract.md §10): for every cursor kind the arithmetic can split
//! (integers, UUIDs, timestamps), the parent's done part `[start, checkpoint)` and its children
//! partition the parent's range exactly (contiguous, in key order, none empty, nothing outside);
//! every child passes `validate_cursor_config`; ids are the parent's, dotted, in order; a child
//! redriven in turn does the same for its own range.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

use tasker_batch::cursor::{format_timestamp, format_uuid, parse_timestamp, parse_uuid};
use tasker_batch::operations::call;

/// A cursor as a position in an order-preserving u128 (`None`: an open end).
type KeyOf = fn(&Value) -> Option<u128>;

fn signed(value: i128) -> u128 {
    (value as u128) ^ (1 << 127)
}

fn integer_key(value: &Value) -> Option<u128> {
    Some(signed(value.as_u64().expect("an integer cursor") as i128))
}

fn uuid_key(value: &Value) -> Option<u128> {
    value
        .as_str()
        .map(|s| parse_uuid(s).expect("a UUID cursor"))
}

fn timestamp_key(value: &Value) -> Option<u128> {
    value
        .as_str()
        .map(|s| signed(parse_timestamp(s).expect("a timestamp cursor")))
}

/// Runs `redrive` and returns `(value, warnings)`.
fn redrive(request: &Value) -> Result<(Value, Vec<String>), TestCaseError> {
    let result = call("redrive", &request.to_string());
    prop_assert!(result.is_ok(), "{:?} for {}", result, request);
    let success = result.unwrap();
    let value: Value = serde_json::from_str(&success.value).unwrap();
    let codes = success
        .warnings
        .iter()
        .map(|w| w.code.as_str().to_owned())
        .collect();
    Ok((value, codes))
}

fn request(parent: &Value, failed: Value, split: (&str, u32)) -> Value {
    let mut request = json!({
        "batchable_step_name": "analyze",
        "worker_template_name": "process_batch",
        "convergence_step_names": ["aggregate"],
        "cursor_configs": [parent],
        "failed_batches": [failed],
    });
    request[split.0] = json!(split.1);
    request
}

/// The children of one parent partition `[from, end)`; with the done part `[start, from)` they
/// cover the parent exactly once. Returns the children.
fn assert_partitions(
    parent: &Value,
    checkpoint: Option<&Value>,
    out: &Value,
    warnings: &[String],
    key: KeyOf,
    most: u64,
) -> Result<Vec<Value>, TestCaseError> {
    let id = parent["batch_id"].as_str().unwrap();
    let start = &parent["start_cursor"];
    let end = &parent["end_cursor"];
    let from = checkpoint.unwrap_or(start);
    let entry = &out["redriven"][0];
    prop_assert_eq!(&entry["parent_batch_id"], &parent["batch_id"]);
    let children = out["cursor_configs"].as_array().unwrap().clone();

    if key(from) == key(end) {
        prop_assert!(children.is_empty());
        prop_assert_eq!(entry["redrive"].as_str(), Some("nothing"));
        prop_assert_eq!(warnings, &["nothing_to_redrive".to_owned()][..]);
        return Ok(children);
    }
    prop_assert!(warnings.is_empty(), "{:?}", warnings);
    prop_assert!(!children.is_empty());
    prop_assert!(
        children.len() as u64 <= most,
        "{} > {}",
        children.len(),
        most
    );

    // The done part ends where the children begin; the children end where the parent does.
    prop_assert_eq!(&children[0]["start_cursor"], from);
    prop_assert_eq!(&children.last().unwrap()["end_cursor"], end);
    match checkpoint.filter(|c| key(c) != key(start)) {
        Some(c) => prop_assert_eq!(
            &entry["done"],
            &json!({"start_cursor": start, "end_cursor": c})
        ),
        None => prop_assert!(entry["done"].is_null()),
    }
    prop_assert_eq!(
        &entry["remainder"],
        &json!({"start_cursor": from, "end_cursor": end})
    );
    for pair in children.windows(2) {
        prop_assert_eq!(&pair[0]["end_cursor"], &pair[1]["start_cursor"]);
    }
    for (k, child) in children.iter().enumerate() {
        let expected_id = format!("{id}.{}", k + 1);
        prop_assert_eq!(child["batch_id"].as_str(), Some(expected_id.as_str()));
        prop_assert_eq!(child["parent_batch_id"].as_str(), Some(id));
        let lower = key(&child["start_cursor"]).unwrap();
        prop_assert!(
            key(&child["end_cursor"]).is_none_or(|upper| lower < upper),
            "empty child {}",
            child
        );
        let checked = call("validate_cursor_config", &child.to_string());
        prop_assert!(checked.is_ok(), "{:?}", checked);
        prop_assert!(checked.unwrap().warnings.is_empty());
        prop_assert_eq!(&out["workers"][k]["inputs"]["cursor"], child);
    }
    prop_assert_eq!(out["edges"].as_array().unwrap().len(), 2 * children.len());
    Ok(children)
}

fn split() -> impl Strategy<Value = (&'static str, u32)> {
    prop_oneof![
        (1u32..=40).prop_map(|p| ("pieces", p)),
        (1u32..=5_000).prop_map(|t| ("target_batch_size", t)),
    ]
}

/// The most children a split can give for a remainder of `items` items (or keys).
fn most_children(split: (&str, u32), items: u64) -> u64 {
    match split {
        ("pieces", p) => u64::from(p),
        (_, t) => items.div_ceil(u64::from(t)).max(1),
    }
}

/// A range and a checkpoint inside it (or none): `(start, end, checkpoint)`, widths from one
/// key up.
fn integer_range() -> impl Strategy<Value = (u64, u64, Option<u64>)> {
    (0u64..1 << 40, 1u64..=200_000).prop_flat_map(|(start, width)| {
        let end = start + width;
        (Just(start), Just(end), proptest::option::of(start..=end))
    })
}

fn uuid_range() -> impl Strategy<Value = (u128, Option<u128>, Option<u128>)> {
    (any::<u128>(), any::<u128>(), any::<bool>(), any::<u128>()).prop_map(|(a, b, open, c)| {
        let (start, end) = (a.min(b), a.max(b));
        let (start, end) = if start == end { (0, 1) } else { (start, end) };
        let end = if open { None } else { Some(end) };
        let last = end.unwrap_or(u128::MAX);
        // Anywhere in [start, end], the end included.
        let checkpoint = match c % 4 {
            0 => None,
            1 => end.or(Some(start)),
            _ => Some(start + c % (last - start).max(1)),
        };
        (start, end, checkpoint)
    })
}

fn timestamp_range() -> impl Strategy<Value = (i128, i128, Option<i128>)> {
    let year_ns = 365 * 86_400 * 1_000_000_000i128;
    (
        -50 * year_ns..50 * year_ns,
        1i128..=3 * year_ns,
        any::<u64>(),
    )
        .prop_map(|(start, width, c)| {
            let end = start + width;
            let checkpoint = match c % 4 {
                0 => None,
                1 => Some(end),
                _ => Some(start + (c as i128) % width),
            };
            (start, end, checkpoint)
        })
}

fn timestamp_text(nanos: i128) -> Value {
    json!(format_timestamp(nanos).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn integer_children_and_done_part_partition_the_parent(
        (start, end, checkpoint) in integer_range(),
        split in split(),
    ) {
        let parent = json!({"batch_id": "002", "start_cursor": start, "end_cursor": end, "batch_size": end - start});
        let mut failed = json!({"batch_id": "002"});
        if let Some(c) = checkpoint {
            failed["checkpoint_cursor"] = json!(c);
        }
        let (out, warnings) = redrive(&request(&parent, failed.clone(), split))?;
        let left = end - checkpoint.unwrap_or(start);
        let children = assert_partitions(&parent, failed.get("checkpoint_cursor"), &out, &warnings, integer_key, most_children(split, left))?;
        let sizes: u64 = children.iter().map(|c| c["batch_size"].as_u64().unwrap()).sum();
        prop_assert_eq!(sizes, left);
        for child in &children {
            let width = child["end_cursor"].as_u64().unwrap() - child["start_cursor"].as_u64().unwrap();
            prop_assert_eq!(child["batch_size"].as_u64(), Some(width));
            if split.0 == "target_batch_size" {
                prop_assert!(width <= u64::from(split.1));
            }
        }
    }

    #[test]
    fn uuid_children_and_done_part_partition_the_parent(
        (start, end, checkpoint) in uuid_range(),
        pieces in 1u32..=40,
        batch_size in 0u32..10_000,
    ) {
        let uuid = |v: u128| json!(format_uuid(v));
        let parent = json!({"batch_id": "007", "start_cursor": uuid(start), "end_cursor": end.map_or(Value::Null, uuid), "batch_size": batch_size});
        let mut failed = json!({"batch_id": "007"});
        if let Some(c) = checkpoint {
            failed["checkpoint_cursor"] = uuid(c);
        }
        let (out, warnings) = redrive(&request(&parent, failed.clone(), ("pieces", pieces)))?;
        let children = assert_partitions(&parent, failed.get("checkpoint_cursor"), &out, &warnings, uuid_key, u64::from(pieces))?;
        if !children.is_empty() {
            let sizes: u64 = children.iter().map(|c| c["batch_size"].as_u64().unwrap()).sum();
            prop_assert_eq!(sizes, u64::from(batch_size));
        }
    }

    #[test]
    fn timestamp_children_and_done_part_partition_the_parent(
        (start, end, checkpoint) in timestamp_range(),
        split in split(),
        batch_size in 0u32..100_000,
        processed in 0u64..100_000,
    ) {
        let parent = json!({"batch_id": "010", "start_cursor": timestamp_text(start), "end_cursor": timestamp_text(end), "batch_size": batch_size});
        let mut failed = json!({"batch_id": "010"});
        if let Some(c) = checkpoint {
            failed["checkpoint_cursor"] = timestamp_text(c);
            failed["processed_count"] = json!(processed);
        }
        let (out, mut warnings) = redrive(&request(&parent, failed.clone(), split))?;
        let processed = checkpoint.map_or(0, |_| processed);
        let left = u64::from(batch_size).saturating_sub(processed);
        if processed > u64::from(batch_size) && checkpoint != Some(end) {
            prop_assert_eq!(warnings.first().map(String::as_str), Some("total_items_mismatch"));
            warnings.remove(0);
        }
        let children = assert_partitions(&parent, failed.get("checkpoint_cursor"), &out, &warnings, timestamp_key, most_children(split, left))?;
        if !children.is_empty() {
            let sizes: u64 = children.iter().map(|c| c["batch_size"].as_u64().unwrap()).sum();
            prop_assert_eq!(sizes, left);
        }
    }

    /// A child that fails in turn is redriven like any range: its children partition its own
    /// remainder, with ids one level deeper, and no id of the task is reused.
    #[test]
    fn a_child_redriven_in_turn_partitions_its_own_range(
        (start, end, checkpoint) in integer_range(),
        pieces in 1u32..=8,
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
    ) {
        let parent = json!({"batch_id": "002", "start_cursor": start, "end_cursor": end, "batch_size": end - start});
        let mut failed = json!({"batch_id": "002"});
        if let Some(c) = checkpoint {
            failed["checkpoint_cursor"] = json!(c);
        }
        let (first, _) = redrive(&request(&parent, failed, ("pieces", pieces)))?;
        let children = first["cursor_configs"].as_array().unwrap();
        if children.is_empty() {
            return Ok(());
        }
        let child = &children[pick.index(children.len())];
        let (lower, upper) = (child["start_cursor"].as_u64().unwrap(), child["end_cursor"].as_u64().unwrap());
        let c = lower + at.index((upper - lower + 1) as usize) as u64;
        let mut configs = vec![parent.clone()];
        configs.extend(children.iter().cloned());
        let mut again = request(child, json!({"batch_id": child["batch_id"], "checkpoint_cursor": c}), ("pieces", pieces));
        again["cursor_configs"] = json!(configs);
        let (second, warnings) = redrive(&again)?;
        let grandchildren = assert_partitions(child, Some(&json!(c)), &second, &warnings, integer_key, u64::from(pieces))?;
        for grandchild in &grandchildren {
            prop_assert!(!configs.iter().any(|c| c["batch_id"] == grandchild["batch_id"]));
        }
    }

    /// A checkpoint of another kind than the range is carried, never cut: one child over the
    /// whole range whose step starts with the token.
    #[test]
    fn an_opaque_checkpoint_gives_one_child_resuming_from_it(
        (start, end, _) in integer_range(),
        token in "[a-z]{1,12}",
        pieces in 1u32..=40,
    ) {
        let parent = json!({"batch_id": "003", "start_cursor": start, "end_cursor": end, "batch_size": end - start});
        let failed = json!({"batch_id": "003", "checkpoint_cursor": token, "processed_count": 5});
        let (out, warnings) = redrive(&request(&parent, failed, ("pieces", pieces)))?;
        prop_assert_eq!(warnings, vec!["opaque_checkpoint".to_owned()]);
        let mut child = parent.clone();
        child["batch_id"] = json!("003.1");
        child["parent_batch_id"] = json!("003");
        prop_assert_eq!(&out["cursor_configs"], &json!([child]));
        prop_assert_eq!(&out["workers"][0]["results"], &json!({"checkpoint_cursor": token, "processed_count": 5}));
    }
}

/// Whatever is asked, the work is bounded: a request for more children than one call makes is
/// an error before anything is built.
#[test]
fn a_runaway_split_is_refused() {
    let parent = json!({"batch_id": "001", "start_cursor": 0, "end_cursor": u32::MAX, "batch_size": u32::MAX});
    let err = call(
        "redrive",
        &request(
            &parent,
            json!({"batch_id": "001"}),
            ("target_batch_size", 1),
        )
        .to_string(),
    )
    .unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.path.as_str()),
        ("out_of_range", "target_batch_size")
    );
    let open = json!({"batch_id": "001", "start_cursor": format_uuid(0), "end_cursor": null, "batch_size": u32::MAX});
    let err = call(
        "redrive",
        &request(&open, json!({"batch_id": "001"}), ("target_batch_size", 1)).to_string(),
    )
    .unwrap_err();
    assert_eq!(err.code.as_str(), "out_of_range");
}

// ------------------------------------------------------------------------------------------
// Redrive, then converge (docs/contract.md §10): a dataset of items with known totals is split
// into ranges, one worker fails past a checkpoint, its remainder is redriven (and one child
// may fail and be redriven in turn), the children report what their ranges hold; convergence
// must count every item exactly once and prove the coverage complete.

/// One kind of ordered key, as positions on a u128 line.
struct Kind {
    /// The cursor for a position, and the position of a cursor (`None`: an open end).
    cursor: fn(u128) -> Value,
    position: fn(&Value) -> Option<u128>,
    /// Integer ranges have `batch_size = end - start`; the others, the items they hold.
    integer: bool,
    /// The first position; the last range ends at `end` (`None`: open).
    start: u128,
    end: Option<u128>,
}

fn integer_kind() -> Kind {
    Kind {
        cursor: |k| json!(k as u64),
        position: |v| v.as_u64().map(u128::from),
        integer: true,
        start: 0,
        end: Some(1_000_000),
    }
}

fn uuid_kind() -> Kind {
    Kind {
        cursor: |k| json!(format_uuid(k)),
        position: |v| v.as_str().map(|s| parse_uuid(s).unwrap()),
        integer: false,
        start: 0,
        end: None,
    }
}

const EPOCH_2020: i128 = 1_577_836_800_000_000_000;

/// Nanoseconds from 2020-01-01T00:00:00Z, over three years.
fn timestamp_kind() -> Kind {
    Kind {
        cursor: |k| timestamp_text(EPOCH_2020 + k as i128),
        position: |v| {
            v.as_str()
                .map(|s| (parse_timestamp(s).unwrap() - EPOCH_2020) as u128)
        },
        integer: false,
        start: 0,
        end: Some(3 * 365 * 86_400 * 1_000_000_000),
    }
}

/// The items of `[start, end)` (`end` None: open): how many, and the sum of their amounts.
fn held(items: &[u128], start: u128, end: Option<u128>) -> (u64, u64) {
    items
        .iter()
        .filter(|&&k| k >= start && end.is_none_or(|e| k < e))
        .fold((0, 0), |(n, sum), &k| (n + 1, sum + (k % 1000) as u64))
}

/// A worker's result for a range.
fn result_of(items: &[u128], start: u128, end: Option<u128>) -> Value {
    let (n, amount) = held(items, start, end);
    json!({"items_processed": n, "items_succeeded": n, "amount": amount})
}

/// A config's range as positions.
fn positions(config: &Value, kind: &Kind) -> (u128, Option<u128>) {
    let at = kind.position;
    (
        at(&config["start_cursor"]).unwrap(),
        at(&config["end_cursor"]),
    )
}

/// What a failed worker says to redrive: its checkpoint at `c` and its progress up to it.
fn failed_at(config: &Value, c: Option<u128>, kind: &Kind, items: &[u128]) -> Value {
    let mut failed = json!({"batch_id": config["batch_id"], "name": format!("process_batch_{}", config["batch_id"].as_str().unwrap())});
    if let Some(c) = c {
        let (start, _) = positions(config, kind);
        let (n, amount) = held(items, start, Some(c));
        failed["checkpoint_cursor"] = (kind.cursor)(c);
        failed["processed_count"] = json!(n);
        failed["accumulated_results"] = json!({"amount": amount, "items_succeeded": n});
    }
    failed
}

/// `at` picks a checkpoint in `[start, end]` (an open end: anywhere from start on).
fn checkpoint_in(start: u128, end: Option<u128>, at: u128) -> u128 {
    match end {
        Some(e) => start + at % (e - start + 1),
        None => start + at % (u128::MAX - start),
    }
}

#[allow(clippy::too_many_arguments)]
fn redrive_then_converge(
    kind: &Kind,
    cuts: &[u128],
    items: &[u128],
    failed_index: usize,
    at: Option<u128>,
    opaque: bool,
    split: (&str, u32),
    nested: Option<(usize, u128)>,
) -> Result<(), TestCaseError> {
    let mut cuts: Vec<u128> = cuts
        .iter()
        .map(|c| kind.start + 1 + c % (kind.end.unwrap_or(u128::MAX) - kind.start - 1))
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut bounds = vec![kind.start];
    bounds.extend(cuts);
    let ranges: Vec<(u128, Option<u128>)> = (0..bounds.len())
        .map(|i| (bounds[i], bounds.get(i + 1).copied().or(kind.end)))
        .collect();
    let configs: Vec<Value> = ranges
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| {
            let size = held(items, s, e).0;
            json!({"batch_id": format!("{:03}", i + 1), "start_cursor": (kind.cursor)(s),
                   "end_cursor": e.map_or(Value::Null, kind.cursor),
                   "batch_size": if kind.integer { (e.unwrap() - s) as u64 } else { size }})
        })
        .collect();
    let total: u64 = configs
        .iter()
        .map(|c| c["batch_size"].as_u64().unwrap())
        .sum();
    let outcome = json!({"type": "create_batches", "worker_template_name": "process_batch",
                         "worker_count": configs.len(), "cursor_configs": configs, "total_items": total});

    let mut results = serde_json::Map::new();
    results.insert(
        "analyze".into(),
        json!({"batch_processing_outcome": outcome}),
    );
    let failed_index = failed_index % configs.len();
    for (i, config) in configs.iter().enumerate() {
        let (s, e) = ranges[i];
        let name = format!("process_batch_{}", config["batch_id"].as_str().unwrap());
        let result = if i == failed_index {
            json!({"success": false, "error": "bad rows"})
        } else {
            result_of(items, s, e)
        };
        results.insert(name, result);
    }

    let parent = &configs[failed_index];
    let (ps, pe) = ranges[failed_index];
    let failed = if opaque {
        let (n, amount) = held(items, ps, pe.map(|e| e.min(ps + 1)));
        json!({"batch_id": parent["batch_id"], "checkpoint_cursor": {"page": 1}, "processed_count": n,
               "accumulated_results": {"amount": amount, "items_succeeded": n}})
    } else {
        failed_at(parent, at.map(|a| checkpoint_in(ps, pe, a)), kind, items)
    };
    let mut first = request(parent, failed, split);
    first["cursor_configs"] = json!(configs);
    let (first, _) = redrive(&first)?;
    let mut redrives = vec![first.clone()];
    let mut task = configs.clone();
    let children = first["cursor_configs"].as_array().unwrap().clone();
    task.extend(children.iter().cloned());

    let nested_child = nested.filter(|_| !children.is_empty() && !opaque);
    for (k, child) in children.iter().enumerate() {
        let (s, e) = positions(child, kind);
        let name = format!("process_batch_{}", child["batch_id"].as_str().unwrap());
        let result = match nested_child {
            Some((pick, _)) if pick % children.len() == k => json!({"status": "failed"}),
            // An opaque child resumed from the token with the parent's counts carried on: it
            // reports the whole range.
            _ if opaque => result_of(items, ps, pe),
            _ => result_of(items, s, e),
        };
        results.insert(name, result);
    }
    if let Some((pick, at)) = nested_child {
        let child = &children[pick % children.len()];
        let (s, e) = positions(child, kind);
        let mut again = request(
            child,
            failed_at(child, Some(checkpoint_in(s, e, at)), kind, items),
            split,
        );
        again["cursor_configs"] = json!(task);
        let (second, _) = redrive(&again)?;
        for grandchild in second["cursor_configs"].as_array().unwrap() {
            let (s, e) = positions(grandchild, kind);
            let name = format!("process_batch_{}", grandchild["batch_id"].as_str().unwrap());
            results.insert(name, result_of(items, s, e));
        }
        redrives.push(second);
    }

    let converge = json!({"failure_strategy": "isolate", "reducers": {"amount": "sum"},
                          "dependency_results": results, "batchable_step_name": "analyze",
                          "worker_prefix": "process_batch_", "redrives": redrives});
    let out = call("converge", &converge.to_string());
    prop_assert!(out.is_ok(), "{:?}", out);
    let out = out.unwrap();
    let warnings: Vec<&str> = out.warnings.iter().map(|w| w.code.as_str()).collect();
    prop_assert!(warnings.is_empty(), "{:?}", warnings);
    let value: Value = serde_json::from_str(&out.value).unwrap();
    let (n, amount) = held(items, kind.start, kind.end);
    prop_assert_eq!(
        &value["aggregation"]["total_processed"],
        &json!(n),
        "{}",
        value
    );
    prop_assert_eq!(&value["aggregation"]["total_succeeded"], &json!(n));
    prop_assert_eq!(&value["aggregation"]["custom"]["amount"], &json!(amount));
    prop_assert_eq!(&value["failed_batches"], &json!([]));
    prop_assert_eq!(
        &value["coverage"],
        &json!({"checked": true, "complete": true, "gaps": [], "overlaps": []})
    );
    prop_assert_eq!(value["status"].as_str(), Some("succeeded"));
    Ok(())
}

fn items_in(kind: &Kind, raw: Vec<u128>) -> Vec<u128> {
    let span = kind.end.unwrap_or(u128::MAX) - kind.start;
    raw.into_iter().map(|k| kind.start + k % span).collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn integer_totals_and_coverage_hold_after_redrive(
        cuts in prop::collection::vec(any::<u128>(), 0..6),
        raw in prop::collection::vec(any::<u128>(), 0..200),
        failed in any::<usize>(),
        at in proptest::option::of(any::<u128>()),
        opaque in any::<bool>(),
        split in (1u32..=6).prop_map(|p| ("pieces", p)),
        nested in proptest::option::of((any::<usize>(), any::<u128>())),
    ) {
        let kind = integer_kind();
        let items = items_in(&kind, raw);
        redrive_then_converge(&kind, &cuts, &items, failed, at, opaque, split, nested)?;
    }

    #[test]
    fn uuid_totals_and_coverage_hold_after_redrive(
        cuts in prop::collection::vec(any::<u128>(), 0..6),
        raw in prop::collection::vec(any::<u128>(), 0..200),
        failed in any::<usize>(),
        at in proptest::option::of(any::<u128>()),
        split in split(),
        nested in proptest::option::of((any::<usize>(), any::<u128>())),
    ) {
        let kind = uuid_kind();
        let items = items_in(&kind, raw);
        let split = if split.0 == "pieces" { ("pieces", split.1.min(6)) } else { split };
        redrive_then_converge(&kind, &cuts, &items, failed, at, false, split, nested)?;
    }

    #[test]
    fn timestamp_totals_and_coverage_hold_after_redrive(
        cuts in prop::collection::vec(any::<u128>(), 0..6),
        raw in prop::collection::vec(any::<u128>(), 0..200),
        failed in any::<usize>(),
        at in proptest::option::of(any::<u128>()),
        split in (1u32..=6).prop_map(|p| ("pieces", p)),
        nested in proptest::option::of((any::<usize>(), any::<u128>())),
    ) {
        let kind = timestamp_kind();
        let items = items_in(&kind, raw);
        redrive_then_converge(&kind, &cuts, &items, failed, at, false, split, nested)?;
    }
}

/// Convergence handles any depth of redrive, in time and memory linear in its input: a chain of
/// 400 redrives, each parent failing one key past its start, converges with the totals of the
/// whole range and complete coverage.
#[test]
fn a_deep_chain_of_redrives_converges() {
    const DEPTH: u64 = 400;
    const END: u64 = 1000;
    let outcome = json!({"type": "create_batches", "worker_template_name": "w", "worker_count": 1,
                         "cursor_configs": [{"batch_id": "001", "start_cursor": 0, "end_cursor": END, "batch_size": END}],
                         "total_items": END});
    let mut results = serde_json::Map::new();
    results.insert(
        "analyze".into(),
        json!({"batch_processing_outcome": outcome}),
    );
    let mut redrives = Vec::new();
    let mut parent = "001".to_owned();
    for k in 0..DEPTH {
        let child = format!("{parent}.1");
        results.insert(format!("w_{parent}"), json!({"success": false}));
        redrives.push(json!({
            "redriven": [{"parent_batch_id": parent, "redrive": "split", "checkpoint_cursor": k + 1,
                          "processed_count": 1, "accumulated_results": {"items_succeeded": 1, "amount": k},
                          "child_batch_ids": [child]}],
            "cursor_configs": [{"batch_id": child, "start_cursor": k + 1, "end_cursor": END,
                                "batch_size": END - k - 1, "parent_batch_id": parent}],
        }));
        parent = child;
    }
    let left = END - DEPTH;
    let last: u64 = (DEPTH..END).sum();
    results.insert(
        format!("w_{parent}"),
        json!({"items_processed": left, "items_succeeded": left, "amount": last}),
    );
    let request = json!({"reducers": {"amount": "sum"}, "dependency_results": results,
                         "batchable_step_name": "analyze", "worker_prefix": "w_", "redrives": redrives});
    let out = call("converge", &request.to_string()).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let value: Value = serde_json::from_str(&out.value).unwrap();
    assert_eq!(value["aggregation"]["total_processed"], json!(END));
    assert_eq!(value["aggregation"]["total_succeeded"], json!(END));
    assert_eq!(
        value["aggregation"]["custom"]["amount"],
        json!((0..END).sum::<u64>())
    );
    assert_eq!(value["failed_batches"], json!([]));
    assert_eq!(
        value["coverage"],
        json!({"checked": true, "complete": true, "gaps": [], "overlaps": []})
    );
}
