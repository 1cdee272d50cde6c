/**
 * Errors of patchbay's Concur-compatible APIs, in Concur's v4 shape:
 * `{"errors": [{"errorCode": "...", "errorMessage": "..."}]}`.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The body Concur's v4 APIs answer errors with. */
export interface ConcurErrorBody {
  errors: Array<{ errorCode: string; errorMessage: string }>;
}

/** A failure of a Concur-compatible endpoint; `app.ts` answers it with `body()` and `headers`. */
export class ConcurApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, errorCode: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ConcurApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.headers = headers;
  }

  /** Concur's error body for this error. */
  body(): ConcurErrorBody {
    return { errors: [{ errorCode: this.errorCode, errorMessage: this.message }] };
  }
}

/**
 * The error handler of a Concur-compatible scope: its own errors as they are, and framework errors
 * (malformed JSON, oversized or wrongly typed bodies, bad input) in the same shape. Unexpected errors
 * are logged and answered without their details.
 */
export function concurErrorHandler(error: FastifyError | ConcurApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ConcurApiError) return reply.code(error.status).headers(error.headers).send(error.body());
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) request.log.error({ err: error }, 'request failed');
  const answer =
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
      ? new ConcurApiError(400, 'invalidJson', `Invalid JSON structure: ${error.message}`)
      : error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? new ConcurApiError(413, 'badParam', 'The request body is too large.')
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? new ConcurApiError(415, 'badParam', 'Send the body as application/json.')
          : status === 500
            ? new ConcurApiError(500, 'internalServerError', 'Internal server error.')
            : new ConcurApiError(status, 'badParam', error.message);
  return reply.code(answer.status).send(answer.body());
}
