'use strict';
// Every case of every shared vector (spec/conformance/*.json, format and comparison rules in its
// README) through the package, two ways:
//
// - the text path: callJson with the input's exact text from the file, the envelope's value
//   compared byte for byte with `value_text` and by the README's rules with `value` (numbers by
//   their text: JS numbers cannot tell 1 from 1.0 nor keep 2^64);
// - the typed path: the input as JS values (BigInt past 2^53) through the package's typed
//   function for the operation (validateOutcome, partition, createBatchWorkerContext,
//   updateStepResults, aggregateBatchResults, converge, …), which is what a worker author calls;
//   through `call` only where the input is not of the typed function's shape (skipped when the
//   input has no JS form).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');

const taskerBatch = require('..');
const { parseTree, isIntegerText } = require('../dist/json');
const { typedCall, TYPED } = require('./typed-call');

const SPEC_DIR = path.resolve(__dirname, '..', '..', '..', 'spec', 'conformance');
const EXPECT_KEYS = new Set(['value', 'value_text', 'ordered', 'warnings', 'error']);

// ---------------------------------------------------------------------------- reading --

function member(node, key) {
  if (node === undefined || node.type !== 'object') return undefined;
  const found = node.members.find(([name]) => name === key);
  return found && found[1];
}

/** Every case of the vector file `file`, in file order; inputs as the exact text in the file. */
function readCases(file) {
  const text = fs.readFileSync(path.join(SPEC_DIR, file), 'utf8');
  const cases = member(parseTree(text), 'cases');
  assert.ok(cases && cases.type === 'array', `${file}: no "cases" array`);
  return cases.elements.map((node) => {
    const input = member(node, 'input');
    const inputText = member(node, 'input_text');
    const name = member(node, 'name').value;
    assert.ok((input === undefined) !== (inputText === undefined), `${file}: ${name}: needs exactly one of input and input_text`);
    const expect = member(node, 'expect');
    return {
      file,
      name,
      op: member(node, 'op').value,
      inputText: input ? text.slice(input.start, input.end) : inputText.value,
      rawInputText: input === undefined,
      expect,
      error: member(expect, 'error'),
      ordered: member(expect, 'ordered')?.type === 'true',
      warnings: diagnostics(member(expect, 'warnings')),
    };
  });
}

function vectorFiles() {
  return fs.readdirSync(SPEC_DIR).filter((f) => f.endsWith('.json')).sort();
}

/** An array node of {code, path} objects as [code, path] pairs. */
function diagnostics(node) {
  if (node === undefined) return [];
  return node.elements.map((d) => [member(d, 'code')?.value, member(d, 'path')?.value]);
}

/** What is wrong with `expect` (an unknown key is a typo), or null. */
function expectProblem(expect) {
  if (expect === undefined || expect.type !== 'object') return 'the case has no "expect" object';
  const unknown = expect.members.map(([key]) => key).filter((key) => !EXPECT_KEYS.has(key));
  if (unknown.length > 0) return `unknown keys in expect: ${unknown.join(', ')}`;
  const kinds = { value_text: ['string'], ordered: ['true', 'false'], warnings: ['array'] };
  for (const [key, allowed] of Object.entries(kinds)) {
    const node = member(expect, key);
    if (node !== undefined && !allowed.includes(node.type)) return `expect.${key} must be ${allowed.join(' or ')}`;
  }
  return null;
}

/** The parts of an envelope: `ok`, the value's node and exact text, the error, the warnings. */
function splitEnvelope(text) {
  const root = parseTree(text);
  const value = member(root, 'value');
  return {
    ok: member(root, 'ok')?.type,
    value,
    valueText: value && text.slice(value.start, value.end),
    error: member(root, 'error'),
    warnings: member(root, 'warnings'),
  };
}

// ------------------------------------------------------------------------- comparing --

/** The README's rule: integers by their exact digits, never equal to a non-integer; others by value. */
function sameNumberText(a, b) {
  const aInteger = isIntegerText(a);
  if (aInteger !== isIntegerText(b)) return false;
  return aInteger ? a === b : Number(a) === Number(b);
}

/** For values that went through JS numbers, where 1.0 is written back as 1: by value, integers exactly. */
function sameNumberValue(a, b) {
  if (isIntegerText(a) && isIntegerText(b)) return a === b;
  return Number(a) === Number(b);
}

/** Two trees are equal: objects by key (and order when `ordered`), arrays in order, numbers by `sameNumber`. */
function same(expected, actual, ordered, sameNumber = sameNumberText) {
  if (expected.type !== actual.type) return false;
  switch (expected.type) {
    case 'number':
      return sameNumber(expected.text, actual.text);
    case 'string':
      return expected.value === actual.value;
    case 'array':
      return (
        expected.elements.length === actual.elements.length &&
        expected.elements.every((e, i) => same(e, actual.elements[i], ordered, sameNumber))
      );
    case 'object': {
      const a = expected.members;
      const b = actual.members;
      if (a.length !== b.length) return false;
      if (ordered) {
        return a.every(([key, value], i) => key === b[i][0] && same(value, b[i][1], ordered, sameNumber));
      }
      // Both ways, so that duplicate keys cannot make unequal objects look equal.
      const foundIn = (x, y) => x.members.every(([key, value]) => {
        const other = member(y, key);
        return other !== undefined && same(value, other, ordered, sameNumber);
      });
      return foundIn(expected, actual) && foundIn(actual, expected);
    }
    default:
      return true; // true, false, null: the type says it all
  }
}

function textOf(file, node) {
  return file.slice(node.start, node.end);
}

// ---------------------------------------------------------------------------- paths --

function checkTextPath(c, sourceText) {
  const problem = expectProblem(c.expect);
  assert.equal(problem, null, problem);
  const envelope = splitEnvelope(taskerBatch.callJson(c.op, c.inputText));

  if (c.error !== undefined) {
    assert.equal(envelope.ok, 'false', `expected an error, found the value ${envelope.valueText}`);
    assert.deepEqual(diagnostics({ elements: [envelope.error] }), diagnostics({ elements: [c.error] }));
    assert.ok(member(envelope.error, 'message')?.value, 'an error needs a message');
  } else {
    assert.equal(envelope.ok, 'true', `expected a value, found the error ${JSON.stringify(envelope.error)}`);
    const valueText = member(c.expect, 'value_text');
    if (valueText !== undefined) assert.equal(envelope.valueText, valueText.value);
    const value = member(c.expect, 'value');
    if (value !== undefined) {
      assert.ok(
        same(value, envelope.value, c.ordered),
        `expected ${c.ordered ? '(in this key order) ' : ''}${textOf(sourceText, value)}, got ${envelope.valueText}`,
      );
    }
  }
  assert.deepEqual(diagnostics(envelope.warnings), c.warnings);
}

/** The case's input as JS values, or the reason it has none. */
function jsInput(c) {
  let tree;
  try {
    tree = parseTree(c.inputText);
  } catch (e) {
    if (e instanceof RangeError) return { skip: 'the input is nested deeper than this reader goes' };
    return { skip: `the input text is not JSON, so it has no JS form (${e.message.slice(0, 80)})` };
  }
  let duplicate;
  try {
    duplicate = duplicateKey(tree);
  } catch (e) {
    if (e instanceof RangeError) return { skip: 'the input is nested deeper than this reader goes' };
    throw e;
  }
  if (duplicate !== null) return { skip: `the input names the key ${JSON.stringify(duplicate)} twice: a JS object cannot hold both` };
  return { value: taskerBatch.parse(c.inputText) };
}

function duplicateKey(node) {
  const children = node.type === 'object' ? node.members.map(([, v]) => v) : node.type === 'array' ? node.elements : [];
  if (node.type === 'object') {
    const keys = node.members.map(([key]) => key);
    const twice = keys.find((key, i) => keys.indexOf(key) !== i);
    if (twice !== undefined) return twice;
  }
  for (const child of children) {
    const found = duplicateKey(child);
    if (found !== null) return found;
  }
  return null;
}

function checkObjectPath(t, c, sourceText) {
  const input = jsInput(c);
  if (input.skip) {
    t.skip(input.skip);
    return;
  }
  if (c.error !== undefined) {
    const code = member(c.error, 'code').value;
    const Klass = code === 'internal_error' ? taskerBatch.TaskerBatchError : taskerBatch.ValidationError;
    assert.throws(
      () => typedCall(c.op, input.value),
      (error) => {
        assert.equal(error.constructor, Klass);
        assert.deepEqual([error.code, error.path], diagnostics({ elements: [c.error] })[0]);
        assert.deepEqual(error.warnings.map((w) => [w.code, w.path]), c.warnings);
        return true;
      },
    );
    return;
  }
  const result = typedCall(c.op, input.value);
  const actualText = taskerBatch.stringify(result.value);
  const actual = parseTree(actualText);
  const value = member(c.expect, 'value');
  if (value !== undefined) {
    assert.ok(same(value, actual, c.ordered, sameNumberValue), `expected ${textOf(sourceText, value)}, got ${actualText}`);
  }
  const valueText = member(c.expect, 'value_text');
  if (valueText !== undefined) {
    // The exact text says the key order as well.
    assert.ok(same(parseTree(valueText.value), actual, true, sameNumberValue), `expected ${valueText.value}, got ${actualText}`);
  }
  assert.deepEqual(result.warnings.map((w) => [w.code, w.path]), c.warnings);
}

// ---------------------------------------------------------------------------- tests --

for (const file of vectorFiles()) {
  const sourceText = fs.readFileSync(path.join(SPEC_DIR, file), 'utf8');
  describe(file, () => {
    for (const c of readCases(file)) {
      describe(c.name, () => {
        test('text path (callJson)', () => checkTextPath(c, sourceText));
        test('typed path', (t) => checkObjectPath(t, c, sourceText));
      });
    }
  });
}

describe('the runner itself', () => {
  test('runs every operation through its typed function for some case (not only through call)', () => {
    const typedOps = new Set();
    for (const file of vectorFiles()) {
      for (const c of readCases(file)) {
        const input = jsInput(c);
        if (input.skip) continue;
        if (TYPED[c.op]?.(input.value)) typedOps.add(c.op);
      }
    }
    const ops = new Set(vectorFiles().flatMap((f) => readCases(f).map((c) => c.op)));
    assert.deepEqual([...typedOps].sort(), [...ops].sort());
  });

  test('finds the vectors (a runner that reads no case proves nothing)', () => {
    const counts = Object.fromEntries(vectorFiles().map((f) => [f, readCases(f).length]));
    assert.ok(Object.keys(counts).length >= 11, JSON.stringify(counts));
    assert.ok(Object.values(counts).every((n) => n > 0), JSON.stringify(counts));
  });

  test('case names are unique in their file', () => {
    for (const file of vectorFiles()) {
      const names = readCases(file).map((c) => c.name);
      assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], file);
    }
  });

  test('sends each input as the text the file holds', () => {
    for (const file of vectorFiles()) {
      const text = fs.readFileSync(path.join(SPEC_DIR, file), 'utf8');
      const parsed = JSON.parse(text).cases;
      readCases(file).forEach((c, i) => {
        assert.equal(c.name, parsed[i].name);
        if (c.rawInputText) {
          assert.equal(c.inputText, parsed[i].input_text);
        } else {
          assert.ok(text.includes(c.inputText));
          assert.deepEqual(JSON.parse(c.inputText), parsed[i].input);
        }
      });
    }
  });

  test('takes the exact value text out of an envelope', () => {
    const envelope = splitEnvelope('{"ok":true,"value":{"s":"}]\\"","n":[1.50,100000000000000000000]},"warnings":[]}');
    assert.equal(envelope.valueText, '{"s":"}]\\"","n":[1.50,100000000000000000000]}');
  });

  test('tells an integer from a float and compares integers by their digits', () => {
    const tree = (text) => parseTree(text);
    assert.ok(!same(tree('{"a": 1}'), tree('{"a": 1.0}')));
    assert.ok(same(tree('[1.50]'), tree('[1.5]')));
    assert.ok(!same(tree('[18446744073709551617]'), tree('[18446744073709551616]')));
    assert.ok(!same(tree('[1]'), tree('[true]')));
  });

  test('compares key order only when asked', () => {
    const tree = (text) => parseTree(text);
    assert.ok(same(tree('{"a": 1, "b": 2}'), tree('{"b": 2, "a": 1}')));
    assert.ok(!same(tree('{"a": 1, "b": 2}'), tree('{"b": 2, "a": 1}'), true));
    assert.ok(!same(tree('{"a": 1, "a": 1}'), tree('{"a": 1, "b": 1}')));
  });
});
