// Redrive (docs/contract.md §10): the unfinished remainder of failed ranges, re-split into child
// workers. One core operation; this file only names its input and output.

import { call, CallOptions } from './call';
import type { ExpansionPlan, FailedBatch, RustCursorConfig } from './types';

/** A failed worker as `converge` lists it, with its last checkpoint (and optional cut points). */
export interface RedriveFailedBatch extends Partial<FailedBatch> {
  batch_id: string;
  /** The next key to process; absent or null: nothing is done. */
  checkpoint_cursor?: unknown;
  processed_count?: number | bigint;
  accumulated_results?: unknown;
  /** Interior cut points of the remainder (any kind; strings and composite keys need them). */
  boundaries?: readonly unknown[];
}

/**
 * The input of `redrive`: exactly one of `pieces` and `target_batch_size`; `cursor_configs`,
 * or the expansion `plan` (which also gives the step names and template inputs), or both.
 */
export interface RedriveRequest {
  batchable_step_name?: string;
  worker_template_name?: string;
  convergence_step_names?: readonly string[];
  initialization?: object;
  batch_metadata?: object;
  /** Every range of the task: the outcome's, and the children of earlier redrives. */
  cursor_configs?: readonly object[];
  /** The output of `expandOutcome`. */
  plan?: object;
  failed_batches: readonly RedriveFailedBatch[];
  pieces?: number;
  target_batch_size?: number;
}

/** What became of one failed range. */
export interface RedrivenRange {
  parent_batch_id: string;
  redrive: 'split' | 'whole' | 'opaque' | 'nothing';
  checkpoint_cursor: unknown;
  processed_count: number | null;
  /** The running totals up to the checkpoint, as given: what convergence counts for the done part. */
  accumulated_results: unknown;
  done: { start_cursor: unknown; end_cursor: unknown } | null;
  remainder: { start_cursor: unknown; end_cursor: unknown } | null;
  child_batch_ids: string[];
}

/** The children to add: their cursor configs, worker steps (an opaque resume also carries `results`) and edges. */
export interface RedrivePlan {
  batchable_step_name: string;
  redriven: RedrivenRange[];
  worker_count: number;
  cursor_configs: Array<RustCursorConfig & { parent_batch_id: string }>;
  workers: Array<ExpansionPlan['workers'][number] & { results?: { [key: string]: unknown } }>;
  edges: ExpansionPlan['edges'];
}

/** Re-splits the unfinished part of each failed range into child workers; all or nothing. */
export function redrive(request: RedriveRequest, options?: CallOptions): RedrivePlan {
  return call<RedrivePlan>('redrive', request, options);
}
