/**
 * `Concur-Signature` as a subscriber meets it, on SQLite and PostgreSQL: a real delivery to an HTTPS
 * webhook is recorded byte for byte, and its signature verifies with OpenSSL exactly as issue 6 states
 * (`openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max -verify pub.pem
 * -signature sig.bin body.bin`) and with the subscriber SDK, over the exact received bytes, with the key
 * patchbay publishes. A tampered body fails both; a verifier fixed to a 32-byte salt fails too (the trap
 * the SDK avoids), while the strict maximum salt (222 bytes for RSA-2048) verifies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignature } from '@patchbay/subscriber-sdk';
import { startTestServer, type TestServer } from '../support/server.ts';
import { storeSuites } from '../support/stores.ts';
import { signIn } from '../support/api-client.ts';
import { createDevCa, startHttpsServer, type RunningServer } from '../support/tls-fixture.ts';
import { createRequestFixture, type RequestFixture } from '../support/request-fixtures.ts';

/** One POST the webhook received, exactly. */
interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Runs openssl; resolves with its exit code and output (a failed verification is exit code 1, not an error). */
function openssl(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (code === null) reject(error ?? new Error('openssl did not run'));
      else resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Verifies `body` against the base64 `signature` with `openssl dgst`, through temp files. */
async function opensslVerify(publicKeyPem: string, body: Buffer, signature: string, saltlen = 'max'): Promise<{ code: number; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-sig-'));
  try {
    await writeFile(join(dir, 'pub.pem'), publicKeyPem);
    await writeFile(join(dir, 'body.bin'), body);
    await writeFile(join(dir, 'sig.bin'), Buffer.from(signature, 'base64'));
    return await openssl(['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${saltlen}`, '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.bin'), join(dir, 'body.bin')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postForm(url: string, form: Record<string, string>): Promise<any> {
  const response = await fetch(`${url}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

for (const { kind, skip } of await storeSuites()) {
  describe(`Concur-Signature of a real delivery [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let webhook: RunningServer;
    let fx: RequestFixture;
    const received: Received[] = [];
    let delivery: Received;
    let publicKeyPem: string;

    before(async () => {
      const ca = await createDevCa();
      server = await startTestServer({ database: await kind.create(), extraCa: ca.caCert });
      webhook = await startHttpsServer(ca.issue(['localhost', '127.0.0.1']), (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          received.push({ headers: req.headers, body: Buffer.concat(chunks) });
          res.writeHead(200).end();
        });
      });
      fx = await createRequestFixture(server);

      // A subscriber app subscribes through ESS, then the company connects to it.
      const operator = await signIn(server.url, server.operator);
      const created = await operator.post('/api/applications', { name: 'Signature test subscriber', grants: ['client_credentials', 'password'], scopes: ['events.topic.read', 'travelrequest.write'], redirectUris: [] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const app = { id: created.body.application.id as string, secret: created.body.clientSecret as string };
      const { access_token: appToken } = await postForm(server.url, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret });
      const put = await fetch(`${server.url}/events/v4/subscriptions/webhook`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'signature.test.v1', topic: 'public.concur.request', filter: '.*', webHookConfig: { endpoint: `${webhook.url}/hook` } }),
      });
      assert.equal(put.status, 200, await put.text());
      const admin = await signIn(server.url, server.admin);
      const issued = await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: app.id });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      await postForm(server.url, { grant_type: 'password', credtype: 'authtoken', client_id: app.id, client_secret: app.secret, username: server.companyId, password: issued.body.requestToken });

      const request = await fx.newRequest(fx.people.traveler);
      const submitted = await (await fx.userApi(fx.people.traveler)).action(request.id, 'submit');
      assert.equal(submitted.status, 200, submitted.text);
      for (let i = 0; i < 400 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(received.length, 1, 'the webhook received the submit event');
      delivery = received[0]!;

      const published = await fetch(`${server.url}/api/ess/signing-key.pem`);
      assert.equal(published.status, 200);
      publicKeyPem = await published.text();
    });
    after(async () => {
      await webhook?.close();
      await server?.close();
    });

    test('the delivery carries the exact outbox payload, JSON, its correlation id and a base64 Concur-Signature', async () => {
      const [event] = await fx.events();
      assert.ok(event);
      assert.ok(delivery.body.equals(Buffer.from(event.payloadText, 'utf8')), 'the body is the stored payload, byte for byte');
      assert.match(String(delivery.headers['content-type']), /^application\/json/);
      assert.equal(delivery.headers['concur-correlationid'], event.payload.correlationId);
      assert.match(String(delivery.headers['concur-signature']), /^[A-Za-z0-9+/]+={0,2}$/);
      assert.equal(Buffer.from(String(delivery.headers['concur-signature']), 'base64').length, 256, 'an RSA-2048 signature');
      assert.match(publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
      const keys = (await (await fetch(`${server.url}/api/ess/signing-keys`)).json()) as { keys: Array<{ publicKeyPem: string }> };
      assert.equal(keys.keys[0]!.publicKeyPem, publicKeyPem, 'the PEM is the current key of the published list');
    });

    test('OpenSSL verifies it exactly as the issue says (PSS, rsa_pss_saltlen:max), over the exact received bytes', async () => {
      const signature = String(delivery.headers['concur-signature']);
      const result = await opensslVerify(publicKeyPem, delivery.body, signature);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /Verified OK/);
    });

    test('the SDK verifies it, with the PEM or a KeyObject, from the bytes or the text', () => {
      const signature = String(delivery.headers['concur-signature']);
      assert.equal(verifySignature(delivery.body, signature, publicKeyPem), true);
      assert.equal(verifySignature(delivery.body, signature, createPublicKey(publicKeyPem)), true);
      assert.equal(verifySignature(delivery.body.toString('utf8'), signature, publicKeyPem), true);
    });

    test('the salt is the maximum (222 bytes for RSA-2048): strict max verifies, a verifier fixed to 32 bytes fails', async () => {
      const signature = Buffer.from(String(delivery.headers['concur-signature']), 'base64');
      const withSalt = (saltLength: number) => verify('sha256', delivery.body, { key: publicKeyPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
      assert.equal(withSalt(222), true);
      assert.equal(withSalt(32), false);
      const salt32 = await opensslVerify(publicKeyPem, delivery.body, signature.toString('base64'), '32');
      assert.notEqual(salt32.code, 0, 'OpenSSL with a 32-byte salt rejects it');
      assert.match(salt32.output, /Verification failure/);
    });

    test('a tampered body fails both OpenSSL and the SDK', async () => {
      const signature = String(delivery.headers['concur-signature']);
      const text = delivery.body.toString('utf8');
      const tamperings = [
        Buffer.from(text.replace('"isTest":"false"', '"isTest":"true"'), 'utf8'),
        Buffer.from(JSON.stringify(JSON.parse(text), null, 1), 'utf8'),
        Buffer.concat([delivery.body, Buffer.from(' ')]),
      ];
      for (const body of tamperings) {
        assert.ok(!body.equals(delivery.body));
        const result = await opensslVerify(publicKeyPem, body, signature);
        assert.notEqual(result.code, 0, 'OpenSSL rejects the tampered body');
        assert.match(result.output, /Verification failure/);
        assert.equal(verifySignature(body, signature, publicKeyPem), false);
      }
    });
  });
}
