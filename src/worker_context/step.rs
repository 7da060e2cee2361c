//! Reading a worker step as the host passes it: `{inputs, results, checkpoint}`, other keys
//! (a whole step record's name, state, ...) skipped.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::CHECKPOINT_KEYS;
use crate::cursor::Cursor;
use crate::input::{read_object, strict, Extra, ObjectOnly, OtherKeys, RawJson};
use crate::worker_inputs::WorkerInputsRead;

/// A worker step's data as the host passes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepData {
    /// `inputs` (the worker's `BatchWorkerInputs`); `None` when absent or null.
    pub inputs: Option<WorkerInputsRead>,
    /// `results`, an object; empty when absent or null.
    pub results: Extra,
    /// The newer upstream `checkpoint` field, when present.
    pub checkpoint: Option<CheckpointField>,
}

/// The newer upstream shape `{cursor, items_processed, accumulated_results}`; other keys are
/// skipped, and `null` is the same as absent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    expecting = "a checkpoint object {cursor, items_processed, accumulated_results}"
)]
pub struct CheckpointField {
    /// Next key to process.
    #[serde(default)]
    pub cursor: Option<Cursor>,
    /// Items processed so far.
    #[serde(default, deserialize_with = "strict::optional_u64")]
    pub items_processed: Option<u64>,
    /// Worker-defined running results.
    #[serde(default)]
    pub accumulated_results: Option<RawJson>,
}

impl<'de> Deserialize<'de> for CheckpointField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CheckpointField::deserialize(ObjectOnly(deserializer))
    }
}

impl<'de> Deserialize<'de> for StepData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        StepFields::<Extra>::deserialize(ObjectOnly(deserializer)).map(StepData::from)
    }
}

/// Step data for reading a worker's context: of the results, only the checkpoint keys are
/// read; the rest (a worker's results can be large) is skipped, not copied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkerStep(pub StepData);

impl<'de> Deserialize<'de> for WorkerStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = StepFields::<CheckpointKeys>::deserialize(ObjectOnly(deserializer))?;
        Ok(WorkerStep(StepData::from(fields)))
    }
}

/// The checkpoint keys of a results object, the others skipped.
struct CheckpointKeys(Extra);

impl From<CheckpointKeys> for Extra {
    fn from(keys: CheckpointKeys) -> Extra {
        keys.0
    }
}

impl<'de> Deserialize<'de> for CheckpointKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CheckpointKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a results object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CheckpointKeys, A::Error> {
                let mut out = Extra::default();
                let other = OtherKeys::KeepOnly(&mut out, &CHECKPOINT_KEYS);
                read_object(&mut map, other, |_, _| Ok(false))?;
                Ok(CheckpointKeys(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// `{inputs, results, checkpoint}` as read; `R` decides how much of the results is kept. Hosts
/// pass whole step records (name, state, ...): the other keys are skipped.
#[derive(Deserialize)]
#[serde(
    remote = "Self",
    bound = "R: Deserialize<'de>",
    expecting = "a workflow step object {inputs, results, checkpoint}"
)]
struct StepFields<R> {
    #[serde(default)]
    inputs: Option<WorkerInputsRead>,
    #[serde(default = "Option::default")]
    results: Option<R>,
    #[serde(default)]
    checkpoint: Option<CheckpointField>,
}

impl<R: Into<Extra>> From<StepFields<R>> for StepData {
    fn from(fields: StepFields<R>) -> StepData {
        StepData {
            inputs: fields.inputs,
            results: fields.results.map(Into::into).unwrap_or_default(),
            checkpoint: fields.checkpoint,
        }
    }
}
