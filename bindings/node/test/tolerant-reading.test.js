'use strict';
// The core's tolerant reading (issue 8: strict about what is written, tolerant about what a worker
// or a convergence step reads, with a warning), as the package hands it on: nothing here decides,
// the warnings come from the core.

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');

const tb = require('..');


const quiet = { onWarning: () => {} };
const INTEGER_INPUTS = { cursor: { batch_id: '003', start_cursor: 10, end_cursor: 25 } };

describe('tolerant reading through the package', () => {
  test('worker inputs without batch_size: end - start, with the warning', () => {
    const ctx = tb.createBatchWorkerContext({ inputs: INTEGER_INPUTS }, null, quiet);
    assert.equal(ctx.batchSize, 15);
    assert.deepEqual(ctx.warnings.map((w) => w.code), ['missing_batch_size']);
    const strings = tb.createBatchWorkerContext({ inputs: { cursor: { batch_id: '1', start_cursor: 'a', end_cursor: 'm' } } }, null, quiet);
    assert.equal(strings.batchSize, null);
    // Upstream's older batch data never had batch_size.
    const older = tb.createBatchWorkerContext({ batch_id: '004', cursor_config: { start_cursor: 0, end_cursor: 100, step_size: 10 } }, null, quiet);
    assert.deepEqual([older.batchSize, older.stepSize], [100, 10]);
  });

  test('an opaque checkpoint token on an integer range reads, with the warning', () => {
    const step = { inputs: { cursor: { ...INTEGER_INPUTS.cursor, batch_size: 15 } }, checkpoint: { cursor: { page: 5 }, items_processed: 7 } };
    const warnings = [];
    const ctx = tb.createBatchWorkerContext(step, null, { onWarning: (w) => warnings.push(w.code) });
    assert.deepEqual(ctx.resumeCursor, { page: 5 });
    assert.deepEqual(ctx.checkpointCursor, { page: 5 });
    assert.ok(warnings.includes('opaque_checkpoint'), warnings.join(', '));
    assert.deepEqual(ctx.warnings.map((w) => w.code), warnings);
  });

  test("createBatches' length mismatch has upstream's message", () => {
    const configs = tb.partitionByCount(10, 1);
    try {
      tb.createBatches('w', 3, configs, 10);
      assert.fail('no error');
    } catch (e) {
      assert.equal(e.message, 'cursor_configs length (1) must equal worker_count (3)');
      assert.deepEqual([e.code, e.path], ['worker_count_mismatch', 'worker_count']);
    }
  });

  test('detection reads a partial outcome by its type, with a warning', () => {
    const deps = { analyze: { batch_processing_outcome: { type: 'create_batches' } }, w_001: { items_processed: 1 } };
    const scenario = tb.detectAggregationScenario(deps, 'analyze', 'w_', quiet);
    assert.deepEqual([scenario.scenario, scenario.workerNames], ['with_batches', ['w_001']]);
    assert.ok(scenario.warnings.length > 0);
  });
});
