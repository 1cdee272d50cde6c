/**
 * The console's and the admin API's side of the callouts: attendee types and request form fields
 * (configuration), attendee search and the request's attendees (Fetch Attendee), list fields (Fetch List),
 * the Launch URL button (Launch External URL) and the call log.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { PatchbayError } from '../http/errors.ts';
import { eitherErrors, errorResponses, Uuid } from '../http/schemas.ts';
import { authenticate } from '../identity/sessions.ts';
import type { Principal } from '../identity/principal.ts';
import { findCompanyFor, type Company } from '../companies/companies.ts';
import { connectorPermission } from '../companies/permissions.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { toBool, type RequestRow } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { checkCanView, findRequest, updateRequest, type RequestCaller } from '../requests/requests.ts';
import { requireRequestAdmin } from '../requests/workflow-admin.ts';
import { listAttendeeTypes, saveAttendeeType } from './attendee-types.ts';
import type { CalloutClient } from './callout-client.ts';
import { CALLOUT_SERVICES } from './callout-client.ts';
import { listCalls } from './call-log.ts';
import { addRequestAttendee, listRequestAttendees, removeRequestAttendee, searchAttendees, type CalloutDeps } from './fetch-attendee.ts';
import { confirmListItem, searchListItems } from './fetch-list.ts';
import { listFormFields, removeFormField, saveFormField } from './form-fields.ts';
import { launchExternalUrl } from './launch-external-url.ts';

/** What the callout routes need. */
export interface CalloutRouteDeps {
  store: Store;
  secrets: SecretBox;
  callouts: CalloutClient;
  publicUrl: string;
}

const short = (maxLength: number) => Type.String({ maxLength });
const CustomValues = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`custom${i + 1}`, Type.Optional(short(100))]));
const AttendeeProperties = {
  attendeeTypeCode: Type.String(),
  firstName: Type.String(),
  middleInitial: Type.String(),
  lastName: Type.String(),
  suffix: Type.String(),
  company: Type.String(),
  title: Type.String(),
  ...Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`custom${i + 1}`, Type.String()])),
};
const AttendeeSchema = Type.Object({ externalId: Type.String(), ...AttendeeProperties });
const RequestAttendeeSchema = Type.Object({
  id: Type.String(),
  externalId: Type.Union([Type.String(), Type.Null()]),
  connectorId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  ...AttendeeProperties,
});
const AttendeeTypeSchema = Type.Object({ code: Type.String(), name: Type.String(), allowsManual: Type.Boolean(), connectorId: Type.Union([Type.String(), Type.Null()]) });
const FormFieldSchema = Type.Object({
  field: Type.String(),
  label: Type.String(),
  kind: Type.Union([Type.Literal('TEXT'), Type.Literal('LIST'), Type.Literal('LAUNCH_URL')]),
  connectorId: Type.Union([Type.String(), Type.Null()]),
  list: Type.Union([
    Type.Object({ name: Type.String(), levels: Type.Integer(), category: Type.Union([Type.String(), Type.Null()]), languageCode: Type.Union([Type.String(), Type.Null()]), externalThreshold: Type.Integer(), configured: Type.Boolean() }),
    Type.Null(),
  ]),
  popup: Type.Union([Type.Object({ width: Type.Integer(), height: Type.Integer() }), Type.Null()]),
});
const ListItemSchema = Type.Object({ code: Type.String(), shortCode: Type.String(), text: Type.String(), matchValue: Type.String() });
const CallSchema = Type.Object({
  id: Type.Integer(),
  service: Type.String(),
  connectorId: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  url: Type.String(),
  startedAt: Type.String(),
  durationMs: Type.Integer(),
  outcome: Type.String(),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  message: Type.String(),
  requestExcerpt: Type.String(),
  responseExcerpt: Type.String(),
});

const CompanyParams = Type.Object({ companyId: Uuid });
const RequestParams = Type.Object({ companyId: Uuid, requestId: Type.String({ maxLength: 64 }) });
const FieldParams = Type.Object({ companyId: Uuid, field: Type.String({ pattern: '^custom([1-9]|1[0-9]|20)$' }) });
const RequestFieldParams = Type.Object({ companyId: Uuid, requestId: Type.String({ maxLength: 64 }), field: Type.String({ pattern: '^custom([1-9]|1[0-9]|20)$' }) });
const AttendeeParams = Type.Object({ companyId: Uuid, requestId: Type.String({ maxLength: 64 }), attendeeId: Uuid });
const TypeParams = Type.Object({ companyId: Uuid, code: Type.String({ minLength: 1, maxLength: 8 }) });

const AttendeeSearch = Type.Object(
  {
    attendeeTypeCode: Type.String({ minLength: 1, maxLength: 8 }),
    firstName: Type.Optional(short(50)),
    middleInitial: Type.Optional(short(1)),
    lastName: Type.Optional(short(132)),
    suffix: Type.Optional(short(32)),
    title: Type.Optional(short(32)),
    company: Type.Optional(short(150)),
    externalId: Type.Optional(short(48)),
    maximumNumberRecords: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    ...CustomValues,
  },
  { additionalProperties: false },
);
const NewAttendee = Type.Union([
  Type.Object({ attendeeTypeCode: Type.String({ minLength: 1, maxLength: 8 }), externalId: Type.String({ minLength: 1, maxLength: 48 }) }, { additionalProperties: false }),
  Type.Object(
    {
      attendeeTypeCode: Type.String({ minLength: 1, maxLength: 8 }),
      firstName: Type.String({ minLength: 1, maxLength: 50 }),
      lastName: Type.String({ minLength: 1, maxLength: 132 }),
      middleInitial: Type.Optional(short(1)),
      suffix: Type.Optional(short(32)),
      company: Type.Optional(short(150)),
      title: Type.Optional(short(32)),
    },
    { additionalProperties: false },
  ),
]);
const ListSearch = Type.Object(
  {
    query: short(100),
    parentCodes: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 9 }),
    searchBy: Type.Optional(Type.Union([Type.Literal('TEXT'), Type.Literal('CODE')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
const ListChoice = Type.Object({ codeByLevel: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 10 }) }, { additionalProperties: false });
const AttendeeTypeInput = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), allowsManual: Type.Boolean() }, { additionalProperties: false });
const FormFieldInput = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 64 }),
    kind: Type.Union([Type.Literal('TEXT'), Type.Literal('LIST'), Type.Literal('LAUNCH_URL')]),
    connectorId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    listName: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    popupWidth: Type.Optional(Type.Union([Type.Integer({ minimum: 200, maximum: 4000 }), Type.Null()])),
    popupHeight: Type.Optional(Type.Union([Type.Integer({ minimum: 200, maximum: 4000 }), Type.Null()])),
  },
  { additionalProperties: false },
);
const CallsQuery = Type.Object(
  {
    service: Type.Optional(Type.Union(CALLOUT_SERVICES.map((service) => Type.Literal(service)))),
    connectorId: Type.Optional(Uuid),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  },
  { additionalProperties: false },
);

/** Registers the callout routes. */
export function calloutRoutes(app: FastifyInstance, deps: CalloutRouteDeps): void {
  const db = deps.store.db;
  const calloutDeps: CalloutDeps = { store: deps.store, secrets: deps.secrets, callouts: deps.callouts };
  const configTags = ['Request administration'];
  const requestTags = ['Requests (console)'];

  /** A signed-in user or operator who can see the company (any of its users: the request form needs its configuration). */
  async function memberAccess(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company }> {
    const principal = await authenticate(db, request);
    return { principal, company: await findCompanyFor(db, principal, companyId) };
  }

  async function adminAccess(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company }> {
    const access = await memberAccess(request, companyId);
    requireRequestAdmin(access.principal, access.company.id);
    return access;
  }

  /** The request, for one of its viewers (read) or its owner while it can be edited (change). */
  async function requestAccess(request: FastifyRequest, companyId: string, requestId: string, mode: 'view' | 'edit'): Promise<{ principal: Principal; caller: RequestCaller; row: RequestRow }> {
    const { principal, company } = await memberAccess(request, companyId);
    if (principal.companyId !== company.id) throw new PatchbayError('permission_denied', 'Requests are edited by the company\'s own users; sign in as one of them.');
    const caller: RequestCaller = { companyId: company.id, userId: principal.userId, externalSystem: false };
    const row = await findRequest(db, company.id, requestId);
    await checkCanView(db, caller, row);
    if (mode === 'edit') {
      if (row.owner_id !== principal.userId) throw new PatchbayError('permission_denied', 'Only the traveler who owns the request can change its attendees and fields.');
      if ((row.status_code !== 'NOT_SUBMITTED' && row.status_code !== 'SENTBACK') || toBool(row.closed)) {
        throw new PatchbayError('conflict', `The request is ${row.status_code}; it can be changed only before it is submitted or after it is sent back.`);
      }
    }
    return { principal, caller, row };
  }

  // Configuration: attendee types and form fields.

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/attendee-types', { schema: { tags: configTags, summary: 'Attendee types, and the connector each searches (those allow no manual attendees)', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(AttendeeTypeSchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await memberAccess(request, request.params.companyId);
    return { items: await listAttendeeTypes(db, company.id) };
  });

  app.put<{ Params: Static<typeof TypeParams>; Body: Static<typeof AttendeeTypeInput> }>('/api/companies/:companyId/attendee-types/:code', { schema: { tags: configTags, summary: 'Create or change an attendee type (bind it to a connector on the connector\'s Fetch Attendee service)', params: TypeParams, body: AttendeeTypeInput, response: { 200: AttendeeTypeSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    return deps.store.transaction((trx) => saveAttendeeType(trx, principal, company.id, { code: request.params.code, ...request.body }));
  });

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/form-fields', { schema: { tags: configTags, summary: 'The request form\'s custom fields: text, connected lists (Fetch List) and Launch URL buttons', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(FormFieldSchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await memberAccess(request, request.params.companyId);
    return { items: await listFormFields(db, company.id) };
  });

  app.put<{ Params: Static<typeof FieldParams>; Body: Static<typeof FormFieldInput> }>('/api/companies/:companyId/form-fields/:field', { schema: { tags: configTags, summary: 'Create or replace the form field on a Request custom field (custom1..custom20)', params: FieldParams, body: FormFieldInput, response: { 200: FormFieldSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    return deps.store.transaction((trx) => saveFormField(trx, principal, company.id, request.params.field, request.body));
  });

  app.delete<{ Params: Static<typeof FieldParams> }>('/api/companies/:companyId/form-fields/:field', { schema: { tags: configTags, summary: 'Remove a form field (requests keep their values)', params: FieldParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) } } }, async (request, reply) => {
    const { principal, company } = await adminAccess(request, request.params.companyId);
    await deps.store.transaction((trx) => removeFormField(trx, principal, company.id, request.params.field));
    return reply.code(204).send();
  });

  // Fetch Attendee.

  app.post<{ Params: Static<typeof RequestParams>; Body: Static<typeof AttendeeSearch> }>('/api/companies/:companyId/requests/:requestId/attendee-search', { schema: { tags: requestTags, summary: 'Fetch Attendee: search the connector of an attendee type (never retried; 422 search_too_broad asks to refine)', params: RequestParams, body: AttendeeSearch, response: { 200: Type.Object({ items: Type.Array(AttendeeSchema) }), ...eitherErrors(400, 401, 403, 404, 409, 422, 502) } } }, async (request) => {
    const { row } = await requestAccess(request, request.params.companyId, request.params.requestId, 'edit');
    return { items: await searchAttendees(calloutDeps, row, request.body) };
  });

  app.get<{ Params: Static<typeof RequestParams> }>('/api/companies/:companyId/requests/:requestId/attendees', { schema: { tags: requestTags, summary: 'The request\'s attendees', params: RequestParams, response: { 200: Type.Object({ items: Type.Array(RequestAttendeeSchema) }), ...eitherErrors(400, 401, 403, 404) } } }, async (request) => {
    const { row } = await requestAccess(request, request.params.companyId, request.params.requestId, 'view');
    return { items: await listRequestAttendees(db, row.id) };
  });

  app.post<{ Params: Static<typeof RequestParams>; Body: Static<typeof NewAttendee> }>('/api/companies/:companyId/requests/:requestId/attendees', { schema: { tags: requestTags, summary: 'Add an attendee: a search result by ExternalID (looked up on the connector again), or by name for a type that allows manual attendees', params: RequestParams, body: NewAttendee, response: { 201: RequestAttendeeSchema, ...eitherErrors(400, 401, 403, 404, 409, 422, 502) } } }, async (request, reply) => {
    const { row } = await requestAccess(request, request.params.companyId, request.params.requestId, 'edit');
    return reply.code(201).send(await addRequestAttendee(calloutDeps, row, request.body));
  });

  app.delete<{ Params: Static<typeof AttendeeParams> }>('/api/companies/:companyId/requests/:requestId/attendees/:attendeeId', { schema: { tags: requestTags, summary: 'Remove an attendee from the request', params: AttendeeParams, response: { 204: Type.Null(), ...eitherErrors(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    const { row } = await requestAccess(request, request.params.companyId, request.params.requestId, 'edit');
    await removeRequestAttendee(db, row, request.params.attendeeId);
    return reply.code(204).send();
  });

  // Fetch List.

  app.post<{ Params: Static<typeof RequestFieldParams>; Body: Static<typeof ListSearch> }>('/api/companies/:companyId/requests/:requestId/fields/:field/search', { schema: { tags: requestTags, summary: 'Fetch List: the items of a list field matching the text typed (* wildcards), under the chosen parents', params: RequestFieldParams, body: ListSearch, response: { 200: Type.Object({ items: Type.Array(ListItemSchema) }), ...eitherErrors(400, 401, 403, 404, 409, 422, 502) } } }, async (request) => {
    const { row } = await requestAccess(request, request.params.companyId, request.params.requestId, 'edit');
    return { items: await searchListItems(calloutDeps, row, request.params.field, request.body) };
  });

  app.put<{ Params: Static<typeof RequestFieldParams>; Body: Static<typeof ListChoice> }>('/api/companies/:companyId/requests/:requestId/fields/:field/choice', { schema: { tags: requestTags, summary: 'Fetch List: choose an item (confirmed by the one-to-one CODE match) and store it in the request\'s custom field', params: RequestFieldParams, body: ListChoice, response: { 200: Type.Object({ field: Type.String(), code: Type.String(), value: Type.String() }), ...eitherErrors(400, 401, 403, 404, 409, 422, 502) } } }, async (request) => {
    const { caller, row } = await requestAccess(request, request.params.companyId, request.params.requestId, 'edit');
    // The callout runs outside any transaction; the request is then updated only if nobody changed it meanwhile.
    const chosen = await confirmListItem(calloutDeps, row, request.params.field, request.body.codeByLevel);
    await deps.store.transaction(async (trx) => {
      const current = await findRequest(trx, caller.companyId, row.id);
      await updateRequest(trx, caller, current, { custom: { [chosen.field]: { code: chosen.code, value: chosen.value } } });
    });
    return chosen;
  });

  // Launch External URL.

  app.post<{ Params: Static<typeof RequestFieldParams> }>('/api/companies/:companyId/requests/:requestId/fields/:field/launch', { schema: { tags: requestTags, summary: 'Launch External URL: the signed URL (nonce, signature, client_auth_code) of the connector\'s page and the pop-up size', params: RequestFieldParams, response: { 200: Type.Object({ url: Type.String(), width: Type.Integer(), height: Type.Integer() }), ...eitherErrors(400, 401, 403, 404, 409) } } }, async (request) => {
    const { principal, row } = await requestAccess(request, request.params.companyId, request.params.requestId, 'edit');
    return deps.store.transaction((trx) => launchExternalUrl({ ...calloutDeps, store: { db: trx } }, principal, row, request.params.field, { publicUrl: deps.publicUrl }));
  });

  // The call log.

  app.get<{ Params: Static<typeof CompanyParams>; Querystring: Static<typeof CallsQuery> }>('/api/companies/:companyId/callouts', { schema: { tags: ['Application connectors'], summary: 'The call log: every callout to the company\'s connectors, newest first (excerpts; credentials never), kept 30 days', params: CompanyParams, querystring: CallsQuery, response: { 200: Type.Object({ items: Type.Array(CallSchema), nextBefore: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await memberAccess(request, request.params.companyId);
    const permission = connectorPermission(principal, company);
    if (!permission.allowed) throw new PatchbayError('permission_denied', `The call log of application connectors needs ${permission.missing}.`);
    await deps.callouts.flush();
    const query = request.query;
    return listCalls(db, company.id, {
      service: query.service,
      connectorId: query.connectorId,
      before: query.before === undefined ? undefined : Number(query.before),
      limit: query.limit === undefined ? undefined : Number(query.limit),
    });
  });
}
