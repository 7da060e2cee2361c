// The wire types of the contract (snake_case, as the core and upstream's Rust write them) under
// upstream TypeScript's names, and upstream's older camelCase types. Types only: no code.
//
// Integers outside Number's safe range arrive as BigInt (cursors are `unknown` for that reason
// among others); counts are typed `number`, as upstream typed them.

import type { Diagnostic } from './errors';
import type { JsonValue } from './json';

/** How a worker's failures count at convergence. Upstream's PascalCase spellings are read with a warning. */
export type FailureStrategy = 'continue_on_failure' | 'fail_fast' | 'isolate';

/**
 * One worker's range: `[start_cursor, end_cursor)` of any JSON kind (integer, UUID or timestamp
 * string, other string, object, array) and its size.
 */
export interface RustCursorConfig {
  /** Non-empty; generated ids are "001", "002", … */
  batch_id: string;
  /** Inclusive start, of any JSON kind. */
  start_cursor: unknown;
  /** Exclusive end, of the start's kind. */
  end_cursor: unknown;
  /** Items in the range, 0..=4294967295. */
  batch_size: number;
}

/** What a worker needs from the template: the cursor's field and the failure strategy. */
export interface BatchMetadata {
  cursor_field: string;
  failure_strategy: FailureStrategy;
}

/** A worker step's `inputs`, as expansion writes them. */
export interface RustBatchWorkerInputs {
  cursor: RustCursorConfig;
  batch_metadata: BatchMetadata;
  /** True only for the `_000` placeholder of a no_batches outcome. */
  is_no_op: boolean;
}

/** The analyzer found nothing to do: `{"type": "no_batches"}`. */
export interface NoBatchesOutcome {
  type: 'no_batches';
}

/** The analyzer's plan: one worker per cursor config. */
export interface CreateBatchesOutcome {
  type: 'create_batches';
  worker_template_name: string;
  /** Equals `cursor_configs.length`. */
  worker_count: number;
  cursor_configs: RustCursorConfig[];
  total_items: number;
}

/** A batchable step's `batch_processing_outcome`. */
export type BatchProcessingOutcome = NoBatchesOutcome | CreateBatchesOutcome;

/** The scenario of a convergence step. */
export type ScenarioName = 'no_batches' | 'with_batches';

/** The standard aggregation of worker results. */
export interface BatchAggregationResult {
  total_processed: number;
  total_succeeded: number;
  total_failed: number;
  total_skipped: number;
  /** Non-null results aggregated. */
  batch_count: number;
  /** total_succeeded / total_processed; 0 when nothing was processed. */
  success_rate: number;
  /** The first `maxErrors` errors (default 100). */
  errors: JsonValue[];
  /** Every error, including those past `maxErrors`. */
  error_count: number;
  worker_count: number;
  scenario: ScenarioName;
  /** The custom reducers' results, when reducers were given. */
  custom?: { [field: string]: JsonValue };
}

/** A per-field reducer of a custom aggregation. */
export type Reducer = 'sum' | 'min' | 'max' | 'count' | 'concat' | 'merge';

/** A worker's checkpoint as the core reads it (from the results keys or the newer `checkpoint` field). */
export interface Checkpoint {
  /** Where to resume: of the range's kind, or an opaque token. */
  cursor: unknown;
  /** The checkpoint cursor's kind: the range's (`integer`, `uuid`, ...), or `opaque` for a token. */
  cursor_kind: string;
  items_processed: number;
  accumulated_results: JsonValue;
}

/** What the core's worker_context operation returns: the worker's whole context, snake_case. */
export interface WorkerContextData {
  batch_id: string;
  start_cursor: unknown;
  end_cursor: unknown;
  /** null when it is missing and the cursors are not integers. */
  batch_size: number | null;
  cursor_kind: string;
  cursor_field: string;
  failure_strategy: FailureStrategy;
  batch_metadata: BatchMetadata;
  is_no_op: boolean;
  cursor: RustCursorConfig;
  checkpoint: Checkpoint | null;
  has_checkpoint: boolean;
  resume_cursor: unknown;
}

/** A worker step's data as the core reads it: `inputs`, and the `results` and `checkpoint` stored so far. */
export interface WorkerStepData {
  inputs: object;
  results?: object | null;
  checkpoint?: object | null;
}

/** A failed worker at convergence, with its range for a re-run. */
export interface FailedBatch {
  name: string;
  batch_id: string;
  start_cursor: unknown;
  end_cursor: unknown;
  reason: string;
}

/** What convergence found: the status, the aggregation, the failed batches, the coverage of the key space. */
export interface ConvergenceResult {
  status: 'succeeded' | 'failed';
  scenario: ScenarioName;
  failure_strategy: FailureStrategy;
  reason: string | null;
  aggregation: BatchAggregationResult;
  failed_batches: FailedBatch[];
  coverage: {
    checked: boolean;
    complete: boolean;
    gaps: Array<{ start_cursor: unknown; end_cursor: unknown }>;
    overlaps: Array<{ start_cursor: unknown; end_cursor: unknown }>;
  };
}

/** Expansion's plan: worker steps with their inputs, and the edges. */
export interface ExpansionPlan {
  scenario: ScenarioName;
  batchable_step_name: string;
  worker_count: number;
  workers: Array<{ name: string; batch_id: string; inputs: RustBatchWorkerInputs & { [key: string]: unknown } }>;
  edges: Array<{ from: string; to: string; name: 'batch_dependency' | 'batch_convergence_dependency' }>;
}

/** A partition request, tagged by `strategy` (see docs/operations.md). */
export type PartitionRequest =
  | { strategy: 'integer_by_count'; total_items: number | bigint; worker_count: number; start?: number | bigint }
  | { strategy: 'integer_by_size'; total_items: number | bigint; batch_size: number; max_batches?: number; start?: number | bigint }
  | { strategy: 'uuid'; count: number; start?: string; end?: string | null; total_items?: number }
  | { strategy: 'timestamp'; start: string; end: string; count?: number; step_seconds?: number; total_items?: number }
  | { strategy: 'boundaries'; boundaries: readonly unknown[]; total_items?: number };

/** Warnings beside a value, for the functions that return both. */
export interface WithWarnings {
  /** What the core noticed about suspicious but legal input (code, path, message). */
  readonly warnings: readonly Diagnostic[];
}

// ------------------------------------------------------------ upstream's older camelCase names --

/** Upstream's older cursor range (camelCase). Cursors are of any kind here, not only numbers. */
export interface CursorConfig {
  startCursor: unknown;
  endCursor: unknown;
  stepSize: number;
  metadata: Record<string, unknown>;
}

/** Upstream's older analyzer outcome (camelCase). */
export interface BatchAnalyzerOutcome {
  cursorConfigs: CursorConfig[];
  totalItems: number | null;
  batchMetadata: Record<string, unknown>;
}

/** Upstream's older worker outcome (camelCase); batchWorkerSuccess writes it as the snake_case counters. */
export interface BatchWorkerOutcome {
  itemsProcessed: number;
  itemsSucceeded: number;
  itemsFailed: number;
  itemsSkipped: number;
  results: unknown[];
  errors: unknown[];
  lastCursor: unknown;
  batchMetadata: Record<string, unknown>;
}
