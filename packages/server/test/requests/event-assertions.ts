/**
 * What the seed (`shared/seeds/004_44954f93abc7aff7.txt`) says a `statusChange` event on
 * `public.concur.request` looks like, as assertions: the envelope keys exactly, the facts keys exactly
 * (with `actingUserId` left out when the owner acted and `recipientId` when nobody is pending), string
 * booleans, the value patterns, and an `href` that resolves on this server's Request v4 API.
 */
import assert from 'node:assert/strict';
import type { RequestApi, RequestFixture, StoredEvent } from '../support/request-fixtures.ts';

/** The envelope keys of the seed's samples plus `groups` and `scopes` from its schema table. */
export const ENVELOPE_KEYS = ['correlationId', 'data', 'eventType', 'facts', 'groups', 'id', 'scopes', 'subtopic', 'timeStamp', 'topic'];

/** Every fact of the seed's facts table. */
export const FACT_KEYS = ['actingUserId', 'companyId', 'currentApprovalStatus', 'entityId', 'href', 'id', 'isClosed', 'isPaymentCardRelated', 'isRecall', 'isTest', 'policyId', 'recipientId', 'requestId', 'role', 'status', 'stepCode', 'userId'];

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** One row of the seed's status table, for a pending step. */
export interface PendingOutcome {
  kind: 'PENDING';
  role: string;
  status: string;
  currentApprovalStatus: string;
}

/** What an event states, besides the request's own identity. */
export interface ExpectedEvent {
  outcome: PendingOutcome | { kind: 'APPROVED' | 'CANCELED' | 'SENTBACK' };
  /** Omitted from the facts when undefined (the owner acted, or nobody did). */
  actingUserId?: string | undefined;
  /** Omitted from the facts when undefined (nobody in particular is pending). */
  recipientId?: string | undefined;
  stepCode: string | null;
  isClosed?: boolean;
  isRecall?: boolean;
  isTest?: boolean;
  isPaymentCardRelated?: boolean;
  /** The request's travel agency office; `groups` is `[]` without one. */
  agencyId?: string | null;
  /** The `concur-correlationid` the action carried, when it carried one. */
  correlationId?: string;
}

/** The request an event is about, as Request v4 showed it at creation. */
export interface RequestShape {
  id: string;
  requestId: string;
  policy: { id: string };
  owner: { id: string };
}

const flag = (value: boolean | undefined): string => (value ? 'true' : 'false');

/** The facts the seed prescribes for `expected` on `request`. */
export function expectedFacts(fx: RequestFixture, request: RequestShape, expected: ExpectedEvent): Record<string, string | null> {
  const pending = expected.outcome.kind === 'PENDING' ? expected.outcome : null;
  const facts: Record<string, string | null> = {
    href: `${fx.server.url}/travelrequest/v4/requests/${request.id}`,
    id: request.id,
    requestId: request.requestId,
    companyId: fx.companyId,
    role: pending?.role ?? '',
    currentApprovalStatus: pending?.currentApprovalStatus ?? '',
    policyId: request.policy.id,
    userId: request.owner.id,
    isClosed: flag(expected.isClosed),
    isTest: flag(expected.isTest),
    isRecall: flag(expected.isRecall),
    status: pending?.status ?? expected.outcome.kind,
    stepCode: expected.stepCode,
    entityId: fx.entityId,
    isPaymentCardRelated: flag(expected.isPaymentCardRelated),
  };
  if (expected.actingUserId !== undefined) facts.actingUserId = expected.actingUserId;
  if (expected.recipientId !== undefined) facts.recipientId = expected.recipientId;
  return facts;
}

/** The event type the seed gives `outcome`. */
export function expectedEventType(outcome: ExpectedEvent['outcome']): string {
  return outcome.kind === 'PENDING' ? `statusChange.PENDING.${outcome.role}` : `statusChange.${outcome.kind}`;
}

/**
 * Checks one stored event field by field against the seed, and that its `href` resolves (GET with
 * `reader`'s token answers 200 with the same request). `window` bounds its `timeStamp`.
 */
export async function assertEvent(fx: RequestFixture, stored: StoredEvent, request: RequestShape, expected: ExpectedEvent, reader: RequestApi, window?: { from: number; to: number }): Promise<void> {
  const event = stored.payload as unknown as Record<string, any>;
  const shown = JSON.stringify(event, null, 1);
  assert.deepEqual(Object.keys(event).sort(), ENVELOPE_KEYS, `envelope keys of ${shown}`);
  assert.match(event.id, UUID_V4, 'id is a UUID v4');
  if (expected.correlationId !== undefined) assert.equal(event.correlationId, expected.correlationId.toLowerCase());
  else assert.match(event.correlationId, UUID, 'correlationId is a UUID');
  assert.equal(event.eventType, expectedEventType(expected.outcome), shown);
  assert.equal(event.topic, 'public.concur.request');
  assert.match(event.timeStamp, TIMESTAMP, 'timeStamp is ISO 8601 UTC with milliseconds and Z');
  assert.equal(new Date(event.timeStamp).toISOString(), event.timeStamp);
  if (window) {
    const at = Date.parse(event.timeStamp);
    assert.ok(at >= window.from - 1 && at <= window.to + 1, `timeStamp ${event.timeStamp} outside the action's window`);
  }
  assert.equal(event.data, null);
  assert.equal(event.subtopic, null);
  assert.ok(!('subTopic' in event));
  assert.deepEqual(event.groups, expected.agencyId ? [expected.agencyId] : []);
  assert.deepEqual(event.scopes, ['travelrequest.write']);

  // The facts: exactly the seed's keys, every value a string (stepCode may be null), booleans as strings.
  const facts = event.facts as Record<string, unknown>;
  assert.equal(typeof facts, 'object');
  for (const key of Object.keys(facts)) assert.ok(FACT_KEYS.includes(key), `unexpected fact ${key}`);
  for (const [key, value] of Object.entries(facts)) {
    if (key === 'stepCode' && value === null) continue;
    assert.equal(typeof value, 'string', `fact ${key} is a string, got ${JSON.stringify(value)}`);
  }
  for (const key of ['isClosed', 'isTest', 'isRecall', 'isPaymentCardRelated']) assert.ok(facts[key] === 'true' || facts[key] === 'false', `${key} is "true" or "false"`);
  assert.deepEqual(facts, expectedFacts(fx, request, expected), shown);
  assert.match(facts.id as string, /^[0-9A-F]{32}$/);
  assert.match(facts.requestId as string, /^[A-Za-z0-9]{4,6}$/);
  assert.match(facts.entityId as string, /^[pdt][a-zA-Z0-9]{5,31}$/);
  assert.match(facts.policyId as string, /^[0-9A-Fa-f]{32}$/);
  assert.match(facts.companyId as string, UUID);
  assert.match(facts.userId as string, UUID);

  // The outbox row's columns agree with its payload, and the payload is the event's exact JSON.
  assert.equal(stored.id, event.id);
  assert.equal(stored.topic, event.topic);
  assert.equal(stored.eventType, event.eventType);
  assert.equal(stored.requestId, facts.id);
  assert.equal(stored.companyId, facts.companyId);
  assert.equal(new Date(stored.createdAt).toISOString(), event.timeStamp);

  // href resolves on this server's Request v4 API.
  const response = await fetch(facts.href as string, { headers: { authorization: `Bearer ${reader.token}` } });
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, 200, `GET ${facts.href as string}: ${JSON.stringify(body)}`);
  assert.equal(body.id, facts.id);
  assert.equal(body.requestId, facts.requestId);
  assert.equal((body.owner as { id: string }).id, facts.userId);
  assert.equal((body.policy as { id: string }).id, facts.policyId);
}
