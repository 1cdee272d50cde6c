// exchangeCompanyRequestToken and refreshAccessToken against a tiny fake token endpoint on loopback: the form
// sent for each grant, the answer read, and refusals turned into ConcurOAuthError.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurOAuthError, exchangeCompanyRequestToken, refreshAccessToken } from '../src/index.ts';
import { json, startFakeConcur } from './support.ts';
import type { FakeConcur } from './support.ts';

const COMPANY = '6c3b0a4e-52d8-4b41-9a0e-4f5e7a1d2c90';
const CLIENT = { clientId: 'client-1', clientSecret: 's3cret&=+' };

describe('company tokens', () => {
  let concur: FakeConcur;
  const tokenUrl = () => `${concur.url}/oauth2/v0/token`;

  before(async () => {
    concur = await startFakeConcur((req, res) => {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') === 'password' && form.get('credtype') === 'authtoken') {
        if (form.get('password') === 'used-token') {
          return json(res, 400, { code: 4, error: 'invalid_grant', error_description: 'Invalid or expired request token', geolocation: concur.url });
        }
        return json(res, 200, {
          expires_in: '3600',
          scope: form.get('scope') ?? 'travelrequest.externalsystemworkflow.write',
          token_type: 'Bearer',
          access_token: `company-${form.get('username')}`,
          refresh_token: 'company-refresh',
          refresh_expires_in: 1_900_000_000,
          geolocation: concur.url,
        });
      }
      if (form.get('grant_type') === 'refresh_token') {
        if (form.get('refresh_token') === 'revoked') return json(res, 400, { code: 17, error: 'invalid_grant', error_description: 'Refresh token is revoked', geolocation: concur.url });
        if (form.get('refresh_token') === 'broken') {
          res.writeHead(503, { 'content-type': 'text/plain', 'content-length': '11' });
          return res.end('unavailable');
        }
        return json(res, 200, { expires_in: 3600, scope: 's', token_type: 'Bearer', access_token: `fresh-from-${form.get('refresh_token')}`, geolocation: concur.url });
      }
      json(res, 400, { error: 'unsupported_grant_type', error_description: 'no' });
    });
  });
  after(() => concur.close());

  test('exchangeCompanyRequestToken POSTs the password grant with credtype=authtoken', async () => {
    const token = await exchangeCompanyRequestToken(COMPANY, 'request-token-1', { tokenUrl: tokenUrl(), ...CLIENT });
    assert.equal(token.access_token, `company-${COMPANY}`);
    assert.equal(token.refresh_token, 'company-refresh');
    assert.equal(token.geolocation, concur.url);
    const sent = concur.received.at(-1);
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.path, '/oauth2/v0/token');
    assert.equal(sent?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(sent?.headers.accept, 'application/json');
    assert.equal(
      sent?.body,
      `client_id=client-1&client_secret=s3cret%26%3D%2B&grant_type=password&credtype=authtoken&username=${COMPANY}&password=request-token-1`,
    );
  });

  test('a scope narrows the token and is sent as scope', async () => {
    const token = await exchangeCompanyRequestToken(COMPANY, 'request-token-2', { tokenUrl: tokenUrl(), ...CLIENT, scope: 'travelrequest.externalsystemworkflow.write' });
    assert.equal(token.scope, 'travelrequest.externalsystemworkflow.write');
    assert.match(concur.received.at(-1)?.body ?? '', /&scope=travelrequest.externalsystemworkflow.write$/);
  });

  test('refreshAccessToken POSTs the refresh_token grant', async () => {
    const token = await refreshAccessToken('company-refresh', { tokenUrl: tokenUrl(), ...CLIENT });
    assert.equal(token.access_token, 'fresh-from-company-refresh');
    assert.equal(concur.received.at(-1)?.body, 'client_id=client-1&client_secret=s3cret%26%3D%2B&grant_type=refresh_token&refresh_token=company-refresh');
  });

  test('refusals and failures are ConcurOAuthError', async () => {
    await assert.rejects(exchangeCompanyRequestToken(COMPANY, 'used-token', { tokenUrl: tokenUrl(), ...CLIENT }), (error: unknown) => {
      assert.ok(error instanceof ConcurOAuthError);
      assert.equal(error.status, 400);
      assert.equal(error.error, 'invalid_grant');
      assert.equal(error.code, 4);
      return true;
    });
    await assert.rejects(refreshAccessToken('revoked', { tokenUrl: tokenUrl(), ...CLIENT }), { name: 'ConcurOAuthError', status: 400, error: 'invalid_grant', code: 17 });
    await assert.rejects(refreshAccessToken('broken', { tokenUrl: tokenUrl(), ...CLIENT }), { name: 'ConcurOAuthError', status: 503, error: 'http_error' });
    await assert.rejects(refreshAccessToken('x', { tokenUrl: 'http://127.0.0.1:1/oauth2/v0/token', ...CLIENT }), { name: 'ConcurOAuthError', status: 0, error: 'network_error' });
  });

  test('missing values and clear-text URLs are refused before anything is sent', async () => {
    const count = concur.received.length;
    await assert.rejects(exchangeCompanyRequestToken('', 'token', { tokenUrl: tokenUrl(), ...CLIENT }), /companyId/);
    await assert.rejects(exchangeCompanyRequestToken(COMPANY, '', { tokenUrl: tokenUrl(), ...CLIENT }), /requestToken/);
    await assert.rejects(refreshAccessToken('', { tokenUrl: tokenUrl(), ...CLIENT }), /refreshToken/);
    await assert.rejects(refreshAccessToken('r', { tokenUrl: tokenUrl(), ...CLIENT, clientId: '' }), /clientId is required/);
    await assert.rejects(refreshAccessToken('r', { tokenUrl: 'http://concur.example/oauth2/v0/token', ...CLIENT }), /must be an https URL/);
    assert.equal(concur.received.length, count);
  });
});
