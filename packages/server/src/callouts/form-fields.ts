/**
 * The request form's custom header fields. Each fills one Request v4 custom field (`custom1`..`custom20`)
 * and is plain text, a list whose items come from a connector's Fetch List service, or a Launch URL button
 * that opens the connector's page in a pop-up window.
 */
import { invalidField, notFound } from '../http/errors.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Principal } from '../identity/principal.ts';
import type { RequestFormFieldsTable } from '../store/schema.ts';
import type { Selectable } from 'kysely';
import type { Executor } from '../store/store.ts';
import type { FetchListConfig } from '../connectors/services.ts';

/** What kind of control a field is. */
export type FormFieldKind = RequestFormFieldsTable['kind'];

/** A form field as the API shows it. */
export interface FormField {
  /** The Request v4 field it fills: `custom1` to `custom20`. */
  field: string;
  label: string;
  kind: FormFieldKind;
  connectorId: string | null;
  /** LIST: the list's name on the connector's Fetch List service, and its configuration there (null once the list is gone). */
  list: { name: string; levels: number; category: string | null; languageCode: string | null; externalThreshold: number; configured: boolean } | null;
  /** LAUNCH_URL: the pop-up window's size in pixels. */
  popup: { width: number; height: number } | null;
}

/** What an admin saves. */
export interface FormFieldInput {
  label: string;
  kind: FormFieldKind;
  connectorId?: string | null | undefined;
  listName?: string | null | undefined;
  popupWidth?: number | null | undefined;
  popupHeight?: number | null | undefined;
}

/** The request custom fields a form field can fill. */
export const FORM_FIELD_NAME = /^custom([1-9]|1[0-9]|20)$/;

/** Concur's example pop-up is 400 x 400; a form needs a little more room. */
export const DEFAULT_POPUP = { width: 640, height: 560 } as const;

/** The lists configured on a connector's Fetch List service. */
async function configuredLists(db: Executor, connectorId: string): Promise<FetchListConfig[]> {
  const row = await db.selectFrom('connector_services').select('settings').where('connector_id', '=', connectorId).where('service', '=', 'fetch-list').executeTakeFirst();
  if (!row) return [];
  return (JSON.parse(row.settings) as { lists?: FetchListConfig[] }).lists ?? [];
}

/** The list named `name` on the connector's Fetch List service (case-insensitive), if configured. */
export async function findConfiguredList(db: Executor, connectorId: string, name: string): Promise<FetchListConfig | undefined> {
  const wanted = name.trim().toLowerCase();
  return (await configuredLists(db, connectorId)).find((list) => list.name.trim().toLowerCase() === wanted);
}

async function toFormField(db: Executor, row: Selectable<RequestFormFieldsTable>): Promise<FormField> {
  let list: FormField['list'] = null;
  if (row.kind === 'LIST' && row.connector_id && row.list_name) {
    const config = await findConfiguredList(db, row.connector_id, row.list_name);
    list = {
      name: row.list_name,
      levels: config?.connectedListLevel ?? 1,
      category: config?.category ?? null,
      languageCode: config?.languageCode ?? null,
      externalThreshold: config?.externalThreshold ?? 1,
      configured: config !== undefined,
    };
  }
  return {
    field: row.field,
    label: row.label,
    kind: row.kind,
    connectorId: row.connector_id,
    list,
    popup: row.kind === 'LAUNCH_URL' ? { width: row.popup_width ?? DEFAULT_POPUP.width, height: row.popup_height ?? DEFAULT_POPUP.height } : null,
  };
}

/** The company's form fields, in field order (custom1, custom2, ...). */
export async function listFormFields(db: Executor, companyId: string): Promise<FormField[]> {
  const rows = await db.selectFrom('request_form_fields').selectAll().where('company_id', '=', companyId).execute();
  rows.sort((a, b) => Number(a.field.slice(6)) - Number(b.field.slice(6)));
  return Promise.all(rows.map((row) => toFormField(db, row)));
}

/** One form field; 404 when the company has none on that custom field. */
export async function getFormField(db: Executor, companyId: string, field: string): Promise<FormField> {
  const row = await db.selectFrom('request_form_fields').selectAll().where('company_id', '=', companyId).where('field', '=', field).executeTakeFirst();
  if (!row) throw notFound(`The form field ${field}`);
  return toFormField(db, row);
}

/** Creates or replaces the form field on `field`, checking its connector and list belong to the company. */
export async function saveFormField(db: Executor, actor: Principal | null, companyId: string, field: string, input: FormFieldInput): Promise<FormField> {
  if (!FORM_FIELD_NAME.test(field)) throw invalidField('field', 'A form field fills one of the Request custom fields custom1 to custom20.');
  const needsConnector = input.kind !== 'TEXT';
  const connectorId = needsConnector ? input.connectorId ?? null : null;
  if (needsConnector) {
    if (!connectorId) throw invalidField('connectorId', `A ${input.kind === 'LIST' ? 'list' : 'Launch URL'} field needs the application connector that serves it.`);
    const connector = await db.selectFrom('connectors').select('id').where('id', '=', connectorId).where('company_id', '=', companyId).executeTakeFirst();
    if (!connector) throw invalidField('connectorId', 'The application connector was not found in this company.');
  }
  let listName: string | null = null;
  if (input.kind === 'LIST') {
    if (!input.listName) throw invalidField('listName', 'A list field needs the name of a list configured on the connector\'s Fetch List service.');
    const list = await findConfiguredList(db, connectorId!, input.listName);
    if (!list) throw invalidField('listName', `The connector's Fetch List service has no list named "${input.listName}": add it under Configure Service > Fetch List first.`);
    listName = list.name;
  }
  const popup = input.kind === 'LAUNCH_URL' ? { width: input.popupWidth ?? DEFAULT_POPUP.width, height: input.popupHeight ?? DEFAULT_POPUP.height } : null;
  const now = Date.now();
  const values = {
    label: input.label.trim(),
    kind: input.kind,
    connector_id: connectorId,
    list_name: listName,
    popup_width: popup?.width ?? null,
    popup_height: popup?.height ?? null,
    updated_at: now,
  };
  const existing = await db.selectFrom('request_form_fields').select('field').where('company_id', '=', companyId).where('field', '=', field).executeTakeFirst();
  if (existing) await db.updateTable('request_form_fields').set(values).where('company_id', '=', companyId).where('field', '=', field).execute();
  else await db.insertInto('request_form_fields').values({ company_id: companyId, field, created_at: now, ...values }).execute();
  await recordAudit(db, actor, { companyId, action: 'form_field.saved', targetType: 'form_field', targetId: field, details: { ...values } });
  return getFormField(db, companyId, field);
}

/** Removes the form field on `field` (the requests' values stay, as plain custom field values). */
export async function removeFormField(db: Executor, actor: Principal | null, companyId: string, field: string): Promise<void> {
  const deleted = await db.deleteFrom('request_form_fields').where('company_id', '=', companyId).where('field', '=', field).executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) throw notFound(`The form field ${field}`);
  await recordAudit(db, actor, { companyId, action: 'form_field.removed', targetType: 'form_field', targetId: field, details: {} });
}
