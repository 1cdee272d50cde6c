/**
 * Event Notification management (spec §3.4), at Concur's paths: `GET
 * /api/platform/notifications/v1.0/notification?status=FAILED` lists the token's company's failed
 * notifications (XML by default, JSON on `Accept: application/json`), and `DELETE
 * .../notification/{notificationID}` deletes one. Company tokens and user tokens of a Company Admin or
 * Web Services Administrator (Professional) or a Can Administer user (Standard) may call them. Also the
 * console's view of a company's queue, under /api/companies/{companyId}/notifications, with a retry that
 * puts a FAILED notification back at its place in the queue.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { NOTIFICATIONS_API_PATH, buildFailedNotificationsJson, buildFailedNotificationsXml } from '@patchbay/callout-xml';
import { ConcurApiError, concurErrorHandler } from '../http/concur-errors.ts';
import { PatchbayError, notFound } from '../http/errors.ts';
import { errorResponses, Uuid } from '../http/schemas.ts';
import { ADMIN_ROLES, type Role } from '../identity/principal.ts';
import { authenticate } from '../identity/sessions.ts';
import type { TokenGuard } from '../identity/token-guard.ts';
import type { VerifiedToken } from '../identity/tokens.ts';
import { findCompanyFor, getCompany, type Company } from '../companies/companies.ts';
import { connectorPermission } from '../companies/permissions.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Store } from '../store/store.ts';
import {
  NOTIFICATION_ID_PATTERN, NOTIFICATION_STATUSES, deleteNotification, listNotifications, retryNotification, toFailedNotification,
  type NotificationRow,
} from './notifications.ts';

/** What the routes need. */
export interface NotificationRouteDeps {
  store: Store;
  guard: TokenGuard;
  /** patchbay's public URL: NotificationURI points under it. */
  publicUrl: string;
}

/**
 * At most this many FAILED notifications are listed, oldest first (Concur documents no paging): the
 * connector owner deletes what it has handled and asks again.
 */
export const FAILED_LIST_LIMIT = 1_000;

/** Whether a user with `roles` may manage a company's notifications; Concur's role rule for §3.4. */
export function notificationApiAllowed(roles: readonly Role[], company: Pick<Company, 'edition'>): boolean {
  // "Company Admin or Web Services Admin (Professional), or Can Administer (Standard)". As for the
  // connector registry, Professional's "any admin role" counts as Company Admin; Developer Sandbox
  // companies follow Standard's rule.
  if (company.edition === 'PROFESSIONAL') return roles.includes('WEB_SERVICES_ADMINISTRATOR') || roles.some((role) => ADMIN_ROLES.includes(role));
  return roles.includes('CAN_ADMINISTER');
}

/** The response type `Accept` asks for: JSON only when it prefers it to XML; XML otherwise (the default). */
export function preferredFormat(accept: string | undefined): 'xml' | 'json' {
  if (!accept) return 'xml';
  let xml = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';').map((piece) => piece.trim());
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (range === 'application/json') json = Math.max(json, q);
    if (range === 'application/xml' || range === 'text/xml' || range === '*/*' || range === 'application/*') xml = Math.max(xml, q);
  }
  return json > xml ? 'json' : 'xml';
}

/** Registers the failed-notification API and the console's queue routes. */
export function notificationRoutes(app: FastifyInstance, deps: NotificationRouteDeps): void {
  const { store, guard, publicUrl } = deps;
  const db = store.db;

  /** The caller's company, if its token may manage notifications (401/403 otherwise). */
  async function tokenCompany(request: FastifyRequest): Promise<string> {
    const token: VerifiedToken = await guard.require(request, { types: ['company', 'user'] });
    const companyId = token.companyId!;
    // A company token stands for the company that connected the application (Concur's "System" user,
    // which the company gives the role); a user token needs the user's own role.
    if (token.type === 'user') {
      const [user, company] = await Promise.all([db.selectFrom('users').select('roles').where('id', '=', token.userId!).executeTakeFirst(), getCompany(db, companyId)]);
      const roles = user ? (JSON.parse(user.roles) as Role[]) : [];
      if (!company || !notificationApiAllowed(roles, company)) {
        throw new ConcurApiError(
          403,
          'permissionDenied',
          'Managing notifications needs the Company Admin or Web Services Administrator role (Professional editions) or the Can Administer permission (Standard editions); ask an administrator of your company to grant it, or use a company token.',
        );
      }
    }
    return companyId;
  }

  const tags = ['Event Notification'];

  app.get(NOTIFICATIONS_API_PATH, { errorHandler: concurErrorHandler, schema: { tags, summary: 'Get Notifications by Status: the company\'s FAILED notifications (XML, or JSON on Accept: application/json)' } }, async (request, reply) => {
    const companyId = await tokenCompany(request);
    const status = (request.query as Record<string, unknown>).status;
    if (status === undefined || status === '') throw new ConcurApiError(400, 'missingRequiredParam', 'The request is missing the required parameter status: use status=FAILED.');
    if (typeof status !== 'string') throw new ConcurApiError(400, 'badParam', 'Give status once: status=FAILED.');
    // Concur's docs: "currently supports failed". A pending notification is still the connector's to
    // receive, not the owner's to manage.
    if (status.toUpperCase() !== 'FAILED') throw new ConcurApiError(400, 'badParam', `The status ${JSON.stringify(status.slice(0, 40))} is not supported: only status=FAILED can be listed.`);
    const rows = await listNotifications(db, companyId, { status: 'FAILED', limit: FAILED_LIST_LIMIT });
    const entries = rows.map((row) => toFailedNotification(row, publicUrl));
    return preferredFormat(request.headers.accept) === 'json'
      ? reply.type('application/json; charset=utf-8').send(buildFailedNotificationsJson(entries))
      : reply.type('application/xml; charset=utf-8').send(buildFailedNotificationsXml(entries));
  });

  app.delete<{ Params: { notificationId: string } }>(`${NOTIFICATIONS_API_PATH}/:notificationId`, { errorHandler: concurErrorHandler, schema: { tags, summary: 'Delete Notification: the URL is the NotificationURI of the listing' } }, async (request, reply) => {
    const companyId = await tokenCompany(request);
    const { notificationId } = request.params;
    if (!NOTIFICATION_ID_PATTERN.test(notificationId)) throw new ConcurApiError(400, 'badParam', `The notification id ${JSON.stringify(notificationId.slice(0, 64))} is malformed: use the NotificationURI from the list of failed notifications.`);
    // Another company's notification is "not found", as an unknown one.
    if (!(await deleteNotification(db, companyId, notificationId))) throw new ConcurApiError(404, 'notFound', `The notification ${notificationId} was not found: it was deleted already, delivered, or is not your company's.`);
    return reply.code(200).send();
  });

  // The console's view of the queue: the connector administrators of the registry.
  async function access(request: FastifyRequest, companyId: string) {
    const principal = await authenticate(db, request);
    const company = await findCompanyFor(db, principal, companyId);
    const permission = connectorPermission(principal, company);
    if (!permission.allowed) throw new PatchbayError('permission_denied', `Managing the company's event notifications needs ${permission.missing}.`);
    return { principal, company };
  }

  const adminTags = ['Application connectors'];
  const CompanyParams = Type.Object({ companyId: Uuid });
  const NotificationParams = Type.Object({ companyId: Uuid, notificationId: Uuid });
  const Status = Type.Union(NOTIFICATION_STATUSES.map((status) => Type.Literal(status)));
  const ListQuery = Type.Object({ status: Type.Optional(Status), limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })) }, { additionalProperties: false });
  const NullableString = Type.Union([Type.String(), Type.Null()]);
  const NotificationSchema = Type.Object({
    id: Type.String(), requestId: Type.String(), connectorId: Type.String(), service: Type.String(), eventType: Type.String(),
    objectUri: Type.String(), status: Status, attempts: Type.Integer(), nextAttemptAt: NullableString,
    lastError: NullableString, createdAt: Type.String(), failedAt: NullableString,
  });

  app.get<{ Params: Static<typeof CompanyParams>; Querystring: Static<typeof ListQuery> }>('/api/companies/:companyId/notifications', { schema: { tags: adminTags, summary: 'The Event Notification queue, in order (status PENDING or FAILED; limit ≤ 1000, default 100)', params: CompanyParams, querystring: ListQuery, response: { 200: Type.Object({ items: Type.Array(NotificationSchema) }), ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { company } = await access(request, request.params.companyId);
    const limit = Math.min(Number(request.query.limit ?? 100), 1_000);
    const rows = await listNotifications(db, company.id, { status: request.query.status, limit });
    return { items: rows.map(toView) };
  });

  app.post<{ Params: Static<typeof NotificationParams> }>('/api/companies/:companyId/notifications/:notificationId/retry', { schema: { tags: adminTags, summary: 'Put a FAILED notification back in the queue, at its original place, with its attempts reset', params: NotificationParams, response: { 200: NotificationSchema, ...errorResponses(401, 403, 404, 409) } } }, async (request) => {
    const { principal, company } = await access(request, request.params.companyId);
    const outcome = await store.transaction(async (trx) => {
      const result = await retryNotification(trx, company.id, request.params.notificationId, Date.now());
      if (result.kind === 'retried') {
        await recordAudit(trx, principal, { companyId: company.id, action: 'notification.retried', targetType: 'notification', targetId: result.row.id, details: { requestId: result.row.request_id, connectorId: result.row.connector_id } });
      }
      return result;
    });
    if (outcome.kind === 'not-found') throw notFound('The notification');
    if (outcome.kind === 'not-failed') throw new PatchbayError('conflict', `The notification is ${outcome.status}, not FAILED: only a failed notification can be put back in the queue.`);
    return toView(outcome.row);
  });
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

/** A queued notification as the console shows it. */
function toView(row: NotificationRow) {
  return {
    id: row.id,
    requestId: row.request_id,
    connectorId: row.connector_id,
    service: row.service,
    eventType: row.event_type,
    objectUri: row.object_uri,
    status: row.status,
    attempts: row.attempts,
    // A FAILED notification is not attempted again until it is retried.
    nextAttemptAt: row.status === 'PENDING' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    createdAt: iso(row.created_at)!,
    failedAt: iso(row.failed_at),
  };
}
