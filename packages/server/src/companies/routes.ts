/** Admin API for companies, their users and their safe list (operators; safe list readable by connector admins). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { PatchbayError } from '../http/errors.ts';
import { errorResponses, Uuid } from '../http/schemas.ts';
import { authenticate } from '../identity/sessions.ts';
import { ROLES, type Principal } from '../identity/principal.ts';
import type { Store } from '../store/store.ts';
import {
  EDITIONS, ENTITY_ID_PATTERN, addSafeListHost, createCompany, createUser, findCompanyFor, listCompanies, listSafeList,
  listUsers, removeSafeListHost, updateCompany,
} from './companies.ts';
import { connectorPermission } from './permissions.ts';

const Edition = Type.Union(EDITIONS.map((e) => Type.Literal(e)));
const Company = Type.Object({
  id: Type.String(), name: Type.String(), edition: Edition, developmentPartner: Type.Boolean(), entityId: Type.String(), createdAt: Type.String(),
});
const User = Type.Object({
  id: Type.String(), companyId: Type.Union([Type.String(), Type.Null()]), loginId: Type.String(), name: Type.String(),
  roles: Type.Array(Type.String()), isOperator: Type.Boolean(), createdAt: Type.String(),
});
const SafeListHost = Type.Object({ host: Type.String(), createdAt: Type.String() });
const CompanyParams = Type.Object({ companyId: Uuid });
const NewCompany = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    edition: Edition,
    developmentPartner: Type.Boolean(),
    entityId: Type.Optional(Type.String({ pattern: ENTITY_ID_PATTERN })),
  },
  { additionalProperties: false },
);
const CompanyChanges = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), edition: Type.Optional(Edition), developmentPartner: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const NewUser = Type.Object(
  {
    loginId: Type.String({ minLength: 3, maxLength: 128, pattern: '^[^\\s]+$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    password: Type.String({ minLength: 10, maxLength: 200 }),
    roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { maxItems: ROLES.length, uniqueItems: true }),
  },
  { additionalProperties: false },
);

/** 403 unless the principal is a platform operator. */
export function requireOperator(principal: Principal): void {
  if (!principal.isOperator) {
    throw new PatchbayError('permission_denied', 'This needs the platform operator permission (Concur internal staff): only operators manage companies, users and safe lists.');
  }
}

/** Registers the company routes. */
export function companyRoutes(app: FastifyInstance, store: Store): void {
  const tags = ['Companies'];

  app.get('/api/companies', { schema: { tags, summary: 'List companies (operators see all, users their own)', response: { 200: Type.Object({ items: Type.Array(Company) }), ...errorResponses(401) } } }, async (request) => {
    const principal = await authenticate(store.db, request);
    if (principal.isOperator) return { items: await listCompanies(store.db) };
    return { items: [await findCompanyFor(store.db, principal, principal.companyId!)] };
  });

  app.post<{ Body: Static<typeof NewCompany> }>('/api/companies', { schema: { tags, summary: 'Create a company (operators)', body: NewCompany, response: { 201: Company, ...errorResponses(400, 401, 403, 409) } } }, async (request, reply) => {
    const principal = await authenticate(store.db, request);
    requireOperator(principal);
    const company = await store.transaction((trx) => createCompany(trx, principal, request.body));
    return reply.code(201).send(company);
  });

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId', { schema: { tags, summary: 'Get a company', params: CompanyParams, response: { 200: Company, ...errorResponses(401, 404) } } }, async (request) => {
    const principal = await authenticate(store.db, request);
    return findCompanyFor(store.db, principal, request.params.companyId);
  });

  app.patch<{ Params: Static<typeof CompanyParams>; Body: Static<typeof CompanyChanges> }>('/api/companies/:companyId', { schema: { tags, summary: 'Change a company (operators)', params: CompanyParams, body: CompanyChanges, response: { 200: Company, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const principal = await authenticate(store.db, request);
    requireOperator(principal);
    return store.transaction(async (trx) => updateCompany(trx, principal, await findCompanyFor(trx, principal, request.params.companyId), request.body));
  });

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/users', { schema: { tags, summary: 'List a company\'s users (operators)', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(User) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const principal = await authenticate(store.db, request);
    const company = await findCompanyFor(store.db, principal, request.params.companyId);
    requireOperator(principal);
    return { items: await listUsers(store.db, company.id) };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: Static<typeof NewUser> }>('/api/companies/:companyId/users', { schema: { tags, summary: 'Create a user of a company (operators)', params: CompanyParams, body: NewUser, response: { 201: User, ...errorResponses(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    const principal = await authenticate(store.db, request);
    const company = await findCompanyFor(store.db, principal, request.params.companyId);
    requireOperator(principal);
    const user = await store.transaction((trx) => createUser(trx, principal, { companyId: company.id, ...request.body }));
    return reply.code(201).send(user);
  });

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/safe-list', { schema: { tags, summary: 'The hosts the company\'s connectors may be called on', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(SafeListHost) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const principal = await authenticate(store.db, request);
    const company = await findCompanyFor(store.db, principal, request.params.companyId);
    const permission = connectorPermission(principal, company);
    if (!permission.allowed) throw new PatchbayError('permission_denied', `Viewing the safe list needs ${permission.missing}.`);
    return { items: await listSafeList(store.db, company.id) };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: { host: string } }>('/api/companies/:companyId/safe-list', { schema: { tags, summary: 'Add a host to the safe list (operators)', params: CompanyParams, body: Type.Object({ host: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }), response: { 201: SafeListHost, ...errorResponses(400, 401, 403, 404) } } }, async (request, reply) => {
    const principal = await authenticate(store.db, request);
    const company = await findCompanyFor(store.db, principal, request.params.companyId);
    requireOperator(principal);
    const entry = await store.transaction((trx) => addSafeListHost(trx, principal, company.id, request.body.host));
    return reply.code(201).send(entry);
  });

  app.delete<{ Params: Static<typeof CompanyParams> & { host: string } }>('/api/companies/:companyId/safe-list/:host', { schema: { tags, summary: 'Remove a host from the safe list (operators)', params: Type.Object({ companyId: Uuid, host: Type.String({ minLength: 1, maxLength: 255 }) }), response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } }, async (request, reply) => {
    const principal = await authenticate(store.db, request);
    const company = await findCompanyFor(store.db, principal, request.params.companyId);
    requireOperator(principal);
    await store.transaction((trx) => removeSafeListHost(trx, principal, company.id, request.params.host));
    return reply.code(204).send();
  });
}
