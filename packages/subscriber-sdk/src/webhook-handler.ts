/**
 * A node:http request listener that receives ESS webhooks: it reads the raw body (capped), verifies
 * `Concur-Signature` over those exact bytes, parses the Request event, drops duplicates, calls
 * `onEvent`, and answers as ESS expects. ESS's rules for the answer decide what each outcome returns:
 * 2xx is delivered; 5xx, 401, 403 and 429 are retried with back-off for up to 72 hours; any other 4xx
 * makes ESS drop the event for this subscriber.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { createDeduplicator, type Deduplicator } from './deduplicator.ts';
import { EventParseError, parseEvent, type RequestStatusChangedEvent } from './event.ts';
import { loadPublicKey, verifySignature, type PublicKeyInput } from './signature.ts';

/** Where the verification keys come from: fixed keys, or a function (e.g. one that fetches the published keys). */
export type PublicKeySource = PublicKeyInput | readonly PublicKeyInput[] | (() => readonly PublicKeyInput[] | Promise<readonly PublicKeyInput[]>);

/** What `onEvent` gets besides the event. */
export interface DeliveryContext {
  /** The exact body bytes that were signed. */
  body: Buffer;
  /** The request headers (lower-case names). */
  headers: IncomingHttpHeaders;
  /** `Concur-Correlationid`: send it back on follow-up API calls, as Concur asks. */
  correlationId: string | undefined;
}

/** Why the handler refused or failed a delivery, for logging. */
export interface RejectionInfo {
  status: number;
  reason: 'method' | 'too_large' | 'body_error' | 'signature' | 'malformed' | 'handler_error' | 'keys_unavailable';
  message: string;
  error?: unknown;
}

/** Options of `createWebhookHandler`. */
export interface WebhookHandlerOptions {
  /** The keys that verify `Concur-Signature`; any one of them may have signed (key rotation publishes two). */
  publicKeys: PublicKeySource;
  /**
   * Processes one verified, new event. Keep it quick (ESS waits at most 60 s and Concur asks for a few
   * seconds): hand the event to a queue. If it throws, the answer is 500 and ESS delivers again later.
   */
  onEvent: (event: RequestStatusChangedEvent, context: DeliveryContext) => void | Promise<void>;
  /** Largest body accepted, in bytes; larger ones get 413. Default 256 KiB (events are about 1 KiB). */
  maxBodyBytes?: number;
  /** Remembers processed event ids; default: `createDeduplicator()` (in memory, 72 hours). */
  deduplicator?: Deduplicator;
  /** Told about every refused or failed delivery (bad signature, malformed event, `onEvent` errors). */
  onRejected?: (info: RejectionInfo, request: IncomingMessage) => void;
  /** Told about every duplicate that was acknowledged without calling `onEvent`. */
  onDuplicate?: (event: RequestStatusChangedEvent) => void;
}

/** A node:http listener: `http.createServer(handler)` or `https.createServer(tls, handler)`. */
export type WebhookHandler = (request: IncomingMessage, response: ServerResponse) => void;

const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks, size)));
    request.on('error', reject);
    request.on('aborted', () => reject(new Error('the request was aborted')));
  });
}

function answer(response: ServerResponse, status: number, message: string, close = false): void {
  if (response.headersSent) return;
  const body = Buffer.from(`${JSON.stringify({ status, message })}\n`, 'utf8');
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length), ...(close ? { connection: 'close' } : {}) });
  response.end(body);
}

async function resolveKeys(source: PublicKeySource): Promise<KeyObject[]> {
  const list = typeof source === 'function' ? await source() : Array.isArray(source) ? source : [source as PublicKeyInput];
  return list.map((key) => loadPublicKey(key));
}

/**
 * Creates the listener. Fixed keys are checked here, so a wrong key fails at start-up rather than
 * turning every delivery into a 401.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const deduplicator = options.deduplicator ?? createDeduplicator();
  const fixedKeys = typeof options.publicKeys === 'function' ? null : resolveKeysNow(options.publicKeys);
  // A retry can arrive while the first delivery of the same event is still being processed: it waits
  // for that outcome instead of processing the event a second time.
  const inFlight = new Map<string, Promise<void>>();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reject = (info: RejectionInfo, close = false): void => {
      options.onRejected?.(info, request);
      answer(response, info.status, info.message, close);
    };
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      reject({ status: 405, reason: 'method', message: 'ESS delivers events with POST.' });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) reject({ status: 413, reason: 'too_large', message: `The body is larger than ${maxBodyBytes} bytes.` }, true);
      else reject({ status: 400, reason: 'body_error', message: 'The body could not be read.', error }, true);
      return;
    }

    let keys: KeyObject[];
    try {
      keys = fixedKeys ?? (await resolveKeys(options.publicKeys));
    } catch (error) {
      // Our own problem (the key source failed): 503 makes ESS retry later.
      reject({ status: 503, reason: 'keys_unavailable', message: 'The verification keys are unavailable.', error });
      return;
    }
    const signature = request.headers['concur-signature'];
    const header = Array.isArray(signature) ? undefined : signature;
    if (!keys.some((key) => verifySignature(body, header, key))) {
      // 401 on a bad or missing signature: ESS treats 401 as a temporary failure and retries. That is
      // intended: a signature that does not verify is most often a key rotation this receiver has not
      // picked up yet (or a key source that is briefly stale), and the retries give it time to, instead
      // of the event being dropped for good. A forged request gains nothing from the retries.
      reject({ status: 401, reason: 'signature', message: 'Concur-Signature does not verify.' });
      return;
    }

    let event: RequestStatusChangedEvent;
    try {
      event = parseEvent(body);
    } catch (error) {
      // Signed by ESS but not an event we understand: 400, which ESS does not retry (retrying would
      // not change the bytes).
      const message = error instanceof EventParseError ? error.message : 'The event could not be parsed.';
      reject({ status: 400, reason: 'malformed', message, error });
      return;
    }

    if (deduplicator.has(event.id)) {
      options.onDuplicate?.(event);
      answer(response, 200, 'duplicate');
      return;
    }
    let processing = inFlight.get(event.id);
    const first = processing === undefined;
    if (processing === undefined) {
      const correlation = request.headers['concur-correlationid'];
      processing = (async () => options.onEvent(event, { body, headers: request.headers, correlationId: Array.isArray(correlation) ? correlation[0] : correlation }))();
      inFlight.set(event.id, processing);
    }
    try {
      await processing;
      if (first) deduplicator.add(event.id);
      else options.onDuplicate?.(event);
      answer(response, 200, first ? 'ok' : 'duplicate');
    } catch (error) {
      // 500: ESS retries, and the retry is processed anew (the id was not recorded).
      reject({ status: 500, reason: 'handler_error', message: 'The event could not be processed; deliver it again later.', error });
    } finally {
      if (first) inFlight.delete(event.id);
    }
  }

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onRejected?.({ status: 500, reason: 'handler_error', message: 'Unexpected error.', error }, request);
      answer(response, 500, 'Unexpected error.');
    });
  };
}

function resolveKeysNow(source: PublicKeyInput | readonly PublicKeyInput[]): KeyObject[] {
  const list: readonly PublicKeyInput[] = Array.isArray(source) ? source : [source as PublicKeyInput];
  if (list.length === 0) throw new TypeError('publicKeys must name at least one key.');
  return list.map((key) => loadPublicKey(key));
}
