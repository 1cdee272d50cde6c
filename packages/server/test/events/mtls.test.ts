/**
 * ESS webhooks over mutual TLS: with PATCHBAY_WEBHOOK_CLIENT_CERT_FILE and PATCHBAY_WEBHOOK_CLIENT_KEY_FILE
 * set, patchbay presents that client certificate to webhooks, as Concur's ESS does. A receiver that
 * requires a client certificate from its CA (requestCert, rejectUnauthorized) gets the event and sees
 * the certificate's CN; without a client certificate the receiver refuses the TLS handshake, nothing is
 * delivered, and the delivery stays PENDING to be retried.
 *
 * The world is the real one: an application made with `createApplication` (events.topic.read,
 * travelrequest.write) subscribes through `PUT /events/v4/subscriptions/webhook` with its app token, the
 * company connects with a Company Request Token, and the event comes from a Request v4 submit.
 *
 * SQLite only: this is about TLS between patchbay and a webhook, not about storage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn } from '../support/api-client.ts';
import { createDevCa, type TlsMaterial } from '../support/tls-fixture.ts';
import { createRequestFixture } from '../support/request-fixtures.ts';
import { createApplication } from '../../src/identity/applications.ts';

const ESS_SCOPES = ['events.topic.read', 'travelrequest.write'];
/** The CN of the client certificate patchbay presents. */
const CLIENT_CN = 'webhook.patchbay.test';

/** A client certificate for mutual TLS, in files as patchbay's settings take it, and the CA that issued it. */
interface ClientCertificate {
  caCert: string;
  certFile: string;
  keyFile: string;
  dir: string;
}

/**
 * Issues a clientAuth certificate for `commonName` with openssl. `createDevCa().issue` cannot: its leaf
 * certificates are serverAuth only (a TLS server refuses them as client certificates, INVALID_PURPOSE)
 * and its CA key stays inside it, so a CA of this test's own signs the client certificate.
 */
function createClientCertificate(commonName: string): ClientCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-mtls-'));
  const file = (name: string): string => join(dir, name);
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const config = (cn: string) =>
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      `CN = ${cn}`,
      '[ca_ext]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      '[client_ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = clientAuth',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n');
  try {
    writeFileSync(file('ca.cnf'), config('Patchbay Webhook Client CA'));
    writeFileSync(file('client.cnf'), config(commonName));
    const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl(['req', '-x509', ...newKey, '-config', file('ca.cnf'), '-extensions', 'ca_ext', '-days', '2', '-keyout', file('ca.key'), '-out', file('ca.crt')]);
    openssl(['req', '-new', ...newKey, '-config', file('client.cnf'), '-keyout', file('client.key'), '-out', file('client.csr')]);
    openssl([
      'x509', '-req', '-in', file('client.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2',
      '-extfile', file('client.cnf'), '-extensions', 'client_ext', '-out', file('client.crt'),
    ]);
    rmSync(file('ca.key'));
    return { caCert: readFileSync(file('ca.crt'), 'utf8'), certFile: file('client.crt'), keyFile: file('client.key'), dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A POST the receiver accepted, with the CN of the client certificate it came with. */
interface Received {
  path: string;
  clientCn: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTPS webhook receiver that requires a client certificate issued by `clientCa`. */
interface MtlsReceiver {
  /** https://localhost:PORT */
  url: string;
  received: Received[];
  /** Handshakes the receiver refused (messages of its tlsClientError events). */
  refusedHandshakes: string[];
  close(): Promise<void>;
}

async function startMtlsReceiver(tls: TlsMaterial, clientCa: string): Promise<MtlsReceiver> {
  const received: Received[] = [];
  const refusedHandshakes: string[] = [];
  const server = createServer({ cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: true, ca: [clientCa] }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const clientCn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      received.push({ path: req.url ?? '', clientCn, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('OK');
    });
  });
  server.on('tlsClientError', (error) => refusedHandshakes.push(error.message));
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    received,
    refusedHandshakes,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Polls `check` until it gives a value, at most `attempts` times `intervalMs` apart; fails naming `what`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, attempts = 300, intervalMs = 50): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return assert.fail(`gave up waiting for ${what}`);
}

async function postToken(url: string, form: Record<string, string>): Promise<string> {
  const response = await fetch(`${url}/oauth2/v0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const body = (await response.json()) as { access_token?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.ok(body.access_token);
  return body.access_token;
}

/**
 * An ESS subscriber application subscribes `endpoint` with its app token, then the company connects to
 * it with a Company Request Token (issued by the company's administrator); then a traveler submits a
 * request through Request v4. Returns the subscription's id and the request's id.
 */
async function subscribeAndPublish(server: TestServer, endpoint: string): Promise<{ subscriptionId: string; requestId: string }> {
  const { application, clientSecret } = await server.patchbay.store.transaction((trx) =>
    createApplication(trx, null, { name: `mTLS subscriber ${randomUUID().slice(0, 8)}`, grants: ['client_credentials', 'password'], scopes: ESS_SCOPES, redirectUris: [] }),
  );
  const appToken = await postToken(server.url, { grant_type: 'client_credentials', client_id: application.id, client_secret: clientSecret });

  const subscriptionId = `mtls.${randomUUID().slice(0, 8)}`;
  const saved = await fetch(`${server.url}/events/v4/subscriptions/webhook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: subscriptionId, topic: 'public.concur.request', filter: '.*', webHookConfig: { endpoint } }),
  });
  assert.equal(saved.status, 200, await saved.text());

  const admin = await signIn(server.url, server.admin);
  const issued = await admin.post(`/api/companies/${server.companyId}/request-tokens`, { appId: application.id });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  await postToken(server.url, { grant_type: 'password', credtype: 'authtoken', client_id: application.id, client_secret: clientSecret, username: server.companyId, password: issued.body.requestToken });

  const fx = await createRequestFixture(server);
  const request = await fx.newRequest(fx.people.traveler);
  const submitted = await (await fx.userApi(fx.people.traveler)).action(request.id, 'submit');
  assert.equal(submitted.status, 200, submitted.text);
  return { subscriptionId, requestId: request.id as string };
}

/** The one delivery of the subscription, once it exists. */
async function deliveryOf(server: TestServer, subscriptionId: string) {
  const rows = await server.patchbay.store.db.selectFrom('deliveries').selectAll().where('subscription_id', '=', subscriptionId).execute();
  assert.ok(rows.length <= 1, `one event, one delivery: ${JSON.stringify(rows)}`);
  const row = rows[0];
  return row === undefined ? undefined : { ...row, id: Number(row.id), attempts: Number(row.attempts) };
}

describe('ESS webhooks over mutual TLS [sqlite]', () => {
  let serverTls: TlsMaterial;
  let devCaCert: string;
  let client: ClientCertificate;
  let receiver: MtlsReceiver;

  before(async () => {
    const devCa = await createDevCa();
    devCaCert = devCa.caCert;
    serverTls = devCa.issue(['localhost', '127.0.0.1']);
    client = createClientCertificate(CLIENT_CN);
    receiver = await startMtlsReceiver(serverTls, client.caCert);
  });

  after(async () => {
    await receiver?.close();
    if (client) rmSync(client.dir, { recursive: true, force: true });
  });

  test('with a client certificate configured, the receiver gets the event and sees the certificate\'s CN', async () => {
    const server = await startTestServer({
      extraCa: devCaCert,
      env: { PATCHBAY_WEBHOOK_CLIENT_CERT_FILE: client.certFile, PATCHBAY_WEBHOOK_CLIENT_KEY_FILE: client.keyFile },
    });
    try {
      const { subscriptionId, requestId } = await subscribeAndPublish(server, `${receiver.url}/hooks/with-certificate`);
      const delivered = await waitFor('the delivery to be DELIVERED', async () => {
        const row = await deliveryOf(server, subscriptionId);
        return row?.status === 'DELIVERED' ? row : undefined;
      });
      assert.equal(delivered.attempts, 1);
      const posts = receiver.received.filter((post) => post.path === '/hooks/with-certificate');
      assert.equal(posts.length, 1);
      const [post] = posts;
      assert.equal(post!.clientCn, CLIENT_CN);
      const event = JSON.parse(post!.body);
      assert.equal(event.eventType, 'statusChange.PENDING.RequestManager');
      assert.equal(event.facts.id, requestId);
      assert.equal(event.topic, 'public.concur.request');
      assert.ok(post!.headers['concur-signature'], 'the delivery is signed as usual');
    } finally {
      await server.close();
    }
  });

  test('without a client certificate, the receiver refuses the handshake and the delivery stays PENDING for a retry', async () => {
    const server = await startTestServer({ extraCa: devCaCert });
    try {
      const handshakesBefore = receiver.refusedHandshakes.length;
      const { subscriptionId } = await subscribeAndPublish(server, `${receiver.url}/hooks/without-certificate`);
      const attempted = await waitFor('a failed delivery attempt', async () => {
        const row = await deliveryOf(server, subscriptionId);
        return row !== undefined && row.attempts >= 1 ? row : undefined;
      });
      assert.equal(attempted.status, 'PENDING', JSON.stringify(attempted));
      assert.equal(attempted.completed_at, null);
      assert.equal(attempted.last_status, null, 'no HTTP answer: the TLS handshake failed');
      // Under TLS 1.3 the receiver refuses the certificate-less client after the client's side of the
      // handshake, with a certificate_required alert; undici reports that as "other side closed", which
      // patchbay records as connection_reset (tls_failure would be the more telling classification).
      assert.match(attempted.last_error ?? '', /^(tls_failure|connection_reset): /);
      const attempts = await server.patchbay.store.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', attempted.id).orderBy('id').execute();
      assert.ok(attempts.length >= 1);
      assert.equal(attempts[0]!.status_code, null);
      assert.match(attempts[0]!.error ?? '', /^(tls_failure|connection_reset): /);
      await waitFor('the receiver to report the refused handshake', async () => (receiver.refusedHandshakes.length > handshakesBefore ? true : undefined));
      assert.match(receiver.refusedHandshakes.at(-1)!, /peer did not return a certificate/);
      assert.equal(receiver.received.filter((post) => post.path === '/hooks/without-certificate').length, 0, 'nothing reached the webhook');
    } finally {
      await server.close();
    }
  });
});
