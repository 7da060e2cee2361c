'use strict';
// Runs every example of docs/typescript.md (compiled by the pinned TypeScript) against the
// package; each example checks its own results with node:assert.

const assert = require('node:assert/strict');
const Module = require('node:module');
const path = require('node:path');
const { describe, test } = require('node:test');
const ts = require('typescript');

const { docExamples } = require('./doc-examples');

const PACKAGE = path.resolve(__dirname, '..');

describe('docs/typescript.md', () => {
  const examples = docExamples();
  test('has examples (a runner that finds none proves nothing)', () => assert.ok(examples.length >= 5, String(examples.length)));
  for (const example of examples) {
    test(`the example at line ${example.line}`, () => {
      const js = ts.transpileModule(example.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
      const file = path.join(PACKAGE, `doc-example-${example.line}.js`);
      const m = new Module(file, module);
      m.filename = file;
      m.paths = Module._nodeModulePaths(PACKAGE);
      // `tasker-batch` is this package (as a self-reference by name resolves it).
      const base = Module.createRequire(file);
      m.require = (id) => (id === 'tasker-batch' ? require('..') : base(id));
      m._compile(js, file);
    });
  }
});
