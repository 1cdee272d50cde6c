/**
 * Errors of patchbay's Concur-compatible APIs, in Concur's v4 shape:
 * `{"errors": [{"errorCode": "...", "errorMessage": "..."}]}`.
 */

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
