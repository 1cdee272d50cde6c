/**
 * The Request approval workflow: submit, approve, send back, recall, cancel, close and reopen. Each
 * action checks who may take it in the current state, moves the request, and writes the seed's
 * `statusChange` event to the outbox, with one delivery per matching ESS subscription, in the same
 * transaction. A request's version number makes two
 * racing actions on one request end in exactly one transition and one event.
 */
import { randomUUID } from 'node:crypto';
import { ConcurApiError } from '../http/concur-errors.ts';
import { toBool, type RequestRow, type RequestUpdate, type WorkflowStepRow } from '../store/schema.ts';
import type { Executor } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import { buildStatusChangeEvent, type StatusChangeEvent, type StatusChangeInput } from './status-change-event.ts';
import { describeStep, type RoleCode } from './workflow-roles.ts';
import { enqueueDeliveries } from '../events/subscriptions.ts';
import { queueNotification } from '../callouts/notifications.ts';

/** The workflow actions of Request v4, in the order Concur lists them. */
export const WORKFLOW_ACTIONS = ['submit', 'approve', 'recall', 'sendback', 'cancel', 'close', 'reopen'] as const;

/** One of `WORKFLOW_ACTIONS`. */
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

/**
 * Who takes an action: a user (possibly a delegate approving for `onBehalfOf`), or the external
 * system answering an External Validation step.
 */
export type WorkflowActor = { kind: 'user'; userId: string; onBehalfOf?: string | undefined } | { kind: 'external-system' };

/** Request approval status codes (`approvalStatus.code`). */
export type StatusCode = 'NOT_SUBMITTED' | 'SUBMITTED' | 'APPROVED' | 'CANCELED' | 'SENTBACK';

/** Comments on workflow actions are at most 2,000 characters, as in Concur. */
export const MAX_COMMENT_LENGTH = 2_000;

/** What an action needs besides the request. */
export interface ActionContext {
  /** patchbay's public URL: events' `href` resolves under it. */
  publicUrl: string;
  /** The correlation id of the API call, carried into the event. */
  correlationId?: string | undefined;
}

const conflict = (code: string, message: string) => new ConcurApiError(409, code, message);
const denied = (message: string) => new ConcurApiError(403, 'permissionDenied', message);

interface Loaded {
  request: RequestRow;
  steps: WorkflowStepRow[];
  approvedStepCode: string | null;
  owner: { id: string; managerId: string | null; isTest: boolean };
  entityId: string;
}

// What every action reads, compiled once (an action is the hot path of the Request API).
const workflowOfPolicy = prepareQuery<[string], { id: string; approved_step_code: string | null }>((db, slot) =>
  db.selectFrom('request_policies').innerJoin('workflows', 'workflows.id', 'request_policies.workflow_id').select(['workflows.id', 'workflows.approved_step_code']).where('request_policies.id', '=', slot(0)),
);
const stepsOfWorkflow = prepareQuery<[string], WorkflowStepRow>((db, slot) => db.selectFrom('workflow_steps').selectAll().where('workflow_id', '=', slot(0)).orderBy('position'));
const ownerOf = prepareQuery<[string], { id: string; manager_id: string | null; is_test: boolean | 0 | 1; entity_id: string }>((db, slot) =>
  db.selectFrom('users').innerJoin('companies', 'companies.id', 'users.company_id').select(['users.id', 'users.manager_id', 'users.is_test', 'companies.entity_id']).where('users.id', '=', slot(0)),
);
const paymentCardExpense = prepareQuery<[string], { id: string }>((db, slot) => db.selectFrom('request_expenses').select('id').where('request_id', '=', slot(0)).where('is_payment_card_related', '=', true).limit(1));
const insertEvent = prepareQuery<[string, string, string, string, string, string, number], { seq: number }>((db, slot) =>
  db.insertInto('events').values({ id: slot(0), company_id: slot(1), topic: slot(2), event_type: slot(3), request_id: slot(4), payload: slot(5), created_at: slot(6) }).returning('seq'),
);

async function load(db: Executor, request: RequestRow): Promise<Loaded> {
  const workflow = await workflowOfPolicy.first(db, [request.policy_id]);
  if (!workflow) throw new Error(`request ${request.id}: its policy ${request.policy_id} has no workflow`);
  const { rows: steps } = await stepsOfWorkflow.execute(db, [workflow.id]);
  const owner = await ownerOf.first(db, [request.owner_id]);
  if (!owner) throw new Error(`request ${request.id}: its owner ${request.owner_id} does not exist`);
  return {
    request,
    steps,
    approvedStepCode: workflow.approved_step_code,
    owner: { id: owner.id, managerId: owner.manager_id, isTest: toBool(owner.is_test) },
    entityId: owner.entity_id,
  };
}

const isExternalValidation = (step: WorkflowStepRow): boolean => step.role_code === 'EXTERNAL_VALIDATION';

/** Who a step waits for: one user, or nobody in particular (a group, or the external system). */
async function resolveApprover(db: Executor, loaded: Loaded, step: WorkflowStepRow): Promise<string | null> {
  switch (step.approver_type) {
    case 'MANAGER': {
      if (!loaded.owner.managerId) throw conflict('NO_APPROVER', `No approver was found: the traveler has no manager for the step "${step.name}".`);
      if (loaded.owner.managerId === loaded.owner.id) throw conflict('APPROVER_CUM_REPORTOWNER', 'You cannot send this request to this approver since this person created this request.');
      return loaded.owner.managerId;
    }
    case 'USER': {
      if (!step.approver_user_id) throw conflict('CONFIG_INVALID_NEXT_STEP', `The step "${step.name}" has no approver configured.`);
      if (step.approver_user_id === loaded.owner.id) throw conflict('APPROVER_CUM_REPORTOWNER', 'You cannot send this request to this approver since this person created this request.');
      return step.approver_user_id;
    }
    case 'GROUP': {
      const members = await db
        .selectFrom('approver_group_members')
        .select('user_id')
        .where('company_id', '=', loaded.request.company_id)
        .where('group_name', '=', step.approver_group ?? '')
        .where('user_id', '!=', loaded.owner.id)
        .limit(1)
        .execute();
      if (members.length === 0) throw conflict('NO_APPROVER', `No approver was found: the group "${step.approver_group}" of the step "${step.name}" has no member who may approve this request.`);
      return null;
    }
    case 'CONNECTOR':
      return null;
  }
}

/**
 * The state a request is in after entering `step`, and whether that entry is published. Entering an
 * External Validation step also queues the Event Notification of its connector, in the same transaction.
 */
async function enter(db: Executor, loaded: Loaded, step: WorkflowStepRow, onSubmit: boolean, context: ActionContext, now: number) {
  const approverId = await resolveApprover(db, loaded, step);
  const described = describeStep({ roleCode: step.role_code as RoleCode, customRole: step.custom_role, statusKey: step.status_key });
  const external = isExternalValidation(step);
  const notified =
    external && step.approver_type === 'CONNECTOR' && step.connector_id
      ? (await queueNotification(db, { companyId: loaded.request.company_id, requestId: loaded.request.id, workflowId: step.workflow_id, connectorId: step.connector_id, publicUrl: context.publicUrl, now })) !== null
      : false;
  // Submitting always publishes; stopping at external validation always publishes; other steps only
  // when the admin ticked their notify flag. The step code is EXTVAL for external validation, the
  // admin's code for a notifying step, and null for a step not configured for notifications.
  const publish = onSubmit || external || toBool(step.notify);
  const stepCode = external ? 'EXTVAL' : toBool(step.notify) ? step.step_code : null;
  return {
    notified,
    state: { status_code: 'SUBMITTED' as StatusCode, step_position: step.position, approver_id: approverId },
    event: publish
      ? { outcome: { kind: 'PENDING' as const, ...described }, stepCode, recipientId: approverId }
      : null,
  };
}

/** Whether `actor` may approve or send back at the request's current step; throws why not. */
async function checkApprover(db: Executor, loaded: Loaded, step: WorkflowStepRow, actor: WorkflowActor): Promise<void> {
  if (actor.kind === 'external-system') {
    if (!isExternalValidation(step)) throw denied('Only a request waiting at an External Validation step can be approved or sent back by the external system.');
    return;
  }
  if (isExternalValidation(step)) throw denied('This request waits for its external validation; the external system approves or sends it back.');
  if (actor.userId === loaded.owner.id || actor.onBehalfOf === loaded.owner.id) throw denied('You cannot approve or send back your own request.');
  if (actor.onBehalfOf !== undefined) {
    const delegation = await db.selectFrom('approval_delegates').select('delegate_id').where('delegator_id', '=', actor.onBehalfOf).where('delegate_id', '=', actor.userId).where('company_id', '=', loaded.request.company_id).executeTakeFirst();
    if (!delegation) throw denied('You are not an approval delegate of that user.');
  }
  const approverId = actor.onBehalfOf ?? actor.userId;
  if (step.approver_type === 'GROUP') {
    const member = await db
      .selectFrom('approver_group_members')
      .select('user_id')
      .where('company_id', '=', loaded.request.company_id)
      .where('group_name', '=', step.approver_group ?? '')
      .where('user_id', '=', approverId)
      .executeTakeFirst();
    if (!member) throw denied(`Only members of the group "${step.approver_group}" can act at the step "${step.name}".`);
    return;
  }
  if (loaded.request.approver_id !== approverId) throw denied('Only the approver the request is pending with can approve or send it back.');
}

function wrongState(action: WorkflowAction, request: RequestRow, allowed: string): ConcurApiError {
  const state = toBool(request.closed) ? `${request.status_code} and closed` : request.status_code;
  return conflict('invalidWorkflowAction', `The request is ${state}; ${action} is possible only when it is ${allowed}.`);
}

/**
 * Performs `action` on `request` inside the caller's transaction: updates the request and writes its
 * event (if the action publishes one) and any Event Notification. Returns the updated row, the event, and
 * how many deliveries and notifications were queued (the caller wakes the workers after committing).
 */
export async function performAction(
  db: Executor,
  request: RequestRow,
  action: WorkflowAction,
  actor: WorkflowActor,
  comment: string | null,
  context: ActionContext,
): Promise<{ request: RequestRow; event: StatusChangeEvent | null; deliveries: number; notifications: number }> {
  const loaded = await load(db, request);
  const { steps } = loaded;
  const closed = toBool(request.closed);
  const actingUserId = actor.kind === 'user' ? actor.userId : null;
  const isOwner = actingUserId === loaded.owner.id;
  const current = request.step_position === null ? undefined : steps.find((step) => step.position === request.step_position);
  const now = Date.now();
  let notifications = 0;

  let changes: RequestUpdate = {};
  let event: Omit<StatusChangeInput, 'href' | 'requestUuid' | 'requestKey' | 'companyId' | 'entityId' | 'policyId' | 'ownerId' | 'actingUserId' | 'isTest' | 'isPaymentCardRelated' | 'travelAgencyId'> | null = null;
  const approved = () => ({ outcome: { kind: 'APPROVED' as const }, stepCode: loaded.approvedStepCode, recipientId: null, isRecall: false, isClosed: false });

  switch (action) {
    case 'submit': {
      if (actor.kind !== 'user' || !isOwner) throw denied('Only the traveler who owns the request can submit it.');
      if (closed || (request.status_code !== 'NOT_SUBMITTED' && request.status_code !== 'SENTBACK')) throw wrongState(action, request, 'NOT_SUBMITTED or SENTBACK');
      const first = steps[0];
      changes.submitted_at = now;
      if (!first) {
        changes = { ...changes, status_code: 'APPROVED', step_position: null, approver_id: null, approved_at: now };
        event = approved();
      } else {
        const entered = await enter(db, loaded, first, true, context, now);
        if (entered.notified) notifications++;
        changes = { ...changes, ...entered.state };
        event = { ...entered.event!, isRecall: false, isClosed: false };
      }
      break;
    }
    case 'approve':
    case 'sendback': {
      if (closed || request.status_code !== 'SUBMITTED' || !current) throw actor.kind === 'user' && !isOwner ? denied(`The request is not pending your approval (it is ${request.status_code}).`) : wrongState(action, request, 'SUBMITTED and pending approval');
      await checkApprover(db, loaded, current, actor);
      if (action === 'sendback') {
        changes = { status_code: 'SENTBACK', step_position: null, approver_id: null, ever_sent_back: true };
        event = { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', recipientId: null, isRecall: false, isClosed: false };
        break;
      }
      const next = steps.find((step) => step.position > current.position);
      if (!next) {
        changes = { status_code: 'APPROVED', step_position: null, approver_id: null, approved_at: now };
        event = approved();
      } else {
        const entered = await enter(db, loaded, next, false, context, now);
        if (entered.notified) notifications++;
        changes = entered.state;
        event = entered.event ? { ...entered.event, isRecall: false, isClosed: false } : null;
      }
      break;
    }
    case 'recall': {
      if (actor.kind !== 'user' || !isOwner) throw denied('Only the traveler who owns the request can recall it.');
      if (closed || request.status_code !== 'SUBMITTED') throw wrongState(action, request, 'SUBMITTED');
      changes = { status_code: 'SENTBACK', step_position: null, approver_id: null, ever_sent_back: true };
      event = { outcome: { kind: 'SENTBACK' }, stepCode: 'SENDBACK', recipientId: null, isRecall: true, isClosed: false };
      break;
    }
    case 'cancel': {
      if (actor.kind !== 'user' || !isOwner) throw denied('Only the traveler who owns the request can cancel it.');
      if (closed || request.status_code === 'CANCELED') throw wrongState(action, request, 'NOT_SUBMITTED, SUBMITTED, SENTBACK or APPROVED, and not closed');
      changes = { status_code: 'CANCELED', step_position: null, approver_id: null, canceled_post_approval: request.status_code === 'APPROVED' };
      event = { outcome: { kind: 'CANCELED' }, stepCode: null, recipientId: null, isRecall: false, isClosed: false };
      break;
    }
    case 'close':
    case 'reopen': {
      if (actor.kind !== 'user' || !isOwner) throw denied(`Only the traveler who owns the request can ${action} it.`);
      const finished = request.status_code === 'APPROVED' || request.status_code === 'CANCELED';
      if (action === 'close' && (closed || !finished)) throw wrongState(action, request, 'APPROVED or CANCELED and not closed');
      if (action === 'reopen' && !closed) throw wrongState(action, request, 'closed');
      changes = { closed: action === 'close' };
      // Closing and reopening restate the request's status with isClosed flipped.
      const kind = request.status_code as 'APPROVED' | 'CANCELED';
      event = { outcome: { kind }, stepCode: kind === 'APPROVED' ? loaded.approvedStepCode : null, recipientId: null, isRecall: false, isClosed: action === 'close' };
      break;
    }
  }

  const stamped = { ...changes, updated_at: now, version: request.version + 1 };
  const updated = await db
    .updateTable('requests')
    .set(stamped)
    .where('id', '=', request.id)
    .where('version', '=', request.version)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) throw conflict('concurrentUpdate', 'The request changed while this action ran; reload it and try again.');

  if (comment) {
    await db.insertInto('request_comments').values({ id: randomUUID().replaceAll('-', '').toUpperCase(), request_id: request.id, author_id: actingUserId, value: comment, created_at: now }).execute();
  }

  let published: StatusChangeEvent | null = null;
  let deliveries = 0;
  if (event) {
    const cardRelated = await paymentCardExpense.first(db, [request.id]);
    published = buildStatusChangeEvent({
      ...event,
      href: `${context.publicUrl}/travelrequest/v4/requests/${request.id}`,
      requestUuid: request.id,
      requestKey: request.request_key,
      companyId: request.company_id,
      entityId: loaded.entityId,
      policyId: request.policy_id,
      ownerId: loaded.owner.id,
      actingUserId,
      isTest: loaded.owner.isTest,
      isPaymentCardRelated: cardRelated !== undefined,
      travelAgencyId: request.travel_agency_id,
      ...(context.correlationId ? { correlationId: context.correlationId } : {}),
      at: new Date(now),
    });
    const inserted = await insertEvent.first(db, [published.id, request.company_id, published.topic, published.eventType, request.id, JSON.stringify(published), now]);
    if (!inserted) throw new Error('the event was not written');
    const seq = Number(inserted.seq);
    deliveries = await enqueueDeliveries(db, { seq, topic: published.topic, companyId: request.company_id, groups: published.groups, eventType: published.eventType, orderingKey: request.id, publishedAt: now });
  }
  // The row as it now stands in the database: the read row with exactly the columns this action set.
  const after: RequestRow = { ...request, ...(stamped as Partial<RequestRow>) };
  return { request: after, event: published, deliveries, notifications };
}
