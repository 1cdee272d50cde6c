/**
 * What a connector calls back on Concur (or patchbay): the OAuth2 authorization-code exchange of a Launch
 * External URL's `client_auth_code` at `/oauth2/v0/token` (spec §4.3), the company token of a Company Request
 * Token and its refresh (for the External Validation calls of spec §3.3), and a small typed client for Concur
 * Request v4 (`/travelrequest/v4/requests/...`: read, update, approve, send back; spec §3.3 and §4.3).
 *
 * Both use the global `fetch` (or the one given), with a timeout and a cap on the answer's size. Failures are
 * typed: `ConcurOAuthError` for the token endpoint's `{code, error, error_description}` bodies, and
 * `ConcurApiError` for Concur's `{"errors":[{"errorCode","errorMessage"}]}` bodies.
 */

/** How the helpers reach Concur (or patchbay). */
export interface HttpClientOptions {
  /** The `fetch` to use (e.g. one with an undici dispatcher that trusts a development CA). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Abort a call after this many milliseconds. Default 30,000 (Concur asks web services to answer within 60 s). */
  timeoutMs?: number;
  /** The largest answer read, in bytes. Default 1 MiB. */
  maxResponseBytes?: number;
  /**
   * Allow `http:` URLs to hosts other than loopback (`localhost`, `127.0.0.0/8`, `::1`). Default `false`: the
   * client secret and the tokens would travel in clear text.
   */
  allowInsecureHttp?: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** What `exchangeAuthCode` needs besides the code: the token endpoint and the application's registration. */
export interface ExchangeAuthCodeOptions extends HttpClientOptions {
  /** The token endpoint, e.g. `https://us.api.concursolutions.com/oauth2/v0/token` or patchbay's `{url}/oauth2/v0/token`. */
  tokenUrl: string;
  /** The application's client ID (the one configured on the Launch External URL service). */
  clientId: string;
  clientSecret: string;
  /** The redirect URL registered with the client ID (and on the service). */
  redirectUri: string;
}

/** The answer of `/oauth2/v0/token`, as Concur (and patchbay) sends it. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  /** Seconds; Concur sends a string. */
  expires_in: string | number;
  scope?: string;
  refresh_token?: string;
  /** Epoch seconds when the refresh token expires. */
  refresh_expires_in?: number;
  id_token?: string;
  /** The base URL of the company's data center: use it as `requestApi`'s `baseUrl`. */
  geolocation?: string;
  [field: string]: unknown;
}

/** A refused token request: the token endpoint's `{code, error, error_description}`, or a transport failure (`status` 0). */
export class ConcurOAuthError extends Error {
  /** The HTTP status; 0 when no answer came (network failure, timeout) */
  readonly status: number;
  /** The OAuth2 `error` (`invalid_grant`, `invalid_client`...), or `network_error`, `timeout`, `invalid_response`. */
  readonly error: string;
  /** The `error_description`. */
  readonly errorDescription: string;
  /** Concur's numeric `code` (e.g. 103 "code is bad or expired"), when sent. */
  readonly code: number | undefined;

  constructor(status: number, error: string, errorDescription: string, code?: number) {
    super(`token request failed (${status === 0 ? 'no answer' : `HTTP ${status}`}): ${error}: ${errorDescription}`);
    this.name = 'ConcurOAuthError';
    this.status = status;
    this.error = error;
    this.errorDescription = errorDescription;
    this.code = code;
  }
}

/** One entry of Concur's `{"errors":[...]}` body. */
export interface ConcurErrorEntry {
  errorCode: string;
  errorMessage: string;
  [field: string]: unknown;
}

/**
 * A failed Concur API call. `errorCode` and `errorMessage` are those of the first entry of Concur's
 * `{"errors":[{"errorCode","errorMessage"}]}` body (all of them are in `errors`). When the answer is not in
 * that shape, `errorCode` is `httpError`; when no answer came, `status` is 0 and `errorCode` is `networkError`
 * or `timeout`; a 2xx answer that is not the expected JSON gives `invalidResponse`.
 */
export class ConcurApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly errors: readonly ConcurErrorEntry[];

  constructor(status: number, errorCode: string, errorMessage: string, errors: readonly ConcurErrorEntry[] = [{ errorCode, errorMessage }]) {
    super(`Concur API call failed (${status === 0 ? 'no answer' : `HTTP ${status}`}): ${errorCode}: ${errorMessage}`);
    this.name = 'ConcurApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.errorMessage = errorMessage;
    this.errors = errors;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Parses and checks an endpoint URL: https, or http to loopback (or anywhere with `allowInsecureHttp`). */
function checkUrl(raw: string, what: string, options: HttpClientOptions): URL {
  if (typeof raw !== 'string') throw new TypeError(`${what} must be a string`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`${what} ${JSON.stringify(raw.slice(0, 200))} is not an absolute URL`);
  }
  if (url.username !== '' || url.password !== '') throw new TypeError(`${what} must not carry credentials`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (options.allowInsecureHttp === true || isLoopback(url.hostname))) return url;
  throw new TypeError(`${what} must be an https URL (http only to loopback, or with allowInsecureHttp)`);
}

class TooLarge extends Error {}

/** Reads an answer's body as text, refusing more than `max` bytes. */
async function readCapped(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new TooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** A completed HTTP exchange. */
interface Answer {
  status: number;
  text: string;
  json: unknown;
}

type Failure = { kind: 'timeout' | 'network' | 'too-large'; message: string };

async function call(url: URL, init: RequestInit, options: HttpClientOptions): Promise<Answer | Failure> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // No redirects: a redirected token request would resend the client secret elsewhere.
    const response = await doFetch(url, { ...init, redirect: 'manual', signal });
    const text = await readCapped(response, maxBytes);
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  } catch (error) {
    if (error instanceof TooLarge) return { kind: 'too-large', message: `the answer is larger than ${maxBytes} bytes` };
    if (signal.aborted) return { kind: 'timeout', message: `no answer within ${timeoutMs} ms` };
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { kind: 'network', message: `${error instanceof Error ? error.message : String(error)}${cause}` };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function requiredString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} is required`);
  return value;
}

/** POSTs a form to the token endpoint and answers the token response; every failure is a `ConcurOAuthError`. */
async function tokenRequest(url: URL, form: URLSearchParams, options: HttpClientOptions): Promise<TokenResponse> {
  const answer = await call(
    url,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() },
    options,
  );
  if ('kind' in answer) {
    throw new ConcurOAuthError(0, answer.kind === 'timeout' ? 'timeout' : answer.kind === 'network' ? 'network_error' : 'invalid_response', answer.message);
  }
  const body = answer.json;
  if (answer.status < 200 || answer.status > 299) {
    if (isRecord(body) && typeof body.error === 'string') {
      const description = typeof body.error_description === 'string' ? body.error_description : '';
      const numeric = typeof body.code === 'number' ? body.code : typeof body.code === 'string' && /^\d+$/.test(body.code) ? Number(body.code) : undefined;
      throw new ConcurOAuthError(answer.status, body.error, description, numeric);
    }
    throw new ConcurOAuthError(answer.status, 'http_error', snippet(answer.text) || `HTTP ${answer.status}`);
  }
  if (!isRecord(body) || typeof body.access_token !== 'string' || body.access_token === '') {
    throw new ConcurOAuthError(answer.status, 'invalid_response', 'the token endpoint answered without an access_token');
  }
  return body as TokenResponse;
}

/**
 * Exchanges a Launch External URL `client_auth_code` for the user's tokens: `POST {tokenUrl}` with the form
 * `client_id`, `client_secret`, `grant_type=authorization_code`, `code`, `redirect_uri`. Answers the token
 * response (`access_token`, `refresh_token`, `geolocation`...). Throws `ConcurOAuthError` for a refusal (a
 * code already used or expired is `invalid_grant`), a transport failure or an answer without `access_token`,
 * and `TypeError` for missing options.
 */
export async function exchangeAuthCode(code: string, options: ExchangeAuthCodeOptions): Promise<TokenResponse> {
  requiredString(code, 'the authorization code (client_auth_code)');
  const url = checkUrl(options.tokenUrl, 'tokenUrl', options);
  const form = new URLSearchParams({
    client_id: requiredString(options.clientId, 'clientId'),
    client_secret: requiredString(options.clientSecret, 'clientSecret'),
    grant_type: 'authorization_code',
    code,
    redirect_uri: requiredString(options.redirectUri, 'redirectUri'),
  });
  return tokenRequest(url, form, options);
}

/** What `exchangeCompanyRequestToken` and `refreshAccessToken` need: the token endpoint and the application's client credentials. */
export interface TokenEndpointOptions extends HttpClientOptions {
  /** The token endpoint, e.g. `https://us.api.concursolutions.com/oauth2/v0/token` or patchbay's `{url}/oauth2/v0/token`. */
  tokenUrl: string;
  /** The application's client ID. */
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to narrow the token to (sent as `scope`); default: every scope the grant carries. */
  scope?: string;
}

function clientForm(options: TokenEndpointOptions, fields: Record<string, string>): URLSearchParams {
  const form = new URLSearchParams({
    client_id: requiredString(options.clientId, 'clientId'),
    client_secret: requiredString(options.clientSecret, 'clientSecret'),
    ...fields,
  });
  if (options.scope !== undefined) form.set('scope', requiredString(options.scope, 'scope'));
  return form;
}

/**
 * Exchanges a Company Request Token (single use, issued to one application for one company) for a company
 * token: `POST {tokenUrl}` with the form `client_id`, `client_secret`, `grant_type=password`,
 * `credtype=authtoken`, `username` (the company's UUID), `password` (the request token) and `scope` when given.
 * Answers the token response, whose `refresh_token` (about six months) gets new access tokens through
 * `refreshAccessToken`. Throws `ConcurOAuthError` for a refusal (a token already used, expired or issued to
 * another application), a transport failure or an answer without `access_token`, and `TypeError` for
 * missing options.
 */
export async function exchangeCompanyRequestToken(companyId: string, requestToken: string, options: TokenEndpointOptions): Promise<TokenResponse> {
  requiredString(companyId, 'the company id (companyId)');
  requiredString(requestToken, 'the Company Request Token (requestToken)');
  const url = checkUrl(options.tokenUrl, 'tokenUrl', options);
  const form = clientForm(options, { grant_type: 'password', credtype: 'authtoken', username: companyId, password: requestToken });
  return tokenRequest(url, form, options);
}

/**
 * Gets a new access token with a refresh token (a company's or a user's): `POST {tokenUrl}` with the form
 * `client_id`, `client_secret`, `grant_type=refresh_token`, `refresh_token` and `scope` when given. The
 * answer may carry a new `refresh_token` (keep it when it does). Throws `ConcurOAuthError` for a refusal (a
 * refresh token revoked or expired, or a company disconnected from the application, is `invalid_grant`), a
 * transport failure or an answer without `access_token`, and `TypeError` for missing options.
 */
export async function refreshAccessToken(refreshToken: string, options: TokenEndpointOptions): Promise<TokenResponse> {
  requiredString(refreshToken, 'the refresh token (refreshToken)');
  const url = checkUrl(options.tokenUrl, 'tokenUrl', options);
  const form = clientForm(options, { grant_type: 'refresh_token', refresh_token: refreshToken });
  return tokenRequest(url, form, options);
}

/** A Concur Request v4 request, as `GET /travelrequest/v4/requests/{id}` answers it (the fields a connector uses most). */
export interface ConcurRequest {
  href?: string;
  /** The request's UUID (32 hexadecimal characters): what the other calls take. */
  id: string;
  /** The key users see, e.g. `3A7B`. */
  requestId?: string;
  name?: string;
  businessPurpose?: string;
  comment?: string;
  approvalStatus?: { code: string; name: string };
  approved?: boolean;
  pendingApproval?: boolean;
  owner?: { id?: string; firstName?: string; lastName?: string; [field: string]: unknown };
  startDate?: string;
  startTime?: string;
  endDate?: string;
  endTime?: string;
  /** The workflow actions the caller may take now, e.g. `{ rel: 'approve', href }`. */
  operations?: { rel: string; href: string }[];
  /** Everything else, including the custom fields `custom1`...`custom20` (`{ code, value }`). */
  [field: string]: unknown;
}

/** A custom field's value in Request v4. */
export interface RequestCustomFieldValue {
  code?: string;
  value?: string;
}

/** A location of Request v4 (`mainDestination`). */
export interface RequestLocation {
  city?: string;
  countryCode?: string;
  countrySubDivisionCode?: string;
  name?: string;
  [field: string]: unknown;
}

/** The fields `updateRequest` changes; `null` clears a field, a field left out is kept. */
export type RequestUpdate = {
  name?: string | null;
  businessPurpose?: string | null;
  comment?: string | null;
  /** `YYYY-MM-DD`. */
  startDate?: string | null;
  /** `HH:mm`. */
  startTime?: string | null;
  endDate?: string | null;
  endTime?: string | null;
  mainDestination?: RequestLocation | null;
  travelAgency?: { id: string } | null;
} & { [K in `custom${number}`]?: RequestCustomFieldValue | null };

/** A Concur Request v4 client acting with one access token. Every method throws `ConcurApiError` on failure. */
export interface RequestApiClient {
  /** `GET /travelrequest/v4/requests/{id}`. */
  getRequest(id: string): Promise<ConcurRequest>;
  /** `PUT /travelrequest/v4/requests/{id}` with the fields to change; answers the updated request. */
  updateRequest(id: string, fields: RequestUpdate): Promise<ConcurRequest>;
  /** `POST /travelrequest/v4/requests/{id}/approve` with `{comment}` (or `{}`); answers the request. */
  approve(id: string, comment?: string): Promise<ConcurRequest>;
  /** `POST /travelrequest/v4/requests/{id}/sendback` with `{comment}` (required); answers the request. */
  sendBack(id: string, comment: string): Promise<ConcurRequest>;
}

function readErrors(body: unknown): ConcurErrorEntry[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.errors)) return undefined;
  const entries = body.errors.filter(isRecord).map((entry): ConcurErrorEntry => ({
    ...entry,
    errorCode: typeof entry.errorCode === 'string' ? entry.errorCode : 'unknown',
    errorMessage: typeof entry.errorMessage === 'string' ? entry.errorMessage : '',
  }));
  return entries.length > 0 ? entries : undefined;
}

/**
 * A Concur Request v4 client. `accessToken` is a token from `/oauth2/v0/token` (the user's, from
 * `exchangeAuthCode`, or the external system's with `travelrequest.externalsystemworkflow.write` to approve or
 * send back at an External Validation step); `baseUrl` is the data center's base URL (the token response's
 * `geolocation`, e.g. `https://us.api.concursolutions.com`, or patchbay's URL).
 */
export function requestApi(accessToken: string, baseUrl: string, options: HttpClientOptions = {}): RequestApiClient {
  requiredString(accessToken, 'accessToken');
  const base = checkUrl(baseUrl, 'baseUrl', options);
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}/travelrequest/v4/requests`;

  async function send(method: string, id: string, action: string | undefined, body: unknown): Promise<ConcurRequest> {
    requiredString(id, 'the request id');
    const url = new URL(`${root}/${encodeURIComponent(id)}${action === undefined ? '' : `/${action}`}`);
    const headers: Record<string, string> = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await call(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }, options);
    if ('kind' in answer) {
      throw new ConcurApiError(0, answer.kind === 'timeout' ? 'timeout' : answer.kind === 'network' ? 'networkError' : 'invalidResponse', answer.message);
    }
    if (answer.status < 200 || answer.status > 299) {
      const errors = readErrors(answer.json);
      const first = errors?.[0];
      if (errors && first) throw new ConcurApiError(answer.status, first.errorCode, first.errorMessage, errors);
      throw new ConcurApiError(answer.status, 'httpError', snippet(answer.text) || `HTTP ${answer.status}`);
    }
    if (!isRecord(answer.json) || typeof answer.json.id !== 'string') {
      throw new ConcurApiError(answer.status, 'invalidResponse', `${method} ${url.pathname} did not answer a request: ${snippet(answer.text)}`);
    }
    return answer.json as ConcurRequest;
  }

  return {
    getRequest: (id) => send('GET', id, undefined, undefined),
    updateRequest: (id, fields) => {
      if (!isRecord(fields)) return Promise.reject(new TypeError('updateRequest: fields must be an object'));
      return send('PUT', id, undefined, fields);
    },
    approve: (id, comment) => {
      if (comment !== undefined && typeof comment !== 'string') return Promise.reject(new TypeError('approve: comment must be a string'));
      return send('POST', id, 'approve', comment === undefined || comment === '' ? {} : { comment });
    },
    sendBack: (id, comment) => {
      if (typeof comment !== 'string' || comment.trim() === '') return Promise.reject(new TypeError('sendBack: a comment is required'));
      return send('POST', id, 'sendback', { comment });
    },
  };
}
