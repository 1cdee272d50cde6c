/**
 * `verifySignature`: genuine ESS signatures (PSS, SHA-256, maximum salt) verify over the exact bytes;
 * the salt-32 trap is shown; tampering, other keys and garbage give false without throwing; keys come
 * as KeyObject, SPKI PEM, PKCS#1 PEM or a certificate PEM (ESS's client certificate); OpenSSL's
 * signatures verify too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadPublicKey, verifySignature } from '../src/index.ts';
import { SAMPLE_PENDING, concurSign, rsaKey } from './fixtures.ts';

const execFileAsync = promisify(execFile);
const key = rsaKey();
const body = Buffer.from(SAMPLE_PENDING, 'utf8');
const signature = concurSign(key.privateKey, body);

test('a body signed as ESS signs (PSS, SHA-256, maximum salt) verifies with a KeyObject, a PEM string, and as a string body', () => {
  assert.equal(verifySignature(body, signature, key.publicKey), true);
  assert.equal(verifySignature(body, signature, key.publicKeyPem), true);
  assert.equal(verifySignature(SAMPLE_PENDING, signature, key.publicKeyPem), true);
  assert.equal(verifySignature(body, `  ${signature}\n`, key.publicKey), true, 'surrounding whitespace of a header value is ignored');
  const pkcs1 = key.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString();
  assert.match(pkcs1, /BEGIN RSA PUBLIC KEY/);
  assert.equal(verifySignature(body, signature, pkcs1), true);
  // A private key also verifies (its public half is used).
  assert.equal(verifySignature(body, signature, key.privateKey), true);
});

test('the salt-32 trap: a verifier fixed to a 32-byte salt rejects the genuine signature that the SDK accepts', () => {
  const salt32 = (sig: string) => verify('sha256', body, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(sig, 'base64'));
  const salt222 = (sig: string) => verify('sha256', body, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 222 }, Buffer.from(sig, 'base64'));
  assert.equal(salt32(signature), false, 'a hash-length salt verifier rejects the maximum-salt signature');
  assert.equal(salt222(signature), true, 'the maximum salt of an RSA-2048 key is 256 - 32 - 2 = 222 bytes');
  assert.equal(verifySignature(body, signature, key.publicKey), true);
  // The SDK reads the salt length from the signature, so a hash-length salt verifies as well.
  assert.equal(verifySignature(body, concurSign(key.privateKey, body, 32), key.publicKey), true);
  // PKCS#1 v1.5 is a different scheme: not accepted.
  const v15 = sign('sha256', body, { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
  assert.equal(verifySignature(body, v15, key.publicKey), false);
});

test('the signature covers the exact bytes: tampering, re-serializing or re-encoding the body fails', () => {
  const tampered = Buffer.from(body);
  tampered[tampered.indexOf('LLU9')] = 'X'.charCodeAt(0);
  assert.equal(verifySignature(tampered, signature, key.publicKey), false);
  assert.equal(verifySignature(JSON.stringify(JSON.parse(SAMPLE_PENDING)), signature, key.publicKey), false, 're-serialized JSON is not the signed body');
  assert.equal(verifySignature(Buffer.concat([body, Buffer.from('\n')]), signature, key.publicKey), false);
  assert.equal(verifySignature(body.subarray(1), signature, key.publicKey), false);
  // Non-ASCII text: a string body is its UTF-8 bytes.
  const text = SAMPLE_PENDING.replace('LLU9', 'Zürich ✈');
  const signed = concurSign(key.privateKey, Buffer.from(text, 'utf8'));
  assert.equal(verifySignature(text, signed, key.publicKey), true);
  assert.equal(verifySignature(Buffer.from(text, 'latin1'), signed, key.publicKey), false);
});

test('another key does not verify; during a rotation each key verifies only its own signatures', () => {
  const other = rsaKey();
  assert.equal(verifySignature(body, signature, other.publicKey), false);
  assert.equal(verifySignature(body, concurSign(other.privateKey, body), other.publicKeyPem), true);
});

test('garbage never throws: it is false', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cases: Array<[unknown, unknown, unknown]> = [
    [body, '', key.publicKey],
    [body, undefined, key.publicKey],
    [body, null, key.publicKey],
    [body, 'not base64 at all!', key.publicKey],
    [body, '====', key.publicKey],
    [body, 'QUJD', key.publicKey],
    [body, signature.slice(0, -8), key.publicKey],
    [body, `${signature}${signature}`, key.publicKey],
    [body, 'A'.repeat(1_000_000), key.publicKey],
    [body, Buffer.alloc(256).toString('base64'), key.publicKey],
    [body, Buffer.alloc(256, 0xff).toString('base64'), key.publicKey],
    [body, ['a', 'b'], key.publicKey],
    [body, 42, key.publicKey],
    [body, signature, 'not a key'],
    [body, signature, ''],
    [body, signature, ec.publicKey],
    [body, signature, ec.publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    [body, signature, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    [body, signature, null],
    [null, signature, key.publicKey],
    [42, signature, key.publicKey],
    [{ not: 'a buffer' }, signature, key.publicKey],
    [Buffer.alloc(0), signature, key.publicKey],
  ];
  for (const [input, header, publicKey] of cases) {
    assert.equal(verifySignature(input as Buffer, header as string, publicKey as string), false, `${String(header).slice(0, 40)} / ${String(publicKey).slice(0, 40)}`);
  }
});

test('base64url signature headers are accepted too', () => {
  const url = Buffer.from(signature, 'base64').toString('base64url');
  assert.notEqual(url, signature);
  assert.equal(verifySignature(body, url, key.publicKey), true);
});

test('loadPublicKey throws on configuration mistakes (not RSA, not a key), so they surface at start-up', () => {
  assert.throws(() => loadPublicKey('not a key'));
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  assert.throws(() => loadPublicKey(ec.publicKey.export({ format: 'pem', type: 'spki' }).toString()), /RSA/);
  assert.equal(loadPublicKey(key.publicKeyPem).asymmetricKeyType, 'rsa');
});

test("the key can come from a certificate PEM (ESS's mTLS client certificate carries the signing key); OpenSSL's signatures verify", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sdk-cert-'));
  try {
    await execFileAsync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=webhook.api.concursolutions.com', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    await writeFile(join(dir, 'body.bin'), body);
    // OpenSSL signs exactly as the issue describes ESS: PSS with the maximum salt length.
    await execFileAsync('openssl', ['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:max', '-sign', join(dir, 'key.pem'), '-out', join(dir, 'sig.bin'), join(dir, 'body.bin')]);
    const cert = await readFile(join(dir, 'cert.pem'), 'utf8');
    const opensslSignature = (await readFile(join(dir, 'sig.bin'))).toString('base64');
    assert.equal(verifySignature(body, opensslSignature, cert), true);
    assert.equal(loadPublicKey(cert).asymmetricKeyType, 'rsa');
    assert.equal(verifySignature(body, opensslSignature, key.publicKey), false);
    assert.equal(verifySignature(body, signature, cert), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
