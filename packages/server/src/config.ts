/**
 * patchbay's configuration: every option is declared once in `OPTIONS`, with its flag, its
 * `PATCHBAY_*` variable, its default and its help text. `loadConfig` reads them in the order
 * flags > environment > config file > defaults, validates them and returns a frozen `Config`.
 * Library code never reads `process.env`; it receives a `Config`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Which private address ranges outbound calls to connectors may reach. */
export type PrivateAddressPolicy = 'none' | 'loopback' | 'all';

/** The validated, frozen configuration of one patchbay process. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly secretKey: Buffer | null;
  readonly secretKeyFile: string;
  readonly extraCaFile: string | null;
  readonly allowPrivateAddresses: PrivateAddressPolicy;
  readonly outboundTimeoutMs: number;
  readonly outboundMaxResponseBytes: number;
  readonly bodyLimitBytes: number;
  readonly sessionTtlHours: number;
  readonly cookieSecure: boolean;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly shutdownTimeoutMs: number;
  readonly demo: boolean;
  readonly deliveryTimeoutMs: number;
  readonly deliveryConcurrency: number;
  readonly allowHttpWebhooks: boolean;
  readonly webhookClientCertFile: string | null;
  readonly webhookClientKeyFile: string | null;
  readonly clockSpeed: number;
  readonly fetchAttendeeTimeoutMs: number;
  readonly fetchListTimeoutMs: number;
  readonly notificationTimeoutMs: number;
  readonly notificationMaxAttempts: number;
  readonly notificationRetryBaseMs: number;
  /** Failed sign-ins (console, token endpoint) per client address and account in one window; 0: no limit. */
  readonly signInAttemptsPerWindow: number;
  /** Failed sign-ins per client address, whatever the account, in one window; 0: no limit. */
  readonly signInAttemptsPerIp: number;
  /** The window of the sign-in limits, in seconds. */
  readonly signInWindowSeconds: number;
}

/** How one option is read from text and described in `--help`. */
interface OptionSpec {
  readonly key: keyof Config | 'configFile';
  readonly flag: string;
  readonly env: string;
  readonly kind: 'string' | 'integer' | 'boolean' | 'choice';
  readonly choices?: readonly string[];
  readonly defaultText: string;
  readonly help: string;
}

/** Every configuration option. Order here is the order of `--help`. */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'PATCHBAY_HOST', kind: 'string', defaultText: '127.0.0.1', help: 'Address the HTTP server listens on.' },
  { key: 'port', flag: '--port', env: 'PATCHBAY_PORT', kind: 'integer', defaultText: '8080', help: 'Port the HTTP server listens on (0 picks a free port).' },
  { key: 'publicUrl', flag: '--public-url', env: 'PATCHBAY_PUBLIC_URL', kind: 'string', defaultText: 'http://<host>:<port>', help: 'The URL users and connectors reach patchbay at; used in links patchbay hands out.' },
  { key: 'dataDir', flag: '--data-dir', env: 'PATCHBAY_DATA_DIR', kind: 'string', defaultText: './data', help: 'Directory for the SQLite database and the generated secret key file.' },
  { key: 'databaseUrl', flag: '--database-url', env: 'PATCHBAY_DATABASE_URL', kind: 'string', defaultText: '(SQLite in the data directory)', help: 'A postgres:// URL to store everything in PostgreSQL instead of SQLite.' },
  { key: 'secretKey', flag: '--secret-key', env: 'PATCHBAY_SECRET_KEY', kind: 'string', defaultText: '(read from the key file)', help: 'Base64 of 32 random bytes: the AES-256-GCM key that encrypts secrets at rest. Give this or the key file, not both.' },
  { key: 'secretKeyFile', flag: '--secret-key-file', env: 'PATCHBAY_SECRET_KEY_FILE', kind: 'string', defaultText: '<data-dir>/secret.key', help: 'File holding the secret key; created with mode 0600 on first start if missing.' },
  { key: 'extraCaFile', flag: '--extra-ca-file', env: 'PATCHBAY_EXTRA_CA_FILE', kind: 'string', defaultText: '(none)', help: 'PEM bundle of extra CAs trusted for connectors, on top of the system CAs (e.g. a development CA).' },
  { key: 'allowPrivateAddresses', flag: '--allow-private-addresses', env: 'PATCHBAY_ALLOW_PRIVATE_ADDRESSES', kind: 'choice', choices: ['none', 'loopback', 'all'], defaultText: 'none (loopback with --demo)', help: 'Which private addresses connector hosts may resolve to: none, loopback, or all.' },
  { key: 'outboundTimeoutMs', flag: '--outbound-timeout-ms', env: 'PATCHBAY_OUTBOUND_TIMEOUT_MS', kind: 'integer', defaultText: '10000', help: 'Deadline for one call to a connector, in milliseconds.' },
  { key: 'outboundMaxResponseBytes', flag: '--outbound-max-response-bytes', env: 'PATCHBAY_OUTBOUND_MAX_RESPONSE_BYTES', kind: 'integer', defaultText: '1048576', help: 'Largest connector response body read; larger answers fail.' },
  { key: 'bodyLimitBytes', flag: '--body-limit-bytes', env: 'PATCHBAY_BODY_LIMIT_BYTES', kind: 'integer', defaultText: '1048576', help: 'Largest request body the HTTP API accepts; larger requests get 413.' },
  { key: 'sessionTtlHours', flag: '--session-ttl-hours', env: 'PATCHBAY_SESSION_TTL_HOURS', kind: 'integer', defaultText: '12', help: 'How long a console sign-in lasts.' },
  { key: 'cookieSecure', flag: '--cookie-secure', env: 'PATCHBAY_COOKIE_SECURE', kind: 'boolean', defaultText: 'true when the public URL is https', help: 'Mark the session cookie Secure.' },
  { key: 'logLevel', flag: '--log-level', env: 'PATCHBAY_LOG_LEVEL', kind: 'choice', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], defaultText: 'info', help: 'Structured (JSON) log level.' },
  { key: 'shutdownTimeoutMs', flag: '--shutdown-timeout-ms', env: 'PATCHBAY_SHUTDOWN_TIMEOUT_MS', kind: 'integer', defaultText: '10000', help: 'On SIGTERM/SIGINT, how long in-flight work may take before the process exits anyway.' },
  { key: 'deliveryTimeoutMs', flag: '--delivery-timeout-ms', env: 'PATCHBAY_DELIVERY_TIMEOUT_MS', kind: 'integer', defaultText: '60000', help: 'How long a webhook has to acknowledge an event (ESS allows 60 s); slower answers are retried.' },
  { key: 'deliveryConcurrency', flag: '--delivery-concurrency', env: 'PATCHBAY_DELIVERY_CONCURRENCY', kind: 'integer', defaultText: '256', help: 'Webhook deliveries in flight at once per patchbay instance (a quarter of them at most to one subscription).' },
  { key: 'allowHttpWebhooks', flag: '--allow-http-webhooks', env: 'PATCHBAY_ALLOW_HTTP_WEBHOOKS', kind: 'boolean', defaultText: 'false (true with --demo)', help: 'Accept http:// webhook endpoints (local development only; ESS delivers over https).' },
  { key: 'webhookClientCertFile', flag: '--webhook-client-cert-file', env: 'PATCHBAY_WEBHOOK_CLIENT_CERT_FILE', kind: 'string', defaultText: '(none)', help: 'PEM client certificate presented to webhooks (mutual TLS, as Concur does). Needs --webhook-client-key-file.' },
  { key: 'webhookClientKeyFile', flag: '--webhook-client-key-file', env: 'PATCHBAY_WEBHOOK_CLIENT_KEY_FILE', kind: 'string', defaultText: '(none)', help: 'PEM private key of the webhook client certificate.' },
  { key: 'clockSpeed', flag: '--clock-speed', env: 'PATCHBAY_CLOCK_SPEED', kind: 'integer', defaultText: '1', help: 'How many times faster than real time the delivery retry and expiry clock runs (for tests: 3600 makes the 72-hour schedule pass in 72 s).' },
  { key: 'fetchAttendeeTimeoutMs', flag: '--fetch-attendee-timeout-ms', env: 'PATCHBAY_FETCH_ATTENDEE_TIMEOUT_MS', kind: 'integer', defaultText: '10000', help: 'Deadline for a Fetch Attendee search; the user is told to search again (it is never retried).' },
  { key: 'fetchListTimeoutMs', flag: '--fetch-list-timeout-ms', env: 'PATCHBAY_FETCH_LIST_TIMEOUT_MS', kind: 'integer', defaultText: '5000', help: 'Deadline for a Fetch List call (the user is typing in a list field).' },
  { key: 'notificationTimeoutMs', flag: '--notification-timeout-ms', env: 'PATCHBAY_NOTIFICATION_TIMEOUT_MS', kind: 'integer', defaultText: '60000', help: 'How long a connector has to answer an Event Notification (Concur asks web services to answer within 60 s).' },
  { key: 'notificationMaxAttempts', flag: '--notification-max-attempts', env: 'PATCHBAY_NOTIFICATION_MAX_ATTEMPTS', kind: 'integer', defaultText: '8', help: 'Attempts at an Event Notification before it is marked FAILED and the company\'s queue moves on.' },
  { key: 'notificationRetryBaseMs', flag: '--notification-retry-base-ms', env: 'PATCHBAY_NOTIFICATION_RETRY_BASE_MS', kind: 'integer', defaultText: '30000', help: 'Wait before the first retry of an Event Notification; each later wait doubles (at most an hour), with jitter.' },
  { key: 'signInAttemptsPerWindow', flag: '--sign-in-attempts-per-window', env: 'PATCHBAY_SIGN_IN_ATTEMPTS_PER_WINDOW', kind: 'integer', defaultText: '10', help: 'Failed sign-ins (console sign-in, and wrong client secrets, passwords or request tokens at /oauth2/v0/token) allowed per client address and account in one window; more are answered 429 with Retry-After. Successes are never counted. 0 turns the limit off.' },
  { key: 'signInAttemptsPerIp', flag: '--sign-in-attempts-per-ip', env: 'PATCHBAY_SIGN_IN_ATTEMPTS_PER_IP', kind: 'integer', defaultText: '100', help: 'Failed sign-ins allowed per client address (IPv6: per /64), whatever the account, in one window. 0 turns the limit off.' },
  { key: 'signInWindowSeconds', flag: '--sign-in-window-seconds', env: 'PATCHBAY_SIGN_IN_WINDOW_SECONDS', kind: 'integer', defaultText: '900', help: 'The window of the sign-in limits, in seconds: a client earns its attempts back over this long.' },
  { key: 'demo', flag: '--demo', env: 'PATCHBAY_DEMO', kind: 'boolean', defaultText: 'false', help: 'Create the demo company, users and safe list on start (idempotent), and allow loopback connectors.' },
  { key: 'configFile', flag: '--config', env: 'PATCHBAY_CONFIG', kind: 'string', defaultText: '(none)', help: 'A JSON file of options, keyed by the camelCase names (e.g. {"port": 9000}).' },
];

/** A configuration problem found at start-up; the message names the flag or variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type RawValue = string | number | boolean;

/** Reads and validates the configuration from `argv` flags, `env` and the optional config file. */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Config {
  const fromFlags = parseFlags(argv);
  const configFile = (fromFlags.get('configFile') as string | undefined) ?? env.PATCHBAY_CONFIG;
  const fromFile = configFile ? readConfigFile(path.resolve(cwd, configFile)) : new Map<string, RawValue>();

  const raw = new Map<string, { value: RawValue; source: string }>();
  for (const option of OPTIONS) {
    if (option.key === 'configFile') continue;
    const flagValue = fromFlags.get(option.key);
    const envValue = env[option.env];
    const fileValue = fromFile.get(option.key);
    if (flagValue !== undefined) raw.set(option.key, { value: flagValue, source: option.flag });
    else if (envValue !== undefined && envValue !== '') raw.set(option.key, { value: envValue, source: option.env });
    else if (fileValue !== undefined) raw.set(option.key, { value: fileValue, source: `"${option.key}" in ${configFile}` });
  }

  const get = <T>(key: keyof Config, fallback: T): T => {
    const entry = raw.get(key);
    if (!entry) return fallback;
    const option = OPTIONS.find((o) => o.key === key)!;
    return coerce(option, entry.value, entry.source) as T;
  };

  const host = get('host', '127.0.0.1');
  const port = get('port', 8080);
  if (port < 0 || port > 65535) throw new ConfigError(`${sourceOf(raw, 'port')} must be between 0 and 65535.`);
  const demo = get('demo', false);
  const dataDir = path.resolve(cwd, get('dataDir', './data'));
  const publicUrl = stripTrailingSlash(get('publicUrl', `http://${host.includes(':') ? `[${host}]` : host}:${port}`));
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) throw new ConfigError(`${sourceOf(raw, 'publicUrl')} must be an http:// or https:// URL.`);

  const databaseUrl = get<string | null>('databaseUrl', null);
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`${sourceOf(raw, 'databaseUrl')} must be a postgres:// or postgresql:// URL.`);
  }

  const secretKeyText = get<string | null>('secretKey', null);
  if (secretKeyText !== null && raw.has('secretKeyFile')) {
    throw new ConfigError(`Give either ${sourceOf(raw, 'secretKey')} or ${sourceOf(raw, 'secretKeyFile')}, not both: they name two different keys.`);
  }
  let secretKey: Buffer | null = null;
  if (secretKeyText !== null) {
    secretKey = Buffer.from(secretKeyText.trim(), 'base64');
    // Buffer.from skips characters that are not base64; re-encoding shows whether any were there.
    if (secretKey.length !== 32 || secretKey.toString('base64') !== secretKeyText.trim()) throw new ConfigError(`${sourceOf(raw, 'secretKey')} must be the base64 of exactly 32 bytes (e.g. openssl rand -base64 32).`);
  }
  const secretKeyFile = path.resolve(cwd, get('secretKeyFile', path.join(dataDir, 'secret.key')));

  const extraCaFile = raw.has('extraCaFile') ? path.resolve(cwd, get('extraCaFile', '')) : null;
  const allowPrivateAddresses = get<PrivateAddressPolicy>('allowPrivateAddresses', demo ? 'loopback' : 'none');
  const outboundTimeoutMs = positive(raw, 'outboundTimeoutMs', get('outboundTimeoutMs', 10_000));
  const outboundMaxResponseBytes = positive(raw, 'outboundMaxResponseBytes', get('outboundMaxResponseBytes', 1_048_576));
  const bodyLimitBytes = positive(raw, 'bodyLimitBytes', get('bodyLimitBytes', 1_048_576));
  const sessionTtlHours = positive(raw, 'sessionTtlHours', get('sessionTtlHours', 12));
  const cookieSecure = get('cookieSecure', publicUrl.startsWith('https://'));
  const logLevel = get<Config['logLevel']>('logLevel', 'info');
  const shutdownTimeoutMs = positive(raw, 'shutdownTimeoutMs', get('shutdownTimeoutMs', 10_000));

  const deliveryTimeoutMs = positive(raw, 'deliveryTimeoutMs', get('deliveryTimeoutMs', 60_000));
  const deliveryConcurrency = positive(raw, 'deliveryConcurrency', get('deliveryConcurrency', 256));
  const allowHttpWebhooks = get('allowHttpWebhooks', demo);
  const webhookClientCertFile = raw.has('webhookClientCertFile') ? path.resolve(cwd, get('webhookClientCertFile', '')) : null;
  const webhookClientKeyFile = raw.has('webhookClientKeyFile') ? path.resolve(cwd, get('webhookClientKeyFile', '')) : null;
  if ((webhookClientCertFile === null) !== (webhookClientKeyFile === null)) {
    throw new ConfigError(`Give both ${sourceOf(raw, 'webhookClientCertFile')} and ${sourceOf(raw, 'webhookClientKeyFile')}, or neither: a client certificate needs its key.`);
  }
  const clockSpeed = positive(raw, 'clockSpeed', get('clockSpeed', 1));
  const fetchAttendeeTimeoutMs = positive(raw, 'fetchAttendeeTimeoutMs', get('fetchAttendeeTimeoutMs', 10_000));
  const fetchListTimeoutMs = positive(raw, 'fetchListTimeoutMs', get('fetchListTimeoutMs', 5_000));
  const notificationTimeoutMs = positive(raw, 'notificationTimeoutMs', get('notificationTimeoutMs', 60_000));
  const notificationMaxAttempts = positive(raw, 'notificationMaxAttempts', get('notificationMaxAttempts', 8));
  const notificationRetryBaseMs = positive(raw, 'notificationRetryBaseMs', get('notificationRetryBaseMs', 30_000));
  const signInAttemptsPerWindow = nonNegative(raw, 'signInAttemptsPerWindow', get('signInAttemptsPerWindow', 10));
  const signInAttemptsPerIp = nonNegative(raw, 'signInAttemptsPerIp', get('signInAttemptsPerIp', 100));
  const signInWindowSeconds = positive(raw, 'signInWindowSeconds', get('signInWindowSeconds', 900));

  return Object.freeze({
    host, port, publicUrl, dataDir, databaseUrl, secretKey, secretKeyFile, extraCaFile, allowPrivateAddresses,
    outboundTimeoutMs, outboundMaxResponseBytes, bodyLimitBytes, sessionTtlHours, cookieSecure, logLevel,
    shutdownTimeoutMs, demo, deliveryTimeoutMs, deliveryConcurrency, allowHttpWebhooks, webhookClientCertFile,
    webhookClientKeyFile, clockSpeed, fetchAttendeeTimeoutMs, fetchListTimeoutMs, notificationTimeoutMs,
    notificationMaxAttempts, notificationRetryBaseMs, signInAttemptsPerWindow, signInAttemptsPerIp, signInWindowSeconds,
  });
}

/** The `--help` lines describing every option. */
export function describeOptions(): string {
  const lines: string[] = [];
  for (const option of OPTIONS) {
    const value = option.kind === 'boolean' ? '' : option.kind === 'choice' ? ` <${option.choices!.join('|')}>` : ' <value>';
    lines.push(`  ${option.flag}${value}`);
    lines.push(`      ${option.help}`);
    lines.push(`      env ${option.env}; default ${option.defaultText}`);
  }
  return lines.join('\n');
}

function parseFlags(argv: readonly string[]): Map<string, RawValue> {
  const values = new Map<string, RawValue>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`Unexpected argument "${arg}". Run patchbay --help for the flags.`);
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const option = OPTIONS.find((o) => o.flag === flag);
    if (!option) throw new ConfigError(`Unknown flag ${flag}. Run patchbay --help for the flags.`);
    if (option.kind === 'boolean' && inline === undefined) {
      values.set(option.key, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value.`);
    values.set(option.key, value);
  }
  return values;
}

function readConfigFile(file: string): Map<string, RawValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read the config file ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`The config file ${file} must hold a JSON object.`);
  }
  const values = new Map<string, RawValue>();
  for (const [key, value] of Object.entries(parsed)) {
    if (!OPTIONS.some((o) => o.key === key) || key === 'configFile') {
      throw new ConfigError(`Unknown option "${key}" in ${file}. Run patchbay --help for the options.`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(`"${key}" in ${file} must be a string, number or boolean.`);
    }
    values.set(key, value);
  }
  return values;
}

function coerce(option: OptionSpec, value: RawValue, source: string): RawValue {
  switch (option.kind) {
    case 'string':
      return String(value);
    case 'integer': {
      const number = typeof value === 'number' ? value : /^-?\d+$/.test(value.toString().trim()) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(number)) throw new ConfigError(`${source} must be a whole number, not "${value}".`);
      return number;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const text = value.toString().trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(text)) return true;
      if (['0', 'false', 'no', 'off'].includes(text)) return false;
      throw new ConfigError(`${source} must be true or false, not "${value}".`);
    }
    case 'choice': {
      const text = value.toString();
      if (!option.choices!.includes(text)) throw new ConfigError(`${source} must be one of ${option.choices!.join(', ')}, not "${text}".`);
      return text;
    }
  }
}

function positive(raw: Map<string, { source: string }>, key: keyof Config, value: number): number {
  if (value <= 0) throw new ConfigError(`${sourceOf(raw, key)} must be greater than 0.`);
  return value;
}

function nonNegative(raw: Map<string, { source: string }>, key: keyof Config, value: number): number {
  if (value < 0) throw new ConfigError(`${sourceOf(raw, key)} must be 0 or more.`);
  return value;
}

function sourceOf(raw: Map<string, { source: string }>, key: keyof Config): string {
  return raw.get(key)?.source ?? OPTIONS.find((o) => o.key === key)!.env;
}

function stripTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
