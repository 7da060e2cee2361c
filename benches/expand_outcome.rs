//! `expand_outcome` for 100,000 workers, against serde_json parsing the same input into a
//! `serde_json::Value` and writing the plan's `Value` back out (the least any JSON-in,
//! JSON-out implementation does).
//!
//! Target: at most 1.5x the baseline's time. Measured through the C ABI (the path every
//! language but Rust takes) and through `operations::call` (the operation alone, without the
//! envelope and the C string copies). As in `validate_outcome`, the baseline is timed with
//! and without freeing what it made.
//!
//! ```sh
//! cargo bench --bench expand_outcome
//! ```

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{
    c_abi_call, c_string, outcome_text, peak_bytes_during, time_without_drop, CountingAllocator,
    Summary,
};
use criterion::{Criterion, SamplingMode, Throughput};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WORKERS: usize = 100_000;
const GROUP: &str = "expand_outcome_100k";

/// An expansion request: one convergence step, an initialization key and batch metadata.
fn request_text(workers: usize) -> String {
    format!(
        r#"{{"batchable_step_name":"analyze_csv","outcome":{},"convergence_step_names":["aggregate_results"],"initialization":{{"source":"products.csv"}},"batch_metadata":{{"cursor_field":"row","failure_strategy":"continue_on_failure"}}}}"#,
        outcome_text(workers)
    )
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .configure_from_args();
    let mut summary = Summary::start();

    let text = request_text(WORKERS);
    common::assert_ok("expand_outcome", &text);
    let plan_text = tasker_batch::operations::call("expand_outcome", &text)
        .expect("the request expands")
        .value;
    let plan: serde_json::Value = serde_json::from_str(&plan_text).expect("the plan is JSON");
    let op = c"expand_outcome";
    let input = c_string(&text);

    let mut group = criterion.benchmark_group(GROUP);
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(WORKERS as u64));
    let baseline = || {
        let parsed = serde_json::from_str::<serde_json::Value>(black_box(&text)).unwrap();
        let written = serde_json::to_string(black_box(&plan)).unwrap();
        (parsed, written)
    };
    group.bench_function("serde_json_value", |b| b.iter(baseline));
    group.bench_function("serde_json_value_without_drop", |b| {
        b.iter_custom(|iters| time_without_drop(iters, baseline))
    });
    group.bench_function("c_abi", |b| b.iter(|| c_abi_call(op, black_box(&input))));
    group.bench_function("operations_call", |b| {
        b.iter(|| tasker_batch::operations::call("expand_outcome", black_box(&text)).unwrap())
    });
    group.finish();
    criterion.final_summary();

    let peak = peak_bytes_during(|| {
        black_box(c_abi_call(op, &input));
    });
    summary.line(format!(
        "input: {WORKERS} workers, {} bytes; plan {} bytes",
        text.len(),
        plan_text.len()
    ));
    for subject in ["c_abi", "operations_call"] {
        for baseline in ["serde_json_value", "serde_json_value_without_drop"] {
            summary.ratio("expand_outcome time", GROUP, subject, baseline, 1.5);
        }
    }
    summary.line(format!(
        "expand_outcome peak memory (C ABI): {peak} bytes = {:.2}x the input, {:.2}x the plan",
        peak as f64 / text.len() as f64,
        peak as f64 / plan_text.len() as f64
    ));
    summary.print();
}
