//! Structure-aware fuzz target: a conformance vector's input, sent to its operation or another
//! after typed mutations (big integers, lone surrogates, deep nesting, values of another kind,
//! dropped, duplicated and inserted keys...). The byte layout is `tasker_batch_fuzz::run_mutated`'s.
#![no_main]

use libfuzzer_sys::{fuzz_target, Corpus};
use tasker_batch_fuzz::check::Checked;

fuzz_target!(|data: &[u8]| -> Corpus {
    match tasker_batch_fuzz::run_mutated(data) {
        Checked::Whole => Corpus::Keep,
        // Too long to send, or a huge output checked by its frame only: not kept.
        Checked::FrameOnly => Corpus::Reject,
    }
});
