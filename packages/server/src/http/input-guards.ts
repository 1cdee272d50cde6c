/**
 * Input checks that hold for every endpoint, whatever its own schema says. PostgreSQL text cannot hold
 * the NUL character, and no field of patchbay's has a use for it, so it is refused at the door with a
 * 400 rather than failing deep in the store.
 */

/** A 400 for input holding a NUL character; each API scope's error handler words it in its own shape. */
export class NulCharacterError extends Error {
  readonly statusCode = 400;
  readonly code = 'PB_NUL_CHARACTER';

  constructor(where: string) {
    super(`The ${where} contains a NUL character (\\u0000), which no field accepts.`);
    this.name = 'NulCharacterError';
  }
}

/** Whether a parsed body, query or params object holds a NUL character in any key or string value. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000') || containsNul(item, depth + 1)) return true;
  }
  return false;
}
