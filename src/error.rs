//! One error type and one warning type for the whole contract.
//!
//! Every failure carries a stable machine [`ErrorCode`], the JSON path of the offending value
//! (`cursor_configs[2].batch_size`; the empty string is the input itself) and a message that
//! names what was expected and what was found. Things that are suspicious but legal are
//! [`Warning`]s, returned beside the value instead of failing the call.

use std::fmt;

use serde::Serialize;

use crate::path::JsonPath;

macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every code, in declaration order (used by the docs and the tests).
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable snake_case spelling used on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The code with this wire spelling, if there is one.
            pub fn from_wire(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

codes! {
    /// Why a call failed. The spelling of each code is part of the stable API.
    ErrorCode {
        // --- the call itself -------------------------------------------------------------
        /// A required argument was NULL (C ABI).
        NullArgument => "null_argument",
        /// The input text itself was not valid UTF-8 (a C argument, the CLI's input, the text
        /// a host language passes as JSON).
        InvalidUtf8 => "invalid_utf8",
        /// The input is not well-formed JSON.
        InvalidJson => "invalid_json",
        /// The input nests arrays/objects deeper than the parser allows.
        NestingTooDeep => "nesting_too_deep",
        /// The input is larger than [`crate::input::MAX_INPUT_BYTES`].
        InputTooLarge => "input_too_large",
        /// No operation has this name.
        UnknownOperation => "unknown_operation",
        /// A bug: a panic or an impossible state, caught at the boundary.
        Internal => "internal_error",

        // --- shape of the input --------------------------------------------------------
        /// A required key is absent.
        MissingField => "missing_field",
        /// A value has the wrong JSON type (string where an integer belongs, ...).
        TypeMismatch => "type_mismatch",
        /// A number does not fit its range (negative count, `batch_size` above u32, a fraction).
        OutOfRange => "out_of_range",
        /// A value of the right type that is not one of the accepted values.
        InvalidValue => "invalid_value",
        /// A string that must not be empty is empty.
        EmptyString => "empty_string",
        /// A string the core must read as text holds an escape that is not Unicode text (a lone
        /// UTF-16 surrogate such as `"\ud800"`).
        InvalidString => "invalid_string",
        /// A host language's string value that cannot be converted to UTF-8 exactly (a Ruby
        /// String whose bytes are not valid in its encoding, or binary bytes that are not
        /// UTF-8), at its path.
        InvalidEncoding => "invalid_encoding",

        // --- outcomes and cursors --------------------------------------------------------
        /// `create_batches` without cursor configs (`no_batches` says "zero").
        NoCursorConfigs => "no_cursor_configs",
        /// `worker_count` differs from the number of cursor configs.
        WorkerCountMismatch => "worker_count_mismatch",
        /// Two cursor configs share a `batch_id`.
        DuplicateBatchId => "duplicate_batch_id",
        /// The two ends of a range, or the ranges of one outcome, are of different kinds.
        MixedCursorKinds => "mixed_cursor_kinds",
        /// An integer cursor below zero.
        NegativeCursor => "negative_cursor",
        /// A range whose start lies after its end.
        InvalidRange => "invalid_range",
        /// `batch_size` differs from `end_cursor - start_cursor` of an integer range.
        BatchSizeMismatch => "batch_size_mismatch",
        /// Two ranges of one outcome share keys.
        OverlappingRanges => "overlapping_ranges",
        /// A string cursor that looks like a UUID or timestamp but is not a valid one.
        InvalidCursor => "invalid_cursor",

        // --- expansion -------------------------------------------------------------------
        /// Two steps of the plan would have the same name.
        DuplicateStepName => "duplicate_step_name",

        // --- worker context and checkpoints ----------------------------------------------
        /// A worker that is not a no-op has no cursor configuration.
        MissingCursor => "missing_cursor",
        /// The worker's cursor has no `batch_id`.
        MissingBatchId => "missing_batch_id",
        /// The worker's cursor has no `start_cursor`.
        MissingStartCursor => "missing_start_cursor",
        /// The worker's cursor has no `end_cursor`.
        MissingEndCursor => "missing_end_cursor",
        /// A checkpoint cursor of another kind than the worker's range.
        CheckpointKindMismatch => "checkpoint_kind_mismatch",
        /// A checkpoint cursor outside `[start_cursor, end_cursor]`.
        CheckpointOutOfRange => "checkpoint_out_of_range",
        /// A checkpoint cursor before the previous checkpoint.
        CheckpointBackwards => "checkpoint_backwards",
        /// `processed_count` lower than the previous checkpoint's.
        ProcessedCountDecreased => "processed_count_decreased",

        // --- convergence -----------------------------------------------------------------
        /// The batchable step is not among the dependency results.
        MissingBatchableStep => "missing_batchable_step",
        /// The batchable step's result holds no `batch_processing_outcome`.
        MissingOutcome => "missing_outcome",
        /// `create_batches` but no worker results to converge.
        NoWorkerResults => "no_worker_results",
        /// An arithmetic result (a sum of counters) does not fit.
        Overflow => "overflow",
    }
}

codes! {
    /// Why a value is suspicious but legal.
    WarningCode {
        /// A range with no keys in it (`start == end`).
        ZeroLengthRange => "zero_length_range",
        /// Keys between two ranges of one outcome that no range covers.
        RangeGap => "range_gap",
        /// The `batch_size`s do not add up to `total_items`.
        TotalItemsMismatch => "total_items_mismatch",
        /// An accepted but non-canonical spelling (`"ContinueOnFailure"`).
        NonCanonicalSpelling => "non_canonical_spelling",
        /// A key that is accepted for compatibility and has no effect (`checkpoint_interval`).
        IgnoredField => "ignored_field",
        /// Two checkpoints (results keys and the `checkpoint` field) disagree.
        ConflictingCheckpoints => "conflicting_checkpoints",
        /// A worker's cursor has no `batch_size`: read as `end - start` for integer cursors,
        /// `null` otherwise.
        MissingBatchSize => "missing_batch_size",
        /// A checkpoint cursor of another kind than the range: an opaque token (a page token),
        /// carried exactly; its order and range cannot be checked.
        OpaqueCheckpoint => "opaque_checkpoint",
        /// A stored checkpoint cursor outside `[start_cursor, end_cursor]`, read as stored.
        CheckpointOutOfRange => "checkpoint_out_of_range",
        /// A dependency result was null and was skipped.
        NullResult => "null_result",
        /// A dependency named like a worker that matches no cursor config of the outcome.
        UnexpectedWorker => "unexpected_worker",
        /// The batchable step's result holds no `batch_processing_outcome`: detection went by
        /// the workers' names.
        MissingOutcome => "missing_outcome",
        /// The batchable step's outcome is not complete or not valid: detection went by its
        /// `type`, or the workers' names.
        IncompleteOutcome => "incomplete_outcome",
        /// A failed range whose checkpoint is at its end (or that holds no keys): redrive
        /// makes no child for it.
        NothingToRedrive => "nothing_to_redrive",
    }
}

/// A failed call: what went wrong, where, and what was expected instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Error {
    /// Stable machine code.
    pub code: ErrorCode,
    /// Human message naming the expected and the actual value.
    pub message: String,
    /// JSON path of the offending value inside the input (`""` is the input itself).
    pub path: String,
}

impl Error {
    /// An error at `path`.
    pub fn new(code: ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            code,
            path: path.into(),
            message: message.into(),
        }
    }

    /// An error at a [`JsonPath`].
    pub fn at(code: ErrorCode, path: &JsonPath, message: impl Into<String>) -> Self {
        Error::new(code, path.to_string(), message)
    }

    /// The same error, moved below `prefix` (an op's input nested one level deeper).
    pub fn under(mut self, prefix: &JsonPath) -> Self {
        self.path = prefix.join_str(&self.path);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.code, self.message)
        } else {
            write!(f, "{} at {}: {}", self.code, self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// A suspicious but legal input, reported beside the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable machine code.
    pub code: WarningCode,
    /// Human message.
    pub message: String,
    /// JSON path of the value the warning is about.
    pub path: String,
}

impl Warning {
    /// A warning at a [`JsonPath`].
    pub fn at(code: WarningCode, path: &JsonPath, message: impl Into<String>) -> Self {
        Warning {
            code,
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The same warning, moved below `prefix` (a value read one level deeper).
    pub fn under(mut self, prefix: &JsonPath) -> Self {
        self.path = prefix.join_str(&self.path);
        self
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_wire_spelling() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(*code));
        }
        for code in WarningCode::ALL {
            assert_eq!(WarningCode::from_wire(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn display_names_code_path_and_message() {
        let err = Error::new(
            ErrorCode::OutOfRange,
            "cursor_configs[2].batch_size",
            "too big",
        );
        assert_eq!(
            err.to_string(),
            "out_of_range at cursor_configs[2].batch_size: too big"
        );
    }
}
