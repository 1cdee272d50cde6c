/**
 * Tenant isolation for every route, found automatically from Fastify's router: company A (an
 * administrator holding every role, its company token with and without a user, a user token and its
 * app token) calls every route on company B's real resources (one of everything, see world.ts), in
 * three ways: B's path; A's company in the path with B's ids; A's own resources with a body naming B's.
 * Each call must be refused (404 or 403; 4xx where only a body names B), must reveal none of B's ids,
 * names or secrets that the call did not itself contain, and all calls together must leave every row
 * that mentions B exactly as it was, with no new row pointing at B. Lists of A's own things must not
 * contain B's. A route missing from the table in route-table.ts fails the suite. SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startReceiver, type Receiver } from '../support/ess-fixtures.ts';
import { storeSuites } from '../support/stores.ts';
import { buildTenant, rowIdsOf, secretsOf, type Tenant } from './world.ts';
import { ROUTES, TENANT_OWNED_PARAMS, callsOf, listRoutes, paramsOf, routeName, specOf, type Call, type RouteKey, type RouteSpec } from './route-table.ts';
import { diffSnapshots, leaked, rowsMentioning, send, sessionHeaders, withQuery, type Probe } from './probe.ts';

/** What a call must get. */
type Expectation =
  /** 404 or 403 (or the route's documented alternative). */
  | 'refused'
  /** A 4xx: the call names B's resources in its body, which A may not use. */
  | 'rejected'
  /** A's own resources: any answer but a server error (and, as always, nothing of B's). */
  | 'own';

/** One credential of company A. */
interface Caller {
  name: string;
  headers: Record<string, string>;
  query?: Record<string, string>;
  /** Statuses this caller may also get for reasons other than isolation, and why. */
  alsoRefusedWith?: { statuses: number[]; reason: string };
}

for (const { kind, skip } of await storeSuites()) {
  describe(`tenant isolation of every route [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let receiver: Receiver;
    let a: Tenant;
    let b: Tenant;
    let routes: RouteKey[];

    before(async () => {
      receiver = await startReceiver();
      server = await startTestServer({ database: await kind.create(), env: { PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true' } });
      a = await buildTenant(server, 'A', { receiver });
      b = await buildTenant(server, 'B', { receiver });
      routes = listRoutes(server.patchbay.app);
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    test('every route is in the security table (a new route must say who may call it)', (t) => {
      // The router's listing is parsed: if its format changed, find nothing rather than pass vacuously.
      assert.ok(routes.length >= 100 && routes.some((route) => routeName(route) === 'GET /healthz') && routes.some((route) => routeName(route) === 'POST /travelrequest/v4/requests/:requestUuid/:action'), `the router's listing was not understood: ${routes.map(routeName).join(', ')}`);
      const missing = routes.filter((route) => specOf(route) === undefined).map(routeName);
      assert.deepEqual(missing, [], `Routes the security suites cannot classify; add each to ROUTES in test/security/route-table.ts:\n${missing.join('\n')}`);
      const known = new Set(routes.map(routeName));
      const stale = Object.keys(ROUTES).filter((name) => name !== 'GET /assets/*' && !known.has(name));
      assert.deepEqual(stale, [], `Entries of ROUTES that match no route any more:\n${stale.join('\n')}`);
      const unexplained = Object.entries(ROUTES).filter(([, spec]) => (spec.access === 'public' || spec.access === 'self') && !spec.reason).map(([name]) => name);
      assert.deepEqual(unexplained, [], 'public and self routes need a reason');
      t.diagnostic(`${routes.length} routes, ${routes.filter((route) => specOf(route)!.access === 'public').length} public`);
    });

    // Defect: connectors.ts configureService stores the workflow ids of Send Notification / External
    // Report Validation settings without checking that they are the company's own workflows.
    test('regression: Configure Service accepted another company\'s workflow ids in Send Notification and External Report Validation settings', async () => {
      const headers = await sessionHeaders(server.url, a.admin);
      for (const service of ['send-notification', 'external-report-validation']) {
        const path = `/api/companies/${a.companyId}/connectors/${a.connector.id}/services/${service}`;
        const answer = await send(server.url, 'PUT', path, { endpoint: '/notify', active: true, settings: { workflows: [{ workflowId: b.workflow.id, steps: ['SUBMIT'] }] } }, headers);
        assert.equal(answer.status, 400, `${service}: ${answer.status} ${answer.text.slice(0, 300)}`);
        assert.equal(JSON.parse(answer.text).error.field, 'settings.workflows.0.workflowId');
      }
      const stored = await server.patchbay.store.db.selectFrom('connector_services').select('settings').where('connector_id', '=', a.connector.id).execute();
      assert.ok(stored.every((row) => !row.settings.includes(b.workflow.id)), 'A\'s connector does not point at B\'s workflow');
    });

    test('company A calling every route on company B\'s resources is refused, learns nothing and changes nothing', async (t) => {
      const secrets = secretsOf(b);
      const bIds = rowIdsOf(b);
      const referencesB = (value: unknown) => value !== undefined && bIds.some((id) => JSON.stringify(value).toLowerCase().includes(id.toLowerCase()));
      const before = await rowsMentioning(server.patchbay.store, bIds);

      const session: Caller = { name: 'A admin session', headers: await sessionHeaders(server.url, a.admin) };
      const tokenCallers: Caller[] = [
        { name: 'A company token as A admin', headers: bearer(a.tokens.company), query: { userId: a.admin.id } },
        {
          name: 'A company token, no user (external system)',
          headers: bearer(a.tokens.company),
          alsoRefusedWith: { statuses: [400], reason: 'a company token needs userId on this route (missingRequiredParam)' },
        },
        { name: 'A user token (admin)', headers: bearer(a.tokens.user) },
      ];
      const appCaller: Caller = { name: 'A app token', headers: bearer(a.tokens.app) };

      const failures: string[] = [];
      let calls = 0;
      const check = async (route: RouteKey, spec: RouteSpec, call: Call, caller: Caller, expectation: Expectation): Promise<Probe> => {
        calls++;
        const url = caller.query ? withQuery(call.url, caller.query) : call.url;
        const answer = await send(server.url, call.method, url, call.body, caller.headers);
        const where = `${routeName(route)} as ${caller.name}: ${call.method} ${url}${call.body === undefined ? '' : ` ${JSON.stringify(call.body)}`} → ${answer.status} ${answer.text.slice(0, 300)}`;
        const refusals = [403, 404, ...(spec.refusedAlsoWith ? [spec.refusedAlsoWith.status] : []), ...(caller.alsoRefusedWith?.statuses ?? [])];
        if (answer.status >= 500) failures.push(`server error: ${where}`);
        else if (expectation === 'refused' && !refusals.includes(answer.status)) failures.push(`not refused (wanted ${refusals.join('/')}): ${where}`);
        else if (expectation === 'rejected' && !(answer.status >= 400 && answer.status < 500 && answer.status !== 401)) failures.push(`not rejected (wanted 4xx): ${where}`);
        else if (answer.status === 401) failures.push(`A's credentials were not accepted (a broken probe, not a finding): ${where}`);
        const found = leaked(answer.text, secrets, `${url} ${JSON.stringify(call.body ?? null)}`);
        if (found.length > 0) failures.push(`leaks ${found.map((s) => JSON.stringify(s)).join(', ')}: ${where}`);
        return answer;
      };

      for (const route of routes) {
        const spec = specOf(route)!;
        const params = paramsOf(route.path);
        const namesB = params.some((name) => TENANT_OWNED_PARAMS.has(name));
        switch (spec.access) {
          case 'public': {
            // Anyone may call these; they must show nothing of a tenant (sign-in and the token endpoint take credentials: see brute-force.test.ts).
            if (route.method !== 'GET') break;
            const url = route.path.includes('*') ? route.path.replace('*', 'index.html') : route.path;
            await check(route, spec, { method: 'GET', url, params: {} }, { name: 'anonymous', headers: {} }, 'own');
            break;
          }
          case 'self':
            // Covered by sessions.test.ts; GET /api/session shows A's own session only.
            if (routeName(route) === 'GET /api/session') await check(route, spec, { method: 'GET', url: route.path, params: {} }, session, 'own');
            break;
          case 'operator':
            for (const call of callsOf(route, spec, b)) await check(route, spec, call, session, 'refused');
            break;
          case 'session': {
            if (spec.list && params.length === 0) {
              await check(route, spec, callsOf(route, spec, b)[0]!, session, 'own');
              break;
            }
            // B's path.
            for (const call of callsOf(route, spec, b)) await check(route, spec, call, session, 'refused');
            if (!params.includes('companyId')) break;
            // A's company in the path, B's ids (in the path, the body or both).
            for (const call of callsOf(route, spec, b, { companyId: [a.companyId] })) {
              await check(route, spec, call, session, referencesB(call.body) ? 'rejected' : namesB ? 'refused' : 'own');
              // A body naming B's things fails validation first; with A's own body the path's ids are what is checked.
              if (namesB && referencesB(call.body)) await check(route, spec, { ...call, body: spec.body!(a) }, session, 'refused');
            }
            // A's own resources, a body naming B's.
            if (referencesB(spec.body?.(b))) {
              for (const call of callsOf(route, spec, a)) await check(route, spec, { ...call, body: spec.body!(b) }, session, 'rejected');
            }
            break;
          }
          case 'token':
            for (const caller of tokenCallers) {
              for (const call of callsOf(route, spec, b)) {
                await check(route, spec, call, caller, namesB ? 'refused' : referencesB(call.body) ? 'rejected' : 'own');
              }
              if (referencesB(spec.body?.(b)) && namesB) {
                for (const call of callsOf(route, spec, a)) await check(route, spec, { ...call, body: spec.body!(b) }, caller, 'rejected');
              }
              // Naming B's company outright: a token acts for its own company only.
              if (route.path.startsWith('/travelrequest/v4/') && spec.list) {
                for (const call of callsOf(route, spec, b)) {
                  await check(route, spec, { ...call, url: withQuery(call.url, { companyId: b.companyId }) }, { ...caller, alsoRefusedWith: undefined }, 'refused');
                }
              }
            }
            break;
          case 'app-token':
            for (const call of callsOf(route, spec, b)) await check(route, spec, call, appCaller, spec.list ? 'own' : 'refused');
            break;
        }
      }

      // Request v4 body references on A's own request: another company's travel agency or policy.
      for (const caller of tokenCallers) {
        const route = { method: 'PUT', path: '/travelrequest/v4/requests/:requestUuid' };
        await check(route, ROUTES[routeName(route)]!, { method: 'PUT', url: `/travelrequest/v4/requests/${a.draft.id}`, body: { travelAgency: { id: b.agency.id } }, params: {} }, caller, 'rejected');
      }
      // Last, A's user revokes its own grants: B's refresh tokens stay as they are (checked below).
      const revoke = { method: 'DELETE', path: '/app-mgmt/v0/connections' };
      await check(revoke, ROUTES[routeName(revoke)]!, { method: 'DELETE', url: revoke.path, params: {} }, tokenCallers[2]!, 'own');

      const changes = diffSnapshots(before, await rowsMentioning(server.patchbay.store, bIds));
      for (const change of changes) failures.push(`B's data changed (or A's now points at it): ${change}`);
      t.diagnostic(`${calls} calls on ${routes.length} routes; ${failures.length} failures`);
      assert.deepEqual(failures, [], `${failures.length} isolation failures:\n${failures.join('\n')}`);
    });
  });
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
