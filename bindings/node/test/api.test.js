'use strict';
// Every public name of the package, one test each (a guard fails when a name has none): the
// typed functions over the core's operations, the worker context, checkpoints, convergence.

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');

const tb = require('..');

const WORKER_STEP = {
  inputs: {
    cursor: { batch_id: '002', start_cursor: 334, end_cursor: 668, batch_size: 334 },
    batch_metadata: { cursor_field: 'id', failure_strategy: 'continue_on_failure' },
    is_no_op: false,
  },
  results: { checkpoint_cursor: 400, processed_count: 66 },
};

function dependencyResults() {
  return {
    analyze: {
      result: {
        batch_processing_outcome: tb.createBatches('process_batch', 2, tb.partitionByCount(1000, 2), 1000),
      },
    },
    process_batch_001: { items_processed: 500, items_succeeded: 498, items_failed: 2, errors: [{ row: 17 }] },
    process_batch_002: { result: { items_processed: 500, items_succeeded: 500, items_failed: 0 } },
  };
}

const quiet = { onWarning: () => {} };

// name -> the test of that name.
const TESTS = {
  TaskerBatchError() {
    const e = new tb.TaskerBatchError('internal_error', '', 'boom');
    assert.ok(e instanceof Error);
    assert.deepEqual([e.name, e.code, e.path, e.message], ['TaskerBatchError', 'internal_error', '', 'boom']);
  },
  ValidationError() {
    assert.throws(() => tb.validateCursorConfig({ batch_id: 7 }), (e) => e instanceof tb.ValidationError && e instanceof tb.TaskerBatchError && e.path === 'batch_id');
  },
  call() {
    assert.deepEqual(tb.call('reset_for_retry', { results: { checkpoint_cursor: 3, processed_count: 3, x: 1 } }), { checkpoint_cursor: 3, processed_count: 3 });
  },
  callWithWarnings() {
    const { value, warnings } = tb.callWithWarnings('validate_batch_metadata', { cursor_field: 'id', failure_strategy: 'FailFast' });
    assert.equal(value.failure_strategy, 'fail_fast');
    assert.deepEqual(warnings.map((w) => w.code), ['non_canonical_spelling']);
  },
  callJson() {
    assert.match(tb.callJson('validate_outcome', '{"type":"no_batches"}'), /^\{"ok":true,"value":\{"type":"no_batches"\}/);
  },
  version() {
    assert.match(tb.version(), /^\d+\.\d+\.\d+$/);
  },
  libraryPath() {
    assert.match(tb.libraryPath(), /tasker_batch/);
  },
  parse() {
    assert.deepEqual(tb.parse('[1, 12345678901234567890]'), [1, 12345678901234567890n]);
  },
  stringify() {
    assert.equal(tb.stringify({ n: 12345678901234567890n }), '{"n":12345678901234567890}');
  },
  operations() {
    const names = tb.operations();
    for (const op of ['partition', 'worker_context', 'update_step_results', 'aggregate', 'converge']) assert.ok(names.includes(op), op);
  },
  noBatches() {
    assert.deepEqual(tb.noBatches(), { type: 'no_batches' });
  },
  createBatches() {
    const outcome = tb.createBatches('process_batch', 3, tb.partitionByCount(1000, 3), 1000);
    assert.equal(outcome.type, 'create_batches');
    assert.deepEqual(outcome.cursor_configs.map((c) => c.batch_size), [334, 334, 332]);
    assert.throws(() => tb.createBatches('process_batch', 3, tb.partitionByCount(10, 1), 10), { code: 'worker_count_mismatch', path: 'worker_count' });
  },
  isNoBatches() {
    assert.equal(tb.isNoBatches(tb.noBatches()), true);
    assert.equal(tb.isNoBatches(tb.createBatches('w', 1, tb.partitionByCount(5, 1), 5)), false);
  },
  isCreateBatches() {
    assert.equal(tb.isCreateBatches(tb.createBatches('w', 1, tb.partitionByCount(5, 1), 5)), true);
    assert.equal(tb.isCreateBatches(tb.noBatches()), false);
  },
  validateOutcome() {
    const seen = [];
    const outcome = {
      type: 'create_batches',
      worker_template_name: 'w',
      worker_count: 2,
      cursor_configs: [
        { batch_id: '001', start_cursor: 0, end_cursor: 300, batch_size: 300 },
        { batch_id: '002', start_cursor: 334, end_cursor: 1000, batch_size: 666 },
      ],
      total_items: 966,
    };
    assert.deepEqual(tb.validateOutcome(outcome, { onWarning: (w) => seen.push([w.code, w.path]) }), outcome);
    assert.deepEqual(seen, [['range_gap', 'cursor_configs[1]']]);
  },
  validateCursorConfig() {
    const config = { batch_id: 'eu', start_cursor: { region: 'eu', page: 0 }, end_cursor: { region: 'eu', page: 50 }, batch_size: 50 };
    assert.deepEqual(tb.validateCursorConfig(config), config);
  },
  validateBatchMetadata() {
    assert.deepEqual(tb.validateBatchMetadata({ cursor_field: 'row', failure_strategy: 'isolate' }), { cursor_field: 'row', failure_strategy: 'isolate' });
  },
  validateWorkerInputs() {
    const inputs = tb.validateWorkerInputs({ cursor: WORKER_STEP.inputs.cursor });
    assert.deepEqual(inputs.batch_metadata, { cursor_field: 'id', failure_strategy: 'continue_on_failure' });
    assert.equal(inputs.is_no_op, false);
  },
  expandOutcome() {
    const plan = tb.expandOutcome({ batchable_step_name: 'analyze', worker_template_name: 'w', convergence_step_names: ['agg'], outcome: tb.noBatches() });
    assert.deepEqual(plan.workers.map((w) => w.name), ['w_000']);
    assert.equal(plan.workers[0].inputs.is_no_op, true);
  },
  partition() {
    assert.deepEqual(tb.partition({ strategy: 'integer_by_size', total_items: 250, batch_size: 100 }).map((c) => c.batch_size), [100, 100, 50]);
  },
  partitionByCount() {
    assert.deepEqual(tb.partitionByCount(5, 10).length, 5);
    assert.deepEqual(tb.partitionByCount(0, 3), []);
    assert.deepEqual(tb.partitionByCount(10, 2, 100)[1], { batch_id: '002', start_cursor: 105, end_cursor: 110, batch_size: 5 });
  },
  partitionBySize() {
    assert.deepEqual(tb.partitionBySize(1000, 100, 4).map((c) => c.batch_size), [250, 250, 250, 250]);
  },
  partitionUuids() {
    const configs = tb.partitionUuids(4);
    assert.equal(configs[1].start_cursor, '40000000-0000-0000-0000-000000000000');
  },
  partitionTimestamps() {
    const configs = tb.partitionTimestamps('2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z', { count: 2 });
    assert.deepEqual(configs.map((c) => c.end_cursor), ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z']);
    assert.equal(tb.partitionTimestamps('2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z', { stepSeconds: 900 }).length, 4);
  },
  partitionBoundaries() {
    assert.deepEqual(tb.partitionBoundaries(['a', 'm', 'z']).map((c) => [c.start_cursor, c.end_cursor]), [['a', 'm'], ['m', 'z']]);
  },
  BatchWorkerContext() {
    const ctx = tb.createBatchWorkerContext(WORKER_STEP);
    assert.ok(ctx instanceof tb.BatchWorkerContext);
    assert.deepEqual(
      [ctx.batchId, ctx.startCursor, ctx.endCursor, ctx.batchSize, ctx.stepSize, ctx.cursorKind, ctx.cursorField, ctx.failureStrategy, ctx.isNoOp],
      ['002', 334, 668, 334, 1, 'integer', 'id', 'continue_on_failure', false],
    );
    assert.deepEqual([ctx.checkpointCursor, ctx.checkpointItemsProcessed, ctx.accumulatedResults, ctx.resumeCursor, ctx.hasCheckpoint()], [400, 66, undefined, 400, true]);
    assert.deepEqual(ctx.cursorConfig, { startCursor: 334, endCursor: 668, stepSize: 1, metadata: {} });
    assert.deepEqual(ctx.checkpoint, { cursor: 400, cursor_kind: 'integer', items_processed: 66, accumulated_results: null });
    assert.deepEqual(ctx.cursor, WORKER_STEP.inputs.cursor);
    assert.deepEqual(ctx.batchMetadata, WORKER_STEP.inputs.batch_metadata);
    assert.deepEqual(ctx.warnings, []);
    assert.equal(JSON.parse(JSON.stringify(ctx)).resume_cursor, 400);
  },
  createBatchWorkerContext() {
    // The inputs alone, and upstream's older (batchData, checkpoint) form, nested and flat.
    const inputs = tb.createBatchWorkerContext(WORKER_STEP.inputs);
    assert.equal(inputs.hasCheckpoint(), false);
    assert.equal(inputs.resumeCursor, 334);
    const nested = tb.createBatchWorkerContext(
      { batch_id: '007', cursor_config: { start_cursor: 'a', end_cursor: 'm', batch_size: 12, step_size: 2 } },
      { cursor: 'f', items_processed: 5, accumulated_results: { seen: 5 } },
    );
    assert.deepEqual([nested.batchId, nested.startCursor, nested.endCursor, nested.stepSize], ['007', 'a', 'm', 2]);
    assert.deepEqual([nested.checkpointCursor, nested.checkpointItemsProcessed, nested.accumulatedResults], ['f', 5, { seen: 5 }]);
    const flat = tb.createBatchWorkerContext({ batch_id: '008', start_cursor: 0, end_cursor: 10, batch_size: 10 });
    assert.deepEqual([flat.batchId, flat.endCursor, flat.checkpointCursor, flat.checkpointItemsProcessed], ['008', 10, undefined, 0]);
    // Upstream defaulted a missing cursor to 0; the core says what is missing.
    assert.throws(() => tb.createBatchWorkerContext({ batch_id: '009', cursor_config: { end_cursor: 10, batch_size: 10 } }), { path: 'inputs.cursor.start_cursor' });
    assert.throws(() => tb.createBatchWorkerContext({ inputs: { is_no_op: false } }), { code: 'missing_cursor', path: 'inputs.cursor', message: /^Missing cursor configuration/ });
  },
  updateStepResults() {
    const results = tb.updateStepResults(WORKER_STEP, { checkpoint_cursor: 600, processed_count: 266, note: 'x' });
    assert.deepEqual(results, { checkpoint_cursor: 600, processed_count: 266, note: 'x' });
    assert.throws(() => tb.updateStepResults(WORKER_STEP, { checkpoint_cursor: 350 }), { code: 'checkpoint_backwards', path: 'changes.checkpoint_cursor' });
    assert.deepEqual(WORKER_STEP.results, { checkpoint_cursor: 400, processed_count: 66 }, 'the step is never changed');
  },
  writeCheckpoint() {
    const results = tb.writeCheckpoint(WORKER_STEP, { cursor: 500, itemsProcessed: 166, accumulatedResults: { revenue: 12 } });
    assert.deepEqual(results, { checkpoint_cursor: 500, processed_count: 166, accumulated_results: { revenue: 12 } });
    assert.throws(() => tb.writeCheckpoint(WORKER_STEP, { cursor: 700, itemsProcessed: 400 }), { path: 'changes.checkpoint_cursor' });
  },
  resetForRetry() {
    assert.deepEqual(tb.resetForRetry({ results: { checkpoint_cursor: 600, processed_count: 266, error: 'reset' } }), { checkpoint_cursor: 600, processed_count: 266 });
  },
  detectAggregationScenario() {
    const scenario = tb.detectAggregationScenario(dependencyResults(), 'analyze', 'process_batch_');
    assert.deepEqual([scenario.isNoBatches, scenario.scenario, scenario.workerCount], [false, 'with_batches', 2]);
    assert.deepEqual(scenario.workerNames, ['process_batch_001', 'process_batch_002']);
    assert.equal(scenario.outcome.type, 'create_batches');
    const none = tb.detectAggregationScenario(
      { analyze: { batch_processing_outcome: tb.noBatches() }, process_batch_000: { no_op: true } },
      'analyze',
      'process_batch_',
    );
    assert.deepEqual([none.isNoBatches, none.workerCount, none.batchResults], [true, 0, {}]);
    assert.throws(() => tb.detectAggregationScenario({ other: {} }, 'analyze', 'process_batch_'), { path: 'dependency_results' });
  },
  detectScenario() {
    const out = tb.detectScenario({ dependency_results: dependencyResults(), batchable_step_name: 'analyze', worker_prefix: 'process_batch_' });
    assert.equal(out.worker_count, 2);
  },
  aggregateBatchResults() {
    const { process_batch_001: a, process_batch_002: b } = dependencyResults();
    const summary = tb.aggregateBatchResults([a, null, undefined, b]);
    assert.deepEqual(
      [summary.total_processed, summary.total_succeeded, summary.total_failed, summary.batch_count, summary.success_rate, summary.error_count],
      [1000, 998, 2, 2, 0.998, 1],
    );
    assert.deepEqual(tb.aggregateBatchResults({ a, b }, 0, { reducers: { items_failed: 'max' } }).custom, { items_failed: 2 });
    assert.deepEqual(tb.aggregateBatchResults([a, a, a], 2, quiet).errors.length, 2);
  },
  aggregate() {
    assert.equal(tb.aggregate({ batch_results: [], scenario: 'no_batches' }).scenario, 'no_batches');
  },
  converge() {
    const deps = dependencyResults();
    delete deps.process_batch_002;
    const result = tb.converge({ dependency_results: deps, batchable_step_name: 'analyze', worker_prefix: 'process_batch_', failure_strategy: 'isolate' });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(result.failed_batches.map((f) => [f.batch_id, f.start_cursor, f.end_cursor]), [['002', 500, 1000]]);
    assert.equal(result.coverage.complete, false);
    const failFast = tb.converge({ dependency_results: deps, batchable_step_name: 'analyze', worker_prefix: 'process_batch_', failure_strategy: 'fail_fast' });
    assert.equal(failFast.status, 'failed');
  },
  redrive() {
    const configs = tb.partitionByCount(1000, 2);
    const plan = tb.redrive({
      batchable_step_name: 'analyze', worker_template_name: 'process_batch', convergence_step_names: ['aggregate'],
      cursor_configs: configs, failed_batches: [{ batch_id: '002', checkpoint_cursor: 700, processed_count: 200 }], pieces: 3,
    });
    assert.deepEqual(plan.cursor_configs.map((c) => [c.batch_id, c.start_cursor, c.end_cursor, c.parent_batch_id]), [
      ['002.1', 700, 800, '002'], ['002.2', 800, 900, '002'], ['002.3', 900, 1000, '002'],
    ]);
    assert.deepEqual(plan.workers.map((w) => w.name), ['process_batch_002.1', 'process_batch_002.2', 'process_batch_002.3']);
    assert.deepEqual(plan.redriven[0].done, { start_cursor: 500, end_cursor: 700 });
  },
  StepHandler() {
    class Echo extends tb.StepHandler {
      call(context) {
        return this.success({ got: context.inputData }, { m: 1 });
      }
    }
    assert.deepEqual(new Echo().call({ inputData: { a: 1 } }), { success: true, result: { got: { a: 1 } }, metadata: { m: 1 } });
    assert.equal(new Echo().failure('no', 'bad', false).retryable, false);
  },
  StepHandlerResult() {
    assert.deepEqual(tb.StepHandlerResult.failure('x'), { success: false, result: {}, metadata: {}, errorMessage: 'x', errorType: 'handler_error', retryable: true });
  },
  // BatchableMixin, applyBatchable, BatchableStepHandler and BATCHABLE_METHODS: test/batchable.test.js.
  BatchableMixin() {
    assert.equal(typeof tb.BatchableMixin.aggregateWorkerResults, 'function');
  },
  applyBatchable() {
    const host = tb.applyBatchable({});
    for (const name of tb.BATCHABLE_METHODS) assert.equal(typeof host[name], 'function', name);
  },
  BatchableStepHandler() {
    assert.equal(typeof tb.BatchableStepHandler.prototype.checkpointYield, 'function');
  },
  BATCHABLE_METHODS() {
    assert.equal(tb.BATCHABLE_METHODS.length, 14);
  },
};

describe('every public name', () => {
  test('the exports are the tested names, and only those', () => {
    assert.deepEqual(Object.keys(tb).sort(), Object.keys(TESTS).sort());
  });
  for (const [name, run] of Object.entries(TESTS)) test(name, run);
});
