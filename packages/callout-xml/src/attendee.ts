/**
 * Fetch Attendee, version 2.0 (spec §1).
 *
 * Concur (here: patchbay) POSTs an `AttendeeSearchRequest` holding one `Attendee` with the search form's
 * values, **every** field present in the documented order (blanks as empty elements), and the connector
 * answers an `AttendeeSearchResponse` with one `Attendee` per match. The request has no XML declaration and
 * no namespace, like the spec's example. Request and response differ in their field order and in some
 * maximum lengths (ExternalID is 48 in the request but 32 in the response; Custom21–25 are 100 in the
 * request but 48 in the response).
 */
import { CalloutContractError, ContractViolation, charLength, failure, guard, quote } from './result.ts';
import type { ParseFailure } from './result.ts';
import { onlyChildren, leafReader, positiveInteger, readDocument, requiredLeaf, singleChild, childrenNamed } from './read.ts';
import { stripIllegalXmlChars, xmlElement } from './xml.ts';
import type { XmlParseOptions } from './xml.ts';

/** The documented cap on a Fetch Attendee result list, whatever `MaximumNumberRecords` says. */
export const ATTENDEE_RESULT_LIMIT = 100;

/** The Content-Type of the request (the response is `application/xml`). */
export const ATTENDEE_REQUEST_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** The numbers of the custom fields, 1 to 25. */
export type AttendeeCustomIndex =
  | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13
  | 14 | 15 | 16 | 17 | 18 | 19 | 20 | 21 | 22 | 23 | 24 | 25;

/** `custom1` … `custom25`: the `Custom1` … `Custom25` elements (HCP data for life-sciences companies, see the spec). */
export type AttendeeCustomFields = { [K in AttendeeCustomIndex as `custom${K}`]: string };

/** The search values of an `AttendeeSearchRequest`, as parsed: every field is present (`''` for blanks). */
export interface AttendeeSearchCriteria extends AttendeeCustomFields {
  attendeeTypeCode: string;
  firstName: string;
  middleInitial: string;
  lastName: string;
  suffix: string;
  title: string;
  company: string;
  externalId: string;
  /** The Concur login ID of the **owner** of the report or request (not necessarily the user searching). */
  ownerLoginId: string;
  /** The most results the connector may return (patchbay also caps at `ATTENDEE_RESULT_LIMIT`). */
  maximumNumberRecords: number;
}

/** What `buildAttendeeSearchRequest` takes: any search value may be left out (sent as an empty element). */
export type AttendeeSearchCriteriaInput = Partial<AttendeeSearchCriteria> &
  Pick<AttendeeSearchCriteria, 'ownerLoginId' | 'maximumNumberRecords'>;

/** An attendee as returned by the connector, as parsed: every field is present (`''` for blanks). */
export interface Attendee extends AttendeeCustomFields {
  /** The attendee's key in the connector's system. Required, at most 32 characters. */
  externalId: string;
  /** Required, at most 50 characters. */
  firstName: string;
  middleInitial: string;
  /** Required, at most 132 characters. */
  lastName: string;
  suffix: string;
  company: string;
  attendeeTypeCode: string;
  title: string;
}

/** What `buildAttendeeSearchResponse` takes: `externalId`, `firstName` and `lastName` are required. */
export type AttendeeInput = Partial<Attendee> & Pick<Attendee, 'externalId' | 'firstName' | 'lastName'>;

/** One element of a Fetch Attendee document: its name, the property it maps to, its maximum length. */
export interface AttendeeField<P extends string> {
  readonly element: string;
  readonly property: P;
  /** In characters; `undefined` when the spec gives none. */
  readonly maxLength: number | undefined;
  readonly required: boolean;
}

type CriteriaTextProperty = Exclude<keyof AttendeeSearchCriteria, 'maximumNumberRecords'>;

const CUSTOM_INDEXES = Array.from({ length: 25 }, (_, i) => (i + 1) as AttendeeCustomIndex);

const field = <P extends string>(element: string, property: P, maxLength: number | undefined, required = false): AttendeeField<P> =>
  Object.freeze({ element, property, maxLength, required });

/**
 * The text elements of `AttendeeSearchRequest/Attendee`, in the documented order, with the request's maximum
 * lengths. `MaximumNumberRecords` (an integer) comes between `OwnerLoginID` and `Custom1`.
 */
export const ATTENDEE_SEARCH_REQUEST_FIELDS: readonly AttendeeField<CriteriaTextProperty>[] = Object.freeze([
  field('AttendeeTypeCode', 'attendeeTypeCode', 8),
  field('FirstName', 'firstName', 50),
  field('MiddleInitial', 'middleInitial', 1),
  field('LastName', 'lastName', 132),
  field('Suffix', 'suffix', 32),
  field('Title', 'title', 32),
  field('Company', 'company', 150),
  field('ExternalID', 'externalId', 48),
  // The spec gives no maximum for the owner's login ID; it is required (Concur always knows the owner).
  field('OwnerLoginID', 'ownerLoginId', undefined, true),
  ...CUSTOM_INDEXES.map((i) => field(`Custom${i}`, `custom${i}` as const, 100)),
]);

/**
 * The elements of `AttendeeSearchResponse/Attendee`, in the order of the spec's example, with the
 * response's maximum lengths (ExternalID 32; Custom1–20 100; Custom21–25 48).
 */
export const ATTENDEE_SEARCH_RESPONSE_FIELDS: readonly AttendeeField<keyof Attendee>[] = Object.freeze([
  field('ExternalID', 'externalId', 32, true),
  field('FirstName', 'firstName', 50, true),
  field('MiddleInitial', 'middleInitial', 1),
  field('LastName', 'lastName', 132, true),
  field('Suffix', 'suffix', 32),
  field('Company', 'company', 150),
  field('AttendeeTypeCode', 'attendeeTypeCode', 8),
  field('Title', 'title', 32),
  ...CUSTOM_INDEXES.map((i) => field(`Custom${i}`, `custom${i}` as const, i <= 20 ? 100 : 48)),
]);

/** The index where `MaximumNumberRecords` goes in the request: right after `OwnerLoginID`. */
const MAXIMUM_NUMBER_RECORDS_AFTER = ATTENDEE_SEARCH_REQUEST_FIELDS.findIndex((f) => f.element === 'OwnerLoginID');

function checkedValue(value: unknown, f: AttendeeField<string>, where: string): string {
  if (value === undefined || value === null) value = '';
  if (typeof value !== 'string') throw new CalloutContractError(`${where}: ${f.property} must be a string`);
  // Characters XML cannot carry are dropped first, so the length checked is the length sent.
  const text = stripIllegalXmlChars(value);
  if (f.required && text.trim() === '') throw new CalloutContractError(`${where}: ${f.property} (<${f.element}>) is required`);
  if (f.maxLength !== undefined && charLength(text) > f.maxLength) {
    throw new CalloutContractError(`${where}: ${f.property} (<${f.element}>) is longer than ${f.maxLength} characters`);
  }
  return text;
}

/**
 * Builds the `AttendeeSearchRequest` body patchbay POSTs to a connector: every field present, in the
 * documented order, blanks as empty elements (`<MiddleInitial/>`), no XML declaration, no namespace.
 * Throws `CalloutContractError` for a value over its maximum length, a missing `ownerLoginId`, or a
 * `maximumNumberRecords` that is not a positive integer.
 */
export function buildAttendeeSearchRequest(input: AttendeeSearchCriteriaInput): string {
  const max = input.maximumNumberRecords;
  if (!Number.isSafeInteger(max) || max < 1) throw new CalloutContractError('AttendeeSearchRequest: maximumNumberRecords must be a positive integer');
  const parts: string[] = ['<AttendeeSearchRequest><Attendee>'];
  ATTENDEE_SEARCH_REQUEST_FIELDS.forEach((f, index) => {
    parts.push(xmlElement(f.element, checkedValue(input[f.property], f, 'AttendeeSearchRequest')));
    if (index === MAXIMUM_NUMBER_RECORDS_AFTER) parts.push(`<MaximumNumberRecords>${max}</MaximumNumberRecords>`);
  });
  parts.push('</Attendee></AttendeeSearchRequest>');
  return parts.join('');
}

/** The result of `parseAttendeeSearchRequest`. */
export type AttendeeSearchRequestResult = { ok: true; criteria: AttendeeSearchCriteria } | ParseFailure;

/**
 * Parses an `AttendeeSearchRequest` (the connector side). Every documented element must be present (Concur
 * sends them all, blanks as empty elements) and within the request's maximum lengths; `OwnerLoginID` must
 * have a value and `MaximumNumberRecords` must be a positive integer. Unknown elements are ignored; element
 * order is not checked. Never throws.
 */
export function parseAttendeeSearchRequest(xml: string | Uint8Array, options: XmlParseOptions = {}): AttendeeSearchRequestResult {
  return guard(() => {
    const root = readDocument(xml, options, 'AttendeeSearchRequest');
    onlyChildren(root, 'AttendeeSearchRequest', 'Attendee');
    const attendee = singleChild(root, 'AttendeeSearchRequest', 'Attendee');
    if (!attendee) throw new ContractViolation('invalid', 'AttendeeSearchRequest: <Attendee> is missing');
    const where = 'AttendeeSearchRequest/Attendee';
    const criteria: Partial<Record<CriteriaTextProperty, string>> = {};
    for (const f of ATTENDEE_SEARCH_REQUEST_FIELDS) {
      const value = requiredLeaf(attendee, where, f.element);
      if (f.required && value === '') throw new ContractViolation('invalid', `${where}: <${f.element}> is empty`);
      if (f.maxLength !== undefined && charLength(value) > f.maxLength) {
        throw new ContractViolation('invalid', `${where}: <${f.element}> is ${charLength(value)} characters, more than ${f.maxLength}`);
      }
      criteria[f.property] = value;
    }
    const maximumNumberRecords = positiveInteger(requiredLeaf(attendee, where, 'MaximumNumberRecords'), where, 'MaximumNumberRecords');
    return { ok: true, criteria: { ...(criteria as Record<CriteriaTextProperty, string>), maximumNumberRecords } };
  });
}

/**
 * Builds the `AttendeeSearchResponse` a connector answers: an XML declaration, then one `Attendee` per
 * match with all elements in the documented order (blanks as empty elements); no matches give the spec's
 * `<?xml version="1.0" encoding="utf-8"?><AttendeeSearchResponse/>`. Throws `CalloutContractError` for a
 * missing `externalId`/`firstName`/`lastName`, a value over its maximum length, or more than
 * `maxRecords` (default `ATTENDEE_RESULT_LIMIT`) attendees: a connector must answer at most the request's
 * `MaximumNumberRecords`.
 */
export function buildAttendeeSearchResponse(attendees: readonly AttendeeInput[], options: { maxRecords?: number } = {}): string {
  const cap = Math.min(options.maxRecords ?? ATTENDEE_RESULT_LIMIT, ATTENDEE_RESULT_LIMIT);
  if (attendees.length > cap) {
    throw new CalloutContractError(`AttendeeSearchResponse: ${attendees.length} attendees, more than the ${cap} allowed`);
  }
  const prolog = '<?xml version="1.0" encoding="utf-8"?>';
  if (attendees.length === 0) return `${prolog}<AttendeeSearchResponse/>`;
  const parts: string[] = [prolog, '<AttendeeSearchResponse>'];
  attendees.forEach((attendee, index) => {
    parts.push('<Attendee>');
    for (const f of ATTENDEE_SEARCH_RESPONSE_FIELDS) {
      parts.push(xmlElement(f.element, checkedValue(attendee[f.property], f, `attendee ${index + 1}`)));
    }
    parts.push('</Attendee>');
  });
  parts.push('</AttendeeSearchResponse>');
  return parts.join('');
}

/** Options of `parseAttendeeSearchResponse`. */
export interface AttendeeSearchResponseOptions extends XmlParseOptions {
  /** The `MaximumNumberRecords` that was sent: more results than this (or than 100) mean "refine your search". */
  maxRecords: number;
}

/** The result of `parseAttendeeSearchResponse`. */
export type AttendeeSearchResponseResult = { ok: true; attendees: Attendee[] } | ParseFailure;

/**
 * Parses and validates a connector's `AttendeeSearchResponse` (the patchbay side). Never throws.
 *
 * - An empty root (`<AttendeeSearchResponse/>`) is zero results.
 * - More than `ATTENDEE_RESULT_LIMIT` (100) attendees, or more than `maxRecords`, is refused with code
 *   `too-many-results` and a reason telling the user to refine the search (both caps apply: the spec's
 *   example sends 500 while the overview caps results at 100).
 * - Each `Attendee` must have non-blank `ExternalID`, `FirstName` and `LastName`; every value must be within
 *   the response's maximum lengths. Other missing elements are read as empty (the spec says a connector must
 *   send them all, but a missing optional element carries no less information than an empty one).
 * - An element other than `Attendee` under the root is refused (a wrapper element would otherwise read as
 *   "no results"); unknown elements inside an `Attendee` are ignored.
 */
export function parseAttendeeSearchResponse(xml: string | Uint8Array, options: AttendeeSearchResponseOptions): AttendeeSearchResponseResult {
  return guard(() => {
    const maxRecords = options.maxRecords;
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) return failure('invalid', 'maxRecords must be a positive integer');
    const root = readDocument(xml, options, 'AttendeeSearchResponse');
    onlyChildren(root, 'AttendeeSearchResponse', 'Attendee');
    const elements = childrenNamed(root, 'Attendee');
    const cap = Math.min(maxRecords, ATTENDEE_RESULT_LIMIT);
    if (elements.length > cap) {
      return failure('too-many-results', `${elements.length} attendees match, more than the ${cap} that can be shown: refine your search`);
    }
    const attendees = elements.map((element, index) => {
      const leaf = leafReader(element);
      let where = `attendee ${index + 1}`;
      const externalId = leaf('ExternalID', where);
      if (externalId) where += ` (ExternalID ${quote(externalId)})`;
      const attendee: Partial<Record<keyof Attendee, string>> = {};
      for (const f of ATTENDEE_SEARCH_RESPONSE_FIELDS) {
        const text = leaf(f.element, where);
        const value = text ?? '';
        if (f.required && value === '') throw new ContractViolation('invalid', `${where}: <${f.element}> is required and is ${text === undefined ? 'missing' : 'empty'}`);
        if (f.maxLength !== undefined && charLength(value) > f.maxLength) {
          throw new ContractViolation('invalid', `${where}: <${f.element}> is ${charLength(value)} characters, more than ${f.maxLength}`);
        }
        attendee[f.property] = value;
      }
      return attendee as Attendee;
    });
    return { ok: true, attendees };
  });
}

/** The result of `attendeeVersionFromEndpoint`. */
export type AttendeeVersionResult = { ok: true; version: 'v2.0' } | { ok: false; version: 'v1.0'; reason: string };

/**
 * The Fetch Attendee version Concur would use for a configured endpoint: `v2.0` when the endpoint **path**
 * contains `v2.0` (case-sensitive, as written in the spec), otherwise the undocumented `v1.0`, which
 * patchbay cannot speak, so `ok: false` carries the message to show when the endpoint is configured.
 * `endpoint` is a path (`/concur/attendee/v2.0/fetch`) or a full URL; only its path counts (not the host,
 * the query or the fragment).
 */
export function attendeeVersionFromEndpoint(endpoint: string): AttendeeVersionResult {
  let path = endpoint;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) {
    try {
      path = new URL(endpoint).pathname;
    } catch {
      path = endpoint.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
    }
  }
  path = path.replace(/[?#].*$/s, '');
  if (path.includes('v2.0')) return { ok: true, version: 'v2.0' };
  return {
    ok: false,
    version: 'v1.0',
    reason:
      `The Fetch Attendee endpoint ${quote(endpoint, 200)} does not contain "v2.0" in its path. Concur chooses the callout's ` +
      'format from the endpoint path: with "v2.0" it sends version 2.0, otherwise it falls back to version 1.0, whose ' +
      'fields are not documented, so only version 2.0 is supported. Use a path containing "v2.0", e.g. /concur/attendee/v2.0/fetch.',
  };
}
