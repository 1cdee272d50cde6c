/**
 * How a background worker's loop waits between claims: it sleeps until the next due time or until it is
 * woken (by a commit, a completion or `stop`), and a wake-up that comes while it is claiming is not lost.
 */

/** Wakes a worker loop that sleeps between claims. */
export interface WakeSignal {
  /** Wakes the loop now; if it is not asleep, its next `sleep` returns at once. */
  wake(): void;
  /** Wakes the loop once for everything that happens in this turn of the event loop (coalesced). */
  wakeSoon(): void;
  /** Forgets the wake-ups so far; the loop calls it before claiming. */
  reset(): void;
  /** Whether a wake-up came since the last `reset`. */
  readonly woken: boolean;
  /** Sleeps up to `ms`, or until woken; returns at once if woken since the last `reset`. */
  sleep(ms: number): Promise<void>;
}

/** A new wake signal. */
export function createWakeSignal(): WakeSignal {
  let woken = false;
  let scheduled = false;
  let wakeUp: (() => void) | null = null;

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  return {
    wake,
    wakeSoon() {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        wake();
      });
    },
    reset() {
      woken = false;
    },
    get woken() {
      return woken;
    },
    async sleep(ms) {
      if (woken) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    },
  };
}
