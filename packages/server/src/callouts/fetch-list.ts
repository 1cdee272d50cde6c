/**
 * Fetch List v1.2: typing in a list field posts a `fetch-list-request` to the connector serving the list;
 * choosing an item makes the one-to-one `CODE` match call, and the confirmed item is stored in the
 * request's custom field (`code` = the item's full code, `value` = its text).
 */
import {
  FETCH_LIST_LIMIT,
  FETCH_LIST_REQUEST_CONTENT_TYPE,
  buildFetchListRequest,
  parseFetchListResponse,
  stripIllegalXmlChars,
  type FetchListItem,
  type FetchListRequestInput,
  type FetchListSearchBy,
} from '@patchbay/callout-xml';
import { PatchbayError, invalidField } from '../http/errors.ts';
import { findUsableService } from '../connectors/connectors.ts';
import type { RequestRow } from '../store/schema.ts';
import { judgeXml, messageForUser } from './callout-client.ts';
import type { CalloutDeps } from './fetch-attendee.ts';
import { findConfiguredList, getFormField, type FormField } from './form-fields.ts';

/** A search in a list field: the text typed and the codes chosen at the levels above. */
export interface ListSearchInput {
  query: string;
  /** The chosen parents' short codes, level 1 first; empty for the first level. */
  parentCodes: readonly string[];
  searchBy?: FetchListSearchBy | undefined;
  /** At most 100 (the system limit); default 50. */
  limit?: number | undefined;
}

/** A list item chosen for a field, as stored in the request's custom field. */
export interface ChosenListItem {
  field: string;
  code: string;
  value: string;
}

const DEFAULT_LIMIT = 50;
const MAX_QUERY_LENGTH = 100;

interface ListTarget {
  field: FormField;
  list: NonNullable<FormField['list']>;
  langCode: string;
}

async function listTarget(deps: CalloutDeps, request: RequestRow, fieldName: string): Promise<ListTarget> {
  const field = await getFormField(deps.store.db, request.company_id, fieldName);
  if (field.kind !== 'LIST' || !field.list || !field.connectorId) throw invalidField('field', `${field.label} is not a list field.`);
  if (!field.list.configured) {
    throw new PatchbayError('conflict', `The list "${field.list.name}" of ${field.label} is no longer configured on its connector's Fetch List service. Ask your administrator to add it again.`);
  }
  const config = await findConfiguredList(deps.store.db, field.connectorId, field.list.name);
  // Concur sends the user's two-letter language; the list's configured language stands in for it.
  const langCode = (config?.languageCode ?? 'en').slice(0, 2).toUpperCase();
  return { field, list: field.list, langCode };
}

/** A list code: 1 to 100 characters, not blank once the characters XML cannot carry are left out. */
function isListCode(code: unknown): code is string {
  return typeof code === 'string' && code.length <= 100 && stripIllegalXmlChars(code).trim() !== '';
}

/** A list of N levels has at most N - 1 parents above the level searched. */
function checkParents(target: ListTarget, parentCodes: readonly string[]): void {
  const { levels } = target.list;
  const allowed = levels - 1;
  if (parentCodes.length > allowed) throw invalidField('parentCodes', `${target.field.label} has ${levels} level${levels === 1 ? '' : 's'}; give at most ${allowed} parent code${allowed === 1 ? '' : 's'}.`);
  for (const code of parentCodes) {
    if (!isListCode(code)) throw invalidField('parentCodes', 'Each parent code is the short code of an item chosen at the level above (1 to 100 characters XML can carry).');
  }
}

/** A chosen item is stored in a Request custom field, whose code and value have Request v4's limits. */
const MAX_STORED_CODE = 100;
const MAX_STORED_VALUE = 500;

/** Why items cannot be stored as a request's custom field value, or null when they can. */
function unstorable(items: readonly FetchListItem[]): string | null {
  for (const item of items) {
    const name = JSON.stringify(item.code.slice(0, 40));
    if (item.code.length > MAX_STORED_CODE) return `fetch-list-response: the code of the item ${name} has ${item.code.length} characters, more than ${MAX_STORED_CODE} (the most a request field holds)`;
    if (item.text.length > MAX_STORED_VALUE) return `fetch-list-response: the text of the item ${name} has ${item.text.length} characters, more than ${MAX_STORED_VALUE} (the most a request field holds)`;
  }
  return null;
}

async function callList(
  deps: CalloutDeps,
  request: RequestRow,
  target: ListTarget,
  input: Omit<FetchListRequestInput, 'langCode'>,
  check: (items: readonly FetchListItem[]) => string | null = () => null,
): Promise<FetchListItem[]> {
  const service = await findUsableService(deps.store.db, deps.secrets, request.company_id, 'fetch-list', target.field.connectorId!);
  if (!service) {
    throw new PatchbayError('conflict', `${target.field.label} is unavailable: its application connector is not Verified or its Fetch List service is inactive. Ask your administrator to test the connection and activate the service.`);
  }
  const call = { ...input, langCode: target.langCode };
  const verdict = await deps.callouts.post(
    { companyId: request.company_id, service: 'fetch-list', target: service, body: buildFetchListRequest(call), contentType: FETCH_LIST_REQUEST_CONTENT_TYPE },
    (result) =>
      judgeXml(result, (answer) => {
        const parsed = parseFetchListResponse(answer, call);
        if (!parsed.ok) return parsed;
        const refusal = check(parsed.items);
        return refusal === null ? { ok: true, value: parsed.items } : { ok: false, code: 'invalid', reason: refusal };
      }),
  );
  if (verdict.value) return verdict.value;
  if (verdict.outcome === 'too-many-results') {
    throw new PatchbayError('search_too_broad', `The connector sent more items than the ${call.numToReturn} asked for. Type more letters to narrow the list.`);
  }
  throw new PatchbayError('connector_failed', `The items of ${target.field.label} could not be fetched: ${messageForUser(verdict)} Try again; if it keeps failing tell your administrator.`);
}

/** The items of the list field matching what the user typed, under the chosen parents. */
export async function searchListItems(deps: CalloutDeps, request: RequestRow, fieldName: string, input: ListSearchInput): Promise<FetchListItem[]> {
  const target = await listTarget(deps, request, fieldName);
  checkParents(target, input.parentCodes);
  if (input.query.length > MAX_QUERY_LENGTH) throw invalidField('query', `Type at most ${MAX_QUERY_LENGTH} characters.`);
  const limit = input.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > FETCH_LIST_LIMIT) throw invalidField('limit', `limit is a whole number from 1 to ${FETCH_LIST_LIMIT}.`);
  // An empty box lists everything under the parent: `*` is the spec's "all items".
  const query = input.query.trim() === '' ? '*' : input.query.trim();
  return callList(deps, request, target, { codeByLevel: input.parentCodes, query, searchBy: input.searchBy ?? 'TEXT', numToReturn: limit });
}

/**
 * Confirms the item the user chose with the one-to-one match (`search-by` CODE, `query` its short code) and
 * returns it; the caller stores it on the request. `codeByLevel` is the whole path, the chosen item last.
 */
export async function confirmListItem(deps: CalloutDeps, request: RequestRow, fieldName: string, codeByLevel: readonly string[]): Promise<ChosenListItem> {
  const target = await listTarget(deps, request, fieldName);
  if (codeByLevel.length !== target.list.levels) {
    throw invalidField('codeByLevel', `${target.field.label} has ${target.list.levels} level${target.list.levels === 1 ? '' : 's'}: choose an item at each of them.`);
  }
  const parents = codeByLevel.slice(0, -1);
  checkParents(target, parents);
  const shortCode = codeByLevel.at(-1)!;
  if (!isListCode(shortCode) || shortCode.includes('*')) throw invalidField('codeByLevel', 'The chosen item\'s code is 1 to 100 characters XML can carry, without "*".');
  const items = await callList(deps, request, target, { codeByLevel: parents, query: shortCode, searchBy: 'CODE', numToReturn: 1 }, unstorable);
  const match = items.find((item) => item.shortCode === shortCode);
  if (!match) throw invalidField('codeByLevel', `The connector does not know the item ${codeByLevel.join('-')} of ${target.field.label} (any more): search again and choose another.`);
  return { field: target.field.field, code: match.code, value: match.text };
}
