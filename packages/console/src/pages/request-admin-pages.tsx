// Administration > Request Administration: workflows, Request policies, travel agencies, approver
// groups, users' managers and the Event Log, per company (operators choose the company first).
import { useState, type ReactNode } from 'react';
import { EVENT_ROLES, ROLE_CODE_LABELS, api, errorMessage, type ApproverGroup, type RequestPolicy, type Workflow, type WorkflowUser } from '../api.ts';
import {
  ACTIONS,
  Badge,
  CardForm,
  CheckboxField,
  CompanyFrame,
  DataTable,
  DateTime,
  ErrorBanner,
  FormActions,
  Loading,
  Notice,
  RefreshButton,
  SelectField,
  ShowOlder,
  Tabs,
  TextField,
  useLoader,
  usePages,
  type Crumb,
} from '../components.tsx';
import { useEditor, useSubmission, type FieldErrors } from '../forms.ts';
import { Link, navigate, paths } from '../router.tsx';
import { useFlash, useSession } from '../session.tsx';

/** The breadcrumb trail of every Request Administration page. */
export const REQUEST_ADMIN_CRUMBS: Crumb[] = [{ label: 'Administration' }];

/** Title, company line and tabs shared by the Request Administration pages. */
export function RequestAdminFrame(props: { companyId: string; title: string; children: ReactNode; actions?: ReactNode; crumbs?: Crumb[] }) {
  const { session } = useSession();
  const tabs = [
    { label: 'Workflows', to: paths.workflows(props.companyId) },
    { label: 'Request Policies', to: paths.requestPolicies(props.companyId) },
    { label: 'Travel Agencies', to: paths.travelAgencies(props.companyId) },
    { label: 'Approver Groups', to: paths.approverGroups(props.companyId) },
    { label: 'Users', to: paths.requestUsers(props.companyId) },
    { label: 'Attendee Types', to: paths.attendeeTypes(props.companyId) },
    { label: 'Form Fields', to: paths.formFields(props.companyId) },
    { label: 'Event Log', to: paths.eventLog(props.companyId) },
  ];
  const crumbs: Crumb[] = [
    ...REQUEST_ADMIN_CRUMBS,
    { label: 'Request Administration', to: session.user.isOperator ? paths.requestAdminPicker() : paths.workflows(props.companyId) },
    ...(props.crumbs ?? []),
  ];
  return (
    <CompanyFrame
      companyId={props.companyId}
      title={props.title}
      crumbs={crumbs}
      picker={paths.requestAdminPicker()}
      actions={props.actions}
      tabs={<Tabs label="Request Administration pages" tabs={tabs} />}
    >
      {props.children}
    </CompanyFrame>
  );
}

/** The Modify button of a table row; `name` tells screen readers which row. */
export function ModifyButton({ name, onClick }: { name: string; onClick: () => void }) {
  return (
    <button type="button" className="button button-small" aria-label={`Modify ${name}`} onClick={onClick}>
      Modify
    </button>
  );
}

/** A short description of a step for lists: role, approver, Step Code. */
function describeStep(workflow: Workflow['steps'][number], users: WorkflowUser[] | undefined): string {
  const role = workflow.roleCode === 'CUSTOM' ? (workflow.customRole ?? 'Custom') : ROLE_CODE_LABELS[workflow.roleCode];
  const approver =
    workflow.approverType === 'MANAGER'
      ? "traveler's manager"
      : workflow.approverType === 'USER'
        ? (users?.find((user) => user.id === workflow.approverUserId)?.name ?? 'a named user')
        : workflow.approverType === 'GROUP'
          ? `group ${workflow.approverGroup ?? ''}`
          : 'application connector';
  return `${role} (${approver})`;
}

/** Workflows: the company's approval workflows and their steps. */
export function WorkflowsPage({ companyId }: { companyId: string }) {
  const workflows = useLoader(`workflows:${companyId}`, () => api.listWorkflows(companyId));
  const policies = useLoader(`policies:${companyId}`, () => api.listPolicies(companyId));
  const users = useLoader(`workflow-users:${companyId}`, () => api.listWorkflowUsers(companyId));
  const flash = useFlash();
  return (
    <RequestAdminFrame
      companyId={companyId}
      title="Workflows"
      actions={
        <button type="button" className="button button-primary" onClick={() => navigate(paths.newWorkflow(companyId))}>
          New Workflow
        </button>
      }
    >
      <Notice message={flash} />
      <ErrorBanner message={workflows.error ?? policies.error} />
      <div className="card">
        <p className="lead">
          A workflow is the ordered list of approval steps a request passes through after it is submitted. Request policies
          assign workflows to requests.
        </p>
        <Loading what="workflows" loader={workflows} />
        <DataTable
          caption="Workflows"
          columns={['Name', 'Steps', 'Approved Step Code', 'Used By', 'Last Modified']}
          rows={workflows.data}
          empty={
            <>
              No workflows yet. Click <strong>New Workflow</strong> to create one.
            </>
          }
        >
          {(workflow) => {
            const usedBy = (policies.data ?? []).filter((policy) => policy.workflowId === workflow.id);
            return (
              <tr key={workflow.id}>
                <th scope="row">
                  <Link to={paths.workflow(companyId, workflow.id)}>{workflow.name}</Link>
                </th>
                <td>
                  {workflow.steps.length === 0 ? (
                    <span className="muted">No steps: requests are approved on submit.</span>
                  ) : (
                    <ol className="step-summary">
                      {workflow.steps.map((step) => (
                        <li key={step.position}>
                          {describeStep(step, users.data)}
                          {step.notify ? (
                            <span className="small muted">
                              {' '}
                              · notifies{step.stepCode !== null ? <> as <span className="mono">{step.stepCode}</span></> : null}
                            </span>
                          ) : null}
                        </li>
                      ))}
                    </ol>
                  )}
                </td>
                <td className="mono">{workflow.approvedStepCode ?? <span className="muted">—</span>}</td>
                <td>
                  {usedBy.length === 0 ? (
                    <span className="muted">No policy</span>
                  ) : (
                    usedBy.map((policy) => (
                      <div key={policy.id}>
                        {policy.name}
                        {policy.isDefault ? (
                          <>
                            {' '}
                            <Badge tone="success">Default</Badge>
                          </>
                        ) : null}
                      </div>
                    ))
                  )}
                </td>
                <td className="nowrap">
                  <DateTime value={workflow.updatedAt} />
                </td>
              </tr>
            );
          }}
        </DataTable>
      </div>
    </RequestAdminFrame>
  );
}

/** Request Policies: which workflow a policy's requests follow, and the default policy. */
export function RequestPoliciesPage({ companyId }: { companyId: string }) {
  const policies = useLoader(`policies:${companyId}`, () => api.listPolicies(companyId));
  const workflows = useLoader(`workflows:${companyId}`, () => api.listWorkflows(companyId));
  const editor = useEditor(
    (policy: RequestPolicy | null) => ({ name: policy?.name ?? '', workflowId: policy?.workflowId ?? '', isDefault: policy?.isDefault ?? false }),
    { fields: ['name', 'workflowId', 'isDefault'] },
  );
  const { editing, draft, fieldErrors } = editor;

  const workflowList = workflows.data ?? [];
  const chosenWorkflow = draft.workflowId !== '' ? draft.workflowId : (workflowList[0]?.id ?? '');

  function save(): Promise<void> {
    const check: FieldErrors = {};
    if (draft.name.trim() === '') check['name'] = 'Enter the policy name.';
    if (chosenWorkflow === '') check['workflowId'] = 'Create a workflow first, then assign it here.';
    return editor.submit(
      async () => {
        const saved = await api.savePolicy(companyId, { name: draft.name.trim(), workflowId: chosenWorkflow, isDefault: draft.isDefault }, editing?.id);
        editor.setNotice(`Request policy “${saved.name}” saved.`);
        editor.start(null);
        policies.reload();
      },
      { check },
    );
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Request Policies">
      <Notice message={editor.notice} />
      <ErrorBanner message={policies.error ?? workflows.error} />
      <div className="card">
        <Loading what="policies" loader={policies} />
        <DataTable
          caption="Request policies"
          columns={['Policy', 'Workflow', 'Default', 'Policy ID', ACTIONS]}
          rows={policies.data}
          empty="No Request policies yet. New requests need a default policy."
        >
          {(policy) => (
            <tr key={policy.id}>
              <th scope="row">{policy.name}</th>
              <td>{workflowList.find((workflow) => workflow.id === policy.workflowId)?.name ?? '…'}</td>
              <td>{policy.isDefault ? <Badge tone="success">Default</Badge> : <span className="muted">No</span>}</td>
              <td className="mono small">{policy.id}</td>
              <td className="cell-actions">
                <ModifyButton name={policy.name} onClick={() => editor.start(policy)} />
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm aria-labelledby="policy-form-heading" onSubmit={() => save()}>
        <h2 id="policy-form-heading">{editing === null ? 'New Request Policy' : `Modify “${editing.name}”`}</h2>
        <ErrorBanner message={editor.error} />
        <div className="grid-2">
          <TextField label="Policy Name" value={draft.name} onChange={(name) => editor.update({ name })} error={fieldErrors['name']} required maxLength={100} />
          {workflowList.length > 0 ? (
            <SelectField
              label="Workflow"
              value={chosenWorkflow}
              options={workflowList.map((workflow) => ({ value: workflow.id, label: workflow.name }))}
              onChange={(workflowId) => editor.update({ workflowId })}
              error={fieldErrors['workflowId']}
            />
          ) : (
            <div className="field">
              <div className="label-row">Workflow</div>
              <p className="muted">
                No workflows yet. <Link to={paths.newWorkflow(companyId)}>Create a workflow</Link> first.
              </p>
            </div>
          )}
        </div>
        <CheckboxField
          label="Default policy"
          checked={draft.isDefault}
          onChange={(isDefault) => editor.update({ isDefault })}
          hint="New requests use the default policy unless they name another. Making this the default unsets the previous one."
        />
        <FormActions
          label={editing === null ? 'Create Policy' : 'Save Policy'}
          disabled={editor.busy || workflowList.length === 0}
          onCancel={editing !== null ? () => editor.start(null) : undefined}
        />
      </CardForm>
    </RequestAdminFrame>
  );
}

/** Travel Agencies: the offices requests can be assigned to (their ID is the events' `groups`). */
export function TravelAgenciesPage({ companyId }: { companyId: string }) {
  const agencies = useLoader(`agencies:${companyId}`, () => api.listTravelAgencies(companyId));
  const editor = useEditor(() => ({ name: '', emailAddress: '', appId: '' }), { fields: ['name', 'emailAddress', 'appId'] });
  const { draft, fieldErrors } = editor;

  function create(): Promise<void> {
    const check: FieldErrors = {};
    if (draft.name.trim() === '') check['name'] = 'Enter the agency office name.';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(draft.emailAddress.trim())) check['emailAddress'] = 'Enter the office e-mail address, e.g. desk@agency.example.';
    return editor.submit(
      async () => {
        const created = await api.createTravelAgency(companyId, {
          name: draft.name.trim(),
          emailAddress: draft.emailAddress.trim(),
          ...(draft.appId.trim() !== '' ? { appId: draft.appId.trim() } : {}),
        });
        editor.setNotice(`Travel agency “${created.name}” added.`);
        editor.start(null);
        agencies.reload();
      },
      { check },
    );
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Travel Agencies">
      <Notice message={editor.notice} />
      <ErrorBanner message={agencies.error} />
      <div className="card">
        <Loading what="travel agencies" loader={agencies} />
        <DataTable
          caption="Travel agencies"
          columns={['Agency Office', 'E-mail Address', 'Application', "Agency ID (events' groups)"]}
          rows={agencies.data}
          empty="No travel agency offices yet."
        >
          {(agency) => (
            <tr key={agency.id}>
              <th scope="row">{agency.name}</th>
              <td>{agency.emailAddress}</td>
              <td className="mono small">{agency.appId ?? <span className="muted">—</span>}</td>
              <td className="mono small">{agency.id}</td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm aria-labelledby="agency-form-heading" onSubmit={() => create()}>
        <h2 id="agency-form-heading">Add Travel Agency</h2>
        <ErrorBanner message={editor.error} />
        <div className="grid-2">
          <TextField label="Agency Office Name" value={draft.name} onChange={(name) => editor.update({ name })} error={fieldErrors['name']} required maxLength={100} />
          <TextField
            label="E-mail Address"
            type="email"
            value={draft.emailAddress}
            onChange={(emailAddress) => editor.update({ emailAddress })}
            error={fieldErrors['emailAddress']}
            required
          />
          <TextField
            label="Application Client ID"
            value={draft.appId}
            onChange={(appId) => editor.update({ appId })}
            error={fieldErrors['appId']}
            hint="Optional: the TMC's registered application."
          />
        </div>
        <FormActions label="Add Agency" disabled={editor.busy} />
      </CardForm>
    </RequestAdminFrame>
  );
}

/** Approver Groups: the people who may act at a group step. */
export function ApproverGroupsPage({ companyId }: { companyId: string }) {
  const groups = useLoader(`groups:${companyId}`, () => api.listApproverGroups(companyId));
  const users = useLoader(`workflow-users:${companyId}`, () => api.listWorkflowUsers(companyId));
  const editor = useEditor((group: ApproverGroup | null) => ({ name: group?.name ?? '', members: group?.userIds ?? [] }), { fields: ['userIds'] });
  const { editing, draft, fieldErrors } = editor;

  const nameOf = (userId: string) => users.data?.find((user) => user.id === userId)?.name ?? userId;

  function save(): Promise<void> {
    const check: FieldErrors = {};
    if (!/^[A-Za-z0-9 _.-]{1,64}$/.test(draft.name.trim())) check['name'] = 'Enter a group name of letters, digits, spaces, ".", "_" or "-".';
    if (editing === null && draft.members.length === 0) check['userIds'] = 'Choose at least one member.';
    return editor.submit(
      async () => {
        const saved = await api.setApproverGroup(companyId, draft.name.trim(), draft.members);
        editor.setNotice(
          saved.userIds.length === 0
            ? `Group “${saved.name}” removed.`
            : `Group “${saved.name}” saved with ${saved.userIds.length} member${saved.userIds.length === 1 ? '' : 's'}.`,
        );
        editor.start(null);
        groups.reload();
      },
      { check },
    );
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Approver Groups">
      <Notice message={editor.notice} />
      <ErrorBanner message={groups.error ?? users.error} />
      <div className="card">
        <Loading what="approver groups" loader={groups} />
        <DataTable
          caption="Approver groups"
          columns={['Group', 'Members', ACTIONS]}
          rows={groups.data}
          empty="No approver groups yet. Any member of a group can approve at a step that uses it."
        >
          {(group) => (
            <tr key={group.name}>
              <th scope="row">{group.name}</th>
              <td>{group.userIds.map(nameOf).sort((a, b) => a.localeCompare(b)).join(', ')}</td>
              <td className="cell-actions">
                <ModifyButton name={group.name} onClick={() => editor.start(group)} />
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm aria-labelledby="group-form-heading" onSubmit={() => save()}>
        <h2 id="group-form-heading">{editing === null ? 'New Approver Group' : `Modify “${editing.name}”`}</h2>
        <ErrorBanner message={editor.error} />
        {editing === null ? (
          <div className="narrow">
            <TextField label="Group Name" value={draft.name} onChange={(name) => editor.update({ name })} error={fieldErrors['name']} required maxLength={64} />
          </div>
        ) : null}
        <fieldset className="settings">
          <legend>Members</legend>
          {fieldErrors['userIds'] !== undefined ? <div className="field-error field-error-top">{fieldErrors['userIds']}</div> : null}
          <div className="checkbox-grid">
            {(users.data ?? []).map((user) => (
              <CheckboxField
                key={user.id}
                label={user.name}
                checked={draft.members.includes(user.id)}
                onChange={(checked) => editor.update({ members: checked ? [...draft.members, user.id] : draft.members.filter((id) => id !== user.id) })}
              />
            ))}
          </div>
          {editing !== null ? <p className="field-hint">Saving with no members removes the group.</p> : null}
        </fieldset>
        <FormActions label="Save Group" disabled={editor.busy} onCancel={editing !== null ? () => editor.start(null) : undefined} />
      </CardForm>
    </RequestAdminFrame>
  );
}

interface UserDraft {
  managerId: string;
  employeeId: string;
  isTest: boolean;
}

const draftOf = (user: WorkflowUser): UserDraft => ({ managerId: user.managerId ?? '', employeeId: user.employeeId ?? '', isTest: user.isTest });

/** Users: each user's manager (the Request Manager approver), employee ID and test-user flag. */
export function RequestUsersPage({ companyId }: { companyId: string }) {
  const users = useLoader(`workflow-users:${companyId}`, () => api.listWorkflowUsers(companyId));
  const [drafts, setDrafts] = useState<Record<string, UserDraft>>({});
  const saving = useSubmission();

  const list = users.data ?? [];
  const draft = (user: WorkflowUser): UserDraft => drafts[user.id] ?? draftOf(user);
  const change = (user: WorkflowUser, changes: Partial<UserDraft>) => setDrafts((current) => ({ ...current, [user.id]: { ...draft(user), ...changes } }));
  const changed = (user: WorkflowUser) => {
    const value = drafts[user.id];
    if (value === undefined) return false;
    const saved = draftOf(user);
    return value.managerId !== saved.managerId || value.employeeId.trim() !== saved.employeeId || value.isTest !== saved.isTest;
  };

  function save(user: WorkflowUser): Promise<void> {
    const value = draft(user);
    return saving.submit(
      async () => {
        const updated = await api.updateWorkflowUser(companyId, user.id, {
          managerId: value.managerId === '' ? null : value.managerId,
          employeeId: value.employeeId.trim() === '' ? null : value.employeeId.trim(),
          isTest: value.isTest,
        });
        users.setData(list.map((item) => (item.id === updated.id ? updated : item)));
        setDrafts((current) => {
          const next = { ...current };
          delete next[user.id];
          return next;
        });
        saving.setNotice(`Saved ${updated.name}.`);
      },
      { what: user.id, message: (cause) => `${user.name}: ${errorMessage(cause)}` },
    );
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Users">
      <Notice message={saving.notice} />
      <ErrorBanner message={users.error ?? saving.error} />
      <div className="card">
        <p className="lead">
          A user's manager approves their requests at <strong>Request Manager</strong> steps. Requests of test users are
          published with <span className="mono">isTest</span> <span className="mono">"true"</span>.
        </p>
        <Loading what="users" loader={users} />
        <DataTable
          caption="Users and their managers"
          className="table table-inputs"
          columns={['Name', 'Login ID', 'Manager', 'Employee ID', { label: 'Test User', className: 'cell-center' }, ACTIONS]}
          rows={users.data}
        >
          {(user) => {
            const value = draft(user);
            return (
              <tr key={user.id}>
                <th scope="row">{user.name}</th>
                <td className="small">{user.loginId}</td>
                <td>
                  <select aria-label={`Manager of ${user.name}`} value={value.managerId} onChange={(event) => change(user, { managerId: event.target.value })}>
                    <option value="">No manager</option>
                    {list
                      .filter((candidate) => candidate.id !== user.id)
                      .map((candidate) => (
                        <option key={candidate.id} value={candidate.id}>
                          {candidate.name}
                        </option>
                      ))}
                  </select>
                </td>
                <td>
                  <input
                    type="text"
                    aria-label={`Employee ID of ${user.name}`}
                    value={value.employeeId}
                    maxLength={64}
                    onChange={(event) => change(user, { employeeId: event.target.value })}
                  />
                </td>
                <td className="cell-center">
                  <input type="checkbox" aria-label={`${user.name} is a test user`} checked={value.isTest} onChange={(event) => change(user, { isTest: event.target.checked })} />
                </td>
                <td className="cell-actions">
                  <button
                    type="button"
                    className={changed(user) ? 'button button-small button-primary' : 'button button-small'}
                    aria-label={`Save ${user.name}`}
                    disabled={!changed(user) || saving.busy}
                    onClick={() => void save(user)}
                  >
                    {saving.pending === user.id ? 'Saving…' : 'Save'}
                  </button>
                </td>
              </tr>
            );
          }}
        </DataTable>
      </div>
    </RequestAdminFrame>
  );
}

/** The event types a filter can pick from: the seed's, with every built-in PENDING role. */
const EVENT_TYPES = [
  'statusChange.APPROVED',
  'statusChange.CANCELED',
  'statusChange.SENTBACK',
  ...Object.values(EVENT_ROLES).map((role) => `statusChange.PENDING.${role}`),
];

interface EventFilters {
  requestId: string;
  eventType: string;
  from: string;
  to: string;
}

const NO_FILTERS: EventFilters = { requestId: '', eventType: '', from: '', to: '' };

/** A datetime-local value (the browser's time zone) as an ISO instant; '' stays ''. */
function toInstant(local: string): string {
  if (local === '') return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

/** Events per page: each shows its whole JSON, so pages stay short. */
const PAGE_SIZE = 20;

function serverFilter(filters: EventFilters) {
  return { requestId: filters.requestId.trim(), eventType: filters.eventType.trim(), from: toInstant(filters.from), to: toInstant(filters.to) };
}

/** Event Log: the company's statusChange events, newest first, each exactly as stored. */
export function EventLogPage({ companyId }: { companyId: string }) {
  const [draft, setDraft] = useState<EventFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<EventFilters>(NO_FILTERS);
  const filterKey = JSON.stringify(applied);
  const events = usePages(`events:${companyId}:${filterKey}`, (before: number | undefined) =>
    api.listEvents(companyId, { ...serverFilter(applied), limit: PAGE_SIZE, before }),
  );
  const items = events.items;

  const filtered = filterKey !== JSON.stringify(NO_FILTERS);

  return (
    <RequestAdminFrame
      companyId={companyId}
      title="Event Log"
      actions={<RefreshButton onRefresh={events.first.reload} />}
    >
      <CardForm className="card filters" aria-label="Event filters" onSubmit={() => setApplied(draft)}>
        <div className="filter-grid">
          <TextField label="Request ID" value={draft.requestId} onChange={(requestId) => setDraft({ ...draft, requestId })} placeholder="e.g. 4F7K or the 32-character id" />
          <div className="field">
            <label htmlFor="event-type-filter">Event Type</label>
            <input
              id="event-type-filter"
              list="event-type-options"
              value={draft.eventType}
              placeholder="Any type"
              onChange={(event) => setDraft({ ...draft, eventType: event.target.value })}
            />
            <datalist id="event-type-options">
              {EVENT_TYPES.map((type) => (
                <option key={type} value={type} />
              ))}
            </datalist>
          </div>
          <TextField label="From" type="datetime-local" value={draft.from} onChange={(from) => setDraft({ ...draft, from })} />
          <TextField label="To" type="datetime-local" value={draft.to} onChange={(to) => setDraft({ ...draft, to })} />
        </div>
        <div className="actions">
          <button type="submit" className="button button-primary">
            Apply Filters
          </button>
          <button
            type="button"
            className="button"
            disabled={!filtered && JSON.stringify(draft) === JSON.stringify(NO_FILTERS)}
            onClick={() => {
              setDraft(NO_FILTERS);
              setApplied(NO_FILTERS);
            }}
          >
            Clear
          </button>
          <span className="toolbar-hint muted">Times are in your time zone; events are listed newest first.</span>
        </div>
      </CardForm>
      <ErrorBanner message={events.first.error ?? events.olderError} />
      <Loading what="events" loader={events.first} />
      {items !== undefined ? (
        <>
          <p className="muted" role="status">
            {items.length === 0
              ? filtered
                ? 'No events match these filters.'
                : 'No events yet. Events are written when requests are submitted, approved, sent back, recalled, canceled, closed or reopened.'
              : `Showing ${items.length} event${items.length === 1 ? '' : 's'}${events.hasOlder ? ' (more are older)' : ''}.`}
          </p>
          <ol className="event-list" aria-label="Events">
            {items.map(({ seq, event }) => (
              <li key={seq} className="card event-card">
                <div className="event-head">
                  <div>
                    <div className="mono event-type">{event.eventType}</div>
                    <div className="event-meta">
                      Request <strong className="mono">{event.facts['requestId'] ?? '—'}</strong>
                      {' · '}stepCode <span className="mono">{event.facts['stepCode'] ?? 'null'}</span>
                      {event.facts['currentApprovalStatus'] ? (
                        <>
                          {' · '}
                          <span className="mono">{event.facts['currentApprovalStatus']}</span>
                        </>
                      ) : null}
                      {event.facts['isClosed'] === 'true' ? ' · closed' : null}
                      {event.facts['isRecall'] === 'true' ? ' · recall' : null}
                    </div>
                  </div>
                  <div className="event-meta">
                    <DateTime value={event.timeStamp} /> · #{seq}
                  </div>
                </div>
                <pre className="event-json" aria-label={`Event ${seq} JSON`}>
                  {JSON.stringify(event, null, 2)}
                </pre>
              </li>
            ))}
          </ol>
          <ShowOlder pages={events} label="Show Older Events" />
        </>
      ) : null}
    </RequestAdminFrame>
  );
}
