/**
 * Event Notification (spec §3): the `Notification` patchbay POSTs to a connector when a report or request
 * enters an External Validation step (§3.2), and the failed-notification listing of
 * `GET /api/platform/notifications/v1.0/notification?status=FAILED` in its XML and JSON forms (§3.4).
 *
 * The two formats look alike but differ: the callout has no namespace, the order EventType, ObjectType,
 * ObjectURI, EventDateTime, Context and a date-only `EventDateTime` (`2012-05-01`); the listing has the
 * namespace `http://www.concursolutions.com/api/notification/2012/06`, alphabetical element order (Context,
 * EventDateTime, EventType, NotificationURI, ObjectType, ObjectURI: a .NET DataContract serializer's order),
 * a date-time (`2012-11-14T19:45:25`) and `i:nil="true"` for a missing Context.
 */
import { CalloutContractError, ContractViolation, failure, guard, quote } from './result.ts';
import type { ParseFailure } from './result.ts';
import { childrenNamed, isNil, leafText, onlyChildren, optionalLeaf, readDocument, requiredLeaf, singleChild } from './read.ts';
import { DEFAULT_MAX_XML_BYTES, stripIllegalXmlChars, xmlElement } from './xml.ts';
import type { XmlElement, XmlParseOptions } from './xml.ts';

/** `EventType` is this prefix followed by the workflow step's name, e.g. `... - SUBMIT`. */
export const NOTIFICATION_EVENT_TYPE_PREFIX = 'Report Entered Expense Report Workflow Step - ';

/** The namespace of the failed-notification listing. */
export const NOTIFICATION_LIST_NAMESPACE = 'http://www.concursolutions.com/api/notification/2012/06';

/** The XML Schema instance namespace, bound to `i` in the listing (for `i:nil`). */
export const XML_SCHEMA_INSTANCE_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';

/** The path of the notifications API: `GET {path}?status=FAILED`, `DELETE {path}/{notificationID}`. */
export const NOTIFICATIONS_API_PATH = '/api/platform/notifications/v1.0/notification';

/** `EXPRPT` for an expense report, `TRAVELREQ` for a (travel) request. */
export type NotificationObjectType = 'EXPRPT' | 'TRAVELREQ';

const OBJECT_TYPES: readonly string[] = ['EXPRPT', 'TRAVELREQ'];

/** The `EventType` for a workflow step, e.g. `notificationEventType('SUBMIT')`. */
export function notificationEventType(stepName: string): string {
  return `${NOTIFICATION_EVENT_TYPE_PREFIX}${stepName}`;
}

/** A `Notification` callout, as parsed. */
export interface Notification {
  /** `Report Entered Expense Report Workflow Step - {step}`. */
  eventType: string;
  objectType: NotificationObjectType;
  /** The object to GET next (the report's or request's URI). */
  objectUri: string;
  /** `YYYY-MM-DD` in the callout (a date-time is tolerated when parsing, and returned as sent). */
  eventDateTime: string;
  /** Free text, usually empty. */
  context: string;
}

/** What `buildNotification` takes. A `Date` is written as its UTC date. */
export interface NotificationInput {
  eventType: string;
  objectType: NotificationObjectType;
  objectUri: string;
  eventDateTime: string | Date;
  context?: string;
}

/** A date-only `YYYY-MM-DD` string that names a real calendar day. */
function isCalendarDate(value: string): boolean {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `YYYY-MM-DDThh:mm:ss`, a real day and time. */
function isLocalDateTime(value: string): boolean {
  const match = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})$/.exec(value);
  return match !== null && isCalendarDate(match[1] ?? '') && Number(match[2]) < 24 && Number(match[3]) < 60 && Number(match[4]) < 60;
}

/** Accepted when parsing: a date, or a date-time with optional fraction and zone. */
function isDateOrDateTime(value: string): boolean {
  const match = /^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:T([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$/.exec(value);
  if (!match) return false;
  return match[2] === undefined ? isCalendarDate(match[1] ?? '') : isLocalDateTime(`${match[1]}T${match[2]}`);
}

function requiredText(value: unknown, where: string, name: string): string {
  if (typeof value !== 'string') throw new CalloutContractError(`${where}: ${name} must be a string`);
  const text = stripIllegalXmlChars(value);
  if (text.trim() === '') throw new CalloutContractError(`${where}: ${name} is required`);
  return text;
}

function objectType(value: unknown, where: string): NotificationObjectType {
  if (typeof value !== 'string' || !OBJECT_TYPES.includes(value)) throw new CalloutContractError(`${where}: objectType must be EXPRPT or TRAVELREQ`);
  return value as NotificationObjectType;
}

/**
 * Builds the `Notification` body POSTed to the connector: the spec's prolog
 * `<?xml version="1.0" encoding="UTF-8" ?>`, then `EventType`, `ObjectType`, `ObjectURI`, `EventDateTime`
 * (`YYYY-MM-DD`) and `Context` (`<Context/>` when empty), no namespace. Throws `CalloutContractError` for a
 * missing value, an unknown object type, or a date that is not a real `YYYY-MM-DD` day.
 */
export function buildNotification(input: NotificationInput): string {
  const where = 'Notification';
  const eventDateTime = input.eventDateTime instanceof Date ? utcDate(input.eventDateTime) : input.eventDateTime;
  if (typeof eventDateTime !== 'string' || !isCalendarDate(eventDateTime)) {
    throw new CalloutContractError(`${where}: eventDateTime must be a YYYY-MM-DD date`);
  }
  const context = input.context ?? '';
  if (typeof context !== 'string') throw new CalloutContractError(`${where}: context must be a string`);
  return [
    '<?xml version="1.0" encoding="UTF-8" ?>',
    '<Notification>',
    xmlElement('EventType', requiredText(input.eventType, where, 'eventType')),
    xmlElement('ObjectType', objectType(input.objectType, where)),
    xmlElement('ObjectURI', requiredText(input.objectUri, where, 'objectUri')),
    xmlElement('EventDateTime', eventDateTime),
    xmlElement('Context', context),
    '</Notification>',
  ].join('');
}

function utcDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new CalloutContractError('eventDateTime is an invalid Date');
  return date.toISOString().slice(0, 10);
}

function utcDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new CalloutContractError('eventDateTime is an invalid Date');
  return date.toISOString().slice(0, 19);
}

/** The result of `parseNotification`. */
export type NotificationResult = { ok: true; notification: Notification } | ParseFailure;

function readObjectType(value: string, where: string): NotificationObjectType {
  if (!OBJECT_TYPES.includes(value)) throw new ContractViolation('invalid', `${where}: <ObjectType> must be EXPRPT or TRAVELREQ, not ${quote(value)}`);
  return value as NotificationObjectType;
}

function nonEmpty(element: XmlElement, where: string, name: string): string {
  const value = requiredLeaf(element, where, name);
  if (value === '') throw new ContractViolation('invalid', `${where}: <${name}> is empty`);
  return value;
}

function readDate(value: string, where: string): string {
  if (!isDateOrDateTime(value)) throw new ContractViolation('invalid', `${where}: <EventDateTime> is not a date: ${quote(value)}`);
  return value;
}

/**
 * Parses a `Notification` callout (the connector side). `EventType`, `ObjectType` (EXPRPT or TRAVELREQ),
 * `ObjectURI` and `EventDateTime` must be present and not empty; `EventDateTime` must be a real date
 * (`YYYY-MM-DD`; a date-time is tolerated and returned as sent); `Context` may be empty or absent (`''`). A
 * namespace on the root is tolerated; element order is not checked. Never throws.
 */
export function parseNotification(xml: string | Uint8Array, options: XmlParseOptions = {}): NotificationResult {
  return guard(() => {
    const root = readDocument(xml, options, 'Notification');
    const where = 'Notification';
    const notification: Notification = {
      eventType: nonEmpty(root, where, 'EventType'),
      objectType: readObjectType(requiredLeaf(root, where, 'ObjectType'), where),
      objectUri: nonEmpty(root, where, 'ObjectURI'),
      eventDateTime: readDate(nonEmpty(root, where, 'EventDateTime'), where),
      context: optionalLeaf(root, where, 'Context') ?? '',
    };
    return { ok: true, notification };
  });
}

/** One entry of the failed-notification listing. */
export interface FailedNotification {
  /** `null` when absent (`<Context i:nil="true"/>` in XML, `null` in JSON). */
  context: string | null;
  /** `YYYY-MM-DDThh:mm:ss`, e.g. `2012-11-14T19:45:25`. */
  eventDateTime: string;
  eventType: string;
  /** The notification's own URI: DELETE it to remove the notification. */
  notificationUri: string;
  objectType: NotificationObjectType;
  objectUri: string;
}

/** What the listing builders take. A `Date` is written as UTC `YYYY-MM-DDThh:mm:ss`. */
export interface FailedNotificationInput extends Omit<FailedNotification, 'eventDateTime' | 'context'> {
  eventDateTime: string | Date;
  context?: string | null;
}

function checkFailed(entry: FailedNotificationInput, index: number): FailedNotification {
  const where = `notification ${index + 1}`;
  const eventDateTime = entry.eventDateTime instanceof Date ? utcDateTime(entry.eventDateTime) : entry.eventDateTime;
  if (typeof eventDateTime !== 'string' || !isLocalDateTime(eventDateTime)) {
    throw new CalloutContractError(`${where}: eventDateTime must be YYYY-MM-DDThh:mm:ss`);
  }
  const context = entry.context ?? null;
  if (context !== null && typeof context !== 'string') throw new CalloutContractError(`${where}: context must be a string or null`);
  return {
    context: context === null ? null : stripIllegalXmlChars(context),
    eventDateTime,
    eventType: requiredText(entry.eventType, where, 'eventType'),
    notificationUri: requiredText(entry.notificationUri, where, 'notificationUri'),
    objectType: objectType(entry.objectType, where),
    objectUri: requiredText(entry.objectUri, where, 'objectUri'),
  };
}

/**
 * Builds the XML answer of `GET .../notification?status=FAILED`: root `NotificationList` in the documented
 * namespace (with `i` bound to XML Schema instance), one `Notification` per entry with `Context`
 * (`<Context i:nil="true"/>` when null), `EventDateTime`, `EventType`, `NotificationURI`, `ObjectType`,
 * `ObjectURI` in that (the example's) order. Throws `CalloutContractError` for invalid entries.
 */
export function buildFailedNotificationsXml(notifications: readonly FailedNotificationInput[]): string {
  const open = `<NotificationList xmlns="${NOTIFICATION_LIST_NAMESPACE}" xmlns:i="${XML_SCHEMA_INSTANCE_NAMESPACE}"`;
  const prolog = '<?xml version="1.0" encoding="utf-8"?>';
  if (notifications.length === 0) return `${prolog}${open}/>`;
  const parts = [prolog, `${open}>`];
  notifications.forEach((entry, index) => {
    const n = checkFailed(entry, index);
    parts.push(
      '<Notification>',
      n.context === null ? '<Context i:nil="true"/>' : xmlElement('Context', n.context),
      xmlElement('EventDateTime', n.eventDateTime),
      xmlElement('EventType', n.eventType),
      xmlElement('NotificationURI', n.notificationUri),
      xmlElement('ObjectType', n.objectType),
      xmlElement('ObjectURI', n.objectUri),
      '</Notification>',
    );
  });
  parts.push('</NotificationList>');
  return parts.join('');
}

/**
 * Builds the JSON answer of `GET .../notification?status=FAILED` (`Accept: application/json`): an array of
 * objects with the XML's element names as keys, in the same order; a missing context is `null`.
 */
export function buildFailedNotificationsJson(notifications: readonly FailedNotificationInput[]): string {
  return JSON.stringify(
    notifications.map((entry, index) => {
      const n = checkFailed(entry, index);
      return {
        Context: n.context,
        EventDateTime: n.eventDateTime,
        EventType: n.eventType,
        NotificationURI: n.notificationUri,
        ObjectType: n.objectType,
        ObjectURI: n.objectUri,
      };
    }),
  );
}

/** The result of the listing parsers. */
export type FailedNotificationsResult = { ok: true; notifications: FailedNotification[] } | ParseFailure;

/**
 * Parses the XML failed-notification listing. The spec's own text disagrees with its example in two names;
 * both spellings are accepted: root `NotificationList` (example) or `NotificationsList` (text), and
 * `NotificationURI` (example) or `NotificationURL` (table). The namespace is not required. Each notification
 * needs non-empty `EventDateTime` (a date or date-time), `EventType`, `NotificationURI`, `ObjectType`,
 * `ObjectURI`; `Context` may be nil, absent (both `null`) or text. Never throws.
 */
export function parseFailedNotificationsXml(xml: string | Uint8Array, options: XmlParseOptions = {}): FailedNotificationsResult {
  return guard(() => {
    const root = readDocument(xml, options, 'NotificationList', 'NotificationsList');
    onlyChildren(root, root.localName, 'Notification');
    const notifications = childrenNamed(root, 'Notification').map((element, index): FailedNotification => {
      const where = `notification ${index + 1}`;
      const contextElement = singleChild(element, where, 'Context');
      const uri = optionalLeaf(element, where, 'NotificationURI', 'NotificationURL');
      if (!uri) throw new ContractViolation('invalid', `${where}: <NotificationURI> is missing or empty`);
      return {
        context: contextElement === undefined || isNil(contextElement) ? null : leafText(contextElement, where),
        eventDateTime: readDate(nonEmpty(element, where, 'EventDateTime'), where),
        eventType: nonEmpty(element, where, 'EventType'),
        notificationUri: uri,
        objectType: readObjectType(requiredLeaf(element, where, 'ObjectType'), where),
        objectUri: nonEmpty(element, where, 'ObjectURI'),
      };
    });
    return { ok: true, notifications };
  });
}

/**
 * Parses the JSON failed-notification listing: an array of objects keyed like the XML elements
 * (`NotificationURL` accepted for `NotificationURI`), with the same rules as the XML parser. `json` is a
 * string or UTF-8 bytes, at most `maxBytes` (default 2 MiB). Never throws.
 */
export function parseFailedNotificationsJson(json: string | Uint8Array, options: { maxBytes?: number } = {}): FailedNotificationsResult {
  return guard(() => {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
    let text: string;
    if (typeof json === 'string') {
      if (json.length > maxBytes || new TextEncoder().encode(json).byteLength > maxBytes) {
        return failure('too-large', `the document is over the ${maxBytes}-byte limit`);
      }
      text = json;
    } else {
      if (json.byteLength > maxBytes) return failure('too-large', `the document is ${json.byteLength} bytes, over the ${maxBytes}-byte limit`);
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(json);
      } catch {
        return failure('malformed', 'the document is not valid UTF-8');
      }
    }
    if (/^\s*</.test(text)) {
      return /^\s*<(!doctype\s+html|html[\s>])/i.test(text) ? failure('html', 'the document is an HTML page, not JSON') : failure('malformed', 'the document is XML or HTML, not JSON');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return failure('malformed', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!Array.isArray(parsed)) return failure('invalid', 'the listing must be a JSON array');
    const notifications = parsed.map((entry: unknown, index): FailedNotification => {
      const where = `notification ${index + 1}`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ContractViolation('invalid', `${where} is not an object`);
      const record = entry as Record<string, unknown>;
      const string = (key: string, ...aliases: string[]): string => {
        const value = [key, ...aliases].map((k) => (Object.hasOwn(record, k) ? record[k] : undefined)).find((v) => v !== undefined);
        // Only XML's whitespace is trimmed, as the XML listing's reader does, so both listings read alike.
        const text = typeof value === 'string' ? value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '') : '';
        if (text === '') throw new ContractViolation('invalid', `${where}: "${key}" must be a non-empty string`);
        return text;
      };
      const context = Object.hasOwn(record, 'Context') ? record['Context'] : null;
      if (context !== null && typeof context !== 'string') throw new ContractViolation('invalid', `${where}: "Context" must be a string or null`);
      return {
        context,
        eventDateTime: readDate(string('EventDateTime'), where),
        eventType: string('EventType'),
        notificationUri: string('NotificationURI', 'NotificationURL'),
        objectType: readObjectType(string('ObjectType'), where),
        objectUri: string('ObjectURI'),
      };
    });
    return { ok: true, notifications };
  });
}
