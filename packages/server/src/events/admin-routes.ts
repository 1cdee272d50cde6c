/**
 * Admin API for ESS: subscriptions, their deliveries and attempts, replay, and webhook key rotation.
 * Platform operators see every subscription and delivery, replay events and rotate the signing key.
 * A company's connector administrators (the Manage Application Connectors permission) see the
 * subscriptions their company's events go to, and only the deliveries of their company's events.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { recordAudit } from '../audit/audit-log.ts';
import { getCompany } from '../companies/companies.ts';
import { connectorPermission } from '../companies/permissions.ts';
import { PatchbayError, invalidField, notFound } from '../http/errors.ts';
import { errorResponses } from '../http/schemas.ts';
import type { Principal } from '../identity/principal.ts';
import { authenticate } from '../identity/sessions.ts';
import type { DeliveryRow, SubscriptionRow } from '../store/schema.ts';
import type { Executor, Store } from '../store/store.ts';
import { replayEvents, type ReplaySelection } from './replay.ts';
import type { WebhookSigner } from './webhook-keys.ts';

/** Delivery statuses, in the order the console shows them. */
export const DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED', 'EXPIRED'] as const;
type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const DEFAULT_DELIVERY_LIMIT = 50;
const MAX_DELIVERY_LIMIT = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Counts = Type.Object({ PENDING: Type.Integer(), DELIVERED: Type.Integer(), FAILED: Type.Integer(), EXPIRED: Type.Integer() });
const SubscriptionSchema = Type.Object({
  id: Type.String(),
  applicationId: Type.String(),
  applicationName: Type.String(),
  topic: Type.String(),
  filter: Type.String(),
  endpoint: Type.String(),
  companyIds: Type.Array(Type.String(), { description: 'Company admins see only their own company here (and ".*").' }),
  companies: Type.Array(Type.Object({ id: Type.String(), name: Nullable(Type.String()) })),
  groups: Type.Array(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  counts: Counts,
});
const DeliverySchema = Type.Object({
  id: Type.Integer(),
  subscriptionId: Type.String(),
  eventId: Type.String(),
  eventType: Type.String(),
  /** The short Request ID travelers see (the event's facts.requestId). */
  requestId: Nullable(Type.String()),
  /** The request's 32-character id (the delivery's ordering key). */
  requestUuid: Type.String(),
  companyId: Type.String(),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('DELIVERED'), Type.Literal('FAILED'), Type.Literal('EXPIRED')]),
  attempts: Type.Integer(),
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(Type.String()),
  publishedAt: Type.String(),
  expiresAt: Type.String(),
  completedAt: Nullable(Type.String()),
  /** Whether an earlier delivery of the same event to the same subscription exists (this one is a replay). */
  replay: Type.Boolean(),
});
const AttemptSchema = Type.Object({
  id: Type.Integer(),
  attemptedAt: Type.String(),
  durationMs: Type.Integer(),
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  responseExcerpt: Type.String(),
});
const DeliveryDetailSchema = Type.Object({
  delivery: DeliverySchema,
  subscription: Type.Object({ id: Type.String(), applicationId: Type.String(), topic: Type.String(), endpoint: Nullable(Type.String()) }),
  attempts: Type.Array(AttemptSchema),
  event: Type.Object({
    id: Type.String(),
    seq: Type.Integer(),
    eventType: Type.String(),
    publishedAt: Type.String(),
    /** The event body exactly as it is sent (the bytes `Concur-Signature` signs). */
    json: Type.String(),
    signature: Nullable(Type.String()),
    signatureKid: Nullable(Type.String()),
  }),
});
const ListQuery = Type.Object({ appId: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false });
const DeliveriesQuery = Type.Object(
  { status: Type.Optional(Type.String({ maxLength: 20 })), limit: Type.Optional(Type.String({ maxLength: 10 })), before: Type.Optional(Type.String({ maxLength: 20 })) },
  { additionalProperties: false },
);
const SubscriptionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const DeliveryParams = Type.Object({ deliveryId: Type.String({ minLength: 1, maxLength: 40 }) });
const ReplayBody = Type.Object(
  {
    eventId: Type.Optional(Type.String({ maxLength: 100 })),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);

/** Who is looking: an operator (every company) or a company's connector administrator (that company only). */
interface Viewer {
  principal: Principal;
  /** null for operators. */
  companyId: string | null;
}

/** Registers the ESS administration routes. */
export function essAdminRoutes(app: FastifyInstance, deps: { store: Store; signer: WebhookSigner; onEventsCommitted: () => void }): void {
  const { store } = deps;
  const db = store.db;
  const tags = ['Event Subscription Service administration'];

  async function viewer(request: FastifyRequest): Promise<Viewer> {
    const principal = await authenticate(db, request);
    if (principal.isOperator) return { principal, companyId: null };
    const company = principal.companyId === null ? null : await getCompany(db, principal.companyId);
    if (company === null) throw new PatchbayError('permission_denied', 'Event subscriptions are shown to platform operators and to company administrators.');
    const permission = connectorPermission(principal, company);
    if (!permission.allowed) throw new PatchbayError('permission_denied', `Event subscriptions and their deliveries need ${permission.missing}.`);
    return { principal, companyId: company.id };
  }

  async function operator(request: FastifyRequest, what: string): Promise<Principal> {
    const principal = await authenticate(db, request);
    if (!principal.isOperator) throw new PatchbayError('permission_denied', `${what} needs the platform operator permission.`);
    return principal;
  }

  /** A subscription the viewer may see, or 404. */
  async function visibleSubscription(who: Viewer, id: string): Promise<SubscriptionRow> {
    const row = await db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (who.companyId !== null && !(await companySees(db, who.companyId, [row])).has(row.id))) throw notFound(`The subscription '${id}'`);
    return row;
  }

  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/ess/subscriptions', { schema: { tags, summary: 'Webhook subscriptions with delivery counts (operators: every app, or ?appId=; company admins: those their company\'s events go to)', querystring: ListQuery, response: { 200: Type.Object({ items: Type.Array(SubscriptionSchema) }), ...errorResponses(400, 401, 403) } } }, async (request) => {
    const who = await viewer(request);
    const appId = request.query.appId;
    if (appId !== undefined && !UUID.test(appId)) throw invalidField('appId', 'appId must be an application\'s client ID (a UUID).');
    let query = db.selectFrom('subscriptions').selectAll();
    if (appId !== undefined) query = query.where('app_id', '=', appId.toLowerCase());
    let rows = await query.orderBy('id').execute();
    if (who.companyId !== null) {
      const seen = await companySees(db, who.companyId, rows);
      rows = rows.filter((row) => seen.has(row.id));
    }
    return { items: await describeSubscriptions(db, rows, who.companyId) };
  });

  app.get<{ Params: Static<typeof SubscriptionParams> }>('/api/ess/subscriptions/:id', { schema: { tags, summary: 'One subscription with its delivery counts by status', params: SubscriptionParams, response: { 200: SubscriptionSchema, ...errorResponses(401, 403, 404) } } }, async (request) => {
    const who = await viewer(request);
    const row = await visibleSubscription(who, request.params.id);
    return (await describeSubscriptions(db, [row], who.companyId))[0]!;
  });

  app.get<{ Params: Static<typeof SubscriptionParams>; Querystring: Static<typeof DeliveriesQuery> }>('/api/ess/subscriptions/:id/deliveries', { schema: { tags, summary: 'The subscription\'s deliveries, newest first (filter: status; paging: before, limit ≤ 200)', params: SubscriptionParams, querystring: DeliveriesQuery, response: { 200: Type.Object({ items: Type.Array(DeliverySchema), nextBefore: Nullable(Type.Integer()) }), ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const who = await viewer(request);
    const query = request.query;
    let status: DeliveryStatus | undefined;
    if (query.status !== undefined && query.status !== '') {
      const upper = query.status.toUpperCase();
      if (!(DELIVERY_STATUSES as readonly string[]).includes(upper)) throw invalidField('status', `status must be one of ${DELIVERY_STATUSES.join(', ')}.`);
      status = upper as DeliveryStatus;
    }
    const limit = integerParam(query.limit, 'limit', 1, MAX_DELIVERY_LIMIT) ?? DEFAULT_DELIVERY_LIMIT;
    const before = integerParam(query.before, 'before', 1, Number.MAX_SAFE_INTEGER);
    const row = await visibleSubscription(who, request.params.id);
    let list = deliveryQuery(db).where('d.subscription_id', '=', row.id);
    if (status !== undefined) list = list.where('d.status', '=', status);
    if (who.companyId !== null) list = list.where('e.company_id', '=', who.companyId);
    if (before !== undefined) list = list.where('d.id', '<', before);
    const rows = await list.orderBy('d.id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(toDelivery);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1]!.id : null };
  });

  app.get<{ Params: Static<typeof DeliveryParams> }>('/api/ess/deliveries/:deliveryId', { schema: { tags, summary: 'One delivery with every attempt (status, duration, error, response excerpt) and the exact event JSON', params: DeliveryParams, response: { 200: DeliveryDetailSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const who = await viewer(request);
    const id = integerParam(request.params.deliveryId, 'deliveryId', 1, Number.MAX_SAFE_INTEGER)!;
    let query = deliveryQuery(db).select(['e.payload', 'e.signature', 'e.signature_kid', 'e.created_at as event_created_at']).where('d.id', '=', id);
    if (who.companyId !== null) query = query.where('e.company_id', '=', who.companyId);
    const row = await query.executeTakeFirst();
    if (!row) throw notFound(`The delivery ${id}`);
    const subscription = await db.selectFrom('subscriptions').select(['id', 'app_id', 'topic', 'endpoint']).where('id', '=', row.subscription_id).executeTakeFirst();
    if (who.companyId !== null && !subscription) throw notFound(`The delivery ${id}`);
    const attempts = await db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', id).orderBy('id').execute();
    return {
      delivery: toDelivery(row),
      subscription: subscription
        ? { id: subscription.id, applicationId: subscription.app_id, topic: subscription.topic, endpoint: subscription.endpoint }
        : { id: row.subscription_id, applicationId: '', topic: '', endpoint: null },
      attempts: attempts.map((attempt) => ({
        id: attempt.id,
        attemptedAt: iso(attempt.attempted_at),
        durationMs: Math.round(attempt.duration_ms),
        statusCode: attempt.status_code,
        error: attempt.error,
        responseExcerpt: attempt.response_excerpt,
      })),
      event: {
        id: row.event_id,
        seq: row.event_seq,
        eventType: row.event_type,
        publishedAt: iso(row.event_created_at),
        json: row.payload,
        signature: row.signature,
        signatureKid: row.signature_kid,
      },
    };
  });

  app.post<{ Params: Static<typeof SubscriptionParams>; Body: Static<typeof ReplayBody> }>('/api/ess/subscriptions/:id/replay', { schema: { tags, summary: 'Replay an event ({eventId}) or the events of a time range ({from, to}, ISO 8601) to the subscription, as new deliveries (operators)', params: SubscriptionParams, body: ReplayBody, response: { 200: Type.Object({ replayed: Type.Integer() }), ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const principal = await operator(request, 'Replaying events');
    const selection = readSelection(request.body);
    const result = await store.transaction(async (trx) => {
      const replayed = await replayEvents(trx, request.params.id, selection);
      await recordAudit(trx, principal, {
        companyId: null,
        action: 'ess.replayed',
        targetType: 'subscription',
        targetId: request.params.id,
        details: { ...('eventId' in selection ? { eventId: selection.eventId } : { from: iso(selection.from), to: iso(selection.to) }), replayed: replayed.replayed },
      });
      return replayed;
    });
    if (result.replayed > 0) deps.onEventsCommitted();
    return { replayed: result.replayed };
  });

  app.post('/api/ess/signing-keys/rotate', { schema: { tags, summary: 'Start signing webhook bodies with a new key; the previous key stays published (operators)', response: { 200: Type.Object({ kid: Type.String() }), ...errorResponses(401, 403) } } }, async (request) => {
    const principal = await operator(request, 'Rotating the webhook signing key');
    const kid = await deps.signer.rotate();
    await recordAudit(db, principal, { companyId: null, action: 'ess.signing_key.rotated', targetType: 'webhook_signing_key', targetId: kid, details: {} });
    return { kid };
  });
}

/** Which of `rows` a company's administrators may see: those taking the company's events, or that received some. */
async function companySees(db: Executor, companyId: string, rows: readonly SubscriptionRow[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const row of rows) {
    const companyIds = JSON.parse(row.company_ids) as string[];
    if (companyIds.includes(companyId) || companyIds.includes('.*')) seen.add(row.id);
  }
  const rest = rows.filter((row) => !seen.has(row.id)).map((row) => row.id);
  if (rest.length > 0) {
    const delivered = await db
      .selectFrom('deliveries as d')
      .innerJoin('events as e', 'e.seq', 'd.event_seq')
      .select('d.subscription_id')
      .distinct()
      .where('d.subscription_id', 'in', rest)
      .where('e.company_id', '=', companyId)
      .execute();
    for (const row of delivered) seen.add(row.subscription_id);
  }
  return seen;
}

/** Subscriptions as the admin API shows them, with delivery counts (a company's own deliveries only, for its admins). */
async function describeSubscriptions(db: Executor, rows: readonly SubscriptionRow[], companyId: string | null) {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  let countQuery = db
    .selectFrom('deliveries as d')
    .select(['d.subscription_id', 'd.status'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('d.subscription_id', 'in', ids)
    .groupBy(['d.subscription_id', 'd.status']);
  if (companyId !== null) countQuery = countQuery.innerJoin('events as e', 'e.seq', 'd.event_seq').where('e.company_id', '=', companyId);
  const counts = await countQuery.execute();
  const appIds = [...new Set(rows.map((row) => row.app_id))];
  const apps = new Map((await db.selectFrom('applications').select(['id', 'name']).where('id', 'in', appIds).execute()).map((a) => [a.id, a.name]));
  const allCompanyIds = [...new Set(rows.flatMap((row) => JSON.parse(row.company_ids) as string[]))].filter((id) => id !== '.*');
  const companyNames = new Map(
    allCompanyIds.length === 0 ? [] : (await db.selectFrom('companies').select(['id', 'name']).where('id', 'in', allCompanyIds).execute()).map((c) => [c.id, c.name]),
  );
  return rows.map((row) => {
    const byStatus = { PENDING: 0, DELIVERED: 0, FAILED: 0, EXPIRED: 0 };
    for (const count of counts) if (count.subscription_id === row.id) byStatus[count.status] = Number(count.n);
    // A company's administrators see their own company among the subscribers, not the others.
    const companyIds = (JSON.parse(row.company_ids) as string[]).filter((id) => companyId === null || id === companyId || id === '.*');
    return {
      id: row.id,
      applicationId: row.app_id,
      applicationName: apps.get(row.app_id) ?? row.app_id,
      topic: row.topic,
      filter: row.filter,
      endpoint: row.endpoint,
      companyIds,
      companies: companyIds.map((id) => ({ id, name: companyNames.get(id) ?? null })),
      groups: companyId === null ? (JSON.parse(row.groups) as string[]) : [],
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      counts: byStatus,
    };
  });
}

/** Deliveries joined to their events (and requests, for the short Request ID). */
function deliveryQuery(db: Executor) {
  return db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.seq', 'd.event_seq')
    .leftJoin('requests as r', 'r.id', 'e.request_id')
    .selectAll('d')
    .select(['e.id as event_id', 'e.event_type', 'e.request_id', 'e.company_id', 'r.request_key'])
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('deliveries as p')
            .select('p.id')
            .whereRef('p.subscription_id', '=', 'd.subscription_id')
            .whereRef('p.event_seq', '=', 'd.event_seq')
            .whereRef('p.id', '<', 'd.id'),
        )
        .as('replay'),
    );
}

type DeliveryJoined = DeliveryRow & { event_id: string; event_type: string; request_id: string; company_id: string; request_key: string | null; replay: unknown };

function toDelivery(row: DeliveryJoined): Static<typeof DeliverySchema> {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    requestId: row.request_key,
    requestUuid: row.request_id,
    companyId: row.company_id,
    status: row.status,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'PENDING' ? iso(row.next_attempt_at) : null,
    publishedAt: iso(row.published_at),
    expiresAt: iso(row.expires_at),
    completedAt: row.completed_at === null ? null : iso(row.completed_at),
    replay: row.replay === true || Number(row.replay) === 1,
  };
}

/** `{eventId}` or `{from, to}`, each checked, naming the field at fault. */
function readSelection(body: Static<typeof ReplayBody>): ReplaySelection {
  const hasEvent = body.eventId !== undefined && body.eventId !== '';
  const hasRange = body.from !== undefined || body.to !== undefined;
  if (hasEvent && hasRange) throw invalidField('eventId', 'Give either "eventId" or "from" and "to", not both.');
  if (hasEvent) return { eventId: body.eventId!.trim() };
  if (!hasRange) throw invalidField('eventId', 'Give "eventId" (one event) or "from" and "to" (a time range, ISO 8601).');
  if (body.from === undefined || body.from === '') throw invalidField('from', '"from" is required with "to": the start of the range, e.g. 2025-06-01T00:00:00Z.');
  if (body.to === undefined || body.to === '') throw invalidField('to', '"to" is required with "from": the end of the range, e.g. 2025-06-02T00:00:00Z.');
  const from = dateTimeParam(body.from, 'from');
  const to = dateTimeParam(body.to, 'to');
  if (to <= from) throw invalidField('to', '"to" must be later than "from".');
  return { from, to };
}

/** A whole number query or path parameter from `min` to `max`; undefined when absent. */
function integerParam(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalidField(name, `${name} must be a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}.`);
  return value;
}

/** Epoch milliseconds of an ISO 8601 date-time with a time zone. */
function dateTimeParam(text: string, name: string): number {
  const time = ISO_DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) throw invalidField(name, `"${name}" must be an ISO 8601 date-time with a time zone, e.g. 2025-06-01T00:00:00Z.`);
  return time;
}

function iso(epochMs: number): string {
  return new Date(Number(epochMs)).toISOString();
}
