// Upstream's Batchable helpers under upstream's method names: analyzers (partition, outcome),
// workers (context, no-op, checkpoint, success) and convergence steps (detect, aggregate). Each
// helper is one core call and a result; the results go through the host's `success` when it has
// one (StepHandlerResult otherwise).

import { aggregate, aggregateBatchResults, BatchAggregationScenario, detectAggregationScenario } from './convergence';
import { ValidationError } from './errors';
import { updateStepResults } from './checkpoint';
import { validateOutcome, validateWorkerInputs } from './outcome';
import { partitionByCount, partitionBySize } from './partition';
import { StepHandler, StepHandlerResult, BatchStepContext } from './step-handler';
import type {
  BatchAggregationResult,
  BatchAnalyzerOutcome,
  BatchProcessingOutcome,
  BatchWorkerOutcome,
  CursorConfig,
  RustBatchWorkerInputs,
  RustCursorConfig,
  WorkerStepData,
} from './types';
import { BatchWorkerContext, createBatchWorkerContext, stepData } from './worker-context';

/** A cursor config in upstream's BatchableStepHandler.batchSuccess shape. */
export interface BatchWorkerConfig {
  batch_id: string;
  cursor_start: unknown;
  cursor_end: unknown;
  row_count: number;
  worker_index?: number;
  total_workers?: number;
}

/** The batch helpers a handler gets from BatchableMixin, applyBatchable or BatchableStepHandler. */
export interface Batchable {
  createCursorConfig(start: unknown, end: unknown, stepSize?: number, metadata?: Record<string, unknown>): CursorConfig;
  createCursorRanges(totalItems: number, batchSize: number, stepSize?: number, maxBatches?: number): CursorConfig[];
  createCursorConfigs(totalItems: number | bigint, workerCount: number): RustCursorConfig[];
  createBatchOutcome(totalItems: number, batchSize: number, stepSize?: number, batchMetadata?: Record<string, unknown>): BatchAnalyzerOutcome;
  createWorkerOutcome(
    itemsProcessed: number,
    itemsSucceeded?: number,
    itemsFailed?: number,
    itemsSkipped?: number,
    results?: unknown[],
    errors?: unknown[],
    lastCursor?: unknown,
    batchMetadata?: Record<string, unknown>,
  ): BatchWorkerOutcome;
  getBatchContext(context: BatchStepContext | WorkerStepData): BatchWorkerContext | null;
  getBatchWorkerInputs(context: BatchStepContext): RustBatchWorkerInputs | null;
  handleNoOpWorker(context: BatchStepContext | WorkerStepData): StepHandlerResult | null;
  batchAnalyzerSuccess(outcome: BatchProcessingOutcome | BatchAnalyzerOutcome, metadata?: Record<string, unknown>): StepHandlerResult;
  batchWorkerSuccess(outcome: Partial<BatchWorkerOutcome> & { itemsProcessed: number }, metadata?: Record<string, unknown>): StepHandlerResult;
  checkpointYield(cursor: unknown, itemsProcessed: number, accumulatedResults?: unknown): StepHandlerResult;
  detectAggregationScenario(dependencyResults: object, batchableStepName: string, batchWorkerPrefix: string): BatchAggregationScenario;
  noBatchesAggregationResult(zeroMetrics?: Record<string, unknown>): StepHandlerResult;
  aggregateBatchWorkerResults(
    scenario: BatchAggregationScenario,
    zeroMetrics?: Record<string, unknown>,
    aggregationFn?: (batchResults: { [workerName: string]: unknown }) => object,
  ): StepHandlerResult;
}

// The step the last getBatchContext read, for checkpointYield (a symbol: no clash with host fields).
const CURRENT_STEP = Symbol('tasker-batch current step');

interface Host {
  success?: (result: object, metadata?: object) => StepHandlerResult;
  [CURRENT_STEP]?: WorkerStepData;
}

function succeed(host: Host, result: object, metadata: object = {}): StepHandlerResult {
  return typeof host.success === 'function' ? host.success(result, metadata) : StepHandlerResult.success(result, metadata);
}

/** The step data of a host context, or null when it carries no batch inputs. */
function contextStep(context: BatchStepContext | WorkerStepData): { step: object; checkpoint?: object | null } | null {
  if ('inputs' in context) return { step: context };
  const ctx = context as BatchStepContext;
  const inputs = ctx.stepInputs as { cursor?: unknown; batch_context?: unknown } | undefined;
  if (inputs !== undefined && 'cursor' in inputs) {
    const step: WorkerStepData = { inputs };
    if (ctx.stepResults !== undefined && ctx.stepResults !== null) step.results = ctx.stepResults;
    if (ctx.checkpoint !== undefined && ctx.checkpoint !== null) step.checkpoint = ctx.checkpoint;
    return { step };
  }
  // Upstream's older layout: `batch_context` in the handler's config, the task's input or the step's inputs.
  for (const source of [ctx.stepConfig, ctx.inputData, inputs]) {
    const batchContext = (source as { batch_context?: unknown } | undefined)?.batch_context;
    if (batchContext !== null && typeof batchContext === 'object') return { step: batchContext, checkpoint: ctx.checkpoint ?? null };
  }
  return null;
}

/**
 * The Batchable helpers as a class: extend it, or bind its methods (`applyBatchable` does it for
 * every method at once). `this` is the handler, so results go through the handler's `success`.
 */
export class BatchableMixin implements Batchable {
  /** Upstream's older camelCase range; a value, no rule applies to it yet. */
  createCursorConfig(start: unknown, end: unknown, stepSize = 1, metadata: Record<string, unknown> = {}): CursorConfig {
    return { startCursor: start, endCursor: end, stepSize, metadata };
  }

  /** Ranges of `batchSize` items (the core's integer_by_size), in upstream's older camelCase shape. */
  createCursorRanges(totalItems: number, batchSize: number, stepSize = 1, maxBatches?: number): CursorConfig[] {
    return partitionBySize(totalItems, batchSize, maxBatches).map((c) => this.createCursorConfig(c.start_cursor, c.end_cursor, stepSize));
  }

  /** One cursor config per worker (the core's integer_by_count): 1000 over 3 is 334/334/332. */
  createCursorConfigs(totalItems: number | bigint, workerCount: number): RustCursorConfig[] {
    return partitionByCount(totalItems, workerCount);
  }

  /** Upstream's older analyzer outcome over createCursorRanges. */
  createBatchOutcome(totalItems: number, batchSize: number, stepSize = 1, batchMetadata: Record<string, unknown> = {}): BatchAnalyzerOutcome {
    return { cursorConfigs: this.createCursorRanges(totalItems, batchSize, stepSize), totalItems, batchMetadata };
  }

  /** Upstream's older worker outcome; `itemsSucceeded` defaults to `itemsProcessed` (an explicit 0 stays 0). */
  createWorkerOutcome(
    itemsProcessed: number,
    itemsSucceeded?: number,
    itemsFailed = 0,
    itemsSkipped = 0,
    results: unknown[] = [],
    errors: unknown[] = [],
    lastCursor: unknown = null,
    batchMetadata: Record<string, unknown> = {},
  ): BatchWorkerOutcome {
    return {
      itemsProcessed,
      itemsSucceeded: itemsSucceeded ?? itemsProcessed,
      itemsFailed,
      itemsSkipped,
      results,
      errors,
      lastCursor,
      batchMetadata,
    };
  }

  /**
   * The worker's context, read by the core from the step's inputs and checkpoint (or from
   * upstream's older `batch_context`); null when the context carries no batch. The step is
   * remembered for checkpointYield.
   */
  getBatchContext(this: BatchableMixin & Host, context: BatchStepContext | WorkerStepData): BatchWorkerContext | null {
    const found = contextStep(context);
    if (found === null) return null;
    const batch = createBatchWorkerContext(found.step, found.checkpoint);
    this[CURRENT_STEP] = stepData(found.step, found.checkpoint);
    return batch;
  }

  /** The worker's inputs, canonical (defaults filled in by the core); null when the step has none. */
  getBatchWorkerInputs(context: BatchStepContext): RustBatchWorkerInputs | null {
    const inputs = context.stepInputs;
    if (inputs === undefined || inputs === null || Object.keys(inputs).length === 0) return null;
    return validateWorkerInputs(inputs);
  }

  /** A success result for the no-op placeholder worker, or null for a real worker. */
  handleNoOpWorker(this: BatchableMixin & Host, context: BatchStepContext | WorkerStepData): StepHandlerResult | null {
    const batch = this.getBatchContext(context);
    if (batch === null || !batch.isNoOp) return null;
    return succeed(this, { batch_id: batch.batchId, no_op: true, processed_count: 0, message: 'No batches to process' });
  }

  /**
   * The analyzer's result. A BatchProcessingOutcome (noBatches(), createBatches(...)) is
   * validated by the core and stored as `batch_processing_outcome`, what the orchestrator reads;
   * upstream's older BatchAnalyzerOutcome is written in upstream's older shape
   * (`batch_analyzer_outcome`), unvalidated: it names no template and no batch ids.
   */
  batchAnalyzerSuccess(this: BatchableMixin & Host, outcome: BatchProcessingOutcome | BatchAnalyzerOutcome, metadata: Record<string, unknown> = {}): StepHandlerResult {
    if ('type' in outcome) return succeed(this, { batch_processing_outcome: validateOutcome(outcome) }, metadata);
    return succeed(
      this,
      {
        batch_analyzer_outcome: {
          cursor_configs: outcome.cursorConfigs.map((c) => ({ start_cursor: c.startCursor, end_cursor: c.endCursor, step_size: c.stepSize, metadata: c.metadata })),
          total_items: outcome.totalItems,
          batch_metadata: outcome.batchMetadata,
        },
      },
      metadata,
    );
  }

  /** The worker's result: the counters at the top (where every reader looks), `batch_worker: true` in the metadata. */
  batchWorkerSuccess(this: BatchableMixin & Host, outcome: Partial<BatchWorkerOutcome> & { itemsProcessed: number }, metadata: Record<string, unknown> = {}): StepHandlerResult {
    const result: { [key: string]: unknown } = {
      items_processed: outcome.itemsProcessed,
      items_succeeded: outcome.itemsSucceeded ?? outcome.itemsProcessed,
      items_failed: outcome.itemsFailed ?? 0,
      items_skipped: outcome.itemsSkipped ?? 0,
    };
    if (outcome.results !== undefined) result.results = outcome.results;
    if (outcome.errors !== undefined) result.errors = outcome.errors;
    if (outcome.lastCursor !== undefined && outcome.lastCursor !== null) result.last_cursor = outcome.lastCursor;
    if (outcome.batchMetadata !== undefined && Object.keys(outcome.batchMetadata).length > 0) result.batch_metadata = outcome.batchMetadata;
    return succeed(this, result, { batch_worker: true, ...metadata });
  }

  /**
   * Yields a checkpoint: the core validates it against the step getBatchContext read (cursor of
   * the range's kind or an opaque token, inside the range, never backwards) and the result carries
   * it in upstream's shape (`type: "checkpoint_yield"`, `cursor`, `items_processed`, and the
   * step's new `results` for the host to store).
   */
  checkpointYield(this: BatchableMixin & Host, cursor: unknown, itemsProcessed: number, accumulatedResults?: unknown): StepHandlerResult {
    const step = this[CURRENT_STEP];
    if (step === undefined) {
      throw new ValidationError('missing_field', 'workflow_step', 'expected the current step: call getBatchContext(context) before checkpointYield');
    }
    const changes: { [key: string]: unknown } = { checkpoint_cursor: cursor, processed_count: itemsProcessed };
    if (accumulatedResults !== undefined) changes.accumulated_results = accumulatedResults;
    const results = updateStepResults(step, changes);
    this[CURRENT_STEP] = { ...step, results };
    const result: { [key: string]: unknown } = { type: 'checkpoint_yield', cursor, items_processed: itemsProcessed };
    if (accumulatedResults !== undefined) result.accumulated_results = accumulatedResults;
    result.results = results;
    return succeed(this, result, { checkpoint_yield: true, batch_worker: true });
  }

  detectAggregationScenario(dependencyResults: object, batchableStepName: string, batchWorkerPrefix: string): BatchAggregationScenario {
    return detectAggregationScenario(dependencyResults, batchableStepName, batchWorkerPrefix);
  }

  /** The convergence result of a no_batches scenario: `worker_count: 0`, `scenario: "no_batches"`, then `zeroMetrics`. */
  noBatchesAggregationResult(this: BatchableMixin & Host, zeroMetrics: Record<string, unknown> = {}): StepHandlerResult {
    return succeed(this, { worker_count: 0, scenario: 'no_batches', ...zeroMetrics });
  }

  /**
   * The convergence step's result. With `aggregationFn` it aggregates (it receives the workers'
   * results by step name), as upstream; without one the core's standard aggregation runs.
   * `zeroMetrics` are merged into a no_batches result.
   */
  aggregateBatchWorkerResults(
    this: BatchableMixin & Host,
    scenario: BatchAggregationScenario,
    zeroMetrics: Record<string, unknown> = {},
    aggregationFn?: (batchResults: { [workerName: string]: unknown }) => object,
  ): StepHandlerResult {
    if (aggregationFn !== undefined) {
      if (scenario.isNoBatches) return this.noBatchesAggregationResult(zeroMetrics);
      return succeed(this, { ...aggregationFn(scenario.batchResults), worker_count: scenario.workerCount, scenario: 'with_batches' });
    }
    const aggregation = aggregate({ batch_results: scenario.batchResults, scenario: scenario.scenario });
    return succeed(this, scenario.isNoBatches ? { ...aggregation, ...zeroMetrics } : aggregation);
  }

  /** aggregateBatchResults under upstream's static name. */
  static aggregateWorkerResults(workerResults: ReadonlyArray<object | null | undefined> | object, maxErrors = 100): BatchAggregationResult {
    return aggregateBatchResults(workerResults, maxErrors);
  }
}

/** The Batchable method names, in upstream's order. */
export const BATCHABLE_METHODS = [
  'createCursorConfig',
  'createCursorRanges',
  'createCursorConfigs',
  'createBatchOutcome',
  'createWorkerOutcome',
  'getBatchContext',
  'getBatchWorkerInputs',
  'handleNoOpWorker',
  'batchAnalyzerSuccess',
  'batchWorkerSuccess',
  'checkpointYield',
  'detectAggregationScenario',
  'noBatchesAggregationResult',
  'aggregateBatchWorkerResults',
] as const satisfies ReadonlyArray<keyof Batchable>;

/**
 * Gives `target` every Batchable method, bound to `target` (so results go through its `success`).
 *
 *     class Worker extends MyHostHandler { constructor() { super(); applyBatchable(this); } }
 */
export function applyBatchable<T extends object>(target: T): T & Batchable {
  const host = target as T & Record<string, unknown>;
  for (const name of BATCHABLE_METHODS) {
    (host as Record<string, unknown>)[name] = (BatchableMixin.prototype[name] as (...args: never[]) => unknown).bind(target);
  }
  return target as T & Batchable;
}

/**
 * A StepHandler with the Batchable methods, plus upstream's `batchSuccess` and `noBatchesResult`
 * for analyzers.
 */
export abstract class BatchableStepHandler extends StepHandler {
  /** An analyzer's result creating one worker per config (validated by the core). Takes RustCursorConfig or upstream's BatchWorkerConfig. */
  batchSuccess(workerTemplateName: string, configs: ReadonlyArray<RustCursorConfig | BatchWorkerConfig>, metadata: Record<string, unknown> = {}): StepHandlerResult {
    const cursorConfigs = configs.map((c) =>
      'cursor_start' in c ? { batch_id: c.batch_id, start_cursor: c.cursor_start, end_cursor: c.cursor_end, batch_size: c.row_count } : c,
    );
    const totalItems = cursorConfigs.reduce((sum, c) => sum + c.batch_size, 0);
    const outcome = validateOutcome({
      type: 'create_batches',
      worker_template_name: workerTemplateName,
      worker_count: cursorConfigs.length,
      cursor_configs: cursorConfigs,
      total_items: totalItems,
    });
    return this.success({ batch_processing_outcome: outcome, ...metadata }, metadata);
  }

  /** An analyzer's result for "nothing to do", with the reason when given. */
  noBatchesResult(reason?: string, metadata: Record<string, unknown> = {}): StepHandlerResult {
    const result: { [key: string]: unknown } = { batch_processing_outcome: { type: 'no_batches' }, ...metadata };
    if (reason !== undefined) result.reason = reason;
    return this.success(result, metadata);
  }
}

// The Batchable methods on BatchableStepHandler's prototype, shared with BatchableMixin (one body each).
export interface BatchableStepHandler extends Batchable {}
for (const name of BATCHABLE_METHODS) {
  Object.defineProperty(BatchableStepHandler.prototype, name, {
    value: BatchableMixin.prototype[name],
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
