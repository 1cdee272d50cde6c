/**
 * `createSampleConnector`: a complete Concur application connector on `@patchbay/connector-sdk`, with every
 * service patchbay calls:
 *
 * - Fetch Attendee v2.0 over the demo attendee directory (`searchAttendees`);
 * - Fetch List v1.2 over the three-level Locations list (`fetchLocations`);
 * - Event Notification: an External Validation rule for Concur Requests, approving those whose expected
 *   expenses are within a budget and sending the others back (`createBudgetValidator`);
 * - Launch External URL v4 (Concur Request): a project picker that writes the chosen project to the
 *   request's custom field (`createProjectPicker`).
 */
import { ConnectorConfigError, createConnector } from '@patchbay/connector-sdk';
import type { Connector, ConnectorCredentials, ConnectorLogEntry, HttpClientOptions, ListeningAddress } from '@patchbay/connector-sdk';
import { createBudgetValidator } from './budget-validator.ts';
import type { BudgetValidator, RetryOptions, ValidationRecord } from './budget-validator.ts';
import { createCompanyTokens } from './company-tokens.ts';
import { fetchLocations } from './fetch-locations.ts';
import { createProjectPicker } from './project-picker.ts';
import { searchAttendees } from './search-attendees.ts';

/** The budget limit when none is given. */
export const DEFAULT_BUDGET_LIMIT = 5000;
/** Where the project picker's form posts (below the Launch External URL path, so one route covers both). */
export const PROJECT_PICKER_SAVE_PATH = '/request/launchexternalurl/v4/form/save';
/** How long `close` lets running validations finish by default. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** How the sample connector reaches patchbay (or Concur), as the application registered there. */
export interface SamplePatchbayOptions {
  /**
   * patchbay's public URL, e.g. `https://localhost:8443` or `http://127.0.0.1:3000` (http only to loopback):
   * the token endpoint is `${baseUrl}/oauth2/v0/token`, Request v4 is under `${baseUrl}/travelrequest/v4`.
   */
  baseUrl: string;
  /** The application's client ID: the one on the Launch External URL service, which connects companies. */
  clientId: string;
  clientSecret: string;
  /** The redirect URL registered with the client ID and on the Launch External URL service. */
  redirectUri: string;
  /**
   * A Company Request Token of `companyId` for this application: exchanged once (`grant_type=password`,
   * `credtype=authtoken`) for the company token that approves and sends back requests. Give both or neither;
   * `setCompanyRequestToken` adds companies later.
   */
  companyRequestToken?: string;
  companyId?: string;
  /** The `fetch` for every call to patchbay (e.g. one whose dispatcher trusts a development CA). */
  fetch?: typeof fetch;
}

/** One log line of the sample connector. */
export interface SampleConnectorLogEntry {
  level: 'info' | 'warn' | 'error';
  /**
   * `connector`: the SDK's entries (callouts served, refusals; `service`, `method`, `path`, `status` are set).
   * `validation`: the notification worker. `launch`: the project picker. `token`: the company tokens.
   */
  source: 'connector' | 'validation' | 'launch' | 'token';
  event: string;
  message: string;
  service?: ConnectorLogEntry['service'];
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  requestUuid?: string;
  companyId?: string;
  error?: unknown;
}

/** Options of `createSampleConnector`. */
export interface SampleConnectorOptions {
  /** The user name and password registered for the connector (10 to 50 characters each). */
  credentials: ConnectorCredentials;
  /** The certificate and key (PEM) it serves HTTPS with; `ensureDevCertificates` makes a development pair. */
  tls: { cert: string | Buffer; key: string | Buffer };
  patchbay: SamplePatchbayOptions;
  /** The External Validation rule: requests whose expected expenses total more than this are sent back. Default 5,000. */
  budgetLimit?: number;
  log?: (entry: SampleConnectorLogEntry) => void;
  /** How the notification worker retries transient failures (default 4 tries, from 1 s, doubling). */
  retry?: RetryOptions;
  /** How long `close` waits for running validations. Default 10,000 ms. */
  shutdownTimeoutMs?: number;
}

/** A sample connector. */
export interface SampleConnector {
  /** The SDK connector (its `handler`, `server` and `paths`). */
  readonly connector: Connector;
  /** Starts serving HTTPS (port 0 picks a free port; host default: all addresses). */
  listen(port?: number, host?: string): Promise<ListeningAddress>;
  /** Stops taking callouts, lets running validations finish (within the shutdown timeout) and closes the server. */
  close(): Promise<void>;
  /** What the notification worker decided, oldest first (the last 1,000). */
  readonly validations: readonly ValidationRecord[];
  /** Connects a company: its Company Request Token is exchanged now, in the background, for a company token. */
  setCompanyRequestToken(companyId: string, requestToken: string): void;
  /** Resolves when no notification is waiting or being checked. */
  whenIdle(): Promise<void>;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function checkBaseUrl(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') throw new ConnectorConfigError('patchbay.baseUrl is required (patchbay\'s public URL, e.g. https://localhost:8443)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConnectorConfigError(`patchbay.baseUrl ${JSON.stringify(raw.slice(0, 200))} is not an absolute URL`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConnectorConfigError('patchbay.baseUrl must be a plain URL, without credentials, query or fragment');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new ConnectorConfigError('patchbay.baseUrl must be https (http only to a loopback address): the client secret and tokens travel on it');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function requiredText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new ConnectorConfigError(`${name} is required`);
  return value;
}

/**
 * Creates the sample connector. Throws `ConnectorConfigError` for options that cannot work: credentials
 * outside 10–50 characters, missing TLS material, a patchbay URL that is not https (or loopback http), a
 * missing client ID, secret or redirect URL, `companyRequestToken` without `companyId` (or the reverse), a
 * negative budget limit.
 */
export function createSampleConnector(options: SampleConnectorOptions): SampleConnector {
  if (options === null || typeof options !== 'object') throw new ConnectorConfigError('options are required');
  const patchbay = options.patchbay;
  if (patchbay === null || typeof patchbay !== 'object') throw new ConnectorConfigError('patchbay { baseUrl, clientId, clientSecret, redirectUri } is required');
  const baseUrl = checkBaseUrl(patchbay.baseUrl);
  const clientId = requiredText(patchbay.clientId, 'patchbay.clientId');
  const clientSecret = requiredText(patchbay.clientSecret, 'patchbay.clientSecret');
  const redirectUri = requiredText(patchbay.redirectUri, 'patchbay.redirectUri');
  if ((patchbay.companyRequestToken === undefined) !== (patchbay.companyId === undefined)) {
    throw new ConnectorConfigError('give patchbay.companyRequestToken and patchbay.companyId together (the token connects that company), or neither');
  }
  const budgetLimit = options.budgetLimit ?? DEFAULT_BUDGET_LIMIT;
  if (typeof budgetLimit !== 'number' || !Number.isFinite(budgetLimit) || budgetLimit < 0) throw new ConnectorConfigError('budgetLimit must be a number, 0 or more');
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (!Number.isFinite(shutdownTimeoutMs) || shutdownTimeoutMs < 0) throw new ConnectorConfigError('shutdownTimeoutMs must be 0 or more');
  const tokenUrl = `${baseUrl}/oauth2/v0/token`;
  const http: HttpClientOptions = patchbay.fetch !== undefined ? { fetch: patchbay.fetch } : {};

  function log(entry: SampleConnectorLogEntry): void {
    try {
      options.log?.(entry);
    } catch {
      // A failing logger must not break the connector.
    }
  }

  const tokens = createCompanyTokens({
    tokenUrl,
    clientId,
    clientSecret,
    ...http,
    report: (event) => log({ source: 'token', ...event }),
  });
  if (patchbay.companyId !== undefined && patchbay.companyRequestToken !== undefined) {
    tokens.setRequestToken(requiredText(patchbay.companyId, 'patchbay.companyId'), requiredText(patchbay.companyRequestToken, 'patchbay.companyRequestToken'));
  }
  const validator: BudgetValidator = createBudgetValidator({
    baseUrl,
    tokens,
    budgetLimit,
    http,
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    log: (entry) => log({ source: 'validation', ...entry }),
  });
  const picker = createProjectPicker({
    baseUrl,
    tokenUrl,
    clientId,
    clientSecret,
    redirectUri,
    savePath: PROJECT_PICKER_SAVE_PATH,
    http,
    log: (entry) => log({ source: 'launch', ...entry }),
  });

  const connector = createConnector({
    credentials: options.credentials,
    tls: { cert: options.tls?.cert, key: options.tls?.key },
    outbound: http,
    log: (entry) => log({ source: 'connector', ...entry }),
    // The project picker's form: not a callout, so no Basic auth; its session id authenticates it.
    fallback: (request, response) => picker.handle(request, response),
    handlers: {
      fetchAttendee: (criteria) => searchAttendees(criteria),
      fetchList: (request) => fetchLocations(request),
      notification: (notification) => validator.enqueue(notification),
      launchExternalUrl: (params, helpers) => picker.launch(params, helpers),
    },
  });

  let started = false;
  return {
    connector,
    validations: validator.records,
    async listen(port = 0, host) {
      const address = await connector.listen(port, host);
      if (!started) {
        started = true;
        for (const companyId of tokens.companies()) tokens.prefetch(companyId);
      }
      return address;
    },
    async close() {
      await connector.close();
      await validator.close(shutdownTimeoutMs);
      picker.clear();
    },
    setCompanyRequestToken(companyId, requestToken) {
      tokens.setRequestToken(companyId, requestToken);
      tokens.prefetch(companyId);
    },
    whenIdle: () => validator.whenIdle(),
  };
}
