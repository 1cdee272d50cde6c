/**
 * What a Request administrator configures: approval workflows and their steps (role, approver rule,
 * notify flag, Step Code), Request policies that assign workflows, travel agency offices, approver
 * groups, and each user's manager. Also the read side of the event outbox.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PatchbayError, invalidField, notFound } from '../http/errors.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Principal } from '../identity/principal.ts';
import { toBool } from '../store/schema.ts';
import type { Executor } from '../store/store.ts';
import { STEP_ROLES, canonicalRoleCode, defaultStatusKey, NUMERIC_STATUS_KEY, type RoleCode } from './workflow-roles.ts';
import type { StatusChangeEvent } from './status-change-event.ts';

const hexId = (): string => randomBytes(16).toString('hex').toUpperCase();

/** One step as an administrator defines it. */
export interface StepInput {
  roleCode: string;
  /** The role's name for `CUSTOM` steps (letters and digits), e.g. `TravelDesk`. */
  customRole?: string | null | undefined;
  /** The approval status name the Request API shows at this step. */
  name?: string | null | undefined;
  approverType: 'MANAGER' | 'USER' | 'GROUP' | 'CONNECTOR';
  approverUserId?: string | null | undefined;
  approverGroup?: string | null | undefined;
  connectorId?: string | null | undefined;
  notify: boolean;
  stepCode?: string | null | undefined;
  /** The numeric status key of TMC and custom steps (`currentApprovalStatus`). */
  statusKey?: string | null | undefined;
}

/** A workflow as the admin API shows it. */
export interface Workflow {
  id: string;
  name: string;
  approvedStepCode: string | null;
  steps: Array<Required<{ [K in keyof StepInput]: Exclude<StepInput[K], undefined> }> & { position: number; roleCode: RoleCode }>;
  createdAt: string;
  updatedAt: string;
}

/** Step Codes are short admin-chosen codes such as PENDMGRA. */
export const STEP_CODE_PATTERN = /^[A-Za-z0-9_-]{1,20}$/;

async function checkSteps(db: Executor, companyId: string, steps: readonly StepInput[]) {
  const checked = [];
  for (const [index, step] of steps.entries()) {
    const field = (name: string) => `steps.${index}.${name}`;
    const roleCode = canonicalRoleCode(step.roleCode);
    if (!roleCode) throw invalidField(field('roleCode'), `Unknown role code "${step.roleCode}": use one of ${Object.keys(STEP_ROLES).join(', ')} or CUSTOM.`);
    const customRole = roleCode === 'CUSTOM' ? (step.customRole ?? '') : null;
    if (roleCode === 'CUSTOM' && !/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(customRole ?? '')) throw invalidField(field('customRole'), 'A custom step needs a role name of letters and digits, e.g. TravelDesk.');
    const external = roleCode === 'EXTERNAL_VALIDATION';
    if (external !== (step.approverType === 'CONNECTOR')) {
      throw invalidField(field('approverType'), external ? 'An External Validation step is answered by its application connector: approverType must be CONNECTOR.' : 'Only External Validation steps use approverType CONNECTOR.');
    }
    if (step.approverType === 'USER') {
      const user = step.approverUserId ? await db.selectFrom('users').select('id').where('id', '=', step.approverUserId).where('company_id', '=', companyId).executeTakeFirst() : undefined;
      if (!user) throw invalidField(field('approverUserId'), 'A step approved by a named user needs approverUserId, a user of this company.');
    }
    if (step.approverType === 'GROUP' && !/^[A-Za-z0-9 _.-]{1,64}$/.test(step.approverGroup ?? '')) throw invalidField(field('approverGroup'), 'A step approved by a group needs approverGroup, the group\'s name.');
    if (external) {
      const connector = step.connectorId ? await db.selectFrom('connectors').select('id').where('id', '=', step.connectorId).where('company_id', '=', companyId).executeTakeFirst() : undefined;
      if (!connector) throw invalidField(field('connectorId'), 'An External Validation step needs connectorId, one of this company\'s application connectors.');
    }
    if (step.stepCode && !STEP_CODE_PATTERN.test(step.stepCode)) throw invalidField(field('stepCode'), 'A Step Code is 1 to 20 letters, digits, "_" or "-", e.g. PENDMGRA.');
    const numericKey = roleCode === 'CUSTOM' || (roleCode !== 'EXTERNAL_VALIDATION' && STEP_ROLES[roleCode].approvalStatus === null);
    const statusKey = numericKey ? (step.statusKey ?? defaultStatusKey(roleCode)) : defaultStatusKey(roleCode);
    if (numericKey && !NUMERIC_STATUS_KEY.test(statusKey)) throw invalidField(field('statusKey'), 'TMC and custom steps have a numeric status key, e.g. 002003.');
    checked.push({
      position: index + 1,
      role_code: roleCode,
      custom_role: customRole,
      name: step.name?.trim() || (roleCode === 'CUSTOM' ? `Pending ${customRole}` : STEP_ROLES[roleCode].stepName),
      approver_type: step.approverType,
      approver_user_id: step.approverType === 'USER' ? step.approverUserId! : null,
      approver_group: step.approverType === 'GROUP' ? step.approverGroup! : null,
      connector_id: external ? step.connectorId! : null,
      notify: step.notify,
      step_code: step.stepCode || null,
      status_key: statusKey,
    });
  }
  return checked;
}

/** Every workflow of the company, with its steps. */
export async function listWorkflows(db: Executor, companyId: string): Promise<Workflow[]> {
  const workflows = await db.selectFrom('workflows').selectAll().where('company_id', '=', companyId).orderBy('name').execute();
  const result: Workflow[] = [];
  for (const workflow of workflows) result.push(await getWorkflow(db, companyId, workflow.id));
  return result;
}

/** One workflow of the company; 404 otherwise. */
export async function getWorkflow(db: Executor, companyId: string, workflowId: string): Promise<Workflow> {
  const workflow = await db.selectFrom('workflows').selectAll().where('id', '=', workflowId).where('company_id', '=', companyId).executeTakeFirst();
  if (!workflow) throw notFound('The workflow');
  const steps = await db.selectFrom('workflow_steps').selectAll().where('workflow_id', '=', workflowId).orderBy('position').execute();
  return {
    id: workflow.id,
    name: workflow.name,
    approvedStepCode: workflow.approved_step_code,
    steps: steps.map((step) => ({
      position: step.position,
      roleCode: step.role_code as RoleCode,
      customRole: step.custom_role,
      name: step.name,
      approverType: step.approver_type,
      approverUserId: step.approver_user_id,
      approverGroup: step.approver_group,
      connectorId: step.connector_id,
      notify: toBool(step.notify),
      stepCode: step.step_code,
      statusKey: step.status_key,
    })),
    createdAt: new Date(workflow.created_at).toISOString(),
    updatedAt: new Date(workflow.updated_at).toISOString(),
  };
}

/**
 * Creates a workflow, or replaces an existing one's name, approved Step Code and steps. Requests
 * already in the workflow continue at the same step position.
 */
export async function saveWorkflow(
  db: Executor,
  actor: Principal | null,
  companyId: string,
  input: { name: string; approvedStepCode?: string | null | undefined; steps: StepInput[] },
  workflowId?: string,
): Promise<Workflow> {
  if (input.approvedStepCode && !STEP_CODE_PATTERN.test(input.approvedStepCode)) throw invalidField('approvedStepCode', 'A Step Code is 1 to 20 letters, digits, "_" or "-", e.g. REQAPPR.');
  const steps = await checkSteps(db, companyId, input.steps);
  const now = Date.now();
  const id = workflowId ?? randomUUID();
  if (workflowId) {
    await getWorkflow(db, companyId, workflowId);
    // Requests waiting at a step must find it again: a workflow cannot lose steps that are in use.
    const waiting = await db
      .selectFrom('requests')
      .innerJoin('request_policies', 'request_policies.id', 'requests.policy_id')
      .select((eb) => eb.fn.max('requests.step_position').as('position'))
      .where('request_policies.workflow_id', '=', workflowId)
      .where('requests.status_code', '=', 'SUBMITTED')
      .executeTakeFirst();
    const furthest = waiting?.position === null || waiting?.position === undefined ? 0 : Number(waiting.position);
    if (furthest > steps.length) {
      throw new PatchbayError('conflict', `Requests are waiting at step ${furthest} of this workflow; keep at least ${furthest} steps until they move on.`, { field: 'steps' });
    }
    await db.updateTable('workflows').set({ name: input.name, approved_step_code: input.approvedStepCode || null, updated_at: now }).where('id', '=', id).execute();
    await db.deleteFrom('workflow_steps').where('workflow_id', '=', id).execute();
  } else {
    await db.insertInto('workflows').values({ id, company_id: companyId, name: input.name, approved_step_code: input.approvedStepCode || null, created_at: now, updated_at: now }).execute();
  }
  if (steps.length > 0) await db.insertInto('workflow_steps').values(steps.map((step) => ({ ...step, workflow_id: id }))).execute();
  await recordAudit(db, actor, { companyId, action: workflowId ? 'workflow.updated' : 'workflow.created', targetType: 'workflow', targetId: id, details: { name: input.name, steps: input.steps.length } });
  return getWorkflow(db, companyId, id);
}

/** A Request policy as the admin API shows it. */
export interface RequestPolicy {
  id: string;
  name: string;
  workflowId: string;
  isDefault: boolean;
}

/** The company's Request policies. */
export async function listPolicies(db: Executor, companyId: string): Promise<RequestPolicy[]> {
  const rows = await db.selectFrom('request_policies').selectAll().where('company_id', '=', companyId).orderBy('name').execute();
  return rows.map((row) => ({ id: row.id, name: row.name, workflowId: row.workflow_id, isDefault: toBool(row.is_default) }));
}

/** Creates or changes a Request policy; making one the default unsets the previous default. */
export async function savePolicy(db: Executor, actor: Principal | null, companyId: string, input: { name: string; workflowId: string; isDefault: boolean }, policyId?: string): Promise<RequestPolicy> {
  await getWorkflow(db, companyId, input.workflowId).catch(() => {
    throw invalidField('workflowId', 'workflowId must be one of this company\'s workflows.');
  });
  if (input.isDefault) await db.updateTable('request_policies').set({ is_default: false }).where('company_id', '=', companyId).execute();
  const id = policyId ?? hexId();
  if (policyId) {
    const result = await db.updateTable('request_policies').set({ name: input.name, workflow_id: input.workflowId, is_default: input.isDefault }).where('id', '=', policyId).where('company_id', '=', companyId).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound('The Request policy');
  } else {
    await db.insertInto('request_policies').values({ id, company_id: companyId, name: input.name, workflow_id: input.workflowId, is_default: input.isDefault, created_at: Date.now() }).execute();
  }
  await recordAudit(db, actor, { companyId, action: policyId ? 'request_policy.updated' : 'request_policy.created', targetType: 'request_policy', targetId: id, details: input });
  return { id, name: input.name, workflowId: input.workflowId, isDefault: input.isDefault };
}

/** A travel agency office as the admin API shows it. */
export interface TravelAgency {
  id: string;
  name: string;
  emailAddress: string;
  appId: string | null;
}

/** The company's travel agency offices. */
export async function listTravelAgencies(db: Executor, companyId: string): Promise<TravelAgency[]> {
  const rows = await db.selectFrom('travel_agencies').selectAll().where('company_id', '=', companyId).orderBy('name').execute();
  return rows.map((row) => ({ id: row.id, name: row.name, emailAddress: row.email_address, appId: row.app_id }));
}

/**
 * Adds a travel agency office; `appId` is the TMC's application: when a company connects to that app,
 * the agency's id joins the app's subscriptions' `groups`, and Request events linked to the agency carry
 * the same id in their `groups`.
 */
export async function createTravelAgency(db: Executor, actor: Principal | null, companyId: string, input: { name: string; emailAddress: string; appId?: string | null | undefined }): Promise<TravelAgency> {
  if (input.appId) {
    const app = await db.selectFrom('applications').select('id').where('id', '=', input.appId).executeTakeFirst();
    if (!app) throw invalidField('appId', 'appId must be the client id of a registered application.');
  }
  const agency = { id: hexId(), name: input.name, emailAddress: input.emailAddress, appId: input.appId ?? null };
  await db.insertInto('travel_agencies').values({ id: agency.id, company_id: companyId, name: agency.name, email_address: agency.emailAddress, app_id: agency.appId, created_at: Date.now() }).execute();
  await recordAudit(db, actor, { companyId, action: 'travel_agency.created', targetType: 'travel_agency', targetId: agency.id, details: { ...input } });
  return agency;
}

/** Replaces the members of an approver group. */
export async function setGroupMembers(db: Executor, actor: Principal | null, companyId: string, groupName: string, userIds: readonly string[]): Promise<{ name: string; userIds: string[] }> {
  const unique = [...new Set(userIds)];
  if (unique.length > 0) {
    const found = await db.selectFrom('users').select('id').where('company_id', '=', companyId).where('id', 'in', unique).execute();
    if (found.length !== unique.length) throw invalidField('userIds', 'Every member must be a user of this company.');
  }
  await db.deleteFrom('approver_group_members').where('company_id', '=', companyId).where('group_name', '=', groupName).execute();
  if (unique.length > 0) await db.insertInto('approver_group_members').values(unique.map((userId) => ({ company_id: companyId, group_name: groupName, user_id: userId }))).execute();
  await recordAudit(db, actor, { companyId, action: 'approver_group.updated', targetType: 'approver_group', targetId: groupName, details: { userIds: unique } });
  return { name: groupName, userIds: unique };
}

/** The company's approver groups and their members. */
export async function listGroups(db: Executor, companyId: string): Promise<Array<{ name: string; userIds: string[] }>> {
  const rows = await db.selectFrom('approver_group_members').select(['group_name', 'user_id']).where('company_id', '=', companyId).orderBy('group_name').orderBy('user_id').execute();
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(row.group_name, [...(groups.get(row.group_name) ?? []), row.user_id]);
  return [...groups].map(([name, userIds]) => ({ name, userIds }));
}

/** Sets a user's manager (the REQ_MANAGER approver), employee id and test-user flag. */
export async function updateUserWorkflowFields(
  db: Executor,
  actor: Principal | null,
  companyId: string,
  userId: string,
  changes: { managerId?: string | null | undefined; employeeId?: string | null | undefined; isTest?: boolean | undefined },
): Promise<void> {
  const user = await db.selectFrom('users').select('id').where('id', '=', userId).where('company_id', '=', companyId).executeTakeFirst();
  if (!user) throw notFound('The user');
  if (changes.managerId) {
    if (changes.managerId === userId) throw invalidField('managerId', 'A user cannot be their own manager.');
    const manager = await db.selectFrom('users').select('id').where('id', '=', changes.managerId).where('company_id', '=', companyId).executeTakeFirst();
    if (!manager) throw invalidField('managerId', 'managerId must be a user of this company.');
  }
  const updates: Record<string, unknown> = {};
  if (changes.managerId !== undefined) updates.manager_id = changes.managerId;
  if (changes.employeeId !== undefined) updates.employee_id = changes.employeeId;
  if (changes.isTest !== undefined) updates.is_test = changes.isTest;
  if (Object.keys(updates).length === 0) return;
  await db.updateTable('users').set(updates).where('id', '=', userId).execute();
  await recordAudit(db, actor, { companyId, action: 'user.updated', targetType: 'user', targetId: userId, details: changes });
}

/** Filters for reading the outbox. */
export interface EventFilter {
  requestId?: string | undefined;
  eventType?: string | undefined;
  /** Epoch milliseconds, inclusive. */
  from?: number | undefined;
  /** Epoch milliseconds, exclusive. */
  to?: number | undefined;
  /** Events with a sequence number below this one (for paging backwards). */
  beforeSeq?: number | undefined;
  limit: number;
}

/** The company's events, newest first, exactly as stored. */
export async function listEvents(db: Executor, companyId: string, filter: EventFilter): Promise<Array<{ seq: number; event: StatusChangeEvent }>> {
  let query = db.selectFrom('events').select(['seq', 'payload']).where('company_id', '=', companyId);
  if (filter.requestId) query = query.where('request_id', '=', filter.requestId.toUpperCase());
  if (filter.eventType) query = query.where('event_type', '=', filter.eventType);
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
  if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
  const rows = await query.orderBy('seq', 'desc').limit(filter.limit).execute();
  return rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.payload) as StatusChangeEvent }));
}

/** 403 unless the principal may configure Request: operators, and Request, company or Can Administer admins. */
export function requireRequestAdmin(principal: Principal, companyId: string): void {
  if (principal.isOperator) return;
  if (principal.companyId === companyId && principal.roles.some((role) => role === 'REQUEST_ADMIN' || role === 'COMPANY_ADMIN' || role === 'CAN_ADMINISTER')) return;
  throw new PatchbayError('permission_denied', 'Configuring Request workflows, policies, agencies and the event log needs the Request Administrator permission (or Company Administrator / Can Administer).');
}

/** Replaces who may approve on `delegatorId`'s behalf (Request v4's `delegatorUserId`). */
export async function setApprovalDelegates(db: Executor, actor: Principal | null, companyId: string, delegatorId: string, delegateIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(delegateIds)].filter((id) => id !== delegatorId);
  const users = await db.selectFrom('users').select('id').where('company_id', '=', companyId).where('id', 'in', [delegatorId, ...unique]).execute();
  if (!users.some((user) => user.id === delegatorId)) throw notFound('The user');
  if (users.length !== unique.length + 1) throw invalidField('delegateIds', 'Every delegate must be a user of this company.');
  await db.deleteFrom('approval_delegates').where('company_id', '=', companyId).where('delegator_id', '=', delegatorId).execute();
  if (unique.length > 0) await db.insertInto('approval_delegates').values(unique.map((delegateId) => ({ company_id: companyId, delegator_id: delegatorId, delegate_id: delegateId, created_at: Date.now() }))).execute();
  await recordAudit(db, actor, { companyId, action: 'user.delegates_updated', targetType: 'user', targetId: delegatorId, details: { delegateIds: unique } });
  return unique;
}
