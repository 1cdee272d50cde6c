/**
 * Attendee types. A type picked on a connector's Fetch Attendee service searches that connector and is
 * switched to not allow manually created attendees, as Concur does.
 */
import { invalidField, notFound } from '../http/errors.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Principal } from '../identity/principal.ts';
import { toBool, type AttendeeTypesTable } from '../store/schema.ts';
import type { Selectable } from 'kysely';
import type { Executor } from '../store/store.ts';
import { prepareQuery } from '../store/prepared-query.ts';

/** An attendee type as the API shows it. */
export interface AttendeeType {
  code: string;
  name: string;
  allowsManual: boolean;
  /** The connector its searches go to; null when attendees come from patchbay's own entries. */
  connectorId: string | null;
}

/** AttendeeTypeCode: at most 8 characters (the Fetch Attendee request's limit), letters, digits, `_` and `-`. */
export const ATTENDEE_TYPE_CODE = /^[A-Za-z0-9_-]{1,8}$/;

function toAttendeeType(row: Selectable<AttendeeTypesTable>): AttendeeType {
  return { code: row.code, name: row.name, allowsManual: toBool(row.allows_manual), connectorId: row.connector_id };
}

/** The company's attendee types, by code. */
export async function listAttendeeTypes(db: Executor, companyId: string): Promise<AttendeeType[]> {
  const rows = await db.selectFrom('attendee_types').selectAll().where('company_id', '=', companyId).orderBy('code').execute();
  return rows.map(toAttendeeType);
}

/** One attendee type; 404 when the company has no such code. */
const attendeeTypeByCode = prepareQuery<[string, string], Selectable<AttendeeTypesTable>>((db, slot) => db.selectFrom('attendee_types').selectAll().where('company_id', '=', slot(0)).where('code', '=', slot(1)));

export async function getAttendeeType(db: Executor, companyId: string, code: string): Promise<AttendeeType> {
  const row = await attendeeTypeByCode.first(db, [companyId, code]);
  if (!row) throw notFound(`The attendee type ${code}`);
  return toAttendeeType(row);
}

/**
 * Creates or changes an attendee type. A type bound to a Fetch Attendee connector cannot be switched back
 * to allowing manual attendees while it stays bound.
 */
export async function saveAttendeeType(db: Executor, actor: Principal | null, companyId: string, input: { code: string; name: string; allowsManual: boolean }): Promise<AttendeeType> {
  if (!ATTENDEE_TYPE_CODE.test(input.code)) throw invalidField('code', 'An attendee type code has 1 to 8 letters, digits, "_" or "-" (Fetch Attendee sends it as AttendeeTypeCode, at most 8 characters).');
  const existing = await db.selectFrom('attendee_types').selectAll().where('company_id', '=', companyId).where('code', '=', input.code).executeTakeFirst();
  if (existing?.connector_id && input.allowsManual) {
    throw invalidField('allowsManual', `The attendee type ${input.code} searches an application connector, so attendees of this type come from the connector only. Remove it from the connector's Fetch Attendee service first.`);
  }
  if (existing) {
    await db.updateTable('attendee_types').set({ name: input.name, allows_manual: input.allowsManual }).where('company_id', '=', companyId).where('code', '=', input.code).execute();
  } else {
    await db.insertInto('attendee_types').values({ company_id: companyId, code: input.code, name: input.name, allows_manual: input.allowsManual, connector_id: null, created_at: Date.now() }).execute();
  }
  await recordAudit(db, actor, { companyId, action: 'attendee_type.saved', targetType: 'attendee_type', targetId: input.code, details: { name: input.name, allowsManual: input.allowsManual } });
  return getAttendeeType(db, companyId, input.code);
}

/**
 * Binds the attendee types picked on a connector's Fetch Attendee service to it (they stop allowing manual
 * attendees) and unbinds the ones no longer picked. Runs in the service's Configure transaction.
 */
export async function bindAttendeeTypes(db: Executor, companyId: string, connectorId: string, codes: readonly string[]): Promise<void> {
  if (codes.length > 0) {
    const rows = await db.selectFrom('attendee_types').select(['code', 'connector_id']).where('company_id', '=', companyId).where('code', 'in', [...codes]).execute();
    const unknown = codes.filter((code) => !rows.some((row) => row.code === code));
    if (unknown.length > 0) throw invalidField('settings.attendeeTypes', `Unknown attendee type ${unknown.join(', ')}: create the type under Request > Attendee types first.`);
    const taken = rows.filter((row) => row.connector_id !== null && row.connector_id !== connectorId);
    if (taken.length > 0) throw invalidField('settings.attendeeTypes', `The attendee type ${taken.map((row) => row.code).join(', ')} already searches another connector; an attendee type uses one connector.`);
    await db.updateTable('attendee_types').set({ connector_id: connectorId, allows_manual: false }).where('company_id', '=', companyId).where('code', 'in', [...codes]).execute();
  }
  let unbind = db.updateTable('attendee_types').set({ connector_id: null }).where('company_id', '=', companyId).where('connector_id', '=', connectorId);
  if (codes.length > 0) unbind = unbind.where('code', 'not in', [...codes]);
  await unbind.execute();
}
