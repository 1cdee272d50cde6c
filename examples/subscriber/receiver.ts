/**
 * An example ESS webhook receiver on @patchbay/subscriber-sdk: it fetches the public key(s) that verify
 * `Concur-Signature`, then for each delivery verifies the signature over the exact body bytes, parses
 * the Request `statusChange` event, drops duplicates, prints one line per event, and answers 200.
 *
 *   node examples/subscriber/receiver.ts --port 3000 --key-url http://127.0.0.1:8080/api/ess/signing-key.pem
 *
 * `--key-url` may name patchbay's PEM (`/api/ess/signing-key.pem`, the current key) or its JSON list
 * (`/api/ess/signing-keys`, every key that still verifies, which is what you want across a rotation), or
 * any URL serving a PEM public key or certificate, such as Concur's published key.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createWebhookHandler, loadPublicKey, type DeliveryContext, type RequestStatusChangedEvent, type WebhookHandler } from '@patchbay/subscriber-sdk';
import type { KeyObject } from 'node:crypto';

/** Options of `createReceiver`. */
export interface ReceiverOptions {
  /** Where the verification key(s) are published: a PEM, or patchbay's JSON `{ keys: [{ publicKeyPem }] }`. */
  keyUrl: string;
  /** Where event lines and warnings go; default: standard output. */
  print?: (line: string) => void;
  /** Called for every verified, new event after it is printed (e.g. to put it on a queue). */
  onEvent?: (event: RequestStatusChangedEvent, context: DeliveryContext) => void | Promise<void>;
  /** After a signature fails, the keys are fetched again, at most this often. Default 30 s. */
  refreshIntervalMs?: number;
}

/** A receiver: its node:http handler and its key cache. */
export interface Receiver {
  handler: WebhookHandler;
  /** The keys currently trusted. */
  keys(): readonly KeyObject[];
  /** Fetches the keys again now. */
  refreshKeys(): Promise<void>;
}

/** Fetches the verification keys from `url`: PEM text, or patchbay's JSON list of keys. */
export async function fetchKeys(url: string): Promise<KeyObject[]> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json, application/x-pem-file, text/plain' }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(`Could not fetch the signing keys from ${url} (${(error as Error).message}); is patchbay running there?`, { cause: error });
  }
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const text = await response.text();
  if (text.trimStart().startsWith('{')) {
    const { keys } = JSON.parse(text) as { keys?: Array<{ publicKeyPem?: string }> };
    const pems = (keys ?? []).map((key) => key.publicKeyPem).filter((pem): pem is string => typeof pem === 'string');
    if (pems.length === 0) throw new Error(`${url} lists no keys`);
    return pems.map((pem) => loadPublicKey(pem));
  }
  // One or more PEM blocks (a key, or a certificate whose key signs).
  const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${url} serves no PEM`);
  return blocks.map((pem) => loadPublicKey(pem));
}

/** One line describing an event. */
export function describeEvent(event: RequestStatusChangedEvent): string {
  const { facts, flags } = event;
  const marks = Object.entries(flags)
    .filter(([, value]) => value)
    .map(([name]) => name);
  return [
    event.timeStamp,
    event.eventType,
    `request ${facts.requestId} (${facts.id})`,
    `status ${facts.status}`,
    facts.stepCode ? `step ${facts.stepCode}` : null,
    facts.recipientId ? `waiting for ${facts.recipientId}` : null,
    marks.length > 0 ? marks.join(' ') : null,
    `event ${event.id}`,
  ]
    .filter((part) => part !== null)
    .join(' | ');
}

/** Creates a receiver: fetches the keys first (and fails if they cannot be had). */
export async function createReceiver(options: ReceiverOptions): Promise<Receiver> {
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const refreshIntervalMs = options.refreshIntervalMs ?? 30_000;
  let keys = await fetchKeys(options.keyUrl);
  let lastRefresh = Date.now();
  let refreshing: Promise<void> | null = null;

  const refreshKeys = (): Promise<void> => {
    refreshing ??= fetchKeys(options.keyUrl)
      .then((fresh) => {
        keys = fresh;
        lastRefresh = Date.now();
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };

  const handler = createWebhookHandler({
    publicKeys: () => keys,
    onEvent: async (event, context) => {
      print(describeEvent(event));
      await options.onEvent?.(event, context);
    },
    onRejected: (info) => {
      print(`refused a delivery: ${info.status} ${info.message}`);
      // A signature that does not verify may be a key rotation: fetch the keys again (not too often).
      // The answer was 401, so ESS delivers the event again and the retry meets the new key.
      if (info.reason === 'signature' && Date.now() - lastRefresh >= refreshIntervalMs) {
        refreshKeys().catch((error: unknown) => print(`could not fetch the keys again: ${(error as Error).message}`));
      }
    },
    onDuplicate: (event) => print(`duplicate ${event.id} acknowledged again`),
  });
  return { handler, keys: () => keys, refreshKeys };
}

/** Starts the receiver on plain HTTP (put TLS in front of it, or use https.createServer with the handler). */
export async function startReceiver(options: ReceiverOptions & { port: number; host: string }): Promise<{ server: Server; url: string; receiver: Receiver }> {
  const receiver = await createReceiver(options);
  const server = createServer(receiver.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`, receiver };
}

const USAGE = `Usage: node examples/subscriber/receiver.ts [--port 3000] [--host 127.0.0.1] [--key-url URL]

  --port      Port to listen on (default 3000).
  --host      Address to listen on (default 127.0.0.1).
  --key-url   Where the Concur-Signature key is published
              (default http://127.0.0.1:8080/api/ess/signing-keys, patchbay's demo).
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      'key-url': { type: 'string', default: 'http://127.0.0.1:8080/api/ess/signing-keys' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, not "${values.port}"`);
  const { server, url, receiver } = await startReceiver({ port, host: values.host, keyUrl: values['key-url'] });
  process.stdout.write(`Receiving ESS events at ${url}/ (any path), verifying with ${receiver.keys().length} key(s) from ${values['key-url']}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(1);
  });
}
