/** Random bearer secrets (session cookies, API tokens) and the hashes they are stored as. */
import { createHash, randomBytes } from 'node:crypto';

/** A new random token with a readable prefix naming what it is, e.g. `pbs_...` for a session. */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * The SHA-256 of a token, as stored. Tokens are 256 random bits, so a fast hash is enough, and the
 * lookup by hash never compares secrets byte by byte in application code.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
