/**
 * Secrets at rest and in logs. A real `patchbay start --demo` child (log level debug, its pino output
 * captured), on SQLite and on PostgreSQL, goes through a scenario that handles every kind of secret:
 * console sign-ins (and a failed one), an operator API token, an OAuth2 application and a rotated client
 * secret, a user created with a password, a connector registered with a password and given a new one,
 * Test Connection, JWT and webhook signing keys rotated, Company Request Token, company, user, refresh
 * and authorization-code grants, the demo's callouts (Fetch Attendee, Fetch List, Launch External URL),
 * a submitted request (Event Notification) and a webhook subscription with signed deliveries. Then every
 * file of the data directory (the database, its -wal and -shm; the demo's development CA aside), every
 * row of every table (PostgreSQL) and the whole log are searched for each plaintext: passwords, client
 * secrets, tokens, codes, the secret key, and the private keys' PEM lines and DER bytes (decrypted with
 * the secret key the test chose). None may be found.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID, createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEMO } from '../../src/demo.ts';
import { DEMO_CONNECTOR } from '../../src/demo-connector.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { openStore } from '../../src/store/store.ts';
import { exited, killChildren, startPatchbayChild, type PatchbayChild } from '../support/patchbay-child.ts';
import { storeSuites, type TestDatabase } from '../support/stores.ts';
import { startReceiver, subscribe, waitUntil, type Receiver } from '../support/ess-fixtures.ts';
import { dumpStore } from './probe.ts';

/** One secret and what it is. */
interface Secret {
  what: string;
  text: string;
  /** False for the demo's well-known credentials, which its start-up banner prints on purpose. */
  inLog?: false;
}

/** A small client of the child's API with a session or a bearer token. */
function client(baseUrl: string, headers: Record<string, string>) {
  return async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${baseUrl}${url}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

async function signIn(baseUrl: string, loginId: string, password: string): Promise<{ call: ReturnType<typeof client>; token: string; csrf: string }> {
  const response = await fetch(`${baseUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId, password }) });
  assert.equal(response.status, 200, await response.clone().text());
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = ((await response.json()) as { csrfToken: string }).csrfToken;
  return { call: client(baseUrl, { cookie, 'x-csrf-token': csrf }), token: cookie.split('=')[1]!, csrf };
}

async function token(baseUrl: string, form: Record<string, string>): Promise<any> {
  const response = await fetch(`${baseUrl}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

/** Every file under `dir`, but the demo's development CA (its keys are kept there on purpose). */
function filesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry === 'dev-ca') continue;
    if (statSync(full).isDirectory()) files.push(...filesUnder(full));
    else files.push(full);
  }
  return files;
}

/** The plaintext forms of a PEM private key worth searching for: each full base64 line, and DER bytes. */
function keyForms(what: string, pem: string): { texts: Secret[]; bytes: Array<{ what: string; bytes: Buffer }> } {
  const lines = pem.split('\n').filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line));
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return {
    texts: lines.map((line, index) => ({ what: `${what} (PEM line ${index + 1})`, text: line })),
    bytes: [{ what: `${what} (DER bytes)`, bytes: der.subarray(Math.floor(der.length / 2), Math.floor(der.length / 2) + 32) }],
  };
}

for (const { kind, skip } of await storeSuites()) {
  describe(`secrets at rest and in logs [${kind.name}]`, { skip }, () => {
    let database: TestDatabase;
    let child: PatchbayChild;
    let receiver: Receiver;
    const secretKey = randomBytes(32);
    const secrets: Secret[] = [];
    const keep = (what: string, text: string, inLog?: false) => secrets.push({ what, text, ...(inLog === false ? { inLog } : {}) });

    before(async () => {
      database = await kind.create();
      receiver = await startReceiver();
      child = await startPatchbayChild({
        PATCHBAY_DATA_DIR: database.dataDir,
        ...(database.location.kind === 'postgres' ? { PATCHBAY_DATABASE_URL: database.location.url } : {}),
        PATCHBAY_SECRET_KEY: secretKey.toString('base64'),
        PATCHBAY_LOG_LEVEL: 'debug',
      });
    });
    after(async () => {
      killChildren();
      if (child) await exited(child.child);
      await receiver?.close();
      await database?.drop();
    });

    test('a scenario handling every kind of secret leaves none in the data directory, the database or the log', async (t) => {
      const url = child.url;
      const company = `/api/companies/${DEMO.companyId}`;
      keep('the secret key (base64)', secretKey.toString('base64'));
      // The demo's published credentials: never at rest in plaintext, but printed by its banner (README lists them).
      keep('the demo client secret', DEMO.application.clientSecret, false);
      keep('the demo users\' password', DEMO.admin.password, false);
      keep('the demo operator\'s password', DEMO.operator.password, false);
      keep('the demo connector\'s password', DEMO_CONNECTOR.password);

      // Sign-ins, a failed one included.
      const wrong = `Wrong-${randomUUID()}`;
      keep('a mistyped password', wrong);
      const failed = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loginId: DEMO.admin.loginId, password: wrong }) });
      assert.equal(failed.status, 401);
      const operatorSession = await signIn(url, DEMO.operator.loginId, DEMO.operator.password);
      keep('the operator\'s session token', operatorSession.token);
      const apiToken = await operatorSession.call('POST', '/api/tokens', { label: 'secrets test' });
      assert.equal(apiToken.status, 201);
      keep('an operator API token', apiToken.body.token);
      const operator = client(url, { authorization: `Bearer ${apiToken.body.token}` });

      // An application with a rotated secret, a user with a password, rotated signing keys.
      const app = await operator('POST', '/api/applications', { name: 'Secrets test app', grants: ['client_credentials', 'password', 'refresh_token'], scopes: ['events.topic.read', 'travelrequest.write'], redirectUris: [] });
      assert.equal(app.status, 201, JSON.stringify(app.body));
      keep('a client secret shown once', app.body.clientSecret);
      const rotated = await operator('POST', `/api/applications/${app.body.application.id}/secret`);
      assert.equal(rotated.status, 200);
      keep('a rotated client secret', rotated.body.clientSecret);
      const appId = app.body.application.id as string;
      const clientSecret = rotated.body.clientSecret as string;
      const userPassword = `User-${randomUUID()}`;
      keep('a new user\'s password', userPassword);
      const user = await operator('POST', `${company}/users`, { loginId: `secrets-${randomUUID().slice(0, 8)}@demo.patchbay.dev`, name: 'Secret Keeper', password: userPassword, roles: ['EMPLOYEE'] });
      assert.equal(user.status, 201, JSON.stringify(user.body));
      assert.equal((await operator('POST', '/api/signing-keys/rotate')).status, 200);
      assert.equal((await operator('POST', '/api/ess/signing-keys/rotate')).status, 200);

      // A connector with a password, a new password, Test Connection against the sample connector.
      const admin = await signIn(url, DEMO.admin.loginId, DEMO.admin.password);
      keep('the admin\'s session token', admin.token);
      const connectors = await admin.call('GET', `${company}/connectors`);
      const sample = connectors.body.items.find((c: any) => c.name === DEMO_CONNECTOR.name);
      assert.ok(sample?.verified, 'the demo connector is verified');
      const connectorPassword = `Conn-${randomUUID()}`.slice(0, 40);
      const newPassword = `Next-${randomUUID()}`.slice(0, 40);
      keep('a connector password', connectorPassword);
      keep('a connector\'s new password', newPassword);
      const registered = await admin.call('POST', `${company}/connectors`, { name: 'Secrets test connector', description: '', hostName: sample.hostName, userName: 'secrets-test-user', password: connectorPassword });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      assert.equal((await admin.call('POST', `${company}/connectors/${registered.body.id}/test-connection`)).body.result.outcome, 'invalid_credentials');
      assert.equal((await admin.call('PATCH', `${company}/connectors/${registered.body.id}`, { password: newPassword })).status, 200);
      assert.equal((await admin.call('POST', `${company}/connectors/${registered.body.id}/test-connection`)).status, 200);
      assert.equal((await admin.call('POST', `${company}/connectors/${sample.id}/test-connection`)).body.result.ok, true);

      // Grants: a Company Request Token, company, user and refresh tokens.
      const requestToken = await admin.call('POST', `${company}/request-tokens`, { appId });
      assert.equal(requestToken.status, 201);
      keep('a Company Request Token', requestToken.body.requestToken);
      const companyGrant = await token(url, { grant_type: 'password', credtype: 'authtoken', client_id: appId, client_secret: clientSecret, username: DEMO.companyId, password: requestToken.body.requestToken });
      keep('a company access token', companyGrant.access_token);
      keep('a company refresh token', companyGrant.refresh_token);
      const userGrant = await token(url, { grant_type: 'password', client_id: appId, client_secret: clientSecret, username: user.body.loginId, password: userPassword });
      keep('a user access token', userGrant.access_token);
      keep('a user refresh token', userGrant.refresh_token);
      const refreshed = await token(url, { grant_type: 'refresh_token', client_id: appId, client_secret: clientSecret, refresh_token: userGrant.refresh_token });
      keep('a refreshed access token', refreshed.access_token);
      const appGrant = await token(url, { grant_type: 'client_credentials', client_id: appId, client_secret: clientSecret });
      keep('an app access token', appGrant.access_token);
      assert.equal((await fetch(`${url}/travelrequest/v4/requests`, { headers: { authorization: `Bearer ${userGrant.access_token}` } })).status, 200);

      // Webhooks: a subscription of the demo app (the demo allows http endpoints), events it receives.
      await subscribe(url, { id: DEMO.application.id, secret: DEMO.application.clientSecret }, { id: `secrets-${randomUUID().slice(0, 8)}`, endpoint: receiver.url('/hook') });

      // The callouts of the demo, as the employee: attendee search, list search, Launch URL, submit.
      const employee = await signIn(url, DEMO.employee.loginId, DEMO.employee.password);
      const policies = await employee.call('GET', `${company}/request-policies`);
      const policyId = policies.body.items.find((policy: any) => policy.name === DEMO_CONNECTOR.policyName).id;
      const request = await employee.call('POST', `${company}/requests`, { name: 'Secrets trip', businessPurpose: 'Audit', policyId });
      assert.equal(request.status, 201, JSON.stringify(request.body));
      const requestId = request.body.id as string;
      assert.equal((await employee.call('POST', `${company}/requests/${requestId}/attendee-search`, { attendeeTypeCode: 'BUSGUEST', lastName: 'M' })).status, 200);
      assert.equal((await employee.call('POST', `${company}/requests/${requestId}/fields/custom1/search`, { query: '', parentCodes: [] })).status, 200);
      const launched = await employee.call('POST', `${company}/requests/${requestId}/fields/custom2/launch`);
      assert.equal(launched.status, 200, JSON.stringify(launched.body));
      const launchUrl = new URL(launched.body.url);
      keep('a Launch External URL client_auth_code', launchUrl.searchParams.get('client_auth_code')!);
      assert.equal((await employee.call('POST', `${company}/requests/${requestId}/submit`, {})).status, 200);
      await waitUntil(() => receiver.acknowledged('/hook').length > 0, () => `no delivery yet: ${receiver.describe()}`, { timeoutMs: 15_000 });
      // The connector answers the Event Notification through Request v4 with its company token.
      await waitUntil(async () => (await employee.call('GET', `${company}/requests/${requestId}`)).body.approvalStatus?.code !== 'Q_EXTV', () => 'the connector did not answer', { timeoutMs: 15_000 }).catch(() => {});
      assert.equal((await employee.call('DELETE', '/api/session')).status, 204);

      // The private keys, decrypted with the key this test chose.
      const box = createSecretBox(secretKey);
      const store = await openStore(database.location);
      const binary: Array<{ what: string; bytes: Buffer }> = [];
      let rows: Record<string, string[]>;
      try {
        for (const row of await store.db.selectFrom('signing_keys').select(['kid', 'private_key_encrypted']).execute()) {
          const forms = keyForms(`JWT signing key ${row.kid}`, box.open(row.private_key_encrypted));
          secrets.push(...forms.texts);
          binary.push(...forms.bytes);
        }
        for (const row of await store.db.selectFrom('webhook_signing_keys').select(['kid', 'private_key_encrypted']).execute()) {
          const forms = keyForms(`webhook signing key ${row.kid}`, box.open(row.private_key_encrypted));
          secrets.push(...forms.texts);
          binary.push(...forms.bytes);
        }
        rows = await dumpStore(store);
      } finally {
        await store.close();
      }
      assert.ok(binary.length >= 3, `the JWT and webhook signing keys: ${binary.map((b) => b.what).join(', ')}`);

      const findings: string[] = [];
      const search = (where: string, content: Buffer, isLog = false) => {
        for (const secret of secrets) {
          if (isLog && secret.inLog === false) continue;
          if (content.includes(Buffer.from(secret.text, 'utf8'))) findings.push(`${secret.what} in ${where}`);
        }
        for (const secret of binary) if (content.includes(secret.bytes)) findings.push(`${secret.what} in ${where}`);
      };
      // Rows, as the store returns them (text columns decoded, so PostgreSQL's too).
      for (const [table, tableRows] of Object.entries(rows)) search(`table ${table}`, Buffer.from(tableRows.join('\n'), 'utf8'));
      // Files: the SQLite database, its WAL and shared memory, and anything else patchbay wrote.
      const files = existsSync(database.dataDir) ? filesUnder(database.dataDir) : [];
      if (kind.name === 'sqlite') assert.ok(files.some((file) => file.endsWith('patchbay.db')), files.join(', '));
      for (const file of files) search(`file ${path.relative(database.dataDir, file)}`, readFileSync(file));
      // The log, at debug level.
      const log = child.output();
      assert.ok(log.includes('/oauth2/v0/token') && log.includes('/api/session'), 'the log shows the requests');
      search('the log', Buffer.from(log, 'utf8'), true);
      t.diagnostic(`${secrets.length + binary.length} secrets searched in ${Object.keys(rows).length} tables, ${files.length} files and ${log.split('\n').length} log lines; ${findings.length} found`);
      assert.deepEqual(findings, []);
    });
  });
}
