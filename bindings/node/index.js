'use strict';
// tasker-batch from Node, through its C ABI (include/tasker_batch.h) and koffi.
//
//   const taskerBatch = require('tasker-batch');
//   const configs = taskerBatch.call('partition', { strategy: 'integer_by_count', total_items: 1000, worker_count: 3 });
//   configs.map((c) => c.batch_size); // [334, 334, 332]
//
// The library is found through TASKER_BATCH_LIB (the path of libtasker_batch.so), else in the
// repository's target/debug then target/release (under CARGO_TARGET_DIR when set).
//
// Integers stay exact: outside Number's safe range they come back as BigInt, and a BigInt in
// the input is sent as its digits. When the exact digits of a fraction matter
// (0.30000000000000000001), use callJson, which hands over the envelope's text untouched.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');
const json = require('./json');

const LIBRARY_ENV = 'TASKER_BATCH_LIB';
const LIBRARY_NAME = 'libtasker_batch.so';
const INTERNAL_ERROR = 'internal_error';
// With the u flag a surrogate pair is one code point, so this matches only a lone half.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Every error the core reports. A bug caught at the C boundary is thrown as this class itself,
 * with code 'internal_error'; bad input throws ValidationError.
 */
class TaskerBatchError extends Error {
  constructor(code, errorPath, message, warnings = []) {
    super(`${code}${errorPath ? ` at ${errorPath}` : ''}: ${message}`);
    this.name = new.target.name;
    /** Stable machine code, e.g. 'worker_count_mismatch'. */
    this.code = code;
    /** Where in the input, e.g. 'cursor_configs[2].batch_size'; '' is the input itself. */
    this.path = errorPath;
    /** For humans: what was expected and what was found. */
    this.detail = message;
    /** Warnings reported beside the error ({code, message, path}), usually none. */
    this.warnings = warnings;
  }
}

/** Bad input: a missing or malformed field, a broken rule, invalid JSON, an unknown operation. */
class ValidationError extends TaskerBatchError {}

/** Runs the operation `op` on `value` (JSON-shaped) and returns its output. */
function call(op, value) {
  return callWithWarnings(op, value).value;
}

/** Like call, returning `{ value, warnings }` (warnings: `{code, message, path}` objects). */
function callWithWarnings(op, value) {
  const envelope = json.parse(callJson(op, json.stringify(value)));
  if (envelope.ok === true) return { value: envelope.value, warnings: envelope.warnings || [] };
  const error = envelope.error || {};
  const code = error.code || INTERNAL_ERROR;
  const Klass = code === INTERNAL_ERROR ? TaskerBatchError : ValidationError;
  throw new Klass(code, error.path || '', error.message || '', envelope.warnings || []);
}

/**
 * Sends the JSON `text` to the operation `op` and returns the envelope as the core wrote it:
 * `{"ok":true,"value":...,"warnings":[...]}` or `{"ok":false,"error":{"code":...,"message":...,"path":...}}`.
 * Errors in the input are envelopes, not exceptions. Throws a TypeError only for what a C
 * string cannot carry: U+0000, and a lone surrogate (which has no UTF-8 form).
 */
function callJson(op, text) {
  const lib = library();
  const envelope = lib.call(cString(op, 'op'), cString(text, 'text'));
  if (envelope === null) {
    // Reserved by the header for an envelope that could not be built.
    throw new TaskerBatchError(INTERNAL_ERROR, '', 'tasker_batch_call returned NULL');
  }
  return envelope;
}

/** The library's version, 'MAJOR.MINOR.PATCH'. */
function version() {
  return library().version();
}

/**
 * The shared library this module loads (or would load): $TASKER_BATCH_LIB, else the
 * repository's target/debug build, else its target/release build.
 */
function libraryPath() {
  if (process.env[LIBRARY_ENV]) return process.env[LIBRARY_ENV];
  const target = process.env.CARGO_TARGET_DIR || path.resolve(__dirname, '..', '..', 'target');
  const candidates = ['debug', 'release'].map((profile) => path.join(target, profile, LIBRARY_NAME));
  return candidates.find((file) => fs.existsSync(file)) || candidates[0];
}

function cString(text, name) {
  if (typeof text !== 'string') throw new TypeError(`${name} must be a string, found ${typeof text}`);
  // koffi would pass only the part before a NUL, and a lone surrogate as U+FFFD.
  if (text.includes('\0')) throw new TypeError(`${name} contains U+0000, which a C string cannot carry`);
  if (LONE_SURROGATE.test(text)) throw new TypeError(`${name} contains a lone surrogate, which UTF-8 cannot carry`);
  return text;
}

let loaded = null;

// Loads the library once, on first use, so that requiring this module never fails.
function library() {
  if (loaded !== null) return loaded;
  const file = libraryPath();
  let lib;
  try {
    lib = koffi.load(file);
  } catch (e) {
    throw new Error(
      `cannot load the tasker-batch library ${file} (${e.message}); build it with \`cargo build\` or point ${LIBRARY_ENV} at ${LIBRARY_NAME}`,
      { cause: e },
    );
  }
  const freeString = lib.func('void tasker_batch_free_string(void *s)');
  // A disposable string: koffi copies the envelope into a JS string, then hands the pointer to
  // tasker_batch_free_string. (The `str!` shorthand would call C's free(), which must never
  // see memory the Rust side allocated.)
  const Envelope = koffi.disposable('const char *', freeString);
  loaded = {
    call: lib.func('tasker_batch_call', Envelope, ['const char *', 'const char *']),
    // Static string: converted, never freed.
    version: lib.func('const char *tasker_batch_version(void)'),
  };
  return loaded;
}

module.exports = {
  call,
  callWithWarnings,
  callJson,
  version,
  libraryPath,
  TaskerBatchError,
  ValidationError,
  parse: json.parse,
  stringify: json.stringify,
};
