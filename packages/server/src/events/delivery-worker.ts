/**
 * Delivers ESS events to webhooks, at least once. The worker claims due deliveries in batches under a
 * lease (several patchbay instances on PostgreSQL share the work with `SKIP LOCKED`; a crashed
 * instance's leases run out and its deliveries are claimed again), signs each event once, POSTs the
 * exact signed bytes, and records every attempt. Only the oldest pending delivery of one request to
 * one subscription is ever claimable, so a request's events reach a subscription in order while other
 * requests proceed in parallel. A failing or hanging subscriber never takes more than a quarter of the
 * worker's slots, so it cannot stall the others.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { OutboundClient, OutboundResult } from '../connectors/outbound-client.ts';
import type { Transaction } from 'kysely';
import type { Database, DeliveryRow } from '../store/schema.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { createWakeSignal } from '../workers/wake-signal.ts';
import type { WebhookSigner } from './webhook-keys.ts';
import { RETENTION_MS } from './subscriptions.ts';

/** Responses ESS treats as temporary failures: retried with backoff. */
export const RETRYABLE_STATUSES = new Set([401, 403, 429]);
/** The first retry waits about a second; each next one twice as long, at most an hour. */
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 3_600_000;
/** Attempts and finished deliveries are kept 30 days, as Concur keeps its delivery logs. */
export const ATTEMPT_RETENTION_MS = 30 * 24 * 3_600_000;
/** How much of a subscriber's answer an attempt record keeps. */
const RESPONSE_EXCERPT_BYTES = 1_024;
/** Without a wake-up, the worker looks for due work at least this often (other instances' events, retries). */
const IDLE_POLL_MS = 250;
/**
 * Finished deliveries are recorded together: one transaction (one fsync) per batch, written when the
 * batch has this many entries or this long after its first one.
 */
const FLUSH_BATCH = 128;
const FLUSH_MS = 2;
/** Signed events kept in memory, so an event's deliveries to several subscriptions sign and read it once. */
const SIGNED_CACHE_SIZE = 2_048;

/** The exact body bytes of an event, their signature and the key that made it. */
interface SignedEvent {
  body: Buffer;
  signature: string;
  kid: string;
  correlationId: string;
}

/** A claimed delivery: what sending and recording it needs. */
type ClaimedDelivery = Pick<DeliveryRow, 'id' | 'subscription_id' | 'event_seq' | 'attempts' | 'next_attempt_at' | 'published_at'>;

/** How a delivery ends this round: its new state, and the attempt made (none when it was not sent). */
interface Outcome {
  status: DeliveryRow['status'];
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  completedAt: number | null;
  attempt: { at: number; durationMs: number; status: number | null; error: string | null; excerpt: string } | null;
}

/** A write waiting for the next batch. */
interface PendingWrite {
  run: (trx: Transaction<Database>) => Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What the worker needs. */
export interface DeliveryWorkerOptions {
  store: Store;
  client: OutboundClient;
  signer: WebhookSigner;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** How long a subscriber has to acknowledge. */
  timeoutMs: number;
}

/** A running delivery worker. */
export interface DeliveryWorker {
  /** Tells the worker new deliveries were committed, so it claims them now instead of at the next poll. */
  wake(): void;
  /** Stops claiming, waits for in-flight deliveries (up to `deadlineMs`), then resolves. */
  stop(deadlineMs: number): Promise<void>;
}

/** The wait before retry number `attempt` (1-based): exponential, with full jitter in its upper half. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** The wait a `Retry-After` header asks for (seconds or an HTTP date), or null. */
export function retryAfterMs(header: string | undefined, now: number): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // Only an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT") counts as a date; anything else is ignored
  // and the backoff applies, rather than being read as "retry now".
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** How one attempt ended, as the worker decides it. */
type Verdict = { kind: 'delivered' } | { kind: 'retry'; waitMs: number | null } | { kind: 'failed' };

/** ESS's rules: 2xx delivered; 5xx, 401, 403, 429 and I/O failures retried; other 4xx dropped. */
export function verdictFor(result: OutboundResult, now: number): Verdict {
  if (!result.ok) return { kind: 'retry', waitMs: null };
  if (result.status >= 200 && result.status < 300) return { kind: 'delivered' };
  if (result.status >= 500 || RETRYABLE_STATUSES.has(result.status)) return { kind: 'retry', waitMs: retryAfterMs(result.headers['retry-after'], now) };
  if (result.status >= 400) return { kind: 'failed' };
  // 1xx and 3xx are not acknowledgements (redirects are not followed): retry.
  return { kind: 'retry', waitMs: null };
}

/** Starts the worker loop. */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { store, client, signer, clock, log } = options;
  const owner = randomUUID();
  const perSubscriptionLimit = Math.max(1, Math.floor(options.concurrency / 4));
  // A lease outlives the longest possible attempt (plus time to record it), so a live worker never
  // loses a delivery it holds, while a crashed instance's deliveries are free again soon after.
  const leaseMs = options.timeoutMs + 5_000;
  const inFlight = new Map<number, Promise<void>>();
  const perSubscription = new Map<string, number>();
  let stopping = false;
  const signal = createWakeSignal();
  let lastCleanup = 0;
  const signedCache = new Map<number, SignedEvent>();
  const signing = new Map<number, Promise<SignedEvent | null>>();
  let buffer: PendingWrite[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;

  /**
   * Queues a write for the next batch; resolves once it is committed. A delivery's lease is released
   * by its own write, so until that commits the delivery stays leased (a crash before it means the
   * delivery is sent again once the lease is gone: at least once).
   */
  function enqueueWrite(run: PendingWrite['run']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      buffer.push({ run, resolve, reject });
      if (buffer.length >= FLUSH_BATCH) {
        if (flushTimer) clearTimeout(flushTimer);
        flushTimer = null;
        void flush();
      } else {
        flushTimer ??= setTimeout(() => {
          flushTimer = null;
          void flush();
        }, FLUSH_MS);
      }
    });
  }

  /** Writes every queued write in one transaction (one batch at a time); never rejects. */
  async function flush(): Promise<void> {
    while (flushing) await flushing;
    if (buffer.length === 0) return;
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    const batch = buffer;
    buffer = [];
    flushing = (async () => {
      try {
        await store.transaction(async (trx) => {
          for (const write of batch) await write.run(trx);
        });
        for (const write of batch) write.resolve();
      } catch {
        // One bad write must not sink the others: each is tried again on its own.
        for (const write of batch) {
          try {
            await store.transaction(async (trx) => write.run(trx));
            write.resolve();
          } catch (error) {
            write.reject(error);
          }
        }
      } finally {
        flushing = null;
      }
    })();
    await flushing;
  }

  // The statements run for every delivery, compiled once.
  const recordOutcome = prepareQuery<[DeliveryRow['status'], number, number, number | null, string | null, number | null, number], unknown>((db, slot) =>
    db
      .updateTable('deliveries')
      .set({ status: slot(0), attempts: slot(1), next_attempt_at: slot(2), last_status: slot(3), last_error: slot(4), completed_at: slot(5), lease_owner: null, lease_expires_at: null })
      .where('id', '=', slot(6))
      .where('lease_owner', '=', owner),
  );
  const recordAttempt = prepareQuery<[number, number, number, number | null, string | null, string], unknown>((db, slot) =>
    db.insertInto('delivery_attempts').values({ delivery_id: slot(0), attempted_at: slot(1), duration_ms: slot(2), status_code: slot(3), error: slot(4), response_excerpt: slot(5) }),
  );

  /**
   * Claims up to `free` due deliveries this worker may start now: at most `perSubscriptionLimit` in
   * flight per subscription. Candidates beyond a subscription's free slots are not leased at all, so
   * they stay claimable (by this or another instance) without being released. `full` tells whether
   * more candidates may be waiting. Each claimed delivery comes with its subscription's endpoint
   * (null when the subscription was deleted), read in the same transaction.
   */
  async function claim(free: number): Promise<{ claimed: Array<{ delivery: ClaimedDelivery; endpoint: string | null }>; full: boolean }> {
    const now = clock.now();
    const realNow = Date.now();
    const busy = [...perSubscription].filter(([, count]) => count >= perSubscriptionLimit).map(([id]) => id);
    // Candidates of a subscription that reaches its cap in this claim are skipped; when that leaves
    // slots free, the loop claims again at once, with that subscription among the busy ones.
    const limit = free;
    // Only the oldest pending delivery of each (subscription, request) is a candidate.
    let candidates = store.db
      .selectFrom('deliveries as d')
      .select(['d.id', 'd.subscription_id', 'd.event_seq', 'd.attempts', 'd.next_attempt_at', 'd.published_at'])
      .where('d.status', '=', 'PENDING')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_expires_at', 'is', null), eb('d.lease_expires_at', '<', realNow)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deliveries as e')
              .select('e.id')
              .whereRef('e.subscription_id', '=', 'd.subscription_id')
              .whereRef('e.ordering_key', '=', 'd.ordering_key')
              .where('e.status', '=', 'PENDING')
              .whereRef('e.id', '<', 'd.id'),
          ),
        ),
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .limit(limit);
    if (busy.length > 0) candidates = candidates.where('d.subscription_id', 'not in', busy);
    if (store.capabilities.skipLocked) candidates = candidates.forUpdate().skipLocked();
    const query = candidates;
    return store.transaction(async (trx) => {
      // Inside the transaction, so on PostgreSQL the candidate rows stay locked until they are leased.
      const found = await trx.executeQuery(query.compile());
      const counts = new Map(perSubscription);
      const keep: ClaimedDelivery[] = [];
      for (const candidate of found.rows) {
        if (keep.length >= free) break;
        const count = counts.get(candidate.subscription_id) ?? 0;
        if (count >= perSubscriptionLimit) continue;
        counts.set(candidate.subscription_id, count + 1);
        keep.push(candidate);
      }
      const full = found.rows.length >= limit;
      if (keep.length === 0) return { claimed: [], full };
      // The candidates cannot have changed since they were read: SQLite has one writer, and
      // PostgreSQL holds their row locks. (Repeating the status condition here would also lead SQLite to
      // scan the pending deliveries by status instead of looking up these ids.)
      await trx
        .updateTable('deliveries')
        .set({ lease_owner: owner, lease_expires_at: realNow + leaseMs })
        .where('id', 'in', keep.map((delivery) => delivery.id))
        .execute();
      const subscriptionIds = [...new Set(keep.map((delivery) => delivery.subscription_id))];
      const endpoints = new Map<string, string>();
      if (subscriptionIds.length > 0) {
        for (const row of await trx.selectFrom('subscriptions').select(['id', 'endpoint']).where('id', 'in', subscriptionIds).execute()) endpoints.set(row.id, row.endpoint);
      }
      return { claimed: keep.map((delivery) => ({ delivery, endpoint: endpoints.get(delivery.subscription_id) ?? null })), full };
    });
  }

  /**
   * The exact body bytes of an event and their signature, signing at most once per event: concurrent
   * deliveries of one event share one signing, and signed events are kept in memory while their key
   * is still published.
   */
  async function signedEvent(eventSeq: number): Promise<SignedEvent | null> {
    const cached = signedCache.get(eventSeq);
    if (cached) {
      if (await signer.isPublished(cached.kid)) return cached;
      if (signedCache.get(eventSeq) === cached) signedCache.delete(eventSeq);
    }
    let pending = signing.get(eventSeq);
    if (!pending) {
      pending = loadAndSign(eventSeq).finally(() => signing.delete(eventSeq));
      signing.set(eventSeq, pending);
    }
    return pending;
  }

  function remember(eventSeq: number, signed: SignedEvent): void {
    signedCache.delete(eventSeq);
    if (signedCache.size >= SIGNED_CACHE_SIZE) signedCache.delete(signedCache.keys().next().value!);
    signedCache.set(eventSeq, signed);
  }

  async function loadAndSign(eventSeq: number): Promise<SignedEvent | null> {
    const event = await store.db.selectFrom('events').select(['payload', 'signature', 'signature_kid']).where('seq', '=', eventSeq).executeTakeFirst();
    if (!event) return null;
    const body = Buffer.from(event.payload, 'utf8');
    const correlationId = (JSON.parse(event.payload) as { correlationId?: string }).correlationId ?? randomUUID();
    // The stored signature is sent as long as its key is published; an event without one, or whose
    // key has been retired by rotations since (a retry days later must still verify against a
    // published key), is signed again.
    if (event.signature !== null && event.signature_kid !== null && (await signer.isPublished(event.signature_kid))) {
      const signed = { body, signature: event.signature, kid: event.signature_kid, correlationId };
      remember(eventSeq, signed);
      return signed;
    }
    const fresh = await signer.sign(body);
    const signed = { body, signature: fresh.signature, kid: fresh.kid, correlationId };
    remember(eventSeq, signed);
    // The signature is stored with the next batch, before (or with) the finish of any delivery sent
    // with it, so no delivery of this event is released before its signature is recorded.
    void enqueueWrite(async (trx) => {
      const result = await trx
        .updateTable('events')
        .set({ signature: signed.signature, signature_kid: signed.kid })
        .where('seq', '=', eventSeq)
        .where((eb) => (event.signature === null ? eb('signature', 'is', null) : eb('signature', '=', event.signature)))
        .executeTakeFirst();
      // Another worker signed it first: later deliveries send the stored signature.
      if (Number(result.numUpdatedRows) === 0 && signedCache.get(eventSeq) === signed) signedCache.delete(eventSeq);
    }).catch((error: unknown) => {
      if (signedCache.get(eventSeq) === signed) signedCache.delete(eventSeq);
      log.error({ err: error, eventSeq }, 'delivery worker: storing a signature failed; the event will be signed again');
    });
    return signed;
  }

  /** Records how a delivery ended this round (in the next batch); releasing its lease. */
  function finish(delivery: ClaimedDelivery, outcome: Outcome): Promise<void> {
    return enqueueWrite(async (trx) => {
      await recordOutcome.execute(trx, [outcome.status, outcome.attempts, outcome.nextAttemptAt, outcome.lastStatus, outcome.lastError, outcome.completedAt, delivery.id]);
      const attempt = outcome.attempt;
      if (attempt) await recordAttempt.execute(trx, [delivery.id, attempt.at, attempt.durationMs, attempt.status, attempt.error, attempt.excerpt]);
    });
  }

  /** Ends a delivery without sending it. */
  function giveUp(delivery: ClaimedDelivery, status: 'FAILED' | 'EXPIRED', reason: string): Promise<void> {
    return finish(delivery, { status, attempts: delivery.attempts, nextAttemptAt: delivery.next_attempt_at, lastStatus: null, lastError: reason, completedAt: clock.now(), attempt: null });
  }

  async function deliver(delivery: ClaimedDelivery, endpoint: string | null): Promise<void> {
    if (endpoint === null) return giveUp(delivery, 'FAILED', 'The subscription was deleted.');
    // Events are published on the wall clock; retention runs on the delivery clock from that moment.
    const expiresAt = clock.at(delivery.published_at) + RETENTION_MS;
    if (clock.now() >= expiresAt) return giveUp(delivery, 'EXPIRED', 'Not delivered within 72 hours of publication.');
    const event = await signedEvent(delivery.event_seq);
    if (!event) return giveUp(delivery, 'FAILED', 'The event no longer exists.');
    const at = clock.now();
    const result = await client.send({
      url: endpoint,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'concur-signature': event.signature, 'concur-correlationid': event.correlationId },
      body: event.body,
    });
    const now = clock.now();
    const verdict = verdictFor(result, now);
    const attempts = delivery.attempts + 1;
    const lastStatus = result.ok ? result.status : null;
    const error = result.ok ? null : `${result.failure}: ${result.message}`;
    const attempt = { at, durationMs: result.durationMs, status: lastStatus, error, excerpt: result.ok ? result.body.subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8') : '' };
    const ended = (status: 'DELIVERED' | 'FAILED' | 'EXPIRED', lastError: string | null): Outcome => ({ status, attempts, nextAttemptAt: delivery.next_attempt_at, lastStatus, lastError, completedAt: now, attempt });
    if (verdict.kind === 'delivered') return finish(delivery, ended('DELIVERED', null));
    if (verdict.kind === 'failed') return finish(delivery, ended('FAILED', `The subscriber answered ${lastStatus}; ESS does not retry 4xx other than 401, 403 and 429.`));
    // Retries go on until retention runs out: a wait that would pass it becomes one last attempt
    // just before it.
    const lastError = error ?? `The subscriber answered ${lastStatus}.`;
    if (now + 1 >= expiresAt) return finish(delivery, ended('EXPIRED', lastError));
    const next = Math.min(now + (verdict.waitMs ?? backoffMs(attempts)), expiresAt - 1);
    return finish(delivery, { status: 'PENDING', attempts, nextAttemptAt: next, lastStatus, lastError, completedAt: null, attempt });
  }

  function launch(delivery: ClaimedDelivery, endpoint: string | null): void {
    perSubscription.set(delivery.subscription_id, (perSubscription.get(delivery.subscription_id) ?? 0) + 1);
    const running = deliver(delivery, endpoint)
      .catch((error: unknown) => log.error({ err: error, deliveryId: delivery.id }, 'delivery failed; it will be claimed again when its lease expires'))
      .finally(() => {
        inFlight.delete(delivery.id);
        const before = perSubscription.get(delivery.subscription_id) ?? 1;
        const left = before - 1;
        if (left <= 0) perSubscription.delete(delivery.subscription_id);
        else perSubscription.set(delivery.subscription_id, left);
        // Claiming for every single completion would cost a transaction each: the loop is woken when
        // half the slots are free, or when a subscription (which may have been at its cap, its
        // deliveries skipped) gets back to half of its slots; otherwise it claims at the next poll.
        const half = Math.floor(perSubscriptionLimit / 2);
        if (!stopping && (inFlight.size < options.concurrency / 2 || (before > half && left <= half))) signal.wakeSoon();
      });
    inFlight.set(delivery.id, running);
  }

  async function cleanup(): Promise<void> {
    const cutoff = clock.now() - ATTEMPT_RETENTION_MS;
    await store.db.deleteFrom('delivery_attempts').where('attempted_at', '<', cutoff).execute();
  }

  async function nextDueDelay(): Promise<number> {
    const next = await store.db.selectFrom('deliveries').select((eb) => eb.fn.min('next_attempt_at').as('at')).where('status', '=', 'PENDING').executeTakeFirst();
    const at = next?.at === null || next?.at === undefined ? null : Number(next.at);
    return at === null ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, clock.realDelayUntil(at));
  }

  const loop = (async () => {
    // SQLite is used by one patchbay process at a time, so any lease left in it belongs to a process
    // that died: release them now rather than waiting for them to run out.
    if (!store.capabilities.skipLocked) {
      await store.db.updateTable('deliveries').set({ lease_owner: null, lease_expires_at: null }).where('status', '=', 'PENDING').where('lease_owner', 'is not', null).execute().catch((error: unknown) => log.error({ err: error }, 'delivery worker: releasing old leases failed'));
    }
    while (!stopping) {
      signal.reset();
      try {
        const free = options.concurrency - inFlight.size;
        const claimed = free > 0 ? await claim(free) : { claimed: [], full: false };
        for (const { delivery, endpoint } of claimed.claimed) launch(delivery, endpoint);
        if (Date.now() - lastCleanup > 60_000) {
          lastCleanup = Date.now();
          await cleanup();
        }
        // More may be due right now: claim again while there are free slots. (This ends: a claim that
        // keeps fewer than it read has filled a subscription, which the next claim leaves out.)
        if (claimed.full && inFlight.size < options.concurrency) continue;
        if (signal.woken) continue;
        // With work in flight, a completion (or a commit) wakes the loop; otherwise it polls.
        await signal.sleep(inFlight.size > 0 ? IDLE_POLL_MS : await nextDueDelay());
      } catch (error) {
        // A failed claim (database restarting, say) is logged and tried again; the loop never dies.
        log.error({ err: error }, 'delivery worker: claiming failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  })();

  return {
    // Commits in the same turn of the event loop are claimed for together.
    wake: signal.wakeSoon,
    async stop(deadlineMs) {
      stopping = true;
      signal.wake();
      await loop;
      const deadline = new Promise((resolve) => setTimeout(resolve, deadlineMs).unref());
      await Promise.race([Promise.allSettled(inFlight.values()), deadline]);
      // Whatever finished is recorded before stop resolves.
      await flush();
    },
  };
}
