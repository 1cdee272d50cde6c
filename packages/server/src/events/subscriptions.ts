/**
 * ESS webhook subscriptions: the management operations of `/events/v4/subscriptions`, the
 * server-managed `companyIds` and `groups`, and the fan-out that turns one published event into one
 * delivery per matching subscription, in the transaction that publishes the event.
 */
import { ConcurApiError } from '../http/concur-errors.ts';
import type { Executor } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import type { SubscriptionRow } from '../store/schema.ts';
import { TOPICS } from './topics.ts';

/** Each application may have at most five subscriptions, as in Concur. */
export const MAX_SUBSCRIPTIONS_PER_APP = 5;
/** Events are retried until 72 hours after publication. */
export const RETENTION_MS = 72 * 3_600_000;
/** Subscription ids: lower-case letters, digits, "." and "-". */
export const SUBSCRIPTION_ID = /^[a-z0-9.-]{1,100}$/;

/** A subscription as ESS returns it (`PublicWebhookSubscription`). */
export interface PublicWebhookSubscription {
  allowPublicAccess: boolean;
  startFromEarliest: boolean;
  id: string;
  topic: string;
  filter: string;
  webHookConfig: { endpoint: string };
  applicationId: string;
  scope: string;
  groups: string[];
  companyIds: string[];
}

/** What a caller sends to create or replace a subscription (`PublicWebhookSubscriptionApiAdapter`). */
export interface SubscriptionInput {
  id: string;
  topic: string;
  filter?: string | undefined;
  webHookConfig: { endpoint: string };
}

const bad = (message: string) => new ConcurApiError(400, 'badParam', message);

/** The ESS representation of a stored subscription. */
export function toPublic(row: SubscriptionRow): PublicWebhookSubscription {
  return {
    allowPublicAccess: true,
    startFromEarliest: false,
    id: row.id,
    topic: row.topic,
    filter: row.filter,
    webHookConfig: { endpoint: row.endpoint },
    applicationId: row.app_id,
    scope: '',
    groups: JSON.parse(row.groups) as string[],
    companyIds: JSON.parse(row.company_ids) as string[],
  };
}

/** A filter may repeat without bound this many times (`*`, `+`, `{n,}`): enough for `statusChange\..*\.REQ.*`. */
const MAX_UNBOUNDED_REPETITIONS = 3;

/**
 * Why a filter could take too long to match, or null when it cannot. Every published event is matched
 * against every subscription's filter while its transaction is open, so only patterns that match in
 * polynomial time with a small exponent are accepted: no repeated groups (the shape of catastrophic
 * backtracking, such as `(a+)+` or `(.|.)*`), no backreferences or lookarounds, and at most three
 * unbounded repetitions (eventTypes are short, so `.*.*.*` stays cheap where ten of them would not).
 */
export function unsafeFilterReason(filter: string): string | null {
  let unbounded = 0;
  let afterGroup = false;
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i]!;
    if (char === '\\') {
      if (/[1-9k]/.test(filter[i + 1] ?? '')) return 'it uses a backreference';
      i++;
      afterGroup = false;
      continue;
    }
    if (char === '[') {
      // A character class is one atom; skip to its end.
      for (i++; i < filter.length && filter[i] !== ']'; i++) if (filter[i] === '\\') i++;
      afterGroup = false;
      continue;
    }
    if (char === '(' && filter[i + 1] === '?' && (filter[i + 2] === '=' || filter[i + 2] === '!' || (filter[i + 2] === '<' && (filter[i + 3] === '=' || filter[i + 3] === '!')))) {
      return 'it uses a lookahead or lookbehind';
    }
    let repeats: 'unbounded' | 'bounded' | null = null;
    if (char === '*' || char === '+') repeats = 'unbounded';
    if (char === '{') {
      const range = /^\{(\d+)(,(\d*))?\}/.exec(filter.slice(i));
      if (range) repeats = range[2] === undefined ? (Number(range[1]) > 1 ? 'bounded' : null) : range[3] === '' ? 'unbounded' : Number(range[3]) > 1 ? 'bounded' : null;
    }
    if (repeats !== null) {
      if (afterGroup) return 'it repeats a group (such as (a+)+ or (.|.)*)';
      if (repeats === 'unbounded' && ++unbounded > MAX_UNBOUNDED_REPETITIONS) return `it repeats without bound more than ${MAX_UNBOUNDED_REPETITIONS} times`;
    }
    afterGroup = char === ')';
  }
  return null;
}

/**
 * Compiles a subscription filter: a regular expression that must match the whole `eventType`. Patterns
 * that could take long to match are refused (see `unsafeFilterReason`).
 */
export function compileFilter(filter: string): RegExp {
  const cached = compiledFilters.get(filter);
  if (cached) return cached;
  if (filter.length > 256) throw bad('The filter is longer than 256 characters.');
  const unsafe = unsafeFilterReason(filter);
  if (unsafe !== null) throw bad(`The filter "${filter}" could take too long to match: ${unsafe}. Write it with simpler repetitions, e.g. statusChange\\.PENDING\\..*`);
  let compiled: RegExp;
  try {
    compiled = new RegExp(`^(?:${filter})$`);
  } catch (error) {
    throw bad(`The filter is not a valid regular expression: ${(error as Error).message}`);
  }
  if (compiledFilters.size >= 1_000) compiledFilters.clear();
  compiledFilters.set(filter, compiled);
  return compiled;
}

/** Compiled filters, since every published event is matched against every subscription of its topic. */
const compiledFilters = new Map<string, RegExp>();

/** Checks a webhook endpoint: an absolute https URL without credentials (the address is checked again when connecting). */
export function checkEndpoint(endpoint: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw bad('webHookConfig.endpoint must be an absolute https URL.');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) throw bad('webHookConfig.endpoint must use https: ESS delivers over TLS only.');
  if (url.username || url.password) throw bad('webHookConfig.endpoint must not contain credentials.');
  if (endpoint.length > 2048) throw bad('webHookConfig.endpoint is longer than 2048 characters.');
  return url.toString();
}

/** The topics the token's scopes make visible. */
export function visibleTopics(scopes: readonly string[]): string[] {
  return TOPICS.filter((topic) => scopes.includes(topic.scope)).map((topic) => topic.name);
}

/** The app's subscriptions, by id. */
export async function listSubscriptions(db: Executor, appId: string): Promise<PublicWebhookSubscription[]> {
  const rows = await db.selectFrom('subscriptions').selectAll().where('app_id', '=', appId).orderBy('id').execute();
  return rows.map(toPublic);
}

/** One of the app's subscriptions; 404 when it does not exist or belongs to another app. */
export async function getSubscription(db: Executor, appId: string, id: string): Promise<PublicWebhookSubscription> {
  const row = await db.selectFrom('subscriptions').selectAll().where('id', '=', id).where('app_id', '=', appId).executeTakeFirst();
  if (!row) throw new ConcurApiError(404, 'notFound', `Subscription '${id}' not found.`);
  return toPublic(row);
}

/**
 * Creates or replaces (upsert by id) a subscription of the app. `companyIds` and `groups` are not the
 * caller's to set: a new subscription starts empty and companies are added as they connect (never
 * retroactively); a replaced one keeps its own.
 */
export async function saveSubscription(db: Executor, appId: string, scopes: readonly string[], input: SubscriptionInput, options: { allowHttp: boolean }): Promise<void> {
  if (!SUBSCRIPTION_ID.test(input.id)) throw bad('The subscription id may contain only lower-case letters, digits, "." and "-" (at most 100).');
  if (!TOPICS.some((topic) => topic.name === input.topic)) throw bad(`Unknown topic "${input.topic}". GET /events/v4/topics lists the topics you may use.`);
  if (!visibleTopics(scopes).includes(input.topic)) throw new ConcurApiError(403, 'permissionDenied', `Subscribing to ${input.topic} needs the scope ${TOPICS.find((t) => t.name === input.topic)!.scope}.`);
  const filter = input.filter === undefined || input.filter === '' ? '.*' : input.filter;
  compileFilter(filter);
  const endpoint = checkEndpoint(input.webHookConfig.endpoint, options.allowHttp);
  const now = Date.now();
  const existing = await db.selectFrom('subscriptions').select(['app_id']).where('id', '=', input.id).executeTakeFirst();
  if (existing && existing.app_id !== appId) throw new ConcurApiError(409, 'conflict', `The subscription id '${input.id}' is already used by another application; ids are unique across ESS.`);
  if (existing) {
    await db.updateTable('subscriptions').set({ topic: input.topic, filter, endpoint, updated_at: now }).where('id', '=', input.id).execute();
    return;
  }
  const count = await db.selectFrom('subscriptions').select((eb) => eb.fn.countAll<number>().as('n')).where('app_id', '=', appId).executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_SUBSCRIPTIONS_PER_APP) throw bad(`An application may have at most ${MAX_SUBSCRIPTIONS_PER_APP} subscriptions; delete one first.`);
  await db.insertInto('subscriptions').values({ id: input.id, app_id: appId, topic: input.topic, filter, endpoint, company_ids: '[]', groups: '[]', created_at: now, updated_at: now }).execute();
}

/**
 * Deletes a subscription and ends its pending deliveries in the same transaction, so that nothing
 * queued for it reaches whoever creates a subscription with the same id later.
 */
export async function deleteSubscription(db: Executor, appId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('subscriptions').where('id', '=', id).where('app_id', '=', appId).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new ConcurApiError(404, 'notFound', `Subscription '${id}' not found.`);
  await db
    .updateTable('deliveries')
    .set({ status: 'FAILED', last_error: 'The subscription was deleted.', completed_at: Date.now() })
    .where('subscription_id', '=', id)
    .where('status', '=', 'PENDING')
    .execute();
}

async function editMembership(db: Executor, appId: string, edit: (row: SubscriptionRow) => { companyIds: string[]; groups: string[] }): Promise<void> {
  const rows = await db.selectFrom('subscriptions').selectAll().where('app_id', '=', appId).execute();
  for (const row of rows) {
    const next = edit(row);
    await db.updateTable('subscriptions').set({ company_ids: JSON.stringify(next.companyIds), groups: JSON.stringify(next.groups), updated_at: Date.now() }).where('id', '=', row.id).execute();
  }
}

/**
 * A company connected to the app: its id joins the app's existing subscriptions, with the travel
 * agency offices that name the app (Request events carry the agency in `groups`).
 */
export async function companyConnected(db: Executor, appId: string, companyId: string): Promise<void> {
  const agencies = (await db.selectFrom('travel_agencies').select('id').where('company_id', '=', companyId).where('app_id', '=', appId).execute()).map((a) => a.id);
  await editMembership(db, appId, (row) => {
    const companyIds = JSON.parse(row.company_ids) as string[];
    const groups = JSON.parse(row.groups) as string[];
    return { companyIds: [...new Set([...companyIds, companyId])], groups: [...new Set([...groups, ...agencies])] };
  });
}

/** A company disconnected from the app: its id leaves the app's subscriptions, and delivery for it stops. */
export async function companyDisconnected(db: Executor, appId: string, companyId: string): Promise<void> {
  const agencies = new Set((await db.selectFrom('travel_agencies').select('id').where('company_id', '=', companyId).execute()).map((a) => a.id));
  await editMembership(db, appId, (row) => ({
    companyIds: (JSON.parse(row.company_ids) as string[]).filter((id) => id !== companyId),
    groups: (JSON.parse(row.groups) as string[]).filter((group) => !agencies.has(group)),
  }));
}

/** Whether a subscription wants an event: company, groups (when the subscription has any) and filter. */
export function matches(subscription: { companyIds: readonly string[]; groups: readonly string[]; filter: RegExp }, event: { companyId: string; groups: readonly string[]; eventType: string }): boolean {
  const companyOk = subscription.companyIds.includes('.*') || subscription.companyIds.includes(event.companyId);
  const groupsOk = subscription.groups.length === 0 || event.groups.some((group) => subscription.groups.includes(group));
  return companyOk && groupsOk && subscription.filter.test(event.eventType);
}

const subscriptionsOfTopic = prepareQuery<[string], Pick<SubscriptionRow, 'id' | 'filter' | 'company_ids' | 'groups'>>((db, slot) =>
  db.selectFrom('subscriptions').select(['id', 'filter', 'company_ids', 'groups']).where('topic', '=', slot(0)),
);

/**
 * Writes one pending delivery per subscription that matches the event, in the caller's transaction
 * (the one that writes the event), so an event and its deliveries exist together or not at all.
 */
export async function enqueueDeliveries(
  db: Executor,
  event: { seq: number; topic: string; companyId: string; groups: readonly string[]; eventType: string; orderingKey: string; publishedAt: number },
): Promise<number> {
  const { rows } = await subscriptionsOfTopic.execute(db, [event.topic]);
  const matching = rows.filter((row) =>
    matches({ companyIds: JSON.parse(row.company_ids) as string[], groups: JSON.parse(row.groups) as string[], filter: compileFilter(row.filter) }, event),
  );
  if (matching.length === 0) return 0;
  await db
    .insertInto('deliveries')
    .values(
      matching.map((row) => ({
        event_seq: event.seq,
        subscription_id: row.id,
        ordering_key: event.orderingKey,
        status: 'PENDING' as const,
        attempts: 0,
        next_attempt_at: event.publishedAt,
        lease_owner: null,
        lease_expires_at: null,
        last_status: null,
        last_error: null,
        published_at: event.publishedAt,
        expires_at: event.publishedAt + RETENTION_MS,
        completed_at: null,
      })),
    )
    .execute();
  return matching.length;
}
