/**
 * ESS subscription filters for fuzzing: the event types of the Request topic, a runner that matches a filter
 * against them the way the delivery fan-out does, in a worker thread it terminates when a filter hangs it,
 * and arbitraries of regular expressions biased towards catastrophic backtracking.
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { STEP_ROLES } from '../../src/requests/workflow-roles.ts';

/** Every event type of `public.concur.request`, and one of a custom role with a 40-character name. */
export const EVENT_TYPES = [
  'statusChange.APPROVED',
  'statusChange.CANCELED',
  'statusChange.SENTBACK',
  ...Object.values(STEP_ROLES).map((role) => `statusChange.PENDING.${role.role}`),
  `statusChange.PENDING.${'CustomApproverRoleWithALongName'.padEnd(40, 'x')}`,
];

/** How long one filter may take against every event type: a hang bound, far above a sane filter's microseconds. */
export const FILTER_BOUND_MS = 1_000;

/** Runs filters in a worker thread, restarting it when a filter hangs it. */
export class FilterRunner {
  private worker: Worker | undefined;

  /** The outcome of `filter`: refused (with the reason), accepted (with the time taken), or hung. */
  async run(filter: string): Promise<{ outcome: 'refused'; reason: string } | { outcome: 'accepted'; ms: number } | { outcome: 'hung' }> {
    this.worker ??= new Worker(new URL('./filter-worker.ts', import.meta.url));
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.off('message', onMessage);
        this.worker = undefined;
        void worker.terminate();
        resolve({ outcome: 'hung' });
      }, FILTER_BOUND_MS);
      const onMessage = (message: { accepted: boolean; reason?: string; ms: number }) => {
        clearTimeout(timer);
        resolve(message.accepted ? { outcome: 'accepted', ms: message.ms } : { outcome: 'refused', reason: message.reason ?? '' });
      };
      worker.once('message', onMessage);
      worker.once('error', (error) => {
        clearTimeout(timer);
        this.worker = undefined;
        reject(error);
      });
      worker.postMessage({ filter, eventTypes: EVENT_TYPES });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

/**
 * Regular expressions built from tokens, biased towards catastrophic backtracking: atoms that match most
 * of an event type (`.`, `[^X]`, `\w`), quantified groups and alternations, and often an `X` at the end, which
 * no event type has, so that the whole match fails after trying every way to split the prefix.
 */
export const filterArb: fc.Arbitrary<string> = fc.letrec<{ expr: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('.', '.', '[^X]', '[\\s\\S]') },
    { weight: 4, arbitrary: fc.constantFrom('s', 't', 'a', 'X', '\\.', '\\w', '\\W', '[a-z]', '[.s]', 'statusChange', 'PENDING', 'APPROVED', '\\d', '\\b', '^', '$') },
    { weight: 2, arbitrary: tie('expr').map((inner) => `(${inner})`) },
    { weight: 1, arbitrary: tie('expr').map((inner) => `((${inner}))`) },
    { weight: 2, arbitrary: fc.constantFrom('(.|.)', '(.|s)', '(\\w|.)', '([^X]|.)', '(t|.)', '(\\.|.)') },
    { weight: 1, arbitrary: tie('expr').map((inner) => `(?:${inner})`) },
    { weight: 1, arbitrary: fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `(${a}|${b})`) },
    { weight: 1, arbitrary: fc.constantFrom('(?=.*)', '(?!X)', '\\1', '(?<n>.)\\k<n>', '[', '(', ')', '{', '\\', '*', '+') },
  ),
  expr: fc
    .array(fc.tuple(tie('atom'), fc.constantFrom('', '', '*', '+', '?', '{1,9}', '{2,}', '*?', '+?', '{0,}')), { minLength: 1, maxLength: 6, depthIdentifier: 'filter' })
    .map((parts) => parts.map(([atom, quantifier]) => atom + quantifier).join('')),
}))
  .expr.chain((filter) => fc.constantFrom(filter, `${filter}X`, `${filter}$X`))
  .map((filter) => filter.slice(0, 300));

/** Shapes known to backtrack catastrophically; the ESS filter check must refuse each, or matching must stay fast. */
export const CATASTROPHIC_FILTERS = ['(a+)+$', '(.|.)*X', '((.+))+X', '((s|.)*)*X', '(?:(?:.)+)+X', '.*.*.*.*.*.*.*.*.*.*X', '(.*a){12}', '(\\w+\\s?)+$'];
