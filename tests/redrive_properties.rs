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
