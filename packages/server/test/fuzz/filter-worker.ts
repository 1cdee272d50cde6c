/**
 * A worker thread that runs ESS subscription filters the way the fan-out does (`compileFilter`, then
 * `matches` against each event type), so that a filter that backtracks catastrophically hangs this thread,
 * where the test can see it and terminate it, not the test's own event loop. Receives `{ filter,
 * eventTypes }`, answers `{ accepted, reason?, ms }`.
 */
import { parentPort } from 'node:worker_threads';
import { compileFilter, matches } from '../../src/events/subscriptions.ts';

parentPort!.on('message', ({ filter, eventTypes }: { filter: string; eventTypes: string[] }) => {
  const started = performance.now();
  let compiled: RegExp;
  try {
    compiled = compileFilter(filter);
  } catch (error) {
    parentPort!.postMessage({ accepted: false, reason: (error as Error).message, ms: performance.now() - started });
    return;
  }
  for (const eventType of eventTypes) matches({ companyIds: ['c'], groups: [], filter: compiled }, { companyId: 'c', groups: [], eventType });
  parentPort!.postMessage({ accepted: true, ms: performance.now() - started });
});
