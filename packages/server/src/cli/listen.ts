/**
 * `patchbay listen --forward-to <url>`: the developer loop Stripe's CLI gives, offline. It starts a
 * small HTTP receiver on 127.0.0.1, subscribes it to Request events (`PUT
 * /events/v4/subscriptions/webhook` with an app token, as a subscriber would), connects a company so
 * its events flow (a Company Request Token from the admin's console session, exchanged at
 * `/oauth2/v0/token`), and forwards each delivery (same body, same headers, `Concur-Signature`
 * included) to the developer's URL, answering ESS with that URL's status so retries behave as they
 * would in production. One line is printed per delivery. `close()` (Ctrl-C) deletes the subscription.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError, DEFAULT_SERVER, DEMO_DEFAULTS, appToken, callJson, consoleSignIn, parseFlags, requestToken, runCommand, serverUrl } from './client.ts';

/** The topic `listen` subscribes to. */
const TOPIC = 'public.concur.request';
/** Prefix of the subscriptions `listen` makes (so stale ones can be recognized and removed). */
export const LISTEN_PREFIX = 'patchbay-listen-';
/** Largest delivery body accepted from ESS (events are a few KiB). */
const MAX_BODY_BYTES = 1_048_576;
/** How much of the forward target's answer is passed back to ESS (it keeps 1 KiB per attempt). */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Headers that describe one HTTP hop, not the delivery: never forwarded. */
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'expect', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** What `listen` needs. */
export interface ListenOptions {
  /** patchbay's base URL. */
  server: string;
  /** Where each delivery is forwarded (POST, same body and headers). */
  forwardTo: string;
  /** A regular expression over eventType (the subscription's `filter`); default `.*`. */
  events?: string | undefined;
  clientId: string;
  clientSecret: string;
  /** Console credentials of an admin who may create Company Request Tokens; null skips connecting a company. */
  admin: { loginId: string; password: string } | null;
  /** The company to connect; default the admin's own. */
  companyId?: string | undefined;
  /** How long the forward target has to answer (ESS itself waits 60 s). */
  forwardTimeoutMs?: number;
  /** Receives the output lines (default: stdout). */
  print?: (line: string) => void;
}

/** One forwarded delivery, as `listen` saw it. */
export interface ForwardedDelivery {
  eventId: string | null;
  eventType: string | null;
  /** The short Request ID (facts.requestId). */
  requestId: string | null;
  /** The forward target's status, or null when it could not be reached. */
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** A running listen session. */
export interface ListenSession {
  subscriptionId: string;
  /** The local receiver's URL (the subscription's endpoint). */
  endpoint: string;
  /** The connected company, or null when connecting was skipped. */
  companyId: string | null;
  /** Every delivery forwarded so far. */
  readonly deliveries: readonly ForwardedDelivery[];
  /** Deletes the subscription and stops the receiver (safe to call twice). */
  close(): Promise<void>;
}

function checkForwardTarget(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--forward-to must be a URL such as http://localhost:3000/webhooks, not "${text}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--forward-to must be an http:// or https:// URL, not "${text}".`);
  return url.toString();
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function describe(body: Buffer): { eventId: string | null; eventType: string | null; requestId: string | null } {
  try {
    const event = JSON.parse(body.toString('utf8')) as { id?: unknown; eventType?: unknown; facts?: { requestId?: unknown } };
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    return { eventId: text(event.id), eventType: text(event.eventType), requestId: text(event.facts?.requestId) };
  } catch {
    return { eventId: null, eventType: null, requestId: null };
  }
}

function clock(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19);
}

/** Whether a stale listen receiver still answers (a running listen session answers GET with 200). */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(1_500) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts a listen session: receiver, subscription, company connection. */
export async function listen(options: ListenOptions): Promise<ListenSession> {
  const server = serverUrl(options.server);
  const forwardTo = checkForwardTarget(options.forwardTo);
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const forwardTimeoutMs = options.forwardTimeoutMs ?? 30_000;
  const subscriptionId = `${LISTEN_PREFIX}${randomBytes(4).toString('hex')}`;
  const receiverPath = `/${subscriptionId}`;
  const deliveries: ForwardedDelivery[] = [];

  async function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (body === null) {
      response.writeHead(413, { 'content-type': 'text/plain' }).end('patchbay listen: the delivery is larger than 1 MiB.');
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_HEADERS.has(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    const about = describe(body);
    const started = performance.now();
    let record: ForwardedDelivery;
    try {
      const answer = await fetch(forwardTo, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(forwardTimeoutMs) });
      const answerBody = Buffer.from(await answer.arrayBuffer()).subarray(0, MAX_ANSWER_BYTES);
      record = { ...about, status: answer.status, error: null, durationMs: Math.round(performance.now() - started) };
      const contentType = answer.headers.get('content-type');
      const retryAfter = answer.headers.get('retry-after');
      response.writeHead(answer.status, { ...(contentType ? { 'content-type': contentType } : {}), ...(retryAfter ? { 'retry-after': retryAfter } : {}) }).end(answerBody);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${forwardTimeoutMs} ms` : (cause?.code ?? (error as Error).message);
      record = { ...about, status: null, error: reason, durationMs: Math.round(performance.now() - started) };
      // A 502 is retried by ESS, so the event comes again once the target is up.
      response.writeHead(502, { 'content-type': 'text/plain' }).end(`patchbay listen could not forward to ${forwardTo}: ${reason}`);
    }
    deliveries.push(record);
    const outcome = record.status === null ? `failed: ${record.error} (ESS will retry)` : String(record.status);
    print(`${clock()}  ${record.eventType ?? '(not an event)'}  request ${record.requestId ?? '-'}  -> ${outcome} POST ${forwardTo} (${record.durationMs} ms)  [${record.eventId ?? '-'}]`);
  }

  const receiver: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== receiverPath) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not a patchbay listen endpoint.');
      return;
    }
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(`patchbay listen is forwarding to ${forwardTo}`);
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    forward(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    receiver.once('error', reject);
    receiver.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${receiverPath}`;
  const stopReceiver = () =>
    new Promise<void>((resolve) => {
      receiver.close(() => resolve());
      receiver.closeAllConnections();
    });

  let subscribed = false;
  const essHeaders = async () => ({ authorization: `Bearer ${await appToken(server, options.clientId, options.clientSecret)}` });
  try {
    let headers = await essHeaders();

    // Sessions that ended without Ctrl-C (killed, crashed) leave their subscription behind; an app may
    // have only five, so those whose receiver no longer answers are removed.
    const existing = (await callJson<Array<{ id: string; webHookConfig: { endpoint: string } }>>(server, 'GET', '/events/v4/subscriptions', { headers })).body;
    for (const stale of existing.filter((s) => s.id.startsWith(LISTEN_PREFIX))) {
      if (await answers(stale.webHookConfig.endpoint)) continue;
      await callJson(server, 'DELETE', `/events/v4/subscriptions/${encodeURIComponent(stale.id)}`, { headers, allow: [404] });
      print(`Removed the subscription ${stale.id}, left behind by a listen session that is no longer running.`);
    }

    await callJson(server, 'PUT', '/events/v4/subscriptions/webhook', {
      headers,
      body: { id: subscriptionId, topic: TOPIC, filter: options.events ?? '.*', webHookConfig: { endpoint } },
    });
    subscribed = true;

    let companyId: string | null = null;
    if (options.admin !== null) {
      companyId = await connectCompany(server, options, subscriptionId);
      headers = await essHeaders();
    }
    return {
      subscriptionId,
      endpoint,
      companyId,
      deliveries,
      async close() {
        if (subscribed) {
          subscribed = false;
          try {
            await callJson(server, 'DELETE', `/events/v4/subscriptions/${encodeURIComponent(subscriptionId)}`, { headers: await essHeaders(), allow: [404] });
          } finally {
            await stopReceiver();
          }
        } else if (receiver.listening) {
          await stopReceiver();
        }
      },
    };
  } catch (error) {
    if (subscribed) await callJson(server, 'DELETE', `/events/v4/subscriptions/${encodeURIComponent(subscriptionId)}`, { headers: await essHeaders(), allow: [404] }).catch(() => {});
    await stopReceiver();
    throw error;
  }
}

/**
 * Activates the company on the new subscription with a Company Request Token, as a partner's
 * "activate subscription" step does: generating a company token adds the company to the app's
 * existing subscriptions.
 */
async function connectCompany(server: string, options: ListenOptions, subscriptionId: string): Promise<string> {
  const admin = options.admin!;
  const session = await consoleSignIn(server, admin.loginId, admin.password);
  const companyId = (options.companyId ?? session.user.companyId ?? '').toLowerCase();
  if (companyId === '') throw new CliError(`${admin.loginId} belongs to no company: give --company-id for the company whose events to receive.`);
  const token = await callJson<{ requestToken: string }>(server, 'POST', `/api/companies/${encodeURIComponent(companyId)}/request-tokens`, { headers: session.headers, body: { appId: options.clientId } });
  await requestToken(server, { grant_type: 'password', credtype: 'authtoken', client_id: options.clientId, client_secret: options.clientSecret, username: companyId, password: token.body.requestToken });
  const headers = { authorization: `Bearer ${await appToken(server, options.clientId, options.clientSecret)}` };
  const [subscription] = (await callJson<Array<{ companyIds: string[] }>>(server, 'GET', `/events/v4/subscriptions/${encodeURIComponent(subscriptionId)}`, { headers })).body;
  if (!(subscription?.companyIds ?? []).some((id) => id.toLowerCase() === companyId || id === '.*')) {
    throw new CliError(`The company ${companyId} did not join the subscription ${subscriptionId}.`);
  }
  await callJson(server, 'DELETE', '/api/session', { headers: session.headers, allow: [401] });
  return companyId;
}

/** The `patchbay listen` command: parses flags, runs until SIGINT/SIGTERM, deletes its subscription. */
export async function listenCommand(argv: readonly string[]): Promise<number> {
  return runCommand(async () => {
    const usage = 'patchbay listen --forward-to <url> [--events <regex>] [--server <url>] [--client-id <id> --client-secret <secret>] [--admin-login <login> --admin-password <password>] [--company-id <uuid>] [--skip-connect]';
    const { values } = parseFlags(
      argv,
      {
        'forward-to': { type: 'string' },
        events: { type: 'string', default: '.*' },
        server: { type: 'string', default: DEFAULT_SERVER },
        'client-id': { type: 'string', default: DEMO_DEFAULTS.clientId },
        'client-secret': { type: 'string', default: DEMO_DEFAULTS.clientSecret },
        'admin-login': { type: 'string', default: DEMO_DEFAULTS.admin.loginId },
        'admin-password': { type: 'string', default: DEMO_DEFAULTS.admin.password },
        'company-id': { type: 'string' },
        'skip-connect': { type: 'boolean', default: false },
      },
      { min: 0, max: 0, usage },
    );
    if (!values['forward-to']) throw new CliError(`--forward-to is required. Usage: ${usage}`, 2);
    const session = await listen({
      server: values.server,
      forwardTo: values['forward-to'],
      events: values.events,
      clientId: values['client-id'],
      clientSecret: values['client-secret'],
      admin: values['skip-connect'] ? null : { loginId: values['admin-login'], password: values['admin-password'] },
      companyId: values['company-id'] || undefined,
    });
    process.stdout.write(
      `Ready. Subscription ${session.subscriptionId} (${TOPIC}, eventType matching ${values.events}) delivers to ${session.endpoint}\n` +
        `  forwarding each delivery to ${values['forward-to']}` +
        (session.companyId ? `; company ${session.companyId} is connected.\n` : '; connect a company to the app to receive its events.\n') +
        `  Try: patchbay trigger statusChange.APPROVED${values.server === DEFAULT_SERVER ? '' : ` --server ${values.server}`}   Press Ctrl-C to stop.\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.stdout.write(`\n${signal}: deleting the subscription ${session.subscriptionId}…\n`);
        process.once(signal, () => process.exit(130));
        session.close().then(resolve, (error: unknown) => {
          process.stderr.write(`patchbay: could not delete the subscription ${session.subscriptionId}: ${(error as Error).message}\n`);
          resolve();
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stdout.write('Stopped.\n');
    return 0;
  });
}
