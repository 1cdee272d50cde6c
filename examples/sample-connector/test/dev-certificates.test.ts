// ensureDevCertificates with the real openssl CLI: made once, reused while valid, the leaf (only) renewed when it
// does not belong to the stored CA, everything renewed when the CA is gone; keys are private; a clear error
// without openssl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_CERTIFICATE_FILES, DevCertificateError, ensureDevCertificates } from '../src/index.ts';
import { call } from './support.ts';

describe('ensureDevCertificates', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sample-connector-certs-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('creates a CA and a localhost certificate it signed, then reuses them', async () => {
    const dir = join(root, 'reuse', 'dev-ca');
    const first = await ensureDevCertificates(dir);
    assert.equal(first.caCertPath, join(dir, DEV_CERTIFICATE_FILES.caCert));
    assert.equal(await readFile(first.caCertPath, 'utf8'), first.caCert);
    const ca = new X509Certificate(first.caCert);
    const leaf = new X509Certificate(first.cert);
    assert.ok(ca.ca);
    assert.ok(!leaf.ca);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.ok(leaf.checkHost('localhost'));
    assert.ok(leaf.checkIP('127.0.0.1'));
    assert.ok(leaf.checkIP('::1'));
    assert.ok(leaf.validToDate.getTime() > Date.now() + 300 * 24 * 3_600_000);
    for (const name of [DEV_CERTIFICATE_FILES.key, DEV_CERTIFICATE_FILES.caKey]) {
      assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600, `${name} is private`);
    }
    assert.equal((await stat(dir)).mode & 0o777, 0o700);

    const second = await ensureDevCertificates(dir);
    assert.deepEqual(second, first, 'the same files are reused');
  });

  test('the certificate serves HTTPS that a client trusting only the CA accepts, on localhost and 127.0.0.1', async () => {
    const certificates = await ensureDevCertificates(join(root, 'serve'));
    const server = createServer({ cert: certificates.cert, key: certificates.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      assert.equal((await call(`https://localhost:${port}/`, { ca: certificates.caCert })).body, 'ok');
      assert.equal((await call(`https://127.0.0.1:${port}/`, { ca: certificates.caCert })).body, 'ok');
      await assert.rejects(call(`https://localhost:${port}/`), /self-signed|unable to verify|certificate/i);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('a leaf not signed by the stored CA, or missing, is made anew; the CA is kept', async () => {
    const dir = join(root, 'renew-leaf');
    const original = await ensureDevCertificates(dir);
    const stranger = await ensureDevCertificates(join(root, 'stranger'));
    await copyFile(join(root, 'stranger', DEV_CERTIFICATE_FILES.cert), join(dir, DEV_CERTIFICATE_FILES.cert));
    await copyFile(join(root, 'stranger', DEV_CERTIFICATE_FILES.key), join(dir, DEV_CERTIFICATE_FILES.key));
    const renewed = await ensureDevCertificates(dir);
    assert.equal(renewed.caCert, original.caCert, 'the trusted CA stays');
    assert.notEqual(renewed.cert, stranger.cert);
    assert.notEqual(renewed.cert, original.cert);
    assert.ok(new X509Certificate(renewed.cert).checkIssued(new X509Certificate(original.caCert)));

    await rm(join(dir, DEV_CERTIFICATE_FILES.key));
    const again = await ensureDevCertificates(dir);
    assert.equal(again.caCert, original.caCert);
    assert.notEqual(again.key, renewed.key);
  });

  test('a leaf that expires within a week is renewed', async () => {
    const dir = join(root, 'expiring');
    const original = await ensureDevCertificates(dir);
    // Sign a one-day leaf for the same names with the stored CA, as an old run might have left it.
    const path = (name: string): string => join(dir, name);
    await writeFile(path('short.cnf'), '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = localhost\n[ext]\nsubjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1\n');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-config', path('short.cnf'), '-keyout', path('short.key'), '-out', path('short.csr')], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', path('short.csr'), '-CA', original.caCertPath, '-CAkey', path(DEV_CERTIFICATE_FILES.caKey), '-set_serial', '7', '-days', '1', '-extfile', path('short.cnf'), '-extensions', 'ext', '-out', path(DEV_CERTIFICATE_FILES.cert)], { stdio: 'pipe' });
    await copyFile(path('short.key'), path(DEV_CERTIFICATE_FILES.key));
    const short = new X509Certificate(await readFile(path(DEV_CERTIFICATE_FILES.cert), 'utf8'));
    assert.ok(short.checkIssued(new X509Certificate(original.caCert)));
    const renewed = await ensureDevCertificates(dir);
    assert.equal(renewed.caCert, original.caCert);
    assert.ok(new X509Certificate(renewed.cert).validToDate.getTime() > Date.now() + 300 * 24 * 3_600_000);
  });

  test('other host names get a certificate covering them; a garbled or missing CA renews everything', async () => {
    const dir = join(root, 'renew-all');
    const original = await ensureDevCertificates(dir);
    const wider = await ensureDevCertificates(dir, ['localhost', 'connector.test', '10.1.2.3']);
    assert.equal(wider.caCert, original.caCert);
    assert.ok(new X509Certificate(wider.cert).checkHost('connector.test'));
    assert.ok(new X509Certificate(wider.cert).checkIP('10.1.2.3'));

    await writeFile(join(dir, DEV_CERTIFICATE_FILES.caCert), 'not a certificate');
    const renewed = await ensureDevCertificates(dir);
    assert.notEqual(renewed.caCert, original.caCert);
    assert.ok(new X509Certificate(renewed.cert).checkIssued(new X509Certificate(renewed.caCert)));
  });

  test('refuses names that are not host names or addresses', async () => {
    await assert.rejects(ensureDevCertificates(join(root, 'bad'), ['localhost\nCN = evil']), TypeError);
    await assert.rejects(ensureDevCertificates(join(root, 'bad'), []), TypeError);
  });

  test('says clearly when openssl is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(root, 'no-such-bin');
    try {
      await assert.rejects(ensureDevCertificates(join(root, 'no-openssl')), (error: unknown) => {
        assert.ok(error instanceof DevCertificateError);
        assert.match(error.message, /needs the openssl command-line tool/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
  });
});
