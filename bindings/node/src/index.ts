// tasker-batch: the batch-processing contract of the tasker workflow orchestrator, from Node and
// TypeScript, through the Rust core's C ABI (koffi). Every rule is the core's; this package
// converts, types and names things.
//
//   import { partitionByCount, createBatches, createBatchWorkerContext, writeCheckpoint, aggregateBatchResults } from 'tasker-batch';

export { TaskerBatchError, ValidationError } from './errors';
export type { Diagnostic } from './errors';
export type { JsonValue } from './json';
export { call, callWithWarnings, callJson } from './call';
export type { CallOptions, CallResult } from './call';
export { version, libraryPath } from './native';
export { parse, stringify, operations } from './wire';

export type {
  FailureStrategy,
  RustCursorConfig,
  BatchMetadata,
  RustBatchWorkerInputs,
  NoBatchesOutcome,
  CreateBatchesOutcome,
  BatchProcessingOutcome,
  BatchAggregationResult,
  ScenarioName,
  Reducer,
  Checkpoint,
  WorkerContextData,
  WorkerStepData,
  FailedBatch,
  ConvergenceResult,
  ExpansionPlan,
  PartitionRequest,
  CursorConfig,
  BatchAnalyzerOutcome,
  BatchWorkerOutcome,
} from './types';

export {
  noBatches,
  createBatches,
  isNoBatches,
  isCreateBatches,
  validateOutcome,
  validateCursorConfig,
  validateBatchMetadata,
  validateWorkerInputs,
  expandOutcome,
} from './outcome';
export type { ExpansionRequest } from './outcome';
export { partition, partitionByCount, partitionBySize, partitionUuids, partitionTimestamps, partitionBoundaries } from './partition';
export { BatchWorkerContext, createBatchWorkerContext } from './worker-context';
export { updateStepResults, writeCheckpoint, resetForRetry } from './checkpoint';
export type { StepResults, CheckpointWrite } from './checkpoint';
export { detectAggregationScenario, detectScenario, aggregateBatchResults, aggregate, converge } from './convergence';
export type { BatchAggregationScenario, AggregateOptions, ConvergeRequest } from './convergence';
export { redrive } from './redrive';
export type { RedriveRequest, RedriveFailedBatch, RedrivenRange, RedrivePlan } from './redrive';
export { StepHandler, StepHandlerResult } from './step-handler';
export type { BatchStepContext } from './step-handler';
export { BatchableMixin, applyBatchable, BatchableStepHandler, BATCHABLE_METHODS } from './batchable';
export type { Batchable, BatchWorkerConfig } from './batchable';
