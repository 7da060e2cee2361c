// One way to run a core operation: encode the input, cross, decode the envelope, turn an error
// envelope into a ValidationError and hand warnings to the caller. Every typed function of the
// package is this call with a name and a type.

import { Diagnostic, TaskerBatchError, ValidationError } from './errors';
import { decode, encode, encodeMember, JsonValue } from './json';
import { callEncoded, callNative } from './native';

/** Where warnings go. Without `onWarning` a warning is emitted with process.emitWarning. */
export interface CallOptions {
  /** Receives each warning the core reported about suspicious but legal input. */
  onWarning?: (warning: Diagnostic) => void;
}

/** A successful call: the value and the warnings about suspicious but legal input. */
export interface CallResult<T = JsonValue> {
  value: T;
  warnings: Diagnostic[];
}

interface Envelope {
  ok: boolean;
  value?: unknown;
  warnings?: Diagnostic[];
  error?: Partial<Diagnostic>;
}

const INTERNAL_ERROR = 'internal_error';

/** Runs the operation `op` on `input` (any JSON-shaped value) and returns its output and warnings. */
export function callWithWarnings<T = JsonValue>(op: string, input: unknown): CallResult<T> {
  return openText<T>(callEncoded(op, encode(input)));
}

/**
 * The JSON text of a request whose small `options` come before its `bulk` members, each option
 * written (`null` when undefined: "the default", which the core then knows before it reads the
 * bulk). The core reads aggregation and convergence requests in one pass, so options it has seen
 * first let it skip what it will not keep (error entries past max_errors, keys no reducer reads).
 */
export function encodeOptionsFirst(options: ReadonlyArray<readonly [string, unknown]>, bulk: ReadonlyArray<readonly [string, unknown]>): string {
  let text = '{';
  for (const [key, value] of options) {
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(key)}:${value === undefined ? 'null' : encodeMember(key, value)}`;
  }
  for (const [key, value] of bulk) {
    if (value === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(key)}:${encodeMember(key, value)}`;
  }
  return `${text}}`;
}

/** Runs `op` on text the package's encoder wrote (see encodeOptionsFirst). */
export function callEncodedWithWarnings<T = JsonValue>(op: string, text: string): CallResult<T> {
  return openText<T>(callEncoded(op, text));
}

/** Runs the operation `op` on the JSON text `text`; the envelope's value and warnings. */
export function callTextWithWarnings<T = JsonValue>(op: string, text: string): CallResult<T> {
  return openText<T>(callNative(op, text));
}

// The core writes a success as these two pieces around the value's text (the warnings, when there
// are some, make the text end in `}]}` instead). Most calls warn of nothing: their value is read
// from between the pieces, without parsing the envelope around it.
const OK_HEAD = '{"ok":true,"value":';
const OK_TAIL_NO_WARNINGS = ',"warnings":[]}';

function openText<T>(text: string): CallResult<T> {
  if (text.startsWith(OK_HEAD) && text.endsWith(OK_TAIL_NO_WARNINGS)) {
    return { value: decode(text.slice(OK_HEAD.length, text.length - OK_TAIL_NO_WARNINGS.length)) as T, warnings: [] };
  }
  return open<T>(decode(text) as unknown as Envelope);
}

function open<T>(envelope: Envelope): CallResult<T> {
  if (envelope.ok === true) return { value: envelope.value as T, warnings: envelope.warnings ?? [] };
  const error = envelope.error ?? {};
  const code = error.code ?? INTERNAL_ERROR;
  const Klass = code === INTERNAL_ERROR ? TaskerBatchError : ValidationError;
  throw new Klass(code, error.path ?? '', error.message ?? '', envelope.warnings ?? []);
}

/** Runs the operation `op` on `input` and returns its output; warnings go to `options.onWarning`. */
export function call<T = JsonValue>(op: string, input: unknown, options?: CallOptions): T {
  const { value, warnings } = callWithWarnings<T>(op, input);
  report(warnings, options);
  return value;
}

/** Hands each warning to `options.onWarning`, or to process.emitWarning. */
export function report(warnings: readonly Diagnostic[], options?: CallOptions): void {
  if (warnings.length === 0) return;
  const sink = options?.onWarning;
  for (const warning of warnings) {
    if (sink) sink(warning);
    else process.emitWarning(warning.message, { type: 'TaskerBatchWarning', code: warning.code, detail: warning.path ? `at ${warning.path}` : undefined });
  }
}

/**
 * Sends JSON `text` and returns the envelope text as the core wrote it:
 * `{"ok":true,"value":...,"warnings":[...]}` or `{"ok":false,"error":{...}}`.
 * Throws a TypeError only for text a C string cannot carry (U+0000, a lone surrogate).
 */
export function callJson(op: string, text: string): string {
  return callNative(op, text);
}
