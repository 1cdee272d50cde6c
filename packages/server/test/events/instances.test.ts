/**
 * Two patchbay instances on one PostgreSQL schema share the ESS delivery work (issue 6, acceptance 4):
 * a burst of events, published through both instances' Request v4 APIs, reaches the subscriber with
 * no event lost and none delivered by both instances (each event id arrives exactly once), in order
 * per request, and both instances took part (seen as two lease owners on the deliveries while the
 * burst was being delivered). PostgreSQL only: on SQLite one process owns the database.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import {
  answer,
  assertOrderedPerRequest,
  connectCompany,
  createEssApp,
  deliveries,
  inParallel,
  outboxEvents,
  publishedKeys,
  signatureVerifies,
  slowAnswer,
  startReceiver,
  subscribe,
  traveler,
  travelerAndManager,
  waitUntil,
  type DeliveryView,
  type Receiver,
} from '../support/ess-fixtures.ts';

const postgres = STORE_KINDS.find((kind) => kind.name === 'postgres')!;
const skip = (await postgres.unavailable()) ?? false;

const REQUESTS = 30;
const ACTIONS_PER_REQUEST = 10;

describe('ESS delivery by two patchbay instances on one PostgreSQL', { skip }, () => {
  test(`a burst of ${REQUESTS * ACTIONS_PER_REQUEST} events is delivered by both instances together: none lost, none delivered twice`, async () => {
    const database = await postgres.create();
    const env = { PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true', PATCHBAY_DELIVERY_TIMEOUT_MS: '10000' };
    let first: TestServer | undefined;
    let second: TestServer | undefined;
    let receiver: Receiver | undefined;
    let watching = true;
    let watcher: Promise<void> = Promise.resolve();
    try {
      first = await startTestServer({ database, env });
      second = await startTestServer({ database, env });
      // While the burst is being published the subscriber is unavailable (503, Retry-After: 1), so a
      // backlog builds up that both instances then claim from at once; after that it acknowledges, with
      // a small pause per answer so that deliveries overlap.
      let holding = true;
      const hook = await startReceiver(() => (holding ? answer(503, { 'retry-after': '1' }) : slowAnswer(200, 5)));
      receiver = hook;
      const app = await createEssApp(first.patchbay.store);
      const subscriptionId = `two-instances-${randomUUID().slice(0, 8)}`;
      await subscribe(first.url, app, { id: subscriptionId, endpoint: hook.url('/hook') });
      await connectCompany(first.url, first.admin, first.companyId, app);
      const people = await travelerAndManager(first);
      const viaFirst = await traveler(first.url, app, people.traveler);
      const viaSecond = await traveler(second.url, app, people.traveler);
      // The subscriber fetches the signing key before anything is delivered.
      const keys = await publishedKeys(second.url);

      // Which instances hold leases while the burst is delivered (a lease owner is one instance's worker).
      const owners = new Set<string>();
      const store = first.patchbay.store;
      watcher = (async () => {
        while (watching) {
          for (const row of await store.db.selectFrom('deliveries').select('lease_owner').distinct().where('lease_owner', 'is not', null).execute()) owners.add(row.lease_owner!);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();

      const plan = Array.from({ length: REQUESTS }, (_, i) => (i % 2 === 0 ? viaFirst : viaSecond));
      const requestIds = await inParallel(plan, 6, async (who) => {
        const id = await who.newRequest();
        await who.act(id, ACTIONS_PER_REQUEST);
        return id;
      });
      assert.equal(new Set(requestIds).size, REQUESTS);
      holding = false;
      const events = await outboxEvents(store, first.companyId);
      assert.equal(events.length, REQUESTS * ACTIONS_PER_REQUEST);

      let rows: DeliveryView[] = [];
      await waitUntil(
        async () => {
          rows = await deliveries(store, subscriptionId);
          return hook.acknowledgedIds('/hook').size === events.length && rows.every((d) => d.status !== 'PENDING');
        },
        () => `${hook.describe('/hook')}; pending: ${rows.filter((d) => d.status === 'PENDING').length}`,
        { timeoutMs: 120_000 },
      );
      watching = false;
      await watcher;

      // No event lost, none delivered twice: each event id was acknowledged by the subscriber exactly once.
      const acknowledged = hook.acknowledged('/hook');
      const counts = new Map<string, number>();
      for (const arrival of acknowledged) counts.set(arrival.eventId!, (counts.get(arrival.eventId!) ?? 0) + 1);
      assert.deepEqual([...counts.keys()].sort(), events.map((e) => e.id).sort(), 'every event, and only the outbox events, was acknowledged');
      const twice = [...counts].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], `${twice.length} events were delivered more than once`);
      assert.equal(rows.length, events.length, 'one delivery per event');
      for (const delivery of rows) {
        assert.equal(delivery.status, 'DELIVERED');
        // Each attempt the subscriber saw is recorded once, and only those: no instance sent a copy the other did not know of.
        const seen = hook.requests('/hook').filter((r) => r.eventId === delivery.eventId);
        assert.equal(delivery.attemptRows.length, seen.length, `event ${delivery.eventId}: recorded attempts vs arrivals`);
        assert.equal(delivery.attempts, seen.length);
        assert.deepEqual(delivery.attemptRows.map((a) => a.statusCode), seen.map((r) => r.status), `event ${delivery.eventId}: attempt outcomes`);
      }
      assertOrderedPerRequest(hook, '/hook', events);
      for (const arrival of acknowledged) assert.ok(signatureVerifies(arrival.body, String(arrival.headers['concur-signature']), keys), `event ${arrival.eventId}: the signature verifies`);

      // Both instances did some of the work.
      assert.ok(owners.size >= 2, `deliveries were leased by ${owners.size} worker(s); both instances should share the burst`);
    } finally {
      watching = false;
      await watcher;
      await receiver?.close();
      await second?.close({ keepDatabase: true });
      await first?.close();
      if (!first) await database.drop();
    }
  });
});
