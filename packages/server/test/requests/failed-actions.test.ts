/**
 * No failed call leaves a partial state or an orphan event, on SQLite and PostgreSQL: the `requests`,
 * `events`, `request_comments` and `request_expenses` rows are snapshotted around a batch of refused
 * workflow actions (each carrying a comment and a correlation id, so a half-done action would leave
 * a trace), refused creates, updates, deletes and expense additions, first one at a time and then all
 * at once. Afterwards the same requests still take their legitimate actions, and every event belongs
 * to a request whose version counts its transitions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/server.ts';
import { storeSuites } from '../support/stores.ts';
import { EMPTY_GROUP, EXTERNAL_WORKFLOW_WRITE, REQUEST_WRITE, createRequestFixture, type Answer, type RequestApi, type RequestFixture } from '../support/request-fixtures.ts';
import { assertSwagger } from './swagger.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`failed Request v4 calls leave nothing behind [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let fx: RequestFixture;
    let other: RequestFixture;
    /** Calls that must each fail with a 4xx, built once the requests exist. */
    let failing: Array<{ label: string; run: () => Promise<Answer> }>;
    let requests: Record<string, any>;
    let traveler: RequestApi;
    let manager: RequestApi;

    before(async () => {
      server = await startTestServer({ database: await kind.create() });
      fx = await createRequestFixture(server, { onAnswer: assertSwagger });
      const second = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: false, roles: ['EMPLOYEE'] });
      other = await createRequestFixture(server, { companyId: second.companyId, onAnswer: assertSwagger });
      traveler = await fx.userApi(fx.people.traveler);
      manager = await fx.userApi(fx.people.manager);
      const loner = await fx.userApi(fx.people.loner);
      const outsider = await fx.userApi(fx.people.outsider);
      const company = await fx.companyApi();
      const writeOnly = await fx.companyApi([REQUEST_WRITE]);
      const external = await fx.companyApi([EXTERNAL_WORKFLOW_WRITE]);
      const ok = async (api: RequestApi, id: string, action: string) => assert.equal((await api.action(id, action)).status, 200);

      const thenEmpty = await fx.policy([
        { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'MGR' },
        { roleCode: 'REQ_PROCESSOR1', approverType: 'GROUP', approverGroup: EMPTY_GROUP, notify: true, stepCode: 'TMC' },
      ]);
      const selfNamed = await fx.policy([{ roleCode: 'REQ_PROCESSOR3', approverType: 'USER', approverUserId: fx.people.traveler.id, notify: true, stepCode: 'AUD' }]);
      const externalFirst = await fx.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: fx.connectorId, notify: false }]);

      requests = {
        draft: await fx.newRequest(fx.people.traveler),
        pending: await fx.newRequest(fx.people.traveler),
        approved: await fx.newRequest(fx.people.traveler),
        closed: await fx.newRequest(fx.people.traveler),
        canceled: await fx.newRequest(fx.people.traveler),
        noManager: await fx.newRequest(fx.people.loner),
        beforeEmptyStep: await fx.newRequest(fx.people.traveler, { policy: { id: thenEmpty.policyId } }),
        namingSelf: await fx.newRequest(fx.people.traveler, { policy: { id: selfNamed.policyId } }),
        atExternal: await fx.newRequest(fx.people.traveler, { policy: { id: externalFirst.policyId } }),
        foreign: await other.newRequest(other.people.traveler),
      };
      await ok(traveler, requests.pending.id, 'submit');
      await ok(traveler, requests.approved.id, 'submit');
      await ok(manager, requests.approved.id, 'approve');
      await ok(traveler, requests.closed.id, 'submit');
      await ok(manager, requests.closed.id, 'approve');
      await ok(traveler, requests.closed.id, 'close');
      await ok(traveler, requests.canceled.id, 'cancel');
      await ok(traveler, requests.beforeEmptyStep.id, 'submit');
      await ok(traveler, requests.atExternal.id, 'submit');

      const r = requests;
      const commented = (comment: string) => ({ body: { comment }, headers: { 'concur-correlationid': randomUUID() } });
      const action = (label: string, api: RequestApi, request: any, name: string, extra: { query?: Record<string, string>; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) => ({
        label,
        run: () => api.action(request.id, name, { ...commented(`comment of: ${label}`), ...extra }),
      });
      failing = [
        action('approve a draft', manager, r.draft, 'approve'),
        action('owner approves a draft', traveler, r.draft, 'approve'),
        action('recall a draft', traveler, r.draft, 'recall'),
        action('reopen an open draft', traveler, r.draft, 'reopen'),
        action('close a draft', traveler, r.draft, 'close'),
        action('submit a pending request', traveler, r.pending, 'submit'),
        action('owner approves own request', traveler, r.pending, 'approve'),
        action('owner sends back own request', traveler, r.pending, 'sendback'),
        action('outsider approves', outsider, r.pending, 'approve'),
        action('approver recalls', manager, r.pending, 'recall'),
        action('approver cancels', manager, r.pending, 'cancel'),
        action('a write-only company token approves without userId', writeOnly, r.pending, 'approve'),
        action('external system approves an ordinary step', external, r.pending, 'approve'),
        action('reopen a pending request', traveler, r.pending, 'reopen'),
        action('recall an approved request', traveler, r.approved, 'recall'),
        action('approve an approved request', manager, r.approved, 'approve'),
        action('reopen an open approved request', traveler, r.approved, 'reopen'),
        action('cancel a closed request', traveler, r.closed, 'cancel'),
        action('close a closed request', traveler, r.closed, 'close'),
        action('submit a closed request', traveler, r.closed, 'submit'),
        action('cancel a canceled request', traveler, r.canceled, 'cancel'),
        action('submit a canceled request', traveler, r.canceled, 'submit'),
        action('submit without a manager (NO_APPROVER)', loner, r.noManager, 'submit'),
        action('approve into an empty group (NO_APPROVER)', manager, r.beforeEmptyStep, 'approve'),
        action('submit to a step naming the traveler (APPROVER_CUM_REPORTOWNER)', traveler, r.namingSelf, 'submit'),
        action('a user approves at External Validation', manager, r.atExternal, 'approve'),
        action('a company token acting as a user approves at External Validation', company, r.atExternal, 'approve', { query: { userId: fx.people.manager.id } }),
        action('a write-only company token approves at External Validation', writeOnly, r.atExternal, 'sendback'),
        action("another company's request", traveler, r.foreign, 'submit'),
        action('an unknown action', traveler, r.draft, 'archive'),
        action('a bad correlation id', traveler, r.draft, 'submit', { headers: { 'concur-correlationid': 'nope' } }),
        action('an over-long comment', traveler, r.draft, 'submit', { body: { comment: 'x'.repeat(2_001) } }),
        action('malformed JSON', traveler, r.draft, 'submit', { rawBody: '{"comment":' }),
        action('an unknown userId', company, r.draft, 'submit', { query: { userId: randomUUID() } }),
        action('another company in companyId', traveler, r.draft, 'submit', { query: { companyId: other.companyId } }),
        { label: 'create with an id', run: () => traveler.create({ id: 'ABCDEF0123456789ABCDEF0123456789', name: 'x' }) },
        { label: 'create without a name', run: () => traveler.create({ businessPurpose: 'x' }) },
        { label: "create with another company's agency", run: () => traveler.create({ name: 'x', travelAgency: { id: other.agency.id } }) },
        { label: 'create with an unknown policy', run: () => traveler.create({ name: 'x', policy: { id: 'ABCDEF0123456789ABCDEF0123456789' } }) },
        { label: 'create for nobody with a company token', run: () => company.create({ name: 'x' }) },
        { label: 'update a submitted request', run: () => traveler.update(r.pending.id, { name: 'changed' }) },
        { label: 'update clearing the name', run: () => traveler.update(r.draft.id, { name: null, businessPurpose: 'changed' }) },
        { label: 'update with a mismatched id', run: () => traveler.update(r.draft.id, { id: 'ABCDEF0123456789ABCDEF0123456789', name: 'changed' }) },
        { label: "update with another company's agency", run: () => traveler.update(r.draft.id, { name: 'changed', travelAgency: { id: other.agency.id } }) },
        { label: 'update by an outsider', run: () => outsider.update(r.draft.id, { name: 'changed' }) },
        { label: 'delete a submitted request', run: () => traveler.remove(r.pending.id) },
        { label: 'delete an approved request', run: () => traveler.remove(r.approved.id) },
        { label: "delete someone else's draft", run: () => manager.remove(r.draft.id) },
        { label: 'add an expense to a submitted request', run: () => traveler.addExpense(r.pending.id, { expenseType: { id: 'TAXI' }, transactionDate: '2031-01-01' }) },
        { label: "add an expense to someone else's draft", run: () => manager.addExpense(r.draft.id, { expenseType: { id: 'TAXI' }, transactionDate: '2031-01-01' }) },
        { label: 'add an expense without a type', run: () => traveler.addExpense(r.draft.id, { transactionDate: '2031-01-01' }) },
      ];
    });
    after(async () => server?.close());

    const expectFailure = (label: string, answer: Answer) => {
      assert.ok(answer.status >= 400 && answer.status < 500, `${label} should fail with a 4xx: ${answer.status} ${answer.text.slice(0, 300)}`);
      assert.ok(Array.isArray(answer.body?.errors), `${label}: Concur's error shape`);
    };

    test('one at a time: every refused call leaves every row as it was', async () => {
      const before = await fx.snapshot();
      for (const { label, run } of failing) {
        const ahead = await fx.snapshot();
        expectFailure(label, await run());
        assert.deepEqual(await fx.snapshot(), ahead, `${label} changed the store`);
      }
      assert.deepEqual(await fx.snapshot(), before);
    });

    test('all at once: the whole batch, concurrently, leaves every row as it was', async () => {
      const before = await fx.snapshot();
      const answers = await Promise.all(failing.map(({ run }) => run()));
      answers.forEach((answer, index) => expectFailure(failing[index]!.label, answer));
      assert.deepEqual(await fx.snapshot(), before);
    });

    test('afterwards the same requests still take their legitimate actions, each with one event', async () => {
      const steps: Array<[RequestApi, any, string]> = [
        [manager, requests.pending, 'approve'],
        [traveler, requests.approved, 'close'],
        [traveler, requests.closed, 'reopen'],
        [traveler, requests.canceled, 'close'],
        [traveler, requests.draft, 'submit'],
        [await fx.companyApi([EXTERNAL_WORKFLOW_WRITE]), requests.atExternal, 'approve'],
        [traveler, requests.beforeEmptyStep, 'recall'],
      ];
      for (const [api, request, action] of steps) {
        const since = await fx.lastSeq();
        const answer = await api.action(request.id, action);
        assert.equal(answer.status, 200, `${action} ${request.name}: ${answer.text}`);
        assert.equal((await fx.eventsAfter(since)).length, 1);
      }
      const deleted = await (await fx.userApi(fx.people.loner)).remove(requests.noManager.id);
      assert.equal(deleted.status, 200, deleted.text);
    });

    test('no orphan event: every event belongs to an existing request, and a request never has more events than transitions', async () => {
      const db = server.patchbay.store.db;
      const rows = await db.selectFrom('requests').select(['id', 'version', 'company_id']).execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      const counts = new Map<string, number>();
      for (const event of await fx.events()) {
        const request = byId.get(event.requestId);
        assert.ok(request, `event ${event.id} has no request ${event.requestId}`);
        assert.equal(event.companyId, request.company_id);
        assert.equal(event.payload.facts.id, event.requestId);
        counts.set(event.requestId, (counts.get(event.requestId) ?? 0) + 1);
      }
      for (const [id, count] of counts) assert.ok(count <= byId.get(id)!.version - 1, `request ${id}: ${count} events for ${byId.get(id)!.version - 1} changes`);
      const comments = await db.selectFrom('request_comments').select(['request_id', 'value']).execute();
      for (const comment of comments) {
        assert.ok(byId.has(comment.request_id));
        assert.ok(!comment.value.startsWith('comment of: '), `a refused action left its comment: ${comment.value}`);
      }
    });
  });
}
