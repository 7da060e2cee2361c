//! The worst input shapes of every operation in the table (`for_each_operation!`), at any size:
//! many unknown keys, long arrays, deep-but-legal nesting, long strings, many errors and
//! warnings, many workers and results, many boundaries. Shared by the worst-shape benchmark
//! (`benches/worst_shape.rs`, per-byte time from 10 KB to 1 MB) and its debug-build time guard
//! (`tests/worst_shape.rs`), so both measure the same inputs.
//!
//! A shape is a generator of its input from a unit count `n` (keys, configs, workers, ...);
//! [`input_of_size`] finds the `n` whose work is about the asked number of bytes. The bytes of
//! a call are its input plus its output: a partition by count reads a few bytes and writes a
//! megabyte, and its time is linear in what it writes.

#![allow(dead_code)] // The bench and the test use different parts.

use std::fmt::Write as _;

/// One worst shape of one operation.
pub struct Shape {
    /// The operation's name in the table.
    pub op: &'static str,
    /// What is large in it.
    pub name: &'static str,
    /// The input for a unit count `n`.
    pub generate: fn(usize) -> String,
    /// Whether the call answers a value (`true`) or an error (`false`): a shape whose one
    /// problem is at its end (a duplicate `batch_id` after a million keys) is an error by design.
    pub ok: bool,
}

/// Every shape. Each operation of the table has at least one (`tests/worst_shape.rs` checks).
pub const SHAPES: &[Shape] = &[
    // validate_outcome
    Shape {
        op: "validate_outcome",
        name: "many_configs",
        generate: outcome_many_configs,
        ok: true,
    },
    Shape {
        op: "validate_outcome",
        name: "unknown_keys",
        generate: outcome_unknown_keys,
        ok: true,
    },
    Shape {
        op: "validate_outcome",
        name: "config_unknown_keys",
        generate: outcome_config_unknown_keys,
        ok: true,
    },
    Shape {
        op: "validate_outcome",
        name: "deep_caller_data",
        generate: outcome_deep,
        ok: true,
    },
    Shape {
        op: "validate_outcome",
        name: "long_strings",
        generate: outcome_long_strings,
        ok: true,
    },
    Shape {
        op: "validate_outcome",
        name: "string_cursors",
        generate: outcome_string_cursors,
        ok: true,
    },
    Shape {
        op: "validate_outcome",
        name: "many_warnings",
        generate: outcome_many_warnings,
        ok: true,
    },
    Shape {
        op: "validate_outcome",
        name: "duplicate_at_end",
        generate: outcome_duplicate_at_end,
        ok: false,
    },
    // validate_cursor_config
    Shape {
        op: "validate_cursor_config",
        name: "unknown_keys",
        generate: config_unknown_keys,
        ok: true,
    },
    Shape {
        op: "validate_cursor_config",
        name: "long_batch_id",
        generate: config_long_batch_id,
        ok: true,
    },
    Shape {
        op: "validate_cursor_config",
        name: "long_string_cursor",
        generate: config_long_cursor,
        ok: true,
    },
    Shape {
        op: "validate_cursor_config",
        name: "deep_caller_data",
        generate: config_deep,
        ok: true,
    },
    Shape {
        op: "validate_cursor_config",
        name: "duplicate_key_at_end",
        generate: config_duplicate_key,
        ok: false,
    },
    // validate_batch_metadata
    Shape {
        op: "validate_batch_metadata",
        name: "unknown_keys",
        generate: metadata_unknown_keys,
        ok: true,
    },
    Shape {
        op: "validate_batch_metadata",
        name: "long_cursor_field",
        generate: metadata_long_field,
        ok: true,
    },
    Shape {
        op: "validate_batch_metadata",
        name: "deep_caller_data",
        generate: metadata_deep,
        ok: true,
    },
    // validate_worker_inputs
    Shape {
        op: "validate_worker_inputs",
        name: "unknown_keys",
        generate: inputs_unknown_keys,
        ok: true,
    },
    Shape {
        op: "validate_worker_inputs",
        name: "cursor_unknown_keys",
        generate: inputs_cursor_unknown_keys,
        ok: true,
    },
    Shape {
        op: "validate_worker_inputs",
        name: "deep_caller_data",
        generate: inputs_deep,
        ok: true,
    },
    // partition
    Shape {
        op: "partition",
        name: "integer_boundaries",
        generate: partition_integer_boundaries,
        ok: true,
    },
    Shape {
        op: "partition",
        name: "timestamp_boundaries",
        generate: partition_timestamp_boundaries,
        ok: true,
    },
    Shape {
        op: "partition",
        name: "string_boundaries",
        generate: partition_string_boundaries,
        ok: true,
    },
    Shape {
        op: "partition",
        name: "integer_by_count",
        generate: partition_integer_by_count,
        ok: true,
    },
    Shape {
        op: "partition",
        name: "uuid_count",
        generate: partition_uuid_count,
        ok: true,
    },
    Shape {
        op: "partition",
        name: "timestamp_count",
        generate: partition_timestamp_count,
        ok: true,
    },
    // expand_outcome
    Shape {
        op: "expand_outcome",
        name: "many_configs",
        generate: expand_many_configs,
        ok: true,
    },
    Shape {
        op: "expand_outcome",
        name: "many_convergence_steps",
        generate: expand_many_convergence,
        ok: true,
    },
    Shape {
        op: "expand_outcome",
        name: "big_initialization",
        generate: expand_big_initialization,
        ok: true,
    },
    // worker_context
    Shape {
        op: "worker_context",
        name: "results_unknown_keys",
        generate: context_results_keys,
        ok: true,
    },
    Shape {
        op: "worker_context",
        name: "cursor_unknown_keys",
        generate: context_cursor_keys,
        ok: true,
    },
    Shape {
        op: "worker_context",
        name: "deep_accumulated_results",
        generate: context_deep,
        ok: true,
    },
    // update_step_results
    Shape {
        op: "update_step_results",
        name: "changes_keys",
        generate: update_changes_keys,
        ok: true,
    },
    Shape {
        op: "update_step_results",
        name: "results_keys",
        generate: update_results_keys,
        ok: true,
    },
    Shape {
        op: "update_step_results",
        name: "overlapping_keys",
        generate: update_overlapping_keys,
        ok: true,
    },
    Shape {
        op: "update_step_results",
        name: "duplicate_change_at_end",
        generate: update_duplicate_change,
        ok: false,
    },
    // reset_for_retry
    Shape {
        op: "reset_for_retry",
        name: "results_keys",
        generate: reset_results_keys,
        ok: true,
    },
    // detect_scenario
    Shape {
        op: "detect_scenario",
        name: "many_workers",
        generate: detect_many_workers,
        ok: true,
    },
    Shape {
        op: "detect_scenario",
        name: "many_other_dependencies",
        generate: detect_many_others,
        ok: true,
    },
    Shape {
        op: "detect_scenario",
        name: "worker_result_keys",
        generate: detect_result_keys,
        ok: true,
    },
    // aggregate
    Shape {
        op: "aggregate",
        name: "many_results",
        generate: aggregate_many_results,
        ok: true,
    },
    Shape {
        op: "aggregate",
        name: "many_errors",
        generate: aggregate_many_errors,
        ok: true,
    },
    Shape {
        op: "aggregate",
        name: "many_errors_all_kept",
        generate: aggregate_all_errors_kept,
        ok: true,
    },
    Shape {
        op: "aggregate",
        name: "many_reducers",
        generate: aggregate_many_reducers,
        ok: true,
    },
    Shape {
        op: "aggregate",
        name: "merge_many_keys",
        generate: aggregate_merge_keys,
        ok: true,
    },
    Shape {
        op: "aggregate",
        name: "concat_long_arrays",
        generate: aggregate_concat,
        ok: true,
    },
    Shape {
        op: "aggregate",
        name: "string_min_max",
        generate: aggregate_string_min_max,
        ok: true,
    },
    // converge
    Shape {
        op: "converge",
        name: "many_workers",
        generate: converge_many_workers,
        ok: true,
    },
    Shape {
        op: "converge",
        name: "many_failed_workers",
        generate: converge_many_failed,
        ok: true,
    },
    Shape {
        op: "converge",
        name: "coverage_overlaps",
        generate: converge_overlaps,
        ok: true,
    },
    // redrive
    Shape {
        op: "redrive",
        name: "many_failed_batches",
        generate: redrive_many_failed,
        ok: true,
    },
    Shape {
        op: "redrive",
        name: "many_pieces",
        generate: redrive_many_pieces,
        ok: true,
    },
];

/// The input of `shape` whose call handles about `bytes` bytes (input plus output), found from
/// two small probes (the size of every shape is nearly affine in `n`), then corrected once by
/// the size found (numbered keys grow by a digit now and then).
pub fn input_of_size(shape: &Shape, bytes: usize) -> String {
    let (n1, n2) = (64, 128);
    let (b1, b2) = (call_bytes(shape, n1), call_bytes(shape, n2));
    let per_unit = ((b2 - b1) as f64 / (n2 - n1) as f64).max(1.0);
    let n = (n1 + ((bytes as f64 - b1 as f64) / per_unit).max(0.0) as usize).max(1);
    let found = call_bytes(shape, n);
    let n = ((n as f64 * bytes as f64 / found as f64) as usize).max(1);
    (shape.generate)(n)
}

/// The bytes of the call of `shape` on `input`: the input and the envelope answered.
pub fn bytes_of(shape: &Shape, input: &str) -> usize {
    input.len() + tasker_batch::operations::call_envelope(shape.op, input).len()
}

fn call_bytes(shape: &Shape, n: usize) -> usize {
    let input = (shape.generate)(n);
    input.len() + tasker_batch::operations::call_envelope(shape.op, &input).len()
}

// ------------------------------------------------------------------------------------------
// Pieces

fn config(out: &mut String, i: usize, start: u64, end: u64) {
    let _ = write!(
        out,
        r#"{{"batch_id":"{:03}","start_cursor":{start},"end_cursor":{end},"batch_size":{}}}"#,
        i + 1,
        end - start
    );
}

fn configs(n: usize) -> String {
    let mut out = String::from("[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        config(&mut out, i, i as u64 * 100, (i as u64 + 1) * 100);
    }
    out.push(']');
    out
}

fn outcome(n: usize, extra: &str) -> String {
    format!(
        r#"{{"type":"create_batches","worker_template_name":"process_batch","worker_count":{n},"cursor_configs":{},"total_items":{}{extra}}}"#,
        configs(n),
        n * 100
    )
}

/// `"k0":0,"k1":1,...` (with a leading comma when `lead`).
fn keys(n: usize, lead: bool) -> String {
    let mut out = String::with_capacity(n * 12);
    for i in 0..n {
        if lead || i > 0 {
            out.push(',');
        }
        let _ = write!(out, r#""k{i}":{i}"#);
    }
    out
}

/// `n` values nested 100 levels deep (the limit is 128 for the whole input), in one array.
fn deep(n: usize) -> String {
    let mut out = String::from("[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        for _ in 0..50 {
            out.push_str(r#"{"a":["#);
        }
        out.push('1');
        for _ in 0..50 {
            out.push_str("]}");
        }
    }
    out.push(']');
    out
}

fn long_string(n: usize) -> String {
    let mut out = String::with_capacity(n * 16);
    for i in 0..n {
        let _ = write!(out, "x{i:014}é");
    }
    out
}

fn cursor() -> &'static str {
    r#"{"batch_id":"001","start_cursor":0,"end_cursor":100,"batch_size":100}"#
}

fn worker_result(i: usize) -> String {
    format!(r#"{{"items_processed":{i},"items_succeeded":{i},"items_failed":0,"items_skipped":0}}"#)
}

fn dependency_results(n: usize, result: impl Fn(usize) -> String, extra: &str) -> String {
    let mut out = format!(
        r#"{{"analyze":{{"batch_processing_outcome":{}}}"#,
        outcome(n, "")
    );
    for i in 0..n {
        let _ = write!(out, r#","process_batch_{:03}":{}"#, i + 1, result(i));
    }
    out.push_str(extra);
    out.push('}');
    out
}

// ------------------------------------------------------------------------------------------
// validate_outcome

fn outcome_many_configs(n: usize) -> String {
    outcome(n, "")
}

fn outcome_unknown_keys(n: usize) -> String {
    outcome(1, &keys(n, true))
}

fn outcome_config_unknown_keys(n: usize) -> String {
    format!(
        r#"{{"type":"create_batches","worker_template_name":"p","worker_count":1,"cursor_configs":[{{"batch_id":"001","start_cursor":0,"end_cursor":100,"batch_size":100{}}}],"total_items":100}}"#,
        keys(n, true)
    )
}

fn outcome_deep(n: usize) -> String {
    outcome(1, &format!(r#","caller":{}"#, deep(n)))
}

fn outcome_long_strings(n: usize) -> String {
    format!(
        r#"{{"type":"create_batches","worker_template_name":"{}","worker_count":1,"cursor_configs":[{{"batch_id":"{}","start_cursor":0,"end_cursor":100,"batch_size":100}}],"total_items":100}}"#,
        long_string(n),
        long_string(n)
    )
}

fn outcome_string_cursors(n: usize) -> String {
    let mut list = String::from("[");
    for i in 0..n {
        if i > 0 {
            list.push(',');
        }
        let _ = write!(
            list,
            r#"{{"batch_id":"{:03}","start_cursor":"key-{:012}","end_cursor":"key-{:012}","batch_size":100}}"#,
            i + 1,
            i,
            i + 1
        );
    }
    list.push(']');
    format!(
        r#"{{"type":"create_batches","worker_template_name":"p","worker_count":{n},"cursor_configs":{list},"total_items":{}}}"#,
        n * 100
    )
}

/// Every config a zero-length range (a warning each).
fn outcome_many_warnings(n: usize) -> String {
    let mut list = String::from("[");
    for i in 0..n {
        if i > 0 {
            list.push(',');
        }
        config(&mut list, i, i as u64, i as u64);
    }
    list.push(']');
    format!(
        r#"{{"type":"create_batches","worker_template_name":"p","worker_count":{n},"cursor_configs":{list},"total_items":0}}"#
    )
}

fn outcome_duplicate_at_end(n: usize) -> String {
    let mut list = configs(n);
    list.pop();
    list.push(',');
    config(&mut list, 0, 0, 100);
    list.push(']');
    format!(
        r#"{{"type":"create_batches","worker_template_name":"p","worker_count":{},"cursor_configs":{list},"total_items":{}}}"#,
        n + 1,
        n * 100 + 100
    )
}

// ------------------------------------------------------------------------------------------
// validate_cursor_config

fn config_unknown_keys(n: usize) -> String {
    format!(
        r#"{{"batch_id":"001","start_cursor":0,"end_cursor":100,"batch_size":100{}}}"#,
        keys(n, true)
    )
}

fn config_long_batch_id(n: usize) -> String {
    format!(
        r#"{{"batch_id":"{}","start_cursor":0,"end_cursor":100,"batch_size":100}}"#,
        long_string(n)
    )
}

fn config_long_cursor(n: usize) -> String {
    let s = long_string(n);
    format!(r#"{{"batch_id":"001","start_cursor":"a{s}","end_cursor":"b{s}","batch_size":100}}"#)
}

fn config_deep(n: usize) -> String {
    format!(
        r#"{{"batch_id":"001","start_cursor":0,"end_cursor":100,"batch_size":100,"caller":{}}}"#,
        deep(n)
    )
}

/// A million unknown keys, then the first one again.
fn config_duplicate_key(n: usize) -> String {
    format!(
        r#"{{"batch_id":"001","start_cursor":0,"end_cursor":100,"batch_size":100{},"k0":0}}"#,
        keys(n, true)
    )
}

// ------------------------------------------------------------------------------------------
// validate_batch_metadata, validate_worker_inputs

fn metadata_unknown_keys(n: usize) -> String {
    format!(r#"{{"cursor_field":"id"{}}}"#, keys(n, true))
}

fn metadata_long_field(n: usize) -> String {
    format!(r#"{{"cursor_field":"{}"}}"#, long_string(n))
}

fn metadata_deep(n: usize) -> String {
    format!(r#"{{"cursor_field":"id","caller":{}}}"#, deep(n))
}

fn inputs_unknown_keys(n: usize) -> String {
    format!(r#"{{"cursor":{}{}}}"#, cursor(), keys(n, true))
}

fn inputs_cursor_unknown_keys(n: usize) -> String {
    format!(r#"{{"cursor":{}}}"#, config_unknown_keys(n))
}

fn inputs_deep(n: usize) -> String {
    format!(
        r#"{{"cursor":{},"batch_metadata":{{"cursor_field":"id","caller":{}}}}}"#,
        cursor(),
        deep(n)
    )
}

// ------------------------------------------------------------------------------------------
// partition

fn partition_integer_boundaries(n: usize) -> String {
    let mut list = String::new();
    for i in 0..n {
        if i > 0 {
            list.push(',');
        }
        let _ = write!(list, "{}", i * 1000);
    }
    format!(r#"{{"strategy":"boundaries","boundaries":[{list}]}}"#)
}

fn partition_timestamp_boundaries(n: usize) -> String {
    let mut list = String::new();
    for i in 0..n {
        if i > 0 {
            list.push(',');
        }
        let (day, second) = (i / 86_400, i % 86_400);
        let _ = write!(
            list,
            r#""2024-{:02}-{:02}T{:02}:{:02}:{:02}Z""#,
            1 + day / 28 % 12,
            1 + day % 28,
            second / 3600,
            second / 60 % 60,
            second % 60
        );
    }
    // Keep them ascending: a year per 336 days of seconds is far more than any test reaches.
    format!(r#"{{"strategy":"boundaries","boundaries":[{list}]}}"#)
}

fn partition_string_boundaries(n: usize) -> String {
    let mut list = String::new();
    for i in 0..n {
        if i > 0 {
            list.push(',');
        }
        let _ = write!(list, r#""key-{i:012}""#);
    }
    format!(r#"{{"strategy":"boundaries","boundaries":[{list}]}}"#)
}

fn partition_integer_by_count(n: usize) -> String {
    format!(
        r#"{{"strategy":"integer_by_count","total_items":{},"worker_count":{n}}}"#,
        n * 10
    )
}

fn partition_uuid_count(n: usize) -> String {
    format!(r#"{{"strategy":"uuid","count":{n}}}"#)
}

fn partition_timestamp_count(n: usize) -> String {
    format!(
        r#"{{"strategy":"timestamp","start":"2000-01-01T00:00:00Z","end":"2090-01-01T00:00:00Z","count":{n},"total_items":{}}}"#,
        n * 10
    )
}

// ------------------------------------------------------------------------------------------
// expand_outcome

fn expand(outcome: &str, convergence: &str, extra: &str) -> String {
    format!(
        r#"{{"batchable_step_name":"analyze","convergence_step_names":{convergence},"outcome":{outcome}{extra}}}"#
    )
}

fn expand_many_configs(n: usize) -> String {
    expand(&outcome(n, ""), r#"["aggregate"]"#, "")
}

fn expand_many_convergence(n: usize) -> String {
    let mut names = String::from("[");
    for i in 0..n {
        if i > 0 {
            names.push(',');
        }
        let _ = write!(names, r#""aggregate_{i}""#);
    }
    names.push(']');
    expand(&outcome(2, ""), &names, "")
}

fn expand_big_initialization(n: usize) -> String {
    expand(
        &outcome(2, ""),
        r#"["aggregate"]"#,
        &format!(
            r#","initialization":{{"deep":{}{}}}"#,
            deep(n / 8 + 1),
            keys(n, true)
        ),
    )
}

// ------------------------------------------------------------------------------------------
// worker_context, update_step_results, reset_for_retry

fn context_results_keys(n: usize) -> String {
    format!(
        r#"{{"inputs":{{"cursor":{}}},"results":{{"checkpoint_cursor":40,"processed_count":40{}}}}}"#,
        cursor(),
        keys(n, true)
    )
}

fn context_cursor_keys(n: usize) -> String {
    format!(r#"{{"inputs":{{"cursor":{}}}}}"#, config_unknown_keys(n))
}

fn context_deep(n: usize) -> String {
    format!(
        r#"{{"inputs":{{"cursor":{}}},"results":{{"checkpoint_cursor":40,"processed_count":40,"accumulated_results":{}}}}}"#,
        cursor(),
        deep(n)
    )
}

fn update(results: &str, changes: &str) -> String {
    format!(
        r#"{{"step":{{"inputs":{{"cursor":{}}},"results":{{{results}}}}},"changes":{{{changes}}}}}"#,
        cursor()
    )
}

fn update_changes_keys(n: usize) -> String {
    update(
        r#""checkpoint_cursor":40"#,
        &format!(r#""checkpoint_cursor":60{}"#, keys(n, true)),
    )
}

fn update_results_keys(n: usize) -> String {
    update(
        &format!(r#""checkpoint_cursor":40{}"#, keys(n, true)),
        r#""checkpoint_cursor":60"#,
    )
}

fn update_overlapping_keys(n: usize) -> String {
    update(&keys(n, false), &keys(n, false))
}

fn update_duplicate_change(n: usize) -> String {
    update(
        r#""checkpoint_cursor":40"#,
        &format!(r#"{},"k0":0"#, keys(n, false)),
    )
}

fn reset_results_keys(n: usize) -> String {
    format!(
        r#"{{"results":{{"checkpoint_cursor":40,"processed_count":40{}}}}}"#,
        keys(n, true)
    )
}

// ------------------------------------------------------------------------------------------
// detect_scenario, aggregate, converge

fn detect(dependencies: &str) -> String {
    format!(
        r#"{{"dependency_results":{dependencies},"batchable_step_name":"analyze","worker_prefix":"process_batch_"}}"#
    )
}

fn detect_many_workers(n: usize) -> String {
    detect(&dependency_results(n, worker_result, ""))
}

fn detect_many_others(n: usize) -> String {
    let mut others = String::new();
    for i in 0..n {
        let _ = write!(others, r#","load_{i}":{{"region":"eu"}}"#);
    }
    detect(&dependency_results(2, worker_result, &others))
}

fn detect_result_keys(n: usize) -> String {
    detect(&dependency_results(
        1,
        |_| format!(r#"{{"items_processed":1{}}}"#, keys(n, true)),
        "",
    ))
}

fn batch_results(n: usize, result: impl Fn(usize) -> String) -> String {
    let mut out = String::from("{");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, r#""process_batch_{:03}":{}"#, i + 1, result(i));
    }
    out.push('}');
    out
}

fn aggregate_many_results(n: usize) -> String {
    format!(r#"{{"batch_results":{}}}"#, batch_results(n, worker_result))
}

fn errors(n: usize) -> String {
    let mut out = String::from("[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, r#"{{"row":{i},"message":"bad price"}}"#);
    }
    out.push(']');
    out
}

fn aggregate_many_errors(n: usize) -> String {
    format!(
        r#"{{"batch_results":{}}}"#,
        batch_results(4, |_| format!(
            r#"{{"items_processed":1,"errors":{}}}"#,
            errors(n / 4 + 1)
        ))
    )
}

fn aggregate_all_errors_kept(n: usize) -> String {
    format!(
        r#"{{"batch_results":{},"max_errors":{n}}}"#,
        batch_results(4, |_| format!(
            r#"{{"items_processed":1,"errors":{}}}"#,
            errors(n / 4 + 1)
        ))
    )
}

fn aggregate_many_reducers(n: usize) -> String {
    let mut reducers = String::new();
    for i in 0..n {
        if i > 0 {
            reducers.push(',');
        }
        let kind = ["sum", "min", "max", "count", "concat", "merge"][i % 6];
        let _ = write!(reducers, r#""k{i}":"{kind}""#);
    }
    format!(
        r#"{{"batch_results":{},"reducers":{{{reducers}}}}}"#,
        batch_results(2, |_| {
            let mut fields = String::new();
            for i in 0..n {
                let _ = match i % 6 {
                    4 => write!(fields, r#","k{i}":[{i}]"#),
                    5 => write!(fields, r#","k{i}":{{"a{i}":{i}}}"#),
                    _ => write!(fields, r#","k{i}":{i}"#),
                };
            }
            format!(r#"{{"items_processed":1{fields}}}"#)
        })
    )
}

fn aggregate_merge_keys(n: usize) -> String {
    format!(
        r#"{{"batch_results":{},"reducers":{{"m":"merge"}}}}"#,
        batch_results(4, |w| {
            let mut map = String::new();
            for i in 0..n / 4 + 1 {
                if i > 0 {
                    map.push(',');
                }
                // Half the keys are shared by every worker, half are the worker's own.
                let _ = if i % 2 == 0 {
                    write!(map, r#""s{i}":{i}"#)
                } else {
                    write!(map, r#""w{w}_{i}":{i}"#)
                };
            }
            format!(r#"{{"items_processed":1,"m":{{{map}}}}}"#)
        })
    )
}

fn aggregate_concat(n: usize) -> String {
    format!(
        r#"{{"batch_results":{},"reducers":{{"c":"concat"}}}}"#,
        batch_results(4, |_| {
            let items: Vec<String> = (0..n / 4 + 1).map(|i| i.to_string()).collect();
            format!(r#"{{"items_processed":1,"c":[{}]}}"#, items.join(","))
        })
    )
}

fn aggregate_string_min_max(n: usize) -> String {
    format!(
        r#"{{"batch_results":{},"reducers":{{"lo":"min","hi":"max"}}}}"#,
        batch_results(n, |i| format!(
            r#"{{"items_processed":1,"lo":"v{:09}","hi":"v{:09}"}}"#,
            (i * 7919) % 1_000_003,
            (i * 104_729) % 1_000_003
        ))
    )
}

fn converge_many_workers(n: usize) -> String {
    detect(&dependency_results(n, worker_result, ""))
}

fn converge_many_failed(n: usize) -> String {
    let dependencies = dependency_results(
        n,
        |i| {
            if i % 2 == 0 {
                r#"{"success":false,"error":{"message":"db timeout"}}"#.to_string()
            } else {
                worker_result(i)
            }
        },
        "",
    );
    let mut input = detect(&dependencies);
    input.pop();
    input.push_str(r#","failure_strategy":"isolate"}"#);
    input
}

/// Every range overlaps its neighbours: the coverage check reports an overlap for each.
fn converge_overlaps(n: usize) -> String {
    let mut list = String::from("[");
    for i in 0..n {
        if i > 0 {
            list.push(',');
        }
        config(&mut list, i, i as u64 * 100, i as u64 * 100 + 150);
    }
    list.push(']');
    let outcome = format!(
        r#"{{"type":"create_batches","worker_template_name":"process_batch","worker_count":{n},"cursor_configs":{list},"total_items":{}}}"#,
        n * 150
    );
    let mut dependencies = format!(r#"{{"analyze":{{"batch_processing_outcome":{outcome}}}"#);
    for i in 0..n {
        let _ = write!(
            dependencies,
            r#","process_batch_{:03}":{}"#,
            i + 1,
            worker_result(i)
        );
    }
    dependencies.push('}');
    detect(&dependencies)
}

// ------------------------------------------------------------------------------------------
// redrive

fn redrive_many_failed(n: usize) -> String {
    let mut failed = String::from("[");
    for i in 0..n {
        if i > 0 {
            failed.push(',');
        }
        let (start, end) = (i * 100, (i + 1) * 100);
        let _ = write!(
            failed,
            r#"{{"name":"process_batch_{:03}","batch_id":"{:03}","start_cursor":{start},"end_cursor":{end},"reason":"success is false","checkpoint_cursor":{},"processed_count":50}}"#,
            i + 1,
            i + 1,
            start + 50
        );
    }
    failed.push(']');
    format!(
        r#"{{"batchable_step_name":"analyze","worker_template_name":"process_batch","convergence_step_names":["aggregate"],"cursor_configs":{},"failed_batches":{failed},"pieces":2}}"#,
        configs(n)
    )
}

fn redrive_many_pieces(n: usize) -> String {
    format!(
        r#"{{"batchable_step_name":"analyze","worker_template_name":"process_batch","convergence_step_names":["aggregate"],"cursor_configs":[{{"batch_id":"001","start_cursor":0,"end_cursor":{end},"batch_size":{end}}}],"failed_batches":[{{"name":"process_batch_001","batch_id":"001","start_cursor":0,"end_cursor":{end},"reason":"success is false"}}],"pieces":{n}}}"#,
        end = n * 100
    )
}
