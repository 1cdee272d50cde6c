/**
 * The Launch External URL page (spec §4.3, Concur Request variant): a small project picker in the pop-up
 * window Concur opens from a request's "Launch URL" custom field.
 *
 * 1. The SDK verifies the launch (signature, one-time nonce) and calls `launch`. It exchanges the launch's
 *    `client_auth_code` for the user's token, reads the request named by `item_url`, and renders a
 *    self-contained page (no external resources, a strict Content-Security-Policy, everything HTML-escaped)
 *    listing the projects.
 * 2. The page's form POSTs to `savePath` (served through the SDK's `fallback`, which has no Basic auth). It
 *    carries a random session id issued with the page and bound, in memory only, to the user's token, the
 *    request and the field: unguessable, single use, short-lived, so it is its own CSRF token; cross-site
 *    posts are refused too (`Origin`, `Sec-Fetch-Site`).
 * 3. The save writes `{ [field]: { code, value } }` to the request through Request v4 with the user's token
 *    and answers a page that says so and closes the window; Concur then reloads the request's form.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ConcurApiError, ConcurOAuthError, requestApi } from '@patchbay/connector-sdk';
import type { ConcurRequest, HttpClientOptions, LeuHelpers, LeuPage, LeuVerifiedV4, RequestUpdate } from '@patchbay/connector-sdk';
import { PROJECTS } from './data.ts';
import type { Project } from './data.ts';
import { requestUuidFromUri } from './budget-validator.ts';

/** A session lives this long: enough to pick a project, short enough that a forgotten window's token goes soon. */
const SESSION_TTL_MS = 15 * 60_000;
/** The most pages open at once; past that new launches are refused rather than old ones forgotten early. */
const MAX_SESSIONS = 10_000;
/** The form holds two short fields. */
const MAX_FORM_BYTES = 8 * 1024;
/** Request v4's custom fields are `custom1` … `custom20`. */
const CUSTOM_FIELD = /^custom([1-9]|1[0-9]|20)$/;

/** One log line of the picker. */
export interface ProjectPickerLogEntry {
  level: 'info' | 'warn' | 'error';
  event: 'launch-refused' | 'launch-failed' | 'launch-served' | 'project-saved' | 'save-refused' | 'save-failed';
  message: string;
  requestUuid?: string;
  error?: unknown;
}

/** Options of `createProjectPicker`. */
export interface ProjectPickerOptions {
  /** Where Request v4 lives: `${baseUrl}/travelrequest/v4/requests`. */
  baseUrl: string;
  /** The token endpoint the launch's `client_auth_code` is exchanged at. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The redirect URL registered with the client ID and on the Launch External URL service. */
  redirectUri: string;
  /** The path the page's form posts to. */
  savePath: string;
  /** `fetch` and timeouts of the save's calls (the launch's calls use the connector's `outbound`). */
  http?: HttpClientOptions;
  projects?: readonly Project[];
  log?: (entry: ProjectPickerLogEntry) => void;
  /** The clock. Default `Date.now`. */
  now?: () => number;
}

/** The picker: the launch handler, the form's handler, and the sessions open. */
export interface ProjectPicker {
  /** The SDK's `launchExternalUrl` handler. */
  launch(params: LeuVerifiedV4, helpers: LeuHelpers): Promise<LeuPage>;
  /** Answers the form's POST to `savePath`; any other path gets 404. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Pages rendered and not yet saved or expired. */
  readonly openSessions: number;
  /** Forgets every session (their tokens with them). */
  clear(): void;
}

interface Session {
  accessToken: string;
  requestUuid: string;
  field: string;
  expiresAt: number;
  /** A save is in progress: a second submit waits for its outcome instead of writing twice. */
  saving: boolean;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The headers of every page: a CSP that allows only the page's own inline style (and script, when it has one). */
function pageHeaders(nonce: string, script: boolean): OutgoingHttpHeaders {
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    ...(script ? [`script-src 'nonce-${nonce}'`] : []),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return { 'content-security-policy': csp, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
}

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 15px; color: #1f2937; }
  body { margin: 0; padding: 20px 24px; background: #f8fafc; }
  h1 { font-size: 1.25rem; margin: 0 0 4px; }
  .sub { margin: 0 0 16px; color: #4b5563; }
  .current { margin: 0 0 16px; padding: 8px 12px; background: #eef2ff; border-radius: 6px; }
  fieldset { border: 1px solid #d1d5db; border-radius: 6px; margin: 0 0 12px; padding: 4px 12px 8px; background: #fff; }
  legend { font-weight: 600; padding: 0 4px; }
  label { display: flex; gap: 8px; align-items: baseline; padding: 4px 0; cursor: pointer; }
  .code { font-family: ui-monospace, Menlo, Consolas, monospace; color: #374151; min-width: 6.5em; }
  small { display: block; color: #6b7280; white-space: nowrap; }
  .actions { position: sticky; bottom: 0; padding: 10px 0; background: #f8fafc; }
  button { font: inherit; padding: 8px 18px; border: 0; border-radius: 6px; background: #1d4ed8; color: #fff; cursor: pointer; }
  .error { color: #991b1b; }
`;

function document(title: string, body: string, nonce: string, script?: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style nonce="${nonce}">${STYLE}</style>`,
    '</head><body>',
    body,
    ...(script !== undefined ? [`<script nonce="${nonce}">${script}</script>`] : []),
    '</body></html>',
  ].join('\n');
}

/** A page with a title and a message (both escaped here). */
function messagePage(status: number, title: string, message: string, options: { close?: boolean; error?: boolean } = {}): LeuPage {
  const nonce = newNonce();
  const body = `<h1>${escapeHtml(title)}</h1>\n<p${options.error === true ? ' class="error"' : ''}>${escapeHtml(message)}</p>`;
  // Closing the window is what makes Concur save and reload the request's form (spec §4.1).
  const script = options.close === true ? 'window.close();' : undefined;
  return { status, html: document(title, body, nonce, script), headers: pageHeaders(nonce, script !== undefined) };
}

function errorPage(status: number, message: string): LeuPage {
  return messagePage(status, 'The project picker cannot continue', message, { error: true });
}

function customValue(request: ConcurRequest, field: string): { code?: string; value?: string } | undefined {
  const value = request[field];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { code, value: text } = value as { code?: unknown; value?: unknown };
  return { ...(typeof code === 'string' ? { code } : {}), ...(typeof text === 'string' ? { value: text } : {}) };
}

/** The picker page for a request. */
function pickerPage(request: ConcurRequest, field: string, sessionId: string, savePath: string, projects: readonly Project[]): LeuPage {
  const nonce = newNonce();
  const current = customValue(request, field);
  const name = typeof request.name === 'string' && request.name !== '' ? request.name : 'Untitled request';
  const key = typeof request.requestId === 'string' ? ` (${request.requestId})` : '';
  const departments = [...new Set(projects.map((project) => project.department))];
  const groups = departments.map((department) => {
    const options = projects
      .filter((project) => project.department === department)
      .map((project) => {
        const checked = current?.code === project.code ? ' checked' : '';
        return [
          `<label><input type="radio" name="project" value="${escapeHtml(project.code)}" required${checked}>`,
          `<span class="code">${escapeHtml(project.code)}</span>`,
          `<span>${escapeHtml(project.name)} <small>${escapeHtml(project.client)} · ${escapeHtml(project.costCenter)}</small></span></label>`,
        ].join('');
      });
    return `<fieldset><legend>${escapeHtml(department)}</legend>\n${options.join('\n')}\n</fieldset>`;
  });
  const currentText = current?.code !== undefined || current?.value !== undefined ? [current.code, current.value].filter((part) => part !== undefined && part !== '').join(' · ') : 'none';
  const body = [
    '<h1>Choose a project</h1>',
    `<p class="sub">Request <strong>${escapeHtml(name)}</strong>${escapeHtml(key)}, field <span class="code">${escapeHtml(field)}</span></p>`,
    `<p class="current">Current project: ${escapeHtml(currentText)}</p>`,
    `<form method="post" action="${escapeHtml(savePath)}">`,
    `<input type="hidden" name="session" value="${escapeHtml(sessionId)}">`,
    ...groups,
    '<div class="actions"><button type="submit">Save</button></div>',
    '</form>',
  ].join('\n');
  return { status: 200, html: document('Choose a project', body, nonce), headers: pageHeaders(nonce, false) };
}

/**
 * The fields sent with the update. patchbay's PUT changes only the fields sent; Concur documents PUT as an
 * update of the request, so the request's current updatable values (its name, which Concur requires, dates,
 * destination, agency and other custom fields) are sent back unchanged along with the new one, which keeps
 * them whichever way the server reads a PUT.
 */
export function requestUpdate(request: ConcurRequest, field: string, project: Project): RequestUpdate {
  const update: Record<string, unknown> = {};
  for (const key of ['name', 'businessPurpose', 'startDate', 'startTime', 'endDate', 'endTime'] as const) {
    const value = request[key];
    if (typeof value === 'string' && value !== '') update[key] = value;
  }
  const destination = request.mainDestination;
  if (typeof destination === 'object' && destination !== null && !Array.isArray(destination)) update.mainDestination = destination;
  const agency = request.travelAgency as { id?: unknown } | undefined;
  if (typeof agency === 'object' && agency !== null && typeof agency.id === 'string') update.travelAgency = { id: agency.id };
  for (const key of Object.keys(request)) {
    if (!CUSTOM_FIELD.test(key) || key === field) continue;
    const value = customValue(request, key);
    if (value !== undefined) update[key] = value;
  }
  update[field] = { code: project.code, value: project.name };
  return update as RequestUpdate;
}

function sendPage(response: ServerResponse, page: LeuPage, extra: OutgoingHttpHeaders = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = Buffer.from(page.html, 'utf8');
  response.writeHead(page.status ?? 200, {
    'x-content-type-options': 'nosniff',
    ...page.headers,
    ...extra,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
  });
  response.end(body);
}

function sendPlain(response: ServerResponse, status: number, text: string, extra: OutgoingHttpHeaders = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = Buffer.from(`${text}\n`, 'utf8');
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...extra, 'content-length': String(body.length) });
  response.end(body);
}

/** Reads a small body; undefined when it is larger than `limit` or the client went away. */
function readSmallBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: string | undefined): void => {
      if (done) return;
      done = true;
      resolve(value);
    };
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Keep reading (and dropping) so the answer reaches the client.
        chunks.length = 0;
        finish(undefined);
        return;
      }
      if (!done) chunks.push(chunk);
    });
    request.on('end', () => finish(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => finish(undefined));
    request.on('close', () => finish(undefined));
  });
}

/**
 * Whether the POST comes from the page itself: no cross-site `Sec-Fetch-Site`, and an `Origin` (when sent) on
 * this host. The page's `Referrer-Policy: no-referrer` (which keeps the signed launch URL out of referrers)
 * makes browsers send `Origin: null` on its own form posts; that is accepted only with the browser's
 * `Sec-Fetch-Site: same-origin`, which pages cannot forge.
 */
function sameOrigin(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return site === 'same-origin';
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** Creates the picker. */
export function createProjectPicker(options: ProjectPickerOptions): ProjectPicker {
  const now = options.now ?? Date.now;
  const projects = options.projects ?? PROJECTS;
  const http = options.http ?? {};
  const sessions = new Map<string, Session>();

  function log(entry: ProjectPickerLogEntry): void {
    try {
      options.log?.(entry);
    } catch {
      // A failing logger must not break the page.
    }
  }

  function prune(): void {
    const at = now();
    for (const [id, session] of sessions) if (session.expiresAt <= at && !session.saving) sessions.delete(id);
  }

  async function launch(params: LeuVerifiedV4, helpers: LeuHelpers): Promise<LeuPage> {
    if (params.variant !== 'request') {
      log({ level: 'warn', event: 'launch-refused', message: 'an Expense launch reached the Concur Request project picker' });
      return errorPage(400, 'This page picks projects for Concur Requests. Configure it on a Request form field (the /request/launchexternalurl/v4/form endpoint).');
    }
    const field = params.customFieldLaunchedFrom ?? '';
    if (!CUSTOM_FIELD.test(field)) {
      log({ level: 'warn', event: 'launch-refused', message: `the launch names the field ${JSON.stringify(field.slice(0, 40))}, not a Request custom field` });
      return errorPage(400, `The launch names the field "${field.slice(0, 40)}", which is not a Request v4 custom field (custom1 to custom20). Check the form field's configuration.`);
    }
    const requestUuid = requestUuidFromUri(params.itemUrl);
    if (requestUuid === undefined) {
      log({ level: 'warn', event: 'launch-refused', message: 'the launch\'s item_url does not name a Request v4 request' });
      return errorPage(400, 'The launch does not name a Concur Request (item_url). Open the page again from the request.');
    }
    prune();
    if (sessions.size >= MAX_SESSIONS) {
      log({ level: 'error', event: 'launch-failed', message: `${MAX_SESSIONS} project pickers are open; refusing new ones until some expire`, requestUuid });
      return errorPage(503, 'Too many project pickers are open right now. Close this window and try again in a few minutes.');
    }
    let accessToken: string;
    let lifetimeMs = SESSION_TTL_MS;
    try {
      const token = await helpers.exchangeAuthCode({ tokenUrl: options.tokenUrl, clientId: options.clientId, clientSecret: options.clientSecret, redirectUri: options.redirectUri });
      accessToken = token.access_token;
      const seconds = Number(token.expires_in);
      if (Number.isFinite(seconds) && seconds > 0) lifetimeMs = Math.min(SESSION_TTL_MS, seconds * 1000);
    } catch (error) {
      const detail = error instanceof ConcurOAuthError ? `${error.error}: ${error.errorDescription}` : error instanceof Error ? error.message : String(error);
      log({ level: 'error', event: 'launch-failed', message: `the launch's authorization code was not exchanged (${detail})`, requestUuid, error });
      return errorPage(502, `Concur did not accept this window's sign-in (${detail}). Close the window and open it again from the request.`);
    }
    let request: ConcurRequest;
    try {
      request = await helpers.requestApi(accessToken, options.baseUrl).getRequest(requestUuid);
    } catch (error) {
      const detail = error instanceof ConcurApiError ? error.errorMessage || error.errorCode : error instanceof Error ? error.message : String(error);
      log({ level: 'error', event: 'launch-failed', message: `the request could not be read (${detail})`, requestUuid, error });
      return errorPage(502, `The request could not be read from Concur (${detail}). Close the window and try again.`);
    }
    const sessionId = randomBytes(32).toString('base64url');
    sessions.set(sessionId, { accessToken, requestUuid: request.id, field, expiresAt: now() + lifetimeMs, saving: false });
    log({ level: 'info', event: 'launch-served', message: `project picker opened for ${field} of request ${request.requestId ?? request.id}`, requestUuid: request.id });
    return pickerPage(request, field, sessionId, options.savePath, projects);
  }

  async function save(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      request.resume();
      return sendPlain(response, 405, 'Method Not Allowed: the project picker saves with POST', { allow: 'POST' });
    }
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      request.resume();
      return sendPlain(response, 415, 'Unsupported Media Type: send the form as application/x-www-form-urlencoded');
    }
    if (!sameOrigin(request)) {
      request.resume();
      log({ level: 'warn', event: 'save-refused', message: 'a cross-site POST to the project picker was refused' });
      return sendPage(response, errorPage(403, 'This form can only be sent from its own page.'));
    }
    const body = await readSmallBody(request, MAX_FORM_BYTES);
    if (body === undefined) return sendPlain(response, 413, 'Content Too Large: the form is larger than expected', { connection: 'close' });
    const form = new URLSearchParams(body);
    const sessionId = form.get('session') ?? '';
    const session = sessions.get(sessionId);
    if (session === undefined || session.expiresAt <= now()) {
      if (session !== undefined) sessions.delete(sessionId);
      log({ level: 'warn', event: 'save-refused', message: 'a save with an unknown, used or expired session was refused' });
      return sendPage(response, errorPage(403, 'This form has expired or was already saved. Close the window and open the project picker again from the request.'));
    }
    if (session.saving) return sendPage(response, errorPage(409, 'This choice is being saved already. Wait a moment, then close the window.'));
    const code = form.get('project') ?? '';
    const project = projects.find((candidate) => candidate.code === code);
    if (project === undefined) {
      log({ level: 'warn', event: 'save-refused', message: `an unknown project ${JSON.stringify(code.slice(0, 40))} was posted`, requestUuid: session.requestUuid });
      return sendPage(response, errorPage(400, 'Choose one of the listed projects. Go back to pick one.'));
    }
    session.saving = true;
    try {
      const api = requestApi(session.accessToken, options.baseUrl, http);
      // Read it again: the update sends the request's current values back with the new field.
      const current = await api.getRequest(session.requestUuid);
      await api.updateRequest(session.requestUuid, requestUpdate(current, session.field, project));
    } catch (error) {
      session.saving = false;
      const detail = error instanceof ConcurApiError ? error.errorMessage || error.errorCode : error instanceof Error ? error.message : String(error);
      log({ level: 'error', event: 'save-failed', message: `the project could not be saved (${detail})`, requestUuid: session.requestUuid, error });
      return sendPage(response, errorPage(502, `Concur did not save the project (${detail}). Go back and try again, or close the window.`));
    }
    sessions.delete(sessionId);
    log({ level: 'info', event: 'project-saved', message: `saved ${project.code} to ${session.field}`, requestUuid: session.requestUuid });
    return sendPage(response, messagePage(200, 'Project saved', `${project.code} ${project.name} is saved on the request. This window closes now; if it stays open, close it.`, { close: true }));
  }

  return {
    launch,
    handle(request, response) {
      const path = (request.url ?? '/').split('?')[0];
      if (path !== options.savePath) {
        request.resume();
        return sendPlain(response, 404, 'Not Found');
      }
      save(request, response).catch((error: unknown) => {
        log({ level: 'error', event: 'save-failed', message: `unexpected failure: ${error instanceof Error ? error.message : String(error)}`, error });
        if (!response.headersSent) sendPlain(response, 500, 'Internal Server Error');
        else response.destroy();
      });
    },
    get openSessions() {
      prune();
      return sessions.size;
    },
    clear() {
      sessions.clear();
    },
  };
}
