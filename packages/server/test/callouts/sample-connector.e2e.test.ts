/**
 * The four callouts end to end, on SQLite and PostgreSQL: patchbay started with `--demo` runs the real
 * sample connector (examples/sample-connector) over HTTPS with its development CA, registers it, verifies
 * it and configures its services; the demo employee then searches and adds attendees (Fetch Attendee),
 * picks a three-level destination (Fetch List), picks a cost object on the connector's page (Launch
 * External URL, written back through Request v4), and submits requests that the connector's budget check
 * approves or sends back (Event Notification, answered through Request v4 with its company token).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, request as undiciRequest } from 'undici';
import { DEV_CERTIFICATE_FILES, PROJECT_PICKER_SAVE_PATH } from '@patchbay/sample-connector';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import { waitUntil } from '../support/ess-fixtures.ts';
import { DEMO } from '../../src/demo.ts';
import { DEMO_CONNECTOR } from '../../src/demo-connector.ts';

for (const { kind, skip } of await storeSuites()) {
  describe(`the four callouts against the sample connector [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let employee: ApiClient;
    let admin: ApiClient;
    let browser: Agent;
    let userToken: string;
    let budgetPolicyId: string;
    const company = `/api/companies/${DEMO.companyId}`;

    before(async () => {
      server = await startTestServer({ database: await kind.create(), env: { PATCHBAY_DEMO: 'true' } });
      employee = await signIn(server.url, { loginId: DEMO.employee.loginId, password: DEMO.employee.password });
      admin = await signIn(server.url, { loginId: DEMO.admin.loginId, password: DEMO.admin.password });
      // The user's browser trusts the connector's development CA, as the demo's README says to.
      browser = new Agent({ connect: { ca: readFileSync(path.join(server.database.dataDir, 'dev-ca', DEV_CERTIFICATE_FILES.caCert), 'utf8') } });
      const token = await fetch(`${server.url}/oauth2/v0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', client_id: DEMO.application.id, client_secret: DEMO.application.clientSecret, username: DEMO.employee.loginId, password: DEMO.employee.password }).toString(),
      });
      assert.equal(token.status, 200);
      userToken = ((await token.json()) as { access_token: string }).access_token;
      const policies = await employee.get(`${company}/request-policies`);
      budgetPolicyId = policies.body.items.find((policy: any) => policy.name === DEMO_CONNECTOR.policyName).id;
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    const newRequest = async (name: string) => {
      const created = await employee.post(`${company}/requests`, { name, businessPurpose: 'Customer visit', policyId: budgetPolicyId });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.id as string;
    };
    const addExpense = async (requestId: string, value: number) => {
      const added = await fetch(`${server.url}/travelrequest/v4/requests/${requestId}/expenses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ expenseType: { id: 'AIRFR' }, transactionDate: '2031-05-04', transactionAmount: { value, currency: 'USD' } }),
      });
      assert.equal(added.status, 201, await added.text());
    };

    test('the demo registered the sample connector, verified it and activated its four callout services', async () => {
      const connectors = await admin.get(`${company}/connectors`);
      const sample = connectors.body.items.find((connector: any) => connector.name === DEMO_CONNECTOR.name);
      assert.ok(sample, JSON.stringify(connectors.body));
      assert.equal(sample.verified, true);
      const usable = sample.services.filter((service: any) => service.usable).map((service: any) => service.service);
      assert.deepEqual(usable.sort(), ['external-report-validation', 'fetch-attendee', 'fetch-list', 'launch-external-url']);
    });

    test('Fetch Attendee: a search finds the connector\'s attendees and adds one to the request', async () => {
      const requestId = await newRequest('Attendee search');
      const found = await employee.post(`${company}/requests/${requestId}/attendee-search`, { attendeeTypeCode: 'BUSGUEST', lastName: 'M' });
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.ok(found.body.items.length > 0);
      assert.ok(found.body.items.every((attendee: any) => attendee.lastName.toUpperCase().startsWith('M') && attendee.attendeeTypeCode === 'BUSGUEST'));
      const chosen = found.body.items[0];
      const added = await employee.post(`${company}/requests/${requestId}/attendees`, { attendeeTypeCode: 'BUSGUEST', externalId: chosen.externalId });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.lastName, chosen.lastName);
    });

    test('Fetch List: the destination is picked level by level and confirmed by its code', async () => {
      const requestId = await newRequest('Destination');
      const search = (query: string, parentCodes: string[]) => employee.post(`${company}/requests/${requestId}/fields/custom1/search`, { query, parentCodes });
      const path: string[] = [];
      const texts: string[] = [];
      for (let level = 0; level < 3; level++) {
        const items = await search('', path);
        assert.equal(items.status, 200, JSON.stringify(items.body));
        assert.ok(items.body.items.length > 0, `level ${level + 1} under ${path.join('-')}`);
        const item = items.body.items[0];
        assert.equal(item.code, [...path, item.shortCode].join('-'));
        path.push(item.shortCode);
        texts.push(item.text);
      }
      const chosen = await employee.put(`${company}/requests/${requestId}/fields/custom1/choice`, { codeByLevel: path });
      assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
      assert.deepEqual(chosen.body, { field: 'custom1', code: path.join('-'), value: texts.at(-1) });
      const request = await employee.get(`${company}/requests/${requestId}`);
      assert.deepEqual(request.body.custom1, { code: path.join('-'), value: texts.at(-1) });
    });

    test('Launch External URL: the connector\'s page writes the chosen cost object back to the request', async () => {
      const requestId = await newRequest('Cost object');
      const launched = await employee.post(`${company}/requests/${requestId}/fields/custom2/launch`);
      assert.equal(launched.status, 200, JSON.stringify(launched.body));
      // The browser opens the signed URL; the connector checks the signature and exchanges the code.
      const page = await undiciRequest(launched.body.url, { dispatcher: browser });
      const html = await page.body.text();
      assert.equal(page.statusCode, 200, html);
      const session = /name="session" value="([^"]+)"/.exec(html)?.[1];
      const project = /name="project" value="([^"]+)"/.exec(html)?.[1];
      assert.ok(session && project, html);
      const origin = new URL(launched.body.url).origin;
      const saved = await undiciRequest(`${origin}${PROJECT_PICKER_SAVE_PATH}`, {
        dispatcher: browser,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin, 'sec-fetch-site': 'same-origin' },
        body: new URLSearchParams({ session, project }).toString(),
      });
      assert.equal(saved.statusCode, 200, await saved.body.text());
      const request = await employee.get(`${company}/requests/${requestId}`);
      assert.equal(request.body.custom2?.code, project);
      // The same launch cannot be used twice: its nonce (and its code) are spent.
      const again = await undiciRequest(launched.body.url, { dispatcher: browser });
      assert.equal(again.statusCode, 403, await again.body.text());
    });

    test('Event Notification: the connector approves a request within budget and sends back one over it', async () => {
      const within = await newRequest('Within budget');
      await addExpense(within, 420);
      const over = await newRequest('Over budget');
      await addExpense(over, 7_200);
      for (const requestId of [within, over]) {
        const submitted = await employee.post(`${company}/requests/${requestId}/submit`, {});
        assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      }
      const status = async (requestId: string) => (await employee.get(`${company}/requests/${requestId}`)).body;
      await waitUntil(
        async () => (await status(within)).approver !== undefined && (await status(over)).approvalStatus.code === 'SENTBACK',
        async () => `within: ${JSON.stringify((await status(within)).approvalStatus)}, over: ${JSON.stringify((await status(over)).approvalStatus)}`,
        { timeoutMs: 30_000 },
      );
      const approved = await status(within);
      assert.equal(approved.approvalStatus.code, 'SUBMITTED');
      assert.equal(approved.approver.id, (await admin.get('/api/session')).body.user.id, 'on to the manager once the connector approved');
      const comments = await employee.get(`${company}/requests/${over}/comments`);
      assert.ok(comments.body.items.some((comment: any) => /exceeds the budget limit/.test(comment.value)), JSON.stringify(comments.body));
      const queue = await admin.get(`${company}/notifications?status=PENDING`);
      assert.deepEqual(queue.body.items, [], 'both notifications were delivered and removed');
      const calls = await admin.get(`${company}/callouts?service=notification`);
      assert.ok(calls.body.items.filter((call: any) => call.outcome === 'ok').length >= 2);
    });
  });
}
