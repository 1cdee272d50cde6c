/**
 * The result shape of every parser in this package: parsers never throw, they answer `{ ok: false, code,
 * reason }` for anything they refuse. `reason` is a specific, human-readable sentence (safe to log and, for
 * `too-many-results`, to show to the user); `code` lets a caller count and branch without parsing it.
 */

/** Why a document was refused. */
export type ParseFailureCode =
  /** Larger than the caller's size cap: refused before any parsing. */
  | 'too-large'
  /** An HTML page (an error page, a login page, a proxy's page) instead of XML. */
  | 'html'
  /** A DOCTYPE or entity/markup declaration: DTDs and entity expansion are off, such documents are refused. */
  | 'dtd'
  /** Not well-formed XML (or not XML at all, or not UTF-8): truncated, unclosed tags, bad characters... */
  | 'malformed'
  /** Elements nested deeper than the limit. */
  | 'too-deep'
  /** Well-formed, but not what the callout's contract says (wrong root, missing or too long values...). */
  | 'invalid'
  /** More results than allowed (100, or the request's maximum): the user must refine the search. */
  | 'too-many-results';

/** A refusal, with a specific reason. */
export interface ParseFailure {
  ok: false;
  code: ParseFailureCode;
  reason: string;
}

/** Builds a `ParseFailure`. */
export function failure(code: ParseFailureCode, reason: string): ParseFailure {
  return { ok: false, code, reason };
}

/**
 * Thrown inside the format readers to stop at the first contract violation; every exported parser
 * catches it (and anything else) and turns it into a `ParseFailure`, so nothing escapes to the caller.
 */
export class ContractViolation extends Error {
  readonly code: ParseFailureCode;
  constructor(code: ParseFailureCode, reason: string) {
    super(reason);
    this.name = 'ContractViolation';
    this.code = code;
  }
}

/**
 * Runs a parser body and turns any exception into a `ParseFailure`: a `ContractViolation` keeps its code
 * and reason; anything else (a bug, a RangeError) becomes `invalid` with its message. Parsers never throw.
 */
export function guard<T extends { ok: true }>(body: () => T | ParseFailure): T | ParseFailure {
  try {
    return body();
  } catch (error) {
    if (error instanceof ContractViolation) return failure(error.code, error.message);
    const message = error instanceof Error ? error.message : String(error);
    return failure('invalid', `could not be read: ${message}`);
  }
}

/**
 * Thrown by the builders when their input breaks the callout's contract (a value longer than the documented
 * maximum, a missing required value, more than the allowed number of results...). Builders produce only
 * documents that the matching parser accepts; bad input is a programming or validation error upstream.
 */
export class CalloutContractError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'CalloutContractError';
  }
}

/** Quotes a value read from a (possibly hostile) document for use in a reason: JSON-escaped, at most 40 characters. */
export function quote(value: string, max = 40): string {
  const shown = [...value];
  return JSON.stringify(shown.length > max ? `${shown.slice(0, max).join('')}…` : value);
}

/** The number of characters (Unicode code points, not UTF-16 units) of a value: what "maximum length" counts. */
export function charLength(value: string): number {
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one character.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}
