/**
 * Launch External URL (spec §4): the signed browser URL that opens a connector's page, and its verification.
 *
 * There is no request body: Concur (here: patchbay) opens a window on the connector's endpoint with a query
 * string, and the connector authenticates the launch by the `signature` parameter alone (no Basic auth):
 *
 * - key     = lower-case(username) + password (the connector's registered credentials);
 *   the documented example: `JohnDoe` / `Password` → `johndoePassword`.
 * - message = v4: company_domain + logged_in_user_id + report_owner_user_id + report_owner_employee_id +
 *             item_url + username + password + nonce (the Concur Request variant uses request_owner_user_id
 *             and request_owner_employee_id in the same places);
 *             v1: xcompanydomain + xuserid + itemurl + username + password + nonce.
 *             The values are the URL-decoded ones; the username in the message is **not** lower-cased (only
 *             the key is documented as lower-cased); strings are UTF-8 (presumed by the spec).
 * - MAC     = HMAC-SHA256 for v4 (SHA-1 before September 2020), HMAC-SHA1 for v1; the parameter is the Base64
 *             of the MAC, URL-encoded.
 *
 * Not signed, so not authenticated by the signature: `custom_field_launched_from`, `source`, `expense_ids` /
 * `request_ids`, `is_mobile`, `client_auth_code`, `language_code`. The nonce is signed; a connector must also
 * remember nonces to refuse a replayed URL (that needs state, so it is the caller's job).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { CalloutContractError } from './result.ts';

/** `v4` (HMAC-SHA256, current) or `v1` (HMAC-SHA1, Expense entries only, decommissioned 2026-06-23). */
export type LeuVersion = 'v4' | 'v1';

/** Where the field was launched from. */
export type LeuSource = 'HEADER' | 'ENTRY' | 'ALLOCATION';

/** The connector's registered credentials (the same as its Basic-auth credentials). */
export interface LeuCredentials {
  username: string;
  password: string;
}

/** The parameters of a v4 launch that both variants share. */
export interface LeuV4CommonParams {
  version: 'v4';
  /** `company_domain`. */
  companyDomain: string;
  /** `logged_in_user_id`: the UUID of the interactive user (possibly a delegate). */
  loggedInUserId: string;
  /** `item_url`: the header, entry or allocation, readable with the user's token. */
  itemUrl: string;
  /** `custom_field_launched_from`: the ID of the Launch URL form field. */
  customFieldLaunchedFrom: string;
  /** `source`. */
  source: LeuSource;
  /** `is_mobile`, written `true`/`false`. */
  isMobile: boolean;
  /** `nonce`: a fresh GUID for every launch (see `newLeuNonce`). */
  nonce: string;
  /** `client_auth_code`: the one-time OAuth2 authorization code the connector exchanges for a user token. */
  clientAuthCode: string;
  /** `language_code`: `xx` or `xx-XX` (a hyphen; `_` is converted). Default `en`. */
  languageCode?: string;
}

/** A v4 launch from Expense (report header, entry or allocation). */
export interface LeuV4ExpenseParams extends LeuV4CommonParams {
  variant: 'expense';
  /** `report_owner_user_id`: the UUID of the report's owner. */
  reportOwnerUserId: string;
  /** `report_owner_employee_id`: the company's Employee ID of the owner. */
  reportOwnerEmployeeId: string;
  /** `expense_ids`: the expense entries, comma-separated; sent only (and then required) for `source: 'ALLOCATION'`. */
  expenseIds?: readonly string[];
}

/** A v4 launch from Concur Request (`GET {host}/request/launchexternalurl/v4/form`). */
export interface LeuV4RequestParams extends LeuV4CommonParams {
  variant: 'request';
  /** `request_owner_user_id`: the UUID of the request's owner. */
  requestOwnerUserId: string;
  /** `request_owner_employee_id`: the company's Employee ID of the owner. */
  requestOwnerEmployeeId: string;
  /** `request_ids`: like `expenseIds` (named in the definitions, missing from the spec's URI list); ALLOCATION only. */
  requestIds?: readonly string[];
}

/** A v1 launch (Expense entries; `GET {host}/concur/form/v1.0/get`). */
export interface LeuV1Params {
  version: 'v1';
  /** `xcompanydomain`. */
  companyDomain: string;
  /** `xuserid`: the login ID of the interactive user. */
  userId: string;
  /** `itemurl`. */
  itemUrl: string;
  /** `nonce`. */
  nonce: string;
}

/** The parameters of a launch, by version and variant. */
export type LeuParams = LeuV4ExpenseParams | LeuV4RequestParams | LeuV1Params;

/** The signed parameters of each kind of launch: what `leuSignature` needs besides the credentials. */
export type LeuSignedParams =
  | Pick<LeuV4ExpenseParams, 'version' | 'variant' | 'companyDomain' | 'loggedInUserId' | 'reportOwnerUserId' | 'reportOwnerEmployeeId' | 'itemUrl' | 'nonce'>
  | Pick<LeuV4RequestParams, 'version' | 'variant' | 'companyDomain' | 'loggedInUserId' | 'requestOwnerUserId' | 'requestOwnerEmployeeId' | 'itemUrl' | 'nonce'>
  | Pick<LeuV1Params, 'version' | 'companyDomain' | 'userId' | 'itemUrl' | 'nonce'>;

/** A fresh GUID for `nonce`. */
export function newLeuNonce(): string {
  return randomUUID();
}

/** The HMAC key: the lower-cased username followed by the password (`JohnDoe`/`Password` → `johndoePassword`). */
export function leuSigningKey(username: string, password: string): string {
  return username.toLowerCase() + password;
}

function str(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new CalloutContractError(`LEU: ${name} must be a string`);
  // Lone surrogates cannot be URL-encoded (encodeURIComponent throws) and are written as U+FFFD in UTF-8:
  // make that explicit so the signed bytes and the sent bytes are the same.
  return value.toWellFormed();
}

/** The string that is signed, in the documented order for the version (values as given, not URL-encoded). */
export function leuSignedMessage(input: LeuSignedParams & LeuCredentials): string {
  const tail = [str(input.username, 'username'), str(input.password, 'password'), str(input.nonce, 'nonce')];
  if (input.version === 'v1') {
    return [str(input.companyDomain, 'companyDomain'), str(input.userId, 'userId'), str(input.itemUrl, 'itemUrl'), ...tail].join('');
  }
  const [ownerUserId, ownerEmployeeId] =
    input.variant === 'request' ? [input.requestOwnerUserId, input.requestOwnerEmployeeId] : [input.reportOwnerUserId, input.reportOwnerEmployeeId];
  return [
    str(input.companyDomain, 'companyDomain'),
    str(input.loggedInUserId, 'loggedInUserId'),
    str(ownerUserId, input.variant === 'request' ? 'requestOwnerUserId' : 'reportOwnerUserId'),
    str(ownerEmployeeId, input.variant === 'request' ? 'requestOwnerEmployeeId' : 'reportOwnerEmployeeId'),
    str(input.itemUrl, 'itemUrl'),
    ...tail,
  ].join('');
}

function mac(input: LeuSignedParams & LeuCredentials): Buffer {
  if (input.version !== 'v4' && input.version !== 'v1') throw new CalloutContractError('LEU: version must be v4 or v1');
  if (input.version === 'v4' && input.variant !== 'expense' && input.variant !== 'request') {
    throw new CalloutContractError('LEU: variant must be expense or request');
  }
  const key = leuSigningKey(str(input.username, 'username'), str(input.password, 'password'));
  return createHmac(input.version === 'v4' ? 'sha256' : 'sha1', key).update(leuSignedMessage(input), 'utf8').digest();
}

/**
 * The `signature` of a launch: Base64 of HMAC-SHA256 (v4) or HMAC-SHA1 (v1) of the signed message, keyed by
 * lower-case(username) + password. Not URL-encoded (`buildLeuUrl` does that). Throws `CalloutContractError`
 * for a missing value or an unknown version/variant.
 */
export function leuSignature(input: LeuSignedParams & LeuCredentials): string {
  return mac(input).toString('base64');
}

/** URL-encodes a value strictly (RFC 3986 unreserved characters only): `+`, `/`, `=` of Base64 included. */
export function encodeLeuValue(value: string): string {
  return encodeURIComponent(value.toWellFormed()).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function ids(list: readonly string[] | undefined, source: LeuSource, name: string): string | undefined {
  if (source !== 'ALLOCATION') {
    if (list !== undefined && list.length > 0) throw new CalloutContractError(`LEU: ${name} is sent only when source is ALLOCATION`);
    return undefined;
  }
  if (list === undefined || list.length === 0) throw new CalloutContractError(`LEU: ${name} is required when source is ALLOCATION`);
  for (const id of list) {
    if (typeof id !== 'string' || id === '' || id.includes(',')) throw new CalloutContractError(`LEU: each of ${name} must be a non-empty string without commas`);
  }
  return list.join(',');
}

/** `xx` or `xx-XX` with a hyphen (`en_GB` → `en-GB`); the default is `en`. */
export function normalizeLeuLanguageCode(code: string | undefined): string {
  const normalized = (code ?? 'en').replace('_', '-');
  if (!/^[A-Za-z]{2}(-[A-Za-z]{2})?$/.test(normalized)) throw new CalloutContractError(`LEU: languageCode must be xx or xx-XX, not ${JSON.stringify(code)}`);
  return normalized;
}

/**
 * The URL of a launch: `endpoint` followed by every documented query parameter, each value URL-encoded, in
 * the spec's order. v4: `company_domain`, `logged_in_user_id`, `report_owner_user_id` /
 * `request_owner_user_id`, `report_owner_employee_id` / `request_owner_employee_id`, `item_url`,
 * `custom_field_launched_from`, `expense_ids` / `request_ids` (ALLOCATION only), `source`, `is_mobile`,
 * `nonce`, `signature`, `client_auth_code`, `language_code`. v1: `xcompanydomain`, `xuserid`, `itemurl`,
 * `nonce`, `signature`. `endpoint` must be an absolute http(s) URL; its own query, if any, is kept and its
 * fragment dropped. Throws `CalloutContractError` for bad input.
 */
export function buildLeuUrl(endpoint: string, params: LeuParams & { signature: string }): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CalloutContractError(`LEU: the endpoint ${JSON.stringify(endpoint)} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CalloutContractError('LEU: the endpoint must be an http(s) URL');
  const signature = str(params.signature, 'signature');
  const nonce = str(params.nonce, 'nonce');
  if (signature === '' || nonce === '') throw new CalloutContractError('LEU: nonce and signature are required');

  const query: [string, string | undefined][] = [];
  if (params.version === 'v1') {
    query.push(
      ['xcompanydomain', str(params.companyDomain, 'companyDomain')],
      ['xuserid', str(params.userId, 'userId')],
      ['itemurl', str(params.itemUrl, 'itemUrl')],
      ['nonce', nonce],
      ['signature', signature],
    );
  } else if (params.version === 'v4') {
    if (params.source !== 'HEADER' && params.source !== 'ENTRY' && params.source !== 'ALLOCATION') {
      throw new CalloutContractError('LEU: source must be HEADER, ENTRY or ALLOCATION');
    }
    if (typeof params.isMobile !== 'boolean') throw new CalloutContractError('LEU: isMobile must be a boolean');
    const request = params.variant === 'request';
    if (!request && params.variant !== 'expense') throw new CalloutContractError('LEU: variant must be expense or request');
    const owner = request ? 'request' : 'report';
    query.push(
      ['company_domain', str(params.companyDomain, 'companyDomain')],
      ['logged_in_user_id', str(params.loggedInUserId, 'loggedInUserId')],
      [`${owner}_owner_user_id`, str(request ? params.requestOwnerUserId : params.reportOwnerUserId, `${owner}OwnerUserId`)],
      [`${owner}_owner_employee_id`, str(request ? params.requestOwnerEmployeeId : params.reportOwnerEmployeeId, `${owner}OwnerEmployeeId`)],
      ['item_url', str(params.itemUrl, 'itemUrl')],
      ['custom_field_launched_from', str(params.customFieldLaunchedFrom, 'customFieldLaunchedFrom')],
      [request ? 'request_ids' : 'expense_ids', ids(request ? params.requestIds : params.expenseIds, params.source, request ? 'requestIds' : 'expenseIds')],
      ['source', params.source],
      ['is_mobile', params.isMobile ? 'true' : 'false'],
      ['nonce', nonce],
      ['signature', signature],
      ['client_auth_code', str(params.clientAuthCode, 'clientAuthCode')],
      ['language_code', normalizeLeuLanguageCode(params.languageCode)],
    );
  } else {
    throw new CalloutContractError('LEU: version must be v4 or v1');
  }
  const encoded = query
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeLeuValue(value)}`)
    .join('&');
  const base = endpoint.replace(/#.*$/s, '');
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${encoded}`;
}

/**
 * The query of a launch, in any of the forms a server has at hand: a `URL`, `URLSearchParams`, a string (an
 * absolute URL, a path with its query such as `req.url`, or the query string itself), or parsed parameters
 * (repeated parameters as arrays).
 */
export type LeuQuery = URL | URLSearchParams | string | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The parameters of a verified v4 launch (both variants: `ownerUserId` is `report_`/`request_owner_user_id`). */
export interface LeuVerifiedV4 {
  version: 'v4';
  variant: 'expense' | 'request';
  companyDomain: string;
  loggedInUserId: string;
  ownerUserId: string;
  ownerEmployeeId: string;
  itemUrl: string;
  nonce: string;
  /** The parameters below are NOT covered by the signature: treat them as user input. */
  customFieldLaunchedFrom?: string;
  source?: LeuSource;
  isMobile?: boolean;
  /** `expense_ids` / `request_ids`, split on commas. */
  ids?: string[];
  clientAuthCode?: string;
  languageCode?: string;
}

/** The parameters of a verified v1 launch. */
export interface LeuVerifiedV1 {
  version: 'v1';
  companyDomain: string;
  userId: string;
  itemUrl: string;
  nonce: string;
}

/** The result of `verifyLeuSignature`. */
export type LeuVerification = { ok: true; params: LeuVerifiedV4 | LeuVerifiedV1 } | { ok: false; reason: string };

/** Options of `verifyLeuSignature`: the connector's credentials, and which versions it accepts. */
export interface LeuVerifyOptions extends LeuCredentials {
  /**
   * The versions accepted. Default `['v4']`: a connector configured for v4 must not accept a v1 (SHA-1) URL,
   * or an attacker could choose the weaker MAC.
   */
  versions?: readonly LeuVersion[];
}

function toSearchParams(query: LeuQuery): URLSearchParams {
  if (query instanceof URLSearchParams) return query;
  if (query instanceof URL) return query.searchParams;
  if (typeof query === 'string') {
    // An absolute URL, a path with its query (`/form?...`), or the query string itself (with or without `?`).
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(query)) return new URL(query).searchParams;
    if (query.startsWith('/')) return new URL(query, 'http://localhost').searchParams;
    return new URLSearchParams(query);
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of typeof value === 'string' ? [value] : value) params.append(name, item);
  }
  return params;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Verifies the signature of a launch (the connector side), in constant time. `query` is the request's URL, its
 * query string or its parsed parameters; `options` the connector's credentials. The version is recognized by
 * its parameters (`company_domain` → v4, `xcompanydomain` → v1) and must be in `options.versions` (default
 * v4 only); the v4 variant by `report_owner_*` or `request_owner_*`. Refused: a missing signed parameter, any
 * parameter given twice, a signature that is not Base64 or does not match. A `+` of the Base64 that arrived
 * as a space (sent unencoded, then form-decoded) is read back as `+`. Never throws. Does not check the nonce
 * for replay: remember `params.nonce` and refuse it the second time.
 */
export function verifyLeuSignature(query: LeuQuery, options: LeuVerifyOptions): LeuVerification {
  try {
    return verify(toSearchParams(query), options);
  } catch (error) {
    return { ok: false, reason: `the launch could not be verified: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function verify(params: URLSearchParams, options: LeuVerifyOptions): LeuVerification {
  const refuse = (reason: string): LeuVerification => ({ ok: false, reason });
  if (typeof options.username !== 'string' || typeof options.password !== 'string' || options.username === '') {
    return refuse('no connector credentials to verify the signature with');
  }
  const names = new Set<string>();
  for (const name of params.keys()) {
    if (names.has(name)) return refuse(`the parameter ${JSON.stringify(name)} is given more than once`);
    names.add(name);
  }
  const get = (name: string): string | undefined => params.get(name) ?? undefined;
  const version: LeuVersion | undefined = names.has('company_domain') ? 'v4' : names.has('xcompanydomain') ? 'v1' : undefined;
  if (version === undefined) return refuse('not a Launch External URL launch: company_domain (v4) or xcompanydomain (v1) is missing');
  if (names.has('company_domain') && names.has('xcompanydomain')) return refuse('both v4 and v1 parameters are present');
  const accepted = options.versions ?? ['v4'];
  if (!accepted.includes(version)) return refuse(`Launch External URL ${version} launches are not accepted (only ${accepted.join(', ') || 'none'})`);

  const signatureText = get('signature');
  if (signatureText === undefined || signatureText === '') return refuse('the signature parameter is missing');
  const signatureBase64 = signatureText.replaceAll(' ', '+');
  if (!BASE64.test(signatureBase64)) return refuse('the signature is not Base64');

  const missing = (name: string): LeuVerification => refuse(`the signed parameter ${name} is missing`);
  let verified: LeuVerifiedV4 | LeuVerifiedV1;
  let expected: Buffer;
  if (version === 'v1') {
    const [companyDomain, userId, itemUrl, nonce] = [get('xcompanydomain'), get('xuserid'), get('itemurl'), get('nonce')];
    if (companyDomain === undefined) return missing('xcompanydomain');
    if (userId === undefined) return missing('xuserid');
    if (itemUrl === undefined) return missing('itemurl');
    if (nonce === undefined || nonce === '') return missing('nonce');
    verified = { version, companyDomain, userId, itemUrl, nonce };
    expected = mac({ ...verified, username: options.username, password: options.password });
  } else {
    const hasReport = names.has('report_owner_user_id') || names.has('report_owner_employee_id');
    const hasRequest = names.has('request_owner_user_id') || names.has('request_owner_employee_id');
    if (hasReport && hasRequest) return refuse('both report_owner_* and request_owner_* parameters are present');
    const variant = hasRequest ? 'request' : 'expense';
    const owner = hasRequest ? 'request' : 'report';
    const values = {
      companyDomain: get('company_domain'),
      loggedInUserId: get('logged_in_user_id'),
      ownerUserId: get(`${owner}_owner_user_id`),
      ownerEmployeeId: get(`${owner}_owner_employee_id`),
      itemUrl: get('item_url'),
      nonce: get('nonce'),
    };
    if (values.companyDomain === undefined) return missing('company_domain');
    if (values.loggedInUserId === undefined) return missing('logged_in_user_id');
    if (values.ownerUserId === undefined) return missing(`${owner}_owner_user_id`);
    if (values.ownerEmployeeId === undefined) return missing(`${owner}_owner_employee_id`);
    if (values.itemUrl === undefined) return missing('item_url');
    if (values.nonce === undefined || values.nonce === '') return missing('nonce');
    const source = get('source');
    if (source !== undefined && source !== 'HEADER' && source !== 'ENTRY' && source !== 'ALLOCATION') {
      return refuse(`source must be HEADER, ENTRY or ALLOCATION, not ${JSON.stringify(source.slice(0, 20))}`);
    }
    const mobile = get('is_mobile')?.toLowerCase();
    if (mobile !== undefined && mobile !== 'true' && mobile !== 'false') return refuse('is_mobile must be true or false');
    const idList = get(hasRequest ? 'request_ids' : 'expense_ids');
    verified = {
      version,
      variant,
      companyDomain: values.companyDomain,
      loggedInUserId: values.loggedInUserId,
      ownerUserId: values.ownerUserId,
      ownerEmployeeId: values.ownerEmployeeId,
      itemUrl: values.itemUrl,
      nonce: values.nonce,
      ...(names.has('custom_field_launched_from') ? { customFieldLaunchedFrom: get('custom_field_launched_from') } : {}),
      ...(source !== undefined ? { source } : {}),
      ...(mobile !== undefined ? { isMobile: mobile === 'true' } : {}),
      ...(idList !== undefined ? { ids: idList.split(',').filter((id) => id !== '') } : {}),
      ...(names.has('client_auth_code') ? { clientAuthCode: get('client_auth_code') } : {}),
      ...(names.has('language_code') ? { languageCode: get('language_code') } : {}),
    };
    const signed = variant === 'request'
      ? { version, variant, requestOwnerUserId: values.ownerUserId, requestOwnerEmployeeId: values.ownerEmployeeId } as const
      : { version, variant, reportOwnerUserId: values.ownerUserId, reportOwnerEmployeeId: values.ownerEmployeeId } as const;
    expected = mac({
      ...signed,
      companyDomain: values.companyDomain,
      loggedInUserId: values.loggedInUserId,
      itemUrl: values.itemUrl,
      nonce: values.nonce,
      username: options.username,
      password: options.password,
    });
  }
  const provided = Buffer.from(signatureBase64, 'base64');
  // The MAC's length is public (32 or 20 bytes); only equal-length buffers are compared, in constant time.
  const matches = provided.length === expected.length && timingSafeEqual(provided, expected);
  if (!matches) return refuse('the signature does not match (wrong credentials, or the parameters were changed)');
  return { ok: true, params: verified };
}
