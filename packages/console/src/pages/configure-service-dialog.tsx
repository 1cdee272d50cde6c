// The "Configure Service" window: endpoint, the Active (Enabled) check box and the service's own settings.
import { useState } from 'react';
import {
  api,
  WORKFLOW_STEP_LABELS,
  WORKFLOW_STEPS,
  type AttendeeType,
  type Connector,
  type Service,
  type ServiceKey,
  type Workflow,
  type WorkflowStep,
} from '../api.ts';
import { CheckboxField, DataTable, ErrorBanner, Loading, Modal, SelectField, TextField, useLoader, type Loaded } from '../components.tsx';
import { useSubmission, type FieldErrors } from '../forms.ts';

/** Example endpoints (from Concur's documentation) shown as placeholders. */
const ENDPOINT_EXAMPLES: Record<ServiceKey, string> = {
  'fetch-attendee': '/attendee/v2.0/fetch',
  'fetch-list': '/list/v1.2/fetch',
  'send-notification': '/v1.0/notify',
  'external-report-validation': '/v1.0/notify',
  'launch-external-url': '/form/v1.0/get',
};

interface ListRow {
  name: string;
  category: string;
  languageCode: string;
  level: string;
}

interface WorkflowRow {
  workflowId: string;
  steps: WorkflowStep[];
}

/** Editable form state of every kind of setting (only the current service's part is used). */
interface SettingsDraft {
  attendeeTypes: string[];
  lists: ListRow[];
  workflows: WorkflowRow[];
  version: 'V1' | 'V4';
  clientId: string;
  redirectUrl: string;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
function asString(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function draftFrom(settings: Record<string, unknown>): SettingsDraft {
  return {
    attendeeTypes: asArray(settings['attendeeTypes']).map(asString).filter((code) => code !== ''),
    lists: asArray(settings['lists']).map((item) => {
      const list = asRecord(item);
      return {
        name: asString(list['name']),
        category: asString(list['category']),
        languageCode: asString(list['languageCode']),
        level: asString(list['connectedListLevel']),
      };
    }),
    workflows: asArray(settings['workflows']).map((item) => {
      const workflow = asRecord(item);
      return {
        workflowId: asString(workflow['workflowId']),
        steps: asArray(workflow['steps']).filter((step): step is WorkflowStep =>
          (WORKFLOW_STEPS as readonly unknown[]).includes(step),
        ),
      };
    }),
    version: settings['version'] === 'V1' ? 'V1' : 'V4',
    clientId: asString(settings['clientId']),
    redirectUrl: asString(settings['redirectUrl']),
  };
}

/** Turns the draft into the API's settings object, or returns a message about what to fix. */
function settingsFrom(service: ServiceKey, draft: SettingsDraft): Record<string, unknown> | string {
  switch (service) {
    case 'fetch-attendee':
      return { attendeeTypes: [...new Set(draft.attendeeTypes.map((type) => type.trim()).filter((type) => type !== ''))] };
    case 'fetch-list': {
      const lists = [];
      for (const [index, row] of draft.lists.entries()) {
        const which = `list ${index + 1}`;
        if (row.name.trim() === '') return `Enter a List Name for ${which}, or remove that row.`;
        if (row.category.trim() === '') return `Enter a List Category for ${which}.`;
        if (!/^[a-z]{2}(-[A-Za-z]{2})?$/.test(row.languageCode.trim())) {
          return `Language Code of ${which} must look like en or en-US.`;
        }
        const levelText = row.level.trim();
        const level = levelText === '' ? null : Number(levelText);
        if (level !== null && (!Number.isInteger(level) || level < 1 || level > 10)) {
          return `Connected List Level of ${which} must be a whole number from 1 to 10, or empty.`;
        }
        lists.push({
          name: row.name.trim(),
          category: row.category.trim(),
          languageCode: row.languageCode.trim(),
          connectedListLevel: level,
        });
      }
      return { lists };
    }
    case 'send-notification':
    case 'external-report-validation': {
      const workflows = [];
      for (const [index, row] of draft.workflows.entries()) {
        if (row.workflowId.trim() === '') return `Enter a Workflow ID for workflow ${index + 1}, or remove that row.`;
        if (row.steps.length === 0) return `Select at least one step for workflow ${index + 1}, or remove that row.`;
        workflows.push({ workflowId: row.workflowId.trim(), steps: row.steps });
      }
      return { workflows };
    }
    case 'launch-external-url': {
      const redirectUrl = draft.redirectUrl.trim();
      if (redirectUrl !== '' && !/^https:\/\/\S+$/.test(redirectUrl)) return 'The Redirect URL must start with https://.';
      return { version: draft.version, clientId: draft.clientId.trim(), redirectUrl };
    }
  }
}

/** The Configure Service window; `onSaved` receives the updated connector. */
export function ConfigureServiceDialog(props: {
  companyId: string;
  connector: Connector;
  service: Service;
  onSaved: (connector: Connector) => void;
  onClose: () => void;
}) {
  const { service } = props;
  const [endpoint, setEndpoint] = useState(service.endpoint ?? '');
  const [active, setActive] = useState(service.active);
  const [draft, setDraft] = useState<SettingsDraft>(() => draftFrom(asRecord(service.settings)));
  // A settings error from the server names `settings` or one inside it (`settings.lists.0.name`).
  const submission = useSubmission({ fields: (field) => (field === 'endpoint' ? 'endpoint' : field.startsWith('settings') ? 'settings' : undefined) });
  const { busy, fieldErrors } = submission;
  // What the settings pick from: attendee types (any company user may list them) and workflows (Request and connector administrators).
  const kind = service.service;
  const attendeeTypes = useLoader(`configure-attendee-types:${props.companyId}:${kind}`, () =>
    kind === 'fetch-attendee' ? api.listAttendeeTypes(props.companyId) : Promise.resolve([]),
  );
  const workflows = useLoader(`configure-workflows:${props.companyId}:${kind}`, () =>
    kind === 'send-notification' || kind === 'external-report-validation' ? api.listWorkflows(props.companyId) : Promise.resolve([]),
  );

  function update(patch: Partial<SettingsDraft>): void {
    setDraft((current) => ({ ...current, ...patch }));
  }

  function save(): Promise<void> {
    const settings = settingsFrom(service.service, draft);
    const check: FieldErrors = {};
    if (endpoint.trim() === '') check['endpoint'] = `Enter the endpoint path on the host, for example ${ENDPOINT_EXAMPLES[service.service]}.`;
    else if (typeof settings === 'string') check['settings'] = settings;
    return submission.submit(
      async () => {
        if (typeof settings === 'string') return; // the check stopped it
        props.onSaved(await api.configureService(props.companyId, props.connector.id, service.service, { endpoint: endpoint.trim(), active, settings }));
      },
      { check },
    );
  }

  return (
    <Modal
      title="Configure Service"
      wide
      onClose={props.onClose}
      onSubmit={() => void save()}
      footer={
        <>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          <button type="button" className="button" onClick={props.onClose}>
            Cancel
          </button>
        </>
      }
    >
      <p className="dialog-lead">
        <strong>{service.label}</strong> on <span className="mono">{props.connector.hostName}</span>
      </p>
      <ErrorBanner message={submission.error} />
      <TextField
        label="Endpoint"
        value={endpoint}
        onChange={setEndpoint}
        placeholder={ENDPOINT_EXAMPLES[service.service]}
        error={fieldErrors['endpoint']}
        required
        hint={
          <>
            The path Concur calls on the host, e.g. <span className="mono">{ENDPOINT_EXAMPLES[service.service]}</span>. The
            effective URL is Host Name + endpoint.
          </>
        }
      />
      <CheckboxField
        label="Active"
        checked={active}
        onChange={setActive}
        hint="Enabled: select when the endpoint is implemented and tested in your connector. Clear it to deactivate the service."
      />
      <SettingsEditor
        service={service.service}
        connectorId={props.connector.id}
        draft={draft}
        update={update}
        active={active}
        error={fieldErrors['settings']}
        attendeeTypes={attendeeTypes}
        workflows={workflows}
      />
      <p className="small muted">Save applies this service's configuration immediately.</p>
    </Modal>
  );
}

/** A settings error from the check before saving or from the server, shown at the top of the settings. */
function SettingsError({ message }: { message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <div className="field-error field-error-top" role="alert">
      {message}
    </div>
  );
}

function SettingsEditor(props: {
  service: ServiceKey;
  connectorId: string;
  draft: SettingsDraft;
  update: (patch: Partial<SettingsDraft>) => void;
  active: boolean;
  error: string | undefined;
  attendeeTypes: Loaded<AttendeeType[]>;
  workflows: Loaded<Workflow[]>;
}) {
  const { draft, update } = props;
  switch (props.service) {
    case 'fetch-attendee':
      return <AttendeeTypesEditor draft={draft} update={update} connectorId={props.connectorId} types={props.attendeeTypes} error={props.error} />;
    case 'fetch-list':
      return <ListsEditor draft={draft} update={update} active={props.active} error={props.error} />;
    case 'send-notification':
    case 'external-report-validation':
      return <WorkflowPicker draft={draft} update={update} connectorId={props.connectorId} workflows={props.workflows} error={props.error} />;
    case 'launch-external-url':
      return (
        <fieldset className="settings">
          <legend>Launch External URL</legend>
          <SettingsError message={props.error} />
          <SelectField
            label="Service Version"
            value={draft.version}
            options={[
              { value: 'V1', label: 'V1' },
              { value: 'V4', label: 'V4' },
            ]}
            onChange={(version) => update({ version })}
          />
          <TextField
            label="Client ID"
            value={draft.clientId}
            onChange={(clientId) => update({ clientId })}
            hint={draft.version === 'V4' ? 'The app client ID used for V4.' : 'Used by V4 only.'}
          />
          <TextField
            label="Redirect URL"
            value={draft.redirectUrl}
            onChange={(redirectUrl) => update({ redirectUrl })}
            placeholder="https://connector.example.com"
            hint="Base URL from which the client will call to get the user JWT."
          />
        </fieldset>
      );
  }
}

/**
 * Fetch Attendee: the attendee types searched on this connector, picked from the company's types. A type
 * searched on another connector cannot be picked (a type uses one connector).
 */
function AttendeeTypesEditor(props: {
  draft: SettingsDraft;
  update: (patch: Partial<SettingsDraft>) => void;
  connectorId: string;
  types: Loaded<AttendeeType[]>;
  error: string | undefined;
}) {
  const chosen = props.draft.attendeeTypes;
  const types = props.types.data ?? [];
  // Codes configured earlier that the company no longer has stay visible, so that saving drops them knowingly.
  const unknown = props.types.data === undefined ? [] : chosen.filter((code) => !types.some((type) => type.code === code));
  const toggle = (code: string, on: boolean) => props.update({ attendeeTypes: on ? [...chosen.filter((c) => c !== code), code] : chosen.filter((c) => c !== code) });
  return (
    <fieldset className="settings">
      <legend>Attendee Types</legend>
      <SettingsError message={props.error} />
      <p className="small muted">
        Travelers’ searches for attendees of the types picked go to this connector. These types will not allow manually created attendees.
      </p>
      <ErrorBanner message={props.types.error} />
      <Loading what="attendee types" loader={props.types} />
      {props.types.data !== undefined && types.length === 0 ? (
        <p className="muted small">The company has no attendee types yet. Create them under Request Administration &gt; Attendee Types first.</p>
      ) : null}
      <div className="checkbox-grid">
        {types.map((type) => {
          const elsewhere = type.connectorId !== null && type.connectorId !== props.connectorId;
          return (
            <CheckboxField
              key={type.code}
              label={`${type.name} (${type.code})`}
              checked={chosen.includes(type.code)}
              disabled={elsewhere}
              hint={elsewhere ? 'Searched on another connector.' : undefined}
              onChange={(on) => toggle(type.code, on)}
            />
          );
        })}
        {unknown.map((code) => (
          <CheckboxField key={code} label={`${code} (not an attendee type of the company)`} checked onChange={(on) => toggle(code, on)} />
        ))}
      </div>
    </fieldset>
  );
}

/**
 * External Report Validation / Send Notification: the company's workflows, each with the Submit step
 * ticked when requests entering its External Validation step notify this connector.
 */
function WorkflowPicker(props: {
  draft: SettingsDraft;
  update: (patch: Partial<SettingsDraft>) => void;
  connectorId: string;
  workflows: Loaded<Workflow[]>;
  error: string | undefined;
}) {
  const rows = props.draft.workflows;
  const workflows = props.workflows.data ?? [];
  const known = (id: string) => workflows.some((workflow) => workflow.id.toLowerCase() === id.toLowerCase());
  const unknown = props.workflows.data === undefined ? [] : rows.filter((row) => !known(row.workflowId));
  const rowOf = (id: string) => rows.find((row) => row.workflowId.toLowerCase() === id.toLowerCase());
  // The company's workflows, then those configured earlier that it no longer has.
  const tableRows = [
    ...workflows.map((workflow) => ({ workflowId: workflow.id, workflow, steps: rowOf(workflow.id)?.steps ?? [] })),
    ...unknown.map((row) => ({ workflowId: row.workflowId, workflow: null, steps: row.steps })),
  ];
  function toggle(id: string, on: boolean): void {
    const current = rowOf(id);
    const steps: WorkflowStep[] = on ? WORKFLOW_STEPS.filter((step) => step === 'SUBMIT' || current?.steps.includes(step)) : (current?.steps ?? []).filter((step) => step !== 'SUBMIT');
    const others = rows.filter((row) => row !== current);
    props.update({ workflows: steps.length === 0 ? others : [...others, { workflowId: current?.workflowId ?? id, steps }] });
  }
  return (
    <fieldset className="settings">
      <legend>Workflows</legend>
      <SettingsError message={props.error} />
      <p className="small muted">
        Tick the workflows whose requests notify this connector when they reach the External Validation step on submit. The step itself
        is set in the workflow (Request Administration &gt; Workflows), with this connector as its approver.
      </p>
      <ErrorBanner message={props.workflows.error} />
      <Loading what="workflows" loader={props.workflows} />
      {props.workflows.data !== undefined && workflows.length === 0 && unknown.length === 0 ? (
        <p className="muted small">The company has no workflows yet. Create them under Request Administration &gt; Workflows first.</p>
      ) : null}
      <DataTable
        className="table table-compact table-inputs"
        caption="Workflows notifying the connector"
        columns={['Workflow', 'External Validation Step', { label: WORKFLOW_STEP_LABELS.SUBMIT, className: 'cell-center' }]}
        rows={tableRows.length > 0 ? tableRows : undefined}
      >
        {({ workflowId, workflow, steps }) => (
          <tr key={workflowId}>
            <th scope="row">
              {workflow !== null ? workflow.name : <span className="muted">Unknown workflow</span>}
              <div className="mono small muted">{workflowId}</div>
            </th>
            {workflow !== null ? (
              <td className="small">
                {workflow.steps.some((step) => step.approverType === 'CONNECTOR' && step.connectorId === props.connectorId) ? (
                  'Uses this connector'
                ) : (
                  <span className="muted">None with this connector</span>
                )}
              </td>
            ) : (
              <td className="small muted">—</td>
            )}
            <td className="cell-center">
              <input
                type="checkbox"
                aria-label={`${WORKFLOW_STEP_LABELS.SUBMIT}, ${workflow !== null ? workflow.name : `workflow ${workflowId}`}`}
                checked={steps.includes('SUBMIT')}
                onChange={(event) => toggle(workflowId, event.target.checked)}
              />
            </td>
          </tr>
        )}
      </DataTable>
    </fieldset>
  );
}

function ListsEditor(props: { draft: SettingsDraft; update: (patch: Partial<SettingsDraft>) => void; active: boolean; error: string | undefined }) {
  const { lists } = props.draft;
  function setRow(index: number, patch: Partial<ListRow>): void {
    props.update({ lists: lists.map((row, i) => (i === index ? { ...row, ...patch } : row)) });
  }
  return (
    <fieldset className="settings">
      <legend>Lists</legend>
      <SettingsError message={props.error} />
      {!props.active && lists.length > 0 ? (
        <div className="banner banner-warning">
          If this service is saved inactive, its configured lists are deleted from the service.
        </div>
      ) : null}
      {lists.length === 0 ? <p className="muted small">No lists configured. Click Add List to add one.</p> : null}
      <DataTable
        className="table table-compact table-inputs"
        columns={['List Name', 'List Category', 'Language Code', 'Connected List Level', { label: 'Remove', hidden: true }]}
        rows={lists.length > 0 ? lists : undefined}
      >
        {(row, index) => (
          // Rows have no identity of their own; the index is their identity while editing.
          <tr key={index}>
            <td>
              <input aria-label={`List Name, list ${index + 1}`} value={row.name} onChange={(e) => setRow(index, { name: e.target.value })} />
            </td>
            <td>
              <input
                aria-label={`List Category, list ${index + 1}`}
                value={row.category}
                onChange={(e) => setRow(index, { category: e.target.value })}
              />
            </td>
            <td>
              <input
                aria-label={`Language Code, list ${index + 1}`}
                value={row.languageCode}
                placeholder="en"
                size={6}
                onChange={(e) => setRow(index, { languageCode: e.target.value })}
              />
            </td>
            <td>
              <input
                aria-label={`Connected List Level, list ${index + 1}`}
                value={row.level}
                inputMode="numeric"
                placeholder="—"
                size={4}
                onChange={(e) => setRow(index, { level: e.target.value })}
              />
            </td>
            <td>
              <button
                type="button"
                className="button button-small"
                aria-label={`Remove list ${index + 1}`}
                onClick={() => props.update({ lists: lists.filter((_, i) => i !== index) })}
              >
                Remove
              </button>
            </td>
          </tr>
        )}
      </DataTable>
      <button
        type="button"
        className="button button-small"
        onClick={() => props.update({ lists: [...lists, { name: '', category: '', languageCode: '', level: '' }] })}
      >
        Add List
      </button>
      <p className="small muted">Connected List Level applies to connected (multi-level) lists only; leave it empty otherwise.</p>
    </fieldset>
  );
}
