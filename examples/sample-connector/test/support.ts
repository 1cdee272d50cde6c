// Test helpers: development certificates in a temporary directory, an HTTPS client that trusts their CA and
// sees the raw answer, and a small fake Concur (token endpoint and Request v4) on loopback HTTP.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevCertificates } from '../src/index.ts';
import type { DevCertificates } from '../src/index.ts';

/** The registered credentials the tests use. */
export const USER_NAME = 'sample-connector-test';
export const PASSWORD = 'correct horse battery staple';
export const CLIENT_ID = '2f6b7d0e-8c1a-4e5b-9f3d-1a2b3c4d5e6f';
export const CLIENT_SECRET = 'test-client-secret';
export const REDIRECT_URI = 'https://connector.example/callback';
export const COMPANY_ID = '6c3b0a4e-52d8-4b41-9a0e-4f5e7a1d2c90';

/** Development certificates made in a fresh temporary directory; `cleanup` removes it. */
export async function temporaryCertificates(): Promise<DevCertificates & { dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sample-connector-test-'));
  const certificates = await ensureDevCertificates(join(dir, 'dev-ca'));
  return { ...certificates, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A complete answer. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of `call`. */
export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The CA to trust, for https. */
  ca?: string;
}

/** One request on a fresh connection, answering status, headers and the whole body. */
export function call(url: string, options: CallOptions = {}): Promise<Answer> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(target, { method: options.method ?? 'GET', headers, agent: false, ...(options.ca !== undefined ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** `Basic base64(user:password)`. */
export function basic(userName = USER_NAME, password = PASSWORD): string {
  return `Basic ${Buffer.from(`${userName}:${password}`, 'utf8').toString('base64')}`;
}

/** A request the fake Concur received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request held by the fake Concur. */
export interface FakeRequest {
  id: string;
  requestId: string;
  name: string;
  /** `SUBMITTED` at the External Validation step until approved or sent back. */
  status: 'SUBMITTED' | 'APPROVED' | 'SENTBACK' | 'NOT_SUBMITTED';
  expenses: { value: number; currency: string }[];
  startDate?: string;
  endDate?: string;
  custom: Record<string, { code?: string; value?: string }>;
  /** The comment of the last workflow action. */
  lastComment?: string;
}

/** A failure the fake answers once, for the first request matching `method` and `path`. */
export interface InjectedFailure {
  method: string;
  path: RegExp;
  status: number;
  body?: unknown;
}

/** A running fake Concur on http://127.0.0.1:{port}. */
export interface FakeConcur {
  url: string;
  received: Received[];
  requests: Map<string, FakeRequest>;
  /** The Company Request Tokens it accepts (once each), by token. */
  requestTokens: Map<string, string>;
  /** The authorization codes it accepts (once each). */
  authCodes: Set<string>;
  /** `expires_in` of the tokens it issues. */
  expiresIn: string;
  failures: InjectedFailure[];
  /** The grant types of the token requests, in order. */
  grants(): string[];
  close(): Promise<void>;
}

/** Answers JSON with a Content-Length. */
export function json(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) });
  res.end(body);
}

const notFound = { errors: [{ errorCode: 'notFound', errorMessage: 'Resource not found.' }] };

/**
 * Starts a fake Concur: the token endpoint (Company Request Token, refresh token and authorization code
 * grants) and Request v4's GET request, GET expenses, PUT, approve and sendback for the requests it holds.
 * Company tokens may read any request and act on a SUBMITTED one; user tokens may read and update.
 */
export async function startFakeConcur(): Promise<FakeConcur> {
  const received: Received[] = [];
  const requests = new Map<string, FakeRequest>();
  const requestTokens = new Map<string, string>();
  const authCodes = new Set<string>();
  const failures: InjectedFailure[] = [];
  /** Access token → its kind. */
  const tokens = new Map<string, 'company' | 'user'>();
  const refreshTokens = new Set<string>();
  let counter = 0;
  let url = '';
  const fake: FakeConcur = {
    url: '',
    received,
    requests,
    requestTokens,
    authCodes,
    expiresIn: '3600',
    failures,
    grants: () => received.filter((r) => r.path === '/oauth2/v0/token').map((r) => new URLSearchParams(r.body).get('grant_type') ?? ''),
    close: async () => undefined,
  };

  function issue(kind: 'company' | 'user'): Record<string, unknown> {
    counter += 1;
    const access = `${kind}-access-${counter}`;
    const refresh = `${kind}-refresh-${counter}`;
    tokens.set(access, kind);
    refreshTokens.add(refresh);
    return { expires_in: fake.expiresIn, scope: 'travelrequest.write travelrequest.externalsystemworkflow.write', token_type: 'Bearer', access_token: access, refresh_token: refresh, refresh_expires_in: 1_900_000_000, geolocation: url };
  }

  function resource(request: FakeRequest, kind: 'company' | 'user'): Record<string, unknown> {
    const href = `${url}/travelrequest/v4/requests/${request.id}`;
    return {
      href,
      id: request.id,
      requestId: request.requestId,
      name: request.name,
      approvalStatus: { code: request.status, name: request.status === 'SUBMITTED' ? 'External Validation' : request.status },
      ...(request.startDate !== undefined ? { startDate: request.startDate } : {}),
      ...(request.endDate !== undefined ? { endDate: request.endDate } : {}),
      expenses: request.expenses.map((_, i) => ({ id: `E${i}`, href: `${url}/travelrequest/v4/expenses/E${i}` })),
      operations: kind === 'company' && request.status === 'SUBMITTED' ? [{ rel: 'approve', href: `${href}/approve` }, { rel: 'sendback', href: `${href}/sendback` }] : [],
      ...request.custom,
    };
  }

  function route(req: Received, res: ServerResponse): void {
    const index = failures.findIndex((f) => f.method === req.method && f.path.test(req.path));
    const injected = index === -1 ? undefined : failures.splice(index, 1)[0];
    if (injected !== undefined) {
      return json(res, injected.status, injected.body ?? { errors: [{ errorCode: 'injected', errorMessage: `injected ${injected.status}` }] });
    }
    if (req.method === 'POST' && req.path === '/oauth2/v0/token') {
      const form = new URLSearchParams(req.body);
      if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET) return json(res, 401, { error: 'invalid_client', error_description: 'bad client' });
      const grant = form.get('grant_type');
      if (grant === 'password' && form.get('credtype') === 'authtoken') {
        const token = form.get('password') ?? '';
        if (requestTokens.get(token) !== form.get('username')) return json(res, 400, { code: 4, error: 'invalid_grant', error_description: 'bad request token' });
        requestTokens.delete(token);
        return json(res, 200, issue('company'));
      }
      if (grant === 'refresh_token') {
        const refresh = form.get('refresh_token') ?? '';
        if (!refreshTokens.has(refresh)) return json(res, 400, { code: 17, error: 'invalid_grant', error_description: 'bad refresh token' });
        const fresh = issue(refresh.startsWith('company') ? 'company' : 'user');
        return json(res, 200, { ...fresh, refresh_token: refresh });
      }
      if (grant === 'authorization_code') {
        const code = form.get('code') ?? '';
        if (!authCodes.delete(code) || form.get('redirect_uri') !== REDIRECT_URI) return json(res, 400, { code: 103, error: 'invalid_grant', error_description: 'code is bad or expired' });
        return json(res, 200, issue('user'));
      }
      return json(res, 400, { error: 'unsupported_grant_type', error_description: String(grant) });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const kind = tokens.get(bearer);
    if (kind === undefined) return json(res, 401, { errors: [{ errorCode: 'invalidToken', errorMessage: 'The token is invalid.' }] });
    const match = /^\/travelrequest\/v4\/requests\/([^/]+)(?:\/(expenses|approve|sendback))?$/.exec(req.path);
    const request = match?.[1] !== undefined ? requests.get(match[1]) : undefined;
    if (!match || !request) return json(res, 404, notFound);
    const action = match[2];
    if (req.method === 'GET' && action === undefined) return json(res, 200, resource(request, kind));
    if (req.method === 'GET' && action === 'expenses') {
      return json(res, 200, request.expenses.map((amount, i) => ({ id: `E${i}`, expenseType: { id: 'AIRFR' }, transactionDate: '2026-05-01', transactionAmount: amount, parentRequest: { id: request.id } })));
    }
    if (req.method === 'PUT' && action === undefined) {
      if (kind !== 'user') return json(res, 403, { errors: [{ errorCode: 'permissionDenied', errorMessage: 'Permission denied.' }] });
      const body = JSON.parse(req.body) as Record<string, unknown>;
      if (body.name === null || body.name === '') return json(res, 400, { errors: [{ errorCode: 'missingRequiredField', errorMessage: 'name' }] });
      if (typeof body.name === 'string') request.name = body.name;
      for (const [key, value] of Object.entries(body)) if (/^custom\d+$/.test(key)) request.custom[key] = value as { code?: string; value?: string };
      return json(res, 200, resource(request, kind));
    }
    if (req.method === 'POST' && (action === 'approve' || action === 'sendback')) {
      if (kind !== 'company' || request.status !== 'SUBMITTED') return json(res, 409, { errors: [{ errorCode: 'invalidWorkflowAction', errorMessage: 'Not at this step.' }] });
      const comment = req.body === '' ? undefined : (JSON.parse(req.body) as { comment?: string }).comment;
      request.status = action === 'approve' ? 'APPROVED' : 'SENTBACK';
      if (comment !== undefined) request.lastComment = comment;
      return json(res, 200, resource(request, kind));
    }
    json(res, 405, { errors: [{ errorCode: 'methodNotAllowed', errorMessage: req.method }] });
  }

  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      route(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = url;
  fake.close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  return fake;
}

let requestCounter = 0;

/** Adds a request waiting at External Validation, with expected expenses of `amounts` (in USD unless given). */
export function addRequest(concur: FakeConcur, amounts: readonly (number | { value: number; currency: string })[], overrides: Partial<FakeRequest> = {}): FakeRequest {
  requestCounter += 1;
  const id = `${'A'.repeat(24)}${String(requestCounter).padStart(8, '0')}`;
  const request: FakeRequest = {
    id,
    requestId: `R${String(requestCounter).padStart(3, '0')}`,
    name: `Trip ${requestCounter}`,
    status: 'SUBMITTED',
    expenses: amounts.map((amount) => (typeof amount === 'number' ? { value: amount, currency: 'USD' } : amount)),
    custom: {},
    ...overrides,
  };
  concur.requests.set(id, request);
  return request;
}
