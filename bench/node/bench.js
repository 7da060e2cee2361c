'use strict';
// The npm package's benchmarks (rake bench:node; docs/performance.md, "Node"). Each subject is
// timed against its baseline in the same run, interleaved round by round, so that the machine's
// load moves both alike; a ratio is the median of the rounds' ratios.
//
// - aggregateBatchResults for 10, 100 and 10,000 worker results against the crossing's floor,
//   JSON.stringify of the input plus JSON.parse of the output (target: at most 1.3x), and against
//   a pure-JS loop of the same rules (bench/node/pure_js.js);
// - per-worker calls, createBatchWorkerContext (with a worker's reads) and a checkpoint write,
//   against the pure-JS baseline (target: at most 3x), with the absolute time per call.
//
// Needs the release library: TASKER_BATCH_LIB=target/release/libtasker_batch.so (rake does it).

const assert = require('node:assert/strict');
const path = require('node:path');

const tb = require(path.resolve(__dirname, '..', '..', 'bindings', 'node'));
const pure = require('./pure_js');
const { encode } = require(path.resolve(__dirname, '..', '..', 'bindings', 'node', 'dist', 'json'));
const { callEncoded } = require(path.resolve(__dirname, '..', '..', 'bindings', 'node', 'dist', 'native'));

const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const BUDGET_MS = Number(process.env.BENCH_ROUND_MS || 40); // per subject per round

function workerResults(n, extra = {}) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({
      items_processed: 100,
      items_succeeded: 98,
      items_failed: 2,
      items_skipped: 0,
      last_cursor: i * 100 + 100,
      errors: [
        { row: i * 100 + 5, message: 'bad price' },
        { row: i * 100 + 7, message: 'bad sku' },
      ],
      revenue_cents: 12345,
      ...extra,
    });
  }
  return out;
}

// Calls per round so that one subject takes about BUDGET_MS.
function calibrate(fn) {
  let n = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (ms >= BUDGET_MS / 4 || n >= 1 << 20) return Math.max(1, Math.round((n * BUDGET_MS) / Math.max(ms, 0.001)));
    n *= 4;
  }
}

function perCall(fn, n) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t) / n / 1e3; // µs
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Times `subjects` (name -> fn) interleaved; returns name -> {us, ratio to the first subject}. */
function compare(subjects) {
  const names = Object.keys(subjects);
  const counts = Object.fromEntries(names.map((n) => [n, calibrate(subjects[n])]));
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of r % 2 ? [...names].reverse() : names) times[n].push(perCall(subjects[n], counts[n]));
  }
  const base = names[0];
  return Object.fromEntries(
    names.map((n) => [n, { us: median(times[n]), ratio: median(times[n].map((t, i) => t / times[base][i])) }]),
  );
}

// Each call's result is kept (as a worker keeps its context), so that V8 cannot prove it unused
// and leave out its allocation (escape analysis would make the baseline free).
let sink = 0;
const kept = new Array(64);
let slot = 0;
const keep = (value) => {
  kept[(slot = (slot + 1) & 63)] = value;
  return value;
};
const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} µs`);
const rows = [];
function report(group, results, note = '') {
  for (const [name, { us, ratio }] of Object.entries(results)) rows.push({ group, name, us, ratio, note });
}

// ------------------------------------------------------------------------------ aggregation --

for (const n of [10, 100, 10000]) {
  const results = workerResults(n);
  const ours = tb.aggregateBatchResults(results);
  assert.deepEqual(ours, pure.aggregate(results), 'the baseline computes the same aggregation');
  const outputText = JSON.stringify(ours);
  const input = { batch_results: results };
  // The parts of the call: the encoder (JSON.stringify and the text checks), and the core's
  // operation on the text the encoder wrote (koffi's copy in and out, parse, aggregate, envelope).
  const requestText = `{"max_errors":null,"reducers":null,"batch_results":${JSON.stringify(results)}}`;
  report(
    `aggregateBatchResults, ${n} results`,
    compare({
      'floor: JSON.stringify(input) + JSON.parse(output)': () => {
        JSON.stringify(input);
        JSON.parse(outputText);
      },
      'tasker-batch aggregateBatchResults': () => keep(tb.aggregateBatchResults(results)),
      'pure-JS loop of the same rules': () => keep(pure.aggregate(results)),
      '  part: the encoder (JSON.stringify + its text checks)': () => keep(encode(results)),
      '  part: the core call on that text (koffi in, Rust, koffi out)': () => keep(callEncoded('aggregate', requestText)),
    }),
  );
}

// The exact writer's cost, where a value needs it: a BigInt counter, or a null the fast path
// cannot tell from a NaN (JSON.stringify writes both as null).
// The floor of the BigInt case is JSON.stringify with a replacer (it cannot write a BigInt otherwise).
const bigintReplacer = (k, v) => (typeof v === 'bigint' ? v.toString() : v);
for (const [label, extra, replacer] of [
  ['with a BigInt in each result', { total_bytes: 2n ** 64n }, bigintReplacer],
  ['with a null in each result', { last_cursor: null }, undefined],
]) {
  const results = workerResults(100, extra);
  const outputText = JSON.stringify(tb.aggregateBatchResults(results));
  const input = { batch_results: results };
  report(
    `aggregateBatchResults, 100 results ${label} (${extra.last_cursor === null ? 'the check-only walk' : 'the exact writer'})`,
    compare({
      'floor: JSON.stringify(input) + JSON.parse(output)': () => {
        JSON.stringify(input, replacer);
        JSON.parse(outputText);
      },
      'tasker-batch aggregateBatchResults': () => tb.aggregateBatchResults(results),
    }),
  );
}

// ------------------------------------------------------------------------------- per worker --

const STEP = {
  inputs: {
    cursor: { batch_id: '002', start_cursor: 334, end_cursor: 668, batch_size: 334 },
    batch_metadata: { cursor_field: 'id', failure_strategy: 'continue_on_failure' },
    is_no_op: false,
  },
  results: { checkpoint_cursor: 400, processed_count: 66 },
};
const CHANGES = { checkpoint_cursor: 500, processed_count: 166, accumulated_results: { revenue_cents: 1234500 } };
assert.deepEqual(tb.createBatchWorkerContext(STEP).toJSON(), pure.workerContext(STEP), 'the baseline reads the same context');
assert.deepEqual(tb.updateStepResults(STEP, CHANGES), pure.updateStepResults(STEP, CHANGES), 'the baseline writes the same results');

const reads = (ctx) => {
  keep(ctx);
  sink += ctx.batchId.length + ctx.startCursor + ctx.endCursor + ctx.resumeCursor + ctx.checkpointItemsProcessed;
};
const pureReads = (ctx) => {
  keep(ctx);
  sink += ctx.batch_id.length + ctx.start_cursor + ctx.end_cursor + ctx.resume_cursor + ctx.checkpoint.items_processed;
};
report(
  'createBatchWorkerContext and a worker\'s reads (batchId, startCursor, endCursor, resumeCursor, checkpointItemsProcessed)',
  compare({
    'pure-JS baseline': () => pureReads(pure.workerContext(STEP)),
    'tasker-batch': () => reads(tb.createBatchWorkerContext(STEP)),
    '  part: the core call on the step\'s text (koffi in, Rust, koffi out)': (() => {
      const text = encode(STEP);
      return () => keep(callEncoded('worker_context', text));
    })(),
    'floor: JSON.stringify(step) + JSON.parse(the core\'s output)': (() => {
      const out = JSON.stringify(tb.createBatchWorkerContext(STEP).toJSON());
      return () => {
        JSON.stringify(STEP);
        JSON.parse(out);
      };
    })(),
  }),
);
report(
  'a checkpoint write (writeCheckpoint / update_step_results, 3-key checkpoint)',
  compare({
    'pure-JS baseline': () => keep(pure.updateStepResults(STEP, CHANGES)),
    'tasker-batch writeCheckpoint': () => keep(tb.writeCheckpoint(STEP, { cursor: 500, itemsProcessed: 166, accumulatedResults: { revenue_cents: 1234500 } })),
    'a call that crosses and does nothing (unknown operation, error envelope)': () => tb.callJson('nope', '{}'),
    'a crossing with a trivial operation (validate_batch_metadata, ~60 bytes each way)': () =>
      keep(callEncoded('validate_batch_metadata', '{"cursor_field":"id","failure_strategy":"continue_on_failure"}')),
    'koffi alone: tasker_batch_version() (a static C string back)': () => keep(tb.version()),
  }),
);

// ------------------------------------------------------------------------------------ report --

const os = require('node:os');
console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0].model}), load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${ROUNDS} rounds of ~${BUDGET_MS} ms per subject`);
let group = '';
for (const row of rows) {
  if (row.group !== group) {
    group = row.group;
    console.log(`\n${group}`);
  }
  console.log(`  ${row.name.padEnd(74)} ${fmt(row.us).padStart(10)}   ${row.ratio.toFixed(2)}x`);
}
if (sink === 0.5) console.log(sink);
