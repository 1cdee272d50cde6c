// Operator pages: Companies, and per company its settings, Safe List and Users.
import { useEffect, useState, type ReactNode } from 'react';
import {
  ApiError,
  EDITION_LABELS,
  EDITIONS,
  ROLE_LABELS,
  ROLES,
  api,
  errorMessage,
  type Company,
  type Edition,
  type Role,
  type SafeHost,
} from '../api.ts';
import {
  CheckboxField,
  ConfirmDialog,
  DateTime,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TextField,
  useLoader,
  type Crumb, CardForm } from '../components.tsx';
import { Link, paths, useLocation } from '../router.tsx';

const EDITION_OPTIONS = EDITIONS.map((edition) => ({ value: edition, label: EDITION_LABELS[edition] }));
const COMPANIES_CRUMBS: Crumb[] = [{ label: 'Administration' }, { label: 'Companies', to: paths.companies() }];

/** Field errors keyed by API field name, plus a general message. */
function splitError(cause: unknown, fields: readonly string[]): { field: Record<string, string>; general: string | null } {
  if (cause instanceof ApiError && cause.field !== undefined && fields.includes(cause.field)) {
    return { field: { [cause.field]: cause.message }, general: null };
  }
  return { field: {}, general: errorMessage(cause) };
}

/** Companies: the list and the create form. */
export function CompaniesPage() {
  const companies = useLoader('companies', () => api.listCompanies());
  const [name, setName] = useState('');
  const [edition, setEdition] = useState<Edition>('STANDARD');
  const [developmentPartner, setDevelopmentPartner] = useState(false);
  const [entityId, setEntityId] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(): Promise<void> {
    setError(null);
    setNotice(null);
    if (name.trim() === '') {
      setFieldErrors({ name: 'Enter the company name.' });
      return;
    }
    setFieldErrors({});
    setBusy(true);
    try {
      const company = await api.createCompany({
        name: name.trim(),
        edition,
        developmentPartner,
        ...(entityId.trim() !== '' ? { entityId: entityId.trim() } : {}),
      });
      setNotice(`Company “${company.name}” created.`);
      setName('');
      setEntityId('');
      setEdition('STANDARD');
      setDevelopmentPartner(false);
      companies.reload();
    } catch (cause) {
      const split = splitError(cause, ['name', 'edition', 'entityId']);
      setFieldErrors(split.field);
      setError(split.general);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <PageHeader title="Companies" crumbs={[{ label: 'Administration' }]} />
      <ErrorBanner message={companies.error} />
      <div className="card">
        {companies.loading && companies.data === undefined ? <Loading what="companies" /> : null}
        {companies.data !== undefined ? (
          <table className="table" aria-label="Companies">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Edition</th>
                <th scope="col">Development Partner</th>
                <th scope="col">Entity ID</th>
                <th scope="col">Created</th>
                <th scope="col">Manage</th>
              </tr>
            </thead>
            <tbody>
              {companies.data.length === 0 ? (
                <tr>
                  <td colSpan={6} className="empty">
                    No companies yet.
                  </td>
                </tr>
              ) : null}
              {companies.data.map((company) => (
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
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <CardForm aria-labelledby="create-company-heading" onSubmit={() => create()}>
        <h2 id="create-company-heading">Create company</h2>
        <Notice message={notice} />
        <ErrorBanner message={error} />
        <div className="grid-2">
          <TextField label="Company Name" value={name} onChange={setName} error={fieldErrors['name']} required />
          <SelectField label="Edition" value={edition} options={EDITION_OPTIONS} onChange={setEdition} error={fieldErrors['edition']} />
          <TextField
            label="Entity ID"
            value={entityId}
            onChange={setEntityId}
            error={fieldErrors['entityId']}
            hint="Optional; generated when left blank."
          />
          <CheckboxField
            label="Development Partner"
            checked={developmentPartner}
            onChange={setDevelopmentPartner}
            hint="At Professional editions, Web Services Administrators and admins of Development Partner companies may manage connectors."
          />
        </div>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            Create Company
          </button>
        </div>
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
function CompanyFrame(props: { companyId: string; company: Company | null | undefined; title: string; children: ReactNode }) {
  const { path } = useLocation();
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
      <nav aria-label="Company pages" className="tabs">
        <ul>
          {tabs.map((tab) => (
            <li key={tab.to}>
              <Link to={tab.to} className={path === tab.to ? 'tab is-current' : 'tab'} aria-current={path === tab.to ? 'page' : undefined}>
                {tab.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {props.company === null ? <ErrorBanner message="There is no company with this ID." /> : props.children}
    </section>
  );
}

/** A company's settings: name, edition, Development Partner. */
export function CompanySettingsPage({ companyId }: { companyId: string }) {
  const company = useCompany(companyId);
  const [name, setName] = useState('');
  const [edition, setEdition] = useState<Edition>('STANDARD');
  const [developmentPartner, setDevelopmentPartner] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const loaded = company.data;
  useEffect(() => {
    if (loaded === undefined || loaded === null) return;
    setName(loaded.name);
    setEdition(loaded.edition);
    setDevelopmentPartner(loaded.developmentPartner);
  }, [loaded]);

  async function save(): Promise<void> {
    setError(null);
    setNotice(null);
    if (name.trim() === '') {
      setFieldErrors({ name: 'Enter the company name.' });
      return;
    }
    setFieldErrors({});
    setBusy(true);
    try {
      const updated = await api.updateCompany(companyId, { name: name.trim(), edition, developmentPartner });
      company.setData(updated);
      setNotice('Company saved.');
    } catch (cause) {
      const split = splitError(cause, ['name', 'edition', 'developmentPartner']);
      setFieldErrors(split.field);
      setError(split.general);
    } finally {
      setBusy(false);
    }
  }

  return (
    <CompanyFrame companyId={companyId} company={company.data} title="Company">
      <ErrorBanner message={company.error} />
      {company.loading && company.data === undefined ? <Loading what="company" /> : null}
      {loaded !== undefined && loaded !== null ? (
        <CardForm onSubmit={() => save()}>
          <Notice message={notice} />
          <ErrorBanner message={error} />
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
            <TextField label="Company Name" value={name} onChange={setName} error={fieldErrors['name']} required />
            <SelectField label="Edition" value={edition} options={EDITION_OPTIONS} onChange={setEdition} error={fieldErrors['edition']} />
            <CheckboxField label="Development Partner" checked={developmentPartner} onChange={setDevelopmentPartner} />
          </div>
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              Save
            </button>
          </div>
        </CardForm>
      ) : null}
    </CompanyFrame>
  );
}

/** A company's Safe List: the hosts its connectors may use. */
export function SafeListPage({ companyId }: { companyId: string }) {
  const company = useCompany(companyId);
  const hosts = useLoader<SafeHost[]>(`safe-list:${companyId}`, () => api.listSafeHosts(companyId));
  const [host, setHost] = useState('');
  const [hostError, setHostError] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<string | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);

  async function add(): Promise<void> {
    setError(null);
    setNotice(null);
    setHostError(undefined);
    if (host.trim() === '') {
      setHostError('Enter a host name, for example connector.example.com.');
      return;
    }
    setBusy(true);
    try {
      const added = await api.addSafeHost(companyId, host.trim());
      setNotice(`${added.host} added to the safe list.`);
      setHost('');
      hosts.reload();
    } catch (cause) {
      if (cause instanceof ApiError && cause.field === 'host') setHostError(cause.message);
      else setError(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  }

  async function remove(target: string): Promise<void> {
    setBusy(true);
    setRemoveError(null);
    try {
      await api.removeSafeHost(companyId, target);
      setRemoving(null);
      setNotice(`${target} removed from the safe list.`);
      hosts.reload();
    } catch (cause) {
      setRemoveError(errorMessage(cause));
    } finally {
      setBusy(false);
    }
  }

  return (
    <CompanyFrame companyId={companyId} company={company.data} title="Safe List">
      <p className="muted">
        Connectors of this company may only be called on hosts of this list (Concur's whitelisting of partner endpoint servers).
      </p>
      <Notice message={notice} />
      <ErrorBanner message={hosts.error ?? error} />
      <div className="card">
        {hosts.loading && hosts.data === undefined ? <Loading what="safe list" /> : null}
        {hosts.data !== undefined ? (
          <table className="table" aria-label="Safe list">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {hosts.data.length === 0 ? (
                <tr>
                  <td colSpan={3} className="empty">
                    No hosts on the safe list.
                  </td>
                </tr>
              ) : null}
              {hosts.data.map((item) => (
                <tr key={item.host}>
                  <th scope="row" className="mono">
                    {item.host}
                  </th>
                  <td>
                    <DateTime value={item.createdAt} />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-small"
                      aria-label={`Remove ${item.host}`}
                      onClick={() => {
                        setRemoveError(null);
                        setRemoving(item.host);
                      }}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <CardForm className="card inline-form" onSubmit={() => add()}>
        <TextField label="Host" value={host} onChange={setHost} error={hostError} placeholder="connector.example.com" required />
        <button type="submit" className="button button-primary" disabled={busy}>
          Add Host
        </button>
      </CardForm>
      {removing !== null ? (
        <ConfirmDialog
          title="Remove host?"
          confirmLabel="Remove"
          danger
          busy={busy}
          error={removeError}
          onCancel={() => setRemoving(null)}
          onConfirm={() => void remove(removing)}
        >
          <p>
            Connectors on <span className="mono">{removing}</span> will no longer be callable for this company.
          </p>
        </ConfirmDialog>
      ) : null}
    </CompanyFrame>
  );
}

/** A company's users: the list and the create form with roles. */
export function UsersPage({ companyId }: { companyId: string }) {
  const company = useCompany(companyId);
  const users = useLoader(`users:${companyId}`, () => api.listUsers(companyId));
  const [loginId, setLoginId] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(): Promise<void> {
    setError(null);
    setNotice(null);
    const problems: Record<string, string> = {};
    if (loginId.trim() === '') problems['loginId'] = 'Enter a Login ID.';
    if (name.trim() === '') problems['name'] = 'Enter the user’s name.';
    if (password === '') problems['password'] = 'Enter an initial password.';
    setFieldErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      const user = await api.createUser(companyId, { loginId: loginId.trim(), name: name.trim(), password, roles });
      setNotice(`User ${user.loginId} created.`);
      setLoginId('');
      setName('');
      setPassword('');
      setRoles([]);
      users.reload();
    } catch (cause) {
      const split = splitError(cause, ['loginId', 'name', 'password', 'roles']);
      setFieldErrors(split.field);
      setError(split.general ?? (split.field['roles'] !== undefined ? split.field['roles'] : null));
    } finally {
      setBusy(false);
    }
  }

  return (
    <CompanyFrame companyId={companyId} company={company.data} title="Users">
      <ErrorBanner message={users.error} />
      <div className="card">
        {users.loading && users.data === undefined ? <Loading what="users" /> : null}
        {users.data !== undefined ? (
          <table className="table" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">Login ID</th>
                <th scope="col">Name</th>
                <th scope="col">Roles</th>
              </tr>
            </thead>
            <tbody>
              {users.data.length === 0 ? (
                <tr>
                  <td colSpan={3} className="empty">
                    No users yet.
                  </td>
                </tr>
              ) : null}
              {users.data.map((user) => (
                <tr key={user.id}>
                  <th scope="row">{user.loginId}</th>
                  <td>{user.name}</td>
                  <td>
                    {(user.roles ?? []).map((role) => ROLE_LABELS[role as Role] ?? role).join(', ') || (
                      <span className="muted">None</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
      <CardForm aria-labelledby="create-user-heading" onSubmit={() => create()}>
        <h2 id="create-user-heading">Create user</h2>
        <Notice message={notice} />
        <ErrorBanner message={error} />
        <div className="grid-2">
          <TextField label="Login ID" value={loginId} onChange={setLoginId} error={fieldErrors['loginId']} required autoComplete="off" />
          <TextField label="Full Name" value={name} onChange={setName} error={fieldErrors['name']} required />
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
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
                checked={roles.includes(role)}
                onChange={(on) => setRoles((current) => (on ? [...current, role] : current.filter((r) => r !== role)))}
              />
            ))}
          </div>
        </fieldset>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            Create User
          </button>
        </div>
      </CardForm>
    </CompanyFrame>
  );
}
