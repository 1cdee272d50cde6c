/**
 * The standalone sample connector's configuration: every option is declared once in `OPTIONS`, with its
 * flag, its `SAMPLE_CONNECTOR_*` variable, its default and its help text. `loadConfig` reads them in the
 * order flags > environment > defaults (> `--demo`'s values), validates them and returns a frozen `Config`.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DEV_HOSTNAMES } from './dev-certificates.ts';

/** The validated configuration of one sample connector process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly patchbayUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly companyId: string | null;
  readonly companyRequestToken: string | null;
  readonly userName: string;
  readonly password: string;
  readonly budgetLimit: number;
  readonly certFile: string | null;
  readonly keyFile: string | null;
  readonly certsDir: string;
  readonly hostnames: readonly string[];
  readonly shutdownTimeoutMs: number;
  readonly demo: boolean;
}

/** How one option is read and described. */
interface OptionSpec {
  readonly key: keyof Config;
  readonly flag: string;
  readonly env: string;
  readonly kind: 'string' | 'integer' | 'number' | 'boolean';
  readonly defaultText: string;
  readonly help: string;
}

/**
 * The values `--demo` fills in for options left unset: those of `npm start`'s demo (packages/server/src/demo.ts
 * and demo-connector.ts: patchbay on 127.0.0.1:8080, Demo Partner App, the Redirect URL the demo registers
 * for the sample connector, and the sample connector's user name and password).
 */
export const DEMO_DEFAULTS = Object.freeze({
  patchbayUrl: 'http://127.0.0.1:8080',
  clientId: '2f6b7d0e-8c1a-4e5b-9f3d-1a2b3c4d5e6f',
  clientSecret: 'pbcs_demo-client-secret-do-not-use-in-production',
  redirectUri: 'https://localhost/sample-connector/oauth-redirect',
  userName: 'sample-connector-user',
  password: 'sample-connector-password',
} as const);

/** Every option. Order here is the order of `--help`. */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'port', flag: '--port', env: 'SAMPLE_CONNECTOR_PORT', kind: 'integer', defaultText: '8444', help: 'Port the HTTPS server listens on (0 picks a free port).' },
  { key: 'host', flag: '--host', env: 'SAMPLE_CONNECTOR_HOST', kind: 'string', defaultText: '127.0.0.1', help: 'Address the HTTPS server listens on.' },
  { key: 'patchbayUrl', flag: '--patchbay-url', env: 'SAMPLE_CONNECTOR_PATCHBAY_URL', kind: 'string', defaultText: '(required; demo: http://127.0.0.1:8080)', help: 'patchbay\'s public URL: its token endpoint and Request v4 API are under it. https, or http to loopback.' },
  { key: 'clientId', flag: '--client-id', env: 'SAMPLE_CONNECTOR_CLIENT_ID', kind: 'string', defaultText: '(required; demo: Demo Partner App)', help: 'The OAuth2 application\'s client ID (the one on the Launch External URL service).' },
  { key: 'clientSecret', flag: '--client-secret', env: 'SAMPLE_CONNECTOR_CLIENT_SECRET', kind: 'string', defaultText: '(required; demo: Demo Partner App\'s)', help: 'The application\'s client secret.' },
  { key: 'redirectUri', flag: '--redirect-uri', env: 'SAMPLE_CONNECTOR_REDIRECT_URI', kind: 'string', defaultText: '(required; demo: https://localhost/sample-connector/oauth-redirect)', help: 'The redirect URL registered with the client ID and on the Launch External URL service.' },
  { key: 'companyId', flag: '--company-id', env: 'SAMPLE_CONNECTOR_COMPANY_ID', kind: 'string', defaultText: '(none)', help: 'The company whose Company Request Token is given. Needs --company-request-token.' },
  { key: 'companyRequestToken', flag: '--company-request-token', env: 'SAMPLE_CONNECTOR_COMPANY_REQUEST_TOKEN', kind: 'string', defaultText: '(none)', help: 'A Company Request Token for the application: exchanged once for the company token that approves and sends back requests.' },
  { key: 'userName', flag: '--user-name', env: 'SAMPLE_CONNECTOR_USER_NAME', kind: 'string', defaultText: '(required; demo: sample-connector-user)', help: 'The connector\'s registered user name (10 to 50 characters), checked on every callout.' },
  { key: 'password', flag: '--password', env: 'SAMPLE_CONNECTOR_PASSWORD', kind: 'string', defaultText: '(required; demo: sample-connector-password)', help: 'The connector\'s registered password (10 to 50 characters).' },
  { key: 'budgetLimit', flag: '--budget-limit', env: 'SAMPLE_CONNECTOR_BUDGET_LIMIT', kind: 'number', defaultText: '5000', help: 'Requests whose expected expenses total more than this are sent back; others are approved.' },
  { key: 'certFile', flag: '--cert-file', env: 'SAMPLE_CONNECTOR_CERT_FILE', kind: 'string', defaultText: '(a development certificate)', help: 'PEM certificate (chain) to serve. Needs --key-file. Without both, development certificates are used.' },
  { key: 'keyFile', flag: '--key-file', env: 'SAMPLE_CONNECTOR_KEY_FILE', kind: 'string', defaultText: '(a development key)', help: 'PEM private key of --cert-file.' },
  { key: 'certsDir', flag: '--certs-dir', env: 'SAMPLE_CONNECTOR_CERTS_DIR', kind: 'string', defaultText: '.patchbay/dev-ca', help: 'Where the development CA and certificate are made once and reused (relative to the working directory).' },
  { key: 'hostnames', flag: '--hostnames', env: 'SAMPLE_CONNECTOR_HOSTNAMES', kind: 'string', defaultText: DEFAULT_DEV_HOSTNAMES.join(','), help: 'Comma-separated host names and IP addresses the development certificate covers.' },
  { key: 'shutdownTimeoutMs', flag: '--shutdown-timeout-ms', env: 'SAMPLE_CONNECTOR_SHUTDOWN_TIMEOUT_MS', kind: 'integer', defaultText: '10000', help: 'On SIGTERM/SIGINT, how long running validations may take before the process exits anyway.' },
  { key: 'demo', flag: '--demo', env: 'SAMPLE_CONNECTOR_DEMO', kind: 'boolean', defaultText: 'false', help: 'Fill unset patchbay URL, client ID, secret, redirect URL, user name and password with npm start\'s demo values.' },
];

/** Whether the arguments ask for `--help` (checked before anything else, so a bad option does not hide the help). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '--help' || arg === '-h');
}

/** A configuration problem; the message names the flag and the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The `--help` text: usage, then every flag with its variable and default. */
export function helpText(): string {
  const lines = [
    'Usage: node examples/sample-connector/src/main.ts [options]',
    '',
    'Runs the patchbay sample application connector over HTTPS: Fetch Attendee, Fetch List (Locations),',
    'Event Notification (budget validation of Concur Requests) and Launch External URL (project picker).',
    'Each option can also be set with its environment variable; flags win over variables.',
    '',
    'Options:',
  ];
  for (const option of OPTIONS) {
    const flag = option.kind === 'boolean' ? option.flag : `${option.flag} <${option.kind === 'string' ? 'value' : option.kind}>`;
    lines.push(`  ${flag}`, `      ${option.help}`, `      env ${option.env}; default ${option.defaultText}`);
  }
  lines.push('  --help', '      Show this help and exit.', '');
  lines.push('To call a patchbay served over https with a development CA, start node with NODE_EXTRA_CA_CERTS=<its CA file>.');
  return lines.join('\n');
}

function sourceOf(option: OptionSpec): string {
  return `${option.flag} (${option.env})`;
}

/**
 * Reads the flags (`argv` without node and the script), the environment and the defaults into a frozen
 * `Config`. Throws `ConfigError` naming the flag and variable of a bad or missing value, or of a half-given
 * pair (--cert-file/--key-file, --company-id/--company-request-token).
 */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd: string): Config {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(OPTIONS.map((option) => [option.flag.slice(2), { type: option.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }])),
      },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}. Run with --help for the options.`);
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  const raw = new Map<keyof Config, string | boolean>();
  for (const option of OPTIONS) {
    const fromFlag = flags[option.flag.slice(2)];
    const fromEnv = env[option.env];
    if (fromFlag !== undefined) raw.set(option.key, fromFlag);
    else if (fromEnv !== undefined && fromEnv !== '') raw.set(option.key, fromEnv);
  }
  const spec = (key: keyof Config): OptionSpec => {
    const found = OPTIONS.find((option) => option.key === key);
    if (found === undefined) throw new TypeError(`no option ${key}`);
    return found;
  };

  function bool(key: 'demo'): boolean {
    const value = raw.get(key);
    if (value === undefined) return false;
    if (typeof value === 'boolean') return value;
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    throw new ConfigError(`${sourceOf(spec(key))} must be true or false, not ${JSON.stringify(value)}`);
  }
  const demo = bool('demo');

  function text(key: keyof Config): string | null {
    const value = raw.get(key);
    if (value === undefined) return demo && key in DEMO_DEFAULTS ? DEMO_DEFAULTS[key as keyof typeof DEMO_DEFAULTS] : null;
    return String(value);
  }
  function required(key: keyof Config): string {
    const value = text(key);
    if (value === null || value === '') throw new ConfigError(`${sourceOf(spec(key))} is required (or give --demo to use npm start's demo values)`);
    return value;
  }
  function integer(key: 'port' | 'shutdownTimeoutMs', fallback: number, max: number): number {
    const value = text(key);
    if (value === null) return fallback;
    if (!/^\d+$/.test(value) || Number(value) > max) throw new ConfigError(`${sourceOf(spec(key))} must be an integer from 0 to ${max}, not ${JSON.stringify(value)}`);
    return Number(value);
  }

  const budgetText = text('budgetLimit');
  const budgetLimit = budgetText === null ? 5000 : Number(budgetText);
  if (budgetText !== null && (budgetText.trim() === '' || !Number.isFinite(budgetLimit) || budgetLimit < 0)) {
    throw new ConfigError(`${sourceOf(spec('budgetLimit'))} must be a number, 0 or more, not ${JSON.stringify(budgetText)}`);
  }
  const certFile = text('certFile');
  const keyFile = text('keyFile');
  if ((certFile === null) !== (keyFile === null)) {
    throw new ConfigError(`Give both ${sourceOf(spec('certFile'))} and ${sourceOf(spec('keyFile'))}, or neither (development certificates are then used).`);
  }
  const companyId = text('companyId');
  const companyRequestToken = text('companyRequestToken');
  if ((companyId === null) !== (companyRequestToken === null)) {
    throw new ConfigError(`Give both ${sourceOf(spec('companyId'))} and ${sourceOf(spec('companyRequestToken'))}, or neither: a Company Request Token belongs to one company.`);
  }
  const hostnames = (text('hostnames') ?? DEFAULT_DEV_HOSTNAMES.join(',')).split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (hostnames.length === 0) throw new ConfigError(`${sourceOf(spec('hostnames'))} must name at least one host`);

  return Object.freeze({
    port: integer('port', 8444, 65_535),
    host: text('host') ?? '127.0.0.1',
    patchbayUrl: required('patchbayUrl'),
    clientId: required('clientId'),
    clientSecret: required('clientSecret'),
    redirectUri: required('redirectUri'),
    companyId,
    companyRequestToken,
    userName: required('userName'),
    password: required('password'),
    budgetLimit,
    certFile: certFile === null ? null : path.resolve(cwd, certFile),
    keyFile: keyFile === null ? null : path.resolve(cwd, keyFile),
    certsDir: path.resolve(cwd, text('certsDir') ?? path.join('.patchbay', 'dev-ca')),
    hostnames: Object.freeze(hostnames),
    shutdownTimeoutMs: integer('shutdownTimeoutMs', 10_000, 600_000),
    demo,
  });
}
