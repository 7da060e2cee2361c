//! tasker-batch's fuzz targets share this crate (docs/fuzzing.md): [`check`] holds what every
//! call must satisfy, [`tree`] and [`mutation`] the structure-aware target's edits, and
//! [`vectors`] the conformance vectors and the dictionary they start from.

pub mod check;
pub mod mutation;
pub mod tree;
pub mod vectors;

use arbitrary::{Arbitrary, Unstructured};

/// At most this many mutations per input.
pub const MAX_MUTATIONS: usize = 16;

/// Mutated inputs longer than this are not sent: the core's time on large inputs is the
/// worst-shape benchmark's to measure; here it would only slow every other input down.
pub const MAX_TEXT: usize = 256 * 1024;

/// The structure-aware target's input, decoded from the fuzzer's bytes:
///
/// - bytes 0 and 1: the vector (little-endian, modulo the number of vectors);
/// - byte 2: the operation: 0 is the vector's own, `k` is operation `k - 1` of the table
///   (modulo its length), so one vector's input reaches every operation;
/// - the rest: up to [`MAX_MUTATIONS`] mutations, read by `arbitrary`.
///
/// Three bytes `[i, 0, 0]` are vector `i` unchanged: the seeds `rake test:fuzz` writes.
/// Answers how much of the call was checked ([`check::Checked`]).
pub fn run_mutated(data: &[u8]) -> check::Checked {
    let all = vectors::vectors();
    let (head, rest) = data.split_at(data.len().min(3));
    let index = u16::from_le_bytes([
        head.first().copied().unwrap_or(0),
        head.get(1).copied().unwrap_or(0),
    ]);
    let vector = &all[index as usize % all.len()];
    let ops = tasker_batch::operations::OPERATIONS;
    let op = match head.get(2).copied().unwrap_or(0) {
        0 => vector.op.as_str(),
        k => ops[(k as usize - 1) % ops.len()].name,
    };
    let mut u = Unstructured::new(rest);
    let mut mutations = Vec::new();
    while !u.is_empty() && mutations.len() < MAX_MUTATIONS {
        match mutation::Mutation::arbitrary(&mut u) {
            Ok(m) => mutations.push(m),
            Err(_) => break,
        }
    }
    let mut input = vector.input.clone();
    mutation::apply(&mut input, &mutations, vectors::words());
    let mut text = String::new();
    input.write(&mut text);
    if let Some(path) = std::env::var_os("TASKER_FUZZ_SAVE") {
        // What a crash input sends, as an input of the `call` target (`op`, newline, input):
        // TASKER_FUZZ_SAVE=/tmp/case .../mutate fuzz/artifacts/mutate/crash-...
        std::fs::write(path, format!("{op}\n{text}")).expect("TASKER_FUZZ_SAVE is writable");
    }
    if text.len() > MAX_TEXT {
        return check::Checked::FrameOnly;
    }
    check::call_and_check(op.as_bytes(), text.as_bytes())
}
