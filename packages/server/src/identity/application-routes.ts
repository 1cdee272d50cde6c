/**
 * Admin API for OAuth2 applications and signing keys (operators), and for a company's Company Request
 * Tokens and connections (operators, or the company's web services administrators).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { PatchbayError } from '../http/errors.ts';
import { errorResponses, Uuid } from '../http/schemas.ts';
import { findCompanyFor, type Company } from '../companies/companies.ts';
import { connectorPermission } from '../companies/permissions.ts';
import { requireOperator } from '../companies/routes.ts';
import type { Store } from '../store/store.ts';
import type { Principal } from './principal.ts';
import { authenticate } from './sessions.ts';
import { GRANTS, SCOPE_PATTERN, checkRedirectUris, createApplication, getApplication, listApplications, rotateClientSecret, updateApplication } from './applications.ts';
import { createRequestToken, disconnectCompany, listConnections } from './oauth.ts';
import type { KeyRing } from './signing-keys.ts';

const Grant = Type.Union(GRANTS.map((g) => Type.Literal(g)));
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  grants: Type.Array(Grant, { maxItems: GRANTS.length, uniqueItems: true }),
  scopes: Type.Array(Type.String({ pattern: SCOPE_PATTERN }), { maxItems: 100, uniqueItems: true }),
  redirectUris: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 20, uniqueItems: true }),
};
const NewApplication = Type.Object(Fields, { additionalProperties: false });
const ApplicationChanges = Type.Object(
  { name: Type.Optional(Fields.name), grants: Type.Optional(Fields.grants), scopes: Type.Optional(Fields.scopes), redirectUris: Type.Optional(Fields.redirectUris), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const ApplicationSchema = Type.Object({
  id: Type.String(), name: Type.String(), grants: Type.Array(Type.String()), scopes: Type.Array(Type.String()),
  redirectUris: Type.Array(Type.String()), active: Type.Boolean(), createdAt: Type.String(), updatedAt: Type.String(),
});
const AppParams = Type.Object({ appId: Uuid });
const CompanyParams = Type.Object({ companyId: Uuid });
const Connection = Type.Object({ appId: Type.String(), appName: Type.String(), connectedAt: Type.String(), connectedBy: Type.String() });

/** Registers the application, signing key, request token and connection routes. */
export function applicationRoutes(app: FastifyInstance, store: Store, keys: KeyRing): void {
  const tags = ['Applications and connections'];
  const db = store.db;

  async function operator(request: FastifyRequest): Promise<Principal> {
    const principal = await authenticate(db, request);
    requireOperator(principal);
    return principal;
  }

  /** Company Request Tokens and connections live on the Web Services page: the connector permission applies. */
  async function webServicesAdmin(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company }> {
    const principal = await authenticate(db, request);
    const company = await findCompanyFor(db, principal, companyId);
    const permission = connectorPermission(principal, company);
    if (!permission.allowed) throw new PatchbayError('permission_denied', `Company Request Tokens and app connections need ${permission.missing}.`);
    return { principal, company };
  }

  app.get('/api/applications', { schema: { tags, summary: 'List applications (operators)', response: { 200: Type.Object({ items: Type.Array(ApplicationSchema) }), ...errorResponses(401, 403) } } }, async (request) => {
    await operator(request);
    return { items: await listApplications(db) };
  });

  app.post<{ Body: Static<typeof NewApplication> }>('/api/applications', { schema: { tags, summary: 'Register an application; the client secret is shown once', body: NewApplication, response: { 201: Type.Object({ application: ApplicationSchema, clientSecret: Type.String() }), ...errorResponses(400, 401, 403) } } }, async (request, reply) => {
    const principal = await operator(request);
    checkRedirectUris(request.body.redirectUris);
    return reply.code(201).send(await store.transaction((trx) => createApplication(trx, principal, request.body)));
  });

  app.get<{ Params: Static<typeof AppParams> }>('/api/applications/:appId', { schema: { tags, summary: 'One application (operators)', params: AppParams, response: { 200: ApplicationSchema, ...errorResponses(401, 403, 404) } } }, async (request) => {
    await operator(request);
    return getApplication(db, request.params.appId);
  });

  app.patch<{ Params: Static<typeof AppParams>; Body: Static<typeof ApplicationChanges> }>('/api/applications/:appId', { schema: { tags, summary: 'Change an application (operators)', params: AppParams, body: ApplicationChanges, response: { 200: ApplicationSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const principal = await operator(request);
    if (request.body.redirectUris) checkRedirectUris(request.body.redirectUris);
    return store.transaction((trx) => updateApplication(trx, principal, request.params.appId, request.body));
  });

  app.post<{ Params: Static<typeof AppParams> }>('/api/applications/:appId/secret', { schema: { tags, summary: 'Replace the client secret; the new one is shown once', params: AppParams, response: { 200: Type.Object({ clientSecret: Type.String() }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const principal = await operator(request);
    return { clientSecret: await store.transaction((trx) => rotateClientSecret(trx, principal, request.params.appId)) };
  });

  app.post('/api/signing-keys/rotate', { schema: { tags, summary: 'Start signing JWTs with a new key; the previous key keeps verifying (operators)', response: { 200: Type.Object({ kid: Type.String() }), ...errorResponses(401, 403) } } }, async (request) => {
    await operator(request);
    return { kid: await keys.rotate() };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: { appId: string } }>('/api/companies/:companyId/request-tokens', { schema: { tags, summary: 'Company Request Token: single use, 24 hours, connects the company to one app', params: CompanyParams, body: Type.Object({ appId: Uuid }, { additionalProperties: false }), response: { 201: Type.Object({ requestToken: Type.String(), appId: Type.String(), companyId: Type.String(), expiresAt: Type.String() }), ...errorResponses(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    const { principal, company } = await webServicesAdmin(request, request.params.companyId);
    return reply.code(201).send(await store.transaction((trx) => createRequestToken(trx, principal, company.id, request.body.appId)));
  });

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/connections', { schema: { tags, summary: 'The applications the company is connected to', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(Connection) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await webServicesAdmin(request, request.params.companyId);
    return { items: await listConnections(db, company.id) };
  });

  app.delete<{ Params: Static<typeof CompanyParams> & Static<typeof AppParams> }>('/api/companies/:companyId/connections/:appId', { schema: { tags, summary: 'Disconnect the company from an app; its company tokens stop working', params: Type.Object({ companyId: Uuid, appId: Uuid }), response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } }, async (request, reply) => {
    const { principal, company } = await webServicesAdmin(request, request.params.companyId);
    await store.transaction((trx) => disconnectCompany(trx, principal, company.id, request.params.appId));
    return reply.code(204).send();
  });
}
