// Operator pages: Companies, and per company its settings, Safe List and Users.
import { useEffect, type ReactNode } from 'react';
import { EDITION_LABELS, EDITIONS, ROLE_LABELS, ROLES, api, type Company, type Edition, type Role, type SafeHost } from '../api.ts';
import {
  ACTIONS,
  CardForm,
  CheckboxField,
  ConfirmDialog,
  DataTable,
  DateTime,
  ErrorBanner,
  FormActions,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  Tabs,
  TextField,
  useLoader,
  type Crumb,
} from '../components.tsx';
import { useConfirmation, useEditor, type FieldErrors } from '../forms.ts';
import { Link, paths } from '../router.tsx';

const EDITION_OPTIONS = EDITIONS.map((edition) => ({ value: edition, label: EDITION_LABELS[edition] }));
const COMPANIES_CRUMBS: Crumb[] = [{ label: 'Administration' }, { label: 'Companies', to: paths.companies() }];

/** The editable settings of a company (of a new one for null). */
function settingsOf(company: Company | null): { name: string; edition: Edition; developmentPartner: boolean } {
  return { name: company?.name ?? '', edition: company?.edition ?? 'STANDARD', developmentPartner: company?.developmentPartner ?? false };
}

/** Companies: the list and the create form. */
export function CompaniesPage() {
  const companies = useLoader('companies', () => api.listCompanies());
  const editor = useEditor(() => ({ ...settingsOf(null), entityId: '' }), { fields: ['name', 'edition', 'entityId'] });
  const { draft, fieldErrors } = editor;

  function create(): Promise<void> {
    return editor.submit(
      async () => {
        const company = await api.createCompany({
          name: draft.name.trim(),
          edition: draft.edition,
          developmentPartner: draft.developmentPartner,
          ...(draft.entityId.trim() !== '' ? { entityId: draft.entityId.trim() } : {}),
        });
        editor.setNotice(`Company “${company.name}” created.`);
        editor.start(null);
        companies.reload();
      },
      { check: draft.name.trim() === '' ? { name: 'Enter the company name.' } : {} },
    );
  }

  return (
    <section>
      <PageHeader title="Companies" crumbs={[{ label: 'Administration' }]} />
      <ErrorBanner message={companies.error} />
      <div className="card">
        <Loading what="companies" loader={companies} />
        <DataTable
          aria-label="Companies"
          columns={['Name', 'Edition', 'Development Partner', 'Entity ID', 'Created', 'Manage']}
          rows={companies.data}
          empty="No companies yet."
        >
          {(company) => (
            <tr key={company.id}>
              <th scope="row">
                <Link to={paths.company(company.id)}>{company.name}</Link>
              </th>
              <td>{EDITION_LABELS[company.edition] ?? company.edition}</td>
              <td>{company.developmentPartner ? 'Yes' : 'No'}</td>
              <td className="mono">{company.entityId}</td>
              <td>
                <DateTime value={company.createdAt} />
              </td>
              <td className="nowrap">
                <span className="links">
                  <Link to={paths.safeList(company.id)} aria-label={`Safe List of ${company.name}`}>
                    Safe List
                  </Link>
                  <Link to={paths.users(company.id)} aria-label={`Users of ${company.name}`}>
                    Users
                  </Link>
                  <Link to={paths.connectors(company.id)} aria-label={`Connectors of ${company.name}`}>
                    Connectors
                  </Link>
                </span>
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm aria-labelledby="create-company-heading" onSubmit={() => create()}>
        <h2 id="create-company-heading">Create company</h2>
        <Notice message={editor.notice} />
        <ErrorBanner message={editor.error} />
        <div className="grid-2">
          <TextField label="Company Name" value={draft.name} onChange={(name) => editor.update({ name })} error={fieldErrors['name']} required />
          <SelectField label="Edition" value={draft.edition} options={EDITION_OPTIONS} onChange={(edition) => editor.update({ edition })} error={fieldErrors['edition']} />
          <TextField
            label="Entity ID"
            value={draft.entityId}
            onChange={(entityId) => editor.update({ entityId })}
            error={fieldErrors['entityId']}
            hint="Optional; generated when left blank."
          />
          <CheckboxField
            label="Development Partner"
            checked={draft.developmentPartner}
            onChange={(developmentPartner) => editor.update({ developmentPartner })}
            hint="At Professional editions, Web Services Administrators and admins of Development Partner companies may manage connectors."
          />
        </div>
        <FormActions label="Create Company" disabled={editor.busy} />
      </CardForm>
    </section>
  );
}

/** Loads one company (there is no single-company endpoint, so it is found in the list). */
function useCompany(companyId: string) {
  return useLoader<Company | null>(`company:${companyId}`, async () => {
    const companies = await api.listCompanies();
    return companies.find((company) => company.id === companyId) ?? null;
  });
}

/** Title, breadcrumbs and tabs shared by the per-company pages. */
function CompanySettingsFrame(props: { companyId: string; company: Company | null | undefined; title: string; children: ReactNode }) {
  const tabs = [
    { label: 'Settings', to: paths.company(props.companyId) },
    { label: 'Safe List', to: paths.safeList(props.companyId) },
    { label: 'Users', to: paths.users(props.companyId) },
    { label: 'Application Connectors', to: paths.connectors(props.companyId) },
  ];
  const name = props.company?.name ?? 'Company';
  return (
    <section>
      <PageHeader title={`${props.title}: ${name}`} crumbs={COMPANIES_CRUMBS} />
      <Tabs label="Company pages" tabs={tabs} exact />
      {props.company === null ? <ErrorBanner message="There is no company with this ID." /> : props.children}
    </section>
  );
}

/** A company's settings: name, edition, Development Partner. */
export function CompanySettingsPage({ companyId }: { companyId: string }) {
  const company = useCompany(companyId);
  const editor = useEditor(settingsOf, { fields: ['name', 'edition', 'developmentPartner'] });
  const { draft, fieldErrors, start } = editor;

  const loaded = company.data;
  useEffect(() => {
    if (loaded !== undefined && loaded !== null) start(loaded);
  }, [loaded, start]);

  function save(): Promise<void> {
    return editor.submit(
      async () => {
        const updated = await api.updateCompany(companyId, { name: draft.name.trim(), edition: draft.edition, developmentPartner: draft.developmentPartner });
        company.setData(updated);
        editor.setNotice('Company saved.');
      },
      { check: draft.name.trim() === '' ? { name: 'Enter the company name.' } : {} },
    );
  }

  return (
    <CompanySettingsFrame companyId={companyId} company={company.data} title="Company">
      <ErrorBanner message={company.error} />
      <Loading what="company" loader={company} />
      {loaded !== undefined && loaded !== null ? (
        <CardForm onSubmit={() => save()}>
          <Notice message={editor.notice} />
          <ErrorBanner message={editor.error} />
          <dl className="facts">
            <dt>Entity ID</dt>
            <dd className="mono">{loaded.entityId}</dd>
            <dt>Company ID</dt>
            <dd className="mono">{loaded.id}</dd>
            <dt>Created</dt>
            <dd>
              <DateTime value={loaded.createdAt} />
            </dd>
          </dl>
          <div className="grid-2">
            <TextField label="Company Name" value={draft.name} onChange={(name) => editor.update({ name })} error={fieldErrors['name']} required />
            <SelectField label="Edition" value={draft.edition} options={EDITION_OPTIONS} onChange={(edition) => editor.update({ edition })} error={fieldErrors['edition']} />
            <CheckboxField label="Development Partner" checked={draft.developmentPartner} onChange={(developmentPartner) => editor.update({ developmentPartner })} />
          </div>
          <FormActions label="Save" disabled={editor.busy} />
        </CardForm>
      ) : null}
    </CompanySettingsFrame>
  );
}

/** A company's Safe List: the hosts its connectors may use. */
export function SafeListPage({ companyId }: { companyId: string }) {
  const company = useCompany(companyId);
  const hosts = useLoader<SafeHost[]>(`safe-list:${companyId}`, () => api.listSafeHosts(companyId));
  const editor = useEditor(() => ({ host: '' }), { fields: ['host'] });
  const removal = useConfirmation(async (host: string) => {
    await api.removeSafeHost(companyId, host);
    editor.setNotice(`${host} removed from the safe list.`);
    hosts.reload();
  });

  function add(): Promise<void> {
    const host = editor.draft.host.trim();
    return editor.submit(
      async () => {
        const added = await api.addSafeHost(companyId, host);
        editor.setNotice(`${added.host} added to the safe list.`);
        editor.start(null);
        hosts.reload();
      },
      { check: host === '' ? { host: 'Enter a host name, for example connector.example.com.' } : {} },
    );
  }

  return (
    <CompanySettingsFrame companyId={companyId} company={company.data} title="Safe List">
      <p className="muted">
        Connectors of this company may only be called on hosts of this list (Concur's whitelisting of partner endpoint servers).
      </p>
      <Notice message={editor.notice} />
      <ErrorBanner message={hosts.error ?? editor.error} />
      <div className="card">
        <Loading what="safe list" loader={hosts} />
        <DataTable aria-label="Safe list" columns={['Host', 'Added', ACTIONS]} rows={hosts.data} empty="No hosts on the safe list.">
          {(item) => (
            <tr key={item.host}>
              <th scope="row" className="mono">
                {item.host}
              </th>
              <td>
                <DateTime value={item.createdAt} />
              </td>
              <td>
                <button type="button" className="button button-small" aria-label={`Remove ${item.host}`} onClick={() => removal.ask(item.host)}>
                  Remove
                </button>
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm className="card inline-form" onSubmit={() => add()}>
        <TextField
          label="Host"
          value={editor.draft.host}
          onChange={(host) => editor.update({ host })}
          error={editor.fieldErrors['host']}
          placeholder="connector.example.com"
          required
        />
        <button type="submit" className="button button-primary" disabled={editor.busy}>
          Add Host
        </button>
      </CardForm>
      <ConfirmDialog confirmation={removal} title="Remove host?" confirmLabel="Remove" danger>
        {(host) => (
          <p>
            Connectors on <span className="mono">{host}</span> will no longer be callable for this company.
          </p>
        )}
      </ConfirmDialog>
    </CompanySettingsFrame>
  );
}

/** A company's users: the list and the create form with roles. */
export function UsersPage({ companyId }: { companyId: string }) {
  const company = useCompany(companyId);
  const users = useLoader(`users:${companyId}`, () => api.listUsers(companyId));
  // A roles error has no field of its own: it is shown in the banner.
  const editor = useEditor(() => ({ loginId: '', name: '', password: '', roles: [] as Role[] }), { fields: ['loginId', 'name', 'password'] });
  const { draft, fieldErrors } = editor;

  function create(): Promise<void> {
    const check: FieldErrors = {};
    if (draft.loginId.trim() === '') check['loginId'] = 'Enter a Login ID.';
    if (draft.name.trim() === '') check['name'] = 'Enter the user’s name.';
    if (draft.password === '') check['password'] = 'Enter an initial password.';
    return editor.submit(
      async () => {
        const user = await api.createUser(companyId, { loginId: draft.loginId.trim(), name: draft.name.trim(), password: draft.password, roles: draft.roles });
        editor.setNotice(`User ${user.loginId} created.`);
        editor.start(null);
        users.reload();
      },
      { check },
    );
  }

  return (
    <CompanySettingsFrame companyId={companyId} company={company.data} title="Users">
      <ErrorBanner message={users.error} />
      <div className="card">
        <Loading what="users" loader={users} />
        <DataTable aria-label="Users" columns={['Login ID', 'Name', 'Roles']} rows={users.data} empty="No users yet.">
          {(user) => (
            <tr key={user.id}>
              <th scope="row">{user.loginId}</th>
              <td>{user.name}</td>
              <td>
                {(user.roles ?? []).map((role) => ROLE_LABELS[role as Role] ?? role).join(', ') || (
                  <span className="muted">None</span>
                )}
              </td>
            </tr>
          )}
        </DataTable>
      </div>
      <CardForm aria-labelledby="create-user-heading" onSubmit={() => create()}>
        <h2 id="create-user-heading">Create user</h2>
        <Notice message={editor.notice} />
        <ErrorBanner message={editor.error} />
        <div className="grid-2">
          <TextField label="Login ID" value={draft.loginId} onChange={(loginId) => editor.update({ loginId })} error={fieldErrors['loginId']} required autoComplete="off" />
          <TextField label="Full Name" value={draft.name} onChange={(name) => editor.update({ name })} error={fieldErrors['name']} required />
          <TextField
            label="Password"
            type="password"
            value={draft.password}
            onChange={(password) => editor.update({ password })}
            error={fieldErrors['password']}
            required
            autoComplete="new-password"
          />
        </div>
        <fieldset className="settings">
          <legend>Roles</legend>
          <div className="checkbox-grid">
            {ROLES.map((role) => (
              <CheckboxField
                key={role}
                label={ROLE_LABELS[role]}
                checked={draft.roles.includes(role)}
                onChange={(on) => editor.update({ roles: on ? [...draft.roles, role] : draft.roles.filter((r) => r !== role) })}
              />
            ))}
          </div>
        </fieldset>
        <FormActions label="Create User" disabled={editor.busy} />
      </CardForm>
    </CompanySettingsFrame>
  );
}
