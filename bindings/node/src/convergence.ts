// The convergence step's side: scenario detection, aggregation and convergence, each one core
// operation (the unwrapping of stored results, the sums, the error cap and the failure strategy
// are the core's).

import { call, callEncodedWithWarnings, callWithWarnings, CallOptions, encodeOptionsFirst, report } from './call';
import type { Diagnostic } from './errors';
import type { BatchAggregationResult, BatchProcessingOutcome, ConvergenceResult, FailureStrategy, Reducer, ScenarioName } from './types';

/** What detection found: the scenario, the batchable step's result and the workers' results. */
export interface BatchAggregationScenario {
  /** True when the batchable step's outcome (or, tolerantly read, its absence) says no_batches. */
  isNoBatches: boolean;
  scenario: ScenarioName;
  /** The batchable step's result as stored. */
  batchableResult: unknown;
  /** The batchable step's outcome, when it had a readable one. */
  outcome: BatchProcessingOutcome | null;
  /** Worker step name → its result as stored (empty for no_batches). */
  batchResults: { [workerName: string]: unknown };
  workerNames: string[];
  workerCount: number;
  /** What the core noticed (a missing or partial outcome read tolerantly, …). */
  warnings: readonly Diagnostic[];
}

interface DetectOutput {
  scenario: ScenarioName;
  batchable_result: unknown;
  outcome?: BatchProcessingOutcome | null;
  batch_results?: { [workerName: string]: unknown };
  worker_names: string[];
  worker_count: number;
}

/**
 * Detects the scenario of a convergence step from its dependency results. A no_batches outcome
 * is no_batches even though its `_000` placeholder worker exists; otherwise every dependency
 * whose name starts with `batchWorkerPrefix` is a worker. Throws ValidationError (e.g.
 * "Missing batchable step dependency: analyze_csv").
 */
export function detectAggregationScenario(
  dependencyResults: object,
  batchableStepName: string,
  batchWorkerPrefix: string,
  options?: CallOptions,
): BatchAggregationScenario {
  const { value, warnings } = callWithWarnings<DetectOutput>('detect_scenario', {
    dependency_results: dependencyResults,
    batchable_step_name: batchableStepName,
    worker_prefix: batchWorkerPrefix,
  });
  report(warnings, options);
  return {
    isNoBatches: value.scenario === 'no_batches',
    scenario: value.scenario,
    batchableResult: value.batchable_result,
    outcome: value.outcome ?? null,
    batchResults: value.batch_results ?? {},
    workerNames: value.worker_names,
    workerCount: value.worker_count,
    warnings,
  };
}

/** The input of `detect_scenario` as the core takes it (also `dependency_names` + `batchable_result`). */
export function detectScenario(input: object, options?: CallOptions): unknown {
  return call('detect_scenario', input, options);
}

/** Options of an aggregation. */
export interface AggregateOptions extends CallOptions {
  /** Errors kept (default 100); error_count counts all. */
  maxErrors?: number;
  /** Per-field reducers of a custom aggregation (in `custom`). */
  reducers?: { [field: string]: Reducer };
  scenario?: ScenarioName;
}

/**
 * The standard aggregation of worker results (an array, nulls skipped, or an object of step name
 * → result): totals, success rate, the first `maxErrors` errors and the count of all. Results
 * wrapped in `{result: …}` or `{batch_worker_outcome: …}` are unwrapped by the core.
 */
export function aggregateBatchResults(
  results: ReadonlyArray<object | null | undefined> | object,
  maxErrors?: number,
  options?: AggregateOptions,
): BatchAggregationResult {
  // Upstream's signature takes undefined entries and skips them as it skips nulls: name them null.
  const batchResults = Array.isArray(results) && results.includes(undefined) ? results.map((r) => (r === undefined ? null : r)) : results;
  const text = encodeOptionsFirst(
    [
      ['max_errors', maxErrors ?? options?.maxErrors],
      ['reducers', options?.reducers],
    ],
    [
      ['scenario', options?.scenario],
      ['batch_results', batchResults],
    ],
  );
  const { value, warnings } = callEncodedWithWarnings<BatchAggregationResult>('aggregate', text);
  report(warnings, options);
  return value;
}

/** The core's `aggregate` operation with its whole input (`batch_results`, `max_errors`, `reducers`, `scenario`). */
export function aggregate(input: object, options?: CallOptions): BatchAggregationResult {
  return call<BatchAggregationResult>('aggregate', input, options);
}

/** What convergence takes: detection's input plus the failure strategy and its limits. */
export interface ConvergeRequest {
  dependency_results?: object;
  dependency_names?: readonly string[];
  batchable_result?: unknown;
  batchable_step_name: string;
  worker_prefix: string;
  failure_strategy?: FailureStrategy;
  max_failed_workers?: number;
  max_failure_percentage?: number;
  max_errors?: number;
  reducers?: { [field: string]: Reducer };
  check_coverage?: boolean;
  /** The outputs of `redrive`, in the order they were made (docs/contract.md §10). */
  redrives?: readonly object[];
}

/**
 * Detect, aggregate, apply the failure strategy and check the coverage of the key space: the
 * convergence step's whole decision, made by the core.
 */
export function converge(request: ConvergeRequest | object, options?: CallOptions): ConvergenceResult {
  // The options first, so that the core knows them before it reads the results.
  const given = request as { [key: string]: unknown };
  const rest = Object.keys(given).filter((key) => !NULLABLE_OPTIONS.includes(key) && !CONVERGE_OPTIONS.includes(key));
  const text = encodeOptionsFirst(
    NULLABLE_OPTIONS.map((key) => [key, given[key]] as const),
    [...CONVERGE_OPTIONS, ...rest].map((key) => [key, given[key]] as const),
  );
  const { value, warnings } = callEncodedWithWarnings<ConvergenceResult>('converge', text);
  report(warnings, options);
  return value;
}

// The options of converge: those the core reads as "the default" when null, then the others.
const NULLABLE_OPTIONS = ['max_errors', 'reducers'];
const CONVERGE_OPTIONS = ['failure_strategy', 'max_failed_workers', 'max_failure_percentage', 'check_coverage'];
