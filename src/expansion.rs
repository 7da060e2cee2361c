//! Expansion: an outcome becomes a plan of worker steps and edges (docs/contract.md §5).
//!
//! Pure and deterministic: the same request always gives the same plan, and an invalid request
//! gives an error and no plan at all (everything is validated before anything is emitted).
//!
//! - One worker per cursor config, in cursor-config order, named `{worker_template_name}_{batch_id}`.
//! - Its inputs: the template's `initialization` keys, then `cursor`, `batch_metadata` and
//!   `is_no_op: false` overlaid.
//! - Edges `batchable -> worker` named `batch_dependency`, then `worker -> each convergence
//!   step` named `batch_convergence_dependency`.
//! - `no_batches`: one placeholder `{worker_template_name}_000` with the cursor
//!   `{"batch_id":"000","start_cursor":0,"end_cursor":0,"batch_size":0}` and `is_no_op: true`,
//!   with the same edges. A `no_batches` outcome names no template, so the request must.
//!
//! Input:
//! ```json
//! {"batchable_step_name": "analyze_csv",
//!  "outcome": {"type": "create_batches", ...},
//!  "worker_template_name": "process_batch",
//!  "convergence_step_names": ["aggregate_results"],
//!  "initialization": {"source": "products.csv"},
//!  "batch_metadata": {"cursor_field": "row", "failure_strategy": "continue_on_failure"}}
//! ```
//! Output: `{scenario, batchable_step_name, worker_count, workers: [{name, batch_id, inputs}],
//! edges: [{from, to, name}]}`.

use std::collections::HashMap;
use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Deserializer, Serialize};

use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::input::{strict, Extra, ObjectOnly};
use crate::outcome::BatchProcessingOutcome;
use crate::path::JsonPath;
use crate::validation;
use crate::worker_inputs::{BatchMetadata, WorkerInputsRef};

/// Edge name from the batchable step to each worker.
pub const BATCH_DEPENDENCY: &str = "batch_dependency";
/// Edge name from each worker to each convergence step.
pub const BATCH_CONVERGENCE_DEPENDENCY: &str = "batch_convergence_dependency";

/// What the orchestrator asks to expand.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "an expansion request {batchable_step_name, outcome, ...}"
)]
pub struct ExpansionRequest {
    /// The step that produced the outcome.
    #[serde(deserialize_with = "strict::non_empty_string")]
    pub batchable_step_name: String,
    /// The outcome to expand.
    pub outcome: BatchProcessingOutcome,
    /// The worker template; required for `no_batches`, must match the outcome otherwise.
    #[serde(default, deserialize_with = "strict::present_non_empty")]
    pub worker_template_name: Option<String>,
    /// Steps that wait for every worker.
    #[serde(default, deserialize_with = "strict::non_empty_strings")]
    pub convergence_step_names: Vec<String>,
    /// The template's initialization keys, copied into every worker's inputs.
    #[serde(default)]
    pub initialization: Extra,
    /// The template's metadata, copied into every worker's inputs.
    #[serde(default)]
    pub batch_metadata: BatchMetadata,
}

impl<'de> Deserialize<'de> for ExpansionRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ExpansionRequest::deserialize(ObjectOnly(deserializer))
    }
}

/// A validated plan; it serializes to the plan's JSON without copying per worker.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpansionPlan {
    request: ExpansionRequest,
    template: String,
    placeholder: Option<CursorConfig>,
}

/// One planned worker step.
#[derive(Clone, Copy, Debug)]
pub struct PlannedWorker<'a> {
    /// The template name; the step's name is `{template}_{batch_id}`.
    pub template: &'a str,
    /// The worker's inputs.
    pub inputs: WorkerInputsRef<'a>,
}

impl ExpansionPlan {
    /// The cursor configs of the workers, and whether they are the no-op placeholder.
    fn configs(&self) -> (&[CursorConfig], bool) {
        match (&self.request.outcome, &self.placeholder) {
            (_, Some(placeholder)) => (std::slice::from_ref(placeholder), true),
            (BatchProcessingOutcome::CreateBatches(create), None) => {
                (create.cursor_configs.as_slice(), false)
            }
            (BatchProcessingOutcome::NoBatches(_), None) => {
                unreachable!("expand gives every no_batches plan a placeholder")
            }
        }
    }

    /// The planned workers, in cursor-config order.
    pub fn workers(&self) -> impl Iterator<Item = PlannedWorker<'_>> {
        let (configs, is_no_op) = self.configs();
        configs.iter().map(move |cursor| PlannedWorker {
            template: &self.template,
            inputs: WorkerInputsRef {
                cursor,
                batch_metadata: &self.request.batch_metadata,
                is_no_op,
                extra: &self.request.initialization,
            },
        })
    }

    /// Number of worker steps in the plan.
    pub fn worker_count(&self) -> usize {
        self.configs().0.len()
    }

    /// `"no_batches"` or `"with_batches"`.
    pub fn scenario(&self) -> &'static str {
        if self.placeholder.is_some() {
            "no_batches"
        } else {
            "with_batches"
        }
    }
}

/// Validates the request and returns the plan.
pub fn expand(request: ExpansionRequest, warnings: &mut Vec<Warning>) -> Result<ExpansionPlan> {
    let root = JsonPath::root();
    let outcome_at = root.key("outcome");
    validation::check_outcome(&request.outcome, warnings).map_err(|e| e.under(&outcome_at))?;
    request
        .batch_metadata
        .warn(&root.key("batch_metadata"), warnings);

    let (template, placeholder) = match &request.outcome {
        BatchProcessingOutcome::CreateBatches(create) => {
            if let Some(given) = &request.worker_template_name {
                if given != &create.worker_template_name {
                    return Err(Error::at(
                        ErrorCode::InvalidValue,
                        &root.key("worker_template_name"),
                        format!(
                            "expected the outcome's worker_template_name {:?}, found {given:?}",
                            create.worker_template_name
                        ),
                    ));
                }
            }
            (create.worker_template_name.clone(), None)
        }
        BatchProcessingOutcome::NoBatches(_) => {
            let Some(template) = request.worker_template_name.clone() else {
                return Err(Error::at(
                    ErrorCode::MissingField,
                    &root.key("worker_template_name"),
                    "expected the key `worker_template_name` (a no_batches outcome names no template, and its placeholder worker needs one), found no such key",
                ));
            };
            (template, Some(CursorConfig::no_op()))
        }
    };

    let plan = ExpansionPlan {
        request,
        template,
        placeholder,
    };
    check_step_names(&plan)?;
    Ok(plan)
}

/// Worker names are unique (batch ids are); they must not collide with the other steps.
fn check_step_names(plan: &ExpansionPlan) -> Result<()> {
    let root = JsonPath::root();
    let mut others: Vec<(&str, JsonPath)> = vec![(
        &plan.request.batchable_step_name,
        root.key("batchable_step_name"),
    )];
    let names_at = root.key("convergence_step_names");
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, name) in plan.request.convergence_step_names.iter().enumerate() {
        if let Some(first) = seen.insert(name, i) {
            return Err(Error::at(
                ErrorCode::DuplicateStepName,
                &names_at.index(i),
                format!("expected unique convergence step names, found {name:?} also at convergence_step_names[{first}]"),
            ));
        }
        others.push((name, names_at.index(i)));
    }
    if seen.contains_key(plan.request.batchable_step_name.as_str()) {
        return Err(Error::at(
            ErrorCode::DuplicateStepName,
            &root.key("batchable_step_name"),
            "expected the batchable step to differ from the convergence steps, found it among them",
        ));
    }

    let batch_ids: HashMap<&str, usize> = plan
        .workers()
        .enumerate()
        .map(|(i, w)| (w.inputs.cursor.batch_id.as_str(), i))
        .collect();
    for (name, at) in others {
        let suffix = name
            .strip_prefix(plan.template.as_str())
            .and_then(|rest| rest.strip_prefix('_'));
        if let Some(&i) = suffix.and_then(|id| batch_ids.get(id)) {
            return Err(Error::at(
                ErrorCode::DuplicateStepName,
                &at,
                format!("expected a name distinct from every worker step, found {name:?}, the name of worker {i}"),
            ));
        }
    }
    Ok(())
}

impl Serialize for ExpansionPlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("scenario", self.scenario())?;
        map.serialize_entry("batchable_step_name", &self.request.batchable_step_name)?;
        map.serialize_entry("worker_count", &self.worker_count())?;
        map.serialize_entry("workers", &Workers(self))?;
        map.serialize_entry("edges", &Edges(self))?;
        map.end()
    }
}

struct Workers<'a>(&'a ExpansionPlan);

impl Serialize for Workers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.worker_count()))?;
        for worker in self.0.workers() {
            seq.serialize_element(&WorkerEntry(worker))?;
        }
        seq.end()
    }
}

struct WorkerEntry<'a>(PlannedWorker<'a>);

impl Serialize for WorkerEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("name", &self.0.step_name())?;
        map.serialize_entry("batch_id", &self.0.inputs.cursor.batch_id)?;
        map.serialize_entry("inputs", &self.0.inputs)?;
        map.end()
    }
}

/// A worker step's name, `{worker_template_name}_{batch_id}`: the one place that rule is written
/// (expansion and redrive both name their workers with it), written without building the string.
#[derive(Clone, Copy)]
pub(crate) struct WorkerStepName<'a> {
    /// The worker template's name.
    pub template: &'a str,
    /// The worker's batch id.
    pub batch_id: &'a str,
}

impl fmt::Display for WorkerStepName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.template, self.batch_id)
    }
}

impl Serialize for WorkerStepName<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl PlannedWorker<'_> {
    fn step_name(&self) -> WorkerStepName<'_> {
        WorkerStepName {
            template: self.template,
            batch_id: &self.inputs.cursor.batch_id,
        }
    }
}

/// A worker's edges, in order: `batchable -> worker` (`batch_dependency`), then `worker -> each
/// convergence step` (`batch_convergence_dependency`). Shared by expansion and redrive.
pub(crate) fn serialize_worker_edges<Q: SerializeSeq>(
    seq: &mut Q,
    batchable: &str,
    worker: WorkerStepName<'_>,
    convergence_steps: &[String],
) -> Result<(), Q::Error> {
    seq.serialize_element(&Edge {
        from: &batchable as &dyn fmt::Display,
        to: &worker,
        name: BATCH_DEPENDENCY,
    })?;
    for convergence in convergence_steps {
        seq.serialize_element(&Edge {
            from: &worker,
            to: convergence as &dyn fmt::Display,
            name: BATCH_CONVERGENCE_DEPENDENCY,
        })?;
    }
    Ok(())
}

struct Edges<'a>(&'a ExpansionPlan);

impl Serialize for Edges<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let per_worker = 1 + plan.request.convergence_step_names.len();
        let mut seq = serializer.serialize_seq(Some(plan.worker_count() * per_worker))?;
        for worker in plan.workers() {
            serialize_worker_edges(
                &mut seq,
                &plan.request.batchable_step_name,
                worker.step_name(),
                &plan.request.convergence_step_names,
            )?;
        }
        seq.end()
    }
}

struct Edge<'a> {
    from: &'a dyn fmt::Display,
    to: &'a dyn fmt::Display,
    name: &'static str,
}

impl Serialize for Edge<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("from", &Collected(self.from))?;
        map.serialize_entry("to", &Collected(self.to))?;
        map.serialize_entry("name", self.name)?;
        map.end()
    }
}

struct Collected<'a>(&'a dyn fmt::Display);

impl Serialize for Collected<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// `expand_outcome`: input an [`ExpansionRequest`]; output the plan.
pub fn expand_outcome(
    request: ExpansionRequest,
    warnings: &mut Vec<Warning>,
) -> Result<ExpansionPlan> {
    expand(request, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::from_json;

    fn plan(text: &str) -> Result<String> {
        let request: ExpansionRequest = from_json(text)?;
        let plan = expand(request, &mut vec![])?;
        Ok(serde_json::to_string(&plan).unwrap())
    }

    #[test]
    fn expands_workers_inputs_and_edges_in_order() {
        let out = plan(
            r#"{"batchable_step_name":"analyze","convergence_step_names":["aggregate"],
                "initialization":{"source":"p.csv","is_no_op":true},
                "outcome":{"type":"create_batches","worker_template_name":"process","worker_count":2,"total_items":10,
                  "cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5},
                                    {"batch_id":"002","start_cursor":5,"end_cursor":10,"batch_size":5}]}}"#,
        )
        .unwrap();
        assert_eq!(
            out,
            concat!(
                r#"{"scenario":"with_batches","batchable_step_name":"analyze","worker_count":2,"workers":["#,
                r#"{"name":"process_001","batch_id":"001","inputs":{"source":"p.csv","cursor":{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5},"batch_metadata":{"cursor_field":"id","failure_strategy":"continue_on_failure"},"is_no_op":false}},"#,
                r#"{"name":"process_002","batch_id":"002","inputs":{"source":"p.csv","cursor":{"batch_id":"002","start_cursor":5,"end_cursor":10,"batch_size":5},"batch_metadata":{"cursor_field":"id","failure_strategy":"continue_on_failure"},"is_no_op":false}}],"#,
                r#""edges":[{"from":"analyze","to":"process_001","name":"batch_dependency"},{"from":"process_001","to":"aggregate","name":"batch_convergence_dependency"},"#,
                r#"{"from":"analyze","to":"process_002","name":"batch_dependency"},{"from":"process_002","to":"aggregate","name":"batch_convergence_dependency"}]}"#
            )
        );
    }

    #[test]
    fn no_batches_gives_the_000_placeholder() {
        let out = plan(
            r#"{"batchable_step_name":"analyze","worker_template_name":"process","convergence_step_names":["aggregate"],"outcome":{"type":"no_batches"}}"#,
        )
        .unwrap();
        assert!(out.contains(r#""workers":[{"name":"process_000","batch_id":"000","inputs":{"cursor":{"batch_id":"000","start_cursor":0,"end_cursor":0,"batch_size":0},"batch_metadata":{"cursor_field":"id","failure_strategy":"continue_on_failure"},"is_no_op":true}}]"#), "{out}");
        let err =
            plan(r#"{"batchable_step_name":"a","outcome":{"type":"no_batches"}}"#).unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::MissingField, "worker_template_name")
        );
    }

    #[test]
    fn an_invalid_outcome_gives_no_plan() {
        let err = plan(
            r#"{"batchable_step_name":"a","outcome":{"type":"create_batches","worker_template_name":"w","worker_count":2,"total_items":5,
                "cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5}]}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::WorkerCountMismatch, "outcome.worker_count")
        );
    }

    #[test]
    fn worker_names_must_not_collide_with_other_steps() {
        let err = plan(
            r#"{"batchable_step_name":"w_001","outcome":{"type":"create_batches","worker_template_name":"w","worker_count":1,"total_items":5,
                "cursor_configs":[{"batch_id":"001","start_cursor":0,"end_cursor":5,"batch_size":5}]}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.code, err.path.as_str()),
            (ErrorCode::DuplicateStepName, "batchable_step_name")
        );
    }
}
