//! Structure-aware fuzz target: a conformance vector's input, sent to its operation or another
//! after typed mutations (big integers, lone surrogates, deep nesting, values of another kind,
//! dropped, duplicated and inserted keys...). The byte layout is `tasker_batch_fuzz::run_mutated`'s.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tasker_batch_fuzz::run_mutated(data));
