/**
 * Regressions: each defect the server's fuzz suites found, as a test named after it, with the smallest input
 * that showed it. Each test states the documented behaviour, so it fails until the defect is fixed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevCa, startFakeConnector, type FakeConnector } from '../support/tls-fixture.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { REQUEST_V4 } from '../support/request-fixtures.ts';
import { createFuzzWorld, type FuzzWorld } from './fuzz-world.ts';
import { CATASTROPHIC_FILTERS, FILTER_BOUND_MS, FilterRunner } from './fuzz-filters.ts';
import { DataGuard, checkAnswer, send } from './fuzz-support.ts';

describe('fuzz regressions [sqlite]', () => {
  let world: FuzzWorld;
  let connector: FakeConnector;
  let guard: DataGuard;
  const company = () => `/api/companies/${world.server.companyId}`;

  before(async () => {
    const ca = await createDevCa();
    world = await createFuzzWorld(await STORE_KINDS[0]!.create(), { server: { extraCa: ca.caCert } });
    await world.server.addSafeHost('localhost');
    connector = await startFakeConnector({
      tls: ca.issue(['localhost', '127.0.0.1']),
      userName: 'Fuzz-Connector-User',
      password: 'Fuzz-Connector-Passw0rd!',
      route: (_request, response) => {
        const body = '<fetch-list-response/>';
        response.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(body.length) });
        response.end(body);
      },
    });
    const call = async (caller: Record<string, string>, method: string, path: string, body?: unknown) => {
      const answer = await send(world.url, { method, path, headers: { ...caller, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`);
      return answer.json;
    };
    const admin = world.callers.connectorAdmin.headers;
    const connectorId = (await call(admin, 'POST', `${company()}/connectors`, { name: 'List connector', description: 'Fetch List', hostName: connector.url, userName: 'Fuzz-Connector-User', password: 'Fuzz-Connector-Passw0rd!' })).id;
    assert.equal((await call(admin, 'POST', `${company()}/connectors/${connectorId}/test-connection`)).result.ok, true);
    await call(admin, 'PUT', `${company()}/connectors/${connectorId}/services/fetch-list`, { endpoint: '/list/v1.2/fetch', active: true, settings: { lists: [{ name: 'Destinations', category: 'Locations', languageCode: 'en', connectedListLevel: 4 }] } });
    await call(world.callers.requestAdmin.headers, 'PUT', `${company()}/form-fields/custom1`, { label: 'Destination', kind: 'LIST', connectorId, listName: 'Destinations' });
    guard = new DataGuard(world.server.patchbay.store);
  });
  after(async () => {
    await connector?.close();
    await world?.close();
  });

  test('regression: PUT /travelrequest/v4/requests/{id} with an "id" object whose toString is not a function answered 500', async () => {
    // routes.ts compared String(body.id) with the path's id: String() of {"toString": 1} throws a TypeError.
    const id = world.requestIds[0]!;
    await guard.reset();
    for (const value of [{ toString: 1 }, { toString: null, valueOf: null }, { valueOf: {}, toString: {} }]) {
      const answer = await send(world.url, { method: 'PUT', path: `${REQUEST_V4}/requests/${id}`, headers: { ...world.callers.userToken.headers, 'content-type': 'application/json' }, body: JSON.stringify({ id: value, name: 'Renamed' }) });
      checkAnswer(answer, 'concur');
      assert.equal(answer.status, 400, `id ${JSON.stringify(value)}: ${answer.text}`);
      await guard.check(answer);
    }
  });

  test('regression: a path with a malformed percent-encoding (%F0%9F) or a parameter over 300 characters was answered in Fastify\'s own error shape, not the documented one', async () => {
    // Fastify answers FST_ERR_BAD_URL (400) and FST_ERR_MAX_PARAM_LENGTH (414) itself ({"error":"Bad Request",
    // "code":"FST_ERR_...","message","statusCode"}), bypassing the error handlers: the admin API must answer
    // its envelope, Concur's paths their {"errors": [...]}.
    for (const param of ['%F0%9F', 'x'.repeat(301)]) {
      const admin = await send(world.url, { method: 'GET', path: `/api/companies/${param}`, headers: world.callers.operator.headers });
      assert.ok([400, 414].includes(admin.status), admin.text);
      checkAnswer(admin, 'admin');
      const concur = await send(world.url, { method: 'GET', path: `${REQUEST_V4}/requests/${param}`, headers: world.callers.userToken.headers });
      assert.ok([400, 414].includes(concur.status), concur.text);
      checkAnswer(concur, 'concur');
    }
  });

  test('regression: DELETE /app-mgmt/v0/connections answered a NUL in the query string in the admin envelope, not Concur\'s error shape', async () => {
    // The route is Concur's but is registered outside the Concur scopes, so app.ts's handler words the NUL
    // guard's refusal (and any framework error) as the admin API.
    const answer = await send(world.url, { method: 'DELETE', path: '/app-mgmt/v0/connections?%00=%00', headers: world.callers.userToken.headers });
    assert.equal(answer.status, 400, answer.text);
    checkAnswer(answer, 'concur');
  });

  test('regression: a Fetch List search or choice whose parent code holds only characters XML cannot carry (\\u0001, U+FFFE) answered 500', async () => {
    // buildFetchListRequest strips those characters, finds an empty code and throws CalloutContractError, which
    // the route answered as an internal error instead of a 400 naming parentCodes / codeByLevel.
    await guard.reset();
    const requestId = world.requestIds[1]!;
    const cases: Array<[string, string, unknown]> = [
      ['POST', 'search', { query: '', parentCodes: ['\u0001'] }],
      ['POST', 'search', { query: '*', parentCodes: ['US', '\ufffe'] }],
      ['PUT', 'choice', { codeByLevel: ['US', '\u0001', 'CA', 'SF'] }],
    ];
    for (const [method, what, body] of cases) {
      const answer = await send(world.url, { method, path: `${company()}/requests/${requestId}/fields/custom1/${what}`, headers: { ...world.callers.traveler.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      checkAnswer(answer, 'admin-or-concur');
      assert.equal(answer.status, 400, `${what} ${JSON.stringify(body)}: ${answer.text}`);
      await guard.check(answer);
    }
  });

  test('regression: ESS filters with nested groups, overlapping alternations or runs of .* ((.|.)*X, ((.+))+X, .*×10) were accepted and hang delivery matching', async () => {
    // compileFilter refuses only a quantified group that directly contains a quantifier ((a+)+); these shapes
    // pass, and matching them against an event type (in the transaction that publishes it) never ends.
    const runner = new FilterRunner();
    try {
      for (const filter of CATASTROPHIC_FILTERS) {
        const answer = await send(world.url, {
          method: 'PUT',
          path: '/events/v4/subscriptions/webhook',
          headers: { ...world.callers.appToken.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ id: world.subscriptionId, topic: 'public.concur.request', filter, webHookConfig: { endpoint: 'https://subscriber.example.test/hook' } }),
        });
        checkAnswer(answer, 'concur');
        if (answer.status !== 200) continue;
        const run = await runner.run(filter);
        assert.notEqual(run.outcome, 'hung', `the filter ${JSON.stringify(filter)} was accepted, and matching it against the event types ran over ${FILTER_BOUND_MS} ms`);
      }
    } finally {
      await runner.close();
    }
  });
});
