/**
 * Helpers of the Event Notification tests: a real HTTPS connector whose notify endpoint answers as the
 * test scripts it (recording every post, in arrival order), a connector registered, verified and
 * configured through the admin API, and small polling helpers.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { parseNotification } from '@patchbay/callout-xml';
import { startFakeConnector, type DevCa, type FakeConnector } from '../support/tls-fixture.ts';
import type { ApiClient } from '../support/api-client.ts';

/** The connector's credentials (Concur: 10 to 50 characters each). */
export const CONNECTOR_USER = 'patchbay-notify-user';
export const CONNECTOR_PASSWORD = 'N0tify-Passw0rd-For-Tests';
/** The notify endpoint's path (the spec's default). */
export const NOTIFY_PATH = '/concur/v1.0/notify';
/** An answer that never comes: the connector holds the post open. */
export const HANG = 0;

/** One notification the connector received. */
export interface NotificationPost {
  /** Arrival order, from 0. */
  index: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact body bytes. */
  body: Buffer;
  /** The request the notification is about (the last segment of its ObjectURI), or '' if unparsable. */
  requestId: string;
  /** The status the connector answered, null while it has not (or never will). */
  answered: number | null;
  /** Whether the connector decided never to answer it (HANG). */
  held: boolean;
}

/** A running connector with a scriptable notify endpoint. */
export interface NotifyConnector {
  /** The underlying fake connector (every request, test connections included). */
  fake: FakeConnector;
  url: string;
  /** Every notification post, in arrival order. */
  posts: NotificationPost[];
  /** Decides each post's answer (HANG: none); 200 unless changed. May wait. */
  answer: (post: NotificationPost) => number | Promise<number>;
  /** The posts about `requestId`, in arrival order. */
  postsFor(requestId: string): NotificationPost[];
  close(): Promise<void>;
}

/** Starts a connector on localhost with a certificate from `ca`. */
export async function startNotifyConnector(ca: DevCa): Promise<NotifyConnector> {
  const posts: NotificationPost[] = [];
  const connector: NotifyConnector = {
    fake: undefined as unknown as FakeConnector,
    url: '',
    posts,
    answer: () => 200,
    postsFor: (requestId) => posts.filter((post) => post.requestId === requestId),
    close: () => connector.fake.close(),
  };
  connector.fake = await startFakeConnector({
    tls: ca.issue(['localhost', '127.0.0.1']),
    userName: CONNECTOR_USER,
    password: CONNECTOR_PASSWORD,
    route: (req, res) => {
      if (!req.path.startsWith(NOTIFY_PATH)) {
        res.writeHead(404, { 'content-length': '0' }).end();
        return;
      }
      const parsed = parseNotification(req.body);
      const requestId = parsed.ok ? (parsed.notification.objectUri.split('/').pop() ?? '') : '';
      const post: NotificationPost = { index: posts.length, path: req.path, headers: req.headers, body: req.body, requestId, answered: null, held: false };
      posts.push(post);
      void (async () => {
        const status = await connector.answer(post);
        if (status === HANG) {
          post.held = true;
          return;
        }
        if (res.destroyed) return;
        post.answered = status;
        const text = Buffer.from(status === 200 ? 'OK' : 'Not now', 'utf8');
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(text.length) });
        res.end(text);
      })();
    },
  });
  connector.url = connector.fake.url;
  return connector;
}

/** Which service notifies, and how it is configured. */
export interface NotifyingConnectorOptions {
  service?: 'external-report-validation' | 'send-notification';
  /** Workflows whose Submit step notifies. */
  workflowIds?: string[];
  active?: boolean;
  /** Run Test Connection so that the connector is Verified (default true). */
  verify?: boolean;
}

/** Registers a connector for `hostUrl` at `companyId` through the admin API, verifies and configures it; returns its id. */
export async function registerNotifyingConnector(admin: ApiClient, companyId: string, hostUrl: string, options: NotifyingConnectorOptions = {}): Promise<string> {
  const base = `/api/companies/${companyId}/connectors`;
  const created = await admin.post(base, { name: `Validator ${crypto.randomUUID().slice(0, 8)}`, description: 'Validates requests', hostName: hostUrl, userName: CONNECTOR_USER, password: CONNECTOR_PASSWORD });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  if (options.verify ?? true) {
    const tested = await admin.post(`${base}/${id}/test-connection`);
    assert.equal(tested.body?.connector?.verified, true, JSON.stringify(tested.body));
  }
  await configureNotifyService(admin, companyId, id, options);
  return id;
}

/** Saves the connector's notification service: endpoint, Active, and the workflows whose Submit step notifies. */
export async function configureNotifyService(admin: ApiClient, companyId: string, connectorId: string, options: NotifyingConnectorOptions = {}): Promise<void> {
  const service = options.service ?? 'external-report-validation';
  const settings = { workflows: (options.workflowIds ?? []).map((workflowId) => ({ workflowId, steps: ['SUBMIT'] })) };
  const saved = await admin.put(`/api/companies/${companyId}/connectors/${connectorId}/services/${service}`, { endpoint: NOTIFY_PATH, active: options.active ?? true, settings });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
}

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs` (a guard, not a timing assertion). */
export async function eventually(condition: () => boolean | Promise<boolean>, explain: () => string | Promise<string>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`gave up waiting (${timeoutMs} ms guard): ${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A promise with its resolve function, for connectors that answer when the test says so. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
