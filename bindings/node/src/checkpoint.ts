// Writing a worker's progress: the core checks a checkpoint (kind, range, never backwards) and
// merges it into the step's results; persisting them is the host's job.

import { call, CallOptions } from './call';
import type { WorkerStepData } from './types';
import { stepData } from './worker-context';

/** A step's results after a write: the changes merged into what was there. */
export type StepResults = { [key: string]: unknown };

/**
 * Validates the checkpoint in `changes` (`checkpoint_cursor`, `processed_count`,
 * `accumulated_results`) against the step and returns the step's new results: the changes merged
 * into `step.results`, other keys kept. On an error nothing is merged (the step is never changed).
 */
export function updateStepResults(step: object, changes: object, options?: CallOptions): StepResults {
  return call<StepResults>('update_step_results', { step: stepData(step), changes }, options);
}

/** A checkpoint as a worker says it: the next key to process, the running count, optional totals. */
export interface CheckpointWrite {
  cursor: unknown;
  itemsProcessed: number | bigint;
  accumulatedResults?: unknown;
}

/**
 * The checkpoint write helper: `updateStepResults` with the checkpoint's three keys.
 *
 *     step.results = writeCheckpoint(step, { cursor: 600, itemsProcessed: 266 });
 */
export function writeCheckpoint(step: object, checkpoint: CheckpointWrite, options?: CallOptions): StepResults {
  const changes: { [key: string]: unknown } = { checkpoint_cursor: checkpoint.cursor, processed_count: checkpoint.itemsProcessed };
  if (checkpoint.accumulatedResults !== undefined) changes.accumulated_results = checkpoint.accumulatedResults;
  return updateStepResults(step, changes, options);
}

/** The results a retried step starts with: the checkpoint keys only (the failed attempt's others are dropped). */
export function resetForRetry(step: Partial<WorkerStepData> | object, options?: CallOptions): StepResults {
  return call<StepResults>('reset_for_retry', step, options);
}
