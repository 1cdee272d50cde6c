/**
 * OAuth2 client applications, registered by platform operators: a client id (the application's
 * UUID), a client secret shown once and stored only as a hash, the grants and scopes it may use, and
 * its redirect URIs.
 */
import { randomUUID } from 'node:crypto';
import { PatchbayError, notFound } from '../http/errors.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { hashToken, newToken } from '../security/tokens.ts';
import { toBool, type ApplicationRow } from '../store/schema.ts';
import type { Executor } from '../store/store.ts';
import type { Principal } from './principal.ts';
import { sameSecret } from './sessions.ts';
import { OAuthError } from './oauth-errors.ts';

/** The grants `/oauth2/v0/token` knows. */
export const GRANTS = ['client_credentials', 'password', 'authorization_code', 'refresh_token'] as const;

/** One of `GRANTS`. */
export type Grant = (typeof GRANTS)[number];

/** What a scope name looks like (Concur's are dotted lower-case words, e.g. `travelrequest.write`). */
export const SCOPE_PATTERN = '^[a-zA-Z][a-zA-Z0-9._:-]{0,99}$';

/** An application as the admin API shows it (never the secret or its hash). */
export interface Application {
  id: string;
  name: string;
  grants: Grant[];
  scopes: string[];
  redirectUris: string[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The editable fields of an application. */
export interface ApplicationFields {
  name: string;
  grants: Grant[];
  scopes: string[];
  redirectUris: string[];
}

function toApplication(row: ApplicationRow): Application {
  return {
    id: row.id,
    name: row.name,
    grants: JSON.parse(row.grants) as Grant[],
    scopes: JSON.parse(row.scopes) as string[],
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    active: toBool(row.active),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Client secrets carry a prefix so that a leaked one is recognisable in logs and scanners. */
function newClientSecret(): string {
  return newToken('pbcs');
}

/**
 * Registers an application; the client secret is returned here and never again. `fixed` gives the id
 * and secret instead of generating them (the demo's well-known application).
 */
export async function createApplication(
  db: Executor,
  actor: Principal | null,
  fields: ApplicationFields,
  fixed?: { id: string; clientSecret: string },
): Promise<{ application: Application; clientSecret: string }> {
  const clientSecret = fixed?.clientSecret ?? newClientSecret();
  const now = Date.now();
  const row = {
    id: fixed?.id ?? randomUUID(),
    name: fields.name.trim(),
    client_secret_hash: hashToken(clientSecret),
    grants: JSON.stringify([...new Set(fields.grants)]),
    scopes: JSON.stringify([...new Set(fields.scopes)]),
    redirect_uris: JSON.stringify([...new Set(fields.redirectUris)]),
    active: true,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('applications').values(row).execute();
  await recordAudit(db, actor, { companyId: null, action: 'application.created', targetType: 'application', targetId: row.id, details: { name: row.name, grants: fields.grants, scopes: fields.scopes, redirectUris: fields.redirectUris } });
  return { application: toApplication(row), clientSecret };
}

/** Every application, by name. */
export async function listApplications(db: Executor): Promise<Application[]> {
  return (await db.selectFrom('applications').selectAll().orderBy('name').orderBy('id').execute()).map(toApplication);
}

/** One application, or a 404. */
export async function getApplication(db: Executor, appId: string): Promise<Application> {
  const row = await db.selectFrom('applications').selectAll().where('id', '=', appId).executeTakeFirst();
  if (!row) throw notFound('The application');
  return toApplication(row);
}

/** Changes an application's fields or its Active flag. */
export async function updateApplication(db: Executor, actor: Principal, appId: string, changes: Partial<ApplicationFields> & { active?: boolean | undefined }): Promise<Application> {
  await getApplication(db, appId);
  const updates: Record<string, unknown> = {};
  if (changes.name !== undefined) updates.name = changes.name.trim();
  if (changes.grants !== undefined) updates.grants = JSON.stringify([...new Set(changes.grants)]);
  if (changes.scopes !== undefined) updates.scopes = JSON.stringify([...new Set(changes.scopes)]);
  if (changes.redirectUris !== undefined) updates.redirect_uris = JSON.stringify([...new Set(changes.redirectUris)]);
  if (changes.active !== undefined) updates.active = changes.active;
  if (Object.keys(updates).length > 0) {
    await db.updateTable('applications').set({ ...updates, updated_at: Date.now() }).where('id', '=', appId).execute();
    await recordAudit(db, actor, { companyId: null, action: 'application.updated', targetType: 'application', targetId: appId, details: changes });
  }
  return getApplication(db, appId);
}

/** Replaces the client secret; the old one stops working at once. The new one is returned once. */
export async function rotateClientSecret(db: Executor, actor: Principal, appId: string): Promise<string> {
  await getApplication(db, appId);
  const clientSecret = newClientSecret();
  await db.updateTable('applications').set({ client_secret_hash: hashToken(clientSecret), updated_at: Date.now() }).where('id', '=', appId).execute();
  await recordAudit(db, actor, { companyId: null, action: 'application.secret_rotated', targetType: 'application', targetId: appId, details: {} });
  return clientSecret;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks `client_id` and `client_secret` (constant-time) and that the client may use `grant`. */
export async function authenticateClient(db: Executor, clientId: string | undefined, clientSecret: string | undefined, grant: Grant): Promise<Application> {
  if (!clientId) throw new OAuthError('clientIdMissing');
  if (!clientSecret) throw new OAuthError('clientSecretMissing');
  const row = UUID.test(clientId) ? await db.selectFrom('applications').selectAll().where('id', '=', clientId.toLowerCase()).executeTakeFirst() : undefined;
  if (!row) throw new OAuthError('clientNotFound');
  if (!sameSecret(hashToken(clientSecret), row.client_secret_hash)) throw new OAuthError('clientSecretWrong');
  const application = toApplication(row);
  if (!application.active) throw new OAuthError('clientDisabled');
  if (!application.grants.includes(grant)) throw new OAuthError('grantNotAllowed', `this client may not use the ${grant} grant`);
  return application;
}

/**
 * The scopes a token gets: all of `granted` when `requested` is empty, else the requested ones,
 * which must all be granted.
 */
export function narrowScopes(granted: readonly string[], requested: string | undefined): string[] {
  const asked = (requested ?? '').split(/[\s,]+/).filter(Boolean);
  if (asked.length === 0) return [...granted];
  const missing = asked.filter((scope) => !granted.includes(scope));
  if (missing.length > 0) throw new OAuthError('scopeExceeded', missing.join(' '));
  return [...new Set(asked)];
}

/** 400 unless every redirect URI is an absolute https URL (http only for localhost), without fragment. */
export function checkRedirectUris(uris: readonly string[]): void {
  for (const uri of uris) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw new PatchbayError('validation_failed', `Redirect URI "${uri}" is not an absolute URL.`, { field: 'redirectUris' });
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname))) {
      throw new PatchbayError('validation_failed', `Redirect URI "${uri}" must use https (http only for localhost).`, { field: 'redirectUris' });
    }
    if (parsed.hash) throw new PatchbayError('validation_failed', `Redirect URI "${uri}" must not have a fragment.`, { field: 'redirectUris' });
  }
}
