/**
 * Companies (tenants), their users and their safe list of connector hosts. Every lookup of a company's
 * data goes through `findCompanyFor`, which answers 404 for another company's id so tenants never see
 * each other.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PatchbayError, notFound } from '../http/errors.ts';
import { actorLabel, type Principal, type Role } from '../identity/principal.ts';
import { hashPassword } from '../security/passwords.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { toBool, type CompanyRow, type CompanyUpdate } from '../store/schema.ts';
import type { Executor } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';

/** Concur editions, which decide who may manage connectors. */
export const EDITIONS = ['STANDARD', 'PROFESSIONAL', 'DEVELOPER_SANDBOX'] as const;

/** One of `EDITIONS`. */
export type Edition = (typeof EDITIONS)[number];

/** Concur's entity id pattern: p(roduction), d(emo) or t(est), then 5 to 31 letters and digits. */
export const ENTITY_ID_PATTERN = '^[pdt][a-zA-Z0-9]{5,31}$';

/** A company as the API shows it. */
export interface Company {
  id: string;
  name: string;
  edition: Edition;
  developmentPartner: boolean;
  entityId: string;
  createdAt: string;
}

/** A user as the API shows it (never the password hash). */
export interface User {
  id: string;
  companyId: string | null;
  loginId: string;
  name: string;
  roles: Role[];
  isOperator: boolean;
  createdAt: string;
}

/** A safe-list entry: a host name, or `*.domain` for every host under a domain. */
export interface SafeListHost {
  host: string;
  createdAt: string;
}

function toCompany(row: CompanyRow): Company {
  return {
    id: row.id,
    name: row.name,
    edition: row.edition as Edition,
    developmentPartner: toBool(row.development_partner),
    entityId: row.entity_id,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Creates a company; the entity id is generated (`t` + 11 characters) when not given. */
export async function createCompany(
  db: Executor,
  actor: Principal | null,
  input: { name: string; edition: Edition; developmentPartner: boolean; entityId?: string | undefined; id?: string | undefined },
): Promise<Company> {
  const entityId = input.entityId ?? `t${randomBytes(8).toString('hex').slice(0, 11)}`;
  const taken = await db.selectFrom('companies').select('id').where('entity_id', '=', entityId).executeTakeFirst();
  if (taken) throw new PatchbayError('conflict', `Entity id ${entityId} is already used by another company.`, { field: 'entityId' });
  const row = {
    id: input.id ?? randomUUID(),
    name: input.name,
    edition: input.edition,
    development_partner: input.developmentPartner,
    entity_id: entityId,
    created_at: Date.now(),
  };
  await db.insertInto('companies').values(row).execute();
  await recordAudit(db, actor, { companyId: row.id, action: 'company.created', targetType: 'company', targetId: row.id, details: { name: row.name, edition: row.edition, developmentPartner: input.developmentPartner, entityId } });
  return toCompany(row);
}

/** Every company, for operators. */
export async function listCompanies(db: Executor): Promise<Company[]> {
  const rows = await db.selectFrom('companies').selectAll().orderBy('name').orderBy('id').execute();
  return rows.map(toCompany);
}

/**
 * The company `companyId` if the principal may see it: operators see every company, users only their
 * own. Anything else is "not found", whether or not the company exists.
 */
const companyById = prepareQuery<[string], CompanyRow>((db, slot) => db.selectFrom('companies').selectAll().where('id', '=', slot(0)));

export async function findCompanyFor(db: Executor, principal: Principal, companyId: string): Promise<Company> {
  if (!principal.isOperator && principal.companyId !== companyId) throw notFound('The company');
  const row = await companyById.first(db, [companyId]);
  if (!row) throw notFound('The company');
  return toCompany(row);
}

/** Loads a company by id without an access check, for internal use (sessions, demo). */
export async function getCompany(db: Executor, companyId: string): Promise<Company | null> {
  const row = await companyById.first(db, [companyId]);
  return row ? toCompany(row) : null;
}

/** Changes a company's name, edition or Development Partner flag. */
export async function updateCompany(
  db: Executor,
  actor: Principal,
  company: Company,
  changes: { name?: string | undefined; edition?: Edition | undefined; developmentPartner?: boolean | undefined },
): Promise<Company> {
  const updates: CompanyUpdate = {};
  if (changes.name !== undefined) updates.name = changes.name;
  if (changes.edition !== undefined) updates.edition = changes.edition;
  if (changes.developmentPartner !== undefined) updates.development_partner = changes.developmentPartner;
  if (Object.keys(updates).length === 0) return company;
  await db.updateTable('companies').set(updates).where('id', '=', company.id).execute();
  await recordAudit(db, actor, { companyId: company.id, action: 'company.updated', targetType: 'company', targetId: company.id, details: changes });
  return { ...company, ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) };
}

/** Login ids are compared case-insensitively, as e-mail addresses are. */
export function normalizeLoginId(loginId: string): string {
  return loginId.trim().toLowerCase();
}

/** Creates a user of `companyId`, or a platform operator when `companyId` is null. */
export async function createUser(
  db: Executor,
  actor: Principal | null,
  input: { companyId: string | null; loginId: string; name: string; password: string; roles: Role[] },
): Promise<User> {
  const loginId = normalizeLoginId(input.loginId);
  const taken = await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirst();
  if (taken) throw new PatchbayError('conflict', `Login ID ${loginId} is already taken.`, { field: 'loginId' });
  const row = {
    id: randomUUID(),
    company_id: input.companyId,
    login_id: loginId,
    name: input.name,
    password_hash: await hashPassword(input.password),
    roles: JSON.stringify([...new Set(input.roles)]),
    is_operator: input.companyId === null,
    created_at: Date.now(),
  };
  await db.insertInto('users').values(row).execute();
  await recordAudit(db, actor, { companyId: input.companyId, action: 'user.created', targetType: 'user', targetId: row.id, details: { loginId, name: input.name, roles: input.roles } });
  return { id: row.id, companyId: row.company_id, loginId, name: row.name, roles: [...new Set(input.roles)], isOperator: row.is_operator, createdAt: new Date(row.created_at).toISOString() };
}

/** The users of one company. */
export async function listUsers(db: Executor, companyId: string): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().where('company_id', '=', companyId).orderBy('login_id').execute();
  return rows.map((row) => ({
    id: row.id,
    companyId: row.company_id,
    loginId: row.login_id,
    name: row.name,
    roles: JSON.parse(row.roles) as Role[],
    isOperator: toBool(row.is_operator),
    createdAt: new Date(row.created_at).toISOString(),
  }));
}

/**
 * Normalizes a safe-list entry: a lower-case DNS name or IP address, optionally `*.` + a domain.
 * Returns null for anything else (URLs, ports, paths, blanks).
 */
export function normalizeSafeListHost(host: string): string | null {
  const text = host.trim().toLowerCase();
  const name = text.startsWith('*.') ? text.slice(2) : text;
  const isDnsName = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name);
  const isIpv6 = !text.startsWith('*.') && /^\[?[0-9a-f:.]+\]?$/.test(text) && text.includes(':');
  if (isIpv6) return text.replace(/^\[|\]$/g, '');
  return isDnsName ? text : null;
}

/** The company's safe list, in host order. */
export async function listSafeList(db: Executor, companyId: string): Promise<SafeListHost[]> {
  const rows = await db.selectFrom('safe_list_hosts').select(['host', 'created_at']).where('company_id', '=', companyId).orderBy('host').execute();
  return rows.map((row) => ({ host: row.host, createdAt: new Date(row.created_at).toISOString() }));
}

/** Just the hosts of the company's safe list, for the outbound client. */
const safeListOf = prepareQuery<[string], { host: string }>((db, slot) => db.selectFrom('safe_list_hosts').select('host').where('company_id', '=', slot(0)));

export async function safeListHosts(db: Executor, companyId: string): Promise<string[]> {
  const { rows } = await safeListOf.execute(db, [companyId]);
  return rows.map((row) => row.host);
}

/** Adds a host to the company's safe list (idempotent). */
export async function addSafeListHost(db: Executor, actor: Principal | null, companyId: string, rawHost: string): Promise<SafeListHost> {
  const host = normalizeSafeListHost(rawHost);
  if (host === null) {
    throw new PatchbayError('validation_failed', `"${rawHost}" is not a host name: give a name such as connector.example.com or *.example.com, without scheme, port or path.`, { field: 'host' });
  }
  const existing = await db.selectFrom('safe_list_hosts').select(['host', 'created_at']).where('company_id', '=', companyId).where('host', '=', host).executeTakeFirst();
  if (existing) return { host, createdAt: new Date(existing.created_at).toISOString() };
  const createdAt = Date.now();
  await db.insertInto('safe_list_hosts').values({ company_id: companyId, host, created_by: actor ? actorLabel(actor) : 'system', created_at: createdAt }).execute();
  await recordAudit(db, actor, { companyId, action: 'safe_list.host_added', targetType: 'company', targetId: companyId, details: { host } });
  return { host, createdAt: new Date(createdAt).toISOString() };
}

/** Removes a host from the company's safe list; 404 if it is not on it. */
export async function removeSafeListHost(db: Executor, actor: Principal, companyId: string, rawHost: string): Promise<void> {
  const host = normalizeSafeListHost(rawHost) ?? rawHost;
  const result = await db.deleteFrom('safe_list_hosts').where('company_id', '=', companyId).where('host', '=', host).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound(`The host ${host} on the safe list`);
  await recordAudit(db, actor, { companyId, action: 'safe_list.host_removed', targetType: 'company', targetId: companyId, details: { host } });
}
