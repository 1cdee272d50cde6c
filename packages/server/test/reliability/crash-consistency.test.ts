/**
 * Reliability, crash consistency: on SQLite and on PostgreSQL, a real `patchbay start` child under
 * mixed load (travelers and managers acting over Request v4 with user and company tokens, a connector
 * answering External Validation notifications through Request v4, ESS deliveries to three
 * subscriptions of two applications) is killed with SIGKILL at random moments, repeatedly, and started
 * again on the same database each time while the load carries on. Some kills fall while deliveries or a
 * notification are held open by their peer, so that work is in flight. Once the load stops and the
 * queues drain, `checkConsistency` checks that every acknowledged transition has exactly one event and
 * no event lacks its transition, every event reached every matching subscription at least once (in
 * order per request), every notification reached the connector at least once with each company's
 * first arrivals in queue order, and nothing is half-written. Short inside `npm test` (3 kills per
 * store); `npm run test:reliability` makes it 20. The seed of the random moments is printed.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeSuites } from '../support/stores.ts';
import { killChildren } from '../support/patchbay-child.ts';
import { HANG as HOLD_DELIVERY, startReceiver, waitUntil, type Receiver } from '../support/ess-fixtures.ts';
import { HANG as HOLD_NOTIFICATION, startNotifyConnector, type NotifyConnector } from '../callouts/notification-fixtures.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { connectorCa, platformSettings, startPlatform, type Platform } from './platform-process.ts';
import { buildWorld, checkConsistency, describeFigures, startLoad, threeCompanyWorld, waitForDrain, type Load } from './mixed-load.ts';
import { RELIABILITY, between, testRandom } from './reliability-settings.ts';

after(killChildren);

for (const [storeIndex, { kind, skip }] of (await storeSuites()).entries()) {
  describe(`reliability: crash consistency [${kind.name}]`, { skip }, () => {
    test(`${RELIABILITY.killsPerStore} SIGKILLs at random moments during mixed load: every acknowledged transition has exactly one event, every event and notification arrives, nothing is half-written`, { timeout: 60 * 60_000 }, async (t) => {
      const random = testRandom(t, storeIndex);
      const database = await kind.create();
      const { ca, caFile } = await connectorCa(database.dataDir);
      let receiver: Receiver | undefined;
      let connector: NotifyConnector | undefined;
      let platform: Platform | undefined;
      let store: Store | undefined;
      let load: Load | undefined;
      try {
        receiver = await startReceiver();
        connector = await startNotifyConnector(ca);
        platform = await startPlatform(platformSettings(database, caFile, 2_000));
        store = await openStore(database.location);
        const world = await buildWorld(platform, store, receiver, threeCompanyWorld(connector), random);
        load = startLoad(world, { random });
        const running = load;
        const live = platform;
        const moments = { plain: 0, deliveriesHeld: 0, notificationHeld: 0 };
        const explain = () => `${running.acked()} acknowledged; failures: ${running.failures.slice(0, 3).join(' | ')}; exits: ${live.unexpectedExits.join(' | ')}\n${live.output(2_000)}`;

        for (let kill = 1; kill <= RELIABILITY.killsPerStore; kill++) {
          // A random moment: after some work since the (re)start, and a random pause.
          const since = running.acked();
          const work = between(random, 5, 40);
          const earliest = Date.now() + between(random, 200, 3_000);
          await waitUntil(() => (running.acked() - since >= work && Date.now() >= earliest) || running.failures.length > 0 || live.unexpectedExits.length > 0, explain, { timeoutMs: 180_000 });
          assert.deepEqual(running.failures, [], 'the load behaved before the kill');
          assert.deepEqual(live.unexpectedExits, [], 'the platform did not crash by itself');
          // A third of the kills come while the receiver holds deliveries open, a third while the
          // connector holds a notification open (when one comes within a few seconds).
          const moment = random();
          if (moment < 1 / 3) {
            const before = receiver.received.length;
            world.receiverBehaviour = () => HOLD_DELIVERY;
            const held = await heldWithin(() => receiver!.received.slice(before).some((r) => r.open), 3_000);
            if (held) moments.deliveriesHeld++;
            else moments.plain++;
          } else if (moment < 2 / 3) {
            const before = connector.posts.length;
            world.notificationAnswer = () => HOLD_NOTIFICATION;
            const held = await heldWithin(() => connector!.posts.slice(before).some((p) => p.held), 3_000);
            if (held) moments.notificationHeld++;
            else moments.plain++;
          } else {
            moments.plain++;
          }
          await live.kill();
          world.receiverBehaviour = world.healthyReceiver;
          world.notificationAnswer = world.healthyNotificationAnswer;
          await live.start();
        }
        await running.stop();
        await waitForDrain(world, store);
        const figures = await checkConsistency(world, running, store);
        assert.deepEqual(live.unexpectedExits, [], 'the platform never crashed by itself');
        assert.equal(running.serverErrors(), 0, 'no call was answered with a 5xx');
        t.diagnostic(`kills survived: ${RELIABILITY.killsPerStore} (plain ${moments.plain}, deliveries held ${moments.deliveriesHeld}, notification held ${moments.notificationHeld}); ${describeFigures(figures)}`);
      } finally {
        await load?.stop();
        await platform?.stop();
        await store?.close();
        await receiver?.close();
        await connector?.close();
        await database.drop();
      }
    });
  });
}

/** Waits up to `ms` for `condition`; whether it came. */
async function heldWithin(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}
