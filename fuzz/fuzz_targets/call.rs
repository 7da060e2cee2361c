//! Fuzz target over the C ABI: the bytes are `op` and `input` separated by the first newline,
//! sent to `tasker_batch_call` as a C caller would (each ends at its first NUL byte). Seeds:
//! every conformance vector (written by `rake test:fuzz`); dictionary: fuzz/tasker_batch.dict.
#![no_main]

use libfuzzer_sys::{fuzz_target, Corpus};
use tasker_batch_fuzz::check::{call_and_check, Checked};

fuzz_target!(|data: &[u8]| -> Corpus {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (op, input) = data.split_at(split);
    let input = input.get(1..).unwrap_or_default();
    match call_and_check(op, input) {
        Checked::Whole => Corpus::Keep,
        // Huge outputs: checked by their frame only, and kept out of the corpus.
        Checked::FrameOnly => Corpus::Reject,
    }
});
