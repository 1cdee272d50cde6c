/**
 * The one error model of patchbay's admin API: every failure is a `PatchbayError` with a code from
 * `ERROR_CODES`, and one handler (see `app.ts`) turns it into the response envelope.
 */

/** Error codes, each with its HTTP status. Messages are per-instance and say what to do next. */
export const ERROR_CODES = {
  validation_failed: 400,
  invalid_json: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  permission_denied: 403,
  csrf_token_invalid: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  search_too_broad: 422,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal_error: 500,
  connector_failed: 502,
  service_unavailable: 503,
} as const;

/** One of the codes of `ERROR_CODES`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The body every admin API error response carries. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; field?: string; requestId?: string };
}

/** An expected failure, with the code that decides its HTTP status and an actionable message. */
export class PatchbayError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PatchbayError';
    this.code = code;
    this.field = options.field;
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** A 404 that says what was looked for, used for missing rows and other companies' rows alike. */
export function notFound(what: string): PatchbayError {
  return new PatchbayError('not_found', `${what} was not found.`);
}

/** A 400 naming the offending field. */
export function invalidField(field: string, message: string): PatchbayError {
  return new PatchbayError('validation_failed', message, { field });
}
