// JSON for the crossing into Rust: V8's own encoder and decoder whenever they are exact, and an
// exact writer and reader only for the values that need one.
//
// JSON.stringify is exact for most data but changes some values without a word: NaN and
// Infinity become null, `undefined` in an array becomes null, a Map or a Set becomes {}, a lone
// surrogate becomes an escape that no UTF-8 text can carry; it throws on a BigInt and on a cycle.
// `encode` runs JSON.stringify first and looks at its text. When the text cannot hold one of those
// changes (no `null`, no `{}`, no `\u` escape of a surrogate) it is sent as it is. When it might,
// a walk over the value (checks only, no writing) either finds the culprit and throws a
// ValidationError at its path, or finds none and the text is sent. Only when JSON.stringify threw
// (a BigInt, a cycle) does the exact writer run: it writes a BigInt as its digits and names the
// path of anything JSON cannot carry.
//
// JSON.parse rounds an integer past 2^53; `decode` uses it, and reads the text again with the
// exact reader (which gives such integers as BigInt) only when a number it parsed may be rounded.

import { ValidationError } from './errors';

/**
 * A JSON value as this package reads and writes it. Integers outside Number's safe range are
 * BigInt, so no digit is lost.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

const INVALID = 'invalid_json';
// With the u flag a surrogate pair is one code point, so this matches only a lone half.
const LONE_SURROGATE = /\p{Surrogate}/u;
// JSON.stringify writes a lone surrogate as a lowercase escape; nothing else it writes matches.
const SURROGATE_ESCAPE = /\\ud[89a-f]/;

/**
 * `encode` for the value at `key` of a request written in parts: an error's path starts at `key`.
 */
export function encodeMember(key: string, value: unknown): string {
  try {
    return encode(value);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const path = formatPath([key]) + (e.path === '' || e.path.startsWith('[') ? e.path : `.${e.path}`);
    throw new ValidationError(e.code, path, e.message, e.warnings);
  }
}

/** The compact JSON text of `value`; throws ValidationError (code invalid_json, with the path) for what JSON cannot carry. */
export function encode(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return exactStringify(value); // a BigInt or a cycle: the exact writer says which
  }
  if (text === undefined) return exactStringify(value); // undefined, a function or a symbol: the error
  const escaped = text.includes('\\u') && SURROGATE_ESCAPE.test(text);
  if (escaped || text.includes('null') || text.includes('{}')) new Walker(false, escaped).walk(value, '');
  return text;
}

/** JSON.parse, except that integers outside Number's safe range come back as BigInt (exact). */
export function decode(text: string): JsonValue {
  // JSON.parse is exact unless a number it read is an integer outside the safe range (or overflowed
  // to Infinity): then, and only then, the exact reader reads the text again. A look at the parsed
  // numbers costs less than a scan of the text for 16 digits in a row (which also matched digits
  // inside strings).
  const value = JSON.parse(text) as JsonValue;
  return mayHaveRounded(value) ? toValue(parseTree(text)) : value;
}

// Whether JSON.parse may have rounded an integer: a number that is an integer but not a safe one,
// or not finite. A fraction or an exponent that gives such a number (1e20) only costs the second
// read, which gives the same Number.
function mayHaveRounded(value: JsonValue): boolean {
  if (typeof value === 'number') return !Number.isSafeInteger(value) && (Number.isInteger(value) || !Number.isFinite(value));
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayHaveRounded(value[i] as JsonValue)) return true;
    return false;
  }
  const record = value as { [key: string]: JsonValue };
  for (const key in record) if (mayHaveRounded(record[key] as JsonValue)) return true;
  return false;
}

// ------------------------------------------------------------------------- the exact writer --

/**
 * JSON.stringify (compact) that writes a BigInt as its digits and throws a ValidationError at the
 * path of NaN, Infinity, a cycle, a lone surrogate, a Map, a Set, a function, a symbol, or
 * `undefined` anywhere but as an object's member (a member whose value is `undefined`, a function
 * or a symbol is absent, as with JSON.stringify and TypeScript's optional properties). Other
 * objects are written as JSON.stringify writes them: their own enumerable properties.
 */
export function exactStringify(value: unknown): string {
  return new Walker(true, true).walk(value, '');
}

const LONE_SURROGATE_MESSAGE = 'expected a string of whole characters, found a lone surrogate (UTF-8 cannot carry it)';

// One walk for the two uses, so that the rules of what JSON carries have one home: the exact
// writer (`writing`: it returns the text), and the check `encode` runs over a value that
// JSON.stringify wrote without throwing (so no BigInt, no cycle) when its text might hide a
// change (it returns ''). `strings`: whether strings and keys are checked for lone surrogates.
class Walker {
  // The keys from the root to the value being walked, for the path of an error.
  private readonly keys: Array<string | number> = [];
  private readonly ancestors = new Set<object>();

  constructor(
    private readonly writing: boolean,
    private readonly strings: boolean,
  ) {}

  // `key` is the name JSON.stringify would give toJSON: the member's name, the element's index
  // (made a string only when there is a toJSON to call), '' at the root.
  walk(input: unknown, key: string | number): string {
    let value = input;
    // Primitives first: most of a value is numbers and strings, which need no object checks.
    switch (typeof value) {
      case 'number':
        if (value - value !== 0) this.fail(`expected a finite number, found ${value}`);
        return this.writing ? String(value) : ''; // finite: as JSON.stringify writes it (-0 as 0)
      case 'string':
        return this.string(value);
      case 'boolean':
        return this.writing ? (value ? 'true' : 'false') : '';
      case 'bigint':
        return this.writing ? value.toString() : '';
      case 'object':
        if (value === null) return this.writing ? 'null' : '';
        break;
      default:
        this.fail(`expected a JSON value, found ${describe(value)}`);
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      value = (value as { toJSON(key: string): unknown }).toJSON(String(key));
      if (value === null || typeof value !== 'object') return this.walk(value, key);
    }
    const object = value as object;
    const prototype = Object.getPrototypeOf(object) as unknown;
    // A plain object or array is neither a boxed primitive nor a collection: skip those checks.
    if (prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null) {
      if (object instanceof Number || object instanceof String || object instanceof Boolean || object instanceof BigInt) {
        return this.walk(object.valueOf(), key);
      }
      if (object instanceof Map || object instanceof Set || object instanceof WeakMap || object instanceof WeakSet) {
        this.fail(`expected a JSON value, found a ${object.constructor.name} (convert it, e.g. Object.fromEntries or Array.from)`);
      }
    }
    if (this.writing) {
      if (this.ancestors.has(object)) this.fail('expected a JSON value, found an object that contains itself');
      this.ancestors.add(object);
    }
    const out = Array.isArray(object) ? this.array(object) : this.members(object as Record<string, unknown>);
    if (this.writing) this.ancestors.delete(object);
    return out;
  }

  private array(array: readonly unknown[]): string {
    const keys = this.keys;
    const depth = keys.length;
    keys.push(0);
    let out = this.writing ? '[' : '';
    for (let i = 0; i < array.length; i++) {
      keys[depth] = i;
      if (this.writing) out += i > 0 ? `,${this.walk(array[i], i)}` : this.walk(array[i], i);
      else this.walk(array[i], i);
    }
    keys.pop();
    return this.writing ? `${out}]` : '';
  }

  private members(record: Record<string, unknown>): string {
    const keys = this.keys;
    const depth = keys.length;
    keys.push('');
    let out = this.writing ? '{' : '';
    let first = true;
    for (const name of Object.keys(record)) {
      const member = record[name];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      keys[depth] = name;
      if (this.writing) {
        out += `${first ? '' : ','}${this.string(name)}:${this.walk(member, name)}`;
        first = false;
      } else {
        this.string(name);
        this.walk(member, name);
      }
    }
    keys.pop();
    return this.writing ? `${out}}` : '';
  }

  private string(text: string): string {
    if (!this.writing) {
      if (this.strings && LONE_SURROGATE.test(text)) this.fail(LONE_SURROGATE_MESSAGE);
      return '';
    }
    const json = JSON.stringify(text);
    // JSON.stringify escapes a lone surrogate as \udXXX: only a text with an escape can hold one.
    if (this.strings && json.includes('\\u') && LONE_SURROGATE.test(text)) this.fail(LONE_SURROGATE_MESSAGE);
    return json;
  }

  private fail(message: string): never {
    throw new ValidationError(INVALID, formatPath(this.keys), message);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  return typeof value;
}

/** A path in the core's form: `cursor_configs[2].batch_size`, `results["odd.key"]`. */
export function formatPath(keys: ReadonlyArray<string | number>): string {
  let out = '';
  for (const key of keys) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

// ------------------------------------------------------------------------- the exact reader --

/**
 * A node of a parsed JSON text: `type` is 'object' (`members`: [key, node] pairs in order,
 * duplicates kept), 'array' (`elements`), 'string' (`value`, decoded), 'number' (`text`, as
 * written), 'true', 'false' or 'null'. `start` and `end` index the value's text.
 */
export type JsonNode =
  | { type: 'object'; start: number; end: number; members: Array<[string, JsonNode]> }
  | { type: 'array'; start: number; end: number; elements: JsonNode[] }
  | { type: 'string'; start: number; end: number; value: string }
  | { type: 'number'; start: number; end: number; text: string }
  | { type: 'true' | 'false' | 'null'; start: number; end: number };

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const WHITESPACE = /[ \t\n\r]*/y;
const LITERALS: Record<string, 'true' | 'false' | 'null'> = { t: 'true', f: 'false', n: 'null' };

/** Parses strict JSON into a tree of nodes; throws a SyntaxError naming the offset. */
export function parseTree(text: string): JsonNode {
  const reader = new Reader(text);
  const node = reader.value();
  reader.skipWhitespace();
  if (reader.pos !== text.length) reader.fail('the end of the text');
  return node;
}

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  value(): JsonNode {
    this.skipWhitespace();
    const start = this.pos;
    const char = this.text[start];
    if (char === '{') return this.object(start);
    if (char === '[') return this.array(start);
    if (char === '"') {
      const end = this.match(STRING, 'a string');
      return { type: 'string', start, end, value: JSON.parse(this.text.slice(start, end)) as string };
    }
    const word = char === undefined ? undefined : LITERALS[char];
    if (word !== undefined) {
      if (!this.text.startsWith(word, start)) this.fail(word);
      this.pos += word.length;
      return { type: word, start, end: this.pos };
    }
    const end = this.match(NUMBER, 'a JSON value');
    return { type: 'number', start, end, text: this.text.slice(start, end) };
  }

  private object(start: number): JsonNode {
    const members: Array<[string, JsonNode]> = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] !== '}') {
      for (;;) {
        this.skipWhitespace();
        const keyStart = this.pos;
        if (this.text[keyStart] !== '"') this.fail('a key');
        const keyEnd = this.match(STRING, 'a key');
        const key = JSON.parse(this.text.slice(keyStart, keyEnd)) as string;
        this.skipWhitespace();
        this.expect(':');
        members.push([key, this.value()]);
        this.skipWhitespace();
        if (this.text[this.pos] === '}') break;
        this.expect(',');
      }
    }
    this.pos++;
    return { type: 'object', start, end: this.pos, members };
  }

  private array(start: number): JsonNode {
    const elements: JsonNode[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] !== ']') {
      for (;;) {
        elements.push(this.value());
        this.skipWhitespace();
        if (this.text[this.pos] === ']') break;
        this.expect(',');
      }
    }
    this.pos++;
    return { type: 'array', start, end: this.pos, elements };
  }

  private match(pattern: RegExp, what: string): number {
    pattern.lastIndex = this.pos;
    if (!pattern.test(this.text)) this.fail(what);
    this.pos = pattern.lastIndex;
    return this.pos;
  }

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.test(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private expect(char: string): void {
    if (this.text[this.pos] !== char) this.fail(`'${char}'`);
    this.pos++;
  }

  fail(what: string): never {
    const found = this.pos < this.text.length ? JSON.stringify(this.text.slice(this.pos, this.pos + 20)) : 'the end';
    throw new SyntaxError(`expected ${what} at offset ${this.pos}, found ${found}`);
  }
}

/** An integer literal: no fraction, no exponent. */
export function isIntegerText(text: string): boolean {
  return !/[.eE]/.test(text);
}

/** The JS value of a tree: integers outside Number's safe range become BigInt. */
export function toValue(node: JsonNode): JsonValue {
  switch (node.type) {
    case 'object': {
      const out: { [key: string]: JsonValue } = {};
      for (const [key, member] of node.members) {
        // As JSON.parse does: an own property even for "__proto__", the last of duplicates.
        Object.defineProperty(out, key, { value: toValue(member), writable: true, enumerable: true, configurable: true });
      }
      return out;
    }
    case 'array':
      return node.elements.map(toValue);
    case 'string':
      return node.value;
    case 'number': {
      const number = Number(node.text);
      return isIntegerText(node.text) && !Number.isSafeInteger(number) ? BigInt(node.text) : number;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    default:
      return null;
  }
}
