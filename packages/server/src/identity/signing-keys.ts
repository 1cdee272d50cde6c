/**
 * The RSA keys that sign patchbay's JWTs. A key is generated on first start and stored encrypted;
 * rotation adds a new signing key and keeps the previous one valid for verification, so tokens issued
 * just before a rotation keep working until they expire. Keys are cached in memory and reloaded when
 * a token names a key id this process has not seen (another instance rotated).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SecretBox } from '../security/secret-box.ts';
import type { Store } from '../store/store.ts';

const generateRsa = promisify(generateKeyPair);

/** A public key as JWKS publishes it. */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

interface LoadedKey {
  kid: string;
  createdAt: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

/** The signing keys of one patchbay. */
export interface KeyRing {
  /** The newest key, which signs new tokens. Generates one when there is none. */
  signingKey(): Promise<{ kid: string; privateKey: KeyObject }>;
  /** The public key for `kid`, or null when no valid key has that id. */
  verificationKey(kid: string): Promise<KeyObject | null>;
  /** The JWKS document: every key that still verifies. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** Adds a new signing key; keys older than the previous one are retired. Returns the new kid. */
  rotate(): Promise<string>;
}

/** Creates the key ring over the store, decrypting private keys with `secrets`. */
export function createKeyRing(store: Store, secrets: SecretBox): KeyRing {
  let keys: LoadedKey[] | null = null;
  let lastMissReload = 0;

  async function load(): Promise<LoadedKey[]> {
    const rows = await store.db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
    keys = rows.map((row) => {
      const privateKey = createPrivateKey(secrets.open(row.private_key_encrypted));
      return { kid: row.kid, createdAt: row.created_at, privateKey, publicKey: createPublicKey(privateKey), jwk: JSON.parse(row.public_jwk) as PublicJwk };
    });
    return keys;
  }

  async function addKey(): Promise<string> {
    const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
    const now = Date.now();
    // Concur's key ids are numeric strings; a millisecond timestamp keeps them ordered and unique.
    const kid = String(now);
    const jwk: PublicJwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
    await store.transaction(async (trx) => {
      await trx
        .insertInto('signing_keys')
        .values({ kid, private_key_encrypted: secrets.seal(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), public_jwk: JSON.stringify(jwk), created_at: now, retired_at: null })
        .execute();
      const keep = await trx.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').limit(2).execute();
      await trx.updateTable('signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).where('kid', 'not in', keep.map((k) => k.kid)).execute();
    });
    await load();
    return kid;
  }

  return {
    async signingKey() {
      let current = (keys ?? (await load()))[0];
      if (!current) {
        await addKey();
        current = keys![0]!;
      }
      return { kid: current.kid, privateKey: current.privateKey };
    },
    async verificationKey(kid) {
      let found = (keys ?? (await load())).find((key) => key.kid === kid);
      // An unknown kid may be another instance's new key. Reload, but at most once a second, so tokens
      // with made-up key ids cannot turn into a query each.
      if (!found && /^\d{1,20}$/.test(kid) && Date.now() - lastMissReload > 1_000) {
        lastMissReload = Date.now();
        found = (await load()).find((key) => key.kid === kid);
      }
      return found?.publicKey ?? null;
    },
    async jwks() {
      return { keys: (await load()).map((key) => key.jwk) };
    },
    rotate: addKey,
  };
}
