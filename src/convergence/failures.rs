//! Which workers failed (the assessment), and what the failure strategy makes of it (the
//! decision): two stages of [`super::converge`].

use std::collections::HashMap;

use crate::cursor_config::CursorConfig;
use crate::error::{Error, ErrorCode, Result, Warning, WarningCode};
use crate::path::JsonPath;
use crate::step_results::{Looking, StatusSays, StepResults};
use crate::worker_inputs::FailureStrategy;

use super::{ConvergenceStatus, Expected, FailedBatch, Tolerances};

/// Which workers failed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Assessment {
    /// For each range of the task, in order: whether its worker finished (empty when the
    /// outcome's configs are unknown). A range superseded by its children did not.
    pub(crate) finished: Vec<bool>,
    /// Every failed worker, expected ones in outcome order first.
    pub(crate) failed: Vec<FailedBatch>,
    /// The workers the tolerances count: the expected ones (absent and superseded ones
    /// included) and any unexpected ones.
    pub(crate) counted: usize,
}

/// Assesses the workers at positions `workers` of `results` (which are at `at`) against the
/// workers `expected`.
pub(crate) fn assess(
    results: &StepResults,
    at: &JsonPath,
    workers: &[usize],
    expected: &Expected<'_>,
    worker_prefix: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Assessment> {
    let Expected::Configs { create, ranges, .. } = expected else {
        // Without the outcome's configs nothing is expected: each worker found is counted, and
        // listed without a range if it failed.
        let mut failed = Vec::new();
        for &i in workers {
            if let Some(reason) = worker_failure(results, i, at)? {
                failed.push(unranged(results.name(i).unwrap_or_default(), reason));
            }
        }
        return Ok(Assessment {
            finished: Vec::new(),
            failed,
            counted: workers.len(),
        });
    };

    // The expected workers are named `{template}_{batch_id}`, written into one buffer.
    let expected_name = |config: &CursorConfig, name: &mut String| {
        name.clear();
        name.push_str(&create.worker_template_name);
        name.push('_');
        name.push_str(&config.batch_id);
    };
    let mut name = String::new();
    for config in &ranges.configs {
        expected_name(config, &mut name);
        if !name.starts_with(worker_prefix) {
            return Err(Error::at(
                ErrorCode::InvalidValue,
                &JsonPath::root().key("worker_prefix"),
                format!(
                    "expected a prefix of every worker name of the outcome, found {worker_prefix:?}, which does not start {name:?}"
                ),
            ));
        }
    }

    // Results usually come in the order of the configs: each is matched to the next worker,
    // and a name index is built only when one is not.
    let mut matched = vec![false; workers.len()];
    let mut by_name: Option<HashMap<&str, usize>> = None;
    let mut next = 0;
    let mut finished = Vec::with_capacity(ranges.configs.len());
    let mut failed = Vec::new();
    for (c, config) in ranges.configs.iter().enumerate() {
        expected_name(config, &mut name);
        let position = if workers
            .get(next)
            .is_some_and(|&i| results.name(i) == Some(name.as_str()))
        {
            Some(next)
        } else {
            let by_name = by_name.get_or_insert_with(|| {
                workers
                    .iter()
                    .enumerate()
                    .map(|(p, &i)| (results.name(i).unwrap_or_default(), p))
                    .collect()
            });
            by_name.get(name.as_str()).copied()
        };
        let superseded = ranges.superseded[c].is_some();
        let failure = match position {
            // Superseded by its children: neither finished nor failed, whatever its result.
            _ if superseded => {
                if let Some(p) = position {
                    matched[p] = true;
                    next = p + 1;
                }
                finished.push(false);
                continue;
            }
            None => Some("no result".to_owned()),
            Some(p) => {
                matched[p] = true;
                next = p + 1;
                worker_failure(results, workers[p], at)?
            }
        };
        finished.push(failure.is_none());
        if let Some(reason) = failure {
            failed.push(FailedBatch {
                name: name.clone(),
                batch_id: Some(config.batch_id.clone()),
                start_cursor: Some(config.start_cursor.clone()),
                end_cursor: Some(config.end_cursor.clone()),
                reason,
            });
        }
    }
    let mut unexpected = 0;
    for (&i, _) in workers
        .iter()
        .zip(&matched)
        .filter(|(_, matched)| !**matched)
    {
        unexpected += 1;
        let name = results.name(i).unwrap_or_default();
        warnings.push(Warning::at(
            WarningCode::UnexpectedWorker,
            &results.path(i, at),
            format!(
                "{name:?} starts with the worker prefix but matches no cursor config of the outcome or of its redrives; aggregated, with no range"
            ),
        ));
        if let Some(reason) = worker_failure(results, i, at)? {
            failed.push(unranged(name, reason));
        }
    }
    Ok(Assessment {
        finished,
        failed,
        counted: ranges.configs.len() + unexpected,
    })
}

/// A failed worker that matches no cursor config.
fn unranged(name: &str, reason: String) -> FailedBatch {
    FailedBatch {
        name: name.to_owned(),
        batch_id: None,
        start_cursor: None,
        end_cursor: None,
        reason,
    }
}

/// Why the result at position `i` of `results` (which are at `at`) counts as failed, if it
/// does.
fn worker_failure(results: &StepResults, i: usize, at: &JsonPath) -> Result<Option<String>> {
    let Some(found) = results.read(i, at, Looking::Failure)? else {
        return Ok(Some("null result".to_owned()));
    };
    let success = found.success()?;
    if success == Some(false) {
        return Ok(Some("success is false".to_owned()));
    }
    let status = found.status()?;
    if let Some(failure) = status.and_then(StatusSays::failure) {
        return Ok(Some(format!("status is {failure:?}")));
    }
    if success.is_some() || status.is_some() {
        return Ok(None);
    }
    // Neither a flag nor a counter: not what a worker returns when it finishes (a step's
    // results mid-run hold only its checkpoint), so the worker did not finish.
    let finished = match results.read(i, at, Looking::Worker(&crate::step_results::NO_FIELDS))? {
        Some(counters) => counters.has_counter(),
        None => false,
    };
    Ok((!finished).then(|| {
        "unfinished: no items_processed, items_succeeded, items_failed, items_skipped, success or status".to_owned()
    }))
}

/// What the strategy makes of an assessment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Decision {
    /// `succeeded` or `failed`.
    pub(crate) status: ConvergenceStatus,
    /// Why; `None` when no worker failed.
    pub(crate) reason: Option<String>,
}

/// The status and its reason under `strategy`.
pub(crate) fn decide(
    tolerances: &Tolerances,
    strategy: FailureStrategy,
    assessment: &Assessment,
) -> Decision {
    use ConvergenceStatus::{Failed, Succeeded};
    let decision = |status, reason| Decision {
        status,
        reason: Some(reason),
    };
    let failed = &assessment.failed;
    if failed.is_empty() {
        return Decision {
            status: Succeeded,
            reason: None,
        };
    }
    let count = failed.len();
    let workers = assessment.counted;
    let summary = format!(
        "{count} of {workers} workers failed ({})",
        name_list(failed.iter().map(|f| f.name.as_str()))
    );
    match strategy {
        FailureStrategy::FailFast => decision(Failed, format!("fail_fast: {summary}")),
        FailureStrategy::Isolate => decision(
            Succeeded,
            format!("isolate: {summary}; listed in failed_batches for a re-run"),
        ),
        FailureStrategy::ContinueOnFailure => {
            let mut exceeded = Vec::new();
            if let Some(max) = tolerances.max_failed_workers {
                if count as u64 > u64::from(max) {
                    exceeded.push(format!("more than max_failed_workers {max}"));
                }
            }
            if let Some(max) = tolerances.max_failure_percentage {
                // Compared without dividing: count / workers * 100 > max.
                if count as f64 * 100.0 > max * workers as f64 {
                    let share = count as f64 * 100.0 / workers as f64;
                    exceeded.push(format!(
                        "{}% of the workers, more than max_failure_percentage {max}",
                        short_decimal(share)
                    ));
                }
            }
            if exceeded.is_empty() {
                decision(
                    Succeeded,
                    format!("continue_on_failure: {summary}, within tolerance"),
                )
            } else {
                decision(
                    Failed,
                    format!("continue_on_failure: {summary}: {}", exceeded.join("; ")),
                )
            }
        }
    }
}

/// At most four decimals, without trailing zeros: `33.3333`, `50`.
fn short_decimal(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `"a", "b", "c"` (at most 10 names, then "and N more").
fn name_list<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 10;
    let total = names.len();
    let shown: Vec<String> = names.take(SHOWN).map(|n| format!("{n:?}")).collect();
    if total > SHOWN {
        format!("{} and {} more", shown.join(", "), total - SHOWN)
    } else {
        shown.join(", ")
    }
}
