/**
 * ESS delivery reliability (issue 6, acceptance 3), on SQLite and PostgreSQL, with a virtual clock so
 * that retry schedules and the 72-hour retention pass in seconds. Events come from real Request v4
 * workflow actions; a real webhook receiver on 127.0.0.1 is scripted per attempt. Checked against the
 * spec's §1.6: 2xx delivers; 5xx, 401, 403, 429, I/O errors and timeouts are retried with backoff,
 * honouring Retry-After; other 4xx are not retried; retries stop 72 hours after publication; delivery
 * is at least once, in order per request, and one slow subscriber or one failing request does not
 * hold up the others. Nothing here asserts how long anything took in real time; the waits are guards.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/server.ts';
import { storeSuites, type TestStoreKind } from '../support/stores.ts';
import {
  GARBAGE,
  HANG,
  OK,
  RESET,
  answer,
  assertOrderedPerRequest,
  connectCompany,
  createEssApp,
  deliveries,
  drip,
  inParallel,
  leasedCount,
  outboxEvents,
  publishedKeys,
  signatureVerifies,
  startReceiver,
  subscribe,
  traveler,
  travelerAndManager,
  waitUntil,
  type Behaviour,
  type DeliveryView,
  type EssApp,
  type OutboxEvent,
  type Receiver,
  type Traveler,
} from '../support/ess-fixtures.ts';
import { backoffMs, retryAfterMs, verdictFor } from '../../src/events/delivery-worker.ts';
import type { OutboundResult } from '../../src/connectors/outbound-client.ts';

const HOUR = 3_600_000;
/** The subscriber's acknowledgement deadline in these tests (ESS: 60 s). */
const TIMEOUT_MS = 500;

/** A patchbay with a receiver, an ESS app subscribed at some receiver paths, and a traveler. */
interface World {
  server: TestServer;
  receiver: Receiver;
  app: EssApp;
  who: Traveler;
  /** Subscription id by receiver path. */
  subscriptions: Map<string, string>;
  events(): Promise<OutboxEvent[]>;
  deliveriesAt(path: string): Promise<DeliveryView[]>;
  close(): Promise<void>;
}

/**
 * Opens a world. Unless `keyFirst` is false, the subscriber fetches the published signing keys before
 * any event exists (as a subscriber that verifies signatures does), so the key is in place before the
 * first delivery.
 */
async function openWorld(kind: TestStoreKind, paths: string[], env: Record<string, string> = {}, keyFirst = true): Promise<World> {
  const database = await kind.create();
  let server: TestServer;
  try {
    server = await startTestServer({
      database,
      env: { PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true', PATCHBAY_CLOCK_SPEED: '3600', PATCHBAY_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS), ...env },
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const receiver = await startReceiver();
  try {
    const app = await createEssApp(server.patchbay.store);
    const subscriptions = new Map<string, string>();
    for (const path of paths) {
      const id = `reliability${path.replaceAll('/', '-')}-${randomUUID().slice(0, 8)}`;
      await subscribe(server.url, app, { id, endpoint: receiver.url(path) });
      subscriptions.set(path, id);
    }
    // The company connects after the subscriptions exist, so its id joins them.
    await connectCompany(server.url, server.admin, server.companyId, app);
    const people = await travelerAndManager(server);
    const who = await traveler(server.url, app, people.traveler);
    if (keyFirst) assert.equal((await publishedKeys(server.url)).length, 1);
    return {
      server,
      receiver,
      app,
      who,
      subscriptions,
      events: () => outboxEvents(server.patchbay.store, server.companyId),
      deliveriesAt: (path) => deliveries(server.patchbay.store, subscriptions.get(path)!),
      async close() {
        await receiver.close();
        await server.close();
      },
    };
  } catch (error) {
    await receiver.close();
    await server.close();
    throw error;
  }
}

/** Creates `requests` requests and performs `actions` workflow actions on each (several requests at once). */
async function publish(world: World, requests: number, actions: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < requests; i++) ids.push(await world.who.newRequest());
  await inParallel(ids, 4, (id) => world.who.act(id, actions));
  return ids;
}

/** Waits until every delivery at `path` is settled (not PENDING) and there are `count` of them. */
async function settled(world: World, path: string, count: number, timeoutMs = 60_000): Promise<DeliveryView[]> {
  let last: DeliveryView[] = [];
  await waitUntil(
    async () => {
      last = await world.deliveriesAt(path);
      return last.length === count && last.every((d) => d.status !== 'PENDING');
    },
    () => `deliveries at ${path}: ${last.map((d) => `${d.eventSeq}:${d.status}/${d.attempts}`).join(' ')}; receiver: ${world.receiver.describe(path)}`,
    { timeoutMs },
  );
  return last;
}

/** Every outbox event acknowledged at `path` exactly once (the receiver never had to deduplicate). */
function assertEachAcknowledgedOnce(receiver: Receiver, path: string, events: readonly OutboxEvent[], except: ReadonlySet<string> = new Set()): void {
  const acked = receiver.acknowledged(path).map((r) => r.eventId);
  const expected = events.map((e) => e.id).filter((id) => !except.has(id));
  assert.deepEqual([...new Set(acked)].sort(), [...expected].sort(), 'the acknowledged events are the outbox events');
  const duplicates = acked.filter((id, index) => acked.indexOf(id) !== index);
  assert.deepEqual(duplicates, [], 'without a crash, no event is acknowledged twice');
}

/** The smallest wait `backoffMs(attempt)` may return. */
const backoffFloor = (attempt: number) => Math.min(HOUR, 1_000 * 2 ** (attempt - 1)) / 2;

describe('ESS retry rules', () => {
  const response = (status: number, headers: Record<string, string> = {}): OutboundResult => ({ ok: true, status, headers, body: Buffer.alloc(0), durationMs: 1 });

  test('2xx delivers; 5xx, 401, 403, 429, 1xx/3xx and I/O failures retry; other 4xx fail', () => {
    for (const status of [200, 201, 202, 204, 299]) assert.deepEqual(verdictFor(response(status), 0), { kind: 'delivered' }, String(status));
    for (const status of [500, 502, 503, 504, 599, 401, 403, 429, 301, 302, 307, 308]) assert.equal(verdictFor(response(status), 0).kind, 'retry', String(status));
    for (const status of [400, 404, 405, 409, 410, 413, 415, 422, 451]) assert.deepEqual(verdictFor(response(status), 0), { kind: 'failed' }, String(status));
    for (const failure of ['timeout', 'connection_reset', 'connection_refused', 'network_error', 'dns_failure', 'tls_failure'] as const) {
      assert.equal(verdictFor({ ok: false, failure, message: failure, durationMs: 1 }, 0).kind, 'retry', failure);
    }
  });

  test('Retry-After is honoured on every retried status, in seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    for (const status of [429, 503, 500, 401, 403]) assert.deepEqual(verdictFor(response(status, { 'retry-after': '120' }), now), { kind: 'retry', waitMs: 120_000 }, String(status));
    assert.deepEqual(verdictFor(response(429, { 'retry-after': 'Thu, 01 Jan 2026 00:05:00 GMT' }), now), { kind: 'retry', waitMs: 300_000 });
    assert.deepEqual(verdictFor(response(429), now), { kind: 'retry', waitMs: null }, 'without Retry-After the backoff applies');
    assert.equal(retryAfterMs('0', now), 0);
    assert.equal(retryAfterMs(' 7 ', now), 7_000);
    assert.equal(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(retryAfterMs('soon', now), null);
    assert.equal(retryAfterMs(undefined, now), null);
  });

  test('a malformed Retry-After is ignored (the backoff applies), not read as "retry now"', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    // RFC 9110: Retry-After is an HTTP-date or a non-negative integer of seconds; anything else is not a delay.
    for (const value of ['-5', '-1', '1.5', 'abc 1', '12 apples']) {
      assert.equal(retryAfterMs(value, now), null, `Retry-After "${value}" is neither delay-seconds nor an HTTP-date, yet it was read as a wait of ${retryAfterMs(value, now)} ms`);
    }
  });

  test('backoff grows exponentially with jitter in the upper half, capped at an hour', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const ceiling = Math.min(HOUR, 1_000 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const wait = backoffMs(attempt);
        assert.ok(wait >= ceiling / 2 && wait <= ceiling, `attempt ${attempt}: ${wait} outside [${ceiling / 2}, ${ceiling}]`);
      }
    }
  });
});

/** What the subscriber does on its 1st, 2nd, … attempt for an event; then it recovers. */
const GAUNTLET: { behaviour: Behaviour; status: number | null; error?: RegExp; retryAfterMs?: number }[] = [
  { behaviour: answer(500), status: 500 },
  { behaviour: answer(503), status: 503 },
  { behaviour: answer(429, { 'retry-after': '3600' }), status: 429, retryAfterMs: HOUR },
  { behaviour: HANG, status: null, error: /^timeout:/ },
  { behaviour: RESET, status: null, error: /^connection_reset:/ },
  { behaviour: drip(40), status: null, error: /^timeout:/ },
  { behaviour: GARBAGE, status: null, error: /./ },
  { behaviour: answer(302, { location: 'http://127.0.0.1:9/elsewhere' }), status: 302 },
  { behaviour: answer(502, { 'retry-after': 'soon' }), status: 502 },
  { behaviour: OK, status: 200 },
];

for (const { kind, skip } of await storeSuites()) {
  describe(`ESS delivery reliability [${kind.name}]`, { skip }, () => {
    test('a subscriber failing with 5xx, 429 + Retry-After, timeouts, resets, slow bodies, garbage and redirects, then recovering, gets every event once, in order', async () => {
      const world = await openWorld(kind, ['/hook']);
      try {
        world.receiver.script((r) => GAUNTLET[Math.min(r.attempt, GAUNTLET.length) - 1]!.behaviour);
        await publish(world, 4, 3);
        const events = await world.events();
        assert.equal(events.length, 12);
        const settledDeliveries = await settled(world, '/hook', events.length);

        assertEachAcknowledgedOnce(world.receiver, '/hook', events);
        assertOrderedPerRequest(world.receiver, '/hook', events);
        for (const delivery of settledDeliveries) {
          const event = events.find((e) => e.seq === delivery.eventSeq)!;
          const label = `event ${event.id} (${event.eventType})`;
          assert.equal(delivery.status, 'DELIVERED', label);
          assert.equal(delivery.attempts, GAUNTLET.length, `${label}: one attempt per scripted failure, then the delivery`);
          // Every attempt is in delivery_attempts, with the outcome the subscriber produced.
          assert.deepEqual(delivery.attemptRows.map((a) => a.statusCode), GAUNTLET.map((g) => g.status), `${label}: attempt statuses`);
          delivery.attemptRows.forEach((a, i) => {
            const expected = GAUNTLET[i]!;
            if (expected.error) assert.match(a.error ?? '', expected.error, `${label}: attempt ${i + 1} error`);
            else assert.equal(a.error, null, `${label}: attempt ${i + 1} has an HTTP answer`);
          });
          // Retries wait: Retry-After when the subscriber gives one, else exponential backoff (virtual time).
          for (let i = 1; i < delivery.attemptRows.length; i++) {
            const gap = delivery.attemptRows[i]!.attemptedAt - delivery.attemptRows[i - 1]!.attemptedAt;
            const floor = GAUNTLET[i - 1]!.retryAfterMs ?? backoffFloor(i);
            assert.ok(gap >= floor, `${label}: attempt ${i + 1} came ${gap} virtual ms after attempt ${i}; it must wait at least ${floor}`);
          }
          // The receiver saw each attempt, with the same signed bytes every time (signed once per event).
          const arrivals = world.receiver.requests('/hook').filter((r) => r.eventId === event.id);
          assert.equal(arrivals.length, GAUNTLET.length, `${label}: the receiver saw every attempt`);
          for (const arrival of arrivals) {
            assert.equal(arrival.method, 'POST');
            assert.equal(arrival.body, event.payload, `${label}: the exact stored payload is sent`);
            assert.equal(arrival.headers['content-type'], 'application/json');
            assert.equal(arrival.headers['concur-correlationid'], JSON.parse(event.payload).correlationId);
            assert.equal(arrival.headers['concur-signature'], arrivals[0]!.headers['concur-signature'], `${label}: one signature for all attempts`);
          }
          assert.ok(arrivals[0]!.headers['concur-signature'], `${label}: signed`);
        }
      } finally {
        await world.close();
      }
    });

    test('400, 404, 409 and 422 are not retried (the event is dropped for that subscriber, the next one goes on); 401 and 403 are retried', async () => {
      const world = await openWorld(kind, ['/hook']);
      try {
        const requestIds: string[] = [];
        for (let i = 0; i < 6; i++) requestIds.push(await world.who.newRequest());
        const refusal = new Map([requestIds[0]!, requestIds[1]!, requestIds[2]!, requestIds[3]!].map((id, i) => [id, [400, 404, 409, 422][i]!]));
        const authFailures = new Map([
          [requestIds[4]!, [401, 403]],
          [requestIds[5]!, [403, 401, 403]],
        ]);
        // Only the first event of each request (the submit) is refused; the recall after it is accepted.
        world.receiver.script((r) => {
          if (r.event?.facts?.isRecall !== 'false') return OK;
          const refused = refusal.get(r.requestId!);
          if (refused) return answer(refused, { 'content-type': 'application/json' }, '{"error":"unexpected event"}');
          const auth = authFailures.get(r.requestId!);
          if (auth && r.attempt <= auth.length) return answer(auth[r.attempt - 1]!);
          return OK;
        });
        await inParallel(requestIds, 3, (id) => world.who.act(id, 2));
        const events = await world.events();
        assert.equal(events.length, 12);
        const all = await settled(world, '/hook', events.length);

        const dropped = new Set<string>();
        for (const [requestId, status] of refusal) {
          const [first, second] = all.filter((d) => d.requestId === requestId);
          assert.equal(first!.status, 'FAILED', `${status}: not retried, dropped`);
          assert.equal(first!.attempts, 1, `${status}: exactly one attempt`);
          assert.deepEqual(first!.attemptRows.map((a) => a.statusCode), [status], `${status}: the one attempt is recorded`);
          assert.equal(first!.lastStatus, status);
          assert.equal(world.receiver.requests('/hook').filter((r) => r.eventId === first!.eventId).length, 1, `${status}: the receiver saw it once`);
          assert.equal(second!.status, 'DELIVERED', `${status}: the request's next event is delivered after the dropped one`);
          dropped.add(first!.eventId);
        }
        for (const [requestId, statuses] of authFailures) {
          const [first] = all.filter((d) => d.requestId === requestId);
          assert.equal(first!.status, 'DELIVERED', `${statuses.join(', ')}: retried until delivered`);
          assert.deepEqual(first!.attemptRows.map((a) => a.statusCode), [...statuses, 200]);
        }
        assertEachAcknowledgedOnce(world.receiver, '/hook', events, dropped);
        assertOrderedPerRequest(world.receiver, '/hook', events, dropped);
      } finally {
        await world.close();
      }
    });

    test('a hanging subscriber does not block a healthy one, and never holds more than a quarter of the delivery slots', async () => {
      const CONCURRENCY = 8;
      const world = await openWorld(kind, ['/slow', '/healthy'], { PATCHBAY_DELIVERY_CONCURRENCY: String(CONCURRENCY), PATCHBAY_DELIVERY_TIMEOUT_MS: '1000' });
      const slowSubscription = world.subscriptions.get('/slow')!;
      let maxLeased = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          maxLeased = Math.max(maxLeased, await leasedCount(world.server.patchbay.store, slowSubscription));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      try {
        let hanging = true;
        world.receiver.script((r) => (r.path === '/slow' && hanging ? HANG : OK));
        await publish(world, 12, 2);
        const events = await world.events();
        assert.equal(events.length, 24);
        // The healthy subscriber gets everything while the slow one hangs (and has timed out a few times).
        const timeouts = async () => (await world.deliveriesAt('/slow')).flatMap((d) => d.attemptRows).filter((a) => /^timeout:/.test(a.error ?? '')).length;
        await waitUntil(
          async () => world.receiver.acknowledgedIds('/healthy').size === events.length && (await timeouts()) >= 3,
          async () => `healthy: ${world.receiver.describe('/healthy')}; slow: ${await timeouts()} timeouts, ${world.receiver.describe('/slow')}`,
        );
        assert.equal(world.receiver.acknowledged('/slow').length, 0, 'the slow subscriber is still hanging');
        assertEachAcknowledgedOnce(world.receiver, '/healthy', events);
        assertOrderedPerRequest(world.receiver, '/healthy', events);
        const slowSoFar = await world.deliveriesAt('/slow');
        assert.ok(slowSoFar.every((d) => d.status === 'PENDING'), 'the slow subscriber\'s events stay queued');

        // It recovers and gets everything too, in order.
        hanging = false;
        await settled(world, '/slow', events.length);
        assertEachAcknowledgedOnce(world.receiver, '/slow', events);
        assertOrderedPerRequest(world.receiver, '/slow', events);
        watching = false;
        await watcher;
        // The slots it held are the requests the subscriber had open at once (the most leases seen on
        // its deliveries is shown too: a lease is taken when a delivery is claimed).
        assert.ok(
          world.receiver.maxOpen('/slow') <= CONCURRENCY / 4,
          `with PATCHBAY_DELIVERY_CONCURRENCY=${CONCURRENCY} one subscription may have at most ${CONCURRENCY / 4} deliveries in flight, but the hanging subscriber had ${world.receiver.maxOpen('/slow')} requests open at once (at most ${maxLeased} of its deliveries were leased at once)`,
        );
      } finally {
        watching = false;
        await watcher;
        await world.close();
      }
    });

    test('one request whose events keep failing does not stall the other requests; its own events wait in order', async () => {
      const world = await openWorld(kind, ['/hook']);
      try {
        const requestIds: string[] = [];
        for (let i = 0; i < 5; i++) requestIds.push(await world.who.newRequest());
        const stuck = requestIds[2]!;
        let failing = true;
        world.receiver.script((r) => (r.requestId === stuck && failing ? answer(500) : OK));
        await inParallel(requestIds, 5, (id) => world.who.act(id, 3));
        const events = await world.events();
        assert.equal(events.length, 15);
        const others = events.filter((e) => e.requestId !== stuck);
        const stuckEvents = events.filter((e) => e.requestId === stuck);
        await waitUntil(
          async () => others.every((e) => world.receiver.acknowledgedIds('/hook').has(e.id)) && ((await world.deliveriesAt('/hook')).find((d) => d.eventId === stuckEvents[0]!.id)?.attempts ?? 0) >= 3,
          () => world.receiver.describe('/hook'),
        );
        const now = await world.deliveriesAt('/hook');
        const [head, ...rest] = now.filter((d) => d.requestId === stuck);
        assert.equal(head!.status, 'PENDING', 'the failing event is still being retried');
        assert.ok(head!.attemptRows.every((a) => a.statusCode === 500));
        for (const later of rest) {
          assert.equal(later.status, 'PENDING');
          assert.equal(later.attempts, 0, 'a later event of the failing request does not overtake it');
        }
        assert.deepEqual(world.receiver.requests('/hook').filter((r) => r.requestId === stuck).map((r) => r.eventId).filter((id, i, all) => all.indexOf(id) === i), [stuckEvents[0]!.id], 'only the head of the failing request was tried');

        failing = false;
        await settled(world, '/hook', events.length);
        assertEachAcknowledgedOnce(world.receiver, '/hook', events);
        assertOrderedPerRequest(world.receiver, '/hook', events);
      } finally {
        await world.close();
      }
    });

    test('a malformed Retry-After does not turn off the backoff', async () => {
      const world = await openWorld(kind, ['/hook']);
      try {
        const FAILURES = 14;
        world.receiver.script((r) => (r.attempt <= FAILURES ? answer(503, { 'retry-after': '-1' }) : OK));
        const requestId = await world.who.newRequest();
        await world.who.act(requestId, 1);
        const [delivery] = await settled(world, '/hook', 1);
        assert.equal(delivery!.status, 'DELIVERED');
        assert.equal(delivery!.attemptRows.length, FAILURES + 1);
        const gaps = delivery!.attemptRows.slice(1).map((a, i) => a.attemptedAt - delivery!.attemptRows[i]!.attemptedAt);
        gaps.forEach((gap, i) => {
          assert.ok(gap >= backoffFloor(i + 1), `"Retry-After: -1" is not a delay: retry ${i + 1} came ${gap} virtual ms after the failure, the backoff asks for at least ${backoffFloor(i + 1)} (gaps: ${gaps.join(', ')})`);
        });
      } finally {
        await world.close();
      }
    });

    test('a 2xx answer with a large body is an acknowledgement: the event is not sent again', async () => {
      const world = await openWorld(kind, ['/hook']);
      try {
        // Many web frameworks answer a POST with a page; ESS looks at the status only.
        world.receiver.script((r) => (r.attempt === 1 ? answer(200, { 'content-type': 'text/html' }, `<html>${'x'.repeat(200_000)}</html>`) : OK));
        const requestId = await world.who.newRequest();
        await world.who.act(requestId, 1);
        const [delivery] = await settled(world, '/hook', 1);
        const arrivals = world.receiver.requests('/hook');
        assert.deepEqual(
          { status: delivery!.status, attempts: delivery!.attempts, arrivals: arrivals.length },
          { status: 'DELIVERED', attempts: 1, arrivals: 1 },
          `the subscriber acknowledged with 200 at the first attempt; recorded attempts: ${JSON.stringify(delivery!.attemptRows.map((a) => [a.statusCode, a.error?.slice(0, 60)]))}`,
        );
      } finally {
        await world.close();
      }
    });

    test('the first burst of deliveries is signed with one key, which stays published: every signature verifies', async () => {
      // No attempt here is meant to time out: a generous deadline keeps a loaded machine from turning a
      // slow acknowledgement into a retry (and a duplicate).
      const world = await openWorld(kind, ['/hook'], { PATCHBAY_DELIVERY_TIMEOUT_MS: '10000' }, false);
      try {
        // Several requests at once, on a platform that has not signed anything yet.
        const requestIds: string[] = [];
        for (let i = 0; i < 8; i++) requestIds.push(await world.who.newRequest());
        await inParallel(requestIds, 8, (id) => world.who.act(id, 2));
        const events = await world.events();
        await settled(world, '/hook', events.length);
        assertEachAcknowledgedOnce(world.receiver, '/hook', events);
        const keys = await publishedKeys(world.server.url);
        const unverifiable = world.receiver.acknowledged('/hook').filter((r) => !signatureVerifies(r.body, String(r.headers['concur-signature']), keys));
        const stored = await world.server.patchbay.store.db.selectFrom('webhook_signing_keys').select(['kid', 'retired_at']).execute();
        const kids = await world.server.patchbay.store.db.selectFrom('events').select('signature_kid').distinct().execute();
        assert.deepEqual(
          unverifiable.map((r) => r.eventId),
          [],
          `${unverifiable.length} of ${events.length} delivered events carry a signature no published key verifies; events were signed with kids ${kids.map((k) => k.signature_kid).join(', ')}; published: ${keys.map((k) => k.kid).join(', ')}; stored keys: ${JSON.stringify(stored)}`,
        );
        assert.equal(stored.length, 1, `one signing key is generated on first use, without rotation; there are ${stored.length}: ${JSON.stringify(stored)}`);
      } finally {
        await world.close();
      }
    });

    test('a delivery never acknowledged expires 72 (virtual) hours after publication, with every attempt recorded', async () => {
      // 72 virtual hours pass in about 13 real seconds.
      const SPEED = 20_000;
      const world = await openWorld(kind, ['/hook'], { PATCHBAY_CLOCK_SPEED: String(SPEED) });
      try {
        world.receiver.script(() => answer(500));
        // Three requests, so three deliveries retried independently (each with its own jitter).
        const requestIds: string[] = [];
        for (let i = 0; i < 3; i++) requestIds.push(await world.who.newRequest());
        const actStarted = new Map<string, number>();
        await inParallel(requestIds, 3, async (id) => {
          actStarted.set(id, Date.now());
          await world.who.act(id, 1);
        });
        const events = await world.events();
        const expired = await settled(world, '/hook', 3, 90_000);
        const early: Array<{ event: string; virtualMinutesEarly: number }> = [];
        for (const delivery of expired) {
          const label = `event ${delivery.eventId}`;
          assert.equal(delivery.status, 'EXPIRED', label);
          assert.equal(delivery.expiresAt - delivery.publishedAt, 72 * HOUR, `${label}: retention is 72 hours from publication`);
          assert.ok(delivery.attempts >= 2, `${label}: retried (${delivery.attempts} attempts)`);
          assert.equal(delivery.attemptRows.length, delivery.attempts, `${label}: every attempt is in delivery_attempts`);
          const odd = delivery.attemptRows.filter((a) => a.statusCode !== 500);
          assert.ok(odd.every((a) => a.statusCode === null), `${label}: the subscriber only ever answered 500 (or the attempt failed on I/O): ${JSON.stringify(odd)}`);
          const arrivals = world.receiver.requests('/hook').filter((r) => r.eventId === delivery.eventId);
          assert.equal(arrivals.length, delivery.attempts, `${label}: the receiver saw each recorded attempt`);
          // When, on the delivery clock, was the event published? The clock runs SPEED times as fast as
          // real time, the last attempt started (virtual) at its attempted_at and (real) before the
          // receiver had it, and the event was published (real) after its workflow action was sent:
          // that bounds the publication from below, and so the end of its retention.
          const retentionEndsAtLeast = delivery.attemptRows.at(-1)!.attemptedAt - (arrivals.at(-1)!.at - actStarted.get(delivery.requestId)!) * SPEED + 72 * HOUR;
          early.push({ event: delivery.eventId, virtualMinutesEarly: Math.round((retentionEndsAtLeast - delivery.completedAt!) / 60_000) });
        }
        assert.equal(world.receiver.acknowledged('/hook').length, 0);
        assert.deepEqual(expired.map((d) => d.eventId).sort(), events.map((e) => e.id).sort());
        // ESS "will retry at least 3 days": a delivery is not given up before its 72 hours are over
        // (a retry that would fall after the deadline is made at the deadline instead of being dropped).
        assert.ok(early.every((e) => e.virtualMinutesEarly <= 1), `deliveries were given up before their 72 hours were over (at least this many virtual minutes early): ${JSON.stringify(early)}`);
      } finally {
        await world.close();
      }
    });

    test('an event published after the platform has been up for a while is still delivered (retention is counted on the delivery clock)', async () => {
      // At 360000x, 72 virtual hours pass in 0.72 real seconds; with the documented 3600x it is 72 s.
      const world = await openWorld(kind, ['/hook'], { PATCHBAY_CLOCK_SPEED: '360000' });
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const requestId = await world.who.newRequest();
        await world.who.act(requestId, 1);
        const [delivery] = await settled(world, '/hook', 1);
        assert.equal(
          delivery!.status,
          'DELIVERED',
          `a healthy subscriber must get a fresh event; it was ${delivery!.status} after ${delivery!.attempts} attempts (${delivery!.lastError}); published_at ${delivery!.publishedAt}, expires_at ${delivery!.expiresAt}, completed_at ${delivery!.completedAt}`,
        );
        assert.equal(world.receiver.acknowledged('/hook').length, 1);
      } finally {
        await world.close();
      }
    });
  });
}
