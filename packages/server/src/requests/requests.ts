/**
 * Concur Requests: creating, reading, listing, updating and deleting them, and their Request v4
 * representation (the `Request` of Concur's swagger), including the `operations` the caller may take.
 */
import { randomBytes } from 'node:crypto';
import { ConcurApiError } from '../http/concur-errors.ts';
import { toBool, type NewRequest, type RequestRow, type RequestUpdate, type WorkflowStepRow } from '../store/schema.ts';
import type { Executor } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import type { StatusCode, WorkflowAction } from './workflow-engine.ts';

/** A new request id: 32 uppercase hex characters, as Concur's. */
export function newRequestUuid(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** The pattern of request, policy and other Concur object ids. */
export const HEX_ID = /^[0-9A-Fa-f]{32}$/;

const KEY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A short public key (`requestId`) of `length` characters from an unambiguous alphabet. */
function newRequestKey(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('');
}

/** The caller of a Request v4 endpoint, once its token and `userId` are resolved. */
export interface RequestCaller {
  companyId: string;
  /** The acting user; null for a company token without `userId` (Concur's system user). */
  userId: string | null;
  /** Whether the token may act at External Validation steps. */
  externalSystem: boolean;
}

/** A Location as Request v4 takes it. */
export interface Location {
  city?: string;
  countryCode?: string;
  countrySubDivisionCode?: string;
  iataCode?: string;
  id?: string;
  latitude?: number;
  locationCode?: string;
  locationType?: string;
  longitude?: number;
  name?: string;
}

/** The fields a create or update may set. */
export interface RequestInput {
  name?: string | null;
  businessPurpose?: string | null;
  comment?: string | null;
  startDate?: string | null;
  startTime?: string | null;
  endDate?: string | null;
  endTime?: string | null;
  mainDestination?: Location | null;
  policyId?: string;
  travelAgencyId?: string | null;
  custom?: Record<string, { code?: string; value?: string } | null>;
}

const badParam = (message: string) => new ConcurApiError(400, 'badParam', message);

/** 400 when the trip ends before it starts (dates are yyyy-MM-dd, so they compare as text). */
function checkDateOrder(startDate: string | null | undefined, endDate: string | null | undefined): void {
  if (startDate && endDate && endDate < startDate) throw badParam(`The request has bad parameter(s): endDate ${endDate} is before startDate ${startDate}.`);
}

/** Loads a request of the caller's company; 404 for anything else. */
const requestInCompany = prepareQuery<[string, string], RequestRow>((db, slot) => db.selectFrom('requests').selectAll().where('id', '=', slot(0)).where('company_id', '=', slot(1)));

export async function findRequest(db: Executor, companyId: string, requestUuid: string): Promise<RequestRow> {
  if (!HEX_ID.test(requestUuid)) throw new ConcurApiError(400, 'invalidUuid', `The request id ${requestUuid.slice(0, 64)} is not 32 hexadecimal characters.`);
  const row = await requestInCompany.first(db, [requestUuid.toUpperCase(), companyId]);
  if (!row) throw new ConcurApiError(404, 'notFound', 'Resource not found.');
  return row;
}

/** Whether `userId` may act at the request's current step (its approver, or a member of its group). */
async function isCurrentApprover(db: Executor, request: RequestRow, userId: string): Promise<boolean> {
  if (request.status_code !== 'SUBMITTED' || request.step_position === null) return false;
  if (request.approver_id === userId) return true;
  const step = await currentStep(db, request);
  if (!step || step.approver_type !== 'GROUP') return false;
  const member = await db.selectFrom('approver_group_members').select('user_id').where('company_id', '=', request.company_id).where('group_name', '=', step.approver_group ?? '').where('user_id', '=', userId).executeTakeFirst();
  return member !== undefined;
}

const stepOfPolicy = prepareQuery<[string, number], WorkflowStepRow>((db, slot) =>
  db
    .selectFrom('workflow_steps')
    .innerJoin('request_policies', 'request_policies.workflow_id', 'workflow_steps.workflow_id')
    .selectAll('workflow_steps')
    .where('request_policies.id', '=', slot(0))
    .where('workflow_steps.position', '=', slot(1)),
);

async function currentStep(db: Executor, request: RequestRow) {
  if (request.step_position === null) return undefined;
  return stepOfPolicy.first(db, [request.policy_id, request.step_position]);
}

/**
 * 403 unless the caller may see the request: the company itself, its owner, or anyone in its approval
 * chain (the owner's manager for a manager step, a step's named approver or group members), before,
 * during and after their step.
 */
export async function checkCanView(db: Executor, caller: RequestCaller, request: RequestRow): Promise<void> {
  if (caller.userId === null || caller.userId === request.owner_id) return;
  if (await isCurrentApprover(db, request, caller.userId)) return;
  const userId = caller.userId;
  const steps = await db
    .selectFrom('workflow_steps')
    .innerJoin('request_policies', 'request_policies.workflow_id', 'workflow_steps.workflow_id')
    .select(['workflow_steps.approver_type', 'workflow_steps.approver_user_id', 'workflow_steps.approver_group'])
    .where('request_policies.id', '=', request.policy_id)
    .execute();
  const owner = await db.selectFrom('users').select('manager_id').where('id', '=', request.owner_id).executeTakeFirst();
  const groups = steps.filter((step) => step.approver_type === 'GROUP').map((step) => step.approver_group ?? '');
  const member =
    groups.length > 0
      ? await db.selectFrom('approver_group_members').select('user_id').where('company_id', '=', request.company_id).where('group_name', 'in', groups).where('user_id', '=', userId).executeTakeFirst()
      : undefined;
  const inChain = steps.some((step) => (step.approver_type === 'MANAGER' && owner?.manager_id === userId) || (step.approver_type === 'USER' && step.approver_user_id === userId)) || member !== undefined;
  if (inChain) return;
  const delegate = await db.selectFrom('approval_delegates').select('delegator_id').where('delegate_id', '=', userId).where('company_id', '=', request.company_id).execute();
  if (delegate.some((d) => d.delegator_id === request.approver_id)) return;
  throw new ConcurApiError(403, 'userIsNotAllowed', 'User is not allowed to access this resource.');
}

/** The company's default Request policy, or the one named; 400 `invalidPolicy` otherwise. */
async function resolvePolicy(db: Executor, companyId: string, policyId: string | undefined): Promise<string> {
  let query = db.selectFrom('request_policies').select('id').where('company_id', '=', companyId);
  query = policyId === undefined ? query.where('is_default', '=', true) : query.where('id', '=', policyId.toUpperCase());
  const policy = await query.executeTakeFirst();
  if (!policy) {
    throw new ConcurApiError(400, 'invalidPolicy', policyId === undefined ? 'Invalid policy id: the company has no default Request policy; give policy.id.' : `Invalid policy id ${policyId}.`);
  }
  return policy.id;
}

async function checkAgency(db: Executor, companyId: string, agencyId: string | null | undefined): Promise<void> {
  if (agencyId === null || agencyId === undefined) return;
  const agency = await db.selectFrom('travel_agencies').select('id').where('id', '=', agencyId.toUpperCase()).where('company_id', '=', companyId).executeTakeFirst();
  if (!agency) throw badParam(`The travel agency ${agencyId} is not one of the company's travel agency offices.`);
}

function fieldValues(input: RequestInput): RequestUpdate {
  const values: RequestUpdate = {};
  if (input.name !== undefined) values.name = input.name ?? '';
  if (input.businessPurpose !== undefined) values.business_purpose = input.businessPurpose ?? '';
  if (input.comment !== undefined) values.comment = input.comment ?? '';
  if (input.startDate !== undefined) values.start_date = input.startDate;
  if (input.startTime !== undefined) values.start_time = input.startTime;
  if (input.endDate !== undefined) values.end_date = input.endDate;
  if (input.endTime !== undefined) values.end_time = input.endTime;
  if (input.mainDestination !== undefined) values.main_destination = input.mainDestination === null ? null : JSON.stringify(input.mainDestination);
  if (input.travelAgencyId !== undefined) values.travel_agency_id = input.travelAgencyId === null ? null : input.travelAgencyId.toUpperCase();
  return values;
}

function mergeCustom(stored: string, custom: RequestInput['custom']): string {
  const fields = JSON.parse(stored) as Record<string, { code?: string; value?: string }>;
  for (const [key, value] of Object.entries(custom ?? {})) {
    if (value === null) delete fields[key];
    else fields[key] = value;
  }
  return JSON.stringify(fields);
}

/** Creates a request owned by `ownerId` (POST /requests). */
export async function createRequest(db: Executor, companyId: string, ownerId: string, input: RequestInput): Promise<RequestRow> {
  if (!input.name) throw new ConcurApiError(400, 'missingRequiredField', 'At least 1 required field has an empty value: name.');
  checkDateOrder(input.startDate, input.endDate);
  const policyId = await resolvePolicy(db, companyId, input.policyId);
  await checkAgency(db, companyId, input.travelAgencyId);
  const now = Date.now();
  // Four characters give a million keys per company; collisions (likely only once a company has many
  // requests) move on to five, then six characters, without counting the company's requests.
  for (let attempt = 0; ; attempt++) {
    const requestKey = newRequestKey(attempt < 4 ? 4 : attempt < 8 ? 5 : 6);
    const taken = await db.selectFrom('requests').select('id').where('company_id', '=', companyId).where('request_key', '=', requestKey).executeTakeFirst();
    if (taken) continue;
    const row: NewRequest = {
      id: newRequestUuid(),
      company_id: companyId,
      request_key: requestKey,
      owner_id: ownerId,
      policy_id: policyId,
      travel_agency_id: null,
      name: '',
      business_purpose: '',
      comment: '',
      start_date: null,
      start_time: null,
      end_date: null,
      end_time: null,
      main_destination: null,
      custom_fields: mergeCustom('{}', input.custom),
      status_code: 'NOT_SUBMITTED',
      step_position: null,
      approver_id: null,
      ever_sent_back: false,
      closed: false,
      canceled_post_approval: false,
      created_at: now,
      submitted_at: null,
      approved_at: null,
      updated_at: now,
      version: 1,
      ...(fieldValues(input) as Partial<NewRequest>),
    };
    await db.insertInto('requests').values(row).execute();
    return db.selectFrom('requests').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
  }
}

/** Updates the updatable fields (PUT /requests/{id}); the owner while editable, approvers while pending. */
export async function updateRequest(db: Executor, caller: RequestCaller, request: RequestRow, input: RequestInput): Promise<RequestRow> {
  const editableByOwner = (request.status_code === 'NOT_SUBMITTED' || request.status_code === 'SENTBACK') && !toBool(request.closed);
  const allowed = caller.userId === null || (caller.userId === request.owner_id ? editableByOwner : await isCurrentApprover(db, request, caller.userId));
  if (!allowed) throw new ConcurApiError(403, 'permissionDenied', `Permission denied: the request is ${request.status_code}; its owner can change it only before submitting or after it is sent back.`);
  await checkAgency(db, request.company_id, input.travelAgencyId);
  const values = fieldValues(input);
  if (input.name === null || input.name === '') throw new ConcurApiError(400, 'missingRequiredField', 'At least 1 required field has an empty value: name.');
  if (input.custom) values.custom_fields = mergeCustom(request.custom_fields, input.custom);
  checkDateOrder(values.start_date !== undefined ? (values.start_date as string | null) : request.start_date, values.end_date !== undefined ? (values.end_date as string | null) : request.end_date);
  const updated = await db.updateTable('requests').set({ ...values, updated_at: Date.now(), version: request.version + 1 }).where('id', '=', request.id).where('version', '=', request.version).executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) throw new ConcurApiError(409, 'concurrentUpdate', 'The request changed while this update ran; reload it and try again.');
  return db.selectFrom('requests').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
}

/** Deletes a request that was never submitted (DELETE /requests/{id}), with its expenses and comments. */
export async function deleteRequest(db: Executor, caller: RequestCaller, request: RequestRow): Promise<void> {
  if (caller.userId !== null && caller.userId !== request.owner_id) throw new ConcurApiError(403, 'permissionDenied', 'Only the owner can delete a request.');
  if (request.status_code !== 'NOT_SUBMITTED' || request.submitted_at !== null) {
    throw new ConcurApiError(409, 'invalidWorkflowAction', `The request is ${request.status_code}; only a request that was never submitted can be deleted. Cancel it instead.`);
  }
  await db.deleteFrom('request_expenses').where('request_id', '=', request.id).execute();
  await db.deleteFrom('request_comments').where('request_id', '=', request.id).execute();
  await db.deleteFrom('requests').where('id', '=', request.id).where('version', '=', request.version).execute();
}

const STATUS_NAMES: Record<StatusCode, string> = {
  NOT_SUBMITTED: 'Not Submitted',
  SUBMITTED: 'Submitted',
  APPROVED: 'Approved',
  CANCELED: 'Canceled',
  SENTBACK: 'Sent Back',
};

const iso = (ms: number | null): string | undefined => (ms === null ? undefined : new Date(ms).toISOString());

function employee(base: string, user: { id: string; name: string } | undefined) {
  if (!user) return undefined;
  const [firstName = '', ...rest] = user.name.trim().split(/\s+/);
  return { id: user.id, firstName, lastName: rest.join(' '), href: `${base}/profile/v1/principals/${user.id}` };
}

/** The actions `caller` may take on the request now, as Concur's `operations` links. */
async function availableActions(db: Executor, caller: RequestCaller, request: RequestRow): Promise<WorkflowAction[]> {
  const closed = toBool(request.closed);
  const isOwner = caller.userId !== null && caller.userId === request.owner_id;
  const actions: WorkflowAction[] = [];
  if (isOwner) {
    if (!closed && (request.status_code === 'NOT_SUBMITTED' || request.status_code === 'SENTBACK')) actions.push('submit');
    if (!closed && request.status_code === 'SUBMITTED') actions.push('recall');
    if (!closed && request.status_code !== 'CANCELED') actions.push('cancel');
    if (!closed && (request.status_code === 'APPROVED' || request.status_code === 'CANCELED')) actions.push('close');
    if (closed) actions.push('reopen');
  } else if (request.status_code === 'SUBMITTED' && !closed) {
    const step = await currentStep(db, request);
    const external = step?.role_code === 'EXTERNAL_VALIDATION';
    const mayAct = external ? caller.externalSystem && caller.userId === null : caller.userId !== null && (await isCurrentApprover(db, request, caller.userId));
    if (mayAct) actions.push('approve', 'sendback');
  }
  return actions;
}

/** The Request v4 representation of a request, for `caller`. */
const userNames = prepareQuery<[string, string], { id: string; name: string }>((db, slot) => db.selectFrom('users').select(['id', 'name']).where('id', 'in', [slot(0), slot(1)]));
const policyById = prepareQuery<[string], { id: string }>((db, slot) => db.selectFrom('request_policies').select('id').where('id', '=', slot(0)));
const expenseAmounts = prepareQuery<[string], { id: string; amount_value: string | null; amount_currency: string | null }>((db, slot) =>
  db.selectFrom('request_expenses').select(['id', 'amount_value', 'amount_currency']).where('request_id', '=', slot(0)).orderBy('created_at'),
);

export async function toRequestResource(db: Executor, base: string, caller: RequestCaller, request: RequestRow): Promise<Record<string, unknown>> {
  const href = `${base}/travelrequest/v4/requests/${request.id}`;
  const { rows: users } = await userNames.execute(db, [request.owner_id, request.approver_id ?? request.owner_id]);
  const policy = await policyById.first(db, [request.policy_id]);
  if (!policy) throw new Error(`request ${request.id}: its policy ${request.policy_id} does not exist`);
  const { rows: expenses } = await expenseAmounts.execute(db, [request.id]);
  const step = await currentStep(db, request);
  const statusName = step && request.status_code === 'SUBMITTED' ? step.name : STATUS_NAMES[request.status_code as StatusCode];
  const custom = JSON.parse(request.custom_fields) as Record<string, { code?: string; value?: string }>;
  const priced = expenses.filter((e) => e.amount_value !== null && e.amount_currency !== null);
  const currency = priced[0]?.amount_currency ?? null;
  const total = priced.filter((e) => e.amount_currency === currency).reduce((sum, e) => sum + Number(e.amount_value), 0);
  const resource: Record<string, unknown> = {
    href,
    id: request.id,
    requestId: request.request_key,
    name: request.name,
    businessPurpose: request.business_purpose,
    comment: request.comment,
    type: { code: 'TRAVEL', label: 'Travel Request' },
    approvalStatus: { code: request.status_code, name: statusName },
    approved: request.status_code === 'APPROVED',
    pendingApproval: request.status_code === 'SUBMITTED',
    closed: toBool(request.closed),
    canceledPostApproval: toBool(request.canceled_post_approval),
    everSentBack: toBool(request.ever_sent_back),
    owner: employee(base, users.find((u) => u.id === request.owner_id)),
    creationDate: iso(request.created_at),
    submitDate: iso(request.submitted_at),
    authorizedDate: iso(request.approved_at),
    lastModified: iso(request.updated_at),
    startDate: request.start_date ?? undefined,
    startTime: request.start_time ?? undefined,
    endDate: request.end_date ?? undefined,
    endTime: request.end_time ?? undefined,
    mainDestination: request.main_destination ? (JSON.parse(request.main_destination) as Location) : undefined,
    policy: { id: policy.id, href: `${base}/travelrequest/v4/userpolicies` },
    travelAgency: request.travel_agency_id ? { id: request.travel_agency_id, href: `${base}/travelrequest/v4/travelagencies/${request.travel_agency_id}` } : undefined,
    comments: { href: `${href}/comments` },
    expenses: expenses.map((e) => ({ id: e.id, href: `${base}/travelrequest/v4/expenses/${e.id}` })),
    highestExceptionLevel: 'NONE',
    operations: (await availableActions(db, caller, request)).map((rel) => ({ rel, href: `${href}/${rel}` })),
  };
  if (request.approver_id && request.status_code === 'SUBMITTED') resource.approver = employee(base, users.find((u) => u.id === request.approver_id));
  // Concur's Amount has a minimum of 1: totals that are zero are left out rather than sent as 0.
  if (currency !== null && total >= 1) {
    if (request.status_code === 'APPROVED') resource.totalApprovedAmount = { value: total, currency };
    resource.totalRemainingAmount = { value: total, currency };
  }
  for (const [key, value] of Object.entries(custom)) resource[key] = value;
  return Object.fromEntries(Object.entries(resource).filter(([, value]) => value !== undefined));
}
