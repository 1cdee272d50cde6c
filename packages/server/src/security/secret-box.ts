/**
 * Encryption of secrets at rest (connector passwords and, later, signing keys): AES-256-GCM with a
 * 32-byte key from config or from a key file created on first start. Stored form:
 * `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Encrypts and decrypts secrets with one key. */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

const VERSION = 'v1';

/**
 * How many opened secrets are remembered, by their sealed form: every callout opens its connector's
 * password, and the sealed text changes whenever the password does, so a remembered one is never stale.
 */
const OPENED_CACHE_SIZE = 1_000;

/** A `SecretBox` over a 32-byte key. */
export function createSecretBox(rawKey: Buffer): SecretBox {
  if (rawKey.length !== 32) throw new Error('The secret key must be 32 bytes');
  // A KeyObject is imported once; a raw Buffer would be imported again by every cipher.
  const key = createSecretKey(rawKey);
  const opened = new Map<string, string>();
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    open(sealed) {
      const remembered = opened.get(sealed);
      if (remembered !== undefined) return remembered;
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
        throw new Error('Not a sealed secret of this version');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      if (opened.size >= OPENED_CACHE_SIZE) opened.delete(opened.keys().next().value!);
      opened.set(sealed, plaintext);
      return plaintext;
    },
  };
}

/**
 * The key to use: the configured one, else the key file's, creating the file (mode 0600) with a
 * fresh random key when it does not exist yet.
 */
export function loadOrCreateSecretKey(configured: Buffer | null, keyFile: string): Buffer {
  if (configured) return configured;
  if (!existsSync(keyFile)) {
    mkdirSync(path.dirname(keyFile), { recursive: true });
    // 'wx' fails if another process created the file meanwhile; then we read theirs below.
    try {
      writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    chmodSync(keyFile, 0o600);
  }
  const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`The key file ${keyFile} must hold the base64 of exactly 32 bytes`);
  return key;
}
