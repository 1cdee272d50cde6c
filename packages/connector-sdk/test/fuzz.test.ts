/**
 * Property-based fuzzing (fast-check) of `createConnector` over real HTTPS on 127.0.0.1: arbitrary methods,
 * paths, query strings, headers and bodies; valid callouts from the builders, mutated; arbitrary
 * `Authorization` headers; Launch External URL launches with arbitrary (and tampered, and replayed) queries;
 * arbitrary bytes on a raw TLS connection. The handlers are well-behaved (they answer within the contract),
 * so the property is the SDK's own: never a 500, a crash or a hang; bad input gets a 4xx; every answer has
 * a Content-Length (never chunked); the connector still answers the test connection afterwards.
 *
 * Sizes: `PATCHBAY_FUZZ_RUNS` runs per property (default 200), seed `PATCHBAY_FUZZ_SEED` (default fixed,
 * printed with each property). Each property reports how many inputs it tried; the last test the total.
 */
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import {
  buildAttendeeSearchRequest,
  buildFetchListRequest,
  buildLeuUrl,
  buildNotification,
  fetchListItemCode,
  leuSignature,
  newLeuNonce,
  parseAttendeeSearchResponse,
  parseFetchListResponse,
} from '@patchbay/callout-xml';
import type { LeuV4RequestParams } from '@patchbay/callout-xml';
import { DEFAULT_PATHS, TEST_CONNECTION_PATH, basicAuthorization, createConnector } from '../src/index.ts';
import type { Connector, ConnectorLogEntry } from '../src/index.ts';
import { createTestTls } from './tls.ts';
import type { TestTls } from './tls.ts';

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, not ${JSON.stringify(text)}`);
  return value;
}

/** Runs per property: PATCHBAY_FUZZ_RUNS, or 200 (each run is an HTTPS request). */
const RUNS = envInteger('PATCHBAY_FUZZ_RUNS') ?? 200;
/** The seed of every property: PATCHBAY_FUZZ_SEED, or a fixed one. */
const SEED = envInteger('PATCHBAY_FUZZ_SEED') ?? 0x5eed_c0de;
/** No request may take longer (a guard against a hang, not a timing assertion). */
const HANG_BOUND_MS = 10_000;

let totalInputs = 0;
/** The statuses answered during the current property, reported with it. */
const statuses = new Map<number, number>();

/** Checks the async `predicate` on `runs` inputs; reports the seed, the inputs tried and the duration. */
async function fuzz<T>(t: TestContext, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, runs = RUNS): Promise<void> {
  let tried = 0;
  const started = performance.now();
  statuses.clear();
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        tried++;
        await predicate(value);
      }),
      { seed: SEED, numRuns: runs },
    );
  } finally {
    totalInputs += tried;
    const answered = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
    t.diagnostic(`${tried} inputs tried (seed ${SEED}, ${runs} runs) in ${Math.round(performance.now() - started)} ms${answered ? `; answers ${answered}` : ''}`);
  }
}

const USER = 'concur-connector';
const PASSWORD = 'correct horse battery';
const AUTH = basicAuthorization(USER, PASSWORD);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('connector SDK fuzzing over HTTPS', () => {
  let tls: TestTls;
  let connector: Connector;
  let port: number;
  let agent: Agent;
  const logs: ConnectorLogEntry[] = [];

  before(async () => {
    tls = await createTestTls();
    connector = createConnector({
      credentials: { userName: USER, password: PASSWORD },
      tls: { cert: tls.cert, key: tls.key },
      maxBodyBytes: 16 * 1024,
      log: (entry) => logs.push(entry),
      handlers: {
        // Well-behaved handlers: whatever the callout, their answer stays within the contract.
        fetchAttendee: (criteria) =>
          [{ externalId: 'E-1', firstName: criteria.firstName.trim() || 'Chris', lastName: criteria.lastName.trim() || 'Miller', company: criteria.company }].slice(0, criteria.maximumNumberRecords),
        fetchList: (request) => [{ code: fetchListItemCode(request.longCode, 'SF'), shortCode: 'SF', text: 'San Francisco', matchValue: request.query }].slice(0, request.numToReturn),
        notification: () => {},
        launchExternalUrl: (params) => ({ html: `<p>${params.nonce.length}</p>` }),
      },
    });
    port = (await connector.listen(0, '127.0.0.1')).port;
    agent = new Agent({ keepAlive: true, maxSockets: 4, ca: tls.caCert });
  });

  after(async () => {
    agent?.destroy();
    await connector?.close();
  });

  /** One request; the answer, with a hang bound. */
  function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, servername: 'localhost', method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, agent, timeout: HANG_BOUND_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} got no answer within ${HANG_BOUND_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The SDK's own promises: no 5xx, a Content-Length on every answer, never chunked. */
  function checkAnswer(answer: Answer, what: string): void {
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    assert.ok(answer.status >= 200 && answer.status < 500, `${what}: answered ${answer.status} ${answer.body.slice(0, 300)}`);
    assert.equal(answer.headers['transfer-encoding'], undefined, `${what}: a chunked answer`);
    assert.ok(answer.headers['content-length'] !== undefined, `${what}: no Content-Length`);
  }

  async function stillServes(): Promise<void> {
    const answer = await send('GET', TEST_CONNECTION_PATH, { authorization: AUTH });
    assert.equal(answer.status, 200, 'the connector stopped answering its test connection');
  }

  const CALLOUT_PATHS = [DEFAULT_PATHS.fetchAttendee, DEFAULT_PATHS.fetchList, DEFAULT_PATHS.notification];
  const PATHS = [...CALLOUT_PATHS, DEFAULT_PATHS.launchExternalUrl, TEST_CONNECTION_PATH, '/', '/nowhere', '*', '/attendee/v2.0/find/', '/ATTENDEE/V2.0/FIND', '//attendee/v2.0/find', '/attendee/v2.0/find%00', '/list/v1.2/fetch/..', 'http://localhost/attendee/v2.0/find'];
  const visible = fc.string({ unit: fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), fc.constantFrom('%00', '%zz', '%C3%28', '%', '+', '&', '=', '?', '#')), maxLength: 60 });
  const headerValue = fc.string({ unit: fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), fc.constantFrom('\t', '\u00e9', '\u00ff')), maxLength: 60 });
  const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((name) => !['content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'upgrade', 'te', 'trailer'].includes(name));

  const validCallout = fc.oneof(
    fc.record({ lastName: fc.string({ maxLength: 40 }), firstName: fc.string({ maxLength: 40 }), max: fc.integer({ min: 1, max: 100 }) }).map(({ lastName, firstName, max }) => ({
      path: DEFAULT_PATHS.fetchAttendee,
      body: buildAttendeeSearchRequest({ lastName, firstName, ownerLoginId: 'owner@example.com', maximumNumberRecords: max }),
    })),
    fc.record({ levels: fc.array(fc.stringMatching(/^[A-Z]{1,3}$/), { maxLength: 3 }), query: fc.string({ maxLength: 30 }), num: fc.integer({ min: 1, max: 100 }) }).map(({ levels, query, num }) => ({
      path: DEFAULT_PATHS.fetchList,
      body: buildFetchListRequest({ codeByLevel: levels, query, searchBy: 'TEXT', langCode: 'EN', numToReturn: num }),
    })),
    fc.constant({ path: DEFAULT_PATHS.notification, body: buildNotification({ eventType: 'Report Entered Expense Report Workflow Step - SUBMIT', objectType: 'TRAVELREQ', objectUri: 'https://patchbay.example/travelrequest/v4/requests/1', eventDateTime: '2024-05-01' }) }),
  );
  const bodyMutation = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.constantFrom('<!DOCTYPE d [<!ENTITY e "x">]>', '&e;', '\u0000', '<x>', '</x>', ']]>', '&', '<', '\ud800', 'A'.repeat(20_000)) }),
    fc.record({ kind: fc.constant('bytes' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );
  const mutated = fc.tuple(validCallout, fc.array(bodyMutation, { maxLength: 3 })).map(([callout, mutations]) => {
    let bytes = Buffer.from(callout.body, 'utf8');
    for (const mutation of mutations) {
      const i = Math.floor(mutation.at * bytes.length);
      const inserted = mutation.kind === 'truncate' ? Buffer.alloc(0) : mutation.kind === 'insert' ? Buffer.from(mutation.text, 'utf8') : Buffer.from(mutation.bytes);
      bytes = Buffer.concat([bytes.subarray(0, i), inserted, mutation.kind === 'truncate' ? Buffer.alloc(0) : bytes.subarray(i)]);
    }
    return { path: callout.path, body: bytes, mutated: mutations.length > 0 };
  });

  test('arbitrary methods, paths, query strings, headers and bodies: never a 5xx, always a Content-Length, 401 without the credentials', async (t) => {
    const input = fc.record({
      method: fc.oneof({ weight: 3, arbitrary: fc.constant('POST') }, { weight: 2, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'PROPFIND') }),
      path: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...CALLOUT_PATHS) }, { weight: 2, arbitrary: fc.constantFrom(...PATHS) }, { weight: 1, arbitrary: visible.map((text) => `/${text.replace(/[#\s]/g, '')}`) }),
      query: fc.option(visible.map((text) => text.replace(/[#\s]/g, '')), { nil: undefined }),
      auth: fc.oneof({ weight: 4, arbitrary: fc.constant('right') }, { weight: 1, arbitrary: fc.constantFrom('none', 'wrong') }),
      headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
      contentType: fc.option(fc.constantFrom('application/xml', 'text/xml; charset=utf-16', 'application/json', 'multipart/form-data; boundary=x', 'x/y'), { nil: undefined }),
      body: fc.option(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)), fc.string({ unit: 'binary', maxLength: 300 }).map((text) => Buffer.from(text, 'utf8')), fc.constantFrom(Buffer.alloc(17 * 1024, 0x41))), { nil: undefined }),
    });
    await fuzz(t, input, async ({ method, path, query, auth, headers, contentType, body }) => {
      const target = query === undefined || path === '*' ? path : `${path}?${query}`;
      const authorization: Record<string, string> = auth === 'right' ? { authorization: AUTH } : auth === 'wrong' ? { authorization: basicAuthorization(USER, `${PASSWORD}x`) } : {};
      const answer = await send(method, target, { ...headers, ...(contentType === undefined ? {} : { 'content-type': contentType }), ...authorization }, body);
      checkAnswer(answer, `${method} ${target}`);
      const launch = target.split('?')[0] === DEFAULT_PATHS.launchExternalUrl;
      if (auth !== 'right' && !launch) assert.equal(answer.status, 401, `${method} ${target} without the credentials answered ${answer.status}`);
    });
    await stillServes();
  });

  test('valid callouts, then mutated (truncated, DTDs, entities, NUL, invalid UTF-8, over the size cap): 200 or a 4xx with the reason', async (t) => {
    await fuzz(t, mutated, async ({ path, body, mutated: wasMutated }) => {
      const answer = await send('POST', path, { authorization: AUTH, 'content-type': 'application/xml; charset=utf-8' }, body);
      checkAnswer(answer, `POST ${path}`);
      if (!wasMutated) assert.equal(answer.status, 200, `a valid callout answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      if (answer.status >= 400) assert.ok(answer.body.length > 0, 'a refusal without a reason');
      if (answer.status === 200 && path === DEFAULT_PATHS.fetchAttendee) assert.ok(parseAttendeeSearchResponse(answer.body, { maxRecords: 100 }).ok, 'the SDK answered an invalid AttendeeSearchResponse');
      if (answer.status === 200 && path === DEFAULT_PATHS.fetchList) {
        assert.ok(parseFetchListResponse(answer.body, { numToReturn: 100, longCode: /<code>([^<]*)-SF<\/code>/.exec(answer.body)?.[1] ?? '' }).ok, 'the SDK answered an invalid fetch-list-response');
      }
    });
    await stillServes();
  });

  test('arbitrary Authorization headers: 401 unless they carry exactly the credentials', async (t) => {
    const header = fc.oneof(
      headerValue,
      fc.string({ maxLength: 80 }).map((text) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`),
      fc.constantFrom(`Basic ${Buffer.from(`${USER}:${PASSWORD}\u0000`).toString('base64')}`, `Basic  ${AUTH.slice(6)}`, `${AUTH} `, `${AUTH}=`, `BASIC ${AUTH.slice(6)}`, `Basic ${AUTH.slice(6, -1)}`, `Basic ${'A'.repeat(2000)}`, 'Basic', 'Basic =', AUTH),
    );
    await fuzz(t, header, async (authorization) => {
      const answer = await send('GET', TEST_CONNECTION_PATH, { authorization });
      checkAnswer(answer, `Authorization: ${authorization.slice(0, 60)}`);
      const match = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(authorization);
      const exact = match !== null && Buffer.from(match[1]!, 'base64').toString('base64') === match[1] && Buffer.from(match[1]!, 'base64').equals(Buffer.from(`${USER}:${PASSWORD}`, 'utf8'));
      assert.equal(answer.status, exact ? 200 : 401, `Authorization: ${authorization.slice(0, 80)}`);
    });
  });

  test('Launch External URL: arbitrary queries are refused with 403; a signed launch works once; tampered or replayed, 403', async (t) => {
    const LEU = DEFAULT_PATHS.launchExternalUrl;
    const params = (nonce: string): LeuV4RequestParams => ({
      version: 'v4', variant: 'request', companyDomain: 'example.com', loggedInUserId: 'u-1', requestOwnerUserId: 'u-2', requestOwnerEmployeeId: 'E2',
      itemUrl: 'https://patchbay.example/travelrequest/v4/requests/1', customFieldLaunchedFrom: 'custom1', source: 'HEADER', isMobile: false, nonce, clientAuthCode: 'code',
    });
    const signedUrl = (nonce: string) => {
      const p = params(nonce);
      return new URL(buildLeuUrl(`https://localhost${LEU}`, { ...p, signature: leuSignature({ ...p, username: USER, password: PASSWORD }) }));
    };
    const input = fc.oneof(
      fc.record({ kind: fc.constant('arbitrary' as const), query: visible }),
      fc.record({ kind: fc.constant('tampered' as const), name: fc.constantFrom('company_domain', 'logged_in_user_id', 'request_owner_user_id', 'request_owner_employee_id', 'item_url', 'nonce', 'signature'), value: fc.string({ maxLength: 20 }) }),
      fc.record({ kind: fc.constant('duplicated' as const), name: fc.constantFrom('company_domain', 'nonce', 'signature', 'source') }),
      fc.record({ kind: fc.constant('valid' as const), method: fc.constantFrom('GET', 'HEAD', 'POST') }),
    );
    await fuzz(t, input, async (value) => {
      const url = signedUrl(newLeuNonce());
      let query: string;
      if (value.kind === 'arbitrary') query = value.query.replace(/[#\s]/g, '');
      else if (value.kind === 'tampered') {
        const before = url.searchParams.get(value.name) ?? '';
        url.searchParams.set(value.name, before === value.value ? `${value.value}x` : value.value);
        query = url.search.slice(1);
      } else if (value.kind === 'duplicated') {
        url.searchParams.append(value.name, url.searchParams.get(value.name) ?? 'x');
        query = url.search.slice(1);
      } else query = url.search.slice(1);
      const method = value.kind === 'valid' ? value.method : 'GET';
      const answer = await send(method, `${LEU}?${query}`, {});
      checkAnswer(answer, `${method} ${LEU}?${query.slice(0, 80)}`);
      if (value.kind === 'valid') {
        assert.equal(answer.status, method === 'GET' ? 200 : 405, answer.body);
        if (method === 'GET') {
          const replay = await send('GET', `${LEU}?${query}`, {});
          checkAnswer(replay, 'a replayed launch');
          assert.equal(replay.status, 403, 'a replayed launch was not refused');
        }
      } else {
        assert.equal(answer.status, 403, `${value.kind} launch answered ${answer.status}: ${answer.body}`);
      }
    });
    await stillServes();
  });

  test('arbitrary bytes on a raw TLS connection: the connector stays up', async (t) => {
    const raw = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
      fc
        .tuple(fc.constantFrom('GET', 'POST', 'G\u0000T', 'POST /', ''), fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.array(fc.string({ unit: 'binary-ascii', maxLength: 40 }), { maxLength: 5 }), fc.string({ unit: 'binary-ascii', maxLength: 200 }))
        .map(([method, path, headers, body]) => Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${AUTH}\r\n${headers.join('\r\n')}\r\n\r\n${body}`, 'latin1')),
      fc.constantFrom(
        Buffer.from(`POST ${DEFAULT_PATHS.fetchList} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nTransfer-Encoding: chunked\r\n\r\nzzz\r\n`),
        Buffer.from(`POST ${DEFAULT_PATHS.fetchList} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef`),
        Buffer.from(`POST ${DEFAULT_PATHS.fetchList} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 100\r\n\r\n<fetch-list-request>`),
        Buffer.from(`GET ${TEST_CONNECTION_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`),
      ),
    );
    await fuzz(t, raw, (bytes) =>
      new Promise<void>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: tls.caCert }, () => socket.end(bytes));
        const timer = setTimeout(() => socket.destroy(), 1_000);
        socket.on('data', () => {});
        socket.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
      }),
      Math.max(1, Math.ceil(RUNS / 2)),
    );
    await stillServes();
  });

  test('nothing reached the SDK\'s internal-error path, and the log never carried the credentials', (t) => {
    const internal = logs.filter((entry) => entry.event === 'internal-error' || entry.event === 'handler-error' || entry.event === 'contract-error');
    assert.deepEqual(internal.map((entry) => `${entry.event} ${entry.service}: ${entry.message}`), []);
    const logged = JSON.stringify(logs.map(({ error: _error, ...entry }) => entry));
    assert.ok(!logged.includes(PASSWORD) && !logged.includes(AUTH.slice(6)));
    t.diagnostic(`${totalInputs} inputs tried in total (seed ${SEED})`);
  });
});
