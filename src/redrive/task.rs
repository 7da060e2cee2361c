//! What the children share with the task's other workers (the step names, the template's
//! inputs) and every range of the task: from the request's keys, or read off the expansion plan
//! the caller kept (`plan`, the output of `expand_outcome`).

use serde::{Deserialize, Deserializer};

use super::RedriveRequest;
use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::expansion::BATCH_CONVERGENCE_DEPENDENCY;
use crate::input::{strict, Extra, ObjectOnly};
use crate::path::JsonPath;
use crate::worker_inputs::{BatchMetadata, WorkerInputsRead};

/// An expansion plan as `expand_outcome` wrote it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "an expansion plan {scenario, batchable_step_name, worker_count, workers, edges}"
)]
pub struct PlanInput {
    /// `with_batches` or `no_batches` (not used).
    #[serde(default)]
    pub scenario: Option<String>,
    /// The batchable step.
    #[serde(deserialize_with = "strict::non_empty_string")]
    pub batchable_step_name: String,
    /// Number of workers (not used).
    #[serde(default)]
    pub worker_count: Option<serde::de::IgnoredAny>,
    /// The planned workers.
    pub workers: Vec<PlanWorker>,
    /// The planned edges.
    #[serde(default)]
    pub edges: Vec<PlanEdge>,
}

impl<'de> Deserialize<'de> for PlanInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        PlanInput::deserialize(ObjectOnly(deserializer))
    }
}

/// One planned worker step.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanWorker {
    /// `{template}_{batch_id}`.
    #[serde(deserialize_with = "strict::non_empty_string")]
    pub name: String,
    /// Its batch id.
    #[serde(deserialize_with = "strict::non_empty_string")]
    pub batch_id: String,
    /// Its inputs.
    pub inputs: WorkerInputsRead,
    /// Initial results (a redrive plan's opaque resume; not used).
    #[serde(default)]
    pub results: Option<serde::de::IgnoredAny>,
}

/// One planned edge.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanEdge {
    /// From step.
    pub from: String,
    /// To step.
    pub to: String,
    /// `batch_dependency` or `batch_convergence_dependency`.
    pub name: String,
}

/// Everything the children are made with.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// The batchable step.
    pub batchable_step_name: String,
    /// The worker template.
    pub worker_template_name: String,
    /// The convergence steps.
    pub convergence_step_names: Vec<String>,
    /// The template's initialization keys.
    pub initialization: Extra,
    /// The template's metadata.
    pub batch_metadata: BatchMetadata,
    /// Every range of the task: the plan's workers', then the request's `cursor_configs`.
    pub cursor_configs: Vec<CursorConfig>,
    /// How many of them come from the plan.
    pub from_plan: usize,
}

impl Task {
    /// Where range `i` is in the request.
    pub fn config_path(&self, i: usize) -> JsonPath {
        let root = JsonPath::root();
        if i < self.from_plan {
            root.key("plan")
                .key("workers")
                .index(i)
                .key("inputs")
                .key("cursor")
        } else {
            root.key("cursor_configs").index(i - self.from_plan)
        }
    }
}

/// The request's keys where given, the plan's otherwise; a key given both ways must agree.
pub(super) fn resolve(request: &mut RedriveRequest) -> Result<Task> {
    let root = JsonPath::root();
    let given_configs = std::mem::take(&mut request.cursor_configs);
    let Some(plan) = request.plan.take() else {
        let Some(configs) = given_configs else {
            return Err(Error::at(
                ErrorCode::MissingField,
                &root.key("cursor_configs"),
                "expected the key `cursor_configs` (or `plan`, the expansion plan), found neither",
            ));
        };
        return Ok(Task {
            batchable_step_name: required(
                request.batchable_step_name.take(),
                "batchable_step_name",
            )?,
            worker_template_name: required(
                request.worker_template_name.take(),
                "worker_template_name",
            )?,
            convergence_step_names: request.convergence_step_names.take().unwrap_or_default(),
            initialization: request.initialization.take().unwrap_or_default(),
            batch_metadata: request.batch_metadata.take().unwrap_or_default(),
            cursor_configs: configs,
            from_plan: 0,
        });
    };

    let plan_at = root.key("plan");
    let workers_at = plan_at.key("workers");
    let mut configs = Vec::with_capacity(plan.workers.len());
    for (i, worker) in plan.workers.iter().enumerate() {
        let cursor_at = workers_at.index(i).key("inputs").key("cursor");
        let Some(cursor) = worker.inputs.cursor.clone() else {
            return Err(Error::at(
                ErrorCode::MissingField,
                &cursor_at,
                "expected the worker's cursor config, found no such key",
            ));
        };
        let missing = |key: &str| {
            Error::at(
                ErrorCode::MissingField,
                &cursor_at.key(key),
                format!("expected the key `{key}`, found no such key"),
            )
        };
        let cursor = CursorConfig {
            batch_id: cursor.batch_id.ok_or_else(|| missing("batch_id"))?,
            start_cursor: cursor.start_cursor.ok_or_else(|| missing("start_cursor"))?,
            end_cursor: cursor.end_cursor.ok_or_else(|| missing("end_cursor"))?,
            batch_size: cursor.batch_size.ok_or_else(|| missing("batch_size"))?,
            extra: cursor.extra,
        };
        if cursor.batch_id != worker.batch_id {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &cursor_at.key("batch_id"),
                format!(
                    "expected the worker's batch_id {:?}, found {:?}",
                    worker.batch_id, cursor.batch_id
                ),
            ));
        }
        configs.push(cursor);
    }
    let from_plan = configs.len();
    configs.extend(given_configs.unwrap_or_default());

    let first = plan.workers.first();
    let batchable_step_name = agree(
        request.batchable_step_name.take(),
        Some(plan.batchable_step_name.clone()),
        "batchable_step_name",
    )?;
    let derived_template = first.and_then(|w| {
        w.name
            .strip_suffix(w.batch_id.as_str())
            .and_then(|rest| rest.strip_suffix('_'))
            .map(str::to_owned)
    });
    let worker_template_name = agree(
        request.worker_template_name.take(),
        derived_template,
        "worker_template_name",
    )?;
    let derived_convergence = first.map(|w| {
        plan.edges
            .iter()
            .filter(|e| e.name == BATCH_CONVERGENCE_DEPENDENCY && e.from == w.name)
            .map(|e| e.to.clone())
            .collect::<Vec<_>>()
    });
    Ok(Task {
        batchable_step_name,
        worker_template_name,
        convergence_step_names: request
            .convergence_step_names
            .take()
            .or(derived_convergence)
            .unwrap_or_default(),
        initialization: request
            .initialization
            .take()
            .or_else(|| first.map(|w| w.inputs.extra.clone()))
            .unwrap_or_default(),
        batch_metadata: request
            .batch_metadata
            .take()
            .or_else(|| first.map(|w| w.inputs.batch_metadata.clone()))
            .unwrap_or_default(),
        cursor_configs: configs,
        from_plan,
    })
}

fn required(value: Option<String>, key: &str) -> Result<String> {
    value.ok_or_else(|| {
        Error::new(
            ErrorCode::MissingField,
            key,
            format!("expected the key `{key}`, found no such key"),
        )
    })
}

/// The request's value or the plan's; both given must be equal.
fn agree(given: Option<String>, from_plan: Option<String>, key: &str) -> Result<String> {
    match (given, from_plan) {
        (Some(given), Some(planned)) if given != planned => Err(Error::new(
            ErrorCode::InvalidValue,
            key,
            format!("expected the plan's {key} {planned:?}, found {given:?}"),
        )),
        (Some(value), _) | (None, Some(value)) => Ok(value),
        (None, None) => required(None, key),
    }
}
