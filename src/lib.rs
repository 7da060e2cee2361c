//! # tasker-batch
//!
//! The batch-processing contract of a workflow orchestrator, implemented once in Rust and
//! reached from C (and so from any language) and from Ruby.
//!
//! A batchable step splits its dataset into cursor ranges ([`outcome::BatchProcessingOutcome`]),
//! the orchestrator expands the outcome into worker steps ([`expansion`]), each worker reads its
//! range ([`worker_context`]) and checkpoints its progress ([`checkpoint`]), and a convergence
//! step aggregates the results ([`scenario`], [`aggregation`], [`convergence`]).
//!
//! Every front end (the C ABI in [`capi`], the `tasker-batch` command, the Ruby extension)
//! calls the same [`operations`] table: `name -> fn(input JSON) -> Result<output JSON, Error>`.
//!
//! ```
//! let envelope = tasker_batch::operations::call_envelope(
//!     "partition",
//!     r#"{"strategy":"integer_by_count","total_items":1000,"worker_count":3}"#,
//! );
//! assert!(envelope.starts_with(r#"{"ok":true,"value":[{"batch_id":"001","start_cursor":0,"end_cursor":334"#));
//! ```

#![warn(missing_docs)]

pub mod aggregation;
pub mod capi;
pub mod checkpoint;
pub mod convergence;
pub mod cursor;
pub mod cursor_config;
pub mod error;
pub mod expansion;
pub mod input;
pub mod operations;
pub mod outcome;
pub mod partition;
pub mod path;
pub mod redrive;
pub mod scenario;
pub mod step_results;
pub mod validation;
pub mod worker_context;
pub mod worker_inputs;

pub use error::{Error, ErrorCode, Result, Warning, WarningCode};
pub use input::MAX_NESTING;
