// Administration > Request Administration: Attendee Types (which a connector's Fetch Attendee service
// searches) and Form Fields (the request form's custom fields: text, Fetch List lists, Launch URL buttons).
import {
  ApiError,
  CUSTOM_FIELDS,
  FORM_FIELD_KINDS,
  FORM_FIELD_KIND_LABELS,
  api,
  type AttendeeType,
  type Connector,
  type FormField,
  type FormFieldInput,
  type FormFieldKind,
  type ListSetting,
} from '../api.ts';
import {
  ACTIONS,
  Badge,
  CardForm,
  CheckboxField,
  ConfirmDialog,
  DataTable,
  ErrorBanner,
  FlagBadge,
  FormActions,
  Loading,
  Notice,
  SelectField,
  TextField,
  useLoader,
} from '../components.tsx';
import { useConfirmation, useEditor, type FieldErrors } from '../forms.ts';
import { ModifyButton, RequestAdminFrame } from './request-admin-pages.tsx';

/** What the Request pages know about a connector: its name, and its services when the admin may see them. */
interface ConnectorInfo {
  id: string;
  name: string;
  /** Null when the admin may not open the connector registry (only names are known then). */
  connector: Connector | null;
}

/**
 * The company's connectors: in full from the registry when the admin may manage connectors, else their
 * names only (the list External Validation steps pick from).
 */
async function loadConnectors(companyId: string): Promise<ConnectorInfo[]> {
  try {
    const connectors = await api.listConnectors(companyId);
    return connectors.map((connector) => ({ id: connector.id, name: connector.name, connector }));
  } catch (cause) {
    if (!(cause instanceof ApiError) || cause.status !== 403) throw cause;
    const named = await api.listWorkflowConnectors(companyId);
    return named.map((connector) => ({ ...connector, connector: null }));
  }
}

/** The lists configured on a connector's Fetch List service. */
function fetchLists(connector: Connector | null): ListSetting[] {
  const settings = connector?.services.find((service) => service.service === 'fetch-list')?.settings;
  const lists = settings?.['lists'];
  return Array.isArray(lists) ? (lists as ListSetting[]).filter((list) => typeof list?.name === 'string') : [];
}

/** Attendee Types: the types attendees are added with; those bound to a connector are searched there only. */
export function AttendeeTypesPage({ companyId }: { companyId: string }) {
  const types = useLoader(`attendee-types:${companyId}`, () => api.listAttendeeTypes(companyId));
  const connectors = useLoader(`callout-connectors:${companyId}`, () => loadConnectors(companyId));
  const editor = useEditor(
    (type: AttendeeType | null) => ({ code: type?.code ?? '', name: type?.name ?? '', allowsManual: type?.allowsManual ?? true }),
    { fields: ['code', 'name', 'allowsManual'] },
  );
  const { editing, draft, fieldErrors } = editor;

  const connectorName = (id: string) => connectors.data?.find((connector) => connector.id === id)?.name ?? id;

  function save(): Promise<void> {
    const check: FieldErrors = {};
    const typeCode = editing?.code ?? draft.code.trim();
    if (!/^[A-Za-z0-9_-]{1,8}$/.test(typeCode)) check['code'] = 'Enter a code of 1 to 8 letters, digits, "_" or "-", e.g. BUSGUEST.';
    if (draft.name.trim() === '') check['name'] = 'Enter the name travelers see, e.g. Business guest.';
    return editor.submit(
      async () => {
        const bound = editing?.connectorId !== null && editing?.connectorId !== undefined;
        const saved = await api.saveAttendeeType(companyId, typeCode, { name: draft.name.trim(), allowsManual: bound ? false : draft.allowsManual });
        editor.setNotice(`Attendee type ${saved.code} “${saved.name}” saved.`);
        editor.start(null);
        types.reload();
      },
      { check },
    );
  }

  const boundTo = editing?.connectorId ?? null;
  return (
    <RequestAdminFrame companyId={companyId} title="Attendee Types">
      <Notice message={editor.notice} />
      <ErrorBanner message={types.error ?? connectors.error} />
      <div className="card">
        <p className="lead">
          Travelers add attendees to requests by attendee type. A type picked on a connector’s <strong>Fetch Attendee</strong> service
          (Web Services &gt; Manage Application Connectors &gt; Configure Service) is searched on that connector and allows no
          manually entered attendees.
        </p>
        <Loading what="attendee types" loader={types} />
        <DataTable
          caption="Attendee types"
          columns={['Code', 'Name', 'Manual Entry', 'Searched On', ACTIONS]}
          rows={types.data}
          empty="No attendee types yet. Create one below."
        >
          {(type) => (
            <tr key={type.code}>
              <td className="mono">{type.code}</td>
              <th scope="row">{type.name}</th>
              <td>
                <FlagBadge on={type.allowsManual} yes="Allowed" no="Manual entry not allowed" />
              </td>
              <td>{type.connectorId !== null ? connectorName(type.connectorId) : <span className="muted">No connector</span>}</td>
              <td className="cell-actions">
                <ModifyButton name={type.code} onClick={() => editor.start(type)} />
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm aria-labelledby="attendee-type-form-heading" onSubmit={() => save()}>
        <h2 id="attendee-type-form-heading">{editing === null ? 'New Attendee Type' : `Modify ${editing.code}`}</h2>
        <ErrorBanner message={editor.error} />
        <div className="grid-2">
          {editing === null ? (
            <TextField
              label="Code"
              value={draft.code}
              onChange={(value) => editor.update({ code: value.toUpperCase() })}
              error={fieldErrors['code']}
              required
              maxLength={8}
              hint="Sent to the connector as AttendeeTypeCode: 1 to 8 letters, digits, “_” or “-”."
            />
          ) : null}
          <TextField label="Name" value={draft.name} onChange={(name) => editor.update({ name })} error={fieldErrors['name']} required maxLength={64} />
        </div>
        {boundTo !== null ? (
          <p className="note">
            Manual entry not allowed: attendees of this type come from <strong>{connectorName(boundTo)}</strong> (Fetch Attendee). Remove the
            type from that connector’s Fetch Attendee service to allow manual entry again.
          </p>
        ) : (
          <>
            <CheckboxField
              label="Allow manually entered attendees"
              checked={draft.allowsManual}
              onChange={(allowsManual) => editor.update({ allowsManual })}
              hint="Travelers may type in attendees of this type. Picking the type on a Fetch Attendee service turns this off."
            />
            {fieldErrors['allowsManual'] !== undefined ? <div className="field-error">{fieldErrors['allowsManual']}</div> : null}
          </>
        )}
        <FormActions
          label={editing === null ? 'Create Attendee Type' : 'Save Attendee Type'}
          disabled={editor.busy}
          onCancel={editing !== null ? () => editor.start(null) : undefined}
        />
      </CardForm>
    </RequestAdminFrame>
  );
}

/** The default pop-up size of a Launch URL field (the server's default too). */
const DEFAULT_POPUP = { width: 640, height: 560 };

interface FieldDraft {
  field: string;
  label: string;
  kind: FormFieldKind;
  connectorId: string;
  listName: string;
  popupWidth: string;
  popupHeight: string;
}

function draftOf(field: FormField | null, free: string): FieldDraft {
  return {
    field: field?.field ?? free,
    label: field?.label ?? '',
    kind: field?.kind ?? 'TEXT',
    connectorId: field?.connectorId ?? '',
    listName: field?.list?.name ?? '',
    popupWidth: String(field?.popup?.width ?? DEFAULT_POPUP.width),
    popupHeight: String(field?.popup?.height ?? DEFAULT_POPUP.height),
  };
}

const FORM_FIELD_ERRORS = ['field', 'label', 'kind', 'connectorId', 'listName', 'popupWidth', 'popupHeight'];

/** Form Fields: the request form's custom fields (custom1 to custom20), by kind. */
export function FormFieldsPage({ companyId }: { companyId: string }) {
  const fields = useLoader(`form-fields:${companyId}`, () => api.listFormFields(companyId));
  const connectors = useLoader(`callout-connectors:${companyId}`, () => loadConnectors(companyId));
  const editor = useEditor((field: FormField | null) => draftOf(field, ''), { fields: FORM_FIELD_ERRORS });
  const { editing, draft, fieldErrors } = editor;
  const removal = useConfirmation(async (field: FormField) => {
    await api.removeFormField(companyId, field.field);
    editor.setNotice(`Form field “${field.label}” deleted. Requests keep the values they have in ${field.field}.`);
    if (editing?.field === field.field) editor.start(null);
    fields.reload();
  });

  const list = fields.data ?? [];
  const connectorList = connectors.data ?? [];
  const free = CUSTOM_FIELDS.filter((name) => !list.some((field) => field.field === name));
  const fieldName = editing?.field ?? (draft.field !== '' && free.includes(draft.field) ? draft.field : (free[0] ?? ''));
  const connectorId = draft.connectorId !== '' ? draft.connectorId : (connectorList[0]?.id ?? '');
  const chosenConnector = connectorList.find((connector) => connector.id === connectorId);
  const lists = fetchLists(chosenConnector?.connector ?? null);
  const listName = draft.listName !== '' ? draft.listName : (lists[0]?.name ?? '');
  const connectorName = (id: string | null) => (id === null ? null : (connectorList.find((connector) => connector.id === id)?.name ?? id));

  /** Changes the draft, dropping the errors of the fields changed. */
  function update(patch: Partial<FieldDraft>): void {
    editor.update(patch);
    editor.clearFieldErrors(Object.keys(patch));
  }

  /** The input to save, and the errors of the check before saving. */
  function check(): { input: FormFieldInput; errors: FieldErrors } {
    const errors: FieldErrors = {};
    if (fieldName === '') errors['field'] = 'Every custom field (custom1 to custom20) is used. Delete a form field first.';
    if (draft.label.trim() === '') errors['label'] = 'Enter the label travelers see, e.g. Project.';
    const input: FormFieldInput = { label: draft.label.trim(), kind: draft.kind };
    if (draft.kind !== 'TEXT') {
      if (connectorId === '') errors['connectorId'] = 'Register an application connector first (Web Services > Manage Application Connectors).';
      input.connectorId = connectorId;
    }
    if (draft.kind === 'LIST') {
      if (listName.trim() === '') errors['listName'] = 'Choose a list of the connector’s Fetch List service (add one under Configure Service > Fetch List).';
      input.listName = listName.trim();
    }
    if (draft.kind === 'LAUNCH_URL') {
      for (const [key, text] of [['popupWidth', draft.popupWidth], ['popupHeight', draft.popupHeight]] as const) {
        const value = Number(text.trim());
        if (!/^\d+$/.test(text.trim()) || value < 200 || value > 4000) errors[key] = 'Enter a whole number of pixels from 200 to 4000.';
        else input[key] = value;
      }
    }
    return { input, errors };
  }

  function save(): Promise<void> {
    const { input, errors } = check();
    return editor.submit(
      async () => {
        const saved = await api.saveFormField(companyId, fieldName, input);
        editor.setNotice(`Form field “${saved.label}” saved on ${saved.field}.`);
        editor.start(null);
        fields.reload();
      },
      { check: errors },
    );
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Form Fields">
      <Notice message={editor.notice} />
      <ErrorBanner message={fields.error ?? connectors.error} />
      <div className="card">
        <p className="lead">
          Custom fields of the request form. Each fills one Request custom field (custom1 to custom20): a text box, a list whose items
          come from a connector’s <strong>Fetch List</strong> service, or a button that opens a connector’s page
          (<strong>Launch External URL</strong>).
        </p>
        <Loading what="form fields" loader={fields} />
        <DataTable
          caption="Form fields"
          columns={['Field', 'Label', 'Kind', 'Connector', 'Settings', ACTIONS]}
          rows={fields.data}
          empty="No form fields yet. Create one below."
        >
          {(field) => (
            <tr key={field.field}>
              <td className="mono">{field.field}</td>
              <th scope="row">{field.label}</th>
              <td>{FORM_FIELD_KIND_LABELS[field.kind] ?? field.kind}</td>
              <td>{connectorName(field.connectorId) ?? <span className="muted">—</span>}</td>
              <td className="small">
                <FieldSettings field={field} />
              </td>
              <td className="cell-actions">
                <ModifyButton name={field.label} onClick={() => editor.start(field)} />{' '}
                <button type="button" className="button button-small button-danger" aria-label={`Delete ${field.label}`} onClick={() => removal.ask(field)}>
                  Delete
                </button>
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm aria-labelledby="form-field-form-heading" onSubmit={() => save()}>
        <h2 id="form-field-form-heading">{editing === null ? 'New Form Field' : `Modify “${editing.label}”`}</h2>
        <ErrorBanner message={editor.error} />
        <div className="grid-2">
          {editing === null ? (
            free.length > 0 ? (
              <SelectField
                label="Custom Field"
                value={fieldName}
                options={free.map((name) => ({ value: name, label: name }))}
                onChange={(field) => update({ field })}
                error={fieldErrors['field']}
              />
            ) : (
              <div className="field field-invalid">
                <div className="label-row">Custom Field</div>
                <div className="field-error">Every custom field (custom1 to custom20) is used. Delete a form field first.</div>
              </div>
            )
          ) : (
            <div className="field">
              <div className="label-row">Custom Field</div>
              <span className="mono">{editing.field}</span>
            </div>
          )}
          <TextField label="Label" value={draft.label} onChange={(label) => update({ label })} error={fieldErrors['label']} required maxLength={64} />
          <SelectField
            label="Kind"
            value={draft.kind}
            options={FORM_FIELD_KINDS.map((kind) => ({ value: kind, label: FORM_FIELD_KIND_LABELS[kind] }))}
            onChange={(kind) => update({ kind })}
            error={fieldErrors['kind']}
          />
          {draft.kind !== 'TEXT' ? (
            connectorList.length > 0 ? (
              <SelectField
                label="Application Connector"
                value={connectorId}
                options={connectorList.map((connector) => ({ value: connector.id, label: connector.name }))}
                onChange={(value) => update({ connectorId: value, listName: '' })}
                error={fieldErrors['connectorId']}
              />
            ) : (
              <div className="field field-invalid">
                <div className="label-row">Application Connector</div>
                <div className="field-error">
                  {connectors.loading ? 'Loading connectors…' : 'No application connectors are registered. Register one under Web Services first.'}
                </div>
              </div>
            )
          ) : null}
          {draft.kind === 'LIST' ? (
            chosenConnector?.connector === null || chosenConnector === undefined ? (
              <TextField
                label="List Name"
                value={draft.listName}
                onChange={(value) => update({ listName: value })}
                error={fieldErrors['listName']}
                required
                maxLength={64}
                hint="The name of a list on the connector’s Fetch List service."
              />
            ) : lists.length > 0 ? (
              <SelectField
                label="List"
                value={listName}
                options={lists.map((entry) => ({
                  value: entry.name,
                  label: `${entry.name} (${entry.connectedListLevel ?? 1} level${(entry.connectedListLevel ?? 1) === 1 ? '' : 's'})`,
                }))}
                onChange={(value) => update({ listName: value })}
                error={fieldErrors['listName']}
              />
            ) : (
              <div className="field field-invalid">
                <div className="label-row">List</div>
                <div className="field-error">
                  {fieldErrors['listName'] ?? 'The connector’s Fetch List service has no lists. Add one under Configure Service > Fetch List.'}
                </div>
              </div>
            )
          ) : null}
          {draft.kind === 'LAUNCH_URL' ? (
            <>
              <TextField
                label="Pop-up Width"
                type="number"
                value={draft.popupWidth}
                onChange={(popupWidth) => update({ popupWidth })}
                error={fieldErrors['popupWidth']}
                hint="Pixels, 200 to 4000."
              />
              <TextField
                label="Pop-up Height"
                type="number"
                value={draft.popupHeight}
                onChange={(popupHeight) => update({ popupHeight })}
                error={fieldErrors['popupHeight']}
                hint="Pixels, 200 to 4000."
              />
            </>
          ) : null}
        </div>
        {draft.kind === 'LAUNCH_URL' && chosenConnector?.connector ? <LaunchServiceHint connector={chosenConnector.connector} /> : null}
        <FormActions
          label={editing === null ? 'Create Form Field' : 'Save Form Field'}
          disabled={editor.busy || (editing === null && free.length === 0)}
          onCancel={editing !== null ? () => editor.start(null) : undefined}
        />
      </CardForm>
      <ConfirmDialog confirmation={removal} title="Delete form field?" confirmLabel="Delete" busyLabel="Deleting…" danger>
        {(field) => (
          <p>
            “{field.label}” leaves the request form. Requests keep the values they have in <span className="mono">{field.field}</span>.
          </p>
        )}
      </ConfirmDialog>
    </RequestAdminFrame>
  );
}

/** What a form field is set up with, in words. */
function FieldSettings({ field }: { field: FormField }) {
  if (field.kind === 'LIST' && field.list !== null) {
    return (
      <>
        List <strong>{field.list.name}</strong>, {field.list.levels} level{field.list.levels === 1 ? '' : 's'}
        {field.list.configured ? null : (
          <>
            {' '}
            <Badge tone="danger">Not on the connector any more</Badge>
          </>
        )}
      </>
    );
  }
  if (field.kind === 'LAUNCH_URL' && field.popup !== null) {
    return (
      <>
        Pop-up {field.popup.width} × {field.popup.height} px
      </>
    );
  }
  return <span className="muted">—</span>;
}

/** A warning when the connector's Launch External URL service cannot launch yet. */
function LaunchServiceHint({ connector }: { connector: Connector }) {
  const service = connector.services.find((entry) => entry.service === 'launch-external-url');
  if (service?.usable) return null;
  return (
    <div className="banner banner-warning">
      {connector.name}’s <strong>Launch External URL</strong> service is not usable yet: verify the connector and configure the service (Service
      Version V4, Client ID, Redirect URL, Active) so that the button works.
    </div>
  );
}
