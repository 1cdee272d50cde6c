/**
 * Password guessing is slowed: the limiter itself (token buckets on a fake clock: the limit, Retry-After,
 * successes never counted, attempts in flight, bounded memory, 0 disables), its configuration, and over
 * real HTTP the console sign-in (`POST /api/session`) and the token endpoint (`POST /oauth2/v0/token`):
 * after the limit, 429 with `Retry-After` (the admin API's `too_many_requests`, Concur's OAuth2 shape),
 * while the right password still works for another login and from another address, a success resets
 * its login, a parallel burst cannot get past the limit, and the per-address cap catches guessing across
 * many logins. Each HTTP test plays its own client address (127.0.0.x). SQLite only: the limiter keeps
 * nothing in the store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { clientAddress, createRateLimiter, createSignInThrottle, retryAfterSeconds } from '../../src/security/rate-limit.ts';
import { startTestServer, type Credentials, type TestServer } from '../support/server.ts';
import { createEssApp, type EssApp } from '../support/ess-fixtures.ts';
import { sendFrom, type Probe } from './probe.ts';

const WINDOW_MS = 900_000;

describe('the rate limiter', () => {
  const clock = () => {
    let time = 1_000_000;
    return { now: () => time, advance: (ms: number) => (time += ms) };
  };

  test('a key may fail `limit` times, then waits until one attempt is earned back (window / limit)', () => {
    const { now, advance } = clock();
    const limiter = createRateLimiter({ limit: 3, windowMs: WINDOW_MS, now });
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.retryAfterMs('k'), 0, `attempt ${i + 1} is allowed`);
      limiter.begin('k');
      limiter.end('k', 'failed');
    }
    assert.equal(limiter.retryAfterMs('k'), WINDOW_MS / 3);
    advance(WINDOW_MS / 3 - 1000);
    assert.equal(limiter.retryAfterMs('k'), 1000);
    advance(1000);
    assert.equal(limiter.retryAfterMs('k'), 0);
    assert.equal(limiter.retryAfterMs('other key'), 0, 'other keys are not affected');
    advance(WINDOW_MS);
    assert.equal(limiter.retryAfterMs('k'), 0);
    assert.equal(limiter.size, 0, 'a bucket that filled up again is forgotten once looked at');
  });

  test('successes are never counted, and a success forgets the key\'s failures', () => {
    const limiter = createRateLimiter({ limit: 3, windowMs: WINDOW_MS, now: clock().now });
    for (let i = 0; i < 100; i++) {
      assert.equal(limiter.retryAfterMs('k'), 0);
      limiter.begin('k');
      limiter.end('k', 'succeeded');
    }
    limiter.begin('k');
    limiter.end('k', 'failed');
    limiter.begin('k');
    limiter.end('k', 'failed');
    limiter.begin('k');
    limiter.end('k', 'succeeded');
    assert.equal(limiter.size, 0);
    for (let i = 0; i < 3; i++) {
      limiter.begin('k');
      limiter.end('k', 'failed');
    }
    assert.ok(limiter.retryAfterMs('k') > 0);
  });

  test('attempts in flight hold back the key\'s remaining attempts, so a parallel burst cannot pass the check', () => {
    const limiter = createRateLimiter({ limit: 3, windowMs: WINDOW_MS, now: clock().now });
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.retryAfterMs('k'), 0);
      limiter.begin('k');
    }
    assert.equal(limiter.retryAfterMs('k'), 1000, 'the fourth parallel attempt waits a moment: the others end with their requests');
    limiter.end('k', 'neither');
    assert.equal(limiter.retryAfterMs('k'), 0, 'an attempt that did not fail gives its place back');
  });

  test('an attempt not begun (a random secret\'s) counts its failure when it ends, and holds nothing back while in flight', () => {
    const limiter = createRateLimiter({ limit: 2, windowMs: WINDOW_MS, now: clock().now });
    limiter.end('k', 'failed', false);
    assert.equal(limiter.retryAfterMs('k'), 0);
    limiter.end('k', 'failed', false);
    assert.ok(Math.abs(limiter.retryAfterMs('k') - WINDOW_MS / 2) <= 1, 'one attempt is earned back every window / limit');
    limiter.end('other', 'succeeded', false);
    limiter.end('other', 'neither', false);
    assert.equal(limiter.size, 1, 'successes and non-failures of unknown keys create nothing');
  });

  test('memory is bounded: past maxKeys the least recently used keys are forgotten', () => {
    const limiter = createRateLimiter({ limit: 3, windowMs: WINDOW_MS, maxKeys: 100, now: clock().now });
    for (let i = 0; i < 3; i++) {
      limiter.begin('attacker');
      limiter.end('attacker', 'failed');
    }
    for (let i = 0; i < 10_000; i++) {
      limiter.begin(`key ${i}`);
      limiter.end(`key ${i}`, 'failed');
      // The attacker keeps trying: its key stays recent.
      if (i % 50 === 0) limiter.retryAfterMs('attacker');
      assert.ok(limiter.size <= 100);
    }
    assert.equal(limiter.size, 100);
  });

  test('a limit of 0 turns the limiter off', () => {
    const limiter = createRateLimiter({ limit: 0, windowMs: WINDOW_MS, now: clock().now });
    for (let i = 0; i < 1000; i++) {
      limiter.begin('k');
      limiter.end('k', 'failed');
    }
    assert.equal(limiter.retryAfterMs('k'), 0);
    assert.equal(limiter.size, 0);
  });

  test('the throttle counts per address and account, and per address; a success resets its account only', () => {
    const throttle = createSignInThrottle({ signInAttemptsPerWindow: 2, signInAttemptsPerIp: 5, signInWindowSeconds: 900 }, { now: clock().now });
    const fail = (ip: string, account: string) => {
      const ticket = throttle.begin({ ip, accounts: [account] });
      assert.ok(!('retryAfterMs' in ticket), `${ip} ${account} should be allowed`);
      ticket.failed();
    };
    const waits = (ip: string, account: string) => {
      const ticket = throttle.begin({ ip, accounts: [account] });
      if ('retryAfterMs' in ticket) return ticket.retryAfterMs;
      ticket.ended();
      return 0;
    };
    fail('10.0.0.1', 'login:a');
    fail('10.0.0.1', 'login:a');
    assert.ok(waits('10.0.0.1', 'login:a') > 0, 'login a is throttled from 10.0.0.1');
    assert.equal(waits('10.0.0.2', 'login:a'), 0, 'not from another address');
    assert.equal(waits('10.0.0.1', 'login:b'), 0, 'nor for another login');
    fail('10.0.0.1', 'login:b');
    fail('10.0.0.1', 'login:c');
    const ticket = throttle.begin({ ip: '10.0.0.1', accounts: ['login:d'] });
    assert.ok(!('retryAfterMs' in ticket));
    ticket.succeeded();
    fail('10.0.0.1', 'login:e');
    assert.ok(waits('10.0.0.1', 'login:f') > 0, 'five failures from one address close it for every login (a success in between does not reopen it)');
    assert.equal(waits('10.0.0.2', 'login:f'), 0);
  });

  test('IPv6 clients are throttled by their /64, IPv4-mapped addresses as IPv4', () => {
    assert.equal(clientAddress('203.0.113.9'), '203.0.113.9');
    assert.equal(clientAddress('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(clientAddress('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(clientAddress('2001:db8:1:2::99'), '2001:db8:1:2::/64');
    assert.equal(clientAddress('2001:DB8:0001:0002:ffff::1'), '2001:db8:1:2::/64');
    assert.equal(clientAddress('::1'), '0:0:0:0::/64');
    assert.equal(retryAfterSeconds(1), 1);
    assert.equal(retryAfterSeconds(90_001), 91);
  });

  test('configuration: defaults 10 per account and 100 per address in 900 s; 0 disables; negative or a zero window is refused', () => {
    const defaults = loadConfig([], {});
    assert.deepEqual([defaults.signInAttemptsPerWindow, defaults.signInAttemptsPerIp, defaults.signInWindowSeconds], [10, 100, 900]);
    const off = loadConfig(['--sign-in-attempts-per-window', '0', '--sign-in-attempts-per-ip=0'], { PATCHBAY_SIGN_IN_WINDOW_SECONDS: '60' });
    assert.deepEqual([off.signInAttemptsPerWindow, off.signInAttemptsPerIp, off.signInWindowSeconds], [0, 0, 60]);
    assert.throws(() => loadConfig([], { PATCHBAY_SIGN_IN_ATTEMPTS_PER_WINDOW: '-1' }), (error: Error) => error instanceof ConfigError && /PATCHBAY_SIGN_IN_ATTEMPTS_PER_WINDOW must be 0 or more/.test(error.message));
    assert.throws(() => loadConfig(['--sign-in-window-seconds', '0'], {}), (error: Error) => error instanceof ConfigError && /--sign-in-window-seconds must be greater than 0/.test(error.message));
  });
});

describe('brute force over HTTP: console sign-in and the token endpoint', () => {
  let server: TestServer;
  let app: EssApp;
  let nextAddress = 10;
  /** A client address of its own for each test, so that tests do not share buckets. */
  const address = () => `127.0.0.${nextAddress++}`;

  before(async () => {
    server = await startTestServer({ env: { PATCHBAY_SIGN_IN_ATTEMPTS_PER_WINDOW: '3', PATCHBAY_SIGN_IN_ATTEMPTS_PER_IP: '8', PATCHBAY_SIGN_IN_WINDOW_SECONDS: '900' } });
    app = await createEssApp(server.patchbay.store);
  });
  after(async () => server?.close());

  const signInFrom = (from: string, loginId: string, password: string): Promise<Probe> =>
    sendFrom(from, server.url, 'POST', '/api/session', JSON.stringify({ loginId, password }), 'application/json');
  const tokenFrom = (from: string, form: Record<string, string>): Promise<Probe> =>
    sendFrom(from, server.url, 'POST', '/oauth2/v0/token', new URLSearchParams(form).toString(), 'application/x-www-form-urlencoded');
  const newUser = (): Promise<Credentials> => server.addUser(server.companyId, ['EMPLOYEE']);

  function assertThrottled(answer: Probe, shape: 'admin' | 'oauth'): void {
    assert.equal(answer.status, 429, answer.text);
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 900, `Retry-After: ${answer.headers.get('retry-after')}`);
    const body = JSON.parse(answer.text);
    if (shape === 'admin') {
      assert.equal(body.error.code, 'too_many_requests');
      assert.match(body.error.message, /wait \d+ seconds/);
    } else {
      assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'error_description', 'geolocation']);
      assert.equal(body.error, 'temporarily_unavailable');
      assert.equal(body.code, 429);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    }
  }

  test('sign-in: after 3 wrong passwords the login is answered 429 with Retry-After, even with the right password; the right password works for another login and from another address', async () => {
    const from = address();
    const user = await newUser();
    const other = await newUser();
    for (let i = 0; i < 3; i++) assert.equal((await signInFrom(from, user.loginId, 'wrong-password')).status, 401);
    assertThrottled(await signInFrom(from, user.loginId, user.password), 'admin');
    // Login IDs are compared as the server does: case and spaces do not make a new key.
    assertThrottled(await signInFrom(from, ` ${user.loginId.toUpperCase()} `, 'wrong-password'), 'admin');
    assert.equal((await signInFrom(from, other.loginId, other.password)).status, 200, 'another login from the same address');
    assert.equal((await signInFrom(address(), user.loginId, user.password)).status, 200, 'the same login from another address');
  });

  test('sign-in: a success resets the login\'s count, and successes are never counted', async () => {
    const from = address();
    const user = await newUser();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) assert.equal((await signInFrom(from, user.loginId, 'wrong-password')).status, 401);
      assert.equal((await signInFrom(from, user.loginId, user.password)).status, 200, `round ${round}: the count was reset by the last success`);
    }
    for (let i = 0; i < 10; i++) assert.equal((await signInFrom(from, user.loginId, user.password)).status, 200, 'successes never use attempts up');
  });

  test('sign-in: a parallel burst of 20 wrong passwords gets at most 3 answers of 401, the rest 429', async () => {
    const from = address();
    const user = await newUser();
    const answers = await Promise.all(Array.from({ length: 20 }, () => signInFrom(from, user.loginId, 'wrong-password')));
    const statuses = answers.map((answer) => answer.status);
    assert.ok(statuses.filter((status) => status === 401).length <= 3, statuses.join(' '));
    assert.equal(statuses.filter((status) => status !== 401 && status !== 429).length, 0, statuses.join(' '));
    assert.ok(statuses.includes(429));
  });

  test('sign-in: guessing across many logins from one address is capped per address (8)', async () => {
    const from = address();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await signInFrom(from, `nobody${i}@example.test`, 'wrong-password')).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
    const user = await newUser();
    assertThrottled(await signInFrom(from, user.loginId, user.password), 'admin');
    assert.equal((await signInFrom(address(), user.loginId, user.password)).status, 200);
  });

  test('token endpoint: after 3 wrong client secrets the client is answered 429 in Concur\'s OAuth2 shape; another client and another address still work', async () => {
    const from = address();
    const other = await createEssApp(server.patchbay.store);
    const form = (client: EssApp, secret: string) => ({ grant_type: 'client_credentials', client_id: client.id, client_secret: secret });
    for (let i = 0; i < 3; i++) assert.equal((await tokenFrom(from, form(app, 'wrong-secret'))).status, 401);
    assertThrottled(await tokenFrom(from, form(app, app.secret)), 'oauth');
    assertThrottled(await tokenFrom(from, { ...form(app, app.secret), client_id: app.id.toUpperCase() }), 'oauth');
    assert.equal((await tokenFrom(from, form(other, other.secret))).status, 200, 'another client from the same address');
    assert.equal((await tokenFrom(address(), form(app, app.secret))).status, 200, 'the same client from another address');
  });

  test('token endpoint: wrong user passwords throttle that username only, not the client nor its other users', async () => {
    const from = address();
    const user = await newUser();
    const colleague = await newUser();
    const form = (who: Credentials, password: string) => ({ grant_type: 'password', client_id: app.id, client_secret: app.secret, username: who.loginId, password });
    for (let i = 0; i < 3; i++) assert.equal((await tokenFrom(from, form(user, 'wrong-password'))).status, 400);
    assertThrottled(await tokenFrom(from, form(user, user.password)), 'oauth');
    assert.equal((await tokenFrom(from, form(colleague, colleague.password))).status, 200, 'the client and its other users are not throttled');
    assert.equal((await tokenFrom(from, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret })).status, 200);
    // The console sign-in counts the same login separately (its own account key) but the same address.
    assert.equal((await signInFrom(from, user.loginId, user.password)).status, 200);
  });

  test('token endpoint: an application\'s parallel requests, all succeeding, are never held back (client_credentials, and password grants for many users)', async () => {
    const from = address();
    const users = await Promise.all(Array.from({ length: 12 }, () => newUser()));
    const apps = await Promise.all(Array.from({ length: 24 }, () => tokenFrom(from, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret })));
    assert.deepEqual(apps.map((answer) => answer.status), apps.map(() => 200));
    const grants = await Promise.all(users.map((user) => tokenFrom(from, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: user.loginId, password: user.password })));
    assert.deepEqual(grants.map((answer) => answer.status), grants.map(() => 200));
  });

  test('token endpoint: a parallel burst of wrong passwords for one user gets at most 3 answers of 400, the rest 429', async () => {
    const from = address();
    const user = await newUser();
    const answers = await Promise.all(Array.from({ length: 15 }, () => tokenFrom(from, { grant_type: 'password', client_id: app.id, client_secret: app.secret, username: user.loginId, password: 'wrong-password' })));
    const statuses = answers.map((answer) => answer.status);
    assert.ok(statuses.filter((status) => status === 400).length <= 3, statuses.join(' '));
    assert.equal(statuses.filter((status) => status !== 400 && status !== 429).length, 0, statuses.join(' '));
  });

  test('token endpoint: malformed requests and refused grants are not counted as guesses', async () => {
    const from = address();
    for (let i = 0; i < 6; i++) {
      assert.equal((await tokenFrom(from, { grant_type: 'client_credentials', client_id: app.id })).status, 400, 'client_secret missing');
      assert.equal((await tokenFrom(from, { grant_type: 'implicit', client_id: app.id, client_secret: 'x' })).status, 400, 'unknown grant');
      assert.equal((await tokenFrom(from, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret, scope: 'company.write' })).status, 400, 'scope beyond the app\'s');
    }
    assert.equal((await tokenFrom(from, { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret })).status, 200);
  });

  test('with 0 the limits are off', async () => {
    const open = await startTestServer({ env: { PATCHBAY_SIGN_IN_ATTEMPTS_PER_WINDOW: '0', PATCHBAY_SIGN_IN_ATTEMPTS_PER_IP: '0' } });
    try {
      for (let i = 0; i < 10; i++) {
        const answer = await sendFrom('127.0.0.1', open.url, 'POST', '/api/session', JSON.stringify({ loginId: open.admin.loginId, password: 'wrong-password' }), 'application/json');
        assert.equal(answer.status, 401);
      }
      assert.equal((await sendFrom('127.0.0.1', open.url, 'POST', '/api/session', JSON.stringify(open.admin), 'application/json')).status, 200);
    } finally {
      await open.close();
    }
  });
});
