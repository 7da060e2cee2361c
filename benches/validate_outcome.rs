//! `validate_outcome` through the C ABI on an outcome of 100,000 integer cursor configs,
//! against serde_json parsing the same text into a `serde_json::Value`.
//!
//! Target: at most 1.2x the baseline's time, and a peak of at most 3x the input's size. The
//! C ABI call frees everything it allocates, so the fair baseline drops its `Value` too
//! (`serde_json_value`); `serde_json_value_without_drop` times the parse alone, the stricter
//! comparison.
//!
//! ```sh
//! cargo bench --bench validate_outcome
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
const GROUP: &str = "validate_outcome_100k";

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let mut summary = Summary::start();

    let text = outcome_text(WORKERS);
    let envelope = common::assert_ok("validate_outcome", &text);
    let op = c"validate_outcome";
    let input = c_string(&text);

    let mut group = criterion.benchmark_group(GROUP);
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Bytes(text.len() as u64));
    let parse = || serde_json::from_str::<serde_json::Value>(black_box(&text)).unwrap();
    group.bench_function("serde_json_value", |b| b.iter(parse));
    group.bench_function("serde_json_value_without_drop", |b| {
        b.iter_custom(|iters| time_without_drop(iters, parse))
    });
    group.bench_function("c_abi", |b| b.iter(|| c_abi_call(op, black_box(&input))));
    group.finish();
    criterion.final_summary();

    let peak = peak_bytes_during(|| {
        black_box(c_abi_call(op, &input));
    });
    let value_peak = peak_bytes_during(|| {
        black_box(serde_json::from_str::<serde_json::Value>(&text).unwrap());
    });
    summary.line(format!(
        "input: {WORKERS} cursor configs, {} bytes; envelope {} bytes",
        text.len(),
        envelope.len()
    ));
    for baseline in ["serde_json_value", "serde_json_value_without_drop"] {
        summary.ratio("validate_outcome time", GROUP, "c_abi", baseline, 1.2);
    }
    let ratio = peak as f64 / text.len() as f64;
    summary.line(format!(
        "validate_outcome peak memory: {peak} bytes = {ratio:.2}x the input (target <= 3x: {}); \
         serde_json::Value alone: {value_peak} bytes = {:.2}x",
        if ratio <= 3.0 { "met" } else { "MISSED" },
        value_peak as f64 / text.len() as f64
    ));
    summary.print();
}
