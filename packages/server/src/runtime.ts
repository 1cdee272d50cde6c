/**
 * Opens everything a patchbay process runs on, from a `Config`: the store (migrated), the secret key,
 * the outbound client and the app. Used by `patchbay start` and by tests that want the real thing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createApp } from './app.ts';
import { createOutboundClient } from './connectors/outbound-client.ts';
import { createSecretBox, loadOrCreateSecretKey } from './security/secret-box.ts';
import { openStore, type Store, type StoreLocation } from './store/store.ts';
import { seedDemo } from './demo.ts';
import { createKeyRing } from './identity/signing-keys.ts';
import { createTokenIssuer } from './identity/tokens.ts';
import { createTokenGuard, type TokenGuard } from './identity/token-guard.ts';
import { createClock } from './events/clock.ts';
import { startDeliveryWorker } from './events/delivery-worker.ts';
import { createWebhookSigner, type WebhookSigner } from './events/webhook-keys.ts';

/** A running (or ready to run) patchbay. */
export interface Patchbay {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** Checks access tokens; Concur-compatible routes added to `app` use it. */
  readonly guard: TokenGuard;
  /** Signs webhook bodies; its public keys are what subscribers verify with. */
  readonly webhookSigner: WebhookSigner;
  /** Stops accepting requests, lets in-flight ones finish, then closes the store and the pools. */
  close(): Promise<void>;
}

/** Where the store lives for `config`: PostgreSQL when a URL is set, else SQLite in the data directory. */
export function storeLocation(config: Config): StoreLocation {
  return config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'sqlite', file: path.join(config.dataDir, 'patchbay.db') };
}

/** Opens the store at `location` (default: from `config`), migrates it and builds the app. */
export async function openPatchbay(config: Config, location: StoreLocation = storeLocation(config)): Promise<Patchbay> {
  const store = await openStore(location);
  try {
    await store.migrate();
    const secrets = createSecretBox(loadOrCreateSecretKey(config.secretKey, config.secretKeyFile));
    const outbound = createOutboundClient({
      ...(config.extraCaFile ? { extraCa: readFileSync(config.extraCaFile, 'utf8') } : {}),
      privateAddresses: config.allowPrivateAddresses,
      timeoutMs: config.outboundTimeoutMs,
      maxResponseBytes: config.outboundMaxResponseBytes,
    });
    if (config.demo) await seedDemo(store);
    const keys = createKeyRing(store, secrets);
    await keys.signingKey(); // generates the first key on first start, before any request needs it
    const tokens = createTokenIssuer(keys, config.publicUrl);
    const guard = createTokenGuard(store, tokens);
    const webhookSigner = createWebhookSigner(store, secrets);
    const webhookClient = createOutboundClient({
      ...(config.extraCaFile ? { extraCa: readFileSync(config.extraCaFile, 'utf8') } : {}),
      privateAddresses: config.allowPrivateAddresses,
      timeoutMs: config.deliveryTimeoutMs,
      // A webhook's answer is an acknowledgement; only the start of its body is kept for the log.
      maxResponseBytes: 1024,
      truncateResponses: true,
      allowHttp: config.allowHttpWebhooks,
      ...(config.webhookClientCertFile && config.webhookClientKeyFile
        ? { clientCertificate: { cert: readFileSync(config.webhookClientCertFile, 'utf8'), key: readFileSync(config.webhookClientKeyFile, 'utf8') } }
        : {}),
    });
    // Routes wake the worker after committing events; the worker exists once the app does.
    const deliveries = { wake: () => {} };
    const app = await createApp({ config, store, secrets, outbound, keys, tokens, guard, webhookSigner, onEventsCommitted: () => deliveries.wake() });
    const worker = startDeliveryWorker({
      store,
      client: webhookClient,
      signer: webhookSigner,
      clock: createClock(config.clockSpeed),
      log: app.log,
      concurrency: config.deliveryConcurrency,
      timeoutMs: config.deliveryTimeoutMs,
    });
    deliveries.wake = worker.wake;
    return {
      app,
      store,
      guard,
      webhookSigner,
      async close() {
        await app.close();
        await worker.stop(config.shutdownTimeoutMs);
        await Promise.all([outbound.close(), webhookClient.close()]);
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
