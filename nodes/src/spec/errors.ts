/**
 * Public error codes (the error shape and every code: docs/contracts.md §3). Add, never rename. A list, so tests can
 * check the documentation against it.
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'BODY_TOO_LARGE',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'CONFLICT',
  'INTERNAL',
  'FLOW_INVALID',
  'FLOW_NOT_FOUND',
  'FLOW_EXISTS',
  'FLOW_VERSION_CONFLICT',
  'FLOW_FILE_UNREADABLE',
  'NODE_TYPE_UNKNOWN',
  'NODE_PARAM_INVALID',
  'NODE_INPUT_INVALID',
  'NODE_FAILED',
  'NODE_TIMEOUT',
  'UPSTREAM_FAILED',
  'RUN_NOT_FOUND',
  'RUN_INPUT_INVALID',
  'RUN_CANCELLED',
  'RUN_INTERRUPTED',
  'RUN_NOT_RUNNING',
  'RUN_TIMEOUT',
  'PROVIDER_NOT_CONFIGURED',
  'PROVIDER_ERROR',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_UNAVAILABLE',
  'OUTPUT_SCHEMA_MISMATCH',
  'COLLECTION_NOT_FOUND',
  'EMBEDDER_MISMATCH',
  'VECTOR_STORE_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'QUEUE_UNAVAILABLE',
  'SANDBOX_ERROR',
  'SANDBOX_TIMEOUT',
  'SANDBOX_MEMORY',
  'HTTP_REQUEST_FAILED',
  'HTTP_ADDRESS_BLOCKED',
  'TOOL_FAILED',
  'SUBFLOW_DEPTH_EXCEEDED',
  'TOOL_LOOP_LIMIT',
  'ROUTE_UNKNOWN',
  'SERVICE_NOT_CONFIGURED',
  'KEY_NOT_FOUND',
  'VERSION_NOT_FOUND',
  'OVERRIDE_NOT_ALLOWED',
  'RECORDING_NOT_FOUND',
  'DATASET_NOT_FOUND',
  'DATASET_ITEM_NOT_FOUND',
  'EXPERIMENT_NOT_FOUND',
  'EXPERIMENT_NOT_RUNNING',
  'VALUE_TOO_DEEP',
  'RUN_NODE_LIMIT',
  'PROVIDER_NOT_FOUND',
  'RUN_NOT_PAUSED',
  'PAUSE_TIMEOUT',
  'APPROVAL_UNSUPPORTED',
] as const;

/** One of `ERROR_CODES`. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The JSON body of an error, everywhere: HTTP answers, `node.failed`, `run.failed`. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown[];
}

/** HTTP status per code when the thrower does not set one. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  PROVIDER_NOT_FOUND: 404,
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  FLOW_INVALID: 400,
  FLOW_FILE_UNREADABLE: 400,
  NODE_TYPE_UNKNOWN: 400,
  NODE_PARAM_INVALID: 400,
  RUN_INPUT_INVALID: 400,
  OVERRIDE_NOT_ALLOWED: 400,
  VALUE_TOO_DEEP: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  FLOW_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  COLLECTION_NOT_FOUND: 404,
  DATASET_NOT_FOUND: 404,
  DATASET_ITEM_NOT_FOUND: 404,
  EXPERIMENT_NOT_FOUND: 404,
  CONFLICT: 409,
  EXPERIMENT_NOT_RUNNING: 409,
  EMBEDDER_MISMATCH: 409,
  FLOW_EXISTS: 409,
  FLOW_VERSION_CONFLICT: 409,
  RUN_NOT_RUNNING: 409,
  RUN_NOT_PAUSED: 409,
  BODY_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  PROVIDER_RATE_LIMITED: 429,
  PROVIDER_ERROR: 502,
  PROVIDER_UNAVAILABLE: 502,
  PROVIDER_NOT_CONFIGURED: 503,
  VECTOR_STORE_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
};

export interface AppErrorOptions {
  status?: number;
  details?: unknown[];
  cause?: unknown;
  /** True when trying again may succeed (rate limits, 5xx, connection resets). */
  retryable?: boolean;
}

/** The one error class: a public code, a message for people, and optional details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown[];
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? STATUS[code] ?? 500;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** True for AppError instances, also across package copies. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError || (err instanceof Error && err.name === 'AppError' && 'code' in err);
}

/** The only way an error becomes JSON. Unknown errors become INTERNAL with a generic message. */
export function toErrorBody(err: unknown): ErrorBody {
  if (isAppError(err)) {
    return err.details
      ? { code: err.code, message: err.message, details: err.details }
      : { code: err.code, message: err.message };
  }
  return { code: 'INTERNAL', message: 'Internal error' };
}
