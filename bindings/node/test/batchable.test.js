'use strict';
// Upstream's Batchable helpers: the same methods through BatchableMixin, applyBatchable on a host
// with its own `success`, and BatchableStepHandler; an analyzer, a worker with checkpoints, the
// no-op placeholder and a convergence step.

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');

const tb = require('..');

// A host base of its own (as upstream's StepHandler would be), whose results look different.
class HostHandler {
  success(result, metadata) {
    return { host: true, success: true, result, metadata };
  }
}

class HostWorker extends HostHandler {
  constructor() {
    super();
    tb.applyBatchable(this);
  }
}

class Analyzer extends tb.BatchableStepHandler {
  call(context) {
    const total = context.inputData.total;
    if (total === 0) return this.noBatchesResult('empty_dataset', { total_rows: 0 });
    return this.batchSuccess('process_batch', this.createCursorConfigs(total, 3), { total_rows: total });
  }
}

class Worker extends tb.BatchableStepHandler {
  call(context) {
    const noOp = this.handleNoOpWorker(context);
    if (noOp) return noOp;
    const batch = this.getBatchContext(context);
    const from = batch.resumeCursor;
    const to = Math.min(from + 100, batch.endCursor);
    if (to < batch.endCursor) return this.checkpointYield(to, batch.checkpointItemsProcessed + (to - from), { rows: to - batch.startCursor });
    return this.batchWorkerSuccess(this.createWorkerOutcome(batch.endCursor - batch.startCursor));
  }
}

const stepContext = (inputs, extra = {}) => ({ stepInputs: inputs, inputData: {}, stepConfig: {}, ...extra });

describe('analyzers', () => {
  test('batchSuccess validates the outcome through the core and stores batch_processing_outcome', () => {
    const result = new Analyzer().call({ inputData: { total: 1000 } });
    assert.equal(result.success, true);
    const outcome = result.result.batch_processing_outcome;
    assert.deepEqual([outcome.type, outcome.worker_count, outcome.total_items], ['create_batches', 3, 1000]);
    assert.equal(result.result.total_rows, 1000);
  });

  test('noBatchesResult carries the reason', () => {
    const result = new Analyzer().call({ inputData: { total: 0 } });
    assert.deepEqual(result.result, { batch_processing_outcome: { type: 'no_batches' }, total_rows: 0, reason: 'empty_dataset' });
  });

  test("batchSuccess takes upstream's BatchWorkerConfig shape too", () => {
    const configs = [{ batch_id: '001', cursor_start: 0, cursor_end: 10, row_count: 10, worker_index: 0, total_workers: 1 }];
    const result = new Analyzer().batchSuccess('w', configs);
    assert.deepEqual(result.result.batch_processing_outcome.cursor_configs, [{ batch_id: '001', start_cursor: 0, end_cursor: 10, batch_size: 10 }]);
  });

  test('batchAnalyzerSuccess: a typed outcome is validated; an invalid one throws', () => {
    const mixin = new tb.BatchableMixin();
    const ok = mixin.batchAnalyzerSuccess(tb.createBatches('w', 1, tb.partitionByCount(10, 1), 10), { m: 1 });
    assert.deepEqual([ok.success, ok.result.batch_processing_outcome.worker_count, ok.metadata.m], [true, 1, 1]);
    const broken = { type: 'create_batches', worker_template_name: 'w', worker_count: 2, cursor_configs: tb.partitionByCount(10, 1), total_items: 10 };
    assert.throws(() => mixin.batchAnalyzerSuccess(broken), { code: 'worker_count_mismatch' });
  });

  test("the older camelCase helpers: createCursorConfig, createCursorRanges, createBatchOutcome, batchAnalyzerSuccess's older shape", () => {
    const mixin = new tb.BatchableMixin();
    assert.deepEqual(mixin.createCursorConfig('a', 'm'), { startCursor: 'a', endCursor: 'm', stepSize: 1, metadata: {} });
    assert.deepEqual(mixin.createCursorRanges(250, 100).map((c) => [c.startCursor, c.endCursor]), [[0, 100], [100, 200], [200, 250]]);
    assert.deepEqual(mixin.createCursorRanges(1000, 100, 1, 4).length, 4);
    const outcome = mixin.createBatchOutcome(250, 100, 1, { source: 's3' });
    assert.deepEqual([outcome.totalItems, outcome.cursorConfigs.length, outcome.batchMetadata], [250, 3, { source: 's3' }]);
    const result = mixin.batchAnalyzerSuccess(outcome);
    assert.deepEqual(result.result.batch_analyzer_outcome.cursor_configs[2], { start_cursor: 200, end_cursor: 250, step_size: 1, metadata: {} });
  });

  test('createCursorConfigs is the core partition (no empty trailing ranges)', () => {
    assert.deepEqual(new tb.BatchableMixin().createCursorConfigs(5, 10).map((c) => c.batch_id), ['001', '002', '003', '004', '005']);
  });
});

describe('workers', () => {
  const inputs = { cursor: { batch_id: '002', start_cursor: 100, end_cursor: 250, batch_size: 150 } };

  test('checkpointYield validates against the step getBatchContext read, then the worker finishes', () => {
    const worker = new Worker();
    const first = worker.call(stepContext(inputs));
    assert.deepEqual(first.result.type, 'checkpoint_yield');
    assert.deepEqual([first.result.cursor, first.result.items_processed], [200, 100]);
    assert.deepEqual(first.result.results, { checkpoint_cursor: 200, processed_count: 100, accumulated_results: { rows: 100 } });
    assert.deepEqual(first.metadata, { checkpoint_yield: true, batch_worker: true });
    // The host stored the checkpoint; the retry resumes there.
    const second = worker.call(stepContext(inputs, { checkpoint: { cursor: 200, items_processed: 100, accumulated_results: { rows: 100 } } }));
    assert.equal(second.result.items_processed, 150);
    assert.deepEqual(second.metadata, { batch_worker: true });
  });

  test('a checkpoint the core refuses throws and writes nothing', () => {
    const worker = new Worker();
    worker.getBatchContext(stepContext(inputs, { checkpoint: { cursor: 200, items_processed: 100 } }));
    assert.throws(() => worker.checkpointYield(150, 120), { code: 'checkpoint_backwards' });
    assert.throws(() => worker.checkpointYield(300, 120), { path: 'changes.checkpoint_cursor' });
  });

  test('checkpointYield before getBatchContext says so', () => {
    assert.throws(() => new Worker().checkpointYield(1, 1), { code: 'missing_field', path: 'workflow_step' });
  });

  test('the no-op placeholder returns a success at once, with batch_id "000"', () => {
    const plan = tb.expandOutcome({ batchable_step_name: 'a', worker_template_name: 'w', outcome: tb.noBatches() });
    const result = new Worker().call(stepContext(plan.workers[0].inputs));
    assert.deepEqual(result.result, { batch_id: '000', no_op: true, processed_count: 0, message: 'No batches to process' });
    assert.equal(new Worker().handleNoOpWorker(stepContext(inputs)), null);
  });

  test("getBatchContext reads upstream's older batch_context, and gives null without a batch", () => {
    const worker = new Worker();
    const batch = worker.getBatchContext({ stepConfig: { batch_context: { batch_id: '004', start_cursor: 0, end_cursor: 5, batch_size: 5 } } });
    assert.deepEqual([batch.batchId, batch.endCursor], ['004', 5]);
    assert.equal(worker.getBatchContext({ stepInputs: {}, inputData: {}, stepConfig: {} }), null);
    assert.equal(worker.getBatchContext({ inputs: inputs }).batchId, '002');
  });

  test('getBatchWorkerInputs gives the canonical inputs, or null', () => {
    const worker = new Worker();
    assert.deepEqual(worker.getBatchWorkerInputs(stepContext(inputs)).batch_metadata, { cursor_field: 'id', failure_strategy: 'continue_on_failure' });
    assert.equal(worker.getBatchWorkerInputs(stepContext({})), null);
  });

  test('createWorkerOutcome and batchWorkerSuccess: the counters at the top, an explicit 0 kept', () => {
    const mixin = new tb.BatchableMixin();
    const outcome = mixin.createWorkerOutcome(10, 0, 10, 0, [], [{ row: 1 }], 99);
    assert.equal(outcome.itemsSucceeded, 0);
    const result = mixin.batchWorkerSuccess(outcome, { run: 1 });
    assert.deepEqual(result.result, { items_processed: 10, items_succeeded: 0, items_failed: 10, items_skipped: 0, results: [], errors: [{ row: 1 }], last_cursor: 99 });
    assert.deepEqual(result.metadata, { batch_worker: true, run: 1 });
  });

  test("applyBatchable: the helpers return the host's own results", () => {
    const host = new HostWorker();
    host.getBatchContext(stepContext(inputs));
    const result = host.checkpointYield(150, 50);
    assert.equal(result.host, true);
    assert.equal(host.batchWorkerSuccess({ itemsProcessed: 3 }).host, true);
  });
});

describe('convergence', () => {
  function deps() {
    return {
      analyze: { result: { batch_processing_outcome: tb.createBatches('w', 2, tb.partitionByCount(20, 2), 20) } },
      w_001: { items_processed: 10, items_succeeded: 9, items_failed: 1, errors: [{ row: 3 }], amount: 5 },
      w_002: { result: { items_processed: 10, items_succeeded: 10, items_failed: 0, amount: 7 } },
    };
  }

  test('aggregateBatchWorkerResults without a function runs the core aggregation', () => {
    const handler = new Worker();
    const scenario = handler.detectAggregationScenario(deps(), 'analyze', 'w_');
    const result = handler.aggregateBatchWorkerResults(scenario);
    assert.deepEqual([result.result.total_processed, result.result.total_failed, result.result.worker_count, result.result.scenario], [20, 1, 2, 'with_batches']);
  });

  test('with a function it aggregates, as upstream', () => {
    const handler = new Worker();
    const scenario = handler.detectAggregationScenario(deps(), 'analyze', 'w_');
    const result = handler.aggregateBatchWorkerResults(scenario, {}, (results) => ({ names: Object.keys(results).sort() }));
    assert.deepEqual(result.result, { names: ['w_001', 'w_002'], worker_count: 2, scenario: 'with_batches' });
  });

  test('no_batches: noBatchesAggregationResult with the zero metrics', () => {
    const handler = new Worker();
    const scenario = handler.detectAggregationScenario({ analyze: { batch_processing_outcome: { type: 'no_batches' } }, w_000: {} }, 'analyze', 'w_');
    assert.deepEqual(handler.aggregateBatchWorkerResults(scenario, { total_amount: 0 }, () => ({})).result, { worker_count: 0, scenario: 'no_batches', total_amount: 0 });
    assert.deepEqual(handler.noBatchesAggregationResult().result, { worker_count: 0, scenario: 'no_batches' });
    const standard = handler.aggregateBatchWorkerResults(scenario, { total_amount: 0 }).result;
    assert.deepEqual([standard.total_processed, standard.scenario, standard.total_amount], [0, 'no_batches', 0]);
  });

  test('the static aggregateWorkerResults', () => {
    const { w_001, w_002 } = deps();
    assert.equal(tb.BatchableMixin.aggregateWorkerResults([w_001, w_002], 0).error_count, 1);
  });

  test('BatchableStepHandler has every Batchable method, shared with BatchableMixin', () => {
    for (const name of tb.BATCHABLE_METHODS) {
      assert.equal(tb.BatchableStepHandler.prototype[name], tb.BatchableMixin.prototype[name], name);
    }
  });
});
