/** Admin API of the application connector registry, under /api/companies/{companyId}/connectors. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { PatchbayError } from '../http/errors.ts';
import { errorResponses, Uuid } from '../http/schemas.ts';
import { authenticate } from '../identity/sessions.ts';
import { findCompanyFor, type Company } from '../companies/companies.ts';
import { connectorPermission } from '../companies/permissions.ts';
import { listAudit } from '../audit/audit-log.ts';
import type { Principal } from '../identity/principal.ts';
import type { FastifyRequest } from 'fastify';
import {
  configureService, deactivateConnector, deletionRefused, getConnector, listConnectors, modifyConnector, registerConnector,
  testConnectorConnection, type RegistryDeps,
} from './connectors.ts';
import { SERVICES, SERVICE_IDS } from './services.ts';

/** Concur's rule for connector credentials: 10 to 50 characters each. */
const Credential = Type.String({ minLength: 10, maxLength: 50 });
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Description = Type.String({ maxLength: 1000 });
const HostName = Type.String({ minLength: 9, maxLength: 255 });

const NewConnector = Type.Object(
  { name: Name, description: Description, hostName: HostName, userName: Credential, password: Credential },
  { additionalProperties: false },
);
const ConnectorChanges = Type.Partial(NewConnector, { additionalProperties: false });
const ServiceSchema = Type.Object({
  service: Type.String(), label: Type.String(), endpoint: Type.Union([Type.String(), Type.Null()]), active: Type.Boolean(),
  usable: Type.Boolean(), settings: Type.Object({}, { additionalProperties: true }),
});
const ConnectorSchema = Type.Object({
  id: Type.String(), companyId: Type.String(), name: Type.String(), description: Type.String(), hostName: Type.String(),
  userName: Type.String(), verified: Type.Boolean(), verifiedAt: Type.Union([Type.String(), Type.Null()]),
  lastTest: Type.Union([
    Type.Object({ at: Type.String(), outcome: Type.String(), message: Type.String(), httpStatus: Type.Union([Type.Integer(), Type.Null()]) }),
    Type.Null(),
  ]),
  status: Type.Union([Type.Literal('ACTIVE'), Type.Literal('INACTIVE')]), services: Type.Array(ServiceSchema),
  createdAt: Type.String(), updatedAt: Type.String(),
});
const TestResult = Type.Object({
  result: Type.Object({
    ok: Type.Boolean(), outcome: Type.String(), message: Type.String(), httpStatus: Type.Union([Type.Integer(), Type.Null()]),
    durationMs: Type.Number(), testedAt: Type.String(),
  }),
  connector: ConnectorSchema,
});
const AuditEntry = Type.Object({
  id: Type.Integer(), at: Type.String(), actor: Type.Object({ id: Type.Union([Type.String(), Type.Null()]), label: Type.String() }),
  action: Type.String(), details: Type.Object({}, { additionalProperties: true }),
});
const CompanyParams = Type.Object({ companyId: Uuid });
const ConnectorParams = Type.Object({ companyId: Uuid, connectorId: Uuid });
type ConnectorParams = Static<typeof ConnectorParams>;

/** Registers the connector registry routes. */
export function connectorRoutes(app: FastifyInstance, deps: RegistryDeps): void {
  const db = deps.store.db;
  const tags = ['Application connectors'];

  /** The caller and the company, if the caller may manage that company's connectors (404 for other companies, 403 without permission). */
  async function access(request: FastifyRequest, companyId: string): Promise<{ principal: Principal; company: Company }> {
    const principal = await authenticate(db, request);
    const company = await findCompanyFor(db, principal, companyId);
    const permission = connectorPermission(principal, company);
    if (!permission.allowed) {
      throw new PatchbayError('permission_denied', `Registering and modifying application connectors needs ${permission.missing}.`);
    }
    return { principal, company };
  }

  app.get<{ Params: Static<typeof CompanyParams> }>('/api/companies/:companyId/connectors', { schema: { tags, summary: 'Application Connector Registration: the list', params: CompanyParams, response: { 200: Type.Object({ items: Type.Array(ConnectorSchema) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await access(request, request.params.companyId);
    return { items: await listConnectors(db, company.id) };
  });

  app.post<{ Params: Static<typeof CompanyParams>; Body: Static<typeof NewConnector> }>('/api/companies/:companyId/connectors', { schema: { tags, summary: 'New: register a connector', params: CompanyParams, body: NewConnector, response: { 201: ConnectorSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request, reply) => {
    const { principal, company } = await access(request, request.params.companyId);
    return reply.code(201).send(await registerConnector(deps, principal, company, request.body));
  });

  app.get<{ Params: ConnectorParams }>('/api/companies/:companyId/connectors/:connectorId', { schema: { tags, summary: 'One connector (never its password)', params: ConnectorParams, response: { 200: ConnectorSchema, ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await access(request, request.params.companyId);
    return getConnector(db, company.id, request.params.connectorId);
  });

  app.patch<{ Params: ConnectorParams; Body: Static<typeof ConnectorChanges> }>('/api/companies/:companyId/connectors/:connectorId', { schema: { tags, summary: 'Modify System fields; new host or credentials clear Verified', params: ConnectorParams, body: ConnectorChanges, response: { 200: ConnectorSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
    const { principal, company } = await access(request, request.params.companyId);
    return modifyConnector(deps, principal, company, request.params.connectorId, request.body);
  });

  app.delete<{ Params: ConnectorParams }>('/api/companies/:companyId/connectors/:connectorId', { schema: { tags, summary: 'Always refused: registrations are deactivated, never deleted', params: ConnectorParams, response: errorResponses(401, 403, 404, 405) } }, async (request) => {
    const { company } = await access(request, request.params.companyId);
    await getConnector(db, company.id, request.params.connectorId);
    throw deletionRefused();
  });

  app.post<{ Params: ConnectorParams }>('/api/companies/:companyId/connectors/:connectorId/test-connection', { schema: { tags, summary: 'Test Connection: GET {host}/system/v1.0/testconnection with Basic auth', params: ConnectorParams, response: { 200: TestResult, ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { principal, company } = await access(request, request.params.companyId);
    return testConnectorConnection(deps, principal, company, request.params.connectorId);
  });

  for (const service of SERVICE_IDS) {
    const Body = Type.Object(
      { endpoint: Type.String({ minLength: 1, maxLength: 1024 }), active: Type.Boolean(), settings: Type.Optional(SERVICES[service].settings) },
      { additionalProperties: false },
    );
    app.put<{ Params: ConnectorParams; Body: Static<typeof Body> }>(`/api/companies/:companyId/connectors/:connectorId/services/${service}`, { schema: { tags, summary: `Configure Service: ${SERVICES[service].label}`, params: ConnectorParams, body: Body, response: { 200: ConnectorSchema, ...errorResponses(400, 401, 403, 404) } } }, async (request) => {
      const { principal, company } = await access(request, request.params.companyId);
      return configureService(deps, principal, company, request.params.connectorId, service, request.body as { endpoint: string; active: boolean; settings?: Record<string, unknown> });
    });
  }

  app.post<{ Params: ConnectorParams }>('/api/companies/:companyId/connectors/:connectorId/deactivate', { schema: { tags, summary: 'Deactivate: set every service inactive', params: ConnectorParams, response: { 200: ConnectorSchema, ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { principal, company } = await access(request, request.params.companyId);
    return deactivateConnector(deps, principal, company, request.params.connectorId);
  });

  app.get<{ Params: ConnectorParams }>('/api/companies/:companyId/connectors/:connectorId/audit', { schema: { tags, summary: 'The connector\'s audit trail, newest first', params: ConnectorParams, response: { 200: Type.Object({ items: Type.Array(AuditEntry) }), ...errorResponses(401, 403, 404) } } }, async (request) => {
    const { company } = await access(request, request.params.companyId);
    await getConnector(db, company.id, request.params.connectorId);
    return { items: await listAudit(db, company.id, 'connector', request.params.connectorId) };
  });
}
