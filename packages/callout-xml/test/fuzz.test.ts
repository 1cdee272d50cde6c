/**
 * Property-based fuzzing (fast-check) of every parser of `@patchbay/callout-xml`: arbitrary strings, arbitrary
 * bytes, XML token soup, random element trees in each format's vocabulary, and valid documents from the
 * builders mutated (truncated, DTDs and entities inserted, elements duplicated, huge text, deep nesting,
 * invalid UTF-8, NUL). The property: a parser never throws and always answers `{ok: true, ...}` or
 * `{ok: false, code, reason}` within a time bound. Round trips: what a builder produces, the matching parser
 * reads back as the builder's input; whatever a builder accepts, the matching parser accepts. LEU:
 * `verifyLeuSignature` never throws on any query or credentials, accepts every URL `buildLeuUrl` signs and
 * refuses it once a signed value or the credentials change.
 *
 * Sizes: `PATCHBAY_FUZZ_RUNS` runs per property (default 2,000; 200 for the properties with multi-megabyte
 * inputs), from the seed `PATCHBAY_FUZZ_SEED` (default fixed, printed with each property, so a failure
 * replays). Each property reports how many inputs it tried; the last test reports the total.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CalloutContractError,
  DEFAULT_MAX_XML_BYTES,
  attendeeVersionFromEndpoint,
  buildAttendeeSearchRequest,
  buildAttendeeSearchResponse,
  buildFailedNotificationsJson,
  buildFailedNotificationsXml,
  buildFetchListRequest,
  buildFetchListResponse,
  buildLeuUrl,
  buildNotification,
  fetchListItemCode,
  fetchListQueryMatches,
  leuSignature,
  parseAttendeeSearchRequest,
  parseAttendeeSearchResponse,
  parseFailedNotificationsJson,
  parseFailedNotificationsXml,
  parseFetchListRequest,
  parseFetchListResponse,
  parseNotification,
  parseXml,
  verifyLeuSignature,
} from '../src/index.ts';
import type { AttendeeInput, FailedNotificationInput, FetchListItem, LeuQuery, LeuV4RequestParams, LeuVerifyOptions, ParseFailureCode, XmlParseOptions } from '../src/index.ts';

// ---------------------------------------------------------------------------------------------------
// The harness: run sizes, the seed, counting.

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, not ${JSON.stringify(text)}`);
  return value;
}

/** Runs per property: PATCHBAY_FUZZ_RUNS, or the property's CI-sized default. */
const RUNS_OVERRIDE = envInteger('PATCHBAY_FUZZ_RUNS');
/** The seed of every property: PATCHBAY_FUZZ_SEED, or a fixed one (CI runs are reproducible). */
const SEED = envInteger('PATCHBAY_FUZZ_SEED') ?? 0x5eed_c0de;
/** Default runs of a pure parser property. */
const PARSER_RUNS = 2_000;
/** A parser answers within this (a guard against a hang or a super-linear path, not a timing assertion). */
const TIME_BOUND_MS = 2_000;

let totalInputs = 0;

/** Checks `predicate` on `runs` inputs of `arbitrary`; reports the seed, the inputs tried and the duration. */
function fuzz<T>(t: TestContext, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void, defaultRuns = PARSER_RUNS): void {
  const numRuns = RUNS_OVERRIDE ?? defaultRuns;
  let tried = 0;
  const started = performance.now();
  try {
    fc.assert(
      fc.property(arbitrary, (value) => {
        tried++;
        predicate(value);
      }),
      { seed: SEED, numRuns, endOnFailure: false },
    );
  } finally {
    totalInputs += tried;
    t.diagnostic(`${tried} inputs tried (seed ${SEED}, ${numRuns} runs) in ${Math.round(performance.now() - started)} ms`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Checking a parser's answer.

const FAILURE_CODES: readonly ParseFailureCode[] = ['too-large', 'html', 'dtd', 'malformed', 'too-deep', 'invalid', 'too-many-results'];

/** Runs `parse` and checks the answer: no exception, the documented shape, within the time bound. */
function answers(name: string, parse: () => unknown, okKey: string): { ok: boolean; value: any } {
  const started = performance.now();
  let result: any;
  try {
    result = parse();
  } catch (error) {
    assert.fail(`${name} threw instead of answering {ok: false}: ${(error as Error)?.stack ?? String(error)}`);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < TIME_BOUND_MS, `${name} took ${elapsed.toFixed(0)} ms (bound ${TIME_BOUND_MS} ms)`);
  assert.ok(result !== null && typeof result === 'object', `${name} answered ${String(result)}`);
  if (result.ok === true) {
    assert.ok(okKey in result, `${name} answered ok without "${okKey}"`);
  } else {
    assert.equal(result.ok, false, `${name}: ok is ${String(result.ok)}`);
    assert.ok(FAILURE_CODES.includes(result.code), `${name}: unknown failure code ${String(result.code)}`);
    assert.equal(typeof result.reason, 'string', `${name}: the reason is not a string`);
    assert.ok(result.reason.length > 0, `${name}: empty reason`);
  }
  return { ok: result.ok === true, value: result };
}

type Input = string | Uint8Array;

/** Every parser, as a function of the document, with the key its success carries. */
const PARSERS: ReadonlyArray<[name: string, parse: (input: Input, options?: XmlParseOptions) => unknown, okKey: string]> = [
  ['parseXml', (input, options) => parseXml(input, options), 'root'],
  ['parseAttendeeSearchRequest', (input, options) => parseAttendeeSearchRequest(input, options), 'criteria'],
  ['parseAttendeeSearchResponse', (input, options) => parseAttendeeSearchResponse(input, { maxRecords: 100, ...options }), 'attendees'],
  ['parseFetchListRequest', (input, options) => parseFetchListRequest(input, options), 'request'],
  ['parseFetchListResponse (single level)', (input, options) => parseFetchListResponse(input, { numToReturn: 100 }, options), 'items'],
  ['parseFetchListResponse (connected)', (input, options) => parseFetchListResponse(input, { codeByLevel: ['US', 'W'], numToReturn: 5 }, options), 'items'],
  ['parseNotification', (input, options) => parseNotification(input, options), 'notification'],
  ['parseFailedNotificationsXml', (input, options) => parseFailedNotificationsXml(input, options), 'notifications'],
  ['parseFailedNotificationsJson', (input, options) => parseFailedNotificationsJson(input, options?.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }), 'notifications'],
];

/** Every parser answers `input` as documented. */
function everyParserAnswers(input: Input, options?: XmlParseOptions): void {
  for (const [name, parse, okKey] of PARSERS) answers(name, () => parse(input, options), okKey);
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries.

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
/** Characters that matter to an XML reader, controls, odd code points, lone surrogates and anything else. */
const hostileChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('<', '>', '&', ';', '/', '=', '"', "'", '!', '?', '[', ']', '-', ' ', '\n', '\r', '\t', ':', '#', 'x', 'a', '1') },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u0001', '\u000b', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\ufeff', '\ufffe', '\uffff', '\u{1f600}', 'İ') },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const hostileString = (maxLength = 120) => fc.string({ unit: hostileChar, maxLength });

/** The element names of every callout format, so random trees reach the format readers. */
const NAMES = [
  'AttendeeSearchRequest', 'AttendeeSearchResponse', 'Attendee', 'ExternalID', 'FirstName', 'MiddleInitial', 'LastName', 'Suffix', 'Company',
  'AttendeeTypeCode', 'Title', 'OwnerLoginID', 'MaximumNumberRecords', 'Custom1', 'Custom21', 'Custom25',
  'fetch-list-request', 'fetch-list-response', 'item', 'code', 'short-code', 'text', 'match-value', 'long-code', 'query', 'search-by', 'lang-code',
  'num-to-return', 'protected-list-key', 'list-name', 'connector-version', 'config-options', 'code-by-level', 'level1', 'level2', 'level3',
  'Notification', 'NotificationList', 'NotificationsList', 'EventType', 'ObjectType', 'ObjectURI', 'EventDateTime', 'Context', 'NotificationURI',
  'NotificationURL', 'i:nil', 'a:Attendee', 'x', 'html', 'HTML',
];
const LEAF_VALUES = [
  '', ' ', 'A', 'TEXT', 'CODE', 'code', 'EN', 'en', 'E', '0', '1', '5', '100', '101', '-1', '1e3', '99999999999999999999', 'EXPRPT', 'TRAVELREQ',
  '2012-05-01', '2012-02-30', '2012-11-14T19:45:25', '2012-11-14T24:00:00', '2012-11-14T19:45:25.123+02:00', 'https://x/1', 'US', 'US-W', 'W', 'SF',
  'US-W-SF', '-SF', 'true', '*', 'Miller', 'A'.repeat(49), 'B'.repeat(51), 'C'.repeat(133),
];
const nameArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z_][\w.-]{0,8}(:[A-Za-z_]\w{0,5})?$/) });
const textArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...LEAF_VALUES) }, { weight: 1, arbitrary: hostileString(40) });

interface Tree {
  name: string;
  attributes: Array<[string, string]>;
  content: Array<Tree | string>;
}

const treeArb = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.record({
    name: nameArb,
    attributes: fc.array(fc.tuple(fc.constantFrom('xmlns', 'xmlns:i', 'i:nil', 'id', 'a'), fc.constantFrom('true', '1', 'urn:x', 'http://www.w3.org/2001/XMLSchema-instance')), { maxLength: 2 }),
    content: fc.array(fc.oneof({ weight: 2, arbitrary: textArb }, { weight: 3, arbitrary: tie('tree') }), { maxLength: 5, depthIdentifier: 'tree' }),
  }),
})).tree;

const escapeText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function serialize(tree: Tree): string {
  const attributes = [...new Map(tree.attributes)].map(([name, value]) => ` ${name}="${escapeText(value).replace(/"/g, '&quot;')}"`).join('');
  if (tree.content.length === 0) return `<${tree.name}${attributes}/>`;
  return `<${tree.name}${attributes}>${tree.content.map((part) => (typeof part === 'string' ? escapeText(part) : serialize(part))).join('')}</${tree.name}>`;
}
const treeDocument = fc.tuple(fc.boolean(), treeArb).map(([prolog, tree]) => `${prolog ? '<?xml version="1.0" encoding="utf-8"?>' : ''}${serialize(tree)}`);

const XML_TOKENS = [
  '<', '</', '>', '/>', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>', '<?xml version="2.0"?>', '<?pi data?>', '<?xml', '<!--', '-->',
  '<![CDATA[', ']]>', '<!DOCTYPE d [<!ENTITY e "x">]>', '<!ENTITY e SYSTEM "file:///etc/passwd">', '<!doctype html>', '<html>', '&e;', '&amp;', '&lt;',
  '&#0;', '&#9;', '&#x1F600;', '&#xD800;', '&#1114112;', '&#xFFFE;', '&#', '&', ' ', '\n', '\r\n', '="v"', " a='1'", ' xmlns="urn:x"', ' i:nil="true"',
  ...NAMES, ...LEAF_VALUES, '\u0000', '\ufeff', '\ud800', '\u{1f600}',
];
const tokenSoup = fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...XML_TOKENS) }, { weight: 1, arbitrary: hostileString(10) }), { maxLength: 80 }).map((parts) => parts.join(''));

// Valid documents, from the builders.

/** A value without leading or trailing XML whitespace, without characters XML cannot carry: what reads back exactly. */
const cleanText = (maxLength: number, minLength = 0) =>
  fc
    .string({ unit: fc.oneof({ weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }), minLength, maxLength })
    .map((value) => value.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '').replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''))
    .filter((value) => value.length >= minLength && [...value].length <= maxLength && (minLength === 0 || value.trim() !== ''));
/** Any value a builder might be given: whitespace around it, controls, lone surrogates. */
const rawText = (maxLength: number) => fc.string({ unit: hostileChar, maxLength });

const CUSTOM_KEYS = Array.from({ length: 25 }, (_, i) => `custom${i + 1}` as const);
const attendeeArb = (text: (max: number, min?: number) => fc.Arbitrary<string>) =>
  fc
    .record({
      externalId: text(32, 1),
      firstName: text(50, 1),
      lastName: text(132, 1),
      middleInitial: fc.option(text(1), { nil: undefined }),
      suffix: fc.option(text(32), { nil: undefined }),
      company: fc.option(text(150), { nil: undefined }),
      attendeeTypeCode: fc.option(text(8), { nil: undefined }),
      title: fc.option(text(32), { nil: undefined }),
      customs: fc.dictionary(fc.constantFrom(...CUSTOM_KEYS), text(48), { maxKeys: 4 }),
    })
    .map(({ customs, ...rest }) => {
      const attendee: Record<string, string | undefined> = { ...rest, ...customs };
      for (const key of Object.keys(attendee)) if (attendee[key] === undefined) delete attendee[key];
      return attendee as unknown as AttendeeInput;
    });

const codeArb = (text: (max: number, min?: number) => fc.Arbitrary<string>) => text(20, 1).filter((code) => !code.includes('-'));
const listRequestArb = (text: (max: number, min?: number) => fc.Arbitrary<string>) =>
  fc.record({
    codeByLevel: fc.array(codeArb(text), { maxLength: 4 }),
    query: text(100),
    searchBy: fc.constantFrom('TEXT', 'CODE') as fc.Arbitrary<'TEXT' | 'CODE'>,
    langCode: fc.stringMatching(/^[A-Za-z]{2}$/),
    numToReturn: fc.integer({ min: 1, max: 100 }),
    listName: fc.option(text(64), { nil: undefined }),
    configOptions: fc.option(text(64), { nil: undefined }),
  });
const listResponseArb = (text: (max: number, min?: number) => fc.Arbitrary<string>) =>
  fc.tuple(fc.array(codeArb(text), { maxLength: 3 }), fc.array(fc.record({ shortCode: codeArb(text), text: text(100), matchValue: text(100) }), { maxLength: 12 }), fc.integer({ min: 0, max: 5 })).map(([levels, rows, slack]) => ({
    request: { codeByLevel: levels, numToReturn: Math.max(1, rows.length + slack) },
    items: rows.map((row): FetchListItem => ({ code: fetchListItemCode(levels.join('-'), row.shortCode), ...row })),
  }));
const dateArb = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true });
const notificationArb = (text: (max: number, min?: number) => fc.Arbitrary<string>) =>
  fc.record({ eventType: text(100, 1), objectType: fc.constantFrom('EXPRPT', 'TRAVELREQ') as fc.Arbitrary<'EXPRPT' | 'TRAVELREQ'>, objectUri: text(200, 1), eventDateTime: dateArb.map((date) => date.toISOString().slice(0, 10)), context: text(100) });
const failedArb = (text: (max: number, min?: number) => fc.Arbitrary<string>) =>
  fc.array(
    fc.record({
      context: fc.option(text(100), { nil: null }),
      eventDateTime: dateArb.map((date) => date.toISOString().slice(0, 19)),
      eventType: text(100, 1),
      notificationUri: text(200, 1),
      objectType: fc.constantFrom('EXPRPT', 'TRAVELREQ') as fc.Arbitrary<'EXPRPT' | 'TRAVELREQ'>,
      objectUri: text(200, 1),
    }),
    { maxLength: 5 },
  );

/** A valid document of one of the formats, as a builder writes it. */
const validDocument = fc.oneof(
  fc.record({ request: attendeeArb(cleanText), max: fc.integer({ min: 1, max: 100 }) }).map(({ request, max }) => buildAttendeeSearchRequest({ ...(request as object), ownerLoginId: 'owner@example.com', maximumNumberRecords: max })),
  fc.array(attendeeArb(cleanText), { maxLength: 6 }).map((list) => buildAttendeeSearchResponse(list)),
  listRequestArb(cleanText).map((input) => buildFetchListRequest(input)),
  listResponseArb(cleanText).map(({ request, items }) => buildFetchListResponse(items, request)),
  notificationArb(cleanText).map((input) => buildNotification(input)),
  failedArb(cleanText).map((list) => buildFailedNotificationsXml(list)),
  failedArb(cleanText).map((list) => buildFailedNotificationsJson(list)),
);

/** One change to a document. Positions are fractions of its length. */
type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'duplicate-element'; at: number }
  | { kind: 'huge-text'; at: number; size: number }
  | { kind: 'deep-nesting'; depth: number }
  | { kind: 'invalid-utf8'; at: number; bytes: readonly number[] }
  | { kind: 'flip-byte'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'prefix'; text: string };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const INSERTIONS = [
  '<!DOCTYPE d [<!ENTITY e "x">]>', '<!ENTITY x SYSTEM "file:///etc/passwd">', '&x;', '&lol9;', '<!ELEMENT a ANY>', '\u0000', '<![CDATA[x]]>', '<!-- c -->',
  '<?pi x?>', '<?xml version="1.0"?>', '</Attendee>', '<Attendee>', '<item>', '</item>', '<x/>', '&#0;', '&#xFFFF;', '\ud800', '\ufffe', ']]>', '<', '&',
  '<html><body>Error</body></html>', ' a="1" a="2"', '\r', '\r\n',
];
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: fc.oneof(fc.constantFrom(...INSERTIONS), hostileString(20)) }),
  fc.record({ kind: fc.constant('duplicate-element' as const), at: position }),
  fc.record({ kind: fc.constant('huge-text' as const), at: position, size: fc.constantFrom(1_000, 100_000, 1_000_000) }),
  fc.record({ kind: fc.constant('deep-nesting' as const), depth: fc.constantFrom(31, 32, 33, 100, 10_000) }),
  fc.record({ kind: fc.constant('invalid-utf8' as const), at: position, bytes: fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]) }),
  fc.record({ kind: fc.constant('flip-byte' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('prefix' as const), text: fc.constantFrom('\ufeff', ' \n', '<?xml version="1.0" encoding="ISO-8859-1"?>', 'junk', '<!DOCTYPE x>', '\u0000') }),
);

function mutate(document: Input, mutation: Mutation): Input {
  const asText = (input: Input) => (typeof input === 'string' ? input : Buffer.from(input).toString('latin1'));
  const at = (input: Input, fraction: number) => Math.floor(fraction * (typeof input === 'string' ? input.length : input.length));
  switch (mutation.kind) {
    case 'truncate':
      return document.slice(0, at(document, mutation.at));
    case 'insert': {
      if (typeof document !== 'string') return Buffer.concat([document.subarray(0, at(document, mutation.at)), Buffer.from(mutation.text, 'utf8'), document.subarray(at(document, mutation.at))]);
      const i = at(document, mutation.at);
      return document.slice(0, i) + mutation.text + document.slice(i);
    }
    case 'duplicate-element': {
      const text = asText(document);
      const open = text.indexOf('<', at(text, mutation.at));
      const match = open === -1 ? null : /^<([A-Za-z][\w.:-]*)[^>]*>[^<]*<\/\1>/.exec(text.slice(open));
      if (!match) return document;
      const doubled = text.slice(0, open) + match[0] + text.slice(open);
      return typeof document === 'string' ? doubled : Buffer.from(doubled, 'latin1');
    }
    case 'huge-text': {
      const text = asText(document);
      const i = text.indexOf('>', at(text, mutation.at));
      if (i === -1) return document;
      const grown = text.slice(0, i + 1) + 'A'.repeat(mutation.size) + text.slice(i + 1);
      return typeof document === 'string' ? grown : Buffer.from(grown, 'latin1');
    }
    case 'deep-nesting': {
      const text = asText(document);
      const nested = `${'<n>'.repeat(mutation.depth)}${text.replace(/^<\?xml[^>]*>/, '')}${'</n>'.repeat(mutation.depth)}`;
      return typeof document === 'string' ? nested : Buffer.from(nested, 'latin1');
    }
    case 'invalid-utf8': {
      const bytes = typeof document === 'string' ? Buffer.from(document, 'utf8') : Buffer.from(document);
      const i = at(bytes, mutation.at);
      return Buffer.concat([bytes.subarray(0, i), Buffer.from(mutation.bytes), bytes.subarray(i)]);
    }
    case 'flip-byte': {
      const bytes = typeof document === 'string' ? Buffer.from(document, 'utf8') : Buffer.from(document);
      if (bytes.length === 0) return bytes;
      bytes[Math.min(at(bytes, mutation.at), bytes.length - 1)] = mutation.value;
      return bytes;
    }
    case 'delete': {
      const i = at(document, mutation.at);
      if (typeof document === 'string') return document.slice(0, i) + document.slice(i + mutation.length);
      return Buffer.concat([document.subarray(0, i), document.subarray(i + mutation.length)]);
    }
    case 'prefix':
      return typeof document === 'string' ? mutation.text + document : Buffer.concat([Buffer.from(mutation.text, 'utf8'), document]);
  }
}

const mutatedDocument = fc
  .tuple(validDocument, fc.boolean(), fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
  .map(([document, asBytes, mutations]) => mutations.reduce<Input>((current, mutation) => mutate(current, mutation), asBytes ? Buffer.from(document, 'utf8') : document));

// ---------------------------------------------------------------------------------------------------
// Parsers never throw, and answer within the time bound.

test('every parser answers arbitrary strings (any code point, lone surrogates, controls)', (t) => {
  fuzz(t, fc.oneof(hostileString(300), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: loneSurrogate, maxLength: 20 })), (input) => everyParserAnswers(input));
});

test('every parser answers arbitrary bytes', (t) => {
  fuzz(t, fc.uint8Array({ maxLength: 400 }), (input) => everyParserAnswers(input));
});

test('every parser answers XML token soup (declarations, DTDs, entities, CDATA, comments, references)', (t) => {
  fuzz(t, fc.tuple(tokenSoup, fc.boolean()).map(([soup, bytes]) => (bytes ? Buffer.from(soup, 'utf8') : soup)), (input) => everyParserAnswers(input));
});

test('every parser answers random element trees in the callouts\' vocabulary', (t) => {
  fuzz(t, treeDocument, (input) => everyParserAnswers(input));
});

test('every parser answers valid documents mutated: truncated, DTD/entities, duplicated elements, huge text, deep nesting, invalid UTF-8, NUL', (t) => {
  fuzz(t, mutatedDocument, (input) => everyParserAnswers(input), 500);
});

test('every parser answers with arbitrary limits (maxBytes, maxDepth: zero, negative, fractional, NaN, huge)', (t) => {
  const limit = fc.oneof(fc.constant(undefined), fc.integer({ min: -5, max: 5_000 }), fc.constantFrom(0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2));
  fuzz(t, fc.tuple(fc.oneof(validDocument, treeDocument), limit, limit), ([input, maxBytes, maxDepth]) => {
    const options: XmlParseOptions = {};
    if (maxBytes !== undefined) options.maxBytes = maxBytes;
    if (maxDepth !== undefined) options.maxDepth = maxDepth;
    everyParserAnswers(input, options);
  });
});

test('the response parsers answer with arbitrary callers\' arguments (maxRecords, the request a list answers)', (t) => {
  const number = fc.oneof(fc.integer({ min: -3, max: 200 }), fc.constantFrom(0, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53));
  const strings = fc.array(hostileString(10), { maxLength: 4 });
  fuzz(t, fc.tuple(fc.oneof(validDocument, treeDocument), number, fc.option(hostileString(20), { nil: undefined }), fc.option(strings, { nil: undefined })), ([input, n, longCode, codeByLevel]) => {
    answers('parseAttendeeSearchResponse', () => parseAttendeeSearchResponse(input, { maxRecords: n }), 'attendees');
    answers('parseFetchListResponse', () => parseFetchListResponse(input, { numToReturn: n, ...(longCode === undefined ? {} : { longCode }), ...(codeByLevel === undefined ? {} : { codeByLevel }) }), 'items');
  });
});

test('the JSON listing parser answers arbitrary JSON values', (t) => {
  const value = fc.oneof(fc.jsonValue(), fc.array(fc.dictionary(fc.constantFrom('Context', 'EventDateTime', 'EventType', 'NotificationURI', 'NotificationURL', 'ObjectType', 'ObjectURI', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }));
  fuzz(t, value, (json) => answers('parseFailedNotificationsJson', () => parseFailedNotificationsJson(JSON.stringify(json) ?? 'undefined'), 'notifications'));
});

test('parsers answer multi-megabyte documents within the time bound (at and over the size cap)', (t) => {
  const big = fc.tuple(fc.constantFrom(DEFAULT_MAX_XML_BYTES - 200, DEFAULT_MAX_XML_BYTES + 1, 5 * 1024 * 1024), fc.constantFrom('A', '<', '&amp;', '<a>', '\u00e9', '\u{1f600}', '<a/>', '\n'), fc.boolean()).map(([size, unit, bytes]) => {
    const body = unit.repeat(Math.ceil(size / Buffer.byteLength(unit)));
    const document = `<AttendeeSearchResponse><Attendee><ExternalID>${body}</ExternalID></Attendee></AttendeeSearchResponse>`;
    return bytes ? Buffer.from(document, 'utf8') : document;
  });
  fuzz(t, big, (input) => everyParserAnswers(input), 12);
});

// ---------------------------------------------------------------------------------------------------
// Round trips: build, then parse, gives back the input.

test('round trip: AttendeeSearchResponse (build, parse: the same attendees)', (t) => {
  fuzz(t, fc.array(attendeeArb(cleanText), { maxLength: 8 }), (attendees) => {
    const parsed = parseAttendeeSearchResponse(buildAttendeeSearchResponse(attendees), { maxRecords: 100 });
    assert.ok(parsed.ok, !parsed.ok ? parsed.reason : '');
    assert.equal(parsed.attendees.length, attendees.length);
    parsed.attendees.forEach((attendee, i) => {
      for (const [key, value] of Object.entries(attendee)) assert.equal(value, (attendees[i] as unknown as Record<string, string | undefined>)[key] ?? '', key);
    });
  });
});

test('round trip: AttendeeSearchRequest (build, parse: the same criteria)', (t) => {
  fuzz(t, fc.tuple(attendeeArb(cleanText), cleanText(60, 1), fc.integer({ min: 1, max: 100_000 })), ([criteria, owner, max]) => {
    const input = { ...(criteria as unknown as Record<string, string>), ownerLoginId: owner, maximumNumberRecords: max };
    if ([...(criteria.externalId ?? '')].length > 48) return;
    const parsed = parseAttendeeSearchRequest(buildAttendeeSearchRequest(input));
    assert.ok(parsed.ok, !parsed.ok ? parsed.reason : '');
    for (const [key, value] of Object.entries(parsed.criteria)) assert.equal(value, (input as Record<string, unknown>)[key] ?? '', key);
  });
});

test('round trip: fetch-list-request and fetch-list-response (build, parse: the same request and items)', (t) => {
  fuzz(t, fc.tuple(listRequestArb(cleanText), listResponseArb(cleanText)), ([input, { request, items }]) => {
    const parsedRequest = parseFetchListRequest(buildFetchListRequest(input));
    assert.ok(parsedRequest.ok, !parsedRequest.ok ? parsedRequest.reason : '');
    assert.deepEqual(parsedRequest.request, {
      longCode: input.codeByLevel.join('-'),
      shortCode: input.codeByLevel.at(-1) ?? '',
      query: input.query,
      searchBy: input.searchBy,
      langCode: input.langCode.toUpperCase(),
      numToReturn: input.numToReturn,
      protectedListKey: '',
      listName: input.listName ?? '',
      connectorVersion: '',
      configOptions: input.configOptions ?? '',
      codeByLevel: input.codeByLevel,
    });
    const parsedItems = parseFetchListResponse(buildFetchListResponse(items, request), request);
    assert.ok(parsedItems.ok, !parsedItems.ok ? parsedItems.reason : '');
    assert.deepEqual(parsedItems.items, items);
  });
});

test('round trip: Notification and the failed-notification listings, XML and JSON', (t) => {
  fuzz(t, fc.tuple(notificationArb(cleanText), failedArb(cleanText)), ([notification, failed]) => {
    const parsed = parseNotification(buildNotification(notification));
    assert.ok(parsed.ok, !parsed.ok ? parsed.reason : '');
    assert.deepEqual(parsed.notification, { ...notification });
    const expected = failed.map((entry) => ({ ...entry }));
    const fromXml = parseFailedNotificationsXml(buildFailedNotificationsXml(failed));
    assert.ok(fromXml.ok, !fromXml.ok ? fromXml.reason : '');
    assert.deepEqual(fromXml.notifications, expected);
    const fromJson = parseFailedNotificationsJson(buildFailedNotificationsJson(failed));
    assert.ok(fromJson.ok, !fromJson.ok ? fromJson.reason : '');
    assert.deepEqual(fromJson.notifications, expected);
  });
});

// Whatever a builder accepts (it throws CalloutContractError for what breaks the contract), the matching
// parser accepts: "builders produce only documents that the matching parser accepts".

/** Calls a builder: its document, or undefined when it refused the input with a CalloutContractError. */
function built(build: () => string): string | undefined {
  try {
    return build();
  } catch (error) {
    if (error instanceof CalloutContractError) return undefined;
    throw error;
  }
}

test('whatever the attendee builders accept (any characters, whitespace around values), the parsers accept', (t) => {
  fuzz(t, fc.tuple(fc.array(attendeeArb(rawText), { maxLength: 4 }), attendeeArb(rawText), rawText(40), fc.integer({ min: 1, max: 100 })), ([list, criteria, owner, max]) => {
    const response = built(() => buildAttendeeSearchResponse(list));
    if (response !== undefined) {
      const parsed = parseAttendeeSearchResponse(response, { maxRecords: 100 });
      assert.ok(parsed.ok, `buildAttendeeSearchResponse(${JSON.stringify(list)}) built a document its parser refuses: ${!parsed.ok ? parsed.reason : ''}`);
    }
    const request = built(() => buildAttendeeSearchRequest({ ...(criteria as unknown as Record<string, string>), ownerLoginId: owner, maximumNumberRecords: max }));
    if (request !== undefined) {
      const parsed = parseAttendeeSearchRequest(request);
      assert.ok(parsed.ok, `buildAttendeeSearchRequest built a document its parser refuses: ${!parsed.ok ? parsed.reason : ''}`);
    }
  });
});

test('whatever the Fetch List builders accept (any characters, whitespace around codes), the parsers accept', (t) => {
  const raw = (max: number, min = 0) => rawText(max).filter((value) => value.length >= min);
  fuzz(t, fc.tuple(listRequestArb(raw), listResponseArb(raw)), ([input, { request, items }]) => {
    const requestXml = built(() => buildFetchListRequest(input));
    if (requestXml !== undefined) {
      const parsed = parseFetchListRequest(requestXml);
      assert.ok(parsed.ok, `buildFetchListRequest(${JSON.stringify(input)}) built a document its parser refuses: ${!parsed.ok ? parsed.reason : ''}`);
    }
    const responseXml = built(() => buildFetchListResponse(items, request));
    if (responseXml !== undefined) {
      const parsed = parseFetchListResponse(responseXml, request);
      assert.ok(parsed.ok, `buildFetchListResponse(${JSON.stringify(items)}, ${JSON.stringify(request)}) built a document its parser refuses: ${!parsed.ok ? parsed.reason : ''}`);
    }
  });
});

test('whatever the notification builders accept (any characters), the parsers accept', (t) => {
  fuzz(t, fc.tuple(notificationArb(rawText), failedArb(rawText)), ([notification, failed]) => {
    const document = built(() => buildNotification(notification));
    if (document !== undefined) {
      const parsed = parseNotification(document);
      assert.ok(parsed.ok, `buildNotification(${JSON.stringify(notification)}) built a document its parser refuses: ${!parsed.ok ? parsed.reason : ''}`);
    }
    const listing = built(() => buildFailedNotificationsXml(failed as FailedNotificationInput[]));
    if (listing !== undefined) {
      const parsed = parseFailedNotificationsXml(listing);
      assert.ok(parsed.ok, `buildFailedNotificationsXml built a document its parser refuses: ${!parsed.ok ? parsed.reason : ''}`);
    }
    const json = built(() => buildFailedNotificationsJson(failed as FailedNotificationInput[]));
    if (json !== undefined) {
      const parsed = parseFailedNotificationsJson(json);
      assert.ok(parsed.ok, `buildFailedNotificationsJson built a document its parser refuses: ${!parsed.ok ? parsed.reason : ''}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Launch External URL.

const SIGNED_V4 = ['company_domain', 'logged_in_user_id', 'request_owner_user_id', 'request_owner_employee_id', 'item_url', 'nonce'] as const;
const LEU_NAMES = [...SIGNED_V4, 'report_owner_user_id', 'report_owner_employee_id', 'signature', 'xcompanydomain', 'xuserid', 'itemurl', 'source', 'is_mobile', 'request_ids', 'expense_ids', 'client_auth_code', 'language_code', 'custom_field_launched_from', '__proto__', 'constructor'];
const BASE64_LIKE = fc.oneof(fc.base64String({ maxLength: 60 }), fc.constantFrom('', '====', 'a b c', 'AAAA', 'A'.repeat(44)), hostileString(50));
const leuQueryArb: fc.Arbitrary<LeuQuery> = fc.oneof(
  hostileString(200),
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...LEU_NAMES), hostileString(10)), fc.oneof(BASE64_LIKE, hostileString(30))), { maxLength: 14 }).chain((pairs) =>
    fc.constantFrom<(pairs: Array<[string, string]>) => LeuQuery>(
      (p) => new URLSearchParams(p),
      (p) => `?${new URLSearchParams(p).toString()}`,
      (p) => `/form?${new URLSearchParams(p).toString()}`,
      (p) => `https://connector.example/form?${p.map(([k, v]) => `${k}=${v}`).join('&')}`,
      (p) => p.map(([k, v]) => `${k}=${v}`).join('&'),
      (p) => Object.fromEntries(p),
      (p) => Object.fromEntries(p.map(([k, v]) => [k, [v, v]])),
      (p) => new URL(`https://connector.example/form?${new URLSearchParams(p).toString()}`),
    ).map((form) => form(pairs)),
  ),
  fc.constantFrom<LeuQuery>('http://', 'https://[::1', 'http://%zz', '/%', '%E0%A4%A', '?a=%', '&&&==', 'a=1&a=2'),
);
const leuOptionsArb: fc.Arbitrary<LeuVerifyOptions> = fc.record({
  username: fc.oneof(hostileString(20), fc.constant('')),
  password: hostileString(20),
  versions: fc.option(fc.subarray(['v4', 'v1'] as const), { nil: undefined }),
});

test('verifyLeuSignature answers any query (strings, URLs, parameters, records) and any credentials', (t) => {
  fuzz(t, fc.tuple(leuQueryArb, leuOptionsArb), ([query, options]) => {
    let result: ReturnType<typeof verifyLeuSignature>;
    try {
      result = verifyLeuSignature(query, options);
    } catch (error) {
      assert.fail(`verifyLeuSignature threw: ${(error as Error).stack}`);
    }
    assert.equal(typeof result.ok, 'boolean');
    if (!result.ok) assert.ok(typeof result.reason === 'string' && result.reason.length > 0);
    else assert.ok(result.params.version === 'v4' || result.params.version === 'v1');
  });
});

const leuParamsArb = fc
  .record({
    companyDomain: rawText(40),
    loggedInUserId: rawText(40),
    requestOwnerUserId: rawText(40),
    requestOwnerEmployeeId: rawText(40),
    itemUrl: rawText(80),
    customFieldLaunchedFrom: rawText(20),
    source: fc.constantFrom('HEADER', 'ENTRY', 'ALLOCATION') as fc.Arbitrary<'HEADER' | 'ENTRY' | 'ALLOCATION'>,
    isMobile: fc.boolean(),
    nonce: rawText(40).filter((nonce) => nonce !== ''),
    clientAuthCode: rawText(40),
    languageCode: fc.stringMatching(/^[a-z]{2}([-_][A-Z]{2})?$/),
    requestIds: fc.array(rawText(10).filter((id) => id !== '' && !id.includes(',')), { minLength: 1, maxLength: 3 }),
  })
  .map(({ requestIds, ...params }): LeuV4RequestParams => ({ version: 'v4', variant: 'request', ...params, ...(params.source === 'ALLOCATION' ? { requestIds } : {}) }));
const credentialsArb = fc.record({ username: rawText(30).filter((name) => name !== ''), password: rawText(30) });

test('LEU round trip: every URL buildLeuUrl signs verifies, with the values sent; any change to a signed value or the credentials is refused', (t) => {
  fuzz(t, fc.tuple(leuParamsArb, credentialsArb, credentialsArb, fc.constantFrom(...SIGNED_V4), rawText(5)), ([params, credentials, other, tampered, extra]) => {
    const signature = leuSignature({ ...params, ...credentials });
    const url = buildLeuUrl('https://connector.example/request/launchexternalurl/v4/form?tenant=7', { ...params, signature });
    const verified = verifyLeuSignature(url, { ...credentials });
    assert.ok(verified.ok, `a URL built and signed by buildLeuUrl was refused: ${!verified.ok ? verified.reason : ''}`);
    assert.equal(verified.params.version, 'v4');
    const p = verified.params as Extract<typeof verified.params, { version: 'v4' }>;
    assert.equal(p.companyDomain, params.companyDomain.toWellFormed());
    assert.equal(p.loggedInUserId, params.loggedInUserId.toWellFormed());
    assert.equal(p.ownerUserId, params.requestOwnerUserId.toWellFormed());
    assert.equal(p.ownerEmployeeId, params.requestOwnerEmployeeId.toWellFormed());
    assert.equal(p.itemUrl, params.itemUrl.toWellFormed());
    assert.equal(p.nonce, params.nonce.toWellFormed());
    assert.equal(p.clientAuthCode, params.clientAuthCode.toWellFormed());
    assert.equal(p.isMobile, params.isMobile);
    assert.deepEqual(p.ids, params.requestIds?.map((id) => id.toWellFormed()));

    // The scheme concatenates without separators: credentials giving the same key and the same message sign the same.
    const key = (c: { username: string; password: string }) => `${c.username.toWellFormed().toLowerCase()}${c.password.toWellFormed()}`;
    const signed = (c: { username: string; password: string }) => `${c.username.toWellFormed()}${c.password.toWellFormed()}`;
    if (key(other) !== key(credentials) || signed(other) !== signed(credentials)) {
      assert.equal(verifyLeuSignature(url, other).ok, false, 'other credentials verified the launch');
    }
    const changed = new URL(url);
    const before = changed.searchParams.get(tampered) ?? '';
    const after = before + (extra === '' ? 'x' : extra);
    if (after.toWellFormed() !== before) {
      changed.searchParams.set(tampered, after);
      assert.equal(verifyLeuSignature(changed, credentials).ok, false, `changing ${tampered} kept the signature valid`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Other helpers that read what peers send.

test('fetchListQueryMatches agrees with the wildcard reading (as a regular expression), and stays linear on long inputs', (t) => {
  const small = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '*', ' ', '.', 'İ', 'ß'), maxLength: 8 });
  fuzz(t, fc.tuple(small, small, fc.constantFrom(0, 10_000)), ([query, value, long]) => {
    const started = performance.now();
    const q = long ? `${'*a'.repeat(long)}*` : query;
    const v = long ? 'ab'.repeat(long) : value;
    const actual = fetchListQueryMatches(q, v);
    assert.ok(performance.now() - started < TIME_BOUND_MS);
    if (long) return;
    const lowered = q.trim().toLowerCase();
    const expected = lowered === '' || new RegExp(`^${lowered.split('*').map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's').test(v.toLowerCase());
    assert.equal(actual, expected, `query ${JSON.stringify(q)} value ${JSON.stringify(v)}`);
  });
});

test('attendeeVersionFromEndpoint answers any endpoint', (t) => {
  fuzz(t, fc.oneof(hostileString(100), fc.webUrl({ withQueryParameters: true, withFragments: true })), (endpoint) => {
    const result = attendeeVersionFromEndpoint(endpoint);
    assert.ok(result.ok === true || (result.ok === false && typeof result.reason === 'string'));
  });
});

// ---------------------------------------------------------------------------------------------------
// Regressions: each defect the properties above found, named after it.

test('regression: a Fetch List short code with whitespace around it built a response its own parser refuses', () => {
  // buildFetchListResponse checked `code === longCode + "-" + shortCode` on the raw values, but the parser
  // trims leaf values, so " SF" under "US" was written as <code>US- SF</code><short-code> SF</short-code>
  // and read back as short code "SF", whose code "US-SF" the <code> no longer matched.
  const request = { codeByLevel: ['US'], numToReturn: 5 };
  const document = built(() => buildFetchListResponse([{ code: 'US- SF', shortCode: ' SF', text: 'San Francisco', matchValue: 'San' }], request));
  if (document !== undefined) {
    const parsed = parseFetchListResponse(document, request);
    assert.ok(parsed.ok, `the builder accepted the item but the parser refuses its document: ${!parsed.ok ? parsed.reason : ''}`);
  }
  const blank = built(() => buildFetchListResponse([{ code: ' ', shortCode: ' ', text: 'Blank', matchValue: '' }], { numToReturn: 5 }));
  if (blank !== undefined) {
    const parsed = parseFetchListResponse(blank, { numToReturn: 5 });
    assert.ok(parsed.ok, `the builder accepted a blank short code but the parser refuses its document: ${!parsed.ok ? parsed.reason : ''}`);
  }
});

test('regression: the JSON failed-notification listing dropped the Unicode spaces (NBSP, U+2003, U+2028, BOM) around values that the XML listing keeps', () => {
  // parseFailedNotificationsJson trims values with String.prototype.trim (every Unicode space), while the XML
  // reader trims only XML whitespace (space, tab, CR, LF): the same listing read two different ways.
  for (const eventType of ['Step\u00a0', '\u2003Step', 'Step\u2028', 'Step\ufeff']) {
    const entries = [{ context: null, eventDateTime: '2012-11-14T19:45:25', eventType, notificationUri: 'https://n/1', objectType: 'EXPRPT' as const, objectUri: 'https://o/1' }];
    const fromXml = parseFailedNotificationsXml(buildFailedNotificationsXml(entries));
    const fromJson = parseFailedNotificationsJson(buildFailedNotificationsJson(entries));
    assert.ok(fromXml.ok && fromJson.ok);
    assert.equal(fromXml.notifications[0]!.eventType, eventType);
    assert.equal(fromJson.notifications[0]!.eventType, eventType, `the JSON listing changed ${JSON.stringify(eventType)}`);
  }
});

test('fuzz total', (t) => {
  t.diagnostic(`${totalInputs} inputs tried in total (seed ${SEED})`);
});
