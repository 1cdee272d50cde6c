/**
 * Fetch Attendee, Fetch List and Launch External URL over real HTTPS against a connector, on SQLite and
 * PostgreSQL: configuration (attendee types bound to a connector, v2.0 endpoints only, list and Launch URL
 * fields), the exact bytes patchbay sends, validation of what comes back, the request's attendees and list
 * values, the signed launch and its one-time code, the call log and the metrics.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { verifyLeuSignature } from '@patchbay/callout-xml';
import { createDevCa, startFakeConnector, type FakeConnector, type RecordedRequest } from '../support/tls-fixture.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { signIn, type ApiClient } from '../support/api-client.ts';
import { storeSuites } from '../support/stores.ts';
import { travelerAndManager } from '../support/ess-fixtures.ts';
import { createApplication } from '../../src/identity/applications.ts';

const USER = 'Concur-Connector-User';
const PASSWORD = 'Sup3r-Secret-Passw0rd!';
const REDIRECT = 'https://localhost/leu/redirect';

type Route = (request: RecordedRequest, response: ServerResponse) => void;

const xml = (response: ServerResponse, body: string, status = 200) => {
  response.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  response.end(body);
};

const attendeeXml = (externalId: string, firstName: string, lastName: string, extra: Record<string, string> = {}) => {
  const fields: Array<[string, string]> = [
    ['ExternalID', externalId], ['FirstName', firstName], ['MiddleInitial', ''], ['LastName', lastName], ['Suffix', ''],
    ['Company', extra.Company ?? 'Len Dev'], ['AttendeeTypeCode', 'BUSGUEST'], ['Title', extra.Title ?? 'CFO'],
    ...Array.from({ length: 25 }, (_, i): [string, string] => [`Custom${i + 1}`, extra[`Custom${i + 1}`] ?? '']),
  ];
  return `<Attendee>${fields.map(([name, value]) => (value === '' ? `<${name}/>` : `<${name}>${value}</${name}>`)).join('')}</Attendee>`;
};

const CITIES: Record<string, Array<[string, string]>> = {
  '': [['US', 'United States'], ['CA', 'Canada']],
  US: [['W', 'West'], ['E', 'East']],
  'US-W': [['CA', 'California'], ['WA', 'Washington']],
  'US-W-CA': [['SF', 'San Francisco'], ['SD', 'San Diego'], ['LA', 'Los Angeles']],
};

/** A small Fetch List implementation: levels from `code-by-level`, `*` wildcards, TEXT or CODE. */
function listAnswer(body: string): string {
  const pick = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1] ?? '';
  const longCode = pick('long-code');
  const query = pick('query');
  const byCode = pick('search-by') === 'CODE';
  const pattern = new RegExp(`^${query.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  const items = (CITIES[longCode] ?? []).filter(([code, text]) => (byCode ? code === query : pattern.test(text)));
  const code = (short: string) => (longCode === '' ? short : `${longCode}-${short}`);
  return `<?xml version="1.0" encoding="utf-8"?><fetch-list-response>${items.map(([short, text]) => `<item><code>${code(short)}</code><short-code>${short}</short-code><text>${text}</text><match-value>${byCode ? short : text}</match-value></item>`).join('')}</fetch-list-response>`;
}

for (const { kind, skip } of await storeSuites()) {
  describe(`callouts: Fetch Attendee, Fetch List, Launch External URL [${kind.name}]`, { skip }, () => {
    let server: TestServer;
    let connector: FakeConnector;
    let admin: ApiClient;
    let traveler: ApiClient;
    let connectorId: string;
    let requestId: string;
    let travelerLogin: string;
    let attendeeRoute: Route;
    let app: { id: string; secret: string };
    const company = () => `/api/companies/${server.companyId}`;

    before(async () => {
      const ca = await createDevCa();
      server = await startTestServer({ extraCa: ca.caCert, database: await kind.create(), env: { PATCHBAY_FETCH_ATTENDEE_TIMEOUT_MS: '1500' } });
      await server.addSafeHost('localhost');
      connector = await startFakeConnector({
        tls: ca.issue(['localhost', '127.0.0.1']),
        userName: USER,
        password: PASSWORD,
        route: (request, response) => {
          if (request.path === '/concur/attendee/v2.0/fetch') attendeeRoute(request, response);
          else if (request.path === '/concur/list/v1.2/fetch') xml(response, listAnswer(request.body.toString('utf8')));
          else xml(response, '<error/>', 404);
        },
      });
      admin = await signIn(server.url, await server.addUser(server.companyId, ['REQUEST_ADMIN']));
      const { traveler: travelerCredentials } = await travelerAndManager(server);
      travelerLogin = travelerCredentials.loginId.toLowerCase();
      traveler = await signIn(server.url, travelerCredentials);
      const created = await server.patchbay.store.transaction((trx) =>
        createApplication(trx, null, { name: 'LEU app', grants: ['authorization_code', 'refresh_token', 'password', 'client_credentials'], scopes: ['travelrequest.write'], redirectUris: [REDIRECT] }),
      );
      app = { id: created.application.id, secret: created.clientSecret };

      const registered = await admin.post(`${company()}/connectors`, { name: 'CRM connector', description: 'Attendees and lists', hostName: connector.url, userName: USER, password: PASSWORD });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      connectorId = registered.body.id;
      const tested = await admin.post(`${company()}/connectors/${connectorId}/test-connection`);
      assert.equal(tested.body.result.ok, true, JSON.stringify(tested.body));
      for (const code of ['BUSGUEST', 'SPOUSE']) {
        const type = await admin.put(`${company()}/attendee-types/${code}`, { name: code === 'BUSGUEST' ? 'Business guest' : 'Spouse', allowsManual: true });
        assert.equal(type.status, 200, JSON.stringify(type.body));
      }
      const request = await traveler.post(`${company()}/requests`, { name: 'Customer visit', businessPurpose: 'Sales' });
      assert.equal(request.status, 201, JSON.stringify(request.body));
      requestId = request.body.id;
    });
    after(async () => {
      await connector?.close();
      await server?.close();
    });
    beforeEach(() => {
      connector.requests.length = 0;
      attendeeRoute = (_request, response) => xml(response, `<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse>${attendeeXml('ATT-1', 'Chris', 'Miller')}</AttendeeSearchResponse>`);
    });

    const configure = (service: string, body: Record<string, unknown>) => admin.put(`${company()}/connectors/${connectorId}/services/${service}`, body);
    const search = (body: Record<string, unknown>) => traveler.post(`${company()}/requests/${requestId}/attendee-search`, body);

    test('a Fetch Attendee endpoint without v2.0 is refused at configuration, with the reason', async () => {
      const refused = await configure('fetch-attendee', { endpoint: '/concur/attendee/v1.0/fetch', active: true, settings: { attendeeTypes: ['BUSGUEST'] } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.field, 'endpoint');
      assert.match(refused.body.error.message, /v2\.0/);
      assert.match(refused.body.error.message, /version 1\.0/);
    });

    test('attendee types bound to the connector stop allowing manual attendees', async () => {
      const unknown = await configure('fetch-attendee', { endpoint: '/concur/attendee/v2.0/fetch', active: true, settings: { attendeeTypes: ['NOPE'] } });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /Unknown attendee type NOPE/);
      const configured = await configure('fetch-attendee', { endpoint: '/concur/attendee/v2.0/fetch', active: true, settings: { attendeeTypes: ['BUSGUEST'] } });
      assert.equal(configured.status, 200, JSON.stringify(configured.body));
      const types = await traveler.get(`${company()}/attendee-types`);
      assert.deepEqual(types.body.items.find((t: any) => t.code === 'BUSGUEST'), { code: 'BUSGUEST', name: 'Business guest', allowsManual: false, connectorId });
      assert.equal(types.body.items.find((t: any) => t.code === 'SPOUSE').allowsManual, true);
      const switchBack = await admin.put(`${company()}/attendee-types/BUSGUEST`, { name: 'Business guest', allowsManual: true });
      assert.equal(switchBack.status, 400);
      const manual = await traveler.post(`${company()}/requests/${requestId}/attendees`, { attendeeTypeCode: 'BUSGUEST', firstName: 'Forged', lastName: 'Guest' });
      assert.equal(manual.status, 400);
      assert.match(manual.body.error.message, /cannot be entered by hand/);
    });

    test('an attendee search posts every field in the documented order, with Basic auth and a Content-Length', async () => {
      const found = await search({ attendeeTypeCode: 'BUSGUEST', firstName: 'Chris', lastName: 'Miller', title: 'CFO', company: 'Len Dev', custom7: 'LIC-9', maximumNumberRecords: 25 });
      assert.equal(found.status, 200, JSON.stringify(found.body));
      assert.equal(found.body.items.length, 1);
      assert.equal(found.body.items[0].externalId, 'ATT-1');
      assert.equal(found.body.items[0].custom25, '');
      const [sent] = connector.requests;
      assert.ok(sent);
      const customs = Array.from({ length: 25 }, (_, i) => (i === 6 ? '<Custom7>LIC-9</Custom7>' : `<Custom${i + 1}></Custom${i + 1}>`)).join('');
      const expected =
        '<AttendeeSearchRequest><Attendee><AttendeeTypeCode>BUSGUEST</AttendeeTypeCode><FirstName>Chris</FirstName><MiddleInitial></MiddleInitial>' +
        '<LastName>Miller</LastName><Suffix></Suffix><Title>CFO</Title><Company>Len Dev</Company><ExternalID></ExternalID>' +
        `<OwnerLoginID>${travelerLogin}</OwnerLoginID><MaximumNumberRecords>25</MaximumNumberRecords>${customs}</Attendee></AttendeeSearchRequest>`;
      assert.equal(sent.body.toString('utf8').replace(/<(\w+)\/>/g, '<$1></$1>'), expected);
      assert.equal(sent.method, 'POST');
      assert.equal(sent.path, '/concur/attendee/v2.0/fetch');
      assert.equal(sent.headers['content-type'], 'application/xml; charset=utf-8');
      assert.equal(sent.headers['content-length'], String(sent.body.length));
      assert.equal(sent.headers['transfer-encoding'], undefined);
      assert.equal(sent.headers.authorization, `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    });

    test('an empty root is zero results', async () => {
      attendeeRoute = (_request, response) => xml(response, '<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse/>');
      const found = await search({ attendeeTypeCode: 'BUSGUEST', lastName: 'Nobody' });
      assert.equal(found.status, 200);
      assert.deepEqual(found.body.items, []);
    });

    test('more results than asked for tells the user to refine the search', async () => {
      attendeeRoute = (_request, response) => xml(response, `<AttendeeSearchResponse>${Array.from({ length: 6 }, (_, i) => attendeeXml(`A${i}`, 'Ann', `Lee${i}`)).join('')}</AttendeeSearchResponse>`);
      const found = await search({ attendeeTypeCode: 'BUSGUEST', lastName: 'Lee', maximumNumberRecords: 5 });
      assert.equal(found.status, 422);
      assert.equal(found.body.error.code, 'search_too_broad');
      assert.match(found.body.error.message, /Refine the search/);
    });

    test('a connector failure gives a clear message and is not retried', async () => {
      attendeeRoute = (_request, response) => xml(response, '<html><body>Internal error</body></html>', 500);
      const failed = await search({ attendeeTypeCode: 'BUSGUEST', lastName: 'Miller' });
      assert.equal(failed.status, 502);
      assert.equal(failed.body.error.code, 'connector_failed');
      assert.match(failed.body.error.message, /HTTP 500/);
      assert.equal(connector.requests.length, 1);

      attendeeRoute = (_request, response) => xml(response, `<AttendeeSearchResponse><Attendee><FirstName>No</FirstName><LastName>Id</LastName></Attendee></AttendeeSearchResponse>`);
      const invalid = await search({ attendeeTypeCode: 'BUSGUEST', lastName: 'Id' });
      assert.equal(invalid.status, 502);
      assert.match(invalid.body.error.message, /ExternalID/);

      attendeeRoute = () => {}; // never answers
      const slow = await search({ attendeeTypeCode: 'BUSGUEST', lastName: 'Slow' });
      assert.equal(slow.status, 502);
      assert.match(slow.body.error.message, /within 1500 ms/);
      assert.equal(connector.requests.length, 3);
    });

    test('adding a found attendee stores what the connector holds for its ExternalID', async () => {
      attendeeRoute = (request, response) => {
        assert.match(request.body.toString('utf8'), /<ExternalID>ATT-7<\/ExternalID>/);
        xml(response, `<AttendeeSearchResponse>${attendeeXml('ATT-7', 'Dana', 'Scully', { Company: 'FBI' })}</AttendeeSearchResponse>`);
      };
      const added = await traveler.post(`${company()}/requests/${requestId}/attendees`, { attendeeTypeCode: 'BUSGUEST', externalId: 'ATT-7' });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.lastName, 'Scully');
      assert.equal(added.body.company, 'FBI');
      assert.equal(added.body.connectorId, connectorId);
      const manual = await traveler.post(`${company()}/requests/${requestId}/attendees`, { attendeeTypeCode: 'SPOUSE', firstName: 'Pat', lastName: 'Doe' });
      assert.equal(manual.status, 201);
      assert.equal(manual.body.externalId, null);
      const listed = await traveler.get(`${company()}/requests/${requestId}/attendees`);
      assert.deepEqual(listed.body.items.map((a: any) => a.lastName), ['Scully', 'Doe']);
      const removed = await traveler.delete(`${company()}/requests/${requestId}/attendees/${manual.body.id}`);
      assert.equal(removed.status, 204);
    });

    test('a connected list field searches level by level, then the chosen item is confirmed by its code and stored', async () => {
      const listService = await configure('fetch-list', { endpoint: '/concur/list/v1.2/fetch', active: true, settings: { lists: [{ name: 'Destinations', category: 'Locations', languageCode: 'en', connectedListLevel: 4 }] } });
      assert.equal(listService.status, 200, JSON.stringify(listService.body));
      const field = await admin.put(`${company()}/form-fields/custom1`, { label: 'Destination', kind: 'LIST', connectorId, listName: 'destinations' });
      assert.equal(field.status, 200, JSON.stringify(field.body));
      assert.equal(field.body.list.levels, 4);

      const fieldSearch = (body: Record<string, unknown>) => traveler.post(`${company()}/requests/${requestId}/fields/custom1/search`, body);
      const countries = await fieldSearch({ query: '', parentCodes: [] });
      assert.deepEqual(countries.body.items.map((i: any) => i.code), ['US', 'CA']);
      const cities = await fieldSearch({ query: 'San*', parentCodes: ['US', 'W', 'CA'], limit: 80 });
      assert.equal(cities.status, 200, JSON.stringify(cities.body));
      assert.deepEqual(cities.body.items.map((i: any) => i.code), ['US-W-CA-SF', 'US-W-CA-SD']);
      const sent = connector.requests.at(-1)!.body.toString('utf8');
      assert.equal(
        sent,
        '<?xml version="1.0" ?><fetch-list-request><long-code>US-W-CA</long-code><short-code>CA</short-code><query>San*</query>' +
          '<search-by>TEXT</search-by><lang-code>EN</lang-code><num-to-return>80</num-to-return><protected-list-key/>' +
          '<list-name/><connector-version/><config-options/>' +
          '<code-by-level><level1>US</level1><level2>W</level2><level3>CA</level3></code-by-level></fetch-list-request>',
      );
      assert.equal(connector.requests.at(-1)!.headers['content-type'], 'application/xml; charset=utf-8');

      const tooDeep = await fieldSearch({ query: '*', parentCodes: ['US', 'W', 'CA', 'SF'] });
      assert.equal(tooDeep.status, 400);

      const chosen = await traveler.put(`${company()}/requests/${requestId}/fields/custom1/choice`, { codeByLevel: ['US', 'W', 'CA', 'SF'] });
      assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
      assert.deepEqual(chosen.body, { field: 'custom1', code: 'US-W-CA-SF', value: 'San Francisco' });
      assert.match(connector.requests.at(-1)!.body.toString('utf8'), /<query>SF<\/query><search-by>CODE<\/search-by>.*<num-to-return>1<\/num-to-return>/);
      const request = await traveler.get(`${company()}/requests/${requestId}`);
      assert.deepEqual(request.body.custom1, { code: 'US-W-CA-SF', value: 'San Francisco' });

      const unknown = await traveler.put(`${company()}/requests/${requestId}/fields/custom1/choice`, { codeByLevel: ['US', 'W', 'CA', 'XX'] });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /does not know the item US-W-CA-XX/);
    });

    test('a Launch URL field opens a signed URL whose one-time code the connector exchanges for the user\'s token', async () => {
      const leu = await configure('launch-external-url', { endpoint: '/request/launchexternalurl/v4/form', active: true, settings: { version: 'V4', clientId: app.id, redirectUrl: REDIRECT } });
      assert.equal(leu.status, 200, JSON.stringify(leu.body));
      const field = await admin.put(`${company()}/form-fields/custom2`, { label: 'Cost object', kind: 'LAUNCH_URL', connectorId, popupWidth: 500, popupHeight: 420 });
      assert.equal(field.status, 200, JSON.stringify(field.body));
      const launched = await traveler.post(`${company()}/requests/${requestId}/fields/custom2/launch`);
      assert.equal(launched.status, 200, JSON.stringify(launched.body));
      assert.equal(launched.body.width, 500);
      assert.equal(launched.body.height, 420);
      const url = new URL(launched.body.url);
      assert.equal(`${url.origin}${url.pathname}`, `${connector.url}/request/launchexternalurl/v4/form`);
      const params = Object.fromEntries(url.searchParams);
      assert.deepEqual(Object.keys(params), [
        'company_domain', 'logged_in_user_id', 'request_owner_user_id', 'request_owner_employee_id', 'item_url', 'custom_field_launched_from',
        'source', 'is_mobile', 'nonce', 'signature', 'client_auth_code', 'language_code',
      ]);
      assert.equal(params.company_domain, 'example.test');
      assert.equal(params.item_url, `${server.url}/travelrequest/v4/requests/${requestId}`);
      assert.equal(params.custom_field_launched_from, 'custom2');
      assert.equal(params.source, 'HEADER');
      assert.match(params.nonce!, /^[0-9a-f-]{36}$/);
      const verified = verifyLeuSignature(url.search, { username: USER, password: PASSWORD });
      assert.equal(verified.ok, true, JSON.stringify(verified));
      assert.equal(verifyLeuSignature(url.search, { username: USER, password: 'another-password' }).ok, false);

      const exchange = (code: string) =>
        fetch(`${server.url}/oauth2/v0/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'authorization_code', client_id: app.id, client_secret: app.secret, redirect_uri: REDIRECT, code }).toString(),
        });
      const first = await exchange(params.client_auth_code!);
      assert.equal(first.status, 200);
      const token = (await first.json()) as { access_token: string };
      const read = await fetch(params.item_url!, { headers: { authorization: `Bearer ${token.access_token}` } });
      assert.equal(read.status, 200);
      const again = await exchange(params.client_auth_code!);
      assert.equal(again.status, 400);

      const second = new URL((await traveler.post(`${company()}/requests/${requestId}/fields/custom2/launch`)).body.url);
      assert.notEqual(second.searchParams.get('nonce'), params.nonce);
    });

    test('only the owner may launch, search or change a request\'s attendees and fields', async () => {
      const other = await signIn(server.url, await server.addUser(server.companyId, ['EMPLOYEE']));
      for (const [method, path, body] of [
        ['POST', `/requests/${requestId}/attendee-search`, { attendeeTypeCode: 'BUSGUEST' }],
        ['POST', `/requests/${requestId}/fields/custom2/launch`, undefined],
        ['POST', `/requests/${requestId}/fields/custom1/search`, { query: '*', parentCodes: [] }],
      ] as const) {
        const answer = await other.request(method, `${company()}${path}`, body);
        assert.equal(answer.status, 403, `${path}: ${JSON.stringify(answer.body)}`);
      }
      const outsider = await server.addCompany({ edition: 'PROFESSIONAL', developmentPartner: true, roles: ['REQUEST_ADMIN'] });
      const foreign = await signIn(server.url, outsider.user);
      const answer = await foreign.post(`${company()}/requests/${requestId}/attendee-search`, { attendeeTypeCode: 'BUSGUEST' });
      assert.equal(answer.status, 404);
    });

    test('every call is in the company\'s call log without credentials, and counted in /metrics', async () => {
      await search({ attendeeTypeCode: 'BUSGUEST', lastName: 'Miller' });
      const log = await admin.get(`${company()}/callouts?limit=200`);
      assert.equal(log.status, 200, JSON.stringify(log.body));
      const services = new Set(log.body.items.map((call: any) => call.service));
      assert.ok(services.has('fetch-attendee') && services.has('fetch-list'), JSON.stringify([...services]));
      const outcomes = new Set(log.body.items.map((call: any) => call.outcome));
      for (const outcome of ['ok', 'http_500', 'too-many-results', 'timeout']) assert.ok(outcomes.has(outcome), `${outcome} in ${[...outcomes].join(', ')}`);
      const latest = log.body.items[0];
      assert.equal(latest.service, 'fetch-attendee');
      assert.match(latest.requestExcerpt, /<AttendeeSearchRequest>/);
      assert.match(latest.responseExcerpt, /<AttendeeSearchResponse>/);
      assert.ok(!JSON.stringify(log.body).includes(PASSWORD));
      const attendeeOnly = await admin.get(`${company()}/callouts?service=fetch-list`);
      assert.ok(attendeeOnly.body.items.every((call: any) => call.service === 'fetch-list'));
      const denied = await traveler.get(`${company()}/callouts`);
      assert.equal(denied.status, 403);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /patchbay_callouts_total\{service="fetch-attendee",outcome="ok"\} \d+/);
      assert.match(metrics, /patchbay_callout_duration_seconds_count\{service="fetch-list"\} \d+/);
    });
  });
}
