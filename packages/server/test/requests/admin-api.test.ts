/**
 * The Request admin API over real HTTP, on SQLite and PostgreSQL: workflows and their steps, Request
 * policies, travel agencies, approver groups, users' managers, the event log with its filters and
 * paging, and the console's Request routes (create, list, edit, act) that run the Request v4 product
 * functions for the signed-in user. Bad input is a 400 naming the field, another company is a 404, a
 * missing permission a 403.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type Credentials, type TestServer } from '../support/server.ts';
import { anonymous, signIn, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';

const HEX32 = /^[0-9A-F]{32}$/;

for (const { kind, skip } of await storeSuites()) {
  describe(`Request admin API [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let admin: ApiClient;
    let base: string;
    let ids: Record<'admin' | 'traveler' | 'manager' | 'colleague' | 'employee', string>;
    let managerName: string;
    let users: Record<'traveler' | 'manager' | 'colleague' | 'employee', Credentials>;
    let otherCompany: { companyId: string; user: Credentials };

    before(async () => {
      server = await startTestServer({ database: await kind.create() });
      const adminCredentials = await server.addUser(server.companyId, ['REQUEST_ADMIN']);
      users = {
        traveler: await server.addUser(server.companyId, ['EMPLOYEE']),
        manager: await server.addUser(server.companyId, ['EMPLOYEE']),
        colleague: await server.addUser(server.companyId, ['EMPLOYEE']),
        employee: await server.addUser(server.companyId, ['EMPLOYEE', 'EXPENSE_ADMIN']),
      };
      otherCompany = await server.addCompany({ edition: 'STANDARD', developmentPartner: false, roles: ['REQUEST_ADMIN'] });
      admin = await signIn(server.url, adminCredentials);
      base = `/api/companies/${server.companyId}`;
      const listed = await admin.get(`${base}/workflow-users`);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const idOf = (credentials: Credentials) => listed.body.items.find((user: any) => user.loginId === credentials.loginId).id as string;
      ids = {
        admin: idOf(adminCredentials),
        traveler: idOf(users.traveler),
        manager: idOf(users.manager),
        colleague: idOf(users.colleague),
        employee: idOf(users.employee),
      };
      managerName = listed.body.items.find((user: any) => user.id === ids.manager).name;
    });
    after(async () => {
      await server?.close();
    });

    const managerStep = { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' };

    /** A workflow with one manager step and a default policy assigning it; returns both. */
    async function setUpManagerWorkflow(name: string): Promise<{ workflow: any; policy: any }> {
      const workflow = await admin.post(`${base}/workflows`, { name, approvedStepCode: 'REQAPPR', steps: [managerStep] });
      assert.equal(workflow.status, 201, JSON.stringify(workflow.body));
      const policy = await admin.post(`${base}/request-policies`, { name: `${name} policy`, workflowId: workflow.body.id, isDefault: true });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));
      const manager = await admin.patch(`${base}/users/${ids.traveler}/workflow`, { managerId: ids.manager });
      assert.equal(manager.status, 200, JSON.stringify(manager.body));
      return { workflow: workflow.body, policy: policy.body };
    }

    test('workflows: create, list, read and replace, with ordered steps, notify flags and Step Codes', async () => {
      const created = await admin.post(`${base}/workflows`, {
        name: 'Standard travel',
        approvedStepCode: 'REQAPPR',
        steps: [
          managerStep,
          { roleCode: 'REQ_PROCESSOR1', approverType: 'USER', approverUserId: ids.colleague, notify: true, stepCode: 'TMCUPD', statusKey: '002003' },
          { roleCode: 'CUSTOM', customRole: 'TravelDesk', approverType: 'GROUP', approverGroup: 'Travel desk', notify: false },
        ],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const workflow = created.body;
      assert.match(workflow.id, /^[0-9a-f-]{36}$/);
      assert.equal(workflow.name, 'Standard travel');
      assert.equal(workflow.approvedStepCode, 'REQAPPR');
      assert.deepEqual(
        workflow.steps.map((step: any) => [step.position, step.roleCode, step.approverType, step.notify, step.stepCode, step.statusKey, step.name]),
        [
          [1, 'REQ_MANAGER', 'MANAGER', true, 'PENDMGRA', 'Q_PEND', 'Pending Request Manager Approval'],
          [2, 'REQ_PROCESSOR1', 'USER', true, 'TMCUPD', '002003', 'Pending Travel Agency Update'],
          [3, 'CUSTOM', 'GROUP', false, null, '002100', 'Pending TravelDesk'],
        ],
      );
      assert.equal(workflow.steps[1].approverUserId, ids.colleague);
      assert.equal(workflow.steps[2].customRole, 'TravelDesk');
      assert.equal(workflow.steps[2].approverGroup, 'Travel desk');

      const listed = await admin.get(`${base}/workflows`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.items.find((item: any) => item.id === workflow.id), workflow);
      const fetched = await admin.get(`${base}/workflows/${workflow.id}`);
      assert.deepEqual(fetched.body, workflow);

      const replaced = await admin.put(`${base}/workflows/${workflow.id}`, { name: 'Standard travel v2', steps: [{ ...managerStep, stepCode: 'MGR2' }] });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.equal(replaced.body.id, workflow.id);
      assert.equal(replaced.body.name, 'Standard travel v2');
      assert.equal(replaced.body.approvedStepCode, null);
      assert.deepEqual(replaced.body.steps.map((step: any) => step.stepCode), ['MGR2']);
      assert.deepEqual((await admin.get(`${base}/workflows/${workflow.id}`)).body, replaced.body);
    });

    test('workflows: bad input is a 400 naming the field and writes nothing', async () => {
      const count = async () => (await admin.get(`${base}/workflows`)).body.items.length;
      const before = await count();
      const cases: Array<[unknown, string]> = [
        [{ name: 'X', steps: [{ ...managerStep, roleCode: 'REQ_BOSS' }] }, 'steps.0.roleCode'],
        [{ name: 'X', steps: [managerStep, { ...managerStep, stepCode: 'has spaces' }] }, 'steps.1.stepCode'],
        [{ name: 'X', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'USER', approverUserId: crypto.randomUUID(), notify: true }] }, 'steps.0.approverUserId'],
        [{ name: 'X', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'USER', approverUserId: 'not-a-uuid', notify: true }] }, 'steps.0.approverUserId'],
        [{ name: 'X', steps: [{ roleCode: 'CUSTOM', approverType: 'MANAGER', notify: true }] }, 'steps.0.customRole'],
        [{ name: 'X', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'CONNECTOR', connectorId: crypto.randomUUID(), notify: true }] }, 'steps.0.approverType'],
        [{ name: 'X', steps: [{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: crypto.randomUUID(), notify: true }] }, 'steps.0.connectorId'],
        [{ name: 'X', steps: [{ roleCode: 'REQ_PROCESSOR1', approverType: 'MANAGER', notify: true, statusKey: 'abc' }] }, 'steps.0.statusKey'],
        [{ name: 'X', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'GROUP', approverGroup: 'bad/name', notify: true }] }, 'steps.0.approverGroup'],
        [{ name: 'X', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER' }] }, 'steps.0.notify'],
        [{ name: 'X', steps: [{ ...managerStep, extra: 1 }] }, 'steps.0.extra'],
        [{ name: 'X', approvedStepCode: 'no way!', steps: [] }, 'approvedStepCode'],
        [{ name: '   ', steps: [] }, 'name'],
        [{ steps: [] }, 'name'],
        [{ name: 'X' }, 'steps'],
        [{ name: 'X', steps: [], id: 'mine' }, 'id'],
      ];
      for (const [body, field] of cases) {
        const response = await admin.post(`${base}/workflows`, body);
        assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.status} ${JSON.stringify(response.body)}`);
        assert.equal(response.body.error.code, 'validation_failed');
        assert.equal(response.body.error.field, field, JSON.stringify(response.body));
      }
      assert.equal(await count(), before, 'no workflow was created by a refused request');

      const existing = (await admin.post(`${base}/workflows`, { name: 'Kept', steps: [managerStep] })).body;
      const refused = await admin.put(`${base}/workflows/${existing.id}`, { name: 'Changed', steps: [managerStep, { ...managerStep, roleCode: 'NOPE' }] });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.field, 'steps.1.roleCode');
      const unchanged = (await admin.get(`${base}/workflows/${existing.id}`)).body;
      assert.equal(unchanged.name, 'Kept');
      assert.equal(unchanged.steps.length, 1);

      assert.equal((await admin.get(`${base}/workflows/${crypto.randomUUID()}`)).status, 404);
      assert.equal((await admin.put(`${base}/workflows/${crypto.randomUUID()}`, { name: 'X', steps: [] })).status, 404);
      const badId = await admin.get(`${base}/workflows/not-a-uuid`);
      assert.equal(badId.status, 400);
      assert.equal(badId.body.error.field, 'workflowId');
    });

    test('Request policies: one default at a time, workflows of this company only', async () => {
      const workflow = (await admin.post(`${base}/workflows`, { name: 'Policy workflow', steps: [managerStep] })).body;
      const first = await admin.post(`${base}/request-policies`, { name: 'Domestic', workflowId: workflow.id, isDefault: true });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.match(first.body.id, HEX32);
      assert.deepEqual({ ...first.body, id: undefined }, { id: undefined, name: 'Domestic', workflowId: workflow.id, isDefault: true });
      const second = await admin.post(`${base}/request-policies`, { name: 'International', workflowId: workflow.id, isDefault: true });
      const listed = (await admin.get(`${base}/request-policies`)).body.items;
      assert.equal(listed.find((p: any) => p.id === first.body.id).isDefault, false, 'the new default replaced the old one');
      assert.equal(listed.find((p: any) => p.id === second.body.id).isDefault, true);

      const renamed = await admin.put(`${base}/request-policies/${first.body.id.toLowerCase()}`, { name: 'Domestic (US)', workflowId: workflow.id, isDefault: false });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(renamed.body.name, 'Domestic (US)');
      assert.equal(renamed.body.id, first.body.id);

      const otherAdmin = await signIn(server.url, otherCompany.user);
      const foreignWorkflow = (await otherAdmin.post(`/api/companies/${otherCompany.companyId}/workflows`, { name: 'Theirs', steps: [] })).body;
      const foreign = await admin.post(`${base}/request-policies`, { name: 'Foreign', workflowId: foreignWorkflow.id, isDefault: false });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.error.field, 'workflowId');
      const badBody = await admin.post(`${base}/request-policies`, { name: 'No flag', workflowId: workflow.id });
      assert.equal(badBody.status, 400);
      assert.equal(badBody.body.error.field, 'isDefault');
      const badId = await admin.put(`${base}/request-policies/xyz`, { name: 'X', workflowId: workflow.id, isDefault: false });
      assert.equal(badId.status, 400);
      assert.equal(badId.body.error.field, 'policyId');
      const missing = await admin.put(`${base}/request-policies/${'A'.repeat(32)}`, { name: 'X', workflowId: workflow.id, isDefault: true });
      assert.equal(missing.status, 404);
      // The refused change rolled back: the default is still International.
      const after = (await admin.get(`${base}/request-policies`)).body.items;
      assert.equal(after.find((p: any) => p.id === second.body.id).isDefault, true);
    });

    test('travel agencies: add and list; bad e-mail and unknown application are 400s', async () => {
      const created = await admin.post(`${base}/travel-agencies`, { name: 'Acme Travel', emailAddress: 'desk@acme-travel.example' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.id, HEX32);
      assert.equal(created.body.appId, null);
      const listed = await admin.get(`${base}/travel-agencies`);
      assert.deepEqual(listed.body.items.find((a: any) => a.id === created.body.id), created.body);
      const badEmail = await admin.post(`${base}/travel-agencies`, { name: 'X', emailAddress: 'not an address' });
      assert.equal(badEmail.status, 400);
      assert.equal(badEmail.body.error.field, 'emailAddress');
      const badApp = await admin.post(`${base}/travel-agencies`, { name: 'X', emailAddress: 'x@example.com', appId: 'no-such-app' });
      assert.equal(badApp.status, 400);
      assert.equal(badApp.body.error.field, 'appId');
    });

    test('approver groups: replace members, list, and refuse users of other companies', async () => {
      const set = await admin.put(`${base}/approver-groups/${encodeURIComponent('Travel desk')}`, { userIds: [ids.colleague, ids.manager, ids.colleague] });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body, { name: 'Travel desk', userIds: [ids.colleague, ids.manager] });
      const listed = (await admin.get(`${base}/approver-groups`)).body.items.find((g: any) => g.name === 'Travel desk');
      assert.deepEqual([...listed.userIds].sort(), [ids.colleague, ids.manager].sort());

      const otherAdmin = await signIn(server.url, otherCompany.user);
      const otherUsers = (await otherAdmin.get(`/api/companies/${otherCompany.companyId}/workflow-users`)).body.items;
      const foreign = await admin.put(`${base}/approver-groups/Auditors`, { userIds: [otherUsers[0].id] });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.error.field, 'userIds');
      const badName = await admin.put(`${base}/approver-groups/${encodeURIComponent('no/slash?')}`, { userIds: [] });
      assert.equal(badName.status, 400);
      const badIds = await admin.put(`${base}/approver-groups/Auditors`, { userIds: ['nope'] });
      assert.equal(badIds.status, 400);
      assert.equal(badIds.body.error.field, 'userIds.0');

      const emptied = await admin.put(`${base}/approver-groups/${encodeURIComponent('Travel desk')}`, { userIds: [] });
      assert.deepEqual(emptied.body, { name: 'Travel desk', userIds: [] });
      assert.equal((await admin.get(`${base}/approver-groups`)).body.items.some((g: any) => g.name === 'Travel desk'), false);
    });

    test('users: set and clear a manager, employee ID and test flag; bad input is refused', async () => {
      const set = await admin.patch(`${base}/users/${ids.colleague}/workflow`, { managerId: ids.manager, employeeId: 'E-1001', isTest: true });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual({ ...set.body, loginId: undefined, name: undefined }, { id: ids.colleague, loginId: undefined, name: undefined, managerId: ids.manager, employeeId: 'E-1001', isTest: true });
      const listed = (await admin.get(`${base}/workflow-users`)).body.items.find((u: any) => u.id === ids.colleague);
      assert.deepEqual(listed, set.body);
      const cleared = await admin.patch(`${base}/users/${ids.colleague}/workflow`, { managerId: null, isTest: false });
      assert.equal(cleared.body.managerId, null);
      assert.equal(cleared.body.employeeId, 'E-1001');
      assert.equal(cleared.body.isTest, false);

      const self = await admin.patch(`${base}/users/${ids.colleague}/workflow`, { managerId: ids.colleague });
      assert.equal(self.status, 400);
      assert.equal(self.body.error.field, 'managerId');
      const unknownManager = await admin.patch(`${base}/users/${ids.colleague}/workflow`, { managerId: crypto.randomUUID() });
      assert.equal(unknownManager.status, 400);
      assert.equal(unknownManager.body.error.field, 'managerId');
      const extra = await admin.patch(`${base}/users/${ids.colleague}/workflow`, { roles: ['COMPANY_ADMIN'] });
      assert.equal(extra.status, 400);
      assert.equal(extra.body.error.field, 'roles');
      const wrongType = await admin.patch(`${base}/users/${ids.colleague}/workflow`, { isTest: 'yes' });
      assert.equal(wrongType.status, 400);
      assert.equal(wrongType.body.error.field, 'isTest');
      const otherAdmin = await signIn(server.url, otherCompany.user);
      const otherUser = (await otherAdmin.get(`/api/companies/${otherCompany.companyId}/workflow-users`)).body.items[0].id;
      assert.equal((await admin.patch(`${base}/users/${otherUser}/workflow`, { isTest: true })).status, 404);
      assert.equal((await admin.patch(`${base}/users/${crypto.randomUUID()}/workflow`, { isTest: true })).status, 404);
    });

    test('permissions: 401 signed out, 403 without the Request admin permission, 404 for other companies; operators may', async () => {
      const workflow = (await admin.post(`${base}/workflows`, { name: 'Permissions', steps: [] })).body;
      const policyId = (await admin.post(`${base}/request-policies`, { name: 'Permissions', workflowId: workflow.id, isDefault: false })).body.id;
      const calls: Array<[string, string, unknown?]> = [
        ['POST', `${base}/workflows`, { name: 'X', steps: [] }],
        ['GET', `${base}/workflows/${workflow.id}`],
        ['PUT', `${base}/workflows/${workflow.id}`, { name: 'X', steps: [] }],
        ['POST', `${base}/request-policies`, { name: 'X', workflowId: workflow.id, isDefault: false }],
        ['PUT', `${base}/request-policies/${policyId}`, { name: 'X', workflowId: workflow.id, isDefault: false }],
        ['GET', `${base}/travel-agencies`],
        ['POST', `${base}/travel-agencies`, { name: 'X', emailAddress: 'x@example.com' }],
        ['GET', `${base}/approver-groups`],
        ['PUT', `${base}/approver-groups/Group`, { userIds: [] }],
        ['GET', `${base}/workflow-users`],
        ['GET', `${base}/workflow-connectors`],
        ['PATCH', `${base}/users/${ids.traveler}/workflow`, { isTest: false }],
        ['GET', `${base}/events`],
      ];
      const employee = await signIn(server.url, users.employee);
      const foreignAdmin = await signIn(server.url, otherCompany.user);
      const connectorAdmin = await signIn(server.url, server.admin);
      const nobody = anonymous(server.url);
      for (const [method, path, body] of calls) {
        const denied = await employee.request(method, path, body);
        assert.equal(denied.status, 403, `${method} ${path} as an employee → ${denied.status}`);
        assert.equal(denied.body.error.code, 'permission_denied');
        assert.match(denied.body.error.message, /Request Administrator/);
        assert.equal((await connectorAdmin.request(method, path, body)).status, 403, `${method} ${path} as a Web Services Administrator`);
        const hidden = await foreignAdmin.request(method, path, body);
        assert.equal(hidden.status, 404, `${method} ${path} from another company → ${hidden.status}`);
        assert.equal(hidden.body.error.code, 'not_found');
        assert.equal((await nobody.request(method, path, body)).status, 401, `${method} ${path} signed out`);
      }
      // Reading: connector administrators (an Expense admin may manage connectors) see workflows, to tick
      // notification steps; a plain traveler does not. Every user sees the policies, to choose one.
      const traveler = await signIn(server.url, users.traveler);
      assert.equal((await traveler.get(`${base}/workflows`)).status, 403);
      assert.equal((await employee.get(`${base}/workflows`)).status, 200);
      assert.equal((await connectorAdmin.get(`${base}/workflows`)).status, 200);
      assert.equal((await employee.get(`${base}/request-policies`)).status, 200);
      assert.equal((await foreignAdmin.get(`${base}/request-policies`)).status, 404);
      assert.equal((await nobody.get(`${base}/workflows`)).status, 401);

      const operator = await signIn(server.url, server.operator);
      const token = (await operator.post('/api/tokens', { label: 'request admin test' })).body.token as string;
      const withToken = anonymous(server.url, { authorization: `Bearer ${token}` });
      const listed = await withToken.get(`${base}/workflows`);
      assert.equal(listed.status, 200);
      assert.ok(listed.body.items.some((item: any) => item.id === workflow.id));
      const created = await withToken.post(`${base}/travel-agencies`, { name: 'Operator agency', emailAddress: 'ops@example.com' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await withToken.get(`/api/companies/${crypto.randomUUID()}/workflows`)).status, 404);

      // A session without the CSRF token cannot write.
      const login = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(users.employee) });
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const csrf = await fetch(`${server.url}${base}/requests`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'No CSRF' }) });
      assert.equal(csrf.status, 403);
      assert.equal(((await csrf.json()) as any).error.code, 'csrf_token_invalid');
    });

    test('console Request routes: create, submit, approve and send back produce the seed\'s events, exactly as stored', async () => {
      const { policy } = await setUpManagerWorkflow('Events');
      const traveler = await signIn(server.url, users.traveler);
      const manager = await signIn(server.url, users.manager);
      const started = new Date().toISOString();

      const created = await traveler.post(`${base}/requests`, {
        name: 'Customer visit Berlin',
        businessPurpose: 'Quarterly review',
        startDate: '2026-03-02',
        endDate: '2026-03-05',
        mainDestination: { city: 'Berlin', countryCode: 'de' },
        comment: 'Hotel near the office, please.',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const one = created.body;
      assert.match(one.id, HEX32);
      assert.match(one.requestId, /^[A-Z2-9]{4,6}$/);
      assert.equal(one.href, `${server.url}/travelrequest/v4/requests/${one.id}`);
      assert.deepEqual(one.approvalStatus, { code: 'NOT_SUBMITTED', name: 'Not Submitted' });
      assert.deepEqual(one.mainDestination, { city: 'Berlin', countryCode: 'DE' });
      assert.equal(one.policy.id, policy.id);
      assert.deepEqual(one.operations.map((o: any) => o.rel), ['submit', 'cancel']);

      const submitted = await traveler.post(`${base}/requests/${one.id}/submit`, {});
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      assert.deepEqual(submitted.body.approvalStatus, { code: 'SUBMITTED', name: 'Pending Request Manager Approval' });
      assert.equal(submitted.body.approver.id, ids.manager);
      assert.deepEqual(submitted.body.operations.map((o: any) => o.rel), ['recall', 'cancel']);

      const two = (await traveler.post(`${base}/requests`, { name: 'Conference Lisbon' })).body;
      await traveler.post(`${base}/requests/${two.id}/submit`, {});

      const mine = await traveler.get(`${base}/requests?mine=1`);
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.items.slice(0, 2).map((r: any) => r.id), [two.id, one.id]);
      const toApprove = await manager.get(`${base}/requests?toApprove=1`);
      assert.deepEqual(new Set(toApprove.body.items.map((r: any) => r.id)), new Set([one.id, two.id]));
      assert.deepEqual((await traveler.get(`${base}/requests?toApprove=1`)).body.items, []);
      const asManager = await manager.get(`${base}/requests/${one.id}`);
      assert.deepEqual(asManager.body.operations.map((o: any) => o.rel), ['approve', 'sendback']);

      const approved = await manager.post(`${base}/requests/${one.id}/approve`, { comment: 'Enjoy the trip.' });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.deepEqual(approved.body.approvalStatus, { code: 'APPROVED', name: 'Approved' });
      const noComment = await manager.post(`${base}/requests/${two.id}/sendback`, {});
      assert.equal(noComment.status, 400);
      assert.equal(noComment.body.error.field, 'comment');
      const blank = await manager.post(`${base}/requests/${two.id}/sendback`, { comment: '   ' });
      assert.equal(blank.body.error.field, 'comment');
      const sentBack = await manager.post(`${base}/requests/${two.id}/sendback`, { comment: 'Add the conference fee.' });
      assert.equal(sentBack.status, 200, JSON.stringify(sentBack.body));
      assert.deepEqual(sentBack.body.approvalStatus, { code: 'SENTBACK', name: 'Sent Back' });
      assert.deepEqual((await manager.get(`${base}/requests?toApprove=1`)).body.items.filter((r: any) => [one.id, two.id].includes(r.id)), []);

      const comments = await traveler.get(`${base}/requests/${two.id}/comments`);
      assert.equal(comments.status, 200);
      assert.deepEqual(comments.body.items.map((c: any) => [c.authorId, c.value]), [[ids.manager, 'Add the conference fee.']]);
      assert.equal(comments.body.items[0].authorName, managerName);

      // The event log: newest first, each event exactly as the outbox stores it.
      const log = await admin.get(`${base}/events?from=${encodeURIComponent(started)}`);
      assert.equal(log.status, 200, JSON.stringify(log.body));
      assert.equal(log.body.nextBefore, null);
      assert.deepEqual(log.body.items.map((item: any) => [item.event.facts.id, item.event.eventType]), [
        [two.id, 'statusChange.SENTBACK'],
        [one.id, 'statusChange.APPROVED'],
        [two.id, 'statusChange.PENDING.RequestManager'],
        [one.id, 'statusChange.PENDING.RequestManager'],
      ]);
      const seqs = log.body.items.map((item: any) => item.seq);
      assert.deepEqual([...seqs].sort((a: number, b: number) => b - a), seqs);
      const stored = await server.patchbay.store.db.selectFrom('events').select(['seq', 'payload']).where('company_id', '=', server.companyId).execute();
      for (const item of log.body.items) {
        assert.equal(JSON.stringify(item.event), stored.find((row) => row.seq === item.seq)!.payload, 'the API shows the stored JSON unchanged');
      }
      const pending = log.body.items[3].event;
      assert.deepEqual(Object.keys(pending), ['id', 'correlationId', 'eventType', 'topic', 'timeStamp', 'data', 'subtopic', 'groups', 'scopes', 'facts']);
      assert.equal(pending.topic, 'public.concur.request');
      assert.equal(pending.facts.href, `${server.url}/travelrequest/v4/requests/${one.id}`);
      assert.equal(pending.facts.requestId, one.requestId);
      assert.equal(pending.facts.currentApprovalStatus, 'Q_PEND');
      assert.equal(pending.facts.stepCode, 'PENDMGRA');
      assert.equal(pending.facts.recipientId, ids.manager);
      assert.equal(pending.facts.userId, ids.traveler);
      assert.equal('actingUserId' in pending.facts, false, 'the owner acted');
      const approvedEvent = log.body.items[1].event;
      assert.equal(approvedEvent.facts.stepCode, 'REQAPPR');
      assert.equal(approvedEvent.facts.actingUserId, ids.manager);
      assert.equal(approvedEvent.facts.status, 'APPROVED');
      const sentBackEvent = log.body.items[0].event;
      assert.equal(sentBackEvent.facts.stepCode, 'SENDBACK');
      assert.equal(sentBackEvent.facts.isRecall, 'false');

      // Filters: by request (its id or the short Request ID), by type, by time; paging with before.
      const byId = await admin.get(`${base}/events?requestId=${one.id.toLowerCase()}`);
      assert.deepEqual(byId.body.items.map((item: any) => item.event.eventType), ['statusChange.APPROVED', 'statusChange.PENDING.RequestManager']);
      const byKey = await admin.get(`${base}/events?requestId=${two.requestId}`);
      assert.deepEqual(byKey.body.items.map((item: any) => item.event.eventType), ['statusChange.SENTBACK', 'statusChange.PENDING.RequestManager']);
      assert.deepEqual((await admin.get(`${base}/events?requestId=ZZZZ`)).body.items, []);
      const byType = await admin.get(`${base}/events?eventType=statusChange.PENDING.RequestManager&from=${encodeURIComponent(started)}`);
      assert.deepEqual(byType.body.items.map((item: any) => item.event.facts.id), [two.id, one.id]);
      const future = await admin.get(`${base}/events?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
      assert.deepEqual(future.body.items, []);
      const past = await admin.get(`${base}/events?to=${encodeURIComponent(started)}&requestId=${one.id}`);
      assert.deepEqual(past.body.items, []);
      const page1 = await admin.get(`${base}/events?limit=3&from=${encodeURIComponent(started)}`);
      assert.equal(page1.body.items.length, 3);
      assert.equal(page1.body.nextBefore, page1.body.items[2].seq);
      const page2 = await admin.get(`${base}/events?limit=3&from=${encodeURIComponent(started)}&before=${page1.body.nextBefore}`);
      assert.deepEqual(page2.body.items.map((item: any) => item.seq), [seqs[3]]);
      assert.equal(page2.body.nextBefore, null);

      // Other companies see none of these events.
      const otherAdmin = await signIn(server.url, otherCompany.user);
      assert.deepEqual((await otherAdmin.get(`/api/companies/${otherCompany.companyId}/events`)).body.items, []);
    });

    test('event log: bad query parameters are 400s naming the parameter', async () => {
      const cases: Array<[string, string]> = [
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=1&limit=2', 'limit'],
        ['before=-3', 'before'],
        ['before=abc', 'before'],
        ['from=yesterday', 'from'],
        ['from=2025-06-01', 'from'],
        ['to=2025-06-01T25:00:00Z', 'to'],
        ['from=2025-06-02T00:00:00Z&to=2025-06-01T00:00:00Z', 'to'],
        ['requestId=not-a-request-id!', 'requestId'],
        ['eventType=status%20change', 'eventType'],
        ['sort=asc', 'sort'],
      ];
      for (const [query, field] of cases) {
        const response = await admin.get(`${base}/events?${query}`);
        assert.equal(response.status, 400, `${query} → ${response.status}`);
        assert.equal(response.body.error.field, field, `${query}: ${JSON.stringify(response.body)}`);
      }
      const ok = await admin.get(`${base}/events?limit=200&from=2020-01-01T00:00:00.000Z&to=2999-01-01T00:00:00%2B02:00`);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    test('console Request routes: Concur errors in Concur\'s shape, bad input named, other companies hidden', async () => {
      await setUpManagerWorkflow('Errors');
      const traveler = await signIn(server.url, users.traveler);
      const colleague = await signIn(server.url, users.colleague);
      const draft = (await traveler.post(`${base}/requests`, { name: 'Draft' })).body;

      const ownApproval = await traveler.post(`${base}/requests/${draft.id}/approve`, {});
      assert.equal(ownApproval.status, 409, JSON.stringify(ownApproval.body));
      assert.equal(ownApproval.body.errors[0].errorCode, 'invalidWorkflowAction');
      const reopen = await traveler.post(`${base}/requests/${draft.id}/reopen`, {});
      assert.equal(reopen.status, 409);
      assert.equal(reopen.body.errors[0].errorCode, 'invalidWorkflowAction');
      assert.match(reopen.body.errors[0].errorMessage, /reopen is possible only when it is closed/);
      const notMine = await colleague.post(`${base}/requests/${draft.id}/submit`, {});
      assert.equal(notMine.status, 403);
      assert.equal(notMine.body.errors[0].errorCode, 'permissionDenied');
      const peek = await colleague.get(`${base}/requests/${draft.id}`);
      assert.equal(peek.status, 403);
      assert.equal(peek.body.errors[0].errorCode, 'userIsNotAllowed');
      assert.equal((await colleague.get(`${base}/requests/${draft.id}/comments`)).status, 403);
      const missing = await traveler.get(`${base}/requests/${'B'.repeat(32)}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.errors[0].errorCode, 'notFound');

      // The traveler has no manager: submitting is NO_APPROVER and produces no event.
      await admin.patch(`${base}/users/${ids.traveler}/workflow`, { managerId: null });
      const eventsBefore = (await admin.get(`${base}/events?requestId=${draft.id}`)).body.items.length;
      const noApprover = await traveler.post(`${base}/requests/${draft.id}/submit`, {});
      assert.equal(noApprover.status, 409);
      assert.equal(noApprover.body.errors[0].errorCode, 'NO_APPROVER');
      assert.equal((await admin.get(`${base}/events?requestId=${draft.id}`)).body.items.length, eventsBefore);
      assert.equal((await traveler.get(`${base}/requests/${draft.id}`)).body.approvalStatus.code, 'NOT_SUBMITTED');
      await admin.patch(`${base}/users/${ids.traveler}/workflow`, { managerId: ids.manager });

      const cases: Array<[string, unknown, string]> = [
        [`${base}/requests`, {}, 'name'],
        [`${base}/requests`, { name: '  ' }, 'name'],
        [`${base}/requests`, { name: 'X', startDate: '2026-02-30' }, 'startDate'],
        [`${base}/requests`, { name: 'X', startDate: '03/02/2026' }, 'startDate'],
        [`${base}/requests`, { name: 'X', startDate: '2026-03-05', endDate: '2026-03-01' }, 'endDate'],
        [`${base}/requests`, { name: 'X', mainDestination: { city: 'Paris' } }, 'mainDestination.countryCode'],
        [`${base}/requests`, { name: 'X', mainDestination: { city: 'Paris', countryCode: 'FRA' } }, 'mainDestination.countryCode'],
        [`${base}/requests`, { name: 'X', id: 'A'.repeat(32) }, 'id'],
        [`${base}/requests`, { name: 'X', policyId: 'nope' }, 'policyId'],
        [`${base}/requests/${draft.id}/submit`, { comment: 5 }, 'comment'],
        [`${base}/requests/${draft.id}/submit`, { note: 'x' }, 'note'],
        [`${base}/requests/${draft.id}/fly`, {}, 'action'],
        [`${base}/requests/short/submit`, {}, 'requestId'],
      ];
      for (const [path, body, field] of cases) {
        const response = await traveler.post(path, body);
        assert.equal(response.status, 400, `${path} ${JSON.stringify(body)} → ${response.status}`);
        assert.equal(response.body.error.field, field, `${path} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
      }
      const unknownPolicy = await traveler.post(`${base}/requests`, { name: 'X', policyId: 'C'.repeat(32) });
      assert.equal(unknownPolicy.status, 400);
      assert.equal(unknownPolicy.body.errors[0].errorCode, 'invalidPolicy');
      const listQuery = await traveler.get(`${base}/requests`);
      assert.equal(listQuery.status, 400);
      assert.equal(listQuery.body.error.field, 'mine');
      assert.equal((await traveler.get(`${base}/requests?mine=1&toApprove=1`)).status, 400);

      // Other companies' users get 404; operators, who make no requests, get 403.
      const foreign = await signIn(server.url, otherCompany.user);
      assert.equal((await foreign.get(`${base}/requests?mine=1`)).status, 404);
      assert.equal((await foreign.get(`${base}/requests/${draft.id}`)).status, 404);
      assert.equal((await foreign.post(`${base}/requests/${draft.id}/cancel`, {})).status, 404);
      const foreignOwn = await foreign.get(`/api/companies/${otherCompany.companyId}/requests/${draft.id}`);
      assert.equal(foreignOwn.status, 404, 'a request of another company is not found through one\'s own company either');
      const operator = await signIn(server.url, server.operator);
      const operatorList = await operator.get(`${base}/requests?mine=1`);
      assert.equal(operatorList.status, 403);
      assert.equal(operatorList.body.error.code, 'permission_denied');
    });

    test('console Request routes: recall, cancel, close and reopen as the request\'s operations allow', async () => {
      await setUpManagerWorkflow('Lifecycle');
      const traveler = await signIn(server.url, users.traveler);
      const request = (await traveler.post(`${base}/requests`, { name: 'Lifecycle' })).body;
      const act = async (action: string) => {
        const response = await traveler.post(`${base}/requests/${request.id}/${action}`, {});
        assert.equal(response.status, 200, `${action}: ${JSON.stringify(response.body)}`);
        return response.body;
      };
      await act('submit');
      const recalled = await act('recall');
      assert.equal(recalled.approvalStatus.code, 'SENTBACK');
      assert.deepEqual(recalled.operations.map((o: any) => o.rel), ['submit', 'cancel']);
      const canceled = await act('cancel');
      assert.equal(canceled.approvalStatus.code, 'CANCELED');
      assert.deepEqual(canceled.operations.map((o: any) => o.rel), ['close']);
      const closed = await act('close');
      assert.equal(closed.closed, true);
      assert.deepEqual(closed.operations.map((o: any) => o.rel), ['reopen']);
      const reopened = await act('reopen');
      assert.equal(reopened.closed, false);
      const events = (await admin.get(`${base}/events?requestId=${request.requestId}`)).body.items.map((item: any) => [item.event.eventType, item.event.facts.isRecall, item.event.facts.isClosed]);
      assert.deepEqual(events, [
        ['statusChange.CANCELED', 'false', 'false'],
        ['statusChange.CANCELED', 'false', 'true'],
        ['statusChange.CANCELED', 'false', 'false'],
        ['statusChange.SENTBACK', 'true', 'false'],
        ['statusChange.PENDING.RequestManager', 'false', 'false'],
      ]);
    });

    test('console Request routes: Edit Request (PUT) by the owner before submitting and after a send back; null clears a field', async () => {
      await setUpManagerWorkflow('Edit');
      const traveler = await signIn(server.url, users.traveler);
      const manager = await signIn(server.url, users.manager);
      const colleague = await signIn(server.url, users.colleague);
      const created = await traveler.post(`${base}/requests`, { name: 'Draft trip', businessPurpose: 'TBD', startDate: '2026-05-04', endDate: '2026-05-08', mainDestination: { city: 'Paris', countryCode: 'fr' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const path = `${base}/requests/${created.body.id}`;
      const eventCount = async () => (await admin.get(`${base}/events?requestId=${created.body.id}`)).body.items.length;

      // Only the fields given change; text is trimmed as on create.
      const edited = await traveler.put(path, { name: '  Contract signing Paris ', businessPurpose: 'Sign the 2026 framework contract', startTime: '09:30', endTime: '18:00' });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal(edited.body.id, created.body.id);
      assert.equal(edited.body.requestId, created.body.requestId);
      assert.equal(edited.body.name, 'Contract signing Paris');
      assert.equal(edited.body.businessPurpose, 'Sign the 2026 framework contract');
      assert.equal(edited.body.startDate, '2026-05-04');
      assert.equal(edited.body.endDate, '2026-05-08');
      assert.equal(edited.body.startTime, '09:30');
      assert.equal(edited.body.endTime, '18:00');
      assert.deepEqual(edited.body.mainDestination, { city: 'Paris', countryCode: 'FR' });
      assert.equal(edited.body.approvalStatus.code, 'NOT_SUBMITTED');
      assert.deepEqual(edited.body.operations.map((o: any) => o.rel), ['submit', 'cancel']);
      assert.ok(edited.body.lastModified >= created.body.lastModified);
      assert.deepEqual((await traveler.get(path)).body, edited.body, 'GET shows what PUT answered');

      // null clears a field (the business purpose and comment become empty, as Request v4 keeps them).
      const cleared = await traveler.put(path, { businessPurpose: null, endDate: null, endTime: null, mainDestination: null, comment: 'Aisle seat, please.' });
      assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
      assert.equal(cleared.body.businessPurpose, '');
      assert.equal(cleared.body.comment, 'Aisle seat, please.');
      assert.equal('endDate' in cleared.body, false);
      assert.equal('endTime' in cleared.body, false);
      assert.equal('mainDestination' in cleared.body, false);
      assert.equal(cleared.body.startDate, '2026-05-04');
      assert.equal(cleared.body.name, 'Contract signing Paris');

      // Dates stay in order against the stored other date; a refused edit changes nothing.
      assert.equal((await traveler.put(path, { endDate: '2026-05-06' })).status, 200);
      const cases: Array<[unknown, string]> = [
        [{ startDate: '2026-05-07' }, 'startDate'],
        [{ endDate: '2026-05-01' }, 'endDate'],
        [{ startDate: '2026-05-10', endDate: '2026-05-09' }, 'endDate'],
        [{ startDate: '2026-02-30' }, 'startDate'],
        [{ endDate: '05/06/2026' }, 'endDate'],
        [{ startTime: '25:00' }, 'startTime'],
        [{ endTime: '6pm' }, 'endTime'],
        [{ name: null }, 'name'],
        [{ name: '   ' }, 'name'],
        [{ businessPurpose: 'x'.repeat(256) }, 'businessPurpose'],
        [{ mainDestination: { city: 'Lyon' } }, 'mainDestination.countryCode'],
        [{ mainDestination: { city: 'Lyon', countryCode: 'FRA' } }, 'mainDestination.countryCode'],
        [{ policyId: 'C'.repeat(32) }, 'policyId'],
        [{ id: created.body.id }, 'id'],
      ];
      const beforeBad = (await traveler.get(path)).body;
      for (const [body, field] of cases) {
        const response = await traveler.put(path, body);
        assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.status}`);
        assert.equal(response.body.error.field, field, `${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
      }
      assert.deepEqual((await traveler.get(path)).body, beforeBad, 'refused edits change nothing');
      assert.equal((await traveler.put(`${base}/requests/short`, { name: 'X' })).body.error.field, 'requestId');
      const missing = await traveler.put(`${base}/requests/${'D'.repeat(32)}`, { name: 'X' });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.errors[0].errorCode, 'notFound');

      // Others: a colleague is refused in Concur's shape; other companies' users see nothing; operators make no requests.
      const notMine = await colleague.put(path, { name: 'Mine now' });
      assert.equal(notMine.status, 403, JSON.stringify(notMine.body));
      assert.equal(notMine.body.errors[0].errorCode, 'permissionDenied');
      const notPending = await manager.put(path, { name: 'Not yet mine to change' });
      assert.equal(notPending.status, 403, 'the manager is not the approver of a request that is not submitted');
      assert.equal(notPending.body.errors[0].errorCode, 'permissionDenied');
      const foreign = await signIn(server.url, otherCompany.user);
      assert.equal((await foreign.put(path, { name: 'Foreign' })).status, 404);
      assert.equal((await foreign.put(`/api/companies/${otherCompany.companyId}/requests/${created.body.id}`, { name: 'Foreign' })).status, 404);
      const operator = await signIn(server.url, server.operator);
      const operatorEdit = await operator.put(path, { name: 'Operator' });
      assert.equal(operatorEdit.status, 403);
      assert.equal(operatorEdit.body.error.code, 'permission_denied');
      assert.equal((await anonymous(server.url).put(path, { name: 'Anonymous' })).status, 401);
      assert.equal((await traveler.get(path)).body.name, 'Contract signing Paris');

      // Submitted: the owner can no longer edit (403 permissionDenied); the current approver may, as in Request v4.
      const submitted = await traveler.post(`${path}/submit`, {});
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      const locked = await traveler.put(path, { name: 'Too late' });
      assert.equal(locked.status, 403, JSON.stringify(locked.body));
      assert.equal(locked.body.errors[0].errorCode, 'permissionDenied');
      assert.match(locked.body.errors[0].errorMessage, /SUBMITTED/);
      assert.equal((await colleague.put(path, { name: 'Still not mine' })).status, 403);
      const byApprover = await manager.put(path, { comment: 'Checked the dates.' });
      assert.equal(byApprover.status, 200, JSON.stringify(byApprover.body));
      assert.equal(byApprover.body.approvalStatus.code, 'SUBMITTED');

      // Sent back: the owner edits and resubmits.
      assert.equal((await manager.post(`${path}/sendback`, { comment: 'Add the purpose again, please.' })).status, 200);
      const fixed = await traveler.put(path, { businessPurpose: 'Sign the 2026 framework contract' });
      assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
      assert.equal(fixed.body.approvalStatus.code, 'SENTBACK');
      assert.equal(fixed.body.businessPurpose, 'Sign the 2026 framework contract');
      assert.deepEqual(fixed.body.operations.map((o: any) => o.rel), ['submit', 'cancel']);
      const resubmitted = await traveler.post(`${path}/submit`, {});
      assert.equal(resubmitted.status, 200, JSON.stringify(resubmitted.body));
      assert.equal(resubmitted.body.approvalStatus.code, 'SUBMITTED');
      assert.equal(resubmitted.body.businessPurpose, 'Sign the 2026 framework contract');

      // Edits publish no events: only submit, send back and resubmit did.
      assert.equal(await eventCount(), 3);
      const canceled = await traveler.post(`${path}/cancel`, {});
      assert.equal(canceled.status, 200);
      assert.equal((await traveler.put(path, { name: 'After cancel' })).status, 403);
    });
  });
}
