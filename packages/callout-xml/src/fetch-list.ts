/**
 * Fetch List, version 1.2 (spec §2).
 *
 * When a user types in an external list field, Concur (here: patchbay) POSTs a `fetch-list-request` (lower
 * case, hyphenated names, no namespace, the spec's prolog `<?xml version="1.0" ?>`) and the connector answers
 * a `fetch-list-response` with one `item` per match. For a connected (multi-level) list the request names the
 * parent item: `long-code` is the parent's codes at every level joined by `-`, `short-code` the parent's own
 * code, and `code-by-level` lists them again as `level1`, `level2`, ... Each answered item's `code` is the
 * request's `long-code` + `-` + the item's `short-code`.
 */
import { CalloutContractError, ContractViolation, failure, guard, quote } from './result.ts';
import type { ParseFailure } from './result.ts';
import { childrenNamed, onlyChildren, optionalLeaf, positiveInteger, readDocument, requiredLeaf, singleChild, leafText } from './read.ts';
import { stripIllegalXmlChars, xmlElement } from './xml.ts';
import type { XmlParseOptions } from './xml.ts';

/** The system limit on `num-to-return` and on the items of a response (1000 before October 2020). */
export const FETCH_LIST_LIMIT = 100;

/** The Content-Type of the request (the response is `application/xml`). */
export const FETCH_LIST_REQUEST_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** `search-by`: match `query` against the items' text or their codes. A connector must support both. */
export type FetchListSearchBy = 'TEXT' | 'CODE';

/** A `fetch-list-request`, as parsed: every element's value (`''` for empty elements). */
export interface FetchListRequest {
  /** The parent item's codes at every level joined by `-` (e.g. `US-W-CA`); `''` for a single-level list. */
  longCode: string;
  /** The parent item's own code (e.g. `CA`); `''` for a single-level list. */
  shortCode: string;
  /** The search text, with `*` wildcards: `*` = everything, `West*` = starts with, `*text` = ends with. */
  query: string;
  searchBy: FetchListSearchBy;
  /** The user's two-letter language, upper case (e.g. `EN`). */
  langCode: string;
  /** The most items to answer, at most `FETCH_LIST_LIMIT`. */
  numToReturn: number;
  /** Internal connector information, "not used by customers"; sent empty. */
  protectedListKey: string;
  listName: string;
  connectorVersion: string;
  configOptions: string;
  /** `code-by-level/level1`, `level2`, ...: the parent's code at each level; `[]` for a single-level list. */
  codeByLevel: string[];
}

/**
 * What `buildFetchListRequest` takes. For a connected list give `codeByLevel` (the parent's code at each
 * level, level 1 first): `longCode` and `shortCode` default to what it implies, and must agree with it if
 * given. Leave all three out for a single-level list or the first level of a connected list.
 */
export interface FetchListRequestInput {
  longCode?: string;
  shortCode?: string;
  codeByLevel?: readonly string[];
  query: string;
  searchBy: FetchListSearchBy;
  langCode: string;
  numToReturn: number;
  protectedListKey?: string;
  listName?: string;
  connectorVersion?: string;
  configOptions?: string;
}

/** One item of a `fetch-list-response`. All four are required. */
export interface FetchListItem {
  /** The full code: the request's `long-code` + `-` + `shortCode` (just `shortCode` for a single-level list). */
  code: string;
  shortCode: string;
  /** The text shown to the user, e.g. `San Francisco`. */
  text: string;
  /** The value that matched the search term. */
  matchValue: string;
}

/** The request's `long-code`: as given, else the `codeByLevel` joined by `-`. */
export function fetchListLongCode(request: Pick<FetchListRequestInput, 'longCode' | 'codeByLevel'>): string {
  return request.longCode ?? (request.codeByLevel ?? []).join('-');
}

/** An item's `code` for a request's `long-code`: `long-code-short-code`, or just the short code when `long-code` is empty. */
export function fetchListItemCode(longCode: string, shortCode: string): string {
  return longCode === '' ? shortCode : `${longCode}-${shortCode}`;
}

function text(value: unknown, name: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new CalloutContractError(`fetch-list-request: ${name} must be a string`);
  return stripIllegalXmlChars(value);
}

/**
 * Builds the `fetch-list-request` body: the spec's prolog, then `long-code`, `short-code`, `query`,
 * `search-by`, `lang-code`, `num-to-return`, the four internal elements (empty unless given) and, for a
 * connected list below its first level, `code-by-level` with `level1`...`levelN`. Throws
 * `CalloutContractError` for a `searchBy` other than TEXT/CODE, a `langCode` that is not two letters, a
 * `numToReturn` outside 1–100, or codes that disagree with each other.
 */
export function buildFetchListRequest(input: FetchListRequestInput): string {
  const levels = (input.codeByLevel ?? []).map((code, i) => text(code, `codeByLevel[${i}]`));
  if (levels.some((code) => code === '')) throw new CalloutContractError('fetch-list-request: codeByLevel has an empty code');
  const longCode = text(fetchListLongCode({ longCode: input.longCode, codeByLevel: levels }), 'longCode');
  const shortCode = text(input.shortCode ?? levels.at(-1) ?? '', 'shortCode');
  if (levels.length > 0 && (longCode !== levels.join('-') || shortCode !== levels.at(-1))) {
    throw new CalloutContractError('fetch-list-request: longCode and shortCode must agree with codeByLevel');
  }
  if ((longCode === '') !== (shortCode === '')) {
    throw new CalloutContractError('fetch-list-request: longCode and shortCode are both empty (no parent) or both set');
  }
  if (longCode !== shortCode && !longCode.endsWith(`-${shortCode}`)) {
    throw new CalloutContractError('fetch-list-request: longCode must end with shortCode');
  }
  if (input.searchBy !== 'TEXT' && input.searchBy !== 'CODE') throw new CalloutContractError('fetch-list-request: searchBy must be TEXT or CODE');
  if (typeof input.langCode !== 'string' || !/^[A-Za-z]{2}$/.test(input.langCode)) {
    throw new CalloutContractError('fetch-list-request: langCode must be a two-letter language code');
  }
  const num = input.numToReturn;
  if (!Number.isSafeInteger(num) || num < 1 || num > FETCH_LIST_LIMIT) {
    throw new CalloutContractError(`fetch-list-request: numToReturn must be an integer from 1 to ${FETCH_LIST_LIMIT}`);
  }
  const parts = [
    '<?xml version="1.0" ?>',
    '<fetch-list-request>',
    xmlElement('long-code', longCode),
    xmlElement('short-code', shortCode),
    xmlElement('query', text(input.query, 'query')),
    xmlElement('search-by', input.searchBy),
    // The spec's example is `EN`; the case is an open question, upper case is what Concur shows.
    xmlElement('lang-code', input.langCode.toUpperCase()),
    xmlElement('num-to-return', String(num)),
    xmlElement('protected-list-key', text(input.protectedListKey, 'protectedListKey')),
    xmlElement('list-name', text(input.listName, 'listName')),
    xmlElement('connector-version', text(input.connectorVersion, 'connectorVersion')),
    xmlElement('config-options', text(input.configOptions, 'configOptions')),
  ];
  // Only connected lists below their first level have a parent: a single-level list (and the first level of a
  // connected one) sends no `code-by-level` at all, as in the spec's single-level description.
  if (levels.length > 0) {
    parts.push('<code-by-level>', ...levels.map((code, i) => xmlElement(`level${i + 1}`, code)), '</code-by-level>');
  }
  parts.push('</fetch-list-request>');
  return parts.join('');
}

/** The result of `parseFetchListRequest`. */
export type FetchListRequestResult = { ok: true; request: FetchListRequest } | ParseFailure;

/**
 * Parses a `fetch-list-request` (the connector side). `long-code`, `short-code`, `query`, `search-by`,
 * `lang-code` and `num-to-return` must be present; `search-by` must be TEXT or CODE (any case, returned upper
 * case); `lang-code` two letters (returned upper case); `num-to-return` an integer from 1 to 100. The internal
 * elements and `code-by-level` may be absent; `code-by-level` must hold `level1`, `level2`, ... in order.
 * Never throws.
 */
export function parseFetchListRequest(xml: string | Uint8Array, options: XmlParseOptions = {}): FetchListRequestResult {
  return guard(() => {
    const root = readDocument(xml, options, 'fetch-list-request');
    const where = 'fetch-list-request';
    const searchBy = requiredLeaf(root, where, 'search-by').toUpperCase();
    if (searchBy !== 'TEXT' && searchBy !== 'CODE') {
      throw new ContractViolation('invalid', `${where}: <search-by> must be TEXT or CODE, not ${quote(searchBy)}`);
    }
    const langCode = requiredLeaf(root, where, 'lang-code');
    if (!/^[A-Za-z]{2}$/.test(langCode)) throw new ContractViolation('invalid', `${where}: <lang-code> must be two letters, not ${quote(langCode)}`);
    const numToReturn = positiveInteger(requiredLeaf(root, where, 'num-to-return'), where, 'num-to-return');
    if (numToReturn > FETCH_LIST_LIMIT) {
      throw new ContractViolation('invalid', `${where}: <num-to-return> is ${numToReturn}, over the limit of ${FETCH_LIST_LIMIT}`);
    }
    const codeByLevel: string[] = [];
    const levels = singleChild(root, where, 'code-by-level');
    if (levels) {
      levels.children.forEach((level, i) => {
        if (level.localName !== `level${i + 1}`) {
          throw new ContractViolation('invalid', `${where}/code-by-level: expected <level${i + 1}>, found <${level.name}>`);
        }
        codeByLevel.push(leafText(level, `${where}/code-by-level`));
      });
    }
    const request: FetchListRequest = {
      longCode: requiredLeaf(root, where, 'long-code'),
      shortCode: requiredLeaf(root, where, 'short-code'),
      query: requiredLeaf(root, where, 'query'),
      searchBy,
      langCode: langCode.toUpperCase(),
      numToReturn,
      protectedListKey: optionalLeaf(root, where, 'protected-list-key') ?? '',
      listName: optionalLeaf(root, where, 'list-name') ?? '',
      connectorVersion: optionalLeaf(root, where, 'connector-version') ?? '',
      configOptions: optionalLeaf(root, where, 'config-options') ?? '',
      codeByLevel,
    };
    return { ok: true, request };
  });
}

/**
 * Builds the `fetch-list-response` a connector answers: an XML declaration, then one `item` per match with
 * `code`, `short-code`, `text`, `match-value` in that order; no matches give the spec's
 * `<fetch-list-response></fetch-list-response>`. When `request` is given, each `code` must be its long-code +
 * `-` + `shortCode` and the items at most its `numToReturn`. Throws `CalloutContractError` for an empty
 * `code` or `shortCode`, more than 100 items (or `request.numToReturn`), or a `code` that disagrees.
 */
export function buildFetchListResponse(
  items: readonly FetchListItem[],
  request?: Pick<FetchListRequestInput, 'longCode' | 'codeByLevel' | 'numToReturn'>,
): string {
  const cap = Math.min(request?.numToReturn ?? FETCH_LIST_LIMIT, FETCH_LIST_LIMIT);
  if (items.length > cap) throw new CalloutContractError(`fetch-list-response: ${items.length} items, more than the ${cap} allowed`);
  const longCode = request ? fetchListLongCode(request) : undefined;
  const parts = ['<?xml version="1.0" encoding="utf-8"?>', '<fetch-list-response>'];
  items.forEach((item, i) => {
    const where = `fetch-list-response item ${i + 1}`;
    // The parser trims XML whitespace from both; so does the builder, so that what it writes parses back.
    const code = trimXmlSpace(stripIllegalXmlChars(String(item.code ?? '')));
    const shortCode = trimXmlSpace(stripIllegalXmlChars(String(item.shortCode ?? '')));
    if (code === '' || shortCode === '') throw new CalloutContractError(`${where}: code and shortCode are required`);
    if (longCode !== undefined && code !== fetchListItemCode(longCode, shortCode)) {
      throw new CalloutContractError(`${where}: code must be ${JSON.stringify(fetchListItemCode(longCode, shortCode))}`);
    }
    parts.push(
      '<item>',
      xmlElement('code', code),
      xmlElement('short-code', shortCode),
      xmlElement('text', String(item.text ?? '')),
      xmlElement('match-value', String(item.matchValue ?? '')),
      '</item>',
    );
  });
  parts.push('</fetch-list-response>');
  return parts.join('');
}

/** Removes the whitespace XML knows (space, tab, CR, LF) from both ends, as the readers do. */
function trimXmlSpace(value: string): string {
  return value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** The result of `parseFetchListResponse`. */
export type FetchListResponseResult = { ok: true; items: FetchListItem[] } | ParseFailure;

/**
 * Parses and validates a connector's `fetch-list-response` (the patchbay side), against the request it
 * answers (its `longCode`, or its `codeByLevel`, and its `numToReturn`). Never throws.
 *
 * - An empty root is zero items. Elements other than `item` under the root are refused.
 * - Each `item` must have all four children (`code`, `short-code`, `text`, `match-value`); `code` and
 *   `short-code` must not be empty; `code` must be long-code + `-` + short-code. For a single-level list
 *   (empty long-code) the spec is silent: both `SF` and `-SF` are accepted, and returned as `SF`.
 * - More than `numToReturn` (or 100) items are refused with code `too-many-results`.
 */
export function parseFetchListResponse(
  xml: string | Uint8Array,
  request: Pick<FetchListRequestInput, 'longCode' | 'codeByLevel' | 'numToReturn'>,
  options: XmlParseOptions = {},
): FetchListResponseResult {
  return guard(() => {
    const numToReturn = request.numToReturn;
    if (!Number.isSafeInteger(numToReturn) || numToReturn < 1) return failure('invalid', 'numToReturn must be a positive integer');
    const longCode = fetchListLongCode(request);
    const root = readDocument(xml, options, 'fetch-list-response');
    onlyChildren(root, 'fetch-list-response', 'item');
    const elements = childrenNamed(root, 'item');
    const cap = Math.min(numToReturn, FETCH_LIST_LIMIT);
    if (elements.length > cap) {
      return failure('too-many-results', `the connector returned ${elements.length} list items, more than the ${cap} asked for: refine your search`);
    }
    const items = elements.map((element, i): FetchListItem => {
      const where = `fetch-list-response item ${i + 1}`;
      const code = requiredLeaf(element, where, 'code');
      const shortCode = requiredLeaf(element, where, 'short-code');
      const itemText = requiredLeaf(element, where, 'text');
      const matchValue = requiredLeaf(element, where, 'match-value');
      if (shortCode === '') throw new ContractViolation('invalid', `${where}: <short-code> is empty`);
      const expected = fetchListItemCode(longCode, shortCode);
      if (code !== expected && !(longCode === '' && code === `-${shortCode}`)) {
        throw new ContractViolation('invalid', `${where}: <code> is ${quote(code)}, but long-code + "-" + short-code is ${quote(expected)}`);
      }
      return { code: expected, shortCode, text: itemText, matchValue };
    });
    return { ok: true, items };
  });
}

/**
 * Whether a value matches a `query` with `*` wildcards, as a connector should read it: `*` (or an empty query)
 * matches everything, `West*` starts with, `*text` ends with, `*text*` contains, and `*` may appear anywhere
 * else too; without `*` the whole value must match. Case-insensitive (the spec does not say; users type in any
 * case). Linear time: no regular expression is built from the query.
 */
export function fetchListQueryMatches(query: string, value: string): boolean {
  const pieces = query.trim().toLowerCase().split('*');
  const subject = value.toLowerCase();
  if (pieces.length === 1) return pieces[0] === '' || subject === pieces[0];
  const first = pieces[0] ?? '';
  const last = pieces.at(-1) ?? '';
  if (!subject.startsWith(first) || subject.length < first.length + last.length || !subject.endsWith(last)) return false;
  // Each middle piece, leftmost first, in the part between the prefix and the suffix: greedy is exact for `*`.
  let from = first.length;
  const until = subject.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const at = subject.indexOf(piece, from);
    if (at === -1 || at + piece.length > until) return false;
    from = at + piece.length;
  }
  return true;
}
