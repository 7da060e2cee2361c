// A worker process in Node, as one would run on a machine of its own:
//
//   node demo/workers/node_worker.mjs STORE LEASE_SECONDS MAX_ATTEMPTS
//
// The same worker as demo/worker.rb (Ruby) and demo/workers/python_worker.py (Python), on the
// same PostgreSQL store, through the tasker-batch npm package (bindings/node, packed and
// installed into demo/workers/node_modules) and node-postgres. STORE is the store's
// postgresql:// URL (its schema named in libpq's `options`). The worker opens its own connection
// and claims worker steps itself, one at a time, with the claim every language runs
// (demo/sql/postgres.sql), until none is left to do. For each claimed step the package reads its
// worker context from the stored inputs and results (a step taken over from an expired lease
// first gets what resetForRetry keeps), the worker sums its range from the resume cursor on, and
// each checkpoint is what writeCheckpoint returned, stored with the attempt's fenced write. The
// worker decides nothing about cursors, ranges or checkpoints itself.
//
// The exit status says how the process ended, as the Ruby worker's does: 0 no work left; 3 it
// lost its database connection; 4 a write of its attempt was refused (fenced).

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { BatchableStepHandler, createBatchWorkerContext, parse, resetForRetry, stringify, ValidationError, writeCheckpoint } from 'tasker-batch';

const LANGUAGE = 'node';
const IDLE_MS = 50;
const LOST_CONNECTION = 3;
const FENCED = 4;
const JSON_COLUMNS = new Set(['inputs', 'results', 'checkpoint']);

/** The named statements of a demo/sql file (each after a "-- name: NAME" line). */
function loadSql(url) {
  const statements = {};
  let current = null;
  for (const line of readFileSync(url, 'utf8').split('\n')) {
    const marker = /^-- name: (\w+)\s*$/.exec(line);
    if (marker) statements[(current = marker[1])] = [];
    else if (current) statements[current].push(line);
  }
  return Object.fromEntries(Object.entries(statements).map(([name, lines]) => [name, lines.join('\n').trim()]));
}

const SQL = loadSql(new URL('../sql/postgres.sql', import.meta.url));

/** A write of an attempt that no longer owns its step: refused, and the attempt stops. */
class Fenced extends Error {}
/** A step whose stored data cannot be used: it is not run. */
class Unusable extends Error {}
/** The database connection is gone (the server ended the session, or went away). */
class LostConnection extends Error {}

// JSONB comes back as text; what it holds is the core's to judge (an object or not). The
// package's parse keeps integers beyond Number's range exact (BigInt).
const parseJson = (text) => (text === null ? null : parse(text));

/** What the package reads of a claimed step. */
const stepData = (step) => ({ inputs: step.inputs, results: step.results, checkpoint: step.checkpoint });

/** The worker's own connection to the PostgreSQL store, and the attempt's fenced writes. */
class Store {
  constructor(client) {
    this.db = client;
    this.lost = null;
  }

  static async open(locator, applicationName) {
    const client = new pg.Client({ connectionString: locator, application_name: applicationName });
    const store = new Store(client);
    // A session the server ends is reported here too, between queries: without a listener it
    // would end the process; with one, the next statement fails and the worker stops.
    client.on('error', (error) => {
      store.lost = error;
    });
    await client.connect();
    store.keyType = (await store.rows(SQL.key_type))[0][0];
    return store;
  }

  // Every statement is its own transaction (the claim and each write are one statement each),
  // so a worker frozen or cut off between two never holds a lock.
  async query(sql, params = []) {
    if (this.lost) throw new LostConnection(this.lost.message);
    try {
      return await this.db.query({ text: sql, values: params, rowMode: 'array' });
    } catch (error) {
      if (this.lost || isConnectionError(error)) throw new LostConnection(error.message);
      throw error;
    }
  }

  async rows(sql, params) {
    return (await this.query(sql, params)).rows;
  }

  // --- claims ----------------------------------------------------------------------------

  /** {step, reclaimed} for the step this worker took (reclaimed: the lapsed attempt's number,
   * holder and lease deadline when it took over an expired lease), or null. */
  async claimNext(holder, lease, maxAttempts) {
    const taken = await this.rows(SQL.claim_next, [holder, lease, maxAttempts, LANGUAGE]);
    if (taken.length === 0) return null;
    const [name, , , attempts, inputs, results, checkpoint, , wasState, wasHolder, wasLease] = taken[0];
    const step = { name, attempts, lease, inputs: parseJson(inputs), results: parseJson(results), checkpoint: parseJson(checkpoint) };
    const reclaimed = wasState === 'running' ? { lapsed_attempt: attempts - 1, lapsed_holder: wasHolder, lease_expired_at: Number(wasLease) } : null;
    return { step, reclaimed };
  }

  async workRemaining() {
    return (await this.rows(SQL.work_remaining)).length > 0;
  }

  async expireExhausted(maxAttempts) {
    await this.query(SQL.expire_exhausted, [maxAttempts]);
  }

  // --- products --------------------------------------------------------------------------

  /** Up to `limit` [id, price_cents] pairs with start <= id < before, in key order; integer keys
   * and prices exact (BigInt beyond Number's range). Cursors go to the server as text. */
  async products(start, before, limit) {
    const text = (value) => (value === null || value === undefined ? null : String(value));
    const rows = await this.rows(SQL.products.replaceAll('{key}', this.keyType), [text(start), text(before), limit]);
    const integer = this.keyType === 'bigint';
    return rows.map(([key, price]) => [integer ? parse(key) : key, BigInt(price)]);
  }

  // --- events and the attempt's writes (as demo/store.rb's AttemptWrites) -----------------

  async recordEvent(name, attempt, event, detail) {
    await this.query(SQL.record_event, [name, attempt, event, stringify(detail)]);
  }

  /** The results writeCheckpoint returned, the same checkpoint in the checkpoint column, and its
   * event, at once. */
  async saveCheckpoint(step, results) {
    const checkpoint = { cursor: results.checkpoint_cursor, items_processed: results.processed_count, accumulated_results: results.accumulated_results ?? null };
    await this.writeAttempt(step, { results, checkpoint }, 'checkpoint', { cursor: checkpoint.cursor, items_processed: checkpoint.items_processed });
    step.results = results;
    step.checkpoint = checkpoint;
  }

  async finish(step, result, detail) {
    const state = result.success ? 'complete' : 'failed';
    await this.writeAttempt(step, { results: result, state }, state === 'complete' ? 'completed' : 'failed', detail);
    step.results = result;
  }

  async fail(step, error) {
    const results = { ...(isObject(step.results) ? step.results : {}), error };
    await this.writeAttempt(step, { results, state: 'failed', error }, 'failed', { error });
  }

  /** Ends the attempt without running it; the stored results stay as they are. */
  async reject(step, error) {
    await this.writeAttempt(step, { state: 'failed', error }, 'rejected', { error });
  }

  /** The first write of an attempt that took over an expired lease: what resetForRetry kept, in
   * place of what the lapsed attempt left. */
  async reclaimed(step, results, lapsed) {
    const before = isObject(step.results) ? Object.keys(step.results) : [];
    const dropped = before.filter((key) => !(key in results));
    await this.writeAttempt(step, { results }, 'reclaimed', { ...lapsed, kept: Object.keys(results), dropped });
    step.results = results;
  }

  async writeAttempt(step, columns, event, detail) {
    const params = [step.name, step.attempts, step.lease, event, stringify(detail)];
    const assignments = Object.entries(columns).map(([column, value]) => {
      const json = JSON_COLUMNS.has(column);
      params.push(json ? stringify(value) : value);
      return `${column} = $${params.length}${json ? '::jsonb' : ''}`;
    });
    const written = await this.query(SQL.write_attempt.replaceAll('{assignments}', assignments.join(', ')), params);
    if (written.rowCount !== 1) {
      await this.recordEvent(step.name, step.attempts, 'fenced', { write: event, pid: process.pid });
      throw new Fenced(`${step.name} attempt ${step.attempts} no longer owns the step: its ${event} was refused`);
    }
  }
}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

// node-postgres's errors for a session that is gone: the server's admin_shutdown (57P01, what
// pg_terminate_backend sends), or a connection that ended or cannot be written to.
function isConnectionError(error) {
  return error?.code === '57P01' || /Connection terminated|not queryable|ECONNRESET|EPIPE/.test(String(error?.message));
}

/** Simulated work, as the Ruby worker's: at most `rowsPerSecond` (0: no limit). */
class Pace {
  constructor(rowsPerSecond) {
    this.msPerRow = rowsPerSecond > 0 ? 1000 / rowsPerSecond : 0;
    this.started = performance.now();
    this.rows = 0;
  }

  async tick() {
    this.rows += 1;
    if (this.msPerRow === 0 || this.rows % 50 !== 0) return;
    const ahead = this.started + this.rows * this.msPerRow - performance.now();
    if (ahead > 0) await sleep(ahead);
  }
}

/** The worker handler: sums the prices of its range from its resume cursor on, and counts its
 * rows, checkpointing every `checkpoint_every` rows with the running sum. */
class ProcessProducts extends BatchableStepHandler {
  constructor(store) {
    super();
    this.store = store;
  }

  async call(step) {
    const batch = this.context(step);
    const started = { pid: process.pid, language: LANGUAGE, resume_cursor: batch.resumeCursor, processed_count: batch.checkpointItemsProcessed };
    if (batch.warnings.length > 0) started.warnings = batch.warnings.map((warning) => warning.message);
    await this.store.recordEvent(step.name, step.attempts, 'started', started);
    const noOp = this.handleNoOpWorker(stepData(step));
    if (noOp) return this.store.finish(step, noOp, { no_op: true });
    return this.sumRange(step, batch);
  }

  // The core reads the context and refuses what does not fit.
  context(step) {
    try {
      return createBatchWorkerContext(stepData(step));
    } catch (error) {
      if (error instanceof ValidationError) throw new Unusable(`${error.code} at ${error.path}: ${error.message}`);
      throw error;
    }
  }

  async sumRange(step, batch) {
    const every = Number(step.inputs.checkpoint_every);
    const pace = new Pace(Number(step.inputs.rows_per_second));
    let cursor = batch.resumeCursor;
    let count = batch.checkpointItemsProcessed;
    let total = carriedSum(batch);
    let lastId = null;
    for (;;) {
      // One row more than a checkpoint's worth: its key is where the next chunk starts.
      const rows = await this.store.products(cursor, batch.endCursor, every + 1);
      for (const [key, priceCents] of rows.slice(0, every)) {
        total += priceCents;
        count += 1;
        lastId = key;
        await pace.tick();
      }
      if (rows.length <= every) break;
      cursor = rows[rows.length - 1][0];
      const results = writeCheckpoint(stepData(step), { cursor, itemsProcessed: count, accumulatedResults: { price_cents: total } });
      await this.store.saveCheckpoint(step, results);
    }
    const result = this.batchWorkerSuccess({ itemsProcessed: count, itemsSucceeded: count, lastCursor: lastId });
    result.result.price_cents = total;
    if (batch.hasCheckpoint()) result.result.resumed_from = { cursor: batch.checkpointCursor, processed_count: batch.checkpointItemsProcessed };
    await this.store.finish(step, result, { items_processed: count, price_cents: total });
  }
}

/** The sum of the rows before the checkpoint, saved with it; without it the retry could only
 * guess, so it does not start. */
function carriedSum(batch) {
  if (!batch.hasCheckpoint()) return 0n;
  const carried = isObject(batch.accumulatedResults) ? batch.accumulatedResults.price_cents : undefined;
  if (typeof carried === 'bigint' || Number.isInteger(carried)) return BigInt(carried);
  throw new Unusable(`the checkpoint at ${stringify(batch.checkpointCursor)} carries no accumulated price_cents (found ${stringify(batch.accumulatedResults ?? null)}): the sum of the rows before it is unknown`);
}

/** The claim loop of one worker process; resolves to its exit status. */
async function work(locator, lease, maxAttempts) {
  const holder = String(process.pid);
  let store;
  try {
    store = await Store.open(locator, `tasker-batch-worker-${holder}`);
    for (;;) {
      const claim = await store.claimNext(holder, lease, maxAttempts);
      if (claim) await attempt(store, claim.step, claim.reclaimed);
      else if (!(await store.workRemaining())) return 0;
      else {
        await store.expireExhausted(maxAttempts);
        await sleep(IDLE_MS);
      }
    }
  } catch (error) {
    if (error instanceof Fenced) {
      log(`worker ${holder}: ${error.message}; stopping`);
      return FENCED;
    }
    if (error instanceof LostConnection) {
      log(`worker ${holder}: lost the database connection (${error.message.trim()}); stopping`);
      return LOST_CONNECTION;
    }
    throw error;
  } finally {
    // A session the server ended has nothing left to close.
    if (store && !store.lost) await store.db.end().catch(() => {});
  }
}

async function attempt(store, step, reclaimed) {
  try {
    if (reclaimed) await store.reclaimed(step, resetForRetry(stepData(step)), reclaimed);
    await new ProcessProducts(store).call(step);
  } catch (error) {
    if (error instanceof Fenced || error instanceof LostConnection) throw error;
    if (error instanceof Unusable) {
      await store.reject(step, error.message);
      log(`${step.name}: ${error.message}`);
    } else {
      await store.fail(step, error.message);
      log(`${step.name}: ${error.name}: ${error.message}`);
    }
  }
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

const [locator, lease, maxAttempts, ...rest] = process.argv.slice(2);
if (!locator || !lease || !maxAttempts || rest.length > 0) {
  log('usage: node demo/workers/node_worker.mjs STORE LEASE_SECONDS MAX_ATTEMPTS');
  process.exit(2);
}
if (!/^postgres(ql)?:\/\//.test(locator)) {
  log(`node worker: ${locator} is not a postgresql:// URL (the Node workers run on PostgreSQL)`);
  process.exit(2);
}
process.exitCode = await work(locator, Number(lease), Number(maxAttempts));
