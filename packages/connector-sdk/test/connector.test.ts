// The connector over real HTTPS on 127.0.0.1: configuration checks, Basic authentication, the test
// connection, and the three XML callouts, with callout-xml's request builders as the client (as patchbay is).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAttendeeSearchRequest,
  buildFetchListRequest,
  buildNotification,
  parseAttendeeSearchResponse,
  parseFetchListResponse,
} from '@patchbay/callout-xml';
import { ConnectorConfigError, createConnector, fetchListItemCode, fetchListQueryMatches } from '../src/index.ts';
import type { AttendeeInput, Connector, ConnectorLogEntry, ConnectorOptions, FetchListItem, Notification } from '../src/index.ts';
import { createTestTls } from './tls.ts';
import type { TestTls } from './tls.ts';
import { basic, call } from './support.ts';
import type { CallOptions } from './support.ts';

const USER = 'concur-connector';
const PASSWORD = 'correct horse battery';
const AUTH = basic(USER, PASSWORD);
const XML_TYPE = 'application/xml; charset=utf-8';

const emptyCustoms = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `<Custom${from + i}/>`).join('');

const ATTENDEES: AttendeeInput[] = [
  { externalId: 'A-1', firstName: 'Chris', middleInitial: 'J', lastName: 'Miller', company: 'Len & Dev', attendeeTypeCode: 'BUSGUEST', title: 'CFO', custom7: 'LIC-1' },
  { externalId: 'A-2', firstName: 'Dana', lastName: 'Miller' },
  { externalId: 'A-3', firstName: 'Sam', lastName: 'Okafor' },
];

// A three-level connected list: country > region > city.
const CITIES = [
  { parent: ['US', 'W', 'CA'], shortCode: 'SF', text: 'San Francisco' },
  { parent: ['US', 'W', 'CA'], shortCode: 'SD', text: 'San Diego' },
  { parent: ['US', 'W', 'CA'], shortCode: 'LA', text: 'Los Angeles' },
  { parent: [], shortCode: 'US', text: 'United States' },
];

describe('connector over HTTPS', () => {
  let tls: TestTls;
  let connector: Connector;
  let base: string;
  const logs: ConnectorLogEntry[] = [];
  const notifications: Notification[] = [];

  const options = (): ConnectorOptions => ({
    credentials: { userName: USER, password: PASSWORD },
    tls: { cert: tls.cert, key: tls.key },
    maxBodyBytes: 16 * 1024,
    log: (entry) => logs.push(entry),
    handlers: {
      fetchAttendee(criteria) {
        if (criteria.lastName === 'Boom') throw new Error('the directory is down');
        if (criteria.lastName === 'Broken') return [{ externalId: 'B-1', firstName: '', lastName: 'Broken' }];
        if (criteria.lastName === 'Everyone') return ATTENDEES;
        return ATTENDEES.filter((a) => a.lastName === criteria.lastName);
      },
      async fetchList(request) {
        const parent = request.codeByLevel.join('-');
        return CITIES.filter((c) => c.parent.join('-') === parent)
          .filter((c) => fetchListQueryMatches(request.query, request.searchBy === 'CODE' ? c.shortCode : c.text))
          .map((c): FetchListItem => ({
            code: fetchListItemCode(request.longCode, c.shortCode),
            shortCode: c.shortCode,
            text: c.text,
            matchValue: request.searchBy === 'CODE' ? c.shortCode : c.text,
          }));
      },
      async notification(notification) {
        if (notification.objectUri.endsWith('/fail')) throw new Error('the queue is full');
        notifications.push(notification);
      },
    },
  });

  const post = (path: string, body: string | Buffer, extra: CallOptions = {}) =>
    call(`${base}${path}`, { method: 'POST', body, ca: tls.caCert, ...extra, headers: { authorization: AUTH, 'content-type': XML_TYPE, ...extra.headers } });

  before(async () => {
    tls = await createTestTls();
    connector = createConnector(options());
    const address = await connector.listen(0, '127.0.0.1');
    base = address.url;
    assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    await connector.close();
  });

  describe('configuration', () => {
    const valid = (): ConnectorOptions => ({ credentials: { userName: USER, password: PASSWORD }, tls: { cert: tls.cert, key: tls.key }, handlers: {} });

    test('credentials must be 10 to 50 characters, as Concur requires', () => {
      assert.throws(() => createConnector({ ...valid(), credentials: { userName: 'short', password: PASSWORD } }), /userName is 5 characters: Concur requires 10 to 50/);
      assert.throws(() => createConnector({ ...valid(), credentials: { userName: USER, password: 'x'.repeat(51) } }), ConnectorConfigError);
      assert.throws(() => createConnector({ ...valid(), credentials: { userName: 'has:a:colon', password: PASSWORD } }), /must not contain ":"/);
      assert.doesNotThrow(() => createConnector({ ...valid(), credentials: { userName: 'u'.repeat(10), password: 'p'.repeat(50) } }));
    });

    test('https needs a certificate and key; http does not', () => {
      assert.throws(() => createConnector({ ...valid(), tls: undefined }), /tls \{ cert, key \} is required/);
      assert.doesNotThrow(() => createConnector({ ...valid(), tls: undefined, transport: 'http' }));
    });

    test('the Fetch Attendee path must contain v2.0, and paths must not clash', () => {
      assert.throws(() => createConnector({ ...valid(), paths: { fetchAttendee: '/attendee/v1.0/find' } }), /does not contain "v2.0"/);
      assert.throws(() => createConnector({ ...valid(), paths: { fetchList: '/same', notification: '/same' } }), /already the path of/);
      assert.throws(() => createConnector({ ...valid(), paths: { fetchList: '/system/v1.0/testconnection' } }), /already the path of the test connection/);
      assert.throws(() => createConnector({ ...valid(), paths: { fetchList: 'no-slash' } }), /starting with "\/"/);
      assert.throws(() => createConnector({ ...valid(), paths: { fetchLists: '/x' } as never }), /is not a service/);
    });

    test('limits must be positive integers', () => {
      assert.throws(() => createConnector({ ...valid(), maxBodyBytes: 0 }), /maxBodyBytes/);
      assert.throws(() => createConnector({ ...valid(), nonceTtlMs: -1 }), /nonceTtlMs/);
    });
  });

  describe('test connection and Basic authentication', () => {
    const testConnection = (extra: CallOptions = {}) => call(`${base}/system/v1.0/testconnection`, { ca: tls.caCert, ...extra });

    test('GET with the right credentials answers 200 with a Content-Length', async () => {
      const answer = await testConnection({ headers: { authorization: AUTH } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'OK\n');
      assert.equal(answer.headers['content-length'], '3');
      assert.equal(answer.headers['transfer-encoding'], undefined);
    });

    test('POST (the 2016 guidance) and HEAD answer 200 too; other methods 405', async () => {
      assert.equal((await testConnection({ method: 'POST', headers: { authorization: AUTH }, body: 'ignored' })).status, 200);
      assert.equal((await testConnection({ method: 'HEAD', headers: { authorization: AUTH } })).status, 200);
      const put = await testConnection({ method: 'PUT', headers: { authorization: AUTH } });
      assert.equal(put.status, 405);
      assert.equal(put.headers.allow, 'GET, HEAD, POST');
    });

    test('a wrong password answers 401 with a Basic challenge', async () => {
      const answer = await testConnection({ headers: { authorization: basic(USER, `${PASSWORD}!`) } });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers['www-authenticate'], 'Basic realm="connector", charset="UTF-8"');
      assert.equal((await testConnection({ headers: { authorization: basic(`${USER}x`, PASSWORD) } })).status, 401);
      // A prefix of the right credentials is not enough.
      assert.equal((await testConnection({ headers: { authorization: basic(USER, PASSWORD.slice(0, -1)) } })).status, 401);
    });

    test('a missing Authorization header answers 401', async () => {
      const answer = await testConnection();
      assert.equal(answer.status, 401);
      assert.match(String(answer.headers['www-authenticate']), /^Basic realm="connector"/);
    });

    test('malformed Authorization headers answer 401', async () => {
      const colonless = `Basic ${Buffer.from(`${USER}${PASSWORD}`).toString('base64')}`;
      for (const header of ['Basic', 'Basic !!!!', 'Bearer abc', `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}x`, colonless, AUTH.replace('Basic ', 'Digest ')]) {
        const answer = await testConnection({ headers: { authorization: header } });
        assert.equal(answer.status, 401, header);
      }
    });

    test('the scheme is case-insensitive', async () => {
      assert.equal((await testConnection({ headers: { authorization: AUTH.replace('Basic', 'basic') } })).status, 200);
    });

    test('callout paths and unknown paths need the credentials too', async () => {
      const body = buildAttendeeSearchRequest({ lastName: 'Miller', ownerLoginId: 'cm@example.com', maximumNumberRecords: 10 });
      assert.equal((await call(`${base}/attendee/v2.0/find`, { method: 'POST', body, ca: tls.caCert })).status, 401);
      assert.equal((await call(`${base}/nowhere`, { ca: tls.caCert })).status, 401);
      assert.equal((await call(`${base}/nowhere`, { ca: tls.caCert, headers: { authorization: AUTH } })).status, 404);
    });

    test('the log never carries the credentials', () => {
      const logged = JSON.stringify(logs);
      assert.ok(logs.some((entry) => entry.event === 'unauthorized'));
      assert.ok(!logged.includes(PASSWORD) && !logged.includes(AUTH.slice(6)));
    });
  });

  describe('Fetch Attendee', () => {
    test('round trip: exact response XML, application/xml with a Content-Length', async () => {
      const answer = await post('/attendee/v2.0/find', buildAttendeeSearchRequest({ lastName: 'Miller', ownerLoginId: 'cm@example.com', maximumNumberRecords: 10 }));
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], XML_TYPE);
      assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
      assert.equal(answer.headers['transfer-encoding'], undefined);
      assert.equal(
        answer.body,
        '<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse>' +
          '<Attendee><ExternalID>A-1</ExternalID><FirstName>Chris</FirstName><MiddleInitial>J</MiddleInitial><LastName>Miller</LastName>' +
          '<Suffix/><Company>Len &amp; Dev</Company><AttendeeTypeCode>BUSGUEST</AttendeeTypeCode><Title>CFO</Title>' +
          `${emptyCustoms(1, 6)}<Custom7>LIC-1</Custom7>${emptyCustoms(8, 25)}</Attendee>` +
          '<Attendee><ExternalID>A-2</ExternalID><FirstName>Dana</FirstName><MiddleInitial/><LastName>Miller</LastName>' +
          `<Suffix/><Company/><AttendeeTypeCode/><Title/>${emptyCustoms(1, 25)}</Attendee>` +
          '</AttendeeSearchResponse>',
      );
      const parsed = parseAttendeeSearchResponse(answer.body, { maxRecords: 10 });
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.attendees.map((a) => a.company), ['Len & Dev', '']);
    });

    test('no match answers the empty root', async () => {
      const answer = await post('/attendee/v2.0/find', buildAttendeeSearchRequest({ lastName: 'Nobody', ownerLoginId: 'cm@example.com', maximumNumberRecords: 10 }));
      assert.equal(answer.status, 200);
      assert.equal(answer.body, '<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse/>');
    });

    test('a handler exception answers 500 and is logged', async () => {
      const answer = await post('/attendee/v2.0/find', buildAttendeeSearchRequest({ lastName: 'Boom', ownerLoginId: 'cm@example.com', maximumNumberRecords: 10 }));
      assert.equal(answer.status, 500);
      assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
      const entry = logs.findLast((e) => e.event === 'handler-error');
      assert.equal(entry?.service, 'fetchAttendee');
      assert.match(entry?.message ?? '', /the directory is down/);
      assert.ok(entry?.error instanceof Error);
    });

    test('an answer that breaks the contract (no FirstName, too many results) answers 500 and is logged', async () => {
      const broken = await post('/attendee/v2.0/find', buildAttendeeSearchRequest({ lastName: 'Broken', ownerLoginId: 'cm@example.com', maximumNumberRecords: 10 }));
      assert.equal(broken.status, 500);
      assert.match(logs.findLast((e) => e.event === 'contract-error')?.message ?? '', /firstName/);
      const tooMany = await post('/attendee/v2.0/find', buildAttendeeSearchRequest({ lastName: 'Everyone', ownerLoginId: 'cm@example.com', maximumNumberRecords: 2 }));
      assert.equal(tooMany.status, 500);
      assert.match(logs.findLast((e) => e.event === 'contract-error')?.message ?? '', /more than the 2 allowed/);
    });

    test('GET answers 405', async () => {
      const answer = await call(`${base}/attendee/v2.0/find`, { ca: tls.caCert, headers: { authorization: AUTH } });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.allow, 'POST');
    });
  });

  describe('Fetch List', () => {
    test('round trip for a connected list: exact response XML', async () => {
      const request = { codeByLevel: ['US', 'W', 'CA'], query: 'San*', searchBy: 'TEXT', langCode: 'EN', numToReturn: 80 } as const;
      const answer = await post('/list/v1.2/fetch', buildFetchListRequest(request));
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], XML_TYPE);
      assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
      assert.equal(
        answer.body,
        '<?xml version="1.0" encoding="utf-8"?><fetch-list-response>' +
          '<item><code>US-W-CA-SF</code><short-code>SF</short-code><text>San Francisco</text><match-value>San Francisco</match-value></item>' +
          '<item><code>US-W-CA-SD</code><short-code>SD</short-code><text>San Diego</text><match-value>San Diego</match-value></item>' +
          '</fetch-list-response>',
      );
      assert.ok(parseFetchListResponse(answer.body, request).ok);
    });

    test('the one-to-one CODE match on a single-level list, and no match', async () => {
      const one = await post('/list/v1.2/fetch', buildFetchListRequest({ query: 'US', searchBy: 'CODE', langCode: 'en', numToReturn: 1 }));
      assert.equal(
        one.body,
        '<?xml version="1.0" encoding="utf-8"?><fetch-list-response><item><code>US</code><short-code>US</short-code><text>United States</text><match-value>US</match-value></item></fetch-list-response>',
      );
      const none = await post('/list/v1.2/fetch', buildFetchListRequest({ query: 'Zz*', searchBy: 'TEXT', langCode: 'EN', numToReturn: 10 }));
      assert.equal(none.status, 200);
      assert.equal(none.body, '<?xml version="1.0" encoding="utf-8"?><fetch-list-response></fetch-list-response>');
    });
  });

  describe('Event Notification', () => {
    test('answers 200 with an empty body, and the handler gets the notification', async () => {
      const body = buildNotification({
        eventType: 'Report Entered Expense Report Workflow Step - SUBMIT',
        objectType: 'TRAVELREQ',
        objectUri: 'https://patchbay.example/travelrequest/v4/requests/0123456789ABCDEF0123456789ABCDEF',
        eventDateTime: '2026-05-01',
      });
      const answer = await post('/concur/v1.0/notify', body);
      assert.equal(answer.status, 200);
      assert.equal(answer.body, '');
      assert.equal(answer.headers['content-length'], '0');
      assert.deepEqual(notifications.at(-1), {
        eventType: 'Report Entered Expense Report Workflow Step - SUBMIT',
        objectType: 'TRAVELREQ',
        objectUri: 'https://patchbay.example/travelrequest/v4/requests/0123456789ABCDEF0123456789ABCDEF',
        eventDateTime: '2026-05-01',
        context: '',
      });
    });

    test('a handler exception answers 500, so Concur keeps the notification', async () => {
      const body = buildNotification({ eventType: 'Report Entered Expense Report Workflow Step - SUBMIT', objectType: 'TRAVELREQ', objectUri: 'https://x.example/fail', eventDateTime: '2026-05-01' });
      const answer = await post('/concur/v1.0/notify', body);
      assert.equal(answer.status, 500);
      assert.match(logs.findLast((e) => e.event === 'handler-error')?.message ?? '', /the queue is full/);
    });
  });

  describe('bad input', () => {
    test('malformed XML answers 400 with a plain message', async () => {
      const answer = await post('/attendee/v2.0/find', '<AttendeeSearchRequest><Attendee><LastName>Mil');
      assert.equal(answer.status, 400);
      assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
      assert.match(answer.body, /^Bad Request: .*not closed/);
      assert.equal(logs.findLast((e) => e.event === 'bad-request')?.status, 400);
    });

    test('XML that is well-formed but breaks the contract answers 400', async () => {
      const answer = await post('/list/v1.2/fetch', '<fetch-list-request><query>a</query></fetch-list-request>');
      assert.equal(answer.status, 400);
      assert.match(answer.body, /search-by/);
      assert.equal((await post('/concur/v1.0/notify', '<Other/>')).status, 400);
      assert.equal((await post('/concur/v1.0/notify', '<html><body>Hi</body></html>')).status, 400);
    });

    test('an external entity (XXE) or entity expansion answers 400, without reading anything', async () => {
      const xxe =
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' +
        '<AttendeeSearchRequest><Attendee><LastName>&x;</LastName></Attendee></AttendeeSearchRequest>';
      const answer = await post('/attendee/v2.0/find', xxe);
      assert.equal(answer.status, 400);
      assert.doesNotMatch(answer.body, /root:/);
      const laughs = '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Notification><EventType>&b;</EventType></Notification>';
      assert.equal((await post('/concur/v1.0/notify', laughs)).status, 400);
    });

    test('a body over maxBodyBytes answers 413, declared or chunked', async () => {
      const big = `<Notification><Context>${'x'.repeat(20 * 1024)}</Context></Notification>`;
      const declared = await post('/concur/v1.0/notify', big);
      assert.equal(declared.status, 413);
      assert.equal(declared.headers.connection, 'close');
      const chunked = await post('/concur/v1.0/notify', big, { chunked: true });
      assert.equal(chunked.status, 413);
      assert.ok(logs.filter((e) => e.event === 'too-large').length >= 2);
    });
  });
});

describe('connector options', () => {
  test('transport http serves the same handlers (behind a TLS-terminating proxy)', async () => {
    const connector = createConnector({
      credentials: { userName: USER, password: PASSWORD },
      transport: 'http',
      handlers: { fetchAttendee: () => [{ externalId: 'X', firstName: 'Y', lastName: 'Z' }] },
    });
    const { url } = await connector.listen(0, '127.0.0.1');
    try {
      assert.match(url, /^http:\/\//);
      assert.equal((await call(`${url}/system/v1.0/testconnection`, { headers: { authorization: AUTH } })).status, 200);
      const body = buildAttendeeSearchRequest({ lastName: 'Z', ownerLoginId: 'o@example.com', maximumNumberRecords: 5 });
      const answer = await call(`${url}/attendee/v2.0/find`, { method: 'POST', body, headers: { authorization: AUTH } });
      assert.equal(answer.status, 200);
      assert.match(answer.body, /<ExternalID>X<\/ExternalID>/);
      // A service without a handler answers 404 (after authentication).
      const list = buildFetchListRequest({ query: '*', searchBy: 'TEXT', langCode: 'EN', numToReturn: 5 });
      assert.equal((await call(`${url}/list/v1.2/fetch`, { method: 'POST', body: list, headers: { authorization: AUTH } })).status, 404);
    } finally {
      await connector.close();
    }
  });

  test('custom paths, and a fallback for other paths (without Basic auth)', async () => {
    const connector = createConnector({
      credentials: { userName: USER, password: PASSWORD },
      transport: 'http',
      paths: { notification: '/hooks/notify' },
      handlers: { notification: () => undefined },
      fallback: (_req, res) => {
        res.writeHead(204, { 'content-length': '0' });
        res.end();
      },
    });
    const { url } = await connector.listen(0, '127.0.0.1');
    try {
      const body = buildNotification({ eventType: 'Report Entered Expense Report Workflow Step - SUBMIT', objectType: 'EXPRPT', objectUri: 'https://x.example/r/1', eventDateTime: '2026-01-02' });
      assert.equal((await call(`${url}/hooks/notify`, { method: 'POST', body, headers: { authorization: AUTH } })).status, 200);
      assert.equal((await call(`${url}/hooks/notify`, { method: 'POST', body })).status, 401);
      assert.equal((await call(`${url}/my/page`)).status, 204);
      assert.deepEqual(connector.paths.notification, '/hooks/notify');
    } finally {
      await connector.close();
    }
  });
});
