'use strict';
// The baseline: a straightforward pure-JS implementation of the rules the package's calls run
// in Rust, as a Node user would write them without tasker-batch. Same inputs, same outputs (the
// bench checks that), the same checks on the values read, no crossing.

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const STRATEGIES = new Set(['continue_on_failure', 'fail_fast', 'isolate']);
const DEFAULT_METADATA = { cursor_field: 'id', failure_strategy: 'continue_on_failure' };

class BaselineError extends Error {
  constructor(code, path, message) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const count = (v, path) => {
  if (v === undefined || v === null) return 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new BaselineError('type_mismatch', path, `expected a count, found ${v}`);
  return v;
};

function kindOf(v) {
  if (Number.isSafeInteger(v)) return 'integer';
  if (typeof v === 'string') return UUID.test(v) ? 'uuid' : RFC3339.test(v) ? 'timestamp' : 'string';
  if (Array.isArray(v)) return 'tuple';
  if (isObject(v)) return 'composite';
  return 'other';
}

/** The worker context of a step {inputs, results?, checkpoint?}, with warnings. */
function workerContext(step, warnings = []) {
  if (!isObject(step) || !isObject(step.inputs)) throw new BaselineError('type_mismatch', 'inputs', 'expected an object');
  const inputs = step.inputs;
  const isNoOp = inputs.is_no_op === undefined ? false : inputs.is_no_op;
  if (typeof isNoOp !== 'boolean') throw new BaselineError('type_mismatch', 'inputs.is_no_op', 'expected a boolean');
  let metadata = DEFAULT_METADATA;
  if (inputs.batch_metadata !== undefined) {
    const m = inputs.batch_metadata;
    if (!isObject(m) || typeof m.cursor_field !== 'string' || !STRATEGIES.has(m.failure_strategy)) {
      throw new BaselineError('invalid_value', 'inputs.batch_metadata', 'expected batch metadata');
    }
    metadata = { cursor_field: m.cursor_field, failure_strategy: m.failure_strategy };
  }
  const cursor = inputs.cursor;
  if (!isObject(cursor) || Object.keys(cursor).length === 0) throw new BaselineError('missing_cursor', 'inputs.cursor', 'Missing cursor configuration');
  if (typeof cursor.batch_id !== 'string' || cursor.batch_id === '') throw new BaselineError('missing_batch_id', 'inputs.cursor.batch_id', 'Missing batch_id');
  if (!('start_cursor' in cursor)) throw new BaselineError('missing_field', 'inputs.cursor.start_cursor', 'Missing start_cursor');
  if (!('end_cursor' in cursor)) throw new BaselineError('missing_field', 'inputs.cursor.end_cursor', 'Missing end_cursor');
  const start = cursor.start_cursor;
  const end = cursor.end_cursor;
  const kind = kindOf(start);
  if (kind !== kindOf(end)) throw new BaselineError('mixed_cursor_kinds', 'inputs.cursor', 'expected cursors of one kind');
  let batchSize = cursor.batch_size;
  if (kind === 'integer') {
    if (start < 0) throw new BaselineError('negative_cursor', 'inputs.cursor.start_cursor', `start_cursor must be non-negative, got ${start}`);
    if (start > end) throw new BaselineError('invalid_range', 'inputs.cursor', `start_cursor (${start}) must be <= end_cursor (${end})`);
  }
  if (batchSize === undefined) {
    batchSize = kind === 'integer' ? end - start : null;
    warnings.push({ code: 'missing_batch_size', path: 'inputs.cursor.batch_size' });
  } else if (!Number.isSafeInteger(batchSize) || batchSize < 0 || batchSize > 4294967295) {
    throw new BaselineError('out_of_range', 'inputs.cursor.batch_size', 'expected an integer in 0..=4294967295');
  }
  const checkpoint = readCheckpoint(step, kind, start, end, warnings);
  return {
    batch_id: cursor.batch_id,
    start_cursor: start,
    end_cursor: end,
    batch_size: batchSize,
    cursor_kind: kind,
    cursor_field: metadata.cursor_field,
    failure_strategy: metadata.failure_strategy,
    batch_metadata: metadata,
    is_no_op: isNoOp,
    cursor,
    checkpoint,
    has_checkpoint: checkpoint !== null,
    resume_cursor: checkpoint === null ? start : checkpoint.cursor,
  };
}

function readCheckpoint(step, kind, start, end, warnings) {
  let checkpoint = null;
  const results = step.results;
  if (isObject(results) && results.checkpoint_cursor !== undefined && results.checkpoint_cursor !== null) {
    checkpoint = {
      cursor: results.checkpoint_cursor,
      cursor_kind: kindOf(results.checkpoint_cursor),
      items_processed: count(results.processed_count, 'results.processed_count'),
      accumulated_results: results.accumulated_results === undefined ? null : results.accumulated_results,
    };
  } else if (isObject(step.checkpoint) && step.checkpoint.cursor !== undefined) {
    checkpoint = {
      cursor: step.checkpoint.cursor,
      cursor_kind: kindOf(step.checkpoint.cursor),
      items_processed: count(step.checkpoint.items_processed, 'checkpoint.items_processed'),
      accumulated_results: step.checkpoint.accumulated_results === undefined ? null : step.checkpoint.accumulated_results,
    };
  }
  if (checkpoint === null) return null;
  if (kindOf(checkpoint.cursor) !== kind) warnings.push({ code: 'opaque_checkpoint', path: 'results.checkpoint_cursor' });
  else if (kind === 'integer' && (checkpoint.cursor < start || checkpoint.cursor > end)) warnings.push({ code: 'checkpoint_out_of_range', path: 'results.checkpoint_cursor' });
  return checkpoint;
}

/** The step's new results after `changes`, the checkpoint in them checked first. */
function updateStepResults(step, changes) {
  if (!isObject(changes)) throw new BaselineError('type_mismatch', 'changes', 'expected an object');
  const context = workerContext(step);
  if (changes.checkpoint_cursor !== undefined) {
    const cursor = changes.checkpoint_cursor;
    if (kindOf(cursor) !== context.cursor_kind) throw new BaselineError('checkpoint_kind_mismatch', 'changes.checkpoint_cursor', 'expected a checkpoint of the range\'s kind');
    if (context.cursor_kind === 'integer') {
      if (cursor < context.start_cursor || cursor > context.end_cursor) throw new BaselineError('checkpoint_out_of_range', 'changes.checkpoint_cursor', 'outside the range');
      if (context.checkpoint !== null && cursor < context.checkpoint.cursor) throw new BaselineError('checkpoint_backwards', 'changes.checkpoint_cursor', 'backwards');
    }
  }
  if (changes.processed_count !== undefined) {
    const processed = count(changes.processed_count, 'changes.processed_count');
    if (context.checkpoint !== null && processed < context.checkpoint.items_processed) throw new BaselineError('checkpoint_backwards', 'changes.processed_count', 'decreasing');
  }
  return Object.assign({}, isObject(step.results) ? step.results : {}, changes);
}

/** The standard aggregation of worker results (an array; nulls skipped; wrappers unwrapped). */
function aggregate(batchResults, maxErrors = 100) {
  let processed = 0;
  let succeeded = 0;
  let failed = 0;
  let skipped = 0;
  let batches = 0;
  let errorCount = 0;
  const errors = [];
  for (let i = 0; i < batchResults.length; i++) {
    let r = batchResults[i];
    if (r === null || r === undefined) continue;
    if (!isObject(r)) throw new BaselineError('type_mismatch', `batch_results[${i}]`, 'expected an object');
    if (isObject(r.result)) r = r.result;
    if (isObject(r.batch_worker_outcome)) r = r.batch_worker_outcome;
    batches++;
    processed += count(r.items_processed, `batch_results[${i}].items_processed`);
    succeeded += count(r.items_succeeded, `batch_results[${i}].items_succeeded`);
    failed += count(r.items_failed, `batch_results[${i}].items_failed`);
    skipped += count(r.items_skipped, `batch_results[${i}].items_skipped`);
    if (r.errors !== undefined && r.errors !== null) {
      if (!Array.isArray(r.errors)) throw new BaselineError('type_mismatch', `batch_results[${i}].errors`, 'expected an array');
      for (const e of r.errors) {
        if (errors.length < maxErrors) errors.push(e);
      }
      errorCount += r.errors.length;
    }
  }
  return {
    total_processed: processed,
    total_succeeded: succeeded,
    total_failed: failed,
    total_skipped: skipped,
    batch_count: batches,
    success_rate: processed > 0 ? succeeded / processed : 0,
    errors,
    error_count: errorCount,
    worker_count: batchResults.length,
    scenario: 'with_batches',
  };
}

module.exports = { workerContext, updateStepResults, aggregate, BaselineError };
