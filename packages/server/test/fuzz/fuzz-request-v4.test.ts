/**
 * Fuzzing Concur Request v4 (`/travelrequest/v4`) on SQLite and PostgreSQL, with user and company tokens:
 * create and update with valid bodies mutated (wrong types, extra and dangerous fields, huge strings, NUL,
 * unicode, deep nesting) and arbitrary JSON; workflow actions with arbitrary names, bodies, query
 * parameters and correlation ids; the list with arbitrary views, paging, sorting and date filters; expected
 * expenses. The property: no 5xx, Concur's error shape, within the hang bound, stored data unchanged by
 * every refused request, /healthz still 200.
 *
 * Sizes: `ENDPOINT_RUNS` per property (200; PATCHBAY_FUZZ_RUNS overrides) on SQLite, a quarter on PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { storeSuites } from '../support/stores.ts';
import { REQUEST_V4 } from '../support/request-fixtures.ts';
import { createFuzzWorld, type Caller, type FuzzWorld } from './fuzz-world.ts';
import { ACTIONS, actionBody, expenseBody, requestBody } from './fuzz-bodies.ts';
import { DataGuard, ENDPOINT_RUNS, shareOfRuns, WRONG_TYPES, assertHealthy, checkAnswer, edgeNumber, hostileString, jsonBodies, reportTotal, send, specialString, fuzz, sweep, toJson, type Body } from './fuzz-support.ts';

/** Query values of Request v4's parameters: valid ones, near-misses and hostile ones. */
function queryValue(name: string, world: FuzzWorld): fc.Arbitrary<string> {
  const people = Object.values(world.fixture.people).map((p) => p.id);
  const valid: Record<string, fc.Arbitrary<string>> = {
    view: fc.constantFrom('ALL', 'ACTIVE', 'UNSUBMITTED', 'PENDING', 'TOAPPROVE', 'approved', 'PROPOSALCANCELED', 'NOPE'),
    start: fc.oneof(fc.nat({ max: 1_000 }).map(String), fc.constantFrom('999999999', '1000000000', '-1', '1.5', '0x10', '')),
    limit: fc.oneof(fc.integer({ min: 0, max: 101 }).map(String), fc.constantFrom('999999999', '-0', '', ' 5')),
    sortField: fc.constantFrom('startDate', 'approvalStatus', 'requestId', 'name', ''),
    sortOrder: fc.constantFrom('ASC', 'desc', 'DESC', 'up', ''),
    modifiedAfter: fc.oneof(fc.date({ noInvalidDate: true, min: new Date('0001-01-01'), max: new Date('9999-12-31') }).map((d) => d.toISOString().slice(0, 19)), fc.constantFrom('2024-02-30', '0000-01-01', '2024-01-01T24:00:00', '2024-01-01T23:59:59.999Z', '2024-01-01')),
    userId: fc.oneof(fc.constantFrom(...people), fc.uuid(), fc.constantFrom(world.server.companyId)),
    companyId: fc.oneof(fc.constantFrom(world.server.companyId), fc.uuid()),
    comment: fc.string({ maxLength: 50 }),
    delegatorUserId: fc.constantFrom(...people),
  };
  return fc.oneof({ weight: 3, arbitrary: valid[name] ?? fc.string({ maxLength: 10 }) }, { weight: 1, arbitrary: fc.oneof(hostileString(30), specialString.filter((s) => s.length < 500), edgeNumber.map(String)) });
}

/** The fields of a request body, each of which is given values of the wrong type. */
const REQUEST_FIELDS = ['id', 'name', 'businessPurpose', 'comment', 'startDate', 'endDate', 'startTime', 'endTime', 'mainDestination', 'policy', 'travelAgency', 'custom1', 'custom7', 'custom20'];
const EXPENSE_FIELDS = ['expenseType', 'transactionDate', 'transactionAmount', 'businessPurpose', 'isPaymentCardRelated'];

const LIST_PARAMS = ['view', 'start', 'limit', 'sortField', 'sortOrder', 'modifiedAfter', 'modifiedBefore', 'approvedAfter', 'approvedBefore', 'userId', 'companyId', 'companyID'];
const ACTION_PARAMS = ['comment', 'userId', 'delegatorUserId', 'companyId'];

function queryArb(names: readonly string[], world: FuzzWorld): fc.Arbitrary<string> {
  const pair = fc.constantFrom(...names).chain((name) => fc.tuple(fc.constant(name), queryValue(name, world)));
  const encode = (pairs: Array<[string, string]>) => new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v.toWellFormed()])).toString();
  // Mostly each parameter once (a repeated one is refused before anything else is read).
  const once = fc.uniqueArray(pair, { minLength: 1, maxLength: 5, selector: ([name]) => name }).map(encode);
  const repeated = fc.array(pair, { minLength: 1, maxLength: 5 }).map(encode);
  return fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 4, arbitrary: once }, { weight: 1, arbitrary: repeated });
}

/** A correlation id header: mostly absent or a UUID, sometimes not one. */
const correlationId = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
);

for (const { kind, skip } of await storeSuites()) {
  describe(`fuzz: Concur Request v4 [${kind.name}]`, { skip }, () => {
    let world: FuzzWorld;
    let guard: DataGuard;
    const runs = kind.name === 'postgres' ? shareOfRuns(4) : ENDPOINT_RUNS;

    before(async () => {
      world = await createFuzzWorld(await kind.create());
      guard = new DataGuard(world.server.patchbay.store);
    });
    after(async () => {
      await world?.close();
    });

    /**
     * The callers of Request v4: the owner's user token (most), the company token acting as the owner (a
     * `userId` in the query) or as nobody, a forged token.
     */
    const callers = () => {
      const asOwner: Caller = { ...world.callers.companyToken, name: 'company token as the traveler', query: `userId=${world.fixture.people.traveler.id}` };
      return fc.constantFrom<Caller>(world.callers.userToken, world.callers.userToken, world.callers.userToken, asOwner, asOwner, world.callers.companyToken, world.callers.badToken);
    };

    async function call(method: string, path: string, caller: Caller, body: Body | undefined, fuzzedQuery: string, correlation: string | undefined, what: string): Promise<void> {
      const query = [caller.query, fuzzedQuery].filter(Boolean).join('&');
      const headers: Record<string, string> = { ...caller.headers };
      if (body?.contentType !== undefined) headers['content-type'] = body.contentType;
      if (correlation !== undefined) headers['concur-correlationid'] = correlation;
      const answer = await send(world.url, { method, path: `${REQUEST_V4}${path}${query ? `?${query}` : ''}`, headers, ...(body?.body === undefined ? {} : { body: body.body }) });
      checkAnswer(answer, 'concur');
      await guard.check(answer, `(${caller.name}, ${what})`);
    }

    test('create: valid bodies mutated, arbitrary JSON, raw bodies; with or without userId', async (t) => {
      await guard.reset();
      const input = fc.record({ caller: callers(), body: jsonBodies(requestBody(world), REQUEST_FIELDS), query: queryArb(['userId', 'companyId'], world), correlation: correlationId });
      await fuzz(t, input, ({ caller, body, query, correlation }) => call('POST', '/requests', caller, body, query, correlation, body.label), runs);
      await assertHealthy(world.url);
    });

    test('update: valid bodies mutated (the id, every field), arbitrary JSON, raw bodies', async (t) => {
      await guard.reset();
      const input = fc.record({ caller: callers(), id: fc.constantFrom(...world.requestIds), body: jsonBodies(requestBody(world, 'update'), REQUEST_FIELDS), query: queryArb(['userId'], world), correlation: correlationId });
      await fuzz(t, input, ({ caller, id, body, query, correlation }) => call('PUT', `/requests/${id}`, caller, body, query, correlation, body.label), runs);
      await assertHealthy(world.url);
    });

    test('workflow actions: arbitrary actions, bodies (none, JSON, text), query parameters and correlation ids', async (t) => {
      await guard.reset();
      const input = fc.record({
        caller: callers(),
        id: fc.constantFrom(...world.requestIds),
        action: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ACTIONS) }, { weight: 1, arbitrary: hostileString(12).map((a) => encodeURIComponent(a.toWellFormed())) }),
        body: fc.option(jsonBodies(actionBody, ['comment']), { nil: undefined }),
        query: queryArb(ACTION_PARAMS, world),
        correlation: correlationId,
      });
      await fuzz(t, input, ({ caller, id, action, body, query, correlation }) => call('POST', `/requests/${id}/${action}`, caller, body, query, correlation, `${action}, ${body?.label ?? 'no body'}`), runs);
      await assertHealthy(world.url);
    });

    test('list: arbitrary views, paging, sorting, date filters, users and companies', async (t) => {
      await guard.reset();
      const input = fc.record({ caller: callers(), query: queryArb(LIST_PARAMS, world), correlation: correlationId });
      await fuzz(t, input, ({ caller, query, correlation }) => call('GET', '/requests', caller, undefined, query, correlation, 'list'), runs);
      await assertHealthy(world.url);
    });

    test('expected expenses: valid bodies mutated, arbitrary JSON', async (t) => {
      await guard.reset();
      const input = fc.record({ caller: callers(), id: fc.constantFrom(...world.requestIds), body: jsonBodies(expenseBody, EXPENSE_FIELDS), query: queryArb(['userId'], world) });
      await fuzz(t, input, ({ caller, id, body, query }) => call('POST', `/requests/${id}/expenses`, caller, body, query, undefined, body.label), runs);
      await assertHealthy(world.url);
    });

    // The exhaustive sweep runs with SQLite only; PostgreSQL gets the sampled properties above.
    if (kind.name === 'sqlite') test('every field of the create, update, expense and action bodies, given every wrong type (an exhaustive sweep)', async (t) => {
      await guard.reset();
      const traveler = world.callers.userToken;
      const id = world.requestIds[0]!;
      const base = { name: 'Wrong types', businessPurpose: 'Fuzzing', startDate: '2030-01-01', endDate: '2030-01-02' };
      const items: Array<{ method: string; path: string; field: string; value: unknown; base: Record<string, unknown> }> = [];
      for (const value of WRONG_TYPES) {
        for (const field of REQUEST_FIELDS) {
          if (field !== 'id') items.push({ method: 'POST', path: '/requests', field, value, base });
          items.push({ method: 'PUT', path: `/requests/${id}`, field, value, base: { ...base, id } });
        }
        for (const field of EXPENSE_FIELDS) items.push({ method: 'POST', path: `/requests/${id}/expenses`, field, value, base: { expenseType: { id: 'AIRFR' }, transactionDate: '2030-01-01' } });
        items.push({ method: 'POST', path: `/requests/${id}/recall`, field: 'comment', value, base: {} });
      }
      await sweep(
        t,
        items,
        (item) => call(item.method, item.path, traveler, { contentType: 'application/json', body: toJson({ ...item.base, [item.field]: item.value }), label: `${item.field} = ${toJson(item.value).slice(0, 40)}` }, '', undefined, `${item.field} of the wrong type`),
        (item) => `${item.method} ${item.path} with ${item.field} = ${toJson(item.value).slice(0, 60)}`,
      );
      await assertHealthy(world.url);
    });

    test('fuzz total', (t) => {
      t.diagnostic(`${guard.checked} refused requests checked for stored-data changes`);
      reportTotal(t);
    });
  });
}
