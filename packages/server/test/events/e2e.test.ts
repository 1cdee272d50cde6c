/**
 * ESS end to end, on SQLite and PostgreSQL: real subscribers (the example receiver's handler and the
 * subscriber SDK's handler) on HTTPS servers with a development CA, subscribed through the real ESS API
 * with an app token; the company connects afterwards with a Company Request Token; a scripted Request v4
 * workflow (create, submit, approve to final, send back and resubmit, recall, cancel, close, reopen)
 * runs. Each subscriber gets exactly the outbox's events it should, once, in order per request, byte for
 * byte, each with a signature that verifies; a filter narrows a subscription; a company that is not
 * connected, and a subscription created after the company connected, get nothing; deleting a
 * subscription stops its deliveries, pending retries included, and its pending events never reach a new
 * subscription that reuses its id. Plus the example receiver run as the documented command.
 *
 * Deliveries are awaited by polling with bounded loops; nothing asserts a timing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, verify } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createWebhookHandler, verifySignature, type RejectionInfo, type RequestStatusChangedEvent } from '@patchbay/subscriber-sdk';
import { createReceiver } from '@patchbay/example-subscriber';
import { freePort, startTestServer, type TestServer } from '../support/server.ts';
import { STORE_KINDS, storeSuites } from '../support/stores.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { createDevCa, startHttpsServer, type RunningServer, type TlsMaterial } from '../support/tls-fixture.ts';
import { createRequestFixture, type RequestApi, type RequestFixture, type StoredEvent } from '../support/request-fixtures.ts';

const ESS_SCOPES = ['events.topic.read', 'travelrequest.write'];
const RECEIVER = fileURLToPath(new URL('../../../../examples/subscriber/receiver.ts', import.meta.url));

/** One delivery an SDK-based subscriber accepted. */
interface Accepted {
  event: RequestStatusChangedEvent;
  body: Buffer;
  headers: IncomingHttpHeaders;
}

/** A subscriber on an HTTPS server. */
interface Subscriber {
  url: string;
  /** Verified, new events, in the order they were processed. */
  accepted: Accepted[];
  /** Deliveries the handler refused (bad signature, malformed): none are expected. */
  rejected: RejectionInfo[];
  /** Every POST that reached the server (including duplicates and refused ones). */
  posts: number;
  server: RunningServer;
}

/** An ESS subscriber application: its credentials and an app token. */
interface EssApp {
  id: string;
  secret: string;
  token: string;
}

/** Polls `check` until it holds, at most `attempts` times `intervalMs` apart; fails naming `what`. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, attempts = 600, intervalMs = 50): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  assert.fail(`gave up waiting for ${what}`);
}

async function postToken(url: string, form: Record<string, string>): Promise<any> {
  const response = await fetch(`${url}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

/** Registers an application with the ESS scopes (operator API) and gets its app token (client_credentials). */
async function createEssApp(server: TestServer, operator: ApiClient, name: string): Promise<EssApp> {
  const created = await operator.post('/api/applications', { name, grants: ['client_credentials', 'password'], scopes: ESS_SCOPES, redirectUris: [] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const app = { id: created.body.application.id as string, secret: created.body.clientSecret as string };
  const { access_token: token } = await postToken(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret });
  return { ...app, token };
}

/** Calls the ESS management API with the app's token. */
async function ess(server: TestServer, app: EssApp, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/events/v4${path}`, {
    method,
    headers: { authorization: `Bearer ${app.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** PUTs a webhook subscription and checks ESS's answer. */
async function subscribe(server: TestServer, app: EssApp, id: string, endpoint: string, filter = '.*'): Promise<void> {
  const answer = await ess(server, app, 'PUT', '/subscriptions/webhook', { id, topic: 'public.concur.request', filter, webHookConfig: { endpoint } });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(answer.body, { message: `Subscription '${id}' saved successfully` });
}

/** The company's administrator issues a Company Request Token, and the app exchanges it: the company connects. */
async function connectCompany(server: TestServer, app: EssApp): Promise<void> {
  const admin = await signIn(server.url, server.admin);
  const issued = await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: app.id });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const company = await postToken(server.url, { grant_type: 'password', credtype: 'authtoken', client_id: app.id, client_secret: app.secret, username: server.companyId, password: issued.body.requestToken });
  assert.ok(company.access_token);
}

/** An HTTPS subscriber whose POSTs go to `handler`, counting them. */
async function startSubscriber(tls: TlsMaterial, handler: (req: IncomingMessage, res: ServerResponse) => void, accepted: Accepted[] = [], rejected: RejectionInfo[] = []): Promise<Subscriber> {
  const subscriber = { accepted, rejected, posts: 0 } as Subscriber;
  subscriber.server = await startHttpsServer(tls, (req, res) => {
    subscriber.posts += 1;
    handler(req, res);
  });
  subscriber.url = `${subscriber.server.url}/ess/hook`;
  return subscriber;
}

/** A subscriber that always answers 503 with `Retry-After` (ESS retries it after that many seconds). */
async function startUnavailableSubscriber(tls: TlsMaterial, retryAfterSeconds: number): Promise<Subscriber> {
  return startSubscriber(tls, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(503, { 'retry-after': String(retryAfterSeconds) }).end('down for maintenance'));
  });
}

for (const { kind, skip } of await storeSuites()) {
  describe(`ESS end to end [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let fx: RequestFixture;
    let otherCompany: RequestFixture;
    let appA: EssApp;
    let appB: EssApp;
    let tls: TlsMaterial;
    /** The example receiver: every event. */
    let all: Subscriber;
    const printed: string[] = [];
    /** The SDK's handler: filter statusChange\.APPROVED. */
    let approvals: Subscriber;
    /** Subscribed after the company connected. */
    let late: Subscriber;
    /** Always 503: CANCELED events stay pending until the subscription is deleted. */
    let unavailable: Subscriber;
    /** Always 503: SENTBACK events stay pending; then the subscription is deleted and its id taken by app B. */
    let hijacked: Subscriber;
    /** App B's subscriber, on the reused id. */
    let thief: Subscriber;
    let publishedKeys: string[];
    let seqBeforeConnect: number;
    let seqAtConnect: number;
    const requests: Record<'r0' | 'r1' | 'r2' | 'r3', string> = { r0: '', r1: '', r2: '', r3: '' };
    const db = () => server.patchbay.store.db;

    /** The outbox rows of the main company published after the company connected, oldest first. */
    const connectedEvents = async (): Promise<StoredEvent[]> => (await fx.eventsAfter(seqAtConnect)).filter((event) => event.companyId === fx.companyId);
    /** The deliveries of one subscription. */
    const deliveriesOf = async (subscriptionId: string) =>
      (await db().selectFrom('deliveries').selectAll().where('subscription_id', '=', subscriptionId).orderBy('id').execute()).map((row) => ({ ...row, id: Number(row.id), event_seq: Number(row.event_seq), attempts: Number(row.attempts) }));

    /** An SDK subscriber verifying with the keys patchbay publishes. */
    const sdkSubscriber = async (): Promise<Subscriber> => {
      const accepted: Accepted[] = [];
      const rejected: RejectionInfo[] = [];
      const handler = createWebhookHandler({
        publicKeys: publishedKeys,
        onEvent: (event, context) => void accepted.push({ event, body: context.body, headers: context.headers }),
        onRejected: (info) => rejected.push(info),
      });
      return startSubscriber(tls, handler, accepted, rejected);
    };

    async function act(api: RequestApi, requestId: string, action: string, body?: unknown): Promise<void> {
      const answer = await api.action(requestId, action, body === undefined ? {} : { body });
      assert.equal(answer.status, 200, `${action}: ${answer.text}`);
    }

    before(async () => {
      const ca = await createDevCa();
      tls = ca.issue(['localhost', '127.0.0.1']);
      server = await startTestServer({ database: await kind.create(), extraCa: ca.caCert });
      fx = await createRequestFixture(server);
      const { companyId: otherCompanyId } = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
      otherCompany = await createRequestFixture(server, { companyId: otherCompanyId });
      publishedKeys = ((await (await fetch(`${server.url}/api/ess/signing-keys`)).json()) as { keys: Array<{ publicKeyPem: string }> }).keys.map((key) => key.publicKeyPem);
      assert.ok(publishedKeys.length > 0);

      // The example receiver (its handler, on HTTPS): fetches the keys from patchbay itself.
      const accepted: Accepted[] = [];
      const rejected: RejectionInfo[] = [];
      const receiver = await createReceiver({
        keyUrl: `${server.url}/api/ess/signing-keys`,
        print: (line) => void printed.push(line),
        onEvent: (event, context) => void accepted.push({ event, body: context.body, headers: context.headers }),
      });
      all = await startSubscriber(tls, receiver.handler, accepted, rejected);
      approvals = await sdkSubscriber();
      late = await sdkSubscriber();
      unavailable = await startUnavailableSubscriber(tls, 1);
      hijacked = await startUnavailableSubscriber(tls, 2);
      thief = await sdkSubscriber();

      const operator = await signIn(server.url, server.operator);
      appA = await createEssApp(server, operator, 'E2E subscriber A');
      appB = await createEssApp(server, operator, 'E2E subscriber B');
      assert.deepEqual((await ess(server, appA, 'GET', '/topics')).body, ['public.concur.request']);
      await subscribe(server, appA, 'e2e.all', all.url);
      await subscribe(server, appA, 'e2e.approvals', approvals.url, 'statusChange\\.APPROVED');
      await subscribe(server, appA, 'e2e.unavailable', unavailable.url, 'statusChange\\.CANCELED');
      await subscribe(server, appA, 'e2e.hijack', hijacked.url, 'statusChange\\.SENTBACK');

      const owner = await fx.userApi(fx.people.traveler);
      // Before the company connects: the subscriptions exist, but the event is not for them.
      requests.r0 = (await fx.newRequest(fx.people.traveler)).id;
      seqBeforeConnect = await fx.lastSeq();
      await act(owner, requests.r0, 'submit');
      for (const subscription of (await ess(server, appA, 'GET', '/subscriptions')).body) assert.deepEqual(subscription.companyIds, [], subscription.id);

      await connectCompany(server, appA);
      seqAtConnect = await fx.lastSeq();
      // Subscribed after the company connected: companies are not added retroactively.
      await subscribe(server, appA, 'e2e.late', late.url);

      // The scripted workflow, interleaving three requests (and one from before the connection).
      const manager = await fx.userApi(fx.people.manager);
      requests.r1 = (await fx.newRequest(fx.people.traveler)).id;
      requests.r2 = (await fx.newRequest(fx.people.traveler)).id;
      requests.r3 = (await fx.newRequest(fx.people.traveler)).id;
      const otherOwner = await otherCompany.userApi(otherCompany.people.traveler);
      const otherRequest = (await otherCompany.newRequest(otherCompany.people.traveler)).id;

      await act(manager, requests.r0, 'approve');
      await act(owner, requests.r1, 'submit');
      await act(owner, requests.r2, 'submit');
      await act(otherOwner, otherRequest, 'submit');
      await act(owner, requests.r3, 'submit');
      await act(manager, requests.r1, 'approve');
      await act(manager, requests.r2, 'sendback', { comment: 'Please add the hotel' });
      await act(owner, requests.r3, 'cancel');
      await act(await otherCompany.userApi(otherCompany.people.manager), otherRequest, 'approve');
      await act(owner, requests.r2, 'submit');
      await act(owner, requests.r1, 'close');
      await act(owner, requests.r2, 'recall');
      await act(owner, requests.r1, 'reopen');
      await act(owner, requests.r2, 'submit');
      await act(owner, requests.r3, 'close');
      await act(manager, requests.r2, 'approve');
    });

    after(async () => {
      for (const subscriber of [all, approvals, late, unavailable, hijacked, thief]) await subscriber?.server.close();
      await server?.close();
    });

    test('the outbox holds the scripted workflow: the seed\'s statusChange events per request, in order', async () => {
      const byRequest = (events: StoredEvent[], id: string) => events.filter((event) => event.requestId === id).map((event) => `${event.eventType}${event.payload.facts.isClosed === 'true' ? ' closed' : ''}${event.payload.facts.isRecall === 'true' ? ' recall' : ''}`);
      const events = await connectedEvents();
      assert.deepEqual(byRequest(events, requests.r0), ['statusChange.APPROVED']);
      assert.deepEqual(byRequest(events, requests.r1), ['statusChange.PENDING.RequestManager', 'statusChange.APPROVED', 'statusChange.APPROVED closed', 'statusChange.APPROVED']);
      assert.deepEqual(byRequest(events, requests.r2), [
        'statusChange.PENDING.RequestManager',
        'statusChange.SENTBACK',
        'statusChange.PENDING.RequestManager',
        'statusChange.SENTBACK recall',
        'statusChange.PENDING.RequestManager',
        'statusChange.APPROVED',
      ]);
      assert.deepEqual(byRequest(events, requests.r3), ['statusChange.PENDING.RequestManager', 'statusChange.CANCELED', 'statusChange.CANCELED closed']);
      assert.equal(events.length, 14);
    });

    test('the example receiver gets every event published after the company connected: exactly once, in order per request, byte for byte, each signature verifying', async () => {
      const expected = await connectedEvents();
      await waitFor(`${expected.length} events at the example receiver`, async () => all.accepted.length >= expected.length && (await deliveriesOf('e2e.all')).every((d) => d.status === 'DELIVERED'));
      const deliveries = await deliveriesOf('e2e.all');
      assert.deepEqual(
        deliveries.map((d) => d.event_seq).sort((a, b) => a - b),
        expected.map((e) => e.seq),
        'one delivery per event of the connected company, none for the event published before it connected',
      );
      assert.deepEqual(all.rejected, []);
      assert.equal(all.posts, expected.length, 'no event was sent twice');
      assert.deepEqual(all.accepted.map((a) => a.event.id).sort(), expected.map((e) => e.id).sort(), 'exactly the outbox events');

      const stored = new Map((await db().selectFrom('events').select(['id', 'signature']).execute()).map((row) => [row.id, row.signature]));
      for (const { event, body, headers } of all.accepted) {
        const outbox = expected.find((e) => e.id === event.id)!;
        assert.ok(body.equals(Buffer.from(outbox.payloadText, 'utf8')), `the body of ${event.eventType} is the stored payload, byte for byte`);
        const signature = String(headers['concur-signature']);
        assert.ok(publishedKeys.some((key) => verifySignature(body, signature, key)), 'the SDK verifies it with a published key');
        assert.ok(publishedKeys.some((key) => verify('sha256', body, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 222 }, Buffer.from(signature, 'base64'))), 'the salt is the maximum length');
        assert.equal(signature, stored.get(event.id), 'the signature sent is the one stored with the event');
        assert.equal(headers['concur-correlationid'], event.correlationId);
        assert.equal(event.facts.companyId, fx.companyId);
      }
      for (const id of Object.values(requests)) {
        assert.deepEqual(
          all.accepted.filter((a) => a.event.facts.id === id).map((a) => a.event.id),
          expected.filter((e) => e.requestId === id).map((e) => e.id),
          `request ${id}: delivered in the order published`,
        );
      }
      // The example prints one line per event.
      for (const event of expected) assert.ok(printed.some((line) => line.includes(`event ${event.id}`) && line.includes(event.eventType)), `printed ${event.id}`);
    });

    test('the parsed events normalize the facts: flags, recall, closed, outcome', () => {
      const find = (requestId: string, predicate: (event: RequestStatusChangedEvent) => boolean) => all.accepted.map((a) => a.event).filter((event) => event.facts.id === requestId && predicate(event));
      const [recall] = find(requests.r2, (event) => event.flags.isRecall);
      assert.equal(recall?.outcome, 'SENTBACK');
      assert.equal(recall?.facts.stepCode, 'SENDBACK');
      assert.equal(find(requests.r2, (event) => event.outcome === 'SENTBACK').length, 2);
      assert.equal(find(requests.r1, (event) => event.flags.isClosed).length, 1);
      const pending = find(requests.r1, (event) => event.outcome === 'PENDING');
      assert.equal(pending[0]?.pendingRole, 'RequestManager');
      assert.equal(pending[0]?.facts.recipientId, fx.people.manager.id);
      for (const { event } of all.accepted) {
        assert.equal(event.topic, 'public.concur.request');
        assert.equal(event.flags.isTest, false);
        assert.deepEqual(event.scopes, ['travelrequest.write']);
      }
    });

    test('a filter (statusChange\\.APPROVED) limits what a subscription gets; each event is signed once for every subscription', async () => {
      const expected = (await connectedEvents()).filter((event) => event.eventType === 'statusChange.APPROVED');
      assert.equal(expected.length, 5);
      await waitFor('the approvals at the filtered subscriber', async () => approvals.accepted.length >= expected.length && (await deliveriesOf('e2e.approvals')).every((d) => d.status === 'DELIVERED'));
      assert.deepEqual((await deliveriesOf('e2e.approvals')).map((d) => d.event_seq).sort((a, b) => a - b), expected.map((e) => e.seq));
      assert.deepEqual(approvals.rejected, []);
      assert.equal(approvals.posts, expected.length);
      assert.deepEqual(approvals.accepted.map((a) => a.event.id).sort(), expected.map((e) => e.id).sort());
      for (const { event, headers } of approvals.accepted) {
        const same = all.accepted.find((a) => a.event.id === event.id)!;
        assert.equal(headers['concur-signature'], same.headers['concur-signature'], 'the same signature reaches both subscriptions');
      }
    });

    test('a subscription created after the company connected gets nothing: companies are not added retroactively', async () => {
      const [subscription] = (await ess(server, appA, 'GET', '/subscriptions/e2e.late')).body;
      assert.deepEqual(subscription.companyIds, []);
      assert.deepEqual((await ess(server, appA, 'GET', '/subscriptions/e2e.all')).body[0].companyIds, [fx.companyId]);
      assert.deepEqual(await deliveriesOf('e2e.late'), []);
      assert.equal(late.posts, 0);
    });

    test('a company that is not connected gets nothing, nor does an event published before the connection', async () => {
      const otherEvents = (await fx.eventsAfter(seqBeforeConnect)).filter((event) => event.companyId !== fx.companyId);
      assert.equal(otherEvents.length, 2, 'the other company published its submit and approve');
      const before = (await fx.eventsAfter(seqBeforeConnect)).filter((event) => event.seq <= seqAtConnect);
      assert.equal(before.length, 1);
      const unexpected = [...otherEvents, ...before];
      const rows = await db().selectFrom('deliveries').select('event_seq').execute();
      assert.deepEqual(rows.filter((row) => unexpected.some((event) => event.seq === Number(row.event_seq))), [], 'no delivery was queued for them');
      for (const subscriber of [all, approvals, late, thief]) {
        assert.deepEqual(subscriber.accepted.filter((a) => a.event.facts.companyId !== fx.companyId || unexpected.some((event) => event.id === a.event.id)), []);
      }
    });

    test('deleting a subscription stops delivery: new events are not queued for it', async () => {
      const deleted = await ess(server, appA, 'DELETE', '/subscriptions/e2e.approvals');
      assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      assert.deepEqual(deleted.body, { message: "Subscription 'e2e.approvals' marked for deletion" });
      assert.equal((await ess(server, appA, 'GET', '/subscriptions/e2e.approvals')).status, 404);
      const seqAtDelete = await fx.lastSeq();
      const received = approvals.posts;

      const request = (await fx.newRequest(fx.people.traveler)).id;
      await act(await fx.userApi(fx.people.traveler), request, 'submit');
      await act(await fx.userApi(fx.people.manager), request, 'approve');
      const fresh = (await fx.eventsAfter(seqAtDelete)).filter((event) => event.requestId === request);
      assert.deepEqual(fresh.map((event) => event.eventType), ['statusChange.PENDING.RequestManager', 'statusChange.APPROVED']);
      // The other subscriptions still get them; the deleted one has nothing queued.
      await waitFor('the new events at the example receiver', () => fresh.every((event) => all.accepted.some((a) => a.event.id === event.id)));
      assert.deepEqual((await deliveriesOf('e2e.approvals')).filter((d) => d.event_seq > seqAtDelete), []);
      assert.equal(approvals.posts, received);
    });

    test('deleting a subscription ends its pending retries: they fail as deleted, and nothing more is sent', async () => {
      // The CANCELED events have been answered 503 (Retry-After: 1) and are pending retries.
      await waitFor('a refused attempt at the unavailable subscriber', () => unavailable.posts > 0);
      const pending = await deliveriesOf('e2e.unavailable');
      assert.equal(pending.length, 2, 'the cancel and the close of the canceled request');
      assert.ok(pending.every((d) => d.status === 'PENDING'));

      const deleted = await ess(server, appA, 'DELETE', '/subscriptions/e2e.unavailable');
      assert.equal(deleted.status, 200);
      await waitFor('the pending deliveries to end', async () => (await deliveriesOf('e2e.unavailable')).every((d) => d.status !== 'PENDING'));
      const ended = await deliveriesOf('e2e.unavailable');
      for (const delivery of ended) {
        assert.equal(delivery.status, 'FAILED');
        assert.equal(delivery.last_error, 'The subscription was deleted.');
      }
      // Every POST the subscriber got was a recorded attempt of the head-of-line delivery.
      const attempts = await db().selectFrom('delivery_attempts').select(['delivery_id', 'status_code']).where('delivery_id', 'in', ended.map((d) => d.id)).execute();
      assert.equal(attempts.length, unavailable.posts);
      assert.ok(attempts.every((attempt) => Number(attempt.status_code) === 503));
    });

    test("a deleted subscription's pending events never reach another application's subscription that reuses its id", async () => {
      // The SENTBACK events have been answered 503 (Retry-After: 2) and are pending retries.
      await waitFor('a refused attempt at the subscriber about to be deleted', () => hijacked.posts > 0);
      const pending = await deliveriesOf('e2e.hijack');
      assert.equal(pending.length, 2, 'the send-back and the recall');
      assert.equal((await ess(server, appA, 'DELETE', '/subscriptions/e2e.hijack')).status, 200);
      // Ids are unique across ESS only while in use: another application may take this one now.
      await subscribe(server, appB, 'e2e.hijack', thief.url);
      assert.deepEqual((await ess(server, appB, 'GET', '/subscriptions/e2e.hijack')).body[0].companyIds, []);

      await waitFor('the deleted subscription\'s deliveries to end', async () => (await deliveriesOf('e2e.hijack')).filter((d) => pending.some((p) => p.id === d.id)).every((d) => d.status !== 'PENDING'));
      assert.deepEqual(
        thief.accepted.map((a) => `${a.event.eventType} of company ${a.event.facts.companyId}`),
        [],
        "application B received application A's events for a company that never connected to B",
      );
      for (const delivery of (await deliveriesOf('e2e.hijack')).filter((d) => pending.some((p) => p.id === d.id))) assert.equal(delivery.status, 'FAILED');
    });
  });
}

describe('the example receiver, run as its README says', () => {
  const children = new Set<ChildProcess>();
  after(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  test('node examples/subscriber/receiver.ts --port P --key-url <patchbay>/api/ess/signing-key.pem prints each delivered event', async () => {
    // The demo's settings: http:// webhooks on loopback are accepted for local development.
    const server = await startTestServer({ database: await STORE_KINDS[0]!.create(), env: { PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true' } });
    try {
      const fx = await createRequestFixture(server);
      const port = await freePort();
      const child = spawn(process.execPath, [RECEIVER, '--port', String(port), '--key-url', `${server.url}/api/ess/signing-key.pem`], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      await waitFor(`the receiver to listen (output so far: ${output})`, () => output.includes('Receiving ESS events') || child.exitCode !== null);
      assert.equal(child.exitCode, null, output);

      const app = await createEssApp(server, await signIn(server.url, server.operator), 'Example receiver');
      await subscribe(server, app, 'example.receiver.v1', `http://127.0.0.1:${port}/webhook`);
      await connectCompany(server, app);
      const request = (await fx.newRequest(fx.people.traveler)).id;
      const submitted = await (await fx.userApi(fx.people.traveler)).action(request, 'submit');
      assert.equal(submitted.status, 200, submitted.text);
      const [event] = await fx.events(request);
      await waitFor('the receiver to print the event', () => output.includes(`event ${event!.id}`));
      const line = output.split('\n').find((l) => l.includes(`event ${event!.id}`))!;
      assert.match(line, /statusChange\.PENDING\.RequestManager \| request \w+ \(\w+\) \| status PendingRequestManagerApproval/);
      await waitFor('the delivery to be acknowledged', async () => (await server.patchbay.store.db.selectFrom('deliveries').select('status').where('subscription_id', '=', 'example.receiver.v1').execute()).every((d) => d.status === 'DELIVERED'));
      assert.doesNotMatch(output, /refused/);
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      assert.equal(child.exitCode, 0, output);
    } finally {
      await server.close();
    }
  });
});
