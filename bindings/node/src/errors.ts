// The package's errors. The core reports every error with a stable code, a path in the input
// and a message; the message is the core's text as it is (upstream's own text where upstream
// had one, e.g. "Missing cursor configuration"), code and path are attributes.

/** A warning or an error as the core reports it. */
export interface Diagnostic {
  /** Stable machine code, e.g. "worker_count_mismatch". */
  code: string;
  /** Where in the input, e.g. "cursor_configs[2].batch_size"; "" is the input itself. */
  path: string;
  /** For humans: what was expected and what was found. */
  message: string;
}

/** Every error the core reports. A bug caught at the C boundary is this class itself, with code "internal_error". */
export class TaskerBatchError extends Error {
  /** Stable machine code, e.g. "worker_count_mismatch". */
  readonly code: string;
  /** Where in the input, e.g. "cursor_configs[2].batch_size"; "" is the input itself. */
  readonly path: string;
  /** Warnings the core reported beside the error, usually none. */
  readonly warnings: Diagnostic[];

  constructor(code: string, path: string, message: string, warnings: Diagnostic[] = []) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.path = path;
    this.warnings = warnings;
  }

  /** The error as the core's envelope writes it. */
  toJSON(): Diagnostic {
    return { code: this.code, path: this.path, message: this.message };
  }
}

/** Bad input: a missing or malformed field, a broken rule, a value JSON cannot carry, an unknown operation. */
export class ValidationError extends TaskerBatchError {}
