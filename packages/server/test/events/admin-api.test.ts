/**
 * The ESS admin API on SQLite and PostgreSQL: subscriptions (made through the real
 * `/events/v4/subscriptions/webhook` with an app token, the company connected with a Company Request
 * Token) with their delivery counts, their deliveries filtered and paged, one delivery with its attempts
 * and the exact event JSON, replay of one event or a time range to an HTTPS receiver (only events the
 * subscription would receive; published anew; signed again once the original key is retired), signing
 * key rotation, and who may see and do what (operators everything; a company's connector admins their
 * company's deliveries, read-only; others nothing).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, randomUUID, verify } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startTestServer, type TestServer } from '../support/server.ts';
import { storeSuites } from '../support/stores.ts';
import { anonymous, signIn, type ApiClient } from '../support/api-client.ts';
import { createDevCa, startHttpsServer, type RunningServer } from '../support/tls-fixture.ts';
import { createRequestFixture, type RequestFixture } from '../support/request-fixtures.ts';
import { createApplication } from '../../src/identity/applications.ts';

const TOPIC = 'public.concur.request';
const ALL = 'ess-admin-all';
const APPROVED_ONLY = 'ess-admin-approved';

/** What the HTTPS receiver got. */
interface Received {
  path: string;
  body: string;
  signature: string;
  eventId: string;
  eventType: string;
}

async function form(url: string, params: Record<string, string>): Promise<any> {
  const response = await fetch(`${url}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function verifies(body: string, signature: string, pem: string): boolean {
  return verify('sha256', Buffer.from(body, 'utf8'), { key: pem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, Buffer.from(signature, 'base64'));
}

for (const { kind, skip } of await storeSuites()) {
  describe(`ESS admin API [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let receiver: RunningServer;
    let operator: ApiClient;
    let admin: ApiClient;
    let otherAdmin: ApiClient;
    let employee: ApiClient;
    let fixture: RequestFixture;
    let appId = '';
    let startedAt = 0;
    /** The receiver answers with this status (and a short text body). */
    let answer = 400;
    const received: Received[] = [];
    /** Events of the main company, in the order they were published. */
    const events: Array<{ id: string; eventType: string; requestUuid: string }> = [];
    let otherCompanyEventId = '';

    const subscriptionCounts = async (id: string) => (await operator.get(`/api/ess/subscriptions/${id}`)).body.counts as { PENDING: number; DELIVERED: number; FAILED: number; EXPIRED: number };
    const settled = (id: string, total: number) =>
      waitFor(`${total} settled deliveries of ${id}`, async () => {
        const counts = await subscriptionCounts(id);
        return counts.PENDING === 0 && counts.DELIVERED + counts.FAILED + counts.EXPIRED === total ? counts : null;
      });

    before(async () => {
      startedAt = Date.now() - 1_000;
      const ca = await createDevCa();
      receiver = await startHttpsServer(ca.issue(['localhost', '127.0.0.1']), (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const event = JSON.parse(body) as { id: string; eventType: string };
          received.push({ path: req.url ?? '', body, signature: String(req.headers['concur-signature']), eventId: event.id, eventType: event.eventType });
          res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'rejected by the test receiver');
        });
      });
      server = await startTestServer({ database: await kind.create(), extraCa: ca.caCert });
      operator = await signIn(server.url, server.operator);
      admin = await signIn(server.url, server.admin);
      employee = await signIn(server.url, await server.addUser(server.companyId, ['EMPLOYEE']));
      const other = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
      otherAdmin = await signIn(server.url, other.user);

      const { application, clientSecret } = await server.patchbay.store.transaction((trx) =>
        createApplication(trx, null, { name: 'ESS admin test app', grants: ['client_credentials', 'password'], scopes: ['events.topic.read', 'travelrequest.write'], redirectUris: [] }),
      );
      appId = application.id;
      const appToken = (await form(server.url, { grant_type: 'client_credentials', client_id: appId, client_secret: clientSecret })).access_token as string;
      const ess = anonymous(server.url, { authorization: `Bearer ${appToken}` });
      for (const [id, filter, path] of [[ALL, '.*', '/hook'], [APPROVED_ONLY, 'statusChange\\.APPROVED', '/approved']] as const) {
        const saved = await ess.put('/events/v4/subscriptions/webhook', { id, topic: TOPIC, filter, webHookConfig: { endpoint: `${receiver.url}${path}` } });
        assert.equal(saved.status, 200, JSON.stringify(saved.body));
      }
      // The company connects after the subscriptions exist (companies are not added retroactively).
      const token = await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId });
      assert.equal(token.status, 201, JSON.stringify(token.body));
      await form(server.url, { grant_type: 'password', credtype: 'authtoken', client_id: appId, client_secret: clientSecret, username: server.companyId, password: token.body.requestToken });
      const subscription = await ess.get(`/events/v4/subscriptions/${ALL}`);
      assert.deepEqual(subscription.body[0].companyIds, [server.companyId]);

      // Request A: submitted and approved; request B: submitted. The receiver refuses them all (400: not retried).
      fixture = await createRequestFixture(server);
      const traveler = await fixture.userApi(fixture.people.traveler);
      const manager = await fixture.userApi(fixture.people.manager);
      const a = await fixture.newRequest(fixture.people.traveler);
      assert.equal((await traveler.action(a.id, 'submit')).status, 200);
      assert.equal((await manager.action(a.id, 'approve')).status, 200);
      const b = await fixture.newRequest(fixture.people.traveler);
      assert.equal((await traveler.action(b.id, 'submit')).status, 200);
      for (const event of await fixture.events()) events.push({ id: event.id, eventType: event.eventType, requestUuid: event.requestId });
      assert.deepEqual(events.map((e) => e.eventType), ['statusChange.PENDING.RequestManager', 'statusChange.APPROVED', 'statusChange.PENDING.RequestManager']);

      // Another company's events never reach the app's subscriptions (it is not connected).
      const otherFixture = await createRequestFixture(server, { companyId: other.companyId });
      const c = await otherFixture.newRequest(otherFixture.people.traveler);
      assert.equal((await (await otherFixture.userApi(otherFixture.people.traveler)).action(c.id, 'submit')).status, 200);
      assert.equal((await (await otherFixture.userApi(otherFixture.people.manager)).action(c.id, 'approve')).status, 200);
      otherCompanyEventId = (await otherFixture.events(c.id)).at(-1)!.id;

      await settled(ALL, 3);
      await settled(APPROVED_ONLY, 1);
    });

    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    test('who may look: 401 signed out, 403 without the connector permission, another company sees nothing', async () => {
      assert.equal((await anonymous(server.url).get('/api/ess/subscriptions')).status, 401);
      const refused = await employee.get('/api/ess/subscriptions');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'permission_denied');
      assert.equal((await employee.get(`/api/ess/subscriptions/${ALL}/deliveries`)).status, 403);

      assert.deepEqual((await otherAdmin.get('/api/ess/subscriptions')).body, { items: [] });
      assert.equal((await otherAdmin.get(`/api/ess/subscriptions/${ALL}`)).status, 404);
      assert.equal((await otherAdmin.get(`/api/ess/subscriptions/${ALL}/deliveries`)).status, 404);
      const anyDelivery = (await operator.get(`/api/ess/subscriptions/${ALL}/deliveries`)).body.items[0].id as number;
      assert.equal((await otherAdmin.get(`/api/ess/deliveries/${anyDelivery}`)).status, 404);

      // The company's own connector admin sees the subscriptions its events go to, read-only.
      const mine = await admin.get('/api/ess/subscriptions');
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.items.map((s: any) => s.id), [ALL, APPROVED_ONLY]);
      assert.deepEqual(mine.body.items[0].companyIds, [server.companyId]);
      assert.deepEqual(mine.body.items[0].counts, { PENDING: 0, DELIVERED: 0, FAILED: 3, EXPIRED: 0 });
      assert.equal((await admin.get(`/api/ess/deliveries/${anyDelivery}`)).status, 200);
      const replay = await admin.post(`/api/ess/subscriptions/${ALL}/replay`, { eventId: events[0]!.id });
      assert.equal(replay.status, 403);
      assert.match(replay.body.error.message, /operator/);
      assert.equal((await admin.post('/api/ess/signing-keys/rotate')).status, 403);
      assert.equal((await anonymous(server.url).post('/api/ess/signing-keys/rotate')).status, 401);
    });

    test('operators list every subscription, by application, with delivery counts', async () => {
      const all = await operator.get('/api/ess/subscriptions');
      assert.equal(all.status, 200);
      const listed = all.body.items.find((s: any) => s.id === ALL);
      assert.equal(listed.applicationId, appId);
      assert.equal(listed.applicationName, 'ESS admin test app');
      assert.equal(listed.topic, TOPIC);
      assert.equal(listed.filter, '.*');
      assert.equal(listed.endpoint, `${receiver.url}/hook`);
      assert.deepEqual(listed.companyIds, [server.companyId]);
      assert.equal(listed.companies[0].id, server.companyId);
      assert.equal(typeof listed.companies[0].name, 'string');

      assert.deepEqual((await operator.get(`/api/ess/subscriptions?appId=${appId}`)).body.items.map((s: any) => s.id), [ALL, APPROVED_ONLY]);
      assert.deepEqual((await operator.get(`/api/ess/subscriptions?appId=${randomUUID()}`)).body, { items: [] });
      const bad = await operator.get('/api/ess/subscriptions?appId=not-an-app');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'appId');
      assert.equal((await operator.get('/api/ess/subscriptions?company=1')).status, 400);

      const one = await operator.get(`/api/ess/subscriptions/${APPROVED_ONLY}`);
      assert.equal(one.status, 200);
      assert.equal(one.body.filter, 'statusChange\\.APPROVED');
      assert.deepEqual(one.body.counts, { PENDING: 0, DELIVERED: 0, FAILED: 1, EXPIRED: 0 });
      const missing = await operator.get('/api/ess/subscriptions/no-such-subscription');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
    });

    test('deliveries: newest first, with event, request, status and attempts; filtered by status and paged', async () => {
      const list = await operator.get(`/api/ess/subscriptions/${ALL}/deliveries`);
      assert.equal(list.status, 200);
      const items = list.body.items as any[];
      assert.equal(items.length, 3);
      assert.equal(list.body.nextBefore, null);
      assert.deepEqual(items.map((d) => d.eventId), events.map((e) => e.id).reverse());
      assert.ok(items[0].id > items[1].id && items[1].id > items[2].id);
      const approved = items[1];
      assert.equal(approved.eventType, 'statusChange.APPROVED');
      assert.equal(approved.requestUuid, events[1]!.requestUuid);
      assert.match(approved.requestId, /^[A-Z0-9]{4,6}$/);
      assert.equal(approved.companyId, server.companyId);
      assert.equal(approved.subscriptionId, ALL);
      assert.equal(approved.status, 'FAILED');
      assert.equal(approved.attempts, 1);
      assert.equal(approved.lastStatus, 400);
      assert.match(approved.lastError, /400/);
      assert.equal(approved.nextAttemptAt, null);
      assert.ok(Date.parse(approved.completedAt) >= Date.parse(approved.publishedAt));
      assert.equal(Date.parse(approved.expiresAt) - Date.parse(approved.publishedAt), 72 * 3_600_000);
      assert.equal(approved.replay, false);

      assert.deepEqual((await operator.get(`/api/ess/subscriptions/${ALL}/deliveries?status=DELIVERED`)).body.items, []);
      assert.equal((await operator.get(`/api/ess/subscriptions/${ALL}/deliveries?status=failed`)).body.items.length, 3);
      const page = await operator.get(`/api/ess/subscriptions/${ALL}/deliveries?limit=2`);
      assert.deepEqual(page.body.items.map((d: any) => d.id), [items[0].id, items[1].id]);
      assert.equal(page.body.nextBefore, items[1].id);
      const next = await operator.get(`/api/ess/subscriptions/${ALL}/deliveries?limit=2&before=${page.body.nextBefore}`);
      assert.deepEqual(next.body.items.map((d: any) => d.id), [items[2].id]);
      assert.equal(next.body.nextBefore, null);

      for (const [query, field] of [['status=LOST', 'status'], ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=ten', 'limit'], ['before=-1', 'before'], ['sort=id', 'sort']] as const) {
        const bad = await operator.get(`/api/ess/subscriptions/${ALL}/deliveries?${query}`);
        assert.equal(bad.status, 400, query);
        assert.equal(bad.body.error.field, field, query);
      }
      assert.equal((await operator.get('/api/ess/subscriptions/no-such-subscription/deliveries')).status, 404);
      // The company admin sees the same deliveries (all of them are its company's).
      assert.equal((await admin.get(`/api/ess/subscriptions/${ALL}/deliveries`)).body.items.length, 3);
    });

    test('a delivery shows every attempt and the exact event JSON that was sent and signed', async () => {
      const [newest] = (await operator.get(`/api/ess/subscriptions/${ALL}/deliveries`)).body.items;
      const detail = await operator.get(`/api/ess/deliveries/${newest.id}`);
      assert.equal(detail.status, 200);
      assert.deepEqual(detail.body.delivery, newest);
      assert.deepEqual(detail.body.subscription, { id: ALL, applicationId: appId, topic: TOPIC, endpoint: `${receiver.url}/hook` });
      assert.equal(detail.body.attempts.length, 1);
      const [attempt] = detail.body.attempts;
      assert.equal(attempt.statusCode, 400);
      assert.equal(attempt.error, null);
      assert.equal(attempt.responseExcerpt, 'rejected by the test receiver');
      assert.ok(Number.isInteger(attempt.durationMs) && attempt.durationMs >= 0);
      assert.ok(Date.parse(attempt.attemptedAt) >= startedAt);

      const sent = received.find((r) => r.eventId === newest.eventId && r.path === '/hook')!;
      assert.ok(sent, 'the receiver got the event');
      assert.equal(detail.body.event.json, sent.body, 'the exact bytes sent');
      assert.equal(detail.body.event.signature, sent.signature);
      assert.equal(detail.body.event.id, newest.eventId);
      assert.equal(detail.body.event.eventType, newest.eventType);
      assert.equal(typeof detail.body.event.signatureKid, 'string');

      const bad = await operator.get('/api/ess/deliveries/abc');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'deliveryId');
      assert.equal((await operator.get('/api/ess/deliveries/987654321')).status, 404);
    });

    test('replaying one event re-delivers its exact bytes to the HTTPS receiver, as a new delivery published now', async () => {
      answer = 200;
      const approved = events[1]!;
      const seen = received.length;
      const replayStarted = Date.now();
      const replay = await operator.post(`/api/ess/subscriptions/${ALL}/replay`, { eventId: approved.id });
      assert.equal(replay.status, 200, JSON.stringify(replay.body));
      assert.deepEqual(replay.body, { replayed: 1 });

      const again = await waitFor('the replayed event', async () => received.slice(seen).find((r) => r.eventId === approved.id));
      const first = received.find((r) => r.eventId === approved.id && r.path === '/hook')!;
      assert.equal(again.path, '/hook');
      assert.equal(again.body, first.body, 'the same bytes');
      const keys = (await (await fetch(`${server.url}/api/ess/signing-keys`)).json()) as { keys: Array<{ kid: string; publicKeyPem: string }> };
      assert.ok(keys.keys.some((key) => verifies(again.body, again.signature, key.publicKeyPem)), 'the signature verifies with a published key');

      await settled(ALL, 4);
      const [newest] = (await operator.get(`/api/ess/subscriptions/${ALL}/deliveries`)).body.items;
      assert.equal(newest.eventId, approved.id);
      assert.equal(newest.status, 'DELIVERED');
      assert.equal(newest.replay, true);
      assert.equal(newest.attempts, 1);
      assert.ok(Date.parse(newest.publishedAt) >= replayStarted, 'published anew: the 72-hour clock restarts');
      assert.equal(Date.parse(newest.expiresAt) - Date.parse(newest.publishedAt), 72 * 3_600_000);
      const row = await server.patchbay.store.db.selectFrom('deliveries').select(['ordering_key']).where('id', '=', newest.id).executeTakeFirstOrThrow();
      assert.equal(row.ordering_key, approved.requestUuid, 'ordered with the rest of its request');
      assert.deepEqual((await operator.get(`/api/ess/subscriptions/${ALL}`)).body.counts, { PENDING: 0, DELIVERED: 1, FAILED: 3, EXPIRED: 0 });

      // Events the subscription would not receive today are refused, naming the field.
      const foreign = await operator.post(`/api/ess/subscriptions/${ALL}/replay`, { eventId: otherCompanyEventId });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.error.field, 'eventId');
      assert.match(foreign.body.error.message, /companyIds/);
      const filtered = await operator.post(`/api/ess/subscriptions/${APPROVED_ONLY}/replay`, { eventId: events[0]!.id });
      assert.equal(filtered.status, 400);
      assert.equal(filtered.body.error.field, 'eventId');
      assert.equal((await operator.post(`/api/ess/subscriptions/${ALL}/replay`, { eventId: randomUUID() })).status, 404);
      assert.equal((await operator.post('/api/ess/subscriptions/no-such-subscription/replay', { eventId: approved.id })).status, 404);
      await settled(ALL, 4);
    });

    test('replaying a time range sends the events the subscription would receive, in order per request', async () => {
      const from = new Date(startedAt - 60_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      // The filter keeps one of the company's three events; the other company's APPROVED event is not its to receive.
      const seen = received.length;
      const narrow = await operator.post(`/api/ess/subscriptions/${APPROVED_ONLY}/replay`, { from, to });
      assert.deepEqual(narrow.body, { replayed: 1 });
      await settled(APPROVED_ONLY, 2);
      const wide = await operator.post(`/api/ess/subscriptions/${ALL}/replay`, { from, to });
      assert.deepEqual(wide.body, { replayed: 3 });
      await settled(ALL, 7);
      const replayed = received.slice(seen);
      assert.deepEqual(replayed.filter((r) => r.path === '/approved').map((r) => r.eventId), [events[1]!.id]);
      const toAll = replayed.filter((r) => r.path === '/hook').map((r) => r.eventId);
      assert.deepEqual([...toAll].sort(), events.map((e) => e.id).sort());
      assert.ok(toAll.indexOf(events[0]!.id) < toAll.indexOf(events[1]!.id), 'request A\'s PENDING before its APPROVED');
      assert.ok(!replayed.some((r) => r.eventId === otherCompanyEventId));

      // An empty range replays nothing.
      assert.deepEqual((await operator.post(`/api/ess/subscriptions/${ALL}/replay`, { from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z' })).body, { replayed: 0 });

      const cases: Array<[unknown, string]> = [
        [{}, 'eventId'],
        [{ eventId: events[0]!.id, from, to }, 'eventId'],
        [{ from }, 'to'],
        [{ to }, 'from'],
        [{ from: 'yesterday', to }, 'from'],
        [{ from, to: '2025-13-45' }, 'to'],
        [{ from: to, to: from }, 'to'],
        [{ eventId: 42 }, 'eventId'],
        [{ events: [] }, 'events'],
      ];
      for (const [body, field] of cases) {
        const bad = await operator.post(`/api/ess/subscriptions/${ALL}/replay`, body);
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.equal(bad.body.error.field, field, JSON.stringify(body));
      }
      assert.equal((await operator.request('POST', `/api/ess/subscriptions/${ALL}/replay`, '{"eventId":', { 'content-type': 'application/json' })).status, 400);
      await settled(ALL, 7);
    });

    test('rotating the signing key publishes the new key; a replay after the old key is retired is signed again', async () => {
      const firstKid = (await operator.get(`/api/ess/deliveries/${(await operator.get(`/api/ess/subscriptions/${ALL}/deliveries`)).body.items[0].id}`)).body.event.signatureKid as string;
      const publishedKeys = async () => ((await (await fetch(`${server.url}/api/ess/signing-keys`)).json()) as { keys: Array<{ kid: string; publicKeyPem: string; current: boolean }> }).keys;
      const before = await publishedKeys();
      const one = await operator.post('/api/ess/signing-keys/rotate');
      assert.equal(one.status, 200);
      const keys = await publishedKeys();
      // The new key signs from now on; the one it replaces keeps verifying.
      assert.deepEqual(keys.map((key) => [key.kid, key.current]), [[one.body.kid, true], [before[0]!.kid, false]]);
      const two = await operator.post('/api/ess/signing-keys/rotate');
      assert.notEqual(two.body.kid, one.body.kid);
      const now = await publishedKeys();
      assert.deepEqual(now.map((key) => key.kid), [two.body.kid, one.body.kid]);
      assert.ok(!now.some((key) => key.kid === firstKid), 'the key that signed the events is retired after two rotations');

      const approved = events[1]!;
      const seen = received.length;
      assert.deepEqual((await operator.post(`/api/ess/subscriptions/${ALL}/replay`, { eventId: approved.id })).body, { replayed: 1 });
      const again = await waitFor('the re-signed event', async () => received.slice(seen).find((r) => r.eventId === approved.id));
      const first = received.find((r) => r.eventId === approved.id)!;
      assert.equal(again.body, first.body);
      assert.notEqual(again.signature, first.signature);
      assert.ok(verifies(again.body, again.signature, now[0]!.publicKeyPem), 'signed with the current key');
      await settled(ALL, 8);
    });
  });
}
