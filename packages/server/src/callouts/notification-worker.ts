/**
 * Posts queued Event Notifications to connectors (spec §3.1), first come, first served per company:
 * only the oldest PENDING notification of a company is ever in flight, and the company's next one waits
 * until it is delivered (HTTP 200 deletes its row) or marked FAILED after `maxAttempts`. Companies
 * proceed in parallel. A claim takes a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several patchbay
 * instances never post one notification at once); a crashed process's leases run out and its
 * notifications are posted again (at least once). Failures back off exponentially on the delivery
 * clock, so `--clock-speed` accelerates them. The worker also prunes the callout log (30 days).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { CalloutClient, CalloutResult, CalloutVerdict } from './callout-client.ts';
import { findUsableService } from '../connectors/connectors.ts';
import { SERVICES, type ServiceId } from '../connectors/services.ts';
import type { Clock } from '../events/clock.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../store/store.ts';
import { NOTIFICATION_CONTENT_TYPE, notificationBody, type NotificationRow } from './notifications.ts';
import { pruneCalloutLog } from './call-log.ts';
import { createWakeSignal } from '../workers/wake-signal.ts';

/** Retries wait at most an hour, like ESS's. */
const BACKOFF_MAX_MS = 3_600_000;
/** Each wait is the exponential one times a factor in [0.8, 1.2], so failed companies do not retry in step. */
const BACKOFF_JITTER = 0.2;
/**
 * Companies posting at once in one process. A notification is one small POST; 16 keeps a few slow
 * connectors (each may hold a slot for the whole notification timeout) from delaying everyone else
 * without opening more sockets than the callout pool is meant for.
 */
const DEFAULT_CONCURRENCY = 16;
/** The connector's deadline when the caller does not give one: the `--notification-timeout-ms` default. */
const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * A lease outlives the longest post by this much: the safe-list and connector look-ups before it and
 * the write after it. A live worker thus never loses a notification it holds.
 */
const LEASE_MARGIN_MS = 10_000;
/** Without a wake-up the worker looks for due work this often (other instances' commits, expired leases). */
const IDLE_POLL_MS = 1_000;
/** After a failed claim (database restarting, say) the worker waits this long before trying again. */
const CLAIM_RETRY_MS = 1_000;
/** How often the callout log is pruned. */
const PRUNE_EVERY_MS = 3_600_000;

/** What the worker needs. */
export interface NotificationWorkerOptions {
  store: Store;
  callouts: CalloutClient;
  secrets: SecretBox;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Attempts before a notification is marked FAILED and its company's queue moves on. */
  maxAttempts: number;
  /** The wait before the first retry; each later one doubles (at most an hour). */
  retryBaseMs: number;
  /** The connector's deadline per post (`--notification-timeout-ms`); leases outlive it. Default 60 s. */
  timeoutMs?: number;
  /** Companies posting at once. Default 16. */
  concurrency?: number;
}

/** A running notification worker. */
export interface NotificationWorker {
  /** Tells the worker notifications were committed (or freed), so it claims now instead of at the next poll. */
  wake(): void;
  /** Stops claiming, waits for in-flight posts (up to `timeoutMs`), then resolves. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * The wait before retry number `attempt` (1-based): `baseMs` × 2^(attempt-1), with ±20% jitter, at most
 * an hour.
 */
export function notificationBackoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const jitter = 1 - BACKOFF_JITTER + random() * 2 * BACKOFF_JITTER;
  return Math.round(Math.min(BACKOFF_MAX_MS, exponential * jitter));
}

/**
 * How a post ended, for the call log and the queue. Only exactly HTTP 200 delivers: the spec's one
 * documented requirement is "HTTP 200 on successful receipt", and Concur removes a notification from the
 * queue "when the connector returns HTTP 200". A 201/202/204 is not what a Concur connector answers, so it
 * is retried like any other answer, rather than guessed to be an acknowledgement; so are network
 * failures and timeouts.
 */
export function judgeNotification(result: CalloutResult): CalloutVerdict {
  if (!result.ok) return { outcome: result.failure, message: result.message };
  if (result.status === 200) return { outcome: 'ok', message: 'The connector acknowledged the notification (HTTP 200).' };
  return { outcome: `http_${result.status}`, message: `The connector answered HTTP ${result.status}; only HTTP 200 acknowledges a notification, so it will be posted again.` };
}

/** Starts the worker loop. */
export function startNotificationWorker(options: NotificationWorkerOptions): NotificationWorker {
  const { store, callouts, secrets, clock, log, maxAttempts, retryBaseMs } = options;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const leaseMs = (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) + LEASE_MARGIN_MS;
  // Leases name their process, so a finish only ever applies to a lease this process still holds.
  const owner = randomUUID();
  /** In-flight posts by company: at most one each. */
  const inFlight = new Map<string, Promise<void>>();
  let stopping = false;
  const signal = createWakeSignal();
  let lastPrune = 0;
  let pruning: Promise<void> | null = null;

  /**
   * Leases up to `free` notifications that may be posted now: the oldest PENDING one of each company,
   * if it is due, and only when no notification of that company is leased (in flight here or at another
   * instance). On PostgreSQL the candidates are locked with SKIP LOCKED until they are leased, so two
   * instances claiming at once take different companies.
   */
  async function claim(free: number): Promise<NotificationRow[]> {
    const now = clock.now();
    // Leases are on real time: they bound how long a post really takes, whatever the clock speed.
    const realNow = Date.now();
    let candidates = store.db
      .selectFrom('notifications as n')
      .select('n.seq')
      .where('n.status', '=', 'PENDING')
      .where('n.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('n.lease_expires_at', 'is', null), eb('n.lease_expires_at', '<', realNow)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('notifications as e')
              .select('e.seq')
              .whereRef('e.company_id', '=', 'n.company_id')
              .where('e.status', '=', 'PENDING')
              // An older notification of the company waits (not yet due, or being retried), or one of
              // the company's notifications is in flight (e.g. a later one, claimed before an older
              // one's transaction committed).
              .where((eb) => eb.or([eb('e.seq', '<', eb.ref('n.seq')), eb('e.lease_expires_at', '>=', realNow)])),
          ),
        ),
      )
      .orderBy('n.next_attempt_at')
      .orderBy('n.seq')
      .limit(free);
    if (inFlight.size > 0) candidates = candidates.where('n.company_id', 'not in', [...inFlight.keys()]);
    if (store.capabilities.skipLocked) candidates = candidates.forUpdate().skipLocked();
    const query = candidates.compile();
    return store.transaction(async (trx) => {
      const found = await trx.executeQuery(query);
      const seqs = found.rows.map((row) => row.seq);
      if (seqs.length === 0) return [];
      return trx
        .updateTable('notifications')
        .set({ lease_owner: owner, lease_expires_at: realNow + leaseMs })
        .where('seq', 'in', seqs)
        .where('status', '=', 'PENDING')
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', realNow)]))
        .returningAll()
        .execute();
    });
  }

  /** Records a failed attempt: retried after the backoff, or FAILED after `maxAttempts`; releases the lease. */
  async function recordFailure(row: NotificationRow, message: string): Promise<void> {
    const attempts = row.attempts + 1;
    const lastError = message.slice(0, 1_000);
    const release = { lease_owner: null, lease_expires_at: null };
    const failed = attempts >= maxAttempts;
    const changes = failed
      ? { ...release, status: 'FAILED' as const, attempts, last_error: lastError, failed_at: Date.now() }
      : { ...release, attempts, last_error: lastError, next_attempt_at: clock.now() + notificationBackoffMs(attempts, retryBaseMs) };
    await store.db.updateTable('notifications').set(changes).where('seq', '=', row.seq).where('lease_owner', '=', owner).execute();
    if (failed) log.warn({ notificationId: row.id, companyId: row.company_id, attempts, lastError }, 'notification marked FAILED; the company\'s queue moves on');
  }

  async function post(row: NotificationRow): Promise<void> {
    const service = row.service in SERVICES ? (row.service as ServiceId) : null;
    const target = service === null ? null : await findUsableService(store.db, secrets, row.company_id, service, row.connector_id);
    if (!target) {
      const label = service === null ? row.service : SERVICES[service].label;
      await recordFailure(row, `The connector's ${label} service is inactive or the connector is not Verified: activate the service and pass Test Connection, and the notification will be posted at its next attempt.`);
      return;
    }
    const verdict = await callouts.post({ companyId: row.company_id, service: 'notification', target, body: notificationBody(row), contentType: NOTIFICATION_CONTENT_TYPE }, judgeNotification);
    if (verdict.outcome === 'ok') {
      // "When the connector returns HTTP 200, the notification is removed from the queue." Only while
      // the lease is still this process's: otherwise another instance has taken it over and finishes it.
      await store.db.deleteFrom('notifications').where('seq', '=', row.seq).where('lease_owner', '=', owner).execute();
    } else {
      await recordFailure(row, verdict.message);
    }
  }

  function launch(row: NotificationRow): void {
    const running = post(row)
      .catch(async (error: unknown) => {
        // An unexpected failure (the database, say) counts as a failed attempt so that a notification
        // that can never be posted ends FAILED instead of being retried forever; if even that cannot be
        // written, the lease runs out and the notification is claimed again.
        log.error({ err: error, notificationId: row.id }, 'notification worker: posting failed unexpectedly');
        await recordFailure(row, `patchbay could not post the notification: ${error instanceof Error ? error.message : String(error)}`).catch((again: unknown) =>
          log.error({ err: again, notificationId: row.id }, 'notification worker: recording the failure failed; the notification is retried when its lease expires'),
        );
      })
      .finally(() => {
        inFlight.delete(row.company_id);
        // The company's next notification (or another company's) may go now.
        if (!stopping) signal.wakeSoon();
      });
    inFlight.set(row.company_id, running);
  }

  /** Prunes the callout log in the background, at most once an hour. */
  function maybePrune(): void {
    if (pruning || Date.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = Date.now();
    pruning = pruneCalloutLog(store, Date.now(), () => stopping)
      .then((deleted) => {
        if (deleted > 0) log.info({ deleted }, 'callout log: pruned lines older than 30 days');
      })
      .catch((error: unknown) => log.error({ err: error }, 'callout log: pruning failed; it is tried again in an hour'))
      .finally(() => {
        pruning = null;
      });
  }

  /** Real milliseconds until the next retry falls due, at most the idle poll. */
  async function nextDelay(): Promise<number> {
    const now = clock.now();
    // Only future times: a later notification already due but waiting behind its company's head must
    // not make the loop spin.
    const next = await store.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('status', '=', 'PENDING')
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    const at = next?.at === null || next?.at === undefined ? null : Number(next.at);
    return at === null ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, clock.realDelayUntil(at));
  }

  const loop = (async () => {
    // SQLite is used by one patchbay process at a time (no SKIP LOCKED, so no sharing), so a lease left
    // in it belongs to a process that died: free it now rather than when it runs out.
    if (!store.capabilities.skipLocked) {
      await store.db
        .updateTable('notifications')
        .set({ lease_owner: null, lease_expires_at: null })
        .where('status', '=', 'PENDING')
        .where('lease_owner', 'is not', null)
        .execute()
        .catch((error: unknown) => log.error({ err: error }, 'notification worker: releasing old leases failed'));
    }
    while (!stopping) {
      signal.reset();
      try {
        maybePrune();
        const free = concurrency - inFlight.size;
        const claimed = free > 0 ? await claim(free) : [];
        for (const row of claimed) launch(row);
        if (stopping) break;
        await signal.sleep(await nextDelay());
      } catch (error) {
        // A failed claim is logged and tried again; the loop never dies.
        log.error({ err: error }, 'notification worker: claiming failed; retrying');
        await signal.sleep(CLAIM_RETRY_MS);
      }
    }
  })();

  return {
    wake: signal.wakeSoon,
    async stop(timeoutMs) {
      stopping = true;
      signal.wake();
      await loop;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.allSettled([...inFlight.values(), pruning]), deadline]);
      clearTimeout(timer);
    },
  };
}
