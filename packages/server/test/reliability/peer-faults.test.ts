/**
 * Reliability, peer faults: on SQLite and on PostgreSQL, one tenant's peers fail in every way a peer
 * can, one after the other, while every tenant keeps working: its webhook receiver and its connector
 * are slow, hang, answer errors or a body that never ends, reset the connection, answer garbage,
 * accept connections and say nothing, and disappear (connection refused) before they come back. The
 * victim's own travelers keep using the API. Meanwhile two other tenants run the whole workflow (their
 * connector validates every request, their subscriptions get every event): each fault lasts until they
 * have completed a number of round trips, so the test shows, rather than assumes, that they were
 * served during it, and none of their calls may fail. After the peers recover, everything of the
 * victim's (every event, every notification) is delivered by the same patchbay process, without a
 * restart, and the consistency checks of the crash test hold for everyone. Retries are kept quick with
 * `PATCHBAY_CLOCK_SPEED` and a small `PATCHBAY_NOTIFICATION_RETRY_BASE_MS`; per phase, the figures
 * show what the healthy tenants got and how often the victim's peers were tried.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { storeSuites } from '../support/stores.ts';
import { killChildren } from '../support/patchbay-child.ts';
import { GARBAGE, HANG, RESET, answer, drip, slowAnswer, startReceiver, waitUntil, type Behaviour, type Receiver } from '../support/ess-fixtures.ts';
import { HANG as NO_ANSWER, startNotifyConnector, type NotifyConnector } from '../callouts/notification-fixtures.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { connectorCa, platformSettings, startPlatform, type Platform } from './platform-process.ts';
import { buildWorld, checkConsistency, describeFigures, startLoad, waitForDrain, type Load, type World } from './mixed-load.ts';
import { startTcpGate, type GateMode, type TcpGate } from './tcp-gate.ts';
import { FULL, RELIABILITY, testRandom, sleep } from './reliability-settings.ts';

after(killChildren);

/** One fault of the victim's peers: how its receiver and its connector behave, and what their gates do. */
interface Fault {
  name: string;
  receiver?: Behaviour;
  receiverGate?: GateMode;
  /** The connector's answer: a status, or NO_ANSWER; `delayMs` before it. */
  connector?: { status: number; delayMs?: number };
  connectorGate?: GateMode;
}

/** The faults, in order. Deadlines are 1.5 s for both deliveries and notifications. */
const FAULTS: Fault[] = [
  { name: 'slow (answers after 0.7 s)', receiver: slowAnswer(200, 700), connector: { status: 200, delayMs: 700 } },
  { name: 'hang (never answer)', receiver: HANG, connector: { status: NO_ANSWER } },
  { name: 'errors and a body that never ends', receiver: drip(50), connector: { status: 503 } },
  { name: 'reset', receiver: RESET, connectorGate: 'reset' },
  { name: 'garbage', receiver: GARBAGE, connectorGate: 'garbage' },
  { name: 'silent connection (no TLS, no HTTP)', receiverGate: 'blackhole', connectorGate: 'blackhole' },
  { name: 'gone (connection refused)', receiverGate: 'refuse', connectorGate: 'refuse' },
  { name: 'redirects and 429s', receiver: answer(429, { 'retry-after': '1' }), connector: { status: 302 } },
];

/** Twice the deadline of deliveries and notifications: a fault lasts at least this long. */
const MIN_FAULT_MS = 3_000;

/** How many attempts patchbay made at the victim's peers (from its own records). */
async function victimAttempts(store: Store, subscriptionId: string, companyId: string): Promise<{ deliveries: number; notifications: number }> {
  const deliveries = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = ${subscriptionId}`.execute(store.db);
  const notifications = await store.db
    .selectFrom('callout_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('company_id', '=', companyId)
    .where('service', '=', 'notification')
    .executeTakeFirstOrThrow();
  return { deliveries: Number(deliveries.rows[0]!.n), notifications: Number(notifications.n) };
}

for (const [storeIndex, { kind, skip }] of (await storeSuites()).entries()) {
  describe(`reliability: peer faults [${kind.name}]`, { skip }, () => {
    test('one tenant\'s receiver and connector fail in every way: the other tenants are served throughout, and everything arrives once the peers recover, without a restart', { timeout: 60 * 60_000 }, async (t) => {
      const random = testRandom(t, 11 + storeIndex);
      const database = await kind.create();
      const { ca, caFile } = await connectorCa(database.dataDir);
      let receiver: Receiver | undefined;
      let healthyConnector: NotifyConnector | undefined;
      let victimConnector: NotifyConnector | undefined;
      let receiverGate: TcpGate | undefined;
      let connectorGate: TcpGate | undefined;
      let platform: Platform | undefined;
      let store: Store | undefined;
      let load: Load | undefined;
      try {
        receiver = await startReceiver();
        healthyConnector = await startNotifyConnector(ca);
        victimConnector = await startNotifyConnector(ca);
        receiverGate = await startTcpGate(Number(new URL(receiver.base).port));
        connectorGate = await startTcpGate(victimConnector.fake.port);
        platform = await startPlatform({
          ...platformSettings(database, caFile, 1_500),
          // Backoffs (at most an hour of delivery clock) stay under 4 s of real time in the short run, 18 s
          // in the long one, while the 72-hour retention (4.3 and 21.6 minutes) outlasts the test.
          PATCHBAY_CLOCK_SPEED: FULL ? '200' : '1000',
        });
        store = await openStore(database.location);
        const world: World = await buildWorld(
          platform,
          store,
          receiver,
          {
            companies: [{ connector: victimConnector, hostUrl: `https://localhost:${connectorGate.port}`, victim: true }, { connector: healthyConnector }, { connector: healthyConnector }],
            apps: [
              { subscriptions: [{ path: '/victim', filter: '.*', baseUrl: `http://127.0.0.1:${receiverGate.port}` }], companies: [0] },
              { subscriptions: [{ path: '/healthy', filter: '.*' }, { path: '/healthy/approved', filter: 'statusChange\\.APPROVED' }], companies: [1, 2] },
            ],
          },
          random,
        );
        const victim = world.companies[0]!;
        const victimSubscription = world.subscriptions.find((s) => s.path === '/victim')!;
        const pid = platform.pid();
        load = startLoad(world, { random, notificationGuardMs: 120_000 });
        const running = load;
        const live = platform;
        const db = store;
        const explain = () => `${running.acked()} acknowledged; failures: ${running.failures.slice(0, 3).join(' | ')}; exits: ${live.unexpectedExits.join(' | ')}\n${live.output(2_000)}`;
        const healthy = (companyIndex: number) => companyIndex !== victim.index;
        const healthyDeliveries = () => receiver!.acknowledged('/healthy').length;
        const healthyCompleted = () => world.companies.filter((c) => healthy(c.index)).reduce((sum, c) => sum + running.completed(c.index), 0);

        // Warm up: everyone is served before the faults begin.
        await waitUntil(() => healthyCompleted() >= 3 && running.completed(victim.index) >= 3, explain, { timeoutMs: 120_000 });

        const rows: string[] = [];
        for (const fault of FAULTS) {
          world.receiverBehaviour = (request) => (request.path === '/victim' ? (fault.receiver ?? world.healthyReceiver(request)) : world.healthyReceiver(request));
          world.notificationAnswer = async (post, company) => {
            if (company.index !== victim.index || !fault.connector) return world.healthyNotificationAnswer(post, company);
            if (fault.connector.delayMs) await sleep(fault.connector.delayMs);
            return fault.connector.status;
          };
          await receiverGate.set(fault.receiverGate ?? 'pass');
          await connectorGate.set(fault.connectorGate ?? 'pass');
          const began = Date.now();
          const start = {
            completed: healthyCompleted(),
            deliveries: healthyDeliveries(),
            acked: running.ackedWhere((c) => healthy(c.companyIndex)),
            victimAcked: running.ackedWhere((c) => c.companyIndex === victim.index),
            attempts: await victimAttempts(db, victimSubscription.id, victim.id),
            received: receiver.requests('/victim').length,
            posts: victimConnector.posts.length,
            receiverGate: receiverGate.accepted(),
            connectorGate: connectorGate.accepted(),
          };
          // How often the victim's peers met this very fault: arrivals at the receiver or the connector
          // (they get the fault's answer), connections the gates treated so, or (connection refused,
          // which nothing sees) attempts patchbay recorded.
          const tried = async () => {
            const attempts = await victimAttempts(db, victimSubscription.id, victim.id);
            const gateCount = (gate: TcpGate, before: Record<GateMode, number>, mode: GateMode | undefined) => (mode === undefined ? 0 : gate.accepted()[mode] - before[mode]);
            return {
              receiver: fault.receiverGate === 'refuse' ? attempts.deliveries - start.attempts.deliveries - 1 : fault.receiverGate ? gateCount(receiverGate!, start.receiverGate, fault.receiverGate) : receiver!.requests('/victim').length - start.received,
              connector: fault.connectorGate === 'refuse' ? attempts.notifications - start.attempts.notifications - 1 : fault.connectorGate ? gateCount(connectorGate!, start.connectorGate, fault.connectorGate) : victimConnector!.posts.length - start.posts,
              attempts,
            };
          };
          // The fault lasts at least twice the peers' deadline (so that hung calls time out under it),
          // and until the healthy tenants have had their round trips and the victim's peers were tried.
          await waitUntil(
            async () => {
              if (running.failures.length > 0 || live.unexpectedExits.length > 0) return true;
              const seen = await tried();
              return (
                Date.now() - began >= MIN_FAULT_MS &&
                healthyCompleted() - start.completed >= RELIABILITY.faultRoundTrips &&
                healthyDeliveries() - start.deliveries >= RELIABILITY.faultRoundTrips &&
                seen.receiver >= 2 &&
                seen.connector >= 1
              );
            },
            async () => `fault "${fault.name}": ${healthyCompleted() - start.completed} healthy round trips, ${healthyDeliveries() - start.deliveries} healthy deliveries, victim's peers tried ${JSON.stringify(await tried())}; ${explain()}`,
            { timeoutMs: 240_000 },
          );
          assert.deepEqual(running.failures, [], `every call of every tenant was served during "${fault.name}"`);
          assert.deepEqual(live.unexpectedExits, [], `patchbay kept running during "${fault.name}"`);
          const { attempts, receiver: receiverTries, connector: connectorTries } = await tried();
          rows.push(
            `${fault.name}: ${((Date.now() - began) / 1000).toFixed(1)} s; healthy tenants: ${running.ackedWhere((c) => healthy(c.companyIndex)) - start.acked} calls acknowledged, 0 failed, ` +
              `${healthyCompleted() - start.completed} requests through the workflow, ${healthyDeliveries() - start.deliveries} events delivered; ` +
              `victim: ${running.ackedWhere((c) => c.companyIndex === victim.index) - start.victimAcked} of its own calls acknowledged; its receiver met the fault ${receiverTries}x, its connector ${connectorTries}x ` +
              `(patchbay recorded ${attempts.deliveries - start.attempts.deliveries} delivery and ${attempts.notifications - start.attempts.notifications} notification attempts)`,
          );
        }

        // The peers come back; the same process delivers the backlog.
        world.receiverBehaviour = world.healthyReceiver;
        world.notificationAnswer = world.healthyNotificationAnswer;
        await receiverGate.set('pass');
        await connectorGate.set('pass');
        const recovered = Date.now();
        await running.stop();
        await waitForDrain(world, db, 300_000);
        const drainedMs = Date.now() - recovered;
        const figures = await checkConsistency(world, running, db);
        assert.deepEqual(live.unexpectedExits, [], 'patchbay never crashed');
        assert.equal(live.pid(), pid, 'one patchbay process throughout: recovered without a restart');
        assert.equal(live.starts(), 1);
        assert.equal(running.serverErrors(), 0, 'no call was answered with a 5xx');
        for (const row of rows) t.diagnostic(row);
        const victimEvents = world.receiver.acknowledgedIds('/victim').size;
        const victimNotifications = [...world.arrivals.values()].filter((a) => a.companyIndex === victim.index).length;
        t.diagnostic(`after recovery, without a restart: the victim's ${victimEvents} events and ${victimNotifications} notifications all arrived within ${(drainedMs / 1000).toFixed(1)} s; ${describeFigures(figures)}`);
      } finally {
        await load?.stop();
        await platform?.stop();
        await store?.close();
        await receiverGate?.close();
        await connectorGate?.close();
        await receiver?.close();
        await healthyConnector?.close();
        await victimConnector?.close();
        await database.drop();
      }
    });
  });
}
