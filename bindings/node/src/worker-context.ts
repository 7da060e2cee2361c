// A worker's view of its own step: the core reads the step (range, metadata, checkpoint, the
// tolerant-reading warnings) and this class names what it read, under upstream's accessors.

import { callWithWarnings, CallOptions, report } from './call';
import type { Diagnostic } from './errors';
import type { BatchMetadata, Checkpoint, CursorConfig, FailureStrategy, RustCursorConfig, WorkerContextData, WorkerStepData } from './types';

/**
 * What a worker reads about its batch. Built by the core's `worker_context` operation; the
 * accessors only name its fields. Upstream's accessors (`batchId`, `startCursor`, `endCursor`,
 * `stepSize`, `checkpointCursor`, `accumulatedResults`, `checkpointItemsProcessed`,
 * `hasCheckpoint()`) are here, with cursors of any kind (`unknown`).
 */
export class BatchWorkerContext {
  /** The core's output, snake_case, as it came. */
  readonly data: WorkerContextData;
  /** What the core noticed while reading (missing_batch_size, opaque_checkpoint, …). */
  readonly warnings: readonly Diagnostic[];

  constructor(data: WorkerContextData, warnings: readonly Diagnostic[] = []) {
    this.data = data;
    this.warnings = warnings;
  }

  /** The batch's id ("001"; "000" for the no-op placeholder). */
  get batchId(): string {
    return this.data.batch_id;
  }
  /** Inclusive start of the range, of any JSON kind. */
  get startCursor(): unknown {
    return this.data.start_cursor;
  }
  /** Exclusive end of the range. */
  get endCursor(): unknown {
    return this.data.end_cursor;
  }
  /** Items in the range; null when the inputs had none and the cursors are not integers. */
  get batchSize(): number | null {
    return this.data.batch_size;
  }
  /** The cursors' kind as the core classified them: integer, uuid, timestamp, string, composite, … */
  get cursorKind(): string {
    return this.data.cursor_kind;
  }
  /** The cursor config as stored (caller keys kept). */
  get cursor(): RustCursorConfig {
    return this.data.cursor;
  }
  /** Upstream's step size: the cursor's `step_size` key when it has one, else 1. */
  get stepSize(): number {
    const step = (this.data.cursor as unknown as { step_size?: unknown }).step_size;
    return typeof step === 'number' ? step : 1;
  }
  /** Upstream's camelCase range. */
  get cursorConfig(): CursorConfig {
    const { batch_id: _id, start_cursor: _start, end_cursor: _end, batch_size: _size, step_size: _step, ...metadata } = this.data.cursor as unknown as Record<string, unknown>;
    return { startCursor: this.data.start_cursor, endCursor: this.data.end_cursor, stepSize: this.stepSize, metadata };
  }
  get batchMetadata(): BatchMetadata {
    return this.data.batch_metadata;
  }
  get cursorField(): string {
    return this.data.cursor_field;
  }
  get failureStrategy(): FailureStrategy {
    return this.data.failure_strategy;
  }
  /** True for the `_000` placeholder of a no_batches outcome: return handleNoOpWorker's result. */
  get isNoOp(): boolean {
    return this.data.is_no_op;
  }
  /** Upstream's checkpoint object `{cursor, items_processed, accumulated_results}`; `{}` when there is none. */
  get checkpoint(): Checkpoint | Record<string, never> {
    return this.data.checkpoint ?? {};
  }
  /** Where a previous attempt stopped, or undefined. */
  get checkpointCursor(): unknown {
    return this.data.checkpoint === null ? undefined : this.data.checkpoint.cursor;
  }
  /** The running totals a previous attempt carried, or undefined. */
  get accumulatedResults(): unknown {
    const accumulated = this.data.checkpoint?.accumulated_results;
    return accumulated === null ? undefined : accumulated;
  }
  /** Items the checkpoint says were processed; 0 without one. */
  get checkpointItemsProcessed(): number {
    return this.data.checkpoint?.items_processed ?? 0;
  }
  /** Where to start: the checkpoint's cursor, else the range's start. */
  get resumeCursor(): unknown {
    return this.data.resume_cursor;
  }
  hasCheckpoint(): boolean {
    return this.data.has_checkpoint;
  }
  /** The core's output, for storing or comparing. */
  toJSON(): WorkerContextData {
    return this.data;
  }
}

/**
 * Reads a worker's context through the core. `step` is the worker step's data
 * `{inputs, results?, checkpoint?}`, or its inputs alone (`{cursor, batch_metadata?, is_no_op?}`),
 * or upstream's older batch data (`{batch_id, start_cursor, end_cursor, …}` or
 * `{batch_id, cursor_config: {start_cursor, …}}`), which is reshaped into the inputs it
 * describes, nothing added. `checkpoint` (upstream's second argument, `{cursor, items_processed,
 * accumulated_results}`) is the step's newer checkpoint field.
 *
 * Throws ValidationError when the core cannot read the step (a missing cursor, `batch_id`, …);
 * warnings go to `options.onWarning` and stay on the context's `warnings`.
 */
export function createBatchWorkerContext(step: object, checkpoint?: object | null, options?: CallOptions): BatchWorkerContext {
  const { value, warnings } = callWithWarnings<WorkerContextData>('worker_context', stepData(step, checkpoint));
  report(warnings, options);
  return new BatchWorkerContext(value, warnings);
}

/** The step data the core reads, from any of the forms createBatchWorkerContext takes. */
export function stepData(step: object, checkpoint?: object | null): WorkerStepData {
  const given = step as Partial<WorkerStepData> & Record<string, unknown>;
  let data: WorkerStepData;
  if ('inputs' in given) data = given as WorkerStepData;
  else if ('cursor' in given) data = { inputs: given };
  else data = { inputs: upstreamInputs(given) };
  if (checkpoint !== undefined && checkpoint !== null) data = { ...data, checkpoint };
  return data;
}

// Upstream's createBatchWorkerContext read `{batch_id, cursor_config?: {...}, batch_metadata?}`
// (or the cursor keys flat beside batch_id). The same keys, in the inputs' places.
function upstreamInputs(batchData: Record<string, unknown>): object {
  const nested = batchData.cursor_config;
  const { cursor_config: _nested, batch_metadata, ...flat } = batchData;
  const cursor = nested !== null && typeof nested === 'object' ? { batch_id: batchData.batch_id, ...(nested as object) } : flat;
  return batch_metadata === undefined ? { cursor } : { cursor, batch_metadata };
}
