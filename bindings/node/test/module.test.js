'use strict';
// The module's own API: values in and out, exact integers, errors, warnings, the edges of the
// C ABI as Node sees them.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');

const taskerBatch = require('..');
const { TaskerBatchError, ValidationError } = taskerBatch;

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BY_COUNT = { strategy: 'integer_by_count', total_items: 1000, worker_count: 3 };

function gapOutcome() {
  return {
    type: 'create_batches',
    worker_template_name: 'process_batch',
    worker_count: 2,
    cursor_configs: [
      { batch_id: '001', start_cursor: 0, end_cursor: 300, batch_size: 300 },
      { batch_id: '002', start_cursor: 334, end_cursor: 1000, batch_size: 666 },
    ],
    total_items: 966,
  };
}

describe('call', () => {
  test("returns the operation's value", () => {
    const configs = taskerBatch.call('partition', BY_COUNT);
    assert.deepEqual(configs.map((c) => c.batch_size), [334, 334, 332]);
    assert.deepEqual(configs[0], { batch_id: '001', start_cursor: 0, end_cursor: 334, batch_size: 334 });
  });

  test('keeps integers beyond 2^53 exact, as BigInt both ways', () => {
    const start = 170141183460469231731687303715884105000n;
    const configs = taskerBatch.call('partition', { strategy: 'integer_by_count', total_items: 10, worker_count: 2, start });
    assert.deepEqual(
      configs.map((c) => [c.start_cursor, c.end_cursor]),
      [[start, start + 5n], [start + 5n, start + 10n]],
    );
    assert.equal(configs[0].batch_size, 5); // safe integers stay Numbers
  });

  test('returns warnings beside the value', () => {
    const result = taskerBatch.callWithWarnings('validate_outcome', gapOutcome());
    assert.equal(result.value.total_items, 966);
    assert.deepEqual(result.warnings.map((w) => [w.code, w.path]), [['range_gap', 'cursor_configs[1]']]);
    assert.ok(result.warnings.every((w) => w.message.length > 0));
  });

  test('refuses what JSON cannot carry instead of sending null', () => {
    assert.throws(() => taskerBatch.call('aggregate', { batch_results: [{ items_processed: NaN }] }), TypeError);
    const cycle = {};
    cycle.self = cycle;
    assert.throws(() => taskerBatch.call('aggregate', cycle), TypeError);
  });
});

describe('errors', () => {
  test('bad input throws a ValidationError with code, path and message', () => {
    const outcome = { ...gapOutcome(), worker_count: 3 };
    assert.throws(
      () => taskerBatch.call('validate_outcome', outcome),
      (error) => {
        assert.ok(error instanceof ValidationError);
        assert.ok(error instanceof TaskerBatchError);
        assert.ok(error instanceof Error);
        assert.equal(error.name, 'ValidationError');
        assert.deepEqual([error.code, error.path], ['worker_count_mismatch', 'worker_count']);
        assert.match(error.detail, /cursor_configs length \(2\) must equal worker_count \(3\)/);
        assert.ok(error.message.startsWith('worker_count_mismatch at worker_count: '));
        assert.deepEqual(error.warnings, []);
        return true;
      },
    );
  });

  test('an unknown operation is a ValidationError at the root', () => {
    assert.throws(
      () => taskerBatch.call('no_such_operation', {}),
      (error) => error instanceof ValidationError && error.code === 'unknown_operation' && error.path === '',
    );
  });
});

describe('callJson', () => {
  test('returns the envelope as the core wrote it', () => {
    const text = taskerBatch.callJson('partition', JSON.stringify(BY_COUNT));
    assert.ok(text.startsWith('{"ok":true,"value":[{"batch_id":"001","start_cursor":0,'), text);
    assert.ok(text.endsWith('],"warnings":[]}'), text);
  });

  test('keeps the exact text of numbers', () => {
    const text = taskerBatch.callJson('update_step_results', '{"step":{"results":{}},"changes":{"ratio":0.30000000000000000001}}');
    assert.equal(text, '{"ok":true,"value":{"ratio":0.30000000000000000001},"warnings":[]}');
  });

  test('reports malformed JSON as an error envelope', () => {
    const envelope = JSON.parse(taskerBatch.callJson('validate_outcome', '{"type":'));
    assert.equal(envelope.ok, false);
    assert.deepEqual([envelope.error.code, envelope.error.path], ['invalid_json', '']);
  });

  test('sends non-ASCII text as UTF-8', () => {
    const text = taskerBatch.callJson('reset_for_retry', '{"results":{"checkpoint_cursor":"é😀","processed_count":1}}');
    assert.equal(text, '{"ok":true,"value":{"checkpoint_cursor":"é😀","processed_count":1},"warnings":[]}');
  });

  test('refuses a NUL or a lone surrogate instead of sending other text', () => {
    assert.throws(() => taskerBatch.callJson('validate_outcome', '{"type":"no_batches"}\0garbage'), /U\+0000/);
    assert.throws(() => taskerBatch.callJson('partition\0', '{}'), /U\+0000/);
    assert.throws(() => taskerBatch.callJson('validate_outcome', '{"type":"\uD800"}'), /lone surrogate/);
    assert.throws(() => taskerBatch.callJson('partition', null), TypeError);
  });

  test('frees every envelope (memory stays flat over many calls)', () => {
    const big = JSON.stringify({ strategy: 'integer_by_size', total_items: 1000000, batch_size: 1000 }); // ~80 kB out
    const rss = () => process.memoryUsage().rss;
    for (let i = 0; i < 50; i++) taskerBatch.callJson('partition', big);
    const before = rss();
    for (let i = 0; i < 1000; i++) taskerBatch.callJson('partition', big);
    // 1000 leaked envelopes would be ~80 MB.
    assert.ok(rss() - before < 40 * 1024 * 1024, `rss grew by ${rss() - before} bytes`);
  });
});

describe('exact JSON', () => {
  test('parse gives BigInt only where a Number would lose digits', () => {
    assert.deepEqual(taskerBatch.parse('[9007199254740991, 9007199254740993, 1.5, -0]'), [9007199254740991, 9007199254740993n, 1.5, -0]);
    assert.deepEqual(taskerBatch.parse('{"__proto__": 1}'), JSON.parse('{"__proto__": 1}'));
  });

  test('stringify writes BigInt digits and leaves out what JSON.stringify leaves out', () => {
    assert.equal(taskerBatch.stringify({ a: 2n ** 70n, b: undefined, c: [undefined, 1] }), '{"a":1180591620717411303424,"c":[null,1]}');
    assert.equal(taskerBatch.stringify({ at: new Date(0) }), '{"at":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('the library', () => {
  test("version matches the header's version macros", () => {
    const header = fs.readFileSync(path.join(ROOT, 'include', 'tasker_batch.h'), 'utf8');
    const part = (name) => header.match(new RegExp(`#define TASKER_BATCH_VERSION_${name} (\\d+)`))[1];
    assert.equal(taskerBatch.version(), `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`);
  });

  test('libraryPath honours TASKER_BATCH_LIB', () => {
    const saved = process.env.TASKER_BATCH_LIB;
    process.env.TASKER_BATCH_LIB = '/opt/lib/libtasker_batch.so';
    try {
      assert.equal(taskerBatch.libraryPath(), '/opt/lib/libtasker_batch.so');
    } finally {
      if (saved === undefined) delete process.env.TASKER_BATCH_LIB;
      else process.env.TASKER_BATCH_LIB = saved;
    }
  });

  test('a missing library says where it looked and how to fix it', () => {
    const missing = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'tb-')), 'libtasker_batch.so');
    const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.resolve(__dirname, '..'))}).version()`], {
      env: { TASKER_BATCH_LIB: missing },
      encoding: 'utf8',
    });
    assert.notEqual(run.status, 0);
    assert.ok(run.stderr.includes(`cannot load the tasker-batch library ${missing}`), run.stderr);
    assert.ok(run.stderr.includes('TASKER_BATCH_LIB'), run.stderr);
  });
});
