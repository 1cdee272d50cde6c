// Administration > Request Administration: workflows, Request policies, travel agencies, approver
// groups, users' managers and the Event Log, per company (operators choose the company first).
import { useEffect, useState, type ReactNode } from 'react';
import {
  ApiError,
  EVENT_ROLES,
  ROLE_CODE_LABELS,
  api,
  errorMessage,
  type ApproverGroup,
  type EventPage,
  type RequestPolicy,
  type Workflow,
  type WorkflowUser,
} from '../api.ts';
import {
  Badge,
  CheckboxField,
  DateTime,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TextField,
  useLoader,
  type Crumb, CardForm } from '../components.tsx';
import { Link, navigate, paths, useLocation } from '../router.tsx';
import { clearFlash, peekFlash, useSession } from '../session.tsx';

/** The breadcrumb trail of every Request Administration page. */
export const REQUEST_ADMIN_CRUMBS: Crumb[] = [{ label: 'Administration' }];

/** Title, company line and tabs shared by the Request Administration pages. */
export function RequestAdminFrame(props: { companyId: string; title: string; children: ReactNode; actions?: ReactNode; crumbs?: Crumb[] }) {
  const { session } = useSession();
  const { path } = useLocation();
  const operator = session.user.isOperator;
  const companies = useLoader(`companies:${operator}`, () => (operator ? api.listCompanies() : Promise.resolve([])));
  const companyName = operator
    ? (companies.data?.find((company) => company.id === props.companyId)?.name ?? null)
    : (session.company?.name ?? null);
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
    operator ? { label: 'Request Administration', to: paths.requestAdminPicker() } : { label: 'Request Administration', to: paths.workflows(props.companyId) },
    ...(props.crumbs ?? []),
  ];
  return (
    <section>
      <PageHeader title={props.title} crumbs={crumbs}>
        {props.actions}
      </PageHeader>
      {companyName !== null ? (
        <p className="context-line">
          Company: <strong>{companyName}</strong>
          {operator ? (
            <>
              {' '}
              · <Link to={paths.requestAdminPicker()}>Choose another company</Link>
            </>
          ) : null}
        </p>
      ) : null}
      <nav aria-label="Request Administration pages" className="tabs">
        <ul>
          {tabs.map((tab) => {
            const current = path === tab.to || path.startsWith(`${tab.to}/`);
            return (
              <li key={tab.to}>
                <Link to={tab.to} className={current ? 'tab is-current' : 'tab'} aria-current={current ? 'page' : undefined}>
                  {tab.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      {props.children}
    </section>
  );
}

/** Shows (once) the message another page left for this one. */
function useFlash(): string | null {
  const { path } = useLocation();
  const [flash] = useState(() => peekFlash(path));
  useEffect(() => clearFlash(), []);
  return flash;
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
        {workflows.loading && workflows.data === undefined ? <Loading what="workflows" /> : null}
        {workflows.data !== undefined ? (
          <table className="table">
            <caption className="visually-hidden">Workflows</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Steps</th>
                <th scope="col">Approved Step Code</th>
                <th scope="col">Used By</th>
                <th scope="col">Last Modified</th>
              </tr>
            </thead>
            <tbody>
              {workflows.data.length === 0 ? (
                <tr>
                  <td colSpan={5} className="empty">
                    No workflows yet. Click <strong>New Workflow</strong> to create one.
                  </td>
                </tr>
              ) : null}
              {workflows.data.map((workflow) => {
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
              })}
            </tbody>
          </table>
        ) : null}
      </div>
    </RequestAdminFrame>
  );
}

/** Request Policies: which workflow a policy's requests follow, and the default policy. */
export function RequestPoliciesPage({ companyId }: { companyId: string }) {
  const policies = useLoader(`policies:${companyId}`, () => api.listPolicies(companyId));
  const workflows = useLoader(`workflows:${companyId}`, () => api.listWorkflows(companyId));
  const [editing, setEditing] = useState<RequestPolicy | null>(null);
  const [name, setName] = useState('');
  const [workflowId, setWorkflowId] = useState('');
  const [isDefault, setIsDefault] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const workflowList = workflows.data ?? [];
  const chosenWorkflow = workflowId !== '' ? workflowId : (workflowList[0]?.id ?? '');

  function startEdit(policy: RequestPolicy | null): void {
    setEditing(policy);
    setName(policy?.name ?? '');
    setWorkflowId(policy?.workflowId ?? '');
    setIsDefault(policy?.isDefault ?? false);
    setFieldErrors({});
    setError(null);
  }

  async function save(): Promise<void> {
    setError(null);
    setNotice(null);
    const errors: Record<string, string> = {};
    if (name.trim() === '') errors['name'] = 'Enter the policy name.';
    if (chosenWorkflow === '') errors['workflowId'] = 'Create a workflow first, then assign it here.';
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    try {
      const saved = await api.savePolicy(companyId, { name: name.trim(), workflowId: chosenWorkflow, isDefault }, editing?.id);
      setNotice(`Request policy “${saved.name}” saved.`);
      startEdit(null);
      policies.reload();
    } catch (cause) {
      if (cause instanceof ApiError && cause.field !== undefined && ['name', 'workflowId', 'isDefault'].includes(cause.field)) {
        setFieldErrors({ [cause.field]: cause.message });
      } else setError(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Request Policies">
      <Notice message={notice} />
      <ErrorBanner message={policies.error ?? workflows.error} />
      <div className="card">
        {policies.loading && policies.data === undefined ? <Loading what="policies" /> : null}
        {policies.data !== undefined ? (
          <table className="table">
            <caption className="visually-hidden">Request policies</caption>
            <thead>
              <tr>
                <th scope="col">Policy</th>
                <th scope="col">Workflow</th>
                <th scope="col">Default</th>
                <th scope="col">Policy ID</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {policies.data.length === 0 ? (
                <tr>
                  <td colSpan={5} className="empty">
                    No Request policies yet. New requests need a default policy.
                  </td>
                </tr>
              ) : null}
              {policies.data.map((policy) => (
                <tr key={policy.id}>
                  <th scope="row">{policy.name}</th>
                  <td>{workflowList.find((workflow) => workflow.id === policy.workflowId)?.name ?? '…'}</td>
                  <td>{policy.isDefault ? <Badge tone="success">Default</Badge> : <span className="muted">No</span>}</td>
                  <td className="mono small">{policy.id}</td>
                  <td className="cell-actions">
                    <button type="button" className="button button-small" aria-label={`Modify ${policy.name}`} onClick={() => startEdit(policy)}>
                      Modify
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <CardForm aria-labelledby="policy-form-heading" onSubmit={() => save()}>
        <h2 id="policy-form-heading">{editing === null ? 'New Request Policy' : `Modify “${editing.name}”`}</h2>
        <ErrorBanner message={error} />
        <div className="grid-2">
          <TextField label="Policy Name" value={name} onChange={setName} error={fieldErrors['name']} required maxLength={100} />
          {workflowList.length > 0 ? (
            <SelectField
              label="Workflow"
              value={chosenWorkflow}
              options={workflowList.map((workflow) => ({ value: workflow.id, label: workflow.name }))}
              onChange={setWorkflowId}
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
          checked={isDefault}
          onChange={setIsDefault}
          hint="New requests use the default policy unless they name another. Making this the default unsets the previous one."
        />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy || workflowList.length === 0}>
            {editing === null ? 'Create Policy' : 'Save Policy'}
          </button>
          {editing !== null ? (
            <button type="button" className="button" onClick={() => startEdit(null)}>
              Cancel
            </button>
          ) : null}
        </div>
      </CardForm>
    </RequestAdminFrame>
  );
}

/** Travel Agencies: the offices requests can be assigned to (their ID is the events' `groups`). */
export function TravelAgenciesPage({ companyId }: { companyId: string }) {
  const agencies = useLoader(`agencies:${companyId}`, () => api.listTravelAgencies(companyId));
  const [name, setName] = useState('');
  const [emailAddress, setEmailAddress] = useState('');
  const [appId, setAppId] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(): Promise<void> {
    setError(null);
    setNotice(null);
    const errors: Record<string, string> = {};
    if (name.trim() === '') errors['name'] = 'Enter the agency office name.';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(emailAddress.trim())) errors['emailAddress'] = 'Enter the office e-mail address, e.g. desk@agency.example.';
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    try {
      const created = await api.createTravelAgency(companyId, {
        name: name.trim(),
        emailAddress: emailAddress.trim(),
        ...(appId.trim() !== '' ? { appId: appId.trim() } : {}),
      });
      setNotice(`Travel agency “${created.name}” added.`);
      setName('');
      setEmailAddress('');
      setAppId('');
      agencies.reload();
    } catch (cause) {
      if (cause instanceof ApiError && cause.field !== undefined && ['name', 'emailAddress', 'appId'].includes(cause.field)) {
        setFieldErrors({ [cause.field]: cause.message });
      } else setError(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Travel Agencies">
      <Notice message={notice} />
      <ErrorBanner message={agencies.error} />
      <div className="card">
        {agencies.loading && agencies.data === undefined ? <Loading what="travel agencies" /> : null}
        {agencies.data !== undefined ? (
          <table className="table">
            <caption className="visually-hidden">Travel agencies</caption>
            <thead>
              <tr>
                <th scope="col">Agency Office</th>
                <th scope="col">E-mail Address</th>
                <th scope="col">Application</th>
                <th scope="col">Agency ID (events' groups)</th>
              </tr>
            </thead>
            <tbody>
              {agencies.data.length === 0 ? (
                <tr>
                  <td colSpan={4} className="empty">
                    No travel agency offices yet.
                  </td>
                </tr>
              ) : null}
              {agencies.data.map((agency) => (
                <tr key={agency.id}>
                  <th scope="row">{agency.name}</th>
                  <td>{agency.emailAddress}</td>
                  <td className="mono small">{agency.appId ?? <span className="muted">—</span>}</td>
                  <td className="mono small">{agency.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <CardForm aria-labelledby="agency-form-heading" onSubmit={() => create()}>
        <h2 id="agency-form-heading">Add Travel Agency</h2>
        <ErrorBanner message={error} />
        <div className="grid-2">
          <TextField label="Agency Office Name" value={name} onChange={setName} error={fieldErrors['name']} required maxLength={100} />
          <TextField label="E-mail Address" type="email" value={emailAddress} onChange={setEmailAddress} error={fieldErrors['emailAddress']} required />
          <TextField
            label="Application Client ID"
            value={appId}
            onChange={setAppId}
            error={fieldErrors['appId']}
            hint="Optional: the TMC's registered application."
          />
        </div>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            Add Agency
          </button>
        </div>
      </CardForm>
    </RequestAdminFrame>
  );
}

/** Approver Groups: the people who may act at a group step. */
export function ApproverGroupsPage({ companyId }: { companyId: string }) {
  const groups = useLoader(`groups:${companyId}`, () => api.listApproverGroups(companyId));
  const users = useLoader(`workflow-users:${companyId}`, () => api.listWorkflowUsers(companyId));
  const [editing, setEditing] = useState<ApproverGroup | null>(null);
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const nameOf = (userId: string) => users.data?.find((user) => user.id === userId)?.name ?? userId;

  function startEdit(group: ApproverGroup | null): void {
    setEditing(group);
    setName(group?.name ?? '');
    setMembers(group?.userIds ?? []);
    setFieldErrors({});
    setError(null);
  }

  async function save(): Promise<void> {
    setError(null);
    setNotice(null);
    const errors: Record<string, string> = {};
    if (!/^[A-Za-z0-9 _.-]{1,64}$/.test(name.trim())) errors['name'] = 'Enter a group name of letters, digits, spaces, ".", "_" or "-".';
    if (editing === null && members.length === 0) errors['userIds'] = 'Choose at least one member.';
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    try {
      const saved = await api.setApproverGroup(companyId, name.trim(), members);
      setNotice(saved.userIds.length === 0 ? `Group “${saved.name}” removed.` : `Group “${saved.name}” saved with ${saved.userIds.length} member${saved.userIds.length === 1 ? '' : 's'}.`);
      startEdit(null);
      groups.reload();
    } catch (cause) {
      if (cause instanceof ApiError && cause.field === 'userIds') setFieldErrors({ userIds: cause.message });
      else setError(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Approver Groups">
      <Notice message={notice} />
      <ErrorBanner message={groups.error ?? users.error} />
      <div className="card">
        {groups.loading && groups.data === undefined ? <Loading what="approver groups" /> : null}
        {groups.data !== undefined ? (
          <table className="table">
            <caption className="visually-hidden">Approver groups</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Members</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.data.length === 0 ? (
                <tr>
                  <td colSpan={3} className="empty">
                    No approver groups yet. Any member of a group can approve at a step that uses it.
                  </td>
                </tr>
              ) : null}
              {groups.data.map((group) => (
                <tr key={group.name}>
                  <th scope="row">{group.name}</th>
                  <td>{group.userIds.map(nameOf).sort((a, b) => a.localeCompare(b)).join(', ')}</td>
                  <td className="cell-actions">
                    <button type="button" className="button button-small" aria-label={`Modify ${group.name}`} onClick={() => startEdit(group)}>
                      Modify
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <CardForm aria-labelledby="group-form-heading" onSubmit={() => save()}>
        <h2 id="group-form-heading">{editing === null ? 'New Approver Group' : `Modify “${editing.name}”`}</h2>
        <ErrorBanner message={error} />
        {editing === null ? (
          <div className="narrow">
            <TextField label="Group Name" value={name} onChange={setName} error={fieldErrors['name']} required maxLength={64} />
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
                checked={members.includes(user.id)}
                onChange={(checked) => setMembers((current) => (checked ? [...current, user.id] : current.filter((id) => id !== user.id)))}
              />
            ))}
          </div>
          {editing !== null ? <p className="field-hint">Saving with no members removes the group.</p> : null}
        </fieldset>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            Save Group
          </button>
          {editing !== null ? (
            <button type="button" className="button" onClick={() => startEdit(null)}>
              Cancel
            </button>
          ) : null}
        </div>
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
  const [saving, setSaving] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const list = users.data ?? [];
  const draft = (user: WorkflowUser): UserDraft => drafts[user.id] ?? draftOf(user);
  const change = (user: WorkflowUser, changes: Partial<UserDraft>) => setDrafts((current) => ({ ...current, [user.id]: { ...draft(user), ...changes } }));
  const changed = (user: WorkflowUser) => {
    const value = drafts[user.id];
    if (value === undefined) return false;
    const saved = draftOf(user);
    return value.managerId !== saved.managerId || value.employeeId.trim() !== saved.employeeId || value.isTest !== saved.isTest;
  };

  async function save(user: WorkflowUser): Promise<void> {
    const value = draft(user);
    setSaving(user.id);
    setError(null);
    setNotice(null);
    try {
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
      setNotice(`Saved ${updated.name}.`);
    } catch (cause) {
      setError(`${user.name}: ${errorMessage(cause)}`);
    } finally {
      setSaving(null);
    }
  }

  return (
    <RequestAdminFrame companyId={companyId} title="Users">
      <Notice message={notice} />
      <ErrorBanner message={users.error ?? error} />
      <div className="card">
        <p className="lead">
          A user's manager approves their requests at <strong>Request Manager</strong> steps. Requests of test users are
          published with <span className="mono">isTest</span> <span className="mono">"true"</span>.
        </p>
        {users.loading && users.data === undefined ? <Loading what="users" /> : null}
        {users.data !== undefined ? (
          <table className="table table-inputs">
            <caption className="visually-hidden">Users and their managers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Login ID</th>
                <th scope="col">Manager</th>
                <th scope="col">Employee ID</th>
                <th scope="col" className="cell-center">
                  Test User
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((user) => {
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
                        disabled={!changed(user) || saving !== null}
                        onClick={() => void save(user)}
                      >
                        {saving === user.id ? 'Saving…' : 'Save'}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
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
  const [generation, setGeneration] = useState(0);
  const filterKey = JSON.stringify(applied);
  const events = useLoader<EventPage>(`events:${companyId}:${filterKey}:${generation}`, () =>
    api.listEvents(companyId, { ...serverFilter(applied), limit: PAGE_SIZE }),
  );
  const [older, setOlder] = useState<EventPage['items']>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);

  const firstPage = events.data;
  useEffect(() => {
    setOlder([]);
    setOlderError(null);
    setNextBefore(firstPage?.nextBefore ?? null);
  }, [firstPage]);

  async function loadOlder(): Promise<void> {
    if (nextBefore === null) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await api.listEvents(companyId, { ...serverFilter(applied), limit: PAGE_SIZE, before: nextBefore });
      setOlder((current) => [...current, ...page.items]);
      setNextBefore(page.nextBefore);
    } catch (cause) {
      setOlderError(errorMessage(cause));
    } finally {
      setLoadingOlder(false);
    }
  }

  const items = [...(firstPage?.items ?? []), ...older];
  const filtered = filterKey !== JSON.stringify(NO_FILTERS);

  return (
    <RequestAdminFrame
      companyId={companyId}
      title="Event Log"
      actions={
        <button type="button" className="button" onClick={() => setGeneration((value) => value + 1)}>
          Refresh
        </button>
      }
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
      <ErrorBanner message={events.error ?? olderError} />
      {events.loading && firstPage === undefined ? <Loading what="events" /> : null}
      {firstPage !== undefined ? (
        <>
          <p className="muted" role="status">
            {items.length === 0
              ? filtered
                ? 'No events match these filters.'
                : 'No events yet. Events are written when requests are submitted, approved, sent back, recalled, canceled, closed or reopened.'
              : `Showing ${items.length} event${items.length === 1 ? '' : 's'}${nextBefore !== null ? ' (more are older)' : ''}.`}
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
          {nextBefore !== null ? (
            <div className="actions">
              <button type="button" className="button" disabled={loadingOlder} onClick={() => void loadOlder()}>
                {loadingOlder ? 'Loading…' : 'Show Older Events'}
              </button>
            </div>
          ) : null}
        </>
      ) : null}
    </RequestAdminFrame>
  );
}
