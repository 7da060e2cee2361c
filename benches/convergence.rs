//! The convergence step's operations on 10,000 worker results, through `operations::call`
//! (JSON in, JSON out): `detect_scenario`, `aggregate` (options first, as the Ruby gem sends
//! them, with a `sum` reducer), `aggregate_plain` (the same results, no options: what the
//! Python and Node benches send) and `converge` (coverage checked), against serde_json parsing
//! the same text into a `serde_json::Value`.
//!
//! No target of its own: it guards the reader of step results, which every one of these
//! operations goes through, against regressions (same-run ratios, compared between runs).
//!
//! ```sh
//! cargo bench --bench convergence
//! CONVERGENCE_BENCH_CALLS=aggregate:3 valgrind --tool=callgrind target/release/deps/convergence-…
//! ```

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{outcome_text, Summary};
use criterion::{Criterion, SamplingMode};

const WORKERS: usize = 10_000;
const GROUP: &str = "convergence_10k";

/// `{"analyze": {"batch_processing_outcome": ...}, "process_batch_001": {...}, ...}`: worker
/// results with the four counters, a status, a caller key, and an error entry every tenth.
fn dependency_results() -> String {
    let mut text = format!(
        r#"{{"analyze":{{"batch_processing_outcome":{}}}"#,
        outcome_text(WORKERS)
    );
    for i in 0..WORKERS {
        let errors = if i % 10 == 0 {
            format!(r#","errors":[{{"id":{i},"error":"bad row"}}]"#)
        } else {
            String::new()
        };
        text.push_str(&format!(
            r#","process_batch_{:03}":{{"result":{{"items_processed":100,"items_succeeded":99,"items_failed":1,"items_skipped":0,"status":"completed","amount":{i}{errors}}}}}"#,
            i + 1
        ));
    }
    text.push('}');
    text
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut summary = Summary::start();

    let results = dependency_results();
    let detect = format!(
        r#"{{"dependency_results":{results},"batchable_step_name":"analyze","worker_prefix":"process_batch_"}}"#
    );
    let converge = format!(
        r#"{{"max_errors":100,"reducers":{{"amount":"sum"}},"dependency_results":{results},"batchable_step_name":"analyze","worker_prefix":"process_batch_"}}"#
    );
    let workers = &results[results.find(r#","process_batch_"#).unwrap() + 1..];
    let aggregate = format!(
        r#"{{"max_errors":100,"reducers":{{"amount":"sum"}},"batch_results":{{{workers}}}"#
    );
    let aggregate_plain = format!(r#"{{"batch_results":{{{workers}}}"#);
    // (label, operation, input)
    let inputs = [
        ("detect_scenario", "detect_scenario", &detect),
        ("aggregate", "aggregate", &aggregate),
        ("aggregate_plain", "aggregate", &aggregate_plain),
        ("converge", "converge", &converge),
    ];
    for (_, op, input) in inputs {
        common::assert_ok(op, input);
    }
    // `CONVERGENCE_BENCH_CALLS=op:n` calls `op` n times and stops, for counting instructions
    // under `valgrind --tool=callgrind`, which a loaded machine does not disturb (the count of
    // n = 3 less that of n = 1 is two calls).
    if let Ok(spec) = std::env::var("CONVERGENCE_BENCH_CALLS") {
        let (name, n) = spec.split_once(':').expect("op:n");
        let (_, op, input) = inputs
            .iter()
            .find(|(label, _, _)| *label == name)
            .expect("an op");
        for _ in 0..n.parse::<usize>().expect("a count") {
            black_box(tasker_batch::operations::call(op, black_box(input)).unwrap());
        }
        return;
    }

    let mut group = criterion.benchmark_group(GROUP);
    group.sampling_mode(SamplingMode::Flat);
    for (label, op, input) in inputs {
        group.bench_function(format!("{label}_value_baseline"), |b| {
            b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(input)).unwrap())
        });
        group.bench_function(label, |b| {
            b.iter(|| tasker_batch::operations::call(op, black_box(input)).unwrap())
        });
    }
    group.finish();
    criterion.final_summary();

    for (label, _, input) in inputs {
        summary.line(format!("{label}: {} bytes of input", input.len()));
        summary.ratio(
            label,
            GROUP,
            label,
            &format!("{label}_value_baseline"),
            f64::INFINITY,
        );
    }
    summary.print();
}
