/**
 * Slows down password guessing: an in-process limiter of failed attempts (a token bucket per key,
 * memory bounded by forgetting the least recently used keys), and the sign-in throttle built on it that
 * the console sign-in (`POST /api/session`) and the token endpoint (`POST /oauth2/v0/token`) share. Only
 * failures are counted, never successes, so clients that sign in often are never slowed down.
 */
import net from 'node:net';

/** Settings of one limiter. */
export interface RateLimiterOptions {
  /** Failures a key may have in one window before it must wait; 0 disables the limiter. */
  limit: number;
  /** The window, in milliseconds: a key earns back `limit` attempts over this long. */
  windowMs: number;
  /** How many keys are remembered at most; the least recently used are forgotten first. */
  maxKeys?: number;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * Counts failures per key and says how long a key must wait. An attempt may be begun before its outcome
 * is known: begun attempts in flight hold back as many of the key's remaining attempts, so that a burst
 * of parallel guesses cannot all pass the check before the first of them is counted. Only failures use
 * attempts up; an attempt that did not fail gives its place back.
 */
export interface RateLimiter {
  /** Milliseconds before `key` may try again; 0 when it may now. */
  retryAfterMs(key: string): number;
  /** Starts an attempt of `key` that holds back one of its remaining attempts until it ends. */
  begin(key: string): void;
  /**
   * Ends an attempt of `key` (`begun`: one started with `begin`): a failure uses one attempt up, a
   * success forgets the key's failures, anything else only gives the attempt's place back.
   */
  end(key: string, outcome: 'failed' | 'succeeded' | 'neither', begun?: boolean): void;
  /** How many keys are remembered now. */
  readonly size: number;
}

/**
 * Keys remembered by default: 10,000 buckets are well under a megabyte, and an attacker who cycles
 * through more keys than that only evicts idle ones (the keys it keeps using stay recent).
 */
export const DEFAULT_MAX_KEYS = 10_000;

/** The wait answered while a key's remaining attempts are all in flight (each ends with its request). */
const IN_FLIGHT_WAIT_MS = 1_000;

interface Bucket {
  /** Attempts left, fractional while refilling. */
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
  /** Attempts begun and not yet ended. */
  inFlight: number;
}

/**
 * A token bucket per key: `limit` attempts, refilled at `limit` per `windowMs`. A burst of `limit`
 * failures empties it; from then on one more attempt is earned every `windowMs / limit`, which is what
 * `Retry-After` tells. A full bucket with nothing in flight is the same as no bucket, so success and
 * time both free memory.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, windowMs } = options;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const now = options.now ?? Date.now;
  const ratePerMs = limit / windowMs;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used key first.
  const buckets = new Map<string, Bucket>();

  const refreshed = (key: string, time: number): Bucket | undefined => {
    const bucket = buckets.get(key);
    if (bucket === undefined) return undefined;
    bucket.tokens = Math.min(limit, bucket.tokens + (time - bucket.at) * ratePerMs);
    bucket.at = time;
    if (bucket.tokens >= limit && bucket.inFlight === 0) {
      buckets.delete(key);
      return undefined;
    }
    return bucket;
  };
  const touch = (key: string, bucket: Bucket): void => {
    buckets.delete(key);
    buckets.set(key, bucket);
    // Evicting a key forgets its failures (and its attempts in flight, which then end as no-ops).
    while (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
  };

  return {
    retryAfterMs(key) {
      if (limit <= 0) return 0;
      const bucket = refreshed(key, now());
      if (bucket === undefined) return 0;
      if (bucket.tokens - bucket.inFlight >= 1) return 0;
      // Held back only by attempts in flight: they end within a request's time, so try again soon.
      if (bucket.tokens >= 1) return IN_FLIGHT_WAIT_MS;
      return Math.ceil((1 - bucket.tokens) / ratePerMs);
    },
    begin(key) {
      if (limit <= 0) return;
      const time = now();
      const bucket = refreshed(key, time) ?? { tokens: limit, at: time, inFlight: 0 };
      bucket.inFlight++;
      touch(key, bucket);
    },
    end(key, outcome, begun = true) {
      if (limit <= 0) return;
      const time = now();
      let bucket = refreshed(key, time);
      if (bucket === undefined) {
        if (outcome !== 'failed') return;
        // A key never begun (or forgotten meanwhile) still counts its failure.
        bucket = { tokens: limit, at: time, inFlight: 0 };
      }
      if (begun) bucket.inFlight = Math.max(0, bucket.inFlight - 1);
      if (outcome === 'failed') bucket.tokens = Math.max(0, bucket.tokens - 1);
      if (outcome === 'succeeded') bucket.tokens = limit;
      if (bucket.tokens >= limit && bucket.inFlight === 0) buckets.delete(key);
      else touch(key, bucket);
    },
    get size() {
      return buckets.size;
    },
  };
}

/** The limits of failed sign-ins (from `Config`). */
export interface SignInLimits {
  /** Failures per client address and account in one window; 0 disables that limit. */
  signInAttemptsPerWindow: number;
  /** Failures per client address, whatever the account, in one window; 0 disables that limit. */
  signInAttemptsPerIp: number;
  /** The window, in seconds. */
  signInWindowSeconds: number;
}

/** One sign-in attempt: where it comes from and the accounts (login ID, client id...) it tries. */
export interface SignInAttempt {
  /** The client's IP address (`request.ip`). */
  ip: string;
  /** The accounts tried, each named with its kind, e.g. `login:pat@example.com` or `client:<uuid>`. */
  accounts: readonly string[];
  /**
   * Those of `accounts` whose secret a person chose (a password): their attempts in flight hold back
   * their remaining attempts, so that a parallel burst of guesses cannot pass the check all at once. The
   * others (random client secrets and tokens) and the address count failures as they end, so that an
   * application's many parallel requests, all succeeding, are never held back.
   */
  passwords?: readonly string[];
}

/** An attempt begun with `SignInThrottle.begin`; end it exactly once. */
export interface SignInTicket {
  /** The credentials of `accounts` (default: all of the attempt's) were wrong: count a failure of each, and of the address. */
  failed(accounts?: readonly string[]): void;
  /** Signed in: forget the failures of the attempt's accounts (not those counted against the address). */
  succeeded(): void;
  /** Neither (a malformed request, another refusal): count nothing. */
  ended(): void;
}

/** Failed sign-ins, throttled per (client address, account) and per client address. */
export interface SignInThrottle {
  /** Starts an attempt, or answers how many milliseconds to wait before it may be made. */
  begin(attempt: SignInAttempt): SignInTicket | { retryAfterMs: number };
}

/** Creates the throttle over two limiters: one per (address, account), one per address. */
export function createSignInThrottle(limits: SignInLimits, options: { now?: () => number; maxKeys?: number } = {}): SignInThrottle {
  const windowMs = limits.signInWindowSeconds * 1000;
  const perAccount = createRateLimiter({ limit: limits.signInAttemptsPerWindow, windowMs, ...options });
  const perAddress = createRateLimiter({ limit: limits.signInAttemptsPerIp, windowMs, ...options });
  return {
    begin({ ip, accounts, passwords = [] }) {
      const address = clientAddress(ip);
      const keys = [...new Set(accounts)].map((account) => ({ account, key: `${address} ${account}`, held: passwords.includes(account) }));
      let wait = perAddress.retryAfterMs(address);
      for (const { key } of keys) wait = Math.max(wait, perAccount.retryAfterMs(key));
      if (wait > 0) return { retryAfterMs: wait };
      for (const { key, held } of keys) if (held) perAccount.begin(key);
      let open = true;
      const end = (outcome: (account: string | null) => 'failed' | 'succeeded' | 'neither'): void => {
        if (!open) return;
        open = false;
        perAddress.end(address, outcome(null), false);
        for (const { account, key, held } of keys) perAccount.end(key, outcome(account), held);
      };
      return {
        failed: (failedAccounts = accounts) => end((account) => (account === null || failedAccounts.includes(account) ? 'failed' : 'neither')),
        // The address's count is not reset by a success: one good login must not unlock guessing at others.
        succeeded: () => end((account) => (account === null ? 'neither' : 'succeeded')),
        ended: () => end(() => 'neither'),
      };
    },
  };
}

/** `Retry-After` in whole seconds (at least 1) for a wait in milliseconds. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/**
 * The address a client is throttled as: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 prefix,
 * since one host commonly holds a whole /64 and could otherwise take a fresh address per attempt.
 */
export function clientAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!net.isIPv6(ip)) return ip;
  const plain = ip.split('%')[0]!.toLowerCase();
  const gap = plain.indexOf('::');
  let groups: string[];
  if (gap === -1) {
    groups = plain.split(':');
  } else {
    const left = plain.slice(0, gap) === '' ? [] : plain.slice(0, gap).split(':');
    const right = plain.slice(gap + 2) === '' ? [] : plain.slice(gap + 2).split(':');
    groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  }
  return `${groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
