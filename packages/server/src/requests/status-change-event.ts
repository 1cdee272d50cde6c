/**
 * The seed's `statusChange` event on `public.concur.request`, built field by field: the envelope,
 * and facts whose booleans are the strings "true"/"false" as in the seed's samples, with
 * `actingUserId` left out when the owner acted and `recipientId` left out when no person is pending.
 */
import { randomUUID } from 'node:crypto';

/** The topic Request events are published on. */
export const REQUEST_TOPIC = 'public.concur.request';

/** The scope that lets a subscriber see the topic. */
export const REQUEST_SCOPE = 'travelrequest.write';

/** The event as it is stored in the outbox and delivered to subscribers. */
export interface StatusChangeEvent {
  id: string;
  correlationId: string;
  eventType: string;
  topic: typeof REQUEST_TOPIC;
  timeStamp: string;
  data: null;
  subtopic: null;
  groups: string[];
  scopes: string[];
  /** String values (booleans as "true"/"false"); `stepCode` may be null. */
  facts: Record<string, string | null>;
}

/** Everything an event states, decided by the workflow engine. */
export interface StatusChangeInput {
  /** `PENDING` names the step's role; the others are final or interim statuses. */
  outcome: { kind: 'PENDING'; role: string; status: string; currentApprovalStatus: string } | { kind: 'APPROVED' | 'CANCELED' | 'SENTBACK' };
  href: string;
  requestUuid: string;
  requestKey: string;
  companyId: string;
  entityId: string;
  policyId: string;
  ownerId: string;
  /** Who acted; null when the owner did (or nobody: the event then has no `actingUserId`). */
  actingUserId: string | null;
  /** The person the request now waits for; null when no single person is pending. */
  recipientId: string | null;
  stepCode: string | null;
  isClosed: boolean;
  isTest: boolean;
  isRecall: boolean;
  isPaymentCardRelated: boolean;
  travelAgencyId: string | null;
  correlationId?: string;
  at?: Date;
}

const flag = (value: boolean): string => (value ? 'true' : 'false');

/** Builds the event; the key order follows the seed's facts table. */
export function buildStatusChangeEvent(input: StatusChangeInput): StatusChangeEvent {
  const pending = input.outcome.kind === 'PENDING' ? input.outcome : null;
  const facts: Record<string, string | null> = {
    href: input.href,
    id: input.requestUuid,
    requestId: input.requestKey,
    companyId: input.companyId,
    role: pending?.role ?? '',
    currentApprovalStatus: pending?.currentApprovalStatus ?? '',
    policyId: input.policyId,
  };
  if (input.actingUserId !== null && input.actingUserId !== input.ownerId) facts.actingUserId = input.actingUserId;
  facts.userId = input.ownerId;
  if (input.recipientId !== null) facts.recipientId = input.recipientId;
  facts.isClosed = flag(input.isClosed);
  facts.isTest = flag(input.isTest);
  facts.isRecall = flag(input.isRecall);
  facts.status = pending?.status ?? input.outcome.kind;
  // A null stepCode is part of the schema ("step code will be NULL"); it is kept as JSON null.
  facts.stepCode = input.stepCode;
  facts.entityId = input.entityId;
  facts.isPaymentCardRelated = flag(input.isPaymentCardRelated);
  return {
    id: randomUUID(),
    correlationId: input.correlationId ?? randomUUID(),
    eventType: pending ? `statusChange.PENDING.${pending.role}` : `statusChange.${input.outcome.kind}`,
    topic: REQUEST_TOPIC,
    timeStamp: (input.at ?? new Date()).toISOString(),
    data: null,
    subtopic: null,
    groups: input.travelAgencyId ? [input.travelAgencyId] : [],
    scopes: [REQUEST_SCOPE],
    facts,
  };
}
