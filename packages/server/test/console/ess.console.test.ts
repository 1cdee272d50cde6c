/**
 * Console test: drives the real console in Debian's Chromium against a real patchbay through the Event
 * Subscription Service pages. A partner app subscribes an HTTPS receiver through ESS v4, the company
 * connects, and Request events are delivered (one retried after a 503, one refused with a 400). The
 * operator lists the subscriptions, filters a subscription's deliveries by status, opens a delivery
 * with its attempts and the exact event JSON, replays the refused event and then a time range (each
 * after a confirmation) and the receiver gets them again; on Webhook Signing Key they copy the PEM and
 * rotate the key. The company admin sees the same subscription and deliveries read-only; an employee
 * is refused. Full-page screenshots land in test-output/screenshots/ at the repository root (prefixed 4x-).
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.ts';
import { STEP_TIMEOUT_MS, consoleTestReady, heading, launchChromium, openAdministration, openConsolePage, screenshotter, signIn, signOut, stepRunner, visible } from '../support/console-browser.ts';
import { signIn as apiSignIn } from '../support/api-client.ts';
import { createDevCa, startHttpsServer, type RunningServer } from '../support/tls-fixture.ts';
import { createRequestFixture } from '../support/request-fixtures.ts';
import { createApplication } from '../../src/identity/applications.ts';

const APP_NAME = 'Travel Sync';
const SUBSCRIPTION_ID = 'travel-sync.requests.prod';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function token(baseUrl: string, form: Record<string, string>): Promise<any> {
  const response = await fetch(`${baseUrl}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

const screenshot = screenshotter('4x-');

test('console: Event Subscriptions, deliveries and attempts, Replay, and the Webhook Signing Key', { timeout: 240_000 }, async (t) => {
  if (!consoleTestReady(t)) return;

  let server: TestServer | undefined;
  let receiver: RunningServer | undefined;
  let browser: Browser | undefined;
  try {
    // The subscriber: the first PENDING of each request gets a 503 (retried), the first APPROVED a 400 (not retried).
    const received: Array<{ eventId: string; eventType: string; status: number }> = [];
    const ca = await createDevCa();
    receiver = await startHttpsServer(ca.issue(['localhost', '127.0.0.1']), (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; eventType: string; facts: { requestId: string } };
        const first = !received.some((r) => r.eventId === event.id);
        let status = 200;
        let text = '{"received":true}';
        if (first && event.eventType === 'statusChange.PENDING.RequestManager') [status, text] = [503, 'Service Unavailable: the queue is restarting'];
        if (first && event.eventType === 'statusChange.APPROVED') [status, text] = [400, `Unknown request ${event.facts.requestId}`];
        received.push({ eventId: event.id, eventType: event.eventType, status });
        res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain' }).end(text);
      });
    });
    server = await startTestServer({ extraCa: ca.caCert });
    const baseUrl = server.url;
    const { store } = server.patchbay;

    // A partner app subscribes through ESS v4; the company then connects with a Company Request Token.
    const { application, clientSecret } = await store.transaction((trx) =>
      createApplication(trx, null, { name: APP_NAME, grants: ['client_credentials', 'password'], scopes: ['events.topic.read', 'travelrequest.write'], redirectUris: [] }),
    );
    const appToken = (await token(baseUrl, { grant_type: 'client_credentials', client_id: application.id, client_secret: clientSecret })).access_token as string;
    const saved = await fetch(`${baseUrl}/events/v4/subscriptions/webhook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: SUBSCRIPTION_ID, topic: 'public.concur.request', filter: '.*', webHookConfig: { endpoint: `${receiver.url}/concur/webhooks` } }),
    });
    assert.equal(saved.status, 200, await saved.text());
    const adminApi = await apiSignIn(baseUrl, server.admin);
    const requestToken = await adminApi.post(`/api/companies/${server.companyId}/request-tokens`, { appId: application.id });
    await token(baseUrl, { grant_type: 'password', credtype: 'authtoken', client_id: application.id, client_secret: clientSecret, username: server.companyId, password: requestToken.body.requestToken });

    // Request A is submitted and approved; request B is submitted and canceled.
    const startedAt = new Date(Date.now() - 60_000);
    const fixture = await createRequestFixture(server);
    const traveler = await fixture.userApi(fixture.people.traveler);
    const manager = await fixture.userApi(fixture.people.manager);
    const a = await fixture.newRequest(fixture.people.traveler);
    assert.equal((await traveler.action(a.id, 'submit')).status, 200);
    assert.equal((await manager.action(a.id, 'approve')).status, 200);
    const b = await fixture.newRequest(fixture.people.traveler);
    assert.equal((await traveler.action(b.id, 'submit')).status, 200);
    assert.equal((await traveler.action(b.id, 'cancel')).status, 200);
    const events = await fixture.events();
    assert.equal(events.length, 4);
    const approvedEvent = events.find((event) => event.eventType === 'statusChange.APPROVED')!;
    const operatorApi = await apiSignIn(baseUrl, server.operator);
    await waitFor('the deliveries to settle', async () => {
      const counts = (await operatorApi.get(`/api/ess/subscriptions/${SUBSCRIPTION_ID}`)).body.counts;
      return counts.DELIVERED === 3 && counts.FAILED === 1 && counts.PENDING === 0;
    });

    browser = await launchChromium();
    const { page, pageErrors } = await openConsolePage(browser, { permissions: ['clipboard-read', 'clipboard-write'], origin: new URL(baseUrl).origin });

    // The steps build on each other: after a failure the rest are skipped (the failure is reported).
    const step = stepRunner(t, page, screenshot);

    const subscriptionRow = () => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: SUBSCRIPTION_ID, exact: true }) });
    const deliveriesTable = () => page.getByRole('table', { name: 'Deliveries' });
    const deliveryRows = () => deliveriesTable().locator('tbody tr');

    await step('operator: Event Subscriptions lists the subscription with its app, endpoint, company and counts', async () => {
      await signIn(page, baseUrl, server!.operator);
      await openAdministration(page, 'Event Subscriptions', () => screenshot(page, '01-administration-menu'));
      await heading(page, 'Event Subscriptions');
      const row = await visible(subscriptionRow());
      await visible(row.getByText(APP_NAME, { exact: true }));
      await visible(row.getByText(application.id, { exact: true }));
      await visible(row.getByText('public.concur.request', { exact: true }));
      await visible(row.getByText(`${receiver!.url}/concur/webhooks`, { exact: true }));
      const companyName = (await store.db.selectFrom('companies').select('name').where('id', '=', server!.companyId).executeTakeFirstOrThrow()).name;
      await visible(row.getByText(companyName, { exact: true }));
      await visible(row.getByText('Delivered 3', { exact: true }));
      await visible(row.getByText('Failed 1', { exact: true }));
      await screenshot(page, '02-subscriptions');

      // The application filter narrows the list (?appId=).
      await page.getByLabel('Application').selectOption({ label: APP_NAME });
      await visible(subscriptionRow());
      await page.getByLabel('Application').selectOption({ label: 'All applications' });
      await visible(subscriptionRow());
    });

    await step('operator: the subscription page lists its deliveries, filtered by status', async () => {
      await subscriptionRow().getByRole('link', { name: SUBSCRIPTION_ID }).click();
      await heading(page, SUBSCRIPTION_ID);
      await visible(page.getByRole('heading', { name: 'Deliveries' }));
      await waitFor('four delivery rows', async () => (await deliveryRows().count()) === 4);
      const failedRow = deliveryRows().filter({ hasText: 'statusChange.APPROVED' });
      await visible(failedRow.getByText('Failed', { exact: true }));
      await visible(failedRow.getByText('HTTP 400', { exact: true }));
      await visible(failedRow.getByText(a.requestId, { exact: true }));
      await screenshot(page, '03-subscription');

      await page.getByLabel('Status').selectOption({ label: 'Failed' });
      await waitFor('one failed delivery', async () => (await deliveryRows().count()) === 1 && (await deliveryRows().first().textContent())!.includes('statusChange.APPROVED'));
      await screenshot(page, '04-deliveries-failed');
      await page.getByLabel('Status').selectOption({ label: 'Delivered' });
      await waitFor('three delivered deliveries', async () => (await deliveryRows().count()) === 3);
      await page.getByLabel('Status').selectOption({ label: 'All statuses' });
      await waitFor('four delivery rows', async () => (await deliveryRows().count()) === 4);
    });

    await step('operator: a delivery shows each attempt (503, then 200) and the exact event JSON', async () => {
      const retried = deliveryRows().filter({ hasText: 'statusChange.PENDING.RequestManager' }).filter({ hasText: a.requestId });
      await retried.getByRole('link').click();
      await visible(page.getByRole('heading', { level: 1, name: /^Delivery #\d+$/ }));
      const attempts = page.getByRole('table', { name: 'Attempts' });
      await visible(attempts.getByText('HTTP 503', { exact: true }));
      await visible(attempts.getByText('Service Unavailable: the queue is restarting', { exact: true }));
      await visible(attempts.getByText('HTTP 200', { exact: true }));
      await visible(attempts.getByText('{"received":true}', { exact: true }));
      const pendingA = events.find((event) => event.eventType === 'statusChange.PENDING.RequestManager' && event.requestId === a.id)!;
      assert.equal(await page.getByLabel('Exact Event JSON', { exact: true }).inputValue(), pendingA.payloadText, 'the exact bytes stored and sent');
      const signature = await page.getByLabel('Concur-Signature', { exact: true }).inputValue();
      assert.match(signature, /^[A-Za-z0-9+/]+=*$/);
      await visible(page.getByLabel('Event JSON', { exact: true }).getByText(`"id": "${pendingA.id}"`));
      await screenshot(page, '05-delivery');
      await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: SUBSCRIPTION_ID }).click();
      await heading(page, SUBSCRIPTION_ID);
    });

    await step('operator: Replay of the refused event, after a confirmation, delivers it again', async () => {
      const seen = received.length;
      await waitFor('four delivery rows', async () => (await deliveryRows().count()) === 4);
      await deliveryRows().filter({ hasText: 'statusChange.APPROVED' }).getByRole('button', { name: /^Replay the event of delivery/ }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Replay events?' });
      await visible(confirm.getByText(approvedEvent.id, { exact: true }));
      await screenshot(page, '06-replay-confirm');
      await confirm.getByRole('button', { name: 'Replay', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      await visible(page.getByRole('status').filter({ hasText: 'Replayed 1 event' }));
      await waitFor('the replayed event at the receiver', async () => received.slice(seen).some((r) => r.eventId === approvedEvent.id && r.status === 200));
      await waitFor('the replay delivered', async () => {
        await page.getByRole('button', { name: 'Refresh', exact: true }).click();
        await waitFor('five delivery rows', async () => (await deliveryRows().count()) === 5);
        const first = deliveryRows().first();
        return (await first.locator('.badge').filter({ hasText: /^Replay$/ }).count()) === 1 && (await first.getByText('Delivered', { exact: true }).count()) === 1;
      });
      await visible(deliveryRows().first().getByText('statusChange.APPROVED', { exact: true }));
      await screenshot(page, '07-replayed');
    });

    await step('operator: Replay of a time range asks for both ends, then replays every event of the range', async () => {
      const form = page.getByRole('form', { name: 'Replay events' });
      await form.getByRole('button', { name: 'Replay…' }).click();
      await visible(form.getByText('Enter the id of the event to replay'));
      await form.getByLabel('A time range').check();
      await form.getByRole('button', { name: 'Replay…' }).click();
      await visible(form.getByText('Enter when the range starts.'));
      const local = (date: Date) => date.toISOString().slice(0, 16);
      await form.getByLabel('From', { exact: true }).fill(local(startedAt));
      await form.getByLabel('To', { exact: true }).fill(local(new Date(Date.now() + 120_000)));
      await screenshot(page, '08-replay-range');
      const seen = received.length;
      await form.getByRole('button', { name: 'Replay…' }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Replay events?' });
      await visible(confirm.getByText('that this subscription would receive'));
      await screenshot(page, '09-replay-range-confirm');
      await confirm.getByRole('button', { name: 'Replay', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      await visible(page.getByRole('status').filter({ hasText: 'Replayed 4 events' }));
      await waitFor('four replayed events at the receiver', async () => new Set(received.slice(seen).filter((r) => r.status === 200).map((r) => r.eventId)).size === 4);
      await waitFor('nine deliveries, none pending', async () => {
        const counts = (await operatorApi.get(`/api/ess/subscriptions/${SUBSCRIPTION_ID}`)).body.counts;
        return counts.PENDING === 0 && counts.DELIVERED === 8;
      });
    });

    await step('operator: Webhook Signing Key shows the PEM (Copy) and Rotate keeps the previous key published', async () => {
      await openAdministration(page, 'Webhook Signing Key');
      await heading(page, 'Webhook Signing Key');
      const pem = await (await fetch(`${baseUrl}/api/ess/signing-key.pem`)).text();
      const shown = await visible(page.getByLabel('Current Public Key PEM', { exact: true }));
      assert.equal((await shown.textContent())?.trim(), pem.trim());
      await page.getByRole('button', { name: 'Copy Public Key', exact: true }).click();
      await visible(page.getByText('Public Key copied to the clipboard.'));
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), pem, 'Copy put the PEM on the clipboard');
      await visible(page.getByLabel('OpenSSL verification command').getByText('rsa_pss_saltlen:max', { exact: false }));
      await screenshot(page, '10-signing-key');

      const before = ((await (await fetch(`${baseUrl}/api/ess/signing-keys`)).json()) as { keys: Array<{ kid: string }> }).keys;
      await page.getByRole('button', { name: 'Rotate Key', exact: true }).click();
      const confirm = page.getByRole('alertdialog', { name: 'Rotate the webhook signing key?' });
      await visible(confirm.getByText('The current key stays published'));
      await screenshot(page, '11-rotate-confirm');
      await confirm.getByRole('button', { name: 'Rotate Key', exact: true }).click();
      await confirm.waitFor({ state: 'hidden' });
      const notice = await visible(page.getByRole('status').filter({ hasText: 'Webhook signing key rotated' }));
      const kid = /new key id (\S+)\./.exec((await notice.first().textContent()) ?? '')?.[1];
      assert.ok(kid);
      const after = ((await (await fetch(`${baseUrl}/api/ess/signing-keys`)).json()) as { keys: Array<{ kid: string; publicKeyPem: string }> }).keys;
      assert.deepEqual(after.map((key) => key.kid), [kid, before[0]!.kid]);
      assert.equal((await page.getByLabel('Current Public Key PEM', { exact: true }).textContent())?.trim(), after[0]!.publicKeyPem.trim());
      await visible(page.getByRole('heading', { name: 'Older keys that still verify' }));
      await visible(page.getByLabel(`Key ${before[0]!.kid} PEM`, { exact: true }));
      await screenshot(page, '12-signing-key-rotated');
      await signOut(page);
    });

    await step('company admin: the subscription and its deliveries, read-only; the signing key without Rotate', async () => {
      await signIn(page, baseUrl, server!.admin);
      await openAdministration(page, 'Event Subscriptions');
      await heading(page, 'Event Subscriptions');
      await visible(page.getByText('and only your company’s deliveries'));
      const row = await visible(subscriptionRow());
      await visible(row.getByText('Delivered 8', { exact: true }));
      assert.equal(await page.getByLabel('Application').count(), 0, 'no application filter for company admins');
      await screenshot(page, '13-company-admin-subscriptions');
      await row.getByRole('link', { name: SUBSCRIPTION_ID }).click();
      await heading(page, SUBSCRIPTION_ID);
      await waitFor('nine delivery rows', async () => (await deliveryRows().count()) === 9);
      assert.equal(await page.getByRole('form', { name: 'Replay events' }).count(), 0, 'no Replay for company admins');
      assert.equal(await deliveriesTable().getByRole('button').count(), 0);
      await screenshot(page, '14-company-admin-subscription');
      await deliveryRows().last().getByRole('link').click();
      await visible(page.getByRole('heading', { level: 1, name: /^Delivery #\d+$/ }));
      await visible(page.getByRole('table', { name: 'Attempts' }));
      assert.equal(await page.getByRole('button', { name: 'Replay This Event' }).count(), 0);
      await openAdministration(page, 'Webhook Signing Key');
      await heading(page, 'Webhook Signing Key');
      await visible(page.getByLabel('Current Public Key PEM', { exact: true }));
      assert.equal(await page.getByRole('button', { name: 'Rotate Key' }).count(), 0);
      await signOut(page);
    });

    await step('employee: no Event Subscriptions in the menu, and the page refuses', async () => {
      const employee = await server!.addUser(server!.companyId, ['EMPLOYEE']);
      await signIn(page, baseUrl, employee);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('button', { name: 'Administration' }).click();
      await visible(nav.getByRole('link', { name: 'Webhook Signing Key', exact: true }));
      assert.equal(await nav.getByRole('link', { name: 'Event Subscriptions', exact: true }).count(), 0);
      await page.goto(`${baseUrl}/admin/event-subscriptions/${SUBSCRIPTION_ID}`);
      await heading(page, 'Event Subscriptions');
      await visible(page.getByText('You do not have permission to open Event Subscriptions.'));
      await screenshot(page, '15-employee-refused');
    });

    assert.deepEqual(pageErrors, [], 'the console raised no uncaught errors');
  } finally {
    await browser?.close();
    await server?.close();
    await receiver?.close();
  }
});
