// Fetch Attendee, Fetch List and Test Connection over real HTTPS with Basic auth, with the requests built and
// the answers parsed by @patchbay/callout-xml (what patchbay itself sends and reads).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAttendeeSearchRequest,
  buildFetchListRequest,
  parseAttendeeSearchRequest,
  parseAttendeeSearchResponse,
  parseFetchListResponse,
} from '@patchbay/callout-xml';
import type { AttendeeSearchCriteriaInput, FetchListRequestInput } from '@patchbay/callout-xml';
import { ATTENDEES, createSampleConnector, searchAttendees } from '../src/index.ts';
import type { DemoAttendee, SampleConnector } from '../src/index.ts';
import { CLIENT_ID, CLIENT_SECRET, PASSWORD, REDIRECT_URI, USER_NAME, basic, call, temporaryCertificates } from './support.ts';

describe('callouts', () => {
  let certificates: Awaited<ReturnType<typeof temporaryCertificates>>;
  let sample: SampleConnector;
  let base: string;

  before(async () => {
    certificates = await temporaryCertificates();
    sample = createSampleConnector({
      credentials: { userName: USER_NAME, password: PASSWORD },
      tls: { cert: certificates.cert, key: certificates.key },
      // Callouts never call patchbay back; nothing listens here.
      patchbay: { baseUrl: 'http://127.0.0.1:9', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI },
    });
    base = (await sample.listen(0, '127.0.0.1')).url.replace('127.0.0.1', 'localhost');
  });

  after(async () => {
    await sample.close();
    await certificates.cleanup();
  });

  function post(path: string, xml: string, authorization = basic()) {
    return call(`${base}${path}`, { method: 'POST', body: xml, ca: certificates.caCert, headers: { authorization, 'content-type': 'application/xml; charset=utf-8' } });
  }

  async function attendees(criteria: Partial<AttendeeSearchCriteriaInput>) {
    const answer = await post('/attendee/v2.0/find', buildAttendeeSearchRequest({ ownerLoginId: 'eli@demo.patchbay.dev', maximumNumberRecords: 100, ...criteria }));
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers['content-type'], 'application/xml; charset=utf-8');
    const parsed = parseAttendeeSearchResponse(answer.body, { maxRecords: criteria.maximumNumberRecords ?? 100 });
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    return parsed.attendees;
  }

  async function list(request: Partial<FetchListRequestInput>) {
    const input: FetchListRequestInput = { query: '*', searchBy: 'TEXT', langCode: 'EN', numToReturn: 80, ...request };
    const answer = await post('/list/v1.2/fetch', buildFetchListRequest(input));
    assert.equal(answer.status, 200, answer.body);
    const parsed = parseFetchListResponse(answer.body, input);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    return parsed.items;
  }

  test('Test Connection answers 200 with the credentials and 401 without them, trusting the development CA', async () => {
    assert.equal((await call(`${base}/system/v1.0/testconnection`, { ca: certificates.caCert, headers: { authorization: basic() } })).status, 200);
    assert.equal((await call(`${base}/system/v1.0/testconnection`, { ca: certificates.caCert })).status, 401);
    assert.equal((await call(`${base}/system/v1.0/testconnection`, { ca: certificates.caCert, headers: { authorization: basic(USER_NAME, 'wrong password!') } })).status, 401);
    const refused = await post('/attendee/v2.0/find', buildAttendeeSearchRequest({ ownerLoginId: 'x', maximumNumberRecords: 5, lastName: 'Miller' }), basic(USER_NAME, 'not the password'));
    assert.equal(refused.status, 401);
  });

  test('Fetch Attendee combines the criteria with AND', async () => {
    const millers = await attendees({ lastName: 'Miller' });
    assert.deepEqual(millers.map((a) => `${a.firstName} ${a.lastName}`).sort(), ['Chris Miller', 'Maria Miller']);
    const spouses = await attendees({ lastName: 'miller', attendeeTypeCode: 'SPOUSE' });
    assert.deepEqual(spouses.map((a) => a.externalId), ['SP-2001']);
    assert.deepEqual(await attendees({ lastName: 'Miller', attendeeTypeCode: 'SPOUSE', firstName: 'Chris' }), []);
  });

  test('names match by prefix (ignoring case and accents), company anywhere, codes exactly', async () => {
    const mil = await attendees({ lastName: 'mil' });
    assert.deepEqual(mil.map((a) => a.lastName).sort(), ['Miller', 'Miller', 'Millward']);
    assert.deepEqual((await attendees({ lastName: 'garcia' })).map((a) => a.lastName), ['García']);
    assert.deepEqual((await attendees({ lastName: 'iller' })), [], 'not a substring match on names');
    const contoso = await attendees({ company: 'contoso' });
    assert.deepEqual(contoso.map((a) => a.externalId).sort(), ['BG-1010', 'BG-1016']);
    assert.deepEqual((await attendees({ externalId: 'BG-1004' })).map((a) => a.lastName), ['Raman']);
    assert.deepEqual(await attendees({ externalId: 'BG-100' }), [], 'the external id is not a prefix match');
    assert.deepEqual(await attendees({ attendeeTypeCode: 'HCPX' }), []);
  });

  test('healthcare professionals come with their HCP custom fields', async () => {
    const [goldberg, ...others] = await attendees({ attendeeTypeCode: 'HCP', custom8: 'CA' });
    assert.equal(others.length, 0);
    assert.equal(goldberg?.lastName, 'Goldberg');
    assert.equal(goldberg?.suffix, 'MD');
    assert.equal(goldberg?.custom7, 'A123456');
    assert.equal(goldberg?.custom9, 'Cardiovascular Disease');
    assert.equal(goldberg?.custom14, '1902837465');
    assert.equal(goldberg?.custom21, '207RC0000X');
    assert.equal((await attendees({ attendeeTypeCode: 'HCP' })).length, 8);
  });

  test('results are capped at MaximumNumberRecords, and at 100 whatever it says', async () => {
    assert.equal((await attendees({ maximumNumberRecords: 3 })).length, 3);
    assert.equal((await attendees({ attendeeTypeCode: 'BUSGUEST', maximumNumberRecords: 500 })).length, 22);
    assert.equal((await attendees({ maximumNumberRecords: 500 })).length, ATTENDEES.length);
    const many: DemoAttendee[] = Array.from({ length: 150 }, (_, i) => ({ externalId: `X-${i}`, firstName: 'Pat', lastName: `Doe${String(i).padStart(3, '0')}` }));
    const criteria = parseAttendeeSearchRequest(buildAttendeeSearchRequest({ ownerLoginId: 'x', maximumNumberRecords: 500, firstName: 'pat' }));
    assert.ok(criteria.ok);
    assert.equal(searchAttendees(criteria.criteria, many).length, 100);
  });

  test('Fetch List walks the three levels: countries, then regions, then cities', async () => {
    const countries = await list({});
    assert.deepEqual(countries.map((i) => i.code), ['FR', 'DE', 'GB', 'US']);
    const regions = await list({ codeByLevel: ['US'] });
    assert.deepEqual(regions.map((i) => `${i.code} ${i.text}`), ['US-MW Midwest', 'US-NE Northeast', 'US-S South', 'US-W West']);
    const cities = await list({ codeByLevel: ['US', 'W'], query: 'San*' });
    assert.deepEqual(cities, [
      { code: 'US-W-SD', shortCode: 'SD', text: 'San Diego', matchValue: 'San Diego' },
      { code: 'US-W-SF', shortCode: 'SF', text: 'San Francisco', matchValue: 'San Francisco' },
    ]);
    assert.deepEqual(await list({ codeByLevel: ['US', 'W', 'SF'] }), [], 'cities have no children');
    assert.deepEqual(await list({ codeByLevel: ['XX'] }), [], 'an unknown parent has no items');
  });

  test('wildcards: * alone, starts with, ends with, contains; accents and case do not matter', async () => {
    assert.equal((await list({ codeByLevel: ['US', 'S'], query: '*' })).length, 5);
    assert.deepEqual((await list({ codeByLevel: ['US', 'W'], query: '*o' })).map((i) => i.shortCode), ['SD', 'SF']);
    assert.deepEqual((await list({ codeByLevel: ['DE', 'W'], query: '*f*' })).map((i) => i.text), ['Düsseldorf', 'Frankfurt am Main']);
    assert.deepEqual((await list({ codeByLevel: ['DE', 'S'], query: 'munchen' })).map((i) => i.code), ['DE-S-MUC']);
    assert.deepEqual(await list({ codeByLevel: ['DE', 'S'], query: 'Münch' }), [], 'without * the whole text must match');
  });

  test('search by CODE is the one-to-one match: the short code or the full code', async () => {
    assert.deepEqual(await list({ codeByLevel: ['US', 'W'], query: 'SF', searchBy: 'CODE' }), [{ code: 'US-W-SF', shortCode: 'SF', text: 'San Francisco', matchValue: 'SF' }]);
    assert.deepEqual((await list({ codeByLevel: ['US', 'W'], query: 'US-W-SF', searchBy: 'CODE' })).map((i) => [i.code, i.matchValue]), [['US-W-SF', 'US-W-SF']]);
    assert.deepEqual(await list({ codeByLevel: ['US', 'W'], query: 'San Francisco', searchBy: 'CODE' }), []);
    assert.deepEqual((await list({ query: 'us', searchBy: 'CODE' })).map((i) => i.code), ['US']);
  });

  test('Fetch List answers at most num-to-return items', async () => {
    assert.deepEqual((await list({ codeByLevel: ['US', 'S'], numToReturn: 2 })).map((i) => i.text), ['Atlanta', 'Austin']);
  });
});
