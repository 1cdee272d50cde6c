/**
 * Fetch Attendee v2.0: a search from a request's attendee field posts an `AttendeeSearchRequest` (every
 * field, in the documented order) to the connector bound to the attendee type, and validates what comes
 * back. Failures are shown to the user and never retried. Attendees the user adds are kept on the request.
 */
import { randomUUID } from 'node:crypto';
import {
  ATTENDEE_REQUEST_CONTENT_TYPE,
  ATTENDEE_RESULT_LIMIT,
  buildAttendeeSearchRequest,
  parseAttendeeSearchResponse,
  type Attendee,
  type AttendeeSearchCriteriaInput,
} from '@patchbay/callout-xml';
import { PatchbayError, invalidField, notFound } from '../http/errors.ts';
import { findUsableService } from '../connectors/connectors.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { RequestRow } from '../store/schema.ts';
import type { Executor } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';
import { getAttendeeType } from './attendee-types.ts';
import { judgeXml, messageForUser, type CalloutClient } from './callout-client.ts';

/** What the user typed in the search form; blanks are sent as empty elements. */
export type AttendeeSearchInput = Omit<AttendeeSearchCriteriaInput, 'ownerLoginId' | 'maximumNumberRecords' | 'attendeeTypeCode'> & {
  attendeeTypeCode: string;
  /** How many results the user wants at most (1 to 100; default 100). */
  maximumNumberRecords?: number | undefined;
};

/** What a search needs. */
export interface CalloutDeps {
  store: { db: Executor };
  secrets: SecretBox;
  callouts: CalloutClient;
}

/** An attendee added to a request, as the API shows it. */
export interface RequestAttendee extends Omit<Attendee, 'externalId'> {
  id: string;
  /** Null for an attendee entered by hand. */
  externalId: string | null;
  connectorId: string | null;
  createdAt: string;
}

const ownerLogin = prepareQuery<[string], { login_id: string }>((db, slot) => db.selectFrom('users').select('login_id').where('id', '=', slot(0)));

/**
 * Searches the connector bound to the attendee type for the request's owner. 502 `connector_failed` with a
 * specific message when the connector fails; 422 `search_too_broad` when it finds more than the limit.
 */
export async function searchAttendees(deps: CalloutDeps, request: RequestRow, input: AttendeeSearchInput): Promise<Attendee[]> {
  const type = await getAttendeeType(deps.store.db, request.company_id, input.attendeeTypeCode);
  if (!type.connectorId) {
    throw invalidField('attendeeTypeCode', `Attendees of type ${type.name} are entered by hand: no application connector searches them.`);
  }
  const target = await findUsableService(deps.store.db, deps.secrets, request.company_id, 'fetch-attendee', type.connectorId);
  if (!target) {
    throw new PatchbayError('conflict', `The attendee search for ${type.name} is unavailable: its application connector is not Verified or its Fetch Attendee service is inactive. Ask your administrator to test the connection and activate the service.`);
  }
  const owner = await ownerLogin.first(deps.store.db, [request.owner_id]);
  if (!owner) throw notFound('The request\'s owner');
  const maxRecords = input.maximumNumberRecords ?? ATTENDEE_RESULT_LIMIT;
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1 || maxRecords > ATTENDEE_RESULT_LIMIT) {
    throw invalidField('maximumNumberRecords', `maximumNumberRecords is a whole number from 1 to ${ATTENDEE_RESULT_LIMIT}.`);
  }
  const body = buildAttendeeSearchRequest({ ...input, ownerLoginId: owner.login_id, maximumNumberRecords: maxRecords });
  const verdict = await deps.callouts.post({ companyId: request.company_id, service: 'fetch-attendee', target, body, contentType: ATTENDEE_REQUEST_CONTENT_TYPE }, (result) =>
    judgeXml(result, (answer) => {
      const parsed = parseAttendeeSearchResponse(answer, { maxRecords });
      return parsed.ok ? { ok: true, value: parsed.attendees } : parsed;
    }),
  );
  if (verdict.value) return verdict.value;
  if (verdict.outcome === 'too-many-results') {
    throw new PatchbayError('search_too_broad', `The search found too many attendees (more than ${maxRecords}). Refine the search: add a first name, a company or more letters of the last name.`);
  }
  throw new PatchbayError('connector_failed', `The attendee search failed: ${messageForUser(verdict)} The search was not repeated; try again, and if it keeps failing tell your administrator.`);
}

function toRequestAttendee(row: {
  id: string; attendee_type_code: string; external_id: string | null; connector_id: string | null; first_name: string; middle_initial: string;
  last_name: string; suffix: string; company: string; title: string; custom_fields: string; created_at: number;
}): RequestAttendee {
  const custom = JSON.parse(row.custom_fields) as string[];
  const attendee: Record<string, unknown> = {
    id: row.id,
    attendeeTypeCode: row.attendee_type_code,
    externalId: row.external_id,
    connectorId: row.connector_id,
    firstName: row.first_name,
    middleInitial: row.middle_initial,
    lastName: row.last_name,
    suffix: row.suffix,
    company: row.company,
    title: row.title,
    createdAt: new Date(row.created_at).toISOString(),
  };
  for (let n = 1; n <= 25; n++) attendee[`custom${n}`] = custom[n - 1] ?? '';
  return attendee as unknown as RequestAttendee;
}

/** The request's attendees, in the order they were added. */
export async function listRequestAttendees(db: Executor, requestId: string): Promise<RequestAttendee[]> {
  const rows = await db.selectFrom('request_attendees').selectAll().where('request_id', '=', requestId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toRequestAttendee);
}

/** A request holds at most this many attendees. */
export const MAX_REQUEST_ATTENDEES = 200;

/** What the user adds: a search result (by its ExternalID) or, for a type that allows it, a manual entry. */
export type NewAttendee =
  | { attendeeTypeCode: string; externalId: string }
  | { attendeeTypeCode: string; firstName: string; lastName: string; middleInitial?: string; suffix?: string; company?: string; title?: string };

/**
 * Adds an attendee to the request. For a type bound to a connector, the attendee is looked up again on the
 * connector by its ExternalID, so what is stored is what the connector holds, not what a browser sent.
 */
export async function addRequestAttendee(deps: CalloutDeps, request: RequestRow, input: NewAttendee): Promise<RequestAttendee> {
  const db = deps.store.db;
  const type = await getAttendeeType(db, request.company_id, input.attendeeTypeCode);
  const count = await db.selectFrom('request_attendees').select((eb) => eb.fn.countAll<number>().as('n')).where('request_id', '=', request.id).executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_REQUEST_ATTENDEES) throw new PatchbayError('conflict', `A request holds at most ${MAX_REQUEST_ATTENDEES} attendees.`);
  let attendee: Attendee;
  if ('externalId' in input) {
    if (!type.connectorId) throw invalidField('externalId', `Attendees of type ${type.name} are entered by hand; give their names instead of an ExternalID.`);
    const found = await searchAttendees(deps, request, { attendeeTypeCode: type.code, externalId: input.externalId, maximumNumberRecords: ATTENDEE_RESULT_LIMIT });
    const match = found.find((candidate) => candidate.externalId === input.externalId);
    if (!match) throw notFound(`The attendee ${input.externalId} on the connector`);
    attendee = match;
  } else {
    if (!type.allowsManual) throw invalidField('attendeeTypeCode', `Attendees of type ${type.name} cannot be entered by hand: search for them instead.`);
    attendee = {
      externalId: '', firstName: input.firstName, lastName: input.lastName, middleInitial: input.middleInitial ?? '', suffix: input.suffix ?? '',
      company: input.company ?? '', title: input.title ?? '', attendeeTypeCode: type.code,
      ...Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`custom${i + 1}`, ''])),
    } as Attendee;
  }
  const custom = Array.from({ length: 25 }, (_, i) => (attendee as unknown as Record<string, string>)[`custom${i + 1}`] ?? '');
  const row = {
    id: randomUUID(),
    request_id: request.id,
    attendee_type_code: type.code,
    external_id: attendee.externalId === '' ? null : attendee.externalId,
    connector_id: attendee.externalId === '' ? null : type.connectorId,
    first_name: attendee.firstName,
    middle_initial: attendee.middleInitial,
    last_name: attendee.lastName,
    suffix: attendee.suffix,
    company: attendee.company,
    title: attendee.title,
    custom_fields: JSON.stringify(custom),
    created_at: Date.now(),
  };
  await db.insertInto('request_attendees').values(row).execute();
  return toRequestAttendee(row);
}

/** Removes an attendee from the request; 404 when it is not on this request. */
export async function removeRequestAttendee(db: Executor, request: RequestRow, attendeeId: string): Promise<void> {
  const deleted = await db.deleteFrom('request_attendees').where('request_id', '=', request.id).where('id', '=', attendeeId).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) throw notFound('The attendee');
}
