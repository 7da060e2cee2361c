'use strict';
// JSON that keeps integers exact, which JSON.parse and JSON.stringify cannot: past 2^53 a JS
// number drops digits, and cursors and counts in the contract go up to 128 bits.
//
//   parse('{"start_cursor":170141183460469231731687303715884105727}')
//     // => { start_cursor: 170141183460469231731687303715884105727n }
//   stringify({ start_cursor: 2n ** 100n })   // => '{"start_cursor":1267650600228229401496703205376}'
//
// `parseTree` is the reader under both: it keeps where each value starts and ends and each
// number's text, so that a value can be passed on or compared exactly as it was written.

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const WHITESPACE = /[ \t\n\r]*/y;
const LITERALS = { t: 'true', f: 'false', n: 'null' };

/**
 * Parses strict JSON into a tree of nodes `{ type, start, end, ... }`: `type` is 'object'
 * (`members`: [key, node] pairs in order, duplicates kept), 'array' (`elements`), 'string'
 * (`value`, decoded), 'number' (`text`, as written), 'true', 'false' or 'null'. `start` and
 * `end` index the value's text in `text`. Throws a SyntaxError naming the offset.
 */
function parseTree(text) {
  const reader = new Reader(text);
  const node = reader.value();
  reader.skipWhitespace();
  if (reader.pos !== text.length) reader.fail('the end of the text');
  return node;
}

class Reader {
  constructor(text) {
    this.text = text;
    this.pos = 0;
  }

  value() {
    this.skipWhitespace();
    const start = this.pos;
    const char = this.text[start];
    if (char === '{') return this.object(start);
    if (char === '[') return this.array(start);
    if (char === '"') return { type: 'string', start, end: this.string(), value: this.decoded(start) };
    if (char in LITERALS) {
      const word = LITERALS[char];
      if (!this.text.startsWith(word, start)) this.fail(word);
      this.pos += word.length;
      return { type: word, start, end: this.pos };
    }
    const end = this.match(NUMBER, 'a JSON value');
    return { type: 'number', start, end, text: this.text.slice(start, end) };
  }

  object(start) {
    const members = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { type: 'object', start, end: this.pos, members };
    }
    for (;;) {
      this.skipWhitespace();
      const keyStart = this.pos;
      if (this.text[keyStart] !== '"') this.fail('a key');
      this.string();
      const key = this.decoded(keyStart);
      this.skipWhitespace();
      this.expect(':');
      members.push([key, this.value()]);
      this.skipWhitespace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return { type: 'object', start, end: this.pos, members };
      }
      this.expect(',');
    }
  }

  array(start) {
    const elements = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { type: 'array', start, end: this.pos, elements };
    }
    for (;;) {
      elements.push(this.value());
      this.skipWhitespace();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return { type: 'array', start, end: this.pos, elements };
      }
      this.expect(',');
    }
  }

  // Moves past the string at `pos` (already checked to be a valid JSON string).
  string() {
    return this.match(STRING, 'a string');
  }

  decoded(start) {
    return JSON.parse(this.text.slice(start, this.pos));
  }

  match(pattern, what) {
    pattern.lastIndex = this.pos;
    if (!pattern.test(this.text)) this.fail(what);
    this.pos = pattern.lastIndex;
    return this.pos;
  }

  skipWhitespace() {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.test(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  expect(char) {
    if (this.text[this.pos] !== char) this.fail(`'${char}'`);
    this.pos++;
  }

  fail(what) {
    const found = this.pos < this.text.length ? JSON.stringify(this.text.slice(this.pos, this.pos + 20)) : 'the end';
    throw new SyntaxError(`expected ${what} at offset ${this.pos}, found ${found}`);
  }
}

/** An integer literal: no fraction, no exponent. */
function isIntegerText(text) {
  return !/[.eE]/.test(text);
}

/** The JS value of a tree: integers outside Number's safe range become BigInt. */
function toValue(node) {
  switch (node.type) {
    case 'object': {
      const out = {};
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

/**
 * JSON.parse, except that integers outside Number's safe range come back as BigInt (exact).
 * Numbers with a fraction or an exponent are Numbers, as always.
 */
function parse(text) {
  // Every integer of at most 15 digits is safe: when no 16 digits stand in a row, JSON.parse
  // (much faster) gives the same result.
  return /[0-9]{16}/.test(text) ? toValue(parseTree(text)) : JSON.parse(text);
}

/**
 * JSON.stringify (compact), except that a BigInt is written as its digits. Throws a TypeError
 * for what JSON cannot carry and JSON.stringify would quietly change: NaN and Infinity (which
 * it writes as null), a cycle, and `undefined` or a function as the whole value.
 */
function stringify(value) {
  const parts = [];
  write(value, '', parts, new Set());
  return parts.join('');
}

function write(value, key, parts, ancestors) {
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') value = value.toJSON(key);
  if (value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt) {
    value = value.valueOf();
  }
  switch (typeof value) {
    case 'bigint':
      parts.push(value.toString());
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} is not a JSON number`);
      parts.push(JSON.stringify(value));
      return;
    case 'string':
    case 'boolean':
      parts.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`${typeof value} is not a JSON value`);
  }
  if (value === null) {
    parts.push('null');
    return;
  }
  if (ancestors.has(value)) throw new TypeError('a value that contains itself is not JSON');
  ancestors.add(value);
  if (Array.isArray(value)) {
    parts.push('[');
    value.forEach((element, i) => {
      if (i > 0) parts.push(',');
      if (skipped(element)) parts.push('null');
      else write(element, String(i), parts, ancestors);
    });
    parts.push(']');
  } else {
    parts.push('{');
    let first = true;
    for (const name of Object.keys(value)) {
      const member = value[name];
      if (skipped(member)) continue;
      if (!first) parts.push(',');
      first = false;
      parts.push(JSON.stringify(name), ':');
      write(member, name, parts, ancestors);
    }
    parts.push('}');
  }
  ancestors.delete(value);
}

// What JSON.stringify leaves out of an object (and writes as null in an array).
function skipped(value) {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

module.exports = { parse, stringify, parseTree, toValue, isIntegerText };
