/**
 * The application connector registry over real HTTP, against SQLite and PostgreSQL: register, modify,
 * Test Connection against real HTTPS connectors, services gated on Verified, no delete, deactivation,
 * the audit trail, secrets at rest, and bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createDevCa, selfSigned, startFakeConnector, type DevCa, type FakeConnector } from '../support/tls-fixture.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import { findUsableService } from '../../src/connectors/connectors.ts';
import { saveAttendeeType } from '../../src/callouts/attendee-types.ts';
import { saveWorkflow } from '../../src/requests/workflow-admin.ts';
import { createSecretBox, loadOrCreateSecretKey } from '../../src/security/secret-box.ts';

const USER = 'concur-connector-user';
const PASSWORD = 'Sup3r-Secret-Passw0rd!';

for (const { kind, skip } of await storeSuites()) {
  describe(`connector registry [${kind.name}]`, { skip }, () => {
    let ca: DevCa;
    let server: TestServer;
    let connector: FakeConnector;
    let admin: ApiClient;
    let base: string;

    before(async () => {
      ca = await createDevCa();
      server = await startTestServer({ extraCa: ca.caCert, database: await kind.create() });
      await server.addSafeHost('localhost');
      connector = await startFakeConnector({ tls: ca.issue(['localhost', '127.0.0.1']), userName: USER, password: PASSWORD });
      admin = await signIn(server.url, server.admin);
      base = `/api/companies/${server.companyId}/connectors`;
    });
    after(async () => {
      await connector?.close();
      await server?.close();
    });

    const register = async (overrides: Record<string, unknown> = {}) => {
      const response = await admin.post(base, { name: 'Attendee Directory', description: 'Looks up attendees in the CRM', hostName: connector.url, userName: USER, password: PASSWORD, ...overrides });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body;
    };

    test('registers a connector, unverified, with every service listed and no password in the answer', async () => {
      const created = await register();
      assert.equal(created.name, 'Attendee Directory');
      assert.equal(created.hostName, connector.url);
      assert.equal(created.userName, USER);
      assert.equal(created.verified, false);
      assert.equal(created.status, 'INACTIVE');
      assert.deepEqual(created.services.map((s: any) => s.label), ['Fetch Attendee', 'Fetch List', 'Send Notification', 'External Report Validation', 'Launch External URL']);
      assert.ok(!JSON.stringify(created).includes(PASSWORD));
      const listed = await admin.get(base);
      assert.ok(listed.body.items.some((c: any) => c.id === created.id));
      assert.ok(!JSON.stringify(listed.body).includes(PASSWORD));
      const fetched = await admin.get(`${base}/${created.id}`);
      assert.deepEqual(fetched.body, created);
    });

    test('stores the password encrypted with AES-256-GCM, never in plain text', async () => {
      const created = await register({ name: 'Encrypted' });
      const row = await server.patchbay.store.db.selectFrom('connectors').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
      assert.notEqual(row.password_encrypted, PASSWORD);
      assert.match(row.password_encrypted, /^v1\./);
      assert.ok(!row.password_encrypted.includes(PASSWORD));
      const key = loadOrCreateSecretKey(null, `${server.database.dataDir}/secret.key`);
      assert.equal(createSecretBox(key).open(row.password_encrypted), PASSWORD);
      if (server.database.location.kind === 'sqlite') {
        // Nothing in the database files, WAL included, holds the plaintext.
        for (const suffix of ['', '-wal']) {
          let bytes: Buffer;
          try {
            bytes = readFileSync(`${server.database.location.file}${suffix}`);
          } catch {
            continue;
          }
          assert.equal(bytes.indexOf(PASSWORD), -1, `plaintext password found in patchbay.db${suffix}`);
        }
      }
    });

    test('Test Connection with the right credentials marks the connector Verified', async () => {
      const created = await register({ name: 'Verified one' });
      const before = connector.requests.length;
      const tested = await admin.post(`${base}/${created.id}/test-connection`);
      assert.equal(tested.status, 200);
      assert.equal(tested.body.result.ok, true);
      assert.equal(tested.body.result.outcome, 'verified');
      assert.equal(tested.body.result.httpStatus, 200);
      assert.equal(tested.body.connector.verified, true);
      assert.ok(tested.body.connector.verifiedAt);
      const request = connector.requests[before]!;
      assert.equal(request.method, 'GET');
      assert.equal(request.path, '/system/v1.0/testconnection');
      assert.equal(request.headers.authorization, `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    });

    test('Test Connection with a wrong password reports invalid credentials and stays unverified', async () => {
      const created = await register({ name: 'Wrong password', password: 'not-the-right-one' });
      const tested = await admin.post(`${base}/${created.id}/test-connection`);
      assert.equal(tested.status, 200);
      assert.equal(tested.body.result.ok, false);
      assert.equal(tested.body.result.outcome, 'invalid_credentials');
      assert.equal(tested.body.result.httpStatus, 401);
      assert.match(tested.body.result.message, /user name or password/i);
      assert.equal(tested.body.connector.verified, false);
      assert.equal(tested.body.connector.lastTest.outcome, 'invalid_credentials');
    });

    test('Test Connection to a host that does not resolve reports the DNS failure', async () => {
      await server.addSafeHost('no-such-connector.invalid');
      const created = await register({ name: 'Wrong host', hostName: 'https://no-such-connector.invalid' });
      const tested = await admin.post(`${base}/${created.id}/test-connection`);
      assert.equal(tested.body.result.ok, false);
      assert.equal(tested.body.result.outcome, 'dns_failure');
      assert.match(tested.body.result.message, /no-such-connector\.invalid/);
    });

    test('Test Connection refuses a self-signed certificate', async () => {
      const selfSignedConnector = await startFakeConnector({ tls: await selfSigned(['localhost', '127.0.0.1']), userName: USER, password: PASSWORD });
      try {
        const created = await register({ name: 'Self-signed', hostName: selfSignedConnector.url });
        const tested = await admin.post(`${base}/${created.id}/test-connection`);
        assert.equal(tested.body.result.ok, false);
        assert.equal(tested.body.result.outcome, 'self_signed_certificate');
        assert.match(tested.body.result.message, /self-signed/i);
        assert.equal(selfSignedConnector.requests.length, 0);
        assert.equal(tested.body.connector.verified, false);
      } finally {
        await selfSignedConnector.close();
      }
    });

    test('Test Connection refuses a host that is not on the company\'s safe list, without connecting', async () => {
      const created = await register({ name: 'Not allowed', hostName: connector.url.replace('localhost', '127.0.0.1') });
      const before = connector.connectionCount();
      const tested = await admin.post(`${base}/${created.id}/test-connection`);
      assert.equal(tested.body.result.ok, false);
      assert.equal(tested.body.result.outcome, 'host_not_allowed');
      assert.match(tested.body.result.message, /safe list/i);
      assert.equal(connector.connectionCount(), before);
    });

    test('Changing the user name or password clears Verified; renaming does not', async () => {
      const created = await register({ name: 'Credential change' });
      await admin.post(`${base}/${created.id}/test-connection`);
      const renamed = await admin.patch(`${base}/${created.id}`, { name: 'Renamed', description: 'new words' });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, 'Renamed');
      assert.equal(renamed.body.verified, true);

      const newPassword = await admin.patch(`${base}/${created.id}`, { password: 'another-password-123' });
      assert.equal(newPassword.body.verified, false);
      assert.ok(!JSON.stringify(newPassword.body).includes('another-password-123'));

      await admin.patch(`${base}/${created.id}`, { password: PASSWORD });
      assert.equal((await admin.post(`${base}/${created.id}/test-connection`)).body.connector.verified, true);
      const newUser = await admin.patch(`${base}/${created.id}`, { userName: 'someone-else-entirely' });
      assert.equal(newUser.body.verified, false);
      assert.equal(newUser.body.userName, 'someone-else-entirely');
    });

    test('Services are configured per connector and usable only when Verified and active', async () => {
      const created = await register({ name: 'Services' });
      await server.patchbay.store.transaction((trx) => saveAttendeeType(trx, null, server.companyId, { code: 'BUSGUEST', name: 'Business guest', allowsManual: true }));
      const configured = await admin.put(`${base}/${created.id}/services/fetch-attendee`, { endpoint: '/attendee/v2.0/find', active: true, settings: { attendeeTypes: ['BUSGUEST'] } });
      assert.equal(configured.status, 200, JSON.stringify(configured.body));
      const service = configured.body.services.find((s: any) => s.service === 'fetch-attendee');
      assert.deepEqual({ endpoint: service.endpoint, active: service.active, usable: service.usable, settings: service.settings }, { endpoint: '/attendee/v2.0/find', active: true, usable: false, settings: { attendeeTypes: ['BUSGUEST'] } });
      assert.equal(configured.body.status, 'ACTIVE');
      const secrets = createSecretBox(loadOrCreateSecretKey(null, `${server.database.dataDir}/secret.key`));
      assert.equal(await findUsableService(server.patchbay.store.db, secrets, server.companyId, 'fetch-attendee', created.id), null);

      const tested = await admin.post(`${base}/${created.id}/test-connection`);
      assert.equal(tested.body.connector.services.find((s: any) => s.service === 'fetch-attendee').usable, true);
      const usable = await findUsableService(server.patchbay.store.db, secrets, server.companyId, 'fetch-attendee', created.id);
      assert.equal(usable?.url, `${connector.url}/attendee/v2.0/find`);
      assert.equal(usable?.password, PASSWORD);

      const inactive = await admin.put(`${base}/${created.id}/services/fetch-attendee`, { endpoint: '/attendee/v2.0/find', active: false });
      assert.equal(inactive.body.services.find((s: any) => s.service === 'fetch-attendee').usable, false);
      assert.deepEqual(inactive.body.services.find((s: any) => s.service === 'fetch-attendee').settings, { attendeeTypes: ['BUSGUEST'] });
      assert.equal(await findUsableService(server.patchbay.store.db, secrets, server.companyId, 'fetch-attendee', created.id), null);
    });

    test('Service settings are validated per service', async () => {
      const created = await register({ name: 'Settings' });
      const badLanguage = await admin.put(`${base}/${created.id}/services/fetch-list`, { endpoint: '/list/v1.2/fetch', active: true, settings: { lists: [{ name: 'Projects', category: 'Projects', languageCode: 'english', connectedListLevel: null }] } });
      assert.equal(badLanguage.status, 400);
      assert.equal(badLanguage.body.error.field, 'settings.lists.0.languageCode');
      const badEndpoint = await admin.put(`${base}/${created.id}/services/fetch-list`, { endpoint: 'https://elsewhere.example/x', active: true });
      assert.equal(badEndpoint.status, 400);
      assert.equal(badEndpoint.body.error.field, 'endpoint');
      const leu = await admin.put(`${base}/${created.id}/services/launch-external-url`, { endpoint: '/leu', active: true, settings: { version: 'V4', clientId: 'abc', redirectUrl: 'https://app.example.com/callback' } });
      assert.equal(leu.status, 200, JSON.stringify(leu.body));
      const unknownService = await admin.put(`${base}/${created.id}/services/fetch-everything`, { endpoint: '/x', active: true });
      assert.equal(unknownService.status, 404);
    });

    test('Saving Fetch List inactive deletes its configured lists', async () => {
      const created = await register({ name: 'Lists' });
      const lists = [{ name: 'Projects', category: 'Projects', languageCode: 'en', connectedListLevel: 2 }];
      const active = await admin.put(`${base}/${created.id}/services/fetch-list`, { endpoint: '/list/v1.2/fetch', active: true, settings: { lists } });
      assert.deepEqual(active.body.services.find((s: any) => s.service === 'fetch-list').settings, { lists });
      const inactive = await admin.put(`${base}/${created.id}/services/fetch-list`, { endpoint: '/list/v1.2/fetch', active: false });
      assert.deepEqual(inactive.body.services.find((s: any) => s.service === 'fetch-list').settings, { lists: [] });
    });

    test('Registrations cannot be deleted; deactivation sets every service inactive', async () => {
      const created = await register({ name: 'Deactivate me' });
      await admin.put(`${base}/${created.id}/services/fetch-attendee`, { endpoint: '/attendee/v2.0/find', active: true });
      await admin.put(`${base}/${created.id}/services/fetch-list`, { endpoint: '/list/v1.2/fetch', active: true, settings: { lists: [{ name: 'L', category: 'C', languageCode: 'en', connectedListLevel: null }] } });
      const deleted = await admin.delete(`${base}/${created.id}`);
      assert.equal(deleted.status, 405);
      assert.equal(deleted.body.error.code, 'method_not_allowed');
      assert.match(deleted.body.error.message, /cannot be deleted/);
      assert.equal((await admin.get(`${base}/${created.id}`)).status, 200);

      const deactivated = await admin.post(`${base}/${created.id}/deactivate`);
      assert.equal(deactivated.status, 200);
      assert.equal(deactivated.body.status, 'INACTIVE');
      assert.ok(deactivated.body.services.every((s: any) => !s.active && !s.usable));
      assert.deepEqual(deactivated.body.services.find((s: any) => s.service === 'fetch-list').settings, { lists: [] });
      assert.equal(deactivated.body.services.find((s: any) => s.service === 'fetch-attendee').endpoint, '/attendee/v2.0/find');
      assert.ok((await admin.get(base)).body.items.some((c: any) => c.id === created.id));
    });

    test('The audit trail records every change and test, newest first, without secrets', async () => {
      const created = await register({ name: 'Audited' });
      await admin.post(`${base}/${created.id}/test-connection`);
      await admin.patch(`${base}/${created.id}`, { password: 'a-brand-new-password' });
      const workflow = await server.patchbay.store.transaction((trx) => saveWorkflow(trx, null, server.companyId, { name: 'Audited workflow', steps: [] }));
      const unknownWorkflow = await admin.put(`${base}/${created.id}/services/send-notification`, { endpoint: '/events', active: true, settings: { workflows: [{ workflowId: crypto.randomUUID(), steps: ['SUBMIT'] }] } });
      assert.equal(unknownWorkflow.status, 400);
      assert.equal(unknownWorkflow.body.error.field, 'settings.workflows.0.workflowId');
      await admin.put(`${base}/${created.id}/services/send-notification`, { endpoint: '/events', active: true, settings: { workflows: [{ workflowId: workflow.id, steps: ['SUBMIT'] }] } });
      await admin.post(`${base}/${created.id}/deactivate`);
      const audit = await admin.get(`${base}/${created.id}/audit`);
      assert.equal(audit.status, 200);
      assert.deepEqual(audit.body.items.map((e: any) => e.action), ['connector.deactivated', 'connector.service_configured', 'connector.modified', 'connector.connection_tested', 'connector.registered']);
      const tested = audit.body.items[3];
      assert.equal(tested.details.outcome, 'verified');
      assert.equal(tested.details.ok, true);
      assert.equal(audit.body.items[2].details.passwordChanged, true);
      assert.equal(audit.body.items[2].details.verifiedCleared, true);
      assert.match(audit.body.items[0].actor.label, /User/);
      const text = JSON.stringify(audit.body);
      assert.ok(!text.includes(PASSWORD) && !text.includes('a-brand-new-password'));
    });

    test('Bad input gets a 400 naming the field and changes nothing', async () => {
      const created = await register({ name: 'Untouched' });
      const count = async () => (await admin.get(base)).body.items.length;
      const before = await count();
      const valid = { name: 'X', description: 'Y', hostName: connector.url, userName: USER, password: PASSWORD };
      const cases: Array<[unknown, string | undefined]> = [
        [{ ...valid, userName: 'short' }, 'userName'],
        [{ ...valid, userName: 'u'.repeat(51) }, 'userName'],
        [{ ...valid, password: 'p'.repeat(9) }, 'password'],
        [{ ...valid, password: 'p'.repeat(51) }, 'password'],
        [{ ...valid, hostName: 'http://connector.example.com' }, 'hostName'],
        [{ ...valid, hostName: 'https://connector.example.com/some/path' }, 'hostName'],
        [{ ...valid, hostName: 'https://user:pw@connector.example.com' }, 'hostName'],
        [{ ...valid, hostName: 'not a url at all' }, 'hostName'],
        [{ ...valid, name: 42 }, 'name'],
        [{ ...valid, verified: true }, 'verified'],
        [{ name: 'missing the rest' }, 'description'],
        [[valid], undefined],
      ];
      for (const [body, field] of cases) {
        const response = await admin.post(base, body);
        assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.status}`);
        assert.equal(response.body.error.code, 'validation_failed');
        if (field) assert.equal(response.body.error.field, field, JSON.stringify(response.body));
      }
      const malformed = await admin.request('POST', base, '{"name": "x",', { 'content-type': 'application/json' });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error.code, 'invalid_json');
      const huge = await admin.post(base, { ...valid, description: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.error.code, 'payload_too_large');
      const patchBad = await admin.patch(`${base}/${created.id}`, { userName: 'tiny' });
      assert.equal(patchBad.status, 400);
      assert.equal(patchBad.body.error.field, 'userName');
      const badId = await admin.get(`${base}/not-a-uuid`);
      assert.equal(badId.status, 400);
      const missing = await admin.get(`${base}/${crypto.randomUUID()}`);
      assert.equal(missing.status, 404);
      assert.equal(await count(), before);
      assert.equal((await admin.get(`${base}/${created.id}`)).body.userName, USER);
    });

    test('A session cookie without the CSRF token cannot change anything', async () => {
      const login = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(server.admin) });
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      const response = await fetch(`${server.url}${base}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'csrf', description: '', hostName: connector.url, userName: USER, password: PASSWORD }) });
      assert.equal(response.status, 403);
      assert.equal(((await response.json()) as any).error.code, 'csrf_token_invalid');
      assert.ok(!(await admin.get(base)).body.items.some((c: any) => c.name === 'csrf'));
    });
  });

  describe(`private addresses [${kind.name}]`, { skip }, () => {
    test('a connector host resolving to a loopback address is refused unless config allows it', async () => {
      const ca = await createDevCa();
      const server = await startTestServer({ extraCa: ca.caCert, allowPrivateAddresses: 'none', database: await kind.create() });
      const connector = await startFakeConnector({ tls: ca.issue(['localhost']), userName: USER, password: PASSWORD });
      try {
        await server.addSafeHost('localhost');
        const admin = await signIn(server.url, server.admin);
        const created = await admin.post(`/api/companies/${server.companyId}/connectors`, { name: 'Private', description: '', hostName: connector.url, userName: USER, password: PASSWORD });
        const tested = await admin.post(`/api/companies/${server.companyId}/connectors/${created.body.id}/test-connection`);
        assert.equal(tested.body.result.ok, false);
        assert.equal(tested.body.result.outcome, 'private_address');
        assert.equal(connector.connectionCount(), 0);
      } finally {
        await connector.close();
        await server.close();
      }
    });
  });
}
