/**
 * Fetch List v1.2: the exact request bytes (the spec's multi-level example, a single-level list), the
 * connector-side parse, the response's item validation (`code` = long-code + `-` + short-code, all four
 * children) and caps, round trips, and the `*` wildcard helper.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildFetchListRequest,
  buildFetchListResponse,
  CalloutContractError,
  FETCH_LIST_LIMIT,
  fetchListItemCode,
  fetchListQueryMatches,
  parseFetchListRequest,
  parseFetchListResponse,
} from '../src/index.ts';
import type { FetchListItem } from '../src/index.ts';

// The spec's multi-level example (§2), on one line, with its prolog `<?xml version="1.0" ?>`.
const SPEC_MULTI_LEVEL =
  '<?xml version="1.0" ?>' +
  '<fetch-list-request><long-code>US-W-CA</long-code><short-code>CA</short-code><query>San*</query>' +
  '<search-by>TEXT</search-by><lang-code>EN</lang-code><num-to-return>80</num-to-return>' +
  '<protected-list-key/><list-name/><connector-version/><config-options/>' +
  '<code-by-level><level1>US</level1><level2>W</level2><level3>CA</level3></code-by-level>' +
  '</fetch-list-request>';

test("the request for the spec's multi-level example is byte for byte the spec's request", () => {
  const input = { query: 'San*', searchBy: 'TEXT', langCode: 'EN', numToReturn: 80 } as const;
  assert.equal(buildFetchListRequest({ ...input, codeByLevel: ['US', 'W', 'CA'] }), SPEC_MULTI_LEVEL);
  // The same from explicit codes, and with a lower-case language.
  assert.equal(buildFetchListRequest({ ...input, longCode: 'US-W-CA', shortCode: 'CA', codeByLevel: ['US', 'W', 'CA'], langCode: 'en' }), SPEC_MULTI_LEVEL);
});

test('a single-level list: empty long-code and short-code, no code-by-level, CODE search, wildcards as typed', () => {
  assert.equal(
    buildFetchListRequest({ query: '*', searchBy: 'CODE', langCode: 'fr', numToReturn: 100 }),
    '<?xml version="1.0" ?>' +
      '<fetch-list-request><long-code/><short-code/><query>*</query>' +
      '<search-by>CODE</search-by><lang-code>FR</lang-code><num-to-return>100</num-to-return>' +
      '<protected-list-key/><list-name/><connector-version/><config-options/>' +
      '</fetch-list-request>',
  );
  assert.match(buildFetchListRequest({ query: '*A&B', searchBy: 'TEXT', langCode: 'EN', numToReturn: 1 }), /<query>\*A&amp;B<\/query>/);
  assert.match(
    buildFetchListRequest({ query: 'x', searchBy: 'TEXT', langCode: 'EN', numToReturn: 1, listName: 'Cities', protectedListKey: 'k' }),
    /<protected-list-key>k<\/protected-list-key><list-name>Cities<\/list-name><connector-version\/>/,
  );
});

test('the request builder refuses what the contract forbids', () => {
  const base = { query: 'a*', searchBy: 'TEXT', langCode: 'EN', numToReturn: 10 } as const;
  assert.throws(() => buildFetchListRequest({ ...base, numToReturn: 101 }), /numToReturn must be an integer from 1 to 100/);
  assert.throws(() => buildFetchListRequest({ ...base, numToReturn: 0 }), CalloutContractError);
  assert.throws(() => buildFetchListRequest({ ...base, numToReturn: 2.5 }), CalloutContractError);
  assert.throws(() => buildFetchListRequest({ ...base, searchBy: 'text' as 'TEXT' }), /TEXT or CODE/);
  assert.throws(() => buildFetchListRequest({ ...base, langCode: 'en-GB' }), /two-letter/);
  assert.throws(() => buildFetchListRequest({ ...base, codeByLevel: ['US', 'W'], longCode: 'US-E' }), /agree/);
  assert.throws(() => buildFetchListRequest({ ...base, codeByLevel: ['US', 'W'], shortCode: 'US' }), /agree/);
  assert.throws(() => buildFetchListRequest({ ...base, codeByLevel: ['US', ''] }), /empty code/);
  assert.throws(() => buildFetchListRequest({ ...base, longCode: 'US-W' }), /both/);
  assert.throws(() => buildFetchListRequest({ ...base, longCode: 'US-W', shortCode: 'E' }), /end with shortCode/);
  assert.equal(FETCH_LIST_LIMIT, 100);
});

test('the connector side parses the request, and it builds back to the same bytes', () => {
  const parsed = parseFetchListRequest(SPEC_MULTI_LEVEL);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual(parsed.request, {
    longCode: 'US-W-CA',
    shortCode: 'CA',
    query: 'San*',
    searchBy: 'TEXT',
    langCode: 'EN',
    numToReturn: 80,
    protectedListKey: '',
    listName: '',
    connectorVersion: '',
    configOptions: '',
    codeByLevel: ['US', 'W', 'CA'],
  });
  assert.equal(buildFetchListRequest(parsed.request), SPEC_MULTI_LEVEL);
  // The spec's example as printed, indented over several lines, reads the same.
  const printed = `<?xml version="1.0" ?>
<fetch-list-request><long-code>US-W-CA</long-code><short-code>CA</short-code><query>San*</query>
  <search-by>TEXT</search-by><lang-code>EN</lang-code><num-to-return>80</num-to-return>
  <protected-list-key/><list-name/><connector-version/><config-options/>
  <code-by-level><level1>US</level1><level2>W</level2><level3>CA</level3></code-by-level>
</fetch-list-request>`;
  const printedParsed = parseFetchListRequest(printed);
  assert.ok(printedParsed.ok);
  assert.deepEqual(printedParsed.request, parsed.request);
  // Without the internal elements and code-by-level (a single-level list), with a lower-case search-by.
  const single = parseFetchListRequest('<fetch-list-request><long-code/><short-code/><query>*</query><search-by>code</search-by><lang-code>de</lang-code><num-to-return>5</num-to-return></fetch-list-request>');
  assert.ok(single.ok);
  assert.equal(single.request.searchBy, 'CODE');
  assert.equal(single.request.langCode, 'DE');
  assert.deepEqual(single.request.codeByLevel, []);
});

test('the connector side refuses requests that break the contract', () => {
  const cases: [string, RegExp][] = [
    [SPEC_MULTI_LEVEL.replace('<query>San*</query>', ''), /<query> is missing/],
    [SPEC_MULTI_LEVEL.replace('TEXT', 'NAME'), /TEXT or CODE/],
    [SPEC_MULTI_LEVEL.replace('>EN<', '>ENG<'), /two letters/],
    [SPEC_MULTI_LEVEL.replace('>80<', '>101<'), /over the limit of 100/],
    [SPEC_MULTI_LEVEL.replace('>80<', '>-1<'), /positive integer/],
    [SPEC_MULTI_LEVEL.replace('<level2>W</level2>', ''), /expected <level2>, found <level3>/],
    [SPEC_MULTI_LEVEL.replace('<long-code>US-W-CA</long-code>', '<long-code>US-W-CA</long-code><long-code/>'), /appears more than once/],
    ['<fetch-list-response/>', /root element is <fetch-list-response>/],
  ];
  for (const [xml, reason] of cases) {
    const result = parseFetchListRequest(xml);
    assert.equal(result.ok, false, xml);
    if (!result.ok) assert.match(result.reason, reason);
  }
});

const SF: FetchListItem = { code: 'US-W-CA-SF', shortCode: 'SF', text: 'San Francisco', matchValue: 'San Francisco' };
const REQUEST = { codeByLevel: ['US', 'W', 'CA'], numToReturn: 80 } as const;

test('the response: declaration, item children in the documented order; the empty form of the spec', () => {
  assert.equal(
    buildFetchListResponse([SF, { code: 'US-W-CA-SJ', shortCode: 'SJ', text: 'San José & Co', matchValue: 'San José' }], REQUEST),
    '<?xml version="1.0" encoding="utf-8"?><fetch-list-response>' +
      '<item><code>US-W-CA-SF</code><short-code>SF</short-code><text>San Francisco</text><match-value>San Francisco</match-value></item>' +
      '<item><code>US-W-CA-SJ</code><short-code>SJ</short-code><text>San José &amp; Co</text><match-value>San José</match-value></item>' +
      '</fetch-list-response>',
  );
  assert.equal(buildFetchListResponse([]), '<?xml version="1.0" encoding="utf-8"?><fetch-list-response></fetch-list-response>');
});

test('responses round-trip; an empty root is no items', () => {
  const items = [SF, { code: 'US-W-CA-SD', shortCode: 'SD', text: 'San Diego <"\'>', matchValue: '' }];
  assert.deepEqual(parseFetchListResponse(buildFetchListResponse(items, REQUEST), REQUEST), { ok: true, items });
  assert.deepEqual(parseFetchListResponse('<fetch-list-response></fetch-list-response>', REQUEST), { ok: true, items: [] });
  assert.deepEqual(parseFetchListResponse('<fetch-list-response/>', { longCode: 'X', numToReturn: 1 }), { ok: true, items: [] });
});

test('each item needs all four children, and code = long-code + "-" + short-code', () => {
  const one = (item: string): string => `<fetch-list-response><item>${item}</item></fetch-list-response>`;
  const cases: [string, RegExp][] = [
    [one('<short-code>SF</short-code><text>t</text><match-value>m</match-value>'), /item 1: <code> is missing/],
    [one('<code>US-W-CA-SF</code><text>t</text><match-value>m</match-value>'), /<short-code> is missing/],
    [one('<code>US-W-CA-SF</code><short-code>SF</short-code><match-value>m</match-value>'), /<text> is missing/],
    [one('<code>US-W-CA-SF</code><short-code>SF</short-code><text>t</text>'), /<match-value> is missing/],
    [one('<code>US-W-CA-</code><short-code/><text>t</text><match-value>m</match-value>'), /<short-code> is empty/],
    [one('<code>SF</code><short-code>SF</short-code><text>t</text><match-value>m</match-value>'), /<code> is "SF", but long-code \+ "-" \+ short-code is "US-W-CA-SF"/],
    [one('<code>US-W-NV-SF</code><short-code>SF</short-code><text>t</text><match-value>m</match-value>'), /long-code \+ "-" \+ short-code/],
    ['<fetch-list-response><items/></fetch-list-response>', /unexpected element <items>/],
  ];
  for (const [xml, reason] of cases) {
    const result = parseFetchListResponse(xml, REQUEST);
    assert.equal(result.ok, false, xml);
    if (!result.ok) {
      assert.equal(result.code, 'invalid');
      assert.match(result.reason, reason);
    }
  }
  assert.throws(() => buildFetchListResponse([{ ...SF, code: 'SF' }], REQUEST), /code must be "US-W-CA-SF"/);
  assert.throws(() => buildFetchListResponse([{ ...SF, shortCode: '' }]), /required/);
});

test('single-level lists: code is the short code ("-SF" is accepted and normalized)', () => {
  assert.equal(fetchListItemCode('', 'SF'), 'SF');
  assert.equal(fetchListItemCode('US-W', 'CA'), 'US-W-CA');
  const request = { numToReturn: 10 };
  const item = (code: string): string =>
    `<fetch-list-response><item><code>${code}</code><short-code>SF</short-code><text>t</text><match-value>m</match-value></item></fetch-list-response>`;
  for (const code of ['SF', '-SF']) {
    const result = parseFetchListResponse(item(code), request);
    assert.ok(result.ok, code);
    assert.equal(result.items[0]!.code, 'SF');
  }
  assert.equal(parseFetchListResponse(item('X-SF'), request).ok, false);
});

test('at most num-to-return items, and never more than 100', () => {
  const items = (n: number): FetchListItem[] => Array.from({ length: n }, (_, i) => ({ code: `C${i}`, shortCode: `C${i}`, text: `t${i}`, matchValue: 'm' }));
  const body = (n: number): string => buildFetchListResponse(items(n));
  assert.ok(parseFetchListResponse(body(100), { numToReturn: 100 }).ok);
  const over = parseFetchListResponse(body(5), { numToReturn: 4 });
  assert.equal(over.ok, false);
  if (!over.ok) {
    assert.equal(over.code, 'too-many-results');
    assert.match(over.reason, /returned 5 list items, more than the 4 asked for/);
  }
  // The builder refuses more than 100 items, so write 101 by hand.
  const hundredAndOne = body(100).replace('</fetch-list-response>', '<item><code>Z</code><short-code>Z</short-code><text>z</text><match-value>z</match-value></item></fetch-list-response>');
  const result = parseFetchListResponse(hundredAndOne, { numToReturn: 1000 });
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.reason, /101 list items, more than the 100/);
  assert.throws(() => buildFetchListResponse(items(101)), /101 items, more than the 100/);
  assert.throws(() => buildFetchListResponse(items(3), { numToReturn: 2 }), /more than the 2/);
  assert.equal(parseFetchListResponse(body(1), { numToReturn: 0 }).ok, false);
});

test('fetchListQueryMatches: * alone, starts with, ends with, contains, exact, case-insensitive', () => {
  const m = fetchListQueryMatches;
  assert.ok(m('*', 'anything'));
  assert.ok(m('', 'anything'));
  assert.ok(m('San*', 'San Francisco'));
  assert.ok(m('san*', 'SAN DIEGO'));
  assert.ok(!m('San*', 'Los Angeles'));
  assert.ok(m('*cisco', 'San Francisco'));
  assert.ok(!m('*cisco', 'Cisco Kid'));
  assert.ok(m('*ran*', 'San Francisco'));
  assert.ok(m('S*n*o', 'San Francisco'));
  assert.ok(!m('S*x*o', 'San Francisco'));
  assert.ok(m('CA', 'ca'));
  assert.ok(!m('CA', 'CAL'));
  assert.ok(!m('ab*ba', 'aba'), 'prefix and suffix may not overlap');
  assert.ok(m('**', ''));
  // Linear, whatever the pattern: no regular expression is built from user input.
  const started = performance.now();
  assert.ok(!m(`${'*a'.repeat(5000)}*c*b`, `${'a'.repeat(100_000)}b`));
  assert.ok(m(`${'*a'.repeat(5000)}*b`, `${'a'.repeat(100_000)}b`));
  assert.ok(performance.now() - started < 2000);
});
