// Event Notification over real HTTPS, with a fake Concur (node:http) serving the token endpoint and Request v4:
// the callout is acknowledged at once, then the worker approves requests within the budget, sends back the
// others with a comment, retries transient failures, and records failures without crashing.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNotification, notificationEventType } from '@patchbay/callout-xml';
import type { NotificationObjectType } from '@patchbay/callout-xml';
import { createSampleConnector } from '../src/index.ts';
import type { SampleConnector, SampleConnectorLogEntry, SampleConnectorOptions } from '../src/index.ts';
import { COMPANY_ID, CLIENT_ID, CLIENT_SECRET, PASSWORD, REDIRECT_URI, USER_NAME, addRequest, basic, call, startFakeConcur, temporaryCertificates } from './support.ts';
import type { FakeConcur } from './support.ts';

describe('Event Notification: budget validation', () => {
  let certificates: Awaited<ReturnType<typeof temporaryCertificates>>;
  let concur: FakeConcur;
  let sample: SampleConnector;
  let base: string;
  let logs: SampleConnectorLogEntry[];
  let tokenCounter = 0;

  /** Starts a sample connector on the fake Concur, connected with a fresh Company Request Token. */
  async function start(overrides: Partial<SampleConnectorOptions> = {}): Promise<void> {
    tokenCounter += 1;
    const requestToken = `request-token-${tokenCounter}`;
    concur.requestTokens.set(requestToken, COMPANY_ID);
    logs = [];
    sample = createSampleConnector({
      credentials: { userName: USER_NAME, password: PASSWORD },
      tls: { cert: certificates.cert, key: certificates.key },
      patchbay: { baseUrl: concur.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI, companyId: COMPANY_ID, companyRequestToken: requestToken },
      retry: { attempts: 3, initialDelayMs: 5 },
      log: (entry) => logs.push(entry),
      ...overrides,
    });
    base = (await sample.listen(0, '127.0.0.1')).url;
  }

  async function notify(objectUri: string, objectType: NotificationObjectType = 'TRAVELREQ') {
    const xml = buildNotification({ eventType: notificationEventType('SUBMIT'), objectType, objectUri, eventDateTime: '2026-05-01' });
    return call(`${base}/concur/v1.0/notify`, { method: 'POST', body: xml, ca: certificates.caCert, headers: { authorization: basic(), 'content-type': 'application/xml' } });
  }

  const uri = (id: string) => `${concur.url}/travelrequest/v4/requests/${id}`;

  before(async () => {
    certificates = await temporaryCertificates();
  });
  beforeEach(async () => {
    concur = await startFakeConcur();
  });
  after(() => certificates.cleanup());

  async function stop(): Promise<void> {
    await sample.close();
    await concur.close();
  }

  test('a request within the budget is approved, one over it is sent back with the reason', async () => {
    await start();
    try {
      const cheap = addRequest(concur, [1200, 800.5]);
      const dear = addRequest(concur, [5000, 2200]);
      const first = await notify(uri(cheap.id));
      assert.equal(first.status, 200);
      assert.equal((await notify(uri(dear.id))).status, 200);
      await sample.whenIdle();

      assert.equal(cheap.status, 'APPROVED');
      assert.equal(cheap.lastComment, 'Total expected cost 2,000.50 USD is within the budget limit of 5,000.00 USD');
      assert.equal(dear.status, 'SENTBACK');
      assert.equal(dear.lastComment, 'Total expected cost 7,200.00 USD exceeds the budget limit of 5,000.00 USD');

      const byId = new Map(sample.validations.map((v) => [v.requestUuid, v]));
      assert.equal(byId.get(cheap.id)?.outcome, 'approved');
      assert.deepEqual(byId.get(cheap.id)?.total, { value: 2000.5, currency: 'USD' });
      assert.equal(byId.get(cheap.id)?.requestKey, cheap.requestId);
      assert.equal(byId.get(cheap.id)?.companyId, COMPANY_ID);
      assert.equal(byId.get(dear.id)?.outcome, 'sent-back');
      assert.deepEqual(byId.get(dear.id)?.total, { value: 7200, currency: 'USD' });

      // The company token came from the Company Request Token, once, and acted without a user.
      assert.deepEqual(concur.grants(), ['password']);
      const exchange = new URLSearchParams(concur.received.find((r) => r.path === '/oauth2/v0/token')?.body);
      assert.equal(exchange.get('credtype'), 'authtoken');
      assert.equal(exchange.get('username'), COMPANY_ID);
      const actions = concur.received.filter((r) => /\/(approve|sendback)$/.test(r.path));
      assert.deepEqual(actions.map((r) => r.path.split('?')[0]).sort(), [`/travelrequest/v4/requests/${cheap.id}/approve`, `/travelrequest/v4/requests/${dear.id}/sendback`].sort());
      assert.ok(actions.every((r) => !r.path.includes('userId')));
      assert.ok(concur.received.some((r) => r.path === `/travelrequest/v4/requests/${dear.id}/expenses`));
    } finally {
      await stop();
    }
  });

  test('the budget limit is configurable, and exactly the limit is within it', async () => {
    await start({ budgetLimit: 1000 });
    try {
      const exact = addRequest(concur, [{ value: 999.99, currency: 'EUR' }, { value: 0.01, currency: 'EUR' }]);
      const over = addRequest(concur, [{ value: 1000.01, currency: 'EUR' }]);
      const none = addRequest(concur, []);
      const mixed = addRequest(concur, [{ value: 10, currency: 'EUR' }, { value: 10, currency: 'USD' }]);
      for (const request of [exact, over, none, mixed]) assert.equal((await notify(uri(request.id))).status, 200);
      await sample.whenIdle();
      assert.equal(exact.status, 'APPROVED');
      assert.equal(over.lastComment, 'Total expected cost 1,000.01 EUR exceeds the budget limit of 1,000.00 EUR');
      assert.equal(none.status, 'APPROVED');
      assert.equal(mixed.status, 'SENTBACK');
      assert.match(mixed.lastComment ?? '', /several currencies \(EUR, USD\)/);
    } finally {
      await stop();
    }
  });

  test('transient failures are retried; the access token is refreshed when it expires', async () => {
    concur.expiresIn = '0';
    await start();
    try {
      const request = addRequest(concur, [100]);
      concur.failures.push({ method: 'GET', path: /\/expenses$/, status: 503 });
      assert.equal((await notify(uri(request.id))).status, 200);
      await sample.whenIdle();
      assert.equal(request.status, 'APPROVED');
      const record = sample.validations.at(-1);
      assert.equal(record?.outcome, 'approved');
      assert.equal(record?.attempts, 2);
      assert.ok(logs.some((l) => l.event === 'validation-retry'));
      // Tokens that expire at once: exchanged once, then renewed with the refresh token on each use.
      const grants = concur.grants();
      assert.equal(grants[0], 'password');
      assert.ok(grants.slice(1).length > 0 && grants.slice(1).every((grant) => grant === 'refresh_token'), grants.join(','));
    } finally {
      await stop();
    }
  });

  test('failures are recorded and logged, never thrown: a refused action, an unknown request, no company token', async () => {
    await start();
    try {
      const refused = addRequest(concur, [100]);
      concur.failures.push({ method: 'POST', path: /\/approve$/, status: 403, body: { errors: [{ errorCode: 'permissionDenied', errorMessage: 'The token may not approve.' }] } });
      assert.equal((await notify(uri(refused.id))).status, 200);
      assert.equal((await notify(uri('FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'))).status, 200);
      await sample.whenIdle();
      const byId = new Map(sample.validations.map((v) => [v.requestUuid, v]));
      assert.equal(byId.get(refused.id)?.outcome, 'failed');
      assert.equal(byId.get(refused.id)?.attempts, 1, 'a 403 is not retried');
      assert.match(byId.get(refused.id)?.error ?? '', /HTTP 403.*permissionDenied/);
      assert.equal(byId.get('FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF')?.outcome, 'failed');
      assert.ok(logs.some((l) => l.level === 'error' && l.event === 'validation-failed' && l.requestUuid === refused.id));
      assert.equal(refused.status, 'SUBMITTED');
    } finally {
      await stop();
    }
    // A connector without a Company Request Token still acknowledges, and records why it could not act.
    concur = await startFakeConcur();
    sample = createSampleConnector({
      credentials: { userName: USER_NAME, password: PASSWORD },
      tls: { cert: certificates.cert, key: certificates.key },
      patchbay: { baseUrl: concur.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI },
    });
    base = (await sample.listen(0, '127.0.0.1')).url;
    try {
      const request = addRequest(concur, [100]);
      assert.equal((await notify(uri(request.id))).status, 200);
      await sample.whenIdle();
      assert.equal(sample.validations.at(-1)?.outcome, 'failed');
      assert.match(sample.validations.at(-1)?.error ?? '', /Company Request Token/);
      // Connecting the company afterwards makes the next notification work.
      concur.requestTokens.set('late-token', COMPANY_ID);
      sample.setCompanyRequestToken(COMPANY_ID, 'late-token');
      assert.equal((await notify(uri(request.id))).status, 200);
      await sample.whenIdle();
      assert.equal(request.status, 'APPROVED');
    } finally {
      await stop();
    }
  });

  test('a request no longer at External Validation is skipped; other objects and URIs are not acted on', async () => {
    await start();
    try {
      const done = addRequest(concur, [100], { status: 'APPROVED' });
      assert.equal((await notify(uri(done.id))).status, 200);
      assert.equal((await notify('https://www.concursolutions.com/api/expense/expensereport/v1.1/reportfulldetails/ABC', 'EXPRPT')).status, 200);
      assert.equal((await notify('https://example.invalid/somewhere/else', 'TRAVELREQ')).status, 200);
      await sample.whenIdle();
      const outcomes = sample.validations.map((v) => v.outcome);
      assert.deepEqual(outcomes, ['skipped', 'skipped', 'failed']);
      assert.match(sample.validations[0]?.comment ?? '', /not waiting for external validation/);
      assert.equal(concur.received.filter((r) => /\/(approve|sendback)$/.test(r.path)).length, 0);
    } finally {
      await stop();
    }
  });

  test('closing stops the retries that are waiting and records them as failed', async () => {
    await start({ retry: { attempts: 5, initialDelayMs: 600_000 }, shutdownTimeoutMs: 0 });
    const request = addRequest(concur, [100]);
    concur.failures.push({ method: 'GET', path: /\/expenses$/, status: 503 });
    assert.equal((await notify(uri(request.id))).status, 200);
    // The check fails once and waits ten minutes to retry; closing does not wait for that.
    for (let turn = 0; turn < 1_000_000 && !logs.some((l) => l.event === 'validation-retry'); turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(logs.some((l) => l.event === 'validation-retry'));
    await stop();
    const record = sample.validations.at(-1);
    assert.equal(record?.outcome, 'failed');
    assert.match(record?.error ?? '', /shutting down/);
    assert.equal(request.status, 'SUBMITTED');
  });

  test('a notification that is not well-formed is refused with 400, and needs Basic auth', async () => {
    await start();
    try {
      const bad = await call(`${base}/concur/v1.0/notify`, { method: 'POST', body: '<Notification><EventType/></Notification>', ca: certificates.caCert, headers: { authorization: basic() } });
      assert.equal(bad.status, 400);
      const anonymous = await call(`${base}/concur/v1.0/notify`, { method: 'POST', body: '<x/>', ca: certificates.caCert });
      assert.equal(anonymous.status, 401);
      assert.equal(sample.validations.length, 0);
    } finally {
      await stop();
    }
  });
});
