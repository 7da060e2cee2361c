'use strict';
// Runs a conformance case through the package's typed function for its operation, returning
// `{ value, warnings, via }` like callWithWarnings. `via` names the function used; an input that
// is not of the typed function's shape goes through `callWithWarnings`.

const tb = require('..');

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const keysWithin = (v, allowed) => isObject(v) && Object.keys(v).every((k) => allowed.includes(k));

function collecting(run) {
  const warnings = [];
  const value = run({ onWarning: (w) => warnings.push(w) });
  return { value, warnings };
}

const TYPED = {
  validate_outcome: (input) => isObject(input) && ((o) => tb.validateOutcome(input, o)),
  validate_cursor_config: (input) => isObject(input) && ((o) => tb.validateCursorConfig(input, o)),
  validate_batch_metadata: (input) => isObject(input) && ((o) => tb.validateBatchMetadata(input, o)),
  validate_worker_inputs: (input) => isObject(input) && ((o) => tb.validateWorkerInputs(input, o)),
  partition: (input) => isObject(input) && ((o) => tb.partition(input, o)),
  expand_outcome: (input) => isObject(input) && ((o) => tb.expandOutcome(input, o)),
  worker_context: (input) => isObject(input) && 'inputs' in input && ((o) => tb.createBatchWorkerContext(input, undefined, o).toJSON()),
  update_step_results: (input) =>
    keysWithin(input, ['step', 'changes']) && isObject(input.step) && 'inputs' in input.step && isObject(input.changes) &&
    ((o) => tb.updateStepResults(input.step, input.changes, o)),
  reset_for_retry: (input) => isObject(input) && ((o) => tb.resetForRetry(input, o)),
  detect_scenario: (input) => isObject(input) && ((o) => tb.detectScenario(input, o)),
  aggregate: (input) =>
    keysWithin(input, ['batch_results', 'max_errors', 'reducers', 'scenario']) && 'batch_results' in input &&
    (typeof input.max_errors === 'number' || input.max_errors === undefined) &&
    ((o) => tb.aggregateBatchResults(input.batch_results, input.max_errors, { ...o, reducers: input.reducers ?? undefined, scenario: input.scenario })),
  converge: (input) => isObject(input) && ((o) => tb.converge(input, o)),
  redrive: (input) => isObject(input) && ((o) => tb.redrive(input, o)),
};

function typedCall(op, input) {
  const typed = TYPED[op] && TYPED[op](input);
  if (!typed) return { ...tb.callWithWarnings(op, input), via: 'call' };
  return { ...collecting(typed), via: op };
}

module.exports = { typedCall, TYPED };
