// The analyzer's side: outcomes, their validation and their expansion, each through the core.

import { call, CallOptions } from './call';
import type {
  BatchMetadata,
  BatchProcessingOutcome,
  CreateBatchesOutcome,
  ExpansionPlan,
  NoBatchesOutcome,
  RustBatchWorkerInputs,
  RustCursorConfig,
} from './types';

/** The outcome of an analyzer with nothing to do. */
export function noBatches(): NoBatchesOutcome {
  return { type: 'no_batches' };
}

/**
 * A create_batches outcome, validated by the core (worker count, unique ids, ranges, sizes) and
 * returned canonical. Throws ValidationError; gaps and a size sum other than `totalItems` are
 * warnings.
 *
 *     createBatches('process_batch', 2, partitionByCount(1000, 2), 1000)
 */
export function createBatches(
  workerTemplateName: string,
  workerCount: number,
  cursorConfigs: readonly RustCursorConfig[],
  totalItems: number | bigint,
  options?: CallOptions,
): CreateBatchesOutcome {
  return call<CreateBatchesOutcome>(
    'validate_outcome',
    {
      type: 'create_batches',
      worker_template_name: workerTemplateName,
      worker_count: workerCount,
      cursor_configs: cursorConfigs,
      total_items: totalItems,
    },
    options,
  );
}

/** Narrows an outcome to no_batches. */
export function isNoBatches(outcome: BatchProcessingOutcome): outcome is NoBatchesOutcome {
  return outcome.type === 'no_batches';
}

/** Narrows an outcome to create_batches. */
export function isCreateBatches(outcome: BatchProcessingOutcome): outcome is CreateBatchesOutcome {
  return outcome.type === 'create_batches';
}

/** Validates an outcome (any object of that shape) and returns it canonical. */
export function validateOutcome(outcome: object, options?: CallOptions): BatchProcessingOutcome {
  return call<BatchProcessingOutcome>('validate_outcome', outcome, options);
}

/** Validates one cursor config and returns it canonical (cursors exactly as given). */
export function validateCursorConfig(config: object, options?: CallOptions): RustCursorConfig {
  return call<RustCursorConfig>('validate_cursor_config', config, options);
}

/** Validates batch metadata and returns it canonical: every key, the strategy in snake_case. */
export function validateBatchMetadata(metadata: object, options?: CallOptions): BatchMetadata {
  return call<BatchMetadata>('validate_batch_metadata', metadata, options);
}

/** Reads a worker's inputs and returns them canonical (defaults filled in, every key). */
export function validateWorkerInputs(inputs: object, options?: CallOptions): RustBatchWorkerInputs {
  return call<RustBatchWorkerInputs>('validate_worker_inputs', inputs, options);
}

/** What expansion takes: the batchable step, its outcome, and the template's details. */
export interface ExpansionRequest {
  batchable_step_name: string;
  outcome: object;
  worker_template_name?: string;
  convergence_step_names?: readonly string[];
  initialization?: object;
  batch_metadata?: object;
}

/** The worker steps and edges of an outcome; all or nothing (an invalid outcome throws, no plan). */
export function expandOutcome(request: ExpansionRequest, options?: CallOptions): ExpansionPlan {
  return call<ExpansionPlan>('expand_outcome', request, options);
}
