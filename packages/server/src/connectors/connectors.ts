/**
 * The application connector registry: register, modify, test connection, configure services and
 * deactivate. Registrations are never deleted. Every change and its audit entry commit together.
 */
import { randomUUID } from 'node:crypto';
import { PatchbayError, invalidField, notFound } from '../http/errors.ts';
import type { Principal } from '../identity/principal.ts';
import type { Company } from '../companies/companies.ts';
import { safeListHosts } from '../companies/companies.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { toBool, type ConnectorRow, type ConnectorServiceRow, type ConnectorUpdate } from '../store/schema.ts';
import type { Executor, Store } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import type { OutboundClient } from './outbound-client.ts';
import { testConnection, type TestConnectionResult } from './test-connection.ts';
import { SERVICES, SERVICE_IDS, type ServiceId, type ServiceSettings } from './services.ts';
import { attendeeVersionFromEndpoint } from '@patchbay/callout-xml';
import { bindAttendeeTypes } from '../callouts/attendee-types.ts';

/** One service of a connector as the API shows it. */
export interface ConnectorService {
  service: ServiceId;
  label: string;
  /** The path on the connector's host; null until the service is configured. */
  endpoint: string | null;
  active: boolean;
  /** Whether callouts may use it now: configured, active, and the connector Verified. */
  usable: boolean;
  settings: Record<string, unknown>;
}

/** A connector registration as the API shows it. The password is never part of it. */
export interface Connector {
  id: string;
  companyId: string;
  name: string;
  description: string;
  hostName: string;
  userName: string;
  verified: boolean;
  verifiedAt: string | null;
  lastTest: { at: string; outcome: string; message: string; httpStatus: number | null } | null;
  /** ACTIVE while any service is active; a connector with every service inactive is deactivated. */
  status: 'ACTIVE' | 'INACTIVE';
  services: ConnectorService[];
  createdAt: string;
  updatedAt: string;
}

/** The System fields of a registration. */
export interface SystemFields {
  name: string;
  description: string;
  hostName: string;
  userName: string;
  password: string;
}

/** What the registry needs from the rest of patchbay. */
export interface RegistryDeps {
  store: Store;
  secrets: SecretBox;
  outbound: OutboundClient;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function toConnector(row: ConnectorRow, serviceRows: ConnectorServiceRow[]): Connector {
  const verified = toBool(row.verified);
  const services = SERVICE_IDS.map((service): ConnectorService => {
    const stored = serviceRows.find((s) => s.service === service);
    const active = stored ? toBool(stored.active) : false;
    const endpoint = stored?.endpoint ?? null;
    return {
      service,
      label: SERVICES[service].label,
      endpoint,
      active,
      usable: verified && active && endpoint !== null,
      settings: stored ? (JSON.parse(stored.settings) as Record<string, unknown>) : { ...SERVICES[service].empty },
    };
  });
  return {
    id: row.id,
    companyId: row.company_id,
    name: row.name,
    description: row.description,
    hostName: row.host_name,
    userName: row.user_name,
    verified,
    verifiedAt: iso(row.verified_at),
    lastTest:
      row.last_test_at === null
        ? null
        : { at: iso(row.last_test_at)!, outcome: row.last_test_outcome ?? '', message: row.last_test_message ?? '', httpStatus: row.last_test_http_status },
    status: services.some((s) => s.active) ? 'ACTIVE' : 'INACTIVE',
    services,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

/**
 * Normalizes a Host Name to `https://host[:port]`: HTTPS only, no credentials, path, query or
 * fragment (a trailing slash is dropped). Anything else is a 400 naming the field.
 */
export function normalizeHostName(input: string): string {
  const text = input.trim();
  const fail = (why: string) => invalidField('hostName', `Host Name ${why}: give it as https://{servername}, optionally with :port, e.g. https://connector.example.com.`);
  if (!/^https:\/\//i.test(text)) fail('must start with https:// (Concur calls connectors over TLS only)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail('is not a valid URL');
  }
  if (url.username || url.password) throw fail('must not contain a user name or password');
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(text)) throw fail('must not contain a path, query or fragment');
  if (!/^https:\/\/[^/?#@\s]+\/?$/i.test(text)) throw fail('is malformed');
  return `https://${url.host}`;
}

/** Checks a service endpoint path: it starts with `/` and holds only URL path characters. */
export function checkEndpoint(endpoint: string): string {
  const path = endpoint.trim();
  if (!/^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/.test(path) || path.split('/').includes('..')) {
    throw invalidField('endpoint', 'The endpoint must be a path on the connector\'s host starting with a single "/", e.g. /attendee/v2.0/find, without query, fragment or "..".');
  }
  return path;
}

async function loadConnector(db: Executor, companyId: string, connectorId: string): Promise<{ row: ConnectorRow; services: ConnectorServiceRow[] }> {
  const row = await db.selectFrom('connectors').selectAll().where('id', '=', connectorId).where('company_id', '=', companyId).executeTakeFirst();
  if (!row) throw notFound('The application connector');
  const services = await db.selectFrom('connector_services').selectAll().where('connector_id', '=', connectorId).execute();
  return { row, services };
}

/** The company's connectors, by name. */
export async function listConnectors(db: Executor, companyId: string): Promise<Connector[]> {
  const rows = await db.selectFrom('connectors').selectAll().where('company_id', '=', companyId).orderBy('name').orderBy('id').execute();
  if (rows.length === 0) return [];
  const services = await db.selectFrom('connector_services').selectAll().where('connector_id', 'in', rows.map((r) => r.id)).execute();
  return rows.map((row) => toConnector(row, services.filter((s) => s.connector_id === row.id)));
}

/** One connector of the company; 404 when it belongs to another company or does not exist. */
export async function getConnector(db: Executor, companyId: string, connectorId: string): Promise<Connector> {
  const { row, services } = await loadConnector(db, companyId, connectorId);
  return toConnector(row, services);
}

/** Registers a connector (New > Save). It starts unverified with no service configured. */
export async function registerConnector(deps: RegistryDeps, actor: Principal, company: Company, fields: SystemFields): Promise<Connector> {
  const hostName = normalizeHostName(fields.hostName);
  const now = Date.now();
  const row = {
    id: randomUUID(),
    company_id: company.id,
    name: fields.name.trim(),
    description: fields.description.trim(),
    host_name: hostName,
    user_name: fields.userName,
    password_encrypted: deps.secrets.seal(fields.password),
    verified: false,
    verified_at: null,
    last_test_at: null,
    last_test_outcome: null,
    last_test_message: null,
    last_test_http_status: null,
    created_at: now,
    updated_at: now,
  };
  await deps.store.transaction(async (trx) => {
    await trx.insertInto('connectors').values(row).execute();
    await recordAudit(trx, actor, {
      companyId: company.id,
      action: 'connector.registered',
      targetType: 'connector',
      targetId: row.id,
      details: { name: row.name, description: row.description, hostName, userName: row.user_name },
    });
  });
  return toConnector(row, []);
}

/**
 * Modifies System fields. A new Host Name, User Name or Password clears Verified: the connector must
 * pass Test Connection again before any service can use it.
 */
export async function modifyConnector(
  deps: RegistryDeps,
  actor: Principal,
  company: Company,
  connectorId: string,
  changes: Partial<SystemFields>,
): Promise<Connector> {
  return deps.store.transaction(async (trx) => {
    const { row } = await loadConnector(trx, company.id, connectorId);
    const updates: ConnectorUpdate = {};
    const changed: Record<string, unknown> = {};
    if (changes.name !== undefined && changes.name.trim() !== row.name) updates.name = changed.name = changes.name.trim();
    if (changes.description !== undefined && changes.description.trim() !== row.description) updates.description = changed.description = changes.description.trim();
    if (changes.hostName !== undefined) {
      const hostName = normalizeHostName(changes.hostName);
      if (hostName !== row.host_name) updates.host_name = changed.hostName = hostName;
    }
    if (changes.userName !== undefined && changes.userName !== row.user_name) updates.user_name = changed.userName = changes.userName;
    if (changes.password !== undefined && changes.password !== deps.secrets.open(row.password_encrypted)) {
      updates.password_encrypted = deps.secrets.seal(changes.password);
      changed.passwordChanged = true;
    }
    if (Object.keys(updates).length === 0) return getConnector(trx, company.id, connectorId);
    const clearsVerified = toBool(row.verified) && (updates.host_name !== undefined || updates.user_name !== undefined || updates.password_encrypted !== undefined);
    if (clearsVerified) {
      updates.verified = false;
      updates.verified_at = null;
      changed.verifiedCleared = true;
    }
    updates.updated_at = Date.now();
    await trx.updateTable('connectors').set(updates).where('id', '=', connectorId).execute();
    await recordAudit(trx, actor, { companyId: company.id, action: 'connector.modified', targetType: 'connector', targetId: connectorId, details: changed });
    return getConnector(trx, company.id, connectorId);
  });
}

/**
 * Test Connection: GET {host}/system/v1.0/testconnection with the stored credentials. Passing marks
 * the connector Verified, unless its host or credentials changed while the test was in flight.
 */
export async function testConnectorConnection(
  deps: RegistryDeps,
  actor: Principal,
  company: Company,
  connectorId: string,
): Promise<{ result: TestConnectionResult & { testedAt: string }; connector: Connector }> {
  const { row } = await loadConnector(deps.store.db, company.id, connectorId);
  const allowedHosts = await safeListHosts(deps.store.db, company.id);
  // The network call runs outside any transaction: a slow connector must not hold the database.
  const result = await testConnection(deps.outbound, {
    hostName: row.host_name,
    userName: row.user_name,
    password: deps.secrets.open(row.password_encrypted),
    allowedHosts,
  });
  const testedAt = Date.now();
  const connector = await deps.store.transaction(async (trx) => {
    const current = await loadConnector(trx, company.id, connectorId);
    const sameTarget =
      current.row.host_name === row.host_name && current.row.user_name === row.user_name && current.row.password_encrypted === row.password_encrypted;
    const verified = result.ok && sameTarget;
    await trx
      .updateTable('connectors')
      .set({
        last_test_at: testedAt,
        last_test_outcome: result.outcome,
        last_test_message: result.message,
        last_test_http_status: result.httpStatus,
        ...(verified ? { verified: true, verified_at: testedAt } : sameTarget ? { verified: false, verified_at: null } : {}),
      })
      .where('id', '=', connectorId)
      .execute();
    await recordAudit(trx, actor, {
      companyId: company.id,
      action: 'connector.connection_tested',
      targetType: 'connector',
      targetId: connectorId,
      details: { ok: result.ok, outcome: result.outcome, message: result.message, httpStatus: result.httpStatus, durationMs: result.durationMs, hostName: row.host_name },
    });
    return getConnector(trx, company.id, connectorId);
  });
  return { result: { ...result, testedAt: new Date(testedAt).toISOString() }, connector };
}

/**
 * Configure Service > Save: the endpoint, the Active flag and the service's settings. Saving Fetch
 * List inactive deletes its configured lists, as Concur does.
 */
export async function configureService(
  deps: RegistryDeps,
  actor: Principal,
  company: Company,
  connectorId: string,
  service: ServiceId,
  input: { endpoint: string; active: boolean; settings?: Record<string, unknown> | undefined },
): Promise<Connector> {
  const endpoint = checkEndpoint(input.endpoint);
  if (service === 'fetch-attendee') {
    const version = attendeeVersionFromEndpoint(endpoint);
    if (!version.ok) throw invalidField('endpoint', version.reason);
  }
  return deps.store.transaction(async (trx) => {
    const { services } = await loadConnector(trx, company.id, connectorId);
    const previous = services.find((s) => s.service === service);
    let settings = input.settings ?? (previous ? (JSON.parse(previous.settings) as Record<string, unknown>) : { ...SERVICES[service].empty });
    if (service === 'fetch-list' && !input.active) settings = { ...SERVICES['fetch-list'].empty };
    if (service === 'fetch-list') checkListNames((settings as ServiceSettings<'fetch-list'>).lists);
    if (service === 'fetch-attendee') await bindAttendeeTypes(trx, company.id, connectorId, (settings as ServiceSettings<'fetch-attendee'>).attendeeTypes);
    if (service === 'send-notification' || service === 'external-report-validation') await checkWorkflows(trx, company.id, (settings as ServiceSettings<'send-notification'>).workflows);
    const now = Date.now();
    const values = { endpoint, active: input.active, settings: JSON.stringify(settings), updated_at: now };
    if (previous) {
      await trx.updateTable('connector_services').set(values).where('connector_id', '=', connectorId).where('service', '=', service).execute();
    } else {
      await trx.insertInto('connector_services').values({ connector_id: connectorId, service, ...values }).execute();
    }
    await trx.updateTable('connectors').set({ updated_at: now }).where('id', '=', connectorId).execute();
    await recordAudit(trx, actor, {
      companyId: company.id,
      action: 'connector.service_configured',
      targetType: 'connector',
      targetId: connectorId,
      details: { service, endpoint, active: input.active, settings },
    });
    return getConnector(trx, company.id, connectorId);
  });
}

/** The workflows a notification service ticks must be the company's own. */
async function checkWorkflows(db: Executor, companyId: string, workflows: ServiceSettings<'send-notification'>['workflows']): Promise<void> {
  if (workflows.length === 0) return;
  const ids = workflows.map((workflow) => workflow.workflowId.toLowerCase());
  const own = new Set((await db.selectFrom('workflows').select('id').where('company_id', '=', companyId).where('id', 'in', ids).execute()).map((row) => row.id));
  const unknown = ids.findIndex((id) => !own.has(id));
  if (unknown >= 0) throw invalidField(`settings.workflows.${unknown}.workflowId`, `No workflow ${workflows[unknown]!.workflowId} in this company: tick the steps of the company's own workflows.`);
}

/** Two lists of one Fetch List service cannot share a name: list fields pick their list by name. */
function checkListNames(lists: ServiceSettings<'fetch-list'>['lists']): void {
  const seen = new Set<string>();
  for (const list of lists) {
    const key = list.name.trim().toLowerCase();
    if (seen.has(key)) throw invalidField('settings.lists', `Two lists are named "${list.name}"; give each list of the service its own name.`);
    seen.add(key);
  }
}

/** Deactivation: every service set inactive (registrations cannot be deleted). */
export async function deactivateConnector(deps: RegistryDeps, actor: Principal, company: Company, connectorId: string): Promise<Connector> {
  return deps.store.transaction(async (trx) => {
    const { services } = await loadConnector(trx, company.id, connectorId);
    const now = Date.now();
    const deactivated = services.filter((s) => toBool(s.active)).map((s) => s.service);
    for (const service of services) {
      const settings = service.service === 'fetch-list' ? JSON.stringify(SERVICES['fetch-list'].empty) : service.settings;
      await trx.updateTable('connector_services').set({ active: false, settings, updated_at: now }).where('connector_id', '=', connectorId).where('service', '=', service.service).execute();
    }
    await trx.updateTable('connectors').set({ updated_at: now }).where('id', '=', connectorId).execute();
    await recordAudit(trx, actor, { companyId: company.id, action: 'connector.deactivated', targetType: 'connector', targetId: connectorId, details: { servicesDeactivated: deactivated } });
    return getConnector(trx, company.id, connectorId);
  });
}

/** A service callouts may use: the company's connector serving it, Verified and active. */
export interface UsableService {
  connectorId: string;
  url: string;
  userName: string;
  password: string;
  settings: Record<string, unknown>;
}

/** The active services of verified connectors with an endpoint: the first serves the callout. */
function usableServicesQuery(db: Executor, companyId: string, service: ServiceId) {
  return db
    .selectFrom('connector_services')
    .innerJoin('connectors', 'connectors.id', 'connector_services.connector_id')
    .select(['connectors.id', 'connectors.host_name', 'connectors.user_name', 'connectors.password_encrypted', 'connector_services.endpoint', 'connector_services.settings'])
    .where('connectors.company_id', '=', companyId)
    .where('connector_services.service', '=', service)
    .where('connector_services.active', '=', true)
    .where('connectors.verified', '=', true)
    .where('connector_services.endpoint', 'is not', null)
    .orderBy('connectors.created_at');
}
const usableServices = prepareQuery<[string, ServiceId], UsableServiceRow>((db, slot) => usableServicesQuery(db, slot(0), slot(1)));
const usableServiceOf = prepareQuery<[string, ServiceId, string], UsableServiceRow>((db, slot) => usableServicesQuery(db, slot(0), slot(1)).where('connectors.id', '=', slot(2)));
type UsableServiceRow = Pick<ConnectorRow, 'id' | 'host_name' | 'user_name' | 'password_encrypted'> & Pick<ConnectorServiceRow, 'endpoint' | 'settings'>;

/**
 * The connector that serves `service` for a company, if one is usable now. Callouts go through this,
 * so an unverified connector or an inactive service is never called.
 */
export async function findUsableService(db: Executor, secrets: SecretBox, companyId: string, service: ServiceId, connectorId?: string): Promise<UsableService | null> {
  const row = connectorId === undefined ? await usableServices.first(db, [companyId, service]) : await usableServiceOf.first(db, [companyId, service, connectorId]);
  if (!row || row.endpoint === null) return null;
  return {
    connectorId: row.id,
    url: `${row.host_name}${row.endpoint}`,
    userName: row.user_name,
    password: secrets.open(row.password_encrypted),
    settings: JSON.parse(row.settings) as Record<string, unknown>,
  };
}

/** The refusal every attempt to delete a registration gets. */
export function deletionRefused(): PatchbayError {
  return new PatchbayError(
    'method_not_allowed',
    'Application connector registrations cannot be deleted. Deactivate the connector instead: set every service inactive (POST .../deactivate).',
  );
}
