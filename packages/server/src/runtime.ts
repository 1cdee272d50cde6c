/**
 * Opens everything a patchbay process runs on, from a `Config`: the store (migrated), the secret key,
 * the outbound client and the app. Used by `patchbay start` and by tests that want the real thing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
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
import { createMetrics } from './observability/metrics.ts';
import { createCalloutClient } from './callouts/callout-client.ts';
import { startNotificationWorker } from './callouts/notification-worker.ts';
import { demoCertificates, startDemoConnector, type DemoConnectorDeps } from './demo-connector.ts';

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

/** The demo's development certificates, or null (with a warning) when they cannot be made, e.g. without openssl. */
async function demoCertificatesOrNull(config: Config): Promise<{ caCert: string; cert: string; key: string } | null> {
  try {
    return await demoCertificates(config);
  } catch (error) {
    process.emitWarning(`The demo's sample connector is off: its development certificate could not be made (${(error as Error).message}).`);
    return null;
  }
}

/** Starts the demo's sample connector; a failure leaves the demo running without it, with a warning. */
async function startDemoConnectorOrWarn(deps: DemoConnectorDeps): Promise<{ close(): Promise<void> } | null> {
  try {
    return await startDemoConnector(deps);
  } catch (error) {
    deps.log.warn({ err: error }, 'demo: the sample connector could not start; the callouts are off in this demo');
    return null;
  }
}

/** Opens the store at `location` (default: from `config`), migrates it and builds the app. */
export async function openPatchbay(config: Config, location: StoreLocation = storeLocation(config)): Promise<Patchbay> {
  const store = await openStore(location);
  try {
    await store.migrate();
    const secrets = createSecretBox(loadOrCreateSecretKey(config.secretKey, config.secretKeyFile));
    // The demo's sample connector has a development CA, trusted like an operator's extra CA.
    const demoTls = config.demo ? await demoCertificatesOrNull(config) : null;
    const extraCaPem = [config.extraCaFile ? readFileSync(config.extraCaFile, 'utf8') : null, demoTls?.caCert ?? null].filter((pem) => pem !== null).join('\n');
    const extraCa = extraCaPem ? { extraCa: extraCaPem } : {};
    const outbound = createOutboundClient({
      ...extraCa,
      privateAddresses: config.allowPrivateAddresses,
      timeoutMs: config.outboundTimeoutMs,
      maxResponseBytes: config.outboundMaxResponseBytes,
    });
    // Callouts have their own pool: each service has its own deadline, up to the longest of them.
    const timeoutsMs = { 'fetch-attendee': config.fetchAttendeeTimeoutMs, 'fetch-list': config.fetchListTimeoutMs, notification: config.notificationTimeoutMs };
    const calloutOutbound = createOutboundClient({
      ...extraCa,
      privateAddresses: config.allowPrivateAddresses,
      timeoutMs: Math.max(...Object.values(timeoutsMs)),
      maxResponseBytes: config.outboundMaxResponseBytes,
    });
    if (config.demo) await seedDemo(store);
    const keys = createKeyRing(store, secrets);
    await keys.signingKey(); // generates the first key on first start, before any request needs it
    const tokens = createTokenIssuer(keys, config.publicUrl);
    const guard = createTokenGuard(store, tokens);
    const webhookSigner = createWebhookSigner(store, secrets);
    const webhookClient = createOutboundClient({
      ...extraCa,
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
    // Routes wake the workers after committing events and notifications; the workers exist once the app does.
    const workers = { wake: () => {} };
    const metrics = createMetrics();
    const clock = createClock(config.clockSpeed);
    // The callout client logs through the app's logger, which exists once the app does.
    const logRef: { current: FastifyBaseLogger | null } = { current: null };
    const callouts = createCalloutClient({ store, outbound: calloutOutbound, metrics, timeoutsMs, log: { error: (obj, message) => logRef.current?.error(obj, message) } });
    const app = await createApp({ config, store, secrets, outbound, keys, tokens, guard, webhookSigner, metrics, callouts, onEventsCommitted: () => workers.wake() });
    logRef.current = app.log;
    const worker = startDeliveryWorker({
      store,
      client: webhookClient,
      signer: webhookSigner,
      clock,
      log: app.log,
      concurrency: config.deliveryConcurrency,
      timeoutMs: config.deliveryTimeoutMs,
    });
    const notifications = startNotificationWorker({
      store,
      callouts,
      secrets,
      clock,
      log: app.log,
      maxAttempts: config.notificationMaxAttempts,
      retryBaseMs: config.notificationRetryBaseMs,
      timeoutMs: config.notificationTimeoutMs,
    });
    workers.wake = () => {
      worker.wake();
      notifications.wake();
    };
    const demoConnector = demoTls ? await startDemoConnectorOrWarn({ config, store, secrets, outbound, certificates: demoTls, log: app.log }) : null;
    return {
      app,
      store,
      guard,
      webhookSigner,
      async close() {
        await app.close();
        await demoConnector?.close();
        await Promise.all([worker.stop(config.shutdownTimeoutMs), notifications.stop(config.shutdownTimeoutMs)]);
        await callouts.close();
        await Promise.all([outbound.close(), calloutOutbound.close(), webhookClient.close()]);
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
