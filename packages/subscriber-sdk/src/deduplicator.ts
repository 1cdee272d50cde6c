/**
 * De-duplication by event id. ESS delivers at least once, so the same event can arrive again (after a
 * timeout, a lost acknowledgement, a platform restart). This remembers ids for `ttlMs` and at most
 * `maxEntries` of them, in memory: enough for retries of recent events. A receiver that must never
 * process an event twice across restarts should also keep the ids it processed in its own database.
 */

/** Options of `createDeduplicator`. */
export interface DeduplicatorOptions {
  /** How many ids to remember at most; the oldest are forgotten first. Default 100,000. */
  maxEntries?: number;
  /** How long to remember an id, in milliseconds. Default 72 hours, ESS's retention: no retry comes later. */
  ttlMs?: number;
  /** The clock (for tests). Default `Date.now`. */
  now?: () => number;
}

/** Remembers event ids. */
export interface Deduplicator {
  /** Whether `id` was seen (within the TTL); records it when it was not. */
  seen(id: string): boolean;
  /** Whether `id` was seen (within the TTL), without recording it. */
  has(id: string): boolean;
  /** Records `id` as seen. */
  add(id: string): void;
  /** Forgets `id`, e.g. when processing it failed and a retry must be processed again. */
  delete(id: string): void;
  /** How many ids are remembered. */
  readonly size: number;
}

/** ESS retries an event for 72 hours after publication; a duplicate never arrives later than that. */
const DEFAULT_TTL_MS = 72 * 3_600_000;
const DEFAULT_MAX_ENTRIES = 100_000;

/** Creates an in-memory, bounded de-duplicator. */
export function createDeduplicator(options: DeduplicatorOptions = {}): Deduplicator {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  if (!(ttlMs > 0)) throw new RangeError('ttlMs must be positive');
  // Insertion order is first-seen order, so the entries that expire first are always at the front.
  const seenAt = new Map<string, number>();

  function prune(at: number): void {
    for (const [id, time] of seenAt) {
      if (at - time < ttlMs && seenAt.size <= maxEntries) break;
      seenAt.delete(id);
    }
  }

  const has = (id: string): boolean => {
    const time = seenAt.get(id);
    if (time === undefined) return false;
    if (now() - time >= ttlMs) {
      seenAt.delete(id);
      return false;
    }
    return true;
  };
  const add = (id: string): void => {
    const at = now();
    seenAt.delete(id);
    seenAt.set(id, at);
    prune(at);
  };

  return {
    seen(id) {
      if (has(id)) return true;
      add(id);
      return false;
    },
    has,
    add,
    delete: (id) => void seenAt.delete(id),
    get size() {
      prune(now());
      return seenAt.size;
    },
  };
}
