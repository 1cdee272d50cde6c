/**
 * The developer loop against a real `patchbay start --demo` child process: `patchbay listen` (a child
 * process, then the exported function) subscribes a local receiver and forwards each delivery to a
 * test receiver, and `patchbay trigger` drives demo requests through the workflow. The receiver gets
 * the events (exact body, Concur-Signature that verifies, headers forwarded); ESS records the forward
 * target's status; a filter, a company connected before the subscription, and a failing target (ESS
 * retries) behave; Ctrl-C deletes the subscription; bad input is refused in one line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../../src/config.ts';
import { DEMO } from '../../src/demo.ts';
import { CliError } from '../../src/cli/client.ts';
import { listen } from '../../src/cli/listen.ts';
import { trigger } from '../../src/cli/trigger.ts';
import { freePort } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Every child started and every data directory made, so a failing test leaves nothing behind. */
const children = new Set<ChildProcess>();
const dataDirs: string[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** This process's environment without PATCHBAY_* options that would change the outcome. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const option of OPTIONS) delete env[option.env];
  return { ...env, PATCHBAY_LOG_LEVEL: 'warn', ...extra };
}

/** A child process with its output collected. */
interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => {
    children.delete(child);
    resolve(code);
  }));
  return { process: child, output: () => output, exited };
}

async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What the test receiver got. */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  event: { id: string; eventType: string; facts: { requestId: string } };
}

/** A plain HTTP receiver: the developer's local webhook handler. */
async function startReceiver(answer: (count: number) => number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', headers: req.headers, body, event: JSON.parse(body) });
      res.writeHead(answer(received.length), { 'content-type': 'text/plain' }).end('received by the test');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

describe('patchbay listen and patchbay trigger', () => {
  let url = '';
  let operator: ApiClient;
  let publicKey = '';
  const receivers: Server[] = [];

  before(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'patchbay-listen-'));
    dataDirs.push(dataDir);
    const port = await freePort();
    const demo = run(['start', '--demo', '--port', String(port)], childEnv({ PATCHBAY_DATA_DIR: dataDir }));
    url = `http://127.0.0.1:${port}`;
    await waitFor('patchbay start --demo', async () => {
      if (demo.process.exitCode !== null) throw new Error(`patchbay exited early:\n${demo.output()}`);
      try {
        return (await fetch(`${url}/healthz`)).ok;
      } catch {
        return false;
      }
    });
    operator = await signIn(url, { loginId: DEMO.operator.loginId, password: DEMO.operator.password });
    publicKey = await (await fetch(`${url}/api/ess/signing-key.pem`)).text();
  });

  after(async () => {
    for (const server of receivers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const appSubscriptions = async (): Promise<string[]> => {
    const token = await fetch(`${url}/oauth2/v0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.application.id, client_secret: DEMO.application.clientSecret }).toString(),
    });
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const list = await fetch(`${url}/events/v4/subscriptions`, { headers: { authorization: `Bearer ${accessToken}` } });
    return ((await list.json()) as Array<{ id: string }>).map((s) => s.id);
  };

  test('listen forwards the PENDING and APPROVED events that trigger statusChange.APPROVED emits; Ctrl-C deletes its subscription', async () => {
    const receiver = await startReceiver(() => 202);
    receivers.push(receiver.server);
    const listening = run(['listen', '--forward-to', `${receiver.url}/webhooks/concur`, '--server', url], childEnv());
    const ready = await waitFor('listen to be ready', () => {
      if (listening.process.exitCode !== null) throw new Error(`listen exited:\n${listening.output()}`);
      return /Subscription (patchbay-listen-[0-9a-f]+) /.exec(listening.output());
    });
    const subscriptionId = ready[1]!;
    assert.match(listening.output(), new RegExp(`company ${DEMO.companyId} is connected`));
    assert.ok((await appSubscriptions()).includes(subscriptionId));

    const triggered = run(['trigger', 'statusChange.APPROVED', '--server', url], childEnv());
    assert.equal(await triggered.exited, 0, triggered.output());
    const requestId = /^Request ([A-Z0-9]{4,6})$/m.exec(triggered.output())?.[1];
    assert.ok(requestId, `trigger prints the request ID:\n${triggered.output()}`);

    const events = await waitFor('both events at the receiver', () => {
      const mine = receiver.received.filter((r) => r.event.facts.requestId === requestId);
      return mine.length >= 2 ? mine : null;
    });
    assert.deepEqual(events.map((r) => r.event.eventType), ['statusChange.PENDING.RequestManager', 'statusChange.APPROVED']);
    for (const delivery of events) {
      assert.equal(delivery.path, '/webhooks/concur');
      assert.equal(delivery.headers['content-type'], 'application/json');
      assert.match(String(delivery.headers['concur-correlationid']), /^[0-9a-f-]{36}$/);
      const signature = Buffer.from(String(delivery.headers['concur-signature']), 'base64');
      assert.ok(
        verify('sha256', Buffer.from(delivery.body, 'utf8'), { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature),
        'the forwarded body and Concur-Signature verify with patchbay\'s published key',
      );
    }

    // One line per delivery, with the event type, the request ID and the target's status.
    const lines = await waitFor('two delivery lines', () => {
      const found = listening.output().split('\n').filter((line) => line.includes(`request ${requestId} `));
      return found.length >= 2 ? found : null;
    });
    assert.match(lines[0]!, /statusChange\.PENDING\.RequestManager {2}request [A-Z0-9]+ {2}-> 202 POST/);
    assert.match(lines[1]!, /statusChange\.APPROVED {2}request [A-Z0-9]+ {2}-> 202 POST/);

    // ESS recorded the target's answer, relayed by listen.
    const deliveries = await waitFor('two delivered deliveries', async () => {
      const list = (await operator.get(`/api/ess/subscriptions/${subscriptionId}/deliveries?status=DELIVERED`)).body.items as Array<{ id: number }>;
      return list.length === 2 ? list : null;
    });
    const detail = (await operator.get(`/api/ess/deliveries/${deliveries[0]!.id}`)).body;
    assert.equal(detail.attempts[0].statusCode, 202);
    assert.equal(detail.attempts[0].responseExcerpt, 'received by the test');

    listening.process.kill('SIGINT');
    assert.equal(await listening.exited, 0, listening.output());
    assert.match(listening.output(), /Stopped\./);
    assert.ok(!(await appSubscriptions()).includes(subscriptionId), 'the subscription is deleted');
    assert.equal((await operator.get(`/api/ess/subscriptions/${subscriptionId}`)).status, 404);
  });

  test('listen() with a filter, after the company is connected; a failing target is retried; trigger() for SENTBACK and CANCELED', async () => {
    // The first delivery fails with 503: ESS retries it, and listen shows both answers.
    const receiver = await startReceiver((count) => (count === 1 ? 503 : 200));
    receivers.push(receiver.server);
    const lines: string[] = [];
    const session = await listen({
      server: url,
      forwardTo: `${receiver.url}/hook`,
      events: 'statusChange\\.(SENTBACK|CANCELED)',
      clientId: DEMO.application.id,
      clientSecret: DEMO.application.clientSecret,
      admin: { loginId: DEMO.admin.loginId, password: DEMO.admin.password },
      print: (line) => lines.push(line),
    });
    try {
      assert.equal(session.companyId, DEMO.companyId);
      // The company was connected by the first test, before this subscription existed: a new company
      // token activated it on this subscription too.

      const people = {
        server: url,
        clientId: DEMO.application.id,
        clientSecret: DEMO.application.clientSecret,
        traveler: { loginId: DEMO.employee.loginId, password: DEMO.employee.password },
        approver: { loginId: DEMO.admin.loginId, password: DEMO.admin.password },
        print: () => {},
      };
      const sentBack = await trigger({ ...people, eventType: 'statusChange.SENTBACK' });
      assert.deepEqual(sentBack.events, ['statusChange.PENDING.RequestManager', 'statusChange.SENTBACK']);
      await waitFor('the SENTBACK event and its retry', () => session.deliveries.length >= 2);
      const canceled = await trigger({ ...people, eventType: 'statusChange.CANCELED' });
      assert.deepEqual(canceled.events, ['statusChange.PENDING.RequestManager', 'statusChange.CANCELED']);

      await waitFor('three forwarded deliveries', () => session.deliveries.length >= 3);
      assert.deepEqual(
        session.deliveries.map((d) => [d.eventType, d.requestId, d.status]),
        [
          ['statusChange.SENTBACK', sentBack.requestId, 503],
          ['statusChange.SENTBACK', sentBack.requestId, 200],
          ['statusChange.CANCELED', canceled.requestId, 200],
        ],
      );
      assert.ok(!receiver.received.some((r) => r.event.eventType.startsWith('statusChange.PENDING')), 'the filter keeps PENDING events out');
      assert.equal(receiver.received[0]!.body, receiver.received[1]!.body, 'the retry carries the same bytes');
      assert.match(lines.find((line) => line.includes('-> 503'))!, /statusChange\.SENTBACK {2}request [A-Z0-9]+ {2}-> 503 POST/);
    } finally {
      await session.close();
    }
    assert.ok(!(await appSubscriptions()).includes(session.subscriptionId));
    await session.close();
  });

  test('bad input is refused in one line and leaves no subscription behind', async () => {
    const base = {
      server: url,
      clientId: DEMO.application.id,
      clientSecret: DEMO.application.clientSecret,
      traveler: { loginId: DEMO.employee.loginId, password: DEMO.employee.password },
      approver: { loginId: DEMO.admin.loginId, password: DEMO.admin.password },
    };
    await assert.rejects(trigger({ ...base, eventType: 'statusChange.PENDING.TMC' }), (error: Error) => error instanceof CliError && /cannot emit/.test(error.message));
    await assert.rejects(trigger({ ...base, eventType: 'statusChange.APPROVED', traveler: { loginId: DEMO.employee.loginId, password: 'wrong-password' } }), CliError);
    const listenBase = { server: url, clientId: DEMO.application.id, clientSecret: DEMO.application.clientSecret, admin: null, print: () => {} };
    await assert.rejects(listen({ ...listenBase, forwardTo: 'not a url' }), /--forward-to must be a URL/);
    await assert.rejects(listen({ ...listenBase, forwardTo: 'http://127.0.0.1:9/hook', events: '(' }), (error: Error) => error instanceof CliError && /filter/.test(error.message));
    await assert.rejects(listen({ ...listenBase, forwardTo: 'http://127.0.0.1:9/hook', clientSecret: 'wrong' }), /token endpoint refused/);
    await assert.rejects(listen({ ...listenBase, forwardTo: 'http://127.0.0.1:9/hook', admin: { loginId: DEMO.admin.loginId, password: 'wrong-password' } }), /Signing in as/);
    assert.deepEqual((await appSubscriptions()).filter((id) => id.startsWith('patchbay-listen-')), []);

    const missing = run(['listen', '--server', url], childEnv());
    assert.equal(await missing.exited, 2);
    assert.match(missing.output(), /^patchbay: --forward-to is required/);
    const unknown = run(['trigger', 'statusChange.RECALLED', '--server', url], childEnv());
    assert.equal(await unknown.exited, 1);
    assert.match(unknown.output(), /^patchbay: patchbay trigger cannot emit "statusChange.RECALLED"/);
    const down = run(['trigger', 'statusChange.APPROVED', '--server', `http://127.0.0.1:${await freePort()}`], childEnv());
    assert.equal(await down.exited, 1);
    assert.match(down.output(), /Cannot reach patchbay at .*Is it running\?/);
  });
});
