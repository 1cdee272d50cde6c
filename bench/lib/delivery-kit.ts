/**
 * What the ESS delivery benchmarks share (`bench/delivery.ts` on SQLite, `bench/postgres-instances.ts` on
 * PostgreSQL with one and two instances): the demo's subscribing apps and subscriptions to the webhook
 * receiver, draft requests, Request v4 submits with a user token, waiting for the receiver to drain,
 * the analysis of what it received, a real event body for the bare POSTs, the open-loop (paced) submits,
 * and the outbox check at the end.
 */
import { constants, randomUUID, verify } from 'node:crypto';
import { createServer } from 'node:net';
import { sql } from 'kysely';
import type { Pool } from 'undici';
import type { Store } from '../../packages/server/src/store/store.ts';
import { DEMO } from '../../packages/server/src/demo.ts';
import { createApplication } from '../../packages/server/src/identity/applications.ts';
import { companyConnected, MAX_SUBSCRIPTIONS_PER_APP, saveSubscription } from '../../packages/server/src/events/subscriptions.ts';
import { createRequest } from '../../packages/server/src/requests/requests.ts';
import { buildStatusChangeEvent, REQUEST_SCOPE, REQUEST_TOPIC } from '../../packages/server/src/requests/status-change-event.ts';
import type { NodeChild } from './child-process.ts';
import type { ReceivedDeliveries, ReceiverReady } from './webhook-receiver.ts';
import { epochNow } from './stats.ts';

/** The webhook receiver process (`bench/lib/webhook-receiver.ts`). */
export type Receiver = NodeChild<ReceiverReady>;

/** The public URL events link to (nothing is fetched from it). */
export const PUBLIC_URL = 'http://127.0.0.1:3000';
/** How long to wait for the last deliveries after a measurement. */
export const DRAIN_TIMEOUT_MS = 60_000;
/** A drain gives up when nothing arrived for this long. */
const DRAIN_STALL_MS = 10_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on 127.0.0.1 (for a child told which port to listen on). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Two subscribing apps (an app may have five subscriptions, so fan-out 10 needs two). */
export async function createSubscriberApps(store: Store): Promise<string[]> {
  return store.transaction(async (trx) => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { application } = await createApplication(trx, null, { name: `Bench subscriber ${i}`, grants: ['client_credentials'], scopes: ['events.topic.read', REQUEST_SCOPE], redirectUris: [] });
      ids.push(application.id);
    }
    return ids;
  });
}

/** Subscriptions bench-hook-0 … bench-hook-(F−1) to the receiver, with the demo company connected. */
export async function subscribeReceiver(store: Store, apps: string[], receiverUrl: string, fanOut: number): Promise<void> {
  await store.transaction(async (trx) => {
    // Subscriptions beyond F (left by a previous fan-out) are deleted, ending nothing: all delivered.
    await trx.deleteFrom('subscriptions').where('id', 'like', 'bench-hook-%').execute();
    const used = new Set<string>();
    for (let i = 0; i < fanOut; i++) {
      const appId = apps[Math.floor(i / MAX_SUBSCRIPTIONS_PER_APP)];
      if (!appId) throw new Error(`fan-out ${fanOut} needs more than ${apps.length} apps`);
      await saveSubscription(trx, appId, [REQUEST_SCOPE], { id: `bench-hook-${i}`, topic: REQUEST_TOPIC, webHookConfig: { endpoint: `${receiverUrl}/hook/${i}` } }, { allowHttp: true });
      used.add(appId);
    }
    for (const appId of used) await companyConnected(trx, appId, DEMO.companyId);
  });
}

/** Creates `count` draft requests of the traveler (250 per transaction); returns their ids. */
export async function precreate(store: Store, travelerId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let batch = 0; batch < count; batch += 250) {
    await store.transaction(async (trx) => {
      for (let i = batch; i < Math.min(count, batch + 250); i++) ids.push((await createRequest(trx, DEMO.companyId, travelerId, { name: `Bench ${i}` })).id);
    });
  }
  return ids;
}

/** The demo employee's user token from patchbay at `url` (password grant of the demo app). */
export async function userToken(url: string): Promise<string> {
  const response = await fetch(`${url}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: DEMO.application.id, client_secret: DEMO.application.clientSecret, username: DEMO.employee.loginId, password: DEMO.employee.password }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || !body.access_token) throw new Error(`token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** POST /travelrequest/v4/requests/{id}/submit with a user token; throws unless 200. */
export async function submit(pool: Pool, token: string, requestId: string, correlationId: string): Promise<void> {
  const response = await pool.request({
    method: 'POST',
    path: `/travelrequest/v4/requests/${requestId}/submit`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'concur-correlationid': correlationId },
    body: '{}',
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`submit ${requestId}: ${response.statusCode} ${text}`);
}

/** Waits until the receiver has `expected` deliveries; gives up after DRAIN_TIMEOUT_MS, or when nothing arrives for 10 s. */
export async function drained(receiver: Receiver, expected: number): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const count = await receiver.call<number>('count');
    if (count >= expected) return count;
    if (count !== last) {
      last = count;
      lastChange = Date.now();
    }
    if (Date.now() > deadline || Date.now() - lastChange > DRAIN_STALL_MS) return count;
    await sleep(50);
  }
}

/** What the receiver got, over one measurement window. */
export interface WindowStats {
  deliveriesInWindow: number;
  eventsCompletedInWindow: number;
  /** Commit → arrival, per delivery of the events committed in the window. */
  latencies: number[];
  /** Deliveries received again (same event, same subscription). */
  duplicates: number;
  distinctEvents: number;
}

export function analyse(records: ReceivedDeliveries, fanOut: number, windowStart: number, windowEnd: number): WindowStats {
  const events = new Map<string, { arrivals: number; last: number }>();
  const seen = new Set<string>();
  let duplicates = 0;
  let deliveriesInWindow = 0;
  const latencies: number[] = [];
  for (let i = 0; i < records.arrivedAt.length; i++) {
    const at = records.arrivedAt[i]!;
    const id = records.eventId[i]!;
    const key = `${id} ${records.subscription[i]}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    if (at >= windowStart && at < windowEnd) deliveriesInWindow++;
    const committed = records.committedAt[i]!;
    if (committed >= windowStart && committed < windowEnd) latencies.push(at - committed);
    const event = events.get(id) ?? { arrivals: 0, last: 0 };
    event.arrivals++;
    event.last = Math.max(event.last, at);
    events.set(id, event);
  }
  let eventsCompletedInWindow = 0;
  for (const event of events.values()) if (event.arrivals >= fanOut && event.last >= windowStart && event.last < windowEnd) eventsCompletedInWindow++;
  return { deliveriesInWindow, eventsCompletedInWindow, latencies, duplicates, distinctEvents: events.size };
}

/** A real event body and ESS's headers, for the bare POSTs. */
export function sampleDelivery(): { body: Buffer; headers: Record<string, string> } {
  const event = buildStatusChangeEvent({
    outcome: { kind: 'PENDING', role: 'RequestManager', status: 'PendingRequestManagerApproval', currentApprovalStatus: 'Q_PEND' },
    href: `${PUBLIC_URL}/travelrequest/v4/requests/${'A'.repeat(32)}`,
    requestUuid: 'A'.repeat(32),
    requestKey: 'ABCD',
    companyId: DEMO.companyId,
    entityId: DEMO.entityId,
    policyId: 'B'.repeat(32),
    ownerId: randomUUID(),
    actingUserId: null,
    recipientId: randomUUID(),
    stepCode: 'PENDMGRA',
    isClosed: false,
    isTest: false,
    isRecall: false,
    isPaymentCardRelated: false,
    travelAgencyId: null,
  });
  // An RSA-2048 signature is 256 bytes: 344 characters of base64.
  return { body: Buffer.from(JSON.stringify(event)), headers: { 'content-type': 'application/json', 'concur-signature': Buffer.alloc(256, 7).toString('base64'), 'concur-correlationid': event.correlationId } };
}

/**
 * Checks the outbox at the end: every delivery DELIVERED, and one delivery the receiver got verifies
 * against the stored public keys. Returns one line for the results, naming `duplicates` (received twice).
 */
export async function verifyOutbox(store: Store, receiver: Receiver, duplicates: number): Promise<string> {
  const byStatus = await store.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('attempts').as('maxAttempts')]).groupBy('status').execute();
  const notDelivered = byStatus.filter((row) => row.status !== 'DELIVERED');
  if (notDelivered.length > 0) throw new Error(`deliveries not DELIVERED at the end: ${JSON.stringify(notDelivered)}`);
  const delivered = byStatus.find((row) => row.status === 'DELIVERED');
  const sample = await receiver.call<{ body: string; signature: string } | null>('sample');
  if (!sample) throw new Error('the receiver has no signed delivery to verify');
  const keys = await store.db.selectFrom('webhook_signing_keys').select('public_key_pem').execute();
  const verified = keys.some((key) => verify('sha256', Buffer.from(sample.body), { key: key.public_key_pem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, Buffer.from(sample.signature, 'base64')));
  if (!verified) throw new Error('the sampled delivery does not verify against any webhook signing key');
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM events`.execute(store.db);
  return `Outbox at the end: ${Number(rows[0]!.n).toLocaleString('en-US')} events, ${Number(delivered?.n ?? 0).toLocaleString('en-US')} deliveries, all DELIVERED, at most ${delivered?.maxAttempts ?? 0} attempt(s) each; ${duplicates} received twice; a sampled Concur-Signature verifies.`;
}

/** What a paced run of submits did. */
export interface PacedRun {
  /** Epoch ms of the first scheduled submit. */
  begin: number;
  /** The measurement window (epoch ms); it ends at the last answer when the run gave up. */
  windowStart: number;
  windowEnd: number;
  answered: number;
  transitionsInWindow: number;
  /** When sending stopped because too many submits went unanswered, or null. */
  gaveUpAt: number | null;
  /** Each submit's scheduled send time, by its correlation id. */
  scheduledAt: Map<string, number>;
}

/**
 * Submits on a fixed schedule of `rate` per second whatever patchbay answers (open loop), `total` in all,
 * through `send` (given the submit's index, request and correlation id). Gives up, so that an overloaded
 * patchbay does not queue submits without end, once more than `rate × maxBacklogSeconds` are unanswered.
 * The window starts `warmupMs` after the first submit and lasts `durationMs`.
 */
export async function pacedSubmits(options: {
  rate: number;
  total: number;
  warmupMs: number;
  durationMs: number;
  maxBacklogSeconds: number;
  takeRequest: () => string;
  send: (index: number, requestId: string, correlationId: string) => Promise<void>;
}): Promise<PacedRun> {
  const { rate, total } = options;
  const scheduledAt = new Map<string, number>();
  let sent = 0;
  let answered = 0;
  let lastAnswerAt = 0;
  let transitionsInWindow = 0;
  let failure: unknown = null;
  let gaveUpAt: number | null = null;
  const outstanding = new Set<Promise<void>>();
  const begin = epochNow() + 5;
  const windowStart = begin + options.warmupMs;
  let windowEnd = windowStart + options.durationMs;
  while (sent < total && failure === null) {
    const due = Math.min(total, Math.floor(((epochNow() - begin) * rate) / 1_000) + 1);
    while (sent < due) {
      const correlationId = randomUUID();
      scheduledAt.set(correlationId, begin + (sent * 1_000) / rate);
      const call = options.send(sent, options.takeRequest(), correlationId).then(
        () => {
          answered++;
          const now = (lastAnswerAt = epochNow());
          if (now >= windowStart && now < windowEnd) transitionsInWindow++;
        },
        (error: unknown) => {
          failure = error;
        },
      );
      sent++;
      outstanding.add(call);
      void call.finally(() => outstanding.delete(call));
    }
    if (sent - answered > rate * options.maxBacklogSeconds) {
      gaveUpAt = epochNow();
      break;
    }
    await sleep(1);
  }
  await Promise.all(outstanding);
  if (failure !== null) throw failure;
  // After giving up, the window ends with the last answer: until then patchbay was still loaded.
  if (gaveUpAt !== null) windowEnd = Math.min(windowEnd, lastAnswerAt);
  return { begin, windowStart, windowEnd, answered, transitionsInWindow, gaveUpAt, scheduledAt };
}

/** Why a paced run did not hold its rate, or null when it did (at least 95% of the rate answered). */
export function pacedShortfall(run: PacedRun, rate: number, maxBacklogSeconds: number): string | null {
  const seconds = Math.max(0.001, (run.windowEnd - run.windowStart) / 1_000);
  if (run.gaveUpAt !== null) {
    return `load not held: ${Math.round(rate * maxBacklogSeconds).toLocaleString('en-US')} submits unanswered ${((run.gaveUpAt - run.begin) / 1_000).toFixed(1)} s in, so sending stopped; window ${seconds.toFixed(1)} s`;
  }
  const transitionsPerSecond = run.transitionsInWindow / seconds;
  return transitionsPerSecond >= 0.95 * rate ? null : `load not held: ${Math.round(transitionsPerSecond)} of ${rate} transitions/s answered`;
}
