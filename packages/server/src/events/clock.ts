/**
 * The time event delivery runs on. In production it is the wall clock; for tests it can run faster,
 * so that a 72-hour retry schedule passes in seconds (`--clock-speed`).
 */

/** A clock whose time may pass faster than real time. */
export interface Clock {
  /** The current time, epoch milliseconds. */
  now(): number;
  /** How many real milliseconds until the clock shows `at` (0 when it already has). */
  realDelayUntil(at: number): number;
  /** What this clock showed (or will show) at the real time `realMs`. */
  at(realMs: number): number;
}

/** A clock running `speed` times as fast as real time, starting from now. */
export function createClock(speed = 1): Clock {
  if (!(speed >= 1)) throw new Error('The clock speed must be at least 1');
  const origin = Date.now();
  const at = (realMs: number) => (speed === 1 ? realMs : origin + Math.floor((realMs - origin) * speed));
  const now = () => at(Date.now());
  return {
    now,
    at,
    realDelayUntil: (at) => Math.max(0, Math.ceil((at - now()) / speed)),
  };
}
