//! Every operation of the table on the worst shapes of its input (`common/shapes.rs`: many
//! unknown keys, long arrays, deep-but-legal nesting, long strings, many errors, warnings,
//! workers, reducers, boundaries, pieces) at about 10 KB, 100 KB and 1 MB, through
//! `operations::call_envelope` (JSON in, envelope out).
//!
//! Target (issue 9, item 1): linear time whatever the shape, that is the time per byte (input
//! plus output) flat within 2x from 10 KB to 1 MB. The baseline of each ratio is the same
//! operation on the same shape in the same run: the summary prints, per shape, the time per byte at each size and max / min over the three sizes.
//!
//! ```sh
//! cargo bench --bench worst_shape            # every shape
//! cargo bench --bench worst_shape -- aggregate   # the shapes whose op or name contains it
//! ```
//!
//! Each figure is the fastest of at least 5 calls and at least 0.3 s of calls, after one call
//! to warm up (on a shared machine the fastest call is the least disturbed one). A plain binary (not criterion): 156 measurements would take criterion half an
//! hour.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::shapes::{bytes_of, input_of_size, SHAPES};
use tasker_batch::operations::call_envelope;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// The sizes to measure: [`SIZES`], or `TASKER_BATCH_WORST_SIZES=1000000,2000000,4000000` to
/// look further (three sizes, in bytes).
fn sizes() -> [usize; 3] {
    let Ok(list) = std::env::var("TASKER_BATCH_WORST_SIZES") else {
        return SIZES;
    };
    let parsed: Vec<usize> = list
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    parsed.try_into().unwrap_or(SIZES)
}
const TARGET: f64 = 2.0;

fn fastest_ns_per_byte(op: &str, input: &str, bytes: usize) -> f64 {
    black_box(call_envelope(op, input));
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || start.elapsed() < Duration::from_millis(300) {
        let call = Instant::now();
        black_box(call_envelope(op, black_box(input)));
        times.push(call.elapsed());
    }
    // The fastest call, not the median: the machine is shared, and another process's burst
    // slows a call down but never speeds one up, so the fastest is the operation's own time.
    times
        .iter()
        .min()
        .map_or(0.0, |t| t.as_nanos() as f64 / bytes as f64)
}

fn ratio(per_byte: &[f64]) -> f64 {
    let max = per_byte.iter().cloned().fold(f64::MIN, f64::max);
    let min = per_byte.iter().cloned().fold(f64::MAX, f64::min);
    max / min
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters the shapes.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let shapes: Vec<_> = SHAPES
        .iter()
        .filter(|shape| {
            let name = format!("{} {}", shape.op, shape.name);
            filter.iter().all(|f| name.contains(f.as_str()))
        })
        .map(|shape| {
            let inputs: Vec<(String, usize)> = sizes()
                .iter()
                .map(|&size| {
                    let input = input_of_size(shape, size);
                    let envelope = call_envelope(shape.op, &input);
                    assert_eq!(
                        envelope.starts_with(r#"{"ok":true"#),
                        shape.ok,
                        "{} {}",
                        shape.op,
                        shape.name
                    );
                    let bytes = bytes_of(shape, &input);
                    (input, bytes)
                })
                .collect();
            (shape, inputs)
        })
        .collect();
    let measure = || -> Vec<Vec<f64>> {
        shapes
            .iter()
            .map(|(shape, inputs)| {
                inputs
                    .iter()
                    .map(|(input, bytes)| fastest_ns_per_byte(shape.op, input, *bytes))
                    .collect()
            })
            .collect()
    };
    let default = measure();
    common::keep_heap_warm();
    let warm = measure();

    println!(
        "{:<24} {:<26} {:>9} {:>9} {:>9} {:>8} | {:>9} {:>9} {:>9} {:>8}",
        "operation",
        "shape",
        "10KB",
        "100KB",
        "1MB",
        "max/min",
        "warm 10KB",
        "100KB",
        "1MB",
        "max/min"
    );
    let (mut worst, mut worst_warm) = (0f64, 0f64);
    let mut missed = Vec::new();
    for (((shape, _), d), w) in shapes.iter().zip(&default).zip(&warm) {
        let (rd, rw) = (ratio(d), ratio(w));
        worst = worst.max(rd);
        worst_warm = worst_warm.max(rw);
        if rw > TARGET {
            missed.push(format!("{} {} ({rw:.2})", shape.op, shape.name));
        }
        println!(
            "{:<24} {:<26} {:>9.2} {:>9.2} {:>9.2} {:>8.2} | {:>9.2} {:>9.2} {:>9.2} {:>8.2}",
            shape.op, shape.name, d[0], d[1], d[2], rd, w[0], w[1], w[2], rw
        );
    }
    println!("== summary == (ns per byte of input plus output; max/min over 10 KB, 100 KB, 1 MB)");
    println!("worst max/min, glibc defaults: {worst:.2}; heap kept warm: {worst_warm:.2} (target <= {TARGET})");
    if missed.is_empty() {
        println!("every shape met the target with the heap kept warm");
    } else {
        println!("missed with the heap kept warm: {}", missed.join(", "));
    }
}
