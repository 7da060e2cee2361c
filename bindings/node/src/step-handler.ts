// A small step-handler base for hosts that have none: the result shape and the two helpers
// upstream's handlers call (`success`, `failure`). A host with its own base keeps it and uses
// applyBatchable; the batch helpers then return the host's own results.

/** A step's result as a handler returns it to the host. */
export interface StepHandlerResult {
  success: boolean;
  result: { [key: string]: unknown };
  metadata: { [key: string]: unknown };
  errorMessage?: string;
  errorType?: string;
  retryable?: boolean;
}

/** Builds StepHandlerResult values. */
export const StepHandlerResult = {
  success(result: object = {}, metadata: object = {}): StepHandlerResult {
    return { success: true, result: { ...result }, metadata: { ...metadata } };
  },
  failure(message: string, errorType = 'handler_error', retryable = true, metadata: object = {}): StepHandlerResult {
    return { success: false, result: {}, metadata: { ...metadata }, errorMessage: message, errorType, retryable };
  },
};

/**
 * What a batch handler reads from the host's step context (upstream's StepContext has all of
 * these): the step's `inputs` (a worker's cursor and metadata), its checkpoint, the dependency
 * results of a convergence step.
 */
export interface BatchStepContext {
  /** The workflow step's `inputs` (RustBatchWorkerInputs for a worker). */
  stepInputs?: object;
  /** The task's context; upstream's older analyzers put `batch_context` here. */
  inputData?: object;
  /** The handler's configuration; upstream's older workers put `batch_context` here. */
  stepConfig?: object;
  /** The step's checkpoint `{cursor, items_processed, accumulated_results}`, or null. */
  checkpoint?: object | null;
  /** The step's results stored so far (older checkpoints live in `checkpoint_cursor`, `processed_count`). */
  stepResults?: object | null;
  /** A convergence step's dependencies: step name → result. */
  dependencyResults?: object;
}

/** The package's own handler base: `call` does the work, `success` and `failure` build results. */
export abstract class StepHandler {
  /** The name the host registers the handler under. */
  static handlerName?: string;

  abstract call(context: BatchStepContext): Promise<StepHandlerResult> | StepHandlerResult;

  success(result: object = {}, metadata: object = {}): StepHandlerResult {
    return StepHandlerResult.success(result, metadata);
  }

  failure(message: string, errorType?: string, retryable?: boolean, metadata?: object): StepHandlerResult {
    return StepHandlerResult.failure(message, errorType, retryable, metadata);
  }
}
