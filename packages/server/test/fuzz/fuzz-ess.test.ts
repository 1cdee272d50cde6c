/**
 * Fuzzing the Event Subscription Service: `PUT /events/v4/subscriptions/webhook` with valid subscriptions
 * mutated and arbitrary JSON (on SQLite and PostgreSQL), and subscription filters: arbitrary regular
 * expressions, biased towards the shapes of catastrophic backtracking (nested and alternated quantified
 * groups, long runs of `.*`). Every filter the API accepts is then run the way the delivery fan-out runs it
 * (`compileFilter`, then `matches` against every event type of the Request topic) in a worker thread, which
 * is terminated if it does not answer within the bound: an accepted filter must never hang delivery.
 *
 * Sizes: `ENDPOINT_RUNS` per property (200; PATCHBAY_FUZZ_RUNS overrides), a quarter on PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { storeSuites } from '../support/stores.ts';
import { createFuzzWorld, type FuzzWorld } from './fuzz-world.ts';
import { subscriptionBody } from './fuzz-bodies.ts';
import { CATASTROPHIC_FILTERS, FILTER_BOUND_MS, FilterRunner, filterArb } from './fuzz-filters.ts';
import { DataGuard, ENDPOINT_RUNS, shareOfRuns, assertHealthy, checkAnswer, fuzz, jsonBodies, reportTotal, send } from './fuzz-support.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`fuzz: Event Subscription Service [${kind.name}]`, { skip }, () => {
    let world: FuzzWorld;
    let guard: DataGuard;
    const runs = kind.name === 'postgres' ? shareOfRuns(4) : ENDPOINT_RUNS;

    before(async () => {
      world = await createFuzzWorld(await kind.create());
      guard = new DataGuard(world.server.patchbay.store);
    });
    after(async () => {
      await world?.close();
    });

    const put = async (body: string | Uint8Array | undefined, contentType: string | undefined, what: string) => {
      const answer = await send(world.url, { method: 'PUT', path: '/events/v4/subscriptions/webhook', headers: { ...world.callers.appToken.headers, ...(contentType === undefined ? {} : { 'content-type': contentType }) }, ...(body === undefined ? {} : { body }) });
      checkAnswer(answer, 'concur');
      await guard.check(answer, what);
      return answer;
    };

    test('PUT /events/v4/subscriptions/webhook: valid subscriptions mutated, wrong types, arbitrary JSON, raw bodies', async (t) => {
      await guard.reset();
      await fuzz(t, jsonBodies(subscriptionBody(world), ['id', 'topic', 'filter', 'webHookConfig', 'endpoint']), (body) => put(body.body, body.contentType, body.label).then(() => undefined), runs);
      await assertHealthy(world.url);
    });

    // Filters are matched in memory, the same on both stores: this property runs with SQLite only.
    if (kind.name === 'sqlite') test('arbitrary filters: the API answers at once, and every filter it accepts matches every event type within the bound', async (t) => {
      await guard.reset();
      const runner = new FilterRunner();
      try {
        const input = fc.oneof({ weight: 6, arbitrary: filterArb }, { weight: 1, arbitrary: fc.constantFrom(...CATASTROPHIC_FILTERS) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
        await fuzz(
          t,
          input,
          async (filter) => {
            const answer = await put(JSON.stringify({ id: world.subscriptionId, topic: 'public.concur.request', filter, webHookConfig: { endpoint: 'https://subscriber.example.test/hook' } }), 'application/json', `filter ${filter}`);
            if (answer.status !== 200) return;
            const run = await runner.run(filter);
            assert.notEqual(run.outcome, 'hung', `the filter ${JSON.stringify(filter)} was accepted (PUT answered 200) but matching it against the event types ran over ${FILTER_BOUND_MS} ms: it would hang delivery`);
          },
          runs,
          // Each failing input costs the hang bound: report the first one as it is, without shrinking.
          { endOnFailure: true },
        );
      } finally {
        await runner.close();
      }
      await assertHealthy(world.url);
    });

    test('fuzz total', (t) => {
      t.diagnostic(`${guard.checked} refused requests checked for stored-data changes`);
      reportTotal(t);
    });
  });
}
