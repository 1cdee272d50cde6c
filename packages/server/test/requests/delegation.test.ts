/** Approval delegates: a delegate approves on a delegator's behalf only when the delegation exists. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import { createApplication } from '../../src/identity/applications.ts';
import { savePolicy, saveWorkflow, updateUserWorkflowFields } from '../../src/requests/workflow-admin.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`approval delegates [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database: await kind.create() });
    });
    after(async () => server?.close());

    test('delegatorUserId works for a configured delegate, with the delegate as actingUserId, and not for anyone else', async () => {
      const db = server.patchbay.store.db;
      const idOf = async (loginId: string) => (await db.selectFrom('users').select('id').where('login_id', '=', loginId).executeTakeFirstOrThrow()).id;
      const traveler = await server.addUser(server.companyId, ['EMPLOYEE']);
      const manager = await server.addUser(server.companyId, ['EMPLOYEE']);
      const delegate = await server.addUser(server.companyId, ['EMPLOYEE']);
      const [travelerId, managerId, delegateId] = [await idOf(traveler.loginId), await idOf(manager.loginId), await idOf(delegate.loginId)];
      await updateUserWorkflowFields(db, null, server.companyId, travelerId, { managerId });
      const workflow = await saveWorkflow(db, null, server.companyId, { name: 'Manager', steps: [{ roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'PENDMGRA' }] });
      await savePolicy(db, null, server.companyId, { name: 'Default', workflowId: workflow.id, isDefault: true });
      const { application, clientSecret } = await createApplication(db, null, { name: 'Delegation', grants: ['password'], scopes: ['travelrequest.write'], redirectUris: [] });
      const token = async (user: { loginId: string; password: string }) => {
        const response = await fetch(`${server.url}/oauth2/v0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: application.id, client_secret: clientSecret, username: user.loginId, password: user.password }) });
        return ((await response.json()) as { access_token: string }).access_token;
      };
      const call = async (user: { loginId: string; password: string }, method: string, path: string, body?: unknown) => {
        const response = await fetch(`${server.url}/travelrequest/v4${path}`, { method, headers: { authorization: `Bearer ${await token(user)}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: response.status, body: (await response.json()) as any };
      };
      const created = await call(traveler, 'POST', '/requests', { name: 'Delegated trip' });
      assert.equal((await call(traveler, 'POST', `/requests/${created.body.id}/submit`, {})).status, 200);

      const notYet = await call(delegate, 'POST', `/requests/${created.body.id}/approve?delegatorUserId=${managerId}`, {});
      assert.equal(notYet.status, 403);
      assert.equal(notYet.body.errors[0].errorCode, 'permissionDenied');
      const self = await call(traveler, 'POST', `/requests/${created.body.id}/approve?delegatorUserId=${managerId}`, {});
      assert.equal(self.status, 403);

      const admin = await signIn(server.url, server.operator);
      const set = await admin.put(`/api/companies/${server.companyId}/users/${managerId}/delegates`, { delegateIds: [delegateId] });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const approved = await call(delegate, 'POST', `/requests/${created.body.id}/approve?delegatorUserId=${managerId}`, {});
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.approvalStatus.code, 'APPROVED');
      const event = await db.selectFrom('events').select('payload').where('request_id', '=', created.body.id).where('event_type', '=', 'statusChange.APPROVED').executeTakeFirstOrThrow();
      assert.equal(JSON.parse(event.payload).facts.actingUserId, delegateId);
    });
  });
}
