/**
 * The Request `statusChange` event on `public.concur.request`, typed, with the variants that Concur's
 * documentation and samples show normalized: `subtopic` (samples) and `subTopic` (schema table); the
 * topic with or without the `public.` prefix; `groups` and `scopes` as a string, an array or null;
 * boolean facts as the strings "true"/"false" (every sample) or as JSON booleans (the schema's type).
 * The facts are kept as received; `flags` gives the booleans as booleans.
 */

/** The topic Request events are published on. */
export const REQUEST_TOPIC = 'public.concur.request';

/** The facts that are booleans, sent as "true"/"false" strings in Concur's samples. */
export const BOOLEAN_FACTS = ['isClosed', 'isTest', 'isRecall', 'isPaymentCardRelated'] as const;

/** A boolean fact as received: a string in Concur's samples, a boolean in the schema. */
export type RawBoolean = 'true' | 'false' | boolean;

/** The facts of a `statusChange` event, as sent (the seed's facts table). */
export interface RequestStatusChangedFacts {
  /** The Request v4 resource this event is about: GET it for the request's current state. */
  href: string;
  /** The request's unique identifier (32 hex characters at Concur). */
  id: string;
  /** The request's short public key, e.g. "LLU9". */
  requestId: string;
  companyId: string;
  /** The pending step's role (e.g. "RequestManager"); "" when nothing is pending. */
  role?: string;
  /** "Q_PEND", "Q_PECO", ... or a numeric status key; "" when nothing is pending. */
  currentApprovalStatus?: string;
  policyId?: string;
  /** Left out when the request's owner acted. */
  actingUserId?: string;
  /** The owner of the request. */
  userId: string;
  /** Left out when no single person is pending. */
  recipientId?: string;
  isClosed?: RawBoolean;
  isTest?: RawBoolean;
  isRecall?: RawBoolean;
  /** "APPROVED", "CANCELED", "SENTBACK" or "Pending<Role>Approval". */
  status: string;
  /** The admin's step code, "SENDBACK", "EXTVAL", or null when the step does not notify. */
  stepCode?: string | null;
  entityId?: string;
  isPaymentCardRelated?: RawBoolean;
  /** Facts this version does not know (older or newer shapes, e.g. `workflowStepCode`). */
  [fact: string]: unknown;
}

/** The boolean facts as booleans (a missing fact is false: the schema says each is true "only if"). */
export interface RequestStatusFlags {
  isClosed: boolean;
  isTest: boolean;
  isRecall: boolean;
  isPaymentCardRelated: boolean;
}

/** A Request `statusChange` event, normalized. */
export interface RequestStatusChangedEvent {
  /** The event's unique id: de-duplicate on it (delivery is at least once). */
  id: string;
  correlationId: string | null;
  /** "statusChange.APPROVED", "statusChange.PENDING.RequestManager", ... */
  eventType: string;
  /** Always "public.concur.request" (also when the payload says "concur.request"). */
  topic: typeof REQUEST_TOPIC;
  /** `subTopic` or `subtopic`, whichever was sent ("Do not use", says the schema). */
  subTopic: string | null;
  /** When the event was generated, as sent (UTC, ISO 8601). */
  timeStamp: string;
  /** `timeStamp` as a Date. */
  time: Date;
  /** Travel agency UUIDs linked to the request. */
  groups: string[];
  scopes: string[];
  /** The outcome named by `eventType`: "PENDING", "APPROVED", "CANCELED", "SENTBACK", ... */
  outcome: string;
  /** For "statusChange.PENDING.<role>", the role; otherwise null. */
  pendingRole: string | null;
  /** The facts exactly as received. */
  facts: RequestStatusChangedFacts;
  /** The boolean facts as booleans. */
  flags: RequestStatusFlags;
  /** The whole parsed JSON payload, untouched. */
  raw: Record<string, unknown>;
}

/** The body is not a Request `statusChange` event; answer 400 (ESS then drops it, as for any 4xx but 401/403/429). */
export class EventParseError extends Error {
  override readonly name = 'EventParseError';
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(message: string): never {
  throw new EventParseError(message);
}

function requiredString(object: Json, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') fail(`${where}.${key} must be a non-empty string`);
  return value;
}

function optionalString(object: Json, key: string, where: string, allowNull = false): void {
  const value = object[key];
  if (value === undefined || typeof value === 'string' || (allowNull && value === null)) return;
  fail(`${where}.${key} must be a string${allowNull ? ' or null' : ''}`);
}

/** `groups`/`scopes`: a string (one value), an array of strings, or null/absent (none). */
function stringList(value: unknown, key: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.filter((item) => item !== '');
  return fail(`${key} must be a string, an array of strings or null`);
}

/** A boolean fact: true/false, or "true"/"false" in any case; absent or null is false. */
function flag(facts: Json, key: string): boolean {
  const value = facts[key];
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return fail(`facts.${key} must be true or false (or the string "true" or "false")`);
}

function parseJson(body: Buffer | string | Json): Json {
  if (isObject(body) && !Buffer.isBuffer(body)) return body;
  let text: string;
  if (Buffer.isBuffer(body)) text = body.toString('utf8');
  else if (typeof body === 'string') text = body;
  else return fail('the event must be a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(`the body is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) fail('the event must be a JSON object');
  return parsed;
}

/**
 * Parses and checks a Request `statusChange` event: the raw body (Buffer or string) or an already
 * parsed object. Throws `EventParseError` when it is not one.
 */
export function parseEvent(body: Buffer | string | Record<string, unknown>): RequestStatusChangedEvent {
  const raw = parseJson(body);
  const id = requiredString(raw, 'id', 'event');
  const eventType = requiredString(raw, 'eventType', 'event');
  if (eventType !== 'statusChange' && !eventType.startsWith('statusChange.')) fail(`eventType "${eventType}" is not a Request statusChange event`);
  const topic = requiredString(raw, 'topic', 'event');
  if (topic !== REQUEST_TOPIC && topic !== 'concur.request') fail(`topic "${topic}" is not ${REQUEST_TOPIC}`);
  optionalString(raw, 'correlationId', 'event', true);
  const timeStamp = requiredString(raw, 'timeStamp', 'event');
  const time = new Date(timeStamp);
  if (Number.isNaN(time.getTime())) fail(`event.timeStamp "${timeStamp}" is not a date`);

  // The schema table spells it subTopic, the samples subtopic; whichever carries a value wins.
  optionalString(raw, 'subTopic', 'event', true);
  optionalString(raw, 'subtopic', 'event', true);
  const subTopic = (raw.subTopic as string | null | undefined) ?? (raw.subtopic as string | null | undefined) ?? null;

  const facts = raw.facts;
  if (!isObject(facts)) fail('event.facts must be an object');
  for (const key of ['href', 'id', 'requestId', 'companyId', 'userId', 'status']) requiredString(facts, key, 'facts');
  for (const key of ['role', 'currentApprovalStatus', 'policyId', 'actingUserId', 'recipientId', 'entityId']) optionalString(facts, key, 'facts');
  optionalString(facts, 'stepCode', 'facts', true);
  const flags: RequestStatusFlags = { isClosed: flag(facts, 'isClosed'), isTest: flag(facts, 'isTest'), isRecall: flag(facts, 'isRecall'), isPaymentCardRelated: flag(facts, 'isPaymentCardRelated') };

  const [, outcome = '', ...role] = eventType.split('.');
  return {
    id,
    correlationId: (raw.correlationId as string | null | undefined) ?? null,
    eventType,
    topic: REQUEST_TOPIC,
    subTopic,
    timeStamp,
    time,
    groups: stringList(raw.groups, 'groups'),
    scopes: stringList(raw.scopes, 'scopes'),
    outcome,
    pendingRole: outcome === 'PENDING' && role.length > 0 ? role.join('.') : null,
    facts: facts as RequestStatusChangedFacts,
    flags,
    raw,
  };
}
