/**
 * Concur Request v4 at Concur's paths under /travelrequest/v4: requests, their workflow actions,
 * comments and expected expenses, user policies and travel agencies. Every failure is answered in
 * Concur's shape `{"errors":[{"errorCode","errorMessage"}]}`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ConcurApiError, concurErrorHandler } from '../http/concur-errors.ts';
import type { TokenGuard } from '../identity/token-guard.ts';
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Store } from '../store/store.ts';
import { toBool, type Database, type RequestRow } from '../store/schema.ts';
import { checkCanView, createRequest, deleteRequest, findRequest, HEX_ID, toRequestResource, updateRequest, type Location, type RequestCaller, type RequestInput } from './requests.ts';
import { MAX_COMMENT_LENGTH, WORKFLOW_ACTIONS, performAction, type WorkflowAction, type WorkflowActor } from './workflow-engine.ts';

/** The scope for everything in Request v4. */
export const REQUEST_WRITE = 'travelrequest.write';
/** The scope that approves or sends back at an External Validation step, with no user. */
export const EXTERNAL_WORKFLOW_WRITE = 'travelrequest.externalsystemworkflow.write';

const PREFIX = '/travelrequest/v4';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Real calendar dates only: 2024-02-30 matches the pattern but is refused. */
function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
/** yyyy-MM-dd, or yyyy-MM-ddTHH:mm:ss with optional milliseconds and Z (UTC either way). */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,3})?Z?)?$/;

/** Epoch milliseconds of a filter date, or NaN when it is not a real date and time. */
function parseFilterDate(text: string): number {
  const match = DATE_TIME.exec(text);
  if (!match || !isCalendarDate(match[1]!)) return Number.NaN;
  return Date.parse(`${match[1]}T${match[2] ?? '00'}:${match[3] ?? '00'}:${match[4] ?? '00'}${match[5] ?? ''}Z`);
}
const VIEWS = ['ALL', 'ACTIVE', 'ACTIVEAPPROVED', 'UNSUBMITTED', 'PENDING', 'VALIDATED', 'APPROVED', 'CANCELED', 'CLOSED', 'SUBMITTED', 'TOAPPROVE', 'PENDINGPROPOSAL', 'PROPOSALAPPROVED', 'PROPOSALCANCELED', 'PENDINGEBOOKING'] as const;

const badParam = (message: string) => new ConcurApiError(400, 'badParam', message);

/** Reads one query parameter; a repeated one is refused. */
function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badParam(`The request has bad parameter(s): ${name} must be given once.`);
  return value;
}

/** Registers Request v4. */
export async function requestRoutes(app: FastifyInstance, deps: { store: Store; guard: TokenGuard; publicUrl: string; onEventsCommitted: () => void }): Promise<void> {
  const { store, guard, publicUrl } = deps;

  /** The token's company and acting user; `userId` is required with company tokens where Concur requires it. */
  async function resolveCaller(request: FastifyRequest, options: { userRequired: boolean; externalAllowed?: boolean }): Promise<RequestCaller> {
    const correlationId = request.headers['concur-correlationid'];
    if (correlationId !== undefined && (typeof correlationId !== 'string' || !UUID.test(correlationId))) {
      throw new ConcurApiError(400, 'invalidUuid', `Invalid UUID for concur-correlationid ${String(correlationId).slice(0, 64)}.`);
    }
    const companyParam = queryParam(request, 'companyId') ?? queryParam(request, 'companyID');
    if (companyParam !== undefined && !UUID.test(companyParam)) throw new ConcurApiError(400, 'invalidUuid', `Invalid UUID for the companyId ${companyParam.slice(0, 64)}.`);
    const token = await guard.require(request, {
      types: ['company', 'user'],
      anyScope: options.externalAllowed ? [REQUEST_WRITE, EXTERNAL_WORKFLOW_WRITE] : [REQUEST_WRITE],
      companyId: companyParam,
    });
    const companyId = token.companyId!;
    const externalSystem = token.scopes.includes(EXTERNAL_WORKFLOW_WRITE);
    let userId = token.type === 'user' ? token.userId : null;
    const userParam = queryParam(request, 'userId');
    if (userParam !== undefined) {
      if (!UUID.test(userParam)) throw new ConcurApiError(400, 'invalidUuid', `Invalid UUID ${userParam.slice(0, 64)} for the userId.`);
      if (token.type === 'user' && userParam.toLowerCase() !== token.userId) throw new ConcurApiError(403, 'userIsNotAllowed', 'A user token acts only for its own user; leave userId out.');
      const user = await store.db.selectFrom('users').select('id').where('id', '=', userParam.toLowerCase()).where('company_id', '=', companyId).executeTakeFirst();
      if (!user) throw new ConcurApiError(400, 'userNotFound', `User ${userParam} not found.`);
      userId = user.id;
    }
    if (userId === null && options.userRequired && !(options.externalAllowed && externalSystem)) {
      throw new ConcurApiError(400, 'missingRequiredParam', 'The request is missing required parameter(s): userId (required with a company token).');
    }
    if (userId !== null && !token.scopes.includes(REQUEST_WRITE)) throw new ConcurApiError(403, 'permissionDenied', `Acting as a user needs the ${REQUEST_WRITE} scope.`);
    return { companyId, userId, externalSystem };
  }

  const resource = (caller: RequestCaller, row: RequestRow) => toRequestResource(store.db, publicUrl, caller, row);

  await app.register(async (scope) => {
    // Request v4 takes JSON bodies, and workflow actions also take none at all.
    scope.removeContentTypeParser('application/json');
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '') return done(null, undefined);
      json(request, body as string, done);
    });
    scope.setErrorHandler(concurErrorHandler);
    scope.addHook('onSend', async (request, reply) => {
      const correlationId = request.headers['concur-correlationid'];
      reply.header('concur-correlationid', typeof correlationId === 'string' && UUID.test(correlationId) ? correlationId : request.id);
    });

    const tags = ['Concur Request v4'];

    scope.get(`${PREFIX}/requests`, { schema: { tags, summary: 'List requests (view, start, limit ≤ 100, date filters, sorting)' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false });
      const view = (queryParam(request, 'view') ?? 'ALL').toUpperCase();
      if (!(VIEWS as readonly string[]).includes(view)) throw badParam(`The request has bad parameter(s): view must be one of ${VIEWS.join(', ')}.`);
      const start = numberParam(queryParam(request, 'start'), 'start', 0);
      const limit = numberParam(queryParam(request, 'limit'), 'limit', 10);
      if (limit > 100) throw new ConcurApiError(400, '-', 'Limit must be less than or equal to 100');
      if (limit < 1) throw new ConcurApiError(400, '-', 'Limit must be greater than or equal to 1');
      const sortField = queryParam(request, 'sortField') ?? 'startDate';
      const sortOrder = (queryParam(request, 'sortOrder') ?? 'DESC').toUpperCase();
      if (!['startDate', 'approvalStatus', 'requestId'].includes(sortField)) throw badParam('The request has bad parameter(s): sortField must be startDate, approvalStatus or requestId.');
      if (sortOrder !== 'ASC' && sortOrder !== 'DESC') throw badParam('The request has bad parameter(s): sortOrder must be ASC or DESC.');
      const dates: Record<string, number | undefined> = {};
      for (const name of ['modifiedAfter', 'modifiedBefore', 'approvedAfter', 'approvedBefore']) {
        const text = queryParam(request, name);
        if (text === undefined) continue;
        const time = parseFilterDate(text);
        if (Number.isNaN(time)) throw new ConcurApiError(400, 'invalidDate', `Error while parsing date value ${text.slice(0, 40)}: use yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ.`);
        dates[name] = time;
      }

      let query: RequestsQuery = store.db.selectFrom('requests').selectAll('requests').where('requests.company_id', '=', caller.companyId);
      if (view === 'TOAPPROVE') {
        if (caller.userId === null) throw new ConcurApiError(400, 'missingRequiredParam', 'The TOAPPROVE view needs a user: give userId.');
        const userId = caller.userId;
        query = query
          .where('requests.status_code', '=', 'SUBMITTED')
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
      } else {
        if (caller.userId !== null) query = query.where('requests.owner_id', '=', caller.userId);
        query = applyView(query, view);
      }
      if (dates.modifiedAfter !== undefined) query = query.where('requests.updated_at', '>=', dates.modifiedAfter);
      if (dates.modifiedBefore !== undefined) query = query.where('requests.updated_at', '<', dates.modifiedBefore);
      if (dates.approvedAfter !== undefined) query = query.where('requests.approved_at', '>=', dates.approvedAfter);
      if (dates.approvedBefore !== undefined) query = query.where('requests.approved_at', '<', dates.approvedBefore);

      const total = Number((await query.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const column = sortField === 'startDate' ? 'requests.start_date' : sortField === 'approvalStatus' ? 'requests.status_code' : 'requests.request_key';
      const direction = sortOrder === 'ASC' ? 'asc' : 'desc';
      // Requests without the sort value come last in either order, the same on both databases.
      const rows = await query
        .orderBy(sql`${sql.ref(column)} is null`)
        .orderBy(column, direction)
        .orderBy('requests.created_at', direction)
        .orderBy('requests.id')
        .limit(limit)
        .offset(start)
        .execute();
      const data = [];
      for (const row of rows) data.push(await resource(caller, row));
      return { data, operations: pageLinks(publicUrl, request, start, limit, total) };
    });

    scope.post(`${PREFIX}/requests`, { schema: { tags, summary: 'Create a request (201); id is not allowed' } }, async (request, reply) => {
      const caller = await resolveCaller(request, { userRequired: true });
      const body = objectBody(request.body);
      if ('id' in body) throw new ConcurApiError(400, 'idNotAllowed', 'Id field is not allowed.');
      const input = readRequestInput(body, true);
      const row = await store.transaction((trx) => createRequest(trx, caller.companyId, caller.userId!, input));
      return reply.code(201).header('location', `${publicUrl}${PREFIX}/requests/${row.id}`).send(await resource(caller, row));
    });

    scope.get<{ Params: { requestUuid: string } }>(`${PREFIX}/requests/:requestUuid`, { schema: { tags, summary: 'One request (the resource events\' facts.href point at)' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false, externalAllowed: true });
      const row = await findRequest(store.db, caller.companyId, request.params.requestUuid);
      await checkCanView(store.db, caller, row);
      return resource(caller, row);
    });

    scope.put<{ Params: { requestUuid: string } }>(`${PREFIX}/requests/:requestUuid`, { schema: { tags, summary: 'Update the updatable fields; null clears one' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false });
      const body = objectBody(request.body);
      if (body.id !== undefined && (typeof body.id !== 'string' || body.id.toUpperCase() !== request.params.requestUuid.toUpperCase())) throw badParam('The id in the body must match the id in the path.');
      const input = readRequestInput(body, false);
      const row = await store.transaction(async (trx) => updateRequest(trx, caller, await findRequest(trx, caller.companyId, request.params.requestUuid), input));
      return resource(caller, row);
    });

    scope.delete<{ Params: { requestUuid: string } }>(`${PREFIX}/requests/:requestUuid`, { schema: { tags, summary: 'Delete a request that was never submitted; answers true' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: true });
      await store.transaction(async (trx) => deleteRequest(trx, caller, await findRequest(trx, caller.companyId, request.params.requestUuid)));
      return true;
    });

    scope.post<{ Params: { requestUuid: string; action: string } }>(`${PREFIX}/requests/:requestUuid/:action`, { schema: { tags, summary: 'Workflow action: submit, approve, recall, sendback, cancel, close, reopen' } }, async (request) => {
      const action = request.params.action as WorkflowAction;
      if (!(WORKFLOW_ACTIONS as readonly string[]).includes(action)) throw badParam(`The request has bad parameter(s): the action must be one of ${WORKFLOW_ACTIONS.join(', ')}.`);
      const approverAction = action === 'approve' || action === 'sendback';
      const caller = await resolveCaller(request, { userRequired: true, externalAllowed: approverAction });
      const comment = readComment(request);
      let actor: WorkflowActor = caller.userId === null ? { kind: 'external-system' } : { kind: 'user', userId: caller.userId };
      const delegator = queryParam(request, 'delegatorUserId');
      if (delegator !== undefined) {
        if (!approverAction) throw badParam('delegatorUserId applies only to approve and sendback.');
        if (!UUID.test(delegator)) throw new ConcurApiError(400, 'invalidUuid', `Invalid UUID ${delegator.slice(0, 64)} for the delegatorUserId.`);
        const user = await store.db.selectFrom('users').select('id').where('id', '=', delegator.toLowerCase()).where('company_id', '=', caller.companyId).executeTakeFirst();
        if (!user) throw new ConcurApiError(400, 'userNotFound', `User ${delegator} not found.`);
        if (caller.userId === null) throw new ConcurApiError(400, 'missingRequiredParam', 'delegatorUserId needs userId: the delegate who acts.');
        // The delegate acts (and is the event's actingUserId); the workflow checks the delegation.
        actor = { kind: 'user', userId: caller.userId, onBehalfOf: user.id };
      }
      const correlationId = request.headers['concur-correlationid'];
      const { request: row, deliveries, notifications } = await store.transaction(async (trx) =>
        performAction(trx, await findRequest(trx, caller.companyId, request.params.requestUuid), action, actor, comment, {
          publicUrl,
          correlationId: typeof correlationId === 'string' ? correlationId.toLowerCase() : randomUUID(),
        }),
      );
      if (deliveries > 0 || notifications > 0) deps.onEventsCommitted();
      return resource(caller, row);
    });

    scope.get<{ Params: { requestUuid: string } }>(`${PREFIX}/requests/:requestUuid/comments`, { schema: { tags, summary: 'The request\'s comment history' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false, externalAllowed: true });
      const row = await findRequest(store.db, caller.companyId, request.params.requestUuid);
      await checkCanView(store.db, caller, row);
      const comments = await store.db
        .selectFrom('request_comments')
        .leftJoin('users', 'users.id', 'request_comments.author_id')
        .select(['request_comments.value', 'request_comments.created_at', 'users.id as author_id', 'users.name as author_name'])
        .where('request_comments.request_id', '=', row.id)
        .orderBy('request_comments.created_at')
        .execute();
      return comments.map((comment, index) => {
        const [firstName = 'System', ...rest] = (comment.author_name ?? 'System Concur').split(/\s+/);
        return {
          author: { ...(comment.author_id ? { id: comment.author_id } : {}), firstName, lastName: rest.join(' ') },
          creationDateTime: new Date(comment.created_at).toISOString(),
          isLatest: index === comments.length - 1,
          value: comment.value,
        };
      });
    });

    scope.get<{ Params: { requestUuid: string } }>(`${PREFIX}/requests/:requestUuid/expenses`, { schema: { tags, summary: 'The request\'s expected expenses' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false, externalAllowed: true });
      const row = await findRequest(store.db, caller.companyId, request.params.requestUuid);
      await checkCanView(store.db, caller, row);
      const expenses = await store.db.selectFrom('request_expenses').selectAll().where('request_id', '=', row.id).orderBy('created_at').execute();
      return expenses.map((expense) => toExpense(publicUrl, row, expense));
    });

    scope.post<{ Params: { requestUuid: string } }>(`${PREFIX}/requests/:requestUuid/expenses`, { schema: { tags, summary: 'Add an expected expense (isPaymentCardRelated feeds the events)' } }, async (request, reply) => {
      const caller = await resolveCaller(request, { userRequired: true });
      const body = objectBody(request.body);
      const expense = readExpense(body);
      const created = await store.transaction(async (trx) => {
        const row = await findRequest(trx, caller.companyId, request.params.requestUuid);
        if (caller.userId !== row.owner_id) throw new ConcurApiError(403, 'permissionDenied', 'Only the owner can add expected expenses.');
        if (!['NOT_SUBMITTED', 'SENTBACK'].includes(row.status_code) || toBool(row.closed)) throw new ConcurApiError(409, 'invalidWorkflowAction', `The request is ${row.status_code}; expected expenses can be added before submitting or after it is sent back.`);
        const id = randomUUID().replaceAll('-', '').toUpperCase();
        await trx.insertInto('request_expenses').values({ id, request_id: row.id, ...expense, created_at: Date.now() }).execute();
        return { row, expense: await trx.selectFrom('request_expenses').selectAll().where('id', '=', id).executeTakeFirstOrThrow() };
      });
      return reply.code(201).send(toExpense(publicUrl, created.row, created.expense));
    });

    scope.get<{ Params: { expenseUuid: string } }>(`${PREFIX}/expenses/:expenseUuid`, { schema: { tags, summary: 'One expected expense' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false, externalAllowed: true });
      if (!HEX_ID.test(request.params.expenseUuid)) throw new ConcurApiError(400, 'invalidUuid', 'The expense id is not 32 hexadecimal characters.');
      const expense = await store.db.selectFrom('request_expenses').selectAll().where('id', '=', request.params.expenseUuid.toUpperCase()).executeTakeFirst();
      const row = expense ? await findRequest(store.db, caller.companyId, expense.request_id) : undefined;
      if (!expense || !row) throw new ConcurApiError(404, 'notFound', 'Resource not found.');
      await checkCanView(store.db, caller, row);
      return toExpense(publicUrl, row, expense);
    });

    scope.get(`${PREFIX}/userpolicies`, { schema: { tags, summary: 'The Request policies of the company' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false });
      const policies = await store.db.selectFrom('request_policies').select(['id', 'name']).where('company_id', '=', caller.companyId).orderBy('name').execute();
      return policies.map((policy) => ({ id: policy.id, name: policy.name, href: `${publicUrl}${PREFIX}/userpolicies` }));
    });

    scope.get<{ Params: { agencyUuid: string } }>(`${PREFIX}/travelagencies/:agencyUuid`, { schema: { tags, summary: 'A travel agency office' } }, async (request) => {
      const caller = await resolveCaller(request, { userRequired: false });
      if (!HEX_ID.test(request.params.agencyUuid)) throw new ConcurApiError(400, 'invalidUuid', 'The travel agency id is not 32 hexadecimal characters.');
      const agency = await store.db.selectFrom('travel_agencies').selectAll().where('id', '=', request.params.agencyUuid.toUpperCase()).where('company_id', '=', caller.companyId).executeTakeFirst();
      if (!agency) throw new ConcurApiError(404, 'notFound', 'Resource not found.');
      return { id: agency.id, name: agency.name, emailAddress: agency.email_address };
    });
  });
}

function numberParam(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new ConcurApiError(400, '-', name === 'limit' ? 'Limit must contains only digits' : `${name} must contain only digits`);
  return Number(text);
}

/** A query over the company's requests, before ordering and paging. */
type RequestsQuery = SelectQueryBuilder<Database, 'requests', RequestRow>;

/** Narrows the list to one of Concur's views. */
function applyView(query: RequestsQuery, view: string): RequestsQuery {
  switch (view) {
    case 'ACTIVE':
      return query.where('requests.closed', '=', false).where('requests.status_code', '!=', 'CANCELED');
    case 'ACTIVEAPPROVED':
      return query.where('requests.closed', '=', false).where('requests.status_code', '=', 'APPROVED');
    case 'UNSUBMITTED':
      return query.where('requests.status_code', 'in', ['NOT_SUBMITTED', 'SENTBACK']);
    case 'PENDING':
    case 'SUBMITTED':
      return query.where('requests.status_code', '=', 'SUBMITTED');
    case 'APPROVED':
    case 'VALIDATED':
      return query.where('requests.status_code', '=', 'APPROVED');
    case 'CANCELED':
      return query.where('requests.status_code', '=', 'CANCELED');
    case 'CLOSED':
      return query.where('requests.closed', '=', true);
    case 'PENDINGPROPOSAL':
    case 'PROPOSALAPPROVED':
    case 'PROPOSALCANCELED':
    case 'PENDINGEBOOKING':
      // Agency proposals and e-booking are not modelled, so these views are empty.
      return query.where('requests.id', '=', '');
    default:
      return query;
  }
}

function pageLinks(publicUrl: string, request: FastifyRequest, start: number, limit: number, total: number) {
  const url = new URL(request.url, 'http://placeholder');
  const link = (rel: string, at: number) => {
    url.searchParams.set('start', String(at));
    url.searchParams.set('limit', String(limit));
    return { rel, href: `${publicUrl}${url.pathname}?${url.searchParams.toString()}` };
  };
  const last = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  const links = [link('first', 0)];
  if (start > 0) links.push(link('prev', Math.max(0, start - limit)));
  if (start + limit < total) links.push(link('next', start + limit));
  links.push(link('last', last));
  return links;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ConcurApiError(400, 'invalidJson', 'Invalid JSON structure: the body must be a JSON object.');
  return body as Record<string, unknown>;
}

function readComment(request: FastifyRequest): string | null {
  const body = request.body;
  let comment: unknown = queryParam(request, 'comment');
  if (typeof body === 'string') comment = body;
  else if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) throw new ConcurApiError(400, 'invalidJson', 'Invalid JSON structure: send {} or {"comment": "..."}.');
    const fromBody = (body as Record<string, unknown>).comment;
    if (fromBody !== undefined && fromBody !== null) comment = fromBody;
  }
  if (comment === undefined || comment === null || comment === '') return null;
  if (typeof comment !== 'string') throw badParam('The comment must be a string.');
  if (comment.length > MAX_COMMENT_LENGTH) throw badParam(`The comment is longer than ${MAX_COMMENT_LENGTH} characters.`);
  return comment;
}

function optionalString(body: Record<string, unknown>, name: string, max: number, pattern?: RegExp): string | null | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'string' || value.length > max || (pattern && value !== '' && !pattern.test(value))) {
    throw name.endsWith('Date') ? new ConcurApiError(400, 'invalidDate', `Error while parsing date value for ${name}: use yyyy-MM-dd.`) : badParam(`The request has bad parameter(s): ${name}.`);
  }
  return value === '' && pattern ? null : value;
}

function readRequestInput(body: Record<string, unknown>, creating: boolean): RequestInput {
  const input: RequestInput = {};
  const name = optionalString(body, 'name', 255);
  if (name !== undefined) input.name = name;
  const businessPurpose = optionalString(body, 'businessPurpose', 255);
  if (businessPurpose !== undefined) input.businessPurpose = businessPurpose;
  const comment = optionalString(body, 'comment', MAX_COMMENT_LENGTH);
  if (comment !== undefined) input.comment = comment;
  for (const [field, pattern] of [['startDate', DATE], ['endDate', DATE], ['startTime', TIME], ['endTime', TIME]] as const) {
    const value = optionalString(body, field, 10, pattern);
    if (value && pattern === DATE && !isCalendarDate(value)) throw new ConcurApiError(400, 'invalidDate', `Error while parsing date value ${value} for ${field}: not a calendar date.`);
    if (value !== undefined) input[field] = value;
  }
  if (body.mainDestination !== undefined) input.mainDestination = readLocation(body.mainDestination);
  if (body.policy !== undefined && creating) {
    const policy = body.policy as { id?: unknown } | null;
    if (policy === null || typeof policy !== 'object' || typeof policy.id !== 'string' || !HEX_ID.test(policy.id)) throw new ConcurApiError(400, 'invalidPolicy', 'Invalid policy id: give policy.id, 32 hexadecimal characters.');
    input.policyId = policy.id;
  }
  if (body.travelAgency !== undefined) {
    const agency = body.travelAgency as { id?: unknown } | null;
    if (agency === null) input.travelAgencyId = null;
    else if (typeof agency !== 'object' || typeof agency.id !== 'string' || !HEX_ID.test(agency.id)) throw badParam('The request has bad parameter(s): travelAgency.id.');
    else input.travelAgencyId = agency.id;
  }
  for (let n = 1; n <= 20; n++) {
    const key = `custom${n}`;
    const value = body[key];
    if (value === undefined) continue;
    input.custom ??= {};
    if (value === null) {
      input.custom[key] = null;
      continue;
    }
    const field = value as { code?: unknown; value?: unknown };
    if (typeof field !== 'object' || Array.isArray(field) || (field.code !== undefined && typeof field.code !== 'string') || (field.value !== undefined && typeof field.value !== 'string')) {
      throw badParam(`The request has bad parameter(s): ${key} must be {"code", "value"} strings.`);
    }
    input.custom[key] = { ...(field.code !== undefined ? { code: String(field.code).slice(0, 100) } : {}), ...(field.value !== undefined ? { value: String(field.value).slice(0, 500) } : {}) };
  }
  return input;
}

function readLocation(value: unknown): Location | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConcurApiError(400, 'invalidLocation', 'The location cannot be resolved: mainDestination must be an object.');
  const location: Location = {};
  const text = ['city', 'countryCode', 'countrySubDivisionCode', 'iataCode', 'id', 'locationCode', 'locationType', 'name'] as const;
  for (const key of text) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'string' || field.length > 100) throw new ConcurApiError(400, 'invalidLocation', `The location cannot be resolved: ${key} must be a string.`);
    location[key] = field;
  }
  for (const key of ['latitude', 'longitude'] as const) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'number' || !Number.isFinite(field)) throw new ConcurApiError(400, 'invalidLocation', `The location cannot be resolved: ${key} must be a number.`);
    location[key] = field;
  }
  if (!location.iataCode && !(location.countryCode && location.city) && !location.name) {
    throw new ConcurApiError(400, 'invalidLocation', 'The location cannot be resolved, please provide either iataCode or countryCode and city.');
  }
  return location;
}

function readExpense(body: Record<string, unknown>) {
  const expenseType = body.expenseType as { id?: unknown; name?: unknown } | undefined;
  const typeCode = expenseType && typeof expenseType === 'object' && typeof expenseType.id === 'string' ? expenseType.id : null;
  if (!typeCode || typeCode.length > 64) throw new ConcurApiError(400, 'missingRequiredField', 'At least 1 required field has an empty value: expenseType.id.');
  const transactionDate = body.transactionDate;
  if (transactionDate === undefined || transactionDate === null) throw new ConcurApiError(400, 'missingRequiredField', 'At least 1 required field has an empty value: transactionDate.');
  if (typeof transactionDate !== 'string' || !isCalendarDate(transactionDate)) throw new ConcurApiError(400, 'invalidDate', 'Error while parsing date value for transactionDate: use yyyy-MM-dd.');
  const amount = body.transactionAmount as { value?: unknown; currency?: unknown } | undefined;
  if (amount !== undefined && (typeof amount !== 'object' || amount === null || typeof amount.value !== 'number' || !Number.isFinite(amount.value) || typeof amount.currency !== 'string' || !/^[A-Z]{3}$/.test(amount.currency))) {
    throw badParam('The request has bad parameter(s): transactionAmount must be {"value": number, "currency": "ISO 4217 code"}.');
  }
  const description = body.businessPurpose;
  if (description !== undefined && (typeof description !== 'string' || description.length > 255)) throw badParam('The request has bad parameter(s): businessPurpose.');
  const cardRelated = body.isPaymentCardRelated;
  if (cardRelated !== undefined && typeof cardRelated !== 'boolean') throw badParam('The request has bad parameter(s): isPaymentCardRelated must be true or false.');
  return {
    expense_type: typeCode,
    transaction_date: transactionDate,
    amount_value: amount ? String(amount.value) : null,
    amount_currency: amount ? (amount.currency as string) : null,
    description: (description as string | undefined) ?? '',
    is_payment_card_related: cardRelated === true,
  };
}

function toExpense(base: string, request: RequestRow, expense: { id: string; expense_type: string; transaction_date: string | null; amount_value: string | null; amount_currency: string | null; description: string; is_payment_card_related: boolean | 0 | 1; created_at: number }) {
  return {
    id: expense.id,
    href: `${base}${PREFIX}/expenses/${expense.id}`,
    expenseType: { id: expense.expense_type },
    transactionDate: expense.transaction_date ?? undefined,
    ...(expense.amount_value !== null ? { transactionAmount: { value: Number(expense.amount_value), currency: expense.amount_currency } } : {}),
    businessPurpose: expense.description,
    isPaymentCardRelated: toBool(expense.is_payment_card_related),
    lastModifiedDate: new Date(expense.created_at).toISOString(),
    parentRequest: { id: request.id, href: `${base}${PREFIX}/requests/${request.id}` },
  };
}
