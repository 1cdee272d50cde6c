/**
 * The Event Notification queue (spec §3.1): a request entering an External Validation step whose
 * connector is configured to notify gets one row in `notifications`, written in the transaction of the
 * workflow transition, so a transition and its notification commit (or roll back) together. The
 * notification worker posts the rows first come, first served per company; a 200 deletes the row, too
 * many failures mark it FAILED, where the connector owner finds it through the failed-notification API
 * (§3.4) and deletes it, or an administrator puts it back in the queue.
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { NOTIFICATIONS_API_PATH, buildNotification, notificationEventType, type FailedNotificationInput, type NotificationObjectType } from '@patchbay/callout-xml';
import type { NotificationsTable } from '../store/schema.ts';
import type { Executor } from '../store/store.ts';
import type { ServiceId, ServiceSettings } from '../connectors/services.ts';

/** A row of the queue. */
export type NotificationRow = Selectable<NotificationsTable>;

/** The two statuses a queued notification can have (a delivered one is deleted). */
export const NOTIFICATION_STATUSES = ['PENDING', 'FAILED'] as const;

/** One of `NOTIFICATION_STATUSES`. */
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/**
 * The services that notify, in the order they are preferred when a connector has both configured: for a
 * request Concur names the service "External Report Validation"; "Send Notification" is the Expense name
 * of the same callout, accepted too.
 */
export const NOTIFICATION_SERVICES = ['external-report-validation', 'send-notification'] as const satisfies readonly ServiceId[];

/** One of `NOTIFICATION_SERVICES`. */
export type NotificationService = (typeof NOTIFICATION_SERVICES)[number];

/**
 * The step a request's notification is for. Concur Request has a single "Submit" check box on the
 * External Report Validation service (spec §0, §3.1: "for Request, the 'Submit' check box"), i.e. the
 * "External Validation - Submit" step, and the spec's EventType is "... Workflow Step - <step name>" with
 * `SUBMIT` as its example, so every request notification is `... Workflow Step - SUBMIT` whatever name the
 * admin gave the External Validation step (that name is a display label, not a Concur step name).
 */
export const REQUEST_NOTIFICATION_STEP = 'SUBMIT';

/** The Content-Type of the notification POST (the spec shows none; the other callouts send this one). */
export const NOTIFICATION_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** Ids in NotificationURI are UUIDs; anything else in the path is a malformed id. */
export const NOTIFICATION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What `queueNotification` needs to know about the transition. */
export interface QueueNotificationInput {
  companyId: string;
  requestId: string;
  /** The workflow of the step entered (the service's settings tick steps per workflow). */
  workflowId: string;
  /** The step's application connector. */
  connectorId: string;
  /** patchbay's public URL: the ObjectURI points under it. */
  publicUrl: string;
  /** When the request entered the step (epoch ms); the notification's EventDateTime. */
  now: number;
}

/** The notifying service of a connector, if one is usable and ticks `workflowId`'s Submit step. */
export async function notifyingService(db: Executor, companyId: string, connectorId: string, workflowId: string): Promise<NotificationService | null> {
  // The same rule as `findUsableService` (Verified connector, active service, endpoint set), without
  // opening the password: queueing needs only to know whether the connector is to be notified.
  const rows = await db
    .selectFrom('connector_services')
    .innerJoin('connectors', 'connectors.id', 'connector_services.connector_id')
    .select(['connector_services.service', 'connector_services.settings'])
    .where('connectors.id', '=', connectorId)
    .where('connectors.company_id', '=', companyId)
    .where('connectors.verified', '=', true)
    .where('connector_services.active', '=', true)
    .where('connector_services.endpoint', 'is not', null)
    .where('connector_services.service', 'in', [...NOTIFICATION_SERVICES])
    .execute();
  for (const service of NOTIFICATION_SERVICES) {
    const row = rows.find((r) => r.service === service);
    if (row && ticksSubmit(row.settings, workflowId)) return service;
  }
  return null;
}

/** Whether a notification service's settings tick the Submit step of `workflowId`. */
function ticksSubmit(settingsText: string, workflowId: string): boolean {
  let settings: Partial<ServiceSettings<'external-report-validation'>>;
  try {
    settings = JSON.parse(settingsText) as Partial<ServiceSettings<'external-report-validation'>>;
  } catch {
    return false;
  }
  const workflows = Array.isArray(settings.workflows) ? settings.workflows : [];
  return workflows.some(
    (w) => typeof w?.workflowId === 'string' && w.workflowId.toLowerCase() === workflowId.toLowerCase() && Array.isArray(w.steps) && w.steps.includes(REQUEST_NOTIFICATION_STEP),
  );
}

/**
 * Queues the Event Notification of a request that entered an External Validation step, in the caller's
 * transaction, when the step's connector has a usable notification service ticking the workflow's Submit
 * step. Returns the row, or null when the connector is not to be notified (the request then simply waits
 * at the step, as in Concur, where the step is configured on the connector).
 */
export async function queueNotification(db: Executor, input: QueueNotificationInput): Promise<NotificationRow | null> {
  const service = await notifyingService(db, input.companyId, input.connectorId, input.workflowId);
  if (service === null) return null;
  const objectType: NotificationObjectType = 'TRAVELREQ';
  return db
    .insertInto('notifications')
    .values({
      id: randomUUID(),
      company_id: input.companyId,
      connector_id: input.connectorId,
      service,
      request_id: input.requestId,
      event_type: notificationEventType(REQUEST_NOTIFICATION_STEP),
      object_type: objectType,
      // The spec's Request example points at Request v1 (decommissioned in 2023); patchbay serves the
      // request where Request v4 has it, which an external-system token may GET (and then approve).
      object_uri: `${input.publicUrl}/travelrequest/v4/requests/${input.requestId}`,
      // Concur's Context is "usually empty": posted as <Context/>, listed as nil.
      context: null,
      status: 'PENDING',
      attempts: 0,
      next_attempt_at: input.now,
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      created_at: input.now,
      failed_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * The exact XML posted for a notification (spec §3.2): built from the stored fields each time, with the
 * date the request entered the step as `EventDateTime` (`YYYY-MM-DD`, UTC).
 */
export function notificationBody(row: Pick<NotificationRow, 'event_type' | 'object_type' | 'object_uri' | 'created_at' | 'context'>): string {
  return buildNotification({
    eventType: row.event_type,
    objectType: row.object_type as NotificationObjectType,
    objectUri: row.object_uri,
    eventDateTime: new Date(Number(row.created_at)),
    context: row.context ?? '',
  });
}

/** The notification's own URI, which the connector owner DELETEs (spec §3.4). */
export function notificationUri(publicUrl: string, id: string): string {
  return `${publicUrl}${NOTIFICATIONS_API_PATH}/${id}`;
}

/** A row as an entry of the failed-notification listing (`EventDateTime` as UTC `YYYY-MM-DDThh:mm:ss`). */
export function toFailedNotification(row: NotificationRow, publicUrl: string): FailedNotificationInput {
  return {
    context: row.context,
    eventDateTime: new Date(Number(row.created_at)),
    eventType: row.event_type,
    notificationUri: notificationUri(publicUrl, row.id),
    objectType: row.object_type as NotificationObjectType,
    objectUri: row.object_uri,
  };
}

/** The company's notifications in queue order (`seq`), optionally of one status, at most `limit`. */
export async function listNotifications(db: Executor, companyId: string, options: { status?: NotificationStatus | undefined; limit: number }): Promise<NotificationRow[]> {
  let query = db.selectFrom('notifications').selectAll().where('company_id', '=', companyId);
  if (options.status !== undefined) query = query.where('status', '=', options.status);
  return query.orderBy('seq').limit(options.limit).execute();
}

/** Deletes one of the company's notifications (any status); false when it has no such notification. */
export async function deleteNotification(db: Executor, companyId: string, id: string): Promise<boolean> {
  if (!NOTIFICATION_ID_PATTERN.test(id)) return false;
  const result = await db.deleteFrom('notifications').where('company_id', '=', companyId).where('id', '=', id.toLowerCase()).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** What `retryNotification` did. */
export type RetryOutcome = { kind: 'retried'; row: NotificationRow } | { kind: 'not-found' } | { kind: 'not-failed'; status: NotificationStatus };

/**
 * Puts a FAILED notification back in the queue at its original place (its `seq` is kept, so it goes
 * before the company's later notifications), with its attempts reset and due now.
 */
export async function retryNotification(db: Executor, companyId: string, id: string, now: number): Promise<RetryOutcome> {
  if (!NOTIFICATION_ID_PATTERN.test(id)) return { kind: 'not-found' };
  const row = await db
    .updateTable('notifications')
    .set({ status: 'PENDING', attempts: 0, next_attempt_at: now, failed_at: null, last_error: null, lease_owner: null, lease_expires_at: null })
    .where('company_id', '=', companyId)
    .where('id', '=', id.toLowerCase())
    .where('status', '=', 'FAILED')
    .returningAll()
    .executeTakeFirst();
  if (row) return { kind: 'retried', row };
  const existing = await db.selectFrom('notifications').select('status').where('company_id', '=', companyId).where('id', '=', id.toLowerCase()).executeTakeFirst();
  return existing ? { kind: 'not-failed', status: existing.status } : { kind: 'not-found' };
}
