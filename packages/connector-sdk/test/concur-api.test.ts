// exchangeAuthCode and requestApi against a tiny fake Concur on loopback: the bytes sent, the answers read,
// and Concur's error bodies turned into typed errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConcurApiError, ConcurOAuthError, exchangeAuthCode, requestApi } from '../src/index.ts';
import { json, startFakeConcur } from './support.ts';
import type { FakeConcur } from './support.ts';

const ID = 'AABBCCDDEEFF00112233445566778899';
const OPTIONS = { clientId: 'client-1', clientSecret: 's3cret&=+', redirectUri: 'https://connector.example/cb?x=1' };

describe('exchangeAuthCode', () => {
  let concur: FakeConcur;
  before(async () => {
    concur = await startFakeConcur((req, res) => {
      const code = new URLSearchParams(req.body).get('code');
      if (code === 'bad') return json(res, 400, { code: 103, error: 'invalid_grant', error_description: 'code is bad or expired', geolocation: 'x' });
      if (code === 'html') {
        res.writeHead(502, { 'content-type': 'text/html', 'content-length': '22' });
        return res.end('<html>Bad gateway</html>'.slice(0, 22));
      }
      if (code === 'empty') return json(res, 200, { token_type: 'Bearer' });
      if (code === 'redirect') {
        res.writeHead(302, { location: 'https://elsewhere.example/token', 'content-length': '0' });
        return res.end();
      }
      json(res, 200, { expires_in: '3600', scope: 's', token_type: 'Bearer', access_token: `at-${code}`, refresh_token: 'rt', geolocation: concur.url });
    });
  });
  after(() => concur.close());

  test('POSTs the form-encoded authorization_code grant and answers the token response', async () => {
    const token = await exchangeAuthCode('the-code', { tokenUrl: `${concur.url}/oauth2/v0/token`, ...OPTIONS });
    assert.equal(token.access_token, 'at-the-code');
    assert.equal(token.geolocation, concur.url);
    const sent = concur.received.at(-1);
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.path, '/oauth2/v0/token');
    assert.equal(sent?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(sent?.headers.accept, 'application/json');
    assert.equal(sent?.headers['content-length'], String(Buffer.byteLength(sent?.body ?? '')));
    assert.equal(
      sent?.body,
      'client_id=client-1&client_secret=s3cret%26%3D%2B&grant_type=authorization_code&code=the-code&redirect_uri=https%3A%2F%2Fconnector.example%2Fcb%3Fx%3D1',
    );
  });

  test('an OAuth2 error body becomes a ConcurOAuthError', async () => {
    await assert.rejects(exchangeAuthCode('bad', { tokenUrl: `${concur.url}/oauth2/v0/token`, ...OPTIONS }), (error: unknown) => {
      assert.ok(error instanceof ConcurOAuthError);
      assert.equal(error.status, 400);
      assert.equal(error.error, 'invalid_grant');
      assert.equal(error.errorDescription, 'code is bad or expired');
      assert.equal(error.code, 103);
      return true;
    });
  });

  test('other failures are typed too: not JSON, no access_token, a redirect, no answer', async () => {
    const tokenUrl = `${concur.url}/oauth2/v0/token`;
    await assert.rejects(exchangeAuthCode('html', { tokenUrl, ...OPTIONS }), { name: 'ConcurOAuthError', status: 502, error: 'http_error' });
    await assert.rejects(exchangeAuthCode('empty', { tokenUrl, ...OPTIONS }), { name: 'ConcurOAuthError', status: 200, error: 'invalid_response' });
    await assert.rejects(exchangeAuthCode('redirect', { tokenUrl, ...OPTIONS }), { name: 'ConcurOAuthError', status: 302 });
    await assert.rejects(exchangeAuthCode('x', { tokenUrl: 'http://127.0.0.1:1/oauth2/v0/token', ...OPTIONS }), { name: 'ConcurOAuthError', status: 0, error: 'network_error' });
  });

  test('refuses clear-text http to other hosts, and missing options, before sending anything', async () => {
    const count = concur.received.length;
    await assert.rejects(exchangeAuthCode('x', { tokenUrl: 'http://concur.example/oauth2/v0/token', ...OPTIONS }), /must be an https URL/);
    await assert.rejects(exchangeAuthCode('', { tokenUrl: `${concur.url}/oauth2/v0/token`, ...OPTIONS }), /client_auth_code/);
    await assert.rejects(exchangeAuthCode('x', { tokenUrl: `${concur.url}/oauth2/v0/token`, ...OPTIONS, clientSecret: '' }), /clientSecret is required/);
    assert.equal(concur.received.length, count);
  });
});

describe('requestApi', () => {
  let concur: FakeConcur;
  before(async () => {
    concur = await startFakeConcur((req, res) => {
      if (req.headers.authorization !== 'Bearer tok') return json(res, 401, { errors: [{ errorCode: 'invalidToken', errorMessage: 'The token is invalid.' }] });
      const match = /^\/prefix\/travelrequest\/v4\/requests\/([^/]+)(?:\/(approve|sendback))?$/.exec(req.path);
      if (!match) return json(res, 404, { errors: [{ errorCode: 'notFound', errorMessage: 'Resource not found.' }] });
      const [, id, action] = match;
      if (id !== ID) return json(res, 404, { errors: [{ errorCode: 'notFound', errorMessage: 'Resource not found.' }, { errorCode: 'second', errorMessage: 'Another.' }] });
      if (req.method === 'GET') return json(res, 200, { id, name: 'Trip to Lyon', approvalStatus: { code: 'SUBMITTED', name: 'External Validation' } });
      if (req.method === 'PUT') return json(res, 200, { id, name: 'Trip to Lyon', ...JSON.parse(req.body) });
      if (action === 'approve') return json(res, 200, { id, approvalStatus: { code: 'APPROVED', name: 'Approved' } });
      if (action === 'sendback') {
        const comment = (JSON.parse(req.body) as { comment?: string }).comment ?? '';
        if (comment.length > 2000) return json(res, 400, { errors: [{ errorCode: 'badParam', errorMessage: 'The comment is longer than 2000 characters.' }] });
        return json(res, 200, { id, approvalStatus: { code: 'NOT_SUBMITTED', name: 'Sent Back' } });
      }
      res.writeHead(500, { 'content-length': '4' });
      res.end('oops');
    });
  });
  after(() => concur.close());

  const api = () => requestApi('tok', `${concur.url}/prefix/`);

  test('getRequest GETs the request with the bearer token', async () => {
    const request = await api().getRequest(ID);
    assert.equal(request.name, 'Trip to Lyon');
    assert.deepEqual(request.approvalStatus, { code: 'SUBMITTED', name: 'External Validation' });
    const sent = concur.received.at(-1);
    assert.equal(sent?.method, 'GET');
    assert.equal(sent?.path, `/prefix/travelrequest/v4/requests/${ID}`);
    assert.equal(sent?.headers.accept, 'application/json');
    assert.equal(sent?.body, '');
  });

  test('updateRequest PUTs the fields as JSON', async () => {
    const updated = await api().updateRequest(ID, { businessPurpose: 'Customer visit', custom2: { code: 'P1', value: 'Project 1' }, comment: null });
    assert.equal(updated.businessPurpose, 'Customer visit');
    const sent = concur.received.at(-1);
    assert.equal(sent?.method, 'PUT');
    assert.equal(sent?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(sent?.body ?? ''), { businessPurpose: 'Customer visit', custom2: { code: 'P1', value: 'Project 1' }, comment: null });
  });

  test('approve and sendBack POST {comment} to the workflow action', async () => {
    assert.equal((await api().approve(ID, 'Within budget')).approvalStatus?.code, 'APPROVED');
    assert.equal(concur.received.at(-1)?.path, `/prefix/travelrequest/v4/requests/${ID}/approve`);
    assert.equal(concur.received.at(-1)?.body, '{"comment":"Within budget"}');
    await api().approve(ID);
    assert.equal(concur.received.at(-1)?.body, '{}');
    assert.equal((await api().sendBack(ID, 'Over the budget of 2,000 EUR')).approvalStatus?.code, 'NOT_SUBMITTED');
    assert.equal(concur.received.at(-1)?.method, 'POST');
    assert.equal(concur.received.at(-1)?.path, `/prefix/travelrequest/v4/requests/${ID}/sendback`);
    assert.equal(concur.received.at(-1)?.body, '{"comment":"Over the budget of 2,000 EUR"}');
    await assert.rejects(api().sendBack(ID, ' '), /a comment is required/);
  });

  test('Concur\'s {errors:[...]} bodies become a ConcurApiError', async () => {
    await assert.rejects(api().getRequest('FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'), (error: unknown) => {
      assert.ok(error instanceof ConcurApiError);
      assert.equal(error.status, 404);
      assert.equal(error.errorCode, 'notFound');
      assert.equal(error.errorMessage, 'Resource not found.');
      assert.equal(error.errors.length, 2);
      return true;
    });
    await assert.rejects(api().sendBack(ID, 'x'.repeat(2001)), { name: 'ConcurApiError', status: 400, errorCode: 'badParam' });
    await assert.rejects(requestApi('other', concur.url).getRequest(ID), { status: 401, errorCode: 'invalidToken' });
  });

  test('ids are path-encoded, never path-traversing', async () => {
    await assert.rejects(api().getRequest('../../oauth2'), { status: 404 });
    assert.equal(concur.received.at(-1)?.path, '/prefix/travelrequest/v4/requests/..%2F..%2Foauth2');
  });

  test('no answer is a ConcurApiError with status 0: network error, timeout', async () => {
    await assert.rejects(requestApi('tok', 'http://127.0.0.1:1').getRequest(ID), { name: 'ConcurApiError', status: 0, errorCode: 'networkError' });
    // A server that accepts the connection and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      await assert.rejects(requestApi('tok', `http://127.0.0.1:${port}`, { timeoutMs: 200 }).getRequest(ID), { status: 0, errorCode: 'timeout' });
    } finally {
      silent.close();
    }
  });

  test('refuses bad base URLs', () => {
    assert.throws(() => requestApi('tok', 'not a url'), /not an absolute URL/);
    assert.throws(() => requestApi('tok', 'http://concur.example'), /must be an https URL/);
    assert.throws(() => requestApi('tok', 'https://user:pw@concur.example'), /must not carry credentials/);
    assert.throws(() => requestApi('', 'https://concur.example'), /accessToken is required/);
    assert.doesNotThrow(() => requestApi('tok', 'http://concur.example', { allowInsecureHttp: true }));
  });
});
