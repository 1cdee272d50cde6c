/**
 * Security headers and console sessions. Headers: CSP (no inline scripts, no framing), nosniff, DENY
 * framing and a same-origin referrer policy on every kind of answer: API JSON, API errors of each kind
 * (401, 403, 404, 405, 400 validation and bad JSON, 413, 415), Concur-shaped errors (Request v4, ESS,
 * the token endpoint), the console's HTML and assets, the docs, health and metrics; no HSTS over an
 * http public URL. Sessions: a cookie set before sign-in (forged, or another user's) is never the one
 * issued by sign-in, and never gains the new identity; every sign-in issues a new token and CSRF token;
 * only the hash is stored; sign-out and expiry end the session on the server, so a copied cookie stops
 * working; the cookie is HttpOnly, SameSite=Lax, Path=/, and Secure when the public URL is https.
 * SQLite only: nothing here depends on the store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CONSOLE_INDEX } from '../support/console-browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { hashToken } from '../../src/security/tokens.ts';
import { send, type Probe } from './probe.ts';

const SESSION_COOKIE = 'patchbay_session';

function assertSecurityHeaders(answer: Probe, where: string): void {
  const csp = answer.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/, `${where}: CSP ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/, `${where}: CSP ${csp}`);
  const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1] ?? '';
  assert.ok(!scriptSrc.includes("'unsafe-inline'") && !scriptSrc.includes("'unsafe-eval'") && !scriptSrc.includes('*'), `${where}: scripts are limited to the origin's files (${csp})`);
  assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', where);
  assert.equal(answer.headers.get('x-frame-options'), 'DENY', where);
  assert.ok(['same-origin', 'no-referrer', 'strict-origin-when-cross-origin', 'strict-origin'].includes(answer.headers.get('referrer-policy') ?? ''), `${where}: Referrer-Policy ${answer.headers.get('referrer-policy')}`);
}

describe('security headers on every kind of answer', () => {
  let server: TestServer;
  let cookie: string;
  let csrf: string;

  before(async () => {
    server = await startTestServer();
    const signedIn = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(server.admin) });
    cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
    csrf = ((await signedIn.json()) as { csrfToken: string }).csrfToken;
  });
  after(async () => server?.close());

  test('API answers, API errors, Concur-shaped errors, the console, the docs and operations all carry CSP, nosniff, DENY and a referrer policy', async (t) => {
    const session = { cookie, 'x-csrf-token': csrf };
    const company = `/api/companies/${server.companyId}`;
    const cases: Array<{ what: string; method: string; url: string; body?: unknown; headers?: Record<string, string>; status: number }> = [
      { what: 'API JSON', method: 'GET', url: '/api/session', headers: session, status: 200 },
      { what: '401 unauthenticated', method: 'GET', url: '/api/companies', status: 401 },
      { what: '403 csrf_token_invalid', method: 'POST', url: `${company}/connectors`, headers: { cookie }, body: { name: 'X', description: '', hostName: 'https://x.example.test', userName: 'user-name-ok', password: 'password-ok' }, status: 403 },
      { what: '403 permission_denied', method: 'POST', url: '/api/companies', headers: session, body: { name: 'X', edition: 'STANDARD', developmentPartner: false }, status: 403 },
      { what: '404 unknown API route', method: 'GET', url: '/api/nothing-here', headers: session, status: 404 },
      { what: '405 deleting a connector', method: 'DELETE', url: `${company}/connectors/${crypto.randomUUID()}`, headers: session, status: 404 },
      { what: '400 validation_failed', method: 'POST', url: `${company}/connectors`, headers: session, body: { name: 'x', unknown: 1 }, status: 400 },
      { what: '400 invalid_json', method: 'POST', url: `${company}/connectors`, headers: session, body: '{"name":', status: 400 },
      { what: '415 unsupported_media_type', method: 'POST', url: `${company}/connectors`, headers: { ...session, 'content-type': 'text/plain' }, body: 'name=x', status: 415 },
      { what: '413 payload_too_large', method: 'POST', url: `${company}/connectors`, headers: session, body: JSON.stringify({ name: 'x'.repeat(1_100_000) }), status: 413 },
      { what: 'Request v4 401', method: 'GET', url: '/travelrequest/v4/requests', status: 401 },
      { what: 'ESS 401', method: 'GET', url: '/events/v4/topics', status: 401 },
      { what: 'token endpoint error', method: 'POST', url: '/oauth2/v0/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials', status: 400 },
      { what: 'JWKS', method: 'GET', url: '/oauth2/v0/jwks', status: 200 },
      { what: 'health', method: 'GET', url: '/healthz', status: 200 },
      { what: 'metrics', method: 'GET', url: '/metrics', status: 200 },
      { what: 'API docs', method: 'GET', url: '/docs/json', status: 200 },
      { what: 'ESS public key', method: 'GET', url: '/api/ess/signing-key.pem', status: 200 },
    ];
    if (existsSync(CONSOLE_INDEX)) {
      const asset = readdirSync(path.join(path.dirname(CONSOLE_INDEX), 'assets')).find((file) => file.endsWith('.js'));
      cases.push({ what: 'console HTML', method: 'GET', url: '/', status: 200 });
      cases.push({ what: 'console deep link (SPA fallback)', method: 'GET', url: '/administration/web-services', status: 200 });
      if (asset) cases.push({ what: 'console script', method: 'GET', url: `/assets/${asset}`, status: 200 });
    } else {
      t.diagnostic('the console is not built: its pages are not checked (npm run build --workspace @patchbay/console)');
    }
    for (const item of cases) {
      const answer = await send(server.url, item.method, item.url, item.body, item.headers);
      if (item.what.startsWith('405')) {
        // An unknown connector is a 404 before the 405; both are errors of the envelope.
        assert.ok([404, 405].includes(answer.status));
      } else {
        assert.equal(answer.status, item.status, `${item.what}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
      assertSecurityHeaders(answer, item.what);
      assert.equal(answer.headers.get('strict-transport-security'), null, `${item.what}: no HSTS over an http public URL`);
    }
    t.diagnostic(`${cases.length} kinds of answer checked`);
  });

  test('the console\'s HTML has no inline script (the CSP would block it) and the API JSON is served as JSON', async (t) => {
    if (!existsSync(CONSOLE_INDEX)) {
      t.skip('the console is not built (npm run build --workspace @patchbay/console)');
      return;
    }
    const html = await send(server.url, 'GET', '/', undefined);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    const inline = [...html.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter(([, attributes, content]) => !/\bsrc=/.test(attributes!) && content!.trim() !== '');
    assert.deepEqual(inline.map(([whole]) => whole.slice(0, 100)), []);
    assert.ok(!/\son[a-z]+=/i.test(html.text), 'no inline event handlers');
    const api = await send(server.url, 'GET', '/api/companies', undefined);
    assert.match(api.headers.get('content-type') ?? '', /^application\/json/);
  });
});

describe('console sessions: fixation, sign-out, expiry, cookie flags', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  const signIn = (credentials: { loginId: string; password: string }, cookie?: string) =>
    fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify({ loginId: credentials.loginId, password: credentials.password }) });
  const sessionCookie = (response: Response): { value: string; attributes: string } => {
    const header = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    assert.ok(header, 'sign-in sets the session cookie');
    return { value: header.split(';')[0]!.slice(SESSION_COOKIE.length + 1), attributes: header };
  };
  const whoAmI = async (value: string) => send(server.url, 'GET', '/api/session', undefined, { cookie: `${SESSION_COOKIE}=${value}` });

  test('a cookie planted before sign-in is not reused: sign-in issues a new token, and the planted one gains nothing', async () => {
    const planted = `pbs_${'A'.repeat(43)}`;
    const response = await signIn(server.admin, `${SESSION_COOKIE}=${planted}`);
    assert.equal(response.status, 200);
    const issued = sessionCookie(response);
    assert.notEqual(issued.value, planted);
    assert.match(issued.value, /^pbs_[A-Za-z0-9_-]{43}$/);
    assert.equal((await whoAmI(planted)).status, 401, 'the planted cookie is still nobody');
    assert.equal((await whoAmI(issued.value)).status, 200);

    // A real session of another user, planted in the victim's browser, stays that user's: signing in replaces it.
    const attacker = await server.addUser(server.companyId, ['EMPLOYEE']);
    const attackerSession = sessionCookie(await signIn(attacker)).value;
    const victim = await signIn(server.admin, `${SESSION_COOKIE}=${attackerSession}`);
    const victimSession = sessionCookie(victim).value;
    assert.notEqual(victimSession, attackerSession);
    assert.equal(JSON.parse((await whoAmI(attackerSession)).text).user.loginId, attacker.loginId.toLowerCase(), 'the attacker\'s cookie did not become the victim\'s session');
    assert.equal(JSON.parse((await whoAmI(victimSession)).text).user.loginId, server.admin.loginId.toLowerCase());
  });

  test('every sign-in issues a new token and CSRF token; the store keeps only the token\'s hash', async () => {
    const first = await signIn(server.admin);
    const second = await signIn(server.admin);
    const a = sessionCookie(first).value;
    const b = sessionCookie(second).value;
    assert.notEqual(a, b);
    assert.notEqual(((await first.json()) as any).csrfToken, ((await second.json()) as any).csrfToken);
    const rows = await server.patchbay.store.db.selectFrom('sessions').select('token_hash').execute();
    assert.ok(rows.some((row) => row.token_hash === hashToken(a)));
    assert.ok(rows.every((row) => row.token_hash !== a && row.token_hash !== b), 'no token stored as is');
  });

  test('sign-out ends the session on the server: a copied cookie stops working', async () => {
    const response = await signIn(server.admin);
    const token = sessionCookie(response).value;
    const csrf = ((await response.json()) as { csrfToken: string }).csrfToken;
    const out = await send(server.url, 'DELETE', '/api/session', undefined, { cookie: `${SESSION_COOKIE}=${token}`, 'x-csrf-token': csrf });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', new RegExp(`${SESSION_COOKIE}=;`), 'the browser is told to drop the cookie');
    assert.equal((await whoAmI(token)).status, 401, 'the copied cookie no longer works');
    assert.equal(await server.patchbay.store.db.selectFrom('sessions').select('token_hash').where('token_hash', '=', hashToken(token)).executeTakeFirst(), undefined);
    const again = await send(server.url, 'POST', `/api/companies/${server.companyId}/connectors`, { name: 'X', description: '', hostName: 'https://x.example.test', userName: 'user-name-ok', password: 'password-ok' }, { cookie: `${SESSION_COOKIE}=${token}`, 'x-csrf-token': csrf });
    assert.equal(again.status, 401);
  });

  test('an expired session is refused even though the cookie is presented', async () => {
    const token = sessionCookie(await signIn(server.admin)).value;
    await server.patchbay.store.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', hashToken(token)).execute();
    assert.equal((await whoAmI(token)).status, 401);
  });

  test('the cookie is HttpOnly, SameSite=Lax, Path=/, not Secure over http; Secure when the public URL is https', async () => {
    const plain = sessionCookie(await signIn(server.admin)).attributes;
    assert.match(plain, /; HttpOnly/i);
    assert.match(plain, /; SameSite=Lax/i);
    assert.match(plain, /; Path=\//i);
    assert.doesNotMatch(plain, /; Secure/i);
    const https = await startTestServer({ env: { PATCHBAY_PUBLIC_URL: 'https://patchbay.example.test' } });
    try {
      const response = await fetch(`${https.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(https.admin) });
      assert.match(response.headers.getSetCookie().join('\n'), /; Secure/i);
    } finally {
      await https.close();
    }
  });
});
