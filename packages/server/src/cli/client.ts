/**
 * What the developer-loop commands (`patchbay listen`, `patchbay trigger`) need from a running patchbay,
 * over its public HTTP API only: OAuth2 tokens from `/oauth2/v0/token`, console sign-in for the admin
 * steps, and JSON calls whose failures become one readable line.
 */
import { parseArgs } from 'node:util';
import { DEMO } from '../demo.ts';

/** A failure the command reports in one line (no stack): a refused call, a bad flag, an unreachable server. */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** The process exit code: 2 for a usage mistake, 1 for anything else. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The server the commands talk to unless `--server` says otherwise. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** The demo's application and people, the defaults of the commands' credential flags. */
export const DEMO_DEFAULTS = {
  clientId: DEMO.application.id,
  clientSecret: DEMO.application.clientSecret,
  admin: DEMO.admin,
  employee: DEMO.employee,
} as const;

/** One JSON answer. */
export interface JsonAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls `url`, turning a connection failure into a CliError that says what to check. */
async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual' });
  } catch (error) {
    const origin = new URL(url).origin;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`Cannot reach patchbay at ${origin} (${cause?.code ?? cause?.message ?? (error as Error).message}). Is it running? Start it with: patchbay start --demo`);
  }
}

/** The message inside an error body, whichever of patchbay's or Concur's shapes it has. */
function messageOf(body: unknown, text: string): string {
  if (typeof body === 'object' && body !== null) {
    const record = body as { error?: { message?: unknown } | string; errors?: Array<{ errorMessage?: unknown }>; error_description?: unknown; Message?: unknown; message?: unknown };
    const nested = typeof record.error === 'object' && record.error !== null ? record.error.message : undefined;
    const candidates = [nested, Array.isArray(record.errors) ? record.errors[0]?.errorMessage : undefined, record.error_description, record.Message, record.message, record.error];
    const message = candidates.find((value): value is string => typeof value === 'string' && value !== '');
    if (message !== undefined) return message;
  }
  return text.slice(0, 300) || '(no body)';
}

/** A JSON call to patchbay; non-2xx answers throw a CliError naming the call, unless `allow` lists the status. */
export async function callJson<T = unknown>(
  server: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; allow?: readonly number[] } = {},
): Promise<JsonAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await send(`${server}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text for the message
  }
  if (response.status >= 300 && !(options.allow ?? []).includes(response.status)) {
    throw new CliError(`${method} ${path} answered ${response.status}: ${messageOf(body, text)}`);
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** `POST /oauth2/v0/token` with a form body; returns the access token (and the whole answer). */
export async function requestToken(server: string, form: Record<string, string>): Promise<{ accessToken: string; body: Record<string, unknown> }> {
  const response = await send(`${server}/oauth2/v0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // reported below
  }
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    throw new CliError(`The token endpoint refused the ${form.grant_type} grant (${response.status}): ${messageOf(body, text)}`);
  }
  return { accessToken: body.access_token, body };
}

/** An app token (client_credentials). */
export async function appToken(server: string, clientId: string, clientSecret: string): Promise<string> {
  return (await requestToken(server, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })).accessToken;
}

/** A user token (password grant with the user's login ID and password). */
export async function userToken(server: string, clientId: string, clientSecret: string, loginId: string, password: string): Promise<string> {
  return (await requestToken(server, { grant_type: 'password', client_id: clientId, client_secret: clientSecret, username: loginId, password })).accessToken;
}

/** A signed-in console session: the headers that carry it, and who it is. */
export interface ConsoleSession {
  headers: Record<string, string>;
  user: { id: string; loginId: string; companyId: string | null; isOperator: boolean };
}

/** Signs in to the console API (`POST /api/session`), as the console does. */
export async function consoleSignIn(server: string, loginId: string, password: string): Promise<ConsoleSession> {
  const answer = await callJson<{ user: ConsoleSession['user']; csrfToken: string }>(server, 'POST', '/api/session', { body: { loginId, password }, allow: [401] });
  if (answer.status === 401) throw new CliError(`Signing in as ${loginId} failed: check --admin-login and --admin-password.`);
  const cookie = answer.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { headers: { cookie, 'x-csrf-token': answer.body.csrfToken }, user: answer.body.user };
}

/** A server base URL from `--server`: http(s), no path. */
export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--server must be a URL such as ${DEFAULT_SERVER}, not "${text}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--server must be an http:// or https:// URL, not "${text}".`);
  return url.origin;
}

/** Parses a command's flags (`--name value` or `--name=value`); unknown flags and missing values are CliErrors. */
export function parseFlags<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(
  argv: readonly string[],
  options: T,
  positionals: { min: number; max: number; usage: string },
): { values: { [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new CliError(`${message}. Usage: ${positionals.usage}`, 2);
  }
  if (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max) throw new CliError(`Usage: ${positionals.usage}`, 2);
  return parsed as unknown as { values: { [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] };
}

/** Runs a command body, printing a CliError as one line (exit code 1) instead of a stack. */
export async function runCommand(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`patchbay: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
