//! Reading a step's result: the one unwrapping rule, the one-pass reader, and what callers ask.
//!
//! Results reach convergence in several shapes: a step result may wrap everything in
//! `{"result": {...}}`, and upstream TypeScript workers nest their counters under
//! `{"batch_worker_outcome": {...}}`. Every reader in this crate — detection, the aggregation,
//! convergence's failure check — reads results the same way: it names the fields it looks for,
//! and
//!
//! 1. if the object has none of those fields at its top level (a field that is `null` counts
//!    as absent) and has a key `"result"` whose value is an object, the reader reads that
//!    inner object instead;
//! 2. worker readers then do the same with `"batch_worker_outcome"`.
//!
//! Each wrapper is unwrapped at most once, in that order, so `{"result":
//! {"batch_worker_outcome": {...}}}` is read too. Paths in errors include the wrappers
//! (`dependency_results.w_001.result.items_processed`), so they always name one value.
//! Because each reader has its own fields, one result can be read at two levels: in
//! `{"success": false, "result": {"items_processed": 5}}` the failure reader sees `success`
//! at the top and the counter reader unwraps to find `items_processed`.
//!
//! The parts, each in its own file:
//!
//! - `rule`: the unwrapping rule, once (which object a reader reads);
//! - `reader`: the one-pass reader: results are read in the pass that parses the request
//!   (or, for a result kept as text, from that text: `StepResults::one`), straight into the
//!   fields the operations look at; no result is copied as a whole or parsed twice;
//! - `store`: the compact form they are kept in;
//! - `query`: what callers ask of a result (`read`, then its counters, `errors`, `success`,
//!   `status`, the outcome, a reducer's field), each answer typed or the error it is;
//! - `names`: step names given twice, one check for every list of names.
//!
//! A problem in a result is reported only when a reader reads that field, in the order it
//! reads them, as if the result had been kept and read on its own.

mod fields;
mod names;
mod query;
mod reader;
mod rule;
mod store;

pub(crate) use fields::{Fields, NO_FIELDS};
pub(crate) use names::UniqueNames;
pub(crate) use query::{type_mismatch, StatusSays};
pub(crate) use reader::{ReadPlan, ResultsSeed};
pub(crate) use rule::Looking;
pub use store::StepResults;
