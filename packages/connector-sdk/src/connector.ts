/**
 * `createConnector`: a Concur-compatible application connector as a node:https (or node:http) server.
 *
 * - Every path is protected by HTTP Basic authentication with the connector's registered credentials,
 *   compared in constant time, except the Launch External URL page, which the user's browser opens without
 *   credentials and which is authenticated by its signature (and a nonce that works once).
 * - `GET /system/v1.0/testconnection` answers 200 (POST too, as the 2016 guidance asked).
 * - Fetch Attendee, Fetch List and Event Notification are POSTs with XML bodies, parsed and produced by
 *   `@patchbay/callout-xml` (DTDs and entity expansion off, size caps) and validated against the contract.
 * - Every answer has a `Content-Length`: Concur does not support chunked transfer-encoding.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  CalloutContractError,
  attendeeVersionFromEndpoint,
  buildAttendeeSearchResponse,
  buildFetchListResponse,
  parseAttendeeSearchRequest,
  parseFetchListRequest,
  parseNotification,
  verifyLeuSignature,
} from '@patchbay/callout-xml';
import type {
  AttendeeInput,
  AttendeeSearchCriteria,
  FetchListItem,
  FetchListRequest,
  LeuVerifiedV4,
  Notification,
  ParseFailure,
} from '@patchbay/callout-xml';
import { basicAuthChecker, checkCredentials, ConnectorConfigError } from './auth.ts';
import type { ConnectorCredentials } from './auth.ts';
import { drain, readBody, send, sendText } from './body.ts';
import { exchangeAuthCode, requestApi } from './concur-api.ts';
import type { ExchangeAuthCodeOptions, HttpClientOptions, RequestApiClient, TokenResponse } from './concur-api.ts';
import { createMemoryNonceStore } from './nonce-store.ts';
import type { NonceStore } from './nonce-store.ts';

/** The fixed path of Concur's Test Connection (it does not depend on the configured services). */
export const TEST_CONNECTION_PATH = '/system/v1.0/testconnection';

/** The endpoint path of each service, as configured in Concur's (or patchbay's) "Configure Service" window. */
export interface ConnectorPaths {
  /** Must contain `v2.0`: Concur picks the Fetch Attendee format from the path, and only v2.0 is documented. */
  fetchAttendee?: string;
  fetchList?: string;
  notification?: string;
  launchExternalUrl?: string;
}

/** The default paths. */
export const DEFAULT_PATHS: Readonly<Required<ConnectorPaths>> = Object.freeze({
  fetchAttendee: '/attendee/v2.0/find',
  fetchList: '/list/v1.2/fetch',
  notification: '/concur/v1.0/notify',
  launchExternalUrl: '/request/launchexternalurl/v4/form',
});

/** What a callout handler gets besides the parsed callout. */
export interface CalloutContext {
  /** The HTTP request (headers, socket...). Its body has been read. */
  request: IncomingMessage;
}

/** The page a Launch External URL handler renders in the user's pop-up window. */
export interface LeuPage {
  /** The HTML document, sent as `text/html; charset=utf-8`. */
  html: string;
  /** Default 200. */
  status?: number;
  /** Extra headers (e.g. a `Content-Security-Policy`); `Content-Length` and `Content-Type` are the SDK's. */
  headers?: OutgoingHttpHeaders;
}

/** What a Launch External URL handler gets to call Concur back. */
export interface LeuHelpers {
  /**
   * Exchanges the launch's `client_auth_code` (one use only) at the token endpoint for the user's tokens:
   * `POST tokenUrl` with `grant_type=authorization_code`. Throws `ConcurOAuthError` when refused.
   */
  exchangeAuthCode(options: ExchangeAuthCodeOptions): Promise<TokenResponse>;
  /** A Request v4 client acting with `accessToken` on `baseUrl` (the token response's `geolocation`). */
  requestApi(accessToken: string, baseUrl: string, options?: HttpClientOptions): RequestApiClient;
  /** The browser's HTTP request. */
  request: IncomingMessage;
}

/** The application's code: one handler per service. A service without a handler answers 404. */
export interface ConnectorHandlers {
  /**
   * Fetch Attendee v2.0: the attendees matching `criteria` (every field is present, `''` when blank; combine
   * them with AND). Return at most `criteria.maximumNumberRecords` (and at most 100); each needs `externalId`
   * (≤ 32 characters), `firstName` and `lastName`. Breaking the contract answers 500 and is logged.
   */
  fetchAttendee?(criteria: AttendeeSearchCriteria, context: CalloutContext): readonly AttendeeInput[] | Promise<readonly AttendeeInput[]>;
  /**
   * Fetch List v1.2: the items matching `request.query` (`*` wildcards, see `fetchListQueryMatches`) by
   * `request.searchBy` (TEXT or CODE), under the parent `request.longCode` / `request.codeByLevel`. Return at
   * most `request.numToReturn`; each `code` must be `fetchListItemCode(request.longCode, shortCode)`.
   */
  fetchList?(request: FetchListRequest, context: CalloutContext): readonly FetchListItem[] | Promise<readonly FetchListItem[]>;
  /**
   * Event Notification: a report or request entered an External Validation step. Returning answers 200 (Concur
   * removes it from its queue); throwing answers 500 (Concur keeps it and it ends up FAILED). Keep it quick:
   * store the notification and validate asynchronously, then approve or send back through `requestApi`.
   */
  notification?(notification: Notification, context: CalloutContext): void | Promise<void>;
  /**
   * Launch External URL v4: called only for a launch whose signature verified and whose nonce is new.
   * `params` other than the signed ones (company domain, users, `itemUrl`, nonce) are not authenticated.
   */
  launchExternalUrl?(params: LeuVerifiedV4, helpers: LeuHelpers): LeuPage | Promise<LeuPage>;
}

/** Certificate and key (and any other node:https server option). */
export type ConnectorTlsOptions = HttpsServerOptions & { cert: NonNullable<HttpsServerOptions['cert']>; key: NonNullable<HttpsServerOptions['key']> };

/** One thing worth logging. Never contains credentials, bodies or the LEU query. */
export interface ConnectorLogEntry {
  level: 'info' | 'warn' | 'error';
  /**
   * `served`: a callout or launch answered successfully. `unauthorized`: bad Basic credentials.
   * `bad-request`: XML refused by the parser. `too-large`: body over `maxBodyBytes`. `handler-error`: a handler
   * threw. `contract-error`: a handler's answer breaks the callout's contract. `leu-refused`: a bad signature.
   * `leu-replay`: a nonce used again. `nonce-store-error`: the nonce store failed. `aborted`: the client went
   * away. `internal-error`: a bug.
   */
  event: 'served' | 'unauthorized' | 'bad-request' | 'too-large' | 'handler-error' | 'contract-error' | 'leu-refused' | 'leu-replay' | 'nonce-store-error' | 'aborted' | 'internal-error';
  /** The service: `testConnection`, `fetchAttendee`, `fetchList`, `notification`, `launchExternalUrl`, or `other`. */
  service: keyof ConnectorPaths | 'testConnection' | 'other';
  method: string;
  path: string;
  status?: number;
  durationMs?: number;
  message: string;
  error?: unknown;
}

type ServiceName = keyof ConnectorPaths;

/** Options of `createConnector`. */
export interface ConnectorOptions {
  /** The user name and password registered in Concur (10 to 50 characters each), checked on every callout. */
  credentials: ConnectorCredentials;
  /**
   * `https` (default; `tls` is required) or `http`, for a connector behind a proxy that terminates TLS
   * (Concur only calls HTTPS endpoints with a CA-signed certificate and TLS 1.2 or later).
   */
  transport?: 'https' | 'http';
  /** Certificate and key (PEM) for `https`. `minVersion` defaults to TLSv1.2. */
  tls?: ConnectorTlsOptions;
  /** The services' paths; defaults in `DEFAULT_PATHS`. */
  paths?: ConnectorPaths;
  handlers: ConnectorHandlers;
  /** The credentials that sign Launch External URL launches. Default: `credentials` (they are the registered ones). */
  leu?: { username: string; password: string };
  /** The largest callout body accepted, in bytes; larger ones get 413. Default 128 KiB (a callout is a few KiB). */
  maxBodyBytes?: number;
  /** How long a launch's nonce is remembered (and refused if seen again). Default 24 hours. */
  nonceTtlMs?: number;
  /** Where nonces are remembered. Default: in memory (one process); share one between instances. */
  nonceStore?: NonceStore;
  /** Defaults for the LEU helpers' calls (`fetch`, `timeoutMs`...). */
  outbound?: HttpClientOptions;
  /** Receives log entries (refusals, errors, and each served callout). Default: nothing is logged. */
  log?: (entry: ConnectorLogEntry) => void;
  /**
   * Answers requests to any other path, **without** Basic authentication (e.g. the form your LEU page posts to:
   * authenticate it yourself). Default: 401 without valid credentials, else 404.
   */
  fallback?: (request: IncomingMessage, response: ServerResponse) => void;
}

/** Where a listening connector can be reached. */
export interface ListeningAddress {
  port: number;
  /** The address bound. */
  address: string;
  /** `https://{host}:{port}` with the host given to `listen` (default `localhost`). */
  url: string;
}

/** A connector: a request handler, and a server to run it on. */
export interface Connector {
  /** The node:http(s) request listener, to mount on a server of your own. */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** The server `listen` starts (https unless `transport: 'http'`). */
  readonly server: HttpServer | HttpsServer;
  /** The paths in use. */
  readonly paths: Readonly<Required<ConnectorPaths>> & { readonly testConnection: string };
  /** Starts listening (port 0 picks a free one); resolves when ready. */
  listen(port?: number, host?: string): Promise<ListeningAddress>;
  /** Stops listening, closes idle connections and waits for the open ones to finish. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 128 * 1024;
const DEFAULT_NONCE_TTL_MS = 24 * 60 * 60 * 1000;
const XML = 'application/xml; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

function checkPaths(given: ConnectorPaths | undefined): Required<ConnectorPaths> {
  for (const name of Object.keys(given ?? {})) {
    if (!Object.hasOwn(DEFAULT_PATHS, name)) throw new ConnectorConfigError(`paths.${name} is not a service (${Object.keys(DEFAULT_PATHS).join(', ')})`);
  }
  const paths = { ...DEFAULT_PATHS, ...given };
  const seen = new Map<string, string>([[TEST_CONNECTION_PATH, 'the test connection']]);
  for (const [name, path] of Object.entries(paths)) {
    if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
      throw new ConnectorConfigError(`paths.${name} must be a path starting with "/", without query or fragment`);
    }
    const other = seen.get(path);
    if (other !== undefined) throw new ConnectorConfigError(`paths.${name} (${path}) is already the path of ${other}`);
    seen.set(path, `paths.${name}`);
  }
  const version = attendeeVersionFromEndpoint(paths.fetchAttendee);
  if (!version.ok) throw new ConnectorConfigError(`paths.fetchAttendee: ${version.reason}`);
  return paths;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConnectorConfigError(`${name} must be a positive integer`);
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates a connector. Throws `ConnectorConfigError` for options that cannot work: credentials outside 10–50
 * characters, `https` without `tls`, a Fetch Attendee path without `v2.0`, clashing paths. Call `listen` to
 * serve, or mount `handler` on a server of your own.
 */
export function createConnector(options: ConnectorOptions): Connector {
  if (options === null || typeof options !== 'object') throw new ConnectorConfigError('options are required');
  const credentials = checkCredentials(options.credentials);
  const handlers = options.handlers;
  if (handlers === null || typeof handlers !== 'object') throw new ConnectorConfigError('handlers is required (an object with the services\' handlers)');
  const transport = options.transport ?? 'https';
  if (transport !== 'https' && transport !== 'http') throw new ConnectorConfigError('transport must be "https" or "http"');
  if (transport === 'https' && (options.tls?.cert === undefined || options.tls.key === undefined)) {
    throw new ConnectorConfigError('tls { cert, key } is required for https (use transport: "http" only behind a proxy that terminates TLS)');
  }
  const paths = checkPaths(options.paths);
  const leuCredentials = options.leu ?? { username: credentials.userName, password: credentials.password };
  if (typeof leuCredentials.username !== 'string' || leuCredentials.username === '' || typeof leuCredentials.password !== 'string' || leuCredentials.password === '') {
    throw new ConnectorConfigError('leu { username, password } must be non-empty strings');
  }
  const maxBodyBytes = positive(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  const nonceTtlMs = positive(options.nonceTtlMs, DEFAULT_NONCE_TTL_MS, 'nonceTtlMs');
  const nonceStore = options.nonceStore ?? createMemoryNonceStore();
  const outbound = options.outbound ?? {};
  const authorized = basicAuthChecker(credentials);

  const byPath = new Map<string, ServiceName>(Object.entries(paths).map(([name, path]) => [path, name as ServiceName]));

  function log(entry: ConnectorLogEntry): void {
    try {
      options.log?.(entry);
    } catch {
      // A failing logger must not break the answer.
    }
  }

  /** One request being answered: what the log entries share. */
  interface Exchange {
    request: IncomingMessage;
    response: ServerResponse;
    service: ConnectorLogEntry['service'];
    method: string;
    path: string;
    started: number;
  }

  function note(exchange: Exchange, level: ConnectorLogEntry['level'], event: ConnectorLogEntry['event'], status: number | undefined, message: string, error?: unknown): void {
    log({
      level,
      event,
      service: exchange.service,
      method: exchange.method,
      path: exchange.path,
      ...(status !== undefined ? { status } : {}),
      durationMs: Math.round((performance.now() - exchange.started) * 1000) / 1000,
      message,
      ...(error !== undefined ? { error } : {}),
    });
  }

  /** Reads the body; answers 413 (and closes the connection) when it is too large. */
  async function body(exchange: Exchange): Promise<Buffer | undefined> {
    const result = await readBody(exchange.request, maxBodyBytes);
    if (result.ok) return result.body;
    if (result.reason === 'too-large') {
      note(exchange, 'warn', 'too-large', 413, `the body is larger than ${maxBodyBytes} bytes`);
      sendText(exchange.response, 413, `the body is larger than ${maxBodyBytes} bytes`, { connection: 'close' });
    } else {
      note(exchange, 'warn', 'aborted', undefined, 'the client closed the connection before sending the whole body');
      exchange.response.destroy();
    }
    return undefined;
  }

  function refuseXml(exchange: Exchange, failure: ParseFailure): void {
    if (failure.code === 'too-large') {
      note(exchange, 'warn', 'too-large', 413, failure.reason);
      sendText(exchange.response, 413, failure.reason);
      return;
    }
    note(exchange, 'warn', 'bad-request', 400, `${failure.code}: ${failure.reason}`);
    sendText(exchange.response, 400, failure.reason);
  }

  /** Runs a handler and builds the answer; a thrown error is a 500, a contract error too (logged as such). */
  async function answer(exchange: Exchange, produce: () => Promise<string | undefined>): Promise<void> {
    let xml: string | undefined;
    try {
      xml = await produce();
    } catch (error) {
      if (error instanceof CalloutContractError) {
        note(exchange, 'error', 'contract-error', 500, `the ${exchange.service} handler's answer breaks the callout's contract: ${error.message}`, error);
      } else {
        note(exchange, 'error', 'handler-error', 500, `the ${exchange.service} handler failed: ${describe(error)}`, error);
      }
      sendText(exchange.response, 500, 'the connector could not process the callout');
      return;
    }
    if (xml === undefined) send(exchange.response, 200, '', undefined);
    else send(exchange.response, 200, xml, XML);
    note(exchange, 'info', 'served', 200, `${exchange.service} answered`);
  }

  function requireArray<T>(value: unknown, what: string): readonly T[] {
    if (!Array.isArray(value)) throw new CalloutContractError(`the handler must return an array of ${what}`);
    return value as readonly T[];
  }

  async function callout(exchange: Exchange, service: Exclude<ServiceName, 'launchExternalUrl'>): Promise<void> {
    const { request, response } = exchange;
    if (exchange.method !== 'POST') {
      drain(request);
      sendText(response, 405, 'callouts are POST requests', { allow: 'POST' });
      return;
    }
    const bytes = await body(exchange);
    if (bytes === undefined) return;
    const parseOptions = { maxBytes: maxBodyBytes };
    const context: CalloutContext = { request };
    switch (service) {
      case 'fetchAttendee': {
        const handler = handlers.fetchAttendee;
        const parsed = parseAttendeeSearchRequest(bytes, parseOptions);
        if (!parsed.ok) return refuseXml(exchange, parsed);
        if (!handler) return sendText(response, 404);
        return answer(exchange, async () => {
          const attendees = requireArray<AttendeeInput>(await handler.call(handlers, parsed.criteria, context), 'attendees');
          return buildAttendeeSearchResponse(attendees, { maxRecords: parsed.criteria.maximumNumberRecords });
        });
      }
      case 'fetchList': {
        const handler = handlers.fetchList;
        const parsed = parseFetchListRequest(bytes, parseOptions);
        if (!parsed.ok) return refuseXml(exchange, parsed);
        if (!handler) return sendText(response, 404);
        return answer(exchange, async () => {
          const items = requireArray<FetchListItem>(await handler.call(handlers, parsed.request, context), 'list items');
          return buildFetchListResponse(items, parsed.request);
        });
      }
      case 'notification': {
        const handler = handlers.notification;
        const parsed = parseNotification(bytes, parseOptions);
        if (!parsed.ok) return refuseXml(exchange, parsed);
        if (!handler) return sendText(response, 404);
        return answer(exchange, async () => {
          await handler.call(handlers, parsed.notification, context);
          return undefined;
        });
      }
    }
  }

  async function launch(exchange: Exchange, query: string): Promise<void> {
    const { request, response } = exchange;
    const handler = handlers.launchExternalUrl;
    drain(request);
    if (!handler) return sendText(response, 404);
    // Only GET: a HEAD (a link checker, a prefetch) must not use up the nonce.
    if (exchange.method !== 'GET') return sendText(response, 405, 'open this page with GET', { allow: 'GET' });
    const verification = verifyLeuSignature(new URLSearchParams(query), { ...leuCredentials, versions: ['v4'] });
    if (!verification.ok || verification.params.version !== 'v4') {
      const reason = verification.ok ? 'not a v4 launch' : verification.reason;
      note(exchange, 'warn', 'leu-refused', 403, `launch refused: ${reason}`);
      return sendText(response, 403, `this launch link is not valid: ${reason}`);
    }
    const params = verification.params;
    let fresh: boolean;
    try {
      fresh = await nonceStore.remember(params.nonce, nonceTtlMs);
    } catch (error) {
      note(exchange, 'error', 'nonce-store-error', 503, `the nonce store failed: ${describe(error)}`, error);
      return sendText(response, 503, 'the launch cannot be checked right now; try again later', { 'retry-after': '60' });
    }
    if (!fresh) {
      note(exchange, 'warn', 'leu-replay', 403, 'launch refused: its nonce was already used');
      return sendText(response, 403, 'this launch link was already used; open the page again from Concur');
    }
    const helpers: LeuHelpers = {
      request,
      exchangeAuthCode: (exchangeOptions) => {
        const code = params.clientAuthCode;
        if (code === undefined || code === '') return Promise.reject(new TypeError('the launch has no client_auth_code to exchange'));
        return exchangeAuthCode(code, { ...outbound, ...exchangeOptions });
      },
      requestApi: (accessToken, baseUrl, apiOptions) => requestApi(accessToken, baseUrl, { ...outbound, ...apiOptions }),
    };
    let page: LeuPage;
    try {
      page = await handler.call(handlers, params, helpers);
      if (page === null || typeof page !== 'object' || typeof page.html !== 'string') {
        throw new CalloutContractError('the launchExternalUrl handler must return { html }');
      }
      if (page.status !== undefined && (!Number.isInteger(page.status) || page.status < 200 || page.status > 599)) {
        throw new CalloutContractError('the launchExternalUrl handler returned an invalid status');
      }
    } catch (error) {
      const contract = error instanceof CalloutContractError;
      note(exchange, 'error', contract ? 'contract-error' : 'handler-error', 500, `the launchExternalUrl handler failed: ${describe(error)}`, error);
      return sendText(response, 500, 'the page could not be prepared');
    }
    // The URL carries the one-time code and the signature: never send it on as a Referer, never cache the page.
    send(response, page.status ?? 200, page.html, HTML, { 'referrer-policy': 'no-referrer', ...page.headers });
    note(exchange, 'info', 'served', page.status ?? 200, 'launch answered');
  }

  async function handle(exchange: Exchange, query: string): Promise<void> {
    const { request, response, path, method } = exchange;
    if (path === paths.launchExternalUrl) return launch(exchange, query);
    const service = byPath.get(path);
    const known = service !== undefined || path === TEST_CONNECTION_PATH;
    if (!known && options.fallback) {
      options.fallback(request, response);
      return;
    }
    if (!authorized(request.headers.authorization)) {
      drain(request);
      note(exchange, 'warn', 'unauthorized', 401, request.headers.authorization === undefined ? 'no Authorization header' : 'wrong or malformed Basic credentials');
      return sendText(response, 401, undefined, { 'www-authenticate': 'Basic realm="connector", charset="UTF-8"' });
    }
    if (path === TEST_CONNECTION_PATH) {
      drain(request);
      if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return sendText(response, 405, undefined, { allow: 'GET, HEAD, POST' });
      sendText(response, 200);
      note(exchange, 'info', 'served', 200, 'test connection answered');
      return;
    }
    if (service === undefined || service === 'launchExternalUrl' || handlers[service] === undefined) {
      drain(request);
      return sendText(response, 404);
    }
    return callout(exchange, service);
  }

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const target = request.url ?? '/';
    const mark = target.indexOf('?');
    const path = mark === -1 ? target : target.slice(0, mark);
    const query = mark === -1 ? '' : target.slice(mark + 1);
    const byName = byPath.get(path);
    const exchange: Exchange = {
      request,
      response,
      service: path === TEST_CONNECTION_PATH ? 'testConnection' : (byName ?? 'other'),
      method: request.method ?? 'GET',
      path,
      started: performance.now(),
    };
    handle(exchange, query).catch((error: unknown) => {
      note(exchange, 'error', 'internal-error', 500, `unexpected failure: ${describe(error)}`, error);
      if (!response.headersSent) sendText(response, 500);
      else response.destroy();
    });
  };

  const server: HttpServer | HttpsServer =
    transport === 'https'
      ? createHttpsServer({ minVersion: 'TLSv1.2', requestTimeout: 60_000, headersTimeout: 30_000, ...options.tls }, handler)
      : createHttpServer({ requestTimeout: 60_000, headersTimeout: 30_000 }, handler);

  return {
    handler,
    server,
    paths: Object.freeze({ ...paths, testConnection: TEST_CONNECTION_PATH }),
    listen(port = 0, host) {
      return new Promise<ListeningAddress>((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const shown = host ?? 'localhost';
          const hostPart = shown.includes(':') ? `[${shown}]` : shown;
          resolve({ port: address.port, address: address.address, url: `${transport}://${hostPart}:${address.port}` });
        });
      });
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
    },
  };
}
