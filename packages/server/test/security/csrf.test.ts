/**
 * CSRF on every state change: every POST, PUT, PATCH and DELETE route under /api (found from the
 * router) is called with a valid session cookie of an administrator holding every role, on that
 * administrator's own resources (so that the call would succeed with the right token), without the
 * X-CSRF-Token header, with a wrong one, with another session's, and with the token in the query string
 * or the body instead of the header. Each must be 403 `csrf_token_invalid` (a token in the body may
 * instead fail validation as an unknown field; the Concur-compatible routes under /api ignore cookies
 * and answer 401), and the store must be exactly as before. A positive control shows the same session succeeds with its token. SQLite only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startReceiver, type Receiver } from '../support/ess-fixtures.ts';
import { buildTenant, type Tenant } from './world.ts';
import { ROUTES, callsOf, listRoutes, routeName, type RouteKey } from './route-table.ts';
import { diffSnapshots, dumpStore, send, sessionHeaders, withQuery } from './probe.ts';

/** State-changing /api routes that take no session, with why. */
const NO_SESSION: Readonly<Record<string, string>> = {
  'POST /api/session': 'sign-in: there is no session (nor CSRF token) yet; it only ever opens a session for the credentials given',
};

describe('CSRF: every state-changing admin API route needs the session\'s X-CSRF-Token', () => {
  let server: TestServer;
  let receiver: Receiver;
  let tenant: Tenant;
  let routes: RouteKey[];

  before(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ env: { PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true' } });
    tenant = await buildTenant(server, 'C', { receiver });
    routes = listRoutes(server.patchbay.app).filter((route) => route.path.startsWith('/api/') && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method));
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  test('without the token, with a wrong one, another session\'s, or the token outside the header: 403 csrf_token_invalid, and nothing changes', async (t) => {
    const own = await sessionHeaders(server.url, tenant.admin);
    const other = await sessionHeaders(server.url, tenant.traveler);
    const operator = await sessionHeaders(server.url, server.operator);
    const cookieOnly = { cookie: own.cookie };
    const variants: Array<{ name: string; headers: Record<string, string>; query?: Record<string, string>; bodyField?: true }> = [
      { name: 'no token', headers: cookieOnly },
      { name: 'an empty token', headers: { ...cookieOnly, 'x-csrf-token': '' } },
      { name: 'a wrong token', headers: { ...cookieOnly, 'x-csrf-token': `${own['x-csrf-token']}x` } },
      { name: 'another user\'s token', headers: { ...cookieOnly, 'x-csrf-token': other['x-csrf-token'] } },
      { name: 'an operator\'s token', headers: { ...cookieOnly, 'x-csrf-token': operator['x-csrf-token'] } },
      { name: 'the token in the query string', headers: cookieOnly, query: { csrfToken: own['x-csrf-token'], 'x-csrf-token': own['x-csrf-token'] } },
      { name: 'the token in the body', headers: cookieOnly, bodyField: true },
    ];
    const before = await dumpStore(server.patchbay.store);
    const failures: string[] = [];
    let calls = 0;
    for (const route of routes) {
      const name = routeName(route);
      if (NO_SESSION[name]) continue;
      const spec = ROUTES[name];
      assert.ok(spec, `${name} is not in the security table`);
      const [call] = callsOf(route, spec, tenant, { action: ['cancel'], requestId: [tenant.draft.id] });
      for (const variant of variants) {
        calls++;
        let body = call!.body;
        if (variant.bodyField) body = { ...(typeof body === 'object' && body !== null ? body : {}), csrfToken: own['x-csrf-token'] };
        const url = variant.query ? withQuery(call!.url, variant.query) : call!.url;
        const answer = await send(server.url, call!.method, url, body, variant.headers);
        const code = (JSON.parse(answer.text || 'null') as { error?: { code?: string } } | null)?.error?.code;
        // Concur-compatible routes under /api take tokens, never the cookie: 401 there.
        const refused = spec.access === 'token' || spec.access === 'app-token'
          ? answer.status === 401
          : (answer.status === 403 && code === 'csrf_token_invalid') || (variant.bodyField === true && answer.status === 400 && code === 'validation_failed');
        if (!refused) failures.push(`${name} with ${variant.name}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
    const changes = diffSnapshots(before, await dumpStore(server.patchbay.store));
    t.diagnostic(`${calls} calls: ${routes.length - Object.keys(NO_SESSION).length} routes × ${variants.length} ways; ${failures.length} failures, ${changes.length} changed rows`);
    assert.deepEqual(failures, [], failures.join('\n'));
    assert.deepEqual(changes, [], 'the refused calls changed the store');
  });

  test('control: the same session with its token does change things, and signing out needs the token too', async () => {
    const own = await sessionHeaders(server.url, tenant.admin);
    const renamed = await send(server.url, 'PATCH', `/api/companies/${tenant.companyId}/connectors/${tenant.connector.id}`, { description: 'changed with the token' }, own);
    assert.equal(renamed.status, 200, renamed.text);
    const signOut = await send(server.url, 'DELETE', '/api/session', undefined, { cookie: own.cookie });
    assert.equal(signOut.status, 403);
    assert.equal((await send(server.url, 'GET', '/api/session', undefined, { cookie: own.cookie })).status, 200, 'a sign-out without the token left the session alone');
    assert.equal((await send(server.url, 'DELETE', '/api/session', undefined, own)).status, 204);
  });

  test('operator API tokens need no CSRF token (no cookie, so no cross-site request can carry them)', async () => {
    const operator = await sessionHeaders(server.url, server.operator);
    const created = await send(server.url, 'POST', '/api/tokens', { label: 'csrf control' }, operator);
    assert.equal(created.status, 201);
    const token = JSON.parse(created.text).token as string;
    const answer = await send(server.url, 'POST', '/api/companies', { name: 'Automated', edition: 'STANDARD', developmentPartner: false }, { authorization: `Bearer ${token}` });
    assert.equal(answer.status, 201, answer.text);
  });
});
