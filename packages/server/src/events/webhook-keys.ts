/**
 * The key that signs webhook bodies: `Concur-Signature` is base64 of RSASSA-PSS (SHA-256, MGF1
 * SHA-256, maximum salt length: 222 bytes for RSA-2048) over the exact body bytes sent, as Concur's
 * ESS signs. The key is generated on first use and stored encrypted; rotation adds a new key and
 * retires the oldest, and subscribers fetch the public keys (PEM) to verify.
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../store/store.ts';

const generateRsa = promisify(generateKeyPair);
/**
 * How long an `isPublished` answer is trusted (the delivery worker asks before every send): another
 * instance may rotate keys meanwhile, and its retirement is seen here within this time.
 */
const PUBLISHED_ANSWER_TTL_MS = 5_000;

/** A public webhook key as patchbay publishes it. */
export interface PublishedKey {
  kid: string;
  publicKeyPem: string;
  createdAt: string;
  /** The key signing new events (the newest). */
  current: boolean;
}

/** Signs webhook bodies. */
export interface WebhookSigner {
  /** The signature of `body` with the current key, and that key's id. */
  sign(body: Buffer): Promise<{ signature: string; kid: string }>;
  /** Every key that still verifies, newest first. */
  publishedKeys(): Promise<PublishedKey[]>;
  /** Starts signing with a new key; the previous one is still published for verification. */
  rotate(): Promise<string>;
  /** Whether signatures made with `kid` still verify against a published key. */
  isPublished(kid: string): Promise<boolean>;
}

/** Signs `body` the way Concur's ESS does; exported for tests and the subscriber SDK's fixtures. */
export function signBody(privateKey: KeyObject, body: Buffer): string {
  return sign('sha256', body, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN }).toString('base64');
}

/** Creates the signer over the store. */
export function createWebhookSigner(store: Store, secrets: SecretBox): WebhookSigner {
  let current: { kid: string; privateKey: KeyObject } | null = null;
  const publishedAnswers = new Map<string, { published: boolean; at: number }>();

  async function addKey(): Promise<string> {
    const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
    const now = Date.now();
    const kid = String(now);
    await store.transaction(async (trx) => {
      await trx
        .insertInto('webhook_signing_keys')
        .values({ kid, private_key_encrypted: secrets.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), public_key_pem: createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString(), created_at: now, retired_at: null })
        .execute();
      const keep = await trx.selectFrom('webhook_signing_keys').select('kid').where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').limit(2).execute();
      await trx.updateTable('webhook_signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).where('kid', 'not in', keep.map((k) => k.kid)).execute();
    });
    current = null;
    publishedAnswers.clear();
    return kid;
  }

  let loading: Promise<{ kid: string; privateKey: KeyObject }> | null = null;

  /** The signing key; concurrent first calls share one load (and at most one key creation). */
  function currentKey(): Promise<{ kid: string; privateKey: KeyObject }> {
    if (current) return Promise.resolve(current);
    loading ??= loadCurrentKey().finally(() => {
      loading = null;
    });
    return loading;
  }

  async function loadCurrentKey(): Promise<{ kid: string; privateKey: KeyObject }> {
    let row = await store.db.selectFrom('webhook_signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').executeTakeFirst();
    if (!row) {
      await addKey();
      row = await store.db.selectFrom('webhook_signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').executeTakeFirstOrThrow();
    }
    current = { kid: row.kid, privateKey: createPrivateKey(secrets.open(row.private_key_encrypted)) };
    return current;
  }

  return {
    async sign(body) {
      const key = await currentKey();
      // RSA-PSS signing takes a fraction of a millisecond of CPU: done in the thread pool, it leaves
      // the event loop free for sending and recording deliveries.
      const signature = await new Promise<Buffer>((resolve, reject) => {
        sign('sha256', body, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN }, (error, result) => (error ? reject(error) : resolve(result)));
      });
      return { signature: signature.toString('base64'), kid: key.kid };
    },
    async publishedKeys() {
      await currentKey();
      const rows = await store.db.selectFrom('webhook_signing_keys').select(['kid', 'public_key_pem', 'created_at']).where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
      return rows.map((row, index) => ({ kid: row.kid, publicKeyPem: row.public_key_pem, createdAt: new Date(row.created_at).toISOString(), current: index === 0 }));
    },
    rotate: addKey,
    async isPublished(kid) {
      const known = publishedAnswers.get(kid);
      if (known && Date.now() - known.at < PUBLISHED_ANSWER_TTL_MS) return known.published;
      const row = await store.db.selectFrom('webhook_signing_keys').select('retired_at').where('kid', '=', kid).executeTakeFirst();
      const published = row !== undefined && row.retired_at === null;
      // Few keys ever exist; the map is cleared at every rotation here.
      publishedAnswers.set(kid, { published, at: Date.now() });
      return published;
    },
  };
}
