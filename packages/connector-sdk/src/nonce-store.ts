/**
 * Replay protection for Launch External URL. A launch URL carries a GUID `nonce` inside the signed message
 * but no timestamp, so the signature alone would accept the same URL forever (from a browser history, a proxy
 * log, a `Referer`). The connector remembers every nonce it has accepted and refuses it the second time.
 */

/** Remembers nonces. Plug in a shared store (Redis `SET key 1 NX PX ttl`, a database table) to run several instances. */
export interface NonceStore {
  /**
   * Records `nonce` for `ttlMs` milliseconds and answers `true` if it was new, `false` if it was already
   * recorded and has not expired. Must be atomic: two concurrent calls with the same nonce may not both get `true`.
   */
  remember(nonce: string, ttlMs: number): boolean | Promise<boolean>;
}

/** Options of `createMemoryNonceStore`. */
export interface MemoryNonceStoreOptions {
  /** The most nonces kept at once; when full, new launches are refused (`remember` throws). Default 100,000. */
  maxEntries?: number;
  /** The clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** Thrown by the memory store when it is full of unexpired nonces: the launch is refused rather than made replayable. */
export class NonceStoreFullError extends Error {
  constructor(maxEntries: number) {
    super(`the nonce store holds ${maxEntries} unexpired nonces; refusing new launches until some expire`);
    this.name = 'NonceStoreFullError';
  }
}

/** An in-memory `NonceStore`: a map from nonce to expiry, pruned of expired entries as it is used. */
export function createMemoryNonceStore(options: MemoryNonceStoreOptions = {}): NonceStore & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  // Insertion order; with one TTL per connector that is also expiry order, so pruning stops at the first live entry.
  const expiries = new Map<string, number>();

  function prune(at: number): void {
    for (const [nonce, expiry] of expiries) {
      if (expiry > at) break;
      expiries.delete(nonce);
    }
  }

  return {
    get size() {
      return expiries.size;
    },
    remember(nonce, ttlMs) {
      const at = now();
      prune(at);
      const expiry = expiries.get(nonce);
      if (expiry !== undefined && expiry > at) return false;
      if (expiries.size >= maxEntries) {
        // Different TTLs break the ordering `prune` relies on: sweep everything before giving up.
        for (const [key, value] of expiries) if (value <= at) expiries.delete(key);
        // Evicting a live nonce would make it replayable: refuse instead.
        if (expiries.size >= maxEntries) throw new NonceStoreFullError(maxEntries);
      }
      expiries.delete(nonce);
      expiries.set(nonce, at + ttlMs);
      return true;
    },
  };
}
