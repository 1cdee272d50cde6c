/** JSON schemas shared by the admin API's routes, and the error envelope as OpenAPI shows it. */
import { Type } from 'typebox';

/** The error envelope of every admin API failure. */
export const ErrorEnvelopeSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
  }),
});

/** Standard error responses, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorEnvelopeSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorEnvelopeSchema]));
}

/** Concur's error body, `{errors: [{errorCode, errorMessage}]}`. */
export const ConcurErrorSchema = Type.Object({ errors: Type.Array(Type.Object({ errorCode: Type.String(), errorMessage: Type.String() })) });

/**
 * Error responses of console routes that call Concur-compatible product functions: the admin API's
 * envelope, or Concur's shape.
 */
export function eitherErrors(...statuses: number[]) {
  return Object.fromEntries(Object.entries(errorResponses(...statuses)).map(([status, envelope]) => [status, Type.Union([envelope, ConcurErrorSchema])]));
}

/** A UUID path parameter. */
export const Uuid = Type.String({ format: 'uuid' });
