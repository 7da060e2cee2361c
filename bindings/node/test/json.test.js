'use strict';
// The encoder at the crossing: JSON.stringify's text when it is exact, the exact writer when a
// value needs it, and an error at the path for what JSON cannot carry (never a silent change).

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');

const tb = require('..');
const { encode, exactStringify, decode } = require('../dist/json');

const bad = (value, path, pattern) => () =>
  assert.throws(() => encode(value), (e) => {
    assert.ok(e instanceof tb.ValidationError, String(e));
    assert.equal(e.code, 'invalid_json');
    assert.equal(e.path, path);
    assert.match(e.message, pattern);
    return true;
  });

describe('what JSON cannot carry is an error at its path', () => {
  test('NaN', bad({ batch_results: [{ items_processed: NaN }] }, 'batch_results[0].items_processed', /finite number, found NaN/));
  test('Infinity and -Infinity', () => {
    bad({ a: Infinity }, 'a', /found Infinity/)();
    bad([1, -Infinity], '[1]', /found -Infinity/)();
  });
  test('undefined as an element or as the whole value', () => {
    bad({ errors: [undefined] }, 'errors[0]', /found undefined/)();
    bad(undefined, '', /found undefined/)();
  });
  test('a function or a symbol as an element', () => {
    bad([() => 1], '[0]', /a function/)();
    bad([Symbol('s')], '[0]', /a symbol/)();
  });
  test('a cycle', () => {
    const step = { inputs: {} };
    step.inputs.step = step;
    bad(step, 'inputs.step', /contains itself/)();
  });
  test('a lone surrogate in a string or a key', () => {
    bad({ cursor: 'ab\uD800' }, 'cursor', /lone surrogate/)();
    bad({ ['k\uDC00']: 1 }, '["k\\udc00"]', /lone surrogate/)();
  });
  test('a Map, a Set (JSON.stringify would write {})', () => {
    bad({ results: new Map([['a', 1]]) }, 'results', /a Map/)();
    bad({ ids: new Set([1]) }, 'ids', /a Set/)();
    bad([{ a: 1 }, new Map()], '[1]', /a Map/)();
  });
  test('paths quote keys that are not identifiers, as the core does', () => {
    bad({ 'odd.key': [NaN] }, '["odd.key"][0]', /NaN/)();
  });
  test('a typed function names the path in its own input', () => {
    assert.throws(() => tb.aggregateBatchResults([{ items_processed: 1 }, { items_failed: NaN }]), {
      code: 'invalid_json',
      path: 'batch_results[1].items_failed',
    });
  });
});

describe('exact values', () => {
  test('integers beyond 2^53 round-trip exactly as BigInt', () => {
    const start = 2n ** 100n + 1n;
    const [config] = tb.partitionByCount(10, 1, start);
    assert.equal(config.start_cursor, start);
    assert.equal(config.end_cursor, start + 10n);
    const ctx = tb.createBatchWorkerContext({ inputs: { cursor: config } });
    assert.equal(ctx.startCursor, start);
    assert.equal(decode(encode({ n: 18446744073709551617n })).n, 18446744073709551617n);
  });
  test('safe integers stay Numbers; -0 is 0; a Date is its ISO text', () => {
    assert.deepEqual(decode(encode({ a: 9007199254740991, b: -0, at: new Date(0) })), { a: 9007199254740991, b: 0, at: '1970-01-01T00:00:00.000Z' });
  });
  test('decode: an integer JSON.parse would round is BigInt wherever it is; other numbers as JSON.parse reads them', () => {
    assert.deepEqual(decode('{"a":[1,{"b":-9007199254740993}],"c":"12345678901234567890"}'), { a: [1, { b: -9007199254740993n }], c: '12345678901234567890' });
    assert.equal(decode('1' + '0'.repeat(400)), 10n ** 400n); // JSON.parse would say Infinity
    assert.deepEqual(decode('[1e20,12345678901234567.5,1e400,9007199254740991]'), [1e20, 12345678901234567.5, Infinity, 9007199254740991]);
    const owned = decode('{"__proto__":9007199254740993}');
    assert.equal(Object.getOwnPropertyDescriptor(owned, '__proto__').value, 9007199254740993n);
  });
  test('a member whose value is undefined is absent (as TypeScript\'s optional properties)', () => {
    assert.equal(encode({ last_cursor: undefined, items_processed: 1 }), '{"items_processed":1}');
  });
  test('surrogate pairs and escapes pass; NUL is escaped', () => {
    assert.equal(encode({ s: 'é😀\0"' }), JSON.stringify({ s: 'é😀\0"' }));
  });
});

describe('the fast path and the exact writer agree', () => {
  const samples = [
    { batch_results: [{ items_processed: 5, errors: [{ row: 1 }] }, null] },
    { a: [1, 2.5, 'x', true, false, null, {}], b: { c: { d: [] } } },
    [null, { toJSON: () => 'j' }, new Number(3), new String('s'), new Boolean(false)],
    { 'weird key': 'v', '': 0, __proto__x: 1 },
  ];
  for (const [i, sample] of samples.entries()) {
    test(`sample ${i}`, () => {
      assert.equal(exactStringify(sample), JSON.stringify(sample));
      assert.equal(encode(sample), JSON.stringify(sample)); // a null or {} that was in the data passes the check
    });
  }
  test('JSON.stringify text is used as is when it holds no null, {} or surrogate escape', () => {
    const value = { items_processed: 5, errors: [{ row: 1, message: 'x' }] };
    assert.equal(encode(value), JSON.stringify(value));
  });
});
