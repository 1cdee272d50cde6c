/**
 * Event Notification end to end, on SQLite and PostgreSQL: a real patchbay, real HTTPS connectors
 * registered and verified through the admin API, travelers submitting Concur Requests into External
 * Validation steps. The notification is queued in the transition's transaction, posted with the exact
 * bytes of the spec, removed on HTTP 200, retried otherwise, marked FAILED after the last attempt and
 * then managed through Concur's failed-notification API (XML and JSON listings, DELETE of the
 * NotificationURI) and the console's queue routes. Notifications of one company go first come, first
 * served; other companies are not held back. The connector then approves through Request v4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { NOTIFICATIONS_API_PATH, NOTIFICATION_LIST_NAMESPACE, parseFailedNotificationsJson, parseFailedNotificationsXml } from '@patchbay/callout-xml';
import { startTestServer, type TestServer } from '../support/server.ts';
import { storeSuites } from '../support/stores.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { createDevCa } from '../support/tls-fixture.ts';
import { EXTERNAL_WORKFLOW_WRITE, createRequestFixture, type Person, type PolicyRef, type RequestFixture } from '../support/request-fixtures.ts';
import { performAction } from '../../src/requests/workflow-engine.ts';
import { findRequest } from '../../src/requests/requests.ts';
import { pruneCalloutLog, CALLOUT_LOG_RETENTION_MS } from '../../src/callouts/call-log.ts';
import {
  CONNECTOR_PASSWORD, CONNECTOR_USER, NOTIFY_PATH, configureNotifyService, deferred, eventually, registerNotifyingConnector, startNotifyConnector,
  type NotifyConnector,
} from './notification-fixtures.ts';

const MAX_ATTEMPTS = 3;
const EVENT_TYPE = 'Report Entered Expense Report Workflow Step - SUBMIT';

for (const { kind, skip } of await storeSuites()) {
  describe(`Event Notification [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let connector: NotifyConnector;
    let fx: RequestFixture;
    let fxB: RequestFixture;
    let admin: ApiClient;
    let adminB: ApiClient;
    let adminPerson: Person;
    /** Company A's connector, notifying for `validateOnly` and `managerThenValidate`. */
    let connectorId: string;
    let validateOnly: PolicyRef;
    let managerThenValidate: PolicyRef;
    let validateOnlyB: PolicyRef;

    before(async () => {
      const ca = await createDevCa();
      connector = await startNotifyConnector(ca);
      server = await startTestServer({
        extraCa: ca.caCert,
        database: await kind.create(),
        env: { PATCHBAY_NOTIFICATION_MAX_ATTEMPTS: String(MAX_ATTEMPTS), PATCHBAY_NOTIFICATION_RETRY_BASE_MS: '40', PATCHBAY_NOTIFICATION_TIMEOUT_MS: '10000' },
      });
      await server.addSafeHost('localhost');
      fx = await createRequestFixture(server);
      admin = await signIn(server.url, server.admin);
      const adminRow = await server.patchbay.store.db.selectFrom('users').select(['id', 'name']).where('login_id', '=', server.admin.loginId.toLowerCase()).executeTakeFirstOrThrow();
      adminPerson = { id: adminRow.id, name: adminRow.name, ...server.admin };
      connectorId = await registerNotifyingConnector(admin, server.companyId, connector.url);
      validateOnly = await fx.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId, notify: false }]);
      managerThenValidate = await fx.policy([
        { roleCode: 'REQ_MANAGER', approverType: 'MANAGER', notify: true, stepCode: 'MGR' },
        { roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId, notify: false },
      ]);
      await configureNotifyService(admin, server.companyId, connectorId, { workflowIds: [validateOnly.workflowId, managerThenValidate.workflowId] });

      const second = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['WEB_SERVICES_ADMINISTRATOR'] });
      await server.addSafeHost('localhost', second.companyId);
      fxB = await createRequestFixture(server, { companyId: second.companyId });
      adminB = await signIn(server.url, second.user);
      const connectorB = await registerNotifyingConnector(adminB, second.companyId, connector.url);
      validateOnlyB = await fxB.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: connectorB, notify: false }]);
      await configureNotifyService(adminB, second.companyId, connectorB, { workflowIds: [validateOnlyB.workflowId] });
    });
    after(async () => {
      await server?.close();
      await connector?.close();
    });

    const db = () => server.patchbay.store.db;
    const rowsOf = (requestId: string) => db().selectFrom('notifications').selectAll().where('request_id', '=', requestId).orderBy('seq').execute();
    const gone = async (requestId: string) => (await rowsOf(requestId)).length === 0;
    /** Whether the request waits at an External Validation step. */
    const atExternalValidation = async (requestId: string) => {
      const row = await db()
        .selectFrom('requests')
        .innerJoin('request_policies', 'request_policies.id', 'requests.policy_id')
        .innerJoin('workflow_steps', (join) => join.onRef('workflow_steps.workflow_id', '=', 'request_policies.workflow_id').onRef('workflow_steps.position', '=', 'requests.step_position'))
        .select(['requests.status_code', 'workflow_steps.role_code'])
        .where('requests.id', '=', requestId)
        .executeTakeFirst();
      return row?.status_code === 'SUBMITTED' && row.role_code === 'EXTERNAL_VALIDATION';
    };
    async function submitted(f: RequestFixture, policy: PolicyRef): Promise<string> {
      const request = await f.newRequest(f.people.traveler, { policy: { id: policy.policyId } });
      const answer = await (await f.userApi(f.people.traveler)).action(request.id, 'submit');
      assert.equal(answer.status, 200, answer.text);
      return request.id as string;
    }
    /** Calls the notifications API with `token` (none when null). */
    async function notificationsApi(method: string, path: string, token: string | null, headers: Record<string, string> = {}) {
      const response = await fetch(`${server.url}${path}`, { method, headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers } });
      const text = await response.text();
      return { status: response.status, text, headers: response.headers };
    }
    const failedList = `${NOTIFICATIONS_API_PATH}?status=FAILED`;
    const describePosts = () => JSON.stringify(connector.posts.map((p) => ({ i: p.index, r: p.requestId, a: p.answered })));

    test('the notification is queued in the transaction that moves the request to External Validation', async () => {
      const request = await fx.newRequest(fx.people.traveler, { policy: { id: validateOnly.policyId } });
      const release = deferred();
      connector.answer = async (post) => {
        if (post.requestId === request.id) await release.promise;
        return 200;
      };
      const answer = await (await fx.userApi(fx.people.traveler)).action(request.id, 'submit');
      assert.equal(answer.status, 200, answer.text);
      // The connector holds the post: the request and its notification are both there.
      assert.ok(await atExternalValidation(request.id), 'the request waits in Q_EXTV');
      const [row, ...more] = await rowsOf(request.id);
      assert.ok(row, 'the notification row exists');
      assert.equal(more.length, 0, 'one notification per transition');
      assert.equal(row.company_id, server.companyId);
      assert.equal(row.connector_id, connectorId);
      assert.equal(row.service, 'external-report-validation');
      assert.equal(row.status, 'PENDING');
      assert.equal(row.event_type, EVENT_TYPE);
      assert.equal(row.object_type, 'TRAVELREQ');
      assert.equal(row.object_uri, `${server.url}/travelrequest/v4/requests/${request.id}`);
      release.resolve();
      await eventually(() => gone(request.id), describePosts);
    });

    test('a transition that rolls back leaves no notification', async () => {
      const request = await fx.newRequest(fx.people.traveler, { policy: { id: validateOnly.policyId } });
      await assert.rejects(
        server.patchbay.store.transaction(async (trx) => {
          const row = await findRequest(trx, server.companyId, request.id);
          await performAction(trx, row, 'submit', { kind: 'user', userId: fx.people.traveler.id }, null, { publicUrl: server.url });
          const inside = await trx.selectFrom('notifications').select('id').where('request_id', '=', request.id).execute();
          assert.equal(inside.length, 1, 'queued inside the transaction');
          throw new Error('the transition fails after queueing');
        }),
        /the transition fails after queueing/,
      );
      assert.equal((await rowsOf(request.id)).length, 0, 'no notification survives the rollback');
      const after = await db().selectFrom('requests').select('status_code').where('id', '=', request.id).executeTakeFirstOrThrow();
      assert.equal(after.status_code, 'NOT_SUBMITTED');
      assert.equal(connector.postsFor(request.id).length, 0, 'nothing was posted');
    });

    test('nothing is queued when the connector does not notify for the workflow; the request still waits at the step', async () => {
      const notTicked = await fx.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId, notify: false }]);
      const inactive = await registerNotifyingConnector(admin, server.companyId, connector.url);
      const inactivePolicy = await fx.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: inactive, notify: false }]);
      await configureNotifyService(admin, server.companyId, inactive, { workflowIds: [inactivePolicy.workflowId], active: false });
      const unverified = await registerNotifyingConnector(admin, server.companyId, connector.url, { verify: false });
      const unverifiedPolicy = await fx.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: unverified, notify: false }]);
      await configureNotifyService(admin, server.companyId, unverified, { workflowIds: [unverifiedPolicy.workflowId] });
      for (const policy of [notTicked, inactivePolicy, unverifiedPolicy]) {
        const id = await submitted(fx, policy);
        assert.ok(await atExternalValidation(id));
        assert.equal((await rowsOf(id)).length, 0, 'no notification queued');
      }
      // Send Notification (Expense's name of the service) notifies too.
      const sender = await registerNotifyingConnector(admin, server.companyId, connector.url, { service: 'send-notification' });
      const senderPolicy = await fx.policy([{ roleCode: 'EXTERNAL_VALIDATION', approverType: 'CONNECTOR', connectorId: sender, notify: false }]);
      await configureNotifyService(admin, server.companyId, sender, { service: 'send-notification', workflowIds: [senderPolicy.workflowId] });
      connector.answer = () => 200;
      const id = await submitted(fx, senderPolicy);
      await eventually(() => connector.postsFor(id).some((p) => p.answered === 200), describePosts);
      await eventually(() => gone(id), describePosts);
    });

    test('posts the exact bytes with Basic auth and a Content-Length; 200 removes it; the connector then approves through Request v4', async () => {
      connector.answer = () => 200;
      const before = new Date().toISOString().slice(0, 10);
      const id = await submitted(fx, validateOnly);
      const afterDay = new Date().toISOString().slice(0, 10);
      await eventually(() => connector.postsFor(id).some((p) => p.answered === 200), describePosts);
      await eventually(() => gone(id), describePosts);
      const posts = connector.postsFor(id);
      assert.equal(posts.length, 1, 'posted once');
      const post = posts[0]!;
      const day = [before, afterDay].find((d) => post.body.toString('utf8').includes(`<EventDateTime>${d}</EventDateTime>`));
      assert.ok(day, `EventDateTime is the day of the submission: ${post.body.toString('utf8')}`);
      const expected =
        '<?xml version="1.0" encoding="UTF-8" ?><Notification>' +
        `<EventType>${EVENT_TYPE}</EventType><ObjectType>TRAVELREQ</ObjectType>` +
        `<ObjectURI>${server.url}/travelrequest/v4/requests/${id}</ObjectURI>` +
        `<EventDateTime>${day}</EventDateTime><Context/></Notification>`;
      assert.equal(post.body.toString('utf8'), expected);
      assert.equal(post.path, NOTIFY_PATH);
      assert.equal(post.headers.authorization, `Basic ${Buffer.from(`${CONNECTOR_USER}:${CONNECTOR_PASSWORD}`).toString('base64')}`);
      assert.equal(post.headers['content-type'], 'application/xml; charset=utf-8');
      assert.equal(post.headers['content-length'], String(post.body.length));
      assert.equal(post.headers['transfer-encoding'], undefined, 'no chunked encoding');

      // The connector follows the ObjectURI and approves as the external system (no user).
      const external = await fx.companyApi([EXTERNAL_WORKFLOW_WRITE]);
      const read = await fetch(`${server.url}/travelrequest/v4/requests/${id}`, { headers: { authorization: `Bearer ${external.token}` } });
      assert.equal(read.status, 200);
      const approved = await external.action(id, 'approve');
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.body.approvalStatus.code, 'APPROVED');
    });

    test('entering External Validation after an approval queues the notification too', async () => {
      connector.answer = () => 200;
      const id = await submitted(fx, managerThenValidate);
      assert.equal((await rowsOf(id)).length, 0, 'the manager step notifies nobody');
      const approved = await (await fx.userApi(fx.people.manager)).action(id, 'approve');
      assert.equal(approved.status, 200, approved.text);
      await eventually(() => connector.postsFor(id).some((p) => p.answered === 200), describePosts);
      await eventually(() => gone(id), describePosts);
    });

    test('a 500 is retried; the next 200 removes the notification', async () => {
      let calls = 0;
      const request = await fx.newRequest(fx.people.traveler, { policy: { id: validateOnly.policyId } });
      connector.answer = (post) => (post.requestId === request.id && ++calls === 1 ? 500 : 200);
      assert.equal((await (await fx.userApi(fx.people.traveler)).action(request.id, 'submit')).status, 200);
      await eventually(() => gone(request.id), describePosts);
      const posts = connector.postsFor(request.id);
      assert.deepEqual(posts.map((p) => p.answered), [500, 200]);
      assert.deepEqual(posts[1]!.body, posts[0]!.body, 'the retry posts the same bytes');
    });

    test('a 202 is not an acknowledgement: only HTTP 200 removes a notification', async () => {
      let calls = 0;
      const request = await fx.newRequest(fx.people.traveler, { policy: { id: validateOnly.policyId } });
      connector.answer = (post) => (post.requestId === request.id && ++calls === 1 ? 202 : 200);
      assert.equal((await (await fx.userApi(fx.people.traveler)).action(request.id, 'submit')).status, 200);
      await eventually(() => gone(request.id), describePosts);
      assert.deepEqual(connector.postsFor(request.id).map((p) => p.answered), [202, 200]);
    });

    test(`always 500: FAILED after ${MAX_ATTEMPTS} attempts, listed in XML and JSON, deleted through its NotificationURI`, async () => {
      const request = await fx.newRequest(fx.people.traveler, { policy: { id: validateOnly.policyId } });
      connector.answer = (post) => (post.requestId === request.id ? 500 : 200);
      assert.equal((await (await fx.userApi(fx.people.traveler)).action(request.id, 'submit')).status, 200);
      await eventually(async () => (await rowsOf(request.id))[0]?.status === 'FAILED', describePosts);
      const [row] = await rowsOf(request.id);
      assert.equal(row!.attempts, MAX_ATTEMPTS);
      assert.match(row!.last_error ?? '', /HTTP 500/);
      assert.ok(row!.failed_at);
      assert.equal(row!.lease_owner, null);
      assert.equal(connector.postsFor(request.id).length, MAX_ATTEMPTS, 'no post after the last attempt');

      const company = await fx.companyApi();
      const uri = `${server.url}${NOTIFICATIONS_API_PATH}/${row!.id}`;
      const xml = await notificationsApi('GET', failedList, company.token);
      assert.equal(xml.status, 200, xml.text);
      assert.match(xml.headers.get('content-type') ?? '', /^application\/xml/);
      assert.ok(xml.text.includes(`<NotificationList xmlns="${NOTIFICATION_LIST_NAMESPACE}"`), xml.text);
      const parsed = parseFailedNotificationsXml(xml.text);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const entry = parsed.notifications.find((n) => n.notificationUri === uri);
      assert.deepEqual(entry, {
        context: null,
        eventDateTime: new Date(row!.created_at).toISOString().slice(0, 19),
        eventType: EVENT_TYPE,
        notificationUri: uri,
        objectType: 'TRAVELREQ',
        objectUri: `${server.url}/travelrequest/v4/requests/${request.id}`,
      });
      assert.match(entry.eventDateTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);

      const json = await notificationsApi('GET', `${NOTIFICATIONS_API_PATH}?status=failed`, company.token, { accept: 'application/json' });
      assert.equal(json.status, 200, json.text);
      assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
      const array = JSON.parse(json.text) as Array<Record<string, unknown>>;
      const jsonEntry = array.find((n) => n.NotificationURI === uri);
      assert.deepEqual(Object.keys(jsonEntry ?? {}), ['Context', 'EventDateTime', 'EventType', 'NotificationURI', 'ObjectType', 'ObjectURI']);
      const reparsed = parseFailedNotificationsJson(json.text);
      assert.ok(reparsed.ok);
      assert.deepEqual(reparsed.notifications.find((n) => n.notificationUri === uri), entry);

      // A Web Services Administrator's user token sees the same list.
      const adminToken = (await fx.userApi(adminPerson)).token;
      assert.ok((await notificationsApi('GET', failedList, adminToken)).text.includes(uri));
      // Another company sees nothing of it and cannot delete it.
      const otherCompany = await fxB.companyApi();
      assert.ok(!(await notificationsApi('GET', failedList, otherCompany.token)).text.includes(row!.id));
      assert.equal((await notificationsApi('DELETE', new URL(uri).pathname, otherCompany.token)).status, 404);

      const deleted = await notificationsApi('DELETE', new URL(uri).pathname, company.token);
      assert.equal(deleted.status, 200, deleted.text);
      assert.equal((await rowsOf(request.id)).length, 0);
      assert.equal((await notificationsApi('DELETE', new URL(uri).pathname, company.token)).status, 404, 'already deleted');
      assert.ok(!(await notificationsApi('GET', failedList, company.token)).text.includes(row!.id));
    });

    test('first come, first served per company: a failing notification holds back its company\'s next one, not another company\'s', async () => {
      const first = await fx.newRequest(fx.people.traveler, { policy: { id: validateOnly.policyId } });
      const second = await fx.newRequest(fx.people.colleague, { policy: { id: validateOnly.policyId } });
      const other = await fxB.newRequest(fxB.people.traveler, { policy: { id: validateOnlyB.policyId } });
      const otherArrived = deferred();
      let firstCalls = 0;
      let otherCameWhileFirstHeld = false;
      connector.answer = async (post) => {
        if (post.requestId === other.id) {
          otherArrived.resolve();
          return 200;
        }
        if (post.requestId !== first.id) return 200;
        firstCalls += 1;
        if (firstCalls === 1) {
          // The head of company A is held open until company B's notification has arrived (a guard
          // ends the wait if it never does, and the assertion below then fails).
          await Promise.race([otherArrived.promise, new Promise((resolve) => setTimeout(resolve, 8_000))]);
          otherCameWhileFirstHeld = connector.postsFor(other.id).length > 0;
          return 500;
        }
        return firstCalls === 2 ? 500 : 200;
      };
      assert.equal((await (await fx.userApi(fx.people.traveler)).action(first.id, 'submit')).status, 200);
      await eventually(() => connector.postsFor(first.id).length > 0, describePosts);
      assert.equal((await (await fx.userApi(fx.people.colleague)).action(second.id, 'submit')).status, 200);
      assert.equal((await (await fxB.userApi(fxB.people.traveler)).action(other.id, 'submit')).status, 200);

      await eventually(async () => (await gone(first.id)) && (await gone(second.id)) && (await gone(other.id)), describePosts);
      assert.ok(otherCameWhileFirstHeld, `company B's notification was posted while company A's head was in flight: ${describePosts()}`);
      assert.deepEqual(connector.postsFor(first.id).map((p) => p.answered), [500, 500, 200]);
      const firstDelivered = connector.postsFor(first.id).find((p) => p.answered === 200)!;
      const secondPosts = connector.postsFor(second.id);
      assert.equal(secondPosts.length, 1);
      assert.ok(secondPosts[0]!.index > firstDelivered.index, `company A's second notification waited for its first: ${describePosts()}`);
    });

    test('a notification whose service became unusable records why and is retried like any failure', async () => {
      // Queued directly for company B's fixture connector, which was never verified.
      const now = Date.now();
      const id = randomUUID();
      const requestId = randomUUID().replaceAll('-', '').toUpperCase();
      await db()
        .insertInto('notifications')
        .values({
          id, company_id: fxB.companyId, connector_id: fxB.connectorId, service: 'external-report-validation', request_id: requestId, event_type: EVENT_TYPE,
          object_type: 'TRAVELREQ', object_uri: `${server.url}/travelrequest/v4/requests/${requestId}`, context: null, status: 'PENDING', attempts: 0,
          next_attempt_at: now, lease_owner: null, lease_expires_at: null, last_error: null, created_at: now, failed_at: null,
        })
        .execute();
      await eventually(async () => (await rowsOf(requestId))[0]?.status === 'FAILED', async () => JSON.stringify(await rowsOf(requestId)));
      const [row] = await rowsOf(requestId);
      assert.equal(row!.attempts, MAX_ATTEMPTS);
      assert.match(row!.last_error ?? '', /External Report Validation service is inactive or the connector is not Verified/);
      assert.equal(connector.postsFor(requestId).length, 0, 'nothing was posted');
      await db().deleteFrom('notifications').where('id', '=', id).execute();
    });

    test('the console lists the queue and puts a FAILED notification back at its place', async () => {
      const request = await fx.newRequest(fx.people.traveler, { policy: { id: validateOnly.policyId } });
      connector.answer = (post) => (post.requestId === request.id ? 503 : 200);
      assert.equal((await (await fx.userApi(fx.people.traveler)).action(request.id, 'submit')).status, 200);
      await eventually(async () => (await rowsOf(request.id))[0]?.status === 'FAILED', describePosts);
      const [row] = await rowsOf(request.id);
      const base = `/api/companies/${server.companyId}/notifications`;

      const listed = await admin.get(`${base}?status=FAILED`);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const view = listed.body.items.find((item: any) => item.id === row!.id);
      assert.deepEqual(Object.keys(view).sort(), ['attempts', 'connectorId', 'createdAt', 'eventType', 'failedAt', 'id', 'lastError', 'nextAttemptAt', 'objectUri', 'requestId', 'service', 'status'].sort());
      assert.equal(view.requestId, request.id);
      assert.equal(view.status, 'FAILED');
      assert.equal(view.attempts, MAX_ATTEMPTS);
      assert.match(view.lastError, /HTTP 503/);
      assert.equal(view.eventType, EVENT_TYPE);
      assert.ok(view.failedAt);
      assert.ok(!(await admin.get(`${base}?status=PENDING`)).body.items.some((item: any) => item.id === row!.id));

      connector.answer = () => 200;
      const retried = await admin.post(`${base}/${row!.id}/retry`);
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      assert.equal(retried.body.status, 'PENDING');
      assert.equal(retried.body.attempts, 0);
      await eventually(() => gone(request.id), describePosts);
      const [a, b, c, d] = connector.postsFor(request.id).map((p) => p.answered);
      assert.deepEqual([a, b, c, d], [503, 503, 503, 200]);

      assert.equal((await admin.post(`${base}/${row!.id}/retry`)).status, 404, 'delivered: gone from the queue');
      assert.equal((await admin.post(`${base}/${randomUUID()}/retry`)).status, 404);
      assert.equal((await admin.get(`${base}?status=DONE`)).status, 400);
      // Another company's administrator, and a user without the permission, are refused.
      assert.equal((await adminB.get(`${base}?status=FAILED`)).status, 404);
      const employee = await signIn(server.url, await server.addUser(server.companyId, ['EMPLOYEE']));
      assert.equal((await employee.get(`${base}?status=FAILED`)).status, 403);
    });

    test('the console refuses to retry a notification that is not FAILED', async () => {
      const now = Date.now();
      const id = randomUUID();
      const requestId = randomUUID().replaceAll('-', '').toUpperCase();
      // Due in an hour, so that the worker leaves it alone while it is looked at.
      await db()
        .insertInto('notifications')
        .values({
          id, company_id: fxB.companyId, connector_id: fxB.connectorId, service: 'external-report-validation', request_id: requestId, event_type: EVENT_TYPE,
          object_type: 'TRAVELREQ', object_uri: `${server.url}/travelrequest/v4/requests/${requestId}`, context: null, status: 'PENDING', attempts: 0,
          next_attempt_at: now + 3_600_000, lease_owner: null, lease_expires_at: null, last_error: null, created_at: now, failed_at: null,
        })
        .execute();
      try {
        const answer = await adminB.post(`/api/companies/${fxB.companyId}/notifications/${id}/retry`);
        assert.equal(answer.status, 409, JSON.stringify(answer.body));
        assert.match(answer.body.error.message, /PENDING, not FAILED/);
        const pending = await adminB.get(`/api/companies/${fxB.companyId}/notifications?status=PENDING`);
        assert.ok(pending.body.items.some((item: any) => item.id === id && item.nextAttemptAt !== null));
      } finally {
        await db().deleteFrom('notifications').where('id', '=', id).execute();
      }
    });

    test('the failed-notification API refuses bad input with 4xx', async () => {
      const company = await fx.companyApi();
      const noRole = (await fx.userApi(fx.people.traveler)).token;
      const someId = randomUUID();
      const cases: Array<[string, Promise<{ status: number; text: string }>, number, RegExp?]> = [
        ['no token', notificationsApi('GET', failedList, null), 401],
        ['not a bearer JWT', notificationsApi('GET', failedList, null, { authorization: 'Basic abc' }), 401],
        ['missing status', notificationsApi('GET', NOTIFICATIONS_API_PATH, company.token), 400, /status=FAILED/],
        ['empty status', notificationsApi('GET', `${NOTIFICATIONS_API_PATH}?status=`, company.token), 400, /status=FAILED/],
        ['unsupported status', notificationsApi('GET', `${NOTIFICATIONS_API_PATH}?status=PENDING`, company.token), 400, /only status=FAILED/],
        ['repeated status', notificationsApi('GET', `${NOTIFICATIONS_API_PATH}?status=FAILED&status=FAILED`, company.token), 400],
        ['user without the role (GET)', notificationsApi('GET', failedList, noRole), 403, /Web Services Administrator/],
        ['user without the role (DELETE)', notificationsApi('DELETE', `${NOTIFICATIONS_API_PATH}/${someId}`, noRole), 403],
        ['malformed id', notificationsApi('DELETE', `${NOTIFICATIONS_API_PATH}/not-a-notification`, company.token), 400, /malformed/],
        ['unknown id', notificationsApi('DELETE', `${NOTIFICATIONS_API_PATH}/${someId}`, company.token), 404],
        ['DELETE without a token', notificationsApi('DELETE', `${NOTIFICATIONS_API_PATH}/${someId}`, null), 401],
      ];
      for (const [label, pending, status, message] of cases) {
        const answer = await pending;
        assert.equal(answer.status, status, `${label}: ${answer.text}`);
        const body = JSON.parse(answer.text);
        assert.ok(Array.isArray(body.errors) && body.errors[0].errorMessage, `${label}: Concur's error shape`);
        if (message) assert.match(body.errors[0].errorMessage, message, label);
      }
    });

    test('the callout log keeps 30 days', async () => {
      const now = Date.now();
      const line = (startedAt: number) => ({
        company_id: server.companyId, connector_id: null, service: 'notification', method: 'POST', url: 'https://localhost/x', started_at: startedAt,
        duration_ms: 1, outcome: 'ok', http_status: 200, message: 'test line', request_excerpt: '', response_excerpt: '',
      });
      await db().insertInto('callout_log').values([line(now - CALLOUT_LOG_RETENTION_MS - 60_000), line(now - CALLOUT_LOG_RETENTION_MS - 1), line(now - CALLOUT_LOG_RETENTION_MS + 60_000)]).execute();
      const deleted = await pruneCalloutLog(server.patchbay.store, now);
      assert.ok(deleted >= 2);
      const left = await db().selectFrom('callout_log').select('started_at').where('message', '=', 'test line').execute();
      assert.deepEqual(left.map((r) => Number(r.started_at)), [now - CALLOUT_LOG_RETENTION_MS + 60_000]);
    });
  });
}
