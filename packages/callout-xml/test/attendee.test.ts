/**
 * Fetch Attendee v2.0: the exact request bytes (the spec's example, every field, documented order), the
 * response's validation (required values, maximum lengths, the 100 / MaximumNumberRecords caps, the empty
 * root), round trips, and the version chosen from the endpoint path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTENDEE_RESULT_LIMIT,
  attendeeVersionFromEndpoint,
  buildAttendeeSearchRequest,
  buildAttendeeSearchResponse,
  CalloutContractError,
  parseAttendeeSearchRequest,
  parseAttendeeSearchResponse,
} from '../src/index.ts';
import type { AttendeeInput } from '../src/index.ts';

// The spec's request example (§1), with `<Custom1/> … <Custom25/>` written out: no declaration, no
// namespace, every element present in the documented order, blanks as empty elements.
const SPEC_REQUEST =
  '<AttendeeSearchRequest><Attendee>' +
  '<AttendeeTypeCode>BUSGUEST</AttendeeTypeCode><FirstName>Chris</FirstName><MiddleInitial/>' +
  '<LastName>Miller</LastName><Suffix/><Title>CFO</Title><Company>Len Dev</Company><ExternalID/>' +
  '<OwnerLoginID>cm@example.com</OwnerLoginID><MaximumNumberRecords>500</MaximumNumberRecords>' +
  '<Custom1/><Custom2/><Custom3/><Custom4/><Custom5/><Custom6/><Custom7/><Custom8/><Custom9/><Custom10/>' +
  '<Custom11/><Custom12/><Custom13/><Custom14/><Custom15/><Custom16/><Custom17/><Custom18/><Custom19/><Custom20/>' +
  '<Custom21/><Custom22/><Custom23/><Custom24/><Custom25/>' +
  '</Attendee></AttendeeSearchRequest>';

test("the request for the spec's example is byte for byte the spec's request", () => {
  const xml = buildAttendeeSearchRequest({
    attendeeTypeCode: 'BUSGUEST',
    firstName: 'Chris',
    lastName: 'Miller',
    title: 'CFO',
    company: 'Len Dev',
    ownerLoginId: 'cm@example.com',
    maximumNumberRecords: 500,
  });
  assert.equal(xml, SPEC_REQUEST);
});

test('every field is placed in the documented order, custom fields included, values escaped', () => {
  const xml = buildAttendeeSearchRequest({
    attendeeTypeCode: 'SPEAKER',
    firstName: 'Ann',
    middleInitial: 'B',
    lastName: "O'Neil & Sons",
    suffix: 'Jr.',
    title: 'Dr',
    company: '<Acme>',
    externalId: 'X-1',
    ownerLoginId: 'owner@example.com',
    maximumNumberRecords: 25,
    custom7: 'LIC-7',
    custom25: 'twenty-five',
  });
  assert.equal(
    xml,
    '<AttendeeSearchRequest><Attendee>' +
      '<AttendeeTypeCode>SPEAKER</AttendeeTypeCode><FirstName>Ann</FirstName><MiddleInitial>B</MiddleInitial>' +
      '<LastName>O&apos;Neil &amp; Sons</LastName><Suffix>Jr.</Suffix><Title>Dr</Title><Company>&lt;Acme&gt;</Company>' +
      '<ExternalID>X-1</ExternalID><OwnerLoginID>owner@example.com</OwnerLoginID><MaximumNumberRecords>25</MaximumNumberRecords>' +
      '<Custom1/><Custom2/><Custom3/><Custom4/><Custom5/><Custom6/><Custom7>LIC-7</Custom7><Custom8/><Custom9/><Custom10/>' +
      '<Custom11/><Custom12/><Custom13/><Custom14/><Custom15/><Custom16/><Custom17/><Custom18/><Custom19/><Custom20/>' +
      '<Custom21/><Custom22/><Custom23/><Custom24/><Custom25>twenty-five</Custom25>' +
      '</Attendee></AttendeeSearchRequest>',
  );
});

test('the request builder enforces the request maximum lengths, the owner and the maximum', () => {
  const base = { ownerLoginId: 'o@example.com', maximumNumberRecords: 10 };
  assert.doesNotThrow(() => buildAttendeeSearchRequest({ ...base, externalId: 'x'.repeat(48), custom25: 'x'.repeat(100) }));
  for (const [field, max] of [
    ['attendeeTypeCode', 8], ['firstName', 50], ['middleInitial', 1], ['lastName', 132], ['suffix', 32],
    ['title', 32], ['company', 150], ['externalId', 48], ['custom1', 100], ['custom25', 100],
  ] as const) {
    assert.doesNotThrow(() => buildAttendeeSearchRequest({ ...base, [field]: 'é'.repeat(max) }), field);
    assert.throws(() => buildAttendeeSearchRequest({ ...base, [field]: 'x'.repeat(max + 1) }), CalloutContractError, field);
  }
  assert.throws(() => buildAttendeeSearchRequest({ ...base, ownerLoginId: '' }), /ownerLoginId/);
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => buildAttendeeSearchRequest({ ...base, maximumNumberRecords: bad }), /maximumNumberRecords/);
  }
  // Characters XML cannot carry are dropped (and not counted).
  assert.match(buildAttendeeSearchRequest({ ...base, middleInitial: '\u0001Q' }), /<MiddleInitial>Q<\/MiddleInitial>/);
});

test('the connector side parses the request back to what was built', () => {
  const parsed = parseAttendeeSearchRequest(SPEC_REQUEST);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.equal(parsed.criteria.attendeeTypeCode, 'BUSGUEST');
  assert.equal(parsed.criteria.firstName, 'Chris');
  assert.equal(parsed.criteria.middleInitial, '');
  assert.equal(parsed.criteria.ownerLoginId, 'cm@example.com');
  assert.equal(parsed.criteria.maximumNumberRecords, 500);
  assert.equal(parsed.criteria.custom25, '');
  const again = buildAttendeeSearchRequest(parsed.criteria);
  assert.equal(again, SPEC_REQUEST);
  // Pretty-printed (as in the spec) and with a declaration, it reads the same.
  const pretty = `<?xml version="1.0" encoding="utf-8"?>\n${SPEC_REQUEST.replace(/></g, '>\n  <')}`;
  const prettyParsed = parseAttendeeSearchRequest(pretty);
  assert.ok(prettyParsed.ok, JSON.stringify(prettyParsed));
  assert.deepEqual(prettyParsed.criteria, parsed.criteria);
});

test('the connector side refuses requests that break the contract', () => {
  const cases: [string, RegExp][] = [
    [SPEC_REQUEST.replace('<Custom13/>', ''), /<Custom13> is missing/],
    [SPEC_REQUEST.replace('<OwnerLoginID>cm@example.com</OwnerLoginID>', '<OwnerLoginID/>'), /<OwnerLoginID> is empty/],
    [SPEC_REQUEST.replace('500', 'lots'), /MaximumNumberRecords> must be a positive integer/],
    [SPEC_REQUEST.replace('500', '0'), /positive integer/],
    [SPEC_REQUEST.replace('<MiddleInitial/>', '<MiddleInitial>AB</MiddleInitial>'), /<MiddleInitial> is 2 characters, more than 1/],
    [SPEC_REQUEST.replace('<Suffix/>', '<Suffix/><Suffix/>'), /<Suffix> appears more than once/],
    [SPEC_REQUEST.replace('<Suffix/>', '<Suffix><b/></Suffix>'), /must hold text/],
    ['<AttendeeSearchRequest/>', /<Attendee> is missing/],
    [SPEC_REQUEST.replace('</Attendee>', '</Attendee><Attendee/>'), /<Attendee> appears more than once/],
    ['<AttendeeSearchResponse/>', /root element is <AttendeeSearchResponse>, not <AttendeeSearchRequest>/],
  ];
  for (const [xml, reason] of cases) {
    const result = parseAttendeeSearchRequest(xml);
    assert.equal(result.ok, false, xml);
    if (!result.ok) {
      assert.equal(result.code, 'invalid');
      assert.match(result.reason, reason);
    }
  }
});

const ANN: AttendeeInput = { externalId: 'E-1', firstName: 'Ann', lastName: 'Lee', company: 'Acme', custom21: 'T1' };

test('the response: declaration, every element in the documented order, empty root for no matches', () => {
  assert.equal(buildAttendeeSearchResponse([]), '<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse/>');
  assert.equal(
    buildAttendeeSearchResponse([ANN]),
    '<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse><Attendee>' +
      '<ExternalID>E-1</ExternalID><FirstName>Ann</FirstName><MiddleInitial/><LastName>Lee</LastName><Suffix/>' +
      '<Company>Acme</Company><AttendeeTypeCode/><Title/>' +
      '<Custom1/><Custom2/><Custom3/><Custom4/><Custom5/><Custom6/><Custom7/><Custom8/><Custom9/><Custom10/>' +
      '<Custom11/><Custom12/><Custom13/><Custom14/><Custom15/><Custom16/><Custom17/><Custom18/><Custom19/><Custom20/>' +
      '<Custom21>T1</Custom21><Custom22/><Custom23/><Custom24/><Custom25/>' +
      '</Attendee></AttendeeSearchResponse>',
  );
});

test('responses round-trip, special characters included', () => {
  const attendees: AttendeeInput[] = [
    ANN,
    { externalId: 'E&2', firstName: 'Zoë', middleInitial: 'Q', lastName: '<O\'Brien "Jr">', suffix: 'III', title: 'CTO', attendeeTypeCode: 'BUSGUEST', custom20: 'x'.repeat(100) },
  ];
  const result = parseAttendeeSearchResponse(buildAttendeeSearchResponse(attendees), { maxRecords: 10 });
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.attendees.length, 2);
  assert.equal(result.attendees[0]!.company, 'Acme');
  assert.equal(result.attendees[0]!.custom21, 'T1');
  assert.equal(result.attendees[0]!.title, '');
  assert.equal(result.attendees[1]!.externalId, 'E&2');
  assert.equal(result.attendees[1]!.lastName, '<O\'Brien "Jr">');
  assert.equal(result.attendees[1]!.firstName, 'Zoë');
  assert.equal(result.attendees[1]!.custom20, 'x'.repeat(100));
  assert.deepEqual(Object.keys(result.attendees[0]!).length, 33);
});

test("an empty root is zero results, in the spec's form and others", () => {
  for (const xml of [
    '<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse/>',
    '<AttendeeSearchResponse></AttendeeSearchResponse>',
    '<AttendeeSearchResponse xmlns="urn:any">\n</AttendeeSearchResponse>',
  ]) {
    assert.deepEqual(parseAttendeeSearchResponse(xml, { maxRecords: 5 }), { ok: true, attendees: [] });
  }
});

function many(count: number): string {
  return buildAttendeeSearchResponse([]).replace(
    '<AttendeeSearchResponse/>',
    `<AttendeeSearchResponse>${'<Attendee><ExternalID>E</ExternalID><FirstName>F</FirstName><LastName>L</LastName></Attendee>'.repeat(count)}</AttendeeSearchResponse>`,
  );
}

test('more than 100, or more than MaximumNumberRecords, tells the user to refine the search', () => {
  assert.equal(ATTENDEE_RESULT_LIMIT, 100);
  const ok = parseAttendeeSearchResponse(many(100), { maxRecords: 500 });
  assert.ok(ok.ok);
  assert.equal(ok.attendees.length, 100);
  const over100 = parseAttendeeSearchResponse(many(101), { maxRecords: 500 });
  assert.deepEqual(over100, { ok: false, code: 'too-many-results', reason: '101 attendees match, more than the 100 that can be shown: refine your search' });
  const overMax = parseAttendeeSearchResponse(many(11), { maxRecords: 10 });
  assert.equal(overMax.ok, false);
  if (!overMax.ok) {
    assert.equal(overMax.code, 'too-many-results');
    assert.match(overMax.reason, /11 attendees match, more than the 10 .*refine your search/);
  }
  assert.ok(parseAttendeeSearchResponse(many(10), { maxRecords: 10 }).ok);
  // A missing or bad maxRecords is an answer too, not an exception.
  assert.equal(parseAttendeeSearchResponse(many(1), { maxRecords: 0 }).ok, false);
  assert.equal(parseAttendeeSearchResponse(many(1), {} as never).ok, false);
  // The builder refuses to produce what the parser would refuse.
  assert.throws(() => buildAttendeeSearchResponse(Array.from({ length: 101 }, () => ANN)), /101 attendees, more than the 100/);
  assert.throws(() => buildAttendeeSearchResponse([ANN, ANN], { maxRecords: 1 }), /more than the 1 allowed/);
});

test('FirstName, LastName and ExternalID are required and must have values', () => {
  const one = (inner: string): string => `<AttendeeSearchResponse><Attendee>${inner}</Attendee></AttendeeSearchResponse>`;
  const cases: [string, RegExp][] = [
    [one('<FirstName>F</FirstName><LastName>L</LastName>'), /attendee 1: <ExternalID> is required and is missing/],
    [one('<ExternalID> </ExternalID><FirstName>F</FirstName><LastName>L</LastName>'), /<ExternalID> is required and is empty/],
    [one('<ExternalID>E9</ExternalID><LastName>L</LastName>'), /attendee 1 \(ExternalID "E9"\): <FirstName> is required and is missing/],
    [one('<ExternalID>E9</ExternalID><FirstName>F</FirstName><LastName/>'), /<LastName> is required and is empty/],
    // A field given twice is ambiguous, whichever field it is.
    [one('<ExternalID>E9</ExternalID><FirstName>F</FirstName><FirstName>G</FirstName><LastName>L</LastName>'), /attendee 1 \(ExternalID "E9"\): <FirstName> appears more than once/],
    [one('<ExternalID>E9</ExternalID><ExternalID>E8</ExternalID><FirstName>F</FirstName><LastName>L</LastName>'), /attendee 1: <ExternalID> appears more than once/],
    [one('<ExternalID>E9</ExternalID><FirstName>F</FirstName><LastName>L</LastName><Custom7/><Custom7>x</Custom7>'), /<Custom7> appears more than once/],
  ];
  for (const [xml, reason] of cases) {
    const result = parseAttendeeSearchResponse(xml, { maxRecords: 10 });
    assert.equal(result.ok, false, xml);
    if (!result.ok) {
      assert.equal(result.code, 'invalid');
      assert.match(result.reason, reason);
    }
  }
  // An element the contract does not know is ignored, even twice.
  const extra = parseAttendeeSearchResponse(one('<ExternalID>E9</ExternalID><FirstName>F</FirstName><LastName>L</LastName><Note>a</Note><Note>b</Note>'), { maxRecords: 10 });
  assert.ok(extra.ok && extra.attendees[0]!.firstName === 'F', JSON.stringify(extra));
  for (const missing of ['externalId', 'firstName', 'lastName'] as const) {
    assert.throws(() => buildAttendeeSearchResponse([{ ...ANN, [missing]: '' }]), CalloutContractError);
  }
});

test('the response maximum lengths: ExternalID 32 (not 48), Custom21-25 48, and the others', () => {
  const limits = [
    ['ExternalID', 'externalId', 32], ['AttendeeTypeCode', 'attendeeTypeCode', 8], ['FirstName', 'firstName', 50],
    ['LastName', 'lastName', 132], ['MiddleInitial', 'middleInitial', 1], ['Suffix', 'suffix', 32], ['Title', 'title', 32],
    ['Company', 'company', 150], ['Custom1', 'custom1', 100], ['Custom20', 'custom20', 100], ['Custom21', 'custom21', 48],
    ['Custom25', 'custom25', 48],
  ] as const;
  for (const [element, property, max] of limits) {
    const fits = parseAttendeeSearchResponse(buildAttendeeSearchResponse([{ ...ANN, [property]: '語'.repeat(max) }]), { maxRecords: 1 });
    assert.ok(fits.ok, `${element} at ${max}: ${JSON.stringify(fits)}`);
    const xml = buildAttendeeSearchResponse([ANN]).replace(new RegExp(`<${element}>[^<]*</${element}>|<${element}/>`), `<${element}>${'x'.repeat(max + 1)}</${element}>`);
    const result = parseAttendeeSearchResponse(xml, { maxRecords: 1 });
    assert.equal(result.ok, false, element);
    if (!result.ok) assert.match(result.reason, new RegExp(`<${element}> is ${max + 1} characters, more than ${max}`));
    assert.throws(() => buildAttendeeSearchResponse([{ ...ANN, [property]: 'x'.repeat(max + 1) }]), CalloutContractError, element);
  }
});

test('optional elements may be missing; unknown ones inside Attendee are ignored; a stray element under the root is refused', () => {
  const minimal = parseAttendeeSearchResponse(
    '<AttendeeSearchResponse><Attendee><ExternalID>1</ExternalID><FirstName>A</FirstName><LastName>B</LastName><Extra>?</Extra></Attendee></AttendeeSearchResponse>',
    { maxRecords: 1 },
  );
  assert.ok(minimal.ok);
  assert.equal(minimal.attendees[0]!.custom9, '');
  assert.equal('Extra' in minimal.attendees[0]!, false);
  const wrapped = parseAttendeeSearchResponse('<AttendeeSearchResponse><Attendees><Attendee/></Attendees></AttendeeSearchResponse>', { maxRecords: 1 });
  assert.equal(wrapped.ok, false);
  if (!wrapped.ok) assert.match(wrapped.reason, /unexpected element <Attendees>/);
  const wrongRoot = parseAttendeeSearchResponse('<AttendeeSearchRequest/>', { maxRecords: 1 });
  assert.equal(wrongRoot.ok, false);
  if (!wrongRoot.ok) assert.match(wrongRoot.reason, /root element is <AttendeeSearchRequest>/);
});

test('the version comes from the endpoint path: v2.0 only when it contains "v2.0"', () => {
  assert.deepEqual(attendeeVersionFromEndpoint('/concur/attendee/v2.0/fetch'), { ok: true, version: 'v2.0' });
  assert.deepEqual(attendeeVersionFromEndpoint('/attendee/v2.0/fetch'), { ok: true, version: 'v2.0' });
  assert.deepEqual(attendeeVersionFromEndpoint('https://connector.example.com/api/v2.0/attendees'), { ok: true, version: 'v2.0' });
  for (const endpoint of [
    '/concur/attendee/v1.0/fetch',
    '/attendee/v1.0/find',
    '/attendee/fetch',
    '/attendee/v2/fetch',
    '/attendee/v20/fetch',
    'https://v2.0.example.com/attendee/fetch',
    '/attendee/fetch?version=v2.0',
    '/attendee/fetch#v2.0',
  ]) {
    const result = attendeeVersionFromEndpoint(endpoint);
    assert.equal(result.ok, false, endpoint);
    if (!result.ok) {
      assert.equal(result.version, 'v1.0');
      assert.match(result.reason, /does not contain "v2\.0" in its path/);
      assert.match(result.reason, /falls back to version 1\.0, whose fields are not documented/);
    }
  }
});
