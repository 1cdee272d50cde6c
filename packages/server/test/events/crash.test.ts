/**
 * A SIGKILL of the platform during ESS delivery loses nothing (issue 6, acceptance 3). A real
 * `patchbay start --demo` child process, on SQLite and on PostgreSQL, delivers a burst of Request
 * events to a real receiver while travelers keep acting; it is killed with SIGKILL while deliveries are
 * in flight (the receiver holds some of them open), then started again on the same database. Every
 * event the outbox holds is then delivered at least once, in order per request; duplicates (an event
 * acknowledged but not yet recorded when the process died) are allowed and the receiver removes them
 * by event id. `PATCHBAY_DELIVERY_TIMEOUT_MS` is small so that the dead process's leases run out soon.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { storeSuites } from '../support/stores.ts';
import { freePort } from '../support/server.ts';
import { openStore } from '../../src/store/store.ts';
import { DEMO } from '../../src/demo.ts';
import { exited, killChildren, startPatchbayChild } from '../support/patchbay-child.ts';
import type { ChildProcess } from 'node:child_process';
import {
  HANG,
  assertOrderedPerRequest,
  connectCompany,
  deliveries,
  inParallel,
  outboxEvents,
  publishedKeys,
  slowAnswer,
  startReceiver,
  subscribe,
  traveler,
  waitUntil,
  type DeliveryView,
  type OutboxEvent,
  type Receiver,
} from '../support/ess-fixtures.ts';


after(killChildren);

const REQUESTS = 24;
const ACTIONS_PER_REQUEST = 6;

for (const { kind, skip } of await storeSuites()) {
  describe(`ESS delivery across a SIGKILL [${kind.name}]`, { skip }, () => {
    test('SIGKILL during a delivery burst loses nothing: after a restart every event is delivered at least once, in order per request', async (t) => {
      const database = await kind.create();
      const env: Record<string, string> = { PATCHBAY_DATA_DIR: database.dataDir, PATCHBAY_DELIVERY_TIMEOUT_MS: '500' };
      if (database.location.kind === 'postgres') env.PATCHBAY_DATABASE_URL = database.location.url;
      const port = await freePort();
      let receiver: Receiver | undefined;
      let running: ChildProcess | undefined;
      try {
        receiver = await startReceiver(() => slowAnswer(200, 20));
        const first = await startPatchbayChild(env, port);
        running = first.child;
        const app = { id: DEMO.application.id, secret: DEMO.application.clientSecret };
        const subscriptionId = `crash-${randomUUID().slice(0, 8)}`;
        await subscribe(first.url, app, { id: subscriptionId, endpoint: receiver.url('/hook') });
        await connectCompany(first.url, DEMO.admin, DEMO.companyId, app);
        const employee = await traveler(first.url, app, DEMO.employee);
        await publishedKeys(first.url);

        // The burst: travelers keep acting until the platform dies.
        const requestIds: string[] = [];
        for (let i = 0; i < REQUESTS; i++) requestIds.push(await employee.newRequest());
        let dead = false;
        const producers = inParallel(requestIds, 6, (id) => employee.act(id, ACTIONS_PER_REQUEST, { tolerant: true, stop: () => dead }));

        // Once deliveries are flowing, the receiver stops answering, so that some are in flight
        // (claimed under a lease, not recorded) when the platform is killed.
        await waitUntil(() => receiver!.acknowledged('/hook').length >= 30, () => `${receiver!.describe('/hook')}\n${first.output()}`);
        receiver.script(() => HANG);
        await waitUntil(() => receiver!.open('/hook') >= 3, () => `${receiver!.describe('/hook')}\n${first.output()}`);
        const inFlightAtKill = receiver.requests('/hook').filter((r) => r.open).map((r) => r.eventId!);
        first.child.kill('SIGKILL');
        await exited(first.child);
        dead = true;
        const published = await producers;
        t.diagnostic(`actions acknowledged before the kill: ${published.reduce((a, b) => a + b, 0)}; deliveries in flight at the kill: ${inFlightAtKill.length}`);

        receiver.script(() => slowAnswer(200, 5));
        const second = await startPatchbayChild(env, port);
        running = second.child;

        const store = await openStore(database.location);
        try {
          let events: OutboxEvent[] = [];
          let rows: DeliveryView[] = [];
          await waitUntil(
            async () => {
              events = await outboxEvents(store, DEMO.companyId);
              rows = await deliveries(store, subscriptionId);
              const acked = receiver!.acknowledgedIds('/hook');
              return events.every((e) => acked.has(e.id)) && rows.every((d) => d.status !== 'PENDING');
            },
            () => `${events.filter((e) => !receiver!.acknowledgedIds('/hook').has(e.id)).length} of ${events.length} events not delivered; deliveries pending: ${rows.filter((d) => d.status === 'PENDING').length}; ${receiver!.describe('/hook')}\n${second.output()}`,
            { timeoutMs: 90_000 },
          );
          assert.ok(events.length > 30, `the burst published events (${events.length})`);
          // Every event the platform committed reached the subscriber at least once; nothing else did.
          const acked = receiver.acknowledgedIds('/hook');
          assert.deepEqual([...acked].sort(), events.map((e) => e.id).sort(), 'the acknowledged events, deduplicated by id, are the outbox events');
          for (const id of inFlightAtKill) assert.ok(acked.has(id), `event ${id}, in flight at the kill, was delivered after the restart`);
          assert.equal(rows.length, events.length, 'one delivery per event');
          assert.ok(rows.every((d) => d.status === 'DELIVERED'), 'every delivery ends DELIVERED');
          assertOrderedPerRequest(receiver, '/hook', events);
          const ackCount = receiver.acknowledged('/hook').length;
          t.diagnostic(`${events.length} events, ${ackCount} acknowledged deliveries: ${ackCount - acked.size} duplicates (the receiver dedupes by event id)`);
        } finally {
          await store.close();
        }
      } finally {
        if (running) {
          running.kill('SIGKILL');
          await exited(running);
        }
        await receiver?.close();
        await database.drop();
      }
    });
  });
}
