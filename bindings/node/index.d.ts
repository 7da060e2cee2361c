// Types of the tasker-batch Node module (index.js).

/**
 * A JSON value as this module reads and writes it: integers outside Number's safe range are
 * BigInt, so that no digit is lost.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** A warning or error the core reports: a stable `code`, a `path` in the input, a `message`. */
export interface Diagnostic {
  code: string;
  /** Where in the input, e.g. "cursor_configs[2].batch_size"; "" is the input itself. */
  path: string;
  message: string;
}

/** A successful call: the value and the warnings about suspicious but legal input. */
export interface CallResult<T = JsonValue> {
  value: T;
  warnings: Diagnostic[];
}

/**
 * Every error the core reports; thrown as this class itself (code "internal_error") for a bug
 * caught at the C boundary.
 */
export class TaskerBatchError extends Error {
  /** Stable machine code, e.g. "worker_count_mismatch". */
  readonly code: string;
  /** Where in the input; "" is the input itself. */
  readonly path: string;
  /** The core's message alone (`message` is "code at path: detail"). */
  readonly detail: string;
  /** Warnings reported beside the error, usually none. */
  readonly warnings: Diagnostic[];
  constructor(code: string, path: string, message: string, warnings?: Diagnostic[]);
}

/** Bad input: a missing or malformed field, a broken rule, invalid JSON, an unknown operation. */
export class ValidationError extends TaskerBatchError {}

/**
 * Runs the core operation `op` ("partition", "expand_outcome", ...) on `value` and returns its
 * output. Throws ValidationError for bad input, TaskerBatchError for an internal error, and a
 * TypeError for a value JSON cannot carry (NaN, Infinity, a cycle).
 */
export function call<T = JsonValue>(op: string, value: JsonValue): T;

/** Like `call`, returning the warnings beside the value. */
export function callWithWarnings<T = JsonValue>(op: string, value: JsonValue): CallResult<T>;

/**
 * Sends JSON text and returns the envelope text as the core wrote it:
 * `{"ok":true,"value":...,"warnings":[...]}` or `{"ok":false,"error":{...}}`.
 * Throws a TypeError only for text a C string cannot carry (U+0000, a lone surrogate).
 */
export function callJson(op: string, text: string): string;

/** The library's version, "MAJOR.MINOR.PATCH". */
export function version(): string;

/** The shared library the module loads: $TASKER_BATCH_LIB, else the repository's target/debug or target/release build. */
export function libraryPath(): string;

/** JSON.parse, with integers outside Number's safe range as BigInt. */
export function parse(text: string): JsonValue;

/** Compact JSON.stringify that writes a BigInt as its digits and refuses NaN, Infinity and cycles. */
export function stringify(value: JsonValue): string;
