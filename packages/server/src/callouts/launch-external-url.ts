/**
 * Launch External URL v4, the Concur Request variant: the button of a Launch URL field opens the
 * connector's page in a pop-up, on a URL carrying every documented parameter, a fresh GUID `nonce`, the
 * HMAC-SHA256 `signature` (key: lower-cased user name + password) and a one-time `client_auth_code` the
 * connector exchanges at `/oauth2/v0/token` for the user's token. The console saves the request before
 * asking for the URL and reloads it when the window closes.
 */
import { buildLeuUrl, leuSignature, newLeuNonce, type LeuV4RequestParams } from '@patchbay/callout-xml';
import { PatchbayError, invalidField } from '../http/errors.ts';
import { findUsableService } from '../connectors/connectors.ts';
import { getApplication } from '../identity/applications.ts';
import { issueAuthorizationCode } from '../identity/oauth.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Principal } from '../identity/principal.ts';
import type { RequestRow } from '../store/schema.ts';
import type { CalloutDeps } from './fetch-attendee.ts';
import { getFormField } from './form-fields.ts';

/** What the console needs to open the window. */
export interface Launch {
  url: string;
  width: number;
  height: number;
}

/** The Launch External URL service's settings (Configure Service: version, Client ID, Redirect URL). */
interface LeuSettings {
  version?: 'V1' | 'V4';
  clientId?: string;
  redirectUrl?: string;
}

/**
 * Builds a launch of the Launch URL field `fieldName` of `request` for the signed-in user. Only the
 * request's owner may launch it (Concur: Modify for the Employee role only), while the request is editable.
 */
export async function launchExternalUrl(
  deps: CalloutDeps,
  actor: Principal,
  request: RequestRow,
  fieldName: string,
  context: { publicUrl: string; languageCode?: string | undefined },
): Promise<Launch> {
  const db = deps.store.db;
  const field = await getFormField(db, request.company_id, fieldName);
  if (field.kind !== 'LAUNCH_URL' || !field.connectorId || !field.popup) throw invalidField('field', `${field.label} is not a Launch URL field.`);
  const unavailable = (why: string) => new PatchbayError('conflict', `${field.label} cannot be opened: ${why} Ask your administrator.`);
  const service = await findUsableService(db, deps.secrets, request.company_id, 'launch-external-url', field.connectorId);
  if (!service) throw unavailable('its application connector is not Verified or its Launch External URL service is inactive.');
  const settings = service.settings as LeuSettings;
  if (settings.version !== 'V4' || !settings.clientId || !settings.redirectUrl) {
    throw unavailable('the Launch External URL service needs Service Version V4, a Client ID and a Redirect URL.');
  }
  let app;
  try {
    app = await getApplication(db, settings.clientId);
  } catch {
    throw unavailable(`the Client ID ${settings.clientId} of the Launch External URL service is not a registered application.`);
  }
  if (!app.active) throw unavailable(`the application ${app.name} is disabled.`);
  if (!app.grants.includes('authorization_code')) throw unavailable(`the application ${app.name} may not use the authorization_code grant.`);
  if (!app.redirectUris.includes(settings.redirectUrl)) throw unavailable(`the Redirect URL ${settings.redirectUrl} is not registered with the application ${app.name}.`);

  const users = await db.selectFrom('users').select(['id', 'login_id', 'employee_id']).where('id', 'in', [request.owner_id, actor.userId!]).execute();
  const owner = users.find((user) => user.id === request.owner_id)!;
  const params: LeuV4RequestParams = {
    version: 'v4',
    variant: 'request',
    // The company's domain is its users' login domain (Concur login IDs are e-mail addresses).
    companyDomain: owner.login_id.includes('@') ? owner.login_id.slice(owner.login_id.lastIndexOf('@') + 1) : '',
    loggedInUserId: actor.userId!,
    requestOwnerUserId: owner.id,
    requestOwnerEmployeeId: owner.employee_id ?? '',
    itemUrl: `${context.publicUrl}/travelrequest/v4/requests/${request.id}`,
    customFieldLaunchedFrom: field.field,
    source: 'HEADER',
    isMobile: false,
    nonce: newLeuNonce(),
    clientAuthCode: await issueAuthorizationCode(db, { appId: app.id, userId: actor.userId!, redirectUri: settings.redirectUrl }),
    languageCode: context.languageCode ?? 'en',
  };
  const signature = leuSignature({ ...params, username: service.userName, password: service.password });
  await recordAudit(db, actor, {
    companyId: request.company_id,
    action: 'launch_external_url.launched',
    targetType: 'request',
    targetId: request.id,
    details: { field: field.field, connectorId: field.connectorId, nonce: params.nonce },
  });
  return { url: buildLeuUrl(service.url, { ...params, signature }), width: field.popup.width, height: field.popup.height };
}
