// Launch External URL (Concur Request) over real HTTPS: launches signed as Concur signs them (callout-xml), the
// signature and nonce checks, the project picker page, and the save through Request v4 on a fake Concur.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLeuUrl, leuSignature } from '@patchbay/callout-xml';
import type { LeuV4ExpenseParams, LeuV4RequestParams } from '@patchbay/callout-xml';
import { PROJECT_PICKER_SAVE_PATH, createSampleConnector } from '../src/index.ts';
import type { SampleConnector } from '../src/index.ts';
import { CLIENT_ID, CLIENT_SECRET, PASSWORD, REDIRECT_URI, USER_NAME, addRequest, call, startFakeConcur, temporaryCertificates } from './support.ts';
import type { FakeConcur, FakeRequest } from './support.ts';

let launches = 0;

describe('Launch External URL: the project picker', () => {
  let certificates: Awaited<ReturnType<typeof temporaryCertificates>>;
  let concur: FakeConcur;
  let sample: SampleConnector;
  let base: string;
  let origin: string;
  let request: FakeRequest;

  /** A launch URL for `request`, signed with the connector's credentials (or `password`), with a fresh nonce and auth code. */
  function launchUrl(overrides: Partial<LeuV4RequestParams> = {}, password = PASSWORD): string {
    launches += 1;
    const code = `auth-code-${launches}`;
    concur.authCodes.add(code);
    const params: LeuV4RequestParams = {
      version: 'v4',
      variant: 'request',
      companyDomain: 'demo.patchbay.dev',
      loggedInUserId: '3c5a1f6e-0000-4000-8000-00000000aaaa',
      requestOwnerUserId: '3c5a1f6e-0000-4000-8000-00000000aaaa',
      requestOwnerEmployeeId: 'E-1001',
      itemUrl: `${concur.url}/travelrequest/v4/requests/${request.id}`,
      customFieldLaunchedFrom: 'custom3',
      source: 'HEADER',
      isMobile: false,
      nonce: `6f1c2d3e-0000-4000-8000-${String(launches).padStart(12, '0')}`,
      clientAuthCode: code,
      languageCode: 'en',
      ...overrides,
    };
    const signature = leuSignature({ ...params, username: USER_NAME, password });
    return buildLeuUrl(`${base}/request/launchexternalurl/v4/form`, { ...params, signature });
  }

  const open = (url: string) => call(url, { ca: certificates.caCert });

  function save(fields: Record<string, string>, headers: Record<string, string> = { origin }) {
    return call(`${base}${PROJECT_PICKER_SAVE_PATH}`, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      ca: certificates.caCert,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  /** Opens the picker and answers its session id. */
  async function openPicker(): Promise<string> {
    const page = await open(launchUrl());
    assert.equal(page.status, 200, page.body);
    const session = /name="session" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(session);
    return session;
  }

  before(async () => {
    certificates = await temporaryCertificates();
    concur = await startFakeConcur();
    sample = createSampleConnector({
      credentials: { userName: USER_NAME, password: PASSWORD },
      tls: { cert: certificates.cert, key: certificates.key },
      patchbay: { baseUrl: concur.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI },
    });
    const address = await sample.listen(0, '127.0.0.1');
    base = address.url.replace('127.0.0.1', 'localhost');
    origin = base;
    request = addRequest(concur, [], {
      status: 'NOT_SUBMITTED',
      name: '<script>alert(1)</script> Offsite & "Co"',
      startDate: '2026-06-01',
      endDate: '2026-06-03',
      custom: { custom1: { code: 'KEEP', value: 'Kept as it was' } },
    });
  });

  after(async () => {
    await sample.close();
    await concur.close();
    await certificates.cleanup();
  });

  test('a signed launch renders a self-contained page with a strict CSP and everything escaped', async () => {
    const page = await open(launchUrl());
    assert.equal(page.status, 200, page.body);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /form-action 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.doesNotMatch(page.body, /<script>alert/);
    assert.match(page.body, /&#60;script&#62;alert\(1\)&#60;\/script&#62; Offsite &#38; &#34;Co&#34;/);
    assert.doesNotMatch(page.body, /\b(src|href)=/, 'no external resources');
    assert.match(page.body, new RegExp(`<form method="post" action="${PROJECT_PICKER_SAVE_PATH}">`));
    assert.match(page.body, /value="PRJ-1001"/);
    assert.match(page.body, /Apollo ERP rollout/);
    assert.match(page.body, /<legend>Professional Services<\/legend>/);
    // The user token came from the launch's client_auth_code, with the registered redirect URL.
    const exchange = concur.received.filter((r) => r.path === '/oauth2/v0/token').at(-1);
    const form = new URLSearchParams(exchange?.body);
    assert.equal(form.get('grant_type'), 'authorization_code');
    assert.equal(form.get('redirect_uri'), REDIRECT_URI);
  });

  test('a bad signature is refused, and a launch URL works only once', async () => {
    const forged = await open(launchUrl({}, 'not the connector password'));
    assert.equal(forged.status, 403);
    assert.doesNotMatch(forged.body, /Choose a project/);
    const url = launchUrl();
    assert.equal((await open(url)).status, 200);
    const replay = await open(url);
    assert.equal(replay.status, 403);
    assert.match(replay.body, /already used/);
  });

  test('saving writes { code, value } to the launched field through Request v4, then closes the window', async () => {
    const session = await openPicker();
    const saved = await save({ session, project: 'PRJ-1002' });
    assert.equal(saved.status, 200, saved.body);
    assert.match(saved.body, /Project saved/);
    assert.match(saved.body, /window\.close\(\)/);
    const nonce = /<script nonce="([^"]+)">/.exec(saved.body)?.[1];
    assert.ok(nonce);
    assert.match(String(saved.headers['content-security-policy']), new RegExp(`script-src 'nonce-${nonce.replace(/[+/]/g, (c) => `\\${c}`)}'`));
    assert.deepEqual(request.custom.custom3, { code: 'PRJ-1002', value: 'Harbor data migration' });
    const put = concur.received.filter((r) => r.method === 'PUT').at(-1);
    assert.equal(put?.path, `/travelrequest/v4/requests/${request.id}`);
    assert.match(String(put?.headers.authorization), /^Bearer user-access-/);
    const body = JSON.parse(put?.body ?? '{}') as Record<string, unknown>;
    assert.deepEqual(body.custom3, { code: 'PRJ-1002', value: 'Harbor data migration' });
    // The request's current values go back with it (Concur requires the name), other custom fields included.
    assert.equal(body.name, request.name);
    assert.equal(body.startDate, '2026-06-01');
    assert.deepEqual(body.custom1, { code: 'KEEP', value: 'Kept as it was' });
    // The session was single use.
    const again = await save({ session, project: 'PRJ-1003' });
    assert.equal(again.status, 403);
    assert.match(again.body, /expired or was already saved/);
    assert.deepEqual(request.custom.custom3, { code: 'PRJ-1002', value: 'Harbor data migration' });
    // The page opened again shows the saved project as chosen.
    const reopened = await open(launchUrl());
    assert.match(reopened.body, /value="PRJ-1002" required checked/);
  });

  test('cross-site posts, unknown sessions and unknown projects are refused without using the session up', async () => {
    const session = await openPicker();
    assert.equal((await save({ session, project: 'PRJ-1001' }, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await save({ session, project: 'PRJ-1001' }, { origin: 'null' })).status, 403);
    assert.equal((await save({ session, project: 'PRJ-1001' }, { origin: 'null', 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await save({ session, project: 'PRJ-1001' }, { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await save({ session: 'guessed', project: 'PRJ-1001' })).status, 403);
    assert.equal((await save({ session: '', project: 'PRJ-1001' })).status, 403);
    assert.equal((await save({ session, project: 'PRJ-9999' })).status, 400);
    const json = await call(`${base}${PROJECT_PICKER_SAVE_PATH}`, { method: 'POST', body: JSON.stringify({ session, project: 'PRJ-1001' }), ca: certificates.caCert, headers: { 'content-type': 'application/json' } });
    assert.equal(json.status, 415);
    assert.equal((await call(`${base}${PROJECT_PICKER_SAVE_PATH}`, { ca: certificates.caCert })).status, 405);
    assert.equal((await call(`${base}/anything/else`, { ca: certificates.caCert })).status, 404);
    const saved = await save({ session, project: 'PRJ-1001' }, { origin: 'null', 'sec-fetch-site': 'same-origin' });
    assert.equal(saved.status, 200, saved.body);
    assert.deepEqual(request.custom.custom3, { code: 'PRJ-1001', value: 'Apollo ERP rollout' });
  });

  test('a launch the picker cannot serve gets a page that says why', async () => {
    const field = await open(launchUrl({ customFieldLaunchedFrom: 'name' }));
    assert.equal(field.status, 400);
    assert.match(field.body, /not a Request v4 custom field/);
    const other = await open(launchUrl({ itemUrl: `${concur.url}/travelrequest/v4/requests/${'B'.repeat(32)}` }));
    assert.equal(other.status, 502);
    assert.match(other.body, /could not be read/);
    // An auth code Concur does not know (spent, or expired).
    const spent = launchUrl();
    concur.authCodes.clear();
    const refused = await open(spent);
    assert.equal(refused.status, 502);
    assert.match(refused.body, /invalid_grant/);
    // An Expense launch on the Request picker.
    launches += 1;
    const expense: LeuV4ExpenseParams = {
      version: 'v4',
      variant: 'expense',
      companyDomain: 'demo.patchbay.dev',
      loggedInUserId: 'u',
      reportOwnerUserId: 'u',
      reportOwnerEmployeeId: 'E',
      itemUrl: `${concur.url}/expensereports/v4/reports/1`,
      customFieldLaunchedFrom: 'custom3',
      source: 'HEADER',
      isMobile: false,
      nonce: `expense-${launches}`,
      clientAuthCode: 'unused',
    };
    const url = buildLeuUrl(`${base}/request/launchexternalurl/v4/form`, { ...expense, signature: leuSignature({ ...expense, username: USER_NAME, password: PASSWORD }) });
    const expensePage = await open(url);
    assert.equal(expensePage.status, 400);
    assert.match(expensePage.body, /for Concur Requests/);
  });
});
