/**
 * Launch External URL: the documented test vector (JohnDoe / Password → key `johndoePassword`), the signed
 * message of each version and variant, HMAC-SHA256 for v4 and SHA-1 for v1, the URL with every parameter
 * URL-encoded, and the connector-side verification (constant time, tampering, replay-relevant fields,
 * downgrade to v1).
 *
 * The expected signatures below were computed outside this code, with OpenSSL:
 *   printf '%s' "$MESSAGE" | openssl dgst -sha256 -hmac johndoePassword -binary | base64
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  buildLeuUrl,
  CalloutContractError,
  encodeLeuValue,
  leuSignature,
  leuSignedMessage,
  leuSigningKey,
  newLeuNonce,
  verifyLeuSignature,
} from '../src/index.ts';
import type { LeuV1Params, LeuV4ExpenseParams, LeuV4RequestParams } from '../src/index.ts';

const CREDENTIALS = { username: 'JohnDoe', password: 'Password' };

const REQUEST_LAUNCH: LeuV4RequestParams = {
  version: 'v4',
  variant: 'request',
  companyDomain: 'acme.example.com',
  loggedInUserId: '0b1c2d3e-1111-2222-3333-444455556666',
  requestOwnerUserId: 'a1b2c3d4-aaaa-bbbb-cccc-dddd0000eeee',
  requestOwnerEmployeeId: 'EMP-42',
  itemUrl: 'https://patchbay.example/travelrequest/v4/requests/ABC123',
  customFieldLaunchedFrom: 'custom7',
  source: 'HEADER',
  isMobile: false,
  nonce: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  clientAuthCode: 'code/with+special=chars&more',
  languageCode: 'en_GB',
};

// company_domain + logged_in_user_id + request_owner_user_id + request_owner_employee_id + item_url + username + password + nonce
const REQUEST_MESSAGE =
  'acme.example.com0b1c2d3e-1111-2222-3333-444455556666a1b2c3d4-aaaa-bbbb-cccc-dddd0000eeeeEMP-42' +
  'https://patchbay.example/travelrequest/v4/requests/ABC123JohnDoePasswordf47ac10b-58cc-4372-a567-0e02b2c3d479';
const REQUEST_SIGNATURE_SHA256 = 'sfyUjf2oAhQvirioQ2tRVBtySgVCxj37dw7LWshXx6U=';

test('the documented test vector: JohnDoe / Password gives the key johndoePassword', () => {
  assert.equal(leuSigningKey('JohnDoe', 'Password'), 'johndoePassword');
  assert.equal(leuSigningKey('JOHNDOE', 'PassWord'), 'johndoePassWord', 'only the username is lower-cased');
});

test('v4 (Concur Request): the documented concatenation, HMAC-SHA256, Base64', () => {
  assert.equal(leuSignedMessage({ ...REQUEST_LAUNCH, ...CREDENTIALS }), REQUEST_MESSAGE);
  const signature = leuSignature({ ...REQUEST_LAUNCH, ...CREDENTIALS });
  assert.equal(signature, REQUEST_SIGNATURE_SHA256);
  assert.equal(signature, createHmac('sha256', 'johndoePassword').update(REQUEST_MESSAGE).digest('base64'));
  assert.equal(Buffer.from(signature, 'base64').length, 32);
});

test('v4 (Expense): report_owner_* in the same places, so the same values sign the same', () => {
  const expense: LeuV4ExpenseParams = {
    ...REQUEST_LAUNCH,
    variant: 'expense',
    reportOwnerUserId: REQUEST_LAUNCH.requestOwnerUserId,
    reportOwnerEmployeeId: REQUEST_LAUNCH.requestOwnerEmployeeId,
  };
  assert.equal(leuSignedMessage({ ...expense, ...CREDENTIALS }), REQUEST_MESSAGE);
  assert.equal(leuSignature({ ...expense, ...CREDENTIALS }), REQUEST_SIGNATURE_SHA256);
  // The unsigned parameters do not change the signature; a signed one does.
  const unsignedChanged: LeuV4ExpenseParams = { ...expense, source: 'ENTRY', isMobile: true, clientAuthCode: 'x', customFieldLaunchedFrom: 'y' };
  assert.equal(leuSignature({ ...unsignedChanged, ...CREDENTIALS }), REQUEST_SIGNATURE_SHA256);
  assert.notEqual(leuSignature({ ...expense, itemUrl: `${expense.itemUrl}/x`, ...CREDENTIALS }), REQUEST_SIGNATURE_SHA256);
  // The key is case-insensitive in the username, the message is not (the username goes in as written).
  assert.notEqual(leuSignature({ ...expense, username: 'johndoe', password: 'Password' }), REQUEST_SIGNATURE_SHA256);
});

test('v1: xcompanydomain + xuserid + itemurl + username + password + nonce, HMAC-SHA1', () => {
  const v1: LeuV1Params = {
    version: 'v1',
    companyDomain: 'acme.example.com',
    userId: 'john@acme.example',
    itemUrl: 'https://www.concursolutions.com/api/expense/expensereport/v1.1/report/XYZ/entry/1',
    nonce: '12345',
  };
  assert.equal(
    leuSignedMessage({ ...v1, ...CREDENTIALS }),
    'acme.example.comjohn@acme.examplehttps://www.concursolutions.com/api/expense/expensereport/v1.1/report/XYZ/entry/1JohnDoePassword12345',
  );
  const signature = leuSignature({ ...v1, ...CREDENTIALS });
  assert.equal(signature, '/b6HEQtJgQOJbaJZzkEtv9jmyb4=');
  assert.equal(Buffer.from(signature, 'base64').length, 20);
  const url = buildLeuUrl('https://connector.example.com/concur/form/v1.0/get', { ...v1, signature });
  assert.equal(
    url,
    'https://connector.example.com/concur/form/v1.0/get?xcompanydomain=acme.example.com&xuserid=john%40acme.example' +
      '&itemurl=https%3A%2F%2Fwww.concursolutions.com%2Fapi%2Fexpense%2Fexpensereport%2Fv1.1%2Freport%2FXYZ%2Fentry%2F1' +
      '&nonce=12345&signature=%2Fb6HEQtJgQOJbaJZzkEtv9jmyb4%3D',
  );
  assert.deepEqual(verifyLeuSignature(url, { ...CREDENTIALS, versions: ['v1'] }), { ok: true, params: v1 });
  const refused = verifyLeuSignature(url, CREDENTIALS);
  assert.equal(refused.ok, false, 'v1 (SHA-1) is refused unless asked for');
  if (!refused.ok) assert.match(refused.reason, /v1 launches are not accepted/);
});

test('the v4 Request URL: every documented parameter, in order, each value URL-encoded', () => {
  const url = buildLeuUrl('https://connector.example.com/request/launchexternalurl/v4/form', { ...REQUEST_LAUNCH, signature: REQUEST_SIGNATURE_SHA256 });
  assert.equal(
    url,
    'https://connector.example.com/request/launchexternalurl/v4/form' +
      '?company_domain=acme.example.com' +
      '&logged_in_user_id=0b1c2d3e-1111-2222-3333-444455556666' +
      '&request_owner_user_id=a1b2c3d4-aaaa-bbbb-cccc-dddd0000eeee' +
      '&request_owner_employee_id=EMP-42' +
      '&item_url=https%3A%2F%2Fpatchbay.example%2Ftravelrequest%2Fv4%2Frequests%2FABC123' +
      '&custom_field_launched_from=custom7' +
      '&source=HEADER' +
      '&is_mobile=false' +
      '&nonce=f47ac10b-58cc-4372-a567-0e02b2c3d479' +
      '&signature=sfyUjf2oAhQvirioQ2tRVBtySgVCxj37dw7LWshXx6U%3D' +
      '&client_auth_code=code%2Fwith%2Bspecial%3Dchars%26more' +
      '&language_code=en-GB',
  );
  // What a standard query parser reads back is exactly what was signed.
  const query = new URL(url).searchParams;
  assert.equal(query.get('item_url'), REQUEST_LAUNCH.itemUrl);
  assert.equal(query.get('signature'), REQUEST_SIGNATURE_SHA256);
  assert.equal(query.get('client_auth_code'), 'code/with+special=chars&more');
});

test('the v4 Expense URL: report_owner_*, expense_ids only for ALLOCATION, the default language, strict encoding', () => {
  const expense: LeuV4ExpenseParams = {
    version: 'v4',
    variant: 'expense',
    companyDomain: 'acme.example.com',
    loggedInUserId: 'u1',
    reportOwnerUserId: 'u2',
    reportOwnerEmployeeId: "O'Neil (x) *!",
    itemUrl: 'https://h/expensereports/v4/reports/R1/allocations/A1?x=1&y=é',
    customFieldLaunchedFrom: 'f 1',
    expenseIds: ['E1', 'E2'],
    source: 'ALLOCATION',
    isMobile: true,
    nonce: 'n',
    clientAuthCode: 'c',
  };
  const url = buildLeuUrl('https://connector.example.com/launchexternalurl/v4/form?tenant=a#frag', { ...expense, signature: 'a+b/c=' });
  assert.equal(
    url,
    'https://connector.example.com/launchexternalurl/v4/form?tenant=a' +
      '&company_domain=acme.example.com&logged_in_user_id=u1&report_owner_user_id=u2' +
      '&report_owner_employee_id=O%27Neil%20%28x%29%20%2A%21' +
      '&item_url=https%3A%2F%2Fh%2Fexpensereports%2Fv4%2Freports%2FR1%2Fallocations%2FA1%3Fx%3D1%26y%3D%C3%A9' +
      '&custom_field_launched_from=f%201&expense_ids=E1%2CE2&source=ALLOCATION&is_mobile=true&nonce=n' +
      '&signature=a%2Bb%2Fc%3D&client_auth_code=c&language_code=en',
  );
  assert.equal(encodeLeuValue("!'()*~-._ +/=&?#%"), "%21%27%28%29%2A~-._%20%2B%2F%3D%26%3F%23%25");
  assert.throws(() => buildLeuUrl('https://c/x', { ...expense, expenseIds: [], signature: 's' }), /required when source is ALLOCATION/);
  assert.throws(() => buildLeuUrl('https://c/x', { ...expense, source: 'ENTRY', signature: 's' }), /only when source is ALLOCATION/);
  assert.doesNotMatch(buildLeuUrl('https://c/x', { ...expense, source: 'ENTRY', expenseIds: undefined, signature: 's' }), /expense_ids/);
});

test('the URL builder refuses bad input', () => {
  const good = { ...REQUEST_LAUNCH, signature: 's' };
  assert.throws(() => buildLeuUrl('/relative/path', good), /not an absolute URL/);
  assert.throws(() => buildLeuUrl('javascript:alert(1)', good), /http\(s\)/);
  assert.throws(() => buildLeuUrl('https://c/x', { ...good, signature: '' }), /nonce and signature are required/);
  assert.throws(() => buildLeuUrl('https://c/x', { ...good, nonce: '' }), CalloutContractError);
  assert.throws(() => buildLeuUrl('https://c/x', { ...good, source: 'FOOTER' as 'HEADER' }), /HEADER, ENTRY or ALLOCATION/);
  assert.throws(() => buildLeuUrl('https://c/x', { ...good, languageCode: 'english' }), /xx or xx-XX/);
  assert.throws(() => buildLeuUrl('https://c/x', { ...good, isMobile: 'no' as unknown as boolean }), /isMobile/);
  assert.throws(() => leuSignature({ ...REQUEST_LAUNCH, username: undefined as unknown as string, password: 'p' }), /username/);
});

test('verification on the connector side: the real URL passes, in every query form, with the unsigned parameters', () => {
  const url = buildLeuUrl('https://connector.example.com/request/launchexternalurl/v4/form', { ...REQUEST_LAUNCH, signature: REQUEST_SIGNATURE_SHA256 });
  const expected = {
    ok: true,
    params: {
      version: 'v4',
      variant: 'request',
      companyDomain: REQUEST_LAUNCH.companyDomain,
      loggedInUserId: REQUEST_LAUNCH.loggedInUserId,
      ownerUserId: REQUEST_LAUNCH.requestOwnerUserId,
      ownerEmployeeId: REQUEST_LAUNCH.requestOwnerEmployeeId,
      itemUrl: REQUEST_LAUNCH.itemUrl,
      nonce: REQUEST_LAUNCH.nonce,
      customFieldLaunchedFrom: 'custom7',
      source: 'HEADER',
      isMobile: false,
      clientAuthCode: REQUEST_LAUNCH.clientAuthCode,
      languageCode: 'en-GB',
    },
  };
  assert.deepEqual(verifyLeuSignature(url, CREDENTIALS), expected);
  assert.deepEqual(verifyLeuSignature(new URL(url), CREDENTIALS), expected);
  assert.deepEqual(verifyLeuSignature(new URL(url).searchParams, CREDENTIALS), expected);
  assert.deepEqual(verifyLeuSignature(`/request/launchexternalurl/v4/form${new URL(url).search}`, CREDENTIALS), expected);
  assert.deepEqual(verifyLeuSignature(Object.fromEntries(new URL(url).searchParams), CREDENTIALS), expected);
  assert.deepEqual(verifyLeuSignature(new URL(url).search.slice(1), CREDENTIALS), expected);
  // A bare query string is read as one even when a value holds an unencoded '?'.
  const bare = `client_auth_code=a?b&${new URL(url).search.slice(1).replace(/&client_auth_code=[^&]*/, '')}`;
  const bareResult = verifyLeuSignature(bare, CREDENTIALS);
  assert.ok(bareResult.ok && bareResult.params.version === 'v4' && bareResult.params.clientAuthCode === 'a?b');
  const repeated = verifyLeuSignature({ ...Object.fromEntries(new URL(url).searchParams), nonce: ['a', 'b'] }, CREDENTIALS);
  assert.equal(repeated.ok, false);
  // A '+' of the Base64 sent unencoded arrives as a space; it is read back as '+'.
  let nonce = 0;
  while (!leuSignature({ ...REQUEST_LAUNCH, nonce: `n${nonce}`, ...CREDENTIALS }).includes('+')) nonce++;
  const sig = leuSignature({ ...REQUEST_LAUNCH, nonce: `n${nonce}`, ...CREDENTIALS });
  const query = new URL(url).searchParams;
  query.set('nonce', `n${nonce}`);
  query.set('signature', sig.replaceAll('+', ' '));
  assert.equal(verifyLeuSignature(query, CREDENTIALS).ok, true, sig);
  query.set('signature', sig);
  assert.equal(verifyLeuSignature(query, CREDENTIALS).ok, true, sig);
});

test('verification refuses wrong credentials, tampered signed values, bad or duplicated parameters', () => {
  const url = new URL(buildLeuUrl('https://c.example/f', { ...REQUEST_LAUNCH, signature: REQUEST_SIGNATURE_SHA256 }));
  const withParam = (name: string, value: string | null): URLSearchParams => {
    const query = new URLSearchParams(url.search);
    if (value === null) query.delete(name);
    else query.set(name, value);
    return query;
  };
  const cases: [URLSearchParams | string, RegExp, { username: string; password: string }?][] = [
    [url.search, /does not match/, { username: 'JohnDoe', password: 'password' }],
    [url.search, /does not match/, { username: 'JaneDoe', password: 'Password' }],
    [withParam('item_url', 'https://evil.example/'), /does not match/],
    [withParam('company_domain', 'other.example.com'), /does not match/],
    [withParam('request_owner_employee_id', 'EMP-43'), /does not match/],
    [withParam('nonce', 'another'), /does not match/],
    [withParam('signature', 'not base64!'), /not Base64/],
    [withParam('signature', 'AAAA'), /does not match/],
    [withParam('signature', null), /signature parameter is missing/],
    [withParam('nonce', null), /nonce is missing/],
    [withParam('item_url', null), /item_url is missing/],
    [withParam('company_domain', null), /company_domain \(v4\) or xcompanydomain \(v1\) is missing/],
    [withParam('source', 'FOOTER'), /source must be HEADER, ENTRY or ALLOCATION/],
    [withParam('is_mobile', 'maybe'), /is_mobile must be true or false/],
    [`${url.search}&signature=${encodeURIComponent(REQUEST_SIGNATURE_SHA256)}`, /"signature" is given more than once/],
    [`${url.search}&item_url=x`, /"item_url" is given more than once/],
    [`${url.search}&report_owner_user_id=x`, /both report_owner_\* and request_owner_\*/],
    [`${url.search}&xcompanydomain=x`, /both v4 and v1/],
  ];
  for (const [query, reason, credentials] of cases) {
    const result = verifyLeuSignature(query, credentials ?? CREDENTIALS);
    assert.equal(result.ok, false, String(query));
    if (!result.ok) assert.match(result.reason, reason, String(query));
  }
  // Unsigned parameters may change (they are not authenticated: the result says so in its type's docs).
  assert.equal(verifyLeuSignature(withParam('source', 'ENTRY'), CREDENTIALS).ok, true);
  // Never throws, whatever it is given.
  for (const bad of ['http://[bad', null, 42] as unknown[]) {
    assert.equal(verifyLeuSignature(bad as string, CREDENTIALS).ok, false);
  }
  assert.equal(verifyLeuSignature(url, { username: '', password: '' }).ok, false);
});

test('nonces are fresh GUIDs', () => {
  const a = newLeuNonce();
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, newLeuNonce());
});
