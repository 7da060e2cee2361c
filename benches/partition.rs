//! `partition` into N integer ranges (`integer_by_count`, `total_items = 10 * N`) for N from
//! 1,000 to 1,000,000: the time per cursor config must stay flat (max / min at most 1.5).
//!
//! Measured through `operations::call` (JSON in, JSON out: what every front end runs) and
//! through the typed `partition::integer_by_count` (the configs alone, no JSON).
//!
//! At 1M the operation's output is an 80 MB string. glibc serves blocks above its mmap
//! threshold (at most 32 MB) with fresh pages on every call, and the page faults cost about as
//! much as writing the configs; smaller outputs reuse the heap. So the operation is measured
//! twice: with glibc's defaults, and again with the threshold raised above 80 MB
//! (`operations_call_warm_heap`), where every size reuses the heap and the time per config
//! shows the operation's own cost.
//!
//! ```sh
//! cargo bench --bench partition
//! ```

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::Summary;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

const GROUP: &str = "partition_integer_by_count";
const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];
const TARGET: f64 = 1.5;

fn request_text(configs: usize) -> String {
    format!(
        r#"{{"strategy":"integer_by_count","total_items":{},"worker_count":{configs}}}"#,
        configs * 10
    )
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let mut summary = Summary::start();

    let mut group = criterion.benchmark_group(GROUP);
    for n in SIZES {
        let text = request_text(n);
        common::assert_ok("partition", &text);
        let total_items = n as u64 * 10;
        let workers = n as u32;
        group.throughput(Throughput::Elements(n as u64));
        if n >= 100_000 {
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .measurement_time(Duration::from_secs(5));
        } else {
            group
                .sampling_mode(SamplingMode::Auto)
                .sample_size(30)
                .measurement_time(Duration::from_secs(3));
        }
        group.bench_function(BenchmarkId::new("operations_call", n), |b| {
            b.iter(|| tasker_batch::operations::call("partition", black_box(&text)).unwrap())
        });
        group.bench_function(BenchmarkId::new("integer_by_count", n), |b| {
            b.iter(|| {
                tasker_batch::partition::integer_by_count(black_box(total_items), workers, 0)
                    .unwrap()
            })
        });
    }
    common::keep_heap_warm();
    for n in SIZES {
        let text = request_text(n);
        group.throughput(Throughput::Elements(n as u64));
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .measurement_time(Duration::from_secs(if n >= 100_000 { 5 } else { 3 }));
        group.bench_function(BenchmarkId::new("operations_call_warm_heap", n), |b| {
            b.iter(|| tasker_batch::operations::call("partition", black_box(&text)).unwrap())
        });
        let (total_items, workers) = (n as u64 * 10, n as u32);
        group.bench_function(BenchmarkId::new("integer_by_count_warm_heap", n), |b| {
            b.iter(|| {
                tasker_batch::partition::integer_by_count(black_box(total_items), workers, 0)
                    .unwrap()
            })
        });
    }
    group.finish();
    criterion.final_summary();

    for path in [
        "operations_call",
        "operations_call_warm_heap",
        "integer_by_count",
        "integer_by_count_warm_heap",
    ] {
        let per_config: Vec<(usize, f64)> = SIZES
            .iter()
            .filter_map(|&n| {
                let median = summary.median_ns(GROUP, &format!("{path}/{n}"))?;
                Some((n, median / n as f64))
            })
            .collect();
        if per_config.len() < 2 {
            continue;
        }
        let cells: Vec<String> = per_config
            .iter()
            .map(|(n, ns)| format!("N={n}: {ns:.0} ns"))
            .collect();
        let min = per_config.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let max = per_config.iter().map(|p| p.1).fold(0.0, f64::max);
        summary.line(format!(
            "partition {path}, time per config: {}; max/min = {:.2} (target <= {TARGET}: {})",
            cells.join(", "),
            max / min,
            if max / min <= TARGET { "met" } else { "MISSED" }
        ));
    }
    summary.print();
}
