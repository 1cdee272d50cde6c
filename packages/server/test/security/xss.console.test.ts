/**
 * XSS through every user-controlled field, in the real console in Chromium. A tenant is built with an
 * HTML payload as every name and text (company, users, connector name and description, attendee types,
 * list, form field labels, workflow, policy, travel agency, application, requests' names, business
 * purposes and comments, custom field values, the call log and a notification's error; a webhook
 * endpoint with a payload, which is stored percent-encoded), and a real
 * connector (HTTPS, development CA) answers Fetch Attendee with attendees named with payloads and Fetch
 * List with a payload item, which are added to the request. Each console page that shows such data is
 * then opened as the user who sees it, with the page's CSP bypassed (so that the console's own escaping
 * is what is tested; the CSP itself is checked in sessions-and-headers.test.ts): the payload must show as
 * text, `window.__xss` must stay undefined, no dialog may open, and no element with an inline event
 * handler or an injected `<img src=x>` / `<svg>` may exist.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ServerResponse } from 'node:http';
import { startTestServer, type Credentials, type TestServer } from '../support/server.ts';
import { CHROMIUM_PATH, consoleTestReady, launchChromium, screenshotter } from '../support/console-browser.ts';
import { startReceiver, subscribe, type Receiver } from '../support/ess-fixtures.ts';
import { createDevCa, startFakeConnector, type FakeConnector, type RecordedRequest } from '../support/tls-fixture.ts';
import { buildTenant, type Tenant } from './world.ts';
import { sessionHeaders } from './probe.ts';

/** The payloads: an image error handler, a script element, and an attribute breakout. */
const PAYLOADS = ['<img src=x onerror=window.__xss=1>', '<script>window.__xss=1</script>', '"><svg onload=window.__xss=1>'] as const;
const MARK = 'window.__xss=1';
const xmlEscape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const screenshot = screenshotter('9x-xss-');

function attendeeXml(externalId: string, firstName: string, lastName: string): string {
  const fields: Array<[string, string]> = [
    ['ExternalID', externalId], ['FirstName', firstName], ['MiddleInitial', ''], ['LastName', lastName], ['Suffix', ''], ['Company', PAYLOADS[1]],
    ['AttendeeTypeCode', 'XSSGUEST'], ['Title', 'CFO'], ...Array.from({ length: 25 }, (_, i): [string, string] => [`Custom${i + 1}`, '']),
  ];
  return `<Attendee>${fields.map(([name, value]) => (value === '' ? `<${name}/>` : `<${name}>${xmlEscape(value)}</${name}>`)).join('')}</Attendee>`;
}

function answerXml(response: ServerResponse, body: string): void {
  response.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function connectorRoute(request: RecordedRequest, response: ServerResponse): void {
  if (request.path.startsWith('/attendee/v2.0/')) {
    answerXml(response, `<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse>${attendeeXml('XSS-1', PAYLOADS[0], PAYLOADS[2])}${attendeeXml('XSS-2', 'Plain', PAYLOADS[1])}</AttendeeSearchResponse>`);
  } else if (request.path.startsWith('/list/')) {
    const item = `<item><code>XSS</code><short-code>XSS</short-code><text>${xmlEscape(PAYLOADS[0])}</text><match-value>XSS</match-value></item>`;
    answerXml(response, `<?xml version="1.0" encoding="utf-8"?><fetch-list-response>${item}</fetch-list-response>`);
  } else {
    response.writeHead(404, { 'content-length': '0' });
    response.end();
  }
}

describe('XSS: user-controlled text in every console page', () => {
  let server: TestServer;
  let receiver: Receiver;
  let connector: FakeConnector;
  let browser: Browser | undefined;
  let tenant: Tenant;
  let ready = false;

  before(async () => {
    const ca = await createDevCa();
    connector = await startFakeConnector({ tls: ca.issue(['localhost']), userName: 'xss-connector-user', password: 'xss-connector-password', route: connectorRoute });
    receiver = await startReceiver();
    server = await startTestServer({ extraCa: ca.caCert, env: { PATCHBAY_ALLOW_HTTP_WEBHOOKS: 'true' } });
    let n = 0;
    tenant = await buildTenant(server, 'X', { receiver, name: (what) => `${PAYLOADS[n++ % PAYLOADS.length]} ${what}` });
    const { store } = server.patchbay;
    const company = `/api/companies/${tenant.companyId}`;
    const admin = tenant.admin.client;

    // People named with payloads.
    for (const [index, member] of [tenant.admin, tenant.traveler, tenant.manager].entries()) {
      await store.db.updateTable('users').set({ name: `${PAYLOADS[index]} person` }).where('id', '=', member.id).execute();
    }
    // A notification whose error is a payload (as a connector's answer could make it).
    await store.db.updateTable('notifications').set({ last_error: `${PAYLOADS[0]} from the connector` }).where('id', '=', tenant.notificationId).execute();

    // A real connector whose answers carry payloads: attendees and a list item.
    await server.addSafeHost('localhost', tenant.companyId);
    const registered = await admin.post(`${company}/connectors`, { name: `${PAYLOADS[2]} live`, description: PAYLOADS[0], hostName: connector.url, userName: 'xss-connector-user', password: 'xss-connector-password' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const live = registered.body.id as string;
    assert.equal((await admin.post(`${company}/connectors/${live}/test-connection`)).body.result.ok, true);
    assert.equal((await admin.put(`${company}/attendee-types/XSSGUEST`, { name: `${PAYLOADS[0]} guest`, allowsManual: true })).status, 200);
    assert.equal((await admin.put(`${company}/connectors/${live}/services/fetch-attendee`, { endpoint: '/attendee/v2.0/fetch', active: true, settings: { attendeeTypes: ['XSSGUEST'] } })).status, 200);
    assert.equal((await admin.put(`${company}/connectors/${live}/services/fetch-list`, { endpoint: '/list/v1.2/fetch', active: true, settings: { lists: [{ name: `${PAYLOADS[1]} list`, category: 'Places', languageCode: 'en', connectedListLevel: null }] } })).status, 200);
    assert.equal((await admin.put(`${company}/form-fields/custom4`, { label: `${PAYLOADS[2]} pick`, kind: 'LIST', connectorId: live, listName: `${PAYLOADS[1]} list` })).status, 200);
    const traveler = tenant.traveler.client;
    const found = await traveler.post(`${company}/requests/${tenant.draft.id}/attendee-search`, { attendeeTypeCode: 'XSSGUEST', lastName: 'a' });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    for (const attendee of found.body.items) {
      const added = await traveler.post(`${company}/requests/${tenant.draft.id}/attendees`, { attendeeTypeCode: 'XSSGUEST', externalId: attendee.externalId });
      assert.equal(added.status, 201, JSON.stringify(added.body));
    }
    const chosen = await traveler.put(`${company}/requests/${tenant.draft.id}/fields/custom4/choice`, { codeByLevel: ['XSS'] });
    assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    // A subscription whose endpoint carries a payload (the URL is stored as serialized, so percent-encoded).
    await subscribe(server.url, tenant.app, { id: 'xss-endpoint', endpoint: `${receiver.url('/hook')}?q=${PAYLOADS[0]}#${PAYLOADS[2]}` });
    // A comment on the submitted request, as the approver sends it back.
    await tenant.manager.client.post(`${company}/requests/${tenant.submitted.id}/sendback`, { comment: `${PAYLOADS[0]} fix this` });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await receiver?.close();
    await connector?.close();
  });

  /** Opens `path` as `who` (session cookie set directly), CSP bypassed; returns the problems found. */
  async function inspect(who: Credentials, path: string): Promise<string[]> {
    const session = await sessionHeaders(server.url, who);
    const context: BrowserContext = await browser!.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    const problems: string[] = [];
    try {
      const [name, value] = session.cookie.split('=') as [string, string];
      await context.addCookies([{ name, value, url: server.url }]);
      const page: Page = await context.newPage();
      page.on('dialog', (dialog) => {
        problems.push(`a ${dialog.type()} dialog opened: ${dialog.message()}`);
        void dialog.dismiss();
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      await page.goto(`${server.url}${path}`);
      const shown = await page
        .waitForFunction((mark) => (globalThis as any).document.body.innerText.includes(mark), MARK, { timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      if (!shown) problems.push('no user-controlled text shows on this page (has its path changed?)');
      // Let lists and details that load after the first text render too.
      await page.waitForLoadState('networkidle').catch(() => {});
      // Runs in the page (the server's tsconfig has no DOM types: the page's globals are reached through globalThis).
      const verdict = await page.evaluate(() => {
        const page = globalThis as any;
        const all: any[] = [...page.document.querySelectorAll('*')];
        return {
          xss: page.__xss as unknown,
          handlers: all.filter((element) => [...element.attributes].some((attribute: any) => /^on/i.test(attribute.name))).map((element) => String(element.outerHTML).slice(0, 120)),
          injected: [...page.document.querySelectorAll('img[src="x"], svg[onload], script:not([src])')].map((element: any) => String(element.outerHTML).slice(0, 120)),
        };
      });
      if (verdict.xss !== undefined) problems.push(`window.__xss is ${String(verdict.xss)}`);
      if (verdict.handlers.length > 0) problems.push(`elements with inline handlers: ${verdict.handlers.join(' | ')}`);
      if (verdict.injected.length > 0) problems.push(`injected elements: ${verdict.injected.join(' | ')}`);
      if (problems.length > 0) await screenshot(page, path.replace(/[^a-z0-9]+/gi, '-').slice(0, 80));
    } finally {
      await context.close();
    }
    return problems;
  }

  test('every page showing user-controlled text renders the payloads as text and runs none of them', async (t) => {
    if (!consoleTestReady(t)) return;
    ready = true;
    browser = await launchChromium();
    const c = encodeURIComponent(tenant.companyId);
    const pages: Array<{ who: Credentials; path: string }> = [
      { who: server.operator, path: '/admin/companies' },
      { who: server.operator, path: `/admin/companies/${c}` },
      { who: server.operator, path: `/admin/companies/${c}/users` },
      { who: server.operator, path: '/admin/applications' },
      { who: server.operator, path: `/admin/applications/${tenant.app.id}` },
      { who: server.operator, path: '/admin/event-subscriptions' },
      { who: server.operator, path: `/admin/event-subscriptions/${encodeURIComponent(tenant.subscription.id)}` },
      { who: tenant.admin, path: '/' },
      { who: tenant.admin, path: `/admin/web-services/connectors/${c}` },
      { who: tenant.admin, path: `/admin/web-services/connectors/${c}/${tenant.connector.id}` },
      { who: tenant.admin, path: `/admin/web-services/request-token/${c}` },
      { who: tenant.admin, path: `/admin/web-services/connections/${c}` },
      { who: tenant.admin, path: `/admin/web-services/call-log/${c}` },
      { who: tenant.admin, path: `/admin/web-services/notifications/${c}` },
      { who: tenant.admin, path: `/admin/requests/${c}/workflows` },
      { who: tenant.admin, path: `/admin/requests/${c}/workflows/${tenant.workflow.id}` },
      { who: tenant.admin, path: `/admin/requests/${c}/policies` },
      { who: tenant.admin, path: `/admin/requests/${c}/travel-agencies` },
      { who: tenant.admin, path: `/admin/requests/${c}/approver-groups` },
      { who: tenant.admin, path: `/admin/requests/${c}/users` },
      { who: tenant.admin, path: `/admin/requests/${c}/events` },
      { who: tenant.admin, path: `/admin/requests/${c}/attendee-types` },
      { who: tenant.admin, path: `/admin/requests/${c}/form-fields` },
      { who: tenant.traveler, path: '/requests' },
      { who: tenant.traveler, path: '/requests/new' },
      { who: tenant.traveler, path: `/requests/${tenant.draft.id}` },
      { who: tenant.traveler, path: `/requests/${tenant.draft.id}?edit=1` },
      { who: tenant.traveler, path: `/requests/${tenant.submitted.id}` },
      { who: tenant.manager, path: '/approvals' },
    ];
    const failures: string[] = [];
    for (const { who, path } of pages) {
      for (const problem of await inspect(who, path)) failures.push(`${path} (${who.loginId}): ${problem}`);
    }
    t.diagnostic(`${pages.length} pages in Chromium (${CHROMIUM_PATH}), ${PAYLOADS.length} payloads in every user-controlled field; ${failures.length} problems`);
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  test('control: with the CSP bypassed, a payload injected as HTML does run and is detected', async (t) => {
    if (!ready) {
      t.skip('the console test did not run');
      return;
    }
    const context = await browser!.newContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.evaluate((payload) => {
        const { document } = globalThis as any;
        const holder = document.createElement('div');
        holder.innerHTML = payload;
        document.body.append(holder);
      }, PAYLOADS[0]);
      await page.waitForFunction(() => (globalThis as any).__xss === 1, undefined, { timeout: 5_000 });
    } finally {
      await context.close();
    }
  });

  test('the payloads reached the pages as data (the API returns them unchanged, so escaping is the console\'s job)', async (t) => {
    if (!ready) {
      t.skip('the console test did not run');
      return;
    }
    const request = await tenant.traveler.client.get(`/api/companies/${tenant.companyId}/requests/${tenant.draft.id}`);
    const text = JSON.stringify(request.body);
    for (const payload of PAYLOADS) assert.ok(text.includes(payload), `the request carries ${payload}`);
    // Webhook endpoints are kept as the URL parser serializes them: no markup survives in them.
    const endpoint = (await server.patchbay.store.db.selectFrom('subscriptions').select('endpoint').where('id', '=', 'xss-endpoint').executeTakeFirstOrThrow()).endpoint;
    assert.ok(!/[<>"]/.test(endpoint), endpoint);
  });
});
