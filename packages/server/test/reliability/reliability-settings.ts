/**
 * How long and how hard the reliability suite runs. Inside `npm test` it is short (a few kills, a 20 s
 * soak) so that the whole suite stays quick; `npm run test:reliability` sets `PATCHBAY_RELIABILITY=full`
 * for the long run (20 kills per store, a ten-minute soak, more database restarts, longer faults).
 * Every random choice comes from one seed, printed by each test, so a failing run can be replayed with
 * `PATCHBAY_RELIABILITY_SEED`.
 */

/** Whether the long run was asked for. */
export const FULL = process.env.PATCHBAY_RELIABILITY === 'full';

/** A positive integer from the environment, or the default. */
function positiveInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer (got "${text}").`);
  return value;
}

/** The suite's knobs, each overridable by its variable. */
export const RELIABILITY = {
  /** SIGKILLs of the platform per store in the crash consistency test. */
  killsPerStore: positiveInt('PATCHBAY_RELIABILITY_KILLS', FULL ? 20 : 3),
  /** Seconds of mixed load in the soak. */
  soakSeconds: positiveInt('PATCHBAY_SOAK_SECONDS', FULL ? 600 : 20),
  /** PostgreSQL restarts (alternately `-m fast` and `-m immediate`) in the database fault test. */
  postgresRestarts: positiveInt('PATCHBAY_RELIABILITY_PG_RESTARTS', FULL ? 6 : 2),
  /** Healthy-tenant round trips each peer fault must last for (a count, not a duration). */
  faultRoundTrips: positiveInt('PATCHBAY_RELIABILITY_FAULT_ROUND_TRIPS', FULL ? 40 : 4),
  /** The seed of every random choice. */
  seed: positiveInt('PATCHBAY_RELIABILITY_SEED', 1 + Math.floor(Math.random() * 2_147_483_646)),
} as const;

/** A small deterministic generator (mulberry32): the same seed gives the same choices. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The random source of one test: seeded with the run's seed plus `offset` (each test its own), and the
 * seed printed so that a failure can be replayed.
 */
export function testRandom(t: { diagnostic(message: string): void }, offset: number): () => number {
  const seed = RELIABILITY.seed + offset;
  t.diagnostic(`seed ${seed} (replay with PATCHBAY_RELIABILITY_SEED=${RELIABILITY.seed})`);
  return seededRandom(seed);
}

/** A whole number in [min, max] drawn from `random`. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
