/**
 * Concur Request v4 over real HTTP on SQLite and PostgreSQL: every answer validates against Concur's
 * swagger (`swagger.ts`, applied to every call through the fixture), the list with its views, paging,
 * sorting and date filters, create / read / update / delete, the workflow actions' accepted bodies and
 * parameters, Concur's error codes, tenant isolation, and a concurrent double approval that must end in
 * exactly one transition and one event. Refused actions publish nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/server.ts';
import { storeSuites } from '../support/stores.ts';
import { EMPTY_GROUP, SELF_GROUP, TMC_GROUP, createRequestFixture, requestApi, type Answer, type Person, type RequestApi, type RequestFixture } from '../support/request-fixtures.ts';
import { setGroupMembers, type StepInput } from '../../src/requests/workflow-admin.ts';
import { assertConcurError, assertSwagger } from './swagger.ts';

const DAY = 86_400_000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const isoSecond = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const ids = (answer: Answer): string[] => answer.body.data.map((r: any) => r.id);
const sameSet = (actual: string[], expected: string[], message?: string) => assert.deepEqual([...actual].sort(), [...expected].sort(), message);

for (const { kind, skip } of await storeSuites()) {
  describe(`Concur Request v4 API [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let fx: RequestFixture;
    /** A second company with its own people, workflows and requests. */
    let other: RequestFixture;
    let company: RequestApi;
    let traveler: RequestApi;
    let manager: RequestApi;

    before(async () => {
      server = await startTestServer({ database: await kind.create() });
      fx = await createRequestFixture(server, { onAnswer: assertSwagger });
      const second = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: false, roles: ['EMPLOYEE'] });
      other = await createRequestFixture(server, { companyId: second.companyId, onAnswer: assertSwagger });
      company = await fx.companyApi();
      traveler = await fx.userApi(fx.people.traveler);
      manager = await fx.userApi(fx.people.manager);
    });
    after(async () => server?.close());

    /** Takes an action that must succeed. */
    async function ok(api: RequestApi, id: string, action: string, options: Parameters<RequestApi['action']>[2] = {}): Promise<any> {
      const answer = await api.action(id, action, options);
      assert.equal(answer.status, 200, `${action}: ${answer.text}`);
      return answer.body;
    }

    /** Runs `work`, asserting it publishes no event and changes no request, comment or expense. */
    async function changesNothing(work: () => Promise<void>): Promise<void> {
      const before = await fx.snapshot();
      await work();
      assert.deepEqual(await fx.snapshot(), before, 'a refused call changed the store');
    }

    describe('GET /requests', () => {
      let person: Person;
      let api: RequestApi;
      const made: Record<string, string> = {};

      before(async () => {
        person = await fx.addPerson({ managerId: fx.people.manager.id });
        api = await fx.userApi(person);
        const create = async (name: string, startDate: string) => (await fx.newRequest(person, { name, startDate, endDate: startDate })).id as string;
        made.draft = await create('Draft', '2031-01-05');
        made.pending = await create('Pending', '2031-01-01');
        await ok(api, made.pending, 'submit');
        made.approved = await create('Approved', '2031-01-03');
        await ok(api, made.approved, 'submit');
        await ok(manager, made.approved, 'approve');
        made.sentBack = await create('Sent back', '2031-01-02');
        await ok(api, made.sentBack, 'submit');
        await ok(manager, made.sentBack, 'sendback', { body: { comment: 'Fix the dates' } });
        made.canceled = await create('Canceled', '2031-01-06');
        await ok(api, made.canceled, 'cancel');
        made.closed = await create('Closed', '2031-01-04');
        await ok(api, made.closed, 'submit');
        await ok(manager, made.closed, 'approve');
        await ok(api, made.closed, 'close');
      });

      test('each view selects its requests', async () => {
        const views: Record<string, string[]> = {
          ALL: Object.values(made),
          ACTIVE: [made.draft!, made.pending!, made.approved!, made.sentBack!],
          ACTIVEAPPROVED: [made.approved!],
          UNSUBMITTED: [made.draft!, made.sentBack!],
          PENDING: [made.pending!],
          SUBMITTED: [made.pending!],
          APPROVED: [made.approved!, made.closed!],
          VALIDATED: [made.approved!, made.closed!],
          CANCELED: [made.canceled!],
          CLOSED: [made.closed!],
          PENDINGPROPOSAL: [],
          PROPOSALAPPROVED: [],
          PROPOSALCANCELED: [],
          PENDINGEBOOKING: [],
        };
        for (const [view, expected] of Object.entries(views)) {
          const answer = await api.list({ view, limit: '100' });
          assert.equal(answer.status, 200, answer.text);
          sameSet(ids(answer), expected, `view ${view}`);
        }
        // ALL is the default view.
        sameSet(ids(await api.list({ limit: '100' })), views.ALL!);
      });

      test('TOAPPROVE lists what waits for the caller; a company token must name the user', async () => {
        const toApprove = await manager.list({ view: 'TOAPPROVE', limit: '100' });
        assert.equal(toApprove.status, 200);
        assert.ok(ids(toApprove).includes(made.pending!));
        for (const id of [made.draft, made.approved, made.sentBack, made.canceled, made.closed]) assert.ok(!ids(toApprove).includes(id!));
        for (const request of toApprove.body.data) assert.equal(request.approvalStatus.code, 'SUBMITTED');
        sameSet(ids(await api.list({ view: 'TOAPPROVE' })), [], 'nothing waits for the traveler');
        const viaCompany = await company.list({ view: 'TOAPPROVE', userId: fx.people.manager.id, limit: '100' });
        sameSet(ids(viaCompany), ids(toApprove));
        assertConcurError(await company.list({ view: 'TOAPPROVE' }), 400, 'missingRequiredParam');
      });

      test('a user sees only their own requests; a company token sees the company, or one user with userId', async () => {
        const mine = ids(await traveler.list({ limit: '100' }));
        for (const id of Object.values(made)) assert.ok(!mine.includes(id));
        sameSet(ids(await company.list({ userId: person.id, limit: '100' })), Object.values(made));
        const everything = ids(await company.list({ limit: '100' }));
        for (const id of Object.values(made)) assert.ok(everything.includes(id));
        const theirs = ids(await (await other.companyApi()).list({ limit: '100' }));
        for (const id of Object.values(made)) assert.ok(!theirs.includes(id), 'another company never lists them');
      });

      test('an unknown view, sortField or sortOrder is a 400', async () => {
        assertConcurError(await api.list({ view: 'EVERYTHING' }), 400);
        assertConcurError(await api.list({ sortField: 'name' }), 400);
        assertConcurError(await api.list({ sortOrder: 'UP' }), 400);
      });

      test('sorts by startDate (default DESC), requestId and approvalStatus in both orders', async () => {
        const starts = (answer: Answer) => answer.body.data.map((r: any) => r.startDate as string);
        const byDefault = starts(await api.list());
        assert.deepEqual(byDefault, [...byDefault].sort().reverse(), 'startDate DESC by default');
        assert.deepEqual(starts(await api.list({ sortField: 'startDate', sortOrder: 'ASC' })), [...byDefault].sort());
        const keys = (await api.list({ sortField: 'requestId', sortOrder: 'ASC' })).body.data.map((r: any) => r.requestId as string);
        assert.deepEqual(keys, [...keys].sort());
        const keysDesc = (await api.list({ sortField: 'requestId', sortOrder: 'DESC' })).body.data.map((r: any) => r.requestId as string);
        assert.deepEqual(keysDesc, [...keys].reverse());
        for (const order of ['ASC', 'DESC']) {
          const codes = (await api.list({ sortField: 'approvalStatus', sortOrder: order })).body.data.map((r: any) => r.approvalStatus.code as string);
          // Requests of one status come together, and the groups follow the order asked for.
          const groups = codes.filter((code: string, index: number) => index === 0 || codes[index - 1] !== code);
          assert.equal(new Set(groups).size, groups.length, `statuses are grouped: ${codes.join(',')}`);
          assert.deepEqual(groups, order === 'ASC' ? [...groups].sort() : [...groups].sort().reverse());
        }
      });

      test('requests without a startDate sort after the dated ones in either order, the same on every store', async () => {
        const someone = await fx.addPerson();
        const theirs = await fx.userApi(someone);
        await fx.newRequest(someone, { name: 'Early', startDate: '2031-01-01' });
        await fx.newRequest(someone, { name: 'Undated' });
        await fx.newRequest(someone, { name: 'Late', startDate: '2031-12-31' });
        const names = async (sortOrder: string) => (await theirs.list({ sortField: 'startDate', sortOrder })).body.data.map((r: any) => r.name as string);
        assert.deepEqual(await names('DESC'), ['Late', 'Early', 'Undated']);
        assert.deepEqual(await names('ASC'), ['Early', 'Late', 'Undated']);
      });

      test('modifiedAfter/Before and approvedAfter/Before filter by date or date-time', async () => {
        // Move two requests' dates into the past, as if they had been changed and approved in 2020.
        const db = server.patchbay.store.db;
        const past = Date.parse('2020-06-15T12:00:00Z');
        await db.updateTable('requests').set({ updated_at: past }).where('id', '=', made.draft!).execute();
        await db.updateTable('requests').set({ updated_at: past, approved_at: past }).where('id', '=', made.approved!).execute();
        const now = Date.now();
        const select = async (query: Record<string, string>) => {
          const answer = await api.list({ limit: '100', ...query });
          assert.equal(answer.status, 200, `${JSON.stringify(query)}: ${answer.text}`);
          return ids(answer);
        };
        const recent = Object.values(made).filter((id) => id !== made.draft && id !== made.approved);
        sameSet(await select({ modifiedAfter: '2021-01-01' }), recent);
        sameSet(await select({ modifiedBefore: '2021-01-01' }), [made.draft!, made.approved!]);
        sameSet(await select({ modifiedAfter: '2020-06-15T11:59:59Z', modifiedBefore: '2020-06-15T12:00:01Z' }), [made.draft!, made.approved!]);
        sameSet(await select({ modifiedAfter: isoDay(now + DAY) }), []);
        sameSet(await select({ modifiedBefore: isoSecond(now + 60_000) }), Object.values(made));
        sameSet(await select({ approvedAfter: '2021-01-01' }), [made.closed!]);
        sameSet(await select({ approvedBefore: '2021-01-01' }), [made.approved!]);
        sameSet(await select({ approvedAfter: '2020-01-01', approvedBefore: isoDay(now + DAY) }), [made.approved!, made.closed!]);
      });

      test('date filters in the formats the swagger documents (with milliseconds; approved* without Z) are accepted', async () => {
        // The swagger: modified* "yyyy-MM-ddTHH:mm:ss.SSSZ or yyyy-MM-dd", approved* "yyyy-MM-ddTHH:mm:ss".
        const modified = await api.list({ modifiedAfter: '2021-01-01T00:00:00.000Z', limit: '100' });
        assert.equal(modified.status, 200, modified.text);
        const approved = await api.list({ approvedAfter: '2021-01-01T00:00:00', limit: '100' });
        assert.equal(approved.status, 200, approved.text);
      });

      test('a malformed or impossible date is 400 invalidDate', async () => {
        for (const value of ['yesterday', '2024/01/01', '2024-13-01', '2024-01-01T25:00:00Z', '2024-01-01T10:00:00+02:00', '20240101', '']) {
          for (const name of ['modifiedAfter', 'modifiedBefore', 'approvedAfter', 'approvedBefore']) {
            assertConcurError(await api.list({ [name]: value }), 400, 'invalidDate');
          }
        }
      });

      test('an impossible calendar date (February 30th) is 400 invalidDate, not the next month', async () => {
        for (const name of ['modifiedAfter', 'modifiedBefore', 'approvedAfter', 'approvedBefore']) {
          for (const value of ['2024-02-30', '2023-02-29T00:00:00Z', '2024-04-31']) assertConcurError(await api.list({ [name]: value }), 400, 'invalidDate');
        }
      });
    });

    describe('paging', () => {
      let api: RequestApi;
      let all: string[];

      before(async () => {
        const person = await fx.addPerson();
        api = await fx.userApi(person);
        for (let n = 0; n < 12; n++) await fx.newRequest(person, { startDate: `2032-02-${String(n + 1).padStart(2, '0')}` });
        all = ids(await api.list({ limit: '100' }));
        assert.equal(all.length, 12);
      });

      const rels = (answer: Answer) => answer.body.operations.map((op: any) => op.rel as string);
      const follow = async (answer: Answer, rel: string): Promise<Answer> => {
        const link = answer.body.operations.find((op: any) => op.rel === rel);
        assert.ok(link, `no ${rel} link in ${JSON.stringify(answer.body.operations)}`);
        const url = new URL(link.href, server.url);
        return api.call('GET', url.pathname.replace('/travelrequest/v4', '') + url.search);
      };

      test('start defaults to 0 and limit to 10', async () => {
        const first = await api.list();
        assert.deepEqual(ids(first), all.slice(0, 10));
        assert.deepEqual(rels(first), ['first', 'next', 'last']);
      });

      test('first/prev/next/last links walk the pages and keep the other parameters', async () => {
        const page1 = await api.list({ limit: '5', sortField: 'startDate', sortOrder: 'ASC' });
        const ascending = [...all].reverse();
        assert.deepEqual(ids(page1), ascending.slice(0, 5));
        assert.deepEqual(rels(page1), ['first', 'next', 'last']);
        const page2 = await follow(page1, 'next');
        assert.deepEqual(ids(page2), ascending.slice(5, 10));
        assert.deepEqual(rels(page2), ['first', 'prev', 'next', 'last']);
        const page3 = await follow(page2, 'next');
        assert.deepEqual(ids(page3), ascending.slice(10));
        assert.deepEqual(rels(page3), ['first', 'prev', 'last']);
        assert.deepEqual(ids(await follow(page3, 'prev')), ids(page2));
        assert.deepEqual(ids(await follow(page2, 'first')), ids(page1));
        assert.deepEqual(ids(await follow(page1, 'last')), ids(page3));
        const beyond = await api.list({ start: '50', limit: '5' });
        assert.deepEqual(ids(beyond), []);
        assert.deepEqual(rels(beyond), ['first', 'prev', 'last']);
      });

      test('paging links are absolute URLs on this server, like every other href of Request v4', async () => {
        const page = await api.list({ limit: '5' });
        for (const op of page.body.operations) assert.ok(op.href.startsWith(`${server.url}/travelrequest/v4/requests?`), `operations href ${op.href}`);
      });

      test('limit is 1 to 100 and digits only; start is digits only', async () => {
        assert.equal((await api.list({ limit: '100' })).status, 200);
        assert.equal((await api.list({ limit: '1' })).body.data.length, 1);
        for (const limit of ['101', '0', 'abc', '-1', '5.5', '']) assertConcurError(await api.list({ limit }), 400);
        for (const start of ['-1', 'x', '1e3']) assertConcurError(await api.list({ start }), 400);
      });
    });

    describe('POST /requests', () => {
      test('201 with the created Request, every field given and a Location', async () => {
        const body = {
          name: 'Sales conference',
          businessPurpose: 'Meet customers',
          comment: 'Hotel near the venue',
          startDate: '2031-03-01',
          startTime: '08:30',
          endDate: '2031-03-04',
          endTime: '19:00',
          mainDestination: { city: 'Paris', countryCode: 'FR', name: 'Paris, France' },
          travelAgency: { id: fx.agency.id },
          policy: { id: fx.defaultPolicy.policyId },
          custom1: { code: 'PRJ', value: 'Project 42' },
        };
        const created = await traveler.create(body);
        assert.equal(created.status, 201, created.text);
        const request = created.body;
        assert.match(request.id, /^[0-9A-F]{32}$/);
        assert.match(request.requestId, /^[A-Za-z0-9]{4,6}$/);
        assert.equal(request.href, `${server.url}/travelrequest/v4/requests/${request.id}`);
        assert.equal(created.headers.get('location'), request.href);
        for (const key of ['name', 'businessPurpose', 'comment', 'startDate', 'startTime', 'endDate', 'endTime'] as const) assert.equal(request[key], body[key]);
        assert.deepEqual(request.mainDestination, body.mainDestination);
        assert.equal(request.travelAgency.id, fx.agency.id);
        assert.equal(request.policy.id, fx.defaultPolicy.policyId);
        assert.deepEqual(request.custom1, { code: 'PRJ', value: 'Project 42' });
        assert.deepEqual(request.approvalStatus, { code: 'NOT_SUBMITTED', name: 'Not Submitted' });
        assert.equal(request.owner.id, fx.people.traveler.id);
        assert.deepEqual(request.operations.map((op: any) => op.rel).sort(), ['cancel', 'submit']);
        const read = await traveler.get(request.id);
        assert.deepEqual({ ...read.body, operations: undefined }, { ...request, operations: undefined });
      });

      test('an impossible calendar date is 400 invalidDate on create and update', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await changesNothing(async () => {
          assertConcurError(await traveler.create({ name: 'Bad date', startDate: '2031-02-30' }), 400, 'invalidDate');
          assertConcurError(await traveler.create({ name: 'Bad date', endDate: '2031-06-31' }), 400, 'invalidDate');
          assertConcurError(await traveler.update(request.id, { startDate: '2031-02-30' }), 400, 'invalidDate');
        });
      });

      test('a company token creates for the user named by userId, and must name one', async () => {
        const created = await company.create({ name: 'On behalf' }, { userId: fx.people.colleague.id });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.body.owner.id, fx.people.colleague.id);
        await changesNothing(async () => {
          assertConcurError(await company.create({ name: 'Nobody' }), 400, 'missingRequiredParam');
          assertConcurError(await company.create({ name: 'Bad' }, { userId: 'not-a-uuid' }), 400, 'invalidUuid');
          assertConcurError(await company.create({ name: 'Unknown' }, { userId: randomUUID() }), 400, 'userNotFound');
          assertConcurError(await company.create({ name: 'Foreign' }, { userId: other.people.traveler.id }), 400, 'userNotFound');
          // A user token acts only for its own user.
          assertConcurError(await traveler.create({ name: 'Someone else' }, { userId: fx.people.colleague.id }), 403);
        });
      });

      test('id is not allowed; name is required; the policy must be one of the company', async () => {
        await changesNothing(async () => {
          assertConcurError(await traveler.create({ id: 'ABCDEF0123456789ABCDEF0123456789', name: 'With id' }), 400, 'idNotAllowed');
          assertConcurError(await traveler.create({ businessPurpose: 'No name' }), 400, 'missingRequiredField');
          assertConcurError(await traveler.create({ name: '' }), 400, 'missingRequiredField');
          assertConcurError(await traveler.create({ name: 'Unknown policy', policy: { id: 'ABCDEF0123456789ABCDEF0123456789' } }), 400, 'invalidPolicy');
          assertConcurError(await traveler.create({ name: 'Foreign policy', policy: { id: other.defaultPolicy.policyId } }), 400, 'invalidPolicy');
          assertConcurError(await traveler.create({ name: 'Malformed policy', policy: { id: 'nope' } }), 400, 'invalidPolicy');
          assertConcurError(await traveler.create({ name: 'Bad date', startDate: '01/02/2031' }), 400, 'invalidDate');
          assertConcurError(await traveler.create({ name: 'Bad time', startTime: '25:00' }), 400);
          assertConcurError(await traveler.create({ name: 'Foreign agency', travelAgency: { id: other.agency.id } }), 400);
          assertConcurError(await traveler.create(['not', 'an', 'object']), 400, 'invalidJson');
          assertConcurError(await traveler.create(undefined, {}, { rawBody: '{"name": "Trip",' }), 400, 'invalidJson');
        });
      });
    });

    describe('GET, PUT and DELETE /requests/{id}', () => {
      test('GET: the owner, the pending approver and the company read it; an uninvolved user may not', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit');
        for (const api of [traveler, manager, company]) {
          const read = await api.get(request.id);
          assert.equal(read.status, 200, read.text);
          assert.equal(read.body.id, request.id);
        }
        assert.deepEqual((await manager.get(request.id)).body.operations.map((op: any) => op.rel).sort(), ['approve', 'sendback']);
        assertConcurError(await (await fx.userApi(fx.people.outsider)).get(request.id), 403);
      });

      test('PUT changes only the updatable fields and ignores the others', async () => {
        const request = await fx.newRequest(fx.people.traveler, { startDate: '2031-04-01', custom2: { code: 'A', value: 'a' } });
        const changes = {
          name: 'Renamed',
          businessPurpose: 'New purpose',
          comment: 'New comment',
          startDate: '2031-04-02',
          startTime: '07:00',
          endDate: '2031-04-05',
          endTime: '21:15',
          mainDestination: { iataCode: 'LHR', name: 'London Heathrow' },
          travelAgency: { id: fx.agency.id },
          custom2: { code: 'B', value: 'b' },
          // Not updatable: ignored.
          requestId: 'ZZZZ',
          approvalStatus: { code: 'APPROVED', name: 'Approved' },
          approved: true,
          closed: true,
          owner: { id: fx.people.manager.id },
          policy: { id: other.defaultPolicy.policyId },
          creationDate: '2000-01-01T00:00:00.000Z',
        };
        const updated = await traveler.update(request.id, changes);
        assert.equal(updated.status, 200, updated.text);
        const body = updated.body;
        for (const key of ['name', 'businessPurpose', 'comment', 'startDate', 'startTime', 'endDate', 'endTime'] as const) assert.equal(body[key], changes[key], key);
        assert.deepEqual(body.mainDestination, changes.mainDestination);
        assert.equal(body.travelAgency.id, fx.agency.id);
        assert.deepEqual(body.custom2, { code: 'B', value: 'b' });
        assert.equal(body.requestId, request.requestId);
        assert.deepEqual(body.approvalStatus, request.approvalStatus);
        assert.equal(body.approved, false);
        assert.equal(body.closed, false);
        assert.equal(body.owner.id, fx.people.traveler.id);
        assert.equal(body.policy.id, request.policy.id);
        assert.equal(body.creationDate, request.creationDate);
        assert.deepEqual((await traveler.get(request.id)).body, body);
      });

      test('PUT with null clears a field; the name cannot be cleared', async () => {
        const request = await fx.newRequest(fx.people.traveler, { startDate: '2031-05-01', startTime: '09:00', mainDestination: { city: 'Berlin', countryCode: 'DE' }, travelAgency: { id: fx.agency.id }, custom3: { value: 'x' } });
        const cleared = await traveler.update(request.id, { businessPurpose: null, startDate: null, startTime: null, mainDestination: null, travelAgency: null, custom3: null });
        assert.equal(cleared.status, 200, cleared.text);
        assert.equal(cleared.body.businessPurpose ?? '', '');
        for (const key of ['startDate', 'startTime', 'mainDestination', 'travelAgency', 'custom3']) assert.equal(cleared.body[key], undefined, `${key} cleared`);
        assert.equal(cleared.body.name, request.name);
        await changesNothing(async () => {
          assertConcurError(await traveler.update(request.id, { name: null }), 400, 'missingRequiredField');
        });
      });

      test('PUT: an id in the body must match the path', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await changesNothing(async () => {
          assertConcurError(await traveler.update(request.id, { id: 'ABCDEF0123456789ABCDEF0123456789', name: 'Mismatch' }), 400);
        });
        const same = await traveler.update(request.id, { id: request.id.toLowerCase(), name: 'Same id' });
        assert.equal(same.status, 200, same.text);
        assert.equal(same.body.name, 'Same id');
      });

      test('PUT: the owner cannot change a submitted request', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit');
        await changesNothing(async () => {
          assertConcurError(await traveler.update(request.id, { name: 'Too late' }), 403, 'permissionDenied');
          assertConcurError(await (await fx.userApi(fx.people.outsider)).update(request.id, { name: 'Not mine' }), 403);
        });
      });

      test('DELETE answers 200 true and the request is gone; only never-submitted requests, only by their owner', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        const expense = await traveler.addExpense(request.id, { expenseType: { id: 'TRAIN' }, transactionDate: '2031-06-01' });
        assert.equal(expense.status, 201, expense.text);
        await changesNothing(async () => {
          assertConcurError(await (await fx.userApi(fx.people.colleague)).remove(request.id), 403, 'permissionDenied');
          assertConcurError(await company.remove(request.id), 400, 'missingRequiredParam');
        });
        const deleted = await traveler.remove(request.id);
        assert.equal(deleted.status, 200, deleted.text);
        assert.equal(deleted.body, true);
        assertConcurError(await traveler.get(request.id), 404, 'notFound');
        assertConcurError(await traveler.remove(request.id), 404, 'notFound');

        const viaCompany = await fx.newRequest(fx.people.traveler);
        const byCompany = await company.remove(viaCompany.id, { userId: fx.people.traveler.id });
        assert.equal(byCompany.status, 200, byCompany.text);
        assert.equal(byCompany.body, true);

        const submitted = await fx.newRequest(fx.people.traveler);
        await ok(traveler, submitted.id, 'submit');
        const recalled = await fx.newRequest(fx.people.traveler);
        await ok(traveler, recalled.id, 'submit');
        await ok(traveler, recalled.id, 'recall');
        await changesNothing(async () => {
          for (const id of [submitted.id, recalled.id]) {
            const refused = await traveler.remove(id);
            assert.ok(refused.status >= 400 && refused.status < 500, refused.text);
          }
        });
      });
    });

    describe('workflow actions', () => {
      test('accept no body, {}, an empty JSON body, {"comment"}, a comment query parameter and a bare JSON string', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit');
        await ok(manager, request.id, 'sendback', { body: {} });
        await ok(traveler, request.id, 'submit', { rawBody: '' });
        await ok(manager, request.id, 'sendback', { body: { comment: 'In the body' } });
        await ok(traveler, request.id, 'submit', { body: {} });
        await ok(manager, request.id, 'sendback', { query: { comment: 'In the query' } });
        await ok(traveler, request.id, 'submit');
        await ok(manager, request.id, 'sendback', { body: 'A bare string' });
        await ok(traveler, request.id, 'submit', { body: { comment: null } });
        const approved = await ok(manager, request.id, 'approve', { body: { comment: 'Approved, enjoy' } });
        assert.equal(approved.approvalStatus.code, 'APPROVED');
        assert.deepEqual(approved.operations, []);
        const comments = await traveler.comments(request.id);
        assert.equal(comments.status, 200);
        assert.deepEqual(
          comments.body.map((c: any) => c.value),
          ['In the body', 'In the query', 'A bare string', 'Approved, enjoy'],
        );
        for (const comment of comments.body) assert.equal(comment.author.id, fx.people.manager.id);
      });

      test('answer 200 with the full Request and the operations now open to the caller', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        const submitted = await ok(traveler, request.id, 'submit');
        assert.equal(submitted.approvalStatus.code, 'SUBMITTED');
        assert.ok(submitted.submitDate);
        assert.deepEqual(submitted.operations.map((op: any) => op.rel).sort(), ['cancel', 'recall']);
        for (const op of submitted.operations) assert.equal(op.href, `${request.href}/${op.rel}`);
        const approved = await ok(manager, request.id, 'approve');
        assert.ok(approved.authorizedDate);
        const closable = await traveler.get(request.id);
        assert.deepEqual(closable.body.operations.map((op: any) => op.rel).sort(), ['cancel', 'close']);
        const closed = await ok(traveler, request.id, 'close');
        assert.deepEqual(closed.operations.map((op: any) => op.rel), ['reopen']);
      });

      test('companyId and companyID name the caller\'s own company; another is refused, a malformed one is 400', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit', { query: { companyId: fx.companyId } });
        await ok(traveler, request.id, 'recall', { query: { companyID: fx.companyId.toUpperCase() } });
        await ok(company, request.id, 'submit', { query: { companyID: fx.companyId, userId: fx.people.traveler.id } });
        await changesNothing(async () => {
          assertConcurError(await manager.action(request.id, 'approve', { query: { companyId: other.companyId } }), 403);
          assertConcurError(await manager.action(request.id, 'approve', { query: { companyID: 'acme' } }), 400, 'invalidUuid');
        });
      });

      test('a concur-correlationid that is not a UUID is 400 invalidUuid, with no transition', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await changesNothing(async () => {
          assertConcurError(await traveler.action(request.id, 'submit', { headers: { 'concur-correlationid': 'not-a-uuid' } }), 400, 'invalidUuid');
          assertConcurError(await traveler.get(request.id, {}, { headers: { 'concur-correlationid': '1234' } }), 400, 'invalidUuid');
        });
        const correlationId = randomUUID();
        const answer = await traveler.action(request.id, 'submit', { headers: { 'concur-correlationid': correlationId } });
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('concur-correlationid'), correlationId);
      });

      test('an unknown action, a non-string or over-long comment and a JSON array body are 400', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await changesNothing(async () => {
          assertConcurError(await traveler.action(request.id, 'archive'), 400);
          assertConcurError(await traveler.action(request.id, 'submit', { body: { comment: 42 } }), 400);
          assertConcurError(await traveler.action(request.id, 'submit', { body: { comment: 'x'.repeat(2_001) } }), 400);
          assertConcurError(await traveler.action(request.id, 'submit', { body: [1, 2] }), 400, 'invalidJson');
          assertConcurError(await traveler.action(request.id, 'submit', { rawBody: '{"comment": ' }), 400, 'invalidJson');
          assertConcurError(await traveler.action(request.id, 'submit', { rawBody: "{'comment': 'single quotes'}" }), 400, 'invalidJson');
        });
      });

      test('approving one\'s own request is 403 permissionDenied, also as a member of the step\'s group', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit');
        await changesNothing(async () => {
          for (const action of ['approve', 'sendback']) assertConcurError(await traveler.action(request.id, action), 403, 'permissionDenied');
          assertConcurError(await company.action(request.id, 'approve', { query: { userId: fx.people.traveler.id } }), 403, 'permissionDenied');
        });

        await server.patchbay.store.transaction((trx) => setGroupMembers(trx, null, fx.companyId, 'Mixed', [fx.people.traveler.id, fx.people.tmcAgent1.id]));
        const { policyId } = await fx.policy([{ roleCode: 'REQ_PROCESSOR1', approverType: 'GROUP', approverGroup: 'Mixed', notify: false }]);
        const grouped = await fx.newRequest(fx.people.traveler, { policy: { id: policyId } });
        await ok(traveler, grouped.id, 'submit');
        await changesNothing(async () => {
          assertConcurError(await traveler.action(grouped.id, 'approve'), 403, 'permissionDenied');
        });
        await ok(await fx.userApi(fx.people.tmcAgent1), grouped.id, 'approve');
      });

      test('delegatorUserId does not let the traveler, or anyone uninvolved, approve as their approver', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit');
        await changesNothing(async () => {
          assertConcurError(await traveler.action(request.id, 'approve', { query: { delegatorUserId: fx.people.manager.id } }), 403, 'permissionDenied');
          assertConcurError(await (await fx.userApi(fx.people.outsider)).action(request.id, 'approve', { query: { delegatorUserId: fx.people.manager.id } }), 403, 'permissionDenied');
        });
      });

      test('actions not allowed in the current state are 4xx in Concur\'s shape and publish nothing', async () => {
        const draft = await fx.newRequest(fx.people.traveler);
        const pending = await fx.newRequest(fx.people.traveler);
        await ok(traveler, pending.id, 'submit');
        const approved = await fx.newRequest(fx.people.traveler);
        await ok(traveler, approved.id, 'submit');
        await ok(manager, approved.id, 'approve');
        const canceled = await fx.newRequest(fx.people.traveler);
        await ok(traveler, canceled.id, 'cancel');
        const closed = await fx.newRequest(fx.people.traveler);
        await ok(traveler, closed.id, 'submit');
        await ok(manager, closed.id, 'approve');
        await ok(traveler, closed.id, 'close');

        const refused: Array<[RequestApi, any, string, number]> = [
          [manager, draft, 'approve', 403],
          [traveler, draft, 'approve', 409],
          [manager, draft, 'sendback', 403],
          [traveler, draft, 'recall', 409],
          [traveler, draft, 'close', 409],
          [traveler, draft, 'reopen', 409],
          [traveler, pending, 'submit', 409],
          [traveler, pending, 'close', 409],
          [traveler, pending, 'reopen', 409],
          [traveler, approved, 'recall', 409],
          [traveler, approved, 'submit', 409],
          [traveler, approved, 'reopen', 409],
          [manager, approved, 'approve', 403],
          [manager, approved, 'sendback', 403],
          [traveler, canceled, 'cancel', 409],
          [traveler, canceled, 'submit', 409],
          [traveler, canceled, 'recall', 409],
          [traveler, closed, 'close', 409],
          [traveler, closed, 'cancel', 409],
          [traveler, closed, 'submit', 409],
          [manager, pending, 'recall', 403],
          [manager, pending, 'cancel', 403],
          [manager, approved, 'close', 403],
          [manager, closed, 'reopen', 403],
          [company, pending, 'submit', 400],
        ];
        await changesNothing(async () => {
          for (const [api, request, action, status] of refused) {
            const answer = await api.action(request.id, action);
            assert.equal(answer.status, status, `${action} on ${request.name}: ${answer.text}`);
            assertConcurError(answer, status);
          }
        });
      });

      test('409 NO_APPROVER when the step has nobody to approve, and APPROVER_CUM_REPORTOWNER when it names the traveler', async () => {
        const loner = await fx.userApi(fx.people.loner);
        const noManager = await fx.newRequest(fx.people.loner);
        const emptyGroup = await fx.policy([{ roleCode: 'REQ_PROCESSOR1', approverType: 'GROUP', approverGroup: EMPTY_GROUP, notify: true, stepCode: 'TMC' }]);
        const selfGroup = await fx.policy([{ roleCode: 'REQ_PROCESSOR1', approverType: 'GROUP', approverGroup: SELF_GROUP, notify: true, stepCode: 'TMC' }]);
        const selfNamed = await fx.policy([{ roleCode: 'REQ_PROCESSOR3', approverType: 'USER', approverUserId: fx.people.traveler.id, notify: true, stepCode: 'AUD' }]);
        const thenEmpty = await fx.policy([
          { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'MGR' },
          { roleCode: 'REQ_PROCESSOR1', approverType: 'GROUP', approverGroup: EMPTY_GROUP, notify: true, stepCode: 'TMC' },
        ]);
        const inEmptyGroup = await fx.newRequest(fx.people.traveler, { policy: { id: emptyGroup.policyId } });
        const inSelfGroup = await fx.newRequest(fx.people.traveler, { policy: { id: selfGroup.policyId } });
        const namingSelf = await fx.newRequest(fx.people.traveler, { policy: { id: selfNamed.policyId } });
        const twoSteps = await fx.newRequest(fx.people.traveler, { policy: { id: thenEmpty.policyId } });
        await ok(traveler, twoSteps.id, 'submit');

        await changesNothing(async () => {
          assertConcurError(await loner.action(noManager.id, 'submit', { body: { comment: 'Please approve' } }), 409, 'NO_APPROVER');
          assertConcurError(await traveler.action(inEmptyGroup.id, 'submit'), 409, 'NO_APPROVER');
          assertConcurError(await traveler.action(inSelfGroup.id, 'submit'), 409, 'NO_APPROVER');
          assertConcurError(await traveler.action(namingSelf.id, 'submit'), 409, 'APPROVER_CUM_REPORTOWNER');
          assertConcurError(await manager.action(twoSteps.id, 'approve', { body: { comment: 'Fine by me' } }), 409, 'NO_APPROVER');
        });
        const stillDraft = await loner.get(noManager.id);
        assert.equal(stillDraft.body.approvalStatus.code, 'NOT_SUBMITTED');
        assert.equal(stillDraft.body.submitDate, undefined);
        const stillAtManager = await manager.get(twoSteps.id);
        assert.equal(stillAtManager.body.approver.id, fx.people.manager.id);
      });
    });

    describe('identifiers, bodies and other companies', () => {
      test("another company's requests are 404 to this company's tokens, and vice versa", async () => {
        const theirs = await other.newRequest(other.people.traveler);
        const expense = await (await other.userApi(other.people.traveler)).addExpense(theirs.id, { expenseType: { id: 'HOTEL' }, transactionDate: '2031-07-01' });
        assert.equal(expense.status, 201, expense.text);
        const mine = await fx.newRequest(fx.people.traveler);
        await changesNothing(async () => {
          for (const api of [company, traveler, manager]) {
            assertConcurError(await api.get(theirs.id), 404, 'notFound');
            assertConcurError(await api.update(theirs.id, { name: 'Hijacked' }), 404, 'notFound');
            assertConcurError(await api.comments(theirs.id), 404, 'notFound');
            assertConcurError(await api.expenses(theirs.id), 404, 'notFound');
            assertConcurError(await api.call('GET', `/expenses/${expense.body.id}`), 404, 'notFound');
            assertConcurError(await api.addExpense(theirs.id, { expenseType: { id: 'TAXI' }, transactionDate: '2031-07-01' }), api === company ? 400 : 404);
            for (const action of ['submit', 'approve', 'sendback', 'recall', 'cancel', 'close', 'reopen']) {
              const answer = await api.action(theirs.id, action, { query: api === company ? { userId: fx.people.traveler.id } : {} });
              assertConcurError(answer, 404, 'notFound');
            }
          }
          assertConcurError(await traveler.remove(theirs.id), 404, 'notFound');
          assertConcurError(await company.remove(theirs.id, { userId: fx.people.traveler.id }), 404, 'notFound');
          assertConcurError(await (await other.companyApi()).get(mine.id), 404, 'notFound');
          assertConcurError(await (await other.userApi(other.people.traveler)).action(mine.id, 'submit'), 404, 'notFound');
        });
      });

      test('malformed request ids are 400; a well-formed unknown id is 404', async () => {
        const malformed = ['abc', 'ABCDEF0123456789ABCDEF012345678', 'ABCDEF0123456789ABCDEF01234567890', 'GHIJKL0123456789ABCDEF0123456789', '00000000-0000-4000-8000-000000000000'];
        await changesNothing(async () => {
          for (const id of malformed) {
            assertConcurError(await traveler.get(id), 400);
            assertConcurError(await traveler.update(id, { name: 'x' }), 400);
            assertConcurError(await traveler.remove(id), 400);
            assertConcurError(await traveler.action(id, 'submit'), 400);
            assertConcurError(await traveler.comments(id), 400);
            assertConcurError(await traveler.call('GET', `/expenses/${id}`), 400);
          }
          const unknown = 'ABCDEF0123456789ABCDEF0123456789';
          assertConcurError(await traveler.get(unknown), 404, 'notFound');
          assertConcurError(await traveler.action(unknown, 'submit'), 404, 'notFound');
          assertConcurError(await traveler.call('GET', `/expenses/${unknown}`), 404, 'notFound');
        });
      });

      test('malformed JSON is 400 invalidJson on every endpoint that takes a body', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await changesNothing(async () => {
          for (const rawBody of ['{', '{"name": }', 'nul', '{"name": "x"} trailing']) {
            assertConcurError(await traveler.create(undefined, {}, { rawBody }), 400, 'invalidJson');
            assertConcurError(await traveler.update(request.id, undefined, {}, { rawBody }), 400, 'invalidJson');
            assertConcurError(await traveler.action(request.id, 'submit', { rawBody }), 400, 'invalidJson');
            assertConcurError(await traveler.call('POST', `/requests/${request.id}/expenses`, { rawBody }), 400, 'invalidJson');
          }
        });
      });

      test('no token is 401 invalidUser; a user token of the other company is 404 here', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        const anonymous = requestApi(server.url, null, assertSwagger);
        assertConcurError(await anonymous.get(request.id), 401, 'invalidUser');
        assertConcurError(await anonymous.list(), 401, 'invalidUser');
        assertConcurError(await anonymous.action(request.id, 'submit'), 401, 'invalidUser');
        assertConcurError(await (await other.userApi(other.people.manager)).get(request.id), 404, 'notFound');
      });
    });

    describe('expected expenses, comments, policies and agencies', () => {
      test('expected expenses: created, listed and read one by one, in the swagger Expense shape', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        const added = await traveler.addExpense(request.id, { expenseType: { id: 'AIRFR' }, transactionDate: '2031-08-01', businessPurpose: 'Flight', isPaymentCardRelated: true });
        assert.equal(added.status, 201, added.text);
        assert.equal(added.body.expenseType.id, 'AIRFR');
        assert.equal(added.body.transactionDate, '2031-08-01');
        assert.equal(added.body.isPaymentCardRelated, true);
        assert.equal(added.body.parentRequest.id, request.id);
        const listed = await traveler.expenses(request.id);
        assert.deepEqual(listed.body, [added.body]);
        const one = await traveler.call('GET', `/expenses/${added.body.id}`);
        assert.deepEqual(one.body, added.body);
        const read = await traveler.get(request.id);
        assert.deepEqual(read.body.expenses, [{ id: added.body.id, href: added.body.href }]);
        await changesNothing(async () => {
          assertConcurError(await traveler.addExpense(request.id, { transactionDate: '2031-08-01' }), 400, 'missingRequiredField');
          assertConcurError(await traveler.addExpense(request.id, { expenseType: { id: 'AIRFR' }, transactionDate: '2031-08-01', isPaymentCardRelated: 'yes' }), 400);
          assertConcurError(await (await fx.userApi(fx.people.colleague)).addExpense(request.id, { expenseType: { id: 'AIRFR' }, transactionDate: '2031-08-01' }), 403);
        });
      });

      test('an expected expense without transactionDate (required by the swagger) is refused with missingRequiredField', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await changesNothing(async () => {
          assertConcurError(await traveler.addExpense(request.id, { expenseType: { id: 'AIRFR' } }), 400, 'missingRequiredField');
        });
      });

      test('a request with priced expected expenses shows its amounts in the swagger Amount shape', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        const added = await traveler.addExpense(request.id, { expenseType: { id: 'HOTEL' }, transactionDate: '2031-08-02', transactionAmount: { value: 480.5, currency: 'EUR' } });
        assert.equal(added.status, 201, added.text);
        assert.deepEqual(added.body.transactionAmount, { value: 480.5, currency: 'EUR' });
        const read = await traveler.get(request.id);
        assert.equal(read.body.totalRemainingAmount?.value, 480.5);
        const submitted = await ok(traveler, request.id, 'submit');
        assert.equal(submitted.totalRemainingAmount?.currency, 'EUR');
        const approved = await ok(manager, request.id, 'approve');
        assert.deepEqual(approved.totalApprovedAmount, { value: 480.5, currency: 'EUR' });
      });

      test('expected expenses can be added only before submitting or after a send-back', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit');
        await changesNothing(async () => {
          const refused = await traveler.addExpense(request.id, { expenseType: { id: 'TAXI' }, transactionDate: '2031-08-03' });
          assert.ok(refused.status >= 400 && refused.status < 500);
        });
        await ok(manager, request.id, 'sendback');
        const added = await traveler.addExpense(request.id, { expenseType: { id: 'TAXI' }, transactionDate: '2031-08-03' });
        assert.equal(added.status, 201, added.text);
      });

      test('comments of a request are in the swagger Comment shape, oldest first', async () => {
        const request = await fx.newRequest(fx.people.traveler);
        await ok(traveler, request.id, 'submit', { body: { comment: 'Please approve' } });
        await ok(manager, request.id, 'approve', { query: { comment: 'OK' } });
        const comments = await traveler.comments(request.id);
        assert.deepEqual(
          comments.body.map((c: any) => [c.author.id, c.value]),
          [
            [fx.people.traveler.id, 'Please approve'],
            [fx.people.manager.id, 'OK'],
          ],
        );
        for (const comment of comments.body) assert.ok(!Number.isNaN(Date.parse(comment.creationDateTime)));
      });

      test('user policies and travel agencies', async () => {
        const policies = await traveler.call('GET', '/userpolicies');
        assert.equal(policies.status, 200, policies.text);
        assert.ok(policies.body.some((p: any) => p.id === fx.defaultPolicy.policyId));
        assert.ok(!policies.body.some((p: any) => p.id === other.defaultPolicy.policyId));
        const agency = await traveler.call('GET', `/travelagencies/${fx.agency.id}`);
        assert.equal(agency.status, 200, agency.text);
        assert.deepEqual(agency.body, { id: fx.agency.id, name: fx.agency.name, emailAddress: fx.agency.emailAddress });
        assertConcurError(await traveler.call('GET', `/travelagencies/${other.agency.id}`), 404, 'notFound');
        assertConcurError(await traveler.call('GET', '/travelagencies/nope'), 400);
      });
    });

    describe('a concurrent double approval', () => {
      for (const shape of ['the last step', 'a step followed by another'] as const) {
        test(`two members of a GROUP step approving ${shape} at once: exactly one 200, one transition, one event`, async () => {
          const steps: StepInput[] = [{ roleCode: 'REQ_PROCESSOR1', approverType: 'GROUP', approverGroup: TMC_GROUP, notify: true, stepCode: 'TMC' }];
          if (shape === 'a step followed by another') steps.push({ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'MGR' });
          const { policyId } = await fx.policy(steps);
          const agents = [await fx.userApi(fx.people.tmcAgent1), await fx.userApi(fx.people.tmcAgent2)];
          const db = server.patchbay.store.db;
          for (let round = 0; round < 6; round++) {
            const request = await fx.newRequest(fx.people.traveler, { policy: { id: policyId } });
            await ok(traveler, request.id, 'submit');
            const version = (await db.selectFrom('requests').select('version').where('id', '=', request.id).executeTakeFirstOrThrow()).version;
            const since = await fx.lastSeq();
            // The same agent twice in some rounds, two different agents in the others.
            const [a, b] = round % 3 === 2 ? [agents[0]!, agents[0]!] : [agents[0]!, agents[1]!];
            const answers = await Promise.all([a.action(request.id, 'approve', { body: { comment: 'First' } }), b.action(request.id, 'approve', { body: { comment: 'Second' } })]);
            const statuses = answers.map((answer) => answer.status).sort();
            assert.equal(statuses.filter((status) => status === 200).length, 1, `round ${round}: ${answers.map((answer) => `${answer.status} ${answer.text.slice(0, 200)}`).join(' | ')}`);
            const loser = answers.find((answer) => answer.status !== 200)!;
            assert.ok([403, 409].includes(loser.status), loser.text);
            assertConcurError(loser, loser.status);
            const events = await fx.eventsAfter(since);
            assert.equal(events.length, 1, `round ${round}: ${JSON.stringify(events.map((e) => e.payload.eventType))}`);
            assert.equal(events[0]!.payload.eventType, shape === 'the last step' ? 'statusChange.APPROVED' : 'statusChange.PENDING.RequestManager');
            const row = await db.selectFrom('requests').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
            assert.equal(row.version, version + 1, 'exactly one transition');
            assert.equal(row.status_code, shape === 'the last step' ? 'APPROVED' : 'SUBMITTED');
            const comments = await db.selectFrom('request_comments').select('value').where('request_id', '=', request.id).execute();
            assert.equal(comments.length, 1, 'only the winner\'s comment is kept');
          }
        });
      }

      test('the traveler recalling while the manager approves: exactly one of them happens, with one event', async () => {
        const db = server.patchbay.store.db;
        for (let round = 0; round < 6; round++) {
          const request = await fx.newRequest(fx.people.traveler);
          await ok(traveler, request.id, 'submit');
          const since = await fx.lastSeq();
          const [recall, approve] = await Promise.all([traveler.action(request.id, 'recall'), manager.action(request.id, 'approve')]);
          assert.equal([recall, approve].filter((answer) => answer.status === 200).length, 1, `round ${round}: recall ${recall.status} ${recall.text.slice(0, 200)} | approve ${approve.status} ${approve.text.slice(0, 200)}`);
          const events = await fx.eventsAfter(since);
          assert.equal(events.length, 1);
          const row = await db.selectFrom('requests').select(['status_code']).where('id', '=', request.id).executeTakeFirstOrThrow();
          assert.equal(row.status_code, recall.status === 200 ? 'SENTBACK' : 'APPROVED');
          assert.equal(events[0]!.payload.eventType, recall.status === 200 ? 'statusChange.SENTBACK' : 'statusChange.APPROVED');
        }
      });
    });
  });
}
