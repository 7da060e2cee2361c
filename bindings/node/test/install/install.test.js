'use strict';
// The package as a user gets it: `npm pack`, `npm install ./tasker-batch-*.tgz` in an empty
// directory outside the repository, then an analyzer -> worker -> checkpoint -> aggregate script
// there through `require` and through `import`, with no environment variable pointing at the
// library, and `tsc --strict` over a consumer's code (CommonJS and nodenext) and over the
// examples of docs/typescript.md.
//
// Slow (npm pack builds the package; npm install unpacks it and koffi, from npm's cache when
// bin/setup has filled it), so `rake test:node` runs it apart from the unit tests.

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { before, describe, test } = require('node:test');

const PACKAGE = path.resolve(__dirname, '..', '..');
const ROOT = path.resolve(PACKAGE, '..', '..');
const TSC = path.join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc');
const { docExamples } = require('../doc-examples');

// What the consumer's processes see: no variable that would lead them to a library.
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !['TASKER_BATCH_LIB', 'LD_LIBRARY_PATH', 'CARGO_TARGET_DIR', 'NODE_PATH'].includes(k)),
);

let work; // the consumer's directory
let tarball;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const LIFECYCLE = `
  const analyze = partitionByCount(1000, 3);
  const outcome = createBatches('process_batch', analyze.length, analyze, 1000);
  const plan = expandOutcome({ batchable_step_name: 'analyze', convergence_step_names: ['aggregate'], outcome });
  const results = {};
  for (const worker of plan.workers) {
    const step = { inputs: worker.inputs, results: {} };
    let ctx = createBatchWorkerContext(step);
    const middle = ctx.startCursor + 100;
    step.results = writeCheckpoint(step, { cursor: middle, itemsProcessed: 100, accumulatedResults: { sum: 1 } });
    ctx = createBatchWorkerContext(step);
    if (ctx.resumeCursor !== middle || ctx.checkpointItemsProcessed !== 100) throw new Error('checkpoint not read back');
    results[worker.name] = { items_processed: ctx.batchSize, items_succeeded: ctx.batchSize, items_failed: 0 };
  }
  const summary = aggregateBatchResults(Object.values(results));
  const converged = converge({ dependency_results: { analyze: { batch_processing_outcome: outcome }, ...results }, batchable_step_name: 'analyze', worker_prefix: 'process_batch_' });
  console.log(JSON.stringify({ workers: plan.workers.length, total: summary.total_processed, status: converged.status, complete: converged.coverage.complete, library: libraryPath() }));
`;
const NAMES = 'partitionByCount, createBatches, expandOutcome, createBatchWorkerContext, writeCheckpoint, aggregateBatchResults, converge, libraryPath';

// A consumer's TypeScript: interface-typed values (no index signature) into the typed functions.
const CONSUMER_TS = `
import { aggregateBatchResults, BatchableStepHandler, BatchStepContext, createBatchWorkerContext, createBatches, detectAggregationScenario,
  isCreateBatches, noBatches, partitionByCount, RustCursorConfig, StepHandlerResult, ValidationError, writeCheckpoint } from 'tasker-batch';

interface WorkerResult { items_processed: number; items_succeeded: number; items_failed: number; region: string }
interface MyInputs { cursor: RustCursorConfig; is_no_op: boolean }
interface Deps { analyze: { batch_processing_outcome: ReturnType<typeof noBatches> }; process_batch_000: WorkerResult }

const results: WorkerResult[] = [{ items_processed: 1, items_succeeded: 1, items_failed: 0, region: 'eu' }];
const summary = aggregateBatchResults(results, 10);
const rate: number = summary.success_rate;
const inputs: MyInputs = { cursor: partitionByCount(10, 1)[0]!, is_no_op: false };
const ctx = createBatchWorkerContext({ inputs });
const resume: unknown = ctx.resumeCursor;
const next = writeCheckpoint({ inputs }, { cursor: 5, itemsProcessed: 5 });
const outcome = createBatches('w', 1, [inputs.cursor], 10);
if (isCreateBatches(outcome)) { const n: number = outcome.worker_count; void n; }
const deps: Deps = { analyze: { batch_processing_outcome: noBatches() }, process_batch_000: results[0]! };
const scenario = detectAggregationScenario(deps, 'analyze', 'process_batch_');
const empty: boolean = scenario.isNoBatches;

class Worker extends BatchableStepHandler {
  call(context: BatchStepContext): StepHandlerResult {
    return this.handleNoOpWorker(context) ?? this.batchWorkerSuccess(this.createWorkerOutcome(1));
  }
}
try { new Worker(); } catch (e) { if (e instanceof ValidationError) { const c: string = e.code; void c; } }
void rate; void resume; void next; void empty;
`;

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-batch-install-'));
  assert.ok(!path.relative(ROOT, work).split(path.sep).every((p) => p !== '..'), 'the consumer directory is outside the repository');
  const packDir = path.join(work, 'pack');
  fs.mkdirSync(packDir);
  // npm pack runs prepack: tsc, then the library copied into native/.
  const out = run('npm', ['pack', '--json', '--pack-destination', packDir, '--loglevel=error'], { cwd: PACKAGE });
  tarball = path.join(packDir, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: app, env: CLEAN_ENV });
  work = app;
});

describe('npm pack', () => {
  test('the tarball holds the compiled JS, the .d.ts files and the library for this platform, and no sources', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of ['package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/batchable.d.ts', `package/native/${process.platform}-${process.arch}/libtasker_batch.so`]) {
      assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
    }
    assert.deepEqual(files.filter((f) => f.includes('/src/') || f.includes('/test/') || f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
    const pkg = JSON.parse(fs.readFileSync(path.join(work, 'node_modules', 'tasker-batch', 'package.json'), 'utf8'));
    assert.equal(pkg.private, undefined);
    assert.equal(pkg.exports['.'].types, './dist/index.d.ts');
  });
});

describe('installed from the tarball, no environment variable', () => {
  test('CommonJS: require and the whole lifecycle', () => {
    fs.writeFileSync(path.join(work, 'lifecycle.cjs'), `const { ${NAMES} } = require('tasker-batch');\n${LIFECYCLE}`);
    const out = JSON.parse(run(process.execPath, ['lifecycle.cjs'], { cwd: work, env: CLEAN_ENV }));
    assert.deepEqual([out.workers, out.total, out.status, out.complete], [3, 1000, 'succeeded', true]);
    assert.equal(out.library, path.join(fs.realpathSync(work), 'node_modules', 'tasker-batch', 'native', `${process.platform}-${process.arch}`, 'libtasker_batch.so'));
  });

  test('ESM: named imports and the whole lifecycle', () => {
    fs.writeFileSync(path.join(work, 'lifecycle.mjs'), `import { ${NAMES} } from 'tasker-batch';\n${LIFECYCLE}`);
    const out = JSON.parse(run(process.execPath, ['lifecycle.mjs'], { cwd: work, env: CLEAN_ENV }));
    assert.deepEqual([out.workers, out.total, out.status], [3, 1000, 'succeeded']);
  });

  test('ESM: every export of the CommonJS module is a named import', () => {
    fs.writeFileSync(path.join(work, 'names.mjs'), "import * as ns from 'tasker-batch'; import { createRequire } from 'node:module';\n" +
      "const cjs = createRequire(import.meta.url)('tasker-batch');\nconsole.log(JSON.stringify(Object.keys(cjs).filter((k) => !(k in ns))));");
    assert.deepEqual(JSON.parse(run(process.execPath, ['names.mjs'], { cwd: work, env: CLEAN_ENV })), []);
  });
});

describe('tsc --strict for consumers', () => {
  const tsconfig = (module, moduleResolution, include) => ({
    compilerOptions: { strict: true, noEmit: true, module, moduleResolution, target: 'ES2022', lib: ['ES2022'], types: [], skipLibCheck: false },
    include,
  });

  test('CommonJS (module commonjs, moduleResolution node10)', () => {
    fs.writeFileSync(path.join(work, 'consumer.ts'), CONSUMER_TS);
    fs.writeFileSync(path.join(work, 'tsconfig.cjs.json'), JSON.stringify(tsconfig('commonjs', 'node10', ['consumer.ts'])));
    run(process.execPath, [TSC, '-p', 'tsconfig.cjs.json'], { cwd: work });
  });

  test('ESM (module nodenext)', () => {
    fs.writeFileSync(path.join(work, 'consumer.mts'), CONSUMER_TS);
    fs.writeFileSync(path.join(work, 'tsconfig.esm.json'), JSON.stringify(tsconfig('nodenext', 'nodenext', ['consumer.mts'])));
    run(process.execPath, [TSC, '-p', 'tsconfig.esm.json'], { cwd: work });
  });

  test("docs/typescript.md's examples", () => {
    const examples = docExamples();
    assert.ok(examples.length >= 5, `only ${examples.length} examples found`);
    const names = examples.map((example, i) => {
      const name = `doc-example-${i}.ts`;
      fs.writeFileSync(path.join(work, name), example.code);
      return name;
    });
    // The examples check their results with node:assert: Node's types from the repository's devDependencies.
    const config = tsconfig('commonjs', 'node10', names);
    Object.assign(config.compilerOptions, { types: ['node'], typeRoots: [path.join(PACKAGE, 'node_modules', '@types')], esModuleInterop: true });
    fs.writeFileSync(path.join(work, 'tsconfig.docs.json'), JSON.stringify(config));
    run(process.execPath, [TSC, '-p', 'tsconfig.docs.json'], { cwd: work });
  });
});
