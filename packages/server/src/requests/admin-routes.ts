/**
 * Admin API for Request: its configuration (workflows, policies, travel agencies, approver groups,
 * users' managers) and the event outbox, for Request administrators and operators; and the console's
 * own Request pages (My Requests, Requests to Approve), which act for the signed-in user through the
 * same product functions as Concur's Request v4 API. Those product functions fail with
 * `ConcurApiError`, answered in Concur's shape `{"errors":[{"errorCode","errorMessage"}]}`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';
import { PatchbayError, invalidField } from '../http/errors.ts';
import { eitherErrors, errorResponses, Uuid } from '../http/schemas.ts';
import { authenticate } from '../identity/sessions.ts';
import type { Principal } from '../identity/principal.ts';
import { findCompanyFor, type Company } from '../companies/companies.ts';
import { connectorPermission } from '../companies/permissions.ts';
import { toBool } from '../store/schema.ts';
import type { Executor, Store } from '../store/store.ts';
import { checkCanView, createRequest, findRequest, toRequestResource, updateRequest, type RequestCaller, type RequestInput } from './requests.ts';
import { MAX_COMMENT_LENGTH, WORKFLOW_ACTIONS, performAction } from './workflow-engine.ts';
import {
  createTravelAgency, getWorkflow, listEvents, listGroups, listPolicies, listTravelAgencies, listWorkflows, requireRequestAdmin,
  savePolicy, saveWorkflow, setApprovalDelegates, setGroupMembers, updateUserWorkflowFields,
} from './workflow-admin.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** A name that is not blank. */
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const HexId = Type.String({ pattern: '^[0-9A-Fa-f]{32}$' });
const GroupName = Type.String({ pattern: '^[A-Za-z0-9 _.-]{1,64}$' });
const ISO_DATE = '^\\d{4}-\\d{2}-\\d{2}$';

const StepInput = Type.Object(
  {
    roleCode: Type.String({ minLength: 1, maxLength: 40 }),
    customRole: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
    name: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    approverType: Type.Union([Type.Literal('MANAGER'), Type.Literal('USER'), Type.Literal('GROUP'), Type.Literal('CONNECTOR')]),
    approverUserId: Type.Optional(Nullable(Uuid)),
    approverGroup: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    connectorId: Type.Optional(Nullable(Uuid)),
    notify: Type.Boolean(),
    stepCode: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
    statusKey: Type.Optional(Nullable(Type.String({ maxLength: 10 }))),
  },
  { additionalProperties: false },
);
const WorkflowInput = Type.Object(
  { name: Name, approvedStepCode: Type.Optional(Nullable(Type.String({ maxLength: 20 }))), steps: Type.Array(StepInput, { maxItems: 30 }) },
  { additionalProperties: false },
);
const StepSchema = Type.Object({
  position: Type.Integer(), roleCode: Type.String(), customRole: Nullable(Type.String()), name: Type.String(), approverType: Type.String(),
  approverUserId: Nullable(Type.String()), approverGroup: Nullable(Type.String()), connectorId: Nullable(Type.String()), notify: Type.Boolean(),
  stepCode: Nullable(Type.String()), statusKey: Type.String(),
});
const WorkflowSchema = Type.Object({
  id: Type.String(), name: Type.String(), approvedStepCode: Nullable(Type.String()), steps: Type.Array(StepSchema), createdAt: Type.String(), updatedAt: Type.String(),
});
const PolicyInput = Type.Object({ name: Name, workflowId: Uuid, isDefault: Type.Boolean() }, { additionalProperties: false });
const PolicySchema = Type.Object({ id: Type.String(), name: Type.String(), workflowId: Type.String(), isDefault: Type.Boolean() });
const AgencyInput = Type.Object(
  { name: Name, emailAddress: Type.String({ format: 'email', maxLength: 254 }), appId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))) },
  { additionalProperties: false },
);
const AgencySchema = Type.Object({ id: Type.String(), name: Type.String(), emailAddress: Type.String(), appId: Nullable(Type.String()) });
const GroupSchema = Type.Object({ name: Type.String(), userIds: Type.Array(Type.String()) });
const GroupInput = Type.Object({ userIds: Type.Array(Uuid, { maxItems: 1000 }) }, { additionalProperties: false });
const UserWorkflowInput = Type.Object(
  { managerId: Type.Optional(Nullable(Uuid)), employeeId: Type.Optional(Nullable(Type.String({ maxLength: 64 }))), isTest: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const WorkflowUserSchema = Type.Object({
  id: Type.String(), loginId: Type.String(), name: Type.String(), managerId: Nullable(Type.String()), employeeId: Nullable(Type.String()), isTest: Type.Boolean(),
});
const EventsQuery = Type.Object(
  {
    requestId: Type.Optional(Type.String({ maxLength: 64 })),
    eventType: Type.Optional(Type.String({ maxLength: 100 })),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    before: Type.Optional(Type.String({ maxLength: 20 })),
    limit: Type.Optional(Type.String({ maxLength: 10 })),
  },
  { additionalProperties: false },
);
/** The stored event, exactly as written to the outbox (the seed's statusChange schema). */
const StoredEvent = Type.Unknown({ description: 'The event exactly as stored: id, correlationId, eventType, topic, timeStamp, data, subtopic, groups, scopes, facts.' });
const EventPage = Type.Object({ items: Type.Array(Type.Object({ seq: Type.Integer(), event: StoredEvent })), nextBefore: Nullable(Type.Integer()) });

/** A Request v4 `Request`, as the console's Request pages show it. */
const RequestResource = Type.Unknown({ description: 'The Request v4 representation of the request, with the operations the signed-in user may take.' });
const RequestName = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' });
const BusinessPurpose = Type.String({ maxLength: 255 });
const RequestComment = Type.String({ maxLength: MAX_COMMENT_LENGTH });
const CalendarDateText = Type.String({ pattern: ISO_DATE });
const TimeOfDay = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:mm, 24-hour clock' });
const Destination = Type.Object(
  { city: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }), countryCode: Type.String({ pattern: '^[A-Za-z]{2}$' }) },
  { additionalProperties: false },
);
/** A custom field's value, as Request v4 has it (`custom1`..`custom20`); null clears it. */
const CustomFieldValue = Type.Object({ code: Type.Optional(Type.String({ maxLength: 100 })), value: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
const OptionalCustomField = Type.Optional(Nullable(CustomFieldValue));
const CustomFields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`custom${i + 1}`, OptionalCustomField])) as Record<`custom${number}`, typeof OptionalCustomField>;

const NewRequest = Type.Object(
  {
    name: RequestName,
    businessPurpose: Type.Optional(BusinessPurpose),
    comment: Type.Optional(RequestComment),
    startDate: Type.Optional(CalendarDateText),
    endDate: Type.Optional(CalendarDateText),
    mainDestination: Type.Optional(Destination),
    policyId: Type.Optional(HexId),
    ...CustomFields,
  },
  { additionalProperties: false },
);
/** Edit Request: only the fields given change; null clears one (the name cannot be cleared). */
const RequestChanges = Type.Object(
  {
    name: Type.Optional(RequestName),
    businessPurpose: Type.Optional(Nullable(BusinessPurpose)),
    comment: Type.Optional(Nullable(RequestComment)),
    startDate: Type.Optional(Nullable(CalendarDateText)),
    endDate: Type.Optional(Nullable(CalendarDateText)),
    startTime: Type.Optional(Nullable(TimeOfDay)),
    endTime: Type.Optional(Nullable(TimeOfDay)),
    mainDestination: Type.Optional(Nullable(Destination)),
    ...CustomFields,
  },
  { additionalProperties: false },
);
const RequestsQuery = Type.Object(
  { mine: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('true')])), toApprove: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('true')])) },
  { additionalProperties: false },
);
const ActionBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: MAX_COMMENT_LENGTH })) }, { additionalProperties: false });
const Comment = Type.Object({ authorId: Nullable(Type.String()), authorName: Type.String(), createdAt: Type.String(), value: Type.String() });
const CompanyParams = Type.Object({ companyId: Uuid });
const WorkflowParams = Type.Object({ companyId: Uuid, workflowId: Uuid });
const PolicyParams = Type.Object({ companyId: Uuid, policyId: HexId });
const GroupParams = Type.Object({ companyId: Uuid, groupName: GroupName });
const UserParams = Type.Object({ companyId: Uuid, userId: Uuid });
const RequestParams = Type.Object({ companyId: Uuid, requestId: HexId });
const ActionParams = Type.Object({ companyId: Uuid, requestId: HexId, action: Type.Union(WORKFLOW_ACTIONS.map((action) => Type.Literal(action))) });

/** How many events one page of the event log holds by default, and at most. */
const DEFAULT_EVENT_LIMIT = 50;
const MAX_EVENT_LIMIT = 200;
/** The Request pages list at most this many requests (newest first); Request v4 pages through more. */
const MAX_LISTED_REQUESTS = 200;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Registers the Request administration routes and the console's Request routes. */
export function requestAdminRoutes(app: FastifyInstance, store: Store, publicUrl: string, onEventsCommitted: () => void): void {
  const db = store.db;
  const tags = ['Request administration'];
  const requestTags = ['Requests (console)'];

  /** The caller and the company, if the caller may configure Request there (404 for other companies, 403 without permission). */
  async function adminAccess(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company }> {
    const principal = await authenticate(db, request);
    const company = await findCompanyFor(db, principal, companyId);
    requireRequestAdmin(principal, company.id);
    return { principal, company };
  }

  /** The caller, if it may read the company's workflows: Request administrators, and connector administrators (who tick workflow steps on notification services). */
  async function workflowReadAccess(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company }> {
    const principal = await authenticate(db, request);
    const company = await findCompanyFor(db, principal, companyId);
    if (!connectorPermission(principal, company).allowed) requireRequestAdmin(principal, company.id);
    return { principal, company };
  }

  /** Any signed-in user of the company (or an operator). */
  async function memberAccess(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company }> {
    const principal = await authenticate(db, request);
    return { principal, company: await findCompanyFor(db, principal, companyId) };
  }

  /** The caller as a Request user of the company: only the company's own users have requests to make and approve. */
  async function userAccess(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company; caller: RequestCaller }> {
    const principal = await authenticate(db, request);
    const company = await findCompanyFor(db, principal, companyId);
    if (principal.companyId !== company.id) {
      throw new PatchbayError('permission_denied', 'Requests are created and approved by the company\'s own users; sign in as one of them.');
    }
    return { principal, company, caller: { companyId: company.id, userId: principal.userId, externalSystem: false } };
  }

  // Workflows

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/workflows', { schema: { tags, summary: 'Approval workflows with their ordered steps (Request and connector administrators)', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(WorkflowSchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await workflowReadAccess(request, request.params.companyId);
    return { items: await listWorkflows(db, company.id) };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: Static<typeof WorkflowInput> }>('/api/companies/:companyId/workflows', { schema: { tags, summary: 'Create a workflow: steps with role, approver, notify flag and Step Code', params: CompanyParams, body: WorkflowInput, response: { 201: WorkflowSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request, reply) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    const workflow = await store.transaction((trx) => saveWorkflow(trx, principal, company.id, request.body));
    return reply.code(201).send(workflow);
  });

  app.get<{ Params: Static<typeof WorkflowParams> }>('/api/companies/:companyId/workflows/:workflowId', { schema: { tags, summary: 'One workflow', params: WorkflowParams, response: { 200: WorkflowSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { company } = await adminAccess(request, request.params.companyId);
    return getWorkflow(db, company.id, request.params.workflowId);
  });

  app.put<{ Params: Static<typeof WorkflowParams>; Body: Static<typeof WorkflowInput> }>('/api/companies/:companyId/workflows/:workflowId', { schema: { tags, summary: 'Replace a workflow\'s name, approved Step Code and steps', params: WorkflowParams, body: WorkflowInput, response: { 200: WorkflowSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    return store.transaction((trx) => saveWorkflow(trx, principal, company.id, request.body, request.params.workflowId));
  });

  // Request policies

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/request-policies', { schema: { tags, summary: 'Request policies and the workflow each assigns (any user of the company: travelers choose one)', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(PolicySchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await memberAccess(request, request.params.companyId);
    return { items: await listPolicies(db, company.id) };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: Static<typeof PolicyInput> }>('/api/companies/:companyId/request-policies', { schema: { tags, summary: 'Create a Request policy (a new default replaces the old one)', params: CompanyParams, body: PolicyInput, response: { 201: PolicySchema, ...errorResponses(400, 401, 403, 404) } } }, async (request, reply) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    const policy = await store.transaction((trx) => savePolicy(trx, principal, company.id, request.body));
    return reply.code(201).send(policy);
  });

  app.put<{ Params: Static<typeof PolicyParams>; Body: Static<typeof PolicyInput> }>('/api/companies/:companyId/request-policies/:policyId', { schema: { tags, summary: 'Change a Request policy\'s name, workflow or default flag', params: PolicyParams, body: PolicyInput, response: { 200: PolicySchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    return store.transaction((trx) => savePolicy(trx, principal, company.id, request.body, request.params.policyId.toUpperCase()));
  });

  // Travel agencies

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/travel-agencies', { schema: { tags, summary: 'Travel agency offices', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(AgencySchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await adminAccess(request, request.params.companyId);
    return { items: await listTravelAgencies(db, company.id) };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: Static<typeof AgencyInput> }>('/api/companies/:companyId/travel-agencies', { schema: { tags, summary: 'Add a travel agency office (appId: the TMC\'s application, put in events\' groups)', params: CompanyParams, body: AgencyInput, response: { 201: AgencySchema, ...errorResponses(400, 401, 403, 404) } } }, async (request, reply) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    const agency = await store.transaction((trx) => createTravelAgency(trx, principal, company.id, request.body));
    return reply.code(201).send(agency);
  });

  // Approver groups

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/approver-groups', { schema: { tags, summary: 'Approver groups and their members', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(GroupSchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await adminAccess(request, request.params.companyId);
    return { items: await listGroups(db, company.id) };
  });

  app.put<{ Params: Static<typeof GroupParams>; Body: Static<typeof GroupInput> }>('/api/companies/:companyId/approver-groups/:groupName', { schema: { tags, summary: 'Replace the members of an approver group (no members removes it)', params: GroupParams, body: GroupInput, response: { 200: GroupSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    return store.transaction((trx) => setGroupMembers(trx, principal, company.id, request.params.groupName, request.body.userIds));
  });

  // Users' workflow fields

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/workflow-users', { schema: { tags, summary: 'The company\'s users with their manager, employee ID and test-user flag', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(WorkflowUserSchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await adminAccess(request, request.params.companyId);
    return { items: await workflowUsers(db, company.id) };
  });

  app.patch<{ Params: Static<typeof UserParams>; Body: Static<typeof UserWorkflowInput> }>('/api/companies/:companyId/users/:userId/workflow', { schema: { tags, summary: 'Set a user\'s manager (the Request Manager approver), employee ID or test-user flag', params: UserParams, body: UserWorkflowInput, response: { 200: WorkflowUserSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    return store.transaction(async (trx) => {
      await updateUserWorkflowFields(trx, principal, company.id, request.params.userId, request.body);
      const [user] = await workflowUsers(trx, company.id, request.params.userId);
      return user!;
    });
  });

  app.put<{ Params: Static<typeof UserParams>; Body: { delegateIds: string[] } }>('/api/companies/:companyId/users/:userId/delegates', { schema: { tags, summary: 'Who may approve and send back on this user\'s behalf (Request v4 delegatorUserId)', params: UserParams, body: Type.Object({ delegateIds: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 50 }) }, { additionalProperties: false }), response: { 200: Type.Object({ delegateIds: Type.Array(Type.String()) }), ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    return { delegateIds: await store.transaction((trx) => setApprovalDelegates(trx, principal, company.id, request.params.userId, request.body.delegateIds)) };
  });

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/workflow-connectors', { schema: { tags, summary: 'The application connectors an External Validation step can use', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await adminAccess(request, request.params.companyId);
    return { items: await db.selectFrom('connectors').select(['id', 'name']).where('company_id', '=', company.id).orderBy('name').execute() };
  });

  // The event outbox

  app.get<{ Params: Static<typeof CompanyParams>; Querystring: Static<typeof EventsQuery> }>('/api/companies/:companyId/events', { schema: { tags, summary: 'The company\'s statusChange events, newest first, exactly as stored (filters: requestId, eventType, from, to; paging: before, limit ≤ 200)', params: CompanyParams, querystring: EventsQuery, response: { 200: EventPage, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { company } = await adminAccess(request, request.params.companyId);
    const query = request.query;
    const limit = integerParam(query.limit, 'limit', 1, MAX_EVENT_LIMIT) ?? DEFAULT_EVENT_LIMIT;
    const beforeSeq = integerParam(query.before, 'before', 1, Number.MAX_SAFE_INTEGER);
    const from = dateTimeParam(query.from, 'from');
    const to = dateTimeParam(query.to, 'to');
    if (from !== undefined && to !== undefined && to <= from) throw invalidField('to', '"to" must be later than "from".');
    let requestUuid: string | undefined;
    if (query.requestId !== undefined && query.requestId !== '') {
      const text = query.requestId.trim();
      if (/^[0-9A-Fa-f]{32}$/.test(text)) requestUuid = text.toUpperCase();
      else if (/^[A-Za-z0-9]{4,6}$/.test(text)) {
        // The short Request ID travelers see; an unknown one simply has no events.
        const row = await db.selectFrom('requests').select('id').where('company_id', '=', company.id).where('request_key', '=', text.toUpperCase()).executeTakeFirst();
        requestUuid = row?.id ?? text.toUpperCase();
      } else {
        throw invalidField('requestId', 'requestId must be a request\'s id (32 hexadecimal characters) or its Request ID (4 to 6 letters and digits).');
      }
    }
    const eventType = query.eventType === undefined || query.eventType === '' ? undefined : query.eventType;
    if (eventType !== undefined && !/^[A-Za-z0-9._-]+$/.test(eventType)) throw invalidField('eventType', 'eventType is an event type such as statusChange.APPROVED or statusChange.PENDING.RequestManager.');
    // One more than a page tells whether an older page exists.
    const rows = await listEvents(db, company.id, { requestId: requestUuid, eventType, from, to, beforeSeq, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1]!.seq : null };
  });

  // The console's Request pages: the signed-in user's requests and approvals

  app.get<{ Params: Static<typeof CompanyParams>; Querystring: Static<typeof RequestsQuery> }>('/api/companies/:companyId/requests', { schema: { tags: requestTags, summary: 'The signed-in user\'s requests (mine=1) or the requests waiting for their approval (toApprove=1), newest first', params: CompanyParams, querystring: RequestsQuery, response: { 200: Type.Object({ items: Type.Array(RequestResource) }), ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { caller } = await userAccess(request, request.params.companyId);
    const mine = request.query.mine !== undefined;
    const toApprove = request.query.toApprove !== undefined;
    if (mine === toApprove) throw invalidField('mine', 'Give exactly one of mine=1 (your requests) or toApprove=1 (requests waiting for your approval).');
    const userId = caller.userId!;
    let query = db.selectFrom('requests').selectAll('requests').where('requests.company_id', '=', caller.companyId);
    if (mine) query = query.where('requests.owner_id', '=', userId);
    else {
      // Pending with the user, or at a group step whose group the user belongs to (never one's own request).
      query = query
        .where('requests.status_code', '=', 'SUBMITTED')
        .where('requests.closed', '=', false)
        .where('requests.owner_id', '!=', userId)
        .where((eb) =>
          eb.or([
            eb('requests.approver_id', '=', userId),
            eb.exists(
              eb
                .selectFrom('request_policies')
                .innerJoin('workflow_steps', 'workflow_steps.workflow_id', 'request_policies.workflow_id')
                .innerJoin('approver_group_members', (join) => join.onRef('approver_group_members.group_name', '=', 'workflow_steps.approver_group').on('approver_group_members.user_id', '=', userId))
                .select('workflow_steps.position')
                .whereRef('request_policies.id', '=', 'requests.policy_id')
                .whereRef('workflow_steps.position', '=', 'requests.step_position')
                .where('workflow_steps.approver_type', '=', 'GROUP')
                .where('approver_group_members.company_id', '=', caller.companyId),
            ),
          ]),
        );
    }
    const rows = await query.orderBy('requests.created_at', 'desc').orderBy('requests.id').limit(MAX_LISTED_REQUESTS).execute();
    const items = [];
    for (const row of rows) items.push(await toRequestResource(db, publicUrl, caller, row));
    return { items };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: Static<typeof NewRequest> }>('/api/companies/:companyId/requests', { schema: { tags: requestTags, summary: 'New Request for the signed-in user (in the default policy unless policyId is given)', params: CompanyParams, body: NewRequest, response: { 201: RequestResource, ...eitherErrors(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    const { caller } = await userAccess(request, request.params.companyId);
    const input = requestInput(request.body);
    if (request.body.policyId !== undefined) input.policyId = request.body.policyId;
    const row = await store.transaction((trx) => createRequest(trx, caller.companyId, caller.userId!, input));
    return reply.code(201).send(await toRequestResource(db, publicUrl, caller, row));
  });

  app.get<{ Params: Static<typeof RequestParams> }>('/api/companies/:companyId/requests/:requestId', { schema: { tags: requestTags, summary: 'One request, with the operations the signed-in user may take', params: RequestParams, response: { 200: RequestResource, ...eitherErrors(400, 401, 403, 404) } } }, async (request) => {
    const { caller } = await userAccess(request, request.params.companyId);
    const row = await findRequest(db, caller.companyId, request.params.requestId);
    await checkCanView(db, caller, row);
    return toRequestResource(db, publicUrl, caller, row);
  });

  app.put<{ Params: Static<typeof RequestParams>; Body: Static<typeof RequestChanges> }>('/api/companies/:companyId/requests/:requestId', { schema: { tags: requestTags, summary: 'Edit Request as the signed-in user: the fields given change, null clears one (Request v4 PUT: the owner before submitting or after a send back)', params: RequestParams, body: RequestChanges, response: { 200: RequestResource, ...eitherErrors(400, 401, 403, 404, 409) } } }, async (request) => {
    const { caller } = await userAccess(request, request.params.companyId);
    const changes = request.body;
    const input = requestInput(changes);
    const row = await store.transaction(async (trx) => {
      const current = await findRequest(trx, caller.companyId, request.params.requestId);
      // One date may be changed alone: the stored other one decides. Checked here first so the console
      // hears which field to fix (the product check in updateRequest answers in Concur's shape).
      const start = changes.startDate !== undefined ? changes.startDate : current.start_date;
      const end = changes.endDate !== undefined ? changes.endDate : current.end_date;
      if (start && end && end < start) {
        throw changes.endDate !== undefined
          ? invalidField('endDate', 'The end date cannot be before the start date.')
          : invalidField('startDate', `The start date cannot be after the request's end date (${end}).`);
      }
      return updateRequest(trx, caller, current, input);
    });
    return toRequestResource(db, publicUrl, caller, row);
  });

  app.get<{ Params: Static<typeof RequestParams> }>('/api/companies/:companyId/requests/:requestId/comments', { schema: { tags: requestTags, summary: 'The request\'s comments, oldest first', params: RequestParams, response: { 200: Type.Object({ items: Type.Array(Comment) }), ...eitherErrors(400, 401, 403, 404) } } }, async (request) => {
    const { caller } = await userAccess(request, request.params.companyId);
    const row = await findRequest(db, caller.companyId, request.params.requestId);
    await checkCanView(db, caller, row);
    const comments = await db
      .selectFrom('request_comments')
      .leftJoin('users', 'users.id', 'request_comments.author_id')
      .select(['request_comments.author_id', 'request_comments.value', 'request_comments.created_at', 'users.name as author_name'])
      .where('request_comments.request_id', '=', row.id)
      .orderBy('request_comments.created_at')
      .orderBy('request_comments.id')
      .execute();
    return {
      items: comments.map((comment) => ({
        authorId: comment.author_id,
        authorName: comment.author_name ?? 'System',
        createdAt: new Date(comment.created_at).toISOString(),
        value: comment.value,
      })),
    };
  });

  app.post<{ Params: Static<typeof ActionParams>; Body: Static<typeof ActionBody> | undefined }>('/api/companies/:companyId/requests/:requestId/:action', { schema: { tags: requestTags, summary: 'Workflow action as the signed-in user, body {} or {"comment"}: submit, approve, recall, sendback (comment required), cancel, close, reopen', params: ActionParams, body: ActionBody, response: { 200: RequestResource, ...eitherErrors(400, 401, 403, 404, 409) } } }, async (request) => {
    const { caller } = await userAccess(request, request.params.companyId);
    const { action } = request.params;
    const comment = request.body?.comment?.trim() ? request.body.comment : null;
    if (action === 'sendback' && comment === null) throw invalidField('comment', 'Sending a request back needs a comment telling the traveler what to change.');
    const { request: row, deliveries, notifications } = await store.transaction(async (trx) =>
      performAction(trx, await findRequest(trx, caller.companyId, request.params.requestId), action, { kind: 'user', userId: caller.userId! }, comment, { publicUrl, correlationId: randomUUID() }),
    );
    if (deliveries > 0 || notifications > 0) onEventsCommitted();
    return toRequestResource(db, publicUrl, caller, row);
  });
}

/** Users of the company (or one of them) with their Request workflow fields. */
async function workflowUsers(db: Executor, companyId: string, userId?: string) {
  let query = db.selectFrom('users').select(['id', 'login_id', 'name', 'manager_id', 'employee_id', 'is_test']).where('company_id', '=', companyId);
  if (userId !== undefined) query = query.where('id', '=', userId);
  const rows = await query.orderBy('name').orderBy('login_id').execute();
  return rows.map((row) => ({ id: row.id, loginId: row.login_id, name: row.name, managerId: row.manager_id, employeeId: row.employee_id, isTest: toBool(row.is_test) }));
}

/** A whole number in [min, max] from a query parameter; undefined when absent. */
function integerParam(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalidField(name, `${name} must be a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}.`);
  return value;
}

/** Epoch milliseconds of an ISO 8601 date-time with a time zone; undefined when absent. */
function dateTimeParam(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const time = ISO_DATE_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) throw invalidField(name, `${name} must be an ISO 8601 date-time with a time zone, e.g. 2025-06-01T00:00:00Z.`);
  return time;
}

/** The fields of a New Request or Edit Request body as the product takes them: real dates in order, trimmed text, upper-case country. */
function requestInput(body: Static<typeof RequestChanges>): RequestInput {
  for (const field of ['startDate', 'endDate'] as const) {
    const value = body[field];
    if (typeof value === 'string' && !isCalendarDate(value)) throw invalidField(field, `${field} must be a real date (YYYY-MM-DD).`);
  }
  if (typeof body.startDate === 'string' && typeof body.endDate === 'string' && body.endDate < body.startDate) throw invalidField('endDate', 'The end date cannot be before the start date.');
  const input: RequestInput = {};
  if (body.name !== undefined) input.name = body.name.trim();
  if (body.businessPurpose !== undefined) input.businessPurpose = body.businessPurpose === null ? null : body.businessPurpose.trim();
  if (body.comment !== undefined) input.comment = body.comment;
  for (const field of ['startDate', 'endDate', 'startTime', 'endTime'] as const) {
    const value = body[field];
    if (value !== undefined) input[field] = value;
  }
  const place = body.mainDestination;
  if (place !== undefined) input.mainDestination = place === null ? null : { city: place.city.trim(), countryCode: place.countryCode.toUpperCase() };
  for (let n = 1; n <= 20; n++) {
    const value = (body as Record<string, unknown>)[`custom${n}`] as { code?: string; value?: string } | null | undefined;
    if (value === undefined) continue;
    input.custom ??= {};
    input.custom[`custom${n}`] = value;
  }
  return input;
}

/** Whether YYYY-MM-DD names a day that exists. */
function isCalendarDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}
