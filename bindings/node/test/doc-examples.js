'use strict';
// The examples of docs/typescript.md: every ```ts block, in order. docs.test.js runs them;
// install/install.test.js type-checks them against the installed package.

const fs = require('node:fs');
const path = require('node:path');

const DOC = path.resolve(__dirname, '..', '..', '..', 'docs', 'typescript.md');

function docExamples() {
  const text = fs.readFileSync(DOC, 'utf8');
  const examples = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
    examples.push({ line: text.slice(0, m.index).split('\n').length, code: m[1] });
  }
  return examples;
}

module.exports = { docExamples, DOC };
