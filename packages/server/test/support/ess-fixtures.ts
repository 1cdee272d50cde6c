/**
 * Event Subscription Service test support, all over the real HTTP APIs of a running patchbay (in this
 * process or a child): an application with the ESS scopes, subscriptions made with
 * `PUT /events/v4/subscriptions/webhook`, a company connected with a Company Request Token (admin API,
 * then `POST /oauth2/v0/token` with `credtype=authtoken`), Request v4 workflow actions that publish
 * events, and a programmable webhook receiver (plain http on 127.0.0.1) whose answer to each attempt is
 * scripted: a status (with headers such as `Retry-After`), a hang, a reset, a slow body, garbage. The
 * receiver records every request it gets, and whether it acknowledged it. Also reads deliveries, their
 * attempts and the event outbox from the store.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { constants, randomUUID, verify } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { createApplication } from '../../src/identity/applications.ts';
import { savePolicy, saveWorkflow, updateUserWorkflowFields } from '../../src/requests/workflow-admin.ts';
import type { Store } from '../../src/store/store.ts';
import { signIn } from './api-client.ts';
import { requestApi, type RequestApi } from './request-fixtures.ts';
import type { TestServer } from './server.ts';

/** ESS management scope. */
export const EVENTS_TOPIC_READ = 'events.topic.read';
/** The Request topic and the scope it needs. */
export const REQUEST_TOPIC = 'public.concur.request';
export const REQUEST_WRITE = 'travelrequest.write';

/** An OAuth2 application. */
export interface EssApp {
  id: string;
  secret: string;
}

/** A sign-in of a person. */
export interface Login {
  loginId: string;
  password: string;
}

// ---------------------------------------------------------------------------------------------------
// Applications, tokens, subscriptions, company connection

/** Creates an application that may manage ESS subscriptions and receive Request events. */
export async function createEssApp(store: Store, name = `ESS test app ${randomUUID().slice(0, 8)}`): Promise<EssApp> {
  const { application, clientSecret } = await store.transaction((trx) =>
    createApplication(trx, null, { name, grants: ['client_credentials', 'password'], scopes: [EVENTS_TOPIC_READ, REQUEST_WRITE], redirectUris: [] }),
  );
  return { id: application.id, secret: clientSecret };
}

/** Posts a form to the token endpoint. */
export async function tokenEndpoint(baseUrl: string, form: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // keep the text for the assertion message
  }
  return { status: response.status, body };
}

/** An application token (client_credentials). */
export async function appToken(baseUrl: string, app: EssApp): Promise<string> {
  const answer = await tokenEndpoint(baseUrl, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret });
  assert.equal(answer.status, 200, `client_credentials: ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

/** A user token (password grant) of `app` for `user`. */
export async function userToken(baseUrl: string, app: EssApp, user: Login): Promise<string> {
  const answer = await tokenEndpoint(baseUrl, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: user.loginId, password: user.password });
  assert.equal(answer.status, 200, `password grant: ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

/** A subscription as the caller asks for it. */
export interface SubscriptionRequest {
  id: string;
  endpoint: string;
  filter?: string;
  topic?: string;
}

/**
 * Creates (or replaces) a webhook subscription over the real ESS API and returns it as
 * `GET /events/v4/subscriptions/{id}` shows it.
 */
export async function subscribe(baseUrl: string, app: EssApp, subscription: SubscriptionRequest): Promise<any> {
  const token = await appToken(baseUrl, app);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = { id: subscription.id, topic: subscription.topic ?? REQUEST_TOPIC, filter: subscription.filter ?? '.*', webHookConfig: { endpoint: subscription.endpoint } };
  const put = await fetch(`${baseUrl}/events/v4/subscriptions/webhook`, { method: 'PUT', headers, body: JSON.stringify(body) });
  const putText = await put.text();
  assert.equal(put.status, 200, `PUT /events/v4/subscriptions/webhook: ${putText}`);
  const get = await fetch(`${baseUrl}/events/v4/subscriptions/${subscription.id}`, { headers: { authorization: `Bearer ${token}` } });
  const getText = await get.text();
  assert.equal(get.status, 200, `GET /events/v4/subscriptions/${subscription.id}: ${getText}`);
  return (JSON.parse(getText) as any[])[0];
}

/**
 * Connects `companyId` to `app` as Concur partners do: the company's Web Services Administrator makes a
 * Company Request Token with the admin API, and the app exchanges it for a company token. Returns the
 * company access token. The app's existing subscriptions gain the company id.
 */
export async function connectCompany(baseUrl: string, admin: Login, companyId: string, app: EssApp): Promise<string> {
  const session = await signIn(baseUrl, { loginId: admin.loginId, password: admin.password });
  const made = await session.post(`/api/companies/${companyId}/request-tokens`, { appId: app.id });
  assert.equal(made.status, 201, `POST /api/companies/${companyId}/request-tokens: ${JSON.stringify(made.body)}`);
  const answer = await tokenEndpoint(baseUrl, { grant_type: 'password', credtype: 'authtoken', client_id: app.id, client_secret: app.secret, username: companyId, password: made.body.requestToken as string });
  assert.equal(answer.status, 200, `credtype=authtoken: ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

// ---------------------------------------------------------------------------------------------------
// Publishing events through Request v4 workflow actions

/** A Request v4 client of a traveler (whose manager approves), able to publish events. */
export interface Traveler {
  api: RequestApi;
  /** Creates a request; returns its id. */
  newRequest(name?: string): Promise<string>;
  /**
   * Performs `count` workflow actions on the request, alternating submit and recall (each publishes one
   * `statusChange` event), starting with submit. Returns how many succeeded (all, unless `tolerant`
   * and the server went away).
   */
  act(requestId: string, count: number, options?: { tolerant?: boolean; stop?: () => boolean }): Promise<number>;
}

/** A traveler over `baseUrl` using a user token of `app`. */
export async function traveler(baseUrl: string, app: EssApp, user: Login): Promise<Traveler> {
  const api = requestApi(baseUrl, await userToken(baseUrl, app, user));
  let counter = 0;
  return {
    api,
    async newRequest(name) {
      const answer = await api.create({ name: name ?? `ESS trip ${++counter}-${randomUUID().slice(0, 6)}`, businessPurpose: 'Delivery test' });
      assert.equal(answer.status, 201, answer.text);
      return answer.body.id as string;
    },
    async act(requestId, count, options = {}) {
      let done = 0;
      for (let i = 0; i < count; i++) {
        if (options.stop?.()) break;
        const action = i % 2 === 0 ? 'submit' : 'recall';
        try {
          const answer = await api.action(requestId, action);
          assert.equal(answer.status, 200, `${action} ${requestId}: ${answer.text}`);
          done++;
        } catch (error) {
          if (options.tolerant) return done;
          throw error;
        }
      }
      return done;
    },
  };
}

/** Runs `work` over `items` with at most `parallel` at once. */
export async function inParallel<T, R>(items: readonly T[], parallel: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(runners);
  return results;
}

// ---------------------------------------------------------------------------------------------------
// The programmable receiver

/** How the receiver answers one request. */
export type Behaviour =
  /** An HTTP answer, optionally after `delayMs` (not sent if the caller gave up meanwhile). */
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  /** Never answers; the socket stays open until the caller gives up (or the receiver closes). */
  | { kind: 'hang' }
  /** Resets the TCP connection without answering. */
  | { kind: 'reset' }
  /** Sends 200 and its headers at once, then a body byte every `intervalMs`, never ending. */
  | { kind: 'drip'; intervalMs: number }
  /** Writes bytes that are not HTTP, then closes the connection. */
  | { kind: 'garbage' };

/** Shorthands for behaviours. */
export const answer = (status: number, headers?: Record<string, string>, body?: string): Behaviour => ({ kind: 'answer', status, ...(headers ? { headers } : {}), ...(body === undefined ? {} : { body }) });
export const slowAnswer = (status: number, delayMs: number): Behaviour => ({ kind: 'answer', status, delayMs });
export const HANG: Behaviour = { kind: 'hang' };
export const RESET: Behaviour = { kind: 'reset' };
export const GARBAGE: Behaviour = { kind: 'garbage' };
export const drip = (intervalMs = 50): Behaviour => ({ kind: 'drip', intervalMs });
export const OK: Behaviour = answer(200, { 'content-type': 'application/json' }, '{"received":true}');

/** One request as the receiver got it. */
export interface Received {
  /** Order of arrival at the receiver, from 0. */
  index: number;
  /** Date.now() when the body was complete. */
  at: number;
  method: string;
  /** The request path (the receiver serves several subscriptions on different paths). */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The exact body bytes, as text. */
  body: string;
  /** The parsed event, or null when the body is not JSON. */
  event: any;
  eventId: string | null;
  eventType: string | null;
  /** The request the event is about (`facts.id`). */
  requestId: string | null;
  /** How many times this event id has reached this path, this one included (1 for the first). */
  attempt: number;
  behaviour: Behaviour['kind'];
  /** The status the receiver answered (null for hang, reset, garbage, or an answer never sent). */
  status: number | null;
  /** A 2xx answer was completely written. */
  acknowledged: boolean;
  /** The connection closed before the receiver finished its answer. */
  abandoned: boolean;
  /** The request is still open. */
  open: boolean;
}

/** Decides the answer to one request. */
export type Script = (request: Received) => Behaviour;

/** A running receiver. */
export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** The URL of a path on the receiver. */
  url(path: string): string;
  /** Replaces the script (the default acknowledges everything). */
  script(script: Script): void;
  /** Every request so far, in order of arrival. */
  readonly received: readonly Received[];
  /** Requests to `path` (all paths when omitted). */
  requests(path?: string): Received[];
  /** Acknowledged requests to `path`, in order of arrival. */
  acknowledged(path?: string): Received[];
  /** The distinct event ids acknowledged at `path`. */
  acknowledgedIds(path?: string): Set<string>;
  /** Requests to `path` open right now. */
  open(path?: string): number;
  /** The most requests to `path` ever open at once. */
  maxOpen(path?: string): number;
  /** A short description of what arrived, for assertion messages. */
  describe(path?: string): string;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, port 0. */
export async function startReceiver(initial: Script = () => OK): Promise<Receiver> {
  let script = initial;
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const openNow = new Map<string, number>();
  const maxOpen = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  const bump = (path: string, delta: number) => {
    const now = (openNow.get(path) ?? 0) + delta;
    openNow.set(path, now);
    if (now > (maxOpen.get(path) ?? 0)) maxOpen.set(path, now);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event: any = null;
      try {
        event = JSON.parse(body);
      } catch {
        // not JSON: recorded as is
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const eventId = typeof event?.id === 'string' ? (event.id as string) : null;
      const key = `${path} ${eventId}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const record: Received = {
        index: received.length,
        at: Date.now(),
        method: req.method ?? '',
        path,
        headers: req.headers,
        body,
        event,
        eventId,
        eventType: typeof event?.eventType === 'string' ? (event.eventType as string) : null,
        requestId: typeof event?.facts?.id === 'string' ? (event.facts.id as string) : null,
        attempt,
        behaviour: 'answer',
        status: null,
        acknowledged: false,
        abandoned: false,
        open: true,
      };
      received.push(record);
      bump(path, 1);
      let behaviour: Behaviour;
      try {
        behaviour = script(record);
      } catch {
        behaviour = answer(599);
      }
      record.behaviour = behaviour.kind;
      let finished = false;
      res.on('finish', () => {
        finished = true;
        if (record.status !== null && record.status >= 200 && record.status < 300) record.acknowledged = true;
      });
      res.on('close', () => {
        if (!finished) record.abandoned = true;
        record.open = false;
        bump(path, -1);
      });
      switch (behaviour.kind) {
        case 'answer': {
          const send = () => {
            if (res.destroyed || req.socket.destroyed) return;
            record.status = behaviour.status;
            res.writeHead(behaviour.status, behaviour.headers ?? {});
            res.end(behaviour.body ?? '');
          };
          if (behaviour.delayMs) {
            const timer = setTimeout(() => {
              timers.delete(timer);
              send();
            }, behaviour.delayMs);
            timers.add(timer);
          } else {
            send();
          }
          break;
        }
        case 'hang':
          break;
        case 'reset':
          req.socket.resetAndDestroy();
          break;
        case 'garbage':
          req.socket.end('THIS IS NOT HTTP \u0000\u0001\u0002 at all\r\n\r\n');
          break;
        case 'drip': {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('.');
          const timer = setInterval(() => {
            if (res.destroyed) {
              clearInterval(timer);
              timers.delete(timer);
              return;
            }
            res.write('.');
          }, behaviour.intervalMs);
          timers.add(timer);
          res.on('close', () => {
            clearInterval(timer);
            timers.delete(timer);
          });
          break;
        }
      }
    });
  });
  // Idle keep-alive connections are never closed under the platform's feet during a test, so every
  // failed attempt is one the script chose.
  server.keepAliveTimeout = 120_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const filtered = (path?: string) => (path === undefined ? [...received] : received.filter((r) => r.path === path));
  let closed = false;
  return {
    base,
    url: (path) => `${base}${path}`,
    script(next) {
      script = next;
    },
    received,
    requests: filtered,
    acknowledged: (path) => filtered(path).filter((r) => r.acknowledged),
    acknowledgedIds: (path) => new Set(filtered(path).filter((r) => r.acknowledged && r.eventId !== null).map((r) => r.eventId!)),
    open: (path) => (path === undefined ? [...openNow.values()].reduce((a, b) => a + b, 0) : (openNow.get(path) ?? 0)),
    maxOpen: (path) => (path === undefined ? Math.max(0, ...maxOpen.values()) : (maxOpen.get(path) ?? 0)),
    describe(path) {
      const rows = filtered(path);
      const acked = rows.filter((r) => r.acknowledged).length;
      const tail = rows.slice(-12).map((r) => `#${r.index} ${r.path} ${r.eventId?.slice(0, 8) ?? '-'} attempt ${r.attempt} ${r.behaviour}${r.status === null ? '' : ` ${r.status}`}${r.abandoned ? ' (abandoned)' : ''}`);
      return `${rows.length} requests, ${acked} acknowledged; last: ${tail.join('; ')}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The store's view

/** An event of the outbox. */
export interface OutboxEvent {
  seq: number;
  id: string;
  requestId: string;
  eventType: string;
  payload: string;
}

/** The outbox events of `companyId`, oldest first. */
export async function outboxEvents(store: Store, companyId: string): Promise<OutboxEvent[]> {
  const rows = await store.db.selectFrom('events').select(['seq', 'id', 'request_id', 'event_type', 'payload']).where('company_id', '=', companyId).orderBy('seq').execute();
  return rows.map((row) => ({ seq: Number(row.seq), id: row.id, requestId: row.request_id, eventType: row.event_type, payload: row.payload }));
}

/** One attempt as `delivery_attempts` records it. */
export interface AttemptRow {
  attemptedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/** A delivery of one event to one subscription, with its attempts. */
export interface DeliveryView {
  id: number;
  eventSeq: number;
  eventId: string;
  requestId: string;
  subscriptionId: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED' | 'EXPIRED';
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  lastStatus: number | null;
  lastError: string | null;
  publishedAt: number;
  expiresAt: number;
  completedAt: number | null;
  attemptRows: AttemptRow[];
}

/** The deliveries of `subscriptionId`, by event order, with their attempts (oldest first). */
export async function deliveries(store: Store, subscriptionId: string): Promise<DeliveryView[]> {
  const rows = await store.db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.seq', 'd.event_seq')
    .select(['d.id', 'd.event_seq', 'e.id as event_id', 'e.request_id', 'd.subscription_id', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.lease_owner', 'd.last_status', 'd.last_error', 'd.published_at', 'd.expires_at', 'd.completed_at'])
    .where('d.subscription_id', '=', subscriptionId)
    .orderBy('d.event_seq')
    .execute();
  const ids = rows.map((row) => Number(row.id));
  const attempts = ids.length === 0 ? [] : await store.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('id').execute();
  const byDelivery = new Map<number, AttemptRow[]>();
  for (const a of attempts) {
    const list = byDelivery.get(Number(a.delivery_id)) ?? [];
    list.push({ attemptedAt: Number(a.attempted_at), durationMs: Number(a.duration_ms), statusCode: a.status_code === null ? null : Number(a.status_code), error: a.error });
    byDelivery.set(Number(a.delivery_id), list);
  }
  return rows.map((row) => ({
    id: Number(row.id),
    eventSeq: Number(row.event_seq),
    eventId: row.event_id,
    requestId: row.request_id,
    subscriptionId: row.subscription_id,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    publishedAt: Number(row.published_at),
    expiresAt: Number(row.expires_at),
    completedAt: row.completed_at === null ? null : Number(row.completed_at),
    attemptRows: byDelivery.get(Number(row.id)) ?? [],
  }));
}

/** How many deliveries of `subscriptionId` are leased (claimed by a worker and not finished) right now. */
export async function leasedCount(store: Store, subscriptionId: string): Promise<number> {
  const row = await store.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('subscription_id', '=', subscriptionId).where('lease_owner', 'is not', null).executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---------------------------------------------------------------------------------------------------
// Waiting and checking

/**
 * Waits until `condition` holds, checking every `everyMs`. The deadline is a guard against a hung
 * test, not a timing assertion: on expiry it fails with `explain()`.
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, explain: () => string | Promise<string>, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`gave up waiting (${options.timeoutMs ?? 60_000} ms guard): ${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 25));
  }
}

/**
 * Checks that `path` of the receiver got the events of each request in outbox order: the acknowledged
 * events of each request, deduplicated by event id, are exactly that request's events in `seq` order
 * (minus `skipped`, events the receiver refused for good), and no attempt of an event arrived before the
 * events published earlier for the same request were settled (acknowledged or refused for good).
 */
export function assertOrderedPerRequest(receiver: Receiver, path: string, events: readonly OutboxEvent[], skipped: ReadonlySet<string> = new Set()): void {
  const byRequest = new Map<string, OutboxEvent[]>();
  for (const event of events) byRequest.set(event.requestId, [...(byRequest.get(event.requestId) ?? []), event]);
  const requests = receiver.requests(path);
  for (const [requestId, expected] of byRequest) {
    const position = new Map(expected.map((event, index) => [event.id, index]));
    const arrivals = requests.filter((r) => r.requestId === requestId);
    const firstAcks: string[] = [];
    const settled = new Set<string>();
    for (const arrival of arrivals) {
      const index = position.get(arrival.eventId ?? '');
      assert.ok(index !== undefined, `request ${requestId}: the receiver got event ${arrival.eventId}, which the outbox does not hold for this request`);
      for (const earlier of expected.slice(0, index)) {
        assert.ok(settled.has(earlier.id), `request ${requestId}: event #${index} (${arrival.eventId}) arrived (attempt ${arrival.attempt}) before event ${earlier.id} published earlier was settled`);
      }
      if (arrival.acknowledged || (arrival.status !== null && skipped.has(arrival.eventId!))) {
        if (arrival.acknowledged && !firstAcks.includes(arrival.eventId!)) firstAcks.push(arrival.eventId!);
        settled.add(arrival.eventId!);
      }
    }
    assert.deepEqual(firstAcks, expected.map((event) => event.id).filter((id) => !skipped.has(id)), `request ${requestId}: acknowledged events in outbox order`);
  }
}

// ---------------------------------------------------------------------------------------------------
// A small Request world on a test server

/**
 * A traveler and their manager in the test server's main company, on a default Request policy whose
 * one step is the manager's approval: enough for workflow actions to publish events. (Lighter than
 * `createRequestFixture`, which seeds fifteen people: the delivery clock starts with the server.)
 */
export async function travelerAndManager(server: TestServer, companyId: string = server.companyId): Promise<{ traveler: Login; manager: Login }> {
  const { store } = server.patchbay;
  const travelerLogin = await server.addUser(companyId, ['EMPLOYEE']);
  const managerLogin = await server.addUser(companyId, ['EMPLOYEE']);
  const idOf = async (login: Login) => (await store.db.selectFrom('users').select('id').where('login_id', '=', login.loginId.toLowerCase()).executeTakeFirstOrThrow()).id;
  const travelerId = await idOf(travelerLogin);
  const managerId = await idOf(managerLogin);
  await store.transaction(async (trx) => {
    await updateUserWorkflowFields(trx, null, companyId, travelerId, { managerId });
    const workflow = await saveWorkflow(trx, null, companyId, { name: `ESS workflow ${randomUUID().slice(0, 6)}`, approvedStepCode: 'REQAPPR', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' }] });
    await savePolicy(trx, null, companyId, { name: `ESS policy ${randomUUID().slice(0, 6)}`, workflowId: workflow.id, isDefault: true });
  });
  return { traveler: travelerLogin, manager: managerLogin };
}

// ---------------------------------------------------------------------------------------------------
// Signatures

/** The public keys patchbay publishes for `Concur-Signature` (`GET /api/ess/signing-keys`). */
export async function publishedKeys(baseUrl: string): Promise<Array<{ kid: string; publicKeyPem: string }>> {
  const response = await fetch(`${baseUrl}/api/ess/signing-keys`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { keys: Array<{ kid: string; publicKeyPem: string }> }).keys;
}

/** Whether `signature` (base64 RSASSA-PSS, SHA-256, MGF1-SHA-256) over `body` verifies with one of `keys`. */
export function signatureVerifies(body: string, signature: string, keys: ReadonlyArray<{ publicKeyPem: string }>): boolean {
  const bytes = Buffer.from(body, 'utf8');
  const sig = Buffer.from(signature, 'base64');
  return keys.some((key) => verify('sha256', bytes, { key: key.publicKeyPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig));
}
