/**
 * Replay (beyond Concur, which has none): an operator sends an event, or every event of a time range,
 * to one subscription again. Each replayed event becomes a new PENDING delivery, published now (so the
 * 72-hour retry clock starts again) and ordered by its request like any other delivery. Only events
 * the subscription would receive today are replayed: its topic, its `companyIds` and `groups`, and its
 * `filter`, checked with the same `matches` as the fan-out. An event signed with a key that is no
 * longer published is signed again (with the current key) before it is sent.
 */
import { invalidField, notFound } from '../http/errors.ts';
import type { Executor } from '../store/store.ts';
import { RETENTION_MS, compileFilter, matches } from './subscriptions.ts';

/** What to replay: one event by its id, or the events published in [from, to). */
export type ReplaySelection = { eventId: string } | { from: number; to: number };

/** A time range may replay at most this many events; narrow it for more. */
export const MAX_REPLAY_EVENTS = 10_000;
/** Events are read and deliveries written in batches of this size. */
const BATCH = 500;

/** The outcome of a replay. */
export interface ReplayResult {
  /** Deliveries queued (one per replayed event). */
  replayed: number;
  /** The ids of the replayed events, oldest first. */
  eventIds: string[];
}

interface EventRow {
  seq: number;
  id: string;
  company_id: string;
  topic: string;
  event_type: string;
  request_id: string;
  payload: string;
}

/** The groups an event carries (`groups` of its envelope; absent or null means none). */
function eventGroups(payload: string): string[] {
  try {
    const groups = (JSON.parse(payload) as { groups?: unknown }).groups;
    return Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Queues the selected events for `subscriptionId` again, in the caller's transaction. Throws 404 for an
 * unknown subscription or event, 400 (naming the field) for an event the subscription would not receive
 * or a range holding more than `MAX_REPLAY_EVENTS` matching events. Call the delivery worker's wake-up
 * after the transaction commits.
 */
export async function replayEvents(db: Executor, subscriptionId: string, selection: ReplaySelection, now = Date.now()): Promise<ReplayResult> {
  const subscription = await db.selectFrom('subscriptions').selectAll().where('id', '=', subscriptionId).executeTakeFirst();
  if (!subscription) throw notFound(`The subscription '${subscriptionId}'`);
  const wanted = {
    companyIds: JSON.parse(subscription.company_ids) as string[],
    groups: JSON.parse(subscription.groups) as string[],
    filter: compileFilter(subscription.filter),
  };
  const wants = (event: EventRow) => matches(wanted, { companyId: event.company_id, groups: eventGroups(event.payload), eventType: event.event_type });
  const columns = ['seq', 'id', 'company_id', 'topic', 'event_type', 'request_id', 'payload'] as const;

  const selected: EventRow[] = [];
  if ('eventId' in selection) {
    const event = await db.selectFrom('events').select(columns).where('id', '=', selection.eventId).executeTakeFirst();
    if (!event) throw notFound(`The event '${selection.eventId}'`);
    if (event.topic !== subscription.topic) throw invalidField('eventId', `The event is on the topic ${event.topic}; the subscription '${subscription.id}' is on ${subscription.topic}.`);
    if (!wants(event)) {
      throw invalidField('eventId', `The subscription '${subscription.id}' would not receive this event today: its company must be in companyIds, its groups must meet the subscription's groups, and its eventType ${event.event_type} must match the filter ${subscription.filter}.`);
    }
    selected.push(event);
  } else {
    // Companies narrow the scan in SQL (unless the subscription takes every company); groups and the
    // filter are checked on each event.
    const everyCompany = wanted.companyIds.includes('.*');
    if (everyCompany || wanted.companyIds.length > 0) {
      let afterSeq = 0;
      for (;;) {
        let query = db
          .selectFrom('events')
          .select(columns)
          .where('topic', '=', subscription.topic)
          .where('created_at', '>=', selection.from)
          .where('created_at', '<', selection.to)
          .where('seq', '>', afterSeq);
        if (!everyCompany) query = query.where('company_id', 'in', wanted.companyIds);
        const rows = await query.orderBy('seq').limit(BATCH).execute();
        for (const row of rows) if (wants(row)) selected.push(row);
        if (selected.length > MAX_REPLAY_EVENTS) {
          throw invalidField('to', `More than ${MAX_REPLAY_EVENTS} events of this range match the subscription; replay a shorter range at a time.`);
        }
        if (rows.length < BATCH) break;
        afterSeq = rows[rows.length - 1]!.seq;
      }
    }
  }

  if (selected.length > 0) {
    // An event keeps the signature it was first sent with, unless its key has been retired since:
    // then the delivery worker signs it again with the current key.
    const published = (await db.selectFrom('webhook_signing_keys').select('kid').where('retired_at', 'is', null).execute()).map((key) => key.kid);
    for (let start = 0; start < selected.length; start += BATCH) {
      const batch = selected.slice(start, start + BATCH);
      let stale = db
        .updateTable('events')
        .set({ signature: null, signature_kid: null })
        .where('seq', 'in', batch.map((event) => event.seq))
        .where('signature', 'is not', null);
      if (published.length > 0) stale = stale.where((eb) => eb.or([eb('signature_kid', 'is', null), eb('signature_kid', 'not in', published)]));
      await stale.execute();
      await db
        .insertInto('deliveries')
        .values(
          batch.map((event) => ({
            event_seq: event.seq,
            subscription_id: subscription.id,
            ordering_key: event.request_id,
            status: 'PENDING' as const,
            attempts: 0,
            next_attempt_at: now,
            lease_owner: null,
            lease_expires_at: null,
            last_status: null,
            last_error: null,
            published_at: now,
            expires_at: now + RETENTION_MS,
            completed_at: null,
          })),
        )
        .execute();
    }
  }
  return { replayed: selected.length, eventIds: selected.map((event) => event.id) };
}
