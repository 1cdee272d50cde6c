// Launch External URL v4 over real HTTPS: signature check (callout-xml's signer plays Concur), nonce replay,
// the handler's page, and the helpers exchanging the auth code and updating the request on a fake Concur.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLeuUrl, leuSignature } from '@patchbay/callout-xml';
import type { LeuV4RequestParams } from '@patchbay/callout-xml';
import { ConcurOAuthError, createConnector, createMemoryNonceStore } from '../src/index.ts';
import type { Connector, ConnectorLogEntry, LeuVerifiedV4 } from '../src/index.ts';
import { createTestTls } from './tls.ts';
import type { TestTls } from './tls.ts';
import { call, json, startFakeConcur } from './support.ts';
import type { FakeConcur } from './support.ts';

const USER = 'Concur-Connector';
const PASSWORD = 'correct horse battery';
const REQUEST_ID = '0123456789ABCDEF0123456789ABCDEF';
const CLIENT = { clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 'app-secret', redirectUri: 'https://connector.example/callback' };

let nonceCounter = 0;

describe('Launch External URL', () => {
  let tls: TestTls;
  let connector: Connector;
  let base: string;
  let concur: FakeConcur;
  const launches: LeuVerifiedV4[] = [];
  const logs: ConnectorLogEntry[] = [];

  /** A launch URL signed as Concur signs it (with `password`), for the connector's LEU path. */
  function launchUrl(overrides: Partial<LeuV4RequestParams> = {}, password = PASSWORD): string {
    nonceCounter += 1;
    const params: LeuV4RequestParams = {
      version: 'v4',
      variant: 'request',
      companyDomain: 'acme.example',
      loggedInUserId: '3c5a1f6e-0000-4000-8000-00000000aaaa',
      requestOwnerUserId: '3c5a1f6e-0000-4000-8000-00000000bbbb',
      requestOwnerEmployeeId: 'E-1001',
      itemUrl: `${concur.url}/travelrequest/v4/requests/${REQUEST_ID}`,
      customFieldLaunchedFrom: 'custom3',
      source: 'HEADER',
      isMobile: false,
      nonce: `6f1c2d3e-0000-4000-8000-${String(nonceCounter).padStart(12, '0')}`,
      clientAuthCode: `code-${nonceCounter}`,
      languageCode: 'en-US',
      ...overrides,
    };
    const signature = leuSignature({ ...params, username: USER, password });
    return buildLeuUrl(`${base}/request/launchexternalurl/v4/form`, { ...params, signature });
  }

  before(async () => {
    tls = await createTestTls();
    concur = await startFakeConcur((req, res) => {
      if (req.method === 'POST' && req.path === '/oauth2/v0/token') {
        const form = new URLSearchParams(req.body);
        if (form.get('code') === 'used-code') return json(res, 400, { code: 103, error: 'invalid_grant', error_description: 'code is bad or expired', geolocation: concur.url });
        return json(res, 200, {
          expires_in: '3600',
          scope: 'travelrequest.write',
          token_type: 'Bearer',
          access_token: `token-for-${form.get('code')}`,
          refresh_token: 'refresh-1',
          refresh_expires_in: 1_900_000_000,
          geolocation: concur.url,
        });
      }
      if (req.method === 'PUT' && req.path === `/travelrequest/v4/requests/${REQUEST_ID}`) {
        return json(res, 200, { id: REQUEST_ID, name: 'Trip', ...JSON.parse(req.body) });
      }
      json(res, 404, { errors: [{ errorCode: 'notFound', errorMessage: 'Resource not found.' }] });
    });
    connector = createConnector({
      credentials: { userName: USER, password: PASSWORD },
      tls: { cert: tls.cert, key: tls.key },
      log: (entry) => logs.push(entry),
      handlers: {
        async launchExternalUrl(params, helpers) {
          launches.push(params);
          if (params.companyDomain === 'boom.example') throw new Error('page failed');
          if (params.customFieldLaunchedFrom === 'update') {
            const token = await helpers.exchangeAuthCode({ tokenUrl: `${concur.url}/oauth2/v0/token`, ...CLIENT });
            const api = helpers.requestApi(token.access_token, token.geolocation ?? '');
            const updated = await api.updateRequest(REQUEST_ID, { custom3: { value: 'PRJ-42' } });
            return { html: `<p>updated ${String((updated.custom3 as { value: string }).value)}</p><script>window.close()</script>` };
          }
          if (params.customFieldLaunchedFrom === 'used') {
            try {
              await helpers.exchangeAuthCode({ tokenUrl: `${concur.url}/oauth2/v0/token`, ...CLIENT });
            } catch (error) {
              if (error instanceof ConcurOAuthError) return { html: `<p>${error.error} ${error.code}</p>`, status: 400 };
              throw error;
            }
          }
          return { html: `<!doctype html><p>Hello ${params.loggedInUserId} from ${params.companyDomain}</p>` };
        },
      },
    });
    base = (await connector.listen(0, '127.0.0.1')).url;
  });

  after(async () => {
    await connector.close();
    await concur.close();
  });

  const open = (url: string, method = 'GET') => call(url, { method, ca: tls.caCert });

  test('a validly signed launch renders the handler\'s HTML, without Basic auth', async () => {
    const answer = await open(launchUrl());
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
    assert.equal(answer.headers['referrer-policy'], 'no-referrer');
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.body, '<!doctype html><p>Hello 3c5a1f6e-0000-4000-8000-00000000aaaa from acme.example</p>');
    const params = launches.at(-1);
    assert.equal(params?.variant, 'request');
    assert.equal(params?.ownerEmployeeId, 'E-1001');
    assert.equal(params?.source, 'HEADER');
    assert.equal(params?.clientAuthCode, `code-${nonceCounter}`);
  });

  test('a bad signature answers 403 and the handler is not called', async () => {
    const count = launches.length;
    const tampered = launchUrl().replace('company_domain=acme.example', 'company_domain=evil.example');
    const answer = await open(tampered);
    assert.equal(answer.status, 403);
    assert.match(answer.body, /signature does not match/);
    assert.equal((await open(launchUrl({}, 'wrong password!'))).status, 403);
    assert.equal((await open(launchUrl().replace(/&signature=[^&]*/, ''))).status, 403);
    assert.equal((await open(`${base}/request/launchexternalurl/v4/form`)).status, 403);
    assert.equal(launches.length, count);
    assert.equal(logs.findLast((e) => e.event === 'leu-refused')?.status, 403);
  });

  test('a v1 (HMAC-SHA1) launch is refused', async () => {
    const params = { version: 'v1', companyDomain: 'acme.example', userId: 'u@acme.example', itemUrl: 'https://x.example/e/1', nonce: 'v1-nonce-0001' } as const;
    const url = buildLeuUrl(`${base}/request/launchexternalurl/v4/form`, { ...params, signature: leuSignature({ ...params, username: USER, password: PASSWORD }) });
    const answer = await open(url);
    assert.equal(answer.status, 403);
    assert.match(answer.body, /v1 launches are not accepted/);
  });

  test('a replayed nonce answers 403, even with a fresh auth code', async () => {
    const url = launchUrl();
    assert.equal((await open(url)).status, 200);
    const replay = await open(url);
    assert.equal(replay.status, 403);
    assert.match(replay.body, /already used/);
    // The auth code is not signed: swapping it does not make the launch new.
    const swapped = await open(url.replace(/client_auth_code=[^&]*/, 'client_auth_code=other'));
    assert.equal(swapped.status, 403);
    assert.equal(logs.filter((e) => e.event === 'leu-replay').length, 2);
  });

  test('only GET opens the page (a HEAD does not use up the nonce)', async () => {
    const url = launchUrl();
    const head = await open(url, 'HEAD');
    assert.equal(head.status, 405);
    assert.equal(head.headers.allow, 'GET');
    assert.equal((await open(url)).status, 200);
  });

  test('a handler exception answers 500', async () => {
    const answer = await open(launchUrl({ companyDomain: 'boom.example' }));
    assert.equal(answer.status, 500);
    assert.match(logs.findLast((e) => e.event === 'handler-error')?.message ?? '', /page failed/);
  });

  test('the helpers exchange the auth code and update the request through Request v4', async () => {
    const url = launchUrl({ customFieldLaunchedFrom: 'update' });
    const answer = await open(url);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.body, '<p>updated PRJ-42</p><script>window.close()</script>');
    const [token, put] = concur.received.slice(-2);
    assert.equal(token?.method, 'POST');
    assert.equal(token?.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = new URLSearchParams(token?.body);
    assert.deepEqual(Object.fromEntries(form), {
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      grant_type: 'authorization_code',
      code: `code-${nonceCounter}`,
      redirect_uri: CLIENT.redirectUri,
    });
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.headers.authorization, `Bearer token-for-code-${nonceCounter}`);
    assert.deepEqual(JSON.parse(put?.body ?? ''), { custom3: { value: 'PRJ-42' } });
  });

  test('a refused code reaches the handler as a ConcurOAuthError', async () => {
    const answer = await open(launchUrl({ customFieldLaunchedFrom: 'used', clientAuthCode: 'used-code' }));
    assert.equal(answer.status, 400);
    assert.equal(answer.body, '<p>invalid_grant 103</p>');
  });
});

describe('Launch External URL options', () => {
  test('separate LEU credentials, and nonces that expire after nonceTtlMs', async () => {
    let now = 1_000_000;
    const connector = createConnector({
      credentials: { userName: 'basic-user-name', password: 'basic-password' },
      transport: 'http',
      leu: { username: 'JohnDoe', password: 'Password' },
      nonceTtlMs: 60_000,
      nonceStore: createMemoryNonceStore({ now: () => now }),
      paths: { launchExternalUrl: '/launchexternalurl/v4/form' },
      handlers: { launchExternalUrl: (params) => ({ html: params.variant }) },
    });
    const { url } = await connector.listen(0, '127.0.0.1');
    try {
      const params = {
        version: 'v4', variant: 'expense', companyDomain: 'acme.example', loggedInUserId: 'u1', reportOwnerUserId: 'u2', reportOwnerEmployeeId: 'E2',
        itemUrl: 'https://x.example/expensereports/v4/reports/1', customFieldLaunchedFrom: 'f1', source: 'ENTRY', isMobile: true, nonce: 'n-1', clientAuthCode: 'c',
      } as const;
      const launch = buildLeuUrl(`${url}/launchexternalurl/v4/form`, { ...params, signature: leuSignature({ ...params, username: 'JohnDoe', password: 'Password' }) });
      assert.equal((await call(launch)).body, 'expense');
      assert.equal((await call(launch)).status, 403);
      now += 60_001;
      assert.equal((await call(launch)).status, 200);
    } finally {
      await connector.close();
    }
  });
});
