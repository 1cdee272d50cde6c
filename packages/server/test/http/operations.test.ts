/**
 * What operators and browsers see around the API: /healthz, /metrics, the interactive docs and their
 * OpenAPI document, security headers, the error envelope of unknown routes and wrong media types, the
 * console fallback for non-API paths, and the session cookie's attributes. One real server on SQLite.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../support/server.ts';

const CONSOLE_INDEX = fileURLToPath(new URL('../../../console/dist/index.html', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('operations endpoints and HTTP hygiene', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  /** Asserts the headers every response carries. */
  function assertSecurityHeaders(response: Response, what: string): void {
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(response.headers.get('x-frame-options'), 'DENY', what);
    const csp = response.headers.get('content-security-policy');
    assert.ok(csp, `${what} has a content-security-policy`);
    assert.match(csp, /default-src 'self'/, what);
    assert.match(csp, /frame-ancestors 'none'/, what);
  }

  test('/healthz answers 200 with the store in use', async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), { status: 'ok', store: 'sqlite' });
  });

  test('/metrics is Prometheus text that counts answered requests', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    // The counter is updated when the response has been sent, so a scrape right after may just
    // precede it; scrape until it shows (no time limit: the request has certainly been answered).
    const sample = /^patchbay_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]\d*$/m;
    let text = '';
    for (let attempt = 0; attempt < 50 && !sample.test(text); attempt++) {
      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      text = await response.text();
    }
    assert.match(text, /^# TYPE patchbay_http_requests_total counter$/m);
    assert.match(text, sample);
    assert.match(text, /^# TYPE patchbay_http_request_duration_seconds histogram$/m);
    assert.match(text, /^patchbay_process_cpu_user_seconds_total /m, 'process metrics carry the patchbay_ prefix');
  });

  test('/docs serves the interactive docs, with scripts the content-security-policy allows', async () => {
    const response = await fetch(`${server.url}/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    assert.match(html, /<div id="swagger-ui">/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, 'the docs page loads scripts');
    for (const [, attributes, body] of scripts) {
      assert.equal(body!.trim(), '', "no inline script: script-src 'self' would block it");
      const src = /\bsrc="([^"]+)"/.exec(attributes!)?.[1];
      assert.ok(src, 'every script has a src');
      const script = await fetch(new URL(src, `${server.url}/docs`));
      assert.equal(script.status, 200, src);
      assert.match(script.headers.get('content-type') ?? '', /javascript/, src);
      await script.arrayBuffer();
    }
  });

  test('/docs/json is an OpenAPI 3 document of the admin API', async () => {
    const response = await fetch(`${server.url}/docs/json`);
    assert.equal(response.status, 200);
    const document = (await response.json()) as { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> };
    assert.match(document.openapi, /^3\./);
    assert.equal(document.info.title, 'patchbay admin API');
    const connectors = document.paths['/api/companies/{companyId}/connectors'];
    assert.ok(connectors, 'lists the connectors collection');
    assert.ok(connectors.get && connectors.post, 'with its GET and POST');
    assert.ok(document.paths['/api/companies/{companyId}/connectors/{connectorId}'], 'lists one connector');
    assert.ok(Object.keys(document.paths).some((p) => p.startsWith('/api/companies/{companyId}/connectors/{connectorId}/services/')), 'lists the services');
    assert.ok(!('/healthz' in document.paths) && !('/metrics' in document.paths), 'operations endpoints are hidden');
  });

  test('responses carry nosniff, DENY framing and a content-security-policy', async () => {
    for (const path of ['/healthz', '/metrics', '/docs', '/docs/json', '/api/no-such-thing', '/api/session']) {
      const response = await fetch(`${server.url}${path}`);
      await response.arrayBuffer();
      assertSecurityHeaders(response, `GET ${path} (${response.status})`);
    }
    const rejected = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(rejected.status, 400);
    assertSecurityHeaders(rejected, 'a rejected request body');
    assert.equal(((await rejected.json()) as { error: { code: string } }).error.code, 'invalid_json');
  });

  test('an unknown /api/ path answers 404 with the error envelope', async () => {
    for (const [method, path] of [['GET', '/api/no-such-thing'], ['GET', '/api/companies/x/y/z'], ['DELETE', '/api/no-such-thing?q=1']] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
      assert.deepEqual(Object.keys(body), ['error']);
      assert.equal(body.error.code, 'not_found');
      assert.equal(body.error.message, `No route ${method} ${path.split('?')[0]}.`);
      assert.match(body.error.requestId, UUID);
    }
  });

  test('a non-API GET path serves the console', { skip: !existsSync(CONSOLE_INDEX) && 'packages/console/dist is not built' }, async () => {
    const index = readFileSync(CONSOLE_INDEX, 'utf8');
    for (const path of ['/admin/web-services', '/', '/companies/some-id/connectors?tab=audit']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.equal(await response.text(), index, path);
      assertSecurityHeaders(response, path);
    }
    // Only GETs fall back to the console; anything else off the API is still a 404 envelope.
    const posted = await fetch(`${server.url}/admin/web-services`, { method: 'POST' });
    assert.equal(posted.status, 404);
    assert.equal(((await posted.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  test('a body that is not JSON answers 415 unsupported_media_type', async () => {
    const response = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'loginId=a&password=b',
    });
    assert.equal(response.status, 415);
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    assert.equal(body.error.code, 'unsupported_media_type');
    assert.match(body.error.message, /application\/json/);
    assert.match(body.error.requestId, UUID);
  });

  test('a text/plain body answers 415 unsupported_media_type, even when it holds JSON', async () => {
    // text/plain is what a cross-site form can send without a preflight: it must never be parsed.
    const response = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ loginId: server.admin.loginId, password: server.admin.password }),
    });
    assert.equal(response.status, 415);
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    assert.equal(body.error.code, 'unsupported_media_type');
    assert.match(body.error.requestId, UUID);
    assert.equal(response.headers.getSetCookie().length, 0, 'no session was opened');
    assertSecurityHeaders(response, 'a 415');
  });

  test('the session cookie is HttpOnly, SameSite=Lax and scoped to the whole site', async () => {
    const response = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(server.admin),
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const cookies = response.headers.getSetCookie();
    const session = cookies.find((cookie) => cookie.startsWith('patchbay_session='));
    assert.ok(session, `a patchbay_session cookie is set (got ${JSON.stringify(cookies)})`);
    const attributes = session.split(';').slice(1).map((part) => part.trim().toLowerCase());
    assert.ok(attributes.includes('httponly'), session);
    assert.ok(attributes.includes('samesite=lax'), session);
    assert.ok(attributes.includes('path=/'), session);
    assert.ok(attributes.some((a) => a.startsWith('expires=')), 'the cookie expires with the session');
    assert.ok(!attributes.includes('secure'), 'not Secure on an http:// public URL (the default)');
  });
});
