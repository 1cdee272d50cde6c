/**
 * Fuzzing every route of the real server (read from the running app, hidden routes included), on SQLite and
 * PostgreSQL: arbitrary JSON bodies, schema-aware mutations of valid bodies (from each route's OpenAPI
 * schema, or an example body for the Concur-compatible routes that validate in code), raw bodies (not JSON,
 * too deep, too large, not UTF-8, wrong content types), arbitrary query strings and arbitrary path
 * parameters, each sent by one of the world's callers (operator, console sessions, user, company and app
 * tokens, nobody). The property: no 5xx, an answer within the hang bound, refusals in the documented error
 * shape, stored data unchanged by every refused request, and /healthz still 200 afterwards.
 *
 * Sizes, per route: bodies 25 runs on SQLite and 8 on PostgreSQL, query strings 9, path parameters 5 (SQLite
 * only); PATCHBAY_FUZZ_RUNS=20000 gives 2,500, 800, 834 and 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { storeSuites } from '../support/stores.ts';
import { createFuzzWorld, type Caller, type FuzzWorld } from './fuzz-world.ts';
import { ACTIONS, exampleBody } from './fuzz-bodies.ts';
import {
  DataGuard,
  appRoutes,
  assertHealthy,
  checkAnswer,
  fillPath,
  fuzz,
  fromSchema,
  hostileString,
  jsonBodies,
  openApiOperations,
  queryStrings,
  reportTotal,
  send,
  specialString,
  shareOfRuns,
  type Body,
  type Route,
} from './fuzz-support.ts';

/** Routes left out of the sweeps, and why. */
const EXCLUDED: Readonly<Record<string, string>> = {
  'DELETE /api/session': 'signing out ends the sessions the sweep\'s callers use; it takes no body and no query',
  'POST /api/signing-keys/rotate': 'it takes no input; repeated rotations retire the key the callers\' tokens are signed with',
  'POST /api/ess/signing-keys/rotate': 'it takes no input; rotating the webhook key does not read the request',
};
/** Static files: no input of their own. */
const STATIC = /^\/(assets\/|index\.html$|docs(\/|$)|$)/;

/** Query parameters the Concur-compatible routes read in code (they have no query schema). */
const CODE_QUERY_NAMES = ['view', 'start', 'limit', 'sortField', 'sortOrder', 'modifiedAfter', 'modifiedBefore', 'approvedAfter', 'approvedBefore', 'userId', 'companyId', 'companyID', 'comment', 'delegatorUserId', 'status'];

/** The callers that make sense for a path: the kinds of credentials it takes, a wrong one, and none. */
function callersFor(path: string, world: FuzzWorld): Caller[] {
  const c = world.callers;
  if (path.startsWith('/travelrequest/v4')) return [c.userToken, c.userToken, c.companyToken, c.companyToken, c.appToken, c.badToken, c.anonymous];
  if (path.startsWith('/events/v4') || path.startsWith('/v4/')) return [c.appToken, c.appToken, c.appToken, c.userToken, c.badToken, c.anonymous];
  if (path.startsWith('/api/platform/notifications')) return [c.companyToken, c.companyToken, c.userToken, c.anonymous];
  if (path.startsWith('/app-mgmt/')) return [c.userToken, c.appToken, c.anonymous];
  if (path.startsWith('/api/ess/')) return [c.operator, c.operator, c.connectorAdmin, c.anonymous];
  if (path.startsWith('/api/')) return [c.operator, c.operator, c.connectorAdmin, c.requestAdmin, c.traveler, c.traveler, c.anonymous, c.userToken];
  return [c.anonymous];
}

/** Real values of the path parameters. */
function paramPools(world: FuzzWorld): Record<string, string[]> {
  const { fixture } = world;
  return {
    companyId: [world.server.companyId],
    connectorId: [world.connectorId],
    requestId: world.requestIds,
    requestUuid: world.requestIds,
    action: ACTIONS,
    appId: [world.sacrificialAppId],
    id: [world.subscriptionId],
    deliveryId: ['1'],
    notificationId: [randomUUID()],
    workflowId: [fixture.defaultPolicy.workflowId],
    policyId: [fixture.defaultPolicy.policyId],
    groupName: ['TMC Agents'],
    userId: [world.sacrificialUserId],
    code: ['BUSGUEST', 'SPOUSE'],
    field: ['custom1', 'custom2'],
    host: ['example.com'],
    attendeeId: [randomUUID()],
    expenseUuid: ['0'.repeat(32)],
    agencyUuid: [fixture.agency.id],
  };
}

const paramsArb = (path: string, pools: Record<string, string[]>): fc.Arbitrary<Record<string, string>> => {
  const names = [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
  const model: Record<string, fc.Arbitrary<string>> = {};
  for (const name of names) model[name] = fc.constantFrom(...(pools[name] ?? [`unknown-${name}`]));
  return names.length === 0 ? fc.constant({}) : fc.record(model);
};

const key = (route: Route) => `${route.method} ${route.path}`;

for (const { kind, skip } of await storeSuites()) {
  describe(`fuzz: every route of the server [${kind.name}]`, { skip }, () => {
    let world: FuzzWorld;
    let guard: DataGuard;
    let routes: Route[];
    let bodySchemas: Map<string, unknown>;
    let queryNames: Map<string, string[]>;
    // Runs per route of the body sweep: 25 on SQLite; on PostgreSQL (the same code over the other store,
    // where stored values meet stricter column types) 8, and only the body sweep.
    const postgres = kind.name === 'postgres';
    const runs = shareOfRuns(postgres ? 25 : 8);

    before(async () => {
      world = await createFuzzWorld(await kind.create());
      guard = new DataGuard(world.server.patchbay.store);
      const app = world.server.patchbay.app;
      routes = appRoutes(app).filter((route) => !STATIC.test(route.path) && EXCLUDED[key(route)] === undefined);
      bodySchemas = new Map();
      queryNames = new Map();
      for (const operation of openApiOperations(app)) {
        if (operation.body) bodySchemas.set(key(operation), operation.body);
        queryNames.set(key(operation), operation.query.map((q) => q.name));
      }
    });
    after(async () => {
      await world?.close();
    });

    test('the sweep covers every route of the app: each route with a body schema, and every other route but the exclusions', (t) => {
      const all = appRoutes(world.server.patchbay.app);
      assert.ok(all.length > 80, `only ${all.length} routes were read from the app`);
      const covered = new Set(routes.map(key));
      // Every operation of the OpenAPI document is a route the sweep reads (the list is not stale).
      for (const operation of openApiOperations(world.server.patchbay.app)) {
        assert.ok(covered.has(key(operation)) || EXCLUDED[key(operation)] !== undefined, `${key(operation)} is in the OpenAPI document but not in the sweep`);
      }
      for (const schemaRoute of bodySchemas.keys()) assert.ok(covered.has(schemaRoute), `${schemaRoute} has a body schema but is not fuzzed`);
      const bodyRoutes = routes.filter((route) => ['POST', 'PUT', 'PATCH'].includes(route.method));
      for (const route of all) if (!covered.has(key(route))) assert.ok(STATIC.test(route.path) || EXCLUDED[key(route)] !== undefined, `${key(route)} is not fuzzed`);
      t.diagnostic(`${routes.length} routes fuzzed (${bodyRoutes.length} with a body, ${bodySchemas.size} with a body schema); excluded: ${Object.entries(EXCLUDED).map(([route, why]) => `${route} (${why})`).join('; ')}; static files are not fuzzed`);
    });

    test('every route with a body: arbitrary JSON bodies, schema-aware mutations of valid ones, raw bodies', async (t) => {
      const pools = paramPools(world);
      await guard.reset();
      for (const route of routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method))) {
        const schema = bodySchemas.get(key(route));
        const valid = schema ? fromSchema(schema, { uuids: world.uuids }) : (exampleBody(route, world) ?? fc.constant({}));
        const input = fc.record({ caller: fc.constantFrom(...callersFor(route.path, world)), params: paramsArb(route.path, pools), body: jsonBodies(valid) });
        await t.test(key(route), async (st) => {
          await fuzz(st, input, async ({ caller, params, body }: { caller: Caller; params: Record<string, string>; body: Body }) => {
            const path = fillPath(route.path, params);
            const answer = await send(world.url, { method: route.method, path, headers: { ...caller.headers, ...(body.contentType ? { 'content-type': body.contentType } : {}) }, ...(body.body === undefined ? {} : { body: body.body }) });
            checkAnswer(answer);
            await guard.check(answer, `(${caller.name}, ${body.label})`);
          }, runs);
        });
      }
      await assertHealthy(world.url);
    });

    // The query and path sweeps run with SQLite only (no query value reaches a column unvalidated).
    if (!postgres) test('every route: arbitrary query strings', async (t) => {
      const pools = paramPools(world);
      await guard.reset();
      for (const route of routes) {
        const names = [...(queryNames.get(key(route)) ?? []), ...CODE_QUERY_NAMES];
        const input = fc.record({ caller: fc.constantFrom(...callersFor(route.path, world)), params: paramsArb(route.path, pools), query: queryStrings(names) });
        await t.test(key(route), async (st) => {
          await fuzz(st, input, async ({ caller, params, query }) => {
            const path = `${fillPath(route.path, params)}?${query}`;
            const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? { body: '{}', headers: { ...caller.headers, 'content-type': 'application/json' } } : { headers: caller.headers };
            const answer = await send(world.url, { method: route.method, path, ...body });
            checkAnswer(answer);
            await guard.check(answer, `(${caller.name})`);
          }, Math.max(1, Math.ceil(runs / 3)));
        });
      }
      await assertHealthy(world.url);
    });

    if (!postgres) test('every route with path parameters: arbitrary values of each parameter', async (t) => {
      const pools = paramPools(world);
      await guard.reset();
      const hostileParam = fc.oneof(
        { weight: 3, arbitrary: hostileString(40).map((value) => encodeURIComponent(value.toWellFormed())) },
        { weight: 2, arbitrary: specialString.filter((value) => value.length < 2_000).map((value) => encodeURIComponent(value.toWellFormed())) },
        { weight: 1, arbitrary: fc.constantFrom('%00', '%zz', '%', '%2e%2e', '..%2f..%2fetc', '%C3%28', '%F0%9F', 'a%2Fb', 'x'.repeat(301), '%20', 'CON', '-', '.') },
      );
      for (const route of routes.filter((r) => r.path.includes(':'))) {
        const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
        const input = fc.record({ caller: fc.constantFrom(...callersFor(route.path, world)), params: paramsArb(route.path, pools), which: fc.constantFrom(...names), value: hostileParam });
        await t.test(key(route), async (st) => {
          await fuzz(st, input, async ({ caller, params, which, value }) => {
            const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => (name === which ? value : encodeURIComponent(params[name]!)));
            const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? { body: '{}', headers: { ...caller.headers, 'content-type': 'application/json' } } : { headers: caller.headers };
            const answer = await send(world.url, { method: route.method, path, ...body });
            checkAnswer(answer);
            await guard.check(answer, `(${caller.name}, :${which} = ${value.slice(0, 60)})`);
          }, Math.max(1, Math.ceil(runs / 5)));
        });
      }
      await assertHealthy(world.url);
    });

    test('fuzz total', (t) => {
      t.diagnostic(`${guard.checked} refused requests checked for stored-data changes`);
      reportTotal(t);
    });
  });
}
